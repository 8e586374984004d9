/* cmd_gather.c: `covsettle gather DIR`, the command layer over the gather
 * engine (gather.c): it fills the engine's options from the command line,
 * takes DIR's lock and runs the wait (shared with `wait`) while the engine
 * searches for coverage.py beside them, runs the engine's pipeline, and
 * maps its outcome to messages, --json and an exit status, as cmd_wait.c
 * does for the waiter. The lock and the wait stay here: each prints as it
 * goes (whose gather holds DIR, the wait's progress) and may end gather
 * with an exit status of its own before the engine has anything to do. */
#include "cli.h"
#include "cmd_gather.h"
#include "cmd_wait.h"
#include "exitcode.h"
#include "gather.h"
#include "lock.h"
#include "waiter.h"

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* Exit status of the gather pipeline's outcome, after saying it; msg
 * gets what was said of a failure, for --json. */
static int
say_outcome(const struct cli *c, const struct gather_result *g,
	    const struct wait_result *w, char *msg)
{
	char tail[ERRLEN];
	size_t room, len, head;

	if (g->combine.method != NULL)
		out_debug("combine: %s, as %s", g->combine.method,
			  g->combine.reason);
	switch (g->status) {
	case GS_OK:
	case GS_BELOW:
		if (g->text != NULL) {
			fputs(g->text, c->json ? stderr : stdout);
			fflush(c->json ? stderr : stdout);
		}
		out_info("combined %ld data file%s from %s into %s%s%s",
			 g->ninputs, g->ninputs == 1 ? "" : "s", c->o.dir,
			 g->data_file,
			 g->deleted ? "; inputs deleted (--no-keep)" : "",
			 cmd_wait_unseen(c, w));
		/* Nothing measured is no failure of covsettle's: say it, as
		 * coverage.py does, and go on as with no data files. */
		if (g->nodata)
			out_warn(true,
				 "no data was collected: the %ld data file%s "
				 "in %s measured no file; no report written "
				 "(coverage.py has no data to report)",
				 g->ninputs, g->ninputs == 1 ? "" : "s",
				 c->o.dir);
		if (g->nodata && c->fail_under != NULL &&
		    c->fail_under_pct > 0) {
			seterr(msg,
			       "no coverage data, so below --fail-under %s",
			       c->fail_under);
			out_error("%s", msg);
			return EXIT_BELOW;
		}
		if (g->status == GS_OK)
			return EXIT_OK;
		if (g->total >= 0)
			seterr(msg,
			       "total coverage %s is below --fail-under %s",
			       g->total_text,
			       c->fail_under ? c->fail_under
					     : "(the rcfile's fail_under)");
		else
			seterr(msg, "total coverage is below the fail-under "
				    "threshold");
		out_error("%s", msg);
		return EXIT_BELOW;
	case GS_FAILED:
		/* The command line in g->msg may be long: cut its middle, never
		 * its start (which command), its end (how it ended) or the
		 * tail that says the inputs are safe. */
		snprintf(tail, sizeof(tail),
			 "; the data files in %s are untouched", c->o.dir);
		len = strlen(g->msg);
		room = ERRLEN - 1 - strlen(tail);
		if (strlen(tail) + 64 > ERRLEN || len <= room) {
			seterr(msg, "%s%s", g->msg, tail);
		} else {
			head = (room - 3) / 2;
			seterr(msg, "%.*s...%s%s", (int)head, g->msg,
			       g->msg + len - (room - 3 - head), tail);
		}
		out_error("%s", msg);
		return EXIT_COVERAGE;
	case GS_VANISHED: /* not reached: cmd_gather() waits again, or
			   * says the loss (inputs_lost()) */
	case GS_CHANGED:
	case GS_ERROR:
		seterr(msg, "%s", g->msg);
		out_error("%s", msg);
		return g->status == GS_ERROR ? EXIT_WATCH : EXIT_INVALID;
	case GS_SIGNAL:
		return cli_stopped(g->signo, "; the data files are untouched");
	case GS_NO_COVERAGE:
		if (g->signo)
			return cli_stopped(g->signo, NULL);
		seterr(msg, "%s", g->msg);
		out_error("%s", msg);
		return EXIT_COVERAGE;
	case GS_NO_FILES:
		out_info("no data files in %s to combine", c->o.dir);
		if (c->fail_under == NULL || c->fail_under_pct <= 0)
			return EXIT_OK;
		seterr(msg, "no coverage data, so below --fail-under %s",
		       c->fail_under);
		out_error("%s", msg);
		return EXIT_BELOW;
	}
	return EXIT_COVERAGE;
}

/* The wait's status that --json gives a gather that ended with code,
 * when the wait settled or never ran: a failure after the wait, or
 * before it (the lock, the search for coverage.py), is no "settled". */
static enum wait_status
wait_status_of(int code)
{
	if (code == EXIT_OK || code == EXIT_BELOW)
		return WS_SETTLED;
	if (code == EXIT_TIMEOUT)
		return WS_TIMEOUT;
	if (code == EXIT_INVALID)
		return WS_INVALID;
	return code >= EXIT_SIGNAL ? WS_SIGNAL : WS_ERROR;
}

/* The wait part of --json, written by cmd_wait_json(): the wait's own
 * result, said again when it settled and gather then ended with code and
 * msg; or, when gather ended before its wait began (w NULL), a wait that
 * saw no file. */
static void
wait_json(const struct cli *c, const struct wait_result *w, int code,
	  const char *msg)
{
	struct wait_result *told = xcalloc(1, sizeof(*told));

	if (w != NULL)
		*told = *w;
	else
		told->elapsed = clock_ms() - c->o.start;
	if (w == NULL || (w->status == WS_SETTLED && code != EXIT_OK)) {
		told->status = wait_status_of(code);
		told->signo = code >= EXIT_SIGNAL ? code - EXIT_SIGNAL : 0;
		snprintf(told->msg, sizeof(told->msg), "%s", msg);
	}
	cmd_wait_json(c, told);
	free(told);
}

static void
print_json(const struct cli *c, const struct wait_result *w, char *text,
	   const struct gather_result *g, int code, const char *msg,
	   bool lock_lost)
{
	int i, j;

	printf("{\"command\":\"gather\",\"exit\":%d", code);
	wait_json(c, w, code, msg);
	printf(",\"coverage\":");
	json_str(stdout, text);
	printf(",\"data_file\":");
	json_str(stdout, g ? g->data_file : NULL);
	printf(",\"inputs\":%ld,\"inputs_deleted\":%s,\"no_data\":%s,"
	       "\"lock_lost\":%s,\"combine\":",
	       g ? g->ninputs : 0, g && g->deleted ? "true" : "false",
	       g && g->nodata ? "true" : "false", lock_lost ? "true" : "false");
	if (g != NULL && g->combine.method != NULL) {
		printf("{\"method\":\"%s\",\"reason\":", g->combine.method);
		json_str(stdout, g->combine.reason);
		printf(",\"ms\":%lld}", (long long)g->combine.ms);
	} else {
		printf("null");
	}
	printf(",\"commands\":[");
	for (i = 0; g != NULL && i < g->ncmds; i++) {
		int st = g->cmds[i].status;

		printf("%s{\"command\":", i ? "," : "");
		json_str(stdout, g->cmds[i].line);
		if (WIFEXITED(st))
			printf(",\"exit\":%d,\"signal\":null", WEXITSTATUS(st));
		else
			printf(",\"exit\":null,\"signal\":%d", WTERMSIG(st));
		printf(",\"ms\":%lld}", (long long)g->cmds[i].ms);
	}
	printf("],\"reports\":[");
	for (i = 0; i < c->nreports; i++) {
		printf("%s{\"format\":\"%s\",\"path\":", i ? "," : "",
		       reports_format_name(c->reports[i].format));
		json_str(stdout, c->reports[i].path);
		printf(",\"options\":[");
		for (j = 0; j < c->reports[i].nopts; j++) {
			printf("%s", j ? "," : "");
			json_str(stdout, c->reports[i].opts[j]);
		}
		printf("]}");
	}
	if (g != NULL && g->total >= 0)
		printf("],\"total_percent\":%.2f}\n", g->total);
	else
		printf("],\"total_percent\":null}\n");
	fflush(stdout);
}

/* The end of the search for coverage.py, when it must be known before
 * going on: an exit status, or -1 when a command was found. */
static int
find_done(struct gather *g, char *msg)
{
	int signo;

	if (gather_found(g, msg, &signo) == GS_OK)
		return -1;
	if (signo)
		return cli_stopped(signo, NULL);
	out_error("%s", msg);
	return EXIT_COVERAGE;
}

/* The lock's holder for a message: its pid, or that it is not visible
 * (a gather in another pid namespace, a container sharing DIR). */
static const char *
holder_text(pid_t holder, char *buf, size_t len)
{
	if (holder <= 0)
		return "a pid not visible here";
	snprintf(buf, len, "pid %d", (int)holder);
	return buf;
}

/* Take DIR's lock, waiting for another gather unless --no-wait-lock. */
static int
take_lock(const struct cli *c, struct gather *g, int *fd, char *msg)
{
	msec_t deadline = cli_deadline(c);
	enum lock_state st;
	char err[ERRLEN], who[32];
	pid_t holder;
	int signo, code;

	st = lock_take(c->o.dir, false, deadline, c->o.sigfd, fd, &holder,
		       &signo, err);
	/* Busy: a missing coverage.py still ends gather before it waits
	 * (the lock's loop reads no SIGCHLD for the search). */
	if (st == LOCK_BUSY && (code = find_done(g, msg)) >= 0)
		return code;
	if (st == LOCK_BUSY && c->no_wait_lock) {
		seterr(msg,
		       "another gather (%s) is running on %s "
		       "(--no-wait-lock)",
		       holder_text(holder, who, sizeof(who)), c->o.dir);
		out_error("%s", msg);
		return EXIT_TIMEOUT;
	}
	if (st == LOCK_BUSY) {
		out_info("waiting for the gather of %s on %s to finish",
			 holder_text(holder, who, sizeof(who)), c->o.dir);
		st = lock_take(c->o.dir, true, deadline, c->o.sigfd, fd,
			       &holder, &signo, err);
	}
	switch (st) {
	case LOCK_TAKEN:
		return -1;
	case LOCK_BUSY:
	case LOCK_TIMEOUT:
		seterr(msg, "timed out waiting for the gather of %s on %s",
		       holder_text(holder, who, sizeof(who)), c->o.dir);
		out_error("%s", msg);
		return EXIT_TIMEOUT;
	case LOCK_SIGNAL:
		return cli_stopped(signo, NULL);
	case LOCK_ERROR:
		break;
	}
	snprintf(msg, ERRLEN, "%s", err);
	out_error("%s", err);
	return EXIT_WATCH;
}

/* The first path gather would take relative to the working directory,
 * with what gave it in what[]; NULL when every one is absolute. */
static const char *
relative_path(const struct cli *c, char *what, size_t len)
{
	static const char *const defaults[RF_COUNT] = {
		[RF_JSON] = "coverage.json",
		[RF_HTML] = "htmlcov",
		[RF_XML] = "coverage.xml",
		[RF_LCOV] = "coverage.lcov",
	};
	const char *cmd =
		c->coverage ? c->coverage : getenv("COVSETTLE_COVERAGE");
	int i;

	snprintf(what, len, "DIR");
	if (c->o.dir[0] != '/')
		return c->o.dir;
	snprintf(what, len, "--data-file");
	if (c->data_file == NULL || c->data_file[0] != '/')
		return c->data_file ? c->data_file : ".coverage";
	snprintf(what, len, "--rcfile");
	if (c->rcfile != NULL && c->rcfile[0] != '/')
		return c->rcfile;
	for (i = 0; i < c->nreports; i++) {
		const struct report *r = &c->reports[i];

		snprintf(what, len, "--report %s%s",
			 reports_format_name(r->format),
			 r->path ? "" : " (its default path)");
		if (r->path == NULL && r->format != RF_TEXT)
			return defaults[r->format];
		if (r->path != NULL && r->path[0] != '/')
			return r->path;
	}
	/* A command named by a relative path ("venv/bin/coverage"). */
	snprintf(what, len, "the coverage command");
	if (cmd != NULL && cmd[0] != '/' &&
	    memchr(cmd, '/', strcspn(cmd, " \t")) != NULL)
		return cmd;
	return NULL;
}

/* A working directory removed under covsettle (an application's hook
 * that deletes it): coverage.py cannot even start there (its import
 * resolves the current directory), and a relative path names nothing.
 * Where every path gather takes is absolute, it and coverage.py run from
 * / instead, which holds no configuration of the user's (there is none
 * left to find in a removed directory); else the path that cannot serve
 * is named. -1 to go on, or an exit status. */
static int
cwd_removed(const struct cli *c, char *msg)
{
	char buf[PATH_MAX], what[64];
	const char *rel;

	if (getcwd(buf, sizeof(buf)) != NULL || errno != ENOENT)
		return -1;
	if ((rel = relative_path(c, what, sizeof(what))) != NULL) {
		seterr(msg,
		       "the working directory was removed, and %s '%s' is "
		       "relative to it (coverage.py cannot start there "
		       "either): run from a directory that exists, or give "
		       "absolute paths",
		       what, rel);
		out_error("%s", msg);
		return EXIT_WATCH;
	}
	if (chdir("/") < 0) {
		seterr(msg,
		       "the working directory was removed, and / cannot "
		       "take its place: %s",
		       strerror(errno));
		out_error("%s", msg);
		return EXIT_WATCH;
	}
	out_warn(false, "the working directory was removed: coverage.py "
			"runs in / (every path given is absolute)");
	return -1;
}

/* Was what holds the lock (DIR itself, or the fallback lock file in it:
 * lock.c) deleted under covsettle, by an application's rm -rf of DIR?
 * Then another gather could have taken DIR meanwhile: say so. */
static bool
lost_lock(const struct cli *c, int lockfd)
{
	struct stat st;

	if (lockfd < 0 || fstat(lockfd, &st) < 0 || st.st_nlink > 0)
		return false;
	out_warn(true,
		 "the lock on %s was lost during the gather (another "
		 "program deleted %s): another gather on it could have run "
		 "meanwhile",
		 c->o.dir, c->o.dir);
	return true;
}

/* The inputs were deleted under the gather (GS_VANISHED). Old data that
 * another program removed is no loss: gather waits again for what DIR
 * holds now. But an input written during the wait is the coverage waited
 * for (the engine names them: r->lost): its deletion is a loss, as during
 * the wait (waiter.c, lost_coverage()), said and exit 4. Returns true
 * then. */
static bool
inputs_lost(const struct cli *c, const struct gather_result *r,
	    struct wait_result *w)
{
	size_t i;

	if (r->nlost == 0)
		return false;
	for (i = 0; i < r->nlost; i++) {
		out_error("%s/%s was deleted after it settled, before it was "
			  "combined: its coverage is lost",
			  c->o.dir, r->lost[i]);
		settle_gone(w->s, r->lost[i], clock_ms()); /* --json's lost */
	}
	w->status = WS_LOST;
	seterr(w->msg,
	       "%zu data file%s deleted after the wait: %s coverage "
	       "is lost",
	       r->nlost, r->nlost == 1 ? " was" : "s were",
	       r->nlost == 1 ? "its" : "their");
	out_error("%s: %s; not combining (the data files left are "
		  "untouched)",
		  c->o.dir, w->msg);
	return true;
}

/* The engine's options, from the command line. */
static void
engine_options(const struct cli *c, struct gather_opts *o)
{
	*o = (struct gather_opts){
		.dir = c->o.dir,
		.coverage = c->coverage,
		.coverage_env = getenv("COVSETTLE_COVERAGE"),
		.combine = c->combine,
		.rcfile = c->rcfile,
		.data_file = c->data_file,
		.reports = c->reports,
		.nreports = c->nreports,
		.fail_under = c->fail_under,
		.no_keep = c->no_keep,
		.deadline = cli_deadline(c),
		.child_out = c->json ? 2 : -1,
		.sigfd = c->o.sigfd,
	};
}

int
cmd_gather(int argc, char **argv)
{
	struct wait_result *w = NULL;
	struct gather_result r;
	struct gather_opts go;
	struct gather *g = NULL;
	char err[ERRLEN] = "", *text;
	int code, found, lockfd = -1;
	bool gathered = false, lock_lost;
	struct cli c;

	if ((code = cli_start(argc, argv, "gather", &c)) >= 0)
		return code;
	c.o.note = cmd_wait_note;
	c.o.ctx = &c;
	if ((code = cwd_removed(&c, err)) >= 0)
		goto out;
	/* The search for coverage.py runs alongside the lock and the wait. */
	engine_options(&c, &go);
	if ((g = gather_start(&go, err)) == NULL) {
		out_error("%s", err);
		code = EXIT_COVERAGE;
		goto out;
	}
	if ((code = take_lock(&c, g, &lockfd, err)) >= 0)
		goto out;
	if ((found = gather_sweep(g)) > 0)
		out_info("removed %d staging director%s left in %s by a gather "
			 "that is gone",
			 found, found == 1 ? "y" : "ies", c.o.dir);
	gather_wait_hooks(g, &c.o);
again:
	w = xmalloc(sizeof(*w));
	waiter_run(&c.o, w);
	if (w->status == WS_SIGNAL)
		gather_stop(g, w->signo);
	if ((code = cmd_wait_report(&c, w)) != EXIT_OK)
		goto out;
	gather_run(g, w->realdir, w->s, &r);
	gathered = true;
	/* The files that settled were deleted under the gather: what is in
	 * DIR now is waited for, as a directory emptied or made again
	 * during the wait is, until the deadline. The trigger ran once. */
	if (r.status == GS_VANISHED && inputs_lost(&c, &r, w)) {
		code = EXIT_INVALID;
		goto out;
	}
	if (r.status == GS_VANISHED) {
		out_warn(true, "%s; waiting again", r.msg);
		gather_free(&r);
		gathered = false;
		settle_free(w->s);
		free(w);
		c.o.trigger = NULL;
		goto again;
	}
	code = say_outcome(&c, &r, w, err);
out:
	lock_lost = lost_lock(&c, lockfd);
	if (c.json) {
		text = gather_command(g);
		print_json(&c, w, text, gathered ? &r : NULL, code, err,
			   lock_lost);
		free(text);
	}
	if (gathered)
		gather_free(&r);
	if (w != NULL) {
		settle_free(w->s);
		free(w);
	}
	/* The early question ends before the lock is let go. */
	gather_end(g);
	lock_release(lockfd);
	return code;
}
