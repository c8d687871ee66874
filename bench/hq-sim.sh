#!/bin/sh
# The head-office benchmark (issue 19; docs/PERFORMANCE.md "Head office"):
# BRANCHES branches' relays (the daemon's own src/hq.c, in bench/hq-sim)
# shipping a day of TICKETS tickets each to one PostgreSQL 15 on this
# machine.
#
#   1. A throwaway cluster (tests/pg/cluster.sh: TLS, fsync on,
#      max_connections BRANCHES + 100), the schema by `branchq hq migrate`
#      into two databases: branchq_hq (the relays) and copybase (COPY);
#      in front of it pgbouncer (POOL > 0), as head office runs it for
#      hundreds of branches: the relays' TLS ends there, transaction
#      pooling, POOL server connections (docs/HEADOFFICE.md "Many branches").
#   2. BRANCHES branch files: branchqd makes one empty database (every
#      migration, the event log's triggers), then bench/gen-year fills a copy
#      per branch with yesterday (Asia/Shanghai) as a busy branch lives it, a
#      seed of its own each, up to now: inserting into the branch's tables
#      fires the real triggers, which write the real payloads to hq_events.
#   3. The limit: the same rows (every branch's hq_events) by one COPY into
#      copybase's hq_events, timed.
#   4. Catch-up: PostgreSQL stopped, hq-sim opens every relay; once every
#      relay has failed DOWN_FAILURES times (its backoff grown to the cap,
#      as after a day down), PostgreSQL starts and hq-sim times until every
#      branch's mark is its last event.
#   5. Bytes per branch-day in PostgreSQL (pg_total_relation_size of every
#      table of the schema), projected to a year of BRANCHES branches.
#   6. The head-office queries, RUNS times each, and EXPLAIN (ANALYZE,
#      BUFFERS) of each (kept in $OUT): the overdue follow-ups across every
#      branch; a month of hq_branch_day for one region.
#   7. Live: hq-sim again, events appended to every branch's file at
#      LIVE_RATE a second per branch (the busiest ten minutes of the
#      generated day are about 0.44 a second) for LIVE_SECONDS, the lag of
#      each from its commit to the relay's acknowledgement; then at
#      LIVE_RATE2 (a compressed day) if LIVE_SECONDS2 > 0.
#
#   sh bench/hq-sim.sh                                   1,000 x 3,000 (about 30 minutes)
#   POOL=0 TIMEOUT=30 sh bench/hq-sim.sh                 the same, every relay straight
#                                to PostgreSQL (one backend each; at 1,000 this
#                                machine ran out of memory: PERFORMANCE.md)
#   BRANCHES=20 TICKETS=300 COMPLAINTS=6 sh bench/hq-sim.sh     (make bench-hq-smoke)
#   TIMEOUT=300 COPY=0 REUSE=DIR sh bench/hq-sim.sh       the relays' timeout_s 300,
#                                no COPY, the branch files of DIR shipped again
#
# Other knobs: BATCH (batch_events), RETRY_MAX (retry_max_s), TIMEOUT
# (timeout_s: at least BRANCHES x BATCH / the ingest rate, the wait of a
# batch at the back of the pool's queue), POOL (pgbouncer's pool), REGIONS,
# LIVE_RATE/LIVE_SECONDS, LIVE_RATE2/LIVE_SECONDS2, RUNS (of each query),
# JOBS (generators at once), NICE=0 (hq-sim at the same priority as
# PostgreSQL), PG_SHARED_BUFFERS, PG_MAX_WAL_SIZE; HQSIM_DEBUG=1 in the
# environment: the relays' debug lines in $work/catchup.err (each relay's
# new longest step, wall and CPU, and which step it was; KEEP=1 to keep them).
#
# Output: key=value lines on stdout and in $OUT (default build/bench/hq.txt),
# the EXPLAIN output in the same file.  CHECK=1 (the smoke run) fails unless
# every event of every branch is in hq_events exactly once, in order, with
# no gap, and COPY loaded the same number of rows.  KEEP=1 keeps the work
# directory (and the cluster, stopped).
set -eu

BUILD=${BUILD:-build}
BRANCHES=${BRANCHES:-1000}
TICKETS=${TICKETS:-3000}
COMPLAINTS=${COMPLAINTS:-60}
REGIONS=${REGIONS:-10}
BATCH=${BATCH:-1000}
RETRY_MAX=${RETRY_MAX:-60}
TIMEOUT=${TIMEOUT:-120}
POOL=${POOL:-8}
COPY=${COPY:-1}
# REUSE=DIR: the branches of an earlier run (DIR/branches/bNNNN.db and
# DIR/source.db, e.g. hard links kept with `ln`), their marks set back to
# 0 so that everything ships again; not generated, not removed.
REUSE=${REUSE:-}
DOWN_FAILURES=${DOWN_FAILURES:-8}
RUNS=${RUNS:-5}
LIVE_RATE=${LIVE_RATE:-0.5}
LIVE_SECONDS=${LIVE_SECONDS:-120}
LIVE_RATE2=${LIVE_RATE2:-5}
LIVE_SECONDS2=${LIVE_SECONDS2:-120}
JOBS=${JOBS:-2}
CHECK=${CHECK:-0}
KEEP=${KEEP:-0}
OUT=${OUT:-$BUILD/bench/hq.txt}
# PostgreSQL's settings for the run (ALTER SYSTEM), beside cluster.sh's.
PG_SHARED_BUFFERS=${PG_SHARED_BUFFERS:-2GB}
PG_MAX_WAL_SIZE=${PG_MAX_WAL_SIZE:-8GB}

PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
here=$(cd "$(dirname "$0")/.." && pwd)

make -s BUILD="$BUILD" all "$BUILD/bench/gen-year" "$BUILD/bench/hq-sim" >/dev/null
mkdir -p "$BUILD/bench"
: >"$OUT"
# Short: the cluster's Unix socket lives in it.
work=$(mktemp -d /tmp/hqsim-XXXXXX)
chmod 0755 "$work"	# nobody (the cluster) goes through it
pg=$work/pg
mkdir "$pg"
sim=""
pooler_stop() {
	[ -f "$work/pgbouncer.pid" ] || return 0
	kill "$(cat "$work/pgbouncer.pid")" 2>/dev/null || true
	n=0
	while [ -f "$work/pgbouncer.pid" ] && [ $n -lt 100 ]; do n=$((n + 1)); sleep 0.1; done
	rm -f "$work/pgbouncer.pid"
}
cleanup() {
	[ -n "$sim" ] && kill "$sim" 2>/dev/null && wait "$sim" 2>/dev/null
	pooler_stop
	if [ "$KEEP" = 1 ]; then
		sh "$here/tests/pg/cluster.sh" halt "$pg" || true
		echo "hq-sim: kept $work" >&2
	else
		sh "$here/tests/pg/cluster.sh" stop "$pg" || true
		rm -rf "$work"
	fi
}
trap cleanup EXIT INT TERM

say() { echo "$*" | tee -a "$OUT"; }
ms() { echo $(( ($(date +%s%N) - $1) / 1000000 )); }

# CPU steal and the machine's load since cpu_mark: the figures below are
# this shared machine's, and these say how shared it was.
cpu_mark() { mark=$(awk '/^cpu / { t = 0; for (i = 2; i <= NF; i++) t += $i; print t, $9, $5 }' /proc/stat); }
cpu_since() {
	awk -v m="$mark" '/^cpu / { t = 0; for (i = 2; i <= NF; i++) t += $i
	    split(m, a, " "); d = t - a[1]
	    printf "steal_pct=%.1f busy_pct=%.1f", (d > 0 ? 100 * ($9 - a[2]) / d : 0),
	    (d > 0 ? 100 * (d - ($5 - a[3]) - ($9 - a[2])) / d : 0) }' /proc/stat
	printf ' loadavg=%s\n' "$(cut -d' ' -f1-3 /proc/loadavg | tr ' ' /)"
}

say "machine cpus=$(nproc) model=\"$(sed -n 's/^model name[^:]*: //p' /proc/cpuinfo | head -1)\" mem_kb=$(sed -n 's/^MemTotal: *\([0-9]*\).*/\1/p' /proc/meminfo) kernel=$(uname -r) postgres=\"$($PGBIN/postgres --version)\" sqlite=$(sqlite3 --version | cut -d' ' -f1)"
say "params branches=$BRANCHES tickets=$TICKETS complaints=$COMPLAINTS regions=$REGIONS batch=$BATCH retry_max_s=$RETRY_MAX timeout_s=$TIMEOUT pool=$POOL live_rate=$LIVE_RATE live_seconds=$LIVE_SECONDS live_rate2=$LIVE_RATE2 live_seconds2=$LIVE_SECONDS2"

# ---- 1. The cluster and the schema ----
maxconn=$((BRANCHES + 100))
port=$(sh "$here/tests/pg/cluster.sh" start "$pg" "$maxconn")
# psql over the cluster's Unix socket (trust, no TLS).
psql_su() { "$PGBIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$pg" -p "$port" -U postgres "$@"; }
psql_su -d postgres -c "ALTER SYSTEM SET shared_buffers = '$PG_SHARED_BUFFERS'" \
    -c "ALTER SYSTEM SET max_wal_size = '$PG_MAX_WAL_SIZE'" \
    -c "ALTER SYSTEM SET checkpoint_timeout = '15min'" \
    -c "CREATE DATABASE branchq_hq" -c "CREATE DATABASE copybase"
sh "$here/tests/pg/cluster.sh" restart "$pg" >/dev/null
local_ci() { echo "host=$pg port=$port user=postgres dbname=$1"; }
"$BUILD/branchq" hq migrate --conninfo "$(local_ci branchq_hq)" >/dev/null
"$BUILD/branchq" hq migrate --conninfo "$(local_ci copybase)" >/dev/null
say "postgres port=$port max_connections=$(psql_su -d branchq_hq -Atc 'SHOW max_connections') shared_buffers=$(psql_su -d branchq_hq -Atc 'SHOW shared_buffers') max_wal_size=$(psql_su -d branchq_hq -Atc 'SHOW max_wal_size') fsync=$(psql_su -d branchq_hq -Atc 'SHOW fsync') synchronous_commit=$(psql_su -d branchq_hq -Atc 'SHOW synchronous_commit') ssl=$(psql_su -d branchq_hq -Atc 'SHOW ssl')"
# The relays over TCP with TLS, the server's name checked, as a branch must:
# to PostgreSQL itself (POOL=0), or to pgbouncer, which holds the same
# certificate and takes the batches to PostgreSQL over its Unix socket,
# POOL at a time (transaction pooling: the relay's statements are single,
# unprepared ones); query_wait_timeout 0, the relays' timeout_s decides.
if [ "$POOL" -gt 0 ]; then
	bport=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
	cat >"$work/pgbouncer.ini" <<EOF
[databases]
branchq_hq = host=$pg port=$port dbname=branchq_hq user=postgres
[pgbouncer]
listen_addr = 127.0.0.1
listen_port = $bport
unix_socket_dir =
auth_type = any
pool_mode = transaction
default_pool_size = $POOL
max_client_conn = $((BRANCHES + 100))
query_wait_timeout = 0
client_tls_sslmode = require
client_tls_cert_file = $pg/server.pem
client_tls_key_file = $pg/server.key
client_tls_ca_file = $pg/ca.pem
logfile = $work/pgbouncer.log
pidfile = $work/pgbouncer.pid
log_connections = 0
log_disconnections = 0
EOF
	chmod 0644 "$work/pgbouncer.ini"
	pooler_start() {
		# As the cluster's owner (pgbouncer will not run as root; setpriv,
		# not runuser, whose PAM session would set the descriptor limit
		# back to 1,024), with a descriptor for every branch and every
		# server connection.
		owner=$(stat -c %U "$pg/server.key")
		touch "$work/pgbouncer.log"
		chown "$owner" "$work/pgbouncer.log" "$work"
		(
			ulimit -n $((BRANCHES * 2 + 200))	# this subshell's only
			if [ "$(id -u)" = 0 ]; then
				setpriv --reuid="$owner" --regid="$(id -g "$owner")" --clear-groups \
				    pgbouncer -d "$work/pgbouncer.ini"
			else
				pgbouncer -d "$work/pgbouncer.ini"
			fi
		)
		n=0
		until [ -f "$work/pgbouncer.pid" ]; do
			n=$((n + 1))
			[ $n -gt 100 ] && { cat "$work/pgbouncer.log" >&2; exit 1; }
			sleep 0.1
		done
	}
	pooler_start
	relay_ci="host=127.0.0.1 port=$bport dbname=branchq_hq user=postgres sslmode=verify-full sslrootcert=$pg/ca.pem"
	say "pooler pgbouncer=\"$(pgbouncer --version | head -1)\" port=$bport pool_mode=transaction default_pool_size=$POOL max_client_conn=$((BRANCHES + 100))"
else
	pooler_start() { :; }
	relay_ci="host=127.0.0.1 port=$port dbname=branchq_hq user=postgres sslmode=verify-full sslrootcert=$pg/ca.pem"
fi

# ---- 2. The branches ----
# branchqd makes the schema once; gen-year fills a copy per branch (JOBS at
# a time).  source.db (seed 1) is what the live phase replays; branch i has
# seed i + 1.
generate() {
	hash=$(printf %s bench | sha256sum | cut -d' ' -f1)
	printf '{"branch":"BENCH","timezone":"Asia/Shanghai","terminals":[{"id":"K01","role":"kiosk","token_sha256":"%s"}]}\n' \
	    "$hash" >"$work/branch.json"
	"$BUILD/branchqd" --config "$work/branch.json" --db "$work/template.db" \
	    --listen 127.0.0.1:0 >"$work/template.log" 2>&1 &
	tpl=$!
	n=0
	until grep -q "listening on" "$work/template.log"; do
		n=$((n + 1))
		[ $n -gt 300 ] && { cat "$work/template.log" >&2; exit 1; }
		sleep 0.1
	done
	kill "$tpl"; wait "$tpl" || true
	mkdir "$work/branches"
	day=$(TZ=Asia/Shanghai date -d yesterday +%F)
	now=$(date -u +%Y-%m-%dT%H:%M:%SZ)
	cpu_mark
	t0=$(date +%s%N)
	export BUILD TICKETS COMPLAINTS day now work
	seq 0 "$BRANCHES" | xargs -P "$JOBS" -I{} sh -c '
		i={}; f=$(printf "%s/branches/b%04d.db" "$work" "$i")
		[ "$i" = 0 ] && f=$work/source.db
		cp "$work/template.db" "$f"
		"$BUILD/bench/gen-year" --db "$f" --tickets "$TICKETS" --complaints "$COMPLAINTS" \
		    --days 1 --start "$day" --now "$now" --seed "$((i + 1))" --quiet >/dev/null'
	events=0
	for f in "$work"/branches/b*.db; do
		events=$((events + $(sqlite3 "$f" 'SELECT count(*) FROM hq_events')))
	done
	say "branches day=$day now=$now files=$BRANCHES events=$events events_per_branch=$((events / BRANCHES)) bytes=$(du -sb "$work/branches" | cut -f1) gen_ms=$(ms "$t0") $(cpu_since)"
	sync
}

reuse() {
	ln -s "$REUSE/branches" "$work/branches"
	ln -s "$REUSE/source.db" "$work/source.db"
	day=$(sqlite3 "$work/branches/b0001.db" 'SELECT min(business_date) FROM tickets')
	events=0
	for f in "$work"/branches/b*.db; do
		events=$((events + $(sqlite3 "$f" "UPDATE hq_relay SET acked_seq = 0, acked_at = NULL;
		    SELECT count(*) FROM hq_events")))
	done
	say "branches reused=$REUSE day=$day files=$BRANCHES events=$events events_per_branch=$((events / BRANCHES)) bytes=$(du -sbL "$work/branches" | cut -f1)"
}

if [ -n "$REUSE" ]; then reuse; else generate; fi

# ---- 3. The limit: COPY of the same rows (COPY=0: not) ----
if [ "$COPY" = 1 ]; then
t0=$(date +%s%N)
i=0
for f in "$work"/branches/b*.db; do
	i=$((i + 1))
	sqlite3 -csv "$f" "SELECT printf('B%04d', $i), seq, strftime('%Y-%m-%d %H:%M:%S+00', at, 'unixepoch'), kind, payload FROM hq_events ORDER BY seq"
done >"$work/copy.csv"
say "copy_export rows=$(wc -l <"$work/copy.csv") bytes=$(stat -c %s "$work/copy.csv") ms=$(ms "$t0")"
sync
cpu_mark
t0=$(date +%s%N)
psql_su -d copybase -c "\\copy hq_events (branch, seq, occurred_at, kind, payload) FROM '$work/copy.csv' WITH (FORMAT csv)"
copy_ms=$(ms "$t0")
rows=$(psql_su -d copybase -Atc 'SELECT count(*) FROM hq_events')
say "copy rows=$rows ms=$copy_ms rows_per_s=$((rows * 1000 / (copy_ms + 1))) bytes=$(psql_su -d copybase -Atc "SELECT sum(pg_total_relation_size(c.oid)) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public' AND c.relkind = 'r' AND c.relname LIKE 'hq_events%'") $(cpu_since)"
[ "$CHECK" = 1 ] && [ "$rows" != "$events" ] && { echo "hq-sim: COPY loaded $rows rows, not $events" >&2; exit 1; }
rm -f "$work/copy.csv"
fi
psql_su -d postgres -c "DROP DATABASE copybase"
psql_su -d branchq_hq -c CHECKPOINT

# Every branch's events at head office exactly once, in order, with no gap,
# up to the file's last (sqlite_sequence: also after pruning).
check_all() {	# label
	vals=""
	i=0
	for f in "$work"/branches/b*.db; do
		i=$((i + 1))
		vals="$vals${vals:+,}('$(printf B%04d $i)', $(sqlite3 "$f" "SELECT seq FROM sqlite_sequence WHERE name = 'hq_events'"))"
	done
	bad=$(psql_su -d branchq_hq -Atc "SELECT count(*) FROM (VALUES $vals) AS f (branch, last)
	    FULL JOIN (SELECT branch, count(*) AS n, count(DISTINCT seq) AS d, min(seq) AS lo,
	    max(seq) AS hi FROM hq_events GROUP BY branch) s USING (branch)
	    WHERE s.n IS DISTINCT FROM s.d OR s.lo IS DISTINCT FROM 1
	    OR s.hi IS DISTINCT FROM s.n OR s.hi IS DISTINCT FROM f.last")
	got=$(psql_su -d branchq_hq -Atc 'SELECT count(*) FROM hq_events')
	say "check_$1 events=$got branches=$i bad_branches=$bad"
	[ "$bad" = 0 ] || { echo "hq-sim: head office does not hold every event exactly once" >&2; exit 1; }
}

# The relays' loop shares two cores with PostgreSQL's thousand backends
# here; a branch's daemon has its machine to itself.  So that a relay's step
# is timed as the relay's work and not as the time a backend held the core,
# hq-sim runs at a higher priority when this runs as root (NICE=0: not).
nice=""
[ "$(id -u)" = 0 ] && [ "${NICE:-1}" != 0 ] && nice="nice -n -10"

# ---- 4. Head office down, then up: the catch-up ----
pooler_stop
sh "$here/tests/pg/cluster.sh" halt "$pg"
$nice "$BUILD/bench/hq-sim" --dir "$work/branches" --branches "$BRANCHES" --conninfo "$relay_ci" \
    --regions "$REGIONS" --batch "$BATCH" --retry-max "$RETRY_MAX" --timeout "$TIMEOUT" \
    --wait-down "$DOWN_FAILURES" >"$work/catchup.txt" 2>"$work/catchup.err" &
sim=$!
until grep -q '^down_ready' "$work/catchup.txt"; do
	kill -0 "$sim" 2>/dev/null || { cat "$work/catchup.err" >&2; exit 1; }
	sleep 1
done
sh "$here/tests/pg/cluster.sh" start "$pg" >/dev/null
pooler_start
cpu_mark
kill -USR1 "$sim"
rc=0; wait "$sim" || rc=$?
sim=""
sed 's/^/catchup: /' "$work/catchup.txt" | tee -a "$OUT"
say "catchup_machine $(cpu_since)"
[ $rc = 0 ] || { tail -n 20 "$work/catchup.err" >&2; exit 1; }

[ "$CHECK" = 1 ] && check_all catchup

# ---- 5. Bytes per branch-day ----
psql_su -d branchq_hq -c 'ANALYZE'
psql_su -d branchq_hq -Atc "SELECT c.relname, pg_total_relation_size(c.oid)
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = 'public' AND c.relkind IN ('r', 'm') ORDER BY 2 DESC" |
    sed 's/^/table: /' | tee -a "$OUT"
bytes=$(psql_su -d branchq_hq -Atc "SELECT sum(pg_total_relation_size(c.oid))
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = 'public' AND c.relkind IN ('r', 'm')")
say "bytes total=$bytes per_branch_day=$((bytes / BRANCHES)) year_1000_branches_gb=$(awk -v b="$bytes" -v n="$BRANCHES" 'BEGIN { printf "%.0f", b / n * 365 * 1000 / 1e9 }') database=$(psql_su -d branchq_hq -Atc "SELECT pg_database_size('branchq_hq')")"

# ---- 6. The head-office queries ----
month=$(echo "$day" | cut -c1-7)
from="$month-01"
to=$(date -d "$from + 1 month - 1 day" +%F)
# The contract's two (the views read the state tables the ingest keeps),
# then two on the month-partitioned tables, where pruning shows: one
# branch's events of a day, one region's tickets of a month.
q_overdue="SELECT * FROM hq_followups WHERE overdue AND state <> 'closed' ORDER BY overdue_s DESC"
q_region="SELECT d.* FROM hq_branch_day d JOIN hq_branches b ON b.branch = d.branch WHERE b.region = 'R01' AND d.business_date BETWEEN '$from' AND '$to' ORDER BY d.branch, d.business_date"
q_events="SELECT kind, count(*) FROM hq_events WHERE branch = 'B0001' AND occurred_at >= '$day 00:00:00+08' AND occurred_at < '$day 00:00:00+08'::timestamptz + interval '1 day' GROUP BY kind"
q_tickets="SELECT t.branch, count(*), count(*) FILTER (WHERE t.status = 'no_show') FROM hq_ticket_state t JOIN hq_branches b ON b.branch = t.branch WHERE b.region = 'R01' AND t.business_date BETWEEN '$from' AND '$to' GROUP BY t.branch"
say "partitions $(psql_su -d branchq_hq -Atc "SELECT string_agg(c.relname || '=' || pg_total_relation_size(c.oid), ' ' ORDER BY c.relname) FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid")"
for q in overdue region events tickets; do
	eval "sql=\$q_$q"
	say "query $q: $sql"
	psql_su -d branchq_hq -c "EXPLAIN (ANALYZE, BUFFERS) $sql" | sed "s/^/explain $q: /" | tee -a "$OUT"
	times=""
	r=0
	while [ $r -lt "$RUNS" ]; do
		t=$(psql_su -d branchq_hq -c '\timing on' -c "$sql" -o /dev/null | sed -n 's/^Time: \([0-9.]*\) ms.*/\1/p')
		times="$times $t"
		r=$((r + 1))
	done
	rows=$(psql_su -d branchq_hq -Atc "SELECT count(*) FROM ($sql) s")
	say "query $q rows=$rows ms=$(echo $times | tr ' ' ,)"
done
# The same through the command line, as head office runs it.
t0=$(date +%s%N)
n=$("$BUILD/branchq" hq followups --status overdue --format csv --conninfo "$(local_ci branchq_hq)" | wc -l)
say "cli followups_overdue lines=$n ms=$(ms "$t0")"
t0=$(date +%s%N)
n=$("$BUILD/branchq" hq summary --from "$from" --to "$to" --region R01 --format csv --conninfo "$(local_ci branchq_hq)" | wc -l)
say "cli summary_region_month lines=$n ms=$(ms "$t0")"

# ---- 7. Live ----
live() {	# rate seconds label
	cpu_mark
	$nice "$BUILD/bench/hq-sim" --dir "$work/branches" --branches "$BRANCHES" --conninfo "$relay_ci" \
	    --regions "$REGIONS" --batch "$BATCH" --retry-max "$RETRY_MAX" --timeout "$TIMEOUT" \
	    --live-rate "$1" --live-seconds "$2" --live-source "$work/source.db" \
	    >"$work/$3.txt" 2>"$work/$3.err" || { cat "$work/$3.txt"; tail -n 20 "$work/$3.err" >&2; exit 1; }
	sed "s/^/$3: /" "$work/$3.txt" | tee -a "$OUT"
	say "${3}_machine $(cpu_since)"
}
[ "$LIVE_SECONDS" -gt 0 ] && live "$LIVE_RATE" "$LIVE_SECONDS" live
[ "$LIVE_SECONDS2" -gt 0 ] && live "$LIVE_RATE2" "$LIVE_SECONDS2" live2
[ "$CHECK" = 1 ] && check_all live
say "done"
