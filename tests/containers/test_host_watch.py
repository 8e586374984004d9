# test_host_watch.py: covsettle on the host, watching a podman volume's
# directory that containers write into (each writer its own host name and
# PID namespace). One writer's save is held inside its data transaction:
# SQLite has the file open for writing, which the host's covsettle sees
# through a read lease across the container boundary (one kernel, files it
# owns), and waits. Then every file is combined, exactly as coverage.py
# combines them.
import json
import os
import subprocess

import podman as pm
from podman import (COVSETTLE, kill_all, lines_of, mounts,
                    release_and_finish)

# The host's coverage.py of the same version as the image's.
HOST_PYTHONS = {
    "/usr/bin/python3": "/usr/bin/python3",
    "/opt/cov-7.17.5/bin/python":
        os.path.join(pm.ROOT, "build", "venv", "cov-7.17.5", "bin", "python"),
}
MEASURED = os.path.join(pm.HERE, "measured.py")


def test_covsettle_here_waits_for_a_save_in_a_container(pod, python_image,
                                                          py, tmp_path):
    host_py = HOST_PYTHONS[py]
    vol = pod.volume()
    data = pod.mountpoint(vol)
    writer = [py, "/t/writer.py", "/cov", "--src-dir", "/tmp/src"]
    pm.podman("run", "--rm", "--hostname", "w1", "-v", f"{vol}:/cov",
              *mounts(), python_image, *writer)
    w = pod.popen("w2", python_image, *writer, "--pause-at",
                  "open-transaction", opts=["--hostname", "w2",
                                            "-v", f"{vol}:/cov", *mounts()],
                  stdin=subprocess.PIPE)
    tmp = str(tmp_path)
    g = None
    try:
        lines_of(w, "paused open-transaction")
        g = subprocess.Popen(
            [COVSETTLE, "gather", "-v", "--expect", "2", "-d", "200ms",
             "-T", "60s", "--coverage", f"{host_py} -m coverage",
             "--data-file", f"{tmp}/combined", "--json", data],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            cwd=tmp)
        out = release_and_finish(w, g)
    except BaseException:
        kill_all(w, g)
        raise
    doc = json.loads(out)
    assert doc["inputs"] == 2, out
    names = sorted(f["name"] for f in doc["files"])
    assert [n.split(".")[2] for n in names] == ["w1", "w2"], names
    env = dict(os.environ, COVERAGE_FILE=f"{tmp}/reference")
    subprocess.run([host_py, "-m", "coverage", "combine", "--keep",
                    *[os.path.join(data, n) for n in names]], cwd=tmp,
                   env=env, check=True, capture_output=True)
    ours, ref = (subprocess.run([host_py, MEASURED, f"{tmp}/{f}"],
                                check=True, capture_output=True,
                                text=True).stdout
                 for f in ("combined", "reference"))
    assert ours == ref and json.loads(ours)
