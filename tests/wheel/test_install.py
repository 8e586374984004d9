# test_install.py: `pip install covsettle` from a user's side, in a fresh venv
# of the first python3 on PATH and another of Debian's /usr/bin/python3: the
# wheel installed with pip from a local directory and no index, covsettle on
# PATH as the binary itself, the Python API on data files that the real
# coverage.py writes, the pytest plugin running examples/pytest-fixture and
# gathering after a session, and `pip uninstall` leaving nothing behind.
# The venvs get pytest, pytest-cov, coverage.py, Flask and requests from the
# local wheelhouse (make deps: mk/wheelhouse-requirements.txt).
import json
import os
import re
import shutil
import textwrap

import pytest

from wheelutil import (PIP, ROOT, WHEEL_DIR, clean_env, files_under,
                       first_python3_on_path, make_venv, run, version)

PYTHONS = {"path-python3": first_python3_on_path, "debian-python3": lambda: "/usr/bin/python3"}
# A program with a branch the runs never take: its total stays below 100%.
PROGRAM = """\
import sys
def main(argv):
    if len(argv) > 5:
        return "never"
    return "ran"
print(main(sys.argv))
"""


@pytest.fixture(scope="module", params=sorted(PYTHONS))
def venv(request, tmp_path_factory):
    """(venv path, its files before covsettle was installed)."""
    where = make_venv(PYTHONS[request.param](), tmp_path_factory.mktemp(request.param) / "venv")
    before = files_under(where)
    r = run(f"{where}/bin/python", *PIP, "install", "--no-index", "--find-links",
            WHEEL_DIR, f"covsettle=={version()}", env=clean_env(where))
    assert r.returncode == 0, r.stdout + r.stderr
    return where, before


def py(venv, code, **kw):
    """Run code with the venv's python, as its user would (no COVSETTLE)."""
    return run(f"{venv}/bin/python", "-c", textwrap.dedent(code), env=clean_env(venv), **kw)


def test_covsettle_on_path_is_the_binary(venv):
    where, _ = venv
    found = shutil.which("covsettle", path=clean_env(where)["PATH"])
    assert found == f"{where}/bin/covsettle"
    with open(found, "rb") as f:
        assert f.read(4) == b"\x7fELF"  # no Python start on each call
    assert (where / "share" / "man" / "man1" / "covsettle.1").is_file()
    r = run("covsettle", "--version", env=clean_env(where))
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith(f"covsettle {version()}\n")
    r = py(where, "import covsettle; print(covsettle.binary(), covsettle.__version__)")
    assert r.stdout.split() == [f"{where}/bin/covsettle", version()], r.stderr


def coverage_data(venv, work, runs=2):
    """runs data files written by the venv's real coverage.py into work/cov."""
    (work / "prog.py").write_text(PROGRAM)
    for _ in range(runs):
        r = run(f"{venv}/bin/python", "-m", "coverage", "run", "--parallel-mode",
                "--branch", "--data-file=cov/.coverage", "prog.py", cwd=work,
                env=clean_env(venv))
        assert r.returncode == 0, r.stderr
    names = sorted(os.listdir(work / "cov"))
    assert len(names) == runs, names
    return names


def test_api_on_real_data_files(venv, tmp_path):
    where, _ = venv
    names = coverage_data(where, tmp_path)
    shutil.copyfile(os.path.join(ROOT, "fixtures", "data", "garbage"),
                    tmp_path / "bad")
    r = py(where, """
        import json, covsettle
        out = {}
        out["wait"] = covsettle.wait("cov", expect=2, timeout="60s", debounce="100ms")
        out["check"] = covsettle.check("cov")
        out["gather"] = covsettle.gather("cov", expect=2, timeout="60s",
                                         report=["text"], data_file="combined")
        for name, call in (("bad", lambda: covsettle.check("bad")),
                           ("under", lambda: covsettle.gather(
                               "cov", fail_under=100, data_file="again")),
                           ("timeout", lambda: covsettle.wait(
                               "cov", expect=3, timeout="300ms"))):
            try:
                call()
            except covsettle.CovsettleError as e:
                out[name] = {"status": e.status, "message": e.message,
                             "result": e.result, "str": str(e)}
        print(json.dumps(out))
        """, cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert out["wait"]["status"] == "settled" and out["wait"]["exit"] == 0
    assert sorted(f["name"] for f in out["wait"]["files"]) == names
    assert [f["verdict"] for f in out["check"]["files"]] == ["ok", "ok"]
    gathered = out["gather"]
    assert gathered["inputs"] == 2 and gathered["data_file"] == "combined"
    assert 50 < gathered["total_percent"] < 100
    assert (tmp_path / "combined").is_file()
    assert set(names) <= set(os.listdir(tmp_path / "cov"))  # inputs kept
    # Failures raise, with covsettle's exit status and its message.
    assert out["bad"]["status"] == 4
    assert out["bad"]["message"].startswith("bad: not-sqlite")
    assert out["bad"]["str"].startswith("covsettle exited 4: bad: not-sqlite")
    assert out["under"]["status"] == 1
    assert "below" in out["under"]["message"] and "100" in out["under"]["message"]
    assert out["under"]["result"]["total_percent"] == gathered["total_percent"]
    assert out["timeout"]["status"] == 3
    assert out["timeout"]["result"]["status"] == "timeout"
    assert "2 of 3" in out["timeout"]["message"]


def test_plugin_runs_the_pytest_example(venv, tmp_path):
    # examples/pytest-fixture as a user runs it: the server fixture stops the
    # server through the plugin's covsettle_restart, with the venv's binary.
    where, _ = venv
    work = tmp_path / "example"
    shutil.copytree(os.path.join(ROOT, "examples", "pytest-fixture"), work,
                    ignore=shutil.ignore_patterns("__pycache__"))
    r = run(f"{where}/bin/python", "-m", "pytest", "-s", cwd=work, env=clean_env(where),
            timeout=180)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "4 passed" in r.stdout
    assert re.search(r"^covsettle: settled: \d data files? in ", r.stderr, re.M), r.stderr
    row = re.search(r"^auction\.py\s+(\d+)\s+(\d+)\s", r.stdout, re.M)
    assert row and int(row[1]) > 20 and int(row[2]) == 0, r.stdout
    assert not list(work.glob(".coverage.*"))  # pytest-cov combined it whole


SESSION_TEST = """\
import subprocess, sys

def test_two_processes_measured():
    for _ in range(2):
        subprocess.run([sys.executable, "-m", "coverage", "run", "--parallel-mode",
                        "--data-file=cov/.coverage", "prog.py"], check=True)
"""


def test_plugin_gathers_after_the_session(venv, tmp_path):
    where, _ = venv
    (tmp_path / "prog.py").write_text(PROGRAM)
    (tmp_path / "test_session.py").write_text(SESSION_TEST)
    base = [f"{where}/bin/python", "-m", "pytest", "-q", "-p", "no:cacheprovider",
            "--covsettle-gather", "cov", "--covsettle-report", "text"]
    r = run(*base, "--covsettle-expect", "2", "--covsettle-timeout", "60s",
            cwd=tmp_path, env=clean_env(where))
    assert r.returncode == 0, r.stdout + r.stderr
    summary = r.stdout[r.stdout.index(" covsettle gather "):]
    assert re.search(r"^cov: 2 data files settled in \d+ ms; 2 combined into \.coverage",
                     summary, re.M), summary
    assert re.search(r"^TOTAL\s.*\d+%$", summary, re.M), summary  # the text report
    assert re.search(r"^total: [\d.]+%$", summary, re.M), summary
    assert (tmp_path / ".coverage").is_file()

    # One file fewer than expected: the tests pass, the session fails.
    shutil.rmtree(tmp_path / "cov")
    r = run(*base, "--covsettle-expect", "3", "--covsettle-timeout", "500ms",
            cwd=tmp_path, env=clean_env(where))
    assert r.returncode == 1, r.stdout + r.stderr
    assert "1 passed" in r.stdout
    assert re.search(r"^covsettle gather exited 3: .*2 of 3", r.stdout, re.M), r.stdout


def test_uninstall_leaves_nothing_behind(venv):
    # Last for each venv (pytest runs a module's tests in order).
    where, before = venv
    r = run(f"{where}/bin/python", *PIP, "uninstall", "-y", "covsettle", env=clean_env(where))
    assert r.returncode == 0, r.stdout + r.stderr
    left = files_under(where) - before
    # What the tests above ran may have compiled other packages' modules;
    # nothing of covsettle's may remain.
    assert not [p for p in left if "covsettle" in p], left
    assert not [p for p in left if "/__pycache__/" not in p], left
    assert not os.path.lexists(f"{where}/bin/covsettle")
    r = py(where, "import covsettle")
    assert r.returncode == 1 and "No module named 'covsettle'" in r.stderr
