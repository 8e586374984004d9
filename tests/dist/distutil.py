# distutil.py: helpers for the tests of what `make deb` and `make dist` ship:
# where the artifacts are, and the man page's and --help's option sets.
import os
import re
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tests", "system"))

from harness import Proc  # noqa: E402  (the system tests' process helper)

COVSETTLE = os.environ.get("COVSETTLE", os.path.join(ROOT, "build", "covsettle"))
FIXTURES = os.path.join(ROOT, "fixtures", "data")
MAN = os.path.join(ROOT, "man", "covsettle.1")
COMPLETIONS = os.path.join(ROOT, "completions")
PY = "/usr/bin/python3"
COMMANDS = ("wait", "check", "gather")

__all__ = ["Proc", "ROOT", "COVSETTLE", "FIXTURES", "MAN", "COMPLETIONS", "PY",
           "COMMANDS", "run", "help_options", "man_options", "man_defaults",
           "version"]


def run(*argv, timeout=120, **kw):
    """Run argv to its end; the CompletedProcess, text output captured."""
    return subprocess.run(argv, text=True, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, stdin=subprocess.DEVNULL,
                          timeout=timeout, **kw)


def version():
    """covsettle's version, as the Makefile sets it."""
    with open(os.path.join(ROOT, "Makefile")) as f:
        return re.search(r"^VERSION := (\S+)$", f.read(), re.M).group(1)


def help_options(cmd, binary=COVSETTLE):
    """{long option: (short option or None, default or None)} from
    `covsettle CMD --help`: its lines that start with two blanks and '-'."""
    r = run(binary, cmd, "--help")
    assert r.returncode == 0, r.stderr
    found, last = {}, None
    for line in r.stdout.splitlines():
        m = re.match(r"  (-(\w), )?--([a-z-]+)", line)
        if m:
            last = m.group(3)
            found[last] = [m.group(2) and "-" + m.group(2), None]
        d = re.search(r"\[default: ([^\]\n]*)", line)
        if d and last:
            found[last][1] = d.group(1)
    return {k: tuple(v) for k, v in found.items()}


def _man():
    with open(MAN) as f:
        return f.read()


def _section(text, name):
    m = re.search(rf"^\.Sh {name}\n(.*?)(?=^\.Sh )", text, re.S | re.M)
    assert m, f"no section {name} in {MAN}"
    return m.group(1)


def _flags(line):
    """The options named by Fl in one mdoc line: '-q', '-v', '--json'..."""
    out = []
    for word in re.findall(r"\bFl (\S+)", line):
        word = word.replace("\\-", "-")
        if word.startswith("-"):  # \-json: a long option
            out.append("-" + word)
        else:  # qv: a cluster of short options
            out += ["-" + c for c in word if c.isalpha()]
    return out


def man_options():
    """{command: {long option: short option or None}} from the man page:
    SYNOPSIS says which command takes which option ("gather" takes wait's
    too), OPTIONS pairs short and long names and marks gather's own."""
    text = _man()
    pairs, gather_only = {}, set()
    items = re.split(r"^\.It ", _section(text, "OPTIONS"), flags=re.M)[1:]
    for item in items:
        head, _, rest = item.partition("\n")
        flags = _flags(head)
        longs = [f for f in flags if f.startswith("--")]
        if not longs:
            continue
        shorts = [f for f in flags if not f.startswith("--")]
        pairs[longs[0][2:]] = shorts[0] if shorts else None
        if rest.startswith(".Pq Cm gather"):
            gather_only.add(longs[0][2:])
    by_short = {s: l for l, s in pairs.items() if s}
    synopsis = _section(text, "SYNOPSIS")
    per_cmd = {}
    for block in re.split(r"^\.Nm covsettle\n", synopsis, flags=re.M)[1:]:
        m = re.match(r"\.Cm (\w+)\n", block)
        if not m:
            continue
        names = set()
        for flag in _flags(block):
            names.add(flag[2:] if flag.startswith("--") else by_short[flag])
        if "Ar wait options" in block:
            names |= per_cmd["wait"]
        per_cmd[m.group(1)] = names | {"help"}  # -h: every command's
    assert set(per_cmd) == set(COMMANDS), per_cmd
    assert gather_only <= per_cmd["gather"] - per_cmd["wait"], gather_only
    return {cmd: {o: pairs[o] for o in sorted(names)}
            for cmd, names in per_cmd.items()}


def man_defaults():
    """{long option: the word after "The default is" in its OPTIONS item}."""
    found = {}
    items = re.split(r"^\.It ", _section(_man(), "OPTIONS"), flags=re.M)[1:]
    for item in items:
        head, _, rest = item.partition("\n")
        longs = [f for f in _flags(head) if f.startswith("--")]
        m = re.search(r"The default is\s+(?:\.(?:Ql|Pa) )?(\S+?)[.,;]?(\s|$)",
                      rest)
        if longs and m:
            found[longs[0][2:]] = m.group(1)
    return found
