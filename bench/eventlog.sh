#!/bin/sh
# What the head-office event log (sql/014: a trigger per history row writes
# an event in the same transaction) costs a change.  The same build and the
# same load, alternating: the daemon on a fresh database, and on one whose
# hq_* triggers were dropped before it started (the baseline: no event log),
# ROUNDS times each, durable ticket.issue and the branch mix at 64 connections.
#
#   sh bench/eventlog.sh                      (about 2 minutes)
#   ROUNDS=1 DURATION=1 WARMUP=0.5 sh bench/eventlog.sh     a smoke run
#
# Output: one line per run: per_s, p50/p99 ms, and srv_us, the daemon's CPU
# time per request (the figure least moved by a noisy machine).
set -eu

BUILD=${BUILD:-build}
DURATION=${DURATION:-5}
WARMUP=${WARMUP:-1}
ROUNDS=${ROUNDS:-3}
PORT=${PORT:-17440}

make -s BUILD="$BUILD" all "$BUILD/bench/loadgen" >/dev/null
BENCH_NAME=eventlog
. "$(dirname "$0")/common.sh"

# The daemon on a database already migrated, hq triggers dropped or kept.
start_on() {	# with|without
	start_daemon "$BUILD/branchqd"
	stop_server
	if [ "$1" = without ]; then
		/usr/bin/python3 - "$work/db" <<'PY'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'trigger' "
                          "AND name LIKE 'hq_%'").fetchall():
    db.execute("DROP TRIGGER " + name)
db.commit()
PY
	fi
	: >"$work/daemon.log"
	"$BUILD/branchqd" --config "$work/bench.json" --db "$work/db" --listen "127.0.0.1:$PORT" \
	    --http 127.0.0.1:0 >>"$work/daemon.log" 2>&1 &
	server=$!
	wait_for_log "listening on"
}

r=1
while [ "$r" -le "$ROUNDS" ]; do
	for log in without with; do
		for mode in issue mix; do
			start_on "$log"
			"$BUILD/bench/loadgen" --connect "127.0.0.1:$PORT" --conns 64 \
			    --duration "$DURATION" --warmup "$WARMUP" --server-pid "$server" \
			    --mode "$mode" | grep "^kind=" |
			    sed "s/^/round=$r event_log=$log /"
			events=$(/usr/bin/python3 -c "import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute('SELECT count(*) FROM hq_events').fetchone()[0])" "$work/db")
			echo "round=$r event_log=$log mode=$mode hq_events=$events"
			stop_server
		done
	done
	r=$((r + 1))
done
