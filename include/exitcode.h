/* exitcode.h: the exit statuses of covsettle(1). Only the command layer
 * (main.c, cmd_*.c, cli.c, help.c, output.c) picks one, with one exception:
 * util.c's allocators exit EXIT_NOMEM when memory runs out. */
#ifndef COVSETTLE_EXITCODE_H
#define COVSETTLE_EXITCODE_H

enum exit_code {
	EXIT_OK = 0,	/* settled (wait), all valid (check), done (gather) */
	EXIT_BELOW = 1, /* total coverage below --fail-under */
	EXIT_USAGE = 2,
	EXIT_TIMEOUT = 3,
	EXIT_INVALID = 4,
	EXIT_COVERAGE = 5, /* the coverage command is missing or failed */
	EXIT_TRIGGER = 6,
	EXIT_WATCH = 7,	   /* DIR unreadable, neither inotify nor polling;
			    * gather: no room, or a removed working dir */
	EXIT_NOMEM = 70,   /* out of memory (sysexits.h: EX_SOFTWARE) */
	EXIT_SIGNAL = 128, /* + the signal number */
};

#endif
