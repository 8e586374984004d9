/* combine.h: coverage.py's `combine` done natively: the union of schema 7
 * data files, written as the combining coverage.py version would write it.
 * Pure C over SQLite: it never prints, never runs a program, and returns a
 * status with a reason in the caller's buffer. */
#ifndef COVSETTLE_COMBINE_H
#define COVSETTLE_COMBINE_H

#include <stdbool.h>
#include <stddef.h>

#include "util.h"

enum combine_status {
	COMBINE_OK,	  /* the output is in place, whole */
	COMBINE_FALLBACK, /* an input is outside what the native combine
			   * reproduces exactly (err says what): coverage.py
			   * must combine, and say what it says; no output */
	COMBINE_ERROR,	  /* an input or the output could not be read or
			   * written (err says which and why); no output */
	COMBINE_STOPPED,  /* interrupted() said stop; no output */
	COMBINE_FULL,	  /* the output could not be written for want of
			   * room (disk or quota full; err says); no output */
};

struct input;

/* A meta row of the output, written in order before `has_arcs`. */
struct combine_meta {
	const char *key;
	const char *value;
};

struct combine_opts {
	const char *const *inputs; /* data file paths, combined in order */
	size_t ninputs;
	const char *output; /* written to a temporary file beside it, which
			     * is renamed to it only when complete */
	const char *schema; /* the combining coverage.py's SCHEMA script,
			     * or NULL for the built-in one of 7.17.5 */
	const struct combine_meta *meta; /* coverage.py's _init_db rows */
	size_t nmeta;
	bool empty_tracers; /* a '' tracer row for every file without a
			     * tracer, as coverage.py before 7.10.5 writes */
	/* The combining coverage.py's path mapping ([paths], relative_files,
	 * its own rewriting): an input's path map_from[i] is stored as
	 * map_to[i], and files that map to one path are one file. NULL: the
	 * paths as they are, and a path with a backslash falls back. */
	const char *const *map_from;
	const char *const *map_to;
	size_t nmap;
	/* Two files of one input that map to one path fall back: coverage.py
	 * 6.5 keeps the lines of one of them only. */
	bool one_path_per_input;
	/* An input already read (pathread.c, as the wait checked it): the
	 * one now at path, which the combine then owns and frees, or NULL
	 * to read it here. May be NULL. */
	struct input *(*preread)(void *arg, const char *path);
	void *preread_arg;
	/* Asked between inputs; nonzero stops the combine. May be NULL. */
	int (*interrupted)(void *arg);
	void *arg;
};

/* Combine o->inputs into o->output. */
enum combine_status combine_run(const struct combine_opts *o, char *err);

/* OR the numbits src (slen bytes) into *dst (*dlen bytes, malloc'd or
 * NULL), growing it to the longer length: coverage.py's numbits_union. */
void combine_numbits_or(unsigned char **dst, size_t *dlen,
			const unsigned char *src, size_t slen);

/* Does version ("6.5.0", "7.10.4", "7.17.5") write a '' tracer row for
 * every combined file (before 7.10.5)? False when it cannot be read. */
bool combine_empty_tracers(const char *version);

#endif
