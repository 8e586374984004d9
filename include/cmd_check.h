/* cmd_check.h: `covsettle check PATH...`. */
#ifndef COVSETTLE_CMD_CHECK_H
#define COVSETTLE_CMD_CHECK_H

/* Run `covsettle check`; returns its exit status. */
int cmd_check(int argc, char **argv);

#endif
