#!/bin/sh
# Makes tests/upgrade/schema-NNN.sql: the database that branchqd as it
# shipped with schema version V wrote over one business day.
#
#   tests/upgrade/make-fixture.sh V COMMIT
#
# Run from the top of the repository.  It builds that commit's daemon in a
# worktree of its own (/tmp/bq-upgrade-wt-V, build in /tmp/bq-upgrade-build-V:
# branchqd-test where the tree had it, else branchqd, which then still had
# --test-clock), drives the day through it with tests/upgrade/drive.py (the
# daemon's own protocol: its ops as they were), stops it with SIGTERM (its
# clean stop folds the WAL into the file), and dumps the database to text.
# day.json beside the dump is what the daemon answered (its report.summary
# of the day among it): schema-NNN.day.json.
set -eu
[ $# -eq 2 ] || { echo "usage: $0 V COMMIT" >&2; exit 2; }
v=$1 commit=$2
nnn=$(printf '%03d' "$v")
top=$(pwd)
wt=/tmp/bq-upgrade-wt-$v
build=/tmp/bq-upgrade-build-$v
work=$(mktemp -d /tmp/bq-upgrade-day-XXXXXX)

[ -d "$wt" ] || git worktree add -q --detach "$wt" "$commit"
[ "$(git -C "$wt" rev-parse HEAD)" = "$(git rev-parse "$commit^{commit}")" ] ||
	{ echo "$wt is not at $commit" >&2; exit 1; }
newest=$(git -C "$wt" ls-tree --name-only HEAD sql/ | sed -n 's|^sql/0*\([0-9][0-9]*\)_.*\.sql$|\1|p' |
	sort -n | tail -1)
[ "$newest" = "$v" ] || { echo "$commit's newest migration is $newest, not $v" >&2; exit 1; }
if git -C "$wt" show HEAD:Makefile | grep -q 'branchqd-test:'; then
	bin=$build/branchqd-test
else
	bin=$build/branchqd
fi
(cd "$wt" && make -j2 BUILD="$build" "$bin")

/usr/bin/python3 "$top/tests/upgrade/drive.py" "$v" "$bin" "$work"
# A clean stop leaves no WAL behind (or an empty one): all is in the file.
if [ -s "$work/branchq.db-wal" ]; then
	echo "$work/branchq.db-wal is not empty after the daemon stopped" >&2
	exit 1
fi
[ "$(sqlite3 "$work/branchq.db" 'PRAGMA integrity_check')" = ok ]
[ "$(sqlite3 "$work/branchq.db" 'SELECT max(version) FROM schema_migrations')" = "$v" ]
{
	echo "-- branchqd schema $nnn, written by commit $(git rev-parse --short=12 "$commit")"
	echo "-- (tests/upgrade/make-fixture.sh $v $commit; see tests/upgrade/README.md)"
	sqlite3 "$work/branchq.db" .dump
	echo "PRAGMA user_version = $(sqlite3 "$work/branchq.db" 'PRAGMA user_version');"
} > "$top/tests/upgrade/schema-$nnn.sql"
cp "$work/day.json" "$top/tests/upgrade/schema-$nnn.day.json"
rm -rf "$work"
echo "tests/upgrade/schema-$nnn.sql: $(wc -c < "$top/tests/upgrade/schema-$nnn.sql") bytes"
