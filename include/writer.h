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

/* What was found out about the process named in a data file. */
struct writer_proc {
	enum proc_state state;
	char comm[WRITER_COMM + 1]; /* its command name, "" when unknown */
	char why[80];		    /* PROC_NOT_WRITER: "is not a Python ..." */
	bool has_open;		    /* it has the data file open */
};

/* Take a read lease on name in dirfd and drop it at once. */
enum lease_state writer_lease(int dirfd, const char *name);

/* Can pid (from the name of the file name in dirfd) be the file's writer,
 * and is it alive? Fills p and returns p->state. */
enum proc_state writer_process(pid_t pid, int dirfd, const char *name,
			       struct writer_proc *p);

/* This machine's host name, as coverage.py puts it in file names. */
const char *writer_hostname(void);

#endif
