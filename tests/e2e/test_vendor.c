/*
 * End-to-end: what a terminal vendor needs (issue 15, PROTOCOL "Version 1.1:
 * vendor and supervisor"): error.detail on conflicts, diverted_open in
 * queue.snapshot, hello's timezone and business_date, and request_key
 * (safe retries of ticket.issue, complaint.log and survey.submit).
 */
#define _GNU_SOURCE	/* asprintf */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

#define DAY	(24 * 3600)

static void
open_window(struct conn *c, int no, const char *lanes)
{
	cJSON_Delete(rq_ok(c, "{\"op\":\"window.open\",\"window\":%d,\"lanes\":%s}", no, lanes));
}

/* Checks the error's code and that error.detail is exactly `want` (JSON text,
 * or NULL: no detail at all); frees r. */
#define expect_detail(r, code, want) h_expect_detail(__FILE__, __LINE__, (r), (code), (want))
static void
h_expect_detail(const char *file, int line, cJSON *r, const char *code, const char *want)
{
	const cJSON	*detail = jget(r, "error.detail");
	cJSON		*w = want != NULL ? cJSON_Parse(want) : NULL;

	h_expect_error(file, line, r, code);
	if (want == NULL)
		h_expect_that(file, line, detail == NULL, r, "no error.detail expected");
	else
		h_expect_that(file, line, w != NULL && cJSON_IsObject(detail) &&
		    cJSON_Compare(detail, w, true), r, "error.detail should be %s", want);
	cJSON_Delete(w);
	cJSON_Delete(r);
}

/* ---- error.detail ---- */

static void
test_error_detail_tickets(void **state)
{
	struct daemon	*d = daemon_start(NULL);
	struct conn	*k = login(d, "K01"), *t = login(d, "T01"), *t2 = login(d, "T02");
	cJSON		*r;

	(void)state;
	cJSON_Delete(issue(k, "loan", 0, NULL));	/* A001 */
	cJSON_Delete(issue(k, "loan", 0, NULL));	/* A002 */
	open_window(t, 1, "[\"counter\"]");
	cJSON_Delete(rq_ok(t, "{\"op\":\"ticket.call_next\"}"));

	/* PROTOCOL 1.1: no-show before max_recalls, with the counts */
	expect_detail(rq(t, "{\"op\":\"ticket.no_show\",\"number\":\"A001\"}"), "conflict",
	    "{\"recalls\":0,\"max_recalls\":2}");
	cJSON_Delete(rq_ok(t, "{\"op\":\"ticket.recall\",\"number\":\"A001\"}"));
	expect_detail(rq(t, "{\"op\":\"ticket.no_show\",\"number\":\"A001\"}"), "conflict",
	    "{\"recalls\":1,\"max_recalls\":2}");
	cJSON_Delete(rq_ok(t, "{\"op\":\"ticket.recall\",\"number\":\"A001\"}"));
	/* recall past the limit */
	expect_detail(rq(t, "{\"op\":\"ticket.recall\",\"number\":\"A001\"}"), "conflict",
	    "{\"recalls\":2,\"max_recalls\":2}");

	/* the window's current ticket is still called */
	expect_detail(rq(t, "{\"op\":\"ticket.call_next\"}"), "conflict",
	    "{\"window\":1,\"number\":\"A001\",\"status\":\"called\"}");
	expect_detail(rq(t, "{\"op\":\"window.close\"}"), "conflict",
	    "{\"window\":1,\"number\":\"A001\",\"status\":\"called\"}");

	/* a ticket in the wrong state: its status */
	cJSON_Delete(rq_ok(t, "{\"op\":\"ticket.start\",\"number\":\"A001\"}"));
	expect_detail(rq(t, "{\"op\":\"ticket.start\",\"number\":\"A001\"}"), "conflict",
	    "{\"status\":\"serving\"}");
	expect_detail(rq(t, "{\"op\":\"ticket.cancel\",\"number\":\"A001\"}"), "conflict",
	    "{\"status\":\"serving\"}");
	/* not current at the caller's window: where it is */
	expect_detail(rq(t2, "{\"op\":\"ticket.complete\",\"number\":\"A001\"}"), "conflict",
	    "{\"status\":\"serving\",\"window\":1}");
	expect_detail(rq(t, "{\"op\":\"ticket.start\",\"number\":\"A002\"}"), "conflict",
	    "{\"status\":\"waiting\",\"window\":null}");
	/* reroute to the lane it already waits in */
	expect_detail(rq(t, "{\"op\":\"ticket.reroute\",\"number\":\"A002\",\"to_lane\":\"counter\","
	    "\"reason\":\"other\"}"), "conflict", "{\"status\":\"waiting\",\"lane\":\"counter\"}");

	/* a window held by another terminal, and a terminal holding another window */
	expect_detail(rq(t2, "{\"op\":\"window.open\",\"window\":1,\"lanes\":[\"counter\"]}"),
	    "conflict", "{\"window\":1,\"terminal\":\"T01\"}");
	expect_detail(rq(t, "{\"op\":\"window.open\",\"window\":2,\"lanes\":[\"counter\"]}"),
	    "conflict", "{\"window\":1,\"terminal\":\"T01\"}");
	/* pausing twice */
	cJSON_Delete(rq_ok(t, "{\"op\":\"ticket.complete\",\"number\":\"A001\"}"));
	cJSON_Delete(rq_ok(t, "{\"op\":\"window.pause\"}"));
	expect_detail(rq(t, "{\"op\":\"window.pause\"}"), "conflict",
	    "{\"window\":1,\"state\":\"paused\"}");
	expect_detail(rq(t, "{\"op\":\"ticket.call_next\"}"), "conflict",
	    "{\"window\":1,\"state\":\"paused\"}");

	/* errors without facts to give carry no detail */
	expect_detail(rq(t, "{\"op\":\"ticket.start\",\"number\":\"A999\"}"), "not_found", NULL);
	expect_detail(rq(t, "{\"op\":\"ticket.issue\",\"service\":\"loan\"}"), "forbidden", NULL);
	r = rq(k, "{\"op\":\"ticket.issue\",\"service\":\"transfer\"}");
	expect_bad_request(r, "amount_fen");
	expect_that(jget(r, "error.detail") == NULL, r, "bad_request has no detail");
	cJSON_Delete(r);
	daemon_stop(d);
}

static void
test_error_detail_recovery(void **state)
{
	struct daemon	*d = daemon_start(NULL);
	struct conn	*k = login(d, "K01"), *t = login(d, "T01");
	cJSON		*r;
	long long	 id;

	(void)state;
	cJSON_Delete(issue(k, "loan", 0, NULL));	/* A001 */
	cJSON_Delete(issue(k, "loan", 0, NULL));	/* A002 */
	open_window(t, 1, "[\"counter\"]");
	cJSON_Delete(rq_ok(t, "{\"op\":\"ticket.call_next\"}"));
	cJSON_Delete(rq_ok(t, "{\"op\":\"ticket.start\",\"number\":\"A001\"}"));
	cJSON_Delete(rq_ok(t, "{\"op\":\"ticket.complete\",\"number\":\"A001\"}"));

	/* a survey of a ticket not done: its status; answered already: when */
	expect_detail(rq(k, "{\"op\":\"survey.submit\",\"ticket\":\"A002\",\"score\":9}"),
	    "conflict", "{\"status\":\"waiting\"}");
	cJSON_Delete(rq_ok(k, "{\"op\":\"survey.submit\",\"ticket\":\"A001\",\"score\":9}"));
	expect_detail(rq(k, "{\"op\":\"survey.submit\",\"ticket\":\"A001\",\"score\":10}"),
	    "conflict", "{\"answered_at\":\"" H_CLOCK_START "\"}");

	/* a complaint in the wrong state: its state; reassigning to its owner */
	r = rq_ok(t, "{\"op\":\"complaint.log\",\"category\":\"fees\",\"severity\":1,"
	    "\"description\":\"x\",\"channel\":\"counter\"}");
	id = jint(r, "complaint.id");
	cJSON_Delete(r);
	expect_detail(rq(t, "{\"op\":\"complaint.reassign\",\"complaint\":%lld,"
	    "\"to_staff\":\"E1001\",\"reason\":\"x\"}", id), "conflict", "{\"owner\":\"E1001\"}");
	cJSON_Delete(rq_ok(t, "{\"op\":\"followup.record\",\"complaint\":%lld,"
	    "\"outcome\":\"satisfied\",\"note\":\"ok\"}", id));
	expect_detail(rq(t, "{\"op\":\"complaint.resolve\",\"complaint\":%lld,"
	    "\"resolution\":\"x\",\"root_cause\":\"value\"}", id), "conflict",
	    "{\"state\":\"closed\"}");
	daemon_stop(d);
}

/* ---- queue.snapshot: diverted_open ---- */

static long long
diverted_open(struct conn *c)
{
	cJSON		*r = rq_ok(c, "{\"op\":\"queue.snapshot\"}");
	long long	 n = jint(r, "lanes.self_service.diverted_open");

	expect_int(r, "lanes.self_service.waiting", 0);
	expect_that(jget(r, "lanes.counter.diverted_open") == NULL, r,
	    "only the self_service lane carries diverted_open");
	cJSON_Delete(r);
	return n;
}

static void
test_diverted_open(void **state)
{
	struct daemon	*d = daemon_start(NULL);
	struct conn	*k = login(d, "K01"), *l = login(d, "L01"), *s = login(d, "S01");
	struct conn	*disp = login(d, "D01");
	cJSON		*ev;

	(void)state;
	expect_that(diverted_open(k) == 0, NULL, "nothing at the machines yet");
	cJSON_Delete(issue(k, "cash_withdrawal", 100000, NULL));	/* S001 */
	cJSON_Delete(issue(k, "cash_deposit", 100000, NULL));	/* S002 */
	cJSON_Delete(issue(k, "transfer", 100000, NULL));		/* S003 */
	cJSON_Delete(issue(k, "cash_withdrawal", 100000, NULL));	/* S004 */
	cJSON_Delete(issue(k, "loan", 0, NULL));			/* A001: not diverted */
	expect_that(diverted_open(k) == 4, NULL, "four at the machines");

	/* rerouted and cancelled tickets leave the machines */
	cJSON_Delete(rq_ok(l, "{\"op\":\"ticket.reroute\",\"number\":\"S001\","
	    "\"to_lane\":\"counter\",\"reason\":\"customer_declined\"}"));
	cJSON_Delete(rq_ok(l, "{\"op\":\"ticket.cancel\",\"number\":\"S002\"}"));
	expect_that(diverted_open(k) == 2, NULL, "two left after a reroute and a cancel");

	/* queue.changed carries it too (its lanes are the snapshot's) */
	cJSON_Delete(rq_ok(disp, "{\"op\":\"subscribe\",\"topics\":[\"queue\"]}"));
	ev = next_event_named(disp, "queue.changed", reply_timeout_ms());
	expect_that(ev != NULL, NULL, "no queue.changed after subscribe");
	expect_int(ev, "lanes.self_service.diverted_open", 2);
	cJSON_Delete(ev);

	/* a restart counts them from the database */
	daemon_stop(d);
	daemon_restart(d);
	k = login(d, "K01");
	s = login(d, "S01");
	expect_that(diverted_open(k) == 2, NULL, "two after a restart");

	/* the day end expires them */
	advance(s, H_TO_DAY_END);
	expect_that(diverted_open(k) == 0, NULL, "none after the day end");
	cJSON_Delete(issue(k, "cash_withdrawal", 100000, NULL));
	expect_that(diverted_open(k) == 1, NULL, "one of the new day");
	daemon_stop(d);
}

/* ---- hello: the branch's time zone and business date ---- */

static void
test_hello_timezone_date(void **state)
{
	struct daemon	*d = daemon_start(NULL);
	struct conn	*s = login(d, "S01"), *c = conn_open(d);
	cJSON		*r;

	(void)state;
	r = rq_ok(c, "{\"op\":\"hello\",\"terminal\":\"K01\",\"token\":\"tok-K01\"}");
	expect_str(r, "timezone", "Asia/Shanghai");
	expect_str(r, "business_date", "2026-11-23");
	cJSON_Delete(r);
	/* 23:59:59 in the branch is still the same business day; midnight is the next */
	advance(s, H_TO_DAY_END - 1);
	c = conn_open(d);
	r = rq_ok(c, "{\"op\":\"hello\",\"terminal\":\"D01\",\"token\":\"tok-D01\"}");
	expect_str(r, "business_date", "2026-11-23");
	cJSON_Delete(r);
	advance(s, 1);
	c = conn_open(d);
	r = rq_ok(c, "{\"op\":\"hello\",\"terminal\":\"T01\",\"token\":\"tok-T01\"}");
	expect_str(r, "business_date", "2026-11-24");
	expect_str(r, "timezone", "Asia/Shanghai");
	cJSON_Delete(r);
	daemon_stop(d);
}

/* ---- request_key: safe retries ---- */

#define KEYED_LOAN	"{\"op\":\"ticket.issue\",\"service\":\"loan\",\"request_key\":\"%s\"}"

/* ticket.issue with a key: the ticket's number and issued_at ("A001@…"). */
static char *
keyed_issue(struct conn *c, const char *fmt, const char *key)
{
	cJSON	*r = rq_ok(c, fmt, key);
	char	*id;

	if (asprintf(&id, "%s@%s", jstr(r, "ticket.number"), jstr(r, "ticket.issued_at")) < 0)
		id = NULL;
	assert_non_null(id);
	cJSON_Delete(r);
	return id;
}

#define expect_same_str(got, want) do {						\
	char *g_ = (got);							\
	expect_that(strcmp(g_, (want)) == 0, NULL, "%s, not %s", g_, (want));	\
	free(g_);								\
} while (0)

/* The next ticket without a key: which number nothing else took. */
static void
next_number_is(struct conn *k, const char *want)
{
	cJSON	*t = issue(k, "loan", 0, NULL);

	expect_str(t, "number", want);
	cJSON_Delete(t);
}

static void
test_request_key_ticket(void **state)
{
	struct daemon	*d = daemon_start(NULL);
	struct conn	*k = login(d, "K01"), *l = login(d, "L01"), *t = login(d, "T01");
	struct conn	*s = login(d, "S01");
	char		*first, *key64;
	cJSON		*r;

	(void)state;
	first = keyed_issue(k, KEYED_LOAN, "k1");
	expect_that(strncmp(first, "A001@", 5) == 0, NULL, "first: %s", first);
	/* the retry: the same ticket, nothing created */
	expect_same_str(keyed_issue(k, KEYED_LOAN, "k1"), first);
	next_number_is(k, "A002");
	/* the fields are compared as fields: order, 1.0, unknown names */
	expect_same_str(keyed_issue(k, "{\"op\":\"ticket.issue\",\"service\":\"transfer\","
	    "\"amount_fen\":9000000,\"flags\":{\"vip\":true,\"loose_cash\":false},"
	    "\"request_key\":\"%s\"}", "k2"), "A003@" H_CLOCK_START);
	r = rq_ok(k, "{\"request_key\":\"k2\",\"flags\":{\"loose_cash\":false,\"vip\":true},"
	    "\"amount_fen\":9000000.0,\"x\":1,\"service\":\"transfer\",\"op\":\"ticket.issue\"}");
	expect_str(r, "ticket.number", "A003");
	cJSON_Delete(r);

	/* reused with other fields: conflict, and nothing created */
	r = rq(k, "{\"op\":\"ticket.issue\",\"service\":\"cash_withdrawal\",\"amount_fen\":100,"
	    "\"request_key\":\"k1\"}");
	expect_error(r, "conflict");
	expect_that(strstr(jstr(r, "error.message"), "request_key") != NULL, r, "names the field");
	expect_str(r, "error.detail.op", "ticket.issue");
	cJSON_Delete(r);
	r = rq(k, "{\"op\":\"ticket.issue\",\"service\":\"loan\",\"flags\":{\"vip\":true},"
	    "\"request_key\":\"k1\"}");
	expect_error(r, "conflict");
	cJSON_Delete(r);
	next_number_is(k, "A004");

	/* another terminal's key is its own; a key of another op is conflict */
	expect_same_str(keyed_issue(l, KEYED_LOAN, "k1"), "A005@" H_CLOCK_START);
	r = rq(l, "{\"op\":\"complaint.log\",\"category\":\"fees\",\"severity\":1,"
	    "\"description\":\"x\",\"channel\":\"lobby\",\"request_key\":\"k1\"}");
	expect_error(r, "conflict");
	expect_str(r, "error.detail.op", "ticket.issue");
	cJSON_Delete(r);

	/* the retry shows the ticket as it is now (a kiosk reprints its place) */
	cJSON_Delete(rq_ok(t, "{\"op\":\"window.open\",\"window\":1,\"lanes\":[\"counter\"]}"));
	cJSON_Delete(rq_ok(t, "{\"op\":\"ticket.call_next\"}"));
	r = rq_ok(k, KEYED_LOAN, "k1");
	expect_str(r, "ticket.number", "A001");
	expect_str(r, "ticket.status", "called");
	expect_int(r, "ticket.window", 1);
	cJSON_Delete(r);

	/* bad keys: the field named, nothing created */
	rq_bad(k, "request_key", KEYED_LOAN, "");
	rq_bad(k, "request_key", "{\"op\":\"ticket.issue\",\"service\":\"loan\",\"request_key\":7}");
	key64 = malloc(66);
	assert_non_null(key64);
	memset(key64, 'k', 65);
	key64[65] = '\0';
	rq_bad(k, "request_key", KEYED_LOAN, key64);
	key64[64] = '\0';
	expect_same_str(keyed_issue(k, KEYED_LOAN, key64), "A006@" H_CLOCK_START);
	next_number_is(k, "A007");

	/* a restart, clean or not, keeps the keys */
	daemon_stop(d);
	daemon_restart(d);
	k = login(d, "K01");
	expect_same_str(keyed_issue(k, KEYED_LOAN, "k1"), "A001@" H_CLOCK_START);
	daemon_kill(d);
	daemon_restart(d);
	k = login(d, "K01");
	expect_same_str(keyed_issue(k, KEYED_LOAN, key64), "A006@" H_CLOCK_START);
	next_number_is(k, "A008");

	/* the next business day: the key is free again */
	s = login(d, "S01");
	advance(s, H_TO_DAY_END);
	expect_same_str(keyed_issue(k, KEYED_LOAN, "k1"), "A001@2026-11-23T16:00:00Z");
	expect_same_str(keyed_issue(k, KEYED_LOAN, "k1"), "A001@2026-11-23T16:00:00Z");
	next_number_is(k, "A002");
	free(key64);
	free(first);
	daemon_stop(d);
}

/* Two tries read in one pass (one write): one ticket. */
static void
test_request_key_same_pass(void **state)
{
	struct daemon	*d = daemon_start(NULL);
	struct conn	*k = login(d, "K01");
	const char	 two[] = "{\"op\":\"ticket.issue\",\"service\":\"loan\",\"request_key\":\"p\","
	    "\"id\":1}\n{\"op\":\"ticket.issue\",\"service\":\"loan\",\"request_key\":\"p\",\"id\":2}\n";
	cJSON		*r;
	int		 i;

	(void)state;
	send_raw(k, two, sizeof two - 1);
	for (i = 1; i <= 2; i++) {
		r = read_reply(k, reply_timeout_ms());
		expect_ok(r);
		expect_int(r, "id", i);
		expect_str(r, "ticket.number", "A001");
		cJSON_Delete(r);
	}
	next_number_is(k, "A002");
	daemon_stop(d);
}

/* The key is written with the ticket: a write that fails keeps neither. */
static void
test_request_key_failed_write(void **state)
{
	struct daemon	*d = daemon_start(NULL);
	struct conn	*k = login(d, "K01"), *s = login(d, "S01");

	(void)state;
	cJSON_Delete(rq_ok(s, "{\"op\":\"test.fault\",\"fault\":\"io_error\"}"));
	rq_err(k, "unavailable", KEYED_LOAN, "f1");
	cJSON_Delete(rq_ok(s, "{\"op\":\"test.fault\",\"fault\":\"none\"}"));
	expect_same_str(keyed_issue(k, KEYED_LOAN, "f1"), "A001@" H_CLOCK_START);
	expect_same_str(keyed_issue(k, KEYED_LOAN, "f1"), "A001@" H_CLOCK_START);
	next_number_is(k, "A002");
	daemon_stop(d);
}

#define KEYED_COMPLAINT	"{\"op\":\"complaint.log\",\"category\":\"fees\",\"severity\":%d," \
	"\"description\":\"fee not explained\",\"channel\":\"counter\"," \
	"\"customer\":{\"name\":\"张三\",\"phone\":\"13800138000\"},\"request_key\":\"%s\"}"

static void
test_request_key_complaint(void **state)
{
	struct daemon	*d = daemon_start(NULL);
	struct conn	*t = login(d, "T01"), *s = login(d, "S01");
	cJSON		*r, *ev;
	long long	 id, other;

	(void)state;
	cJSON_Delete(rq_ok(s, "{\"op\":\"subscribe\",\"topics\":[\"followups\"]}"));
	r = rq_ok(t, KEYED_COMPLAINT, 2, "c1");
	id = jint(r, "complaint.id");
	cJSON_Delete(r);
	ev = next_event_named(s, "complaint.logged", reply_timeout_ms());
	expect_int(ev, "id", id);
	cJSON_Delete(ev);
	/* the retry: the same complaint, unmasked as the first reply was */
	r = rq_ok(t, KEYED_COMPLAINT, 2, "c1");
	expect_int(r, "complaint.id", id);
	expect_str(r, "complaint.customer.phone", "13800138000");
	cJSON_Delete(r);
	r = rq(t, KEYED_COMPLAINT, 3, "c1");
	expect_error(r, "conflict");
	expect_str(r, "error.detail.op", "complaint.log");
	cJSON_Delete(r);
	/* nothing more was logged: no event, the next id is the next */
	r = rq_ok(t, KEYED_COMPLAINT, 1, "c2");
	other = jint(r, "complaint.id");
	expect_that(other == id + 1, r, "one complaint in between");
	cJSON_Delete(r);
	ev = next_event(s, reply_timeout_ms());
	expect_str(ev, "event", "complaint.logged");
	expect_int(ev, "id", other);
	cJSON_Delete(ev);
	/* reassigned since: the retry still gets it, as it is now */
	cJSON_Delete(rq_ok(t, "{\"op\":\"complaint.reassign\",\"complaint\":%lld,"
	    "\"to_staff\":\"E9001\",\"reason\":\"up\"}", id));
	r = rq_ok(t, KEYED_COMPLAINT, 2, "c1");
	expect_int(r, "complaint.id", id);
	expect_str(r, "complaint.owner", "E9001");
	cJSON_Delete(r);
	/* after a restart */
	daemon_stop(d);
	daemon_restart(d);
	t = login(d, "T01");
	r = rq_ok(t, KEYED_COMPLAINT, 2, "c1");
	expect_int(r, "complaint.id", id);
	cJSON_Delete(r);
	daemon_stop(d);
}

static void
test_request_key_survey(void **state)
{
	struct daemon	*d = daemon_start(NULL);
	struct conn	*k = login(d, "K01"), *t = login(d, "T01");
	cJSON		*r;
	long long	 cid;
	int		 i;

	(void)state;
	for (i = 0; i < 2; i++)
		cJSON_Delete(issue(k, "loan", 0, NULL));
	cJSON_Delete(rq_ok(t, "{\"op\":\"window.open\",\"window\":1,\"lanes\":[\"counter\"]}"));
	for (i = 1; i <= 2; i++) {
		cJSON_Delete(rq_ok(t, "{\"op\":\"ticket.call_next\"}"));
		cJSON_Delete(rq_ok(t, "{\"op\":\"ticket.start\",\"number\":\"A00%d\"}", i));
		cJSON_Delete(rq_ok(t, "{\"op\":\"ticket.complete\",\"number\":\"A00%d\"}", i));
	}
	/* a detractor's answer and its case, then the retry: the same */
	r = rq_ok(k, "{\"op\":\"survey.submit\",\"ticket\":\"A001\",\"score\":3,"
	    "\"reason\":\"slow\",\"request_key\":\"s1\"}");
	expect_bool(r, "survey.detractor", true);
	cid = jint(r, "complaint.id");
	cJSON_Delete(r);
	r = rq_ok(k, "{\"op\":\"survey.submit\",\"ticket\":\"A001\",\"score\":3,"
	    "\"reason\":\"slow\",\"request_key\":\"s1\"}");
	expect_str(r, "survey.ticket", "A001");
	expect_int(r, "survey.score", 3);
	expect_bool(r, "survey.detractor", true);
	expect_int(r, "complaint.id", cid);
	expect_str(r, "complaint.channel", "survey");
	cJSON_Delete(r);
	/* without the key it is the second answer it is */
	rq_err(k, "conflict", "{\"op\":\"survey.submit\",\"ticket\":\"A001\",\"score\":3,"
	    "\"reason\":\"slow\"}");
	/* the key with another score: the key's conflict, not the answer's */
	r = rq(k, "{\"op\":\"survey.submit\",\"ticket\":\"A001\",\"score\":4,"
	    "\"reason\":\"slow\",\"request_key\":\"s1\"}");
	expect_error(r, "conflict");
	expect_str(r, "error.detail.op", "survey.submit");
	cJSON_Delete(r);
	/* a promoter: no case, and its retry says so */
	for (i = 0; i < 2; i++) {
		r = rq_ok(k, "{\"op\":\"survey.submit\",\"ticket\":\"A002\",\"score\":10,"
		    "\"request_key\":\"s2\"}");
		expect_bool(r, "survey.detractor", false);
		expect_null(r, "complaint");
		cJSON_Delete(r);
	}
	/* one case only: the next complaint's id follows it */
	r = rq_ok(t, KEYED_COMPLAINT, 1, "after");
	expect_int(r, "complaint.id", cid + 1);
	cJSON_Delete(r);
	daemon_stop(d);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_error_detail_tickets, harness_teardown),
		cmocka_unit_test_teardown(test_error_detail_recovery, harness_teardown),
		cmocka_unit_test_teardown(test_diverted_open, harness_teardown),
		cmocka_unit_test_teardown(test_hello_timezone_date, harness_teardown),
		cmocka_unit_test_teardown(test_request_key_ticket, harness_teardown),
		cmocka_unit_test_teardown(test_request_key_same_pass, harness_teardown),
		cmocka_unit_test_teardown(test_request_key_failed_write, harness_teardown),
		cmocka_unit_test_teardown(test_request_key_complaint, harness_teardown),
		cmocka_unit_test_teardown(test_request_key_survey, harness_teardown),
	};

	return cmocka_run_group_tests_name("e2e_vendor", tests, NULL, NULL);
}
