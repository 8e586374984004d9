/* pool.c: a few threads that take the next job from a shared counter.
 *
 * One mutex guards the counter and a ring of `finished` flags; a job (an
 * SQLite check, a tenth of a millisecond or more) is far longer than a
 * lock. The caller takes jobs like any worker and, when there is a `done`
 * callback, passes finished jobs to it in order: it delivers job
 * `delivered` as soon as that one has finished, else works on the next
 * job the window allows, else sleeps on `ready` until a worker finishes
 * job `delivered`. Workers sleep on `room` while the window is full.
 *
 * Signals: covsettle blocks the signals it acts on and reads them from a
 * signalfd in the main thread. The workers are created while every
 * asynchronous signal is blocked, so they inherit that mask and no
 * signal is delivered to them; the caller's mask is restored at once. */
#include "pool.h"
#include "util.h"

#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <unistd.h>

struct pool {
	size_t n, window;
	void (*work)(void *, size_t);
	void (*done)(void *, size_t);
	void *ctx;
	pthread_mutex_t mu;
	pthread_cond_t ready; /* job `delivered` has finished */
	pthread_cond_t room;  /* `delivered` moved: the window has room */
	size_t next;	      /* the next job to start */
	size_t delivered;     /* jobs before it have been through done */
	bool *finished;	      /* by job % window */
};

int
pool_threads(size_t n)
{
	const char *env;
	cpu_set_t set;
	char *end;
	long v, cpus;

	if (n < POOL_MIN_JOBS)
		return 1; /* at once: no look at the CPUs (a file read) */
	env = getenv("COVSETTLE_THREADS");
	if (env != NULL && *env != '\0') {
		v = strtol(env, &end, 10);
		if (*end == '\0' && v >= 1)
			return v < POOL_MAX ? (int)v : POOL_MAX;
	}
	/* The CPUs we may run on (taskset, cpusets), if fewer. */
	cpus = sysconf(_SC_NPROCESSORS_ONLN);
	if (sched_getaffinity(0, sizeof(set), &set) == 0 &&
	    (cpus < 1 || CPU_COUNT(&set) < cpus))
		cpus = CPU_COUNT(&set);
	if (cpus < 1)
		return 1;
	return cpus < POOL_MAX ? (int)cpus : POOL_MAX;
}

/* Take the next job the window allows; false when none is left. Called
 * with the mutex held; waits for room when wait is true. */
static bool
take(struct pool *p, bool wait, size_t *i)
{
	while (p->next < p->n && p->next >= p->delivered + p->window) {
		if (!wait)
			return false;
		pthread_cond_wait(&p->room, &p->mu);
	}
	if (p->next >= p->n)
		return false;
	*i = p->next++;
	return true;
}

/* Run job i outside the lock; called and returns with the mutex held. */
static void
run_job(struct pool *p, size_t i)
{
	pthread_mutex_unlock(&p->mu);
	p->work(p->ctx, i);
	pthread_mutex_lock(&p->mu);
	p->finished[i % p->window] = true;
	if (i == p->delivered)
		pthread_cond_signal(&p->ready);
}

static void *
worker(void *arg)
{
	struct pool *p = arg;
	size_t i;

	pthread_mutex_lock(&p->mu);
	while (take(p, true, &i))
		run_job(p, i);
	pthread_mutex_unlock(&p->mu);
	return NULL;
}

/* The caller's part: work, and deliver in order. */
static void
lead(struct pool *p)
{
	size_t i;

	pthread_mutex_lock(&p->mu);
	while (p->delivered < p->n) {
		i = p->delivered;
		if (p->finished[i % p->window]) {
			p->finished[i % p->window] = false;
			if (p->done != NULL) {
				pthread_mutex_unlock(&p->mu);
				p->done(p->ctx, i);
				pthread_mutex_lock(&p->mu);
			}
			p->delivered++;
			pthread_cond_broadcast(&p->room);
		} else if (take(p, false, &i)) {
			run_job(p, i);
		} else {
			pthread_cond_wait(&p->ready, &p->mu);
		}
	}
	pthread_mutex_unlock(&p->mu);
}

void
pool_run(size_t n, size_t window, int threads, void (*work)(void *, size_t),
	 void (*done)(void *, size_t), void *ctx)
{
	static const int sync_signals[] = { SIGSEGV, SIGBUS,  SIGFPE,
					    SIGILL,  SIGTRAP, SIGSYS };
	struct pool p = { .n = n, .work = work, .done = done, .ctx = ctx };
	pthread_t *tid;
	sigset_t all, old;
	size_t i;
	int k = 0, t;

	if (threads <= 1 || n < 2) {
		/* No thread, no lock: exactly the loop it replaces. */
		for (i = 0; i < n; i++) {
			work(ctx, i);
			if (done != NULL)
				done(ctx, i);
		}
		return;
	}
	if (threads > POOL_MAX)
		threads = POOL_MAX;
	if ((size_t)threads > n)
		threads = (int)n;
	p.window = window == 0 || window > n ? n : window;
	p.finished = xcalloc(p.window, sizeof(*p.finished));
	tid = xcalloc((size_t)threads, sizeof(*tid));
	pthread_mutex_init(&p.mu, NULL);
	pthread_cond_init(&p.ready, NULL);
	pthread_cond_init(&p.room, NULL);
	sigfillset(&all);
	for (i = 0; i < sizeof(sync_signals) / sizeof(sync_signals[0]); i++)
		sigdelset(&all, sync_signals[i]);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	for (t = 1; t < threads; t++)
		if (pthread_create(&tid[k], NULL, worker, &p) == 0)
			k++;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	lead(&p);
	for (t = 0; t < k; t++)
		pthread_join(tid[t], NULL);
	pthread_cond_destroy(&p.room);
	pthread_cond_destroy(&p.ready);
	pthread_mutex_destroy(&p.mu);
	free(tid);
	free(p.finished);
}
