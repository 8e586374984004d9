/* pool.h: independent jobs on a few threads, for checking many data files
 * at once. The calling thread works too, and with too few jobs, or one
 * CPU, it works alone and no thread is created at all. */
#ifndef COVSETTLE_POOL_H
#define COVSETTLE_POOL_H

#include <stddef.h>

/* At most this many threads, the caller's included. */
#define POOL_MAX 4
/* Fewer jobs than this run in the calling thread alone: starting a thread
 * would cost more than it saves. */
#define POOL_MIN_JOBS 8

/* How many threads to use for n jobs: 1 under POOL_MIN_JOBS, else the
 * CPUs this process may run on, or $COVSETTLE_THREADS when set to 1 to
 * POOL_MAX, at most POOL_MAX. Call it from the main thread. */
int pool_threads(size_t n);

/* Run work(ctx, i) for every i < n on up to `threads` threads, the
 * caller's one of them; returns when all are done. When done is not NULL,
 * done(ctx, i) runs in the calling thread, in the order of i, after
 * work(ctx, i) has returned; work(ctx, i) then starts only after
 * done(ctx, i - window) has returned, so the results of the jobs in flight
 * fit in a ring of window slots indexed by i % window (window 0: no bound).
 * The threads are created with every signal blocked but the synchronous
 * ones (SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGTRAP, SIGSYS), so no signal
 * is ever handled on them. If a thread cannot be created, fewer do the
 * work. */
void pool_run(size_t n, size_t window, int threads,
	      void (*work)(void *ctx, size_t i),
	      void (*done)(void *ctx, size_t i), void *ctx);

#endif
