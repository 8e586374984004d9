/* coverage.c: the coverage.py command. Debian names it python3-coverage,
 * and the first python3 on PATH may be an interpreter without coverage.py,
 * so each candidate is run with --version and kept only if that works. */
#include "coverage.h"
#include "child.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const candidates[] = {
	"coverage",
	"python3-coverage",
	"python3 -m coverage",
};

void
argv_add(struct argv *a, const char *word)
{
	if (a->n + 2 > a->cap) {
		a->cap = a->cap ? 2 * a->cap : 16;
		a->v = xrealloc(a->v, (size_t)a->cap * sizeof(*a->v));
	}
	a->v[a->n++] = xstrdup(word);
	a->v[a->n] = NULL;
}

void
argv_addf(struct argv *a, const char *f, ...)
{
	va_list ap;
	char *s;

	va_start(ap, f);
	if (vasprintf(&s, f, ap) < 0)
		s = NULL;
	va_end(ap);
	if (s == NULL) {
		argv_add(a, "");
		return;
	}
	argv_add(a, s);
	free(s);
}

void
argv_split(struct argv *a, const char *s)
{
	char *copy = xstrdup(s), *save = NULL, *w;

	for (w = strtok_r(copy, " \t\n", &save); w != NULL;
	     w = strtok_r(NULL, " \t\n", &save))
		argv_add(a, w);
	free(copy);
}

void
argv_free(struct argv *a)
{
	int i;

	for (i = 0; i < a->n; i++)
		free(a->v[i]);
	free(a->v);
	a->v = NULL;
	a->n = a->cap = 0;
}

char *
argv_text(const struct argv *a)
{
	size_t len = 1;
	char *t, *p;
	int i;

	for (i = 0; i < a->n; i++)
		len += 4 * strlen(a->v[i]) + 3;
	t = p = xmalloc(len);
	*p = '\0';
	for (i = 0; i < a->n; i++) {
		const char *w = a->v[i];
		bool plain = w[0] != '\0' &&
			     strspn(w, "abcdefghijklmnopqrstuvwxyz"
				       "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
				       "0123456789-_./=,:+@%") == strlen(w);

		if (i > 0)
			*p++ = ' ';
		if (plain) {
			p = stpcpy(p, w);
			continue;
		}
		*p++ = '\'';
		for (; *w; w++) {
			if (*w == '\'')
				p = stpcpy(p, "'\\''");
			else
				*p++ = *w;
		}
		*p++ = '\'';
		*p = '\0';
	}
	return t;
}

/* Does `words --version` run and exit 0? */
static int
runs(const char *words, int sigfd, int *signo)
{
	struct child_result r;
	struct argv a = { 0 };
	char err[ERRLEN];
	int ok;

	argv_split(&a, words);
	argv_add(&a, "--version");
	if (a.n < 2 ||
	    child_run(a.v, sigfd, -1, 1, CAPTURE_QUIET, &r, err) < 0) {
		argv_free(&a);
		return 0;
	}
	(void)err;
	ok = child_ok(r.status) && strstr(r.out, "Coverage.py") != NULL;
	if (r.signo)
		*signo = r.signo;
	free(r.out);
	free(r.errout);
	argv_free(&a);
	return ok;
}

int
coverage_find(const char *given, const char *env, int sigfd, struct argv *cmd,
	      int *signo, char *err)
{
	size_t i;

	*signo = 0;
	if (given != NULL || (env != NULL && env[0] != '\0')) {
		const char *words = given ? given : env;

		if (!runs(words, sigfd, signo))
			return seterr(
				err,
				"the coverage command '%s' (from %s) does "
				"not run: '%s --version' failed",
				words,
				given ? "--coverage" : "$COVSETTLE_COVERAGE",
				words);
		argv_split(cmd, words);
		return 0;
	}
	for (i = 0; i < sizeof(candidates) / sizeof(candidates[0]); i++) {
		if (runs(candidates[i], sigfd, signo)) {
			argv_split(cmd, candidates[i]);
			return 0;
		}
		if (*signo)
			return seterr(err, "interrupted");
	}
	return seterr(err,
		      "coverage.py not found: tried 'coverage', "
		      "'python3-coverage' and 'python3 -m coverage' on PATH; "
		      "install python3-coverage, or give --coverage CMD");
}
