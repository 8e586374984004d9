/* check.h: the verdict on one coverage.py data file. Read-only: the file is
 * never written, and a symlink out of its directory is never followed. */
#ifndef COVSETTLE_CHECK_H
#define COVSETTLE_CHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "covschema.h"

enum verdict {
	V_OK,
	V_EMPTY,	      /* 0 bytes */
	V_NOT_SQLITE,	      /* no SQLite header, not legacy JSON either */
	V_CORRUPT,	      /* SQLite reports damage, or rows disagree */
	V_INCOMPLETE,	      /* valid SQLite, not a complete coverage db */
	V_LEGACY_JSON,	      /* coverage.py < 5 */
	V_UNSUPPORTED_SCHEMA, /* coverage_schema version other than 7 */
	V_BUSY,		      /* locked by a writer (SQLITE_BUSY) */
	V_SYMLINK,	      /* a symlink out of its directory */
	V_NOT_REGULAR,	      /* fifo, directory, device, socket */
	V_UNREADABLE,	      /* permission or I/O error */
	V_MISSING,	      /* no such file */
	V_COUNT
};

#define REASONLEN 256

struct check_result {
	enum verdict verdict;
	char reason[REASONLEN]; /* why, for people: "3 measured files, lines" */
	off_t size;		/* bytes, of the file checked */
	dev_t dev;		/* the file checked (a symlink's target) */
	ino_t ino;
	struct timespec mtime;
	long nfiles; /* measured files, when ok */
	bool arcs;   /* branch data, when ok */
	bool rows;   /* some line or arc rows, when ok */
	bool nodata; /* ok, but a combined file of no measurement at all:
			no has_arcs row, no rows (not under a parallel
			data file's name, where that is a save cut short) */
};

/* The reason of an era-3 data file (coverage.py 7.13.1 and later) whose
 * rows are complete but whose name has no .H...h part yet: V_INCOMPLETE. */
#define CHECK_UNFINISHED "save not finished (no .H...h)"

/* The verdict's name as printed and in JSON ("ok", "not-sqlite", ...). */
const char *verdict_name(enum verdict v);

/* Check name in the directory open at dirfd, whose canonical path is
 * realdir (used to open it through SQLite without following symlinks).
 * Always fills r and returns r->verdict. */
enum verdict check_file(int dirfd, const char *realdir, const char *name,
			struct check_result *r);

struct sqlite3;

/* More to read of a SQLite file whose structure passed, in the check's
 * own connection and read transaction (so what it reads is the very
 * contents checked, with no second open): read(ctx, db, r, stat_ns), on
 * the checking thread, r as filled so far (its file's device, inode,
 * size and mtime), stat_ns the file clock (clock_file_ns()) just before
 * the file was stat'ed. gather reads the inputs' paths so (pathread.c). */
struct check_reader {
	void (*read)(void *ctx, struct sqlite3 *db,
		     const struct check_result *r, int64_t stat_ns);
	void *ctx;
};

/* check_file() that also calls rd (or nothing when NULL) while a SQLite
 * file that passed is still open. */
enum verdict check_file_read(int dirfd, const char *realdir, const char *name,
			     struct check_result *r,
			     const struct check_reader *rd);

/* Threads for checking n files at once (pool_threads()), or 1 when this
 * SQLite is built without thread support. check_file() is safe to call
 * from several threads: each call opens its own SQLite connection. Call
 * it from the main thread, before any check runs in another. */
int check_threads(size_t n);

#endif
