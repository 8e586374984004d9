/* reports.c: the reports gather writes from the combined file.
 *
 * Each --report FORMAT[=PATH] is the matching coverage.py command on the
 * combined file, with covsettle's own words (--data-file, --rcfile, -o or
 * -d PATH) and then that report's --report-option words, in order. Every
 * text report, and the one --fail-under needs, is one `coverage report`
 * whose output covsettle captures: its TOTAL line is the total, and its
 * text goes to each text=PATH or back to the command layer. When the
 * coverage command is a Python one, every report runs in one process of
 * its Python (reports_py.c) through coverage.py's own main(): the same
 * files, output and statuses, one Python start instead of one per
 * report. */
#include "reports.h"
#include "child.h"
#include "covcmd.h"
#include "coverage.h"
#include "reports_py.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* What reports_run() was asked for. */
struct reporting {
	const struct covcmd *cc;
	const struct report *reps; /* --report, in order */
	int n;
	const char *fail_under; /* as given, or NULL */
	const char *stage;	/* the staging directory */
};

static const char *const format_names[RF_COUNT] = {
	[RF_TEXT] = "text", [RF_JSON] = "json", [RF_HTML] = "html",
	[RF_XML] = "xml",   [RF_LCOV] = "lcov",
};

const char *
reports_format_name(enum report_format f)
{
	return format_names[f];
}

/* The total percentage of a text report, as a number (or -1) and as
 * coverage.py wrote it (with its rcfile's precision), whatever the
 * rcfile's [report] format: its TOTAL line ("TOTAL ... 88.82%"), the
 * markdown table's ("| **TOTAL** | ... | **88.82%** |"), or for format =
 * total, its first line, one number ("88.82"). */
static double
total_of(const char *text, char *shown, size_t len)
{
	const char *line, *pct, *start, *end;
	double v = -1;
	char *e;

	if (text == NULL)
		return -1;
	for (line = text; line != NULL && *line;
	     line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
		if (strncmp(line, "TOTAL ", 6) != 0 &&
		    strncmp(line, "| **TOTAL** ", 12) != 0)
			continue;
		end = strchr(line, '\n');
		if ((pct = memrchr(line, '%',
				   end ? (size_t)(end - line)
				       : strlen(line))) == NULL)
			break;
		for (start = pct;
		     start > line && start[-1] != ' ' && start[-1] != '*';
		     start--)
			;
		v = strtod(start, NULL);
		snprintf(shown, len, "%.*s", (int)(pct + 1 - start), start);
	}
	if (v >= 0 || !isdigit((unsigned char)text[0]))
		return v;
	/* format = total: a first line that is one number (what follows is
	 * coverage.py's own "Coverage failure: ..." under a fail-under). */
	v = strtod(text, &e);
	if (e == text || (*e != '\n' && *e != '\0') || v < 0 || v > 100)
		return -1;
	snprintf(shown, len, "%.*s%%", (int)(e - text), text);
	return v;
}

/* Write a text report to path, making the directories above it as
 * coverage.py does for its file reports. */
static int
write_text(const struct reporting *x, const char *path, const char *text)
{
	char dir[PATH_MAX], *slash;
	FILE *f;
	bool bad;

	if (fmt(dir, sizeof(dir), "%s", path) == 0 &&
	    (slash = strrchr(dir, '/')) != NULL && slash != dir) {
		*slash = '\0';
		if (make_dirs(dir, x->cc->r->msg) < 0) {
			x->cc->r->status = GS_ERROR;
			return -1;
		}
	}
	f = fopen(path, "we");
	bad = f == NULL;

	/* fclose() frees f even when it fails: exactly one call. */
	if (f != NULL) {
		bad = fputs(text, f) == EOF;
		bad |= fclose(f) == EOF;
	}
	if (bad) {
		x->cc->r->status = GS_ERROR;
		return seterr(x->cc->r->msg, "cannot write %s: %s", path,
			      strerror(errno));
	}
	return 0;
}

/* After the text report ran: its total, and its text where asked. */
static int
text_done(const struct reporting *x, const char *out)
{
	int i, rc = 0;

	x->cc->r->total = total_of(out, x->cc->r->total_text,
				   sizeof(x->cc->r->total_text));
	for (i = 0; i < x->n; i++) {
		const struct report *rep = &x->reps[i];

		if (rep->format != RF_TEXT)
			continue;
		if (rep->path == NULL && x->cc->r->text == NULL)
			x->cc->r->text = xstrdup(out);
		else if (rep->path != NULL && write_text(x, rep->path, out) < 0)
			rc = -1;
	}
	return rc;
}

/* A failed text report printed its reason ("No data to report.") on the
 * standard output that gather captured, not on standard error: end the
 * message with its last line, less the final period. */
static void
add_reason(const struct reporting *x, const char *out)
{
	const char *end = out + strlen(out), *line;
	size_t len = strlen(x->cc->r->msg);

	while (end > out && strchr(" \t\r\n.", end[-1]) != NULL)
		end--;
	for (line = end; line > out && line[-1] != '\n'; line--)
		;
	if (end > line && len + 2 < sizeof(x->cc->r->msg))
		snprintf(x->cc->r->msg + len, sizeof(x->cc->r->msg) - len,
			 ": %.*s", (int)(end - line), line);
}

/* The --report-option words of rep, after coverage.py's own, so that
 * its parser sees them as the user wrote them. */
static void
report_opts(struct argv *a, const struct report *rep)
{
	int i;

	for (i = 0; i < rep->nopts; i++)
		argv_add(a, rep->opts[i]);
}

/* Every text report is one `coverage report`: it takes the options of
 * each --report text, in order. */
static void
text_opts(const struct reporting *x, struct argv *a)
{
	int i;

	for (i = 0; i < x->n; i++)
		if (x->reps[i].format == RF_TEXT)
			report_opts(a, &x->reps[i]);
}

/* The words after the coverage command: the text report (rep NULL), run
 * once for every --report text[=PATH] and for --fail-under (--json adds
 * no report: its total is the text report's, else null); or a file
 * report. */
static void
report_words(const struct reporting *x, struct argv *a,
	     const struct report *rep)
{
	static const char *const sub[RF_COUNT] = {
		[RF_JSON] = "json",
		[RF_HTML] = "html",
		[RF_XML] = "xml",
		[RF_LCOV] = "lcov",
	};

	if (rep == NULL) {
		covcmd_sub(x->cc, a, "report");
		if (x->fail_under != NULL)
			argv_addf(a, "--fail-under=%s", x->fail_under);
		text_opts(x, a);
		return;
	}
	covcmd_sub(x->cc, a, sub[rep->format]);
	if (rep->path != NULL) {
		argv_add(a, rep->format == RF_HTML ? "-d" : "-o");
		argv_add(a, rep->path);
	}
	report_opts(a, rep);
}

/* One coverage.py command per report. */
static int
report_cmd(const struct reporting *x, const struct report *rep)
{
	struct child_result res;
	struct argv a = { 0 };
	int rc;

	covcmd_words(x->cc, &a);
	report_words(x, &a, rep);
	rc = covcmd_run(x->cc, &a, rep == NULL, &res);
	argv_free(&a);
	if (rc < 0 && x->cc->r->status == GS_FAILED && res.out != NULL)
		add_reason(x, res.out);
	else if (rep == NULL && res.out != NULL && text_done(x, res.out) < 0)
		rc = -1;
	free(res.out);
	free(res.errout);
	return rc;
}

/* Read all of DIR/name (NUL-ended, malloc'd), or NULL. */
static char *
read_stage(const struct reporting *x, const char *name)
{
	char path[PATH_MAX], *buf = NULL;
	size_t len = 0;
	FILE *f;

	if (fmt(path, sizeof(path), "%s/%s", x->stage, name) < 0 ||
	    (f = fopen(path, "re")) == NULL)
		return NULL;
	if (getdelim(&buf, &len, '\0', f) < 0) {
		free(buf);
		buf = xstrdup("");
	}
	fclose(f);
	return buf;
}

/* The command line that writes every report from one process of py
 * (reports_py.c): `PY -c PROGRAM PROG STAGE N WORD...`, one N WORD...
 * per report, with the words report_cmd() would run. *shown is the line
 * for the record, which names the program "<covsettle-reports>" rather
 * than give its text. */
static void
reports_command(const struct reporting *x, const struct report **reps, int n,
		const struct argv *py, const char *prog, struct argv *a,
		char **shown)
{
	struct argv w;
	int i, k, script;

	for (i = 0; i < py->n; i++)
		argv_add(a, py->v[i]);
	argv_add(a, "-c");
	script = a->n;
	argv_add(a, "<covsettle-reports>");
	argv_add(a, prog);
	argv_add(a, x->stage);
	for (i = 0; i < n; i++) {
		memset(&w, 0, sizeof(w));
		report_words(x, &w, reps[i]);
		argv_addf(a, "%d", w.n);
		for (k = 0; k < w.n; k++)
			argv_add(a, w.v[k]);
		argv_free(&w);
	}
	*shown = argv_text(a);
	free(a->v[script]);
	a->v[script] = xstrdup(reports_py);
}

/* The statuses the one process wrote to the staging directory, one line
 * per report, taken in order as report_cmd() results would be; how_ended
 * is the process's wait status, for a report it never reached. 0 when
 * every report was written. */
static int
reports_statuses(const struct reporting *x, const struct report **reps, int n,
		 int how_ended)
{
	char *status, *text, *p, *line, how[128], cut[SHOWN_LINE + 1];
	struct argv w;
	int i, k, st;

	status = read_stage(x, "status");
	for (i = 0, p = status; i < n; i++) {
		memset(&w, 0, sizeof(w));
		covcmd_words(x->cc, &w);
		report_words(x, &w, reps[i]);
		line = argv_text(&w);
		argv_free(&w);
		st = -1;
		if (p != NULL && sscanf(p, "%d", &st) == 1)
			p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL;
		else
			p = NULL;
		text = reps[i] == NULL && st >= 0 ? read_stage(x, "report.txt")
						  : NULL;
		if (st == 0 || st == COVERAGE_FAIL_UNDER) {
			k = text != NULL ? text_done(x, text) : 0;
			free(text);
			free(line);
			if (k < 0)
				break;
			if (st != 0)
				x->cc->r->status = GS_BELOW;
			continue;
		}
		x->cc->r->status = GS_FAILED;
		if (st > 0) {
			seterr(x->cc->r->msg,
			       "the %s report failed: '%s' returned status %d "
			       "(all reports in one coverage.py process)",
			       reps[i] ? reports_format_name(reps[i]->format)
				       : "text",
			       covcmd_cut(line, cut), st);
			if (text != NULL)
				add_reason(x, text);
		} else {
			child_describe(how_ended, how, sizeof(how));
			seterr(x->cc->r->msg,
			       "the %s report was not written: '%s' %s",
			       reps[i] ? reports_format_name(reps[i]->format)
				       : "text",
			       covcmd_cut(
				       x->cc->r->cmds[x->cc->r->ncmds - 1].line,
				       cut),
			       how);
		}
		free(text);
		free(line);
		break;
	}
	free(status);
	return i == n ? 0 : -1;
}

/* Every report from one process of the coverage command's Python
 * (reports_py.c): the same commands as report_cmd() would run, each
 * through coverage.cmdline.main(), so the same files, messages and
 * statuses, with one Python start and one import of coverage.py instead
 * of one per report. */
static int
reports_together(const struct reporting *x, const struct report **reps, int n,
		 const struct argv *py, const char *prog)
{
	struct argv a = { 0 };
	struct child_result res;
	char *shown;
	int rc;

	reports_command(x, reps, n, py, prog, &a, &shown);
	rc = covcmd_record(x->cc, a.v, shown, 0, &res);
	argv_free(&a);
	free(res.out);
	free(res.errout);
	if (rc < 0)
		return -1;
	return reports_statuses(x, reps, n, res.status);
}

/* Can every text=PATH be written once the other reports ran? They are
 * written after all of them in one process, but after the text report
 * alone otherwise, so that a failure stops the rest: where it would fail
 * (a directory not made yet, or read-only), take that path instead. */
static bool
text_paths_writable(const struct reporting *x)
{
	char dir[PATH_MAX], *slash;
	int i;

	for (i = 0; i < x->n; i++) {
		const char *path = x->reps[i].path;

		if (x->reps[i].format != RF_TEXT || path == NULL)
			continue;
		if (fmt(dir, sizeof(dir), "%s", path) < 0)
			return false;
		if ((slash = strrchr(dir, '/')) != NULL)
			slash[slash == dir] = '\0';
		else
			snprintf(dir, sizeof(dir), ".");
		if (access(dir, W_OK | X_OK) < 0 ||
		    (access(path, F_OK) == 0 && access(path, W_OK) < 0))
			return false;
	}
	return true;
}

/* The text report (NULL in reps[]) first, then the file reports. */
static int
write_all_reports(const struct reporting *x)
{
	const struct report *reps[MAX_REPORTS + 1];
	bool text = x->fail_under != NULL;
	struct argv py = { 0 };
	char prog[PATH_MAX];
	int i, n = 0, rc;

	for (i = 0; i < x->n; i++)
		text |= x->reps[i].format == RF_TEXT;
	if (text)
		reps[n++] = NULL;
	for (i = 0; i < x->n; i++)
		if (x->reps[i].format != RF_TEXT)
			reps[n++] = &x->reps[i];
	if (n > 0 && text_paths_writable(x) &&
	    coverage_python(x->cc->cmd, &py, prog, sizeof(prog))) {
		rc = reports_together(x, reps, n, &py, prog);
		argv_free(&py);
		return rc;
	}
	for (i = 0; i < n; i++)
		if (report_cmd(x, reps[i]) < 0 && x->cc->r->status != GS_BELOW)
			return -1;
	return 0;
}

int
reports_run(const struct covcmd *cc, const struct report *reps, int n,
	    const char *fail_under, const char *stage)
{
	const struct reporting x = { cc, reps, n, fail_under, stage };

	return write_all_reports(&x);
}
