"""covsettle from Python: wait(), check() and gather() run the covsettle
binary with --json and return its result as a dict; a nonzero exit raises
CovsettleError, which carries the exit status and the message.

    import covsettle
    result = covsettle.gather("cov", expect=2, timeout="2m", report=["text"])
    print(result["total_percent"])

Keyword arguments are covsettle's long options: `new_only=True` is
--new-only, `expect=2` is --expect 2, a list repeats the option
(`report=["text", "xml=coverage.xml"]`), None or False leaves it out.
`covsettle COMMAND --help` and `man covsettle` list them all.

The binary is $COVSETTLE when set, else the one this package was installed
with (the wheel's scripts: next to this Python's, or in DIR/bin after
`pip install --target DIR`), else `covsettle` on PATH.
"""
import json
import os
import shutil
import subprocess
import sysconfig
from importlib.metadata import PackageNotFoundError, version as _version

__all__ = ["CovsettleError", "Result", "binary", "wait", "check", "gather",
           "__version__"]

try:
    __version__ = _version("covsettle")
except PackageNotFoundError:  # imported from a checkout, not installed
    __version__ = None


class CovsettleError(Exception):
    """covsettle exited nonzero. `status` is its exit status (man covsettle,
    EXIT STATUS: 3 timeout, 4 invalid data, 5 coverage.py failed, ...;
    128+N when killed by signal N), `message` its one-line diagnosis, and
    `result` the --json object (None if it printed none), `stderr` its
    messages."""

    def __init__(self, status, message, result=None, stderr=""):
        super().__init__(f"covsettle exited {status}: {message}")
        self.status = status
        self.message = message
        self.result = result
        self.stderr = stderr


class Result(dict):
    """covsettle's --json object, with its exit status and standard error."""

    status = 0
    stderr = ""


def binary():
    """The path of the covsettle binary to run (see the module's doc)."""
    named = os.environ.get("COVSETTLE")
    if named:
        return shutil.which(named) or named
    for beside in (os.path.join(sysconfig.get_path("scripts"), "covsettle"),
                   # pip install --target DIR: DIR/bin, next to the package
                   os.path.join(os.path.dirname(os.path.dirname(
                       os.path.abspath(__file__))), "bin", "covsettle")):
        if os.access(beside, os.X_OK):
            return beside
    found = shutil.which("covsettle")
    if found is None:
        raise CovsettleError(127, "covsettle not found: pip install covsettle, "
                                  "or set COVSETTLE to the binary")
    return found


def _options(options):
    """Long options from keyword arguments, in the order given."""
    argv = []
    for name, value in options.items():
        flag = "--" + name.replace("_", "-")
        values = value if isinstance(value, (list, tuple)) else [value]
        for v in values:
            if v is None or v is False:
                continue
            argv.append(flag if v is True else f"{flag}={v}")
    return argv


def _message(status, result, stderr):
    """The one line that says why covsettle exited nonzero."""
    if result and result.get("message"):
        return result["message"]
    if result and result.get("command") == "check":
        bad = [f"{f['path']}: {f['verdict']}: {f['reason']}"
               for f in result.get("files", []) if f.get("verdict") != "ok"]
        if bad:
            return "; ".join(bad)
    lines = [line for line in stderr.splitlines() if line.strip()]
    return lines[-1] if lines else f"exit status {status}"


def run(command, operands, options, *, cwd=None, env=None, timeout=None):
    """Run `covsettle COMMAND --json [options] OPERANDS...`; the Result, or
    CovsettleError. timeout (seconds) bounds the whole run from Python: on it,
    covsettle is stopped with SIGTERM and the error has status 143."""
    argv = [binary(), command, "--json", *_options(options), "--",
            *map(os.fspath, operands)]
    with subprocess.Popen(argv, cwd=cwd, env=env, stdin=subprocess.DEVNULL,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          text=True) as p:
        try:
            out, err = p.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            p.terminate()
            out, err = p.communicate()
    status = p.returncode if p.returncode >= 0 else 128 - p.returncode
    try:
        parsed = json.loads(out) if out.strip() else None
    except ValueError:
        parsed = None
    if status != 0:
        raise CovsettleError(status, _message(status, parsed, err), parsed, err)
    if not isinstance(parsed, dict):
        raise CovsettleError(status, "no JSON result on standard output", None, err)
    result = Result(parsed)
    result.status, result.stderr = status, err
    return result


def wait(directory, *, cwd=None, env=None, **options):
    """covsettle wait DIRECTORY: block until its data files have settled.
    Common options: expect=N, timeout="60s", debounce="500ms",
    new_only=True, trigger="kill -HUP PID" (run once the watch is armed),
    pattern=GLOB, invalid="quarantine". Returns the --json object:
    status, files (name, size, verdict, reason), lost, elapsed_ms, ..."""
    return run("wait", [directory], options, cwd=cwd, env=env)


def check(*paths, cwd=None, env=None, **options):
    """covsettle check PATH...: verify data files without waiting. Returns
    the --json object (files with path, verdict, reason; checked; invalid);
    a file not ok raises CovsettleError (status 4) naming it."""
    return run("check", paths, options, cwd=cwd, env=env)


def gather(directory, *, cwd=None, env=None, **options):
    """covsettle gather DIRECTORY: wait, check, combine and report. Options
    of wait, and rcfile=, data_file=, report=["text", "xml=coverage.xml"],
    fail_under=PCT, coverage="python -m coverage", combine=, no_keep=True.
    Returns the --json object (inputs, combine, reports, total_percent, ...);
    below fail_under raises CovsettleError with status 1."""
    return run("gather", [directory], options, cwd=cwd, env=env)
