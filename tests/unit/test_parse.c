/* test_parse.c: unit tests of parse.c, durations and counts as users type
 * them on the command line, and durations as covsettle prints them. */
#include <criterion/criterion.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "parse.h"

/* ---- parse_duration: accepted values ---- */

static const struct {
	const char *in;
	msec_t ms;
} good_durations[] = {
	/* every unit, and a bare number meaning seconds */
	{ "250ms", 250 },
	{ "1ms", 1 },
	{ "2s", 2000 },
	{ "2m", 120000 },
	{ "2h", 7200000 },
	{ "3", 3000 },
	/* decimals, rounded up to whole milliseconds */
	{ "1.5s", 1500 },
	{ "0.25", 250 },
	{ "1.0001s", 1001 },
	{ "1.5ms", 2 },
	{ "0.1ms", 1 },
	{ "0.001s", 1 },
	{ "0.0011s", 2 },
	{ "1.5m", 90000 },
	{ "0.5h", 1800000 },
	{ "1.25", 1250 },
	{ "007s", 7000 },
	{ "1.000s", 1000 },
	/* zero */
	{ "0", 0 },
	{ "0ms", 0 },
	{ "0s", 0 },
	{ "0.0", 0 },
	{ "0.000m", 0 },
	/* the maximum, 24 days, in every unit */
	{ "576h", DURATION_MAX_MS },
	{ "34560m", DURATION_MAX_MS },
	{ "2073600s", DURATION_MAX_MS },
	{ "2073600", DURATION_MAX_MS },
	{ "2073600000ms", DURATION_MAX_MS },
	{ "575.5h", DURATION_MAX_MS - 1800000 },
	{ "2073599.999s", DURATION_MAX_MS - 1 },
	{ "2073599999.5ms", DURATION_MAX_MS },
};

Test(parse_duration, max_is_24_days)
{
	cr_assert_eq(DURATION_MAX_MS, (msec_t)2073600000);
	cr_assert(DURATION_MAX_MS <= INT_MAX, "must fit poll(2)'s timeout");
}

Test(parse_duration, accepts)
{
	size_t i;

	for (i = 0; i < sizeof(good_durations) / sizeof(good_durations[0]);
	     i++) {
		char err[ERRLEN] = "";
		msec_t ms = -12345;
		int rc = parse_duration(good_durations[i].in, &ms, err);

		cr_expect_eq(rc, 0, "'%s' rejected: %s", good_durations[i].in,
			     err);
		cr_expect_eq(ms, good_durations[i].ms,
			     "'%s' gave %lld ms, expected %lld",
			     good_durations[i].in, (long long)ms,
			     (long long)good_durations[i].ms);
	}
}

/* Rounding up holds for fractions of any length: a duration of a tenth of
 * a nanosecond is still 1ms, not 0 (which means "no limit" for
 * --timeout). */
Test(parse_duration, tiny_fraction_rounds_up)
{
	static const char *const tiny[] = {
		"0.0000000001s",
		"0.0000000001",
		"0.00000000000001ms",
		"0.000000000001m",
	};
	size_t i;

	for (i = 0; i < sizeof(tiny) / sizeof(tiny[0]); i++) {
		char err[ERRLEN] = "";
		msec_t ms = -12345;
		int rc = parse_duration(tiny[i], &ms, err);

		cr_expect_eq(rc, 0, "'%s' rejected: %s", tiny[i], err);
		cr_expect_eq(ms, 1, "'%s' gave %lld ms, expected 1 (round up)",
			     tiny[i], (long long)ms);
	}
}

/* For the same reason, a hair over the maximum is over the maximum. */
Test(parse_duration, tiny_fraction_over_the_maximum)
{
	static const char *const over[] = {
		"576.0000000001h",
		"2073600.0000000001s",
		"2073600000.0000000001ms",
	};
	size_t i;

	for (i = 0; i < sizeof(over) / sizeof(over[0]); i++) {
		char err[ERRLEN] = "";
		msec_t ms = -12345;

		cr_expect_eq(parse_duration(over[i], &ms, err), -1,
			     "'%s' accepted as %lld ms (maximum %lld)", over[i],
			     (long long)ms, (long long)DURATION_MAX_MS);
	}
}

/* ---- parse_duration: rejected values ---- */

static const char *const bad_durations[] = {
	"",
	"s",
	"ms",
	"-1",
	"-1s",
	"+1s",
	"1.",
	"1.s",
	".5",
	"1e3",
	"1 s",
	"1sec",
	"abc",
	"1.5.s",
	" 1s",
	"1s ",
	"99999999999999999999",
	"99999999999999999999ms",
	"24d",
	"1d",
	"1w",
	"1S",
	"1MS",
	"1H",
	"1M",
	"1,5s",
	"1..5s",
	"1.5ss",
	"0x10",
	"1s1",
	"1mss",
	/* too long */
	"577h",
	"576.1h",
	"576.0001h",
	"34561m",
	"34560.01m",
	"2073601s",
	"2073600.001s",
	"2073601",
	"2073600001ms",
	"2073600000.5ms",
	"9999999999h",
	"18446744073709551617ms",
};

Test(parse_duration, rejects_and_names_the_input)
{
	size_t i;

	for (i = 0; i < sizeof(bad_durations) / sizeof(bad_durations[0]); i++) {
		char err[ERRLEN];
		msec_t ms = -12345;
		int rc;

		memset(err, 0, sizeof(err));
		rc = parse_duration(bad_durations[i], &ms, err);
		cr_expect_eq(rc, -1, "'%s' accepted as %lld ms",
			     bad_durations[i], (long long)ms);
		cr_expect_neq(err[0], '\0', "'%s': empty error message",
			      bad_durations[i]);
		cr_expect_not_null(strstr(err, bad_durations[i]),
				   "'%s': error '%s' does not name the input",
				   bad_durations[i], err);
		cr_expect_null(strchr(err, '\n'), "'%s': error is not one line",
			       bad_durations[i]);
	}
}

Test(parse_duration, failure_leaves_output_alone)
{
	char err[ERRLEN];
	msec_t ms = 4242;

	cr_assert_eq(parse_duration("577h", &ms, err), -1);
	cr_assert_eq(ms, 4242);
	cr_assert_eq(parse_duration("1x", &ms, err), -1);
	cr_assert_eq(ms, 4242);
}

Test(parse_duration, too_long_says_so)
{
	char err[ERRLEN] = "";
	msec_t ms;

	cr_assert_eq(parse_duration("577h", &ms, err), -1);
	cr_expect_not_null(strstr(err, "too long"), "got '%s'", err);
	cr_assert_eq(parse_duration("24d", &ms, err), -1);
	cr_expect_not_null(strstr(err, "unit"), "got '%s'", err);
}

/* ---- parse_count ---- */

static const struct {
	const char *in;
	long min, max;
	long out;
} good_counts[] = {
	{ "0", 0, 10, 0 },
	{ "10", 0, 10, 10 },
	{ "5", 0, 10, 5 },
	{ "1", 1, 1, 1 },
	{ "-3", -5, 5, -3 },
	{ "-5", -5, 5, -5 },
	{ "007", 0, 10, 7 },
	{ "1000000", 0, 1000000, 1000000 },
	{ "9223372036854775807", 0, LONG_MAX, LONG_MAX },
};

Test(parse_count, accepts)
{
	size_t i;

	for (i = 0; i < sizeof(good_counts) / sizeof(good_counts[0]); i++) {
		char err[ERRLEN] = "";
		long out = -4242;
		int rc = parse_count(good_counts[i].in, good_counts[i].min,
				     good_counts[i].max, &out, err);

		cr_expect_eq(rc, 0, "'%s' in [%ld, %ld] rejected: %s",
			     good_counts[i].in, good_counts[i].min,
			     good_counts[i].max, err);
		cr_expect_eq(out, good_counts[i].out, "'%s' gave %ld",
			     good_counts[i].in, out);
	}
}

static const struct {
	const char *in;
	long min, max;
} bad_counts[] = {
	/* out of range */
	{ "11", 0, 10 },
	{ "-1", 0, 10 },
	{ "0", 1, 10 },
	{ "-6", -5, 5 },
	{ "99999999999999999999", 0, LONG_MAX },
	{ "-99999999999999999999", LONG_MIN, 0 },
	/* not a number */
	{ "", 0, 10 },
	{ "abc", 0, 10 },
	{ "-", 0, 10 },
	{ "x1", 0, 10 },
	{ "+1", 0, 10 },
	{ " 1", 0, 10 },
	{ "0x10", 0, 100 },
	/* trailing junk */
	{ "1 ", 0, 10 },
	{ "1x", 0, 10 },
	{ "1.5", 0, 10 },
	{ "1e2", 0, 1000 },
	{ "5s", 0, 10 },
};

Test(parse_count, rejects)
{
	size_t i;

	for (i = 0; i < sizeof(bad_counts) / sizeof(bad_counts[0]); i++) {
		char err[ERRLEN];
		long out = -4242;
		int rc;

		memset(err, 0, sizeof(err));
		rc = parse_count(bad_counts[i].in, bad_counts[i].min,
				 bad_counts[i].max, &out, err);
		cr_expect_eq(rc, -1, "'%s' in [%ld, %ld] accepted as %ld",
			     bad_counts[i].in, bad_counts[i].min,
			     bad_counts[i].max, out);
		cr_expect_eq(out, -4242, "'%s': output written on failure",
			     bad_counts[i].in);
		cr_expect_neq(err[0], '\0', "'%s': empty error message",
			      bad_counts[i].in);
		cr_expect_not_null(strstr(err, bad_counts[i].in),
				   "'%s': error '%s' does not name the input",
				   bad_counts[i].in, err);
	}
}

Test(parse_count, out_of_range_names_the_bounds)
{
	char err[ERRLEN] = "";
	long out;

	cr_assert_eq(parse_count("11", 0, 10, &out, err), -1);
	cr_expect_not_null(strstr(err, "0"), "got '%s'", err);
	cr_expect_not_null(strstr(err, "10"), "got '%s'", err);
	cr_expect_not_null(strstr(err, "range"), "got '%s'", err);
}

/* ---- format_duration ---- */

static const struct {
	msec_t ms;
	const char *out;
} formats[] = {
	{ 0, "0ms" },	       { 1, "1ms" },	    { 250, "250ms" },
	{ 999, "999ms" },      { 1000, "1.00s" },   { 1500, "1.50s" },
	{ 1999, "1.99s" },     { 59999, "59.99s" }, { 60000, "1m00s" },
	{ 61000, "1m01s" },    { 150000, "2m30s" }, { 599000, "9m59s" },
	{ 3600000, "60m00s" },
};

Test(format_duration, table)
{
	size_t i;

	for (i = 0; i < sizeof(formats) / sizeof(formats[0]); i++) {
		char buf[64];

		memset(buf, 'Z', sizeof(buf));
		format_duration(formats[i].ms, buf, sizeof(buf));
		cr_expect_str_eq(buf, formats[i].out, "%lld ms: got '%s'",
				 (long long)formats[i].ms, buf);
	}
}

Test(format_duration, truncates_safely)
{
	char buf[8];

	memset(buf, 'Z', sizeof(buf));
	format_duration(150000, buf, 4);
	cr_expect_str_eq(buf, "2m3");
	cr_expect_eq(buf[4], 'Z', "wrote past the buffer");
}

/* What format_duration prints, parse_duration reads back (to the 10ms
 * resolution of seconds and the 1s resolution of minutes). */
Test(format_duration, round_trip)
{
	static const msec_t values[] = { 0,	7,     999,   1000,  1500,
					 59990, 60000, 61000, 150000 };
	size_t i;

	for (i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
		char buf[64], err[ERRLEN] = "", in[64];
		msec_t back = -1;

		format_duration(values[i], buf, sizeof(buf));
		/* "2m30s" is not one unit; parse the minutes form apart */
		if (strchr(buf, 'm') != NULL && strchr(buf, 's') != NULL &&
		    strstr(buf, "ms") == NULL) {
			long m = 0, s = 0;

			cr_assert_eq(sscanf(buf, "%ldm%lds", &m, &s), 2);
			back = (msec_t)m * 60000 + (msec_t)s * 1000;
		} else {
			strcpy(in, buf);
			cr_assert_eq(parse_duration(in, &back, err), 0,
				     "'%s': %s", in, err);
		}
		cr_expect_eq(back, values[i], "%lld -> '%s' -> %lld",
			     (long long)values[i], buf, (long long)back);
	}
}
