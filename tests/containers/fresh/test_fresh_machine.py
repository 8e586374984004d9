# test_fresh_machine.py: `make fresh-check`. A clean clone of this
# repository (its HEAD, or $FRESH_REV) in a fresh container from the base
# image, with nothing installed but Debian's minbase: setup.sh runs the
# README's set-up and `make demo` from nothing, then builds and checks
# `covsettle --version`. This finds what a green CI on a prepared machine
# hides: an install step missing from `make deps`, a build that reads
# something before it is installed. Proved both ways: the same check with
# one package the build needs left out of the Makefile's DEPS must fail.
import os
import re
import shutil
import subprocess
import tempfile
import uuid

import pytest

import podman as pm

SETUP = os.path.join(pm.HERE, "fresh", "setup.sh")
# A fresh machine's first make demo: every Debian package of make deps,
# three coverage.py venvs from PyPI, the build and the demo.
FRESH_TIMEOUT = 1500


@pytest.fixture
def clone(podman_ok):
    d = tempfile.mkdtemp(prefix="covsettle-fresh-")
    src = os.path.join(d, "src")
    subprocess.run(["git", "clone", "-q", "--no-local", pm.ROOT, src],
                   check=True)
    rev = os.environ.get("FRESH_REV")
    if rev:
        subprocess.run(["git", "-C", src, "checkout", "-q", rev], check=True)
    yield src
    shutil.rmtree(d)


def fresh(src, name):
    """setup.sh in a fresh container from the base image, src at /src."""
    args = ["run", "--rm", "--name",
            f"covsettle-fresh-{name}-{uuid.uuid4().hex[:8]}",
            "-v", f"{src}:/src", "-v", f"{SETUP}:/setup.sh:ro"]
    if os.path.exists(pm.CA_BUNDLE):  # pip's way to PyPI, as on this machine
        args += ["-v", f"{pm.CA_BUNDLE}:/run/host-ca.crt:ro",
                 "-e", "PIP_CERT=/run/host-ca.crt"]
    return pm.podman(*args, pm.base_image(), "sh", "/setup.sh", check=False,
                     timeout=FRESH_TIMEOUT)


def test_readme_setup_and_demo_from_nothing(clone):
    r = fresh(clone, "ok")
    out = r.stdout + r.stderr
    assert r.returncode == 0, out[-6000:]
    assert re.search(r"^libinotifytools 3\.22[.\d]* \(built with", out,
                     re.M), out[-6000:]
    assert re.search(r"^SQLite 3\.\d+\.\d+ \(running", out, re.M)
    assert re.search(r"^1 passed", out, re.M), out[-3000:]


def test_fails_when_make_deps_leaves_out_a_package(clone):
    # The clone's Makefile without libsqlite3-dev in DEPS: make demo must
    # fail, at the build, naming the header that is missing.
    mk = os.path.join(clone, "Makefile")
    with open(mk) as f:
        text = f.read()
    dropped = re.sub(r"(^DEPS := .*?) libsqlite3-dev\b", r"\1", text,
                     count=1, flags=re.M | re.S)
    assert dropped != text
    with open(mk, "w") as f:
        f.write(dropped)
    r = fresh(clone, "drop")
    out = r.stdout + r.stderr
    assert r.returncode != 0, out[-3000:]
    assert "sqlite3.h: No such file or directory" in out, out[-3000:]
