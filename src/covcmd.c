/* covcmd.c: the coverage.py commands a gather runs on its combined file
 * (the combine, the reports): their words, each run as a child in its
 * own process group with its stderr relayed, and the record of what ran
 * and how it ended, which -v and --json show. A signal that reached
 * covsettle meanwhile, or a command that could not start, ends the
 * gather; a report's total below fail_under is told from a failure by
 * coverage.py's exit status 2. */
#include "covcmd.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

/* A coverage.py subcommand's words on the combined file. */
void
covcmd_sub(const struct covcmd *cc, struct argv *a, const char *sub)
{
	argv_add(a, sub);
	argv_addf(a, "--data-file=%s", cc->data);
	if (cc->rcfile != NULL)
		argv_addf(a, "--rcfile=%s", cc->rcfile);
}

/* The coverage command's own words. */
void
covcmd_words(const struct covcmd *cc, struct argv *a)
{
	int i;

	for (i = 0; i < cc->cmd->n; i++)
		argv_add(a, cc->cmd->v[i]);
}

/* Run argv as the next command of the record, shown there as line (which
 * the record takes). 0 when it ran to its end, whatever its status; -1
 * with the status set when it could not run or a signal stopped it. */
int
covcmd_record(const struct covcmd *cc, char *const argv[], char *line,
	      int capture_out, struct child_result *res)
{
	struct gather_cmd *cmd;

	memset(res, 0, sizeof(*res)); /* freed by the caller, whatever */
	if (cc->r->ncmds == GATHER_MAX_CMDS) {
		free(line);
		cc->r->status = GS_ERROR;
		return seterr(cc->r->msg, "too many commands");
	}
	cmd = &cc->r->cmds[cc->r->ncmds++];
	cmd->line = line;
	if (child_run(argv, cc->sigfd, cc->out_fd, capture_out, CAPTURE_RELAY,
		      CHILD_UNMEASURED, res, cc->r->msg) < 0) {
		cmd->status = 127 << 8;
		cc->r->status = GS_FAILED;
		return -1;
	}
	cmd->status = res->status;
	cmd->ms = res->ms;
	if (res->signo) {
		cc->r->status = GS_SIGNAL;
		cc->r->signo = res->signo;
		return -1;
	}
	return 0;
}

/* line as a message shows it: itself, or its ends around "...", in buf. */
const char *
covcmd_cut(const char *line, char buf[SHOWN_LINE + 1])
{
	size_t len = strlen(line), head = (SHOWN_LINE - 3) * 2 / 3;

	if (len <= SHOWN_LINE)
		return line;
	snprintf(buf, SHOWN_LINE + 1, "%.*s...%s", (int)head, line,
		 line + len - (SHOWN_LINE - 3 - head));
	return buf;
}

/* Run a; records it. 0 when it exited 0; else sets status and msg. */
int
covcmd_run(const struct covcmd *cc, struct argv *a, int capture_out,
	   struct child_result *res)
{
	char how[128], cut[SHOWN_LINE + 1];

	if (covcmd_record(cc, a->v, argv_text(a), capture_out, res) < 0)
		return -1;
	if (child_ok(res->status))
		return 0;
	if (WIFEXITED(res->status) &&
	    WEXITSTATUS(res->status) == COVERAGE_FAIL_UNDER &&
	    strcmp(a->v[cc->cmd->n], "combine") != 0) {
		cc->r->status = GS_BELOW;
		return -1;
	}
	child_describe(res->status, how, sizeof(how));
	cc->r->status = GS_FAILED;
	return seterr(cc->r->msg, "'%s' %s",
		      covcmd_cut(cc->r->cmds[cc->r->ncmds - 1].line, cut), how);
}
