# harness.py: helpers for covsettle's system tests. They run the real
# binary ($COVSETTLE) against real directories, real coverage.py writers
# (tests/writer.py under each coverage.py of the matrix, tests/covmatrix.py)
# and real signals.
import hashlib
import json
import os
import re
import select
import shutil
import signal
import subprocess
import sys
import time


ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
COVSETTLE = os.environ.get("COVSETTLE", os.path.join(ROOT, "build", "covsettle"))
WRITER = os.path.join(ROOT, "tests", "writer.py")
# The preload library that fakes inotify's limits, where the Makefile
# built it (it passes the path on).
NOINOTIFY = os.environ.get("COVSETTLE_NOINOTIFY",
                           os.path.join(ROOT, "build", "noinotify.so"))
FIXTURES = os.path.join(ROOT, "fixtures", "data")
UNION = os.path.join(ROOT, "fixtures", "union.py")
PY = "/usr/bin/python3"
HOST = os.uname().nodename

# Generous bounds: these tests must never flake on a loaded 2-core machine.
LONG = 60.0

# covsettle keeps ignoring a signal that was ignored when it started, as
# under nohup or in a background job of a script. The tests send these
# signals and rely on their defaults, so every process they start gets
# them at their default, and none blocked, however the suite was started.
RESET_SIGNALS = (signal.SIGINT, signal.SIGHUP, signal.SIGTERM, signal.SIGQUIT,
                 signal.SIGUSR1, signal.SIGUSR2)


def default_signals():
    """preexec_fn: the dispositions the tests rely on, in the child."""
    for s in RESET_SIGNALS:
        signal.signal(s, signal.SIG_DFL)
    signal.pthread_sigmask(signal.SIG_SETMASK, [])


class Proc:
    """A running process with line-by-line access to stdout/stderr."""

    def __init__(self, argv, stdin=subprocess.DEVNULL, env=None,
                 preexec_fn=None, **kw):
        def child():
            default_signals()
            if preexec_fn is not None:
                preexec_fn()  # what the test itself sets on top
        self.p = subprocess.Popen(argv, stdin=stdin, stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, env=env,
                                  start_new_session=True,
                                  preexec_fn=child, **kw)
        self.buf = {self.p.stdout.fileno(): b"", self.p.stderr.fileno(): b""}
        self.lines = {"out": [], "err": []}

    def _pump(self, timeout):
        fds = [fd for fd in self.buf if fd is not None]
        r, _, _ = select.select(fds, [], [], timeout)
        for fd in r:
            chunk = os.read(fd, 65536)
            if not chunk:
                self.buf.pop(fd)
                continue
            self.buf[fd] += chunk
            *done, self.buf[fd] = self.buf[fd].split(b"\n")
            key = "out" if fd == self.p.stdout.fileno() else "err"
            self.lines[key] += [d.decode(errors="replace") for d in done]
        return bool(r)

    def expect(self, pattern, stream="err", timeout=LONG):
        """Wait for a line matching pattern; return the match."""
        rx = re.compile(pattern)
        deadline = time.monotonic() + timeout
        seen = 0
        while True:
            for line in self.lines[stream][seen:]:
                m = rx.search(line)
                if m:
                    return m
            seen = len(self.lines[stream])
            left = deadline - time.monotonic()
            if left <= 0 or not self.buf:
                raise AssertionError(
                    f"no line matching {pattern!r} in {stream}:\n"
                    + "\n".join(self.lines[stream]))
            self._pump(left)

    def finish(self, timeout=LONG):
        """Wait for exit, collecting all output; return the exit status."""
        deadline = time.monotonic() + timeout
        while self.buf and time.monotonic() < deadline:
            self._pump(deadline - time.monotonic())
        rc = self.p.wait(max(0.1, deadline - time.monotonic()))
        return rc

    def running_after(self, seconds):
        """True when the process is still running after seconds."""
        deadline = time.monotonic() + seconds
        while self.buf and time.monotonic() < deadline:
            self._pump(deadline - time.monotonic())
        # Its output closes as it exits, a moment before it can be reaped:
        # wait for that rather than take it for still running.
        try:
            self.p.wait(max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            pass
        return self.p.poll() is None

    @property
    def err(self):
        return "\n".join(self.lines["err"])

    @property
    def out(self):
        return "\n".join(self.lines["out"])

    def kill(self):
        if self.p.poll() is None:
            try:
                os.killpg(self.p.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.p.wait()


class Writer(Proc):
    """tests/writer.py: a real coverage.py process that writes one data
    file and pauses where asked, continuing on 'go' sent to its stdin.
    python: the interpreter whose coverage.py writes (Cov.python)."""

    def __init__(self, directory, *args, python=PY):
        super().__init__([python, WRITER, directory, *args], stdin=subprocess.PIPE)
        self.first_path = self.expect(r"^file (.*)$", "out").group(1)
        self.first_name = os.path.basename(self.first_path)

    @property
    def path(self):
        """The data file's name now, as far as its output has told: the first
        name, or the final one once coverage.py 7.13.1+ renamed it."""
        for line in reversed(self.lines["out"]):
            if line.startswith("renamed "):
                return line[len("renamed "):]
        return self.first_path

    @property
    def name(self):
        return os.path.basename(self.path)

    def go(self):
        self.p.stdin.write(b"go\n")
        self.p.stdin.flush()

    def paused(self, point):
        self.expect(rf"^paused {point}$", "out")

    def saved(self):
        self.expect(r"^saved$", "out")


def datafile(directory, name=None, fixture="lines", pid=None):
    """Copy a fixture into directory under a data-file name."""
    if name is None:
        name = f".coverage.otherhost.{pid or 4242}.123456"
    dest = os.path.join(str(directory), name)
    shutil.copyfile(os.path.join(FIXTURES, fixture), dest)
    return dest


def aged(path, seconds=3600):
    """Make the file at path look written seconds ago: old data, quiet
    since long before any wait began."""
    t = time.time() - seconds
    os.utime(path, (t, t))
    return path


def covsettle(*args, env=None, timeout=LONG):
    """Run covsettle to completion."""
    return subprocess.run([COVSETTLE, *args], capture_output=True, text=True,
                          timeout=timeout, env=env, stdin=subprocess.DEVNULL,
                          preexec_fn=default_signals)


def union(*paths):
    """fixtures/union.py over the data files at paths: their union, as
    coverage.py's own API reads them."""
    out = subprocess.run([PY, UNION, *map(str, paths)], check=True,
                         capture_output=True, text=True).stdout
    return json.loads(out)


def digests(d):
    """The SHA-256 of each data file in directory d (a pathlib.Path)."""
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(d.iterdir()) if p.name.startswith(".coverage.")}
