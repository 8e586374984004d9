/* generation.h: the generation of a data file's writer, the processes born
 * with it that will write too. Pure logic over a snapshot of process facts
 * (what /proc/PID/stat says of each), so tests can feed it any process
 * tree; genproc.h reads those facts from /proc. */
#ifndef COVSETTLE_GENERATION_H
#define COVSETTLE_GENERATION_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define GEN_COMM 16 /* a command name, as /proc/PID/stat has it */

/* One process, as /proc/PID/stat shows it. */
struct gen_proc {
	pid_t pid;
	pid_t ppid;
	unsigned long long start; /* starttime: clock ticks after boot */
	bool alive;		  /* running or stopped: not a zombie */
	char comm[GEN_COMM + 1];
};

/* Where one generation ends. */
struct gen_rule {
	/* Siblings started further apart than this (clock ticks) belong to
	 * different bursts. */
	unsigned long long gap;
	/* --trigger: when it started (clock ticks after boot), or 0. */
	unsigned long long trigger;
};

/* The generation of writer w among procs (n of them; w need not be one):
 * its siblings (same ppid, not 0) with its command name, started in the
 * same burst as w (no gap wider than r->gap in their start times, sorted)
 * and, with a trigger, before the trigger; with a trigger and a parent
 * other than pid 1, every such sibling started before it, burst or not.
 * Writes up to cap indexes into procs to out, w's own entry left out;
 * returns how many there are. */
size_t generation_of(const struct gen_proc *w, const struct gen_proc *procs,
		     size_t n, const struct gen_rule *r, size_t *out,
		     size_t cap);

#endif
