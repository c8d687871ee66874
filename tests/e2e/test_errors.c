/*
 * End-to-end: errors (PROTOCOL "Framing", decisions "Errors"): bad_json,
 * ids, op, unknown_op, bad_request naming the field, not_found, conflict,
 * line_too_long, the order of the checks, and that a refused request
 * changes nothing and leaves the connection usable.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

/* A reply without an id, or with "id":null (nothing could be echoed). */
#define EXPECT_NO_ID(r) \
	expect_that(jget((r), "id") == NULL || cJSON_IsNull(jget((r), "id")), (r), \
	    "no id can be echoed here")

static void
ping_works(struct conn *c)
{
	cJSON	*r = rq_ok(c, "{\"op\":\"ping\",\"id\":\"still-there\"}");

	expect_str(r, "id", "still-there");
	cJSON_Delete(r);
}

static void
test_bad_json(void **state)
{
	static const char *const lines[] = {
		"{not json}",
		"{\"op\":\"ping\"",
		"hello",
		"{\"op\":'ping'}",
		"{\"op\":\"ping\",}",
		"{\"op\" \"ping\"}",
		"\xff\xfe{\"op\":\"ping\"}",
		NULL
	};
	struct daemon	*d = daemon_start(NULL);
	struct conn	*c = conn_open(d);
	cJSON		*r;
	size_t		 i;

	(void)state;
	for (i = 0; lines[i] != NULL; i++) {
		r = rq(c, "%s", lines[i]);
		expect_error(r, "bad_json");
		EXPECT_NO_ID(r);
		cJSON_Delete(r);
		ping_works(c);
	}
	/* after hello too */
	hello(c, "S01");
	rq_err(c, "bad_json", "{\"op\":\"queue.snapshot\"");
	ping_works(c);
	daemon_stop(d);
}

/*
 * One object per line: a line holding more than one JSON value is not a
 * request.  (An earlier daemon parsed the first value and ignored the rest
 * of the line; this test keeps it fixed.)
 */
static void
test_trailing_garbage_is_bad_json(void **state)
{
	struct daemon	*d = daemon_start(NULL);
	struct conn	*c = conn_open(d);

	(void)state;
	rq_err(c, "bad_json", "{\"op\":\"ping\"} trailing");
	ping_works(c);
	rq_err(c, "bad_json", "{\"op\":\"ping\"}{\"op\":\"ping\"}");
	ping_works(c);
	daemon_stop(d);
}

static void
test_non_object_json(void **state)
{
	static const char *const lines[] = {
		"[1,2]", "[]", "[{\"op\":\"ping\"}]", "\"ping\"", "42", "null", "true", "false",
		NULL
	};
	struct daemon	*d = daemon_start(NULL);
	struct conn	*c = login(d, "S01");
	cJSON		*r;
	size_t		 i;

	(void)state;
	for (i = 0; lines[i] != NULL; i++) {
		r = rq(c, "%s", lines[i]);
		expect_error(r, "bad_json");
		EXPECT_NO_ID(r);
		cJSON_Delete(r);
	}
	ping_works(c);
	daemon_stop(d);
}

static void
test_id_echo(void **state)
{
	static const char *const ids[] = {
		"\"abc\"", "\"\"", "\"caf\xc3\xa9 \\\" 42\"", "17", "0", "-3.5", "1e3",
		"123456789012", "true", "false", "null", NULL
	};
	struct daemon	*d = daemon_start(NULL);
	struct conn	*c = conn_open(d);
	cJSON		*r, *want;
	char		 text[128];
	size_t		 i, pass;

	(void)state;
	for (pass = 0; pass < 2; pass++) {
		for (i = 0; ids[i] != NULL; i++) {
			snprintf(text, sizeof text, "{\"x\":%s}", ids[i]);
			want = cJSON_Parse(text);
			assert_non_null(want);
			/* a success, an unknown_op, an unauthenticated/bad_request */
			r = rq_ok(c, "{\"id\":%s,\"op\":\"ping\"}", ids[i]);
			expect_that(jget(r, "id") != NULL && cJSON_Compare(jget(r, "id"),
			    jget(want, "x"), true), r, "the id %s must be echoed", ids[i]);
			cJSON_Delete(r);
			r = rq(c, "{\"id\":%s,\"op\":\"no.such\"}", ids[i]);
			expect_error(r, "unknown_op");
			expect_that(jget(r, "id") != NULL && cJSON_Compare(jget(r, "id"),
			    jget(want, "x"), true), r, "the id %s must be echoed on errors", ids[i]);
			cJSON_Delete(r);
			r = rq(c, "{\"op\":\"ticket.cancel\",\"id\":%s}", ids[i]);
			expect_error(r, pass == 0 ? "unauthenticated" : "bad_request");
			expect_that(jget(r, "id") != NULL && cJSON_Compare(jget(r, "id"),
			    jget(want, "x"), true), r, "the id %s must be echoed on errors", ids[i]);
			cJSON_Delete(r);
			cJSON_Delete(want);
		}
		if (pass == 0)
			hello(c, "S01");
	}
	/* objects and arrays are not ids */
	r = rq(c, "{\"id\":{\"a\":1},\"op\":\"ping\"}");
	expect_bad_request(r, "id");
	EXPECT_NO_ID(r);
	cJSON_Delete(r);
	r = rq(c, "{\"id\":[1],\"op\":\"ping\"}");
	expect_bad_request(r, "id");
	EXPECT_NO_ID(r);
	cJSON_Delete(r);
	rq_bad(c, "id", "{\"id\":{},\"op\":\"ticket.issue\",\"service\":\"loan\"}");
	rq_bad(c, "id", "{\"id\":[],\"op\":\"ticket.issue\",\"service\":\"loan\"}");
	/* and the refused issues issued nothing */
	rq_err(c, "not_found", "{\"op\":\"ticket.status\",\"number\":\"A001\"}");
	ping_works(c);
	daemon_stop(d);
}

static void
test_missing_and_unknown_op(void **state)
{
	struct daemon	*d = daemon_start(NULL);
	struct conn	*c = conn_open(d);
	cJSON		*r;
	size_t		 pass;

	(void)state;
	for (pass = 0; pass < 2; pass++) {
		rq_bad(c, "op", "{}");
		r = rq(c, "{\"id\":9}");
		expect_bad_request(r, "op");
		expect_int(r, "id", 9);
		cJSON_Delete(r);
		rq_bad(c, "op", "{\"op\":5}");
		rq_bad(c, "op", "{\"op\":null}");
		rq_bad(c, "op", "{\"op\":[\"ping\"]}");
		rq_bad(c, "op", "{\"OP\":\"ping\"}");
		r = rq(c, "{\"op\":\"nope\",\"id\":\"u\"}");
		expect_error(r, "unknown_op");
		expect_str(r, "id", "u");
		cJSON_Delete(r);
		rq_err(c, "unknown_op", "{\"op\":\"TICKET.ISSUE\"}");
		rq_err(c, "unknown_op", "{\"op\":\"ticket.issue \"}");
		rq_err(c, "unknown_op", "{\"op\":\"ticket\"}");
		ping_works(c);
		if (pass == 0)
			hello(c, "S01");
	}
	daemon_stop(d);
}

/* bad_request naming the field, for the fields of every ticket and window op. */
static const struct field_case {
	const char	*request;
	const char	*field;
} field_cases[] = {
	/* ticket.issue */
	{ "{\"op\":\"ticket.issue\"}", "service" },
	{ "{\"op\":\"ticket.issue\",\"service\":5}", "service" },
	{ "{\"op\":\"ticket.issue\",\"service\":\"haircut\"}", "service" },
	{ "{\"op\":\"ticket.issue\",\"service\":\"CASH_WITHDRAWAL\",\"amount_fen\":100}", "service" },
	{ "{\"op\":\"ticket.issue\",\"service\":null}", "service" },
	{ "{\"op\":\"ticket.issue\",\"service\":\"cash_withdrawal\"}", "amount_fen" },
	{ "{\"op\":\"ticket.issue\",\"service\":\"cash_deposit\"}", "amount_fen" },
	{ "{\"op\":\"ticket.issue\",\"service\":\"transfer\"}", "amount_fen" },
	{ "{\"op\":\"ticket.issue\",\"service\":\"cash_deposit\",\"amount_fen\":null}", "amount_fen" },
	{ "{\"op\":\"ticket.issue\",\"service\":\"transfer\",\"amount_fen\":\"100\"}", "amount_fen" },
	{ "{\"op\":\"ticket.issue\",\"service\":\"transfer\",\"amount_fen\":1.5}", "amount_fen" },
	{ "{\"op\":\"ticket.issue\",\"service\":\"cash_withdrawal\",\"amount_fen\":0}", "amount_fen" },
	{ "{\"op\":\"ticket.issue\",\"service\":\"cash_withdrawal\",\"amount_fen\":-1}", "amount_fen" },
	{ "{\"op\":\"ticket.issue\",\"service\":\"cash_withdrawal\",\"amount_fen\":1000000000001}",
	    "amount_fen" },
	{ "{\"op\":\"ticket.issue\",\"service\":\"cash_withdrawal\",\"amount_fen\":1e15}", "amount_fen" },
	{ "{\"op\":\"ticket.issue\",\"service\":\"cash_withdrawal\",\"amount_fen\":true}", "amount_fen" },
	{ "{\"op\":\"ticket.issue\",\"service\":\"cash_withdrawal\",\"amount_fen\":[100]}", "amount_fen" },
	{ "{\"op\":\"ticket.issue\",\"service\":\"loan\",\"flags\":\"vip\"}", "flags" },
	{ "{\"op\":\"ticket.issue\",\"service\":\"loan\",\"flags\":[]}", "flags" },
	{ "{\"op\":\"ticket.issue\",\"service\":\"loan\",\"flags\":true}", "flags" },
	{ "{\"op\":\"ticket.issue\",\"service\":\"loan\",\"flags\":{\"vip\":\"yes\"}}", "flags.vip" },
	{ "{\"op\":\"ticket.issue\",\"service\":\"loan\",\"flags\":{\"vip\":1}}", "flags.vip" },
	{ "{\"op\":\"ticket.issue\",\"service\":\"loan\",\"flags\":{\"loose_cash\":\"true\"}}",
	    "flags.loose_cash" },
	{ "{\"op\":\"ticket.issue\",\"service\":\"loan\",\"flags\":{\"needs_assistance\":0}}",
	    "flags.needs_assistance" },
	{ "{\"op\":\"ticket.issue\",\"service\":\"loan\",\"flags\":{\"accessibility\":\"wings\"}}",
	    "flags.accessibility" },
	{ "{\"op\":\"ticket.issue\",\"service\":\"loan\",\"flags\":{\"accessibility\":true}}",
	    "flags.accessibility" },
	{ "{\"op\":\"ticket.issue\",\"service\":\"loan\",\"flags\":{\"accessibility\":\"none\"}}",
	    "flags.accessibility" },
	{ "{\"op\":\"ticket.issue\",\"service\":\"loan\",\"flags\":{\"laser\":true}}", "flags.laser" },
	{ "{\"op\":\"ticket.issue\",\"service\":\"loan\",\"flags\":{\"vip\":true,\"VIP\":true}}",
	    "flags.VIP" },
	/* ticket.status */
	{ "{\"op\":\"ticket.status\"}", "number" },
	{ "{\"op\":\"ticket.status\",\"number\":12}", "number" },
	{ "{\"op\":\"ticket.status\",\"number\":\"\"}", "number" },
	{ "{\"op\":\"ticket.status\",\"number\":\"A1\"}", "number" },
	{ "{\"op\":\"ticket.status\",\"number\":\"X001\"}", "number" },
	{ "{\"op\":\"ticket.status\",\"number\":\"a001\"}", "number" },
	{ "{\"op\":\"ticket.status\",\"number\":\"A00x\"}", "number" },
	{ "{\"op\":\"ticket.status\",\"number\":\"A-01\"}", "number" },
	/* ticket.reroute */
	{ "{\"op\":\"ticket.reroute\",\"to_lane\":\"counter\",\"reason\":\"other\"}", "number" },
	{ "{\"op\":\"ticket.reroute\",\"number\":\"S001\",\"reason\":\"other\"}", "to_lane" },
	{ "{\"op\":\"ticket.reroute\",\"number\":\"S001\",\"to_lane\":\"self_service\","
	    "\"reason\":\"other\"}", "to_lane" },
	{ "{\"op\":\"ticket.reroute\",\"number\":\"S001\",\"to_lane\":\"moon\",\"reason\":\"other\"}",
	    "to_lane" },
	{ "{\"op\":\"ticket.reroute\",\"number\":\"S001\",\"to_lane\":2,\"reason\":\"other\"}",
	    "to_lane" },
	{ "{\"op\":\"ticket.reroute\",\"number\":\"S001\",\"to_lane\":\"counter\"}", "reason" },
	{ "{\"op\":\"ticket.reroute\",\"number\":\"S001\",\"to_lane\":\"counter\",\"reason\":\"bored\"}",
	    "reason" },
	{ "{\"op\":\"ticket.reroute\",\"number\":\"S001\",\"to_lane\":\"counter\",\"reason\":3}",
	    "reason" },
	/* ticket.cancel and the window actions */
	{ "{\"op\":\"ticket.cancel\"}", "number" },
	{ "{\"op\":\"ticket.cancel\",\"number\":1.5}", "number" },
	{ "{\"op\":\"ticket.recall\"}", "number" },
	{ "{\"op\":\"ticket.recall\",\"number\":\"A\"}", "number" },
	{ "{\"op\":\"ticket.no_show\"}", "number" },
	{ "{\"op\":\"ticket.no_show\",\"number\":true}", "number" },
	{ "{\"op\":\"ticket.start\"}", "number" },
	{ "{\"op\":\"ticket.start\",\"number\":[\"A001\"]}", "number" },
	{ "{\"op\":\"ticket.complete\"}", "number" },
	{ "{\"op\":\"ticket.complete\",\"number\":\"Z001\"}", "number" },
	{ "{\"op\":\"ticket.transfer\",\"to_lane\":\"vip\"}", "number" },
	{ "{\"op\":\"ticket.transfer\",\"number\":\"A001\"}", "to_lane" },
	{ "{\"op\":\"ticket.transfer\",\"number\":\"A001\",\"to_lane\":\"self_service\"}", "to_lane" },
	{ "{\"op\":\"ticket.transfer\",\"number\":\"A001\",\"to_lane\":1}", "to_lane" },
	{ "{\"op\":\"ticket.transfer\",\"number\":\"A001\",\"to_lane\":\"Counter\"}", "to_lane" },
	/* window.open */
	{ "{\"op\":\"window.open\",\"lanes\":[\"counter\"]}", "window" },
	{ "{\"op\":\"window.open\",\"window\":0,\"lanes\":[\"counter\"]}", "window" },
	{ "{\"op\":\"window.open\",\"window\":100,\"lanes\":[\"counter\"]}", "window" },
	{ "{\"op\":\"window.open\",\"window\":2.5,\"lanes\":[\"counter\"]}", "window" },
	{ "{\"op\":\"window.open\",\"window\":\"2\",\"lanes\":[\"counter\"]}", "window" },
	{ "{\"op\":\"window.open\",\"window\":2}", "lanes" },
	{ "{\"op\":\"window.open\",\"window\":2,\"lanes\":[]}", "lanes" },
	{ "{\"op\":\"window.open\",\"window\":2,\"lanes\":[\"self_service\"]}", "lanes" },
	{ "{\"op\":\"window.open\",\"window\":2,\"lanes\":[\"vip\",\"vip\"]}", "lanes" },
	{ "{\"op\":\"window.open\",\"window\":2,\"lanes\":\"vip\"}", "lanes" },
	/* selfservice.set */
	{ "{\"op\":\"selfservice.set\"}", "available" },
	{ "{\"op\":\"selfservice.set\",\"available\":\"no\"}", "available" },
	{ "{\"op\":\"selfservice.set\",\"available\":0}", "available" },
	{ "{\"op\":\"selfservice.set\",\"available\":null}", "available" },
	/* subscribe */
	{ "{\"op\":\"subscribe\"}", "topics" },
	{ "{\"op\":\"subscribe\",\"topics\":\"calls\"}", "topics" },
	{ "{\"op\":\"subscribe\",\"topics\":[\"nope\"]}", "topics" },
	{ "{\"op\":\"subscribe\",\"topics\":[\"calls\",\"calls\"]}", "topics" },
	{ "{\"op\":\"subscribe\",\"topics\":[1]}", "topics" },
	/* clock.advance */
	{ "{\"op\":\"clock.advance\"}", "seconds" },
	{ "{\"op\":\"clock.advance\",\"seconds\":-1}", "seconds" },
	{ "{\"op\":\"clock.advance\",\"seconds\":1.5}", "seconds" },
	{ "{\"op\":\"clock.advance\",\"seconds\":\"10\"}", "seconds" },
	{ NULL, NULL }
};

static void
test_bad_request_names_field(void **state)
{
	struct daemon	*d = daemon_start(NULL);
	struct conn	*s = login(d, "S01"), *c = conn_open(d);
	cJSON		*before, *after;
	size_t		 i;

	(void)state;
	before = rq_ok(s, "{\"op\":\"queue.snapshot\"}");
	for (i = 0; field_cases[i].request != NULL; i++)
		rq_bad(s, field_cases[i].field, "%s", field_cases[i].request);
	ping_works(s);
	after = rq_ok(s, "{\"op\":\"queue.snapshot\"}");
	expect_that(cJSON_Compare(before, after, true), after,
	    "refused requests changed the queue");
	cJSON_Delete(before);
	cJSON_Delete(after);
	rq_err(s, "not_found", "{\"op\":\"ticket.status\",\"number\":\"A001\"}");
	rq_err(s, "not_found", "{\"op\":\"ticket.status\",\"number\":\"S001\"}");

	/* hello's own fields, before authentication */
	rq_bad(c, "terminal", "{\"op\":\"hello\"}");
	rq_bad(c, "terminal", "{\"op\":\"hello\",\"terminal\":5,\"token\":\"tok-K01\"}");
	rq_bad(c, "token", "{\"op\":\"hello\",\"terminal\":\"K01\"}");
	rq_bad(c, "token", "{\"op\":\"hello\",\"terminal\":\"K01\",\"token\":5}");
	rq_err(c, "unauthenticated", "{\"op\":\"queue.snapshot\"}");
	/* unknown extra top-level fields are ignored */
	cJSON_Delete(rq_ok(c, "{\"op\":\"hello\",\"terminal\":\"K01\",\"token\":\"tok-K01\","
	    "\"extra\":{\"anything\":[1,2]}}"));
	cJSON_Delete(rq_ok(c, "{\"op\":\"ticket.issue\",\"service\":\"loan\",\"colour\":\"red\"}"));
	/* the largest amount is fine, and 1 */
	cJSON_Delete(rq_ok(c, "{\"op\":\"ticket.issue\",\"service\":\"transfer\","
	    "\"amount_fen\":1000000000000}"));
	cJSON_Delete(rq_ok(c, "{\"op\":\"ticket.issue\",\"service\":\"transfer\","
	    "\"amount_fen\":1}"));
	daemon_stop(d);
}

/*
 * decisions: clock.advance {seconds: integer 0..315360000}.  (An earlier
 * daemon's bound was 10 * 366 * 86400 = 316224000.)
 */
static void
test_clock_advance_range(void **state)
{
	struct daemon	*d = daemon_start(NULL);
	struct conn	*s = login(d, "S01");
	cJSON		*r;

	(void)state;
	r = rq_ok(s, "{\"op\":\"clock.advance\",\"seconds\":0}");
	expect_str(r, "now", H_CLOCK_START);
	cJSON_Delete(r);
	rq_bad(s, "seconds", "{\"op\":\"clock.advance\",\"seconds\":315360001}");
	r = rq_ok(s, "{\"op\":\"ping\"}");
	expect_str(r, "now", H_CLOCK_START);
	cJSON_Delete(r);
	daemon_stop(d);
}

/* decisions "Errors": the order in which a request is checked. */
static void
test_error_order(void **state)
{
	struct daemon	*d = daemon_start(NULL);
	struct conn	*c = conn_open(d), *disp;
	cJSON		*r;

	(void)state;
	/* id before op */
	rq_bad(c, "id", "{\"id\":{},\"op\":\"nope\"}");
	rq_bad(c, "id", "{\"id\":[]}");
	/* op before anything else */
	rq_bad(c, "op", "{\"op\":7,\"service\":3}");
	/* unknown_op before unauthenticated */
	rq_err(c, "unknown_op", "{\"op\":\"nope\"}");
	/* unauthenticated before the fields */
	rq_err(c, "unauthenticated", "{\"op\":\"ticket.issue\",\"service\":\"haircut\"}");
	rq_err(c, "unauthenticated", "{\"op\":\"clock.advance\",\"seconds\":\"x\"}");
	/* forbidden before the fields */
	disp = login(d, "D01");
	rq_err(disp, "forbidden", "{\"op\":\"ticket.issue\",\"service\":\"haircut\"}");
	rq_err(disp, "forbidden", "{\"op\":\"window.open\",\"window\":0}");
	rq_err(disp, "forbidden", "{\"op\":\"ticket.cancel\",\"number\":\"A001\"}");
	/* the fields before the operation */
	hello(c, "T01");
	rq_bad(c, "number", "{\"op\":\"ticket.start\",\"number\":\"bad\"}");	/* not conflict */
	rq_bad(c, "to_lane", "{\"op\":\"ticket.transfer\",\"number\":\"A404\","
	    "\"to_lane\":\"moon\"}");				/* not not_found */
	rq_bad(c, "lanes", "{\"op\":\"window.open\",\"window\":1,\"lanes\":[]}");
	/* then the operation */
	rq_err(c, "not_found", "{\"op\":\"ticket.start\",\"number\":\"A404\"}");
	rq_err(c, "conflict", "{\"op\":\"ticket.call_next\"}");
	r = rq(c, "{\"op\":\"ticket.transfer\",\"number\":\"A404\",\"to_lane\":\"vip\"}");
	expect_error(r, "not_found");
	cJSON_Delete(r);
	daemon_stop(d);
}

static void
test_not_found_and_conflict(void **state)
{
	struct daemon	*d = daemon_start(NULL);
	struct conn	*k = login(d, "K01"), *l = login(d, "L01"), *t = login(d, "T01");
	cJSON		*r;

	(void)state;
	rq_err(k, "not_found", "{\"op\":\"ticket.status\",\"number\":\"A999\"}");
	rq_err(l, "not_found", "{\"op\":\"ticket.cancel\",\"number\":\"A999\"}");
	rq_err(l, "not_found", "{\"op\":\"ticket.reroute\",\"number\":\"S999\","
	    "\"to_lane\":\"counter\",\"reason\":\"other\"}");
	cJSON_Delete(rq_ok(t, "{\"op\":\"window.open\",\"window\":1,\"lanes\":[\"counter\"]}"));
	rq_err(t, "not_found", "{\"op\":\"ticket.recall\",\"number\":\"A999\"}");
	rq_err(t, "not_found", "{\"op\":\"ticket.no_show\",\"number\":\"A999\"}");
	rq_err(t, "not_found", "{\"op\":\"ticket.complete\",\"number\":\"V999\"}");
	rq_err(t, "not_found", "{\"op\":\"ticket.transfer\",\"number\":\"E999\","
	    "\"to_lane\":\"vip\"}");
	ping_works(t);

	cJSON_Delete(issue(k, "loan", 0, NULL));	/* A001 */
	cJSON_Delete(rq_ok(l, "{\"op\":\"ticket.cancel\",\"number\":\"A001\"}"));
	r = rq(l, "{\"op\":\"ticket.cancel\",\"number\":\"A001\",\"id\":3}");
	expect_error(r, "conflict");
	expect_int(r, "id", 3);
	cJSON_Delete(r);
	rq_err(t, "conflict", "{\"op\":\"ticket.start\",\"number\":\"A001\"}");
	rq_err(l, "conflict", "{\"op\":\"ticket.reroute\",\"number\":\"A001\","
	    "\"to_lane\":\"vip\",\"reason\":\"other\"}");
	ping_works(l);
	ping_works(t);
	daemon_stop(d);
}

static char *
padded_line(size_t total, bool newline)
{
	static const char head[] = "{\"op\":\"ping\",\"id\":\"big\",\"pad\":\"";
	char	*buf = malloc(total + 2);
	size_t	 i;

	assert_non_null(buf);
	memcpy(buf, head, sizeof head - 1);
	for (i = sizeof head - 1; i < total - 2; i++)
		buf[i] = 'x';
	buf[total - 2] = '"';
	buf[total - 1] = '}';
	buf[total] = newline ? '\n' : '\0';
	buf[total + 1] = '\0';
	return buf;
}

static void
expect_too_long(struct conn *c, size_t total, bool newline)
{
	char	*line = padded_line(total, newline);
	cJSON	*r;

	send_raw(c, line, total + (newline ? 1 : 0));
	free(line);
	r = read_reply(c, reply_timeout_ms());
	expect_that(r != NULL, NULL, "no line_too_long reply to a %zu-byte line", total);
	expect_error(r, "line_too_long");
	cJSON_Delete(r);
	expect_that(peer_closed(c, reply_timeout_ms()), NULL,
	    "the connection must be closed after line_too_long");
}

static void
test_line_too_long(void **state)
{
	struct daemon	*d = daemon_start(NULL);
	struct conn	*other = login(d, "S01"), *c;
	char		*line;
	cJSON		*r;

	(void)state;
	/* 65,535 bytes and the newline: within the limit however it is counted */
	c = login(d, "K01");
	line = padded_line(65535, true);
	send_raw(c, line, 65536);
	free(line);
	r = read_reply(c, reply_timeout_ms());
	expect_that(r != NULL, NULL, "no reply to a 65,535-byte line");
	expect_ok(r);
	expect_str(r, "id", "big");
	cJSON_Delete(r);
	ping_works(c);
	conn_close(c);

	c = login(d, "K01");
	expect_too_long(c, 70000, true);
	conn_close(c);
	c = conn_open(d);
	expect_too_long(c, 65537, true);
	conn_close(c);
	/* no newline at all */
	c = conn_open(d);
	expect_too_long(c, 70000, false);
	conn_close(c);
	/* a split line that ends up too long */
	c = conn_open(d);
	line = padded_line(70000, true);
	send_raw(c, line, 40000);
	r = read_reply(c, 100);
	expect_that(r == NULL, r, "a reply before the line was complete");
	send_raw(c, line + 40000, 30001);
	free(line);
	r = read_reply(c, reply_timeout_ms());
	expect_that(r != NULL, NULL, "no line_too_long reply");
	expect_error(r, "line_too_long");
	cJSON_Delete(r);
	expect_that(peer_closed(c, reply_timeout_ms()), NULL, "closed after line_too_long");
	conn_close(c);

	/* other connections are not affected */
	ping_works(other);
	daemon_stop(d);
}

static void
test_refused_changes_nothing(void **state)
{
	static const char *const numbers[] = { "A001", "A002", "S001", "A003", NULL };
	struct daemon	*d = daemon_start(NULL);
	struct conn	*k = login(d, "K01"), *l = login(d, "L01"), *t = login(d, "T01");
	struct conn	*t2 = login(d, "T02"), *s = login(d, "S01"), *disp = login(d, "D01");
	struct conn	*anon = conn_open(d);
	cJSON		*before, *after, *tb[4], *ta, *tk;
	size_t		 i;

	(void)state;
	cJSON_Delete(issue(k, "loan", 0, NULL));			/* A001 */
	cJSON_Delete(issue(k, "loan", 0, NULL));			/* A002 */
	cJSON_Delete(issue(k, "cash_withdrawal", 100000, NULL));	/* S001 */
	cJSON_Delete(issue(k, "loan", 0, NULL));			/* A003 */
	cJSON_Delete(rq_ok(t, "{\"op\":\"window.open\",\"window\":1,\"lanes\":[\"counter\"]}"));
	cJSON_Delete(rq_ok(t, "{\"op\":\"ticket.call_next\"}"));	/* A001 called */
	cJSON_Delete(rq_ok(disp, "{\"op\":\"subscribe\",\"topics\":[\"calls\",\"queue\"]}"));
	drain_events(disp, 300);
	before = rq_ok(s, "{\"op\":\"queue.snapshot\"}");
	for (i = 0; numbers[i] != NULL; i++)
		tb[i] = ticket_status(k, numbers[i]);

	/* refused, every one */
	rq_bad(k, "amount_fen", "{\"op\":\"ticket.issue\",\"service\":\"cash_withdrawal\","
	    "\"amount_fen\":0}");
	rq_bad(k, "flags.laser", "{\"op\":\"ticket.issue\",\"service\":\"loan\","
	    "\"flags\":{\"laser\":true}}");
	rq_err(disp, "forbidden", "{\"op\":\"ticket.issue\",\"service\":\"loan\"}");
	rq_err(t, "forbidden", "{\"op\":\"ticket.issue\",\"service\":\"loan\"}");
	rq_err(anon, "unauthenticated", "{\"op\":\"ticket.issue\",\"service\":\"loan\"}");
	rq_err(k, "forbidden", "{\"op\":\"ticket.cancel\",\"number\":\"A002\"}");
	rq_err(k, "forbidden", "{\"op\":\"selfservice.set\",\"available\":false}");
	rq_err(t, "forbidden", "{\"op\":\"selfservice.set\",\"available\":false}");
	rq_err(l, "conflict", "{\"op\":\"ticket.cancel\",\"number\":\"A001\"}");
	rq_bad(l, "reason", "{\"op\":\"ticket.reroute\",\"number\":\"A002\","
	    "\"to_lane\":\"vip\",\"reason\":\"whim\"}");
	rq_err(l, "conflict", "{\"op\":\"ticket.reroute\",\"number\":\"A002\","
	    "\"to_lane\":\"counter\",\"reason\":\"other\"}");
	rq_bad(t, "to_lane", "{\"op\":\"ticket.transfer\",\"number\":\"A001\","
	    "\"to_lane\":\"self_service\"}");
	rq_err(t, "conflict", "{\"op\":\"ticket.no_show\",\"number\":\"A001\"}");
	rq_err(t, "conflict", "{\"op\":\"ticket.complete\",\"number\":\"A001\"}");
	rq_err(t, "conflict", "{\"op\":\"ticket.start\",\"number\":\"A002\"}");
	rq_err(t2, "conflict", "{\"op\":\"ticket.recall\",\"number\":\"A001\"}");
	rq_err(t2, "conflict", "{\"op\":\"ticket.start\",\"number\":\"A001\"}");
	rq_err(t2, "conflict", "{\"op\":\"ticket.call_next\"}");
	rq_err(t, "conflict", "{\"op\":\"ticket.call_next\"}");
	rq_err(t2, "conflict", "{\"op\":\"window.open\",\"window\":1,\"lanes\":[\"vip\"]}");
	rq_err(t, "conflict", "{\"op\":\"window.open\",\"window\":2,\"lanes\":[\"vip\"]}");
	rq_err(t, "conflict", "{\"op\":\"window.close\"}");
	rq_err(t, "conflict", "{\"op\":\"window.resume\"}");
	rq_err(t2, "conflict", "{\"op\":\"window.pause\"}");
	rq_bad(t, "lanes", "{\"op\":\"window.open\",\"window\":1,\"lanes\":[\"self_service\"]}");
	rq_bad(l, "available", "{\"op\":\"selfservice.set\",\"available\":\"no\"}");
	rq_err(t, "forbidden", "{\"op\":\"clock.advance\",\"seconds\":3600}");
	rq_bad(s, "seconds", "{\"op\":\"clock.advance\",\"seconds\":-60}");
	rq_err(k, "bad_json", "{\"op\":\"ticket.issue\",\"service\":\"loan\"");
	rq_bad(k, "id", "{\"id\":{},\"op\":\"ticket.issue\",\"service\":\"loan\"}");

	/* nothing changed */
	after = rq_ok(s, "{\"op\":\"queue.snapshot\"}");
	expect_that(cJSON_Compare(before, after, true), after, "a refused request changed the "
	    "queue");
	cJSON_Delete(before);
	cJSON_Delete(after);
	for (i = 0; numbers[i] != NULL; i++) {
		ta = ticket_status(k, numbers[i]);
		expect_that(cJSON_Compare(tb[i], ta, true), ta, "a refused request changed %s",
		    numbers[i]);
		cJSON_Delete(ta);
		cJSON_Delete(tb[i]);
	}
	/* nothing was announced */
	tk = next_event(disp, 300);
	expect_that(tk == NULL, tk, "an event after refused requests only");
	/* no number was used up */
	tk = issue(k, "loan", 0, NULL);
	expect_str(tk, "number", "A004");
	cJSON_Delete(tk);
	tk = issue(k, "transfer", 100, NULL);
	expect_str(tk, "number", "S002");
	cJSON_Delete(tk);
	/* and every connection is still usable */
	ping_works(k);
	ping_works(l);
	ping_works(t);
	ping_works(t2);
	ping_works(s);
	ping_works(disp);
	ping_works(anon);
	daemon_stop(d);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_bad_json, harness_teardown),
		cmocka_unit_test_teardown(test_trailing_garbage_is_bad_json, harness_teardown),
		cmocka_unit_test_teardown(test_non_object_json, harness_teardown),
		cmocka_unit_test_teardown(test_id_echo, harness_teardown),
		cmocka_unit_test_teardown(test_missing_and_unknown_op, harness_teardown),
		cmocka_unit_test_teardown(test_bad_request_names_field, harness_teardown),
		cmocka_unit_test_teardown(test_clock_advance_range, harness_teardown),
		cmocka_unit_test_teardown(test_error_order, harness_teardown),
		cmocka_unit_test_teardown(test_not_found_and_conflict, harness_teardown),
		cmocka_unit_test_teardown(test_line_too_long, harness_teardown),
		cmocka_unit_test_teardown(test_refused_changes_nothing, harness_teardown),
	};

	return cmocka_run_group_tests_name("e2e_errors", tests, NULL, NULL);
}
