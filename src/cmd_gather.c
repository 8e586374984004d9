/* cmd_gather.c: `covsettle gather DIR`: the lock, the coverage.py command,
 * the wait (shared with `wait`), then the gather pipeline; prints the
 * outcome and picks the exit status. */
#include "cli.h"
#include "cmd.h"
#include "coverage.h"
#include "gather.h"
#include "lock.h"
#include "waiter.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

/* Exit status of the gather pipeline's outcome, after saying it. */
static int
gather_report(const struct cli *c, const struct gather_result *g)
{
	switch (g->status) {
	case GS_OK:
	case GS_BELOW:
		if (g->text != NULL) {
			fputs(g->text, c->json ? stderr : stdout);
			fflush(c->json ? stderr : stdout);
		}
		out_info("combined %ld data file%s from %s into %s%s",
			 g->ninputs, g->ninputs == 1 ? "" : "s", c->o.dir,
			 g->data_file,
			 g->deleted ? "; inputs deleted (--no-keep)" : "");
		if (g->status == GS_OK)
			return EX_SETTLED;
		if (g->total >= 0)
			out_error("total coverage %s is below --fail-under %s",
				  g->total_text,
				  c->fail_under ? c->fail_under
						: "(the rcfile's fail_under)");
		else
			out_error("total coverage is below the fail-under "
				  "threshold");
		return EX_BELOW;
	case GS_FAILED:
		out_error("%s; the data files in %s are untouched", g->msg,
			  c->o.dir);
		return EX_COVERAGE;
	case GS_CHANGED:
		out_error("%s", g->msg);
		return EX_INVALID;
	case GS_SIGNAL:
		return cli_stopped(g->signo, "; the data files are untouched");
	case GS_ERROR:
		out_error("%s", g->msg);
		return EX_WATCH;
	}
	return EX_COVERAGE;
}

/* The wait's members when gather ended before the wait began: no files
 * were seen. */
static void
no_wait_json(const struct cli *c, int code, const char *msg)
{
	printf(",\"dir\":");
	json_str(stdout, c->o.dir);
	printf(",\"status\":\"%s\",\"elapsed_ms\":%lld,\"expect\":%ld,"
	       "\"polling\":false,\"message\":",
	       code == EX_TIMEOUT  ? "timeout"
	       : code >= EX_SIGNAL ? "signal"
				   : "error",
	       (long long)(clock_ms() - c->o.start), c->o.expect);
	json_str(stdout, msg[0] ? msg : NULL);
	printf(",\"files\":[],\"lost\":[],\"quarantined\":[]");
}

static void
print_json(const struct cli *c, const struct wait_result *w,
	   const struct probe *p, const struct gather_result *g, int code,
	   const char *msg)
{
	char *text = p->state == PROBE_FOUND ? argv_text(&p->cmd) : NULL;
	int i;

	printf("{\"command\":\"gather\",\"exit\":%d", code);
	if (w != NULL)
		cli_wait_json(c, w);
	else
		no_wait_json(c, code, msg);
	printf(",\"coverage\":");
	json_str(stdout, text);
	printf(",\"data_file\":");
	json_str(stdout, g ? g->data_file : NULL);
	printf(",\"inputs\":%ld,\"inputs_deleted\":%s,\"commands\":[",
	       g ? g->ninputs : 0, g && g->deleted ? "true" : "false");
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
		printf("}");
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
probe_done(const struct cli *c, struct probe *p, char *msg)
{
	int signo;

	if (probe_wait(p, c->o.sigfd, &signo) == PROBE_FOUND)
		return -1;
	if (signo)
		return cli_stopped(signo, NULL);
	snprintf(msg, ERRLEN, "%s", p->err);
	out_error("%s", msg);
	return EX_COVERAGE;
}

/* Take DIR's lock, waiting for another gather unless --no-wait-lock. */
static int
take_lock(const struct cli *c, struct probe *p, int *fd, char *msg)
{
	msec_t deadline = c->o.timeout > 0 ? c->o.start + c->o.timeout : -1;
	enum lock_state st;
	char err[ERRLEN];
	pid_t holder;
	int signo, code;

	st = lock_take(c->o.dir, false, deadline, c->o.sigfd, fd, &holder,
		       &signo, err);
	/* Busy: a missing coverage.py still ends gather before it waits
	 * (the lock's loop reads no SIGCHLD for the probe). */
	if (st == LOCK_BUSY && (code = probe_done(c, p, msg)) >= 0)
		return code;
	if (st == LOCK_BUSY && c->no_wait_lock) {
		seterr(msg,
		       "another gather (pid %d) is running on %s "
		       "(--no-wait-lock)",
		       (int)holder, c->o.dir);
		out_error("%s", msg);
		return EX_TIMEOUT;
	}
	if (st == LOCK_BUSY) {
		out_info("waiting for the gather of pid %d on %s to finish",
			 (int)holder, c->o.dir);
		st = lock_take(c->o.dir, true, deadline, c->o.sigfd, fd,
			       &holder, &signo, err);
	}
	switch (st) {
	case LOCK_TAKEN:
		return -1;
	case LOCK_BUSY:
	case LOCK_TIMEOUT:
		seterr(msg, "timed out waiting for the gather of pid %d on %s",
		       (int)holder, c->o.dir);
		out_error("%s", msg);
		return EX_TIMEOUT;
	case LOCK_SIGNAL:
		return cli_stopped(signo, NULL);
	case LOCK_ERROR:
		break;
	}
	snprintf(msg, ERRLEN, "%s", err);
	out_error("%s", err);
	return EX_WATCH;
}

/* The waiter's helper: the search for coverage.py goes on during the
 * wait, and ends it when no candidate runs. */
static int
probe_helper(void *ctx, char *msg)
{
	struct probe *p = ctx;

	if (probe_poll(p) != PROBE_NONE)
		return 0;
	snprintf(msg, ERRLEN, "%s", p->err);
	return 1;
}

int
cmd_gather(int argc, char **argv)
{
	struct wait_result *w = NULL;
	struct gather_result g;
	struct gather_opts go;
	struct probe probe;
	char err[ERRLEN] = "";
	int code, found, lockfd = -1;
	bool gathered = false;
	struct cli c;

	if ((code = cli_start(argc, argv, "gather", &c)) >= 0)
		return code;
	/* The search for coverage.py runs alongside the lock and the wait;
	 * a command that cannot even be started is known at once. */
	if (probe_start(&probe, c.coverage, getenv("COVSETTLE_COVERAGE")) ==
	    PROBE_NONE) {
		snprintf(err, sizeof(err), "%s", probe.err);
		out_error("%s", err);
		code = EX_COVERAGE;
		goto out;
	}
	if ((code = take_lock(&c, &probe, &lockfd, err)) >= 0)
		goto out;
	if ((found = gather_sweep(c.o.dir)) > 0)
		out_info("removed %d staging director%s left in %s by a gather "
			 "that is gone",
			 found, found == 1 ? "y" : "ies", c.o.dir);
	w = xmalloc(sizeof(*w));
	c.o.helper = probe_helper;
	c.o.helper_ctx = &probe;
	waiter_run(&c.o, w);
	if (w->status == WS_SIGNAL)
		probe_stop(&probe, w->signo);
	if ((code = cli_wait_report(&c, w)) != EX_SETTLED)
		goto out;
	/* A named command, or a candidate recognised as coverage.py, may
	 * combine before its probe has ended (gather checks it before the
	 * reports); another found on PATH may not: it could be another
	 * program called coverage. */
	if ((settle_ready(w->s) == 0 || probe.cmd.n == 0) &&
	    (found = probe_done(&c, &probe, err)) >= 0) {
		code = found;
		goto out;
	}
	if (settle_ready(w->s) == 0) {
		out_info("no data files in %s to combine", c.o.dir);
		if (c.fail_under != NULL && c.fail_under_pct > 0) {
			out_error("no coverage data, so below --fail-under %s",
				  c.fail_under);
			code = EX_BELOW;
		}
		goto out;
	}
	go = (struct gather_opts){ &c, &probe, w->realdir, w->s, c.o.sigfd };
	gather_run(&go, &g);
	gathered = true;
	if (g.status == GS_SIGNAL)
		probe_stop(&probe, g.signo);
	code = gather_report(&c, &g);
out:
	if (c.json)
		print_json(&c, w, &probe, gathered ? &g : NULL, code, err);
	if (gathered)
		gather_free(&g);
	if (w != NULL) {
		settle_free(w->s);
		free(w);
	}
	lock_release(lockfd);
	probe_free(&probe);
	return code;
}
