/* cli.c: the command lines of `wait`, `check` and `gather`. One table
 * holds every option: its names, the commands that take it, its value as
 * --help shows it, its default, its line of help and the function that
 * reads it. Parsing, the defaults, --help (help.c) and, through --help,
 * the tests that hold the man page and the completions to the same set
 * all read that table, so an option is added in one row. gather takes
 * every option of wait plus its own; check takes a few. Every value is
 * checked here, so a bad one is a one-line usage error and exit 2. */
#include "cli.h"
#include "exitcode.h"
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

#define STR2(x) #x
#define STR(x)	STR2(x)

/* Where in struct cli a generic setter writes. */
#define AT(member) offsetof(struct cli, member)

static cli_set_fn set_true, set_word, set_duration, set_pattern, set_expect,
	set_poll, set_choice, set_level, set_coverage, set_report,
	set_report_option, set_percent;

/* Every option, in --help's order. A new option is one row here; a
 * value of a new kind also needs its set_ function below. */
static const struct cli_option table[] = {
	{ "pattern", 'p', CLI_ALL, " GLOB", DEFAULT_PATTERN, NULL,
	  "data file names in a directory (fnmatch, no '/')", set_pattern, 0 },
	{ "expect", 'n', CLI_WG, " N", "1", NULL,
	  "wait for at least N data files (0: none)", set_expect, 0 },
	{ "debounce", 'd', CLI_WG, " DURATION", "500ms", NULL,
	  "quiet window: how long files must stay unchanged", set_duration,
	  AT(o.debounce) },
	{ "timeout", 'T', CLI_WG, " DURATION", "60s", NULL,
	  "bound the whole wait, exit 3 after it (0: none)", set_duration,
	  AT(o.timeout) },
	{ "new-only", 0, CLI_WG, NULL, NULL, NULL,
	  "count only files written after the watch is armed", set_true,
	  AT(o.new_only) },
	{ "trigger", 't', CLI_WG, " CMD", NULL, "none",
	  "run CMD (/bin/sh -c) once the watch is armed", set_word,
	  AT(o.trigger) },
	{ "poll", 0, CLI_WG, "[=INTERVAL]", NULL,
	  "off; INTERVAL " STR(DEFAULT_POLL_MS) "ms",
	  "poll every INTERVAL instead of using inotify", set_poll, 0 },
	{ "ignore-writers", 0, CLI_WG, NULL, NULL, NULL,
	  "do not wait for live pids named in file names", set_true,
	  AT(o.ignore_writers) },
	{ "invalid", 0, CLI_WG, "=fail|quarantine", "fail", NULL,
	  "invalid files: exit 4, or move to DIR/quarantine/", set_choice,
	  AT(o.invalid) },
	{ "coverage", 0, CLI_GATHER, " CMD", NULL,
	  "$COVSETTLE_COVERAGE, else the first\n"
	  "that runs of coverage, python3-coverage,\n"
	  "python3 -m coverage",
	  "the coverage.py command, split at blanks", set_coverage, 0 },
	{ "rcfile", 0, CLI_GATHER, " FILE", NULL, "coverage.py's own",
	  "coverage.py's settings, for every coverage command", set_word,
	  AT(rcfile) },
	{ "data-file", 0, CLI_GATHER, " FILE", ".coverage", NULL,
	  "where the combined data file goes", set_word, AT(data_file) },
	{ "report", 0, CLI_GATHER, " FORMAT[=PATH]", NULL, "none",
	  "write a report, repeatable: text|json|html|xml|lcov", set_report,
	  0 },
	{ "report-option", 0, CLI_GATHER, " OPTION", NULL, NULL,
	  "pass OPTION to coverage.py for the --report before it",
	  set_report_option, 0 },
	{ "fail-under", 0, CLI_GATHER, " PCT", NULL, "none",
	  "exit 1 when total coverage is below PCT (0 to 100)", set_percent,
	  0 },
	{ "no-keep", 0, CLI_GATHER, NULL, NULL, NULL,
	  "delete the inputs once the combined file checks ok", set_true,
	  AT(no_keep) },
	{ "no-wait-lock", 0, CLI_GATHER, NULL, NULL, NULL,
	  "exit 3 at once if another gather holds DIR's lock", set_true,
	  AT(no_wait_lock) },
	{ "combine", 0, CLI_GATHER, "=auto|native|coverage", "auto", NULL,
	  "combine natively when safe, always, or by coverage.py", set_choice,
	  AT(combine) },
	{ "quiet", 'q', CLI_WG, NULL, NULL, NULL,
	  "print errors (and lost data files) only", set_level, 0 },
	{ "quiet", 'q', CLI_CHECK, NULL, NULL, NULL,
	  "print only the files that are not ok", set_level, 0 },
	{ "verbose", 'v', CLI_ALL, NULL, NULL, NULL, "print every event",
	  set_level, 0 },
	{ "json", 0, CLI_ALL, NULL, NULL, NULL,
	  "print a JSON summary on standard output", set_true, AT(json) },
	{ "help", 'h', CLI_ALL, NULL, NULL, NULL, "print this help and exit",
	  NULL, 0 },
};

#define NOPTIONS (sizeof(table) / sizeof(table[0]))

/* getopt_long's val for the option table[i] without a short name. */
#define LONG_ONLY 256

const struct cli_option *
cli_options(size_t *n)
{
	*n = NOPTIONS;
	return table;
}

/* The member of c at the row's offset. */
static void *
member(struct cli *c, const struct cli_option *opt)
{
	return (char *)c + opt->off;
}

/* A switch: the bool at the row's offset. */
static int
set_true(struct cli *c, const struct cli_option *opt, const char *arg)
{
	(void)arg;
	*(bool *)member(c, opt) = true;
	return -1;
}

/* A non-empty word (a command, a file), kept as given. The word after
 * "empty" is the value's name in lower case: "--rcfile: empty FILE"
 * keeps FILE, "--trigger: empty command" says what CMD stands for. */
static int
set_word(struct cli *c, const struct cli_option *opt, const char *arg)
{
	if (arg[0] == '\0')
		return out_usage_error(c->cmd, "--%s: empty %s", opt->name,
				       strcmp(opt->arg, " CMD") == 0
					       ? "command"
					       : opt->arg + 1);
	*(const char **)member(c, opt) = arg;
	return -1;
}

/* A DURATION into the msec_t at the row's offset. */
static int
set_duration(struct cli *c, const struct cli_option *opt, const char *arg)
{
	char err[ERRLEN];

	if (parse_duration(arg, member(c, opt), err) < 0)
		return out_usage_error(c->cmd, "--%s: %s", opt->name, err);
	return -1;
}

/* Which of the row's words ("=a|b|c") arg is, exactly; -1 when none,
 * with "a, b or c" in said. */
static int
choice(const struct cli_option *opt, const char *arg, char *said, size_t len)
{
	const char *w = opt->arg + 1, *end;
	size_t n, at = 0;
	int i;

	for (i = 0;; i++, w = end + 1) {
		end = w + strcspn(w, "|");
		n = (size_t)(end - w);
		if (strlen(arg) == n && strncmp(arg, w, n) == 0)
			return i;
		at += (size_t)snprintf(said + at, len - at, "%s%.*s",
				       i == 0	      ? ""
				       : *end == '\0' ? " or "
						      : ", ",
				       (int)n, w);
		if (*end == '\0' || at >= len)
			return -1;
	}
}

/* --pattern GLOB: a file name glob, so no '/'. */
static int
set_pattern(struct cli *c, const struct cli_option *opt, const char *arg)
{
	(void)opt;
	if (arg[0] == '\0' || strchr(arg, '/'))
		return out_usage_error(c->cmd,
				       "--pattern '%s': a file name glob, "
				       "without '/', is needed",
				       arg);
	c->o.pattern = arg;
	return -1;
}

/* --expect N */
static int
set_expect(struct cli *c, const struct cli_option *opt, const char *arg)
{
	char err[ERRLEN];

	(void)opt;
	if (parse_count(arg, 0, 1000000000L, &c->o.expect, err) < 0)
		return out_usage_error(c->cmd, "--expect: %s", err);
	return -1;
}

/* --poll[=INTERVAL] */
static int
set_poll(struct cli *c, const struct cli_option *opt, const char *arg)
{
	char err[ERRLEN];

	(void)opt;
	c->o.poll_ms = DEFAULT_POLL_MS;
	if (arg != NULL && parse_duration(arg, &c->o.poll_ms, err) < 0)
		return out_usage_error(c->cmd, "--poll: %s", err);
	if (c->o.poll_ms == 0)
		return out_usage_error(c->cmd,
				       "--poll: the interval must be above 0");
	return -1;
}

/* The words of --invalid and --combine are their enums, in order, and
 * set_choice() stores a word's index where the enum is. */
_Static_assert(INVALID_FAIL == 0 && INVALID_QUARANTINE == 1,
	       "--invalid=fail|quarantine");
_Static_assert(CM_AUTO == 0 && CM_NATIVE == 1 && CM_COVERAGE == 2,
	       "--combine=auto|native|coverage");
_Static_assert(sizeof(enum invalid_mode) == sizeof(int) &&
		       sizeof(enum combine_method) == sizeof(int),
	       "an enum of choices is stored as an int");

/* --NAME=a|b|c: the index of the row's word arg, at the row's offset
 * (an enum whose values are the words' indexes). */
static int
set_choice(struct cli *c, const struct cli_option *opt, const char *arg)
{
	char said[ERRLEN];
	int i = choice(opt, arg, said, sizeof(said));

	if (i < 0)
		return out_usage_error(c->cmd, "--%s '%s': use %s", opt->name,
				       arg, said);
	*(int *)member(c, opt) = i;
	return -1;
}

/* -q and -v: the last one given wins. */
static int
set_level(struct cli *c, const struct cli_option *opt, const char *arg)
{
	(void)arg;
	c->level = opt->brief == 'q' ? LV_QUIET : LV_VERBOSE;
	return -1;
}

/* --coverage CMD: split at blanks later, so blanks alone are empty. */
static int
set_coverage(struct cli *c, const struct cli_option *opt, const char *arg)
{
	(void)opt;
	if (strspn(arg, " \t") == strlen(arg))
		return out_usage_error(c->cmd, "--coverage: empty command");
	c->coverage = arg;
	return -1;
}

/* --report FORMAT[=PATH]. The '=' is cut in place: arg is argv's. */
static int
set_report(struct cli *c, const struct cli_option *opt, const char *arg)
{
	char *eq = strchr(arg, '=');
	struct report *rep;
	int f;

	(void)opt;
	if (c->nreports == MAX_REPORTS)
		return out_usage_error(c->cmd, "--report: %d reports at most",
				       MAX_REPORTS);
	if (eq != NULL)
		*eq = '\0';
	for (f = 0; f < RF_COUNT; f++)
		if (strcmp(arg, reports_format_name((enum report_format)f)) ==
		    0)
			break;
	if (f == RF_COUNT)
		return out_usage_error(
			c->cmd,
			"--report '%s': use text, json, html, xml "
			"or lcov",
			arg);
	if (eq != NULL && eq[1] == '\0')
		return out_usage_error(c->cmd, "--report %s=: empty PATH", arg);
	rep = &c->reports[c->nreports++];
	memset(rep, 0, sizeof(*rep));
	rep->format = (enum report_format)f;
	rep->path = eq ? eq + 1 : NULL;
	return -1;
}

/* The options of coverage.py's report commands that covsettle sets
 * itself, from its own options: a --report-option may not set them. */
static const char *const owned[] = {
	"--data-file",
	"--rcfile",
	"--fail-under",
	"--directory",
};

/* The covsettle option that sets what arg would (a long option, or one
 * that coverage.py's parser takes for it: a prefix, as optparse allows),
 * or NULL. Short options: -o and -d, also in a cluster like -mo. */
static const char *
owned_by(const char *arg)
{
	size_t i, n = strcspn(arg, "=");

	if (arg[1] != '-')
		return strpbrk(arg, "od") ? "--report FORMAT=PATH" : NULL;
	for (i = 0; i < sizeof(owned) / sizeof(owned[0]); i++)
		if (n > 2 && strncmp(arg, owned[i], n) == 0)
			return strcmp(owned[i], "--directory") == 0
				       ? "--report html=PATH"
				       : owned[i];
	return NULL;
}

/* --report-option OPTION: one word for coverage.py's command of the
 * --report before it. An option (it starts with '-'): a bare word would
 * be a module name to report on, which changes what the report counts. */
static int
set_report_option(struct cli *c, const struct cli_option *opt, const char *arg)
{
	struct report *rep;
	const char *by;

	(void)opt;
	if (c->nreports == 0)
		return out_usage_error(c->cmd,
				       "--report-option '%s': no "
				       "--report before it",
				       arg);
	rep = &c->reports[c->nreports - 1];
	if (arg[0] != '-' || strcmp(arg, "-") == 0 || strcmp(arg, "--") == 0)
		return out_usage_error(c->cmd,
				       "--report-option '%s': an option of "
				       "coverage.py's report commands, like "
				       "--skip-covered, is needed",
				       arg);
	if ((by = owned_by(arg)) != NULL)
		return out_usage_error(
			c->cmd,
			"--report-option %.*s: covsettle sets it "
			"(use %s)",
			(int)strcspn(arg, "="), arg, by);
	if (rep->nopts == MAX_REPORT_OPTS)
		return out_usage_error(c->cmd,
				       "--report-option: %d per report at most",
				       MAX_REPORT_OPTS);
	rep->opts[rep->nopts++] = arg;
	return -1;
}

/* --fail-under PCT: a number from 0 to 100, as coverage.py takes it. */
static int
set_percent(struct cli *c, const struct cli_option *opt, const char *arg)
{
	const char *p = arg;
	char *end;
	double v;

	(void)opt;
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

/* The command's bit among CLI_*. */
static unsigned
command_bit(const char *cmd)
{
	if (strcmp(cmd, "check") == 0)
		return CLI_CHECK;
	return strcmp(cmd, "gather") == 0 ? CLI_GATHER : CLI_WAIT;
}

/* getopt_long's tables for one command, made from the option table. */
struct getopt_tables {
	struct option longs[NOPTIONS + 1];
	char shorts[2 + 2 * NOPTIONS];
};

static void
getopt_tables(unsigned bit, struct getopt_tables *t)
{
	size_t i, nl = 0, ns = 0;
	const struct cli_option *opt;

	memset(t, 0, sizeof(*t));
	t->shorts[ns++] = ':'; /* a value missing is ':', not '?' */
	for (i = 0; i < NOPTIONS; i++) {
		opt = &table[i];
		if (!(opt->cmds & bit))
			continue;
		t->longs[nl].name = opt->name;
		t->longs[nl].has_arg = opt->arg == NULL	    ? no_argument
				       : opt->arg[0] == '[' ? optional_argument
							    : required_argument;
		t->longs[nl++].val =
			opt->brief ? opt->brief : LONG_ONLY + (int)i;
		if (opt->brief) {
			t->shorts[ns++] = opt->brief;
			if (opt->arg != NULL)
				t->shorts[ns++] = ':';
		}
	}
}

/* The row of this command that getopt_long's val stands for. */
static const struct cli_option *
row_of(unsigned bit, int val)
{
	size_t i;

	if (val >= LONG_ONLY)
		return &table[val - LONG_ONLY];
	for (i = 0; i < NOPTIONS; i++)
		if (table[i].brief == val && (table[i].cmds & bit))
			return &table[i];
	return NULL;
}

/* Set the defaults, read the options, then the operands. */
static int
read_command_line(int argc, char **argv, struct cli *c,
		  const struct getopt_tables *t)
{
	unsigned bit = command_bit(c->cmd);
	const struct cli_option *opt;
	int val, code;
	size_t i;

	c->level = LV_NORMAL;
	for (i = 0; i < NOPTIONS; i++)
		if ((table[i].cmds & bit) && table[i].dflt != NULL &&
		    (code = table[i].set(c, &table[i], table[i].dflt)) >= 0)
			return code;
	optind = 0; /* a full reset, also of a cluster cut short */
	opterr = 0;
	while ((val = getopt_long(argc, argv, t->shorts, t->longs, NULL)) !=
	       -1) {
		if (val == ':' || val == '?' ||
		    (opt = row_of(bit, val)) == NULL)
			return out_usage_option(c->cmd, t->shorts, argv, val);
		if (opt->set == NULL) {
			help_command(stdout, c->cmd);
			return EXIT_OK;
		}
		if ((code = opt->set(c, opt, optarg)) >= 0)
			return code;
	}
	c->operands = optind;
	if (bit == CLI_CHECK)
		return optind == argc
			       ? out_usage_error(c->cmd, "PATH is missing")
			       : -1;
	if (optind != argc - 1)
		return out_usage_error(c->cmd, optind == argc ? "DIR is missing"
							      : "one DIR only");
	c->o.dir = argv[optind];
	if (c->o.dir[0] == '\0')
		return out_usage_error(c->cmd, "DIR is empty");
	return -1;
}

int
cli_parse(int argc, char **argv, struct cli *c)
{
	struct getopt_tables t;
	size_t json = 0;
	int code;

	getopt_tables(command_bit(c->cmd), &t);
	if ((code = read_command_line(argc, argv, c, &t)) != EXIT_USAGE)
		return code;
	while (strcmp(table[json].name, "json") != 0)
		json++;
	out_usage_json(c->cmd, argc, argv, t.shorts, t.longs,
		       LONG_ONLY + (int)json);
	return code;
}

int
cli_start(int argc, char **argv, const char *cmd, struct cli *c)
{
	char err[ERRLEN];
	int code;

	memset(c, 0, sizeof(*c));
	c->cmd = cmd;
	c->o.start = clock_ms();
	if ((code = cli_parse(argc, argv, c)) >= 0)
		return code;
	out_init(c->level);
	if ((c->o.sigfd = sig_setup(err)) < 0) {
		out_error("%s", err);
		return EXIT_WATCH;
	}
	c->o.trigger_to_stderr = c->json;
	c->o.tick_ms = out_tty() && c->level != LV_QUIET ? TICK_MS : 0;
	return -1;
}

msec_t
cli_deadline(const struct cli *c)
{
	return waiter_deadline(&c->o);
}

int
cli_stopped(int signo, const char *what)
{
	out_error("stopped by signal %d (%s)%s", signo, strsignal(signo),
		  what ? what : "");
	return EXIT_SIGNAL + signo;
}
