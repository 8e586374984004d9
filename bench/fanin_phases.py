#!/usr/bin/python3
# fanin_phases.py: the fan-in at 1,000 files (item 4's fixture, 100 shards x
# 10 files, examples/ci's relative_files and [paths]), two builds of covsettle
# against coverage.py by hand, interleaved, with gather's phases.
"""Not part of `make bench`: a before/after comparison for one change.

  bench/fanin_phases.py BEFORE AFTER [ROUNDS]

BEFORE and AFTER are covsettle binaries. Each round runs, in this order, the
commands by hand (gather.by_hand(): combine --keep and the four reports),
gather with BEFORE and gather with AFTER (gather.gather(), combining
natively), on coverage.py 6.5 and 7.17.5. Prints, per version, the median and
best of each, as a share of by hand's median and best, the load average at
the start and end, and the medians of gather's phases from its --json: the
wait (elapsed_ms), the combine (combine.ms: the question's answer once the
inputs are staged, and the union) and the reports (the commands' ms)."""
import json
import os
import shutil
import statistics
import subprocess
import sys

import gather as g
import lib


def phases(binary, cov, work, d, out):
    argv = [binary, "gather", "-q", "--json", "--rcfile", "coveragerc-fanin", "--report", "text",
            "--data-file", os.path.join(out, ".coverage"), "--coverage", cov.console]
    argv += [f"--report={fmt}={os.path.join(out, name)}" for fmt, _, name in g.REPORTS]
    t = lib.now()
    r = subprocess.run(argv + [d], cwd=work, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    wall = lib.now() - t
    if r.returncode != 0:
        raise RuntimeError(f"{binary} gather exited {r.returncode}")
    doc = json.loads(r.stdout)
    if doc["combine"]["method"] != "native":
        raise RuntimeError(f"gather's combine: {doc['combine']}")
    return wall, (doc["elapsed_ms"], doc["combine"]["ms"], sum(c["ms"] for c in doc["commands"]))


def load():
    with open("/proc/loadavg") as f:
        return f.read().split()[0]


def main():
    before, after = sys.argv[1], sys.argv[2]
    rounds = int(sys.argv[3]) if len(sys.argv) > 3 else 7
    work = lib.tmp("fanin-src")
    shutil.copytree(lib.FIXTURE_SRC, os.path.join(work, "src"))
    with open(os.path.join(work, "coveragerc-fanin"), "w") as f:
        f.write(g.FANIN_RC)
    out = lib.tmp("fanin-out")
    for cov in lib.COVS:
        if cov.missing():
            continue
        d = lib.fanin(f"fanin-{cov.version}-1000", 1000, cov.era)
        runs = {"by hand": [], "before": [], "after": []}
        l0 = load()
        for _ in range(rounds):
            runs["by hand"].append((g.by_hand(cov, work, d, out, "coveragerc-fanin"), None))
            runs["before"].append(phases(before, cov, work, d, out))
            runs["after"].append(phases(after, cov, work, d, out))
        hm = statistics.median(w for w, _ in runs["by hand"])
        hb = min(w for w, _ in runs["by hand"])
        print(f"coverage.py {cov.version}, {rounds} rounds, load {l0} -> {load()}")
        print(f"  by hand: median {lib.ms(hm)}, best {lib.ms(hb)}")
        for k in ("before", "after"):
            w = [x for x, _ in runs[k]]
            m, b = statistics.median(w), min(w)
            p = [statistics.median(x[i] for _, x in runs[k]) for i in range(3)]
            print(f"  {k}: median {lib.ms(m)} = {m / hm * 100:.0f} %, best {lib.ms(b)} = "
                  f"{b / hb * 100:.0f} %; medians: wait {p[0]:.0f} ms, combine {p[1]:.0f} ms, "
                  f"reports {p[2]:.0f} ms")


if __name__ == "__main__":
    try:
        main()
    finally:
        lib.cleanup()
