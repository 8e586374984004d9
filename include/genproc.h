/* genproc.h: the generations of the writers of one wait. Reads the
 * process facts generation.c needs from /proc while the writers live (a
 * snapshot of every process when the watch starts, each writer when its
 * file first shows up), and keeps the members found so far. */
#ifndef COVSETTLE_GENPROC_H
#define COVSETTLE_GENPROC_H

#include <stdbool.h>
#include <sys/types.h>

#include "generation.h"

struct genproc;

/* Start: the snapshot of every process here, and covsettle's ancestors
 * (never members of a generation). */
struct genproc *genproc_new(void);
void genproc_free(struct genproc *g);

/* The trigger starts now: the generation is what existed before. */
void genproc_trigger(struct genproc *g);

/* The data file name in dirfd showed up. ours: its name says this host;
 * pid: the pid in its name, or 0. Records its writer's generation when
 * that writer can be seen here; else counts it among the unseen. */
void genproc_writer(struct genproc *g, int dirfd, const char *name, bool ours,
		    pid_t pid);

/* How many members of the generations recorded are still alive; *pid is
 * one of them (0 when none). Their exits end the wait for them. */
long genproc_alive(struct genproc *g, pid_t *pid);

/* A data file name (present, or gone already) says this host (ours) and
 * pid: that process wrote a data file here. */
void genproc_named(struct genproc *g, bool ours, pid_t pid);

/* Members seen alive during the wait that have exited without a data file
 * named after them: their coverage is missing. How many; *pid is one. */
long genproc_silent(const struct genproc *g, pid_t *pid);

/* Writers whose generation could not be seen: how many, and the first's
 * data file name and why ("written on another host"). */
long genproc_unseen(const struct genproc *g);
const char *genproc_unseen_name(const struct genproc *g);
const char *genproc_unseen_why(const struct genproc *g);

/* Read /proc/PID/stat into p; false when there is no such process. */
bool genproc_read(pid_t pid, struct gen_proc *p);

#endif
