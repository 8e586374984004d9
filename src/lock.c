/* lock.c: the gather lock. flock(2) on DIR/.covsettle.lock: the kernel
 * drops it when covsettle exits, however it exits, so a crashed gather
 * never blocks the next one. The holder writes its pid into the file for
 * the message of whoever waits. The file is left in place: removing a
 * lock file races with the next locker. DIR may itself be deleted and
 * made again while a gather waits for the lock: the lock it then gets is
 * on a file no longer in DIR, so after taking the lock the file at
 * DIR/.covsettle.lock must still be the one locked, else it starts
 * again on the new file. */
#include "lock.h"
#include "sig.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#define RETRY_MS 100

/* Is the file open at fd still the one at path? */
static bool
still_there(int fd, const char *path)
{
	struct stat a, b;

	return fstat(fd, &a) == 0 && lstat(path, &b) == 0 &&
	       a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

static pid_t
read_holder(int fd)
{
	char buf[32];
	ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);

	if (n <= 0)
		return 0;
	buf[n] = '\0';
	return (pid_t)atoi(buf);
}

enum lock_state
lock_take(const char *dir, bool wait, msec_t deadline, int sigfd, int *fd,
	  pid_t *holder, int *signo, char *err)
{
	struct pollfd pfd = { .fd = sigfd, .events = POLLIN };
	char path[PATH_MAX], pid[32];
	ssize_t n = 0;
	msec_t left;
	int s;

	*fd = -1;
	*holder = 0;
	*signo = 0;
	if (make_dirs(dir, err) < 0)
		return LOCK_ERROR;
	if (fmt(path, sizeof(path), "%s/%s", dir, LOCK_NAME) < 0) {
		seterr(err, "%s: path too long", dir);
		return LOCK_ERROR;
	}
again:
	*fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (*fd < 0) {
		seterr(err, "cannot open %s: %s", path, strerror(errno));
		return LOCK_ERROR;
	}
	while (flock(*fd, LOCK_EX | LOCK_NB) < 0) {
		if (errno != EWOULDBLOCK && errno != EINTR) {
			seterr(err, "cannot lock %s: %s", path,
			       strerror(errno));
			goto fail;
		}
		*holder = read_holder(*fd);
		if (!wait) {
			close(*fd);
			*fd = -1;
			return LOCK_BUSY;
		}
		left = deadline < 0 ? RETRY_MS : deadline - clock_ms();
		if (left <= 0) {
			close(*fd);
			*fd = -1;
			return LOCK_TIMEOUT;
		}
		/* flock(2) cannot be polled: retry, waking for signals. */
		if (poll(&pfd, 1, (int)(left < RETRY_MS ? left : RETRY_MS)) > 0)
			while ((s = sig_read(sigfd)) > 0)
				if (s != SIGCHLD) {
					*signo = s;
					close(*fd);
					*fd = -1;
					return LOCK_SIGNAL;
				}
	}
	if (!still_there(*fd, path)) {
		close(*fd);
		if (make_dirs(dir, err) < 0) {
			*fd = -1;
			return LOCK_ERROR;
		}
		goto again;
	}
	snprintf(pid, sizeof(pid), "%d\n", (int)getpid());
	if (ftruncate(*fd, 0) < 0 ||
	    (n = pwrite(*fd, pid, strlen(pid), 0)) != (ssize_t)strlen(pid)) {
		/* A short write sets no errno: a full disk, as the next would
		 * say. */
		seterr(err, "cannot write %s: %s", path,
		       strerror(n >= 0 ? ENOSPC : errno));
		goto fail;
	}
	return LOCK_TAKEN;
fail:
	close(*fd);
	*fd = -1;
	return LOCK_ERROR;
}

void
lock_release(int fd)
{
	if (fd >= 0)
		close(fd);
}
