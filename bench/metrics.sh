#!/bin/sh
# What GET /metrics costs (issue 18), beside GET /healthz in the same run:
# build/branchqd on a fresh database, loaded first (TICKETS tickets issued
# over HTTP by bench/httpgen, so the queue and its lanes are full; STREAMS
# event streams and IDLE line-protocol subscribers held open while
# measuring, so every family has something to count), then COUNT GETs of
# each path, alternated round by round (ROUNDS), one keep-alive connection,
# one request in flight, by bench/metrics-get.py with supervisor S01's
# bearer token; and GET /favicon.ico (a built-in file: the HTTP exchange
# alone, nothing made) as the baseline.
#
#   sh bench/metrics.sh                                  full run (about 15 s)
#   TICKETS=200 COUNT=100 ROUNDS=1 STREAMS=5 IDLE=5 sh bench/metrics.sh   smoke
#
# Printed per path: the response's bytes, the client's latency (mean, p50,
# p99, from the write of the request to the end of the body) and srv_us,
# the CPU time (user + system, /proc/PID/stat) the daemon spent per request
# (counted in 10 ms ticks: meaningful from about 1,000 requests, 0 in a smoke run).
# /healthz's latency is its commit (a write and an fsync), /metrics' the
# rendering alone: it reads nothing from the disk.  Fails if a request
# fails; never on a figure.
set -eu

BUILD=${BUILD:-build}
BRANCHQD=${BRANCHQD:-$BUILD/branchqd}
TICKETS=${TICKETS:-5000}
COUNT=${COUNT:-1000}
ROUNDS=${ROUNDS:-3}
STREAMS=${STREAMS:-50}
IDLE=${IDLE:-50}
PORT=${PORT:-17480}
HTTP_PORT=${HTTP_PORT:-$((PORT + 1))}
PYTHON=${PYTHON:-/usr/bin/python3}

make -s BUILD="$BUILD" all "$BUILD/bench/httpgen" >/dev/null
BENCH_NAME=metrics
. "$(dirname "$0")/common.sh"

start_daemon "$BRANCHQD"
pid=$server
# The load: waiting tickets, and connections the figures count.
"$BUILD/bench/httpgen" --mode issue --proto http --connect "127.0.0.1:$HTTP_PORT" \
    --conns 8 --count "$TICKETS" --body '{"service":"loan"}' >"$work/issue.txt"
"$BUILD/bench/httpgen" --mode idle --proto http --connect "127.0.0.1:$HTTP_PORT" \
    --streams "$STREAMS" --duration 3600 >"$work/idle-http.txt" &
idle_http=$!
"$BUILD/bench/httpgen" --mode idle --proto line --connect "127.0.0.1:$PORT" \
    --streams "$IDLE" --duration 3600 >"$work/idle-line.txt" &
idle_line=$!
n=0
until grep -q ready= "$work/idle-http.txt" && grep -q ready= "$work/idle-line.txt"; do
	n=$((n + 1))
	[ $n -gt 300 ] && { echo "metrics: the idle streams did not open" >&2; exit 1; }
	sleep 0.1
done

echo "metrics: $TICKETS tickets waiting, $STREAMS event streams, $IDLE line subscribers;" \
    "$COUNT GETs per path and round, $ROUNDS rounds"
printf '%-12s %6s %9s %9s %9s %9s\n' path bytes mean_us p50_us p99_us srv_us
status=0
r=1
while [ $r -le "$ROUNDS" ]; do
	for path in /metrics /healthz /favicon.ico; do
		"$PYTHON" "$(dirname "$0")/metrics-get.py" "127.0.0.1:$HTTP_PORT" "$path" \
		    "$COUNT" "$pid" || status=1
	done
	r=$((r + 1))
done
kill "$idle_http" "$idle_line" 2>/dev/null || true
wait "$idle_http" "$idle_line" 2>/dev/null || true
exit $status
