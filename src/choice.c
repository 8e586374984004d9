/* choice.c: which combine gather runs: the native one (combine.c), and the
 * question to coverage.py that allows it, or coverage.py's own.
 *
 * coverage.py's combine is a union of its inputs (combine.c) over paths
 * that its configuration maps: [paths], relative_files, and what the
 * version itself does to a path. Rather than read .coveragerc, setup.cfg,
 * tox.ini and pyproject.toml, or copy coverage.py's path rules, here,
 * covsettle asks coverage.py itself, with the interpreter of the found
 * command (coverage_python()), --rcfile and $COVERAGE_RCFILE as
 * coverage.py takes them, to map every distinct file path of the inputs
 * (read from their file tables first: combine_paths()). The same question
 * returns what the combine must reproduce of that version: its version,
 * the meta rows and SCHEMA script it writes, and the staged inputs it
 * would read (combinable_files()). Their order, which fixes the ids of
 * files and contexts, and so the order in which some reports list a
 * line's contexts, is the sorted order of the staged names: gather staged
 * them so (coverage.py's own order for DIR). Where its combine does what
 * the union cannot follow (ask_py says what), or on any doubt, coverage.py
 * combines as before.
 *
 * That question is a Python start and an import of coverage.py (0.1 to
 * 0.25s), and only its end needs the staged inputs. So gather may ask it
 * early (choice_early_start()), during the wait, once the coverage command
 * is known: the child imports coverage.py, then waits on its stdin for the
 * staging directory, which choice_combine() writes when it uses it. An
 * early question for another command than the one that combines is
 * stopped, and the question asked anew. */
#include "choice.h"
#include "child.h"
#include "coverage.h"
#include "combine.h"
#include "combine_paths.h"
#include "covschema.h"
#include "pathread.h"
#include "sig.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#define ASK_MARK "covsettle-native 2"
/* The early question's niceness (setpriority(2)). */
#define EARLY_NICE 10

/* PYTHON -c THIS [RCFILE], with INDIR, OUTPUT and then every distinct
 * file path of the inputs on its stdin, each ended by a NUL (a path may
 * hold a newline, never a NUL), and a final \1. It imports coverage.py
 * first, the slow part, which may run during the wait, and reads stdin
 * only then; Coverage() is made after, with the real OUTPUT, initialised
 * as its combine does (_init(): plugins that configure run), and the
 * inputs' order found, while covsettle reads the paths; then it reads
 * the paths. It writes nothing
 * but its answer, one item a line: the mark; the version; why not (empty:
 * safe); "ro" when its combine opens its inputs read-only (7.17), else
 * "rw"; the number of meta rows, then each as KEY<TAB>VALUE; the SCHEMA
 * script; the number of inputs and their names in coverage.py's order;
 * then for each path given, '=' and the path that version's combine
 * stores for it. Newlines and backslashes in values are escaped as \n and
 * \\. Stdin closed early: exit 1, quietly.
 *
 * The mapping is the one each version's CoverageData.update() applies:
 * 6.5 maps through [paths] only when there are some (relative_files
 * alone changes nothing there); 7.x through _make_aliases() always, whose
 * relative_files makes paths relative and adds a rule for each first
 * directory it meets; a version whose update() fixes the slashes
 * (map_with_fixed_slashes, 7.17) turns every / and \\ into os.sep after.
 * What the C union cannot follow is said in why: the rules that
 * relative_files adds as it goes making one path's result depend on the
 * order of the inputs (each path is mapped alone, then again with each
 * added rule); a version that maps the stored paths again at each input
 * (6.5, 7.3) and would move a stored path; debug output, which
 * coverage.py's combine writes. */
/* clang-format off */
static const char ask_py[] =
	"import datetime, copy, inspect, os, re, sys\n"
	"import coverage\n"
	"from coverage.data import combinable_files\n"
	"from coverage.files import PathAliases\n"
	"from coverage.sqldata import SCHEMA, CoverageData\n"
	"try:\n"
	"    src = inspect.getsource(CoverageData.update)\n"
	"    old = 'aliases' in inspect.signature(CoverageData.update).parameters\n"
	"    import coverage.data\n"
	"    ro = 'read_only=True' in inspect.getsource(coverage.data.combine_parallel_data)\n"
	"except (OSError, TypeError):\n"
	"    src, ro = None, False\n"
	"rc = sys.argv[1] if len(sys.argv) > 1 else True\n"
	"def more():\n"
	"    b = sys.stdin.buffer.read1(1 << 16)\n"
	"    if not b:\n"
	"        sys.exit(1)\n"
	"    return b\n"
	"buf = b''\n"
	"while buf.count(b'\\0') < 2:\n"
	"    buf += more()\n"
	"indir, out, buf = buf.split(b'\\0', 2)\n"
	"indir, out = os.fsdecode(indir), os.fsdecode(out)\n"
	"cov = coverage.Coverage(data_file=out, config_file=rc)\n"
	"cov._init()\n"
	"names = [os.path.relpath(f, indir) for f in combinable_files(out, [indir])]\n"
	"b = sys.stdin.buffer.read1(1 << 16)\n"
	"while b:\n"
	"    buf += b\n"
	"    b = sys.stdin.buffer.read1(1 << 16)\n"
	"if not buf.endswith(b'\\1'):\n"
	"    sys.exit(1)\n"
	"paths = [p.decode('utf-8', 'surrogateescape') for p in buf[:-1].split(b'\\0')[:-1]]\n"
	"ver = coverage.__version__\n"
	"why = []\n"
	"if cov.get_option('run:debug') or os.environ.get('COVERAGE_DEBUG'):\n"
	"    why.append(\"debug output is on, which coverage.py's combine writes\")\n"
	"got = {}\n"
	"if not why and src is None:\n"
	"    why.append(\"the source of its combine cannot be read to tell how it maps paths\")\n"
	"if not why:\n"
	"    if coverage.version_info < (7,):\n"
	"        def mk():\n"
	"            a = PathAliases(relative=cov.config.relative_files) if cov.config.paths else PathAliases()\n"
	"            for ps in cov.config.paths.values():\n"
	"                for pat in ps[1:]:\n"
	"                    a.add(pat, ps[0])\n"
	"            return a\n"
	"    else:\n"
	"        mk = cov._make_aliases\n"
	"    if 'fixed_slashes' in src:\n"
	"        sub = lambda p: re.sub(r'[/\\\\]', re.escape(os.sep), p)\n"
	"    else:\n"
	"        sub = lambda p: p\n"
	"    base = mk()\n"
	"    n0 = len(base.aliases)\n"
	"    def fresh(*more):\n"
	"        a = copy.copy(base)\n"
	"        a.aliases = list(base.aliases) + list(more)\n"
	"        return a\n"
	"    gen = []\n"
	"    one = fresh()\n"
	"    for p in paths:\n"
	"        a = fresh() if base.relative else one\n"
	"        got[p] = sub(a.map(p))\n"
	"        for g in a.aliases[n0:]:\n"
	"            if all(g[0] != h[0] for h in gen):\n"
	"                gen.append(g)\n"
	"    tries = [(p, got[p]) for p in paths]\n"
	"    if old:\n"
	"        tries += [(q, q) for q in set(got.values())]\n"
	"    for more in [()] + [(g,) for g in gen] if (gen or old) else []:\n"
	"        for p, want in tries:\n"
	"            m = sub(fresh(*more).map(p))\n"
	"            if m != want and not why:\n"
	"                if more:\n"
	"                    why.append('with relative_files it makes a path rule as it meets each path, '\n"
	"                               'and %r maps to %r or %r as the order of the inputs has it'\n"
	"                               % (p, want, m))\n"
	"                else:\n"
	"                    why.append('it maps the combined path %r again at each input, to %r'\n"
	"                               % (p, m))\n"
	"meta = [('version', ver)]\n"
	"if coverage.version_info < (7,):\n"
	"    meta = [('sys_argv', str(['covsettle', 'gather', '--combine'])),\n"
	"            meta[0],\n"
	"            ('when', datetime.datetime.now().strftime('%Y-%m-%d %H:%M:%S'))]\n"
	"esc = lambda s: s.replace('\\\\', '\\\\\\\\').replace('\\n', '\\\\n')\n"
	"lines = ['" ASK_MARK "', ver, '; '.join(why), 'ro' if ro else 'rw', str(len(meta))]\n"
	"lines += [k + '\\t' + esc(v) for k, v in meta]\n"
	"lines.append(esc(SCHEMA))\n"
	"lines.append(str(len(names)))\n"
	"lines += names\n"
	"lines += ['=' + esc(got[p] if p in got else p) for p in paths]\n"
	"sys.stdout.buffer.write(('\\n'.join(lines) + '\\n').encode('utf-8', 'surrogateescape'))\n";
/* clang-format on */

/* What coverage.py answered: pointers into its output, unescaped. */
struct answer {
	char *version;
	char *why;
	bool reads_only; /* its combine opens its inputs read-only */
	struct combine_meta meta[8];
	size_t nmeta;
	char *schema;
	char **names; /* the inputs, in coverage.py's order */
	size_t nnames;
	char **mapped; /* for each path asked about, what is stored */
	size_t nmapped;
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

/* Split the answer out (modified in place) into a, which it asked about
 * npaths paths; -1 when malformed (a's vectors then still to free). */
static int
parse_answer(char *out, size_t npaths, struct answer *a)
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
	if (line == NULL ||
	    (strcmp(line, "ro") != 0 && strcmp(line, "rw") != 0))
		return -1;
	a->reads_only = strcmp(line, "ro") == 0;
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
	if ((line = strtok_r(NULL, "\n", &save)) == NULL ||
	    sscanf(line, "%zu", &n) != 1 || n > (size_t)INT_MAX)
		return -1;
	a->names = xcalloc(n + 1, sizeof(char *));
	a->mapped = xcalloc(npaths + 1, sizeof(char *));
	for (i = 0; i < n; i++) {
		line = strtok_r(NULL, "\n", &save);
		if (line == NULL || strchr(line, '/') != NULL)
			return -1;
		a->names[a->nnames++] = line;
	}
	while ((line = strtok_r(NULL, "\n", &save)) != NULL) {
		if (line[0] != '=' || a->nmapped == npaths)
			return -1;
		unescape(line + 1);
		a->mapped[a->nmapped++] = line + 1;
	}
	return a->nmapped == npaths ? 0 : -1;
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
choice_early_start(struct choice_early *e, enum combine_method how,
		   const struct argv *cmd, const char *rcfile)
{
	char *text, reason[ERRLEN];
	int64_t at;

	if (how == CM_COVERAGE)
		return;
	text = cmd->n > 0 ? argv_text(cmd) : NULL;
	if (text != NULL && e->cmd != NULL && strcmp(text, e->cmd) == 0) {
		free(text);
		return;
	}
	choice_early_stop(e, SIGTERM);
	/* Kept even when it cannot start: choice_combine() asks anew and
	 * says why; no second try at each SIGCHLD meanwhile. */
	e->cmd = text;
	at = clock_file_ns();
	if (text == NULL || ask_start(cmd, rcfile, &e->job, reason) < 0)
		return;
	child_spawns_add(&e->spawned, e->job.pid, at);
	/* The wait checks files on every core: the question yields to it,
	 * and runs on what the wait leaves idle. */
	setpriority(PRIO_PROCESS, (id_t)e->job.pid, EARLY_NICE);
}

void
choice_early_stop(struct choice_early *e, int signo)
{
	child_abandon(&e->job, signo, CHILD_GRACE_MS);
	free(e->cmd);
	e->cmd = NULL;
}

/* The question for o->cmd: the early one when it was started for that
 * very command (it is then used up), else one started now. 0, or -1 with
 * why not in reason. */
static int
ask_take(const struct choice_opts *o, struct child_job *j, char *reason)
{
	struct choice_early *e = o->early;
	char *text = NULL;
	bool same;

	if (e == NULL)
		return ask_start(o->cmd, o->rcfile, j, reason);
	same = e->job.pid > 0 && o->cmd->n > 0 &&
	       strcmp(e->cmd, text = argv_text(o->cmd)) == 0;
	free(text);
	if (!same) {
		choice_early_stop(e, SIGTERM);
		return ask_start(o->cmd, o->rcfile, j, reason);
	}
	*j = e->job;
	e->job.pid = 0; /* now j's: its pipes too */
	e->job.in = e->job.out = e->job.errout = -1;
	choice_early_stop(e, SIGTERM);
	return 0;
}

/* Append s and its NUL to the buffer *b (*len used of *cap). */
static void
put_nul(char **b, size_t *len, size_t *cap, const char *s)
{
	size_t n = strlen(s) + 1;

	while (*len + n > *cap) {
		*cap = *cap ? 2 * *cap : 4096;
		*b = xrealloc(*b, *cap);
	}
	memcpy(*b + *len, s, n);
	*len += n;
}

static int staged_paths(const struct choice_opts *o, char ***paths,
			size_t *npaths, char *reason);

/* Ask coverage.py about the staged inputs in o->indir and how it stores
 * each of their paths, read meanwhile into *paths (*npaths); 0 with its
 * answer in *out (malloc'd) and a, or -1 with why not in r->reason (or a
 * signal in *signo). */
static int
ask(const struct choice_opts *o, char ***paths, size_t *npaths,
    struct choice_result *r, char **out, struct answer *a, int *signo)
{
	struct child_result res;
	struct child_job j;
	char how[128], *input = NULL;
	size_t i, ilen = 0, icap = 0;
	bool sent;

	*out = NULL;
	memset(&j, 0, sizeof(j));
	j.in = j.out = j.errout = -1;
	if (ask_take(o, &j, r->reason) < 0)
		return -1;
	/* INDIR\0OUTPUT\0 first: a pipe holds it whole, and coverage.py
	 * starts on it while the paths are read. Not written (the question
	 * died?): child_finish() writes it with the rest, and says how the
	 * question ended. */
	put_nul(&input, &ilen, &icap, o->indir);
	put_nul(&input, &ilen, &icap, o->output);
	sent = ilen <= PIPE_BUF && write(j.in, input, ilen) == (ssize_t)ilen;
	if (staged_paths(o, paths, npaths, r->reason) < 0) {
		free(input);
		child_abandon(&j, SIGTERM, CHILD_GRACE_MS);
		return -1;
	}
	/* PATH\0...\1 */
	if (sent)
		ilen = 0;
	for (i = 0; i < *npaths; i++)
		put_nul(&input, &ilen, &icap, (*paths)[i]);
	put_nul(&input, &ilen, &icap, "\1");
	ilen--; /* not its NUL */
	child_finish(&j, input, ilen, o->sigfd, &res);
	free(input);
	free(res.errout);
	if (res.signo == 0 && child_ok(res.status) && res.out != NULL &&
	    parse_answer(res.out, *npaths, a) == 0) {
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

/* The staged inputs in o->indir (every entry but . and ..), as paths:
 * 0 with *inputs (malloc'd) and *n, or -1 with why not in reason. */
static int
staged_inputs(const struct choice_opts *o, char ***inputs, size_t *n,
	      char *reason)
{
	struct dirent **ents = NULL;
	int i, k;

	*inputs = NULL;
	*n = 0;
	if ((k = scandir(o->indir, &ents, NULL, alphasort)) < 0)
		return seterr(reason, "cannot list %s: %s", o->indir,
			      strerror(errno));
	*inputs = xcalloc((size_t)k + 1, sizeof(char *));
	for (i = 0; i < k; i++) {
		if (strcmp(ents[i]->d_name, ".") != 0 &&
		    strcmp(ents[i]->d_name, "..") != 0 &&
		    asprintf(&(*inputs)[*n], "%s/%s", o->indir,
			     ents[i]->d_name) >= 0)
			(*n)++;
		free(ents[i]);
	}
	free(ents);
	return 0;
}

static void
free_list(char **v, size_t n)
{
	size_t i;

	for (i = 0; v != NULL && i < n; i++)
		free(v[i]);
	free(v);
}

/* Every distinct file path of the staged inputs: those the wait read
 * (pathread.c) when every input is the very file read, unchanged; else
 * read now (combine_paths()). 0, or -1 with why not in reason. */
static int
staged_paths(const struct choice_opts *o, char ***paths, size_t *npaths,
	     char *reason)
{
	char **staged;
	size_t n;
	int rc;

	if (staged_inputs(o, &staged, &n, reason) < 0)
		return -1;
	if (o->early != NULL &&
	    pathread_paths(o->early->paths, (const char *const *)staged, n,
			   paths, npaths) == 1)
		rc = 0;
	else
		rc = combine_paths((const char *const *)staged, n, paths,
				   npaths, reason);
	free_list(staged, n);
	return rc;
}

/* combine.c's question for each input: its rows, if the wait read them
 * (pathread.c). */
static struct input *
preread(void *arg, const char *path)
{
	return pathread_input(arg, path);
}

/* The combine itself, once coverage.py has answered a about the paths
 * (npaths) of the inputs. */
static enum combine_status
run_union(const struct choice_opts *o, const struct answer *a,
	  char *const *paths, size_t npaths, struct stop *stop, char *reason)
{
	struct combine_opts co = { 0 };
	enum combine_status cs;
	char **inputs;
	size_t i;

	inputs = xcalloc(a->nnames + 1, sizeof(*inputs));
	for (i = 0; i < a->nnames; i++)
		if (asprintf(&inputs[i], "%s/%s", o->indir, a->names[i]) < 0)
			inputs[i] = NULL;
	co.inputs = (const char *const *)inputs;
	co.ninputs = a->nnames;
	co.output = o->output;
	co.schema = a->schema;
	co.meta = a->meta;
	co.nmeta = a->nmeta;
	co.empty_tracers = combine_empty_tracers(a->version);
	co.map_from = (const char *const *)paths;
	co.map_to = (const char *const *)a->mapped;
	co.nmap = npaths;
	co.one_path_per_input = strncmp(a->version, "6.", 2) == 0;
	if (o->early != NULL && o->early->paths != NULL) {
		co.preread = preread;
		co.preread_arg = o->early->paths;
	}
	co.interrupted = interrupted;
	co.arg = stop;
	for (i = 0; i < a->nnames && inputs[i] != NULL; i++)
		;
	cs = i < a->nnames ? COMBINE_ERROR : combine_run(&co, reason);
	free_list(inputs, a->nnames);
	return cs;
}

enum choice_status
choice_combine(const struct choice_opts *o, struct choice_result *r, int *signo,
	       char *err)
{
	enum combine_status cs;
	msec_t start = clock_ms();
	char *out = NULL, **paths = NULL;
	size_t npaths = 0;
	struct answer a;
	struct stop stop = { .sigfd = o->sigfd };
	bool full = false;

	memset(r, 0, sizeof(*r));
	memset(&a, 0, sizeof(a));
	*signo = 0;
	r->method = "coverage";
	if (o->how == CM_COVERAGE) {
		if (o->early != NULL)
			choice_early_stop(o->early, SIGTERM);
		seterr(r->reason, "--combine=coverage");
		return CHOICE_DECLINED;
	}
	if (ask(o, &paths, &npaths, r, &out, &a, signo) < 0) {
		;
	} else if ((r->reads_only = a.reads_only), a.why[0] != '\0') {
		seterr(r->reason, "coverage.py %s: %s", a.version, a.why);
	} else if (a.nnames == 0) {
		seterr(r->reason, "coverage.py %s finds no input to combine",
		       a.version);
	} else {
		/* The staged names sort in coverage.py's own order for DIR
		 * (gather.c), in which 7.4.4 and later read them, and in
		 * which earlier ones are given them: read them so. */
		qsort(a.names, a.nnames, sizeof(*a.names), cmp_names);
		cs = run_union(o, &a, paths, npaths, &stop, r->reason);
		if (cs == COMBINE_OK) {
			r->method = "native";
			seterr(r->reason,
			       "coverage.py %s: its paths mapped, every input "
			       "schema " COVERAGE_SCHEMA_TEXT,
			       a.version);
		} else if (cs == COMBINE_STOPPED) {
			*signo = stop.signo;
		} else if (cs == COMBINE_FULL) {
			full = true;
		}
	}
	free_list(paths, npaths);
	free(a.names);
	free(a.mapped);
	free(out);
	r->ms = clock_ms() - start;
	if (*signo)
		return CHOICE_SIGNAL;
	if (strcmp(r->method, "native") == 0)
		return CHOICE_DONE;
	/* A full disk is no reason to try coverage.py, which needs the
	 * same room and copies of the inputs besides. */
	if (full) {
		r->method = "native";
		seterr(err, "%s", r->reason);
		return CHOICE_FULL;
	}
	if (o->how == CM_NATIVE) {
		seterr(err, "--combine=native is not possible: %s", r->reason);
		return CHOICE_FAILED;
	}
	return CHOICE_DECLINED;
}
