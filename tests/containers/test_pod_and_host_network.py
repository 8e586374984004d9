# test_pod_and_host_network.py: the writer and covsettle in containers that
# share a host name and a network but not a PID namespace: a podman pod (the
# Kubernetes sidecar: shared network and UTS namespaces), and host
# networking (both containers take this machine's host name). The data file
# then names covsettle's own host name and a pid that, in covsettle's PID
# namespace, is another process (pid 1 there is covsettle itself) or none:
# the pid is no evidence either way, the writer is unknown, and unknown
# never loses data. A save paused mid-way (between two of coverage.py's
# transactions: the file incomplete and closed, so no lease can see it)
# must be waited for, then combined: never quarantined, never lost.
import json
import re
import subprocess

import pytest

import podman as pm
from podman import kill_all, lines_of, mounts, release_and_finish

DEBOUNCE = "200ms"
# Many quiet windows: long enough that a covsettle that took the writer for
# gone would have ended, with margin on a loaded 2-core machine.


@pytest.fixture(params=["pod", "host"])
def layout(request, pod):
    """The options that put a container in the layout."""
    if request.param == "pod":
        return ["--pod", pod.pod("pod", "--hostname", "sidecar")]
    return ["--network", "host", "--uts", "host"]


# A pid that no process has in covsettle's namespace is no proof that the
# writer is gone: the incomplete file is waited for, never quarantined.
def test_a_paused_save_is_waited_for_not_quarantined(pod, python_image, py,
                                                     layout):
    vol = pod.volume()
    opts = [*layout, "-v", f"{vol}:/cov", *mounts()]
    # The writer's pid in its PID namespace is above 100 (its shell runs
    # 100 processes first, then forks it): in covsettle's, where covsettle is pid 1 and
    # its children have small numbers, no process has it.
    w = pod.popen("writer", python_image, "sh", "-c",
                  "for i in $(seq 100); do /bin/true; done; "
                  f"{py} /t/writer.py /cov --src-dir /tmp/src "
                  "--pause-at between-transactions; :",
                  opts=opts, stdin=subprocess.PIPE)
    try:
        path = lines_of(w, "file ")[-1].split(" ", 1)[1].strip()
        name = path.rsplit("/", 1)[1]
        assert int(re.search(r"\.(?:pid)?(\d+)\.", name).group(1)) > 100
        lines_of(w, "paused between-transactions")
        g = pod.popen("gather", python_image, "covsettle", "gather", "-v",
                      "--invalid=quarantine", "-d", DEBOUNCE, "-T", "30s",
                      "--coverage", f"{py} -m coverage",
                      "--data-file", "/cov/combined", "--json", "/cov",
                      opts=opts)
        out = release_and_finish(w, g)
    except BaseException:
        kill_all(w, locals().get("g"))
        raise
    doc = json.loads(out)
    assert doc["quarantined"] == [] and doc["lost"] == [], out
    assert doc["inputs"] == 1, out
    assert [f["verdict"] for f in doc["files"]] == ["ok"], out
    assert doc["files"][0]["name"].startswith(name.split(".X")[0]), (name, out)
    # The combined data is coverage.py's own combine of the same file.
    check = pm.podman("run", "--rm", "-v", f"{vol}:/cov", *mounts(),
                      python_image, "sh", "-c",
                      f"ls /cov/quarantine 2>/dev/null; cd /tmp && "
                      f"COVERAGE_FILE=/tmp/ref {py} -m coverage combine "
                      f"--keep /cov/.coverage.* >&2 && "
                      f"{py} /t/containers/measured.py /tmp/ref && echo && "
                      f"{py} /t/containers/measured.py /cov/combined")
    ref, ours = check.stdout.strip().split("\n")
    assert ours == ref and json.loads(ours), check.stdout
