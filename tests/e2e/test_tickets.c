/*
 * End-to-end: tickets (PROTOCOL "Tickets", DOMAIN §1-2, decisions "Routing",
 * "Queue", "Tickets"): every route rule through the real daemon, thresholds,
 * lanes, numbering, ordering, positions and estimates, reroute, cancel, the
 * teller's actions, ticket.status, queue.snapshot, the end of the business day.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

#define EXPECT_TICKET(t, num, lane, rule, status) do {			\
	expect_str((t), "number", (num));				\
	expect_str((t), "lane", (lane));				\
	expect_str((t), "route_rule", (rule));				\
	expect_str((t), "status", (status));				\
} while (0)

/* Issues and checks number, lane, rule and status; frees the ticket. */
#define ISSUE(c, service, amount, flags, num, lane, rule, status) do {	\
	cJSON *t_ = issue((c), (service), (amount), (flags));		\
	EXPECT_TICKET(t_, (num), (lane), (rule), (status));		\
	cJSON_Delete(t_);						\
} while (0)

#define EXPECT_WAITING(t, pos, wait) do {				\
	expect_str((t), "status", "waiting");				\
	expect_int((t), "position", (pos));				\
	expect_int((t), "estimated_wait_s", (wait));			\
} while (0)

#define EXPECT_NOT_WAITING(t) do {					\
	expect_null((t), "position");					\
	expect_null((t), "estimated_wait_s");				\
} while (0)

/* ticket.status must show pos and wait. */
#define STATUS_WAITING(c, num, pos, wait) do {				\
	cJSON *s_ = ticket_status((c), (num));				\
	EXPECT_WAITING(s_, (pos), (wait));				\
	cJSON_Delete(s_);						\
} while (0)

#define STATUS_IS(c, num, status) do {					\
	cJSON *s_ = ticket_status((c), (num));				\
	expect_str(s_, "status", (status));				\
	cJSON_Delete(s_);						\
} while (0)

/* ticket.transfer to the lane the ticket is in: conflict naming the lane. */
#define TRANSFER_OWN_LANE(c, num, lane) do {				\
	cJSON *r_ = rq((c), "{\"op\":\"ticket.transfer\",\"number\":\"%s\","	\
	    "\"to_lane\":\"%s\"}", (num), (lane));				\
	expect_error(r_, "conflict");					\
	expect_that(strstr(jstr(r_, "error.message"), "already in the " lane	\
	    " lane") != NULL, r_, "the conflict should name the lane");	\
	cJSON_Delete(r_);						\
} while (0)

static void
open_window(struct conn *c, int no, const char *lanes)
{
	cJSON_Delete(rq_ok(c, "{\"op\":\"window.open\",\"window\":%d,\"lanes\":%s}", no, lanes));
}

static void
test_route_rules_no_window(void **state)
{
	static const char *const not_divertible[] = {
		"account_opening", "card_services", "loan", "wealth_management",
		"foreign_exchange", "other",
	};
	struct daemon	*d = daemon_start(NULL);
	struct conn	*k = login(d, "K01");
	cJSON		*t;
	char		 num[8];
	size_t		 i;

	(void)state;
	/* DOMAIN §1: the headline rule */
	t = issue(k, "cash_withdrawal", 150000, NULL);
	EXPECT_TICKET(t, "S001", "self_service", "cash_within_threshold", "diverted");
	EXPECT_NOT_WAITING(t);
	expect_str(t, "issued_at", H_CLOCK_START);
	cJSON_Delete(t);
	ISSUE(k, "cash_deposit", 150000, NULL, "S002", "self_service", "cash_within_threshold",
	    "diverted");
	ISSUE(k, "transfer", 150000, NULL, "S003", "self_service", "transfer_within_threshold",
	    "diverted");
	/* over the threshold, no express lane open */
	t = issue(k, "cash_withdrawal", 3000000, NULL);
	EXPECT_TICKET(t, "A001", "counter", "over_threshold", "waiting");
	EXPECT_WAITING(t, 1, 300);
	cJSON_Delete(t);
	ISSUE(k, "transfer", 9000000, NULL, "A002", "counter", "over_threshold", "waiting");
	/* services never diverted */
	for (i = 0; i < sizeof not_divertible / sizeof not_divertible[0]; i++) {
		snprintf(num, sizeof num, "A%03zu", i + 3);
		ISSUE(k, not_divertible[i], 0, NULL, num, "counter", "not_divertible", "waiting");
	}
	/* exceptions, one by one (no express or VIP lane open: the counter) */
	t = issue(k, "cash_withdrawal", 100000, "{\"loose_cash\":true}");
	EXPECT_TICKET(t, "A009", "counter", "loose_cash", "waiting");
	expect_bool(t, "flags.loose_cash", true);
	expect_bool(t, "priority", false);
	cJSON_Delete(t);
	/* loose cash is a cash-job exception: a transfer is still diverted */
	ISSUE(k, "transfer", 100000, "{\"loose_cash\":true}", "S004", "self_service",
	    "transfer_within_threshold", "diverted");
	t = issue(k, "cash_deposit", 100000, "{\"vip\":true}");
	EXPECT_TICKET(t, "A010", "counter", "vip", "waiting");
	expect_bool(t, "flags.vip", true);
	cJSON_Delete(t);
	t = issue(k, "transfer", 100000, "{\"needs_assistance\":true}");
	EXPECT_TICKET(t, "A011", "counter", "needs_assistance", "waiting");
	expect_bool(t, "priority", true);
	expect_int(t, "position", 1);	/* priority: first in its lane */
	cJSON_Delete(t);
	t = issue(k, "cash_withdrawal", 100000, "{\"accessibility\":\"wheelchair\"}");
	EXPECT_TICKET(t, "A012", "counter", "accessibility", "waiting");
	expect_str(t, "flags.accessibility", "wheelchair");
	expect_bool(t, "priority", true);
	expect_int(t, "position", 2);	/* after the earlier priority ticket */
	cJSON_Delete(t);
	/* VIP over the threshold while the VIP lane is closed: the counter, by amount */
	ISSUE(k, "cash_withdrawal", 3000000, "{\"vip\":true}", "A013", "counter",
	    "over_threshold", "waiting");
	/* every flag false is no exception */
	ISSUE(k, "cash_withdrawal", 100000, "{\"loose_cash\":false,\"vip\":false,"
	    "\"needs_assistance\":false}", "S005", "self_service", "cash_within_threshold",
	    "diverted");
	/* decisions: amount_fen is ignored for services without one */
	t = issue(k, "loan", 5000, NULL);
	expect_str(t, "number", "A014");
	expect_that(jget(t, "amount_fen") == NULL || cJSON_IsNull(jget(t, "amount_fen")), t,
	    "a loan has no amount_fen");
	cJSON_Delete(t);
	daemon_stop(d);
}

static void
test_thresholds_inclusive(void **state)
{
	struct daemon	*d = daemon_start(NULL);
	struct conn	*k = login(d, "K01"), *t = login(d, "T01");
	cJSON		*tk;

	(void)state;
	/* DOMAIN §1: "以下" includes the figure itself */
	ISSUE(k, "cash_withdrawal", 2000000, NULL, "S001", "self_service",
	    "cash_within_threshold", "diverted");
	ISSUE(k, "cash_withdrawal", 2000001, NULL, "A001", "counter", "over_threshold",
	    "waiting");
	ISSUE(k, "cash_deposit", 2000000, NULL, "S002", "self_service", "cash_within_threshold",
	    "diverted");
	ISSUE(k, "cash_deposit", 2000001, NULL, "A002", "counter", "over_threshold", "waiting");
	ISSUE(k, "transfer", 5000000, NULL, "S003", "self_service", "transfer_within_threshold",
	    "diverted");
	ISSUE(k, "transfer", 5000001, NULL, "A003", "counter", "over_threshold", "waiting");
	ISSUE(k, "cash_withdrawal", 1, NULL, "S004", "self_service", "cash_within_threshold",
	    "diverted");
	/* the amounts are kept exactly */
	tk = ticket_status(k, "A001");
	expect_int(tk, "amount_fen", 2000001);
	expect_str(tk, "service", "cash_withdrawal");
	cJSON_Delete(tk);

	/* the express cash lane: up to 5,000,000 fen inclusive, cash only */
	open_window(t, 1, "[\"express\"]");
	ISSUE(k, "cash_withdrawal", 2000001, NULL, "E001", "express", "express_cash", "waiting");
	ISSUE(k, "cash_deposit", 5000000, NULL, "E002", "express", "express_cash", "waiting");
	ISSUE(k, "cash_withdrawal", 5000001, NULL, "A004", "counter", "over_threshold",
	    "waiting");
	ISSUE(k, "transfer", 5000001, NULL, "A005", "counter", "over_threshold", "waiting");
	/* the express lane does not take what is diverted */
	ISSUE(k, "cash_withdrawal", 2000000, NULL, "S005", "self_service",
	    "cash_within_threshold", "diverted");
	/* the largest amount there is */
	ISSUE(k, "cash_deposit", 1000000000000LL, NULL, "A006", "counter", "over_threshold",
	    "waiting");
	daemon_stop(d);
}

static void
test_express_and_vip_lanes(void **state)
{
	struct daemon	*d = daemon_start(NULL);
	struct conn	*k = login(d, "K01"), *t1 = login(d, "T01"), *t2 = login(d, "T02");
	cJSON		*t;

	(void)state;
	open_window(t1, 1, "[\"express\"]");
	open_window(t2, 2, "[\"vip\"]");
	/* loose cash goes to the express lane when it is open */
	ISSUE(k, "cash_withdrawal", 100000, "{\"loose_cash\":true}", "E001", "express",
	    "loose_cash", "waiting");
	ISSUE(k, "cash_withdrawal", 3000000, NULL, "E002", "express", "express_cash", "waiting");
	/* VIPs: the VIP lane whatever the amount or the service */
	ISSUE(k, "cash_deposit", 100000, "{\"vip\":true}", "V001", "vip", "vip", "waiting");
	ISSUE(k, "cash_deposit", 3000000, "{\"vip\":true}", "V002", "vip", "vip", "waiting");
	ISSUE(k, "loan", 0, "{\"vip\":true}", "V003", "vip", "vip", "waiting");
	/* several exceptions: every benefit, the highest-ranked rule */
	t = issue(k, "cash_withdrawal", 100000, "{\"vip\":true,\"loose_cash\":true,"
	    "\"accessibility\":\"visual\"}");
	EXPECT_TICKET(t, "V004", "vip", "accessibility", "waiting");
	expect_bool(t, "priority", true);
	expect_int(t, "position", 1);
	cJSON_Delete(t);
	t = issue(k, "cash_withdrawal", 100000, "{\"loose_cash\":true,\"needs_assistance\":true}");
	EXPECT_TICKET(t, "E003", "express", "needs_assistance", "waiting");
	expect_bool(t, "priority", true);
	expect_int(t, "position", 1);
	cJSON_Delete(t);
	ISSUE(k, "cash_withdrawal", 100000, "{\"vip\":true,\"loose_cash\":true}", "V005", "vip",
	    "vip", "waiting");
	/* express or VIP windows do not make the counter idle: still diverted */
	ISSUE(k, "cash_withdrawal", 100000, NULL, "S001", "self_service",
	    "cash_within_threshold", "diverted");
	/* a paused window does not keep its lane open */
	cJSON_Delete(rq_ok(t1, "{\"op\":\"window.pause\"}"));
	ISSUE(k, "cash_withdrawal", 3000000, NULL, "A001", "counter", "over_threshold",
	    "waiting");
	ISSUE(k, "cash_withdrawal", 100000, "{\"loose_cash\":true}", "A002", "counter",
	    "loose_cash", "waiting");
	cJSON_Delete(rq_ok(t2, "{\"op\":\"window.close\"}"));
	ISSUE(k, "cash_withdrawal", 100000, "{\"vip\":true}", "A003", "counter", "vip",
	    "waiting");
	daemon_stop(d);
}

static void
test_counter_idle(void **state)
{
	struct daemon	*d = daemon_start(NULL);
	struct conn	*k = login(d, "K01"), *t = login(d, "T01");

	(void)state;
	open_window(t, 1, "[\"counter\"]");
	/* nobody waits at the counter and window 1 is idle: do not force the machine */
	ISSUE(k, "cash_withdrawal", 100000, NULL, "A001", "counter", "counter_idle", "waiting");
	/* now someone waits: diverted again */
	ISSUE(k, "cash_withdrawal", 100000, NULL, "S001", "self_service",
	    "cash_within_threshold", "diverted");
	cJSON_Delete(rq_ok(t, "{\"op\":\"ticket.call_next\"}"));
	/* the counter is empty but its only window is busy */
	ISSUE(k, "transfer", 100000, NULL, "S002", "self_service", "transfer_within_threshold",
	    "diverted");
	cJSON_Delete(rq_ok(t, "{\"op\":\"ticket.start\",\"number\":\"A001\"}"));
	cJSON_Delete(rq_ok(t, "{\"op\":\"ticket.complete\",\"number\":\"A001\"}"));
	ISSUE(k, "transfer", 100000, NULL, "A002", "counter", "counter_idle", "waiting");
	cJSON_Delete(rq_ok(t, "{\"op\":\"ticket.call_next\"}"));
	cJSON_Delete(rq_ok(t, "{\"op\":\"ticket.start\",\"number\":\"A002\"}"));
	cJSON_Delete(rq_ok(t, "{\"op\":\"ticket.complete\",\"number\":\"A002\"}"));
	/* a paused window is not idle */
	cJSON_Delete(rq_ok(t, "{\"op\":\"window.pause\"}"));
	ISSUE(k, "cash_deposit", 100000, NULL, "S003", "self_service", "cash_within_threshold",
	    "diverted");
	cJSON_Delete(rq_ok(t, "{\"op\":\"window.resume\"}"));
	ISSUE(k, "cash_deposit", 100000, NULL, "A003", "counter", "counter_idle", "waiting");
	/* over the threshold is not a counter_idle decision */
	cJSON_Delete(rq_ok(t, "{\"op\":\"ticket.call_next\"}"));
	cJSON_Delete(rq_ok(t, "{\"op\":\"ticket.start\",\"number\":\"A003\"}"));
	cJSON_Delete(rq_ok(t, "{\"op\":\"ticket.complete\",\"number\":\"A003\"}"));
	ISSUE(k, "cash_deposit", 3000000, NULL, "A004", "counter", "over_threshold", "waiting");
	daemon_stop(d);
}

static void
test_selfservice_set(void **state)
{
	struct daemon	*d = daemon_start(NULL);
	struct conn	*k = login(d, "K01"), *l = login(d, "L01"), *t = login(d, "T01");
	cJSON		*r;

	(void)state;
	r = rq_ok(l, "{\"op\":\"selfservice.set\",\"available\":false}");
	expect_bool(r, "available", false);
	cJSON_Delete(r);
	r = rq_ok(k, "{\"op\":\"queue.snapshot\"}");
	expect_bool(r, "self_service_available", false);
	cJSON_Delete(r);
	ISSUE(k, "cash_withdrawal", 100000, NULL, "A001", "counter", "self_service_unavailable",
	    "waiting");
	ISSUE(k, "transfer", 100000, NULL, "A002", "counter", "self_service_unavailable",
	    "waiting");
	/* ranks: loose_cash and vip rank above; self_service_unavailable above counter_idle */
	ISSUE(k, "cash_withdrawal", 100000, "{\"loose_cash\":true}", "A003", "counter",
	    "loose_cash", "waiting");
	ISSUE(k, "cash_withdrawal", 100000, "{\"vip\":true}", "A004", "counter", "vip",
	    "waiting");
	open_window(t, 1, "[\"counter\"]");
	cJSON_Delete(rq_ok(l, "{\"op\":\"ticket.cancel\",\"number\":\"A001\"}"));
	cJSON_Delete(rq_ok(l, "{\"op\":\"ticket.cancel\",\"number\":\"A002\"}"));
	cJSON_Delete(rq_ok(l, "{\"op\":\"ticket.cancel\",\"number\":\"A003\"}"));
	cJSON_Delete(rq_ok(l, "{\"op\":\"ticket.cancel\",\"number\":\"A004\"}"));
	ISSUE(k, "cash_withdrawal", 100000, NULL, "A005", "counter", "self_service_unavailable",
	    "waiting");
	/* over the threshold: not eligible, the switch does not name the rule */
	ISSUE(k, "cash_withdrawal", 2000001, NULL, "A006", "counter", "over_threshold",
	    "waiting");
	/* back on */
	r = rq_ok(l, "{\"op\":\"selfservice.set\",\"available\":true}");
	expect_bool(r, "available", true);
	cJSON_Delete(r);
	ISSUE(k, "cash_withdrawal", 100000, NULL, "S001", "self_service",
	    "cash_within_threshold", "diverted");
	r = rq_ok(k, "{\"op\":\"queue.snapshot\"}");
	expect_bool(r, "self_service_available", true);
	cJSON_Delete(r);
	daemon_stop(d);
}

static void
test_numbering_per_lane(void **state)
{
	struct daemon	*d = daemon_start(NULL);
	struct conn	*k = login(d, "K01"), *l = login(d, "L01"), *t1 = login(d, "T01");
	struct conn	*t2 = login(d, "T02"), *s = login(d, "S01");

	(void)state;
	ISSUE(k, "loan", 0, NULL, "A001", "counter", "not_divertible", "waiting");
	ISSUE(k, "cash_withdrawal", 1000, NULL, "S001", "self_service", "cash_within_threshold",
	    "diverted");
	ISSUE(l, "loan", 0, NULL, "A002", "counter", "not_divertible", "waiting");
	ISSUE(l, "transfer", 1000, NULL, "S002", "self_service", "transfer_within_threshold",
	    "diverted");
	open_window(t1, 1, "[\"express\"]");
	open_window(t2, 2, "[\"vip\"]");
	ISSUE(k, "cash_withdrawal", 3000000, NULL, "E001", "express", "express_cash", "waiting");
	ISSUE(k, "loan", 0, "{\"vip\":true}", "V001", "vip", "vip", "waiting");
	ISSUE(k, "cash_withdrawal", 3000000, NULL, "E002", "express", "express_cash", "waiting");
	ISSUE(k, "foreign_exchange", 0, NULL, "A003", "counter", "not_divertible", "waiting");
	ISSUE(k, "cash_deposit", 1000, NULL, "S003", "self_service", "cash_within_threshold",
	    "diverted");
	ISSUE(k, "wealth_management", 0, "{\"vip\":true}", "V002", "vip", "vip", "waiting");
	/* a cancelled ticket's number is not issued again */
	cJSON_Delete(rq_ok(l, "{\"op\":\"ticket.cancel\",\"number\":\"A003\"}"));
	ISSUE(k, "loan", 0, NULL, "A004", "counter", "not_divertible", "waiting");

	/* The next business day numbers every lane from 1 again ... */
	advance(s, H_TO_DAY_END + 9 * 3600);
	ISSUE(k, "loan", 0, NULL, "A001", "counter", "not_divertible", "waiting");
	ISSUE(k, "cash_withdrawal", 1000, NULL, "S001", "self_service", "cash_within_threshold",
	    "diverted");
	ISSUE(k, "cash_withdrawal", 3000000, NULL, "E001", "express", "express_cash", "waiting");
	/* ... and after a restart goes on from the tickets on disk, in each lane. */
	daemon_stop(d);
	daemon_restart_at(d, "2026-11-24T01:00:00Z");
	k = login(d, "K01");
	t1 = login(d, "T01");
	open_window(t1, 1, "[\"express\"]");
	ISSUE(k, "loan", 0, NULL, "A002", "counter", "not_divertible", "waiting");
	ISSUE(k, "transfer", 1000, NULL, "S002", "self_service", "transfer_within_threshold",
	    "diverted");
	ISSUE(k, "cash_withdrawal", 3000000, NULL, "E002", "express", "express_cash", "waiting");
	/* a lane with no ticket yet that day: 1, whatever the day before had */
	ISSUE(k, "loan", 0, "{\"vip\":true}", "V001", "vip", "vip", "waiting");
	daemon_stop(d);
}

static void
test_priority_positions_estimates(void **state)
{
	struct daemon	*d = daemon_start(NULL);
	struct conn	*k = login(d, "K01"), *s = login(d, "S01"), *t1 = login(d, "T01");
	struct conn	*t2 = login(d, "T02");
	cJSON		*r;

	(void)state;
	ISSUE(k, "loan", 0, NULL, "A001", "counter", "not_divertible", "waiting");
	advance(s, 60);
	ISSUE(k, "loan", 0, NULL, "A002", "counter", "not_divertible", "waiting");
	advance(s, 60);
	ISSUE(k, "loan", 0, "{\"needs_assistance\":true}", "A003", "counter", "not_divertible",
	    "waiting");
	advance(s, 60);
	ISSUE(k, "card_services", 0, "{\"accessibility\":\"sign_language\"}", "A004", "counter",
	    "not_divertible", "waiting");
	advance(s, 60);
	ISSUE(k, "loan", 0, NULL, "A005", "counter", "not_divertible", "waiting");

	/* priority first, then issue time; 300 s a ticket with (at least) one window */
	STATUS_WAITING(k, "A003", 1, 300);
	STATUS_WAITING(k, "A004", 2, 600);
	STATUS_WAITING(k, "A001", 3, 900);
	STATUS_WAITING(k, "A002", 4, 1200);
	STATUS_WAITING(k, "A005", 5, 1500);
	r = rq_ok(k, "{\"op\":\"queue.snapshot\"}");
	expect_int(r, "lanes.counter.waiting", 5);
	expect_int(r, "lanes.counter.oldest_wait_s", 240);
	expect_null(r, "lanes.express.oldest_wait_s");
	expect_int(r, "lanes.express.waiting", 0);
	/* a sixth ticket would be told 6 x 300 s; an empty lane one service */
	expect_int(r, "lanes.counter.estimated_wait_s", 1800);
	expect_int(r, "lanes.express.estimated_wait_s", 300);
	expect_that(jget(r, "lanes.self_service.estimated_wait_s") == NULL, r,
	    "the self-service lane has no queue, so no estimate");
	cJSON_Delete(r);

	/* one window: the same; two windows: half */
	open_window(t1, 1, "[\"counter\"]");
	STATUS_WAITING(k, "A001", 3, 900);
	open_window(t2, 2, "[\"counter\"]");
	STATUS_WAITING(k, "A003", 1, 150);
	r = rq_ok(k, "{\"op\":\"queue.snapshot\"}");
	expect_int(r, "lanes.counter.estimated_wait_s", 900);
	cJSON_Delete(r);
	STATUS_WAITING(k, "A001", 3, 450);
	STATUS_WAITING(k, "A005", 5, 750);

	/* call next takes the priority tickets first */
	r = rq_ok(t1, "{\"op\":\"ticket.call_next\"}");
	expect_str(r, "ticket.number", "A003");
	cJSON_Delete(r);
	r = rq_ok(t2, "{\"op\":\"ticket.call_next\"}");
	expect_str(r, "ticket.number", "A004");
	cJSON_Delete(r);
	STATUS_WAITING(k, "A001", 1, 150);
	/* a completed ticket's occupancy (called -> completed: 120 s) replaces the default */
	advance(s, 100);
	cJSON_Delete(rq_ok(t1, "{\"op\":\"ticket.start\",\"number\":\"A003\"}"));
	advance(s, 20);
	cJSON_Delete(rq_ok(t1, "{\"op\":\"ticket.complete\",\"number\":\"A003\"}"));
	STATUS_WAITING(k, "A001", 1, 60);
	STATUS_WAITING(k, "A002", 2, 120);
	STATUS_WAITING(k, "A005", 3, 180);
	r = rq_ok(t1, "{\"op\":\"ticket.call_next\"}");
	expect_str(r, "ticket.number", "A001");
	cJSON_Delete(r);
	daemon_stop(d);
}

static void
test_reroute(void **state)
{
	struct daemon	*d = daemon_start(NULL);
	struct conn	*k = login(d, "K01"), *l = login(d, "L01"), *s = login(d, "S01");
	struct conn	*t = login(d, "T01");
	cJSON		*r, *tk;

	(void)state;
	ISSUE(k, "cash_withdrawal", 100000, NULL, "S001", "self_service",
	    "cash_within_threshold", "diverted");
	advance(s, 60);
	ISSUE(k, "loan", 0, NULL, "A001", "counter", "not_divertible", "waiting");
	STATUS_WAITING(k, "A001", 1, 300);

	/* DOMAIN §1: the customer declines the machine and keeps the place in time */
	r = rq_ok(l, "{\"op\":\"ticket.reroute\",\"number\":\"S001\",\"to_lane\":\"counter\","
	    "\"reason\":\"customer_declined\"}");
	tk = cJSON_DetachItemFromObjectCaseSensitive(r, "ticket");
	cJSON_Delete(r);
	expect_str(tk, "number", "S001");	/* the number keeps its letter */
	expect_str(tk, "lane", "counter");
	expect_str(tk, "status", "waiting");
	expect_str(tk, "issued_at", H_CLOCK_START);
	expect_str(tk, "route_rule", "cash_within_threshold");	/* the decision as made */
	EXPECT_WAITING(tk, 1, 300);
	cJSON_Delete(tk);
	STATUS_WAITING(k, "A001", 2, 600);
	/* already waiting in that lane */
	rq_err(l, "conflict", "{\"op\":\"ticket.reroute\",\"number\":\"S001\","
	    "\"to_lane\":\"counter\",\"reason\":\"other\"}");
	/* a waiting ticket may move to another lane, still in time order */
	r = rq_ok(l, "{\"op\":\"ticket.reroute\",\"number\":\"S001\",\"to_lane\":\"express\","
	    "\"reason\":\"other\"}");
	expect_str(r, "ticket.lane", "express");
	expect_str(r, "ticket.number", "S001");
	expect_int(r, "ticket.position", 1);
	cJSON_Delete(r);
	STATUS_WAITING(k, "A001", 1, 300);

	/* reason needs_assistance: the flag and priority */
	ISSUE(k, "transfer", 100000, NULL, "S002", "self_service", "transfer_within_threshold",
	    "diverted");
	r = rq_ok(l, "{\"op\":\"ticket.reroute\",\"number\":\"S002\",\"to_lane\":\"counter\","
	    "\"reason\":\"needs_assistance\"}");
	expect_bool(r, "ticket.flags.needs_assistance", true);
	expect_bool(r, "ticket.priority", true);
	expect_int(r, "ticket.position", 1);
	cJSON_Delete(r);
	STATUS_WAITING(k, "A001", 2, 600);
	/* reason loose_cash: the flag */
	ISSUE(k, "cash_deposit", 100000, NULL, "S003", "self_service", "cash_within_threshold",
	    "diverted");
	r = rq_ok(t, "{\"op\":\"ticket.reroute\",\"number\":\"S003\",\"to_lane\":\"counter\","
	    "\"reason\":\"loose_cash\"}");
	expect_bool(r, "ticket.flags.loose_cash", true);
	expect_str(r, "ticket.status", "waiting");
	cJSON_Delete(r);
	/* the other reasons are accepted */
	ISSUE(k, "cash_deposit", 100000, NULL, "S004", "self_service", "cash_within_threshold",
	    "diverted");
	cJSON_Delete(rq_ok(s, "{\"op\":\"ticket.reroute\",\"number\":\"S004\","
	    "\"to_lane\":\"vip\",\"reason\":\"machine_failed\"}"));
	ISSUE(k, "cash_deposit", 100000, NULL, "S005", "self_service", "cash_within_threshold",
	    "diverted");
	cJSON_Delete(rq_ok(l, "{\"op\":\"ticket.reroute\",\"number\":\"S005\","
	    "\"to_lane\":\"counter\",\"reason\":\"machine_unavailable\"}"));

	/* wrong states and unknown numbers */
	cJSON_Delete(rq_ok(l, "{\"op\":\"ticket.cancel\",\"number\":\"S005\"}"));
	rq_err(l, "conflict", "{\"op\":\"ticket.reroute\",\"number\":\"S005\","
	    "\"to_lane\":\"express\",\"reason\":\"other\"}");
	rq_err(l, "not_found", "{\"op\":\"ticket.reroute\",\"number\":\"S099\","
	    "\"to_lane\":\"counter\",\"reason\":\"other\"}");
	rq_bad(l, "to_lane", "{\"op\":\"ticket.reroute\",\"number\":\"S001\","
	    "\"to_lane\":\"self_service\",\"reason\":\"other\"}");
	open_window(t, 1, "[\"counter\"]");
	r = rq_ok(t, "{\"op\":\"ticket.call_next\"}");
	expect_str(r, "ticket.number", "S002");
	cJSON_Delete(r);
	rq_err(l, "conflict", "{\"op\":\"ticket.reroute\",\"number\":\"S002\","
	    "\"to_lane\":\"express\",\"reason\":\"other\"}");
	STATUS_IS(k, "S002", "called");
	daemon_stop(d);
}

static void
test_cancel(void **state)
{
	struct daemon	*d = daemon_start(NULL);
	struct conn	*k = login(d, "K01"), *l = login(d, "L01"), *t = login(d, "T01");
	cJSON		*r;

	(void)state;
	ISSUE(k, "loan", 0, NULL, "A001", "counter", "not_divertible", "waiting");
	ISSUE(k, "loan", 0, NULL, "A002", "counter", "not_divertible", "waiting");
	ISSUE(k, "cash_withdrawal", 100, NULL, "S001", "self_service", "cash_within_threshold",
	    "diverted");
	r = rq_ok(l, "{\"op\":\"ticket.cancel\",\"number\":\"A001\"}");
	expect_str(r, "ticket.status", "cancelled");
	EXPECT_NOT_WAITING(jget(r, "ticket"));
	cJSON_Delete(r);
	STATUS_IS(k, "A001", "cancelled");
	STATUS_WAITING(k, "A002", 1, 300);
	r = rq_ok(k, "{\"op\":\"queue.snapshot\"}");
	expect_int(r, "lanes.counter.waiting", 1);
	cJSON_Delete(r);
	rq_err(l, "conflict", "{\"op\":\"ticket.cancel\",\"number\":\"A001\"}");
	/* a diverted ticket can be cancelled; a teller may cancel */
	r = rq_ok(t, "{\"op\":\"ticket.cancel\",\"number\":\"S001\"}");
	expect_str(r, "ticket.status", "cancelled");
	cJSON_Delete(r);
	rq_err(l, "not_found", "{\"op\":\"ticket.cancel\",\"number\":\"A077\"}");
	/* a called ticket cannot */
	open_window(t, 1, "[\"counter\"]");
	cJSON_Delete(rq_ok(t, "{\"op\":\"ticket.call_next\"}"));
	rq_err(l, "conflict", "{\"op\":\"ticket.cancel\",\"number\":\"A002\"}");
	STATUS_IS(k, "A002", "called");
	daemon_stop(d);
}

static void
test_window_actions(void **state)
{
	struct daemon	*d = daemon_start(NULL);
	struct conn	*k = login(d, "K01"), *t = login(d, "T01");
	cJSON		*r, *tk;

	(void)state;
	open_window(t, 1, "[\"counter\"]");
	r = rq_ok(t, "{\"op\":\"ticket.call_next\"}");
	expect_null(r, "ticket");
	expect_int(r, "window", 1);
	cJSON_Delete(r);
	ISSUE(k, "loan", 0, NULL, "A001", "counter", "not_divertible", "waiting");
	ISSUE(k, "loan", 0, NULL, "A002", "counter", "not_divertible", "waiting");
	ISSUE(k, "loan", 0, NULL, "A003", "counter", "not_divertible", "waiting");
	ISSUE(k, "loan", 0, NULL, "A004", "counter", "not_divertible", "waiting");

	/* call: called at window 1 */
	r = rq_ok(t, "{\"op\":\"ticket.call_next\"}");
	expect_int(r, "window", 1);
	expect_str(r, "ticket.number", "A001");
	expect_str(r, "ticket.status", "called");
	expect_int(r, "ticket.window", 1);
	expect_int(r, "ticket.recalls", 0);
	expect_str(r, "ticket.called_at", H_CLOCK_START);
	EXPECT_NOT_WAITING(jget(r, "ticket"));
	cJSON_Delete(r);
	STATUS_IS(k, "A001", "called");
	STATUS_WAITING(k, "A002", 1, 300);

	/* recall: at most max_recalls (2) times */
	r = rq_ok(t, "{\"op\":\"ticket.recall\",\"number\":\"A001\"}");
	expect_int(r, "ticket.recalls", 1);
	expect_str(r, "ticket.status", "called");
	cJSON_Delete(r);
	r = rq_ok(t, "{\"op\":\"ticket.recall\",\"number\":\"A001\"}");
	expect_int(r, "ticket.recalls", 2);
	cJSON_Delete(r);
	rq_err(t, "conflict", "{\"op\":\"ticket.recall\",\"number\":\"A001\"}");
	r = rq_ok(t, "{\"op\":\"ticket.no_show\",\"number\":\"A001\"}");
	expect_str(r, "ticket.status", "no_show");
	expect_present(r, "ticket.finished_at");
	expect_that(cJSON_IsString(jget(r, "ticket.finished_at")), r, "finished_at is a time");
	cJSON_Delete(r);

	/* no_show only after the configured recalls */
	r = rq_ok(t, "{\"op\":\"ticket.call_next\"}");
	expect_str(r, "ticket.number", "A002");
	cJSON_Delete(r);
	rq_err(t, "conflict", "{\"op\":\"ticket.no_show\",\"number\":\"A002\"}");
	cJSON_Delete(rq_ok(t, "{\"op\":\"ticket.recall\",\"number\":\"A002\"}"));
	rq_err(t, "conflict", "{\"op\":\"ticket.no_show\",\"number\":\"A002\"}");
	STATUS_IS(k, "A002", "called");
	cJSON_Delete(rq_ok(t, "{\"op\":\"ticket.recall\",\"number\":\"A002\"}"));
	cJSON_Delete(rq_ok(t, "{\"op\":\"ticket.no_show\",\"number\":\"A002\"}"));
	STATUS_IS(k, "A002", "no_show");

	/* start, complete */
	r = rq_ok(t, "{\"op\":\"ticket.call_next\"}");
	expect_str(r, "ticket.number", "A003");
	cJSON_Delete(r);
	rq_err(t, "conflict", "{\"op\":\"ticket.complete\",\"number\":\"A003\"}");
	r = rq_ok(t, "{\"op\":\"ticket.start\",\"number\":\"A003\"}");
	expect_str(r, "ticket.status", "serving");
	expect_str(r, "ticket.started_at", H_CLOCK_START);
	cJSON_Delete(r);
	rq_err(t, "conflict", "{\"op\":\"ticket.start\",\"number\":\"A003\"}");
	rq_err(t, "conflict", "{\"op\":\"ticket.recall\",\"number\":\"A003\"}");
	rq_err(t, "conflict", "{\"op\":\"ticket.no_show\",\"number\":\"A003\"}");
	r = rq_ok(t, "{\"op\":\"ticket.complete\",\"number\":\"A003\"}");
	expect_str(r, "ticket.status", "done");
	expect_str(r, "ticket.finished_at", H_CLOCK_START);
	cJSON_Delete(r);
	rq_err(t, "conflict", "{\"op\":\"ticket.complete\",\"number\":\"A003\"}");
	STATUS_IS(k, "A003", "done");

	/* transfer a called ticket: waiting in the other lane, same number and place in time */
	r = rq_ok(t, "{\"op\":\"ticket.call_next\"}");
	expect_str(r, "ticket.number", "A004");
	cJSON_Delete(r);
	/* not to its own lane: conflict naming it, and nothing changes */
	TRANSFER_OWN_LANE(t, "A004", "counter");
	STATUS_IS(k, "A004", "called");
	r = rq_ok(t, "{\"op\":\"ticket.transfer\",\"number\":\"A004\",\"to_lane\":\"express\"}");
	tk = cJSON_DetachItemFromObjectCaseSensitive(r, "ticket");
	cJSON_Delete(r);
	expect_str(tk, "number", "A004");
	expect_str(tk, "lane", "express");
	expect_str(tk, "issued_at", H_CLOCK_START);
	EXPECT_WAITING(tk, 1, 300);
	expect_null(tk, "window");
	cJSON_Delete(tk);
	/* the window is free again; it serves only the counter, which is empty */
	r = rq_ok(t, "{\"op\":\"ticket.call_next\"}");
	expect_null(r, "ticket");
	cJSON_Delete(r);
	/* re-opening one's own window changes its lanes */
	open_window(t, 1, "[\"counter\",\"express\"]");
	r = rq_ok(t, "{\"op\":\"ticket.call_next\"}");
	expect_str(r, "ticket.number", "A004");
	expect_str(r, "ticket.lane", "express");
	cJSON_Delete(r);
	/* transfer a serving ticket */
	cJSON_Delete(rq_ok(t, "{\"op\":\"ticket.start\",\"number\":\"A004\"}"));
	TRANSFER_OWN_LANE(t, "A004", "express");
	STATUS_IS(k, "A004", "serving");
	r = rq_ok(t, "{\"op\":\"ticket.transfer\",\"number\":\"A004\",\"to_lane\":\"counter\"}");
	expect_str(r, "ticket.status", "waiting");
	expect_str(r, "ticket.lane", "counter");
	cJSON_Delete(r);
	rq_bad(t, "to_lane", "{\"op\":\"ticket.transfer\",\"number\":\"A004\","
	    "\"to_lane\":\"self_service\"}");
	/* not current here */
	rq_err(t, "conflict", "{\"op\":\"ticket.start\",\"number\":\"A004\"}");
	rq_err(t, "not_found", "{\"op\":\"ticket.start\",\"number\":\"A404\"}");
	daemon_stop(d);
}

/*
 * Issue 15 item 7, PROTOCOL's ticket object: `called_at` is the call that
 * brought the ticket to its window (a recall does not move it); `window`
 * is null while it waits, also after a transfer; `recalls` counts the
 * recalls since its last call, so max_recalls applies at each window.
 */
static void
test_call_fields_through_a_transfer(void **state)
{
	struct daemon	*d = daemon_start(NULL);
	struct conn	*k = login(d, "K01"), *s = login(d, "S01"), *t1 = login(d, "T01");
	struct conn	*t2 = login(d, "T02");
	cJSON		*r;

	(void)state;
	open_window(t1, 1, "[\"counter\"]");
	open_window(t2, 2, "[\"vip\"]");
	ISSUE(k, "loan", 0, NULL, "A001", "counter", "not_divertible", "waiting");
	r = rq_ok(t1, "{\"op\":\"ticket.call_next\"}");
	expect_str(r, "ticket.called_at", H_CLOCK_START);
	expect_int(r, "ticket.window", 1);
	expect_int(r, "ticket.recalls", 0);
	cJSON_Delete(r);
	/* recalls: counted; called_at stays the call's */
	advance(s, 30);
	r = rq_ok(t1, "{\"op\":\"ticket.recall\",\"number\":\"A001\"}");
	expect_int(r, "ticket.recalls", 1);
	expect_str(r, "ticket.called_at", H_CLOCK_START);
	expect_int(r, "ticket.window", 1);
	cJSON_Delete(r);
	advance(s, 30);
	r = rq_ok(t1, "{\"op\":\"ticket.recall\",\"number\":\"A001\"}");
	expect_int(r, "ticket.recalls", 2);
	expect_str(r, "ticket.called_at", H_CLOCK_START);
	cJSON_Delete(r);
	/* transferred: at no window, no recalls; called_at until the next call */
	r = rq_ok(t1, "{\"op\":\"ticket.transfer\",\"number\":\"A001\",\"to_lane\":\"vip\"}");
	expect_str(r, "ticket.status", "waiting");
	expect_null(r, "ticket.window");
	expect_int(r, "ticket.recalls", 0);
	expect_str(r, "ticket.called_at", H_CLOCK_START);
	cJSON_Delete(r);
	r = ticket_status(k, "A001");
	expect_null(r, "window");
	expect_int(r, "recalls", 0);
	cJSON_Delete(r);
	/* the next call: its window, its time, its own recalls */
	advance(s, 60);
	r = rq_ok(t2, "{\"op\":\"ticket.call_next\"}");
	expect_str(r, "ticket.number", "A001");
	expect_int(r, "ticket.window", 2);
	expect_str(r, "ticket.called_at", "2026-11-23T01:02:00Z");
	expect_int(r, "ticket.recalls", 0);
	cJSON_Delete(r);
	rq_err(t2, "conflict", "{\"op\":\"ticket.no_show\",\"number\":\"A001\"}");
	r = rq_ok(t2, "{\"op\":\"ticket.recall\",\"number\":\"A001\"}");
	expect_int(r, "ticket.recalls", 1);
	expect_str(r, "ticket.called_at", "2026-11-23T01:02:00Z");
	cJSON_Delete(r);
	cJSON_Delete(rq_ok(t2, "{\"op\":\"ticket.recall\",\"number\":\"A001\"}"));
	rq_err(t2, "conflict", "{\"op\":\"ticket.recall\",\"number\":\"A001\"}");
	/* a no-show keeps the window it was missed at */
	r = rq_ok(t2, "{\"op\":\"ticket.no_show\",\"number\":\"A001\"}");
	expect_int(r, "ticket.window", 2);
	expect_int(r, "ticket.recalls", 2);
	cJSON_Delete(r);
	daemon_stop(d);
}

static void
test_max_recalls_config(void **state)
{
	struct daemon_opts	 one = { .extra_config = "\"max_recalls\":1" };
	struct daemon_opts	 zero = { .extra_config = "\"max_recalls\":0" };
	struct daemon		*d;
	struct conn		*k, *t;

	(void)state;
	d = daemon_start(&one);
	k = login(d, "K01");
	t = login(d, "T01");
	open_window(t, 1, "[\"counter\"]");
	ISSUE(k, "loan", 0, NULL, "A001", "counter", "not_divertible", "waiting");
	cJSON_Delete(rq_ok(t, "{\"op\":\"ticket.call_next\"}"));
	rq_err(t, "conflict", "{\"op\":\"ticket.no_show\",\"number\":\"A001\"}");
	cJSON_Delete(rq_ok(t, "{\"op\":\"ticket.recall\",\"number\":\"A001\"}"));
	rq_err(t, "conflict", "{\"op\":\"ticket.recall\",\"number\":\"A001\"}");
	cJSON_Delete(rq_ok(t, "{\"op\":\"ticket.no_show\",\"number\":\"A001\"}"));
	daemon_stop(d);
	daemon_free(d);

	d = daemon_start(&zero);
	k = login(d, "K01");
	t = login(d, "T01");
	open_window(t, 1, "[\"counter\"]");
	ISSUE(k, "loan", 0, NULL, "A001", "counter", "not_divertible", "waiting");
	cJSON_Delete(rq_ok(t, "{\"op\":\"ticket.call_next\"}"));
	rq_err(t, "conflict", "{\"op\":\"ticket.recall\",\"number\":\"A001\"}");
	cJSON_Delete(rq_ok(t, "{\"op\":\"ticket.no_show\",\"number\":\"A001\"}"));
	daemon_stop(d);
}

static void
test_ticket_status_shape(void **state)
{
	static const char *const keys[] = {
		"number", "lane", "route_rule", "status", "position", "estimated_wait_s",
		"issued_at", "service", "flags", "priority", "window", "recalls", "called_at",
		"started_at", "finished_at", "closed_by", NULL
	};
	struct daemon	*d = daemon_start(NULL);
	struct conn	*k = login(d, "K01");
	cJSON		*t;
	size_t		 i;

	(void)state;
	ISSUE(k, "cash_deposit", 2000001, "{\"accessibility\":\"other\"}", "A001", "counter",
	    "over_threshold", "waiting");
	t = ticket_status(k, "A001");
	for (i = 0; keys[i] != NULL; i++)
		expect_present(t, keys[i]);
	EXPECT_TICKET(t, "A001", "counter", "over_threshold", "waiting");
	EXPECT_WAITING(t, 1, 300);
	expect_str(t, "issued_at", H_CLOCK_START);
	expect_str(t, "service", "cash_deposit");
	expect_int(t, "amount_fen", 2000001);
	expect_bool(t, "flags.loose_cash", false);
	expect_bool(t, "flags.vip", false);
	expect_bool(t, "flags.needs_assistance", false);
	expect_str(t, "flags.accessibility", "other");
	expect_bool(t, "priority", true);
	expect_null(t, "window");
	expect_int(t, "recalls", 0);
	expect_null(t, "called_at");
	expect_null(t, "started_at");
	expect_null(t, "finished_at");
	expect_null(t, "closed_by");
	cJSON_Delete(t);
	ISSUE(k, "transfer", 100, NULL, "S001", "self_service", "transfer_within_threshold",
	    "diverted");
	t = ticket_status(k, "S001");
	EXPECT_NOT_WAITING(t);
	expect_null(t, "flags.accessibility");
	cJSON_Delete(t);
	rq_err(k, "not_found", "{\"op\":\"ticket.status\",\"number\":\"A002\"}");
	rq_err(k, "not_found", "{\"op\":\"ticket.status\",\"number\":\"E001\"}");
	rq_err(k, "not_found", "{\"op\":\"ticket.status\",\"number\":\"V001\"}");
	/* numbers are exact: A0001 is not A001 */
	rq_err(k, "not_found", "{\"op\":\"ticket.status\",\"number\":\"A0001\"}");
	daemon_stop(d);
}

static void
test_queue_snapshot_shape(void **state)
{
	static const char *const lanes[] = { "self_service", "express", "counter", "vip", NULL };
	struct daemon	*d = daemon_start(NULL);
	struct conn	*k = login(d, "K01"), *s = login(d, "S01"), *t1 = login(d, "T01");
	struct conn	*t2 = login(d, "T02"), *disp = login(d, "D01");
	cJSON		*r, *w;
	char		 path[64];
	size_t		 i;

	(void)state;
	r = rq_ok(disp, "{\"op\":\"queue.snapshot\"}");
	expect_str(r, "now", H_CLOCK_START);
	expect_bool(r, "self_service_available", true);
	for (i = 0; lanes[i] != NULL; i++) {
		snprintf(path, sizeof path, "lanes.%s.waiting", lanes[i]);
		expect_int(r, path, 0);
		snprintf(path, sizeof path, "lanes.%s.oldest_wait_s", lanes[i]);
		expect_null(r, path);
		snprintf(path, sizeof path, "lanes.%s.open_windows", lanes[i]);
		expect_int(r, path, 0);
	}
	expect_that(cJSON_IsArray(jget(r, "windows")) && cJSON_GetArraySize(jget(r, "windows"))
	    == 0, r, "windows: an empty array");
	cJSON_Delete(r);

	open_window(t2, 7, "[\"vip\",\"counter\"]");
	open_window(t1, 2, "[\"counter\",\"express\"]");
	ISSUE(k, "loan", 0, NULL, "A001", "counter", "not_divertible", "waiting");
	ISSUE(k, "loan", 0, NULL, "A002", "counter", "not_divertible", "waiting");
	advance(s, 100);
	r = rq_ok(disp, "{\"op\":\"queue.snapshot\"}");
	expect_str(r, "now", "2026-11-23T01:01:40Z");
	expect_int(r, "lanes.counter.waiting", 2);
	expect_int(r, "lanes.counter.oldest_wait_s", 100);
	expect_int(r, "lanes.counter.open_windows", 2);
	expect_int(r, "lanes.express.open_windows", 1);
	expect_int(r, "lanes.vip.open_windows", 1);
	expect_that(cJSON_GetArraySize(jget(r, "windows")) == 2, r, "two windows");
	/* by number */
	w = (cJSON *)jget(r, "windows.0");
	expect_int(w, "window", 2);
	expect_str(w, "terminal", "T01");
	expect_str(w, "staff", "E1001");
	expect_str(w, "lanes.0", "counter");
	expect_str(w, "lanes.1", "express");
	expect_that(cJSON_GetArraySize(jget(w, "lanes")) == 2, w, "two lanes");
	expect_str(w, "state", "open");
	expect_bool(w, "accessible", false);
	expect_null(w, "current");
	expect_str(w, "opened_at", H_CLOCK_START);
	expect_int(r, "windows.1.window", 7);
	expect_str(r, "windows.1.terminal", "T02");
	cJSON_Delete(r);

	cJSON_Delete(rq_ok(t1, "{\"op\":\"ticket.call_next\"}"));
	cJSON_Delete(rq_ok(t2, "{\"op\":\"window.pause\"}"));
	r = rq_ok(k, "{\"op\":\"queue.snapshot\"}");
	expect_str(r, "windows.0.current.number", "A001");
	expect_str(r, "windows.0.current.status", "called");
	expect_str(r, "windows.1.state", "paused");
	expect_int(r, "lanes.counter.waiting", 1);
	expect_int(r, "lanes.counter.oldest_wait_s", 100);
	cJSON_Delete(r);
	daemon_stop(d);
}

static void
test_business_day_end(void **state)
{
	struct daemon	*d = daemon_start(NULL);
	struct conn	*k = login(d, "K01"), *s = login(d, "S01"), *t = login(d, "T01");
	cJSON		*r, *tk;
	char		*st;

	(void)state;
	ISSUE(k, "cash_withdrawal", 100000, NULL, "S001", "self_service",
	    "cash_within_threshold", "diverted");
	ISSUE(k, "loan", 0, NULL, "A001", "counter", "not_divertible", "waiting");
	ISSUE(k, "loan", 0, NULL, "A002", "counter", "not_divertible", "waiting");
	ISSUE(k, "loan", 0, NULL, "A003", "counter", "not_divertible", "waiting");
	open_window(t, 1, "[\"counter\"]");
	cJSON_Delete(rq_ok(t, "{\"op\":\"ticket.call_next\"}"));	/* A001 called */

	/* one second before local midnight: still the same day */
	advance(s, H_TO_DAY_END - 1);
	STATUS_IS(k, "A002", "waiting");
	advance(s, 1);
	r = rq_ok(k, "{\"op\":\"ping\"}");
	expect_str(r, "now", "2026-11-23T16:00:00Z");
	cJSON_Delete(r);
	/* yesterday's tickets are not today's */
	rq_err(k, "not_found", "{\"op\":\"ticket.status\",\"number\":\"A002\"}");
	rq_err(k, "not_found", "{\"op\":\"ticket.status\",\"number\":\"S001\"}");
	r = rq_ok(k, "{\"op\":\"queue.snapshot\"}");
	expect_int(r, "lanes.counter.waiting", 0);
	expect_null(r, "lanes.counter.oldest_wait_s");
	cJSON_Delete(r);
	/* waiting and diverted -> expired, in the database */
	st = db_ticket_status(d, "2026-11-23", "A002");
	expect_that(st != NULL && strcmp(st, "expired") == 0, NULL,
	    "waiting A002 should be expired after the day ended, is %s", st ? st : "(none)");
	free(st);
	st = db_ticket_status(d, "2026-11-23", "A003");
	expect_that(st != NULL && strcmp(st, "expired") == 0, NULL,
	    "waiting A003 should be expired, is %s", st ? st : "(none)");
	free(st);
	st = db_ticket_status(d, "2026-11-23", "S001");
	expect_that(st != NULL && strcmp(st, "expired") == 0, NULL,
	    "diverted S001 should be expired, is %s", st ? st : "(none)");
	free(st);

	/* the numbering restarts at 001 */
	tk = issue(k, "loan", 0, NULL);
	EXPECT_TICKET(tk, "A001", "counter", "not_divertible", "waiting");
	expect_str(tk, "issued_at", "2026-11-23T16:00:00Z");
	EXPECT_WAITING(tk, 1, 300);
	cJSON_Delete(tk);
	ISSUE(k, "transfer", 1000, NULL, "S001", "self_service", "transfer_within_threshold",
	    "diverted");
	tk = ticket_status(k, "A001");
	expect_str(tk, "issued_at", "2026-11-23T16:00:00Z");
	expect_str(tk, "status", "waiting");
	cJSON_Delete(tk);
	st = db_ticket_status(d, "2026-11-24", "A001");
	expect_that(st != NULL && strcmp(st, "waiting") == 0, NULL,
	    "the new A001 belongs to 2026-11-24, status %s", st ? st : "(none)");
	free(st);
	daemon_stop(d);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_route_rules_no_window, harness_teardown),
		cmocka_unit_test_teardown(test_thresholds_inclusive, harness_teardown),
		cmocka_unit_test_teardown(test_express_and_vip_lanes, harness_teardown),
		cmocka_unit_test_teardown(test_counter_idle, harness_teardown),
		cmocka_unit_test_teardown(test_selfservice_set, harness_teardown),
		cmocka_unit_test_teardown(test_numbering_per_lane, harness_teardown),
		cmocka_unit_test_teardown(test_priority_positions_estimates, harness_teardown),
		cmocka_unit_test_teardown(test_reroute, harness_teardown),
		cmocka_unit_test_teardown(test_cancel, harness_teardown),
		cmocka_unit_test_teardown(test_window_actions, harness_teardown),
		cmocka_unit_test_teardown(test_call_fields_through_a_transfer, harness_teardown),
		cmocka_unit_test_teardown(test_max_recalls_config, harness_teardown),
		cmocka_unit_test_teardown(test_ticket_status_shape, harness_teardown),
		cmocka_unit_test_teardown(test_queue_snapshot_shape, harness_teardown),
		cmocka_unit_test_teardown(test_business_day_end, harness_teardown),
	};

	return cmocka_run_group_tests_name("e2e_tickets", tests, NULL, NULL);
}
