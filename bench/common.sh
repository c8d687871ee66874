# Sourced by the load benchmarks (load.sh, profile.sh, ab.sh), which set
# BENCH_NAME and PORT first:
#   - $work, a temporary directory with the benchmark's configuration
#     (config.sh) in $work/bench.json, removed at exit once the server in
#     $server is stopped;
#   - start_daemon COMMAND...: COMMAND (build/branchqd, another build, or
#     a wrapper and the daemon) on a fresh database in $work, waited for;
#     its HTTP listener (--http) on $HTTP_PORT, else on a free port (the
#     default, 7421, would clash between runs and with a daemon already
#     there); HTTP_PORT=none passes no --http, for a build from before
#     the listener (bench/ab.sh);
#   - wait_for_log TEXT, stop_server.

work=$(mktemp -d "/tmp/branchq-$BENCH_NAME.XXXXXX")
server=""
cleanup() {
	[ -n "$server" ] && kill "$server" 2>/dev/null && wait "$server" 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT INT TERM
sh "$(dirname "$0")/config.sh" >"$work/bench.json"

start_daemon() {
	rm -f "$work"/db*
	# Emptied here, before the fork: a log the child has not truncated yet
	# would still say "listening on" for the server before it.
	: >"$work/daemon.log"
	http="--http 127.0.0.1:${HTTP_PORT:-0}"
	[ "${HTTP_PORT:-}" = none ] && http=
	# stdout too: the daemon prints where its pages are.
	"$@" --config "$work/bench.json" --db "$work/db" --listen "127.0.0.1:$PORT" \
	    $http >>"$work/daemon.log" 2>&1 &
	server=$!
	wait_for_log "listening on"
}

# Up to 60 s: a daemon under callgrind starts slowly.
wait_for_log() {
	n=0
	while ! grep -q "$1" "$work/daemon.log" 2>/dev/null; do
		n=$((n + 1))
		[ $n -gt 600 ] && { echo "$BENCH_NAME: the server did not start" >&2;
		    cat "$work/daemon.log" >&2; exit 1; }
		sleep 0.1
	done
}

stop_server() {
	kill "$server" 2>/dev/null || true
	wait "$server" 2>/dev/null || true
	server=""
}
