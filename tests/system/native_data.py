# native_data.py: coverage.py data files for the native-combine oracle
# (test_native_combine.py), written through coverage.py's own CoverageData API
# by the coverage.py under test. Run as a script with that version's Python:
#
#   PYTHON native_data.py SPEC.json
#
# SPEC: {"src": DIR, "out": DIR, "seed": N, "modules": K, "lines": L,
#        "inputs": [INPUT, ...]}
# INPUT: {"name": ".coverage.x", "arcs": bool, "contexts": [names],
#         "files": [module indexes], "touch": [module indexes],
#         "tracers": {module index: name}, "big": bool, "empty": bool,
#         "copy_of": index of an earlier input (a byte-identical copy),
#         "paths": [[module index, ROOT], ...]}
# The modules are SRC/nd_mod_I.py, L lines each, every line a statement.
# "paths" records the modules under other names instead of "files", as
# another runner's checkout would: ROOT/src/nd_mod_I.py, with backslashes
# when ROOT has one (a Windows runner), src/nd_mod_I.py when ROOT is "".
import json
import os
import random
import shutil
import sys

from coverage.sqldata import CoverageData


def module(src, i):
    return os.path.join(src, f"nd_mod_{i}.py")


def write_sources(spec):
    os.makedirs(spec["src"], exist_ok=True)
    for i in range(spec["modules"]):
        text = "".join(f"x{n} = {n}\n" for n in range(1, spec["lines"] + 1))
        with open(module(spec["src"], i), "w") as f:
            f.write(text)


def some_lines(rng, spec, big):
    top = spec["lines"] + 3
    lines = set(rng.sample(range(1, top), rng.randint(1, top - 1)))
    if big:
        lines |= {rng.randint(1, 1 << 20) for _ in range(5)} | {(1 << 20) + 7}
    return lines


def some_arcs(rng, spec, big):
    top = spec["lines"] + 1
    arcs = {(rng.randint(-top, top), rng.randint(-top, top))
            for _ in range(rng.randint(1, 3 * top))}
    arcs.add((-1, 1))
    if big:
        arcs |= {(rng.randint(1, 1 << 20), -1) for _ in range(5)}
    return arcs


def write_input(spec, rng, inp, made):
    path = os.path.join(spec["out"], inp["name"])
    if "copy_of" in inp:
        shutil.copyfile(made[inp["copy_of"]], path)
        return path
    data = CoverageData(path)
    if inp.get("empty"):
        # A run that measured nothing: schema, meta and has_arcs, no rows.
        if inp.get("arcs"):
            data.add_arcs({})
        else:
            data.add_lines({})
        return path
    files = [module(spec["src"], i) for i in inp.get("files", [])]
    for i, root in inp.get("paths", []):
        sep = "\\" if "\\" in root else "/"
        files.append(sep.join([root, "src", f"nd_mod_{i}.py"]) if root else
                     f"src/nd_mod_{i}.py")
    for ctx in inp.get("contexts", [""]):
        data.set_context(ctx)
        if inp.get("arcs"):
            data.add_arcs({f: some_arcs(rng, spec, inp.get("big")) for f in files})
        else:
            data.add_lines({f: some_lines(rng, spec, inp.get("big")) for f in files})
    tracers = {module(spec["src"], int(i)): t for i, t in inp.get("tracers", {}).items()}
    touch = [module(spec["src"], i) for i in inp.get("touch", [])]
    if touch:
        data.touch_files(touch)
    if tracers:
        data.add_file_tracers(tracers)
    data.write()
    return path


def main():
    with open(sys.argv[1]) as f:
        spec = json.load(f)
    write_sources(spec)
    os.makedirs(spec["out"], exist_ok=True)
    rng = random.Random(spec["seed"])
    made = []
    for inp in spec["inputs"]:
        made.append(write_input(spec, rng, inp, made))


if __name__ == "__main__":
    main()
