/* argv.h: a command line being built for execvp(3), and its text for
 * messages. */
#ifndef COVSETTLE_ARGV_H
#define COVSETTLE_ARGV_H

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

#endif
