/* genproc.c: the process facts behind the generation rule (generation.c),
 * read from /proc.
 *
 * A writer is read when its data file first shows up: it is usually still
 * saving then (its parent and start time survive its exit only until it
 * is reaped). A writer already gone is looked up in the snapshot taken
 * when the watch started. Its number is evidence only when it is the
 * writer here: it has the data file open, or it is a Python process of
 * this PID namespace (writer_is_here(): writer.c's rule, kept there once).
 * Otherwise, and for files written on another host or with no pid in
 * their name, the writer is unseen: no generation is known for it, and
 * the result says so. Members are kept with their start time, so a
 * number reused by a later process is never taken for a member; one seen
 * alive that exits with no data file named after it (genproc_named()) is
 * coverage missing (genproc_silent()). */
#include "genproc.h"
#include "util.h"
#include "writer.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* Siblings forked further apart than this are of different bursts:
 * gunicorn sleeps up to 100 ms between two workers, and forks of a large
 * Python on a loaded machine take tens of ms more. */
#define GEN_GAP_MS  500
#define MAX_MEMBERS 4096

/* A set of nonzero 64-bit keys, open addressing: thousands of writers
 * cost no more than a few. */
struct keyset {
	uint64_t *v;
	size_t n, cap;
};

static bool
keyset_has(const struct keyset *k, uint64_t key)
{
	size_t i;

	if (k->cap == 0)
		return false;
	for (i = key & (k->cap - 1); k->v[i] != 0; i = (i + 1) & (k->cap - 1))
		if (k->v[i] == key)
			return true;
	return false;
}

/* Put key, not there, into a table with room. */
static void
keyset_put(struct keyset *k, uint64_t key)
{
	size_t i;

	for (i = key & (k->cap - 1); k->v[i] != 0; i = (i + 1) & (k->cap - 1))
		;
	k->v[i] = key;
	k->n++;
}

/* Add key; false when it was there. */
static bool
keyset_add(struct keyset *k, uint64_t key)
{
	uint64_t *old = k->v;
	size_t i, oldcap = k->cap;

	if (keyset_has(k, key))
		return false;
	if (2 * (k->n + 1) > k->cap) {
		k->cap = k->cap ? 2 * k->cap : 64;
		k->v = xcalloc(k->cap, sizeof(*k->v));
		k->n = 0;
		for (i = 0; i < oldcap; i++)
			if (old[i] != 0)
				keyset_put(k, old[i]);
		free(old);
	}
	keyset_put(k, key);
	return true;
}

/* The key of a pid, or of a string (FNV-1a). */
static uint64_t
pid_key(pid_t pid)
{
	return (uint64_t)(uint32_t)pid * 0x9E3779B97F4A7C15ULL | 1;
}

static uint64_t
str_key(const char *s)
{
	uint64_t h = 1469598103934665603ULL;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return h | 1;
}

struct member {
	pid_t pid;
	unsigned long long start;
	bool seen_alive; /* alive when recorded, or in the snapshot */
};

struct genproc {
	struct gen_proc *snap; /* every process when the watch started */
	size_t nsnap;
	pid_t *ancestors; /* covsettle and its ancestors */
	size_t nancestors;
	unsigned long long trigger; /* ticks, or 0 */
	struct member *members;
	size_t nmembers, capmembers;
	struct keyset writers; /* pids of the recorded writers */
	struct keyset named;   /* pids of this host named by data files */
	struct keyset unseen;  /* keys of the unseen writers */
	char unseen_name[NAME_MAX + 1];
	char unseen_why[96];
};

bool
genproc_read(pid_t pid, struct gen_proc *p)
{
	char path[64], buf[1024], *open_paren, *end, *tok;
	ssize_t n;
	int fd, i;
	char state;

	if (fmt(path, sizeof(path), "/proc/%d/stat", (int)pid) < 0 ||
	    (fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return false;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return false;
	buf[n] = '\0';
	/* pid (comm) state ppid ...: comm may hold spaces and parentheses. */
	if ((open_paren = strchr(buf, '(')) == NULL ||
	    (end = strrchr(buf, ')')) == NULL || end < open_paren ||
	    sscanf(end + 1, " %c %d", &state, &p->ppid) != 2)
		return false;
	memset(p->comm, 0, sizeof(p->comm));
	snprintf(p->comm, sizeof(p->comm), "%.*s", (int)(end - open_paren - 1),
		 open_paren + 1);
	p->pid = pid;
	p->alive = state != 'Z' && state != 'X' && state != 'x';
	/* starttime is field 22: the 20th space after the comm's ')' (the
	 * first) precedes it. */
	for (i = 0, tok = end + 1; i < 19 && tok != NULL; i++)
		tok = strchr(tok + 1, ' ');
	if (tok == NULL)
		return false;
	p->start = strtoull(tok + 1, NULL, 10);
	return true;
}

/* Clock ticks since boot, now: the unit of starttime. */
static unsigned long long
ticks_now(void)
{
	struct timespec boot;
	long hz = sysconf(_SC_CLK_TCK);

	if (hz <= 0 || clock_gettime(CLOCK_BOOTTIME, &boot) < 0)
		return 0;
	return (unsigned long long)boot.tv_sec * (unsigned long long)hz +
	       (unsigned long long)boot.tv_nsec * (unsigned long long)hz /
		       1000000000ULL;
}

static bool
is_pid_name(const char *s)
{
	for (; *s; s++)
		if (!isdigit((unsigned char)*s))
			return false;
	return true;
}

/* Append the process pid to *v (n, cap): false when it is gone. */
static bool
push_proc(struct gen_proc **v, size_t *n, size_t *cap, pid_t pid)
{
	if (*n == *cap) {
		*cap = *cap ? 2 * *cap : 64;
		*v = xrealloc(*v, *cap * sizeof(**v));
	}
	if (!genproc_read(pid, &(*v)[*n]))
		return false;
	(*n)++;
	return true;
}

/* Every process of /proc into *v. */
static void
read_all(struct gen_proc **v, size_t *n, size_t *cap)
{
	struct dirent *de;
	DIR *d;

	if ((d = opendir("/proc")) == NULL)
		return;
	while ((de = readdir(d)) != NULL)
		if (isdigit((unsigned char)de->d_name[0]) &&
		    is_pid_name(de->d_name))
			push_proc(v, n, cap,
				  (pid_t)strtol(de->d_name, NULL, 10));
	closedir(d);
}

/* The children of ppid, from /proc/PPID/task/TID/children (each thread's
 * forks); every process when that file is missing. */
static void
read_children(pid_t ppid, struct gen_proc **v, size_t *n, size_t *cap)
{
	char path[96], buf[4096], *p, *end;
	struct dirent *de;
	bool any = false;
	ssize_t len;
	DIR *d;
	int fd;

	if (fmt(path, sizeof(path), "/proc/%d/task", (int)ppid) < 0 ||
	    (d = opendir(path)) == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		if (!is_pid_name(de->d_name) ||
		    fmt(path, sizeof(path), "/proc/%d/task/%s/children",
			(int)ppid, de->d_name) < 0 ||
		    (fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
			continue;
		any = true;
		len = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		if (len <= 0)
			continue;
		buf[len] = '\0';
		for (p = buf;; p = end) {
			long c = strtol(p, &end, 10);

			if (end == p)
				break;
			push_proc(v, n, cap, (pid_t)c);
		}
	}
	closedir(d);
	if (!any)
		read_all(v, n, cap);
}

struct genproc *
genproc_new(void)
{
	struct genproc *g = xcalloc(1, sizeof(*g));
	size_t cap = 0, capanc = 0;
	struct gen_proc p;
	pid_t pid = getpid();

	read_all(&g->snap, &g->nsnap, &cap);
	while (pid > 1 && g->nancestors < 64) {
		if (g->nancestors == capanc) {
			capanc = capanc ? 2 * capanc : 8;
			g->ancestors =
				xrealloc(g->ancestors, capanc * sizeof(pid_t));
		}
		g->ancestors[g->nancestors++] = pid;
		if (!genproc_read(pid, &p))
			break;
		pid = p.ppid;
	}
	return g;
}

void
genproc_free(struct genproc *g)
{
	if (g == NULL)
		return;
	free(g->unseen.v);
	free(g->snap);
	free(g->ancestors);
	free(g->members);
	free(g->writers.v);
	free(g->named.v);
	free(g);
}

void
genproc_trigger(struct genproc *g)
{
	g->trigger = ticks_now();
}

/* A writer whose generation cannot be seen, once per key. */
static void
unseen(struct genproc *g, const char *key, const char *name, const char *why)
{
	if (!keyset_add(&g->unseen, str_key(key)))
		return;
	if (g->unseen.n == 1) {
		snprintf(g->unseen_name, sizeof(g->unseen_name), "%s", name);
		snprintf(g->unseen_why, sizeof(g->unseen_why), "%s", why);
	}
}

/* The facts of the writer pid of the file name in dirfd, when it is the
 * writer here: alive and holding the file or a Python process of this
 * PID namespace; else (gone, or exiting: its executable and descriptors
 * are released before it is a zombie) the same process in the snapshot. */
static bool
writer_facts(struct genproc *g, int dirfd, const char *name, pid_t pid,
	     struct gen_proc *w)
{
	bool alive = genproc_read(pid, w) && w->alive;
	size_t i;

	if (alive && writer_is_here(pid, dirfd, name))
		return true;
	for (i = 0; i < g->nsnap; i++)
		if (g->snap[i].pid == pid &&
		    (!alive || g->snap[i].start == w->start)) {
			*w = g->snap[i];
			return true;
		}
	return false;
}

static bool
ancestor(const struct genproc *g, pid_t pid)
{
	size_t i;

	for (i = 0; i < g->nancestors; i++)
		if (g->ancestors[i] == pid)
			return true;
	return false;
}

static void
add_member(struct genproc *g, const struct gen_proc *p)
{
	size_t i;

	for (i = 0; i < g->nmembers; i++)
		if (g->members[i].pid == p->pid &&
		    g->members[i].start == p->start) {
			g->members[i].seen_alive |= p->alive;
			return;
		}
	if (g->nmembers == MAX_MEMBERS)
		return;
	if (g->nmembers == g->capmembers) {
		g->capmembers = g->capmembers ? 2 * g->capmembers : 16;
		g->members = xrealloc(g->members,
				      g->capmembers * sizeof(*g->members));
	}
	g->members[g->nmembers].pid = p->pid;
	g->members[g->nmembers].seen_alive = p->alive;
	g->members[g->nmembers++].start = p->start;
}

/* Record w's generation: its siblings now and in the snapshot. */
static void
record(struct genproc *g, const struct gen_proc *w)
{
	struct gen_rule r = { 0, g->trigger };
	struct gen_proc *sib = NULL;
	size_t n = 0, cap = 0, i, k, *idx;
	long hz = sysconf(_SC_CLK_TCK);

	r.gap = (unsigned long long)(hz > 0 ? hz : 100) * GEN_GAP_MS / 1000;
	read_children(w->ppid, &sib, &n, &cap);
	for (i = 0; i < g->nsnap; i++) {
		if (g->snap[i].ppid != w->ppid)
			continue;
		for (k = 0; k < n && sib[k].pid != g->snap[i].pid; k++)
			;
		if (k == n) {
			if (n == cap) {
				cap = cap ? 2 * cap : 16;
				sib = xrealloc(sib, cap * sizeof(*sib));
			}
			/* Gone since the watch started: seen alive then,
			 * when the snapshot says so. */
			sib[n++] = g->snap[i];
		}
	}
	idx = xcalloc(n ? n : 1, sizeof(*idx));
	k = generation_of(w, sib, n, &r, idx, n);
	for (i = 0; i < k && i < n; i++)
		if (!ancestor(g, sib[idx[i]].pid))
			add_member(g, &sib[idx[i]]);
	free(idx);
	free(sib);
}

void
genproc_writer(struct genproc *g, int dirfd, const char *name, bool ours,
	       pid_t pid)
{
	struct gen_proc w;
	char key[NAME_MAX + 16];

	if (!ours || pid <= 0) {
		snprintf(key, sizeof(key), "name:%s", name);
		unseen(g, key, name,
		       pid <= 0 ? "its name has no writer pid"
				: "written on another host");
		return;
	}
	if (keyset_has(&g->writers, pid_key(pid)))
		return;
	if (!writer_facts(g, dirfd, name, pid, &w)) {
		snprintf(key, sizeof(key), "pid:%d", (int)pid);
		unseen(g, key, name, "its writer's pid is not visible here");
		return;
	}
	keyset_add(&g->writers, pid_key(pid));
	record(g, &w);
}

long
genproc_alive(struct genproc *g, pid_t *pid)
{
	struct gen_proc p;
	long n = 0;
	size_t i;

	*pid = 0;
	for (i = 0; i < g->nmembers; i++) {
		if (!genproc_read(g->members[i].pid, &p) || !p.alive ||
		    p.start != g->members[i].start)
			continue;
		if (n++ == 0)
			*pid = p.pid;
	}
	return n;
}

void
genproc_named(struct genproc *g, bool ours, pid_t pid)
{
	if (ours && pid > 0)
		keyset_add(&g->named, pid_key(pid));
}

long
genproc_silent(const struct genproc *g, pid_t *pid)
{
	struct gen_proc p;
	size_t i;
	long n = 0;

	*pid = 0;
	for (i = 0; i < g->nmembers; i++) {
		const struct member *m = &g->members[i];

		if (!m->seen_alive || (genproc_read(m->pid, &p) && p.alive &&
				       p.start == m->start))
			continue;
		if (keyset_has(&g->named, pid_key(m->pid)))
			continue;
		if (n++ == 0)
			*pid = m->pid;
	}
	return n;
}

long
genproc_unseen(const struct genproc *g)
{
	return (long)g->unseen.n;
}

const char *
genproc_unseen_name(const struct genproc *g)
{
	return g->unseen_name;
}

const char *
genproc_unseen_why(const struct genproc *g)
{
	return g->unseen_why;
}
