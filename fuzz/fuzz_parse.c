/* fuzz_parse.c: libFuzzer harness for parse_duration(), parse_count() and
 * format_duration(). The input, cut at its first NUL, is the text a user
 * typed. Beyond "no crash", each accepted value is compared with an exact
 * reference: a duration is ceil(value * unit) milliseconds, computed here
 * with 128-bit integers for up to 30 decimals, and a count is what strtoll
 * reads, within its bounds. */
#include "parse.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The exact value of s in ms, rounded up: 1 when s is a duration whose
 * fraction has at most 30 digits (*ms set, or *over when above the
 * maximum), 0 when it is not a duration, -1 when it cannot tell. */
static int
reference_duration(const char *s, msec_t *ms, bool *over)
{
	static const struct {
		const char *name;
		unsigned long unit;
	} units[] = { { "ms", 1 },
		      { "s", 1000 },
		      { "m", 60000 },
		      { "h", 3600000 },
		      { "", 1000 } };
	unsigned __int128 whole = 0, frac = 0, scale = 1, total, max;
	const char *p = s;
	int digits = 0;
	size_t i;

	*over = false;
	if (!isdigit((unsigned char)*p))
		return 0;
	for (; isdigit((unsigned char)*p); p++)
		if (whole <= (unsigned __int128)1 << 100)
			whole = whole * 10 + (unsigned)(*p - '0');
	if (*p == '.') {
		p++;
		if (!isdigit((unsigned char)*p))
			return 0;
		for (; isdigit((unsigned char)*p); p++, digits++) {
			if (digits == 30)
				return -1;
			frac = frac * 10 + (unsigned)(*p - '0');
			scale *= 10;
		}
	}
	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++)
		if (strcmp(p, units[i].name) == 0)
			break;
	if (i == sizeof(units) / sizeof(units[0]))
		return 0;
	max = (unsigned __int128)DURATION_MAX_MS;
	if (whole > max) {
		*over = true;
		return 1;
	}
	/* frac < 1e30, unit < 4e6: the product fits in 128 bits. */
	total = whole * units[i].unit +
		(frac * units[i].unit + scale - 1) / scale;
	if (total > max)
		*over = true;
	else
		*ms = (msec_t)total;
	return 1;
}

static void
fuzz_duration(const char *s)
{
	char err[ERRLEN], buf[64];
	msec_t ms = -7, want = -7;
	bool over;
	int rc, ref;

	err[0] = '\0';
	rc = parse_duration(s, &ms, err);
	if (rc != 0 && rc != -1)
		abort();
	if (rc == -1 && (err[0] == '\0' || ms != -7)) {
		fprintf(stderr,
			"fuzz_parse: rejected '%s' without a message, "
			"or wrote the output\n",
			s);
		abort();
	}
	if (rc == 0 && (ms < 0 || ms > DURATION_MAX_MS))
		abort();
	ref = reference_duration(s, &want, &over);
	if (ref == 1 && !over && (rc != 0 || ms != want)) {
		fprintf(stderr, "fuzz_parse: '%s' gave %s %lld, exact %lld\n",
			s, rc == 0 ? "ms" : "an error:", (long long)ms,
			(long long)want);
		abort();
	}
	if (ref == 1 && over && rc == 0) {
		fprintf(stderr,
			"fuzz_parse: '%s' over the maximum accepted "
			"as %lld\n",
			s, (long long)ms);
		abort();
	}
	if (ref == 0 && rc == 0) {
		fprintf(stderr,
			"fuzz_parse: '%s' is no duration, accepted "
			"as %lld\n",
			s, (long long)ms);
		abort();
	}
	if (rc == 0) {
		/* Every buffer size, down to 1: always NUL-terminated. */
		size_t len;

		for (len = 1; len <= sizeof(buf); len *= 2) {
			memset(buf, 'Z', sizeof(buf));
			format_duration(ms, buf, len);
			if (memchr(buf, '\0', len) == NULL)
				abort();
		}
	}
}

static void
fuzz_count(const char *s, long min, long max)
{
	char err[ERRLEN], *end;
	long v = -7;
	long long want;
	int rc;

	err[0] = '\0';
	rc = parse_count(s, min, max, &v, err);
	if (rc == -1 && (err[0] == '\0' || v != -7))
		abort();
	if (rc == 0 && (v < min || v > max))
		abort();
	/* Reference: a plain decimal, optional '-', nothing around it. */
	errno = 0;
	want = strtoll(s, &end, 10);
	if ((isdigit((unsigned char)s[0]) ||
	     (s[0] == '-' && isdigit((unsigned char)s[1]))) &&
	    *end == '\0' && errno == 0 && want >= min && want <= max) {
		if (rc != 0 || v != want) {
			fprintf(stderr, "fuzz_parse: count '%s' gave %d/%ld\n",
				s, rc, v);
			abort();
		}
	} else if (rc == 0) {
		fprintf(stderr, "fuzz_parse: '%s' accepted as the count %ld\n",
			s, v);
		abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);

	if (s == NULL)
		abort();
	memcpy(s, data, size);
	s[size] = '\0';
	fuzz_duration(s);
	fuzz_count(s, 0, 1000000000L); /* --expect */
	fuzz_count(s, LONG_MIN, LONG_MAX);
	fuzz_count(s, -5, 5);
	free(s);
	return 0;
}
