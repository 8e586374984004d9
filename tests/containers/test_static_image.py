# test_static_image.py: the static binary of `make dist` in an image with
# nothing else in it (FROM scratch: no libc, no shell, no Python), reading a
# volume that Python containers write. It waits for their files, one save
# held inside its data transaction, checks every file, and, asked to
# gather with no coverage.py to combine them, stops with exit 5 saying what
# it tried, leaving the files as they were.
import json
import subprocess

import pytest

import podman as pm
from podman import (COVSETTLE_STATIC, kill_all, lines_of, mounts,
                    release_and_finish)



@pytest.fixture(scope="module")
def static_image(podman_ok):
    return pm.static_image(COVSETTLE_STATIC)


def test_scratch_image_waits_for_and_checks_a_python_containers_files(
        pod, python_image, static_image, py):
    vol = pod.volume()
    writer = [py, "/t/writer.py", "/cov", "--src-dir", "/tmp/src"]
    pm.podman("run", "--rm", "--hostname", "w1", "-v", f"{vol}:/cov",
              *mounts(), python_image, *writer)
    w = pod.popen("w2", python_image, *writer, "--pause-at",
                  "open-transaction", opts=["--hostname", "w2",
                                            "-v", f"{vol}:/cov", *mounts()],
                  stdin=subprocess.PIPE)
    c = None
    try:
        lines_of(w, "paused open-transaction")
        c = pod.popen("wait", static_image, "wait", "--expect", "2", "-d",
                      "200ms", "-T", "60s", "--json", "/cov",
                      opts=["-v", f"{vol}:/cov"])
        out = release_and_finish(w, c)
    except BaseException:
        kill_all(w, c)
        raise
    doc = json.loads(out)
    assert sorted(f["verdict"] for f in doc["files"]) == ["ok", "ok"], out
    names = sorted(f["name"] for f in doc["files"])
    assert [n.split(".")[2] for n in names] == ["w1", "w2"], names

    # check, in the same empty image: both files are sound.
    r = pm.podman("run", "--rm", "-v", f"{vol}:/cov", static_image, "check",
                  *[f"/cov/{n}" for n in names], check=False)
    assert r.returncode == 0, r.stderr
    assert [line.split(": ")[1] for line in r.stdout.splitlines()] == \
        ["ok", "ok"], r.stdout
    # gather: nothing to combine with here; exit 5, nothing written.
    r = pm.podman("run", "--rm", "-v", f"{vol}:/cov", "-w", "/cov",
                  static_image, "gather", "--expect", "2", "-d", "200ms",
                  "/cov", check=False)
    assert r.returncode == 5, r.stderr
    assert "coverage.py not found: tried 'coverage', 'python3-coverage' " \
        "and 'python3 -m coverage'" in r.stderr
    left = pm.podman("run", "--rm", "-v", f"{vol}:/cov", python_image,
                     "ls", "-A", "/cov").stdout.split()
    assert sorted(left) == names
