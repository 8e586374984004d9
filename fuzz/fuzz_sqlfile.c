/* fuzz_sqlfile.c: libFuzzer harness for sqlfile_rows(), the native
 * combine's reader of SQLite pages. The input is the whole contents of a
 * database file (a memfd); every root page from 2 to 6 is read as a table
 * of 4 columns. It must never crash, hang or leak, whatever the pages say:
 * a row has its 4 values, and there are never more rows than the file has
 * room for (a cell takes at least 4 bytes of a page). */
#include "sqlfile.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

struct count {
	size_t rows, max;
};

static int
row(void *arg, const int64_t *v)
{
	struct count *c = arg;

	(void)v;
	if (++c->rows > c->max)
		abort();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct count c = { .max = size / 4 + 1 };
	enum sqlfile_status s;
	uint32_t root;
	int fd = memfd_create("fuzz_sqlfile", MFD_CLOEXEC);

	if (fd < 0 || (size > 0 && write(fd, data, size) != (ssize_t)size)) {
		perror("fuzz_sqlfile: memfd");
		abort();
	}
	for (root = 2; root <= 6; root++) {
		c.rows = 0;
		s = sqlfile_rows(fd, root, 4, row, &c);
		if (s != SQLFILE_OK && s != SQLFILE_OTHER)
			abort();
	}
	close(fd);
	return 0;
}
