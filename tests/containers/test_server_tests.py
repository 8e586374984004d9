# test_server_tests.py: the layout covsettle was made for, in real
# containers: gunicorn (examples/gunicorn, coverage.py started in each worker
# by post_fork, saved by worker_exit) in container S, the system tests and
# covsettle in container T, the data directory on one named volume both
# mount at /cov. Each container has its own host name and PID namespace, and
# its own network namespace on an internal podman network. The server is
# restarted with SIGHUP twice mid-run (podman kill, once covsettle's watch
# is armed: its --trigger prints a line), and `covsettle gather` in T must
# combine every worker's data file, old workers' and new, exactly as
# coverage.py's own combine of the same files does.
import json
import re
import subprocess

import podman as pm
from podman import lines_of, mounts, run_in

ARMED = "covsettle-armed"
WORKERS = 2
HEALTH = """
import sys, time, urllib.request
for _ in range(240):
    try:
        urllib.request.urlopen(sys.argv[1] + "/health", timeout=5)
        sys.exit(0)
    except OSError:
        time.sleep(0.5)
sys.exit("the server does not answer")
"""


def restart_under(server, t, argv):
    """Run covsettle (argv) in container t; once its watch is armed, send
    SIGHUP to the server's gunicorn master (pid 1 of its container). The
    trigger says so on stderr (stdout may be --json's). covsettle's exit
    status, stdout and stderr."""
    p = subprocess.Popen(["podman", "exec", "-w", "/app", t, *argv,
                          "--trigger", f"echo {ARMED} >&2"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         text=True)
    try:
        seen = lines_of(p, ARMED, stream="stderr")
        pm.podman("kill", "--signal", "HUP", server)
        out, err = p.communicate(timeout=pm.TIMEOUT)
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
    log = run_in(server, "cat", "/tmp/gunicorn.log", check=False).stdout
    return p.returncode, out, "".join(seen) + err + "server log:\n" + log


def test_gather_in_the_tests_container_combines_every_worker(
        pod, python_image, py):
    vol = pod.volume()
    net = pod.network()
    server = pod.start(
        "server", python_image, py, "-m", "gunicorn", "-c",
        "gunicorn.conf.py", "--bind", "0.0.0.0:8000", "scorer.web:app",
        opts=["--hostname", "server", "--network", net, "-v", f"{vol}:/cov",
              "-w", "/app", "-e", "RUN_DIR=/tmp",
              "-e", "SCORER_COVERAGE_RC=/app/.coveragerc",
              "-e", "COVERAGE_FILE=/cov/.coverage",
              "-e", "PYTHONDONTWRITEBYTECODE=1", *mounts()])
    t = pod.start("tests", python_image, "sleep", "infinity",
                  opts=["--hostname", "tests", "--network", net,
                        "-v", f"{vol}:/cov", "-e", "PYTHONDONTWRITEBYTECODE=1",
                        *mounts()])
    ip = pm.podman("inspect", "--format",
                   "{{(index .NetworkSettings.Networks \"%s\").IPAddress}}"
                   % net, server).stdout.strip()
    url = f"http://{ip}:8000"
    run_in(t, py, "-c", HEALTH, url)
    env = [f"SERVER_URL={url}"]
    pytest_ = [py, "-m", "pytest", "-q", "-p", "no:cacheprovider"]
    run_in(t, *pytest_, "tests/test_rounds.py", env=env, workdir="/app")

    # The first restart: the old workers' files, waited for in T.
    rc, out, err = restart_under(server, t, [
        "covsettle", "wait", "--new-only", "--expect", str(WORKERS),
        "--timeout", "60s", "/cov"])
    assert rc == 0, err
    run_in(t, *pytest_, "tests/test_matches.py", env=env, workdir="/app")

    # The second restart, under gather: the first generation's files and
    # the second's, named for S's host name and pids.
    ls = run_in(t, "ls", "-A", "/cov").stdout.split()
    have = [n for n in ls if n.startswith(".coverage.")]
    assert len(have) == WORKERS, ls
    rc, out, err = restart_under(server, t, [
        "covsettle", "gather", "--expect", str(len(have) + WORKERS),
        "--timeout", "60s", "--coverage", f"{py} -m coverage",
        "--rcfile", "/app/.coveragerc", "--data-file", "/cov/combined",
        "--json", "/cov"])
    assert rc == 0, err
    summary = json.loads(out[out.index("{"):])
    files = sorted(n for n in run_in(t, "ls", "-A", "/cov").stdout.split()
                   if n.startswith(".coverage."))
    assert len(files) == 2 * WORKERS, files
    pids = {re.match(r"\.coverage\.server\.(?:pid)?(\d+)\.", n).group(1)
            for n in files}
    assert len(pids) == 2 * WORKERS, files  # every worker of both restarts
    assert summary["inputs"] == len(files), out

    # coverage.py's own combine of the same files, in T.
    run_in(t, py, "-m", "coverage", "combine", "--keep",
           "--rcfile=/app/.coveragerc", *[f"/cov/{n}" for n in files],
           env=["COVERAGE_FILE=/tmp/reference"], workdir="/app")
    ours = json.loads(run_in(t, py, "/t/containers/measured.py",
                             "/cov/combined").stdout)
    theirs = json.loads(run_in(t, py, "/t/containers/measured.py",
                               "/tmp/reference").stdout)
    assert ours == theirs
    assert ours["scorer/web.py"]["lines"] and ours["scorer/game.py"]["arcs"]
