/*
 * End-to-end: the branch's event log for head office (issue 19 item 1,
 * sql/014_hq_events.sql, docs/HEADOFFICE.md "The event log").  Every change
 * the branch commits writes one event in the same transaction: its kind,
 * the daemon clock's time, and the entity as it stands after the change,
 * with no customer name, phone, description or survey reason (masked forms
 * only).  The sequence is contiguous among committed events, a refused
 * change writes none, and a number is never used twice, also after the
 * events holding it were deleted.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

#define DAY	86400

static long long
db_count(struct daemon *d, const char *where)
{
	char		*v = db_value(d, "SELECT count(*) FROM hq_events WHERE %s", where);
	long long	 n = v != NULL ? atoll(v) : -1;

	free(v);
	return n;
}

/* The kinds of the events after seq `after`, comma-separated, in order. */
static char *
kinds_after(struct daemon *d, long long after)
{
	char	*v = db_value(d, "SELECT group_concat(kind, ',') FROM "
	    "(SELECT kind FROM hq_events WHERE seq > %lld ORDER BY seq)", after);

	return v != NULL ? v : strdup("");
}

static long long
last_seq(struct daemon *d)
{
	char		*v = db_value(d, "SELECT coalesce(max(seq), 0) FROM hq_events");
	long long	 n = v != NULL ? atoll(v) : -1;

	free(v);
	return n;
}

#define EXPECT_KINDS(d, after, want) do {				\
	char *k_ = kinds_after((d), (after));				\
	if (strcmp(k_, (want)) != 0)					\
		fail_msg("%s:%d: events after %lld: %s, want %s",	\
		    __FILE__, __LINE__, (long long)(after), k_, (want));	\
	free(k_);							\
} while (0)

/* The value at a JSON path of the payload of the event seq. */
#define EXPECT_PAYLOAD(d, seq, path, want) do {				\
	char *v_ = db_value((d), "SELECT json_extract(payload, '%s') FROM hq_events " \
	    "WHERE seq = %lld", (path), (long long)(seq));		\
	if (v_ == NULL || strcmp(v_, (want)) != 0)			\
		fail_msg("%s:%d: event %lld %s: %s, want %s", __FILE__, __LINE__, \
		    (long long)(seq), (path), v_ ? v_ : "(null)", (want));	\
	free(v_);							\
} while (0)

/* Every kind of change, in order, each with its event and snapshot. */
static void
test_every_change_logged(void **state)
{
	struct daemon	*d;
	struct conn	*k, *t, *l, *s;
	long long	 at, id;
	cJSON		*r;
	char		*v;

	(void)state;
	/* a no-show after one recall */
	d = daemon_start(&(struct daemon_opts){ .extra_config = "\"max_recalls\":1" });
	k = login(d, "K01");
	t = login(d, "T01");
	l = login(d, "L01");
	s = login(d, "S01");

	/* tickets: diverted, counter; a window; their life */
	cJSON_Delete(issue(k, "cash_withdrawal", 100000, NULL));		/* S001 */
	cJSON_Delete(issue(k, "account_opening", 0, NULL));			/* A001 */
	cJSON_Delete(issue(k, "loan", 0, NULL));				/* A002 */
	cJSON_Delete(issue(k, "cash_deposit", 100000, NULL));			/* S002 */
	EXPECT_KINDS(d, 0, "ticket.issued,ticket.issued,ticket.issued,ticket.issued");
	EXPECT_PAYLOAD(d, 1, "$.ticket.number", "S001");
	EXPECT_PAYLOAD(d, 1, "$.ticket.issue_lane", "self_service");
	EXPECT_PAYLOAD(d, 1, "$.ticket.status", "diverted");
	EXPECT_PAYLOAD(d, 1, "$.ticket.eligible", "1");
	EXPECT_PAYLOAD(d, 1, "$.ticket.amount_fen", "100000");
	EXPECT_PAYLOAD(d, 1, "$.event.terminal", "K01");

	cJSON_Delete(rq_ok(t, "{\"op\":\"window.open\",\"window\":1,"
	    "\"lanes\":[\"counter\",\"express\"]}"));
	EXPECT_KINDS(d, 4, "window.opened");
	EXPECT_PAYLOAD(d, 5, "$.window.number", "1");
	EXPECT_PAYLOAD(d, 5, "$.window.lanes", "counter,express");
	EXPECT_PAYLOAD(d, 5, "$.window.staff", "E1001");

	advance(s, 120);
	cJSON_Delete(rq_ok(t, "{\"op\":\"ticket.call_next\"}"));		/* A001 */
	cJSON_Delete(rq_ok(t, "{\"op\":\"ticket.recall\",\"number\":\"A001\"}"));
	cJSON_Delete(rq_ok(t, "{\"op\":\"ticket.start\",\"number\":\"A001\"}"));
	advance(s, 300);
	cJSON_Delete(rq_ok(t, "{\"op\":\"ticket.complete\",\"number\":\"A001\"}"));
	EXPECT_KINDS(d, 5, "ticket.called,ticket.recalled,ticket.started,ticket.completed");
	/* the snapshot is the ticket after the change: current, not before */
	EXPECT_PAYLOAD(d, 6, "$.ticket.status", "called");
	EXPECT_PAYLOAD(d, 6, "$.ticket.first_called_lane", "counter");
	EXPECT_PAYLOAD(d, 6, "$.event.staff", "E1001");
	EXPECT_PAYLOAD(d, 6, "$.event.window", "1");
	EXPECT_PAYLOAD(d, 7, "$.ticket.recalls", "1");
	EXPECT_PAYLOAD(d, 9, "$.ticket.status", "done");
	v = db_value(d, "SELECT finished_at FROM tickets WHERE number = 'A001'");
	EXPECT_PAYLOAD(d, 9, "$.ticket.finished_at", v);
	free(v);
	v = db_value(d, "SELECT first_called_at FROM tickets WHERE number = 'A001'");
	EXPECT_PAYLOAD(d, 9, "$.ticket.first_called_at", v);
	free(v);

	cJSON_Delete(rq_ok(t, "{\"op\":\"ticket.call_next\"}"));		/* A002 */
	cJSON_Delete(rq_ok(t, "{\"op\":\"ticket.transfer\",\"number\":\"A002\","
	    "\"to_lane\":\"express\"}"));
	cJSON_Delete(rq_ok(t, "{\"op\":\"ticket.call_next\"}"));		/* A002 again */
	cJSON_Delete(rq_ok(t, "{\"op\":\"ticket.recall\",\"number\":\"A002\"}"));
	cJSON_Delete(rq_ok(t, "{\"op\":\"ticket.no_show\",\"number\":\"A002\"}"));
	cJSON_Delete(rq_ok(l, "{\"op\":\"ticket.reroute\",\"number\":\"S001\","
	    "\"to_lane\":\"counter\",\"reason\":\"other\"}"));
	cJSON_Delete(rq_ok(l, "{\"op\":\"ticket.cancel\",\"number\":\"S002\"}"));
	EXPECT_KINDS(d, 9, "ticket.called,ticket.transferred,ticket.called,ticket.recalled,ticket.no_show,"
	    "ticket.rerouted,ticket.cancelled");
	EXPECT_PAYLOAD(d, 11, "$.event.from_lane", "counter");
	EXPECT_PAYLOAD(d, 11, "$.event.to_lane", "express");
	EXPECT_PAYLOAD(d, 15, "$.ticket.lane", "counter");
	EXPECT_PAYLOAD(d, 15, "$.ticket.issue_lane", "self_service");
	EXPECT_PAYLOAD(d, 15, "$.event.reason", "other");

	cJSON_Delete(rq_ok(l, "{\"op\":\"selfservice.set\",\"available\":false}"));
	cJSON_Delete(rq_ok(l, "{\"op\":\"selfservice.set\",\"available\":true}"));
	cJSON_Delete(rq_ok(t, "{\"op\":\"window.pause\"}"));
	cJSON_Delete(rq_ok(t, "{\"op\":\"window.resume\"}"));
	EXPECT_KINDS(d, 16, "selfservice.unavailable,selfservice.available,window.paused,"
	    "window.resumed");
	EXPECT_PAYLOAD(d, 17, "$.available", "0");
	EXPECT_PAYLOAD(d, 17, "$.staff", "E2001");

	/* complaints: the customer masked, no free text */
	r = rq_ok(l, "{\"op\":\"complaint.log\",\"category\":\"wait_time\",\"severity\":2,"
	    "\"description\":\"waited an hour, said Mr Zhang on 13812345678\","
	    "\"channel\":\"lobby\",\"customer\":{\"name\":\"张三丰\","
	    "\"phone\":\"13812345678\"}}");
	id = jint(r, "complaint.id");
	cJSON_Delete(r);
	cJSON_Delete(rq_ok(l, "{\"op\":\"complaint.action\",\"id\":%lld,\"kind\":\"apology\","
	    "\"note\":\"said sorry to 张三丰\"}", id));
	cJSON_Delete(rq_ok(l, "{\"op\":\"complaint.action\",\"id\":%lld,"
	    "\"kind\":\"compensation\",\"note\":\"fee waived\",\"amount_fen\":1500}", id));
	cJSON_Delete(rq_ok(l, "{\"op\":\"complaint.reassign\",\"id\":%lld,"
	    "\"to_staff\":\"E9001\",\"reason\":\"over my authority\"}", id));
	cJSON_Delete(rq_ok(s, "{\"op\":\"complaint.resolve\",\"id\":%lld,"
	    "\"resolution\":\"called 13812345678 back\",\"root_cause\":\"value\"}", id));
	cJSON_Delete(rq_ok(s, "{\"op\":\"followup.record\",\"id\":%lld,"
	    "\"outcome\":\"satisfied\",\"note\":\"ok\"}", id));
	EXPECT_KINDS(d, 20, "complaint.logged,complaint.apology,complaint.compensation,"
	    "complaint.reassigned,complaint.resolved,complaint.followup");
	EXPECT_PAYLOAD(d, 21, "$.complaint.customer_name", "张*");
	EXPECT_PAYLOAD(d, 21, "$.complaint.customer_phone", "138****5678");
	EXPECT_PAYLOAD(d, 21, "$.complaint.state", "open");
	EXPECT_PAYLOAD(d, 21, "$.complaint.first_responder", "E2001");
	EXPECT_PAYLOAD(d, 23, "$.action.amount_fen", "1500");
	EXPECT_PAYLOAD(d, 23, "$.complaint.compensation_fen", "1500");
	EXPECT_PAYLOAD(d, 24, "$.complaint.owner", "E9001");
	EXPECT_PAYLOAD(d, 24, "$.action.to_staff", "E9001");
	EXPECT_PAYLOAD(d, 25, "$.complaint.root_cause", "value");
	EXPECT_PAYLOAD(d, 26, "$.complaint.state", "closed");
	EXPECT_PAYLOAD(d, 26, "$.action.outcome", "satisfied");
	EXPECT_PAYLOAD(d, 26, "$.action.on_time", "1");

	/* a detractor's survey opens a complaint, all in one change */
	cJSON_Delete(rq_ok(k, "{\"op\":\"survey.submit\",\"ticket\":\"A001\",\"score\":2,"
	    "\"reason\":\"rude, I am Li Si 13900001111\"}"));
	EXPECT_KINDS(d, 26, "complaint.logged,survey.submitted");
	EXPECT_PAYLOAD(d, 28, "$.survey.score", "2");
	EXPECT_PAYLOAD(d, 28, "$.survey.business_date", "2026-11-23");
	v = db_value(d, "SELECT json_extract(payload, '$.complaint.id') FROM hq_events "
	    "WHERE seq = 27");
	EXPECT_PAYLOAD(d, 28, "$.survey.complaint_id", v);
	free(v);

	/* the day ends (S001, rerouted, still waits: expired); the survey
	 * complaint's follow-up deadline passes: the daemon flags it, no actor */
	advance(s, DAY + 60);
	EXPECT_KINDS(d, 28, "ticket.expired,complaint.overdue");
	EXPECT_PAYLOAD(d, 29, "$.ticket.closed_by", "day_end");
	EXPECT_PAYLOAD(d, 30, "$.complaint.overdue", "1");
	assert_null(db_value(d, "SELECT json_extract(payload, '$.action.actor') "
	    "FROM hq_events WHERE seq = 30"));
	at = atoll(v = db_value(d, "SELECT follow_up_due FROM complaints WHERE id = "
	    "(SELECT json_extract(payload, '$.complaint.id') FROM hq_events WHERE seq = 30)"));
	free(v);
	v = db_value(d, "SELECT at FROM hq_events WHERE seq = 30");
	assert_true(atoll(v) >= at);
	free(v);

	/* no free text and no whole name or phone anywhere */
	assert_int_equal(db_count(d, "payload LIKE '%13812345678%' OR payload LIKE '%张三丰%' "
	    "OR payload LIKE '%13900001111%' OR payload LIKE '%Li Si%' "
	    "OR payload LIKE '%waited an hour%' OR payload LIKE '%fee waived%' "
	    "OR payload LIKE '%authority%' OR payload LIKE '%back%' OR payload LIKE '%rude%'"), 0);
	/* contiguous, every one valid JSON, times on the daemon clock */
	assert_int_equal(db_count(d, "1"), last_seq(d));
	assert_int_equal(db_count(d, "json_valid(payload) = 0"), 0);
	daemon_stop(d);
}

/* The masks are the reports' own (src/recovery.c): complaint.list's. */
static void
test_customer_masked_as_reports(void **state)
{
	static const char *const phones[] = {
		"13812345678", "+86 138-1234-5678", "1234567", "12-34", "123", NULL
	};
	static const char *const names[] = { "张三丰", "Li Wei", "欧阳", "X", NULL, NULL };
	struct daemon	*d;
	struct conn	*l;
	const cJSON	*list, *c;
	cJSON		*r;
	char		*v;
	int		 i;

	(void)state;
	d = daemon_start(NULL);
	l = login(d, "L01");
	for (i = 0; phones[i] != NULL; i++) {
		if (names[i] != NULL)
			cJSON_Delete(rq_ok(l, "{\"op\":\"complaint.log\",\"category\":\"fees\","
			    "\"severity\":1,\"description\":\"x\",\"channel\":\"counter\","
			    "\"customer\":{\"name\":\"%s\",\"phone\":\"%s\"}}", names[i], phones[i]));
		else
			cJSON_Delete(rq_ok(l, "{\"op\":\"complaint.log\",\"category\":\"fees\","
			    "\"severity\":1,\"description\":\"x\",\"channel\":\"counter\","
			    "\"customer\":{\"phone\":\"%s\"}}", phones[i]));
	}
	cJSON_Delete(rq_ok(l, "{\"op\":\"complaint.log\",\"category\":\"fees\","
	    "\"severity\":1,\"description\":\"x\",\"channel\":\"counter\"}"));
	r = rq_ok(l, "{\"op\":\"complaint.list\",\"status\":\"all\"}");
	list = jget(r, "complaints");
	assert_int_equal(cJSON_GetArraySize(list), i + 1);
	cJSON_ArrayForEach(c, list) {
		long long id = jint(c, "id");

		v = db_value(d, "SELECT json_extract(payload, '$.complaint.customer_phone') "
		    "FROM hq_events WHERE kind = 'complaint.logged' AND "
		    "json_extract(payload, '$.complaint.id') = %lld", id);
		if (jget(c, "customer.phone") == NULL || cJSON_IsNull(jget(c, "customer.phone")))
			assert_null(v);
		else
			assert_string_equal(v, jstr(c, "customer.phone"));
		free(v);
		v = db_value(d, "SELECT json_extract(payload, '$.complaint.customer_name') "
		    "FROM hq_events WHERE kind = 'complaint.logged' AND "
		    "json_extract(payload, '$.complaint.id') = %lld", id);
		if (jget(c, "customer.name") == NULL || cJSON_IsNull(jget(c, "customer.name")))
			assert_null(v);
		else
			assert_string_equal(v, jstr(c, "customer.name"));
		free(v);
	}
	cJSON_Delete(r);
	/* and the masks are the ones the reports document */
	v = db_value(d, "SELECT group_concat(json_extract(payload, '$.complaint.customer_phone') "
	    "|| '/' || coalesce(json_extract(payload, '$.complaint.customer_name'), '-'), ' ') "
	    "FROM hq_events");
	assert_string_equal(v, "138****5678/张* +86**********5678/L* 12***67/欧* ****4/X* **3/-");
	free(v);
	daemon_stop(d);
}

/* A change the database refuses writes no event, and the numbers of those
 * committed stay contiguous. */
static void
test_refused_change_logs_nothing(void **state)
{
	struct daemon	*d;
	struct conn	*k, *s;
	cJSON		*r;

	(void)state;
	d = daemon_start(NULL);
	k = login(d, "K01");
	s = login(d, "S01");
	cJSON_Delete(issue(k, "loan", 0, NULL));
	cJSON_Delete(rq_ok(s, "{\"op\":\"test.fault\",\"fault\":\"disk_full\"}"));
	r = rq(k, "{\"op\":\"ticket.issue\",\"service\":\"loan\"}");
	expect_error(r, "unavailable");
	cJSON_Delete(r);
	cJSON_Delete(rq_ok(s, "{\"op\":\"test.fault\",\"fault\":\"none\"}"));
	cJSON_Delete(issue(k, "loan", 0, NULL));
	EXPECT_KINDS(d, 0, "ticket.issued,ticket.issued");
	assert_int_equal(last_seq(d), 2);
	EXPECT_PAYLOAD(d, 2, "$.ticket.number", "A002");
	daemon_stop(d);
}

/* A number is never used twice, also after the events holding it were
 * deleted (the relay prunes shipped ones). */
static void
test_seq_never_reused(void **state)
{
	struct daemon	*d;
	struct conn	*k;
	char		*v;

	(void)state;
	d = daemon_start(NULL);
	k = login(d, "K01");
	cJSON_Delete(issue(k, "loan", 0, NULL));
	cJSON_Delete(issue(k, "loan", 0, NULL));
	cJSON_Delete(issue(k, "loan", 0, NULL));
	daemon_stop(d);
	db_exec(d, "DELETE FROM hq_events");
	daemon_restart(d);
	k = login(d, "K01");
	cJSON_Delete(issue(k, "loan", 0, NULL));
	v = db_value(d, "SELECT group_concat(seq) FROM hq_events");
	assert_string_equal(v, "4");
	free(v);
	daemon_stop(d);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_every_change_logged, harness_teardown),
		cmocka_unit_test_teardown(test_customer_masked_as_reports, harness_teardown),
		cmocka_unit_test_teardown(test_refused_change_logs_nothing, harness_teardown),
		cmocka_unit_test_teardown(test_seq_never_reused, harness_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
