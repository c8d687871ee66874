#!/bin/sh
# Runs test binaries (cmocka) and shows each one's output; then the names of
# the tests that failed, each after its binary's name ("failed: e2e_x
# test_y"; a binary that exits non-zero with no failed test named crashed:
# "failed: e2e_x (crashed, exit N)"), and as the very last line
# "tests: N passed, N failed" (CI reads it).
set -u
passed=0
failed=0
names=$(mktemp)
trap 'rm -f "$names"' EXIT
for t in "$@"; do
	out=$(mktemp)
	"$t" >"$out" 2>&1
	rc=$?
	cat "$out"
	bin=$(basename "$t")
	p=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) test(s)\./\1/p' "$out" | tail -n 1)
	# A failed test shows "[  FAILED  ] name" (twice: as it runs and in the
	# summary); a test whose setup or teardown failed, "[  ERROR   ] name",
	# and cmocka leaves it out of its "N test(s), listed below" count.
	bad=$(sed -n -e '/^\[  FAILED  \] [0-9]* test(s), listed below:$/d' \
	    -e 's/^\[  FAILED  \] \(.*\)$/\1/p' \
	    -e '/^\[  ERROR   \] --- /d' -e 's/^\[  ERROR   \] \(.*\)$/\1 (setup or teardown)/p' \
	    "$out" | awk '!seen[$0]++')
	n=0
	if [ -n "$bad" ]; then
		n=$(printf '%s\n' "$bad" | awk 'END { print NR }')
		printf '%s\n' "$bad" | sed "s/^/failed: $bin /" >>"$names"
	fi
	passed=$((passed + ${p:-0}))
	failed=$((failed + n))
	# Non-zero with no test named, or no summary: the binary itself failed.
	if [ "$rc" -ne 0 ] && { [ "$n" -eq 0 ] || ! grep -q '^\[==========\] [0-9]* test(s) run\.$' "$out"; }; then
		failed=$((failed + 1))
		echo "failed: $bin (crashed, exit $rc)" >>"$names"
	fi
	rm -f "$out"
done
if [ -s "$names" ]; then
	echo
	cat "$names"
fi
echo "tests: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
