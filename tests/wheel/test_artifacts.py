# test_artifacts.py: what `make wheel` builds: the wheel's name and tags, the
# static binary in its scripts (readelf: it links nothing at run time, so the
# manylinux and musllinux tags are true), that binary in an empty root, and
# the sdist's contents.
import os
import shutil
import stat
import tarfile
import zipfile

import pytest

from wheelutil import ARCH, FIXTURES, ROOT, TOOLS_VENV, clean_env, run, sdist, version, wheel

TAGS = {f"py3-none-manylinux_2_17_{ARCH}", f"py3-none-manylinux2014_{ARCH}",
        f"py3-none-musllinux_1_1_{ARCH}"}
SCRIPT = f"covsettle-{version()}.data/scripts/covsettle"
# readelf -h's name of each architecture the tags know.
MACHINES = {"x86_64": "Advanced Micro Devices X86-64", "aarch64": "AArch64"}


@pytest.fixture(scope="module")
def binary(tmp_path_factory):
    """The wheel's covsettle, extracted as pip installs it (mode 755)."""
    where = tmp_path_factory.mktemp("wheel") / "covsettle"
    with zipfile.ZipFile(wheel()) as z:
        where.write_bytes(z.read(SCRIPT))
    where.chmod(0o755)
    return where


def test_wheel_name_and_tags():
    name = os.path.basename(wheel())
    assert name == (f"covsettle-{version()}-py3-none-manylinux_2_17_{ARCH}."
                    f"manylinux2014_{ARCH}.musllinux_1_1_{ARCH}.whl")
    with zipfile.ZipFile(wheel()) as z:
        meta = z.read(f"covsettle-{version()}.dist-info/WHEEL").decode()
        entry_points = z.read(f"covsettle-{version()}.dist-info/entry_points.txt").decode()
    assert "Root-Is-Purelib: false" in meta
    assert {line[5:] for line in meta.splitlines() if line.startswith("Tag: ")} == TAGS
    assert "[pytest11]\ncovsettle.pytest_plugin = covsettle.pytest_plugin" in entry_points


def test_scripts_hold_the_binary_itself():
    # Not a Python shim: the ELF binary of `make dist`, executable.
    with zipfile.ZipFile(wheel()) as z:
        names = set(z.namelist())
        info = z.getinfo(SCRIPT)
        data = z.read(SCRIPT)
    assert {"covsettle/__init__.py", "covsettle/pytest_plugin.py", SCRIPT,
            f"covsettle-{version()}.data/data/share/man/man1/covsettle.1"} <= names
    assert data[:4] == b"\x7fELF"
    assert stat.S_IMODE(info.external_attr >> 16) & 0o111
    dist = os.path.join(ROOT, "build", "dist", "covsettle")
    if os.path.exists(dist):
        with open(dist, "rb") as f:
            assert f.read() == data


def test_binary_links_nothing(binary):
    # What makes the manylinux and musllinux tags true: no program
    # interpreter, no dynamic section, so no libc of any version is needed.
    r = run("readelf", "--dynamic", str(binary))
    assert r.returncode == 0, r.stderr
    assert "There is no dynamic section in this file." in r.stdout
    assert "NEEDED" not in r.stdout
    headers = run("readelf", "--program-headers", "--file-header", str(binary)).stdout
    assert "INTERP" not in headers and "DYNAMIC" not in headers
    # The tags' architecture is the binary's.
    assert f"Machine:                           {MACHINES[ARCH]}" in headers


def test_no_wheel_tags_a_dynamic_binary(tmp_path):
    # build/covsettle links libinotifytools, SQLite and glibc: hatch_build.py
    # refuses to put manylinux and musllinux tags on it.
    dynamic = os.path.join(ROOT, "build", "covsettle")
    assert "NEEDED" in run("readelf", "--dynamic", dynamic).stdout
    env = dict(clean_env(), COVSETTLE_WHEEL_BINARY=dynamic)
    r = run(f"{TOOLS_VENV}/bin/hatchling", "build", "-t", "wheel", "-d", str(tmp_path),
            cwd=ROOT, env=env)
    assert r.returncode != 0
    assert f"covsettle: {dynamic}: dynamically linked: a wheel needs the static " \
        "binary of `make dist`" in r.stdout + r.stderr
    assert os.listdir(tmp_path) == []


@pytest.mark.skipif(os.geteuid() != 0, reason="unshare --root needs root")
def test_binary_in_an_empty_root(binary, tmp_path):
    # As in a scratch or distroless image: the binary, /proc and the data.
    root = tmp_path / "root"
    (root / "proc").mkdir(parents=True)
    (root / "data").mkdir()
    shutil.copy2(binary, root / "covsettle")
    shutil.copyfile(os.path.join(FIXTURES, "lines"), root / "data" / ".coverage.ci-7.41.123456")
    shutil.copyfile(os.path.join(FIXTURES, "garbage"), root / "data" / ".coverage.ci-7.42.123456")
    inside = ["unshare", "--mount", "--pid", "--fork", "--mount-proc", f"--root={root}",
              "/covsettle"]
    r = run(*inside, "--version")
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith(f"covsettle {version()}\nlibinotifytools ")
    r = run(*inside, "check", "/data")
    assert r.returncode == 4, r.stderr
    assert "/data/.coverage.ci-7.41.123456: ok: " in r.stdout
    assert "/data/.coverage.ci-7.42.123456: not-sqlite" in r.stdout
    assert sorted(os.listdir(root)) == ["covsettle", "data", "proc"]


def test_sdist_holds_what_the_makefile_needs():
    top = f"covsettle-{version()}"
    with tarfile.open(sdist()) as t:
        names = set(t.getnames())
    for path in ("Makefile", "mk/dist.mk", "mk/wheel.mk", "src/main.c",
                 "include/util.h", "man/covsettle.1", "pyproject.toml",
                 "hatch_build.py", "python/covsettle/__init__.py",
                 "python/covsettle/pytest_plugin.py", "PKG-INFO"):
        assert f"{top}/{path}" in names, path
    assert not [n for n in names if n.startswith(f"{top}/build/") or n.endswith(".o")]
