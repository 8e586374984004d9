/* driver.c: runs a libFuzzer harness without libFuzzer, on files and on
 * the files of directories named on the command line, once each. Built
 * with the project's compiler and sanitizers, it replays the seeds and
 * the crashers in fixtures/crashers/ as a regression test (make
 * fuzz-regress), on machines without clang. */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerInitialize(int *argc, char ***argv) __attribute__((weak));
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Run the harness on the file at path; 0, or -1 when it is unreadable. */
static int
run_file(const char *path)
{
	unsigned char *buf = NULL, *more;
	size_t len = 0, cap = 0, n;
	FILE *f = fopen(path, "rb");

	if (f == NULL) {
		perror(path);
		return -1;
	}
	do {
		if (len == cap) {
			cap = cap ? 2 * cap : 65536;
			if ((more = realloc(buf, cap)) == NULL)
				abort();
			buf = more;
		}
		n = fread(buf + len, 1, cap - len, f);
		len += n;
	} while (n > 0);
	fclose(f);
	LLVMFuzzerTestOneInput(buf, len);
	free(buf);
	return 0;
}

int
main(int argc, char **argv)
{
	char path[4096];
	struct dirent *de;
	struct stat st;
	int i, runs = 0, bad = 0;
	DIR *d;

	if (LLVMFuzzerInitialize != NULL)
		LLVMFuzzerInitialize(&argc, &argv);
	for (i = 1; i < argc; i++) {
		if (stat(argv[i], &st) < 0) {
			perror(argv[i]);
			bad = 1;
		} else if (!S_ISDIR(st.st_mode)) {
			bad |= run_file(argv[i]) < 0;
			runs++;
		} else if ((d = opendir(argv[i])) != NULL) {
			while ((de = readdir(d)) != NULL) {
				if (de->d_name[0] == '.' ||
				    snprintf(path, sizeof(path), "%s/%s",
					     argv[i],
					     de->d_name) >= (int)sizeof(path) ||
				    stat(path, &st) < 0 || !S_ISREG(st.st_mode))
					continue;
				bad |= run_file(path) < 0;
				runs++;
			}
			closedir(d);
		}
	}
	fprintf(stderr, "%s: %d inputs replayed\n", argv[0], runs);
	return bad;
}
