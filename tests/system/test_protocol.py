# test_protocol.py: coverage.py's data-file protocol of every era, with the
# real coverage.py of each version of the matrix: a save in several steps,
# the rename that ends a save (7.13.1 and later), a save cut short, a file
# of another host, a base name with a dot, and gather's combine and reports.
import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import time

import pytest

from harness import COVSETTLE, FIXTURES, HOST, LONG, PY, ROOT, Proc, covsettle, datafile
from harness import digests, union

WRITER = os.path.join(ROOT, "tests", "writer.py")
CUT_SHORT = "incomplete: writer exited before finishing its save"
UNFINISHED = "incomplete: save not finished (no .H...h)"


def armed(p):
    p.expect(r"watching .* (with inotify|by polling)")


def renaming(cov):
    if not cov.renames:
        pytest.skip(f"coverage.py {cov.version} does not rename its data files")


def write(cov, d, src, variant):
    """One real coverage.py process of this version, run to its end: the
    final path of its data file."""
    r = subprocess.run([cov.python, WRITER, str(d), "--branch", "--files", "3",
                        "--variant", str(variant), "--src-dir", str(src)],
                       stdin=subprocess.DEVNULL, capture_output=True,
                       text=True, check=True)
    path = None
    for line in r.stdout.splitlines():
        if line.startswith(("file ", "renamed ")):
            path = line.split(" ", 1)[1]
    return path


def gather(cov, cwd, *args, timeout=LONG):
    return subprocess.run([COVSETTLE, "gather", "--coverage", cov.command,
                           *args], capture_output=True, text=True, cwd=cwd,
                          timeout=timeout, stdin=subprocess.DEVNULL)


# ---- a save in two steps, 1.5 s apart ----

@pytest.mark.parametrize("ignore_writers", [False, True],
                         ids=["pid-test", "ignore-writers"])
def test_save_in_two_steps_is_combined_whole(cov, tmp_path, run, writer,
                                             ignore_writers):
    # The first step leaves a valid database with no measured file; the
    # rest comes 1.5 s later, five quiet windows on. The pid in the name
    # holds it on every version; with --ignore-writers only the name of
    # 7.13.1 and later can (the older ones are combined early, as the man
    # page warns).
    if ignore_writers:
        renaming(cov)
    d, src = tmp_path / "cov", tmp_path / "src"
    d.mkdir()
    out = tmp_path / "out.cov"
    p = run("gather", "-v", "-d", "300ms", "-T", "2m", "--coverage",
            cov.command, "--data-file", str(out),
            *(["--ignore-writers"] if ignore_writers else []), str(d))
    armed(p)
    w = writer(d, "--pause-at", "after-has-arcs", "--files", "4",
               "--src-dir", str(src))
    w.paused("after-has-arcs")
    time.sleep(1.5)  # the gap between the two steps is the scenario
    w.go()
    w.saved()
    assert p.finish() == 0, p.err
    assert w.name != w.first_name if cov.renames else w.name == w.first_name
    whole = union(w.path)
    assert len(whole["lines"]) == 4, whole
    assert union(out) == whole
    assert "combined 1 data file" in p.err


# ---- a save cut short before its rename ----

def test_writer_killed_before_rename_is_named_at_once(cov, tmp_path, run,
                                                      writer):
    renaming(cov)
    d = tmp_path / "cov"
    d.mkdir()
    # A timeout far beyond the test's own bound: exit 4 comes from the
    # writer's end, never from the timeout (exit 3).
    p = run("gather", "-d", "200ms", "-T", "10m", "--coverage", cov.command,
            "--data-file", str(tmp_path / "out.cov"), str(d))
    w = writer(d, "--pause-at", "before-rename")
    w.paused("before-rename")
    name = w.first_name
    w.kill()
    assert p.finish() == 4, p.err
    assert f"{d}/{name}: {CUT_SHORT}" in p.err
    assert (d / name).exists(), "the file is left as it is"
    assert not (tmp_path / "out.cov").exists()
    r = covsettle("check", str(d / name))
    assert r.returncode == 4
    assert r.stdout == (f"{d}/{name}: {UNFINISHED}; its writer, pid "
                        f"{w.p.pid}, exited before finishing its save\n")


def test_writer_killed_before_rename_is_quarantined(cov, tmp_path, run,
                                                    writer):
    renaming(cov)
    d, src = tmp_path / "cov", tmp_path / "src"
    d.mkdir()
    good = write(cov, d, src, 1)
    p = run("gather", "-d", "200ms", "-T", "10m", "--expect", "2",
            "--invalid=quarantine", "--coverage", cov.command,
            "--data-file", str(tmp_path / "out.cov"), str(d))
    w = writer(d, "--pause-at", "before-rename", "--src-dir", str(src))
    w.paused("before-rename")
    name = w.first_name
    w.kill()
    assert p.finish() == 0, p.err
    assert f"moved invalid {name}" in p.err
    assert (d / "quarantine" / name).exists()
    assert union(tmp_path / "out.cov") == union(good)


def test_check_says_a_save_is_unfinished(tmp_path):
    real = ".coverage.otherhost.pid7.Xa1B2c3x"
    datafile(tmp_path, real, fixture="era-7.17.5-lines")
    r = covsettle("check", str(tmp_path / real))
    assert r.returncode == 4, r.stdout + r.stderr
    assert r.stdout == f"{tmp_path}/{real}: {UNFINISHED}\n"
    os.rename(tmp_path / real, tmp_path / (real + ".H0123456789h"))
    r = covsettle("check", str(tmp_path))
    assert r.returncode == 0, r.stdout + r.stderr
    assert r.stdout.endswith(".H0123456789h: ok: 4 measured files, lines\n")


# ---- a file of another host ----

def test_unfinished_file_of_another_host_is_named_at_the_timeout(tmp_path):
    d = tmp_path / "cov"
    d.mkdir()
    done = datafile(d, ".coverage.otherhost.pid7.Xa1B2c3x.H0123456789h",
                    fixture="era-7.17.5-lines")
    unfinished = ".coverage.otherhost.pid8.Xq9W8e7x"
    datafile(d, unfinished, fixture="era-7.17.5-arcs")
    before = digests(d)
    r = subprocess.run([COVSETTLE, "gather", "-d", "100ms", "-T", "2s",
                        "--json", str(d)], capture_output=True, text=True,
                       cwd=tmp_path, timeout=LONG, stdin=subprocess.DEVNULL)
    assert r.returncode == 3, r.stderr
    assert f"{unfinished} ({UNFINISHED})" in r.stderr
    doc = json.loads(r.stdout)
    assert doc["status"] == "timeout" and doc["inputs"] == 0
    assert not (tmp_path / ".coverage").exists(), "combined silently"
    assert digests(d) == before
    # Once its writer renames it, the directory settles.
    os.rename(d / unfinished, d / (unfinished + ".HAAAAAAAAAAh"))
    r = covsettle("wait", "-d", "100ms", "-T", "30s", "--expect", "2", str(d))
    assert r.returncode == 0, r.stderr
    assert os.path.exists(done)


# ---- the rename is one data file ----

@pytest.mark.parametrize("new_only", [False, True], ids=["all", "new-only"])
def test_rename_is_counted_once_and_never_lost(cov, tmp_path, run, writer,
                                               new_only):
    renaming(cov)
    flags = ["--new-only"] if new_only else []
    p = run("wait", "-v", "-d", "200ms", "--expect", "2", "-T", "4s",
            "--json", *flags, str(tmp_path))
    armed(p)
    w = writer(tmp_path)
    w.saved()
    assert w.name != w.first_name
    assert p.finish() == 3, p.err
    assert "1 of 2 expected data files" in p.err
    assert f"data file gone: {w.first_name}" not in p.err
    assert "lost" not in p.err
    doc = json.loads(p.out)
    assert [f["name"] for f in doc["files"]] == [w.name]
    assert doc["lost"] == []
    # And it is the one file there.
    r = covsettle("wait", "-d", "100ms", "--expect", "2", "-T", "1s",
                  str(tmp_path))
    assert r.returncode == 3, r.stderr
    assert "1 of 2 expected data files" in r.stderr


# ---- a base name with a dot (data_file = .coverage.api) ----

def test_writer_of_a_dotted_base_name_is_waited_for(tmp_path):
    # .coverage.api.HOST.PID.RAND under the default pattern: the host is
    # read from the right, so the live pid holds the file. (A Python
    # process, started before the file: one that can be its writer.)
    live = subprocess.Popen([PY, "-c", "import sys; sys.stdin.read()"],
                            stdin=subprocess.PIPE)
    try:
        name = f".coverage.api.{HOST}.{live.pid}.123456"
        datafile(tmp_path, name)
        r = covsettle("wait", "-d", "100ms", "-T", "2s", str(tmp_path))
        assert r.returncode == 3, r.stderr
        assert f"{name} (writer pid {live.pid} (python3) alive)" in r.stderr
    finally:
        live.kill()
        live.wait()
    r = covsettle("wait", "-d", "100ms", "-T", "30s", str(tmp_path))
    assert r.returncode == 0, r.stderr


# ---- gather on every version ----

def test_gather_names_an_input_coverage_skips(cov, tmp_path):
    d, src = tmp_path / "cov", tmp_path / "src"
    write(cov, d, src, 0)
    bad = write(cov, d, src, 1)
    # A schema version covsettle reads as 7 and coverage.py refuses: it
    # warns, skips the file and exits 0.
    con = sqlite3.connect(bad)
    con.execute("update coverage_schema set version = 7.5")
    con.commit()
    con.close()
    assert covsettle("check", bad).returncode == 0
    before = digests(d)
    r = gather(cov, src, "-d", "100ms", "--expect", "2", "--data-file",
               str(tmp_path / "out.cov"), str(d))
    assert r.returncode == 5, r.stderr
    assert (f"coverage.py did not combine {d}/{os.path.basename(bad)} "
            "(wrong schema: 7.5 instead of 7)") in r.stderr
    assert not (tmp_path / "out.cov").exists()
    assert digests(d) == before


def test_gather_reports_leave_the_inputs_and_json_is_right(cov, tmp_path):
    d, src = tmp_path / "cov", tmp_path / "src"
    files = [write(cov, d, src, v) for v in (0, 1, 2)]
    before = digests(d)
    rep = tmp_path / "rep"
    rep.mkdir()
    r = gather(cov, src, "-d", "100ms", "--expect", "3", "--json",
               "--data-file", str(tmp_path / "out.cov"),
               "--report", f"text={rep}/report.txt",
               "--report", f"json={rep}/coverage.json",
               "--report", f"xml={rep}/coverage.xml",
               "--report", f"lcov={rep}/coverage.lcov",
               "--report", f"html={rep}/html", str(d))
    assert r.returncode == 0, r.stderr
    assert digests(d) == before, "a report combined (and deleted) inputs"
    assert union(tmp_path / "out.cov") == union(*files)
    doc = json.loads(r.stdout)
    assert doc["exit"] == 0 and doc["status"] == "settled"
    assert doc["message"] is None and doc["lost"] == []
    assert doc["inputs"] == 3
    assert sorted(f["name"] for f in doc["files"]) == sorted(
        os.path.basename(f) for f in files)
    assert all(f["verdict"] == "ok" for f in doc["files"])
    total = json.loads((rep / "coverage.json").read_text())["totals"]
    assert doc["total_percent"] == pytest.approx(total["percent_covered"],
                                                 abs=0.01)
    assert (rep / "html" / "index.html").exists()
    assert (rep / "coverage.lcov").read_text().startswith(("TN:", "SF:"))
    assert "TOTAL" in (rep / "report.txt").read_text()
