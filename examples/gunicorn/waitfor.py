#!/usr/bin/python3
# waitfor.py: the two bounded waits of server.sh. `ready RUN_DIR PID SECONDS`: until
# gunicorn answers GET /health (prints its URL); `exit PID SECONDS`: until PID exits.
import os
import select
import signal
import sys
import time
import urllib.request


def ready(run_dir, pid, timeout):
    """Poll RUN_DIR/port (written by when_ready) and /health, with a deadline."""
    deadline = time.monotonic() + timeout
    problem = "no port file yet"
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            sys.exit(f"waitfor: gunicorn (pid {pid}) exited; see {run_dir}/gunicorn.log")
        try:
            with open(os.path.join(run_dir, "port")) as f:
                url = f"http://127.0.0.1:{int(f.read())}"
            with urllib.request.urlopen(url + "/health", timeout=5) as answer:
                if answer.status == 200:
                    return url
        except (OSError, ValueError) as e:
            problem = str(e)
        time.sleep(0.1)
    sys.exit(f"waitfor: no answer from gunicorn within {timeout:g}s: {problem}")


def exited(pid, timeout):
    """Wait on a pidfd (readable once PID has exited); SIGKILL it and its
    children only as a last resort, after the timeout."""
    try:
        fd = os.pidfd_open(pid)
    except ProcessLookupError:
        return
    if select.select([fd], [], [], timeout)[0]:
        return
    with open(f"/proc/{pid}/task/{pid}/children") as f:
        children = [int(c) for c in f.read().split()]
    for victim in children + [pid]:
        os.kill(victim, signal.SIGKILL)
    sys.exit(f"waitfor: pid {pid} still running after {timeout:g}s: killed it")


if __name__ == "__main__":
    if sys.argv[1:2] == ["ready"]:
        print(ready(sys.argv[2], int(sys.argv[3]), float(sys.argv[4])))
    elif sys.argv[1:2] == ["exit"]:
        exited(int(sys.argv[2]), float(sys.argv[3]))
    else:
        sys.exit("usage: waitfor.py ready RUN_DIR PID SECONDS | exit PID SECONDS")
