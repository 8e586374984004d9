/* hashtab.c: an open-addressing hash index over a vector kept elsewhere.
 *
 * A slot holds an entry's vector index + 1 (0 is empty), and the index
 * keeps each entry's hash beside it, so that growing rehashes without the
 * keys; the slots double when half full, and a probe steps to the next
 * slot. The entries themselves (texts here, the combine's pairs and
 * arcs) stay in the caller's vector, in the order they were added: that
 * order is the output's ids. */
#include "hashtab.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

/* FNV-1a over n bytes. */
static uint32_t
hash_bytes(const void *p, size_t n, uint32_t h)
{
	const unsigned char *b = p;

	while (n--)
		h = (h ^ *b++) * 16777619u;
	return h;
}

void
hashtab_grow(struct hashtab *t)
{
	size_t i, j, cap;

	if (t->n == t->hcap) {
		t->hcap = t->hcap ? 2 * t->hcap : 4;
		t->hash = xrealloc(t->hash, t->hcap * sizeof(*t->hash));
	}
	if (t->slot != NULL && 2 * (t->n + 1) <= t->mask + 1)
		return;
	cap = t->slot ? 2 * (t->mask + 1) : 8;
	free(t->slot);
	t->slot = xcalloc(cap, sizeof(*t->slot));
	t->mask = cap - 1;
	for (i = 0; i < t->n; i++) {
		for (j = t->hash[i] & t->mask; t->slot[j];
		     j = (j + 1) & t->mask)
			;
		t->slot[j] = (uint32_t)i + 1;
	}
}

size_t
hashtab_put(struct hashtab *t, size_t j, uint32_t h)
{
	t->hash[t->n] = h;
	t->slot[j] = (uint32_t)++t->n;
	return t->n - 1;
}

void
hashtab_free(struct hashtab *t)
{
	free(t->slot);
	free(t->hash);
}

size_t
hashtab_text(struct hashtab *t, struct text **v, size_t *cap, const char *s,
	     size_t len)
{
	uint32_t h = hash_bytes(s, len, 2166136261u);
	size_t j;

	hashtab_grow(t);
	for (j = h & t->mask; t->slot[j]; j = (j + 1) & t->mask) {
		const struct text *e;

		assert(*v != NULL); /* a used slot names an entry */
		e = &(*v)[t->slot[j] - 1];

		if (t->hash[t->slot[j] - 1] == h && e->len == len &&
		    memcmp(e->s, s, len) == 0)
			return t->slot[j] - 1;
	}
	if (t->n == *cap) {
		*cap = *cap ? 2 * *cap : 64;
		*v = xrealloc(*v, *cap * sizeof(**v));
	}
	(*v)[t->n].s = xmalloc(len + 1);
	memcpy((*v)[t->n].s, s, len);
	(*v)[t->n].s[len] = '\0';
	(*v)[t->n].len = len;
	return hashtab_put(t, j, h);
}

uint32_t
hashtab_find(const struct hashtab *t, const struct text *v, const char *s,
	     size_t len)
{
	uint32_t h = hash_bytes(s, len, 2166136261u);
	size_t j;

	if (t->slot == NULL)
		return HASHTAB_NONE;
	for (j = h & t->mask; t->slot[j]; j = (j + 1) & t->mask) {
		const struct text *e = &v[t->slot[j] - 1];

		if (t->hash[t->slot[j] - 1] == h && e->len == len &&
		    memcmp(e->s, s, len) == 0)
			return t->slot[j] - 1;
	}
	return HASHTAB_NONE;
}
