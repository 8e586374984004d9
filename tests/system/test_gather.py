# test_gather.py: `covsettle gather` with the real coverage.py: combined
# data equals the union of the inputs, reports, fail-under, discovery,
# failures that leave every input intact, the lock and signals. The tests
# that write and combine run on each coverage.py of the matrix (`cov`),
# naming it with --coverage; those about finding coverage.py on PATH use
# Debian's (python3-coverage, 6.5), which is what PATH has.
import hashlib
import shutil
import json
import os
import re
import signal
import sqlite3
import subprocess
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from harness import (COVSETTLE, FIXTURES, HOST, LONG, PY, ROOT, Proc,
                      Writer, covsettle, datafile)
from harness import aged, digests, union

DEBOUNCE = "200ms"


def write(cdir, src, variant, *extra, python=PY):
    """One real coverage.py process (python's) writing a data file into
    cdir; returns its path (its final name, when coverage.py renamed it)."""
    r = subprocess.run([python, os.path.join(ROOT, "tests", "writer.py"),
                        str(cdir), "--branch", "--files", "3",
                        "--variant", str(variant), "--src-dir", str(src),
                        *extra], stdin=subprocess.DEVNULL,
                       capture_output=True, text=True, check=True)
    names = [l.split(" ", 1)[1] for l in r.stdout.splitlines()
             if l.startswith(("file ", "renamed "))]
    return names[-1]


def gather(cwd, *args, env=None, timeout=LONG, cov=None):
    """covsettle gather; with cov, on that coverage.py (--coverage)."""
    using = ["--coverage", cov.command] if cov else []
    return subprocess.run([COVSETTLE, "gather", "-d", DEBOUNCE, *using, *args],
                          capture_output=True, text=True, cwd=cwd,
                          env=env, timeout=timeout,
                          stdin=subprocess.DEVNULL)


def console_script(cov):
    """The coverage.py console script of cov, as a user runs it."""
    if cov.python == PY:
        return "python3-coverage"
    return os.path.join(os.path.dirname(cov.python), "coverage")


@pytest.fixture
def three(tmp_path, cov):
    """Three data files from three coverage.py processes."""
    cdir, src = tmp_path / "cov", tmp_path / "src"
    files = [write(cdir, src, v, python=cov.python) for v in (0, 1, 2)]
    return tmp_path, cdir, src, files


def test_combined_data_is_the_union_of_inputs(three, cov):
    tmp, cdir, src, files = three
    before = digests(cdir)
    r = gather(src, "--expect", "3", "--data-file", str(tmp / "all.cov"),
               str(cdir), cov=cov)
    assert r.returncode == 0, r.stderr
    assert union(tmp / "all.cov") == union(*files)
    assert digests(cdir) == before, "--keep is the default"
    assert "combined 3 data files" in r.stderr
    # DIR is left as it was found: no staging, no lock file.
    assert sorted(p.name for p in cdir.iterdir()) == sorted(
        os.path.basename(f) for f in files)


def test_every_report_is_written_and_parses(three, cov):
    tmp, cdir, src, files = three
    r = gather(src, "--expect", "3", "--report", "text",
               "--report", f"json={tmp}/c.json", "--report", f"xml={tmp}/c.xml",
               "--report", f"html={tmp}/html", "--report", f"lcov={tmp}/c.lcov",
               "--report", f"text={tmp}/c.txt", "--json", "--combine=coverage",
               str(cdir), cov=cov)
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    assert doc["exit"] == 0 and doc["inputs"] == 3
    report = json.load(open(tmp / "c.json"))
    assert doc["total_percent"] == pytest.approx(
        report["totals"]["percent_covered"], abs=0.01)
    assert ET.parse(tmp / "c.xml").getroot().tag == "coverage"
    assert (tmp / "html" / "index.html").exists()
    lcov = (tmp / "c.lcov").read_text()
    assert "SF:" in lcov and lcov.rstrip().endswith("end_of_record")
    assert "TOTAL" in (tmp / "c.txt").read_text()
    # With --json the text table goes to stderr, stdout stays JSON.
    assert "TOTAL" in r.stderr
    # combine, then every report from one coverage.py process
    assert [c["exit"] for c in doc["commands"]] == [0, 0]
    assert doc["commands"][0]["command"].startswith(f"{cov.command} combine ")


def test_text_report_goes_to_stdout(three, cov):
    tmp, cdir, src, files = three
    r = gather(src, "--expect", "3", "--report", "text", str(cdir), cov=cov)
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines()[0].startswith("Name")
    assert r.stdout.splitlines()[-1].startswith("TOTAL")


@pytest.fixture
def partial(tmp_path, cov):
    """One process that runs only some lines: total below 100%."""
    cdir, src = tmp_path / "cov", tmp_path / "src"
    write(cdir, src, 0, python=cov.python)
    return tmp_path, cdir, src


@pytest.fixture
def partial_debian(tmp_path):
    """partial, written by Debian's coverage.py, the one on PATH."""
    cdir, src = tmp_path / "cov", tmp_path / "src"
    write(cdir, src, 0)
    return tmp_path, cdir, src


def test_fail_under_above_total_exits_1(partial, cov):
    tmp, cdir, src = partial
    r = gather(src, "--fail-under", "99.5", "--json", str(cdir), cov=cov)
    assert r.returncode == 1, r.stderr
    doc = json.loads(r.stdout)
    total = doc["total_percent"]
    assert 0 < total < 99.5
    # As coverage.py's table shows it (no precision set: whole percent).
    assert f"total coverage {round(total)}% is below --fail-under 99.5" in r.stderr
    assert (src / ".coverage").exists(), "the combined data is kept"


@pytest.mark.parametrize("form", ["text", "markdown", "total"])
def test_total_percent_with_every_report_format(partial, cov, form):
    """[report] format = markdown or total (coverage.py 7.4 and later): the
    total is read from the table's TOTAL row, or is the whole output, as
    coverage.py's own report of the combined file gives it."""
    if tuple(map(int, cov.version.split(".")[:2])) < (7, 4):
        pytest.skip("[report] format = NAME is coverage.py 7.4 and later")
    tmp, cdir, src = partial
    rc = tmp / "rc.ini"
    rc.write_text(f"[report]\nformat = {form}\nprecision = 2\n")
    r = gather(src, "--rcfile", str(rc), "--report", "text", "--fail-under", "99.5",
               "--json", str(cdir), cov=cov)
    assert r.returncode == 1, r.stderr
    doc = json.loads(r.stdout)
    own = subprocess.run([*cov.cmd, "report", "--rcfile", str(rc), "--format=total",
                          "--data-file", str(src / ".coverage")], capture_output=True,
                         text=True, cwd=src, check=True).stdout.strip()
    assert doc["total_percent"] == pytest.approx(float(own), abs=0.005)
    assert 0 < doc["total_percent"] < 99.5
    assert f"total coverage {own}% is below --fail-under 99.5" in r.stderr


def test_fail_under_below_total_exits_0(partial, cov):
    tmp, cdir, src = partial
    r = gather(src, "--fail-under", "10", str(cdir), cov=cov)
    assert r.returncode == 0, r.stderr



def test_sigchld_ignored_at_start_still_reaps_children(partial, cov):
    # Started with SIGCHLD ignored, the kernel would reap the probe,
    # combine and the reports itself, and their status would be lost.
    tmp, cdir, src = partial
    r = subprocess.run([COVSETTLE, "gather", "-d", DEBOUNCE, "--report",
                        "text", "--coverage", cov.command, str(cdir)], capture_output=True, text=True,
                       cwd=src, timeout=LONG, stdin=subprocess.DEVNULL,
                       preexec_fn=lambda: signal.signal(signal.SIGCHLD,
                                                        signal.SIG_IGN))
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines()[-1].startswith("TOTAL")

def test_coverage_found_past_a_python3_without_it(partial_debian, tmp_path):
    tmp, cdir, src = partial_debian
    # A python3 without coverage.py, and a `coverage` that is something else.
    fake = fakebin(tmp_path / "fakebin",
                   python3="echo 'No module named coverage' >&2\nexit 1\n",
                   coverage="echo 'coverage 1.0 (a metric tool)'\n")
    env = dict(os.environ, PATH=f"{fake}:/usr/bin:/bin")
    env.pop("COVSETTLE_COVERAGE", None)
    r = gather(src, "--json", str(cdir), env=env)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["coverage"] == "python3-coverage"


def test_coverage_from_environment(partial, cov):
    tmp, cdir, src = partial
    env = dict(os.environ, COVSETTLE_COVERAGE=cov.command)
    r = gather(src, "--json", "--combine=coverage", str(cdir), env=env)
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    assert doc["coverage"] == cov.command
    assert doc["commands"][0]["command"].startswith(f"{cov.command} combine ")


def fakebin(d, **scripts):
    """Executables named by the keywords, each a /bin/sh script."""
    d.mkdir(exist_ok=True)
    for name, text in scripts.items():
        (d / name).write_text("#!/bin/sh\n" + text)
        (d / name).chmod(0o755)
    return d


@pytest.mark.parametrize("how", ["option", "env", "path", "option-runs",
                                 "path-runs"])
def test_coverage_missing_exits_5_before_waiting(tmp_path, how):
    # "-runs": the commands start, and their --version fails while the
    # wait goes on: gather must not wait for data that would never come.
    cdir = tmp_path / "cov"
    env = dict(os.environ)
    env.pop("COVSETTLE_COVERAGE", None)
    args = ["--timeout", "0", str(cdir)]  # would wait forever
    if how == "option":
        args = ["--coverage", "/nonexistent/coverage"] + args
        says = "'/nonexistent/coverage' (from --coverage) does not run"
    elif how == "option-runs":
        args = ["--coverage", f"{PY} -m no_such_module_here"] + args
        says = (f"'{PY} -m no_such_module_here' (from --coverage) does not"
                f" run: '{PY} -m no_such_module_here --version' failed")
    elif how == "env":
        env["COVSETTLE_COVERAGE"] = "/nonexistent/cov run"
        says = "(from $COVSETTLE_COVERAGE) does not run"
    else:
        env["PATH"] = str(tmp_path)
        if how == "path-runs":
            # Each of the three starts a process and fails.
            fake = fakebin(tmp_path / "fakebin",
                           python3="exit 1\n",
                           coverage="echo 'coverage 1.0 (a metric tool)'\n",
                           **{"python3-coverage": "sleep 0.2; exit 3\n"})
            env["PATH"] = f"{fake}:/bin"
        says = ("coverage.py not found: tried 'coverage', 'python3-coverage'"
                " and 'python3 -m coverage'")
    r = gather(tmp_path, *args, env=env, timeout=30)
    assert r.returncode == 5, r.stderr
    assert says in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1


def test_coverage_first_candidate_that_runs_wins(partial_debian, tmp_path):
    # `coverage` and `python3-coverage` both run: the first is used,
    # though the probe of the second would end sooner.
    tmp, cdir, src = partial_debian
    fake = fakebin(tmp_path / "fakebin",
                   coverage='[ "$1" = --version ] && sleep 0.3\n'
                            'exec python3-coverage "$@"\n')
    env = dict(os.environ, PATH=f"{fake}:/usr/bin:/bin")
    env.pop("COVSETTLE_COVERAGE", None)
    r = gather(src, "--json", str(cdir), env=env)
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    assert doc["coverage"] == "coverage"
    assert doc["commands"][0]["command"].startswith("coverage combine")



# coverage.py's console script, as pip writes it, whose --version waits
# until combine has started (a marker file), then passes or fails.
SLOW_PROBE = """#!/usr/bin/python3
import os, sys, time
marker = os.path.join(os.path.dirname(os.path.abspath(__file__)), "combined")
if sys.argv[1:] == ["--version"]:
    limit = time.monotonic() + 20
    while not os.path.exists(marker) and time.monotonic() < limit:
        time.sleep(0.01)
    if not os.path.exists(marker) or os.environ["PROBE"] == "fails":
        sys.exit(1)
else:
    open(marker, "a").close()
from coverage.cmdline import main
sys.exit(main())
"""


@pytest.mark.parametrize("probe", ["passes", "fails"])
def test_recognised_coverage_combines_while_its_probe_runs(partial_debian, tmp_path,
                                                          probe):
    # A `coverage` on PATH that is coverage.py's console script combines
    # before its --version has ended. If that then fails, the next
    # candidate found combines again, from the same inputs.
    tmp, cdir, src = partial_debian
    fake = tmp_path / "fakebin"
    fake.mkdir()
    (fake / "coverage").write_text(SLOW_PROBE)
    (fake / "coverage").chmod(0o755)
    env = dict(os.environ, PATH=f"{fake}:/usr/bin:/bin", PROBE=probe)
    env.pop("COVSETTLE_COVERAGE", None)
    r = gather(src, "--json", "--combine=coverage", str(cdir), env=env)
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    ran = [c["command"].split()[:2] for c in doc["commands"]]
    if probe == "passes":
        assert doc["coverage"] == "coverage"
        assert ran[0] == ["coverage", "combine"]
    else:
        assert doc["coverage"] == "python3-coverage"
        assert ran[:2] == [["coverage", "combine"],
                           ["python3-coverage", "combine"]]
    assert union(src / ".coverage") == union(*cdir.glob(".coverage.*"))

def test_named_coverage_that_fails_its_probe_after_combine(partial, tmp_path, cov):
    # A named command combines before its probe ends; a probe that then
    # fails still means exit 5, and nothing is written.
    tmp, cdir, src = partial
    slow = fakebin(tmp_path / "fakebin",
                   cov='[ "$1" = --version ] && { sleep 0.5; exit 1; }\n'
                       f'exec {cov.command} "$@"\n') / "cov"
    before = digests(cdir)
    r = gather(src, "--coverage", str(slow), "--report", "text",
               "--data-file", str(tmp / "out.cov"), str(cdir))
    assert r.returncode == 5, r.stderr
    assert f"'{slow}' (from --coverage) does not run" in r.stderr
    assert not (tmp / "out.cov").exists() and r.stdout == ""
    assert digests(cdir) == before
    assert not [p for p in cdir.iterdir() if p.name.startswith(".covsettle-gather")]


def test_failing_combine_leaves_inputs_intact(three, cov):
    tmp, cdir, src, files = three
    rc = tmp / "broken.rc"
    rc.write_text("[run\nbranch = True\n")
    before = digests(cdir)
    r = gather(src, "--expect", "3", "--no-keep", "--rcfile", str(rc),
               "--data-file", str(tmp / "out.cov"), str(cdir), cov=cov)
    assert r.returncode == 5, r.stderr
    assert "combine" in r.stderr and "exited with status" in r.stderr
    assert "untouched" in r.stderr
    assert digests(cdir) == before
    assert not (tmp / "out.cov").exists()
    assert not [p for p in cdir.iterdir() if p.name.startswith(".covsettle-gather")]


def test_long_failure_message_keeps_both_ends(tmp_path, cov):
    """A failed combine's message is cut in the middle of the command line
    when it would not fit: which command, how it ended, and that the inputs
    are safe all stay."""
    deep = tmp_path / ("d" * 120) / ("e" * 120)
    cdir, src = deep / "cov", tmp_path / "src"
    for v in (0, 1):
        write(cdir, src, v, python=cov.python)
    rc = deep / "broken.rc"
    rc.write_text("[run\nbranch = True\n")
    before = digests(cdir)
    r = gather(src, "--expect", "2", "--rcfile", str(rc), "--data-file",
               str(deep / "out.cov"), str(cdir), cov=cov)
    assert r.returncode == 5, r.stderr
    line = [ln for ln in r.stderr.splitlines() if "untouched" in ln][0]
    assert "coverage" in line and "..." in line, line
    assert re.search(r"exited with status \d+; the data files in \S+ are untouched$",
                     line), line
    assert digests(cdir) == before


def test_no_keep_deletes_inputs_only_after_success(three, cov):
    tmp, cdir, src, files = three
    expected = union(*files)
    r = gather(src, "--expect", "3", "--no-keep", "--data-file",
               str(tmp / "out.cov"), str(cdir), cov=cov)
    assert r.returncode == 0, r.stderr
    assert digests(cdir) == {}
    assert union(tmp / "out.cov") == expected
    assert covsettle("check", str(tmp / "out.cov")).returncode == 0


def test_invalid_file_stops_before_combining(tmp_path):
    cdir = tmp_path / "cov"
    cdir.mkdir()
    datafile(cdir, pid=1)
    datafile(cdir, f".coverage.{HOST}.999999999.123456", fixture="schema-only")
    before = digests(cdir)
    r = gather(tmp_path, "--expect", "2", str(cdir))
    assert r.returncode == 4, r.stderr
    assert "incomplete: no has_arcs in meta" in r.stderr
    assert not (tmp_path / ".coverage").exists()
    assert digests(cdir) == before


def test_quarantine_combines_the_rest(tmp_path, cov):
    cdir, src = tmp_path / "cov", tmp_path / "src"
    good = write(cdir, src, 1, python=cov.python)
    bad = datafile(cdir, f".coverage.{HOST}.999999999.123456",
                   fixture="truncated")
    r = gather(src, "--expect", "2", "--invalid=quarantine", "--data-file",
               str(tmp_path / "out.cov"), str(cdir), cov=cov)
    assert r.returncode == 0, r.stderr
    assert (cdir / "quarantine" / os.path.basename(bad)).exists()
    assert union(tmp_path / "out.cov") == union(good)


def test_paths_with_spaces_and_non_ascii(tmp_path, cov):
    cdir, src = tmp_path / "cov dir" / "dätä ünï", tmp_path / "src dir"
    files = [write(cdir, src, v, python=cov.python) for v in (0, 3)]
    out = tmp_path / "out dir" / "cömbïned data"
    out.parent.mkdir()
    r = gather(src, "--expect", "2", "--data-file", str(out),
               "--report", f"json={tmp_path}/out dir/rëport.json", str(cdir),
               cov=cov)
    assert r.returncode == 0, r.stderr
    assert union(out) == union(*files)
    assert json.load(open(tmp_path / "out dir" / "rëport.json"))["totals"]


def test_nothing_to_combine(tmp_path):
    r = gather(tmp_path, "--expect", "0", str(tmp_path / "cov"))
    assert r.returncode == 0, r.stderr
    assert "no data files in" in r.stderr
    r = gather(tmp_path, "--expect", "0", "--fail-under", "50",
               str(tmp_path / "cov"))
    assert r.returncode == 1


def test_two_gathers_on_one_directory(tmp_path, procs, cov):
    cdir, src = tmp_path / "cov", tmp_path / "src"
    first = write(cdir, src, 1, python=cov.python)
    a = Proc([COVSETTLE, "gather", "-v", "-d", DEBOUNCE, "--expect", "2",
              "--coverage", cov.command,
              "--data-file", str(tmp_path / "a.cov"), str(cdir)], cwd=src)
    procs.append(a)
    a.expect("watching")
    # A second one that must not wait fails at once, naming the holder.
    r = gather(src, "--no-wait-lock", str(cdir), timeout=30, cov=cov)
    assert r.returncode == 3
    assert f"another gather (pid {a.p.pid}) is running on" in r.stderr
    # A third waits for the first, then runs.
    c = Proc([COVSETTLE, "gather", "-d", DEBOUNCE, "--expect", "2",
              "--coverage", cov.command,
              "--data-file", str(tmp_path / "c.cov"), str(cdir)], cwd=src)
    procs.append(c)
    c.expect(f"waiting for the gather of pid {a.p.pid}")
    second = write(cdir, src, 2, python=cov.python)
    assert a.finish() == 0, a.err
    assert c.finish() == 0, c.err
    assert union(tmp_path / "a.cov") == union(first, second)
    assert union(tmp_path / "c.cov") == union(first, second)


def test_the_lock_holds_across_pid_namespaces(tmp_path, procs, cov):
    # DIR's lock is on DIR itself: a gather in another pid and mount
    # namespace (a container sharing DIR) sees it taken, and, since the
    # holder's pid means nothing there, says so instead of naming one.
    cdir, src = tmp_path / "cov", tmp_path / "src"
    write(cdir, src, 1, python=cov.python)
    a = Proc([COVSETTLE, "gather", "-v", "-d", DEBOUNCE, "--expect", "2",
              "--coverage", cov.command, "--data-file", str(tmp_path / "a.cov"),
              str(cdir)], cwd=src)
    procs.append(a)
    a.expect("watching")
    r = subprocess.run(["unshare", "--pid", "--fork", "--mount-proc", COVSETTLE,
                        "gather", "--no-wait-lock", "--coverage", cov.command,
                        str(cdir)], capture_output=True, text=True, cwd=src,
                       timeout=LONG, stdin=subprocess.DEVNULL)
    assert r.returncode == 3, r.stderr
    assert ("another gather (a pid not visible here) is running on "
            f"{cdir} (--no-wait-lock)") in r.stderr
    assert sorted(p.name for p in cdir.iterdir()) == sorted(
        p.name for p in cdir.iterdir() if p.name.startswith(".coverage."))


def test_many_files_make_a_handful_of_lines(tmp_path, cov):
    # gather's default output names 5 of 30 data files, then counts; -v
    # names every one.
    cdir = tmp_path / "cov"
    cdir.mkdir()
    for i in range(1, 31):
        datafile(cdir, pid=i)
    r = gather(tmp_path, "--expect", "30", "--data-file", str(tmp_path / "a.cov"),
               str(cdir), cov=cov)
    assert r.returncode == 0, r.stderr
    assert r.stderr.count("covsettle: data file: ") == 5, r.stderr
    assert "covsettle: 24 data files found so far, 30 expected" in r.stderr
    assert "combined 30 data files" in r.stderr
    r = gather(tmp_path, "-v", "--expect", "30", "--data-file",
               str(tmp_path / "b.cov"), str(cdir), cov=cov)
    assert r.returncode == 0, r.stderr
    assert r.stderr.count("covsettle: data file: ") == 30, r.stderr


def test_sigterm_during_combine_stops_it_and_keeps_inputs(three, procs, cov):
    tmp, cdir, src, files = three
    marker = tmp / "combine.pid"
    wrapper = tmp / "slowcov"
    wrapper.write_text(
        "#!/bin/sh\n"
        "# coverage.py, but combine blocks until it is signalled.\n"
        f'if [ "$1" = combine ]; then echo $$ > "{marker}"; exec sleep 300; fi\n'
        f'exec {cov.command} "$@"\n')
    wrapper.chmod(0o755)
    before = digests(cdir)
    p = Proc([COVSETTLE, "gather", "-d", DEBOUNCE, "--expect", "3",
              "--no-keep", "--coverage", str(wrapper), str(cdir)], cwd=src)
    procs.append(p)
    while not (marker.exists() and marker.read_text().strip()):
        p.running_after(0.05)  # the wrapper writes the marker: no event
    child = int(marker.read_text())
    os.kill(p.p.pid, signal.SIGTERM)
    assert p.finish() == 143, p.err
    assert "stopped by signal 15" in p.err and "untouched" in p.err
    with pytest.raises(ProcessLookupError):
        os.killpg(child, 0)
    assert digests(cdir) == before
    assert not [q for q in cdir.iterdir() if q.name.startswith(".covsettle-gather")]


def test_json_when_gather_ends_before_the_wait(tmp_path, procs):
    # No coverage.py, or the lock held: still one JSON object, no crash.
    cdir = tmp_path / "cov"
    env = dict(os.environ, PATH=str(tmp_path))
    env.pop("COVSETTLE_COVERAGE", None)
    r = gather(tmp_path, "--json", str(cdir), env=env, timeout=30)
    assert r.returncode == 5, r.stderr
    doc = json.loads(r.stdout)
    assert doc["exit"] == 5 and doc["status"] == "error"
    assert doc["message"].startswith("coverage.py not found")
    assert doc["files"] == [] and doc["commands"] == []
    cdir.mkdir()
    holder = Proc(["flock", str(cdir), "sh", "-c",
                   "echo locked; exec sleep 300"])
    procs.append(holder)
    holder.expect("^locked$", "out")
    r = gather(tmp_path, "--json", "--no-wait-lock", str(cdir), timeout=30)
    assert r.returncode == 3, r.stderr
    doc = json.loads(r.stdout)
    assert doc["status"] == "timeout" and "--no-wait-lock" in doc["message"]


# ---- the reports from one coverage.py process, or one command each ----

WRAPPER = '#!/bin/sh\nexec python3-coverage "$@"\n'
NORMALIZE = [(r'timestamp="\d+"', 'timestamp=""'),
             (r'"timestamp": "[^"]*"', '"timestamp": ""'),
             (r'"globals":"[0-9a-f]+"', '"globals":""'),
             (r'created at [0-9-]+ [0-9:]+ [+-]\d+', 'created at')]


def tree(d):
    """Every file under d, its text with timestamps blanked."""
    import re
    files = {}
    for p in sorted(d.rglob("*")):
        if p.is_file():
            text = p.read_text(errors="replace")
            for rx, to in NORMALIZE:
                text = re.sub(rx, to, text)
            files[str(p.relative_to(d))] = text
    return files


REPORTS = ["--report", "json=out/c.json", "--report", "xml=out/c.xml",
           "--report", "html=out/html", "--report", "lcov=out/c.lcov",
           "--report", "text=out/c.txt", "--report", "text"]


@pytest.fixture
def commands(partial, cov):
    tmp, cdir, src = partial
    wrapper = tmp / "wrapper"
    wrapper.write_text(WRAPPER.replace("python3-coverage", console_script(cov)))
    wrapper.chmod(0o755)
    return {"console-script": (console_script(cov), True),
            "python-m": (cov.command, True),
            "shell-wrapper": (str(wrapper), False)}


def by_hand(src, cdir, out, *rc, cov):
    """coverage.py run as a user would: combine, then each report."""
    def cov_run(*args):
        return subprocess.run([console_script(cov), *args, *rc],
                              capture_output=True, text=True, cwd=src)
    data = "--data-file=" + str(out.parent / "hand.cov")
    ins = out.parent / "hand-in"
    ins.mkdir()
    for i, f in enumerate(sorted(cdir.glob(".coverage.*"))):
        os.link(f, ins / f"hand.cov.{i}")
    assert cov_run("combine", "--keep", "-q", data, str(ins)).returncode == 0
    text = cov_run("report", data, "--fail-under=90")
    stdout = ""
    for sub, flag, path in (("json", "-o", "c.json"), ("xml", "-o", "c.xml"),
                            ("html", "-d", "html"), ("lcov", "-o", "c.lcov")):
        r = cov_run(sub, data, flag, f"out/{path}")
        assert r.returncode == 0, r.stderr
        stdout += r.stdout
    (src / "out" / "c.txt").write_text(text.stdout)
    os.rename(src / "out", out)
    return text.returncode, stdout + text.stdout


def test_reports_in_one_process_are_as_by_hand(partial, commands, cov):
    # The same files, stdout, stderr, exit status and total, whichever
    # path gather takes, as coverage.py run by hand.
    tmp, cdir, src = partial
    code, stdout = by_hand(src, cdir, tmp / "out-hand", cov=cov)
    assert code == 2  # below --fail-under 90
    expected = tree(tmp / "out-hand")
    for name, (command, together) in commands.items():
        (src / "out").mkdir()  # for text=out/c.txt, written first
        r = gather(src, "--coverage", command, "--fail-under", "90",
                   *REPORTS, str(cdir))
        assert r.returncode == 1, (name, r.stderr)
        assert r.stdout == stdout, name
        assert "\nCoverage failure: total of " in r.stdout
        os.rename(src / "out", tmp / f"out-{name}")
        assert tree(tmp / f"out-{name}") == expected, name
        (src / "out").mkdir()
        j = gather(src, "--coverage", command, "--json", *REPORTS, str(cdir))
        assert j.returncode == 0, j.stderr
        doc = json.loads(j.stdout)
        # As the text table shows it, on every path.
        total = [l for l in stdout.splitlines() if l.startswith("TOTAL")]
        assert doc["total_percent"] == float(total[0].split()[-1][:-1])
        ran = [c["command"] for c in doc["commands"]]
        # A Python's coverage.py is asked, and combines natively.
        native = doc["combine"]["method"] == "native"
        assert native == together, (name, doc["combine"])
        if together:
            assert len(ran) == 1 and " -c '<covsettle-reports>' " in ran[0]
        else:
            assert [c.split()[1] for c in ran] == [
                "combine", "report", "json", "xml", "html", "lcov"]
        shutil.rmtree(src / "out")


@pytest.mark.parametrize("fault", ["no-data", "unwritable"])
def test_report_error_is_named_on_both_paths(partial, commands, fault):
    tmp, cdir, src = partial
    args = ["--report", "text", "--report", "xml=out/c.xml"]
    if fault == "no-data":
        rc = tmp / "omit.rc"
        rc.write_text("[report]\nomit = *\n")
        args += ["--rcfile", str(rc)]
        sub, report = "report", "text"
    else:
        args += ["--report", "json=prog.py/c.json"]  # under a file
        sub, report = "json", "json"
    (src / "prog.py").write_text("")
    for name, (command, together) in commands.items():
        r = gather(src, "--coverage", command, *args, str(cdir))
        assert r.returncode == 5, (name, r.stderr)
        last = r.stderr.strip().splitlines()[-1]
        assert "(all reports in one coverage.py process)" in last or not together
        assert f"{command} {sub} --data-file=" in last, last
        if together:
            assert f"the {report} report failed: " in last
        if fault == "no-data":  # coverage.py's reason, from its stdout
            assert ": No data to report; the data files in" in last, last
        if fault == "unwritable":
            assert "FileExistsError" in r.stderr

    # A text=PATH that cannot be written (under a file): exit 7 before
    # any other report, on both.
    for name, (command, together) in commands.items():
        r = gather(src, "--coverage", command, "--report",
                   "text=prog.py/t.txt", "--report", "json=new/c.json",
                   str(cdir))
        assert r.returncode == 7, (name, r.stderr)
        assert "cannot write prog.py/t.txt: Not a directory" in r.stderr
        assert not (src / "new").exists()
        assert not [p for p in cdir.iterdir()
                    if p.name.startswith(".covsettle-gather")]


@pytest.mark.parametrize("threads", ["1", "4"])
def test_many_inputs_combine_exactly(tmp_path, threads, cov):
    cdir, src = tmp_path / "cov", tmp_path / "src"
    files = [write(cdir, src, v, python=cov.python) for v in (0, 1)]
    for k in range(150):
        for i, f in enumerate(files):
            datafile(cdir, f".coverage.otherhost.{1000 * i + k}.123456",
                     fixture=os.path.abspath(f))
    env = dict(os.environ, COVSETTLE_THREADS=threads)
    r = gather(src, "--expect", "302", "--json", "--data-file",
               str(tmp_path / "out.cov"), str(cdir), env=env, cov=cov)
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    assert doc["inputs"] == 302
    assert {f["verdict"] for f in doc["files"]} == {"ok"}
    assert union(tmp_path / "out.cov") == union(*files)


def test_dir_given_as_a_symlink_to_a_directory(three, cov):
    tmp, cdir, src, files = three
    os.symlink(cdir, tmp / "link1")
    r = gather(src, "--expect", "3", "--data-file", str(tmp / "all.cov"),
               str(tmp / "link1"), cov=cov)
    assert r.returncode == 0, r.stderr
    assert union(tmp / "all.cov") == union(*files)
    assert os.path.islink(tmp / "link1")


@pytest.mark.parametrize("fault,code", [("rcfile", 5), ("false", 5),
                                        ("report-under-a-file", 5),
                                        ("data-file", 7)])
def test_json_names_a_failure_after_the_wait(three, cov, fault, code):
    # The wait settled, then gather failed: --json says "error" and why,
    # the same words as the last line on stderr.
    tmp, cdir, src, files = three
    args = ["--expect", "3", "--json"]
    if fault == "rcfile":
        (tmp / "broken.rc").write_text("[run\nbranch = True\n")
        args += ["--rcfile", str(tmp / "broken.rc")]
    elif fault == "false":
        # Its --version fails after the wait has settled (old files);
        # this --coverage, the last, is the one used.
        slow = fakebin(tmp / "fakebin", cov="sleep 1; exit 1\n") / "cov"
        args += ["--coverage", str(slow)]
        old = time.time() - 3600
        for f in files:
            os.utime(f, (old, old))
    elif fault == "report-under-a-file":
        (src / "prog.py").write_text("")
        args += ["--report", "json=prog.py/c.json"]
    else:
        args += ["--data-file", str(tmp / "no" / "such" / "dir" / ".coverage")]
        (tmp / "no").write_text("a file, not a directory")
    r = gather(src, *args, str(cdir), cov=cov)
    assert r.returncode == code, r.stderr
    doc = json.loads(r.stdout)
    assert doc["exit"] == code and doc["status"] == "error", doc
    last = r.stderr.strip().splitlines()[-1]
    assert doc["message"] and last.startswith("covsettle: " + doc["message"])


def test_json_alone_runs_no_report(tmp_path, cov):
    # A fan-in machine: the data files come from elsewhere, the sources are
    # not here. --json must not add a text report that would fail there.
    cdir, src = tmp_path / "cov", tmp_path / "src"
    files = [write(cdir, src, v, python=cov.python) for v in (0, 1)]
    shutil.rmtree(src)
    r = gather(tmp_path, "--expect", "2", "--json", str(cdir), cov=cov)
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    assert doc["status"] == "settled" and doc["total_percent"] is None
    # No report ran: only coverage.py's combine, or none when it was native.
    combines = [] if doc["combine"]["method"] == "native" else [True]
    assert [c["command"].startswith(f"{cov.command} combine ")
            for c in doc["commands"]] == combines
    assert union(tmp_path / ".coverage") == union(*files)


def test_every_report_creates_its_missing_directory(partial, cov):
    # text=PATH as xml=, json=, html= and lcov= do: the directories above
    # PATH are made, on both ways of running the reports.
    tmp, cdir, src = partial
    wrapper = fakebin(tmp / "fakebin",
                      wrapper=f'exec {cov.command} "$@"\n') / "wrapper"
    for command in (cov.command, str(wrapper)):
        out = tmp / command.split()[0].replace("/", "_") / "a" / "b"
        reports = {"text": "t.txt", "json": "c.json", "xml": "c.xml",
                   "html": "html", "lcov": "c.lcov"}
        args = []
        for fmt, name in reports.items():
            args += ["--report", f"{fmt}={out}/{fmt}/{name}"]
        r = gather(src, "--coverage", command, *args, str(cdir))
        assert r.returncode == 0, (command, r.stderr)
        for fmt, name in reports.items():
            assert (out / fmt / name).exists(), (command, fmt)
        assert "TOTAL" in (out / "text" / "t.txt").read_text()


@pytest.mark.parametrize("how", ["option", "path"])
def test_timeout_bounds_the_search_for_coverage(partial_debian, tmp_path,
                                               how):
    # A coverage command whose --version never answers: once -T has
    # passed, exit 5 naming it, its process stopped, nothing written.
    tmp, cdir, src = partial_debian
    pidfile = tmp_path / "probe.pid"
    fake = fakebin(tmp_path / "fakebin",
                   coverage=f'[ "$1" = --version ] && {{ echo $$ > "{pidfile}";'
                            ' exec sleep 300; }\n'
                            'exec python3-coverage "$@"\n')
    env = dict(os.environ, PATH=f"{fake}:/usr/bin:/bin")
    env.pop("COVSETTLE_COVERAGE", None)
    args = ["-T", "2s", "--report", "text", str(cdir)]
    if how == "option":
        args = ["--coverage", str(fake / "coverage")] + args
        named = str(fake / "coverage")
    else:
        named = "coverage"
    before = digests(cdir)
    r = gather(src, *args, env=env, timeout=30)
    assert r.returncode == 5, r.stderr
    last = r.stderr.strip().splitlines()[-1]
    assert f"'{named} --version' did not answer within --timeout" in last
    assert not (src / ".coverage").exists() and r.stdout == ""
    assert digests(cdir) == before
    with pytest.raises(ProcessLookupError):
        os.kill(int(pidfile.read_text()), 0)


PROGRAM = """\
import sys


def work(n):
    if n % 2:
        return "odd"
    return "even"


print(work(int(sys.argv[1])))
"""


def measured_setup(tmp_path):
    """DIR, the sources, and a directory for a sitecustomize: a program and
    its data files as a server's setup makes them."""
    cdir, src, site = tmp_path / "cov", tmp_path / "src", tmp_path / "site"
    for d in (cdir, src, site):
        d.mkdir()
    (src / "prog.py").write_text(PROGRAM)
    rc = tmp_path / "measure.rc"
    rc.write_text(f"[run]\nparallel = true\nbranch = true\n"
                  f"data_file = {cdir}/.coverage\n")
    env = dict(os.environ)
    for var in ("COVSETTLE_COVERAGE", "COVERAGE_PROCESS_START",
                "COVERAGE_PROCESS_CONFIG"):
        env.pop(var, None)
    return cdir, src, site, rc, env


def worker(python, cdir, src, env, n):
    """A measured process of the setup: the data file it wrote."""
    before = set(cdir.glob(".coverage.*"))
    subprocess.run([python, "prog.py", str(n)], cwd=src, env=env,
                   check=True, capture_output=True)
    return set(cdir.glob(".coverage.*")) - before


def covsettle_measured_nothing(tmp, cdir, src, env, inputs, cov=None):
    """gather in the measuring environment: no stray data file appears,
    and the combined data is the union of the inputs."""
    r = gather(src, "--expect", str(len(inputs)), "--report", "text",
               "--report", f"json={tmp}/c.json",
               "--data-file", str(tmp / "out.cov"), str(cdir), env=env,
               cov=cov)
    assert r.returncode == 0, r.stderr
    assert set(cdir.glob(".coverage.*")) == inputs, "a stray data file"
    assert union(tmp / "out.cov") == union(*inputs)
    assert "prog.py" in r.stdout
    assert f"combined {len(inputs)} data files" in r.stderr


def test_measuring_environment_does_not_measure_covsettle_children(
        tmp_path, cov):
    # The server's setup exported: every Python started with it measures
    # itself and writes a data file into DIR (through a sitecustomize, or
    # the .pth of coverage.py installed by pip). covsettle's own coverage.py
    # processes (the search, combine, the reports) must not: no stray data
    # file appears, and none is counted or combined.
    cdir, src, site, rc, env = measured_setup(tmp_path)
    (site / "sitecustomize.py").write_text(
        "import coverage\ncoverage.process_startup()\n")
    env.update(COVERAGE_PROCESS_START=str(rc), PYTHONPATH=str(site))
    inputs = set()
    for n in (1, 2):
        inputs |= worker(cov.python, cdir, src, env, n)
    assert len(inputs) == 2, inputs
    covsettle_measured_nothing(tmp_path, cdir, src, env, inputs, cov=cov)


def test_pytest_cov_environment_does_not_measure_covsettle_children(
        tmp_path):
    # pytest-cov's subprocess support (Debian's python3-pytest-cov): its
    # .pth starts coverage.py in every Python with COV_CORE_SOURCE set.
    cdir, src, site, rc, env = measured_setup(tmp_path)
    env.update(COV_CORE_SOURCE=os.pathsep, COV_CORE_CONFIG=os.pathsep,
               COV_CORE_DATAFILE=f"{cdir}/.coverage",
               COV_CORE_BRANCH="enabled")
    inputs = set()
    for n in (1, 2):
        inputs |= worker(PY, cdir, src, env, n)
    assert len(inputs) == 2, inputs
    covsettle_measured_nothing(tmp_path, cdir, src, env, inputs)


def test_data_file_of_covsettles_own_search_is_never_counted(tmp_path, procs,
                                                            cov):
    # A Python that measures itself whatever its environment (a
    # sitecustomize that sets COVERAGE_PROCESS_START itself): the search's
    # `--version` writes a data file into DIR during the wait. It is not
    # one of DIR's data files: never counted, never combined.
    cdir, src, site, rc, env = measured_setup(tmp_path)
    (site / "sitecustomize.py").write_text(
        "import os\n"
        f"os.environ['COVERAGE_PROCESS_START'] = {str(rc)!r}\n"
        "import coverage\ncoverage.process_startup()\n")
    env["PYTHONPATH"] = str(site)
    real = worker(cov.python, cdir, src, env, 1)
    real |= worker(cov.python, cdir, src, env, 2)
    g = Proc([COVSETTLE, "gather", "-d", DEBOUNCE, "--expect", "3", "--json",
              "--coverage", cov.command, "--data-file",
              str(tmp_path / "out.cov"), str(cdir)], cwd=src, env=env)
    procs.append(g)
    # The search's own data file appears: the --version has ended.
    deadline = time.monotonic() + LONG
    while not set(cdir.glob(".coverage.*")) - real:
        assert time.monotonic() < deadline, "the search wrote no data file"
        assert g.running_after(0.05), g.err
    assert g.running_after(1.0), "settled on covsettle's own data file"
    real |= worker(cov.python, cdir, src, env, 3)
    assert g.finish() == 0, g.err
    doc = json.loads(g.out)
    assert sorted(f["name"] for f in doc["files"]) == sorted(
        p.name for p in real)
    assert doc["inputs"] == 3
    assert union(tmp_path / "out.cov") == union(*real)


@pytest.mark.parametrize("how", ["complete", "mid-save"])
def test_data_file_named_with_a_pid_of_covsettles_own_child_is_counted(
        tmp_path, procs, cov, how):
    # covsettle in a PID namespace of its own with this host's name (a
    # container with host networking): its children (the search's
    # `--version`, the early question) go by 2, 3, ... there, and so can
    # writers in other PID namespaces. Their data files, there before
    # covsettle started its children, are the writers', never covsettle's
    # own, and its children are not their writers: counted and combined,
    # none lost. mid-save: the file named with pid 2 is still being
    # written by a coverage.py outside when gather starts.
    cdir, src = tmp_path / "cov", tmp_path / "src"
    name = re.compile(r"^(\.coverage\..+\.(?:pid)?)(\d+)"
                      r"(\.(?:\d{6}|X\w{6}x)(?:\.H\w+h)?)$")
    inputs = []
    if how == "mid-save":
        w = Writer(str(cdir), "--pause-at", "between-transactions",
                   "--branch", "--files", "3", "--variant", "9",
                   "--suffix", f"{HOST}.2.123456", "--src-dir", str(src),
                   python=cov.python)
        procs.append(w)
        w.paused("between-transactions")
    for pid in (2, 3, 4, 5)[how == "mid-save":]:
        path = Path(write(cdir, src, pid, python=cov.python))
        m = name.match(path.name)
        assert m and m.group(1).startswith(f".coverage.{HOST}."), path.name
        inputs.append(path.rename(cdir / (m.group(1) + str(pid) +
                                          m.group(3))))
    out = tmp_path / "out.cov"
    g = Proc(["unshare", "--pid", "--fork", "--mount-proc", COVSETTLE,
              "gather", "-d", DEBOUNCE, "-T", "30s", "--json", "--expect", "4",
              "--coverage", cov.command, "--data-file", str(out),
              str(cdir)], cwd=src)
    procs.append(g)
    if how == "mid-save":
        # Held (the save is cut in two), never dropped nor combined.
        assert g.running_after(2.0), g.err
        w.go()
        w.saved()
        assert w.finish() == 0, w.err
        assert f".{HOST}.2." in w.name, w.name
        inputs.append(Path(w.path))
    assert g.finish() == 0, g.err
    doc = json.loads(g.out)
    assert sorted(f["name"] for f in doc["files"]) == sorted(
        p.name for p in inputs)
    assert doc["inputs"] == 4
    assert union(out) == union(*inputs)


def test_symlink_data_file_in_dir_is_combined_as_check_and_wait_accept(
        three, cov):
    # A symlink to a data file of the same directory passes check and
    # wait (its target is what is checked): gather combines what it points
    # to, and leaves the link and its target as they were.
    tmp, cdir, src, files = three
    os.rename(files[2], cdir / "web.sqlite")
    os.symlink("web.sqlite", cdir / ".coverage.otherhost.77.777777")
    inputs = [files[0], files[1], cdir / "web.sqlite"]
    before = digests(cdir)
    r = covsettle("check", str(cdir))
    assert r.returncode == 0, r.stdout + r.stderr
    r = covsettle("wait", "-d", DEBOUNCE, "--expect", "3", str(cdir))
    assert r.returncode == 0, r.stderr
    r = gather(src, "--expect", "3", "--json", "--data-file",
               str(tmp / "all.cov"), str(cdir), cov=cov)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["inputs"] == 3
    assert union(tmp / "all.cov") == union(*inputs)
    assert digests(cdir) == before
    assert os.readlink(cdir / ".coverage.otherhost.77.777777") == "web.sqlite"


# A sitecustomize.py that runs $HOOK_ACT (sh, the staging directory as
# $1) in the interpreter that answers choice.c's question (HOOK_AT=ask)
# or in coverage.py's combine (HOOK_AT=combine): a moment inside gather.
# "ask": when the native combine's question to coverage.py (a -c program,
# started during the wait) reads the staged inputs' directory from its
# stdin, after staging and before the native combine.
HOOK = """\
import os, subprocess, sys
at, argv = os.environ.get("HOOK_AT"), sys.argv
def act(where):
    subprocess.run(["/bin/sh", "-c", os.environ["HOOK_ACT"], "sh", where])
class Read:
    def __init__(self, real):
        self.real = real
    def read(self, *n):
        data = self.real.read(*n)
        if data.split(b"\\0")[0].endswith(b"/in"):
            act(os.fsdecode(data.split(b"\\0")[0]))
        return data
    def read1(self, *n):
        data = self.real.read1(*n)
        if data.split(b"\\0")[0].endswith(b"/in"):
            act(os.fsdecode(data.split(b"\\0")[0]))
        return data
class Stdin:
    def __init__(self, real):
        self.buffer = Read(real.buffer)
if at == "ask" and argv[0] == "-c":
    sys.stdin = Stdin(sys.stdin)
if at == "combine" and argv[1:2] == ["combine"]:
    # the staged inputs' directory, or (before 7.4.4) its files one by one
    act(argv[-1] if os.path.isdir(argv[-1]) else os.path.dirname(argv[-1]))
"""
# An rcfile whose debug option makes the native combine decline (auto):
# "pid" only marks debug output, and none is written.
DECLINE_RC = "[run]\ndebug = pid\n"


def hooked(tmp, at, act):
    """The environment of a gather that runs act at `at` (HOOK)."""
    (tmp / "hook").mkdir(exist_ok=True)
    (tmp / "hook" / "sitecustomize.py").write_text(HOOK)
    return dict(os.environ, PYTHONPATH=str(tmp / "hook"), HOOK_AT=at,
                HOOK_ACT=act)


@pytest.mark.parametrize("combine", ["native", "auto", "coverage"])
@pytest.mark.parametrize("change", ["truncate", "replace"])
def test_input_changed_while_combine_runs(three, cov, change, combine):
    # A writer covsettle did not see changes an input while it is combined
    # (natively; by coverage.py after the native combine declined, for
    # debug output; by coverage.py as asked): exit 4 naming it, nothing written,
    # and nothing ever writes into the user's file.
    tmp, cdir, src, files = three
    victim = files[1]
    if change == "truncate":
        act = f': > "{victim}"'
    else:
        act = f'cp "{files[0]}" "{victim}.new" && mv "{victim}.new" "{victim}"'
    env = hooked(tmp, "ask" if combine == "native" else "combine", act)
    rc = tmp / "gather.rc"
    rc.write_text(DECLINE_RC if combine == "auto" else "[run]\n")
    r = gather(src, "--expect", "3", "--no-keep", f"--combine={combine}",
               f"--rcfile={rc}", "--report", "text", "--data-file",
               str(tmp / "out.cov"), str(cdir), env=env, cov=cov)
    assert r.returncode == 4, r.stderr
    last = r.stderr.strip().splitlines()[-1]
    assert f"{os.path.basename(victim)} changed" in last, last
    # Which combine it was, as it was.
    assert ("during the native combine" in last) == (combine == "native"), last
    assert ("while coverage.py combined" in last) == (combine != "native"), last
    assert not (tmp / "out.cov").exists() and r.stdout == ""
    if change == "truncate":
        assert os.path.getsize(victim) == 0, "something wrote into it"
    assert sorted(cdir.glob(".coverage.*")) == sorted(map(Path, files))
    assert not [p for p in cdir.iterdir()
                if p.name.startswith(".covsettle-gather")]


def test_coverage_combines_links_when_native_declines(three, cov):
    # Debug output: the native combine declines and coverage.py combines.
    # 7.17 opens its inputs read-only: it reads the users' files through
    # the staged hard links, no copy, but a WAL-mode input, whose header
    # a journal_mode=off would rewrite, is given as a copy. Earlier
    # versions open them read-write, and write a schema into a file they
    # find empty (truncated by a writer covsettle did not see): copies,
    # each its own inode with one link. The users' files are left as they
    # were, one link each.
    tmp, cdir, src, files = three
    con = sqlite3.connect(files[2])
    assert con.execute("pragma journal_mode=wal").fetchone()[0] == "wal"
    con.close()
    assert not os.path.exists(files[2] + "-wal")
    rc = tmp / "paths.rc"
    rc.write_text(DECLINE_RC)
    log = tmp / "staged.log"
    env = hooked(tmp, "combine", f'stat -c "%i %h %n" "$1"/* > "{log}"')
    before = digests(cdir)
    users = [os.stat(f).st_ino for f in files]
    r = gather(src, "--expect", "3", "--json", f"--rcfile={rc}",
               "--data-file", str(tmp / "all.cov"), str(cdir), env=env,
               cov=cov)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["combine"]["method"] == "coverage"
    staged = [line.split(" ", 2) for line in log.read_text().splitlines()]
    assert sorted(os.path.basename(n) for _, _, n in staged) == [
        "combined.0", "combined.1", "combined.2"]
    inodes = {int(ino): links for ino, links, _ in staged}
    if cov.version.startswith("7.17"):
        assert inodes.get(users[0]) == inodes.get(users[1]) == "2", staged
        assert users[2] not in inodes and sorted(inodes.values()) == ["1", "2", "2"]
    else:
        assert not set(users) & set(inodes) and list(inodes.values()) == ["1"] * 3
    assert digests(cdir) == before
    assert [os.stat(f).st_nlink for f in files] == [1, 1, 1]
    assert union(tmp / "all.cov") == union(*files)


def gather_from_removed_cwd(tmp, *args, cov=None):
    """covsettle gather started in a working directory that was removed
    (as an application's hook that deletes it leaves its shell)."""
    gone = tmp / "gone"
    gone.mkdir()
    using = ["--coverage", cov.command] if cov else []
    return subprocess.run(
        ["sh", "-c", 'cd "$1" && rmdir "$1" && shift && exec "$@"', "sh", str(gone),
         COVSETTLE, "gather", "-d", DEBOUNCE, *using, *args],
        capture_output=True, text=True, timeout=LONG, stdin=subprocess.DEVNULL)


def test_removed_working_directory_with_absolute_paths(three, cov):
    """A removed working directory is no missing coverage.py: with every
    path absolute, gather combines and reports as from anywhere."""
    tmp, cdir, src, files = three
    out, html = tmp / "all.cov", tmp / "html"
    r = gather_from_removed_cwd(tmp, "--expect", "3", "--data-file", str(out),
                                "--report", f"html={html}", "--json", str(cdir), cov=cov)
    assert r.returncode == 0, r.stderr
    assert "the working directory was removed" in r.stderr
    assert union(out) == union(*files)
    assert (html / "index.html").exists()


@pytest.mark.parametrize("named", [False, True], ids=["found", "named"])
def test_removed_working_directory_is_named(three, named):
    """A relative path with a removed working directory: the cause named,
    not "coverage.py not found" or a bare "--version failed"."""
    tmp, cdir, src, files = three
    before = digests(cdir)
    args = ["--coverage", "python3-coverage"] if named else []
    r = gather_from_removed_cwd(tmp, *args, "--expect", "3", "--json", str(cdir))
    assert r.returncode == 7, r.stderr
    last = r.stderr.strip().splitlines()[-1]
    assert last == ("covsettle: the working directory was removed, and --data-file "
                    "'.coverage' is relative to it (coverage.py cannot start there "
                    "either): run from a directory that exists, or give absolute paths")
    assert "not found" not in r.stderr and "--version" not in r.stderr
    assert json.loads(r.stdout)["message"] == last[len("covsettle: "):]
    assert digests(cdir) == before


def test_named_command_that_fails_says_why(three):
    """A named coverage command whose --version fails: its own last line
    (Python's reason) is in the message."""
    tmp, cdir, src, files = three
    r = gather(src, "--coverage", f"{PY} -m covsettle_no_such_module", "--expect", "3",
               str(cdir))
    assert r.returncode == 5, r.stderr
    last = r.stderr.strip().splitlines()[-1]
    assert "--version' failed: " in last and "No module named covsettle_no_such_module" in last


@pytest.mark.parametrize("at,combine", [("ask", "auto"), ("ask", "native"),
                                        ("combine", "coverage")])
def test_directory_made_again_during_the_gather_is_waited_for(tmp_path, cov, at, combine):
    """gather started right after a restart whose hook removes DIR and makes
    it again: it settled at once on the previous run's files, which are
    deleted while it combines (while coverage.py is asked, or combines).
    That is no input that changed: gather says what happened, waits again,
    and combines what the new workers write; the lost lock file is said."""
    cdir, src = tmp_path / "cov", tmp_path / "src"
    for v in (0, 1):
        aged(write(cdir, src, v, python=cov.python))
    new = [write(tmp_path / "new", src, v, python=cov.python) for v in (2, 0)]
    fired = tmp_path / "fired"
    act = (f'if [ ! -e "{fired}" ]; then touch "{fired}"; rm -rf "{cdir}" && '
           f'mkdir "{cdir}" && for f in "{tmp_path}"/new/.coverage.*; do '
           f'cp "$f" "{cdir}/x" && mv "{cdir}/x" "{cdir}/${{f##*/}}"; done; fi')
    env = hooked(tmp_path, at, act)
    out = tmp_path / "all.cov"
    r = gather(src, "--expect", "2", "-T", "30s", "--json", f"--combine={combine}",
               "--data-file", str(out), str(cdir), env=env, cov=cov)
    assert fired.exists()
    assert r.returncode == 0, r.stderr
    assert (f"warning: 2 of the 2 data files that settled in {cdir} were deleted before "
            "they were combined, with the directory's other contents (removed, or "
            "emptied); waiting again") in r.stderr
    assert "changed" not in r.stderr and "exited with status" not in r.stdout
    doc = json.loads(r.stdout)
    assert doc["status"] == "settled" and doc["message"] is None
    assert sorted(f["name"] for f in doc["files"]) == sorted(os.path.basename(f) for f in new)
    assert union(out) == union(*new)
    assert doc["lock_lost"] is True
    assert f"the lock on {cdir} was lost during the gather" in r.stderr


@pytest.mark.parametrize("combine", ["auto", "coverage"])
def test_inputs_written_in_the_wait_and_deleted_before_the_combine_fail(tmp_path, cov,
                                                                       combine):
    """The same hook, but the files it deletes were written just now: they
    are the coverage waited for, not old data. gather names them and exits
    4 (no waiting again for what is lost), leaving DIR's new files alone."""
    cdir, src = tmp_path / "cov", tmp_path / "src"
    olds = [os.path.basename(write(cdir, src, v, python=cov.python)) for v in (0, 1)]
    for name in olds:  # written now, within the 2 s window before the wait
        os.utime(cdir / name)
    fired = tmp_path / "fired"
    act = (f'if [ ! -e "{fired}" ]; then touch "{fired}"; rm -rf "{cdir}" && '
           f'mkdir "{cdir}"; fi')
    env = hooked(tmp_path, "ask" if combine == "auto" else "combine", act)
    out = tmp_path / "all.cov"
    r = gather(src, "-d", "2s", "--expect", "2", "-T", "30s", "--json",
               f"--combine={combine}", "--data-file", str(out), str(cdir), env=env, cov=cov)
    assert fired.exists()
    assert r.returncode == 4, r.stderr
    for name in olds:
        assert (f"covsettle: {cdir}/{name} was deleted after it settled, before it was "
                "combined: its coverage is lost") in r.stderr, r.stderr
    assert (f"covsettle: {cdir}: 2 data files were deleted after the wait: their "
            "coverage is lost; not combining") in r.stderr
    assert "waiting again" not in r.stderr
    doc = json.loads(r.stdout)
    assert doc["exit"] == 4 and doc["status"] == "lost"
    assert sorted(doc["lost"]) == sorted(olds)
    assert not out.exists() and os.listdir(cdir) == []


def test_invalid_file_at_exit_4_has_a_message(tmp_path):
    """--json at exit 4 for a file no writer will mend: the message says it."""
    datafile(tmp_path, fixture="truncated")
    r = covsettle("gather", "-d", "0", "-T", "20s", "--json", str(tmp_path))
    assert r.returncode == 4, r.stderr
    last = r.stderr.strip().splitlines()[-1]
    assert json.loads(r.stdout)["message"] == last[len("covsettle: "):]
    assert last == f"covsettle: 1 invalid data file in {tmp_path} that no writer will mend"
