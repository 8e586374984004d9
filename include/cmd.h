/* cmd.h: the commands and the exit codes they pick. Only the command
 * layer (main.c, cmd_*.c, cli.c, output.c) prints or chooses an exit
 * status. */
#ifndef COVSETTLE_CMD_H
#define COVSETTLE_CMD_H

#include "cli.h"
#include "waiter.h"

/* The exit statuses of covsettle(1); EXIT_NOMEM is the one a module
 * picks (util.c's allocators, as NOMEM_STATUS): an allocation failed. */
enum exit_code {
	EXIT_OK = 0,	/* settled (wait), all valid (check), done (gather) */
	EXIT_BELOW = 1, /* total coverage below --fail-under */
	EXIT_USAGE = 2,
	EXIT_TIMEOUT = 3,
	EXIT_INVALID = 4,
	EXIT_COVERAGE = 5, /* the coverage command is missing or failed */
	EXIT_TRIGGER = 6,
	EXIT_WATCH = 7, /* DIR unreadable; neither inotify nor polling */
	EXIT_NOMEM = NOMEM_STATUS, /* out of memory */
	EXIT_SIGNAL = 128,	   /* + the signal number */
};

int cmd_wait(int argc, char **argv);
int cmd_check(int argc, char **argv);
int cmd_gather(int argc, char **argv);

/* The parts of `wait` (cmd_wait.c) that gather shares. */

/* The waiter's progress callback: lines or a live status line. */
void cmd_wait_note(void *ctx, const struct wait_note *n);

/* Say how the wait ended; returns its exit status (0 when settled). */
int cmd_wait_report(const struct cli *c, const struct wait_result *r);

/* A suffix for the final line when writers were not seen here and
 * neither --expect nor --trigger said how many files to wait for, or "". */
const char *cmd_wait_unseen(const struct cli *c, const struct wait_result *r);

/* The JSON members the wait part contributes, after `{"command":..`. */
void cmd_wait_json(const struct cli *c, const struct wait_result *r);

/* The JSON "status" of a wait that ended with status. */
const char *cmd_wait_status(enum wait_status status);

#endif
