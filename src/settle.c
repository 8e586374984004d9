/* settle.c: the table of a directory's data files and the settle rule.
 *
 * THE SETTLE RULE. The directory has settled when all of these hold at once:
 *
 *   0. the --trigger command, if any, has exited with status 0;
 *   1. at least --expect data files count: present now, or moved to
 *      quarantine by us (with --new-only, a file counts only once it was
 *      created or written after the watch was armed);
 *   2. nothing changed for the --debounce window: no data file created,
 *      written, closed after writing, renamed or deleted, no SQLite side
 *      file of one changed, no trigger exit, no lost events. `last_change`
 *      is the newest of those moments; a file found by the first scan
 *      changed when its mtime says, so a directory that is already quiet
 *      settles at once;
 *   3. every counted file has no writer at work (WR_WRITING: some process
 *      has it open for writing; WR_ALIVE: the pid in its name is alive
 *      here and can be its writer) and its verdict is ok.
 *
 * Conditions 0 to 2 are cheap and tested first; 3 costs a stat, a lease and
 * an SQLite read per file, so it runs only once the window has passed, and
 * only for files whose verdict is stale (`checked` is cleared by every
 * change). settle_evaluate() applies the rule; the comments beside
 * check_stale() and in settle_evaluate() say how files are checked early,
 * after lost events, when their writer is gone, and when they are busy.
 * A failing file is final when nothing can mend it: settle_invalid().
 * At the timeout the caller asks settle_expire() whether only failing
 * files are left, which then fail too, or it is a real timeout.
 *
 * There is no timer of the rule's own: while waiting, `struct settle_wait`
 * tells the caller when the rule can next change without an event (the
 * end of the quiet window, a busy retry, or the exit of one live writer,
 * for which the caller holds a pidfd), so an idle wait costs nothing. */
#include "settle.h"
#include "parse.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BUSY_RETRY_MS  100
#define EARLY_BATCH    128
#define DESCRIBE_NAMES 4

struct settle {
	struct settle_opts o;
	struct sfile *files; /* every name seen, present or not */
	size_t nfiles, capfiles;
	size_t *index; /* open addressing: file index + 1, 0 = empty */
	size_t capindex;
	struct vanished *vanished;
	size_t nvanished, capvanished;
	msec_t last_change; /* newest change of any kind, or INT64_MIN */
	unsigned long scan; /* number of the current full scan */
	bool trigger_running;
	msec_t forgot; /* events were lost then: no file is known quiet before
			*/
	size_t *stale; /* files to check in settle_evaluate() */
	size_t capstale;
	bool expired; /* the timeout passed with only failing files left */
};

static size_t
hash(const char *s)
{
	size_t h = 1469598103934665603ULL;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return h;
}

static void
index_put(struct settle *s, size_t fi)
{
	size_t mask = s->capindex - 1, i = hash(s->files[fi].name) & mask;

	while (s->index[i] != 0)
		i = (i + 1) & mask;
	s->index[i] = fi + 1;
}

static void
index_grow(struct settle *s)
{
	size_t i;

	free(s->index);
	s->capindex = s->capindex ? s->capindex * 2 : 64;
	s->index = xcalloc(s->capindex, sizeof(*s->index));
	for (i = 0; i < s->nfiles; i++)
		index_put(s, i);
}

struct settle *
settle_new(const struct settle_opts *o)
{
	struct settle *s = xcalloc(1, sizeof(*s));

	s->o = *o;
	s->last_change = INT64_MIN;
	s->forgot = INT64_MIN;
	index_grow(s);
	return s;
}

void
settle_free(struct settle *s)
{
	size_t i;

	if (s == NULL)
		return;
	for (i = 0; i < s->nfiles; i++)
		free(s->files[i].name);
	for (i = 0; i < s->nvanished; i++)
		free(s->vanished[i].name);
	free(s->files);
	free(s->index);
	free(s->vanished);
	free(s->stale);
	free(s);
}

struct sfile *
settle_find(const struct settle *s, const char *name)
{
	size_t mask = s->capindex - 1, i = hash(name) & mask;

	for (; s->index[i] != 0; i = (i + 1) & mask)
		if (strcmp(s->files[s->index[i] - 1].name, name) == 0)
			return &s->files[s->index[i] - 1];
	return NULL;
}

static struct sfile *
add_file(struct settle *s, const char *name)
{
	struct sfile *f;

	if (s->nfiles == s->capfiles) {
		s->capfiles = s->capfiles ? s->capfiles * 2 : 16;
		s->files = xrealloc(s->files, s->capfiles * sizeof(*s->files));
	}
	f = &s->files[s->nfiles++];
	memset(f, 0, sizeof(*f));
	f->name = xstrdup(name);
	if (2 * s->nfiles > s->capindex)
		index_grow(s);
	else
		index_put(s, s->nfiles - 1);
	return f;
}

static bool
same_sig(const struct fsig *a, const struct fsig *b)
{
	return a->dev == b->dev && a->ino == b->ino && a->size == b->size &&
	       a->mtime.tv_sec == b->mtime.tv_sec &&
	       a->mtime.tv_nsec == b->mtime.tv_nsec &&
	       a->ctime.tv_sec == b->ctime.tv_sec &&
	       a->ctime.tv_nsec == b->ctime.tv_nsec;
}

static void
note_change(struct settle *s, msec_t when)
{
	if (when > s->last_change)
		s->last_change = when;
}

/* A file showed up whose inode vanished under another name: a rename. */
static void
unvanish(struct settle *s, const struct fsig *sig)
{
	size_t i;

	for (i = 0; i < s->nvanished; i++)
		if (s->vanished[i].renamable &&
		    s->vanished[i].dev == sig->dev &&
		    s->vanished[i].ino == sig->ino) {
			free(s->vanished[i].name);
			s->vanished[i] = s->vanished[--s->nvanished];
			return;
		}
}

void
settle_seen(struct settle *s, const char *name, const struct fsig *sig,
	    enum origin origin, msec_t when)
{
	struct sfile *f = settle_find(s, name);
	bool fresh = f == NULL || !f->present;

	if (f == NULL)
		f = add_file(s, name);
	f->scan = s->scan;
	if (!fresh && origin != SEEN_EVENT && same_sig(&f->sig, sig))
		return;
	if (fresh)
		unvanish(s, sig);
	f->present = true;
	f->quarantined = false;
	f->sig = *sig;
	f->changed_at = when;
	f->checked = false;
	f->writer = WR_UNPROBED;
	if (origin != SEEN_INITIAL || !s->o.new_only)
		f->counts = true;
	note_change(s, when);
}

static void
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
	v->name = xstrdup(name);
	v->dev = dev;
	v->ino = ino;
	v->renamable = renamable;
}

/* Mark f gone; returns true when it was present and counted. */
static bool
mark_gone(struct settle *s, struct sfile *f, msec_t now)
{
	if (!f->present)
		return false;
	f->present = false;
	f->checked = false;
	if (f->quarantined)
		return false;
	note_change(s, now);
	return f->counts;
}

void
settle_gone(struct settle *s, const char *name, msec_t now)
{
	struct sfile *f = settle_find(s, name);

	if (f != NULL && mark_gone(s, f, now))
		add_vanished(s, name, f->sig.dev, f->sig.ino, true);
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
		note_change(s, now);
		if (f == NULL || f->counts || !s->o.new_only)
			add_vanished(s, name, 0, 0, false);
	} else if (mark_gone(s, f, now)) {
		add_vanished(s, name, f->sig.dev, f->sig.ino, false);
	}
}

void
settle_scan_begin(struct settle *s)
{
	s->scan++;
}

/* Is there a present file other than f with f's inode? */
static bool
renamed(const struct settle *s, const struct sfile *f)
{
	size_t i;

	for (i = 0; i < s->nfiles; i++)
		if (&s->files[i] != f && s->files[i].present &&
		    s->files[i].sig.dev == f->sig.dev &&
		    s->files[i].sig.ino == f->sig.ino)
			return true;
	return false;
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
		if (renamed(s, f)) {
			mark_gone(s, f, now);
			continue;
		}
		settle_gone(s, f->name, now);
	}
}

void
settle_touch(struct settle *s, msec_t now)
{
	note_change(s, now);
}

void
settle_forget(struct settle *s, msec_t now)
{
	size_t i;

	for (i = 0; i < s->nfiles; i++) {
		s->files[i].checked = false;
		s->files[i].writer = WR_UNPROBED;
	}
	s->forgot = now;
	note_change(s, now);
}

void
settle_trigger(struct settle *s, bool running, msec_t now)
{
	s->trigger_running = running;
	note_change(s, now);
}

void
settle_quarantine(struct settle *s, struct sfile *f)
{
	(void)s;
	f->quarantined = true;
}

bool
settle_here(const struct sfile *f)
{
	return f->counts && f->present;
}

/* Present (or quarantined) and counting toward --expect. */
static bool
counted(const struct sfile *f)
{
	return f->counts && (f->present || f->quarantined);
}

static bool
writer_busy(const struct sfile *f)
{
	return f->writer == WR_WRITING || f->writer == WR_ALIVE;
}

/* A verdict no writer can mend: coverage.py never writes such a file, not
 * even for a moment between its transactions (those leave `empty` or
 * `incomplete`). Final once the file is quiet and not open for writing,
 * whatever is known of the writer. */
static bool
verdict_unmendable(const struct sfile *f)
{
	switch (f->check.verdict) {
	case V_NOT_SQLITE:
	case V_LEGACY_JSON:
	case V_UNSUPPORTED_SCHEMA:
	case V_CORRUPT:
		return true;
	default:
		return false;
	}
}

/* A failing verdict that is not the state of a save in progress: at the
 * timeout, nothing but such files is a failure (exit 4), not a wait that
 * ran out (exit 3). `empty` and `incomplete` are unfinished saves. */
static bool
verdict_failing(const struct sfile *f)
{
	switch (f->check.verdict) {
	case V_OK:
	case V_EMPTY:
	case V_INCOMPLETE:
	case V_BUSY:
	case V_MISSING:
		return false;
	default:
		return true;
	}
}

bool
settle_invalid(const struct settle *s, const struct sfile *f)
{
	if (!settle_here(f) || !f->checked || f->check.verdict == V_OK ||
	    f->check.verdict == V_BUSY || f->writer == WR_WRITING)
		return false;
	return f->writer == WR_GONE || verdict_unmendable(f) ||
	       (s->expired && verdict_failing(f));
}

long
settle_counted(const struct settle *s)
{
	long n = 0;
	size_t i;

	for (i = 0; i < s->nfiles; i++)
		n += counted(&s->files[i]);
	return n;
}

long
settle_ready(const struct settle *s)
{
	long n = 0;
	size_t i;

	for (i = 0; i < s->nfiles; i++) {
		const struct sfile *f = &s->files[i];

		n += counted(f) && f->present && f->checked &&
		     f->check.verdict == V_OK && !writer_busy(f);
	}
	return n;
}

/* Check the counted, present files whose verdict is stale, all together
 * (io->check_all may spread them over threads); their writers are tested
 * afterwards, one by one, by settle_evaluate(). Returns when another
 * stale file will be due (now when the batch was full), or -1.
 *
 * Early checks (early: the rule still waits for 0, 1 or 2): only files
 * that have themselves been quiet for the window, EARLY_BATCH at a time
 * so that events are read in between. A verdict holds until its file
 * changes, so when the directory settles only the files of the last
 * window are left to check. After lost events (settle_forget()) no file
 * counts as quiet until a window has passed since; a file checked early
 * has its writer tested only in the final pass, as any other. */
static msec_t
check_stale(struct settle *s, const struct settle_io *io, msec_t now,
	    bool early)
{
	msec_t next = -1, due;
	size_t i, n = 0;

	for (i = 0; i < s->nfiles; i++) {
		const struct sfile *f = &s->files[i];

		if (!settle_here(f) || f->checked)
			continue;
		if (early) {
			due = (f->changed_at > s->forgot ? f->changed_at
							 : s->forgot) +
			      s->o.debounce;
			if (now < due) {
				if (next < 0 || due < next)
					next = due;
				continue;
			}
			if (n == EARLY_BATCH) {
				next = now;
				break;
			}
		}
		if (n == s->capstale) {
			s->capstale = s->capstale ? 2 * s->capstale : 16;
			s->stale = xrealloc(s->stale,
					    s->capstale * sizeof(*s->stale));
		}
		s->stale[n++] = i;
	}
	if (n > 0 && io->check_all != NULL)
		io->check_all(io->ctx, s->files, s->stale, n);
	else
		for (i = 0; i < n; i++)
			io->check(io->ctx, &s->files[s->stale[i]]);
	for (i = 0; i < n; i++) {
		s->files[s->stale[i]].checked = true;
		s->files[s->stale[i]].writer = WR_UNPROBED;
	}
	return next;
}

/* Waiting for the trigger, the count or the window: check early, and be
 * called again when the next file is due. */
static enum settle_state
waiting(struct settle *s, msec_t now, const struct settle_io *io,
	struct settle_wait *w, const char *why)
{
	msec_t next = check_stale(s, io, now, true);

	w->why = why;
	if (next >= 0 && (w->at < 0 || next < w->at))
		w->at = next;
	return ST_WAITING;
}

/* Apply the rule; see the top of this file. */
enum settle_state
settle_evaluate(struct settle *s, msec_t now, const struct settle_io *io,
		struct settle_wait *w)
{
	long pending = 0, invalid = 0;
	size_t i;

	w->at = -1;
	w->pid = 0;
	w->why = NULL;
	if (s->trigger_running)
		return waiting(s, now, io, w, "trigger");
	if (settle_counted(s) < s->o.expect)
		return waiting(s, now, io, w, "count");
	if (s->last_change != INT64_MIN &&
	    now - s->last_change < s->o.debounce) {
		w->at = s->last_change + s->o.debounce;
		return waiting(s, now, io, w, "quiet");
	}
	check_stale(s, io, now, false);
	for (i = 0; i < s->nfiles; i++) {
		struct sfile *f = &s->files[i];

		if (!settle_here(f))
			continue;
		if (f->writer == WR_UNPROBED || writer_busy(f)) {
			io->writer(io->ctx, f);
			/* A failing verdict becomes final only from a check
			 * made after the writer was found gone: one that
			 * finished and exited between its check and this
			 * test (a moment that grows with the number of files
			 * checked together) is checked again. */
			if (f->writer == WR_GONE && f->check.verdict != V_OK &&
			    f->check.verdict != V_BUSY)
				io->check(io->ctx, f);
		}
		if (settle_invalid(s, f)) {
			invalid++;
		} else if (writer_busy(f)) {
			pending++;
			if (f->writer == WR_ALIVE && w->pid == 0)
				w->pid = f->pid;
			w->why = "writers";
		} else if (f->check.verdict == V_BUSY) {
			/* Locked (SQLITE_BUSY): look again every
			 * BUSY_RETRY_MS, whatever the writer. */
			f->checked = false;
			pending++;
			if (w->at < 0 || w->at > now + BUSY_RETRY_MS)
				w->at = now + BUSY_RETRY_MS;
			w->why = "checks";
		} else if (f->check.verdict != V_OK) {
			/* Failing, and not final (settle_invalid): given
			 * until the timeout (the caller's) to be mended. */
			pending++;
			if (w->why == NULL)
				w->why = "checks";
		}
	}
	if (pending > 0)
		return ST_WAITING;
	return invalid > 0 ? ST_INVALID : ST_SETTLED;
}

enum settle_state
settle_expire(struct settle *s, msec_t now)
{
	long failing = 0;
	size_t i;

	if (s->trigger_running || settle_counted(s) < s->o.expect ||
	    (s->last_change != INT64_MIN &&
	     now - s->last_change < s->o.debounce))
		return ST_WAITING;
	for (i = 0; i < s->nfiles; i++) {
		const struct sfile *f = &s->files[i];

		if (!settle_here(f))
			continue;
		if (!f->checked || f->writer == WR_WRITING ||
		    f->writer == WR_UNPROBED)
			return ST_WAITING;
		if (f->check.verdict == V_OK && f->writer != WR_ALIVE)
			continue;
		if (!verdict_failing(f))
			return ST_WAITING;
		failing++;
	}
	if (failing == 0)
		return ST_WAITING;
	s->expired = true;
	return ST_INVALID;
}

/* Append "name (why)" items to buf, DESCRIBE_NAMES at most. */
static void
list_files(const struct settle *s, char *buf, size_t len, const char *label,
	   bool (*pick)(const struct sfile *),
	   void (*why)(const struct sfile *, char *, size_t))
{
	char item[REASONLEN + 64];
	size_t i, n = 0, used = strlen(buf);

	for (i = 0; i < s->nfiles; i++) {
		const struct sfile *f = &s->files[i];

		if (!settle_here(f) || !pick(f))
			continue;
		if (n < DESCRIBE_NAMES) {
			why(f, item, sizeof(item));
			if (n == 0)
				snprintf(buf + used, len - used, "; %s %s (%s)",
					 label, f->name, item);
			else
				snprintf(buf + used, len - used, ", %s (%s)",
					 f->name, item);
		}
		n++;
		used = strlen(buf);
	}
	if (n > DESCRIBE_NAMES)
		snprintf(buf + used, len - used, " and %zu more",
			 n - DESCRIBE_NAMES);
}

static bool
pick_writing(const struct sfile *f)
{
	return writer_busy(f) || !f->checked;
}

static bool
pick_failing(const struct sfile *f)
{
	return f->checked && !writer_busy(f) && f->check.verdict != V_OK;
}

static void
why_writing(const struct sfile *f, char *buf, size_t len)
{
	if (f->writer == WR_WRITING)
		snprintf(buf, len, "open for writing");
	else if (f->writer == WR_ALIVE)
		snprintf(buf, len, "writer pid %d%s%s%s alive", (int)f->pid,
			 f->comm[0] ? " (" : "", f->comm,
			 f->comm[0] ? ")" : "");
	else if (f->check.verdict == V_BUSY) /* retried: checked is false */
		snprintf(buf, len, "%s: %s", verdict_name(V_BUSY),
			 f->check.reason);
	else
		snprintf(buf, len, "changed, not checked yet");
}

static void
why_failing(const struct sfile *f, char *buf, size_t len)
{
	snprintf(buf, len, "%s: %s", verdict_name(f->check.verdict),
		 f->check.reason);
}

void
settle_describe(const struct settle *s, msec_t now, char *buf, size_t len)
{
	char ago[32];
	size_t used;

	assert(len > 0);
	snprintf(buf, len, "%ld of %ld expected data file%s", settle_counted(s),
		 s->o.expect, s->o.expect == 1 ? "" : "s");
	if (s->trigger_running) {
		used = strlen(buf);
		snprintf(buf + used, len - used, "; trigger still running");
	}
	list_files(s, buf, len, "still being written:", pick_writing,
		   why_writing);
	list_files(s, buf, len, "failing their check:", pick_failing,
		   why_failing);
	used = strlen(buf);
	if (s->last_change == INT64_MIN) {
		snprintf(buf + used, len - used, "; no change seen");
	} else {
		format_duration(now - s->last_change, ago, sizeof(ago));
		snprintf(buf + used, len - used, "; last change %s ago", ago);
	}
}

size_t
settle_nfiles(const struct settle *s)
{
	return s->nfiles;
}

struct sfile *
settle_file(const struct settle *s, size_t i)
{
	assert(i < s->nfiles);
	return &s->files[i];
}

msec_t
settle_last_change(const struct settle *s)
{
	return s->last_change;
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
