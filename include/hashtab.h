/* hashtab.h: an open-addressing hash index over a vector kept elsewhere
 * (the native combine's file paths, context names, (file, context) pairs
 * and arcs), and the texts it indexes. The caller owns the vector and
 * hashes its own keys; hashtab_text() and hashtab_find() do both for
 * texts. */
#ifndef COVSETTLE_HASHTAB_H
#define COVSETTLE_HASHTAB_H

#include <stddef.h>
#include <stdint.h>

#include "util.h"

/* No entry: what hashtab_find() returns, and a vector index's "none". */
#define HASHTAB_NONE UINT32_MAX

/* Room in vector v (n used of cap) for one more. */
#define HASHTAB_ROOM(v, n, cap)                                                \
	do {                                                                   \
		if ((n) == (cap)) {                                            \
			(cap) = (cap) ? 2 * (cap) : 8;                         \
			(v) = xrealloc((v), (cap) * sizeof(*(v)));             \
		}                                                              \
	} while (0)

/* An open-addressing index over a vector kept elsewhere: slot holds
 * (vector index + 1), 0 is empty; hash[i] is entry i's hash. */
struct hashtab {
	uint32_t *slot;
	size_t mask; /* slots - 1; slots a power of two */
	uint32_t *hash;
	size_t n, hcap;
};

struct text {
	char *s;
	size_t len;
};

/* Make room for one more entry, rehashing when the slots are half full. */
void hashtab_grow(struct hashtab *t);

/* Record entry t->n (already stored by the caller) at slot j, with hash
 * h; its index. */
size_t hashtab_put(struct hashtab *t, size_t j, uint32_t h);

/* Free the index (not the vector). */
void hashtab_free(struct hashtab *t);

/* The index of text s (len bytes) in vector *v (room for *cap) indexed by
 * t, added (copied) when new. */
size_t hashtab_text(struct hashtab *t, struct text **v, size_t *cap,
		    const char *s, size_t len);

/* The index of text s in vector v indexed by t, or HASHTAB_NONE. */
uint32_t hashtab_find(const struct hashtab *t, const struct text *v,
		      const char *s, size_t len);

#endif
