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
 * else this file does not reproduce exactly (rows that point at no file or
 * context; values of an unexpected type; without the caller's mapping, a
 * path with a backslash, which 7.17 rewrites), end in COMBINE_FALLBACK,
 * and coverage.py decides.
 *
 * The caller may give the path that the combining coverage.py stores for
 * each path of the inputs ([paths], relative_files: asked of coverage.py
 * itself, native.c): a file is then merged under that path, in the order
 * coverage.py meets it, so that files that map to one path are one file
 * of the output, their numbits OR-ed and their arcs united as those of
 * two inputs. Two such files in one input are merged too, as coverage.py
 * 7 merges them; 6.5 keeps one file's lines, and that falls back.
 *
 * Each input is read once, on its own read-only connection, by one of the
 * pool's threads (pool.c), into rows under its own ids (struct input); its
 * arc rows, most of the rows on branch data, straight from the file's
 * pages (sqlfile.c) unless anything there is outside the simple case, or
 * the environment says not to (COVSETTLE_SQLFILE=0, to triage). The
 * calling thread merges the inputs in their order into the union (struct
 * acc): files and contexts by text, then a pair per (file, context) of the
 * output with its numbits or its set of arcs. The order makes the result,
 * and the input a message names, those of a loop on one thread. The
 * output is written at the end, in one transaction with the journal and
 * syncs off, into a temporary file beside the target that is renamed over
 * it only when complete: there is never a partial file under the target's
 * name. */
#include "combine.h"
#include "pool.h"
#include "sqlfile.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sqlite3.h>
#include <stdatomic.h>
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
/* The arc table's root page, and its columns as declared, in their order
 * (hidden ones marked): the pages are read by position. */
static const char SQL_ARC_ROOT[] =
	"SELECT rootpage, (SELECT group_concat(name ||"
	" CASE WHEN hidden THEN '+' ELSE '' END)"
	" FROM (SELECT name, hidden FROM pragma_table_xinfo('arc')"
	" ORDER BY cid)) FROM sqlite_master WHERE type = 'table' AND "
	"name = 'arc'";
/* The columns page_row() takes, in the order it takes them. */
static const char ARC_COLUMNS[] = "file_id,context_id,fromno,tono";
static const char SQL_ARCS[] = /* arc_step() takes each row */
	"SELECT covsettle_arc(file_id, context_id, fromno, tono) FROM arc";
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

/* Ids past this in an input are not worth a table (4 MB): coverage.py
 * writes 1, 2, 3... */
#define MAX_INPUT_ID 1000000
#define NONE	     UINT32_MAX

/* Room in vector v (n used of cap) for one more. */
#define ROOM(v, n, cap)                                                        \
	do {                                                                   \
		if ((n) == (cap)) {                                            \
			(cap) = (cap) ? 2 * (cap) : 8;                         \
			(v) = xrealloc((v), (cap) * sizeof(*(v)));             \
		}                                                              \
	} while (0)

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
	struct table jumps_t;
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
	struct table files_t, ctx_t, pairs_t;
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
	struct table map_t;
	struct text *map;
	size_t mapcap;
	size_t ninputs; /* merged so far */
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
hash_jump(int64_t from, int64_t to)
{
	uint64_t k = (uint64_t)from * 0xC2B2AE3D27D4EB4Full;

	k ^= (uint64_t)to * 0x165667B19E3779F9ull;
	k ^= k >> 29;
	return (uint32_t)(k * 0x94D049BB133111EBull >> 32);
}

/* Make room for one more entry, rehashing when the slots are half full. */
static void
table_grow(struct table *t)
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

/* The index of text s in vector v indexed by t, or NONE. */
static uint32_t
text_find(const struct table *t, const struct text *v, const char *s,
	  size_t len)
{
	uint32_t h = hash_bytes(s, len, 2166136261u);
	size_t j;

	if (t->slot == NULL)
		return NONE;
	for (j = h & t->mask; t->slot[j]; j = (j + 1) & t->mask) {
		const struct text *e = &v[t->slot[j] - 1];

		if (t->hash[t->slot[j] - 1] == h && e->len == len &&
		    memcmp(e->s, s, len) == 0)
			return t->slot[j] - 1;
	}
	return NONE;
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
	struct table *t = &a->pairs_t;
	struct pair *p;
	size_t j;

	table_grow(t);
	for (j = h & t->mask; t->slot[j]; j = (j + 1) & t->mask) {
		p = &a->pairs[t->slot[j] - 1];
		if (p->file == file && p->ctx == ctx)
			return p;
	}
	ROOM(a->pairs, t->n, a->paircap);
	p = &a->pairs[t->n];
	memset(p, 0, sizeof(*p));
	p->file = file;
	p->ctx = ctx;
	table_put(t, j, h);
	return p;
}

/* Add the arc from -> to to the pair's set. */
static void
pair_jump(struct pair *p, int64_t from, int64_t to)
{
	uint32_t h = hash_jump(from, to);
	struct table *t = &p->jumps_t;
	size_t j;

	table_grow(t);
	for (j = h & t->mask; t->slot[j]; j = (j + 1) & t->mask) {
		const struct jump *e = &p->jumps[t->slot[j] - 1];

		if (e->from == from && e->to == to)
			return;
	}
	ROOM(p->jumps, t->n, p->jumpcap);
	p->jumps[t->n].from = from;
	p->jumps[t->n].to = to;
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
	for (i = 0; i < a->map_t.n; i++)
		free(a->map[i].s);
	free(a->map);
	table_free(&a->map_t);
	for (i = 0; i < a->pairs_t.n; i++) {
		free(a->pairs[i].bits);
		free(a->pairs[i].jumps);
		table_free(&a->pairs[i].jumps_t);
	}
	free(a->files);
	free(a->tracers);
	free(a->ctxs);
	free(a->pairs);
	table_free(&a->files_t);
	table_free(&a->ctx_t);
	table_free(&a->pairs_t);
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

/* Fill in->err for a SQLite failure on the input; COMBINE_ERROR. */
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

/* The schema version and has_arcs of the input: in->mode -1, 0 or 1. */
static enum combine_status
read_meta(struct input *in)
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
	in->mode = -1;
	if (in_prepare(in, SQL_HAS_ARCS, &st) != SQLITE_OK)
		return in_sqlerr(in, "meta");
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		v = (const char *)sqlite3_column_text(st, 0);
		if (v != NULL && strcmp(v, "0") == 0)
			in->mode = 0;
		else if (v != NULL && strcmp(v, "1") == 0)
			in->mode = 1;
		else
			in->mode = 2;
		rc = sqlite3_step(st);
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return in_sqlerr(in, "meta");
	if (in->mode == 2)
		return in_fallback(in,
				   "has a has_arcs value other than 0 or 1");
	return COMBINE_OK;
}

/* The input's files (files true) or contexts, by position. */
static enum combine_status
read_names(struct input *in, bool files)
{
	sqlite3_stmt *st = NULL;
	enum combine_status s = COMBINE_OK;
	struct text **v = files ? &in->files : &in->ctxs;
	size_t *n = files ? &in->nfiles : &in->nctxs;
	size_t *cap = files ? &in->filecap : &in->ctxcap;
	const char *text;
	size_t len;
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
		/* coverage.py 7.17 turns backslashes into slashes: only
		 * the caller's mapping knows. */
		if (files && !in->mapped && memchr(text, '\\', len) != NULL) {
			s = in_fallback(in, "has a path with a backslash");
			break;
		}
		if (idmap_set(files ? &in->fileid : &in->ctxid,
			      sqlite3_column_int64(st, 0), (uint32_t)*n) < 0) {
			s = in_fallback(in, "has an id out of range, or twice");
			break;
		}
		ROOM(*v, *n, *cap);
		(*v)[*n].s = xmalloc(len + 1);
		memcpy((*v)[*n].s, text, len);
		(*v)[*n].s[len] = '\0';
		(*v)[(*n)++].len = len;
	}
	if (s == COMBINE_OK && rc != SQLITE_DONE)
		s = in_sqlerr(in, files ? "file" : "context");
	sqlite3_finalize(st);
	return s;
}

/* The positions of the file and context that ids a and b name, or false
 * with the input's fallback. */
static bool
row_ids(struct input *in, sqlite3_value *a, sqlite3_value *b, uint32_t *file,
	uint32_t *ctx)
{
	*file = sqlite3_value_type(a) == SQLITE_INTEGER
			? idmap_get(&in->fileid, sqlite3_value_int64(a))
			: NONE;
	*ctx = sqlite3_value_type(b) == SQLITE_INTEGER
		       ? idmap_get(&in->ctxid, sqlite3_value_int64(b))
		       : NONE;
	if (*file != NONE && *ctx != NONE)
		return true;
	in->s = in_fallback(in, "has a row that names no file or context");
	return false;
}

/* The input's line_bits rows. */
static enum combine_status
read_lines(struct input *in)
{
	sqlite3_stmt *st = NULL;
	struct bits *b;
	uint32_t file, ctx;
	int rc;

	if (in_prepare(in, SQL_LINE_BITS, &st) != SQLITE_OK)
		return in_sqlerr(in, "line_bits");
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (!row_ids(in, sqlite3_column_value(st, 0),
			     sqlite3_column_value(st, 1), &file, &ctx))
			break;
		if (sqlite3_column_type(st, 2) != SQLITE_BLOB) {
			in->s = in_fallback(in,
					    "has numbits that are not a blob");
			break;
		}
		ROOM(in->bits, in->nbits, in->bitscap);
		b = &in->bits[in->nbits++];
		b->file = file;
		b->ctx = ctx;
		b->len = (size_t)sqlite3_column_bytes(st, 2);
		b->p = xmalloc(b->len ? b->len : 1);
		if (b->len)
			memcpy(b->p, sqlite3_column_blob(st, 2), b->len);
	}
	if (in->s == COMBINE_OK && rc != SQLITE_DONE)
		in->s = in_sqlerr(in, "line_bits");
	sqlite3_finalize(st);
	return in->s;
}

/* Add an arc row of the input; -1 with the fallback when its ids name
 * no file or context. */
static int
arc_row(struct input *in, uint32_t file, uint32_t ctx, int64_t from, int64_t to)
{
	struct arc *arc;

	if (file == NONE || ctx == NONE) {
		in->s = in_fallback(in,
				    "has a row that names no file or context");
		return -1;
	}
	ROOM(in->arcs, in->narcs, in->arccap);
	arc = &in->arcs[in->narcs++];
	arc->file = file;
	arc->ctx = ctx;
	arc->from = from;
	arc->to = to;
	return 0;
}

/* SQL_ARCS calls this aggregate once per arc row, inside SQLite's own
 * loop: 3 million rows at 1,000 data files of branch data cost a third
 * less this way than stepping each row out and reading its columns. A
 * row the native combine does not reproduce stops the statement. */
static void
arc_step(sqlite3_context *cx, int argc, sqlite3_value **v)
{
	struct input *in = sqlite3_user_data(cx);
	uint32_t file, ctx;

	(void)argc;
	if (in->s != COMBINE_OK)
		return;
	if (!row_ids(in, v[0], v[1], &file, &ctx)) {
		sqlite3_result_error(cx, in->err, -1);
		return;
	}
	if (sqlite3_value_type(v[2]) != SQLITE_INTEGER ||
	    sqlite3_value_type(v[3]) != SQLITE_INTEGER) {
		in->s = in_fallback(in, "has an arc that is not two line "
					"numbers");
		sqlite3_result_error(cx, in->err, -1);
		return;
	}
	(void)arc_row(in, file, ctx, sqlite3_value_int64(v[2]),
		      sqlite3_value_int64(v[3]));
}

static void
arc_final(sqlite3_context *cx)
{
	sqlite3_result_null(cx);
}

/* sqlfile's row: file_id, context_id, fromno, tono. */
static int
page_row(void *arg, const int64_t *v)
{
	struct input *in = arg;

	return arc_row(in, idmap_get(&in->fileid, v[0]),
		       idmap_get(&in->ctxid, v[1]), v[2], v[3]);
}

/* The input's arc rows read from its file's pages (sqlfile.c): true when
 * that settled it, rows or fallback; false to read them with SQLite. The
 * pages give a row's values in the order the table declares its columns,
 * and the check (check.c) only knows that the columns exist: the pages
 * are read only when the declared columns are exactly ARC_COLUMNS, in
 * that order, none hidden (a generated column is not in the record). */
static bool
read_arc_pages(struct input *in)
{
	sqlite3_stmt *st = NULL;
	enum sqlfile_status s;
	sqlite3_int64 root = 0;
	const char *cols;
	int fd;

	if (in_prepare(in, SQL_ARC_ROOT, &st) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW &&
	    sqlite3_column_type(st, 0) == SQLITE_INTEGER &&
	    (cols = (const char *)sqlite3_column_text(st, 1)) != NULL &&
	    strcmp(cols, ARC_COLUMNS) == 0)
		root = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	if (root < 2 || root > UINT32_MAX ||
	    (fd = open(in->path, O_RDONLY | O_CLOEXEC)) < 0)
		return false;
	s = sqlfile_rows(fd, (uint32_t)root, 4, page_row, in);
	close(fd);
	if (s == SQLFILE_OTHER)
		in->narcs = 0; /* SQLite reads them all again */
	return s != SQLFILE_OTHER;
}

/* The input's arc rows: from its pages, else through SQLite. */
static enum combine_status
read_arcs(struct input *in)
{
	sqlite3_stmt *st = NULL;
	int rc;

	/* Pages only where arcs are announced: an empty table costs less
	 * as one statement than as a query, an open and two reads. */
	if (in->mode == 1 && in->pages && read_arc_pages(in))
		return in->s;
	if (sqlite3_create_function(in->db, "covsettle_arc", 4, SQLITE_UTF8, in,
				    NULL, arc_step, arc_final) != SQLITE_OK ||
	    in_prepare(in, SQL_ARCS, &st) != SQLITE_OK)
		return in_sqlerr(in, "arc");
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		;
	if (in->s == COMBINE_OK && rc != SQLITE_DONE)
		in->s = in_sqlerr(in, "arc");
	sqlite3_finalize(st);
	return in->s;
}

/* The input's tracers, by file position. */
static enum combine_status
read_tracers(struct input *in)
{
	enum combine_status s = COMBINE_OK;
	sqlite3_stmt *st = NULL;
	const char *text;
	uint32_t file;
	int rc;

	in->tracer = xcalloc(in->nfiles ? in->nfiles : 1, sizeof(char *));
	if (in_prepare(in, SQL_TRACERS, &st) != SQLITE_OK)
		return in_sqlerr(in, "tracer");
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		file = sqlite3_column_type(st, 0) == SQLITE_INTEGER
			       ? idmap_get(&in->fileid,
					   sqlite3_column_int64(st, 0))
			       : NONE;
		text = (const char *)sqlite3_column_text(st, 1);
		if (file == NONE || sqlite3_column_type(st, 1) != SQLITE_TEXT ||
		    text == NULL || text[0] == '\0') {
			s = in_fallback(in, "has a tracer row that is not a "
					    "file and a tracer name");
			break;
		}
		free(in->tracer[file]);
		in->tracer[file] = xstrdup(text);
	}
	if (s == COMBINE_OK && rc != SQLITE_DONE)
		s = in_sqlerr(in, "tracer");
	sqlite3_finalize(st);
	return s;
}

/* Read the input at in->path into in, and close it: in->s says how. */
static void
read_input(struct input *in)
{
	char *uri = immutable_uri(in->path);
	int rc;

	rc = sqlite3_open_v2(uri, &in->db,
			     SQLITE_OPEN_READONLY | SQLITE_OPEN_URI |
				     SQLITE_OPEN_NOMUTEX,
			     NULL);
	free(uri);
	if (rc != SQLITE_OK)
		in->s = in_sqlerr(in, "opening");
	else
		in->s = read_meta(in);
	if (in->s == COMBINE_OK)
		in->s = read_names(in, true);
	if (in->s == COMBINE_OK)
		in->s = read_names(in, false);
	if (in->s == COMBINE_OK)
		in->s = read_lines(in);
	if (in->s == COMBINE_OK)
		in->s = read_arcs(in);
	if (in->s == COMBINE_OK)
		in->s = read_tracers(in);
	sqlite3_close(in->db);
	in->db = NULL;
}

/* Empty the slot for its next input; its vectors keep their room (an
 * input's arcs are 80 KB at 3,000 rows: allocated afresh each time, they
 * cost page faults). */
static void
input_clear(struct input *in)
{
	size_t i;

	for (i = 0; i < in->nfiles; i++) {
		free(in->files[i].s);
		if (in->tracer != NULL)
			free(in->tracer[i]);
	}
	for (i = 0; i < in->nctxs; i++)
		free(in->ctxs[i].s);
	for (i = 0; i < in->nbits; i++)
		free(in->bits[i].p);
	free(in->tracer);
	in->tracer = NULL;
	if (in->fileid.n > 0)
		memset(in->fileid.to, 0xff, in->fileid.n * sizeof(uint32_t));
	if (in->ctxid.n > 0)
		memset(in->ctxid.to, 0xff, in->ctxid.n * sizeof(uint32_t));
	in->nfiles = in->nctxs = in->nbits = in->narcs = 0;
	sqlite3_close(in->db);
	in->db = NULL;
	in->path = NULL;
	in->s = COMBINE_OK;
	in->err[0] = '\0';
	in->mode = -1;
}

static void
input_free(struct input *in)
{
	input_clear(in);
	free(in->files);
	free(in->ctxs);
	free(in->bits);
	free(in->arcs);
	free(in->fileid.to);
	free(in->ctxid.to);
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
		return in_fallback(in, why);
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
 * coverage.py stores it, added when new; NONE with the input's fallback
 * when the mapping lacks it. */
static uint32_t
file_index(struct input *in, struct acc *a, size_t i)
{
	const struct text *t = &in->files[i];
	const char *s = t->s;
	size_t len = t->len;
	uint32_t k;

	if (a->o->map_to != NULL) {
		k = text_find(&a->map_t, a->map, s, len);
		if (k == NONE) {
			in_fallback(in, "has a path that covsettle did not "
					"ask coverage.py to map");
			return NONE;
		}
		s = a->o->map_to[k];
		len = strlen(s);
	}
	return (uint32_t)text_index(&a->files_t, &a->files, &a->filecap, s,
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
		if ((fidx[i] = file_index(in, a, i)) == NONE) {
			free(fidx);
			free(cidx);
			return COMBINE_FALLBACK;
		}
	acc_tracers(a);
	for (i = 0; i < in->nctxs; i++)
		cidx[i] = (uint32_t)text_index(&a->ctx_t, &a->ctxs, &a->ctxcap,
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

/* Run sql on the output, or fill err. */
static int
out_exec(sqlite3 *db, const char *sql, const char *path, char *err)
{
	if (sqlite3_exec(db, sql, NULL, NULL, NULL) == SQLITE_OK)
		return 0;
	return seterr(err, "cannot write %s: %s", path, sqlite3_errmsg(db));
}

/* Step the bound statement st once and reset it (every parameter is bound
 * again before the next step). */
static int
out_step(sqlite3_stmt *st)
{
	int rc = sqlite3_step(st);

	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

/* Two arcs of one (file, context), by their line numbers. */
static int
cmp_jump(const void *x, const void *y)
{
	const struct jump *a = x, *b = y;

	if (a->from != b->from)
		return a->from < b->from ? -1 : 1;
	if (a->to != b->to)
		return a->to < b->to ? -1 : 1;
	return 0;
}

static int
cmp_pair(const void *x, const void *y)
{
	const struct pair *a = x, *b = y;

	if (a->file != b->file)
		return a->file < b->file ? -1 : 1;
	if (a->ctx != b->ctx)
		return a->ctx < b->ctx ? -1 : 1;
	return 0;
}

/* pool's work: sort the arcs of pair i. */
static void
sort_jumps(void *ctx, size_t i)
{
	struct pair *p = &((struct acc *)ctx)->pairs[i];

	if (p->jumps_t.n > 1)
		qsort(p->jumps, p->jumps_t.n, sizeof(*p->jumps), cmp_jump);
}

/* Rows in one INSERT of arcs: each statement opens and seeks its cursors
 * again, which costs more than a row itself (a third of the time at
 * 450,000 arcs). 4 parameters a row, under SQLite's old limit of 999. */
#define ARC_BATCH 64

/* The union's arcs, the pairs sorted: each pair's arcs are sorted too, so
 * that the output's unique index (file, context, from, to) grows at its
 * end. */
static int
put_arcs(sqlite3 *db, struct acc *a)
{
	static const char more[] = ", (?, ?, ?, ?)";
	char sql[sizeof(SQL_PUT_ARC) + ARC_BATCH * sizeof(more)];
	sqlite3_stmt *many = NULL, *one = NULL, *st;
	size_t i, k, n = 0, pi = 0, next = 0;
	int rc, rows;

	for (i = 0; i < a->pairs_t.n; i++)
		n += a->pairs[i].jumps_t.n;
	if (n == 0)
		return 0;
	pool_run(a->pairs_t.n, 0, a->threads, sort_jumps, NULL, a);
	memcpy(sql, SQL_PUT_ARC, sizeof(SQL_PUT_ARC));
	for (k = 1; k < ARC_BATCH; k++)
		memcpy(sql + sizeof(SQL_PUT_ARC) - 1 +
			       (k - 1) * (sizeof(more) - 1),
		       more, sizeof(more));
	rc = sqlite3_prepare_v2(db, sql, -1, &many, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_prepare_v2(db, SQL_PUT_ARC, -1, &one, NULL);
	while (rc == SQLITE_OK && n > 0) {
		rows = n >= ARC_BATCH ? ARC_BATCH : 1;
		st = rows > 1 ? many : one;
		for (k = 0; k < (size_t)rows; k++) {
			const struct pair *p;
			const struct jump *j;
			int at = 4 * (int)k;

			while (next == a->pairs[pi].jumps_t.n) {
				pi++;
				next = 0;
			}
			p = &a->pairs[pi];
			j = &p->jumps[next++];
			sqlite3_bind_int64(st, at + 1,
					   (sqlite3_int64)p->file + 1);
			sqlite3_bind_int64(st, at + 2,
					   (sqlite3_int64)p->ctx + 1);
			sqlite3_bind_int64(st, at + 3, j->from);
			sqlite3_bind_int64(st, at + 4, j->to);
		}
		n -= (size_t)rows;
		if (out_step(st) < 0)
			rc = SQLITE_ERROR;
	}
	sqlite3_finalize(many);
	sqlite3_finalize(one);
	return rc == SQLITE_OK ? 0 : -1;
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
	/* Pairs in index order from here on: the set of pairs is done. */
	if (a->pairs_t.n > 1)
		qsort(a->pairs, a->pairs_t.n, sizeof(*a->pairs), cmp_pair);
	st = NULL;
	rc = sqlite3_prepare_v2(db, SQL_PUT_LINE_BITS, -1, &st, NULL);
	for (i = 0; rc == SQLITE_OK && i < a->pairs_t.n; i++) {
		const struct pair *p = &a->pairs[i];

		if (!p->has_bits)
			continue;
		sqlite3_bind_int64(st, 1, (sqlite3_int64)p->file + 1);
		sqlite3_bind_int64(st, 2, (sqlite3_int64)p->ctx + 1);
		sqlite3_bind_blob(st, 3, p->nbits ? (const void *)p->bits : "",
				  (int)p->nbits, SQLITE_STATIC);
		if (out_step(st) < 0)
			rc = SQLITE_ERROR;
	}
	sqlite3_finalize(st);
	if (rc == SQLITE_OK && put_arcs(db, a) < 0)
		rc = SQLITE_ERROR;
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

/* Is a failed write of the output for want of room: SQLite's
 * SQLITE_FULL on db, or errno e? */
static bool
out_full(sqlite3 *db, int e)
{
	return (db != NULL && (sqlite3_errcode(db) & 0xff) == SQLITE_FULL) ||
	       e == ENOSPC || e == EDQUOT;
}

/* Write the union to a temporary file and rename it to o->output. A
 * disk or quota full is COMBINE_FULL, which gather tells from an error. */
static enum combine_status
write_output(const struct combine_opts *o, struct acc *a, char *err)
{
	char tmp[PATH_MAX];
	sqlite3 *db = NULL;
	int rc, fd, e = 0;
	bool full;

	if (out_temp(o->output, tmp, sizeof(tmp), err) < 0)
		return errno == ENOSPC || errno == EDQUOT ? COMBINE_FULL
							  : COMBINE_ERROR;
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
		e = errno;
		seterr(err, "cannot sync %s: %s", tmp, strerror(e));
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
	full = out_full(db, e);
	sqlite3_close(db);
	unlink(tmp);
	return full ? COMBINE_FULL : COMBINE_ERROR;
}

/* The inputs in flight: read on the pool's threads, merged by the calling
 * thread in their order. */
#define WINDOW 16

struct run {
	const struct combine_opts *o;
	struct acc a;
	struct input slot[WINDOW]; /* input i in slot i % WINDOW */
	atomic_int stop;	   /* set when reading more is in vain */
	bool pages;		   /* see sqlfile_wanted() */
	enum combine_status s;	   /* the first input's that failed */
	char *err;
};

/* pool's work: read input i (any thread). */
static void
read_one(void *ctx, size_t i)
{
	struct run *r = ctx;
	struct input *in = &r->slot[i % WINDOW];

	in->path = r->o->inputs[i];
	in->pages = r->pages;
	in->mapped = r->o->map_to != NULL;
	if (atomic_load_explicit(&r->stop, memory_order_relaxed))
		in->s = COMBINE_STOPPED;
	else
		read_input(in);
}

/* pool's done: merge input i (the calling thread, in order). */
static void
merge_one(void *ctx, size_t i)
{
	struct run *r = ctx;
	struct input *in = &r->slot[i % WINDOW];
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
	input_clear(in);
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
		(void)text_index(&r->a.map_t, &r->a.map, &r->a.mapcap,
				 o->map_from[i], strlen(o->map_from[i]));
	r->a.threads = sqlite_setup() ? pool_threads(o->ninputs) : 1;
	r->err = err;
	r->pages = sqlfile_wanted();
	atomic_init(&r->stop, 0);
	pool_run(o->ninputs, WINDOW, r->a.threads, read_one, merge_one, r);
	if (r->s == COMBINE_OK)
		r->s = write_output(o, &r->a, err);
	acc_free(&r->a);
	for (i = 0; i < WINDOW; i++)
		input_free(&r->slot[i]);
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

/* combine_paths()'s inputs in flight: each read on the pool's threads,
 * merged by the calling thread in their order. */
struct paths_run {
	const char *const *inputs;
	struct text *slot[WINDOW]; /* input i's paths in slot i % WINDOW */
	size_t nslot[WINDOW];
	char slot_err[WINDOW][ERRLEN]; /* why the slot's input was not read */
	bool failed;		       /* an input was not read: err says */
	char err[ERRLEN];
	struct table t;
	struct text *v;
	size_t cap;
};

/* pool's work: the file table of input i (any thread). An input that
 * cannot be read leaves its slot empty and says so. */
static void
paths_read(void *ctx, size_t i)
{
	struct paths_run *pr = ctx;
	struct input in;
	char *uri;
	size_t k = i % WINDOW;

	memset(&in, 0, sizeof(in));
	in.path = pr->inputs[i];
	in.mapped = true;
	uri = immutable_uri(in.path);
	if (sqlite3_open_v2(uri, &in.db,
			    SQLITE_OPEN_READONLY | SQLITE_OPEN_URI |
				    SQLITE_OPEN_NOMUTEX,
			    NULL) != SQLITE_OK)
		in.s = in_sqlerr(&in, "opening");
	else
		in.s = read_names(&in, true);
	free(uri);
	sqlite3_close(in.db);
	in.db = NULL;
	pr->slot[k] = in.files;
	pr->nslot[k] = in.nfiles;
	pr->slot_err[k][0] = '\0';
	if (in.s != COMBINE_OK)
		memcpy(pr->slot_err[k], in.err, ERRLEN);
	free(in.fileid.to);
}

/* pool's done: add input i's new paths (the calling thread, in order). */
static void
paths_merge(void *ctx, size_t i)
{
	struct paths_run *pr = ctx;
	size_t k = i % WINDOW, j;

	if (pr->slot_err[k][0] != '\0' && !pr->failed) {
		pr->failed = true;
		memcpy(pr->err, pr->slot_err[k], ERRLEN);
	}
	for (j = 0; j < pr->nslot[k]; j++) {
		const struct text *t = &pr->slot[k][j];

		if (!pr->failed)
			(void)text_index(&pr->t, &pr->v, &pr->cap, t->s,
					 t->len);
		free(t->s);
	}
	free(pr->slot[k]);
	pr->slot[k] = NULL;
	pr->nslot[k] = 0;
}

int
combine_paths(const char *const *inputs, size_t n, char ***paths,
	      size_t *npaths, char *err)
{
	struct paths_run *pr = xcalloc(1, sizeof(*pr));
	int threads = sqlite_setup() ? pool_threads(n) : 1;
	size_t i;

	pr->inputs = inputs;
	pool_run(n, WINDOW, threads, paths_read, paths_merge, pr);
	*paths = xcalloc(pr->t.n + 1, sizeof(char *));
	*npaths = pr->t.n;
	for (i = 0; i < pr->t.n; i++)
		(*paths)[i] = pr->v[i].s; /* theirs now */
	free(pr->v);
	table_free(&pr->t);
	if (pr->failed) {
		seterr(err, "%s", pr->err);
		for (i = 0; i < *npaths; i++)
			free((*paths)[i]);
		free(*paths);
		*paths = NULL;
		*npaths = 0;
		free(pr);
		return -1;
	}
	free(pr);
	return 0;
}
