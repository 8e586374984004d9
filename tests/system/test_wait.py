# test_wait.py: `covsettle wait` against real coverage.py writers, real
# inotify, real signals. Each test names the behaviour users rely on.
import json
import os
import select
import shutil
import signal
import subprocess
import time

import pytest

from harness import (COVSETTLE, FIXTURES, HOST, PY, WRITER, Proc, aged, covsettle,
                      datafile, digests)

# A window short enough to keep the suite fast; the "still waiting"
# checks below wait many windows longer, so load cannot fake a pass.
DEBOUNCE = "200ms"
MARGIN = 1.5


def armed(p):
    p.expect(r"watching .* (with inotify|by polling)")


def test_settled_directory_returns_at_once(tmp_path):
    datafile(tmp_path)
    r = covsettle("wait", "-d", "10s", "-T", "5s", str(tmp_path))
    # The file's mtime is older than the window? No: it was just written.
    # A 10s window on a fresh file must not end before 5s: timeout.
    assert r.returncode == 3, r.stderr
    old = time.time() - 3600
    for f in tmp_path.iterdir():
        os.utime(f, (old, old))
    r = covsettle("wait", "-d", "10s", "-T", "5s", str(tmp_path))
    assert r.returncode == 0, r.stderr
    assert "settled: 1 data file" in r.stderr


def test_late_file_from_real_writer(tmp_path, run, writer):
    p = run("wait", "-v", "-d", DEBOUNCE, str(tmp_path))
    armed(p)
    assert p.running_after(MARGIN), "settled with no data file"
    w = writer(tmp_path)
    w.saved()
    w.finish()
    assert p.finish() == 0, p.err
    assert f"data file: {w.name}" in p.err


@pytest.mark.parametrize("point", [
    "open-transaction",      # file open for writing: the lease is refused
    "between-transactions",  # valid SQLite, no has_arcs, nothing open
    "after-has-arcs",        # looks complete and empty; writer alive
    "after-save",            # complete, but its writer has not exited
])
def test_live_writer_blocks_settling(tmp_path, run, writer, point):
    w = writer(tmp_path, "--pause-at", point)
    w.paused(point)
    p = run("wait", "-d", DEBOUNCE, str(tmp_path))
    assert p.running_after(MARGIN), f"settled while paused at {point}"
    w.go()
    w.saved() if point != "after-save" else None
    if point == "after-save":
        w.go()
    assert w.finish() == 0
    assert p.finish() == 0, p.err
    r = covsettle("check", w.path)
    assert r.returncode == 0 and ": ok: " in r.stdout


def test_ignore_writers_settles_with_writer_alive(tmp_path, run, writer):
    w = writer(tmp_path, "--pause-at", "after-save")
    w.saved()
    w.paused("after-save")
    p = run("wait", "--ignore-writers", "-d", DEBOUNCE, str(tmp_path))
    assert p.finish() == 0, p.err
    assert w.p.poll() is None, "writer should still be alive"
    w.go()


def test_zombie_writer_counts_as_gone(tmp_path, run, writer):
    w = writer(tmp_path)
    w.saved()
    # Wait for the exit without reaping: /proc shows a zombie.
    stat = f"/proc/{w.p.pid}/stat"
    while True:
        with open(stat) as f:
            if f.read().rsplit(")", 1)[1].split()[0] == "Z":
                break
        w.p.stdout.read(0)
        time.sleep(0.01)  # polling /proc: no event tells of a zombie
    p = run("wait", "-d", DEBOUNCE, str(tmp_path))
    assert p.finish() == 0, p.err


def test_writer_killed_between_transactions_is_invalid(tmp_path, run, writer,
                                                       cov):
    w = writer(tmp_path, "--pause-at", "between-transactions")
    w.paused("between-transactions")
    p = run("wait", "-d", DEBOUNCE, str(tmp_path))
    assert p.running_after(MARGIN)
    os.kill(w.p.pid, signal.SIGKILL)
    w.p.wait()
    assert p.finish() == 4, p.err
    # 7.13.1 and later: a file never renamed is a save cut short.
    why = ("writer exited before finishing its save" if cov.renames
           else "no has_arcs in meta")
    assert f"{w.name}: incomplete: {why}" in p.err
    assert os.path.exists(w.path), "an invalid file must be left intact"


def test_quarantine_moves_invalid_file_and_settles(tmp_path, run):
    good = datafile(tmp_path, pid=1)
    bad = datafile(tmp_path, f".coverage.{HOST}.999999999.123456",
                   fixture="schema-only")
    before = open(bad, "rb").read()
    r = covsettle("wait", "--invalid=quarantine", "--expect", "2", "-d",
                  DEBOUNCE, "--json", str(tmp_path))
    assert r.returncode == 0, r.stderr
    moved = tmp_path / "quarantine" / os.path.basename(bad)
    assert moved.read_bytes() == before
    assert not os.path.exists(bad) and os.path.exists(good)
    assert "moved invalid" in r.stderr
    doc = json.loads(r.stdout)
    assert [f["name"] for f in doc["quarantined"]] == [os.path.basename(bad)]
    assert [f["name"] for f in doc["files"]] == [os.path.basename(good)]


def test_absent_directory_created_later(tmp_path, run, writer):
    d = tmp_path / "a" / "b" / "cov"
    p = run("wait", "-v", "-d", DEBOUNCE, str(d))
    p.expect("does not exist yet")
    (tmp_path / "a").mkdir()
    assert p.running_after(0.3)
    d.mkdir(parents=True)
    w = writer(d)
    w.saved()
    w.finish()
    assert p.finish() == 0, p.err


def test_directory_deleted_and_recreated(tmp_path, run, writer):
    """An application's hook that empties DIR on a restart removes old data:
    a file quiet since long before the wait is no loss."""
    d = tmp_path / "cov"
    d.mkdir()
    old = aged(datafile(d))
    p = run("wait", "-v", "-d", DEBOUNCE, "--expect", "2", "--json", str(d))
    armed(p)
    subprocess.run(["rm", "-rf", str(d)], check=True)
    p.expect("was deleted or moved away")
    d.mkdir()
    p.expect("is there; scanned it")
    w1 = writer(d)
    w1.saved()
    w2 = writer(d)
    w2.saved()
    assert p.finish() == 0, p.err
    assert (f"{d}/{os.path.basename(old)}, quiet since before the wait began, was "
            "removed by another program: old data, not combined") in p.err, p.err
    assert "lost" not in p.err
    doc = json.loads(p.out)
    assert doc["status"] == "settled" and doc["lost"] == []
    assert doc["removed"] == [os.path.basename(old)]


@pytest.mark.parametrize("when", ["during", "just-before"])
def test_data_file_deleted_during_the_wait_fails(tmp_path, run, writer, when):
    """A data file written during the wait (or just before it began, within
    one quiet window) that is deleted is coverage lost: exit 4, naming it,
    though the rest settle; the files left are untouched."""
    d = tmp_path / "cov"
    d.mkdir()
    if when == "just-before":
        doomed = datafile(d, pid=7)
    p = run("wait", "-v", "-d", "2s", "--expect", "2", "--json", str(d))
    armed(p)
    if when == "during":
        doomed = datafile(d, pid=7)
        p.expect(r"data file: \.coverage\.otherhost\.7\.")
    os.unlink(doomed)
    p.expect(r"data file gone: \.coverage\.otherhost\.7\.123456")
    w1 = writer(d)
    w1.saved()
    w2 = writer(d)
    w2.saved()
    before = digests(d)
    assert p.finish() == 4, p.err
    assert (f"covsettle: {d}/.coverage.otherhost.7.123456 was deleted or moved out "
            "during the wait: its coverage is lost") in p.err, p.err
    assert (f"covsettle: {d}: 1 data file vanished during the wait: its coverage is "
            "lost") in p.err, p.err
    doc = json.loads(p.out)
    assert doc["exit"] == 4 and doc["status"] == "lost"
    assert doc["lost"] == [".coverage.otherhost.7.123456"] and doc["removed"] == []
    assert len(doc["files"]) == 2 and digests(d) == before


def test_directory_moved_away_and_recreated(tmp_path, run, writer):
    d = tmp_path / "cov"
    d.mkdir()
    p = run("wait", "-v", "-d", DEBOUNCE, str(d))
    armed(p)
    os.rename(d, tmp_path / "cov.old")
    p.expect("was deleted or moved away")
    d.mkdir()
    w = writer(d)
    w.saved()
    assert p.finish() == 0, p.err


def test_file_deleted_during_wait_is_reported(tmp_path, run):
    p = run("wait", "-v", "-d", DEBOUNCE, "--expect", "2", "-T", "3s",
            str(tmp_path))
    armed(p)
    f = datafile(tmp_path, pid=7)
    p.expect(r"data file: \.coverage\.otherhost\.7\.")
    os.unlink(f)
    assert p.finish() == 3
    assert ".coverage.otherhost.7.123456 was deleted or moved out" in p.err
    assert "its coverage is lost" in p.err


def test_rename_inside_directory_is_not_a_loss(tmp_path, run):
    # coverage.py 7.13+ renames its file once after writing.
    p = run("wait", "-v", "-d", DEBOUNCE, str(tmp_path))
    armed(p)
    f = datafile(tmp_path, ".coverage.otherhost.8.Xabcdefx")
    p.expect(r"data file: \.coverage\.otherhost\.8\.Xabcdefx$")
    os.rename(f, f + ".H0123abcdh")
    assert p.finish() == 0, p.err
    assert "lost" not in p.err


def test_queue_overflow_rescans_with_exact_count(tmp_path, run):
    with open("/proc/sys/fs/inotify/max_queued_events") as fh:
        n = int(fh.read()) + 500
    # Links to a private copy: ext4 allows 65,000 links to one inode.
    src = tmp_path / "lines"
    shutil.copyfile(os.path.join(FIXTURES, "lines"), src)
    p = run("wait", "-v", "-d", DEBOUNCE, "--expect", str(n), "--json",
            "-T", "5m", str(tmp_path))
    armed(p)
    os.kill(p.p.pid, signal.SIGSTOP)  # let the kernel queue overflow
    for i in range(n):
        os.link(src, tmp_path / f".coverage.otherhost.{i + 1}.123456")
    os.kill(p.p.pid, signal.SIGCONT)
    assert p.finish(timeout=300) == 0, p.err[-2000:]
    assert "inotify queue overflowed" in p.err
    doc = json.loads(p.out)
    assert len(doc["files"]) == n
    assert all(f["verdict"] == "ok" for f in doc["files"])


@pytest.mark.parametrize("sig,code", [(signal.SIGTERM, 143),
                                      (signal.SIGINT, 130),
                                      (signal.SIGHUP, 129)])
def test_signal_ends_wait_and_stops_trigger(tmp_path, run, sig, code):
    marker = tmp_path / "trigger.pid"
    p = run("wait", "-v", "-d", DEBOUNCE, "--trigger",
            f"echo $$ > {marker}; exec sleep 300", str(tmp_path))
    p.expect("trigger started")
    while not marker.exists() or not marker.read_text().strip():
        time.sleep(0.01)  # the shell writes the file: no event to wait on
    tpid = int(marker.read_text())
    os.kill(p.p.pid, sig)
    assert p.finish() == code
    assert f"stopped by signal {int(sig)}" in p.err
    # The trigger's whole process group is gone.
    with pytest.raises(ProcessLookupError):
        os.killpg(tpid, 0)


def test_timeout_says_what_was_missing(tmp_path, run, writer):
    datafile(tmp_path, pid=3)
    w = writer(tmp_path, "--pause-at", "after-save")
    w.paused("after-save")
    r = covsettle("wait", "--expect", "3", "-d", DEBOUNCE, "-T", "1500ms",
                  str(tmp_path))
    assert r.returncode == 3
    line = [l for l in r.stderr.splitlines() if "timed out" in l]
    assert len(line) == 1, r.stderr
    assert "2 of 3 expected data files" in line[0]
    assert "last change" in line[0]
    r = covsettle("wait", "--expect", "2", "-d", DEBOUNCE, "-T", "1500ms",
                  str(tmp_path))
    assert r.returncode == 3
    comm = open(f"/proc/{w.p.pid}/comm").read().strip()
    assert f"{w.name} (writer pid {w.p.pid} ({comm}) alive)" in r.stderr
    w.go()


def test_timeout_names_failing_file(tmp_path):
    # Foreign host: the writer cannot be known gone; it gets until timeout.
    datafile(tmp_path, fixture="schema-only", pid=5)
    r = covsettle("wait", "-d", DEBOUNCE, "-T", "1500ms", str(tmp_path))
    assert r.returncode == 3
    assert ("failing their check: .coverage.otherhost.5.123456 "
            "(incomplete: no has_arcs") in r.stderr



def test_timeout_waiting_for_the_count_names_a_file_checked_early(tmp_path):
    # Files quiet on their own are checked while the count is short, so a
    # timeout names the bad one though the directory never settled.
    datafile(tmp_path, pid=1)
    datafile(tmp_path, fixture="truncated", pid=2)
    r = covsettle("wait", "-d", DEBOUNCE, "-n", "3", "-T", "3s",
                  str(tmp_path))
    assert r.returncode == 3
    assert "2 of 3 expected data files" in r.stderr
    assert ("failing their check: .coverage.otherhost.2.123456 (corrupt: "
            in r.stderr), r.stderr

def test_trigger_success_with_new_only(tmp_path, cov):
    old = datafile(tmp_path, pid=11)
    trig = f"{cov.python} {WRITER} {tmp_path} </dev/null >/dev/null"
    r = covsettle("wait", "--new-only", "--trigger", trig, "-d", DEBOUNCE,
                  "--json", str(tmp_path))
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    names = [f["name"] for f in doc["files"]]
    assert len(names) == 1 and names[0] != os.path.basename(old)
    assert cov.name_re().match(names[0]), names


@pytest.mark.parametrize("cmd,how", [
    ("exit 3", "exited with status 3"),
    ("no-such-command-covsettle", "exited with status 127"),
    ("kill -TERM $$", "killed by signal 15"),
])
def test_trigger_failure_exits_6(tmp_path, cmd, how):
    r = covsettle("wait", "--trigger", cmd, "-T", "30s", str(tmp_path))
    assert r.returncode == 6, r.stderr
    assert f"trigger '{cmd}' {how}" in r.stderr


def test_polling_forced(tmp_path, run, writer):
    p = run("wait", "-v", "--poll=50ms", "-d", DEBOUNCE, str(tmp_path))
    p.expect("watching .* by polling")
    w = writer(tmp_path)
    w.saved()
    assert p.finish() == 0, p.err


def test_fifo_and_directory_named_like_data_files_are_ignored(tmp_path):
    os.mkfifo(tmp_path / ".coverage.otherhost.1.111111")
    (tmp_path / ".coverage.otherhost.2.222222").mkdir()
    datafile(tmp_path, pid=3)
    r = covsettle("wait", "-d", DEBOUNCE, "--json", str(tmp_path), timeout=30)
    assert r.returncode == 0, r.stderr
    assert [f["name"] for f in json.loads(r.stdout)["files"]] == [
        ".coverage.otherhost.3.123456"]


def test_symlink_out_of_directory_is_never_followed(tmp_path):
    d = tmp_path / "cov"
    d.mkdir()
    outside = datafile(tmp_path, "outside-file")
    os.symlink(outside, d / f".coverage.{HOST}.999999999.123456")
    r = covsettle("wait", "-d", DEBOUNCE, str(d))
    assert r.returncode == 4, r.stderr
    assert "symlink: symlink to" in r.stderr and "outside" in r.stderr


def test_expect_zero_allows_empty_directory(tmp_path):
    r = covsettle("wait", "--expect", "0", "-d", DEBOUNCE, str(tmp_path))
    assert r.returncode == 0, r.stderr
    assert "settled: 0 data files" in r.stderr


def test_side_files_and_combined_file_are_not_data_files(tmp_path):
    datafile(tmp_path, ".coverage")
    datafile(tmp_path, ".coverage.otherhost.1.123456-journal", "garbage")
    datafile(tmp_path, ".coverage.otherhost.2.123456.tmp", "garbage")
    r = covsettle("wait", "-d", DEBOUNCE, "-T", "1s", str(tmp_path))
    assert r.returncode == 3
    assert "0 of 1 expected data file" in r.stderr


def test_quiet_prints_nothing_when_settled(tmp_path):
    datafile(tmp_path)
    r = covsettle("wait", "-q", "-d", DEBOUNCE, str(tmp_path))
    assert r.returncode == 0 and r.stderr == "" and r.stdout == ""


def test_not_a_directory_is_a_watch_error(tmp_path):
    f = tmp_path / "file"
    f.write_text("x")
    r = covsettle("wait", str(f))
    assert r.returncode == 7
    assert str(f) in r.stderr and "Not a directory" in r.stderr


def test_live_status_line_on_a_terminal(tmp_path):
    # stderr is a pseudo-terminal: one line rewritten in place, then the
    # summary; no per-file lines.
    import pty
    datafile(tmp_path, pid=1)
    leader, follower = pty.openpty()
    # A window longer than the timeout: the file is never checked early,
    # so the line says 0 settled however slowly covsettle starts.
    p = subprocess.Popen([COVSETTLE, "wait", "--expect", "2", "-d", "10s",
                          "-T", "1200ms", str(tmp_path)],
                         stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                         stderr=follower)
    os.close(follower)
    out = b""
    while True:
        try:
            chunk = os.read(leader, 4096)
        except OSError:  # EIO: the terminal closed
            break
        if not chunk:
            break
        out += chunk
    assert p.wait(30) == 3
    os.close(leader)
    text = out.decode()
    assert "\r\x1b[Kcovsettle: 1/2 data files, 0 settled" in text
    assert "data file: " not in text
    assert "timed out after" in text


def test_signal_ignored_at_start_stays_ignored(tmp_path, procs):
    # Under nohup SIGHUP is ignored: covsettle keeps it so, and still ends
    # on SIGTERM; the trigger gets SIGHUP's default action back.
    from harness import Proc
    marker = tmp_path / "trigger.pid"
    p = Proc([COVSETTLE, "wait", "-v", "-d", DEBOUNCE, "--trigger",
              f"echo $$ > {marker}; trap - HUP; exec sleep 300",
              str(tmp_path)],
             preexec_fn=lambda: signal.signal(signal.SIGHUP, signal.SIG_IGN))
    procs.append(p)
    p.expect("trigger started")
    os.kill(p.p.pid, signal.SIGHUP)
    assert p.running_after(MARGIN), "SIGHUP, ignored at start, ended it"
    os.kill(p.p.pid, signal.SIGTERM)
    assert p.finish() == 143, p.err


def test_sigchld_ignored_at_start_still_reaps_children(tmp_path, procs):
    # Started with SIGCHLD ignored, the kernel would reap covsettle's
    # children itself and the trigger's exit status would be lost: a hang.
    from harness import Proc
    datafile(tmp_path, pid=1)
    p = Proc([COVSETTLE, "wait", "-d", DEBOUNCE, "--trigger", "exit 0",
              str(tmp_path)],
             preexec_fn=lambda: signal.signal(signal.SIGCHLD, signal.SIG_IGN))
    procs.append(p)
    assert p.finish() == 0, p.err
    assert "trigger exited with status 0" in p.err


def session_members(sid):
    """Pids of the processes in session SID, read from /proc."""
    pids = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                stat = f.read()
        except OSError:
            continue
        # The fields after "(comm)": state ppid pgrp session ...
        if int(stat.rsplit(")", 1)[1].split()[3]) == sid:
            pids.append(int(entry))
    return pids


@pytest.mark.parametrize("rearm", [False, True])
def test_nothing_outlives_covsettle_for_long(tmp_path, rearm):
    # covsettle hands the slow release of its inotify instance to a
    # short-lived helper process: it must keep none of the caller's pipes
    # open (communicate() returns at covsettle's exit) and end by itself.
    d = tmp_path / "cov"
    d.mkdir()
    aged(datafile(d, pid=1))  # old data: its removal with d is no loss
    argv = [COVSETTLE, "wait", "-v", "-d", DEBOUNCE, "--expect", "2", str(d)]
    p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True, start_new_session=True)
    err = ""
    for line in p.stderr:
        err += line
        if "with inotify" in line:
            if rearm:  # restarts the inotify instance: one more release
                shutil.rmtree(d)
                d.mkdir()
            else:
                datafile(d, pid=2)
        if "is there; scanned it" in line:
            datafile(d, pid=2)
            datafile(d, pid=3)
    out, rest = p.communicate(timeout=60)
    assert p.returncode == 0, err + rest
    pidfds = []
    for pid in session_members(p.pid):
        try:
            pidfds.append(os.pidfd_open(pid))
        except ProcessLookupError:
            pass
    try:
        for fd in pidfds:
            ready, _, _ = select.select([fd], [], [], 10)
            assert ready, f"a process of covsettle's session lives on: {session_members(p.pid)}"
    finally:
        for fd in pidfds:
            os.close(fd)


# ---- many files: checked on several threads, the same outcome ----

def many_files(d, n, bad_every=0):
    """n data files whose writers are gone (this host, pids that do not
    exist); with bad_every, every bad_every-th is a broken fixture.
    Returns the names of the good and of the bad files."""
    fixtures = ("lines", "arcs", "contexts", "empty-run")
    broken = ("truncated", "schema-only", "zero-bytes", "garbage", "mixed")
    good, bad = [], []
    for k in range(n):
        name = f".coverage.{HOST}.{999000000 + k}.123456"
        if bad_every and k % bad_every == 0:
            datafile(d, name, fixture=broken[(k // bad_every) % len(broken)])
            bad.append(name)
        else:
            datafile(d, name, fixture=fixtures[k % len(fixtures)])
            good.append(name)
    return good, bad


def threads_env(threads):
    return dict(os.environ, COVSETTLE_THREADS=threads)


@pytest.mark.parametrize("threads", ["1", "4"])
def test_many_files_settle_with_exact_count(tmp_path, threads):
    good, _ = many_files(tmp_path, 400)
    r = covsettle("wait", "-q", "-d", DEBOUNCE, "--expect", "400", "--json",
                  str(tmp_path), env=threads_env(threads))
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    assert sorted(f["name"] for f in doc["files"]) == sorted(good)
    assert {f["verdict"] for f in doc["files"]} == {"ok"}
    # One more than there are: still waiting at the timeout, and saying so.
    r = covsettle("wait", "-d", DEBOUNCE, "--expect", "401", "-T", "1s",
                  str(tmp_path), env=threads_env(threads))
    assert r.returncode == 3
    assert "400 of 401 expected data files" in r.stderr


@pytest.mark.parametrize("threads", ["1", "4"])
def test_many_files_some_invalid(tmp_path, threads):
    good, bad = many_files(tmp_path, 400, bad_every=37)
    before = {n: open(tmp_path / n, "rb").read() for n in bad}
    r = covsettle("wait", "-d", DEBOUNCE, "--expect", "400", str(tmp_path),
                  env=threads_env(threads))
    assert r.returncode == 4, r.stderr
    named = {n for n in good + bad if f"{n}: " in r.stderr}
    assert named == set(bad)
    r = covsettle("wait", "-d", DEBOUNCE, "--expect", "400",
                  "--invalid=quarantine", "--json", str(tmp_path),
                  env=threads_env(threads))
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    assert sorted(f["name"] for f in doc["quarantined"]) == sorted(bad)
    assert sorted(f["name"] for f in doc["files"]) == sorted(good)
    for n in bad:
        assert open(tmp_path / "quarantine" / n, "rb").read() == before[n]


def test_dir_given_as_a_symlink_to_a_directory(tmp_path, run, writer):
    # DIR may be a symlink (a CI cache, a shared mount): the link is
    # followed and the directory it names is watched.
    real = tmp_path / "real"
    real.mkdir()
    link = tmp_path / "link1"
    os.symlink(real, link)
    p = run("wait", "-v", "-d", DEBOUNCE, "--json", str(link))
    armed(p)
    assert p.running_after(MARGIN), "settled with no data file"
    w = writer(real)
    w.saved()
    w.finish()
    assert p.finish() == 0, p.err
    assert [f["name"] for f in json.loads(p.out)["files"]] == [w.name]
    for args in (["check", str(link)], ["wait", "-d", DEBOUNCE, str(link)],
                 ["wait", "--poll", "-d", DEBOUNCE, str(link)]):
        r = covsettle(*args)
        assert r.returncode == 0, (args, r.stdout + r.stderr)


def test_symlink_to_a_file_as_dir_names_the_real_reason(tmp_path):
    # Every error message carries the errno of the call that failed.
    f = tmp_path / "file"
    f.write_text("x")
    os.symlink(f, tmp_path / "link")
    r = covsettle("wait", str(tmp_path / "link"))
    assert r.returncode == 7
    assert r.stderr.strip().endswith("Not a directory"), r.stderr
    os.symlink(tmp_path / "nowhere", tmp_path / "dangling")
    r = covsettle("wait", "-T", "1s", str(tmp_path / "dangling"))
    assert r.returncode in (3, 7), r.stderr
    assert "Inappropriate ioctl" not in r.stderr and "File exists" not in r.stderr


# A real SQLite writer killed in the middle of a transaction whose pages
# spilled into the file: the rollback journal left beside it is hot.
CUT_SHORT = r'''
import os, sqlite3, sys
con = sqlite3.connect(sys.argv[1], isolation_level=None)
con.execute("pragma cache_size = 1")
con.execute("begin immediate")
con.execute("update line_bits set numbits = numbits || x'00'")
con.execute("insert into file (path) select path || '.x' from file")
os._exit(0)
'''


@pytest.mark.skipif(os.geteuid() != 0,
                    reason="SQLite chowns the journal it opens only as root")
def test_own_check_of_a_hot_journal_is_no_change(tmp_path):
    # As root, the check's read-only open of a file with a hot journal
    # makes SQLite fchown() the journal (IN_ATTRIB). covsettle's own read is
    # no change: the quiet window ends, and the timeout says why the file
    # fails, not that it is still being written.
    path = datafile(tmp_path, pid=7)
    subprocess.run([PY, "-c", CUT_SHORT, path], check=True)
    assert os.path.getsize(path + "-journal") > 0
    os.utime(path)  # written just now: the window starts
    r = covsettle("wait", "-d", DEBOUNCE, "-T", "3s", str(tmp_path))
    assert r.returncode == 3, r.stderr
    line = [l for l in r.stderr.splitlines() if "timed out" in l]
    assert len(line) == 1, r.stderr
    assert ("failing their check: .coverage.otherhost.7.123456 (incomplete: "
            "a transaction was cut short") in line[0]
    assert "still being written" not in line[0]


@pytest.mark.parametrize("name", [".", "./", "./."])
def test_dot_as_the_directory_sees_writes(tmp_path, procs, name):
    # DIR given as "." is watched for every event, as by its full path: its
    # parent's watch is on its parent, not on DIR itself under another name.
    path = datafile(tmp_path, pid=1)
    p = Proc([COVSETTLE, "wait", "-v", "-d", "60s", "-T", "2m", name],
             cwd=tmp_path)
    procs.append(p)
    armed(p)
    with open(path, "r+b") as f:
        f.write(f.read(100))
    p.expect(r"^covsettle: event MODIFY .coverage.otherhost.1.123456$")
    p.kill()


def test_many_files_are_named_a_handful_then_counted(tmp_path):
    # Off a terminal, 40 data files make 5 lines that name one each, then a
    # line of progress each time the count doubles; -v and --json name all.
    names = sorted(os.path.basename(datafile(tmp_path, pid=i)) for i in range(1, 41))
    r = covsettle("wait", "-d", "0", "--expect", "40", str(tmp_path))
    assert r.returncode == 0, r.stderr
    named = [l for l in r.stderr.splitlines() if l.startswith("covsettle: data file: ")]
    assert len(named) == 5, r.stderr
    progress = [l for l in r.stderr.splitlines() if "data files found so far" in l]
    assert progress == [f"covsettle: {n} data files found so far, 40 expected "
                        "(-v names each)" for n in (6, 12, 24)], r.stderr
    assert len(r.stderr.splitlines()) == 9, r.stderr
    r = covsettle("wait", "-v", "-d", "0", "--expect", "40", str(tmp_path))
    assert sorted(l.split(": ")[-1] for l in r.stderr.splitlines()
                  if l.startswith("covsettle: data file: ")) == names
    assert "found so far" not in r.stderr
    r = covsettle("wait", "--json", "-d", "0", "--expect", "40", str(tmp_path))
    assert sorted(f["name"] for f in json.loads(r.stdout)["files"]) == names
