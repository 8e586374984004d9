# test_report_options.py: `gather --report FORMAT[=PATH] --report-option
# OPTION...` writes the report coverage.py writes when it is given the same
# options by hand, each report with its own; and the file names in the
# reports are chosen as coverage.py chooses them: relative to the caller's
# directory for files under it, absolute for the others. On each
# coverage.py of the matrix, by both ways gather runs the reports (one
# coverage.py process for them all, or one command each).
import json
import os
import subprocess

import pytest

from harness import digests
from test_gather import console_script, gather, tree, write


@pytest.fixture
def two(tmp_path, cov):
    """Three data files: two that together run all of src/*.py, one that
    leaves lines and branches of src/sub/*.py unrun."""
    cdir, src = tmp_path / "cov", tmp_path / "src"
    for variant in (0, 1):
        write(cdir, src, variant, python=cov.python)
    write(cdir, src / "sub", 0, python=cov.python)
    return tmp_path, cdir, src


# Each report with options of its own; two json reports apart.
REPORTS = [
    ("text", None, ["--show-missing", "--skip-covered", "--precision=2"]),
    ("json", "all.json", ["--pretty-print"]),
    ("json", "some.json", ["--include=*/sub/cw_mod_0.py"]),
    ("xml", "c.xml", ["--omit=*/sub/*"]),
    ("html", "html", ["--title=Gathered", "--skip-covered"]),
    ("lcov", "c.lcov", ["--omit=*/sub/cw_mod_2.py"]),
]
OUT = "reports"  # where both write, under the caller's directory


def by_hand(cov, cwd, data, out):
    """coverage.py's own reports of the data file data, with REPORTS'
    options, run from cwd, moved to out; their standard output, the text
    table last (as gather prints it)."""
    stdout, table = "", ""
    for fmt, name, opts in REPORTS:
        if fmt == "text":
            args = ["report"]
        else:
            args = [fmt, "-d" if fmt == "html" else "-o", f"{OUT}/{name}"]
        r = subprocess.run([console_script(cov), *args, f"--data-file={data}",
                            *opts], capture_output=True, text=True, cwd=cwd)
        assert r.returncode == 0, r.stderr
        if fmt == "text":
            table = r.stdout
        else:
            stdout += r.stdout
    os.rename(cwd / OUT, out)
    return stdout + table


def report_args():
    """REPORTS as gather's options, the text table on standard output."""
    args = []
    for fmt, name, opts in REPORTS:
        args += ["--report", f"{fmt}={OUT}/{name}" if name else fmt]
        for o in opts:
            args += ["--report-option", o]
    return args


def gathered(cov, cwd, cdir, out, command=None, *more):
    """gather with REPORTS from cwd, moved to out; the combined file is
    out/../NAME.cov."""
    data = out.parent / (out.name + ".cov")
    r = gather(cwd, "--coverage", command or cov.command, "--data-file",
               str(data), *more, *report_args(), str(cdir))
    assert r.returncode == 0, r.stderr
    os.rename(cwd / OUT, out)
    return r.stdout, data


@pytest.mark.parametrize("together", [True, False],
                         ids=["one-process", "one-command-each"])
def test_report_options_give_coverage_pys_own_reports(two, cov, together):
    tmp, cdir, src = two
    command = None
    if not together:  # a shell script: no Python to run them all in
        command = str(tmp / "wrapper")
        (tmp / "wrapper").write_text(
            f'#!/bin/sh\nexec {console_script(cov)} "$@"\n')
        (tmp / "wrapper").chmod(0o755)
    stdout, data = gathered(cov, src, cdir, tmp / "out", command)
    assert stdout == by_hand(cov, src, data, tmp / "hand")
    assert tree(tmp / "out") == tree(tmp / "hand")
    # The options did something: each report differs from one without.
    assert "Missing" in stdout
    assert "skipped due to complete coverage" in stdout
    assert (tmp / "out" / "all.json").read_text().startswith("{\n    ")
    some = json.loads((tmp / "out" / "some.json").read_text())
    every = json.loads((tmp / "out" / "all.json").read_text())
    assert list(some["files"]) == ["sub/cw_mod_0.py"]
    assert len(every["files"]) == 6
    assert "<title>Gathered</title>" in (
        tmp / "out" / "html" / "index.html").read_text()
    lcov = (tmp / "out" / "c.lcov").read_text()
    assert "sub/cw_mod_1.py" in lcov and "sub/cw_mod_2.py" not in lcov
    # The way the reports ran, and the total: the text report's, with
    # its --precision.
    out, _ = gathered(cov, src, cdir, tmp / "again", command, "--json")
    doc = json.loads(out)
    ran = [c["command"] for c in doc["commands"]]
    assert (len(ran) == 1) == together, ran
    total = [l for l in stdout.splitlines() if l.startswith("TOTAL")][0]
    assert "." in total.split()[-1]
    assert doc["total_percent"] == float(total.split()[-1].rstrip("%"))


def test_file_names_follow_the_callers_directory(two, cov):
    # From the sources' directory, names relative to it; from the data
    # directory (as a loop run there would be), absolute names: what
    # coverage.py itself writes from each.
    tmp, cdir, src = two
    for where, name in ((src, "sub/cw_mod_0.py"),
                        (cdir, str(src / "sub" / "cw_mod_0.py"))):
        out = tmp / f"out-{where.name}"
        stdout, data = gathered(cov, where, cdir, out)
        assert stdout == by_hand(cov, where, data, tmp / f"hand-{where.name}")
        assert tree(out) == tree(tmp / f"hand-{where.name}")
        assert f"\n{name} " in stdout
        every = json.loads((out / "all.json").read_text())
        assert name in every["files"], list(every["files"])
        assert os.path.isabs(name) == (where == cdir)


def test_an_option_coverage_py_refuses_fails_the_report(two, cov):
    # coverage.py judges the options covsettle passes on: its own message,
    # the report named, exit 5, the inputs untouched.
    tmp, cdir, src = two
    before = digests(cdir)
    r = gather(src, "--coverage", cov.command, "--report", "json",
               "--report-option", "--no-such-option", str(cdir))
    assert r.returncode == 5, r.stderr
    assert "no such option: --no-such-option" in r.stderr
    assert "the json report failed" in r.stderr
    assert digests(cdir) == before
