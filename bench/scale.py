#!/usr/bin/python3
# scale.py: item 5, scale. 20,000 data files arrive at once in the directory `covsettle wait`
# watches: how long after the last one lands does it settle, with the exact count, in how much memory?
"""Two processes (one per core) write the files as fast as they can: each
file created, written (the bytes of a real coverage.py data file) and closed,
named as coverage.py names it, its writer pid long gone. That is about three
inotify events a file, more than the kernel queues by default (16384), so a
queue overflow and a full rescan are part of the test. covsettle runs with
-d 100ms; "after landing" runs from the exit of the last writing process.
Peak RSS is ru_maxrss from wait4(2). The count comes from --json: every file
listed, each with the verdict ok, none lost."""
import json
import os
import subprocess

import lib

WRITE = """
import os, sys
d, lines = sys.argv[1], sys.argv[2]
data = open(lines, "rb").read()
for name in sys.argv[3:]:
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)
"""


def run():
    n = 2000 if lib.QUICK else 20000
    d = lib.tmp("scale")
    out_path = os.path.join(os.path.dirname(d), "scale.json")
    with open(out_path, "w") as out:
        w = subprocess.Popen([lib.COVSETTLE, "wait", "-q", "--json", "-n", str(n), "-d", "100ms",
                              "-T", "10m", d], stdout=out)
    w_fd = os.pidfd_open(w.pid)
    lib.wait_armed(w.pid, d)
    names = [lib.data_name(i) for i in range(n)]
    t0 = lib.now()
    writers = [subprocess.Popen([lib.PY, "-c", WRITE, d, lib.LINES, *half])
               for half in (names[: n // 2], names[n // 2:])]
    live = {os.pidfd_open(p.pid) for p in writers}
    landed = done = None
    while done is None:
        ready = lib.wait_all([*live, w_fd], 600)
        t = lib.now()
        if not ready:
            raise RuntimeError("nothing happened for 10 minutes")
        for fd in ready:
            if fd in live:
                live.discard(fd)
                landed = t
            elif fd == w_fd:
                done = t
    if live or any(p.wait() for p in writers):
        raise RuntimeError("covsettle settled before every file was written, or a writer failed")
    _, status, usage = os.wait4(w.pid, 0)
    w.returncode = os.waitstatus_to_exitcode(status)
    if w.returncode != 0:
        raise RuntimeError(f"covsettle wait exited {w.returncode}")
    with open(out_path) as f:
        summary = json.load(f)
    ok = sum(1 for f in summary["files"] if f["verdict"] == "ok")
    exact = ok == n == len(summary["files"]) and not summary["lost"]
    rss = usage.ru_maxrss / 1024
    after = done - landed
    return [
        lib.row("5", f"{n:,} files at once: settled after the last landed (-d 100ms)",
                f"{lib.ms(after)} ({lib.ms(after - 0.1)} beyond the window)",
                f"arrival took {lib.ms(landed - t0)}", "", "exact count",
                exact if exact else f"MISSED: {ok} ok of {n}"),
        lib.row("5", f"{n:,} files at once: peak RSS of covsettle wait", f"{rss:.1f} MB", "", "",
                "<= 32 MB", rss <= 32),
    ]


if __name__ == "__main__":
    lib.main(run)
