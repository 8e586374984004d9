# test_cli.py: the command line. Every malformed, empty or out-of-range
# value gets a one-line usage error and exit 2; every valid value of the
# enumerated options is accepted.
import pytest

from conftest import covsettle

BAD = [
    (["wait"], "DIR is missing"),
    (["wait", "a", "b"], "one DIR only"),
    (["wait", ""], "DIR is empty"),
    (["wait", "-d", "", "x"], "--debounce: empty duration"),
    (["wait", "-d", "fast", "x"], "--debounce: 'fast' is not a duration"),
    (["wait", "-d", "-1", "x"], "--debounce: '-1' is not a duration"),
    (["wait", "-d", "5d", "x"], "--debounce: '5d' has an unknown unit"),
    (["wait", "-T", "25d", "x"], "--timeout: '25d' has an unknown unit"),
    (["wait", "-T", "577h", "x"], "--timeout: duration '577h' is too long"),
    (["wait", "-n", "", "x"], "--expect: empty number"),
    (["wait", "-n", "-1", "x"], "--expect: -1 is out of range"),
    (["wait", "-n", "two", "x"], "--expect: 'two' is not a number"),
    (["wait", "-n", "3x", "x"], "--expect: '3x' is not a number"),
    (["wait", "-n", "99999999999", "x"], "--expect: 99999999999 is out of range"),
    (["wait", "-p", "", "x"], "--pattern '': a file name glob"),
    (["wait", "-p", "a/b*", "x"], "--pattern 'a/b*': a file name glob"),
    (["wait", "-t", "", "x"], "--trigger: empty command"),
    (["wait", "--poll=", "x"], "--poll: empty duration"),
    (["wait", "--poll=0", "x"], "--poll: the interval must be above 0"),
    (["wait", "--invalid=keep", "x"], "--invalid 'keep': use fail or quarantine"),
    (["wait", "--invalid=", "x"], "--invalid '': use fail or quarantine"),
    (["wait", "--bogus", "x"], "unknown option --bogus"),
    (["wait", "-d"], "-d needs a value"),
    (["gather"], "DIR is missing"),
    (["gather", "--report", "pdf", "x"], "--report 'pdf': use text, json, html, xml or lcov"),
    (["gather", "--report", "", "x"], "--report '': use text, json"),
    (["gather", "--report", "json=", "x"], "--report json=: empty PATH"),
    (["gather", "--fail-under", "", "x"], "--fail-under '': a percentage"),
    (["gather", "--fail-under", "abc", "x"], "--fail-under 'abc': a percentage"),
    (["gather", "--fail-under", "-5", "x"], "--fail-under '-5': a percentage"),
    (["gather", "--fail-under", "80%", "x"], "--fail-under '80%': a percentage"),
    (["gather", "--fail-under", "100.5", "x"], "--fail-under 100.5 is out of range"),
    (["gather", "--coverage", " ", "x"], "--coverage: empty command"),
    (["gather", "--rcfile", "", "x"], "--rcfile: empty FILE"),
    (["gather", "--data-file", "", "x"], "--data-file: empty FILE"),
    (["gather", "-n", "x", "d"], "--expect: 'x' is not a number"),
    (["wait", "--report", "text", "x"], "unknown option --report"),
    (["wait", "--no-keep", "x"], "unknown option --no-keep"),
    (["check"], "PATH is missing"),
    (["check", "-p", "", "x"], "--pattern '': a file name glob"),
    (["check", "--nope", "x"], "unknown option --nope"),
]


@pytest.mark.parametrize("args,message", BAD)
def test_usage_error(args, message):
    r = covsettle(*args)
    assert r.returncode == 2
    lines = r.stderr.splitlines()
    assert len(lines) == 1, r.stderr
    assert message in lines[0]


def test_unknown_command():
    r = covsettle("settle")
    assert r.returncode == 2 and "unknown command 'settle'" in r.stderr


def test_version_and_help():
    r = covsettle("--version")
    assert r.returncode == 0 and r.stdout.startswith("covsettle ")
    for args in (["--help"], ["wait", "--help"], ["check", "--help"],
                 ["gather", "--help"]):
        r = covsettle(*args)
        assert r.returncode == 0 and "usage: covsettle" in r.stdout


@pytest.mark.parametrize("mode", ["fail", "quarantine"])
def test_every_invalid_mode_is_accepted(tmp_path, mode):
    r = covsettle("wait", f"--invalid={mode}", "--expect", "0", "-d", "0",
                  str(tmp_path))
    assert r.returncode == 0, r.stderr


@pytest.mark.parametrize("value", ["0", "250ms", "1.5s", "2m", "1h", "0.5",
                                   "576h"])
def test_every_duration_unit_is_accepted(tmp_path, value):
    r = covsettle("wait", "-T", value, "--expect", "0", "-d", "0",
                  str(tmp_path))
    assert r.returncode == 0, r.stderr


@pytest.mark.parametrize("fmt", ["text", "json", "html", "xml", "lcov"])
def test_every_report_format_is_accepted(tmp_path, fmt):
    # Nothing to combine (--expect 0): parsing is what is tested here.
    r = covsettle("gather", "--report", fmt, "--report", f"{fmt}=out",
                  "--expect", "0", "-d", "0", str(tmp_path / "cov"))
    assert r.returncode == 0, r.stderr


@pytest.mark.parametrize("pct", ["0", "50", "92.5", "100"])
def test_every_fail_under_form_is_accepted(tmp_path, pct):
    r = covsettle("gather", "--fail-under", pct, "--expect", "0", "-d", "0",
                  str(tmp_path / "cov"))
    assert r.returncode == (0 if pct == "0" else 1), r.stderr
