/* test_combine.c: unit tests of the native combine (combine*.c): the
 * numbits OR, which versions
 * write empty tracer rows, and the union of real fixtures, with the cases
 * left to coverage.py and the output that is never partial. */
#include <criterion/criterion.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "combine.h"
#include "combine_paths.h"
#include "tempdir.h"

/* ---- combine_numbits_or ---- */

Test(combine, numbits_or_longer_wins)
{
	static const unsigned char a[] = { 0x01, 0x80 };
	static const unsigned char b[] = { 0x02, 0x00, 0x00, 0x10 };
	unsigned char *d = NULL;
	size_t n = 0;

	combine_numbits_or(&d, &n, a, sizeof(a));
	cr_assert_eq(n, 2);
	combine_numbits_or(&d, &n, b, sizeof(b));
	cr_assert_eq(n, 4);
	cr_expect_eq(d[0], 0x03);
	cr_expect_eq(d[1], 0x80);
	cr_expect_eq(d[2], 0x00);
	cr_expect_eq(d[3], 0x10);
	/* a shorter input leaves the length alone */
	combine_numbits_or(&d, &n, a, 1);
	cr_expect_eq(n, 4);
	cr_expect_eq(d[0], 0x03);
	free(d);
}

Test(combine, numbits_or_empty)
{
	unsigned char *d = NULL;
	size_t n = 0;

	/* an empty numbits stays an empty (but present) one */
	combine_numbits_or(&d, &n, (const unsigned char *)"", 0);
	cr_expect_eq(n, 0);
	cr_expect_not_null(d);
	free(d);
}

Test(combine, numbits_or_is_coverage_numbits)
{
	/* line n is bit n % 8 of byte n / 8: lines 1, 9, 17 and 1, 2 */
	static const unsigned char a[] = { 0x02, 0x02, 0x02 };
	static const unsigned char b[] = { 0x06 };
	unsigned char *d = NULL;
	size_t n = 0;

	combine_numbits_or(&d, &n, b, sizeof(b));
	combine_numbits_or(&d, &n, a, sizeof(a));
	cr_assert_eq(n, 3);
	cr_expect_eq(d[0], 0x06);
	cr_expect_eq(d[1], 0x02);
	cr_expect_eq(d[2], 0x02);
	free(d);
}

/* ---- combine_empty_tracers: every version boundary ---- */

static const struct {
	const char *version;
	bool empty;
} versions[] = {
	{ "5.5", true },     { "6.5.0", true },	  { "7.3.2", true },
	{ "7.10.4", true },  { "7.10.5", false }, { "7.10.6", false },
	{ "7.11.0", false }, { "7.13.0", false }, { "7.17.5", false },
	{ "8.0", false },    { "", false },	  { NULL, false },
	{ "x", false },
};

Test(combine, empty_tracers_by_version)
{
	size_t i;

	for (i = 0; i < sizeof(versions) / sizeof(*versions); i++)
		cr_expect_eq(combine_empty_tracers(versions[i].version),
			     versions[i].empty, "%s",
			     versions[i].version ? versions[i].version
						 : "NULL");
}

/* ---- combine_run on real data files ---- */

static struct tempdir scratch;
static const char *dir = scratch.path;

static void
setup(void)
{
	tempdir_make(&scratch, "unit-combine");
}

static void
teardown(void)
{
	tempdir_remove(&scratch);
}

/* One integer answer of sql on the database at path. */
static long
query(const char *path, const char *sql)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	long v = -1;

	cr_assert_eq(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL),
		     SQLITE_OK);
	cr_assert_eq(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK,
		     "%s: %s", sql, sqlite3_errmsg(db));
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return v;
}

static enum combine_status
run(const char *const *inputs, size_t n, const char *out, char *err)
{
	static const struct combine_meta meta[] = { { "version", "7.17.5" } };
	struct combine_opts o = {
		.inputs = inputs,
		.ninputs = n,
		.output = out,
		.meta = meta,
		.nmeta = 1,
	};

	return combine_run(&o, err);
}

/* Nothing but the output (if any) in dir: no temporary file is left. */
static int
entries(void)
{
	return tempdir_entries(&scratch);
}

Test(combine, lines_twice_is_lines, .init = setup, .fini = teardown)
{
	const char *in[] = { FIXTURES "/lines", FIXTURES "/lines" };
	char out[128], err[ERRLEN] = "";

	snprintf(out, sizeof(out), "%s/out", dir);
	cr_assert_eq(run(in, 2, out, err), COMBINE_OK, "%s", err);
	cr_expect_eq(query(out, "select count(*) from file"),
		     query(FIXTURES "/lines", "select count(*) from file"));
	cr_expect_eq(
		query(out, "select count(*) from line_bits"),
		query(FIXTURES "/lines", "select count(*) from line_bits"));
	cr_expect_eq(query(out, "select value from meta where key='has_arcs'"),
		     0);
	cr_expect_eq(query(out, "select version from coverage_schema"), 7);
	cr_expect_eq(query(out, "select count(*) from meta"), 2);
	cr_expect_eq(entries(), 1);
}

Test(combine, arcs_and_empty_run, .init = setup, .fini = teardown)
{
	const char *in[] = { FIXTURES "/empty-run", FIXTURES "/arcs" };
	const char *rev[] = { FIXTURES "/arcs", FIXTURES "/empty-run" };
	char out[128], err[ERRLEN] = "";

	snprintf(out, sizeof(out), "%s/out", dir);
	/* empty-run says has_arcs 0 and has no rows, arcs says 1: coverage.py's
	 * answer depends on the order. An input without rows first sets no
	 * kind: the arcs that follow combine. */
	cr_assert_eq(run(in, 2, out, err), COMBINE_OK, "%s", err);
	cr_expect_eq(query(out, "select value from meta where key='has_arcs'"),
		     1);
	unlink(out);
	/* Branches first: an input that says lines fails, rows or none. */
	cr_assert_eq(run(rev, 2, out, err), COMBINE_FALLBACK);
	cr_expect(strstr(err, "empty-run") != NULL, "%s", err);
	cr_expect_eq(access(out, F_OK), -1);
	cr_expect_eq(entries(), 0);
}

Test(combine, arcs_union, .init = setup, .fini = teardown)
{
	const char *in[] = { FIXTURES "/arcs", FIXTURES "/arcs" };
	char out[128], err[ERRLEN] = "";

	snprintf(out, sizeof(out), "%s/out", dir);
	cr_assert_eq(run(in, 2, out, err), COMBINE_OK, "%s", err);
	cr_expect_eq(query(out, "select count(*) from arc"),
		     query(FIXTURES "/arcs", "select count(*) from arc"));
	cr_expect_eq(query(out, "select value from meta where key='has_arcs'"),
		     1);
}

Test(combine, empty_run_writes_no_has_arcs, .init = setup, .fini = teardown)
{
	const char *in[] = { FIXTURES "/empty-run" };
	char out[128], err[ERRLEN] = "";

	snprintf(out, sizeof(out), "%s/out", dir);
	cr_assert_eq(run(in, 1, out, err), COMBINE_OK, "%s", err);
	cr_expect_eq(query(out, "select count(*) from meta where "
				"key='has_arcs'"),
		     0);
	cr_expect_eq(query(out, "select count(*) from file"), 0);
}

Test(combine, other_schema_falls_back, .init = setup, .fini = teardown)
{
	const char *in[] = { FIXTURES "/lines", FIXTURES "/wrong-schema" };
	char out[128], err[ERRLEN] = "";

	snprintf(out, sizeof(out), "%s/out", dir);
	cr_assert_eq(run(in, 2, out, err), COMBINE_FALLBACK);
	cr_expect(strstr(err, "wrong-schema") != NULL, "%s", err);
	cr_expect_eq(entries(), 0);
}

Test(combine, dangling_row_falls_back, .init = setup, .fini = teardown)
{
	const char *in[] = { FIXTURES "/dangling-line" };
	char out[128], err[ERRLEN] = "";

	snprintf(out, sizeof(out), "%s/out", dir);
	cr_assert_eq(run(in, 1, out, err), COMBINE_FALLBACK);
	cr_expect(strstr(err, "no file or context") != NULL, "%s", err);
}

Test(combine, unreadable_input_is_an_error, .init = setup, .fini = teardown)
{
	const char *in[] = { FIXTURES "/lines", FIXTURES "/garbage" };
	char out[128], err[ERRLEN] = "";

	snprintf(out, sizeof(out), "%s/out", dir);
	cr_assert_eq(run(in, 2, out, err), COMBINE_ERROR);
	cr_expect(strstr(err, "garbage") != NULL, "%s", err);
	cr_expect_eq(entries(), 0);
}

static int
stop_now(void *arg)
{
	(void)arg;
	return 1;
}

Test(combine, interrupted_leaves_nothing, .init = setup, .fini = teardown)
{
	const char *in[] = { FIXTURES "/lines" };
	struct combine_opts o = { .inputs = in, .ninputs = 1 };
	char out[128], err[ERRLEN] = "";

	snprintf(out, sizeof(out), "%s/out", dir);
	o.output = out;
	o.interrupted = stop_now;
	cr_assert_eq(combine_run(&o, err), COMBINE_STOPPED);
	cr_expect_eq(entries(), 0);
}

Test(combine, no_inputs_is_an_error)
{
	struct combine_opts o = { .output = "/nonexistent/out" };
	char err[ERRLEN] = "";

	cr_expect_eq(combine_run(&o, err), COMBINE_ERROR);
	cr_expect(strstr(err, "no data files") != NULL, "%s", err);
}

Test(combine, unwritable_target_is_an_error)
{
	const char *in[] = { FIXTURES "/lines" };
	char err[ERRLEN] = "";

	cr_expect_eq(run(in, 1, "/nonexistent/dir/out", err), COMBINE_ERROR);
	cr_expect(strstr(err, "/nonexistent/dir") != NULL, "%s", err);
}

Test(combine, existing_target_replaced_whole, .init = setup, .fini = teardown)
{
	const char *in[] = { FIXTURES "/contexts" };
	char out[128], err[ERRLEN] = "";
	FILE *f;

	snprintf(out, sizeof(out), "%s/out", dir);
	f = fopen(out, "w");
	fputs("old", f);
	fclose(f);
	cr_assert_eq(run(in, 1, out, err), COMBINE_OK, "%s", err);
	cr_expect_eq(query(out, "select count(*) from context"), 3);
	cr_expect_eq(entries(), 1);
}

/* ---- many inputs, read on several threads ---- */

/* Copy the file at src to dst. */
static void
copy(const char *src, const char *dst)
{
	FILE *in = fopen(src, "rb"), *out = fopen(dst, "wb");
	char buf[8192];
	size_t n;

	cr_assert(in != NULL && out != NULL, "%s, %s", src, dst);
	while ((n = fread(buf, 1, sizeof(buf), in)) > 0)
		cr_assert_eq(fwrite(buf, 1, n, out), n);
	fclose(in);
	cr_assert_eq(fclose(out), 0);
}

/* dir/in.K: the arcs fixture with an arc of every third row moved and a
 * context of its own holding every other row, so that inputs differ. */
static void
variant(int k, char *path, size_t len)
{
	char sql[512];
	sqlite3 *db = NULL;

	snprintf(path, len, "%s/in.%d", dir, k);
	copy(FIXTURES "/arcs", path);
	snprintf(sql, sizeof(sql),
		 "UPDATE OR IGNORE arc SET tono = tono + %d WHERE rowid %% 3 = "
		 "0;"
		 "INSERT INTO context (context) VALUES ('test_%d');"
		 "INSERT INTO arc SELECT file_id, (SELECT max(id) FROM "
		 "context), fromno, tono FROM arc WHERE rowid %% 2 = 0",
		 k, k);
	cr_assert_eq(sqlite3_open(path, &db), SQLITE_OK);
	cr_assert_eq(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK, "%s",
		     sqlite3_errmsg(db));
	sqlite3_close(db);
}

static int
dump_row(void *arg, int n, char **v, char **names)
{
	FILE *f = arg;
	int i;

	(void)names;
	for (i = 0; i < n; i++)
		fprintf(f, "%s|", v[i] ? v[i] : "NULL");
	fputc('\n', f);
	return 0;
}

/* Every row of the data file at path, by text, as one string. */
static char *
dump(const char *path)
{
	static const char sql[] =
		"SELECT key, value FROM meta ORDER BY key;"
		"SELECT path FROM file ORDER BY path;"
		"SELECT context FROM context ORDER BY context;"
		"SELECT f.path, c.context, a.fromno, a.tono FROM arc a "
		"JOIN file f ON f.id = a.file_id JOIN context c ON "
		"c.id = a.context_id ORDER BY 1, 2, 3, 4;"
		"SELECT f.path, t.tracer FROM tracer t JOIN file f ON "
		"f.id = t.file_id ORDER BY 1";
	sqlite3 *db = NULL;
	char *s = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&s, &len);

	cr_assert_eq(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL),
		     SQLITE_OK);
	cr_assert_eq(sqlite3_exec(db, sql, dump_row, f, NULL), SQLITE_OK, "%s",
		     sqlite3_errmsg(db));
	sqlite3_close(db);
	fclose(f);
	return s;
}

#define MANY 40

Test(combine, threads_give_the_union_of_one_thread, .init = setup,
     .fini = teardown)
{
	char paths[MANY][128], one[128], four[128], err[ERRLEN] = "";
	const char *in[MANY];
	char *a, *b;
	int k;

	for (k = 0; k < MANY; k++) {
		variant(k, paths[k], sizeof(paths[k]));
		in[k] = paths[k];
	}
	snprintf(one, sizeof(one), "%s/one", dir);
	snprintf(four, sizeof(four), "%s/four", dir);
	setenv("COVSETTLE_THREADS", "1", 1);
	cr_assert_eq(run(in, MANY, one, err), COMBINE_OK, "%s", err);
	setenv("COVSETTLE_THREADS", "4", 1);
	cr_assert_eq(run(in, MANY, four, err), COMBINE_OK, "%s", err);
	a = dump(one);
	b = dump(four);
	cr_expect_str_eq(a, b);
	/* every input's own context, and the moved arcs of each */
	cr_expect_eq(query(four, "select count(*) from context"), MANY + 1);
	cr_expect_gt(query(four, "select count(*) from arc"),
		     query(FIXTURES "/arcs", "select count(*) from arc") * 2);
	free(a);
	free(b);
}

/* Inputs 11 (outside the native combine) and 20 (not SQLite) fail: the
 * message names 11 on any number of threads, as the one-thread loop
 * does, though another thread may read 20 first. */
Test(combine, threads_name_the_first_failing_input, .init = setup,
     .fini = teardown)
{
	static const char *threads[] = { "1", "2", "4" };
	const char *in[30];
	char out[128], err[ERRLEN];
	size_t t;
	int k;

	for (k = 0; k < 30; k++)
		in[k] = k == 11	  ? FIXTURES "/wrong-schema"
			: k == 20 ? FIXTURES "/garbage"
				  : FIXTURES "/lines";
	snprintf(out, sizeof(out), "%s/out", dir);
	for (t = 0; t < sizeof(threads) / sizeof(*threads); t++) {
		setenv("COVSETTLE_THREADS", threads[t], 1);
		err[0] = '\0';
		cr_expect_eq(run(in, 30, out, err), COMBINE_FALLBACK,
			     "threads %s: %s", threads[t], err);
		cr_expect(strstr(err, "wrong-schema") != NULL, "threads %s: %s",
			  threads[t], err);
		cr_expect_eq(entries(), 0);
	}
}

static int
stop_at_fifth(void *arg)
{
	int *calls = arg;

	return ++*calls >= 5;
}

Test(combine, interrupted_on_threads_leaves_nothing, .init = setup,
     .fini = teardown)
{
	const char *in[30];
	struct combine_opts o = { .inputs = in, .ninputs = 30 };
	char out[128], err[ERRLEN] = "";
	int k, calls = 0;

	for (k = 0; k < 30; k++)
		in[k] = FIXTURES "/arcs";
	snprintf(out, sizeof(out), "%s/out", dir);
	o.output = out;
	o.interrupted = stop_at_fifth;
	o.arg = &calls;
	setenv("COVSETTLE_THREADS", "4", 1);
	cr_assert_eq(combine_run(&o, err), COMBINE_STOPPED, "%s", err);
	cr_expect_eq(calls, 5, "asked again after it said stop");
	cr_expect_eq(entries(), 0);
}

/* An id past what is worth a table (5,000,000: a 20 MB map): coverage.py
 * decides. */
Test(combine, huge_id_falls_back, .init = setup, .fini = teardown)
{
	const char *in[1];
	char path[128], out[128], err[ERRLEN] = "";
	sqlite3 *db = NULL;

	snprintf(path, sizeof(path), "%s/huge", dir);
	copy(FIXTURES "/lines", path);
	cr_assert_eq(sqlite3_open(path, &db), SQLITE_OK);
	cr_assert_eq(sqlite3_exec(db,
				  "UPDATE file SET id = 5000000 WHERE id = "
				  "(SELECT min(id) FROM file)",
				  NULL, NULL, NULL),
		     SQLITE_OK);
	sqlite3_close(db);
	in[0] = path;
	snprintf(out, sizeof(out), "%s/out", dir);
	cr_assert_eq(run(in, 1, out, err), COMBINE_FALLBACK, "%s", err);
	cr_expect(strstr(err, "huge has an id out of range") != NULL, "%s",
		  err);
	cr_expect_eq(access(out, F_OK), -1);
}

/* ---- arcs read from the pages, or through SQLite ---- */

/* dir/odd: the arcs fixture after sql. */
static void
odd_arcs(const char *sql, char *path, size_t len)
{
	sqlite3 *db = NULL;

	snprintf(path, len, "%s/odd", dir);
	copy(FIXTURES "/arcs", path);
	cr_assert_eq(sqlite3_open(path, &db), SQLITE_OK);
	cr_assert_eq(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
}

/* A value the pages do not hold as an integer: SQLite reads the input,
 * and the native combine falls back as it always did. */
Test(combine, arc_not_an_integer_falls_back, .init = setup, .fini = teardown)
{
	const char *in[2] = { FIXTURES "/arcs" };
	char path[128], out[128], err[ERRLEN] = "";

	odd_arcs("UPDATE arc SET fromno = 2.5 WHERE rowid = 3", path,
		 sizeof(path));
	in[1] = path;
	snprintf(out, sizeof(out), "%s/out", dir);
	cr_assert_eq(run(in, 2, out, err), COMBINE_FALLBACK, "%s", err);
	cr_expect(strstr(err, "odd has an arc that is not two line numbers") !=
			  NULL,
		  "%s", err);
	cr_expect_eq(access(out, F_OK), -1);
}

/* Integers all, but a file id with no file row: found on the pages. */
Test(combine, arc_naming_no_file_falls_back, .init = setup, .fini = teardown)
{
	const char *in[2] = { FIXTURES "/arcs" };
	char path[128], out[128], err[ERRLEN] = "";

	odd_arcs("UPDATE arc SET file_id = 4242 WHERE rowid = 5", path,
		 sizeof(path));
	in[1] = path;
	snprintf(out, sizeof(out), "%s/out", dir);
	cr_assert_eq(run(in, 2, out, err), COMBINE_FALLBACK, "%s", err);
	cr_expect(strstr(err, "odd has a row that names no file or context") !=
			  NULL,
		  "%s", err);
}

/* A context name longer than a page (SQLite reads it from overflow
 * pages), and arcs in that context read from theirs. */
Test(combine, long_context_name, .init = setup, .fini = teardown)
{
	const char *in[2] = { FIXTURES "/arcs" };
	char path[128], out[128], err[ERRLEN] = "";

	/* a context name too long for a page, and its arcs */
	odd_arcs(
		"INSERT INTO context (context) VALUES (printf('%.9000c', "
		"'x'));"
		"INSERT INTO arc SELECT file_id, (SELECT max(id) FROM context),"
		" fromno + 1000, tono FROM arc",
		path, sizeof(path));
	in[1] = path;
	snprintf(out, sizeof(out), "%s/out", dir);
	cr_assert_eq(run(in, 2, out, err), COMBINE_OK, "%s", err);
	cr_expect_eq(query(out, "select count(*) from arc"),
		     query(path, "select count(*) from arc"));
	cr_expect_eq(query(out, "select count(*) from context"), 2);
}

/* combine_paths(): every distinct path, in the order first met; then a
 * mapping that stores them all as one path makes one file of them. */
Test(combine, mapped_paths_are_one_file, .init = setup, .fini = teardown)
{
	const char *in[] = { FIXTURES "/lines", FIXTURES "/lines" };
	const char *to[4] = { "one.py", "one.py", "one.py", "one.py" };
	static const struct combine_meta meta[] = { { "version", "7.17.5" } };
	struct combine_opts o = {
		.inputs = in, .ninputs = 2, .meta = meta, .nmeta = 1
	};
	char out[128], err[ERRLEN] = "", **paths = NULL;
	size_t n = 0, i;

	cr_assert_eq(combine_paths(in, 2, &paths, &n, err), 0, "%s", err);
	cr_assert_eq(n, 4);
	cr_expect_str_eq(paths[0], "prog.py");
	cr_expect_str_eq(paths[3], "unused.py");
	snprintf(out, sizeof(out), "%s/out", dir);
	o.output = out;
	o.map_from = (const char *const *)paths;
	o.map_to = to;
	o.nmap = n;
	cr_assert_eq(combine_run(&o, err), COMBINE_OK, "%s", err);
	cr_expect_eq(query(out, "select count(*) from file"), 1);
	cr_expect_eq(query(out, "select count(*) from file where path = "
				"'one.py'"),
		     1);
	cr_expect_eq(query(out, "select count(*) from line_bits"), 1);
	/* 6.5 keeps one file's lines of two in one input: that falls back,
	 * naming the input and both files. */
	o.one_path_per_input = true;
	cr_assert_eq(combine_run(&o, err), COMBINE_FALLBACK);
	cr_expect(strstr(err, "prog.py and shapes.py") != NULL, "%s", err);
	/* A path the mapping lacks falls back too. */
	o.one_path_per_input = false;
	o.nmap = 3;
	cr_assert_eq(combine_run(&o, err), COMBINE_FALLBACK);
	cr_expect(strstr(err, "did not ask") != NULL, "%s", err);
	for (i = 0; i < n; i++)
		free(paths[i]);
	free(paths);
}

Test(combine, paths_of_an_unreadable_input, .init = setup, .fini = teardown)
{
	const char *in[] = { FIXTURES "/lines", "/nonexistent/.coverage" };
	char err[ERRLEN] = "", **paths = NULL;
	size_t n = 1;

	cr_assert_eq(combine_paths(in, 2, &paths, &n, err), -1);
	cr_expect_null(paths);
	cr_expect_eq(n, 0);
	cr_expect(strstr(err, "/nonexistent/.coverage") != NULL, "%s", err);
}
