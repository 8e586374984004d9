/* test_settle.c: unit tests of the settle rule (settle.c). Pure logic:
 * time is a number the test passes in, and the I/O that would check a
 * file and test its writer is a fake that answers from a table. The
 * sequences of one shape (files seen, the fake's answers, evaluations at
 * given times, and what each should give) are rows of `sequences`, a
 * table of steps; `one_file` is every verdict with every writer state;
 * the cases of another shape are tests of their own. */
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

/* Evaluate at now into w, poisoned first so that every field is set. */
static enum settle_state
eval(struct settle *s, msec_t now, struct settle_wait *w)
{
	w->at = -777;
	w->pid = -777;
	w->why = "poison";
	return settle_evaluate(s, now, &io, w);
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
};

/* Run sequence q, asserting what its steps expect; each failure names the
 * sequence and the step. */
static void
run_sequence(const struct sequence *q)
{
	struct settle *s = mk_opts(&q->o);
	struct settle_wait w = { .at = -1 };
	const struct step *p;
	const struct sfile *f;
	enum settle_state st;
	long got = 0;
	size_t i;

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
		case SEEN:
			seen(s, p->name, (ino_t)p->n, (off_t)p->m,
			     (enum origin)p->k, p->t);
			continue;
		case EVAL:
			st = eval(s, p->t, &w);
			if (p->st != NO_ASSERT)
				cr_expect_eq(st, p->st,
					     "%s, step %zu: state %d, "
					     "expected %d",
					     q->what, i, (int)st, p->st);
			continue;
		case WAIT:
			st = eval(s, p->t, &w);
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
		case CHECKED:
		case COUNTS:
		case VERDICT:
		case WRITER:
			cr_assert_not_null(f, "%s, step %zu", q->what, i);
			got = p->op == CHECKED	 ? f->checked
			      : p->op == COUNTS	 ? f->counts
			      : p->op == VERDICT ? (long)f->check.verdict
						 : (long)f->writer;
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

/* ---- the stale files are checked together ---- */

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

static enum settle_state
eval_batch(struct settle *s, msec_t now, struct settle_wait *w)
{
	return settle_evaluate(s, now, &batch_io, w);
}

Test(settle, stale_files_are_checked_in_one_batch)
{
	struct settle *s = mk(3, 500, false);
	struct settle_wait w;

	batches = 0;
	seen(s, A, 10, 4096, SEEN_EVENT, 1000);
	seen(s, B, 11, 4096, SEEN_EVENT, 1000);
	seen(s, C, 12, 4096, SEEN_EVENT, 1000);
	cr_expect_eq(eval_batch(s, 1500, &w), ST_SETTLED);
	cr_expect_eq(batches, 1);
	cr_expect_eq(batched[0], 3);
	cr_expect_eq(fk.checks, 3);
	cr_expect_eq(fk.writers, 3);
	cr_expect_eq(settle_ready(s), 3);
	/* Nothing stale: no batch at all. */
	cr_expect_eq(eval_batch(s, 1600, &w), ST_SETTLED);
	cr_expect_eq(batches, 1);
	/* One changed: a batch of one, the others keep their verdicts. */
	fake_set(&fk, B, V_INCOMPLETE, WR_QUIET, 0);
	seen(s, B, 11, 8192, SEEN_EVENT, 2000);
	expect_wait(eval_batch(s, 2500, &w), w, "checks", -1);
	cr_expect_eq(batches, 2);
	cr_expect_eq(batched[1], 1);
	cr_expect_eq(fake_get(&fk, A)->checks, 1);
	cr_expect_eq(fake_get(&fk, B)->checks, 2);
	cr_expect_eq(settle_ready(s), 2);
	settle_free(s);
}

Test(settle, uncounted_and_gone_files_are_not_in_the_batch)
{
	struct settle *s = mk(1, 500, true);
	struct settle_wait w;

	batches = 0;
	seen(s, A, 10, 4096, SEEN_INITIAL, 0); /* old: --new-only */
	seen(s, B, 11, 4096, SEEN_EVENT, 1000);
	seen(s, C, 12, 4096, SEEN_EVENT, 1000);
	settle_gone(s, C, 1000);
	cr_expect_eq(eval_batch(s, 1500, &w), ST_SETTLED);
	cr_expect_eq(batches, 1);
	cr_expect_eq(batched[0], 1);
	cr_expect_eq(fake_get(&fk, B)->checks, 1);
	settle_free(s);
}

/* The writer finished and exited between the check and the writer test:
 * the failing verdict was on contents it had not finished; checked again,
 * the file is ok. */
Test(settle, writer_gone_after_the_check_is_checked_again)
{
	struct settle *s = mk(1, 500, false);
	struct settle_wait w;

	fake_set(&fk, A, V_INCOMPLETE, WR_GONE, 11);
	fake_get(&fk, A)->mended = true;
	seen(s, A, 10, 4096, SEEN_EVENT, 1000);
	cr_expect_eq(eval_batch(s, 1500, &w), ST_SETTLED);
	cr_expect_eq(fk.checks, 2);
	cr_expect_eq(settle_find(s, A)->check.verdict, V_OK);
	cr_expect_eq(eval_batch(s, 1600, &w), ST_SETTLED);
	cr_expect_eq(fk.checks, 2);
	settle_free(s);
}

Test(settle, writer_alive_then_gone_is_checked_again)
{
	struct settle *s = mk(1, 500, false);
	struct settle_wait w;

	fake_set(&fk, A, V_INCOMPLETE, WR_ALIVE, 11);
	seen(s, A, 10, 4096, SEEN_EVENT, 1000);
	expect_wait(eval(s, 1500, &w), w, "writers", -1);
	cr_expect_eq(fk.checks, 1);
	/* It exits, its last write not seen (no event yet). */
	fake_set(&fk, A, V_OK, WR_GONE, 11);
	cr_expect_eq(eval(s, 1600, &w), ST_SETTLED);
	cr_expect_eq(fk.checks, 2);
	settle_free(s);
}

Test(settle, still_failing_after_the_writer_is_gone_is_invalid_once)
{
	struct settle *s = mk(1, 500, false);
	struct settle_wait w;

	fake_set(&fk, A, V_CORRUPT, WR_GONE, 11);
	seen(s, A, 10, 4096, SEEN_EVENT, 1000);
	cr_expect_eq(eval(s, 1500, &w), ST_INVALID);
	cr_expect_eq(fk.checks, 2, "checked again once its writer was gone");
	cr_expect_eq(eval(s, 1600, &w), ST_INVALID);
	cr_expect_eq(fk.checks, 2, "a final verdict is not checked again");
	cr_expect_eq(fk.writers, 1);
	settle_free(s);
}

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

/* ---- files that go ---- */

Test(settle, gone_is_vanished_until_renamed)
{
	struct settle *s = mk(1, 500, false);
	struct settle_wait w;
	const struct vanished *v;
	enum settle_state st;

	seen(s, A, 10, 4096, SEEN_EVENT, 1000);
	settle_gone(s, A, 2000);
	cr_expect_eq(settle_last_change(s), 2000);
	cr_expect_eq(settle_counted(s), 0);
	cr_expect_not(settle_find(s, A)->present);
	cr_assert_eq(settle_nvanished(s), 1);
	v = settle_vanished(s, 0);
	cr_expect_str_eq(v->name, A);
	cr_expect_eq(v->dev, 1);
	cr_expect_eq(v->ino, 10);
	cr_expect(v->renamable);
	st = eval(s, 5000, &w);
	expect_wait(st, w, "count", -1);
	/* the same inode under another name: a rename, nothing lost */
	seen(s, A ".Hdeadbeefh", 10, 4096, SEEN_EVENT, 2001);
	cr_expect_eq(settle_nvanished(s), 0, "a rename is not a loss");
	cr_expect_eq(settle_counted(s), 1);
	cr_expect_eq(eval(s, 2501, &w), ST_SETTLED);
	settle_free(s);
}

Test(settle, gone_and_another_inode_is_still_vanished)
{
	struct settle *s = mk(1, 500, false);

	seen(s, A, 10, 4096, SEEN_EVENT, 1000);
	settle_gone(s, A, 2000);
	seen(s, B, 11, 4096, SEEN_EVENT, 2001);
	cr_expect_eq(settle_nvanished(s), 1);
	cr_expect_str_eq(settle_vanished(s, 0)->name, A);
	settle_free(s);
}

Test(settle, gone_twice_is_one_loss)
{
	struct settle *s = mk(1, 500, false);

	seen(s, A, 10, 4096, SEEN_EVENT, 1000);
	settle_gone(s, A, 2000);
	settle_gone(s, A, 3000);
	cr_expect_eq(settle_nvanished(s), 1);
	cr_expect_eq(settle_last_change(s), 2000);
	settle_gone(s, "never-seen", 4000);
	cr_expect_eq(settle_nvanished(s), 1);
	settle_free(s);
}

Test(settle, gone_uncounted_is_no_loss)
{
	struct settle *s = mk(1, 500, true);

	seen(s, A, 10, 4096, SEEN_INITIAL, -3600000);
	settle_gone(s, A, 2000);
	cr_expect_eq(settle_nvanished(s), 0);
	settle_free(s);
}

Test(settle, deleted_never_seen)
{
	struct settle *s = mk(1, 500, false);

	settle_deleted(s, B, 3000);
	cr_assert_eq(settle_nvanished(s), 1);
	cr_expect_str_eq(settle_vanished(s, 0)->name, B);
	cr_expect_not(settle_vanished(s, 0)->renamable);
	cr_expect_eq(settle_last_change(s), 3000);
	settle_free(s);
}

Test(settle, deleted_never_seen_new_only_is_a_loss)
{
	struct settle *s = mk(1, 500, true);

	/* created after the watch was armed, deleted before a stat */
	settle_deleted(s, B, 3000);
	cr_assert_eq(settle_nvanished(s), 1);
	cr_expect_str_eq(settle_vanished(s, 0)->name, B);
	settle_free(s);
}

/* A deleted file's inode may be reused by a new file: no rename. */
Test(settle, deleted_is_lost_even_if_its_inode_comes_back)
{
	struct settle *s = mk(1, 500, false);
	const struct vanished *v;

	seen(s, A, 10, 4096, SEEN_EVENT, 1000);
	settle_deleted(s, A, 2000);
	cr_expect_eq(settle_last_change(s), 2000);
	cr_expect_eq(settle_counted(s), 0);
	cr_expect_not(settle_find(s, A)->present);
	cr_assert_eq(settle_nvanished(s), 1);
	v = settle_vanished(s, 0);
	cr_expect_str_eq(v->name, A);
	cr_expect_not(v->renamable);
	seen(s, B, 10, 4096, SEEN_EVENT, 2001);
	cr_assert_eq(settle_nvanished(s), 1, "a deleted file was unvanished");
	cr_expect_str_eq(settle_vanished(s, 0)->name, A);
	settle_free(s);
}

Test(settle, deleted_uncounted_is_no_loss)
{
	struct settle *s = mk(1, 500, true);

	seen(s, A, 10, 4096, SEEN_INITIAL, -3600000);
	settle_deleted(s, A, 2000);
	cr_expect_eq(settle_nvanished(s), 0);
	settle_gone(s, A, 2100);
	settle_deleted(s, A, 2200);
	cr_expect_eq(settle_nvanished(s), 0);
	settle_free(s);
}

Test(settle, deleted_quarantined_is_no_loss)
{
	struct settle *s = mk(1, 500, false);
	struct sfile *f;

	seen(s, A, 10, 4096, SEEN_EVENT, 1000);
	f = settle_find(s, A);
	cr_assert_not_null(f);
	settle_quarantine(s, f);
	settle_deleted(s, A, 2000);
	cr_expect_eq(settle_nvanished(s), 0);
	cr_expect_eq(settle_counted(s), 1);
	settle_free(s);
}

/* A scan (after an overflow) found the file missing; then the DELETE
 * event queued meanwhile arrives. One file, one loss, and no longer
 * renamable. */
Test(settle, gone_then_deleted_is_one_loss)
{
	struct settle *s = mk(1, 500, false);

	seen(s, A, 10, 4096, SEEN_EVENT, 1000);
	settle_scan_begin(s);
	settle_scan_end(s, 2000);
	cr_assert_eq(settle_nvanished(s), 1);
	cr_expect(settle_vanished(s, 0)->renamable);
	settle_deleted(s, A, 2100);
	cr_expect_eq(settle_nvanished(s), 1, "%s is listed as lost %zu times",
		     A, settle_nvanished(s));
	/* deleted for sure: a new file on the same inode is another file */
	seen(s, B, 10, 4096, SEEN_EVENT, 2200);
	cr_assert_eq(settle_nvanished(s), 1);
	cr_expect_str_eq(settle_vanished(s, 0)->name, A);
	settle_free(s);
}

Test(settle, quarantined_going_is_no_loss)
{
	struct settle *s = mk(2, 500, false);
	struct settle_wait w;
	struct sfile *f;

	fake_set(&fk, B, V_CORRUPT, WR_GONE, 0);
	seen(s, A, 10, 4096, SEEN_EVENT, 1000);
	seen(s, B, 11, 4096, SEEN_EVENT, 1000);
	cr_expect_eq(eval(s, 1500, &w), ST_INVALID);
	f = settle_find(s, B);
	cr_assert_not_null(f);
	settle_quarantine(s, f);
	cr_expect(f->quarantined);
	settle_gone(s, B, 1600);
	cr_expect_eq(settle_nvanished(s), 0, "a quarantined file is lost");
	cr_expect_eq(settle_counted(s), 2, "a quarantined file must count");
	cr_expect_eq(settle_ready(s), 1);
	/* what is left is ok */
	cr_expect_eq(eval(s, 100000, &w), ST_SETTLED);
	settle_free(s);
}

/* ---- full scans ---- */

Test(settle, scan_finds_what_went)
{
	struct settle *s = mk(2, 500, false);
	struct settle_wait w;
	enum settle_state st;

	seen(s, A, 10, 4096, SEEN_INITIAL, -3600000);
	seen(s, B, 11, 4096, SEEN_INITIAL, -3600000);
	seen(s, C, 12, 4096, SEEN_INITIAL, -3600000);
	cr_expect_eq(settle_counted(s), 3);
	settle_scan_begin(s);
	seen(s, A, 10, 4096, SEEN_RESCAN, 5000);
	seen(s, C, 12, 4096, SEEN_RESCAN, 5000);
	settle_scan_end(s, 5000);
	cr_expect(settle_find(s, A)->present);
	cr_expect_not(settle_find(s, B)->present);
	cr_expect(settle_find(s, C)->present);
	cr_expect_eq(settle_counted(s), 2);
	cr_assert_eq(settle_nvanished(s), 1);
	cr_expect_str_eq(settle_vanished(s, 0)->name, B);
	cr_expect_eq(settle_last_change(s), 5000);
	st = eval(s, 5000, &w);
	expect_wait(st, w, "quiet", 5500);
	cr_expect_eq(eval(s, 5500, &w), ST_SETTLED);

	/* an empty scan: everything went */
	settle_scan_begin(s);
	settle_scan_end(s, 6000);
	cr_expect_eq(settle_counted(s), 0);
	cr_expect_eq(settle_nvanished(s), 3);
	settle_free(s);
}

Test(settle, scan_with_nothing_gone_is_no_change)
{
	struct settle *s = mk(1, 500, false);

	seen(s, A, 10, 4096, SEEN_EVENT, 1000);
	settle_scan_begin(s);
	seen(s, A, 10, 4096, SEEN_RESCAN, 5000);
	settle_scan_end(s, 5000);
	cr_expect_eq(settle_last_change(s), 1000);
	cr_expect_eq(settle_nvanished(s), 0);
	settle_free(s);
}

/* A rename found by a scan (polling, overflow) rather than by events: the
 * new name is seen, the old one is not. The inode is the same, so no
 * coverage was lost, whatever the order the scan met them in. */
Test(settle, rename_found_by_a_scan_is_no_loss)
{
	struct settle *s = mk(1, 500, false);

	seen(s, A, 10, 4096, SEEN_EVENT, 1000);
	settle_scan_begin(s);
	seen(s, A ".Hdeadbeefh", 10, 4096, SEEN_RESCAN, 5000);
	settle_scan_end(s, 5000);
	cr_expect_not(settle_find(s, A)->present);
	cr_expect_eq(settle_counted(s), 1);
	cr_expect_eq(settle_nvanished(s), 0,
		     "%s reported lost although its inode is now %s", A,
		     A ".Hdeadbeefh");
	settle_free(s);
}

/* ---- describe ---- */

Test(settle, describe_nothing)
{
	struct settle *s = mk(1, 500, false);
	char buf[512];

	settle_describe(s, 1000, buf, sizeof(buf));
	cr_expect_str_eq(buf, "0 of 1 expected data file; no change seen");
	settle_free(s);
}

Test(settle, describe_failing)
{
	struct settle *s = mk(2, 500, false);
	struct settle_wait w;
	char buf[1024];

	fake_set(&fk, A, V_INCOMPLETE, WR_QUIET, 0);
	seen(s, A, 10, 4096, SEEN_EVENT, 1000);
	seen(s, B, 11, 4096, SEEN_EVENT, 1000);
	cr_expect_eq(eval(s, 1500, &w), ST_WAITING);
	settle_gone(s, B, 2000);
	settle_describe(s, 3500, buf, sizeof(buf));
	cr_expect_not_null(strstr(buf, "1 of 2 expected"), "%s", buf);
	cr_expect_not_null(strstr(buf, A " (incomplete: fake incomplete)"),
			   "%s", buf);
	cr_expect_null(strstr(buf, B), "a gone file listed: %s", buf);
	cr_expect_not_null(strstr(buf, "last change 1.50s ago"), "%s", buf);
	cr_expect_null(strchr(buf, '\n'), "%s", buf);
	cr_expect_str_eq(buf,
			 "1 of 2 expected data files; failing their check: " A
			 " (incomplete: fake incomplete); last change 1.50s "
			 "ago");
	settle_free(s);
}

Test(settle, describe_writers_and_trigger)
{
	struct settle *s = mk(1, 500, false);
	struct settle_wait w;
	char buf[1024];

	fake_set(&fk, A, V_OK, WR_ALIVE, 4711);
	seen(s, A, 10, 4096, SEEN_EVENT, 1000);
	seen(s, B, 11, 4096, SEEN_EVENT, 1000);
	cr_expect_eq(eval(s, 1500, &w), ST_WAITING);
	settle_trigger(s, true, 1500);
	settle_describe(s, 62500, buf, sizeof(buf));
	cr_expect_not_null(strstr(buf, "2 of 1 expected"), "%s", buf);
	cr_expect_not_null(strstr(buf, "trigger"), "%s", buf);
	cr_expect_not_null(strstr(buf, A " (writer pid 4711 alive)"), "%s",
			   buf);
	cr_expect_null(strstr(buf, B), "an ok file listed: %s", buf);
	cr_expect_not_null(strstr(buf, "last change 1m01s ago"), "%s", buf);
	settle_free(s);
}

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

/* ---- the rename that ends a save (coverage.py 7.13.1 and later) ---- */

Test(settle, unfinished_never_settles)
{
	struct settle *s = mk(1, 500, false);
	struct settle_wait w;
	enum settle_state st;
	char buf[512];

	/* Even when its rows are complete and no writer is known. */
	fake_set(&fk, U, V_OK, WR_QUIET, 0);
	seen(s, U, 10, 4096, SEEN_EVENT, 1000);
	cr_expect(settle_find(s, U)->unfinished);
	st = eval(s, 1500, &w);
	expect_wait(st, w, "checks", -1);
	st = eval(s, 100000, &w);
	cr_expect_eq(st, ST_WAITING);
	cr_expect_eq(settle_ready(s), 0);
	settle_describe(s, 100000, buf, sizeof(buf));
	cr_expect_not_null(strstr(buf, "failing their check: " U
				       " (incomplete: " CHECK_UNFINISHED ")"),
			   "%s", buf);
	settle_free(s);
}

Test(settle, unfinished_writer_gone_is_cut_short)
{
	static const enum verdict seen_as[] = { V_OK, V_INCOMPLETE, V_EMPTY,
						V_CORRUPT };
	size_t i;

	for (i = 0; i < sizeof(seen_as) / sizeof(seen_as[0]); i++) {
		struct settle *s = mk(1, 500, false);
		struct settle_wait w;
		struct sfile *f;

		fake_set(&fk, U, seen_as[i], WR_GONE, 44);
		seen(s, U, 10, 4096, SEEN_EVENT, 1000);
		cr_expect_eq(eval(s, 1500, &w), ST_INVALID, "rows %s",
			     verdict_name(seen_as[i]));
		f = settle_find(s, U);
		cr_expect(settle_invalid(s, f));
		cr_expect_eq(f->check.verdict, V_INCOMPLETE);
		cr_expect_str_eq(f->check.reason, SETTLE_CUT_SHORT);
		settle_free(s);
	}
}

/* A writer whose pid proved nothing (another PID namespace, hidepid) is
 * one from another host: an unfinished or failing file is never final,
 * not even at the timeout, and an ok, finished one settles. */
Test(settle, writer_unknown_is_never_final)
{
	static const char *const names[] = { U, A }; /* unfinished first */
	size_t i;

	for (i = 0; i < 2; i++) {
		struct settle *s = mk(1, 500, false);
		struct settle_wait w;
		char msg[1024];
		struct sfile *f;

		fake_set(&fk, names[i], V_INCOMPLETE, WR_UNKNOWN, 44);
		seen(s, names[i], 10, 4096, SEEN_EVENT, 1000);
		cr_expect_eq(eval(s, 1500, &w), ST_WAITING, "%s", names[i]);
		f = settle_find(s, names[i]);
		cr_expect_not(settle_invalid(s, f));
		cr_expect_eq(settle_expire(s, 1600), ST_WAITING);
		cr_expect_not(settle_invalid(s, f));
		snprintf(f->evidence, sizeof(f->evidence),
			 "writer pid 44 unknown (not visible)");
		settle_describe(s, 1600, msg, sizeof(msg));
		cr_expect(
			strstr(msg, "; writer pid 44 unknown (not visible))") !=
				NULL,
			"%s", msg);
		fake_set(&fk, names[i], V_OK, WR_UNKNOWN, 44);
		f->checked = false;
		cr_expect_eq(eval(s, 1700, &w),
			     i == 0 ? ST_WAITING : ST_SETTLED, "%s", names[i]);
		settle_free(s);
	}
}

Test(settle, unfinished_found_missing_waits_for_its_rename)
{
	struct settle *s = mk(1, 500, false);
	struct settle_wait w;
	enum settle_state st;

	/* Renamed and exited between the check and the writer test. */
	fake_set(&fk, U, V_MISSING, WR_GONE, 44);
	seen(s, U, 10, 4096, SEEN_EVENT, 1000);
	st = eval(s, 1500, &w);
	cr_expect_eq(st, ST_WAITING);
	cr_expect_not(settle_invalid(s, settle_find(s, U)));
	settle_gone(s, U, 1600);
	seen(s, F, 10, 4096, SEEN_EVENT, 1600);
	cr_expect_eq(eval(s, 1600, &w), ST_SETTLED);
	cr_expect_eq(settle_nvanished(s), 0);
	settle_free(s);
}

Test(settle, finished_name_settles)
{
	struct settle *s = mk(1, 500, false);
	struct settle_wait w;

	seen(s, F, 10, 4096, SEEN_EVENT, 1000);
	cr_expect_not(settle_find(s, F)->unfinished);
	cr_expect_eq(eval(s, 1500, &w), ST_SETTLED);
	settle_free(s);
}

/* The rename is one data file: no loss, counted once, and no new quiet
 * window when the contents did not change. */
static void
rename_once(bool new_only)
{
	struct settle *s = mk(1, 500, new_only);
	struct settle_wait w;
	enum settle_state st;

	seen(s, U, 10, 4096, SEEN_EVENT, 1000);
	st = eval(s, 1500, &w);
	expect_wait(st, w, "checks", -1);
	settle_gone(s, U, 1400);
	seen(s, F, 10, 4096, SEEN_EVENT, 1400);
	cr_expect_eq(settle_nvanished(s), 0, "the rename reported as a loss");
	cr_expect_eq(settle_counted(s), 1, "counted %ld times",
		     settle_counted(s));
	cr_expect_eq(settle_last_change(s), 1000,
		     "the rename started a new window (last change %lld)",
		     (long long)settle_last_change(s));
	cr_expect_eq(eval(s, 1500, &w), ST_SETTLED);
	cr_expect_eq(settle_ready(s), 1);
	settle_free(s);
}

Test(settle, rename_is_one_file)
{
	rename_once(false);
}

Test(settle, rename_is_one_file_new_only)
{
	rename_once(true);
}

Test(settle, rename_of_an_old_file_new_only_counts_once)
{
	struct settle *s = mk(1, 500, true);
	struct settle_wait w;
	enum settle_state st;

	/* There before the watch: it counts once written after it. */
	seen(s, U, 10, 4096, SEEN_INITIAL, 0);
	cr_expect_eq(settle_counted(s), 0);
	seen(s, U, 10, 8192, SEEN_EVENT, 1000);
	settle_gone(s, U, 1100);
	seen(s, F, 10, 8192, SEEN_EVENT, 1100);
	cr_expect_eq(settle_counted(s), 1);
	cr_expect_eq(settle_nvanished(s), 0);
	st = eval(s, 1500, &w);
	cr_expect_eq(st, ST_SETTLED);
	settle_free(s);
}

Test(settle, rename_with_new_contents_is_a_change)
{
	struct settle *s = mk(1, 500, false);
	struct settle_wait w;
	enum settle_state st;

	seen(s, U, 10, 4096, SEEN_EVENT, 1000);
	settle_gone(s, U, 1400);
	seen(s, F, 10, 8192, SEEN_EVENT, 1400);
	cr_expect_eq(settle_nvanished(s), 0);
	st = eval(s, 1500, &w);
	expect_wait(st, w, "quiet", 1900);
	cr_expect_eq(eval(s, 1900, &w), ST_SETTLED);
	settle_free(s);
}

Test(settle, rename_after_another_change_keeps_that_window)
{
	struct settle *s = mk(2, 500, false);
	struct settle_wait w;
	enum settle_state st;

	seen(s, U, 10, 4096, SEEN_EVENT, 1000);
	settle_gone(s, U, 1300);
	seen(s, B, 11, 4096, SEEN_EVENT, 1350);
	seen(s, F, 10, 4096, SEEN_EVENT, 1400);
	st = eval(s, 1500, &w);
	expect_wait(st, w, "quiet", 1850);
	settle_free(s);
}

Test(settle, rename_found_by_a_scan_keeps_the_window)
{
	struct settle *s = mk(1, 500, false);
	struct settle_wait w;

	seen(s, U, 10, 4096, SEEN_EVENT, 1000);
	settle_scan_begin(s);
	seen(s, F, 10, 4096, SEEN_RESCAN, 1400);
	settle_scan_end(s, 1400);
	cr_expect_eq(settle_nvanished(s), 0);
	cr_expect_eq(settle_counted(s), 1);
	cr_expect_eq(settle_last_change(s), 1000);
	cr_expect_eq(eval(s, 1500, &w), ST_SETTLED);
	settle_free(s);
}

/* Where a rename gives the file another inode (some FUSE filesystems),
 * the finished name of the same save, with the same contents, is still
 * the same file: by events and by scans. */
Test(settle, rename_to_another_inode_is_one_file)
{
	struct settle *s = mk(1, 500, false);
	struct settle_wait w;

	seen(s, U, 10, 4096, SEEN_EVENT, 1000);
	settle_gone(s, U, 1400);
	seen(s, F, 99, 4096, SEEN_EVENT, 1400);
	cr_expect_eq(settle_nvanished(s), 0);
	cr_expect_eq(settle_counted(s), 1);
	cr_expect_eq(settle_last_change(s), 1000);
	cr_expect_eq(eval(s, 1500, &w), ST_SETTLED);
	settle_free(s);

	s = mk(1, 500, false);
	seen(s, U, 10, 4096, SEEN_EVENT, 1000);
	settle_scan_begin(s);
	seen(s, F, 99, 4096, SEEN_RESCAN, 1400);
	settle_scan_end(s, 1400);
	cr_expect_eq(settle_nvanished(s), 0);
	cr_expect_eq(settle_counted(s), 1);
	cr_expect_eq(settle_last_change(s), 1000);
	settle_free(s);
}

Test(settle, another_save_under_another_inode_is_no_rename)
{
	struct settle *s = mk(1, 500, false);

	/* Another save's finished name, or other contents: U is lost. */
	seen(s, U, 10, 4096, SEEN_EVENT, 1000);
	settle_gone(s, U, 1400);
	seen(s, ".coverage.h.pid45.Xa1B2c3x.H0123456789h", 99, 4096, SEEN_EVENT,
	     1400);
	cr_expect_eq(settle_nvanished(s), 1);
	seen(s, F, 98, 8192, SEEN_EVENT, 1400);
	cr_expect_eq(settle_nvanished(s), 1);
	cr_expect_str_eq(settle_vanished(s, 0)->name, U);
	settle_free(s);
}

/* At the timeout, an unfinished save (no .H...h yet) is a timeout, not a
 * failure, though another file fails for good then. */
Test(settle, expire_leaves_an_unfinished_save_a_timeout)
{
	struct settle *s = mk(2, 500, false);
	struct settle_wait w;

	fake_set(&fk, A, V_SYMLINK, WR_QUIET, 0);
	fake_set(&fk, U, V_OK, WR_QUIET, 0);
	seen(s, A, 10, 4096, SEEN_EVENT, 1000);
	seen(s, U, 11, 4096, SEEN_EVENT, 1000);
	cr_expect_eq(eval(s, 1500, &w), ST_WAITING);
	cr_expect_eq(settle_expire(s, 1600), ST_WAITING);
	cr_expect_not(settle_invalid(s, settle_find(s, A)));
	settle_free(s);
}

/* The quiet window left, as the status line shows it: none before any
 * change, the rest of the window after one, none once it has passed. */
Test(settle, quiet_left)
{
	struct settle *s = mk(1, 500, false);
	struct fsig g = fsig_of(1, 4096, 0);

	cr_expect_eq(settle_quiet_left(s, 1000), -1);
	settle_seen(s, ".coverage.h.1.123456", &g, SEEN_EVENT, 1000);
	cr_expect_eq(settle_quiet_left(s, 1000), 500);
	cr_expect_eq(settle_quiet_left(s, 1300), 200);
	cr_expect_eq(settle_quiet_left(s, 1500), -1);
	settle_free(s);
}
