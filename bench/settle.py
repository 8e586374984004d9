#!/usr/bin/python3
# settle.py: item 1, settle overhead. Real coverage.py writers finish while `covsettle wait`
# (armed first) or the polling shell loop waits; how long after the data landed does each return?
"""Per trial: a fresh directory; a watcher (covsettle or the loop) is started, and
once covsettle's inotify watch is armed, K real writers (tests/writer.py) start.
This script watches the directory itself (IN_CREATE, IN_CLOSE_WRITE) and holds a
pidfd on every process, so it stamps with one monotonic clock:

  created  the last data file's creation         closed  its last close after writing
  exited   the last writer's exit                landed  = max(closed, exited)
  done     the watcher's exit

latency  = done - landed
overhead = done - the earliest moment the watcher's own rule lets it return:
  covsettle: max(closed + debounce, exited): quiet window passed, writers gone
  the loop:  created + 0.75 s: four equal counts 0.25 s apart
"""
import os
import subprocess

import lib

LOOP_WINDOW = 0.75


def trial(kind, writers, debounce=0.1):
    d = lib.tmp("settle")
    watch = lib.Inotify(d)
    if kind == "covsettle":
        argv = [lib.COVSETTLE, "wait", "-q", "-d", f"{int(debounce * 1000)}ms",
                "-n", str(writers), "-T", "60s", d]
    else:
        argv = ["sh", lib.POLL_LOOP, d, str(writers)]
    w = subprocess.Popen(argv, stdout=subprocess.DEVNULL)
    w_fd = os.pidfd_open(w.pid)
    if kind == "covsettle":
        lib.wait_armed(w.pid, d)
    src = os.path.join(os.path.dirname(d), "src")
    procs = {}
    for k in range(writers):
        p = subprocess.Popen([lib.PY, lib.WRITER, d, "--src-dir", src, "--variant", str(k)],
                             stdout=subprocess.DEVNULL)
        procs[os.pidfd_open(p.pid)] = p
    created = closed = exited = done = None
    live = set(procs)
    while done is None or live:
        ready = lib.wait_all([watch.fd, *live] + ([w_fd] if done is None else []), 60)
        t = lib.now()
        if not ready:
            raise RuntimeError(f"{kind}: nothing happened for 60 s")
        for mask, name in watch.events():
            if name.startswith(".coverage."):
                if mask & lib.Inotify.IN_CREATE:
                    created = t
                if mask & lib.Inotify.IN_CLOSE_WRITE:
                    closed = t
        for fd in ready:
            if fd in live:
                live.discard(fd)
                exited = t
            elif fd == w_fd:
                done = t
    for fd, p in procs.items():
        if p.wait() != 0:
            raise RuntimeError(f"writer exited {p.returncode}")
        os.close(fd)
    if w.wait() != 0:
        raise RuntimeError(f"{kind} exited {w.returncode}")
    os.close(w_fd)
    watch.close()
    landed = max(closed, exited)
    if kind == "covsettle":
        earliest = max(closed + debounce, exited)
    else:
        earliest = created + LOOP_WINDOW
    return done - landed, done - earliest


def run():
    n = 5 if lib.QUICK else 21
    m = 3 if lib.QUICK else 9
    configs = [  # (label, kind, writers, debounce, trials)
        ("cov100-1", "covsettle", 1, 0.1, n),
        ("loop-1", "loop", 1, None, m),
        ("cov500-1", "covsettle", 1, 0.5, m),
        ("cov100-4", "covsettle", 4, 0.1, m),
        ("loop-4", "loop", 4, None, m),
    ]
    res = {c[0]: ([], []) for c in configs}
    for i in range(n):  # interleaved, so that all see the same load
        for label, kind, writers, debounce, trials in configs:
            if i < trials:
                lat, over = trial(kind, writers, debounce)
                res[label][0].append(lat)
                res[label][1].append(over)
    rows = []
    for k, who in ((1, "1 writer"), (4, "4 writers")):
        cov_lat, cov_over = res[f"cov100-{k}"]
        loop_lat, loop_over = res[f"loop-{k}"]
        c, b = lib.median(cov_over), lib.median(loop_over)
        rows.append(lib.row(
            "1", f"settle overhead, {who} (wait -d 100ms vs loop), median (p90)",
            f"{lib.ms(c)} ({lib.ms(lib.pct(cov_over, 90))})",
            f"{lib.ms(b)} ({lib.ms(lib.pct(loop_over, 90))})",
            f"{b / c:.0f}x less" if c > 0 else "", "<= 5 ms", c <= 0.005))
        rows.append(lib.row(
            "1", f"latency from landing, {who}, median",
            f"{lib.ms(lib.median(cov_lat))} (-d 100ms)", f"{lib.ms(lib.median(loop_lat))}",
            f"{lib.median(loop_lat) / lib.median(cov_lat):.1f}x sooner"))
    lat, over = res["cov500-1"]
    rows.append(lib.row("1", "latency from landing, 1 writer, default -d 500ms, median",
                        f"{lib.ms(lib.median(lat))} (overhead {lib.ms(lib.median(over))})",
                        f"{lib.ms(lib.median(res['loop-1'][0]))}",
                        f"{lib.median(res['loop-1'][0]) / lib.median(lat):.1f}x sooner"))
    return rows


if __name__ == "__main__":
    lib.main(run)
