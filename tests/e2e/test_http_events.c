/*
 * End-to-end: live events over HTTP (PROTOCOL "HTTP (version 1.1)", "Live
 * events"): GET /api/v1/events as text/event-stream, the same events and
 * numbers as a TCP subscriber's, resuming with Last-Event-ID or since, the
 * reset past the last 1,000, heartbeats, a reader that does not read, the
 * bound on streams, the topics' roles.
 *
 * What a stream must not carry is checked by order, as in test_events.c: a
 * later event it must carry (a marker) comes first only if the earlier one
 * was not sent.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "harness.h"

#define ISSUE_LOAN	"{\"service\":\"loan\"}"
#define EVENTS		"/api/v1/events?topics="

static struct daemon *
start_http(const char *extra_config)
{
	struct daemon_opts	opts = { .http = "127.0.0.1:0", .extra_config = extra_config };

	return daemon_start(&opts);
}

static long long
event_id(const struct sse_event *e)
{
	return e != NULL && e->se_id != NULL ? atoll(e->se_id) : -1;
}

/* subscribe over TCP; returns the reply's seq (the last event published). */
static long long
tcp_subscribe(struct conn *c, const char *topics)
{
	cJSON		*r = rq_ok(c, "{\"op\":\"subscribe\",\"topics\":%s}", topics);
	long long	 seq = jint(r, "seq");

	cJSON_Delete(r);
	return seq;
}

/* The stream is open: 200, text/event-stream. */
#define expect_stream(s)	h_expect_stream(__FILE__, __LINE__, (s))
static void
h_expect_stream(const char *file, int line, const struct sse *s)
{
	h_expect_http_status(file, line, s->ss_resp, 200);
	h_expect_header(file, line, s->ss_resp, "Content-Type", "text/event-stream", true);
	h_expect_security_headers(file, line, s->ss_resp);
}

/* The stream's event and the TCP subscriber's are the same object. */
#define expect_same_event(e, ev)	h_expect_same_event(__FILE__, __LINE__, (e), (ev))
static void
h_expect_same_event(const char *file, int line, const struct sse_event *e, const cJSON *ev)
{
	char	*want;

	if (cJSON_Compare(e->se_json, ev, true))
		return;
	want = jprint(ev);
	print_error("    over TCP: %.900s\n", want);
	free(want);
	h_expect_that(file, line, false, e->se_json, "the stream's event (id %s) differs from "
	    "the TCP subscriber's", e->se_id != NULL ? e->se_id : "none");
}

static void
open_window(struct conn *c, int no)
{
	cJSON_Delete(rq_ok(c, "{\"op\":\"window.open\",\"window\":%d,\"lanes\":[\"counter\"]}",
	    no));
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

/* ---- delivery ---- */

/*
 * A display's stream and a display's TCP subscription, side by side: the
 * same state events first, then the same events with the same numbers,
 * whether the change came over TCP or HTTP.
 */
static void
test_delivery(void **state)
{
	struct daemon		*d = start_http(NULL);
	struct conn		*k = login(d, "K01"), *t = login(d, "T01"), *disp = login(d, "D01");
	struct sse		*s;
	struct sse_event	*e;
	cJSON			*ev;
	long long		 seq;
	const char		*state_id;
	int			 calls = 0;

	(void)state;
	cJSON_Delete(issue(k, "loan", 0, NULL));
	open_window(t, 1);
	seq = tcp_subscribe(disp, "[\"calls\",\"queue\"]");
	s = sse_open(d, EVENTS "calls,queue", .bearer = "D01");
	expect_stream(s);
	/* the state a subscriber starts from, unnumbered */
	e = sse_expect(s, "queue.changed");
	state_id = e->se_id;	/* checked last, so that a failure here hides nothing else */
	ev = next_event(disp, reply_timeout_ms());
	expect_that(ev != NULL, NULL, "no queue.changed after subscribe");
	expect_int(e->se_json, "seq", seq);
	expect_same_event(e, ev);
	cJSON_Delete(ev);

	/* a call over TCP, then one over HTTP, a recall over HTTP, an issue */
	cJSON_Delete(rq_ok(t, "{\"op\":\"ticket.call_next\"}"));
	cJSON_Delete(issue(k, "loan", 0, NULL));
	expect_http_ok(http_op(d, "T01", "ticket.recall", "{\"number\":\"A001\"}"));
	expect_http_ok(http_op(d, "T01", "ticket.start", "{\"number\":\"A001\"}"));
	expect_http_ok(http_op(d, "T01", "ticket.complete", "{\"number\":\"A001\"}"));
	expect_http_ok(http_op(d, "T01", "ticket.call_next", "{}"));
	/* everything the TCP subscriber hears, the stream carries, in order, numbered */
	while (calls < 3) {
		ev = next_event(disp, reply_timeout_ms());
		expect_that(ev != NULL, NULL, "the TCP subscriber heard %d calls of 3", calls);
		e = sse_expect(s, jstr(ev, "event"));
		expect_that(e->se_id != NULL, NULL, "event %s has no id", e->se_name);
		expect_that(event_id(e) > seq, NULL, "id %lld after %lld", event_id(e), seq);
		seq = event_id(e);
		expect_same_event(e, ev);
		if (strcmp(jstr(ev, "event"), "ticket.called") == 0) {
			calls++;
			expect_str(e->se_json, "number", calls < 3 ? "A001" : "A002");
			expect_int(e->se_json, "window", 1);
			expect_bool(e->se_json, "recall", calls == 2);
		}
		cJSON_Delete(ev);
	}
	/* the state is no event: no id, or a reconnecting browser would claim it */
	expect_that(state_id == NULL, NULL, "the state event after connecting has an id: %s",
	    state_id);
	daemon_stop(d);
}

/*
 * A stream starts with its place as an id alone (no event): a browser that
 * reconnects before any event comes resumes from there and misses none.
 */
static void
test_start_id(void **state)
{
	struct daemon		*d = start_http(NULL);
	struct conn		*k = login(d, "K01"), *t = login(d, "T01");
	struct sse		*s;
	struct sse_event	*e;
	long long		 start;

	(void)state;
	cJSON_Delete(issue(k, "loan", 0, NULL));
	open_window(t, 1);
	s = sse_open(d, EVENTS "calls", .bearer = "D01");
	expect_stream(s);
	/* calls has no state: nothing to read but the id */
	expect_that(sse_closed(s, 300) == false, NULL, "the stream closed");
	expect_that(s->ss_last_id >= 0, NULL, "the stream set no id before its first event");
	start = s->ss_last_id;
	sse_close(s);
	/* the browser is away while a call is made; it comes back with its id */
	cJSON_Delete(rq_ok(t, "{\"op\":\"ticket.call_next\"}"));
	s = sse_open(d, EVENTS "calls", .bearer = "D01",
	    .headers = hfmt("Last-Event-ID: %lld\r\n", start));
	expect_stream(s);
	e = sse_expect(s, "ticket.called");
	expect_str(e->se_json, "number", "A001");
	expect_that(event_id(e) > start, NULL, "id %lld after %lld", event_id(e), start);
	daemon_stop(d);
}

/* A stream opened with a session ends with it: at sign-out, at once. */
static void
test_stream_ends_with_session(void **state)
{
	struct daemon	*d = start_http("\"http_heartbeat_s\":1");
	struct hclient	*sup = http_login(d, "S01"), *other = http_login(d, "S01");
	struct sse	*s, *kept;
	struct hresp	*r;

	(void)state;
	s = sse_open(d, EVENTS "followups", .client = sup);
	expect_stream(s);
	kept = sse_open(d, EVENTS "followups", .client = other);
	expect_stream(kept);
	r = http_rq(d, "DELETE", "/api/v1/session", .client = sup);
	expect_http_ok(r);
	expect_that(sse_closed(s, reply_timeout_ms()), NULL, "the signed-out session's stream "
	    "is still open");
	expect_that(daemon_log_contains(d, "reason=signed_out"), NULL, "no signed_out in the log");
	/* the same terminal's other session keeps its stream */
	expect_that(!sse_closed(kept, 1500), NULL, "another session's stream closed");
	sse_close(kept);
	daemon_stop(d);
}

/* One sequence: a supervisor's stream of every topic numbers each event the last + 1. */
static void
test_ids_one_by_one(void **state)
{
	struct daemon		*d = start_http(NULL);
	struct conn		*k = login(d, "K01"), *t = login(d, "T01"), *l = login(d, "L01");
	struct sse		*all, *calls;
	struct sse_event	*e;
	long long		 prev, call_id = 0, recall_id = 0;
	int			 logged = 0, called = 0, i;

	(void)state;
	all = sse_open(d, EVENTS "calls,queue,followups", .bearer = "S01");
	calls = sse_open(d, EVENTS "calls", .client = http_login(d, "D01"));
	expect_stream(all);
	expect_stream(calls);
	e = sse_expect(all, "queue.changed");	/* the state, numbered as the last published */
	prev = jint(e->se_json, "seq");
	for (i = 0; i < 3; i++)
		cJSON_Delete(issue(k, "loan", 0, NULL));
	open_window(t, 2);
	cJSON_Delete(rq_ok(t, "{\"op\":\"ticket.call_next\"}"));
	log_complaint(t);
	log_complaint(l);
	cJSON_Delete(rq_ok(t, "{\"op\":\"ticket.recall\",\"number\":\"A001\"}"));
	while (called < 2 || logged < 2) {
		e = sse_next(all, reply_timeout_ms());
		expect_that(e != NULL, NULL, "events missing: %d calls, %d complaints", called,
		    logged);
		expect_that(e->se_id != NULL && event_id(e) == prev + 1, e->se_json,
		    "id %s after %lld", e->se_id != NULL ? e->se_id : "(none)", prev);
		expect_int(e->se_json, "seq", prev + 1);
		prev = event_id(e);
		if (strcmp(e->se_name, "ticket.called") == 0) {
			if (called++ == 0)
				call_id = prev;
			else
				recall_id = prev;
		} else if (strcmp(e->se_name, "complaint.logged") == 0)
			logged++;
	}
	/* the display's stream: the same numbers */
	e = sse_expect(calls, "ticket.called");
	expect_that(event_id(e) == call_id, NULL, "the display's call is %s, the supervisor's "
	    "%lld", e->se_id, call_id);
	e = sse_expect(calls, "ticket.called");
	expect_that(event_id(e) == recall_id, NULL, "the display's recall is %s, the "
	    "supervisor's %lld", e->se_id, recall_id);
	daemon_stop(d);
}

/* ---- resuming ---- */

static void
test_resume(void **state)
{
	struct daemon		*d = start_http(NULL);
	struct conn		*k = login(d, "K01"), *t = login(d, "T01"), *sup = login(d, "S01");
	struct sse		*s;
	struct sse_event	*e;
	cJSON			*missed[3], *ev;
	long long		 seen;
	int			 i, how;

	(void)state;
	for (i = 0; i < 3; i++)
		cJSON_Delete(issue(k, "loan", 0, NULL));
	open_window(t, 1);
	tcp_subscribe(sup, "[\"calls\"]");
	s = sse_open(d, EVENTS "calls", .bearer = "D01");
	cJSON_Delete(rq_ok(t, "{\"op\":\"ticket.call_next\"}"));
	seen = event_id(sse_expect(s, "ticket.called"));
	cJSON_Delete(next_event_named(sup, "ticket.called", reply_timeout_ms()));
	sse_close(s);
	/* away: two recalls, a complaint (another topic), a no-show, a new call */
	cJSON_Delete(rq_ok(t, "{\"op\":\"ticket.recall\",\"number\":\"A001\"}"));
	cJSON_Delete(rq_ok(t, "{\"op\":\"ticket.recall\",\"number\":\"A001\"}"));
	log_complaint(t);
	cJSON_Delete(rq_ok(t, "{\"op\":\"ticket.no_show\",\"number\":\"A001\"}"));
	cJSON_Delete(rq_ok(t, "{\"op\":\"ticket.call_next\"}"));
	for (i = 0; i < 3; i++) {
		missed[i] = next_event_named(sup, "ticket.called", reply_timeout_ms());
		expect_that(missed[i] != NULL, NULL, "the TCP subscriber heard %d calls of 3", i);
	}
	/* back with Last-Event-ID, or with ?since: the three, in order */
	for (how = 0; how < 2; how++) {
		if (how == 0)
			s = sse_open(d, EVENTS "calls", .bearer = "D01",
			    .headers = hfmt("Last-Event-ID: %lld\r\n", seen));
		else
			s = sse_open(d, hfmt(EVENTS "calls&since=%lld", seen), .bearer = "D01");
		expect_stream(s);
		for (i = 0; i < 3; i++) {
			e = sse_expect(s, "ticket.called");
			expect_that(e->se_id != NULL, NULL, "a replayed event has no id");
			expect_same_event(e, missed[i]);
		}
		sse_close(s);
	}
	/* from the middle: the last two, then live */
	s = sse_open(d, EVENTS "calls", .bearer = "D01",
	    .headers = hfmt("Last-Event-ID: %lld\r\n", jint(missed[0], "seq")));
	expect_same_event(sse_expect(s, "ticket.called"), missed[1]);
	expect_same_event(sse_expect(s, "ticket.called"), missed[2]);
	cJSON_Delete(rq_ok(t, "{\"op\":\"ticket.recall\",\"number\":\"A002\"}"));
	ev = next_event_named(sup, "ticket.called", reply_timeout_ms());
	expect_same_event(sse_expect(s, "ticket.called"), ev);
	cJSON_Delete(ev);
	sse_close(s);
	/* an id the daemon never gave: a reset or the next live event, never a hang */
	s = sse_open(d, EVENTS "calls", .bearer = "D01",
	    .headers = hfmt("Last-Event-ID: %lld\r\n", seen + 1000000));
	cJSON_Delete(rq_ok(t, "{\"op\":\"ticket.recall\",\"number\":\"A002\"}"));
	ev = next_event_named(sup, "ticket.called", reply_timeout_ms());
	e = sse_next(s, reply_timeout_ms());
	expect_that(e != NULL, NULL, "no event after a Last-Event-ID from the future");
	expect_that(strcmp(e->se_name, "reset") == 0 || cJSON_Compare(e->se_json, ev, true),
	    e->se_json, "after a Last-Event-ID ahead of the daemon: a reset or the next event");
	cJSON_Delete(ev);
	/* a malformed one is refused */
	expect_http_bad_request(sse_open(d, EVENTS "calls", .bearer = "D01",
	    .headers = "Last-Event-ID: abc\r\n")->ss_resp, NULL);
	for (i = 0; i < 3; i++)
		cJSON_Delete(missed[i]);
	daemon_stop(d);
}

/*
 * Past the last 1,000: a reset first, carrying the current seq; exactly
 * 1,000 back: all of them (the ring of TCP's since).
 */
static void
test_reset_past_1000(void **state)
{
	struct daemon		*d = start_http(NULL);
	struct conn		*s = login(d, "S01"), *l = login(d, "S01");
	struct sse		*st;
	struct sse_event	*e;
	char			 line[256], *batch;
	long long		 id, head, prev;
	size_t			 len, n;
	int			 i, j;

	(void)state;
	id = log_complaint(s);
	n = (size_t)snprintf(line, sizeof line, "{\"op\":\"followup.record\",\"complaint\":%lld,"
	    "\"outcome\":\"unreachable\",\"note\":\"again\"}\n", id);
	batch = malloc(50 * n);
	assert_non_null(batch);
	for (i = 0, len = 0; i < 50; i++, len += n)
		memcpy(batch + len, line, n);
	for (j = 0; j < 21; j++) {	/* 1,050 more events */
		send_raw(s, batch, len);
		for (i = 0; i < 50; i++) {
			cJSON	*r = read_reply(s, reply_timeout_ms());

			expect_ok(r);
			cJSON_Delete(r);
		}
	}
	free(batch);
	head = tcp_subscribe(l, "[\"followups\"]");
	expect_that(head > 1050, NULL, "%lld events published, more than 1,050 expected", head);

	/* 1,001 back: reset, then live */
	st = sse_open(d, EVENTS "followups", .bearer = "S01",
	    .headers = hfmt("Last-Event-ID: %lld\r\n", head - 1001));
	expect_stream(st);
	e = sse_expect(st, "reset");
	expect_int(e->se_json, "seq", head);
	log_complaint(s);
	e = sse_expect(st, "complaint.logged");
	expect_that(event_id(e) == head + 1, NULL, "after the reset, live: id %s, %lld expected",
	    e->se_id, head + 1);
	head++;
	sse_close(st);
	/* from 0, with since: a reset too */
	st = sse_open(d, EVENTS "followups&since=0", .bearer = "S01");
	e = sse_expect(st, "reset");
	expect_int(e->se_json, "seq", head);
	sse_close(st);
	/* 1,000 back: every one of them, numbered one by one, then live */
	st = sse_open(d, EVENTS "followups", .bearer = "S01",
	    .headers = hfmt("Last-Event-ID: %lld\r\n", head - 1000));
	for (i = 0, prev = head - 1000; i < 1000; i++) {
		e = sse_next(st, reply_timeout_ms());
		expect_that(e != NULL, NULL, "the replay ended after %d of 1,000 events", i);
		expect_that(strcmp(e->se_name, "reset") != 0, e->se_json,
		    "a reset for an id among the last 1,000");
		expect_that(event_id(e) == prev + 1, e->se_json, "id %s after %lld", e->se_id, prev);
		prev = event_id(e);
	}
	log_complaint(s);
	e = sse_expect(st, "complaint.logged");
	expect_that(event_id(e) == head + 1, NULL, "then live: id %s", e->se_id);
	daemon_stop(d);
}

/* ---- keeping it open ---- */

static void
test_heartbeat(void **state)
{
	struct daemon		*d = start_http("\"http_heartbeat_s\":1");
	struct conn		*k = login(d, "K01"), *t = login(d, "T01");
	struct sse		*s;
	int			 i;

	(void)state;
	s = sse_open(d, EVENTS "calls", .bearer = "D01");
	expect_stream(s);
	/* comment lines keep coming while nothing happens (1 s apart; 20 s allowed for 3) */
	for (i = 0; i < 3; i++)
		expect_that(sse_wait_comment(s, 20000), NULL, "heartbeat %d of 3 did not come", i);
	/* and the stream is still a stream */
	cJSON_Delete(issue(k, "loan", 0, NULL));
	open_window(t, 1);
	cJSON_Delete(rq_ok(t, "{\"op\":\"ticket.call_next\"}"));
	sse_expect(s, "ticket.called");
	expect_that(sse_wait_comment(s, 20000), NULL, "no heartbeat after an event");
	daemon_stop(d);
}

/*
 * A reader that stops reading is cut off once 1 MiB is waiting for it;
 * everyone else is served on, and a new stream works.
 */
static void
test_slow_reader_cut(void **state)
{
	struct daemon	*d = start_http("\"max_recalls\":10");
	struct conn	*k = login(d, "K01"), *t = login(d, "T01"), *reader = login(d, "L01");
	struct sse	*slow, *fresh;
	struct sse_event *e;
	cJSON		*r, *ev;
	char		*batch, *text;
	size_t		 n, bytes = 0, cap = 64 * 1024;
	int		 round, i, ticket = 0, events = 0, got = 0;
	bool		 logged = false;

	(void)state;
	slow = sse_open(d, EVENTS "calls", .bearer = "D01", .rcvbuf = 4096);
	expect_stream(slow);
	tcp_subscribe(reader, "[\"calls\"]");
	open_window(t, 1);
	batch = malloc(cap);
	assert_non_null(batch);
	/* each round: a ticket called and recalled ten times, eleven events; up to
	 * 8 MiB of them (over the 1 MiB, whatever the kernels buffer) */
	for (round = 0; bytes < 8u * 1024 * 1024 && !logged; round++) {
		cJSON_Delete(issue(k, "loan", 0, NULL));
		ticket++;
		n = (size_t)snprintf(batch, cap, "{\"op\":\"ticket.call_next\"}\n");
		for (i = 0; i < 10; i++)
			n += (size_t)snprintf(batch + n, cap - n,
			    "{\"op\":\"ticket.recall\",\"number\":\"A%03d\"}\n", ticket);
		n += (size_t)snprintf(batch + n, cap - n,
		    "{\"op\":\"ticket.no_show\",\"number\":\"A%03d\"}\n", ticket);
		send_raw(t, batch, n);
		for (i = 0; i < 12; i++) {
			r = read_reply(t, reply_timeout_ms());
			expect_that(r != NULL, NULL, "no reply from the teller's batch");
			expect_ok(r);
			cJSON_Delete(r);
		}
		events += 11;
		/* the TCP reader keeps up, and measures what was published */
		while ((ev = next_event(reader, 0)) != NULL) {
			text = jprint(ev);
			bytes += strlen(text);
			free(text);
			cJSON_Delete(ev);
		}
		logged = round % 20 == 0 && daemon_log_contains(d, "slow");
	}
	free(batch);
	/* the slow reader gets what was written before its end, then the end */
	while ((e = sse_next(slow, reply_timeout_ms())) != NULL)
		got++;
	expect_that(slow->ss_raw->hw_eof, NULL, "a stream %zu bytes behind (%d events, %d read) "
	    "was not cut off", bytes, events, got);
	expect_that(got < events, NULL, "the cut reader got all %d events", events);
	/* everyone else is served */
	cJSON_Delete(issue(k, "loan", 0, NULL));
	drain_events(reader, 100);
	fresh = sse_open(d, EVENTS "calls", .bearer = "D01");
	expect_stream(fresh);
	cJSON_Delete(rq_ok(t, "{\"op\":\"ticket.call_next\"}"));
	ev = next_event_named(reader, "ticket.called", reply_timeout_ms());
	expect_that(ev != NULL, NULL, "the TCP reader got no event after the cut");
	expect_same_event(sse_expect(fresh, "ticket.called"), ev);
	cJSON_Delete(ev);
	expect_http_ok(http_rq(d, "GET", "/healthz"));
	daemon_stop(d);
}

/* At most http_max_streams streams; one more is 503 until one ends. */
static void
test_stream_bound(void **state)
{
	struct daemon	*d = start_http("\"http_max_streams\":3");
	struct conn	*k = login(d, "K01"), *t = login(d, "T01");
	struct sse	*s[3], *more;
	struct timespec	 pause = { 0, 50 * 1000000L };
	int		 i;

	(void)state;
	for (i = 0; i < 3; i++) {
		s[i] = sse_open(d, EVENTS "calls", .bearer = "D01");
		expect_stream(s[i]);
	}
	more = sse_open(d, EVENTS "calls", .bearer = "D01");
	expect_http_error(more->ss_resp, 503, "unavailable");
	expect_security_headers(more->ss_resp);
	/* the rest of the daemon is not bounded by it */
	expect_http_ok(http_rq(d, "GET", "/healthz"));
	expect_http_ok(http_op(d, "K01", "ticket.issue", ISSUE_LOAN));
	/* one ends: a new one is taken (once the daemon has seen the end: 10 s at most) */
	sse_close(s[0]);
	for (i = 0; i < 200; i++) {
		more = sse_open(d, EVENTS "calls", .bearer = "D01");
		if (more->ss_resp->hr_status != 503)
			break;
		nanosleep(&pause, NULL);
	}
	expect_stream(more);
	/* and the streams still open carry events */
	open_window(t, 1);
	cJSON_Delete(issue(k, "loan", 0, NULL));
	cJSON_Delete(rq_ok(t, "{\"op\":\"ticket.call_next\"}"));
	sse_expect(s[1], "ticket.called");
	sse_expect(s[2], "ticket.called");
	sse_expect(more, "ticket.called");
	daemon_stop(d);
}

/* ---- topics and who may hear them ---- */

static void
test_topics_and_roles(void **state)
{
	struct daemon	*d = start_http(NULL);
	struct conn	*t1 = login(d, "T01"), *t2 = login(d, "T02");
	struct sse	*s, *mine;
	long long	 c1;

	(void)state;
	/* who may */
	expect_http_error(sse_open(d, EVENTS "followups", .bearer = "D01")->ss_resp, 403,
	    "forbidden");
	expect_http_error(sse_open(d, EVENTS "calls,followups", .bearer = "D01")->ss_resp, 403,
	    "forbidden");
	expect_http_error(sse_open(d, EVENTS "calls", .bearer = "K01")->ss_resp, 403,
	    "forbidden");
	expect_stream(sse_open(d, EVENTS "calls,queue", .bearer = "D01"));
	expect_stream(sse_open(d, EVENTS "calls%2Cqueue", .bearer = "D01"));	/* URLSearchParams' */
	expect_stream(sse_open(d, EVENTS "calls,queue,followups", .bearer = "T01"));
	expect_stream(sse_open(d, EVENTS "queue,followups", .bearer = "L01"));
	expect_stream(sse_open(d, EVENTS "followups", .client = http_login(d, "S01")));
	/* what is asked */
	expect_http_bad_request(sse_open(d, EVENTS "calls,weather", .bearer = "D01")->ss_resp,
	    "topics");
	expect_http_bad_request(sse_open(d, "/api/v1/events", .bearer = "D01")->ss_resp,
	    "topics");
	/* who asks */
	expect_http_error(sse_open(d, EVENTS "calls")->ss_resp, 401, "unauthenticated");
	expect_http_error(sse_open(d, EVENTS "calls", .auth = "Bearer D01:tok-K01")->ss_resp,
	    401, "unauthenticated");
	expect_http_error(sse_open(d, EVENTS "calls", .bearer = "D01", .host = "evil.example")
	    ->ss_resp, 403, "forbidden");

	/* a teller hears of its own complaints only (a marker after another's) */
	s = sse_open(d, EVENTS "followups", .bearer = "T01");
	mine = sse_open(d, EVENTS "followups", .bearer = "T02");
	log_complaint(t2);
	c1 = log_complaint(t1);
	expect_int(sse_expect(s, "complaint.logged")->se_json, "id", c1);
	expect_int(sse_expect(mine, "complaint.logged")->se_json, "id", c1 - 1);
	daemon_stop(d);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_delivery, harness_teardown),
		cmocka_unit_test_teardown(test_start_id, harness_teardown),
		cmocka_unit_test_teardown(test_stream_ends_with_session, harness_teardown),
		cmocka_unit_test_teardown(test_ids_one_by_one, harness_teardown),
		cmocka_unit_test_teardown(test_resume, harness_teardown),
		cmocka_unit_test_teardown(test_reset_past_1000, harness_teardown),
		cmocka_unit_test_teardown(test_heartbeat, harness_teardown),
		cmocka_unit_test_teardown(test_slow_reader_cut, harness_teardown),
		cmocka_unit_test_teardown(test_stream_bound, harness_teardown),
		cmocka_unit_test_teardown(test_topics_and_roles, harness_teardown),
	};

	return cmocka_run_group_tests_name("e2e_http_events", tests, NULL, NULL);
}
