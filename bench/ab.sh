#!/bin/sh
# Two (or more) builds of branchqd compared on one noisy machine: ROUNDS
# rounds, each running every binary in turn on a fresh database under
# `loadgen --mode MODE --conns CONNS --duration DURATION`, so that a bad
# minute hits all of them.  Prints per binary and round: requests/s, p99,
# and the daemon's CPU per request from /proc (user + system, and user).
#
#   sh bench/ab.sh /tmp/old/branchqd build/branchqd
#   ROUNDS=5 CONNS=1024 sh bench/ab.sh A B C
set -eu

[ $# -ge 1 ] || { echo "usage: sh bench/ab.sh BRANCHQD..." >&2; exit 2; }
BUILD=${BUILD:-build}
ROUNDS=${ROUNDS:-3}
CONNS=${CONNS:-64}
DURATION=${DURATION:-4}
MODE=${MODE:-issue}
PORT=${PORT:-17440}

make -s BUILD="$BUILD" "$BUILD/bench/loadgen" >/dev/null
work=$(mktemp -d /tmp/branchq-ab.XXXXXX)
server=""
cleanup() {
	[ -n "$server" ] && kill "$server" 2>/dev/null && wait "$server" 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT INT TERM
sh "$(dirname "$0")/config.sh" >"$work/bench.json"

ticks() {	# user and user+system clock ticks of a process
	awk '{ print $14, $14 + $15 }' "/proc/$1/stat"
}

round=1
while [ $round -le "$ROUNDS" ]; do
	for bin in "$@"; do
		rm -f "$work"/db*
		: >"$work/daemon.log"
		"$bin" --config "$work/bench.json" --db "$work/db" \
		    --listen "127.0.0.1:$PORT" 2>>"$work/daemon.log" &
		server=$!
		until grep -q "listening on" "$work/daemon.log"; do sleep 0.05; done
		before=$(ticks "$server")
		out=$("$BUILD/bench/loadgen" --connect "127.0.0.1:$PORT" --conns "$CONNS" \
		    --duration "$DURATION" --warmup 0 --mode "$MODE")
		after=$(ticks "$server")
		kill "$server"
		wait "$server" 2>/dev/null || true
		server=""
		req=$(echo "$out" | sed -n 's/.* requests=\([0-9]*\).*/\1/p')
		hz=$(getconf CLK_TCK)
		echo "$before $after" | awk -v r="$req" -v hz="$hz" -v b="$bin" -v n="$round" \
		    -v o="$out" '{
			per = o; sub(/.*per_s=/, "", per); sub(/ .*/, "", per)
			p99 = o; sub(/.*p99_ms=/, "", p99); sub(/ .*/, "", p99)
			printf "round=%d bin=%s per_s=%s p99_ms=%s cpu_us_per_req=%.1f user_us_per_req=%.1f\n",
			    n, b, per, p99, ($4 - $2) * 1e6 / hz / r, ($3 - $1) * 1e6 / hz / r
		}'
	done
	round=$((round + 1))
done
