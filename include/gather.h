/* gather.h: the gather engine's front door. After the wait, coverage.py on
 * exactly the files that settled: combine into a private file, verify it,
 * write the reports, put the combined file in place, and delete inputs
 * only when asked. The engine also runs what goes on beside the lock and
 * the wait: the search for coverage.py and the early question to it, and
 * the sweep of staging directories. It takes a plain options struct and
 * returns an outcome; it prints nothing and picks no exit status. */
#ifndef COVSETTLE_GATHER_H
#define COVSETTLE_GATHER_H

#include <stdbool.h>

#include "choice.h"
#include "reports.h"
#include "settle.h"
#include "util.h"

#define GATHER_MAX_CMDS (MAX_REPORTS + 2)

struct wait_opts;

/* What a gather is asked to do. The strings outlive the gather. */
struct gather_opts {
	const char *dir;	  /* DIR as given, for messages */
	const char *coverage;	  /* --coverage, or NULL */
	const char *coverage_env; /* $COVSETTLE_COVERAGE, or NULL */
	enum combine_method combine;
	const char *rcfile;    /* --rcfile, or NULL */
	const char *data_file; /* where the combined file goes */
	const struct report *reports;
	int nreports;
	const char *fail_under; /* as given, or NULL */
	bool no_keep;		/* delete the inputs after success */
	msec_t deadline;	/* monotonic ms, or -1: none */
	int child_out;		/* coverage.py's stdout: -1 inherited; 2
				 * keeps stdout for --json */
	int sigfd; /* INT, TERM, HUP (and CHLD), from sig_setup() */
};

/* One coverage.py command that ran. */
struct gather_cmd {
	char *line; /* the command line, for people */
	int status; /* wait status */
	msec_t ms;
};

enum gather_status {
	GS_OK,
	GS_BELOW,   /* total below --fail-under */
	GS_FAILED,  /* coverage.py failed, or its output is not whole */
	GS_CHANGED, /* an input changed after it settled */
	GS_SIGNAL,
	GS_ERROR,	/* staging or moving files failed */
	GS_VANISHED,	/* inputs were deleted (DIR removed, made again?)
			 * before they were combined: nothing is; wait anew */
	GS_NO_FILES,	/* no data file settled: nothing to combine */
	GS_NO_COVERAGE, /* no coverage.py command runs (msg says why), or
			 * a signal stopped the search (signo) */
};

struct gather_result {
	enum gather_status status;
	int signo;
	char msg[ERRLEN];
	struct gather_cmd cmds[GATHER_MAX_CMDS];
	int ncmds;
	long ninputs;
	double total;	       /* total percent from the text report, or -1 */
	char total_text[32];   /* that total as the report shows it: "88.82%" */
	char *text;	       /* the text report, when not written to a file */
	const char *data_file; /* where the combined data file is */
	bool deleted;	       /* --no-keep removed the inputs */
	bool nodata;	       /* combined, but no input measured anything */
	/* GS_VANISHED: the deleted inputs written during the wait, lost
	 * coverage (stage_gone()); none when only old data went. */
	char **lost;
	size_t nlost;
	struct choice_result combine; /* which combine ran, and why */
};

/* A gather under way: the options, the search for coverage.py and the
 * early question to it. */
struct gather;

/* Start a gather: the search for coverage.py begins, to run beside the
 * lock and the wait. NULL, with err, when no candidate can even be
 * started. */
struct gather *gather_start(const struct gather_opts *o, char *err);

/* Block until the search for coverage.py has ended (the lock is busy:
 * a missing coverage.py ends gather before it waits for the lock).
 * GS_OK when a command was found; else GS_NO_COVERAGE with msg or signo. */
enum gather_status gather_found(struct gather *g, char *msg, int *signo);

/* Under DIR's lock: remove the staging directories that gathers which
 * are gone left behind. Returns how many. */
int gather_sweep(struct gather *g);

/* Let the wait run the search (its helper) and ask coverage.py early,
 * through w's helper hooks. */
void gather_wait_hooks(struct gather *g, struct wait_opts *w);

/* Stop the search and the early question with signo (the wait was
 * stopped by it). */
void gather_stop(struct gather *g, int signo);

/* After the wait settled on s (realdir: DIR, canonical): combine, verify,
 * report, place, delete as asked. Fills r; free it with gather_free(). */
enum gather_status gather_run(struct gather *g, const char *realdir,
			      const struct settle *s, struct gather_result *r);
void gather_free(struct gather_result *r);

/* The coverage command found (malloc'd text), or NULL. */
char *gather_command(const struct gather *g);

/* End the gather: the early question is stopped and the search freed.
 * Call it before DIR's lock is let go. NULL does nothing. */
void gather_end(struct gather *g);

#endif
