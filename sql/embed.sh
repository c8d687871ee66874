#!/bin/sh
# Turns sql/NNN_name.sql files into C initialisers for src/migrations.c:
#   { NNN, "NNN_name", "…escaped SQL…" },
set -eu
for f in "$@"; do
	base=$(basename "$f" .sql)
	ver=$(printf '%s' "$base" | sed 's/^0*\([0-9][0-9]*\)_.*/\1/')
	printf '{ %s, "%s",\n' "$ver" "$base"
	sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' -e 's/^/"/' -e 's/$/\\n"/' "$f"
	printf '},\n'
done
