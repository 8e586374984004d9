/* cli.h: the options of `wait`, `check` and `gather`, in one table that
 * drives their parsing and their --help (help.c). */
#ifndef COVSETTLE_CLI_H
#define COVSETTLE_CLI_H

#include <stdbool.h>
#include <stddef.h>

#include "gather.h"
#include "output.h"
#include "waiter.h"

struct cli {
	const char *cmd;    /* "wait", "check" or "gather" */
	struct wait_opts o; /* check takes o.pattern only */
	enum level level;
	bool json;
	int operands; /* argv index of the first DIR or PATH */
	/* gather only */
	const char *coverage;	/* --coverage, or NULL */
	const char *rcfile;	/* --rcfile, or NULL */
	const char *data_file;	/* --data-file */
	const char *fail_under; /* --fail-under as given, or NULL */
	double fail_under_pct;
	struct report reports[MAX_REPORTS];
	int nreports;
	bool no_keep;
	bool no_wait_lock;
	enum combine_method combine; /* --combine */
};

/* The commands an option belongs to (struct cli_option's cmds). */
enum {
	CLI_WAIT = 1,
	CLI_CHECK = 2,
	CLI_GATHER = 4,
	CLI_WG = CLI_WAIT | CLI_GATHER,
	CLI_ALL = CLI_WAIT | CLI_CHECK | CLI_GATHER,
};

struct cli_option;

/* Read an option's value arg (NULL when none was given) into c: -1 when
 * fine, else the usage error's exit status, said. */
typedef int cli_set_fn(struct cli *c, const struct cli_option *opt,
		       const char *arg);

/* One row of the option table. */
struct cli_option {
	const char *name; /* --NAME */
	char brief;	  /* -C, or 0 */
	unsigned cmds;	  /* CLI_* of the commands that take it */
	/* The value as --help shows it after the name: " N" (one is
	 * needed), "=a|b" (one of those words), "[=INTERVAL]" (optional);
	 * NULL: the option takes none. */
	const char *arg;
	/* The default, as a user would type it: set before the command
	 * line is read, and shown by --help. NULL: none to set. */
	const char *dflt;
	/* --help's default where dflt is NULL ("none"), or NULL. */
	const char *shown;
	const char *help; /* one line on what it does */
	cli_set_fn *set;  /* NULL: --help */
	size_t off;	  /* where in struct cli the generic setters write */
};

/* The option table: *n rows, in --help's order. */
const struct cli_option *cli_options(size_t *n);

/* Parse the options of c->cmd into c, after setting the defaults: DIR
 * into c->o.dir, or check's PATHs from argv[c->operands]. Returns -1
 * when the command should run, else the exit status to return at once
 * (usage error, --help). */
int cli_parse(int argc, char **argv, struct cli *c);

/* Start `wait` or `gather`: clear c, start the clock, parse, set up
 * output and signals; the caller sets the waiter's progress callback.
 * -1 to go on, else the exit status to return at once. */
int cli_start(int argc, char **argv, const char *cmd, struct cli *c);

/* When --timeout runs out (monotonic ms), or -1 with none. */
msec_t cli_deadline(const struct cli *c);

/* Say that signal signo stopped covsettle; returns 128 + signo. */
int cli_stopped(int signo, const char *what);

#endif
