/* test_settle.c: unit tests of the settle rule (settle.c). Pure logic:
 * time is a number the test passes in, and the I/O that would check a
 * file and test its writer is a fake that answers from a table. The
 * sequences of one shape (files seen, gone, deleted or found by scans,
 * the fake's answers, evaluations at given times, and what each should
 * give: states, counts, vanished files and losses, the status line) are
 * rows of `sequences`, a table of steps; `one_file` is every verdict with
 * every writer state; the cases of another shape (each field of a
 * signature, threads, many files, every buffer size) are tests of their
 * own. */
#include <criterion/criterion.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include "pool.h"
#include "fsig.h"
#include "settle.h"
#include "settle_describe.h"

/* ---- the fake I/O ---- */

#define FAKE_MAX 16

struct fake_file {
	const char *name;
	enum verdict verdict;
	enum writer_state writer;
	pid_t pid;
	int checks;  /* check() calls for this name */
	int writers; /* writer() calls for this name */
	bool mended; /* after its next check, the verdict becomes V_OK */
	const char *evidence; /* what its writer test found, or NULL */
};

struct fake {
	struct fake_file f[FAKE_MAX];
	size_t n;
	int checks, writers; /* all calls */
};

/* The table entry for name; new names are ok with a quiet writer. */
static struct fake_file *
fake_get(struct fake *k, const char *name)
{
	size_t i;

	for (i = 0; i < k->n; i++)
		if (strcmp(k->f[i].name, name) == 0)
			return &k->f[i];
	cr_assert_lt(k->n, FAKE_MAX);
	k->f[k->n].name = name;
	k->f[k->n].verdict = V_OK;
	k->f[k->n].writer = WR_QUIET;
	return &k->f[k->n++];
}

static void
fake_set(struct fake *k, const char *name, enum verdict v, enum writer_state w,
	 pid_t pid)
{
	struct fake_file *e = fake_get(k, name);

	e->verdict = v;
	e->writer = w;
	e->pid = pid;
}

static void
fake_check(void *ctx, struct sfile *f)
{
	struct fake *k = ctx;
	struct fake_file *e = fake_get(k, f->name);

	k->checks++;
	e->checks++;
	memset(&f->check, 0, sizeof(f->check));
	f->check.verdict = e->verdict;
	snprintf(f->check.reason, sizeof(f->check.reason), "fake %s",
		 verdict_name(e->verdict));
	if (e->mended) { /* its writer finishes right after this check */
		e->verdict = V_OK;
		e->mended = false;
	}
}

static void
fake_writer(void *ctx, struct sfile *f)
{
	struct fake *k = ctx;
	struct fake_file *e = fake_get(k, f->name);

	k->writers++;
	e->writers++;
	f->writer = e->writer;
	f->pid = e->pid;
	if (e->evidence != NULL)
		snprintf(f->evidence, sizeof(f->evidence), "%s", e->evidence);
}

static struct fake fk;
static const struct settle_io io = { fake_check, fake_writer, &fk, NULL, NULL };

/* A table made with options o, and a fake with no answers set. */
static struct settle *
mk_opts(const struct settle_opts *o)
{
	memset(&fk, 0, sizeof(fk));
	return settle_new(o);
}

static struct settle *
mk(long expect, msec_t debounce, bool new_only)
{
	struct settle_opts o = { .expect = expect,
				 .debounce = debounce,
				 .new_only = new_only };

	return mk_opts(&o);
}

static void
seen(struct settle *s, const char *name, ino_t ino, off_t size, enum origin o,
     msec_t when)
{
	struct fsig g = fsig_of(ino, size, 100);

	settle_seen(s, name, &g, o, when);
}

/* Evaluate at now with the I/O `with` into w, poisoned first so that
 * every field is set. */
static enum settle_state
eval_io(struct settle *s, msec_t now, const struct settle_io *with,
	struct settle_wait *w)
{
	w->at = -777;
	w->pid = -777;
	w->why = "poison";
	return settle_evaluate(s, now, with, w);
}

static enum settle_state
eval(struct settle *s, msec_t now, struct settle_wait *w)
{
	return eval_io(s, now, &io, w);
}

#define A ".coverage.h.11.111111"
#define B ".coverage.h.22.222222"
#define C ".coverage.h.33.333333"
/* A save under way (coverage.py 7.13.1 and later), and its finished name. */
#define U ".coverage.h.pid44.Xa1B2c3x"
#define F U ".H0123456789h"

/* Assert a waiting state with its reason and next time. */
#define expect_wait(st, w, why_, at_)                                          \
	do {                                                                   \
		cr_expect_eq((st), ST_WAITING, "state %d, expected waiting",   \
			     (int)(st));                                       \
		cr_expect_not_null((w).why);                                   \
		if ((w).why != NULL)                                           \
			cr_expect_str_eq((w).why, (why_));                     \
		cr_expect_eq((w).at, (msec_t)(at_),                            \
			     "w.at %lld, expected %lld", (long long)(w).at,    \
			     (long long)(at_));                                \
	} while (0)

/* ---- sequences: a table of steps ---- */

/* A step of a sequence: something that happens to the table at a time, or
 * what the test expects then. */
enum op {
	STEPS_END, /* the end of the sequence (a row's unused steps) */
	SET,	   /* the fake's answers for name: verdict n, writer m, pid k */
	SEEN,	   /* settle_seen(name) at t: inode n, size m, origin k */
	EVAL,	   /* settle_evaluate() at t is st (NO_ASSERT: not asserted) */
	WAIT,	 /* settle_evaluate() at t waits for why (NULL: any) until at */
	PID,	 /* the last evaluation's w.pid is n */
	EXPIRE,	 /* settle_expire() at t is st */
	TOUCH,	 /* settle_touch() at t */
	FORGET,	 /* settle_forget() at t */
	TRIGGER, /* settle_trigger() at t, running n */
	CHECKS,	 /* check() ran n times: in all, or for name */
	WRITERS, /* writer() ran n times in all */
	COUNTED, /* settle_counted() is n */
	READY,	 /* settle_ready() is n */
	LAST,	 /* settle_last_change() is t */
	CHANGED, /* name's changed_at is t */
	CHECKED, /* name's checked is n */
	COUNTS,	 /* name's counts is n */
	VERDICT, /* name's verdict is n */
	WRITER,	 /* name's writer state is n */
	/* files that go, and full scans */
	GONE,	     /* settle_gone(name) at t */
	DELETED,     /* settle_deleted(name) at t */
	SCAN_BEGIN,  /* settle_scan_begin() */
	SCAN_END,    /* settle_scan_end() at t */
	QUARANTINE,  /* settle_quarantine(name) */
	NVANISHED,   /* settle_nvanished() is n */
	NLOST,	     /* settle_nlost() is n */
	VANISHED,    /* vanished file m is named str */
	VINODE,	     /* vanished file m is on device k, inode n */
	RENAMABLE,   /* vanished file m's renamable is n */
	LOSS,	     /* vanished file m's loss is n */
	PRESENT,     /* name's present is n */
	QUARANTINED, /* name's quarantined is n */
	/* the file's state */
	UNFINISHED, /* name's unfinished is n */
	INVALID,    /* settle_invalid(name) is n */
	REASON,	    /* name's check reason is str */
	MEND,	    /* the fake's verdict for name is ok after its next check */
	EVIDENCE,   /* the fake's writer test of name finds str */
	UNCHECK,    /* name's verdict is taken again at the next evaluation */
	QUIET_LEFT, /* settle_quiet_left() at t is n */
	DESCRIBE,   /* settle_describe() at t is str */
	DESCRIBES,  /* settle_describe() at t holds str (n 1) or not (n 0) */
	/* the stale files are checked together */
	BATCHING, /* evaluations from here on pass check_all (batch_io) */
	BATCHES,  /* check_all ran n times */
	BATCHED,  /* check_all's batch m had n files */
};

#define NO_ASSERT (-1)

struct step {
	enum op op;
	const char *name;
	msec_t t;
	long n, m, k;
	int st; /* enum settle_state, or NO_ASSERT */
	const char *why;
	msec_t at;
	const char *str; /* a string expected */
};

/* One step a line: the tables below read as what they build. */
/* clang-format off */
#define SET(nm, v, wr, pid) { .op = SET, .name = (nm), .n = (v), .m = (wr), .k = (pid) }
#define SEEN(nm, ino, size, origin, t_) { .op = SEEN, .name = (nm), .n = (ino), .m = (size), .k = (origin), .t = (t_) }
#define EVAL(t_, st_) { .op = EVAL, .t = (t_), .st = (st_) }
#define WAIT(t_, why_, at_) { .op = WAIT, .t = (t_), .why = (why_), .at = (at_) }
#define PID(pid) { .op = PID, .n = (pid) }
#define EXPIRE(t_, st_) { .op = EXPIRE, .t = (t_), .st = (st_) }
#define TOUCH(t_) { .op = TOUCH, .t = (t_) }
#define FORGET(t_) { .op = FORGET, .t = (t_) }
#define TRIGGER(running, t_) { .op = TRIGGER, .n = (running), .t = (t_) }
#define CHECKS(n_) { .op = CHECKS, .n = (n_) }
#define CHECKS_OF(nm, n_) { .op = CHECKS, .name = (nm), .n = (n_) }
#define WRITERS(n_) { .op = WRITERS, .n = (n_) }
#define COUNTED(n_) { .op = COUNTED, .n = (n_) }
#define READY(n_) { .op = READY, .n = (n_) }
#define LAST(t_) { .op = LAST, .t = (t_) }
#define CHANGED(nm, t_) { .op = CHANGED, .name = (nm), .t = (t_) }
#define CHECKED(nm, yes) { .op = CHECKED, .name = (nm), .n = (yes) }
#define COUNTS(nm, yes) { .op = COUNTS, .name = (nm), .n = (yes) }
#define VERDICT(nm, v) { .op = VERDICT, .name = (nm), .n = (v) }
#define WRITER(nm, wr) { .op = WRITER, .name = (nm), .n = (wr) }
#define GONE(nm, t_) { .op = GONE, .name = (nm), .t = (t_) }
#define DELETED(nm, t_) { .op = DELETED, .name = (nm), .t = (t_) }
#define SCAN_BEGIN() { .op = SCAN_BEGIN }
#define SCAN_END(t_) { .op = SCAN_END, .t = (t_) }
#define QUARANTINE(nm) { .op = QUARANTINE, .name = (nm) }
#define NVANISHED(n_) { .op = NVANISHED, .n = (n_) }
#define NLOST(n_) { .op = NLOST, .n = (n_) }
#define VANISHED(i, nm) { .op = VANISHED, .m = (i), .str = (nm) }
#define VINODE(i, dev, ino) { .op = VINODE, .m = (i), .k = (dev), .n = (ino) }
#define RENAMABLE(i, yes) { .op = RENAMABLE, .m = (i), .n = (yes) }
#define LOSS(i, yes) { .op = LOSS, .m = (i), .n = (yes) }
#define PRESENT(nm, yes) { .op = PRESENT, .name = (nm), .n = (yes) }
#define QUARANTINED(nm, yes) { .op = QUARANTINED, .name = (nm), .n = (yes) }
#define UNFINISHED(nm, yes) { .op = UNFINISHED, .name = (nm), .n = (yes) }
#define INVALID(nm, yes) { .op = INVALID, .name = (nm), .n = (yes) }
#define REASON(nm, s) { .op = REASON, .name = (nm), .str = (s) }
#define MEND(nm) { .op = MEND, .name = (nm) }
#define EVIDENCE(nm, s) { .op = EVIDENCE, .name = (nm), .str = (s) }
#define UNCHECK(nm) { .op = UNCHECK, .name = (nm) }
#define QUIET_LEFT(t_, n_) { .op = QUIET_LEFT, .t = (t_), .n = (n_) }
#define DESCRIBE(t_, s) { .op = DESCRIBE, .t = (t_), .str = (s) }
#define DESCRIBES(t_, s, yes) { .op = DESCRIBES, .t = (t_), .str = (s), .n = (yes) }
#define BATCHING() { .op = BATCHING }
#define BATCHES(n_) { .op = BATCHES, .n = (n_) }
#define BATCHED(i, n_) { .op = BATCHED, .m = (i), .n = (n_) }
/* clang-format on */

#define EV   SEEN_EVENT
#define SCAN SEEN_RESCAN
#define INIT SEEN_INITIAL
#define DONE ST_SETTLED

/* A table made with its options (--expect, --debounce, --new-only, and
 * since: where the wait's own time begins), and what happens to it, step
 * by step. */
static const struct sequence {
	const char *what;
	struct settle_opts o;
	struct step steps[28];
} sequences[] = {
	/* ---- count and quiet window ---- */
	{ "one file, quiet window",
	  { .expect = 1, .debounce = 500 },
	  { WAIT(0, "count", -1), PID(0), LAST(INT64_MIN),
	    SEEN(A, 10, 4096, EV, 1000), LAST(1000), COUNTED(1),
	    WAIT(1200, "quiet", 1500), WAIT(1499, "quiet", 1500),
	    CHECKS(0), /* none inside the quiet window */
	    READY(0), EVAL(1500, DONE), CHECKS(1), WRITERS(1), READY(1),
	    VERDICT(A, V_OK), WRITER(A, WR_QUIET), CHECKED(A, 1) } },
	{ "--expect 0, empty directory",
	  { .expect = 0, .debounce = 500 },
	  { EVAL(0, DONE), EVAL(-5000, DONE), CHECKS(0) } },
	{ "--expect 0 waits for quiet",
	  { .expect = 0, .debounce = 500 },
	  { TOUCH(1000), WAIT(1100, "quiet", 1500), EVAL(1500, DONE) } },
	{ "--expect 2",
	  { .expect = 2, .debounce = 500 },
	  { SEEN(A, 10, 4096, EV, 1000), WAIT(1600, "count", -1),
	    WAIT(1000000, "count", -1),
	    CHECKS(1), /* quiet for the window on its own: checked early */
	    SEEN(B, 11, 4096, EV, 1000100), COUNTED(2),
	    WAIT(1000200, "quiet", 1000600), EVAL(1000600, DONE), CHECKS(2) } },
	{ "more than expected settles",
	  { .expect = 1, .debounce = 500 },
	  { SEEN(A, 10, 4096, EV, 1000), SEEN(B, 11, 4096, EV, 1100),
	    SEEN(C, 12, 4096, EV, 1050),
	    LAST(1100), /* an older change does not move it back */
	    EVAL(1600, DONE), CHECKS(3) /* every counted file */ } },

	/* ---- what is a change ---- */
	{ "an event with the same signature is a change",
	  { .expect = 1, .debounce = 500 },
	  { SEEN(A, 10, 4096, EV, 1000), EVAL(1500, DONE),
	    SEEN(A, 10, 4096, EV, 2000), LAST(2000), CHANGED(A, 2000),
	    CHECKED(A, 0), WAIT(2100, "quiet", 2500), EVAL(2500, DONE),
	    CHECKS(2) /* checked again after the change */ } },
	{ "a rescan with the same signature is no change",
	  { .expect = 1, .debounce = 500 },
	  { SEEN(A, 10, 4096, EV, 1000), EVAL(1500, DONE),
	    SEEN(A, 10, 4096, SCAN, 2000), LAST(1000), CHANGED(A, 1000),
	    EVAL(2000, DONE), CHECKS(1) /* not checked again */ } },
	{ "a file of the first scan from long ago settles at once",
	  { .expect = 1, .debounce = 500 },
	  { SEEN(A, 10, 4096, INIT, -3600000), COUNTED(1), EVAL(0, DONE),
	    CHECKS(1) } },
	{ "a file of the first scan written just now waits",
	  { .expect = 1, .debounce = 500 },
	  { SEEN(A, 10, 4096, INIT, -100), WAIT(0, "quiet", 400),
	    EVAL(400, DONE) } },

	/* ---- --new-only ---- */
	{ "--new-only",
	  { .expect = 1, .debounce = 500, .new_only = true },
	  { SEEN(A, 10, 4096, INIT, -3600000), COUNTED(0), COUNTS(A, 0),
	    WAIT(0, "count", -1),
	    /* written after the watch was armed, same stat */
	    SEEN(A, 10, 4096, EV, 1000), COUNTS(A, 1), COUNTED(1),
	    WAIT(1000, "quiet", 1500), EVAL(1500, DONE) } },
	{ "--new-only: old files are not checked",
	  { .expect = 1, .debounce = 500, .new_only = true },
	  { SET(A, V_INCOMPLETE, WR_QUIET, 0),
	    SEEN(A, 10, 4096, INIT, -3600000), SEEN(B, 11, 4096, EV, 1000),
	    COUNTED(1), EVAL(1500, DONE), CHECKS_OF(A, 0), CHECKS_OF(B, 1) } },
	{ "--new-only --expect 0 ignores old files",
	  { .expect = 0, .debounce = 500, .new_only = true },
	  { SET(A, V_CORRUPT, WR_GONE, 0), SEEN(A, 10, 4096, INIT, -3600000),
	    EVAL(0, DONE), CHECKS(0) } },

	/* ---- writers ---- */
	{ "writer alive",
	  { .expect = 1, .debounce = 500 },
	  { SET(A, V_OK, WR_ALIVE, 4711), SEEN(A, 10, 4096, EV, 1000),
	    WAIT(1500, "writers", -1), PID(4711), READY(0),
	    /* still alive: asked again, no new check */
	    WAIT(1600, "writers", -1), PID(4711), WRITERS(2), CHECKS(1),
	    /* it exits */
	    SET(A, V_OK, WR_GONE, 4711), EVAL(1700, DONE), READY(1) } },
	{ "writer writing",
	  { .expect = 1, .debounce = 500 },
	  { SET(A, V_OK, WR_WRITING, 0), SEEN(A, 10, 4096, EV, 1000),
	    WAIT(1500, "writers", -1), PID(0), SET(A, V_OK, WR_QUIET, 0),
	    EVAL(1600, DONE) } },
	{ "the first live writer's pid",
	  { .expect = 2, .debounce = 500 },
	  { SET(A, V_OK, WR_WRITING, 0), SET(B, V_OK, WR_ALIVE, 22),
	    SEEN(A, 10, 4096, EV, 1000), SEEN(B, 11, 4096, EV, 1000),
	    WAIT(1500, "writers", -1),
	    PID(22) /* the live writer's, not the lease's 0 */ } },

	/* A process that may be the writer but cannot be read is held as
	 * alive: the rule waits on its pid, even with an ok verdict. */
	{ "a kept writer is waited for",
	  { .expect = 1, .debounce = 500 },
	  { SET(A, V_OK, WR_KEPT, 44), SEEN(A, 10, 4096, EV, 1000),
	    WAIT(1500, "writers", -1), PID(44), READY(0),
	    EXPIRE(1600, ST_WAITING), SET(A, V_OK, WR_UNKNOWN, 44),
	    EVAL(1700, DONE) } },
	{ "an unfinished save's writer",
	  { .expect = 1, .debounce = 500 },
	  { SET(U, V_INCOMPLETE, WR_ALIVE, 44), SEEN(U, 10, 4096, EV, 1000),
	    WAIT(1500, "writers", -1), PID(44) } },

	/* ---- failing checks ---- */
	{ "incomplete with a quiet writer waits",
	  { .expect = 1, .debounce = 500 },
	  { SET(A, V_INCOMPLETE, WR_QUIET, 0), SEEN(A, 10, 4096, EV, 1000),
	    WAIT(1500, "checks", -1), PID(0), WAIT(60000, "checks", -1),
	    CHECKS(1),
	    /* rewritten, now complete */
	    SET(A, V_OK, WR_QUIET, 0), SEEN(A, 10, 8192, EV, 61000),
	    WAIT(61000, "quiet", 61500), EVAL(61500, DONE) } },
	/* At the timeout with a file missing, it is a timeout. */
	{ "expire waits for the count",
	  { .expect = 2, .debounce = 500 },
	  { SET(A, V_SYMLINK, WR_QUIET, 0), SEEN(A, 10, 4096, EV, 1000),
	    EVAL(1500, ST_WAITING), EXPIRE(1600, ST_WAITING) } },
	{ "invalid only once the others settle",
	  { .expect = 2, .debounce = 500 },
	  { SET(A, V_OK, WR_ALIVE, 11), SET(B, V_INCOMPLETE, WR_GONE, 22),
	    SEEN(A, 10, 4096, EV, 1000), SEEN(B, 11, 4096, EV, 1000),
	    WAIT(1500, "writers", -1), PID(11), SET(A, V_OK, WR_QUIET, 11),
	    EVAL(1600, ST_INVALID) } },
	{ "invalid waits for a busy other",
	  { .expect = 2, .debounce = 500 },
	  { SET(A, V_BUSY, WR_QUIET, 0), SET(B, V_INCOMPLETE, WR_GONE, 22),
	    SEEN(A, 10, 4096, EV, 1000), SEEN(B, 11, 4096, EV, 1000),
	    WAIT(1500, "checks", 1600), SET(A, V_OK, WR_QUIET, 0),
	    EVAL(1600, ST_INVALID) } },
	{ "busy retries",
	  { .expect = 1, .debounce = 500 },
	  { SET(A, V_BUSY, WR_QUIET, 0), SEEN(A, 10, 4096, EV, 1000),
	    WAIT(1500, "checks", 1600), CHECKS(1), WAIT(1550, NULL, 1650),
	    CHECKS(2), /* a busy file is checked again */
	    SET(A, V_OK, WR_QUIET, 0), EVAL(1650, DONE), CHECKS(3) } },

	/* ---- the I/O runs once per change ---- */
	{ "checked once per change",
	  { .expect = 1, .debounce = 500 },
	  { SEEN(A, 10, 4096, EV, 1000), EVAL(1500, DONE), EVAL(1600, DONE),
	    EVAL(99999, DONE), CHECKS(1), WRITERS(1), FORGET(100000),
	    CHECKED(A, 0), WRITER(A, WR_UNPROBED),
	    WAIT(100000, "quiet", 100500), CHECKS(1), EVAL(100500, DONE),
	    CHECKS(2), /* settle_forget() forces a check */
	    WRITERS(2) } },
	{ "a failing file is not checked again without a change",
	  { .expect = 1, .debounce = 500 },
	  { SET(A, V_CORRUPT, WR_QUIET, 0), SEEN(A, 10, 4096, EV, 1000),
	    EVAL(1500, NO_ASSERT), EVAL(2000, NO_ASSERT), EVAL(3000, NO_ASSERT),
	    CHECKS(1), WRITERS(1) } },

	/* ---- early checks: files quiet on their own while the rule waits */
	{ "an early check waits for the file's own window",
	  { .expect = 3, .debounce = 500 },
	  { SEEN(A, 10, 4096, EV, 1000), WAIT(1200, "count", 1500),
	    CHECKS(0), /* none before its window passed */
	    WAIT(1500, "count", -1), CHECKS_OF(A, 1),
	    SEEN(B, 11, 4096, EV, 1600), WAIT(1700, "count", 2100),
	    CHECKS(1) } },
	{ "an early verdict is dropped when the file changes",
	  { .expect = 2, .debounce = 500 },
	  { SET(A, V_INCOMPLETE, WR_QUIET, 0), SEEN(A, 10, 4096, EV, 1000),
	    WAIT(1500, "count", -1), CHECKS_OF(A, 1),
	    /* written again: its early verdict no longer holds */
	    SET(A, V_OK, WR_QUIET, 0), SEEN(A, 10, 8192, EV, 1700),
	    SEEN(B, 11, 4096, EV, 1800), WAIT(2000, "quiet", 2200),
	    CHECKS_OF(A, 1), /* not checked before it is quiet */
	    WAIT(2200, "quiet", 2300), CHECKS_OF(A, 2), EVAL(2300, DONE),
	    CHECKS_OF(B, 1) } },
	{ "no early check within a window of lost events",
	  { .expect = 2, .debounce = 500 },
	  { SEEN(A, 10, 4096, EV, 0),
	    FORGET(2000), /* a queue overflow: a rescan follows */
	    SEEN(A, 10, 4096, SCAN, 2000), WAIT(2100, "count", 2500),
	    CHECKS(0), /* changes may be unseen */
	    EVAL(2500, NO_ASSERT), CHECKS(1) } },

	/* ---- the trigger ---- */
	{ "trigger",
	  { .expect = 0, .debounce = 500 },
	  { TRIGGER(1, 0), WAIT(100000, "trigger", -1), PID(0),
	    TRIGGER(0, 200000), LAST(200000), WAIT(200100, "quiet", 200500),
	    EVAL(200500, DONE) } },
	{ "the trigger comes before the count",
	  { .expect = 1, .debounce = 500 },
	  { TRIGGER(1, 0), WAIT(5000, "trigger", -1),
	    SEEN(A, 10, 4096, EV, 1000), WAIT(5000, "trigger", -1),
	    CHECKS(1), /* checked early, while the trigger runs */
	    TRIGGER(0, 6000), WAIT(6000, "quiet", 6500), EVAL(6500, DONE),
	    CHECKS(1) /* an unchanged file is not checked again */ } },
	{ "a touch restarts the window",
	  { .expect = 1, .debounce = 500 },
	  { SEEN(A, 10, 4096, EV, 1000), TOUCH(1400), WAIT(1500, "quiet", 1900),
	    /* an older moment does not move the window back */
	    TOUCH(1200), LAST(1400), EVAL(1900, DONE) } },
	/* ---- the writer test after the check ---- */
	/* It exits, its last write not seen (no event yet): checked again. */
	{ "a writer alive then gone is checked again",
	  { .expect = 1, .debounce = 500 },
	  { SET(A, V_INCOMPLETE, WR_ALIVE, 11), SEEN(A, 10, 4096, EV, 1000),
	    WAIT(1500, "writers", -1), CHECKS(1), SET(A, V_OK, WR_GONE, 11),
	    EVAL(1600, DONE), CHECKS(2) } },
	{ "still failing after the writer is gone is invalid once",
	  { .expect = 1, .debounce = 500 },
	  { SET(A, V_CORRUPT, WR_GONE, 11), SEEN(A, 10, 4096, EV, 1000),
	    EVAL(1500, ST_INVALID),
	    CHECKS(2), /* checked again once its writer was gone */
	    EVAL(1600, ST_INVALID),
	    CHECKS(2), /* a final verdict is not checked again */
	    WRITERS(1) } },

	/* ---- the stale files are checked together (check_all) ---- */
	{ "stale files are checked in one batch",
	  { .expect = 3, .debounce = 500 },
	  { BATCHING(), SEEN(A, 10, 4096, EV, 1000),
	    SEEN(B, 11, 4096, EV, 1000), SEEN(C, 12, 4096, EV, 1000),
	    EVAL(1500, DONE), BATCHES(1), BATCHED(0, 3), CHECKS(3), WRITERS(3),
	    READY(3),
	    /* nothing stale: no batch at all */
	    EVAL(1600, DONE), BATCHES(1),
	    /* one changed: a batch of one, the others keep their verdicts */
	    SET(B, V_INCOMPLETE, WR_QUIET, 0), SEEN(B, 11, 8192, EV, 2000),
	    WAIT(2500, "checks", -1), BATCHES(2), BATCHED(1, 1),
	    CHECKS_OF(A, 1), CHECKS_OF(B, 2), READY(2) } },
	{ "uncounted and gone files are not in the batch",
	  { .expect = 1, .debounce = 500, .new_only = true },
	  { BATCHING(), SEEN(A, 10, 4096, INIT, 0), /* old: --new-only */
	    SEEN(B, 11, 4096, EV, 1000), SEEN(C, 12, 4096, EV, 1000),
	    GONE(C, 1000), EVAL(1500, DONE), BATCHES(1), BATCHED(0, 1),
	    CHECKS_OF(B, 1) } },
	/* The writer finished and exited between the check and the writer
	 * test: the failing verdict was on contents it had not finished;
	 * checked again, the file is ok. */
	{ "a writer gone after the check is checked again",
	  { .expect = 1, .debounce = 500 },
	  { BATCHING(), SET(A, V_INCOMPLETE, WR_GONE, 11), MEND(A),
	    SEEN(A, 10, 4096, EV, 1000), EVAL(1500, DONE), CHECKS(2),
	    VERDICT(A, V_OK), EVAL(1600, DONE), CHECKS(2) } },

	/* ---- files that go ---- */
	{ "a gone file is vanished until renamed",
	  { .expect = 1, .debounce = 500 },
	  { SEEN(A, 10, 4096, EV, 1000), GONE(A, 2000), LAST(2000), COUNTED(0),
	    PRESENT(A, 0), NVANISHED(1), VANISHED(0, A), VINODE(0, 1, 10),
	    RENAMABLE(0, 1), WAIT(5000, "count", -1),
	    /* the same inode under another name: a rename, nothing lost */
	    SEEN(A ".Hdeadbeefh", 10, 4096, EV, 2001), NVANISHED(0), COUNTED(1),
	    EVAL(2501, DONE) } },
	{ "gone, and another inode, is still vanished",
	  { .expect = 1, .debounce = 500 },
	  { SEEN(A, 10, 4096, EV, 1000), GONE(A, 2000),
	    SEEN(B, 11, 4096, EV, 2001), NVANISHED(1), VANISHED(0, A) } },
	{ "gone twice is one loss",
	  { .expect = 1, .debounce = 500 },
	  { SEEN(A, 10, 4096, EV, 1000), GONE(A, 2000), GONE(A, 3000),
	    NVANISHED(1), LAST(2000), GONE("never-seen", 4000),
	    NVANISHED(1) } },
	{ "--new-only: an uncounted file gone is no loss",
	  { .expect = 1, .debounce = 500, .new_only = true },
	  { SEEN(A, 10, 4096, INIT, -3600000), GONE(A, 2000), NVANISHED(0) } },
	{ "deleted, never seen",
	  { .expect = 1, .debounce = 500 },
	  { DELETED(B, 3000), NVANISHED(1), VANISHED(0, B), RENAMABLE(0, 0),
	    LAST(3000) } },
	/* Created after the watch was armed, deleted before a stat. */
	{ "--new-only: deleted, never seen, is a loss",
	  { .expect = 1, .debounce = 500, .new_only = true },
	  { DELETED(B, 3000), NVANISHED(1), VANISHED(0, B) } },
	/* A deleted file's inode may be reused by a new file: no rename. */
	{ "deleted is lost even if its inode comes back",
	  { .expect = 1, .debounce = 500 },
	  { SEEN(A, 10, 4096, EV, 1000), DELETED(A, 2000), LAST(2000),
	    COUNTED(0), PRESENT(A, 0), NVANISHED(1), VANISHED(0, A),
	    RENAMABLE(0, 0), SEEN(B, 10, 4096, EV, 2001),
	    NVANISHED(1), /* a deleted file is not unvanished */
	    VANISHED(0, A) } },
	{ "--new-only: an uncounted file deleted is no loss",
	  { .expect = 1, .debounce = 500, .new_only = true },
	  { SEEN(A, 10, 4096, INIT, -3600000), DELETED(A, 2000), NVANISHED(0),
	    GONE(A, 2100), DELETED(A, 2200), NVANISHED(0) } },
	{ "a quarantined file deleted is no loss",
	  { .expect = 1, .debounce = 500 },
	  { SEEN(A, 10, 4096, EV, 1000), QUARANTINE(A), DELETED(A, 2000),
	    NVANISHED(0), COUNTED(1) } },
	/* A scan (after an overflow) found the file missing; then the DELETE
	 * event queued meanwhile arrives. One file, one loss, and no longer
	 * renamable. */
	{ "gone then deleted is one loss",
	  { .expect = 1, .debounce = 500 },
	  { SEEN(A, 10, 4096, EV, 1000), SCAN_BEGIN(), SCAN_END(2000),
	    NVANISHED(1), RENAMABLE(0, 1), DELETED(A, 2100), NVANISHED(1),
	    /* deleted for sure: a new file on the same inode is another */
	    SEEN(B, 10, 4096, EV, 2200), NVANISHED(1), VANISHED(0, A) } },
	{ "a quarantined file going is no loss",
	  { .expect = 2, .debounce = 500 },
	  { SET(B, V_CORRUPT, WR_GONE, 0), SEEN(A, 10, 4096, EV, 1000),
	    SEEN(B, 11, 4096, EV, 1000), EVAL(1500, ST_INVALID), QUARANTINE(B),
	    QUARANTINED(B, 1), GONE(B, 1600), NVANISHED(0),
	    COUNTED(2), /* a quarantined file counts */
	    READY(1),
	    /* what is left is ok */
	    EVAL(100000, DONE) } },

	/* ---- full scans ---- */
	{ "a scan finds what went",
	  { .expect = 2, .debounce = 500 },
	  { SEEN(A, 10, 4096, INIT, -3600000),
	    SEEN(B, 11, 4096, INIT, -3600000),
	    SEEN(C, 12, 4096, INIT, -3600000), COUNTED(3), SCAN_BEGIN(),
	    SEEN(A, 10, 4096, SCAN, 5000), SEEN(C, 12, 4096, SCAN, 5000),
	    SCAN_END(5000), PRESENT(A, 1), PRESENT(B, 0), PRESENT(C, 1),
	    COUNTED(2), NVANISHED(1), VANISHED(0, B), LAST(5000),
	    WAIT(5000, "quiet", 5500), EVAL(5500, DONE),
	    /* an empty scan: everything went */
	    SCAN_BEGIN(), SCAN_END(6000), COUNTED(0), NVANISHED(3) } },
	{ "a scan with nothing gone is no change",
	  { .expect = 1, .debounce = 500 },
	  { SEEN(A, 10, 4096, EV, 1000), SCAN_BEGIN(),
	    SEEN(A, 10, 4096, SCAN, 5000), SCAN_END(5000), LAST(1000),
	    NVANISHED(0) } },
	/* A rename found by a scan (polling, overflow) rather than by events:
	 * the new name is seen, the old one is not. The inode is the same,
	 * so no coverage was lost, whatever the order the scan met them in. */
	{ "a rename found by a scan is no loss",
	  { .expect = 1, .debounce = 500 },
	  { SEEN(A, 10, 4096, EV, 1000), SCAN_BEGIN(),
	    SEEN(A ".Hdeadbeefh", 10, 4096, SCAN, 5000), SCAN_END(5000),
	    PRESENT(A, 0), COUNTED(1), NVANISHED(0) } },

	/* ---- which vanished files are losses (settle_opts.since) ---- */
	/* A file written since the wait's own time began that vanishes is
	 * coverage lost; a file quiet since before that, removed by another
	 * program, is old data. The wait began at 10000 with a 500 ms
	 * window: since is 9500. */
	{ "old data removed is no loss",
	  { .expect = 1, .debounce = 500, .since = 9500 },
	  { SEEN(A, 1, 4096, INIT, 1000), /* written long before */
	    DELETED(A, 10100), NVANISHED(1), LOSS(0, 0), NLOST(0) } },
	{ "a file written just before the wait is lost",
	  { .expect = 1, .debounce = 500, .since = 9500 },
	  { SEEN(A, 1, 4096, INIT, 9600), /* within the window before */
	    GONE(A, 10100), NLOST(1), LOSS(0, 1) } },
	{ "a file written during the wait is lost",
	  { .expect = 1, .debounce = 500, .since = 9500 },
	  { SEEN(A, 1, 4096, EV, 10200), DELETED(A, 10300),
	    SEEN(B, 2, 4096, INIT, 100), DELETED(B, 10400), NVANISHED(2),
	    NLOST(1), VANISHED(0, A), LOSS(0, 1) } },
	{ "--new-only: a file created and deleted between two looks is lost",
	  { .expect = 1, .debounce = 500, .new_only = true, .since = 9500 },
	  { DELETED(A, 10300), /* never stat'ed */
	    NLOST(1) } },
	/* The same inode under a new name: nothing vanished. */
	{ "a rename during the wait is nothing",
	  { .expect = 1, .debounce = 500, .since = 9500 },
	  { SEEN(A, 7, 4096, EV, 10200), GONE(A, 10300),
	    SEEN(B, 7, 4096, EV, 10300), NVANISHED(0), NLOST(0) } },
	/* With --new-only a file that was there before the wait never
	 * counted: nothing vanished. */
	{ "--new-only: an uncounted file deleted during the wait is nothing",
	  { .expect = 1, .debounce = 500, .new_only = true, .since = 9500 },
	  { SEEN(A, 1, 4096, INIT, 9900), DELETED(A, 10100), NVANISHED(0),
	    NLOST(0) } },

	/* ---- the rename that ends a save (coverage.py 7.13.1 and later) */
	/* Even when its rows are complete and no writer is known. */
	{ "an unfinished save never settles",
	  { .expect = 1, .debounce = 500 },
	  { SET(U, V_OK, WR_QUIET, 0), SEEN(U, 10, 4096, EV, 1000),
	    UNFINISHED(U, 1), WAIT(1500, "checks", -1),
	    EVAL(100000, ST_WAITING), READY(0),
	    DESCRIBES(100000,
		      "failing their check: " U
		      " (incomplete: " CHECK_UNFINISHED ")",
		      1) } },
	/* Its writer gone before the rename, whatever its rows: cut short. */
	{ "an unfinished save with ok rows, its writer gone, is cut short",
	  { .expect = 1, .debounce = 500 },
	  { SET(U, V_OK, WR_GONE, 44), SEEN(U, 10, 4096, EV, 1000),
	    EVAL(1500, ST_INVALID), INVALID(U, 1), VERDICT(U, V_INCOMPLETE),
	    REASON(U, SETTLE_CUT_SHORT) } },
	{ "an unfinished save, incomplete, its writer gone, is cut short",
	  { .expect = 1, .debounce = 500 },
	  { SET(U, V_INCOMPLETE, WR_GONE, 44), SEEN(U, 10, 4096, EV, 1000),
	    EVAL(1500, ST_INVALID), INVALID(U, 1), VERDICT(U, V_INCOMPLETE),
	    REASON(U, SETTLE_CUT_SHORT) } },
	{ "an unfinished save, empty, its writer gone, is cut short",
	  { .expect = 1, .debounce = 500 },
	  { SET(U, V_EMPTY, WR_GONE, 44), SEEN(U, 10, 4096, EV, 1000),
	    EVAL(1500, ST_INVALID), INVALID(U, 1), VERDICT(U, V_INCOMPLETE),
	    REASON(U, SETTLE_CUT_SHORT) } },
	{ "an unfinished save, corrupt, its writer gone, is cut short",
	  { .expect = 1, .debounce = 500 },
	  { SET(U, V_CORRUPT, WR_GONE, 44), SEEN(U, 10, 4096, EV, 1000),
	    EVAL(1500, ST_INVALID), INVALID(U, 1), VERDICT(U, V_INCOMPLETE),
	    REASON(U, SETTLE_CUT_SHORT) } },
	/* A writer whose pid proved nothing (another PID namespace, hidepid)
	 * is one from another host: an unfinished or failing file is never
	 * final, not even at the timeout, and an ok, finished one settles. */
	{ "an unknown writer's unfinished save is never final",
	  { .expect = 1, .debounce = 500 },
	  { SET(U, V_INCOMPLETE, WR_UNKNOWN, 44),
	    EVIDENCE(U, "writer pid 44 unknown (not visible)"),
	    SEEN(U, 10, 4096, EV, 1000), EVAL(1500, ST_WAITING), INVALID(U, 0),
	    EXPIRE(1600, ST_WAITING), INVALID(U, 0),
	    DESCRIBES(1600, "; writer pid 44 unknown (not visible))", 1),
	    SET(U, V_OK, WR_UNKNOWN, 44), UNCHECK(U),
	    EVAL(1700, ST_WAITING) } },
	{ "an unknown writer's failing file is never final",
	  { .expect = 1, .debounce = 500 },
	  { SET(A, V_INCOMPLETE, WR_UNKNOWN, 44),
	    EVIDENCE(A, "writer pid 44 unknown (not visible)"),
	    SEEN(A, 10, 4096, EV, 1000), EVAL(1500, ST_WAITING), INVALID(A, 0),
	    EXPIRE(1600, ST_WAITING), INVALID(A, 0),
	    DESCRIBES(1600, "; writer pid 44 unknown (not visible))", 1),
	    SET(A, V_OK, WR_UNKNOWN, 44), UNCHECK(A), EVAL(1700, DONE) } },
	/* Renamed and exited between the check and the writer test. */
	{ "an unfinished save found missing waits for its rename",
	  { .expect = 1, .debounce = 500 },
	  { SET(U, V_MISSING, WR_GONE, 44), SEEN(U, 10, 4096, EV, 1000),
	    EVAL(1500, ST_WAITING), INVALID(U, 0), GONE(U, 1600),
	    SEEN(F, 10, 4096, EV, 1600), EVAL(1600, DONE), NVANISHED(0) } },
	{ "a finished name settles",
	  { .expect = 1, .debounce = 500 },
	  { SEEN(F, 10, 4096, EV, 1000), UNFINISHED(F, 0), EVAL(1500, DONE) } },
	/* The rename is one data file: no loss, counted once, and no new
	 * quiet window when the contents did not change. */
	{ "the rename is one file",
	  { .expect = 1, .debounce = 500 },
	  { SEEN(U, 10, 4096, EV, 1000), WAIT(1500, "checks", -1),
	    GONE(U, 1400), SEEN(F, 10, 4096, EV, 1400),
	    NVANISHED(0),	    /* the rename is no loss */
	    COUNTED(1), LAST(1000), /* no new window */
	    EVAL(1500, DONE), READY(1) } },
	{ "--new-only: the rename is one file",
	  { .expect = 1, .debounce = 500, .new_only = true },
	  { SEEN(U, 10, 4096, EV, 1000), WAIT(1500, "checks", -1),
	    GONE(U, 1400), SEEN(F, 10, 4096, EV, 1400),
	    NVANISHED(0),	    /* the rename is no loss */
	    COUNTED(1), LAST(1000), /* no new window */
	    EVAL(1500, DONE), READY(1) } },
	/* There before the watch: it counts once written after it. */
	{ "--new-only: the rename of an old file counts once",
	  { .expect = 1, .debounce = 500, .new_only = true },
	  { SEEN(U, 10, 4096, INIT, 0), COUNTED(0), SEEN(U, 10, 8192, EV, 1000),
	    GONE(U, 1100), SEEN(F, 10, 8192, EV, 1100), COUNTED(1),
	    NVANISHED(0), EVAL(1500, DONE) } },
	{ "a rename with new contents is a change",
	  { .expect = 1, .debounce = 500 },
	  { SEEN(U, 10, 4096, EV, 1000), GONE(U, 1400),
	    SEEN(F, 10, 8192, EV, 1400), NVANISHED(0),
	    WAIT(1500, "quiet", 1900), EVAL(1900, DONE) } },
	{ "a rename after another change keeps that window",
	  { .expect = 2, .debounce = 500 },
	  { SEEN(U, 10, 4096, EV, 1000), GONE(U, 1300),
	    SEEN(B, 11, 4096, EV, 1350), SEEN(F, 10, 4096, EV, 1400),
	    WAIT(1500, "quiet", 1850) } },
	{ "a rename found by a scan keeps the window",
	  { .expect = 1, .debounce = 500 },
	  { SEEN(U, 10, 4096, EV, 1000), SCAN_BEGIN(),
	    SEEN(F, 10, 4096, SCAN, 1400), SCAN_END(1400), NVANISHED(0),
	    COUNTED(1), LAST(1000), EVAL(1500, DONE) } },
	/* Where a rename gives the file another inode (some FUSE
	 * filesystems), the finished name of the same save, with the same
	 * contents, is still the same file: by events and by scans. */
	{ "a rename to another inode is one file, by events",
	  { .expect = 1, .debounce = 500 },
	  { SEEN(U, 10, 4096, EV, 1000), GONE(U, 1400),
	    SEEN(F, 99, 4096, EV, 1400), NVANISHED(0), COUNTED(1), LAST(1000),
	    EVAL(1500, DONE) } },
	{ "a rename to another inode is one file, by a scan",
	  { .expect = 1, .debounce = 500 },
	  { SEEN(U, 10, 4096, EV, 1000), SCAN_BEGIN(),
	    SEEN(F, 99, 4096, SCAN, 1400), SCAN_END(1400), NVANISHED(0),
	    COUNTED(1), LAST(1000) } },
	/* Another save's finished name, or other contents: U is lost. */
	{ "another save under another inode is no rename",
	  { .expect = 1, .debounce = 500 },
	  { SEEN(U, 10, 4096, EV, 1000), GONE(U, 1400),
	    SEEN(".coverage.h.pid45.Xa1B2c3x.H0123456789h", 99, 4096, EV, 1400),
	    NVANISHED(1), SEEN(F, 98, 8192, EV, 1400), NVANISHED(1),
	    VANISHED(0, U) } },
	/* At the timeout, an unfinished save (no .H...h yet) is a timeout,
	 * not a failure, though another file fails for good then. */
	{ "expire leaves an unfinished save a timeout",
	  { .expect = 2, .debounce = 500 },
	  { SET(A, V_SYMLINK, WR_QUIET, 0), SET(U, V_OK, WR_QUIET, 0),
	    SEEN(A, 10, 4096, EV, 1000), SEEN(U, 11, 4096, EV, 1000),
	    EVAL(1500, ST_WAITING), EXPIRE(1600, ST_WAITING), INVALID(A, 0) } },

	/* ---- what the status line shows ---- */
	{ "describe: nothing",
	  { .expect = 1, .debounce = 500 },
	  { DESCRIBE(1000, "0 of 1 expected data file; no change seen") } },
	{ "describe: failing",
	  { .expect = 2, .debounce = 500 },
	  { SET(A, V_INCOMPLETE, WR_QUIET, 0), SEEN(A, 10, 4096, EV, 1000),
	    SEEN(B, 11, 4096, EV, 1000), EVAL(1500, ST_WAITING), GONE(B, 2000),
	    DESCRIBES(3500, "1 of 2 expected", 1),
	    DESCRIBES(3500, A " (incomplete: fake incomplete)", 1),
	    DESCRIBES(3500, B, 0), /* a gone file is not listed */
	    DESCRIBES(3500, "last change 1.50s ago", 1),
	    DESCRIBES(3500, "\n", 0), /* one line */
	    DESCRIBE(3500, "1 of 2 expected data files; failing their check: " A
			   " (incomplete: fake incomplete); last change 1.50s "
			   "ago") } },
	{ "describe: writers and trigger",
	  { .expect = 1, .debounce = 500 },
	  { SET(A, V_OK, WR_ALIVE, 4711), SEEN(A, 10, 4096, EV, 1000),
	    SEEN(B, 11, 4096, EV, 1000), EVAL(1500, ST_WAITING),
	    TRIGGER(1, 1500), DESCRIBES(62500, "2 of 1 expected", 1),
	    DESCRIBES(62500, "trigger", 1),
	    DESCRIBES(62500, A " (writer pid 4711 alive)", 1),
	    DESCRIBES(62500, B, 0), /* an ok file is not listed */
	    DESCRIBES(62500, "last change 1m01s ago", 1) } },
	/* The quiet window left: none before any change, the rest of the
	 * window after one, none once it has passed. */
	{ "the quiet window left",
	  { .expect = 1, .debounce = 500 },
	  { QUIET_LEFT(1000, -1), SEEN(A, 1, 4096, EV, 1000),
	    QUIET_LEFT(1000, 500), QUIET_LEFT(1300, 200),
	    QUIET_LEFT(1500, -1) } },
};

/* An I/O whose check_all records its batches and checks each file with
 * fake_check, in the caller's thread. */
static size_t batches, batched[8];

static void
fake_check_all(void *ctx, struct sfile *files, const size_t *which, size_t n)
{
	size_t i;

	if (batches < 8)
		batched[batches] = n;
	batches++;
	for (i = 0; i < n; i++)
		fake_check(ctx, &files[which[i]]);
}

static const struct settle_io batch_io = { fake_check, fake_writer, &fk,
					   fake_check_all, NULL };

/* Vanished file i of s, which must exist at that step of sequence q. */
static const struct vanished *
vanished_at(struct settle *s, const struct sequence *q, size_t step, long i)
{
	cr_assert_lt((size_t)i, settle_nvanished(s),
		     "%s, step %zu: no vanished file %ld of %zu", q->what, step,
		     i, settle_nvanished(s));
	return settle_vanished(s, (size_t)i);
}

/* Run sequence q, asserting what its steps expect; each failure names the
 * sequence and the step. */
static void
run_sequence(const struct sequence *q)
{
	struct settle *s = mk_opts(&q->o);
	const struct settle_io *use = &io;
	struct settle_wait w = { .at = -1 };
	const struct step *p;
	const struct vanished *v;
	struct sfile *f;
	enum settle_state st;
	char buf[1024];
	long got = 0;
	size_t i;

	batches = 0;
	for (i = 0; i < sizeof(q->steps) / sizeof(q->steps[0]); i++) {
		p = &q->steps[i];
		f = p->name != NULL ? settle_find(s, p->name) : NULL;
		switch (p->op) {
		case STEPS_END:
			settle_free(s);
			return;
		case SET:
			fake_set(&fk, p->name, (enum verdict)p->n,
				 (enum writer_state)p->m, (pid_t)p->k);
			continue;
		case MEND:
			fake_get(&fk, p->name)->mended = true;
			continue;
		case EVIDENCE:
			fake_get(&fk, p->name)->evidence = p->str;
			continue;
		case UNCHECK:
			cr_assert_not_null(f, "%s, step %zu", q->what, i);
			f->checked = false;
			continue;
		case BATCHING:
			use = &batch_io;
			continue;
		case SEEN:
			seen(s, p->name, (ino_t)p->n, (off_t)p->m,
			     (enum origin)p->k, p->t);
			continue;
		case GONE:
			settle_gone(s, p->name, p->t);
			continue;
		case DELETED:
			settle_deleted(s, p->name, p->t);
			continue;
		case SCAN_BEGIN:
			settle_scan_begin(s);
			continue;
		case SCAN_END:
			settle_scan_end(s, p->t);
			continue;
		case QUARANTINE:
			cr_assert_not_null(f, "%s, step %zu", q->what, i);
			settle_quarantine(s, f);
			continue;
		case EVAL:
			st = eval_io(s, p->t, use, &w);
			if (p->st != NO_ASSERT)
				cr_expect_eq(st, p->st,
					     "%s, step %zu: state %d, "
					     "expected %d",
					     q->what, i, (int)st, p->st);
			continue;
		case WAIT:
			st = eval_io(s, p->t, use, &w);
			cr_expect_eq(st, ST_WAITING,
				     "%s, step %zu: state %d, expected "
				     "waiting",
				     q->what, i, (int)st);
			if (p->why != NULL)
				cr_expect_str_eq(
					w.why ? w.why : "(null)", p->why,
					"%s, step %zu: waits for %s, "
					"expected %s",
					q->what, i, w.why ? w.why : "(null)",
					p->why);
			cr_expect_eq(w.at, p->at,
				     "%s, step %zu: w.at %lld, expected %lld",
				     q->what, i, (long long)w.at,
				     (long long)p->at);
			continue;
		case EXPIRE:
			st = settle_expire(s, p->t);
			cr_expect_eq(st, p->st,
				     "%s, step %zu: expire %d, expected %d",
				     q->what, i, (int)st, p->st);
			continue;
		case TOUCH:
			settle_touch(s, p->t);
			continue;
		case FORGET:
			settle_forget(s, p->t);
			continue;
		case TRIGGER:
			settle_trigger(s, p->n != 0, p->t);
			continue;
		case LAST:
			cr_expect_eq(settle_last_change(s), p->t,
				     "%s, step %zu: last change %lld, "
				     "expected %lld",
				     q->what, i,
				     (long long)settle_last_change(s),
				     (long long)p->t);
			continue;
		case CHANGED:
			cr_assert_not_null(f, "%s, step %zu", q->what, i);
			cr_expect_eq(f->changed_at, p->t,
				     "%s, step %zu: changed_at %lld", q->what,
				     i, (long long)f->changed_at);
			continue;
		case VANISHED:
			v = vanished_at(s, q, i, p->m);
			cr_expect_str_eq(v->name, p->str,
					 "%s, step %zu: vanished %ld is %s, "
					 "expected %s",
					 q->what, i, p->m, v->name, p->str);
			continue;
		case REASON:
			cr_assert_not_null(f, "%s, step %zu", q->what, i);
			cr_expect_str_eq(f->check.reason, p->str,
					 "%s, step %zu: reason %s, expected %s",
					 q->what, i, f->check.reason, p->str);
			continue;
		case DESCRIBE:
		case DESCRIBES:
			settle_describe(s, p->t, buf, sizeof(buf));
			if (p->op == DESCRIBE)
				cr_expect_str_eq(buf, p->str,
						 "%s, step %zu: described as "
						 "\"%s\"",
						 q->what, i, buf);
			else
				cr_expect_eq(strstr(buf, p->str) != NULL,
					     p->n != 0,
					     "%s, step %zu: \"%s\" %s \"%s\"",
					     q->what, i, buf,
					     p->n ? "lacks" : "holds", p->str);
			continue;
		case VINODE:
			v = vanished_at(s, q, i, p->m);
			cr_expect_eq((long)v->dev, p->k,
				     "%s, step %zu: vanished %ld on device %ld",
				     q->what, i, p->m, (long)v->dev);
			got = (long)v->ino;
			break;
		case RENAMABLE:
			got = vanished_at(s, q, i, p->m)->renamable;
			break;
		case LOSS:
			got = vanished_at(s, q, i, p->m)->loss;
			break;
		case PID:
			got = w.pid;
			break;
		case CHECKS:
			got = p->name ? fake_get(&fk, p->name)->checks
				      : fk.checks;
			break;
		case WRITERS:
			got = fk.writers;
			break;
		case COUNTED:
			got = settle_counted(s);
			break;
		case READY:
			got = settle_ready(s);
			break;
		case NVANISHED:
			got = (long)settle_nvanished(s);
			break;
		case NLOST:
			got = settle_nlost(s);
			break;
		case QUIET_LEFT:
			got = settle_quiet_left(s, p->t);
			break;
		case BATCHES:
			got = (long)batches;
			break;
		case BATCHED:
			cr_assert_lt((size_t)p->m,
				     sizeof(batched) / sizeof(batched[0]),
				     "%s, step %zu", q->what, i);
			got = (long)batched[p->m];
			break;
		case INVALID:
			cr_assert_not_null(f, "%s, step %zu", q->what, i);
			got = settle_invalid(s, f);
			break;
		case CHECKED:
		case COUNTS:
		case VERDICT:
		case WRITER:
		case PRESENT:
		case QUARANTINED:
		case UNFINISHED:
			cr_assert_not_null(f, "%s, step %zu", q->what, i);
			got = p->op == CHECKED	     ? f->checked
			      : p->op == COUNTS	     ? f->counts
			      : p->op == VERDICT     ? (long)f->check.verdict
			      : p->op == WRITER	     ? (long)f->writer
			      : p->op == PRESENT     ? f->present
			      : p->op == QUARANTINED ? f->quarantined
						     : f->unfinished;
			break;
		}
		cr_expect_eq(got, p->n,
			     "%s, step %zu (op %d): %ld, expected %ld", q->what,
			     i, (int)p->op, got, p->n);
	}
	cr_assert_fail("%s: no room for STEPS_END", q->what);
}

Test(settle, sequences)
{
	size_t i;

	for (i = 0; i < sizeof(sequences) / sizeof(sequences[0]); i++)
		run_sequence(&sequences[i]);
}

#undef EV
#undef SCAN
#undef INIT
#undef DONE
#undef SET
#undef SEEN
#undef EVAL
#undef WAIT
#undef PID
#undef EXPIRE
#undef TOUCH
#undef FORGET
#undef TRIGGER
#undef CHECKS
#undef CHECKS_OF
#undef WRITERS
#undef COUNTED
#undef READY
#undef LAST
#undef CHANGED
#undef CHECKED
#undef COUNTS
#undef VERDICT
#undef WRITER
#undef GONE
#undef DELETED
#undef SCAN_BEGIN
#undef SCAN_END
#undef QUARANTINE
#undef NVANISHED
#undef NLOST
#undef VANISHED
#undef VINODE
#undef RENAMABLE
#undef LOSS
#undef PRESENT
#undef QUARANTINED
#undef UNFINISHED
#undef INVALID
#undef REASON
#undef MEND
#undef QUIET_LEFT
#undef EVIDENCE
#undef UNCHECK
#undef DESCRIBE
#undef DESCRIBES
#undef BATCHING
#undef BATCHES
#undef BATCHED

/* ---- what is a change ---- */

Test(settle, rescan_with_changed_signature_is_a_change)
{
	static const int fields[] = { 0, 1, 2, 3, 4, 5, 6 };
	size_t i;

	for (i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		struct settle *s = mk(1, 500, false);
		struct settle_wait w;
		struct fsig g = fsig_of(10, 4096, 100);
		enum settle_state st;

		settle_seen(s, A, &g, SEEN_EVENT, 1000);
		cr_expect_eq(eval(s, 1500, &w), ST_SETTLED);
		switch (fields[i]) {
		case 0:
			g.size = 8192;
			break;
		case 1:
			g.mtime.tv_sec++;
			break;
		case 2:
			g.mtime.tv_nsec++;
			break;
		case 3:
			g.ctime.tv_sec++;
			break;
		case 4:
			g.ctime.tv_nsec++;
			break;
		case 5:
			g.ino++;
			break;
		case 6:
			g.dev++;
			break;
		}
		settle_seen(s, A, &g, SEEN_RESCAN, 2000);
		cr_expect_eq(settle_last_change(s), 2000,
			     "field %d: not a change", fields[i]);
		st = eval(s, 2000, &w);
		expect_wait(st, w, "quiet", 2500);
		cr_expect_eq(eval(s, 2500, &w), ST_SETTLED);
		cr_expect_eq(fk.checks, 2, "field %d: not checked again",
			     fields[i]);
		settle_free(s);
	}
}

/* ---- one file, every verdict with every writer ---- */

/* File B, with a verdict and what is known of its writer, checked once the
 * window has passed (at 1500), then asked about at the timeout (1600).
 * Each row runs twice: B alone (--expect 1), and B beside an ok file A
 * (--expect 2), which changes nothing but the count of ready files. A
 * waiting state says why and until when (-1: until an event); one that
 * waits on writers names the live writer's pid (7), else 0. B's failure is
 * final (settle_invalid) when either answer is ST_INVALID. */
#define WAIT ST_WAITING
#define DONE ST_SETTLED
#define BAD  ST_INVALID

static const struct one_file {
	enum verdict v;
	enum writer_state wr;
	enum settle_state now; /* settle_evaluate() at 1500 */
	const char *why;       /* when waiting */
	msec_t at;	       /* when waiting */
	enum settle_state end; /* then settle_expire() at 1600 */
} one_file[] = {
	{ V_OK, WR_WRITING, WAIT, "writers", -1, WAIT },
	{ V_OK, WR_ALIVE, WAIT, "writers", -1, WAIT },
	{ V_OK, WR_QUIET, DONE, NULL, 0, WAIT },
	{ V_OK, WR_GONE, DONE, NULL, 0, WAIT },
	/* a save under way, or cut short: final only with its writer gone */
	{ V_EMPTY, WR_WRITING, WAIT, "writers", -1, WAIT },
	{ V_EMPTY, WR_ALIVE, WAIT, "writers", -1, WAIT },
	{ V_EMPTY, WR_QUIET, WAIT, "checks", -1, WAIT },
	{ V_EMPTY, WR_GONE, BAD, NULL, 0, WAIT },
	{ V_INCOMPLETE, WR_WRITING, WAIT, "writers", -1, WAIT },
	{ V_INCOMPLETE, WR_ALIVE, WAIT, "writers", -1, WAIT },
	{ V_INCOMPLETE, WR_QUIET, WAIT, "checks", -1, WAIT },
	{ V_INCOMPLETE, WR_GONE, BAD, NULL, 0, WAIT },
	/* nothing can mend them: final once not open for writing, whatever
	 * the pid in the name (it may be another process's) */
	{ V_NOT_SQLITE, WR_WRITING, WAIT, "writers", -1, WAIT },
	{ V_NOT_SQLITE, WR_ALIVE, BAD, NULL, 0, BAD },
	{ V_NOT_SQLITE, WR_QUIET, BAD, NULL, 0, BAD },
	{ V_NOT_SQLITE, WR_GONE, BAD, NULL, 0, BAD },
	{ V_CORRUPT, WR_WRITING, WAIT, "writers", -1, WAIT },
	{ V_CORRUPT, WR_ALIVE, BAD, NULL, 0, BAD },
	{ V_CORRUPT, WR_QUIET, BAD, NULL, 0, BAD },
	{ V_CORRUPT, WR_GONE, BAD, NULL, 0, BAD },
	{ V_LEGACY_JSON, WR_WRITING, WAIT, "writers", -1, WAIT },
	{ V_LEGACY_JSON, WR_ALIVE, BAD, NULL, 0, BAD },
	{ V_LEGACY_JSON, WR_QUIET, BAD, NULL, 0, BAD },
	{ V_LEGACY_JSON, WR_GONE, BAD, NULL, 0, BAD },
	{ V_UNSUPPORTED_SCHEMA, WR_WRITING, WAIT, "writers", -1, WAIT },
	{ V_UNSUPPORTED_SCHEMA, WR_ALIVE, BAD, NULL, 0, BAD },
	{ V_UNSUPPORTED_SCHEMA, WR_QUIET, BAD, NULL, 0, BAD },
	{ V_UNSUPPORTED_SCHEMA, WR_GONE, BAD, NULL, 0, BAD },
	/* busy: retried every 100ms, never final, whatever its writer */
	{ V_BUSY, WR_WRITING, WAIT, "writers", -1, WAIT },
	{ V_BUSY, WR_ALIVE, WAIT, "writers", -1, WAIT },
	{ V_BUSY, WR_QUIET, WAIT, "checks", 1600, WAIT },
	{ V_BUSY, WR_GONE, WAIT, "checks", 1600, WAIT },
	/* failing, maybe mendable: final with the writer gone, or at the
	 * timeout unless open for writing */
	{ V_SYMLINK, WR_WRITING, WAIT, "writers", -1, WAIT },
	{ V_SYMLINK, WR_ALIVE, WAIT, "writers", -1, BAD },
	{ V_SYMLINK, WR_QUIET, WAIT, "checks", -1, BAD },
	{ V_SYMLINK, WR_GONE, BAD, NULL, 0, BAD },
	{ V_NOT_REGULAR, WR_WRITING, WAIT, "writers", -1, WAIT },
	{ V_NOT_REGULAR, WR_ALIVE, WAIT, "writers", -1, BAD },
	{ V_NOT_REGULAR, WR_QUIET, WAIT, "checks", -1, BAD },
	{ V_NOT_REGULAR, WR_GONE, BAD, NULL, 0, BAD },
	{ V_UNREADABLE, WR_WRITING, WAIT, "writers", -1, WAIT },
	{ V_UNREADABLE, WR_ALIVE, WAIT, "writers", -1, BAD },
	{ V_UNREADABLE, WR_QUIET, WAIT, "checks", -1, BAD },
	{ V_UNREADABLE, WR_GONE, BAD, NULL, 0, BAD },
	/* missing (gone between the scan and the check): its events follow,
	 * so the timeout leaves it a wait */
	{ V_MISSING, WR_WRITING, WAIT, "writers", -1, WAIT },
	{ V_MISSING, WR_ALIVE, WAIT, "writers", -1, WAIT },
	{ V_MISSING, WR_QUIET, WAIT, "checks", -1, WAIT },
	{ V_MISSING, WR_GONE, BAD, NULL, 0, WAIT },
};

/* Every verdict, of V_COUNT, has a row with each writer state probed. */
_Static_assert(sizeof(one_file) / sizeof(one_file[0]) == 4 * V_COUNT,
	       "one_file: 4 writer states for every verdict");

Test(settle, one_file_every_verdict_and_writer)
{
	size_t i;
	int alone;

	for (i = 0; i < sizeof(one_file) / sizeof(one_file[0]); i++)
		for (alone = 0; alone <= 1; alone++) {
			const struct one_file *c = &one_file[i];
			struct settle *s = mk(alone ? 1 : 2, 500, false);
			struct settle_wait w;
			enum settle_state st;
			const char *v = verdict_name(c->v);
			int wr = (int)c->wr;

			if (!alone) {
				fake_set(&fk, A, V_OK, WR_QUIET, 0);
				seen(s, A, 10, 4096, SEEN_EVENT, 1000);
			}
			fake_set(&fk, B, c->v, c->wr, 7);
			seen(s, B, 11, 4096, SEEN_EVENT, 1000);
			st = eval(s, 1500, &w);
			cr_expect_eq(st, c->now, "%s, writer %d, alone %d: %d",
				     v, wr, alone, (int)st);
			if (st == ST_WAITING && c->now == ST_WAITING) {
				expect_wait(st, w, c->why, c->at);
				cr_expect_eq(w.pid, c->wr == WR_ALIVE ? 7 : 0,
					     "%s, writer %d", v, wr);
			}
			if (st != ST_WAITING)
				cr_expect_eq(settle_ready(s),
					     !alone + (st == ST_SETTLED),
					     "%s, writer %d", v, wr);
			/* Still changing: never a failure, whatever the
			 * verdicts. */
			cr_expect_eq(settle_expire(s, 1499), ST_WAITING, "%s",
				     v);
			cr_expect_eq(settle_expire(s, 1600), c->end,
				     "%s, writer %d, alone %d", v, wr, alone);
			cr_expect_eq(settle_invalid(s, settle_find(s, B)),
				     c->now == BAD || c->end == BAD,
				     "%s, writer %d", v, wr);
			if (!alone)
				cr_expect_not(
					settle_invalid(s, settle_find(s, A)));
			settle_free(s);
		}
}

#undef WAIT
#undef DONE
#undef BAD

/* ---- many files on threads: the same states as one by one ---- */

#define MANY 3000

/* A thread-safe I/O: the verdict and writer follow from the name's pid
 * field; every 7th file is corrupt, every 11th has a live writer. */
static atomic_int many_checks;

static unsigned long
pid_of(const char *name)
{
	return strtoul(name + strlen(".coverage.h."), NULL, 10);
}

static void
many_check(void *ctx, struct sfile *f)
{
	unsigned long k = pid_of(f->name);

	(void)ctx;
	atomic_fetch_add(&many_checks, 1);
	memset(&f->check, 0, sizeof(f->check));
	f->check.verdict = k % 7 == 0 ? V_CORRUPT : V_OK;
	snprintf(f->check.reason, sizeof(f->check.reason), "file %lu", k);
}

static void
many_writer(void *ctx, struct sfile *f)
{
	unsigned long k = pid_of(f->name);

	(void)ctx;
	f->writer = k % 11 == 0 ? WR_ALIVE : k % 2 ? WR_GONE : WR_QUIET;
	f->pid = k % 11 == 0 ? (pid_t)k : 0;
}

struct many_batch {
	struct sfile *files;
	const size_t *which;
};

static void
many_one(void *ctx, size_t i)
{
	struct many_batch *b = ctx;

	many_check(NULL, &b->files[b->which[i]]);
}

static void
many_check_all(void *ctx, struct sfile *files, const size_t *which, size_t n)
{
	struct many_batch b = { files, which };

	(void)ctx;
	pool_run(n, 0, 4, many_one, NULL, &b);
}

static struct settle *
many(const struct settle_io *p, enum settle_state *st, struct settle_wait *w)
{
	struct settle *s = mk(MANY, 500, false);
	char name[64];
	size_t i;

	for (i = 1; i <= MANY; i++) {
		snprintf(name, sizeof(name), ".coverage.h.%zu.123456", i);
		seen(s, name, (ino_t)i, 4096, SEEN_EVENT, 1000);
	}
	atomic_store(&many_checks, 0);
	*st = settle_evaluate(s, 1500, p, w);
	return s;
}

Test(settle, many_files_on_threads_as_one_by_one)
{
	static const struct settle_io one = { many_check, many_writer, NULL,
					      NULL, NULL };
	static const struct settle_io pooled = { many_check, many_writer, NULL,
						 many_check_all, NULL };
	struct settle_wait w1, w2;
	enum settle_state st1, st2;
	struct settle *s1 = many(&one, &st1, &w1);
	int checks1 = atomic_load(&many_checks);
	struct settle *s2 = many(&pooled, &st2, &w2);
	size_t i, differ = 0;
	int again = 0;

	cr_expect_eq(st1, ST_WAITING);
	cr_expect_eq(st2, st1);
	cr_expect_eq(w2.pid, w1.pid);
	cr_expect_eq(w1.pid, 11, "the first live writer");
	cr_expect_str_eq(w2.why, w1.why);
	cr_expect_eq(atomic_load(&many_checks), checks1);
	/* every file, plus a second check of each corrupt one whose writer
	 * is gone */
	for (i = 1; i <= MANY; i++)
		again += i % 7 == 0 && i % 11 != 0 && i % 2 == 1;
	cr_expect_eq(checks1, MANY + again);
	cr_expect_eq(settle_ready(s2), settle_ready(s1));
	for (i = 0; i < MANY; i++) {
		const struct sfile *a = settle_file(s1, i);
		const struct sfile *b = settle_file(s2, i);

		differ += strcmp(a->name, b->name) != 0 ||
			  a->check.verdict != b->check.verdict ||
			  strcmp(a->check.reason, b->check.reason) != 0 ||
			  a->writer != b->writer || a->checked != b->checked;
	}
	cr_expect_eq(differ, 0, "%zu files differ", differ);
	settle_free(s1);
	settle_free(s2);
}

/* ---- early checks: files quiet on their own while the rule waits ---- */

Test(settle, early_checks_come_in_batches)
{
	static const struct settle_io counting = { many_check, many_writer,
						   NULL, NULL, NULL };
	struct settle *s = mk(1000, 500, false);
	struct settle_wait w;
	enum settle_state st;
	char name[64];
	size_t i;

	for (i = 1; i <= 300; i++) {
		snprintf(name, sizeof(name), ".coverage.h.%zu.123456", i);
		seen(s, name, (ino_t)i, 4096, SEEN_EVENT, 0);
	}
	atomic_store(&many_checks, 0);
	st = settle_evaluate(s, 600, &counting, &w);
	expect_wait(st, w, "count", 600); /* more are due: at once */
	cr_expect_eq(atomic_load(&many_checks), 128);
	st = settle_evaluate(s, 600, &counting, &w);
	expect_wait(st, w, "count", 600);
	cr_expect_eq(atomic_load(&many_checks), 256);
	st = settle_evaluate(s, 601, &counting, &w);
	expect_wait(st, w, "count", -1);
	cr_expect_eq(atomic_load(&many_checks), 300);
	settle_free(s);
}

/* ---- describe ---- */

Test(settle, describe_many_and_small_buffers)
{
	struct settle *s = mk(10, 500, false);
	struct settle_wait w;
	char name[8][64], buf[2048];
	size_t i, len;

	for (i = 0; i < 8; i++) {
		snprintf(name[i], sizeof(name[i]), ".coverage.h.%zu.123456",
			 i + 1);
		fake_set(&fk, name[i], V_CORRUPT, WR_QUIET, 0);
		seen(s, name[i], 100 + i, 4096, SEEN_EVENT, 1000);
	}
	/* count < expect: nothing checked yet */
	eval(s, 1500, &w);
	settle_describe(s, 1500, buf, sizeof(buf));
	cr_expect_not_null(strstr(buf, "8 of 10 expected"), "%s", buf);
	cr_expect_not_null(strstr(buf, " and 4 more"), "%s", buf);
	/* never past the buffer, always terminated */
	for (len = 1; len < 200; len++) {
		char small[256];

		memset(small, 'Z', sizeof(small));
		settle_describe(s, 1500, small, len);
		cr_expect_lt(strlen(small), len, "len %zu", len);
		cr_expect_eq(small[len], 'Z', "wrote past %zu bytes", len);
	}
	settle_free(s);
}

/* ---- the table ---- */

Test(settle, twenty_thousand_names, .timeout = 60)
{
	enum { N = 20000 };
	struct settle *s = mk(N, 500, false);
	char name[64];
	size_t i, missing = 0, wrong = 0;

	for (i = 0; i < N; i++) {
		snprintf(name, sizeof(name), ".coverage.host%zu.%zu.%06zu",
			 i % 7, i + 1, i % 1000000);
		seen(s, name, (ino_t)(i + 1), 4096, SEEN_EVENT, (msec_t)i);
	}
	cr_assert_eq(settle_nfiles(s), N);
	cr_expect_eq(settle_counted(s), N);
	cr_expect_eq(settle_last_change(s), N - 1);
	/* one assertion at the end: Criterion reports every assertion */
	for (i = 0; i < N; i++) {
		struct sfile *f;

		snprintf(name, sizeof(name), ".coverage.host%zu.%zu.%06zu",
			 i % 7, i + 1, i % 1000000);
		f = settle_find(s, name);
		if (f == NULL)
			missing++;
		else if (strcmp(f->name, name) != 0 ||
			 f->sig.ino != (ino_t)(i + 1) || settle_file(s, i) != f)
			wrong++;
	}
	cr_expect_eq(missing, 0, "%zu of %d names not found", missing, N);
	cr_expect_eq(wrong, 0, "%zu of %d names found wrong", wrong, N);
	cr_expect_null(settle_find(s, ".coverage.nope.1.123456"));
	cr_expect_null(settle_find(s, ""));
	/* seen again: no duplicate entries */
	for (i = 0; i < N; i += 97) {
		snprintf(name, sizeof(name), ".coverage.host%zu.%zu.%06zu",
			 i % 7, i + 1, i % 1000000);
		seen(s, name, (ino_t)(i + 1), 4096, SEEN_EVENT, 100000);
	}
	cr_expect_eq(settle_nfiles(s), N);
	settle_free(s);
}

Test(settle, free_null)
{
	settle_free(NULL);
}
