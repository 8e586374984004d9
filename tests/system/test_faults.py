# test_faults.py: faults caused for real, as far as this machine allows:
# inotify limits in a user namespace (and injected, where namespaces are
# not available), an unreadable directory for a user
# who is not root, a real SQLite lock held by another process, a full
# filesystem (a small tmpfs), signals in every phase of gather, and files
# swapped for fifos and symlinks while covsettle waits. Each test says what
# must hold: no crash or hang, no false verdict, no input touched, and the
# documented exit status.
import contextlib
import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

import pytest

from harness import (COVSETTLE, FIXTURES, HOST, LONG, NOINOTIFY, PY, ROOT,
                      WRITER, Proc, covsettle, datafile)
from harness import aged, digests

DEBOUNCE = "200ms"
MARGIN = 1.5
NOBODY = ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups"]


def staging_left(d):
    return [p.name for p in d.iterdir() if p.name.startswith(".covsettle-gather")]


def wait_for_file(path, p, timeout=LONG):
    """Wait until path has content (a shell writes it: no event to wait
    on), while p runs; return its content."""
    deadline = time.monotonic() + timeout
    while not (os.path.exists(path) and open(path).read().strip()):
        assert time.monotonic() < deadline, f"{path} never written\n{p.err}"
        assert p.running_after(0.02), f"exited early:\n{p.err}"
    return open(path).read().strip()


def group_gone(pgid):
    """No live process is left in process group pgid. Zombies are dead:
    a killed grandchild waits to be reaped by init, which takes its time
    on a loaded machine, and kill(2) still finds it until then."""
    live = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue  # gone meanwhile
        if int(fields[2]) == pgid and fields[0] not in "ZX":
            live.append(pid)
    assert live == [], f"process group {pgid} still has {live}"


@pytest.fixture
def shared_dir():
    """A directory that user nobody can reach (pytest's tmp_path is 0700)."""
    d = tempfile.mkdtemp(prefix="covsettle-faults-")
    os.chmod(d, 0o755)
    yield d
    subprocess.run(["chmod", "-R", "u+rwx", d])
    shutil.rmtree(d, ignore_errors=True)


def as_nobody_works():
    r = subprocess.run(NOBODY + ["true"], capture_output=True)
    return r.returncode == 0


needs_nobody = pytest.mark.skipif(
    os.geteuid() != 0 or not as_nobody_works(),
    reason="needs root to run covsettle as user nobody")


# ---- inotify limits, reached for real ----

def userns_works():
    r = subprocess.run(["unshare", "--user", "--map-root-user", "sh", "-c",
                        "echo 1 > /proc/sys/user/max_inotify_instances"],
                       capture_output=True)
    return r.returncode == 0


@pytest.mark.skipif(not userns_works(),
                    reason="user namespaces with their own inotify limits "
                           "are not available")
@pytest.mark.parametrize("limit,says", [
    ("max_inotify_instances", "max_user_instances"),
    ("max_inotify_watches", "max_user_watches"),
])
def test_inotify_limit_in_user_namespace_falls_back_to_polling(
        tmp_path, procs, writer, limit, says):
    # A user namespace has its own inotify limits (/proc/sys/user/); 0
    # makes inotify_init1 fail with EMFILE, or inotify_add_watch with
    # ENOSPC, exactly as the kernel does at the machine-wide limits.
    # The directory is also deleted and made again while polling.
    d = tmp_path / "cov"
    d.mkdir()
    p = Proc(["unshare", "--user", "--map-root-user", "sh", "-c",
              f'echo 0 > /proc/sys/user/{limit} && exec "$@"', "sh",
              COVSETTLE, "wait", "-v", "-d", DEBOUNCE, "--expect", "2",
              str(d)])
    procs.append(p)
    p.expect(f"warning: .*{says}.*polling every 250ms instead")
    p.expect("watching .* by polling")
    subprocess.run(["rm", "-rf", str(d)], check=True)
    assert p.running_after(0.6)  # two polls see it gone
    d.mkdir()
    for _ in range(2):
        w = writer(d)
        w.saved()
        assert w.finish() == 0
    assert p.finish() == 0, p.err
    assert "settled: 2 data files" in p.err


@pytest.mark.parametrize("limit,says", [
    ("instances", "max_user_instances"),
    ("watches", "max_user_watches"),
])
def test_inotify_limits_fall_back_to_polling(tmp_path, run, writer, limit,
                                             says):
    # Injected (see tests/inject/noinotify.c): reaching the real limits
    # would change the machine's sysctls for every other process.
    env = dict(os.environ, LD_PRELOAD=NOINOTIFY,
               COVSETTLE_INJECT=limit,
               ASAN_OPTIONS="verify_asan_link_order=0")
    p = run("wait", "-v", "-d", DEBOUNCE, str(tmp_path), env=env)
    p.expect(f"warning: .*{says}.*polling every 250ms instead")
    w = writer(tmp_path)
    w.saved()
    assert p.finish() == 0, p.err


# ---- no pidfd_open(2): Linux < 5.3, a seccomp filter, valgrind ----

NOPIDFD = r"""
/* Makes syscall(SYS_pidfd_open, ...) fail with ENOSYS, as old kernels,
 * container seccomp filters and valgrind do; passes the rest on. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stdarg.h>
#include <sys/syscall.h>

long
syscall(long n, ...)
{
	static long (*real)(long, ...);
	long a[6];
	va_list ap;
	int i;

	if (n == SYS_pidfd_open) {
		errno = ENOSYS;
		return -1;
	}
	if (real == 0)
		real = (long (*)(long, ...))dlsym(RTLD_NEXT, "syscall");
	va_start(ap, n);
	for (i = 0; i < 6; i++)
		a[i] = va_arg(ap, long);
	va_end(ap);
	return real(n, a[0], a[1], a[2], a[3], a[4], a[5]);
}
"""


@pytest.fixture(scope="module")
def nopidfd(tmp_path_factory):
    d = tmp_path_factory.mktemp("nopidfd")
    (d / "nopidfd.c").write_text(NOPIDFD)
    subprocess.run(["cc", "-shared", "-fPIC", "-o", str(d / "nopidfd.so"),
                    str(d / "nopidfd.c"), "-ldl"], check=True)
    return dict(os.environ, LD_PRELOAD=str(d / "nopidfd.so"),
                ASAN_OPTIONS="verify_asan_link_order=0")


def test_writer_exit_seen_without_pidfd(tmp_path, run, writer, nopidfd):
    # Nothing else happens in DIR when the writer exits: without a pidfd
    # to wake it, covsettle must still look, and settle soon after.
    w = writer(tmp_path, "--pause-at", "after-save")
    w.paused("after-save")
    p = run("wait", "-v", "-d", DEBOUNCE, "-T", "30s", str(tmp_path),
            env=nopidfd)
    p.expect("watching")
    assert p.running_after(MARGIN), "settled with its writer alive"
    w.go()
    assert w.finish() == 0
    gone = time.monotonic()
    assert p.finish() == 0, p.err
    assert time.monotonic() - gone < 10, "woke only at the timeout"


def test_trigger_ignoring_sigterm_is_killed_without_pidfd(tmp_path, run,
                                                         nopidfd):
    # The trigger ignores SIGTERM: after the grace period (5s) it gets
    # SIGKILL, pidfd or not; covsettle does not wait for it for ever.
    marker = tmp_path / "trigger.pid"
    p = run("wait", "-v", "-d", DEBOUNCE, "--trigger",
            f"trap '' TERM; echo $$ > {marker}; while :; do sleep 1; done",
            str(tmp_path / "cov"), env=nopidfd)
    tpid = int(wait_for_file(marker, p))
    os.kill(p.p.pid, signal.SIGTERM)
    assert p.finish(timeout=30) == 143, p.err
    group_gone(tpid)


# ---- an unreadable directory or file, for a user who is not root ----

@needs_nobody
@pytest.mark.parametrize("command", ["wait", "gather"])
def test_unreadable_directory_exits_7(shared_dir, command):
    cov = os.path.join(shared_dir, "cov")
    os.mkdir(cov, 0o700)  # root's: nobody cannot list it
    datafile(cov)
    r = subprocess.run(NOBODY + [COVSETTLE, command, "-T", "5s", cov],
                       capture_output=True, text=True, timeout=LONG,
                       stdin=subprocess.DEVNULL, cwd=shared_dir)
    assert r.returncode == 7, r.stderr
    line = r.stderr.strip().splitlines()[-1]
    assert cov in line and "Permission denied" in line
    assert sorted(os.listdir(cov)) == [".coverage.otherhost.4242.123456"]


@needs_nobody
def test_unreadable_data_file_is_invalid_not_skipped(shared_dir):
    # Readable directory, unreadable file whose writer (this host, a pid
    # that does not exist) is gone: invalid at once, named with its reason.
    cov = os.path.join(shared_dir, "cov")
    os.mkdir(cov, 0o755)
    bad = datafile(cov, f".coverage.{HOST}.999999999.123456")
    os.chmod(bad, 0o600)
    r = subprocess.run(NOBODY + [COVSETTLE, "wait", "-d", DEBOUNCE, "-T",
                                 "30s", cov],
                       capture_output=True, text=True, timeout=LONG,
                       stdin=subprocess.DEVNULL)
    assert r.returncode == 4, r.stderr
    assert (f"{os.path.basename(bad)}: unreadable: " in r.stderr
            and "Permission denied" in r.stderr)
    r = subprocess.run(NOBODY + [COVSETTLE, "check", bad], capture_output=True,
                       text=True, timeout=LONG)
    assert r.returncode == 4
    assert r.stdout.startswith(f"{bad}: unreadable: ")


# ---- a real SQLite lock held by another process (SQLITE_BUSY) ----

LOCKER = """
import sqlite3, sys
con = sqlite3.connect(sys.argv[1], isolation_level=None)
con.execute("begin exclusive")
print("locked", flush=True)
sys.stdin.readline()
con.execute("commit")
con.close()
print("released", flush=True)
"""


@pytest.fixture
def locked(shared_dir, procs):
    """A complete data file, readable by all, with an EXCLUSIVE lock held
    by another process until .release() is called."""
    cov = os.path.join(shared_dir, "cov")
    os.mkdir(cov, 0o755)
    path = datafile(cov, pid=31)
    locker = Proc([PY, "-c", LOCKER, path], stdin=subprocess.PIPE)
    procs.append(locker)
    locker.expect("^locked$", "out")

    def release():
        locker.p.stdin.write(b"\n")
        locker.p.stdin.flush()
        locker.expect("^released$", "out")
        assert locker.finish() == 0
    locker.cov, locker.path, locker.release = cov, path, release
    return locker


def test_locked_file_checks_busy(locked):
    before = open(locked.path, "rb").read()
    r = covsettle("check", locked.path)
    assert r.returncode == 4
    assert r.stdout.startswith(f"{locked.path}: busy: locked by a writer")
    locked.release()
    r = covsettle("check", locked.path)
    assert r.returncode == 0 and ": ok: " in r.stdout
    assert open(locked.path, "rb").read() == before


@needs_nobody
def test_locked_file_is_retried_never_a_false_verdict(locked, procs):
    # As nobody, the read lease on root's file is refused (EACCES), so the
    # open-for-writing test is skipped and only SQLite's lock tells that a
    # writer holds the file: SQLITE_BUSY must mean "wait", never "invalid".
    r = subprocess.run(NOBODY + [COVSETTLE, "wait", "-d", DEBOUNCE, "-T",
                                 "1500ms", locked.cov],
                       capture_output=True, text=True, timeout=LONG)
    assert r.returncode == 3, r.stderr
    assert "(busy: locked by a writer" in r.stderr
    p = Proc(NOBODY + [COVSETTLE, "wait", "-v", "-d", DEBOUNCE, "-T", "60s",
                       locked.cov])
    procs.append(p)
    p.expect("watching")
    assert p.running_after(MARGIN), f"settled while locked:\n{p.err}"
    locked.release()
    assert p.finish() == 0, p.err
    assert "settled: 1 data file" in p.err


# ---- a full filesystem ----

@contextlib.contextmanager
def small_fs(path, kib):
    """A tmpfs of kib KiB mounted at path (root only)."""
    os.makedirs(path, exist_ok=True)
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={kib}k,mode=755",
                        "tmpfs", str(path)], capture_output=True, text=True)
    if r.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs: {r.stderr.strip()}")
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)])


def fill(path, leave=0):
    """Fill the filesystem of path, leaving leave bytes free."""
    filler = os.path.join(path, "filler")
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT, 0o644)
    try:
        while True:
            os.write(fd, b"\0" * 4096)
    except OSError:
        pass
    os.close(fd)
    os.truncate(filler, max(0, os.path.getsize(filler) - leave))


@pytest.mark.parametrize("room", ["for-staging", "none"])
def test_disk_full_while_combining(tmp_path, room):
    # Inputs on a tmpfs with room for their staged copies (coverage.py is
    # given copies; the native combine's hard links need no room) and little
    # else: coverage.py cannot write the combined file next to them (exit 5).
    # With no room even for the copies, staging fails (exit 7).
    cov = tmp_path / "cov"
    with small_fs(cov, 1024):
        for pid in (1, 2, 3):
            datafile(cov, pid=pid)
        size = os.path.getsize(cov / ".coverage.otherhost.1.123456")
        fill(cov, 3 * size + 8192 if room == "for-staging" else 0)
        before = digests(cov)
        r = subprocess.run([COVSETTLE, "gather", "-d", DEBOUNCE, "--expect",
                            "3", "--no-keep", "--combine=coverage",
                            "--data-file", str(tmp_path / "out.cov"),
                            str(cov)],
                           capture_output=True, text=True, timeout=LONG,
                           stdin=subprocess.DEVNULL, cwd=tmp_path)
        if room == "for-staging":
            assert r.returncode == 5, r.stderr
            assert "untouched" in r.stderr
            assert "disk is full" in r.stderr or "No space left" in r.stderr
        else:
            assert r.returncode == 7, r.stderr
            assert "cannot stage .coverage.otherhost." in r.stderr
            assert r.stderr.strip().endswith("No space left on device")
        assert digests(cov) == before
        assert staging_left(cov) == []
        assert not (tmp_path / "out.cov").exists()


@pytest.mark.parametrize("leave", [0, 8192], ids=["full", "8KiB-free"])
def test_disk_full_writing_the_data_file(tmp_path, leave):
    # The combined file is fine; its destination, on another filesystem
    # with no room for it, is not: exit 7, no partial file, inputs intact.
    cov = tmp_path / "cov"
    cov.mkdir()
    for pid in (1, 2):
        datafile(cov, pid=pid)
    before = digests(cov)
    out = tmp_path / "full"
    with small_fs(out, 32):
        fill(out, leave)
        r = subprocess.run([COVSETTLE, "gather", "-d", DEBOUNCE, "--expect",
                            "2", "--no-keep", "--data-file",
                            str(out / "combined.cov"), str(cov)],
                           capture_output=True, text=True, timeout=LONG,
                           stdin=subprocess.DEVNULL, cwd=tmp_path)
        assert r.returncode == 7, r.stderr
        last = r.stderr.strip().splitlines()[-1]
        assert f"cannot write the combined data file {out}/combined.cov" in last
        assert "No space left on device" in last, last
        assert sorted(os.listdir(out)) == ["filler"]
    assert digests(cov) == before
    assert staging_left(cov) == []


def test_disk_full_writing_a_text_report(tmp_path):
    # The table fits in stdio's buffer, so the disk-full error comes from
    # fclose: one clear error, exit 7, and the combined file still kept.
    cov = tmp_path / "cov"
    cov.mkdir()
    datafile(cov, pid=1)
    before = digests(cov)
    # The measured sources, so that the report itself succeeds.
    shutil.copytree(os.path.join(ROOT, "fixtures", "src"), tmp_path,
                    dirs_exist_ok=True)
    out = tmp_path / "full"
    with small_fs(out, 16):
        fill(out)
        r = subprocess.run([COVSETTLE, "gather", "-d", DEBOUNCE, "--report",
                            f"text={out}/report.txt", "--data-file",
                            str(tmp_path / "out.cov"), str(cov)],
                           capture_output=True, text=True, timeout=LONG,
                           stdin=subprocess.DEVNULL, cwd=tmp_path)
        assert r.returncode == 7, r.stderr
        last = r.stderr.strip().splitlines()[-1]
        assert last == (f"covsettle: cannot write {out}/report.txt: "
                        "No space left on device"), r.stderr
    assert digests(cov) == before
    assert covsettle("check", str(tmp_path / "out.cov")).returncode == 0


# ---- signals in every phase of gather ----

SLOWCOV = """#!/bin/sh
# coverage.py, but the subcommand $BLOCK blocks until it is signalled.
if [ "$1" = "$BLOCK" ]; then echo $$ > "$MARKER"; exec sleep 300; fi
exec python3-coverage "$@"
"""

# probe-wait: the named command's --version (the probe) blocks while the
# wait waits; probe: it blocks after the files settled, while gather
# combines and then waits for it before the reports.
PHASES = ["probe-wait", "probe", "wait", "trigger", "combine", "report"]
SIGNALS = [signal.SIGINT, signal.SIGTERM, signal.SIGHUP]


# SIGTERM during combine is test_gather.py's
# test_sigterm_during_combine_stops_it_and_keeps_inputs.
@pytest.mark.parametrize("phase,sig", [
    (p, s) for p in PHASES for s in SIGNALS
    if (p, s) != ("combine", signal.SIGTERM)],
    ids=lambda v: v if isinstance(v, str) else v.name)
def test_signal_in_each_phase_of_gather(tmp_path, procs, phase, sig):
    cov = tmp_path / "cov"
    cov.mkdir()
    for pid in (1, 2):
        datafile(cov, pid=pid)
    marker = tmp_path / "child.pid"
    slow = tmp_path / "slowcov"
    slow.write_text(SLOWCOV)
    slow.chmod(0o755)
    env = dict(os.environ, MARKER=str(marker),
               BLOCK={"combine": "combine", "report": "json",
                      "probe": "--version",
                      "probe-wait": "--version"}.get(phase, "-"))
    args = [COVSETTLE, "gather", "-v", "-d", DEBOUNCE, "--no-keep",
            "--coverage", str(slow), "--report", f"json={tmp_path}/c.json",
            "--data-file", str(tmp_path / "out.cov")]
    if phase in ("wait", "probe-wait"):
        args += ["--expect", "3"]  # only two come: waits for ever
    else:
        args += ["--expect", "2"]
    if phase == "trigger":
        args += ["--trigger", f"echo $$ > {marker}; exec sleep 300"]
    before = digests(cov)
    p = Proc(args + [str(cov)], env=env, cwd=tmp_path)
    procs.append(p)
    if phase == "wait":
        p.expect("watching")
        assert p.running_after(0.3)
        child = None
    else:
        child = int(wait_for_file(marker, p))
    if phase == "probe-wait":
        p.expect("watching")
    os.kill(p.p.pid, sig)
    assert p.finish() == 128 + sig, p.err
    assert f"stopped by signal {int(sig)}" in p.err
    if child is not None:
        group_gone(child)
    assert digests(cov) == before, "an input changed"
    assert staging_left(cov) == []
    if phase != "report":
        assert not (tmp_path / "out.cov").exists()
    # The lock is free again.
    assert subprocess.run(["flock", "-n", str(cov), "true"]).returncode == 0


@needs_nobody
def test_the_lock_holds_across_users(shared_dir, procs):
    # DIR shared by two users: root's gather holds its lock, and nobody's
    # sees it taken (the lock is on DIR, which both can open), naming the
    # holder; no lock file of root's is left in DIR to shut nobody out.
    cov = os.path.join(shared_dir, "cov")
    os.mkdir(cov)
    os.chmod(cov, 0o777)
    datafile(cov, pid=1)
    a = Proc([COVSETTLE, "gather", "-v", "-d", DEBOUNCE, "--expect", "2",
              "--data-file", os.path.join(shared_dir, "a.cov"), cov],
             cwd=shared_dir)
    procs.append(a)
    a.expect("watching")
    r = subprocess.run(NOBODY + [COVSETTLE, "gather", "--no-wait-lock", cov],
                       capture_output=True, text=True, timeout=LONG,
                       stdin=subprocess.DEVNULL, cwd=shared_dir)
    assert r.returncode == 3, r.stderr
    assert (f"another gather (pid {a.p.pid}) is running on {cov} "
            "(--no-wait-lock)") in r.stderr
    datafile(cov, pid=2)
    assert a.finish() == 0, a.err
    assert sorted(os.listdir(cov)) == [".coverage.otherhost.1.123456",
                                       ".coverage.otherhost.2.123456"]


@pytest.fixture(scope="module")
def nodirlock(tmp_path_factory):
    d = tmp_path_factory.mktemp("nodirlock")
    subprocess.run(["cc", "-shared", "-fPIC", "-o", str(d / "nodirlock.so"),
                    os.path.join(ROOT, "tests", "inject", "nodirlock.c")],
                   check=True)
    return dict(os.environ, LD_PRELOAD=str(d / "nodirlock.so"),
                ASAN_OPTIONS="verify_asan_link_order=0")


def test_an_unlockable_directory_is_locked_by_a_file(tmp_path, procs, nodirlock):
    # Injected (tests/inject/nodirlock.c): flock(2) on a directory fails as
    # on NFS, which cannot be mounted here. The lock is then
    # DIR/.covsettle.lock, holding the holder's pid, and it stays.
    cov = tmp_path / "cov"
    cov.mkdir()
    datafile(cov, pid=1)
    a = Proc([COVSETTLE, "gather", "-v", "-d", DEBOUNCE, "--expect", "2",
              "--data-file", str(tmp_path / "a.cov"), str(cov)],
             env=nodirlock, cwd=tmp_path)
    procs.append(a)
    a.expect("watching")
    assert (cov / ".covsettle.lock").read_text() == f"{a.p.pid}\n"
    r = subprocess.run([COVSETTLE, "gather", "--no-wait-lock", str(cov)],
                       capture_output=True, text=True, timeout=LONG,
                       stdin=subprocess.DEVNULL, cwd=tmp_path, env=nodirlock)
    assert r.returncode == 3, r.stderr
    assert f"another gather (pid {a.p.pid}) is running on {cov}" in r.stderr
    datafile(cov, pid=2)
    assert a.finish() == 0, a.err
    assert sorted(os.listdir(cov)) == [".coverage.otherhost.1.123456",
                                       ".coverage.otherhost.2.123456",
                                       ".covsettle.lock"]


def test_gather_holder_killed_frees_the_lock(tmp_path, procs):
    # SIGKILL cannot be caught: the kernel drops the flock, and the next
    # gather goes ahead instead of waiting for a dead holder.
    cov = tmp_path / "cov"
    cov.mkdir()
    datafile(cov, pid=1)
    a = Proc([COVSETTLE, "gather", "-v", "-d", DEBOUNCE, "--expect", "2",
              str(cov)], cwd=tmp_path)
    procs.append(a)
    a.expect("watching")
    os.kill(a.p.pid, signal.SIGKILL)
    assert a.finish() == -signal.SIGKILL
    r = subprocess.run([COVSETTLE, "gather", "--no-wait-lock", "-d", DEBOUNCE,
                        "--data-file", str(tmp_path / "out.cov"), str(cov)],
                       capture_output=True, text=True, timeout=LONG,
                       stdin=subprocess.DEVNULL, cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert (tmp_path / "out.cov").exists()


def test_directory_deleted_during_gather_is_followed(tmp_path, procs, writer, cov):
    cdir = tmp_path / "cov"
    cdir.mkdir()
    aged(datafile(cdir, pid=1))  # old data, which the deletion removes
    p = Proc([COVSETTLE, "gather", "-v", "-d", DEBOUNCE, "--expect", "2",
              "--coverage", cov.command,
              "--json", "--data-file", str(tmp_path / "out.cov"), str(cdir)],
             cwd=tmp_path)
    procs.append(p)
    p.expect("watching")
    subprocess.run(["rm", "-rf", str(cdir)], check=True)
    p.expect("was deleted or moved away")
    cdir.mkdir()
    for _ in range(2):
        w = writer(cdir)
        w.saved()
        assert w.finish() == 0
    assert p.finish() == 0, p.err
    doc = json.loads(p.out)
    assert doc["inputs"] == 2 and doc["lost"] == []
    assert doc["removed"] == [".coverage.otherhost.1.123456"]
    assert covsettle("check", str(tmp_path / "out.cov")).returncode == 0


# ---- files swapped for fifos, directories and symlinks while waiting ----

def test_fifo_and_directory_appearing_during_the_wait_are_ignored(tmp_path,
                                                                  run):
    keep = datafile(tmp_path, pid=1)
    swapped = aged(datafile(tmp_path, pid=2))
    p = run("wait", "-v", "-d", DEBOUNCE, "--expect", "2", "--json",
            "-T", "30s", str(tmp_path))
    p.expect("watching")
    os.mkfifo(tmp_path / ".coverage.otherhost.3.333333")
    (tmp_path / ".coverage.otherhost.4.444444").mkdir()
    # A data file replaced by a fifo under its own name: it is gone.
    os.mkfifo(tmp_path / "fifo.tmp")
    os.rename(tmp_path / "fifo.tmp", swapped)
    assert p.running_after(MARGIN), "settled with one data file"
    datafile(tmp_path, pid=5)
    assert p.finish() == 0, p.err
    doc = json.loads(p.out)
    assert sorted(f["name"] for f in doc["files"]) == [
        os.path.basename(keep), ".coverage.otherhost.5.123456"]
    assert doc["removed"] == [os.path.basename(swapped)] and doc["lost"] == []


def test_data_file_replaced_by_symlink_out_of_directory(tmp_path, run):
    cov = tmp_path / "cov"
    cov.mkdir()
    # A complete data file outside: followed, it would pass.
    outside = datafile(tmp_path, "outside", pid=1)
    name = f".coverage.{HOST}.999999999.123456"
    datafile(cov, name, fixture="schema-only")
    p = run("wait", "-v", "-d", DEBOUNCE, "--expect", "2", "-T", "30s",
            str(cov))
    p.expect("watching")
    os.symlink(outside, cov / "link.tmp")
    os.rename(cov / "link.tmp", cov / name)
    datafile(cov, pid=2)
    assert p.finish() == 4, p.err
    assert (f"{name}: symlink: symlink to {outside}, outside the directory; "
            "not followed") in p.err


# ---- many files at once ----

def test_twenty_thousand_files_at_once_exact_count(tmp_path, run):
    # Linked in by another process as fast as it can while covsettle runs
    # (test_wait.py stops covsettle instead, to force an overflow): events
    # are read while files still arrive, queue overflows (when they come)
    # rescan mid-stream, and the count is exact at the end.
    n = 20000
    # Links to a private copy: a file has 65,000 links at most (ext4),
    # and pytest keeps the directories of the last runs.
    src = datafile(tmp_path, "source")
    cov = tmp_path / "cov"
    cov.mkdir()
    p = run("wait", "-v", "-d", "500ms", "--expect", str(n), "--json",
            "-T", "5m", str(cov))
    p.expect("watching")
    subprocess.run([PY, "-c", f"""
import os, sys
src, d = sys.argv[1], sys.argv[2]
for i in range({n}):
    os.link(src, os.path.join(d, ".coverage.otherhost.%d.123456" % (i + 1)))
""", src, str(cov)], check=True)
    assert p.finish(timeout=300) == 0, p.err[-2000:]
    doc = json.loads(p.out)
    assert len(doc["files"]) == n and doc["lost"] == []
    assert all(f["verdict"] == "ok" for f in doc["files"])
