/*
 * End-to-end: pushed events of version 1.1 (PROTOCOL "Version 1.1: vendor
 * and supervisor", issue 15): one "seq" for everything the daemon
 * publishes, `subscribe` with `since` (replay, reset, a restart), and the
 * privacy of the followups topic, live and replayed.
 *
 * What a subscriber must not hear is checked by order, not by waiting: the
 * stream is in order, so a later event it must hear (a marker) arrives
 * first only if the earlier one was not sent.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

static void
open_window(struct conn *c, int no, const char *lanes)
{
	cJSON_Delete(rq_ok(c, "{\"op\":\"window.open\",\"window\":%d,\"lanes\":%s}", no, lanes));
}

/* subscribe; returns the reply's seq and checks "reset" when since >= 0. */
#define subscribe(c, topics, since, want_reset) \
	h_subscribe(__FILE__, __LINE__, (c), (topics), (since), (want_reset))
static long long
h_subscribe(const char *file, int line, struct conn *c, const char *topics, long long since,
    bool want_reset)
{
	cJSON		*r;
	long long	 seq;

	if (since >= 0)
		r = h_rq_ok(file, line, c, "{\"op\":\"subscribe\",\"topics\":%s,\"since\":%lld}",
		    topics, since);
	else
		r = h_rq_ok(file, line, c, "{\"op\":\"subscribe\",\"topics\":%s}", topics);
	seq = jint(r, "seq");
	h_expect_that(file, line, seq >= 0, r, "subscribe's reply carries seq");
	if (since >= 0)
		h_expect_bool(file, line, r, "reset", want_reset);
	else
		h_expect_that(file, line, jget(r, "reset") == NULL, r, "no reset without since");
	cJSON_Delete(r);
	return seq;
}

/* The next event, which must be `name`; returns its seq and frees it. */
#define expect_event(c, name) h_expect_event(__FILE__, __LINE__, (c), (name), NULL)
#define expect_event_id(c, name, id) h_expect_event(__FILE__, __LINE__, (c), (name), &(id))
static long long
h_expect_event(const char *file, int line, struct conn *c, const char *name,
    const long long *id)
{
	cJSON		*ev = next_event(c, reply_timeout_ms());
	long long	 seq;

	h_expect_that(file, line, ev != NULL, NULL, "no event; %s expected", name);
	h_expect_str(file, line, ev, "event", name);
	if (id != NULL)
		h_expect_int(file, line, ev, "id", *id);
	seq = jint(ev, "seq");
	h_expect_that(file, line, seq > 0, ev, "the event carries seq");
	cJSON_Delete(ev);
	return seq;
}

static long long
log_complaint(struct conn *c)
{
	cJSON		*r = rq_ok(c, "{\"op\":\"complaint.log\",\"category\":\"wait_time\","
	    "\"severity\":2,\"description\":\"waited\",\"channel\":\"counter\"}");
	long long	 id = jint(r, "complaint.id");

	cJSON_Delete(r);
	return id;
}

/* ---- one sequence ---- */

/* Every event, whatever its topic, is the last one's seq + 1; all subscribers
 * see the same numbers. */
static void
test_seq_one_sequence(void **state)
{
	struct daemon	*d = daemon_start(NULL);
	struct conn	*s = login(d, "S01"), *t = login(d, "T01"), *k = login(d, "K01");
	struct conn	*disp = login(d, "D01");
	cJSON		*ev;
	long long	 seq, prev, call_seq = 0, recall_seq = 0;
	int		 calls = 0, logged = 0, queue = 0;

	(void)state;
	seq = subscribe(s, "[\"calls\",\"queue\",\"followups\"]", -1, false);
	/* the lanes follow at once, numbered as the last event published */
	ev = next_event(s, reply_timeout_ms());
	expect_that(ev != NULL, NULL, "no queue.changed after subscribe");
	expect_str(ev, "event", "queue.changed");
	expect_int(ev, "seq", seq);
	cJSON_Delete(ev);
	subscribe(disp, "[\"calls\"]", -1, false);

	cJSON_Delete(issue(k, "loan", 0, NULL));
	cJSON_Delete(issue(k, "loan", 0, NULL));
	open_window(t, 1, "[\"counter\"]");
	cJSON_Delete(rq_ok(t, "{\"op\":\"ticket.call_next\"}"));
	log_complaint(t);
	cJSON_Delete(rq_ok(t, "{\"op\":\"ticket.recall\",\"number\":\"A001\"}"));

	/* the supervisor hears everything: no gap, whatever the topic */
	prev = seq;
	while (calls < 2 || logged < 1) {
		ev = next_event(s, reply_timeout_ms());
		expect_that(ev != NULL, NULL, "events missing: %d calls, %d logged", calls, logged);
		expect_int(ev, "seq", prev + 1);
		prev = jint(ev, "seq");
		if (strcmp(jstr(ev, "event"), "ticket.called") == 0) {
			if (calls++ == 0)
				call_seq = prev;
			else
				recall_seq = prev;
		} else if (strcmp(jstr(ev, "event"), "complaint.logged") == 0)
			logged++;
		else {
			expect_str(ev, "event", "queue.changed");
			queue++;
		}
		cJSON_Delete(ev);
	}
	expect_that(queue >= 1, NULL, "queue.changed is numbered too");
	expect_that(recall_seq > call_seq, NULL, "the recall after the call");
	/* the display hears the same events by the same numbers */
	ev = next_event(disp, reply_timeout_ms());
	expect_int(ev, "seq", call_seq);
	cJSON_Delete(ev);
	ev = next_event(disp, reply_timeout_ms());
	expect_bool(ev, "recall", true);
	expect_int(ev, "seq", recall_seq);
	cJSON_Delete(ev);
	daemon_stop(d);
}

/* ---- the followups topic ---- */

static void
test_followups_privacy(void **state)
{
	struct daemon	*d = daemon_start(NULL);
	struct conn	*t1 = login(d, "T01"), *t2 = login(d, "T02"), *l = login(d, "L01");
	struct conn	*s = login(d, "S01"), *disp = login(d, "D01"), *k = login(d, "K01");
	long long	 c1, c2, c3, c4;
	int		 i;

	(void)state;
	/* a display: forbidden, and its subscription as it was */
	subscribe(disp, "[\"calls\"]", -1, false);
	rq_err(disp, "forbidden", "{\"op\":\"subscribe\",\"topics\":[\"calls\",\"followups\"]}");
	rq_err(disp, "forbidden", "{\"op\":\"subscribe\",\"topics\":[\"followups\"],\"since\":0}");
	subscribe(t1, "[\"followups\"]", -1, false);
	subscribe(t2, "[\"followups\"]", -1, false);
	subscribe(l, "[\"followups\"]", -1, false);
	subscribe(s, "[\"followups\"]", -1, false);

	/* tellers and the lobby manager: their own complaints; supervisors: all */
	c1 = log_complaint(t1);
	c2 = log_complaint(l);
	c3 = log_complaint(t2);
	expect_event_id(t1, "complaint.logged", c1);
	expect_event_id(l, "complaint.logged", c2);
	expect_event_id(t2, "complaint.logged", c3);	/* not c1's first */
	expect_event_id(s, "complaint.logged", c1);
	expect_event_id(s, "complaint.logged", c2);
	expect_event_id(s, "complaint.logged", c3);

	/* reassigned: the new owner hears of it, the first responder still
	 * does, the old owner who is not first responder no longer does */
	cJSON_Delete(rq_ok(l, "{\"op\":\"complaint.reassign\",\"complaint\":%lld,"
	    "\"to_staff\":\"E1002\",\"reason\":\"counter\"}", c2));
	cJSON_Delete(rq_ok(t1, "{\"op\":\"complaint.reassign\",\"complaint\":%lld,"
	    "\"to_staff\":\"E1002\",\"reason\":\"counter\"}", c1));
	cJSON_Delete(rq_ok(t2, "{\"op\":\"followup.record\",\"complaint\":%lld,"
	    "\"outcome\":\"unreachable\",\"note\":\"no answer\"}", c1));
	cJSON_Delete(rq_ok(t2, "{\"op\":\"followup.record\",\"complaint\":%lld,"
	    "\"outcome\":\"unreachable\",\"note\":\"no answer\"}", c2));
	expect_event_id(t1, "followup.recorded", c1);
	expect_event_id(t2, "followup.recorded", c1);
	expect_event_id(t2, "followup.recorded", c2);
	expect_event_id(l, "followup.recorded", c2);	/* first responder */
	expect_event_id(s, "followup.recorded", c1);
	expect_event_id(s, "followup.recorded", c2);
	/* a marker: t1's next event is its own complaint's */
	c4 = log_complaint(t1);
	expect_event_id(t1, "complaint.logged", c4);
	expect_event_id(s, "complaint.logged", c4);

	/* the duty supervisor's survey case: supervisors only */
	cJSON_Delete(issue(k, "loan", 0, NULL));
	open_window(t1, 1, "[\"counter\"]");
	cJSON_Delete(rq_ok(t1, "{\"op\":\"ticket.call_next\"}"));
	cJSON_Delete(rq_ok(t1, "{\"op\":\"ticket.start\",\"number\":\"A001\"}"));
	cJSON_Delete(rq_ok(t1, "{\"op\":\"ticket.complete\",\"number\":\"A001\"}"));
	cJSON_Delete(rq_ok(k, "{\"op\":\"survey.submit\",\"ticket\":\"A001\",\"score\":2}"));
	expect_event(s, "complaint.logged");
	/* overdue: each hears of its own (a day later, in id order) */
	advance(s, 24 * 3600 + 1);
	for (i = 0; i < 5; i++)
		expect_event(s, "followup.overdue");
	expect_event_id(t1, "followup.overdue", c1);
	expect_event_id(t1, "followup.overdue", c4);
	expect_event_id(t2, "followup.overdue", c1);
	expect_event_id(t2, "followup.overdue", c2);
	expect_event_id(t2, "followup.overdue", c3);
	expect_event_id(l, "followup.overdue", c2);
	/* markers: nothing more reached staff (the survey case, the others') */
	c4 = log_complaint(l);
	expect_event_id(l, "complaint.logged", c4);
	c4 = log_complaint(t1);
	expect_event_id(t1, "complaint.logged", c4);
	c4 = log_complaint(t2);
	expect_event_id(t2, "complaint.logged", c4);
	daemon_stop(d);
}

/* ---- since ---- */

static void
test_since_replay(void **state)
{
	struct daemon	*d = daemon_start(NULL);
	struct conn	*t = login(d, "T01"), *k = login(d, "K01"), *disp = login(d, "D01");
	struct conn	*t2 = login(d, "T02");
	cJSON		*ev;
	long long	 first, seen, head, e2, e3, e5, cid, own;

	(void)state;
	cJSON_Delete(issue(k, "loan", 0, NULL));
	cJSON_Delete(issue(k, "loan", 0, NULL));
	open_window(t, 1, "[\"counter\"]");
	first = subscribe(disp, "[\"calls\"]", -1, false);
	cJSON_Delete(rq_ok(t, "{\"op\":\"ticket.call_next\"}"));
	seen = expect_event(disp, "ticket.called");
	expect_that(seen == first + 1, NULL, "the call is the next event");

	/* the display goes away; meanwhile two recalls, a complaint, a new call */
	conn_close(disp);
	cJSON_Delete(rq_ok(t, "{\"op\":\"ticket.recall\",\"number\":\"A001\"}"));
	cJSON_Delete(rq_ok(t, "{\"op\":\"ticket.recall\",\"number\":\"A001\"}"));
	cid = log_complaint(t);
	cJSON_Delete(rq_ok(t, "{\"op\":\"ticket.no_show\",\"number\":\"A001\"}"));
	cJSON_Delete(rq_ok(t, "{\"op\":\"ticket.call_next\"}"));

	/* back with since: what it missed on its topics, in order, then the lanes */
	disp = login(d, "D01");
	head = subscribe(disp, "[\"calls\",\"queue\"]", seen, false);
	e2 = expect_event(disp, "ticket.called");
	e3 = expect_event(disp, "ticket.called");
	e5 = expect_event(disp, "ticket.called");
	expect_that(e2 == seen + 1 && e3 == seen + 2 && e5 == seen + 4, NULL,
	    "replayed %lld %lld %lld after %lld (the complaint between is not its topic)",
	    e2, e3, e5, seen);
	expect_that(e5 == head, NULL, "the reply's seq is the last event (%lld)", head);
	ev = next_event(disp, reply_timeout_ms());
	expect_str(ev, "event", "queue.changed");
	expect_int(ev, "seq", head);
	cJSON_Delete(ev);
	/* then live */
	cJSON_Delete(rq_ok(t, "{\"op\":\"ticket.recall\",\"number\":\"A002\"}"));
	ev = next_event_named(disp, "ticket.called", reply_timeout_ms());
	expect_that(ev != NULL, NULL, "the live call");
	expect_str(ev, "number", "A002");
	expect_that(jint(ev, "seq") > head, ev, "after the replay");
	cJSON_Delete(ev);
	/* the recall's queue.changed: the last event, so nothing is still due */
	ev = next_event_named(disp, "queue.changed", reply_timeout_ms());
	expect_that(ev != NULL, NULL, "the recall's queue.changed");
	head = jint(ev, "seq");
	cJSON_Delete(ev);

	/* since the last event: nothing to replay; since in the future: reset */
	conn_close(disp);
	disp = login(d, "D01");
	expect_that(subscribe(disp, "[\"calls\"]", head, false) == head, NULL, "seq");
	expect_that(subscribe(disp, "[\"calls\"]", head + 1, true) == head, NULL, "seq");
	expect_that(subscribe(disp, "[\"calls\"]", 9007199254740991LL, true) == head, NULL,
	    "seq");
	rq_bad(disp, "since", "{\"op\":\"subscribe\",\"topics\":[\"calls\"],\"since\":-1}");
	rq_bad(disp, "since", "{\"op\":\"subscribe\",\"topics\":[\"calls\"],\"since\":\"3\"}");
	rq_bad(disp, "since", "{\"op\":\"subscribe\",\"topics\":[\"calls\"],\"since\":1.5}");
	cJSON_Delete(rq_ok(t, "{\"op\":\"ticket.recall\",\"number\":\"A002\"}"));
	expect_that(expect_event(disp, "ticket.called") == head + 1, NULL, "live, not replayed");

	/* replays keep complaints private: T02 gets nothing of T01's */
	subscribe(t2, "[\"followups\"]", 0, false);
	own = log_complaint(t2);
	expect_event_id(t2, "complaint.logged", own);
	conn_close(t);
	t = login(d, "T01");
	subscribe(t, "[\"followups\"]", 0, false);
	expect_event_id(t, "complaint.logged", cid);
	daemon_stop(d);
}

/* A subscription read in the same pass as a change (one write, two lines):
 * its replay holds that change's event once, after the reply. */
static void
test_since_same_pass(void **state)
{
	struct daemon	*d = daemon_start(NULL);
	struct conn	*s = login(d, "S01");
	cJSON		*r;
	long long	 head, c1, c2;
	char		 lines[512];
	int		 n;

	(void)state;
	head = subscribe(s, "[]", -1, false);
	n = snprintf(lines, sizeof lines, "{\"op\":\"complaint.log\",\"category\":\"fees\","
	    "\"severity\":1,\"description\":\"x\",\"channel\":\"counter\",\"id\":1}\n"
	    "{\"op\":\"subscribe\",\"topics\":[\"followups\"],\"since\":%lld,\"id\":2}\n", head);
	send_raw(s, lines, (size_t)n);
	r = read_reply(s, reply_timeout_ms());
	expect_ok(r);
	expect_int(r, "id", 1);
	c1 = jint(r, "complaint.id");
	cJSON_Delete(r);
	r = read_reply(s, reply_timeout_ms());
	expect_ok(r);
	expect_int(r, "id", 2);
	expect_bool(r, "reset", false);
	cJSON_Delete(r);
	expect_that(expect_event_id(s, "complaint.logged", c1) == head + 1, NULL, "seq");
	c2 = log_complaint(s);
	expect_that(expect_event_id(s, "complaint.logged", c2) == head + 2, NULL,
	    "the next event is the next complaint's: the first came once");
	daemon_stop(d);
}

/* Older than the last 1,000 events: reset; the oldest held: all 1,000. */
static void
test_since_too_old(void **state)
{
	struct daemon	*d = daemon_start(NULL);
	struct conn	*s = login(d, "S01"), *l = login(d, "S01");
	char		 line[256], *batch;
	cJSON		*r, *ev;
	long long	 id, head, first, prev;
	size_t		 len, n;
	int		 i, j, count;

	(void)state;
	id = log_complaint(s);		/* event 1 */
	n = (size_t)snprintf(line, sizeof line, "{\"op\":\"followup.record\",\"complaint\":%lld,"
	    "\"outcome\":\"unreachable\",\"note\":\"again\"}\n", id);
	batch = malloc(50 * n);
	assert_non_null(batch);
	for (i = 0, len = 0; i < 50; i++, len += n)
		memcpy(batch + len, line, n);
	for (j = 0; j < 21; j++) {	/* 1,050 more */
		send_raw(s, batch, len);
		for (i = 0; i < 50; i++) {
			r = read_reply(s, reply_timeout_ms());
			expect_ok(r);
			cJSON_Delete(r);
		}
	}
	free(batch);
	head = subscribe(l, "[\"followups\"]", -1, false);
	expect_that(head == 1051, NULL, "1,051 events, not %lld", head);
	first = head - 1000 + 1;
	subscribe(l, "[\"followups\"]", 0, true);
	subscribe(l, "[\"followups\"]", first - 2, true);
	subscribe(l, "[\"followups\"]", first - 1, false);
	for (count = 0, prev = first - 1; count < 1000; count++) {
		ev = next_event(l, reply_timeout_ms());
		expect_that(ev != NULL, NULL, "replay ended after %d events", count);
		expect_str(ev, "event", "followup.recorded");
		expect_int(ev, "seq", prev + 1);
		prev = jint(ev, "seq");
		cJSON_Delete(ev);
	}
	log_complaint(s);
	expect_that(expect_event(l, "complaint.logged") == head + 1, NULL, "then live");
	daemon_stop(d);
}

/* A restart (clean or a crash) never numbers an event twice; a `since` from
 * before it is a reset, one after it is replayed. */
static void
seq_across_restart(bool crash)
{
	struct daemon	*d = daemon_start(NULL);
	struct conn	*t = login(d, "T01"), *k = login(d, "K01"), *disp = login(d, "D01");
	long long	 seen, head, next;

	cJSON_Delete(issue(k, "loan", 0, NULL));
	cJSON_Delete(issue(k, "loan", 0, NULL));
	open_window(t, 1, "[\"counter\"]");
	subscribe(disp, "[\"calls\"]", -1, false);
	cJSON_Delete(rq_ok(t, "{\"op\":\"ticket.call_next\"}"));
	seen = expect_event(disp, "ticket.called");
	cJSON_Delete(rq_ok(t, "{\"op\":\"ticket.recall\",\"number\":\"A001\"}"));
	expect_event(disp, "ticket.called");
	if (crash)
		daemon_kill(d);
	else
		daemon_stop(d);
	daemon_restart(d);
	t = login(d, "T01");
	disp = login(d, "D01");
	/* the display saw `seen` and perhaps more: it must reload */
	head = subscribe(disp, "[\"calls\"]", seen, true);
	expect_that(head > seen + 1, NULL, "the new run numbers after the old (%lld, %lld)",
	    head, seen);
	cJSON_Delete(rq_ok(t, "{\"op\":\"ticket.recall\",\"number\":\"A001\"}"));
	next = expect_event(disp, "ticket.called");
	expect_that(next == head + 1, NULL, "one sequence in the new run");
	/* a since of the new run is replayed */
	conn_close(disp);
	disp = login(d, "D01");
	subscribe(disp, "[\"calls\"]", head, false);
	expect_that(expect_event(disp, "ticket.called") == next, NULL, "replayed");
	daemon_stop(d);
}

static void
test_seq_after_restart(void **state)
{
	(void)state;
	seq_across_restart(false);
}

static void
test_seq_after_crash(void **state)
{
	(void)state;
	seq_across_restart(true);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_seq_one_sequence, harness_teardown),
		cmocka_unit_test_teardown(test_followups_privacy, harness_teardown),
		cmocka_unit_test_teardown(test_since_replay, harness_teardown),
		cmocka_unit_test_teardown(test_since_same_pass, harness_teardown),
		cmocka_unit_test_teardown(test_since_too_old, harness_teardown),
		cmocka_unit_test_teardown(test_seq_after_restart, harness_teardown),
		cmocka_unit_test_teardown(test_seq_after_crash, harness_teardown),
	};

	return cmocka_run_group_tests_name("e2e_events", tests, NULL, NULL);
}
