/* coverage.h: finding the coverage.py command and building its command
 * lines for combine and the reports. */
#ifndef COVSETTLE_COVERAGE_H
#define COVSETTLE_COVERAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "argv.h"
#include "child.h"
#include "util.h"

/* The search for coverage.py, in a child, one candidate at a time: the
 * given command (--coverage, else $COVSETTLE_COVERAGE) if any, else
 * `coverage`, `python3-coverage` and `python3 -m coverage` in that order.
 * A candidate runs when `CMD --version` exits 0 and prints Coverage.py. */
enum coverage_find_state {
	FIND_RUNNING, /* a candidate's --version is running */
	FIND_FOUND,   /* cmd holds the command */
	FIND_NONE,    /* none runs (or the search was stopped): err says */
};

struct coverage_find {
	enum coverage_find_state state;
	struct argv cmd;	     /* found; before that, the command that may
				      * combine while its --version runs: the named one,
				      * or a candidate recognised as coverage.py */
	const char *given;	     /* the named command, or NULL */
	const char *origin;	     /* "--coverage" or "$COVSETTLE_COVERAGE" */
	const char *words;	     /* the candidate being tried */
	size_t tried;		     /* candidates started so far */
	pid_t pid;		     /* its --version, or 0 */
	struct child_spawns spawned; /* every --version started */
	int outfd;		     /* a memfd holding its stdout, or -1 */
	char why[160];	  /* the last line a failed --version wrote */
	char version[32]; /* found: what its --version says ("7.3.2"), or
			   * "" when it says no version covsettle reads */
	char err[ERRLEN];
};

/* Start the search. FIND_NONE at once when no candidate could even be
 * started (not found on PATH). */
enum coverage_find_state coverage_find_start(struct coverage_find *p,
					     const char *given,
					     const char *env);
/* Without blocking: reap the running candidate if it has ended, and start
 * the next one if it failed. Call it whenever a SIGCHLD was read. */
enum coverage_find_state coverage_find_poll(struct coverage_find *p);
/* Block until the search ends, or a signal (INT, TERM, HUP) arrives on
 * sigfd: then the candidate's process group gets it, is reaped, *signo
 * is set and FIND_NONE returned. At deadline (monotonic ms; -1: none)
 * the candidate still running is stopped and the search ends with
 * FIND_NONE, err naming it. */
enum coverage_find_state coverage_find_wait(struct coverage_find *p, int sigfd,
					    msec_t deadline, int *signo);
/* Stop a running candidate with signo (SIGKILL after a grace period) and
 * reap it; the search ends with FIND_NONE. Nothing when not running. */
void coverage_find_stop(struct coverage_find *p, int signo);
/* Can gather write every report from one process of cmd's Python? True
 * when cmd is `PY -m coverage` (PY named python, python3, python3.11...:
 * prog is "-m"), or one word naming, after a PATH search as execvp(3)
 * does, coverage.py's console script (prog is its path): its #! line
 * names such a python, or env and such a python, and it loads
 * coverage.cmdline's main as pip, uv and setuptools write it. py then
 * holds the interpreter's words, to which `-c PROGRAM` is added. */
bool coverage_python(const struct argv *cmd, struct argv *py, char *prog,
		     size_t len);

/* Does coverage.py version (as "7.4.4") read a directory's data files in
 * the sorted order of their names? 7.4.4 and later do; before, in the
 * order the directory lists them (glob.glob, os.scandir). */
bool coverage_sorts_inputs(const char *version);

/* Stop the search if it runs, and free the command. */
void coverage_find_free(struct coverage_find *p);

#endif
