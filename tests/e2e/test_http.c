/*
 * End-to-end: the HTTP listener (PROTOCOL "HTTP (version 1.1)", issue 16):
 * every operation over POST /api/v1/op/NAME, with a bearer and with a
 * session cookie, answered as over TCP; HTTP statuses and the error shape;
 * the Host and Origin rules; the headers on every response; the limits
 * (body, headers, time); methods, HEAD and OPTIONS; the built-in files;
 * /healthz on the fault VFS; commit before reply.
 *
 * Sessions are in test_http_session.c, the event stream in
 * test_http_events.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <unistd.h>

#include "harness.h"

#define TODAY		"2026-11-23"	/* the business date at H_CLOCK_START */
#define ISSUE_LOAN	"{\"service\":\"loan\"}"

static struct daemon *
start_http(const char *extra_config)
{
	struct daemon_opts	opts = { .http = "127.0.0.1:0", .extra_config = extra_config };

	return daemon_start(&opts);
}

/* The HTTP status PROTOCOL gives an outcome ("ok" or an error code). */
static long
status_of(const char *outcome)
{
	static const struct { const char *code; long status; } map[] = {
		{ "ok", 200 }, { "bad_json", 400 }, { "bad_request", 400 },
		{ "unauthenticated", 401 }, { "forbidden", 403 }, { "over_authority", 403 },
		{ "not_found", 404 }, { "unknown_op", 404 }, { "conflict", 409 },
		{ "unavailable", 503 }, { "internal", 500 },
	};
	size_t	i;

	for (i = 0; i < sizeof map / sizeof map[0]; i++)
		if (strcmp(map[i].code, outcome) == 0)
			return map[i].status;
	fail_msg("no status for %s", outcome);
	return 0;
}

static void
no_ticket(struct daemon *d, const char *number)
{
	char	*status = db_ticket_status(d, TODAY, number);

	expect_that(status == NULL, NULL, "ticket %s is in the database (%s): nothing should "
	    "have been issued", number, status != NULL ? status : "");
	free(status);
}

static void
ticket_in_db(struct daemon *d, const char *number, const char *want)
{
	char	*status = db_ticket_status(d, TODAY, number);

	expect_that(status != NULL && strcmp(status, want) == 0, NULL,
	    "ticket %s in the database file: %s, expected %s", number,
	    status != NULL ? status : "(no row)", want);
	free(status);
}

/* Whether the response's Allow names the method. */
static bool
allows(const struct hresp *r, const char *method)
{
	const char	*allow = hresp_header(r, "Allow"), *p;
	size_t		 n = strlen(method);

	for (p = allow; p != NULL && (p = strstr(p, method)) != NULL; p += n)
		if ((p == allow || p[-1] == ' ' || p[-1] == ',') &&
		    (p[n] == '\0' || p[n] == ',' || p[n] == ' '))
			return true;
	return false;
}

/* ---- every operation, as over TCP ---- */

/*
 * A day of a branch, op by op, every family: tickets, windows, the queue,
 * complaints, follow-ups, surveys, reports, webhooks, the test clock; the
 * refusals too.  Run over TCP on one daemon and over HTTP on another, the
 * replies must be the same object (the test clock stands still, so times
 * agree) with the status PROTOCOL gives the outcome.
 */
static const struct step {
	const char	*who, *op, *body, *outcome;
} day[] = {
	{ "K01", "ticket.issue", "{\"service\":\"cash_deposit\",\"amount_fen\":10000}", "ok" },
	{ "K01", "ticket.issue", ISSUE_LOAN, "ok" },
	{ "K01", "ticket.issue", ISSUE_LOAN, "ok" },
	{ "K01", "ticket.issue", "{\"service\":\"card_services\",\"flags\":{\"vip\":true}}", "ok" },
	{ "K01", "ticket.issue", "{\"service\":\"loan\",\"request_key\":\"k-1\"}", "ok" },
	{ "K01", "ticket.issue", "{\"service\":\"loan\",\"request_key\":\"k-1\"}", "ok" },
	{ "K01", "ticket.issue", "{\"service\":\"nope\"}", "bad_request" },
	{ "K01", "ticket.status", "{\"number\":\"A001\"}", "ok" },
	{ "K01", "ticket.status", "{\"number\":\"A999\"}", "not_found" },
	{ "K01", "ticket.status", "{\"number\":\"x\"}", "bad_request" },
	{ "K01", "queue.snapshot", "{}", "ok" },
	{ "K01", "window.open", "{\"window\":2,\"lanes\":[\"counter\"]}", "forbidden" },
	{ "K01", "ticket.nonsense", "{}", "unknown_op" },
	{ "D01", "queue.snapshot", "{}", "ok" },
	{ "D01", "ticket.issue", ISSUE_LOAN, "forbidden" },
	{ "L01", "ticket.reroute", "{\"number\":\"S001\",\"to_lane\":\"counter\","
	    "\"reason\":\"customer_declined\"}", "ok" },
	{ "L01", "ticket.cancel", "{\"number\":\"A002\"}", "ok" },
	{ "L01", "ticket.cancel", "{\"number\":\"A002\"}", "conflict" },
	{ "L01", "selfservice.set", "{\"available\":false}", "ok" },
	{ "L01", "ticket.issue", "{\"service\":\"cash_deposit\",\"amount_fen\":5000}", "ok" },
	{ "L01", "selfservice.set", "{\"available\":true}", "ok" },
	{ "T01", "window.open", "{\"window\":1,\"lanes\":[\"counter\",\"vip\"]}", "ok" },
	{ "T02", "window.open", "{\"window\":1,\"lanes\":[\"counter\"]}", "conflict" },
	{ "T01", "window.pause", "{}", "ok" },
	{ "T01", "window.resume", "{}", "ok" },
	{ "T01", "ticket.start", "{\"number\":\"A001\"}", "conflict" },
	{ "T01", "ticket.call_next", "{}", "ok" },
	{ "T01", "ticket.start", "{\"number\":\"S001\"}", "ok" },
	{ "T01", "ticket.complete", "{\"number\":\"S001\"}", "ok" },
	{ "T01", "ticket.call_next", "{}", "ok" },
	{ "T01", "ticket.no_show", "{\"number\":\"A001\"}", "conflict" },
	{ "T01", "ticket.recall", "{\"number\":\"A001\"}", "ok" },
	{ "T01", "ticket.recall", "{\"number\":\"A001\"}", "ok" },
	{ "T01", "ticket.recall", "{\"number\":\"A001\"}", "conflict" },
	{ "T01", "ticket.no_show", "{\"number\":\"A001\"}", "ok" },
	{ "T01", "ticket.call_next", "{}", "ok" },
	{ "T01", "ticket.transfer", "{\"number\":\"A003\",\"to_lane\":\"express\"}", "ok" },
	{ "T01", "window.close", "{}", "ok" },
	{ "T01", "ticket.call_next", "{}", "conflict" },
	{ "K01", "survey.submit", "{\"ticket\":\"S001\",\"score\":3,\"reason\":\"slow\"}", "ok" },
	{ "K01", "survey.submit", "{\"ticket\":\"S001\",\"score\":9}", "conflict" },
	{ "T01", "complaint.log", "{\"category\":\"fees\",\"severity\":2,\"description\":"
	    "\"charged twice\",\"channel\":\"counter\",\"customer\":{\"name\":\"Wang\","
	    "\"phone\":\"13812345678\"}}", "ok" },
	{ "T01", "complaint.get", "{\"complaint\":2}", "ok" },
	{ "T01", "complaint.action", "{\"complaint\":2,\"kind\":\"apology\",\"note\":\"sorry\"}",
	    "ok" },
	{ "T01", "complaint.action", "{\"complaint\":2,\"kind\":\"compensation\","
	    "\"note\":\"fee back\",\"amount_fen\":30000}", "over_authority" },
	{ "T01", "complaint.action", "{\"complaint\":2,\"kind\":\"compensation\","
	    "\"note\":\"fee back\",\"amount_fen\":5000}", "ok" },
	{ "T01", "complaint.reassign", "{\"complaint\":2,\"to_staff\":\"E1002\","
	    "\"reason\":\"shift\"}", "ok" },
	{ "T01", "complaint.resolve", "{\"complaint\":2,\"resolution\":\"refunded\","
	    "\"root_cause\":\"system\"}", "forbidden" },
	{ "T02", "complaint.resolve", "{\"complaint\":2,\"resolution\":\"refunded\","
	    "\"root_cause\":\"system\"}", "ok" },
	{ "T02", "followup.record", "{\"complaint\":2,\"outcome\":\"satisfied\",\"note\":\"ok\"}",
	    "ok" },
	{ "T02", "complaint.get", "{\"complaint\":1}", "forbidden" },
	{ "T02", "complaint.get", "{\"complaint\":99}", "not_found" },
	{ "L01", "complaint.log", "{\"category\":\"wait_time\",\"severity\":1,"
	    "\"description\":\"long wait\",\"channel\":\"lobby\"}", "ok" },
	{ "L01", "followup.record", "{\"complaint\":3,\"outcome\":\"unreachable\","
	    "\"note\":\"no answer\"}", "ok" },
	{ "T01", "report.summary", "{\"from\":\"" TODAY "\",\"to\":\"" TODAY "\"}", "forbidden" },
	{ "S01", "report.followups", "{\"status\":\"all\"}", "ok" },
	{ "S01", "report.summary", "{\"from\":\"" TODAY "\",\"to\":\"" TODAY "\","
	    "\"group\":\"half_hour\"}", "ok" },
	{ "S01", "report.compensation", "{\"from\":\"" TODAY "\",\"to\":\"" TODAY "\"}", "ok" },
	{ "S01", "report.summary", "{\"from\":\"" TODAY "\"}", "bad_request" },
	{ "S01", "webhook.deliveries", "{\"state\":\"all\"}", "ok" },
	{ "S01", "webhook.retry", "{\"delivery\":1}", "not_found" },
	{ "S01", "clock.advance", "{\"seconds\":90000}", "ok" },
	{ "S01", "report.followups", "{\"status\":\"overdue\"}", "ok" },
	{ "S01", "ping", "{}", "ok" },
	{ "K01", "ticket.status", "{\"number\":\"A003\"}", "not_found" },
};

static const char *const terminals[] = { "K01", "D01", "T01", "T02", "L01", "S01" };

static size_t
terminal_index(const char *who)
{
	size_t	i;

	for (i = 0; i < sizeof terminals / sizeof terminals[0]; i++)
		if (strcmp(terminals[i], who) == 0)
			return i;
	fail_msg("no terminal %s", who);
	return 0;
}

/* The day over TCP: each step's reply, checked against its outcome. */
static void
day_over_tcp(cJSON **replies)
{
	struct daemon	*d = daemon_start(NULL);
	struct conn	*conns[6] = { NULL };
	size_t		 i, t;
	const struct step *s;

	for (i = 0; i < sizeof day / sizeof day[0]; i++) {
		s = &day[i];
		t = terminal_index(s->who);
		if (conns[t] == NULL)
			conns[t] = login(d, s->who);
		replies[i] = rq(conns[t], "{\"op\":\"%s\"%s%s", s->op,
		    strcmp(s->body, "{}") == 0 ? "" : ",", s->body + 1);
		if (strcmp(s->outcome, "ok") == 0)
			expect_ok(replies[i]);
		else
			expect_error(replies[i], s->outcome);
	}
	daemon_stop(d);
	daemon_free(d);
}

/* The same day over HTTP: with bearers, or with each terminal's cookie. */
static void
day_over_http(bool cookies)
{
	cJSON		*tcp[sizeof day / sizeof day[0]];
	struct daemon	*d;
	struct hclient	*clients[6] = { NULL };
	struct hresp	*r;
	const struct step *s;
	const char	*number;
	char		*want;
	size_t		 i, t;

	day_over_tcp(tcp);
	d = start_http(NULL);
	for (i = 0; i < sizeof day / sizeof day[0]; i++) {
		s = &day[i];
		t = terminal_index(s->who);
		if (cookies) {
			/* a day later staff sign in anew (their sessions last 12 hours) */
			if (i > 0 && strcmp(day[i - 1].op, "clock.advance") == 0)
				memset(clients, 0, sizeof clients);
			if (clients[t] == NULL)
				clients[t] = http_login(d, s->who);
			r = hc_op(clients[t], s->op, "%s", s->body);
		} else
			r = http_op(d, s->who, s->op, "%s", s->body);
		if (strcmp(s->outcome, "ok") == 0)
			expect_http_ok(r);
		else
			expect_http_error(r, status_of(s->outcome), s->outcome);
		if (!cJSON_Compare(tcp[i], r->hr_json, true)) {
			want = jprint(tcp[i]);
			print_error("    over TCP: %.900s\n", want);
			free(want);
			expect_http(false, r, "step %zu (%s %s): the reply differs from TCP's", i,
			    s->who, s->op);
		}
		/* commit before reply: the ticket is in the file as the reply says */
		if (r->hr_status == 200 && (number = jstr(r->hr_json, "ticket.number")) != NULL)
			ticket_in_db(d, number, jstr(r->hr_json, "ticket.status"));
		hresp_free(r);
	}
	for (i = 0; i < sizeof day / sizeof day[0]; i++)
		cJSON_Delete(tcp[i]);
	daemon_stop(d);
}

static void
test_ops_with_bearer(void **state)
{
	(void)state;
	day_over_http(false);
}

static void
test_ops_with_cookie(void **state)
{
	(void)state;
	day_over_http(true);
}

/* ping before any sign-in; hello checks but signs nothing in; subscribe is the stream's. */
static void
test_ping_hello_subscribe(void **state)
{
	struct daemon	*d = start_http(NULL);
	struct hresp	*r;

	(void)state;
	r = http_op(d, NULL, "ping", "{}");
	expect_http_ok(r);
	expect_str(r->hr_json, "now", H_CLOCK_START);
	/* with no body at all, too (an empty body is {}) */
	r = http_rq(d, "POST", "/api/v1/op/ping");
	expect_http_ok(r);

	r = http_op(d, NULL, "hello", "{\"terminal\":\"T01\",\"token\":\"tok-T01\"}");
	expect_http_ok(r);
	expect_str(r->hr_json, "role", "teller");
	expect_str(r->hr_json, "staff", "E1001");
	expect_str(r->hr_json, "terminal", "T01");
	expect_str(r->hr_json, "business_date", TODAY);
	expect_int(r->hr_json, "proto", 1);
	expect_no_header(r, "Set-Cookie");
	/* nothing signed in: the next request has no session */
	expect_http_error(http_op(d, NULL, "queue.snapshot", "{}"), 401, "unauthenticated");
	r = http_op(d, NULL, "hello", "{\"terminal\":\"T01\",\"token\":\"tok-T02\"}");
	expect_http_error(r, 401, "unauthenticated");
	expect_no_header(r, "Set-Cookie");
	expect_http_bad_request(http_op(d, NULL, "hello", "{\"terminal\":\"T01\"}"), "token");

	/* events come from GET /api/v1/events */
	expect_http_bad_request(http_op(d, "D01", "subscribe", "{\"topics\":[\"calls\"]}"), NULL);
	expect_http_bad_request(http_op(d, "S01", "subscribe", "{\"topics\":[\"queue\"]}"), NULL);
	daemon_stop(d);
}

/* ---- statuses and the error shape ---- */

static void
test_error_statuses(void **state)
{
	struct daemon	*d = start_http(NULL);
	struct hresp	*r;

	(void)state;
	/* 400 bad_json: not JSON, not an object */
	expect_http_error(http_op(d, "K01", "ticket.issue", "{\"service\":"), 400, "bad_json");
	expect_http_error(http_op(d, "K01", "ticket.issue", "[1]"), 400, "bad_json");
	expect_http_error(http_op(d, "K01", "ticket.issue", "\"loan\""), 400, "bad_json");
	/* 400 bad_request naming the field */
	expect_http_bad_request(http_op(d, "K01", "ticket.issue", "{\"service\":\"nope\"}"),
	    "service");
	expect_http_bad_request(http_op(d, "K01", "ticket.issue", "{\"service\":"
	    "\"cash_deposit\"}"), "amount_fen");
	/* op and id belong to TCP framing: the path names the op, HTTP needs no id */
	expect_http_bad_request(http_op(d, "K01", "ticket.issue", "{\"op\":\"ticket.issue\","
	    "\"service\":\"loan\"}"), "op");
	expect_http_bad_request(http_op(d, "K01", "ticket.issue", "{\"id\":7,"
	    "\"service\":\"loan\"}"), "id");
	expect_http_bad_request(http_op(d, NULL, "ping", "{\"id\":\"x\"}"), "id");
	no_ticket(d, "A001");
	/* 401: no credentials, a wrong bearer */
	expect_http_error(http_op(d, NULL, "ticket.issue", ISSUE_LOAN), 401, "unauthenticated");
	expect_http_error(http_rq(d, "POST", "/api/v1/op/ticket.issue", .body = ISSUE_LOAN,
	    .auth = "Bearer K01:tok-K02"), 401, "unauthenticated");
	no_ticket(d, "A001");
	/* 403 forbidden and over_authority */
	expect_http_error(http_op(d, "K01", "window.open", "{\"window\":1,\"lanes\":[\"counter\"]}"),
	    403, "forbidden");
	expect_http_error(http_op(d, "D01", "ticket.issue", ISSUE_LOAN), 403, "forbidden");
	expect_http_ok(http_op(d, "T01", "complaint.log", "{\"category\":\"fees\",\"severity\":2,"
	    "\"description\":\"fee\",\"channel\":\"counter\"}"));
	r = http_op(d, "T01", "complaint.action", "{\"complaint\":1,\"kind\":\"compensation\","
	    "\"note\":\"back\",\"amount_fen\":20001}");
	expect_http_error(r, 403, "over_authority");
	/* 404: not_found, unknown_op, an unknown path */
	expect_http_error(http_op(d, "K01", "ticket.status", "{\"number\":\"A404\"}"), 404,
	    "not_found");
	expect_http_error(http_op(d, "K01", "ticket.fly", "{}"), 404, "unknown_op");
	expect_http_error(http_rq(d, "GET", "/nowhere"), 404, "not_found");
	expect_http_error(http_rq(d, "POST", "/api/v1/nowhere", .bearer = "K01",
	    .body = "{}"), 404, "not_found");
	/* 409 conflict, with its detail */
	expect_http_ok(http_op(d, "K01", "ticket.issue", ISSUE_LOAN));
	expect_http_ok(http_op(d, "T01", "window.open", "{\"window\":1,\"lanes\":[\"counter\"]}"));
	r = http_op(d, "T01", "ticket.start", "{\"number\":\"A001\"}");
	expect_http_error(r, 409, "conflict");
	expect_str(r->hr_json, "error.detail.status", "waiting");
	/* 503: the database cannot be written, and nothing was */
	expect_http_ok(http_op(d, "S01", "test.fault", "{\"fault\":\"io_error\"}"));
	expect_http_error(http_op(d, "K01", "ticket.issue", ISSUE_LOAN), 503, "unavailable");
	expect_http_ok(http_op(d, "S01", "test.fault", "{\"fault\":\"none\"}"));
	no_ticket(d, "A002");
	r = http_op(d, "K01", "ticket.issue", ISSUE_LOAN);
	expect_http_ok(r);
	expect_str(r->hr_json, "ticket.number", "A002");
	daemon_stop(d);
}

/* ---- bodies ---- */

/* A ticket.issue body of exactly n bytes: JSON padded with spaces. */
static const char *
padded_issue(size_t n)
{
	char	*body = (char *)hfmt("%*s", (int)n, "");
	size_t	 len = strlen(ISSUE_LOAN);

	memcpy(body, ISSUE_LOAN, len - 1);	/* without its } */
	body[n - 1] = '}';
	return body;
}

static void
test_body_limit(void **state)
{
	struct daemon	*d = start_http(NULL);
	struct hresp	*r;

	(void)state;
	r = http_op(d, "K01", "ticket.issue", "%s", padded_issue(65536));
	expect_http_ok(r);
	expect_str(r->hr_json, "ticket.number", "A001");
	r = http_op(d, "K01", "ticket.issue", "%s", padded_issue(65537));
	expect_http_error(r, 413, "too_large");
	no_ticket(d, "A002");
	/* far over, and the daemon serves on */
	expect_http_error(http_op(d, "K01", "ticket.issue", "%s", padded_issue(1000000)), 413,
	    "too_large");
	no_ticket(d, "A002");
	r = http_op(d, "K01", "ticket.issue", ISSUE_LOAN);
	expect_http_ok(r);
	expect_str(r->hr_json, "ticket.number", "A002");
	daemon_stop(d);
}

static void
test_content_type(void **state)
{
	static const char *const refused[] = {
		"text/plain", "text/plain;charset=UTF-8", "application/x-www-form-urlencoded",
		"multipart/form-data; boundary=x", "application/jsonx", "text/json", NULL
	};
	struct daemon	*d = start_http(NULL);
	const char	*path = "/api/v1/op/ticket.issue";
	size_t		 i;

	(void)state;
	/* the types a form or a no-preflight fetch can send: refused, nothing issued */
	for (i = 0; refused[i] != NULL; i++)
		expect_http_error(http_rq(d, "POST", path, .bearer = "K01", .body = ISSUE_LOAN,
		    .type = refused[i]), 415, "unsupported_media_type");
	expect_http_error(http_rq(d, "POST", path, .bearer = "K01", .body = ISSUE_LOAN,
	    .type = H_NONE), 415, "unsupported_media_type");
	no_ticket(d, "A001");
	expect_http_ok(http_rq(d, "POST", path, .bearer = "K01", .body = ISSUE_LOAN,
	    .type = "application/json; charset=utf-8"));
	ticket_in_db(d, "A001", "waiting");
	/* an empty body is {} whatever its type */
	expect_http_ok(http_rq(d, "POST", "/api/v1/op/queue.snapshot", .bearer = "K01",
	    .type = "text/plain"));
	expect_http_ok(http_rq(d, "POST", "/api/v1/op/queue.snapshot", .bearer = "K01"));
	expect_http_bad_request(http_rq(d, "POST", path, .bearer = "K01", .type = "text/plain"),
	    "service");
	daemon_stop(d);
}

/* ---- methods ---- */

/* GET never changes anything: not on an op's path, not with a body, not a sign-in. */
static void
test_get_changes_nothing(void **state)
{
	struct daemon	*d = start_http(NULL);
	struct hresp	*r;
	static const char *const methods[] = { "GET", "HEAD", "PUT", "DELETE", "PATCH", NULL };
	size_t		 i;

	(void)state;
	for (i = 0; methods[i] != NULL; i++) {
		r = http_rq(d, methods[i], "/api/v1/op/ticket.issue?service=loan",
		    .bearer = "K01", .body = strcmp(methods[i], "HEAD") != 0 ? ISSUE_LOAN : NULL);
		expect_http_status(r, 405);
		if (strcmp(methods[i], "HEAD") != 0)
			expect_http_error(r, 405, "method_not_allowed");
		expect_http(allows(r, "POST"), r, "Allow does not name POST");
		expect_http(!allows(r, "GET"), r, "an op's path allows GET");
	}
	no_ticket(d, "A001");
	expect_http_error(http_rq(d, "GET", "/api/v1/op/clock.advance?seconds=3600",
	    .bearer = "S01", .body = "{\"seconds\":3600}"), 405, "method_not_allowed");
	expect_http_error(http_rq(d, "GET", "/api/v1/op/selfservice.set?available=false",
	    .bearer = "S01"), 405, "method_not_allowed");
	/* a GET of the session with a sign-in's body signs nothing in */
	r = http_rq(d, "GET", "/api/v1/session",
	    .body = "{\"terminal\":\"T01\",\"token\":\"tok-T01\"}");
	expect_http_error(r, 401, "unauthenticated");
	expect_no_header(r, "Set-Cookie");
	/* nothing moved: the clock, self-service, the numbering */
	r = http_op(d, NULL, "ping", "{}");
	expect_str(r->hr_json, "now", H_CLOCK_START);
	r = http_op(d, "K01", "queue.snapshot", "{}");
	expect_bool(r->hr_json, "self_service_available", true);
	r = http_op(d, "K01", "ticket.issue", ISSUE_LOAN);
	expect_http_ok(r);
	expect_str(r->hr_json, "ticket.number", "A001");
	daemon_stop(d);
}

/*
 * Answers without a body (204, 304) keep the connection: a browser
 * revalidating its files asks over one connection, not one per file.
 */
static void
test_bodyless_keep_alive(void **state)
{
	struct daemon	*d = start_http(NULL);
	struct hraw	*h;
	struct hresp	*r;
	const char	*etag;

	(void)state;
	etag = hfmt("%s", hresp_header(http_rq(d, "GET", "/"), "ETag"));
	h = hraw_open(d);
	hraw_request(h, "OPTIONS", "/healthz");
	hraw_request(h, "GET", "/", .headers = hfmt("If-None-Match: %s\r\n", etag));
	hraw_request(h, "GET", "/healthz");
	r = hraw_response(h, "OPTIONS", reply_timeout_ms());
	expect_http_status(r, 204);
	expect_no_header(r, "Connection");
	r = hraw_response(h, "GET", reply_timeout_ms());
	expect_http_status(r, 304);
	expect_no_header(r, "Connection");
	r = hraw_response(h, "GET", reply_timeout_ms());
	expect_http(r != NULL, NULL, "the connection did not stay after a 204 and a 304");
	expect_http_ok(r);
	daemon_stop(d);
}

/* What a client sends is escaped in the log: no forged fields, no control bytes. */
static void
test_log_escapes_client_text(void **state)
{
	struct daemon	*d = start_http(NULL);
	struct hraw	*h = hraw_open(d);
	struct hresp	*r;

	(void)state;
	hraw_sendf(h, "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX\" forged=yes \033[2J:1\r\n\r\n");
	r = hraw_response(h, "GET", reply_timeout_ms());
	expect_http_error(r, 400, "bad_request");
	expect_that(daemon_log_contains(d, "status=400"), NULL, "the refusal is not logged");
	expect_that(!daemon_log_contains(d, "X\" forged=yes"), NULL, "the client's quote ended "
	    "the log field");
	expect_that(daemon_log_contains(d, "X\\\" forged=yes"), NULL, "the client's quote is "
	    "not shown escaped");
	expect_that(!daemon_log_contains(d, "\033"), NULL, "a raw ESC byte reached the log");
	daemon_stop(d);
}

/*
 * http_max_connections: one more is answered 503 in the JSON shape (its
 * request read first, so no reset loses the answer), and logged once.
 */
static void
test_connection_cap(void **state)
{
	struct daemon	*d = start_http("\"http_max_connections\":2");
	struct hraw	*a = hraw_open(d), *b = hraw_open(d), *c;
	struct hresp	*r;
	int		 i;

	(void)state;
	hraw_request(a, "GET", "/healthz");
	expect_http_ok(hraw_response(a, "GET", reply_timeout_ms()));
	hraw_request(b, "GET", "/healthz");
	expect_http_ok(hraw_response(b, "GET", reply_timeout_ms()));
	for (i = 0; i < 5; i++) {
		c = hraw_open(d);
		hraw_request(c, "GET", "/healthz");
		r = hraw_response(c, "GET", reply_timeout_ms());
		expect_http(r != NULL, NULL, "no answer past the connection cap (a reset?)");
		expect_http_error(r, 503, "unavailable");
		hraw_close(c);
	}
	expect_that(daemon_log_contains(d, "event=http_conn_refused"), NULL, "not logged");
	/* one goes, one comes */
	hraw_close(a);
	for (i = 0; i < 100; i++) {
		c = hraw_open(d);
		hraw_request(c, "GET", "/healthz");
		r = hraw_response(c, "GET", reply_timeout_ms());
		hraw_close(c);
		if (r != NULL && r->hr_status == 200)
			break;
		usleep(20000);	/* the daemon has yet to see a's close */
	}
	expect_that(i < 100, NULL, "no room after a connection closed");
	daemon_stop(d);
}

/* An op without a sign-in says how to sign in over HTTP, not "say hello". */
static void
test_unauthenticated_hint(void **state)
{
	struct daemon	*d = start_http(NULL);
	struct hresp	*r;

	(void)state;
	r = http_rq(d, "POST", "/api/v1/op/queue.snapshot", .body = "{}");
	expect_http_error(r, 401, "unauthenticated");
	expect_http(strstr(jstr(r->hr_json, "error.message"), "/api/v1/session") != NULL, r,
	    "the message does not say how to sign in over HTTP");
	daemon_stop(d);
}

static void
test_head_and_options(void **state)
{
	struct daemon	*d = start_http(NULL);
	struct hresp	*get, *head, *r;
	struct hraw	*h;
	static const char *const same[] = { "Content-Type", "Content-Length", "ETag",
	    "Cache-Control", "Content-Security-Policy", NULL };
	size_t		 i;

	(void)state;
	/* HEAD: the GET's headers, no body */
	get = http_rq(d, "GET", "/");
	head = http_rq(d, "HEAD", "/");
	expect_http_status(get, 200);
	expect_http_status(head, 200);
	for (i = 0; same[i] != NULL; i++) {
		expect_header(head, same[i], hresp_header(get, same[i]) != NULL ?
		    hresp_header(get, same[i]) : "(the GET had none)");
	}
	r = http_rq(d, "HEAD", "/healthz");
	expect_http_status(r, 200);
	r = http_rq(d, "HEAD", "/api/v1/session", .bearer = "T01");
	expect_http_status(r, 200);
	/* no body indeed: a response pipelined after it starts where it should */
	h = hraw_open(d);
	hraw_request(h, "HEAD", "/healthz");
	hraw_request(h, "HEAD", "/");
	hraw_request(h, "GET", "/healthz");
	expect_http_status(hraw_response(h, "HEAD", reply_timeout_ms()), 200);
	expect_http_status(hraw_response(h, "HEAD", reply_timeout_ms()), 200);
	r = hraw_response(h, "GET", reply_timeout_ms());
	expect_http(r != NULL, NULL, "no third response on the connection");
	expect_http_ok(r);
	/* but not the event stream */
	r = http_rq(d, "HEAD", "/api/v1/events?topics=calls", .bearer = "D01");
	expect_http_status(r, 405);

	/* OPTIONS: 204 and what is allowed */
	r = http_rq(d, "OPTIONS", "/api/v1/op/ticket.issue");
	expect_http_status(r, 204);
	expect_header_has(r, "Allow", "POST");
	expect_http(r->hr_body_len == 0, r, "a 204 with a body");
	r = http_rq(d, "OPTIONS", "/api/v1/session");
	expect_http_status(r, 204);
	expect_header_has(r, "Allow", "GET");
	expect_header_has(r, "Allow", "POST");
	expect_header_has(r, "Allow", "DELETE");
	r = http_rq(d, "OPTIONS", "/healthz");
	expect_http_status(r, 204);
	expect_header_has(r, "Allow", "GET");
	expect_http_error(http_rq(d, "OPTIONS", "/nowhere"), 404, "not_found");
	/* wrong methods elsewhere: 405 with Allow */
	r = http_rq(d, "POST", "/healthz", .body = "{}");
	expect_http_error(r, 405, "method_not_allowed");
	expect_header_has(r, "Allow", "GET");
	r = http_rq(d, "PUT", "/api/v1/session", .body = "{}");
	expect_http_error(r, 405, "method_not_allowed");
	expect_header_has(r, "Allow", "POST");
	r = http_rq(d, "POST", "/api/v1/events?topics=calls", .bearer = "D01", .body = "{}");
	expect_http_error(r, 405, "method_not_allowed");
	expect_header_has(r, "Allow", "GET");
	daemon_stop(d);
}

/* ---- files ---- */

static void
test_files(void **state)
{
	static const char *const pages[] = { "/kiosk", "/display", "/counter", "/supervisor",
	    NULL };	/* the index links to them */
	struct daemon	*d = start_http(NULL);
	struct hresp	*r, *again;
	const char	*etag;
	size_t		 i;

	(void)state;
	r = http_rq(d, "GET", "/");
	expect_http_status(r, 200);
	expect_header_has(r, "Content-Type", "text/html");
	for (i = 0; pages[i] != NULL; i++)
		expect_http(strstr(r->hr_body, hfmt("href=\"%s", pages[i])) != NULL, r,
		    "the index does not link to %s", pages[i]);
	expect_http((etag = hresp_header(r, "ETag")) != NULL, r, "the index has no ETag");
	expect_http(hresp_header(r, "Cache-Control") != NULL, r, "the index has no Cache-Control");
	/* the same file: the same ETag; asking with it: 304, no body */
	again = http_rq(d, "GET", "/");
	expect_header(again, "ETag", etag);
	r = http_rq(d, "GET", "/", .headers = hfmt("If-None-Match: %s\r\n", etag));
	expect_http_status(r, 304);
	expect_header(r, "ETag", etag);
	expect_security_headers(r);
	r = http_rq(d, "GET", "/", .headers = "If-None-Match: \"not-the-etag\"\r\n");
	expect_http_status(r, 200);
	expect_http(r->hr_body_len > 0, r, "a 200 without the page");

	r = http_rq(d, "GET", "/favicon.ico");
	expect_http_status(r, 200);
	expect_header_has(r, "Content-Type", "image/");
	expect_http(r->hr_body_len > 0, r, "an empty icon");
	expect_http((etag = hresp_header(r, "ETag")) != NULL, r, "the icon has no ETag");
	expect_http(hresp_header(r, "Cache-Control") != NULL, r, "the icon has no Cache-Control");
	expect_http_status(http_rq(d, "GET", "/favicon.ico",
	    .headers = hfmt("If-None-Match: %s\r\n", etag)), 304);
	daemon_stop(d);
}

/* PROTOCOL "Pages and files": the four pages, built in, cached like the index. */
static void
test_pages(void **state)
{
	static const char *const pages[] = { "/kiosk", "/display", "/counter", "/supervisor",
	    NULL };
	struct daemon	*d = start_http(NULL);
	struct hresp	*r;
	size_t		 i;

	(void)state;
	for (i = 0; pages[i] != NULL; i++) {
		r = http_rq(d, "GET", pages[i]);
		expect_http_status(r, 200);
		expect_header_has(r, "Content-Type", "text/html");
		expect_http(hresp_header(r, "ETag") != NULL, r, "%s has no ETag", pages[i]);
		expect_http(hresp_header(r, "Cache-Control") != NULL, r, "%s has no Cache-Control",
		    pages[i]);
		expect_security_headers(r);
		/* typed with a slash, as someone setting a device up might */
		r = http_rq(d, "GET", hfmt("%s/?windows=1-4", pages[i]));
		expect_http_status(r, 308);
		expect_header(r, "Location", hfmt("%s?windows=1-4", pages[i]));
		expect_security_headers(r);
		expect_header(http_rq(d, "HEAD", hfmt("%s/", pages[i])), "Location", pages[i]);
		expect_http_status(http_rq(d, "GET", hfmt("%s//", pages[i])), 404);
		expect_http_status(http_rq(d, "POST", hfmt("%s/", pages[i]), .body = "{}"), 404);
	}
	/* only pages: a file or a folder with a slash is no page */
	expect_http_status(http_rq(d, "GET", "/favicon.ico/"), 404);
	expect_http_status(http_rq(d, "GET", "/lib/"), 404);
	daemon_stop(d);
}

/* ---- headers on every response ---- */

static void
test_security_headers(void **state)
{
	struct daemon	*d = start_http(NULL);
	struct hresp	*r[24];
	struct hraw	*h;
	struct sse	*s;
	const char	*etag;
	size_t		 n = 0, i;

	(void)state;
	r[n++] = http_op(d, NULL, "ping", "{}");				/* ok */
	r[n++] = http_op(d, "K01", "ticket.issue", ISSUE_LOAN);		/* ok, a change */
	r[n++] = http_op(d, "S01", "report.summary", "{\"from\":\"" TODAY "\",\"to\":\"" TODAY
	    "\"}");							/* a worker's reply */
	r[n++] = http_op(d, NULL, "queue.snapshot", "{}");		/* 401 */
	r[n++] = http_op(d, "K01", "window.open", "{}");			/* 403 */
	r[n++] = http_op(d, "K01", "ticket.issue", "{");			/* 400 */
	r[n++] = http_rq(d, "GET", "/nowhere");				/* 404 */
	r[n++] = http_rq(d, "GET", "/api/v1/op/ping");			/* 405 */
	r[n++] = http_rq(d, "OPTIONS", "/api/v1/op/ping");		/* 204 */
	r[n++] = http_rq(d, "GET", "/");					/* a file */
	etag = hresp_header(r[n - 1], "ETag");
	r[n++] = http_rq(d, "GET", "/", .headers = hfmt("If-None-Match: %s\r\n",
	    etag != NULL ? etag : "\"x\""));				/* 304 */
	r[n++] = http_rq(d, "GET", "/favicon.ico");
	r[n++] = http_rq(d, "HEAD", "/");
	r[n++] = http_rq(d, "GET", "/healthz");
	r[n++] = http_rq(d, "GET", "/api/v1/session", .bearer = "T01");
	r[n++] = http_rq(d, "POST", "/api/v1/session", .body = "{\"terminal\":\"T01\","
	    "\"token\":\"tok-T01\"}");
	r[n++] = http_op(d, "K01", "ticket.issue", "%s", padded_issue(70000));	/* 413 */
	r[n++] = http_rq(d, "POST", "/api/v1/op/ping", .body = "{}", .type = "text/plain");
	r[n++] = http_rq(d, "GET", "/healthz", .host = "evil.example");	/* 403 */
	for (i = 0; i < n; i++)
		expect_security_headers(r[i]);
	/* what the daemon says before it knows the request */
	h = hraw_open(d);
	hraw_sendf(h, "NOT A REQUEST\r\n\r\n");
	expect_security_headers(hraw_response(h, "GET", reply_timeout_ms()));
	h = hraw_open(d);
	hraw_sendf(h, "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: %09000d\r\n\r\n", 0);
	expect_security_headers(hraw_response(h, "GET", reply_timeout_ms()));
	/* the event stream */
	s = sse_open(d, "/api/v1/events?topics=calls", .bearer = "D01");
	expect_http_status(s->ss_resp, 200);
	expect_security_headers(s->ss_resp);
	s = sse_open(d, "/api/v1/events?topics=followups", .bearer = "D01");
	expect_security_headers(s->ss_resp);
	daemon_stop(d);
}

/* ---- Host and Origin ---- */

static void
test_host_rule(void **state)
{
	static const struct { const char *host; bool ok; } hosts[] = {
		{ "127.0.0.1", true }, { "127.0.0.1:%d", true }, { "10.20.30.40:8080", true },
		{ "[::1]", true }, { "[::1]:%d", true }, { "localhost", true },
		{ "localhost:%d", true }, { "branchq.local", true }, { "BranchQ.LOCAL:%d", true },
		{ "counter.example.com:443", true },
		{ "evil.example", false }, { "evil.example:%d", false },
		{ "127.0.0.1.nip.io", false }, { "localhost.evil.example", false },
		{ "branchq.local.evil.example", false }, { "xbranchq.local", false },
		{ "branchq", false }, { "", false },
	};
	struct daemon	*d = start_http("\"http_hosts\":[\"branchq.local\","
	    "\"counter.example.com\"]");
	struct hclient	*b = hclient_new(d);
	struct hresp	*r;
	const char	*host;
	size_t		 i;

	(void)state;
	for (i = 0; i < sizeof hosts / sizeof hosts[0]; i++) {
		host = hfmt(hosts[i].host, d->d_http_port);
		r = http_rq(d, "GET", "/healthz", .host = host);
		if (hosts[i].ok)
			expect_http_ok(r);
		else
			expect_http_error(r, 403, "forbidden");
		r = http_rq(d, "GET", "/", .host = host);
		expect_http_status(r, hosts[i].ok ? 200 : 403);
	}
	/* no Host at all: a malformed HTTP/1.1 request (RFC 9112 3.2), and nothing served */
	expect_http_error(http_rq(d, "GET", "/healthz", .host = H_NONE), 400, "bad_request");
	/* a rebound name reaches nothing: no op, no sign-in, no stream, bearer or not */
	expect_http_error(http_rq(d, "POST", "/api/v1/op/ticket.issue", .bearer = "K01",
	    .body = ISSUE_LOAN, .host = "evil.example"), 403, "forbidden");
	expect_http_error(http_rq(d, "POST", "/api/v1/op/ticket.issue", .bearer = "K01",
	    .body = ISSUE_LOAN, .host = H_NONE), 400, "bad_request");
	no_ticket(d, "A001");
	r = http_rq(d, "POST", "/api/v1/session", .client = b, .host = "evil.example",
	    .body = "{\"terminal\":\"T01\",\"token\":\"tok-T01\"}");
	expect_http_error(r, 403, "forbidden");
	expect_no_header(r, "Set-Cookie");
	expect_http_error(sse_open(d, "/api/v1/events?topics=calls", .bearer = "D01",
	    .host = "evil.example")->ss_resp, 403, "forbidden");
	/* the configured name works end to end, cookie and Origin included */
	r = http_rq(d, "POST", "/api/v1/session", .client = b, .host = "branchq.local",
	    .body = "{\"terminal\":\"K01\",\"token\":\"tok-K01\"}");
	expect_http_ok(r);
	r = http_rq(d, "POST", "/api/v1/op/ticket.issue", .client = b, .host = "branchq.local",
	    .body = ISSUE_LOAN);
	expect_http_ok(r);
	ticket_in_db(d, "A001", "waiting");
	/* and the same cookie through a foreign name: refused */
	r = http_rq(d, "POST", "/api/v1/op/ticket.issue", .client = b, .host = "evil.example",
	    .body = ISSUE_LOAN);
	expect_http_error(r, 403, "forbidden");
	no_ticket(d, "A002");
	daemon_stop(d);
}

static void
test_origin_rule(void **state)
{
	struct daemon	*d = start_http("\"http_hosts\":[\"branchq.local\"]");
	struct hclient	*k = http_login(d, "K01"), *t = http_login(d, "T01");
	const char	*path = "/api/v1/op/ticket.issue", *self;
	struct hresp	*r;
	const char	*bad[8];
	size_t		 i;

	(void)state;
	self = hfmt("http://127.0.0.1:%d", d->d_http_port);
	bad[0] = "http://evil.example";
	bad[1] = "null";
	bad[2] = hfmt("https://127.0.0.1:%d", d->d_http_port);
	bad[3] = hfmt("http://127.0.0.1:%d", d->d_http_port + 1);
	bad[4] = "http://127.0.0.1";
	bad[5] = hfmt("http://127.0.0.1:%d.evil.example", d->d_http_port);
	bad[6] = "http://branchq.local";	/* a configured name, but not this request's Host */
	bad[7] = NULL;
	/* a POST with the cookie: the Origin must be this Host's */
	expect_http_error(http_rq(d, "POST", path, .client = k, .body = ISSUE_LOAN,
	    .origin = H_NONE), 403, "forbidden");
	for (i = 0; bad[i] != NULL; i++)
		expect_http_error(http_rq(d, "POST", path, .client = k, .body = ISSUE_LOAN,
		    .origin = bad[i]), 403, "forbidden");
	no_ticket(d, "A001");
	expect_http_ok(http_rq(d, "POST", path, .client = k, .body = ISSUE_LOAN, .origin = self));
	ticket_in_db(d, "A001", "waiting");
	/* under another allowed Host, that Host's origin */
	expect_http_ok(http_rq(d, "POST", path, .client = k, .body = ISSUE_LOAN,
	    .host = "branchq.local:8443", .origin = "http://branchq.local:8443"));
	expect_http_error(http_rq(d, "POST", path, .client = k, .body = ISSUE_LOAN,
	    .host = "branchq.local:8443", .origin = self), 403, "forbidden");
	no_ticket(d, "A003");
	/* a DELETE with the cookie too: no sign-out without it */
	expect_http_error(http_rq(d, "DELETE", "/api/v1/session", .client = t, .origin = H_NONE),
	    403, "forbidden");
	expect_http_error(http_rq(d, "DELETE", "/api/v1/session", .client = t,
	    .origin = "http://evil.example"), 403, "forbidden");
	expect_http_ok(http_rq(d, "GET", "/api/v1/session", .client = t));
	/* GET with the cookie needs none */
	expect_http_ok(http_rq(d, "GET", "/api/v1/session", .client = k, .origin = H_NONE));
	/* bearers are exempt, whatever Origin they carry */
	expect_http_ok(http_rq(d, "POST", path, .bearer = "K01", .body = ISSUE_LOAN));
	expect_http_ok(http_rq(d, "POST", path, .bearer = "K01", .body = ISSUE_LOAN,
	    .origin = "http://evil.example"));
	r = http_rq(d, "POST", path, .bearer = "K01", .cookie = k->hc_cookie, .body = ISSUE_LOAN,
	    .origin = H_NONE);
	expect_http_ok(r);
	expect_str(r->hr_json, "ticket.number", "A005");
	daemon_stop(d);
}

/* ---- health ---- */

static void
test_healthz(void **state)
{
	static const char *const faults[] = { "io_error", "disk_full", "readonly",
	    "fsync_error", NULL };
	struct daemon	*d = start_http(NULL);
	struct hresp	*r;
	size_t		 i;

	(void)state;
	r = http_rq(d, "GET", "/healthz");
	expect_http_ok(r);
	expect_http(cJSON_GetArraySize(r->hr_json) == 1, r, "/healthz says more than "
	    "{\"ok\":true}");
	/* no sign-in needed, none used */
	for (i = 0; faults[i] != NULL; i++) {
		expect_http_ok(http_op(d, "S01", "test.fault", "{\"fault\":\"%s\"}", faults[i]));
		r = http_rq(d, "GET", "/healthz");
		expect_http_error(r, 503, "unavailable");
		expect_http_ok(http_op(d, "S01", "test.fault", "{\"fault\":\"none\"}"));
		expect_http_ok(http_rq(d, "GET", "/healthz"));
	}
	/* and it wrote nothing a ticket could see */
	r = http_op(d, "K01", "ticket.issue", ISSUE_LOAN);
	expect_http_ok(r);
	expect_str(r->hr_json, "ticket.number", "A001");
	daemon_stop(d);
}

/* ---- commit before reply ---- */

/* Each 200 is already in the file: read at once, with no wait, from another connection. */
static void
test_commit_before_reply(void **state)
{
	struct daemon	*d = start_http(NULL);
	struct hclient	*t = http_login(d, "T01");
	struct hresp	*r;
	const char	*number;
	int		 i;

	(void)state;
	for (i = 1; i <= 20; i++) {
		r = http_op(d, "K01", "ticket.issue", ISSUE_LOAN);
		expect_http_ok(r);
		number = hfmt("A%03d", i);
		expect_str(r->hr_json, "ticket.number", number);
		ticket_in_db(d, number, "waiting");
	}
	expect_http_ok(hc_op(t, "window.open", "{\"window\":3,\"lanes\":[\"counter\"]}"));
	for (i = 1; i <= 5; i++) {
		number = hfmt("A%03d", i);
		expect_http_ok(hc_op(t, "ticket.call_next", "{}"));
		ticket_in_db(d, number, "called");
		expect_http_ok(hc_op(t, "ticket.start", "{\"number\":\"%s\"}", number));
		ticket_in_db(d, number, "serving");
		expect_http_ok(hc_op(t, "ticket.complete", "{\"number\":\"%s\"}", number));
		ticket_in_db(d, number, "done");
	}
	/* and a crash right after loses none of it */
	daemon_kill(d);
	ticket_in_db(d, "A005", "done");
	ticket_in_db(d, "A020", "waiting");
	daemon_restart(d);
	r = http_op(d, "K01", "ticket.issue", ISSUE_LOAN);
	expect_str(r->hr_json, "ticket.number", "A021");
	daemon_stop(d);
}

/* ---- the request itself: bytes, size, time ---- */

static void
test_malformed_requests(void **state)
{
	static const char *const bad[] = {
		"NOT A REQUEST\r\n\r\n",
		"GET /healthz HTTP/1.1 extra\r\nHost: 127.0.0.1\r\n\r\n",
		"GET\r\nHost: 127.0.0.1\r\n\r\n",
		"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nNo colon here\r\n\r\n",
		"POST /api/v1/op/ping HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: x\r\n\r\n{}",
		"POST /api/v1/op/ping HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 2\r\n"
		    "Content-Length: 3\r\n\r\n{} ",
		NULL
	};
	struct daemon	*d = start_http(NULL);
	struct hresp	*r;
	struct hraw	*h;
	size_t		 i;

	(void)state;
	for (i = 0; bad[i] != NULL; i++) {
		h = hraw_open(d);
		hraw_send(h, bad[i], strlen(bad[i]));
		r = hraw_response(h, "GET", reply_timeout_ms());
		expect_http(r != NULL, NULL, "no response to a malformed request: %s", bad[i]);
		expect_http_error(r, 400, "bad_request");
		expect_security_headers(r);
		hraw_close(h);
	}
	/* a body with Transfer-Encoding: 411, and nothing issued */
	h = hraw_open(d);
	hraw_sendf(h, "POST /api/v1/op/ticket.issue HTTP/1.1\r\nHost: 127.0.0.1\r\n"
	    "Authorization: Bearer K01:tok-K01\r\nContent-Type: application/json\r\n"
	    "Transfer-Encoding: chunked\r\n\r\n%zx\r\n%s\r\n0\r\n\r\n", strlen(ISSUE_LOAN),
	    ISSUE_LOAN);
	r = hraw_response(h, "POST", reply_timeout_ms());
	expect_http(r != NULL, NULL, "no response to a chunked request");
	expect_http_error(r, 411, "bad_request");
	expect_security_headers(r);
	no_ticket(d, "A001");
	/* the daemon serves on */
	expect_http_ok(http_rq(d, "GET", "/healthz"));
	daemon_stop(d);
}

static void
test_header_limit(void **state)
{
	struct daemon	*d = start_http(NULL);
	struct hresp	*r;
	struct hraw	*h;
	char		*many;
	size_t		 i, n;

	(void)state;
	/* 7 KiB of headers is within the limit */
	r = http_rq(d, "GET", "/healthz", .headers = hfmt("X-Pad: %07000d\r\n", 0));
	expect_http_ok(r);
	/* one header of 9,000 bytes: 431, then the end */
	h = hraw_open(d);
	hraw_sendf(h, "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: %09000d\r\n\r\n", 0);
	r = hraw_response(h, "GET", reply_timeout_ms());
	expect_http(r != NULL, NULL, "no response to 9,000 bytes of header");
	expect_http_error(r, 431, "too_large");
	expect_http(hraw_closed(h, reply_timeout_ms()), r, "the connection stays open after 431");
	/* 200 small headers: the same */
	many = malloc(200 * 64 + 1);
	for (i = 0, n = 0; i < 200; i++)
		n += (size_t)snprintf(many + n, 64, "X-H%03zu: %040zu\r\n", i, i);
	h = hraw_open(d);
	hraw_sendf(h, "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n%s\r\n", many);
	free(many);
	r = hraw_response(h, "GET", reply_timeout_ms());
	expect_http(r != NULL, NULL, "no response to 10 KiB of headers");
	expect_http_error(r, 431, "too_large");
	expect_http(hraw_closed(h, reply_timeout_ms()), r, "the connection stays open after 431");
	/* headers that never end are cut off at the limit, not read forever */
	h = hraw_open(d);
	hraw_sendf(h, "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Endless: ");
	for (i = 0; i < 64 && hraw_sendf(h, "%01000d", 0); i++)
		if (hraw_readable(h, 0))
			break;
	r = hraw_response(h, "GET", reply_timeout_ms());
	expect_http(r != NULL, NULL, "no response to a header that never ends");
	expect_http_error(r, 431, "too_large");
	expect_http_ok(http_rq(d, "GET", "/healthz"));
	daemon_stop(d);
}

/* How long to wait for the daemon's 10 s request limit: generous, never tight. */
static int
request_limit_wait_ms(void)
{
	return 10000 + (under_wrapper() ? 60000 : 15000);
}

static int64_t
mono_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * A request must arrive whole within 10 s: a head never finished, a body
 * never finished, a head dribbled a byte at a time (each byte in time,
 * the whole too late) all get 408 and the end; a kept-alive connection
 * that sends nothing more is closed without a word.  All at once, so the
 * test waits one limit, not four.
 */
static void
test_request_time_limit(void **state)
{
	static const char dribbled[] = "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n"
	    "X-Slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n\r\n";
	struct daemon	*d = start_http(NULL);
	struct hraw	*head, *body, *drip, *idle;
	struct hresp	*r;
	int64_t		 deadline, next_drip;
	size_t		 dripped = 0;
	bool		 drip_answered = false;

	(void)state;
	head = hraw_open(d);
	hraw_sendf(head, "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n");
	body = hraw_open(d);
	hraw_sendf(body, "POST /api/v1/op/ticket.issue HTTP/1.1\r\nHost: 127.0.0.1\r\n"
	    "Authorization: Bearer K01:tok-K01\r\nContent-Type: application/json\r\n"
	    "Content-Length: %zu\r\n\r\n{\"service\"", strlen(ISSUE_LOAN));
	/* kept alive: two requests answered on it, then silence */
	idle = hraw_open(d);
	hraw_request(idle, "GET", "/healthz");
	expect_http_ok(hraw_response(idle, "GET", reply_timeout_ms()));
	hraw_request(idle, "GET", "/healthz");
	expect_http_ok(hraw_response(idle, "GET", reply_timeout_ms()));
	/* a byte every 400 ms: the whole request would take over 40 s */
	drip = hraw_open(d);
	deadline = mono_ms() + request_limit_wait_ms();
	next_drip = 0;
	while (mono_ms() < deadline && !drip_answered) {
		if (mono_ms() >= next_drip && dripped < sizeof dribbled - 1) {
			if (!hraw_send(drip, dribbled + dripped, 1))
				break;
			dripped++;
			next_drip = mono_ms() + 400;
		}
		drip_answered = hraw_readable(drip, 50);
	}
	expect_that(dripped < sizeof dribbled - 1, NULL, "the whole dribbled request was sent "
	    "(%zu bytes over more than 10 s) and no 408 came", dripped);
	r = hraw_response(drip, "GET", reply_timeout_ms());
	expect_http(r != NULL, NULL, "a request dribbled for %zu bytes got no response", dripped);
	expect_http_error(r, 408, "timeout");
	expect_security_headers(r);
	expect_that(hraw_closed(drip, reply_timeout_ms()), NULL, "still open after the 408");

	r = hraw_response(head, "GET", request_limit_wait_ms());
	expect_http(r != NULL, NULL, "an unfinished head got no 408");
	expect_http_error(r, 408, "timeout");
	expect_that(hraw_closed(head, reply_timeout_ms()), NULL, "still open after the 408");
	r = hraw_response(body, "POST", request_limit_wait_ms());
	expect_http(r != NULL, NULL, "an unfinished body got no 408");
	expect_http_error(r, 408, "timeout");
	expect_that(hraw_closed(body, reply_timeout_ms()), NULL, "still open after the 408");
	no_ticket(d, "A001");
	expect_that(hraw_closed(idle, request_limit_wait_ms()), NULL,
	    "an idle kept-alive connection was not closed");
	expect_that(idle->hw_len == 0, NULL, "the idle connection got %zu bytes before its end "
	    "(it should be closed without a word): %.200s", idle->hw_len, idle->hw_buf);
	expect_http_ok(http_rq(d, "GET", "/healthz"));
	daemon_stop(d);
}

/*
 * The 10 s are the request's own, from its first byte: a request begun
 * 6 s into a kept-alive connection's quiet (or a fresh connection's) and
 * sent whole 6 s later took 6 s, and is answered.
 */
static void
test_request_time_from_first_byte(void **state)
{
	static const char first[] = "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n";
	struct daemon	*d = start_http(NULL);
	struct hraw	*kept, *fresh;
	struct hresp	*r;

	(void)state;
	kept = hraw_open(d);
	hraw_request(kept, "GET", "/healthz");
	expect_http_ok(hraw_response(kept, "GET", reply_timeout_ms()));
	fresh = hraw_open(d);
	/* 6 s of quiet: within the idle limit, so both stay open */
	expect_that(!hraw_closed(kept, 6000), NULL, "a kept-alive connection closed after less "
	    "than 10 s of quiet");
	expect_that(!hraw_closed(fresh, 0), NULL, "a new connection closed after 6 s");
	/* a request begins, and ends 6 s later */
	expect_that(hraw_send(kept, first, sizeof first - 1) && hraw_send(fresh, first,
	    sizeof first - 1), NULL, "the daemon closed a connection");
	r = hraw_response(kept, "GET", 6000);
	expect_http(r == NULL, r, "the kept-alive connection was answered before its request "
	    "ended, 6 s after it began and 12 s after the last answer: the 10 s run from the "
	    "last answer, not from the request's first byte");
	r = hraw_response(fresh, "GET", 0);
	expect_http(r == NULL, r, "the new connection was answered before its request ended, "
	    "6 s after it began and 12 s after the connection: the 10 s run from the "
	    "connection, not from the request's first byte");
	hraw_sendf(kept, "\r\n");
	hraw_sendf(fresh, "\r\n");
	r = hraw_response(kept, "GET", reply_timeout_ms());
	expect_http_ok(r);
	r = hraw_response(fresh, "GET", reply_timeout_ms());
	expect_http_ok(r);
	daemon_stop(d);
}

/*
 * Reports are answered by a worker, later: responses still come in request
 * order on a connection, and a client gone before its answer costs nothing.
 */
static void
test_late_replies(void **state)
{
	static const char report[] = "{\"from\":\"2026-11-01\",\"to\":\"" TODAY "\"}";
	struct daemon	*d = start_http(NULL);
	struct hraw	*h;
	struct hresp	*r;
	int64_t		 deadline;
	int		 i;

	(void)state;
	expect_http_ok(http_op(d, "K01", "ticket.issue", ISSUE_LOAN));
	h = hraw_open(d);
	hraw_request(h, "POST", "/api/v1/op/report.summary", .bearer = "S01", .body = report);
	hraw_request(h, "POST", "/api/v1/op/ping", .body = "{}");
	hraw_request(h, "POST", "/api/v1/op/report.followups", .bearer = "S01", .body = "{}");
	hraw_request(h, "GET", "/healthz");
	r = hraw_response(h, "POST", reply_timeout_ms());
	expect_http_ok(r);
	expect_int(r->hr_json, "tickets.total", 1);
	r = hraw_response(h, "POST", reply_timeout_ms());
	expect_http_ok(r);
	expect_str(r->hr_json, "now", H_CLOCK_START);
	r = hraw_response(h, "POST", reply_timeout_ms());
	expect_http_ok(r);
	expect_present(r->hr_json, "complaints");
	r = hraw_response(h, "GET", reply_timeout_ms());
	expect_http_ok(r);
	expect_http(cJSON_GetArraySize(r->hr_json) == 1, r, "not /healthz's answer");
	/* gone before the answer: reports, a change, a sign-in */
	for (i = 0; i < 20; i++) {
		h = hraw_open(d);
		hraw_request(h, "POST", "/api/v1/op/report.summary", .bearer = "S01",
		    .body = report);
		hraw_request(h, "POST", "/api/v1/op/ticket.issue", .bearer = "K01",
		    .body = ISSUE_LOAN);
		hraw_request(h, "POST", "/api/v1/session",
		    .body = "{\"terminal\":\"T01\",\"token\":\"tok-T01\"}");
		hraw_close(h);
	}
	expect_http_ok(http_rq(d, "GET", "/healthz"));
	/*
	 * The gone clients' reports still run, 16 at most at a time: until they
	 * are done, a report is refused with 503 "unavailable", and a client
	 * does what the message says, tries again shortly.
	 */
	deadline = mono_ms() + reply_timeout_ms();
	for (;;) {
		r = http_op(d, "S01", "report.summary", "%s", report);
		if (r->hr_status != 503 || mono_ms() >= deadline)
			break;
		expect_str(r->hr_json, "error.code", "unavailable");
		usleep(50000);
	}
	expect_http_ok(r);
	expect_that(jint(r->hr_json, "tickets.total") >= 1, r->hr_json, "the report lost tickets");
	daemon_stop(d);	/* and it stops cleanly, status 0 */
}

/* --http off: no listener, no url in the start line; TCP as ever. */
static void
test_http_off(void **state)
{
	struct daemon_opts	 opts = { .http = "off" };
	struct daemon		*d = daemon_start(&opts);
	struct conn		*k = login(d, "K01");

	(void)state;
	expect_that(d->d_http_port == 0 && d->d_http_url[0] == '\0', NULL,
	    "--http off, yet the start line names %s", d->d_http_url);
	expect_that(!daemon_log_contains(d, "url=http"), NULL, "--http off, yet a url is logged");
	cJSON_Delete(issue(k, "loan", 0, NULL));
	daemon_stop(d);
}

/* The path a page or script refers to (absolute, or relative to base's folder), or NULL. */
static const char *
resolve(const char *base, const char *ref, size_t len)
{
	size_t	dir;

	if (len == 0 || memchr(ref, ':', len) != NULL || ref[0] == '#' ||
	    (len > 1 && ref[0] == '/' && ref[1] == '/'))
		return NULL;	/* another origin, a scheme, a fragment */
	if (strcspn(ref, "?#") < len)
		len = strcspn(ref, "?#");
	if (ref[0] == '/')
		return hfmt("%.*s", (int)len, ref);
	dir = (size_t)(strrchr(base, '/') - base) + 1;
	if (len > 2 && strncmp(ref, "./", 2) == 0) {
		ref += 2;
		len -= 2;
	}
	return hfmt("%.*s%.*s", (int)dir, base, (int)len, ref);
}

/* The Content-Type a file needs under nosniff, by its name. */
static const char *
type_for(const char *path)
{
	const char	*dot = strrchr(path, '.');

	if (dot == NULL || strchr(dot, '/') != NULL || strcmp(dot, ".html") == 0)
		return "text/html";
	if (strcmp(dot, ".js") == 0 || strcmp(dot, ".mjs") == 0)
		return "javascript";	/* text/javascript or application/javascript */
	if (strcmp(dot, ".css") == 0)
		return "text/css";
	if (strcmp(dot, ".ico") == 0 || strcmp(dot, ".png") == 0 || strcmp(dot, ".svg") == 0)
		return "image/";
	if (strcmp(dot, ".json") == 0)
		return "application/json";
	return "";
}

/*
 * Everything the pages load, followed from the index: each file is there
 * with the type it needs under nosniff (a module script or a stylesheet of
 * the wrong type is not run or applied), cached by ETag, with the security
 * headers; and no page has what the CSP forbids (inline script, inline
 * style, handlers in attributes).
 */
static void
test_page_assets(void **state)
{
	static const char *const html_refs[] = { "src=\"", "href=\"", NULL };
	static const char *const js_refs[] = { "from \"", "from '", "import(\"", "import \"",
	    NULL };
	static const char *const inline_bad[] = { "<script>", "<script type=\"module\">",
	    " style=\"", "<style", " onclick=", " onload=", " onsubmit=", " onerror=",
	    "javascript:", NULL };
	struct daemon	*d = start_http(NULL);
	const char	*queue[128], *path, *ref, *type, *end;
	const char *const *refs;
	struct hresp	*r;
	size_t		 head = 0, tail = 0, i, k;
	bool		 html, js;

	(void)state;
	queue[tail++] = "/";
	while (head < tail) {
		path = queue[head++];
		r = http_rq(d, "GET", path);
		expect_http_status(r, 200);
		type = type_for(strcmp(path, "/") == 0 ? "/index.html" : path);
		expect_header_has(r, "Content-Type", type);
		expect_http(hresp_header(r, "ETag") != NULL, r, "%s has no ETag", path);
		expect_security_headers(r);
		html = strstr(type, "html") != NULL;
		js = strstr(type, "javascript") != NULL;
		if (html)
			for (i = 0; inline_bad[i] != NULL; i++)
				expect_http(strstr(r->hr_body, inline_bad[i]) == NULL, r,
				    "%s has %s, which the CSP forbids", path, inline_bad[i]);
		refs = html ? html_refs : js ? js_refs : NULL;
		for (k = 0; refs != NULL && refs[k] != NULL; k++) {
			for (ref = strstr(r->hr_body, refs[k]); ref != NULL;
			    ref = strstr(ref, refs[k])) {
				ref += strlen(refs[k]);
				end = ref + strcspn(ref, "\"'");
				if ((path = resolve(queue[head - 1], ref, (size_t)(end - ref)))
				    == NULL || strcmp(path, "/healthz") == 0)
					continue;
				for (i = 0; i < tail && strcmp(queue[i], path) != 0; i++)
					;
				if (i == tail && tail < sizeof queue / sizeof queue[0])
					queue[tail++] = path;
			}
		}
	}
	expect_that(tail >= 8, NULL, "only %zu files reached from the index", tail);
	daemon_stop(d);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_ops_with_bearer, harness_teardown),
		cmocka_unit_test_teardown(test_ops_with_cookie, harness_teardown),
		cmocka_unit_test_teardown(test_ping_hello_subscribe, harness_teardown),
		cmocka_unit_test_teardown(test_error_statuses, harness_teardown),
		cmocka_unit_test_teardown(test_body_limit, harness_teardown),
		cmocka_unit_test_teardown(test_content_type, harness_teardown),
		cmocka_unit_test_teardown(test_get_changes_nothing, harness_teardown),
		cmocka_unit_test_teardown(test_head_and_options, harness_teardown),
		cmocka_unit_test_teardown(test_bodyless_keep_alive, harness_teardown),
		cmocka_unit_test_teardown(test_log_escapes_client_text, harness_teardown),
		cmocka_unit_test_teardown(test_connection_cap, harness_teardown),
		cmocka_unit_test_teardown(test_unauthenticated_hint, harness_teardown),
		cmocka_unit_test_teardown(test_files, harness_teardown),
		cmocka_unit_test_teardown(test_pages, harness_teardown),
		cmocka_unit_test_teardown(test_page_assets, harness_teardown),
		cmocka_unit_test_teardown(test_security_headers, harness_teardown),
		cmocka_unit_test_teardown(test_host_rule, harness_teardown),
		cmocka_unit_test_teardown(test_origin_rule, harness_teardown),
		cmocka_unit_test_teardown(test_healthz, harness_teardown),
		cmocka_unit_test_teardown(test_commit_before_reply, harness_teardown),
		cmocka_unit_test_teardown(test_malformed_requests, harness_teardown),
		cmocka_unit_test_teardown(test_header_limit, harness_teardown),
		cmocka_unit_test_teardown(test_request_time_limit, harness_teardown),
		cmocka_unit_test_teardown(test_request_time_from_first_byte, harness_teardown),
		cmocka_unit_test_teardown(test_late_replies, harness_teardown),
		cmocka_unit_test_teardown(test_http_off, harness_teardown),
	};

	return cmocka_run_group_tests_name("e2e_http", tests, NULL, NULL);
}
