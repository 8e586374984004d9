/* gather.h: after the wait, coverage.py on exactly the files that were
 * checked: combine into a private file, verify it, write the reports, put
 * the combined file in place, and delete inputs only when asked. */
#ifndef COVSETTLE_GATHER_H
#define COVSETTLE_GATHER_H

#include <stdbool.h>

#include "cli.h"
#include "coverage.h"
#include "settle.h"

#define GATHER_MAX_CMDS (MAX_REPORTS + 2)

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
	GS_ERROR,    /* staging or moving files failed */
	GS_VANISHED, /* inputs were deleted (DIR removed, made again?)
		      * before they were combined: nothing is; wait anew */
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
	struct native_result combine; /* which combine ran, and why */
};

struct gather_opts {
	const struct cli *c;
	struct coverage_find *find; /* the coverage.py command, maybe
				     * still being searched for when named */
	const char *realdir;	    /* DIR, canonical */
	const struct settle *s;	    /* the settled files */
	int sigfd;
	struct native_early *early; /* coverage.py asked during the wait, or
				     * NULL: the native combine uses it up */
};

/* Remove the staging directories in dir that gathers which are gone left
 * behind (killed with SIGKILL, say). Call it holding dir's lock. Returns
 * how many were removed. */
int gather_sweep(const char *dir);

/* Run the pipeline. Fills r; free it with gather_free(). */
enum gather_status gather_run(const struct gather_opts *o,
			      struct gather_result *r);
void gather_free(struct gather_result *r);

#endif
