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
		{ "ms", 1 },	  { "s", 1000 }, { "m", 60000 },
		{ "h", 3600000 }, { "", 1000 },
	};
	unsigned long long whole = 0, part = 0, t;
	bool rest = false; /* the fraction times the unit is not whole */
	const char *p = s, *frac = NULL, *q;
	msec_t v;
	size_t i;

	if (*p == '\0')
		return seterr(err, "empty duration");
	if (!isdigit((unsigned char)*p))
		return seterr(err,
			      "'%s' is not a duration (like 250ms, 1.5s, 2m)",
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
		for (frac = p; isdigit((unsigned char)*p); p++)
			;
	}
	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++)
		if (strcmp(p, units[i].name) == 0)
			break;
	if (i == sizeof(units) / sizeof(units[0]))
		return seterr(
			err, "'%s' has an unknown unit (use ms, s, m or h)", s);
	if (whole > (unsigned long long)(DURATION_MAX_MS / units[i].ms))
		return seterr(err,
			      "duration '%s' is too long (24 days at most)", s);
	/* whole * unit + ceil(0.d1d2...dn * unit), exactly for any n: the
	 * digits times the unit, divided by 10 from the last digit up,
	 * carrying the quotient; any remainder on the way rounds up. No
	 * overflow: the carry stays below the unit (3.6e6 at most). */
	for (q = p; frac != NULL && q > frac; q--) {
		t = (unsigned)(q[-1] - '0') * (unsigned long long)units[i].ms +
		    part;
		part = t / 10;
		rest |= t % 10 != 0;
	}
	v = (msec_t)whole * units[i].ms + (msec_t)part + rest;
	if (v > DURATION_MAX_MS)
		return seterr(err,
			      "duration '%s' is too long (24 days at most)", s);
	*ms = v;
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
		return seterr(err, "%s is out of range (%ld to %ld)", s, min,
			      max);
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
