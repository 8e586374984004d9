/* pathread.h: the file paths of gather's inputs, read during the wait, in
 * the check's own connection as each file passes, so that the native
 * combine's question (choice.c) has them when the wait ends. */
#ifndef COVSETTLE_PATHREAD_H
#define COVSETTLE_PATHREAD_H

#include <stddef.h>

struct check_reader;
struct input;
struct pathread;

/* An empty store, or NULL when threads cannot share it (no mutex). */
struct pathread *pathread_new(void);
void pathread_free(struct pathread *p);

/* The reader to give the wait (wait_opts.reader): each file that passes
 * its check has its paths kept, under its device, inode, size and mtime
 * as the check found them. */
const struct check_reader *pathread_reader(struct pathread *p);

/* The distinct paths of the files inputs (n of them), in the order they
 * first appear, as combine_paths() would give them: 1 with *paths
 * (malloc'd, each path malloc'd) and *npaths when every input is a file
 * whose paths were kept and which has the same device, inode, size and
 * mtime now; else 0, nothing set, and the caller reads them itself. */
int pathread_paths(struct pathread *p, const char *const *inputs, size_t n,
		   char ***paths, size_t *npaths);

/* The rows of the file at path, read for the native combine's union
 * (combine.c) when it is the very file read, unchanged (the same rule as
 * pathread_paths()): the caller's to free (combine_read_free(), free()),
 * each given once; or NULL, and the caller reads it itself. Any thread. */
struct input *pathread_input(struct pathread *p, const char *path);

#endif
