/* The daemon clock: time formats, business days in the branch timezone, and
 * deadlines under the test clock. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "branchq.h"

static int64_t
at(const char *rfc3339)
{
	int64_t	t;

	assert_int_equal(time_parse(rfc3339, &t), 0);
	return t;
}

static void
test_format_and_parse(void **state)
{
	char	buf[BQ_TIME_LEN];

	(void)state;
	assert_int_equal(at("1970-01-01T00:00:00Z"), 0);
	assert_int_equal(at("2026-11-22T08:15:00Z"), 1795335300);
	time_format(1795335300, buf);
	assert_string_equal(buf, "2026-11-22T08:15:00Z");
	time_format(at("2028-02-29T23:59:59Z"), buf);
	assert_string_equal(buf, "2028-02-29T23:59:59Z");
}

static void
test_parse_rejects(void **state)
{
	static const char *const bad[] = {
		"2026-11-22 08:15:00Z", "2026-11-22T08:15:00", "2026-11-22T24:00:00Z",
		"2026-13-01T00:00:00Z", "2026-02-29T00:00:00Z", "2026-11-22T08:15:00+08:00",
		"", "2026-11-22T08:15:0xZ",
	};
	int64_t	t;
	size_t	i;

	(void)state;
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++)
		assert_int_equal(time_parse(bad[i], &t), -1);
}

static void
test_date_parse(void **state)
{
	int	y, m, d;

	(void)state;
	assert_int_equal(date_parse("2026-11-22", &y, &m, &d), 0);
	assert_int_equal(y * 10000 + m * 100 + d, 20261122);
	assert_int_equal(date_parse("2024-02-29", &y, &m, &d), 0);
	assert_int_equal(date_parse("2026-02-29", &y, &m, &d), -1);
	assert_int_equal(date_parse("2026-04-31", &y, &m, &d), -1);
	assert_int_equal(date_parse("2026-4-01", &y, &m, &d), -1);
	assert_int_equal(date_parse("2026-11-22x", &y, &m, &d), -1);
}

/* DOMAIN §2: numbering restarts each business day, in the branch's zone. */
static void
test_business_day_shanghai(void **state)
{
	char	d[BQ_DATE_LEN];

	(void)state;
	assert_int_equal(time_set_zone("Asia/Shanghai"), 0);
	business_date(at("2026-11-22T15:59:59Z"), d);	/* 23:59:59 local */
	assert_string_equal(d, "2026-11-22");
	business_date(at("2026-11-22T16:00:00Z"), d);	/* 00:00 local */
	assert_string_equal(d, "2026-11-23");
	assert_int_equal(business_day_end(at("2026-11-22T01:00:00Z")), at("2026-11-22T16:00:00Z"));
	/* At midnight exactly, the day that ends is the next one. */
	assert_int_equal(business_day_end(at("2026-11-22T16:00:00Z")), at("2026-11-23T16:00:00Z"));
}

static void
test_business_day_dst(void **state)
{
	char	d[BQ_DATE_LEN];

	(void)state;
	assert_int_equal(time_set_zone("Asia/Shanghai"), 0);
	business_date(at("2026-11-22T20:00:00Z"), d);	/* 04:00 on the 23rd there */
	assert_string_equal(d, "2026-11-23");
	assert_int_equal(time_set_zone("Europe/Berlin"), 0);
	/* the same second in another zone: not the date remembered for it */
	business_date(at("2026-11-22T20:00:00Z"), d);	/* 21:00 on the 22nd */
	assert_string_equal(d, "2026-11-22");
	/* 2026-03-29 has 23 hours in Berlin: its end is 22:00Z, not 23:00Z. */
	assert_int_equal(business_day_end(at("2026-03-28T23:30:00Z")), at("2026-03-29T22:00:00Z"));
	assert_int_equal(time_set_zone("Asia/Shanghai"), 0);
}

/* Date arithmetic, and the first second of a business date in its zone. */
static void
test_date_start(void **state)
{
	(void)state;
	assert_int_equal(date_ordinal("1970-01-01"), 0);
	assert_int_equal(date_ordinal("2026-11-23"), 20780);
	assert_int_equal(date_ordinal("2026-02-30"), -1);
	assert_int_equal(date_ordinal("2024-02-29") - date_ordinal("2024-02-28"), 1);
	assert_int_equal(date_ordinal("2027-01-01") - date_ordinal("2026-12-31"), 1);
	assert_int_equal(date_ordinal("2026-01-01") - date_ordinal("2025-01-01"), 365);

	assert_int_equal(time_set_zone("Asia/Shanghai"), 0);
	assert_int_equal(date_start_at("2026-11-23"), at("2026-11-22T16:00:00Z"));
	assert_int_equal(date_start_at("2026-13-01"), -1);
	/* The day after the last date a request may name. */
	assert_int_equal(day_start_at(date_ordinal("9999-12-31") + 1), 253402300800 - 8 * 3600);
	assert_int_equal(time_set_zone("Europe/Berlin"), 0);
	assert_int_equal(date_start_at("2026-03-29"), at("2026-03-28T23:00:00Z"));	/* CET */
	assert_int_equal(date_start_at("2026-03-30"), at("2026-03-29T22:00:00Z"));	/* CEST */
	assert_int_equal(date_start_at("2026-10-26"), at("2026-10-25T23:00:00Z"));
	/* Santiago skips its midnight on 2026-09-06: the day starts at 01:00. */
	assert_int_equal(time_set_zone("America/Santiago"), 0);
	assert_int_equal(date_start_at("2026-09-06"), at("2026-09-06T04:00:00Z"));
	assert_int_equal(date_start_at("2026-09-05"), at("2026-09-05T04:00:00Z"));
	/* The far ends of the offsets: +14 and -12. */
	assert_int_equal(time_set_zone("Pacific/Kiritimati"), 0);
	assert_int_equal(date_start_at("2026-11-23"), at("2026-11-22T10:00:00Z"));
	assert_int_equal(time_set_zone("Etc/GMT+12"), 0);
	assert_int_equal(date_start_at("2026-11-23"), at("2026-11-23T12:00:00Z"));
	assert_int_equal(time_set_zone("Asia/Shanghai"), 0);
}

static void
test_unknown_zone(void **state)
{
	(void)state;
	assert_int_equal(time_set_zone("Mars/Olympus_Mons"), -1);
	assert_int_equal(time_set_zone("../etc/passwd"), -1);
	assert_int_equal(time_set_zone(""), -1);
	assert_int_equal(time_set_zone("UTC"), 0);
}

/* ---- deadlines under the test clock ---- */

static int64_t	fired_at[8];
static int	nfired;
static struct deadline	rearming;

static void
record(void *arg)
{
	(void)arg;
	fired_at[nfired++] = clock_now();
}

static void
record_and_rearm(void *arg)
{
	(void)arg;
	fired_at[nfired++] = clock_now();
	if (nfired < 3)
		deadline_arm(&rearming, clock_now() + 100);
}

static void
test_advance_fires_in_order(void **state)
{
	struct deadline	a, b, c;

	(void)state;
	nfired = 0;
	clock_init(NULL, true, 1000);
	deadline_init(&a, "a", record, NULL);
	deadline_init(&b, "b", record, NULL);
	deadline_init(&c, "c", record, NULL);
	deadline_arm(&a, 1300);
	deadline_arm(&b, 1100);
	deadline_arm(&c, 5000);
	clock_advance(299);
	assert_int_equal(nfired, 1);
	assert_int_equal(fired_at[0], 1100);	/* the clock reads the deadline when it fires */
	assert_int_equal(clock_now(), 1299);
	clock_advance(1);
	assert_int_equal(nfired, 2);
	assert_int_equal(fired_at[1], 1300);
	assert_int_equal(c.dl_at, 5000);	/* still armed */
	deadline_disarm(&c);
	clock_advance(10000);
	assert_int_equal(nfired, 2);
	assert_int_equal(clock_now(), 11300);
	clock_shutdown();
}

static void
test_advance_fires_rearmed(void **state)
{
	(void)state;
	nfired = 0;
	clock_init(NULL, true, 0);
	deadline_init(&rearming, "rearm", record_and_rearm, NULL);
	deadline_arm(&rearming, 100);
	clock_advance(1000);	/* 100, then 200 and 300 armed by the firings */
	assert_int_equal(nfired, 3);
	assert_int_equal(fired_at[2], 300);
	assert_int_equal(rearming.dl_at, 0);
	clock_shutdown();
}

static void
test_rearm_moves_deadline(void **state)
{
	struct deadline	a;

	(void)state;
	nfired = 0;
	clock_init(NULL, true, 0);
	deadline_init(&a, "a", record, NULL);
	deadline_arm(&a, 50);
	deadline_arm(&a, 500);		/* moved, not added twice */
	clock_advance(100);
	assert_int_equal(nfired, 0);
	clock_advance(400);
	assert_int_equal(nfired, 1);
	assert_int_equal(fired_at[0], 500);
	clock_shutdown();
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_format_and_parse),
		cmocka_unit_test(test_parse_rejects),
		cmocka_unit_test(test_date_parse),
		cmocka_unit_test(test_business_day_shanghai),
		cmocka_unit_test(test_business_day_dst),
		cmocka_unit_test(test_date_start),
		cmocka_unit_test(test_unknown_zone),
		cmocka_unit_test(test_advance_fires_in_order),
		cmocka_unit_test(test_advance_fires_rearmed),
		cmocka_unit_test(test_rearm_moves_deadline),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
