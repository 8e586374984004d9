#!/usr/bin/python3
# gather.py: item 4, gather overhead. `covsettle gather` against `coverage combine` plus the
# same reports run by hand (coverage.py alone), at 10, 100 and 1,000 real data files; on
# Debian's coverage.py 6.5 and on the newest coverage.py (7.17.5, a venv of `make deps`).
"""Both run in a copy of fixtures/src (the sources the data files measured) on
a directory whose files settled long ago, so gather's wait ends at once and what
remains is its own work: checking every file, staging, checking the combined
file, and finding coverage.py (gather runs `CMD --version` alongside its
wait, also when the command is named with --coverage; a separate row lets
gather look for it itself). By hand, as a CI script would:

  python3-coverage combine --keep -q --rcfile=coveragerc DIR
  python3-coverage report --rcfile=coveragerc
  python3-coverage json|xml|html -q --rcfile=coveragerc -o/-d OUT

On 7.17.5 the data files are that version's own (fixtures/data/era-7.17.5-lines)
under its names, .coverage.HOST_.pidPID.X...x.H...h, each with its own hash, and
its console script runs (build/venv/cov-7.17.5/bin/coverage); gather finding
coverage.py itself is measured on 6.5 only (PATH has Debian's).

Runs alternate between the two. Two figures: gather's own time (its wall time
minus the coverage.py commands it ran, timed by gather itself, --json), the
exact one, as a share of the by-hand median; and the ratio of the medians of
the whole runs, which on a shared machine varies by more than 5 % from run to
run since each holds five Python starts."""
import json
import os
import shutil
import subprocess

import lib

REPORTS = (("json", "-o", "coverage.json"), ("xml", "-o", "coverage.xml"), ("html", "-d", "htmlcov"))


# The fan-in's configuration (examples/ci): relative paths, and [paths] folding
# every runner's checkout onto this one's src/.
FANIN_RC = """[run]
relative_files = True
disable_warnings = module-not-imported, no-data-collected

[paths]
source =
    src/
    */src/
"""


def by_hand(cov, work, d, out, rcfile="coveragerc"):
    rc = f"--rcfile={rcfile}"
    cmds = [[cov.console, "combine", "--keep", "-q", rc, d], [cov.console, "report", rc]]
    cmds += [[cov.console, fmt, "-q", rc, flag, os.path.join(out, name)] for fmt, flag, name in REPORTS]
    t = lib.now()
    for argv in cmds:
        if subprocess.run(argv, cwd=work, stdout=subprocess.DEVNULL).returncode != 0:
            raise RuntimeError(f"{' '.join(argv)} failed")
    return lib.now() - t


def gather(cov, work, d, out, named=True, rcfile="coveragerc", method=None):
    """Wall time, and gather's own part of it: wall minus the coverage.py commands
    it ran (their times from --json), which by hand runs too."""
    argv = [lib.COVSETTLE, "gather", "-q", "--json", "--rcfile", rcfile, "--report", "text",
            "--data-file", os.path.join(out, ".coverage")]
    if named:  # as by hand: the command is named, not looked for
        argv += ["--coverage", cov.console]
    argv += [f"--report={fmt}={os.path.join(out, name)}" for fmt, _, name in REPORTS]
    t = lib.now()
    r = subprocess.run(argv + [d], cwd=work, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    wall = lib.now() - t
    if r.returncode != 0:
        raise RuntimeError(f"covsettle gather exited {r.returncode}")
    doc = json.loads(r.stdout)
    if method is not None and doc["combine"]["method"] != method:
        raise RuntimeError(f"gather's combine: {doc['combine']}")
    cmds = sum(c["ms"] for c in doc["commands"]) / 1000
    return wall, wall - cmds


def run():
    work = lib.tmp("gather-src")
    shutil.copytree(lib.FIXTURE_SRC, work, dirs_exist_ok=True)
    out = lib.tmp("gather-out")
    rows = []
    for cov in lib.COVS:
        if cov.missing():
            rows.append(lib.row("4", f"gather on coverage.py {cov.version}: skipped, no "
                                f"{cov.python} (make deps)", ""))
            continue
        for n in (10, 100, 1000):
            d = lib.linked(f"gather-{cov.version}-{n}", n, cov.era)
            runs = 3 if lib.QUICK else 7
            hand, total, own, found = [], [], [], []
            for _ in range(runs):
                hand.append(by_hand(cov, work, d, out))
                wall, mine = gather(cov, work, d, out)
                total.append(wall)
                own.append(mine)
                if n == 10 and cov.python == lib.PY:
                    found.append(gather(cov, work, d, out, named=False))
            h, c, o = lib.median(hand), lib.median(total), lib.median(own)
            rows.append(lib.row("4", f"gather overhead, {n:,} files (combine; text, json, xml, html): "
                                f"own time, and ratio of medians; coverage.py {cov.version}",
                                f"{lib.ms(o)} own = {o / h * 100:.1f} % (total {lib.ms(c)})",
                                lib.ms(h), f"{(c - h) / h * 100:+.1f} %", "<= 5 %", o / h <= 0.05))
            if found:
                fo = lib.median([f[1] for f in found])
                rows.append(lib.row("4", f"the same, {n} files, coverage.py found by gather itself "
                                    f"(PATH: {cov.version})",
                                    f"{lib.ms(fo)} own = {fo / h * 100:.1f} %", lib.ms(h), "",
                                    "<= 5 %", fo / h <= 0.05))
    rows += fanin_rows(out)
    return rows


def fanin_rows(out):
    """The fan-in: 10 data files a shard, each shard's runner its own checkout
    (lib.fanin()), combined under FANIN_RC, natively since coverage.py maps the
    paths; the whole gather against combine and the same reports by hand. At
    1,000 files that is 100 shards x 10 files."""
    work = lib.tmp("fanin-src")
    shutil.copytree(lib.FIXTURE_SRC, os.path.join(work, "src"))
    with open(os.path.join(work, "coveragerc-fanin"), "w") as f:
        f.write(FANIN_RC)
    rows = []
    for cov in lib.COVS:
        if cov.missing():
            continue
        for n in (10, 100, 1000):
            d = lib.fanin(f"fanin-{cov.version}-{n}", n, cov.era)
            runs = 3 if lib.QUICK else 7
            hand, total = [], []
            for _ in range(runs):
                hand.append(by_hand(cov, work, d, out, "coveragerc-fanin"))
                total.append(gather(cov, work, d, out, rcfile="coveragerc-fanin",
                                    method="native")[0])
            h, c = lib.median(hand), lib.median(total)
            goal = ("<= 25 %", c / h <= 0.25) if n == 1000 else ("<= 100 %", c <= h)
            rows.append(lib.row("4", f"fan-in gather, {n // 10:,} shards x 10 files "
                                f"(relative_files, [paths]; text, json, xml, html), "
                                f"whole run vs by hand; coverage.py {cov.version}",
                                lib.ms(c), lib.ms(h), f"{c / h * 100:.0f} %", *goal))
    return rows


if __name__ == "__main__":
    lib.main(run)
