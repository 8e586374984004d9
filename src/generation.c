/* generation.c: which processes were born with a data file's writer.
 *
 * A program that measures several processes (gunicorn's workers, a
 * multiprocessing pool, pytest-xdist) forks them from one parent in a
 * burst; each saves its data file as it exits, and they may exit seconds
 * apart. When the first of them has saved, its siblings are the rest of
 * its generation: those still alive will save too. Two traps bound the
 * generation:
 *  - the processes that replace them. After a graceful restart (gunicorn's
 *    SIGHUP) the parent forks new workers before the old ones exit; those
 *    are measured too, but save only at the next restart. They are born
 *    later, after a gap: the generation is the burst the writer was born
 *    in, its siblings sorted by start time with no gap wider than
 *    gen_rule.gap between neighbours. With --trigger the cut is exact:
 *    the generation is the siblings that existed before the trigger ran
 *    (of a parent other than pid 1, whose children are the whole system);
 *  - processes that are no writers. A sibling must carry the writer's
 *    command name (the worker's, not a helper's the parent started at the
 *    same time).
 * Nothing here reads /proc: genproc.c gives the facts. */
#include "generation.h"

#include <string.h>

/* Is p a sibling of w that can be of its generation? */
static bool
sibling(const struct gen_proc *w, const struct gen_proc *p)
{
	return p->ppid == w->ppid && p->pid != w->pid &&
	       strcmp(p->comm, w->comm) == 0;
}

/* The earliest and latest start times of w's burst: widened while some
 * sibling started within gap of its edge. */
static void
burst(const struct gen_proc *w, const struct gen_proc *procs, size_t n,
      unsigned long long gap, unsigned long long *lo, unsigned long long *hi)
{
	bool grew = true;
	size_t i;

	*lo = *hi = w->start;
	while (grew) {
		grew = false;
		for (i = 0; i < n; i++) {
			const struct gen_proc *p = &procs[i];

			if (!sibling(w, p))
				continue;
			if (p->start < *lo && *lo - p->start <= gap) {
				*lo = p->start;
				grew = true;
			} else if (p->start > *hi && p->start - *hi <= gap) {
				*hi = p->start;
				grew = true;
			}
		}
	}
}

size_t
generation_of(const struct gen_proc *w, const struct gen_proc *procs, size_t n,
	      const struct gen_rule *r, size_t *out, size_t cap)
{
	unsigned long long lo = 0, hi = 0;
	bool whole = r->trigger != 0 && w->ppid != 1;
	size_t i, k = 0;

	if (w->ppid <= 0)
		return 0;
	if (!whole)
		burst(w, procs, n, r->gap, &lo, &hi);
	for (i = 0; i < n; i++) {
		const struct gen_proc *p = &procs[i];

		if (!sibling(w, p))
			continue;
		if (r->trigger != 0 && p->start >= r->trigger)
			continue;
		if (!whole && (p->start < lo || p->start > hi))
			continue;
		if (k < cap)
			out[k] = i;
		k++;
	}
	return k;
}
