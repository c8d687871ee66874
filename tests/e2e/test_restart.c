/*
 * End-to-end: durability (PROTOCOL: "ok":true means committed; SIGTERM exits
 * 0; DOMAIN §2: a number is never issued twice in a day, crash or not).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

#define MAX_ACKED	1024

struct acked {
	char	number[16];
	char	status[16];
	char	lane[16];
};

static void
test_sigterm_restart_keeps_state(void **state)
{
	struct daemon	*d = daemon_start(NULL);
	struct conn	*k = login(d, "K01"), *l = login(d, "L01"), *t = login(d, "T01");
	struct conn	*t2 = login(d, "T02"), *disp = login(d, "D01");
	cJSON		*before, *after, *r, *tk;
	char		*b, *a;

	(void)state;
	cJSON_Delete(issue(k, "cash_withdrawal", 100000, NULL));	/* S001 diverted */
	cJSON_Delete(issue(k, "loan", 0, NULL));			/* A001 */
	cJSON_Delete(issue(k, "loan", 0, NULL));			/* A002 */
	cJSON_Delete(issue(k, "loan", 0, "{\"needs_assistance\":true}"));	/* A003 */
	cJSON_Delete(issue(k, "loan", 0, NULL));			/* A004 */
	cJSON_Delete(rq_ok(t, "{\"op\":\"window.open\",\"window\":1,\"lanes\":[\"counter\"]}"));
	r = rq_ok(t, "{\"op\":\"ticket.call_next\"}");
	expect_str(r, "ticket.number", "A003");
	cJSON_Delete(r);
	cJSON_Delete(rq_ok(t, "{\"op\":\"ticket.recall\",\"number\":\"A003\"}"));
	cJSON_Delete(rq_ok(t, "{\"op\":\"ticket.start\",\"number\":\"A003\"}"));
	cJSON_Delete(rq_ok(t2, "{\"op\":\"window.open\",\"window\":2,\"lanes\":[\"express\","
	    "\"counter\"]}"));
	cJSON_Delete(rq_ok(t2, "{\"op\":\"window.pause\"}"));
	cJSON_Delete(rq_ok(l, "{\"op\":\"ticket.cancel\",\"number\":\"A004\"}"));
	cJSON_Delete(rq_ok(l, "{\"op\":\"selfservice.set\",\"available\":false}"));
	cJSON_Delete(rq_ok(disp, "{\"op\":\"subscribe\",\"topics\":[\"calls\",\"queue\"]}"));
	before = rq_ok(k, "{\"op\":\"queue.snapshot\"}");

	/* SIGTERM with terminals connected: exit 0, connections closed */
	daemon_stop(d);
	expect_that(peer_closed(k, reply_timeout_ms()), NULL,
	    "a stopped daemon closes its connections");
	conn_close(k);
	conn_close(l);
	conn_close(t);
	conn_close(t2);
	conn_close(disp);

	daemon_restart(d);
	k = login(d, "K01");
	after = rq_ok(k, "{\"op\":\"queue.snapshot\"}");
	b = jprint(before);
	a = jprint(after);
	expect_that(cJSON_Compare(before, after, true), after,
	    "the snapshot after a restart differs; before: %.900s", b);
	free(b);
	free(a);
	cJSON_Delete(before);
	cJSON_Delete(after);

	tk = ticket_status(k, "S001");
	expect_str(tk, "status", "diverted");
	cJSON_Delete(tk);
	tk = ticket_status(k, "A003");
	expect_str(tk, "status", "serving");
	expect_int(tk, "window", 1);
	expect_int(tk, "recalls", 1);
	expect_bool(tk, "priority", true);
	expect_bool(tk, "flags.needs_assistance", true);
	expect_str(tk, "started_at", H_CLOCK_START);
	cJSON_Delete(tk);
	tk = ticket_status(k, "A001");
	expect_str(tk, "status", "waiting");
	expect_int(tk, "position", 1);
	cJSON_Delete(tk);
	tk = ticket_status(k, "A004");
	expect_str(tk, "status", "cancelled");
	cJSON_Delete(tk);

	/* self-service is still off, and the numbering continues */
	tk = issue(k, "cash_withdrawal", 100000, NULL);
	expect_str(tk, "number", "A005");
	expect_str(tk, "route_rule", "self_service_unavailable");
	cJSON_Delete(tk);
	l = login(d, "L01");
	cJSON_Delete(rq_ok(l, "{\"op\":\"selfservice.set\",\"available\":true}"));
	tk = issue(k, "transfer", 100000, NULL);
	expect_str(tk, "number", "S002");
	cJSON_Delete(tk);

	/* the windows carry on where they were */
	t = login(d, "T01");
	t2 = login(d, "T02");
	rq_err(t2, "conflict", "{\"op\":\"window.pause\"}");	/* still paused */
	cJSON_Delete(rq_ok(t2, "{\"op\":\"window.resume\"}"));
	rq_err(t, "conflict", "{\"op\":\"ticket.call_next\"}");	/* A003 still current */
	cJSON_Delete(rq_ok(t, "{\"op\":\"ticket.complete\",\"number\":\"A003\"}"));
	r = rq_ok(t, "{\"op\":\"ticket.call_next\"}");
	expect_str(r, "ticket.number", "A001");
	cJSON_Delete(r);
	daemon_stop(d);
}

static bool
seen(const struct acked *list, size_t n, const char *number)
{
	size_t	i;

	for (i = 0; i < n; i++)
		if (strcmp(list[i].number, number) == 0)
			return true;
	return false;
}

static void
record(struct acked *list, size_t *n, const cJSON *ticket)
{
	expect_that(*n < MAX_ACKED, ticket, "too many tickets for the test's list");
	expect_that(!seen(list, *n, jstr(ticket, "number")), ticket,
	    "a number was issued twice");
	snprintf(list[*n].number, sizeof list[*n].number, "%s", jstr(ticket, "number"));
	snprintf(list[*n].status, sizeof list[*n].status, "%s", jstr(ticket, "status"));
	snprintf(list[*n].lane, sizeof list[*n].lane, "%s", jstr(ticket, "lane"));
	(*n)++;
}

/* lane NULL: unchanged. */
static void
set_status(struct acked *list, size_t n, const char *number, const char *status,
    const char *lane)
{
	size_t	i;

	for (i = 0; i < n; i++)
		if (strcmp(list[i].number, number) == 0) {
			snprintf(list[i].status, sizeof list[i].status, "%s", status);
			if (lane != NULL)
				snprintf(list[i].lane, sizeof list[i].lane, "%s", lane);
		}
}

static const char *const burst_services[] = {
	"{\"op\":\"ticket.issue\",\"service\":\"loan\"}",
	"{\"op\":\"ticket.issue\",\"service\":\"cash_withdrawal\",\"amount_fen\":150000}",
	"{\"op\":\"ticket.issue\",\"service\":\"transfer\",\"amount_fen\":9000000}",
};

static void
test_kill9_keeps_acknowledged(void **state)
{
	static struct acked	 acked[MAX_ACKED];
	struct daemon		*d = daemon_start(NULL);
	struct conn		*k = login(d, "K01"), *l = login(d, "L01"), *t = login(d, "T01");
	size_t			 n = 0, i, len = 0;
	cJSON			*r, *tk;
	char			*burst;
	const size_t		 nburst = 600, nread = 50;
	size_t			 drained = 0;
	long			 maxseq[26];
	int			 letter;

	(void)state;
	/* acknowledged one by one, with state changes */
	for (i = 0; i < 45; i++) {
		r = rq_ok(k, "%s", burst_services[i % 3]);
		record(acked, &n, jget(r, "ticket"));
		cJSON_Delete(r);
	}
	cJSON_Delete(rq_ok(l, "{\"op\":\"ticket.cancel\",\"number\":\"A002\"}"));
	set_status(acked, n, "A002", "cancelled", NULL);
	cJSON_Delete(rq_ok(l, "{\"op\":\"ticket.cancel\",\"number\":\"S003\"}"));
	set_status(acked, n, "S003", "cancelled", NULL);
	cJSON_Delete(rq_ok(l, "{\"op\":\"ticket.reroute\",\"number\":\"S004\","
	    "\"to_lane\":\"counter\",\"reason\":\"machine_failed\"}"));
	set_status(acked, n, "S004", "waiting", "counter");
	cJSON_Delete(rq_ok(t, "{\"op\":\"window.open\",\"window\":1,\"lanes\":[\"counter\"]}"));
	r = rq_ok(t, "{\"op\":\"ticket.call_next\"}");
	set_status(acked, n, jstr(r, "ticket.number"), "called", NULL);
	cJSON_Delete(r);

	/* a pipelined burst; read some of the replies, then kill -9 at once */
	burst = malloc(nburst * 128);
	assert_non_null(burst);
	for (i = 0; i < nburst; i++)
		len += (size_t)snprintf(burst + len, 128, "%s\n", burst_services[i % 3]);
	send_raw(k, burst, len);
	free(burst);
	for (i = 0; i < nread; i++) {
		r = read_reply(k, reply_timeout_ms());
		expect_that(r != NULL, NULL, "no reply %zu of the burst", i);
		expect_ok(r);
		record(acked, &n, jget(r, "ticket"));
		cJSON_Delete(r);
	}
	daemon_kill(d);
	/* replies already on the wire were acknowledged too */
	while ((r = read_reply(k, 300)) != NULL) {
		expect_ok(r);
		record(acked, &n, jget(r, "ticket"));
		cJSON_Delete(r);
		drained++;
	}
	print_message("kill -9: %zu of %zu pipelined issues acknowledged\n", nread + drained,
	    nburst);
	memset(maxseq, 0, sizeof maxseq);
	for (i = 0; i < n; i++) {
		letter = acked[i].number[0] - 'A';
		if (letter >= 0 && letter < 26 && atol(acked[i].number + 1) > maxseq[letter])
			maxseq[letter] = atol(acked[i].number + 1);
	}
	conn_close(k);
	conn_close(l);
	conn_close(t);

	daemon_restart(d);
	k = login(d, "K01");
	for (i = 0; i < n; i++) {
		tk = ticket_status(k, acked[i].number);
		expect_that(strcmp(jstr(tk, "status"), acked[i].status) == 0, tk,
		    "after kill -9, %s should be %s", acked[i].number, acked[i].status);
		expect_that(strcmp(jstr(tk, "lane"), acked[i].lane) == 0, tk,
		    "after kill -9, %s lane should be %s",
		    acked[i].number, acked[i].lane);
		cJSON_Delete(tk);
	}
	/* new numbers never repeat an acknowledged one */
	for (i = 0; i < 30; i++) {
		r = rq_ok(k, "%s", burst_services[i % 3]);
		letter = jstr(r, "ticket.number")[0] - 'A';
		expect_that(letter >= 0 && letter < 26 &&
		    atol(jstr(r, "ticket.number") + 1) > maxseq[letter], r,
		    "the numbering must continue after the last acknowledged number");
		record(acked, &n, jget(r, "ticket"));
		cJSON_Delete(r);
	}
	/* the window survived too */
	t = login(d, "T01");
	rq_err(t, "conflict", "{\"op\":\"ticket.call_next\"}");
	daemon_stop(d);
}

static void
test_restart_on_a_later_day(void **state)
{
	struct daemon	*d = daemon_start(NULL);
	struct conn	*k = login(d, "K01");
	cJSON		*tk, *r;
	char		*st;

	(void)state;
	cJSON_Delete(issue(k, "loan", 0, NULL));			/* A001 */
	cJSON_Delete(issue(k, "cash_deposit", 1000, NULL));		/* S001 */
	daemon_stop(d);
	conn_close(k);

	/* the day ended while the daemon was down: it ends now */
	daemon_restart_at(d, "2026-11-24T01:00:00Z");
	k = login(d, "K01");
	r = rq_ok(k, "{\"op\":\"queue.snapshot\"}");
	expect_int(r, "lanes.counter.waiting", 0);
	cJSON_Delete(r);
	st = db_ticket_status(d, "2026-11-23", "A001");
	expect_that(st != NULL && strcmp(st, "expired") == 0, NULL,
	    "yesterday's waiting A001 should be expired, is %s", st ? st : "(none)");
	free(st);
	st = db_ticket_status(d, "2026-11-23", "S001");
	expect_that(st != NULL && strcmp(st, "expired") == 0, NULL,
	    "yesterday's diverted S001 should be expired, is %s", st ? st : "(none)");
	free(st);
	tk = issue(k, "loan", 0, NULL);
	expect_str(tk, "number", "A001");
	expect_str(tk, "issued_at", "2026-11-24T01:00:00Z");
	expect_int(tk, "position", 1);
	cJSON_Delete(tk);
	daemon_stop(d);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_sigterm_restart_keeps_state, harness_teardown),
		cmocka_unit_test_teardown(test_kill9_keeps_acknowledged, harness_teardown),
		cmocka_unit_test_teardown(test_restart_on_a_later_day, harness_teardown),
	};

	return cmocka_run_group_tests_name("e2e_restart", tests, NULL, NULL);
}
