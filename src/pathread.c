/* pathread.c: the inputs' file paths, read while the wait checks them.
 *
 * The native combine asks coverage.py how it stores every distinct file
 * path of the inputs (choice.c). Reading those paths from 1,000 staged
 * inputs after the wait costs an open of each; the wait's check has each
 * file open already. So the check, once a file's structure passed, reads
 * its file table too, in the same read transaction (check_file_read()):
 * what is kept is exactly the contents checked. Entries are keyed by the
 * file's device and inode, and hold the size and mtime the check saw; a
 * file checked again replaces its entry. A file written within the clock
 * tick of the check's stat could be written again with the same size and
 * mtime: its entry says nothing is known (git's "racily clean" index
 * entries, the same rule).
 *
 * The paths are used only for inputs that are the very file read,
 * unchanged: a staged input (a hard link to the settled file) with the
 * same device, inode, size and mtime. Any input that is not (a copy, a
 * file written since, one whose check read nothing) makes the caller
 * read every input anew, as before. Were a set ever stale all the same,
 * it would still map no path wrongly, since coverage.py maps each path
 * on its own: an input holding a path not in the set is refused by the
 * union (combine.c: "a path that covsettle did not ask coverage.py to
 * map"), and coverage.py combines.
 *
 * The same read keeps the file's rows for the union (combine_read_db()),
 * which would otherwise open and read each staged input again after the
 * wait: it takes them (pathread_input()) under the same rule, the very
 * file read, unchanged, and reads the input itself otherwise. Rows are
 * kept up to PATHREAD_KEEP_MAX bytes in all; past that, the union reads
 * the rest as before. */
#include "pathread.h"
#include "check.h"
#include "combine_read.h"
#include "util.h"

#include <pthread.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* The most bytes of rows kept for the union, all files together. */
#define PATHREAD_KEEP_MAX ((size_t)64 << 20)

/* One file's paths, in its file table's order, each ended by a NUL; and
 * its rows, when kept. */
struct entry {
	dev_t dev;
	ino_t ino; /* 0: a free slot */
	off_t size;
	struct timespec mtime;
	char *blob;
	size_t len;	  /* bytes of blob */
	size_t n;	  /* paths in it */
	struct input *in; /* its rows, or NULL */
	size_t inbytes;	  /* what they hold (combine_read_bytes()) */
};

struct pathread {
	pthread_mutex_t lock; /* entries are added on the checking threads */
	struct entry *v;      /* open addressing by (dev, ino) */
	size_t cap;	      /* a power of 2, or 0 */
	size_t used;
	size_t kept; /* bytes of the rows kept, all entries */
	struct check_reader reader;
};

/* Free the rows e keeps. */
static void
drop_rows(struct pathread *p, struct entry *e)
{
	if (e->in == NULL)
		return;
	combine_read_free(e->in);
	free(e->in);
	e->in = NULL;
	p->kept -= e->inbytes;
	e->inbytes = 0;
}

/* The rows of db, read for the union, or NULL where they cannot be (the
 * union then reads the input itself, and says why). */
static struct input *
read_rows(sqlite3 *db)
{
	struct input *in = xcalloc(1, sizeof(*in));

	in->path = "(being checked)";
	in->mapped = true;
	in->mode = -1;
	combine_read_db(in, db);
	if (in->s == COMBINE_OK)
		return in;
	combine_read_free(in);
	free(in);
	return NULL;
}

static size_t
slot_hash(dev_t dev, ino_t ino)
{
	uint64_t h = ((uint64_t)dev * 0x9E3779B97F4A7C15u) ^ (uint64_t)ino;

	h ^= h >> 29;
	h *= 0xBF58476D1CE4E5B9u;
	return (size_t)(h ^ (h >> 32));
}

/* The slot of (dev, ino) in v (cap of them, one free at least): its
 * entry, or the free slot where it goes. */
static struct entry *
slot_find(struct entry *v, size_t cap, dev_t dev, ino_t ino)
{
	size_t i = slot_hash(dev, ino) & (cap - 1);

	while (v[i].ino != 0 && (v[i].dev != dev || v[i].ino != ino))
		i = (i + 1) & (cap - 1);
	return &v[i];
}

/* Room for one more entry, the table at most half full. */
static void
grow(struct pathread *p)
{
	struct entry *old = p->v;
	size_t i, cap = p->cap;

	if (2 * (p->used + 1) <= p->cap)
		return;
	p->cap = cap ? 2 * cap : 256;
	p->v = xcalloc(p->cap, sizeof(*p->v));
	for (i = 0; i < cap; i++)
		if (old[i].ino != 0)
			*slot_find(p->v, p->cap, old[i].dev, old[i].ino) =
				old[i];
	free(old);
}

/* The file table of db: its paths into *blob (*len bytes, *n paths), 0;
 * or -1 on any row that is not an id and a path (the caller's own read
 * then says what is wrong). */
static int
read_paths(sqlite3 *db, char **blob, size_t *len, size_t *n)
{
	sqlite3_stmt *st = NULL;
	size_t cap = 0, k;
	const char *text;
	int rc;

	*blob = NULL;
	*len = *n = 0;
	if (sqlite3_prepare_v2(db, "SELECT id, path FROM file", -1, &st,
			       NULL) != SQLITE_OK) {
		sqlite3_finalize(st);
		return -1;
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		text = (const char *)sqlite3_column_text(st, 1);
		k = (size_t)sqlite3_column_bytes(st, 1);
		if (sqlite3_column_type(st, 0) != SQLITE_INTEGER ||
		    sqlite3_column_type(st, 1) != SQLITE_TEXT || text == NULL ||
		    memchr(text, '\0', k) != NULL)
			break;
		while (*len + k + 1 > cap) {
			cap = cap ? 2 * cap : 1024;
			*blob = xrealloc(*blob, cap);
		}
		memcpy(*blob + *len, text, k + 1);
		*len += k + 1;
		(*n)++;
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		free(*blob);
		*blob = NULL;
		return -1;
	}
	return 0;
}

/* The check's reader (any thread): keep the paths of the file r names,
 * read in its open connection db; or, where they cannot be trusted, keep
 * that nothing is known of it. A file last written at or after stat_ns
 * (the clock tick of the check's stat) may be written again within that
 * tick, its size and mtime the same: what is read of it is not kept. */
static void
keep_paths(void *ctx, struct sqlite3 *db, const struct check_result *r,
	   int64_t stat_ns)
{
	struct pathread *p = ctx;
	struct entry e = {
		.dev = r->dev, .ino = r->ino, .size = r->size, .mtime = r->mtime
	};
	struct entry *at;
	bool ok, room;

	if (r->ino == 0)
		return;
	ok = (int64_t)r->mtime.tv_sec * 1000000000 + r->mtime.tv_nsec <
		     stat_ns &&
	     read_paths(db, &e.blob, &e.len, &e.n) == 0;
	/* A file bigger than the room left is not read for rows at all:
	 * they would be let go, the union reading them again. */
	pthread_mutex_lock(&p->lock);
	room = p->kept + (size_t)r->size <= PATHREAD_KEEP_MAX;
	pthread_mutex_unlock(&p->lock);
	if (ok && room && (e.in = read_rows(db)) != NULL)
		e.inbytes = combine_read_bytes(e.in);
	pthread_mutex_lock(&p->lock);
	grow(p);
	at = slot_find(p->v, p->cap, e.dev, e.ino);
	if (at->ino != 0) {
		free(at->blob);
		drop_rows(p, at);
		p->used--;
		at->blob = NULL;
	}
	if (e.in != NULL && p->kept + e.inbytes > PATHREAD_KEEP_MAX) {
		combine_read_free(e.in);
		free(e.in);
		e.in = NULL;
		e.inbytes = 0;
	}
	if (ok) {
		*at = e;
		p->kept += e.inbytes;
		p->used++;
	} else {
		/* Nothing known of it: a miss, so the caller reads it. */
		at->ino = r->ino;
		at->dev = r->dev;
		at->size = -1;
		p->used++;
	}
	pthread_mutex_unlock(&p->lock);
}

struct pathread *
pathread_new(void)
{
	struct pathread *p;

	if (!sqlite_setup())
		return NULL;
	p = xcalloc(1, sizeof(*p));
	if (pthread_mutex_init(&p->lock, NULL) != 0) {
		free(p);
		return NULL;
	}
	p->reader.read = keep_paths;
	p->reader.ctx = p;
	return p;
}

void
pathread_free(struct pathread *p)
{
	size_t i;

	if (p == NULL)
		return;
	for (i = 0; i < p->cap; i++) {
		free(p->v[i].blob);
		drop_rows(p, &p->v[i]);
	}
	free(p->v);
	pthread_mutex_destroy(&p->lock);
	free(p);
}

const struct check_reader *
pathread_reader(struct pathread *p)
{
	return p != NULL ? &p->reader : NULL;
}

/* A set of strings (their own copies, handed out at the end), in the
 * order added: the distinct paths. */
struct strset {
	char **v; /* in order */
	size_t n, vcap;
	size_t *slot; /* index + 1 into v, or 0: free; cap a power of 2 */
	size_t cap;
};

static size_t
str_hash(const char *s)
{
	uint64_t h = 0xCBF29CE484222325u;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 0x100000001B3u;
	return (size_t)h;
}

/* Add s unless the set has it. */
static void
strset_add(struct strset *t, const char *s)
{
	size_t i, k;

	if (2 * (t->n + 1) > t->cap) {
		free(t->slot);
		t->cap = t->cap ? 2 * t->cap : 256;
		t->slot = xcalloc(t->cap, sizeof(*t->slot));
		for (k = 0; k < t->n; k++) {
			i = str_hash(t->v[k]) & (t->cap - 1);
			while (t->slot[i] != 0)
				i = (i + 1) & (t->cap - 1);
			t->slot[i] = k + 1;
		}
	}
	if (t->n + 1 >= t->vcap) {
		t->vcap = t->vcap ? 2 * t->vcap : 256;
		t->v = xrealloc(t->v, t->vcap * sizeof(*t->v));
	}
	i = str_hash(s) & (t->cap - 1);
	while (t->slot[i] != 0) {
		if (strcmp(t->v[t->slot[i] - 1], s) == 0)
			return;
		i = (i + 1) & (t->cap - 1);
	}
	t->v[t->n] = xstrdup(s);
	t->slot[i] = ++t->n;
}

int
pathread_paths(struct pathread *p, const char *const *inputs, size_t n,
	       char ***paths, size_t *npaths)
{
	size_t *got; /* each input's slot in p->v */
	struct strset t = { 0 };
	struct stat st;
	const char *s;
	size_t i, k;

	if (p == NULL || p->cap == 0)
		return 0;
	got = xcalloc(n + 1, sizeof(*got));
	/* The checking threads are done: the wait has ended. */
	for (i = 0; i < n; i++) {
		const struct entry *e;

		if (stat(inputs[i], &st) < 0)
			break;
		e = slot_find(p->v, p->cap, st.st_dev, st.st_ino);
		if (e->ino == 0 || e->size != st.st_size ||
		    e->mtime.tv_sec != st.st_mtim.tv_sec ||
		    e->mtime.tv_nsec != st.st_mtim.tv_nsec)
			break;
		got[i] = (size_t)(e - p->v);
	}
	if (i < n) {
		free(got);
		return 0;
	}
	for (i = 0; i < n; i++) {
		const struct entry *e = &p->v[got[i]];

		for (k = 0, s = e->blob; k < e->n; k++, s += strlen(s) + 1)
			strset_add(&t, s);
	}
	free(got);
	free(t.slot);
	if (t.v == NULL)
		t.v = xcalloc(1, sizeof(*t.v));
	t.v[t.n] = NULL;
	*paths = t.v;
	*npaths = t.n;
	return 1;
}

struct input *
pathread_input(struct pathread *p, const char *path)
{
	struct input *in = NULL;
	struct entry *e;
	struct stat st;

	if (p == NULL || p->cap == 0 || stat(path, &st) < 0)
		return NULL;
	pthread_mutex_lock(&p->lock);
	e = slot_find(p->v, p->cap, st.st_dev, st.st_ino);
	if (e->ino != 0 && e->in != NULL && e->size == st.st_size &&
	    e->mtime.tv_sec == st.st_mtim.tv_sec &&
	    e->mtime.tv_nsec == st.st_mtim.tv_nsec) {
		in = e->in;
		e->in = NULL;
		p->kept -= e->inbytes;
		e->inbytes = 0;
	}
	pthread_mutex_unlock(&p->lock);
	return in;
}
