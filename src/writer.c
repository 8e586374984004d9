/* writer.c: tests for a writer still at work on a data file.
 *
 * coverage.py writes a data file in several short transactions, each on a
 * fresh connection, so a file can be a valid but empty database between
 * two of them. Two tests tell that a writer is not done:
 *  - a read lease, F_SETLEASE with F_RDLCK, which Linux refuses with EAGAIN
 *    exactly while some process has the file open for writing. The lease
 *    is dropped at once; while held, a writer's open() would wait and the
 *    kernel would send us SIGIO, which every command ignores. Without
 *    ownership of the file or CAP_LEASE (the default in a container) the
 *    kernel refuses every lease and this test is off;
 *  - the pid in the file name, when the host field is ours. In containers
 *    the pid belongs to another PID namespace, and with host networking
 *    the host name is ours, so a live process here may merely share the
 *    number. It is evidence only when that process can be the writer: not
 *    a kernel thread, not known by another number in its own PID
 *    namespace (NSpid: the writer put its own number in the name), not
 *    started after the file was born (statx's btime, else its mtime), and
 *    unless it has the file open, a Python process (its executable, or
 *    libpython in its maps) whose number no process in a nested PID
 *    namespace (a container seen from its host) also goes by. */
#include "writer.h"
#include "names.h"
#include "util.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#ifndef F_SETLEASE
#define F_SETLEASE 1024
#endif

#define PF_KTHREAD 0x00200000 /* include/linux/sched.h */
/* A process that started this long after the file was born is taken for
 * a later one: start times have clock-tick resolution, and clocks slew. */
#define START_SLACK_MS	1000
#define NESTED_CACHE_MS 100

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
	} else if (errno == EACCES || errno == EPERM) {
		state = LEASE_DENIED;
	}
	close(fd);
	return state;
}

/* Read /proc/PID/NAME into buf (NUL-terminated); bytes read, or -1. */
static ssize_t
proc_read(pid_t pid, const char *name, char *buf, size_t len)
{
	char path[64];
	ssize_t n;
	int fd;

	if (fmt(path, sizeof(path), "/proc/%d/%s", (int)pid, name) < 0)
		return -1;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return -1;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -1;
	buf[n] = '\0';
	return n;
}

/* Milliseconds since the epoch at which a process started, from its
 * starttime in clock ticks after boot; 0 when unknown. */
static long long
start_ms(unsigned long long ticks)
{
	struct timespec real, boot;
	long hz = sysconf(_SC_CLK_TCK);

	if (hz <= 0 || clock_gettime(CLOCK_REALTIME, &real) < 0 ||
	    clock_gettime(CLOCK_BOOTTIME, &boot) < 0)
		return 0;
	return (long long)(real.tv_sec - boot.tv_sec) * 1000 +
	       (real.tv_nsec - boot.tv_nsec) / 1000000 +
	       (long long)(ticks * 1000 / (unsigned long long)hz);
}

/* The last number on the NSpid line of /proc/PID/status: the pid the
 * process knows itself by, in its own PID namespace; 0 when unknown. */
static long
own_pid(pid_t pid)
{
	char buf[4096], *p, *end;
	long v = 0;

	if (proc_read(pid, "status", buf, sizeof(buf)) < 0 ||
	    (p = strstr(buf, "\nNSpid:")) == NULL)
		return 0;
	p += 7;
	for (;;) {
		long n = strtol(p, &end, 10);

		if (end == p || *p == '\n')
			break;
		v = n;
		p = end;
	}
	return v;
}

/* Does some process here other than pid call itself pid in a PID
 * namespace of its own? Then the number in a file name is ambiguous.
 * /proc is read again at most every NESTED_CACHE_MS. */
static bool
pid_nested(pid_t pid)
{
	static long *inner;
	static size_t n, cap;
	static msec_t when = -1;
	struct dirent *de;
	msec_t now = clock_ms();
	size_t i;
	long v;
	DIR *d;

	if (when < 0 || now - when > NESTED_CACHE_MS) {
		when = now;
		n = 0;
		if ((d = opendir("/proc")) == NULL)
			return false;
		while ((de = readdir(d)) != NULL) {
			if (!isdigit((unsigned char)de->d_name[0]) ||
			    (v = strtol(de->d_name, NULL, 10)) <= 0)
				continue;
			/* Only processes in a nested namespace differ. */
			if ((v = own_pid((pid_t)v)) == 0 ||
			    v == strtol(de->d_name, NULL, 10))
				continue;
			if (n == cap) {
				cap = cap ? 2 * cap : 64;
				inner = xrealloc(inner, cap * sizeof(*inner));
			}
			inner[n++] = v;
		}
		closedir(d);
	}
	for (i = 0; i < n; i++)
		if (inner[i] == (long)pid)
			return true;
	return false;
}

/* Has pid a descriptor on the file with st's inode? */
static bool
has_open(pid_t pid, const struct statx *stx)
{
	char path[64];
	struct dirent *de;
	struct stat st;
	bool found = false;
	DIR *d;

	if (fmt(path, sizeof(path), "/proc/%d/fd", (int)pid) < 0 ||
	    (d = opendir(path)) == NULL)
		return false;
	while (!found && (de = readdir(d)) != NULL)
		found = de->d_name[0] != '.' &&
			fstatat(dirfd(d), de->d_name, &st, 0) == 0 &&
			major(st.st_dev) == stx->stx_dev_major &&
			minor(st.st_dev) == stx->stx_dev_minor &&
			st.st_ino == stx->stx_ino;
	closedir(d);
	return found;
}

/* Does name (a path or a command) name a Python interpreter? */
static bool
python_name(const char *name)
{
	const char *base = strrchr(name, '/');

	base = base != NULL ? base + 1 : name;
	return strncmp(base, "python", 6) == 0 || strncmp(base, "pypy", 4) == 0;
}

/* Is pid a Python process? 1 yes, 0 no, -1 cannot tell. Its executable
 * says so, or libpython among its mappings (uWSGI and other hosts of an
 * embedded Python); where neither can be read, its command line. */
static int
is_python(pid_t pid, const char *comm)
{
	char path[64], exe[PATH_MAX], line[PATH_MAX + 128];
	bool found = false;
	ssize_t n;
	FILE *f;

	if (fmt(path, sizeof(path), "/proc/%d/exe", (int)pid) < 0)
		return -1;
	n = readlink(path, exe, sizeof(exe) - 1);
	if (n > 0) {
		exe[n] = '\0';
		if (python_name(exe))
			return 1;
		if (fmt(path, sizeof(path), "/proc/%d/maps", (int)pid) < 0 ||
		    (f = fopen(path, "re")) == NULL)
			return 0;
		while (!found && fgets(line, sizeof(line), f) != NULL)
			found = strstr(line, "/libpython") != NULL;
		fclose(f);
		return found;
	}
	/* Not allowed to look (another user's process without
	 * CAP_SYS_PTRACE): argv[0], which a shebang makes the interpreter. */
	if (python_name(comm))
		return 1;
	n = proc_read(pid, "cmdline", line, sizeof(line));
	if (n <= 0)
		return -1;
	return python_name(line);
}

/* Fill p->why; returns PROC_NOT_WRITER. */
static enum proc_state
not_writer(struct writer_proc *p, const char *why)
{
	snprintf(p->why, sizeof(p->why), "%s", why);
	return p->state = PROC_NOT_WRITER;
}

/* Can pid, from the name of the file name in dirfd, be the file's
 * writer, and is it alive? Fills p (but p->pid and p->lease_denied) and
 * returns p->state. */
static enum proc_state
writer_process(pid_t pid, int dirfd, const char *name, struct writer_proc *p)
{
	char buf[1024], why[80], state, *open_paren, *p_end;
	unsigned long long start = 0;
	unsigned long flags = 0;
	long long born = 0, started;
	struct statx stx;
	long inner;
	int i;

	if (proc_read(pid, "stat", buf, sizeof(buf)) < 0)
		return p->state = errno == ENOENT || errno == ESRCH
					  ? PROC_GONE
					  : PROC_UNKNOWN;
	/* pid (comm) state ... : comm may hold spaces and parentheses. */
	if ((open_paren = strchr(buf, '(')) == NULL ||
	    (p_end = strrchr(buf, ')')) == NULL || p_end < open_paren ||
	    sscanf(p_end + 1, " %c", &state) != 1)
		return p->state = PROC_GONE; /* empty: reaped meanwhile */
	snprintf(p->comm, sizeof(p->comm), "%.*s",
		 (int)(p_end - open_paren - 1), open_paren + 1);
	if (state == 'Z' || state == 'X' || state == 'x')
		return p->state = PROC_GONE;
	/* Field 9 is flags, the 6th after the state; field 22, starttime,
	 * the 19th. */
	for (i = 0, p_end += 2; i < 19 && p_end != NULL; i++) {
		p_end = strchr(p_end, ' ');
		if (p_end == NULL)
			break;
		p_end++;
		if (i == 5)
			flags = strtoul(p_end, NULL, 10);
	}
	if (p_end != NULL)
		start = strtoull(p_end, NULL, 10);
	if (flags & PF_KTHREAD)
		return not_writer(p, "is a kernel thread");
	inner = own_pid(pid);
	if (inner != 0 && inner != (long)pid) {
		snprintf(why, sizeof(why),
			 "is pid %ld in its own PID namespace", inner);
		return not_writer(p, why);
	}
	if (statx(dirfd, name, AT_SYMLINK_NOFOLLOW,
		  STATX_BTIME | STATX_MTIME | STATX_INO, &stx) == 0) {
		struct statx_timestamp t = (stx.stx_mask & STATX_BTIME)
						   ? stx.stx_btime
						   : stx.stx_mtime;

		born = (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
		p->has_open = has_open(pid, &stx);
	}
	started = start > 0 ? start_ms(start) : 0;
	if (born > 0 && started > born + START_SLACK_MS)
		return not_writer(p, "started after the file was created");
	if (p->has_open)
		return p->state = PROC_ALIVE;
	if (is_python(pid, p->comm) == 0)
		return not_writer(p, "is not a Python process");
	if (pid_nested(pid))
		return not_writer(p, "shares its number with a process in "
				     "another PID namespace");
	return p->state = PROC_ALIVE;
}

enum writer_seen
writer_at_work(int dirfd, const char *name, bool by_pid, struct writer_proc *p)
{
	enum lease_state lease = LEASE_UNKNOWN;
	struct name_fields nf;

	memset(p, 0, sizeof(*p));
	p->state = PROC_UNKNOWN;
	if (dirfd >= 0)
		lease = writer_lease(dirfd, name);
	if (lease == LEASE_WRITING)
		return WRITER_OPEN;
	p->lease_denied = lease == LEASE_DENIED;
	if (!by_pid || !name_parse(name, &nf) ||
	    !name_host_is(name, &nf, writer_hostname()))
		return WRITER_QUIET;
	p->pid = nf.pid;
	switch (writer_process(nf.pid, dirfd, name, p)) {
	case PROC_ALIVE:
		return WRITER_ALIVE;
	case PROC_GONE:
		return WRITER_GONE;
	case PROC_NOT_WRITER:
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
