/* cmd_check.c: `covsettle check PATH...`: one verdict per data file, for
 * files named on the command line or every data file of a directory. Its
 * options are read by cli.c, from the table all three commands share. */
#include "check.h"
#include "cli.h"
#include "cmd_check.h"
#include "exitcode.h"
#include "names.h"
#include "output.h"
#include "pool.h"
#include "sig.h"
#include "util.h"
#include "watch.h"
#include "writer.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The command line, and the count of files checked so far. */
struct tally {
	const struct cli *c;
	long checked, bad;
};

/* Print the verdict r on name in dirfd (shown as shown), and its JSON
 * item. Main thread only: the writer tests take a lease, whose break
 * signals the process, and keep state of their own. */
static void
report(struct tally *t, int dirfd, const char *realdir, const char *shown,
       const char *name, const struct check_result *r)
{
	char extra[192] = "";
	struct writer_proc wp;

	if (realdir != NULL && r->verdict != V_MISSING) {
		/* Say why it may still change (a writer at work), or why an
		 * unfinished save never will. */
		switch (writer_at_work(dirfd, name, true, 0, &wp)) {
		case WR_WRITING:
			snprintf(extra, sizeof(extra),
				 "; open for writing by a process");
			break;
		case WR_KEPT:
			snprintf(extra, sizeof(extra),
				 "; its writer, pid %d, may be running (%s)",
				 (int)wp.pid, wp.evidence);
			break;
		case WR_ALIVE:
			snprintf(extra, sizeof(extra),
				 "; its writer, pid %d (%s), is running",
				 (int)wp.pid, wp.comm);
			break;
		case WR_GONE: /* and no rename will come */
			if (name_unfinished(name))
				snprintf(extra, sizeof(extra),
					 "; its writer, pid %d, exited before "
					 "finishing its save",
					 (int)wp.pid);
			break;
		case WR_UNPROBED:
		case WR_UNKNOWN:
		case WR_QUIET:
			break;
		}
	}
	if (t->c->json) {
		printf("%s", t->checked ? "," : "");
		json_file(stdout, "path", shown, r);
	} else if (r->verdict != V_OK || t->c->level != LV_QUIET) {
		out_result("%s: %s: %s%s", shown, verdict_name(r->verdict),
			   r->reason, extra);
	}
	t->checked++;
	t->bad += r->verdict != V_OK;
}

/* Check name in dirfd into r (any thread). */
static void
verdict(int dirfd, const char *realdir, const char *name,
	struct check_result *r)
{
	if (realdir == NULL) {
		memset(r, 0, sizeof(*r));
		r->verdict = V_MISSING;
		snprintf(r->reason, sizeof(r->reason), "no such directory");
	} else {
		check_file(dirfd, realdir, name, r);
	}
}

/* Files in flight: checked on the pool's threads, reported in order by
 * the main thread. A ring of WINDOW slots holds the results between. */
#define WINDOW 128

struct slot {
	struct check_result r;
	int dirfd;	  /* PATH mode: the file's directory, or -1 */
	char *realdir;	  /* PATH mode: its canonical path, or NULL */
	char *copy;	  /* PATH mode: a copy of PATH, cut by basename() */
	const char *name; /* PATH mode: the file's name in its directory */
};

struct batch {
	struct tally *t;
	char *const *names; /* a directory's names, or PATH arguments */
	const char *dir;    /* the directory as given, or NULL: PATHs */
	int dirfd;
	const char *realdir;
	struct slot slot[WINDOW];
};

static void
batch_work(void *ctx, size_t i)
{
	struct batch *b = ctx;
	struct slot *s = &b->slot[i % WINDOW];
	char *a, *dir;

	if (b->dir != NULL) {
		verdict(b->dirfd, b->realdir, b->names[i], &s->r);
		return;
	}
	/* A single file: checked in its own directory. dirname() returns
	 * a static "." for a name without '/', not the buffer it cut. */
	a = xstrdup(b->names[i]);
	s->copy = xstrdup(b->names[i]);
	s->name = basename(s->copy);
	dir = dirname(a);
	s->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	s->realdir = s->dirfd >= 0 ? realpath(dir, NULL) : NULL;
	free(a);
	verdict(s->dirfd, s->realdir, s->name, &s->r);
}

static void
batch_done(void *ctx, size_t i)
{
	struct batch *b = ctx;
	struct slot *s = &b->slot[i % WINDOW];
	const char *dir = b->dir;
	char shown[PATH_MAX];

	if (dir == NULL) {
		report(b->t, s->dirfd, s->realdir, b->names[i], s->name, &s->r);
		if (s->dirfd >= 0)
			close(s->dirfd);
		free(s->realdir);
		free(s->copy);
		return;
	}
	if (fmt(shown, sizeof(shown), "%s%s%s", dir,
		dir[strlen(dir) - 1] == '/' ? "" : "/", b->names[i]) < 0)
		snprintf(shown, sizeof(shown), "%s", b->names[i]);
	report(b->t, b->dirfd, b->realdir, shown, b->names[i], &s->r);
}

/* Check names[0..n) and report each in order, on the pool's threads
 * when there are enough. */
static void
batch_run(struct tally *t, const char *dir, int dirfd, const char *realdir,
	  char *const *names, size_t n)
{
	struct batch *b = xcalloc(1, sizeof(*b));

	b->t = t;
	b->names = names;
	b->dir = dir;
	b->dirfd = dirfd;
	b->realdir = realdir;
	pool_run(n, WINDOW, check_threads(n), batch_work, batch_done, b);
	free(b);
}

static int
by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The names watch_scan_dir() finds, collected for sorting. */
struct names {
	char **v;
	size_t n, cap;
};

static void
add_name(void *ctx, const char *name, const struct stat *st)
{
	struct names *l = ctx;

	(void)st;
	if (l->n == l->cap) {
		l->cap = l->cap ? 2 * l->cap : 64;
		l->v = xrealloc(l->v, l->cap * sizeof(*l->v));
	}
	l->v[l->n++] = xstrdup(name);
}

/* Every data file of the directory path, in name order. */
static int
scan_dir(struct tally *t, const char *path)
{
	struct names l = { 0 };
	char *real;
	size_t i;
	int fd;

	if ((fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0 ||
	    watch_scan_dir(fd, t->c->o.pattern, add_name, &l) < 0) {
		out_error("%s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		for (i = 0; i < l.n; i++)
			free(l.v[i]);
		free(l.v);
		return -1;
	}
	real = realpath(path, NULL);
	if (l.n > 0)
		qsort(l.v, l.n, sizeof(*l.v), by_name);
	if (l.n == 0)
		out_warn(false, "%s: no data files matching %s", path,
			 t->c->o.pattern);
	batch_run(t, path, fd, real, l.v, l.n);
	for (i = 0; i < l.n; i++)
		free(l.v[i]);
	free(l.v);
	free(real);
	close(fd);
	return 0;
}

/* Is argv[i] a file to check on its own (not empty, not a directory)? */
static bool
is_file_arg(const char *arg)
{
	struct stat st;

	return arg[0] != '\0' && !(stat(arg, &st) == 0 && S_ISDIR(st.st_mode));
}

int
cmd_check(int argc, char **argv)
{
	struct cli c = { .cmd = "check" };
	struct tally t = { &c, 0, 0 };
	int code, i, j, failed = 0;

	sig_ignore_lease_breaks();
	if ((code = cli_parse(argc, argv, &c)) >= 0)
		return code;
	out_init(c.level);
	if (c.json)
		printf("{\"command\":\"check\",\"files\":[");
	/* In the order given: each directory on its own, each run of files
	 * named on their own as one batch. */
	for (i = c.operands; i < argc; i = j) {
		for (j = i; j < argc && is_file_arg(argv[j]); j++)
			;
		if (j > i) {
			batch_run(&t, NULL, -1, NULL, argv + i,
				  (size_t)(j - i));
		} else if (argv[i][0] == '\0') {
			out_error("empty PATH");
			failed = 1;
			j++;
		} else {
			failed |= scan_dir(&t, argv[i]) < 0;
			j++;
		}
	}
	fflush(stdout);
	code = t.bad > 0 || failed ? EXIT_INVALID : EXIT_OK;
	if (c.json)
		printf("],\"checked\":%ld,\"invalid\":%ld,\"exit\":%d}\n",
		       t.checked, t.bad, code);
	return code;
}
