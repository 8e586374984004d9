/* native.c: gather's native combine, and the question that allows it.
 *
 * coverage.py's combine is a plain union of its inputs (combine.c) only
 * when its effective configuration maps no paths: no [paths], relative_files
 * off, no plugins, no debug output. Rather than read .coveragerc, setup.cfg,
 * tox.ini and pyproject.toml here, covsettle asks coverage.py itself, with
 * the interpreter of the found command (coverage_python()), --rcfile and
 * $COVERAGE_RCFILE as coverage.py takes them. The same question returns
 * what the combine must reproduce of that version: its version, the meta
 * rows and SCHEMA script it writes, and the staged inputs it would read
 * (combinable_files()). Their order, which fixes the ids of files and
 * contexts, and so the order in which some reports list a line's
 * contexts, is the sorted order of the staged names: gather staged them so
 * (coverage.py's own order for DIR). Any doubt, and coverage.py combines
 * as before.
 *
 * That question is a Python start and an import of coverage.py (0.1 to
 * 0.25s), and only its end needs the staged inputs. So gather may ask it
 * early (native_early_start()), during the wait, once the coverage command
 * is known: the child imports coverage.py, then waits on its stdin for the
 * staging directory, which native_combine() writes when it uses it. An
 * early question for another command than the one that combines is
 * stopped, and the question asked anew. */
#include "native.h"
#include "child.h"
#include "coverage.h"
#include "combine.h"
#include "sig.h"

#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>

#define ASK_MARK "covsettle-native 1"
/* The early question's niceness (setpriority(2)). */
#define EARLY_NICE 10

/* PYTHON -c THIS [RCFILE], with INDIR and OUTPUT on its stdin, each ended
 * by a NUL (a path may hold a newline, never a NUL). It imports coverage.py
 * first, the slow part, which may run during the wait, and reads stdin
 * only then; Coverage() is made after, as before the split, with the
 * real OUTPUT (making it takes a millisecond). It writes nothing but its
 * answer, one item a line: the mark; the version; why not (empty: safe);
 * the number of meta rows, then each as KEY<TAB>VALUE; the SCHEMA script;
 * then the inputs' names in coverage.py's order. Newlines and backslashes
 * in values are escaped as \n and \\. Stdin closed early: exit 1,
 * quietly. */
/* clang-format off */
static const char ask_py[] =
	"import datetime, os, sys\n"
	"import coverage\n"
	"from coverage.data import combinable_files\n"
	"from coverage.sqldata import SCHEMA\n"
	"rc = sys.argv[1] if len(sys.argv) > 1 else True\n"
	"given = sys.stdin.buffer.read().split(b'\\0')\n"
	"if len(given) != 3 or given[2]:\n"
	"    sys.exit(1)\n"
	"indir, out = map(os.fsdecode, given[:2])\n"
	"cov = coverage.Coverage(data_file=out, config_file=rc)\n"
	"why = []\n"
	"if cov.get_option('paths'):\n"
	"    why.append('its configuration has [paths]')\n"
	"if cov.get_option('run:relative_files'):\n"
	"    why.append('relative_files is on')\n"
	"if cov.get_option('run:plugins'):\n"
	"    why.append('plugins are configured')\n"
	"if cov.get_option('run:debug') or os.environ.get('COVERAGE_DEBUG'):\n"
	"    why.append('debug output is on')\n"
	"meta = [('version', coverage.__version__)]\n"
	"if coverage.version_info < (7,):\n"
	"    meta = [('sys_argv', str(['covsettle', 'gather', '--combine'])),\n"
	"            meta[0],\n"
	"            ('when', datetime.datetime.now().strftime('%Y-%m-%d %H:%M:%S'))]\n"
	"esc = lambda s: s.replace('\\\\', '\\\\\\\\').replace('\\n', '\\\\n')\n"
	"lines = ['" ASK_MARK "', coverage.__version__, '; '.join(why), str(len(meta))]\n"
	"lines += [k + '\\t' + esc(v) for k, v in meta]\n"
	"lines.append(esc(SCHEMA))\n"
	"lines += [os.path.relpath(f, indir) for f in combinable_files(out, [indir])]\n"
	"sys.stdout.write('\\n'.join(lines) + '\\n')\n";
/* clang-format on */

/* What coverage.py answered: pointers into its output, unescaped. */
struct answer {
	char *version;
	char *why;
	struct combine_meta meta[8];
	size_t nmeta;
	char *schema;
	char **names; /* the inputs, in coverage.py's order */
	size_t nnames;
};

/* Undo esc() in place. */
static void
unescape(char *s)
{
	char *w = s;

	for (; *s; s++) {
		if (*s == '\\' && (s[1] == 'n' || s[1] == '\\'))
			*w++ = *++s == 'n' ? '\n' : '\\';
		else
			*w++ = *s;
	}
	*w = '\0';
}

/* Split the answer out (modified in place) into a; -1 when malformed. */
static int
parse_answer(char *out, struct answer *a)
{
	char *line, *save = NULL, *tab;
	size_t i, n;

	memset(a, 0, sizeof(*a));
	line = strtok_r(out, "\n", &save);
	if (line == NULL || strcmp(line, ASK_MARK) != 0)
		return -1;
	a->version = strtok_r(NULL, "\n", &save);
	/* why may be empty: strtok_r would skip it, so split by hand */
	if (a->version == NULL || save == NULL)
		return -1;
	a->why = save;
	if ((line = strchr(save, '\n')) == NULL)
		return -1;
	*line = '\0';
	save = line + 1;
	line = strtok_r(NULL, "\n", &save);
	if (line == NULL || sscanf(line, "%zu", &n) != 1 || n > 8)
		return -1;
	for (i = 0; i < n; i++) {
		line = strtok_r(NULL, "\n", &save);
		if (line == NULL || (tab = strchr(line, '\t')) == NULL)
			return -1;
		*tab = '\0';
		unescape(tab + 1);
		a->meta[i].key = line;
		a->meta[i].value = tab + 1;
	}
	a->nmeta = n;
	if ((a->schema = strtok_r(NULL, "\n", &save)) == NULL)
		return -1;
	unescape(a->schema);
	while ((line = strtok_r(NULL, "\n", &save)) != NULL) {
		if (strchr(line, '/') != NULL) {
			free(a->names);
			a->names = NULL;
			a->nnames = 0;
			return -1;
		}
		a->names = xrealloc(a->names, (a->nnames + 1) * sizeof(char *));
		a->names[a->nnames++] = line;
	}
	return 0;
}

static int
cmp_names(const void *x, const void *y)
{
	return strcmp(*(char *const *)x, *(char *const *)y);
}

/* Start the question for cmd, waiting on its stdin: 0, or -1 with why
 * not in reason. */
static int
ask_start(const struct argv *cmd, const char *rcfile, struct child_job *j,
	  char *reason)
{
	struct child_io io = { .input = 1,
			       .capture_out = 1,
			       .capture_err = CAPTURE_QUIET };
	struct argv py = { 0 };
	char prog[PATH_MAX], err[ERRLEN];
	int rc;

	j->pid = 0;
	if (!coverage_python(cmd, &py, prog, sizeof(prog)))
		return seterr(reason,
			      "the coverage command is not one whose Python "
			      "covsettle can ask for its configuration");
	argv_add(&py, "-c");
	argv_add(&py, ask_py);
	if (rcfile != NULL)
		argv_add(&py, rcfile);
	rc = child_start(py.v, CHILD_UNMEASURED, &io, j, err);
	argv_free(&py);
	if (rc < 0)
		return seterr(reason, "cannot ask coverage.py: %s", err);
	return 0;
}

void
native_early_start(struct native_early *e, enum combine_method how,
		   const struct argv *cmd, const char *rcfile)
{
	char *text, reason[ERRLEN];

	if (how == CM_COVERAGE)
		return;
	text = cmd->n > 0 ? argv_text(cmd) : NULL;
	if (text != NULL && e->cmd != NULL && strcmp(text, e->cmd) == 0) {
		free(text);
		return;
	}
	native_early_stop(e, SIGTERM);
	/* Kept even when it cannot start: native_combine() asks anew and
	 * says why; no second try at each SIGCHLD meanwhile. */
	e->cmd = text;
	if (text == NULL || ask_start(cmd, rcfile, &e->job, reason) < 0)
		return;
	if (e->nspawned < sizeof(e->spawned) / sizeof(*e->spawned))
		e->spawned[e->nspawned++] = e->job.pid;
	/* The wait checks files on every core: the question yields to it,
	 * and runs on what the wait leaves idle. */
	setpriority(PRIO_PROCESS, (id_t)e->job.pid, EARLY_NICE);
}

void
native_early_stop(struct native_early *e, int signo)
{
	child_abandon(&e->job, signo, CHILD_GRACE_MS);
	free(e->cmd);
	e->cmd = NULL;
}

bool
native_early_spawned(const struct native_early *e, pid_t pid)
{
	size_t i;

	for (i = 0; i < e->nspawned; i++)
		if (e->spawned[i] == pid)
			return true;
	return false;
}

/* The question for o->cmd: the early one when it was started for that
 * very command (it is then used up), else one started now. 0, or -1 with
 * why not in reason. */
static int
ask_take(const struct native_opts *o, struct child_job *j, char *reason)
{
	struct native_early *e = o->early;
	char *text = NULL;
	bool same;

	if (e == NULL)
		return ask_start(o->cmd, o->rcfile, j, reason);
	same = e->job.pid > 0 && o->cmd->n > 0 &&
	       strcmp(e->cmd, text = argv_text(o->cmd)) == 0;
	free(text);
	if (!same) {
		native_early_stop(e, SIGTERM);
		return ask_start(o->cmd, o->rcfile, j, reason);
	}
	*j = e->job;
	e->job.pid = 0; /* now j's: its pipes too */
	e->job.in = e->job.out = e->job.errout = -1;
	native_early_stop(e, SIGTERM);
	return 0;
}

/* Ask coverage.py about the staged inputs in o->indir; 0 with its answer
 * in *out (malloc'd) and a, or -1 with why not in r->reason (or a signal
 * in *signo). */
static int
ask(const struct native_opts *o, struct native_result *r, char **out,
    struct answer *a, int *signo)
{
	struct child_result res;
	struct child_job j;
	char how[128], *input;
	size_t ilen, dlen = strlen(o->indir);

	*out = NULL;
	if (ask_take(o, &j, r->reason) < 0)
		return -1;
	/* INDIR\0OUTPUT\0 */
	ilen = dlen + strlen(o->output) + 2;
	input = xmalloc(ilen);
	memcpy(input, o->indir, dlen + 1);
	memcpy(input + dlen + 1, o->output, ilen - dlen - 1);
	child_finish(&j, input, ilen, o->sigfd, &res);
	free(input);
	free(res.errout);
	if (res.signo == 0 && child_ok(res.status) && res.out != NULL &&
	    parse_answer(res.out, a) == 0) {
		*out = res.out;
		return 0;
	}
	if (res.signo) {
		*signo = res.signo;
	} else if (!child_ok(res.status)) {
		child_describe(res.status, how, sizeof(how));
		seterr(r->reason, "asking coverage.py for its configuration %s",
		       how);
	} else {
		seterr(r->reason, "coverage.py's answer about its "
				  "configuration was not understood");
	}
	free(res.out);
	return -1;
}

/* The signals that stop a native combine. */
struct stop {
	int sigfd;
	int signo; /* the first INT, TERM or HUP read, or 0 */
};

/* combine.c's question between inputs: has INT, TERM or HUP arrived? */
static int
interrupted(void *arg)
{
	struct stop *st = arg;
	int s;

	while ((s = sig_read(st->sigfd)) > 0)
		if (s != SIGCHLD && st->signo == 0)
			st->signo = s;
	return st->signo != 0;
}

enum native_status
native_combine(const struct native_opts *o, struct native_result *r, int *signo,
	       char *err)
{
	struct combine_opts co = { 0 };
	enum combine_status cs;
	msec_t start = clock_ms();
	char *out = NULL, **paths;
	struct answer a;
	struct stop stop = { .sigfd = o->sigfd };
	bool full = false;
	size_t i;

	memset(r, 0, sizeof(*r));
	*signo = 0;
	r->method = "coverage";
	if (o->how == CM_COVERAGE) {
		if (o->early != NULL)
			native_early_stop(o->early, SIGTERM);
		seterr(r->reason, "--combine=coverage");
		return NATIVE_DECLINED;
	}
	memset(&a, 0, sizeof(a));
	if (ask(o, r, &out, &a, signo) < 0) {
		if (*signo)
			return NATIVE_SIGNAL;
	} else if (a.why[0] != '\0') {
		seterr(r->reason, "coverage.py %s: %s", a.version, a.why);
	} else if (a.nnames == 0) {
		seterr(r->reason, "coverage.py %s finds no input to combine",
		       a.version);
	} else {
		/* The staged names sort in coverage.py's own order for DIR
		 * (gather.c), in which 7.4.4 and later read them, and in
		 * which earlier ones are given them: read them so. */
		qsort(a.names, a.nnames, sizeof(*a.names), cmp_names);
		paths = xcalloc(a.nnames, sizeof(*paths));
		for (i = 0; i < a.nnames; i++)
			if (asprintf(&paths[i], "%s/%s", o->indir, a.names[i]) <
			    0)
				paths[i] = NULL;
		co.inputs = (const char *const *)paths;
		co.ninputs = a.nnames;
		co.output = o->output;
		co.schema = a.schema;
		co.meta = a.meta;
		co.nmeta = a.nmeta;
		co.empty_tracers = combine_empty_tracers(a.version);
		co.interrupted = interrupted;
		co.arg = &stop;
		for (i = 0; i < a.nnames && paths[i] != NULL; i++)
			;
		cs = i < a.nnames ? COMBINE_ERROR : combine_run(&co, r->reason);
		for (i = 0; i < a.nnames; i++)
			free(paths[i]);
		free(paths);
		if (cs == COMBINE_OK) {
			r->method = "native";
			seterr(r->reason,
			       "coverage.py %s: no [paths], relative_files or "
			       "plugins; every input schema 7",
			       a.version);
		} else if (cs == COMBINE_STOPPED) {
			*signo = stop.signo;
		} else if (cs == COMBINE_FULL) {
			full = true;
		}
	}
	free(a.names);
	free(out);
	r->ms = clock_ms() - start;
	if (*signo)
		return NATIVE_SIGNAL;
	if (strcmp(r->method, "native") == 0)
		return NATIVE_DONE;
	/* A full disk is no reason to try coverage.py, which needs the
	 * same room and copies of the inputs besides. */
	if (full) {
		r->method = "native";
		seterr(err, "%s", r->reason);
		return NATIVE_FULL;
	}
	if (o->how == CM_NATIVE) {
		seterr(err, "--combine=native is not possible: %s", r->reason);
		return NATIVE_FAILED;
	}
	return NATIVE_DECLINED;
}
