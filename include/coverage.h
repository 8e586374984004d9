/* coverage.h: finding the coverage.py command and building its command
 * lines for combine and the reports. */
#ifndef COVSETTLE_COVERAGE_H
#define COVSETTLE_COVERAGE_H

#include "util.h"

/* A command line being built: argv, NULL-terminated, owned. */
struct argv {
	char **v;
	int n, cap;
};

void argv_add(struct argv *a, const char *word);
void argv_addf(struct argv *a, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Append the words of s, split at blanks (no quoting). */
void argv_split(struct argv *a, const char *s);
void argv_free(struct argv *a);
/* The command line as one string for messages, shell-quoted where needed. */
char *argv_text(const struct argv *a);

/* Find coverage.py: given (--coverage) if not NULL, else env
 * ($COVSETTLE_COVERAGE) if set, else the first of `coverage`,
 * `python3-coverage` and `python3 -m coverage` whose `--version` runs and
 * exits 0. Fills cmd with its words. -1 with err naming what was tried;
 * *signo is set when a signal interrupted the search. */
int coverage_find(const char *given, const char *env, int sigfd,
		  struct argv *cmd, int *signo, char *err);

#endif
