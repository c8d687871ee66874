#!/bin/sh
# The HTTP benchmark (issue 16): branchqd's HTTP listener beside its line
# protocol, in one run, each measurement on a fresh database and daemon,
# round after round in turn (the order rotating), so that a noisy minute
# hits both sides:
#   1. ticket.issue at CONNS connections (64), one request in flight on each:
#      HTTP/1.1 keep-alive (`POST /api/v1/op/ticket.issue`, Bearer K01) and
#      the line protocol, both from bench/httpgen (the same client, the same
#      body), and bench/loadgen's issue mode (the figures of issue 6);
#   2. fan-out: STREAMS event streams of display D01 (200; `GET
#      /api/v1/events?topics=calls`) and, beside them, as many line-protocol
#      subscribers; teller T01 calls CALLS tickets (50) one by one: the time
#      from the write of each call_next until each stream has its
#      `ticket.called`;
#   3. IDLE idle event streams (1,000), and as many idle line-protocol
#      subscribers: the daemon's resident memory (VmRSS) before and after.
#
#   sh bench/http.sh              full run (about 2.5 minutes)
#   ROUNDS=1 FANOUT_ROUNDS=1 IDLE_ROUNDS=1 DURATION=0.5 WARMUP=0.2 CONNS=8 \
#       STREAMS=20 CALLS=5 IDLE=50 sh bench/http.sh      a smoke run (seconds)
#
# Output: a table of medians over the rounds on stdout, the raw httpgen and
# loadgen lines in $OUT (default build/bench/http.txt).  srv_us and gen_us
# are the CPU time (user + system) the daemon and the client spent per
# answered request, cores the share of one core the daemon used; in the
# fan-out, loop_us/call is the CPU time of the daemon's loop thread per call
# (call_next with its event to every stream, start, complete); first, last
# and spread are per call: the first stream's time, the last one's, and
# the difference (the fan-out itself, the commit before it left out).  Fails if
# a request failed, a connection failed or a stream missed an event; never
# on a figure.
set -eu

BUILD=${BUILD:-build}
BRANCHQD=${BRANCHQD:-$BUILD/branchqd}
ROUNDS=${ROUNDS:-5}
DURATION=${DURATION:-5}
WARMUP=${WARMUP:-1}
CONNS=${CONNS:-64}
STREAMS=${STREAMS:-200}
CALLS=${CALLS:-50}
FANOUT_ROUNDS=${FANOUT_ROUNDS:-$ROUNDS}
IDLE=${IDLE:-1000}
IDLE_ROUNDS=${IDLE_ROUNDS:-3}
BODY=${BODY:-'{"service":"cash_deposit","amount_fen":10000}'}
OUT=${OUT:-$BUILD/bench/http.txt}
PORT=${PORT:-17450}
HTTP_PORT=${HTTP_PORT:-$((PORT + 1))}

make -s BUILD="$BUILD" all "$BUILD/bench/loadgen" "$BUILD/bench/httpgen" >/dev/null
mkdir -p "$BUILD/bench"
: >"$OUT"
# The streams are bounded by http_max_streams (default 512).
max=$((IDLE > STREAMS ? IDLE : STREAMS))
BENCH_CONFIG_EXTRA="\"http_max_streams\":$((max + 100))"
export BENCH_CONFIG_EXTRA
BENCH_NAME=http
. "$(dirname "$0")/common.sh"

# A file descriptor per stream, on both sides.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
[ "$(ulimit -n)" -gt $((max + 200)) ] ||
    echo "http: ulimit -n is $(ulimit -n), too low for $max streams" >&2

gen=$BUILD/bench/httpgen
fail=0
# The machine: other work on it shows in the load average, the
# hypervisor's in steal (per cent of CPU time over the run).
load0=$(cut -d' ' -f1 /proc/loadavg)
mark=$(awk '/^cpu / { t = 0; for (i = 2; i <= NF; i++) t += $i; print t, $9 }' /proc/stat)

# rotate N WORDS...: the words, starting at the Nth (1-based, modulo).
rotate() {
	n=$1
	shift
	i=$(( (n - 1) % $# ))
	while [ $i -gt 0 ]; do
		first=$1
		shift
		set -- "$@" "$first"
		i=$((i - 1))
	done
	echo "$@"
}

# record LABEL COMMAND...: runs it against the daemon; its line, labelled, in $OUT.
record() {
	label=$1
	shift
	if ! "$@" >"$work/gen.txt" 2>"$work/gen.err"; then
		fail=1
		echo "http: $label failed:" >&2
		cat "$work/gen.err" "$work/gen.txt" >&2
	fi
	sed "s/^/$label /" "$work/gen.txt" >>"$OUT"
}

# 1. ticket.issue
r=1
while [ "$r" -le "$ROUNDS" ]; do
	for side in $(rotate "$r" http line loadgen); do
		start_daemon "$BRANCHQD"
		case $side in
		http) record "round=$r run=http" "$gen" --mode issue --proto http \
		    --connect "127.0.0.1:$HTTP_PORT" --conns "$CONNS" --duration "$DURATION" \
		    --warmup "$WARMUP" --body "$BODY" --server-pid "$server" ;;
		line) record "round=$r run=line" "$gen" --mode issue --proto line \
		    --connect "127.0.0.1:$PORT" --conns "$CONNS" --duration "$DURATION" \
		    --warmup "$WARMUP" --body "$BODY" --server-pid "$server" ;;
		loadgen) record "round=$r run=loadgen" "$BUILD/bench/loadgen" --mode issue \
		    --connect "127.0.0.1:$PORT" --conns "$CONNS" --duration "$DURATION" \
		    --warmup "$WARMUP" --server-pid "$server" ;;
		esac
		stop_server
	done
	r=$((r + 1))
done

# 2. Fan-out: the kiosk and the teller on the line protocol in both.
r=1
while [ "$r" -le "$FANOUT_ROUNDS" ]; do
	for side in $(rotate "$r" http line); do
		start_daemon "$BRANCHQD"
		if [ "$side" = http ]; then
			to=$HTTP_PORT
		else
			to=$PORT
		fi
		record "round=$r run=fanout-$side" "$gen" --mode fanout --proto "$side" \
		    --connect "127.0.0.1:$to" --tcp "127.0.0.1:$PORT" --streams "$STREAMS" \
		    --calls "$CALLS" --server-pid "$server"
		stop_server
	done
	r=$((r + 1))
done

# 3. Idle streams: the daemon's resident memory once they are all open.
r=1
while [ "$r" -le "$IDLE_ROUNDS" ]; do
	for side in $(rotate "$r" http line); do
		start_daemon "$BRANCHQD"
		if [ "$side" = http ]; then
			to=$HTTP_PORT
		else
			to=$PORT
		fi
		rss0=$(awk '/VmRSS/ {print $2}' "/proc/$server/status")
		"$gen" --mode idle --proto "$side" --connect "127.0.0.1:$to" --streams "$IDLE" \
		    --duration 60 >"$work/idle.txt" 2>"$work/idle.err" &
		idle=$!
		n=0
		until grep -q "mode=idle" "$work/idle.txt" 2>/dev/null; do
			n=$((n + 1))
			[ $n -gt 1200 ] && break
			sleep 0.05
		done
		sleep 0.5	# what the daemon does after the last head, done
		rss=$(awk '/VmRSS/ {print $2}' "/proc/$server/status")
		kill "$idle" 2>/dev/null || true
		wait "$idle" 2>/dev/null || true
		grep -q "failed=0" "$work/idle.txt" || { fail=1; cat "$work/idle.err" >&2; }
		echo "round=$r run=idle-$side $(cat "$work/idle.txt") rss_before_kb=$rss0 rss_kb=$rss" >>"$OUT"
		stop_server
	done
	r=$((r + 1))
done

steal=$(awk -v m="$mark" '/^cpu / { t = 0; for (i = 2; i <= NF; i++) t += $i
    split(m, a, " "); d = t - a[1]; printf "%.1f", (d > 0 ? 100 * ($9 - a[2]) / d : 0) }' /proc/stat)
echo "run=machine nproc=$(nproc) loadavg_before=$load0 loadavg_after=$(cut -d' ' -f1 /proc/loadavg)" \
    "steal_pct=$steal" >>"$OUT"

# The table: medians over the rounds (min-max).
awk '
function get(k,   i, kv) { for (i = 1; i <= NF; i++) { split($i, kv, "="); if (kv[1] == k) return kv[2] } return "" }
function add(key, v) { if (v == "") return; n[key]++; val[key, n[key]] = v + 0 }
function med(key,   i, j, t, m) {
	m = n[key]; if (m == 0) return "-"
	for (i = 2; i <= m; i++) for (j = i; j > 1 && val[key, j - 1] > val[key, j]; j--) {
		t = val[key, j]; val[key, j] = val[key, j - 1]; val[key, j - 1] = t }
	lo[key] = val[key, 1]; hi[key] = val[key, m]
	return m % 2 ? val[key, (m + 1) / 2] : (val[key, m / 2] + val[key, m / 2 + 1]) / 2 }
function show(key, fmt) { return sprintf(fmt, med(key)) (n[key] > 1 ? sprintf(" (" fmt "-" fmt ")", lo[key], hi[key]) : "") }
{ run = get("run"); r = get("round") }
run == "http" || run == "line" || run == "loadgen" {
	add(run "/per_s", get("per_s")); add(run "/p50", get("p50_ms")); add(run "/p99", get("p99_ms"))
	add(run "/srv", get("server_cpu_us")); add(run "/cores", get("server_cores"))
	add(run "/gen", get("gen_cpu_us") get("loadgen_cpu_us")); rate[run, r] = get("per_s"); p99[run, r] = get("p99_ms")
	rounds[r] = 1; conns = get("conns") }
run ~ /^fanout-/ {
	add(run "/p50", get("p50_ms")); add(run "/p99", get("p99_ms")); add(run "/max", get("max_ms"))
	add(run "/first", get("first_p50_ms")); add(run "/last50", get("last_p50_ms"))
	add(run "/last99", get("last_p99_ms")); add(run "/lastmax", get("last_max_ms"))
	add(run "/spread", get("spread_p50_ms")); add(run "/spread99", get("spread_p99_ms"))
	add(run "/cpu", get("loop_cpu_us_per_call"))
	add(run "/reply", get("reply_p50_ms")); streams = get("streams"); calls = get("calls") }
run == "machine" { machine = sprintf("machine: %s CPUs, load average %s before, %s after; steal %s %%", get("nproc"), get("loadavg_before"), get("loadavg_after"), get("steal_pct")) }
run ~ /^idle-/ {
	add(run "/ready", get("ready")); add(run "/rss0", get("rss_before_kb")); add(run "/rss", get("rss_kb"))
	if (get("ready") > 0) add(run "/per", (get("rss_kb") - get("rss_before_kb")) / get("ready")); idle = get("streams") }
END {
	for (r in rounds) if (rate["line", r] > 0 && rate["http", r] != "") {
		add("ratio", rate["http", r] / rate["line", r]); add("p99ratio", p99["http", r] / p99["line", r]) }
	printf "ticket.issue, %s connections, %d rounds: medians (min-max)\n", conns, n["http/per_s"]
	printf "%-8s %-24s %-24s %-24s %-20s %-18s %s\n", "run", "req/s", "p50 ms", "p99 ms", "srv_us", "cores", "gen_us"
	split("http line loadgen", runs, " ")
	for (i = 1; i <= 3; i++) { k = runs[i]; if (n[k "/per_s"] == 0) continue
		printf "%-8s %-24s %-24s %-24s %-20s %-18s %s\n", k, show(k "/per_s", "%.0f"), show(k "/p50", "%.2f"),
		    show(k "/p99", "%.2f"), show(k "/srv", "%.1f"), show(k "/cores", "%.2f"), show(k "/gen", "%.1f") }
	if (n["ratio"] > 0) printf "http / line, round by round: req/s %s, p99 %s\n", show("ratio", "%.2f"), show("p99ratio", "%.2f")
	printf "\nfan-out: %s streams, %s calls a round, %d rounds: medians over the rounds (min-max), ms\n", streams, calls, n["fanout-http/p50"]
	printf "%-12s %-20s %-20s %-20s %-20s %-20s %-20s %-20s %-20s %-20s %s\n", "run", "p50", "p99", "first p50", "last p50", "last p99", "last max", "spread p50", "spread p99", "reply p50", "loop_us/call"
	split("fanout-http fanout-line", runs, " ")
	for (i = 1; i <= 2; i++) { k = runs[i]; if (n[k "/p50"] == 0) continue
		printf "%-12s %-20s %-20s %-20s %-20s %-20s %-20s %-20s %-20s %-20s %s\n", k, show(k "/p50", "%.3f"), show(k "/p99", "%.3f"),
		    show(k "/first", "%.3f"), show(k "/last50", "%.3f"), show(k "/last99", "%.3f"), show(k "/lastmax", "%.3f"),
		    show(k "/spread", "%.3f"), show(k "/spread99", "%.3f"), show(k "/reply", "%.3f"), show(k "/cpu", "%.0f") }
	printf "\nidle: %s streams, %d rounds: the daemon resident, kB (medians, min-max)\n", idle, n["idle-http/rss"]
	printf "%-10s %-10s %-24s %-24s %s\n", "run", "ready", "before", "after", "per stream"
	split("idle-http idle-line", runs, " ")
	for (i = 1; i <= 2; i++) { k = runs[i]; if (n[k "/rss"] == 0) continue
		printf "%-10s %-10s %-24s %-24s %s\n", k, show(k "/ready", "%d"), show(k "/rss0", "%d"), show(k "/rss", "%d"), show(k "/per", "%.1f") }
	print "\n" machine
}' "$OUT"

if [ $fail -ne 0 ] || grep -Eq 'errors=[1-9]|failed_conns=[1-9]|failed=[1-9]|missing=[1-9]' "$OUT"; then
	echo "http: some requests, connections or events failed; see $OUT" >&2
	exit 1
fi
