# covmatrix.py: the coverage.py versions covsettle's tests run against: Debian's
# 6.5 (/usr/bin/python3) and one venv per era built by `make deps` (mk/matrix.mk).
# $COVSETTLE_MATRIX (space-separated versions, default all) picks some of them.
import os
import re
import socket

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
VENVS = os.path.join(ROOT, "build", "venv")

# The data-file names of each era: what coverage.py puts after ".coverage.".
_HOST = re.escape(socket.gethostname())
_HOST_ = re.escape(socket.gethostname().replace(".", "_"))
ERA_NAMES = {
    # 6.x and 7.0 to 7.3.2: HOST.PID.NNNNNN
    1: rf"\.coverage\.{_HOST}\.(?P<pid>\d+)\.\d{{6}}",
    # 7.3.3 to 7.13.0: HOST.PID.X<6 letters>x
    2: rf"\.coverage\.{_HOST}\.(?P<pid>\d+)\.X[A-Za-z]{{6}}x",
    # 7.13.1 and later: HOST_.pidPID.X<6 alnum>x, then renamed with .H<10 alnum>h
    3: rf"\.coverage\.{_HOST_}\.pid(?P<pid>\d+)\.X[A-Za-z0-9]{{6}}x(?P<hash>\.H[A-Za-z0-9]{{10}}h)?",
}


class Cov:
    """One coverage.py of the matrix: its version, the interpreter that has it,
    its era of data-file names (1, 2, 3) and the command that runs it."""

    def __init__(self, version, python, era):
        self.version = version
        self.python = python
        self.era = era
        self.cmd = [python, "-m", "coverage"]
        self.id = f"cov{version}"

    @property
    def command(self):
        """The command as one string, for --coverage or $COVSETTLE_COVERAGE."""
        return " ".join(self.cmd)

    @property
    def renames(self):
        """True when a save ends with the rename to .H<hash>h (7.13.1+)."""
        return self.era == 3

    def name_re(self):
        """A compiled regex matching this coverage.py's own data-file names
        (basename), the pid in group "pid"."""
        return re.compile(ERA_NAMES[self.era] + "$")

    def missing(self):
        """Why this coverage.py cannot run, or None."""
        if not os.access(self.python, os.X_OK):
            return (f"coverage.py {self.version}: {self.python} is missing:"
                    " run `make deps` to build the venvs of the version matrix")
        return None

    def __repr__(self):
        return self.id


VERSIONS = [
    Cov("6.5", "/usr/bin/python3", 1),
    Cov("7.3.2", os.path.join(VENVS, "cov-7.3.2", "bin", "python"), 1),
    Cov("7.13.0", os.path.join(VENVS, "cov-7.13.0", "bin", "python"), 2),
    Cov("7.17.5", os.path.join(VENVS, "cov-7.17.5", "bin", "python"), 3),
]
BY_VERSION = {c.version: c for c in VERSIONS}
NEWEST = VERSIONS[-1]


def selected():
    """The Cov objects $COVSETTLE_MATRIX names (all of them when unset or empty);
    raises ValueError naming an unknown version."""
    words = os.environ.get("COVSETTLE_MATRIX", "").split()
    if not words:
        return list(VERSIONS)
    unknown = [w for w in words if w not in BY_VERSION]
    if unknown:
        raise ValueError(f"COVSETTLE_MATRIX: unknown coverage.py version {', '.join(unknown)}"
                         f" (known: {' '.join(BY_VERSION)})")
    return [BY_VERSION[w] for w in words]
