/* test_check.c: unit tests of check.c on the fixtures made by the real
 * coverage.py (fixtures/verdicts.txt says what each must get), and on
 * symlinks, fifos, directories and missing names in a scratch directory. */
#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "pool.h"
#include "tempdir.h"
#include "util.h"

#ifndef FIXTURES
#error "FIXTURES must name the fixtures/data directory"
#endif

#define MAXFIX 64

struct expected {
	char name[128];
	char verdict[64];
};

/* Read FIXTURES/../verdicts.txt into e; returns the number of entries. */
static size_t
read_verdicts(struct expected *e, size_t max)
{
	char line[512];
	size_t n = 0;
	FILE *f = fopen(FIXTURES "/../verdicts.txt", "r");

	cr_assert_not_null(f, "cannot open %s: %s", FIXTURES "/../verdicts.txt",
			   strerror(errno));
	while (fgets(line, sizeof(line), f) != NULL) {
		char extra[8];
		int k;

		if (line[0] == '#' || strspn(line, " \t\r\n") == strlen(line))
			continue;
		cr_assert_lt(n, max, "too many entries in verdicts.txt");
		k = sscanf(line, "%127s %63s %7s", e[n].name, e[n].verdict,
			   extra);
		cr_assert_eq(k, 2, "bad line in verdicts.txt: %s", line);
		n++;
	}
	fclose(f);
	return n;
}

/* The file's contents, malloc'd, and its size and times. */
static char *
slurp(int dirfd, const char *name, struct stat *st)
{
	int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC);
	char *buf;
	ssize_t n;

	cr_assert_geq(fd, 0, "open %s: %s", name, strerror(errno));
	cr_assert_eq(fstat(fd, st), 0);
	buf = malloc((size_t)st->st_size + 1);
	cr_assert_not_null(buf);
	n = pread(fd, buf, (size_t)st->st_size, 0);
	cr_assert_eq(n, st->st_size, "short read of %s", name);
	close(fd);
	return buf;
}

/* The number of entries in a directory (its side files would show). */
static int
count_entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int n = 0;

	cr_assert_not_null(d, "opendir %s: %s", dir, strerror(errno));
	while ((de = readdir(d)) != NULL)
		n++;
	closedir(d);
	return n;
}

static void
expect_one_line(const struct check_result *r, const char *what)
{
	cr_expect_neq(r->reason[0], '\0', "%s: empty reason", what);
	cr_expect_null(strchr(r->reason, '\n'), "%s: reason has a newline: %s",
		       what, r->reason);
	cr_expect_lt(strlen(r->reason), sizeof(r->reason));
}

Test(check, every_fixture)
{
	struct expected e[MAXFIX];
	size_t n = read_verdicts(e, MAXFIX), i;
	char *realdir;
	int dirfd, entries;

	cr_assert_geq(n, 20, "verdicts.txt lists only %zu files", n);
	dirfd = open(FIXTURES, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	cr_assert_geq(dirfd, 0, "open %s: %s", FIXTURES, strerror(errno));
	realdir = realpath(FIXTURES, NULL);
	cr_assert_not_null(realdir);
	entries = count_entries(FIXTURES);
	for (i = 0; i < n; i++) {
		struct check_result r;
		struct stat before, after;
		char *bytes = slurp(dirfd, e[i].name, &before), *again;
		enum verdict v;

		memset(&r, 0x5a, sizeof(r));
		v = check_file(dirfd, realdir, e[i].name, &r);
		cr_expect_eq(v, r.verdict,
			     "%s: return value and r.verdict differ",
			     e[i].name);
		cr_expect_str_eq(verdict_name(r.verdict), e[i].verdict,
				 "%s: verdict %s (%s), expected %s", e[i].name,
				 verdict_name(r.verdict), r.reason,
				 e[i].verdict);
		expect_one_line(&r, e[i].name);
		if (r.verdict != V_MISSING && r.verdict != V_UNREADABLE)
			cr_expect_eq(r.size, before.st_size,
				     "%s: size %lld, expected %lld", e[i].name,
				     (long long)r.size,
				     (long long)before.st_size);
		/* read-only: bytes and mtime unchanged */
		again = slurp(dirfd, e[i].name, &after);
		cr_expect_eq(after.st_size, before.st_size, "%s: size changed",
			     e[i].name);
		cr_expect(after.st_size == before.st_size &&
				  memcmp(bytes, again,
					 (size_t)before.st_size) == 0,
			  "%s: contents changed", e[i].name);
		cr_expect(after.st_mtim.tv_sec == before.st_mtim.tv_sec &&
				  after.st_mtim.tv_nsec ==
					  before.st_mtim.tv_nsec,
			  "%s: mtime changed", e[i].name);
		cr_expect(after.st_ctim.tv_sec == before.st_ctim.tv_sec &&
				  after.st_ctim.tv_nsec ==
					  before.st_ctim.tv_nsec,
			  "%s: ctime changed", e[i].name);
		free(bytes);
		free(again);
	}
	/* no -journal, -wal or -shm left behind */
	cr_expect_eq(count_entries(FIXTURES), entries,
		     "the fixtures directory gained or lost entries");
	free(realdir);
	close(dirfd);
}

/* Good files say what they hold. */
Test(check, ok_details)
{
	static const struct {
		const char *name;
		long nfiles;
		bool arcs;
	} good[] = {
		{ "lines", 4, false },
		{ "arcs", 4, true },
		{ "empty-run", 0, false },
	};
	char *realdir = realpath(FIXTURES, NULL);
	int dirfd = open(FIXTURES, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	size_t i;

	cr_assert_geq(dirfd, 0);
	cr_assert_not_null(realdir);
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		struct check_result r;

		cr_expect_eq(check_file(dirfd, realdir, good[i].name, &r), V_OK,
			     "%s: %s", good[i].name, r.reason);
		cr_expect_eq(r.nfiles, good[i].nfiles, "%s: nfiles %ld",
			     good[i].name, r.nfiles);
		cr_expect_eq(r.arcs, good[i].arcs, "%s: arcs", good[i].name);
	}
	free(realdir);
	close(dirfd);
}

/* Every file in fixtures/data has a verdict in verdicts.txt. */
Test(check, every_fixture_is_listed)
{
	struct expected e[MAXFIX];
	size_t n = read_verdicts(e, MAXFIX), i;
	DIR *d = opendir(FIXTURES);
	struct dirent *de;

	cr_assert_not_null(d);
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		for (i = 0; i < n; i++)
			if (strcmp(e[i].name, de->d_name) == 0)
				break;
		cr_expect_lt(i, n, "%s is not in verdicts.txt", de->d_name);
	}
	closedir(d);
}

/* ---- a scratch directory ---- */

static struct tempdir scratch;

/* Check name in the scratch directory into r: expect verdict want and a
 * one-line reason that contains says, when says is not NULL. */
static void
expect_verdict(const char *name, enum verdict want, const char *says,
	       struct check_result *r)
{
	cr_expect_eq(check_file(scratch.fd, scratch.real, name, r), want,
		     "%s: got %s: %s", name, verdict_name(r->verdict),
		     r->reason);
	expect_one_line(r, name);
	if (says != NULL)
		cr_expect_not_null(strstr(r->reason, says), "%s: reason: %s",
				   name, r->reason);
}

static void
scratch_setup(void)
{
	tempdir_make(&scratch, "check");
}

static void
scratch_teardown(void)
{
	tempdir_remove(&scratch);
}

/* Copy fixture name into the scratch directory as dest. */
static void
copy_fixture(const char *name, const char *dest)
{
	char from[PATH_MAX];

	snprintf(from, sizeof(from), "%s/%s", FIXTURES, name);
	tempdir_copy(&scratch, from, dest);
}

TestSuite(check_dir, .init = scratch_setup, .fini = scratch_teardown,
	  .timeout = 10);

Test(check_dir, copied_fixture_is_ok)
{
	struct check_result r;

	copy_fixture("lines", ".coverage.h.1.123456");
	expect_verdict(".coverage.h.1.123456", V_OK, NULL, &r);
}

Test(check_dir, symlink_outside)
{
	struct check_result r;
	char target[PATH_MAX];

	/* an absolute link to a good file outside the directory */
	snprintf(target, sizeof(target), "%s/lines", FIXTURES);
	cr_assert_eq(symlinkat(target, scratch.fd, ".coverage.h.1.123456"), 0);
	expect_verdict(".coverage.h.1.123456", V_SYMLINK, "outside", &r);
}

Test(check_dir, symlink_outside_relative)
{
	struct check_result r;

	/* a relative link that climbs out of the directory */
	cr_assert_eq(symlinkat("../../etc/passwd", scratch.fd, "up"), 0);
	expect_verdict("up", V_SYMLINK, "outside", &r);
}

/* A directory whose path is as long as ours, differing only in its
 * last characters: the path comparison must look at every byte. */
Test(check_dir, symlink_to_a_sibling_of_equal_length)
{
	char target[PATH_MAX];
	struct check_result r;
	struct tempdir other;

	tempdir_make(&other, "check");
	cr_assert_eq(strlen(other.path), strlen(scratch.path));
	/* copy a good file there through the scratch helpers */
	copy_fixture("lines", "good");
	cr_assert_eq(renameat(scratch.fd, "good", other.fd, "good"), 0);
	snprintf(target, sizeof(target), "%s/good", other.path);
	cr_assert_eq(symlinkat(target, scratch.fd, ".coverage.h.1.123456"), 0);
	check_file(scratch.fd, scratch.real, ".coverage.h.1.123456", &r);
	tempdir_remove(&other);
	cr_expect_eq(r.verdict, V_SYMLINK, "got %s: %s",
		     verdict_name(r.verdict), r.reason);
	cr_expect_not_null(strstr(r.reason, "outside"), "reason: %s", r.reason);
}

Test(check_dir, symlink_inside)
{
	struct check_result r;

	copy_fixture("lines", ".coverage.h.1.123456");
	cr_assert_eq(symlinkat(".coverage.h.1.123456", scratch.fd,
			       ".coverage.h.2.654321"),
		     0);
	expect_verdict(".coverage.h.2.654321", V_OK, NULL, &r);
}

Test(check_dir, symlink_inside_to_bad_file)
{
	struct check_result r;

	copy_fixture("schema-only", "target");
	cr_assert_eq(symlinkat("target", scratch.fd, "link"), 0);
	expect_verdict("link", V_INCOMPLETE, NULL, &r);
}

Test(check_dir, symlink_dangling)
{
	struct check_result r;

	cr_assert_eq(
		symlinkat("nothing-here", scratch.fd, ".coverage.h.1.123456"),
		0);
	expect_verdict(".coverage.h.1.123456", V_SYMLINK, NULL, &r);
}

Test(check_dir, symlink_loop)
{
	struct check_result r;

	cr_assert_eq(symlinkat("b", scratch.fd, "a"), 0);
	cr_assert_eq(symlinkat("a", scratch.fd, "b"), 0);
	expect_verdict("a", V_SYMLINK, NULL, &r);
}

/* check.c opens and fstat's a data file, then SQLite opens it again by
 * its name: a fifo renamed over the name in between must not block
 * SQLite's open (no writer would ever come, and the wait's timeout would
 * hang on the checking thread). The swap is a race, so the test goes
 * straight to its second half: SQLite, as covsettle sets it up, opening a
 * fifo. The suite's timeout catches a block. */
Test(check_dir, sqlite_never_blocks_on_a_fifo)
{
	char path[PATH_MAX];
	sqlite3 *db = NULL;
	int rc;

	(void)sqlite_setup();
	cr_assert_eq(mkfifoat(scratch.fd, ".coverage.h.1.123456", 0644), 0);
	snprintf(path, sizeof(path), "%s/.coverage.h.1.123456", scratch.real);
	rc = sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(db, "pragma quick_check(1)", NULL, NULL,
				  NULL);
	cr_expect_neq(rc, SQLITE_OK, "SQLite read a fifo as a database");
	sqlite3_close(db);
}

/* The test suite's timeout catches a check that blocks on the fifo. */
Test(check_dir, fifo_does_not_block)
{
	struct check_result r;

	cr_assert_eq(mkfifoat(scratch.fd, ".coverage.h.1.123456", 0644), 0);
	expect_verdict(".coverage.h.1.123456", V_NOT_REGULAR, NULL, &r);
}

Test(check_dir, symlink_to_fifo_does_not_block)
{
	struct check_result r;

	cr_assert_eq(mkfifoat(scratch.fd, "fifo", 0644), 0);
	cr_assert_eq(symlinkat("fifo", scratch.fd, ".coverage.h.1.123456"), 0);
	expect_verdict(".coverage.h.1.123456", V_NOT_REGULAR, NULL, &r);
}

Test(check_dir, subdirectory)
{
	struct check_result r;

	cr_assert_eq(mkdirat(scratch.fd, ".coverage.h.1.123456", 0755), 0);
	expect_verdict(".coverage.h.1.123456", V_NOT_REGULAR, NULL, &r);
}

Test(check_dir, missing)
{
	struct check_result r;

	expect_verdict(".coverage.h.1.123456", V_MISSING, NULL, &r);
}

Test(check_dir, empty_file)
{
	struct check_result r;
	int fd = openat(scratch.fd, "e", O_WRONLY | O_CREAT | O_EXCL, 0644);

	cr_assert_geq(fd, 0);
	close(fd);
	expect_verdict("e", V_EMPTY, NULL, &r);
	cr_expect_eq(r.size, 0);
}

/* The checker leaves no side file next to a data file it read. */
Test(check_dir, leaves_nothing_behind)
{
	static const char *const names[] = { "lines", "corrupt-page",
					     "schema-only", "truncated" };
	struct check_result r;
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		copy_fixture(names[i], names[i]);
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		check_file(scratch.fd, scratch.real, names[i], &r);
	cr_expect_eq(count_entries(scratch.path), 2 + 4,
		     "the directory gained entries");
}

/* ---- verdict names ---- */

Test(check, verdict_names)
{
	int i, j;

	for (i = 0; i < V_COUNT; i++) {
		const char *a = verdict_name((enum verdict)i);

		cr_assert_not_null(a, "verdict %d has no name", i);
		cr_expect_neq(a[0], '\0', "verdict %d has an empty name", i);
		cr_expect_str_neq(a, "unknown", "verdict %d has no name", i);
		for (j = 0; j < i; j++)
			cr_expect_str_neq(a, verdict_name((enum verdict)j),
					  "verdicts %d and %d share a name", i,
					  j);
	}
}

Test(check, verdict_names_exact)
{
	static const struct {
		enum verdict v;
		const char *name;
	} names[] = {
		{ V_OK, "ok" },
		{ V_EMPTY, "empty" },
		{ V_NOT_SQLITE, "not-sqlite" },
		{ V_CORRUPT, "corrupt" },
		{ V_INCOMPLETE, "incomplete" },
		{ V_LEGACY_JSON, "legacy-json" },
		{ V_UNSUPPORTED_SCHEMA, "unsupported-schema" },
		{ V_BUSY, "busy" },
		{ V_SYMLINK, "symlink" },
		{ V_NOT_REGULAR, "not-regular" },
		{ V_UNREADABLE, "unreadable" },
		{ V_MISSING, "missing" },
	};
	size_t i;

	cr_assert_eq(sizeof(names) / sizeof(names[0]), (size_t)V_COUNT);
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		cr_expect_str_eq(verdict_name(names[i].v), names[i].name);
	cr_expect_not_null(verdict_name(V_COUNT));
}

/* ---- on several threads at once ---- */

#define ROUNDS 25

struct threaded {
	struct expected e[MAXFIX];
	size_t n;
	int dirfd;
	const char *realdir;
	struct check_result one[MAXFIX];	/* checked one by one */
	struct check_result r[ROUNDS * MAXFIX]; /* checked on 4 threads */
};

static void
check_job(void *ctx, size_t i)
{
	struct threaded *t = ctx;

	check_file(t->dirfd, t->realdir, t->e[i % t->n].name, &t->r[i]);
}

/* Every fixture, many times over, checked on four threads at once: each
 * gets the verdict and reason it gets alone, and nothing is left beside
 * the fixtures. */
Test(check, every_fixture_on_threads)
{
	struct threaded *t = calloc(1, sizeof(*t));
	char *realdir;
	size_t i, differ = 0;
	int entries;

	cr_assert_not_null(t);
	t->n = read_verdicts(t->e, MAXFIX);
	t->dirfd = open(FIXTURES, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	cr_assert_geq(t->dirfd, 0);
	realdir = realpath(FIXTURES, NULL);
	cr_assert_not_null(realdir);
	t->realdir = realdir;
	entries = count_entries(FIXTURES);
	for (i = 0; i < t->n; i++)
		check_file(t->dirfd, realdir, t->e[i].name, &t->one[i]);
	cr_expect_geq(check_threads(ROUNDS * t->n), 1);
	pool_run(ROUNDS * t->n, 0, 4, check_job, NULL, t);
	for (i = 0; i < ROUNDS * t->n; i++) {
		const struct check_result *a = &t->one[i % t->n], *b = &t->r[i];

		if (strcmp(verdict_name(b->verdict), t->e[i % t->n].verdict) !=
			    0 ||
		    a->verdict != b->verdict ||
		    strcmp(a->reason, b->reason) != 0 || a->size != b->size ||
		    a->nfiles != b->nfiles || a->arcs != b->arcs) {
			if (differ++ < 5)
				cr_log_error(
					"%s: %s: %s on a thread, %s: %s "
					"alone",
					t->e[i % t->n].name,
					verdict_name(b->verdict), b->reason,
					verdict_name(a->verdict), a->reason);
		}
	}
	cr_expect_eq(differ, 0, "%zu verdicts differ on threads", differ);
	cr_expect_eq(count_entries(FIXTURES), entries,
		     "checks left files in the fixtures");
	close(t->dirfd);
	free(realdir);
	free(t);
}
