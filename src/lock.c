/* lock.c: the gather lock, flock(2) on DIR itself.
 *
 * One gather per directory at a time: the lock is an exclusive flock on
 * a descriptor of DIR, so nothing is written into DIR for it, and DIR is
 * left as it was found. The kernel drops it when covsettle exits, however
 * it exits, so a crashed gather never blocks the next one. A flock is on
 * the inode: it holds across users, and across containers that share DIR
 * through a bind mount or a volume of the same filesystem. The holder's
 * pid, for the message of whoever waits, is the one /proc/locks gives in
 * our pid namespace; a holder in another one is not listed there, and its
 * pid is unknown (0), never a guess.
 *
 * Where a directory cannot be locked (an NFS mount emulates flock with
 * byte-range locks, which need a descriptor open for writing), the lock
 * is DIR/.covsettle.lock, locked the same way, holding the holder's pid,
 * and left in place: removing a lock file races with the next locker.
 *
 * DIR may itself be deleted and made again while a gather waits for the
 * lock: the lock it then gets is on an inode no longer at DIR's path, so
 * after taking it the path must still lead to the inode locked, else it
 * starts again on the new DIR. */
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
#include <sys/sysmacros.h>
#include <unistd.h>

#define RETRY_MS 100

/* Is the file open at fd still the one at path? */
static bool
still_there(int fd, const char *path)
{
	struct stat a, b;

	return fstat(fd, &a) == 0 && stat(path, &b) == 0 &&
	       a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

/* The pid written in the lock file open at fd, or 0. */
static pid_t
file_holder(int fd)
{
	char buf[32];
	ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);

	if (n <= 0)
		return 0;
	buf[n] = '\0';
	return (pid_t)atoi(buf);
}

/* The pid that holds a flock on the inode open at fd, as /proc/locks
 * lists it in our pid namespace ("1: FLOCK ADVISORY WRITE PID
 * MAJ:MIN:INODE 0 EOF", the device in hex; a waiter's line has "->"
 * before FLOCK), or 0: not listed, or listed under a device that is not
 * the one stat(2) gives (a btrfs subvolume): unknown, never a guess. */
static pid_t
flock_holder(int fd)
{
	unsigned maj, min;
	unsigned long long ino;
	char line[256], kind[16];
	struct stat st;
	pid_t pid = 0;
	int p;
	FILE *f;

	if (fstat(fd, &st) < 0 || (f = fopen("/proc/locks", "re")) == NULL)
		return 0;
	while (pid == 0 && fgets(line, sizeof(line), f) != NULL)
		if (sscanf(line, "%*d: %15s %*s %*s %d %x:%x:%llu", kind, &p,
			   &maj, &min, &ino) == 5 &&
		    strcmp(kind, "FLOCK") == 0 && maj == major(st.st_dev) &&
		    min == minor(st.st_dev) &&
		    ino == (unsigned long long)st.st_ino)
			pid = p;
	fclose(f);
	return pid;
}

/* Open what is locked: DIR itself, or with file (a directory cannot be
 * locked there), DIR/.covsettle.lock. -1 with err. */
static int
open_lock(const char *dir, bool file, char *err)
{
	char path[PATH_MAX];
	int fd;

	if (!file) {
		fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (fd < 0)
			seterr(err, "cannot open %s: %s", dir, strerror(errno));
		return fd;
	}
	if (fmt(path, sizeof(path), "%s/%s", dir, LOCK_NAME) < 0)
		return seterr(err, "%s: path too long", dir);
	fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd < 0)
		seterr(err, "cannot open %s: %s", path, strerror(errno));
	return fd;
}

/* Does flock's errno say that this descriptor cannot be locked at all
 * (a directory on a filesystem that emulates flock)? */
static bool
unlockable(int e)
{
	return e == EBADF || e == ENOLCK || e == EOPNOTSUPP || e == EINVAL;
}

enum lock_state
lock_take(const char *dir, bool wait, msec_t deadline, int sigfd, int *fd,
	  pid_t *holder, int *signo, char *err)
{
	struct pollfd pfd = { .fd = sigfd, .events = POLLIN };
	char path[PATH_MAX], pid[32];
	bool file = false;
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
	if ((*fd = open_lock(dir, file, err)) < 0)
		return LOCK_ERROR;
	while (flock(*fd, LOCK_EX | LOCK_NB) < 0) {
		if (!file && unlockable(errno)) {
			close(*fd);
			file = true;
			goto again;
		}
		if (errno != EWOULDBLOCK && errno != EINTR) {
			seterr(err, "cannot lock %s: %s", file ? path : dir,
			       strerror(errno));
			goto fail;
		}
		*holder = file ? file_holder(*fd) : flock_holder(*fd);
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
	if (!still_there(*fd, file ? path : dir)) {
		close(*fd);
		if (make_dirs(dir, err) < 0) {
			*fd = -1;
			return LOCK_ERROR;
		}
		goto again;
	}
	if (!file)
		return LOCK_TAKEN;
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
