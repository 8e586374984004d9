#!/bin/sh
# demo.sh: what `make demo` shows. Three real coverage.py processes write
# their data files while covsettle waits; then check, combine and report.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
covsettle=$top/build/covsettle
work=$(mktemp -d "${TMPDIR:-/tmp}/covsettle-demo.XXXXXX")
trap 'rm -rf "$work"' EXIT INT TERM
cov=$work/cov

echo "== covsettle wait: three coverage.py processes start after the watch"
echo "   is armed (--trigger) and write into $cov"
"$covsettle" wait --expect 3 --timeout 60s --trigger "
	for i in 1 2 3; do
		/usr/bin/python3 '$top/tests/writer.py' '$cov' --branch \
			--files 3 --variant \$i --src-dir '$work/src' \
			</dev/null >/dev/null &
	done" "$cov"

echo
echo "== covsettle check: every file is a complete coverage.py database"
"$covsettle" check "$cov"

echo
echo "== python3-coverage combine --keep and report, on exactly those files"
cd "$work/src"
python3-coverage combine --keep --data-file="$work/.coverage" "$cov"/.coverage.*
python3-coverage report --data-file="$work/.coverage"
