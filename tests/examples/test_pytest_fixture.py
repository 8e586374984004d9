# test_pytest_fixture.py: examples/pytest-fixture run by pytest with pytest-cov;
# the server subprocess's lines must be in the report and in the combined data,
# the server stopped through the covsettle pytest plugin's covsettle_restart.
# On each coverage.py of the matrix (its venv has pytest and pytest-cov too).
import os
import re
import shutil

from examples_util import ROOT, group_members, lines_with, plugin_env, run_group, union

EXAMPLE = os.path.join(ROOT, "examples", "pytest-fixture")


def test_server_lines_are_covered(tmp_path, cov):
    # A copy, so the data files and the combined .coverage land in tmp_path.
    work = tmp_path / "example"
    shutil.copytree(EXAMPLE, work, ignore=shutil.ignore_patterns("__pycache__"))
    # The server fixture stops it through the covsettle plugin's fixture.
    status, out, err = run_group([cov.python, "-m", "pytest", "-s"], 120, cwd=work,
                                 env=plugin_env())
    assert status == 0, out + err
    assert "4 passed" in out
    # The server ran in its own process group; nothing of it is left.
    server_group = int(re.search(r"auction\.py: http://\S+, process group (\d+)$", out, re.M)[1])
    assert group_members(server_group) == []
    # covsettle waited for the server's file before pytest-cov combined it.
    # From 7.13.1 the server process under pytest-cov 5 also leaves a second
    # data file with nothing measured: saved (and renamed) as it starts, and
    # written again as it exits, so it is new to `wait --new-only` too.
    files = "1 data file" if cov.era < 3 else "2 data files"
    assert re.search(rf"^covsettle: settled: {files} in ", err, re.M), err
    # pytest-cov's table: auction.py, measured only in the server process.
    row = re.search(r"^auction\.py\s+(\d+)\s+(\d+)\s+\d+\s+\d+\s+(\d+)%", out, re.M)
    assert row, out
    statements, missed, percent = map(int, row.groups())
    assert statements > 20 and missed == 0 and percent >= 90

    # The combined file holds the request handlers' lines, and nothing is
    # left uncombined: pytest-cov combined the server's file whole.
    measured = union(str(work / ".coverage"))["lines"][str(work / "auction.py")]
    handlers = lines_with(str(work / "auction.py"),
                          'return jsonify(error="no bids yet"), 404',
                          "price = ranked[1][1] if len(ranked) > 1",
                          'return jsonify(error="a bidder can only raise a bid"), 409',
                          "bids[bidder] = amount",
                          'print(f"listening on')
    for snippet, line in handlers.items():
        assert line in measured, f"auction.py:{line} ({snippet}) not covered"
    assert not list(work.glob(".coverage.*"))
