# gunicorn_conf.py: gunicorn for the generation tests (test_generation.py and
# bench/soak_restart.py): GEN_WORKERS sync workers of examples/gunicorn's app on a
# free loopback port, each measured by coverage.py from post_fork to worker_exit.
# worker_exit stops coverage.py, then sleeps a per-worker share of GEN_SPREAD
# seconds before saving, so the old workers of a restart save that far apart
# (the first at once, the last after GEN_SPREAD). GEN_RECREATE=1: post_fork
# deletes and recreates the data directory, as some applications' hooks do: in a
# restart that races the old workers' saves (a new worker's post_fork runs while old
# workers exit), so it can delete their data. GEN_RECREATE=reload: the master's
# on_reload hook does it, which gunicorn runs before it forks the new workers and
# stops the old ones: no race.
# GEN_SKIP=K: the worker of share K exits without saving (its coverage is lost).
import os
import shutil
import time

run_dir = os.environ["RUN_DIR"]
cov_dir = os.path.dirname(os.environ["COVERAGE_FILE"])
spread = float(os.environ.get("GEN_SPREAD", "0"))

bind = "127.0.0.1:0"
workers = int(os.environ.get("GEN_WORKERS", "2"))
worker_class = "sync"
pidfile = os.path.join(run_dir, "gunicorn.pid")
errorlog = os.path.join(run_dir, "gunicorn.log")
graceful_timeout = 30
preload_app = False


def when_ready(server):
    port = server.LISTENERS[0].getsockname()[1]
    tmp = os.path.join(run_dir, "port.tmp")
    with open(tmp, "w") as f:
        f.write(f"{port}\n")
    os.replace(tmp, os.path.join(run_dir, "port"))


def recreate():
    shutil.rmtree(cov_dir, ignore_errors=True)
    os.makedirs(cov_dir, exist_ok=True)


def on_reload(server):
    if os.environ.get("GEN_RECREATE") == "reload":
        recreate()


def post_fork(server, worker):
    if os.environ.get("GEN_RECREATE") == "1":
        recreate()
    import coverage

    worker.coverage = coverage.Coverage(config_file=os.environ["SCORER_COVERAGE_RC"])
    worker.coverage.start()


def worker_exit(server, worker):
    cov = getattr(worker, "coverage", None)
    if cov is None:
        return
    cov.stop()
    # age counts the workers the master has forked: 1..N, then N+1..2N after a
    # restart, so each generation sleeps 0, spread/(N-1), ..., spread.
    share = (worker.age - 1) % workers
    time.sleep(spread * share / max(workers - 1, 1))
    if os.environ.get("GEN_SKIP") != str(share):
        cov.save()
