/* output.h: everything covsettle prints. Messages go to stderr prefixed
 * "covsettle: ", with control characters escaped (\n, \x1b); on a
 * terminal a live status line is kept at the bottom; --json writes one
 * object to stdout. */
#ifndef COVSETTLE_OUTPUT_H
#define COVSETTLE_OUTPUT_H

#include <stdbool.h>
#include <stdio.h>

#include "check.h"

enum level { LV_QUIET, LV_NORMAL, LV_VERBOSE };

void out_init(enum level level);
enum level out_level(void);
bool out_tty(void);

/* An error: always printed. */
void out_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* A warning: printed unless the level is quiet and important is false. */
void out_warn(bool important, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Progress: printed at normal and verbose levels. */
void out_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Every event: printed at the verbose level. */
void out_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Replace the live status line (terminals only, not when quiet). */
void out_status(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* A result line on stdout (check's verdicts), control characters
 * escaped as in every message. */
void out_result(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Erase the live status line, if any. */
void out_status_clear(void);

/* JSON: a string literal with escapes; null for NULL. */
void json_str(FILE *f, const char *s);
/* JSON: one file object {KEY:name,"size":..,"verdict":..,"reason":..},
 * KEY being "name" (wait and gather: a name in DIR) or "path" (check: as
 * given on the command line). */
void json_file(FILE *f, const char *key, const char *name,
	       const struct check_result *r);

/* A usage error of command cmd: prints "covsettle CMD: MSG (see
 * 'covsettle CMD --help')" and returns EXIT_USAGE (2). */
int out_usage_error(const char *cmd, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* The usage error for getopt_long's ch ('?' or ':') just returned while
 * parsing argv with the short options shortopts: names the option as
 * typed, also inside a cluster like -qX. Returns EXIT_USAGE. */
int out_usage_option(const char *cmd, const char *shortopts, char **argv,
		     int ch);

/* After a usage error of cmd: when argv, parsed again with shortopts and
 * longopts, has the option whose value is json_val (--json), print the
 * error object {"command","exit":2,"status":"usage","message"}. */
struct option;
void out_usage_json(const char *cmd, int argc, char **argv,
		    const char *shortopts, const struct option *longopts,
		    int json_val);

#endif
