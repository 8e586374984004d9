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
 *      here and can be its writer; WR_KEPT: a process by that pid exists
 *      here and cannot be read, so it may be the writer) and its verdict
 *      is ok;
 *   4. no counted file has an unfinished name. coverage.py 7.13.1 and
 *      later end a save by renaming BASE.HOST_.pidPID.Xrandomx to
 *      ...x.H<hash>h: the rename is the completion signal, on any host.
 *      A file without its .H...h part (`unfinished`, names.c) is a save
 *      under way: it never counts as settled, whatever its rows say. It is
 *      done when renamed. When its writer is proven gone first (writer.c
 *      says what proves it), the save was cut short: the file is invalid
 *      at once (SETTLE_CUT_SHORT), like any failing file with its writer
 *      gone. A writer on another host, or one whose pid proves nothing
 *      (WR_UNKNOWN: another PID namespace, hidepid), has until the
 *      timeout, where the file is named as failing its check; such a file
 *      is never final before, so never quarantined while it may be
 *      finished;
 *   5. no process of a writer's generation is still alive. The writers
 *      seen here (this host, their pid visible: genproc.c) were forked in
 *      a burst with siblings that are measured alike (gunicorn's workers,
 *      a pool's) and save as they exit, seconds apart: more than any
 *      window. Their generation (generation.c) is the siblings born with
 *      the writer, in the same burst, before any process that replaced
 *      them; with --trigger, the siblings that existed before the
 *      trigger. Those still alive will write too, so the rule waits for
 *      their exits; the processes born later (the new workers after a
 *      graceful restart) are not waited for, as they save only at the
 *      next one. A writer that cannot be seen (another host, a pid not
 *      visible here, already gone when its file showed up) has no known
 *      generation: then only --expect and --trigger say how many files
 *      to wait for, and the result says the writers were not seen.
 *
 * THE EARLY END. The window of condition 2 guards against writers not
 * seen. When every counted file is proven complete, its save finished
 * (no unfinished name) and its writer seen to exit before the check that
 * found it ok, and no process of the writers' generations is alive,
 * there is no writer left to wait for: the rule goes on to condition 3
 * at once (proven_done()). Not after lost events within the window, not
 * for more than PROVEN_MAX files (a probe each), and never when a writer
 * is not seen (a file whose writer test gave no evidence is not probed
 * again for it until it changes).
 *
 * The files that go and come back (vanished, deleted, renamed) are kept
 * by settle_gone.c, which says what a rename is.
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
#include "names.h"
#include "settle_int.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BUSY_RETRY_MS 100
#define EARLY_BATCH   128
#define PROVEN_MAX    64

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
	f->unfinished = name_unfinished(name);
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

/* Every change goes through here: the newest is the last change. */
void
settle_note_change(struct settle *s, msec_t when)
{
	if (when > s->last_change)
		s->last_change = when;
}

void
settle_seen(struct settle *s, const char *name, const struct fsig *sig,
	    enum origin origin, msec_t when)
{
	struct sfile *f = settle_find(s, name);
	bool fresh = f == NULL || !f->present, same = false;

	if (f == NULL)
		f = add_file(s, name);
	f->scan = s->scan;
	if (!fresh && origin != SEEN_EVENT && same_sig(&f->sig, sig))
		return;
	f->changed_at = when;
	if (fresh)
		same = settle_came_back(s, f, sig, origin);
	f->present = true;
	f->quarantined = false;
	f->renamed = false;
	f->sig = *sig;
	f->checked = false;
	f->writer = WR_UNPROBED;
	f->unproven = false;
	if (origin != SEEN_INITIAL || !s->o.new_only)
		f->counts = true;
	if (!same)
		settle_note_change(s, when);
}

void
settle_touch(struct settle *s, msec_t now)
{
	settle_note_change(s, now);
}

void
settle_forget(struct settle *s, msec_t now)
{
	size_t i;

	for (i = 0; i < s->nfiles; i++) {
		s->files[i].checked = false;
		s->files[i].writer = WR_UNPROBED;
		s->files[i].unproven = false;
	}
	s->forgot = now;
	settle_note_change(s, now);
}

void
settle_trigger(struct settle *s, bool running, msec_t now)
{
	s->trigger_running = running;
	settle_note_change(s, now);
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

bool
settle_busy(const struct sfile *f)
{
	return f->writer == WR_WRITING || f->writer == WR_ALIVE ||
	       f->writer == WR_KEPT;
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
	if (!settle_here(f) || !f->checked || f->check.verdict == V_BUSY ||
	    f->writer == WR_WRITING)
		return false;
	/* Its writer gone: nothing can mend a failing file, or finish an
	 * unfinished save. An unfinished file found missing was renamed as
	 * its writer ended: the rename's events follow. */
	if (f->writer == WR_GONE &&
	    !(f->unfinished && f->check.verdict == V_MISSING))
		return f->check.verdict != V_OK || f->unfinished;
	if (f->check.verdict == V_OK)
		return false;
	return verdict_unmendable(f) || (s->expired && verdict_failing(f));
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
		     f->check.verdict == V_OK && !f->unfinished &&
		     !settle_busy(f);
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

/* An era-3 file whose writer is gone before it renamed the file: the
 * save was cut short, whatever its rows say, and nothing can finish it. */
static void
cut_short(struct sfile *f)
{
	if (f->check.verdict == V_MISSING || f->check.verdict == V_BUSY)
		return;
	f->check.verdict = V_INCOMPLETE;
	snprintf(f->check.reason, sizeof(f->check.reason), "%s",
		 SETTLE_CUT_SHORT);
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

/* Condition 5: are processes of the writers' generations alive? Then
 * follow one of them (its exit wakes the caller). */
static bool
peers_alive(struct settle *s, const struct settle_io *io, struct settle_wait *w)
{
	pid_t pid = 0;

	s->peers = io->peers != NULL ? io->peers(io->ctx, &pid) : 0;
	s->peer = pid;
	if (s->peers <= 0)
		return false;
	if (w->pid == 0)
		w->pid = pid;
	w->why = "generation";
	return true;
}

/* The early end (top of this file): within the window, is every counted
 * file proven complete with no writer left? A writer found alive is
 * followed; one not found gone leaves its state to the final pass. */
static bool
proven_done(struct settle *s, msec_t now, const struct settle_io *io,
	    struct settle_wait *w)
{
	size_t i, n = 0;

	if (io->peers == NULL || settle_counted(s) > PROVEN_MAX ||
	    (s->forgot != INT64_MIN && now - s->forgot < s->o.debounce))
		return false;
	for (i = 0; i < s->nfiles; i++) {
		struct sfile *f = &s->files[i];

		if (!settle_here(f))
			continue;
		if (f->unfinished || f->unproven)
			return false;
		n++;
		if (f->writer != WR_GONE) {
			f->proven = false;
			io->writer(io->ctx, f);
			if (f->writer != WR_GONE) {
				if (f->writer == WR_ALIVE && w->pid == 0)
					w->pid = f->pid;
				/* No evidence (another host): none until it
				 * changes. */
				f->unproven = f->writer == WR_QUIET;
				f->writer = WR_UNPROBED;
				return false;
			}
		}
		if (!f->proven) {
			io->check(io->ctx, f);
			f->checked = true;
			f->proven = true;
		}
		if (f->check.verdict != V_OK)
			return false;
	}
	return n > 0 && !peers_alive(s, io, w);
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
	s->early = false;
	if (s->trigger_running)
		return waiting(s, now, io, w, "trigger");
	if (settle_counted(s) < s->o.expect)
		return waiting(s, now, io, w, "count");
	if (s->last_change != INT64_MIN &&
	    now - s->last_change < s->o.debounce) {
		if (!proven_done(s, now, io, w)) {
			w->at = s->last_change + s->o.debounce;
			return waiting(s, now, io, w, "quiet");
		}
		s->early = true;
	}
	check_stale(s, io, now, false);
	for (i = 0; i < s->nfiles; i++) {
		struct sfile *f = &s->files[i];

		if (!settle_here(f))
			continue;
		if (f->writer == WR_UNPROBED || settle_busy(f)) {
			io->writer(io->ctx, f);
			/* A failing verdict becomes final only from a check
			 * made after the writer was found gone: one that
			 * finished and exited between its check and this
			 * test (a moment that grows with the number of files
			 * checked together) is checked again. */
			if (f->writer == WR_GONE && f->check.verdict != V_OK &&
			    f->check.verdict != V_BUSY)
				io->check(io->ctx, f);
			if (f->unfinished && f->writer == WR_GONE)
				cut_short(f);
		}
		if (settle_invalid(s, f)) {
			invalid++;
		} else if (settle_busy(f)) {
			pending++;
			if ((f->writer == WR_ALIVE || f->writer == WR_KEPT) &&
			    w->pid == 0)
				w->pid = f->follow > 0 ? f->follow : f->pid;
			w->why = "writers";
		} else if (f->check.verdict == V_BUSY) {
			/* Locked (SQLITE_BUSY): look again every
			 * BUSY_RETRY_MS, whatever the writer. */
			f->checked = false;
			pending++;
			if (w->at < 0 || w->at > now + BUSY_RETRY_MS)
				w->at = now + BUSY_RETRY_MS;
			w->why = "checks";
		} else if (f->check.verdict != V_OK || f->unfinished) {
			/* Failing, or an unfinished save, and not final
			 * (settle_invalid): given until the timeout (the
			 * caller's) to be mended or renamed. */
			pending++;
			if (w->why == NULL)
				w->why = "checks";
		}
	}
	if (pending > 0)
		return ST_WAITING;
	if (invalid > 0)
		return ST_INVALID;
	return peers_alive(s, io, w) ? ST_WAITING : ST_SETTLED;
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
		    f->writer == WR_UNPROBED || f->unfinished)
			return ST_WAITING;
		if (f->check.verdict == V_OK && !settle_busy(f))
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

msec_t
settle_quiet_left(const struct settle *s, msec_t now)
{
	if (s->last_change == INT64_MIN ||
	    now - s->last_change >= s->o.debounce)
		return -1;
	return s->last_change + s->o.debounce - now;
}

long
settle_expect(const struct settle *s)
{
	return s->o.expect;
}

bool
settle_trigger_running(const struct settle *s)
{
	return s->trigger_running;
}

long
settle_peers(const struct settle *s, pid_t *pid)
{
	*pid = s->peer;
	return s->peers;
}

bool
settle_early(const struct settle *s)
{
	return s->early;
}
