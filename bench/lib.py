# lib.py: what covsettle's benchmarks share: paths, real data files, timing,
# waiting for covsettle's watch, a small inotify reader, statistics and rows.
import sys
import ctypes
import hashlib
import os
import select
import shutil
import signal
import socket
import sqlite3
import statistics
import struct
import subprocess
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
COVSETTLE = os.environ.get("COVSETTLE", os.path.join(ROOT, "build", "covsettle"))
PY = "/usr/bin/python3"  # the first python3 on PATH may lack coverage.py
COVERAGE = "python3-coverage"  # Debian's coverage.py 6.5
WRITER = os.path.join(ROOT, "tests", "writer.py")
POLL_LOOP = os.path.join(ROOT, "bench", "poll-loop.sh")
LINES = os.path.join(ROOT, "fixtures", "data", "lines")  # a real coverage.py data file
FIXTURE_SRC = os.path.join(ROOT, "fixtures", "src")  # its sources, for reports
QUICK = os.environ.get("BENCH_QUICK", "") not in ("", "0")
HOST = socket.gethostname()
DEAD_PID = 40000  # above /proc/sys/kernel/pid_max (32768): never a live process



class Cov:
    """A coverage.py the coverage.py items run on: its version, its python, its
    console script, its era of data-file names (tests/covmatrix.py)."""

    def __init__(self, version, python, console, era):
        self.version, self.python, self.console, self.era = version, python, console, era

    def missing(self):
        return not os.access(self.python, os.X_OK)


_VENV = os.path.join(ROOT, "build", "venv", "cov-7.17.5", "bin")
# Debian's 6.5, and the newest coverage.py of the matrix (a venv of `make deps`).
COVS = [Cov("6.5", PY, COVERAGE, 1),
        Cov("7.17.5", os.path.join(_VENV, "python"), os.path.join(_VENV, "coverage"), 3)]
# Each era's real data file, as that coverage.py wrote it (fixtures/make-fixtures.sh).
ERA_LINES = {1: LINES, 3: os.path.join(ROOT, "fixtures", "data", "era-7.17.5-lines")}

_tmp = None


def tmp(name):
    """A fresh directory NAME under this run's scratch directory."""
    global _tmp
    if _tmp is None:
        _tmp = tempfile.mkdtemp(prefix="covsettle-bench-", dir=os.environ.get("BENCH_TMP"))
    path = os.path.join(_tmp, name)
    shutil.rmtree(path, ignore_errors=True)
    os.makedirs(path)
    return path


def cleanup():
    if _tmp is not None and not os.environ.get("BENCH_KEEP"):
        shutil.rmtree(_tmp, ignore_errors=True)


def data_name(i, era=1):
    """The name coverage.py gives a data file: .coverage.HOST.PID.6DIGITS (6.5, era 1),
    or .coverage.HOST_.pidPID.X<6>x.H<10>h once saved (7.13.1 and later, era 3), each
    with its own hash (combine skips files whose names share one)."""
    if era == 1:
        return f".coverage.{HOST}.{DEAD_PID + i}.{i % 1000000:06d}"
    h = hashlib.sha1(str(i).encode()).hexdigest()
    return f".coverage.{HOST.replace('.', '_')}.pid{DEAD_PID + i}.X{h[:6]}x.H{h[6:16]}h"


_pools = {}


def pool(n, era=1):
    """A directory of N distinct copies of a real data file of that era, their
    writers long gone. In era 3 each copy gets its own `when` in meta: combine
    (7.13.1+) skips a file whose hash, from its name or else from its bytes,
    it has seen, and covsettle gather stages its inputs under names of its own."""
    p = _pools.setdefault(era, {"dir": None, "n": 0})
    if p["n"] < n:
        d = p["dir"] or tmp(f"pool-{era}")
        with open(ERA_LINES[era], "rb") as f:
            data = f.read()
        old = time.time() - 60
        for i in range(p["n"], n):
            path = os.path.join(d, data_name(i, era))
            with open(path, "wb") as f:
                f.write(data)
            if era == 3:
                con = sqlite3.connect(path)
                with con:
                    con.execute("update meta set value = ? where key = 'when'", (f"copy {i}",))
                con.close()
            os.utime(path, (old, old))
        p.update(dir=d, n=n)
    return p["dir"]


def fanin(name, n, era=1, per_shard=10):
    """A directory of the first N pool files as a sharded CI run's fan-in makes
    them: PER_SHARD files from each runner, whose checkout is its own,
    /runners/rK/builds/acme/proj, its paths absolute (src/NAME.py there)."""
    src, d = pool(n, era), tmp(name)
    old = time.time() - 60
    for i in range(n):
        path = os.path.join(d, data_name(i, era))
        shutil.copyfile(os.path.join(src, data_name(i, era)), path)
        con = sqlite3.connect(path)
        with con:
            con.execute("update file set path = ? || path",
                        (f"/runners/r{i // per_shard}/builds/acme/proj/src/",))
        con.close()
        os.utime(path, (old, old))
    return d


def linked(name, n, era=1):
    """A directory holding the first N pool files (hard links: the same real files)."""
    src, d = pool(n, era), tmp(name)
    for i in range(n):
        os.link(os.path.join(src, data_name(i, era)), os.path.join(d, data_name(i, era)))
    return d


def now():
    return time.monotonic()


def run_timed(argv, **kw):
    """Run ARGV to the end; return (wall seconds, exit status)."""
    kw.setdefault("stdout", subprocess.DEVNULL)
    kw.setdefault("stderr", subprocess.DEVNULL)
    t = now()
    rc = subprocess.run(argv, **kw).returncode
    return now() - t, rc


def wait_armed(pid, dirpath, timeout=10.0):
    """Return once process PID has an inotify watch on DIRPATH (see /proc/PID/fdinfo)."""
    ino = f"ino:{os.stat(dirpath).st_ino:x} "
    end = now() + timeout
    while now() < end:
        try:
            for fd in os.listdir(f"/proc/{pid}/fdinfo"):
                try:
                    with open(f"/proc/{pid}/fdinfo/{fd}") as f:
                        if any(l.startswith("inotify ") and ino in l for l in f):
                            return
                except OSError:
                    pass
        except OSError:
            raise RuntimeError(f"process {pid} is gone before arming its watch")
        time.sleep(0.001)
    raise RuntimeError(f"process {pid} armed no watch on {dirpath} in {timeout}s")


def proc_cost(pid):
    """(CPU seconds, voluntary switches, involuntary switches) of PID, all its threads."""
    cpu = vol = invol = 0
    for tid in os.listdir(f"/proc/{pid}/task"):
        with open(f"/proc/{pid}/task/{tid}/schedstat") as f:
            cpu += int(f.read().split()[0]) / 1e9  # ns on a CPU: finer than utime+stime
        with open(f"/proc/{pid}/task/{tid}/status") as f:
            for line in f:
                if line.startswith("voluntary_ctxt_switches"):
                    vol += int(line.split()[1])
                elif line.startswith("nonvoluntary_ctxt_switches"):
                    invol += int(line.split()[1])
    return cpu, vol, invol


class Inotify:
    """Events of one directory, read through libc (no module needed)."""
    IN_CLOSE_WRITE, IN_CREATE, IN_NONBLOCK, IN_CLOEXEC = 0x8, 0x100, 0o4000, 0o2000000

    def __init__(self, path, mask=IN_CLOSE_WRITE | IN_CREATE):
        libc = ctypes.CDLL(None, use_errno=True)
        self.fd = libc.inotify_init1(self.IN_NONBLOCK | self.IN_CLOEXEC)
        if self.fd < 0 or libc.inotify_add_watch(self.fd, path.encode(), mask) < 0:
            raise OSError(ctypes.get_errno(), "inotify")

    def events(self):
        """(mask, name) of the events queued now."""
        out = []
        try:
            buf = os.read(self.fd, 65536)
        except BlockingIOError:
            return out
        i = 0
        while i < len(buf):
            _, mask, _, n = struct.unpack_from("iIII", buf, i)
            out.append((mask, buf[i + 16:i + 16 + n].rstrip(b"\0").decode()))
            i += 16 + n
        return out

    def close(self):
        os.close(self.fd)


def wait_all(fds, timeout):
    """poll(2) on FDS; the ones readable (empty on timeout)."""
    p = select.poll()
    for fd in fds:
        p.register(fd, select.POLLIN)
    return [fd for fd, _ in p.poll(timeout * 1000)]


def stop_session(p, timeout=30):
    """Stop p, started with start_new_session, with SIGTERM; then kill its
    process group, should anything of it be left."""
    try:
        p.send_signal(signal.SIGTERM)
        p.wait(timeout=timeout)
    finally:
        try:
            os.killpg(p.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def median(xs):
    return statistics.median(xs)


def pct(xs, q):
    """The Q-th percentile (nearest rank) of XS."""
    s = sorted(xs)
    return s[min(len(s) - 1, max(0, round(q / 100 * len(s) + 0.5) - 1))]


def ms(x):
    return f"{x * 1000:.1f} ms" if abs(x) < 1 else f"{x:.2f} s"


def row(item, measure, covsettle, baseline="", vs="", goal="", met=""):
    """One line of the results table."""
    return dict(item=item, measure=measure, covsettle=covsettle, baseline=baseline,
                vs=vs, goal=goal, met={True: "met", False: "MISSED"}.get(met, met))


def show(rows):
    """Print ROWS (standalone runs of one benchmark)."""
    for r in rows:
        print(" | ".join(str(v) for v in r.values()), flush=True)


def main(run):
    """Run one benchmark alone: print its rows, clean up, exit 0."""
    try:
        show(run())
    finally:
        cleanup()
    sys.exit(0)
