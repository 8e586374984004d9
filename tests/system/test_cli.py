# test_cli.py: the command line. Every malformed, empty or out-of-range
# value gets a one-line usage error and exit 2; every valid value of the
# enumerated options is accepted.
import json

import pytest

from harness import covsettle

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
    # durations: empty, malformed, negative, too long, for every option
    (["wait", "-T", "", "x"], "--timeout: empty duration"),
    (["wait", "-T", "-5s", "x"], "--timeout: '-5s' is not a duration"),
    (["wait", "-T", ".5s", "x"], "--timeout: '.5s' is not a duration"),
    (["wait", "-T", "1.s", "x"], "--timeout: '1.s' is not a duration"),
    (["wait", "-T", "1e3", "x"], "--timeout: '1e3' has an unknown unit"),
    (["wait", "-T", "1 s", "x"], "--timeout: '1 s' has an unknown unit"),
    (["wait", "-T", "1S", "x"], "--timeout: '1S' has an unknown unit"),
    (["wait", "-d", "2073600001ms", "x"], "--debounce: duration '2073600001ms' is too long"),
    (["wait", "-d", "576.0000000001h", "x"], "--debounce: duration '576.0000000001h' is too long"),
    (["wait", "-d", "99999999999999999999999s", "x"], "--debounce: duration '99999999999999999999999s' is too long"),
    (["wait", "--poll=1x", "x"], "--poll: '1x' has an unknown unit"),
    (["wait", "--poll=577h", "x"], "--poll: duration '577h' is too long"),
    (["wait", "--poll=-1", "x"], "--poll: '-1' is not a duration"),
    (["wait", "--poll=0ms", "x"], "--poll: the interval must be above 0"),
    # counts
    (["wait", "-n", "1000000001", "x"], "--expect: 1000000001 is out of range (0 to 1000000000)"),
    (["wait", "-n", "+1", "x"], "--expect: '+1' is not a number"),
    (["wait", "-n", " 1", "x"], "--expect: ' 1' is not a number"),
    (["wait", "-n", "1.5", "x"], "--expect: '1.5' is not a number"),
    (["wait", "-n", "0x10", "x"], "--expect: '0x10' is not a number"),
    (["wait", "-n", "-", "x"], "--expect: '-' is not a number"),
    # enumerations are exact, case included
    (["wait", "--invalid=FAIL", "x"], "--invalid 'FAIL': use fail or quarantine"),
    (["wait", "--invalid=quarantine ", "x"], "--invalid 'quarantine ': use fail or quarantine"),
    (["gather", "--report", "TEXT", "x"], "--report 'TEXT': use text, json"),
    (["gather", "--report", "text=", "x"], "--report text=: empty PATH"),
    (["gather", "--report", "=out", "x"], "--report '': use text, json"),
    (["gather"] + ["--report", "json"] * 17 + ["x"], "--report: 16 reports at most"),
    # percentages
    (["gather", "--fail-under", "1e2", "x"], "--fail-under '1e2': a percentage"),
    (["gather", "--fail-under", ".5", "x"], "--fail-under '.5': a percentage"),
    (["gather", "--fail-under", "nan", "x"], "--fail-under 'nan': a percentage"),
    (["gather", "--fail-under", "inf", "x"], "--fail-under 'inf': a percentage"),
    (["gather", "--fail-under", " 50", "x"], "--fail-under ' 50': a percentage"),
    (["gather", "--fail-under", "0x10", "x"], "--fail-under '0x10': a percentage"),
    (["gather", "--fail-under", "100.0001", "x"], "--fail-under 100.0001 is out of range"),
    (["gather", "--fail-under", "101", "x"], "--fail-under 101 is out of range"),
    # other empty values
    (["wait", "-p", "/", "x"], "--pattern '/': a file name glob"),
    (["gather", "--coverage", "", "x"], "--coverage: empty command"),
    (["gather", "--coverage", "\t", "x"], "--coverage: empty command"),
    (["gather", "-t", "", "x"], "--trigger: empty command"),
    (["gather", "-p", "", "x"], "--pattern '': a file name glob"),
    (["gather", "--poll=0", "x"], "--poll: the interval must be above 0"),
    # values missing, given where none is taken, options unknown where typed
    (["wait", "-T"], "-T needs a value"),
    (["wait", "--timeout"], "--timeout needs a value"),
    (["wait", "--invalid"], "--invalid needs a value"),
    (["wait", "-qd"], "-d needs a value"),
    (["gather", "--report"], "--report needs a value"),
    (["gather", "--coverage"], "--coverage needs a value"),
    (["wait", "-qXv", "x"], "unknown option -X"),
    (["wait", "--new-only=1", "x"], "--new-only takes no value"),
    (["wait", "--json=yes", "x"], "--json takes no value"),
    (["gather", "--no-keep=1", "x"], "--no-keep takes no value"),
    (["wait", "--coverage", "c", "x"], "unknown option --coverage"),
    (["wait", "--fail-under", "5", "x"], "unknown option --fail-under"),
    (["wait", "--rcfile", "r", "x"], "unknown option --rcfile"),
    (["wait", "--data-file", "d", "x"], "unknown option --data-file"),
    (["wait", "--no-wait-lock", "x"], "unknown option --no-wait-lock"),
    # another command's option is unknown, value or not, and named
    # without the value
    (["wait", "--coverage"], "unknown option --coverage"),
    (["wait", "--report=text", "x"], "unknown option --report"),
    (["check", "--expect"], "unknown option --expect"),
    (["check", "-p", "a/b", "x"], "--pattern 'a/b': a file name glob"),
    (["check", "-p"], "-p needs a value"),
    (["check", "-Xq", "x"], "unknown option -X"),
    (["check", "--json=1", "x"], "--json takes no value"),
    (["check", "--debounce", "1s", "x"], "unknown option --debounce"),
    # --report-option: after a --report, an option, none that covsettle
    # sets itself (also as optparse's prefix, or in a cluster)
    (["gather", "--report-option", "--skip-covered", "x"],
     "--report-option '--skip-covered': no --report before it"),
    (["gather", "--report", "text", "--report-option", "skip-covered", "x"],
     "--report-option 'skip-covered': an option of coverage.py's report"),
    (["gather", "--report", "text", "--report-option", "", "x"],
     "--report-option '': an option of coverage.py's report"),
    (["gather", "--report", "text", "--report-option", "--", "x"],
     "--report-option '--': an option of coverage.py's report"),
    (["gather", "--report", "text", "--report-option=--data-file=a", "x"],
     "--report-option --data-file: covsettle sets it (use --data-file)"),
    (["gather", "--report", "text", "--report-option", "--data=a", "x"],
     "--report-option --data: covsettle sets it (use --data-file)"),
    (["gather", "--report", "text", "--report-option", "--rcfile=r", "x"],
     "--report-option --rcfile: covsettle sets it (use --rcfile)"),
    (["gather", "--report", "text", "--report-option", "--fail-under=5", "x"],
     "--report-option --fail-under: covsettle sets it (use --fail-under)"),
    (["gather", "--report", "json", "--report-option", "-o", "x"],
     "--report-option -o: covsettle sets it (use --report FORMAT=PATH)"),
    (["gather", "--report", "json", "--report-option", "-mo", "x"],
     "--report-option -mo: covsettle sets it (use --report FORMAT=PATH)"),
    (["gather", "--report", "html", "--report-option", "--dir=h", "x"],
     "--report-option --dir: covsettle sets it (use --report html=PATH)"),
    (["gather", "--report", "text"] + ["--report-option", "-m"] * 17 + ["x"],
     "--report-option: 16 per report at most"),
    (["wait", "--report-option", "-m", "x"], "unknown option --report-option"),
    # a value with a newline still makes one line
    (["wait", "--invalid=a\nb", "x"], "--invalid 'a\\nb': use fail or quarantine"),
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


# --poll=0 is a usage error (BAD above), so 0 is not among its values.
@pytest.mark.parametrize("opt,value", [
    (o, v) for o in ["-d", "--debounce", "-T", "--timeout", "--poll="]
    for v in ["1ms", "250ms", "1.5s", "2m", "1h", "3", "0.5", "576h", "0"]
    if (o, v) != ("--poll=", "0")])
def test_every_duration_option_takes_every_unit(tmp_path, opt, value):
    args = [opt + value] if opt.endswith("=") else [opt, value]
    r = covsettle("wait", *args, "--expect", "0", str(tmp_path))
    assert r.returncode == 0, r.stderr


@pytest.mark.parametrize("args", [
    ["-p", "*.cov"], ["--pattern", ".coverage.*"], ["-n", "0"],
    ["--expect", "0"], ["-q"], ["--quiet"], ["-v"], ["--verbose"],
    ["--json"], ["--new-only"], ["--ignore-writers"], ["--poll"],
    ["-t", "true"], ["--trigger", "true"],
])
def test_every_flag_and_short_form_is_accepted(tmp_path, args):
    r = covsettle("wait", *args, "--expect", "0", "-d", "0", str(tmp_path))
    assert r.returncode == 0, r.stderr


@pytest.mark.parametrize("args,message", [
    (["wait", "--json", "-d", "fast", "x"], "--debounce: 'fast' is not a duration"),
    (["wait", "--bogus", "--json", "x"], "unknown option --bogus"),
    (["wait", "--json"], "DIR is missing"),
    (["gather", "--json", "--report", "pdf", "x"], "--report 'pdf': use text"),
    (["gather", "--fail-under", "abc", "--json", "x"], "--fail-under 'abc'"),
    (["check", "--json", "-p", "a/b", "x"], "--pattern 'a/b': a file name glob"),
    (["check", "-Xq", "--json", "x"], "unknown option -X"),
    (["check", "--json"], "PATH is missing"),
])
def test_usage_error_with_json_prints_the_error_object(args, message):
    r = covsettle(*args)
    assert r.returncode == 2
    assert message in r.stderr and len(r.stderr.splitlines()) == 1
    doc = json.loads(r.stdout)
    assert doc == {"command": args[0], "exit": 2, "status": "usage",
                   "message": doc["message"]}
    assert message in doc["message"]
    assert r.stderr.startswith(f"covsettle {args[0]}: {doc['message']} (see")


def test_json_as_an_option_value_is_no_json(tmp_path):
    # --trigger's value is a command, even one spelled --json.
    r = covsettle("wait", "--trigger", "--json", "-d", "fast", "x")
    assert r.returncode == 2 and r.stdout == ""
