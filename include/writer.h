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

/* What the two tests tell of a data file together. */
enum writer_seen {
	WRITER_OPEN,  /* open for writing by some process (lease refused) */
	WRITER_ALIVE, /* the writer named in the file runs on this host */
	WRITER_GONE,  /* that writer has exited */
	WRITER_QUIET, /* no sign of a writer, but none known gone either */
};

/* Is a process still at work on the data file name in dirfd, last
 * modified at mtime? The lease first (skipped when dirfd < 0); then, when
 * by_pid, the pid in the name if its host is this one (name_parse() and
 * name_host_is(): fields read from the right, in every era). *pid is that
 * pid when it was tested, else 0. */
enum writer_seen writer_at_work(int dirfd, const char *name, bool by_pid,
				time_t mtime, pid_t *pid);

/* This machine's host name, as coverage.py puts it in file names. */
const char *writer_hostname(void);

#endif
