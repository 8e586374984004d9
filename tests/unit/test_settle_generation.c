/* test_settle_generation.c: unit tests of the settle rule's generation
 * (condition 5) and early end (settle.c). Time is a number the test passes
 * in; the I/O is a fake: every file checks ok, each writer is in the state
 * the test sets, and the processes of the writers' generations still alive
 * are a number the test sets. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "fsig.h"
#include "settle.h"
#include "settle_describe.h"

static struct {
	enum writer_state writer; /* of every file */
	pid_t writer_pid;
	long peers; /* alive */
	pid_t peer;
	int checks, writers, peer_calls;
} fk;

static void
fake_check(void *ctx, struct sfile *f)
{
	(void)ctx;
	fk.checks++;
	memset(&f->check, 0, sizeof(f->check));
	f->check.verdict = V_OK;
}

static void
fake_writer(void *ctx, struct sfile *f)
{
	(void)ctx;
	fk.writers++;
	f->writer = fk.writer;
	f->pid = fk.writer_pid;
}

static long
fake_peers(void *ctx, pid_t *pid)
{
	(void)ctx;
	fk.peer_calls++;
	*pid = fk.peers > 0 ? fk.peer : 0;
	return fk.peers;
}

static const struct settle_io io = { fake_check, fake_writer, NULL, NULL,
				     fake_peers };
/* --ignore-writers: no generation, no early end. */
static const struct settle_io blind = { fake_check, fake_writer, NULL, NULL,
					NULL };

#define A ".coverage.h.11.111111"
#define B ".coverage.h.22.222222"
#define U ".coverage.h_.pid33.Xabc123x"

static struct settle *
mk(long expect)
{
	struct settle_opts o = { .expect = expect, .debounce = 500 };

	memset(&fk, 0, sizeof(fk));
	fk.writer = WR_GONE;
	return settle_new(&o);
}

static void
seen(struct settle *s, const char *name, ino_t ino, msec_t when)
{
	struct fsig g = fsig_of(ino, 4096, 0);

	settle_seen(s, name, &g, SEEN_EVENT, when);
}

/* gunicorn's first old worker has saved and exited; its sibling lives on:
 * the window passes, and the rule waits for the sibling's exit (its pid
 * handed to the caller to follow), then for its file. */
Test(settle_generation, waits_for_the_live_members)
{
	struct settle *s = mk(1);
	struct settle_wait w;
	char why[512];

	seen(s, A, 10, 1000);
	fk.peers = 1;
	fk.peer = 22;
	cr_expect_eq(settle_evaluate(s, 1600, &io, &w), ST_WAITING);
	cr_expect_str_eq(w.why, "generation");
	cr_expect_eq(w.pid, 22);
	cr_expect_eq(w.at, -1, "nothing to wake for but the member's exit");
	settle_describe(s, 1600, why, sizeof(why));
	cr_expect(strstr(why, "1 process born with the writers still running "
			      "(pid 22)") != NULL,
		  "%s", why);
	/* Long after any window: still waiting, never settled on one file. */
	cr_expect_eq(settle_evaluate(s, 60000, &io, &w), ST_WAITING);
	cr_expect_eq(settle_expire(s, 60000), ST_WAITING, "a timeout, exit 3");

	/* The member saves and exits. */
	seen(s, B, 11, 61000);
	fk.peers = 0;
	cr_expect_eq(settle_evaluate(s, 61000 + 500, &io, &w), ST_SETTLED);
	cr_expect_eq(settle_counted(s), 2);
	settle_free(s);
}

/* Without the writers followed, one file settles the default, as before. */
Test(settle_generation, ignore_writers_settles_on_the_count)
{
	struct settle *s = mk(1);
	struct settle_wait w;

	seen(s, A, 10, 1000);
	fk.peers = 1;
	cr_expect_eq(settle_evaluate(s, 1200, &blind, &w), ST_WAITING);
	cr_expect_str_eq(w.why, "quiet");
	cr_expect_eq(settle_evaluate(s, 1500, &blind, &w), ST_SETTLED);
	cr_expect_eq(fk.peer_calls, 0);
	cr_expect(!settle_early(s));
	settle_free(s);
}

/* The early end: both files' writers seen to exit, checked after that, no
 * member alive: settled 10 ms after the last change, not 500. */
Test(settle_generation, early_end_when_every_file_is_proven)
{
	struct settle *s = mk(1);
	struct settle_wait w;

	seen(s, A, 10, 1000);
	seen(s, B, 11, 1002);
	cr_expect_eq(settle_evaluate(s, 1012, &io, &w), ST_SETTLED);
	cr_expect(settle_early(s));
	cr_expect_eq(fk.checks, 2);
	settle_free(s);
}

/* A writer still alive: no early end; its pid is followed so that its exit
 * wakes the caller inside the window, which then ends early. Its file is
 * checked again after the exit: the check before may predate its last
 * write. */
Test(settle_generation, early_end_waits_for_a_live_writer)
{
	struct settle *s = mk(1);
	struct settle_wait w;
	int before;

	seen(s, A, 10, 1000);
	fk.writer = WR_ALIVE;
	fk.writer_pid = 11;
	cr_expect_eq(settle_evaluate(s, 1010, &io, &w), ST_WAITING);
	cr_expect_str_eq(w.why, "quiet");
	cr_expect_eq(w.at, 1500);
	cr_expect_eq(w.pid, 11);
	cr_expect(!settle_early(s));
	before = fk.checks;
	fk.writer = WR_GONE;
	cr_expect_eq(settle_evaluate(s, 1100, &io, &w), ST_SETTLED);
	cr_expect(settle_early(s));
	cr_expect_eq(fk.checks, before + 1, "checked after the writer exited");
	settle_free(s);
}

/* No early end while a member of the generation lives, for a writer not
 * seen (another host: no pid to see gone), for an unfinished save, or
 * within a window of lost events. */
Test(settle_generation, no_early_end_without_proof)
{
	struct settle *s = mk(1);
	struct settle_wait w;

	seen(s, A, 10, 1000);
	fk.peers = 2;
	fk.peer = 44;
	cr_expect_eq(settle_evaluate(s, 1010, &io, &w), ST_WAITING);
	cr_expect_str_eq(w.why, "quiet");
	cr_expect_eq(w.pid, 44, "the member's exit wakes the caller");
	settle_free(s);

	s = mk(1);
	seen(s, A, 10, 1000);
	fk.writer = WR_QUIET;
	cr_expect_eq(settle_evaluate(s, 1010, &io, &w), ST_WAITING);
	cr_expect_str_eq(w.why, "quiet");
	/* No evidence: not probed again for the early end until it changes,
	 * but tested again when the window has passed. */
	cr_expect_eq(settle_evaluate(s, 1020, &io, &w), ST_WAITING);
	cr_expect_eq(fk.writers, 1);
	seen(s, A, 10, 1030);
	cr_expect_eq(settle_evaluate(s, 1040, &io, &w), ST_WAITING);
	cr_expect_eq(fk.writers, 2);
	cr_expect_eq(settle_evaluate(s, 1530, &io, &w), ST_SETTLED);
	cr_expect_eq(fk.writers, 3);
	cr_expect(!settle_early(s));
	settle_free(s);

	s = mk(1);
	seen(s, U, 10, 1000);
	cr_expect_eq(settle_evaluate(s, 1010, &io, &w), ST_WAITING);
	cr_expect_str_eq(w.why, "quiet");
	settle_free(s);

	s = mk(1);
	seen(s, A, 10, 1000);
	settle_forget(s, 1001);
	cr_expect_eq(settle_evaluate(s, 1010, &io, &w), ST_WAITING);
	cr_expect_str_eq(w.why, "quiet");
	settle_free(s);
}

/* The early end never skips the count or the trigger. */
Test(settle_generation, early_end_keeps_count_and_trigger)
{
	struct settle *s = mk(2);
	struct settle_wait w;

	seen(s, A, 10, 1000);
	cr_expect_eq(settle_evaluate(s, 1010, &io, &w), ST_WAITING);
	cr_expect_str_eq(w.why, "count");
	settle_free(s);

	s = mk(1);
	settle_trigger(s, true, 900);
	seen(s, A, 10, 1000);
	cr_expect_eq(settle_evaluate(s, 1010, &io, &w), ST_WAITING);
	cr_expect_str_eq(w.why, "trigger");
	settle_trigger(s, false, 1020);
	cr_expect_eq(settle_evaluate(s, 1030, &io, &w), ST_SETTLED);
	cr_expect(settle_early(s));
	settle_free(s);
}

/* Many files: the early end would cost a probe each; the window serves. */
Test(settle_generation, no_early_end_for_many_files)
{
	struct settle *s = mk(1);
	struct settle_wait w;
	char name[64];
	int i;

	for (i = 0; i < 65; i++) {
		snprintf(name, sizeof(name), ".coverage.h.%d.111111", 100 + i);
		seen(s, name, (ino_t)(100 + i), 1000);
	}
	cr_expect_eq(settle_evaluate(s, 1010, &io, &w), ST_WAITING);
	cr_expect_str_eq(w.why, "quiet");
	cr_expect_eq(fk.writers, 0);
	cr_expect_eq(settle_evaluate(s, 1500, &io, &w), ST_SETTLED);
	settle_free(s);
}
