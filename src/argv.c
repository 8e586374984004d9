/* argv.c: a command line being built, word by word, and shown to people
 * as one shell-quoted line. */
#include "argv.h"
#include "util.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Append a copy of word. */
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

/* Append a word formatted as printf(3) does (an empty one on failure). */
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

/* Append the words of s, split at blanks. */
void
argv_split(struct argv *a, const char *s)
{
	char *copy = xstrdup(s), *save = NULL, *w;

	for (w = strtok_r(copy, " \t\n", &save); w != NULL;
	     w = strtok_r(NULL, " \t\n", &save))
		argv_add(a, w);
	free(copy);
}

/* Free the words and empty a. */
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

/* The command line as one string, words quoted for a shell. */
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
