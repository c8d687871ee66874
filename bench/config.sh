#!/bin/sh
# The configuration the load benchmark and the profile run the daemon with,
# on stdout: kiosk K01, display D01, tellers T01..T99 (E1001..E1099),
# supervisor S01 (E9001).  Every terminal's token is "bench".
# $BENCH_CONFIG_EXTRA, if set, is JSON members added to the top level
# (bench/http.sh: "http_max_streams":1100).
set -eu

hash=$(printf %s bench | sha256sum | cut -d' ' -f1)
printf '{"branch":"BENCH",%s"terminals":[\n' "${BENCH_CONFIG_EXTRA:+$BENCH_CONFIG_EXTRA,}"
printf '{"id":"K01","role":"kiosk","token_sha256":"%s"},\n' "$hash"
printf '{"id":"D01","role":"display","token_sha256":"%s"},\n' "$hash"
i=1
while [ $i -le 99 ]; do
	printf '{"id":"T%02d","role":"teller","staff":"E1%03d","token_sha256":"%s"},\n' \
	    $i $i "$hash"
	i=$((i + 1))
done
printf '{"id":"S01","role":"supervisor","staff":"E9001","token_sha256":"%s"}]}\n' "$hash"
