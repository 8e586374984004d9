/* sig.h: signals as events. INT, TERM, HUP and CHLD are blocked and read
 * from a signalfd by the main loop; no handler runs any code. */
#ifndef COVSETTLE_SIG_H
#define COVSETTLE_SIG_H

/* Ignore SIGIO: a writer that opens a file while the writer test holds
 * its lease (writer.c) makes the kernel send it, and its default action
 * would end covsettle. */
void sig_ignore_lease_breaks(void);

/* Block the signals covsettle reacts to (INT, TERM and HUP unless they
 * were ignored at start, and CHLD), ignore SIGPIPE and SIGIO
 * (sig_ignore_lease_breaks()), and return a signalfd, or -1 with err. */
int sig_setup(char *err);

/* The next pending signal on fd, or 0 when none. */
int sig_read(int fd);

/* In a child before exec: default dispositions for PIPE, IO, INT, TERM
 * and HUP, nothing blocked. */
void sig_child_reset(void);

#endif
