/* child.c: spawning and reaping children. Each child runs in its own
 * process group so that a signal to covsettle can be passed to everything
 * the child started, with stdin from /dev/null (or an empty pipe), and
 * covsettle's signal mask and dispositions reset. An exec failure is
 * reported through a close-on-exec pipe, so "command not found" is an
 * error, not a status. A child dies with covsettle, even when covsettle
 * is killed with SIGKILL and cannot pass a signal on: the kernel sends it
 * SIGKILL then (PR_SET_PDEATHSIG; this is about the thread that forks, so
 * children are spawned from the main thread only). A child may be started
 * now and collected later (child_start(), child_finish()), with input
 * for its stdin that is known only then. */
#include "child.h"
#include "sig.h"

#include <stdbool.h>
#include <stdlib.h>

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#define STOP_POLL_MS 50

/* A child's stdin: /dev/null, or, in a root without one (a bare container
 * image), a pipe already closed for writing; both read end of file. */
static int
null_input(void)
{
	int fd = open("/dev/null", O_RDONLY), p[2];

	if (fd >= 0 || pipe(p) < 0)
		return fd;
	close(p[1]);
	return p[0];
}

/* Does the environment entry var make a Python process measure itself?
 * COVERAGE_PROCESS_START and COVERAGE_PROCESS_CONFIG are what coverage.py's
 * process_startup() reads (from its .pth, or a sitecustomize); COV_CORE_*
 * is pytest-cov's subprocess support (its .pth starts coverage.py when
 * COV_CORE_SOURCE is set). COVERAGE_RCFILE and COVERAGE_FILE stay: they
 * choose settings, they start nothing, and gather names --data-file. */
static bool
measures(const char *var)
{
	static const char *const starts[] = {
		"COVERAGE_PROCESS_START=",
		"COVERAGE_PROCESS_CONFIG=",
		"COV_CORE_",
	};
	size_t i;

	for (i = 0; i < sizeof(starts) / sizeof(*starts); i++)
		if (strncmp(var, starts[i], strlen(starts[i])) == 0)
			return true;
	return false;
}

/* The environment less what measures (malloc'd array, shared strings). */
static char **
unmeasured_env(void)
{
	size_t n = 0, k = 0;
	char **env;

	while (environ[n] != NULL)
		n++;
	env = xcalloc(n + 1, sizeof(*env));
	for (n = 0; environ[n] != NULL; n++)
		if (!measures(environ[n]))
			env[k++] = environ[n];
	env[k] = NULL;
	return env;
}

/* child_spawn() with stdin from in_fd (-1: /dev/null). */
static pid_t
spawn(char *const argv[], int in_fd, int out_fd, int err_fd, int flags,
      char *err)
{
	char **env = flags & CHILD_UNMEASURED ? unmeasured_env() : environ;
	int pfd[2], e = 0, nullfd;
	pid_t parent = getpid(), pid;
	ssize_t n;

	if (pipe2(pfd, O_CLOEXEC) < 0) {
		e = errno;
		if (env != environ)
			free(env);
		return seterr(err, "pipe: %s", strerror(e));
	}
	pid = fork();
	if (pid < 0) {
		e = errno;
		close(pfd[0]);
		close(pfd[1]);
		if (env != environ)
			free(env);
		return seterr(err, "fork: %s", strerror(e));
	}
	if (pid == 0) {
		close(pfd[0]);
		/* Killed with the parent; a parent that died before this
		 * line is no longer our parent. */
		if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != parent)
			_exit(127);
		sig_child_reset();
		setpgid(0, 0);
		nullfd = in_fd >= 0 ? in_fd : null_input();
		if (nullfd < 0 || (nullfd != 0 && dup2(nullfd, 0) < 0))
			goto fail;
		if (nullfd > 2 && nullfd != in_fd)
			close(nullfd);
		if (out_fd >= 0 && out_fd != 1 && dup2(out_fd, 1) < 0)
			goto fail;
		if (err_fd >= 0 && err_fd != 2 && dup2(err_fd, 2) < 0)
			goto fail;
		execvpe(argv[0], argv, env);
	fail:
		e = errno;
		(void)!write(pfd[1], &e, sizeof(e));
		_exit(127);
	}
	/* Also in the parent, so a signal sent at once finds the group. */
	setpgid(pid, pid);
	if (env != environ)
		free(env);
	close(pfd[1]);
	do
		n = read(pfd[0], &e, sizeof(e));
	while (n < 0 && errno == EINTR);
	close(pfd[0]);
	if (n == (ssize_t)sizeof(e)) {
		waitpid(pid, NULL, 0);
		return seterr(err, "cannot run %s: %s", argv[0], strerror(e));
	}
	return pid;
}

pid_t
child_spawn(char *const argv[], int out_fd, int err_fd, int flags, char *err)
{
	return spawn(argv, -1, out_fd, err_fd, flags, err);
}

int
child_reap(pid_t pid, int *status)
{
	pid_t r;

	do
		r = waitpid(pid, status, WNOHANG);
	while (r < 0 && errno == EINTR);
	if (r < 0)
		return -1;
	return r == pid;
}

int
child_stop(pid_t pid, int sig, msec_t grace_ms)
{
	msec_t deadline = clock_ms() + grace_ms, left;
	struct pollfd pfd = { .fd = pidfd_of(pid), .events = POLLIN };
	int status = 0;

	if (killpg(pid, sig) < 0)
		kill(pid, sig);
	while (child_reap(pid, &status) == 0) {
		left = deadline - clock_ms();
		if (left > 0) {
			/* The pidfd turns readable when the child exits. With
			 * none (pidfd_open(2) missing), poll(2) ignores fd -1
			 * and we look again every STOP_POLL_MS. */
			if (pfd.fd < 0 && left > STOP_POLL_MS)
				left = STOP_POLL_MS;
			poll(&pfd, 1, (int)left);
			continue;
		}
		killpg(pid, SIGKILL);
		waitpid(pid, &status, 0);
		break;
	}
	if (pfd.fd >= 0)
		close(pfd.fd);
	return status;
}

void
child_describe(int status, char *buf, size_t len)
{
	if (WIFEXITED(status))
		snprintf(buf, len, "exited with status %d",
			 WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		snprintf(buf, len, "killed by signal %d (%s)", WTERMSIG(status),
			 strsignal(WTERMSIG(status)));
	else
		snprintf(buf, len, "ended with wait status %d", status);
}

int
child_ok(int status)
{
	return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

/* Append what fd has to *buf (of *len bytes); false at end of file. */
static int
slurp(int fd, char **buf, size_t *len, int relay)
{
	char chunk[4096];
	ssize_t n;

	n = read(fd, chunk, sizeof(chunk));
	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return 1;
	if (n <= 0)
		return 0;
	if (relay)
		(void)!write(2, chunk, (size_t)n);
	*buf = xrealloc(*buf, *len + (size_t)n + 1);
	memcpy(*buf + *len, chunk, (size_t)n);
	*len += (size_t)n;
	(*buf)[*len] = '\0';
	return 1;
}

/* Close *fd if open. */
static void
close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

int
child_start(char *const argv[], int flags, const struct child_io *io,
	    struct child_job *j, char *err)
{
	int pi[2] = { -1, -1 }, po[2] = { -1, -1 }, pe[2] = { -1, -1 }, e;

	memset(j, 0, sizeof(*j));
	j->in = j->out = j->errout = -1;
	j->capture_err = io->capture_err;
	j->capture_out = io->capture_out;
	if ((io->input && pipe2(pi, O_CLOEXEC) < 0) ||
	    (io->capture_out && pipe2(po, O_CLOEXEC) < 0) ||
	    (io->capture_err && pipe2(pe, O_CLOEXEC) < 0)) {
		e = errno;
		close_fd(&pi[0]);
		close_fd(&pi[1]);
		close_fd(&po[0]);
		close_fd(&po[1]);
		return seterr(err, "pipe: %s", strerror(e));
	}
	j->start = clock_ms();
	j->pid = spawn(argv, pi[0], io->capture_out ? po[1] : io->out_fd,
		       io->capture_err ? pe[1] : -1, flags, err);
	close_fd(&pi[0]);
	close_fd(&po[1]);
	close_fd(&pe[1]);
	j->in = pi[1];
	j->out = po[0];
	j->errout = pe[0];
	if (j->pid < 0) {
		j->pid = 0;
		close_fd(&j->in);
		close_fd(&j->out);
		close_fd(&j->errout);
		return -1;
	}
	/* Written from child_finish()'s loop, which must never block. */
	if (j->in >= 0)
		fcntl(j->in, F_SETFL, O_NONBLOCK);
	return 0;
}

/* Write what is left of input to the child's stdin; closed when all is
 * written or the child no longer reads. */
static void
feed(struct child_job *j, const char *input, size_t len, size_t *done)
{
	ssize_t n = write(j->in, input + *done, len - *done);

	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return;
	if (n > 0)
		*done += (size_t)n;
	if (n < 0 || *done == len)
		close_fd(&j->in);
}

int
child_finish(struct child_job *j, const char *input, size_t len, int sigfd,
	     struct child_result *r)
{
	size_t olen = 0, elen = 0, done = 0;
	struct pollfd pfd[4];
	int reaped = 0, n, rc, signo;

	memset(r, 0, sizeof(*r));
	assert(j->pid > 0);
	if (j->in >= 0 && len == 0)
		close_fd(&j->in);
	/* Until the child is reaped and its pipes are drained. */
	while (!reaped || j->out >= 0 || j->errout >= 0) {
		n = 0;
		pfd[n++] = (struct pollfd){ .fd = sigfd, .events = POLLIN };
		pfd[n++] = (struct pollfd){ .fd = j->out, .events = POLLIN };
		pfd[n++] = (struct pollfd){ .fd = j->errout, .events = POLLIN };
		pfd[n++] = (struct pollfd){ .fd = j->in, .events = POLLOUT };
		/* Once reaped, a grandchild holding a pipe gets 1s. */
		rc = poll(pfd, (nfds_t)n, reaped ? 1000 : -1);
		if ((rc < 0 && errno != EINTR) || (rc == 0 && reaped))
			break;
		while ((signo = sig_read(sigfd)) > 0)
			if (signo != SIGCHLD) {
				r->signo = signo;
				killpg(j->pid, signo);
			}
		if (pfd[1].revents && !slurp(j->out, &r->out, &olen, 0))
			close_fd(&j->out);
		if (pfd[2].revents && !slurp(j->errout, &r->errout, &elen,
					     j->capture_err == CAPTURE_RELAY))
			close_fd(&j->errout);
		if (pfd[3].revents && j->in >= 0)
			feed(j, input, len, &done);
		if (!reaped && child_reap(j->pid, &r->status) == 1)
			reaped = 1;
	}
	if (!reaped)
		waitpid(j->pid, &r->status, 0);
	close_fd(&j->in);
	close_fd(&j->out);
	close_fd(&j->errout);
	if (j->capture_out && r->out == NULL)
		r->out = xstrdup("");
	if (j->capture_err && r->errout == NULL)
		r->errout = xstrdup("");
	r->ms = clock_ms() - j->start;
	j->pid = 0;
	return 0;
}

void
child_abandon(struct child_job *j, int sig, msec_t grace_ms)
{
	/* A job with no child holds no pipe: a zeroed one is none. */
	if (j->pid <= 0)
		return;
	child_stop(j->pid, sig, grace_ms);
	j->pid = 0;
	close_fd(&j->in);
	close_fd(&j->out);
	close_fd(&j->errout);
}

int
child_run(char *const argv[], int sigfd, int out_fd, int capture_out,
	  int capture_err, int flags, struct child_result *r, char *err)
{
	struct child_io io = { .out_fd = out_fd,
			       .capture_out = capture_out,
			       .capture_err = capture_err };
	struct child_job j;

	memset(r, 0, sizeof(*r));
	if (child_start(argv, flags, &io, &j, err) < 0)
		return -1;
	return child_finish(&j, NULL, 0, sigfd, r);
}

void
child_spawns_add(struct child_spawns *s, pid_t pid, int64_t at)
{
	if (s->n < CHILD_SPAWNS) {
		s->at[s->n] = at;
		s->pid[s->n++] = pid;
	}
}

int64_t
child_spawns_when(const struct child_spawns *s, pid_t pid)
{
	size_t i = s->n;

	while (i-- > 0)
		if (s->pid[i] == pid)
			return s->at[i];
	return 0;
}
