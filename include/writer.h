/* writer.h: is some process still writing a data file? Two tests: a read
 * lease (refused while any process has the file open for writing) and the
 * process with the pid that coverage.py put in the file name, when that
 * process can be the writer at all. */
#ifndef COVSETTLE_WRITER_H
#define COVSETTLE_WRITER_H

#include <stdbool.h>
#include <sys/types.h>
#include <time.h>

enum lease_state {
	LEASE_FREE,    /* lease granted: nobody has the file open to write */
	LEASE_WRITING, /* lease refused with EAGAIN: open for writing */
	LEASE_DENIED,  /* refused for want of permission (EACCES, EPERM):
			* not the file's owner and no CAP_LEASE */
	LEASE_UNKNOWN, /* leases refused for other reasons: test skipped */
};

enum proc_state {
	PROC_ALIVE,	 /* running (or stopped), and it can be the writer */
	PROC_GONE,	 /* no such process, or a zombie */
	PROC_NOT_WRITER, /* a process that cannot have written the file:
			  * why says how it differs; no evidence either way */
	PROC_UNKNOWN,	 /* /proc unreadable */
};

#define WRITER_COMM 16 /* a command name, as /proc/PID/stat has it */

/* What was found out about a data file's writer. */
struct writer_proc {
	enum proc_state state;	    /* of the pid in the name, when tested */
	pid_t pid;		    /* the pid in the name when tested, or 0 */
	char comm[WRITER_COMM + 1]; /* its command name, "" when unknown */
	char why[80];		    /* PROC_NOT_WRITER: "is not a Python ..." */
	bool has_open;		    /* it has the data file open */
	bool lease_denied;	    /* the lease test is off: LEASE_DENIED */
};

/* Take a read lease on name in dirfd and drop it at once. */
enum lease_state writer_lease(int dirfd, const char *name);

/* What the two tests tell of a data file together. */
enum writer_seen {
	WRITER_OPEN,  /* open for writing by some process (lease refused) */
	WRITER_ALIVE, /* the writer named in the file runs here, and can be
		       * the writer */
	WRITER_GONE,  /* that writer has exited */
	WRITER_QUIET, /* no sign of a writer, but none known gone either */
};

/* Is a process still at work on the data file name in dirfd? The lease
 * first (skipped when dirfd < 0); then, when by_pid, the pid in the name
 * if its host is this one (name_parse() and name_host_is(): fields read
 * from the right, in every era) and that process can be the writer.
 * Fills p: the pid tested, and what was found of its process. */
enum writer_seen writer_at_work(int dirfd, const char *name, bool by_pid,
				struct writer_proc *p);

/* This machine's host name, as coverage.py puts it in file names. */
const char *writer_hostname(void);

#endif
