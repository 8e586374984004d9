#!/usr/bin/python3
# seed.py: item 6, the seed flow. gunicorn (examples/gunicorn, 2 workers measured by coverage.py)
# is restarted with SIGHUP; how long until the combined data and the reports are written?
# On Debian's coverage.py 6.5 and on the newest (7.17.5, a venv of `make deps` that also
# has gunicorn and Flask): gunicorn, the workers' coverage.py and the reports all its own.
"""covsettle:  covsettle gather --new-only --expect 2 --trigger 'kill -HUP PID'
            --report text=... --report json=... --report html=... cov
            (default -d 500ms, -d 100ms, and as a diagnostic -d 100ms
            --ignore-writers, which shows the cost of waiting for the old
            workers to exit after they saved); the trigger stamps the time of
            the SIGHUP, since gather's own start-up (finding coverage.py,
            arming the watch) comes before it.
by hand:    kill -HUP PID; poll-loop.sh cov 2; coverage combine --keep,
            report, json, html (python3-coverage, or the venv's coverage).
Both from SIGHUP to the last report written, a median of several restarts.
Before each, the data directory is emptied (no worker can be saving then) and
the server answers a few requests. 127.0.0.1 only, on a port the kernel picks;
gunicorn runs in its own session and is stopped with SIGTERM, then its
process group is killed should anything be left."""
import json
import os
import shutil
import signal
import subprocess
import time
import urllib.request

import lib

HERE = os.path.join(lib.ROOT, "examples", "gunicorn")


class Server:
    def __init__(self, run_dir, cov):
        self.run, self.cov, self.py = run_dir, os.path.join(run_dir, "cov"), cov.python
        os.makedirs(self.cov)
        self.env = dict(os.environ, RUN_DIR=run_dir,
                        SCORER_COVERAGE_RC=os.path.join(HERE, ".coveragerc"),
                        COVERAGE_FILE=os.path.join(self.cov, ".coverage"))
        with open(os.path.join(run_dir, "gunicorn.out"), "w") as log:
            self.p = subprocess.Popen([self.py, "-m", "gunicorn", "-c", "gunicorn.conf.py",
                                       "scorer.web:app"], cwd=HERE, env=self.env,
                                      stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                                      start_new_session=True)
        self.url = self.ready()

    def ready(self):
        return subprocess.run([self.py, os.path.join(HERE, "waitfor.py"), "ready", self.run,
                               str(self.p.pid), "60"], check=True, capture_output=True,
                              text=True).stdout.strip()

    def exercise(self):
        """Empty the data directory, then a few requests to measure."""
        for name in os.listdir(self.cov):
            path = os.path.join(self.cov, name)
            shutil.rmtree(path) if os.path.isdir(path) else os.remove(path)
        for a, b in ((10, 10), (8, 12), (12, 8), (9, 11)):
            req = urllib.request.Request(
                self.url + "/round", method="POST", headers={"Content-Type": "application/json"},
                data=json.dumps({"a": {"price": a}, "b": {"price": b, "ads": 5}}).encode())
            urllib.request.urlopen(req, timeout=30).read()

    def stop(self):
        lib.stop_session(self.p)


def with_covsettle(cov, srv, out, debounce, *extra):
    stamp = os.path.join(srv.run, "hup")
    argv = [lib.COVSETTLE, "gather", "-q", "--json", "--new-only", "--expect", "2",
            "-d", debounce, "-T", "60s", "--coverage", cov.console, *extra,
            "--trigger", f"date +%s.%N >{stamp}; kill -HUP {srv.p.pid}",
            "--rcfile", ".coveragerc", "--data-file", os.path.join(out, ".coverage"),
            f"--report=text={out}/coverage.txt", f"--report=json={out}/coverage.json",
            f"--report=html={out}/html", srv.cov]
    r = subprocess.run(argv, cwd=HERE, env=srv.env, capture_output=True, text=True)
    end = time.time()
    if r.returncode != 0:
        raise RuntimeError(f"covsettle gather exited {r.returncode}: {r.stderr}")
    with open(stamp) as f:
        hup = float(f.read())
    summary = json.loads(r.stdout)
    cmds = sum(c["ms"] for c in summary["commands"]) / 1000
    return end - hup, cmds


def by_hand(cov, srv, out):
    hup = time.time()
    os.kill(srv.p.pid, signal.SIGHUP)
    subprocess.run(["sh", lib.POLL_LOOP, srv.cov, "2"], check=True)
    reports_by_hand(cov, srv, out)
    return time.time() - hup


def reports_by_hand(cov, srv, out):
    """coverage combine --keep, then the json, html and text reports, as a
    user's own script runs them."""
    rc = "--rcfile=.coveragerc"
    for argv in ([cov.console, "combine", "--keep", "-q", rc],
                 [cov.console, "json", "-q", rc, "-o", f"{out}/coverage.json"],
                 [cov.console, "html", "-q", rc, "-d", f"{out}/html"]):
        subprocess.run(argv, cwd=HERE, env=srv.env, check=True, stdout=subprocess.DEVNULL)
    with open(f"{out}/coverage.txt", "w") as f:
        subprocess.run([cov.console, "report", rc], cwd=HERE, env=srv.env, check=True, stdout=f)


def run():
    rows = []
    for cov in lib.COVS:
        if cov.missing():
            rows.append(lib.row("6", f"seed flow on coverage.py {cov.version}: skipped, no "
                                f"{cov.python} (make deps)", ""))
        else:
            rows += run_on(cov)
    return rows


def run_on(cov):
    trials = 2 if lib.QUICK else 5
    srv = Server(lib.tmp(f"seed-{cov.version}"), cov)
    out = lib.tmp(f"seed-out-{cov.version}")
    configs = {"500ms": ("500ms",), "100ms": ("100ms",),
               "no-writers": ("100ms", "--ignore-writers"), "hand": None}
    res = {k: [] for k in configs}
    cmds = []
    try:
        for _ in range(trials):
            for kind, args in configs.items():
                srv.exercise()
                if args is None:
                    res[kind].append(by_hand(cov, srv, out))
                else:
                    t, c = with_covsettle(cov, srv, out, *args)
                    res[kind].append(t)
                    cmds.append(c)
                srv.ready()
    finally:
        srv.stop()
    c5, c1, iw, h = (lib.median(res[k]) for k in ("500ms", "100ms", "no-writers", "hand"))
    v = f"coverage.py {cov.version}"
    return [
        lib.row("6", f"seed flow: gunicorn, 2 workers, SIGHUP to reports written (default -d 500ms); {v}",
                lib.ms(c5), lib.ms(h), f"{h / c5:.1f}x sooner", "<= 1.0 s", c5 <= 1.0),
        lib.row("6", f"seed flow, the same with -d 100ms; {v}",
                f"{lib.ms(c1)} (coverage.py: {lib.ms(lib.median(cmds))})", lib.ms(h),
                f"{h / c1:.1f}x sooner", "<= 1.0 s", c1 <= 1.0),
        lib.row("6", f"diagnostic: -d 100ms --ignore-writers (not waiting for the old workers to exit); {v}",
                lib.ms(iw), lib.ms(h), f"{h / iw:.1f}x sooner"),
    ]


if __name__ == "__main__":
    lib.main(run)
