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
 * else this file does not reproduce exactly (a path with a backslash,
 * which 7.17 rewrites; rows that point at no file or context; values of
 * an unexpected type), end in COMBINE_FALLBACK, and coverage.py decides.
 *
 * Each input is read once on its own read-only connection with prepared
 * statements, into hash tables keyed by text (files, contexts) and by ids
 * (a (file, context)'s numbits, the arcs). The output is written at the
 * end, in one transaction with the journal and syncs off, into a
 * temporary file beside the target that is renamed over it only when
 * complete: there is never a partial file under the target's name. */
#include "combine.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The SCHEMA script of coverage.py 7.17.5 (sqldata.py). */
static const char builtin_schema[] =
	"CREATE TABLE coverage_schema (\n"
	"    -- One row, to record the version of the schema in this db.\n"
	"    version integer\n"
	");\n"
	"\n"
	"CREATE TABLE meta (\n"
	"    -- Key-value pairs, to record metadata about the data\n"
	"    key text,\n"
	"    value text,\n"
	"    unique (key)\n"
	"    -- Possible keys:\n"
	"    --  'has_arcs' boolean      -- Is this data recording branches?\n"
	"    --  'sys_argv' text         -- The coverage command line that "
	"recorded the data.\n"
	"    --  'version' text          -- The version of coverage.py that "
	"made the file.\n"
	"    --  'when' text             -- Datetime when the file was "
	"created.\n"
	"    --  'hash' text             -- Hash of the data.\n"
	");\n"
	"\n"
	"CREATE TABLE file (\n"
	"    -- A row per file measured.\n"
	"    id integer primary key,\n"
	"    path text,\n"
	"    unique (path)\n"
	");\n"
	"\n"
	"CREATE TABLE context (\n"
	"    -- A row per context measured.\n"
	"    id integer primary key,\n"
	"    context text,\n"
	"    unique (context)\n"
	");\n"
	"\n"
	"CREATE TABLE line_bits (\n"
	"    -- If recording lines, a row per context per file executed.\n"
	"    -- All of the line numbers for that file/context are in one "
	"numbits.\n"
	"    file_id integer,            -- foreign key to `file`.\n"
	"    context_id integer,         -- foreign key to `context`.\n"
	"    numbits blob,               -- see the numbits functions in "
	"coverage.numbits\n"
	"    foreign key (file_id) references file (id),\n"
	"    foreign key (context_id) references context (id),\n"
	"    unique (file_id, context_id)\n"
	");\n"
	"\n"
	"CREATE TABLE arc (\n"
	"    -- If recording branches, a row per context per from/to line "
	"transition executed.\n"
	"    file_id integer,            -- foreign key to `file`.\n"
	"    context_id integer,         -- foreign key to `context`.\n"
	"    fromno integer,             -- line number jumped from.\n"
	"    tono integer,               -- line number jumped to.\n"
	"    foreign key (file_id) references file (id),\n"
	"    foreign key (context_id) references context (id),\n"
	"    unique (file_id, context_id, fromno, tono)\n"
	");\n"
	"\n"
	"CREATE TABLE tracer (\n"
	"    -- A row per file indicating the tracer used for that file.\n"
	"    file_id integer primary key,\n"
	"    tracer text,\n"
	"    foreign key (file_id) references file (id)\n"
	");\n";

/* Reading an input. */
static const char SQL_SCHEMA_VERSION[] = "SELECT version FROM coverage_schema";
static const char SQL_HAS_ARCS[] =
	"SELECT value FROM meta WHERE key = 'has_arcs'";
static const char SQL_FILES[] = "SELECT id, path FROM file";
static const char SQL_CONTEXTS[] = "SELECT id, context FROM context";
static const char SQL_LINE_BITS[] =
	"SELECT file_id, context_id, numbits FROM line_bits";
static const char SQL_ARCS[] =
	"SELECT file_id, context_id, fromno, tono FROM arc";
static const char SQL_TRACERS[] = "SELECT file_id, tracer FROM tracer";

/* Writing the output. */
static const char SQL_PRAGMAS[] =
	"PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF; "
	"PRAGMA locking_mode = EXCLUSIVE";
static const char SQL_PUT_SCHEMA_VERSION[] =
	"INSERT INTO coverage_schema (version) VALUES (7)";
static const char SQL_PUT_META[] =
	"INSERT OR IGNORE INTO meta (key, value) VALUES (?, ?)";
static const char SQL_PUT_FILE[] = "INSERT INTO file (id, path) VALUES (?, ?)";
static const char SQL_PUT_CONTEXT[] =
	"INSERT INTO context (id, context) VALUES (?, ?)";
static const char SQL_PUT_LINE_BITS[] =
	"INSERT INTO line_bits (file_id, context_id, numbits) VALUES (?, ?, ?)";
static const char SQL_PUT_ARC[] =
	"INSERT INTO arc (file_id, context_id, fromno, tono) "
	"VALUES (?, ?, ?, ?)";
static const char SQL_PUT_TRACER[] =
	"INSERT INTO tracer (file_id, tracer) VALUES (?, ?)";

/* Ids past this in an input are not worth a table: coverage.py writes
 * 1, 2, 3... */
#define MAX_INPUT_ID 100000000
#define NONE	     UINT32_MAX

/* An open-addressing index over a vector kept elsewhere: slot holds
 * (vector index + 1), 0 is empty; hash[i] is entry i's hash. */
struct table {
	uint32_t *slot;
	size_t mask; /* slots - 1; slots a power of two */
	uint32_t *hash;
	size_t n, hcap;
};

struct text {
	char *s;
	size_t len;
};

/* Numbits of one (file, context) of the output. */
struct bits {
	uint32_t file, ctx;
	unsigned char *p;
	size_t len;
};

struct arc {
	uint32_t file, ctx;
	int64_t from, to;
};

/* One output file's tracer as the inputs so far have it. */
struct ftracer {
	char *tracer; /* NULL: none ('' to coverage.py) */
};

/* The union being built. */
struct acc {
	struct table files_t, ctx_t, bits_t, arcs_t;
	struct text *files, *ctxs;
	size_t filecap, ctxcap;
	struct ftracer *tracers; /* by output file index */
	size_t ntracers;	 /* as many as files, after each input */
	struct bits *bits;
	size_t bitscap;
	struct arc *arcs;
	size_t arccap;
	int mode;      /* -1: no input said; 0 lines; 1 arcs (meta) */
	bool any_rows; /* some input had line or arc rows */
	bool any_arcs;
};

/* One input's ids, mapped to the output's indexes. */
struct idmap {
	uint32_t *to; /* by input id, NONE where the id has no row */
	size_t n;
};

/* FNV-1a over n bytes. */
static uint32_t
hash_bytes(const void *p, size_t n, uint32_t h)
{
	const unsigned char *b = p;

	while (n--)
		h = (h ^ *b++) * 16777619u;
	return h;
}

static uint32_t
hash_ids(uint32_t a, uint32_t b)
{
	uint64_t k = ((uint64_t)a << 32 | b) * 0x9E3779B97F4A7C15ull;

	return (uint32_t)(k >> 32);
}

static uint32_t
hash_arc(const struct arc *a)
{
	uint64_t k = ((uint64_t)a->file << 32 | a->ctx) * 0x9E3779B97F4A7C15ull;

	k ^= (uint64_t)a->from * 0xC2B2AE3D27D4EB4Full;
	k ^= (uint64_t)a->to * 0x165667B19E3779F9ull;
	k ^= k >> 29;
	return (uint32_t)(k * 0x94D049BB133111EBull >> 32);
}

/* Make room for one more entry, rehashing when the slots are half full. */
static void
table_grow(struct table *t)
{
	size_t i, j, cap;

	if (t->n == t->hcap) {
		t->hcap = t->hcap ? 2 * t->hcap : 64;
		t->hash = xrealloc(t->hash, t->hcap * sizeof(*t->hash));
	}
	if (t->slot != NULL && 2 * (t->n + 1) <= t->mask + 1)
		return;
	cap = t->slot ? 2 * (t->mask + 1) : 128;
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

/* Record entry t->n (already stored by the caller) at slot j. */
static size_t
table_put(struct table *t, size_t j, uint32_t h)
{
	t->hash[t->n] = h;
	t->slot[j] = (uint32_t)++t->n;
	return t->n - 1;
}

static void
table_free(struct table *t)
{
	free(t->slot);
	free(t->hash);
}

/* The index of text s in vector *v indexed by t, added when new. */
static size_t
text_index(struct table *t, struct text **v, size_t *cap, const char *s,
	   size_t len)
{
	uint32_t h = hash_bytes(s, len, 2166136261u);
	size_t j;

	table_grow(t);
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
	return table_put(t, j, h);
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

/* OR numbits into the output's (file, ctx). */
static void
acc_bits(struct acc *a, uint32_t file, uint32_t ctx, const unsigned char *p,
	 size_t len)
{
	uint32_t h = hash_ids(file, ctx);
	struct table *t = &a->bits_t;
	struct bits *b;
	size_t j;

	table_grow(t);
	for (j = h & t->mask; t->slot[j]; j = (j + 1) & t->mask) {
		b = &a->bits[t->slot[j] - 1];
		if (b->file == file && b->ctx == ctx) {
			combine_numbits_or(&b->p, &b->len, p, len);
			return;
		}
	}
	if (t->n == a->bitscap) {
		a->bitscap = a->bitscap ? 2 * a->bitscap : 64;
		a->bits = xrealloc(a->bits, a->bitscap * sizeof(*a->bits));
	}
	b = &a->bits[t->n];
	b->file = file;
	b->ctx = ctx;
	b->p = NULL;
	b->len = 0;
	combine_numbits_or(&b->p, &b->len, p, len);
	table_put(t, j, h);
}

/* Add an arc to the output's set. */
static void
acc_arc(struct acc *a, const struct arc *arc)
{
	uint32_t h = hash_arc(arc);
	struct table *t = &a->arcs_t;
	size_t j;

	table_grow(t);
	for (j = h & t->mask; t->slot[j]; j = (j + 1) & t->mask) {
		const struct arc *e = &a->arcs[t->slot[j] - 1];

		if (t->hash[t->slot[j] - 1] == h && e->file == arc->file &&
		    e->ctx == arc->ctx && e->from == arc->from &&
		    e->to == arc->to)
			return;
	}
	if (t->n == a->arccap) {
		a->arccap = a->arccap ? 2 * a->arccap : 256;
		a->arcs = xrealloc(a->arcs, a->arccap * sizeof(*a->arcs));
	}
	a->arcs[t->n] = *arc;
	table_put(t, j, h);
}

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
	for (i = 0; i < a->bits_t.n; i++)
		free(a->bits[i].p);
	free(a->files);
	free(a->tracers);
	free(a->ctxs);
	free(a->bits);
	free(a->arcs);
	table_free(&a->files_t);
	table_free(&a->ctx_t);
	table_free(&a->bits_t);
	table_free(&a->arcs_t);
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

/* The output index of input id, or NONE. */
static uint32_t
idmap_get(const struct idmap *m, sqlite3_int64 id)
{
	return id >= 0 && (size_t)id < m->n ? m->to[id] : NONE;
}

/* Map input id to output index idx. */
static int
idmap_set(struct idmap *m, sqlite3_int64 id, uint32_t idx)
{
	size_t n;

	if (id < 0 || id > MAX_INPUT_ID)
		return -1;
	if ((size_t)id >= m->n) {
		n = m->n ? m->n : 64;
		while (n <= (size_t)id)
			n *= 2;
		m->to = xrealloc(m->to, n * sizeof(*m->to));
		memset(m->to + m->n, 0xff, (n - m->n) * sizeof(*m->to));
		m->n = n;
	}
	if (m->to[id] != NONE)
		return -1;
	m->to[id] = idx;
	return 0;
}

/* One input being read. */
struct input {
	const char *path;
	sqlite3 *db;
	struct idmap files, ctxs;
	uint32_t *fidx; /* output file indexes of its file rows */
	char **ftracer; /* their tracers, by position in fidx */
	size_t nfiles, fcap;
	char *err;
};

/* Fill err for a SQLite failure on the input; COMBINE_ERROR. */
static enum combine_status
in_sqlerr(struct input *in, const char *what)
{
	seterr(in->err, "cannot read %s (%s): %s", in->path, what,
	       in->db ? sqlite3_errmsg(in->db) : "out of memory");
	return COMBINE_ERROR;
}

static enum combine_status
in_fallback(struct input *in, const char *why)
{
	seterr(in->err, "%s %s", in->path, why);
	return COMBINE_FALLBACK;
}

/* Prepare sql on the input. */
static int
in_prepare(struct input *in, const char *sql, sqlite3_stmt **st)
{
	return sqlite3_prepare_v2(in->db, sql, -1, st, NULL);
}

/* The schema version and has_arcs of the input: *mode -1, 0 or 1. */
static enum combine_status
read_meta(struct input *in, int *mode)
{
	sqlite3_stmt *st = NULL;
	const char *v;
	int rc, n = 0;

	if (in_prepare(in, SQL_SCHEMA_VERSION, &st) != SQLITE_OK)
		return in_sqlerr(in, "coverage_schema");
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		if (n++ > 0 || sqlite3_column_type(st, 0) != SQLITE_INTEGER ||
		    sqlite3_column_int64(st, 0) != 7)
			n = 99;
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return in_sqlerr(in, "coverage_schema");
	if (n != 1)
		return in_fallback(in, "has no single schema version 7");
	*mode = -1;
	if (in_prepare(in, SQL_HAS_ARCS, &st) != SQLITE_OK)
		return in_sqlerr(in, "meta");
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		v = (const char *)sqlite3_column_text(st, 0);
		if (v != NULL && strcmp(v, "0") == 0)
			*mode = 0;
		else if (v != NULL && strcmp(v, "1") == 0)
			*mode = 1;
		else
			*mode = 2;
		rc = sqlite3_step(st);
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return in_sqlerr(in, "meta");
	if (*mode == 2)
		return in_fallback(in,
				   "has a has_arcs value other than 0 or 1");
	return COMBINE_OK;
}

/* The input's files or contexts (files true), named in the output. */
static enum combine_status
read_names(struct input *in, struct acc *a, bool files)
{
	sqlite3_stmt *st = NULL;
	enum combine_status s = COMBINE_OK;
	const char *text;
	size_t idx, len;
	int rc;

	if (in_prepare(in, files ? SQL_FILES : SQL_CONTEXTS, &st) != SQLITE_OK)
		return in_sqlerr(in, files ? "file" : "context");
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		text = (const char *)sqlite3_column_text(st, 1);
		len = (size_t)sqlite3_column_bytes(st, 1);
		if (sqlite3_column_type(st, 0) != SQLITE_INTEGER ||
		    sqlite3_column_type(st, 1) != SQLITE_TEXT || text == NULL ||
		    memchr(text, '\0', len) != NULL) {
			s = in_fallback(in, files ? "has a file row that is "
						    "not an id and a path"
						  : "has a context row that "
						    "is not an id and a name");
			break;
		}
		/* coverage.py 7.17 turns backslashes into slashes. */
		if (files && memchr(text, '\\', len) != NULL) {
			s = in_fallback(in, "has a path with a backslash");
			break;
		}
		if (files) {
			idx = text_index(&a->files_t, &a->files, &a->filecap,
					 text, len);
		} else {
			idx = text_index(&a->ctx_t, &a->ctxs, &a->ctxcap, text,
					 len);
		}
		if (idmap_set(files ? &in->files : &in->ctxs,
			      sqlite3_column_int64(st, 0), (uint32_t)idx) < 0) {
			s = in_fallback(in, "has an id out of range, or twice");
			break;
		}
		if (files) {
			if (in->nfiles == in->fcap) {
				in->fcap = in->fcap ? 2 * in->fcap : 64;
				in->fidx = xrealloc(
					in->fidx, in->fcap * sizeof(*in->fidx));
			}
			in->fidx[in->nfiles++] = (uint32_t)idx;
		}
	}
	if (s == COMBINE_OK && rc != SQLITE_DONE)
		s = in_sqlerr(in, files ? "file" : "context");
	sqlite3_finalize(st);
	return s;
}

/* The input's (file, context) of row st, or false with the status. */
static bool
row_ids(struct input *in, sqlite3_stmt *st, uint32_t *file, uint32_t *ctx,
	enum combine_status *s)
{
	*file = sqlite3_column_type(st, 0) == SQLITE_INTEGER
			? idmap_get(&in->files, sqlite3_column_int64(st, 0))
			: NONE;
	*ctx = sqlite3_column_type(st, 1) == SQLITE_INTEGER
		       ? idmap_get(&in->ctxs, sqlite3_column_int64(st, 1))
		       : NONE;
	if (*file != NONE && *ctx != NONE)
		return true;
	*s = in_fallback(in, "has a row that names no file or context");
	return false;
}

/* The input's line_bits rows, OR-ed into the output; *rows counts them. */
static enum combine_status
read_lines(struct input *in, struct acc *a, long *rows)
{
	enum combine_status s = COMBINE_OK;
	sqlite3_stmt *st = NULL;
	uint32_t file, ctx;
	int rc;

	if (in_prepare(in, SQL_LINE_BITS, &st) != SQLITE_OK)
		return in_sqlerr(in, "line_bits");
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (!row_ids(in, st, &file, &ctx, &s))
			break;
		if (sqlite3_column_type(st, 2) != SQLITE_BLOB) {
			s = in_fallback(in, "has numbits that are not a blob");
			break;
		}
		acc_bits(a, file, ctx, sqlite3_column_blob(st, 2),
			 (size_t)sqlite3_column_bytes(st, 2));
		++*rows;
	}
	if (s == COMBINE_OK && rc != SQLITE_DONE)
		s = in_sqlerr(in, "line_bits");
	sqlite3_finalize(st);
	return s;
}

/* The input's arc rows, into the output's set; *rows counts them. */
static enum combine_status
read_arcs(struct input *in, struct acc *a, long *rows)
{
	enum combine_status s = COMBINE_OK;
	sqlite3_stmt *st = NULL;
	struct arc arc;
	int rc;

	if (in_prepare(in, SQL_ARCS, &st) != SQLITE_OK)
		return in_sqlerr(in, "arc");
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (!row_ids(in, st, &arc.file, &arc.ctx, &s))
			break;
		if (sqlite3_column_type(st, 2) != SQLITE_INTEGER ||
		    sqlite3_column_type(st, 3) != SQLITE_INTEGER) {
			s = in_fallback(in, "has an arc that is not two "
					    "line numbers");
			break;
		}
		arc.from = sqlite3_column_int64(st, 2);
		arc.to = sqlite3_column_int64(st, 3);
		acc_arc(a, &arc);
		++*rows;
	}
	if (s == COMBINE_OK && rc != SQLITE_DONE)
		s = in_sqlerr(in, "arc");
	sqlite3_finalize(st);
	return s;
}

/* The input's tracers, by position of their file among its file rows. */
static enum combine_status
read_tracers(struct input *in)
{
	enum combine_status s = COMBINE_OK;
	sqlite3_stmt *st = NULL;
	const char *text;
	uint32_t file;
	size_t i;
	int rc;

	in->ftracer = xcalloc(in->nfiles ? in->nfiles : 1, sizeof(char *));
	if (in_prepare(in, SQL_TRACERS, &st) != SQLITE_OK)
		return in_sqlerr(in, "tracer");
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		file = sqlite3_column_type(st, 0) == SQLITE_INTEGER
			       ? idmap_get(&in->files,
					   sqlite3_column_int64(st, 0))
			       : NONE;
		text = (const char *)sqlite3_column_text(st, 1);
		if (file == NONE || sqlite3_column_type(st, 1) != SQLITE_TEXT ||
		    text == NULL || text[0] == '\0') {
			s = in_fallback(in, "has a tracer row that is not a "
					    "file and a tracer name");
			break;
		}
		for (i = 0; i < in->nfiles && in->fidx[i] != file; i++)
			;
		free(in->ftracer[i]);
		in->ftracer[i] = xstrdup(text);
	}
	if (s == COMBINE_OK && rc != SQLITE_DONE)
		s = in_sqlerr(in, "tracer");
	sqlite3_finalize(st);
	return s;
}

/* Every input that has a file must give it the same tracer (none counts
 * as ''): coverage.py's own rules for a difference vary by version. */
static enum combine_status
merge_tracers(struct input *in, struct acc *a, size_t known)
{
	size_t i;
	uint32_t f;

	for (i = 0; i < in->nfiles; i++) {
		const char *mine = in->ftracer[i] ? in->ftracer[i] : "";
		const char *theirs;

		f = in->fidx[i];
		assert(a->tracers != NULL && f < a->ntracers);
		if (f >= known) {
			/* New in this input: it sets the file's tracer. */
			a->tracers[f].tracer = in->ftracer[i];
			in->ftracer[i] = NULL;
			continue;
		}
		theirs = a->tracers[f].tracer ? a->tracers[f].tracer : "";
		if (strcmp(mine, theirs) != 0) {
			seterr(in->err,
			       "%s gives %s the file tracer '%s', an earlier "
			       "input '%s'",
			       in->path, a->files[f].s, mine, theirs);
			return COMBINE_FALLBACK;
		}
	}
	return COMBINE_OK;
}

/* Lines and branches must agree across inputs, as coverage.py requires;
 * where they do not, its message and its order decide. */
static enum combine_status
merge_mode(struct input *in, struct acc *a, int mode, long lines, long arcs)
{
	const char *why = NULL;

	if (lines && arcs)
		why = "has both line and arc rows";
	else if ((lines || arcs) && mode != (arcs ? 1 : 0))
		why = "has rows that its has_arcs does not announce";
	else if (mode >= 0 && a->mode >= 0 && mode != a->mode)
		why = "measured branches where an earlier input did not, or "
		      "the other way round";
	if (why != NULL)
		return in_fallback(in, why);
	if (mode >= 0)
		a->mode = mode;
	a->any_rows |= lines || arcs;
	a->any_arcs |= arcs > 0;
	return COMBINE_OK;
}

static void
input_free(struct input *in)
{
	size_t i;

	if (in->ftracer != NULL)
		for (i = 0; i < in->nfiles; i++)
			free(in->ftracer[i]);
	free(in->ftracer);
	free(in->fidx);
	free(in->files.to);
	free(in->ctxs.to);
	sqlite3_close(in->db);
}

/* Read one input into the union. */
static enum combine_status
read_input(const char *path, struct acc *a, char *err)
{
	struct input in = { .path = path, .err = err };
	enum combine_status s;
	size_t known = a->files_t.n;
	long lines = 0, arcs = 0;
	char *uri = immutable_uri(path);
	int mode = -1, rc;

	rc = sqlite3_open_v2(uri, &in.db,
			     SQLITE_OPEN_READONLY | SQLITE_OPEN_URI |
				     SQLITE_OPEN_NOMUTEX,
			     NULL);
	free(uri);
	if (rc != SQLITE_OK)
		s = in_sqlerr(&in, "opening");
	else
		s = read_meta(&in, &mode);
	if (s == COMBINE_OK)
		s = read_names(&in, a, true);
	acc_tracers(a);
	if (s == COMBINE_OK)
		s = read_names(&in, a, false);
	if (s == COMBINE_OK)
		s = read_lines(&in, a, &lines);
	if (s == COMBINE_OK)
		s = read_arcs(&in, a, &arcs);
	if (s == COMBINE_OK)
		s = merge_mode(&in, a, mode, lines, arcs);
	if (s == COMBINE_OK)
		s = read_tracers(&in);
	if (s == COMBINE_OK)
		s = merge_tracers(&in, a, known);
	input_free(&in);
	return s;
}

/* Run sql on the output, or fill err. */
static int
out_exec(sqlite3 *db, const char *sql, const char *path, char *err)
{
	if (sqlite3_exec(db, sql, NULL, NULL, NULL) == SQLITE_OK)
		return 0;
	return seterr(err, "cannot write %s: %s", path, sqlite3_errmsg(db));
}

/* Step the bound statement st once and reset it. */
static int
out_step(sqlite3_stmt *st)
{
	int rc = sqlite3_step(st);

	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

static int
cmp_arc(const void *x, const void *y)
{
	const struct arc *a = x, *b = y;

	if (a->file != b->file)
		return a->file < b->file ? -1 : 1;
	if (a->ctx != b->ctx)
		return a->ctx < b->ctx ? -1 : 1;
	if (a->from != b->from)
		return a->from < b->from ? -1 : 1;
	if (a->to != b->to)
		return a->to < b->to ? -1 : 1;
	return 0;
}

static int
cmp_bits(const void *x, const void *y)
{
	const struct bits *a = x, *b = y;

	if (a->file != b->file)
		return a->file < b->file ? -1 : 1;
	if (a->ctx != b->ctx)
		return a->ctx < b->ctx ? -1 : 1;
	return 0;
}

/* Insert the texts of v (n of them) with ids 1..n. */
static int
put_texts(sqlite3 *db, const char *sql, const struct text *v, size_t n)
{
	sqlite3_stmt *st = NULL;
	size_t i;
	int rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);

	for (i = 0; rc == SQLITE_OK && i < n; i++) {
		sqlite3_bind_int64(st, 1, (sqlite3_int64)i + 1);
		sqlite3_bind_text(st, 2, v[i].s, (int)v[i].len, SQLITE_STATIC);
		if (out_step(st) < 0)
			rc = SQLITE_ERROR;
	}
	sqlite3_finalize(st);
	return rc == SQLITE_OK ? 0 : -1;
}

/* The union's rows: meta, files, contexts, lines, arcs, tracers. */
static int
put_rows(sqlite3 *db, const struct combine_opts *o, struct acc *a)
{
	sqlite3_stmt *st = NULL;
	size_t i;
	int rc;

	rc = sqlite3_prepare_v2(db, SQL_PUT_META, -1, &st, NULL);
	for (i = 0; rc == SQLITE_OK && i <= o->nmeta; i++) {
		if (i == o->nmeta && !a->any_rows)
			break;
		sqlite3_bind_text(st, 1,
				  i < o->nmeta ? o->meta[i].key : "has_arcs",
				  -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2,
				  i < o->nmeta ? o->meta[i].value
					       : (a->any_arcs ? "1" : "0"),
				  -1, SQLITE_STATIC);
		if (out_step(st) < 0)
			rc = SQLITE_ERROR;
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_OK ||
	    put_texts(db, SQL_PUT_FILE, a->files, a->files_t.n) < 0 ||
	    put_texts(db, SQL_PUT_CONTEXT, a->ctxs, a->ctx_t.n) < 0)
		return -1;
	if (a->bits_t.n > 0)
		qsort(a->bits, a->bits_t.n, sizeof(*a->bits), cmp_bits);
	st = NULL;
	rc = sqlite3_prepare_v2(db, SQL_PUT_LINE_BITS, -1, &st, NULL);
	for (i = 0; rc == SQLITE_OK && i < a->bits_t.n; i++) {
		const struct bits *b = &a->bits[i];

		sqlite3_bind_int64(st, 1, (sqlite3_int64)b->file + 1);
		sqlite3_bind_int64(st, 2, (sqlite3_int64)b->ctx + 1);
		sqlite3_bind_blob(st, 3, b->len ? (const void *)b->p : "",
				  (int)b->len, SQLITE_STATIC);
		if (out_step(st) < 0)
			rc = SQLITE_ERROR;
	}
	sqlite3_finalize(st);
	if (a->arcs_t.n > 0)
		qsort(a->arcs, a->arcs_t.n, sizeof(*a->arcs), cmp_arc);
	st = NULL;
	if (rc == SQLITE_OK)
		rc = sqlite3_prepare_v2(db, SQL_PUT_ARC, -1, &st, NULL);
	for (i = 0; rc == SQLITE_OK && i < a->arcs_t.n; i++) {
		const struct arc *arc = &a->arcs[i];

		sqlite3_bind_int64(st, 1, (sqlite3_int64)arc->file + 1);
		sqlite3_bind_int64(st, 2, (sqlite3_int64)arc->ctx + 1);
		sqlite3_bind_int64(st, 3, arc->from);
		sqlite3_bind_int64(st, 4, arc->to);
		if (out_step(st) < 0)
			rc = SQLITE_ERROR;
	}
	sqlite3_finalize(st);
	st = NULL;
	if (rc == SQLITE_OK)
		rc = sqlite3_prepare_v2(db, SQL_PUT_TRACER, -1, &st, NULL);
	for (i = 0; rc == SQLITE_OK && i < a->files_t.n; i++) {
		const char *tr = a->tracers[i].tracer;

		if (tr == NULL && !o->empty_tracers)
			continue;
		sqlite3_bind_int64(st, 1, (sqlite3_int64)i + 1);
		sqlite3_bind_text(st, 2, tr ? tr : "", -1, SQLITE_STATIC);
		if (out_step(st) < 0)
			rc = SQLITE_ERROR;
	}
	sqlite3_finalize(st);
	return rc == SQLITE_OK ? 0 : -1;
}

/* The temporary file beside path: DIR/.BASE.covsettle-XXXXXX, with the
 * permissions coverage.py's file would get (0666 less the umask). */
static int
out_temp(const char *path, char *tmp, size_t len, char *err)
{
	const char *slash = strrchr(path, '/');
	mode_t mask;
	int fd;

	if (slash == NULL ? fmt(tmp, len, ".%s.covsettle-XXXXXX", path)
			  : fmt(tmp, len, "%.*s/.%s.covsettle-XXXXXX",
				(int)(slash - path), path, slash + 1) < 0)
		return seterr(err, "%s: name too long", path);
	if ((fd = mkstemp(tmp)) < 0)
		return seterr(err,
			      "cannot create a temporary file beside %s: %s",
			      path, strerror(errno));
	mask = umask(0);
	umask(mask);
	if (fchmod(fd, 0666 & ~mask) < 0) {
		seterr(err, "cannot set the mode of %s: %s", tmp,
		       strerror(errno));
		close(fd);
		unlink(tmp);
		return -1;
	}
	close(fd);
	return 0;
}

/* Write the union to a temporary file and rename it to o->output. */
static enum combine_status
write_output(const struct combine_opts *o, struct acc *a, char *err)
{
	char tmp[PATH_MAX];
	sqlite3 *db = NULL;
	int rc, fd;

	if (out_temp(o->output, tmp, sizeof(tmp), err) < 0)
		return COMBINE_ERROR;
	rc = sqlite3_open_v2(tmp, &db,
			     SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK) {
		seterr(err, "cannot open %s: %s", tmp,
		       db ? sqlite3_errmsg(db) : "out of memory");
		goto fail;
	}
	if (out_exec(db, SQL_PRAGMAS, tmp, err) < 0 ||
	    out_exec(db, "BEGIN", tmp, err) < 0 ||
	    out_exec(db, o->schema ? o->schema : builtin_schema, tmp, err) <
		    0 ||
	    out_exec(db, SQL_PUT_SCHEMA_VERSION, tmp, err) < 0)
		goto fail;
	if (put_rows(db, o, a) < 0) {
		seterr(err, "cannot write %s: %s", tmp, sqlite3_errmsg(db));
		goto fail;
	}
	if (out_exec(db, "COMMIT", tmp, err) < 0)
		goto fail;
	rc = sqlite3_close(db);
	db = NULL;
	if (rc != SQLITE_OK) {
		seterr(err, "cannot close %s", tmp);
		goto fail;
	}
	/* Durable before it takes the target's name. */
	if ((fd = open(tmp, O_RDONLY | O_CLOEXEC)) < 0 || fsync(fd) < 0) {
		seterr(err, "cannot sync %s: %s", tmp, strerror(errno));
		if (fd >= 0)
			close(fd);
		goto fail;
	}
	close(fd);
	if (rename(tmp, o->output) < 0) {
		seterr(err, "cannot rename %s to %s: %s", tmp, o->output,
		       strerror(errno));
		goto fail;
	}
	return COMBINE_OK;
fail:
	sqlite3_close(db);
	unlink(tmp);
	return COMBINE_ERROR;
}

enum combine_status
combine_run(const struct combine_opts *o, char *err)
{
	struct acc a = { .mode = -1 };
	enum combine_status s = COMBINE_OK;
	size_t i;

	if (o->ninputs == 0) {
		seterr(err, "no data files to combine");
		return COMBINE_ERROR;
	}
	for (i = 0; s == COMBINE_OK && i < o->ninputs; i++) {
		if (o->interrupted != NULL && o->interrupted(o->arg)) {
			seterr(err, "the combine was interrupted");
			s = COMBINE_STOPPED;
			break;
		}
		s = read_input(o->inputs[i], &a, err);
	}
	if (s == COMBINE_OK)
		s = write_output(o, &a, err);
	acc_free(&a);
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
