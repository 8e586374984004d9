/* cmd_gather.h: `covsettle gather DIR`. */
#ifndef COVSETTLE_CMD_GATHER_H
#define COVSETTLE_CMD_GATHER_H

/* Run `covsettle gather`; returns its exit status. */
int cmd_gather(int argc, char **argv);

#endif
