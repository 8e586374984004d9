/* watch.c: DIR's events, from inotify through libinotifytools, or from
 * polling where inotify cannot serve, and the listing of DIR.
 *
 * libinotifytools 3.22 owns the inotify instance and decodes events, but
 * inotifytools_next_event() waits in whole seconds and the descriptor is
 * not exported. covsettle needs a millisecond quiet window and a loop that
 * also wakes for signals and exiting writers, with no periodic wake-ups.
 * So right after inotifytools_initialize() we find the library's
 * descriptor: the one /proc/self/fd entry reading "anon_inode:inotify"
 * that was not there before. The caller poll(2)s it with its signalfd,
 * and watch_read() drains the library with inotifytools_next_events(0, 1):
 * timeout 0 is a select(2) that does not block, and n = 1 because n > 1
 * spins on FIONREAD. The library buffers up to 4096 events per read(2),
 * so a readable descriptor is drained until the library returns NULL.
 * No regex filter is set: the library's filter drops overflow events.
 *
 * When DIR is deleted, moved away or does not exist yet, the library's
 * watch table keeps stale entries (it cannot remove a watch the kernel
 * already dropped, and a new watch under the same name collides in its
 * name tree), so every (re)arm drains and restarts the library instance:
 * a clean table, a new descriptor. While DIR is absent, its nearest
 * existing ancestor is watched for the next path component to appear. */
#include "watch.h"
#include "names.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inotifytools/inotify.h>
#include <inotifytools/inotifytools.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/vfs.h>
#include <unistd.h>

#define DIR_EVENTS                                                             \
	(IN_CREATE | IN_MODIFY | IN_CLOSE_WRITE | IN_ATTRIB | IN_MOVED_FROM |  \
	 IN_MOVED_TO | IN_DELETE | IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR)
#define ANCESTOR_EVENTS                                                        \
	(IN_CREATE | IN_MOVED_TO | IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR)
/* On DIR's parent while DIR exists: our open descriptor of DIR delays its
 * IN_DELETE_SELF until we close it, but the parent sees the rmdir. */
#define PARENT_EVENTS                                                          \
	(IN_CREATE | IN_MOVED_TO | IN_DELETE | IN_MOVED_FROM | IN_ONLYDIR)
#define MAX_FDS_SCANNED 4096

struct watch {
	char *path;	   /* DIR, absolute */
	char *real;	   /* canonical path of DIR while present */
	int dirfd;	   /* DIR while present, else -1 */
	bool present;	   /* DIR exists and is watched */
	msec_t poll_ms;	   /* > 0: polling every poll_ms */
	bool lib;	   /* the library is initialised */
	int ifd;	   /* the library's inotify descriptor */
	int dir_wd;	   /* watch on DIR */
	int anc_wd;	   /* watch on DIR's nearest ancestor, while absent */
	int par_wd;	   /* watch on DIR's parent, while present */
	size_t anc_len;	   /* length of that ancestor's (or parent's) path */
	bool rearm;	   /* arm again before reading more events */
	char note[ERRLEN]; /* why polling, until read */
	char name[NAME_MAX + 1]; /* the last event's name */
};

/* Filesystems whose remote writes raise no inotify events. */
static const struct {
	long magic;
	const char *name;
} remote_fs[] = {
	{ 0x6969, "nfs" },	  { 0xFF534D42, "cifs" },
	{ 0xFE534D42, "smb2" },	  { 0x517B, "smb" },
	{ 0x65735546, "fuse" },	  { 0x01021997, "9p" },
	{ 0x00C36400, "ceph" },	  { 0x5346414F, "afs" },
	{ 0x6B414653, "afs" },	  { 0x73757245, "coda" },
	{ 0x564C, "ncp" },	  { 0x47504653, "gpfs" },
	{ 0x0BD00BD0, "lustre" },
};

/* Why inotify cannot serve, when it cannot. */
static const char instance_limit[] = " (fs.inotify.max_user_instances reached)";
static const char watch_limit[] =
	"inotify watch limit reached (fs.inotify.max_user_watches)";
static const char no_lib_fd[] =
	"cannot find libinotifytools' descriptor in /proc/self/fd";

/* The name of the network filesystem the directory dirfd is on, or NULL
 * (a local one, or fstatfs(2) failed). */
static const char *
network_fs(int dirfd)
{
	struct statfs sfs;
	size_t i;

	if (fstatfs(dirfd, &sfs) < 0)
		return NULL;
	for (i = 0; i < sizeof(remote_fs) / sizeof(remote_fs[0]); i++)
		if (sfs.f_type == remote_fs[i].magic)
			return remote_fs[i].name;
	return NULL;
}

/* Is fd an inotify instance? */
static bool
is_inotify_fd(int procfd, const char *name)
{
	char target[64];
	ssize_t n;

	n = readlinkat(procfd, name, target, sizeof(target) - 1);
	if (n < 0)
		return false;
	target[n] = '\0';
	return strcmp(target, "anon_inode:inotify") == 0;
}

/* Inotify descriptors open now, as a bitmap over fds < MAX_FDS_SCANNED. */
static void
inotify_fds(unsigned char *map)
{
	struct dirent *de;
	DIR *d;
	int fd;

	memset(map, 0, MAX_FDS_SCANNED / 8);
	if ((d = opendir("/proc/self/fd")) == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		fd = atoi(de->d_name);
		if (de->d_name[0] != '.' && fd >= 0 && fd < MAX_FDS_SCANNED &&
		    is_inotify_fd(dirfd(d), de->d_name))
			map[fd / 8] |= (unsigned char)(1u << (fd % 8));
	}
	closedir(d);
}

/* Drop the library's instance, after draining what it has buffered, so
 * that no stale event outlives it. Closing an inotify instance waits for
 * the kernel to destroy its watches (an SRCU grace period, a few ms); the
 * close is done here, by covsettle itself: handing the descriptor to a
 * process that outlives covsettle saved nothing measurable on the seed
 * flow (bench/README.md), and no process of covsettle's may outlive it. */
static void
lib_stop(struct watch *w)
{
	if (!w->lib)
		return;
	while (inotifytools_next_events(0, 1) != NULL)
		;
	inotifytools_cleanup();
	w->lib = false;
	w->ifd = -1;
}

/* Poll from now on, saying why. */
static void
fall_back(struct watch *w, const char *why)
{
	lib_stop(w);
	w->poll_ms = DEFAULT_POLL_MS;
	if (fmt(w->note, sizeof(w->note), "%s; polling every %lldms instead",
		why, (long long)w->poll_ms) < 0)
		w->note[sizeof(w->note) - 2] = '.';
}

/* Start a fresh library instance and find its descriptor. */
static void
lib_start(struct watch *w)
{
	unsigned char before[MAX_FDS_SCANNED / 8], after[MAX_FDS_SCANNED / 8];
	char why[ERRLEN];
	int fd, e;

	lib_stop(w);
	inotify_fds(before);
	if (!inotifytools_initialize()) {
		e = inotifytools_error();
		snprintf(why, sizeof(why), "inotify is unavailable: %s%s",
			 strerror(e), e == EMFILE ? instance_limit : "");
		fall_back(w, why);
		return;
	}
	w->lib = true;
	inotify_fds(after);
	for (fd = 0; fd < MAX_FDS_SCANNED; fd++)
		if ((after[fd / 8] & ~before[fd / 8]) & (1u << (fd % 8)))
			break;
	if (fd == MAX_FDS_SCANNED) {
		fall_back(w, no_lib_fd);
		return;
	}
	w->ifd = fd;
}

/* Watch path with mask; the library keeps the watch. wd or -1, errno. */
static int
add_watch(const char *path, int mask)
{
	char slashed[PATH_MAX];
	int wd;

	if (!inotifytools_watch_file(path, mask)) {
		errno = inotifytools_error();
		return -1;
	}
	/* The library files directories under "path/", but a symlink to
	 * one (which inotify follows) under "path", as it lstat()s it. */
	if (fmt(slashed, sizeof(slashed), "%s/", path) < 0)
		return -1;
	if ((wd = inotifytools_wd_from_filename(slashed)) < 0)
		wd = inotifytools_wd_from_filename(path);
	if (wd < 0)
		errno = EINVAL; /* watched, but not filed where we look */
	return wd;
}

/* Length of the prefix of DIR's path that ends with the component just
 * below the watched ancestor. */
static size_t
next_component_end(const struct watch *w)
{
	size_t start = w->anc_len + (w->anc_len > 1);

	return start + strcspn(w->path + start, "/");
}

/* While DIR is absent, watch its nearest existing ancestor. Returns 0,
 * 1 when DIR's next component appeared meanwhile, -1 with err. */
static int
watch_ancestor(struct watch *w, char *err)
{
	char anc[PATH_MAX], *slash;
	struct stat st;

	if (fmt(anc, sizeof(anc), "%s", w->path) < 0)
		return seterr(err, "%s: path too long", w->path);
	for (;;) {
		slash = strrchr(anc, '/');
		if (slash == NULL)
			return seterr(err, "%s: no existing parent", w->path);
		if (slash == anc)
			slash[1] = '\0';
		else
			*slash = '\0';
		if (stat(anc, &st) == 0 && S_ISDIR(st.st_mode))
			break;
		if (slash == anc)
			return seterr(err, "%s: no existing parent", w->path);
	}
	w->anc_len = strlen(anc);
	w->anc_wd = add_watch(anc, ANCESTOR_EVENTS);
	if (w->anc_wd < 0) {
		if (errno == ENOSPC) {
			fall_back(w, watch_limit);
			return 0;
		}
		return seterr(err, "cannot watch %s: %s", anc, strerror(errno));
	}
	/* Raced: the next component appeared before the watch was armed. */
	if (fmt(anc, sizeof(anc), "%.*s", (int)next_component_end(w),
		w->path) == 0 &&
	    stat(anc, &st) == 0)
		return 1;
	return 0;
}

/* While DIR exists, watch its parent for DIR's own name: deleted, moved
 * away or replaced. Best effort: without it, IN_DELETE_SELF still comes
 * once nothing holds DIR open. */
static void
watch_parent(struct watch *w)
{
	char parent[PATH_MAX];
	char *slash;

	if (w->poll_ms > 0 || fmt(parent, sizeof(parent), "%s", w->path) < 0 ||
	    (slash = strrchr(parent, '/')) == NULL || slash[1] == '\0')
		return;
	if (slash == parent)
		slash[1] = '\0';
	else
		*slash = '\0';
	w->anc_len = strlen(parent);
	w->par_wd = add_watch(parent, PARENT_EVENTS);
}

/* Arm the watch on DIR (or its ancestor), then open DIR. 0 or -1/err. */
static int
arm(struct watch *w, char *err)
{
	char why[ERRLEN];
	const char *fs;
	int tries, rc;

	for (tries = 0; tries < 100; tries++) {
		if (w->dirfd >= 0)
			close(w->dirfd);
		w->dirfd = -1;
		free(w->real);
		w->real = NULL;
		w->present = false;
		w->dir_wd = w->anc_wd = w->par_wd = -1;
		if (w->poll_ms == 0)
			lib_start(w);
		if (w->poll_ms == 0 &&
		    (w->dir_wd = add_watch(w->path, DIR_EVENTS)) < 0) {
			if (errno == ENOSPC) {
				fall_back(w, watch_limit);
			} else if (errno == ENOENT) {
				rc = watch_ancestor(w, err);
				if (rc < 0)
					return -1;
				if (rc == 1)
					continue;
				return 0;
			} else {
				return seterr(err, "cannot watch %s: %s",
					      w->path, strerror(errno));
			}
		}
		w->dirfd = open(w->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (w->dirfd < 0) {
			if (errno == ENOENT && w->poll_ms == 0)
				continue; /* deleted since the watch: again */
			if (errno == ENOENT)
				return 0;
			return seterr(err, "cannot open %s: %s", w->path,
				      strerror(errno));
		}
		if ((w->real = realpath(w->path, NULL)) == NULL)
			continue; /* deleted again: start over */
		w->present = true;
		watch_parent(w);
		if (w->poll_ms == 0 && (fs = network_fs(w->dirfd)) != NULL) {
			snprintf(why, sizeof(why),
				 "%s is on a network filesystem (%s) "
				 "whose remote writes raise no inotify events",
				 w->path, fs);
			fall_back(w, why);
		}
		return 0;
	}
	return seterr(err, "%s keeps disappearing while being watched",
		      w->path);
}

struct watch *
watch_open(const char *dir, msec_t poll_ms, char *err)
{
	struct watch *w = xcalloc(1, sizeof(*w));
	char cwd[PATH_MAX], abs[PATH_MAX];
	size_t n;

	w->dirfd = w->ifd = w->dir_wd = w->anc_wd = w->par_wd = -1;
	w->poll_ms = poll_ms;
	if (dir[0] == '/') {
		if (fmt(abs, sizeof(abs), "%s", dir) < 0)
			goto toolong;
	} else if (getcwd(cwd, sizeof(cwd)) == NULL ||
		   fmt(abs, sizeof(abs), "%s/%s", cwd, dir) < 0) {
		goto toolong;
	}
	/* Without trailing slashes or "/." components: DIR's parent is then
	 * the path without its last component, never DIR itself (a second
	 * watch on DIR's inode would replace DIR_EVENTS with PARENT_EVENTS). */
	for (n = strlen(abs); n > 1; abs[n] = '\0') {
		if (abs[n - 1] == '/')
			n -= 1;
		else if (abs[n - 1] == '.' && abs[n - 2] == '/')
			n -= 2;
		else
			break;
	}
	if (n == 0) {
		abs[0] = '/';
		abs[1] = '\0';
	}
	w->path = xstrdup(abs);
	if (arm(w, err) < 0) {
		watch_close(w);
		return NULL;
	}
	return w;
toolong:
	seterr(err, "%s: path too long", dir);
	free(w);
	return NULL;
}

void
watch_close(struct watch *w)
{
	if (w == NULL)
		return;
	lib_stop(w);
	if (w->dirfd >= 0)
		close(w->dirfd);
	free(w->real);
	free(w->path);
	free(w);
}

int
watch_fd(const struct watch *w)
{
	return w->lib ? w->ifd : -1;
}

msec_t
watch_poll_ms(const struct watch *w)
{
	return w->poll_ms;
}

const char *
watch_note(struct watch *w)
{
	static char copy[ERRLEN];

	if (w->note[0] == '\0')
		return NULL;
	memcpy(copy, w->note, sizeof(copy));
	w->note[0] = '\0';
	return copy;
}

bool
watch_present(const struct watch *w)
{
	return w->present;
}

int
watch_dirfd(const struct watch *w)
{
	return w->dirfd;
}

const char *
watch_realdir(const struct watch *w)
{
	return w->real;
}

/* Is name the next component of DIR below the watched ancestor? */
static bool
is_next_component(const struct watch *w, const char *name)
{
	size_t start = w->anc_len + (w->anc_len > 1);
	size_t n = next_component_end(w) - start;

	return strlen(name) == n && strncmp(w->path + start, name, n) == 0;
}

int
watch_read(struct watch *w, struct wev *ev, char *err)
{
	struct inotify_event *e;

	for (;;) {
		if (w->rearm) {
			w->rearm = false;
			if (arm(w, err) < 0)
				return -1;
			if (w->present) {
				ev->kind = WEV_DIR_BACK;
				ev->name = NULL;
				ev->mask = 0;
				ev->deleted = false;
				ev->attrib = false;
				return 1;
			}
		}
		if (!w->lib)
			return 0;
		e = inotifytools_next_events(0, 1);
		if (e == NULL) {
			if (inotifytools_error() != 0)
				return seterr(err, "reading inotify events: %s",
					      strerror(inotifytools_error()));
			return 0;
		}
		ev->mask = e->mask;
		ev->name = NULL;
		ev->deleted = (e->mask & IN_DELETE) != 0;
		ev->attrib = (e->mask & ~(uint32_t)IN_ISDIR) == IN_ATTRIB;
		if (e->wd == -1 || (e->mask & IN_Q_OVERFLOW)) {
			ev->kind = WEV_RESCAN;
			return 1;
		}
		if (w->present && e->wd == w->dir_wd) {
			if (e->mask & (IN_DELETE_SELF | IN_MOVE_SELF |
				       IN_IGNORED | IN_UNMOUNT)) {
				w->present = false;
				w->rearm = true;
				ev->kind = WEV_DIR_GONE;
				return 1;
			}
			if (e->len == 0 || (e->mask & IN_ISDIR))
				continue;
			snprintf(w->name, sizeof(w->name), "%s", e->name);
			ev->name = w->name;
			ev->kind = (e->mask & (IN_DELETE | IN_MOVED_FROM))
					   ? WEV_GONE
					   : WEV_CHANGED;
			return 1;
		}
		if (w->present && e->wd == w->par_wd && e->len > 0 &&
		    is_next_component(w, e->name)) {
			w->present = false;
			w->rearm = true;
			ev->kind = WEV_DIR_GONE;
			return 1;
		}
		if (!w->present && e->wd == w->anc_wd &&
		    ((e->mask & (IN_DELETE_SELF | IN_MOVE_SELF)) ||
		     (e->len > 0 && is_next_component(w, e->name))))
			w->rearm = true;
	}
}

int
watch_scan(struct watch *w, const char *pattern,
	   void (*fn)(void *, const char *, const struct stat *), void *ctx,
	   char *err)
{
	if (w->poll_ms > 0) {
		/* Polling: DIR may have been replaced since the last scan. */
		if (w->dirfd >= 0)
			close(w->dirfd);
		free(w->real);
		w->real = NULL;
		w->dirfd = open(w->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		w->present = w->dirfd >= 0 &&
			     (w->real = realpath(w->path, NULL)) != NULL;
		if (w->dirfd < 0 && errno != ENOENT)
			return seterr(err, "cannot open %s: %s", w->path,
				      strerror(errno));
	}
	if (!w->present || watch_scan_dir(w->dirfd, pattern, fn, ctx) == 0 ||
	    errno == ENOENT)
		return 0;
	return seterr(err, "cannot read %s: %s", w->path, strerror(errno));
}

int
watch_scan_dir(int dirfd, const char *pattern,
	       void (*fn)(void *, const char *, const struct stat *), void *ctx)
{
	struct dirent *de;
	struct stat st;
	int fd, e;
	DIR *d;

	/* A fresh descriptor: readdir moves the one it reads. */
	if ((fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return -1;
	if ((d = fdopendir(fd)) == NULL) {
		e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	errno = 0;
	while ((de = readdir(d)) != NULL) {
		if (!name_is_datafile(pattern, de->d_name))
			continue;
		if (fstatat(dirfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
			continue; /* gone meanwhile */
		if (S_ISREG(st.st_mode) || S_ISLNK(st.st_mode))
			fn(ctx, de->d_name, &st);
		errno = 0;
	}
	e = errno;
	closedir(d);
	errno = e;
	return e != 0 && e != ENOENT ? -1 : 0;
}

const char *
watch_event_str(uint32_t mask)
{
	return inotifytools_event_to_str((int)mask);
}
