/* test_sqlfile.c: unit tests of sqlfile.c against SQLite itself: the rows
 * read from the pages are the rows SQLite returns, in its order, for every
 * integer size, page size, reserved bytes and tree depth; everything
 * outside the simple case is SQLFILE_OTHER, never a wrong row. */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sqlfile.h"
#include "tempdir.h"

static struct tempdir scratch;
static char path[128];

static void
setup(void)
{
	tempdir_make(&scratch, "unit-sqlfile");
	snprintf(path, sizeof(path), "%s/db", scratch.path);
}

static void
teardown(void)
{
	tempdir_remove(&scratch);
}

/* Run sql on a new database at path; pagesize 0: SQLite's default. */
static void
make(int pagesize, int reserve, const char *sql)
{
	sqlite3 *db = NULL;
	char pragma[64];

	unlink(path);
	cr_assert_eq(sqlite3_open(path, &db), SQLITE_OK);
	if (pagesize) {
		snprintf(pragma, sizeof(pragma), "PRAGMA page_size = %d",
			 pagesize);
		cr_assert_eq(sqlite3_exec(db, pragma, NULL, NULL, NULL),
			     SQLITE_OK);
	}
	if (reserve)
		cr_assert_eq(sqlite3_file_control(db, "main",
						  SQLITE_FCNTL_RESERVE_BYTES,
						  &reserve),
			     SQLITE_OK);
	cr_assert_eq(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK, "%s",
		     sqlite3_errmsg(db));
	sqlite3_close(db);
}

/* The rows read, flattened. */
struct rows {
	int64_t *v;
	size_t n, cap;
	int ncols;
	size_t stop_after; /* 0: never */
};

static int
collect(void *arg, const int64_t *v)
{
	struct rows *r = arg;
	int k;

	if (r->n + (size_t)r->ncols > r->cap) {
		r->cap = r->cap ? 2 * r->cap : 1024;
		r->v = realloc(r->v, r->cap * sizeof(*r->v));
		cr_assert_not_null(r->v);
	}
	for (k = 0; k < r->ncols; k++)
		r->v[r->n++] = v[k];
	return r->stop_after && r->n / (size_t)r->ncols >= r->stop_after;
}

/* sqlfile_rows() on table t of path. */
static enum sqlfile_status
read_table(const char *table, int ncols, struct rows *r)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	char sql[128];
	long root = 0;
	enum sqlfile_status s;
	int fd;

	snprintf(sql, sizeof(sql),
		 "SELECT rootpage FROM sqlite_master WHERE name = '%s'", table);
	cr_assert_eq(sqlite3_open(path, &db), SQLITE_OK);
	cr_assert_eq(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
	if (sqlite3_step(st) == SQLITE_ROW)
		root = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	r->ncols = ncols;
	fd = open(path, O_RDONLY);
	cr_assert_geq(fd, 0);
	s = sqlfile_rows(fd, (uint32_t)root, ncols, collect, r);
	close(fd);
	return s;
}

/* SQLite's rows of table t, in rowid order, must be exactly r's. */
static void
same_as_sqlite(const char *table, const struct rows *r)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	char sql[128];
	size_t i = 0;
	int k;

	snprintf(sql, sizeof(sql), "SELECT * FROM %s ORDER BY rowid", table);
	cr_assert_eq(sqlite3_open(path, &db), SQLITE_OK);
	cr_assert_eq(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
	while (sqlite3_step(st) == SQLITE_ROW) {
		for (k = 0; k < r->ncols; k++, i++) {
			cr_assert_lt(i, r->n, "fewer rows read than SQLite's");
			cr_assert_eq(r->v[i], sqlite3_column_int64(st, k),
				     "row %zu column %d", i / r->ncols, k);
		}
	}
	sqlite3_finalize(st);
	sqlite3_close(db);
	cr_assert_eq(i, r->n, "more rows read than SQLite's");
}

/* Rows of every integer size and sign, the constants 0 and 1, on n rows. */
static void
table_of_ints(int pagesize, int reserve, int n)
{
	char sql[1024];

	snprintf(sql, sizeof(sql),
		 "CREATE TABLE t (a integer, b integer, c integer, d integer);"
		 "WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM "
		 "s WHERE i < %d) INSERT INTO t SELECT i %% 7, (i * 7919) %% "
		 "100003 - 50000, CASE i %% 6 WHEN 0 THEN 0 WHEN 1 THEN 1 WHEN "
		 "2 THEN -1 WHEN 3 THEN 9223372036854775807 WHEN 4 THEN "
		 "-9223372036854775807 - 1 ELSE i * 65537 END, -(i * i) FROM s;"
		 "DELETE FROM t WHERE a = 3",
		 n);
	make(pagesize, reserve, sql);
}

Test(sqlfile, rows_are_sqlites, .init = setup, .fini = teardown)
{
	static const struct {
		int pagesize, reserve, n;
	} cases[] = {
		{ 0, 0, 1 },	     { 0, 0, 100 },	  { 0, 0, 50000 },
		{ 512, 0, 20000 },   { 65536, 0, 50000 }, { 1024, 32, 20000 },
		{ 4096, 255, 5000 },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		struct rows r = { 0 };

		table_of_ints(cases[i].pagesize, cases[i].reserve, cases[i].n);
		cr_assert_eq(read_table("t", 4, &r), SQLFILE_OK,
			     "page size %d, reserve %d, %d rows",
			     cases[i].pagesize, cases[i].reserve, cases[i].n);
		same_as_sqlite("t", &r);
		free(r.v);
	}
}

Test(sqlfile, empty_table, .init = setup, .fini = teardown)
{
	struct rows r = { 0 };

	make(0, 0, "CREATE TABLE t (a, b)");
	cr_assert_eq(read_table("t", 2, &r), SQLFILE_OK);
	cr_expect_eq(r.n, 0);
}

Test(sqlfile, coverage_data_file, .init = setup, .fini = teardown)
{
	struct rows r = { 0 };

	tempdir_copy(&scratch, FIXTURES "/arcs", "db");
	cr_assert_eq(read_table("arc", 4, &r), SQLFILE_OK);
	cr_expect_gt(r.n, 0);
	same_as_sqlite("arc", &r);
	free(r.v);
}

Test(sqlfile, row_says_stop, .init = setup, .fini = teardown)
{
	struct rows r = { .stop_after = 10 };

	table_of_ints(0, 0, 1000);
	cr_assert_eq(read_table("t", 4, &r), SQLFILE_STOPPED);
	cr_expect_eq(r.n, 40);
	free(r.v);
}

/* What only SQLite reads: SQLFILE_OTHER, never a row made up. */
static const struct {
	const char *what, *sql;
	int ncols;
} others[] = {
	{ "a real",
	  "CREATE TABLE t (a integer, b); INSERT INTO t VALUES (1, 2.5)", 2 },
	{ "a null", "CREATE TABLE t (a, b); INSERT INTO t VALUES (1, NULL)",
	  2 },
	{ "a text", "CREATE TABLE t (a, b); INSERT INTO t VALUES (1, 'x')", 2 },
	{ "a blob", "CREATE TABLE t (a, b); INSERT INTO t VALUES (1, x'01')",
	  2 },
	{ "more columns than asked",
	  "CREATE TABLE t (a, b, c); INSERT INTO t VALUES (1, 2, 3)", 2 },
	{ "fewer columns in an old row",
	  "CREATE TABLE t (a, b); INSERT INTO t VALUES (1, 2);"
	  "ALTER TABLE t ADD COLUMN c; INSERT INTO t VALUES (3, 4, 5)",
	  3 },
	{ "a row on overflow pages",
	  "CREATE TABLE t (a, b); INSERT INTO t VALUES (1, zeroblob(9000))",
	  2 },
	{ "an index, not a table",
	  "CREATE TABLE u (a, b); CREATE INDEX t ON u (a);"
	  "INSERT INTO u VALUES (1, 2)",
	  2 },
};

Test(sqlfile, outside_the_simple_case, .init = setup, .fini = teardown)
{
	size_t i;

	for (i = 0; i < sizeof(others) / sizeof(*others); i++) {
		struct rows r = { 0 };

		make(0, 0, others[i].sql);
		cr_expect_eq(read_table("t", others[i].ncols, &r),
			     SQLFILE_OTHER, "%s", others[i].what);
		free(r.v);
	}
}

Test(sqlfile, bad_files_and_pages, .init = setup, .fini = teardown)
{
	struct rows r = { .ncols = 4 };
	int fd;

	table_of_ints(0, 0, 5000);
	fd = open(path, O_RDONLY);
	cr_assert_geq(fd, 0);
	/* page 1 is sqlite_master; past the end; no page */
	cr_expect_eq(sqlfile_rows(fd, 1, 4, collect, &r), SQLFILE_OTHER);
	cr_expect_eq(sqlfile_rows(fd, 100000, 4, collect, &r), SQLFILE_OTHER);
	cr_expect_eq(sqlfile_rows(fd, 0, 4, collect, &r), SQLFILE_OTHER);
	cr_expect_eq(sqlfile_rows(fd, 2, 0, collect, &r), SQLFILE_OTHER);
	close(fd);
	/* truncated: the tree (t's root is page 2) points past the end */
	cr_assert_eq(truncate(path, 8192), 0);
	free(r.v);
	r = (struct rows){ .ncols = 4 };
	fd = open(path, O_RDONLY);
	cr_expect_eq(sqlfile_rows(fd, 2, 4, collect, &r), SQLFILE_OTHER);
	close(fd);
	free(r.v);
	/* not an SQLite file */
	fd = open(path, O_WRONLY | O_TRUNC);
	cr_assert_eq(write(fd, "not sqlite", 10), 10);
	close(fd);
	fd = open(path, O_RDONLY);
	r = (struct rows){ .ncols = 4 };
	cr_expect_eq(sqlfile_rows(fd, 2, 4, collect, &r), SQLFILE_OTHER);
	close(fd);
	cr_expect_eq(r.n, 0);
}
