#!/bin/sh
# run.sh: the two-container flow, driven from the machine that runs Docker:
# start the server, test it, restart it with covsettle waiting for the old
# workers' data files, test again, then gather: restart once more, wait for
# every file, combine and report.
set -eu
cd "$(dirname "$0")"
S=covsettle-example-server
WORKERS=2
# The restart: SIGHUP to the server container's main process, gunicorn's
# master, through the engine's API on the socket compose.yaml mounts (what
# `docker kill --signal HUP` asks), from inside the tests container.
RESTART="curl -fsS --unix-socket /var/run/docker.sock -X POST \
'http://localhost/containers/$S/kill?signal=HUP'"
dc() { docker compose "$@"; }
tests() { dc run --rm -T tests "$@"; }

dc build
dc up -d server
trap 'dc down --volumes' EXIT
tests python3 -c '
import sys, time, urllib.request
for _ in range(120):
    try:
        urllib.request.urlopen("http://server:8000/health", timeout=5)
        sys.exit(0)
    except OSError:
        time.sleep(0.5)
sys.exit("the server does not answer")'
tests python3 -m pytest -q tests/test_rounds.py
# The restart: covsettle arms its watch on the shared volume, sends SIGHUP
# into the server container, and returns once both old workers' files are
# complete. The host name in their names is the server container's, so
# covsettle does not read their pids (they mean nothing in this one).
tests covsettle wait --new-only --expect "$WORKERS" --timeout 60s \
	--trigger "$RESTART" /cov
tests python3 -m pytest -q tests/test_matches.py
# The files so far plus one per worker of the last restart.
have=$(tests sh -c 'ls -A /cov | grep -c "^\.coverage\." || true')
tests covsettle gather --expect $((have + WORKERS)) --timeout 60s \
	--trigger "$RESTART" \
	--data-file /cov/combined.coverage --report text /cov
