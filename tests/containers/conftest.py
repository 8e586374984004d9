# conftest.py: fixtures of the container tests (podman.py says how the
# images are made). Where podman cannot run, every test here skips with the
# reason, loudly; under CI (CI=true) that is a failure instead: CI must not
# pass having run none of them.
import os
import sys

import pytest

import podman as pm


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
