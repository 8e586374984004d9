#!/bin/sh
# demo.sh: what `make demo` runs: the gunicorn + Flask system tests measured by
# coverage.py, restarted and gathered by covsettle, on 127.0.0.1, no Docker.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
COVSETTLE=${COVSETTLE:-$top/build/covsettle}
RUN_DIR=${RUN_DIR:-$top/build/examples/gunicorn}
export COVSETTLE RUN_DIR

cat <<EOT
covsettle demo: gunicorn serves a Flask app with 2 workers, each measured by
coverage.py. System tests send it HTTP requests; restart_server sends SIGHUP
and covsettle waits for the old workers' data files; covsettle gather restarts
it once more, waits for the last two files, checks, combines and reports.

EOT
sh "$top/examples/gunicorn/run.sh"
cat <<EOT

Also runnable: examples/pytest-fixture (a server subprocess under pytest-cov)
and examples/git-hooks/pre-push (blocks a push below a coverage threshold).
EOT
