/* settle.h: the settle rule. A table of the data files of one directory,
 * fed with changes by the watcher, and the rule that says when they have
 * settled. Pure logic: time comes in as arguments, and the I/O that checks
 * a file goes through functions (struct settle_io) the caller passes in,
 * so tests can drive it. */
#ifndef COVSETTLE_SETTLE_H
#define COVSETTLE_SETTLE_H

#include <stdbool.h>
#include <sys/types.h>
#include <time.h>

#include "check.h"
#include "util.h"
#include "writer.h"

/* What a stat tells about a file; a change of any field is a change. */
struct fsig {
	dev_t dev;
	ino_t ino;
	off_t size;
	struct timespec mtime;
	struct timespec ctime;
};

/* How a file came to be seen. */
enum origin {
	SEEN_INITIAL, /* in the scan right after the watch was armed */
	SEEN_RESCAN,  /* in a later scan (polling, overflow, DIR back) */
	SEEN_EVENT, /* an inotify event named it: changed, whatever stat says */
};

struct sfile {
	char *name;	   /* owned by the table */
	struct fsig sig;   /* at the last change */
	msec_t changed_at; /* monotonic time of the last change */
	bool present;	   /* in DIR now */
	bool counts;	   /* toward --expect (false: old, --new-only) */
	bool checked;	   /* verdict is for the current contents */
	bool quarantined;  /* moved to DIR/quarantine by us */
	struct check_result check;
	enum writer_state writer;
	bool unfinished;    /* an era-3 name without .H...h: save not ended */
	bool renamed;	    /* a scan found its finished name (settle_gone.c) */
	bool proven;	    /* checked after its writer was found gone */
	bool unproven;	    /* its writer gave no evidence since it changed:
			     * no early end (settle.c) */
	pid_t pid;	    /* the pid in its name when tested, else 0 */
	pid_t follow;	    /* WR_ALIVE, WR_KEPT: the process to wait on, by
			     * its pid here, when not pid (a writer in a
			     * nested PID namespace), else 0 */
	char comm[17];	    /* WR_ALIVE: the writer's command name */
	char evidence[128]; /* what the writer test found: "writer pid 14
			     * unknown (not visible from this PID
			     * namespace)", or "" (not tested) */
	unsigned long scan; /* the last scan that saw it */
};

/* A data file that vanished during the wait, unless the same inode shows
 * up again under another name (a rename). `loss`: it was written during
 * the wait, or within a quiet window before it began (settle_opts.since),
 * so it is the coverage being waited for, and it is lost; else it had
 * been quiet before the wait began and another program removed old data
 * (as a hook that empties DIR on a restart does): said, not a loss. */
struct vanished {
	char *name;
	dev_t dev;
	ino_t ino;
	bool renamable; /* not known to be deleted: may show up renamed */
	/* For a rename: what the file was, so that its new name carries on
	 * with the same window when its contents did not change. */
	off_t size;
	struct timespec mtime;
	msec_t changed_at;  /* the file's last change */
	msec_t gone_at;	    /* when it vanished */
	msec_t prev_change; /* the directory's last change before that */
	bool counts;
	bool loss;
	bool told; /* the caller has said so (settle_told()) */
};

/* Refreshes a file's verdict (check) and writer state (writer). When
 * check_all is not NULL, the files whose verdicts are due together,
 * files[which[0]] to files[which[n - 1]], are passed to it at once, and it
 * may check them on several threads (a check touches only its file's
 * `check`); else check is called for each. */
struct settle_io {
	void (*check)(void *ctx, struct sfile *f);
	void (*writer)(void *ctx, struct sfile *f);
	void *ctx;
	void (*check_all)(void *ctx, struct sfile *files, const size_t *which,
			  size_t n);
	/* The writers' generations (genproc.h): how many processes born
	 * with the writers seen so far are still alive, one of them in *pid.
	 * NULL when the writers are not followed (--ignore-writers): then
	 * neither the generation nor the early end applies. */
	long (*peers)(void *ctx, pid_t *pid);
};

/* The reason of an era-3 file whose writer exited before renaming it. */
#define SETTLE_CUT_SHORT "writer exited before finishing its save"

enum settle_state {
	ST_WAITING,
	ST_SETTLED,
	ST_INVALID, /* settled, but some files failed for good
		     * (settle_invalid) */
};

/* Why the directory is not settled yet, and when to look again. */
struct settle_wait {
	msec_t at; /* evaluate again at this time, or -1: on events only */
	pid_t pid; /* a live writer whose exit should wake us, or 0 */
	const char *why; /* "trigger", "count", "quiet", "writers", "checks",
			  * "generation" */
};

struct settle_opts {
	long expect;
	msec_t debounce;
	bool new_only;
	msec_t since; /* files changed from then on are the wait's own: the
		       * wait's start less one quiet window */
};

struct settle;

struct settle *settle_new(const struct settle_opts *o);
void settle_free(struct settle *s);

/* A data file was seen with signature sig at time when (for SEEN_INITIAL
 * the caller passes the time of its last write, derived from mtime). */
void settle_seen(struct settle *s, const char *name, const struct fsig *sig,
		 enum origin origin, msec_t when);

/* Start a full scan: every file not seen again before settle_scan_end()
 * is gone. */
void settle_scan_begin(struct settle *s);
void settle_scan_end(struct settle *s, msec_t now);

/* A data file is no longer in DIR: deleted, or maybe renamed (a file
 * with the same inode showing up later is the same file). */
void settle_gone(struct settle *s, const char *name, msec_t now);

/* A data file was deleted for sure (IN_DELETE): a later file that reuses
 * its inode is another file. Also for names never stat'ed. */
void settle_deleted(struct settle *s, const char *name, msec_t now);

/* Something changed that is not one data file: a side file, the trigger's
 * exit. The quiet window starts again. */
void settle_touch(struct settle *s, msec_t now);

/* Events were lost (queue overflow): every file must be checked again. */
void settle_forget(struct settle *s, msec_t now);

/* Mark the trigger running or done; the directory cannot settle before. */
void settle_trigger(struct settle *s, bool running, msec_t now);

/* The file is being moved to quarantine by us: its going is no loss. */
void settle_quarantine(struct settle *s, struct sfile *f);

/* Apply the rule at time now; fills w when still waiting. */
enum settle_state settle_evaluate(struct settle *s, msec_t now,
				  const struct settle_io *io,
				  struct settle_wait *w);

/* The timeout has passed: when all that stands between the directory and
 * settled is files that fail their check with a verdict that is not an
 * unfinished save (not empty, incomplete or busy), those verdicts become
 * final and ST_INVALID is returned; else ST_WAITING (files missing,
 * unfinished or still changing: a real timeout). */
enum settle_state settle_expire(struct settle *s, msec_t now);

/* Is f invalid for good, counted and present: failing its check (or its
 * save not finished) with its writer gone, a verdict no writer can mend,
 * or a failing verdict at the timeout (settle_expire)? */
bool settle_invalid(const struct settle *s, const struct sfile *f);

/* Condition 3 of the rule: may a writer be at work on f (WR_WRITING,
 * WR_ALIVE, WR_KEPT)? */
bool settle_busy(const struct sfile *f);

/* Does f count toward --expect and is it in DIR now? The files the rule
 * waits on, reports and combines. */
bool settle_here(const struct sfile *f);

size_t settle_nfiles(const struct settle *s);
struct sfile *settle_file(const struct settle *s, size_t i);
struct sfile *settle_find(const struct settle *s, const char *name);
/* Files that count and are present or quarantined. */
long settle_counted(const struct settle *s);
/* Counted files that are ok with no writer. */
long settle_ready(const struct settle *s);
msec_t settle_last_change(const struct settle *s);
/* How long until the quiet window of condition 2 has passed, or -1 when
 * it has (or nothing changed yet). */
msec_t settle_quiet_left(const struct settle *s, msec_t now);
/* --expect, as the table was made with it. */
long settle_expect(const struct settle *s);
/* Is the --trigger command still running (settle_trigger())? */
bool settle_trigger_running(const struct settle *s);
/* Processes of the writers' generations alive at the last evaluation
 * (condition 5), with one of them in *pid. */
long settle_peers(const struct settle *s, pid_t *pid);
/* Did the last settle_evaluate() end the quiet window early (every file
 * proven complete, no writer left)? */
bool settle_early(const struct settle *s);

size_t settle_nvanished(const struct settle *s);
const struct vanished *settle_vanished(const struct settle *s, size_t i);
/* How many vanished files are losses (struct vanished). */
long settle_nlost(const struct settle *s);
/* Was f written since the wait's own time began (settle_opts.since)? Its
 * removal would be a loss. */
bool settle_fresh(const struct settle *s, const struct sfile *f);
/* The caller has reported vanished file i. */
void settle_told(struct settle *s, size_t i);

#endif
