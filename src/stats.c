/*
 * The reports' arithmetic (DOMAIN §5): exact duration statistics (count,
 * mean, nearest-rank p50 and p90, max, the share within a target) and the
 * periods a grouped report.summary is cut into.
 *
 * Durations are whole seconds, nearly all under a few hours.  Counting them
 * by value gives the same nearest ranks as sorting them, in two linear
 * passes: a year's 770,000 waits without a comparison sort.  Longer ones (a
 * test clock moved by weeks) and short lists are sorted.
 */
#include <stdlib.h>
#include <string.h>

#include "branchq.h"

#define COUNTING_MAX	(1 << 20)	/* about 12 days: 4 MB of counters at most */
#define COUNTING_MIN_N	64		/* below this, sorting is cheaper */

static int
cmp_int64(const void *a, const void *b)
{
	int64_t	x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

int64_t
percentile(const int64_t *sorted, size_t n, int p)
{
	size_t	rank;

	if (n == 0)
		return 0;
	/* Nearest rank: the smallest value with at least p% at or below it. */
	rank = ((size_t)p * n + 99) / 100;
	return sorted[rank > 0 ? rank - 1 : 0];
}

static void
ranks_by_counting(const int64_t *v, size_t n, int64_t max, struct duration_stats *st)
{
	uint32_t	*count;
	size_t		 seen = 0, i;
	size_t		 rank50 = (50 * n + 99) / 100, rank90 = (90 * n + 99) / 100;
	int64_t		 x;

	if ((count = calloc((size_t)max + 1, sizeof *count)) == NULL)
		fatal("calloc");
	for (i = 0; i < n; i++)
		count[v[i]]++;
	for (x = 0; x <= max && seen < rank90; x++) {
		if (count[x] == 0)
			continue;
		if (seen < rank50 && seen + count[x] >= rank50)
			st->ds_p50 = x;
		if (seen + count[x] >= rank90)
			st->ds_p90 = x;
		seen += count[x];
	}
	free(count);
}

void
duration_stats_of(int64_t *v, size_t n, int64_t target, struct duration_stats *st)
{
	int64_t	sum = 0, max = 0;
	size_t	i;

	memset(st, 0, sizeof *st);
	if (n == 0)
		return;
	for (i = 0; i < n; i++) {
		if (v[i] < 0)
			v[i] = 0;	/* a clock set back: no negative waits */
		sum += v[i];
		if (v[i] > max)
			max = v[i];
		if (target >= 0 && v[i] <= target)
			st->ds_within++;
	}
	st->ds_count = (int64_t)n;
	st->ds_mean = (sum + st->ds_count / 2) / st->ds_count;
	st->ds_max = max;
	if (n >= COUNTING_MIN_N && max < COUNTING_MAX) {
		ranks_by_counting(v, n, max, st);
		return;
	}
	qsort(v, n, sizeof *v, cmp_int64);
	st->ds_p50 = percentile(v, n, 50);
	st->ds_p90 = percentile(v, n, 90);
}

/* ---- periods: a report's days or half hours on the branch's clock ---- */

static void
bound_add(int64_t **b, size_t *n, size_t *cap, int64_t at)
{
	if (*n == *cap) {
		*cap = *cap ? 2 * *cap : 64;
		if ((*b = reallocarray(*b, *cap, sizeof **b)) == NULL)
			fatal("reallocarray");
	}
	(*b)[(*n)++] = at;
}

/*
 * Each day is the business date's local day (23 or 25 hours on a day the
 * clocks change); its half hours are counted from its start, so they fall
 * on :00 and :30 of the local clock wherever the zone's offsets and their
 * changes are whole half hours (every zone in use; a +05:45 zone's local
 * half hours too, as they are counted from its own midnight).  A day that
 * is not a whole number of half hours would end with a shorter one.
 */
size_t
report_periods(const char *from, const char *to, enum report_group group, int64_t **bounds)
{
	int64_t	first = date_ordinal(from), last = date_ordinal(to), day, start, end, at;
	size_t	n = 0, cap = 0;

	*bounds = NULL;
	start = day_start_at(first);
	bound_add(bounds, &n, &cap, start);
	/* The whole range: its ends alone, however many days it has. */
	if (group == GROUP_NONE) {
		bound_add(bounds, &n, &cap, day_start_at(last + 1));
		return 1;
	}
	for (day = first; day <= last; day++, start = end) {
		end = day_start_at(day + 1);
		if (group == GROUP_HALF_HOUR)
			for (at = start + 1800; at < end; at += 1800)
				bound_add(bounds, &n, &cap, at);
		bound_add(bounds, &n, &cap, end);
	}
	return n - 1;
}

size_t
period_of(const int64_t *bounds, size_t n, int64_t at)
{
	size_t	lo = 0, hi = n, mid;

	/* The last period whose start is at or before at. */
	while (hi - lo > 1) {
		mid = lo + (hi - lo) / 2;
		if (bounds[mid] <= at)
			lo = mid;
		else
			hi = mid;
	}
	return lo;
}

/* ---- the waiting-time histogram (PROTOCOL 1.1) ---- */

/* Five-minute steps to the quarter hour a branch's target usually is,
 * then coarser: the long waits are few and are what a supervisor chases. */
const int64_t wait_histogram_edges_s[WAIT_BUCKETS] = {
	0, 300, 600, 900, 1200, 1800, 2700, 3600
};

size_t
wait_bucket(int64_t wait_s)
{
	size_t	i;

	for (i = WAIT_BUCKETS - 1; i > 0; i--)
		if (wait_s >= wait_histogram_edges_s[i])
			return i;
	return 0;
}
