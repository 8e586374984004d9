# test_early_question.py: gather asks coverage.py whether the native combine
# is safe during the wait, so that the question's Python start and import of
# coverage.py overlap it. Observed for real: the question is a child of
# gather's in /proc, with coverage.py loaded, while gather still waits; and
# whatever ends gather, no process outlives it (gather runs under a
# subreaper, which inherits, and so sees, any process gather left behind).
import json
import os
import signal
import time

import pytest

from harness import COVSETTLE, LONG, PY, Proc, datafile, union

# The mark of choice.c's question in its command line (its -c program).
MARK = "covsettle-native 2"

# Runs argv (gather) as a child subreaper: says "gather PID", passes its
# output through, and after it exits reaps every orphan it left behind,
# then says "exit RC" and "orphans ["PID COMM", ...]": every process of
# covsettle's that outlived it, whatever it runs.
REAPER = r'''
import ctypes, json, os, subprocess, sys
PR_SET_CHILD_SUBREAPER = 36
if ctypes.CDLL(None, use_errno=True).prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0):
    sys.exit("prctl failed")
p = subprocess.Popen(sys.argv[1:], stdin=subprocess.DEVNULL)
print("gather", p.pid, flush=True)
rc = p.wait()
orphans = []
while True:
    try:
        pid = os.waitid(os.P_ALL, 0, os.WEXITED | os.WNOWAIT).si_pid
    except ChildProcessError:
        break
    with open(f"/proc/{pid}/comm") as f:
        comm = f.read().strip()
    os.waitpid(pid, 0)
    orphans.append(f"{pid} {comm}")
print("exit", rc, flush=True)
print("orphans", json.dumps(orphans), flush=True)
'''


def children(pid):
    """The pids of pid's children: every process whose parent it is, from
    /proc/*/stat (a thread's children file may miss one being created)."""
    kids = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
        except (FileNotFoundError, ProcessLookupError, IndexError):
            continue
        if ppid == pid:
            kids.append(int(entry))
    return kids


def cmdline(pid):
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return f.read().decode(errors="replace").split("\0")
    except (FileNotFoundError, ProcessLookupError):
        return []


def questions(pid):
    """gather's children that are its question to coverage.py."""
    return [k for k in children(pid) if any(MARK in a for a in cmdline(k))]


def imported_coverage(pid):
    """Has process pid imported coverage.py (its C tracer is mapped)?"""
    try:
        with open(f"/proc/{pid}/maps") as f:
            return any("/coverage/tracer" in line for line in f)
    except (FileNotFoundError, ProcessLookupError):
        return False


def waiting_on_stdin(pid):
    """Is process pid blocked reading its stdin, a pipe?"""
    try:
        with open(f"/proc/{pid}/syscall") as f:
            call = f.read().split()
        return call[0] == "0" and int(call[1], 16) == 0 and \
            os.readlink(f"/proc/{pid}/fd/0").startswith("pipe:")
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return False


def until(what, pred, proc):
    """Poll pred() until it is true, while gather (proc) runs."""
    deadline = time.monotonic() + LONG
    while True:
        v = pred()
        if v:
            return v
        assert time.monotonic() < deadline, f"never: {what}\n{proc.err}"
        assert proc.running_after(0.02), f"ended before: {what}\n{proc.err}"


def gone(pid):
    """pid no longer exists, not even as a zombie: it was reaped."""
    return not os.path.exists(f"/proc/{pid}")


class Gather:
    """covsettle gather under REAPER."""

    def __init__(self, procs, *args, env=None, cwd=None):
        self.p = Proc([PY, "-c", REAPER, COVSETTLE, "gather", *args],
                      env=env, cwd=cwd)
        procs.append(self.p)
        self.pid = int(self.p.expect(r"^gather (\d+)$", "out").group(1))

    def question(self, ready=True):
        """The pid of gather's question, once it has imported coverage.py
        and waits on its stdin (ready), or once it exists."""
        def one():
            qs = questions(self.pid)
            if len(qs) == 1 and (not ready or (imported_coverage(qs[0]) and
                                               waiting_on_stdin(qs[0]))):
                return qs[0]
            return None
        return until("the question to coverage.py", one, self.p)

    def finish(self):
        """gather's exit status, its --json (or None) and the orphans."""
        assert self.p.finish() == 0, self.p.err
        rc = int(self.p.expect(r"^exit (-?\d+)$", "out").group(1))
        orphans = json.loads(self.p.expect(r"^orphans (.*)$", "out").group(1))
        doc = None
        for line in self.p.lines["out"]:
            if line.startswith("{"):
                doc = json.loads(line)
        return rc, doc, orphans


def put(cdir, pid):
    """A data file into cdir at once (copied beside it, then renamed): with
    -d 0 a copy being written could settle half done."""
    path = datafile(cdir.parent, pid=pid)
    os.rename(path, cdir / os.path.basename(path))
    return str(cdir / os.path.basename(path))


def common(cov, out, *extra):
    return ["-d", "0", "--ignore-writers", "--coverage", cov.command,
            f"--data-file={out}", "--json", *extra]


def test_question_runs_during_the_wait(tmp_path, procs, cov):
    """While gather waits for its second file, its question has started,
    imported coverage.py and waits for the staged inputs; the gather then
    combines natively, as before, and the question is reaped."""
    cdir = tmp_path / "cov"
    cdir.mkdir()
    first = put(cdir, pid=1)
    g = Gather(procs, *common(cov, tmp_path / "out", "--expect", "2", "-v"),
               str(cdir))
    q = g.question()
    assert g.p.running_after(0), "gather stopped waiting"
    second = put(cdir, pid=2)
    rc, doc, orphans = g.finish()
    assert rc == 0, g.p.err
    assert orphans == []
    assert gone(q)
    assert doc["combine"]["method"] == "native"
    assert doc["combine"]["reason"].startswith(f"coverage.py {cov.version}")
    assert doc["combine"]["ms"] >= 0
    assert "combine: native, as coverage.py " in g.p.err
    assert union(tmp_path / "out") == union(first, second)


def release(fifo):
    """Let a trigger reading fifo go on."""
    with open(fifo, "w") as f:
        f.write("go\n")


@pytest.mark.parametrize("how", ["auto", "coverage"])
def test_combine_coverage_never_asks(tmp_path, procs, cov, how):
    """gather starts the question at the start of the wait, before the
    --trigger, and when the search's --version is reaped. Once both have
    happened, the question is there with --combine=auto, and never with
    --combine=coverage."""
    cdir = tmp_path / "cov"
    cdir.mkdir()
    fifo = tmp_path / "hold"
    os.mkfifo(fifo)
    first = put(cdir, pid=1)
    g = Gather(procs, *common(cov, tmp_path / "out", "--expect", "2",
                              f"--combine={how}", "--trigger",
                              f"read x < {fifo}"), str(cdir))
    kids = until("the trigger has started", lambda: [
        (k, cmdline(k)) for k in children(g.pid)
        if any("read x" in a for a in cmdline(k))] and children(g.pid), g.p)
    version = [k for k in kids if "--version" in cmdline(k)]
    until("the search's --version is reaped",
          lambda: all(gone(k) for k in version), g.p)
    if how == "auto":
        # A child just forked shows gather's command line until its exec.
        until("the question", lambda: len(questions(g.pid)) == 1, g.p)
    else:
        assert questions(g.pid) == []
    release(fifo)
    second = put(cdir, pid=2)
    rc, doc, orphans = g.finish()
    assert rc == 0 and orphans == [], g.p.err
    assert doc["combine"]["method"] == ("native" if how == "auto" else "coverage")
    assert union(tmp_path / "out") == union(first, second)


@pytest.mark.parametrize("signo", [signal.SIGTERM, signal.SIGINT])
def test_signal_during_the_wait_stops_the_question(tmp_path, procs, cov, signo):
    cdir = tmp_path / "cov"
    cdir.mkdir()
    put(cdir, pid=1)
    g = Gather(procs, *common(cov, tmp_path / "out", "--expect", "2"), str(cdir))
    q = g.question()
    os.kill(g.pid, signo)
    rc, doc, orphans = g.finish()
    assert rc == 128 + signo
    assert orphans == [] and gone(q)
    assert doc["status"] == "signal"
    assert not (tmp_path / "out").exists()


def test_no_data_files_stops_the_question(tmp_path, procs, cov):
    """The wait, held by a --trigger, ends with no data file: the question
    that started is stopped and reaped."""
    cdir = tmp_path / "cov"
    cdir.mkdir()
    fifo = tmp_path / "hold"
    os.mkfifo(fifo)
    g = Gather(procs, *common(cov, tmp_path / "out", "--expect", "0",
                              "--trigger", f"read x < {fifo}"), str(cdir))
    q = g.question()
    release(fifo)
    rc, doc, orphans = g.finish()
    assert rc == 0, g.p.err
    assert orphans == [] and gone(q)
    assert doc["inputs"] == 0 and doc["combine"] is None
    assert "no data files" in g.p.err


def test_timeout_stops_the_question(tmp_path, procs, cov):
    cdir = tmp_path / "cov"
    cdir.mkdir()
    put(cdir, pid=1)
    g = Gather(procs, *common(cov, tmp_path / "out", "--expect", "2",
                              "--timeout", "5s"), str(cdir))
    q = g.question()
    rc, doc, orphans = g.finish()
    assert rc == 3, g.p.err
    assert orphans == [] and gone(q)


# coverage.py's console script, as pip writes it, whose --version waits
# until the test writes to the fifo HOLD, and then fails: the search moves
# on to the next candidate.
FAILING_PROBE = """#!/usr/bin/python3
import sys
if sys.argv[1:] == ["--version"]:
    open(HOLD).read()
    sys.exit(1)
from coverage.cmdline import main
sys.exit(main())
"""


def test_question_follows_the_search_to_the_next_candidate(tmp_path, procs):
    """`coverage` on PATH is recognised as coverage.py's console script, so
    the question starts for it; its --version then fails and the search
    moves on to python3-coverage: the first question is stopped and reaped,
    and one for python3-coverage starts, which the native combine uses."""
    cdir = tmp_path / "cov"
    cdir.mkdir()
    first = put(cdir, pid=1)
    fake = tmp_path / "fakebin"
    fake.mkdir()
    hold = tmp_path / "hold"
    os.mkfifo(hold)
    (fake / "coverage").write_text(FAILING_PROBE.replace("HOLD", repr(str(hold))))
    (fake / "coverage").chmod(0o755)
    env = dict(os.environ, PATH=f"{fake}:/usr/bin:/bin")
    env.pop("COVSETTLE_COVERAGE", None)
    g = Gather(procs, "-d", "0", "--ignore-writers", "--expect", "2", "--json",
               f"--data-file={tmp_path / 'out'}", str(cdir), env=env)
    q1 = g.question()
    release(hold)
    q2 = until("a question for the next candidate",
               lambda: [q for q in questions(g.pid) if q != q1], g.p)
    until("the first question is reaped", lambda: gone(q1), g.p)
    assert q2 == [g.question()]
    second = put(cdir, pid=2)
    rc, doc, orphans = g.finish()
    assert rc == 0, g.p.err
    assert orphans == [] and gone(q2[0])
    assert doc["coverage"] == "python3-coverage"
    assert doc["combine"]["method"] == "native"
    assert union(tmp_path / "out") == union(first, second)


@pytest.mark.parametrize("command", ["wait", "gather"])
def test_nothing_outlives_covsettle(tmp_path, procs, cov, command):
    """Once wait or gather has exited, no process of covsettle's is left,
    not even one that would end on its own a moment later: whoever waits
    for the command's process group or session would wait for it."""
    cdir = tmp_path / "cov"
    cdir.mkdir()
    put(cdir, pid=1)
    args = ["-d", "0", "--ignore-writers", "--expect", "1", str(cdir)]
    if command == "gather":
        args = common(cov, tmp_path / "out", *args)
    p = Proc([PY, "-c", REAPER, COVSETTLE, command, *args], cwd=tmp_path)
    procs.append(p)
    assert p.finish() == 0, p.err
    assert p.expect(r"^exit (-?\d+)$", "out").group(1) == "0", p.err
    assert json.loads(p.expect(r"^orphans (.*)$", "out").group(1)) == []
