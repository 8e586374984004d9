/* help.c: the text of `covsettle COMMAND --help` and `--version`. One table
 * holds every option with the commands that take it, a one-line description
 * and its default; the man page says the same at length (a test compares
 * the option sets). Part of the command layer: it prints. */
#include "help.h"
#include "names.h"
#include "watch.h"

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

#define STR2(x) #x
#define STR(x)	STR2(x)

enum { C_WAIT = 1, C_CHECK = 2, C_GATHER = 4, C_WG = C_WAIT | C_GATHER };

struct help_option {
	unsigned cmds;	  /* the commands that take it (C_*) */
	const char *flag; /* as typed, with its argument */
	const char *what; /* one line on what it does */
	const char *dflt; /* its default, or NULL for a plain switch */
};

static const struct help_option options[] = {
	{ C_WG | C_CHECK, "-p, --pattern GLOB",
	  "data file names in a directory (fnmatch, no '/')", DEFAULT_PATTERN },
	{ C_WG, "-n, --expect N", "wait for at least N data files (0: none)",
	  "1" },
	{ C_WG, "-d, --debounce DURATION",
	  "quiet window: how long files must stay unchanged", "500ms" },
	{ C_WG, "-T, --timeout DURATION",
	  "bound the whole wait, exit 3 after it (0: none)", "60s" },
	{ C_WG, "--new-only",
	  "count only files written after the watch is armed", NULL },
	{ C_WG, "-t, --trigger CMD",
	  "run CMD (/bin/sh -c) once the watch is armed", "none" },
	{ C_WG, "--poll[=INTERVAL]",
	  "poll every INTERVAL instead of using inotify",
	  "off; INTERVAL " STR(DEFAULT_POLL_MS) "ms" },
	{ C_WG, "--ignore-writers",
	  "do not wait for live pids named in file names", NULL },
	{ C_WG, "--invalid=fail|quarantine",
	  "invalid files: exit 4, or move to DIR/quarantine/", "fail" },
	{ C_GATHER, "--coverage CMD",
	  "the coverage.py command, split at blanks",
	  "$COVSETTLE_COVERAGE, else the first\n"
	  "that runs of coverage, python3-coverage,\n"
	  "python3 -m coverage" },
	{ C_GATHER, "--rcfile FILE",
	  "coverage.py's settings, for every coverage command",
	  "coverage.py's own" },
	{ C_GATHER, "--data-file FILE", "where the combined data file goes",
	  ".coverage" },
	{ C_GATHER, "--report FORMAT[=PATH]",
	  "write a report, repeatable: text|json|html|xml|lcov", "none" },
	{ C_GATHER, "--fail-under PCT",
	  "exit 1 when total coverage is below PCT (0 to 100)", "none" },
	{ C_GATHER, "--no-keep",
	  "delete the inputs once the combined file checks ok", NULL },
	{ C_GATHER, "--no-wait-lock",
	  "exit 3 at once if another gather holds DIR's lock", NULL },
	{ C_GATHER, "--combine=auto|native|coverage",
	  "combine natively when safe, always, or by coverage.py", "auto" },
	{ C_WG, "-q, --quiet", "print errors (and lost data files) only",
	  NULL },
	{ C_CHECK, "-q, --quiet", "print only the files that are not ok",
	  NULL },
	{ C_WG | C_CHECK, "-v, --verbose", "print every event", NULL },
	{ C_WG | C_CHECK, "--json", "print a JSON summary on standard output",
	  NULL },
	{ C_WG | C_CHECK, "-h, --help", "print this help and exit", NULL },
};

struct help_command {
	const char *name;
	unsigned bit;
	const char *usage; /* the words after the options */
	const char *about; /* what the command does */
	const char *exits; /* its exit statuses */
};

static const struct help_command commands[] = {
	{ "wait", C_WAIT, "DIR",
	  "Block until DIR's data files have settled: at least N are present,\n"
	  "none has changed for the quiet window, none has a live writer, and\n"
	  "each is a complete coverage.py database.",
	  "0 settled, 2 usage error, 3 timed out, 4 invalid data files,\n"
	  "6 the trigger failed, 7 watch error, 128+N stopped by signal N." },
	{ "check", C_CHECK, "PATH...",
	  "Check each PATH, a data file or a directory of data files, and\n"
	  "print one line per file: PATH: VERDICT: REASON. Never writes.",
	  "0 every file ok, 2 usage error, 4 a file not ok or unreadable." },
	{ "gather", C_GATHER, "DIR",
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
	size_t i;
	int w;

	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(commands[i].name, cmd) == 0)
			c = &commands[i];
	fprintf(f, "usage: covsettle %s [OPTIONS] %s\n\n%s\n\nOptions:\n",
		c->name, c->usage, c->about);
	for (i = 0; i < sizeof(options) / sizeof(options[0]); i++) {
		if (!(options[i].cmds & c->bit))
			continue;
		w = fprintf(f, "  %s", options[i].flag);
		/* A flag too wide for its column gets a line of its own. */
		if (w >= FLAG_COLUMN - 1)
			fprintf(f, "\n%*s", FLAG_COLUMN, "");
		else
			fprintf(f, "%*s", FLAG_COLUMN - w, "");
		fputs(options[i].what, f);
		if (options[i].dflt != NULL)
			print_default(f, options[i].what, options[i].dflt);
		fputc('\n', f);
	}
	if (c->bit != C_CHECK)
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
