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
	   const struct argv *cov, const struct gather_result *g, int code,
	   const char *msg)
{
	char *text = cov->n ? argv_text(cov) : NULL;
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

/* Take DIR's lock, waiting for another gather unless --no-wait-lock. */
static int
take_lock(const struct cli *c, int *fd, char *msg)
{
	msec_t deadline = c->o.timeout > 0 ? c->o.start + c->o.timeout : -1;
	enum lock_state st;
	char err[ERRLEN];
	pid_t holder;
	int signo;

	st = lock_take(c->o.dir, false, deadline, c->o.sigfd, fd, &holder,
		       &signo, err);
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

int
cmd_gather(int argc, char **argv)
{
	struct wait_result *w = NULL;
	struct gather_result g;
	struct gather_opts go;
	struct argv cov = { 0 };
	char err[ERRLEN] = "";
	int code, lockfd = -1, signo;
	bool gathered = false;
	struct cli c;

	if ((code = cli_start(argc, argv, "gather", &c)) >= 0)
		return code;
	/* Before any wait: a missing coverage.py is known at once. */
	if (coverage_find(c.coverage, getenv("COVSETTLE_COVERAGE"), c.o.sigfd,
			  &cov, &signo, err) < 0) {
		if (signo)
			return cli_stopped(signo, NULL);
		out_error("%s", err);
		code = EX_COVERAGE;
		goto out;
	}
	if ((code = take_lock(&c, &lockfd, err)) >= 0)
		goto out;
	w = xmalloc(sizeof(*w));
	waiter_run(&c.o, w);
	if ((code = cli_wait_report(&c, w)) != EX_SETTLED)
		goto out;
	if (settle_ready(w->s) == 0) {
		out_info("no data files in %s to combine", c.o.dir);
		if (c.fail_under != NULL && c.fail_under_pct > 0) {
			out_error("no coverage data, so below --fail-under %s",
				  c.fail_under);
			code = EX_BELOW;
		}
		goto out;
	}
	go = (struct gather_opts){ &c, &cov, w->realdir, w->s, c.o.sigfd };
	gather_run(&go, &g);
	gathered = true;
	code = gather_report(&c, &g);
out:
	if (c.json)
		print_json(&c, w, &cov, gathered ? &g : NULL, code, err);
	if (gathered)
		gather_free(&g);
	if (w != NULL) {
		settle_free(w->s);
		free(w);
	}
	lock_release(lockfd);
	argv_free(&cov);
	return code;
}
