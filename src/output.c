/* output.c: messages, the live status line, usage errors and JSON values,
 * for the command layer (main.c, cmd_*.c, cli.c, help.c and this file),
 * which decides what to say; the commands print their results and JSON
 * objects themselves. No other module prints, except util.c's
 * out-of-memory exit. */
#include "output.h"
#include "exitcode.h"
#include "util.h"

#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static enum level level = LV_NORMAL;
static bool tty;
static bool status_shown;
static char usage_msg[ERRLEN]; /* the last usage error, for --json */

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

/* Write s to f with every control character escaped, so that no name
 * can move the cursor, clear the terminal or forge a line: \n, \r, \t,
 * else \xHH, also for the C1 controls (U+0080 to U+009F) and for bytes
 * that are not UTF-8; a backslash is doubled, so that an escape never
 * reads like one written in the name. Valid UTF-8 is written as it is. */
static void
put_safe(FILE *f, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n, i;

	for (; *p; p += n) {
		n = utf8_len(p);
		if (*p == '\\') {
			fputs("\\\\", f);
		} else if (n == 1 && *p >= 0x20 && *p != 0x7f) {
			fputc(*p, f);
		} else if (n > 1 && !(p[0] == 0xc2 && p[1] < 0xa0)) {
			fwrite(p, 1, n, f);
		} else if (*p == '\n' || *p == '\r' || *p == '\t') {
			fprintf(f, "\\%c",
				*p == '\n'   ? 'n'
				: *p == '\r' ? 'r'
					     : 't');
		} else {
			for (i = 0; i < (n ? n : 1); i++)
				fprintf(f, "\\x%02x", p[i]);
			n = n ? n : 1;
		}
	}
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
	char *msg;

	if (vasprintf(&msg, f, ap) < 0)
		return;
	out_status_clear();
	fprintf(stderr, "covsettle: %s", prefix);
	put_safe(stderr, msg);
	fputc('\n', stderr);
	fflush(stderr);
	free(msg);
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
	char *msg;
	int n;

	if (!tty || level == LV_QUIET)
		return;
	va_start(ap, f);
	n = vasprintf(&msg, f, ap);
	va_end(ap);
	if (n < 0)
		return;
	fputs("\r\033[K", stderr);
	fputs("covsettle: ", stderr);
	put_safe(stderr, msg);
	fflush(stderr);
	free(msg);
	status_shown = true;
}

void
out_result(const char *f, ...)
{
	va_list ap;
	char *msg;
	int n;

	va_start(ap, f);
	n = vasprintf(&msg, f, ap);
	va_end(ap);
	if (n < 0)
		return;
	put_safe(stdout, msg);
	fputc('\n', stdout);
	free(msg);
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

/* Is s all UTF-8? */
static bool
utf8_valid(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n;

	for (; *p; p += n)
		if ((n = utf8_len(p)) == 0)
			return false;
	return true;
}

/* Write s's bytes to f as a JSON string of their base64 (RFC 4648). */
static void
json_base64(FILE *f, const char *s)
{
	static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
				  "abcdefghijklmnopqrstuvwxyz0123456789+/";
	const unsigned char *p = (const unsigned char *)s;
	size_t len = strlen(s), i;
	unsigned long v;

	fputc('"', f);
	for (i = 0; i < len; i += 3) {
		v = (unsigned long)p[i] << 16;
		if (i + 1 < len)
			v |= (unsigned long)p[i + 1] << 8;
		if (i + 2 < len)
			v |= p[i + 2];
		fputc(b64[(v >> 18) & 63], f);
		fputc(b64[(v >> 12) & 63], f);
		fputc(i + 1 < len ? b64[(v >> 6) & 63] : '=', f);
		fputc(i + 2 < len ? b64[v & 63] : '=', f);
	}
	fputc('"', f);
}

/* A file name is bytes; a JSON string is Unicode. A name that is not
 * UTF-8 reads with U+FFFD in key, and gets key_base64 besides: its bytes,
 * lossless. */
void
json_file(FILE *f, const char *key, const char *name,
	  const struct check_result *r)
{
	fputs("{", f);
	json_str(f, key);
	fputs(":", f);
	json_str(f, name);
	if (!utf8_valid(name)) {
		fprintf(f, ",\"%s_base64\":", key);
		json_base64(f, name);
	}
	fprintf(f, ",\"size\":%lld,\"verdict\":", (long long)r->size);
	json_str(f, verdict_name(r->verdict));
	fputs(",\"reason\":", f);
	json_str(f, r->reason);
	fputs("}", f);
}

int
out_usage_error(const char *cmd, const char *f, ...)
{
	char msg[ERRLEN];
	va_list ap;

	va_start(ap, f);
	vsnprintf(msg, sizeof(msg), f, ap);
	va_end(ap);
	memcpy(usage_msg, msg, sizeof(msg));
	/* One line, whatever the value quoted. */
	fprintf(stderr, "covsettle %s: ", cmd);
	put_safe(stderr, msg);
	fprintf(stderr, " (see 'covsettle %s --help')\n", cmd);
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
	if (ch == '?' && optopt == 0) /* named without its =VALUE */
		return out_usage_error(cmd, "unknown option %.*s", n, arg);
	if (ch == '?') /* a long option given a value it takes none of */
		return out_usage_error(cmd, "%.*s takes no value", n, arg);
	if (is_long)
		return out_usage_error(cmd, "%s needs a value", arg);
	return out_usage_error(cmd, "-%c needs a value", optopt);
}

void
out_usage_json(const char *cmd, int argc, char **argv, const char *shortopts,
	       const struct option *longopts, int json_val)
{
	bool json = false;
	int ch;

	/* Parse again, only to learn whether --json was given as an option
	 * (not as the value of another, like --trigger --json). */
	optind = 0;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, shortopts, longopts, NULL)) != -1)
		json |= ch == json_val;
	if (!json)
		return;
	printf("{\"command\":");
	json_str(stdout, cmd);
	printf(",\"exit\":%d,\"status\":\"usage\",\"message\":", EXIT_USAGE);
	json_str(stdout, usage_msg);
	printf("}\n");
	fflush(stdout);
}
