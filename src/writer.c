/* writer.c: tests for a writer still at work on a data file.
 *
 * coverage.py writes a data file in several short transactions, each on a
 * fresh connection, so a file can be a valid but empty database between
 * two of them. Two tests tell that a writer is not done:
 *  - a read lease, F_SETLEASE with F_RDLCK, which Linux refuses with EAGAIN
 *    exactly while some process has the file open for writing, in any
 *    namespace. The lease is dropped at once; while held, a writer's open()
 *    would wait and the kernel would send us SIGIO, which every command
 *    ignores. Without ownership of the file or CAP_LEASE (the default in a
 *    container) the kernel refuses every lease and this test is off;
 *  - the pid in the file name, when the host field is ours. It answers
 *    alive, gone or unknown, and absence of evidence is never evidence of
 *    absence:
 *     - alive: a process here by that number that can be the writer (not
 *       a kernel thread, not known by another number in its own PID
 *       namespace, NSpid, for the writer put its own number in the name,
 *       not started after the file was born, statx's btime else its
 *       mtime, nor a child covsettle started after it, whose start it
 *       knows to the tick of the file's clock) and has the file open or
 *       is a Python process: its
 *       executable is named so, or its maps hold libpython or a CPython
 *       extension module (coverage.py's tracer, sqlite3's), which
 *       survive setproctitle, uWSGI and a renamed interpreter. When its
 *       number is also a pid in a nested PID namespace (a container seen
 *       from its host) it may be the other: unknown;
 *     - kept: such a process whose executable and maps cannot be read
 *       (another user's, without CAP_SYS_PTRACE), or one that /proc hides
 *       (hidepid) but kill(pid, 0) says exists (0 or EPERM). "Is it
 *       Python" can keep a writer, never drop one it cannot read: it is
 *       unknown, and held as if alive until it exits. So is, when no
 *       process here has the number, a process of a nested PID namespace
 *       that goes by it and may be the writer (nested_writer()), followed
 *       by its pid here;
 *     - gone, on proof only: the process was seen alive here and has
 *       exited (its number is free, or taken by a process started since),
 *       or it is a zombie, or covsettle sees every process of the machine
 *       (the initial PID namespace, its own /proc, no hidepid in its way)
 *       and no process has the number at any level of its NSpid chain;
 *     - unknown otherwise: the number is free here but another PID
 *       namespace may hold the writer (covsettle or the writer in a
 *       container, host networking), or the process here is not the
 *       writer and the real one may be elsewhere. */
#include "writer.h"
#include "names.h"
#include "util.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <signal.h>
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
/* The inode of the initial PID namespace's /proc/self/ns/pid
 * (PROC_PID_INIT_INO, include/linux/proc_ns.h): fixed by the kernel. */
#define PID_INIT_INO 0xEFFFFFFCU
#define SEEN_MAX     256 /* writers remembered as seen alive */

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

/* A number a process goes by in a nested PID namespace, and its pid
 * here. */
struct nested {
	long inner;
	pid_t here;
};

/* The processes of nested PID namespaces, from the last scan. */
static struct {
	struct nested *v;
	size_t n, cap;
	bool complete; /* every status file was read */
	msec_t when;   /* of the scan, or -1 */
} nest = { .when = -1 };

/* Add to nest the numbers process pid goes by in nested PID namespaces:
 * the NSpid line of /proc/PID/status after its first field. Returns false
 * when the file cannot be read for another reason than the process being
 * gone meanwhile. */
static bool
nested_numbers(long pid)
{
	char buf[4096], *p, *end;
	bool first = true;
	long v;

	if (proc_read((pid_t)pid, "status", buf, sizeof(buf)) < 0)
		return errno == ENOENT || errno == ESRCH;
	if ((p = strstr(buf, "\nNSpid:")) == NULL)
		return true;
	for (p += 7;; p = end, first = false) {
		v = strtol(p, &end, 10);
		if (end == p || *p == '\n')
			break;
		if (first)
			continue;
		if (nest.n == nest.cap) {
			nest.cap = nest.cap ? 2 * nest.cap : 64;
			nest.v = xrealloc(nest.v, nest.cap * sizeof(*nest.v));
		}
		nest.v[nest.n++] = (struct nested){ v, (pid_t)pid };
	}
	return true;
}

/* Read the nested PID namespaces' numbers again, at most every
 * NESTED_CACHE_MS. */
static void
nested_scan(void)
{
	msec_t now = clock_ms();
	struct dirent *de;
	long v;
	DIR *d;

	if (nest.when >= 0 && now - nest.when <= NESTED_CACHE_MS)
		return;
	nest.when = now;
	nest.n = 0;
	nest.complete = false;
	if ((d = opendir("/proc")) == NULL)
		return;
	nest.complete = true;
	while ((de = readdir(d)) != NULL) {
		if (!isdigit((unsigned char)de->d_name[0]) ||
		    (v = strtol(de->d_name, NULL, 10)) <= 0)
			continue;
		if (!nested_numbers(v))
			nest.complete = false;
	}
	closedir(d);
}

/* Does some process here go by pid in a nested PID namespace (then the
 * number in a file name is ambiguous)? 1 yes, 0 no, -1 cannot tell
 * (a status file was unreadable: no "no" can be trusted). */
static int
pid_nested(pid_t pid)
{
	size_t i;

	nested_scan();
	for (i = 0; i < nest.n; i++)
		if (nest.v[i].inner == (long)pid)
			return 1;
	return nest.complete ? 0 : -1;
}

/* Is /proc mounted with hidepid (other than 0 or "off") at /proc, per the
 * super options of its last mount in /proc/self/mountinfo? */
static bool
proc_hidepid(void)
{
	char line[4096], *sep, *opt;
	bool hidden = false;
	FILE *f;

	if ((f = fopen("/proc/self/mountinfo", "re")) == NULL)
		return true;
	while (fgets(line, sizeof(line), f) != NULL) {
		/* ID PARENT MAJ:MIN ROOT MOUNTPOINT ... - TYPE SOURCE OPTS */
		if (strstr(line, " /proc ") == NULL ||
		    (sep = strstr(line, " - proc ")) == NULL)
			continue;
		opt = strstr(sep, "hidepid=");
		hidden = opt != NULL && strncmp(opt + 8, "0", 1) != 0 &&
			 strncmp(opt + 8, "off", 3) != 0;
	}
	fclose(f);
	return hidden;
}

/* Does covsettle see every process of the machine in /proc? It runs in
 * the initial PID namespace, /proc is that namespace's (/proc/self is
 * us), and hidepid hides nothing from it (root passes hidepid). Asked
 * once: none of it changes while covsettle runs. */
static bool
sees_all(void)
{
	static int all = -1;
	char self[32];
	struct stat st;
	ssize_t n;

	if (all >= 0)
		return all;
	all = 0;
	n = readlink("/proc/self", self, sizeof(self) - 1);
	if (n <= 0)
		return false;
	self[n] = '\0';
	if (strtol(self, NULL, 10) == (long)getpid() &&
	    stat("/proc/self/ns/pid", &st) == 0 && st.st_ino == PID_INIT_INO &&
	    (geteuid() == 0 || !proc_hidepid()))
		all = 1;
	return all;
}

/* Writers seen alive here (PROC_ALIVE), by pid and start time: when the
 * number is free again, or taken by a later process, that writer is gone.
 * A small table, oldest entries replaced first. */
static struct {
	pid_t pid;
	unsigned long long start;
} seen[SEEN_MAX];
static size_t nseen, seen_next;

static void
seen_alive(pid_t pid, unsigned long long start)
{
	size_t i;

	for (i = 0; i < nseen; i++)
		if (seen[i].pid == pid) {
			seen[i].start = start;
			return;
		}
	if (nseen < SEEN_MAX)
		i = nseen++;
	else
		i = seen_next++ % SEEN_MAX;
	seen[i].pid = pid;
	seen[i].start = start;
}

/* Was a writer pid seen alive with another start than start (0: no
 * process by that number now)? */
static bool
seen_before(pid_t pid, unsigned long long start)
{
	size_t i;

	for (i = 0; i < nseen; i++)
		if (seen[i].pid == pid)
			return seen[i].start != start;
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

/* Does a line of /proc/PID/maps map a part of a Python: libpython (an
 * embedded Python: uWSGI), or a CPython extension module, whose name
 * carries the ABI tag (coverage.py's tracer.cpython-311-...so, sqlite3's
 * _sqlite3.cpython-...so), whatever the executable is called? */
static bool
python_mapping(const char *line)
{
	return strstr(line, "/libpython") != NULL ||
	       strstr(line, ".cpython-") != NULL ||
	       strstr(line, "/libpypy") != NULL;
}

/* Is pid a Python process? 1 yes, 0 no, -1 cannot tell. Its executable's
 * name, or its maps (python_mapping()); where neither can be read (another
 * user's process without CAP_SYS_PTRACE), a command line naming Python
 * says yes, and anything else cannot tell: setproctitle and uWSGI rewrite
 * both, so a name never says no. */
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
		if (names_python(exe))
			return 1;
	}
	if (fmt(path, sizeof(path), "/proc/%d/maps", (int)pid) == 0 &&
	    (f = fopen(path, "re")) != NULL) {
		bool read_any = false;

		while (!found && fgets(line, sizeof(line), f) != NULL) {
			read_any = true;
			found = python_mapping(line);
		}
		fclose(f);
		if (found || (read_any && n > 0))
			return found;
	}
	if (names_python(comm))
		return 1;
	n = proc_read(pid, "cmdline", line, sizeof(line));
	if (n > 0 && names_python(line))
		return 1;
	return -1;
}

/* Has pid exited (a zombie not reaped yet)? Its pidfd is readable then.
 * False when that cannot be told. */
static bool
exited(pid_t pid)
{
	struct pollfd pfd = { .fd = pidfd_of(pid), .events = POLLIN };
	bool done;

	if (pfd.fd < 0)
		return false;
	done = poll(&pfd, 1, 0) == 1 && (pfd.revents & POLLIN);
	close(pfd.fd);
	return done;
}

/* Set p's state and its evidence; returns the state. */
static enum proc_state
decide(struct writer_proc *p, enum proc_state state, const char *evidence)
{
	snprintf(p->evidence, sizeof(p->evidence), "%s", evidence);
	return p->state = state;
}

/* The start in milliseconds since the epoch, the command name and the
 * flags of process pid, from /proc/PID/stat; false when unreadable. */
static bool
stat_of(pid_t pid, char *comm, size_t len, unsigned long long *start,
	unsigned long *flags, char *state)
{
	char buf[1024], *open_paren, *p_end;
	int i;

	*start = 0;
	*flags = 0;
	if (proc_read(pid, "stat", buf, sizeof(buf)) < 0)
		return false;
	/* pid (comm) state ... : comm may hold spaces and parentheses. */
	if ((open_paren = strchr(buf, '(')) == NULL ||
	    (p_end = strrchr(buf, ')')) == NULL || p_end < open_paren ||
	    sscanf(p_end + 1, " %c", state) != 1)
		return false; /* empty: reaped meanwhile */
	snprintf(comm, len, "%.*s", (int)(p_end - open_paren - 1),
		 open_paren + 1);
	/* Field 9 is flags, the 6th after the state; field 22, starttime,
	 * the 19th. */
	for (i = 0, p_end += 2; i < 19 && p_end != NULL; i++) {
		p_end = strchr(p_end, ' ');
		if (p_end == NULL)
			break;
		p_end++;
		if (i == 5)
			*flags = strtoul(p_end, NULL, 10);
	}
	if (p_end != NULL)
		*start = strtoull(p_end, NULL, 10);
	return true;
}

/* When no process here has the number pid, the first process of a nested
 * PID namespace (a container seen from its host) that goes by it and may
 * be the writer: alive, not a kernel thread, not started after the file
 * was born (born, ms since the epoch, or 0), and a Python process or one
 * that cannot be read. Its pid here, or 0. */
static pid_t
nested_writer(pid_t pid, long long born)
{
	char comm[WRITER_COMM + 1], state;
	unsigned long long start;
	unsigned long flags;
	size_t i;

	nested_scan();
	for (i = 0; i < nest.n; i++) {
		pid_t here = nest.v[i].here;

		if (nest.v[i].inner != (long)pid ||
		    !stat_of(here, comm, sizeof(comm), &start, &flags,
			     &state) ||
		    (flags & PF_KTHREAD) || state == 'Z' || state == 'X' ||
		    (born > 0 && start > 0 &&
		     start_ms(start) > born + START_SLACK_MS) ||
		    is_python(here, comm) == 0)
			continue;
		return here;
	}
	return 0;
}

/* No process here can be pid's writer (none has the number, or the one
 * that has it cannot be the writer: p->why says how, and start is its
 * start time, else 0). Kept when a process of a nested PID namespace may
 * be it, gone when proven, else unknown. */
static enum proc_state
absent(pid_t pid, unsigned long long start, long long born,
       struct writer_proc *p)
{
	pid_t here;

	if (seen_before(pid, start))
		return decide(p, PROC_GONE, "seen alive here, now exited");
	if (p->why[0] == '\0' && (here = nested_writer(pid, born)) > 0) {
		char why[sizeof(p->evidence)];

		p->kept = true;
		p->follow = here;
		snprintf(why, sizeof(why),
			 "pid %d here goes by that number in a nested PID "
			 "namespace; kept while it runs",
			 (int)here);
		return decide(p, PROC_UNKNOWN, why);
	}
	if (sees_all() && pid_nested(pid) == 0)
		return decide(p, PROC_GONE,
			      "no process has that number in any PID "
			      "namespace");
	if (p->why[0] != '\0')
		return decide(p, PROC_UNKNOWN,
			      "the process by that number here is not it; "
			      "another PID namespace may hold it");
	return decide(p, PROC_UNKNOWN, "not visible from this PID namespace");
}

/* The birth time statx read (btime), in ns since the epoch, into *ns;
 * false when the file system keeps none. */
static bool
btime_of(const struct statx *stx, long long *ns)
{
	if (!(stx->stx_mask & STATX_BTIME))
		return false;
	*ns = (long long)stx->stx_btime.tv_sec * 1000000000 +
	      stx->stx_btime.tv_nsec;
	return true;
}

bool
writer_born(int dirfd, const char *name, long long *ns)
{
	struct statx stx;

	return statx(dirfd, name, AT_SYMLINK_NOFOLLOW, STATX_BTIME, &stx) ==
		       0 &&
	       btime_of(&stx, ns);
}

/* Is the pid from the name of the file name in dirfd its writer, alive?
 * ours: when covsettle last started a child by that number, or 0: a file
 * born before it is not that child's, whatever runs by the number now (it
 * is that child, or started after it). Fills p (but p->pid and
 * p->lease_denied) and returns p->state. */
static enum proc_state
writer_process(pid_t pid, int dirfd, const char *name, int64_t ours,
	       struct writer_proc *p)
{
	unsigned long long start = 0;
	unsigned long flags = 0;
	long long born = 0, born_ns = 0, started;
	struct statx stx;
	bool have_stx;
	char state;
	long inner;
	int py;

	have_stx = statx(dirfd, name, AT_SYMLINK_NOFOLLOW,
			 STATX_BTIME | STATX_MTIME | STATX_INO, &stx) == 0;
	if (have_stx) {
		if (!btime_of(&stx, &born_ns))
			born_ns = (long long)stx.stx_mtime.tv_sec * 1000000000 +
				  stx.stx_mtime.tv_nsec;
		born = born_ns / 1000000;
	}
	p->follow = pid;
	if (!stat_of(pid, p->comm, sizeof(p->comm), &start, &flags, &state)) {
		p->comm[0] = '\0';
		/* Hidden (hidepid) or unreadable, yet there: kill(2) may
		 * tell what /proc does not, and a pidfd whether it is a
		 * zombie, which kill(2) still finds. */
		if ((kill(pid, 0) == 0 || errno == EPERM) && !exited(pid)) {
			p->kept = true;
			return decide(p, PROC_UNKNOWN,
				      "exists, but /proc hides it from "
				      "covsettle");
		}
		return absent(pid, 0, born, p);
	}
	if (flags & PF_KTHREAD) {
		snprintf(p->why, sizeof(p->why), "is a kernel thread");
		return absent(pid, start, born, p);
	}
	/* Its mtime, read when the file system keeps no birth time, is
	 * later than its birth: proof too when it is before the child. */
	if (ours > 0 && have_stx && born_ns < ours) {
		snprintf(p->why, sizeof(p->why),
			 "is covsettle's own child, started after the file was "
			 "created");
		return absent(pid, start, born, p);
	}
	inner = own_pid(pid);
	if (inner != 0 && inner != (long)pid) {
		snprintf(p->why, sizeof(p->why),
			 "is pid %ld in its own PID namespace", inner);
		return absent(pid, start, born, p);
	}
	started = start > 0 ? start_ms(start) : 0;
	if (born > 0 && started > born + START_SLACK_MS) {
		snprintf(p->why, sizeof(p->why),
			 "started after the file was created");
		return absent(pid, start, born, p);
	}
	if (state == 'Z' || state == 'X' || state == 'x') {
		if (pid_nested(pid) == 1)
			return decide(p, PROC_UNKNOWN,
				      "a zombie here, and a pid in another "
				      "PID namespace");
		return decide(p, PROC_GONE, "exited (a zombie)");
	}
	p->has_open = have_stx && has_open(pid, &stx);
	if (p->has_open) {
		seen_alive(pid, start);
		return decide(p, PROC_ALIVE, "has the file open");
	}
	if ((py = is_python(pid, p->comm)) == 0) {
		snprintf(p->why, sizeof(p->why), "is not a Python process");
		return absent(pid, start, born, p);
	}
	if (pid_nested(pid) == 1) {
		snprintf(p->why, sizeof(p->why),
			 "shares its number with a process in another PID "
			 "namespace");
		return decide(p, PROC_UNKNOWN,
			      "its number is also a pid in another PID "
			      "namespace");
	}
	if (py < 0) {
		p->kept = true;
		return decide(p, PROC_UNKNOWN,
			      "its executable cannot be read; kept while it "
			      "runs");
	}
	seen_alive(pid, start);
	return decide(p, PROC_ALIVE, "a Python process");
}

bool
writer_is_here(pid_t pid, int dirfd, const char *name)
{
	struct statx stx;

	if (dirfd >= 0 &&
	    statx(dirfd, name, AT_SYMLINK_NOFOLLOW, STATX_INO, &stx) == 0 &&
	    has_open(pid, &stx))
		return true;
	return own_pid(pid) == (long)pid && is_python(pid, "") != 0;
}

enum writer_state
writer_at_work(int dirfd, const char *name, bool by_pid, int64_t ours,
	       struct writer_proc *p)
{
	enum lease_state lease = LEASE_UNKNOWN;
	struct name_fields nf;

	memset(p, 0, sizeof(*p));
	p->state = PROC_UNKNOWN;
	if (dirfd >= 0)
		lease = writer_lease(dirfd, name);
	if (lease == LEASE_WRITING)
		return WR_WRITING;
	p->lease_denied = lease == LEASE_DENIED;
	if (!by_pid || !name_parse(name, &nf) ||
	    !name_host_is(name, &nf, writer_hostname()))
		return WR_QUIET;
	p->pid = nf.pid;
	switch (writer_process(nf.pid, dirfd, name, ours, p)) {
	case PROC_ALIVE:
		return WR_ALIVE;
	case PROC_GONE:
		return WR_GONE;
	case PROC_UNKNOWN:
		break;
	}
	return p->kept ? WR_KEPT : WR_UNKNOWN;
}

const char *
writer_hostname(void)
{
	static char host[256];

	if (host[0] == '\0' && gethostname(host, sizeof(host) - 1) < 0)
		host[0] = '\0';
	return host;
}
