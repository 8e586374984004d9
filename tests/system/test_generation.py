# test_generation.py: the default settings wait for a writer's whole generation
# (settle.c, condition 5). Real gunicorn + Flask on 127.0.0.1 restarted with SIGHUP,
# whose old workers save seconds apart (worker_exit sleeps a per-worker share of
# the spread before saving: generation/gunicorn_conf.py), and a real
# multiprocessing pool whose workers exit as far apart (generation/pool.py). Plain
# `covsettle gather DIR`, no --expect, no --trigger, must combine every old
# worker's data and none of the new workers' (they save at the next restart).
# On each coverage.py of the matrix: its venv has gunicorn and Flask too.
import json
import os
import signal
import subprocess
import sys
import time
import urllib.request

import pytest

from harness import COVSETTLE, covsettle, datafile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
EXAMPLE = os.path.join(ROOT, "examples", "gunicorn")
HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "generation")
WAITFOR = os.path.join(EXAMPLE, "waitfor.py")


def children(pid):
    with open(f"/proc/{pid}/task/{pid}/children") as f:
        return sorted(int(c) for c in f.read().split())


class Gunicorn:
    """gunicorn in its own session; stop() ends it and anything left of it."""

    def __init__(self, tmp, cov, workers, spread, recreate=False, skip=None):
        self.run, self.cov_dir, self.python = str(tmp), str(tmp / "cov"), cov.python
        os.makedirs(self.cov_dir)
        self.workers = workers
        self.env = dict(os.environ, RUN_DIR=self.run,
                        COVERAGE_FILE=os.path.join(self.cov_dir, ".coverage"),
                        SCORER_COVERAGE_RC=os.path.join(EXAMPLE, ".coveragerc"),
                        GEN_WORKERS=str(workers), GEN_SPREAD=str(spread),
                        GEN_RECREATE="1" if recreate else "0",
                        GEN_SKIP="" if skip is None else str(skip))
        self.env.pop("COVERAGE_PROCESS_START", None)
        with open(os.path.join(self.run, "gunicorn.out"), "w") as log:
            self.p = subprocess.Popen(
                [cov.python, "-m", "gunicorn", "-c", os.path.join(HERE, "gunicorn_conf.py"),
                 "scorer.web:app"], cwd=EXAMPLE, env=self.env, stdin=subprocess.DEVNULL,
                stdout=log, stderr=log, start_new_session=True)
        self.url = self.ready()

    def ready(self):
        """Until it answers and all of the newest generation of workers run."""
        url = subprocess.run([self.python, WAITFOR, "ready", self.run, str(self.p.pid), "60"],
                             check=True, capture_output=True, text=True).stdout.strip()
        deadline = time.monotonic() + 60
        while len(children(self.p.pid)) != self.workers:
            assert time.monotonic() < deadline, "gunicorn's workers did not settle"
            time.sleep(0.05)
        return url

    def exercise(self):
        """A few requests, as tests would make; and as with tests, the
        workers have run a while before the restart (a generation is a burst
        of forks: workers forked within 0.5 s of the restart's new ones would
        be taken for the same generation)."""
        for a, b in ((10, 10), (8, 12), (12, 8)):
            req = urllib.request.Request(
                self.url + "/round", method="POST", headers={"Content-Type": "application/json"},
                data=json.dumps({"a": {"price": a}, "b": {"price": b, "ads": 5}}).encode())
            urllib.request.urlopen(req, timeout=30).read()
        hz = os.sysconf("SC_CLK_TCK")
        for pid in children(self.p.pid):
            with open(f"/proc/{pid}/stat") as f:
                start = int(f.read().rsplit(")", 1)[1].split()[19]) / hz
            with open("/proc/uptime") as f:
                age = float(f.read().split()[0]) - start
            time.sleep(max(0.0, 1.5 - age))

    def stop(self):
        try:
            self.p.send_signal(signal.SIGTERM)
            self.p.wait(timeout=60)
        finally:
            try:
                os.killpg(self.p.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass


def gather(cov, tmp, cov_dir, *args):
    """Plain `covsettle gather DIR` (the default settings), --json to read."""
    env = dict(os.environ)
    env.pop("COVERAGE_FILE", None)
    r = subprocess.run([COVSETTLE, "gather", "-v", "--json", "-T", "60s", "--coverage", cov.command,
                        *args, cov_dir], cwd=tmp, env=env, capture_output=True, text=True,
                       timeout=120)
    return r.returncode, json.loads(r.stdout), r.stderr


def pids(cov, names):
    pat = cov.name_re()
    return sorted(int(pat.match(n).group("pid")) for n in names)


@pytest.mark.parametrize("workers", [2, 4])
def test_default_gather_waits_for_every_old_worker_of_a_restart(tmp_path, cov, workers):
    srv = Gunicorn(tmp_path, cov, workers, spread=2.0)
    try:
        srv.exercise()
        old = children(srv.p.pid)
        os.kill(srv.p.pid, signal.SIGHUP)
        code, out, err = gather(cov, tmp_path, srv.cov_dir)
        new = srv.ready() and children(srv.p.pid)
    finally:
        srv.stop()
    assert code == 0, err
    names = [f["name"] for f in out["files"]]
    # Every old worker, each once; none of the new ones (still serving).
    assert pids(cov, names) == old, (names, old, err)
    assert out["inputs"] == workers and not out["lost"]
    assert not set(new) & set(old)
    assert out["writers_unseen"] == 0, out
    assert out["members_without_data"] == 0, out
    assert "writers not seen" not in err


def test_a_worker_that_never_saves_is_named(tmp_path, cov):
    """The second old worker exits without saving: covsettle waited for it,
    says its coverage is missing, naming it, and fails (exit 4) without
    combining: the one file left would report as if it were all."""
    srv = Gunicorn(tmp_path, cov, 2, spread=1.0, skip=1)
    try:
        srv.exercise()
        old = children(srv.p.pid)
        os.kill(srv.p.pid, signal.SIGHUP)
        code, out, err = gather(cov, tmp_path, srv.cov_dir)
    finally:
        srv.stop()
    assert code == 4, err
    names = [f["name"] for f in out["files"]]
    assert len(pids(cov, names)) == 1 and pids(cov, names)[0] in old, (names, old)
    silent = (set(old) - set(pids(cov, names))).pop()
    assert out["members_without_data"] == 1 and out["status"] == "lost", out
    assert (f"covsettle: pid {silent}, born with the writers of data files in "
            f"{srv.cov_dir}, exited without writing one: its coverage is missing") in err
    assert (f"covsettle: {srv.cov_dir}: 1 process of the writers' generation exited "
            "without writing a data file: its coverage is missing; not combining") in err
    assert out["inputs"] == 0 and out["data_file"] is None, out


def test_default_wait_follows_a_pools_workers(tmp_path, cov):
    cov_dir = tmp_path / "cov"
    cov_dir.mkdir()
    env = dict(os.environ, COVERAGE_FILE=str(cov_dir / ".coverage"))
    env.pop("COVERAGE_PROCESS_START", None)
    script = os.path.join(HERE, "pool.py")
    rc = os.path.join(HERE, "pool.coveragerc")
    pool = subprocess.Popen([cov.python, "-m", "coverage", "run", f"--rcfile={rc}", script,
                             "3", "2.0"], cwd=tmp_path, env=env, stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True)
    wait = None
    try:
        workers = sorted(int(p) for p in pool.stdout.readline().split())
        assert len(workers) == 3
        # The wait is armed before the workers run their tasks and exit.
        wait = subprocess.Popen([COVSETTLE, "wait", "-v", "--json", "-T", "60s", str(cov_dir)],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        assert "watching" in wait.stderr.readline()
        pool.stdin.write("go\n")
        pool.stdin.flush()
        stdout, stderr = wait.communicate(timeout=120)
        assert pool.wait(timeout=60) == 0
    finally:
        for p in (pool, wait):
            if p is not None:
                p.kill()
                p.wait()
    assert wait.returncode == 0, stderr
    out = json.loads(stdout)
    got = pids(cov, [f["name"] for f in out["files"]])
    # Every worker of the pool; the main process saves last, just after them.
    assert set(workers) <= set(got), (got, workers, stderr)
    assert out["writers_unseen"] == 0, out


def test_writers_not_seen_are_said(tmp_path):
    """A file from another host: its writer's generation is unknown, and the
    result says so where the user looks, with the safe way out."""
    datafile(tmp_path, ".coverage.otherhost.4242.123456")
    r = covsettle("wait", "-v", "--json", str(tmp_path))
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert out["writers_unseen"] == 1
    assert out["writer_unseen"] == {"name": ".coverage.otherhost.4242.123456",
                                    "why": "written on another host"}
    assert ".coverage.otherhost.4242.123456: its writer is not seen here (written on " \
        "another host)" in r.stderr
    last = r.stderr.strip().splitlines()[-1]
    assert last.startswith("covsettle: settled: 1 data file in ")
    assert last.endswith("(writers not seen here: --expect N or --trigger says how many to "
                         "wait for)")

    # Said how many: the count is the user's, nothing to add to the last line.
    datafile(tmp_path, ".coverage.otherhost.4343.123456")
    r = covsettle("wait", "--json", "--expect", "2", str(tmp_path))
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["writers_unseen"] == 2
    assert "writers not seen" not in r.stderr
