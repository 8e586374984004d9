/* sig.h: signals as events. INT, TERM, HUP and CHLD are blocked and read
 * from a signalfd by the main loop; no handler runs any code. */
#ifndef COVSETTLE_SIG_H
#define COVSETTLE_SIG_H

/* Block the signals covsettle reacts to (INT, TERM and HUP unless they
 * were ignored at start, and CHLD), ignore SIGPIPE and SIGIO (a lease break
 * must not kill us), and return a signalfd, or -1 with err. */
int sig_setup(char *err);

/* The next pending signal on fd, or 0 when none. */
int sig_read(int fd);

/* In a child before exec: default dispositions for PIPE, IO, INT, TERM
 * and HUP, nothing blocked. */
void sig_child_reset(void);

#endif
