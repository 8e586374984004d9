#!/usr/bin/python3
# idle.py: item 2, idle cost. CPU time and wake-ups of `covsettle wait` on a directory where
# nothing happens, against the polling shell loop on the same directory for the same time.
"""covsettle: once its watch is armed (and 0.5 s more for start-up to end), the
CPU time (/proc/PID/task/*/schedstat, in ns) and voluntary context switches
(/proc/PID/task/*/status) over the window, every thread summed.
The loop forks find, wc and sleep every 0.25 s, so /proc of one process cannot
see it: its cost is the rusage of the loop and all its children, taken when it
is stopped at the end of the window (RUSAGE_CHILDREN before and after)."""
import os
import resource
import signal
import subprocess
import time

import lib


def covsettle_idle(window):
    d = lib.tmp("idle")
    p = subprocess.Popen([lib.COVSETTLE, "wait", "-q", "-T", "0", d], stderr=subprocess.DEVNULL)
    try:
        lib.wait_armed(p.pid, d)
        time.sleep(0.5)
        cpu0, vol0, _ = lib.proc_cost(p.pid)
        time.sleep(window)
        cpu1, vol1, _ = lib.proc_cost(p.pid)
    finally:
        p.send_signal(signal.SIGTERM)
        rc = p.wait()
    if rc != 128 + signal.SIGTERM:
        raise RuntimeError(f"covsettle wait exited {rc} on SIGTERM")
    return cpu1 - cpu0, vol1 - vol0


def loop_idle(window):
    d = lib.tmp("idle")
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    p = subprocess.Popen(["sh", lib.POLL_LOOP, d, "1"], start_new_session=True)
    time.sleep(window)
    os.killpg(p.pid, signal.SIGTERM)
    p.wait()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    return cpu, after.ru_nvcsw - before.ru_nvcsw


def run():
    window = 3.0 if lib.QUICK else 10.0
    c_cpu, c_wake = covsettle_idle(window)
    l_cpu, l_wake = loop_idle(window)
    w = f"{window:.0f} s"
    return [
        lib.row("2", f"idle CPU time over {w}", lib.ms(c_cpu), lib.ms(l_cpu),
                f"{l_cpu / c_cpu:.0f}x less" if c_cpu > 0 else "none at all",
                "no CPU", c_cpu < 0.001),
        lib.row("2", f"idle wake-ups (voluntary switches) over {w}",
                f"{c_wake} ({c_wake / window:.1f}/s)", f"{l_wake} ({l_wake / window:.1f}/s)",
                "", "<= 1/s", c_wake / window <= 1),
    ]


if __name__ == "__main__":
    lib.main(run)
