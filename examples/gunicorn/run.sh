#!/bin/sh
# run.sh: the system-test run with coverage, as CI, `make demo` or a git hook runs
# it: start gunicorn, test, restart, test, gather with covsettle, stop the server.
#
# usage: examples/gunicorn/run.sh [--fail-under PCT]
# RUN_DIR (default build/examples/gunicorn) receives the data, reports, logs;
# COVSETTLE names the binary; PYTHON the python with coverage.py, gunicorn,
# Flask and pytest-xdist (default Debian's /usr/bin/python3). Exit status:
# covsettle gather's (0, 1 below --fail-under, 3 timeout, 4 invalid data,
# 5 coverage.py failed; restart_server's covsettle wait likewise), 10 when a
# system test failed, 11 when the server did not answer.
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
echo "== system tests, part 2: matches"
run_tests tests/test_matches.py

# One more restart makes the current workers save; gather waits for their
# files on top of those already there, checks them all, combines, reports.
# From $HERE: the data holds paths relative to it (relative_files = true).
# The workers' own coverage.py combines and reports (--coverage).
have=$(find "$COV_DIR" -maxdepth 1 -type f -name '.coverage.*' ! -name '*-journal' | wc -l)
echo "== covsettle gather: restart once more, then combine $have + $WORKERS data files"
status=0
(cd "$HERE" && "$COVSETTLE" gather --json --expect $((have + WORKERS)) --timeout 2m \
	--trigger "kill -HUP $server_pid" --rcfile "$HERE/.coveragerc" \
	--coverage "$PY -m coverage" \
	--data-file "$RUN_DIR/.coverage" --report text="$reports/coverage.txt" \
	--report json="$reports/coverage.json" --report html="$reports/html" \
	${fail_under:+--fail-under "$fail_under"} "$COV_DIR") \
	>"$RUN_DIR/gather.json" || status=$?
stop_server

if [ -f "$reports/coverage.txt" ]; then
	echo
	cat "$reports/coverage.txt"
	echo
	echo "combined data: $RUN_DIR/.coverage"
	echo "reports:       $reports/coverage.txt, $reports/coverage.json, $reports/html/index.html"
fi
exit "$status"
