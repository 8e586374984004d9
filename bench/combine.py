#!/usr/bin/python3
# combine.py: item 7, the native combine. covsettle's combine (combine*.c, alone
# as build/combine-tool, and inside a whole gather) against coverage.py's own
# combine, Debian's 6.5 and the newest 7.x (build/venv/cov-7.17.5), and against
# the one-SQLite-session limit (build/sqlite-limit), at 100, 1,000 and 10,000
# data files, lines and branches, with and without dynamic contexts (at 10,000,
# coverage.py and the limit run once).
"""The data files are made here with sqlite3 and coverage.py's own SCHEMA,
each different (7.x skips byte-identical inputs): 20 source files of 200
lines; every data file ran a random half of each file's lines (lines) or of
a pool of 300 arcs a file (branches); with dynamic contexts, each data file
also has one test context of its own covering 3 of the files, as pytest
with xdist or a subprocess per test makes. The sources exist, so the reports
of a whole gather are real.

Measures, each the median of the runs:
- combine alone: `combine-tool OUT IN...` (combine*.c, inputs in sorted
  order) vs `coverage combine --keep -q --data-file=OUT DIR` by 6.5 and
  7.17.5, vs `sqlite-limit` (ATTACH each file, INSERT ... SELECT by text,
  numbits OR-ed by a C aggregate, one transaction, journal off);
- a whole gather: `covsettle gather --report text` (native by default; its
  question to coverage.py included) vs `coverage combine` + `coverage report`
  by hand, with coverage.py 7.17.5;
- peak RSS (ru_maxrss) of combine-tool, and of gather's own process."""
import os
import random
import sqlite3
import subprocess

import lib

ROOT = lib.ROOT
TOOL = os.path.join(ROOT, "build", "combine-tool")
LIMIT = os.path.join(ROOT, "build", "sqlite-limit")
COV7 = os.path.join(ROOT, "build", "venv", "cov-7.17.5", "bin", "python")
PYS = {"6.5": lib.PY, "7.17.5": COV7}
SOURCES, LINES, ARCS = 20, 200, 300


def schema_of(py):
    return subprocess.run([py, "-c", "from coverage.sqldata import SCHEMA; print(SCHEMA)"],
                          capture_output=True, text=True, check=True).stdout


def numbits(lines):
    b = bytearray((max(lines) // 8 + 1) if lines else 0)
    for n in lines:
        b[n // 8] |= 1 << (n % 8)
    return bytes(b)


def make_files(d, src, n, arcs, contexts, schema, seed=7, shard=None):
    """n distinct data files in d, measuring the sources in src; with shard,
    data file k measured them in runner shard(k)'s own checkout instead:
    /runners/rSHARD/builds/acme/proj/src/mod_I.py."""
    rng = random.Random(seed)
    paths = [os.path.join(src, f"mod_{i}.py") for i in range(SOURCES)]
    pool = [[(a, b) for a, b in {(rng.randint(-1, LINES), rng.randint(-1, LINES))
                                  for _ in range(ARCS * 2)}][:ARCS] for _ in range(SOURCES)]
    for k in range(n):
        con = sqlite3.connect(os.path.join(d, lib.data_name(k)))
        con.executescript(schema)
        con.execute("insert into coverage_schema (version) values (7)")
        con.executemany("insert into meta (key, value) values (?, ?)",
                        [("version", "7.17.5"), ("has_arcs", "1" if arcs else "0")])
        if shard is not None:
            paths = [f"/runners/r{shard(k)}/builds/acme/proj/src/mod_{i}.py"
                     for i in range(SOURCES)]
        con.executemany("insert into file (id, path) values (?, ?)",
                        list(enumerate(paths, 1)))
        ctxs = [("", range(SOURCES))]
        if contexts:
            ctxs.append((f"tests.test_mod.test_{k}", rng.sample(range(SOURCES), 3)))
        for cid, (name, files) in enumerate(ctxs, 1):
            con.execute("insert into context (id, context) values (?, ?)", (cid, name))
            for f in files:
                if arcs:
                    con.executemany("insert into arc values (?, ?, ?, ?)",
                                    [(f + 1, cid, a, b) for a, b in pool[f] if rng.random() < 0.5])
                else:
                    lines = [i for i in range(1, LINES + 1) if rng.random() < 0.5]
                    con.execute("insert into line_bits values (?, ?, ?)",
                                (f + 1, cid, numbits(lines)))
        con.commit()
        con.close()


def timed(argv, **kw):
    """(wall seconds, peak RSS in MB) of argv, run to its end; it must exit 0."""
    t = lib.now()
    p = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, **kw)
    err = p.stderr.read()
    _, status, ru = os.wait4(p.pid, 0)
    wall = lib.now() - t
    p.returncode = os.waitstatus_to_exitcode(status)
    if p.returncode != 0:
        raise RuntimeError(f"{argv[:4]} exited {p.returncode}: {err.decode()[-500:]}")
    return wall, ru.ru_maxrss / 1024


def by_hand(py, d, out, report=False):
    t = lib.now()
    timed([py, "-m", "coverage", "combine", "--keep", "-q", f"--data-file={out}", d])
    if report:
        timed([py, "-m", "coverage", "report", f"--data-file={out}"])
    return lib.now() - t


def run():
    rows = []
    src = lib.tmp("combine-src")
    for i in range(SOURCES):
        with open(os.path.join(src, f"mod_{i}.py"), "w") as f:
            f.write("".join(f"x{n} = {n}\n" for n in range(1, LINES + 1)))
    schema7 = schema_of(COV7)
    schema_file = os.path.join(src, "schema.sql")
    with open(schema_file, "w") as f:
        f.write(schema7)
    out = os.path.join(lib.tmp("combine-out"), ".coverage")
    sizes = (100, 1000) if lib.QUICK else (100, 1000, 10000)
    runs = 1 if lib.QUICK else 3
    for n in sizes:
        for arcs, contexts in ((False, False), (True, False), (False, True), (True, True)):
            kind = ("branches" if arcs else "lines") + (", contexts" if contexts else "")
            d = lib.tmp(f"combine-{n}")
            make_files(d, src, n, arcs, contexts, schema7)
            inputs = sorted(os.path.join(d, f) for f in os.listdir(d))
            nat, rss, lim, cov = [], [], [], {v: [] for v in PYS}
            for i in range(runs):
                w, m = timed([TOOL, "-m", "version=7.17.5", "-s", schema_file, out, *inputs])
                nat.append(w)
                rss.append(m)
                # 10,000 files: coverage.py and the limit take up to
                # minutes each, so they run once.
                if i > 0 and n == 10000:
                    continue
                lim.append(timed([LIMIT, schema_file, out, *inputs])[0])
                for v, py in PYS.items():
                    if n < 10000 or v == "7.17.5" or not lib.QUICK:
                        cov[v].append(by_hand(py, d, out))
            t, lm = lib.median(nat), lib.median(lim)
            for v in PYS:
                if cov[v]:
                    c = lib.median(cov[v])
                    goal = (">= 10x", c / t >= 10) if v == "7.17.5" and n == 1000 else ("", "")
                    rows.append(lib.row("7", f"combine {n:,} files ({kind}): native vs "
                                        f"coverage.py {v}", lib.ms(t), lib.ms(c),
                                        f"{c / t:.1f}x faster", *goal))
            rows.append(lib.row("7", f"combine {n:,} files ({kind}): native vs one SQLite "
                                "session (the limit)", lib.ms(t), lib.ms(lm),
                                f"{t / lm:.2f}x the limit", "<= 2x" if n == 1000 else "",
                                t / lm <= 2 if n == 1000 else ""))
            rows.append(lib.row("7", f"combine {n:,} files ({kind}): peak RSS of the native "
                                "combine", f"{lib.median(rss):.1f} MB"))
            if not arcs and not contexts and n in (1000, 10000):
                rows += whole_gather(n, d, out)
    rows += fanin_gather(1000, schema7, out)
    return rows


FANIN_RC = """[run]
relative_files = True

[paths]
source =
    src/
    */src/
"""


def fanin_gather(n, schema, out):
    """The sharded fan-in, 100 shards x 10 files (lines, a test context
    each): each shard's paths are its own checkout's, folded onto this one's
    src/ by examples/ci's relative_files and [paths]; covsettle gather (native)
    vs coverage.py 7.17.5's combine + report by hand, both in the checkout."""
    work = lib.tmp("combine-fanin")
    os.makedirs(os.path.join(work, "src"))
    for i in range(SOURCES):
        with open(os.path.join(work, "src", f"mod_{i}.py"), "w") as f:
            f.write("".join(f"x{k} = {k}\n" for k in range(1, LINES + 1)))
    with open(os.path.join(work, ".coveragerc"), "w") as f:
        f.write(FANIN_RC)
    d = lib.tmp(f"combine-fanin-{n}")
    make_files(d, os.path.join(work, "src"), n, False, True, schema, shard=lambda k: k // 10)
    runs = 1 if lib.QUICK else 3
    gat, hand = [], []
    cmd = f"{COV7} -m coverage"
    for _ in range(runs):
        gat.append(timed([lib.COVSETTLE, "gather", "-q", "--debounce", "0",
                          "--ignore-writers", "--expect", str(n), "--combine=native",
                          "--coverage", cmd, "--report", "text", f"--data-file={out}", d],
                         cwd=work)[0])
        t = lib.now()
        timed([COV7, "-m", "coverage", "combine", "--keep", "-q", f"--data-file={out}", d],
              cwd=work)
        timed([COV7, "-m", "coverage", "report", f"--data-file={out}"], cwd=work)
        hand.append(lib.now() - t)
    g, h = lib.median(gat), lib.median(hand)
    return [lib.row("7", f"whole fan-in gather, {n // 10:,} shards x 10 files (lines, "
                    "contexts; relative_files, [paths]; text report): covsettle (native) vs "
                    "coverage.py 7.17.5 combine + report by hand", lib.ms(g), lib.ms(h),
                    f"{g / h * 100:.0f} % of it", "<= 25 %", g / h <= 0.25)]


def whole_gather(n, d, out):
    """covsettle gather (native) vs coverage.py 7.17.5 by hand, combine + report."""
    runs = 1 if lib.QUICK else 3
    gat, rss, hand = [], [], []
    cmd = f"{COV7} -m coverage"
    for _ in range(runs):
        w, m = timed([lib.COVSETTLE, "gather", "-q", "--debounce", "0", "--ignore-writers",
                      "--expect", str(n), "--coverage", cmd, "--report", "text",
                      f"--data-file={out}", d])
        gat.append(w)
        rss.append(m)
        hand.append(by_hand(COV7, d, out, report=True))
    g, h = lib.median(gat), lib.median(hand)
    return [lib.row("7", f"whole gather, {n:,} files (lines; text report): covsettle "
                    "(native) vs coverage.py 7.17.5 combine + report by hand", lib.ms(g),
                    lib.ms(h), f"{g / h * 100:.0f} % of it", "< 25 %" if n == 1000 else "",
                    g / h < 0.25 if n == 1000 else ""),
            lib.row("7", f"whole gather, {n:,} files: peak RSS (the largest of covsettle and the coverage.py processes it ran)",
                    f"{lib.median(rss):.1f} MB")]


if __name__ == "__main__":
    lib.main(run)
