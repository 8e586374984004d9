/* waiter.c: the wait loop. One poll(2) waits on the library's inotify
 * descriptor, the signalfd (signals, and SIGCHLD for the trigger and
 * gather's helper) and, while a writer named in a file is alive, that
 * writer's pidfd; its timeout is the nearest of the end of the quiet
 * window, a busy retry, the overall timeout and the next poll when
 * polling. Nothing wakes it otherwise. The rule itself is in settle.c. */
#include "waiter.h"
#include "check.h"
#include "child.h"
#include "genproc.h"
#include "names.h"
#include "pool.h"
#include "settle_describe.h"
#include "sig.h"
#include "watch.h"
#include "writer.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Without a pidfd (pidfd_open(2) missing: Linux < 5.3, a seccomp filter,
 * valgrind), a live writer's exit is looked for this often. */
#define WRITER_POLL_MS 100
#define QUARANTINE_DIR "quarantine"

struct waiter {
	const struct wait_opts *o;
	struct wait_result *r;
	struct watch *w;
	struct settle *s;
	pid_t trigger;	     /* running trigger, or 0 */
	pid_t watched;	     /* writer whose pidfd we hold, or 0 */
	struct genproc *gen; /* the writers' generations, or NULL
			      * (--ignore-writers) */
	bool lease_denied;   /* N_LEASE_DENIED was noted */
	int pidfd;
	msec_t now;
};

static void
note(struct waiter *wt, enum note_kind kind, const char *name, const char *text,
     uint32_t mask)
{
	struct wait_note n = {
		.kind = kind,
		.name = name,
		.text = text,
		.mask = mask,
		.s = wt->s,
		.now = wt->now,
		.quiet_left = settle_quiet_left(wt->s, wt->now),
		.time_left = -1,
	};

	if (wt->o->note == NULL)
		return;
	if (wt->o->timeout > 0)
		n.time_left = wt->o->start + wt->o->timeout - wt->now;
	wt->o->note(wt->o->ctx, &n);
}

static void
fsig_of_stat(const struct stat *st, struct fsig *sig)
{
	sig->dev = st->st_dev;
	sig->ino = st->st_ino;
	sig->size = st->st_size;
	sig->mtime = st->st_mtim;
	sig->ctime = st->st_ctim;
}

/* Settle I/O: the verdict of f's contents. */
static void
examine_contents(void *ctx, struct sfile *f)
{
	struct waiter *wt = ctx;

	if (!watch_present(wt->w)) {
		memset(&f->check, 0, sizeof(f->check));
		f->check.verdict = V_MISSING;
		snprintf(f->check.reason, sizeof(f->check.reason),
			 "the directory is gone");
		return;
	}
	check_file_read(watch_dirfd(wt->w), watch_realdir(wt->w), f->name,
			&f->check, wt->o->reader);
}

/* Settle I/O: the verdicts of many files at once, on the pool's threads. Each
 * thread reads the watch (not changed while they run) and writes only its
 * file's verdict; the writer tests follow in the main thread. */
struct check_many {
	struct waiter *wt;
	struct sfile *files;
	const size_t *which;
};

static void
check_one(void *ctx, size_t i)
{
	struct check_many *m = ctx;

	examine_contents(m->wt, &m->files[m->which[i]]);
}

static void
examine_all(void *ctx, struct sfile *files, const size_t *which, size_t n)
{
	struct check_many m = { ctx, files, which };

	pool_run(n, 0, check_threads(n), check_one, NULL, &m);
}

/* When the helper last started a child by the pid in data file name's
 * name, if its host is this one; else 0. */
static int64_t
helper_started(const struct waiter *wt, const char *name)
{
	struct name_fields nf;

	if (wt->o->helper_pid == NULL || !name_parse(name, &nf) ||
	    !name_host_is(name, &nf, writer_hostname()))
		return 0;
	return wt->o->helper_pid(wt->o->helper_ctx, nf.pid);
}

/* Settle I/O: is a writer still at work on f? What its pid proved is kept
 * in f->evidence, and said (-v) each time it changes. */
static void
examine_writer(void *ctx, struct sfile *f)
{
	struct waiter *wt = ctx;
	struct writer_proc wp;
	char text[sizeof(f->evidence)];
	const char *word = NULL;

	f->writer = writer_at_work(
		watch_present(wt->w) ? watch_dirfd(wt->w) : -1, f->name,
		!wt->o->ignore_writers, helper_started(wt, f->name), &wp);
	/* What its pid proved, in the message. */
	switch (f->writer) {
	case WR_ALIVE:
		word = "alive";
		break;
	case WR_KEPT:
	case WR_UNKNOWN:
		word = "unknown";
		break;
	case WR_GONE:
		word = "gone";
		break;
	case WR_UNPROBED:
	case WR_WRITING:
	case WR_QUIET:
		break;
	}
	f->pid = wp.pid;
	f->follow = wp.follow != wp.pid ? wp.follow : 0;
	snprintf(f->comm, sizeof(f->comm), "%s", wp.comm);
	if (wp.lease_denied && !wt->lease_denied) {
		wt->lease_denied = true;
		note(wt, N_LEASE_DENIED, f->name, NULL, 0);
	}
	if (wp.why[0] != '\0' && wp.state != PROC_ALIVE) {
		snprintf(text, sizeof(text), "pid %d (%s) %s", (int)wp.pid,
			 wp.comm, wp.why);
		note(wt, N_NOT_WRITER, f->name, text, 0);
	}
	text[0] = '\0';
	if (word != NULL)
		snprintf(text, sizeof(text), "writer pid %d %s (%s)",
			 (int)wp.pid, word, wp.evidence);
	if (strcmp(text, f->evidence) != 0) {
		snprintf(f->evidence, sizeof(f->evidence), "%s", text);
		if (text[0] != '\0')
			note(wt, N_WRITER, f->name, text, 0);
	}
}

/* Settle I/O: processes of the writers' generations still alive. */
static long
examine_peers(void *ctx, pid_t *pid)
{
	struct waiter *wt = ctx;

	return genproc_alive(wt->gen, pid);
}

/* A data file showed up: record its writer's generation now, while the
 * writer is usually still saving (genproc.c), or say it is unseen. */
static void
note_writer(struct waiter *wt, const char *name)
{
	struct name_fields nf;
	long before;
	bool parsed;

	if (wt->gen == NULL)
		return;
	before = genproc_unseen(wt->gen);
	parsed = name_parse(name, &nf);
	genproc_named(wt->gen,
		      parsed && name_host_is(name, &nf, writer_hostname()),
		      parsed ? nf.pid : 0);
	genproc_writer(wt->gen, watch_present(wt->w) ? watch_dirfd(wt->w) : -1,
		       name,
		       parsed && name_host_is(name, &nf, writer_hostname()),
		       parsed ? nf.pid : 0);
	if (genproc_unseen(wt->gen) > before)
		note(wt, N_UNSEEN, name, genproc_unseen_why(wt->gen), 0);
}

/* A data file event named name: its writer wrote here, even when the
 * file is gone before it is seen (genproc_silent()). */
static void
named(struct waiter *wt, const char *name)
{
	struct name_fields nf;

	if (wt->gen != NULL && name_parse(name, &nf))
		genproc_named(wt->gen,
			      name_host_is(name, &nf, writer_hostname()),
			      nf.pid);
}

/* Did a child of the helper's write the data file name? Then it is none
 * of DIR's. Its name says this host and that child's pid, and it was born
 * (statx's btime) at or after that child was started: a pid alone is no
 * proof, for a writer in another PID namespace with this host name (host
 * networking) can go by the same number, and its file, even one DIR held
 * before the child started, would be lost without a word. A file whose
 * birth time cannot be read is counted: at worst the helper's own file
 * is waited for and combined, which a user sees, where a writer's file
 * dropped is lost unseen. */
static bool
helper_wrote(const struct waiter *wt, const char *name)
{
	int64_t started = helper_started(wt, name);
	long long born;

	return started > 0 && writer_born(watch_dirfd(wt->w), name, &born) &&
	       born >= started;
}

/* Scan callback for the first scan: a file changed when its mtime says. */
static void
seen_initial(void *ctx, const char *name, const struct stat *st)
{
	struct waiter *wt = ctx;
	struct timespec real;
	struct fsig sig;
	msec_t age;

	if (helper_wrote(wt, name))
		return;
	clock_gettime(CLOCK_REALTIME, &real);
	age = (msec_t)(real.tv_sec - st->st_mtim.tv_sec) * 1000 +
	      (real.tv_nsec - st->st_mtim.tv_nsec) / 1000000;
	if (age < 0)
		age = 0;
	fsig_of_stat(st, &sig);
	settle_seen(wt->s, name, &sig, SEEN_INITIAL, wt->now - age);
	note(wt, N_NEW, name, NULL, 0);
	note_writer(wt, name);
}

static void
seen_rescan(void *ctx, const char *name, const struct stat *st)
{
	struct waiter *wt = ctx;
	struct sfile *f = settle_find(wt->s, name);
	bool fresh = f == NULL || !f->present;
	struct fsig sig;

	if (helper_wrote(wt, name))
		return;
	fsig_of_stat(st, &sig);
	settle_seen(wt->s, name, &sig, SEEN_RESCAN, wt->now);
	if (fresh) {
		note(wt, N_NEW, name, NULL, 0);
		note_writer(wt, name);
	}
}

/* Say which data files vanished since the last call. Called once the
 * events read together are handled: a rename's old name is never said to
 * be gone, as its new name has shown up by then. */
static void
tell_gone(struct waiter *wt)
{
	size_t i;

	for (i = 0; i < settle_nvanished(wt->s); i++)
		if (!settle_vanished(wt->s, i)->told) {
			settle_told(wt->s, i);
			note(wt, N_GONE, settle_vanished(wt->s, i)->name, NULL,
			     0);
		}
}

/* Scan DIR in full; files not found are gone. */
static int
rescan(struct waiter *wt, bool initial)
{
	settle_scan_begin(wt->s);
	if (watch_scan(wt->w, wt->o->pattern,
		       initial ? seen_initial : seen_rescan, wt,
		       wt->r->msg) < 0)
		return -1;
	settle_scan_end(wt->s, wt->now);
	tell_gone(wt);
	return 0;
}

/* An inotify event named a data file (or a side file of one). */
static void
file_event(struct waiter *wt, const struct wev *ev)
{
	const char *name = ev->name;
	char base[NAME_MAX + 1];
	struct sfile *f;
	struct stat st;
	struct fsig sig;
	bool fresh;

	if (name_is_sidefile(wt->o->pattern, name)) {
		/* Only its attributes changed: no write. Every reader
		 * running as root makes SQLite fchown() a journal it opens,
		 * covsettle's own check of a file with a hot journal too;
		 * counted, the check would restart the quiet window it ends,
		 * for ever. A writer's journal raises IN_CREATE, IN_MODIFY,
		 * IN_CLOSE_WRITE or IN_DELETE. (Not an own-action window,
		 * which would also hide a writer's event in it, nor a chown
		 * turned off in SQLite, which other readers would still do:
		 * a metadata event never was evidence of writing.) */
		if (ev->attrib)
			return;
		/* A side file changed: its data file is being written. */
		snprintf(base, sizeof(base), "%.*s",
			 (int)(strrchr(name, '-') - name), name);
		name = base;
		if (settle_find(wt->s, name) == NULL) {
			settle_touch(wt->s, wt->now);
			return;
		}
	} else if (!name_is_datafile(wt->o->pattern, name) ||
		   helper_wrote(wt, name)) {
		return;
	}
	f = settle_find(wt->s, name);
	fresh = f == NULL || !f->present;
	named(wt, name);
	if (ev->kind == WEV_GONE) {
		/* Deleted, or moved out (or renamed: the same inode may show
		 * up under another name). */
		if (ev->deleted)
			settle_deleted(wt->s, name, wt->now);
		else
			settle_gone(wt->s, name, wt->now);
		return;
	}
	/* Gone already: its DELETE or MOVED_FROM event follows. */
	if (fstatat(watch_dirfd(wt->w), name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return;
	if (!S_ISREG(st.st_mode) && !S_ISLNK(st.st_mode)) {
		/* Replaced by a fifo or directory: no data file. */
		if (!fresh)
			settle_gone(wt->s, name, wt->now);
		return;
	}
	fsig_of_stat(&st, &sig);
	settle_seen(wt->s, name, &sig, SEEN_EVENT, wt->now);
	if (fresh) {
		note(wt, N_NEW, name, NULL, 0);
		note_writer(wt, name);
	}
}

/* Drain the watch. -1 on a watch failure (msg filled). */
static int
drain(struct waiter *wt)
{
	const char *why;
	struct wev ev;
	int rc;

	while ((rc = watch_read(wt->w, &ev, wt->r->msg)) > 0) {
		if ((why = watch_note(wt->w)) != NULL)
			note(wt, N_POLLING, NULL, why, 0);
		if (ev.mask != 0)
			note(wt, N_EVENT, ev.name, NULL, ev.mask);
		switch (ev.kind) {
		case WEV_CHANGED:
		case WEV_GONE:
			file_event(wt, &ev);
			break;
		case WEV_RESCAN:
			note(wt, N_RESCAN, NULL, NULL, 0);
			settle_forget(wt->s, wt->now);
			if (rescan(wt, false) < 0)
				return -1;
			break;
		case WEV_DIR_GONE:
			settle_scan_begin(wt->s);
			settle_scan_end(wt->s, wt->now);
			note(wt, N_DIR_GONE, NULL, NULL, 0);
			break;
		case WEV_DIR_BACK:
			note(wt, N_DIR_BACK, NULL, NULL, 0);
			if (rescan(wt, false) < 0)
				return -1;
			break;
		}
	}
	tell_gone(wt);
	return rc;
}

/* WS_INVALID, with r->msg saying how many files failed, as the last
 * line printed says it. */
static enum wait_status
invalid_said(struct waiter *wt)
{
	long n = 0;
	size_t i;

	for (i = 0; i < settle_nfiles(wt->s); i++)
		n += settle_invalid(wt->s, settle_file(wt->s, i));
	seterr(wt->r->msg,
	       "%ld invalid data file%s in %s that no writer will "
	       "mend",
	       n, n == 1 ? "" : "s", wt->o->dir);
	return WS_INVALID;
}

/* Move f into DIR/quarantine/ under a name not taken yet. */
static int
quarantine(struct waiter *wt, struct sfile *f)
{
	char dest[NAME_MAX + 1], text[PATH_MAX + 32];
	int dirfd = watch_dirfd(wt->w), qfd, i, rc = -1;

	if (mkdirat(dirfd, QUARANTINE_DIR, 0755) < 0 && errno != EEXIST)
		return seterr(wt->r->msg, "cannot create %s/%s: %s", wt->o->dir,
			      QUARANTINE_DIR, strerror(errno));
	qfd = openat(dirfd, QUARANTINE_DIR,
		     O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (qfd < 0)
		return seterr(wt->r->msg, "cannot open %s/%s: %s", wt->o->dir,
			      QUARANTINE_DIR, strerror(errno));
	settle_quarantine(wt->s, f);
	for (i = 0; i < 1000 && rc < 0; i++) {
		if (i == 0)
			snprintf(dest, sizeof(dest), "%s", f->name);
		else if (fmt(dest, sizeof(dest), "%s.%d", f->name, i) < 0)
			break;
		rc = renameat2(dirfd, f->name, qfd, dest, RENAME_NOREPLACE);
		if (rc < 0 && errno != EEXIST)
			break;
	}
	close(qfd);
	if (rc < 0) {
		f->quarantined = false;
		return seterr(wt->r->msg, "cannot move %s to %s/%s: %s",
			      f->name, wt->o->dir, QUARANTINE_DIR,
			      strerror(errno));
	}
	f->present = false;
	snprintf(text, sizeof(text), "%s/%s/%s", wt->o->dir, QUARANTINE_DIR,
		 dest);
	note(wt, N_QUARANTINED, f->name, text, 0);
	return 0;
}

/* Quarantine every failed file; 0, or -1 with msg. */
static int
quarantine_invalid(struct waiter *wt)
{
	size_t i;

	for (i = 0; i < settle_nfiles(wt->s); i++) {
		struct sfile *f = settle_file(wt->s, i);

		if (settle_invalid(wt->s, f) && quarantine(wt, f) < 0)
			return -1;
	}
	return 0;
}

static int
start_trigger(struct waiter *wt)
{
	char *argv[] = { "/bin/sh", "-c", (char *)wt->o->trigger, NULL };

	if (wt->gen != NULL)
		genproc_trigger(wt->gen);
	wt->trigger = child_spawn(argv, wt->o->trigger_to_stderr ? 2 : -1, -1,
				  0, wt->r->msg);
	if (wt->trigger < 0) {
		wt->trigger = 0;
		return -1;
	}
	settle_trigger(wt->s, true, wt->now);
	note(wt, N_TRIGGER_STARTED, NULL, wt->o->trigger, 0);
	return 0;
}

/* A signal arrived. Returns a final status, or -1 to go on. */
static int
on_signal(struct waiter *wt, int signo)
{
	char how[128];
	int status;

	if (signo != SIGCHLD) {
		if (wt->trigger > 0)
			child_stop(wt->trigger, signo, CHILD_GRACE_MS);
		wt->trigger = 0;
		wt->r->signo = signo;
		return WS_SIGNAL;
	}
	if (wt->o->helper != NULL &&
	    wt->o->helper(wt->o->helper_ctx, wt->r->msg))
		return WS_HELPER;
	if (wt->trigger <= 0 || child_reap(wt->trigger, &status) <= 0)
		return -1;
	wt->trigger = 0;
	child_describe(status, how, sizeof(how));
	if (!child_ok(status)) {
		snprintf(wt->r->msg, sizeof(wt->r->msg), "trigger '%s' %s",
			 wt->o->trigger, how);
		return WS_TRIGGER;
	}
	settle_trigger(wt->s, false, wt->now);
	note(wt, N_TRIGGER_EXITED, NULL, NULL, 0);
	return -1;
}

/* Hold a pidfd for the writer the rule waits on, so its exit wakes us.
 * Returns false when that writer is already gone (evaluate again). */
static bool
follow_writer(struct waiter *wt, pid_t pid)
{
	if (pid == wt->watched)
		return true;
	if (wt->pidfd >= 0)
		close(wt->pidfd);
	wt->pidfd = -1;
	wt->watched = pid;
	if (pid == 0)
		return true;
	wt->pidfd = pidfd_of(pid);
	return wt->pidfd >= 0 || errno != ESRCH;
}

static msec_t
min_at(msec_t a, msec_t b)
{
	if (a < 0)
		return b;
	if (b < 0)
		return a;
	return a < b ? a : b;
}

/* The one place that turns --timeout into a deadline: 0 is none. */
msec_t
waiter_deadline(const struct wait_opts *o)
{
	return o->timeout > 0 ? o->start + o->timeout : -1;
}

/* The loop; returns the final status. */
static enum wait_status
wait_loop(struct waiter *wt)
{
	const struct wait_opts *o = wt->o;
	struct settle_io io = { examine_contents, examine_writer, wt,
				examine_all,
				wt->gen != NULL ? examine_peers : NULL };
	msec_t deadline = waiter_deadline(o);
	msec_t next_poll = -1, next_tick = -1, at;
	struct pollfd pfd[3];
	struct settle_wait sw;
	enum settle_state st;
	int n, signo, rc;

	wt->now = clock_ms();
	if (rescan(wt, true) < 0)
		return WS_ERROR;
	note(wt, N_ARMED, NULL,
	     watch_poll_ms(wt->w) > 0 ? "by polling"
	     : watch_present(wt->w)   ? "with inotify"
				      : "with inotify; it does not exist yet",
	     0);
	if (o->helper != NULL && o->helper(o->helper_ctx, wt->r->msg))
		return WS_HELPER;
	if (o->trigger != NULL && start_trigger(wt) < 0)
		return WS_TRIGGER;
	for (;;) {
		wt->now = clock_ms();
		if (watch_poll_ms(wt->w) > 0 && wt->now >= next_poll) {
			if (rescan(wt, false) < 0)
				return WS_ERROR;
			next_poll = wt->now + watch_poll_ms(wt->w);
		}
		st = settle_evaluate(wt->s, wt->now, &io, &sw);
		if (st == ST_SETTLED) {
			wt->r->early = settle_early(wt->s);
			return WS_SETTLED;
		}
		/* Out of time with only failing files left: they fail. */
		if (st == ST_WAITING && deadline >= 0 && wt->now >= deadline)
			st = settle_expire(wt->s, wt->now);
		if (st == ST_INVALID) {
			if (o->invalid == INVALID_FAIL)
				return invalid_said(wt);
			if (quarantine_invalid(wt) < 0)
				return WS_ERROR;
			continue;
		}
		if (deadline >= 0 && wt->now >= deadline) {
			settle_describe(wt->s, wt->now, wt->r->msg,
					sizeof(wt->r->msg));
			return WS_TIMEOUT;
		}
		if (!follow_writer(wt, sw.pid))
			continue;
		if (o->tick_ms > 0 && wt->now >= next_tick) {
			note(wt, N_TICK, NULL, NULL, 0);
			next_tick = wt->now + o->tick_ms;
		}
		at = min_at(sw.at, deadline);
		if (sw.pid != 0 && wt->pidfd < 0)
			at = min_at(at, wt->now + WRITER_POLL_MS);
		if (watch_poll_ms(wt->w) > 0)
			at = min_at(at, next_poll);
		if (o->tick_ms > 0)
			at = min_at(at, next_tick);
		n = 0;
		pfd[n++] = (struct pollfd){ .fd = o->sigfd, .events = POLLIN };
		if (watch_fd(wt->w) >= 0)
			pfd[n++] = (struct pollfd){ .fd = watch_fd(wt->w),
						    .events = POLLIN };
		if (wt->pidfd >= 0)
			pfd[n++] = (struct pollfd){ .fd = wt->pidfd,
						    .events = POLLIN };
		rc = poll(pfd, (nfds_t)n,
			  at < 0 ? -1 : (int)(at > wt->now ? at - wt->now : 0));
		if (rc < 0 && errno != EINTR) {
			seterr(wt->r->msg, "poll: %s", strerror(errno));
			return WS_ERROR;
		}
		wt->now = clock_ms();
		while ((signo = sig_read(o->sigfd)) > 0)
			if ((rc = on_signal(wt, signo)) >= 0)
				return (enum wait_status)rc;
		if (drain(wt) < 0)
			return WS_ERROR;
		if (wt->pidfd >= 0 && n > 0 && (pfd[n - 1].revents & POLLIN))
			follow_writer(wt, 0); /* exited: evaluate again */
	}
}

/* A wait that settled has still lost coverage when a data file it was
 * waiting for vanished (written during the wait or just before it, and
 * not renamed: struct vanished says which removals are not losses), or a
 * process of the writers' generation exited without writing one:
 * coverage.py writes a file on every save, even of no data, so that
 * process's save never happened or its file was deleted unseen. Both are
 * failures (exit 4): the files that are left would combine and report
 * without them, and no one would see the gap. */
static bool
lost_coverage(const struct settle *s, struct wait_result *r)
{
	long lost = settle_nlost(s);

	if (lost == 0 && r->silent == 0)
		return false;
	if (lost > 0)
		seterr(r->msg,
		       "%ld data file%s vanished during the wait: %s "
		       "coverage is lost",
		       lost, lost == 1 ? "" : "s", lost == 1 ? "its" : "their");
	else
		seterr(r->msg,
		       "%ld process%s of the writers' generation "
		       "exited without writing a data file: %s "
		       "coverage is missing",
		       r->silent, r->silent == 1 ? "" : "es",
		       r->silent == 1 ? "its" : "their");
	return true;
}

enum wait_status
waiter_run(const struct wait_opts *o, struct wait_result *r)
{
	struct settle_opts so = { o->expect, o->debounce, o->new_only,
				  o->start - o->debounce };
	struct waiter wt = { .o = o, .r = r, .pidfd = -1 };
	const char *why;

	memset(r, 0, sizeof(*r));
	wt.s = r->s = settle_new(&so);
	if (!o->ignore_writers)
		wt.gen = genproc_new();
	wt.now = clock_ms();
	wt.w = watch_open(o->dir, o->poll_ms, r->msg);
	if (wt.w == NULL) {
		r->status = WS_ERROR;
	} else {
		if ((why = watch_note(wt.w)) != NULL)
			note(&wt, N_POLLING, NULL, why, 0);

		r->status = wait_loop(&wt);
		r->polled = watch_poll_ms(wt.w) > 0;
		if (watch_present(wt.w))
			snprintf(r->realdir, sizeof(r->realdir), "%s",
				 watch_realdir(wt.w));
	}
	if (wt.trigger > 0)
		child_stop(wt.trigger, SIGTERM, CHILD_GRACE_MS);
	follow_writer(&wt, 0);
	if (wt.gen != NULL) {
		r->unseen = genproc_unseen(wt.gen);
		snprintf(r->unseen_name, sizeof(r->unseen_name), "%s",
			 genproc_unseen_name(wt.gen));
		snprintf(r->unseen_why, sizeof(r->unseen_why), "%s",
			 genproc_unseen_why(wt.gen));
		r->silent = genproc_silent(wt.gen, &r->silent_pid);
		genproc_free(wt.gen);
	}
	if (r->status == WS_SETTLED && lost_coverage(wt.s, r))
		r->status = WS_LOST;
	watch_close(wt.w);
	r->elapsed = clock_ms() - o->start;
	return r->status;
}
