# gunicorn_conf.py: gunicorn for the generation tests (test_generation.py and
# bench/soak_restart.py): examples/gunicorn's own configuration (loopback port,
# sync workers measured by coverage.py from post_fork to worker_exit), with
# GEN_WORKERS workers and these changes. worker_exit stops coverage.py, then
# sleeps a per-worker share of GEN_SPREAD seconds before saving, so the old
# workers of a restart save that far apart (the first at once, the last after
# GEN_SPREAD). GEN_RECREATE=1: post_fork deletes and recreates the data directory,
# as some applications' hooks do: in a restart that races the old workers' saves
# (a new worker's post_fork runs while old workers exit), so it can delete their
# data. GEN_RECREATE=reload: the master's on_reload hook does it, which gunicorn
# runs before it forks the new workers and stops the old ones: no race.
# GEN_SKIP=K: the worker of share K exits without saving (its coverage is lost).
import os
import shutil
import time

EXAMPLE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..",
                       "examples", "gunicorn", "gunicorn.conf.py")
with open(EXAMPLE) as f:
    exec(compile(f.read(), EXAMPLE, "exec"))
example_post_fork = post_fork  # noqa: F821 (defined by the example)

cov_dir = os.path.dirname(os.environ["COVERAGE_FILE"])
spread = float(os.environ.get("GEN_SPREAD", "0"))
workers = int(os.environ.get("GEN_WORKERS", "2"))
graceful_timeout = 30  # the spread and a loaded machine fit in it


def recreate():
    shutil.rmtree(cov_dir, ignore_errors=True)
    os.makedirs(cov_dir, exist_ok=True)


def on_reload(server):
    if os.environ.get("GEN_RECREATE") == "reload":
        recreate()


def post_fork(server, worker):
    if os.environ.get("GEN_RECREATE") == "1":
        recreate()
    example_post_fork(server, worker)


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
