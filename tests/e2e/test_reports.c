/*
 * End-to-end: supervisor reports (PROTOCOL "Reports", DOMAIN §5, decisions
 * "Issue 3 decisions" / "Reports"): report.followups with its summary,
 * order, overdue times, masking and limit; report.summary over business
 * dates with exact figures from a day built on the test clock; their
 * errors and roles; replies in order behind a report.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "harness.h"

#define DAY		(24 * 3600)
#define DAY1		"2026-11-23"
#define DAY2		"2026-11-24"

/* ---- small helpers ---- */

static long long	elapsed;	/* seconds the test clock has moved since H_CLOCK_START */

static void
adv(struct conn *s, long long seconds)
{
	advance(s, seconds);
	elapsed += seconds;
}

static long long
tparse(const char *s)
{
	struct tm	tm;
	int		y, mo, d, h, mi, se;

	if (s == NULL || sscanf(s, "%d-%d-%dT%d:%d:%dZ", &y, &mo, &d, &h, &mi, &se) != 6)
		return -1;
	memset(&tm, 0, sizeof tm);
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = se;
	return (long long)timegm(&tm);
}

/* H_CLOCK_START plus seconds, as RFC 3339 (four rotating buffers). */
static const char *
at_plus(long long seconds)
{
	static char	buf[4][32];
	static int	i;
	time_t		t = (time_t)(tparse(H_CLOCK_START) + seconds);
	struct tm	tm;

	i = (i + 1) % 4;
	gmtime_r(&t, &tm);
	strftime(buf[i], sizeof buf[i], "%Y-%m-%dT%H:%M:%SZ", &tm);
	return buf[i];
}

#define expect_num(o, path, want)	expect_num_at(__FILE__, __LINE__, (o), (path), (want))

/* A number within 0.0001 of want (shares may be rounded to four decimals). */
static void
expect_num_at(const char *file, int line, const cJSON *o, const char *path, double want)
{
	const cJSON	*item = jget(o, path);

	h_expect_that(file, line, cJSON_IsNumber(item) && fabs(item->valuedouble - want) < 1e-4,
	    o, "expected %s = %g", path, want);
}

/* Every member of the object at path is 0. */
static void
expect_all_zero(const cJSON *o, const char *path)
{
	const cJSON	*obj = jget(o, path), *m;

	expect_that(cJSON_IsObject(obj), o, "%s should be an object", path);
	cJSON_ArrayForEach(m, obj)
		expect_that(cJSON_IsNumber(m) && m->valuedouble == 0, o, "%s.%s should be 0",
		    path, m->string);
}

/* The object at path has exactly n members. */
static void
expect_members(const cJSON *o, const char *path, int n)
{
	const cJSON	*obj = jget(o, path);

	expect_that(cJSON_IsObject(obj) && cJSON_GetArraySize(obj) == n, o,
	    "%s should have %d members", path, n);
}

static void
open_window(struct conn *c, int no, const char *lanes)
{
	cJSON_Delete(rq_ok(c, "{\"op\":\"window.open\",\"window\":%d,\"lanes\":%s}", no, lanes));
}

static void
expect_issue(struct conn *k, const char *service, long long amount, const char *flags,
    const char *number, const char *lane)
{
	cJSON	*t = issue(k, service, amount, flags);

	expect_str(t, "number", number);
	expect_str(t, "lane", lane);
	cJSON_Delete(t);
}

static long long
log_complaint(struct conn *c, const char *category, int severity, const char *more)
{
	cJSON		*r = rq_ok(c, "{\"op\":\"complaint.log\",\"category\":\"%s\","
	    "\"severity\":%d,\"description\":\"secret words\",\"channel\":\"counter\"%s}",
	    category, severity, more);
	long long	 id = jint(r, "complaint.id");

	cJSON_Delete(r);
	return id;
}

static void
op_ok(struct conn *c, const char *op, long long id, const char *more)
{
	cJSON_Delete(rq_ok(c, "{\"op\":\"%s\",\"id\":%lld%s}", op, id, more));
}

static cJSON *
summary(struct conn *s, const char *from, const char *to)
{
	cJSON	*r = rq_ok(s, "{\"op\":\"report.summary\",\"from\":\"%s\",\"to\":\"%s\"}",
	    from, to);

	expect_str(r, "from", from);
	expect_str(r, "to", to);
	return r;
}

static void
expect_lane_stats(const cJSON *r, const char *lane, long long count, long long mean,
    long long p50, long long p90, long long max, double within)
{
	char	p[96];

	snprintf(p, sizeof p, "waiting.by_lane.%s.count", lane);
	expect_int(r, p, count);
	snprintf(p, sizeof p, "waiting.by_lane.%s.mean", lane);
	expect_int(r, p, mean);
	snprintf(p, sizeof p, "waiting.by_lane.%s.p50", lane);
	expect_int(r, p, p50);
	snprintf(p, sizeof p, "waiting.by_lane.%s.p90", lane);
	expect_int(r, p, p90);
	snprintf(p, sizeof p, "waiting.by_lane.%s.max", lane);
	expect_int(r, p, max);
	snprintf(p, sizeof p, "waiting.by_lane.%s.within_target", lane);
	expect_num(r, p, within);
}

static void
expect_lane_empty(const cJSON *r, const char *lane)
{
	static const char *const fig[] = { "mean", "p50", "p90", "max", "within_target" };
	char	p[96];
	size_t	i;

	snprintf(p, sizeof p, "waiting.by_lane.%s.count", lane);
	expect_int(r, p, 0);
	for (i = 0; i < sizeof fig / sizeof fig[0]; i++) {
		snprintf(p, sizeof p, "waiting.by_lane.%s.%s", lane, fig[i]);
		expect_null(r, p);
	}
}

/* The array at path holds exactly WAIT_HIST integers, want[0..]. */
#define WAIT_HIST	8
static void
expect_counts(const cJSON *r, const char *path, const long long *want)
{
	const cJSON	*a = jget(r, path);
	char		 p[96];
	int		 i;

	expect_that(cJSON_IsArray(a) && cJSON_GetArraySize(a) == WAIT_HIST, r,
	    "%s should be an array of %d", path, WAIT_HIST);
	for (i = 0; i < WAIT_HIST; i++) {
		snprintf(p, sizeof p, "%s.%d", path, i);
		expect_int(r, p, want[i]);
	}
}

static void
expect_lane_histogram(const cJSON *r, const char *lane, const long long *want)
{
	char	p[96];

	snprintf(p, sizeof p, "waiting.by_lane.%s.histogram", lane);
	expect_counts(r, p, want);
}

/* service.by_staff.STAFF.names[i] is want[i], for n figures. */
static void
expect_staff_figures(const cJSON *r, const char *staff, const char *const *names,
    const long long *want, size_t n)
{
	char	p[96];
	size_t	i;

	for (i = 0; i < n; i++) {
		snprintf(p, sizeof p, "service.by_staff.%s.%s", staff, names[i]);
		expect_int(r, p, want[i]);
	}
}

static void
expect_staff_stats(const cJSON *r, const char *staff, long long count, long long mean,
    long long p50, long long p90, long long max)
{
	static const char *const names[] = { "count", "mean", "p50", "p90", "max" };
	const long long		 want[] = { count, mean, p50, p90, max };

	expect_staff_figures(r, staff, names, want, 5);
}

/* ---- report.followups ---- */

static void
test_followups_report(void **state)
{
	struct daemon	*d = daemon_start(NULL);
	struct conn	*t1 = login(d, "T01"), *t2 = login(d, "T02"), *l = login(d, "L01");
	struct conn	*s = login(d, "S01"), *k = login(d, "K01");
	long long	 c1, c2, c3, c4, c5;
	cJSON		*r;
	const cJSON	*c;
	char		*text;

	(void)state;
	elapsed = 0;
	c1 = log_complaint(t1, "wait_time", 2,
	    ",\"customer\":{\"name\":\"张三丰\",\"phone\":\"13812345678\"}");
	adv(s, 3600);
	c2 = log_complaint(l, "staff_attitude", 1,
	    ",\"customer\":{\"name\":\"Li Wei\",\"phone\":\"13912345678\"}");
	adv(s, 3600);
	c3 = log_complaint(t2, "fees", 3, "");
	c4 = log_complaint(t1, "other", 1, "");
	op_ok(t1, "followup.record", c4, ",\"outcome\":\"satisfied\",\"note\":\"ok\"");
	adv(s, 22 * 3600 + 100);		/* start + 24 h + 100 s: c1 is overdue */
	c5 = log_complaint(s, "product", 2, "");
	op_ok(t1, "followup.record", c1, ",\"outcome\":\"unreachable\",\"note\":\"no answer\"");

	/* default: open (not closed), ordered by due */
	r = rq_ok(s, "{\"op\":\"report.followups\"}");
	expect_str(r, "status", "open");
	expect_str(r, "now", at_plus(elapsed));
	expect_int(r, "total", 4);
	expect_int(r, "summary.open", 4);
	expect_int(r, "summary.overdue", 1);
	expect_int(r, "summary.due_soon", 2);	/* c2 and c3, due within 4 h */
	expect_int(r, "summary.on_time", 1);
	expect_int(r, "summary.late", 1);
	expect_num(r, "summary.on_time_rate", 0.5);
	expect_members(r, "summary.by_owner", 4);
	expect_int(r, "summary.by_owner.E1001.open", 1);
	expect_int(r, "summary.by_owner.E1001.overdue", 1);
	expect_int(r, "summary.by_owner.E2001.open", 1);
	expect_int(r, "summary.by_owner.E2001.overdue", 0);
	expect_int(r, "summary.by_owner.E1002.open", 1);
	expect_int(r, "summary.by_owner.E9001.open", 1);
	expect_that(cJSON_GetArraySize(jget(r, "complaints")) == 4, r, "four complaints");
	expect_int(r, "complaints.0.id", c1);
	expect_int(r, "complaints.1.id", c2);
	expect_int(r, "complaints.2.id", c3);
	expect_int(r, "complaints.3.id", c5);

	c = jget(r, "complaints.0");
	expect_str(c, "owner", "E1001");
	expect_str(c, "first_responder", "E1001");
	expect_int(c, "severity", 2);
	expect_str(c, "category", "wait_time");
	expect_str(c, "state", "open");
	expect_bool(c, "overdue", true);
	expect_str(c, "follow_up_due", at_plus(DAY));
	expect_int(c, "overdue_s", 100);
	/* DOMAIN §5: never unmasked in a report */
	expect_str(c, "customer.name", "张*");
	expect_str(c, "customer.phone", "138****5678");
	expect_that(jget(c, "description") == NULL, c, "a report carries no description");
	expect_str(c, "last_followup.at", at_plus(elapsed));
	expect_str(c, "last_followup.outcome", "unreachable");
	expect_that(jget(c, "ticket_date") == NULL, c, "no ticket, no ticket_date");
	expect_that(jget(c, "survey_score") == NULL, c, "not opened by a survey");
	c = jget(r, "complaints.1");
	expect_that(cJSON_IsNull(jget(c, "last_followup")), c, "no follow-up yet");
	expect_bool(c, "overdue", false);
	expect_int(c, "overdue_s", 0);
	expect_str(c, "follow_up_due", at_plus(3600 + DAY));
	expect_str(c, "owner", "E2001");
	expect_str(c, "customer.name", "L*");
	expect_str(c, "customer.phone", "139****5678");
	c = jget(r, "complaints.2");
	expect_int(c, "severity", 3);
	expect_str(c, "owner", "E1002");
	expect_int(c, "overdue_s", 0);
	expect_that(jget(c, "customer") == NULL || cJSON_IsNull(jget(c, "customer")), c,
	    "no customer was given");
	expect_str(r, "complaints.3.follow_up_due", at_plus(elapsed + DAY));
	text = jprint(r);
	expect_that(strstr(text, "13812345678") == NULL && strstr(text, "13912345678") == NULL &&
	    strstr(text, "张三丰") == NULL && strstr(text, "Li Wei") == NULL &&
	    strstr(text, "secret words") == NULL, r, "the report shows what it must not");
	free(text);
	cJSON_Delete(r);

	/* overdue only */
	r = rq_ok(s, "{\"op\":\"report.followups\",\"status\":\"overdue\"}");
	expect_str(r, "status", "overdue");
	expect_int(r, "total", 1);
	expect_that(cJSON_GetArraySize(jget(r, "complaints")) == 1, r, "one overdue complaint");
	expect_int(r, "complaints.0.id", c1);
	expect_int(r, "complaints.0.overdue_s", 100);
	expect_int(r, "summary.open", 4);	/* the summary does not depend on status */
	cJSON_Delete(r);

	/* due soon: open, not overdue, due within 4 hours (c5 is due in 24) */
	r = rq_ok(s, "{\"op\":\"report.followups\",\"status\":\"due_soon\"}");
	expect_str(r, "status", "due_soon");
	expect_int(r, "total", 2);
	expect_that(cJSON_GetArraySize(jget(r, "complaints")) == 2, r, "two due soon");
	expect_int(r, "complaints.0.id", c2);
	expect_int(r, "complaints.1.id", c3);
	expect_int(r, "summary.due_soon", 2);
	cJSON_Delete(r);
	r = rq_ok(s, "{\"op\":\"report.followups\",\"status\":\"due_soon\",\"limit\":1}");
	expect_int(r, "total", 2);
	expect_that(cJSON_GetArraySize(jget(r, "complaints")) == 1, r, "limit 1");
	cJSON_Delete(r);

	/* all, with the closed one (same due as c3: by id) */
	adv(s, 50);
	r = rq_ok(s, "{\"op\":\"report.followups\",\"status\":\"all\"}");
	expect_int(r, "total", 5);
	expect_that(cJSON_GetArraySize(jget(r, "complaints")) == 5, r, "five complaints");
	expect_int(r, "complaints.0.id", c1);
	expect_int(r, "complaints.0.overdue_s", 150);
	expect_int(r, "complaints.1.id", c2);
	expect_int(r, "complaints.2.id", c3);
	expect_int(r, "complaints.3.id", c4);
	expect_str(r, "complaints.3.state", "closed");
	expect_bool(r, "complaints.3.overdue", false);
	expect_int(r, "complaints.4.id", c5);
	cJSON_Delete(r);

	/* limit: total counts before it */
	r = rq_ok(s, "{\"op\":\"report.followups\",\"status\":\"all\",\"limit\":2}");
	expect_int(r, "total", 5);
	expect_that(cJSON_GetArraySize(jget(r, "complaints")) == 2, r, "limit 2");
	expect_int(r, "complaints.0.id", c1);
	expect_int(r, "complaints.1.id", c2);
	cJSON_Delete(r);

	/* errors and roles */
	rq_bad(s, "status", "{\"op\":\"report.followups\",\"status\":\"late\"}");
	rq_bad(s, "limit", "{\"op\":\"report.followups\",\"limit\":0}");
	rq_bad(s, "limit", "{\"op\":\"report.followups\",\"limit\":10001}");
	rq_bad(s, "limit", "{\"op\":\"report.followups\",\"limit\":1.5}");
	rq_err(t1, "forbidden", "{\"op\":\"report.followups\"}");
	rq_err(l, "forbidden", "{\"op\":\"report.followups\"}");
	rq_err(k, "forbidden", "{\"op\":\"report.followups\"}");
	daemon_stop(d);
}

static void
test_followups_report_empty(void **state)
{
	struct daemon	*d = daemon_start(NULL);
	struct conn	*s = login(d, "S01");
	cJSON		*r;

	(void)state;
	r = rq_ok(s, "{\"op\":\"report.followups\",\"status\":\"all\"}");
	expect_int(r, "total", 0);
	expect_that(cJSON_IsArray(jget(r, "complaints")) &&
	    cJSON_GetArraySize(jget(r, "complaints")) == 0, r, "no complaints");
	expect_int(r, "summary.open", 0);
	expect_int(r, "summary.overdue", 0);
	expect_int(r, "summary.due_soon", 0);
	expect_null(r, "summary.on_time_rate");
	expect_members(r, "summary.by_owner", 0);
	cJSON_Delete(r);
	daemon_stop(d);
}

/* ---- report.summary ---- */

/*
 * Day 1 (2026-11-23), from 09:00 on the test clock, target wait 300 s,
 * follow-ups due 1 h after logging:
 *   S001-S004 diverted (eligible), A001 VIP cash within the threshold
 *   (eligible, counter), A002 cash over it; S001 rerouted (customer
 *   declined), S002 (machine failed); S001, S002, A001, A002 cancelled.
 *   A003-A012 loans waiting 60, 120, ..., 600 s; A003-A007 served by E1001
 *   in 100..500 s, A008-A012 by E1002 in 30..150 s.
 *   E001 cash over the threshold, express lane, waits 30 s, recalled twice,
 *   no-show.
 *   Surveys 10, 9, 9, 7, 3 (the 3 opens complaint C4).
 *   C1 wait_time/2, 5000 fen, resolved system, satisfied on time.
 *   C2 staff_attitude/3, 30000 fen, resolved personnel, satisfied late.
 *   C3 fees/1: unsatisfied, late.  C4 other/1: unreachable, late, overdue.
 */
static void
build_day1(struct daemon *d)
{
	struct conn	*k = login(d, "K01"), *l = login(d, "L01"), *s = login(d, "S01");
	struct conn	*t1 = login(d, "T01"), *t2 = login(d, "T02");
	long long	 c1, c2, c3, c4 = 0, i;
	char		 num[8];
	cJSON		*r;
	static const int scores[] = { 10, 9, 9, 7, 3 };

	expect_issue(k, "cash_withdrawal", 100000, NULL, "S001", "self_service");
	expect_issue(k, "transfer", 100000, NULL, "S002", "self_service");
	expect_issue(k, "cash_deposit", 100000, NULL, "S003", "self_service");
	expect_issue(k, "cash_withdrawal", 100000, NULL, "S004", "self_service");
	expect_issue(k, "cash_withdrawal", 100000, "{\"vip\":true}", "A001", "counter");
	expect_issue(k, "cash_withdrawal", 3000000, NULL, "A002", "counter");
	cJSON_Delete(rq_ok(l, "{\"op\":\"ticket.reroute\",\"number\":\"S001\","
	    "\"to_lane\":\"counter\",\"reason\":\"customer_declined\"}"));
	cJSON_Delete(rq_ok(l, "{\"op\":\"ticket.reroute\",\"number\":\"S002\","
	    "\"to_lane\":\"counter\",\"reason\":\"machine_failed\"}"));
	cJSON_Delete(rq_ok(l, "{\"op\":\"ticket.cancel\",\"number\":\"S001\"}"));
	cJSON_Delete(rq_ok(l, "{\"op\":\"ticket.cancel\",\"number\":\"S002\"}"));
	cJSON_Delete(rq_ok(l, "{\"op\":\"ticket.cancel\",\"number\":\"A001\"}"));
	cJSON_Delete(rq_ok(l, "{\"op\":\"ticket.cancel\",\"number\":\"A002\"}"));

	/* ten loans, one at a time: each waits 60 s more than the one before */
	open_window(t1, 1, "[\"counter\"]");
	for (i = 0; i < 10; i++) {
		struct conn *t = i < 5 ? t1 : t2;

		if (i == 5) {
			open_window(t1, 1, "[\"express\"]");
			open_window(t2, 2, "[\"counter\"]");
		}
		snprintf(num, sizeof num, "A%03lld", i + 3);
		expect_issue(k, "loan", 0, NULL, num, "counter");
		adv(s, 60 * (i + 1));
		r = rq_ok(t, "{\"op\":\"ticket.call_next\"}");
		expect_str(r, "ticket.number", num);
		cJSON_Delete(r);
		cJSON_Delete(rq_ok(t, "{\"op\":\"ticket.start\",\"number\":\"%s\"}", num));
		adv(s, i < 5 ? 100 * (i + 1) : 30 * (i - 4));
		cJSON_Delete(rq_ok(t, "{\"op\":\"ticket.complete\",\"number\":\"%s\"}", num));
	}

	/* the express lane: a no-show after the configured recalls */
	expect_issue(k, "cash_withdrawal", 3000000, NULL, "E001", "express");
	adv(s, 30);
	r = rq_ok(t1, "{\"op\":\"ticket.call_next\"}");
	expect_str(r, "ticket.number", "E001");
	cJSON_Delete(r);
	cJSON_Delete(rq_ok(t1, "{\"op\":\"ticket.recall\",\"number\":\"E001\"}"));
	cJSON_Delete(rq_ok(t1, "{\"op\":\"ticket.recall\",\"number\":\"E001\"}"));
	cJSON_Delete(rq_ok(t1, "{\"op\":\"ticket.no_show\",\"number\":\"E001\"}"));

	/* complaints and surveys */
	c1 = log_complaint(t1, "wait_time", 2, ",\"ticket\":\"A003\"");
	op_ok(t1, "complaint.action", c1, ",\"kind\":\"compensation\",\"note\":\"x\","
	    "\"amount_fen\":5000");
	op_ok(t1, "complaint.action", c1, ",\"kind\":\"apology\",\"note\":\"x\"");
	op_ok(t1, "complaint.resolve", c1, ",\"resolution\":\"x\",\"root_cause\":\"system\"");
	op_ok(t1, "followup.record", c1, ",\"outcome\":\"satisfied\",\"note\":\"x\"");
	c2 = log_complaint(l, "staff_attitude", 3, "");
	op_ok(l, "complaint.action", c2, ",\"kind\":\"compensation\",\"note\":\"x\","
	    "\"amount_fen\":30000");
	op_ok(l, "complaint.resolve", c2, ",\"resolution\":\"x\",\"root_cause\":\"personnel\"");
	c3 = log_complaint(t2, "fees", 1, "");
	for (i = 0; i < 5; i++) {
		r = rq_ok(k, "{\"op\":\"survey.submit\",\"ticket\":\"A%03lld\",\"score\":%d,"
		    "\"reason\":\"too slow\"}", i + 3, scores[i]);
		if (scores[i] <= 6)
			c4 = jint(r, "complaint.id");
		cJSON_Delete(r);
	}
	adv(s, 3601);				/* C2, C3, C4 overdue */
	op_ok(l, "followup.record", c2, ",\"outcome\":\"satisfied\",\"note\":\"x\"");
	op_ok(t2, "followup.record", c3, ",\"outcome\":\"unsatisfied\",\"note\":\"x\"");
	op_ok(s, "followup.record", c4, ",\"outcome\":\"unreachable\",\"note\":\"x\"");
	conn_close(k);
	conn_close(l);
	conn_close(s);
	conn_close(t1);
	conn_close(t2);
}

static void
expect_day1_tickets(const cJSON *r)
{
	expect_int(r, "tickets.total", 17);
	expect_members(r, "tickets.by_lane", 4);
	expect_int(r, "tickets.by_lane.self_service", 2);
	expect_int(r, "tickets.by_lane.express", 1);
	expect_int(r, "tickets.by_lane.counter", 14);
	expect_int(r, "tickets.by_lane.vip", 0);
	expect_members(r, "tickets.by_service", 9);
	expect_int(r, "tickets.by_service.cash_withdrawal", 5);
	expect_int(r, "tickets.by_service.cash_deposit", 1);
	expect_int(r, "tickets.by_service.transfer", 1);
	expect_int(r, "tickets.by_service.loan", 10);
	expect_int(r, "tickets.by_service.account_opening", 0);
	expect_int(r, "tickets.by_service.card_services", 0);
	expect_int(r, "tickets.by_service.wealth_management", 0);
	expect_int(r, "tickets.by_service.foreign_exchange", 0);
	expect_int(r, "tickets.by_service.other", 0);
	expect_int(r, "tickets.by_status.done", 10);
	expect_int(r, "tickets.by_status.no_show", 1);
	expect_int(r, "tickets.by_status.cancelled", 4);
	expect_int(r, "tickets.by_status.waiting", 0);
	expect_int(r, "tickets.by_status.called", 0);
	expect_int(r, "tickets.by_status.serving", 0);
}

static void
test_summary_day(void **state)
{
	struct daemon_opts	 o = { .extra_config = "\"target_wait_s\":300,\"follow_up_hours\":1" };
	struct daemon		*d = daemon_start(&o);
	struct conn		*s, *t, *k;
	cJSON			*r;

	(void)state;
	elapsed = 0;
	build_day1(d);
	s = login(d, "S01");
	r = summary(s, DAY1, DAY1);
	expect_day1_tickets(r);
	expect_int(r, "tickets.by_status.diverted", 2);
	expect_int(r, "tickets.by_status.expired", 0);

	/* DOMAIN §1: the diversion rate, honestly */
	expect_int(r, "diversion.eligible", 5);
	expect_int(r, "diversion.diverted", 4);
	expect_int(r, "diversion.rerouted.customer_declined", 1);
	expect_int(r, "diversion.rerouted.machine_failed", 1);
	expect_int(r, "diversion.rerouted.machine_unavailable", 0);
	expect_int(r, "diversion.rerouted.loose_cash", 0);
	expect_int(r, "diversion.rerouted.needs_assistance", 0);
	expect_int(r, "diversion.rerouted.other", 0);
	expect_int(r, "diversion.rerouted_total", 2);
	expect_num(r, "diversion.rate", 0.4);

	/* waits: nearest-rank percentiles over 60, 120, ..., 600 */
	expect_int(r, "waiting.target_wait_s", 300);
	expect_num(r, "waiting.within_target", 6.0 / 11.0);
	expect_lane_stats(r, "counter", 10, 330, 300, 540, 600, 0.5);
	expect_lane_stats(r, "express", 1, 30, 30, 30, 30, 1.0);
	expect_lane_empty(r, "self_service");
	expect_lane_empty(r, "vip");
	/* PROTOCOL 1.1 histograms: 60..240 | 300..540 | 600 (edges inclusive below) */
	{
		static const long long edges[WAIT_HIST] = { 0, 300, 600, 900, 1200, 1800, 2700, 3600 };
		static const long long counter[WAIT_HIST] = { 4, 5, 1, 0, 0, 0, 0, 0 };
		static const long long express[WAIT_HIST] = { 1, 0, 0, 0, 0, 0, 0, 0 };
		static const long long all[WAIT_HIST] = { 5, 5, 1, 0, 0, 0, 0, 0 };
		static const long long none[WAIT_HIST] = { 0 };

		expect_counts(r, "waiting.histogram_edges_s", edges);
		expect_lane_histogram(r, "counter", counter);
		expect_lane_histogram(r, "express", express);
		expect_lane_histogram(r, "self_service", none);
		expect_lane_histogram(r, "vip", none);
		expect_counts(r, "waiting.histogram", all);
	}

	/* service time per staff member: start -> complete of done tickets */
	expect_members(r, "service.by_staff", 2);
	expect_staff_stats(r, "E1001", 5, 300, 300, 500, 500);
	expect_staff_stats(r, "E1002", 5, 90, 90, 150, 150);

	expect_int(r, "no_show.total", 1);
	expect_int(r, "no_show.by_lane.express", 1);
	expect_int(r, "no_show.by_lane.counter", 0);

	expect_int(r, "complaints.total", 4);
	expect_members(r, "complaints.by_category", 9);
	expect_int(r, "complaints.by_category.wait_time", 1);
	expect_int(r, "complaints.by_category.staff_attitude", 1);
	expect_int(r, "complaints.by_category.fees", 1);
	expect_int(r, "complaints.by_category.other", 1);
	expect_int(r, "complaints.by_category.transaction_error", 0);
	expect_int(r, "complaints.by_severity.1", 2);
	expect_int(r, "complaints.by_severity.2", 1);
	expect_int(r, "complaints.by_severity.3", 1);
	expect_int(r, "complaints.by_root_cause.system", 1);
	expect_int(r, "complaints.by_root_cause.personnel", 1);
	expect_int(r, "complaints.by_root_cause.value", 0);
	expect_int(r, "complaints.by_root_cause.customer", 0);
	expect_int(r, "complaints.by_root_cause.external", 0);
	expect_int(r, "complaints.by_root_cause.unresolved", 2);
	expect_int(r, "complaints.compensation_fen", 35000);

	expect_int(r, "followups.on_time", 1);
	expect_int(r, "followups.late", 3);
	expect_int(r, "followups.open_overdue", 1);

	expect_int(r, "nps.responses", 5);
	expect_int(r, "nps.promoters", 3);
	expect_int(r, "nps.passives", 1);
	expect_int(r, "nps.detractors", 1);
	expect_num(r, "nps.score", 40.0);
	cJSON_Delete(r);

	/* a range that includes the day */
	r = summary(s, "2026-11-01", "2026-11-30");
	expect_int(r, "tickets.total", 17);
	expect_int(r, "complaints.total", 4);
	expect_int(r, "nps.responses", 5);
	cJSON_Delete(r);

	/* a range that excludes it: zeros, and nulls where there is nothing to divide */
	r = summary(s, "2026-11-22", "2026-11-22");
	expect_int(r, "tickets.total", 0);
	expect_all_zero(r, "tickets.by_lane");
	expect_all_zero(r, "tickets.by_service");
	expect_all_zero(r, "tickets.by_status");
	expect_int(r, "diversion.eligible", 0);
	expect_int(r, "diversion.diverted", 0);
	expect_all_zero(r, "diversion.rerouted");
	expect_int(r, "diversion.rerouted_total", 0);
	expect_null(r, "diversion.rate");
	expect_null(r, "waiting.within_target");
	expect_lane_empty(r, "counter");
	expect_lane_empty(r, "express");
	{
		static const long long none[WAIT_HIST] = { 0 };

		expect_lane_histogram(r, "counter", none);
		expect_counts(r, "waiting.histogram", none);
	}
	expect_members(r, "service.by_staff", 0);
	expect_int(r, "no_show.total", 0);
	expect_int(r, "complaints.total", 0);
	expect_all_zero(r, "complaints.by_category");
	expect_all_zero(r, "complaints.by_severity");
	expect_all_zero(r, "complaints.by_root_cause");
	expect_int(r, "complaints.compensation_fen", 0);
	expect_int(r, "followups.on_time", 0);
	expect_int(r, "followups.late", 0);
	expect_int(r, "followups.open_overdue", 0);
	expect_int(r, "nps.responses", 0);
	expect_int(r, "nps.promoters", 0);
	expect_num(r, "nps.score", 0);
	cJSON_Delete(r);

	/* the next business day: counted only where the range includes it */
	adv(s, H_TO_DAY_END - elapsed + 3600);	/* 01:00 on day 2 */
	k = login(d, "K01");
	expect_issue(k, "loan", 0, NULL, "A001", "counter");
	expect_issue(k, "loan", 0, NULL, "A002", "counter");
	expect_issue(k, "account_opening", 0, NULL, "A003", "counter");
	r = summary(s, DAY2, DAY2);
	expect_int(r, "tickets.total", 3);
	expect_int(r, "tickets.by_service.loan", 2);
	expect_int(r, "tickets.by_service.account_opening", 1);
	expect_int(r, "tickets.by_status.waiting", 3);
	expect_int(r, "tickets.by_lane.counter", 3);
	expect_int(r, "diversion.eligible", 0);
	expect_null(r, "diversion.rate");
	expect_int(r, "waiting.by_lane.counter.count", 0);
	expect_int(r, "complaints.total", 0);
	expect_int(r, "followups.late", 0);
	expect_int(r, "nps.responses", 0);
	cJSON_Delete(r);
	/* A003 is a number of both days: the follow-up list says which.  By
	 * due: C1, C2, C4 (the survey's), C3 (unsatisfied: due again later). */
	r = rq_ok(s, "{\"op\":\"report.followups\",\"status\":\"all\"}");
	expect_int(r, "complaints.0.id", 1);
	expect_str(r, "complaints.0.ticket", "A003");
	expect_str(r, "complaints.0.ticket_date", DAY1);
	expect_str(r, "complaints.0.last_followup.outcome", "satisfied");
	expect_that(jget(r, "complaints.0.survey_score") == NULL, r, "C1 is no survey's");
	expect_int(r, "complaints.2.id", 4);
	expect_str(r, "complaints.2.channel", "survey");
	expect_str(r, "complaints.2.ticket", "A007");
	expect_str(r, "complaints.2.ticket_date", DAY1);
	expect_int(r, "complaints.2.survey_score", 3);
	expect_str(r, "complaints.2.last_followup.outcome", "unreachable");
	expect_int(r, "complaints.3.id", 3);
	expect_str(r, "complaints.3.last_followup.outcome", "unsatisfied");
	expect_str(r, "complaints.3.last_followup.at", "2026-11-23T03:28:01Z");
	cJSON_Delete(r);
	r = summary(s, DAY1, DAY2);
	expect_int(r, "tickets.total", 20);
	expect_int(r, "tickets.by_service.loan", 12);
	expect_int(r, "tickets.by_service.account_opening", 1);
	expect_int(r, "tickets.by_lane.counter", 17);
	expect_int(r, "waiting.by_lane.counter.count", 10);
	expect_int(r, "complaints.total", 4);
	cJSON_Delete(r);
	/* day 1 again: closed at midnight (diverted -> expired); C3's new deadline passed */
	r = summary(s, DAY1, DAY1);
	expect_day1_tickets(r);
	expect_int(r, "tickets.by_status.diverted", 0);
	expect_int(r, "tickets.by_status.expired", 2);
	expect_int(r, "diversion.diverted", 4);
	expect_int(r, "followups.open_overdue", 2);
	cJSON_Delete(r);

	/*
	 * A short range is read through the date index, a long one straight
	 * through the table (a third or more of the days the tickets span):
	 * with tickets on days 1 to 5, day 1 alone now takes the index, and
	 * must come out the same.
	 */
	adv(s, 3 * DAY);	/* 01:00 on day 5 */
	expect_issue(k, "loan", 0, NULL, "A001", "counter");
	r = summary(s, DAY1, DAY1);
	expect_day1_tickets(r);
	expect_int(r, "tickets.by_status.expired", 2);
	expect_int(r, "diversion.diverted", 4);
	cJSON_Delete(r);
	r = summary(s, DAY1, "2026-11-27");
	expect_int(r, "tickets.total", 21);
	expect_int(r, "tickets.by_service.loan", 13);
	expect_int(r, "waiting.by_lane.counter.count", 10);
	cJSON_Delete(r);

	/* errors and roles */
	rq_bad(s, NULL, "{\"op\":\"report.summary\",\"from\":\"" DAY2 "\",\"to\":\"" DAY1 "\"}");
	rq_bad(s, "from", "{\"op\":\"report.summary\",\"from\":\"2026-13-01\",\"to\":\"" DAY1 "\"}");
	rq_bad(s, "from", "{\"op\":\"report.summary\",\"from\":\"yesterday!\",\"to\":\"" DAY1 "\"}");
	rq_bad(s, "from", "{\"op\":\"report.summary\",\"to\":\"" DAY1 "\"}");
	rq_bad(s, "from", "{\"op\":\"report.summary\",\"from\":20261123,\"to\":\"" DAY1 "\"}");
	rq_bad(s, "to", "{\"op\":\"report.summary\",\"from\":\"" DAY1 "\",\"to\":\"2026-11-31\"}");
	rq_bad(s, "to", "{\"op\":\"report.summary\",\"from\":\"" DAY1 "\",\"to\":\"20261123\"}");
	rq_bad(s, "to", "{\"op\":\"report.summary\",\"from\":\"" DAY1 "\"}");
	rq_bad(s, "to", "{\"op\":\"report.summary\",\"from\":\"" DAY1 "\",\"to\":\"2026-11-23T00\"}");
	t = login(d, "T01");
	rq_err(t, "forbidden", "{\"op\":\"report.summary\",\"from\":\"" DAY1 "\",\"to\":\"" DAY1 "\"}");
	rq_err(k, "forbidden", "{\"op\":\"report.summary\",\"from\":\"" DAY1 "\",\"to\":\"" DAY1 "\"}");
	conn_close(t);
	t = login(d, "L01");
	rq_err(t, "forbidden", "{\"op\":\"report.summary\",\"from\":\"" DAY1 "\",\"to\":\"" DAY1 "\"}");
	conn_close(t);
	t = login(d, "D01");
	rq_err(t, "forbidden", "{\"op\":\"report.summary\",\"from\":\"" DAY1 "\",\"to\":\"" DAY1 "\"}");
	daemon_stop(d);
}

/* ---- report.summary: per teller, diversion, groups (issue 15) ---- */

static void
act(struct conn *c, const char *op, const char *number)
{
	cJSON_Delete(rq_ok(c, "{\"op\":\"%s\",\"number\":\"%s\"}", op, number));
}

static void
call_expect(struct conn *c, const char *number)
{
	cJSON	*r = rq_ok(c, "{\"op\":\"ticket.call_next\"}");

	expect_str(r, "ticket.number", number);
	cJSON_Delete(r);
}

static void
expect_staff_time(const cJSON *r, const char *staff, long long called, long long served,
    long long no_shows, long long serving, long long paused, long long idle)
{
	static const char *const names[] = {
		"called", "served", "no_shows", "serving_s", "paused_s", "idle_s"
	};
	const long long		 want[] = { called, served, no_shows, serving, paused, idle };

	expect_staff_figures(r, staff, names, want, 6);
}

/*
 * Two tellers' day, from 09:00 (t = 0):
 *   T01 (E1001) holds window 1 [counter] from 0 to 1800, paused 600-900.
 *     A001 called 60, started 120, completed 420 (busy 360, service 300);
 *     A002 called 1000, transferred to express 1100 (busy 100);
 *     A003 called 1600, recalled twice, no-show 1700 (busy 100).
 *   T02 (E1002) holds window 2 [express, counter] from 0 on, paused
 *     0-1200 and 1400-1600, the second time while serving A002: called
 *     1200, started 1300, completed 1500 (busy 300, of which 100 paused;
 *     service 200).
 * Report at 2000: E1001 open 1800 = serving 560 + paused 300 + idle 940;
 * E1002 open 2000 = serving 300 + paused 1200 + 100 + idle 400.
 */
static void
test_summary_staff_time(void **state)
{
	struct daemon	*d = daemon_start(NULL);
	struct conn	*s = login(d, "S01"), *k = login(d, "K01");
	struct conn	*t1 = login(d, "T01"), *t2 = login(d, "T02");
	cJSON		*r;

	(void)state;
	elapsed = 0;
	open_window(t1, 1, "[\"counter\"]");
	open_window(t2, 2, "[\"express\",\"counter\"]");
	cJSON_Delete(rq_ok(t2, "{\"op\":\"window.pause\"}"));	/* nothing to call yet */
	cJSON_Delete(rq_ok(t2, "{\"op\":\"window.resume\"}"));
	expect_issue(k, "loan", 0, NULL, "A001", "counter");
	cJSON_Delete(rq_ok(t2, "{\"op\":\"window.pause\"}"));	/* T01 takes A001 */
	adv(s, 60);
	call_expect(t1, "A001");
	adv(s, 60);
	act(t1, "ticket.start", "A001");
	adv(s, 300);
	act(t1, "ticket.complete", "A001");
	adv(s, 180);				/* 600 */
	cJSON_Delete(rq_ok(t1, "{\"op\":\"window.pause\"}"));
	adv(s, 300);				/* 900 */
	cJSON_Delete(rq_ok(t1, "{\"op\":\"window.resume\"}"));
	expect_issue(k, "loan", 0, NULL, "A002", "counter");
	adv(s, 100);				/* 1000 */
	call_expect(t1, "A002");
	adv(s, 100);				/* 1100 */
	cJSON_Delete(rq_ok(t1, "{\"op\":\"ticket.transfer\",\"number\":\"A002\","
	    "\"to_lane\":\"express\"}"));
	adv(s, 100);				/* 1200 */
	cJSON_Delete(rq_ok(t2, "{\"op\":\"window.resume\"}"));
	call_expect(t2, "A002");
	adv(s, 100);				/* 1300 */
	act(t2, "ticket.start", "A002");
	adv(s, 100);				/* 1400 */
	cJSON_Delete(rq_ok(t2, "{\"op\":\"window.pause\"}"));
	adv(s, 100);				/* 1500 */
	act(t2, "ticket.complete", "A002");
	expect_issue(k, "loan", 0, NULL, "A003", "counter");
	adv(s, 100);				/* 1600 */
	cJSON_Delete(rq_ok(t2, "{\"op\":\"window.resume\"}"));
	call_expect(t1, "A003");
	act(t1, "ticket.recall", "A003");
	act(t1, "ticket.recall", "A003");
	adv(s, 100);				/* 1700 */
	act(t1, "ticket.no_show", "A003");
	adv(s, 100);				/* 1800 */
	cJSON_Delete(rq_ok(t1, "{\"op\":\"window.close\"}"));
	adv(s, 200);				/* 2000 */

	r = summary(s, DAY1, DAY1);
	expect_str(r, "now", at_plus(2000));
	expect_members(r, "service.by_staff", 2);
	expect_staff_time(r, "E1001", 3, 1, 1, 560, 300, 940);
	expect_staff_stats(r, "E1001", 1, 300, 300, 300, 300);
	expect_members(r, "service.by_staff.E1001.by_service", 1);
	expect_int(r, "service.by_staff.E1001.by_service.loan.count", 1);
	expect_int(r, "service.by_staff.E1001.by_service.loan.mean", 300);
	expect_staff_time(r, "E1002", 1, 1, 0, 300, 1300, 400);
	expect_staff_stats(r, "E1002", 1, 200, 200, 200, 200);
	expect_int(r, "service.by_staff.E1002.by_service.loan.max", 200);
	expect_int(r, "no_show.total", 1);
	expect_that(jget(r, "groups") == NULL, r, "no groups unless asked");
	cJSON_Delete(r);

	/* A window left open over midnight: idle the next day from 00:00. */
	adv(s, H_TO_DAY_END - elapsed + 3600);	/* 01:00 on day 2 */
	r = summary(s, DAY2, DAY2);
	expect_members(r, "service.by_staff", 1);
	expect_staff_time(r, "E1002", 0, 0, 0, 0, 0, 3600);
	expect_members(r, "service.by_staff.E1002.by_service", 0);
	expect_null(r, "service.by_staff.E1002.mean");
	cJSON_Delete(r);
	r = summary(s, DAY1, DAY2);
	expect_staff_time(r, "E1001", 3, 1, 1, 560, 300, 940);
	expect_staff_time(r, "E1002", 1, 1, 0, 300, 1300, 400 + H_TO_DAY_END - 2000 + 3600);
	cJSON_Delete(r);
	/* Tickets current at the report count up to it: A001 called at 01:00,
	 * transferred at 01:10, called again at 01:11:40, current at 01:16:40. */
	expect_issue(k, "loan", 0, NULL, "A001", "counter");
	call_expect(t2, "A001");
	adv(s, 600);
	cJSON_Delete(rq_ok(t2, "{\"op\":\"ticket.transfer\",\"number\":\"A001\","
	    "\"to_lane\":\"express\"}"));
	adv(s, 100);
	call_expect(t2, "A001");
	adv(s, 300);
	r = summary(s, DAY2, DAY2);
	expect_staff_time(r, "E1002", 2, 0, 0, 600 + 300, 0, 3600 + 100);
	expect_int(r, "service.by_staff.E1002.count", 0);
	cJSON_Delete(r);
	/* and one called once, current now: 50 s of serving, no idle time */
	expect_issue(k, "loan", 0, NULL, "A002", "counter");
	open_window(t1, 1, "[\"counter\"]");
	call_expect(t1, "A002");
	adv(s, 50);
	r = summary(s, DAY2, DAY2);
	expect_staff_time(r, "E1001", 1, 0, 0, 50, 0, 0);
	expect_staff_time(r, "E1002", 2, 0, 0, 600 + 300 + 50, 0, 3600 + 100);
	cJSON_Delete(r);
	/* A range that ends before the windows opened: nobody. */
	r = summary(s, "2026-11-22", "2026-11-22");
	expect_members(r, "service.by_staff", 0);
	cJSON_Delete(r);
	daemon_stop(d);
}

/*
 * The diversion picture (DOMAIN §1).  From 09:00 (t = 0), cash jobs of
 * CNY 1,000 (eligible by amount) unless said otherwise:
 *   A001 counter_idle (T01's window open and idle; closed right after);
 *   S001-S003 diverted (a withdrawal, a transfer, a deposit);
 *   A002 vip, A003 loose_cash, A004 needs_assistance, A005 accessibility;
 *   A006 over the threshold, A007 a loan: not eligible, not "kept";
 *   300: self-service marked out of order; A008 self_service_unavailable;
 *   900: back; S004 diverted; S001 cancelled at the machines (unused);
 *        S002 rerouted (machine_failed) and cancelled from the counter
 *        queue (left a queue); S003 rerouted (customer_declined), waits;
 *   1000: out of order again, still so at the report (1200).
 */
static void
test_summary_diversion(void **state)
{
	struct daemon	*d = daemon_start(NULL);
	struct conn	*s = login(d, "S01"), *k = login(d, "K01");
	struct conn	*l = login(d, "L01"), *t1 = login(d, "T01");
	cJSON		*r;

	(void)state;
	elapsed = 0;
	open_window(t1, 1, "[\"counter\"]");
	expect_issue(k, "cash_withdrawal", 100000, NULL, "A001", "counter");
	cJSON_Delete(rq_ok(t1, "{\"op\":\"ticket.call_next\"}"));
	cJSON_Delete(rq_ok(t1, "{\"op\":\"ticket.start\",\"number\":\"A001\"}"));
	cJSON_Delete(rq_ok(t1, "{\"op\":\"ticket.complete\",\"number\":\"A001\"}"));
	cJSON_Delete(rq_ok(t1, "{\"op\":\"window.close\"}"));
	expect_issue(k, "cash_withdrawal", 100000, NULL, "S001", "self_service");
	expect_issue(k, "transfer", 100000, NULL, "S002", "self_service");
	expect_issue(k, "cash_deposit", 100000, NULL, "S003", "self_service");
	expect_issue(k, "cash_withdrawal", 100000, "{\"vip\":true}", "A002", "counter");
	expect_issue(k, "cash_deposit", 100000, "{\"loose_cash\":true}", "A003", "counter");
	expect_issue(k, "cash_withdrawal", 100000, "{\"needs_assistance\":true}", "A004",
	    "counter");
	expect_issue(k, "cash_withdrawal", 100000, "{\"accessibility\":\"wheelchair\"}", "A005",
	    "counter");
	expect_issue(k, "cash_withdrawal", 3000000, NULL, "A006", "counter");
	expect_issue(k, "loan", 0, NULL, "A007", "counter");
	adv(s, 300);
	cJSON_Delete(rq_ok(l, "{\"op\":\"selfservice.set\",\"available\":false}"));
	expect_issue(k, "cash_withdrawal", 100000, NULL, "A008", "counter");
	adv(s, 600);				/* 900 */
	cJSON_Delete(rq_ok(l, "{\"op\":\"selfservice.set\",\"available\":true}"));
	expect_issue(k, "cash_withdrawal", 100000, NULL, "S004", "self_service");
	act(l, "ticket.cancel", "S001");
	cJSON_Delete(rq_ok(l, "{\"op\":\"ticket.reroute\",\"number\":\"S002\","
	    "\"to_lane\":\"counter\",\"reason\":\"machine_failed\"}"));
	act(l, "ticket.cancel", "S002");
	cJSON_Delete(rq_ok(l, "{\"op\":\"ticket.reroute\",\"number\":\"S003\","
	    "\"to_lane\":\"counter\",\"reason\":\"customer_declined\"}"));
	adv(s, 100);				/* 1000 */
	cJSON_Delete(rq_ok(l, "{\"op\":\"selfservice.set\",\"available\":false}"));
	adv(s, 200);				/* 1200 */

	r = summary(s, DAY1, DAY1);
	expect_int(r, "diversion.eligible", 10);
	expect_int(r, "diversion.diverted", 4);
	expect_int(r, "diversion.rerouted_total", 2);
	expect_int(r, "diversion.rerouted.machine_failed", 1);
	expect_int(r, "diversion.rerouted.customer_declined", 1);
	expect_num(r, "diversion.rate", 0.2);
	expect_members(r, "diversion.kept_at_counter", 6);
	expect_int(r, "diversion.kept_at_counter.counter_idle", 1);
	expect_int(r, "diversion.kept_at_counter.vip", 1);
	expect_int(r, "diversion.kept_at_counter.loose_cash", 1);
	expect_int(r, "diversion.kept_at_counter.needs_assistance", 1);
	expect_int(r, "diversion.kept_at_counter.accessibility", 1);
	expect_int(r, "diversion.kept_at_counter.self_service_unavailable", 1);
	expect_int(r, "diversion.self_service_down_s", 600 + 200);
	expect_int(r, "diversion.unused", 1);
	expect_int(r, "diversion.left_queue", 1);
	cJSON_Delete(r);

	/* The next day: S003 expired in the counter queue (it left a queue),
	 * S004 at the machines (neither); the zone was down until midnight
	 * and still is. */
	adv(s, H_TO_DAY_END - elapsed + 3600);	/* 01:00 on day 2 */
	r = summary(s, DAY1, DAY1);
	expect_int(r, "diversion.unused", 1);
	expect_int(r, "diversion.left_queue", 2);
	expect_int(r, "tickets.by_status.expired", 1 + 1 + 5 + 2);
	expect_int(r, "diversion.self_service_down_s", 600 + H_TO_DAY_END - 1000);
	cJSON_Delete(r);
	r = summary(s, DAY2, DAY2);
	expect_int(r, "diversion.self_service_down_s", 3600);
	expect_int(r, "diversion.eligible", 0);
	expect_all_zero(r, "diversion.kept_at_counter");
	cJSON_Delete(r);
	/* Before any history: nothing was down. */
	r = summary(s, "2026-11-22", "2026-11-22");
	expect_int(r, "diversion.self_service_down_s", 0);
	cJSON_Delete(r);
	daemon_stop(d);
}

/*
 * The histogram's edges (PROTOCOL 1.1: edges[i] <= w < edges[i + 1], the
 * last bucket open).  From 09:00 (t = 0), T01 at window 1 [counter]:
 * A001-A003 issued at 0, A004 at 1; A001 called at 899 (wait 899),
 * A002 at 900 (900), A003 at 3600 (3600), A004 at 3600 (3599); then, on
 * day 2, A001 issued at 01:00 and called at 02:40 (wait 6000).
 */
static void
test_summary_histogram_edges(void **state)
{
	static const long long day1[WAIT_HIST] = { 0, 0, 1, 1, 0, 0, 1, 1 };
	static const long long none[WAIT_HIST] = { 0 };
	static const long long both[WAIT_HIST] = { 0, 0, 1, 1, 0, 0, 1, 2 };
	struct daemon	*d = daemon_start(NULL);
	struct conn	*s = login(d, "S01"), *k = login(d, "K01"), *t1 = login(d, "T01");
	const char	*num[] = { "A001", "A002", "A003", "A004" };
	cJSON		*r;
	int		 i;

	(void)state;
	elapsed = 0;
	for (i = 0; i < 3; i++)
		expect_issue(k, "loan", 0, NULL, num[i], "counter");
	adv(s, 1);
	expect_issue(k, "loan", 0, NULL, num[3], "counter");
	open_window(t1, 1, "[\"counter\"]");
	for (i = 0; i < 4; i++) {
		adv(s, i == 0 ? 898 : i == 1 ? 1 : i == 2 ? 2700 : 0);
		call_expect(t1, num[i]);
		act(t1, "ticket.start", num[i]);
		act(t1, "ticket.complete", num[i]);
	}
	r = summary(s, DAY1, DAY1);
	/* within_target counts a wait equal to the target (900) in; the
	 * histogram puts it in [900, 1200): half-open buckets, as specified. */
	expect_lane_stats(r, "counter", 4, (899 + 900 + 3600 + 3599 + 2) / 4, 900, 3600, 3600,
	    0.5);
	expect_lane_histogram(r, "counter", day1);
	expect_lane_histogram(r, "express", none);
	expect_counts(r, "waiting.histogram", day1);
	cJSON_Delete(r);

	/* A longer wait: the last bucket, open above. */
	adv(s, H_TO_DAY_END - elapsed + 3600);	/* 01:00 on day 2 */
	expect_issue(k, "loan", 0, NULL, "A001", "counter");
	adv(s, 6000);
	call_expect(t1, "A001");
	r = summary(s, DAY1, DAY2);
	expect_int(r, "waiting.by_lane.counter.count", 5);
	expect_int(r, "waiting.by_lane.counter.max", 6000);
	expect_lane_histogram(r, "counter", both);
	expect_counts(r, "waiting.histogram", both);
	cJSON_Delete(r);
	daemon_stop(d);
}

static const cJSON *
group_at(const cJSON *r, int i)
{
	return cJSON_GetArrayItem(jget(r, "groups"), i);
}

static void
expect_group(const cJSON *r, int i, const char *from, const char *to, long long tickets,
    long long waits, long long served, long long no_show, long long eligible,
    long long diverted, long long rerouted)
{
	const cJSON	*g = group_at(r, i);

	expect_that(g != NULL, r, "groups.%d is missing", i);
	expect_str(g, "from", from);
	expect_str(g, "to", to);
	expect_int(g, "tickets", tickets);
	expect_int(g, "waiting.count", waits);
	expect_int(g, "served", served);
	expect_int(g, "no_show", no_show);
	expect_int(g, "diversion.eligible", eligible);
	expect_int(g, "diversion.diverted", diverted);
	expect_int(g, "diversion.rerouted_total", rerouted);
	if (eligible == 0)
		expect_null(g, "diversion.rate");
	if (waits == 0) {
		expect_null(g, "waiting.mean");
		expect_null(g, "waiting.within_target");
	}
}

/* groups.i.nps and groups.i.complaints; score NAN: null. */
static void
expect_group_nps(const cJSON *r, int i, long long responses, long long promoters,
    long long passives, long long detractors, double score, long long complaints)
{
	const cJSON	*g = group_at(r, i);

	expect_that(g != NULL, r, "groups.%d is missing", i);
	expect_int(g, "nps.responses", responses);
	expect_int(g, "nps.promoters", promoters);
	expect_int(g, "nps.passives", passives);
	expect_int(g, "nps.detractors", detractors);
	if (isnan(score))
		expect_null(g, "nps.score");
	else
		expect_num(g, "nps.score", score);
	expect_int(g, "complaints", complaints);
}

/*
 * Day 1 from 09:00 (t = 0), target wait 600 s, T01 at window 1 [counter]:
 *   A001, A002 loans at 0; A001 called 600, done 900 (09:15); A002 called
 *   900, started 960, done 2000 (09:33:20);
 *   S001 diverted at 1900 (09:31:40), rerouted 1950, called 2100, no-show
 *   2300 (09:38:20).
 *   Surveys: A001 9 at 900, A002 3 at 2000 (a detractor: a complaint);
 *   T01 logs a complaint at 2300.
 * Day 2: A001 at 01:00, waiting.  Day 3: nothing.
 */
static void
test_summary_groups(void **state)
{
	struct daemon_opts	 o = { .extra_config = "\"target_wait_s\":600" };
	struct daemon		*d = daemon_start(&o);
	struct conn		*s = login(d, "S01"), *k = login(d, "K01");
	struct conn		*l = login(d, "L01"), *t1 = login(d, "T01");
	const cJSON		*g;
	cJSON			*r;
	int			 i;

	(void)state;
	elapsed = 0;
	expect_issue(k, "loan", 0, NULL, "A001", "counter");
	expect_issue(k, "loan", 0, NULL, "A002", "counter");
	adv(s, 600);
	open_window(t1, 1, "[\"counter\"]");
	call_expect(t1, "A001");
	act(t1, "ticket.start", "A001");
	adv(s, 300);				/* 900 */
	act(t1, "ticket.complete", "A001");
	cJSON_Delete(rq_ok(k, "{\"op\":\"survey.submit\",\"ticket\":\"A001\",\"score\":9}"));
	call_expect(t1, "A002");
	adv(s, 60);
	act(t1, "ticket.start", "A002");
	adv(s, 940);				/* 1900 */
	expect_issue(k, "cash_withdrawal", 100000, NULL, "S001", "self_service");
	adv(s, 50);
	cJSON_Delete(rq_ok(l, "{\"op\":\"ticket.reroute\",\"number\":\"S001\","
	    "\"to_lane\":\"counter\",\"reason\":\"customer_declined\"}"));
	adv(s, 50);				/* 2000 */
	act(t1, "ticket.complete", "A002");
	/* a detractor: its complaint is logged now too */
	cJSON_Delete(rq_ok(k, "{\"op\":\"survey.submit\",\"ticket\":\"A002\",\"score\":3}"));
	adv(s, 100);				/* 2100 */
	call_expect(t1, "S001");
	act(t1, "ticket.recall", "S001");
	act(t1, "ticket.recall", "S001");
	adv(s, 200);				/* 2300 */
	act(t1, "ticket.no_show", "S001");
	log_complaint(t1, "wait_time", 1, "");

	/* Half hours of the branch's clock (Asia/Shanghai): 48 in the day. */
	r = rq_ok(s, "{\"op\":\"report.summary\",\"from\":\"" DAY1 "\",\"to\":\"" DAY1 "\","
	    "\"group\":\"half_hour\"}");
	expect_str(r, "group", "half_hour");
	expect_that(cJSON_GetArraySize(jget(r, "groups")) == 48, r, "48 half hours");
	expect_group(r, 0, "2026-11-22T16:00:00Z", "2026-11-22T16:30:00Z", 0, 0, 0, 0, 0, 0, 0);
	expect_group(r, 18, "2026-11-23T01:00:00Z", "2026-11-23T01:30:00Z", 2, 2, 1, 0, 0, 0, 0);
	g = group_at(r, 18);
	expect_int(g, "waiting.mean", 750);
	expect_int(g, "waiting.p50", 600);
	expect_int(g, "waiting.p90", 900);
	expect_int(g, "waiting.max", 900);
	expect_num(g, "waiting.within_target", 0.5);
	expect_group(r, 19, "2026-11-23T01:30:00Z", "2026-11-23T02:00:00Z", 1, 1, 1, 1, 1, 1, 1);
	g = group_at(r, 19);
	expect_int(g, "waiting.mean", 200);
	expect_num(g, "waiting.within_target", 1.0);
	expect_num(g, "diversion.rate", 0.0);
	expect_group(r, 47, "2026-11-23T15:30:00Z", "2026-11-23T16:00:00Z", 0, 0, 0, 0, 0, 0, 0);
	for (i = 0; i < 48; i++)
		if (i != 18 && i != 19)
			expect_int(group_at(r, i), "tickets", 0);
	/* PROTOCOL 1.1: each period's answers (A001's 9 at 09:15, A002's 3 at
	 * 09:33:20) and complaints (the detractor's at 09:33:20, T01's at
	 * 09:38:20); a period without answers has a null score. */
	expect_group_nps(r, 18, 1, 1, 0, 0, 100, 0);
	expect_group_nps(r, 19, 1, 0, 0, 1, -100, 2);
	for (i = 0; i < 48; i++)
		if (i != 18 && i != 19)
			expect_group_nps(r, i, 0, 0, 0, 0, NAN, 0);
	expect_int(r, "nps.responses", 2);
	expect_num(r, "nps.score", 0);
	expect_int(r, "complaints.total", 2);
	/* the totals are as without groups */
	expect_int(r, "tickets.total", 3);
	expect_int(r, "waiting.by_lane.counter.count", 3);
	cJSON_Delete(r);

	/* Days, the empty ones too, so a chart has no gaps. */
	adv(s, H_TO_DAY_END - elapsed + 3600);	/* 01:00 on day 2 */
	expect_issue(k, "loan", 0, NULL, "A001", "counter");
	r = rq_ok(s, "{\"op\":\"report.summary\",\"from\":\"" DAY1 "\",\"to\":\"2026-11-25\","
	    "\"group\":\"day\"}");
	expect_str(r, "group", "day");
	expect_that(cJSON_GetArraySize(jget(r, "groups")) == 3, r, "three days");
	expect_group(r, 0, "2026-11-22T16:00:00Z", "2026-11-23T16:00:00Z", 3, 3, 2, 1, 1, 1, 1);
	g = group_at(r, 0);
	expect_int(g, "waiting.mean", 567);	/* (600 + 900 + 200) / 3 */
	expect_int(g, "waiting.p50", 600);
	expect_int(g, "waiting.p90", 900);
	expect_int(g, "waiting.max", 900);
	expect_num(g, "waiting.within_target", 2.0 / 3.0);
	expect_num(g, "diversion.rate", 0.0);
	expect_group(r, 1, "2026-11-23T16:00:00Z", "2026-11-24T16:00:00Z", 1, 0, 0, 0, 0, 0, 0);
	expect_group(r, 2, "2026-11-24T16:00:00Z", "2026-11-25T16:00:00Z", 0, 0, 0, 0, 0, 0, 0);
	expect_group_nps(r, 0, 2, 1, 0, 1, 0, 2);
	expect_group_nps(r, 1, 0, 0, 0, 0, NAN, 0);
	expect_group_nps(r, 2, 0, 0, 0, 0, NAN, 0);
	expect_int(r, "tickets.total", 4);
	cJSON_Delete(r);

	/* The largest ranges a group takes, and past them. */
	r = rq_ok(s, "{\"op\":\"report.summary\",\"from\":\"2026-11-01\",\"to\":\"2026-12-01\","
	    "\"group\":\"half_hour\"}");
	expect_that(cJSON_GetArraySize(jget(r, "groups")) == 31 * 48, r, "31 days of half hours");
	cJSON_Delete(r);
	r = rq_ok(s, "{\"op\":\"report.summary\",\"from\":\"2025-11-25\",\"to\":\"2027-11-25\","
	    "\"group\":\"day\"}");
	expect_that(cJSON_GetArraySize(jget(r, "groups")) == 731, r, "731 days");
	cJSON_Delete(r);
	/* Without a group any range is cut into nothing: every date there is. */
	r = summary(s, "1970-01-01", "9999-12-31");
	expect_int(r, "tickets.total", 4);
	expect_that(jget(r, "groups") == NULL, r, "no groups");
	cJSON_Delete(r);
	rq_bad(s, "group", "{\"op\":\"report.summary\",\"from\":\"2026-11-01\","
	    "\"to\":\"2026-12-02\",\"group\":\"half_hour\"}");
	rq_bad(s, "group", "{\"op\":\"report.summary\",\"from\":\"2025-11-25\","
	    "\"to\":\"2027-11-26\",\"group\":\"day\"}");
	rq_bad(s, "group", "{\"op\":\"report.summary\",\"from\":\"" DAY1 "\",\"to\":\"" DAY1 "\","
	    "\"group\":\"hour\"}");
	rq_bad(s, "group", "{\"op\":\"report.summary\",\"from\":\"" DAY1 "\",\"to\":\"" DAY1 "\","
	    "\"group\":1}");
	rq_bad(s, "to", "{\"op\":\"report.summary\",\"from\":\"" DAY2 "\",\"to\":\"" DAY1 "\","
	    "\"group\":\"day\"}");
	rq_err(t1, "forbidden", "{\"op\":\"report.summary\",\"from\":\"" DAY1 "\",\"to\":\""
	    DAY1 "\",\"group\":\"day\"}");
	daemon_stop(d);
}

/* ---- complaint.list (PROTOCOL 1.1) ---- */

/* complaint.list has n entries, the first ids want[0..nwant); and `truncated`. */
#define expect_list(r, n, truncated, ...) \
	expect_list_ids((r), (const long long[]){ __VA_ARGS__ }, \
	    (int)(sizeof (const long long[]){ __VA_ARGS__ } / sizeof (long long)), (n), (truncated))
static void
expect_list_ids(const cJSON *r, const long long *want, int nwant, int n, bool truncated)
{
	const cJSON	*list = jget(r, "complaints");
	char		 p[32];
	int		 i;

	expect_that(cJSON_IsArray(list) && cJSON_GetArraySize(list) == n, r,
	    "complaints should have %d entries", n);
	for (i = 0; i < n && i < nwant; i++) {
		snprintf(p, sizeof p, "complaints.%d.id", i);
		expect_int(r, p, want[i]);
	}
	expect_bool(r, "truncated", truncated);
}

static cJSON *
list_of(struct conn *c, const char *status)
{
	return status == NULL ? rq_ok(c, "{\"op\":\"complaint.list\"}") :
	    rq_ok(c, "{\"op\":\"complaint.list\",\"status\":\"%s\"}", status);
}

/*
 * From 09:00 (t = 0), follow-ups due an hour after logging:
 *   C1 by T01 (E1001) at 0, with a customer; satisfied at once: closed,
 *     due 3600, never overdue;
 *   C2 by T01 at 300, reassigned to E1002: owned by E1002, first
 *     responder E1001; C3 by T02 at 300; C4 by L01 at 300 (all due 3900);
 *   C5 by T01 at 600 (due 4200).
 * At 3950 C2-C4 are overdue by 50 s; C5 is due within 4 h.
 */
static void
test_complaint_list(void **state)
{
	struct daemon_opts	 o = { .extra_config = "\"follow_up_hours\":1" };
	struct daemon		*d = daemon_start(&o);
	struct conn		*s = login(d, "S01"), *t1 = login(d, "T01"), *t2 = login(d, "T02");
	struct conn		*l = login(d, "L01"), *k = login(d, "K01"), *disp = login(d, "D01");
	struct hresp		*h;
	cJSON			*r;
	long long		 i;

	(void)state;
	elapsed = 0;
	cJSON_Delete(rq_ok(t1, "{\"op\":\"complaint.log\",\"category\":\"self_service_machine\","
	    "\"severity\":2,\"description\":\"the ATM kept my card\",\"channel\":\"counter\","
	    "\"customer\":{\"name\":\"张三\",\"phone\":\"13812345678\"}}"));
	op_ok(t1, "followup.record", 1, ",\"outcome\":\"satisfied\",\"note\":\"ok\"");
	adv(s, 300);
	log_complaint(t1, "fees", 1, "");
	op_ok(t1, "complaint.reassign", 2, ",\"to_staff\":\"E1002\",\"reason\":\"hers\"");
	log_complaint(t2, "fees", 1, "");
	log_complaint(l, "environment", 1, "");
	adv(s, 300);
	log_complaint(t1, "product", 3, "");
	adv(s, 3350);				/* 3950 */

	/* A teller: what it owns or first responded to; open by default. */
	r = list_of(t1, NULL);
	expect_str(r, "status", "open");
	expect_str(r, "now", at_plus(3950));
	expect_list(r, 2, false, 2, 5);
	expect_str(r, "complaints.0.owner", "E1002");
	expect_str(r, "complaints.0.first_responder", "E1001");
	expect_bool(r, "complaints.0.overdue", true);
	expect_int(r, "complaints.0.overdue_s", 50);
	expect_str(r, "complaints.0.follow_up_due", at_plus(3900));
	expect_str(r, "complaints.0.description", "secret words");
	expect_null(r, "complaints.0.last_followup");
	expect_bool(r, "complaints.1.overdue", false);
	expect_int(r, "complaints.1.overdue_s", 0);
	expect_str(r, "complaints.1.category", "product");
	expect_int(r, "complaints.1.severity", 3);
	cJSON_Delete(r);
	/* all: overdue first (C2, due 3900) before the closed C1 due earlier */
	r = list_of(t1, "all");
	expect_list(r, 3, false, 2, 1, 5);
	expect_str(r, "complaints.1.state", "closed");
	expect_str(r, "complaints.1.description", "the ATM kept my card");
	expect_str(r, "complaints.1.customer.phone", "138****5678");
	expect_str(r, "complaints.1.customer.name", "张*");
	expect_str(r, "complaints.1.last_followup.outcome", "satisfied");
	expect_str(r, "complaints.1.last_followup.at", at_plus(0));
	cJSON_Delete(r);
	r = list_of(t1, "overdue");
	expect_list(r, 1, false, 2);
	cJSON_Delete(r);
	r = list_of(t1, "due_soon");
	expect_list(r, 1, false, 5);
	cJSON_Delete(r);
	/* The new owner sees C2 as well as its own; the lobby manager its own. */
	r = list_of(t2, NULL);
	expect_list(r, 2, false, 2, 3);
	cJSON_Delete(r);
	r = list_of(l, "all");
	expect_list(r, 1, false, 4);
	cJSON_Delete(r);
	/* A supervisor: every complaint. */
	r = list_of(s, NULL);
	expect_list(r, 4, false, 2, 3, 4, 5);
	cJSON_Delete(r);
	r = list_of(s, "all");
	expect_list(r, 5, false, 2, 3, 4, 1, 5);
	cJSON_Delete(r);

	/* Errors and roles. */
	rq_bad(t1, "status", "{\"op\":\"complaint.list\",\"status\":\"late\"}");
	rq_bad(s, "status", "{\"op\":\"complaint.list\",\"status\":1}");
	rq_err(k, "forbidden", "{\"op\":\"complaint.list\"}");
	rq_err(disp, "forbidden", "{\"op\":\"complaint.list\"}");

	/* Over HTTP: the same op, the same reply. */
	h = http_op(d, "T01", "complaint.list", "{\"status\":\"all\"}");
	expect_http_ok(h);
	expect_list(h->hr_json, 3, false, 2, 1, 5);
	expect_http_bad_request(http_op(d, "T01", "complaint.list", "{\"status\":\"late\"}"),
	    "status");
	expect_http_error(http_op(d, "K01", "complaint.list", "{}"), 403, "forbidden");

	/* At most 200, and "truncated" past them: T02 has 2, then 200, then 201. */
	for (i = 0; i < 198; i++)
		log_complaint(t2, "other", 1, "");
	r = list_of(t2, NULL);
	expect_list(r, 200, false, 2, 3, 6, 7);
	expect_int(r, "complaints.199.id", 203);
	cJSON_Delete(r);
	log_complaint(t2, "other", 1, "");
	r = list_of(t2, NULL);
	expect_list(r, 200, true, 2, 3, 6, 7);
	expect_int(r, "complaints.199.id", 203);	/* the 201st, 204, is left out */
	cJSON_Delete(r);
	daemon_stop(d);
}

/*
 * report.compensation: every grant by the business date it was granted on,
 * with the complaint's root cause as it stands.  Day 1 as build_day1 (C1
 * 5000 fen by E1001, resolved system; C2 30000 by E2001, personnel); on
 * day 2 E1002 grants 2000 on C3 (fees, unresolved).
 */
static void
test_compensation_report(void **state)
{
	struct daemon_opts	 o = { .extra_config = "\"target_wait_s\":300,\"follow_up_hours\":1" };
	struct daemon		*d = daemon_start(&o);
	struct conn		*s, *t;
	const cJSON		*g;
	cJSON			*r;

	(void)state;
	elapsed = 0;
	build_day1(d);
	s = login(d, "S01");
	r = rq_ok(s, "{\"op\":\"report.compensation\",\"from\":\"" DAY1 "\",\"to\":\"" DAY1 "\"}");
	expect_str(r, "from", DAY1);
	expect_str(r, "to", DAY1);
	expect_int(r, "total", 2);
	expect_int(r, "total_fen", 35000);
	expect_that(cJSON_GetArraySize(jget(r, "grants")) == 2, r, "two grants");
	g = jget(r, "grants.0");
	expect_str(g, "at", "2026-11-23T02:28:00Z");
	expect_int(g, "complaint", 1);
	expect_str(g, "actor", "E1001");
	expect_int(g, "amount_fen", 5000);
	expect_str(g, "root_cause", "system");
	expect_str(g, "category", "wait_time");
	g = jget(r, "grants.1");
	expect_int(g, "complaint", 2);
	expect_str(g, "actor", "E2001");
	expect_int(g, "amount_fen", 30000);
	expect_str(g, "root_cause", "personnel");
	expect_str(g, "category", "staff_attitude");
	cJSON_Delete(r);
	r = summary(s, DAY1, DAY1);
	expect_members(r, "complaints.compensation_by_root_cause_fen", 6);
	expect_int(r, "complaints.compensation_by_root_cause_fen.system", 5000);
	expect_int(r, "complaints.compensation_by_root_cause_fen.personnel", 30000);
	expect_int(r, "complaints.compensation_by_root_cause_fen.value", 0);
	expect_int(r, "complaints.compensation_by_root_cause_fen.unresolved", 0);
	cJSON_Delete(r);

	adv(s, H_TO_DAY_END - elapsed + 3600);	/* 01:00 on day 2 */
	t = login(d, "T02");
	op_ok(t, "complaint.action", 3, ",\"kind\":\"compensation\",\"note\":\"x\","
	    "\"amount_fen\":2000");
	r = rq_ok(s, "{\"op\":\"report.compensation\",\"from\":\"" DAY2 "\",\"to\":\"" DAY2 "\"}");
	expect_int(r, "total", 1);
	expect_int(r, "total_fen", 2000);
	expect_str(r, "grants.0.at", at_plus(elapsed));
	expect_int(r, "grants.0.complaint", 3);
	expect_str(r, "grants.0.actor", "E1002");
	expect_null(r, "grants.0.root_cause");
	expect_str(r, "grants.0.category", "fees");
	cJSON_Delete(r);
	/* limit: the first by time; the totals over every grant */
	r = rq_ok(s, "{\"op\":\"report.compensation\",\"from\":\"" DAY1 "\",\"to\":\"" DAY2 "\","
	    "\"limit\":1}");
	expect_int(r, "total", 3);
	expect_int(r, "total_fen", 37000);
	expect_that(cJSON_GetArraySize(jget(r, "grants")) == 1, r, "limit 1");
	expect_int(r, "grants.0.complaint", 1);
	cJSON_Delete(r);
	r = summary(s, DAY1, DAY2);
	expect_int(r, "complaints.compensation_fen", 37000);
	expect_int(r, "complaints.compensation_by_root_cause_fen.unresolved", 2000);
	cJSON_Delete(r);
	/* nothing granted */
	r = rq_ok(s, "{\"op\":\"report.compensation\",\"from\":\"2026-11-01\",\"to\":\"2026-11-22\"}");
	expect_int(r, "total", 0);
	expect_int(r, "total_fen", 0);
	expect_that(cJSON_IsArray(jget(r, "grants")) && cJSON_GetArraySize(jget(r, "grants")) == 0,
	    r, "no grants");
	cJSON_Delete(r);

	/* errors and roles */
	rq_bad(s, "from", "{\"op\":\"report.compensation\",\"to\":\"" DAY1 "\"}");
	rq_bad(s, "from", "{\"op\":\"report.compensation\",\"from\":\"2026-02-30\",\"to\":\"" DAY1 "\"}");
	rq_bad(s, "to", "{\"op\":\"report.compensation\",\"from\":\"" DAY1 "\"}");
	rq_bad(s, "to", "{\"op\":\"report.compensation\",\"from\":\"" DAY2 "\",\"to\":\"" DAY1 "\"}");
	rq_bad(s, "limit", "{\"op\":\"report.compensation\",\"from\":\"" DAY1 "\",\"to\":\"" DAY1 "\","
	    "\"limit\":0}");
	rq_bad(s, "limit", "{\"op\":\"report.compensation\",\"from\":\"" DAY1 "\",\"to\":\"" DAY1 "\","
	    "\"limit\":10001}");
	rq_err(t, "forbidden", "{\"op\":\"report.compensation\",\"from\":\"" DAY1 "\",\"to\":\"" DAY1 "\"}");
	conn_close(t);
	t = login(d, "L01");
	rq_err(t, "forbidden", "{\"op\":\"report.compensation\",\"from\":\"" DAY1 "\",\"to\":\"" DAY1 "\"}");
	conn_close(t);
	t = login(d, "K01");
	rq_err(t, "forbidden", "{\"op\":\"report.compensation\",\"from\":\"" DAY1 "\",\"to\":\"" DAY1 "\"}");
	daemon_stop(d);
}

/* Replies come in request order, a report's too. */
/*
 * Issue 15 item 7: a ticket's wait counts in the lane it was first called
 * from, where it waited; transferred afterwards, it does not take that wait
 * to its new lane.  tickets.by_lane counts the lane it ended in.
 */
static void
test_summary_wait_lane_of_a_transfer(void **state)
{
	struct daemon	*d = daemon_start(NULL);
	struct conn	*k = login(d, "K01"), *s = login(d, "S01"), *t1 = login(d, "T01");
	struct conn	*t2 = login(d, "T02");
	cJSON		*r;

	(void)state;
	elapsed = 0;
	open_window(t1, 1, "[\"counter\"]");
	open_window(t2, 2, "[\"vip\"]");
	expect_issue(k, "loan", 0, NULL, "A001", "counter");
	adv(s, 600);
	cJSON_Delete(rq_ok(t1, "{\"op\":\"ticket.call_next\"}"));	/* A001 waited 600 s */
	expect_issue(k, "loan", 0, "{\"vip\":true}", "V001", "vip");
	cJSON_Delete(rq_ok(t1, "{\"op\":\"ticket.transfer\",\"number\":\"A001\","
	    "\"to_lane\":\"vip\"}"));
	adv(s, 60);
	r = rq_ok(t2, "{\"op\":\"ticket.call_next\"}");		/* its place in time */
	expect_str(r, "ticket.number", "A001");
	cJSON_Delete(r);
	cJSON_Delete(rq_ok(t2, "{\"op\":\"ticket.start\",\"number\":\"A001\"}"));
	cJSON_Delete(rq_ok(t2, "{\"op\":\"ticket.complete\",\"number\":\"A001\"}"));
	adv(s, 40);
	r = rq_ok(t2, "{\"op\":\"ticket.call_next\"}");		/* V001 waited 100 s */
	expect_str(r, "ticket.number", "V001");
	cJSON_Delete(r);

	r = summary(s, DAY1, DAY1);
	expect_lane_stats(r, "counter", 1, 600, 600, 600, 600, 1);
	expect_lane_stats(r, "vip", 1, 100, 100, 100, 100, 1);
	expect_int(r, "waiting.by_lane.express.count", 0);
	expect_int(r, "tickets.by_lane.counter", 0);
	expect_int(r, "tickets.by_lane.vip", 2);
	cJSON_Delete(r);
	/* the same from the database after a restart */
	daemon_stop(d);
	daemon_restart_at(d, at_plus(elapsed));
	s = login(d, "S01");
	r = summary(s, DAY1, DAY1);
	expect_lane_stats(r, "counter", 1, 600, 600, 600, 600, 1);
	expect_lane_stats(r, "vip", 1, 100, 100, 100, 100, 1);
	cJSON_Delete(r);
	daemon_stop(d);
}

#define expect_followups(s, from, to, complaints, on_time, late, open_overdue) \
	expect_followups_at(__FILE__, __LINE__, (s), (from), (to), (complaints), (on_time), \
	    (late), (open_overdue))

static void
expect_followups_at(const char *file, int line, struct conn *s, const char *from,
    const char *to, long long complaints, long long on_time, long long late,
    long long open_overdue)
{
	cJSON	*r = summary(s, from, to);

	h_expect_int(file, line, r, "complaints.total", complaints);
	h_expect_int(file, line, r, "followups.on_time", on_time);
	h_expect_int(file, line, r, "followups.late", late);
	h_expect_int(file, line, r, "followups.open_overdue", open_overdue);
	cJSON_Delete(r);
}

/*
 * Issue 15 item 7: a follow-up counts on the business day it was recorded
 * (as compensation counts on the day it was granted); open_overdue counts
 * the range's complaints that are open and overdue now.
 */
static void
test_summary_followups_on_the_day_recorded(void **state)
{
	struct daemon	*d = daemon_start(NULL);
	struct conn	*t = login(d, "T01"), *s = login(d, "S01");
	long long	 c1, c2;

	(void)state;
	elapsed = 0;
	c1 = log_complaint(t, "fees", 1, "");
	c2 = log_complaint(t, "fees", 1, "");
	op_ok(t, "followup.record", c2, ",\"outcome\":\"satisfied\",\"note\":\"x\"");
	adv(s, DAY + 3600);			/* 10:00 on day 2: C1 is overdue */
	op_ok(t, "followup.record", c1, ",\"outcome\":\"unreachable\",\"note\":\"x\"");

	/* complaints, follow-ups on time, late, open and overdue */
	expect_followups(s, DAY1, DAY1, 2, 1, 0, 1);
	expect_followups(s, DAY2, DAY2, 0, 0, 1, 0);
	expect_followups(s, DAY1, DAY2, 2, 1, 1, 1);
	daemon_stop(d);
}

static void
test_replies_in_order_after_report(void **state)
{
	static const char burst[] =
	    "{\"op\":\"report.summary\",\"id\":\"r1\",\"from\":\"" DAY1 "\",\"to\":\"" DAY1 "\"}\n"
	    "{\"op\":\"ping\",\"id\":\"p1\"}\n"
	    "{\"op\":\"report.summary\",\"id\":\"bad\",\"from\":\"" DAY2 "\",\"to\":\"" DAY1 "\"}\n"
	    "{\"op\":\"report.followups\",\"id\":\"f1\",\"status\":\"all\"}\n"
	    "{\"op\":\"queue.snapshot\",\"id\":\"q1\"}\n"
	    "{\"op\":\"report.summary\",\"id\":\"r2\",\"from\":\"2026-01-01\",\"to\":\"2026-12-31\"}\n"
	    "{\"op\":\"clock.advance\",\"id\":\"c1\",\"seconds\":0}\n"
	    "{\"op\":\"ping\",\"id\":\"p2\"}\n";
	static const char *const ids[] = { "r1", "p1", "bad", "f1", "q1", "r2", "c1", "p2" };
	struct daemon	*d = daemon_start(NULL);
	struct conn	*s = login(d, "S01"), *k = login(d, "K01"), *t = login(d, "T01");
	cJSON		*r;
	size_t		 i;
	int		 round;

	(void)state;
	elapsed = 0;
	for (i = 0; i < 3; i++)
		cJSON_Delete(issue(k, "loan", 0, NULL));
	(void)log_complaint(t, "fees", 1, "");
	for (round = 0; round < 3; round++) {
		send_raw(s, burst, sizeof burst - 1);
		for (i = 0; i < sizeof ids / sizeof ids[0]; i++) {
			r = read_reply(s, reply_timeout_ms());
			expect_that(r != NULL, NULL, "no reply %zu (%s) of the pipelined burst", i,
			    ids[i]);
			expect_str(r, "id", ids[i]);
			if (strcmp(ids[i], "bad") == 0)
				expect_bad_request(r, NULL);
			else
				expect_ok(r);
			if (strcmp(ids[i], "r1") == 0 || strcmp(ids[i], "r2") == 0)
				expect_int(r, "tickets.total", 3);
			if (strcmp(ids[i], "f1") == 0)
				expect_int(r, "total", 1);
			if (strcmp(ids[i], "q1") == 0)
				expect_int(r, "lanes.counter.waiting", 3);
			cJSON_Delete(r);
		}
	}
	daemon_stop(d);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_followups_report, harness_teardown),
		cmocka_unit_test_teardown(test_followups_report_empty, harness_teardown),
		cmocka_unit_test_teardown(test_summary_day, harness_teardown),
		cmocka_unit_test_teardown(test_summary_histogram_edges, harness_teardown),
		cmocka_unit_test_teardown(test_summary_wait_lane_of_a_transfer, harness_teardown),
		cmocka_unit_test_teardown(test_summary_followups_on_the_day_recorded,
		    harness_teardown),
		cmocka_unit_test_teardown(test_summary_staff_time, harness_teardown),
		cmocka_unit_test_teardown(test_summary_diversion, harness_teardown),
		cmocka_unit_test_teardown(test_summary_groups, harness_teardown),
		cmocka_unit_test_teardown(test_compensation_report, harness_teardown),
		cmocka_unit_test_teardown(test_complaint_list, harness_teardown),
		cmocka_unit_test_teardown(test_replies_in_order_after_report, harness_teardown),
	};

	return cmocka_run_group_tests_name("e2e_reports", tests, NULL, NULL);
}
