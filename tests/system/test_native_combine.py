# test_native_combine.py: the oracle of covsettle's native combine. For every
# case and every coverage.py of the matrix, the native result must equal what
# that coverage.py's own `combine` makes of the same files: the same has_arcs,
# meta keys and version, files, contexts, (file, context, line) and (file,
# context, from, to) sets and tracers; and byte-identical report, json, xml,
# lcov and html outputs (timestamps set aside), each run in a clean directory
# on a data file at the same path. Inputs are real: written through
# coverage.py's CoverageData API (native_data.py) or by `coverage run`.
import glob
import hashlib
import json
import os
import re
import shutil
import sqlite3
import subprocess
import urllib.error
import urllib.request

import pytest

from harness import COVSETTLE, LONG, ROOT

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(HERE, "native_data.py")

# Every report a user may ask gather for, and the contexts shown.
REPORTS = r'''
import contextlib, io, sys
from coverage.cmdline import main
runs = [["report", "-m"], ["json", "-o", "r.json"],
        ["json", "--show-contexts", "-o", "ctx.json"], ["xml", "-o", "r.xml"],
        ["lcov", "-o", "r.lcov"], ["html", "-d", "html"],
        ["html", "--show-contexts", "-d", "htmlctx"]]
for i, args in enumerate(runs):
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
        try:
            st = main(args)
        except SystemExit as e:
            st = e.code
        except Exception as e:  # random arcs can crash a reporter: both alike
            st = f"{type(e).__name__}: {e}"
    with open(f"run{i}.out", "w") as f:
        f.write(f"{' '.join(args)}: {st}\n{out.getvalue()}")
'''

TIMES = [
    (re.compile(r"\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(:\d{2}(\.\d+)?)?( [+-]\d{4})?"), "TIME"),
    (re.compile(r'timestamp="\d+"'), 'timestamp=""'),
]


def sh(argv, cwd=None, check=True, env=None):
    r = subprocess.run(argv, cwd=cwd, capture_output=True, text=True, timeout=LONG * 4,
                       stdin=subprocess.DEVNULL, env=env)
    if check and r.returncode != 0:
        raise AssertionError(f"{argv} exited {r.returncode}:\n{r.stdout}\n{r.stderr}")
    return r


def reference(cov, indir, outdir, cwd=None):
    """coverage.py's own combine of indir's .coverage.* files, in cwd (where
    its configuration is) or else outdir."""
    os.makedirs(outdir)
    out = os.path.join(outdir, ".coverage")
    sh([*cov.cmd, "combine", "--keep", "-q", f"--data-file={out}", indir], cwd=cwd or outdir)
    return out


TOOL = os.path.join(ROOT, "build", "combine-tool")
INFO = ("import coverage, json; from coverage.sqldata import SCHEMA; "
        "print(json.dumps([coverage.__version__, SCHEMA]))")
# The order in which coverage.py reads the files it combines.
ORDER = ("import json, sys; from coverage.data import combinable_files; "
         "print(json.dumps(combinable_files(sys.argv[1], [sys.argv[2]])))")


def native_tool(cov, indir, outdir, prefix=(), env=None):
    """build/combine-tool (the native combine alone) on indir, as gather calls
    it (run under PREFIX, in ENV, when given)."""
    os.makedirs(outdir)
    out = os.path.join(outdir, ".coverage")
    version, schema = json.loads(sh([cov.python, "-c", INFO]).stdout)
    (open(os.path.join(outdir, "schema"), "w")).write(schema)
    meta = [f"version={version}"]
    if version.startswith("6."):
        meta = ["sys_argv=[]", f"version={version}", "when=2026-01-01 00:00:00"]
    argv = [TOOL, "-s", os.path.join(outdir, "schema")]
    for m in meta:
        argv += ["-m", m]
    if version.startswith("6.") or version.startswith("7.3."):
        argv.append("-e")
    order = json.loads(sh([cov.python, "-c", ORDER, out, indir]).stdout)
    sh([*prefix, *argv, out, *order], env=env)
    os.unlink(os.path.join(outdir, "schema"))
    return out


def gather(cov, indir, outdir, method, *extra, rc=0, cwd=None):
    """covsettle gather --combine=METHOD on indir, in cwd: the combined file.
    A report that fails (rc 5) still leaves the combined file in place."""
    os.makedirs(outdir)
    out = os.path.join(outdir, ".coverage")
    n = len(glob.glob(os.path.join(indir, ".coverage.*")))
    r = sh([COVSETTLE, "gather", f"--combine={method}", "--expect", str(n), "--debounce", "0",
            "--ignore-writers", "--coverage", cov.command, f"--data-file={out}", "--json",
            *extra, indir], check=False, cwd=cwd)
    assert r.returncode == rc, r.stderr
    assert json.loads(r.stdout)["combine"]["method"] == method, r.stdout
    return out


def numbits_lines(blob):
    return {i * 8 + b for i, byte in enumerate(blob) for b in range(8) if byte & (1 << b)}


def facts(path):
    """What coverage.py and its reports can see of a data file."""
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    meta = dict(con.execute("select key, value from meta"))
    files = dict(con.execute("select id, path from file"))
    ctxs = dict(con.execute("select id, context from context"))
    lines = {(files[f], ctxs[c], n)
             for f, c, bits in con.execute("select file_id, context_id, numbits from line_bits")
             for n in numbits_lines(bits)}
    # a (file, context) with a row, even an empty one
    line_rows = {(files[f], ctxs[c]) for f, c in con.execute(
        "select file_id, context_id from line_bits")}
    arcs = {(files[f], ctxs[c], a, b) for f, c, a, b in con.execute(
        "select file_id, context_id, fromno, tono from arc")}
    tracers = {files[f]: t for f, t in con.execute("select file_id, tracer from tracer")}
    schema = [r[0] for r in con.execute("select sql from sqlite_master order by name")]
    version = list(con.execute("select version from coverage_schema"))
    con.close()
    return {
        "meta keys": sorted(meta), "version": meta.get("version"),
        "has_arcs": meta.get("has_arcs"), "files": sorted(files.values()),
        "contexts": sorted(ctxs.values()), "lines": lines, "line rows": line_rows,
        "arcs": arcs, "tracers": tracers, "schema": schema, "schema version": version,
    }


def report_outputs(cov, datafile, workdir, project=None):
    """Every report of datafile, run at workdir/.coverage: {name: text}.
    workdir starts as a copy of project (its sources and configuration,
    for relative paths) when given, else empty."""
    if os.path.exists(workdir):
        shutil.rmtree(workdir)
    if project is not None:
        shutil.copytree(project, workdir)
    else:
        os.makedirs(workdir)
    shutil.copyfile(datafile, os.path.join(workdir, ".coverage"))
    # Contexts of a line are a Python set in some versions: one hash seed.
    sh([cov.python, "-c", REPORTS], cwd=workdir,
       env=dict(os.environ, PYTHONHASHSEED="0"))
    outs = {}
    for dirpath, _, names in os.walk(workdir):
        for name in names:
            path = os.path.join(dirpath, name)
            rel = os.path.relpath(path, workdir)
            if rel == ".coverage" or (project is not None and
                                      os.path.exists(os.path.join(project, rel))):
                continue
            with open(path, "rb") as f:
                text = f.read().decode(errors="replace")
            for rx, sub in TIMES:
                text = rx.sub(sub, text)
            outs[rel] = text
    shutil.rmtree(workdir)
    return outs


def assert_same(cov, indir, tmp_path, reports=True, rc=0):
    """The native combine of indir against coverage.py's: by hand, for the
    data; and as gather runs it (the same staged inputs, read in the same
    order), for the data and every report."""
    manual = reference(cov, indir, str(tmp_path / "manual"))
    if os.environ.get("NATIVE_TOOL"):
        ref, nat = manual, native_tool(cov, indir, str(tmp_path / "nat"))
    else:
        ref = gather(cov, indir, str(tmp_path / "ref"), "coverage", rc=rc)
        nat = gather(cov, indir, str(tmp_path / "nat"), "native", rc=rc)
    want, got, by_hand = facts(ref), facts(nat), facts(manual)
    for key in want:
        assert got[key] == want[key], key
        if key not in ("meta keys",):
            assert by_hand[key] == want[key], key
    if reports:
        a = report_outputs(cov, ref, str(tmp_path / "rep"))
        b = report_outputs(cov, nat, str(tmp_path / "rep"))
        assert sorted(b) == sorted(a)
        for name in a:
            assert b[name] == a[name], name
        assert any(name.startswith("run0") for name in a)
    return want


def make_inputs(cov, tmp_path, inputs, modules=4, lines=40, seed=1):
    spec = {"src": str(tmp_path / "src"), "out": str(tmp_path / "in"), "seed": seed,
            "modules": modules, "lines": lines, "inputs": inputs}
    path = tmp_path / "spec.json"
    path.write_text(json.dumps(spec))
    sh([cov.python, DATA, str(path)])
    return spec["out"]


def named(inputs):
    for i, inp in enumerate(inputs):
        inp.setdefault("name", f".coverage.nd.{i}.{100000 + i}")
    return inputs


# The random cases: each a list of inputs for native_data.py.
CASES = {
    "lines": [{"files": [0, 1, 2]}, {"files": [1, 2, 3]}, {"files": [0]}, {"files": [3]}],
    "arcs": [{"files": [0, 1], "arcs": True}, {"files": [1, 2, 3], "arcs": True},
             {"files": [2], "arcs": True}],
    "contexts-lines": [{"files": [0, 1], "contexts": ["", "t.a", "t.b", "t.c|run"]},
                       {"files": [1, 2], "contexts": ["t.b", "t.d", "t.e"]},
                       {"files": [3], "contexts": [f"test_{i}" for i in range(25)]}],
    "contexts-arcs": [{"files": [0, 1], "arcs": True, "contexts": ["", "t.a", "t.b"]},
                      {"files": [1, 3], "arcs": True, "contexts": ["t.b", "t.c"]}],
    "empty-and-touched": [{"empty": True}, {"files": [0], "touch": [1, 2]},
                          {"files": [2], "touch": [3]}, {"empty": True}],
    "touched-arcs": [{"files": [0], "arcs": True, "touch": [1, 2]},
                     {"empty": True, "arcs": True}, {"files": [1], "arcs": True}],
    "duplicates": [{"files": [0, 1]}, {"files": [1, 2]}, {"copy_of": 0}, {"copy_of": 1},
                   {"copy_of": 0}],
    "big-lines": [{"files": [0, 1], "big": True}, {"files": [1], "big": True},
                  {"files": [2]}],
    "big-arcs": [{"files": [0, 1], "big": True, "arcs": True}, {"files": [1], "arcs": True}],
    "one-input": [{"files": [0, 1, 2, 3], "contexts": ["", "x"]}],
    "many": [{"files": sorted({(i * 7 + k) % 12 for k in range(5)})} for i in range(30)],
    # Enough inputs to be read on several threads (and under `make tsan`).
    "many-arcs-contexts": [{"files": sorted({(i * 5 + k) % 12 for k in range(4)}), "arcs": True,
                            "contexts": ["", f"test_{i}", "shared"]} for i in range(24)],
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_random_inputs(cov, tmp_path, case):
    inputs = named([dict(i) for i in CASES[case]])
    indir = make_inputs(cov, tmp_path, inputs, modules=12 if case.startswith("many") else 4)
    assert_same(cov, indir, tmp_path)


def test_tracers(cov, tmp_path):
    """The same tracer for a file in every input that has it is copied."""
    inputs = named([{"files": [0, 1], "tracers": {"0": "plug.Tracer"}},
                    {"files": [0, 2], "tracers": {"0": "plug.Tracer"}},
                    {"files": [3]}])
    indir = make_inputs(cov, tmp_path, inputs)
    # No report: the plugin is not installed.
    want = assert_same(cov, indir, tmp_path, reports=False)
    assert "plug.Tracer" in want["tracers"].values()


def test_seeds(cov, tmp_path):
    """More random inputs: lines and contexts over many seeds."""
    for seed in range(2, 6):
        base = tmp_path / f"s{seed}"
        base.mkdir()
        inputs = named([{"files": [seed % 4, (seed + 1) % 4],
                         "contexts": ["", f"c{seed}", "shared"]},
                        {"files": [(seed + 2) % 4], "contexts": ["shared"], "big": seed % 2 == 0},
                        {"files": [0, 1, 2, 3], "touch": [0]}])
        indir = make_inputs(cov, base, inputs, seed=seed)
        assert_same(cov, indir, base, reports=False)


# Real runs: `coverage run -p` of a small project, with dynamic contexts:
# its tests run directly and by pytest, a multiprocessing pool, subprocesses.
PROJECT = {
    "proj/__init__.py": "",
    "proj/shapes.py": '''\
def area(kind, a, b=None):
    if kind == "square":
        return a * a
    elif kind == "rect":
        return a * b
    return None


def describe(n):
    out = []
    for i in range(n):
        if i % 2:
            out.append("odd")
        else:
            out.append("even")
    return out
''',
    "proj/work.py": '''\
import multiprocessing
import sys

from proj import shapes


def job(n):
    return shapes.area("square", n)


def main(mode):
    if mode == "pool":
        pool = multiprocessing.Pool(3)
        try:
            return sum(pool.map(job, range(6)))
        finally:
            pool.close()
            pool.join()
    if mode == "rect":
        return shapes.area("rect", 2, 3)
    return shapes.describe(int(mode))


if __name__ == "__main__":
    print(main(sys.argv[1]))
''',
    "test_style.py": '''\
from proj import shapes


def test_square():
    assert shapes.area("square", 2) == 4


def test_describe():
    assert shapes.describe(3) == ["even", "odd", "even"]


def test_none():
    assert shapes.area("circle", 1) is None


if __name__ == "__main__":
    for name, f in sorted(globals().items()):
        if name.startswith("test_"):
            f()
''',
}


def real_project(tmp_path, rc):
    proj = tmp_path / "project"
    for name, text in PROJECT.items():
        (proj / name).parent.mkdir(parents=True, exist_ok=True)
        (proj / name).write_text(text)
    (proj / ".coveragerc").write_text(rc)
    return proj


def coverage_run(cov, proj, *args):
    env = dict(os.environ, PYTHONPATH=str(proj), PYTHONDONTWRITEBYTECODE="1")
    r = subprocess.run([*cov.cmd, "run", "-p", *args], cwd=proj, env=env,
                       capture_output=True, text=True, timeout=LONG * 2,
                       stdin=subprocess.DEVNULL)
    assert r.returncode == 0, r.stderr


@pytest.mark.parametrize("branch", [False, True], ids=["lines", "branch"])
def test_real_runs(cov, tmp_path, branch):
    rc = ("[run]\nsource = proj\nparallel = true\n"
          "concurrency = multiprocessing\ndynamic_context = test_function\n"
          f"branch = {branch}\n")
    proj = real_project(tmp_path, rc)
    coverage_run(cov, proj, "-m", "proj.work", "pool")
    coverage_run(cov, proj, "-m", "proj.work", "rect")
    coverage_run(cov, proj, "-m", "proj.work", "5")
    coverage_run(cov, proj, "test_style.py")
    coverage_run(cov, proj, "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_style.py")
    indir = tmp_path / "in"
    indir.mkdir()
    for path in glob.glob(str(proj / ".coverage.*")):
        shutil.move(path, indir)
    assert len(os.listdir(indir)) >= 6  # the pool's workers wrote theirs
    want = assert_same(cov, str(indir), tmp_path)
    assert any(c.endswith("test_square") for c in want["contexts"]), want["contexts"]


GUNICORN = os.path.join(ROOT, "examples", "gunicorn")


def test_real_gunicorn_workers(cov, tmp_path):
    """Branch data of real gunicorn + Flask workers (examples/gunicorn's
    app, coverage.py started in each worker): two workers restarted
    gracefully under `covsettle wait --trigger`, two more stopped with the
    server. The example's own configuration has relative_files on, which
    leaves the combine to coverage.py: this one measures absolute paths."""
    run, indir = tmp_path / "run", tmp_path / "in"
    run.mkdir()
    indir.mkdir()
    rc = tmp_path / "rc"
    rc.write_text("[run]\nparallel = true\nbranch = true\nsource = scorer\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith("COVERAGE_")}
    env.update(RUN_DIR=str(run), SCORER_COVERAGE_RC=str(rc),
               COVERAGE_FILE=str(indir / ".coverage"))
    server = subprocess.Popen([cov.python, "-m", "gunicorn", "-c", "gunicorn.conf.py",
                               "scorer.web:app"], cwd=GUNICORN, env=env,
                              stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL, start_new_session=True)
    waitfor = os.path.join(GUNICORN, "waitfor.py")

    def play():
        url = sh(["/usr/bin/python3", waitfor, "ready", str(run), str(server.pid),
                  str(int(LONG))]).stdout.strip()
        for path, body in (("/health", None), ("/round", {"a": {"price": 5, "ads": 0},
                                                         "b": {"price": 7, "ads": 1}}),
                           ("/round", {"a": {"price": 9, "ads": 2},
                                       "b": {"price": "x", "ads": 1}})):
            req = urllib.request.Request(
                url + path, data=None if body is None else json.dumps(body).encode(),
                headers={"Content-Type": "application/json"})
            try:
                urllib.request.urlopen(req, timeout=LONG).close()
            except urllib.error.HTTPError as err:
                assert err.code == 400, err  # the bad move is refused

    try:
        play()
        sh([COVSETTLE, "wait", "--new-only", "--expect", "2", "--timeout", "60s",
            "--trigger", f"kill -HUP {server.pid}", str(indir)])
        play()
        server.terminate()
        assert server.wait(timeout=LONG) == 0
    finally:
        if server.poll() is None:
            os.killpg(server.pid, 9)
            server.wait()
    sh([COVSETTLE, "wait", "--expect", "4", "--timeout", "60s", str(indir)])
    want = assert_same(cov, str(indir), tmp_path)
    assert want["has_arcs"] == "1"
    assert any(f.endswith("web.py") for f in want["files"]), want["files"]


def test_fixture_files(cov, tmp_path):
    """The fixtures written by coverage.py 6.5 (lines, contexts)."""
    indir = tmp_path / "in"
    indir.mkdir()
    fixtures = os.path.join(ROOT, "fixtures", "data")
    for i, name in enumerate(["lines", "contexts", "lines"]):
        shutil.copyfile(os.path.join(fixtures, name), indir / f".coverage.fx.{i}.{i:06d}")
    # No report: their sources are not here.
    assert_same(cov, str(indir), tmp_path, reports=False)


# [paths] and relative_files: data files written on "different runners",
# each in its own checkout (as the fan-in of examples/ci has them), combined
# in the project's checkout where the configuration is. RUNNER(i) is runner
# i's checkout, WINRUNNER(i) a Windows runner's.
def RUNNER(i):
    return f"/runners/r{i}/builds/acme/proj"


def WINRUNNER(i):
    return f"C:\\runners\\r{i}\\proj"


# Several aliases, the first group matching only where its result exists
# (alt/ holds nd_mod_0.py only), globs, a Windows pattern, a relative one.
PATHS_RC = """[paths]
alt =
    alt/
    /runners/r2/builds/acme/proj/src/
source =
    src/
    /runners/*/builds/acme/proj/src/
    C:\\runners\\*\\proj\\src\\
    ../elsewhere/src/
"""
FANIN_RC = """[run]
relative_files = true

[paths]
source =
    src/
    */src/
"""
PATH_CASES = {
    # name: (rc, inputs); "else" is the relative pattern's checkout, "none"
    # a path that matches no pattern.
    "paths": (PATHS_RC, [
        {"paths": [[0, RUNNER(1)], [1, RUNNER(1)]]},
        {"paths": [[1, RUNNER(2)], [2, RUNNER(2)], [0, RUNNER(2)]]},
        {"paths": [[2, WINRUNNER(3)], [3, WINRUNNER(3)]]},
        {"paths": [[3, "else"], [0, "else"]], "contexts": ["", "t.a"]},
        {"files": [1, 2], "contexts": ["t.a", "t.b"]},
        {"paths": [[2, "/nowhere/at/all"]]}]),
    "relative_files": ("[run]\nrelative_files = true\n", [
        {"paths": [[0, ""], [1, ""]]},
        {"files": [1, 2], "contexts": ["", "t.a"]},
        {"paths": [[2, ""], [3, ""]], "contexts": ["t.a"]}]),
    "fan-in": (FANIN_RC, [
        {"paths": [[0, RUNNER(1)], [1, RUNNER(1)]], "contexts": ["", "t.a"]},
        {"paths": [[1, RUNNER(2)], [2, RUNNER(2)]]},
        {"paths": [[2, WINRUNNER(3)], [3, WINRUNNER(3)]]},
        {"paths": [[3, ""], [0, ""]], "contexts": ["t.b"]},
        {"files": [0, 3]}]),
    "windows": ("", [
        {"paths": [[0, WINRUNNER(1)], [1, WINRUNNER(1)]]},
        {"paths": [[1, WINRUNNER(1)], [2, WINRUNNER(2)]]},
        {"files": [1]}]),
    # Two files of one input stored as one path: 6.5 keeps one file's
    # lines, and declines (test_one_path_per_input).
    "merged-in-one-input": ("[paths]\nsource =\n    src/\n    /runners/*/builds/acme/proj/src/\n", [
        {"paths": [[0, RUNNER(1)], [0, RUNNER(2)], [1, RUNNER(1)]]},
        {"paths": [[0, RUNNER(3)], [1, RUNNER(2)]]}]),
}


def path_inputs(cov, tmp_path, rc, inputs, arcs=False, modules=4):
    """The project (sources in src/, rc as .coveragerc, alt/nd_mod_0.py) and
    the inputs' directory."""
    proj = tmp_path / "project"
    (proj / "alt").mkdir(parents=True)
    (proj / ".coveragerc").write_text(rc)
    inputs = [dict(i) for i in inputs]
    for inp in inputs:
        inp["arcs"] = arcs
        inp["paths"] = [[m, str(tmp_path / "elsewhere") if r == "else" else r]
                        for m, r in inp.get("paths", [])]
    spec = {"src": str(proj / "src"), "out": str(tmp_path / "in"), "seed": 7,
            "modules": modules, "lines": 30, "inputs": named(inputs)}
    (tmp_path / "spec.json").write_text(json.dumps(spec))
    sh([cov.python, DATA, str(tmp_path / "spec.json")])
    shutil.copyfile(proj / "src" / "nd_mod_0.py", proj / "alt" / "nd_mod_0.py")
    return proj, spec["out"]


def file_order(path):
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    order = [p for p, in con.execute("select path from file order by id")]
    con.close()
    return order


def assert_same_in(cov, proj, indir, tmp_path):
    """assert_same() for a project's configuration: every combine and every
    report run in (a copy of) the project."""
    manual = reference(cov, indir, str(tmp_path / "manual"), cwd=proj)
    ref = gather(cov, indir, str(tmp_path / "ref"), "coverage", cwd=proj)
    nat = gather(cov, indir, str(tmp_path / "nat"), "native", cwd=proj)
    want, got, by_hand = facts(ref), facts(nat), facts(manual)
    for key in want:
        assert got[key] == want[key], key
        if key not in ("meta keys",):
            assert by_hand[key] == want[key], key
    assert file_order(nat) == file_order(ref)
    a = report_outputs(cov, ref, str(tmp_path / "rep"), project=proj)
    b = report_outputs(cov, nat, str(tmp_path / "rep"), project=proj)
    assert sorted(b) == sorted(a)
    for name in a:
        assert b[name] == a[name], name
    return want


@pytest.mark.parametrize("arcs", [False, True], ids=["lines", "arcs"])
@pytest.mark.parametrize("case", ["paths", "relative_files", "fan-in", "windows"])
def test_paths_and_relative_files(cov, tmp_path, case, arcs):
    """[paths], relative_files, both, Windows paths: the native combine maps
    every path as the version's combine does, and the data and the reports
    are coverage.py's."""
    rc, inputs = PATH_CASES[case]
    proj, indir = path_inputs(cov, tmp_path, rc, inputs, arcs)
    if case == "relative_files" and cov.version.startswith("7.3."):
        # 7.3 leaves the project's absolute path alone until a relative
        # path has made the rule src/: the order of the inputs decides.
        r = gather_run(cov, indir, str(tmp_path / "auto"), cwd=proj)
        assert r.returncode == 0, r.stderr
        combine = json.loads(r.stdout)["combine"]
        assert combine["method"] == "coverage", combine
        assert "as the order of the inputs has it" in combine["reason"], combine
        return
    want = assert_same_in(cov, proj, indir, tmp_path)
    raw = {p for n in glob.glob(os.path.join(indir, ".coverage.*"))
           for p in facts(n)["files"]}
    # Something was mapped: 6.5 maps nothing for relative_files alone,
    # and only 7.17 rewrites backslashes.
    if case not in ("windows", "relative_files") or cov.version.startswith("7.17"):
        assert set(want["files"]) != raw


def test_one_path_per_input(cov, tmp_path):
    """Two files of one input that map to one path: coverage.py 7 merges
    them as any two inputs; 6.5 keeps one file's lines only, which the
    native combine declines, naming the files."""
    rc, inputs = PATH_CASES["merged-in-one-input"]
    proj, indir = path_inputs(cov, tmp_path, rc, inputs)
    if not cov.version.startswith("6."):
        assert_same_in(cov, proj, indir, tmp_path)
        return
    r = gather_run(cov, indir, str(tmp_path / "auto"), cwd=proj)
    assert r.returncode == 0, r.stderr
    combine = json.loads(r.stdout)["combine"]
    assert combine["method"] == "coverage"
    assert f"{RUNNER(1)}/src/nd_mod_0.py and {RUNNER(2)}/src/nd_mod_0.py" in combine["reason"]
    assert "keeping the lines of one of them only" in combine["reason"]


def test_relative_rules_in_order(cov, tmp_path):
    """relative_files alone: coverage.py 7 adds a rule for each first
    directory of a relative path it meets, and a later absolute path of
    another runner then maps to the project's file, an earlier one not.
    Which comes first is the order of the inputs: native declines, and
    says so; 6.5 maps nothing there, and combines natively."""
    proj, indir = path_inputs(cov, tmp_path, "[run]\nrelative_files = true\n", [
        {"paths": [[0, RUNNER(1)]]}, {"paths": [[0, ""], [1, ""]]}])
    r = gather_run(cov, indir, str(tmp_path / "auto"), "-v", cwd=proj)
    assert r.returncode == 0, r.stderr
    combine = json.loads(r.stdout)["combine"]
    if cov.version.startswith("6."):
        assert combine["method"] == "native", combine
        return
    assert combine["method"] == "coverage"
    assert f"'{RUNNER(1)}/src/nd_mod_0.py' maps to" in combine["reason"], combine
    assert "as the order of the inputs has it" in combine["reason"]
    assert "as the order of the inputs has it" in r.stderr
    forced = gather_run(cov, indir, str(tmp_path / "forced"), "--combine=native", cwd=proj)
    assert forced.returncode == 5
    assert "--combine=native is not possible" in forced.stderr


CONFIGURER = """\
class Cfg:
    def configure(self, config):
        config.set_option("paths", {"source": ["src/", "/runners/*/builds/acme/proj/src/"]})


def coverage_init(reg, options):
    reg.add_configurer(Cfg())
"""


def test_configurer_plugin_paths(cov, tmp_path, monkeypatch):
    """A plugin that sets [paths] when coverage.py starts: its combine maps
    through them, and so does the native one (the question starts
    coverage.py as its combine does)."""
    proj, indir = path_inputs(cov, tmp_path, "[run]\nplugins = nd_cfg\n",
                              [{"paths": [[0, RUNNER(1)], [1, RUNNER(1)]]},
                               {"paths": [[1, RUNNER(2)]]}])
    (proj / "nd_cfg.py").write_text(CONFIGURER)
    monkeypatch.setenv("PYTHONPATH", str(proj))
    want = assert_same_in(cov, proj, indir, tmp_path)
    assert want["files"] == sorted({str(proj / "src" / "nd_mod_0.py"),
                                    str(proj / "src" / "nd_mod_1.py")}), want["files"]
    r = gather_run(cov, indir, str(tmp_path / "again"), cwd=proj)
    assert json.loads(r.stdout)["combine"]["method"] == "native", r.stdout


# When native is not safe, coverage.py combines: coverage.py's combine
# writes what the native one cannot (debug output), or the inputs need its
# own judgement.
UNSAFE = {
    "debug": ("[run]\ndebug = dataio\n", "debug output"),
}


def lines_inputs(cov, tmp_path):
    return make_inputs(cov, tmp_path, named([{"files": [0, 1]}, {"files": [1, 2]}]))


def gather_run(cov, indir, out, *args, cwd=None, env=None):
    n = len(glob.glob(os.path.join(indir, ".coverage.*")))
    return subprocess.run(
        [COVSETTLE, "gather", "--expect", str(n), "--debounce", "0", "--ignore-writers",
         "--coverage", cov.command, f"--data-file={out}", "--json", *args, indir],
        capture_output=True, text=True, timeout=LONG * 2, cwd=cwd, env=env,
        stdin=subprocess.DEVNULL)


@pytest.mark.parametrize("what", sorted(UNSAFE))
def test_unsafe_config_falls_back(cov, tmp_path, what):
    """--rcfile with debug output on: coverage.py combines (auto), and
    --combine=native is an error that names why."""
    rc_text, word = UNSAFE[what]
    rcfile = tmp_path / "rc.ini"
    rcfile.write_text(rc_text)
    env = dict(os.environ)
    indir = lines_inputs(cov, tmp_path)
    before = {n: open(os.path.join(indir, n), "rb").read() for n in os.listdir(indir)}
    r = gather_run(cov, indir, str(tmp_path / "auto"), f"--rcfile={rcfile}", env=env)
    assert r.returncode == 0, r.stderr
    combine = json.loads(r.stdout)["combine"]
    assert combine["method"] == "coverage"
    assert word in combine["reason"]
    assert any(" combine " in c["command"] for c in json.loads(r.stdout)["commands"])
    r = gather_run(cov, indir, str(tmp_path / "forced"), f"--rcfile={rcfile}",
                   "--combine=native", env=env)
    assert r.returncode == 5, r.stderr
    assert "--combine=native is not possible" in r.stderr and word in r.stderr
    assert not os.path.exists(tmp_path / "forced")
    assert {n: open(os.path.join(indir, n), "rb").read()
            for n in os.listdir(indir) if n.startswith(".coverage.")} == before
    # Without the rcfile the same inputs combine natively.
    r = gather_run(cov, indir, str(tmp_path / "plain"), env=env)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["combine"]["method"] == "native"


def test_config_found_by_coverage(cov, tmp_path):
    """coverage.py's own configuration search decides: [coverage:paths] in a
    setup.cfg of the current directory, which covsettle never reads, maps
    the paths of the native combine."""
    proj, indir = path_inputs(cov, tmp_path, "", [{"paths": [[0, "/x"], [1, "/x"]]}])
    (proj / ".coveragerc").unlink()
    (proj / "setup.cfg").write_text("[coverage:paths]\nsource =\n    src/\n    /x/src/\n")
    r = gather_run(cov, indir, str(tmp_path / "out"), "-v", cwd=proj)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["combine"]["method"] == "native"
    assert "combine: native, as" in r.stderr
    assert facts(str(tmp_path / "out"))["files"] == [
        str(proj / "src" / "nd_mod_0.py"), str(proj / "src" / "nd_mod_1.py")]


def test_combine_coverage_option(cov, tmp_path):
    indir = lines_inputs(cov, tmp_path)
    r = gather_run(cov, indir, str(tmp_path / "out"), "--combine=coverage", "-v")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["combine"] == {
        "method": "coverage", "reason": "--combine=coverage",
        "ms": json.loads(r.stdout)["combine"]["ms"]}
    r = gather_run(cov, indir, str(tmp_path / "out2"), "-v")
    assert "combine: native, as coverage.py " in r.stderr


MIXES = {
    # rows of lines, then rows of branches: coverage.py fails either way
    "lines-arcs": [{"files": [0]}, {"files": [1], "arcs": True}],
    # a run that measured nothing (lines) then branches: coverage.py
    # combines them, or fails, by the order in which it reads them
    "empty-lines-arcs": [{"empty": True}, {"files": [1], "arcs": True},
                         {"files": [2], "arcs": True}],
}


@pytest.mark.parametrize("method", ["auto", "native", "coverage"])
@pytest.mark.parametrize("mix", sorted(MIXES))
def test_lines_and_branches_named_before_combining(cov, tmp_path, mix, method):
    """Inputs that measured lines and branches: gather decides as
    coverage.py's own `coverage combine DIR` does, in its order; where that
    fails, gather fails (exit 5) before any combine runs, naming the user's
    two files, never a private copy."""
    indir = make_inputs(cov, tmp_path, named([dict(i) for i in MIXES[mix]]))
    (tmp_path / "own").mkdir()
    own = sh([*cov.cmd, "combine", "--keep", "-q", f"--data-file={tmp_path}/own/.coverage",
              indir], cwd=str(tmp_path / "own"), check=False)
    r = gather_run(cov, indir, str(tmp_path / "out.cov"), f"--combine={method}")
    if own.returncode == 0:
        assert r.returncode == 0, r.stderr
        assert facts(str(tmp_path / "out.cov")) == facts(str(tmp_path / "own" / ".coverage"))
        return
    assert "Can't combine" in own.stderr + own.stdout
    assert r.returncode == 5, r.stderr
    last = r.stderr.strip().splitlines()[-1]
    named_files = re.findall(re.escape(indir) + r"/(\.coverage\.nd\.\d+\.\d+)", last)
    assert len(named_files) == 2, last
    assert "measured branches" in last and "measured lines only" in last, last
    assert ".covsettle-gather" not in r.stderr
    doc = json.loads(r.stdout)
    assert doc["commands"] == [] and doc["combine"] is None, doc
    assert doc["message"] == last[len("covsettle: "):]
    assert not os.path.exists(tmp_path / "out.cov")


def test_conflicting_tracers_left_to_coverage(cov, tmp_path):
    indir = make_inputs(cov, tmp_path, named([
        {"files": [0], "tracers": {"0": "a.Tracer"}},
        {"files": [0], "tracers": {"0": "b.Tracer"}}]))
    r = gather_run(cov, indir, str(tmp_path / "a"))
    assert r.returncode == 5
    assert json.loads(r.stdout)["combine"]["method"] == "coverage"
    assert "Conflicting file tracer" in r.stderr



def test_combine_option_usage(tmp_path):
    r = subprocess.run([COVSETTLE, "gather", "--combine=fast", str(tmp_path)],
                       capture_output=True, text=True, timeout=LONG)
    assert r.returncode == 2
    assert "--combine 'fast': use auto, native or coverage" in r.stderr
    r = subprocess.run([COVSETTLE, "wait", "--combine=native", str(tmp_path)],
                       capture_output=True, text=True, timeout=LONG)
    assert r.returncode == 2


# ---- the arc table's pages, read only as the table declares them ----

ARC_ORDERS = {
    "reversed": ["tono", "fromno", "context_id", "file_id"],
    "contexts-first": ["context_id", "file_id", "fromno", "tono"],
}


def reorder_arc(path, columns):
    """Make the arc table of the data file at path again, its columns
    declared in another order, with the same rows: a schema 7 file that
    coverage.py and SQLite read by column name."""
    names = ", ".join(columns)
    con = sqlite3.connect(path)
    with con:
        con.execute("alter table arc rename to arc_before")
        con.execute(f"create table arc ({', '.join(c + ' integer' for c in columns)},"
                    " unique (file_id, context_id, fromno, tono))")
        con.execute(f"insert into arc ({names}) select {names} from arc_before")
        con.execute("drop table arc_before")
    con.close()


def arc_inputs(cov, tmp_path, order=None):
    indir = make_inputs(cov, tmp_path, named([
        {"files": [0, 1], "arcs": True, "contexts": ["", "t.a", "t.b"]},
        {"files": [1, 2, 3], "arcs": True, "contexts": ["t.b", "t.c"]},
        {"files": [2], "arcs": True, "big": True}]))
    if order is not None:
        for path in glob.glob(os.path.join(indir, ".coverage.*")):
            reorder_arc(path, ARC_ORDERS[order])
    return indir


@pytest.mark.parametrize("order", sorted(ARC_ORDERS))
def test_arc_columns_in_another_order(cov, tmp_path, order):
    """An arc table that declares its columns in another order passes its
    check, and the native combine reads its rows right (through SQLite:
    its pages hold the values in the declared order)."""
    indir = arc_inputs(cov, tmp_path, order)
    r = sh([COVSETTLE, "check", *sorted(glob.glob(os.path.join(indir, ".coverage.*")))])
    assert r.stdout.count(": ok: ") == 3, r.stdout
    assert_same(cov, indir, tmp_path, reports=False)


def input_opens(cov, indir, tmp_path, name, env):
    """How often the native combine (the tool: gather takes the rows its
    wait read, test_paths_read_during_the_wait) opens its inputs, as strace
    sees it, and the combined file's facts."""
    log = tmp_path / f"{name}.strace"
    # Under `make asan-test`: LeakSanitizer cannot run under ptrace.
    env = dict(os.environ if env is None else env)
    env["ASAN_OPTIONS"] = env.get("ASAN_OPTIONS", "") + ":detect_leaks=0"
    out = native_tool(cov, indir, str(tmp_path / name),
                      ["strace", "-f", "-qq", "-e", "trace=openat", "-o", str(log)], env)
    opens = [line for line in log.read_text().splitlines()
             if re.search(re.escape(indir) + r'/\.coverage\.[^/"]*"', line)
             and "= -1" not in line]
    return len(opens), facts(out)


def test_sqlfile_off_reads_through_sqlite(cov, tmp_path):
    """COVSETTLE_SQLFILE=0: every arc row is read through SQLite, none
    from the pages (sqlfile.c opens each input once more to read them),
    with the same result."""
    indir = arc_inputs(cov, tmp_path)
    pages, want = input_opens(cov, indir, tmp_path, "pages", None)
    off, got = input_opens(cov, indir, tmp_path, "sqlite",
                           dict(os.environ, COVSETTLE_SQLFILE="0"))
    assert got == want
    assert pages - off == 3, (pages, off)


@pytest.mark.parametrize("arcs", [False, True], ids=["lines", "arcs"])
def test_paths_read_during_the_wait(cov, tmp_path, arcs):
    """The fan-in (relative_files, [paths]): the paths coverage.py is asked
    to map, and the rows the union merges, were read while the wait checked
    each input, so the native combine opens no staged input, neither to
    read its paths nor for the union; and the result is coverage.py's."""
    rc, inputs = PATH_CASES["fan-in"]
    proj, indir = path_inputs(cov, tmp_path, rc, inputs, arcs)
    n = len(glob.glob(os.path.join(indir, ".coverage.*")))
    log = tmp_path / "strace"
    out = tmp_path / "out" / ".coverage"
    out.parent.mkdir()
    env = dict(os.environ)
    env["ASAN_OPTIONS"] = env.get("ASAN_OPTIONS", "") + ":detect_leaks=0"
    r = sh(["strace", "-f", "-qq", "-e", "trace=openat", "-o", str(log), COVSETTLE,
            "gather", "--combine=native", "--expect", str(n), "--debounce", "0",
            "--ignore-writers", "--coverage", cov.command, f"--data-file={out}", indir],
           cwd=proj, env=env)
    assert r.returncode == 0, r.stderr
    staged = [m.group(1) for m in re.finditer(r'/in/(combined\.\d+)", O_RDONLY[^\n]*= \d+',
                                              log.read_text())]
    assert staged == [], staged
    # each input was read: in the wait, by its name in the directory
    checked = {m.group(1) for m in re.finditer(r'/(\.coverage\.[^/"]+)", O_RDONLY[^\n]*= \d+',
                                               log.read_text())}
    assert len(checked) == n, checked
    want, got = facts(reference(cov, indir, str(tmp_path / "manual"), cwd=proj)), facts(str(out))
    for key in want:
        if key != "meta keys":
            assert got[key] == want[key], key


@pytest.mark.parametrize("arcs", [False, True], ids=["lines", "arcs"])
@pytest.mark.parametrize("method", ["native", "coverage"])
def test_nothing_measured_is_no_error(cov, tmp_path, method, arcs):
    """Every input measured nothing (each "ok: 0 measured files"): coverage.py
    combines them into a file without has_arcs. gather gives that combined
    file, warns that no data was collected, writes no report (coverage.py has
    none to give) and exits 0; check calls coverage.py's own combined file
    "ok: no data", not "cut short"."""
    indir = make_inputs(cov, tmp_path, named([{"empty": True, "arcs": arcs} for _ in range(3)]))
    manual = reference(cov, indir, str(tmp_path / "manual"))
    out = str(tmp_path / "out.cov")
    r = gather_run(cov, indir, out, f"--combine={method}", "--report", "text")
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    assert doc["combine"]["method"] == method
    assert doc["no_data"] is True and doc["total_percent"] is None
    assert doc["data_file"] == out
    assert "warning: no data was collected: the 3 data files in " in r.stderr
    ref = facts(manual)
    got = facts(out)
    for key in ("has_arcs", "files", "contexts", "lines", "arcs", "version"):
        assert got[key] == ref[key], key
    assert ref["has_arcs"] is None
    assert not any(" report " in c["command"] for c in doc["commands"])
    for path in (manual, out):
        c = subprocess.run([COVSETTLE, "check", path], capture_output=True, text=True,
                           timeout=LONG)
        assert c.returncode == 0, c.stdout
        assert c.stdout.startswith(f"{path}: ok: no data: 0 measured files")
    # Below a --fail-under above 0, as with no data files at all.
    r = gather_run(cov, indir, str(tmp_path / "fu.cov"), f"--combine={method}",
                   "--fail-under", "50")
    assert r.returncode == 1, r.stderr
    assert "no coverage data, so below --fail-under 50" in r.stderr
    assert os.path.exists(tmp_path / "fu.cov")


def test_parallel_file_without_has_arcs_is_still_cut_short(cov, tmp_path):
    """The same rows under a parallel data file's name: a writer's save cut
    short before its first measurement, never "no data"."""
    indir = make_inputs(cov, tmp_path, named([{"empty": True}, {"empty": True}]))
    manual = reference(cov, indir, str(tmp_path / "manual"))
    cut = os.path.join(str(tmp_path), ".coverage.nd.77.100077")
    shutil.copyfile(manual, cut)
    c = subprocess.run([COVSETTLE, "check", cut], capture_output=True, text=True, timeout=LONG)
    assert c.returncode == 4, c.stdout
    assert "incomplete: no has_arcs in meta" in c.stdout


# A real full disk: a 1 MiB tmpfs mounted over DIR in a mount namespace of its
# own, holding the inputs and a filler that leaves one page free (for the
# lock); the staged hard links take no room, the combined file finds none.
FULL_DISK = r'''
set -u
d=$1 src=$2; shift 2
mount -t tmpfs -o size=1m covsettle-full "$d" || exit 99
cp -a "$src"/.coverage.* "$d"/ || exit 98
dd if=/dev/zero of="$d/room" bs=4k count=1 2>/dev/null
dd if=/dev/zero of="$d/filler" bs=4k 2>/dev/null
rm "$d/room"
"$@" "$d"
echo "rc=$?"
ls -a "$d"
sha256sum "$d"/.coverage.*
'''


@pytest.mark.parametrize("method", ["native", "auto", "coverage"])
def test_full_disk_exits_7(cov, tmp_path, method):
    """No room for the combined file: exit 7 (as the man page says) whichever
    the combine, naming DIR; the inputs are untouched and nothing is left."""
    if os.geteuid() != 0 or shutil.which("unshare") is None:
        pytest.skip("needs root and unshare(1) for a tmpfs in a mount namespace")
    src = make_inputs(cov, tmp_path, named([{"files": [0, 1, 2]}, {"files": [1, 2, 3]},
                                            {"files": [0, 3]}]))
    assert sum(os.path.getsize(os.path.join(src, n)) for n in os.listdir(src)) < 512 * 1024
    d = tmp_path / "full"
    d.mkdir()
    out = tmp_path / "out.cov"
    r = subprocess.run(
        ["unshare", "--mount", "--propagation", "private", "sh", "-c", FULL_DISK, "sh",
         str(d), src, COVSETTLE, "gather", "--expect", "3", "--debounce", "0",
         "--ignore-writers", "--coverage", cov.command, f"--combine={method}",
         f"--data-file={out}"],
        capture_output=True, text=True, timeout=LONG * 2, stdin=subprocess.DEVNULL)
    assert "rc=" in r.stdout, r.stdout + r.stderr
    assert "rc=7\n" in r.stdout, r.stdout + r.stderr
    assert "no space left" in r.stderr.lower(), r.stderr
    assert str(d) in r.stderr or ".coverage." in r.stderr, r.stderr
    assert not out.exists()
    listing = r.stdout.split("rc=7\n", 1)[1]
    assert ".covsettle-gather" not in listing, listing
    want = {hashlib.sha256(open(os.path.join(src, n), "rb").read()).hexdigest()
            for n in os.listdir(src)}
    got = {line.split()[0] for line in listing.splitlines() if "/.coverage." in line}
    assert got == want


def ids(path):
    """The ids coverage.py gave files and contexts in a data file."""
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    got = (list(con.execute("select id, path from file order by id")),
           list(con.execute("select id, context from context order by id")))
    con.close()
    return got


def contexts_json(cov, datafile, workdir):
    """coverage.py's JSON report with show_contexts of datafile."""
    os.makedirs(workdir)
    shutil.copyfile(datafile, os.path.join(workdir, ".coverage"))
    sh([*cov.cmd, "json", "--show-contexts", "-o", "r.json"], cwd=workdir,
       env=dict(os.environ, PYTHONHASHSEED="0"))
    doc = json.load(open(os.path.join(workdir, "r.json")))
    doc["meta"].pop("timestamp", None)
    return doc


@pytest.mark.parametrize("method", ["native", "coverage"])
def test_combine_order_is_coverage_own(cov, tmp_path, method):
    """gather's combined file is `coverage combine DIR`'s own, ids and all:
    12 inputs (combined.10 and combined.2 were read out of order) arriving
    during the wait in the reverse of their names' order. coverage.py 7.4.4
    and later read DIR sorted by name, earlier ones in DIR's own order."""
    src = make_inputs(cov, tmp_path, named([
        {"files": sorted({(i * 5) % 12, (i * 7 + 3) % 12}), "arcs": True,
         "contexts": [f"test_{i}", "shared"]} for i in range(12)]), modules=12)
    d = tmp_path / "d"
    d.mkdir()
    out = tmp_path / "out.cov"
    p = subprocess.Popen(
        [COVSETTLE, "gather", "--expect", "12", "--debounce", "0", "--ignore-writers",
         "--coverage", cov.command, f"--combine={method}", f"--data-file={out}", "--json",
         "-v", str(d)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        stdin=subprocess.DEVNULL)
    try:
        # Armed: the watch is up before the first file lands.
        for line in iter(p.stderr.readline, ""):
            if line.startswith("covsettle: watching "):
                break
        for name in sorted(os.listdir(src), reverse=True):
            shutil.copyfile(os.path.join(src, name), d / ("tmp-" + name))
            os.rename(d / ("tmp-" + name), d / name)
        stdout, stderr = p.communicate(timeout=LONG)
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
    assert p.returncode == 0, stderr
    assert json.loads(stdout)["combine"]["method"] == method
    own = reference(cov, str(d), str(tmp_path / "own"))
    assert ids(out) == ids(own)
    assert contexts_json(cov, str(out), str(tmp_path / "j1")) == \
        contexts_json(cov, own, str(tmp_path / "j2"))
