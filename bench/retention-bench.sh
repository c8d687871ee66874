#!/bin/sh
# The retention benchmark (docs/PERFORMANCE.md "Retention"): how long one
# batch of the daily erasure holds the event loop, on a year of a busy
# branch.
#
#   1. branchqd creates an empty database (its own schema and migrations);
#   2. bench/gen-year fills it (TICKETS tickets, COMPLAINTS complaints over
#      2025), most complaints closed;
#   3. branchqd (the real clock, now: every complaint closed in 2025 is
#      older than retention_days 1) starts on it with --verbose; a minute
#      later its start-up run erases them, 200 a transaction, one batch a
#      turn of the loop, each batch's time in an event=retention_batch line;
#   4. meanwhile a display pings, one in flight: its longest wait while the
#      run goes on is what the run costs every other terminal.
#
#   sh bench/retention-bench.sh
#   TICKETS=100000 COMPLAINTS=5000 sh bench/retention-bench.sh
#
# Output: key=value lines on stdout and in $OUT (default
# build/bench/retention.txt).  KEEP=1 keeps the work directory.
set -eu

BUILD=${BUILD:-build}
TICKETS=${TICKETS:-1000000}
COMPLAINTS=${COMPLAINTS:-20000}
PORT=${PORT:-$((20000 + $$ % 20000))}
OUT=${OUT:-$BUILD/bench/retention.txt}
KEEP=${KEEP:-0}
PY=${PY:-/usr/bin/python3}

make -s BUILD="$BUILD" all "$BUILD/bench/gen-year" >/dev/null
mkdir -p "$BUILD/bench"
: >"$OUT"
work=$(mktemp -d /tmp/branchq-retention.XXXXXX)
server=""
cleanup() {
	[ -n "$server" ] && kill "$server" 2>/dev/null && wait "$server" 2>/dev/null
	if [ "$KEEP" = 1 ]; then echo "bench: kept $work" >&2; else rm -rf "$work"; fi
}
trap cleanup EXIT INT TERM

say() { echo "$*" | tee -a "$OUT"; }

# gen-year's branch (bench/report-bench.sh): every token is "bench".
hash=$(printf %s bench | sha256sum | cut -d' ' -f1)
{
	printf '{"branch":"BENCH","timezone":"Asia/Shanghai","duty_supervisor":"E9001",\n'
	printf '"retention_days":1,"terminals":[\n'
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

# Pings as D01, one in flight, until the log says the run ended (or 600 s):
# the longest wait in the first 30 s (start-up), then until the run's first
# batch (idle), then during the run (due 60 s after start).
cat >"$work/pinger.py" <<'EOF'
import socket, sys, time
port, log = int(sys.argv[1]), sys.argv[2]
for _ in range(200):
    try:
        s = socket.create_connection(("127.0.0.1", port)); break
    except OSError:
        time.sleep(0.05)
start = time.time()
f = s.makefile("rb")
s.sendall(b'{"op":"hello","terminal":"D01","token":"bench","id":0}\n'); f.readline()
w = {"startup": [], "idle": [], "run": []}
state, last_check, done_at = "startup", 0.0, None
while time.time() < start + 600:
    t0 = time.perf_counter()
    s.sendall(b'{"op":"ping","id":1}\n'); f.readline()
    w[state].append((time.perf_counter() - t0) * 1e3)
    if state == "startup" and time.time() - start > 30:
        state = "idle"
    if done_at is None and time.time() - last_check > 0.02:
        last_check = time.time()
        with open(log, errors="replace") as l:
            text = l.read()
        if state == "idle" and "event=retention_batch" in text:
            state = "run"
        if "event=retention " in text:
            done_at = time.time()
    if done_at is not None and time.time() > done_at + 0.5:
        break
    time.sleep(0.001)
out = []
for k in ("startup", "idle", "run"):
    v = sorted(w[k]) or [0.0]
    out.append("%s_pings=%d %s_ping_p50_ms=%.2f %s_ping_p99_ms=%.2f %s_ping_max_ms=%.1f" % (
        k, len(w[k]), k, v[len(v) // 2], k, v[min(len(v) - 1, int(len(v) * 0.99))], k, v[-1]))
print(" ".join(out))
EOF

# 1. The schema, by the daemon itself (real clock, nothing to erase).
"$BUILD/branchqd" --config "$work/bench.json" --db "$work/year.db" \
    --listen "127.0.0.1:$PORT" --http off >"$work/schema.log" 2>&1 &
server=$!
$PY - "$PORT" <<'EOF'
import socket, sys, time
for _ in range(200):
    try:
        socket.create_connection(("127.0.0.1", int(sys.argv[1]))).close(); break
    except OSError:
        time.sleep(0.05)
EOF
kill "$server"; wait "$server" 2>/dev/null || true; server=""

# 2. The year.
"$BUILD/bench/gen-year" --db "$work/year.db" --tickets "$TICKETS" \
    --complaints "$COMPLAINTS" --days 365 --start 2025-01-01 --quiet >"$work/gen.txt"
say "gen $(tr '\n' ' ' <"$work/gen.txt")"
q() { sqlite3 "$work/year.db" "$1"; }
# gen-year writes no webhook bodies or request keys: give each complaint
# three bodies (logged, overdue, recorded; the customer unmasked, as the
# daemon writes them) and one key, as a branch with a receiver has.
sqlite3 "$work/year.db" <<'SQL'
BEGIN;
INSERT INTO outbox (event, body, created_at, complaint_id)
	SELECT e.event, json_object('event', e.event, 'branch', 'BENCH',
	    'at', strftime('%Y-%m-%dT%H:%M:%SZ', c.logged_at, 'unixepoch'),
	    'complaint', json_object('id', c.id, 'state', 'open', 'overdue', json('false'),
	    'owner', c.owner, 'first_responder', c.first_responder, 'category', c.category,
	    'severity', c.severity, 'channel', c.channel, 'description', c.description,
	    'logged_at', strftime('%Y-%m-%dT%H:%M:%SZ', c.logged_at, 'unixepoch'),
	    'follow_up_due', strftime('%Y-%m-%dT%H:%M:%SZ', c.follow_up_due, 'unixepoch'),
	    'customer', json_object('name', c.customer_name, 'phone', c.customer_phone),
	    'resolution', NULL, 'root_cause', NULL, 'resolved_at', NULL, 'closed_at', NULL,
	    'compensation_fen', 0)), c.logged_at, c.id
	FROM complaints c, (SELECT 'complaint.logged' AS event UNION ALL
	    SELECT 'followup.overdue' UNION ALL SELECT 'followup.recorded') e;
INSERT INTO request_keys (terminal, business_date, request_key, op, fingerprint,
	complaint_id, created_at)
	SELECT 'T01', business_date, 'k' || id, 'complaint.log', lower(hex(randomblob(32))), id,
	    logged_at FROM complaints WHERE channel != 'survey';
COMMIT;
SQL
say "closed=$(q "SELECT count(*) FROM complaints WHERE state = 'closed'")" \
    "with_customer=$(q "SELECT count(*) FROM complaints WHERE customer_name IS NOT NULL OR customer_phone IS NOT NULL")" \
    "survey_reasons=$(q "SELECT count(*) FROM surveys WHERE reason IS NOT NULL")" \
    "outbox=$(q "SELECT count(*) FROM outbox")" db_bytes=$(stat -c %s "$work/year.db")
sync

# 3 and 4. The real clock: the start-up run comes a minute after start.
"$BUILD/branchqd" --config "$work/bench.json" --db "$work/year.db" \
    --listen "127.0.0.1:$PORT" --http off --verbose >"$work/daemon.log" 2>&1 &
server=$!
say "$($PY "$work/pinger.py" "$PORT" "$work/daemon.log")"
grep 'event=retention ' "$work/daemon.log" | sed 's/^.*event=/event=/' | tee -a "$OUT"
grep 'event=retention_batch' "$work/daemon.log" | sed 's/.* ms=//' | sort -n | awk '
	{ v[NR] = $1; s += $1 }
	END { if (NR) printf "batches=%d batch_ms_min=%.2f batch_ms_median=%.2f " \
	    "batch_ms_p90=%.2f batch_ms_max=%.2f batch_ms_total=%.0f\n", NR, v[1],
	    v[int((NR + 1) / 2)], v[int(NR * 0.9 + 0.5)], v[NR], s }' | tee -a "$OUT"
grep 'event=retention_commit' "$work/daemon.log" | sed 's/.* ms=//' | sort -n | awk '
	{ v[NR] = $1 }
	END { if (NR) printf "commits=%d batch_with_commit_ms_median=%.2f " \
	    "batch_with_commit_ms_p90=%.2f batch_with_commit_ms_max=%.2f\n", NR,
	    v[int((NR + 1) / 2)], v[int(NR * 0.9 + 0.5)], v[NR] }' | tee -a "$OUT"
say "left_with_customer=$(q "SELECT count(*) FROM complaints WHERE state = 'closed' AND (customer_name IS NOT NULL OR customer_phone IS NOT NULL)")" \
    "left_reasons=$(q "SELECT count(*) FROM surveys s WHERE reason IS NOT NULL AND (complaint_id IS NULL OR (SELECT state FROM complaints c WHERE c.id = s.complaint_id) = 'closed')")"
kill "$server"; wait "$server" 2>/dev/null || true; server=""
