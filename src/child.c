/* child.c: spawning and reaping children. Each child runs in its own
 * process group so that a signal to covsettle can be passed to everything
 * the child started, with stdin from /dev/null, and covsettle's signal
 * mask and dispositions reset. An exec failure is reported through a
 * close-on-exec pipe, so "command not found" is an error, not a status. */
#include "child.h"
#include "sig.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

pid_t
child_spawn(char *const argv[], int out_fd, char *err)
{
	int pfd[2], e = 0, nullfd;
	ssize_t n;
	pid_t pid;

	if (pipe2(pfd, O_CLOEXEC) < 0)
		return seterr(err, "pipe: %s", strerror(errno));
	pid = fork();
	if (pid < 0) {
		e = errno;
		close(pfd[0]);
		close(pfd[1]);
		return seterr(err, "fork: %s", strerror(e));
	}
	if (pid == 0) {
		close(pfd[0]);
		sig_child_reset();
		setpgid(0, 0);
		nullfd = open("/dev/null", O_RDONLY);
		if (nullfd < 0 || dup2(nullfd, 0) < 0)
			goto fail;
		if (nullfd > 2)
			close(nullfd);
		if (out_fd >= 0 && out_fd != 1 && dup2(out_fd, 1) < 0)
			goto fail;
		execvp(argv[0], argv);
	fail:
		e = errno;
		(void)!write(pfd[1], &e, sizeof(e));
		_exit(127);
	}
	/* Also in the parent, so a signal sent at once finds the group. */
	setpgid(pid, pid);
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
	struct pollfd pfd = {.fd = pidfd_of(pid), .events = POLLIN};
	int status = 0;

	if (killpg(pid, sig) < 0)
		kill(pid, sig);
	while (child_reap(pid, &status) == 0) {
		if (pfd.fd < 0) {
			waitpid(pid, &status, 0);
			break;
		}
		left = deadline - clock_ms();
		/* The pidfd turns readable when the child exits. */
		if (left > 0 && poll(&pfd, 1, (int)left) != 0)
			continue;
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
		snprintf(buf, len, "exited with status %d", WEXITSTATUS(status));
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
