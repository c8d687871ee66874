/*
 * End-to-end: retention (issue 18 item 8; docs/SECURITY.md "Personal data
 * and retention").  The customers' names and phones and the survey reasons
 * of complaints closed longer ago than retention_days are erased by the
 * daily run (03:15 local) and the one a minute after start-up, in the row,
 * in the webhook bodies and in the request keys' fingerprints; a survey
 * that opened no complaint loses its reason the same time after it was
 * given.  Complaints closed more recently, open ones and reopened ones keep
 * theirs; history and report figures stay exactly as they were; a second
 * run erases nothing; a large backlog is erased in several batches.
 *
 * The test clock starts 2026-11-23T01:00:00Z, 09:00 in Asia/Shanghai; the
 * daily run falls at 19:15Z.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "harness.h"

#define DAY		86400
#define RETENTION	"\"retention_days\":2"
#define WEBHOOKS	"\"webhooks\":[{\"url\":\"http://127.0.0.1:9/h\",\"secret\":\"s\"," \
			"\"events\":[\"complaint.logged\",\"followup.overdue\"," \
			"\"survey.detractor\"]}]"
#define CUSTOMER	",\"customer\":{\"name\":\"张三丰\",\"phone\":\"13800138000\"}"
#define PHONE		"13800138000"
#define REASON		"teller Wang was rude, call me on 13900001111"

/* ---- the database, read straight from its file ---- */

static long long
db_int(struct daemon *d, const char *sql)
{
	char		*v = db_value(d, "%s", sql);
	long long	 n = v != NULL ? atoll(v) : -1;

	free(v);
	return n;
}

/* The SQL's one value is want (NULL: SQL NULL). */
#define EXPECT_DB(d, want, ...) do {					\
	char *v_ = db_value((d), __VA_ARGS__);				\
	const char *w_ = (want);					\
	expect_that(w_ == NULL ? v_ == NULL : v_ != NULL && strcmp(v_, w_) == 0, \
	    NULL, "%s: should be %s, is %s", #__VA_ARGS__,		\
	    w_ != NULL ? w_ : "NULL", v_ != NULL ? v_ : "NULL");	\
	free(v_);							\
} while (0)

#define EXPECT_DB_INT(d, want, sql) do {				\
	long long n_ = db_int((d), (sql));				\
	expect_that(n_ == (want), NULL, "%s: should be %lld, is %lld", (sql), \
	    (long long)(want), n_);					\
} while (0)

/* ---- the log ---- */

/* The last line of the daemon's log holding what, or NULL.  Caller frees. */
static char *
last_log_line(struct daemon *d, const char *what)
{
	FILE	*f = fopen(d->d_log, "r");
	char	 line[4096], *last = NULL;

	if (f == NULL)
		return NULL;
	while (fgets(line, sizeof line, f) != NULL) {
		if (strstr(line, what) != NULL) {
			free(last);
			last = strdup(line);
		}
	}
	fclose(f);
	return last;
}

/* The last retention run's log line holds each of the words. */
static void
expect_run(struct daemon *d, const char *complaints, const char *surveys, const char *batches)
{
	char	*l = last_log_line(d, "event=retention ");

	expect_that(l != NULL, NULL, "no retention run was logged");
	expect_that(strstr(l, complaints) != NULL && strstr(l, surveys) != NULL &&
	    strstr(l, batches) != NULL, NULL, "the last run should say %s %s %s: %s",
	    complaints, surveys, batches, l);
	free(l);
}

static int
count_runs(struct daemon *d)
{
	FILE	*f = fopen(d->d_log, "r");
	char	 line[4096];
	int	 n = 0;

	if (f == NULL)
		return 0;
	while (fgets(line, sizeof line, f) != NULL)
		n += strstr(line, "event=retention ") != NULL;
	fclose(f);
	return n;
}

/* ---- the branch ---- */

static cJSON *
take(cJSON *r, const char *name)
{
	cJSON	*c = cJSON_DetachItemFromObjectCaseSensitive(r, name);

	expect_that(c != NULL, r, "the reply has no %s", name);
	cJSON_Delete(r);
	return c;
}

/* complaint.log by c, with more fields (",..." or ""); its id. */
static long long
log_complaint(struct conn *c, const char *more)
{
	cJSON		*cp = take(rq_ok(c, "{\"op\":\"complaint.log\",\"category\":\"wait_time\","
			    "\"severity\":2,\"description\":\"waited 40 minutes\","
			    "\"channel\":\"counter\"%s}", more), "complaint");
	long long	 id = jint(cp, "id");

	cJSON_Delete(cp);
	return id;
}

static void
resolve(struct conn *c, long long id)
{
	cJSON_Delete(rq_ok(c, "{\"op\":\"complaint.resolve\",\"id\":%lld,\"resolution\":"
	    "\"apologised, fee refunded\",\"root_cause\":\"personnel\"}", id));
}

static void
follow_up(struct conn *c, long long id, const char *outcome)
{
	cJSON_Delete(rq_ok(c, "{\"op\":\"followup.record\",\"id\":%lld,\"outcome\":\"%s\","
	    "\"note\":\"called back\"}", id, outcome));
}

/* Resolved, then a satisfied customer: closed now. */
static void
close_complaint(struct conn *c, long long id)
{
	resolve(c, id);
	follow_up(c, id, "satisfied");
}

/* Issues, calls, starts and completes the next ticket at t's window. */
static void
serve(struct conn *k, struct conn *t, const char *number)
{
	cJSON	*r;

	cJSON_Delete(issue(k, "loan", 0, NULL));
	r = rq_ok(t, "{\"op\":\"ticket.call_next\"}");
	expect_str(r, "ticket.number", number);
	cJSON_Delete(r);
	cJSON_Delete(rq_ok(t, "{\"op\":\"ticket.start\",\"number\":\"%s\"}", number));
	cJSON_Delete(rq_ok(t, "{\"op\":\"ticket.complete\",\"number\":\"%s\"}", number));
}

/* complaint.get: the complaint with its actions.  Caller frees. */
static cJSON *
get(struct conn *c, long long id)
{
	return take(rq_ok(c, "{\"op\":\"complaint.get\",\"id\":%lld}", id), "complaint");
}

/* A report's reply, less what moves with the clock itself ("now", the
 * seconds overdue) and the customer (masked in reports; erased here). */
static char *
report_figures(struct conn *s, const char *req)
{
	cJSON	*r = rq_ok(s, "%s", req), *e, *list;
	char	*out;

	cJSON_DeleteItemFromObjectCaseSensitive(r, "id");
	cJSON_DeleteItemFromObjectCaseSensitive(r, "now");
	if ((list = cJSON_GetObjectItemCaseSensitive(r, "complaints")) != NULL) {
		cJSON_ArrayForEach(e, list) {
			cJSON_DeleteItemFromObjectCaseSensitive(e, "overdue_s");
			cJSON_DeleteItemFromObjectCaseSensitive(e, "customer");
			cJSON_DeleteItemFromObjectCaseSensitive(e, "erased_at");
		}
	}
	out = jprint(r);
	cJSON_Delete(r);
	return out;
}

#define SUMMARY	"{\"op\":\"report.summary\",\"from\":\"2026-11-23\",\"to\":\"2026-11-25\"}"
#define FOLLOWUPS "{\"op\":\"report.followups\",\"status\":\"all\"}"

/* ---- the tests ---- */

/*
 * Day 0 (2026-11-23): A closed, C open, D reopened, all with a customer; a
 * detractor's survey opens E, closed; a passive's survey with a reason.
 * Day 2: B closed, a promoter's survey with a reason.  retention_days 2:
 * the run of day 2 (19:15Z) erases A, E, their surveys and the passive's
 * reason (given 2 days 18 hours before), and nothing of B (closed 18 hours
 * before), C, D or day 2's survey.
 */
/* /metrics has the line, once the run's last batch is committed. */
static void
expect_metric(struct daemon *d, const char *line)
{
	struct hresp	*r = NULL;
	char		 want[128];
	int		 waited;

	snprintf(want, sizeof want, "\n%s\n", line);
	for (waited = 0; waited < reply_timeout_ms(); waited += 50) {
		r = http_rq(d, "GET", "/metrics", .bearer = "S01");
		if (r->hr_status == 200 && strstr(r->hr_body, want) != NULL)
			return;
		usleep(50 * 1000);
	}
	expect_http(false, r, "/metrics never said \"%s\"", line);
}

static void
test_retention_erases_what_is_due(void **state)
{
	struct daemon_opts	 o = { .extra_config = RETENTION "," WEBHOOKS };
	struct daemon		*d = daemon_start(&o);
	struct conn		*t = login(d, "T01"), *s = login(d, "S01"), *k = login(d, "K01");
	long long		 a, b, c, dd, e;
	cJSON			*r, *before[5], *after;
	char			*sum0, *fol0, *sum1, *fol1, *p0, *p1, *v;
	long long		 ids[5];
	int			 i;

	(void)state;
	cJSON_Delete(rq_ok(t, "{\"op\":\"window.open\",\"window\":1,\"lanes\":[\"counter\"]}"));
	a = log_complaint(t, CUSTOMER ",\"request_key\":\"ka\"");
	close_complaint(t, a);
	c = log_complaint(t, CUSTOMER ",\"request_key\":\"kc\"");
	dd = log_complaint(t, CUSTOMER);
	resolve(t, dd);
	follow_up(t, dd, "unsatisfied");	/* reopened */
	serve(k, t, "A001");
	r = rq_ok(k, "{\"op\":\"survey.submit\",\"ticket\":\"A001\",\"score\":2,\"reason\":\""
	    REASON "\",\"request_key\":\"ks1\"}");
	e = jint(r, "complaint.id");
	expect_str(r, "complaint.description", REASON);
	cJSON_Delete(r);
	close_complaint(s, e);
	serve(k, t, "A002");
	cJSON_Delete(rq_ok(k, "{\"op\":\"survey.submit\",\"ticket\":\"A002\",\"score\":7,"
	    "\"reason\":\"a bit slow\",\"request_key\":\"ks2\"}"));

	/* The run a minute after start-up, and day 0's and day 1's: nothing
	 * is old enough. */
	advance(s, 2 * DAY);
	expect_that(count_runs(d) == 3, NULL, "three runs by day 2, not %d", count_runs(d));
	expect_run(d, "erased_complaints=0", "erased_surveys=0", "batches=0");
	b = log_complaint(t, CUSTOMER);
	close_complaint(t, b);
	serve(k, t, "A001");
	cJSON_Delete(rq_ok(k, "{\"op\":\"survey.submit\",\"ticket\":\"A001\",\"score\":9,"
	    "\"reason\":\"quick today\"}"));
	EXPECT_DB(d, PHONE, "SELECT customer_phone FROM complaints WHERE id = %lld", a);
	expect_that(db_int(d, "SELECT count(*) FROM outbox WHERE body LIKE '%" PHONE "%'") >= 4,
	    NULL, "the webhook bodies should hold the phone before the run");
	p0 = db_value(d, "SELECT fingerprint FROM request_keys WHERE request_key = 'kc'");
	expect_that(p0 != NULL && strlen(p0) == 64, NULL, "kc's fingerprint: %s", p0);
	v = db_value(d, "SELECT fingerprint FROM request_keys WHERE request_key = 'ks2'");
	expect_that(v != NULL && strlen(v) == 64, NULL, "ks2's fingerprint: %s", v);
	free(v);

	/* Just before the run: the complaints, the reports. */
	advance(s, 18 * 3600 + 14 * 60);	/* 2026-11-25T19:14:00Z */
	ids[0] = a, ids[1] = b, ids[2] = c, ids[3] = dd, ids[4] = e;
	for (i = 0; i < 5; i++)
		before[i] = get(s, ids[i]);
	sum0 = report_figures(s, SUMMARY);
	fol0 = report_figures(s, FOLLOWUPS);
	advance(s, 2 * 60);
	expect_run(d, "erased_complaints=2", "erased_surveys=1", "batches=2");

	/* A: erased everywhere; its history as it was. */
	EXPECT_DB(d, NULL, "SELECT customer_name FROM complaints WHERE id = %lld", a);
	EXPECT_DB(d, NULL, "SELECT customer_phone FROM complaints WHERE id = %lld", a);
	EXPECT_DB(d, "2026-11-25T19:15:00Z", "SELECT strftime('%%Y-%%m-%%dT%%H:%%M:%%SZ', "
	    "erased_at, 'unixepoch') FROM complaints WHERE id = %lld", a);
	EXPECT_DB(d, "waited 40 minutes", "SELECT description FROM complaints WHERE id = %lld", a);
	EXPECT_DB(d, "", "SELECT fingerprint FROM request_keys WHERE request_key = 'ka'");
	after = get(s, a);
	expect_that(jget(after, "customer") == NULL, after, "A's customer should be gone");
	expect_str(after, "erased_at", "2026-11-25T19:15:00Z");
	expect_str(after, "state", "closed");
	free(p0);
	p0 = jprint(jget(before[0], "actions"));
	p1 = jprint(jget(after, "actions"));
	expect_that(strcmp(p0, p1) == 0, NULL, "A's history changed:\n%s\n%s", p0, p1);
	free(p0);
	free(p1);
	cJSON_Delete(after);

	/* E: the survey's reason, in the survey, the description, the bodies. */
	EXPECT_DB(d, NULL, "SELECT reason FROM surveys WHERE complaint_id = %lld", e);
	EXPECT_DB(d, "2", "SELECT score FROM surveys WHERE complaint_id = %lld", e);
	EXPECT_DB(d, "survey score 2, reason erased",
	    "SELECT description FROM complaints WHERE id = %lld", e);
	EXPECT_DB(d, "", "SELECT fingerprint FROM request_keys WHERE request_key = 'ks1'");
	after = get(s, e);
	expect_str(after, "description", "survey score 2, reason erased");
	expect_str(after, "erased_at", "2026-11-25T19:15:00Z");
	cJSON_Delete(after);
	EXPECT_DB_INT(d, 0, "SELECT count(*) FROM outbox WHERE body LIKE '%13900001111%'");
	EXPECT_DB(d, "null", "SELECT json_type(body, '$.survey.reason') FROM outbox "
	    "WHERE event = 'survey.detractor'");
	for (i = 0; i < 5; i++) {
		v = db_value(d, "SELECT count(*) FROM outbox WHERE complaint_id = %lld AND body "
		    "LIKE '%%" PHONE "%%'", ids[i]);
		expect_that(v != NULL && (ids[i] == a || ids[i] == e ? strcmp(v, "0") == 0 :
		    strcmp(v, "0") != 0), NULL, "complaint %lld's webhook bodies with the phone: "
		    "%s", ids[i], v);
		free(v);
	}
	EXPECT_DB_INT(d, 0, "SELECT count(*) FROM outbox o JOIN complaints c "
	    "ON c.id = o.complaint_id WHERE c.erased_at IS NOT NULL "
	    "AND json_type(o.body, '$.complaint.customer') IS NOT NULL");
	/* every body still parses, and still names its complaint */
	EXPECT_DB_INT(d, 0, "SELECT count(*) FROM outbox WHERE NOT json_valid(body) "
	    "OR json_extract(body, '$.complaint.id') != complaint_id");

	/* The passive's reason of day 0 is gone; day 2's stays. */
	EXPECT_DB(d, NULL, "SELECT reason FROM surveys WHERE score = 7");
	EXPECT_DB(d, "7", "SELECT score FROM surveys WHERE score = 7");
	expect_that(db_int(d, "SELECT erased_at FROM surveys WHERE score = 7") > 0, NULL,
	    "the passive's survey has no erased_at");
	EXPECT_DB(d, "", "SELECT fingerprint FROM request_keys WHERE request_key = 'ks2'");
	EXPECT_DB(d, "quick today", "SELECT reason FROM surveys WHERE score = 9");

	/* B (closed 18 hours ago), C (open), D (reopened): untouched. */
	for (i = 1; i < 4; i++) {
		EXPECT_DB(d, PHONE, "SELECT customer_phone FROM complaints WHERE id = %lld", ids[i]);
		EXPECT_DB(d, "张三丰", "SELECT customer_name FROM complaints WHERE id = %lld",
		    ids[i]);
		EXPECT_DB(d, NULL, "SELECT erased_at FROM complaints WHERE id = %lld", ids[i]);
		after = get(s, ids[i]);
		p0 = jprint(before[i]);
		p1 = jprint(after);
		expect_that(strcmp(p0, p1) == 0, NULL, "complaint %lld changed:\n%s\n%s", ids[i],
		    p0, p1);
		expect_str(after, "customer.phone", PHONE);
		free(p0);
		free(p1);
		cJSON_Delete(after);
	}
	EXPECT_DB(d, "open", "SELECT state FROM complaints WHERE id = %lld", dd);
	v = db_value(d, "SELECT fingerprint FROM request_keys WHERE request_key = 'kc'");
	expect_that(v != NULL && strlen(v) == 64, NULL, "kc's fingerprint: %s", v);
	free(v);

	/* Reports mask a customer and say an erased one was. */
	r = rq_ok(s, FOLLOWUPS);
	i = 0;
	cJSON_ArrayForEach(after, jget(r, "complaints")) {
		if (jint(after, "id") == a) {
			expect_str(after, "erased_at", "2026-11-25T19:15:00Z");
			expect_that(jget(after, "customer") == NULL, after, "A's customer in a report");
			i++;
		} else if (jint(after, "id") == c) {
			expect_str(after, "customer.phone", "138****8000");
			i++;
		}
	}
	expect_that(i == 2, r, "report.followups should list A and C");
	cJSON_Delete(r);

	/* The figures are the same. */
	sum1 = report_figures(s, SUMMARY);
	fol1 = report_figures(s, FOLLOWUPS);
	expect_that(strcmp(sum0, sum1) == 0, NULL, "report.summary changed:\n%s\n%s", sum0, sum1);
	expect_that(strcmp(fol0, fol1) == 0, NULL, "report.followups changed:\n%s\n%s", fol0,
	    fol1);
	expect_that(strstr(fol1, "\"total\":5") != NULL, NULL, "five complaints: %s", fol1);

	/* The next day's run: nothing new; A's erasure is not redone. */
	advance(s, DAY);
	expect_run(d, "erased_complaints=0", "erased_surveys=0", "batches=0");
	EXPECT_DB(d, "2026-11-25T19:15:00Z", "SELECT strftime('%%Y-%%m-%%dT%%H:%%M:%%SZ', "
	    "erased_at, 'unixepoch') FROM complaints WHERE id = %lld", a);
	EXPECT_DB(d, PHONE, "SELECT customer_phone FROM complaints WHERE id = %lld", b);

	for (i = 0; i < 5; i++)
		cJSON_Delete(before[i]);
	free(sum0);
	free(fol0);
	free(sum1);
	free(fol1);
}

/*
 * 450 complaints closed on day 0, retention_days 1: the run of day 1
 * (19:15Z, cutoff day 0 19:15Z) erases them all in nine batches of at
 * most 50; the start-up run erases what is due at once.
 */
static void
test_retention_batches(void **state)
{
	struct daemon_opts	 o = { .extra_config = "\"retention_days\":1" };
	struct daemon		*d = daemon_start(&o);
	struct conn		*t = login(d, "T01"), *s = login(d, "S01");
	long long		 id;
	int			 i;

	(void)state;
	for (i = 0; i < 450; i++) {
		id = log_complaint(t, CUSTOMER);
		close_complaint(t, id);
	}
	advance(s, 2 * DAY);
	expect_run(d, "erased_complaints=450", "erased_surveys=0", "batches=9");
	EXPECT_DB_INT(d, 0, "SELECT count(*) FROM complaints WHERE customer_name IS NOT NULL "
	    "OR customer_phone IS NOT NULL");
	EXPECT_DB_INT(d, 450, "SELECT count(*) FROM complaints WHERE erased_at IS NOT NULL");
	EXPECT_DB_INT(d, 450, "SELECT count(*) FROM complaints WHERE state = 'closed'");
	expect_metric(d, "branchq_retention_erased_total 450");

	/* One more, closed now; after a restart the start-up run finds it
	 * once a day and a minute have passed, before 03:15 comes. */
	id = log_complaint(t, CUSTOMER);
	close_complaint(t, id);
	conn_close(t);
	conn_close(s);
	daemon_stop(d);
	daemon_restart_at(d, "2026-11-26T20:00:00Z");
	s = login(d, "S01");
	advance(s, 61);
	expect_run(d, "erased_complaints=1", "erased_surveys=0", "batches=1");
	EXPECT_DB_INT(d, 0, "SELECT count(*) FROM complaints WHERE customer_phone IS NOT NULL");
}

/*
 * The database refuses the run's writes: the complaint keeps its customer,
 * the fault is logged, and the run tried again 5 minutes later erases it.
 */
static void
test_retention_retries_after_a_fault(void **state)
{
	struct daemon_opts	 o = { .extra_config = "\"retention_days\":1" };
	struct daemon		*d = daemon_start(&o);
	struct conn		*t = login(d, "T01"), *s = login(d, "S01");
	long long		 id;

	(void)state;
	id = log_complaint(t, CUSTOMER);
	close_complaint(t, id);
	advance(s, DAY + 18 * 3600 + 14 * 60);	/* 2026-11-24T19:14:00Z */
	cJSON_Delete(rq_ok(s, "{\"op\":\"test.fault\",\"fault\":\"disk_full\"}"));
	advance(s, 2 * 60);
	cJSON_Delete(rq_ok(s, "{\"op\":\"test.fault\",\"fault\":\"none\"}"));
	expect_that(daemon_log_contains(d, "event=fault component=retention"), NULL,
	    "the failed run should be logged");
	EXPECT_DB(d, PHONE, "SELECT customer_phone FROM complaints WHERE id = %lld", id);
	EXPECT_DB(d, NULL, "SELECT erased_at FROM complaints WHERE id = %lld", id);
	advance(s, 5 * 60);
	expect_run(d, "erased_complaints=1", "erased_surveys=0", "batches=1");
	EXPECT_DB(d, NULL, "SELECT customer_phone FROM complaints WHERE id = %lld", id);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_retention_erases_what_is_due, harness_teardown),
		cmocka_unit_test_teardown(test_retention_batches, harness_teardown),
		cmocka_unit_test_teardown(test_retention_retries_after_a_fault, harness_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
