/* The reports' arithmetic: exact duration statistics for report.summary
 * (the counting path and the sorting path against a brute-force nearest
 * rank, at every size and shape that chooses one or the other), and the
 * days and half hours of a grouped summary on the branch's local clock. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "branchq.h"

/* The definition, slowly: the smallest value with at least p% of the values
 * at or below it. */
static int64_t
brute_rank(const int64_t *v, size_t n, int p)
{
	int64_t	best = -1;
	size_t	j, k, le;

	for (j = 0; j < n; j++) {
		for (le = 0, k = 0; k < n; k++)
			le += v[k] <= v[j];
		if (le * 100 >= (size_t)p * n && (best < 0 || v[j] < best))
			best = v[j];
	}
	return best;
}

static void
check(const int64_t *in, size_t n, int64_t target)
{
	struct duration_stats	 st;
	int64_t			*v = malloc((n ? n : 1) * sizeof *v), *c = malloc((n ? n : 1) * sizeof *c);
	int64_t			 sum = 0, max = 0, within = 0;
	size_t			 i;

	for (i = 0; i < n; i++) {
		c[i] = in[i] < 0 ? 0 : in[i];
		sum += c[i];
		max = c[i] > max ? c[i] : max;
		within += target >= 0 && c[i] <= target;
	}
	memcpy(v, in, n * sizeof *v);
	duration_stats_of(v, n, target, &st);
	assert_int_equal(st.ds_count, (int64_t)n);
	if (n == 0) {
		assert_int_equal(st.ds_p50, 0);
		assert_int_equal(st.ds_max, 0);
	} else {
		assert_int_equal(st.ds_mean, (sum + (int64_t)n / 2) / (int64_t)n);
		assert_int_equal(st.ds_max, max);
		assert_int_equal(st.ds_p50, brute_rank(c, n, 50));
		assert_int_equal(st.ds_p90, brute_rank(c, n, 90));
		assert_int_equal(st.ds_within, within);
	}
	free(v);
	free(c);
}

static void
test_known_values(void **state)
{
	/* 60, 120, ..., 600: p50 300 (rank 5), p90 540 (rank 9). */
	int64_t			v[10];
	struct duration_stats	st;
	int			i;

	(void)state;
	for (i = 0; i < 10; i++)
		v[i] = 60 * (10 - i);
	duration_stats_of(v, 10, 300, &st);
	assert_int_equal(st.ds_p50, 300);
	assert_int_equal(st.ds_p90, 540);
	assert_int_equal(st.ds_max, 600);
	assert_int_equal(st.ds_mean, 330);
	assert_int_equal(st.ds_within, 5);
	check(v, 0, 10);
	check(v, 1, 10);
}

/* Sizes on both sides of the counting threshold, small and wide values. */
static void
test_against_brute_force(void **state)
{
	static const size_t	sizes[] = { 1, 2, 3, 10, 63, 64, 65, 99, 100, 101, 257 };
	static const int64_t	spans[] = { 1, 7, 900, 20000, (1 << 20) - 1, 1 << 20,
	    5000000 };
	int64_t			v[300];
	size_t			si, sp, i;
	unsigned		seed = 12345;

	(void)state;
	for (si = 0; si < sizeof sizes / sizeof sizes[0]; si++)
		for (sp = 0; sp < sizeof spans / sizeof spans[0]; sp++) {
			for (i = 0; i < sizes[si]; i++) {
				seed = seed * 1103515245u + 12345u;
				v[i] = (int64_t)((seed >> 8) % (unsigned)spans[sp]);
			}
			v[0] = spans[sp] - 1;	/* the largest value is there */
			check(v, sizes[si], spans[sp] / 3);
			check(v, sizes[si], -1);
		}
}

/* Ties everywhere, and negative durations (a clock set back) count as 0. */
static void
test_ties_and_negatives(void **state)
{
	int64_t	v[200];
	size_t	i;

	(void)state;
	for (i = 0; i < 200; i++)
		v[i] = i < 100 ? 5 : 7;
	check(v, 200, 5);
	for (i = 0; i < 200; i++)
		v[i] = i % 3 == 0 ? -40 : (int64_t)i;
	check(v, 200, 0);
	check(v, 10, 0);
}

/* ---- periods ---- */

static int64_t
at(const char *rfc3339)
{
	int64_t	t;

	assert_int_equal(time_parse(rfc3339, &t), 0);
	return t;
}

/* Every bound falls on :00 or :30 of the local clock; none is empty. */
static void
check_half_hours(const int64_t *b, size_t n)
{
	struct tm	tm;
	time_t		t;
	size_t		i;

	for (i = 0; i <= n; i++) {
		t = (time_t)b[i];
		localtime_r(&t, &tm);
		assert_int_equal(tm.tm_sec, 0);
		assert_true(tm.tm_min == 0 || tm.tm_min == 30);
		if (i > 0)
			assert_int_equal(b[i] - b[i - 1], 1800);
	}
}

static void
test_periods_without_dst(void **state)
{
	int64_t	*b;
	size_t	 n, i;

	(void)state;
	assert_int_equal(time_set_zone("Asia/Shanghai"), 0);
	n = report_periods("2026-11-23", "2026-11-23", GROUP_HALF_HOUR, &b);
	assert_int_equal(n, 48);
	assert_int_equal(b[0], at("2026-11-22T16:00:00Z"));	/* 00:00 local */
	assert_int_equal(b[19], at("2026-11-23T01:30:00Z"));	/* 09:30 local */
	assert_int_equal(b[48], at("2026-11-23T16:00:00Z"));
	check_half_hours(b, n);
	free(b);

	n = report_periods("2026-11-23", "2026-11-30", GROUP_DAY, &b);
	assert_int_equal(n, 8);
	for (i = 0; i <= n; i++)
		assert_int_equal(b[i], at("2026-11-22T16:00:00Z") + (int64_t)i * 86400);
	free(b);

	n = report_periods("2026-11-23", "2026-11-30", GROUP_NONE, &b);
	assert_int_equal(n, 1);
	assert_int_equal(b[0], at("2026-11-22T16:00:00Z"));
	assert_int_equal(b[1], at("2026-11-30T16:00:00Z"));
	free(b);

	/* A zone 5:45 ahead of UTC: its half hours are its own, not UTC's. */
	assert_int_equal(time_set_zone("Asia/Kathmandu"), 0);
	n = report_periods("2026-11-23", "2026-11-24", GROUP_HALF_HOUR, &b);
	assert_int_equal(n, 96);
	assert_int_equal(b[0], at("2026-11-22T18:15:00Z"));
	check_half_hours(b, n);
	free(b);
	assert_int_equal(time_set_zone("Asia/Shanghai"), 0);
}

static void
test_periods_with_dst(void **state)
{
	int64_t	*b;
	size_t	 n;

	(void)state;
	assert_int_equal(time_set_zone("Europe/Berlin"), 0);
	/* 2026-03-29: 02:00 CET is 03:00 CEST, a day of 23 hours. */
	n = report_periods("2026-03-29", "2026-03-29", GROUP_HALF_HOUR, &b);
	assert_int_equal(n, 46);
	assert_int_equal(b[0], at("2026-03-28T23:00:00Z"));
	assert_int_equal(b[3], at("2026-03-29T00:30:00Z"));	/* 01:30 CET */
	assert_int_equal(b[4], at("2026-03-29T01:00:00Z"));	/* 03:00 CEST */
	assert_int_equal(b[46], at("2026-03-29T22:00:00Z"));
	check_half_hours(b, n);
	free(b);
	/* 2026-10-25: 03:00 CEST is 02:00 CET, a day of 25 hours. */
	n = report_periods("2026-10-25", "2026-10-25", GROUP_HALF_HOUR, &b);
	assert_int_equal(n, 50);
	assert_int_equal(b[0], at("2026-10-24T22:00:00Z"));
	assert_int_equal(b[50], at("2026-10-25T23:00:00Z"));
	check_half_hours(b, n);
	free(b);
	/* Days across the change: 24, 23 and 24 hours. */
	n = report_periods("2026-03-28", "2026-03-30", GROUP_DAY, &b);
	assert_int_equal(n, 3);
	assert_int_equal(b[1] - b[0], 24 * 3600);
	assert_int_equal(b[2] - b[1], 23 * 3600);
	assert_int_equal(b[3] - b[2], 24 * 3600);
	free(b);
	/* Santiago skips midnight on 2026-09-06: that day starts at 01:00. */
	assert_int_equal(time_set_zone("America/Santiago"), 0);
	n = report_periods("2026-09-05", "2026-09-06", GROUP_HALF_HOUR, &b);
	assert_int_equal(n, 48 + 46);
	assert_int_equal(b[48], at("2026-09-06T04:00:00Z"));	/* 01:00 -03 */
	check_half_hours(b, n);
	free(b);
	assert_int_equal(time_set_zone("Asia/Shanghai"), 0);
}

static void
test_period_of(void **state)
{
	static const int64_t	b[] = { 100, 200, 300, 400 };

	(void)state;
	assert_int_equal(period_of(b, 3, 100), 0);
	assert_int_equal(period_of(b, 3, 199), 0);
	assert_int_equal(period_of(b, 3, 200), 1);
	assert_int_equal(period_of(b, 3, 399), 2);
	/* outside: the first or the last */
	assert_int_equal(period_of(b, 3, 5), 0);
	assert_int_equal(period_of(b, 3, 400), 2);
	assert_int_equal(period_of(b, 3, 100000), 2);
	assert_int_equal(period_of(b, 1, 150), 0);
}

/* PROTOCOL 1.1: edges[i] <= w < edges[i + 1]; the last bucket open. */
static void
test_wait_bucket(void **state)
{
	static const int64_t edges[WAIT_BUCKETS] = { 0, 300, 600, 900, 1200, 1800, 2700, 3600 };
	size_t	i;

	(void)state;
	for (i = 0; i < WAIT_BUCKETS; i++) {
		assert_int_equal(wait_histogram_edges_s[i], edges[i]);
		assert_int_equal(wait_bucket(edges[i]), i);
		if (i > 0)
			assert_int_equal(wait_bucket(edges[i] - 1), i - 1);
	}
	assert_int_equal(wait_bucket(-5), 0);
	assert_int_equal(wait_bucket(86400 * 30), WAIT_BUCKETS - 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_known_values),
		cmocka_unit_test(test_against_brute_force),
		cmocka_unit_test(test_ties_and_negatives),
		cmocka_unit_test(test_periods_without_dst),
		cmocka_unit_test(test_periods_with_dst),
		cmocka_unit_test(test_period_of),
		cmocka_unit_test(test_wait_bucket),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
