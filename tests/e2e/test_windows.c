/*
 * End-to-end: counter windows (PROTOCOL "Tickets" window.* and the window
 * rules of ticket.call_next etc., decisions "Windows").
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

static cJSON *
snapshot(struct conn *c)
{
	return rq_ok(c, "{\"op\":\"queue.snapshot\"}");
}

static int
nwindows(const cJSON *snap)
{
	return cJSON_GetArraySize(jget(snap, "windows"));
}

static void
issue_loans(struct conn *k, int n)
{
	int	i;

	for (i = 0; i < n; i++)
		cJSON_Delete(issue(k, "loan", 0, NULL));
}

static void
test_open_pause_resume_close(void **state)
{
	struct daemon	*d = daemon_start(NULL);
	struct conn	*t = login(d, "T01"), *t2 = login(d, "T02"), *s = login(d, "S01");
	cJSON		*r;

	(void)state;
	r = rq_ok(t, "{\"op\":\"window.open\",\"window\":3,\"lanes\":[\"counter\",\"express\"]}");
	expect_int(r, "window.window", 3);
	expect_str(r, "window.terminal", "T01");
	expect_str(r, "window.staff", "E1001");
	expect_str(r, "window.lanes.0", "counter");
	expect_str(r, "window.lanes.1", "express");
	expect_str(r, "window.state", "open");
	expect_bool(r, "window.accessible", false);
	expect_null(r, "window.current");
	expect_str(r, "window.opened_at", H_CLOCK_START);
	cJSON_Delete(r);

	r = rq_ok(t, "{\"op\":\"window.pause\"}");
	expect_str(r, "window.state", "paused");
	expect_int(r, "window.window", 3);
	cJSON_Delete(r);
	rq_err(t, "conflict", "{\"op\":\"window.pause\"}");
	r = snapshot(t);
	expect_str(r, "windows.0.state", "paused");
	cJSON_Delete(r);
	r = rq_ok(t, "{\"op\":\"window.resume\"}");
	expect_str(r, "window.state", "open");
	cJSON_Delete(r);
	rq_err(t, "conflict", "{\"op\":\"window.resume\"}");

	r = rq_ok(t, "{\"op\":\"window.close\"}");
	expect_str(r, "window.state", "closed");
	expect_int(r, "window.window", 3);
	cJSON_Delete(r);
	r = snapshot(t);
	expect_that(nwindows(r) == 0, r, "a closed window is not in the snapshot");
	expect_int(r, "lanes.counter.open_windows", 0);
	cJSON_Delete(r);
	/* holding no window now */
	rq_err(t, "conflict", "{\"op\":\"window.close\"}");
	rq_err(t, "conflict", "{\"op\":\"window.pause\"}");
	rq_err(t, "conflict", "{\"op\":\"window.resume\"}");
	rq_err(t2, "conflict", "{\"op\":\"window.close\"}");

	/* a closed window is free for another terminal, with its own opening time */
	advance(s, 30);
	r = rq_ok(t2, "{\"op\":\"window.open\",\"window\":3,\"lanes\":[\"vip\"]}");
	expect_str(r, "window.terminal", "T02");
	expect_str(r, "window.staff", "E1002");
	expect_str(r, "window.opened_at", "2026-11-23T01:00:30Z");
	cJSON_Delete(r);
	/* and T01 may open another */
	r = rq_ok(t, "{\"op\":\"window.open\",\"window\":99,\"lanes\":[\"vip\",\"express\","
	    "\"counter\"]}");
	expect_int(r, "window.window", 99);
	cJSON_Delete(r);
	r = snapshot(t);
	expect_that(nwindows(r) == 2, r, "two windows open");
	expect_int(r, "windows.0.window", 3);
	expect_int(r, "windows.1.window", 99);
	cJSON_Delete(r);
	daemon_stop(d);
}

static void
test_open_conflicts(void **state)
{
	struct daemon	*d = daemon_start(NULL);
	struct conn	*t = login(d, "T01"), *t2 = login(d, "T02"), *s = login(d, "S01");
	cJSON		*r;

	(void)state;
	cJSON_Delete(rq_ok(t, "{\"op\":\"window.open\",\"window\":3,\"lanes\":[\"counter\"]}"));
	/* held by another terminal */
	rq_err(t2, "conflict", "{\"op\":\"window.open\",\"window\":3,\"lanes\":[\"counter\"]}");
	rq_err(s, "conflict", "{\"op\":\"window.open\",\"window\":3,\"lanes\":[\"vip\"]}");
	/* this terminal already holds another window */
	rq_err(t, "conflict", "{\"op\":\"window.open\",\"window\":4,\"lanes\":[\"counter\"]}");
	r = snapshot(t);
	expect_that(nwindows(r) == 1, r, "only window 3 is open");
	expect_str(r, "windows.0.terminal", "T01");
	expect_str(r, "windows.0.lanes.0", "counter");
	expect_that(cJSON_GetArraySize(jget(r, "windows.0.lanes")) == 1, r, "lanes unchanged");
	cJSON_Delete(r);
	/* re-opening one's own window updates its lanes */
	r = rq_ok(t, "{\"op\":\"window.open\",\"window\":3,\"lanes\":[\"vip\",\"counter\"]}");
	expect_str(r, "window.lanes.0", "vip");
	expect_str(r, "window.lanes.1", "counter");
	expect_str(r, "window.terminal", "T01");
	expect_str(r, "window.state", "open");
	cJSON_Delete(r);
	/* T02 can still open a free window */
	cJSON_Delete(rq_ok(t2, "{\"op\":\"window.open\",\"window\":4,\"lanes\":[\"counter\"]}"));
	rq_err(t, "conflict", "{\"op\":\"window.open\",\"window\":4,\"lanes\":[\"counter\"]}");
	daemon_stop(d);
}

static void
test_call_next_conflicts(void **state)
{
	struct daemon	*d = daemon_start(NULL);
	struct conn	*k = login(d, "K01"), *t = login(d, "T01");
	cJSON		*r;

	(void)state;
	issue_loans(k, 3);
	/* no window */
	rq_err(t, "conflict", "{\"op\":\"ticket.call_next\"}");
	cJSON_Delete(rq_ok(t, "{\"op\":\"window.open\",\"window\":1,\"lanes\":[\"counter\"]}"));
	/* paused */
	cJSON_Delete(rq_ok(t, "{\"op\":\"window.pause\"}"));
	rq_err(t, "conflict", "{\"op\":\"ticket.call_next\"}");
	r = ticket_status(k, "A001");
	expect_str(r, "status", "waiting");
	cJSON_Delete(r);
	cJSON_Delete(rq_ok(t, "{\"op\":\"window.resume\"}"));
	/* a current ticket, called then serving */
	r = rq_ok(t, "{\"op\":\"ticket.call_next\"}");
	expect_str(r, "ticket.number", "A001");
	cJSON_Delete(r);
	rq_err(t, "conflict", "{\"op\":\"ticket.call_next\"}");
	cJSON_Delete(rq_ok(t, "{\"op\":\"ticket.start\",\"number\":\"A001\"}"));
	rq_err(t, "conflict", "{\"op\":\"ticket.call_next\"}");
	r = ticket_status(k, "A002");
	expect_str(r, "status", "waiting");
	expect_int(r, "position", 1);
	cJSON_Delete(r);
	cJSON_Delete(rq_ok(t, "{\"op\":\"ticket.complete\",\"number\":\"A001\"}"));
	r = rq_ok(t, "{\"op\":\"ticket.call_next\"}");
	expect_str(r, "ticket.number", "A002");
	cJSON_Delete(r);
	daemon_stop(d);
}

static void
test_call_next_lane_order(void **state)
{
	struct daemon	*d = daemon_start(NULL);
	struct conn	*k = login(d, "K01"), *t = login(d, "T01"), *t2 = login(d, "T02");
	struct conn	*s = login(d, "S01");
	cJSON		*r;

	(void)state;
	cJSON_Delete(rq_ok(t2, "{\"op\":\"window.open\",\"window\":9,\"lanes\":[\"express\"]}"));
	cJSON_Delete(issue(k, "loan", 0, NULL));			/* A001, older */
	advance(s, 60);
	cJSON_Delete(issue(k, "cash_withdrawal", 3000000, NULL));	/* E001 */
	cJSON_Delete(rq_ok(t2, "{\"op\":\"window.close\"}"));
	/* the first non-empty lane in the window's order, not the oldest ticket */
	cJSON_Delete(rq_ok(t, "{\"op\":\"window.open\",\"window\":1,\"lanes\":[\"express\","
	    "\"counter\"]}"));
	r = rq_ok(t, "{\"op\":\"ticket.call_next\"}");
	expect_str(r, "ticket.number", "E001");
	cJSON_Delete(r);
	cJSON_Delete(rq_ok(t, "{\"op\":\"ticket.start\",\"number\":\"E001\"}"));
	cJSON_Delete(rq_ok(t, "{\"op\":\"ticket.complete\",\"number\":\"E001\"}"));
	r = rq_ok(t, "{\"op\":\"ticket.call_next\"}");
	expect_str(r, "ticket.number", "A001");
	cJSON_Delete(r);
	daemon_stop(d);
}

static void
test_close_with_current_ticket(void **state)
{
	struct daemon	*d = daemon_start(NULL);
	struct conn	*k = login(d, "K01"), *t = login(d, "T01");
	cJSON		*r;

	(void)state;
	issue_loans(k, 2);
	cJSON_Delete(rq_ok(t, "{\"op\":\"window.open\",\"window\":6,\"lanes\":[\"counter\"]}"));
	cJSON_Delete(rq_ok(t, "{\"op\":\"ticket.call_next\"}"));
	rq_err(t, "conflict", "{\"op\":\"window.close\"}");
	cJSON_Delete(rq_ok(t, "{\"op\":\"ticket.start\",\"number\":\"A001\"}"));
	rq_err(t, "conflict", "{\"op\":\"window.close\"}");
	r = snapshot(t);
	expect_that(nwindows(r) == 1, r, "the window is still open");
	expect_str(r, "windows.0.current.number", "A001");
	expect_str(r, "windows.0.current.status", "serving");
	cJSON_Delete(r);
	r = ticket_status(k, "A001");
	expect_str(r, "status", "serving");
	expect_int(r, "window", 6);
	cJSON_Delete(r);
	/* a transfer frees the window too */
	cJSON_Delete(rq_ok(t, "{\"op\":\"ticket.transfer\",\"number\":\"A001\","
	    "\"to_lane\":\"vip\"}"));
	r = rq_ok(t, "{\"op\":\"window.close\"}");
	expect_str(r, "window.state", "closed");
	cJSON_Delete(r);
	daemon_stop(d);
}

static void
test_supervisor_acts_on_any_window(void **state)
{
	struct daemon	*d = daemon_start(NULL);
	struct conn	*k = login(d, "K01"), *t = login(d, "T01"), *t2 = login(d, "T02");
	struct conn	*s = login(d, "S01");
	cJSON		*r;

	(void)state;
	issue_loans(k, 3);
	cJSON_Delete(rq_ok(t, "{\"op\":\"window.open\",\"window\":1,\"lanes\":[\"counter\"]}"));
	cJSON_Delete(rq_ok(t2, "{\"op\":\"window.open\",\"window\":2,\"lanes\":[\"counter\"]}"));
	cJSON_Delete(rq_ok(t, "{\"op\":\"ticket.call_next\"}"));	/* A001 at window 1 */

	/* another teller may not touch window 1's ticket */
	rq_err(t2, "conflict", "{\"op\":\"ticket.recall\",\"number\":\"A001\"}");
	rq_err(t2, "conflict", "{\"op\":\"ticket.start\",\"number\":\"A001\"}");
	rq_err(t2, "conflict", "{\"op\":\"ticket.transfer\",\"number\":\"A001\","
	    "\"to_lane\":\"vip\"}");
	/* nor a waiting ticket that is nobody's current */
	rq_err(t, "conflict", "{\"op\":\"ticket.start\",\"number\":\"A002\"}");
	rq_err(s, "conflict", "{\"op\":\"ticket.start\",\"number\":\"A002\"}");
	r = ticket_status(k, "A001");
	expect_str(r, "status", "called");
	expect_int(r, "recalls", 0);
	cJSON_Delete(r);

	/* the supervisor, holding no window, may act on window 1's ticket */
	r = rq_ok(s, "{\"op\":\"ticket.recall\",\"number\":\"A001\"}");
	expect_int(r, "ticket.recalls", 1);
	cJSON_Delete(r);
	r = rq_ok(s, "{\"op\":\"ticket.start\",\"number\":\"A001\"}");
	expect_str(r, "ticket.status", "serving");
	expect_int(r, "ticket.window", 1);
	cJSON_Delete(r);
	rq_err(t2, "conflict", "{\"op\":\"ticket.complete\",\"number\":\"A001\"}");
	r = rq_ok(s, "{\"op\":\"ticket.complete\",\"number\":\"A001\"}");
	expect_str(r, "ticket.status", "done");
	cJSON_Delete(r);
	/* window 1 is free for its teller again */
	r = rq_ok(t, "{\"op\":\"ticket.call_next\"}");
	expect_str(r, "ticket.number", "A002");
	cJSON_Delete(r);
	/* supervisor transfer and no-show on others' windows */
	r = rq_ok(s, "{\"op\":\"ticket.transfer\",\"number\":\"A002\",\"to_lane\":\"express\"}");
	expect_str(r, "ticket.lane", "express");
	cJSON_Delete(r);
	r = rq_ok(t2, "{\"op\":\"ticket.call_next\"}");
	expect_str(r, "ticket.number", "A003");
	cJSON_Delete(r);
	cJSON_Delete(rq_ok(s, "{\"op\":\"ticket.recall\",\"number\":\"A003\"}"));
	cJSON_Delete(rq_ok(s, "{\"op\":\"ticket.recall\",\"number\":\"A003\"}"));
	r = rq_ok(s, "{\"op\":\"ticket.no_show\",\"number\":\"A003\"}");
	expect_str(r, "ticket.status", "no_show");
	cJSON_Delete(r);
	rq_err(s, "not_found", "{\"op\":\"ticket.start\",\"number\":\"A050\"}");
	daemon_stop(d);
}

static void
test_open_field_validation(void **state)
{
	struct daemon	*d = daemon_start(NULL);
	struct conn	*t = login(d, "T01");
	cJSON		*r;

	(void)state;
	rq_bad(t, "lanes", "{\"op\":\"window.open\",\"window\":1,\"lanes\":[]}");
	rq_bad(t, "lanes", "{\"op\":\"window.open\",\"window\":1,\"lanes\":[\"self_service\"]}");
	rq_bad(t, "lanes", "{\"op\":\"window.open\",\"window\":1,\"lanes\":[\"counter\","
	    "\"counter\"]}");
	rq_bad(t, "lanes", "{\"op\":\"window.open\",\"window\":1,\"lanes\":\"counter\"}");
	rq_bad(t, "lanes", "{\"op\":\"window.open\",\"window\":1,\"lanes\":[1]}");
	rq_bad(t, "lanes", "{\"op\":\"window.open\",\"window\":1,\"lanes\":[\"teller\"]}");
	rq_bad(t, "lanes", "{\"op\":\"window.open\",\"window\":1,\"lanes\":[\"counter\","
	    "\"express\",\"vip\",\"counter\"]}");
	rq_bad(t, "lanes", "{\"op\":\"window.open\",\"window\":1,\"lanes\":{\"counter\":1}}");
	rq_bad(t, "lanes", "{\"op\":\"window.open\",\"window\":1}");
	rq_bad(t, "window", "{\"op\":\"window.open\",\"lanes\":[\"counter\"]}");
	rq_bad(t, "window", "{\"op\":\"window.open\",\"window\":0,\"lanes\":[\"counter\"]}");
	rq_bad(t, "window", "{\"op\":\"window.open\",\"window\":100,\"lanes\":[\"counter\"]}");
	rq_bad(t, "window", "{\"op\":\"window.open\",\"window\":-1,\"lanes\":[\"counter\"]}");
	rq_bad(t, "window", "{\"op\":\"window.open\",\"window\":1.5,\"lanes\":[\"counter\"]}");
	rq_bad(t, "window", "{\"op\":\"window.open\",\"window\":\"3\",\"lanes\":[\"counter\"]}");
	rq_bad(t, "window", "{\"op\":\"window.open\",\"window\":true,\"lanes\":[\"counter\"]}");
	r = snapshot(t);
	expect_that(nwindows(r) == 0, r, "no refused window.open opened a window");
	cJSON_Delete(r);
	/* the bounds themselves are fine; 1.0 is a whole number */
	cJSON_Delete(rq_ok(t, "{\"op\":\"window.open\",\"window\":1.0,\"lanes\":[\"counter\"]}"));
	cJSON_Delete(rq_ok(t, "{\"op\":\"window.close\"}"));
	cJSON_Delete(rq_ok(t, "{\"op\":\"window.open\",\"window\":99,\"lanes\":[\"express\","
	    "\"vip\",\"counter\"]}"));
	daemon_stop(d);
}

static void
test_window_survives_disconnect(void **state)
{
	struct daemon	*d = daemon_start(NULL);
	struct conn	*k = login(d, "K01"), *t = login(d, "T01"), *t2 = login(d, "T02");
	cJSON		*r;

	(void)state;
	issue_loans(k, 2);
	cJSON_Delete(rq_ok(t, "{\"op\":\"window.open\",\"window\":2,\"lanes\":[\"counter\"]}"));
	cJSON_Delete(rq_ok(t, "{\"op\":\"ticket.call_next\"}"));
	conn_close(t);
	/* the window belongs to the terminal, not the connection */
	r = snapshot(k);
	expect_that(nwindows(r) == 1, r, "the window survives its teller's disconnect");
	expect_str(r, "windows.0.terminal", "T01");
	expect_str(r, "windows.0.current.number", "A001");
	cJSON_Delete(r);
	rq_err(t2, "conflict", "{\"op\":\"window.open\",\"window\":2,\"lanes\":[\"counter\"]}");
	t = login(d, "T01");
	rq_err(t, "conflict", "{\"op\":\"ticket.call_next\"}");	/* A001 still current */
	cJSON_Delete(rq_ok(t, "{\"op\":\"ticket.start\",\"number\":\"A001\"}"));
	cJSON_Delete(rq_ok(t, "{\"op\":\"ticket.complete\",\"number\":\"A001\"}"));
	r = rq_ok(t, "{\"op\":\"ticket.call_next\"}");
	expect_str(r, "ticket.number", "A002");
	expect_int(r, "window", 2);
	cJSON_Delete(r);
	daemon_stop(d);
}

static void
test_accessible_window(void **state)
{
	struct daemon_opts	 o = { .extra_config = "\"accessible_windows\":[5]" };
	struct daemon		*d = daemon_start(&o);
	struct conn		*k = login(d, "K01"), *t = login(d, "T01"), *t2 = login(d, "T02");
	cJSON			*r;

	(void)state;
	cJSON_Delete(issue(k, "loan", 0, "{\"accessibility\":\"wheelchair\"}"));	/* A001 */
	cJSON_Delete(issue(k, "loan", 0, NULL));					/* A002 */
	cJSON_Delete(issue(k, "loan", 0, "{\"accessibility\":\"visual\"}"));	/* A003 */
	cJSON_Delete(rq_ok(t, "{\"op\":\"window.open\",\"window\":1,\"lanes\":[\"counter\"]}"));
	r = rq_ok(t2, "{\"op\":\"window.open\",\"window\":5,\"lanes\":[\"counter\"]}");
	expect_bool(r, "window.accessible", true);
	cJSON_Delete(r);
	/* DOMAIN §1: an accessible window where one is marked */
	r = rq_ok(t, "{\"op\":\"ticket.call_next\"}");
	expect_str(r, "ticket.number", "A002");
	cJSON_Delete(r);
	r = rq_ok(t2, "{\"op\":\"ticket.call_next\"}");
	expect_str(r, "ticket.number", "A001");
	cJSON_Delete(r);
	/* with the accessible window paused, any window serves them */
	cJSON_Delete(rq_ok(t, "{\"op\":\"ticket.start\",\"number\":\"A002\"}"));
	cJSON_Delete(rq_ok(t, "{\"op\":\"ticket.complete\",\"number\":\"A002\"}"));
	cJSON_Delete(rq_ok(t2, "{\"op\":\"ticket.start\",\"number\":\"A001\"}"));
	cJSON_Delete(rq_ok(t2, "{\"op\":\"ticket.complete\",\"number\":\"A001\"}"));
	cJSON_Delete(rq_ok(t2, "{\"op\":\"window.pause\"}"));
	r = rq_ok(t, "{\"op\":\"ticket.call_next\"}");
	expect_str(r, "ticket.number", "A003");
	cJSON_Delete(r);
	daemon_stop(d);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_open_pause_resume_close, harness_teardown),
		cmocka_unit_test_teardown(test_open_conflicts, harness_teardown),
		cmocka_unit_test_teardown(test_call_next_conflicts, harness_teardown),
		cmocka_unit_test_teardown(test_call_next_lane_order, harness_teardown),
		cmocka_unit_test_teardown(test_close_with_current_ticket, harness_teardown),
		cmocka_unit_test_teardown(test_supervisor_acts_on_any_window, harness_teardown),
		cmocka_unit_test_teardown(test_open_field_validation, harness_teardown),
		cmocka_unit_test_teardown(test_window_survives_disconnect, harness_teardown),
		cmocka_unit_test_teardown(test_accessible_window, harness_teardown),
	};

	return cmocka_run_group_tests_name("e2e_windows", tests, NULL, NULL);
}
