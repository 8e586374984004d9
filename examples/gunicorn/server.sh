# server.sh: sourced by run.sh (which sets HERE): start, restart and stop gunicorn
# with coverage.py measuring its workers. RUN_DIR and COVSETTLE may be preset.
: "${HERE:?set HERE to the examples/gunicorn directory before sourcing server.sh}"
TOP=$(cd "$HERE/../.." && pwd)
# The python with coverage.py, Flask, gunicorn and pytest-xdist: Debian's python3
# (python3-coverage and the others), or PYTHON=/path/to/venv/bin/python.
PY=${PYTHON:-/usr/bin/python3}
RUN_DIR=${RUN_DIR:-$TOP/build/examples/gunicorn}
COVSETTLE=${COVSETTLE:-$(command -v covsettle || echo "$TOP/build/covsettle")}
# covsettle's pytest plugin runs the final gather (run.sh). Where $PY has no
# covsettle installed (pip install covsettle), the wheel that `make wheel`
# built, installed into $TOP/build/python (make build/python/stamp).
if ! "$PY" -c 'import covsettle.pytest_plugin' 2>/dev/null && [ -d "$TOP/build/python/covsettle" ]; then
	PYTHONPATH=$TOP/build/python${PYTHONPATH:+:$PYTHONPATH}
	export PYTHONPATH
fi
# The plugin and the shell run the same binary.
export COVSETTLE
WORKERS=2
COV_DIR=$RUN_DIR/cov

# coverage.py in every worker: post_fork reads its settings from
# SCORER_COVERAGE_RC and writes .coverage.<host>.<pid>.<random> into $COV_DIR.
# Not COVERAGE_PROCESS_START: coverage.py 7 as pip installs it (7.13.0 here)
# has a .pth file that starts measuring in every Python process that has
# that variable (pytest, waitfor.py, the gunicorn master), each then writing
# its own data file into $COV_DIR.
export RUN_DIR
export SCORER_COVERAGE_RC="$HERE/.coveragerc"
export COVERAGE_FILE="$COV_DIR/.coverage"

# The safe place to clean the data directory: once, before the measured run,
# while no worker can be saving into it (never in post_fork: see gunicorn.conf.py).
clean_coverage_dir() {
	rm -rf "$COV_DIR"
	mkdir -p "$COV_DIR"
}

# Start gunicorn in the background, in this shell's process group so that this
# shell reaps it, and wait until it answers. Sets server_pid and SERVER_URL;
# returns 11 when it does not answer.
start_server() {
	mkdir -p "$RUN_DIR"
	rm -f "$RUN_DIR/port"
	(cd "$HERE" && exec "$PY" -m gunicorn -c gunicorn.conf.py scorer.web:app) \
		</dev/null >>"$RUN_DIR/gunicorn.log" 2>&1 &
	server_pid=$!
	SERVER_URL=$("$PY" "$HERE/waitfor.py" ready "$RUN_DIR" "$server_pid" 60) ||
		return 11
	export SERVER_URL
	echo "server: gunicorn pid $server_pid, $WORKERS workers, at $SERVER_URL"
}

# Graceful restart: on SIGHUP the master starts new workers and stops the old
# ones, which save their data as they exit. covsettle arms its watch, sends the
# signal, and returns once both old workers' files are complete; then wait
# until the server answers again. Returns covsettle's status, or 11.
restart_server() {
	"$COVSETTLE" wait --new-only --expect "$WORKERS" --timeout 60s \
		--trigger "kill -HUP $server_pid" "$COV_DIR" || return
	"$PY" "$HERE/waitfor.py" ready "$RUN_DIR" "$server_pid" 60 >/dev/null ||
		return 11
}

# Stop gracefully: on SIGTERM the workers finish, save their data and exit
# (the master kills them after graceful_timeout); then reap the master.
stop_server() {
	[ -n "${server_pid:-}" ] || return 0
	kill -TERM "$server_pid" 2>/dev/null || true
	"$PY" "$HERE/waitfor.py" exit "$server_pid" 30 || true
	wait "$server_pid" 2>/dev/null || true
	server_pid=
	echo "server: stopped"
}
