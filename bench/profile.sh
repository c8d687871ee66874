#!/bin/sh
# Where the daemon's instructions go, per request: branchqd under callgrind
# on a fresh database, COUNT requests of MODE from bench/loadgen at CONNS
# connections, then callgrind_annotate.  Instruction counts do not depend on
# the machine's load, so this is the figure to compare two versions by
# (docs/PERFORMANCE.md); loadgen's rates under callgrind mean nothing.
#
#   sh bench/profile.sh                      20,000 ticket.issue at 64 connections
#   COUNT=2000 MODE=mix sh bench/profile.sh
#   MODE=http sh bench/profile.sh            ticket.issue over HTTP/1.1 (bench/httpgen)
#   MODE=line sh bench/profile.sh            the same request over the line protocol, same client
#
# Prints instructions per request (the daemon's total less a run of CONNS
# requests, which is start-up and shutdown) and the top functions, inclusive.
# The callgrind file stays in $OUT (default build/bench/callgrind.out).
set -eu

BUILD=${BUILD:-build}
COUNT=${COUNT:-20000}
CONNS=${CONNS:-64}
MODE=${MODE:-issue}
TOP=${TOP:-40}
OUT=${OUT:-$BUILD/bench/callgrind.out}
PORT=${PORT:-17430}

command -v valgrind >/dev/null || { echo "profile: valgrind is not installed" >&2; exit 1; }
make -s BUILD="$BUILD" all "$BUILD/bench/loadgen" "$BUILD/bench/httpgen" >/dev/null
case $MODE in http|line) HTTP_PORT=${HTTP_PORT:-$((PORT + 1))} ;; esac
mkdir -p "$BUILD/bench"
BENCH_NAME=profile
. "$(dirname "$0")/common.sh"

# profile COUNT FILE: one daemon under callgrind, COUNT requests; prints its total.
profile() {
	start_daemon valgrind --tool=callgrind --callgrind-out-file="$2" "$BUILD/branchqd"
	case $MODE in
	http) "$BUILD/bench/httpgen" --mode issue --proto http --connect "127.0.0.1:$HTTP_PORT" \
	    --conns "$CONNS" --count "$1" >"$work/loadgen.txt" ;;
	line) "$BUILD/bench/httpgen" --mode issue --proto line --connect "127.0.0.1:$PORT" \
	    --conns "$CONNS" --count "$1" >"$work/loadgen.txt" ;;
	*) "$BUILD/bench/loadgen" --connect "127.0.0.1:$PORT" --conns "$CONNS" \
	    --count "$1" --mode "$MODE" >"$work/loadgen.txt" ;;
	esac
	grep -q " errors=0 " "$work/loadgen.txt" || {
		echo "profile: requests failed: $(cat "$work/loadgen.txt")" >&2
		stop_server; exit 1; }	# a subshell: the trap would not stop it
	stop_server
	callgrind_annotate "$2" 2>/dev/null | sed -n 's/^ *\([0-9,]*\) .*PROGRAM TOTALS.*/\1/p' | tr -d ,
}

base=$(profile "$CONNS" "$work/base.out")
total=$(profile "$COUNT" "$OUT")
echo "mode=$MODE conns=$CONNS requests=$COUNT instructions=$total startup_and_shutdown=$base" \
    "per_request=$(( (total - base) / (COUNT - CONNS) ))"
callgrind_annotate --auto=no --inclusive=yes "$OUT" 2>/dev/null |
    grep -E '/src/|sqlite3_step|cJSON_Parse|evbuffer_write|epoll|SHA256' | head -n "$TOP"
