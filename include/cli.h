/* cli.h: the options of `wait` and `gather`, parsed in one place. */
#ifndef COVSETTLE_CLI_H
#define COVSETTLE_CLI_H

#include <stdbool.h>

#include "native.h"
#include "output.h"
#include "waiter.h"

#define MAX_REPORTS 16

enum report_format { RF_TEXT, RF_JSON, RF_HTML, RF_XML, RF_LCOV, RF_COUNT };

struct report {
	enum report_format format;
	const char *path; /* or NULL: coverage.py's default */
};

struct cli {
	const char *cmd; /* "wait" or "gather" */
	struct wait_opts o;
	enum level level;
	bool json;
	/* gather only */
	const char *coverage;	/* --coverage, or NULL */
	const char *rcfile;	/* --rcfile, or NULL */
	const char *data_file;	/* --data-file, or NULL */
	const char *fail_under; /* --fail-under as given, or NULL */
	double fail_under_pct;
	struct report reports[MAX_REPORTS];
	int nreports;
	bool no_keep;
	bool no_wait_lock;
	enum combine_method combine; /* --combine */
};

/* The name of a report format ("text", "json", ...). */
const char *report_format_name(enum report_format f);

/* Check cmd's --pattern arg: -1 when it is a file name glob, else the
 * usage error's exit status, said. */
int cli_pattern(const char *cmd, const char *arg);

/* Parse the options of c->cmd into c. Returns -1 when the command should
 * run, else the exit status to return at once (usage error, --help). */
int cli_parse(int argc, char **argv, struct cli *c);

/* Start `wait` or `gather`: clear c, start the clock, parse, set up
 * output, signals and the waiter's progress hooks. -1 to go on, else the
 * exit status to return at once. */
int cli_start(int argc, char **argv, const char *cmd, struct cli *c);

/* When --timeout runs out (monotonic ms), or -1 with none. */
msec_t cli_deadline(const struct cli *c);

/* Say that signal signo stopped covsettle; returns 128 + signo. */
int cli_stopped(int signo, const char *what);

#endif
