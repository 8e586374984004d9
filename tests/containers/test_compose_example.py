# test_compose_example.py: examples/containers run as its README tells a
# Docker user, `sh examples/containers/run.sh`, unchanged, on podman: the
# `docker` on PATH is tests/containers/docker (`docker compose` is
# podman-compose, from the project's venv build/venv/compose), the engine's
# API is podman's, served where compose.yaml mounts Docker's socket, and
# COMPOSE_PROFILES=tests has podman-compose build the tests service too
# (docker compose builds every service; podman-compose only active ones).
# The flow: both images built, the server up, the tests over HTTP, two
# restarts through the API with covsettle waiting, and the combined report.
import os
import re
import subprocess
import time

import pytest

import podman as pm

SOCKET = "/var/run/docker.sock"
COMPOSE_BIN = os.path.join(pm.ROOT, "build", "venv", "compose", "bin")


@pytest.fixture
def engine_socket(podman_ok):
    """Podman's API on Docker's socket for the test, unless an engine
    already answers there."""
    if os.path.exists(SOCKET):
        yield SOCKET
        return
    svc = subprocess.Popen(["podman", "system", "service", "--time=0",
                            f"unix://{SOCKET}"], stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL)
    try:
        for _ in range(100):  # its socket appears once it listens
            if os.path.exists(SOCKET) or svc.poll() is not None:
                break
            time.sleep(0.1)
        assert os.path.exists(SOCKET), "podman system service did not start"
        yield SOCKET
    finally:
        svc.terminate()
        svc.wait(timeout=30)
        if os.path.exists(SOCKET):
            os.unlink(SOCKET)


def test_run_sh_as_the_readme_says(engine_socket):
    if not os.path.exists(os.path.join(COMPOSE_BIN, "podman-compose")):
        pytest.fail("no podman-compose in build/venv/compose: run make deps")
    env = dict(os.environ, COMPOSE_PROFILES="tests",
               PATH=os.pathsep.join([pm.HERE, COMPOSE_BIN,
                                     os.environ["PATH"]]))
    try:
        r = subprocess.run(["sh", "examples/containers/run.sh"], cwd=pm.ROOT,
                           env=env, capture_output=True, text=True,
                           timeout=pm.BUILD_TIMEOUT)
    finally:
        # Each build of the tests image leaves the one before untagged.
        pm.podman("image", "prune", "-f", check=False)
    out = r.stdout + r.stderr
    assert r.returncode == 0, out
    # Two generations of workers: 2 files at the first restart, 4 gathered.
    assert "settled: 2 data files in /cov" in out, out
    assert "combined 4 data files from /cov into /cov/combined.coverage" \
        in out, out
    assert re.search(r"^TOTAL\s.*\s100\.00%$", out, re.M), out
    assert "passed" in out
    # run.sh removed what it made.
    left = pm.podman("ps", "-a", "--format", "{{.Names}}").stdout
    assert "covsettle-example" not in left, left
    assert "covsettle-example_covdata" not in \
        pm.podman("volume", "ls", "--format", "{{.Name}}").stdout
