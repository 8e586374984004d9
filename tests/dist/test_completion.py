# test_completion.py: the completions offer what covsettle takes. The bash
# one is driven as bash calls it (COMP_WORDS, COMP_CWORD, the function that
# `complete -p covsettle` names); the fish one through `complete -C`.
import os
import re
import shutil
import subprocess

import pytest

from distutil import COMMANDS, COMPLETIONS, help_options

BASH = os.path.join(COMPLETIONS, "covsettle.bash")
FISH = os.path.join(COMPLETIONS, "covsettle.fish")
HERE = os.path.dirname(os.path.abspath(__file__))

DRIVER = r'''
source "$1"; shift
spec=$(complete -p covsettle) || exit 1
fn=${spec#*-F }; fn=${fn%% *}
COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1))
COMP_LINE="$*"; COMP_POINT=${#COMP_LINE}
"$fn" covsettle "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
printf '%s\n' "${COMPREPLY[@]}"
'''


def bash_complete(*words, script=BASH, cwd=None):
    """The candidates bash's completion offers for the last of words."""
    r = subprocess.run(["bash", "--norc", "-c", DRIVER, "bash", script,
                        "covsettle", *words], text=True, cwd=cwd,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert r.returncode == 0, r.stderr
    return sorted(filter(None, r.stdout.split("\n")))


def fish_complete(line, cwd=None):
    r = subprocess.run(["fish", "--no-config", "-c",
                        f"source {FISH}; complete -C'{line}'"], text=True,
                       cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert r.returncode == 0, r.stderr
    return sorted(l.split("\t")[0] for l in r.stdout.splitlines())


def test_bash_commands():
    assert bash_complete("") == sorted(
        ["wait", "check", "gather", "--help", "--version"])
    assert bash_complete("g") == ["gather"]


@pytest.mark.parametrize("cmd", COMMANDS)
def test_bash_options_are_the_helps(cmd):
    offered = bash_complete(cmd, "--")
    assert {o.rstrip("=")[2:] for o in offered} == set(help_options(cmd))
    shorts = {s for s, _ in help_options(cmd).values() if s}
    assert set(bash_complete(cmd, "-")) - set(offered) == shorts


@pytest.mark.parametrize("words", [
    ("wait", "--invalid", ""), ("wait", "--invalid", "=", ""),
    ("gather", "--invalid", "=", "")])
def test_bash_invalid_values(words):
    assert bash_complete(*words) == ["fail", "quarantine"]


def test_bash_invalid_value_prefix():
    assert bash_complete("wait", "--invalid", "=", "q") == ["quarantine"]
    assert bash_complete("wait", "--inv") == ["--invalid="]


def test_bash_report_formats_and_path(tmp_path):
    assert bash_complete("gather", "--report", "") == [
        "html", "json", "lcov", "text", "xml"]
    assert bash_complete("gather", "--report", "h") == ["html"]
    (tmp_path / "public").mkdir()
    assert bash_complete("gather", "--report", "html", "=", "pu",
                         cwd=tmp_path) == ["public"]


def test_bash_report_option_values():
    assert bash_complete("gather", "--report-option", "--sk") == [
        "--skip-covered", "--skip-empty"]


def test_bash_combine_values():
    assert bash_complete("gather", "--combine", "") == [
        "auto", "coverage", "native"]


def test_bash_dir_is_a_directory(tmp_path):
    (tmp_path / "cov").mkdir()
    (tmp_path / "cov-notes.txt").write_text("")
    for cmd in ("wait", "gather"):
        assert bash_complete(cmd, "-n", "2", "co", cwd=tmp_path) == ["cov"]


def test_bash_check_takes_files_and_directories(tmp_path):
    (tmp_path / "cov").mkdir()
    (tmp_path / "cov-notes.txt").write_text("")
    assert bash_complete("check", "co", cwd=tmp_path) == [
        "cov", "cov-notes.txt"]


def test_bash_files_and_commands_for_values(tmp_path):
    (tmp_path / "setup.cfg").write_text("")
    assert bash_complete("gather", "--rcfile", "se", cwd=tmp_path) == [
        "setup.cfg"]
    assert "uname" in bash_complete("wait", "--trigger", "unam")
    assert bash_complete("wait", "--timeout", "") == []


def test_bash_completion_is_installed_by_the_script_name():
    # bash-completion loads /usr/share/bash-completion/completions/NAME on
    # first use of NAME: the file registers NAME itself.
    text = open(BASH).read()
    assert re.search(r"^complete -F _covsettle covsettle$", text, re.M)


@pytest.mark.skipif(shutil.which("fish") is None, reason="fish not installed")
@pytest.mark.parametrize("cmd", COMMANDS)
def test_fish_options_are_the_helps(cmd, tmp_path):
    offered = fish_complete(f"covsettle {cmd} --", cwd=tmp_path)
    assert {o[2:] for o in offered} == set(help_options(cmd))


@pytest.mark.skipif(shutil.which("fish") is None, reason="fish not installed")
def test_fish_values_and_directories(tmp_path):
    (tmp_path / "cov").mkdir()
    (tmp_path / "cov-notes.txt").write_text("")
    assert fish_complete("covsettle wait --invalid ") == ["fail", "quarantine"]
    assert fish_complete("covsettle gather --report ") == [
        "html", "json", "lcov", "text", "xml"]
    assert fish_complete("covsettle wait co", cwd=tmp_path) == ["cov/"]
    assert fish_complete("covsettle ") == ["check", "gather", "wait"]


def zsh_complete(line, cwd=None):
    """The candidates zsh's completion system offers at the end of line:
    an interactive zsh in a pseudo-terminal (zpty) completes it."""
    r = subprocess.run(["zsh", "-f", os.path.join(HERE, "zcomplete.zsh"),
                        COMPLETIONS, line], text=True, cwd=cwd, timeout=60,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert r.returncode == 0, r.stderr
    return set(r.stdout.split())  # no candidate here holds a blank


@pytest.mark.skipif(shutil.which("zsh") is None, reason="zsh not installed")
@pytest.mark.parametrize("cmd", COMMANDS)
def test_zsh_options_are_the_helps(cmd, tmp_path):
    offered = zsh_complete(f"covsettle {cmd} --", cwd=tmp_path)
    assert {o[2:] for o in offered} == set(help_options(cmd))


@pytest.mark.skipif(shutil.which("zsh") is None, reason="zsh not installed")
def test_zsh_commands_values_and_directories(tmp_path):
    (tmp_path / "cov").mkdir()
    (tmp_path / "cov-notes.txt").write_text("")
    assert zsh_complete("covsettle ") == {"wait", "check", "gather"}
    assert zsh_complete("covsettle wait --invalid=") == {"fail", "quarantine"}
    assert zsh_complete("covsettle gather --report ") == {
        "text", "json", "html", "xml", "lcov"}
    assert zsh_complete("covsettle wait co", cwd=tmp_path) == {"cov"}
    assert zsh_complete("covsettle check co", cwd=tmp_path) == {
        "cov", "cov-notes.txt"}
