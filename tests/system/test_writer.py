# test_writer.py: tests/writer.py itself, on each coverage.py of the matrix: its
# pause points leave the data file in the same state on every version, and its
# "file" and "renamed" lines name the file as coverage.py does.
import os
import sqlite3

from harness import covsettle

# What the data file holds at each pause point (read with SQLite's immutable
# read-only open, which takes no lock): None when it does not exist.
STATES = {
    "before-save": None,
    "between-transactions": {"schema": True, "has_arcs": False, "files": 0},
    "after-has-arcs": {"schema": True, "has_arcs": True, "files": 0},
    "before-rename": {"schema": True, "has_arcs": True, "files": 2, "hash": True},
    "after-save": {"schema": True, "has_arcs": True, "files": 2},
}


def state(path):
    if not os.path.exists(path):
        return None
    con = sqlite3.connect(f"file:{path}?mode=ro&immutable=1", uri=True)
    try:
        meta = dict(con.execute("select key, value from meta"))
        return {"schema": con.execute("select version from coverage_schema").fetchone() == (7,),
                "has_arcs": "has_arcs" in meta,
                "files": con.execute("select count(*) from file").fetchone()[0],
                **({"hash": True} if "hash" in meta else {})}
    finally:
        con.close()


def test_pause_points_mean_the_same_on_each_version(tmp_path, writer, cov):
    points = ["before-save", "between-transactions", "after-has-arcs",
              "open-transaction", "after-save"]
    if cov.renames:
        points.insert(4, "before-rename")
    w = writer(tmp_path, *[a for p in points for a in ("--pause-at", p)])
    first = w.first_path
    assert os.path.dirname(first) == str(tmp_path)
    assert cov.name_re().match(w.first_name), w.first_name
    if cov.renames:
        assert not cov.name_re().match(w.first_name)["hash"]
    for point in points:
        w.paused(point)
        if point == "open-transaction":  # written, not committed: SQLite's business
            assert os.path.exists(first)
        elif point == "after-save":
            assert state(w.path) == {**STATES[point], **({"hash": True} if cov.renames else {})}
        else:
            assert state(first) == STATES[point], point
        w.go()
    assert w.finish() == 0, w.err
    if cov.renames:
        # The final name is the first one with .H<hash>h; the first is gone.
        assert w.path != first and w.path.startswith(first + ".H")
        assert cov.name_re().match(w.name)["hash"]
        assert not os.path.exists(first)
    else:
        assert w.path == first
    assert sorted(os.listdir(tmp_path)) == [w.name]
    r = covsettle("check", w.path)
    assert r.returncode == 0 and r.stdout == f"{w.path}: ok: 2 measured files, lines\n"
