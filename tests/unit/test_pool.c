/* test_pool.c: unit tests of pool.c: every job runs once, results are
 * delivered in order within the window, the threads block signals, and
 * the thread count follows the rules of pool.h. */
#include <criterion/criterion.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pool.h"

#define NJOBS 2000

struct run {
	size_t window;
	pthread_t caller;
	atomic_int runs[NJOBS];	 /* work() calls per job */
	atomic_size_t delivered; /* done() calls so far */
	atomic_int early;	 /* jobs started before the window allowed */
	atomic_int on_workers; /* jobs run on a thread other than the caller */
	atomic_int unblocked;  /* of those, jobs that saw SIGINT unblocked */
	atomic_int done_off_main; /* done() calls on another thread */
	size_t order[NJOBS];	  /* done() calls, in order (caller only) */
	unsigned slow_every;	  /* every this many jobs sleep a little */
};

static void
nap(long usec)
{
	struct timespec ts = { 0, usec * 1000 };

	nanosleep(&ts, NULL);
}

static void
work(void *ctx, size_t i)
{
	struct run *r = ctx;
	sigset_t mask;

	atomic_fetch_add(&r->runs[i], 1);
	if (r->window > 0 && i >= atomic_load(&r->delivered) + r->window)
		atomic_fetch_add(&r->early, 1);
	if (!pthread_equal(pthread_self(), r->caller)) {
		atomic_fetch_add(&r->on_workers, 1);
		pthread_sigmask(SIG_BLOCK, NULL, &mask);
		if (!sigismember(&mask, SIGINT) ||
		    !sigismember(&mask, SIGTERM) ||
		    !sigismember(&mask, SIGHUP) ||
		    !sigismember(&mask, SIGCHLD) || !sigismember(&mask, SIGIO))
			atomic_fetch_add(&r->unblocked, 1);
		if (sigismember(&mask, SIGSEGV))
			atomic_fetch_add(&r->unblocked, 100);
	}
	if (r->slow_every && i % r->slow_every == 0)
		nap(200);
}

static void
done(void *ctx, size_t i)
{
	struct run *r = ctx;
	size_t k = atomic_load(&r->delivered);

	if (!pthread_equal(pthread_self(), r->caller))
		atomic_fetch_add(&r->done_off_main, 1);
	cr_assert_eq(atomic_load(&r->runs[i]), 1,
		     "job %zu delivered before "
		     "it ran",
		     i);
	r->order[k] = i;
	atomic_store(&r->delivered, k + 1);
}

static struct run *
run(size_t n, size_t window, int threads, bool with_done, unsigned slow)
{
	struct run *r = calloc(1, sizeof(*r));
	size_t i;

	cr_assert_not_null(r);
	r->window = with_done ? window : 0;
	r->caller = pthread_self();
	r->slow_every = slow;
	pool_run(n, window, threads, work, with_done ? done : NULL, r);
	for (i = 0; i < n; i++)
		cr_assert_eq(atomic_load(&r->runs[i]), 1,
			     "job %zu ran %d times (n %zu, window %zu, "
			     "threads %d)",
			     i, atomic_load(&r->runs[i]), n, window, threads);
	if (with_done) {
		cr_assert_eq(atomic_load(&r->delivered), n);
		for (i = 0; i < n; i++)
			cr_assert_eq(r->order[i], i, "delivered out of order");
	}
	cr_assert_eq(atomic_load(&r->early), 0, "window %zu not kept", window);
	cr_assert_eq(atomic_load(&r->done_off_main), 0);
	cr_assert_eq(atomic_load(&r->unblocked), 0,
		     "a worker thread has a signal unblocked");
	return r;
}

Test(pool, every_job_once_in_order)
{
	static const size_t ns[] = { 0, 1, 2, 7, 8, 9, 100, NJOBS };
	static const size_t windows[] = { 0, 1, 2, 3, 128 };
	static const int threads[] = { 1, 2, 3, 4, 9 };
	size_t a, b, c;

	for (a = 0; a < sizeof(ns) / sizeof(ns[0]); a++)
		for (b = 0; b < sizeof(windows) / sizeof(windows[0]); b++)
			for (c = 0; c < sizeof(threads) / sizeof(threads[0]);
			     c++) {
				free(run(ns[a], windows[b], threads[c], true,
					 0));
				free(run(ns[a], windows[b], threads[c], false,
					 0));
			}
}

Test(pool, slow_jobs_keep_order_and_window)
{
	struct run *r = run(NJOBS, 16, 4, true, 7);

	cr_expect_gt(atomic_load(&r->on_workers), 0, "no job on a worker");
	free(r);
	free(run(500, 1, 4, true, 3));
	free(run(500, 0, 4, false, 5));
}

Test(pool, one_thread_runs_in_the_caller)
{
	struct run *r = run(100, 8, 1, true, 0);

	cr_expect_eq(atomic_load(&r->on_workers), 0);
	free(r);
}

Test(pool, workers_block_signals_caller_keeps_its_mask)
{
	sigset_t before, after;
	struct run *r;

	sigemptyset(&before);
	sigaddset(&before, SIGUSR1);
	pthread_sigmask(SIG_SETMASK, &before, NULL);
	r = run(NJOBS, 32, 4, true, 5); /* asserts the workers' masks */
	cr_expect_gt(atomic_load(&r->on_workers), 0);
	pthread_sigmask(SIG_SETMASK, NULL, &after);
	cr_expect(sigismember(&after, SIGUSR1));
	cr_expect_not(sigismember(&after, SIGINT), "caller's mask changed");
	free(r);
}

Test(pool, threads_for_a_handful_of_jobs_is_one)
{
	size_t n;

	setenv("COVSETTLE_THREADS", "4", 1);
	for (n = 0; n < POOL_MIN_JOBS; n++)
		cr_expect_eq(pool_threads(n), 1, "%zu jobs", n);
	cr_expect_eq(pool_threads(POOL_MIN_JOBS), 4);
}

Test(pool, threads_from_the_environment)
{
	setenv("COVSETTLE_THREADS", "1", 1);
	cr_expect_eq(pool_threads(1000), 1);
	setenv("COVSETTLE_THREADS", "3", 1);
	cr_expect_eq(pool_threads(1000), 3);
	setenv("COVSETTLE_THREADS", "99", 1);
	cr_expect_eq(pool_threads(1000), POOL_MAX);
	/* Not a number from 1: the CPUs decide. */
	unsetenv("COVSETTLE_THREADS");
	int cpus = pool_threads(1000);
	cr_expect(cpus >= 1 && cpus <= POOL_MAX);
	setenv("COVSETTLE_THREADS", "0", 1);
	cr_expect_eq(pool_threads(1000), cpus);
	setenv("COVSETTLE_THREADS", "2x", 1);
	cr_expect_eq(pool_threads(1000), cpus);
	setenv("COVSETTLE_THREADS", "", 1);
	cr_expect_eq(pool_threads(1000), cpus);
}
