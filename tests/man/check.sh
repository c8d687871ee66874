#!/bin/sh
# The manual pages (docs/man) against mandoc and against the programs:
#  1. mandoc -Tlint finds nothing at -Wwarning, and at -Wstyle nothing but
#     cross-references to our own pages, which are not installed here;
#  2. the long options of `branchqd --help` and `branchq --help` are those of
#     branchqd.8 and branchq.1 (SYNOPSIS and OPTIONS), and the client's
#     commands (watch, report KIND, shell) those of branchq.1's SYNOPSIS;
#     every option in branchqd.8's SYNOPSIS has its entry in OPTIONS;
#  3. the keys src/config.c accepts (top_keys and the keys of the objects
#     inside) are the keys branchq.json.5 lists under KEYS, and no others.
# Prints each disagreement on a line of its own, and last
# "man: N passed, N failed" (one check per numbered item and page).
#
# tests/man/pending lists what the pages document before the programs have
# it (work merged separately): such an item is reported, not failed, while
# the program lacks it, and fails once the program has it, so that the
# line is removed from the list.
set -u
BUILD=${BUILD:-build}
here=$(dirname "$0")
top=$here/../..
man=$top/docs/man
pending=$here/pending
passed=0
failed=0

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

ok() { passed=$((passed + 1)); }
bad() { failed=$((failed + 1)); }

if ! command -v mandoc >/dev/null 2>&1; then
	echo "man: mandoc is not installed (apt-get install mandoc)"
	echo "man: 0 passed, 1 failed"
	exit 1
fi

# ---- 1. mandoc -Tlint ----
for page in "$man"/branchqd.8 "$man"/branchq.1 "$man"/branchq.json.5; do
	name=$(basename "$page")
	# "referenced manual not found" for our pages, and mandoc's notes about
	# the system's own database, say nothing about the page.
	mandoc -Tlint -Wstyle "$page" 2>&1 |
	    grep -v -e 'STYLE: referenced manual not found: Xr branchq' \
	    -e 'mandoc\.db' >"$tmp/lint"
	if [ -s "$tmp/lint" ]; then
		echo "man: $name: mandoc -Tlint:"
		sed 's/^/  /' "$tmp/lint"
		bad
	else
		ok
	fi
done

# ---- helpers ----

# Long options of a --help text: those of the usage lines (up to the first
# line that neither starts "usage:" nor is indented) and those that start an
# indented line of an option list ("  --name ...").  Options named in prose
# (the client's help says "a daemon started with --tls-cert") are not its own.
# And --help itself, which printed the text (branchqd's usage leaves it out).
help_options() {
	awk '
	BEGIN { print "--help" }
	NR == 1 || (inusage && /^[ \t]/) {
		inusage = 1
		s = $0
		while (match(s, /--[a-z][a-z-]*/)) {
			print substr(s, RSTART, RLENGTH)
			s = substr(s, RSTART + RLENGTH)
		}
		next
	}
	{ inusage = 0 }
	/^  --[a-z]/ { print $1 }
	' | sort -u
}

# The long options ("Fl -name", as --name) of the SYNOPSIS, and with $2
# "OPTIONS" also those that an OPTIONS list describes (".It Fl -name";
# not those named in its prose, as the client's "a daemon started with
# --tls-cert").
page_options() {
	awk -v want="$2" '
	/^\.Sh / { sec = $2; next }
	sec == "SYNOPSIS" || (sec == want && /^\.It /) {
		for (i = 1; i < NF; i++)
			if ($i == "Fl" || $i == ".Fl")
				if ($(i + 1) ~ /^-[a-z][a-z-]*$/)
					print "-" $(i + 1)
	}
	' "$1" | sort -u
}

# The options an OPTIONS list describes: ".It Fl -name".
page_items() {
	awk '
	/^\.Sh / { sec = $2; next }
	sec == "OPTIONS" && /^\.It Fl -[a-z]/ { print "-" $3 }
	' "$1" | sort -u
}

# Lines of $2 not in $3 (both sorted), each printed as "man: $1 WORD";
# an item of tests/man/pending for program $4 is reported, not failed.
# Returns 1 when any is left.
differ() {
	rc=0
	for w in $(comm -23 "$2" "$3"); do
		if [ -n "${4:-}" ] && grep -qx "$4 $w" "$pending" 2>/dev/null; then
			echo "man: pending: $4 $w: documented, not yet in $4 --help (tests/man/pending)"
			continue
		fi
		echo "man: $1 $w"
		rc=1
	done
	return $rc
}

# A pending item the program now has: take it off the list.
stale() {
	rc=0
	[ -f "$pending" ] || return 0
	while read -r prog w; do
		[ "$prog" = "$1" ] || continue
		if grep -qx -- "$w" "$2"; then
			echo "man: tests/man/pending: $prog $w is in $prog --help now; remove the line"
			rc=1
		fi
	done <"$pending"
	return $rc
}

# ---- 2. --help and the pages ----

# branchqd
if ! "$BUILD/branchqd" --help >"$tmp/d.help" 2>&1; then
	echo "man: $BUILD/branchqd --help failed (build it first)"
	bad
else
	help_options <"$tmp/d.help" >"$tmp/d.h"
	page_options "$man/branchqd.8" OPTIONS >"$tmp/d.m"
	page_options "$man/branchqd.8" "" >"$tmp/d.syn"
	page_items "$man/branchqd.8" >"$tmp/d.it"
	r=0
	differ "branchqd.8 lacks (in SYNOPSIS or OPTIONS), branchqd --help has:" \
	    "$tmp/d.h" "$tmp/d.m" || r=1
	differ "branchqd.8 has, branchqd --help lacks:" \
	    "$tmp/d.m" "$tmp/d.h" branchqd || r=1
	differ "branchqd.8: in SYNOPSIS, no .It in OPTIONS:" \
	    "$tmp/d.syn" "$tmp/d.it" || r=1
	differ "branchqd.8: an .It in OPTIONS, not in SYNOPSIS:" \
	    "$tmp/d.it" "$tmp/d.syn" || r=1
	stale branchqd "$tmp/d.h" || r=1
	if [ $r -eq 0 ]; then ok; else bad; fi
fi

# branchq: options, then the commands of the usage lines
if ! "$BUILD/branchq" --help >"$tmp/c.help" 2>&1; then
	echo "man: $BUILD/branchq --help failed (build it first)"
	bad
else
	help_options <"$tmp/c.help" >"$tmp/c.h"
	page_options "$man/branchq.1" OPTIONS >"$tmp/c.m"
	# "branchq [options] watch", "... report followups", "branchq token":
	# the lower-case word after branchq or [options] (OP is a
	# placeholder), and the kind after report.
	# Only the usage lines: the examples say "branchq ping".
	awk 'NR == 1 || (u && /^[ \t]/) { u = 1; print; next } { u = 0 }' \
	    "$tmp/c.help" |
	sed -n 's/^ *\(usage: \)\{0,1\}branchq \(\[options\] \)\{0,1\}\([a-z][a-z]*\)\( \([a-z][a-z]*\)\)\{0,1\}.*/\3 \5/p' |
	    tr ' ' '\n' | sed '/^$/d' | sort -u >"$tmp/c.hc"
	# ".Cm watch", ".Cm report followups" in the SYNOPSIS.
	awk '/^\.Sh / { sec = $2; next }
	    sec == "SYNOPSIS" && /^\.Cm / { for (i = 2; i <= NF; i++) print $i }' \
	    "$man/branchq.1" | sort -u >"$tmp/c.mc"
	r=0
	differ "branchq.1 lacks (in SYNOPSIS or OPTIONS), branchq --help has:" \
	    "$tmp/c.h" "$tmp/c.m" || r=1
	differ "branchq.1 has, branchq --help lacks:" \
	    "$tmp/c.m" "$tmp/c.h" branchq || r=1
	differ "branchq.1 lacks (a .Cm in SYNOPSIS), branchq --help's usage has the command:" \
	    "$tmp/c.hc" "$tmp/c.mc" || r=1
	differ "branchq.1 has the command, branchq --help's usage lacks:" \
	    "$tmp/c.mc" "$tmp/c.hc" branchq || r=1
	cat "$tmp/c.h" "$tmp/c.hc" >"$tmp/c.all"
	stale branchq "$tmp/c.all" || r=1
	if [ $r -eq 0 ]; then ok; else bad; fi
fi

# ---- 3. config.c's keys and branchq.json.5 ----

# The strings of "static const char *const NAME[] = { ... };".
c_list() {
	awk -v name="$1" '
	index($0, "*const " name "[] = {") { on = 1; next }
	on && /};/ { exit }
	on {
		s = $0
		while (match(s, /"[^"]*"/)) {
			print substr(s, RSTART + 1, RLENGTH - 2)
			s = substr(s, RSTART + RLENGTH)
		}
	}
	' "$top/src/config.c" | sort -u
}

# ".It Ic KEY" at the first level of the list under KEYS ($1 empty), or in
# the list nested under the first-level item $1.
page_keys() {
	awk -v parent="$1" '
	/^\.Sh / { sec = $2; next }
	sec != "KEYS" { next }
	/^\.Bl/ { depth++; next }
	/^\.El/ { depth--; next }
	/^\.It Ic / {
		if (depth == 1) {
			cur = $3
			if (parent == "")
				print $3
		} else if (depth == 2 && parent != "" && cur == parent)
			print $3
	}
	' "$man/branchq.json.5" | sort -u
}

r=0
for pair in ":top_keys" "thresholds_fen:threshold_keys" \
    "authority_fen:authority_keys" "terminals:terminal_keys" \
    "webhooks:webhook_keys" "hq:hq_keys"; do
	parent=${pair%%:*}
	list=${pair#*:}
	c_list "$list" >"$tmp/k.c"
	page_keys "$parent" >"$tmp/k.m"
	if [ ! -s "$tmp/k.c" ]; then
		echo "man: src/config.c: no $list found (has it been renamed?)"
		r=1
		continue
	fi
	where=${parent:-the top level}
	differ "branchq.json.5 lacks a key of $where that config.c ($list) accepts:" \
	    "$tmp/k.c" "$tmp/k.m" || r=1
	differ "branchq.json.5 lists a key of $where that config.c ($list) does not accept:" \
	    "$tmp/k.m" "$tmp/k.c" || r=1
done
if [ $r -eq 0 ]; then ok; else bad; fi

echo "man: $passed passed, $failed failed"
[ $failed -eq 0 ]
