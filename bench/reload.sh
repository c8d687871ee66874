#!/bin/sh
# The reload benchmark (issue 18): how long a SIGHUP holds the event loop
# (the "ms=" of its "event=reload ok" line: the file read and checked, and
# every connection and stream looked at), with no client connected (the
# baseline) and with $IDLE signed-in idle connections, in one run.  Then
# the same with a token changed, which signs out every connection of K01
# (all the idle ones) in the same step.
#
#   sh bench/reload.sh               10,000 connections, 5 reloads each
#   IDLE=200 RUNS=2 sh bench/reload.sh   a smoke run
set -eu

BUILD=${BUILD:-build}
IDLE=${IDLE:-10000}
RUNS=${RUNS:-5}
PORT=${PORT:-17496}

make -s BUILD="$BUILD" all "$BUILD/bench/loadgen" >/dev/null
BENCH_NAME=reload
. "$(dirname "$0")/common.sh"
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

reloads() {	# label: RUNS SIGHUPs, each waited for; prints the ms of each
	label=$1
	i=0
	while [ $i -lt "$RUNS" ]; do
		before=$(grep -c 'event=reload ok' "$work/daemon.log" || true)
		kill -HUP "$server"
		n=0
		until [ "$(grep -c 'event=reload ok' "$work/daemon.log" || true)" -gt "$before" ]; do
			n=$((n + 1)); [ $n -gt 600 ] && { echo "reload: no reload line" >&2; exit 1; }
			sleep 0.05
		done
		i=$((i + 1))
	done
	grep 'event=reload ok' "$work/daemon.log" | tail -n "$RUNS" |
	    sed -n 's/.* ms=\([0-9.]*\).*/\1/p' | sort -n |
	    awk -v l="$label" '{ v[NR] = $1 } END { printf "%-34s runs=%d min_ms=%s median_ms=%s max_ms=%s\n", l, NR, v[1], v[int((NR + 1) / 2)], v[NR] }'
}

start_daemon "$BUILD/branchqd"
reloads "no connections (baseline)"
"$BUILD/bench/loadgen" --connect "127.0.0.1:$PORT" --conns "$IDLE" --mode idle \
    --duration 600 >"$work/idle.txt" 2>"$work/idle.err" &
idle=$!
n=0
until grep -q "mode=idle" "$work/idle.txt" 2>/dev/null; do
	n=$((n + 1)); [ $n -gt 2400 ] && { echo "reload: idle connections not ready" >&2; exit 1; }
	sleep 0.05
done
reloads "$IDLE signed-in connections"
# K01's token changed: every idle connection (all K01) signed out at once.
sed -i 's/"id":"K01","role":"kiosk","token_sha256":"[0-9a-f]*"/"id":"K01","role":"kiosk","token_sha256":"'"$(printf %s rotated | sha256sum | cut -d' ' -f1)"'"/' "$work/bench.json"
RUNS=1 reloads "$IDLE signed out by a token change"
echo "idle: $(head -1 "$work/idle.txt"); signed out by the daemon: $(grep -c "reason=config_changed" "$work/daemon.log" || true)"
kill "$idle" 2>/dev/null || true
wait "$idle" 2>/dev/null || true
stop_server
