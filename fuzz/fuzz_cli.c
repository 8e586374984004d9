/* fuzz_cli.c: libFuzzer harness for the command lines of `wait`, `check`
 * and `gather`. The input's first byte picks the command; the rest, split at
 * NUL bytes, is argv[1..]. cli_parse() must either accept the line with
 * every value in range, or print exactly one line and return 2 (or print
 * the usage and return 0 for --help). Its messages go to a memory stream
 * that stands in for stderr, so the one-line rule can be checked. */
#include "cli.h"
#include "exitcode.h"
#include "parse.h"

#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_ARGS 64

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *argv[MAX_ARGS + 2], *buf, *p, *end, *msg = NULL;
	FILE *saved_err = stderr, *saved_out = stdout, *mem, *null;
	size_t msglen = 0, i;
	int j;
	struct cli c;
	int argc = 0, rc;

	if (size == 0)
		return 0;
	memset(&c, 0, sizeof(c));
	c.cmd = data[0] % 3 == 0   ? "wait"
		: data[0] % 3 == 1 ? "gather"
				   : "check";
	/* Owned copies: cli_parse may cut --report FORMAT=PATH in place. */
	buf = malloc(size);
	if (buf == NULL)
		abort();
	memcpy(buf, data + 1, size - 1);
	buf[size - 1] = '\0';
	argv[argc++] = (char *)c.cmd;
	for (p = buf, end = buf + size - 1; p < end && argc <= MAX_ARGS;
	     p += strlen(p) + 1)
		argv[argc++] = p;
	argv[argc] = NULL;

	mem = open_memstream(&msg, &msglen);
	null = fopen("/dev/null", "w");
	if (mem == NULL || null == NULL)
		abort();
	stderr = mem;
	stdout = null;
	rc = cli_parse(argc, argv, &c);
	stderr = saved_err;
	stdout = saved_out;
	fclose(mem);
	fclose(null);

	if (rc == EXIT_USAGE) {
		/* One line, ending in a newline, and nothing else. */
		if (msglen == 0 || msg[msglen - 1] != '\n' ||
		    memchr(msg, '\n', msglen - 1) != NULL ||
		    strlen(msg) != msglen) {
			fprintf(stderr,
				"fuzz_cli: usage error not one line: "
				"[%.*s]\n",
				(int)msglen, msg);
			abort();
		}
	} else if (rc == EXIT_OK) {
		if (msglen != 0) /* --help: usage on stdout, no message */
			abort();
	} else if (rc == -1 && strcmp(c.cmd, "check") == 0) {
		/* PATHs from c.operands on, and none of the others' options */
		if (msglen != 0 || c.operands < 1 || c.operands >= argc ||
		    c.o.pattern == NULL || c.o.pattern[0] == '\0' ||
		    strchr(c.o.pattern, '/') != NULL || c.o.dir != NULL ||
		    c.o.expect != 0 || c.o.debounce != 0 || c.nreports != 0)
			abort();
	} else if (rc == -1) {
		if (msglen != 0 || c.o.dir == NULL || c.o.dir[0] == '\0' ||
		    c.o.pattern == NULL || c.o.pattern[0] == '\0' ||
		    strchr(c.o.pattern, '/') != NULL || c.o.debounce < 0 ||
		    c.o.debounce > DURATION_MAX_MS || c.o.timeout < 0 ||
		    c.o.timeout > DURATION_MAX_MS || c.o.poll_ms < 0 ||
		    c.o.poll_ms > DURATION_MAX_MS || c.o.expect < 0 ||
		    c.o.expect > 1000000000L ||
		    (c.o.trigger != NULL && c.o.trigger[0] == '\0') ||
		    c.nreports < 0 || c.nreports > MAX_REPORTS ||
		    (c.fail_under != NULL &&
		     (c.fail_under_pct < 0 || c.fail_under_pct > 100)))
			abort();
		for (i = 0; i < (size_t)c.nreports; i++) {
			if (c.reports[i].format >= RF_COUNT ||
			    (c.reports[i].path != NULL &&
			     c.reports[i].path[0] == '\0') ||
			    c.reports[i].nopts < 0 ||
			    c.reports[i].nopts > MAX_REPORT_OPTS)
				abort();
			for (j = 0; j < c.reports[i].nopts; j++)
				if (c.reports[i].opts[j][0] != '-')
					abort();
		}
		if (strcmp(c.cmd, "wait") == 0 &&
		    (c.coverage || c.rcfile || c.data_file || c.fail_under ||
		     c.nreports || c.no_keep || c.no_wait_lock))
			abort();
	} else {
		abort();
	}
	free(msg);
	free(buf);
	return 0;
}
