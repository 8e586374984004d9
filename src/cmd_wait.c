/* cmd_wait.c: `covsettle wait DIR`, the command layer over the waiter:
 * options in, progress and the outcome out, an exit status picked. */
#include "cmd.h"
#include "names.h"
#include "output.h"
#include "parse.h"
#include "sig.h"
#include "waiter.h"
#include "watch.h"

#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TICK_MS 250

enum {
	OPT_NEW_ONLY = 256,
	OPT_POLL,
	OPT_IGNORE_WRITERS,
	OPT_INVALID,
	OPT_JSON,
};

static const struct option wait_options[] = {
	{"pattern", required_argument, NULL, 'p'},
	{"debounce", required_argument, NULL, 'd'},
	{"expect", required_argument, NULL, 'n'},
	{"new-only", no_argument, NULL, OPT_NEW_ONLY},
	{"trigger", required_argument, NULL, 't'},
	{"timeout", required_argument, NULL, 'T'},
	{"poll", optional_argument, NULL, OPT_POLL},
	{"ignore-writers", no_argument, NULL, OPT_IGNORE_WRITERS},
	{"invalid", required_argument, NULL, OPT_INVALID},
	{"quiet", no_argument, NULL, 'q'},
	{"verbose", no_argument, NULL, 'v'},
	{"json", no_argument, NULL, OPT_JSON},
	{"help", no_argument, NULL, 'h'},
	{NULL, 0, NULL, 0},
};

static const char wait_usage[] =
	"usage: covsettle wait [-qv] [--json] [-p GLOB] [-d DURATION] [-n N] "
	"[--new-only]\n"
	"                      [-t CMD] [-T DURATION] [--poll[=INTERVAL]] "
	"[--ignore-writers]\n"
	"                      [--invalid=fail|quarantine] DIR\n";

struct wait_cli {
	struct wait_opts o;
	enum level level;
	bool json;
};

/* Parse wait's options into c. Returns -1 on success, else an exit code. */
static int
parse(int argc, char **argv, struct wait_cli *c)
{
	char err[ERRLEN];
	long n;
	int ch;

	c->o.pattern = DEFAULT_PATTERN;
	c->o.expect = 1;
	c->o.debounce = 500;
	c->o.timeout = 60000;
	c->level = LV_NORMAL;
	optind = 1;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":p:d:n:t:T:qvh", wait_options,
				 NULL)) != -1) {
		switch (ch) {
		case 'p':
			if (optarg[0] == '\0' || strchr(optarg, '/'))
				return usage_error("wait",
						   "--pattern '%s': a file name "
						   "glob, without '/', is "
						   "needed",
						   optarg);
			c->o.pattern = optarg;
			break;
		case 'd':
			if (parse_duration(optarg, &c->o.debounce, err) < 0)
				return usage_error("wait", "--debounce: %s",
						   err);
			break;
		case 'n':
			if (parse_count(optarg, 0, 1000000000L, &n, err) < 0)
				return usage_error("wait", "--expect: %s", err);
			c->o.expect = n;
			break;
		case OPT_NEW_ONLY:
			c->o.new_only = true;
			break;
		case 't':
			if (optarg[0] == '\0')
				return usage_error("wait",
						   "--trigger: empty command");
			c->o.trigger = optarg;
			break;
		case 'T':
			if (parse_duration(optarg, &c->o.timeout, err) < 0)
				return usage_error("wait", "--timeout: %s",
						   err);
			break;
		case OPT_POLL:
			c->o.poll_ms = DEFAULT_POLL_MS;
			if (optarg != NULL &&
			    parse_duration(optarg, &c->o.poll_ms, err) < 0)
				return usage_error("wait", "--poll: %s", err);
			if (c->o.poll_ms == 0)
				return usage_error("wait",
						   "--poll: the interval must "
						   "be above 0");
			break;
		case OPT_IGNORE_WRITERS:
			c->o.ignore_writers = true;
			break;
		case OPT_INVALID:
			if (strcmp(optarg, "fail") == 0)
				c->o.invalid = INVALID_FAIL;
			else if (strcmp(optarg, "quarantine") == 0)
				c->o.invalid = INVALID_QUARANTINE;
			else
				return usage_error("wait",
						   "--invalid '%s': use fail or "
						   "quarantine",
						   optarg);
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
		case 'h':
			fputs(wait_usage, stdout);
			return EX_SETTLED;
		case ':':
			return usage_error("wait", "%s needs a value",
					   argv[optind - 1]);
		default:
			return usage_error("wait", "unknown option %s",
					   argv[optind - 1]);
		}
	}
	if (optind != argc - 1)
		return usage_error("wait", optind == argc
						   ? "DIR is missing"
						   : "one DIR only");
	c->o.dir = argv[optind];
	if (c->o.dir[0] == '\0')
		return usage_error("wait", "DIR is empty");
	return -1;
}

/* The waiter's progress, as lines or a live status line. */
static void
on_note(void *ctx, const struct wait_note *n)
{
	const struct wait_cli *c = ctx;
	char quiet[32], left[32];

	switch (n->kind) {
	case N_ARMED:
		out_debug("watching %s %s", c->o.dir, n->text);
		break;
	case N_POLLING:
		out_warn(false, "%s", n->text);
		break;
	case N_EVENT:
		out_debug("event %s%s%s", watch_event_str(n->mask),
			  n->name ? " " : "", n->name ? n->name : "");
		break;
	case N_NEW:
		if (!out_tty() || out_level() == LV_VERBOSE)
			out_info("data file: %s", n->name);
		break;
	case N_GONE:
		out_info("data file gone: %s", n->name);
		break;
	case N_DIR_GONE:
		out_info("%s was deleted or moved away; waiting for it",
			 c->o.dir);
		break;
	case N_DIR_BACK:
		out_info("%s is there; scanned it", c->o.dir);
		break;
	case N_RESCAN:
		out_info("inotify queue overflowed; scanned %s again",
			 c->o.dir);
		break;
	case N_TRIGGER:
		if (strncmp(n->text, "started", 7) == 0) {
			out_info("trigger started");
			out_debug("trigger command: %s", c->o.trigger);
		} else {
			out_info("trigger %s", n->text);
		}
		break;
	case N_QUARANTINED:
		out_warn(true, "moved invalid %s to %s", n->name, n->text);
		break;
	case N_TICK:
		format_duration(n->quiet_left > 0 ? n->quiet_left : 0, quiet,
				sizeof(quiet));
		if (n->time_left >= 0)
			format_duration(n->time_left, left, sizeof(left));
		else
			snprintf(left, sizeof(left), "no limit");
		out_status("%ld/%ld data files, %ld settled, quiet %s left, "
			   "%s left",
			   settle_counted(n->s), c->o.expect, settle_ready(n->s),
			   quiet, left);
		break;
	}
}

static const char *const status_names[] = {
	[WS_SETTLED] = "settled", [WS_TIMEOUT] = "timeout",
	[WS_INVALID] = "invalid", [WS_TRIGGER] = "trigger-failed",
	[WS_SIGNAL] = "signal",	  [WS_ERROR] = "error",
};

static void
print_json(const struct wait_cli *c, const struct wait_result *r, int code)
{
	const struct settle *s = r->s;
	size_t i, k = 0;

	printf("{\"command\":\"wait\",\"dir\":");
	json_str(stdout, c->o.dir);
	printf(",\"status\":\"%s\",\"exit\":%d,\"elapsed_ms\":%lld,"
	       "\"expect\":%ld,\"polling\":%s,\"message\":",
	       status_names[r->status], code, (long long)r->elapsed,
	       c->o.expect, r->polled ? "true" : "false");
	json_str(stdout, r->msg[0] ? r->msg : NULL);
	printf(",\"files\":[");
	for (i = 0; i < settle_count(s); i++) {
		const struct sfile *f = settle_file(s, i);

		if (!f->counts || !f->present)
			continue;
		printf("%s", k++ ? "," : "");
		json_file(stdout, "name", f->name, &f->check);
	}
	printf("],\"lost\":[");
	for (i = 0; i < settle_nvanished(s); i++) {
		printf("%s", i ? "," : "");
		json_str(stdout, settle_vanished(s, i)->name);
	}
	printf("],\"quarantined\":[");
	for (i = 0, k = 0; i < settle_count(s); i++) {
		const struct sfile *f = settle_file(s, i);

		if (!f->quarantined)
			continue;
		printf("%s", k++ ? "," : "");
		json_file(stdout, "name", f->name, &f->check);
	}
	printf("]}\n");
	fflush(stdout);
}

/* Report the outcome on stderr and pick the exit status. */
static int
report(const struct wait_cli *c, const struct wait_result *r)
{
	const struct settle *s = r->s;
	char took[32];
	long invalid = 0;
	size_t i;

	out_status_clear();
	for (i = 0; i < settle_nvanished(s); i++)
		out_warn(true,
			 "%s/%s was deleted or moved out during the wait: its "
			 "coverage is lost",
			 c->o.dir, settle_vanished(s, i)->name);
	format_duration(r->elapsed, took, sizeof(took));
	switch (r->status) {
	case WS_SETTLED:
		out_info("settled: %ld data file%s in %s after %s",
			 settle_counted(s), settle_counted(s) == 1 ? "" : "s",
			 c->o.dir, took);
		return EX_SETTLED;
	case WS_TIMEOUT:
		out_error("timed out after %s waiting for %s: %s", took,
			  c->o.dir, r->msg);
		return EX_TIMEOUT;
	case WS_INVALID:
		for (i = 0; i < settle_count(s); i++) {
			const struct sfile *f = settle_file(s, i);

			if (!f->counts || !f->present ||
			    f->check.verdict == V_OK)
				continue;
			invalid++;
			out_error("%s/%s: %s: %s", c->o.dir, f->name,
				  verdict_name(f->check.verdict),
				  f->check.reason);
		}
		out_error("%ld invalid data file%s in %s, and their writers "
			  "are gone",
			  invalid, invalid == 1 ? "" : "s", c->o.dir);
		return EX_INVALID;
	case WS_TRIGGER:
		out_error("%s", r->msg);
		return EX_TRIGGER;
	case WS_SIGNAL:
		out_error("stopped by signal %d (%s)", r->signo,
			  strsignal(r->signo));
		return EX_SIGNAL + r->signo;
	case WS_ERROR:
		out_error("%s", r->msg);
		return EX_WATCH;
	}
	return EX_WATCH;
}

int
cmd_wait(int argc, char **argv)
{
	struct wait_cli c;
	struct wait_result *r;
	char err[ERRLEN];
	int code;

	memset(&c, 0, sizeof(c));
	c.o.start = clock_ms();
	if ((code = parse(argc, argv, &c)) >= 0)
		return code;
	out_init(c.level);
	if ((c.o.sigfd = sig_setup(err)) < 0) {
		out_error("%s", err);
		return EX_WATCH;
	}
	c.o.trigger_to_stderr = c.json;
	c.o.tick_ms = out_tty() && c.level != LV_QUIET ? TICK_MS : 0;
	c.o.note = on_note;
	c.o.ctx = &c;
	r = xmalloc(sizeof(*r));
	waiter_run(&c.o, r);
	code = report(&c, r);
	if (c.json)
		print_json(&c, r, code);
	settle_free(r->s);
	free(r);
	return code;
}
