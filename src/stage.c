/* stage.c: gather's inputs, staged.
 *
 * Exactly the files that settled ok are staged (hard links for the native
 * combine, copies for coverage.py: see stage_inputs()) under names
 * coverage.py globs for, into a private staging directory,
 * DIR/.covsettle-gather.XXXXXX/in/combined.N, in the order coverage.py's
 * own combine would read them (read_order()): no command line grows
 * with the number of files (ARG_MAX), no late or failed file is read,
 * coverage.py never deletes an input (--no-keep is gather's, done last)
 * and never writes into one (it writes a schema into a file it finds
 * empty). Each input is compared with what settled when it is staged and
 * again after the combine (stage_unchanged()): a change is a writer
 * covsettle did not see. A symlink data file, which check follows only to
 * a file of DIR, stages that file. The staging directory also holds the
 * combined file, and a later gather sweeps those that gathers killed left
 * behind (stage_sweep()). */
#include "stage.h"
#include "check.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <linux/fs.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* The staging directory's OWNER file says whose it is: the pid and start
 * time of the gather that made it, so a later gather can tell a directory
 * left by one that was killed from one still in use, even when the pid
 * has been reused meanwhile. One without it is taken for one being made
 * for STAGE_YOUNG_S after its last change. */
#define STAGE_PREFIX   ".covsettle-gather."
#define STAGE_TEMPLATE STAGE_PREFIX "XXXXXX"
#define STAGE_OWNER    "owner"
#define STAGE_YOUNG_S  60

/* Is st the file with this device, inode, size and mtime? Size and
 * mtime change with every write. */
static bool
same_contents(const struct stat *st, dev_t dev, ino_t ino, off_t size,
	      const struct timespec *mtime)
{
	return st->st_dev == dev && st->st_ino == ino && st->st_size == size &&
	       st->st_mtim.tv_sec == mtime->tv_sec &&
	       st->st_mtim.tv_nsec == mtime->tv_nsec;
}

/* Is st still the file, or symlink, that settled as sig? The fields of
 * settle.c's same_sig() but the ctime, which a new hard link or a chmod
 * changes with no write. */
static bool
same_file(const struct stat *st, const struct fsig *sig)
{
	return same_contents(st, sig->dev, sig->ino, sig->size, &sig->mtime);
}

/* Is st still the file (a symlink's target) whose check passed? */
static bool
same_checked(const struct stat *st, const struct check_result *c)
{
	return same_contents(st, c->dev, c->ino, c->size, &c->mtime);
}

/* Is st still the file a that was copied? */
static bool
same_stat(const struct stat *st, const struct stat *a)
{
	return same_contents(st, a->st_dev, a->st_ino, a->st_size, &a->st_mtim);
}

/* Write all n bytes of p to fd: -1 with errno on failure. A short write
 * (a disk filling up) is followed by another, which tells why. */
static int
write_all(int fd, const char *p, size_t n)
{
	ssize_t w;

	while (n > 0) {
		w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Copy all of in (from offset 0) to the empty file out: a reflink where
 * the filesystem shares blocks (FICLONE: no data copied, and a write to
 * either is no write to the other), else copy_file_range(2) in the
 * kernel, else read(2) and write(2). 0, or -1 with errno. */
int
stage_copy_fd(int in, int out)
{
	char buf[65536];
	loff_t off = 0;
	ssize_t n;

	if (ioctl(out, FICLONE, in) == 0)
		return 0;
	while ((n = copy_file_range(in, &off, out, NULL, 1 << 30, 0)) > 0)
		;
	if (n == 0)
		return 0;
	/* Not between these files (EXDEV, EINVAL, ENOSYS...): by hand. */
	if (off > 0 || ftruncate(out, 0) < 0 || lseek(out, 0, SEEK_SET) < 0)
		return -1;
	while ((n = pread(in, buf, sizeof(buf), off)) > 0) {
		if (write_all(out, buf, (size_t)n) < 0)
			return -1;
		off += n;
	}
	return n < 0 ? -1 : 0;
}

/* Is f one of the files to combine? */
bool
stage_is_input(const struct sfile *f)
{
	return settle_here(f) && !f->quarantined && f->checked &&
	       f->check.verdict == V_OK;
}

/* An input changed since it settled: not combining it. -1. */
static int
changed(struct stage *stg, const struct sfile *f, const char *when)
{
	stg->status = STAGE_CHANGED;
	return seterr(stg->msg, "%s/%s changed %s; not combining", stg->shown,
		      f->name, when);
}

/* Open f's file, if the name still is what settled and leads to the
 * file that was checked, filling sg; the descriptor, or -1 with the
 * status set. */
static int
open_settled(struct stage *stg, const struct sfile *f, struct staged *sg)
{
	char src[PATH_MAX], *slash;
	size_t dl = strlen(stg->realdir);
	struct stat st;
	int in;

	if (fmt(src, sizeof(src), "%s/%s", stg->realdir, f->name) < 0) {
		stg->status = STAGE_ERROR;
		return seterr(stg->msg, "cannot stage %s: %s", f->name,
			      strerror(errno));
	}
	/* The name, file or symlink, is what settled; a symlink still leads
	 * to a file of DIR, as check allows. */
	if (lstat(src, &st) < 0 || !same_file(&st, &f->sig) ||
	    (sg->path = realpath(src, NULL)) == NULL ||
	    (slash = strrchr(sg->path, '/')) == NULL ||
	    (size_t)(slash - sg->path) != dl ||
	    strncmp(sg->path, stg->realdir, dl) != 0)
		return changed(stg, f, "after it settled");
	in = open(sg->path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (in < 0 || fstat(in, &sg->st) < 0 ||
	    !same_checked(&sg->st, &f->check)) {
		if (in >= 0)
			close(in);
		return changed(stg, f, "after it settled");
	}
	return in;
}

/* Copy the open input in, which was as, to the new file dst; 0, or -1
 * with the status set. */
static int
copy_settled(struct stage *stg, const struct sfile *f, int in,
	     const struct stat *as, const char *dst)
{
	struct stat st;
	int out, rc, e;

	out = open(dst, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	rc = out < 0 ? -1 : stage_copy_fd(in, out);
	e = errno;
	if (out >= 0 && close(out) < 0 && rc == 0) {
		rc = -1;
		e = errno;
	}
	if (rc < 0) {
		stg->status = STAGE_ERROR;
		return seterr(stg->msg, "cannot stage %s: %s", f->name,
			      strerror(e));
	}
	/* Written to while copied: the copy may be half old, half new. */
	if (fstat(in, &st) < 0 || !same_stat(&st, as))
		return changed(stg, f, "while it was staged");
	return 0;
}

/* Hard link sg's file as dst, if its path still leads to the file that
 * was opened: 0; 1 when no link can be made (a copy will do); -1 with
 * the status set. */
static int
link_settled(struct stage *stg, struct staged *sg, const char *dst)
{
	struct stat st;

	if (link(sg->path, dst) < 0)
		return 1;
	if (lstat(dst, &st) == 0 && same_stat(&st, &sg->st))
		return 0;
	unlink(dst);
	return changed(stg, sg->f, "while it was staged");
}

/* Stage f as dst, if it still is what settled and was checked: a hard
 * link when by_link is set and one can be made, else a copy. 0, or -1 with
 * the status set. */
static int
stage_one(struct stage *stg, const struct sfile *f, const char *dst,
	  struct staged *sg, bool by_link)
{
	int in, rc = 1;

	if ((in = open_settled(stg, f, sg)) < 0)
		return -1;
	if (by_link && (rc = link_settled(stg, sg, dst)) == 0)
		sg->linked = true;
	if (rc > 0)
		rc = copy_settled(stg, f, in, &sg->st, dst);
	close(in);
	return rc;
}

/* Write the OWNER file into the staging directory stage, or none. */
static void
stage_own(const char *stage)
{
	char path[PATH_MAX];
	FILE *f;
	int rc;

	if (fmt(path, sizeof(path), "%s/" STAGE_OWNER, stage) < 0 ||
	    (f = fopen(path, "wxe")) == NULL)
		return;
	rc = fprintf(f, "%d %llu\n", (int)getpid(), pid_started(getpid()));
	if (fclose(f) != 0 || rc <= 0)
		unlink(path); /* half written: none is better than a wrong one
			       */
}

/* The path of staged input i, in/combined.N, into buf. */
int
stage_name(const struct stage *stg, char *buf, size_t len, long i)
{
	return fmt(buf, len, "%s/%s.%0*ld", stg->in, STAGE_COMBINED,
		   stg->width + 1, i);
}

/* The code point at *p, as Python's os.fsdecode() reads a name (UTF-8,
 * each byte of an invalid sequence as U+DC80 to U+DCFF); moves *p on. */
static unsigned long
next_code(const unsigned char **p)
{
	const unsigned char *s = *p;
	unsigned long c;
	size_t n = utf8_len(s), i;

	if (n == 0) {
		*p = s + 1;
		return 0xdc00 + s[0];
	}
	c = n == 1 ? s[0] : s[0] & (0x7f >> n);
	for (i = 1; i < n; i++)
		c = c << 6 | (s[i] & 0x3f);
	*p = s + n;
	return c;
}

/* An input and the place of its name in DIR's listing. */
struct listed {
	const struct sfile *f;
	size_t place;
};

/* Two inputs in the order of Python's sorted() on their names. */
static int
cmp_python(const void *x, const void *y)
{
	const unsigned char *a =
		(const unsigned char *)((const struct listed *)x)->f->name;
	const unsigned char *b =
		(const unsigned char *)((const struct listed *)y)->f->name;
	unsigned long ca, cb;

	while (*a && *b) {
		ca = next_code(&a);
		cb = next_code(&b);
		if (ca != cb)
			return ca < cb ? -1 : 1;
	}
	return (*a != 0) - (*b != 0);
}

static int
cmp_listed_name(const void *x, const void *y)
{
	return strcmp(((const struct listed *)x)->f->name,
		      ((const struct listed *)y)->f->name);
}

static int
cmp_listed_place(const void *x, const void *y)
{
	const struct listed *a = x, *b = y;

	return (a->place > b->place) - (a->place < b->place);
}

/* Put l[] in the order in which DIR lists its names (readdir(3), what
 * Python's os.scandir() and glob.glob() return); a name no longer listed
 * goes last. */
static void
order_listed(struct stage *stg, struct listed *l, size_t n)
{
	struct listed key = { 0 }, *hit;
	struct sfile probe = { 0 };
	struct dirent *de;
	size_t i, place = 0;
	DIR *d;

	for (i = 0; i < n; i++)
		l[i].place = (size_t)-1;
	qsort(l, n, sizeof(*l), cmp_listed_name);
	if ((d = opendir(stg->realdir)) != NULL) {
		while ((de = readdir(d)) != NULL) {
			probe.name = de->d_name;
			key.f = &probe;
			hit = bsearch(&key, l, n, sizeof(*l), cmp_listed_name);
			if (hit != NULL && hit->place == (size_t)-1)
				hit->place = place++;
		}
		closedir(d);
	}
	qsort(l, n, sizeof(*l), cmp_listed_place);
}

/* The inputs, in the order in which coverage.py's own `coverage combine
 * DIR` reads them, which fixes the ids of files and contexts in the
 * combined file (and so the order of a line's contexts in some reports):
 * 7.4.4 and later sort the names (sorted); before, the directory's own
 * order. The caller knows the version when there is more than one input:
 * the search for coverage.py must have ended. */
static struct listed *
read_order(struct stage *stg, bool sorted, size_t *n)
{
	const struct settle *s = stg->s;
	struct listed *in;
	size_t i;

	in = xcalloc(settle_nfiles(s) + 1, sizeof(*in));
	for (*n = 0, i = 0; i < settle_nfiles(s); i++)
		if (stage_is_input(settle_file(s, i)))
			in[(*n)++].f = settle_file(s, i);
	if (*n < 2)
		return in;
	stg->sorted = sorted;
	if (stg->sorted)
		qsort(in, *n, sizeof(*in), cmp_python);
	else
		order_listed(stg, in, *n);
	return in;
}

/* The staging directory and its in/, with the OWNER file. */
int
stage_open(struct stage *stg)
{
	if (fmt(stg->path, sizeof(stg->path), "%s/" STAGE_TEMPLATE,
		stg->realdir) < 0 ||
	    mkdtemp(stg->path) == NULL) {
		stg->path[0] = '\0';
		stg->status = STAGE_ERROR;
		return seterr(stg->msg,
			      "cannot create a staging directory in "
			      "%s: %s",
			      stg->shown, strerror(errno));
	}
	/* Only a hint for the next gather: without it, a staging directory
	 * is left alone while young. A full disk is told by the copies. */
	stage_own(stg->path);
	if (fmt(stg->in, sizeof(stg->in), "%s/in", stg->path) < 0 ||
	    mkdir(stg->in, 0700) < 0 ||
	    fmt(stg->combined, sizeof(stg->combined), "%s/%s", stg->path,
		STAGE_COMBINED) < 0) {
		stg->status = STAGE_ERROR;
		return seterr(stg->msg, "cannot create %s: %s", stg->in,
			      strerror(errno));
	}
	return 0;
}

/* Stage every input. Links or copies: an input is staged as a hard link to the
 * user's file (no data copied, no blocks written), and as a copy only where no
 * link can be made (another filesystem, protected_hardlinks, the link limit).
 * The native combine (combine.c) opens its inputs read-only and
 * immutable. coverage.py's combine (--keep) only reads an input that
 * passed its check, a complete schema 7 file, but before 7.17 opens it
 * read-write, and turns its journal off, which rewrites the header of a
 * WAL-mode file: before it combines, stage_copy_linked() replaces the links
 * that it could write through by copies. Either way
 * stage_unchanged() compares every user's file with what settled after
 * the combine, which reads the file itself through a link. */
int
stage_inputs(struct stage *stg, bool sorted, bool by_link)
{
	struct listed *in;
	char dst[PATH_MAX];
	size_t i, n;

	in = read_order(stg, sorted, &n);
	/* combined.N, N as wide as the last: the names sort in that order */
	for (i = n; i >= 10; i /= 10)
		stg->width++;
	stg->staged = xcalloc(n + 1, sizeof(*stg->staged));
	for (i = 0; i < n; i++) {
		const struct sfile *f = in[i].f;
		struct staged *sg = &stg->staged[stg->n];

		sg->f = f;
		if (stage_name(stg, dst, sizeof(dst), stg->n) < 0) {
			free(in);
			stg->status = STAGE_ERROR;
			return seterr(stg->msg, "cannot stage %s: %s", f->name,
				      strerror(errno));
		}
		stg->n++;
		if (stage_one(stg, f, dst, sg, by_link) < 0) {
			free(in);
			return -1;
		}
	}
	free(in);
	return 0;
}

/* Is the file at path in WAL mode (header bytes 18 and 19 are 2), or
 * unreadable there? Then coverage.py would write into it. */
static bool
wal_mode(const char *path)
{
	unsigned char head[20];
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	bool wal = fd < 0 || pread(fd, head, sizeof(head), 0) != sizeof(head) ||
		   head[18] != 1 || head[19] != 1;

	if (fd >= 0)
		close(fd);
	return wal;
}

/* Before coverage.py combines: replace every input staged as a hard link
 * by a copy of the user's file, checked as stage_one() checks it, unless
 * coverage.py said that its combine opens inputs read-only (7.17) and the
 * file is no WAL-mode one. A version that opens them read-write writes a
 * schema into a file it finds empty: a writer covsettle did not see,
 * truncating a user's file during the combine, would have coverage.py
 * write into it through the link. The link goes first
 * and the copy takes its name: no reader is there yet, and a rename over
 * the link would make ext4 write the copy out at once (auto_da_alloc).
 * 0, or -1 with the status set. */
int
stage_copy_linked(struct stage *stg, bool reads_only)
{
	char dst[PATH_MAX];
	long i;

	for (i = 0; i < stg->n; i++) {
		struct staged *sg = &stg->staged[i];

		if (!sg->linked || (reads_only && !wal_mode(sg->path)))
			continue;
		free(sg->path);
		sg->path = NULL;
		sg->linked = false;
		if (stage_name(stg, dst, sizeof(dst), i) < 0 ||
		    unlink(dst) < 0) {
			stg->status = STAGE_ERROR;
			return seterr(stg->msg, "cannot stage %s: %s",
				      sg->f->name, strerror(errno));
		}
		if (stage_one(stg, sg->f, dst, sg, false) < 0)
			return -1;
	}
	return 0;
}

/* After combine: is every input still what was staged? Settled means
 * settled: a change is a writer covsettle did not see. 0, or -1 with
 * the status set. */
int
stage_unchanged(struct stage *stg, const char *when)
{
	char src[PATH_MAX];
	struct stat st;
	long i;

	for (i = 0; i < stg->n; i++) {
		const struct staged *sg = &stg->staged[i];

		if (fmt(src, sizeof(src), "%s/%s", stg->realdir, sg->f->name) <
			    0 ||
		    lstat(src, &st) < 0 || !same_file(&st, &sg->f->sig) ||
		    stat(sg->path, &st) < 0 || !same_stat(&st, &sg->st))
			return changed(stg, sg->f, when);
	}
	return 0;
}

/* --no-keep: remove the inputs that are still what settled. */
void
stage_delete_inputs(const struct stage *stg)
{
	const struct settle *s = stg->s;
	char path[PATH_MAX];
	struct stat st;
	size_t i;

	for (i = 0; i < settle_nfiles(s); i++) {
		const struct sfile *f = settle_file(s, i);

		if (stage_is_input(f) &&
		    fmt(path, sizeof(path), "%s/%s", stg->realdir, f->name) ==
			    0 &&
		    lstat(path, &st) == 0 && same_file(&st, &f->sig))
			unlink(path);
	}
}

/* Remove the directory name in dirfd and the files in it; with subdir,
 * also called for each directory in it (one level: what a stage holds).
 * Symlinks are removed, never followed. */
static void
remove_files(int dirfd, const char *name,
	     void (*subdir)(int dirfd, const char *name))
{
	struct dirent *de;
	DIR *d;
	int fd;

	fd = openat(dirfd, name,
		    O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 || (d = fdopendir(fd)) == NULL) {
		if (fd >= 0)
			close(fd);
		return;
	}
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0 ||
		    unlinkat(fd, de->d_name, 0) == 0)
			continue;
		if (subdir != NULL && (errno == EISDIR || errno == EPERM))
			subdir(fd, de->d_name);
	}
	closedir(d);
	unlinkat(dirfd, name, AT_REMOVEDIR);
}

/* Remove a directory inside a stage, in/ or one a report made. */
static void
remove_subdir(int dirfd, const char *name)
{
	remove_files(dirfd, name, NULL);
}

/* Is the staging directory name in dirfd in use by a live gather? */
static bool
stage_in_use(int dirfd, const char *name)
{
	char path[NAME_MAX + sizeof(STAGE_OWNER) + 2];
	unsigned long long start;
	struct stat st;
	FILE *f;
	int pid, n;

	if (fmt(path, sizeof(path), "%s/" STAGE_OWNER, name) < 0)
		return true;
	n = openat(dirfd, path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (n < 0 || (f = fdopen(n, "r")) == NULL) {
		if (n >= 0)
			close(n);
		/* No owner yet, or a gather of old: young means in use. */
		return fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
		       time(NULL) - st.st_mtime < STAGE_YOUNG_S;
	}
	n = fscanf(f, "%d %llu", &pid, &start);
	fclose(f);
	return n == 2 && pid > 0 && start > 0 && pid_started(pid) == start;
}

/* The sweep, by each staging directory's OWNER file. */
int
stage_sweep(const char *dir)
{
	struct dirent *de;
	int removed = 0;
	DIR *d;

	if ((d = opendir(dir)) == NULL)
		return 0;
	while ((de = readdir(d)) != NULL)
		if (strncmp(de->d_name, STAGE_PREFIX, strlen(STAGE_PREFIX)) ==
			    0 &&
		    !stage_in_use(dirfd(d), de->d_name)) {
			remove_files(dirfd(d), de->d_name, remove_subdir);
			removed++;
		}
	closedir(d);
	return removed;
}

/* Which inputs are gone from DIR, and whether DIR itself is. */
long
stage_gone(const struct stage *stg, const struct stat *dir, long *n,
	   bool *replaced, char ***lost, size_t *nlost)
{
	const struct settle *s = stg->s;
	char path[PATH_MAX];
	struct stat st;
	long gone = 0;
	size_t i;

	/* The staging directory gone too: DIR was emptied, or replaced by
	 * a directory that may have the same inode number. */
	*replaced = stat(stg->realdir, &st) < 0 || st.st_dev != dir->st_dev ||
		    st.st_ino != dir->st_ino ||
		    (stg->path[0] != '\0' && lstat(stg->path, &st) < 0 &&
		     errno == ENOENT);
	for (*n = 0, i = 0; i < settle_nfiles(s); i++) {
		const struct sfile *f = settle_file(s, i);

		if (!stage_is_input(f))
			continue;
		(*n)++;
		if (fmt(path, sizeof(path), "%s/%s", stg->realdir, f->name) !=
			    0 ||
		    lstat(path, &st) == 0 || errno != ENOENT)
			continue;
		gone++;
		if (settle_fresh(s, f)) {
			*lost = xrealloc(*lost, (*nlost + 1) * sizeof(**lost));
			(*lost)[(*nlost)++] = xstrdup(f->name);
		}
	}
	return gone;
}

/* Remove the staging directory: only entries covsettle made. */
void
stage_close(struct stage *stg)
{
	const char *dirs[] = { stg->in, stg->path };
	struct dirent *de;
	size_t i;
	DIR *d;

	for (i = 0; i < 2; i++) {
		if (dirs[i][0] == '\0' || (d = opendir(dirs[i])) == NULL)
			continue;
		while ((de = readdir(d)) != NULL)
			if (strcmp(de->d_name, ".") != 0 &&
			    strcmp(de->d_name, "..") != 0)
				unlinkat(dirfd(d), de->d_name, 0);
		closedir(d);
		rmdir(dirs[i]);
	}
	for (i = 0; stg->staged != NULL && i < (size_t)stg->n; i++)
		free(stg->staged[i].path);
	free(stg->staged);
	stg->staged = NULL;
}

/* How many inputs the settled files hold. */
size_t
stage_ninputs(const struct settle *s)
{
	size_t i, n = 0;

	for (i = 0; i < settle_nfiles(s); i++)
		n += stage_is_input(settle_file(s, i));
	return n;
}
