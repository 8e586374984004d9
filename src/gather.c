/* gather.c: the gather engine's front door and its pipeline: coverage.py
 * on exactly the files that settled.
 *
 * Beside the lock and the wait, the engine runs the search for
 * coverage.py and, once the command is known, the early question to it
 * (choice.c), both as the waiter's helper. After the wait, the pipeline:
 * the inputs are staged (stage.c), their kinds must agree, they are
 * combined natively or by coverage.py into DIR/.covsettle-gather.XXXXXX/
 * combined, which is checked like any data file (confirm(): also that the
 * command that combined is the one found), the inputs must be unchanged,
 * the reports run on it there (reports.c), where its `combined.*` glob
 * matches no input, and it is moved to --data-file; --no-keep deletes the
 * inputs last. coverage.py exits 0 when it skipped a file with a warning,
 * so its stderr is read for warnings that name an input (account()).
 * When a step fails because the inputs were deleted meanwhile, the
 * outcome says so (GS_VANISHED) and the caller waits anew. */
#include "gather.h"
#include "check.h"
#include "covcmd.h"
#include "coverage.h"
#include "pathread.h"
#include "stage.h"
#include "waiter.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *const skip_warnings[] = {
	"Couldn't use data file",
	"Couldn't combine",
	"No data to combine",
};

struct gather {
	struct gather_opts o;
	struct coverage_find find; /* the search for coverage.py */
	struct choice_early early; /* the question to it, asked early */
};

/* One run of the pipeline. */
struct pipeline {
	struct gather *g;
	struct gather_result *r;
	struct stage st;   /* the staged inputs and the combined file */
	struct covcmd cc;  /* the coverage.py commands on it */
	bool coverage_ran; /* coverage.py's combine ran, not the native */
};

/* A step of stage.c failed: its outcome as the gather's. -1. */
static int
staging_failed(struct pipeline *pl)
{
	pl->r->status = pl->st.status == STAGE_CHANGED ? GS_CHANGED : GS_ERROR;
	return -1;
}

/* Stage every input, in the order coverage.py would read them: with more
 * than one, that order is its version's, so the search must have ended
 * (it ran during the wait). 0, or -1 with the status set. */
static int
take_inputs(struct pipeline *pl)
{
	struct gather *g = pl->g;
	bool sorted = false;
	int signo, rc;

	if (stage_open(&pl->st) < 0)
		return staging_failed(pl);
	if (stage_ninputs(pl->st.s) >= 2) {
		if (g->find.state != FIND_FOUND &&
		    coverage_find_wait(&g->find, g->o.sigfd, g->o.deadline,
				       &signo) != FIND_FOUND) {
			pl->r->status = signo ? GS_SIGNAL : GS_FAILED;
			pl->r->signo = signo;
			return seterr(pl->r->msg, "%s", g->find.err);
		}
		sorted = coverage_sorts_inputs(g->find.version);
	}
	rc = stage_inputs(&pl->st, sorted, g->o.combine != CM_COVERAGE);
	pl->r->ninputs = pl->st.n;
	return rc < 0 ? staging_failed(pl) : 0;
}

/* What an input measured, for a message. */
static const char *
kind(const struct sfile *f)
{
	return f->check.arcs ? "branches" : "lines only";
}

/* coverage.py combines no line data with branch data, on any version,
 * and says so naming its private copies (or, before 7, no file at all).
 * Its rule, applied here in its order, before anything runs: the first
 * input with rows sets the kind of the combined data, and any later
 * input whose has_arcs says the other kind fails the combine (one
 * without rows before it never does). 0, or -1 with the status set,
 * naming the user's two files. */
static int
kinds_agree(struct pipeline *pl)
{
	const struct sfile *first = NULL, *f;
	long i;

	for (i = 0; i < pl->st.n; i++) {
		f = pl->st.staged[i].f;
		if (f->check.nodata)
			continue;
		if (first != NULL && f->check.arcs != first->check.arcs) {
			pl->r->status = GS_FAILED;
			return seterr(pl->r->msg,
				      "cannot combine %s/%s, which measured "
				      "%s, with %s/%s, which measured %s "
				      "(coverage.py combines no line data "
				      "with branch data); nothing is combined",
				      pl->g->o.dir, f->name, kind(f),
				      pl->g->o.dir, first->name, kind(first));
		}
		if (first == NULL && f->check.rows)
			first = f;
	}
	return 0;
}

/* The words of a coverage.py subcommand on the combined file. */
static void
command_sub(struct pipeline *pl, struct argv *a, const char *sub)
{
	covcmd_words(&pl->cc, a);
	covcmd_sub(&pl->cc, a, sub);
}

/* The native combine (choice.c) when --combine and coverage.py allow
 * it: 1 when it wrote the combined file, 0 when coverage.py is to
 * combine, -1 with the status set. */
static int
try_native(struct pipeline *pl)
{
	struct choice_opts no = {
		.how = pl->g->o.combine,
		.cmd = &pl->g->find.cmd,
		.rcfile = pl->g->o.rcfile,
		.indir = pl->st.in,
		.output = pl->st.combined,
		.sigfd = pl->g->o.sigfd,
		.early = &pl->g->early,
	};

	switch (choice_combine(&no, &pl->r->combine, &pl->r->signo,
			       pl->r->msg)) {
	case CHOICE_DONE:
		return 1;
	case CHOICE_DECLINED:
		return 0;
	case CHOICE_SIGNAL:
		pl->r->status = GS_SIGNAL;
		return -1;
	case CHOICE_FULL: /* as a copy that finds no room: exit 7 */
		pl->r->status = GS_ERROR;
		return seterr(pl->r->msg,
			      "cannot write the combined data file: no space "
			      "left in %s (disk or quota full)",
			      pl->g->o.dir);
	case CHOICE_FAILED:
		break;
	}
	pl->r->status = GS_FAILED;
	return -1;
}

/* The staged input named in text at p: its number, or -1. The name is
 * ".covsettle-gather.XXXXXX/in/combined.N", relative or absolute. */
static long
staged_at(struct pipeline *pl, const char *p, const char **end)
{
	char *e;
	long n;

	if (!isdigit((unsigned char)*p))
		return -1;
	n = strtol(p, &e, 10);
	*end = e;
	return n >= 0 && n < pl->st.n && !isdigit((unsigned char)*e) ? n : -1;
}

/* Every staged input that a line of coverage.py's stderr names together
 * with one of warn_words, into bad[]; the reason given for the first one
 * named (what follows its name) into why. Returns how many. */
static long
named_inputs(struct pipeline *pl, const char *text, bool *bad, long *first,
	     char *why, size_t whylen)
{
	static const char *const warn_words[] = { "Couldn't", "arning",
						  "isn't a coverage data" };
	char key[64];
	const char *line, *eol, *p, *end;
	long n, nbad = 0;
	size_t i, k;

	if (text == NULL ||
	    fmt(key, sizeof(key), "%s/in/%s.", strrchr(pl->st.path, '/') + 1,
		STAGE_COMBINED) < 0)
		return 0;
	k = strlen(key);
	for (line = text; *line; line = *eol ? eol + 1 : eol) {
		eol = line + strcspn(line, "\n");
		for (i = 0; i < sizeof(warn_words) / sizeof(*warn_words); i++)
			if (memmem(line, (size_t)(eol - line), warn_words[i],
				   strlen(warn_words[i])) != NULL)
				break;
		if (i == sizeof(warn_words) / sizeof(*warn_words))
			continue;
		for (p = line;
		     (p = memmem(p, (size_t)(eol - p), key, k)) != NULL;
		     p = end) {
			end = p + k;
			if ((n = staged_at(pl, end, &end)) < 0 || bad[n])
				continue;
			bad[n] = true;
			if (nbad++ == 0) {
				*first = n;
				end += strspn(end, "'\": ");
				snprintf(why, whylen, "%.*s",
					 (int)(eol - end < 200 ? eol - end
							       : 200),
					 end);
			}
		}
	}
	return nbad;
}

/* coverage.py combine exits 0 when it skipped an input it could not use
 * ("Couldn't use data file '...in/combined.3': ..."), on every version;
 * 7.14 and later also count it in a summary line that -q suppresses. The
 * warnings name the staged input: exit 5 naming the user's file. 0, or
 * -1 with the status set. */
static int
account(struct pipeline *pl, const struct child_result *res)
{
	bool *bad = xcalloc((size_t)pl->st.n + 1, sizeof(*bad));
	char why[256] = "", more[64] = "";
	long nbad, first = 0;
	size_t k;

	nbad = named_inputs(pl, res->errout, bad, &first, why, sizeof(why));
	free(bad);
	pl->r->status = GS_FAILED;
	if (nbad > 1)
		snprintf(more, sizeof(more), ", nor %ld other input%s",
			 nbad - 1, nbad == 2 ? "" : "s");
	if (nbad > 0)
		return seterr(pl->r->msg,
			      "coverage.py did not combine %s/%s (%s)%s; "
			      "nothing is combined",
			      pl->g->o.dir, pl->st.staged[first].f->name, why,
			      more);
	for (k = 0; k < sizeof(skip_warnings) / sizeof(*skip_warnings); k++)
		if (res->errout != NULL &&
		    strstr(res->errout, skip_warnings[k]))
			return seterr(pl->r->msg,
				      "coverage.py skipped data that covsettle "
				      "had checked (\"%s\"); nothing is "
				      "combined",
				      skip_warnings[k]);
	pl->r->status = GS_OK;
	return 0;
}

/* A command line of the inputs named one by one may grow up to this: far
 * below ARG_MAX (a quarter of the stack limit, 2 MiB by default). */
#define NAMED_INPUTS_MAX ((size_t)512 * 1024)

/* What coverage.py's combine reads: the inputs directory, which 7.4.4
 * and later read in the sorted order of the staged names, that is in
 * stage.c's order; earlier versions read a directory in its own order, so
 * they are given the staged inputs one by one, in order (coverage.py
 * then keeps the order given), unless so many that the command line
 * would near ARG_MAX. */
static void
input_words(struct pipeline *pl, struct argv *a)
{
	char path[PATH_MAX];
	long i;

	if (pl->st.sorted || pl->st.n < 2 ||
	    (size_t)pl->st.n * (strlen(pl->st.in) + 32) >= NAMED_INPUTS_MAX) {
		argv_add(a, pl->st.in);
		return;
	}
	/* Each name was made when it was staged: none too long. */
	for (i = 0; i < pl->st.n; i++)
		if (stage_name(&pl->st, path, sizeof(path), i) == 0)
			argv_add(a, path);
}

/* Combine the staged inputs, natively or by coverage.py, and check the
 * combined file like any data file. 0, or -1 with the status set. */
static int
run_combine(struct pipeline *pl)
{
	struct child_result res;
	struct check_result cr;
	struct argv a = { 0 };
	int rc, dfd;

	if ((rc = try_native(pl)) != 0) {
		if (rc < 0)
			return -1;
		goto check;
	}
	if (stage_copy_linked(&pl->st, pl->r->combine.reads_only) < 0)
		return staging_failed(pl);
	command_sub(pl, &a, "combine");
	argv_add(&a, "--keep");
	argv_add(&a, "-q");
	input_words(pl, &a);
	pl->coverage_ran = true;
	rc = covcmd_run(&pl->cc, &a, 0, &res);
	argv_free(&a);
	if (rc == 0)
		rc = account(pl, &res);
	free(res.out);
	free(res.errout);
	if (rc < 0)
		return -1;
check:
	dfd = open(pl->st.path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	check_file(dfd, pl->st.path, STAGE_COMBINED, &cr);
	if (dfd >= 0)
		close(dfd);
	if (cr.verdict != V_OK) {
		pl->r->status = GS_FAILED;
		return seterr(pl->r->msg, "the combined data file is %s: %s",
			      verdict_name(cr.verdict), cr.reason);
	}
	pl->r->nodata = cr.nodata;
	return 0;
}

/* A named coverage command, or a candidate recognised as coverage.py,
 * combines while its --version may still run (it writes only into the staging
 * directory); before anything else it must have passed. When it failed
 * and a later candidate was found, that one combines again. Returns
 * whether the combined file is there, with the status set if not. */
static bool
confirm(struct pipeline *pl, bool combined)
{
	char *used = argv_text(&pl->g->find.cmd);
	int signo;

	if (coverage_find_wait(&pl->g->find, pl->g->o.sigfd, pl->g->o.deadline,
			       &signo) == FIND_FOUND) {
		char *found = argv_text(&pl->g->find.cmd);

		if (strcmp(used, found) != 0) {
			unlink(pl->st.combined);
			pl->r->status = GS_OK;
			pl->r->msg[0] = '\0';
			combined = run_combine(pl) == 0;
		}
		free(found);
		free(used);
		return combined;
	}
	free(used);
	if (signo) {
		pl->r->status = GS_SIGNAL;
		pl->r->signo = signo;
		return false;
	}
	pl->r->status = GS_FAILED;
	seterr(pl->r->msg, "%s", pl->g->find.err);
	return false;
}

/* Copy src to dst through a temporary name (another filesystem). On
 * failure errno says why, not what the cleanup met. */
static int
copy_file(const char *src, const char *dst)
{
	char tmp[PATH_MAX];
	int in, out = -1, rc = -1, e;

	if (fmt(tmp, sizeof(tmp), "%s.covsettle-tmp", dst) < 0)
		return -1;
	if ((in = open(src, O_RDONLY | O_CLOEXEC)) < 0)
		return -1;
	out = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (out >= 0 && stage_copy_fd(in, out) == 0 && fsync(out) == 0 &&
	    close(out) == 0) {
		out = -1;
		rc = rename(tmp, dst);
	}
	e = errno;
	if (out >= 0)
		close(out);
	close(in);
	if (rc < 0)
		unlink(tmp);
	errno = e;
	return rc;
}

/* Put the combined file at --data-file (its default is cli.c's). */
static int
place_combined(struct pipeline *pl)
{
	const char *dest = pl->g->o.data_file;

	pl->r->data_file = dest;
	if (rename(pl->st.combined, dest) == 0 ||
	    (errno == EXDEV && copy_file(pl->st.combined, dest) == 0))
		return 0;
	pl->r->status = GS_ERROR;
	pl->r->data_file = NULL;
	return seterr(pl->r->msg, "cannot write the combined data file %s: %s",
		      dest, strerror(errno));
}

/* A gather that failed may have failed because its inputs were deleted
 * (an application that removes DIR and makes it again, as a hook may on a
 * restart): every later step fails for want of them, with messages about
 * a change, a missing path or coverage.py's status. When some input is
 * no longer in DIR, or DIR is another directory than when the gather
 * began (dir), that is what happened: GS_VANISHED says it. */
static void
vanished(struct pipeline *pl, const struct stat *dir)
{
	long gone, n;
	bool replaced;

	if (pl->r->status != GS_CHANGED && pl->r->status != GS_FAILED &&
	    pl->r->status != GS_ERROR)
		return;
	gone = stage_gone(&pl->st, dir, &n, &replaced, &pl->r->lost,
			  &pl->r->nlost);
	if (gone == 0 && !replaced)
		return;
	pl->r->status = GS_VANISHED;
	pl->r->combine.method = NULL; /* its reason was the inputs' loss */
	seterr(pl->r->msg,
	       "%ld of the %ld data file%s that settled in %s %s deleted "
	       "before %s combined%s",
	       gone, n, n == 1 ? "" : "s", pl->g->o.dir,
	       gone == 1 ? "was" : "were", gone == 1 ? "it was" : "they were",
	       replaced ? ", with the directory's other contents (removed, "
			  "or emptied)"
			: "");
}

/* The pipeline, once there are inputs and a command to combine them. */
static void
run_pipeline(struct pipeline *pl)
{
	struct gather_result *r = pl->r;
	bool combined = false;
	struct stat dir = { 0 };

	(void)stat(pl->st.realdir, &dir);
	if (take_inputs(pl) == 0 && kinds_agree(pl) == 0) {
		combined = run_combine(pl) == 0;
		/* A command that does not run explains a failed combine. */
		if (r->status != GS_SIGNAL)
			combined = confirm(pl, combined);
		/* A changed input explains any failure but a signal. */
		if (r->status != GS_SIGNAL &&
		    stage_unchanged(&pl->st,
				    pl->coverage_ran
					    ? "while coverage.py combined"
					    : "during the native combine") <
			    0) {
			staging_failed(pl);
			combined = false;
		}
		/* Nothing measured: coverage.py has no data to report, and
		 * every report would fail saying so. */
		if (combined && !r->nodata)
			reports_run(&pl->cc, pl->g->o.reports,
				    pl->g->o.nreports, pl->g->o.fail_under,
				    pl->st.path);
	}
	/* A verified combined file is kept even when a report failed. */
	if (combined && place_combined(pl) < 0)
		combined = false;
	if (!combined)
		vanished(pl, &dir);
	if (pl->g->o.no_keep && combined &&
	    (r->status == GS_OK || r->status == GS_BELOW)) {
		stage_delete_inputs(&pl->st);
		r->deleted = true;
	}
	stage_close(&pl->st);
}

enum gather_status
gather_run(struct gather *g, const char *realdir, const struct settle *s,
	   struct gather_result *r)
{
	struct pipeline pl = { .g = g, .r = r };

	memset(r, 0, sizeof(*r));
	r->total = -1;
	r->status = GS_OK;
	/* A named command, or a candidate recognised as coverage.py, may
	 * combine before its --version has ended (confirm() checks it before
	 * the reports); another found on PATH may not: it could be another
	 * program called coverage. With no file to combine, only whether
	 * there is a coverage.py is told. */
	if ((settle_ready(s) == 0 || g->find.cmd.n == 0) &&
	    gather_found(g, r->msg, &r->signo) != GS_OK)
		return r->status = GS_NO_COVERAGE;
	if (settle_ready(s) == 0)
		return r->status = GS_NO_FILES;
	pl.st = (struct stage){
		.realdir = realdir, .shown = g->o.dir, .s = s, .msg = r->msg
	};
	pl.cc = (struct covcmd){ .cmd = &g->find.cmd,
				 .data = pl.st.combined,
				 .rcfile = g->o.rcfile,
				 .sigfd = g->o.sigfd,
				 .out_fd = g->o.child_out,
				 .r = r };
	run_pipeline(&pl);
	if (r->status == GS_SIGNAL)
		gather_stop(g, r->signo);
	return r->status;
}

void
gather_free(struct gather_result *r)
{
	int i;

	size_t k;

	for (i = 0; i < r->ncmds; i++)
		free(r->cmds[i].line);
	free(r->text);
	for (k = 0; k < r->nlost; k++)
		free(r->lost[k]);
	free(r->lost);
}

struct gather *
gather_start(const struct gather_opts *o, char *err)
{
	struct gather *g = xcalloc(1, sizeof(*g));

	g->o = *o;
	g->find = (struct coverage_find){ .state = FIND_NONE, .outfd = -1 };
	/* A command that cannot even be started is known at once. */
	if (coverage_find_start(&g->find, o->coverage, o->coverage_env) ==
	    FIND_NONE) {
		snprintf(err, ERRLEN, "%s", g->find.err);
		coverage_find_free(&g->find);
		free(g);
		return NULL;
	}
	return g;
}

enum gather_status
gather_found(struct gather *g, char *msg, int *signo)
{
	if (coverage_find_wait(&g->find, g->o.sigfd, g->o.deadline, signo) ==
	    FIND_FOUND)
		return GS_OK;
	if (*signo == 0)
		snprintf(msg, ERRLEN, "%s", g->find.err);
	return GS_NO_COVERAGE;
}

int
gather_sweep(struct gather *g)
{
	return stage_sweep(g->o.dir);
}

/* The waiter's helper: the search for coverage.py goes on during the
 * wait, and ends it when no candidate runs. Once the command is known (a
 * named one, a candidate recognised as coverage.py, or one found), the
 * native combine's question to it starts, so that its Python start and
 * import overlap the wait; when the search moves on to another
 * candidate, the question follows it. */
static int
find_helper(void *ctx, char *msg)
{
	struct gather *g = ctx;

	if (coverage_find_poll(&g->find) != FIND_NONE) {
		choice_early_start(&g->early, g->o.combine, &g->find.cmd,
				   g->o.rcfile);
		return 0;
	}
	snprintf(msg, ERRLEN, "%s", g->find.err);
	return 1;
}

/* The waiter's question: when was pid last started as one of the
 * search's processes or an early question (0: never)? */
static int64_t
find_pid(void *ctx, pid_t pid)
{
	const struct gather *g = ctx;
	int64_t a = child_spawns_when(&g->find.spawned, pid);
	int64_t b = child_spawns_when(&g->early.spawned, pid);

	return a > b ? a : b;
}

void
gather_wait_hooks(struct gather *g, struct wait_opts *w)
{
	w->helper = find_helper;
	w->helper_pid = find_pid;
	w->helper_ctx = g;
	/* The inputs' paths, for the native combine's question, and their
	 * rows, for its union, are read as each file passes its check
	 * (pathread.c). */
	if (g->o.combine != CM_COVERAGE && g->early.paths == NULL)
		g->early.paths = pathread_new();
	w->reader = pathread_reader(g->early.paths);
}

void
gather_stop(struct gather *g, int signo)
{
	coverage_find_stop(&g->find, signo);
	choice_early_stop(&g->early, signo);
}

char *
gather_command(const struct gather *g)
{
	if (g == NULL || g->find.state != FIND_FOUND)
		return NULL;
	return argv_text(&g->find.cmd);
}

void
gather_end(struct gather *g)
{
	if (g == NULL)
		return;
	/* Every path that did not use the early question ends it here. */
	choice_early_stop(&g->early, SIGTERM);
	pathread_free(g->early.paths);
	coverage_find_free(&g->find);
	free(g);
}
