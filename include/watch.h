/* watch.h: where DIR's changes come from: inotify through libinotifytools,
 * or polling where inotify cannot serve. Also lists DIR's data files. */
#ifndef COVSETTLE_WATCH_H
#define COVSETTLE_WATCH_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>

#include "util.h"

#define DEFAULT_POLL_MS 250

enum wev_kind {
	WEV_CHANGED,  /* name was created, written, closed or moved in */
	WEV_GONE,     /* name was deleted or moved out */
	WEV_RESCAN,   /* events were lost (queue overflow): scan everything */
	WEV_DIR_GONE, /* DIR was deleted or moved away */
	WEV_DIR_BACK, /* DIR exists (again): scan everything */
};

struct wev {
	enum wev_kind kind;
	const char *name; /* valid until the next watch_read */
	uint32_t mask;	  /* the inotify mask, for -v */
	bool deleted;	  /* WEV_GONE by deletion, not by a move */
	bool attrib;	  /* WEV_CHANGED by attributes alone (chmod, chown,
			   * utimes): nothing written */
};

struct watch;

/* Watch the directory dir. poll_ms > 0 forces polling every poll_ms.
 * Returns NULL with err filled when dir cannot be watched at all (exists
 * but unreadable, or not a directory). When inotify cannot serve, the
 * watch polls and watch_note() says why. */
struct watch *watch_open(const char *dir, msec_t poll_ms, char *err);
void watch_close(struct watch *w);

/* The descriptor to poll for events, or -1 when polling. */
int watch_fd(const struct watch *w);

/* Polling interval, or 0 with inotify. */
msec_t watch_poll_ms(const struct watch *w);

/* Why the watch polls, or NULL. Cleared by reading it. */
const char *watch_note(struct watch *w);

/* True when DIR exists and is watched. */
bool watch_present(const struct watch *w);

/* DIR's descriptor and canonical path, while present. */
int watch_dirfd(const struct watch *w);
const char *watch_realdir(const struct watch *w);

/* Next pending event without blocking: 1 with ev filled, 0 when none are
 * left, -1 with err on a failure that ends the watch. */
int watch_read(struct watch *w, struct wev *ev, char *err);

/* watch_scan_dir() of DIR. Returns 0, or -1 with err when DIR is unreadable; a
 * missing DIR is an empty one (and flips the watch to waiting for it). */
int watch_scan(struct watch *w, const char *pattern,
	       void (*fn)(void *, const char *, const struct stat *), void *ctx,
	       char *err);

/* Call fn for every data file of the directory open at dirfd (a name
 * that name_is_datafile() keeps for pattern): regular files and symlinks only
 * (fifos, directories and devices are never opened). 0, or -1 with errno. */
int watch_scan_dir(int dirfd, const char *pattern,
		   void (*fn)(void *, const char *, const struct stat *),
		   void *ctx);

/* An event mask as text ("CREATE,ISDIR"), for -v. */
const char *watch_event_str(uint32_t mask);

#endif
