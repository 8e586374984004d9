/* writer.h: is some process still writing a data file? Two tests: a read
 * lease (refused while any process has the file open for writing) and the
 * process with the pid that coverage.py put in the file name. The pid test
 * has three answers: alive, gone (proven), or unknown; never "gone" for
 * want of seeing the process. */
#ifndef COVSETTLE_WRITER_H
#define COVSETTLE_WRITER_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

enum lease_state {
	LEASE_FREE,    /* lease granted: nobody has the file open to write */
	LEASE_WRITING, /* lease refused with EAGAIN: open for writing */
	LEASE_DENIED,  /* refused for want of permission (EACCES, EPERM):
			* not the file's owner and no CAP_LEASE */
	LEASE_UNKNOWN, /* leases refused for other reasons: test skipped */
};

/* What the pid test found of one process, the one by the pid in a data
 * file's name: a process's state (struct writer_proc). A file's writer
 * state (enum writer_state) is wider: writer_at_work() makes it of the
 * lease, whether the pid was tested, and this. */
enum proc_state {
	PROC_ALIVE,   /* proven: running (or stopped), and it is a Python
		       * process or has the file open */
	PROC_GONE,    /* proven: no process anywhere can be the writer */
	PROC_UNKNOWN, /* neither: evidence says why */
};

#define WRITER_COMM 16 /* a command name, as /proc/PID/stat has it */

/* What was found out about a data file's writer. */
struct writer_proc {
	enum proc_state state;	    /* of the pid in the name, when tested */
	pid_t pid;		    /* the pid in the name when tested, or 0 */
	char comm[WRITER_COMM + 1]; /* its command name, "" when unknown */
	/* The process here by that number, seen, cannot be the writer: why
	 * says how it differs ("is a kernel thread"), else "". */
	char why[80];
	/* What decided the state, for -v and the timeout's message:
	 * "not visible from this PID namespace". */
	char evidence[96];
	bool kept;	   /* PROC_UNKNOWN, but a process by that number
			    * exists here and may be the writer: held as
			    * if alive until it exits */
	pid_t follow;	   /* alive or kept: the process to wait on, by its
			    * pid here (pid, or the pid here of a process
			    * in a nested PID namespace that goes by pid) */
	bool has_open;	   /* it has the data file open */
	bool lease_denied; /* the lease test is off: LEASE_DENIED */
};

/* Take a read lease on name in dirfd and drop it at once. */
enum lease_state writer_lease(int dirfd, const char *name);

/* What is known of a data file's writer: what the two tests tell of the
 * file together (writer_at_work()), and what the settle table keeps of
 * it (struct sfile's writer, settle.h), which starts untested. */
enum writer_state {
	WR_UNPROBED, /* not tested since the file last changed (settle.c) */
	WR_WRITING,  /* open for writing by some process (lease refused) */
	WR_ALIVE,    /* the pid in the name is alive here and can be the
		      * writer */
	WR_QUIET,    /* no sign of a writer, but none known gone either: the
		      * pid was not tested (another host, by_pid false) */
	WR_GONE,     /* the writer named in the file has exited: proven */
	WR_UNKNOWN,  /* its pid was tested and proved nothing: treated as
		      * a writer on another host (WR_QUIET) */
	WR_KEPT,     /* a process by its pid exists here and may be the
		      * writer, but cannot be read (p->kept): held as
		      * WR_ALIVE */
};

/* Is a process still at work on the data file name in dirfd? The lease
 * first (skipped when dirfd < 0); then, when by_pid, the pid in the name
 * if its host is this one (name_parse() and name_host_is(): fields read
 * from the right, in every era). ours: when the caller last started a
 * child that got that pid (clock_file_ns()), or 0; the process here by
 * that number is then not the writer of a file born before. Fills p: the
 * pid tested, what was found of its process, and the evidence that
 * decided. */
enum writer_state writer_at_work(int dirfd, const char *name, bool by_pid,
				 int64_t ours, struct writer_proc *p);

/* When the file name in dirfd was born: statx's btime, in ns since the
 * epoch (CLOCK_REALTIME), into *ns. False when statx fails or the file
 * system keeps no birth time. */
bool writer_born(int dirfd, const char *name, long long *ns);

/* Can the live process pid be the writer of the data file name in dirfd,
 * as seen from here: it holds the file (dirfd >= 0), or it goes by the
 * same number in its own PID namespace and is a Python process, or one
 * whose executable cannot be read (is it Python keeps a writer, never
 * drops one). The one rule the generation (genproc.c) reads too. */
bool writer_is_here(pid_t pid, int dirfd, const char *name);

/* This machine's host name, as coverage.py puts it in file names. */
const char *writer_hostname(void);

#endif
