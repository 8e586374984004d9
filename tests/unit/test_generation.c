/* test_generation.c: unit tests of the generation rule (generation.c): which
 * processes of a snapshot were born with a writer. The snapshots are the
 * process trees of the flows it serves: gunicorn restarted with SIGHUP, a
 * multiprocessing pool, and what is no generation at all. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "generation.h"

#define GAP 50 /* 500 ms at 100 ticks a second */

static struct gen_proc
proc(pid_t pid, pid_t ppid, unsigned long long start, const char *comm)
{
	struct gen_proc p;

	memset(&p, 0, sizeof(p));
	p.pid = pid;
	p.ppid = ppid;
	p.start = start;
	p.alive = true;
	snprintf(p.comm, sizeof(p.comm), "%s", comm);
	return p;
}

/* The pids of w's generation in procs, sorted as procs, 0-terminated. */
static size_t
members(const struct gen_proc *w, const struct gen_proc *procs, size_t n,
	unsigned long long trigger, pid_t *out)
{
	struct gen_rule r = { GAP, trigger };
	size_t idx[32], i, k;

	k = generation_of(w, procs, n, &r, idx, 32);
	for (i = 0; i < k && i < 32; i++)
		out[i] = procs[idx[i]].pid;
	out[i] = 0;
	return k;
}

/* gunicorn after SIGHUP: the master (100) forked 2 workers at 1000, then the
 * restart's 2 new ones at 1400, before the old ones exit. */
static const char W[] = "gunicorn: worke";

Test(generation, restart_old_workers_not_the_new_ones)
{
	struct gen_proc p[] = {
		proc(100, 1, 900, "gunicorn: maste"),
		proc(201, 100, 1000, W),
		proc(202, 100, 1007, W),
		proc(301, 100, 1400, W),
		proc(302, 100, 1409, W),
	};
	pid_t got[33];

	cr_expect_eq(members(&p[1], p, 5, 0, got), 1);
	cr_expect_eq(got[0], 202);
	cr_expect_eq(members(&p[2], p, 5, 0, got), 1);
	cr_expect_eq(got[0], 201);
	/* The new workers are a generation of their own, for the next
	 * restart. */
	cr_expect_eq(members(&p[3], p, 5, 0, got), 1);
	cr_expect_eq(got[0], 302);
}

/* 4 workers forked 40 ticks apart: 120 ticks from the first to the last,
 * wider than the gap, yet one burst: no two neighbours are further apart. */
Test(generation, a_burst_is_a_chain_of_close_forks)
{
	struct gen_proc p[] = {
		proc(201, 100, 1000, W), proc(202, 100, 1040, W),
		proc(203, 100, 1080, W), proc(204, 100, 1120, W),
		proc(301, 100, 1171, W), /* 51 ticks after the last: later */
	};
	pid_t got[33];

	cr_expect_eq(members(&p[0], p, 5, 0, got), 3);
	cr_expect_eq(got[0], 202);
	cr_expect_eq(got[2], 204);
	cr_expect_eq(members(&p[3], p, 5, 0, got), 3);
	cr_expect_eq(got[0], 201);
}

/* The writer itself gone (reaped, not in the snapshot): its facts, read
 * while it saved, still place it. */
Test(generation, writer_gone_from_the_snapshot)
{
	struct gen_proc w = proc(201, 100, 1000, W);
	struct gen_proc p[] = { proc(202, 100, 1010, W),
				proc(301, 100, 5000, W) };
	pid_t got[33];

	cr_expect_eq(members(&w, p, 2, 0, got), 1);
	cr_expect_eq(got[0], 202);
}

/* --trigger: every sibling forked before the trigger is of the
 * generation, even one that replaced a worker long after the others (a
 * max_requests restart); the restart's workers, forked after, are not. */
Test(generation, trigger_cuts_at_its_start)
{
	struct gen_proc p[] = {
		proc(201, 100, 1000, W), proc(202, 100, 1007, W),
		proc(203, 100, 3000, W), /* replaced a worker at 3000 */
		proc(301, 100, 4000, W), proc(302, 100, 4001, W),
	};
	pid_t got[33];

	cr_expect_eq(members(&p[0], p, 5, 3999, got), 2);
	cr_expect_eq(got[0], 202);
	cr_expect_eq(got[1], 203);
	/* Forked in the trigger's own tick: after it, not of the
	 * generation. */
	cr_expect_eq(members(&p[0], p, 5, 4000, got), 2);
	/* Without the trigger, the replacement is a burst of its own. */
	cr_expect_eq(members(&p[0], p, 5, 0, got), 1);
}

/* Children of pid 1 are the whole system: a trigger does not make every
 * daemon started before it a peer; the burst still bounds them. */
Test(generation, orphans_of_pid_1_keep_the_burst)
{
	struct gen_proc p[] = {
		proc(201, 1, 1000, W), proc(202, 1, 1010, W),
		proc(50, 1, 10, W), /* a service started at boot */
	};
	pid_t got[33];

	cr_expect_eq(members(&p[0], p, 3, 2000, got), 1);
	cr_expect_eq(got[0], 202);
}

/* A multiprocessing pool: the workers, not the helper the parent forked in
 * the same moment under another name, nor another parent's children. */
Test(generation, pool_workers_only)
{
	struct gen_proc p[] = {
		proc(401, 400, 500, "python3"), proc(402, 400, 501, "python3"),
		proc(403, 400, 501, "python3"), proc(404, 400, 502, "sleep"),
		proc(501, 500, 500, "python3"), /* another parent's */
	};
	pid_t got[33];

	cr_expect_eq(members(&p[1], p, 5, 0, got), 2);
	cr_expect_eq(got[0], 401);
	cr_expect_eq(got[1], 403);
}

/* No parent known, nothing to wait for; and the count when out is short. */
Test(generation, no_parent_and_a_short_buffer)
{
	struct gen_proc p[] = { proc(201, 0, 1000, W), proc(202, 0, 1000, W),
				proc(203, 0, 1000, W) };
	struct gen_rule r = { GAP, 0 };
	size_t idx[1];

	cr_expect_eq(generation_of(&p[0], p, 3, &r, idx, 1), 0);
	p[0].ppid = p[1].ppid = p[2].ppid = 7;
	cr_expect_eq(generation_of(&p[0], p, 3, &r, idx, 1), 2);
	cr_expect_eq(idx[0], 1);
}
