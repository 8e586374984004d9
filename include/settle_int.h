/* settle_int.h: the table's own struct, for settle*.c only. settle.c
 * keeps the table and applies the rule; settle_gone.c keeps the files
 * that go and come back. Everything else reads the table through
 * settle.h. */
#ifndef COVSETTLE_SETTLE_INT_H
#define COVSETTLE_SETTLE_INT_H

#include <stdbool.h>
#include <stddef.h>

#include "settle.h"

struct settle {
	struct settle_opts o;
	struct sfile *files; /* every name seen, present or not */
	size_t nfiles, capfiles;
	size_t *index; /* open addressing: file index + 1, 0 = empty */
	size_t capindex;
	struct vanished *vanished;
	size_t nvanished, capvanished;
	msec_t last_change; /* newest change of any kind, or INT64_MIN */
	unsigned long scan; /* number of the current full scan */
	bool trigger_running;
	msec_t forgot; /* events were lost then: no file is known quiet before
			*/
	size_t *stale; /* files to check in settle_evaluate() */
	size_t capstale;
	bool expired; /* the timeout passed with only failing files left */
	long peers;   /* condition 5: members alive at the last look */
	pid_t peer;   /* one of them */
	bool early;   /* the last evaluation ended the window early */
};

/* Something changed at when: the quiet window starts again (settle.c). */
void settle_note_change(struct settle *s, msec_t when);

/* f showed up, new or back after it went, with signature sig, seen as
 * origin says: is it a file that went under another name, a rename? Then
 * f counts when the old name did, and when the contents are the same it
 * keeps the old name's window (f->changed_at) and returns true: no change
 * (settle_gone.c). */
bool settle_came_back(struct settle *s, struct sfile *f, const struct fsig *sig,
		      enum origin origin);

#endif
