/* cmd_wait.h: `covsettle wait DIR`, and the parts of it that gather
 * shares: the progress lines, the account of how the wait ended, and its
 * JSON members. */
#ifndef COVSETTLE_CMD_WAIT_H
#define COVSETTLE_CMD_WAIT_H

#include "cli.h"
#include "waiter.h"

/* Run `covsettle wait`; returns its exit status. */
int cmd_wait(int argc, char **argv);

/* The waiter's progress callback: lines or a live status line. */
void cmd_wait_note(void *ctx, const struct wait_note *n);

/* Say how the wait ended; returns its exit status (0 when settled). */
int cmd_wait_report(const struct cli *c, const struct wait_result *r);

/* The JSON members the wait part contributes, after `{"command":..`: wait's
 * JSON shape, written here only. r->s NULL: no file was seen (a gather
 * that ended before its wait). */
void cmd_wait_json(const struct cli *c, const struct wait_result *r);

/* A suffix for the final line when writers were not seen here and
 * neither --expect nor --trigger said how many files to wait for, or "". */
const char *cmd_wait_unseen(const struct cli *c, const struct wait_result *r);

/* The JSON "status" of a wait that ended with status. */
const char *cmd_wait_status(enum wait_status status);

#endif
