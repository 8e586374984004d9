/* parse.h: bounded parsing of the numbers users type on the command line:
 * durations (250ms, 1.5s, 2m) and counts. */
#ifndef COVSETTLE_PARSE_H
#define COVSETTLE_PARSE_H

#include "util.h"

/* Largest duration accepted: 24 days, so that every value fits poll(2). */
#define DURATION_MAX_MS ((msec_t)24 * 24 * 3600 * 1000)

/* Parse "N[.F][ms|s|m|h]" (bare number = seconds) into *ms.
 * Rounds up to whole milliseconds. 0 on success, -1 with err filled. */
int parse_duration(const char *s, msec_t *ms, char *err);

/* Parse a decimal count in [min, max] into *out. 0 or -1 with err. */
int parse_count(const char *s, long min, long max, long *out, char *err);

/* Write a duration as people read it ("250ms", "1.5s", "2m30s") into buf. */
void format_duration(msec_t ms, char *buf, size_t len);

#endif
