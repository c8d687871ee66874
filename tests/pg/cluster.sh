#!/bin/sh
# A throwaway PostgreSQL 15 cluster for the head-office tests and the bench
# (docs/HEADOFFICE.md): the real server, in a directory the caller made
# (e.g. `mktemp -d`), removed by `stop`.
#
#   sh tests/pg/cluster.sh start DIR [MAX_CONNECTIONS]
#	Makes the cluster on the first start (initdb, a CA and a server
#	certificate), then starts it and prints its TCP port (also in DIR/port).
#	Started again on an existing DIR (after halt or kill) it takes the same
#	port, so clients configured with it find it again.
#   sh tests/pg/cluster.sh halt DIR	pg_ctl stop -m fast; DIR is kept
#   sh tests/pg/cluster.sh kill DIR	pg_ctl stop -m immediate (a crash); DIR is kept
#   sh tests/pg/cluster.sh restart DIR	halt, then start on the same port
#   sh tests/pg/cluster.sh stop DIR	pg_ctl stop -m fast if it runs, then rm -rf DIR
#   sh tests/pg/cluster.sh status DIR	exit 0 when the server runs
#
# What the cluster is:
#   - run as an unprivileged user: when this runs as root, `nobody` (DIR is
#     chowned to it; PostgreSQL refuses to run as root), else the caller;
#   - TLS on: DIR/ca.pem (the CA's certificate, mode 0644: what clients
#     trust, sslrootcert=DIR/ca.pem), DIR/server.pem and DIR/server.key,
#     the server's certificate for DNS:localhost and IP:127.0.0.1, P-256,
#     made with the openssl command line;
#   - listening on 127.0.0.1 (TCP connections must use TLS: hostssl only,
#     unless PG_CLUSTER_PLAIN=1 in the environment at the first start) and
#     on a Unix socket in DIR (host=DIR, no TLS; trust);
#   - superuser `postgres`, trust authentication (a throwaway cluster on
#     loopback); the caller makes its databases (createdb, CREATE DATABASE);
#   - fsync on, as in production (synchronous_commit on); max_connections
#     MAX_CONNECTIONS (default 100; the 1,000-branch bench needs ~1,100);
#   - its log in DIR/log.
#
# PG_CLUSTER_WATCH=PID in the environment of the first start: a watcher in
# the background stops and removes the cluster once that process is gone
# (a test binary killed by a timeout leaves no server behind).
#
# The socket's path is DIR/.s.PGSQL.PORT: DIR must be short (Unix sockets
# take ~107 bytes), e.g. mktemp -d /tmp/hq-XXXXXX.
set -eu

PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}

usage() {
	echo "usage: cluster.sh start DIR [MAX_CONNECTIONS] | halt DIR | kill DIR | restart DIR | stop DIR | status DIR" >&2
	exit 2
}

[ $# -ge 2 ] || usage
verb=$1
dir=$2
[ -d "$dir" ] || { echo "cluster.sh: $dir: no such directory" >&2; exit 2; }
dir=$(cd "$dir" && pwd)

# As root, every PostgreSQL program runs as nobody.
if [ "$(id -u)" -eq 0 ]; then
	as() { runuser -u nobody -- "$@"; }
	owner=nobody
else
	as() { "$@"; }
	owner=""
fi

running() {
	[ -f "$dir/data/postmaster.pid" ] && as "$PGBIN/pg_ctl" -D "$dir/data" status >/dev/null 2>&1
}

# A port nothing listens on now; start() retries if another process takes
# it before the server binds it.
pick_port() {
	while :; do
		p=$(od -An -N2 -tu2 /dev/urandom | tr -d ' ')
		p=$((20000 + p % 40000))
		if command -v ss >/dev/null 2>&1; then
			ss -Hltn "sport = :$p" 2>/dev/null | grep -q . && continue
		fi
		echo "$p"
		return
	done
}

make_pki() {
	(
	cd "$dir"
	umask 077
	openssl ecparam -name prime256v1 -genkey -noout -out ca.key 2>/dev/null
	openssl req -x509 -new -key ca.key -sha256 -days 3 -subj "/CN=branchq test head-office CA" \
	    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
	    -out ca.pem 2>/dev/null
	openssl ecparam -name prime256v1 -genkey -noout -out server.key 2>/dev/null
	openssl req -new -key server.key -subj "/CN=localhost" -out server.csr 2>/dev/null
	printf '%s\n' "subjectAltName=DNS:localhost,IP:127.0.0.1" \
	    "basicConstraints=CA:FALSE" "keyUsage=digitalSignature,keyEncipherment" \
	    "extendedKeyUsage=serverAuth" > server.ext
	openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 \
	    -sha256 -extfile server.ext -out server.pem 2>/dev/null
	rm -f server.csr server.ext ca.srl
	chmod 0644 ca.pem server.pem
	chmod 0600 server.key ca.key
	)
}

init() {
	maxconn=$1
	make_pki
	chmod 0755 "$dir"
	[ -z "$owner" ] || chown -R "$owner" "$dir"
	as "$PGBIN/initdb" -D "$dir/data" -A trust -U postgres -E UTF8 --locale=C -N \
	    >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; exit 1; }
	if [ "${PG_CLUSTER_PLAIN:-0}" = 1 ]; then
		tcp="host"
	else
		tcp="hostssl"
	fi
	as sh -c "cat > '$dir/data/pg_hba.conf'" <<EOF
# cluster.sh: a throwaway cluster on loopback.
local	all	all			trust
$tcp	all	all	127.0.0.1/32	trust
EOF
	as sh -c "cat >> '$dir/data/postgresql.conf'" <<EOF

# cluster.sh
listen_addresses = '127.0.0.1'
unix_socket_directories = '$dir'
max_connections = $maxconn
ssl = on
ssl_cert_file = '$dir/server.pem'
ssl_key_file = '$dir/server.key'
ssl_ca_file = '$dir/ca.pem'
fsync = on
synchronous_commit = on
logging_collector = off
log_min_messages = warning
log_connections = off
EOF
}

start() {
	maxconn=${1:-100}
	case $maxconn in *[!0-9]*|"") usage;; esac
	fresh=0
	[ -d "$dir/data" ] || { init "$maxconn"; fresh=1; }
	if running; then
		cat "$dir/port"
		return
	fi
	tries=0
	while :; do
		if [ -s "$dir/port" ]; then
			port=$(cat "$dir/port")
		else
			port=$(pick_port)
		fi
		# -w: returns once the server accepts connections.
		if as "$PGBIN/pg_ctl" -D "$dir/data" -o "-p $port" -l "$dir/log" -w -t 60 \
		    start >/dev/null 2>&1; then
			break
		fi
		tries=$((tries + 1))
		# Another process took the port first: a fresh one, unless it is
		# the port clients already know (a restart), which we wait for.
		if grep -q "could not bind\|Address already in use" "$dir/log" 2>/dev/null &&
		    [ $tries -lt 20 ]; then
			if [ -s "$dir/port" ] && [ -f "$dir/started" ]; then
				sleep 1
			else
				rm -f "$dir/port"
			fi
			continue
		fi
		echo "cluster.sh: PostgreSQL did not start; $dir/log:" >&2
		tail -n 20 "$dir/log" >&2 || true
		exit 1
	done
	echo "$port" > "$dir/port"
	: > "$dir/started"
	if [ $fresh = 1 ] && [ -n "${PG_CLUSTER_WATCH:-}" ]; then
		watch=$PG_CLUSTER_WATCH
		self=$(cd "$(dirname "$0")" && pwd)/$(basename "$0")
		setsid sh -c "while kill -0 $watch 2>/dev/null; do sleep 1; done;
		    [ -d '$dir' ] && sh '$self' stop '$dir'" </dev/null >/dev/null 2>&1 &
	fi
	echo "$port"
}

halt() {
	if running; then
		as "$PGBIN/pg_ctl" -D "$dir/data" -m "$1" -w -t 60 stop >/dev/null
	fi
}

case $verb in
start)		start "${3:-}";;
halt)		halt fast;;
kill)		halt immediate;;
restart)	halt fast; start;;
status)		running;;
stop)
	halt fast || halt immediate || true
	rm -rf "$dir"
	;;
*)		usage;;
esac
