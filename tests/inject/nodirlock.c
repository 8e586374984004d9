/* nodirlock.c: fault injection for the system tests, loaded with
 * LD_PRELOAD. A directory that cannot be locked needs an NFS mount, which
 * the tests cannot make here; so flock(2) on a directory fails with EBADF,
 * as NFS's emulation of flock does on a descriptor not open for writing.
 * Other descriptors are locked for real. */
#include <errno.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

int
flock(int fd, int op)
{
	struct stat st;

	if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
		errno = EBADF;
		return -1;
	}
	return (int)syscall(SYS_flock, fd, op);
}
