/* stage.h: gather's inputs, staged. Exactly the files that settled ok are
 * linked or copied into a private staging directory of DIR, in the order
 * coverage.py's own combine would read them, and compared with what
 * settled when staged and after the combine; stale staging directories of
 * gathers that are gone are swept. */
#ifndef COVSETTLE_STAGE_H
#define COVSETTLE_STAGE_H

#include <limits.h>
#include <stdbool.h>
#include <sys/stat.h>

#include "settle.h"

/* The name of the combined file in the staging directory; its inputs are
 * in/combined.N. */
#define STAGE_COMBINED "combined"

/* One staged input: the file its data was staged from. */
struct staged {
	const struct sfile *f;
	char *path;	/* DIR/name, or a symlink's target in DIR */
	struct stat st; /* that file when it was staged */
	bool linked;	/* staged as a hard link to it, not a copy */
};

enum stage_status {
	STAGE_OK,
	STAGE_ERROR,   /* no room or no permission: msg says */
	STAGE_CHANGED, /* an input changed after it settled: msg names it */
};

struct stage {
	/* set by the caller */
	const char *realdir;	/* DIR, canonical */
	const char *shown;	/* DIR as given, for messages */
	const struct settle *s; /* the settled files */
	char *msg;		/* ERRLEN: why a step failed */
	/* set here */
	enum stage_status status; /* of the last step that failed */
	char path[PATH_MAX];	  /* the staging directory, or "" */
	char in[PATH_MAX];	  /* its inputs directory */
	char combined[PATH_MAX];  /* the combined file in it */
	struct staged *staged;	  /* in/combined.N is staged[N] */
	long n;			  /* inputs staged so far */
	int width;		  /* digits of N in combined.N, less one */
	bool sorted;		  /* coverage.py reads a directory sorted */
};

/* Is f one of the files to combine (here, not quarantined, checked ok)? */
bool stage_is_input(const struct sfile *f);
/* How many of s's files are inputs. */
size_t stage_ninputs(const struct settle *s);

/* Make the staging directory DIR/.covsettle-gather.XXXXXX and its in/.
 * 0, or -1 with the status set. */
int stage_open(struct stage *st);
/* Stage every input into in/, in coverage.py's order: sorted as Python
 * sorts the names, or the directory's own order; by hard link when
 * by_link and one can be made, else by copy. 0, or -1 with the status
 * set. */
int stage_inputs(struct stage *st, bool sorted, bool by_link);
/* The path of staged input i, in/combined.N, into buf. */
int stage_name(const struct stage *st, char *buf, size_t len, long i);
/* Before coverage.py combines: replace the inputs staged as links by
 * copies, unless reads_only (its combine opens them read-only) and the
 * file is no WAL-mode one. 0, or -1 with the status set. */
int stage_copy_linked(struct stage *st, bool reads_only);
/* After the combine: is every input still what was staged? 0, or -1 with
 * the status set, the message saying the change happened when. */
int stage_unchanged(struct stage *st, const char *when);
/* How many of the n inputs are no longer in DIR; *replaced when DIR is
 * not dir (the directory when the gather began) any more, or the staging
 * directory is gone with DIR's other contents. The names of those gone
 * that were written during the wait (settle_fresh(): a loss, not old
 * data) are appended to *lost (*nlost of them, malloc'd). */
long stage_gone(const struct stage *st, const struct stat *dir, long *n,
		bool *replaced, char ***lost, size_t *nlost);
/* --no-keep: remove the inputs that are still what settled. */
void stage_delete_inputs(const struct stage *st);
/* Remove the staging directory (only entries covsettle made) and free
 * the record of the inputs. */
void stage_close(struct stage *st);

/* Copy all of in (from offset 0) to the empty file out. 0, or -1 with
 * errno. */
int stage_copy_fd(int in, int out);

/* Remove the staging directories in dir that gathers which are gone left
 * behind (killed with SIGKILL, say). Call it holding dir's lock. Returns
 * how many were removed. */
int stage_sweep(const char *dir);

#endif
