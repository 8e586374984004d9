/* choice.h: gather's choice between coverage.py's `combine` and the native
 * one (combine.c), and the native combine when it is safe: coverage.py
 * itself, run once with its own interpreter, says whether the union can
 * follow its combine, which version it is, what it would write, in which
 * order it would read the inputs, and what path it stores for each path
 * of the inputs ([paths], relative_files). */
#ifndef COVSETTLE_NATIVE_H
#define COVSETTLE_NATIVE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "argv.h"
#include "child.h"
#include "util.h"

struct pathread;

/* --combine */
enum combine_method {
	CM_AUTO,     /* native when safe, else coverage.py */
	CM_NATIVE,   /* native, or fail when it is not safe */
	CM_COVERAGE, /* coverage.py, always */
};

enum choice_status {
	CHOICE_DONE,	 /* the combined file is written */
	CHOICE_DECLINED, /* coverage.py combines: r->reason says why */
	CHOICE_FAILED,	 /* --combine=native and it could not be: err */
	CHOICE_SIGNAL,	 /* INT, TERM or HUP arrived: *signo */
	CHOICE_FULL,	 /* no room to write the combined file, where
			  * coverage.py would need as much and copies: err */
};

/* Which combine ran, and why, for -v and --json. */
struct choice_result {
	const char *method; /* "native" or "coverage" */
	char reason[ERRLEN];
	bool reads_only; /* coverage.py answered that its combine opens its
			  * inputs read-only: a staged link is safe there */
	msec_t ms;	 /* choice_combine()'s time: what was left of the
			  * question once the inputs were staged, and the combine */
};

/* The question to coverage.py, asked early: its child started during the
 * wait for the command then known, importing coverage.py, and waiting on
 * its stdin for the staged inputs. Zero it before use; stop it with
 * choice_early_stop() on every path that does not combine natively. */
struct choice_early {
	struct child_job job; /* job.pid 0: none running */
	char *cmd;	      /* the command it was asked for (argv_text()),
			       * even if it could not start; or NULL */
	struct child_spawns spawned; /* every question started */
	/* The inputs' paths, read during the wait (pathread.c), or NULL:
	 * the caller's. */
	struct pathread *paths;
};

struct choice_opts {
	enum combine_method how;
	const struct argv *cmd; /* the coverage command */
	const char *rcfile;	/* --rcfile, or NULL */
	const char *indir;	/* the staged inputs, named like output.N */
	const char *output;	/* the combined file to write */
	int sigfd;
	struct choice_early *early; /* asked during the wait, or NULL;
				     * used up or stopped either way */
};

/* Combine natively when o->how and coverage.py's configuration allow it. */
enum choice_status choice_combine(const struct choice_opts *o,
				  struct choice_result *r, int *signo,
				  char *err);

/* Ask early for cmd, unless how is CM_COVERAGE: nothing when already
 * asked for that command; an early question for another one is stopped
 * first. A command that covsettle cannot ask, or none (cmd->n 0), starts
 * nothing. */
void choice_early_start(struct choice_early *e, enum combine_method how,
			const struct argv *cmd, const char *rcfile);
/* Stop the early question if it runs (signo to its process group,
 * SIGKILL after a grace period) and reap it. */
void choice_early_stop(struct choice_early *e, int signo);

#endif
