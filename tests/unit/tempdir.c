/* tempdir.c: the unit tests' scratch directory (tempdir.h). Removal walks
 * the tree with nftw(3), deepest first, rather than running rm -rf
 * through a shell. */
#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tempdir.h"

void
tempdir_make(struct tempdir *t, const char *tag)
{
	int n = snprintf(t->path, sizeof(t->path), "/tmp/covsettle-%s.XXXXXX",
			 tag);

	cr_assert(n > 0 && (size_t)n < sizeof(t->path), "tag %s", tag);
	cr_assert_not_null(mkdtemp(t->path), "mkdtemp %s: %s", t->path,
			   strerror(errno));
	t->real = realpath(t->path, NULL);
	cr_assert_not_null(t->real, "realpath %s", t->path);
	t->fd = open(t->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	cr_assert_geq(t->fd, 0, "open %s: %s", t->path, strerror(errno));
}

/* One entry of the tree, deepest first: gone, whatever its type. */
static int
remove_entry(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	if ((type == FTW_DP ? rmdir(path) : unlink(path)) < 0)
		cr_log_warn("remove %s: %s", path, strerror(errno));
	return 0;
}

void
tempdir_remove(struct tempdir *t)
{
	if (t->fd >= 0)
		close(t->fd);
	t->fd = -1;
	cr_expect_eq(nftw(t->path, remove_entry, 16, FTW_DEPTH | FTW_PHYS), 0,
		     "remove %s: %s", t->path, strerror(errno));
	free(t->real);
	t->real = NULL;
}

void
tempdir_copy(const struct tempdir *t, const char *from, const char *name)
{
	int in = open(from, O_RDONLY | O_CLOEXEC), out;
	char buf[8192];
	ssize_t n;

	cr_assert_geq(in, 0, "open %s: %s", from, strerror(errno));
	out = openat(t->fd, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
		     0644);
	cr_assert_geq(out, 0, "create %s: %s", name, strerror(errno));
	while ((n = read(in, buf, sizeof(buf))) > 0)
		cr_assert_eq(write(out, buf, (size_t)n), n, "write %s", name);
	cr_assert_eq(n, 0, "read %s: %s", from, strerror(errno));
	close(in);
	close(out);
}

int
tempdir_entries(const struct tempdir *t)
{
	DIR *d = opendir(t->path);
	struct dirent *de;
	int n = 0;

	cr_assert_not_null(d, "opendir %s", t->path);
	while ((de = readdir(d)) != NULL)
		n += strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..");
	closedir(d);
	return n;
}
