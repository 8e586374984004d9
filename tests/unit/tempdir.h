/* tempdir.h: a scratch directory for the unit tests that need real files:
 * made fresh for a test, removed with everything in it afterwards, with
 * no shell in between. */
#ifndef COVSETTLE_TEMPDIR_H
#define COVSETTLE_TEMPDIR_H

struct tempdir {
	char path[64]; /* /tmp/covsettle-TAG.XXXXXX, made */
	char *real;    /* its canonical path (malloc'd) */
	int fd;	       /* open on it, or -1 */
};

/* Make a fresh directory /tmp/covsettle-TAG.XXXXXX into t; a failure
 * fails the test. Two made with one tag have paths of equal length. */
void tempdir_make(struct tempdir *t, const char *tag);

/* Remove t's directory and everything below it; t can be made again. */
void tempdir_remove(struct tempdir *t);

/* Copy the file at path from to name in t; a failure fails the test. */
void tempdir_copy(const struct tempdir *t, const char *from, const char *name);

/* How many entries t's directory holds ("." and ".." aside). */
int tempdir_entries(const struct tempdir *t);

#endif
