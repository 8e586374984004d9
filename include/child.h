/* child.h: running commands (the --trigger, coverage.py) as children in
 * their own process group, and reporting how they ended. */
#ifndef COVSETTLE_CHILD_H
#define COVSETTLE_CHILD_H

#include <stddef.h>
#include <sys/types.h>

#include "util.h"

/* Start argv[0] with argv in a new process group, stdin from /dev/null,
 * stdout to out_fd (-1: inherited), stderr inherited. Returns the pid, or
 * -1 with err when it could not be started (including exec failure). */
pid_t child_spawn(char *const argv[], int out_fd, char *err);

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
