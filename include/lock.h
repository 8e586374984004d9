/* lock.h: one gather per directory at a time, by flock(2) on DIR itself;
 * where a directory cannot be locked (NFS), on DIR/.covsettle.lock, a name
 * that no data file pattern matches. */
#ifndef COVSETTLE_LOCK_H
#define COVSETTLE_LOCK_H

#include <stdbool.h>
#include <sys/types.h>

#include "util.h"

#define LOCK_NAME ".covsettle.lock"

enum lock_state {
	LOCK_TAKEN,
	LOCK_BUSY,    /* held by *holder (0: unknown), and wait was false */
	LOCK_TIMEOUT, /* still held at the deadline */
	LOCK_SIGNAL,  /* *signo arrived while waiting */
	LOCK_ERROR,   /* err says why */
};

/* Take DIR's lock, creating DIR (and its parents) when missing. With wait,
 * retry every 100ms until deadline (-1: none) or a signal on sigfd. On
 * LOCK_TAKEN, *fd holds the lock until lock_release(). */
enum lock_state lock_take(const char *dir, bool wait, msec_t deadline,
			  int sigfd, int *fd, pid_t *holder, int *signo,
			  char *err);

void lock_release(int fd);

#endif
