/* settle_gone.c: the table's files that go and come back.
 *
 * A data file that leaves DIR during the wait is kept as vanished
 * (struct vanished, settle.h says when it is a loss): settle_gone() for
 * a file no longer there, settle_deleted() for one deleted for sure, and
 * settle_scan_end() for the files a full scan did not see again.
 *
 * A rename is one data file under two names (settle_gone() keeps the old
 * name as vanished but renamable; the same inode under a new name takes
 * it back, and so does the finished name of the save the old name began,
 * the base both share, where a rename changes the inode; a scan that sees
 * the new name before it misses the old one drops the old one quietly):
 * never a loss, counted once, and, when its size and mtime are
 * unchanged (coverage.py's rename), no change at all: the new name keeps
 * the old one's window, and the directory's last change goes back to what
 * it was before the old name went, if nothing else happened since. */
#include "settle.h"
#include "names.h"
#include "settle_int.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

/* Same contents: a rename changes the ctime, never the size or mtime. */
static bool
same_contents(off_t size, const struct timespec *mtime, const struct fsig *sig)
{
	return size == sig->size && mtime->tv_sec == sig->mtime.tv_sec &&
	       mtime->tv_nsec == sig->mtime.tv_nsec;
}

/* Was name (a finished era-3 name, ...x.H<hash>h) made by renaming the
 * unfinished name `before` (the base both share)? Copies that base into
 * before and returns true. */
static bool
finished_save(const char *name, char *before, size_t len)
{
	struct name_fields nf;

	if (!name_parse(name, &nf) || nf.era != ERA_RENAME || nf.unfinished ||
	    nf.base_len >= len)
		return false;
	memcpy(before, name, nf.base_len);
	before[nf.base_len] = '\0';
	return true;
}

/* Is a file that had name `old`, inode dev/ino, now the file name with
 * signature sig? The same inode; or, where a rename may change the inode
 * (some FUSE filesystems), the finished name of the save `old` began, its
 * contents unchanged. */
static bool
same_file(const char *old, dev_t dev, ino_t ino, off_t size,
	  const struct timespec *mtime, const char *name,
	  const struct fsig *sig)
{
	char before[256];

	if (dev == sig->dev && ino == sig->ino)
		return true;
	return same_contents(size, mtime, sig) &&
	       finished_save(name, before, sizeof(before)) &&
	       strcmp(before, old) == 0;
}

/* A file showed up that vanished under another name: a rename. The old
 * name is no loss; when the contents are the same, the new name carries
 * on with the old one's window (the rename that ends a save of
 * coverage.py 7.13.1 and later is no new change). Returns true then. */
static bool
unvanish(struct settle *s, struct sfile *f, const struct fsig *sig)
{
	struct vanished *v;
	bool same;
	size_t i;

	for (i = 0; i < s->nvanished; i++) {
		v = &s->vanished[i];
		if (!v->renamable ||
		    !same_file(v->name, v->dev, v->ino, v->size, &v->mtime,
			       f->name, sig))
			continue;
		f->counts |= v->counts;
		same = same_contents(v->size, &v->mtime, sig);
		if (same) {
			f->changed_at = v->changed_at;
			if (s->last_change == v->gone_at)
				s->last_change = v->prev_change;
		}
		free(v->name);
		s->vanished[i] = s->vanished[--s->nvanished];
		return same;
	}
	return false;
}

/* A present file other than f with f's inode, or NULL. */
static struct sfile *
other_name(const struct settle *s, const struct sfile *f,
	   const struct fsig *sig)
{
	size_t i;

	for (i = 0; i < s->nfiles; i++)
		if (&s->files[i] != f && s->files[i].present &&
		    s->files[i].sig.dev == sig->dev &&
		    s->files[i].sig.ino == sig->ino)
			return &s->files[i];
	return NULL;
}

/* The present file that a scan finds renamed to name, a finished era-3
 * name, under the unfinished name they share: or NULL. (A scan sees the
 * new name before it misses the old one.) */
static struct sfile *
renamed_by_scan(const struct settle *s, const char *name,
		const struct fsig *sig)
{
	char before[256];
	struct sfile *old;

	if (!finished_save(name, before, sizeof(before)) ||
	    (old = settle_find(s, before)) == NULL || !old->present ||
	    !same_file(old->name, old->sig.dev, old->sig.ino, old->sig.size,
		       &old->sig.mtime, name, sig))
		return NULL;
	return old;
}

/* A fresh file, new or back: a rename, by a scan that still sees the
 * old name or of a name that vanished? (settle_int.h) */
bool
settle_came_back(struct settle *s, struct sfile *f, const struct fsig *sig,
		 enum origin origin)
{
	struct sfile *old;

	if (origin == SEEN_RESCAN &&
	    (old = renamed_by_scan(s, f->name, sig)) != NULL) {
		/* settle_scan_end() drops the old name quietly. */
		old->renamed = true;
		f->counts |= old->counts;
		if (!same_contents(old->sig.size, &old->sig.mtime, sig))
			return false;
		f->changed_at = old->changed_at;
		return true;
	}
	return unvanish(s, f, sig);
}

static struct vanished *
add_vanished(struct settle *s, const char *name, dev_t dev, ino_t ino,
	     bool renamable)
{
	struct vanished *v;

	if (s->nvanished == s->capvanished) {
		s->capvanished = s->capvanished ? s->capvanished * 2 : 8;
		s->vanished = xrealloc(s->vanished,
				       s->capvanished * sizeof(*s->vanished));
	}
	v = &s->vanished[s->nvanished++];
	memset(v, 0, sizeof(*v));
	v->name = xstrdup(name);
	v->dev = dev;
	v->ino = ino;
	v->renamable = renamable;
	return v;
}

/* Mark f gone, a change unless quiet; returns true when it was present
 * and counted. */
static bool
mark_gone(struct settle *s, struct sfile *f, msec_t now, bool quiet)
{
	if (!f->present)
		return false;
	f->present = false;
	f->checked = false;
	if (f->quarantined)
		return false;
	if (!quiet)
		settle_note_change(s, now);
	return f->counts;
}

void
settle_gone(struct settle *s, const char *name, msec_t now)
{
	struct sfile *f = settle_find(s, name);
	msec_t before = s->last_change;
	struct vanished *v;

	if (f == NULL || !mark_gone(s, f, now, false))
		return;
	v = add_vanished(s, name, f->sig.dev, f->sig.ino, true);
	v->size = f->sig.size;
	v->mtime = f->sig.mtime;
	v->changed_at = f->changed_at;
	v->gone_at = now;
	v->prev_change = before;
	v->counts = f->counts;
	v->loss = settle_fresh(s, f);
}

void
settle_deleted(struct settle *s, const char *name, msec_t now)
{
	struct sfile *f = settle_find(s, name);
	size_t i;

	/* Already gone (a scan missed it first): now known deleted. */
	for (i = 0; i < s->nvanished; i++)
		if (strcmp(s->vanished[i].name, name) == 0) {
			s->vanished[i].renamable = false;
			return;
		}
	if (f == NULL || (!f->present && !f->quarantined)) {
		/* Never stat'ed: created and deleted between two looks. */
		settle_note_change(s, now);
		if (f == NULL || f->counts || !s->o.new_only)
			add_vanished(s, name, 0, 0, false)->loss =
				f == NULL || settle_fresh(s, f);
	} else if (mark_gone(s, f, now, false)) {
		add_vanished(s, name, f->sig.dev, f->sig.ino, false)->loss =
			settle_fresh(s, f);
	}
}

void
settle_scan_begin(struct settle *s)
{
	s->scan++;
}

void
settle_scan_end(struct settle *s, msec_t now)
{
	size_t i;

	/* A scan sees a rename's new name before it misses the old one. */
	for (i = 0; i < s->nfiles; i++) {
		struct sfile *f = &s->files[i];

		if (!f->present || f->scan == s->scan)
			continue;
		if (f->renamed || other_name(s, f, &f->sig) != NULL) {
			/* Renamed: settle_seen() saw the new name. */
			f->renamed = false;
			mark_gone(s, f, now, true);
			continue;
		}
		settle_gone(s, f->name, now);
	}
}

size_t
settle_nvanished(const struct settle *s)
{
	return s->nvanished;
}

const struct vanished *
settle_vanished(const struct settle *s, size_t i)
{
	assert(i < s->nvanished);
	return &s->vanished[i];
}

long
settle_nlost(const struct settle *s)
{
	long n = 0;
	size_t i;

	for (i = 0; i < s->nvanished; i++)
		n += s->vanished[i].loss;
	return n;
}

bool
settle_fresh(const struct settle *s, const struct sfile *f)
{
	return f->counts && f->changed_at >= s->o.since;
}

void
settle_told(struct settle *s, size_t i)
{
	assert(i < s->nvanished);
	s->vanished[i].told = true;
}
