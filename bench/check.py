#!/usr/bin/python3
# check.py: item 3, check throughput. `covsettle check` on 1,000 and 10,000 real data files,
# against `sqlite3 FILE 'pragma quick_check'` per file and against opening each with coverage.py.
"""The files are copies of fixtures/data/lines (written by the real coverage.py
6.5), named as coverage.py names them, their writers long gone, fresh in the
page cache as files that were just written are. Wall time of the whole command,
process start included; covsettle is a median of several runs, the baselines
(much slower) of fewer. The coverage.py baseline runs in one /usr/bin/python3
process: CoverageData(FILE).read(), then the lines of every measured file."""

import lib

SQLITE_LOOP = 'for f in "$1"/.coverage.*; do sqlite3 -readonly "$f" "pragma quick_check" >/dev/null; done'
COVERAGE_PY = """
import glob, sys
from coverage import CoverageData
n = 0
for path in glob.glob(sys.argv[1] + "/.coverage.*"):
    data = CoverageData(basename=path)
    data.read()
    for f in data.measured_files():
        data.lines(f)
    n += 1
print(n)
"""


def rate(n, seconds):
    return f"{n / seconds:,.0f} files/s"


def run():
    rows = []
    sizes = (1000,) if lib.QUICK else (1000, 10000)
    for n in sizes:
        d = lib.linked(f"check-{n}", n)
        runs = 3 if lib.QUICK else 7
        slow_runs = 1 if (lib.QUICK or n > 1000) else 3
        lib.run_timed([lib.COVSETTLE, "check", "-q", d])  # once to warm up
        cov, sq, cpy = [], [], []
        for i in range(runs):
            t, rc = lib.run_timed([lib.COVSETTLE, "check", "-q", d])
            if rc != 0:
                raise RuntimeError(f"covsettle check exited {rc}")
            cov.append(t)
            if i < slow_runs:
                sq.append(lib.run_timed(["sh", "-c", SQLITE_LOOP, "sh", d])[0])
                t, rc = lib.run_timed([lib.PY, "-c", COVERAGE_PY, d])
                if rc != 0:
                    raise RuntimeError(f"coverage.py exited {rc}")
                cpy.append(t)
        c, s, p = lib.median(cov), lib.median(sq), lib.median(cpy)
        rows.append(lib.row("3", f"check {n:,} files: covsettle check vs sqlite3 quick_check per file",
                            rate(n, c), rate(n, s), f"{s / c:.1f}x faster",
                            ">= 5,000 files/s", n / c >= 5000))
        rows.append(lib.row("3", f"check {n:,} files: covsettle check vs coverage.py opening each",
                            rate(n, c), rate(n, p),
                            f"{p / c:.1f}x faster"))
    return rows


if __name__ == "__main__":
    lib.main(run)
