#!/usr/bin/python3
# run.py [ITEM...]: what `make bench` runs. Every benchmark of bench/ in one run, side by side,
# printed as one Markdown table (bench/README.md). BENCH_QUICK=1: fewer runs, smaller sizes.
import datetime
import importlib.util
import os
import platform
import sys
import time
import traceback

import lib

ITEMS = {  # item: (module, what it needs besides covsettle and coverage.py)
    "settle": ("settle", None),
    "idle": ("idle", None),
    "check": ("check", None),
    "gather": ("gather", None),
    "scale": ("scale", None),
    "seed": ("seed", "gunicorn"),
    "restart": ("restart", "gunicorn"),
    "combine": ("combine", None),
}
COLUMNS = ("#", "measure", "covsettle", "baseline", "vs baseline", "goal", "")


def run_items(names, rows, failed):
    for name in names:
        module, needs = ITEMS[name]
        if needs and importlib.util.find_spec(needs) is None:
            rows.append(lib.row("", f"{name}: skipped, {needs} is not installed (make deps)", ""))
            continue
        print(f"bench: {name} ...", file=sys.stderr, flush=True)
        t = time.monotonic()
        try:
            rows += importlib.import_module(module).run()
        except Exception:
            traceback.print_exc()
            failed.append(name)
            rows.append(lib.row("", f"{name}: FAILED (see above)", ""))
        print(f"bench: {name} took {time.monotonic() - t:.0f} s", file=sys.stderr, flush=True)


def main(names):
    unknown = [n for n in names if n not in ITEMS]
    if unknown:
        sys.exit(f"run.py: unknown item {' '.join(unknown)}; items: {' '.join(ITEMS)}")
    if not os.access(lib.COVSETTLE, os.X_OK):
        sys.exit(f"run.py: no {lib.COVSETTLE}: run make first")
    started = time.monotonic()
    load = os.getloadavg()[0]
    rows, failed = [], []
    try:
        run_items(names or list(ITEMS), rows, failed)
    finally:
        lib.cleanup()
    now = datetime.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z")
    print(f"covsettle benchmarks, {now}, {platform.node()}: {os.cpu_count()} cores, "
          f"Linux {platform.release()}; load average {load:.2f} at the start, "
          f"{os.getloadavg()[0]:.2f} at the end; {'quick' if lib.QUICK else 'full'} run, "
          f"{time.monotonic() - started:.0f} s")
    print()
    print("| " + " | ".join(COLUMNS) + " |")
    print("|" + "|".join("---" for _ in COLUMNS) + "|")
    for r in rows:
        print("| " + " | ".join(str(v) for v in r.values()) + " |")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
