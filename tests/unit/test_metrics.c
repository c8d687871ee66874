/* metrics.c alone: label values escaped as the exposition format wants,
 * the commit histogram's buckets at their edges (le is "at or under"),
 * cumulative in the text, and the hooks for backup, retention and the head
 * office showing what they were given. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "branchq.h"

static char *
render(size_t *len)
{
	struct queue		q;
	struct metrics_state	ms;
	char			*text;

	queue_init(&q, 300);
	memset(&ms, 0, sizeof ms);
	ms.ms_queue = &q;
	ms.ms_now = 1000;
	text = metrics_render(&ms, len);
	queue_free(&q);
	return text;
}

/* The value of a series exactly as rendered ("name{labels}"); -1 when absent. */
static double
value(const char *text, const char *series)
{
	size_t		 n = strlen(series);
	const char	*p = text;

	while (p != NULL && *p != '\0') {
		if (strncmp(p, series, n) == 0 && p[n] == ' ')
			return strtod(p + n + 1, NULL);
		if ((p = strchr(p, '\n')) != NULL)
			p++;
	}
	return -1;
}

static void
test_escape(void **state)
{
	char	out[64];

	(void)state;
	metrics_escape_label("plain", out, sizeof out);
	assert_string_equal(out, "plain");
	metrics_escape_label("a\"b\\c\nd", out, sizeof out);
	assert_string_equal(out, "a\\\"b\\\\c\\nd");
	metrics_escape_label("", out, sizeof out);
	assert_string_equal(out, "");
	/* cut to fit, never half an escape */
	metrics_escape_label("\"\"\"\"", out, 6);
	assert_string_equal(out, "\\\"\\\"");
}

static void
test_commit_histogram(void **state)
{
	char	*text;
	size_t	 len;

	(void)state;
	metrics_commit(0.0005, true);		/* on the edge: in le="0.0005" */
	metrics_commit(0.0007, true);
	metrics_commit(0.9, true);
	metrics_commit(1.5, true);		/* over the last edge: +Inf only */
	metrics_commit(0.002, false);		/* a failure: no duration */
	text = render(&len);
	assert_int_equal(strlen(text), len);
	assert_true(value(text, "branchq_commit_seconds_bucket{le=\"0.0005\"}") == 1);
	assert_true(value(text, "branchq_commit_seconds_bucket{le=\"0.001\"}") == 2);
	assert_true(value(text, "branchq_commit_seconds_bucket{le=\"0.5\"}") == 2);
	assert_true(value(text, "branchq_commit_seconds_bucket{le=\"1\"}") == 3);
	assert_true(value(text, "branchq_commit_seconds_bucket{le=\"+Inf\"}") == 4);
	assert_true(value(text, "branchq_commit_seconds_count") == 4);
	assert_true(value(text, "branchq_commit_seconds_sum") > 2.4007 &&
	    value(text, "branchq_commit_seconds_sum") < 2.4013);
	assert_true(value(text, "branchq_commit_failures_total") == 1);
	free(text);
}

static void
test_hooks(void **state)
{
	char	*text;
	size_t	 len;

	(void)state;
	text = render(&len);
	assert_true(value(text, "branchq_backup_last_success_timestamp_seconds") == 0);
	assert_true(value(text, "branchq_hq_backlog") == 0);
	free(text);
	metrics_backup(1795400000, 2, 123456);
	metrics_retention(1795400100, 5);
	metrics_retention(1795486500, 8);
	metrics_hq(&(struct hq_status){ .hst_shipping = true, .hst_backlog = 17,
	    .hst_lag_s = 42, .hst_connected = true, .hst_events = 1000, .hst_failures = 3,
	    .hst_longest_step_ns = 2500000 });
	metrics_request(MT_TCP, "ticket.issue", ERR_NONE);
	metrics_request(MT_HTTP, NULL, ERR_BAD_JSON);
	metrics_auth_failure(true);
	metrics_webhook_attempt(false, true);
	text = render(&len);
	assert_true(value(text, "branchq_backup_last_success_timestamp_seconds") == 1795400000);
	assert_true(value(text, "branchq_backup_failures_total") == 2);
	assert_true(value(text, "branchq_backup_last_bytes") == 123456);
	assert_true(value(text, "branchq_retention_erased_total") == 8);
	assert_true(value(text, "branchq_retention_last_run_timestamp_seconds") == 1795486500);
	assert_true(value(text, "branchq_hq_backlog") == 17);
	assert_true(value(text, "branchq_hq_lag_seconds") == 42);
	assert_true(value(text, "branchq_hq_connected") == 1);
	assert_true(value(text, "branchq_hq_events_shipped_total") == 1000);
	assert_true(value(text, "branchq_hq_failures_total") == 3);
	assert_true(value(text, "branchq_hq_longest_step_seconds") == 0.0025);
	assert_true(value(text, "branchq_requests_total{transport=\"tcp\",op=\"ticket.issue\"}")
	    == 1);
	assert_true(value(text, "branchq_requests_total{transport=\"http\",op=\"unknown\"}") == 1);
	assert_true(value(text, "branchq_request_errors_total{transport=\"http\","
	    "code=\"bad_json\"}") == 1);
	assert_true(value(text, "branchq_auth_failures_total") == 1);
	assert_true(value(text, "branchq_auth_lockouts_total") == 1);
	assert_true(value(text, "branchq_webhook_attempts_failed_total") == 1);
	assert_true(value(text, "branchq_webhook_deliveries_total{outcome=\"failed\"}") == 1);
	free(text);

	/* hq removed (SIGHUP): the gauges read 0, the counters keep what was counted. */
	metrics_hq(&(struct hq_status){ .hst_shipping = false, .hst_backlog = 17,
	    .hst_connected = false, .hst_events = 1000, .hst_failures = 3 });
	text = render(&len);
	assert_true(value(text, "branchq_hq_backlog") == 0);
	assert_true(value(text, "branchq_hq_lag_seconds") == 0);
	assert_true(value(text, "branchq_hq_connected") == 0);
	assert_true(value(text, "branchq_hq_events_shipped_total") == 1000);
	free(text);
	metrics_hq(NULL);
	text = render(&len);
	assert_true(value(text, "branchq_hq_backlog") == 0);
	free(text);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_escape),
		cmocka_unit_test(test_commit_histogram),
		cmocka_unit_test(test_hooks),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
