/* writer.h: is some process still writing a data file? Two tests: a read
 * lease (refused while any process has the file open for writing) and the
 * liveness of the pid that coverage.py put in the file name. */
#ifndef COVSETTLE_WRITER_H
#define COVSETTLE_WRITER_H

#include <stdbool.h>
#include <sys/types.h>
#include <time.h>

enum lease_state {
	LEASE_FREE,    /* lease granted: nobody has the file open to write */
	LEASE_WRITING, /* lease refused with EAGAIN: open for writing */
	LEASE_UNKNOWN, /* leases refused for other reasons: test skipped */
};

enum proc_state {
	PROC_ALIVE, /* running (or stopped), and old enough to be the writer */
	PROC_GONE,  /* no such process, a zombie, or born after the file */
	PROC_UNKNOWN, /* /proc unreadable */
};

/* Take a read lease on name in dirfd and drop it at once. */
enum lease_state writer_lease(int dirfd, const char *name);

/* State of pid as the writer of a file last modified at mtime. */
enum proc_state writer_process(pid_t pid, time_t mtime);

/* This machine's host name, as coverage.py puts it in file names. */
const char *writer_hostname(void);

#endif
