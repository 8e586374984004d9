/* check.c: is this file a complete coverage.py database?
 *
 * The order of the tests follows the order in which a file can be wrong:
 * not a regular file, empty, not SQLite at all (or coverage.py's old JSON),
 * damaged pages (PRAGMA quick_check), then coverage.py's own structure:
 * the schema version, every table coverage.py creates, the meta rows
 * (version, and has_arcs, which coverage.py writes in its own transaction
 * after the schema), and rows that refer to files and contexts that exist.
 * SQLite opens the file read-only, with SQLITE_OPEN_NOFOLLOW, through its
 * canonical path, so the file checked is the file that was stat'ed. */
#include "check.h"
#include "names.h"
#include "pool.h"
#include "sqlfile.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *const verdict_names[V_COUNT] = {
	[V_OK] = "ok",
	[V_EMPTY] = "empty",
	[V_NOT_SQLITE] = "not-sqlite",
	[V_CORRUPT] = "corrupt",
	[V_INCOMPLETE] = "incomplete",
	[V_LEGACY_JSON] = "legacy-json",
	[V_UNSUPPORTED_SCHEMA] = "unsupported-schema",
	[V_BUSY] = "busy",
	[V_SYMLINK] = "symlink",
	[V_NOT_REGULAR] = "not-regular",
	[V_UNREADABLE] = "unreadable",
	[V_MISSING] = "missing",
};

/* Tables coverage.py's schema 7 creates, all of which a complete file has. */
static const char *const coverage_tables[] = {
	"coverage_schema", "meta", "file",   "context",
	"line_bits",	   "arc",  "tracer",
};

#define NTABLES (sizeof(coverage_tables) / sizeof(coverage_tables[0]))

/* The columns coverage.py reads of each table (by name, so in any order),
 * NULL-terminated; the native combine reads arc's pages only when they
 * are declared in this order (combine.c). */
static const char *const coverage_columns[NTABLES][5] = {
	{ "version", NULL },
	{ "key", "value", NULL },
	{ "id", "path", NULL },
	{ "id", "context", NULL },
	{ "file_id", "context_id", "numbits", NULL },
	{ "file_id", "context_id", "fromno", "tono", NULL },
	{ "file_id", "tracer", NULL },
};

/* Why an incomplete file may yet become whole. */
#define CUT_SHORT "(still being written, or cut short)"

static const char wal_beside[] =
	"WAL mode, with a write-ahead log beside it " CUT_SHORT;

static const char legacy_magic[] = "!coverage.py: This is a private format";

const char *
verdict_name(enum verdict v)
{
	return (v >= 0 && v < V_COUNT) ? verdict_names[v] : "unknown";
}

static enum verdict set(struct check_result *r, enum verdict v, const char *f,
			...) __attribute__((format(printf, 3, 4)));

static enum verdict
set(struct check_result *r, enum verdict v, const char *f, ...)
{
	va_list ap;

	r->verdict = v;
	char *p;

	va_start(ap, f);
	vsnprintf(r->reason, sizeof(r->reason), f, ap);
	va_end(ap);
	/* One line: SQLite's reports span several. */
	for (p = r->reason; *p; p++)
		if ((unsigned char)*p < ' ')
			*p = ' ';
	return v;
}

/* Verdict for an SQLite error code met while reading. */
static enum verdict
sqlite_failure(struct check_result *r, sqlite3 *db, int rc, const char *what)
{
	const char *msg = db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);

	switch (rc & 0xff) {
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return set(r, V_BUSY, "locked by a writer (%s)", msg);
	case SQLITE_NOTADB:
		return set(r, V_NOT_SQLITE, "%s", msg);
	case SQLITE_CORRUPT:
	case SQLITE_FORMAT:
	case SQLITE_RANGE:
		return set(r, V_CORRUPT, "%s", msg);
	case SQLITE_READONLY:
		/* SQLITE_READONLY_ROLLBACK: a hot journal waits for a
		 * rollback that only a writer may make. */
		return set(r, V_INCOMPLETE, "a transaction was cut short (%s)",
			   msg);
	case SQLITE_IOERR:
		if (rc == SQLITE_IOERR_SHORT_READ)
			return set(r, V_CORRUPT, "file is truncated (%s)", msg);
		return set(r, V_UNREADABLE, "I/O error %s (%s)", what, msg);
	case SQLITE_CANTOPEN:
	case SQLITE_PERM:
	case SQLITE_AUTH:
		return set(r, V_UNREADABLE, "cannot open (%s)", msg);
	default:
		return set(r, V_CORRUPT, "%s: %s", what, msg);
	}
}

/* The statements of check_structure(), one per stage, each yielding one
 * row. A NULL schema version reads as 0 (unsupported), no row as -1. */
static const char sql_schema_version[] =
	"select coalesce(version, 0) from coverage_schema";

static const char sql_meta[] =
	"select exists(select 1 from meta where key = 'version'),"
	" exists(select 1 from meta where key = 'has_arcs'),"
	" (select coalesce(cast(value as integer), 0) from meta"
	" where key = 'has_arcs')";

static const char sql_orphans[] =
	"select exists(select 1 from line_bits"
	" where file_id not in (select id from file)),"
	" exists(select 1 from arc"
	" where file_id not in (select id from file)),"
	" exists(select 1 from line_bits"
	" where context_id not in (select id from context)),"
	" exists(select 1 from arc"
	" where context_id not in (select id from context))";

static const char sql_counts[] =
	"select (select count(*) from line_bits), (select count(*) from arc),"
	" (select count(*) from file), (select count(*) from context)";

/* For a file with no has_arcs: 1 unless it is what coverage.py's combine
 * writes from inputs that measured nothing: not one row, and in meta no
 * sys_argv (7.x writes one only for a writer's own suffix) or one of a
 * combine (6.x writes the command line; the native combine says
 * --combine). */
static const char sql_not_combined[] =
	"select exists(select 1 from file) or exists(select 1 from context)"
	" or exists(select 1 from line_bits) or exists(select 1 from arc)"
	" or exists(select 1 from tracer)"
	" or exists(select 1 from meta where key = 'sys_argv'"
	" and instr(value, 'combine') = 0)";

/* What sql_meta reads. */
struct meta_rows {
	long version;	   /* 1 when the version row is there */
	long has_arcs_row; /* 1 when the has_arcs row is there */
	long has_arcs;	   /* its value: nonzero for branch coverage */
};

/* What sql_orphans reads: 1 where some row refers to a missing one. */
struct orphans {
	long line_file, arc_file, line_context, arc_context;
};

/* What sql_counts reads. */
struct row_counts {
	long line_bits, arcs, files, contexts;
};

/* Run sql, which yields one row of n integers, into *out[0] to
 * *out[n - 1] (NULL is -1); with no row, every one is -1. */
static int
query_ints(sqlite3 *db, const char *sql, long *const out[], int n)
{
	sqlite3_stmt *st;
	int rc, i;

	rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);
	if (rc != SQLITE_OK)
		return rc;
	rc = sqlite3_step(st);
	for (i = 0; i < n; i++)
		*out[i] = rc == SQLITE_ROW && sqlite3_column_type(st, i) !=
						      SQLITE_NULL
				  ? (long)sqlite3_column_int64(st, i)
				  : -1;
	if (rc == SQLITE_ROW || rc == SQLITE_DONE)
		rc = SQLITE_OK;
	sqlite3_finalize(st);
	return rc;
}

/* Stage 1: which of coverage.py's tables are there, into have[], from the
 * schema SQLite has parsed already, with no statement to compile. V_OK
 * when coverage_schema is. */
static enum verdict
stage_tables(sqlite3 *db, struct check_result *r, bool have[NTABLES])
{
	size_t i;
	int rc;

	for (i = 0; i < NTABLES; i++) {
		rc = sqlite3_table_column_metadata(
			db, "main", coverage_tables[i], NULL, NULL, NULL, NULL,
			NULL, NULL);
		if (rc != SQLITE_OK && rc != SQLITE_ERROR)
			return sqlite_failure(r, db, rc, "reading the schema");
		have[i] = rc == SQLITE_OK;
	}
	if (!have[0])
		return set(r, V_INCOMPLETE,
			   "no coverage_schema table "
			   "(still being written, or not a coverage.py file)");
	return V_OK;
}

/* Every column coverage.py reads, in each of its tables (all there): a
 * table is made whole by one statement, so a missing column is no file
 * coverage.py wrote. */
static enum verdict
stage_columns(sqlite3 *db, struct check_result *r)
{
	const char *const *col;
	size_t i;
	int rc;

	for (i = 0; i < NTABLES; i++)
		for (col = coverage_columns[i]; *col != NULL; col++) {
			rc = sqlite3_table_column_metadata(
				db, "main", coverage_tables[i], *col, NULL,
				NULL, NULL, NULL, NULL);
			if (rc == SQLITE_ERROR)
				return set(r, V_CORRUPT,
					   "the %s table has no %s column",
					   coverage_tables[i], *col);
			if (rc != SQLITE_OK)
				return sqlite_failure(r, db, rc,
						      "reading the schema");
		}
	return V_OK;
}

/* Stage 2: the schema version coverage.py wrote, then every other table
 * of that schema, with its columns. */
static enum verdict
stage_version(sqlite3 *db, struct check_result *r, const bool have[NTABLES])
{
	long version = -1;
	size_t i;
	int rc;

	rc = query_ints(db, sql_schema_version, (long *const[]){ &version }, 1);
	if (rc != SQLITE_OK)
		return sqlite_failure(r, db, rc, "reading coverage_schema");
	if (version < 0)
		return set(r, V_INCOMPLETE,
			   "coverage_schema has no version " CUT_SHORT);
	if (version != COVERAGE_SCHEMA_VERSION)
		return set(r, V_UNSUPPORTED_SCHEMA,
			   "schema version %ld; covsettle reads version %d "
			   "(coverage.py 5.4 and later)",
			   version, COVERAGE_SCHEMA_VERSION);
	for (i = 1; i < NTABLES; i++)
		if (!have[i])
			return set(r, V_INCOMPLETE, "no %s table " CUT_SHORT,
				   coverage_tables[i]);
	return stage_columns(db, r);
}

/* Stage 3: the meta rows, into m; has_arcs is written in a transaction
 * of its own after the schema.
 *
 * No has_arcs row: a writer writes it with its first measurement (even of
 * nothing: 0 measured files still says has_arcs), so under a parallel
 * data file's name (.coverage.SUFFIX, what gather collects) the file was
 * cut short, or is still being written. coverage.py's combine writes it
 * only when some input had a measurement: its own combined file (any
 * other name) with no has_arcs, not one row and the meta of a combine
 * (sql_not_combined) is a combine of files that measured nothing, V_OK
 * with no data (r->nodata). The rows of the two are the same: the name
 * and the meta tell. */
static enum verdict
stage_meta(sqlite3 *db, struct check_result *r, struct meta_rows *m,
	   bool parallel)
{
	long any = -1;
	int rc;

	rc = query_ints(
		db, sql_meta,
		(long *const[]){ &m->version, &m->has_arcs_row, &m->has_arcs },
		3);
	if (rc != SQLITE_OK)
		return sqlite_failure(r, db, rc, "reading meta");
	if (m->version == 0)
		return set(r, V_INCOMPLETE, "no version in meta " CUT_SHORT);
	if (m->has_arcs_row != 0)
		return V_OK;
	if (!parallel) {
		rc = query_ints(db, sql_not_combined, (long *const[]){ &any },
				1);
		if (rc != SQLITE_OK)
			return sqlite_failure(r, db, rc, "reading rows");
	}
	if (any != 0)
		return set(r, V_INCOMPLETE,
			   "no has_arcs in meta: "
			   "no measurement written yet " CUT_SHORT);
	r->nodata = true;
	return set(r, V_OK,
		   "no data: 0 measured files (a combine of data files that "
		   "measured nothing)");
}

/* Stage 4: rows that refer to files and contexts that do not exist. */
static enum verdict
stage_orphans(sqlite3 *db, struct check_result *r)
{
	struct orphans o = { 0 };
	const struct {
		const long *found;
		const char *says;
	} orphan[] = {
		{ &o.line_file, "a line_bits row refers to a file "
				"that is not in the file table" },
		{ &o.arc_file,
		  "an arc row refers to a file that is not in the file table" },
		{ &o.line_context,
		  "a line_bits row refers to a missing context" },
		{ &o.arc_context, "an arc row refers to a missing context" },
	};
	size_t i;
	int rc;

	rc = query_ints(db, sql_orphans,
			(long *const[]){ &o.line_file, &o.arc_file,
					 &o.line_context, &o.arc_context },
			4);
	if (rc != SQLITE_OK)
		return sqlite_failure(r, db, rc, "reading rows");
	for (i = 0; i < sizeof(orphan) / sizeof(orphan[0]); i++)
		if (*orphan[i].found > 0)
			return set(r, V_CORRUPT, "%s", orphan[i].says);
	return V_OK;
}

/* Stage 5: the rows measured, which must agree with has_arcs; the
 * verdict ok says how many files, and what was measured. */
static enum verdict
stage_counts(sqlite3 *db, struct check_result *r, const struct meta_rows *m)
{
	struct row_counts n = { 0 };
	int rc;

	rc = query_ints(
		db, sql_counts,
		(long *const[]){ &n.line_bits, &n.arcs, &n.files, &n.contexts },
		4);
	if (rc != SQLITE_OK)
		return sqlite_failure(r, db, rc, "reading rows");
	r->nfiles = n.files;
	if (m->has_arcs != 0 && n.line_bits > 0)
		return set(r, V_CORRUPT,
			   "has_arcs is 1 but line_bits has rows: "
			   "lines and branches mixed");
	if (m->has_arcs == 0 && n.arcs > 0)
		return set(r, V_CORRUPT,
			   "has_arcs is 0 but arc has rows: "
			   "lines and branches mixed");
	r->arcs = m->has_arcs != 0;
	r->rows = n.line_bits > 0 || n.arcs > 0;
	if (n.contexts > 1)
		return set(r, V_OK, "%ld measured file%s, %s, %ld contexts",
			   r->nfiles, r->nfiles == 1 ? "" : "s",
			   r->arcs ? "branches" : "lines", n.contexts);
	return set(r, V_OK, "%ld measured file%s, %s", r->nfiles,
		   r->nfiles == 1 ? "" : "s", r->arcs ? "branches" : "lines");
}

/* The coverage.py structure of an SQLite file that passed quick_check,
 * in five stages, each V_OK to go on: few statements (preparing them is
 * most of the cost), same verdicts. */
static enum verdict
check_structure(sqlite3 *db, struct check_result *r, bool parallel)
{
	bool have[NTABLES] = { false };
	struct meta_rows m = { 0 };
	enum verdict v;

	if ((v = stage_tables(db, r, have)) != V_OK ||
	    (v = stage_version(db, r, have)) != V_OK ||
	    (v = stage_meta(db, r, &m, parallel)) != V_OK || r->nodata ||
	    (v = stage_orphans(db, r)) != V_OK)
		return v;
	return stage_counts(db, r, &m);
}

/* SQLite's view of the file at path: quick_check, then the structure.
 * immutable: a WAL-mode file with no log beside it, opened so that SQLite
 * creates no -wal or -shm file next to it (a read-only connection
 * otherwise does). parallel: the file has a parallel data file's name.
 * rd, when the structure passed: the caller's reading, in the same
 * transaction (stat_ns: check_reader). */
static enum verdict
check_sqlite(const char *path, bool immutable, bool parallel,
	     struct check_result *r, const struct check_reader *rd,
	     int64_t stat_ns)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	char *uri = immutable ? immutable_uri(path) : NULL;
	const char *msg;
	int rc;

	(void)sqlite_setup();
	rc = sqlite3_open_v2(uri ? uri : path, &db,
			     SQLITE_OPEN_READONLY | SQLITE_OPEN_NOFOLLOW |
				     SQLITE_OPEN_NOMUTEX |
				     (uri ? SQLITE_OPEN_URI : 0),
			     NULL);
	free(uri);
	if (rc != SQLITE_OK) {
		sqlite_failure(r, db, rc, "opening");
		goto out;
	}
	/* One read transaction for every statement: SQLite then takes its
	 * shared lock, and looks for a hot journal and a WAL file, once per
	 * file instead of once per statement. schema_version, which needs no
	 * schema, opens it: else the first statement's schema is read under
	 * a lock of its own, taken and let go before the transaction's. */
	rc = sqlite3_exec(db, "begin; pragma schema_version", NULL, NULL, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_prepare_v2(db, "pragma quick_check(1)", -1, &st,
					NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(st);
	if (rc != SQLITE_ROW) {
		sqlite_failure(r, db, rc, "running quick_check");
		goto out;
	}
	msg = (const char *)sqlite3_column_text(st, 0);
	if (msg == NULL || strcmp(msg, "ok") != 0) {
		if (msg != NULL &&
		    strncmp(msg, "*** in database main ***", 24) == 0)
			msg += 25;
		set(r, V_CORRUPT, "quick_check: %s", msg ? msg : "no answer");
		goto out;
	}
	sqlite3_finalize(st);
	st = NULL;
	check_structure(db, r, parallel);
	if (r->verdict == V_OK && rd != NULL)
		rd->read(rd->ctx, db, r, stat_ns);
out:
	sqlite3_finalize(st);
	sqlite3_close(db);
	return r->verdict;
}

/* Is name a parallel data file's, one a writer saves (.coverage.SUFFIX,
 * or any name with a writer's fields), rather than a combined file's? */
static bool
parallel_name(const char *name)
{
	struct name_fields nf;

	return strncmp(name, ".coverage.", 10) == 0 || name_parse(name, &nf);
}

/* Describe a non-regular file type for the reason text. */
static const char *
kind_of(mode_t m)
{
	if (S_ISDIR(m))
		return "a directory";
	if (S_ISFIFO(m))
		return "a fifo";
	if (S_ISSOCK(m))
		return "a socket";
	if (S_ISCHR(m) || S_ISBLK(m))
		return "a device";
	return "not a regular file";
}

/* name is a symlink: follow it only when its target is a regular file in
 * the same directory; then *target gets the target's name (malloc'd). */
static enum verdict
resolve_link(int dirfd, const char *realdir, const char *name, char **target,
	     struct check_result *r)
{
	char link[PATH_MAX], full[PATH_MAX], *real, *slash;
	ssize_t n;
	size_t dl = strlen(realdir);

	n = readlinkat(dirfd, name, link, sizeof(link) - 1);
	if (n < 0)
		return set(r, V_UNREADABLE, "cannot read symlink: %s",
			   strerror(errno));
	link[n] = '\0';
	if (fmt(full, sizeof(full), "%s/%s", realdir, name) < 0)
		return set(r, V_UNREADABLE, "path too long");
	real = realpath(full, NULL);
	if (real == NULL)
		return set(r, V_SYMLINK,
			   "symlink to %s, which %s; not followed", link,
			   errno == ENOENT ? "does not exist"
					   : strerror(errno));
	slash = strrchr(real, '/');
	if (slash == NULL || (size_t)(slash - real) != dl ||
	    strncmp(real, realdir, dl) != 0) {
		set(r, V_SYMLINK,
		    "symlink to %s, outside the directory; not followed", link);
		free(real);
		return V_SYMLINK;
	}
	*target = xstrdup(slash + 1);
	free(real);
	return V_OK;
}

enum verdict
check_file(int dirfd, const char *realdir, const char *name,
	   struct check_result *r)
{
	return check_file_read(dirfd, realdir, name, r, NULL);
}

enum verdict
check_file_read(int dirfd, const char *realdir, const char *name,
		struct check_result *r, const struct check_reader *rd)
{
	char head[sizeof(legacy_magic)], path[PATH_MAX], *target = NULL;
	char side[NAME_MAX + 1];
	const char *given = name;
	int64_t stat_ns = rd != NULL ? clock_file_ns() : 0;
	bool wal;
	struct stat st;
	ssize_t n;
	int fd = -1;

	memset(r, 0, sizeof(*r));
	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
		if (errno == ENOENT)
			return set(r, V_MISSING, "no such file");
		return set(r, V_UNREADABLE, "%s", strerror(errno));
	}
	if (S_ISLNK(st.st_mode)) {
		if (resolve_link(dirfd, realdir, name, &target, r) != V_OK ||
		    target == NULL)
			return r->verdict;
		name = target;
		if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
			set(r, errno == ENOENT ? V_MISSING : V_UNREADABLE,
			    "symlink target %s: %s", name, strerror(errno));
			goto out;
		}
		if (S_ISLNK(st.st_mode)) {
			set(r, V_SYMLINK,
			    "symlink to another symlink (%s); not followed",
			    name);
			goto out;
		}
	}
	if (!S_ISREG(st.st_mode)) {
		set(r, V_NOT_REGULAR, "%s, not a data file",
		    kind_of(st.st_mode));
		goto out;
	}
	/* O_NONBLOCK: a fifo swapped in since the stat never blocks us. */
	fd = openat(dirfd, name,
		    O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		set(r, errno == ENOENT ? V_MISSING : V_UNREADABLE, "%s",
		    strerror(errno));
		goto out;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		set(r, V_NOT_REGULAR, "not a regular file");
		goto out;
	}
	r->size = st.st_size;
	r->dev = st.st_dev;
	r->ino = st.st_ino;
	r->mtime = st.st_mtim;
	if (st.st_size == 0) {
		set(r, V_EMPTY,
		    "0 bytes (the writer has not written yet, or was killed)");
		goto out;
	}
	n = pread(fd, head, sizeof(head) - 1, 0);
	if (n < 0) {
		set(r, V_UNREADABLE, "read: %s", strerror(errno));
		goto out;
	}
	if ((size_t)n >= sizeof(SQLFILE_MAGIC) &&
	    memcmp(head, SQLFILE_MAGIC, sizeof(SQLFILE_MAGIC)) == 0) {
		if (fmt(path, sizeof(path), "%s/%s", realdir, name) < 0) {
			set(r, V_UNREADABLE, "path too long");
			goto out;
		}
		/* Header bytes 18 and 19 are 2 in WAL mode. Its log, when not
		 * empty, holds commits not yet in the file. */
		wal = (size_t)n > 19 && (head[18] == 2 || head[19] == 2);
		if (wal && fmt(side, sizeof(side), "%s-wal", name) == 0 &&
		    fstatat(dirfd, side, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
		    st.st_size > 0)
			set(r, V_INCOMPLETE, "%s", wal_beside);
		else
			check_sqlite(path, wal, parallel_name(given), r, rd,
				     stat_ns);
	} else if ((size_t)n == sizeof(legacy_magic) - 1 &&
		   memcmp(head, legacy_magic, (size_t)n) == 0) {
		set(r, V_LEGACY_JSON,
		    "coverage.py < 5 JSON data; "
		    "covsettle reads SQLite data (coverage.py 5 and later)");
	} else {
		set(r, V_NOT_SQLITE, "no SQLite header (%lld bytes)",
		    (long long)st.st_size);
	}
	/* A complete database under a name that coverage.py has not yet
	 * renamed: its save is still under way, or was cut short. */
	if (r->verdict == V_OK && name_unfinished(given))
		set(r, V_INCOMPLETE, "%s", CHECK_UNFINISHED);
out:
	if (fd >= 0)
		close(fd);
	free(target);
	return r->verdict;
}

int
check_threads(size_t n)
{
	int threads = pool_threads(n);

	return threads > 1 && sqlite_setup() ? threads : 1;
}
