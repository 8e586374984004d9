/* combine_write.h: the union the native combine builds (combine.c) and
 * writes (combine_write.c): files and contexts by text, a pair per (file,
 * context) of the output with its numbits or its set of arcs, a tracer
 * per file. */
#ifndef COVSETTLE_COMBINE_WRITE_H
#define COVSETTLE_COMBINE_WRITE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "combine.h"
#include "hashtab.h"

/* An arc's line numbers. */
struct jump {
	int64_t from, to;
};

/* The union's rows of one (file, context) of the output: its numbits,
 * OR-ed (lines), or its set of arcs (branches). A set per pair stays
 * small and warm in the cache, where one set of every arc would be
 * probed at random (450,000 arcs at 1,000 files with a test context
 * each). */
struct pair {
	uint32_t file, ctx;
	bool has_bits;
	unsigned char *bits;
	size_t nbits;
	struct hashtab jumps_t;
	struct jump *jumps;
	size_t jumpcap;
};

/* One output file's tracer as the inputs so far have it. */
struct ftracer {
	char *tracer; /* NULL: none ('' to coverage.py) */
	bool given;   /* some input had the file: tracer is its */
	size_t input; /* the last input that had it, + 1 */
	uint32_t raw; /* that input's file position */
};

/* The union being built. */
struct acc {
	struct hashtab files_t, ctx_t, pairs_t;
	struct text *files, *ctxs;
	size_t filecap, ctxcap;
	struct ftracer *tracers; /* by output file index */
	size_t ntracers;	 /* as many as files, after each input */
	struct pair *pairs;
	size_t paircap;
	int threads;   /* the pool's, for sorting */
	int mode;      /* -1: no input said; 0 lines; 1 arcs (meta) */
	bool any_rows; /* some input had line or arc rows */
	bool any_arcs;
	/* The combining coverage.py's paths: an input's path, by its index
	 * in map (map_from), is stored as o->map_to[index]. */
	const struct combine_opts *o;
	struct hashtab map_t;
	struct text *map;
	size_t mapcap;
	size_t ninputs; /* merged so far */
};

/* Write the union to a temporary file beside o->output and rename it
 * there: COMBINE_OK, or COMBINE_FULL (disk or quota full) or
 * COMBINE_ERROR with err, and nothing under the target's name. */
enum combine_status combine_write(const struct combine_opts *o, struct acc *a,
				  char *err);

#endif
