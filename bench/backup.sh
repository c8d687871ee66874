#!/bin/sh
# The backup benchmark (docs/PERFORMANCE.md "Backups"): how long a copy of a
# year's database takes, and what a terminal issuing tickets feels while it
# is made, beside the same terminal with no copy under way, in the same run.
#
#   1. branchqd creates an empty database; bench/gen-year fills it with a
#      year (TICKETS tickets, COMPLAINTS complaints over DAYS days), as
#      bench/report-bench.sh does;
#   2. branchqd-test starts on it with --backup-dir, on the test clock set
#      to the year's "now" (the year is dated by the generator);
#   3. ROUNDS times: loadgen issues tickets from CONNS kiosk connections for
#      DURATION seconds with no copy ("idle" lines), then again while, one
#      second in, a supervisor asks for a copy with `branchq backup`
#      ("backup" lines: the copy's own time, duration_ms, and the wall time
#      from the request to the reply, wall_ms).  loadgen's max_ms is the
#      longest ticket.issue round trip of the window; the window should
#      outlast the copy (a warning says when it did not).  Each phase also
#      prints the load average and the CPU steal.
#
#   sh bench/backup.sh                                   (a few minutes)
#   TICKETS=20000 COMPLAINTS=400 DAYS=30 ROUNDS=1 DURATION=3 sh bench/backup.sh
#
# Output: key=value lines on stdout and in $OUT (default
# build/bench/backup.txt).  KEEP=1 keeps the work directory.
set -eu

BUILD=${BUILD:-build}
TICKETS=${TICKETS:-1000000}
COMPLAINTS=${COMPLAINTS:-20000}
DAYS=${DAYS:-365}
ROUNDS=${ROUNDS:-3}
CONNS=${CONNS:-1}
DURATION=${DURATION:-30}
PORT=${PORT:-17440}
OUT=${OUT:-$BUILD/bench/backup.txt}
KEEP=${KEEP:-0}

make -s BUILD="$BUILD" all "$BUILD/bench/gen-year" "$BUILD/bench/report-bench" \
    "$BUILD/bench/loadgen" >/dev/null
mkdir -p "$BUILD/bench"
: >"$OUT"
work=$(mktemp -d /tmp/branchq-backup.XXXXXX)
server=""
cleanup() {
	[ -n "$server" ] && kill "$server" 2>/dev/null && wait "$server" 2>/dev/null
	if [ "$KEEP" = 1 ]; then echo "bench: kept $work" >&2; else rm -rf "$work"; fi
}
trap cleanup EXIT INT TERM

say() { echo "$*" | tee -a "$OUT"; }

# CPU time the hypervisor took (steal) since cpu_mark, in per cent, and the
# load average: this machine is shared, and its figures say so.
cpu_mark() { mark=$(awk '/^cpu / { t = 0; for (i = 2; i <= NF; i++) t += $i; print t, $9 }' /proc/stat); }
steal_pct() {
	awk -v m="$mark" '/^cpu / { t = 0; for (i = 2; i <= NF; i++) t += $i
	    split(m, a, " "); d = t - a[1]; printf "%.1f", (d > 0 ? 100 * ($9 - a[2]) / d : 0) }' /proc/stat
}
machine() { echo "loadavg=$(cut -d' ' -f1 /proc/loadavg) steal_pct=$(steal_pct)"; }

# The branch gen-year simulates (bench/report-bench.sh's): every token "bench".
hash=$(printf %s bench | sha256sum | cut -d' ' -f1)
{
	printf '{"branch":"BENCH","timezone":"Asia/Shanghai","duty_supervisor":"E9001",\n'
	printf '"terminals":[\n'
	for k in K01 K02 K03 K04; do
		printf '{"id":"%s","role":"kiosk","token_sha256":"%s"},\n' "$k" "$hash"
	done
	printf '{"id":"L01","role":"lobby","staff":"E2001","token_sha256":"%s"},\n' "$hash"
	printf '{"id":"L02","role":"lobby","staff":"E2002","token_sha256":"%s"},\n' "$hash"
	printf '{"id":"D01","role":"display","token_sha256":"%s"},\n' "$hash"
	i=1
	while [ $i -le 40 ]; do
		printf '{"id":"T%02d","role":"teller","staff":"E1%03d","token_sha256":"%s"},\n' \
		    $i $i "$hash"
		i=$((i + 1))
	done
	printf '{"id":"S01","role":"supervisor","staff":"E9001","token_sha256":"%s"},\n' "$hash"
	printf '{"id":"S02","role":"supervisor","staff":"E9002","token_sha256":"%s"}]}\n' "$hash"
} >"$work/bench.json"
mkdir "$work/backups"

start_daemon() {	# extra branchqd arguments
	"$BUILD/branchqd-test" --config "$work/bench.json" --db "$work/year.db" \
	    --listen "127.0.0.1:$PORT" --http off --backup-dir "$work/backups" "$@" \
	    >>"$work/daemon.log" 2>&1 &
	server=$!
	n=0
	until grep -q "listening on 127.0.0.1:$PORT" "$work/daemon.log" 2>/dev/null; do
		n=$((n + 1))
		[ $n -gt 600 ] && { echo "bench: the daemon did not start" >&2; exit 1; }
		sleep 0.1
	done
}

stop_daemon() {
	kill "$server" 2>/dev/null || true
	wait "$server" 2>/dev/null || true
	server=""
}

# 1. The schema, by the daemon itself; then the year.
start_daemon
stop_daemon
: >"$work/daemon.log"
"$BUILD/bench/gen-year" --db "$work/year.db" --tickets "$TICKETS" \
    --complaints "$COMPLAINTS" --days "$DAYS" --start 2025-01-01 --quiet >"$work/gen.txt"
say "gen $(tr '\n' ' ' <"$work/gen.txt")"
now=$(sed -n 's/.* now=\([^ ]*\).*/\1/p' "$work/gen.txt")
say "db_bytes=$(stat -c %s "$work/year.db")"
sync

# 2 and 3.
start_daemon --test-clock --test-clock-start "$now"
issue() {	# label: loadgen's line, labelled
	"$BUILD/bench/loadgen" --connect "127.0.0.1:$PORT" --mode issue --conns "$CONNS" \
	    --duration "$DURATION" --warmup 0 --server-pid "$server" | sed "s/^/$1 /"
}
field() { sed -n "s/.*\"$1\":\"\{0,1\}\([^\",}]*\).*/\1/p" "$work/reply.txt"; }
round=1
while [ "$round" -le "$ROUNDS" ]; do
	cpu_mark
	issue "round=$round idle" | tee -a "$OUT"
	say "round=$round idle $(machine)"
	cpu_mark
	issue "round=$round backup" >"$work/load.txt" &
	load=$!
	sleep 1
	t0=$(date +%s%N)
	"$BUILD/branchq" --connect "127.0.0.1:$PORT" --terminal S01 --token bench --json \
	    --timeout 0 backup >"$work/reply.txt"
	t1=$(date +%s%N)
	wait "$load"
	tee -a "$OUT" <"$work/load.txt"
	grep -q '"ok":true' "$work/reply.txt" || { cat "$work/reply.txt" >&2; exit 1; }
	say "round=$round copy file=$(field file) bytes=$(field bytes)" \
	    "duration_ms=$(field duration_ms) wall_ms=$(( (t1 - t0) / 1000000 )) $(machine)"
	# The window should hold the whole copy: else its max is of a part.
	[ $(( (t1 - t0) / 1000000 )) -lt $(( (DURATION - 1) * 1000 )) ] ||
	    say "round=$round warning: the copy outlasted the load's window (DURATION=$DURATION)"
	# The next copy gets a name of its own (the test clock stands still).
	"$BUILD/branchq" --connect "127.0.0.1:$PORT" --terminal S01 --token bench --json \
	    clock.advance seconds=60 >/dev/null
	round=$((round + 1))
done
say "wal_bytes_end=$(stat -c %s "$work/year.db-wal" 2>/dev/null || echo 0)"
grep -E 'event=(backup|checkpoint)' "$work/daemon.log" | sed 's/^/log /' | tee -a "$OUT"
stop_daemon

if grep -Eq 'errors=[1-9]|failed_conns=[1-9]' "$OUT"; then
	echo "bench: some requests failed; see $OUT" >&2
	exit 1
fi
