# wheelutil.py: helpers for the tests of `make wheel` from a user's side:
# where the wheel, the sdist and the wheelhouse are, and a fresh venv with the
# wheel installed by pip from a local directory, no index.
import os
import re
import shutil
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
WHEEL_DIR = os.environ.get("WHEEL_DIR", os.path.join(ROOT, "build", "wheel"))
WHEELHOUSE = os.environ.get("WHEELHOUSE", os.path.join(ROOT, "build", "wheelhouse"))
TOOLS_VENV = os.environ.get("TOOLS_VENV", os.path.join(ROOT, "build", "venv", "tools"))
FIXTURES = os.path.join(ROOT, "fixtures", "data")
ARCH = os.uname().machine
# pip's own noise (the machine's find-links and extra indexes) stays out.
PIP = ["-m", "pip", "--disable-pip-version-check", "--no-input", "-q"]


def version():
    """covsettle's version: the Makefile's, which pyproject.toml reads."""
    with open(os.path.join(ROOT, "Makefile")) as f:
        return re.search(r"^VERSION := (\S+)$", f.read(), re.M).group(1)


def the(pattern):
    """The one file in WHEEL_DIR that matches the glob pattern."""
    import glob
    found = glob.glob(os.path.join(WHEEL_DIR, pattern))
    assert len(found) == 1, f"{pattern} in {WHEEL_DIR}: {found} (run make wheel)"
    return found[0]


def wheel():
    return the(f"covsettle-{version()}-*.whl")


def sdist():
    return the(f"covsettle-{version()}.tar.gz")


def run(*argv, timeout=300, **kw):
    """Run argv to its end; the CompletedProcess, text output captured."""
    return subprocess.run(argv, text=True, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, stdin=subprocess.DEVNULL,
                          timeout=timeout, **kw)


def clean_env(venv=None):
    """A user's environment: no COVSETTLE, no PYTHONPATH, the venv's bin first
    on PATH (as `activate` does)."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("COVSETTLE", "PYTHONPATH", "PYTHONHOME")
           and not k.startswith(("COV_CORE_", "COVERAGE_", "PYTEST_"))}
    if venv is not None:
        env["PATH"] = f"{venv}/bin:{env.get('PATH', '/usr/bin:/bin')}"
        env["VIRTUAL_ENV"] = str(venv)
    return env


def files_under(top):
    """Every file and symlink under top, relative to it."""
    out = set()
    for where, dirs, files in os.walk(top):
        for name in files + [d for d in dirs if os.path.islink(os.path.join(where, d))]:
            out.add(os.path.relpath(os.path.join(where, name), top))
    return out


def make_venv(python, where):
    """A fresh venv of python at where, with the pytest example's packages
    from the local wheelhouse (pip --no-index); returns where."""
    r = run(python, "-m", "venv", str(where))
    assert r.returncode == 0, r.stderr
    r = run(f"{where}/bin/python", *PIP, "install", "--no-index", "--find-links",
            WHEELHOUSE, "-r", os.path.join(ROOT, "mk", "wheelhouse-requirements.txt"),
            env=clean_env(where))
    assert r.returncode == 0, r.stdout + r.stderr
    return where


def first_python3_on_path():
    found = shutil.which("python3")
    assert found, "no python3 on PATH"
    return found


__all__ = ["ROOT", "WHEEL_DIR", "WHEELHOUSE", "TOOLS_VENV", "FIXTURES", "ARCH",
           "PIP", "version", "wheel", "sdist", "run", "clean_env", "files_under",
           "make_venv", "first_python3_on_path", "sys"]
