#!/bin/sh
# The Debian package end to end (issue 18; docs/OPERATIONS.md "Install"):
# `make deb`, lintian (no error), `dpkg -i`, the files, the branchq user, the
# unit (`systemd-analyze verify`, `security --offline`), the installed daemon
# refusing the package's configuration and then serving a copy with
# terminals as the branchq user, `dpkg -r`, `dpkg -P` keeping a database and
# saying so, and a second purge with no database leaving nothing.
#
# Run as root (it installs and purges the package branchq), on a machine
# where that is acceptable (CI): it refuses to start when branchq is
# installed or /etc/branchq or /var/lib/branchq exist, so it never touches a
# real installation, and it removes the branchq user at the end if it was
# not there before.  Ends with the line "deb: N passed, N failed".
set -u

cd "$(dirname "$0")/../.." || exit 2
if [ "$(id -u)" != 0 ]; then
	echo "tests/deb/run.sh: must run as root: it installs, runs, removes and purges" \
	    "the package branchq with dpkg (sudo make check-deb)" >&2
	exit 2
fi
if dpkg-query -W -f='${db:Status-Status}\n' branchq 2>/dev/null | grep -qv '^not-installed$'; then
	echo "tests/deb/run.sh: the package branchq is on this machine" \
	    "($(dpkg-query -W -f='${db:Status-Status}' branchq)): this test would purge it;" \
	    "purge it first (dpkg -P branchq) or run the test elsewhere" >&2
	exit 2
fi
for d in /etc/branchq /var/lib/branchq; do
	if [ -e "$d" ]; then
		echo "tests/deb/run.sh: $d exists: this test would remove it; move it away" \
		    "or run the test elsewhere" >&2
		exit 2
	fi
done

passed=0
failed=0
ok() { passed=$((passed + 1)); echo "ok: $*"; }
bad() { failed=$((failed + 1)); echo "FAIL: $*"; }
check() {	# check "what" command...
	what=$1
	shift
	if "$@"; then ok "$what"; else bad "$what"; fi
}

user_was_there=no
getent passwd branchq >/dev/null && user_was_there=yes
tmp=$(mktemp -d /tmp/bq-deb-XXXXXX)
chmod 0755 "$tmp"
daemon_pid=""
installed=no

cleanup() {
	if [ -n "$daemon_pid" ]; then
		kill -KILL "$daemon_pid" 2>/dev/null
		wait "$daemon_pid" 2>/dev/null
	fi
	if [ "$installed" = yes ]; then
		dpkg -P branchq >/dev/null 2>&1
	fi
	# What this test made: none of it was there before (checked above).
	rm -rf /var/lib/branchq /etc/branchq "$tmp"
	if [ "$user_was_there" = no ]; then
		getent passwd branchq >/dev/null && userdel branchq
		getent group branchq >/dev/null && groupdel branchq
	fi
}
trap cleanup EXIT
trap 'exit 2' INT TERM

finish() {
	echo "deb: $passed passed, $failed failed"
	[ "$failed" -eq 0 ]
	exit $?
}

# ---- build and lint ----
if ! make deb >"$tmp/build.log" 2>&1; then
	tail -n 40 "$tmp/build.log"
	bad "make deb"
	finish
fi
ok "make deb"
deb=build/branchq_$(dpkg-parsechangelog -S Version)_$(dpkg --print-architecture).deb
echo "package: $deb"

lintian --fail-on error "$deb" >"$tmp/lintian.log" 2>&1
rc=$?
grep -v 'running with root privileges' "$tmp/lintian.log"
check "lintian finds no error" [ "$rc" -eq 0 ]

# ---- install ----
# dpkg -i installs no dependency: those that are missing first, from apt.
missing=""
for p in $(dpkg-deb -f "$deb" Depends | tr ',' '\n' | sed 's/|.*//; s/(.*)//; s/ //g'); do
	dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null | grep -q '^installed$' ||
	    missing="$missing $p"
done
if [ -n "$missing" ]; then
	echo "installing the package's dependencies:$missing"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing >/dev/null
fi
if dpkg -i "$deb" >"$tmp/install.log" 2>&1; then
	installed=yes
	ok "dpkg -i"
else
	cat "$tmp/install.log"
	bad "dpkg -i"
	finish
fi

# ---- what it installed ----
for f in /usr/sbin/branchqd /usr/bin/branchq; do
	check "$f is an executable" [ -x "$f" ]
done
check "no branchqd-test in the package" sh -c '! dpkg -L branchq | grep -q branchqd-test'
for m in man8/branchqd.8.gz man1/branchq.1.gz man5/branchq.json.5.gz; do
	check "man page /usr/share/man/$m" [ -f "/usr/share/man/$m" ]
done
unit=""
for u in /lib/systemd/system/branchqd.service /usr/lib/systemd/system/branchqd.service; do
	[ -f "$u" ] && unit=$u && break
done
check "the unit branchqd.service is installed" [ -n "$unit" ]
check "the unit's Documentation= file /usr/share/doc/branchq/OPERATIONS.md.gz" \
    [ -f /usr/share/doc/branchq/OPERATIONS.md.gz ]
check "sysusers.d/branchq.conf" [ -f /usr/lib/sysusers.d/branchq.conf ]
check "tmpfiles.d/branchq.conf" [ -f /usr/lib/tmpfiles.d/branchq.conf ]
conffiles=$(dpkg-query -W -f='${Conffiles}\n' branchq)
is_conffile() { printf '%s\n' "$conffiles" | grep -q "^ *$1 "; }
for c in /etc/branchq/branchq.json /etc/default/branchq; do
	check "$c is a conffile" is_conffile "$c"
done
check "the branchq user is a system user with no login shell" sh -c \
    'getent passwd branchq | awk -F: "\$3 < 1000 && \$7 ~ /nologin|false/ { f = 1 } END { exit !f }"'
check "the branchq group" sh -c 'getent group branchq >/dev/null'
check "/var/lib/branchq: branchq's, 0750" \
    sh -c '[ "$(stat -c "%U:%G %a" /var/lib/branchq)" = "branchq:branchq 750" ]'
check "/var/lib/branchq/backups: branchq's, 0750" \
    sh -c '[ "$(stat -c "%U:%G %a" /var/lib/branchq/backups)" = "branchq:branchq 750" ]'
check "/etc/branchq/branchq.json: root:branchq, 0640" \
    sh -c '[ "$(stat -c "%U:%G %a" /etc/branchq/branchq.json)" = "root:branchq 640" ]'

# ---- the unit ----
if [ -n "$unit" ]; then
	# --man=no: the man pages are checked above; man-db need not be installed.
	systemd-analyze verify --man=no "$unit" >"$tmp/verify.log" 2>&1
	rc=$?
	cat "$tmp/verify.log"
	check "systemd-analyze verify $unit (and no warning)" \
	    sh -c "[ $rc -eq 0 ] && ! grep -q . '$tmp/verify.log'"
	systemd-analyze security --offline=true "$unit" >"$tmp/security.log" 2>&1
	score=$(sed -n 's/^→ Overall exposure level for branchqd.service: \([0-9.]*\) .*/\1/p' \
	    "$tmp/security.log")
	grep '^→ Overall' "$tmp/security.log"
	# docs/OPERATIONS.md ("systemd") gives the score; a change of the unit
	# that weakens it past 2.0 fails here.
	check "systemd-analyze security --offline=true: exposure $score, at most 2.0" \
	    awk -v s="$score" 'BEGIN { exit !(s != "" && s + 0 <= 2.0) }'
fi

# ---- the installed daemon ----
# The package's configuration has no terminals: it must refuse (2), naming them.
setpriv --reuid=branchq --regid=branchq --init-groups -- /usr/sbin/branchqd \
    --config /etc/branchq/branchq.json --db "$tmp/refused.db" \
    --listen 127.0.0.1:0 --http 127.0.0.1:0 >"$tmp/refuse.log" 2>&1
rc=$?
cat "$tmp/refuse.log"
check "the package's configuration: the daemon refuses (exit $rc, want 2)" [ "$rc" -eq 2 ]
check "the refusal names terminals" grep -q terminals "$tmp/refuse.log"

# A copy with terminals, run as branchq on /var/lib/branchq (where the unit
# keeps the database): the user may write there, and it serves.
token=$(od -An -N32 -tx1 /dev/urandom | tr -d ' \n')
hash=$(printf '%s' "$token" | sha256sum | cut -d' ' -f1)
sed "s/\"terminals\": \[\]/\"terminals\": [{\"id\": \"S01\", \"role\": \"supervisor\", \"staff\": \"E9001\", \"token_sha256\": \"$hash\"}]/" \
    /etc/branchq/branchq.json >"$tmp/branchq.json"
chgrp branchq "$tmp/branchq.json"
chmod 0640 "$tmp/branchq.json"
check "the copy has a terminal" grep -q "$hash" "$tmp/branchq.json"
# The unit's own command line (ExecStart), but for the addresses and the file.
setpriv --reuid=branchq --regid=branchq --init-groups -- /usr/sbin/branchqd \
    --config "$tmp/branchq.json" --db /var/lib/branchq/branchq.db \
    --backup-dir /var/lib/branchq/backups \
    --listen 127.0.0.1:0 --http 127.0.0.1:0 >"$tmp/daemon.log" 2>&1 &
daemon_pid=$!
port=""
http=""
i=0
while [ $i -lt 300 ] && kill -0 "$daemon_pid" 2>/dev/null; do
	port=$(sed -n 's/.*listening on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$tmp/daemon.log" | head -n 1)
	[ -n "$port" ] && break
	sleep 0.1
	i=$((i + 1))
done
http=$(sed -n 's|^The pages: http://127\.0\.0\.1:\([0-9]*\)/.*|\1|p' "$tmp/daemon.log" | head -n 1)
if [ -z "$port" ] || [ -z "$http" ]; then
	cat "$tmp/daemon.log"
	bad "the installed daemon starts on the copy (no \"listening on\" and \"The pages:\")"
else
	ok "the installed daemon starts on the copy: line protocol $port, HTTP $http"
	/usr/bin/branchq --connect "127.0.0.1:$port" --terminal S01 --token "$token" --json \
	    queue.snapshot >"$tmp/snapshot.log" 2>&1
	rc=$?
	cat "$tmp/snapshot.log"
	check "branchq queue.snapshot as S01 answers ok" \
	    sh -c "[ $rc -eq 0 ] && grep -q '\"ok\":true' '$tmp/snapshot.log'"
	code=$(python3 -c 'import sys, urllib.request
print(urllib.request.urlopen("http://127.0.0.1:%s/healthz" % sys.argv[1], timeout=10).status)' \
	    "$http" 2>&1)
	check "GET /healthz: $code" [ "$code" = 200 ]
	check "the database is branchq's" \
	    sh -c '[ "$(stat -c %U /var/lib/branchq/branchq.db)" = branchq ]'
	/usr/bin/branchq --connect "127.0.0.1:$port" --terminal S01 --token "$token" --json \
	    --timeout 0 backup >"$tmp/backup.log" 2>&1
	rc=$?
	cat "$tmp/backup.log"
	check "a backup into /var/lib/branchq/backups" \
	    sh -c "[ $rc -eq 0 ] && grep -q '\"integrity\":\"ok\"' '$tmp/backup.log' && ls /var/lib/branchq/backups/branchq-*-ondemand.db"
	cat >"$tmp/metrics.py" <<'PY'
import re, sys, urllib.request
req = urllib.request.Request("http://127.0.0.1:%s/metrics" % sys.argv[1],
    headers={"Authorization": "Bearer S01:" + sys.argv[2]})
body = urllib.request.urlopen(req, timeout=10).read().decode()
m = re.search(r"\nbranchq_backup_last_success_timestamp_seconds (\d+)\n", body)
sys.exit(0 if m and int(m.group(1)) > 0 and
    "\nbranchq_backup_failures_total 0\n" in body else 1)
PY
	check "GET /metrics as S01: the backup counted, no failure" \
	    python3 "$tmp/metrics.py" "$http" "$token"
fi
kill -TERM "$daemon_pid" 2>/dev/null
wait "$daemon_pid"
rc=$?
daemon_pid=""
check "SIGTERM: the daemon exits 0 (got $rc)" [ "$rc" -eq 0 ]

# ---- remove, purge ----
files=$(dpkg -L branchq | while read -r f; do [ -f "$f" ] && echo "$f"; done)
check "dpkg -r" sh -c "dpkg -r branchq >'$tmp/remove.log' 2>&1 || { cat '$tmp/remove.log'; false; }"
check "after dpkg -r: no /usr/sbin/branchqd" [ ! -e /usr/sbin/branchqd ]
check "after dpkg -r: the configuration stays" [ -f /etc/branchq/branchq.json ]
check "after dpkg -r: the database stays" [ -f /var/lib/branchq/branchq.db ]
dpkg -P branchq >"$tmp/purge.log" 2>&1
rc=$?
installed=no
cat "$tmp/purge.log"
check "dpkg -P" [ "$rc" -eq 0 ]
check "purge says it kept the database" \
    grep -q 'kept /var/lib/branchq.*/var/lib/branchq/branchq\.db' "$tmp/purge.log"
check "after dpkg -P: the database is kept" [ -f /var/lib/branchq/branchq.db ]
check "after dpkg -P: no /etc/branchq" [ ! -e /etc/branchq ]
check "after dpkg -P: no /etc/default/branchq" [ ! -e /etc/default/branchq ]
left=""
for f in $files; do
	[ -e "$f" ] && left="$left $f"
done
check "after dpkg -P: none of the package's files is left${left:+ (left:$left)}" [ -z "$left" ]
check "after dpkg -P: dpkg knows branchq as not installed" \
    sh -c "! dpkg-query -W -f='\${db:Status-Status}\n' branchq 2>/dev/null | grep -qv '^not-installed\$'"

# Without a database, purge leaves nothing at all.
rm -rf /var/lib/branchq
if dpkg -i "$deb" >"$tmp/install2.log" 2>&1; then
	installed=yes
	dpkg -P branchq >"$tmp/purge2.log" 2>&1
	rc=$?
	installed=no
	cat "$tmp/purge2.log"
	check "second install, purge with no database" [ "$rc" -eq 0 ]
	check "after it: no /var/lib/branchq" [ ! -e /var/lib/branchq ]
	check "after it: no /etc/branchq" [ ! -e /etc/branchq ]
	check "after it: no 'kept' message" sh -c "! grep -q kept '$tmp/purge2.log'"
else
	cat "$tmp/install2.log"
	bad "second dpkg -i"
fi
finish
