# test_precommit.py: .pre-commit-hooks.yaml with the real pre-commit (the
# tools venv's, from PyPI) in a sample project whose data files the real
# coverage.py writes: `pre-commit try-repo` on this checkout, and a user's
# three lines of .pre-commit-config.yaml gating a real `git push` through
# the pre-push hook that `pre-commit install` writes. The hooks run the
# covsettle that pip installed from the wheel (pip --target, on PATH).
import os
import re
import shutil

import pytest

from wheelutil import PIP, ROOT, TOOLS_VENV, clean_env, run, wheel

PRE_COMMIT = f"{TOOLS_VENV}/bin/pre-commit"
# 4 statements, one never run: 75%.
PROGRAM = 'import sys\nif len(sys.argv) > 5:\n    print("never")\nprint("ran")\n'
USER_CONFIG = """\
repos:
  - repo: {repo}
    rev: {rev}
    hooks: [{{id: covsettle-gather, args: [--fail-under={under}, cov]}}]
"""


@pytest.fixture(scope="module")
def bin_dir(tmp_path_factory):
    """The wheel installed with pip --target: its bin/ holds covsettle."""
    where = tmp_path_factory.mktemp("target")
    r = run(f"{TOOLS_VENV}/bin/python", *PIP, "install", "--no-index", "--no-deps",
            "--target", str(where), wheel())
    assert r.returncode == 0, r.stdout + r.stderr
    return where / "bin"


def env_for(tmp_path, bin_dir):
    """The hooks find covsettle and Debian's coverage.py on PATH; git has an
    identity; pre-commit keeps its cache in tmp_path."""
    env = clean_env()
    env.update(PATH=f"{bin_dir}:/usr/bin:/bin", PRE_COMMIT_HOME=str(tmp_path / "cache"),
               GIT_AUTHOR_NAME="A User", GIT_AUTHOR_EMAIL="user@example.org",
               GIT_COMMITTER_NAME="A User", GIT_COMMITTER_EMAIL="user@example.org",
               GIT_CONFIG_NOSYSTEM="1", HOME=str(tmp_path))
    return env


def git(env, cwd, *args):
    r = run("git", *args, cwd=cwd, env=env)
    assert r.returncode == 0, r.stdout + r.stderr
    return r.stdout.strip()


def project(tmp_path, env):
    """A git project with two data files of the real coverage.py in cov/."""
    work = tmp_path / "project"
    work.mkdir()
    git(env, work, "init", "-q", "-b", "main")
    (work / "prog.py").write_text(PROGRAM)
    (work / ".gitignore").write_text("cov/\n.coverage\n")
    for _ in range(2):
        r = run("/usr/bin/python3", "-m", "coverage", "run", "--parallel-mode",
                "--data-file=cov/.coverage", "prog.py", cwd=work, env=env)
        assert r.returncode == 0, r.stderr
    git(env, work, "add", "-A")
    git(env, work, "commit", "-q", "-m", "a program")
    return work


def test_try_repo_on_this_checkout(tmp_path, bin_dir):
    env = env_for(tmp_path, bin_dir)
    work = project(tmp_path, env)
    r = run(PRE_COMMIT, "try-repo", ROOT, "covsettle-gather", "--hook-stage", "pre-push",
            "--all-files", "--verbose", cwd=work, env=env, timeout=120)
    out = r.stdout + r.stderr
    # The manifest's default, --fail-under=90, against 75%: the gate fails.
    assert r.returncode == 1, out
    assert re.search(r"^covsettle gather \(coverage gate\)\.+Failed$", out, re.M), out
    assert re.search(r"^TOTAL\s+4\s+1\s+75%$", out, re.M), out
    assert "covsettle: total coverage 75% is below --fail-under 90" in out

    r = run(PRE_COMMIT, "try-repo", ROOT, "covsettle-check", "--hook-stage", "pre-push",
            "--all-files", cwd=work, env=env, timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr
    assert re.search(r"^covsettle check \(data files\)\.+Passed$", r.stdout, re.M), r.stdout


def test_three_lines_gate_a_real_push(tmp_path, bin_dir):
    env = env_for(tmp_path, bin_dir)
    # The hooks' repository, as pre-commit clones it: the manifest at a rev.
    hooks = tmp_path / "hooks"
    hooks.mkdir()
    git(env, hooks, "init", "-q", "-b", "main")
    shutil.copy(os.path.join(ROOT, ".pre-commit-hooks.yaml"), hooks)
    git(env, hooks, "add", "-A")
    git(env, hooks, "commit", "-q", "-m", "hooks")
    rev = git(env, hooks, "rev-parse", "HEAD")

    work = project(tmp_path, env)
    remote = tmp_path / "remote.git"
    git(env, tmp_path, "init", "-q", "--bare", str(remote))
    git(env, work, "remote", "add", "origin", str(remote))
    config = USER_CONFIG.format(repo=hooks, rev=rev, under=90)
    assert len(config.splitlines()) == 4  # `repos:` and the three lines
    (work / ".pre-commit-config.yaml").write_text(config)
    git(env, work, "add", ".pre-commit-config.yaml")
    git(env, work, "commit", "-q", "-m", "coverage gate")
    r = run(PRE_COMMIT, "install", "--hook-type", "pre-push", cwd=work, env=env)
    assert r.returncode == 0, r.stdout + r.stderr

    # 75% < 90%: the push is refused, and the remote has nothing.
    r = run("git", "push", "-q", "origin", "main", cwd=work, env=env, timeout=120)
    out = r.stdout + r.stderr
    assert r.returncode != 0, out
    assert re.search(r"^covsettle gather \(coverage gate\)\.+Failed$", out, re.M), out
    assert "covsettle: total coverage 75% is below --fail-under 90" in out
    assert git(env, remote, "branch", "--list") == ""

    # At 70% the same data passes, and the push goes through.
    (work / ".pre-commit-config.yaml").write_text(config.replace("=90", "=70"))
    git(env, work, "commit", "-q", "-am", "a lower gate")
    r = run("git", "push", "-q", "origin", "main", cwd=work, env=env, timeout=120)
    out = r.stdout + r.stderr
    assert r.returncode == 0, out
    assert re.search(r"^covsettle gather \(coverage gate\)\.+Passed$", out, re.M), out
    assert git(env, remote, "rev-parse", "main") == git(env, work, "rev-parse", "HEAD")
