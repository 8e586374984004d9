#!/bin/sh
# poll-loop.sh DIR [N]: the common shell loop covsettle replaces. It counts DIR's
# .coverage.* files every 0.25 s and returns when at least N were counted four times in a row.
dir=$1 want=${2:-1} last=-1 same=0
while :; do
	count=$(find "$dir" -maxdepth 1 -name '.coverage.*' | wc -l)
	if [ "$count" -ge "$want" ] && [ "$count" -eq "$last" ]; then
		same=$((same + 1))
	else
		same=1
	fi
	[ "$count" -ge "$want" ] && [ "$same" -ge 4 ] && exit 0
	last=$count
	sleep 0.25
done
