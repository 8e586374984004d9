/* coverage.c: the coverage.py command. Debian names it python3-coverage,
 * and the first python3 on PATH may be an interpreter without coverage.py,
 * so each candidate is run with --version and kept only if that works.
 * That --version run is a Python start and an import of coverage.py (80 to 140
 * ms), so it runs as a child alongside the wait: the wait loop calls
 * coverage_find_poll() when a child has exited, which starts the next candidate
 * when one fails, in order, so the first that runs still wins. */
#include "coverage.h"
#include "child.h"
#include "names.h"

#include "sig.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *const candidates[] = {
	"coverage",
	"python3-coverage",
	"python3 -m coverage",
};

/* The candidate's --version, started in a child: stdout and stderr into
 * a memfd (nothing to drain while it runs, so it can never block on a
 * full pipe), whose last line says why when it fails. 0, or -1 when it
 * could not be started. */
static int
spawn_candidate(struct coverage_find *p)
{
	struct argv a = { 0 };
	char err[ERRLEN];
	int64_t at;
	int null;

	argv_split(&a, p->words);
	argv_add(&a, "--version");
	p->outfd = memfd_create("covsettle-version", MFD_CLOEXEC);
	null = p->outfd >= 0 ? dup(p->outfd) : -1;
	at = clock_file_ns();
	if (a.n >= 2 && p->outfd >= 0 && null >= 0)
		p->pid =
			child_spawn(a.v, p->outfd, null, CHILD_UNMEASURED, err);
	else
		p->pid = -1;
	if (null >= 0)
		close(null);
	argv_free(&a);
	if (p->pid > 0) {
		child_spawns_add(&p->spawned, p->pid, at);
		return 0;
	}
	p->pid = 0;
	if (p->outfd >= 0)
		close(p->outfd);
	p->outfd = -1;
	return -1;
}

/* The last line of the candidate's output, its reason when it failed
 * (Python's last traceback line), into p->why; "" when none. */
static void
last_line(struct coverage_find *p)
{
	char tail[1024], *end, *line;
	struct stat st;
	off_t off = 0;
	ssize_t n;

	p->why[0] = '\0';
	if (fstat(p->outfd, &st) == 0 && st.st_size > (off_t)sizeof(tail) - 1)
		off = st.st_size - (off_t)sizeof(tail) + 1;
	if ((n = pread(p->outfd, tail, sizeof(tail) - 1, off)) <= 0)
		return;
	tail[n] = '\0';
	for (end = tail + n; end > tail && strchr(" \t\r\n", end[-1]); end--)
		;
	*end = '\0';
	line = memrchr(tail, '\n', (size_t)(end - tail));
	line = line ? line + 1 : tail;
	snprintf(p->why, sizeof(p->why), "%.*s", (int)sizeof(p->why) - 1, line);
}

/* Did the candidate that ended with status say it is coverage.py? */
static bool
candidate_passed(struct coverage_find *p, int status)
{
	char out[4096];
	ssize_t n = pread(p->outfd, out, sizeof(out) - 1, 0);

	last_line(p);
	close(p->outfd);
	p->outfd = -1;
	if (n < 0)
		n = 0;
	out[n] = '\0';
	if (!child_ok(status) || strstr(out, "Coverage.py") == NULL)
		return false;
	/* "Coverage.py, version 7.3.2 with C extension" */
	if (sscanf(out, "Coverage.py, version %31[0-9.]", p->version) != 1)
		p->version[0] = '\0';
	return true;
}

bool
coverage_sorts_inputs(const char *version)
{
	int major = 0, minor = 0, micro = 0;

	if (version == NULL ||
	    sscanf(version, "%d.%d.%d", &major, &minor, &micro) < 2)
		return false;
	if (major != 7)
		return major > 7;
	return minor > 4 || (minor == 4 && micro >= 4);
}

/* A candidate from PATH that is recognisably coverage.py, a Python's
 * `-m coverage` or its console script (coverage_python()), may combine
 * while its --version runs, as a named command may: it is no other program
 * called coverage. Its words go into cmd for that time. */
static void
recognise(struct coverage_find *p)
{
	struct argv words = { 0 }, py = { 0 };
	char prog[PATH_MAX];

	argv_free(&p->cmd);
	argv_split(&words, p->words);
	if (coverage_python(&words, &py, prog, sizeof(prog)))
		p->cmd = words;
	else
		argv_free(&words);
	argv_free(&py);
}

/* Start candidates from the current one on until one runs; the search
 * fails when none is left. */
static enum coverage_find_state
next_candidate(struct coverage_find *p)
{
	for (;;) {
		if (p->given != NULL) {
			if (p->tried++ == 0)
				p->words = p->given;
			else
				break;
		} else if (p->tried <
			   sizeof(candidates) / sizeof(*candidates)) {
			p->words = candidates[p->tried++];
			recognise(p);
		} else {
			break;
		}
		if (spawn_candidate(p) == 0)
			return p->state = FIND_RUNNING;
	}
	if (p->given != NULL) {
		seterr(p->err,
		       "the coverage command '%s' (from %s) does not run: "
		       "'%s --version' failed%s%s",
		       p->given, p->origin, p->given, p->why[0] ? ": " : "",
		       p->why);
	} else {
		argv_free(&p->cmd); /* the last recognised candidate's */
		seterr(p->err,
		       "coverage.py not found: tried 'coverage', "
		       "'python3-coverage' and 'python3 -m coverage' on PATH; "
		       "install python3-coverage, or give --coverage CMD");
	}
	return p->state = FIND_NONE;
}

enum coverage_find_state
coverage_find_start(struct coverage_find *p, const char *given, const char *env)
{
	memset(p, 0, sizeof(*p));
	p->outfd = -1;
	if (given != NULL) {
		p->given = given;
		p->origin = "--coverage";
	} else if (env != NULL && env[0] != '\0') {
		p->given = env;
		p->origin = "$COVSETTLE_COVERAGE";
	}
	/* A named command is the one to use if it runs at all. */
	if (p->given != NULL)
		argv_split(&p->cmd, p->given);
	return next_candidate(p);
}

enum coverage_find_state
coverage_find_poll(struct coverage_find *p)
{
	/* Reaped by someone else (ECHILD): gone, and it did not pass. */
	int status = 127 << 8;

	if (p->state != FIND_RUNNING || child_reap(p->pid, &status) == 0)
		return p->state;
	p->pid = 0;
	if (candidate_passed(p, status)) {
		if (p->given == NULL) {
			argv_free(&p->cmd);
			argv_split(&p->cmd, p->words);
		}
		return p->state = FIND_FOUND;
	}
	return next_candidate(p);
}

enum coverage_find_state
coverage_find_wait(struct coverage_find *p, int sigfd, msec_t deadline,
		   int *signo)
{
	struct pollfd pfd = { .fd = sigfd, .events = POLLIN };
	msec_t left;
	int s;

	*signo = 0;
	/* Its SIGCHLD may have been read by another loop already: look
	 * first, then sleep until the next signal or the deadline. */
	while (coverage_find_poll(p) == FIND_RUNNING) {
		left = deadline < 0 ? -1 : deadline - clock_ms();
		if (deadline >= 0 && left <= 0) {
			coverage_find_stop(p, SIGTERM);
			seterr(p->err,
			       "%s%s%s'%s --version' did not answer within "
			       "--timeout",
			       p->given ? "the coverage command (from " : "",
			       p->given ? p->origin : "",
			       p->given ? ") does not run: " : "", p->words);
			return p->state;
		}
		if (poll(&pfd, 1, (int)left) < 0 && errno != EINTR)
			break;
		while ((s = sig_read(sigfd)) > 0)
			if (s != SIGCHLD && *signo == 0)
				*signo = s;
		if (*signo) {
			coverage_find_stop(p, *signo);
			return p->state;
		}
	}
	return p->state;
}

void
coverage_find_stop(struct coverage_find *p, int signo)
{
	if (p->state == FIND_RUNNING && p->pid > 0) {
		child_stop(p->pid, signo, CHILD_GRACE_MS);
		p->pid = 0;
		seterr(p->err, "the search for coverage.py was stopped");
		p->state = FIND_NONE;
	}
	if (p->outfd >= 0)
		close(p->outfd);
	p->outfd = -1;
}

void
coverage_find_free(struct coverage_find *p)
{
	coverage_find_stop(p, SIGTERM);
	argv_free(&p->cmd);
}

/* word looked up on PATH as execvp(3) does; 0 with path, or -1. */
static int
find_on_path(const char *word, char *path, size_t len)
{
	const char *env = getenv("PATH"), *dir, *end;
	struct stat st;

	if (strchr(word, '/') != NULL)
		return fmt(path, len, "%s", word);
	for (dir = env ? env : "/bin:/usr/bin"; dir != NULL;
	     dir = *end ? end + 1 : NULL) {
		end = strchrnul(dir, ':');
		if (fmt(path, len, "%.*s%s%s", (int)(end - dir), dir,
			end == dir ? "" : "/", word) == 0 &&
		    stat(path, &st) == 0 && S_ISREG(st.st_mode) &&
		    access(path, X_OK) == 0)
			return 0;
	}
	return -1;
}

/* Is path coverage.py's console script, as pip, uv or setuptools (and so
 * Debian's python3-coverage) write it, run by a python named on its #!
 * line? Then its interpreter's words go into py. */
static bool
console_script(const char *path, struct argv *py)
{
	static const char *const marks[] = {
		"from coverage.cmdline import main", /* pip, uv, distlib */
		"load_entry_point('coverage==",	     /* setuptools */
	};
	char text[8192], *nl, *interp, *arg;
	const char *base;
	bool mark = false;
	ssize_t n;
	size_t i;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return false;
	n = read(fd, text, sizeof(text) - 1);
	close(fd);
	if (n < 3 || strncmp(text, "#!", 2) != 0)
		return false;
	text[n] = '\0';
	for (i = 0; i < sizeof(marks) / sizeof(*marks); i++)
		mark |= strstr(text, marks[i]) != NULL;
	if (!mark || (nl = strchr(text, '\n')) == NULL)
		return false;
	/* As the kernel reads it: the interpreter, then one optional
	 * argument, the rest of the line. */
	*nl = '\0';
	interp = text + 2 + strspn(text + 2, " \t");
	arg = interp + strcspn(interp, " \t");
	if (*arg != '\0')
		*arg++ = '\0';
	arg += strspn(arg, " \t");
	for (i = strlen(arg); i > 0 && strchr(" \t\r", arg[i - 1]); i--)
		arg[i - 1] = '\0';
	if (arg[strcspn(arg, " \t")] != '\0')
		return false; /* an argument with blanks: leave it alone */
	base = strrchr(interp, '/') ? strrchr(interp, '/') + 1 : interp;
	/* #!/usr/bin/python3 [ARG], or #!/usr/bin/env python3 */
	if (!names_python(interp) &&
	    !(strcmp(base, "env") == 0 && names_python(arg)))
		return false;
	argv_add(py, interp);
	if (*arg != '\0')
		argv_add(py, arg);
	return true;
}

bool
coverage_python(const struct argv *cmd, struct argv *py, char *prog, size_t len)
{
	if (cmd->n == 3 && names_python(cmd->v[0]) &&
	    strcmp(cmd->v[1], "-m") == 0 &&
	    strcmp(cmd->v[2], "coverage") == 0) {
		argv_add(py, cmd->v[0]);
		return fmt(prog, len, "-m") == 0;
	}
	if (cmd->n == 1 && find_on_path(cmd->v[0], prog, len) == 0 &&
	    console_script(prog, py))
		return true;
	argv_free(py);
	return false;
}
