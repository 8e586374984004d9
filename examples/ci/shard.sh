#!/bin/sh
# shard.sh: one shard of a sharded test run: the INDEX-th of TOTAL slices of
# tests/test_*.py (by name, round robin), run by pytest under coverage.py.
# Its data file, .coverage.<host>.<pid>.<random>, lands in DIR (default
# cov/), which the CI job uploads. Run it from the checkout's root.
#
# usage: shard.sh INDEX TOTAL [DIR]     INDEX from 1 (CI_NODE_INDEX, matrix)
# COVERAGE names coverage.py's command (default: python3 -m coverage).
set -eu
index=${1:?usage: shard.sh INDEX TOTAL [DIR]}
total=${2:?usage: shard.sh INDEX TOTAL [DIR]}
dir=${3:-cov}
coverage=${COVERAGE:-python3 -m coverage}

tests=$(ls tests/test_*.py | awk -v i="$index" -v n="$total" \
	'(NR - 1) % n == i - 1')
if [ -z "$tests" ]; then
	echo "shard.sh: shard $index of $total has no test file" >&2
	exit 2
fi
mkdir -p "$dir"
# COVERAGE_FILE: where the data goes; parallel = true adds host, pid, random.
# shellcheck disable=SC2086
COVERAGE_FILE=$dir/.coverage exec $coverage run -m pytest -q $tests
