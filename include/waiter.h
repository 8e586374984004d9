/* waiter.h: the wait engine shared by `wait` and `gather`: arm the watch,
 * scan, run the trigger, and loop until DIR's data files have settled,
 * the timeout passes, or a signal arrives. It prints nothing: progress
 * goes to a callback, the outcome into a result. */
#ifndef COVSETTLE_WAITER_H
#define COVSETTLE_WAITER_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "settle.h"
#include "util.h"

struct check_reader;

enum invalid_mode { INVALID_FAIL, INVALID_QUARANTINE };

enum note_kind {
	N_ARMED,    /* text: how DIR is watched; then the first scan */
	N_POLLING,  /* text: why covsettle polls */
	N_EVENT,    /* name (may be NULL), mask: a raw inotify event (-v) */
	N_NEW,	    /* name: a data file appeared */
	N_GONE,	    /* name: a data file disappeared */
	N_DIR_GONE, /* DIR was deleted or moved away */
	N_DIR_BACK, /* DIR exists (again) */
	N_RESCAN,   /* events were lost; DIR was scanned again */
	N_TRIGGER_STARTED, /* the --trigger command was started */
	N_TRIGGER_EXITED,  /* it exited with status 0 */
	N_QUARANTINED,	   /* name, text: moved to text */
	N_TICK,		   /* nothing new: refresh a live status line */
	N_LEASE_DENIED,	   /* name: leases are refused for want of permission,
			    * so the open-for-writing test is off (once) */
	N_NOT_WRITER,	   /* name, text: the pid in its name cannot be its
			    * writer ("pid 1 (init) is not a Python
			    * process") */
	N_WRITER,	   /* name, text: what the writer test of its pid
			    * found, when that changed ("writer pid 14
			    * unknown (not visible from this PID
			    * namespace)") */
	N_UNSEEN,	   /* name, text: its writer cannot be seen here, so
			    * its generation is unknown (text says why) */
};

struct wait_note {
	enum note_kind kind;
	const char *name;
	const char *text;
	uint32_t mask;
	const struct settle *s;
	msec_t now;
	msec_t quiet_left; /* until the quiet window ends, or -1 */
	msec_t time_left;  /* until the timeout, or -1 */
};

struct wait_opts {
	const char *dir;
	const char *pattern;
	const char *trigger;	/* or NULL */
	bool trigger_to_stderr; /* keep stdout for --json */
	long expect;
	msec_t debounce;
	msec_t timeout; /* 0: none */
	msec_t poll_ms; /* 0: inotify */
	msec_t tick_ms; /* 0: no N_TICK (not a terminal) */
	bool new_only;
	bool ignore_writers;
	enum invalid_mode invalid;
	msec_t start; /* when the timeout started */
	int sigfd;    /* from sig_setup() */
	void (*note)(void *ctx, const struct wait_note *n);
	void *ctx;
	/* gather: a child of the caller's that runs during the wait (the
	 * search for coverage.py), or NULL. helper(helper_ctx, msg) is called
	 * at the start and whenever a child may have exited; nonzero ends
	 * the wait at once with WS_HELPER, msg filled. */
	int (*helper)(void *helper_ctx, char *msg);
	/* gather: when the helper last started a child that got pid
	 * (clock_file_ns(), just before its fork), or 0 if never. A data file
	 * whose name says this host and that pid, born since, is its own,
	 * never one of DIR's; of a file born before, that child is not the
	 * writer. Or NULL. */
	int64_t (*helper_pid)(void *helper_ctx, pid_t pid);
	void *helper_ctx;
	/* gather: more to read of each file whose check passes, in the
	 * check's connection (check_file_read()), or NULL. Called on the
	 * checking threads. */
	const struct check_reader *reader;
};

enum wait_status {
	WS_SETTLED,
	WS_TIMEOUT, /* msg says what was missing */
	WS_INVALID, /* files failed with their writer gone */
	WS_TRIGGER, /* the trigger failed; msg says how */
	WS_SIGNAL,  /* stopped by signo */
	WS_ERROR,   /* DIR cannot be watched; msg says why */
	WS_HELPER,  /* the helper ended the wait; msg says why */
	WS_LOST,    /* settled, but coverage was lost (lost_coverage()) */
};

struct wait_result {
	enum wait_status status;
	int signo;
	msec_t elapsed; /* from opts.start */
	char msg[ERRLEN];
	struct settle *s;	/* the files, owned; settle_free() it */
	char realdir[PATH_MAX]; /* DIR's canonical path at the end */
	bool polled;		/* polling served */
	/* The generation rule (settle.c, condition 5): writers not seen
	 * here, the first one's file and why; and whether the quiet window
	 * ended early, every file proven complete. */
	long unseen;
	char unseen_name[NAME_MAX + 1];
	char unseen_why[96];
	bool early;
	/* Processes of the writers' generations seen alive that exited
	 * without a data file named after them, and one of them. */
	long silent;
	pid_t silent_pid;
};

/* When o's timeout runs out (monotonic ms, from o->start), or -1 when
 * there is none (timeout 0). gather's later steps share the deadline. */
msec_t waiter_deadline(const struct wait_opts *o);

/* Run the wait; fills r. Returns r->status. */
enum wait_status waiter_run(const struct wait_opts *o, struct wait_result *r);

#endif
