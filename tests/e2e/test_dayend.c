/*
 * End-to-end: the end of the business day (PROTOCOL "Version 1.1: vendor
 * and supervisor", issue 15 item 1).  Every ticket of the day still open is
 * closed: waiting and diverted -> expired, called -> no_show, serving ->
 * done with closed_by "day_end", whose service time counts in no statistic
 * and no estimate; no window keeps a current ticket; a number names today's
 * ticket only; day.ended goes to the queue topic.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

#define DAY1		"2026-11-23"
#define DAY2		"2026-11-24"
#define DAY1_END	"2026-11-23T16:00:00Z"	/* local midnight */
#define DAY2_OPEN	"2026-11-24T01:00:00Z"	/* 09:00 on day 2 */

static void
open_window(struct conn *c, int no, const char *lanes)
{
	cJSON_Delete(rq_ok(c, "{\"op\":\"window.open\",\"window\":%d,\"lanes\":%s}", no, lanes));
}

/* A column of a ticket's row in the database (want NULL: SQL NULL). */
#define EXPECT_DB(d, date, number, column, want) do {			\
	char *v_ = db_ticket_column((d), (date), (number), (column));	\
	const char *w_ = (want);					\
	expect_that(w_ == NULL ? v_ == NULL : v_ != NULL && strcmp(v_, w_) == 0, \
	    NULL, "%s %s: %s should be %s, is %s", (date), (number), (column), \
	    w_ != NULL ? w_ : "NULL", v_ != NULL ? v_ : "NULL");	\
	free(v_);							\
} while (0)

/* The conflict an operation on a number not current at the caller's window gets. */
#define NOT_CURRENT(c, op, number) do {					\
	cJSON *r_ = rq((c), "{\"op\":\"%s\",\"number\":\"%s\"}", (op), (number)); \
	expect_error(r_, "conflict");					\
	expect_that(strstr(jstr(r_, "error.message"), "not current") != NULL, r_, \
	    "%s %s should be refused as not current", (op), (number));	\
	cJSON_Delete(r_);						\
} while (0)

/*
 * A day at the counter and the VIP window ends with one ticket done, one
 * being served, one called, one waiting and one at the machines.
 */
static void
test_day_end_closes_every_ticket(void **state)
{
	struct daemon	*d = daemon_start(NULL);
	struct conn	*k = login(d, "K01"), *s = login(d, "S01"), *t1 = login(d, "T01");
	struct conn	*t2 = login(d, "T02"), *dsp = login(d, "D01");
	cJSON		*r, *ev;

	(void)state;
	open_window(t1, 1, "[\"counter\"]");
	open_window(t2, 9, "[\"vip\"]");
	cJSON_Delete(rq_ok(dsp, "{\"op\":\"subscribe\",\"topics\":[\"queue\"]}"));
	cJSON_Delete(issue(k, "loan", 0, NULL));			/* A001 */
	cJSON_Delete(issue(k, "loan", 0, NULL));			/* A002 */
	cJSON_Delete(issue(k, "loan", 0, NULL));			/* A003 */
	cJSON_Delete(issue(k, "cash_withdrawal", 100000, NULL));	/* S001 */
	cJSON_Delete(issue(k, "loan", 0, "{\"vip\":true}"));		/* V001 */
	/* A001: called, served for 120 s, done: the one real service time */
	cJSON_Delete(rq_ok(t1, "{\"op\":\"ticket.call_next\"}"));
	advance(s, 60);
	cJSON_Delete(rq_ok(t1, "{\"op\":\"ticket.start\",\"number\":\"A001\"}"));
	advance(s, 120);
	cJSON_Delete(rq_ok(t1, "{\"op\":\"ticket.complete\",\"number\":\"A001\"}"));
	/* A002 is being served when the day ends; V001 has been called */
	r = rq_ok(t1, "{\"op\":\"ticket.call_next\"}");
	expect_str(r, "ticket.number", "A002");
	cJSON_Delete(r);
	cJSON_Delete(rq_ok(t1, "{\"op\":\"ticket.start\",\"number\":\"A002\"}"));
	r = rq_ok(t2, "{\"op\":\"ticket.call_next\"}");
	expect_str(r, "ticket.number", "V001");
	cJSON_Delete(r);
	drain_events(dsp, 250);

	/* local midnight */
	advance(s, H_TO_DAY_END - 180);
	ev = next_event_named(dsp, "day.ended", reply_timeout_ms());
	expect_that(ev != NULL, NULL, "a queue subscriber should hear day.ended");
	expect_str(ev, "business_date", DAY1);
	expect_str(ev, "at", DAY1_END);
	cJSON_Delete(ev);

	/* every ticket of the day is closed, in the database */
	EXPECT_DB(d, DAY1, "A001", "status", "done");
	EXPECT_DB(d, DAY1, "A001", "closed_by", NULL);
	EXPECT_DB(d, DAY1, "A002", "status", "done");
	EXPECT_DB(d, DAY1, "A002", "closed_by", "day_end");
	EXPECT_DB(d, DAY1, "A002", "finished_at", "1795449600");	/* DAY1_END */
	EXPECT_DB(d, DAY1, "V001", "status", "no_show");
	EXPECT_DB(d, DAY1, "V001", "closed_by", "day_end");
	EXPECT_DB(d, DAY1, "A003", "status", "expired");
	EXPECT_DB(d, DAY1, "A003", "closed_by", "day_end");
	EXPECT_DB(d, DAY1, "S001", "status", "expired");
	EXPECT_DB(d, DAY1, "S001", "closed_by", "day_end");

	/* no window keeps a current ticket; both stay open */
	r = rq_ok(k, "{\"op\":\"queue.snapshot\"}");
	expect_int(r, "windows.0.window", 1);
	expect_str(r, "windows.0.state", "open");
	expect_null(r, "windows.0.current");
	expect_int(r, "windows.1.window", 9);
	expect_null(r, "windows.1.current");
	cJSON_Delete(r);
	/* so the window calls again without a word about yesterday */
	r = rq_ok(t1, "{\"op\":\"ticket.call_next\"}");
	expect_null(r, "ticket");
	cJSON_Delete(r);

	/* A002's service time is in no statistic: E1001 served A001 alone */
	r = rq_ok(s, "{\"op\":\"report.summary\",\"from\":\"" DAY1 "\",\"to\":\"" DAY1 "\"}");
	expect_int(r, "service.by_staff.E1001.count", 1);
	expect_int(r, "service.by_staff.E1001.mean", 120);
	expect_int(r, "service.by_staff.E1001.max", 120);
	/* E1002 only called V001: a call, no service, and no no-show of
	 * theirs (the day end closed it, they did not mark it) */
	expect_int(r, "service.by_staff.E1002.count", 0);
	expect_int(r, "service.by_staff.E1002.called", 1);
	expect_int(r, "service.by_staff.E1002.no_shows", 0);
	expect_int(r, "service.by_staff.E1002.served", 0);
	expect_int(r, "tickets.by_status.done", 2);
	expect_int(r, "tickets.by_status.no_show", 1);
	expect_int(r, "tickets.by_status.expired", 2);
	expect_int(r, "tickets.by_status.called", 0);
	expect_int(r, "tickets.by_status.serving", 0);
	/* S001 expired at the machines: the normal end of a diverted job,
	 * counted as diverted, not as taken back to the counter */
	expect_int(r, "diversion.diverted", 1);
	expect_int(r, "diversion.rerouted_total", 0);
	expect_int(r, "diversion.rate", 1);
	/* their waits were real: A001, A002 and V001 were called */
	expect_int(r, "waiting.by_lane.counter.count", 2);
	expect_int(r, "waiting.by_lane.vip.count", 1);
	cJSON_Delete(r);

	/* the next morning: the counter's estimate knows A001's 180 s alone */
	advance(s, 9 * 3600);
	r = issue(k, "loan", 0, NULL);
	expect_str(r, "number", "A001");
	expect_str(r, "issued_at", DAY2_OPEN);
	expect_int(r, "position", 1);
	expect_int(r, "estimated_wait_s", 180);
	cJSON_Delete(r);
	/* and after a restart, which reads the service times from the database */
	daemon_stop(d);
	daemon_restart_at(d, DAY2_OPEN);
	k = login(d, "K01");
	t2 = login(d, "T02");
	s = login(d, "S01");
	r = ticket_status(k, "A001");
	expect_int(r, "estimated_wait_s", 180);
	cJSON_Delete(r);
	daemon_stop(d);
}

/*
 * PROTOCOL 1.1: an operation naming a ticket by number means today's
 * ticket, always.  Yesterday's V001 was called at window 9 when the day
 * ended; today's V001 waits.
 */
static void
test_number_names_todays_ticket(void **state)
{
	struct daemon	*d = daemon_start(NULL);
	struct conn	*k = login(d, "K01"), *s = login(d, "S01"), *t2 = login(d, "T02");
	cJSON		*r;

	(void)state;
	open_window(t2, 9, "[\"vip\"]");
	cJSON_Delete(issue(k, "loan", 0, "{\"vip\":true}"));		/* V001 */
	cJSON_Delete(rq_ok(t2, "{\"op\":\"ticket.call_next\"}"));
	advance(s, H_TO_DAY_END + 9 * 3600);				/* 09:00, day 2 */
	r = issue(k, "loan", 0, "{\"vip\":true}");
	expect_str(r, "number", "V001");
	expect_str(r, "lane", "vip");
	expect_str(r, "status", "waiting");
	cJSON_Delete(r);

	/* ticket.status and every teller's operation mean today's V001 */
	r = ticket_status(k, "V001");
	expect_str(r, "status", "waiting");
	expect_str(r, "issued_at", DAY2_OPEN);
	cJSON_Delete(r);
	NOT_CURRENT(t2, "ticket.start", "V001");
	NOT_CURRENT(t2, "ticket.complete", "V001");
	NOT_CURRENT(t2, "ticket.recall", "V001");
	NOT_CURRENT(t2, "ticket.no_show", "V001");
	NOT_CURRENT(s, "ticket.start", "V001");
	rq_err(t2, "conflict",
	    "{\"op\":\"ticket.transfer\",\"number\":\"V001\",\"to_lane\":\"counter\"}");
	/* nothing was done to either */
	EXPECT_DB(d, DAY1, "V001", "status", "no_show");
	EXPECT_DB(d, DAY2, "V001", "status", "waiting");
	/* window 9 is free: it calls today's V001 */
	r = rq_ok(t2, "{\"op\":\"ticket.call_next\"}");
	expect_int(r, "window", 9);
	expect_str(r, "ticket.number", "V001");
	expect_str(r, "ticket.issued_at", DAY2_OPEN);
	cJSON_Delete(r);
	r = rq_ok(t2, "{\"op\":\"ticket.start\",\"number\":\"V001\"}");
	expect_str(r, "ticket.status", "serving");
	expect_str(r, "ticket.issued_at", DAY2_OPEN);
	cJSON_Delete(r);
	EXPECT_DB(d, DAY2, "V001", "status", "serving");
	EXPECT_DB(d, DAY1, "V001", "status", "no_show");
	daemon_stop(d);
}

/*
 * The day ends while the daemon is down: the start-up closes the day's
 * tickets and frees the windows in the database, as the timer would.
 */
static void
test_day_end_at_start_up(void **state)
{
	struct daemon	*d = daemon_start(NULL);
	struct conn	*k = login(d, "K01"), *s = login(d, "S01"), *t1 = login(d, "T01");
	cJSON		*r;

	(void)state;
	open_window(t1, 1, "[\"counter\"]");
	cJSON_Delete(issue(k, "loan", 0, NULL));			/* A001 */
	cJSON_Delete(issue(k, "loan", 0, NULL));			/* A002 */
	cJSON_Delete(rq_ok(t1, "{\"op\":\"ticket.call_next\"}"));
	cJSON_Delete(rq_ok(t1, "{\"op\":\"ticket.start\",\"number\":\"A001\"}"));
	advance(s, 300);
	daemon_stop(d);

	daemon_restart_at(d, DAY2_OPEN);
	k = login(d, "K01");
	t1 = login(d, "T01");
	EXPECT_DB(d, DAY1, "A001", "status", "done");
	EXPECT_DB(d, DAY1, "A001", "closed_by", "day_end");
	EXPECT_DB(d, DAY1, "A001", "finished_at", "1795449600");	/* DAY1_END */
	EXPECT_DB(d, DAY1, "A002", "status", "expired");
	EXPECT_DB(d, DAY1, "A002", "finished_at", "1795449600");
	r = rq_ok(k, "{\"op\":\"queue.snapshot\"}");
	expect_int(r, "windows.0.window", 1);
	expect_null(r, "windows.0.current");
	cJSON_Delete(r);
	/* the window may close: nothing is current there */
	cJSON_Delete(rq_ok(t1, "{\"op\":\"window.close\"}"));
	/* and after another restart it is as it was left */
	daemon_stop(d);
	daemon_restart_at(d, DAY2_OPEN);
	k = login(d, "K01");
	r = rq_ok(k, "{\"op\":\"queue.snapshot\"}");
	expect_that(cJSON_GetArraySize(jget(r, "windows")) == 0, r, "no window is open");
	cJSON_Delete(r);
	/* A001's 24-hour "service" is no estimate: the default holds */
	r = issue(k, "loan", 0, NULL);
	expect_str(r, "number", "A001");
	expect_int(r, "estimated_wait_s", 300);
	cJSON_Delete(r);
	daemon_stop(d);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_day_end_closes_every_ticket, harness_teardown),
		cmocka_unit_test_teardown(test_number_names_todays_ticket, harness_teardown),
		cmocka_unit_test_teardown(test_day_end_at_start_up, harness_teardown),
	};

	return cmocka_run_group_tests_name("e2e_dayend", tests, NULL, NULL);
}
