/* util.h: small helpers shared by every module of covsettle: the
 * monotonic clock, error buffers, checked formatting, mkdir -p, what
 * /proc and pidfd_open(2) say of a pid, allocation that never returns
 * NULL, the immutable SQLite URI of a path, SQLite's global settings and
 * the length of a UTF-8 sequence.
 * Nothing here prints; the allocators exit EXIT_NOMEM (exitcode.h). */
#ifndef COVSETTLE_UTIL_H
#define COVSETTLE_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Every module that can fail fills a caller's buffer of this size. */
#define ERRLEN 512

/* Milliseconds on the monotonic clock. */
typedef int64_t msec_t;

/* Current time on CLOCK_MONOTONIC in milliseconds. */
msec_t clock_ms(void);

/* The real-time clock as the kernel stamps files with it
 * (CLOCK_REALTIME_COARSE), in ns since the epoch: a file created after
 * this call has a birth time no earlier than what it returns (a finer
 * clock may run ahead of the file's stamp by up to a tick). */
int64_t clock_file_ns(void);

/* Format into err (ERRLEN bytes); always returns -1 so callers can
 * write `return seterr(err, ...)`. */
int seterr(char *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* snprintf that reports truncation: 0 when the whole text fit, else -1
 * with errno ENAMETOOLONG. */
int fmt(char *buf, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* mkdir -p dir (mode 0777 less the umask). 0, or -1 with err. */
int make_dirs(const char *dir, char *err);

/* A pollable descriptor that becomes readable when process pid exits
 * (pidfd_open(2)), or -1 with errno. */
int pidfd_of(int pid);

/* When process pid started, in clock ticks after boot (/proc/PID/stat):
 * with the pid, it names one process for good. 0 when there is no such
 * process or it is a zombie. */
unsigned long long pid_started(int pid);

/* Allocation that never returns NULL: covsettle exits EXIT_NOMEM on
 * OOM. */
void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);

/* "file:PATH?immutable=1", PATH percent-encoded (malloc'd): SQLite reads
 * the file at path with no locks and creates no side file beside it. */
char *immutable_uri(const char *path);

/* SQLite's global settings, made once before its first use (any thread
 * may call it, any number of times): without memory statistics,
 * allocating takes no global mutex, which threads reading data files at
 * once would otherwise wait on at every allocation. True when threads
 * may use SQLite at once (not a SQLITE_THREADSAFE=0 build: no mutexes at
 * all). It also has every open SQLite makes not block (util.c,
 * open_nonblocking()). */
bool sqlite_setup(void);

/* Length of the valid UTF-8 sequence at p (1 to 4 bytes: no overlong
 * form, surrogate or code point past U+10FFFF), or 0. The one rule for
 * JSON strings and escaped names (output.c) and Python's reading of a
 * name (stage.c). */
size_t utf8_len(const unsigned char *p);

#endif
