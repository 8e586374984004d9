/* util.c: the clock, error buffers, checked formatting, allocation, the
 * immutable SQLite URI of a path, SQLite's global settings, and what /proc says
 * of a pid (its pidfd, its start time). Nothing here prints, except the
 * out-of-memory exit. */
#include "util.h"
#include "exitcode.h"

#include <ctype.h>
#include <limits.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <errno.h>
#include <fcntl.h>
#include <time.h>
#include <unistd.h>

msec_t
clock_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (msec_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t
clock_file_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME_COARSE, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int
seterr(char *err, const char *f, ...)
{
	va_list ap;

	if (err == NULL)
		return -1;
	va_start(ap, f);
	vsnprintf(err, ERRLEN, f, ap);
	va_end(ap);
	return -1;
}

int
fmt(char *buf, size_t len, const char *f, ...)
{
	va_list ap;
	int n;

	va_start(ap, f);
	n = vsnprintf(buf, len, f, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= len) {
		errno = ENAMETOOLONG; /* callers' messages show errno */
		return -1;
	}
	return 0;
}

int
pidfd_of(int pid)
{
#ifdef SYS_pidfd_open
	return (int)syscall(SYS_pidfd_open, pid, 0);
#else
	(void)pid;
	errno = ENOSYS;
	return -1;
#endif
}

unsigned long long
pid_started(int pid)
{
	char path[64], buf[1024], *p;
	unsigned long long start = 0;
	ssize_t n;
	int fd, i;

	if (fmt(path, sizeof(path), "/proc/%d/stat", pid) < 0 ||
	    (fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	/* pid (comm) state ...: starttime is the 19th field after state. */
	if ((p = strrchr(buf, ')')) == NULL || p[1] != ' ' || p[2] == 'Z' ||
	    p[2] == 'X' || p[2] == 'x')
		return 0;
	for (i = 0, p += 2; i < 19 && p != NULL; i++)
		if ((p = strchr(p, ' ')) != NULL)
			p++;
	if (p != NULL)
		start = strtoull(p, NULL, 10);
	return start;
}

int
make_dirs(const char *dir, char *err)
{
	char path[PATH_MAX], *p;

	if (fmt(path, sizeof(path), "%s", dir) < 0)
		return seterr(err, "%s: path too long", dir);
	for (p = path + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(path, 0777) < 0 && errno != EEXIST)
			return seterr(err, "cannot create %s: %s", path,
				      strerror(errno));
		*p = '/';
	}
	if (mkdir(path, 0777) < 0 && errno != EEXIST)
		return seterr(err, "cannot create %s: %s", path,
			      strerror(errno));
	return 0;
}

static void
oom(void)
{
	static const char msg[] = "covsettle: out of memory\n";

	(void)!write(2, msg, sizeof(msg) - 1);
	_exit(EXIT_NOMEM);
}

void *
xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (p == NULL)
		oom();
	return p;
}

void *
xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);

	if (p == NULL)
		oom();
	return p;
}

void *
xrealloc(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	if (p == NULL)
		oom();
	return p;
}

char *
xstrdup(const char *s)
{
	size_t n = strlen(s) + 1;

	return memcpy(xmalloc(n), s, n);
}

char *
immutable_uri(const char *path)
{
	static const char hex[] = "0123456789ABCDEF";
	char *uri = xmalloc(3 * strlen(path) + sizeof("file:?immutable=1"));
	char *q = stpcpy(uri, "file:");
	const unsigned char *p;

	for (p = (const unsigned char *)path; *p; p++) {
		if (isalnum(*p) || strchr("/-._~", *p) != NULL) {
			*q++ = (char)*p;
		} else {
			*q++ = '%';
			*q++ = hex[*p >> 4];
			*q++ = hex[*p & 15];
		}
	}
	memcpy(q, "?immutable=1", sizeof("?immutable=1"));
	return uri;
}

/* SQLite's own open(2), as its unix VFS had it. */
static int (*sqlite_open)(const char *, int, int);

/* SQLite opens a data file by its name after check.c has opened and
 * fstat'd it as a regular file: a fifo renamed over that name in between
 * would block SQLite's open(2) for good (no writer comes), and with it a
 * checking thread and the wait's timeout. So every open SQLite makes adds
 * O_NONBLOCK, which does nothing to a regular file; a fifo then opens at
 * once and fails SQLite's first read, a verdict like any other. */
static int
open_nonblocking(const char *path, int flags, int mode)
{
	return sqlite_open(path, flags | O_NONBLOCK, mode);
}

static void
sqlite_configure(void)
{
	sqlite3_vfs *vfs;

	(void)sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
	(void)sqlite3_initialize();
	vfs = sqlite3_vfs_find(NULL);
	if (vfs == NULL || vfs->iVersion < 3 || vfs->xGetSystemCall == NULL)
		return;
	sqlite_open = (int (*)(const char *, int, int))vfs->xGetSystemCall(
		vfs, "open");
	if (sqlite_open != NULL)
		(void)vfs->xSetSystemCall(
			vfs, "open", (sqlite3_syscall_ptr)open_nonblocking);
}

bool
sqlite_setup(void)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;

	pthread_once(&once, sqlite_configure);
	return sqlite3_threadsafe() != 0;
}

size_t
utf8_len(const unsigned char *p)
{
	size_t n, i;

	if (p[0] < 0x80)
		return 1;
	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		n = 2;
	else if (p[0] >= 0xe0 && p[0] <= 0xef)
		n = 3;
	else if (p[0] >= 0xf0 && p[0] <= 0xf4)
		n = 4;
	else
		return 0;
	for (i = 1; i < n; i++)
		if ((p[i] & 0xc0) != 0x80)
			return 0;
	/* No overlong forms, surrogates or code points past U+10FFFF. */
	if ((p[0] == 0xe0 && p[1] < 0xa0) || (p[0] == 0xed && p[1] > 0x9f) ||
	    (p[0] == 0xf0 && p[1] < 0x90) || (p[0] == 0xf4 && p[1] > 0x8f))
		return 0;
	return n;
}
