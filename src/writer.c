/* writer.c: tests for a writer still at work on a data file.
 *
 * coverage.py writes a data file in several short transactions, each on a
 * fresh connection, so a file can be a valid but empty database between
 * two of them. Two tests tell that a writer is not done:
 *  - a read lease, F_SETLEASE with F_RDLCK, which Linux refuses with EAGAIN
 *    exactly while some process has the file open for writing. The lease
 *    is dropped at once; while held, a writer's open() would wait and the
 *    kernel would send us SIGIO, which every command ignores;
 *  - the pid in the file name, when the host field is ours: a live process
 *    with that pid, which started before the file was last written. */
#include "writer.h"
#include "names.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#ifndef F_SETLEASE
#define F_SETLEASE 1024
#endif

enum lease_state
writer_lease(int dirfd, const char *name)
{
	enum lease_state state = LEASE_UNKNOWN;
	int fd;

	fd = openat(dirfd, name,
		    O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return LEASE_UNKNOWN;
	if (fcntl(fd, F_SETLEASE, F_RDLCK) == 0) {
		state = LEASE_FREE;
		(void)fcntl(fd, F_SETLEASE, F_UNLCK);
	} else if (errno == EAGAIN) {
		state = LEASE_WRITING;
	}
	close(fd);
	return state;
}

/* Seconds since the epoch at which the system booted, or 0. */
static time_t
boot_time(void)
{
	static time_t btime = -1;
	char line[256];
	long long v;
	FILE *f;

	if (btime >= 0)
		return btime;
	btime = 0;
	if ((f = fopen("/proc/stat", "re")) == NULL)
		return btime;
	while (fgets(line, sizeof(line), f) != NULL)
		if (sscanf(line, "btime %lld", &v) == 1) {
			btime = (time_t)v;
			break;
		}
	fclose(f);
	return btime;
}

enum proc_state
writer_process(pid_t pid, time_t mtime)
{
	char path[64], buf[1024], state, *p;
	unsigned long long start;
	long hz = sysconf(_SC_CLK_TCK);
	ssize_t n;
	int fd, i;

	if (fmt(path, sizeof(path), "/proc/%d/stat", (int)pid) < 0)
		return PROC_UNKNOWN;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT || errno == ESRCH ? PROC_GONE
							 : PROC_UNKNOWN;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return PROC_GONE; /* reaped between open and read */
	buf[n] = '\0';
	/* pid (comm) state ... : comm may hold spaces and parentheses. */
	if ((p = strrchr(buf, ')')) == NULL ||
	    sscanf(p + 1, " %c", &state) != 1)
		return PROC_UNKNOWN;
	if (state == 'Z' || state == 'X' || state == 'x')
		return PROC_GONE;
	/* Field 22, starttime, is the 20th after the state. */
	for (i = 0, p += 2; i < 19 && p != NULL; i++) {
		p = strchr(p, ' ');
		if (p != NULL)
			p++;
	}
	if (p != NULL && sscanf(p, "%llu", &start) == 1 && hz > 0 &&
	    boot_time() > 0 &&
	    boot_time() + (time_t)(start / (unsigned long long)hz) > mtime + 1)
		return PROC_GONE; /* a later process reusing the pid */
	return PROC_ALIVE;
}

enum writer_seen
writer_at_work(int dirfd, const char *name, bool by_pid, time_t mtime,
	       pid_t *pid)
{
	struct name_fields nf;

	*pid = 0;
	if (dirfd >= 0 && writer_lease(dirfd, name) == LEASE_WRITING)
		return WRITER_OPEN;
	if (!by_pid || !name_parse(name, &nf) ||
	    !name_host_is(name, &nf, writer_hostname()))
		return WRITER_QUIET;
	*pid = nf.pid;
	switch (writer_process(nf.pid, mtime)) {
	case PROC_ALIVE:
		return WRITER_ALIVE;
	case PROC_GONE:
		return WRITER_GONE;
	case PROC_UNKNOWN:
		break;
	}
	return WRITER_QUIET;
}

const char *
writer_hostname(void)
{
	static char host[256];

	if (host[0] == '\0' && gethostname(host, sizeof(host) - 1) < 0)
		host[0] = '\0';
	return host;
}
