# gunicorn.conf.py: two sync workers on a free loopback port, measured by
# coverage.py from post_fork to worker_exit. server.sh sets RUN_DIR.
import os

run_dir = os.environ["RUN_DIR"]

bind = "127.0.0.1:0"  # port 0: the kernel picks a free port; when_ready records it
workers = 2
worker_class = "sync"
pidfile = os.path.join(run_dir, "gunicorn.pid")
errorlog = os.path.join(run_dir, "gunicorn.log")
loglevel = "info"
graceful_timeout = 10  # bounds a restart or a stop: then the master kills the workers
preload_app = False    # each worker imports the app itself, so its import is measured


def when_ready(server):
    """The master is listening: write the port the kernel gave us."""
    port = server.LISTENERS[0].getsockname()[1]
    tmp = os.path.join(run_dir, "port.tmp")
    with open(tmp, "w") as f:
        f.write(f"{port}\n")
    os.replace(tmp, os.path.join(run_dir, "port"))


def post_fork(server, worker):
    """In each new worker: start coverage.py with the settings in
    $SCORER_COVERAGE_RC (parallel = true: one data file per worker). Not
    $COVERAGE_PROCESS_START, which coverage.py 7 installed by pip acts on in
    every Python process (server.sh says why).

    Do NOT clean the data directory here (the common `rm -rf cov; mkdir cov`).
    post_fork runs in every worker, at every restart: on SIGHUP the master
    forks the new workers while the old ones are still saving, so the second
    worker's rm -rf deletes the files the old workers just wrote, and most
    restarts end with no data (covsettle then exits 4, naming what was lost).
    Clean it once, before the measured run (server.sh's clean_coverage_dir),
    or at every restart in an on_reload hook, which gunicorn runs in the master
    before it forks the new workers and stops the old ones, or wait with
    `covsettle wait --new-only`."""
    rcfile = os.environ.get("SCORER_COVERAGE_RC")
    if not rcfile:
        return
    import coverage

    worker.coverage = coverage.Coverage(config_file=rcfile)
    worker.coverage.start()


def worker_exit(server, worker):
    """In the worker, as it exits (restart, stop, timeout): write its data file.
    covsettle waits for this file; the master does not."""
    cov = getattr(worker, "coverage", None)
    if cov is not None:
        cov.stop()
        cov.save()
