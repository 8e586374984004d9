"""covsettle's pytest plugin (the pytest11 entry point of `pip install
covsettle`).

After the session: `--covsettle-gather DIR` runs `covsettle gather DIR` once
the tests are done (in the controller only, under pytest-xdist) with the
--covsettle-* options below, shows what it combined in pytest's terminal
summary, and fails the session when covsettle exits nonzero (a data file
missing or broken, coverage below --covsettle-fail-under).

During it: the `covsettle_restart` fixture signals a server (a graceful
restart, or a stop) with covsettle's watch already armed, and returns once
the data files of the processes that exit have settled, so nothing combines
them half written:

    def test_after_restart(covsettle_restart, server):
        covsettle_restart(f"kill -HUP {server.pid}", "cov", expect=2)
"""
import os
import sys

import pytest

import covsettle

# --covsettle-NAME options passed on to gather as --NAME.
GATHER_OPTIONS = (
    ("expect", "N", "how many data files to wait for [covsettle's default: 1]"),
    ("timeout", "DURATION", "how long to wait for them [60s]"),
    ("debounce", "DURATION", "the quiet window [500ms]"),
    ("pattern", "GLOB", "the data files' names [.coverage.*]"),
    ("trigger", "CMD", "run once the watch is armed (e.g. kill -HUP PID)"),
    ("rcfile", "FILE", "coverage.py's configuration file"),
    ("data-file", "FILE", "the combined data file [.coverage]"),
    ("coverage", "CMD", "the coverage.py command to combine and report with"),
    ("fail-under", "PCT", "fail the session below this total"),
    ("combine", "HOW", "auto, native or coverage"),
)


def pytest_addoption(parser):
    group = parser.getgroup("covsettle", "covsettle: gather coverage.py's "
                            "parallel data files after the session")
    group.addoption("--covsettle-gather", metavar="DIR", dest="covsettle_gather",
                    help="run `covsettle gather DIR` after the session; a "
                         "nonzero exit fails the session")
    for name, metavar, what in GATHER_OPTIONS:
        group.addoption(f"--covsettle-{name}", metavar=metavar,
                        dest="covsettle_" + name.replace("-", "_"), help=what)
    group.addoption("--covsettle-report", metavar="FORMAT[=PATH]",
                    dest="covsettle_report", action="append", default=[],
                    help="a report (text, html, xml, json, lcov); repeatable")
    group.addoption("--covsettle-json", metavar="FILE", dest="covsettle_json",
                    help="also write gather's --json result to FILE")


def pytest_configure(config):
    if config.getoption("covsettle_gather") and not hasattr(config, "workerinput"):
        config.pluginmanager.register(_Gather(config), "covsettle-gather")


class _Gather:
    """`covsettle gather` after the session, its summary, its verdict."""

    def __init__(self, config):
        self.config = config
        self.result = None
        self.error = None

    def options(self):
        options = {}
        for name, _, _ in GATHER_OPTIONS:
            value = self.config.getoption("covsettle_" + name.replace("-", "_"))
            if value is not None:
                options[name.replace("-", "_")] = value
        options["report"] = self.config.getoption("covsettle_report")
        return options

    @pytest.hookimpl(trylast=True)
    def pytest_sessionfinish(self, session):
        if session.exitstatus in (pytest.ExitCode.INTERRUPTED,
                                  pytest.ExitCode.INTERNAL_ERROR):
            return  # stopped: no gather, and the summary says so
        directory = self.config.getoption("covsettle_gather")
        try:
            self.result = covsettle.gather(directory, **self.options())
        except covsettle.CovsettleError as e:
            self.error = e
            if session.exitstatus == pytest.ExitCode.OK:
                session.exitstatus = pytest.ExitCode.TESTS_FAILED
        path = self.config.getoption("covsettle_json")
        result = self.result if self.error is None else self.error.result
        if path and result is not None:
            import json
            with open(path, "w") as f:
                json.dump(result, f, indent=1)
                f.write("\n")

    def pytest_terminal_summary(self, terminalreporter):
        """covsettle's own lines (the text report's table among them: with
        --json it goes to standard error), then one line of what gather
        combined, and its exit status if nonzero."""
        tr = terminalreporter
        if self.result is None and self.error is None:
            tr.write_sep("-", "covsettle gather: not run, the session was stopped")
            return
        failed = self.error is not None
        result = self.error.result if failed else self.result
        tr.write_sep("-", "covsettle gather")
        stderr = self.error.stderr if failed else self.result.stderr
        for line in stderr.rstrip("\n").splitlines():
            tr.write_line(line)
        if result is not None and result.get("files") is not None:
            files = len(result["files"])
            combine = result.get("combine") or {}
            tr.write_line(f"{result.get('dir')}: {files} data file"
                          f"{'' if files == 1 else 's'} settled in "
                          f"{result.get('elapsed_ms')} ms; "
                          f"{result.get('inputs') or 0} combined into "
                          f"{result.get('data_file')}"
                          + (f" ({combine['method']})" if combine.get("method") else ""))
            if result.get("total_percent") is not None:
                tr.write_line(f"total: {result['total_percent']:g}%")
        if failed:
            tr.write_line(f"covsettle gather exited {self.error.status}: "
                          f"{self.error.message}", red=True, bold=True)


def _default_directory(config):
    """Where the data files go: --covsettle-gather's DIR, else pytest-cov's
    data file's directory (COV_CORE_DATAFILE), else $COVERAGE_FILE's."""
    named = config.getoption("covsettle_gather")
    if named:
        return named
    for variable in ("COV_CORE_DATAFILE", "COVERAGE_FILE"):
        if os.environ.get(variable):
            return os.path.dirname(os.path.abspath(os.environ[variable]))
    return None


@pytest.fixture(scope="session")
def covsettle_restart(pytestconfig):
    """restart(trigger, directory=None, *, expect=1, timeout="60s", signal=
    "HUP", **options): run `covsettle wait --new-only --expect N --trigger
    TRIGGER DIRECTORY` and return its result once the data files of the
    processes that the trigger makes exit (old workers at a restart, the
    server at a stop) have settled. trigger is a shell command, or a pid
    (a negative one names a process group) to send `signal` to. directory
    defaults to --covsettle-gather's, else pytest-cov's data directory. A
    nonzero exit (timeout, invalid data, the trigger failed) fails the test
    with covsettle's message. covsettle's own lines go to standard error."""

    def restart(trigger, directory=None, *, expect=1, timeout="60s",
                signal="HUP", **options):
        if not isinstance(trigger, str):
            trigger = f"kill -{signal} {int(trigger)}"
        directory = directory or _default_directory(pytestconfig)
        if directory is None:
            pytest.fail("covsettle_restart: no data directory: name one, or "
                        "use --covsettle-gather DIR or pytest-cov")
        options.setdefault("new_only", True)
        try:
            result = covsettle.wait(directory, expect=expect, timeout=timeout,
                                    trigger=trigger, **options)
        except covsettle.CovsettleError as e:
            sys.stderr.write(e.stderr)
            pytest.fail(f"covsettle wait exited {e.status}: {e.message}",
                        pytrace=False)
        sys.stderr.write(result.stderr)
        return result

    return restart
