# test_evidence.py: what the pid in a data file's name proves, where it
# cannot be seen or read. The writer test answers alive, gone or unknown,
# and a writer covsettle cannot see or read is never taken for gone or for
# "not Python": its file waits (exit 3 at the timeout, naming it), is
# never quarantined, and is combined whole once the save ends. Real parts:
# PID, UTS and mount namespaces (unshare), a /proc mounted with hidepid=2,
# real unprivileged users, Debian's gunicorn with python3-setproctitle,
# uWSGI's python3 plugin, a copied interpreter; the writer is
# tests/writer.py (run by a gunicorn worker or uWSGI where they are
# tested), paused between coverage.py's transactions.
import os
import pwd
import re
import shlex
import shutil
import signal
import subprocess
import tempfile

import pytest

from harness import COVSETTLE, LONG, WRITER, Proc, Writer, union
from test_containers import REFUSED, container, pid_in_name

pytestmark = pytest.mark.skipif(REFUSED is not None, reason=REFUSED or "")

DEBOUNCE = "200ms"
# A user of our own for the writer, and nobody for covsettle: two users,
# neither root, neither able to read the other's /proc/PID/exe or maps.
WRITER_USER = "covsettle-ev"
READER_USER = "nobody"
UWSGI = shutil.which("uwsgi-core")
UWSGI_PLUGIN = "/usr/lib/uwsgi/plugins/python3_plugin.so"


class Wrapped(Writer):
    """tests/writer.py (or a host of its code) started by argv: under
    another user, in a namespace, in uWSGI. The protocol of
    harness.Writer."""

    def __init__(self, argv, env=None, merged=False, cwd=None):
        Proc.__init__(self, argv, stdin=subprocess.PIPE, env=env, cwd=cwd)
        if merged:  # its stdout goes to stderr (uWSGI's log)
            self.lines["out"] = self.lines["err"]
        self.first_path = self.expect(r"^file (.*)$", "out").group(1)
        self.first_name = os.path.basename(self.first_path)


@pytest.fixture
def shared():
    """A directory every user may use: data/ for the data files, src/ for
    the measured modules, out/ for the combined file (pytest's tmp_path is
    root's alone)."""
    top = tempfile.mkdtemp(prefix="covsettle-evidence-", dir="/tmp")
    os.chmod(top, 0o755)
    for sub in ("data", "src", "out"):
        os.mkdir(os.path.join(top, sub))
        os.chmod(os.path.join(top, sub), 0o777)
    yield top
    shutil.rmtree(top, ignore_errors=True)


def as_user(name):
    """The argv prefix that runs a command as user name, no groups kept."""
    u = pwd.getpwnam(name)
    return ["setpriv", f"--reuid={u.pw_uid}", f"--regid={u.pw_gid}",
            "--clear-groups", "--"]


@pytest.fixture(scope="module")
def writer_user():
    """A real unprivileged user for the writer, made for these tests and
    removed after them."""
    if os.geteuid() != 0:
        pytest.skip("making a user needs root")
    made = False
    try:
        pwd.getpwnam(WRITER_USER)
    except KeyError:
        subprocess.run(["useradd", "--system", "--no-create-home",
                        "--shell", "/usr/sbin/nologin", WRITER_USER],
                       check=True, capture_output=True, timeout=LONG)
        made = True
    yield WRITER_USER
    if made:
        subprocess.run(["userdel", WRITER_USER], capture_output=True,
                       timeout=LONG)


def writer_argv(cov, shared, point, *extra, python=None):
    return [python or cov.python, WRITER, os.path.join(shared, "data"),
            "--pause-at", point, "--files", "3",
            "--src-dir", os.path.join(shared, "src"), *extra]


def in_child(argv):
    """argv run as a child of a shell (not exec'd by it): in a container,
    not its pid 1, and given the next pid after ns_last_pid."""
    return ["/bin/sh", "-c", " ".join(map(shlex.quote, argv)) + "; :"]


def free_pid():
    """A pid no process has here, for a writer's number in its own PID
    namespace (so that it is free outside): half the pid space away from
    the last one handed out here, so that it stays free for the test."""
    limit = int(open("/proc/sys/kernel/pid_max").read())
    last = int(open("/proc/sys/kernel/ns_last_pid").read())
    for k in range(limit):
        pid = (last + limit // 2 + k) % limit
        if pid > 1000 and not os.path.exists(f"/proc/{pid}"):
            return pid
    pytest.fail("no free pid")


def held_then_combined(cov, w, shared, procs, evidence, prefix=(),
                       busy=False, said=None, stop=None):
    """The writer w is paused mid-save. covsettle, run with the argv
    prefix (another user, a namespace), says `evidence` (-v) of its pid
    (None: the file is another host's, its pid untested),
    holds the file to the timeout (exit 3, naming it), never quarantines
    it, and combines it whole once the save ends. busy: the file is held
    as being written (a process that may be its writer runs), else as
    failing its check; said: what the timeout's message says of the writer
    (evidence when None); stop: makes w exit once saved (a server's
    worker lives on). Returns what the wait to the timeout said."""
    data = os.path.join(shared, "data")
    r = subprocess.run([*prefix, COVSETTLE, "wait", "-v", "-d", DEBOUNCE,
                        "-T", "2s", data], capture_output=True, text=True,
                       timeout=LONG, stdin=subprocess.DEVNULL)
    assert r.returncode == 3, r.stderr
    held = "still being written:" if busy else "failing their check:"
    assert re.search(rf"timed out.*{held} {re.escape(w.first_name)} \(",
                     r.stderr), r.stderr
    if evidence is None:  # another host's file: its pid is not tested
        assert "writer pid" not in r.stderr
    else:
        assert f"{w.first_name}: {evidence}" in r.stderr
        assert (said or evidence) in r.stderr.splitlines()[-1]
    out = os.path.join(shared, "out", "combined")
    p = Proc([*prefix, COVSETTLE, "gather", "-v", "-d", DEBOUNCE, "-T",
              "60s", "--invalid=quarantine", "--coverage", cov.command,
              "--data-file", out, data])
    procs.append(p)
    # Many quiet windows with the save cut in two: neither settled nor
    # quarantined.
    assert p.running_after(3), p.err
    assert not os.path.exists(os.path.join(data, "quarantine"))
    w.go()
    w.saved()
    if stop is not None:
        stop()
    assert w.finish() == 0, w.err  # and reaped, as its parent would
    assert p.finish() == 0, p.err
    whole = union(w.path)
    assert len(whole["lines"]) == 3, whole
    assert union(out) == whole
    assert not os.path.exists(os.path.join(data, "quarantine"))
    return r.stderr


# ---- another PID namespace, this host's name ----

@pytest.mark.parametrize("point", ["between-transactions", "after-has-arcs"])
def test_writer_in_a_pod_with_this_host_name(cov, shared, procs, point):
    # A pod's sidecar, a host-network container: the writer's pid is its
    # own namespace's, free here. covsettle sees every process: no process
    # here has the number, a Python process of a nested namespace goes by
    # it. It may be the writer: kept while it runs, not taken for gone.
    # After has_arcs the file is a valid database with nothing measured:
    # only that process's exit says the save is over.
    pid = free_pid()
    w = Wrapped(container(in_child(writer_argv(cov, shared, point)),
                          before=f"echo {pid - 1} > "
                                 "/proc/sys/kernel/ns_last_pid"))
    procs.append(w)
    assert f".{pid}." in w.first_name or f".pid{pid}." in w.first_name
    assert not os.path.exists(f"/proc/{pid}")
    w.paused(point)
    said = held_then_combined(cov, w, shared, procs,
                              f"writer pid {pid} unknown (pid ", busy=True)
    assert re.search(rf"writer pid {pid} unknown \(pid \d+ here goes by "
                     r"that number in a nested PID namespace; kept while "
                     r"it runs\)", said), said


@pytest.mark.parametrize("host", [None, "tests"],
                         ids=["same-host-name", "own-host-name"])
def test_covsettle_in_its_own_pid_namespace(cov, shared, procs, host):
    # covsettle in a container of its own: the writer, here, has a number
    # covsettle's namespace does not have. Not the initial PID namespace:
    # nothing proves it gone. With host networking (this host's name) the
    # pid test answers unknown; under a name of its own the file is from
    # another host, and waits the same.
    w = Wrapped(writer_argv(cov, shared, "between-transactions"))
    procs.append(w)
    w.paused("between-transactions")
    prefix = ["unshare", "--mount", "--propagation", "private", "--pid",
              "--fork", "--mount-proc"]
    evidence = (f"writer pid {w.p.pid} unknown (not visible from this PID "
                "namespace)")
    if host is not None:
        prefix += ["--uts", "/bin/sh", "-c",
                   f'hostname {host} && exec "$@"', "sh"]
        evidence = None
    held_then_combined(cov, w, shared, procs, evidence, prefix=prefix)


# ---- /proc with hidepid=2, covsettle another user ----

def test_hidepid_hides_the_writer_from_covsettle(cov, shared, procs):
    # /proc mounted with hidepid=2 (systemd's ProtectProc=invisible):
    # covsettle, as nobody, cannot see root's writer in /proc, but kill(2)
    # answers EPERM: it exists. Paused after has_arcs, the file is a valid
    # database with nothing measured yet: it is held while that process
    # runs.
    w = Wrapped(writer_argv(cov, shared, "after-has-arcs"))
    procs.append(w)
    w.paused("after-has-arcs")
    hide = ["unshare", "--mount", "--propagation", "private", "/bin/sh",
            "-c", 'mount -t proc -o hidepid=2 proc /proc && exec "$@"', "sh",
            *as_user(READER_USER)]
    held_then_combined(cov, w, shared, procs,
                       f"writer pid {w.p.pid} unknown (exists, but /proc "
                       "hides it from covsettle)", prefix=hide, busy=True)


# ---- another user: a renamed process, an embedded Python ----

GUNICORN_APP = """\
def app(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"ok\\n"]
"""

# The worker, once started, saves a coverage.py data file through
# tests/writer.py, pausing as the test says; it talks on the stdin and
# stdout it inherits from the master.
GUNICORN_CONF = """\
import sys
bind = "127.0.0.1:0"
workers = 1
proc_name = "app"


def post_worker_init(worker):
    sys.argv = {argv!r}
    sys.path.insert(0, {tests!r})
    import writer
    try:
        writer.main()
    except SystemExit:
        pass
"""

# Debian's gunicorn, and the setproctitle it renames its processes with,
# under the coverage.py of the run (a venv finds them after its own
# packages).
GUNICORN_RUN = ("import sys; sys.path.append('/usr/lib/python3/dist-packages');"
                " from gunicorn.app.wsgiapp import run;"
                " sys.argv = ['gunicorn', '-c', 'conf.py', 'app:app']; run()")


@pytest.mark.skipif(shutil.which("gunicorn") is None,
                    reason="gunicorn is not installed")
def test_gunicorn_worker_of_another_user(cov, shared, procs, writer_user):
    # A gunicorn worker as another user, renamed by setproctitle: its
    # command name and line say "gunicorn: worker [app]", its executable
    # and maps cannot be read. Not "not Python": kept while it runs.
    argv = writer_argv(cov, shared, "after-has-arcs")
    with open(os.path.join(shared, "app.py"), "w") as f:
        f.write(GUNICORN_APP)
    with open(os.path.join(shared, "conf.py"), "w") as f:
        f.write(GUNICORN_CONF.format(argv=["writer.py", *argv[2:]],
                                     tests=os.path.dirname(WRITER)))
    w = Wrapped(as_user(writer_user) + [cov.python, "-c", GUNICORN_RUN],
                cwd=shared)
    procs.append(w)
    w.paused("after-has-arcs")
    worker = pid_in_name(w.first_name)
    assert worker != w.p.pid  # the worker wrote it, not the master
    title = open(f"/proc/{worker}/cmdline").read()
    assert title.startswith("gunicorn: worker [app]"), title
    held_then_combined(cov, w, shared, procs,
                       f"writer pid {worker} unknown (its executable "
                       "cannot be read; kept while it runs)",
                       prefix=as_user(READER_USER), busy=True,
                       stop=lambda: os.kill(w.p.pid, signal.SIGTERM))


@pytest.mark.skipif(UWSGI is None or not os.path.exists(UWSGI_PLUGIN),
                    reason="uWSGI's python3 plugin is not installed "
                           "(uwsgi-core, uwsgi-plugin-python3)")
def test_uwsgi_worker_of_another_user(cov, shared, procs, writer_user):
    # uWSGI embeds Python through its python3 plugin: the process is
    # uwsgi-core by every name, libpython only in its maps, which another
    # user cannot read.
    argv = writer_argv(cov, shared, "after-has-arcs")
    home = []
    if cov.python != "/usr/bin/python3":
        home = ["--home", os.path.dirname(os.path.dirname(cov.python))]
    w = Wrapped(as_user(writer_user)
                + [UWSGI, "--plugin", UWSGI_PLUGIN, *home, "--honour-stdin",
                   "--pyrun", argv[1], "--pyargv",
                   " ".join(map(shlex.quote, argv[2:]))], merged=True)
    procs.append(w)
    w.paused("after-has-arcs")
    assert open(f"/proc/{w.p.pid}/comm").read().strip() == "uwsgi-core"
    held_then_combined(cov, w, shared, procs,
                       f"writer pid {w.p.pid} unknown (its executable "
                       "cannot be read; kept while it runs)",
                       prefix=as_user(READER_USER), busy=True)


# ---- a Python under another name ----

def test_copied_interpreter(cov, shared, procs):
    # cp python3.11 appserver: the executable's name says nothing, the
    # CPython extension modules in its maps (coverage.py's tracer,
    # sqlite3's) do. covsettle reads them (root): alive.
    real = os.path.realpath(cov.python)
    app = os.path.join(shared, "appserver")
    shutil.copy(real, app)
    env = dict(os.environ)
    if cov.python != "/usr/bin/python3":  # a venv's coverage.py
        venv = os.path.dirname(os.path.dirname(cov.python))
        site = [os.path.join(venv, "lib", d, "site-packages")
                for d in os.listdir(os.path.join(venv, "lib"))]
        env["PYTHONPATH"] = os.pathsep.join(site)
    w = Wrapped(writer_argv(cov, shared, "after-has-arcs", python=app),
                env=env)
    procs.append(w)
    w.paused("after-has-arcs")
    assert os.readlink(f"/proc/{w.p.pid}/exe") == app
    comm = open(f"/proc/{w.p.pid}/comm").read().strip()
    held_then_combined(cov, w, shared, procs,
                       f"writer pid {w.p.pid} alive (a Python process)",
                       busy=True, said=f"writer pid {w.p.pid} ({comm}) alive")


# ---- proof that a writer is gone ----

def test_writer_that_died_mid_save_here_fails_at_once(cov, shared, procs):
    # The writer dies mid-save on this host: covsettle, in the initial PID
    # namespace, sees that no process has its number at any level. Exit 4
    # long before the timeout.
    w = Wrapped(writer_argv(cov, shared, "between-transactions"))
    procs.append(w)
    w.paused("between-transactions")
    w.kill()
    r = subprocess.run([COVSETTLE, "wait", "-v", "-d", DEBOUNCE, "-T",
                        "10m", os.path.join(shared, "data")],
                       capture_output=True, text=True, timeout=LONG,
                       stdin=subprocess.DEVNULL)
    assert r.returncode == 4, r.stderr
    assert (f"{w.first_name}: writer pid {w.p.pid} gone (no process has "
            "that number in any PID namespace)") in r.stderr
    assert os.path.exists(w.first_path)


def test_writer_seen_alive_then_dead_in_covsettle_namespace(cov, shared,
                                                            procs):
    # covsettle and the writer in one container, not the initial PID
    # namespace: covsettle sees the writer alive, then sees it end
    # mid-save. That is proof: exit 4 at once, not at the timeout.
    data = os.path.join(shared, "data")
    script = (f'{shlex.quote(COVSETTLE)} wait -v -d {DEBOUNCE} -T 10m '
              f'{shlex.quote(data)} & c=$!; '
              + " ".join(map(shlex.quote, writer_argv(
                  cov, shared, "between-transactions")))
              + '; wait $c; echo "covsettle exit $?"')
    w = Wrapped(container(["/bin/sh", "-c", script]))
    procs.append(w)
    w.paused("between-transactions")
    pid = pid_in_name(w.first_name)
    w.expect(rf"{re.escape(w.first_name)}: writer pid {pid} alive")
    w.p.stdin.close()  # the writer exits at once, its save cut short
    w.expect(r"^covsettle exit 4$", "out")
    # Seen exited by its pidfd, before or after its shell reaped it.
    assert re.search(rf"{re.escape(w.first_name)}: writer pid {pid} gone "
                     r"\((seen alive here, now exited|exited \(a zombie\))\)",
                     w.err), w.err
