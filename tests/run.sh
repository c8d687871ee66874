#!/bin/sh
# Runs test binaries (cmocka), then prints one closing line: "N passed, N failed".
# Each binary's own output is shown; a binary that crashes counts as a failure.
set -u
passed=0
failed=0
crashed=""
for t in "$@"; do
	out=$(mktemp)
	"$t" >"$out" 2>&1
	rc=$?
	cat "$out"
	p=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) test(s)\./\1/p' "$out" | tail -n 1)
	f=$(sed -n 's/^\[  FAILED  \] \([0-9]*\) test(s), listed below:/\1/p' "$out" | tail -n 1)
	passed=$((passed + ${p:-0}))
	failed=$((failed + ${f:-0}))
	if [ "$rc" -ne 0 ] && [ -z "$f" ]; then
		failed=$((failed + 1))
		crashed="$crashed $(basename "$t")(exit $rc)"
	fi
	rm -f "$out"
done
[ -z "$crashed" ] || echo "crashed:$crashed"
echo "tests: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
