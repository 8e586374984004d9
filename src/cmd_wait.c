/* cmd_wait.c: `covsettle wait DIR`, the command layer over the waiter:
 * progress and the outcome out, an exit status picked. gather reports its
 * wait part through the same functions. */
#include "cli.h"
#include "cmd_wait.h"
#include "exitcode.h"
#include "names.h"
#include "output.h"
#include "parse.h"
#include "waiter.h"
#include "watch.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Data files named one line each without -v, off a terminal; past them,
 * a line of progress each time the count doubles: a CI log gets a dozen
 * lines for 1,000 files, not 1,000. -v and --json list every file. */
#define NAMED_FILES 5

/* A new data file, off a terminal: its name, or the progress. */
static void
tell_new(const struct cli *c, const char *name)
{
	static long found, next_progress = NAMED_FILES + 1;

	if (out_level() == LV_VERBOSE || ++found <= NAMED_FILES) {
		out_info("data file: %s", name);
		return;
	}
	if (found < next_progress)
		return;
	next_progress = 2 * found;
	if (c->o.expect > 0)
		out_info("%ld data files found so far, %ld expected "
			 "(-v names each)",
			 found, c->o.expect);
	else
		out_info("%ld data files found so far (-v names each)", found);
}

/* The waiter's progress, as lines or a live status line. */
void
cmd_wait_note(void *ctx, const struct wait_note *n)
{
	const struct cli *c = ctx;
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
			tell_new(c, n->name);
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
	case N_TRIGGER_STARTED:
		out_info("trigger started");
		out_debug("trigger command: %s", n->text);
		break;
	case N_TRIGGER_EXITED:
		out_info("trigger exited with status 0");
		break;
	case N_QUARANTINED:
		out_warn(true, "moved invalid %s to %s", n->name, n->text);
		break;
	case N_LEASE_DENIED:
		out_debug("the open-for-writing test is off: the kernel "
			  "refuses leases on %s/%s (covsettle is not its owner "
			  "and has no CAP_LEASE), so --debounce must cover "
			  "the longest pause of a save",
			  c->o.dir, n->name);
		break;
	case N_NOT_WRITER:
		out_debug("%s: no writer evidence from its pid: %s", n->name,
			  n->text);
		break;
	case N_WRITER:
		out_debug("%s: %s", n->name, n->text);
		break;
	case N_UNSEEN:
		out_debug("%s: its writer is not seen here (%s): its "
			  "generation is unknown",
			  n->name, n->text);
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
			   settle_counted(n->s), c->o.expect,
			   settle_ready(n->s), quiet, left);
		break;
	}
}

static const char *const status_names[] = {
	[WS_SETTLED] = "settled", [WS_TIMEOUT] = "timeout",
	[WS_INVALID] = "invalid", [WS_TRIGGER] = "trigger-failed",
	[WS_SIGNAL] = "signal",	  [WS_ERROR] = "error",
	[WS_HELPER] = "error",	  [WS_LOST] = "lost",
};

const char *
cmd_wait_status(enum wait_status status)
{
	return status_names[status];
}

/* The names of the vanished files that are losses, or the others; none
 * without a table (s NULL: gather ended before its wait began). */
static void
json_vanished(const struct settle *s, bool loss)
{
	size_t i, k = 0, n = s != NULL ? settle_nvanished(s) : 0;

	for (i = 0; i < n; i++) {
		if (settle_vanished(s, i)->loss != loss)
			continue;
		printf("%s", k++ ? "," : "");
		json_str(stdout, settle_vanished(s, i)->name);
	}
}

void
cmd_wait_json(const struct cli *c, const struct wait_result *r)
{
	const struct settle *s = r->s;
	size_t i, k = 0, n = s != NULL ? settle_nfiles(s) : 0;

	printf(",\"dir\":");
	json_str(stdout, c->o.dir);
	printf(",\"status\":\"%s\",\"elapsed_ms\":%lld,"
	       "\"expect\":%ld,\"polling\":%s,\"message\":",
	       cmd_wait_status(r->status), (long long)r->elapsed, c->o.expect,
	       r->polled ? "true" : "false");
	json_str(stdout, r->msg[0] ? r->msg : NULL);
	printf(",\"writers_unseen\":%ld,\"writer_unseen\":", r->unseen);
	if (r->unseen > 0) {
		printf("{\"name\":");
		json_str(stdout, r->unseen_name);
		printf(",\"why\":");
		json_str(stdout, r->unseen_why);
		printf("}");
	} else {
		printf("null");
	}
	printf(",\"quiet_cut_short\":%s", r->early ? "true" : "false");
	printf(",\"members_without_data\":%ld", r->silent);
	printf(",\"files\":[");
	for (i = 0; i < n; i++) {
		const struct sfile *f = settle_file(s, i);

		if (!settle_here(f))
			continue;
		printf("%s", k++ ? "," : "");
		json_file(stdout, "name", f->name, &f->check);
	}
	printf("],\"lost\":[");
	json_vanished(s, true);
	printf("],\"removed\":[");
	json_vanished(s, false);
	printf("],\"quarantined\":[");
	for (i = 0, k = 0; i < n; i++) {
		const struct sfile *f = settle_file(s, i);

		if (!f->quarantined)
			continue;
		printf("%s", k++ ? "," : "");
		json_file(stdout, "name", f->name, &f->check);
	}
	printf("]");
}

const char *
cmd_wait_unseen(const struct cli *c, const struct wait_result *r)
{
	if (r->unseen == 0 || c->o.expect != 1 || c->o.trigger != NULL)
		return "";
	return " (writers not seen here: --expect N or --trigger says how "
	       "many to wait for)";
}

int
cmd_wait_report(const struct cli *c, const struct wait_result *r)
{
	const struct settle *s = r->s;
	char took[32];
	long invalid = 0;
	size_t i;

	out_status_clear();
	for (i = 0; i < settle_nvanished(s); i++) {
		const struct vanished *v = settle_vanished(s, i);

		if (!v->loss)
			out_info("%s/%s, quiet since before the wait began, "
				 "was removed by another program: old data, "
				 "not combined",
				 c->o.dir, v->name);
		else if (r->status == WS_LOST)
			out_error("%s/%s was deleted or moved out during the "
				  "wait: its coverage is lost",
				  c->o.dir, v->name);
		else
			out_warn(true,
				 "%s/%s was deleted or moved out during the "
				 "wait: its coverage is lost",
				 c->o.dir, v->name);
	}
	if (r->silent > 0 && r->status == WS_LOST)
		out_error("pid %d%s, born with the writers of data files in "
			  "%s, exited without writing one: its coverage is "
			  "missing",
			  (int)r->silent_pid,
			  r->silent > 1 ? " and others" : "", c->o.dir);
	else if (r->silent > 0)
		out_warn(true,
			 "pid %d%s, born with the writers of data files in %s, "
			 "exited without writing one: its coverage is missing",
			 (int)r->silent_pid, r->silent > 1 ? " and others" : "",
			 c->o.dir);
	format_duration(r->elapsed, took, sizeof(took));
	switch (r->status) {
	case WS_SETTLED:
		if (*cmd_wait_unseen(c, r))
			out_warn(
				false,
				"%ld writer%s not seen here (%s: %s): "
				"covsettle cannot tell whether more data files "
				"are coming; it waited for %ld",
				r->unseen, r->unseen == 1 ? "" : "s",
				r->unseen_name, r->unseen_why, c->o.expect);
		if (strcmp(c->cmd, "wait") == 0 || c->level == LV_VERBOSE)
			out_info("settled: %ld data file%s in %s after %s%s",
				 settle_counted(s),
				 settle_counted(s) == 1 ? "" : "s", c->o.dir,
				 took, cmd_wait_unseen(c, r));
		return EXIT_OK;
	case WS_TIMEOUT:
		out_error("timed out after %s waiting for %s: %s", took,
			  c->o.dir, r->msg);
		return EXIT_TIMEOUT;
	case WS_INVALID:
		for (i = 0; i < settle_nfiles(s); i++) {
			const struct sfile *f = settle_file(s, i);

			if (!settle_invalid(s, f))
				continue;
			invalid++;
			out_error("%s/%s: %s: %s", c->o.dir, f->name,
				  verdict_name(f->check.verdict),
				  f->check.reason);
		}
		out_error("%ld invalid data file%s in %s that no writer will "
			  "mend",
			  invalid, invalid == 1 ? "" : "s", c->o.dir);
		return EXIT_INVALID;
	case WS_TRIGGER:
		out_error("%s", r->msg);
		return EXIT_TRIGGER;
	case WS_SIGNAL:
		return cli_stopped(r->signo, NULL);
	case WS_ERROR:
		out_error("%s", r->msg);
		return EXIT_WATCH;
	case WS_LOST:
		out_error("%s: %s%s", c->o.dir, r->msg,
			  strcmp(c->cmd, "gather") == 0
				  ? "; not combining (the data files left "
				    "are untouched)"
				  : "");
		return EXIT_INVALID;
	case WS_HELPER: /* gather: no coverage.py command runs */
		out_error("%s", r->msg);
		return EXIT_COVERAGE;
	}
	return EXIT_WATCH;
}

int
cmd_wait(int argc, char **argv)
{
	struct wait_result *r;
	struct cli c;
	int code;

	if ((code = cli_start(argc, argv, "wait", &c)) >= 0)
		return code;
	c.o.note = cmd_wait_note;
	c.o.ctx = &c;
	r = xmalloc(sizeof(*r));
	waiter_run(&c.o, r);
	code = cmd_wait_report(&c, r);
	if (c.json) {
		printf("{\"command\":\"wait\",\"exit\":%d", code);
		cmd_wait_json(&c, r);
		printf("}\n");
		fflush(stdout);
	}
	settle_free(r->s);
	free(r);
	return code;
}
