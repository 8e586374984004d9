/* child.h: running commands (the --trigger, coverage.py) as children in
 * their own process group, and reporting how they ended. */
#ifndef COVSETTLE_CHILD_H
#define COVSETTLE_CHILD_H

#include <stddef.h>
#include <sys/types.h>

#include "util.h"

/* flags: a coverage.py command of covsettle's own runs without the
 * environment that would make it measure itself and write a data file
 * (COVERAGE_PROCESS_START, COVERAGE_PROCESS_CONFIG, pytest-cov's
 * COV_CORE_*); the --trigger keeps the whole environment. */
#define CHILD_UNMEASURED 1

/* Start argv[0] with argv in a new process group, stdin from /dev/null,
 * stdout to out_fd and stderr to err_fd (-1: inherited). Returns the pid,
 * or -1 with err when it could not be started (including exec failure). */
pid_t child_spawn(char *const argv[], int out_fd, int err_fd, int flags,
		  char *err);

/* How a child run by child_run() ended. */
struct child_result {
	int status;   /* wait status */
	int signo;    /* INT, TERM or HUP that reached covsettle meanwhile */
	msec_t ms;    /* how long it ran */
	char *out;    /* its stdout, when captured (malloc'd, NUL-ended) */
	char *errout; /* its stderr, when captured; also relayed to fd 2 */
};

/* capture_err: 0 inherits stderr; CAPTURE_RELAY keeps it and also copies
 * it to fd 2 as it comes; CAPTURE_QUIET only keeps it. */
#define CAPTURE_RELAY 1
#define CAPTURE_QUIET 2

/* How child_start() connects a child: stdin from a pipe that
 * child_finish() writes its input into, or /dev/null; stdout to out_fd
 * (-1: inherited) unless capture_out; stderr as capture_err says. */
struct child_io {
	int input;	 /* stdin from a pipe */
	int out_fd;	 /* stdout, when not captured */
	int capture_out; /* stdout into child_result.out */
	int capture_err; /* 0, CAPTURE_RELAY or CAPTURE_QUIET */
};

/* The children a search or a question started, each with when it was
 * (clock_file_ns(), just before its fork): a Python that measures itself,
 * whatever its environment, writes a data file named with its pid, born
 * since, that is none of DIR's. The first CHILD_SPAWNS are kept. */
#define CHILD_SPAWNS 8
struct child_spawns {
	pid_t pid[CHILD_SPAWNS];
	int64_t at[CHILD_SPAWNS];
	size_t n;
};

/* Record that pid was started at at (when there is room). */
void child_spawns_add(struct child_spawns *s, pid_t pid, int64_t at);
/* When the last child with pid was started, or 0 if none was. */
int64_t child_spawns_when(const struct child_spawns *s, pid_t pid);

/* A child started by child_start() and not yet collected. Its pipes'
 * ends here are close-on-exec, so no other child holds them. */
struct child_job {
	pid_t pid;  /* 0 when none */
	int in;	    /* the write end of its stdin, or -1 */
	int out;    /* the read end of its stdout, or -1 */
	int errout; /* the read end of its stderr, or -1 */
	int capture_out;
	int capture_err;
	msec_t start;
};

/* Start argv as io says, flags as for child_spawn(); collect it with
 * child_finish() or child_abandon(). 0, or -1 with err when it could not
 * start (j->pid is then 0). */
int child_start(char *const argv[], int flags, const struct child_io *io,
		struct child_job *j, char *err);

/* Write input (len bytes; none: stdin closed at once) to the child's
 * stdin, then close it, while collecting its output, until it ends. A
 * signal on sigfd is passed to the child's process group and noted in
 * r->signo; the child is still waited for. Returns 0; r as for
 * child_run(), r->ms counted from child_start(). */
int child_finish(struct child_job *j, const char *input, size_t len, int sigfd,
		 struct child_result *r);

/* A job that will not be collected: send sig to its process group, reap
 * it (SIGKILL after grace_ms) and close its pipes. Nothing when none
 * (j->pid 0, as in a zeroed job). */
void child_abandon(struct child_job *j, int sig, msec_t grace_ms);

/* Run argv to its end. stdout goes to out_fd (-1: inherited) unless
 * capture_out; stderr as capture_err says; flags as for child_spawn(). A
 * signal on sigfd is passed to the child's process group and noted in
 * r->signo; the child is still waited for. 0 when it ran, -1 with err when it
 * could not start. Free r->out and r->errout. */
int child_run(char *const argv[], int sigfd, int out_fd, int capture_out,
	      int capture_err, int flags, struct child_result *r, char *err);

/* How long a child told to stop (the trigger, a --version run, the early
 * question) has before SIGKILL, the grace_ms every caller passes: time
 * for a Python to run its atexit handlers and for a shell to pass the
 * signal on, yet short enough that covsettle exits soon when stopped. */
#define CHILD_GRACE_MS 5000

/* Reap pid if it has ended: 1 with *status, 0 if still running, -1. */
int child_reap(pid_t pid, int *status);

/* Send sig to pid's process group, then wait for pid; after grace_ms
 * send SIGKILL to the group. Returns pid's wait status. */
int child_stop(pid_t pid, int sig, msec_t grace_ms);

/* "exited with status 1", "killed by signal 15 (Terminated)". */
void child_describe(int status, char *buf, size_t len);

/* True when status is a normal exit with code 0. */
int child_ok(int status);

#endif
