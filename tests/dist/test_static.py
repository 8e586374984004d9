# test_static.py: the tarball of `make dist` and its static binary, run in
# an empty root: nothing but the binary, /proc and a data directory (no
# libc, no /bin/sh, no /dev), as in a distroless or scratch container. The
# root is entered with unshare(1): new mount and pid namespaces, /proc of
# that pid namespace mounted inside, then chroot.
import os
import shutil
import subprocess
import tarfile

import pytest

from distutil import FIXTURES, ROOT, Proc, run, version

TARBALL = os.environ.get("DIST_TAR", os.path.join(
    ROOT, "build", "dist", f"covsettle-{version()}-linux-{os.uname().machine}.tar.gz"))
TOP = f"covsettle-{version()}-linux-{os.uname().machine}"
# Names of another host: no pid in them can name a live writer here.
NAME = ".coverage.ci-runner-7.{pid}.{rnd:06d}"

pytestmark = pytest.mark.skipif(os.geteuid() != 0,
                                reason="unshare --root needs root")


@pytest.fixture(scope="module")
def unpacked(tmp_path_factory):
    assert os.path.exists(TARBALL), f"{TARBALL}: run make dist"
    where = tmp_path_factory.mktemp("dist")
    with tarfile.open(TARBALL) as t:
        t.extractall(where)
    return where / TOP


@pytest.fixture
def bare(unpacked, tmp_path):
    """An empty root: /covsettle, /proc (a mount point) and /data."""
    root = tmp_path / "root"
    (root / "proc").mkdir(parents=True)
    (root / "data").mkdir()
    shutil.copy2(unpacked / "bin" / "covsettle", root / "covsettle")
    return root


def inside(root, *args):
    return ["unshare", "--mount", "--pid", "--fork", "--mount-proc",
            f"--root={root}", "/covsettle", *args]


def put(directory, fixture, pid, rnd=123456):
    """A data file made by coverage.py, arriving as a download would: under
    a temporary name, then renamed into place."""
    name = NAME.format(pid=pid, rnd=rnd)
    shutil.copyfile(os.path.join(FIXTURES, fixture), directory / ".part")
    os.rename(directory / ".part", directory / name)
    return name


def test_tarball_holds_binary_man_completions_readme(unpacked):
    for path in ("bin/covsettle", "share/man/man1/covsettle.1",
                 "share/bash-completion/completions/covsettle",
                 "share/zsh/site-functions/_covsettle",
                 "share/fish/vendor_completions.d/covsettle.fish",
                 "README.md"):
        assert (unpacked / path).is_file(), path
    assert os.access(unpacked / "bin" / "covsettle", os.X_OK)


def test_binary_is_fully_static(unpacked):
    r = run("readelf", "--program-headers", "--dynamic",
            str(unpacked / "bin" / "covsettle"))
    assert r.returncode == 0, r.stderr
    assert "INTERP" not in r.stdout and "NEEDED" not in r.stdout
    assert "There is no dynamic section" in r.stdout


def test_version_in_empty_root(bare):
    r = run(*inside(bare, "--version"))
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith(f"covsettle {version()}\nlibinotifytools ")
    assert "\nSQLite 3." in r.stdout
    assert set(os.listdir(bare)) == {"covsettle", "data", "proc"}


def test_check_in_empty_root(bare):
    ok = put(bare / "data", "lines", 41)
    bad = put(bare / "data", "garbage", 42)
    r = run(*inside(bare, "check", "/data"))
    assert r.returncode == 4, r.stderr
    assert f"/data/{ok}: ok: " in r.stdout
    assert f"/data/{bad}: not-sqlite" in r.stdout


def test_wait_in_empty_root(bare):
    put(bare / "data", "lines", 51)
    p = Proc(inside(bare, "wait", "-v", "-n", "2", "-d", "200ms", "-T", "60s",
                    "/data"))
    try:
        p.expect(r"watching /data with inotify")
        late = put(bare / "data", "arcs", 52)
        assert p.finish() == 0, p.lines
        assert any(late in line for line in p.lines["err"])
        assert any("settled" in line for line in p.lines["err"]), p.lines
    finally:
        p.kill()


def test_trigger_without_a_shell_fails_clearly(bare):
    put(bare / "data", "lines", 61)
    r = run(*inside(bare, "wait", "-d", "200ms", "--trigger", "true", "/data"))
    assert r.returncode == 6, r.stderr
    assert "cannot run /bin/sh: No such file or directory" in r.stderr


def test_trigger_with_static_busybox(bare):
    # busybox-static's sh and cp: the trigger writes a data file into the
    # watched directory, as a restart of a server would.
    busybox = shutil.which("busybox")
    assert busybox, "busybox-static is in DEPS"
    assert "NEEDED" not in run("readelf", "-d", busybox).stdout
    (bare / "bin").mkdir()
    shutil.copy2(busybox, bare / "bin" / "busybox")
    os.symlink("busybox", bare / "bin" / "sh")
    (bare / "seed").mkdir()
    shutil.copyfile(os.path.join(FIXTURES, "arcs"), bare / "seed" / "arcs")
    name = NAME.format(pid=71, rnd=654321)
    r = run(*inside(bare, "wait", "--new-only", "-n", "1", "-d", "200ms",
                    "-T", "60s", "--trigger",
                    f"busybox cp /seed/arcs /data/.part && "
                    f"busybox mv /data/.part /data/{name}", "/data"))
    assert r.returncode == 0, r.stderr
    assert f"data file: {name}" in r.stderr
    assert "trigger exited with status 0" in r.stderr
    assert (bare / "data" / name).read_bytes() == \
        open(os.path.join(FIXTURES, "arcs"), "rb").read()


def test_gather_without_coverage_py_says_what_it_tried(bare):
    # An image with covsettle but no Python: gather stops at once, exit 5.
    put(bare / "data", "lines", 81)
    r = run(*inside(bare, "gather", "-d", "200ms", "/data"))
    assert r.returncode == 5, r.stderr
    assert "coverage.py not found: tried 'coverage', 'python3-coverage' and " \
        "'python3 -m coverage'" in r.stderr
    assert not (bare / ".coverage").exists()
