# Sourced by the load benchmarks (load.sh, profile.sh, ab.sh), which set
# BENCH_NAME and PORT first:
#   - $work, a temporary directory with the benchmark's configuration
#     (config.sh) in $work/bench.json, removed at exit once the server in
#     $server is stopped;
#   - start_daemon COMMAND...: COMMAND (build/branchqd, another build, or
#     a wrapper and the daemon) on a fresh database in $work, waited for;
#     with $HTTP_PORT set, its HTTP listener on that port (--http);
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
	"$@" --config "$work/bench.json" --db "$work/db" --listen "127.0.0.1:$PORT" \
	    ${HTTP_PORT:+--http "127.0.0.1:$HTTP_PORT"} 2>>"$work/daemon.log" &
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
