# conftest.py: fixtures of the container tests (podman.py says how the
# images are made). Where podman cannot run, every test here skips with the
# reason, loudly; under CI (CI=true) that is a failure instead: CI must not
# pass having run none of them.
import os
import subprocess
import sys

import pytest

import podman as pm

COVSETTLE = os.environ.get("COVSETTLE",
                           os.path.join(pm.ROOT, "build", "covsettle"))
# The static binary of `make dist` (mk/containers.mk passes it).
COVSETTLE_STATIC = os.environ.get(
    "COVSETTLE_STATIC", os.path.join(pm.ROOT, "build", "dist", "covsettle"))


def matrix():
    """Debian's coverage.py 6.5 and the newest 7.x, or those of them that
    $COVSETTLE_MATRIX names."""
    want = os.environ.get("COVSETTLE_MATRIX", "").split()
    return [v for v in pm.PYTHONS if not want or v in want]


@pytest.fixture(scope="session")
def podman_ok():
    reason = pm.refused()
    if reason is None:
        return
    msg = f"CONTAINER TESTS NOT RUN: {reason}"
    sys.stderr.write(f"\n*** {msg} ***\n")
    if os.environ.get("CI") == "true":
        pytest.fail(msg + " (CI=true: a skip is a failure)", pytrace=False)
    pytest.skip(msg)


@pytest.fixture(scope="session")
def python_image(podman_ok):
    return pm.python_image()


@pytest.fixture
def pod(podman_ok):
    p = pm.Pod()
    yield p
    p.cleanup()


@pytest.fixture(params=matrix(), ids=lambda v: f"cov{v}")
def py(request):
    """The interpreter in the Python image whose coverage.py this run uses."""
    return pm.PYTHONS[request.param]


def mounts(*extra):
    """The options that put covsettle under test, the tests' writer and
    the gunicorn example into a Python container, read-only."""
    opts = ["-v", f"{COVSETTLE}:/usr/local/bin/covsettle:ro",
            "-v", f"{pm.ROOT}/tests:/t:ro",
            "-v", f"{pm.ROOT}/examples/gunicorn:/app:ro"]
    return opts + list(extra)


def run_in(container, *argv, check=True, env=(), workdir=None,
           timeout=pm.TIMEOUT):
    """argv run in a running container (podman exec)."""
    args = ["exec"]
    for kv in env:
        args += ["-e", kv]
    if workdir:
        args += ["-w", workdir]
    return pm.podman(*args, container, *argv, check=check, timeout=timeout)


def lines_of(proc, pattern, stream="stdout"):
    """Read proc's stdout (or stderr) lines until one contains pattern: the
    lines read. Blocking reads: the commands read from are bounded by their
    own --timeout, and end."""
    seen = []
    for line in getattr(proc, stream):
        seen.append(line)
        if pattern in line:
            return seen
    raise AssertionError(f"no {pattern!r} from {proc.args}: {seen}")


def still_running(proc, seconds):
    """True when proc has not exited after seconds (a wait that must go on)."""
    try:
        proc.wait(timeout=seconds)
    except subprocess.TimeoutExpired:
        return True
    return False
