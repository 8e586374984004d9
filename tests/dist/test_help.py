# test_help.py: `covsettle COMMAND --help` lists every option of the command
# with a line on what it does, the same set as the man page, with the man
# page's defaults; the binary takes exactly those; --version names the
# libraries covsettle runs with.
import re
import sqlite3
import subprocess

import pytest

from distutil import COMMANDS, COVSETTLE, help_options, man_defaults, \
    man_options, run


@pytest.mark.parametrize("cmd", COMMANDS)
def test_help_lists_the_man_pages_options(cmd):
    man = man_options()[cmd]
    shown = help_options(cmd)
    assert set(shown) == set(man), (
        f"--help only: {set(shown) - set(man)}, man only: {set(man) - set(shown)}")
    for name, (short, _) in shown.items():
        assert short == man[name], f"--{name}: {short} in --help, {man[name]} in man"


@pytest.mark.parametrize("cmd", COMMANDS)
def test_help_describes_each_option(cmd):
    r = run(COVSETTLE, cmd, "--help")
    assert r.stdout.startswith(f"usage: covsettle {cmd} [OPTIONS] ")
    lines = r.stdout.splitlines()
    opts = [i for i, l in enumerate(lines) if l.startswith("  -")]
    assert opts
    for i in opts:
        # the flags, then the description on the same line or, where the
        # flags fill the column, indented on the next
        words = re.split(r"\s{2,}", lines[i].strip())
        if len(words) == 1:
            assert re.match(r" {28}\S", lines[i + 1]), lines[i]
        else:
            assert len(words) == 2, lines[i]
    assert "See covsettle(1)." in r.stdout


@pytest.mark.parametrize("cmd", COMMANDS)
def test_help_defaults_are_the_man_pages(cmd):
    shown = help_options(cmd)
    defaults = man_defaults()
    compared = 0
    for name, value in defaults.items():
        if name in shown:
            assert shown[name][1] == value, f"--{name}"
            compared += 1
    assert compared >= (1 if cmd == "check" else 4)


@pytest.mark.parametrize("cmd", COMMANDS)
def test_the_binary_takes_the_helps_options_and_no_other(cmd):
    mine = set(help_options(cmd))
    every = set().union(*(help_options(c) for c in COMMANDS))
    for name in sorted(every):
        r = run(COVSETTLE, cmd, f"--{name}")
        if "needs a value" in r.stderr:
            r = run(COVSETTLE, cmd, f"--{name}=x")
        assert (f"unknown option --{name}" in r.stderr) == (name not in mine), (
            name, r.stderr)


def test_version_names_inotifytools_and_sqlite():
    r = run(COVSETTLE, "--version")
    assert r.returncode == 0
    lines = r.stdout.splitlines()
    assert lines[0].startswith("covsettle ")
    pkg = subprocess.run(["dpkg-query", "-W", "-f=${source:Upstream-Version}",
                          "libinotifytools0-dev"], text=True,
                         stdout=subprocess.PIPE).stdout
    assert lines[1] == (f"libinotifytools {pkg} (built with; the library "
                        "has no version call)")
    # /usr/bin/python3's sqlite3 module runs with the same libsqlite3.
    assert lines[2].startswith(f"SQLite {sqlite3.sqlite_version} (running; ")
