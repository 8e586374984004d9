/* help.c: the text of `covsettle COMMAND --help` and `--version`. The
 * options, their one-line descriptions and their defaults come from
 * cli.c's option table, the one parsing reads; the man page says the same
 * at length (tests compare the option sets, the defaults and the
 * completions with --help). Part of the command layer: it prints. */
#include "help.h"
#include "cli.h"

#include <sqlite3.h>
#include <string.h>

#ifndef VERSION
#define VERSION "0.1.0"
#endif

/* libinotifytools 3.22 has no version call and its header no version
 * macro: the build passes the version of the package it compiled against
 * (mk/dist.mk), and --version says that this is what it is. */
#ifndef INOTIFYTOOLS_VERSION
#define INOTIFYTOOLS_VERSION "unknown"
#endif

struct help_command {
	const char *name;
	unsigned bit;
	const char *usage; /* the words after the options */
	const char *about; /* what the command does */
	const char *exits; /* its exit statuses */
};

static const struct help_command commands[] = {
	{ "wait", CLI_WAIT, "DIR",
	  "Block until DIR's data files have settled: at least N are present,\n"
	  "none has changed for the quiet window, none has a live writer, and\n"
	  "each is a complete coverage.py database.",
	  "0 settled, 2 usage error, 3 timed out, 4 invalid data files,\n"
	  "6 the trigger failed, 7 watch error, 128+N stopped by signal N." },
	{ "check", CLI_CHECK, "PATH...",
	  "Check each PATH, a data file or a directory of data files, and\n"
	  "print one line per file: PATH: VERDICT: REASON. Never writes.",
	  "0 every file ok, 2 usage error, 4 a file not ok or unreadable." },
	{ "gather", CLI_GATHER, "DIR",
	  "Wait as wait does, then run coverage combine --keep on exactly the\n"
	  "files that settled, and write the reports.",
	  "0 done, 1 below --fail-under, 2 usage error, 3 timed out,\n"
	  "4 invalid data files, 5 the coverage command is missing or failed,\n"
	  "6 the trigger failed, 7 watch error, 128+N stopped by signal N." },
};

/* The units of a DURATION, below the options of wait and gather. */
static const char durations[] =
	"\nDURATION: 250ms, 1.5s, 2m or 1h; a bare number is seconds.\n";

/* --version: covsettle's, then libinotifytools' and SQLite's. */
static const char version_format[] =
	"covsettle %s\n"
	"libinotifytools %s (built with; the library has no version call)\n"
	"SQLite %s (running; built with %s)\n";

/* Width of the flag column, two spaces of indent included. */
#define FLAG_COLUMN 28
/* Lines stay within this width where they can. */
#define LINE_WIDTH 79

/* " [default: D]" after the description what, or on a line of its own
 * where the line would get too long; a '\n' in d continues it below. */
static void
print_default(FILE *f, const char *what, const char *d)
{
	size_t n = strcspn(d, "\n");

	if (FLAG_COLUMN + strlen(what) + n + 12 > LINE_WIDTH)
		fprintf(f, "\n%*s", FLAG_COLUMN - 1, "");
	fprintf(f, " [default: %.*s", (int)n, d);
	for (d += n; *d == '\n'; d += n) {
		d++;
		n = strcspn(d, "\n");
		fprintf(f, "\n%*s%.*s", FLAG_COLUMN + 11, "", (int)n, d);
	}
	fputc(']', f);
}

/* Print the usage, the options and the exit statuses of cmd. */
void
help_command(FILE *f, const char *cmd)
{
	const struct help_command *c = &commands[0];
	const struct cli_option *opt;
	size_t i, n;
	int w;

	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(commands[i].name, cmd) == 0)
			c = &commands[i];
	fprintf(f, "usage: covsettle %s [OPTIONS] %s\n\n%s\n\nOptions:\n",
		c->name, c->usage, c->about);
	opt = cli_options(&n);
	for (i = 0; i < n; i++, opt++) {
		if (!(opt->cmds & c->bit))
			continue;
		w = opt->brief ? fprintf(f, "  -%c, ", opt->brief)
			       : fprintf(f, "  ");
		w += fprintf(f, "--%s%s", opt->name, opt->arg ? opt->arg : "");
		/* A flag too wide for its column gets a line of its own. */
		if (w >= FLAG_COLUMN - 1)
			fprintf(f, "\n%*s", FLAG_COLUMN, "");
		else
			fprintf(f, "%*s", FLAG_COLUMN - w, "");
		fputs(opt->help, f);
		if (opt->dflt != NULL || opt->shown != NULL)
			print_default(f, opt->help,
				      opt->dflt ? opt->dflt : opt->shown);
		fputc('\n', f);
	}
	if (c->bit != CLI_CHECK)
		fputs(durations, f);
	fprintf(f, "\nExit status: %s\nSee covsettle(1).\n", c->exits);
}

/* Print the versions of covsettle and of the libraries it runs with. */
void
help_version(FILE *f)
{
	fprintf(f, version_format, VERSION, INOTIFYTOOLS_VERSION,
		sqlite3_libversion(), SQLITE_VERSION);
}
