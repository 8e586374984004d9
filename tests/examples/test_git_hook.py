# test_git_hook.py: examples/git-hooks/pre-push in a temporary repository with
# a local bare remote: pushes below the threshold are refused, others go.
import os
import shutil
import subprocess

from examples_util import ROOT, plugin_env, run_group

UNTESTED = '''

def rematch(first, second):
    """Replay a match with the firms swapped: no system test calls this."""
    swapped = [{"a": rnd["b"], "b": rnd["a"]} for rnd in first["rounds"]]
    again = play_match(swapped, first.get("cash", 100))
    if again["winner"] == "tie":
        return second
    if again["winner"] == "a":
        return {"winner": "b", "cash": again["cash"]["b"]}
    if again["rounds_played"] < len(swapped):
        return {"winner": "a", "early": True}
    return {"winner": "a", "cash": again["cash"]["a"]}
'''


def git(repo, *args):
    return subprocess.run(["git", "-C", str(repo), *args], check=True, text=True,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE).stdout.strip()


def test_pre_push_blocks_below_the_threshold(tmp_path, cov):
    remote, repo = tmp_path / "remote.git", tmp_path / "work"
    subprocess.run(["git", "init", "-q", "--bare", "-b", "main", str(remote)], check=True)
    subprocess.run(["git", "init", "-q", "-b", "main", str(repo)], check=True)
    ignore = shutil.ignore_patterns("__pycache__")
    shutil.copytree(os.path.join(ROOT, "examples", "gunicorn"),
                    repo / "examples" / "gunicorn", ignore=ignore)
    shutil.copytree(os.path.join(ROOT, "examples", "git-hooks"),
                    repo / "examples" / "git-hooks", ignore=ignore)
    (repo / ".gitignore").write_text("__pycache__/\n")
    git(repo, "config", "user.name", "Test")
    git(repo, "config", "user.email", "test@example.invalid")
    git(repo, "remote", "add", "origin", str(remote))
    # The documented install, and the threshold.
    git(repo, "config", "core.hooksPath", "examples/git-hooks")
    git(repo, "config", "covsettle.failUnder", "95")
    # On to run.sh, with the covsettle pytest plugin that its gather runs in.
    env = plugin_env(PYTHON=cov.python)

    def push():
        return run_group(["git", "-C", str(repo), "push", "origin", "main"], 150, env=env)

    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "scorer with its system tests")
    status, out, err = push()
    assert status == 0, out + err
    assert "pre-push: total coverage 100.00% is at least 95%: pushing" in err
    assert git(remote, "rev-parse", "main") == git(repo, "rev-parse", "HEAD")
    pushed = git(repo, "rev-parse", "HEAD")

    # Untested code drops the total below 95%: the push is refused, and why.
    game = repo / "examples" / "gunicorn" / "scorer" / "game.py"
    game.write_text(game.read_text() + UNTESTED)
    git(repo, "commit", "-q", "-am", "rematch, untested")
    status, out, err = push()
    assert status != 0, out + err
    assert "is below --fail-under 95" in err  # covsettle gather's own words
    assert "pre-push: push blocked: total coverage" in err
    assert "is below the threshold of 95% (covsettle.failUnder)" in err
    assert "failed to push some refs" in err
    assert git(remote, "rev-parse", "main") == pushed

    # A lower threshold lets the same commit through.
    git(repo, "config", "covsettle.failUnder", "80")
    status, out, err = push()
    assert status == 0, out + err
    assert "is at least 80%: pushing" in err
    assert git(remote, "rev-parse", "main") == git(repo, "rev-parse", "HEAD")
