/* cmd_gather.c: `covsettle gather DIR`: the lock, the coverage.py command,
 * the wait (shared with `wait`), then the gather pipeline; prints the
 * outcome and picks the exit status. */
#include "cli.h"
#include "cmd_gather.h"
#include "cmd_wait.h"
#include "coverage.h"
#include "exitcode.h"
#include "gather.h"
#include "lock.h"
#include "pathread.h"
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
gather_report(const struct cli *c, const struct gather_result *g,
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
	case GS_VANISHED: /* only when not waiting again */
	case GS_CHANGED:
	case GS_ERROR:
		seterr(msg, "%s", g->msg);
		out_error("%s", msg);
		return g->status == GS_ERROR ? EXIT_WATCH : EXIT_INVALID;
	case GS_SIGNAL:
		return cli_stopped(g->signo, "; the data files are untouched");
	}
	return EXIT_COVERAGE;
}

/* gather settled, then ended with code: --json's status and message
 * say how (a failure after the wait is no "settled"). */
static void
after_wait(struct wait_result *w, int code, const char *msg)
{
	if (code == EXIT_OK)
		return;
	if (code == EXIT_INVALID)
		w->status = WS_INVALID;
	else if (code >= EXIT_SIGNAL)
		w->status = WS_SIGNAL;
	else if (code != EXIT_BELOW)
		w->status = WS_ERROR;
	w->signo = code >= EXIT_SIGNAL ? code - EXIT_SIGNAL : 0;
	snprintf(w->msg, sizeof(w->msg), "%s", msg);
}

/* The wait's members when gather ended before the wait began: no files
 * were seen. */
static void
no_wait_json(const struct cli *c, int code, const char *msg)
{
	enum wait_status st = code == EXIT_TIMEOUT  ? WS_TIMEOUT
			      : code >= EXIT_SIGNAL ? WS_SIGNAL
						    : WS_ERROR;

	printf(",\"dir\":");
	json_str(stdout, c->o.dir);
	printf(",\"status\":\"%s\",\"elapsed_ms\":%lld,\"expect\":%ld,"
	       "\"polling\":false,\"message\":",
	       cmd_wait_status(st), (long long)(clock_ms() - c->o.start),
	       c->o.expect);
	json_str(stdout, msg[0] ? msg : NULL);
	printf(",\"writers_unseen\":0,\"writer_unseen\":null,"
	       "\"quiet_cut_short\":false,\"members_without_data\":0");
	printf(",\"files\":[],\"lost\":[],\"quarantined\":[]");
}

static void
print_json(const struct cli *c, const struct wait_result *w,
	   const struct coverage_find *p, const struct gather_result *g,
	   int code, const char *msg, bool lock_lost)
{
	char *text = p->state == FIND_FOUND ? argv_text(&p->cmd) : NULL;
	int i, j;

	printf("{\"command\":\"gather\",\"exit\":%d", code);
	if (w != NULL)
		cmd_wait_json(c, w);
	else
		no_wait_json(c, code, msg);
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
		       report_format_name(c->reports[i].format));
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
	free(text);
}

/* The end of the search for coverage.py, when it must be known before
 * going on: an exit status, or -1 when a command was found. */
static int
find_done(const struct cli *c, struct coverage_find *p, char *msg)
{
	int signo;

	if (coverage_find_wait(p, c->o.sigfd, cli_deadline(c), &signo) ==
	    FIND_FOUND)
		return -1;
	if (signo)
		return cli_stopped(signo, NULL);
	snprintf(msg, ERRLEN, "%s", p->err);
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
take_lock(const struct cli *c, struct coverage_find *p, int *fd, char *msg)
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
	if (st == LOCK_BUSY && (code = find_done(c, p, msg)) >= 0)
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
			 report_format_name(r->format),
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
lock_deleted(const struct cli *c, int lockfd)
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

/* What runs beside the wait: the search for coverage.py, and the early
 * question to the coverage command it knows (native.c). */
struct helpers {
	const struct cli *c;
	struct coverage_find *find;
	struct native_early *early;
};

/* The waiter's helper: the search for coverage.py goes on during the
 * wait, and ends it when no candidate runs. Once the command is known (a
 * named one, a candidate recognised as coverage.py, or one found), the
 * native combine's question to it starts, so that its Python start and
 * import overlap the wait; when the search moves on to another
 * candidate, the question follows it. */
static int
find_helper(void *ctx, char *msg)
{
	struct helpers *h = ctx;

	if (coverage_find_poll(h->find) != FIND_NONE) {
		native_early_start(h->early, h->c->combine, &h->find->cmd,
				   h->c->rcfile);
		return 0;
	}
	snprintf(msg, ERRLEN, "%s", h->find->err);
	return 1;
}

/* The waiter's question: when was pid last started as one of the
 * search's processes or an early question (0: never)? */
static int64_t
find_pid(void *ctx, pid_t pid)
{
	const struct helpers *h = ctx;
	int64_t a = coverage_find_spawned(h->find, pid);
	int64_t b = native_early_spawned(h->early, pid);

	return a > b ? a : b;
}

int
cmd_gather(int argc, char **argv)
{
	struct wait_result *w = NULL;
	struct gather_result g;
	struct gather_opts go;
	struct coverage_find find = { .state = FIND_NONE, .outfd = -1 };
	struct native_early early = { 0 };
	struct helpers h;
	char err[ERRLEN] = "";
	int code, found, lockfd = -1;
	bool gathered = false, lock_lost;
	struct cli c;

	if ((code = cli_start(argc, argv, "gather", &c)) >= 0)
		return code;
	c.o.note = cmd_wait_note;
	c.o.ctx = &c;
	if ((code = cwd_removed(&c, err)) >= 0)
		goto out;
	/* The search for coverage.py runs alongside the lock and the wait;
	 * a command that cannot even be started is known at once. */
	if (coverage_find_start(&find, c.coverage,
				getenv("COVSETTLE_COVERAGE")) == FIND_NONE) {
		snprintf(err, sizeof(err), "%s", find.err);
		out_error("%s", err);
		code = EXIT_COVERAGE;
		goto out;
	}
	if ((code = take_lock(&c, &find, &lockfd, err)) >= 0)
		goto out;
	if ((found = gather_sweep(c.o.dir)) > 0)
		out_info("removed %d staging director%s left in %s by a gather "
			 "that is gone",
			 found, found == 1 ? "y" : "ies", c.o.dir);
	c.o.helper = find_helper;
	c.o.helper_pid = find_pid;
	/* The inputs' paths, for the native combine's question, are read
	 * as each file passes its check (pathread.c). */
	if (c.combine != CM_COVERAGE)
		early.paths = pathread_new();
	c.o.reader = pathread_reader(early.paths);
	h = (struct helpers){ &c, &find, &early };
	c.o.helper_ctx = &h;
again:
	w = xmalloc(sizeof(*w));
	waiter_run(&c.o, w);
	if (w->status == WS_SIGNAL) {
		coverage_find_stop(&find, w->signo);
		native_early_stop(&early, w->signo);
	}
	if ((code = cmd_wait_report(&c, w)) != EXIT_OK)
		goto out;
	/* A named command, or a candidate recognised as coverage.py, may
	 * combine before its --version has ended (gather checks it before the
	 * reports); another found on PATH may not: it could be another
	 * program called coverage. */
	if ((settle_ready(w->s) == 0 || find.cmd.n == 0) &&
	    (found = find_done(&c, &find, err)) >= 0) {
		code = found;
		goto out;
	}
	if (settle_ready(w->s) == 0) {
		out_info("no data files in %s to combine", c.o.dir);
		if (c.fail_under != NULL && c.fail_under_pct > 0) {
			seterr(err,
			       "no coverage data, so below --fail-under %s",
			       c.fail_under);
			out_error("%s", err);
			code = EXIT_BELOW;
		}
		goto out;
	}
	go = (struct gather_opts){ &c,	 &find,	    w->realdir,
				   w->s, c.o.sigfd, &early };
	gather_run(&go, &g);
	gathered = true;
	if (g.status == GS_SIGNAL) {
		coverage_find_stop(&find, g.signo);
		native_early_stop(&early, g.signo);
	}
	/* The files that settled were deleted under the gather: what is in
	 * DIR now is waited for, as a directory emptied or made again
	 * during the wait is, until the deadline. The trigger ran once. */
	if (g.status == GS_VANISHED) {
		out_warn(true, "%s; waiting again", g.msg);
		gather_free(&g);
		gathered = false;
		settle_free(w->s);
		free(w);
		c.o.trigger = NULL;
		goto again;
	}
	code = gather_report(&c, &g, w, err);
out:
	if (w != NULL && w->status == WS_SETTLED)
		after_wait(w, code, err);
	lock_lost = lock_deleted(&c, lockfd);
	if (c.json)
		print_json(&c, w, &find, gathered ? &g : NULL, code, err,
			   lock_lost);
	if (gathered)
		gather_free(&g);
	if (w != NULL) {
		settle_free(w->s);
		free(w);
	}
	/* Every path that did not use the early question ends it here,
	 * before the lock is let go. */
	native_early_stop(&early, SIGTERM);
	pathread_free(early.paths);
	lock_release(lockfd);
	coverage_find_free(&find);
	return code;
}
