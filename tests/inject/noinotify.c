/* noinotify.c: fault injection for the system tests, loaded with
 * LD_PRELOAD. The inotify limits cannot be reached for real without
 * changing the machine's sysctls, so this makes inotify_init fail with
 * EMFILE (COVSETTLE_INJECT=instances) or inotify_add_watch fail with
 * ENOSPC (COVSETTLE_INJECT=watches), as the kernel does at those limits. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

static int
injected(const char *what)
{
	const char *v = getenv("COVSETTLE_INJECT");

	return v != NULL && strcmp(v, what) == 0;
}

int
inotify_init(void)
{
	if (injected("instances")) {
		errno = EMFILE;
		return -1;
	}
	return (int)syscall(SYS_inotify_init1, 0);
}

int
inotify_add_watch(int fd, const char *path, uint32_t mask)
{
	if (injected("watches")) {
		errno = ENOSPC;
		return -1;
	}
	return (int)syscall(SYS_inotify_add_watch, fd, path, mask);
}
