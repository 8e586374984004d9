/* fuzz_sqlfile.c: libFuzzer harness for sqlfile_rows(), the native
 * combine's reader of SQLite pages, against SQLite itself. The input is
 * the whole contents of a database file (a memfd).
 *
 * Crashes: every root page from 2 to 6 is read as a table of 4 columns. It
 * must never crash, hang or leak, whatever the pages say: a row has its 4
 * values, and there are never more rows than the file has room for (a
 * cell takes at least 4 bytes of a page).
 *
 * Differential: when SQLite finds the file sound (quick_check, as the
 * check of every input of the native combine does), every table it
 * declares with 4 stored columns is read both ways (SQLite from the same
 * bytes, deserialized). Whenever the reader
 * says SQLFILE_OK, its rows are SQLite's: the same number, in the same
 * order, each value the integer SQLite returns for that column (a
 * whole-number REAL counts as its integer, as the combine reads it). */
#include "sqlfile.h"

#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define NCOLS 4

/* The rows the reader passed, flattened. */
struct rows {
	int64_t *v;
	size_t n, cap; /* values */
	size_t max;    /* rows allowed */
};

static int
row(void *arg, const int64_t *v)
{
	struct rows *r = arg;

	if (r->n / NCOLS + 1 > r->max)
		abort();
	if (r->v == NULL) {
		r->n += NCOLS; /* counting only */
		return 0;
	}
	if (r->n + NCOLS > r->cap) {
		r->cap = r->cap ? 2 * r->cap : 64;
		r->v = realloc(r->v, r->cap * sizeof(*r->v));
		if (r->v == NULL)
			abort();
	}
	memcpy(r->v + r->n, v, NCOLS * sizeof(*v));
	r->n += NCOLS;
	return 0;
}

/* Does SQLite find the database sound? */
static int
sound(sqlite3 *db)
{
	sqlite3_stmt *st = NULL;
	const unsigned char *msg;
	int ok = 0;

	if (sqlite3_prepare_v2(db, "PRAGMA quick_check(1)", -1, &st, NULL) ==
		    SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW) {
		msg = sqlite3_column_text(st, 0);
		ok = msg != NULL && strcmp((const char *)msg, "ok") == 0;
	}
	sqlite3_finalize(st);
	return ok;
}

/* The value SQLite gives for column k of the row at st as the integer the
 * combine takes, or 0 when it is none. */
static int
sqlite_integer(sqlite3_stmt *st, int k, int64_t *v)
{
	double d;

	switch (sqlite3_column_type(st, k)) {
	case SQLITE_INTEGER:
		*v = sqlite3_column_int64(st, k);
		return 1;
	case SQLITE_FLOAT:
		d = sqlite3_column_double(st, k);
		*v = sqlite3_column_int64(st, k);
		return (double)*v == d;
	default:
		return 0;
	}
}

/* Table name, rooted at root: the reader's rows against SQLite's. */
static void
compare(sqlite3 *db, int fd, const char *name, uint32_t root, size_t max)
{
	struct rows r = { .max = max };
	sqlite3_stmt *st = NULL;
	char *sql;
	size_t i = 0;
	int64_t v;
	int rc, k;

	r.v = malloc(64 * sizeof(*r.v));
	r.cap = r.v ? 64 : 0;
	if (r.v == NULL || sqlfile_rows(fd, root, NCOLS, row, &r) != SQLFILE_OK)
		goto out;
	sql = sqlite3_mprintf("SELECT * FROM main.\"%w\"", name);
	rc = sql ? sqlite3_prepare_v2(db, sql, -1, &st, NULL) : SQLITE_NOMEM;
	sqlite3_free(sql);
	if (rc != SQLITE_OK || sqlite3_column_count(st) != NCOLS)
		goto out;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (i >= r.n)
			goto out_or_abort;
		for (k = 0; k < NCOLS; k++, i++)
			if (!sqlite_integer(st, k, &v) || v != r.v[i])
				goto out_or_abort;
	}
	/* SQLite met damage quick_check did not: no verdict either way. */
	if (rc != SQLITE_DONE)
		goto out;
	if (i != r.n)
		abort(); /* the reader found rows SQLite does not have */
	goto out;
out_or_abort:
	/* A difference, unless SQLite gives up on this table further on. */
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		;
	if (rc == SQLITE_DONE)
		abort();
out:
	sqlite3_finalize(st);
	free(r.v);
}

/* Every table of the database (data, size bytes, also open at fd)
 * declared with NCOLS stored columns, read both ways; SQLite reads the
 * bytes as they are, deserialized read-only. */
static void
differential(const uint8_t *data, size_t size, int fd, size_t max)
{
	static const char tables[] =
		"SELECT s.name, s.rootpage FROM sqlite_master AS s"
		" WHERE s.type = 'table' AND s.rootpage > 1 AND"
		" (SELECT count(*) FROM pragma_table_xinfo(s.name)) = 4 AND"
		" NOT EXISTS (SELECT 1 FROM pragma_table_xinfo(s.name)"
		" WHERE hidden <> 0)";
	sqlite3_stmt *st = NULL;
	sqlite3 *db = NULL;
	unsigned char *copy;

	/* A copy of its own, freed with the connection (or by a failed
	 * deserialize): SQLite's deserialize takes a writable buffer. */
	if (size == 0 || sqlite3_open_v2(":memory:", &db, SQLITE_OPEN_READWRITE,
					 NULL) != SQLITE_OK) {
		sqlite3_close(db);
		return;
	}
	if ((copy = sqlite3_malloc64(size)) != NULL)
		memcpy(copy, data, size);
	if (copy == NULL ||
	    sqlite3_deserialize(
		    db, "main", copy, (sqlite3_int64)size, (sqlite3_int64)size,
		    SQLITE_DESERIALIZE_READONLY |
			    SQLITE_DESERIALIZE_FREEONCLOSE) != SQLITE_OK) {
		sqlite3_close(db);
		return;
	}
	if (sound(db) &&
	    sqlite3_prepare_v2(db, tables, -1, &st, NULL) == SQLITE_OK)
		while (sqlite3_step(st) == SQLITE_ROW)
			if (sqlite3_column_type(st, 1) == SQLITE_INTEGER &&
			    sqlite3_column_int64(st, 1) <= UINT32_MAX &&
			    sqlite3_column_text(st, 0) != NULL)
				compare(db, fd,
					(const char *)sqlite3_column_text(st,
									  0),
					(uint32_t)sqlite3_column_int64(st, 1),
					max);
	sqlite3_finalize(st);
	sqlite3_close(db);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rows count = { .max = size / 4 + 1 };
	enum sqlfile_status s;
	uint32_t root;
	int fd = memfd_create("fuzz_sqlfile", MFD_CLOEXEC);

	if (fd < 0 || (size > 0 && write(fd, data, size) != (ssize_t)size)) {
		perror("fuzz_sqlfile: memfd");
		abort();
	}
	for (root = 2; root <= 6; root++) {
		count.n = 0;
		s = sqlfile_rows(fd, root, NCOLS, row, &count);
		if (s != SQLFILE_OK && s != SQLFILE_OTHER)
			abort();
	}
	differential(data, size, fd, count.max);
	close(fd);
	return 0;
}
