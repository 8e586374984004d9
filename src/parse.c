/* parse.c: durations and counts from the command line, with bounds.
 * Every accepted value is exact; everything else is a one-line error. */
#include "parse.h"

#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int
parse_duration(const char *s, msec_t *ms, char *err)
{
	static const struct {
		const char *name;
		msec_t ms;
	} units[] = {
		{"ms", 1}, {"s", 1000}, {"m", 60000}, {"h", 3600000}, {"", 1000},
	};
	unsigned long long whole = 0, frac = 0, scale = 1, part;
	bool more = false; /* nonzero digits past the ninth decimal */
	const char *p = s;
	size_t i;

	if (*p == '\0')
		return seterr(err, "empty duration");
	if (!isdigit((unsigned char)*p))
		return seterr(err, "'%s' is not a duration (like 250ms, 1.5s, 2m)",
			      s);
	for (; isdigit((unsigned char)*p); p++) {
		whole = whole * 10 + (unsigned)(*p - '0');
		if (whole > (unsigned long long)DURATION_MAX_MS)
			return seterr(err, "duration '%s' is too long", s);
	}
	if (*p == '.') {
		p++;
		if (!isdigit((unsigned char)*p))
			return seterr(err,
				      "'%s' is not a duration (like 250ms, "
				      "1.5s, 2m)",
				      s);
		for (; isdigit((unsigned char)*p); p++) {
			if (scale < 1000000000ULL) {
				frac = frac * 10 + (unsigned)(*p - '0');
				scale *= 10;
			} else if (*p != '0') {
				more = true;
			}
		}
	}
	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++)
		if (strcmp(p, units[i].name) == 0)
			break;
	if (i == sizeof(units) / sizeof(units[0]))
		return seterr(err,
			      "'%s' has an unknown unit (use ms, s, m or h)",
			      s);
	if (whole > (unsigned long long)(DURATION_MAX_MS / units[i].ms))
		return seterr(err, "duration '%s' is too long (24 days at most)",
			      s);
	/* whole * unit + ceil(fraction * unit), where the fraction is
	 * frac / scale plus a little more when digits were cut off. No
	 * overflow: scale <= 1e9, unit <= 3.6e6, so frac * unit < 3.6e15. */
	part = frac * (unsigned long long)units[i].ms;
	*ms = (msec_t)whole * units[i].ms + (msec_t)(part / scale) +
	      (part % scale != 0 || more);
	if (*ms > DURATION_MAX_MS)
		return seterr(err, "duration '%s' is too long (24 days at most)",
			      s);
	return 0;
}

int
parse_count(const char *s, long min, long max, long *out, char *err)
{
	char *end;
	long v;

	if (*s == '\0')
		return seterr(err, "empty number");
	if (!isdigit((unsigned char)*s) && *s != '-')
		return seterr(err, "'%s' is not a number", s);
	errno = 0;
	v = strtol(s, &end, 10);
	if (*end != '\0')
		return seterr(err, "'%s' is not a number", s);
	if (errno == ERANGE || v < min || v > max)
		return seterr(err, "%s is out of range (%ld to %ld)", s, min, max);
	*out = v;
	return 0;
}

void
format_duration(msec_t ms, char *buf, size_t len)
{
	if (ms < 1000)
		snprintf(buf, len, "%lldms", (long long)ms);
	else if (ms < 60000)
		snprintf(buf, len, "%lld.%02llds", (long long)(ms / 1000),
			 (long long)(ms % 1000 / 10));
	else
		snprintf(buf, len, "%lldm%02llds", (long long)(ms / 60000),
			 (long long)(ms % 60000 / 1000));
}
