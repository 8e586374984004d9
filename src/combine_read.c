/* combine_read.c: one input of the native combine, read.
 *
 * Each input is read once, on its own read-only connection (immutable:
 * nothing writes it now), by one of the pool's threads (pool.c), into rows
 * under its own ids (struct input): its schema version and has_arcs, its
 * files and contexts by position, its line_bits, arc and tracer rows. Its
 * arc rows, most of the rows on branch data, come straight from the
 * file's pages (sqlfile.c) unless anything there is outside the simple
 * case, or the environment says not to (COVSETTLE_SQLFILE=0, to triage).
 * Anything the native combine does not reproduce exactly (a schema other
 * than 7, a has_arcs other than 0 or 1, rows that point at no file or
 * context, values of an unexpected type, without the caller's mapping a
 * path with a backslash) stops the read with COMBINE_FALLBACK and the
 * reason; a SQLite failure with COMBINE_ERROR. Nothing here touches the
 * union: combine.c merges what was read, on the calling thread. */
#include "combine_read.h"
#include "covschema.h"
#include "sqlfile.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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

/* Ids past this in an input are not worth a table (4 MB): coverage.py
 * writes 1, 2, 3... */
#define MAX_INPUT_ID 1000000

/* The output index of input id, or HASHTAB_NONE. */
static uint32_t
idmap_get(const struct idmap *m, sqlite3_int64 id)
{
	return id >= 0 && (size_t)id < m->n ? m->to[id] : HASHTAB_NONE;
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
	if (m->to[id] != HASHTAB_NONE)
		return -1;
	m->to[id] = idx;
	return 0;
}

/* Fill in->err for a SQLite failure on the input; COMBINE_ERROR. */
static enum combine_status
in_sqlerr(struct input *in, const char *what)
{
	seterr(in->err, "cannot read %s (%s): %s", in->path, what,
	       in->db ? sqlite3_errmsg(in->db) : "out of memory");
	return COMBINE_ERROR;
}

enum combine_status
combine_read_fallback(struct input *in, const char *why)
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

/* Open the input read-only, as immutable (util.c). */
static enum combine_status
in_open(struct input *in)
{
	char *uri = immutable_uri(in->path);
	int rc;

	rc = sqlite3_open_v2(uri, &in->db,
			     SQLITE_OPEN_READONLY | SQLITE_OPEN_URI |
				     SQLITE_OPEN_NOMUTEX,
			     NULL);
	free(uri);
	return rc == SQLITE_OK ? COMBINE_OK : in_sqlerr(in, "opening");
}

/* The schema version and has_arcs of the input: in->mode -1, 0 or 1
 * (2, for a value other than 0 or 1, falls back). */
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
		    sqlite3_column_int64(st, 0) != COVERAGE_SCHEMA_VERSION)
			n = 99;
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return in_sqlerr(in, "coverage_schema");
	if (n != 1)
		return combine_read_fallback(
			in,
			"has no single schema version " COVERAGE_SCHEMA_TEXT);
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
		return combine_read_fallback(
			in, "has a has_arcs value other than 0 or 1");
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
			s = combine_read_fallback(
				in, files ? "has a file row that is "
					    "not an id and a path"
					  : "has a context row that "
					    "is not an id and a name");
			break;
		}
		/* coverage.py 7.17 turns backslashes into slashes: only
		 * the caller's mapping knows. */
		if (files && !in->mapped && memchr(text, '\\', len) != NULL) {
			s = combine_read_fallback(
				in, "has a path with a backslash");
			break;
		}
		if (idmap_set(files ? &in->fileid : &in->ctxid,
			      sqlite3_column_int64(st, 0), (uint32_t)*n) < 0) {
			s = combine_read_fallback(
				in, "has an id out of range, or twice");
			break;
		}
		HASHTAB_ROOM(*v, *n, *cap);
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
			: HASHTAB_NONE;
	*ctx = sqlite3_value_type(b) == SQLITE_INTEGER
		       ? idmap_get(&in->ctxid, sqlite3_value_int64(b))
		       : HASHTAB_NONE;
	if (*file != HASHTAB_NONE && *ctx != HASHTAB_NONE)
		return true;
	in->s = combine_read_fallback(
		in, "has a row that names no file or context");
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
			in->s = combine_read_fallback(
				in, "has numbits that are not a blob");
			break;
		}
		HASHTAB_ROOM(in->bits, in->nbits, in->bitscap);
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

	if (file == HASHTAB_NONE || ctx == HASHTAB_NONE) {
		in->s = combine_read_fallback(
			in, "has a row that names no file or context");
		return -1;
	}
	HASHTAB_ROOM(in->arcs, in->narcs, in->arccap);
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
		in->s = combine_read_fallback(in,
					      "has an arc that is not two line "
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
			       : HASHTAB_NONE;
		text = (const char *)sqlite3_column_text(st, 1);
		if (file == HASHTAB_NONE ||
		    sqlite3_column_type(st, 1) != SQLITE_TEXT || text == NULL ||
		    text[0] == '\0') {
			s = combine_read_fallback(
				in, "has a tracer row that is not a "
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

/* Every table of the open input, in->s saying how it went. */
static void
read_all(struct input *in)
{
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
}

void
combine_read_input(struct input *in)
{
	if ((in->s = in_open(in)) == COMBINE_OK)
		read_all(in);
	sqlite3_close(in->db);
	in->db = NULL;
}

void
combine_read_db(struct input *in, sqlite3 *db)
{
	in->db = db;
	in->pages = false;
	read_all(in);
	in->db = NULL;
}

size_t
combine_read_bytes(const struct input *in)
{
	size_t i, n = sizeof(*in) + in->narcs * sizeof(*in->arcs) +
		      in->nbits * sizeof(*in->bits) +
		      (in->fileid.n + in->ctxid.n) * sizeof(uint32_t) +
		      in->nfiles * (sizeof(*in->files) + sizeof(char *)) +
		      in->nctxs * sizeof(*in->ctxs);

	for (i = 0; i < in->nbits; i++)
		n += in->bits[i].len;
	for (i = 0; i < in->nfiles; i++)
		n += in->files[i].len + 1 +
		     (in->tracer && in->tracer[i] ? strlen(in->tracer[i]) : 0);
	for (i = 0; i < in->nctxs; i++)
		n += in->ctxs[i].len + 1;
	return n;
}

void
combine_read_take(struct input *in, struct input *got)
{
	const char *path = in->path;
	bool pages = in->pages;
	struct input old = *in;

	*in = *got;
	in->path = path;
	in->pages = pages;
	*got = old;
	combine_read_free(got);
	free(got);
}

void
combine_read_files(struct input *in)
{
	if ((in->s = in_open(in)) == COMBINE_OK)
		in->s = read_names(in, true);
	sqlite3_close(in->db);
	in->db = NULL;
}

void
combine_read_clear(struct input *in)
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

void
combine_read_free(struct input *in)
{
	combine_read_clear(in);
	free(in->files);
	free(in->ctxs);
	free(in->bits);
	free(in->arcs);
	free(in->fileid.to);
	free(in->ctxid.to);
}
