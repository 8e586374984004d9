/* test_pathread.c: unit tests of pathread.c on data files written by the
 * real coverage.py (fixtures/data): the paths kept while a file is
 * checked are used only for that very file, unchanged since; a file
 * written after its check, one written within the tick of its check, and
 * a copy are read again by the caller. The rows kept for the union follow
 * the same rule, and are what the union's own read of the file gives. */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "combine.h"
#include "combine_paths.h"
#include "combine_read.h"
#include "pathread.h"
#include "tempdir.h"

#ifndef FIXTURES
#error "FIXTURES must name the fixtures/data directory"
#endif

static struct tempdir t;

static void
setup(void)
{
	tempdir_make(&t, "pathread");
}

static void
teardown(void)
{
	tempdir_remove(&t);
}

/* Set name's mtime to now + secs. */
static void
set_mtime(const char *name, long secs)
{
	struct timespec ts[2];

	clock_gettime(CLOCK_REALTIME, &ts[0]);
	ts[0].tv_sec += secs;
	ts[1] = ts[0];
	cr_assert_eq(utimensat(t.fd, name, ts, 0), 0, "utimensat %s", name);
}

/* Check name with p's reader: it must pass. */
static void
check_ok(struct pathread *p, const char *name)
{
	struct check_result r;

	cr_assert_eq(
		check_file_read(t.fd, t.real, name, &r, pathread_reader(p)),
		V_OK, "%s: %s", name, r.reason);
}

/* The full path of name in t (static buffer per slot). */
static const char *
at(const char *name, int slot)
{
	static char buf[4][512];

	snprintf(buf[slot], sizeof(buf[slot]), "%s/%s", t.real, name);
	return buf[slot];
}

/* pathread_paths() on the names: 1 with the paths equal to what
 * combine_paths() reads of them now, or 0. */
static int
paths_of(struct pathread *p, const char **names, size_t n)
{
	const char *in[4];
	char **got = NULL, **want = NULL, err[ERRLEN];
	size_t ngot = 0, nwant = 0, i;
	int rc;

	for (i = 0; i < n; i++)
		in[i] = at(names[i], (int)i);
	rc = pathread_paths(p, in, n, &got, &ngot);
	if (rc == 0)
		return 0;
	cr_assert_eq(combine_paths(in, n, &want, &nwant, err), 0, "%s", err);
	cr_assert_eq(ngot, nwant);
	for (i = 0; i < ngot; i++) {
		cr_assert_str_eq(got[i], want[i]);
		free(got[i]);
		free(want[i]);
	}
	free(got);
	free(want);
	return 1;
}

/* Write to name as a writer would: every path moved. */
static void
move_paths(const char *name)
{
	sqlite3 *db;

	cr_assert_eq(sqlite3_open(at(name, 3), &db), SQLITE_OK);
	cr_assert_eq(sqlite3_exec(db,
				  "update file set path = '/elsewhere' || path",
				  NULL, NULL, NULL),
		     SQLITE_OK, "%s", sqlite3_errmsg(db));
	sqlite3_close(db);
}

TestSuite(pathread, .init = setup, .fini = teardown);

Test(pathread, a_checked_file_unchanged_is_served)
{
	struct pathread *p = pathread_new();
	const char *names[] = { "a", "b", "link" };

	cr_assert_not_null(p);
	tempdir_copy(&t, FIXTURES "/lines", "a");
	tempdir_copy(&t, FIXTURES "/era-7.17.5-lines", "b");
	set_mtime("a", -60);
	set_mtime("b", -60);
	check_ok(p, "a");
	check_ok(p, "b");
	/* a hard link is the same file: gather stages so */
	cr_assert_eq(linkat(t.fd, "a", t.fd, "link", 0), 0);
	cr_assert_eq(paths_of(p, names, 3), 1);
	pathread_free(p);
}

Test(pathread, a_file_written_after_its_check_is_read_again)
{
	struct pathread *p = pathread_new();
	const char *names[] = { "a" };

	tempdir_copy(&t, FIXTURES "/lines", "a");
	set_mtime("a", -60);
	check_ok(p, "a");
	cr_assert_eq(paths_of(p, names, 1), 1);
	move_paths("a");
	/* the paths kept are a's before the write: not used */
	cr_assert_eq(paths_of(p, names, 1), 0);
	/* checked again (the wait does, on a change): a's new paths */
	set_mtime("a", -30);
	check_ok(p, "a");
	cr_assert_eq(paths_of(p, names, 1), 1);
	pathread_free(p);
}

Test(pathread, a_file_written_within_the_tick_of_its_check_is_read_again)
{
	struct pathread *p = pathread_new();
	const char *names[] = { "a" };

	tempdir_copy(&t, FIXTURES "/lines", "a");
	/* an mtime not before the check's stat: a write within that tick
	 * would leave size and mtime as they are */
	set_mtime("a", 3600);
	check_ok(p, "a");
	cr_assert_eq(paths_of(p, names, 1), 0);
	pathread_free(p);
}

/* A copy of "lines" named name, with a's mtime: the same bytes, size and
 * mtime as a, another inode. */
static void
copy_of_a(const char *name)
{
	struct stat st;
	struct timespec ts[2];

	tempdir_copy(&t, FIXTURES "/lines", name);
	cr_assert_eq(fstatat(t.fd, "a", &st, 0), 0);
	ts[0] = ts[1] = st.st_mtim;
	cr_assert_eq(utimensat(t.fd, name, ts, 0), 0);
}

Test(pathread, a_copy_is_read_again)
{
	struct pathread *p = pathread_new();
	const char *names[] = { "copy" };

	tempdir_copy(&t, FIXTURES "/lines", "a");
	set_mtime("a", -60);
	check_ok(p, "a");
	copy_of_a("copy");
	cr_assert_eq(paths_of(p, names, 1), 0);
	pathread_free(p);
}

Test(pathread, nothing_checked_is_nothing_served)
{
	struct pathread *p = pathread_new();
	const char *names[] = { "a" };

	tempdir_copy(&t, FIXTURES "/lines", "a");
	cr_assert_eq(paths_of(p, names, 1), 0);
	cr_assert_eq(paths_of(NULL, names, 1), 0);
	pathread_free(p);
}

static int
cmp_arc(const void *a, const void *b)
{
	return memcmp(a, b, sizeof(struct arc));
}

/* The rows kept of name (pathread_input() on its hard link "link") are
 * what combine_read_input() reads of it now; given once. */
static void
rows_served(struct pathread *p, const char *name)
{
	struct input want = { .mapped = true, .pages = true, .mode = -1 };
	struct input *got;
	size_t i;

	cr_assert_eq(linkat(t.fd, name, t.fd, "link", 0), 0);
	got = pathread_input(p, at("link", 0));
	cr_assert_not_null(got, "%s: no rows kept", name);
	want.path = at("link", 1);
	combine_read_input(&want);
	cr_assert_eq(want.s, COMBINE_OK, "%s", want.err);
	cr_assert_eq(got->s, COMBINE_OK);
	cr_assert_eq(got->mode, want.mode);
	cr_assert_eq(got->nfiles, want.nfiles);
	cr_assert_eq(got->nctxs, want.nctxs);
	cr_assert_eq(got->nbits, want.nbits);
	cr_assert_eq(got->narcs, want.narcs);
	for (i = 0; i < want.nfiles; i++) {
		cr_assert_str_eq(got->files[i].s, want.files[i].s);
		cr_assert_eq(got->tracer[i] == NULL, want.tracer[i] == NULL);
		if (want.tracer[i] != NULL)
			cr_assert_str_eq(got->tracer[i], want.tracer[i]);
	}
	for (i = 0; i < want.nctxs; i++)
		cr_assert_str_eq(got->ctxs[i].s, want.ctxs[i].s);
	for (i = 0; i < want.nbits; i++) {
		cr_assert_eq(got->bits[i].file, want.bits[i].file);
		cr_assert_eq(got->bits[i].ctx, want.bits[i].ctx);
		cr_assert_eq(got->bits[i].len, want.bits[i].len);
		cr_assert_eq(memcmp(got->bits[i].p, want.bits[i].p,
				    want.bits[i].len),
			     0);
	}
	/* arcs: from the pages here, through SQLite there */
	if (want.narcs > 0) {
		qsort(got->arcs, got->narcs, sizeof(struct arc), cmp_arc);
		qsort(want.arcs, want.narcs, sizeof(struct arc), cmp_arc);
		cr_assert_eq(memcmp(got->arcs, want.arcs,
				    want.narcs * sizeof(struct arc)),
			     0);
	}
	combine_read_free(&want);
	combine_read_free(got);
	free(got);
	cr_assert_null(pathread_input(p, at("link", 0)), "given twice");
	cr_assert_eq(unlinkat(t.fd, "link", 0), 0);
}

Test(pathread, the_rows_of_a_file_unchanged_are_the_unions_read)
{
	struct pathread *p = pathread_new();
	const char *fixtures[] = { "lines", "arcs", "contexts",
				   "era-7.17.5-arcs", "era-6.5-lines" };
	char src[512];
	size_t i;

	for (i = 0; i < sizeof(fixtures) / sizeof(*fixtures); i++) {
		snprintf(src, sizeof(src), "%s/%s", FIXTURES, fixtures[i]);
		tempdir_copy(&t, src, fixtures[i]);
		set_mtime(fixtures[i], -60);
		check_ok(p, fixtures[i]);
		rows_served(p, fixtures[i]);
	}
	pathread_free(p);
}

Test(pathread, the_rows_of_a_changed_file_or_a_copy_are_not_served)
{
	struct pathread *p = pathread_new();

	tempdir_copy(&t, FIXTURES "/lines", "a");
	set_mtime("a", -60);
	check_ok(p, "a");
	copy_of_a("copy");
	cr_assert_null(pathread_input(p, at("copy", 0)));
	/* written since its check */
	move_paths("a");
	cr_assert_null(pathread_input(p, at("a", 0)));
	/* checked within the tick of its last write: nothing kept */
	set_mtime("a", 3600);
	check_ok(p, "a");
	cr_assert_null(pathread_input(p, at("a", 0)));
	/* checked again, settled: its new rows */
	set_mtime("a", -30);
	check_ok(p, "a");
	rows_served(p, "a");
	cr_assert_null(pathread_input(NULL, at("a", 0)));
	pathread_free(p);
}
