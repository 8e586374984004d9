#!/bin/sh
# run.sh: the system-test run with coverage, as CI, `make demo` or a git hook runs
# it: start gunicorn, test, restart, test, gather with covsettle, stop the server.
#
# usage: examples/gunicorn/run.sh [--fail-under PCT]
# RUN_DIR (default build/examples/gunicorn) receives the data, reports, logs;
# COVSETTLE names the binary; PYTHON the python with coverage.py, gunicorn,
# Flask, pytest-xdist and covsettle's pytest plugin (pip install covsettle;
# default Debian's /usr/bin/python3, with the plugin from build/python).
# Exit status: covsettle gather's (0, 1 below --fail-under, 3 timeout,
# 4 invalid data, 5 coverage.py failed; restart_server's covsettle wait
# likewise), 10 when a system test failed, 11 when the server did not answer.
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=server.sh
. "$HERE/server.sh"

fail_under=
if [ "${1:-}" = --fail-under ]; then
	fail_under=${2:?--fail-under needs a percentage}
fi
reports=$RUN_DIR/reports

run_tests() {
	(cd "$HERE" && "$PY" -m pytest -q -p no:cacheprovider -n 2 "$@" </dev/null) ||
		{ echo "run.sh: system tests failed" >&2; exit 10; }
}

trap stop_server EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

clean_coverage_dir
rm -rf "$reports" "$RUN_DIR/.coverage"
mkdir -p "$reports"
start_server || exit

echo "== system tests, part 1: single rounds"
run_tests tests/test_rounds.py
echo "== restart_server: SIGHUP, and covsettle waits for the old workers' data"
restart_server || exit
# Part 2 runs under covsettle's pytest plugin: after the session it restarts
# the server once more (--covsettle-trigger), which makes the current workers
# save, waits for their files on top of those already there, checks them all,
# combines and reports (covsettle gather). From $HERE: the data holds paths
# relative to it (relative_files = true). The workers' own coverage.py
# combines and reports (--covsettle-coverage).
have=$(find "$COV_DIR" -maxdepth 1 -type f -name '.coverage.*' ! -name '*-journal' | wc -l)
echo "== system tests, part 2: matches; then covsettle gather (plugin): restart once more, combine $have + $WORKERS data files"
rm -f "$RUN_DIR/gather.json"
tests=0
(cd "$HERE" && "$PY" -m pytest -q -p no:cacheprovider -n 2 tests/test_matches.py \
	--covsettle-gather "$COV_DIR" --covsettle-json "$RUN_DIR/gather.json" \
	--covsettle-expect $((have + WORKERS)) --covsettle-timeout 2m \
	--covsettle-trigger "kill -HUP $server_pid" --covsettle-rcfile "$HERE/.coveragerc" \
	--covsettle-coverage "$PY -m coverage" --covsettle-data-file "$RUN_DIR/.coverage" \
	--covsettle-report text="$reports/coverage.txt" \
	--covsettle-report json="$reports/coverage.json" \
	--covsettle-report html="$reports/html" \
	${fail_under:+--covsettle-fail-under "$fail_under"} </dev/null) || tests=$?
# gather's exit status first (data missing or broken, below --fail-under),
# then the tests'.
status=$("$PY" -c 'import json, sys; print(json.load(open(sys.argv[1]))["exit"])' \
	"$RUN_DIR/gather.json" 2>/dev/null) || status=
if [ -z "$status" ]; then
	echo "run.sh: covsettle gather did not run (pytest exited $tests)" >&2
	status=10
elif [ "$status" = 0 ] && [ "$tests" != 0 ]; then
	echo "run.sh: system tests failed" >&2
	status=10
fi
stop_server

if [ -f "$reports/coverage.txt" ]; then
	echo
	cat "$reports/coverage.txt"
	echo
	echo "combined data: $RUN_DIR/.coverage"
	echo "reports:       $reports/coverage.txt, $reports/coverage.json, $reports/html/index.html"
fi
exit "$status"
