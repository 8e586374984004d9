/* combine_write.c: the native combine's output, written.
 *
 * The union (struct acc, built by combine.c) is written at the end, in one
 * transaction with the journal and syncs off, into a temporary file beside
 * the target with the combining coverage.py's SCHEMA script (or the
 * built-in one of 7.17.5) and its meta rows, then synced and renamed over
 * the target only when complete: there is never a partial file under the
 * target's name. Ids are the union's indexes + 1, rows in index order, so
 * that the output's unique indexes grow at their end. */
#include "combine_write.h"
#include "covschema.h"
#include "pool.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sqlite3.h>
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

/* Writing the output. */
static const char SQL_PRAGMAS[] =
	"PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF; "
	"PRAGMA locking_mode = EXCLUSIVE";
static const char SQL_PUT_SCHEMA_VERSION[] =
	"INSERT INTO coverage_schema (version) VALUES (" COVERAGE_SCHEMA_TEXT
	")";
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

enum combine_status
combine_write(const struct combine_opts *o, struct acc *a, char *err)
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
