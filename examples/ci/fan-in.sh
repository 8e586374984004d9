#!/bin/sh
# fan-in.sh: the fan-in job of a sharded test run. The shards' data files
# were downloaded into DIR; every shard's must be there and whole, else the
# job fails loudly instead of reporting the coverage of what happened to
# arrive. Run it from the checkout's root, where .coveragerc is.
#
# usage: fan-in.sh N DIR      N: the number of shards (one data file each)
# COVSETTLE names covsettle (default: covsettle on PATH); COVERAGE names
# coverage.py's command for gather (default: gather's own search);
# FANIN_TIMEOUT bounds the wait for missing files (default 30s).
#
# Exit status: covsettle's. 4: an upload is not a complete data file (named,
# by check); 3: fewer than N files arrived (gather says how many); 5:
# coverage.py failed; 0: combined, coverage.xml and the table written.
set -eu
n=${1:?usage: fan-in.sh N DIR}
dir=${2:?usage: fan-in.sh N DIR}
covsettle=${COVSETTLE:-covsettle}

# The shards have finished: a file that fails its check now will never be
# mended, so check all of them first and stop at once (exit 4, each named).
"$covsettle" check -q "$dir"
# Then wait for all N (exit 3 on timeout, naming how many arrived), combine
# them with this checkout's [paths], and report.
exec "$covsettle" gather --expect "$n" --timeout "${FANIN_TIMEOUT:-30s}" \
	${COVERAGE:+--coverage "$COVERAGE"} --rcfile .coveragerc \
	--report text --report xml=coverage.xml "$dir"
