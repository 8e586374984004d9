/* combine.c: the union of coverage.py data files, without coverage.py.
 *
 * coverage.py's combine (sqldata.py, CoverageData.update, in 6.5 and 7.x)
 * matches files and contexts by their text and gives them the output's
 * ids; keeps every file and context row, also one with no data; ORs the
 * numbits of a (file, context) (the result as long as the longer); takes
 * the set union of arcs; copies tracers; and writes `has_arcs` once some
 * input brought line or arc rows. It refuses inputs that measured lines
 * and branches, and files whose tracers differ, and what it does then
 * depends on the order and on the version: those inputs, and anything
 * else the native combine does not reproduce exactly (rows that point at
 * no file or context; values of an unexpected type; without the caller's
 * mapping, a path with a backslash, which 7.17 rewrites), end in
 * COMBINE_FALLBACK, and coverage.py decides.
 *
 * The caller may give the path that the combining coverage.py stores for
 * each path of the inputs ([paths], relative_files: asked of coverage.py
 * itself, choice.c, for the paths combine_paths.c lists): a file is then
 * merged under that path, in the order coverage.py meets it, so that
 * files that map to one path are one file of the output, their numbits
 * OR-ed and their arcs united as those of two inputs. Two such files in
 * one input are merged too, as coverage.py 7 merges them; 6.5 keeps one
 * file's lines, and that falls back.
 *
 * This file runs the combine and builds the union; its parts: each input
 * is read by one of the pool's threads (combine_read.c), or taken as the
 * caller read it already (o->preread: the wait's check, pathread.c); the
 * calling thread merges the inputs in their order into the union (struct acc,
 * combine_write.h): files and contexts by text, then a pair per (file,
 * context) of the output with its numbits or its set of arcs, each set
 * indexed by hashtab.c. The order makes the result, and the input a
 * message names, those of a loop on one thread. The union is written at
 * the end (combine_write.c). */
#include "combine.h"
#include "combine_read.h"
#include "combine_write.h"
#include "pool.h"
#include "sqlfile.h"

#include <assert.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The hash of a (file, context) pair of the output. */
static uint32_t
hash_ids(uint32_t a, uint32_t b)
{
	uint64_t k = ((uint64_t)a << 32 | b) * 0x9E3779B97F4A7C15ull;

	return (uint32_t)(k >> 32);
}

/* The hash of an arc. */
static uint32_t
hash_jump(int64_t from, int64_t to)
{
	uint64_t k = (uint64_t)from * 0xC2B2AE3D27D4EB4Full;

	k ^= (uint64_t)to * 0x165667B19E3779F9ull;
	k ^= k >> 29;
	return (uint32_t)(k * 0x94D049BB133111EBull >> 32);
}

void
combine_numbits_or(unsigned char **dst, size_t *dlen, const unsigned char *src,
		   size_t slen)
{
	size_t i, n = slen > *dlen ? slen : *dlen;

	if (*dst == NULL || n > *dlen) {
		*dst = xrealloc(*dst, n ? n : 1);
		memset(*dst + *dlen, 0, n - *dlen);
		*dlen = n;
	}
	for (i = 0; i < slen; i++)
		(*dst)[i] |= src[i];
}

/* The output's (file, ctx), added when new; the pointer lasts until the
 * next call. */
static struct pair *
pair_of(struct acc *a, uint32_t file, uint32_t ctx)
{
	uint32_t h = hash_ids(file, ctx);
	struct hashtab *t = &a->pairs_t;
	struct pair *p;
	size_t j;

	hashtab_grow(t);
	for (j = h & t->mask; t->slot[j]; j = (j + 1) & t->mask) {
		p = &a->pairs[t->slot[j] - 1];
		if (p->file == file && p->ctx == ctx)
			return p;
	}
	HASHTAB_ROOM(a->pairs, t->n, a->paircap);
	p = &a->pairs[t->n];
	memset(p, 0, sizeof(*p));
	p->file = file;
	p->ctx = ctx;
	hashtab_put(t, j, h);
	return p;
}

/* Add the arc from -> to to the pair's set. */
static void
pair_jump(struct pair *p, int64_t from, int64_t to)
{
	uint32_t h = hash_jump(from, to);
	struct hashtab *t = &p->jumps_t;
	size_t j;

	hashtab_grow(t);
	for (j = h & t->mask; t->slot[j]; j = (j + 1) & t->mask) {
		const struct jump *e = &p->jumps[t->slot[j] - 1];

		if (e->from == from && e->to == to)
			return;
	}
	HASHTAB_ROOM(p->jumps, t->n, p->jumpcap);
	p->jumps[t->n].from = from;
	p->jumps[t->n].to = to;
	hashtab_put(t, j, h);
}

/* Free the union. */
static void
acc_free(struct acc *a)
{
	size_t i;

	for (i = 0; i < a->files_t.n; i++)
		free(a->files[i].s);
	for (i = 0; i < a->ntracers; i++)
		free(a->tracers[i].tracer);
	for (i = 0; i < a->ctx_t.n; i++)
		free(a->ctxs[i].s);
	for (i = 0; i < a->map_t.n; i++)
		free(a->map[i].s);
	free(a->map);
	hashtab_free(&a->map_t);
	for (i = 0; i < a->pairs_t.n; i++) {
		free(a->pairs[i].bits);
		free(a->pairs[i].jumps);
		hashtab_free(&a->pairs[i].jumps_t);
	}
	free(a->files);
	free(a->tracers);
	free(a->ctxs);
	free(a->pairs);
	hashtab_free(&a->files_t);
	hashtab_free(&a->ctx_t);
	hashtab_free(&a->pairs_t);
}

/* One tracer slot (none yet) for every file of the output. */
static void
acc_tracers(struct acc *a)
{
	size_t n = a->files_t.n;

	if (n <= a->ntracers)
		return;
	a->tracers = xrealloc(a->tracers, n * sizeof(*a->tracers));
	memset(a->tracers + a->ntracers, 0,
	       (n - a->ntracers) * sizeof(*a->tracers));
	a->ntracers = n;
}

/* Lines and branches must agree across inputs, as coverage.py requires;
 * where they do not, its message and its order decide. Its rule: the
 * first input with rows sets the kind of the output (a->mode), and a
 * later input whose has_arcs says the other kind fails, even with no rows;
 * an input with no rows before it sets nothing. */
static enum combine_status
merge_mode(struct input *in, struct acc *a)
{
	const char *why = NULL;
	size_t lines = in->nbits, arcs = in->narcs;

	if (lines && arcs)
		why = "has both line and arc rows";
	else if ((lines || arcs) && in->mode != (arcs ? 1 : 0))
		why = "has rows that its has_arcs does not announce";
	else if (in->mode >= 0 && a->mode >= 0 && in->mode != a->mode)
		why = "measured branches where an earlier input did not, or "
		      "the other way round";
	if (why != NULL)
		return combine_read_fallback(in, why);
	if (lines || arcs)
		a->mode = in->mode;
	a->any_rows |= lines || arcs;
	a->any_arcs |= arcs > 0;
	return COMBINE_OK;
}

/* Every input that has a file must give it the same tracer (none counts
 * as ''): coverage.py's own rules for a difference vary by version; so
 * must every file of the inputs that maps to one path. fidx: the output
 * index of each of the input's files. */
static enum combine_status
merge_tracers(struct input *in, struct acc *a, const uint32_t *fidx)
{
	size_t i;
	uint32_t f;

	for (i = 0; i < in->nfiles; i++) {
		const char *mine = in->tracer[i] ? in->tracer[i] : "";
		const char *theirs;
		struct ftracer *t;

		f = fidx[i];
		assert(a->tracers != NULL && f < a->ntracers);
		t = &a->tracers[f];
		if (!t->given) {
			t->tracer = in->tracer[i];
			t->given = true;
			in->tracer[i] = NULL;
			continue;
		}
		theirs = t->tracer ? t->tracer : "";
		if (strcmp(mine, theirs) != 0) {
			if (strcmp(a->files[f].s, in->files[i].s) != 0)
				seterr(in->err,
				       "%s gives %s, which coverage.py stores "
				       "as "
				       "%s, the file tracer '%s', another file "
				       "stored there '%s'",
				       in->path, in->files[i].s, a->files[f].s,
				       mine, theirs);
			else
				seterr(in->err,
				       "%s gives %s the file tracer '%s', an "
				       "earlier input '%s'",
				       in->path, a->files[f].s, mine, theirs);
			return COMBINE_FALLBACK;
		}
	}
	return COMBINE_OK;
}

/* The output index of the input's file i: its path as the combining
 * coverage.py stores it, added when new; HASHTAB_NONE with the input's fallback
 * when the mapping lacks it. */
static uint32_t
file_index(struct input *in, struct acc *a, size_t i)
{
	const struct text *t = &in->files[i];
	const char *s = t->s;
	size_t len = t->len;
	uint32_t k;

	if (a->o->map_to != NULL) {
		k = hashtab_find(&a->map_t, a->map, s, len);
		if (k == HASHTAB_NONE) {
			combine_read_fallback(
				in, "has a path that covsettle did not "
				    "ask coverage.py to map");
			return HASHTAB_NONE;
		}
		s = a->o->map_to[k];
		len = strlen(s);
	}
	return (uint32_t)hashtab_text(&a->files_t, &a->files, &a->filecap, s,
				      len);
}

/* Two files of the input that map to one path: where the combining
 * coverage.py keeps one file's lines only (6.5), the input falls back. */
static enum combine_status
merge_collisions(struct input *in, struct acc *a, const uint32_t *fidx)
{
	size_t i;
	struct ftracer *t;

	for (i = 0; i < in->nfiles; i++) {
		t = &a->tracers[fidx[i]];
		if (t->input == a->ninputs + 1 && a->o->one_path_per_input) {
			seterr(in->err,
			       "%s has %s and %s, which coverage.py stores as "
			       "one path, %s, keeping the lines of one of "
			       "them only",
			       in->path, in->files[t->raw].s, in->files[i].s,
			       a->files[fidx[i]].s);
			return COMBINE_FALLBACK;
		}
		t->input = a->ninputs + 1;
		t->raw = (uint32_t)i;
	}
	return COMBINE_OK;
}

/* Merge the input, read, into the union: its names get the output's
 * indexes, its rows are OR-ed and added. */
static enum combine_status
merge_input(struct input *in, struct acc *a)
{
	enum combine_status s = in->s;
	size_t i;
	uint32_t *fidx, *cidx;
	const struct bits *b;
	const struct arc *arc;
	struct pair *p = NULL;

	if (s != COMBINE_OK)
		return s;
	fidx = xmalloc((in->nfiles + 1) * sizeof(*fidx));
	cidx = xmalloc((in->nctxs + 1) * sizeof(*cidx));
	for (i = 0; i < in->nfiles; i++)
		if ((fidx[i] = file_index(in, a, i)) == HASHTAB_NONE) {
			free(fidx);
			free(cidx);
			return COMBINE_FALLBACK;
		}
	acc_tracers(a);
	for (i = 0; i < in->nctxs; i++)
		cidx[i] =
			(uint32_t)hashtab_text(&a->ctx_t, &a->ctxs, &a->ctxcap,
					       in->ctxs[i].s, in->ctxs[i].len);
	s = merge_mode(in, a);
	if (s == COMBINE_OK)
		s = merge_collisions(in, a, fidx);
	a->ninputs++;
	for (i = 0; s == COMBINE_OK && i < in->nbits; i++) {
		b = &in->bits[i];
		p = pair_of(a, fidx[b->file], cidx[b->ctx]);
		p->has_bits = true;
		combine_numbits_or(&p->bits, &p->nbits, b->p, b->len);
	}
	/* coverage.py writes the arcs of a (file, context) together. */
	for (i = 0; s == COMBINE_OK && i < in->narcs; i++) {
		arc = &in->arcs[i];
		if (i == 0 || arc->file != arc[-1].file ||
		    arc->ctx != arc[-1].ctx)
			p = pair_of(a, fidx[arc->file], cidx[arc->ctx]);
		pair_jump(p, arc->from, arc->to);
	}
	if (s == COMBINE_OK)
		s = merge_tracers(in, a, fidx);
	free(fidx);
	free(cidx);
	return s;
}

/* A combine in flight: COMBINE_WINDOW inputs read on the pool's threads,
 * merged by the calling thread in their order. */
struct run {
	const struct combine_opts *o;
	struct acc a;
	struct input
		slot[COMBINE_WINDOW]; /* input i in slot i % COMBINE_WINDOW */
	atomic_int stop;	      /* set when reading more is in vain */
	bool pages;		      /* see sqlfile_wanted() */
	enum combine_status s;	      /* the first input's that failed */
	char *err;
};

/* pool's work: read input i (any thread). */
static void
read_one(void *ctx, size_t i)
{
	struct run *r = ctx;
	struct input *in = &r->slot[i % COMBINE_WINDOW], *got = NULL;
	const struct combine_opts *o = r->o;

	in->path = o->inputs[i];
	in->pages = r->pages;
	in->mapped = o->map_to != NULL;
	if (atomic_load_explicit(&r->stop, memory_order_relaxed)) {
		in->s = COMBINE_STOPPED;
		return;
	}
	if (o->preread != NULL)
		got = o->preread(o->preread_arg, in->path);
	/* Read as this combine reads: mapped alike, and whole. */
	if (got != NULL && got->mapped == in->mapped && got->s == COMBINE_OK) {
		combine_read_take(in, got);
		return;
	}
	if (got != NULL) {
		combine_read_free(got);
		free(got);
	}
	combine_read_input(in);
}

/* pool's done: merge input i (the calling thread, in order). */
static void
merge_one(void *ctx, size_t i)
{
	struct run *r = ctx;
	struct input *in = &r->slot[i % COMBINE_WINDOW];
	const struct combine_opts *o = r->o;

	if (r->s == COMBINE_OK) {
		if (o->interrupted != NULL && o->interrupted(o->arg)) {
			seterr(r->err, "the combine was interrupted");
			r->s = COMBINE_STOPPED;
		} else if ((r->s = merge_input(in, &r->a)) != COMBINE_OK) {
			memcpy(r->err, in->err, ERRLEN);
		}
		if (r->s != COMBINE_OK)
			atomic_store_explicit(&r->stop, 1,
					      memory_order_relaxed);
	}
	combine_read_clear(in);
}

enum combine_status
combine_run(const struct combine_opts *o, char *err)
{
	struct run *r;
	enum combine_status s;
	size_t i;

	if (o->ninputs == 0) {
		seterr(err, "no data files to combine");
		return COMBINE_ERROR;
	}
	r = xcalloc(1, sizeof(*r));
	r->o = o;
	r->a.mode = -1;
	r->a.o = o;
	for (i = 0; o->map_to != NULL && i < o->nmap; i++)
		(void)hashtab_text(&r->a.map_t, &r->a.map, &r->a.mapcap,
				   o->map_from[i], strlen(o->map_from[i]));
	r->a.threads = sqlite_setup() ? pool_threads(o->ninputs) : 1;
	r->err = err;
	r->pages = sqlfile_wanted();
	atomic_init(&r->stop, 0);
	pool_run(o->ninputs, COMBINE_WINDOW, r->a.threads, read_one, merge_one,
		 r);
	if (r->s == COMBINE_OK)
		r->s = combine_write(o, &r->a, err);
	acc_free(&r->a);
	for (i = 0; i < COMBINE_WINDOW; i++)
		combine_read_free(&r->slot[i]);
	s = r->s;
	free(r);
	return s;
}

bool
combine_empty_tracers(const char *version)
{
	int major = 0, minor = 0, micro = 0;

	if (version == NULL ||
	    sscanf(version, "%d.%d.%d", &major, &minor, &micro) < 2)
		return false;
	if (major != 7)
		return major < 7;
	return minor < 10 || (minor == 10 && micro < 5);
}
