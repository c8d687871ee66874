#!/bin/sh
# The load benchmark: starts each server on a fresh database and measures it
# with bench/loadgen, in one run so the figures compare:
#   1. the bare loop (bench/bareloop: line framing, fixed reply, no work)
#   2. branchqd, durable ticket.issue
#   3. branchqd, a branch mix (kiosks, tellers, displays)
#   4. Redis RPUSH with appendonly yes, appendfsync always (if redis-server is installed)
# at 64 and 1,024 connections; then 10,000 idle authenticated connections
# (resident memory of the daemon).
#
#   sh bench/load.sh                 full run (about 2 minutes)
#   DURATION=1 WARMUP=0.5 CONNS=64 IDLE=200 sh bench/load.sh    a smoke run (CI)
#
# Output: a table on stdout, and the raw loadgen lines in $OUT (default
# build/bench/load.txt).  srv_us and gen_us are the CPU time (user +
# system) the server and the load generator spent per answered request in
# the measured window, cores the share of one core the server used (a
# line of the mix counts every request of the mix).
set -eu

BUILD=${BUILD:-build}
DURATION=${DURATION:-10}
WARMUP=${WARMUP:-2}
CONNS=${CONNS:-"64 1024"}
IDLE=${IDLE:-10000}
OUT=${OUT:-$BUILD/bench/load.txt}
PORT=${PORT:-17420}

make -s BUILD="$BUILD" all "$BUILD/bench/loadgen" "$BUILD/bench/bareloop" >/dev/null
mkdir -p "$BUILD/bench"
: >"$OUT"
BENCH_NAME=bench
. "$(dirname "$0")/common.sh"

# Raise the open-file limit for 10,000 connections, as far as allowed.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

run() {	# label conns loadgen-args...
	label=$1 conns=$2
	shift 2
	"$BUILD/bench/loadgen" --connect "127.0.0.1:$PORT" --conns "$conns" \
	    --duration "$DURATION" --warmup "$WARMUP" --server-pid "$server" "$@" |
	    sed "s/^/run=$label /" | tee -a "$OUT" >/dev/null
}

for c in $CONNS; do
	: >"$work/daemon.log"
	"$BUILD/bench/bareloop" --listen "127.0.0.1:$PORT" 2>>"$work/daemon.log" &
	server=$!
	wait_for_log "listening on"
	run bare "$c" --mode line --line '{"op":"ticket.issue","service":"loan"}'
	stop_server

	start_daemon "$BUILD/branchqd"
	run issue "$c" --mode issue
	stop_server
	# The daemon's account of its checkpoints over the run, warm-up included.
	echo "run=checkpoints conns=$c $(grep -o 'worker=.*' "$work/daemon.log" | tail -1)" |
	    tee -a "$OUT" >/dev/null

	start_daemon "$BUILD/branchqd"
	run mix "$c" --mode mix
	stop_server

	if command -v redis-server >/dev/null 2>&1; then
		redis-server --port "$PORT" --bind 127.0.0.1 --dir "$work" --appendonly yes \
		    --appendfsync always --save '' --daemonize no >/dev/null 2>&1 &
		server=$!
		n=0
		until redis-cli -p "$PORT" ping >/dev/null 2>&1; do
			n=$((n + 1)); [ $n -gt 100 ] && break; sleep 0.05
		done
		run redis "$c" --mode redis
		stop_server
	fi
done

# Idle connections: hello as a kiosk and hold; the daemon's resident memory.
start_daemon "$BUILD/branchqd"
rss0=$(awk '/VmRSS/ {print $2}' "/proc/$server/status")
"$BUILD/bench/loadgen" --connect "127.0.0.1:$PORT" --conns "$IDLE" --mode idle \
    --duration 3 >"$work/idle.txt" &
idle=$!
n=0
until grep -q "mode=idle" "$work/idle.txt" 2>/dev/null; do
	n=$((n + 1))
	[ $n -gt 1200 ] && break
	sleep 0.05
done
rss=$(awk '/VmRSS/ {print $2}' "/proc/$server/status")
wait "$idle" || true
echo "run=idle $(cat "$work/idle.txt") rss_before_kb=$rss0 rss_kb=$rss" | tee -a "$OUT" >/dev/null
stop_server

# The table.
awk '
function get(k,   i, kv) { for (i = 1; i <= NF; i++) { split($i, kv, "="); if (kv[1] == k) return kv[2] } return "" }
/^run=checkpoints/ { ck = ck sprintf("checkpoints, issue at %s connections: %s copies by the worker, %s finished on the loop, %s at the limit; the loop spent %s ms in them (longest %s ms)\n",
    get("conns"), get("worker"), get("loop"), get("limit"), get("loop_ms"), get("loop_max_ms")); next }
/^run=idle/ { idle = sprintf("idle: %s connections ready (%s failed); daemon resident %.1f MB (%.1f MB before)",
    get("ready"), get("failed"), get("rss_kb") / 1024, get("rss_before_kb") / 1024); next }
{ run = get("run"); kind = get("kind"); c = get("conns")
  key = run "/" kind "/" c
  rate[key] = get("per_s"); p50[key] = get("p50_ms"); p99[key] = get("p99_ms"); mx[key] = get("max_ms")
  su[key] = get("server_cpu_us"); sc[key] = get("server_cores"); gu[key] = get("loadgen_cpu_us")
  err[key] = get("errors") + get("failed_conns")
  if (!(key in seen)) { seen[key] = 1; order[n++] = key }
  if (run == "bare") bare[c] = get("per_s") }
END {
  printf "%-22s %6s %10s %9s %9s %9s %7s %8s %8s %6s %8s\n", "run/kind", "conns", "per_s", "p50_ms", "p99_ms", "max_ms", "errors", "x bare", "srv_us", "cores", "gen_us"
  for (i = 0; i < n; i++) { k = order[i]; split(k, p, "/")
    ratio = (p[3] in bare && bare[p[3]] > 0) ? sprintf("%.2f", rate[k] / bare[p[3]]) : "-"
    printf "%-22s %6s %10s %9s %9s %9s %7s %8s %8s %6s %8s\n", p[1] "/" p[2], p[3], rate[k], p50[k], p99[k], mx[k], err[k], ratio, su[k], sc[k], gu[k] }
  printf "%s", ck
  if (idle != "") print idle
}' "$OUT"

# A run with errors or failed connections is a failed benchmark.
if grep -Eq 'errors=[1-9]|failed_conns=[1-9]|failed=[1-9]' "$OUT"; then
	echo "bench: some requests failed; see $OUT" >&2
	exit 1
fi
