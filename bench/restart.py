#!/usr/bin/python3
# restart.py: item 6b, the seed flow with covsettle's defaults. gunicorn (examples/gunicorn,
# 2 workers measured by coverage.py) is restarted with SIGHUP; how long until the combined
# data and the reports are written, and does every old worker's data make it?
"""default:   kill -HUP PID; covsettle gather --report ... cov   (no --expect, no --trigger:
            the writers' generation says how many files to wait for, settle.c)
trigger:    covsettle gather --new-only --trigger 'kill -HUP PID' --report ... cov
            (no --expect either)
baseline:   kill -HUP PID; sleep 1; coverage combine --keep, report, json, html: the
            fixed one-second sleep an application's own gather script came down to.
All three from SIGHUP to the last report written, a median of several restarts, on
the same server, in turn. Each row also counts the restarts whose combined data held
both old workers' files (the baseline: the files there when its combine ran), and
the covsettle rows how often the quiet window ended early (every file proven
complete, no writer left). The data directory is emptied before each restart
(seed.py's Server.exercise)."""
import json
import os
import signal
import subprocess
import time

import lib
from seed import HERE, Server, reports_by_hand

REPORTS = ("text", "json", "html")


def reports(out):
    return [f"--report=text={out}/coverage.txt", f"--report=json={out}/coverage.json",
            f"--report=html={out}/html"]


def gather(cov, srv, out, trigger):
    stamp = os.path.join(srv.run, "hup")
    argv = [lib.COVSETTLE, "gather", "-q", "--json", "-T", "60s", "--coverage", cov.console,
            "--rcfile", ".coveragerc", "--data-file", os.path.join(out, ".coverage"),
            *reports(out)]
    if trigger:
        argv += ["--new-only", "--trigger", f"date +%s.%N >{stamp}; kill -HUP {srv.p.pid}"]
    else:
        hup = time.time()
        os.kill(srv.p.pid, signal.SIGHUP)
    r = subprocess.run(argv + [srv.cov], cwd=HERE, env=srv.env, capture_output=True, text=True)
    end = time.time()
    if r.returncode != 0:
        raise RuntimeError(f"covsettle gather exited {r.returncode}: {r.stderr}")
    if trigger:
        with open(stamp) as f:
            hup = float(f.read())
    out_json = json.loads(r.stdout)
    return end - hup, out_json["inputs"], out_json.get("quiet_cut_short", False)


def fixed_sleep(cov, srv, out):
    hup = time.time()
    os.kill(srv.p.pid, signal.SIGHUP)
    time.sleep(1)
    found = sum(n.startswith(".coverage.") for n in os.listdir(srv.cov))
    reports_by_hand(cov, srv, out)
    return time.time() - hup, found, False


def run():
    rows = []
    for cov in lib.COVS:
        if cov.missing():
            rows.append(lib.row("6b", f"restart on coverage.py {cov.version}: skipped, no "
                                f"{cov.python} (make deps)", ""))
        else:
            rows += run_on(cov)
    return rows


def run_on(cov):
    trials = 3 if lib.QUICK else 9
    srv = Server(lib.tmp(f"restart-{cov.version}"), cov)
    out = lib.tmp(f"restart-out-{cov.version}")
    kinds = {"default": lambda: gather(cov, srv, out, False),
             "trigger": lambda: gather(cov, srv, out, True),
             "sleep": lambda: fixed_sleep(cov, srv, out)}
    res = {k: [] for k in kinds}
    try:
        for _ in range(trials):
            for kind, flow in kinds.items():
                srv.exercise()
                time.sleep(1.5)  # the workers have served a while, as after tests
                res[kind].append(flow())
                srv.ready()
    finally:
        srv.stop()
    t = {k: lib.median([x[0] for x in v]) for k, v in res.items()}
    full = {k: sum(x[1] == 2 for x in v) for k, v in res.items()}
    early = {k: sum(x[2] for x in v) for k, v in res.items()}
    v = f"coverage.py {cov.version}"
    h = t["sleep"]
    base = f"{lib.ms(h)} ({full['sleep']}/{trials} complete)"

    def cell(k):
        return (f"{lib.ms(t[k])} ({full[k]}/{trials} complete, window cut short in "
                f"{early[k]})")
    return [
        lib.row("6b", f"seed flow with defaults: SIGHUP, then plain `covsettle gather DIR` "
                f"(no --expect) to reports written, vs a fixed 1 s sleep; {v}", cell("default"),
                base, f"{h / t['default']:.2f}x", "<= sleep, all complete",
                t["default"] <= h and full["default"] == trials),
        lib.row("6b", f"the same through --trigger --new-only (no --expect); {v}",
                cell("trigger"), base, f"{h / t['trigger']:.2f}x", "<= sleep, all complete",
                t["trigger"] <= h and full["trigger"] == trials),
    ]


if __name__ == "__main__":
    lib.main(run)
