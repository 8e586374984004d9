# measured.py: what a coverage.py data file measured, as JSON on stdout:
# {file: {"lines": [...], "arcs": [[a, b], ...] or null}}, for comparing a
# combine by covsettle with coverage.py's own. Runs under any coverage.py
# from 6.5 on (the one whose data it is).
import json
import sys

from coverage import CoverageData

data = CoverageData(basename=sys.argv[1])
data.read()
out = {}
for f in sorted(data.measured_files()):
    arcs = data.arcs(f)
    out[f] = {"lines": sorted(data.lines(f) or []),
              "arcs": sorted(arcs) if arcs is not None else None}
json.dump(out, sys.stdout, sort_keys=True)
