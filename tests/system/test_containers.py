# test_containers.py: covsettle where writer and reader do not share a PID
# namespace, a host name or a path: the seed's two-container layout, built
# from real Linux namespaces (unshare, as root) instead of a Docker engine.
# A "container" here is a process in new PID, UTS and mount namespaces
# with its own /proc, a host name of its own (or this one's: host
# networking) and the data directory bind-mounted at another path, as a
# volume. The network namespace is shared (gunicorn's port is reachable).
import json
import os
import re
import shlex
import shutil
import subprocess
import tempfile
import time
import urllib.request

import pytest

from harness import (COVSETTLE, FIXTURES, HOST, LONG, PY, ROOT, WRITER, Proc,
                     Writer, covsettle, datafile)

DEBOUNCE = "200ms"
UNION = os.path.join(ROOT, "fixtures", "union.py")
GUNICORN_DIR = os.path.join(ROOT, "examples", "gunicorn")
NS = ["unshare", "--pid", "--fork", "--uts", "--mount", "--mount-proc"]


def unshare_refused():
    """Why new namespaces cannot be made here, or None."""
    if shutil.which("unshare") is None:
        return "unshare(1) is not installed"
    try:
        r = subprocess.run(NS + ["true"], capture_output=True, text=True,
                           timeout=LONG)
    except OSError as e:
        return f"unshare: {e}"
    if r.returncode != 0:
        return f"unshare is not permitted here: {r.stderr.strip()}"
    return None


REFUSED = unshare_refused()
pytestmark = pytest.mark.skipif(REFUSED is not None, reason=REFUSED or "")


def container(argv, host=None, volumes=(), pid_ns=True, before=""):
    """argv run in a container: new PID (unless pid_ns is False) and mount
    namespaces, a UTS namespace named host when host is given (else this
    host's name: host networking), and volumes, (path here, path inside)
    pairs, bind-mounted. `before` is shell run first, inside. With
    pid_ns, argv's process is pid 1 there unless `before` forks."""
    flags = ["unshare", "--mount", "--propagation", "private"]
    if pid_ns:
        flags += ["--pid", "--fork", "--mount-proc"]
    if host is not None:
        flags.append("--uts")
    script = ["set -e"]
    if host is not None:
        script.append(f"hostname {shlex.quote(host)}")
    for here, inside in volumes:
        script.append(f"mount --bind {shlex.quote(str(here))} "
                      f"{shlex.quote(str(inside))}")
    if before:
        script.append(before)
    script.append("exec " + " ".join(shlex.quote(str(a)) for a in argv))
    return flags + ["/bin/sh", "-c", "\n".join(script)]


class NsWriter(Writer):
    """tests/writer.py in a container; the protocol of harness.Writer.
    python: the interpreter whose coverage.py writes (Cov.python)."""

    def __init__(self, inside, host=None, volumes=(), before="", args=(),
                 exec_writer=True, python=PY):
        argv = [python, WRITER, inside, *args]
        if not exec_writer:  # a child of the container's shell, not pid 1
            argv = ["/bin/sh", "-c", " ".join(map(shlex.quote, argv)) + "; :"]
        Proc.__init__(self, container(argv, host, volumes, before=before),
                      stdin=subprocess.PIPE)
        self.first_path = self.expect(r"^file (.*)$", "out").group(1)
        self.first_name = os.path.basename(self.first_path)


@pytest.fixture
def ns_writer(procs, cov):
    """Start tests/writer.py in a container, under the coverage.py of this
    run (so a test using it runs once per version of the matrix)."""
    def start(*args, **kw):
        w = NsWriter(*args, python=cov.python, **kw)
        procs.append(w)
        return w
    return start


def volume(tmp_path):
    """A data directory here and an empty mount point for it."""
    data, mnt = tmp_path / "data", tmp_path / "mnt"
    data.mkdir()
    mnt.mkdir()
    return data, mnt


# The writer's host and pid in a data file name, of any era of coverage.py:
# HOST.PID.NNNNNN, HOST.PID.Xabcdefx, HOST.pidPID.Xabc12fx[.H...h].
NAME = re.compile(r"^\.coverage\.(.+)\.(?:pid)?(\d+)\.(?:\d{6}|X\w{6}x)"
                  r"(?:\.H\w+h)?$")


def host_in_name(name):
    return NAME.match(name).group(1)


def pid_in_name(name):
    return int(NAME.match(name).group(2))


# ---- the writer in its own container ----

def test_writer_in_a_container_with_its_data_on_a_volume(tmp_path, ns_writer,
                                                          run):
    # The writer sees the directory at another path and has its own host
    # name and pid numbers; here it is an ordinary data file, and a file
    # held open for writing across the boundary is still seen as such.
    data, mnt = volume(tmp_path)
    w = ns_writer(str(mnt), host="server", volumes=[(data, mnt)],
                  args=["--pause-at", "open-transaction"])
    assert (host_in_name(w.name), pid_in_name(w.name)) == ("server", 1)
    w.paused("open-transaction")
    p = run("wait", "-v", "-d", DEBOUNCE, "-T", "60s", "--json", str(data))
    p.expect(r"data file: " + w.name.replace(".", r"\."))
    assert p.running_after(3), p.err  # open for writing: never settled
    w.go()
    w.saved()
    assert p.finish() == 0, p.err
    doc = json.loads(p.out)
    assert [(f["name"], f["verdict"]) for f in doc["files"]] == [(w.name, "ok")]


def test_host_network_writer_pid_1_is_not_this_hosts_pid_1(tmp_path,
                                                            ns_writer):
    # Host networking: the writer shares this host's name, and is pid 1 in
    # its PID namespace. This host's pid 1 lives since boot and is not the
    # writer: the file settles by the rule, not at the timeout.
    data, mnt = volume(tmp_path)
    w = ns_writer(str(mnt), volumes=[(data, mnt)], args=["--pause-at",
                                                         "after-save"])
    assert (host_in_name(w.name), pid_in_name(w.name)) == (HOST, 1)
    w.paused("after-save")  # alive, in its namespace
    assert os.path.exists("/proc/1")
    r = covsettle("wait", "-v", "-d", DEBOUNCE, "-T", "20s", str(data))
    assert r.returncode == 0, r.stderr
    assert f"{w.name}: no writer evidence from its pid: pid 1 (" in r.stderr
    # Nor is the writer gone: its number is a pid in another namespace.
    assert f"{w.name}: writer pid 1 unknown (" in r.stderr
    assert "writer pid 1 alive" not in r.stderr
    assert "writer pid 1 gone" not in r.stderr
    w.go()


def test_host_network_writer_small_pid_not_taken_for_a_kernel_thread(
        tmp_path, ns_writer):
    # The writer is pid 2 in its namespace (its shell is pid 1); here pid
    # 2 is kthreadd. Paused between transactions, the file is incomplete:
    # it is given until the timeout (exit 3), not called dead at once, and
    # the message blames no process.
    data, mnt = volume(tmp_path)
    w = ns_writer(str(mnt), volumes=[(data, mnt)], exec_writer=False,
                  before="echo 1 > /proc/sys/kernel/ns_last_pid",
                  args=["--pause-at", "between-transactions"])
    assert pid_in_name(w.name) == 2
    w.paused("between-transactions")
    r = covsettle("wait", "-v", "-d", DEBOUNCE, "-T", "2s", str(data))
    assert r.returncode == 3, r.stderr
    assert "pid 2 (kthreadd) is a kernel thread" in r.stderr
    assert f"failing their check: {w.name} (incomplete" in r.stderr
    w.go()
    w.saved()
    r = covsettle("wait", "-d", DEBOUNCE, "-T", "20s", str(data))
    assert r.returncode == 0, r.stderr


def test_host_network_pid_shared_with_a_live_python_process_here(
        tmp_path, ns_writer, procs):
    # The worst collision: here, a Python process that started before the
    # file has the very pid the writer has in its namespace. The number is
    # ambiguous (a process in another PID namespace goes by it too), so it
    # is no evidence, and the finished file settles.
    other = Proc([PY, "-c", "import sys; print('up', flush=True); sys.stdin.read()"],
                 stdin=subprocess.PIPE)
    procs.append(other)
    other.expect("^up$", "out")
    target = other.p.pid
    data, mnt = volume(tmp_path)
    # The container's shell is pid 1; the next pid it hands out is target.
    w = ns_writer(str(mnt), volumes=[(data, mnt)], exec_writer=False,
                  before=f"echo {target - 1} > /proc/sys/kernel/ns_last_pid",
                  args=["--pause-at", "after-save"])
    assert pid_in_name(w.name) == target
    w.paused("after-save")
    r = covsettle("wait", "-v", "-d", DEBOUNCE, "-T", "20s", str(data))
    assert r.returncode == 0, r.stderr
    assert (f"pid {target} (python3) shares its number with a process in "
            "another PID namespace") in r.stderr
    w.go()


def test_same_namespace_writer_still_holds_the_wait(tmp_path, writer):
    # The rule is unchanged where the pid means what it says: a live
    # Python writer here holds an (incomplete) file until the timeout and
    # is named with its command.
    w = writer(tmp_path, "--pause-at", "between-transactions")
    w.paused("between-transactions")
    r = covsettle("wait", "-d", DEBOUNCE, "-T", "1500ms", str(tmp_path))
    assert r.returncode == 3, r.stderr
    comm = open(f"/proc/{w.p.pid}/comm").read().strip()
    assert f"(writer pid {w.p.pid} ({comm}) alive)" in r.stderr
    w.go()


def test_a_process_started_after_the_file_is_not_its_writer(tmp_path):
    # In a fresh PID namespace, the pid in the name is handed to a Python
    # process born after the file: it cannot have written it, and is no
    # evidence. (covsettle runs in that namespace too.)
    name = f".coverage.{HOST}.50.Xabcdefx"
    # The fixture's own inode: born long ago (a copy would be born now,
    # within the slack allowed for clocks).
    try:
        os.link(os.path.join(FIXTURES, "lines"), tmp_path / name)
    except OSError:
        datafile(tmp_path, name)
        time.sleep(3)  # the time the rule needs to see it older
    late = f"{PY} -c 'import time; time.sleep(600)' & "
    r = subprocess.run(
        container(["/bin/sh", "-c", f'{late} "$@"; s=$?; kill $!; exit $s',
                   "sh", COVSETTLE, "wait", "-v", "-d", DEBOUNCE, "-T", "20s",
                   str(tmp_path)],
                  before="echo 49 > /proc/sys/kernel/ns_last_pid"),
        capture_output=True, text=True, timeout=LONG)
    assert r.returncode == 0, r.stderr
    assert (f"{name}: no writer evidence from its pid: pid 50 (python3) "
            "started after the file was created") in r.stderr


# ---- covsettle in the tests' container ----

def test_covsettle_in_its_own_container_waits_for_a_writer_in_another(
        tmp_path, ns_writer, procs):
    # The seed's layout: the server's writer in one container, covsettle in
    # the tests' container, each seeing the shared volume at its own path.
    data, mnt = volume(tmp_path)
    mnt2 = tmp_path / "tests-mnt"
    mnt2.mkdir()
    w = ns_writer(str(mnt), host="server", volumes=[(data, mnt)],
                  args=["--pause-at", "open-transaction"])
    w.paused("open-transaction")
    p = Proc(container([COVSETTLE, "wait", "-v", "-d", DEBOUNCE, "-T", "60s",
                        "--json", str(mnt2)],
                       host="tests", volumes=[(data, mnt2)]))
    procs.append(p)
    p.expect(r"data file: " + w.name.replace(".", r"\."))
    assert p.running_after(3), p.err
    w.go()
    w.saved()
    assert p.finish() == 0, p.err
    doc = json.loads(p.out)
    assert [(f["name"], f["verdict"]) for f in doc["files"]] == [(w.name, "ok")]


def test_covsettle_in_a_container_with_a_colliding_pid(tmp_path, writer):
    # covsettle inside a container with host networking: a writer on the
    # host has a pid that, in covsettle's PID namespace, is covsettle's own
    # shell or nothing at all. Neither holds the wait.
    w = writer(tmp_path, "--pause-at", "after-save")
    w.paused("after-save")
    mnt = tmp_path.parent / (tmp_path.name + "-mnt")
    mnt.mkdir()
    r = subprocess.run(container([COVSETTLE, "wait", "-d", DEBOUNCE, "-T",
                                  "20s", str(mnt)],
                                 volumes=[(tmp_path, mnt)]),
                       capture_output=True, text=True, timeout=LONG)
    assert r.returncode == 0, r.stderr
    w.go()


# ---- files no writer can mend, from another host ----

def garbage(directory, host="otherhost", pid=4242):
    name = f".coverage.{host}.{pid}.Xabcdefx"
    with open(os.path.join(str(directory), name), "wb") as f:
        f.write(os.urandom(5000))
    return name


def test_garbage_from_another_host_fails_without_waiting(tmp_path):
    # Not SQLite at all: no writer can mend it, known or not. Exit 4 once
    # it is quiet, long before the timeout.
    name = garbage(tmp_path)
    start = time.monotonic()
    r = covsettle("gather", "-d", "100ms", "-T", "30s", str(tmp_path))
    assert r.returncode == 4, r.stderr
    assert time.monotonic() - start < 30
    assert f"{name}: not-sqlite: no SQLite header (5000 bytes)" in r.stderr
    assert "that no writer will mend" in r.stderr
    assert os.path.getsize(tmp_path / name) == 5000


def test_garbage_from_another_host_is_quarantined(tmp_path):
    name = garbage(tmp_path)
    out = subprocess.run([PY, WRITER, str(tmp_path), "--src-dir",
                          str(tmp_path / "src")], stdin=subprocess.DEVNULL,
                         capture_output=True, text=True, check=True).stdout
    # The data file's last name: "file" first, "renamed" by 7.13.1+.
    good = [l.split(" ", 1)[1] for l in out.splitlines()
            if l.startswith(("file ", "renamed "))][-1]
    r = covsettle("gather", "-d", "100ms", "-T", "30s", "--invalid=quarantine",
                  "--data-file", str(tmp_path / "combined"), "--json",
                  str(tmp_path))
    assert r.returncode == 0, r.stderr
    assert f"moved invalid {name} to {tmp_path}/quarantine/{name}" in r.stderr
    assert os.path.getsize(tmp_path / "quarantine" / name) == 5000
    assert not (tmp_path / name).exists()
    assert os.path.exists(good)
    assert json.loads(r.stdout)["inputs"] == 1


def test_garbage_under_a_live_pid_of_this_host_fails_too(tmp_path, writer):
    # Even where the pid names a live Python process that can be the
    # writer, a file that is not SQLite is final once quiet.
    w = writer(tmp_path, "--pause-at", "before-save")
    w.paused("before-save")
    name = garbage(tmp_path, host=HOST, pid=w.p.pid)
    r = covsettle("wait", "-d", "100ms", "-T", "30s", str(tmp_path))
    assert r.returncode == 4, r.stderr
    assert f"{name}: not-sqlite" in r.stderr
    w.go()


def test_failing_files_at_the_timeout_are_invalid_not_a_timeout(tmp_path):
    # A symlink out of DIR under another host's name: its writer cannot be
    # known gone, so it gets until the timeout, and then it is exit 4.
    name = ".coverage.otherhost.4343.Xabcdefx"
    os.symlink("/etc/hostname", tmp_path / name)
    datafile(tmp_path, pid=78)
    r = covsettle("wait", "-d", "100ms", "-T", "1500ms", str(tmp_path))
    assert r.returncode == 4, r.stderr
    assert f"{name}: symlink" in r.stderr
    # An unfinished save at the timeout stays a timeout.
    os.unlink(tmp_path / name)
    datafile(tmp_path, fixture="schema-only", pid=79)
    r = covsettle("wait", "-d", "100ms", "-T", "1500ms", str(tmp_path))
    assert r.returncode == 3, r.stderr
    assert "timed out" in r.stderr


# ---- what cannot be seen ----

def test_refused_leases_are_said_once(procs):
    # Not the file's owner and no CAP_LEASE (the default in a container):
    # leases are refused, and -v says that the open-for-writing test is off.
    d = tempfile.mkdtemp(prefix="covsettle-lease-")
    try:
        os.chmod(d, 0o755)
        for pid in (80, 81):
            os.chmod(datafile(d, pid=pid), 0o644)
        # A copy the other user can run, wherever the checkout lives.
        exe = os.path.join(d, "bin", "covsettle")
        os.mkdir(os.path.dirname(exe), 0o755)
        shutil.copy(COVSETTLE, exe)
        os.chmod(exe, 0o755)
        r = subprocess.run(
            ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
             "--inh-caps=-all", "--bounding-set=-all",
             exe, "wait", "-v", "-d", DEBOUNCE, "-T", "20s", d],
            capture_output=True, text=True, timeout=LONG)
        assert r.returncode == 0, r.stderr
        said = [l for l in r.stderr.splitlines()
                if "the open-for-writing test is off" in l]
        assert len(said) == 1, r.stderr
        assert "no CAP_LEASE" in said[0]
        assert "--debounce must cover the longest pause of a save" in said[0]
        # As the owner, nothing to say.
        r = covsettle("wait", "-v", "-d", DEBOUNCE, "-T", "20s", d)
        assert r.returncode == 0, r.stderr
        assert "open-for-writing test is off" not in r.stderr
    finally:
        shutil.rmtree(d)


# ---- the gunicorn restart flow, the server in its container ----

def children_of(pid):
    with open(f"/proc/{pid}/task/{pid}/children") as f:
        return [int(c) for c in f.read().split()]


def get(url):
    with urllib.request.urlopen(url, timeout=30) as answer:
        return answer.status, answer.read()


def post(url, payload):
    req = urllib.request.Request(url, data=json.dumps(payload).encode(),
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=30) as answer:
        return answer.status, json.loads(answer.read())


def test_gunicorn_restart_with_the_server_in_its_container(tmp_path, procs):
    # docker exec S pkill -HUP -o gunicorn, with namespaces: the server runs
    # as pid 1 of its container (host name "server"), its run directory a
    # volume; covsettle, here, arms its watch, sends the SIGHUP into the
    # container, and combines the old workers' files.
    run_dir, mnt = volume(tmp_path)
    (run_dir / "cov").mkdir()
    env = dict(os.environ, RUN_DIR=str(mnt),
               SCORER_COVERAGE_RC=os.path.join(GUNICORN_DIR, ".coveragerc"),
               COVERAGE_FILE=str(mnt / "cov" / ".coverage"))
    argv = container(["/usr/bin/gunicorn", "-c", "gunicorn.conf.py",
                      "scorer.web:app"], host="server",
                     volumes=[(run_dir, mnt)],
                     before=f"cd {shlex.quote(GUNICORN_DIR)}")
    server = Proc(argv, env=env)
    procs.append(server)
    ready = subprocess.run([PY, os.path.join(GUNICORN_DIR, "waitfor.py"),
                            "ready", str(run_dir), str(server.p.pid), "60"],
                           capture_output=True, text=True, timeout=LONG + 30)
    assert ready.returncode == 0, ready.stderr + server.err
    url = ready.stdout.strip()
    for _ in range(4):
        assert get(url + "/health")[0] == 200
        status, body = post(url + "/round", {"a": {"price": 5, "ads": 0},
                                             "b": {"price": 7, "ads": 1}})
        assert status == 200, body
    init = children_of(server.p.pid)[0]  # the container's pid 1, from here
    data = tmp_path / "combined.coverage"
    r = subprocess.run(
        [COVSETTLE, "gather", "--new-only", "--expect", "2", "-d", DEBOUNCE,
         "-T", "60s",
         "--trigger", f"nsenter -t {init} -p -m pkill -HUP -o gunicorn",
         "--rcfile", os.path.join(GUNICORN_DIR, ".coveragerc"),
         "--data-file", str(data), "--json", str(run_dir / "cov")],
        cwd=GUNICORN_DIR, capture_output=True, text=True,
        stdin=subprocess.DEVNULL, timeout=LONG + 60)
    assert r.returncode == 0, r.stderr + server.err
    doc = json.loads(r.stdout)
    names = [f["name"] for f in doc["files"]]
    assert len(names) == 2 and all(host_in_name(n) == "server"
                                   for n in names), names
    assert all(f["verdict"] == "ok" for f in doc["files"])
    assert doc["inputs"] == 2 and not doc["lost"]
    # The combined file is exactly the union of the old workers' files.
    union = lambda *paths: json.loads(subprocess.run(
        [PY, UNION, *paths], check=True, text=True,
        stdout=subprocess.PIPE).stdout)
    assert union(str(data)) == union(*(str(run_dir / "cov" / n)
                                       for n in names))
    assert any(k.endswith("web.py") for k in union(str(data))["arcs"])
    # The server restarted and answers again.
    ready = subprocess.run([PY, os.path.join(GUNICORN_DIR, "waitfor.py"),
                            "ready", str(run_dir), str(server.p.pid), "60"],
                           capture_output=True, text=True, timeout=LONG + 30)
    assert ready.returncode == 0, ready.stderr


def test_gathers_in_two_containers_share_the_lock_of_a_volume(tmp_path, procs):
    # Two containers see one volume at their own paths: the second gather
    # finds the first's lock taken, and names no pid (the holder's means
    # nothing in its pid namespace; it is pid 1 in its own).
    data, mnt = volume(tmp_path)
    mnt2 = tmp_path / "mnt2"
    mnt2.mkdir()
    datafile(data, pid=1)
    a = Proc(container([COVSETTLE, "gather", "-v", "-d", DEBOUNCE, "--expect",
                        "2", "--data-file", str(tmp_path / "a.cov"), str(mnt)],
                       host="a", volumes=[(data, mnt)]), cwd=tmp_path)
    procs.append(a)
    a.expect("watching")
    r = subprocess.run(container([COVSETTLE, "gather", "--no-wait-lock",
                                  str(mnt2)], host="b", volumes=[(data, mnt2)]),
                       capture_output=True, text=True, timeout=LONG,
                       stdin=subprocess.DEVNULL, cwd=tmp_path)
    assert r.returncode == 3, r.stderr
    assert (f"another gather (a pid not visible here) is running on {mnt2} "
            "(--no-wait-lock)") in r.stderr
    datafile(data, pid=2)
    assert a.finish() == 0, a.err
    assert sorted(os.listdir(data)) == [".coverage.otherhost.1.123456",
                                        ".coverage.otherhost.2.123456"]
