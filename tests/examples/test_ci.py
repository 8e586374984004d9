# test_ci.py: the sharded CI flow of examples/ci played for real, since the
# GitHub and GitLab files cannot run here. Each shard is a pytest run under
# coverage.py (examples/ci/shard.sh, on each version of the matrix) in its own UTS namespace with its own
# host name, in its own checkout path; their data files are copied into one
# directory as an artifact download would, and examples/ci/fan-in.sh (covsettle
# check, then gather --expect N) combines them with relative_files and [paths].
import os
import shutil
import subprocess

import pytest

from examples_util import COVSETTLE, ROOT, run_group, union

CI = os.path.join(ROOT, "examples", "ci")
SAMPLE = os.path.join(CI, "sample")
SHARDS = 3
MEASURED = {"ledger/__init__.py", "ledger/accounts.py", "ledger/money.py",
            "ledger/report.py"}

def checkout(path):
    """A fresh checkout of the sample project at path."""
    shutil.copytree(SAMPLE, path, ignore=shutil.ignore_patterns(
        "__pycache__", ".coverage", ".coverage.*", "cov", "coverage.xml"))
    return path


# The shards of each coverage.py, run once for all the tests that use them.
_RUNS = {}


@pytest.fixture
def shards(cov, tmp_path_factory):
    """Run every shard under cov; (its coverage command, {index: its data
    file's path})."""
    if os.geteuid() != 0:
        pytest.skip("unshare --uts needs root")
    if cov.version not in _RUNS:
        _RUNS[cov.version] = run_shards(
            cov, tmp_path_factory.mktemp(f"runners-{cov.id}"))
    return cov.command, _RUNS[cov.version]


def run_shards(cov, base):
    out = {}
    for i in range(1, SHARDS + 1):
        work = checkout(base / f"runner-{i}" / "builds" / "acme" / f"ledger-{i}")
        host = f"runner-{i}.ci.example"
        status, stdout, stderr = run_group(
            ["unshare", "--uts", "sh", "-c",
             'hostname "$0" && exec sh "$1" "$2" "$3" cov',
             host, os.path.join(CI, "shard.sh"), str(i), str(SHARDS)],
            timeout=300, cwd=work, env=dict(os.environ, COVERAGE=cov.command))
        assert status == 0, stdout + stderr
        files = os.listdir(work / "cov")
        assert len(files) == 1, files
        # The data file names the shard's own host: a UTS namespace each
        # (7.13.1 and later write its dots as '_').
        assert files[0].startswith(f".coverage.{host}.") or \
            files[0].startswith(f".coverage.{host.replace('.', '_')}."), files
        out[i] = str(work / "cov" / files[0])
    return out


def fan_in(tmp_path, coverage, files, timeout="30s"):
    """Download files into a fresh checkout's cov/ and run fan-in.sh there;
    (status, stdout, stderr, checkout)."""
    work = checkout(tmp_path / "fanin" / "work" / "ledger")
    (work / "cov").mkdir()
    for f in files:
        shutil.copy2(f, work / "cov" / os.path.basename(f))
    status, out, err = run_group(
        ["sh", os.path.join(CI, "fan-in.sh"), str(SHARDS), "cov"],
        timeout=300, cwd=work,
        env=dict(os.environ, COVSETTLE=COVSETTLE, FANIN_TIMEOUT=timeout,
                 COVERAGE=coverage))
    return status, out, err, work


def test_all_shards_combine_to_their_union(shards, tmp_path):
    coverage, files = shards
    status, out, err, work = fan_in(tmp_path, coverage, files.values())
    assert status == 0, out + err
    combined = union(str(work / ".coverage"))
    assert combined == union(*files.values())
    # One set of paths, whatever checkout each shard ran in.
    assert set(combined["lines"]) == MEASURED
    # Each shard measured lines no other did: a lost one would show.
    for i, f in files.items():
        mine = union(f)["lines"]
        assert any(set(mine.get(p, [])) < set(combined["lines"][p])
                   for p in MEASURED), i
        others = union(*(g for j, g in files.items() if j != i))["lines"]
        assert others != combined["lines"], f"shard {i} added nothing"
    assert "TOTAL" in out and (work / "coverage.xml").is_file()
    for f in files.values():  # the downloads are kept
        assert (work / "cov" / os.path.basename(f)).is_file()


def test_a_missing_shard_fails_naming_how_many_arrived(shards, tmp_path):
    coverage, files = shards
    status, out, err, work = fan_in(tmp_path, coverage,
                                    [files[1], files[3]], timeout="3s")
    assert status == 3, out + err
    assert "2 of 3 expected data files" in err
    assert not (work / ".coverage").exists()


def test_a_corrupt_upload_fails_naming_it(shards, tmp_path):
    coverage, files = shards
    broken = tmp_path / "broken" / os.path.basename(files[2])
    broken.parent.mkdir()
    with open(files[2], "rb") as f:
        data = f.read()
    broken.write_bytes(data[:len(data) // 2])  # an upload cut short
    status, out, err, work = fan_in(tmp_path, coverage,
                                    [files[1], str(broken), files[3]])
    assert status == 4, out + err
    line = [l for l in out.splitlines() if broken.name in l]
    assert line and line[0].startswith(f"cov/{broken.name}: "), out
    assert (work / "cov" / broken.name).read_bytes() == data[:len(data) // 2]
    assert not (work / ".coverage").exists()


def _yaml(name):
    import yaml  # python3-yaml
    with open(os.path.join(CI, name)) as f:
        return yaml.safe_load(f)


def test_github_recipe_runs_the_tested_scripts_on_every_shard():
    wf = _yaml("github-actions.yml")
    jobs = wf["jobs"]
    shards = jobs["shard"]["strategy"]["matrix"]["shard"]
    assert int(wf["env"]["SHARDS"]) == len(shards) == SHARDS
    steps = jobs["shard"]["steps"]
    assert any(s.get("run") == 'sh ../shard.sh ${{ matrix.shard }} "$SHARDS" cov'
               for s in steps)
    upload = [s for s in steps if s.get("uses", "").startswith(
        "actions/upload-artifact")][0]
    # .coverage.* files are hidden: left out unless include-hidden-files.
    assert upload["with"]["include-hidden-files"] is True
    assert upload["with"]["path"] == "examples/ci/sample/cov/"
    assert "!cancelled()" in upload["if"]
    fan = jobs["fan-in"]
    assert "shard" in fan["needs"] and "!cancelled()" in fan["if"]
    download = [s for s in fan["steps"] if s.get("with", {}).get("pattern")][0]
    assert upload["with"]["name"].startswith(download["with"]["pattern"].rstrip("*"))
    assert download["with"]["merge-multiple"] is True
    assert download["with"]["path"] == "examples/ci/sample/cov"
    assert any(s.get("run") == 'sh ../fan-in.sh "$SHARDS" cov' for s in fan["steps"])
    assert any("examples/gunicorn/run.sh" in s.get("run", "")
               for s in jobs["restart"]["steps"])


def test_gitlab_recipe_runs_the_tested_scripts_on_every_shard():
    ci = _yaml("gitlab-ci.yml")
    assert int(ci["variables"]["SHARDS"]) == ci["shard"]["parallel"] == SHARDS
    assert 'sh ../shard.sh "$CI_NODE_INDEX" "$CI_NODE_TOTAL" cov' in \
        ci["shard"]["script"]
    assert ci["shard"]["artifacts"]["when"] == "always"
    assert ci["shard"]["artifacts"]["paths"] == ["examples/ci/sample/cov/"]
    fan = ci["coverage"]
    assert fan["when"] == "always"
    assert {"job": "shard", "artifacts": True} in fan["needs"]
    assert 'sh ../fan-in.sh "$SHARDS" cov' in fan["script"]
    assert any("examples/gunicorn/run.sh" in line
               for line in ci["restart"]["script"])
