# podman.py: real OCI containers for covsettle's container tests, through
# Debian's podman as root with the project's own containers.conf (named by
# CONTAINERS_CONF; nothing in /etc changes). Images are built here once and
# kept in podman's storage between runs, each tagged with a hash of what it is
# built from, so that a rerun finds it and builds nothing:
#   the base image      docker.io/library/debian:12-slim, from the machine's
#                       Debian mirror (base-image.sh; examples/containers'
#                       Dockerfiles name it)
#   the Python image    python.Containerfile: gunicorn, Flask, pytest, Debian's
#                       coverage.py 6.5 and 7.17.5 in a venv
#   the static image    FROM scratch and the static binary of `make dist`
# A machine where podman cannot run gets the reason from refused(); the tests
# skip with it, or fail under CI (conftest.py).
import hashlib
import os
import shutil
import subprocess
import tempfile
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
CONF = os.path.join(HERE, "containers.conf")
BASE = "docker.io/library/debian:12-slim"
PYTHON_FILE = os.path.join(HERE, "python.Containerfile")
# The image build's pip reaches PyPI with the machine's CA bundle.
CA_BUNDLE = "/etc/ssl/certs/ca-certificates.crt"
# Bounds for one podman command: a build on a loaded 2-core machine, a run.
BUILD_TIMEOUT = 900
TIMEOUT = 180

os.environ.setdefault("CONTAINERS_CONF", CONF)

# The coverage.py versions of the images: Debian's and the matrix's newest.
PYTHONS = {"6.5": "/usr/bin/python3", "7.17.5": "/opt/cov-7.17.5/bin/python"}


def podman(*args, check=True, timeout=TIMEOUT, **kw):
    """One podman command, its output captured as text."""
    r = subprocess.run(["podman", *map(str, args)], capture_output=True,
                       text=True, timeout=timeout, **kw)
    if check and r.returncode != 0:
        raise AssertionError(f"podman {' '.join(map(str, args))}: exit "
                             f"{r.returncode}\n{r.stdout}{r.stderr}")
    return r


def image_exists(name):
    return podman("image", "exists", name, check=False).returncode == 0


def replace_image(tag):
    """Remove the other tags of tag's repository: what was built from an
    older Containerfile or binary (the storage stays the size of one)."""
    repo = tag.rsplit(":", 1)[0]
    old = podman("images", "--format", "{{.Repository}}:{{.Tag}}",
                 repo).stdout.split()
    for other in old:
        if other != tag:
            podman("rmi", other, check=False)


def base_image():
    """The base image, built from the machine's mirror when missing."""
    subprocess.run(["sh", os.path.join(HERE, "base-image.sh"), BASE],
                   check=True, timeout=BUILD_TIMEOUT)
    return BASE


def digest(*paths, extra=""):
    h = hashlib.sha256(extra.encode())
    for p in paths:
        with open(p, "rb") as f:
            h.update(f.read())
    return h.hexdigest()[:12]


def python_image():
    """The Python image of python.Containerfile, tagged with its hash and the
    base image's id: built only when either changed."""
    base = podman("image", "inspect", "--format", "{{.Id}}", base_image())
    tag = "localhost/covsettle-ct-python:" + digest(PYTHON_FILE,
                                                    extra=base.stdout)
    if not image_exists(tag):
        args = ["build", "-q", "-t", tag, "-f", PYTHON_FILE]
        if os.path.exists(CA_BUNDLE):
            args += ["-v", f"{CA_BUNDLE}:/run/host-ca.crt:ro",
                     "--build-arg", "PIP_CERT=/run/host-ca.crt"]
        podman(*args, HERE, timeout=BUILD_TIMEOUT)
        replace_image(tag)
    return tag


def static_image(binary):
    """An image with nothing but BINARY, as /covsettle: FROM scratch."""
    tag = "localhost/covsettle-ct-static:" + digest(binary)
    if not image_exists(tag):
        with tempfile.TemporaryDirectory() as ctx:
            shutil.copy(binary, os.path.join(ctx, "covsettle"))
            with open(os.path.join(ctx, "Containerfile"), "w") as f:
                f.write("FROM scratch\nCOPY covsettle /covsettle\n"
                        'ENTRYPOINT ["/covsettle"]\n')
            podman("build", "-q", "-t", tag, ctx, timeout=BUILD_TIMEOUT)
        replace_image(tag)
    return tag


def refused():
    """Why podman cannot run containers here, or None."""
    if shutil.which("podman") is None:
        return "podman is not installed (make deps installs it)"
    try:
        r = podman("info", "--format", "{{.Host.OCIRuntime.Name}}",
                   check=False)
        if r.returncode != 0:
            return f"podman info failed: {r.stderr.strip()}"
        base_image()
        r = podman("run", "--rm", "--network", "none", BASE, "true",
                   check=False)
        if r.returncode != 0:
            return f"podman cannot run a container: {r.stderr.strip()}"
    except (OSError, subprocess.SubprocessError) as e:
        return f"podman: {e}"
    return None


class Pod:
    """The containers, volumes, networks and pods of one test, all named
    with one random prefix and all removed at its end."""

    def __init__(self):
        self.prefix = "covsettle-ct-" + uuid.uuid4().hex[:8]
        self.things = []  # (kind, name), removed in reverse order

    def name(self, what):
        return f"{self.prefix}-{what}"

    def volume(self, what="cov"):
        name = self.name(what)
        podman("volume", "create", name)
        self.things.append(("volume", name))
        return name

    def mountpoint(self, volume):
        return podman("volume", "inspect", "--format", "{{.Mountpoint}}",
                      volume).stdout.strip()

    def network(self, what="net"):
        name = self.name(what)
        podman("network", "create", "--internal", name)
        self.things.append(("network", name))
        return name

    def pod(self, what="pod", *args):
        name = self.name(what)
        podman("pod", "create", "--name", name, *args)
        self.things.append(("pod", name))
        return name

    def start(self, what, image, *argv, opts=(), **kw):
        """A detached container: its name."""
        name = self.name(what)
        self.things.append(("container", name))
        podman("run", "-d", "--name", name, *opts, image, *argv, **kw)
        return name

    def popen(self, what, image, *argv, opts=(), stdin=None):
        """A container run in the foreground as a child process (its stdin
        and stdout pipes when asked): the Popen."""
        name = self.name(what)
        self.things.append(("container", name))
        args = ["podman", "run", "--rm", "--name", name]
        if stdin is not None:
            args.append("-i")
        return subprocess.Popen(args + [*opts, image, *argv], stdin=stdin,
                                stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)

    def cleanup(self):
        for kind, name in reversed(self.things):
            if kind == "container":
                podman("rm", "-f", "-t", "0", name, check=False)
            else:
                podman(kind, "rm", "-f", name, check=False)


# ---- what the tests share ----

COVSETTLE = os.environ.get("COVSETTLE",
                           os.path.join(ROOT, "build", "covsettle"))
# The static binary of `make dist` (mk/containers.mk passes it).
COVSETTLE_STATIC = os.environ.get(
    "COVSETTLE_STATIC", os.path.join(ROOT, "build", "dist", "covsettle"))


def mounts(*extra):
    """The options that put covsettle under test, the tests' writer and
    the gunicorn example into a Python container, read-only."""
    opts = ["-v", f"{COVSETTLE}:/usr/local/bin/covsettle:ro",
            "-v", f"{ROOT}/tests:/t:ro",
            "-v", f"{ROOT}/examples/gunicorn:/app:ro"]
    return opts + list(extra)


def run_in(container, *argv, check=True, env=(), workdir=None,
           timeout=TIMEOUT):
    """argv run in a running container (podman exec)."""
    args = ["exec"]
    for kv in env:
        args += ["-e", kv]
    if workdir:
        args += ["-w", workdir]
    return podman(*args, container, *argv, check=check, timeout=timeout)


def lines_of(proc, pattern, stream="stdout"):
    """Read proc's stdout (or stderr) lines until one contains pattern: the
    lines read. Blocking reads: the commands read from are bounded by their
    own --timeout, and end."""
    seen = []
    for line in getattr(proc, stream):
        seen.append(line)
        if pattern in line:
            return seen
    raise AssertionError(f"no {pattern!r} from {proc.args}: {seen}")


def still_running(proc, seconds):
    """True when proc has not exited after seconds (a wait that must go on)."""
    try:
        proc.wait(timeout=seconds)
    except subprocess.TimeoutExpired:
        return True
    return False


# How long a command that must wait for a paused save is watched going on.
HELD = 5


def kill_all(*procs):
    """Kill and reap whichever of procs (None allowed) still run."""
    for p in procs:
        if p is not None and p.poll() is None:
            p.kill()
            p.wait()


def release_and_finish(writer, proc):
    """proc must still be waiting after HELD seconds while writer's save is
    paused; then the save goes on (writer reads "go" on its stdin) and
    proc must exit 0: its stdout. Both are killed on any failure."""
    try:
        assert still_running(proc, HELD), proc.communicate()
        writer.stdin.write("go\n")
        writer.stdin.flush()
        lines_of(writer, "saved")
        writer.stdin.close()
        out, err = proc.communicate(timeout=TIMEOUT)
        assert proc.returncode == 0, err
        return out
    finally:
        kill_all(writer, proc)
