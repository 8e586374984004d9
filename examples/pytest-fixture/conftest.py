# conftest.py: the `server` fixture: auction.py in a subprocess, measured by
# pytest-cov, stopped gently through covsettle's pytest plugin (pip install
# covsettle), which waits for its data file before pytest-cov combines.
import os
import select
import signal
import subprocess
import sys
import time

import pytest
import requests

HERE = os.path.dirname(os.path.abspath(__file__))
START_TIMEOUT = 60  # generous: a loaded 2-core CI machine
STOP_TIMEOUT = 20
SETTLE_TIMEOUT = 60


def read_url(proc, deadline):
    """The URL the server prints once it listens, or fail at the deadline."""
    while time.monotonic() < deadline:
        if select.select([proc.stdout], [], [], deadline - time.monotonic())[0]:
            line = proc.stdout.readline()
            if not line:
                break  # it exited
            if line.startswith("listening on "):
                return line.split()[-1]
    raise RuntimeError(f"auction.py did not start (exit status {proc.poll()})")


def stop(proc, covsettle_restart):
    """SIGTERM to the server's process group; coverage.py saves on SIGTERM
    (sigterm = true) and the process exits. Under pytest-cov, the covsettle
    plugin's covsettle_restart arms covsettle's watch on pytest-cov's data
    directory, sends the signal itself (--trigger), and returns when the
    server's data file is complete, so pytest-cov combines it whole; it fails
    the test run if the data is missing or broken. SIGKILL only as a last
    resort: it loses the data, and covsettle says so."""
    if proc.poll() is not None:
        return  # it exited by itself: whatever it saved is complete
    try:
        if os.environ.get("COV_CORE_DATAFILE"):  # set by pytest-cov
            covsettle_restart(f"kill -TERM -{proc.pid}", expect=1,
                              timeout=f"{SETTLE_TIMEOUT}s")
        else:
            os.killpg(proc.pid, signal.SIGTERM)
    finally:
        try:
            proc.wait(STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


@pytest.fixture(scope="session")
def server(covsettle_restart):
    # The environment passes through, COV_CORE_* included: pytest-cov's .pth
    # hook starts coverage.py in the new interpreter. Own process group, so
    # that stop() reaches everything the server started.
    proc = subprocess.Popen([sys.executable, os.path.join(HERE, "auction.py")],
                            cwd=HERE, env=dict(os.environ), text=True,
                            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            start_new_session=True)
    try:
        url = read_url(proc, time.monotonic() + START_TIMEOUT)
        requests.get(url + "/health", timeout=START_TIMEOUT).raise_for_status()
        print(f"auction.py: {url}, process group {proc.pid}")  # shown by pytest -s
        yield url
    finally:
        stop(proc, covsettle_restart)
        proc.stdout.close()
