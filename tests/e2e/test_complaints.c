/*
 * End-to-end: complaints, follow-ups and surveys (PROTOCOL "Complaints,
 * follow-ups, surveys", DOMAIN §3-§4, decisions "Issue 3 decisions"):
 * every op over TCP, its roles, fields and errors, first-responder
 * ownership, authority limits, the recovery history, the follow-up
 * deadline that fires by itself (also across a restart), the webhook
 * outbox, and surveys that open complaints for detractors.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sqlite3.h>

#include "harness.h"

#define DAY		(24 * 3600)
#define WEBHOOKS	"\"webhooks\":[{\"url\":\"http://127.0.0.1:9/h\",\"secret\":\"s\"," \
			"\"events\":[\"complaint.logged\",\"followup.overdue\",\"survey.detractor\"]}]"

/* A complaint.log request with the usual fields and more (",..." or ""). */
#define LOG_REQ(more)	"{\"op\":\"complaint.log\",\"category\":\"wait_time\",\"severity\":2," \
			"\"description\":\"waited 40 minutes\",\"channel\":\"counter\"" more "}"

/* ---- small helpers ---- */

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

static void
tfmt(long long at, char out[32])
{
	time_t		t = (time_t)at;
	struct tm	tm;

	gmtime_r(&t, &tm);
	strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* The start of the test clock plus seconds, as RFC 3339. */
static const char *
at_plus(long long seconds)
{
	static char	buf[4][32];
	static int	i;

	i = (i + 1) % 4;
	tfmt(tparse(H_CLOCK_START) + seconds, buf[i]);
	return buf[i];
}

/* The reply's complaint, detached.  Caller frees. */
static cJSON *
take_complaint(cJSON *r)
{
	cJSON	*c = cJSON_DetachItemFromObjectCaseSensitive(r, "complaint");

	expect_that(cJSON_IsObject(c), r, "the reply has no complaint object");
	cJSON_Delete(r);
	return c;
}

/* complaint.log with the usual fields; returns the complaint's id. */
static long long
log_complaint(struct conn *c)
{
	cJSON		*cp = take_complaint(rq_ok(c, LOG_REQ("")));
	long long	 id = jint(cp, "id");

	expect_that(id >= 1, cp, "a complaint id is a positive integer");
	cJSON_Delete(cp);
	return id;
}

/* complaint.get; the complaint with its actions.  Caller frees. */
static cJSON *
get_complaint(struct conn *c, long long id)
{
	cJSON	*cp = take_complaint(rq_ok(c, "{\"op\":\"complaint.get\",\"id\":%lld}", id));

	expect_that(cJSON_IsArray(jget(cp, "actions")), cp, "complaint.get has no actions");
	return cp;
}

static int
nactions(const cJSON *cp)
{
	return cJSON_GetArraySize(jget(cp, "actions"));
}

static const cJSON *
last_action(const cJSON *cp)
{
	const cJSON	*a = jget(cp, "actions");

	return cJSON_GetArrayItem(a, cJSON_GetArraySize(a) - 1);
}

/* How many actions of kind the complaint has. */
static int
count_kind(const cJSON *cp, const char *kind)
{
	const cJSON	*a;
	int		 n = 0;

	cJSON_ArrayForEach(a, jget(cp, "actions"))
		if (jstr(a, "kind") != NULL && strcmp(jstr(a, "kind"), kind) == 0)
			n++;
	return n;
}

/* The n-th (from 0) action of that kind, or NULL. */
static const cJSON *
nth_kind(const cJSON *cp, const char *kind, int n)
{
	const cJSON	*a;

	cJSON_ArrayForEach(a, jget(cp, "actions"))
		if (jstr(a, "kind") != NULL && strcmp(jstr(a, "kind"), kind) == 0 && n-- == 0)
			return a;
	return NULL;
}

static void
expect_error_names(const cJSON *r, const char *code, const char *word)
{
	const char	*msg = jstr(r, "error.message");

	expect_error(r, code);
	expect_that(msg != NULL && strstr(msg, word) != NULL, r,
	    "the %s message should name \"%s\"", code, word);
}

/* An integer from the daemon's database file; -1 on error. */
static long long
db_int(struct daemon *d, const char *sql)
{
	sqlite3		*db;
	sqlite3_stmt	*st;
	long long	 v = -1;

	if (sqlite3_open_v2(d->d_db, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
		sqlite3_close(db);
		return -1;
	}
	sqlite3_busy_timeout(db, 2000);
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK) {
		if (sqlite3_step(st) == SQLITE_ROW)
			v = sqlite3_column_int64(st, 0);
		sqlite3_finalize(st);
	}
	sqlite3_close(db);
	return v;
}

/* Every outbox body of event parses as JSON naming the event. */
static void
expect_outbox_bodies(struct daemon *d)
{
	sqlite3		*db;
	sqlite3_stmt	*st;
	cJSON		*body;
	const char	*event;

	expect_that(sqlite3_open_v2(d->d_db, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK,
	    NULL, "cannot open %s", d->d_db);
	expect_that(sqlite3_prepare_v2(db, "SELECT event, body FROM outbox ORDER BY id", -1,
	    &st, NULL) == SQLITE_OK, NULL, "cannot read the outbox: %s", sqlite3_errmsg(db));
	while (sqlite3_step(st) == SQLITE_ROW) {
		event = (const char *)sqlite3_column_text(st, 0);
		body = cJSON_Parse((const char *)sqlite3_column_text(st, 1));
		expect_that(cJSON_IsObject(body), NULL, "the outbox body of %s is not a JSON "
		    "object: %s", event, (const char *)sqlite3_column_text(st, 1));
		cJSON_Delete(body);
	}
	sqlite3_finalize(st);
	sqlite3_close(db);
}

static void
open_window(struct conn *c, int no, const char *lanes)
{
	cJSON_Delete(rq_ok(c, "{\"op\":\"window.open\",\"window\":%d,\"lanes\":%s}", no, lanes));
}

/* Calls, starts and completes the next ticket at c's window; it must be number. */
static void
serve_next(struct conn *c, const char *number)
{
	cJSON	*r = rq_ok(c, "{\"op\":\"ticket.call_next\"}");

	expect_str(r, "ticket.number", number);
	cJSON_Delete(r);
	cJSON_Delete(rq_ok(c, "{\"op\":\"ticket.start\",\"number\":\"%s\"}", number));
	cJSON_Delete(rq_ok(c, "{\"op\":\"ticket.complete\",\"number\":\"%s\"}", number));
}

/* No queued or arriving event named name, after a round trip on c. */
static void
expect_no_event(struct conn *c, const char *name)
{
	cJSON	*ev;

	cJSON_Delete(rq_ok(c, "{\"op\":\"ping\"}"));	/* events sent before it are in */
	ev = next_event_named(c, name, 0);
	expect_that(ev == NULL, ev, "unexpected event %s", name);
}

/* ---- complaint.log ---- */

static void
test_log_roles_and_shape(void **state)
{
	struct daemon	*d = daemon_start(NULL);
	struct conn	*t1 = login(d, "T01"), *l = login(d, "L01"), *s = login(d, "S01");
	struct conn	*k = login(d, "K01"), *disp = login(d, "D01"), *anon = conn_open(d);
	cJSON		*c;
	long long	 id1;

	(void)state;
	/* PROTOCOL: the logging staff member is the first responder and the owner */
	c = take_complaint(rq_ok(t1, LOG_REQ("")));
	id1 = jint(c, "id");
	expect_that(id1 >= 1, c, "id is a positive integer");
	expect_str(c, "state", "open");
	expect_bool(c, "overdue", false);
	expect_str(c, "owner", "E1001");
	expect_str(c, "first_responder", "E1001");
	expect_str(c, "category", "wait_time");
	expect_int(c, "severity", 2);
	expect_str(c, "channel", "counter");
	expect_str(c, "description", "waited 40 minutes");
	expect_str(c, "logged_at", H_CLOCK_START);
	/* DOMAIN §3: a follow-up deadline 24 hours after it is logged */
	expect_str(c, "follow_up_due", at_plus(DAY));
	expect_that(jget(c, "ticket") == NULL || cJSON_IsNull(jget(c, "ticket")), c,
	    "no ticket was given");
	expect_that(jget(c, "customer") == NULL || cJSON_IsNull(jget(c, "customer")), c,
	    "no customer was given");
	expect_int(c, "compensation_fen", 0);
	cJSON_Delete(c);

	advance(s, 90);
	c = take_complaint(rq_ok(l, "{\"op\":\"complaint.log\",\"category\":\"environment\","
	    "\"severity\":1,\"description\":\"too cold\",\"channel\":\"lobby\"}"));
	expect_str(c, "owner", "E2001");
	expect_str(c, "first_responder", "E2001");
	expect_str(c, "logged_at", at_plus(90));
	expect_str(c, "follow_up_due", at_plus(90 + DAY));
	expect_that(jint(c, "id") > id1, c, "ids increase");
	cJSON_Delete(c);
	c = take_complaint(rq_ok(s, "{\"op\":\"complaint.log\",\"category\":\"fees\","
	    "\"severity\":3,\"description\":\"charged twice\",\"channel\":\"phone\"}"));
	expect_str(c, "owner", "E9001");
	expect_str(c, "first_responder", "E9001");
	expect_int(c, "severity", 3);
	expect_str(c, "channel", "phone");
	cJSON_Delete(c);
	/* every channel PROTOCOL lists */
	cJSON_Delete(rq_ok(t1, "{\"op\":\"complaint.log\",\"category\":\"product\",\"severity\":1,"
	    "\"description\":\"x\",\"channel\":\"letter\"}"));
	cJSON_Delete(rq_ok(t1, "{\"op\":\"complaint.log\",\"category\":\"system_outage\","
	    "\"severity\":1,\"description\":\"x\",\"channel\":\"online\"}"));

	/* kiosk and display may not log; nobody before hello */
	rq_err(k, "forbidden", LOG_REQ(""));
	rq_err(disp, "forbidden", LOG_REQ(""));
	rq_err(anon, "unauthenticated", LOG_REQ(""));
	daemon_stop(d);
}

static void
test_log_follow_up_hours(void **state)
{
	struct daemon_opts	 o = { .extra_config = "\"follow_up_hours\":2" };
	struct daemon		*d = daemon_start(&o);
	struct conn		*t = login(d, "T01"), *s = login(d, "S01");
	cJSON			*c;

	(void)state;
	c = take_complaint(rq_ok(t, LOG_REQ("")));
	expect_str(c, "follow_up_due", at_plus(2 * 3600));
	cJSON_Delete(c);
	advance(s, 1000);
	c = take_complaint(rq_ok(s, LOG_REQ("")));
	expect_str(c, "logged_at", at_plus(1000));
	expect_str(c, "follow_up_due", at_plus(1000 + 2 * 3600));
	cJSON_Delete(c);
	daemon_stop(d);
}

static void
test_log_ticket_and_customer(void **state)
{
	struct daemon	*d = daemon_start(NULL);
	struct conn	*t = login(d, "T01"), *k = login(d, "K01"), *s = login(d, "S01");
	cJSON		*c, *r;

	(void)state;
	cJSON_Delete(issue(k, "loan", 0, NULL));	/* A001 */
	c = take_complaint(rq_ok(t, LOG_REQ(",\"ticket\":\"A001\",\"customer\":{\"name\":\"张三丰\","
	    "\"phone\":\"13812345678\"}")));
	expect_str(c, "ticket", "A001");
	/* the complaint itself is not a report: the owner sees the customer in full */
	expect_str(c, "customer.name", "张三丰");
	expect_str(c, "customer.phone", "13812345678");
	cJSON_Delete(c);
	c = take_complaint(rq_ok(t, LOG_REQ(",\"customer\":{\"phone\":\"+86 138-1234-5678\"}")));
	expect_str(c, "customer.phone", "+86 138-1234-5678");
	cJSON_Delete(c);
	c = take_complaint(rq_ok(t, LOG_REQ(",\"customer\":{\"name\":\"Li Wei\"}")));
	expect_str(c, "customer.name", "Li Wei");
	cJSON_Delete(c);

	/* a ticket of today that does not exist: not_found naming the ticket */
	r = rq(t, LOG_REQ(",\"ticket\":\"A999\""));
	expect_error_names(r, "not_found", "ticket");
	cJSON_Delete(r);
	rq_bad(t, "ticket", LOG_REQ(",\"ticket\":\"X1\""));
	rq_bad(t, "ticket", LOG_REQ(",\"ticket\":12"));
	/* customer fields validated */
	rq_bad(t, "customer.phone", LOG_REQ(",\"customer\":{\"phone\":\"138abc45678\"}"));
	rq_bad(t, "customer.phone", LOG_REQ(",\"customer\":{\"phone\":13812345678}"));
	rq_bad(t, "customer.name", LOG_REQ(",\"customer\":{\"name\":\"\"}"));
	rq_bad(t, "customer", LOG_REQ(",\"customer\":\"张三\""));
	/* nothing was logged by the refused requests: the next id follows on */
	c = take_complaint(rq_ok(t, LOG_REQ("")));
	expect_int(c, "id", 4);
	cJSON_Delete(c);

	/* "today": yesterday's A001 is not a ticket of the new business day */
	advance(s, H_TO_DAY_END + 3600);
	r = rq(t, LOG_REQ(",\"ticket\":\"A001\""));
	expect_error_names(r, "not_found", "ticket");
	cJSON_Delete(r);
	cJSON_Delete(issue(k, "account_opening", 0, NULL));	/* today's A001 */
	c = take_complaint(rq_ok(t, LOG_REQ(",\"ticket\":\"A001\"")));
	expect_str(c, "ticket", "A001");
	cJSON_Delete(c);
	daemon_stop(d);
}

static void
test_log_validation(void **state)
{
	struct daemon	*d = daemon_start(NULL);
	struct conn	*t = login(d, "T01");
	char		*desc;
	cJSON		*c;

	(void)state;
	rq_bad(t, "category", "{\"op\":\"complaint.log\",\"severity\":2,\"description\":\"x\","
	    "\"channel\":\"counter\"}");
	rq_bad(t, "category", "{\"op\":\"complaint.log\",\"category\":\"rudeness\",\"severity\":2,"
	    "\"description\":\"x\",\"channel\":\"counter\"}");
	rq_bad(t, "severity", "{\"op\":\"complaint.log\",\"category\":\"fees\","
	    "\"description\":\"x\",\"channel\":\"counter\"}");
	rq_bad(t, "severity", "{\"op\":\"complaint.log\",\"category\":\"fees\",\"severity\":0,"
	    "\"description\":\"x\",\"channel\":\"counter\"}");
	rq_bad(t, "severity", "{\"op\":\"complaint.log\",\"category\":\"fees\",\"severity\":4,"
	    "\"description\":\"x\",\"channel\":\"counter\"}");
	rq_bad(t, "severity", "{\"op\":\"complaint.log\",\"category\":\"fees\",\"severity\":1.5,"
	    "\"description\":\"x\",\"channel\":\"counter\"}");
	rq_bad(t, "severity", "{\"op\":\"complaint.log\",\"category\":\"fees\",\"severity\":\"2\","
	    "\"description\":\"x\",\"channel\":\"counter\"}");
	rq_bad(t, "description", "{\"op\":\"complaint.log\",\"category\":\"fees\",\"severity\":1,"
	    "\"channel\":\"counter\"}");
	rq_bad(t, "description", "{\"op\":\"complaint.log\",\"category\":\"fees\",\"severity\":1,"
	    "\"description\":\"\",\"channel\":\"counter\"}");
	/* a survey complaint is opened by survey.submit, never logged */
	rq_bad(t, "channel", "{\"op\":\"complaint.log\",\"category\":\"fees\",\"severity\":1,"
	    "\"description\":\"x\",\"channel\":\"survey\"}");
	rq_bad(t, "channel", "{\"op\":\"complaint.log\",\"category\":\"fees\",\"severity\":1,"
	    "\"description\":\"x\"}");

	/* 2,000 is the limit */
	desc = malloc(2002);
	assert_non_null(desc);
	memset(desc, 'x', 2001);
	desc[2001] = '\0';
	rq_bad(t, "description", "{\"op\":\"complaint.log\",\"category\":\"fees\",\"severity\":1,"
	    "\"description\":\"%s\",\"channel\":\"counter\"}", desc);
	desc[2000] = '\0';
	c = take_complaint(rq_ok(t, "{\"op\":\"complaint.log\",\"category\":\"fees\","
	    "\"severity\":1,\"description\":\"%s\",\"channel\":\"counter\"}", desc));
	expect_that(jstr(c, "description") != NULL && strlen(jstr(c, "description")) == 2000,
	    NULL, "the 2,000-byte description is kept whole");
	expect_int(c, "id", 1);		/* none of the refused ones was logged */
	cJSON_Delete(c);
	free(desc);
	daemon_stop(d);
}

/* PROTOCOL: "description (1–2,000 chars)": characters, not bytes. */
static void
test_description_counts_characters(void **state)
{
	static const char	 ch[] = "投";	/* 3 bytes in UTF-8 */
	struct daemon		*d = daemon_start(NULL);
	struct conn		*t = login(d, "T01");
	char			*desc;
	cJSON			*r;
	size_t			 i, n = 2001 * 3;

	(void)state;
	desc = malloc(n + 1);
	assert_non_null(desc);
	for (i = 0; i < 2001; i++)
		memcpy(desc + i * 3, ch, 3);
	desc[n] = '\0';
	rq_bad(t, "description", "{\"op\":\"complaint.log\",\"category\":\"fees\",\"severity\":1,"
	    "\"description\":\"%s\",\"channel\":\"counter\"}", desc);
	desc[2000 * 3] = '\0';
	r = rq(t, "{\"op\":\"complaint.log\",\"category\":\"fees\",\"severity\":1,"
	    "\"description\":\"%s\",\"channel\":\"counter\"}", desc);
	free(desc);
	expect_that(cJSON_IsTrue(jget(r, "ok")), r, "PROTOCOL: description is 1-2,000 chars; "
	    "2,000 characters (6,000 bytes of UTF-8) must be accepted");
	cJSON_Delete(r);
	daemon_stop(d);
}

/* ---- complaint.get and the history ---- */

static void
test_get_and_history(void **state)
{
	struct daemon	*d = daemon_start(NULL);
	struct conn	*t = login(d, "T01"), *s = login(d, "S01");
	cJSON		*c, *r;
	const cJSON	*a;
	long long	 id;

	(void)state;
	id = log_complaint(t);
	c = get_complaint(t, id);
	expect_int(c, "id", id);
	expect_str(c, "owner", "E1001");
	expect_str(c, "description", "waited 40 minutes");
	expect_that(nactions(c) == 1, c, "a new complaint has one history line");
	a = jget(c, "actions.0");
	expect_str(a, "kind", "logged");
	expect_str(a, "actor", "E1001");
	expect_str(a, "at", H_CLOCK_START);
	expect_present(a, "note");
	expect_present(a, "amount_fen");
	expect_null(a, "amount_fen");
	cJSON_Delete(c);

	advance(s, 60);
	cJSON_Delete(rq_ok(t, "{\"op\":\"complaint.action\",\"id\":%lld,\"kind\":\"apology\","
	    "\"note\":\"apologised at the counter\"}", id));
	advance(s, 60);
	cJSON_Delete(rq_ok(t, "{\"op\":\"complaint.action\",\"id\":%lld,\"kind\":\"explanation\","
	    "\"note\":\"two tellers were ill\"}", id));
	cJSON_Delete(rq_ok(t, "{\"op\":\"complaint.action\",\"id\":%lld,\"kind\":\"remedy\","
	    "\"note\":\"served at once\"}", id));
	c = take_complaint(rq_ok(t, "{\"op\":\"complaint.action\",\"id\":%lld,"
	    "\"kind\":\"compensation\",\"note\":\"fee waived\",\"amount_fen\":1500}", id));
	expect_int(c, "compensation_fen", 1500);
	expect_str(c, "state", "open");
	cJSON_Delete(c);
	cJSON_Delete(rq_ok(t, "{\"op\":\"complaint.action\",\"id\":%lld,"
	    "\"kind\":\"customer_update\",\"note\":\"called back\"}", id));
	cJSON_Delete(rq_ok(t, "{\"op\":\"complaint.action\",\"id\":%lld,\"kind\":\"note\","
	    "\"note\":\"regular customer\"}", id));

	/* named by "complaint", with a request id of its own that is echoed */
	r = rq_ok(t, "{\"op\":\"complaint.get\",\"id\":\"req-7\",\"complaint\":%lld}", id);
	expect_str(r, "id", "req-7");
	c = take_complaint(r);
	expect_int(c, "id", id);
	expect_that(nactions(c) == 7, c, "logged + 6 actions");
	a = jget(c, "actions.1");
	expect_str(a, "kind", "apology");
	expect_str(a, "actor", "E1001");
	expect_str(a, "at", at_plus(60));
	expect_str(a, "note", "apologised at the counter");
	expect_null(a, "amount_fen");
	expect_str(c, "actions.2.kind", "explanation");
	expect_str(c, "actions.2.at", at_plus(120));
	expect_str(c, "actions.3.kind", "remedy");
	a = jget(c, "actions.4");
	expect_str(a, "kind", "compensation");
	expect_int(a, "amount_fen", 1500);
	expect_str(a, "note", "fee waived");
	expect_str(c, "actions.5.kind", "customer_update");
	expect_str(c, "actions.6.kind", "note");
	expect_str(c, "actions.6.note", "regular customer");
	cJSON_Delete(c);
	/* a numeric id is the complaint and is echoed */
	r = rq_ok(t, "{\"op\":\"complaint.get\",\"id\":%lld}", id);
	expect_int(r, "id", id);
	cJSON_Delete(r);

	/* errors */
	r = rq(t, "{\"op\":\"complaint.get\",\"id\":9999}");
	expect_error(r, "not_found");
	cJSON_Delete(r);
	rq_err(s, "not_found", "{\"op\":\"complaint.get\",\"id\":\"r\",\"complaint\":9999}");
	rq_bad(t, "id", "{\"op\":\"complaint.get\"}");
	rq_bad(t, "id", "{\"op\":\"complaint.get\",\"id\":0}");
	rq_bad(t, "id", "{\"op\":\"complaint.get\",\"id\":1.5}");
	rq_bad(t, "id", "{\"op\":\"complaint.get\",\"id\":\"one\"}");
	rq_bad(t, "complaint", "{\"op\":\"complaint.get\",\"id\":1,\"complaint\":\"one\"}");
	rq_err(t, "not_found", "{\"op\":\"complaint.action\",\"id\":9999,\"kind\":\"note\","
	    "\"note\":\"x\"}");
	rq_err(t, "not_found", "{\"op\":\"complaint.resolve\",\"id\":9999,\"resolution\":\"x\","
	    "\"root_cause\":\"system\"}");
	rq_err(t, "not_found", "{\"op\":\"complaint.reassign\",\"id\":9999,"
	    "\"to_staff\":\"E1002\",\"reason\":\"x\"}");
	rq_err(t, "not_found", "{\"op\":\"followup.record\",\"id\":9999,"
	    "\"outcome\":\"satisfied\",\"note\":\"x\"}");
	/* complaint.action fields */
	rq_bad(t, "kind", "{\"op\":\"complaint.action\",\"id\":%lld,\"note\":\"x\"}", id);
	rq_bad(t, "kind", "{\"op\":\"complaint.action\",\"id\":%lld,\"kind\":\"resolved\","
	    "\"note\":\"x\"}", id);
	rq_bad(t, "kind", "{\"op\":\"complaint.action\",\"id\":%lld,\"kind\":\"logged\","
	    "\"note\":\"x\"}", id);
	rq_bad(t, "note", "{\"op\":\"complaint.action\",\"id\":%lld,\"kind\":\"note\"}", id);
	rq_bad(t, "note", "{\"op\":\"complaint.action\",\"id\":%lld,\"kind\":\"note\","
	    "\"note\":\"\"}", id);
	c = get_complaint(t, id);
	expect_that(nactions(c) == 7, c, "refused requests add no history");
	cJSON_Delete(c);
	daemon_stop(d);
}

/* ---- ownership ---- */

static void
test_ownership(void **state)
{
	struct daemon	*d = daemon_start(NULL);
	struct conn	*t1 = login(d, "T01"), *t2 = login(d, "T02"), *l = login(d, "L01");
	struct conn	*s = login(d, "S01"), *k = login(d, "K01"), *disp = login(d, "D01");
	cJSON		*c;
	long long	 id, lid;

	(void)state;
	id = log_complaint(t1);
	/* T02 is not the owner: forbidden, whatever it tries */
	rq_err(t2, "forbidden", "{\"op\":\"complaint.get\",\"id\":%lld}", id);
	rq_err(t2, "forbidden", "{\"op\":\"complaint.action\",\"id\":%lld,\"kind\":\"apology\","
	    "\"note\":\"x\"}", id);
	rq_err(t2, "forbidden", "{\"op\":\"complaint.resolve\",\"id\":%lld,\"resolution\":\"x\","
	    "\"root_cause\":\"system\"}", id);
	rq_err(t2, "forbidden", "{\"op\":\"complaint.reassign\",\"id\":%lld,"
	    "\"to_staff\":\"E1002\",\"reason\":\"mine now\"}", id);
	rq_err(t2, "forbidden", "{\"op\":\"followup.record\",\"id\":%lld,"
	    "\"outcome\":\"satisfied\",\"note\":\"x\"}", id);
	/* nor is the lobby manager */
	rq_err(l, "forbidden", "{\"op\":\"complaint.get\",\"id\":%lld}", id);
	rq_err(l, "forbidden", "{\"op\":\"complaint.action\",\"id\":%lld,\"kind\":\"note\","
	    "\"note\":\"x\"}", id);
	/* roles that never touch complaints */
	rq_err(k, "forbidden", "{\"op\":\"complaint.get\",\"id\":%lld}", id);
	rq_err(disp, "forbidden", "{\"op\":\"complaint.get\",\"id\":%lld}", id);
	rq_err(k, "forbidden", "{\"op\":\"followup.record\",\"id\":%lld,"
	    "\"outcome\":\"satisfied\",\"note\":\"x\"}", id);
	c = get_complaint(t1, id);
	expect_that(nactions(c) == 1, c, "forbidden requests add no history");
	expect_str(c, "owner", "E1001");
	expect_str(c, "state", "open");
	cJSON_Delete(c);

	/* a supervisor may act on any complaint */
	c = get_complaint(s, id);
	expect_str(c, "owner", "E1001");
	cJSON_Delete(c);
	c = take_complaint(rq_ok(s, "{\"op\":\"complaint.action\",\"id\":%lld,\"kind\":\"note\","
	    "\"note\":\"seen\"}", id));
	expect_str(c, "owner", "E1001");	/* acting does not take ownership */
	cJSON_Delete(c);
	c = get_complaint(t1, id);
	expect_str(last_action(c), "actor", "E9001");
	cJSON_Delete(c);

	/* the lobby manager owns what it logs */
	lid = log_complaint(l);
	cJSON_Delete(rq_ok(l, "{\"op\":\"complaint.action\",\"id\":%lld,\"kind\":\"apology\","
	    "\"note\":\"x\"}", lid));
	rq_err(t1, "forbidden", "{\"op\":\"complaint.get\",\"id\":%lld}", lid);
	c = take_complaint(rq_ok(l, "{\"op\":\"complaint.resolve\",\"id\":%lld,"
	    "\"resolution\":\"heating fixed\",\"root_cause\":\"external\"}", lid));
	expect_str(c, "state", "resolved");
	cJSON_Delete(c);
	c = take_complaint(rq_ok(s, "{\"op\":\"complaint.resolve\",\"id\":%lld,"
	    "\"resolution\":\"queue rebalanced\",\"root_cause\":\"value\"}", id));
	expect_str(c, "state", "resolved");
	expect_str(c, "owner", "E1001");
	cJSON_Delete(c);
	c = take_complaint(rq_ok(s, "{\"op\":\"followup.record\",\"id\":%lld,"
	    "\"outcome\":\"satisfied\",\"note\":\"ok\"}", id));
	expect_str(c, "state", "closed");
	cJSON_Delete(c);
	daemon_stop(d);
}

/* ---- compensation within authority ---- */

static void
test_compensation_authority(void **state)
{
	struct daemon	*d = daemon_start(NULL);
	struct conn	*t = login(d, "T01"), *s = login(d, "S01"), *l = login(d, "L01");
	cJSON		*c;
	long long	 id, lid;

	(void)state;
	id = log_complaint(t);
	c = take_complaint(rq_ok(t, "{\"op\":\"complaint.action\",\"id\":%lld,"
	    "\"kind\":\"compensation\",\"note\":\"first\",\"amount_fen\":15000}", id));
	expect_int(c, "compensation_fen", 15000);
	cJSON_Delete(c);
	/* DOMAIN §3 (S5): the total granted counts; 15000 + 5001 > 20000 */
	rq_err(t, "over_authority", "{\"op\":\"complaint.action\",\"id\":%lld,"
	    "\"kind\":\"compensation\",\"note\":\"second\",\"amount_fen\":5001}", id);
	c = get_complaint(t, id);
	expect_int(c, "compensation_fen", 15000);
	expect_that(nactions(c) == 2, c, "over_authority records nothing");
	expect_that(count_kind(c, "compensation") == 1, c, "one compensation only");
	cJSON_Delete(c);
	/* exactly the limit is within it */
	c = take_complaint(rq_ok(t, "{\"op\":\"complaint.action\",\"id\":%lld,"
	    "\"kind\":\"compensation\",\"note\":\"second\",\"amount_fen\":5000}", id));
	expect_int(c, "compensation_fen", 20000);
	cJSON_Delete(c);
	rq_err(t, "over_authority", "{\"op\":\"complaint.action\",\"id\":%lld,"
	    "\"kind\":\"compensation\",\"note\":\"third\",\"amount_fen\":1}", id);
	/* a single amount over the limit on a fresh complaint */
	lid = log_complaint(t);
	rq_err(t, "over_authority", "{\"op\":\"complaint.action\",\"id\":%lld,"
	    "\"kind\":\"compensation\",\"note\":\"x\",\"amount_fen\":20001}", lid);

	/* amount_fen: required for compensation, refused elsewhere */
	rq_bad(t, "amount_fen", "{\"op\":\"complaint.action\",\"id\":%lld,"
	    "\"kind\":\"compensation\",\"note\":\"x\"}", lid);
	rq_bad(t, "amount_fen", "{\"op\":\"complaint.action\",\"id\":%lld,"
	    "\"kind\":\"apology\",\"note\":\"x\",\"amount_fen\":100}", lid);
	rq_bad(t, "amount_fen", "{\"op\":\"complaint.action\",\"id\":%lld,"
	    "\"kind\":\"compensation\",\"note\":\"x\",\"amount_fen\":0}", lid);
	rq_bad(t, "amount_fen", "{\"op\":\"complaint.action\",\"id\":%lld,"
	    "\"kind\":\"compensation\",\"note\":\"x\",\"amount_fen\":-5}", lid);
	rq_bad(t, "amount_fen", "{\"op\":\"complaint.action\",\"id\":%lld,"
	    "\"kind\":\"compensation\",\"note\":\"x\",\"amount_fen\":10.5}", lid);
	rq_bad(t, "amount_fen", "{\"op\":\"complaint.action\",\"id\":%lld,"
	    "\"kind\":\"compensation\",\"note\":\"x\",\"amount_fen\":\"100\"}", lid);
	c = get_complaint(t, lid);
	expect_that(nactions(c) == 1, c, "refused compensations record nothing");
	expect_int(c, "compensation_fen", 0);
	cJSON_Delete(c);

	/* reassigned upwards: the supervisor compensates up to 200000 in all */
	c = take_complaint(rq_ok(t, "{\"op\":\"complaint.reassign\",\"id\":%lld,"
	    "\"to_staff\":\"E9001\",\"reason\":\"over my authority\"}", id));
	expect_str(c, "owner", "E9001");
	expect_str(c, "first_responder", "E1001");
	cJSON_Delete(c);
	rq_err(s, "over_authority", "{\"op\":\"complaint.action\",\"id\":%lld,"
	    "\"kind\":\"compensation\",\"note\":\"x\",\"amount_fen\":180001}", id);
	c = take_complaint(rq_ok(s, "{\"op\":\"complaint.action\",\"id\":%lld,"
	    "\"kind\":\"compensation\",\"note\":\"goodwill\",\"amount_fen\":180000}", id));
	expect_int(c, "compensation_fen", 200000);
	cJSON_Delete(c);
	rq_err(s, "over_authority", "{\"op\":\"complaint.action\",\"id\":%lld,"
	    "\"kind\":\"compensation\",\"note\":\"x\",\"amount_fen\":1}", id);
	c = get_complaint(s, id);
	expect_that(count_kind(c, "compensation") == 3, c, "three compensations granted");
	expect_str(last_action(c), "actor", "E9001");
	expect_int(last_action(c), "amount_fen", 180000);
	cJSON_Delete(c);

	/* the lobby manager's limit: 50000 */
	lid = log_complaint(l);
	rq_err(l, "over_authority", "{\"op\":\"complaint.action\",\"id\":%lld,"
	    "\"kind\":\"compensation\",\"note\":\"x\",\"amount_fen\":50001}", lid);
	c = take_complaint(rq_ok(l, "{\"op\":\"complaint.action\",\"id\":%lld,"
	    "\"kind\":\"compensation\",\"note\":\"x\",\"amount_fen\":50000}", lid));
	expect_int(c, "compensation_fen", 50000);
	cJSON_Delete(c);
	daemon_stop(d);
}

static void
test_authority_from_config(void **state)
{
	struct daemon_opts	 o = { .extra_config =
	    "\"authority_fen\":{\"teller\":1000,\"lobby\":2000,\"supervisor\":3000}" };
	struct daemon		*d = daemon_start(&o);
	struct conn		*t = login(d, "T01"), *s = login(d, "S01");
	long long		 id;

	(void)state;
	id = log_complaint(t);
	rq_err(t, "over_authority", "{\"op\":\"complaint.action\",\"id\":%lld,"
	    "\"kind\":\"compensation\",\"note\":\"x\",\"amount_fen\":1001}", id);
	cJSON_Delete(rq_ok(t, "{\"op\":\"complaint.action\",\"id\":%lld,"
	    "\"kind\":\"compensation\",\"note\":\"x\",\"amount_fen\":1000}", id));
	rq_err(s, "over_authority", "{\"op\":\"complaint.action\",\"id\":%lld,"
	    "\"kind\":\"compensation\",\"note\":\"x\",\"amount_fen\":2001}", id);
	cJSON_Delete(rq_ok(s, "{\"op\":\"complaint.action\",\"id\":%lld,"
	    "\"kind\":\"compensation\",\"note\":\"x\",\"amount_fen\":2000}", id));
	daemon_stop(d);
}

/* ---- reassign, resolve ---- */

static void
test_reassign(void **state)
{
	struct daemon	*d = daemon_start(NULL);
	struct conn	*t1 = login(d, "T01"), *t2 = login(d, "T02"), *s = login(d, "S01");
	cJSON		*c, *r;
	const cJSON	*a;
	long long	 id;

	(void)state;
	id = log_complaint(t1);
	/* to_staff must be a configured staff id */
	r = rq(t1, "{\"op\":\"complaint.reassign\",\"id\":%lld,\"to_staff\":\"E0000\","
	    "\"reason\":\"x\"}", id);
	expect_error_names(r, "not_found", "to_staff");
	cJSON_Delete(r);
	rq_err(t1, "not_found", "{\"op\":\"complaint.reassign\",\"id\":%lld,"
	    "\"to_staff\":\"T02\",\"reason\":\"x\"}", id);	/* a terminal is not staff */
	/* to the current owner */
	rq_err(t1, "conflict", "{\"op\":\"complaint.reassign\",\"id\":%lld,"
	    "\"to_staff\":\"E1001\",\"reason\":\"x\"}", id);
	rq_bad(t1, "to_staff", "{\"op\":\"complaint.reassign\",\"id\":%lld,\"reason\":\"x\"}", id);
	rq_bad(t1, "reason", "{\"op\":\"complaint.reassign\",\"id\":%lld,"
	    "\"to_staff\":\"E1002\"}", id);
	c = get_complaint(t1, id);
	expect_that(nactions(c) == 1, c, "refused reassigns record nothing");
	cJSON_Delete(c);

	advance(s, 30);
	c = take_complaint(rq_ok(t1, "{\"op\":\"complaint.reassign\",\"id\":%lld,"
	    "\"to_staff\":\"E1002\",\"reason\":\"she handles fees\"}", id));
	expect_str(c, "owner", "E1002");
	expect_str(c, "first_responder", "E1001");
	expect_str(c, "state", "open");
	cJSON_Delete(c);
	/* the old owner, its first responder, may still read it (DOMAIN §3) ... */
	c = get_complaint(t1, id);
	expect_str(c, "owner", "E1002");
	expect_str(last_action(c), "kind", "reassigned");
	cJSON_Delete(c);
	/* ... but acts on it no more */
	rq_err(t1, "forbidden", "{\"op\":\"complaint.reassign\",\"id\":%lld,"
	    "\"to_staff\":\"E1001\",\"reason\":\"back\"}", id);
	rq_err(t1, "forbidden", "{\"op\":\"complaint.action\",\"id\":%lld,"
	    "\"kind\":\"note\",\"note\":\"x\"}", id);
	rq_err(t1, "forbidden", "{\"op\":\"complaint.resolve\",\"id\":%lld,"
	    "\"resolution\":\"x\",\"root_cause\":\"system\"}", id);
	rq_err(t1, "forbidden", "{\"op\":\"followup.record\",\"id\":%lld,"
	    "\"outcome\":\"satisfied\",\"note\":\"x\"}", id);
	c = get_complaint(t2, id);
	expect_str(c, "owner", "E1002");
	expect_str(c, "first_responder", "E1001");
	a = last_action(c);
	expect_str(a, "kind", "reassigned");
	expect_str(a, "actor", "E1001");
	expect_str(a, "to_staff", "E1002");
	expect_str(a, "note", "she handles fees");
	expect_str(a, "at", at_plus(30));
	cJSON_Delete(c);
	/* the new owner may act and pass it on; the first responder never changes */
	cJSON_Delete(rq_ok(t2, "{\"op\":\"complaint.action\",\"id\":%lld,\"kind\":\"apology\","
	    "\"note\":\"x\"}", id));
	c = take_complaint(rq_ok(s, "{\"op\":\"complaint.reassign\",\"id\":%lld,"
	    "\"to_staff\":\"E2001\",\"reason\":\"lobby\"}", id));
	expect_str(c, "owner", "E2001");
	expect_str(c, "first_responder", "E1001");
	cJSON_Delete(c);
	c = get_complaint(s, id);
	expect_that(count_kind(c, "reassigned") == 2, c, "two reassignments in the history");
	expect_str(last_action(c), "actor", "E9001");
	expect_str(last_action(c), "to_staff", "E2001");
	cJSON_Delete(c);
	/* a former owner who was not the first responder: like anyone else */
	rq_err(t2, "forbidden", "{\"op\":\"complaint.get\",\"id\":%lld}", id);
	/* the first responder still reads it, however often it moved */
	c = get_complaint(t1, id);
	expect_str(c, "owner", "E2001");
	expect_str(c, "first_responder", "E1001");
	cJSON_Delete(c);
	daemon_stop(d);
}

static void
test_resolve(void **state)
{
	struct daemon	*d = daemon_start(NULL);
	struct conn	*t = login(d, "T01"), *s = login(d, "S01");
	cJSON		*c;
	long long	 id;
	size_t		 i;
	static const char *const causes[] = { "value", "system", "personnel", "customer",
	    "external" };

	(void)state;
	id = log_complaint(t);
	rq_bad(t, "root_cause", "{\"op\":\"complaint.resolve\",\"id\":%lld,"
	    "\"resolution\":\"x\",\"root_cause\":\"gremlins\"}", id);
	rq_bad(t, "root_cause", "{\"op\":\"complaint.resolve\",\"id\":%lld,"
	    "\"resolution\":\"x\"}", id);
	rq_bad(t, "resolution", "{\"op\":\"complaint.resolve\",\"id\":%lld,"
	    "\"root_cause\":\"system\"}", id);
	rq_bad(t, "resolution", "{\"op\":\"complaint.resolve\",\"id\":%lld,\"resolution\":\"\","
	    "\"root_cause\":\"system\"}", id);
	c = get_complaint(t, id);
	expect_str(c, "state", "open");
	expect_null(c, "root_cause");
	cJSON_Delete(c);

	advance(s, 600);
	c = take_complaint(rq_ok(t, "{\"op\":\"complaint.resolve\",\"id\":%lld,"
	    "\"resolution\":\"queue system patched\",\"root_cause\":\"system\"}", id));
	expect_str(c, "state", "resolved");
	expect_str(c, "root_cause", "system");
	expect_str(c, "resolution", "queue system patched");
	expect_str(c, "resolved_at", at_plus(600));
	expect_bool(c, "overdue", false);
	cJSON_Delete(c);
	/* only an open complaint is resolved */
	rq_err(t, "conflict", "{\"op\":\"complaint.resolve\",\"id\":%lld,"
	    "\"resolution\":\"again\",\"root_cause\":\"value\"}", id);
	c = get_complaint(t, id);
	expect_str(c, "root_cause", "system");
	expect_str(last_action(c), "kind", "resolved");
	expect_str(last_action(c), "actor", "E1001");
	expect_that(count_kind(c, "resolved") == 1, c, "one resolution");
	cJSON_Delete(c);
	/* recovery steps go on while it is not closed */
	cJSON_Delete(rq_ok(t, "{\"op\":\"complaint.action\",\"id\":%lld,"
	    "\"kind\":\"customer_update\",\"note\":\"told the customer\"}", id));

	/* every root cause PROTOCOL lists */
	for (i = 0; i < sizeof causes / sizeof causes[0]; i++) {
		id = log_complaint(t);
		c = take_complaint(rq_ok(t, "{\"op\":\"complaint.resolve\",\"id\":%lld,"
		    "\"resolution\":\"x\",\"root_cause\":\"%s\"}", id, causes[i]));
		expect_str(c, "root_cause", causes[i]);
		cJSON_Delete(c);
	}
	daemon_stop(d);
}

/* ---- followup.record ---- */

static void
test_followup_satisfied_closes(void **state)
{
	struct daemon	*d = daemon_start(NULL);
	struct conn	*t = login(d, "T01"), *s = login(d, "S01");
	cJSON		*c;
	const cJSON	*a;
	long long	 id;

	(void)state;
	id = log_complaint(t);
	rq_bad(t, "outcome", "{\"op\":\"followup.record\",\"id\":%lld,\"note\":\"x\"}", id);
	rq_bad(t, "outcome", "{\"op\":\"followup.record\",\"id\":%lld,\"outcome\":\"happy\","
	    "\"note\":\"x\"}", id);
	rq_bad(t, "note", "{\"op\":\"followup.record\",\"id\":%lld,\"outcome\":\"satisfied\"}",
	    id);
	advance(s, 3600);
	c = take_complaint(rq_ok(t, "{\"op\":\"followup.record\",\"id\":%lld,"
	    "\"outcome\":\"satisfied\",\"note\":\"customer happy\"}", id));
	expect_str(c, "state", "closed");
	expect_bool(c, "overdue", false);
	expect_str(c, "closed_at", at_plus(3600));
	cJSON_Delete(c);
	c = get_complaint(t, id);
	a = last_action(c);
	expect_str(a, "kind", "followup");
	expect_str(a, "outcome", "satisfied");
	expect_bool(a, "on_time", true);
	expect_str(a, "actor", "E1001");
	expect_str(a, "note", "customer happy");
	expect_that(nactions(c) == 2, c, "logged, followup");
	cJSON_Delete(c);

	/* closed: nothing more can be done to it */
	rq_err(t, "conflict", "{\"op\":\"complaint.action\",\"id\":%lld,\"kind\":\"note\","
	    "\"note\":\"x\"}", id);
	rq_err(t, "conflict", "{\"op\":\"complaint.action\",\"id\":%lld,"
	    "\"kind\":\"compensation\",\"note\":\"x\",\"amount_fen\":100}", id);
	rq_err(t, "conflict", "{\"op\":\"complaint.resolve\",\"id\":%lld,\"resolution\":\"x\","
	    "\"root_cause\":\"system\"}", id);
	rq_err(t, "conflict", "{\"op\":\"followup.record\",\"id\":%lld,"
	    "\"outcome\":\"unsatisfied\",\"note\":\"x\"}", id);
	rq_err(t, "conflict", "{\"op\":\"followup.record\",\"id\":%lld,"
	    "\"outcome\":\"satisfied\",\"note\":\"x\"}", id);
	rq_err(s, "conflict", "{\"op\":\"complaint.reassign\",\"id\":%lld,"
	    "\"to_staff\":\"E1002\",\"reason\":\"x\"}", id);
	c = get_complaint(s, id);
	expect_that(nactions(c) == 2, c, "nothing recorded after closing");
	expect_str(c, "state", "closed");
	expect_int(c, "compensation_fen", 0);
	cJSON_Delete(c);

	/* a resolved complaint closes the same way */
	id = log_complaint(t);
	cJSON_Delete(rq_ok(t, "{\"op\":\"complaint.resolve\",\"id\":%lld,\"resolution\":\"x\","
	    "\"root_cause\":\"customer\"}", id));
	c = take_complaint(rq_ok(t, "{\"op\":\"followup.record\",\"id\":%lld,"
	    "\"outcome\":\"satisfied\",\"note\":\"x\"}", id));
	expect_str(c, "state", "closed");
	expect_str(c, "root_cause", "customer");
	cJSON_Delete(c);
	daemon_stop(d);
}

static void
test_followup_unsatisfied_and_unreachable(void **state)
{
	struct daemon	*d = daemon_start(NULL);
	struct conn	*t = login(d, "T01"), *s = login(d, "S01");
	cJSON		*c;
	const cJSON	*a;
	long long	 id, id2;

	(void)state;
	id = log_complaint(t);
	id2 = log_complaint(t);
	/* unreachable before the deadline: logged on time, the deadline stands */
	advance(s, 3600);
	c = take_complaint(rq_ok(t, "{\"op\":\"followup.record\",\"id\":%lld,"
	    "\"outcome\":\"unreachable\",\"note\":\"no answer\"}", id));
	expect_str(c, "state", "open");
	expect_str(c, "follow_up_due", at_plus(DAY));
	expect_bool(c, "overdue", false);
	cJSON_Delete(c);
	c = get_complaint(t, id);
	a = last_action(c);
	expect_str(a, "kind", "followup");
	expect_str(a, "outcome", "unreachable");
	expect_bool(a, "on_time", true);
	cJSON_Delete(c);

	/* past the deadline: overdue; unsatisfied reopens with 24 h from now */
	advance(s, DAY);			/* now = start + 25 h */
	c = get_complaint(t, id);
	expect_bool(c, "overdue", true);
	cJSON_Delete(c);
	cJSON_Delete(rq_ok(t, "{\"op\":\"complaint.resolve\",\"id\":%lld,\"resolution\":\"x\","
	    "\"root_cause\":\"personnel\"}", id));
	c = take_complaint(rq_ok(t, "{\"op\":\"followup.record\",\"id\":%lld,"
	    "\"outcome\":\"unsatisfied\",\"note\":\"still angry\"}", id));
	expect_str(c, "state", "open");
	expect_bool(c, "overdue", false);
	expect_str(c, "follow_up_due", at_plus(DAY + 3600 + DAY));
	/* PROTOCOL 1.1: open again, so no longer resolved */
	expect_null(c, "resolution");
	expect_null(c, "root_cause");
	expect_null(c, "resolved_at");
	cJSON_Delete(c);
	c = get_complaint(t, id);
	expect_null(c, "resolution");
	expect_null(c, "root_cause");
	expect_null(c, "resolved_at");
	a = last_action(c);
	expect_str(a, "kind", "followup");
	expect_str(a, "outcome", "unsatisfied");
	expect_bool(a, "on_time", false);
	expect_str(a, "at", at_plus(DAY + 3600));
	/* the history keeps the resolution that did not last */
	a = nth_kind(c, "resolved", 0);
	expect_str(a, "note", "x");
	expect_str(a, "root_cause", "personnel");
	expect_str(a, "at", at_plus(DAY + 3600));
	cJSON_Delete(c);
	/* the summary counts it unresolved, not under its old root cause */
	c = rq_ok(s, "{\"op\":\"report.summary\",\"from\":\"2026-11-23\","
	    "\"to\":\"2026-11-23\"}");
	expect_int(c, "complaints.by_root_cause.personnel", 0);
	expect_int(c, "complaints.by_root_cause.unresolved", 2);
	cJSON_Delete(c);
	/* reopened: it can be resolved again */
	advance(s, 60);
	c = take_complaint(rq_ok(t, "{\"op\":\"complaint.resolve\",\"id\":%lld,"
	    "\"resolution\":\"second try\",\"root_cause\":\"system\"}", id));
	expect_str(c, "state", "resolved");
	expect_str(c, "resolution", "second try");
	expect_str(c, "root_cause", "system");
	expect_str(c, "resolved_at", at_plus(DAY + 3600 + 60));
	cJSON_Delete(c);
	c = get_complaint(t, id);
	expect_that(count_kind(c, "resolved") == 2, c, "two resolutions in the history");
	expect_str(nth_kind(c, "resolved", 0), "root_cause", "personnel");
	expect_str(nth_kind(c, "resolved", 1), "root_cause", "system");
	expect_str(nth_kind(c, "resolved", 1), "note", "second try");
	cJSON_Delete(c);

	/* unreachable after the deadline: late, still overdue, deadline unchanged */
	c = take_complaint(rq_ok(t, "{\"op\":\"followup.record\",\"id\":%lld,"
	    "\"outcome\":\"unreachable\",\"note\":\"no answer\"}", id2));
	expect_bool(c, "overdue", true);
	expect_str(c, "state", "open");
	expect_str(c, "follow_up_due", at_plus(DAY));
	cJSON_Delete(c);
	c = get_complaint(t, id2);
	expect_bool(last_action(c), "on_time", false);
	expect_str(last_action(c), "outcome", "unreachable");
	cJSON_Delete(c);
	/* satisfied clears overdue */
	c = take_complaint(rq_ok(t, "{\"op\":\"followup.record\",\"id\":%lld,"
	    "\"outcome\":\"satisfied\",\"note\":\"reached at last\"}", id2));
	expect_str(c, "state", "closed");
	expect_bool(c, "overdue", false);
	cJSON_Delete(c);
	c = get_complaint(t, id2);
	expect_bool(last_action(c), "on_time", false);
	cJSON_Delete(c);
	daemon_stop(d);
}

/* ---- the deadline fires by itself ---- */

static void
test_deadline_fires(void **state)
{
	struct daemon	*d = daemon_start(NULL);
	struct conn	*t = login(d, "T01"), *s = login(d, "S01"), *sub = login(d, "S01");
	struct conn	*disp = login(d, "D01"), *k = login(d, "K01");
	cJSON		*c, *ev, *r;
	const cJSON	*a;
	long long	 id, closed_id;

	(void)state;
	rq_err(k, "forbidden", "{\"op\":\"subscribe\",\"topics\":[\"followups\"]}");
	r = rq_ok(sub, "{\"op\":\"subscribe\",\"topics\":[\"followups\"]}");
	cJSON_Delete(r);
	/* PROTOCOL 1.1: a public screen hears no complaint (test_events.c) */
	rq_err(disp, "forbidden", "{\"op\":\"subscribe\",\"topics\":[\"followups\"]}");

	id = log_complaint(t);
	ev = next_event_named(sub, "complaint.logged", reply_timeout_ms());
	expect_that(ev != NULL, NULL, "no complaint.logged event");
	expect_int(ev, "id", id);
	expect_str(ev, "owner", "E1001");
	cJSON_Delete(ev);

	closed_id = log_complaint(t);
	cJSON_Delete(rq_ok(t, "{\"op\":\"followup.record\",\"id\":%lld,"
	    "\"outcome\":\"satisfied\",\"note\":\"fine\"}", closed_id));
	ev = next_event_named(sub, "followup.recorded", reply_timeout_ms());
	expect_that(ev != NULL, NULL, "no followup.recorded event");
	expect_int(ev, "id", closed_id);
	cJSON_Delete(ev);

	/* a second before the deadline: nothing */
	advance(s, DAY - 1);
	expect_no_event(sub, "followup.overdue");
	c = get_complaint(t, id);
	expect_bool(c, "overdue", false);
	cJSON_Delete(c);

	/* at the due second itself: not yet (PROTOCOL: once it "has passed") */
	advance(s, 1);
	expect_no_event(sub, "followup.overdue");
	c = get_complaint(t, id);
	expect_bool(c, "overdue", false);
	cJSON_Delete(c);

	/* past it: the event, by itself, for the open complaint only */
	advance(s, 1);
	ev = next_event_named(sub, "followup.overdue", reply_timeout_ms());
	expect_that(ev != NULL, NULL, "no followup.overdue event");
	expect_int(ev, "id", id);
	expect_str(ev, "owner", "E1001");
	expect_str(ev, "due", at_plus(DAY));
	cJSON_Delete(ev);
	expect_no_event(sub, "followup.overdue");
	c = get_complaint(t, id);
	expect_bool(c, "overdue", true);
	expect_str(c, "state", "open");
	a = last_action(c);
	expect_str(a, "kind", "overdue");
	expect_that(count_kind(c, "overdue") == 1, c, "one overdue line");
	cJSON_Delete(c);
	c = get_complaint(t, closed_id);
	expect_bool(c, "overdue", false);
	expect_that(count_kind(c, "overdue") == 0, c, "a closed complaint is never overdue");
	cJSON_Delete(c);

	/* it fires once: more time adds nothing */
	advance(s, 3600);
	expect_no_event(sub, "followup.overdue");
	c = get_complaint(t, id);
	expect_that(count_kind(c, "overdue") == 1, c, "still one overdue line");
	cJSON_Delete(c);

	/* unsatisfied sets a new deadline, which fires in its turn */
	cJSON_Delete(rq_ok(t, "{\"op\":\"followup.record\",\"id\":%lld,"
	    "\"outcome\":\"unsatisfied\",\"note\":\"x\"}", id));
	advance(s, DAY + 1);
	ev = next_event_named(sub, "followup.overdue", reply_timeout_ms());
	expect_that(ev != NULL, NULL, "the new deadline did not fire");
	expect_int(ev, "id", id);
	expect_str(ev, "due", at_plus(DAY + 1 + 3600 + DAY));
	cJSON_Delete(ev);
	c = get_complaint(t, id);
	expect_bool(c, "overdue", true);
	expect_that(count_kind(c, "overdue") == 2, c, "two overdue lines");
	cJSON_Delete(c);
	daemon_stop(d);
}

static void
test_overdue_after_restart(void **state)
{
	struct daemon	*d = daemon_start(NULL);
	struct conn	*t = login(d, "T01"), *s = login(d, "S01");
	cJSON		*c, *ev;
	long long	 early, late;

	(void)state;
	early = log_complaint(t);			/* due start + 24 h */
	advance(s, 12 * 3600);
	late = log_complaint(t);			/* due start + 36 h */
	daemon_stop(d);
	conn_close(t);
	conn_close(s);

	/* down from start + 12 h to start + 30 h: the first deadline passed meanwhile */
	daemon_restart_at(d, at_plus(30 * 3600));
	t = login(d, "T01");
	s = login(d, "S01");
	c = get_complaint(t, early);
	expect_bool(c, "overdue", true);
	expect_str(last_action(c), "kind", "overdue");
	cJSON_Delete(c);
	c = get_complaint(t, late);
	expect_bool(c, "overdue", false);
	expect_str(c, "follow_up_due", at_plus(36 * 3600));
	cJSON_Delete(c);
	/* the other one is still watched */
	cJSON_Delete(rq_ok(s, "{\"op\":\"subscribe\",\"topics\":[\"followups\"]}"));
	advance(s, 6 * 3600 + 1);
	ev = next_event_named(s, "followup.overdue", reply_timeout_ms());
	expect_that(ev != NULL, NULL, "the remaining deadline did not fire after the restart");
	expect_int(ev, "id", late);
	cJSON_Delete(ev);
	c = get_complaint(t, late);
	expect_bool(c, "overdue", true);
	cJSON_Delete(c);
	daemon_stop(d);
}

/* ---- the webhook outbox ---- */

static void
recovery_story(struct daemon *d)
{
	struct conn	*t = login(d, "T01"), *s = login(d, "S01"), *k = login(d, "K01");

	cJSON_Delete(issue(k, "loan", 0, NULL));		/* A001 */
	open_window(t, 1, "[\"counter\"]");
	serve_next(t, "A001");
	(void)log_complaint(t);
	cJSON_Delete(rq_ok(k, "{\"op\":\"survey.submit\",\"ticket\":\"A001\",\"score\":2,"
	    "\"reason\":\"slow\"}"));
	advance(s, DAY + 1);
	conn_close(t);
	conn_close(s);
	conn_close(k);
}

static void
test_webhook_outbox(void **state)
{
	struct daemon_opts	 o = { .extra_config = WEBHOOKS };
	struct daemon		*d = daemon_start(&o);

	(void)state;
	recovery_story(d);
	expect_that(db_int(d, "SELECT count(*) FROM outbox WHERE event = 'complaint.logged'") >= 1,
	    NULL, "the outbox has no complaint.logged");
	expect_that(db_int(d, "SELECT count(*) FROM outbox WHERE event = 'survey.detractor'") == 1,
	    NULL, "the outbox should have one survey.detractor, has %lld",
	    db_int(d, "SELECT count(*) FROM outbox WHERE event = 'survey.detractor'"));
	expect_that(db_int(d, "SELECT count(*) FROM outbox WHERE event = 'followup.overdue'") == 2,
	    NULL, "the outbox should have two followup.overdue, has %lld",
	    db_int(d, "SELECT count(*) FROM outbox WHERE event = 'followup.overdue'"));
	expect_that(db_int(d, "SELECT count(*) FROM outbox WHERE event NOT IN "
	    "('complaint.logged','survey.detractor','followup.overdue')") == 0, NULL,
	    "the outbox has events nobody asked for");
	expect_outbox_bodies(d);
	daemon_stop(d);
}

static void
test_no_webhook_no_outbox(void **state)
{
	struct daemon		*d = daemon_start(NULL);
	struct daemon_opts	 o = { .extra_config =
	    "\"webhooks\":[{\"url\":\"http://127.0.0.1:9/h\",\"secret\":\"s\","
	    "\"events\":[\"survey.detractor\"]}]" };
	struct daemon		*d2;

	(void)state;
	recovery_story(d);
	expect_that(db_int(d, "SELECT count(*) FROM outbox") == 0, NULL,
	    "without webhooks the outbox stays empty, has %lld rows",
	    db_int(d, "SELECT count(*) FROM outbox"));
	daemon_stop(d);

	/* only the events a webhook lists */
	d2 = daemon_start(&o);
	recovery_story(d2);
	expect_that(db_int(d2, "SELECT count(*) FROM outbox") == 1 &&
	    db_int(d2, "SELECT count(*) FROM outbox WHERE event = 'survey.detractor'") == 1,
	    NULL, "a webhook listing survey.detractor only: one row expected, %lld rows",
	    db_int(d2, "SELECT count(*) FROM outbox"));
	daemon_stop(d2);
}

/* ---- survey.submit ---- */

static void
test_survey(void **state)
{
	struct daemon	*d = daemon_start(NULL);
	struct conn	*k = login(d, "K01"), *t = login(d, "T01"), *s = login(d, "S01");
	struct conn	*l = login(d, "L01"), *disp = login(d, "D01"), *sub = login(d, "S01");
	cJSON		*r, *c, *ev;
	long long	 cid;
	int		 i;
	char		 num[8];

	(void)state;
	for (i = 1; i <= 6; i++)
		cJSON_Delete(issue(k, "loan", 0, NULL));	/* A001 ... A006 */
	open_window(t, 1, "[\"counter\"]");
	for (i = 1; i <= 5; i++) {
		snprintf(num, sizeof num, "A%03d", i);
		serve_next(t, num);
	}
	cJSON_Delete(rq_ok(sub, "{\"op\":\"subscribe\",\"topics\":[\"followups\"]}"));
	advance(s, 300);

	/* a promoter: no complaint */
	r = rq_ok(k, "{\"op\":\"survey.submit\",\"ticket\":\"A001\",\"score\":9,"
	    "\"reason\":\"quick\"}");
	expect_str(r, "survey.ticket", "A001");
	expect_int(r, "survey.score", 9);
	expect_bool(r, "survey.detractor", false);
	expect_null(r, "complaint");
	cJSON_Delete(r);
	/* a passive: none either */
	r = rq_ok(k, "{\"op\":\"survey.submit\",\"ticket\":\"A003\",\"score\":7}");
	expect_bool(r, "survey.detractor", false);
	expect_null(r, "complaint");
	cJSON_Delete(r);

	/* DOMAIN §4: a detractor opens a follow-up owned by the duty supervisor */
	r = rq_ok(k, "{\"op\":\"survey.submit\",\"ticket\":\"A002\",\"score\":6,"
	    "\"reason\":\"waited too long\"}");
	expect_bool(r, "survey.detractor", true);
	expect_int(r, "survey.score", 6);
	c = take_complaint(r);
	cid = jint(c, "id");
	expect_str(c, "owner", "E9001");
	expect_str(c, "first_responder", "E9001");
	expect_str(c, "channel", "survey");
	expect_str(c, "category", "other");
	expect_int(c, "severity", 1);
	expect_str(c, "description", "waited too long");
	expect_str(c, "ticket", "A002");
	expect_str(c, "state", "open");
	expect_bool(c, "overdue", false);
	expect_str(c, "logged_at", at_plus(300));
	expect_str(c, "follow_up_due", at_plus(300 + DAY));
	cJSON_Delete(c);
	ev = next_event_named(sub, "complaint.logged", reply_timeout_ms());
	expect_that(ev != NULL, NULL, "no complaint.logged for the survey's complaint");
	expect_int(ev, "id", cid);
	expect_str(ev, "owner", "E9001");
	cJSON_Delete(ev);
	/* the supervisor sees it; the teller who served does not own it */
	c = get_complaint(s, cid);
	expect_str(c, "channel", "survey");
	cJSON_Delete(c);
	rq_err(t, "forbidden", "{\"op\":\"complaint.get\",\"id\":%lld}", cid);

	/* no reason: a description all the same (decisions) */
	r = rq_ok(l, "{\"op\":\"survey.submit\",\"ticket\":\"A004\",\"score\":0}");
	c = take_complaint(r);
	expect_str(c, "description", "survey score 0, no reason given");
	cJSON_Delete(c);
	r = rq_ok(s, "{\"op\":\"survey.submit\",\"ticket\":\"A005\",\"score\":10}");
	expect_null(r, "complaint");
	cJSON_Delete(r);

	/* one survey per ticket */
	rq_err(k, "conflict", "{\"op\":\"survey.submit\",\"ticket\":\"A002\",\"score\":10}");
	rq_err(k, "conflict", "{\"op\":\"survey.submit\",\"ticket\":\"A001\",\"score\":3}");
	/* only a done ticket */
	rq_err(k, "conflict", "{\"op\":\"survey.submit\",\"ticket\":\"A006\",\"score\":5}");
	r = rq(k, "{\"op\":\"survey.submit\",\"ticket\":\"A999\",\"score\":5}");
	expect_error_names(r, "not_found", "ticket");
	cJSON_Delete(r);
	rq_bad(k, "ticket", "{\"op\":\"survey.submit\",\"score\":5}");
	rq_bad(k, "ticket", "{\"op\":\"survey.submit\",\"ticket\":\"nope\",\"score\":5}");
	rq_bad(k, "score", "{\"op\":\"survey.submit\",\"ticket\":\"A006\"}");
	rq_bad(k, "score", "{\"op\":\"survey.submit\",\"ticket\":\"A006\",\"score\":11}");
	rq_bad(k, "score", "{\"op\":\"survey.submit\",\"ticket\":\"A006\",\"score\":-1}");
	rq_bad(k, "score", "{\"op\":\"survey.submit\",\"ticket\":\"A006\",\"score\":5.5}");
	rq_bad(k, "score", "{\"op\":\"survey.submit\",\"ticket\":\"A006\",\"score\":\"5\"}");
	/* roles: kiosk, lobby, supervisor */
	rq_err(t, "forbidden", "{\"op\":\"survey.submit\",\"ticket\":\"A003\",\"score\":5}");
	rq_err(disp, "forbidden", "{\"op\":\"survey.submit\",\"ticket\":\"A003\",\"score\":5}");

	/* the survey's deadline fires like any other */
	advance(s, DAY + 1);
	ev = next_event_named(sub, "followup.overdue", reply_timeout_ms());
	expect_that(ev != NULL, NULL, "the survey complaint's deadline did not fire");
	expect_int(ev, "id", cid);
	expect_str(ev, "owner", "E9001");
	cJSON_Delete(ev);
	/* that was yesterday: its tickets are not today's */
	r = rq(k, "{\"op\":\"survey.submit\",\"ticket\":\"A005\",\"score\":8}");
	expect_error_names(r, "not_found", "ticket");
	cJSON_Delete(r);
	daemon_stop(d);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_log_roles_and_shape, harness_teardown),
		cmocka_unit_test_teardown(test_log_follow_up_hours, harness_teardown),
		cmocka_unit_test_teardown(test_log_ticket_and_customer, harness_teardown),
		cmocka_unit_test_teardown(test_log_validation, harness_teardown),
		cmocka_unit_test_teardown(test_description_counts_characters, harness_teardown),
		cmocka_unit_test_teardown(test_get_and_history, harness_teardown),
		cmocka_unit_test_teardown(test_ownership, harness_teardown),
		cmocka_unit_test_teardown(test_compensation_authority, harness_teardown),
		cmocka_unit_test_teardown(test_authority_from_config, harness_teardown),
		cmocka_unit_test_teardown(test_reassign, harness_teardown),
		cmocka_unit_test_teardown(test_resolve, harness_teardown),
		cmocka_unit_test_teardown(test_followup_satisfied_closes, harness_teardown),
		cmocka_unit_test_teardown(test_followup_unsatisfied_and_unreachable,
		    harness_teardown),
		cmocka_unit_test_teardown(test_deadline_fires, harness_teardown),
		cmocka_unit_test_teardown(test_overdue_after_restart, harness_teardown),
		cmocka_unit_test_teardown(test_webhook_outbox, harness_teardown),
		cmocka_unit_test_teardown(test_no_webhook_no_outbox, harness_teardown),
		cmocka_unit_test_teardown(test_survey, harness_teardown),
	};

	return cmocka_run_group_tests_name("e2e_complaints", tests, NULL, NULL);
}
