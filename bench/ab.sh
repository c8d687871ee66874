#!/bin/sh
# Two (or more) builds of branchqd compared on one noisy machine: ROUNDS
# rounds, each running every binary in turn on a fresh database under
# `loadgen --mode MODE --conns CONNS --duration DURATION`, so that a bad
# minute hits all of them.  Prints per binary and round: requests/s, p99,
# the daemon's CPU per request (user + system) and its share of a core.
#
#   sh bench/ab.sh /tmp/old/branchqd build/branchqd
#   ROUNDS=5 CONNS=1024 sh bench/ab.sh A B C
#   HTTP_PORT=none sh bench/ab.sh OLD NEW    OLD from before the HTTP listener
#                                            (3d75a37): no --http for either
set -eu

[ $# -ge 1 ] || { echo "usage: sh bench/ab.sh BRANCHQD..." >&2; exit 2; }
BUILD=${BUILD:-build}
ROUNDS=${ROUNDS:-3}
CONNS=${CONNS:-64}
DURATION=${DURATION:-4}
MODE=${MODE:-issue}
PORT=${PORT:-17440}

make -s BUILD="$BUILD" "$BUILD/bench/loadgen" >/dev/null
BENCH_NAME=ab
. "$(dirname "$0")/common.sh"

round=1
while [ $round -le "$ROUNDS" ]; do
	for bin in "$@"; do
		start_daemon "$bin"
		out=$("$BUILD/bench/loadgen" --connect "127.0.0.1:$PORT" --conns "$CONNS" \
		    --duration "$DURATION" --warmup 0 --mode "$MODE" --server-pid "$server")
		stop_server
		# The loadgen line's figures, the daemon's CPU per request among them.
		echo "round=$round bin=$bin $(echo "$out" | tr ' ' '\n' |
		    grep -E '^(per_s|p99_ms|server_cpu_us|server_cores)=' | tr '\n' ' ' | sed 's/ $//')"
	done
	round=$((round + 1))
done
