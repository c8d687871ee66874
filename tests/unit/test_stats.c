/* Exact duration statistics for report.summary: the counting path and the
 * sorting path against a brute-force nearest rank, at every size and shape
 * that chooses one or the other. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
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

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_known_values),
		cmocka_unit_test(test_against_brute_force),
		cmocka_unit_test(test_ties_and_negatives),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
