#!/bin/sh
# The report benchmark: a year of a busy branch in the database, then the
# reports, timed, while another terminal pings (docs/PERFORMANCE.md).
#
#   1. branchqd creates an empty database (its own schema and migrations);
#   2. bench/gen-year fills it: TICKETS tickets and COMPLAINTS complaints
#      over DAYS days from 2025-01-01, checked against the daemon's rules;
#   3. branchqd starts on it with the test clock at the generator's "now"
#      (deadlines and day end as they would be): start-up is timed from exec
#      to the first answered hello;
#   4. bench/report-bench times report.summary over the whole range, over
#      four weeks and over a day, and report.followups (open, overdue, all,
#      all with limit 10000), RUNS times each, with the longest ping wait of
#      another terminal meanwhile.
#   5. With WAITING > 0: loadgen issues WAITING more tickets (all waiting in
#      the counter lane, the same business day), the daemon restarts on the
#      database (start-up timed again: it rebuilds the lanes from them), and
#      loadgen's branch mix (kiosks issuing, tellers calling, starting and
#      completing, displays subscribed) runs on top of the long queue.
#
#   sh bench/report-bench.sh                      1,000,000 tickets (a few minutes)
#   TICKETS=10000 COMPLAINTS=200 DAYS=30 RUNS=2 WAITING=2000 sh bench/report-bench.sh
#
# Output: key=value lines on stdout and in $OUT (default
# build/bench/reports.txt).  KEEP=1 keeps the work directory.
set -eu

BUILD=${BUILD:-build}
TICKETS=${TICKETS:-1000000}
COMPLAINTS=${COMPLAINTS:-20000}
DAYS=${DAYS:-365}
RUNS=${RUNS:-5}
WAITING=${WAITING:-100000}
PORT=${PORT:-17430}
OUT=${OUT:-$BUILD/bench/reports.txt}
KEEP=${KEEP:-0}

make -s BUILD="$BUILD" all "$BUILD/bench/gen-year" "$BUILD/bench/report-bench" \
    "$BUILD/bench/loadgen" >/dev/null
mkdir -p "$BUILD/bench"
: >"$OUT"
work=$(mktemp -d /tmp/branchq-reports.XXXXXX)
server=""
cleanup() {
	[ -n "$server" ] && kill "$server" 2>/dev/null && wait "$server" 2>/dev/null
	if [ "$KEEP" = 1 ]; then echo "bench: kept $work" >&2; else rm -rf "$work"; fi
}
trap cleanup EXIT INT TERM

say() { echo "$*" | tee -a "$OUT"; }

# CPU time the hypervisor took from this machine (steal) since cpu_mark, in
# per cent: figures measured while it is high are not the machine's own.
cpu_mark() { mark=$(awk '/^cpu / { t = 0; for (i = 2; i <= NF; i++) t += $i; print t, $9 }' /proc/stat); }
steal_pct() {
	awk -v m="$mark" '/^cpu / { t = 0; for (i = 2; i <= NF; i++) t += $i
	    split(m, a, " "); d = t - a[1]; printf "%.1f", (d > 0 ? 100 * ($9 - a[2]) / d : 0) }' /proc/stat
}

# The branch gen-year simulates: kiosks K01..K04, lobby L01/L02 (E2001/E2002),
# tellers T01..T40 (E1001..E1040), supervisors S01/S02 (E9001/E9002), a
# display D01.  Every token is "bench".
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

# branchqd-test: the year is generated on its own dates, so the daemon runs
# on the test clock, set to the year's last day (the test hooks are not in
# branchqd; nothing else differs).
start_daemon() {	# extra branchqd arguments
	started=$(date +%s%N)
	"$BUILD/branchqd-test" --config "$work/bench.json" --db "$work/year.db" \
	    --listen "127.0.0.1:$PORT" --http 127.0.0.1:0 "$@" >>"$work/daemon.log" 2>&1 &
	server=$!
}

stop_daemon() {
	kill "$server" 2>/dev/null || true
	wait "$server" 2>/dev/null || true
	server=""
}

# 1. The schema, by the daemon itself.
start_daemon
"$BUILD/bench/report-bench" --connect "127.0.0.1:$PORT" --from 2025-01-01 --to 2025-01-01 \
    --runs 1 --started-ns "$started" >/dev/null
stop_daemon

# 2. The year.
"$BUILD/bench/gen-year" --db "$work/year.db" --tickets "$TICKETS" \
    --complaints "$COMPLAINTS" --days "$DAYS" --start 2025-01-01 --check --quiet >"$work/gen.txt"
say "gen $(tr '\n' ' ' <"$work/gen.txt")"
grep -q 'check=ok' "$work/gen.txt" || { echo "bench: gen-year's check failed" >&2; exit 1; }
now=$(sed -n 's/.* now=\([^ ]*\).*/\1/p' "$work/gen.txt")
last=$(date -u -d "2025-01-01 + $((DAYS - 1)) days" +%Y-%m-%d)
month=$(date -u -d "2025-01-01 + $((DAYS / 2)) days" +%Y-%m)
say "db_bytes=$(stat -c %s "$work/year.db")"
# The generator's writes still on their way to the disk would slow the first
# fsyncs: let them land before anything is timed.
sync

# 3 and 4. Start-up on the year, and the reports.
cpu_mark
start_daemon --test-clock --test-clock-start "$now"
"$BUILD/bench/report-bench" --connect "127.0.0.1:$PORT" --from 2025-01-01 --to "$last" \
    --month "$month" --runs "$RUNS" --started-ns "$started" | sed 's/^/year /' | tee -a "$OUT"
say "year rss_kb=$(awk '/VmRSS/ {print $2}' "/proc/$server/status") steal_pct=$(steal_pct)"

# 5. WAITING tickets waiting, on top of the year.
if [ "$WAITING" -gt 0 ]; then
	"$BUILD/bench/loadgen" --connect "127.0.0.1:$PORT" --mode issue --conns 64 \
	    --count "$WAITING" | sed 's/^/fill /' | tee -a "$OUT"
	stop_daemon
	start_daemon --test-clock --test-clock-start "$now"
	"$BUILD/bench/report-bench" --connect "127.0.0.1:$PORT" --from 2025-01-01 \
	    --to "$last" --runs 1 --started-ns "$started" | grep -E '^startup' |
	    sed "s/^/waiting=$WAITING /" | tee -a "$OUT"
	say "waiting=$WAITING rss_kb=$(awk '/VmRSS/ {print $2}' "/proc/$server/status")"
	cpu_mark
	"$BUILD/bench/loadgen" --connect "127.0.0.1:$PORT" --mode mix --conns 64 \
	    --duration 3 --warmup 0.5 | sed "s/^/waiting=$WAITING /" | tee -a "$OUT"
	say "waiting=$WAITING steal_pct=$(steal_pct)"
fi
stop_daemon

if grep -Eq 'errors=[1-9]|failed_conns=[1-9]' "$OUT"; then
	echo "bench: some requests failed; see $OUT" >&2
	exit 1
fi
