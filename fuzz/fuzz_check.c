/* fuzz_check.c: libFuzzer harness for the data-file checker. The input is
 * the whole contents of a data file; check_file() must give it exactly one
 * verdict with a one-line reason, never write to it, never create a file
 * beside it (no -journal, -wal or -shm), and never crash or leak.
 *
 * The file lives in a private directory made once per process, under
 * $TMPDIR (tmpfs /dev/shm when TMPDIR is unset, for speed). */
#include "check.h"

#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define NAME ".coverage.fuzzhost.4242.123456"

static char dir[PATH_MAX];
static char *realdir;
static int dirfd_ = -1;

/* Remove the private directory at exit (libFuzzer exits through exit()). */
static void
cleanup(void)
{
	struct dirent *de;
	DIR *d;

	if (dirfd_ < 0)
		return;
	if ((d = opendir(dir)) != NULL) {
		while ((de = readdir(d)) != NULL)
			if (strcmp(de->d_name, ".") != 0 &&
			    strcmp(de->d_name, "..") != 0)
				unlinkat(dirfd(d), de->d_name, 0);
		closedir(d);
	}
	rmdir(dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv);

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *tmp = getenv("TMPDIR");

	(void)argc;
	(void)argv;
	if (tmp == NULL || tmp[0] == '\0')
		tmp = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
	snprintf(dir, sizeof(dir), "%s/covsettle-fuzz-check.XXXXXX", tmp);
	if (mkdtemp(dir) == NULL || (realdir = realpath(dir, NULL)) == NULL ||
	    (dirfd_ = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
		perror("fuzz_check: private directory");
		abort();
	}
	atexit(cleanup);
	return 0;
}

/* Exactly one entry, NAME, in the directory: the checker made no file. */
static void
assert_alone(void)
{
	struct dirent *de;
	DIR *d;
	int fd = openat(dirfd_, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0 || (d = fdopendir(fd)) == NULL)
		abort();
	while ((de = readdir(d)) != NULL)
		if (strcmp(de->d_name, ".") != 0 &&
		    strcmp(de->d_name, "..") != 0 &&
		    strcmp(de->d_name, NAME) != 0) {
			fprintf(stderr, "fuzz_check: the checker left %s\n",
				de->d_name);
			abort();
		}
	closedir(d);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct check_result r;
	unsigned char *back;
	const char *p;
	ssize_t n;
	int fd;

	fd = openat(dirfd_, NAME, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0 || (size > 0 && write(fd, data, size) != (ssize_t)size)) {
		perror("fuzz_check: writing the input");
		abort();
	}
	close(fd);

	check_file(dirfd_, realdir, NAME, &r);

	/* One verdict, a reason on one line. */
	if (r.verdict < 0 || r.verdict >= V_COUNT ||
	    memchr(r.reason, '\0', sizeof(r.reason)) == NULL ||
	    r.reason[0] == '\0')
		abort();
	for (p = r.reason; *p; p++)
		if ((unsigned char)*p < ' ')
			abort();
	/* A regular file of ours: none of these can be its verdict. */
	if (r.verdict == V_SYMLINK || r.verdict == V_NOT_REGULAR ||
	    r.verdict == V_MISSING || r.verdict == V_UNREADABLE) {
		fprintf(stderr, "fuzz_check: verdict %s: %s\n",
			verdict_name(r.verdict), r.reason);
		abort();
	}
	if (r.size != (off_t)size || (size == 0) != (r.verdict == V_EMPTY))
		abort();
	if (r.verdict == V_OK && r.nfiles < 0)
		abort();

	/* Read-only: the contents are what was written, nothing beside. */
	back = malloc(size + 1);
	fd = openat(dirfd_, NAME, O_RDONLY | O_CLOEXEC);
	if (back == NULL || fd < 0)
		abort();
	n = read(fd, back, size + 1);
	close(fd);
	if (n != (ssize_t)size || (size > 0 && memcmp(back, data, size) != 0)) {
		fprintf(stderr, "fuzz_check: the checker changed the file\n");
		abort();
	}
	free(back);
	assert_alone();
	return 0;
}
