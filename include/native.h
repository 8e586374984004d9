/* native.h: gather's choice between coverage.py's `combine` and the native
 * one (combine.c), and the native combine when it is safe: coverage.py
 * itself, run once with its own interpreter, says whether its effective
 * configuration leaves combining to a plain union, which version it is,
 * what it would write, and in which order it would read the inputs. */
#ifndef COVSETTLE_NATIVE_H
#define COVSETTLE_NATIVE_H

#include "argv.h"
#include "util.h"

/* --combine */
enum combine_method {
	CM_AUTO,     /* native when safe, else coverage.py */
	CM_NATIVE,   /* native, or fail when it is not safe */
	CM_COVERAGE, /* coverage.py, always */
};

enum native_status {
	NATIVE_DONE,	 /* the combined file is written */
	NATIVE_DECLINED, /* coverage.py combines: r->reason says why */
	NATIVE_FAILED,	 /* --combine=native and it could not be: err */
	NATIVE_SIGNAL,	 /* INT, TERM or HUP arrived: *signo */
};

/* Which combine ran, and why, for -v and --json. */
struct native_result {
	const char *method; /* "native" or "coverage" */
	char reason[ERRLEN];
	msec_t ms; /* the native combine's time, with its question */
};

struct native_opts {
	enum combine_method how;
	const struct argv *cmd; /* the coverage command */
	const char *rcfile;	/* --rcfile, or NULL */
	const char *indir;	/* the staged inputs, named like output.N */
	const char *output;	/* the combined file to write */
	int sigfd;
};

/* Combine natively when o->how and coverage.py's configuration allow it. */
enum native_status native_combine(const struct native_opts *o,
				  struct native_result *r, int *signo,
				  char *err);

#endif
