/* gather.c: coverage.py on exactly the files that settled.
 *
 * The inputs are staged (hard links for the native combine, copies for
 * coverage.py: see stage_inputs()) under names coverage.py globs for,
 * into a private staging directory,
 * DIR/.covsettle-gather.XXXXXX/in/combined.N, and `coverage combine
 * --keep` reads that directory: no command line grows with the number of
 * files (ARG_MAX), no late or failed file is read, coverage.py never
 * deletes an input (--no-keep is ours, done last) and never writes into
 * one (it writes a schema into a file it finds empty). Each input is
 * compared with what settled when it is staged and again after combine:
 * a change is a writer covsettle did not see. A symlink data file, which
 * check follows only to a file of DIR, stages that file. The
 * combined file is written as .../combined and checked like any data file.
 * Reports read it there, where its `combined.*` glob matches nothing, so
 * report commands that combine parallel files next to their data file
 * (coverage.py 7.14 and later) find none. Then it is moved to --data-file.
 * coverage.py exits 0 when it skipped a file with a warning, so its stderr
 * is read for warnings that name an input (account()). */
#include "gather.h"
#include "check.h"
#include "child.h"
#include "reports_py.h"

#include <ctype.h>
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
#include <sys/wait.h>
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
#define COMBINED       "combined"
/* coverage.py's exit status for a total below fail_under. */
#define COVERAGE_FAIL_UNDER 2

static const char *const skip_warnings[] = {
	"Couldn't use data file",
	"Couldn't combine",
	"No data to combine",
};

/* One staged input: the file its data was staged from. */
struct staged {
	const struct sfile *f;
	char *path;	/* DIR/name, or a symlink's target in DIR */
	struct stat st; /* that file when it was staged */
	bool linked;	/* staged as a hard link to it, not a copy */
};

struct gather {
	const struct gather_opts *o;
	struct gather_result *r;
	char stage[PATH_MAX]; /* the staging directory */
	char in[PATH_MAX];    /* its inputs directory */
	char combined[PATH_MAX];
	struct staged *staged; /* in/combined.N is staged[N] */
	bool coverage_ran;     /* coverage.py's combine ran, not the native */
	int width;	       /* digits of N in combined.N, less one */
	bool sorted;	       /* coverage.py reads a directory sorted */
};

/* Remove the staging directory: only entries covsettle made. */
static void
stage_remove(struct gather *g)
{
	const char *dirs[] = { g->in, g->stage };
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
}

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
static int
copy_fd(int in, int out)
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
static bool
is_input(const struct sfile *f)
{
	return settle_here(f) && !f->quarantined && f->checked &&
	       f->check.verdict == V_OK;
}

/* An input changed since it settled: not combining it. -1. */
static int
changed(struct gather *g, const struct sfile *f, const char *when)
{
	g->r->status = GS_CHANGED;
	return seterr(g->r->msg, "%s/%s changed %s; not combining",
		      g->o->c->o.dir, f->name, when);
}

/* Open f's file, if the name still is what settled and leads to the
 * file that was checked, filling sg; the descriptor, or -1 with the
 * status set. */
static int
open_settled(struct gather *g, const struct sfile *f, struct staged *sg)
{
	char src[PATH_MAX], *slash;
	size_t dl = strlen(g->o->realdir);
	struct stat st;
	int in;

	if (fmt(src, sizeof(src), "%s/%s", g->o->realdir, f->name) < 0) {
		g->r->status = GS_ERROR;
		return seterr(g->r->msg, "cannot stage %s: %s", f->name,
			      strerror(errno));
	}
	/* The name, file or symlink, is what settled; a symlink still leads
	 * to a file of DIR, as check allows. */
	if (lstat(src, &st) < 0 || !same_file(&st, &f->sig) ||
	    (sg->path = realpath(src, NULL)) == NULL ||
	    (slash = strrchr(sg->path, '/')) == NULL ||
	    (size_t)(slash - sg->path) != dl ||
	    strncmp(sg->path, g->o->realdir, dl) != 0)
		return changed(g, f, "after it settled");
	in = open(sg->path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (in < 0 || fstat(in, &sg->st) < 0 ||
	    !same_checked(&sg->st, &f->check)) {
		if (in >= 0)
			close(in);
		return changed(g, f, "after it settled");
	}
	return in;
}

/* Copy the open input in, which was as, to the new file dst; 0, or -1
 * with the status set. */
static int
copy_settled(struct gather *g, const struct sfile *f, int in,
	     const struct stat *as, const char *dst)
{
	struct stat st;
	int out, rc, e;

	out = open(dst, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	rc = out < 0 ? -1 : copy_fd(in, out);
	e = errno;
	if (out >= 0 && close(out) < 0 && rc == 0) {
		rc = -1;
		e = errno;
	}
	if (rc < 0) {
		g->r->status = GS_ERROR;
		return seterr(g->r->msg, "cannot stage %s: %s", f->name,
			      strerror(e));
	}
	/* Written to while copied: the copy may be half old, half new. */
	if (fstat(in, &st) < 0 || !same_stat(&st, as))
		return changed(g, f, "while it was staged");
	return 0;
}

/* Hard link sg's file as dst, if its path still leads to the file that
 * was opened: 0; 1 when no link can be made (a copy will do); -1 with
 * the status set. */
static int
link_settled(struct gather *g, struct staged *sg, const char *dst)
{
	struct stat st;

	if (link(sg->path, dst) < 0)
		return 1;
	if (lstat(dst, &st) == 0 && same_stat(&st, &sg->st))
		return 0;
	unlink(dst);
	return changed(g, sg->f, "while it was staged");
}

/* Stage f as dst, if it still is what settled and was checked: a hard
 * link when by_link is set and one can be made, else a copy. 0, or -1 with
 * the status set. */
static int
stage_one(struct gather *g, const struct sfile *f, const char *dst,
	  struct staged *sg, bool by_link)
{
	int in, rc = 1;

	if ((in = open_settled(g, f, sg)) < 0)
		return -1;
	if (by_link && (rc = link_settled(g, sg, dst)) == 0)
		sg->linked = true;
	if (rc > 0)
		rc = copy_settled(g, f, in, &sg->st, dst);
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
static int
staged_name(const struct gather *g, char *buf, size_t len, long i)
{
	return fmt(buf, len, "%s/%s.%0*ld", g->in, COMBINED, g->width + 1, i);
}

/* The code point at *p, as Python's os.fsdecode() reads a name (UTF-8,
 * each byte of an invalid sequence as U+DC80 to U+DCFF); moves *p on. */
static unsigned long
next_code(const unsigned char **p)
{
	const unsigned char *s = *p;
	unsigned long c;
	size_t n, i;

	if (s[0] < 0x80)
		n = 1;
	else if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		n = 3;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		n = 4;
	else
		n = 0;
	for (i = 1; i < n; i++)
		if ((s[i] & 0xc0) != 0x80)
			n = 0;
	if (n > 1 &&
	    ((s[0] == 0xe0 && s[1] < 0xa0) || (s[0] == 0xed && s[1] > 0x9f) ||
	     (s[0] == 0xf0 && s[1] < 0x90) || (s[0] == 0xf4 && s[1] > 0x8f)))
		n = 0;
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
order_listed(struct gather *g, struct listed *l, size_t n)
{
	struct listed key = { 0 }, *hit;
	struct sfile probe = { 0 };
	struct dirent *de;
	size_t i, place = 0;
	DIR *d;

	for (i = 0; i < n; i++)
		l[i].place = (size_t)-1;
	qsort(l, n, sizeof(*l), cmp_listed_name);
	if ((d = opendir(g->o->realdir)) != NULL) {
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
 * 7.4.4 and later sort the names; before, the directory's own order. The
 * version is the found command's: with more than one input, the search
 * must have ended (it ran during the wait). NULL with the status set. */
static struct listed *
combine_order(struct gather *g, size_t *n)
{
	const struct settle *s = g->o->s;
	struct listed *in;
	int signo;
	size_t i;

	in = xcalloc(settle_nfiles(s) + 1, sizeof(*in));
	for (*n = 0, i = 0; i < settle_nfiles(s); i++)
		if (is_input(settle_file(s, i)))
			in[(*n)++].f = settle_file(s, i);
	if (*n < 2)
		return in;
	if (g->o->find->state != FIND_FOUND &&
	    coverage_find_wait(g->o->find, g->o->sigfd, cli_deadline(g->o->c),
			       &signo) != FIND_FOUND) {
		free(in);
		g->r->status = signo ? GS_SIGNAL : GS_FAILED;
		g->r->signo = signo;
		seterr(g->r->msg, "%s", g->o->find->err);
		return NULL;
	}
	g->sorted = coverage_sorts_inputs(g->o->find->version);
	if (g->sorted)
		qsort(in, *n, sizeof(*in), cmp_python);
	else
		order_listed(g, in, *n);
	return in;
}

/* Stage every input; 0, or -1 with the status set.
 *
 * Links or copies: an input is staged as a hard link to the user's file
 * (no data copied, no blocks written), and as a copy only where no link
 * can be made (another filesystem, protected_hardlinks, the link limit).
 * The native combine (combine.c) opens its inputs read-only and
 * immutable. coverage.py's combine (--keep) only reads an input that
 * passed its check, a complete schema 7 file, but before 7.17 opens it
 * read-write, and turns its journal off, which rewrites the header of a
 * WAL-mode file: before it combines, copy_linked() replaces the links
 * that it could write through by copies. Either way
 * inputs_unchanged() compares every user's file with what settled after
 * the combine, which reads the file itself through a link. */
static int
stage_inputs(struct gather *g)
{
	struct listed *in;
	char dst[PATH_MAX];
	size_t i, n;

	if (fmt(g->stage, sizeof(g->stage), "%s/" STAGE_TEMPLATE,
		g->o->realdir) < 0 ||
	    mkdtemp(g->stage) == NULL) {
		g->stage[0] = '\0';
		g->r->status = GS_ERROR;
		return seterr(g->r->msg,
			      "cannot create a staging directory in "
			      "%s: %s",
			      g->o->c->o.dir, strerror(errno));
	}
	/* Only a hint for the next gather: without it, a staging directory
	 * is left alone while young. A full disk is told by the copies. */
	stage_own(g->stage);
	if (fmt(g->in, sizeof(g->in), "%s/in", g->stage) < 0 ||
	    mkdir(g->in, 0700) < 0 ||
	    fmt(g->combined, sizeof(g->combined), "%s/%s", g->stage, COMBINED) <
		    0) {
		g->r->status = GS_ERROR;
		return seterr(g->r->msg, "cannot create %s: %s", g->in,
			      strerror(errno));
	}
	if ((in = combine_order(g, &n)) == NULL)
		return -1;
	/* combined.N, N as wide as the last: the names sort in that order */
	for (i = n; i >= 10; i /= 10)
		g->width++;
	g->staged = xcalloc(n + 1, sizeof(*g->staged));
	for (i = 0; i < n; i++) {
		const struct sfile *f = in[i].f;
		struct staged *sg = &g->staged[g->r->ninputs];

		sg->f = f;
		if (staged_name(g, dst, sizeof(dst), g->r->ninputs) < 0) {
			free(in);
			g->r->status = GS_ERROR;
			return seterr(g->r->msg, "cannot stage %s: %s", f->name,
				      strerror(errno));
		}
		g->r->ninputs++;
		if (stage_one(g, f, dst, sg, g->o->c->combine != CM_COVERAGE) <
		    0) {
			free(in);
			return -1;
		}
	}
	free(in);
	return 0;
}

/* What an input measured, for a message. */
static const char *
kind(const struct sfile *f)
{
	return f->check.arcs ? "branches" : "lines only";
}

/* coverage.py combines no line data with branch data, on any version,
 * and says so naming its private copies (or, before 7, no file at all).
 * Its rule, applied here in its order, before anything runs: the first
 * input with rows sets the kind of the combined data, and any later
 * input whose has_arcs says the other kind fails the combine (one
 * without rows before it never does). 0, or -1 with the status set,
 * naming the user's two files. */
static int
kinds_agree(struct gather *g)
{
	const struct sfile *first = NULL, *f;
	long i;

	for (i = 0; i < g->r->ninputs; i++) {
		f = g->staged[i].f;
		if (f->check.nodata)
			continue;
		if (first != NULL && f->check.arcs != first->check.arcs) {
			g->r->status = GS_FAILED;
			return seterr(g->r->msg,
				      "cannot combine %s/%s, which measured "
				      "%s, with %s/%s, which measured %s "
				      "(coverage.py combines no line data "
				      "with branch data); nothing is combined",
				      g->o->c->o.dir, f->name, kind(f),
				      g->o->c->o.dir, first->name, kind(first));
		}
		if (first == NULL && f->check.rows)
			first = f;
	}
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
static int
copy_linked(struct gather *g)
{
	char dst[PATH_MAX];
	long i;

	for (i = 0; i < g->r->ninputs; i++) {
		struct staged *sg = &g->staged[i];

		if (!sg->linked ||
		    (g->r->combine.reads_only && !wal_mode(sg->path)))
			continue;
		free(sg->path);
		sg->path = NULL;
		sg->linked = false;
		if (staged_name(g, dst, sizeof(dst), i) < 0 ||
		    unlink(dst) < 0) {
			g->r->status = GS_ERROR;
			return seterr(g->r->msg, "cannot stage %s: %s",
				      sg->f->name, strerror(errno));
		}
		if (stage_one(g, sg->f, dst, sg, false) < 0)
			return -1;
	}
	return 0;
}

/* After combine: is every input still what was staged? Settled means
 * settled: a change is a writer covsettle did not see. 0, or -1 with
 * the status set. */
static int
inputs_unchanged(struct gather *g)
{
	char src[PATH_MAX];
	struct stat st;
	long i;

	for (i = 0; i < g->r->ninputs; i++) {
		const struct staged *sg = &g->staged[i];

		if (fmt(src, sizeof(src), "%s/%s", g->o->realdir, sg->f->name) <
			    0 ||
		    lstat(src, &st) < 0 || !same_file(&st, &sg->f->sig) ||
		    stat(sg->path, &st) < 0 || !same_stat(&st, &sg->st))
			return changed(g, sg->f,
				       g->coverage_ran
					       ? "while coverage.py combined"
					       : "during the native combine");
	}
	return 0;
}

/* A coverage.py subcommand's words on the combined file. */
static void
sub_argv(struct gather *g, struct argv *a, const char *sub)
{
	argv_add(a, sub);
	argv_addf(a, "--data-file=%s", g->combined);
	if (g->o->c->rcfile != NULL)
		argv_addf(a, "--rcfile=%s", g->o->c->rcfile);
}

/* The coverage command's own words. */
static void
command_words(struct gather *g, struct argv *a)
{
	int i;

	for (i = 0; i < g->o->find->cmd.n; i++)
		argv_add(a, g->o->find->cmd.v[i]);
}

/* The words of a coverage.py subcommand on the combined file. */
static void
coverage_argv(struct gather *g, struct argv *a, const char *sub)
{
	command_words(g, a);
	sub_argv(g, a, sub);
}

/* Run argv as the next command of the record, shown there as line (which
 * the record takes). 0 when it ran to its end, whatever its status; -1
 * with the status set when it could not run or a signal stopped it. */
static int
record_run(struct gather *g, char *const argv[], char *line, int capture_out,
	   struct child_result *res)
{
	struct gather_cmd *cmd;

	memset(res, 0, sizeof(*res)); /* freed by the caller, whatever */
	if (g->r->ncmds == GATHER_MAX_CMDS) {
		free(line);
		g->r->status = GS_ERROR;
		return seterr(g->r->msg, "too many commands");
	}
	cmd = &g->r->cmds[g->r->ncmds++];
	cmd->line = line;
	if (child_run(argv, g->o->sigfd, g->o->c->json ? 2 : -1, capture_out,
		      CAPTURE_RELAY, CHILD_UNMEASURED, res, g->r->msg) < 0) {
		cmd->status = 127 << 8;
		g->r->status = GS_FAILED;
		return -1;
	}
	cmd->status = res->status;
	cmd->ms = res->ms;
	if (res->signo) {
		g->r->status = GS_SIGNAL;
		g->r->signo = res->signo;
		return -1;
	}
	return 0;
}

/* At most this much of a command line goes into a message: a longer one
 * loses a piece after its first two thirds (past the program and its
 * subcommand), so that how it ended and coverage.py's reason still fit. */
#define SHOWN_LINE 300

/* line as a message shows it: itself, or its ends around "...", in buf. */
static const char *
cut_line(const char *line, char buf[SHOWN_LINE + 1])
{
	size_t len = strlen(line), head = (SHOWN_LINE - 3) * 2 / 3;

	if (len <= SHOWN_LINE)
		return line;
	snprintf(buf, SHOWN_LINE + 1, "%.*s...%s", (int)head, line,
		 line + len - (SHOWN_LINE - 3 - head));
	return buf;
}

/* Run a; records it. 0 when it exited 0; else sets status and msg. */
static int
run_coverage(struct gather *g, struct argv *a, int capture_out,
	     struct child_result *res)
{
	char how[128], cut[SHOWN_LINE + 1];

	if (record_run(g, a->v, argv_text(a), capture_out, res) < 0)
		return -1;
	if (child_ok(res->status))
		return 0;
	if (WIFEXITED(res->status) &&
	    WEXITSTATUS(res->status) == COVERAGE_FAIL_UNDER &&
	    strcmp(a->v[g->o->find->cmd.n], "combine") != 0) {
		g->r->status = GS_BELOW;
		return -1;
	}
	child_describe(res->status, how, sizeof(how));
	g->r->status = GS_FAILED;
	return seterr(g->r->msg, "'%s' %s",
		      cut_line(g->r->cmds[g->r->ncmds - 1].line, cut), how);
}

/* The native combine (native.c) when --combine and coverage.py allow
 * it: 1 when it wrote the combined file, 0 when coverage.py is to
 * combine, -1 with the status set. */
static int
combine_native(struct gather *g)
{
	struct native_opts no = {
		.how = g->o->c->combine,
		.cmd = &g->o->find->cmd,
		.rcfile = g->o->c->rcfile,
		.indir = g->in,
		.output = g->combined,
		.sigfd = g->o->sigfd,
		.early = g->o->early,
	};

	switch (native_combine(&no, &g->r->combine, &g->r->signo, g->r->msg)) {
	case NATIVE_DONE:
		return 1;
	case NATIVE_DECLINED:
		return 0;
	case NATIVE_SIGNAL:
		g->r->status = GS_SIGNAL;
		return -1;
	case NATIVE_FULL: /* as a copy that finds no room: exit 7 */
		g->r->status = GS_ERROR;
		return seterr(g->r->msg,
			      "cannot write the combined data file: no space "
			      "left in %s (disk or quota full)",
			      g->o->c->o.dir);
	case NATIVE_FAILED:
		break;
	}
	g->r->status = GS_FAILED;
	return -1;
}

/* The staged input named in text at p: its number, or -1. The name is
 * ".covsettle-gather.XXXXXX/in/combined.N", relative or absolute. */
static long
staged_at(struct gather *g, const char *p, const char **end)
{
	char *e;
	long n;

	if (!isdigit((unsigned char)*p))
		return -1;
	n = strtol(p, &e, 10);
	*end = e;
	return n >= 0 && n < g->r->ninputs && !isdigit((unsigned char)*e) ? n
									  : -1;
}

/* Every staged input that a line of coverage.py's stderr names together
 * with one of warn_words, into bad[]; the reason given for the first one
 * named (what follows its name) into why. Returns how many. */
static long
named_inputs(struct gather *g, const char *text, bool *bad, long *first,
	     char *why, size_t whylen)
{
	static const char *const warn_words[] = { "Couldn't", "arning",
						  "isn't a coverage data" };
	char key[64];
	const char *line, *eol, *p, *end;
	long n, nbad = 0;
	size_t i, k;

	if (text == NULL || fmt(key, sizeof(key), "%s/in/%s.",
				strrchr(g->stage, '/') + 1, COMBINED) < 0)
		return 0;
	k = strlen(key);
	for (line = text; *line; line = *eol ? eol + 1 : eol) {
		eol = line + strcspn(line, "\n");
		for (i = 0; i < sizeof(warn_words) / sizeof(*warn_words); i++)
			if (memmem(line, (size_t)(eol - line), warn_words[i],
				   strlen(warn_words[i])) != NULL)
				break;
		if (i == sizeof(warn_words) / sizeof(*warn_words))
			continue;
		for (p = line;
		     (p = memmem(p, (size_t)(eol - p), key, k)) != NULL;
		     p = end) {
			end = p + k;
			if ((n = staged_at(g, end, &end)) < 0 || bad[n])
				continue;
			bad[n] = true;
			if (nbad++ == 0) {
				*first = n;
				end += strspn(end, "'\": ");
				snprintf(why, whylen, "%.*s",
					 (int)(eol - end < 200 ? eol - end
							       : 200),
					 end);
			}
		}
	}
	return nbad;
}

/* coverage.py combine exits 0 when it skipped an input it could not use
 * ("Couldn't use data file '...in/combined.3': ..."), on every version;
 * 7.14 and later also count it in a summary line that -q suppresses. The
 * warnings name the staged input: exit 5 naming the user's file. 0, or
 * -1 with the status set. */
static int
account(struct gather *g, const struct child_result *res)
{
	bool *bad = xcalloc((size_t)g->r->ninputs + 1, sizeof(*bad));
	char why[256] = "", more[64] = "";
	long nbad, first = 0;
	size_t k;

	nbad = named_inputs(g, res->errout, bad, &first, why, sizeof(why));
	free(bad);
	g->r->status = GS_FAILED;
	if (nbad > 1)
		snprintf(more, sizeof(more), ", nor %ld other input%s",
			 nbad - 1, nbad == 2 ? "" : "s");
	if (nbad > 0)
		return seterr(g->r->msg,
			      "coverage.py did not combine %s/%s (%s)%s; "
			      "nothing is combined",
			      g->o->c->o.dir, g->staged[first].f->name, why,
			      more);
	for (k = 0; k < sizeof(skip_warnings) / sizeof(*skip_warnings); k++)
		if (res->errout != NULL &&
		    strstr(res->errout, skip_warnings[k]))
			return seterr(g->r->msg,
				      "coverage.py skipped data that covsettle "
				      "had checked (\"%s\"); nothing is "
				      "combined",
				      skip_warnings[k]);
	g->r->status = GS_OK;
	return 0;
}

/* A command line of the inputs named one by one may grow up to this: far
 * below ARG_MAX (a quarter of the stack limit, 2 MiB by default). */
#define NAMED_INPUTS_MAX ((size_t)512 * 1024)

/* What coverage.py's combine reads: the inputs directory, which 7.4.4
 * and later read in the sorted order of the staged names, that is in
 * combine_order(); earlier versions read a directory in its own order, so
 * they are given the staged inputs one by one, in order (coverage.py
 * then keeps the order given), unless so many that the command line
 * would near ARG_MAX. */
static void
combine_inputs(struct gather *g, struct argv *a)
{
	char path[PATH_MAX];
	long i;

	if (g->sorted || g->r->ninputs < 2 ||
	    (size_t)g->r->ninputs * (strlen(g->in) + 32) >= NAMED_INPUTS_MAX) {
		argv_add(a, g->in);
		return;
	}
	/* Each name was made when it was staged: none too long. */
	for (i = 0; i < g->r->ninputs; i++)
		if (staged_name(g, path, sizeof(path), i) == 0)
			argv_add(a, path);
}

static int
combine(struct gather *g)
{
	struct child_result res;
	struct check_result cr;
	struct argv a = { 0 };
	int rc, dfd;

	if ((rc = combine_native(g)) != 0) {
		if (rc < 0)
			return -1;
		goto check;
	}
	if (copy_linked(g) < 0)
		return -1;
	coverage_argv(g, &a, "combine");
	argv_add(&a, "--keep");
	argv_add(&a, "-q");
	combine_inputs(g, &a);
	g->coverage_ran = true;
	rc = run_coverage(g, &a, 0, &res);
	argv_free(&a);
	if (rc == 0)
		rc = account(g, &res);
	free(res.out);
	free(res.errout);
	if (rc < 0)
		return -1;
check:
	dfd = open(g->stage, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	check_file(dfd, g->stage, COMBINED, &cr);
	if (dfd >= 0)
		close(dfd);
	if (cr.verdict != V_OK) {
		g->r->status = GS_FAILED;
		return seterr(g->r->msg, "the combined data file is %s: %s",
			      verdict_name(cr.verdict), cr.reason);
	}
	g->r->nodata = cr.nodata;
	return 0;
}

/* A named coverage command, or a candidate recognised as coverage.py,
 * combines while its --version may still run (it writes only into the staging
 * directory); before anything else it must have passed. When it failed
 * and a later candidate was found, that one combines again. Returns
 * whether the combined file is there, with the status set if not. */
static bool
confirm(struct gather *g, bool combined)
{
	char *used = argv_text(&g->o->find->cmd);
	int signo;

	if (coverage_find_wait(g->o->find, g->o->sigfd, cli_deadline(g->o->c),
			       &signo) == FIND_FOUND) {
		char *found = argv_text(&g->o->find->cmd);

		if (strcmp(used, found) != 0) {
			unlink(g->combined);
			g->r->status = GS_OK;
			g->r->msg[0] = '\0';
			combined = combine(g) == 0;
		}
		free(found);
		free(used);
		return combined;
	}
	free(used);
	if (signo) {
		g->r->status = GS_SIGNAL;
		g->r->signo = signo;
		return false;
	}
	g->r->status = GS_FAILED;
	seterr(g->r->msg, "%s", g->o->find->err);
	return false;
}

/* The total percentage of a text report, as a number (or -1) and as
 * coverage.py wrote it (with its rcfile's precision), whatever the
 * rcfile's [report] format: its TOTAL line ("TOTAL ... 88.82%"), the
 * markdown table's ("| **TOTAL** | ... | **88.82%** |"), or for format =
 * total, its first line, one number ("88.82"). */
static double
total_of(const char *text, char *shown, size_t len)
{
	const char *line, *pct, *start, *end;
	double v = -1;
	char *e;

	if (text == NULL)
		return -1;
	for (line = text; line != NULL && *line;
	     line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
		if (strncmp(line, "TOTAL ", 6) != 0 &&
		    strncmp(line, "| **TOTAL** ", 12) != 0)
			continue;
		end = strchr(line, '\n');
		if ((pct = memrchr(line, '%',
				   end ? (size_t)(end - line)
				       : strlen(line))) == NULL)
			break;
		for (start = pct;
		     start > line && start[-1] != ' ' && start[-1] != '*';
		     start--)
			;
		v = strtod(start, NULL);
		snprintf(shown, len, "%.*s", (int)(pct + 1 - start), start);
	}
	if (v >= 0 || !isdigit((unsigned char)text[0]))
		return v;
	/* format = total: a first line that is one number (what follows is
	 * coverage.py's own "Coverage failure: ..." under a fail-under). */
	v = strtod(text, &e);
	if (e == text || (*e != '\n' && *e != '\0') || v < 0 || v > 100)
		return -1;
	snprintf(shown, len, "%.*s%%", (int)(e - text), text);
	return v;
}

/* Write a text report to path, making the directories above it as
 * coverage.py does for its file reports. */
static int
write_text(struct gather *g, const char *path, const char *text)
{
	char dir[PATH_MAX], *slash;
	FILE *f;
	bool bad;

	if (fmt(dir, sizeof(dir), "%s", path) == 0 &&
	    (slash = strrchr(dir, '/')) != NULL && slash != dir) {
		*slash = '\0';
		if (make_dirs(dir, g->r->msg) < 0) {
			g->r->status = GS_ERROR;
			return -1;
		}
	}
	f = fopen(path, "we");
	bad = f == NULL;

	/* fclose() frees f even when it fails: exactly one call. */
	if (f != NULL) {
		bad = fputs(text, f) == EOF;
		bad |= fclose(f) == EOF;
	}
	if (bad) {
		g->r->status = GS_ERROR;
		return seterr(g->r->msg, "cannot write %s: %s", path,
			      strerror(errno));
	}
	return 0;
}

/* After the text report ran: its total, and its text where asked. */
static int
text_done(struct gather *g, const char *out)
{
	const struct cli *c = g->o->c;
	int i, rc = 0;

	g->r->total = total_of(out, g->r->total_text, sizeof(g->r->total_text));
	for (i = 0; i < c->nreports; i++) {
		const struct report *rep = &c->reports[i];

		if (rep->format != RF_TEXT)
			continue;
		if (rep->path == NULL && g->r->text == NULL)
			g->r->text = xstrdup(out);
		else if (rep->path != NULL && write_text(g, rep->path, out) < 0)
			rc = -1;
	}
	return rc;
}

/* A failed text report printed its reason ("No data to report.") on the
 * standard output that gather captured, not on standard error: end the
 * message with its last line, less the final period. */
static void
add_reason(struct gather *g, const char *out)
{
	const char *end = out + strlen(out), *line;
	size_t len = strlen(g->r->msg);

	while (end > out && strchr(" \t\r\n.", end[-1]) != NULL)
		end--;
	for (line = end; line > out && line[-1] != '\n'; line--)
		;
	if (end > line && len + 2 < sizeof(g->r->msg))
		snprintf(g->r->msg + len, sizeof(g->r->msg) - len, ": %.*s",
			 (int)(end - line), line);
}

/* The --report-option words of rep, after coverage.py's own, so that
 * its parser sees them as the user wrote them. */
static void
report_opts(struct argv *a, const struct report *rep)
{
	int i;

	for (i = 0; i < rep->nopts; i++)
		argv_add(a, rep->opts[i]);
}

/* Every text report is one `coverage report`: it takes the options of
 * each --report text, in order. */
static void
text_opts(struct argv *a, const struct cli *c)
{
	int i;

	for (i = 0; i < c->nreports; i++)
		if (c->reports[i].format == RF_TEXT)
			report_opts(a, &c->reports[i]);
}

/* The words after the coverage command: the text report (rep NULL), run
 * once for every --report text[=PATH] and for --fail-under (--json adds
 * no report: its total is the text report's, else null); or a file
 * report. */
static void
report_words(struct gather *g, struct argv *a, const struct report *rep)
{
	static const char *const sub[RF_COUNT] = {
		[RF_JSON] = "json",
		[RF_HTML] = "html",
		[RF_XML] = "xml",
		[RF_LCOV] = "lcov",
	};

	if (rep == NULL) {
		sub_argv(g, a, "report");
		if (g->o->c->fail_under != NULL)
			argv_addf(a, "--fail-under=%s", g->o->c->fail_under);
		text_opts(a, g->o->c);
		return;
	}
	sub_argv(g, a, sub[rep->format]);
	if (rep->path != NULL) {
		argv_add(a, rep->format == RF_HTML ? "-d" : "-o");
		argv_add(a, rep->path);
	}
	report_opts(a, rep);
}

/* One coverage.py command per report. */
static int
report_cmd(struct gather *g, const struct report *rep)
{
	struct child_result res;
	struct argv a = { 0 };
	int rc;

	command_words(g, &a);
	report_words(g, &a, rep);
	rc = run_coverage(g, &a, rep == NULL, &res);
	argv_free(&a);
	if (rc < 0 && g->r->status == GS_FAILED && res.out != NULL)
		add_reason(g, res.out);
	else if (rep == NULL && res.out != NULL && text_done(g, res.out) < 0)
		rc = -1;
	free(res.out);
	free(res.errout);
	return rc;
}

/* Read all of DIR/name (NUL-ended, malloc'd), or NULL. */
static char *
read_stage(struct gather *g, const char *name)
{
	char path[PATH_MAX], *buf = NULL;
	size_t len = 0;
	FILE *f;

	if (fmt(path, sizeof(path), "%s/%s", g->stage, name) < 0 ||
	    (f = fopen(path, "re")) == NULL)
		return NULL;
	if (getdelim(&buf, &len, '\0', f) < 0) {
		free(buf);
		buf = xstrdup("");
	}
	fclose(f);
	return buf;
}

/* The command line that writes every report from one process of py
 * (reports_py.c): `PY -c PROGRAM PROG STAGE N WORD...`, one N WORD...
 * per report, with the words report_cmd() would run. *shown is the line
 * for the record, which names the program "<covsettle-reports>" rather
 * than give its text. */
static void
reports_command(struct gather *g, const struct report **reps, int n,
		const struct argv *py, const char *prog, struct argv *a,
		char **shown)
{
	struct argv w;
	int i, k, script;

	for (i = 0; i < py->n; i++)
		argv_add(a, py->v[i]);
	argv_add(a, "-c");
	script = a->n;
	argv_add(a, "<covsettle-reports>");
	argv_add(a, prog);
	argv_add(a, g->stage);
	for (i = 0; i < n; i++) {
		memset(&w, 0, sizeof(w));
		report_words(g, &w, reps[i]);
		argv_addf(a, "%d", w.n);
		for (k = 0; k < w.n; k++)
			argv_add(a, w.v[k]);
		argv_free(&w);
	}
	*shown = argv_text(a);
	free(a->v[script]);
	a->v[script] = xstrdup(reports_py);
}

/* The statuses the one process wrote to the staging directory, one line
 * per report, taken in order as report_cmd() results would be; how_ended
 * is the process's wait status, for a report it never reached. 0 when
 * every report was written. */
static int
reports_statuses(struct gather *g, const struct report **reps, int n,
		 int how_ended)
{
	char *status, *text, *p, *line, how[128], cut[SHOWN_LINE + 1];
	struct argv w;
	int i, k, st;

	status = read_stage(g, "status");
	for (i = 0, p = status; i < n; i++) {
		memset(&w, 0, sizeof(w));
		command_words(g, &w);
		report_words(g, &w, reps[i]);
		line = argv_text(&w);
		argv_free(&w);
		st = -1;
		if (p != NULL && sscanf(p, "%d", &st) == 1)
			p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL;
		else
			p = NULL;
		text = reps[i] == NULL && st >= 0 ? read_stage(g, "report.txt")
						  : NULL;
		if (st == 0 || st == COVERAGE_FAIL_UNDER) {
			k = text != NULL ? text_done(g, text) : 0;
			free(text);
			free(line);
			if (k < 0)
				break;
			if (st != 0)
				g->r->status = GS_BELOW;
			continue;
		}
		g->r->status = GS_FAILED;
		if (st > 0) {
			seterr(g->r->msg,
			       "the %s report failed: '%s' returned status %d "
			       "(all reports in one coverage.py process)",
			       reps[i] ? report_format_name(reps[i]->format)
				       : "text",
			       cut_line(line, cut), st);
			if (text != NULL)
				add_reason(g, text);
		} else {
			child_describe(how_ended, how, sizeof(how));
			seterr(g->r->msg,
			       "the %s report was not written: '%s' %s",
			       reps[i] ? report_format_name(reps[i]->format)
				       : "text",
			       cut_line(g->r->cmds[g->r->ncmds - 1].line, cut),
			       how);
		}
		free(text);
		free(line);
		break;
	}
	free(status);
	return i == n ? 0 : -1;
}

/* Every report from one process of the coverage command's Python
 * (reports_py.c): the same commands as report_cmd() would run, each
 * through coverage.cmdline.main(), so the same files, messages and
 * statuses, with one Python start and one import of coverage.py instead
 * of one per report. */
static int
reports_together(struct gather *g, const struct report **reps, int n,
		 const struct argv *py, const char *prog)
{
	struct argv a = { 0 };
	struct child_result res;
	char *shown;
	int rc;

	reports_command(g, reps, n, py, prog, &a, &shown);
	rc = record_run(g, a.v, shown, 0, &res);
	argv_free(&a);
	free(res.out);
	free(res.errout);
	if (rc < 0)
		return -1;
	return reports_statuses(g, reps, n, res.status);
}

/* Can every text=PATH be written once the other reports ran? They are
 * written after all of them in one process, but after the text report
 * alone otherwise, so that a failure stops the rest: where it would fail
 * (a directory not made yet, or read-only), take that path instead. */
static bool
text_paths_writable(struct gather *g)
{
	const struct cli *c = g->o->c;
	char dir[PATH_MAX], *slash;
	int i;

	for (i = 0; i < c->nreports; i++) {
		const char *path = c->reports[i].path;

		if (c->reports[i].format != RF_TEXT || path == NULL)
			continue;
		if (fmt(dir, sizeof(dir), "%s", path) < 0)
			return false;
		if ((slash = strrchr(dir, '/')) != NULL)
			slash[slash == dir] = '\0';
		else
			snprintf(dir, sizeof(dir), ".");
		if (access(dir, W_OK | X_OK) < 0 ||
		    (access(path, F_OK) == 0 && access(path, W_OK) < 0))
			return false;
	}
	return true;
}

static int
reports(struct gather *g)
{
	const struct cli *c = g->o->c;
	const struct report *reps[MAX_REPORTS + 1];
	bool text = c->fail_under != NULL;
	struct argv py = { 0 };
	char prog[PATH_MAX];
	int i, n = 0, rc;

	for (i = 0; i < c->nreports; i++)
		text |= c->reports[i].format == RF_TEXT;
	if (text)
		reps[n++] = NULL;
	for (i = 0; i < c->nreports; i++)
		if (c->reports[i].format != RF_TEXT)
			reps[n++] = &c->reports[i];
	if (n > 0 && text_paths_writable(g) &&
	    coverage_python(&g->o->find->cmd, &py, prog, sizeof(prog))) {
		rc = reports_together(g, reps, n, &py, prog);
		argv_free(&py);
		return rc;
	}
	for (i = 0; i < n; i++)
		if (report_cmd(g, reps[i]) < 0 && g->r->status != GS_BELOW)
			return -1;
	return 0;
}

/* Copy src to dst through a temporary name (another filesystem). On
 * failure errno says why, not what the cleanup met. */
static int
copy_file(const char *src, const char *dst)
{
	char tmp[PATH_MAX];
	int in, out = -1, rc = -1, e;

	if (fmt(tmp, sizeof(tmp), "%s.covsettle-tmp", dst) < 0)
		return -1;
	if ((in = open(src, O_RDONLY | O_CLOEXEC)) < 0)
		return -1;
	out = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (out >= 0 && copy_fd(in, out) == 0 && fsync(out) == 0 &&
	    close(out) == 0) {
		out = -1;
		rc = rename(tmp, dst);
	}
	e = errno;
	if (out >= 0)
		close(out);
	close(in);
	if (rc < 0)
		unlink(tmp);
	errno = e;
	return rc;
}

/* Put the combined file at --data-file (its default is cli.c's). */
static int
place_combined(struct gather *g)
{
	const char *dest = g->o->c->data_file;

	g->r->data_file = dest;
	if (rename(g->combined, dest) == 0 ||
	    (errno == EXDEV && copy_file(g->combined, dest) == 0))
		return 0;
	g->r->status = GS_ERROR;
	g->r->data_file = NULL;
	return seterr(g->r->msg, "cannot write the combined data file %s: %s",
		      dest, strerror(errno));
}

/* --no-keep: remove the inputs that are still what settled. */
static void
delete_inputs(struct gather *g)
{
	const struct settle *s = g->o->s;
	char path[PATH_MAX];
	struct stat st;
	size_t i;

	for (i = 0; i < settle_nfiles(s); i++) {
		const struct sfile *f = settle_file(s, i);

		if (is_input(f) &&
		    fmt(path, sizeof(path), "%s/%s", g->o->realdir, f->name) ==
			    0 &&
		    lstat(path, &st) == 0 && same_file(&st, &f->sig))
			unlink(path);
	}
	g->r->deleted = true;
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

int
gather_sweep(const char *dir)
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

/* A gather that failed may have failed because its inputs were deleted
 * (an application that removes DIR and makes it again, as a hook may on a
 * restart): every later step fails for want of them, with messages about
 * a change, a missing path or coverage.py's status. When some input is
 * no longer in DIR, or DIR is another directory than when the gather
 * began (dir), that is what happened: GS_VANISHED says it. */
static void
vanished(struct gather *g, const struct stat *dir)
{
	const struct settle *s = g->o->s;
	char path[PATH_MAX];
	long gone = 0, n = 0;
	struct stat st;
	bool replaced;
	size_t i;

	if (g->r->status != GS_CHANGED && g->r->status != GS_FAILED &&
	    g->r->status != GS_ERROR)
		return;
	/* The staging directory gone too: DIR was emptied, or replaced by
	 * a directory that may have the same inode number. */
	replaced = stat(g->o->realdir, &st) < 0 || st.st_dev != dir->st_dev ||
		   st.st_ino != dir->st_ino ||
		   (g->stage[0] != '\0' && lstat(g->stage, &st) < 0 &&
		    errno == ENOENT);
	for (i = 0; i < settle_nfiles(s); i++) {
		const struct sfile *f = settle_file(s, i);

		if (!is_input(f))
			continue;
		n++;
		if (fmt(path, sizeof(path), "%s/%s", g->o->realdir, f->name) ==
			    0 &&
		    lstat(path, &st) < 0 && errno == ENOENT)
			gone++;
	}
	if (gone == 0 && !replaced)
		return;
	g->r->status = GS_VANISHED;
	g->r->combine.method = NULL; /* its reason was the inputs' loss */
	seterr(g->r->msg,
	       "%ld of the %ld data file%s that settled in %s %s deleted "
	       "before %s combined%s",
	       gone, n, n == 1 ? "" : "s", g->o->c->o.dir,
	       gone == 1 ? "was" : "were", gone == 1 ? "it was" : "they were",
	       replaced ? ", with the directory's other contents (removed, "
			  "or emptied)"
			: "");
}

enum gather_status
gather_run(const struct gather_opts *o, struct gather_result *r)
{
	struct gather g = { .o = o, .r = r };
	bool combined = false;
	struct stat dir = { 0 };
	long i;

	memset(r, 0, sizeof(*r));
	r->total = -1;
	r->status = GS_OK;
	(void)stat(o->realdir, &dir);
	if (stage_inputs(&g) == 0 && kinds_agree(&g) == 0) {
		combined = combine(&g) == 0;
		/* A command that does not run explains a failed combine. */
		if (r->status != GS_SIGNAL)
			combined = confirm(&g, combined);
		/* A changed input explains any failure but a signal. */
		if (r->status != GS_SIGNAL && inputs_unchanged(&g) < 0)
			combined = false;
		/* Nothing measured: coverage.py has no data to report, and
		 * every report would fail saying so. */
		if (combined && !r->nodata)
			reports(&g);
	}
	/* A verified combined file is kept even when a report failed. */
	if (combined && place_combined(&g) < 0)
		combined = false;
	if (!combined)
		vanished(&g, &dir);
	if (o->c->no_keep && combined &&
	    (r->status == GS_OK || r->status == GS_BELOW))
		delete_inputs(&g);
	stage_remove(&g);
	for (i = 0; g.staged != NULL && i < r->ninputs; i++)
		free(g.staged[i].path);
	free(g.staged);
	return r->status;
}

void
gather_free(struct gather_result *r)
{
	int i;

	for (i = 0; i < r->ncmds; i++)
		free(r->cmds[i].line);
	free(r->text);
}
