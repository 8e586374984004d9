/* combine_read.h: one input of the native combine, read (combine_read.c)
 * on whichever of the pool's threads takes it, for the calling thread to
 * merge (combine.c); and how many inputs are in flight at once. */
#ifndef COVSETTLE_COMBINE_READ_H
#define COVSETTLE_COMBINE_READ_H

#include <sqlite3.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "combine.h"
#include "hashtab.h"

/* The inputs in flight: read on the pool's threads, merged by the calling
 * thread in their order (input i in slot i % COMBINE_WINDOW). */
#define COMBINE_WINDOW 16

/* A line_bits row of an input: its file and context by position. */
struct bits {
	uint32_t file, ctx;
	unsigned char *p;
	size_t len;
};

/* An arc row of an input. */
struct arc {
	uint32_t file, ctx;
	int64_t from, to;
};

/* One input's ids of files or contexts, mapped to their rows' positions
 * in the input (struct input's files, ctxs). */
struct idmap {
	uint32_t *to; /* by input id, HASHTAB_NONE where the id has no row */
	size_t n;
};

/* One input as read, on whichever thread read it: its rows name its files
 * and contexts by their position in files and ctxs. Only the calling
 * thread merges it into the union, in the order of the inputs. */
struct input {
	const char *path;
	bool mapped; /* the caller maps paths: a backslash is no reason */
	sqlite3 *db;
	enum combine_status s;
	char err[ERRLEN];
	int mode;   /* -1: has_arcs not said; 0 lines; 1 arcs */
	bool pages; /* arc rows from the pages (sqlfile.c) when it can */
	struct idmap fileid, ctxid;
	struct text *files, *ctxs;
	size_t nfiles, filecap, nctxs, ctxcap;
	char **tracer; /* by file position; NULL: none */
	struct bits *bits;
	size_t nbits, bitscap;
	struct arc *arcs;
	size_t narcs, arccap;
};

/* Read the input at in->path into in, and close it: in->s says how. */
void combine_read_input(struct input *in);

/* Read the input into in, as combine_read_input() does, from db, a
 * connection to it that the caller opened and keeps (in a read
 * transaction, so that every table is read in one state): its arc rows
 * through SQLite, never from the file's pages, whose path may name
 * another file by now. in->path names it in in->err. */
void combine_read_db(struct input *in, sqlite3 *db);

/* About how many bytes in's rows hold. */
size_t combine_read_bytes(const struct input *in);

/* Move got, read earlier, into the slot in (whose room is freed), and
 * free got itself. */
void combine_read_take(struct input *in, struct input *got);

/* Read only the input's file table (in->files, by position), and close
 * it: in->s says how, in->err why. */
void combine_read_files(struct input *in);

/* Empty the slot for its next input; its vectors keep their room (an
 * input's arcs are 80 KB at 3,000 rows: allocated afresh each time, they
 * cost page faults). */
void combine_read_clear(struct input *in);

/* Free the slot's vectors. */
void combine_read_free(struct input *in);

/* Fill in->err with the input's path and why (a thing the native combine
 * does not reproduce, for coverage.py to combine); COMBINE_FALLBACK. */
enum combine_status combine_read_fallback(struct input *in, const char *why);

#endif
