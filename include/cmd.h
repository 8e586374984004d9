/* cmd.h: the commands and the exit codes they pick. Only the command
 * layer (main.c, cmd_*.c, output.c) prints or chooses an exit status. */
#ifndef COVSETTLE_CMD_H
#define COVSETTLE_CMD_H

enum exit_code {
	EX_SETTLED = 0,
	EX_BELOW = 1, /* total coverage below --fail-under */
	EX_USAGE = 2,
	EX_TIMEOUT = 3,
	EX_INVALID = 4,
	EX_COVERAGE = 5, /* the coverage command is missing or failed */
	EX_TRIGGER = 6,
	EX_WATCH = 7,	 /* DIR unreadable; neither inotify nor polling */
	EX_SIGNAL = 128, /* + the signal number */
};

int cmd_wait(int argc, char **argv);
int cmd_check(int argc, char **argv);
int cmd_gather(int argc, char **argv);

/* Print "covsettle: MSG" and a hint to use --help; returns EX_USAGE. */
int usage_error(const char *cmd, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* The usage error for getopt_long's ch ('?' or ':') just returned while
 * parsing argv with the short options shortopts: names the option as
 * typed, also inside a cluster like -qX. Returns EX_USAGE. */
int usage_option(const char *cmd, const char *shortopts, char **argv, int ch);

/* After a usage error of cmd: when argv, parsed again with shortopts and
 * longopts, has the option whose value is json_val (--json), print the
 * error object {"command","exit":2,"status":"usage","message"}. */
struct option;
void usage_json(const char *cmd, int argc, char **argv, const char *shortopts,
		const struct option *longopts, int json_val);

#endif
