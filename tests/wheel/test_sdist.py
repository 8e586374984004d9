# test_sdist.py: the sdist builds the wheel from source through the Makefile
# (pip wheel of the .tar.gz, as pip install does where no wheel fits), and
# says in one line which -dev packages are missing when the headers are not
# there. The headers are hidden for real: a private mount namespace
# (unshare -m) where /usr/include is a copy of symlinks without them.
import os
import zipfile

import pytest

from wheelutil import PIP, TOOLS_VENV, clean_env, run, sdist, version, wheel

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="unshare -m needs root")

# hatchling comes from the tools venv: no build isolation, so no index.
PIP_WHEEL = [f"{TOOLS_VENV}/bin/python", *PIP, "wheel", "--no-index",
             "--no-build-isolation", "--no-deps"]


def test_sdist_builds_the_wheel_from_source(tmp_path):
    r = run(*PIP_WHEEL, "-w", str(tmp_path), sdist(), env=clean_env(), timeout=600)
    assert r.returncode == 0, r.stdout + r.stderr
    built = os.listdir(tmp_path)
    assert built == [os.path.basename(wheel())]
    with zipfile.ZipFile(tmp_path / built[0]) as z:
        binary = z.read(f"covsettle-{version()}.data/scripts/covsettle")
    (tmp_path / "covsettle").write_bytes(binary)
    (tmp_path / "covsettle").chmod(0o755)
    assert "There is no dynamic section" in run("readelf", "-d", str(tmp_path / "covsettle")).stdout
    r = run(str(tmp_path / "covsettle"), "--version")
    assert r.returncode == 0 and r.stdout.startswith(f"covsettle {version()}\n"), r.stderr


# The real /usr/include stays reachable at $1/real, for the farm's links.
HIDE = r"""
set -e
top=$1; shift
mkdir "$top/real"
mount --bind /usr/include "$top/real"
cp -rs "$top/real" "$top/farm"
for hidden in $HIDDEN; do rm -r "$top/farm/$hidden"; done
mount --bind "$top/farm" /usr/include
exec "$@"
"""


@pytest.mark.parametrize("hidden, missing", [
    ("inotifytools sqlite3.h", "libinotifytools0-dev libsqlite3-dev"),
    ("sqlite3.h", "libsqlite3-dev"),
])
def test_sdist_without_headers_names_the_packages(tmp_path, hidden, missing):
    env = dict(clean_env(), HIDDEN=hidden)
    r = run("unshare", "--mount", "--propagation", "private", "sh", "-c", HIDE, "hide",
            str(tmp_path), *PIP_WHEEL, "-w", str(tmp_path / "out"), sdist(),
            env=env, timeout=300)
    out = r.stdout + r.stderr
    assert r.returncode != 0, out
    line = (f"covsettle: cannot build from source: missing {missing} (the headers "
            f"and static libraries of libinotifytools and SQLite): apt-get install {missing}")
    assert [x.strip() for x in out.splitlines() if "covsettle:" in x] == [line], out
    assert "fatal error" not in out and "gcc" not in out, out  # the compiler never ran
    assert not (tmp_path / "out").exists() or not os.listdir(tmp_path / "out")
    # Outside that namespace the headers are still there.
    assert os.path.exists("/usr/include/sqlite3.h")
