/* cli.c: the command lines of `wait` and `gather`. gather takes every
 * option of wait plus its own; wait rejects gather's. Every value is
 * checked here, so a bad one is a one-line usage error and exit 2. */
#include "cli.h"
#include "cmd.h"
#include "help.h"
#include "names.h"
#include "parse.h"
#include "sig.h"
#include "watch.h"

#include <ctype.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Refresh of the live status line, on a terminal only. */
#define TICK_MS 250

enum {
	OPT_NEW_ONLY = 256,
	OPT_POLL,
	OPT_IGNORE_WRITERS,
	OPT_INVALID,
	OPT_JSON,
	/* gather only, from here */
	OPT_GATHER,
	OPT_COVERAGE = OPT_GATHER,
	OPT_RCFILE,
	OPT_DATA_FILE,
	OPT_REPORT,
	OPT_FAIL_UNDER,
	OPT_NO_KEEP,
	OPT_NO_WAIT_LOCK,
	OPT_COMBINE,
};

static const struct option options[] = {
	{ "pattern", required_argument, NULL, 'p' },
	{ "debounce", required_argument, NULL, 'd' },
	{ "expect", required_argument, NULL, 'n' },
	{ "new-only", no_argument, NULL, OPT_NEW_ONLY },
	{ "trigger", required_argument, NULL, 't' },
	{ "timeout", required_argument, NULL, 'T' },
	{ "poll", optional_argument, NULL, OPT_POLL },
	{ "ignore-writers", no_argument, NULL, OPT_IGNORE_WRITERS },
	{ "invalid", required_argument, NULL, OPT_INVALID },
	{ "quiet", no_argument, NULL, 'q' },
	{ "verbose", no_argument, NULL, 'v' },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "help", no_argument, NULL, 'h' },
	{ "coverage", required_argument, NULL, OPT_COVERAGE },
	{ "rcfile", required_argument, NULL, OPT_RCFILE },
	{ "data-file", required_argument, NULL, OPT_DATA_FILE },
	{ "report", required_argument, NULL, OPT_REPORT },
	{ "fail-under", required_argument, NULL, OPT_FAIL_UNDER },
	{ "no-keep", no_argument, NULL, OPT_NO_KEEP },
	{ "no-wait-lock", no_argument, NULL, OPT_NO_WAIT_LOCK },
	{ "combine", required_argument, NULL, OPT_COMBINE },
	{ NULL, 0, NULL, 0 },
};

static const char *const format_names[RF_COUNT] = {
	[RF_TEXT] = "text", [RF_JSON] = "json", [RF_HTML] = "html",
	[RF_XML] = "xml",   [RF_LCOV] = "lcov",
};

const char *
report_format_name(enum report_format f)
{
	return format_names[f];
}

int
cli_pattern(const char *cmd, const char *arg)
{
	if (arg[0] == '\0' || strchr(arg, '/'))
		return out_usage_error(cmd,
				       "--pattern '%s': a file name glob, "
				       "without '/', is needed",
				       arg);
	return -1;
}

/* --report FORMAT[=PATH] */
static int
parse_report(struct cli *c, char *arg)
{
	char *eq = strchr(arg, '=');
	int f;

	if (c->nreports == MAX_REPORTS)
		return out_usage_error(c->cmd, "--report: %d reports at most",
				       MAX_REPORTS);
	if (eq != NULL)
		*eq = '\0';
	for (f = 0; f < RF_COUNT; f++)
		if (strcmp(arg, format_names[f]) == 0)
			break;
	if (f == RF_COUNT)
		return out_usage_error(
			c->cmd,
			"--report '%s': use text, json, html, xml "
			"or lcov",
			arg);
	if (eq != NULL && eq[1] == '\0')
		return out_usage_error(c->cmd, "--report %s=: empty PATH", arg);
	c->reports[c->nreports].format = (enum report_format)f;
	c->reports[c->nreports++].path = eq ? eq + 1 : NULL;
	return -1;
}

/* --combine auto|native|coverage */
static int
parse_combine(struct cli *c, const char *arg)
{
	static const char *const names[] = {
		[CM_AUTO] = "auto",
		[CM_NATIVE] = "native",
		[CM_COVERAGE] = "coverage",
	};
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(*names); i++)
		if (strcmp(arg, names[i]) == 0) {
			c->combine = (enum combine_method)i;
			return -1;
		}
	return out_usage_error(
		c->cmd, "--combine '%s': use auto, native or coverage", arg);
}

/* --fail-under PCT: a number from 0 to 100, as coverage.py takes it. */
static int
parse_percent(struct cli *c, const char *arg)
{
	const char *p = arg;
	char *end;
	double v;

	while (isdigit((unsigned char)*p))
		p++;
	if (*p == '.')
		p++;
	while (isdigit((unsigned char)*p))
		p++;
	v = strtod(arg, &end);
	if (arg[0] == '\0' || !isdigit((unsigned char)arg[0]) || *p != '\0' ||
	    end != p)
		return out_usage_error(
			c->cmd,
			"--fail-under '%s': a percentage like 80 or "
			"92.5 is needed",
			arg);
	if (v > 100)
		return out_usage_error(
			c->cmd, "--fail-under %s is out of range (0 to 100)",
			arg);
	c->fail_under = arg;
	c->fail_under_pct = v;
	return -1;
}

/* Parse one option of wait (and gather); -1 when fine. */
static int
parse_wait_option(struct cli *c, int ch, char *arg)
{
	char err[ERRLEN];
	long n;

	switch (ch) {
	case 'p':
		if ((n = cli_pattern(c->cmd, arg)) >= 0)
			return (int)n;
		c->o.pattern = arg;
		break;
	case 'd':
		if (parse_duration(arg, &c->o.debounce, err) < 0)
			return out_usage_error(c->cmd, "--debounce: %s", err);
		break;
	case 'n':
		if (parse_count(arg, 0, 1000000000L, &n, err) < 0)
			return out_usage_error(c->cmd, "--expect: %s", err);
		c->o.expect = n;
		break;
	case OPT_NEW_ONLY:
		c->o.new_only = true;
		break;
	case 't':
		if (arg[0] == '\0')
			return out_usage_error(c->cmd,
					       "--trigger: empty command");
		c->o.trigger = arg;
		break;
	case 'T':
		if (parse_duration(arg, &c->o.timeout, err) < 0)
			return out_usage_error(c->cmd, "--timeout: %s", err);
		break;
	case OPT_POLL:
		c->o.poll_ms = DEFAULT_POLL_MS;
		if (arg != NULL && parse_duration(arg, &c->o.poll_ms, err) < 0)
			return out_usage_error(c->cmd, "--poll: %s", err);
		if (c->o.poll_ms == 0)
			return out_usage_error(
				c->cmd, "--poll: the interval must be above "
					"0");
		break;
	case OPT_IGNORE_WRITERS:
		c->o.ignore_writers = true;
		break;
	case OPT_INVALID:
		if (strcmp(arg, "fail") == 0)
			c->o.invalid = INVALID_FAIL;
		else if (strcmp(arg, "quarantine") == 0)
			c->o.invalid = INVALID_QUARANTINE;
		else
			return out_usage_error(c->cmd,
					       "--invalid '%s': use fail or "
					       "quarantine",
					       arg);
		break;
	case 'q':
		c->level = LV_QUIET;
		break;
	case 'v':
		c->level = LV_VERBOSE;
		break;
	case OPT_JSON:
		c->json = true;
		break;
	}
	return -1;
}

/* Parse one option of gather's own; -1 when fine. */
static int
parse_gather_option(struct cli *c, int ch, char *arg)
{
	switch (ch) {
	case OPT_COVERAGE:
		if (strspn(arg, " \t") == strlen(arg))
			return out_usage_error(c->cmd,
					       "--coverage: empty command");
		c->coverage = arg;
		break;
	case OPT_RCFILE:
		if (arg[0] == '\0')
			return out_usage_error(c->cmd, "--rcfile: empty FILE");
		c->rcfile = arg;
		break;
	case OPT_DATA_FILE:
		if (arg[0] == '\0')
			return out_usage_error(c->cmd,
					       "--data-file: empty FILE");
		c->data_file = arg;
		break;
	case OPT_REPORT:
		return parse_report(c, arg);
	case OPT_FAIL_UNDER:
		return parse_percent(c, arg);
	case OPT_NO_KEEP:
		c->no_keep = true;
		break;
	case OPT_NO_WAIT_LOCK:
		c->no_wait_lock = true;
		break;
	case OPT_COMBINE:
		return parse_combine(c, arg);
	}
	return -1;
}

static const char shortopts[] = ":p:d:n:t:T:qvh";

int
cli_parse(int argc, char **argv, struct cli *c)
{
	bool gather = strcmp(c->cmd, "gather") == 0;
	int ch, code, idx;

	c->o.pattern = DEFAULT_PATTERN;
	c->o.expect = 1;
	c->o.debounce = 500;
	c->o.timeout = 60000;
	c->level = LV_NORMAL;
	optind = 0; /* a full reset, also of a cluster cut short */
	opterr = 0;
	while ((ch = getopt_long(argc, argv, shortopts, options, &idx)) != -1) {
		if (ch == 'h') {
			help_command(stdout, c->cmd);
			return EXIT_OK;
		}
		if (ch == ':' || ch == '?')
			return out_usage_option(c->cmd, shortopts, argv, ch);
		if (ch >= OPT_GATHER && !gather)
			return out_usage_error(c->cmd, "unknown option --%s",
					       options[idx].name);
		code = ch >= OPT_GATHER ? parse_gather_option(c, ch, optarg)
					: parse_wait_option(c, ch, optarg);
		if (code >= 0)
			return code;
	}
	if (optind != argc - 1)
		return out_usage_error(c->cmd, optind == argc ? "DIR is missing"
							      : "one DIR only");
	c->o.dir = argv[optind];
	if (c->o.dir[0] == '\0')
		return out_usage_error(c->cmd, "DIR is empty");
	return -1;
}

int
cli_start(int argc, char **argv, const char *cmd, struct cli *c)
{
	char err[ERRLEN];
	int code;

	memset(c, 0, sizeof(*c));
	c->cmd = cmd;
	c->o.start = clock_ms();
	if ((code = cli_parse(argc, argv, c)) >= 0) {
		if (code == EXIT_USAGE)
			out_usage_json(cmd, argc, argv, shortopts, options,
				       OPT_JSON);
		return code;
	}
	out_init(c->level);
	if ((c->o.sigfd = sig_setup(err)) < 0) {
		out_error("%s", err);
		return EXIT_WATCH;
	}
	c->o.trigger_to_stderr = c->json;
	c->o.tick_ms = out_tty() && c->level != LV_QUIET ? TICK_MS : 0;
	c->o.note = cmd_wait_note;
	c->o.ctx = c;
	return -1;
}

msec_t
cli_deadline(const struct cli *c)
{
	return c->o.timeout > 0 ? c->o.start + c->o.timeout : -1;
}

int
cli_stopped(int signo, const char *what)
{
	out_error("stopped by signal %d (%s)%s", signo, strsignal(signo),
		  what ? what : "");
	return EXIT_SIGNAL + signo;
}
