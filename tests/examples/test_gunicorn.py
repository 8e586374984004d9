# test_gunicorn.py: examples/gunicorn/run.sh end to end: real gunicorn, Flask,
# coverage.py and covsettle; the combined data must lose nothing. On each
# coverage.py of the matrix (PYTHON=cov.python: its venv has the rest too).
import json
import os
import re
import select
import signal
import subprocess
import time

from examples_util import (ROOT, assert_group_gone, lines_with, plugin_env,
                           run_group, union)

EXAMPLE = os.path.join(ROOT, "examples", "gunicorn")
GAME = os.path.join(EXAMPLE, "scorer", "game.py")
WEB = os.path.join(EXAMPLE, "scorer", "web.py")

# One line inside each branch the system tests take, before and after the
# restart: the combined data must hold an arc into each of them.
BEFORE_RESTART = {GAME: ['events.append("cartel")', 'events.append("price war")',
                         'events.append("a undercuts"', "pull *= 1 + min(",
                         'raise MoveError(f"{who}: a move is an object',
                         'raise MoveError(f"{who}: price must be an integer")',
                         'raise MoveError(f"{who}: price must be from',
                         'raise MoveError(f"{who}: ads must be'],
                  WEB: ['return jsonify(status="ok"', 'raise MoveError("send a JSON',
                        "return jsonify(score_round(", "return jsonify(error=str(err)), 400"]}
AFTER_RESTART = {GAME: ['raise MoveError("a match is a non-empty list of rounds")',
                        'raise MoveError(f"a match has at most',
                        'raise MoveError("cash must be',
                        'raise MoveError(f"round {played + 1}',
                        "break", 'winner = "b" if bankrupt', 'winner = "tie"',
                        'winner = "a" if totals'],
                 WEB: ["return jsonify(play_match("]}


RUN = os.path.join(EXAMPLE, "run.sh")


def flow_env(tmp_path, cov):
    return plugin_env(RUN_DIR=str(tmp_path), PYTHON=cov.python)


def test_run_combines_every_workers_data(tmp_path, cov):
    status, out, err = run_group(["sh", RUN], 150, env=flow_env(tmp_path, cov))
    assert status == 0, out + err
    assert "11 passed" in out and "8 passed" in out

    # The last gather ran after the tests' session, through the covsettle
    # pytest plugin: its section of pytest's terminal summary.
    assert re.search(r"^-+ covsettle gather -+$", out, re.M), out
    assert re.search(rf"^{re.escape(str(tmp_path))}/cov: 4 data files settled in \d+ ms; "
                     rf"4 combined into {re.escape(str(tmp_path))}/\.coverage ", out, re.M), out

    # What gather combined: the two workers before the restart, two after.
    gather = json.loads((tmp_path / "gather.json").read_text())
    assert gather["exit"] == 0 and gather["status"] == "settled"
    names = [f["name"] for f in gather["files"]]
    assert len(names) == 4 and all(f["verdict"] == "ok" for f in gather["files"])
    # One worker each, by the pid in coverage.py's names of its era.
    pid = cov.name_re()
    assert all(pid.match(n) for n in names), names
    assert len({pid.match(n).group("pid") for n in names}) == 4, names
    assert gather["inputs"] == 4 and not gather["lost"]

    # The combined file is exactly the union of the inputs gather kept.
    inputs = union(*(str(tmp_path / "cov" / n) for n in names))
    combined = union(str(tmp_path / ".coverage"))
    assert combined == inputs
    assert set(combined["arcs"]) == {"scorer/__init__.py", "scorer/game.py",
                                     "scorer/web.py"}

    # Every branch the tests exercised, before and after the restart, is there.
    for wanted in (BEFORE_RESTART, AFTER_RESTART):
        for path, snippets in wanted.items():
            rel = os.path.relpath(path, EXAMPLE)
            targets = {to for _, to in combined["arcs"][rel]}
            for snippet, line in lines_with(path, *snippets).items():
                assert line in targets, f"{rel}:{line} ({snippet}) not reached"

    # The reports, and the table printed at the end.
    reports = tmp_path / "reports"
    assert json.loads((reports / "coverage.json").read_text())["totals"]["percent_covered"] > 90
    assert (reports / "html" / "index.html").is_file()
    table = (reports / "coverage.txt").read_text()
    assert re.search(r"^TOTAL\s.*\d+%$", table, re.M) and table in out
    assert f"reports:       {reports}/coverage.txt" in out
    assert "server: stopped" in out
    assert not (tmp_path / "gunicorn.pid").exists()  # the master exited cleanly



def test_cancelled_run_stops_the_server(tmp_path, cov):
    """A CI runner cancels a job with SIGTERM to its process group: run.sh's
    trap stops gunicorn, and nothing of the group is left."""
    p = subprocess.Popen(["sh", RUN], env=flow_env(tmp_path, cov), text=True,
                         stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                         stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        deadline, seen = time.monotonic() + 60, ""
        while "== system tests, part 1" not in seen:
            left = deadline - time.monotonic()
            assert left > 0 and select.select([p.stdout], [], [], left)[0], seen
            line = p.stdout.readline()
            assert line, f"run.sh ended early: {seen}"
            seen += line
        os.killpg(p.pid, signal.SIGTERM)
        out = seen + p.communicate(timeout=60)[0]
    finally:
        if p.poll() is None:
            os.killpg(p.pid, signal.SIGKILL)
            p.wait()
    assert p.returncode != 0
    assert "server: stopped" in out
    assert_group_gone(p.pid, "run.sh after SIGTERM")
    assert not (tmp_path / "gunicorn.pid").exists()
