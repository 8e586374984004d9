# test_deb.py: the package of `make deb`, installed with apt-get as a user
# would, run on real data files, and purged: the machine is left as it was.
import json
import os
import shutil
import subprocess

import pytest

from distutil import FIXTURES, PY, ROOT, run, version

ARCH = subprocess.run(["dpkg", "--print-architecture"], text=True,
                      stdout=subprocess.PIPE).stdout.strip()
DEB = os.environ.get("DIST_DEB", os.path.join(
    ROOT, "build", "deb", f"covsettle_{version()}_{ARCH}.deb"))
APT = ["apt-get", "-o", "DPkg::Lock::Timeout=600", "-y", "-q"]
UNION = os.path.join(ROOT, "fixtures", "union.py")
FILES = ["/usr/bin/covsettle", "/usr/share/man/man1/covsettle.1.gz",
         "/usr/share/bash-completion/completions/covsettle",
         "/usr/share/zsh/vendor-completions/_covsettle",
         "/usr/share/fish/vendor_completions.d/covsettle.fish"]


def packages():
    """Every package dpkg knows, with its state."""
    return run("dpkg-query", "-W", "-f=${Package}:${Architecture} "
               "${Version} ${db:Status-Abbrev}\n").stdout


def status():
    r = run("dpkg-query", "-W", "-f=${db:Status-Status}", "covsettle")
    return r.stdout if r.returncode == 0 else "unknown"


@pytest.fixture(scope="module")
def installed():
    if os.geteuid() != 0:
        pytest.skip("apt-get install needs root")
    if status() not in ("not-installed", "config-files", "unknown"):
        pytest.skip("a covsettle package is installed here: left alone")
    assert os.path.exists(DEB), f"{DEB}: run make deb"
    before = packages()
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    r = run(*APT, "install", "--no-install-recommends", DEB, env=env,
            timeout=900)
    try:
        assert r.returncode == 0, r.stdout + r.stderr
        assert status() == "installed"
        yield
    finally:
        r = run(*APT, "purge", "covsettle", env=env, timeout=900)
        assert r.returncode == 0, r.stdout + r.stderr
        assert status() in ("not-installed", "unknown")
        for path in FILES:
            assert not os.path.exists(path), path
        assert packages() == before, "the machine's packages changed"


def test_package_installs_binary_man_page_and_completions(installed):
    for path in FILES:
        assert os.path.isfile(path), path
    listed = run("dpkg", "-L", "covsettle").stdout.split()
    assert set(FILES) <= set(listed)
    assert run("man", "-w", "covsettle").stdout.strip() == FILES[1]


def test_installed_covsettle_checks_real_data_files(installed, tmp_path):
    r = run("/usr/bin/covsettle", "--version")
    assert r.stdout.startswith(f"covsettle {version()}\n")
    r = run("covsettle", "check", FIXTURES, "--pattern", "*")
    assert r.returncode == 4
    assert f"{FIXTURES}/lines: ok: " in r.stdout
    assert f"{FIXTURES}/garbage: not-sqlite" in r.stdout


def test_installed_covsettle_gathers_with_debians_coverage(installed, tmp_path):
    cov = tmp_path / "cov"
    cov.mkdir()
    for i, name in enumerate(["lines", "contexts"]):
        shutil.copyfile(os.path.join(FIXTURES, name),
                        cov / f".coverage.elsewhere.{i + 10}.12345{i}")
    inputs = sorted(str(p) for p in cov.iterdir())
    r = run("covsettle", "gather", "-n", "2", "-d", "100ms",
            "--coverage", f"{PY} -m coverage",
            "--data-file", str(tmp_path / ".coverage"), str(cov),
            cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    union = [json.loads(run(PY, UNION, *paths).stdout)
             for paths in (inputs, [str(tmp_path / ".coverage")])]
    assert union[0] == union[1] and union[0]["lines"]


def test_installed_bash_completion_is_found_by_bash_completion(installed):
    # bash-completion loads the file on first use of the command name.
    r = run("bash", "-c", "source /usr/share/bash-completion/bash_completion;"
            " __load_completion covsettle && complete -p covsettle")
    assert r.stdout.strip() == "complete -F _covsettle covsettle", r.stderr
