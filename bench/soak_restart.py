#!/usr/bin/python3
# soak_restart.py: `make soak-restart`, never part of `make test` or `make bench`. The
# gunicorn restart of issue 25's layout, many times: examples/gunicorn's app with 2 and 4
# workers whose worker_exit hooks save up to 2 s apart and whose post_fork hooks delete
# and recreate the data directory (tests/system/generation/gunicorn_conf.py), the requests
# made from another PID and UTS namespace (unshare), on coverage.py 6.5 and the newest.
"""Each run: the data directory is emptied, the server answers requests (the workers
have served 1.5 s at least), then one of two flows, in turn:
  default:  kill -HUP; covsettle gather --json DIR      (no --expect, no --trigger)
  trigger:  covsettle gather --json --new-only --trigger 'kill -HUP PID' DIR
A run is complete when gather exits 0 and its inputs are exactly the old workers' files
(one per old worker, by the pid in the name). Where the directory is deleted and made
again (SOAK_RECREATE, a list, default "reload 1"):
  reload: by the master's on_reload hook, before gunicorn forks the new workers and
          stops the old ones: nothing the old workers save is deleted. Both flows must
          never exit 0 with a worker's data missing, and the trigger flow must be
          complete in every run.
  1:      by each new worker's post_fork hook, racing the old workers' saves (the
          hook of the layout this soak copies): the application itself deletes saved
          data or a save under way, so no run can be sure to be complete. Both flows
          must never exit 0 with data missing: a loss must fail (exit 4, "lost", or a
          save cut short).
  0:      not at all.
Counted, per flow: complete runs; "LOST-EXIT-0" (exit 0 with an old worker's data
missing: must be 0); "exit-4-lost" and "exit-4-invalid" (the loss was said and failed
the run: a file deleted or a member without data, or a save the deletion cut short, left
empty or incomplete); other exits (must be 0).
SOAK_RUNS=N runs per flow and worker count (default 50); SOAK_COVS="6.5 7.17.5"."""
import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.request

import lib

CONF = os.path.join(lib.ROOT, "tests", "system", "generation", "gunicorn_conf.py")
APP = os.path.join(lib.ROOT, "examples", "gunicorn")
WAITFOR = os.path.join(APP, "waitfor.py")
PID_RE = re.compile(r"\.coverage\.[^/]*?\.(?:pid)?(\d+)\.X?[A-Za-z0-9]{6}x?(?:\.H\w{10}h)?$")
REQUEST = """import json, sys, urllib.request
for a, b in ((10, 10), (8, 12), (12, 8)):
    req = urllib.request.Request(sys.argv[1] + "/round", method="POST",
        headers={"Content-Type": "application/json"},
        data=json.dumps({"a": {"price": a}, "b": {"price": b, "ads": 5}}).encode())
    urllib.request.urlopen(req, timeout=30).read()
"""


def children(pid):
    with open(f"/proc/{pid}/task/{pid}/children") as f:
        return sorted(int(c) for c in f.read().split())


def age(pid):
    with open(f"/proc/{pid}/stat") as f:
        start = int(f.read().rsplit(")", 1)[1].split()[19]) / os.sysconf("SC_CLK_TCK")
    with open("/proc/uptime") as f:
        return float(f.read().split()[0]) - start


class Server:
    def __init__(self, run_dir, cov, workers, recreate):
        self.run, self.cov = run_dir, os.path.join(run_dir, "cov")
        self.python, self.workers = cov.python, workers
        os.makedirs(self.cov)
        self.env = dict(os.environ, RUN_DIR=run_dir, COVERAGE_FILE=os.path.join(self.cov, ".coverage"),
                        SCORER_COVERAGE_RC=os.path.join(APP, ".coveragerc"),
                        GEN_WORKERS=str(workers), GEN_SPREAD="2.0",
                        GEN_RECREATE=recreate)
        self.env.pop("COVERAGE_PROCESS_START", None)
        with open(os.path.join(run_dir, "gunicorn.out"), "w") as log:
            self.p = subprocess.Popen([cov.python, "-m", "gunicorn", "-c", CONF, "scorer.web:app"],
                                      cwd=APP, env=self.env, stdin=subprocess.DEVNULL,
                                      stdout=log, stderr=log, start_new_session=True)
        self.ready()

    def ready(self):
        self.url = subprocess.run([self.python, WAITFOR, "ready", self.run, str(self.p.pid), "60"],
                                  check=True, capture_output=True, text=True).stdout.strip()
        deadline = time.monotonic() + 60
        while len(children(self.p.pid)) != self.workers:
            if time.monotonic() > deadline:
                raise RuntimeError("gunicorn's workers did not come up")
            time.sleep(0.05)

    def exercise(self):
        for name in os.listdir(self.cov):
            os.remove(os.path.join(self.cov, name))
        # The tests: in another PID and UTS namespace, as in a container.
        subprocess.run(["unshare", "--pid", "--uts", "--fork", lib.PY, "-c", REQUEST, self.url],
                       check=True)
        for pid in children(self.p.pid):
            time.sleep(max(0.0, 1.5 - age(pid)))

    def stop(self):
        lib.stop_session(self.p, timeout=60)


def one(cov, srv, flow, out):
    old = children(srv.p.pid)
    argv = [lib.COVSETTLE, "gather", "--json", "-T", "60s", "--coverage", cov.console,
            "--data-file", os.path.join(out, ".coverage")]
    if flow == "trigger":
        argv += ["--new-only", "--trigger", f"kill -HUP {srv.p.pid}"]
    else:
        os.kill(srv.p.pid, signal.SIGHUP)
    r = subprocess.run(argv + [srv.cov], cwd=out, env=srv.env, capture_output=True, text=True,
                       timeout=180)
    try:
        res = json.loads(r.stdout)
    except ValueError:
        res = {}
    got = sorted(int(m.group(1)) for f in res.get("files", [])
                 if (m := PID_RE.search(f["name"])))
    lost = res.get("lost", [])
    srv.ready()
    if r.returncode == 0 and got == old:
        return "complete", ""
    if r.returncode == 0:
        return "LOST-EXIT-0", \
            f"{got} of {old}; lost {lost}; {res.get('members_without_data')} without data"
    tail = r.stderr.strip().splitlines()[-3:]
    if r.returncode == 4:  # the loss said and failed: "lost", or a save cut short
        return f"exit-4-{res.get('status')}", tail
    return f"exit {r.returncode}", tail


def main():
    runs = int(os.environ.get("SOAK_RUNS", "50"))
    pick = os.environ.get("SOAK_COVS", "6.5 7.17.5").split()
    recreates = os.environ.get("SOAK_RECREATE", "reload 1").split()
    bad = 0
    try:
        for cov in lib.COVS:
            if cov.version not in pick:
                continue
            if cov.missing():
                print(f"coverage.py {cov.version}: skipped, no {cov.python} (make deps)")
                continue
            for recreate, workers in ((rc, w) for rc in recreates for w in (2, 4)):
                srv = Server(lib.tmp(f"soak-{cov.version}-{recreate}-{workers}"), cov,
                             workers, recreate)
                out = lib.tmp(f"soak-out-{cov.version}-{recreate}-{workers}")
                tally = {"default": {}, "trigger": {}}
                t0 = time.time()
                try:
                    for i in range(runs):
                        for flow in ("default", "trigger"):
                            srv.exercise()
                            what, detail = one(cov, srv, flow, out)
                            tally[flow][what] = tally[flow].get(what, 0) + 1
                            if what != "complete":
                                print(f"  run {i + 1} {flow}: {what}: {detail}", flush=True)
                finally:
                    srv.stop()
                for flow, t in tally.items():
                    print(f"coverage.py {cov.version}, {workers} workers, {flow}, recreate "
                          f"{recreate}: {runs} runs: "
                          + ", ".join(f"{k} {v}" for k, v in sorted(t.items())), flush=True)
                print(f"  ({time.time() - t0:.0f} s)", flush=True)
                for flow, t in tally.items():
                    bad += t.get("LOST-EXIT-0", 0)
                    bad += sum(v for k, v in t.items() if k.startswith("exit "))
                if recreate != "1":
                    bad += runs - tally["trigger"].get("complete", 0)
    finally:
        lib.cleanup()
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
