# conftest.py: the fixtures of covsettle's system tests; the helpers they
# use live in harness.py, which the tests import.
import pytest

from harness import COVSETTLE, Proc, Writer


@pytest.fixture
def procs():
    """Processes started by a test; all are killed at the end, by group."""
    started = []
    yield started
    for p in started:
        p.kill()


@pytest.fixture
def run(procs):
    def start(*args, env=None):
        p = Proc([COVSETTLE, *args], env=env)
        procs.append(p)
        return p
    return start


@pytest.fixture
def writer(procs, cov):
    """Start tests/writer.py under the coverage.py of this run (so a test
    using it runs once per version of the matrix)."""
    def start(directory, *args):
        w = Writer(str(directory), *args, python=cov.python)
        procs.append(w)
        return w
    return start
