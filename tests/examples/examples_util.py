# examples_util.py: helpers for the examples' end-to-end tests: run a script in
# its own process group and prove that nothing of that group outlives it.
import json
import os
import signal
import subprocess
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
COVSETTLE = os.environ.get("COVSETTLE", os.path.join(ROOT, "build", "covsettle"))
PY = "/usr/bin/python3"
# The covsettle wheel installed with pip --target (make build/python/stamp,
# mk/wheel.mk): its Python package and pytest plugin, for any Python 3 on
# PYTHONPATH, with the binary under test still named by $COVSETTLE.
PLUGIN_PATH = os.environ.get("COVSETTLE_PLUGIN_PATH", os.path.join(ROOT, "build", "python"))


def plugin_env(**more):
    """The environment, with the covsettle plugin importable and COVSETTLE set."""
    assert os.path.isfile(os.path.join(PLUGIN_PATH, "covsettle", "pytest_plugin.py")), \
        f"{PLUGIN_PATH}: no covsettle package: run make build/python/stamp"
    path = os.pathsep.join(filter(None, [PLUGIN_PATH, os.environ.get("PYTHONPATH")]))
    return dict(os.environ, PYTHONPATH=path, COVSETTLE=COVSETTLE, **more)
UNION = os.path.join(ROOT, "fixtures", "union.py")


def group_members(pgid):
    """(pid, state, name) of every process in group pgid, zombies included."""
    members = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/stat") as f:
                stat = f.read()
        except OSError:
            continue  # gone meanwhile
        name = stat[stat.index("(") + 1:stat.rindex(")")]
        fields = stat[stat.rindex(")") + 2:].split()
        if int(fields[2]) == pgid:
            members.append((int(pid), fields[0], name))
    return members


def assert_group_gone(pgid, what):
    """Fail, and clean up, if any process of group pgid is still there. Its
    last members may still be being reaped: a bounded look, no guess."""
    deadline = time.monotonic() + 10
    while (left := group_members(pgid)) and time.monotonic() < deadline:
        time.sleep(0.05)
    if left:
        os.killpg(pgid, signal.SIGKILL)
        raise AssertionError(f"processes outlived {what}: {left}")


def run_group(argv, timeout, **kw):
    """Run argv in a new process group and return (status, stdout, stderr).
    Fails if it runs past timeout, or if any process of its group is still
    there once it has exited (checked by process group, never by name)."""
    p = subprocess.Popen(argv, start_new_session=True, text=True,
                         stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, **kw)
    try:
        out, err = p.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(p.pid, signal.SIGKILL)
        out, err = p.communicate()
        raise AssertionError(f"{argv} ran past {timeout}s\n{out}\n{err}")
    assert_group_gone(p.pid, f"{argv}\n{out}\n{err}")
    return p.returncode, out, err


def union(*paths):
    """fixtures/union.py: the union of what the data files measured."""
    out = subprocess.run([PY, UNION, *paths], check=True, text=True,
                         stdout=subprocess.PIPE).stdout
    return json.loads(out)


def lines_with(path, *snippets):
    """Line numbers of the first line of path holding each snippet."""
    with open(path) as f:
        text = f.read().splitlines()
    found = {}
    for snippet in snippets:
        numbers = [n for n, line in enumerate(text, 1) if snippet in line]
        assert numbers, f"{snippet!r} not in {path}"
        found[snippet] = numbers[0]
    return found
