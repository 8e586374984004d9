/* sig.c: signal handling without handlers. The signals covsettle acts on
 * are blocked and read from a signalfd in the same poll(2) as inotify, so
 * nothing runs in signal context. A stop signal that covsettle was started
 * with ignored (nohup, a background job of a script) stays ignored, as it
 * would for any program; children get the default action back. SIGCHLD
 * always gets its default action: covsettle reaps its children itself. */
#include "sig.h"
#include "util.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

static const int handled[] = { SIGINT, SIGTERM, SIGHUP, SIGCHLD };
static const int stops[] = { SIGINT, SIGTERM, SIGHUP };

/* Was signo ignored when covsettle started? */
static int
ignored(int signo)
{
	struct sigaction old;

	return signo != SIGCHLD && sigaction(signo, NULL, &old) == 0 &&
	       old.sa_handler == SIG_IGN;
}

void
sig_ignore_lease_breaks(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_IGN;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGIO, &sa, NULL);
}

int
sig_setup(char *err)
{
	struct sigaction sa;
	sigset_t set;
	size_t i;
	int fd;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_IGN;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGPIPE, &sa, NULL);
	sig_ignore_lease_breaks();
	/* SIGCHLD ignored at start would have the kernel reap our children
	 * before we can read their status. */
	sa.sa_handler = SIG_DFL;
	sigaction(SIGCHLD, &sa, NULL);
	sigemptyset(&set);
	for (i = 0; i < sizeof(handled) / sizeof(handled[0]); i++)
		if (!ignored(handled[i]))
			sigaddset(&set, handled[i]);
	if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
		return seterr(err, "sigprocmask: %s", strerror(errno));
	fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	if (fd < 0)
		return seterr(err, "signalfd: %s", strerror(errno));
	return fd;
}

int
sig_read(int fd)
{
	struct signalfd_siginfo si;

	if (read(fd, &si, sizeof(si)) != (ssize_t)sizeof(si))
		return 0;
	return (int)si.ssi_signo;
}

void
sig_child_reset(void)
{
	struct sigaction sa;
	sigset_t set;
	size_t i;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGPIPE, &sa, NULL);
	sigaction(SIGIO, &sa, NULL);
	/* covsettle passes these on to the child's group: they must act. */
	for (i = 0; i < sizeof(stops) / sizeof(stops[0]); i++)
		sigaction(stops[i], &sa, NULL);
	sigemptyset(&set);
	sigprocmask(SIG_SETMASK, &set, NULL);
}
