/* covcmd.h: the coverage.py commands a gather runs on its combined file:
 * their words, each run as a child, and the record of what ran (for -v
 * and --json) with how it ended. */
#ifndef COVSETTLE_COVCMD_H
#define COVSETTLE_COVCMD_H

#include "argv.h"
#include "child.h"
#include "gather.h"

/* coverage.py's exit status for a total below fail_under. */
#define COVERAGE_FAIL_UNDER 2

/* At most this much of a command line goes into a message: a longer one
 * loses a piece after its first two thirds (past the program and its
 * subcommand), so that how it ended and coverage.py's reason still fit. */
#define SHOWN_LINE 300

struct covcmd {
	const struct argv *cmd;	 /* the coverage command (the search's:
				  * it may change when confirmed) */
	const char *data;	 /* the combined file */
	const char *rcfile;	 /* --rcfile, or NULL */
	int sigfd;		 /* INT, TERM and HUP, passed to a child */
	int out_fd;		 /* a child's stdout: -1 inherited */
	struct gather_result *r; /* the record, the status and its message */
};

/* The coverage command's own words, into a. */
void covcmd_words(const struct covcmd *cc, struct argv *a);
/* A coverage.py subcommand's words on the combined file, into a. */
void covcmd_sub(const struct covcmd *cc, struct argv *a, const char *sub);

/* Run argv as the next command of the record, shown there as line (which
 * the record takes). 0 when it ran to its end, whatever its status; -1
 * with the status set when it could not run or a signal stopped it. */
int covcmd_record(const struct covcmd *cc, char *const argv[], char *line,
		  int capture_out, struct child_result *res);

/* Run a and record it: 0 when it exited 0; else the status (GS_BELOW for
 * a report's total below fail_under) and its message set. */
int covcmd_run(const struct covcmd *cc, struct argv *a, int capture_out,
	       struct child_result *res);

/* line as a message shows it: itself, or its ends around "...", in buf. */
const char *covcmd_cut(const char *line, char buf[SHOWN_LINE + 1]);

#endif
