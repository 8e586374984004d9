# test_leftovers.py: what a gather that was killed leaves behind, and the
# lock when DIR is deleted and made again: real gathers, a real coverage.py
# behind a wrapper that holds combine on a fifo, real SIGKILL.
import os
import select
import signal
import subprocess
import time

import pytest

from harness import COVSETTLE, LONG, PY, WRITER, Proc, aged

DEBOUNCE = "200ms"


def write(cov, src):
    """One real coverage.py process writing a data file into cov."""
    r = subprocess.run([PY, WRITER, str(cov), "--src-dir", str(src)],
                       stdin=subprocess.DEVNULL, capture_output=True,
                       text=True, check=True)
    return r.stdout.split("\n")[0].split(" ", 1)[1]


def staging(cov):
    return sorted(p.name for p in cov.iterdir()
                  if p.name.startswith(".covsettle-gather"))


def own_start():
    """This process's start time in clock ticks (/proc/self/stat field 22)."""
    with open("/proc/self/stat") as f:
        return int(f.read().rsplit(")", 1)[1].split()[19])


def open_files(pid):
    names = []
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            names.append(os.readlink(f"/proc/{pid}/fd/{fd}"))
        except OSError:
            pass
    return names


def exits_within(pid, seconds):
    fd = os.pidfd_open(pid)
    try:
        return bool(select.select([fd], [], [], seconds)[0])
    finally:
        os.close(fd)


def test_gather_killed_takes_its_child_and_the_next_removes_its_staging(
        tmp_path, procs):
    cov, src = tmp_path / "cov", tmp_path / "src"
    write(cov, src)
    fifo, marker = tmp_path / "hold", tmp_path / "combine.pid"
    os.mkfifo(fifo)
    wrapper = tmp_path / "heldcov"
    wrapper.write_text(
        "#!/bin/sh\n"
        "# coverage.py, but combine waits on a fifo first.\n"
        f'if [ "$1" = combine ]; then echo $$ > "{marker}"; '
        f'read x < "{fifo}"; fi\n'
        f'exec {PY} -m coverage "$@"\n')
    wrapper.chmod(0o755)
    p = Proc([COVSETTLE, "gather", "-d", DEBOUNCE, "--coverage", str(wrapper),
              str(cov)], cwd=src)
    procs.append(p)
    # Opening the fifo returns once combine's wrapper has it open to read.
    hold = os.open(fifo, os.O_WRONLY)
    try:
        child = int(marker.read_text())
        assert len(staging(cov)) == 1
        os.kill(p.p.pid, signal.SIGKILL)
        assert p.finish() == -signal.SIGKILL
        # Its coverage command dies with it (it would wait on the fifo).
        assert exits_within(child, LONG), "combine's child outlived gather"
    finally:
        os.close(hold)
    left = staging(cov)
    assert len(left) == 1
    owner = (cov / left[0] / "owner").read_text().split()
    assert int(owner[0]) == p.p.pid

    # Staging directories of live gathers stay; a reused pid is not taken
    # for its first owner; one with no owner yet stays while it is young.
    def stage(name, owner=None, age=0):
        (cov / name / "in").mkdir(parents=True)
        (cov / name / "in" / "combined.0").write_text("x")
        if owner is not None:
            (cov / name / "owner").write_text(owner)
        if age:
            t = time.time() - age
            os.utime(cov / name, (t, t))

    stage(".covsettle-gather.Live01", f"{os.getpid()} {own_start()}\n")
    stage(".covsettle-gather.Reuse1", f"{os.getpid()} {own_start() + 1}\n")
    stage(".covsettle-gather.Young1")
    stage(".covsettle-gather.Old001", age=3600)
    r = subprocess.run([COVSETTLE, "gather", "-d", DEBOUNCE, str(cov)],
                       cwd=src, capture_output=True, text=True,
                       stdin=subprocess.DEVNULL, timeout=LONG)
    assert r.returncode == 0, r.stderr
    assert f"removed 3 staging directories left in {cov}" in r.stderr
    assert staging(cov) == [".covsettle-gather.Live01",
                            ".covsettle-gather.Young1"]


def test_the_lock_holds_when_dir_is_made_again(tmp_path, procs):
    # A holds DIR's lock; B waits for it; DIR is deleted and made again,
    # and C locks the new DIR. When A is done, B's lock is on a directory
    # no longer at DIR's path: B must wait for C, not run beside it.
    cov, src = tmp_path / "cov", tmp_path / "src"
    aged(write(cov, src))  # old data, removed with DIR: no loss
    fifo_a, fifo_c = tmp_path / "a", tmp_path / "c"
    os.mkfifo(fifo_a)
    os.mkfifo(fifo_c)

    def gather(*args):
        p = Proc([COVSETTLE, "gather", "-d", DEBOUNCE, "-T", "120s", *args,
                  str(cov)], cwd=src)
        procs.append(p)
        return p

    a = gather("--trigger", f'cat "{fifo_a}" >/dev/null')
    hold_a = os.open(fifo_a, os.O_WRONLY)  # A has the lock: its trigger runs
    b = gather()
    b.expect(rf"waiting for the gather of pid {a.p.pid} on ")
    # B opens DIR again to wait on its lock: no event says when.
    lock = str(cov)
    while lock not in open_files(b.p.pid):
        assert b.running_after(0.05), b.err
    for q in cov.iterdir():
        if q.is_file():
            q.unlink()
    cov.rmdir()
    write(cov, src)
    c = gather("--trigger", f'cat "{fifo_c}" >/dev/null')
    hold_c = os.open(fifo_c, os.O_WRONLY)  # C has the new lock
    try:
        os.close(hold_a)
        assert a.finish() == 0, a.err
        assert b.running_after(3), "B ran beside C: " + b.err
    finally:
        os.close(hold_c)
    assert c.finish() == 0, c.err
    assert b.finish() == 0, b.err
