# test_check.py: `covsettle check` on the fixtures made by coverage.py and
# on files in the states a writer leaves them in.
import base64
import hashlib
import subprocess
import json
import os
import signal
import sqlite3

import pytest

from harness import COVSETTLE, FIXTURES, HOST, covsettle, datafile


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
    comm = open(f"/proc/{w.p.pid}/comm").read().strip()
    assert f"its writer, pid {w.p.pid} ({comm}), is running" in r.stdout
    w.go()
    w.saved()
    assert w.finish() == 0
    assert covsettle("check", w.path).returncode == 0


def test_file_open_for_writing_says_so(tmp_path, writer, cov):
    w = writer(tmp_path, "--pause-at", "open-transaction")
    w.paused("open-transaction")
    # On disk it is a complete, empty database: the verdict is ok (7.13.1
    # and later: incomplete, as its name says the save has not ended), and
    # the line says that a process has it open for writing.
    verdict = ("incomplete: save not finished (no .H...h)" if cov.renames
               else "ok: 0 measured files, lines")
    r = covsettle("check", w.path)
    assert r.stdout.strip() == (f"{w.path}: {verdict}; "
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
    # The bytes, lossless, where the name is not UTF-8; none where it is.
    by_path = {f["path"]: f for f in doc["files"]}
    bad = by_path[paths[0]]
    assert base64.b64decode(bad["path_base64"]) == d + b"/" + name
    assert "path_base64" not in by_path[paths[1]]
    # wait (and gather) give name_base64 the same way.
    r = subprocess.run([COVSETTLE, "wait", "--json", "-d", "0", "--expect", "2",
                        str(tmp_path)], capture_output=True)
    files = json.loads(r.stdout.decode("utf-8"))["files"]
    assert sorted(base64.b64decode(f["name_base64"]) for f in files
                  if "name_base64" in f) == [name]


def test_backslash_in_a_name_is_escaped(tmp_path):
    # A name holding a backslash and a t, and one holding a real tab: on
    # standard output and standard error they read differently.
    literal = datafile(tmp_path, ".coverage.x\\tforged", fixture="truncated")
    real = datafile(tmp_path, ".coverage.x\tforged", fixture="truncated")
    for path, shown in ((literal, ".coverage.x\\\\tforged"),
                        (real, ".coverage.x\\tforged")):
        r = covsettle("check", path)
        assert r.returncode == 4
        assert r.stdout.startswith(f"{tmp_path}/{shown}: corrupt: "), r.stdout
    r = covsettle("wait", "-d", "50ms", "-T", "20s", str(tmp_path))
    assert r.returncode == 4, r.stderr
    assert "data file: .coverage.x\\\\tforged" in r.stderr
    assert "data file: .coverage.x\\tforged" in r.stderr


# ---- many files: checked on several threads, reported in order ----

def mixed_directory(d, n):
    """n data files cycling through every fixture; returns the expected
    (name, verdict) list in name order."""
    fixtures = list(verdicts())
    expected = []
    for k in range(n):
        fixture, verdict = fixtures[k % len(fixtures)]
        name = datafile(d, fixture=fixture, pid=1000 + k)
        expected.append((name, verdict))
    return sorted(expected)


def assert_verdicts(stdout, expected):
    lines = stdout.splitlines()
    assert len(lines) == len(expected)
    for line, (path, verdict) in zip(lines, expected):
        assert line.startswith(f"{path}: {verdict}: "), (line, verdict)


@pytest.mark.parametrize("threads", ["1", "2", "4", None])
def test_big_mixed_directory_keeps_order_and_verdicts(tmp_path, threads):
    expected = mixed_directory(tmp_path, 400)
    env = dict(os.environ)
    env.pop("COVSETTLE_THREADS", None)
    if threads is not None:
        env["COVSETTLE_THREADS"] = threads
    r = covsettle("check", str(tmp_path), env=env)
    assert r.returncode == 4
    assert r.stderr == ""
    assert_verdicts(r.stdout, expected)
    # The same lines as on one thread, byte for byte.
    one = covsettle("check", str(tmp_path),
                    env=dict(env, COVSETTLE_THREADS="1"))
    assert r.stdout == one.stdout
    bad = [e for e in expected if e[1] != "ok"]
    r = covsettle("check", "-q", str(tmp_path), env=env)
    assert r.returncode == 4
    assert_verdicts(r.stdout, bad)
    doc = json.loads(covsettle("check", "--json", str(tmp_path),
                               env=env).stdout)
    assert [(f["path"], f["verdict"]) for f in doc["files"]] == expected
    assert doc["checked"] == 400 and doc["invalid"] == len(bad)


def test_big_directory_all_ok_exits_0(tmp_path):
    for k in range(300):
        datafile(tmp_path, pid=1000 + k,
                 fixture=("lines", "arcs", "contexts", "empty-run")[k % 4])
    env = dict(os.environ, COVSETTLE_THREADS="4")
    r = covsettle("check", "-q", str(tmp_path), env=env)
    assert (r.returncode, r.stdout, r.stderr) == (0, "", "")
    r = covsettle("check", str(tmp_path), env=env)
    assert r.returncode == 0 and len(r.stdout.splitlines()) == 300


def test_many_paths_in_the_order_given(tmp_path):
    d = tmp_path / "a"
    d.mkdir()
    expected = mixed_directory(d, 120)
    sub = tmp_path / "b"
    sub.mkdir()
    sub_expected = mixed_directory(sub, 30)
    # Files named one by one, in an order that is not the name order,
    # with a directory, a missing file and the same file twice among them.
    shuffled = expected[::-1][:60] + expected[:60]
    missing = str(d / ".coverage.otherhost.1.999999")
    args = ([p for p, _ in shuffled[:50]] + [str(sub)]
            + [p for p, _ in shuffled[50:]] + [missing, shuffled[0][0]])
    want = (shuffled[:50] + sub_expected + shuffled[50:]
            + [(missing, "missing"), shuffled[0]])
    env = dict(os.environ, COVSETTLE_THREADS="4")
    r = covsettle("check", *args, env=env)
    assert r.returncode == 4
    assert_verdicts(r.stdout, want)
    assert r.stdout == covsettle("check", *args, env=dict(
        env, COVSETTLE_THREADS="1")).stdout
    ok = [p for p, v in expected if v == "ok"]
    assert covsettle("check", *ok, env=env).returncode == 0


def test_lease_break_signal_does_not_end_check(tmp_path):
    # A writer opening a file while check holds its lease makes the kernel
    # send SIGIO, whose default action would end check. Check blocks on a
    # full stdout pipe (so it is past its start), gets a real SIGIO, and
    # must still finish with every verdict.
    for i in range(1500):
        datafile(tmp_path, name=f".coverage.otherhost.{i + 1}.123456")
    p = subprocess.Popen([COVSETTLE, "check", "-v", str(tmp_path)],
                         stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                         stdin=subprocess.DEVNULL)
    first = p.stdout.readline()  # it runs; its next writes fill the pipe
    assert first
    with open(f"/proc/{p.pid}/status") as f:
        ignored = int([l for l in f if l.startswith("SigIgn:")][0].split()[1], 16)
    assert ignored & (1 << (signal.SIGIO - 1)), "SIGIO is not ignored"
    os.kill(p.pid, signal.SIGIO)
    rest = p.stdout.read()
    assert p.wait() == 0
    assert len((first + rest).splitlines()) >= 1500


def test_bare_file_names_in_the_current_directory(tmp_path):
    # `cd cov && covsettle check .coverage.*`: names without a '/' are
    # checked in the current directory, as ./NAME would be.
    good = os.path.basename(datafile(tmp_path, pid=1))
    bad = os.path.basename(datafile(tmp_path, pid=2, fixture="truncated"))
    r = subprocess.run([COVSETTLE, "check", good, bad], cwd=tmp_path,
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 4, r.stdout + r.stderr
    assert r.stdout.splitlines()[0].startswith(f"{good}: ok: ")
    assert r.stdout.splitlines()[1].startswith(f"{bad}: corrupt: ")
    r = subprocess.run([COVSETTLE, "check", good], cwd=tmp_path,
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stdout + r.stderr


def test_control_characters_in_names_are_escaped(tmp_path):
    # A name can hold ESC and a newline: printed raw, it would rewrite the
    # terminal or forge a line. Every message shows them escaped.
    name = ".coverage.x\x1b[2J\nforged: ok: 1 measured file, lines"
    datafile(tmp_path, name, fixture="truncated")
    for args in (["check", str(tmp_path)],
                 ["check", str(tmp_path / name)]):
        r = covsettle(*args)
        assert r.returncode == 4
        assert "\x1b" not in r.stdout + r.stderr
        lines = r.stdout.splitlines()
        assert len(lines) == 1, lines
        assert "x\\x1b[2J\\nforged: ok: 1 measured" in lines[0]
        assert ": corrupt: " in lines[0]
    # Corrupt: no writer can mend it, so it fails once quiet (exit 4), and
    # the message names the file.
    r = covsettle("wait", "-v", "-d", "50ms", "-T", "20s", str(tmp_path))
    assert r.returncode == 4, r.stderr
    assert "\x1b" not in r.stderr
    assert "\nforged" not in r.stderr
    assert "x\\x1b[2J\\nforged" in r.stderr
    # --json escapes them as JSON does.
    r = covsettle("check", "--json", str(tmp_path))
    assert json.loads(r.stdout)["files"][0]["path"].endswith(name)


def eras():
    """fixtures/eras.txt: (fixture, version, era, the name coverage.py gave it)."""
    with open(os.path.join(FIXTURES, "..", "eras.txt")) as f:
        for line in f:
            words = line.split("#", 1)[0].split()
            if words:
                yield words[0], words[1], int(words[2]), words[3]


def test_eras_fixtures_cover_every_version_of_the_matrix():
    from covmatrix import VERSIONS
    made = {(version, era) for _, version, era, _ in eras()}
    assert made == {(c.version, c.era) for c in VERSIONS}


@pytest.mark.parametrize("fixture,version,era,real", list(eras()),
                         ids=[e[0] for e in eras()])
def test_era_fixture_under_its_real_name_is_ok(tmp_path, fixture, version, era, real):
    """A file each coverage.py wrote, under the name it gave it, is ok to check
    and settles (its host is not this one: no writer to wait for)."""
    path = tmp_path / real
    path.write_bytes(open(os.path.join(FIXTURES, fixture), "rb").read())
    r = covsettle("check", str(tmp_path))
    assert r.returncode == 0, r.stdout + r.stderr
    kind = "branches" if fixture.endswith("-arcs") else "lines"
    assert r.stdout == f"{path}: ok: 4 measured files, {kind}\n"
    r = covsettle("wait", "-d", "100ms", "--timeout", "30s", str(tmp_path))
    assert r.returncode == 0, r.stderr
    assert f"settled: 1 data file in {tmp_path}" in r.stderr
    # The same program and options as the 6.5 fixture: the same measurement.
    union = os.path.join(FIXTURES, "..", "union.py")
    def measured(p):
        return subprocess.run(["/usr/bin/python3", union, p], check=True,
                              capture_output=True, text=True).stdout
    assert measured(str(path)) == measured(os.path.join(FIXTURES, kind.replace(
        "branches", "arcs")))


@pytest.mark.parametrize("table,column", [("arc", "tono"), ("line_bits", "numbits"),
                                          ("file", "path")])
def test_a_table_without_a_column_coverage_reads_is_corrupt(tmp_path, table, column):
    # The table is there, and schema 7 says it has the column; coverage.py
    # reads it by name, and could not.
    path = datafile(tmp_path, pid=1, fixture="arcs" if table == "arc" else "lines")
    con = sqlite3.connect(path)
    with con:
        con.execute(f"alter table {table} rename column {column} to {column}_gone")
    con.close()
    r = covsettle("check", path)
    assert r.returncode == 4, r.stdout + r.stderr
    assert r.stdout == f"{path}: corrupt: the {table} table has no {column} column\n"
