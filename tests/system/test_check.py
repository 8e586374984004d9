# test_check.py: `covsettle check` on the fixtures made by coverage.py and
# on files in the states a writer leaves them in.
import hashlib
import subprocess
import json
import os

import pytest

from conftest import COVSETTLE, FIXTURES, HOST, covsettle, datafile


def verdicts():
    with open(os.path.join(FIXTURES, "..", "verdicts.txt")) as f:
        for line in f:
            line = line.split("#", 1)[0].split()
            if line:
                yield line[0], line[1]


@pytest.mark.parametrize("name,verdict", list(verdicts()))
def test_every_fixture_gets_its_verdict(name, verdict):
    path = os.path.join(FIXTURES, name)
    before = hashlib.sha256(open(path, "rb").read()).hexdigest()
    mtime = os.stat(path).st_mtime_ns
    r = covsettle("check", path)
    assert r.returncode == (0 if verdict == "ok" else 4), r.stdout + r.stderr
    lines = r.stdout.splitlines()
    assert len(lines) == 1
    assert lines[0].startswith(f"{path}: {verdict}: ")
    assert len(lines[0]) > len(f"{path}: {verdict}: ")
    # Read-only: contents and mtime untouched.
    assert hashlib.sha256(open(path, "rb").read()).hexdigest() == before
    assert os.stat(path).st_mtime_ns == mtime


def test_directory_checks_every_data_file_in_name_order(tmp_path):
    datafile(tmp_path, pid=2)
    datafile(tmp_path, pid=1, fixture="truncated")
    datafile(tmp_path, ".coverage")  # the combined file: not a data file
    r = covsettle("check", str(tmp_path))
    assert r.returncode == 4
    assert r.stdout.splitlines() == [
        f"{tmp_path}/.coverage.otherhost.1.123456: corrupt: "
        "database disk image is malformed",
        f"{tmp_path}/.coverage.otherhost.2.123456: ok: "
        "4 measured files, lines",
    ]


def test_quiet_prints_only_failures_and_json_lists_all(tmp_path):
    datafile(tmp_path, pid=2)
    datafile(tmp_path, pid=1, fixture="zero-bytes")
    r = covsettle("check", "-q", str(tmp_path))
    assert r.returncode == 4
    assert r.stdout.splitlines() == [
        f"{tmp_path}/.coverage.otherhost.1.123456: empty: 0 bytes (the "
        "writer has not written yet, or was killed)"]
    r = covsettle("check", "--json", str(tmp_path))
    doc = json.loads(r.stdout)
    assert doc["exit"] == 4 and doc["checked"] == 2 and doc["invalid"] == 1
    assert [(f["verdict"], f["size"]) for f in doc["files"]] == [
        ("empty", 0), ("ok", 53248)]


def test_all_ok_exits_0(tmp_path):
    datafile(tmp_path, pid=1)
    datafile(tmp_path, pid=2, fixture="arcs")
    r = covsettle("check", str(tmp_path))
    assert r.returncode == 0, r.stdout


def test_symlinks(tmp_path):
    d = tmp_path / "cov"
    d.mkdir()
    inside = datafile(d, pid=1)
    outside = datafile(tmp_path, "elsewhere")
    os.symlink(os.path.basename(inside), d / ".coverage.otherhost.2.123456")
    os.symlink(outside, d / ".coverage.otherhost.3.123456")
    os.symlink("nowhere", d / ".coverage.otherhost.4.123456")
    r = covsettle("check", str(d))
    out = r.stdout.splitlines()
    assert out[1] == f"{d}/.coverage.otherhost.2.123456: ok: 4 measured files, lines"
    assert out[2].startswith(f"{d}/.coverage.otherhost.3.123456: symlink: "
                             f"symlink to {outside}, outside the directory")
    assert out[3].startswith(f"{d}/.coverage.otherhost.4.123456: symlink: ")
    assert "does not exist" in out[3]
    assert r.returncode == 4


def test_fifo_named_on_the_command_line_does_not_block(tmp_path):
    fifo = tmp_path / ".coverage.otherhost.1.123456"
    os.mkfifo(fifo)
    r = covsettle("check", str(fifo), timeout=20)
    assert r.returncode == 4
    assert r.stdout.strip() == f"{fifo}: not-regular: a fifo, not a data file"


def test_missing_file(tmp_path):
    r = covsettle("check", str(tmp_path / "nope"))
    assert r.returncode == 4
    assert r.stdout.strip() == f"{tmp_path}/nope: missing: no such file"


def test_incomplete_file_of_live_writer_says_so(tmp_path, writer):
    w = writer(tmp_path, "--pause-at", "between-transactions")
    w.paused("between-transactions")
    r = covsettle("check", w.path)
    assert r.returncode == 4
    assert f"its writer, pid {w.p.pid}, is running" in r.stdout
    w.go()
    w.saved()
    assert w.finish() == 0
    assert covsettle("check", w.path).returncode == 0


def test_file_open_for_writing_says_so(tmp_path, writer):
    w = writer(tmp_path, "--pause-at", "open-transaction")
    w.paused("open-transaction")
    # On disk it is a complete, empty database: the verdict is ok, and the
    # line says that a process has it open for writing.
    r = covsettle("check", w.path)
    assert r.stdout.strip() == (f"{w.path}: ok: 0 measured files, lines; "
                                "open for writing by a process")
    w.go()


def test_empty_directory_warns(tmp_path):
    r = covsettle("check", str(tmp_path))
    assert r.returncode == 0
    assert "no data files matching .coverage.*" in r.stderr


def test_check_never_creates_files(tmp_path):
    datafile(tmp_path, pid=1, fixture="schema-only")
    before = sorted(os.listdir(tmp_path))
    covsettle("check", str(tmp_path))
    assert sorted(os.listdir(tmp_path)) == before


def test_json_stays_valid_with_non_utf8_names(tmp_path):
    name = b".coverage.otherhost.1.123456\xff\xfe"
    d = bytes(tmp_path)
    with open(os.path.join(d, name), "wb") as f:
        f.write(open(os.path.join(FIXTURES, "lines"), "rb").read())
    datafile(tmp_path, ".coverage.otherhost.2.123456-ü")
    r = subprocess.run([COVSETTLE, "check", "--json", str(tmp_path)],
                       capture_output=True)
    doc = json.loads(r.stdout.decode("utf-8"))
    paths = sorted(f["path"] for f in doc["files"])
    assert paths == [f"{tmp_path}/.coverage.otherhost.1.123456\ufffd\ufffd",
                     f"{tmp_path}/.coverage.otherhost.2.123456-ü"]
