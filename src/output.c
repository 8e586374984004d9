/* output.c: messages, the live status line, usage errors and JSON values,
 * for the command layer (main.c, cmd_*.c, cli.c), which decides what to
 * say; the commands print their results and JSON objects themselves. No
 * other module prints, except util.c's out-of-memory exit. */
#include "output.h"
#include "cmd.h"
#include "util.h"

#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static enum level level = LV_NORMAL;
static bool tty;
static bool status_shown;

void
out_init(enum level lv)
{
	level = lv;
	tty = isatty(2) == 1;
}

enum level
out_level(void)
{
	return level;
}

bool
out_tty(void)
{
	return tty;
}

void
out_status_clear(void)
{
	if (status_shown)
		fputs("\r\033[K", stderr);
	status_shown = false;
}

static void vline(const char *prefix, const char *f, va_list ap)
	__attribute__((format(printf, 2, 0)));

static void
vline(const char *prefix, const char *f, va_list ap)
{
	out_status_clear();
	fprintf(stderr, "covsettle: %s", prefix);
	vfprintf(stderr, f, ap);
	fputc('\n', stderr);
	fflush(stderr);
}

void
out_error(const char *f, ...)
{
	va_list ap;

	va_start(ap, f);
	vline("", f, ap);
	va_end(ap);
}

void
out_warn(bool important, const char *f, ...)
{
	va_list ap;

	if (level == LV_QUIET && !important)
		return;
	va_start(ap, f);
	vline("warning: ", f, ap);
	va_end(ap);
}

void
out_info(const char *f, ...)
{
	va_list ap;

	if (level == LV_QUIET)
		return;
	va_start(ap, f);
	vline("", f, ap);
	va_end(ap);
}

void
out_debug(const char *f, ...)
{
	va_list ap;

	if (level != LV_VERBOSE)
		return;
	va_start(ap, f);
	vline("", f, ap);
	va_end(ap);
}

void
out_status(const char *f, ...)
{
	va_list ap;

	if (!tty || level == LV_QUIET)
		return;
	fputs("\r\033[K", stderr);
	fputs("covsettle: ", stderr);
	va_start(ap, f);
	vfprintf(stderr, f, ap);
	va_end(ap);
	fflush(stderr);
	status_shown = true;
}

/* Length of the valid UTF-8 sequence at p, or 0. */
static size_t
utf8_len(const unsigned char *p)
{
	size_t n, i;

	if (p[0] < 0x80)
		return 1;
	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		n = 2;
	else if (p[0] >= 0xe0 && p[0] <= 0xef)
		n = 3;
	else if (p[0] >= 0xf0 && p[0] <= 0xf4)
		n = 4;
	else
		return 0;
	for (i = 1; i < n; i++)
		if ((p[i] & 0xc0) != 0x80)
			return 0;
	/* No overlong forms, surrogates or code points past U+10FFFF. */
	if ((p[0] == 0xe0 && p[1] < 0xa0) || (p[0] == 0xed && p[1] > 0x9f) ||
	    (p[0] == 0xf0 && p[1] < 0x90) || (p[0] == 0xf4 && p[1] > 0x8f))
		return 0;
	return n;
}

void
json_str(FILE *f, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n;

	if (s == NULL) {
		fputs("null", f);
		return;
	}
	fputc('"', f);
	for (; *p; p++) {
		if (*p >= 0x80) {
			/* File names are bytes; JSON is UTF-8. A byte that
			 * is not UTF-8 becomes U+FFFD. */
			if ((n = utf8_len(p)) == 0) {
				fputs("\\ufffd", f);
				continue;
			}
			fwrite(p, 1, n, f);
			p += n - 1;
		} else if (*p == '"' || *p == '\\')
			fprintf(f, "\\%c", *p);
		else if (*p == '\n')
			fputs("\\n", f);
		else if (*p == '\t')
			fputs("\\t", f);
		else if (*p < 0x20 || *p == 0x7f)
			fprintf(f, "\\u%04x", *p);
		else
			fputc(*p, f);
	}
	fputc('"', f);
}

void
json_file(FILE *f, const char *key, const char *name,
	  const struct check_result *r)
{
	fputs("{", f);
	json_str(f, key);
	fputs(":", f);
	json_str(f, name);
	fprintf(f, ",\"size\":%lld,\"verdict\":", (long long)r->size);
	json_str(f, verdict_name(r->verdict));
	fputs(",\"reason\":", f);
	json_str(f, r->reason);
	fputs("}", f);
}

int
out_usage_error(const char *cmd, const char *f, ...)
{
	char msg[ERRLEN], *p;
	va_list ap;

	va_start(ap, f);
	vsnprintf(msg, sizeof(msg), f, ap);
	va_end(ap);
	/* One line, whatever the value quoted: control characters as '?'. */
	for (p = msg; *p; p++)
		if ((unsigned char)*p < ' ' || *p == 0x7f)
			*p = '?';
	fprintf(stderr, "covsettle %s: %s (see 'covsettle %s --help')\n", cmd,
		msg, cmd);
	return EXIT_USAGE;
}

int
out_usage_option(const char *cmd, const char *shortopts, char **argv, int ch)
{
	const char *arg = argv[optind - 1];
	bool is_long = strncmp(arg, "--", 2) == 0;
	int n = (int)strcspn(arg, "=");

	/* An unknown short option: optopt is it; optind may not have moved
	 * past its cluster yet, so arg may be another word. */
	if (ch == '?' && optopt > 0 && optopt < 256 &&
	    (optopt == ':' || strchr(shortopts, optopt) == NULL))
		return out_usage_error(cmd, "unknown option -%c", optopt);
	if (ch == '?' && optopt == 0)
		return out_usage_error(cmd, "unknown option %s", arg);
	if (ch == '?') /* a long option given a value it takes none of */
		return out_usage_error(cmd, "%.*s takes no value", n, arg);
	if (is_long)
		return out_usage_error(cmd, "%s needs a value", arg);
	return out_usage_error(cmd, "-%c needs a value", optopt);
}
