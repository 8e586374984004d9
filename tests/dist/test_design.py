# test_design.py: docs/design.md's layout holds the code to its floors.
# Its floor script prints nothing (no arrow runs up a floor), its table
# puts every module on the floor the script gives it, and its list of
# arrows is exactly the #include "..." lines of src/*.c and include/*.h,
# module by module: an include added or dropped without the page failing.
import os
import re
import subprocess

from distutil import ROOT

DESIGN = os.path.join(ROOT, "docs", "design.md")


def design():
    with open(DESIGN, encoding="utf-8") as f:
        return f.read()


def block_after(text, marker):
    """The first fenced block after the line that starts with marker."""
    at = text.index(marker)
    m = re.compile(r"^```[a-z]*\n(.*?)^```$", re.M | re.S).search(text, at)
    return m.group(1)


def drawn():
    """The arrows of the page: {module: set of modules it includes}."""
    arrows = {}
    for line in block_after(design(), "The arrows, drawn").splitlines():
        # "help  ─> cli   output ─> check util": a left side is the words
        # just before ─>, joined by commas ("watch, writer").
        line = re.sub(r"\([^)]*\)", "", line).replace(".h", "")
        words = line.split()
        cuts = [i for i, w in enumerate(words) if w == "─>"]
        for k, i in enumerate(cuts):
            j = i - 1
            while j > 0 and words[j - 1].endswith(","):
                j -= 1
            lhs = [w.rstrip(",") for w in words[j:i]]
            end = len(words) if k + 1 == len(cuts) else cuts[k + 1] - 1
            while end > i + 1 and words[end - 1].endswith(","):
                end -= 1
            for m in lhs:
                arrows[m] = set(words[i + 1:end])
    return arrows


def modules():
    """Every module: a .c of src/ or a .h of include/, without it."""
    return {n.rsplit(".", 1)[0]
            for sub in ("src", "include")
            for n in os.listdir(os.path.join(ROOT, sub))
            if n.endswith((".c", ".h"))}


def included():
    """The arrows of the code, from the .c and .h of each module."""
    arrows = {}
    for sub, ext in (("src", ".c"), ("include", ".h")):
        for name in os.listdir(os.path.join(ROOT, sub)):
            if not name.endswith(ext):
                continue
            m = name[: -len(ext)]
            with open(os.path.join(ROOT, sub, name), encoding="utf-8") as f:
                inc = re.findall(r'^#include "(.*)\.h"', f.read(), re.M)
            arrows.setdefault(m, set()).update(i for i in inc if i != m)
    return {m: deps for m, deps in arrows.items() if deps}


def test_the_floor_script_finds_no_arrow_running_up():
    script = block_after(design(), "This script checks them")
    r = subprocess.run(["sh", "-c", script], cwd=ROOT, capture_output=True,
                       text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    assert r.stdout == "", r.stdout


def test_the_arrows_drawn_are_the_include_lines():
    page, code = drawn(), included()
    assert set(page) == set(code), (
        f"modules with includes not drawn: {sorted(set(code) - set(page))}; "
        f"drawn, with none: {sorted(set(page) - set(code))}")
    for m in sorted(code):
        assert page[m] == code[m], (
            f"{m}: drawn only {sorted(page[m] - code[m])}, "
            f"included only {sorted(code[m] - page[m])}")


def test_the_floor_table_is_the_floor_script():
    text = design()
    script = block_after(text, "This script checks them")
    floor_fn = script[: script.index("for f in")]
    table = {}
    rows = text[text.index("The modules stand on"):
                text.index("The arrows, drawn")]
    row = re.compile(r"^\| ([0-3]) [^|]*\| ([^|]*) \|", re.M)
    for floor, names in row.findall(rows):
        for m in re.findall(r"`([a-z_]+)(?:\.h)?`", names):
            table[m] = floor
    assert set(table) == modules(), (
        f"not in the table: {sorted(modules() - set(table))}; "
        f"no such module: {sorted(set(table) - modules())}")
    r = subprocess.run(
        ["sh", "-c", floor_fn + 'for m; do echo "$m $(floor "$m")"; done',
         "sh"] + sorted(table), capture_output=True, text=True, timeout=60)
    given = dict(line.split() for line in r.stdout.splitlines())
    wrong = {m: (table[m], given[m]) for m in table if table[m] != given[m]}
    assert not wrong, f"module: (table's floor, script's floor): {wrong}"
