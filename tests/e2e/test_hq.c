/*
 * End-to-end: head office (HEADOFFICE.md).  Three real daemons ship their
 * event logs to a real PostgreSQL 15 (tests/pg/cluster.sh, pg.c) through
 * the real relay: tickets through their life, complaints with actions and
 * follow-ups, surveys and windows over several business days; PostgreSQL
 * stopped for a while and started again; the network to it cut by a proxy
 * that stops answering, and restored; daemons killed with SIGKILL while a
 * batch is in flight and while their backlog is partly shipped.  Afterwards,
 * for every branch: every event is in PostgreSQL exactly once, in order,
 * without a gap; every business day of hq_branch_day equals the branch's
 * own report.summary of that day; hq_followups equals its follow-ups; an
 * overdue follow-up reaches head office within seconds of the connection
 * coming back; backlog 0 and connected in queue.snapshot and /metrics; no
 * customer name or phone number anywhere in the head-office database.
 * And the relay under sslmode=verify-full refuses a server its CA did not
 * sign, says so, and recovers when SIGHUP gives it the right CA.
 *
 * No timed assertion: every wait is for a condition, with a bound that
 * only catches a hang (longer under BRANCHQD_WRAPPER).
 */
#include <sys/types.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "harness.h"
#include "pg.h"

#define OK(c, ...)	cJSON_Delete(rq_ok((c), __VA_ARGS__))

/* The customers of the scenario: none of this may reach head office. */
static const char *const secrets[] = {
	"张三丰", "13812345678", "李四光", "13987654321", "王五", "02584561234",
};
/* Every kind of event the scenario makes. */
static const char *const kinds[] = {
	"ticket.issued", "ticket.called", "ticket.recalled", "ticket.no_show", "ticket.started",
	"ticket.completed", "ticket.transferred", "ticket.rerouted", "ticket.cancelled",
	"ticket.expired", "complaint.logged", "complaint.apology", "complaint.compensation",
	"complaint.resolved", "complaint.followup", "complaint.overdue", "survey.submitted",
	"window.opened", "window.lanes", "window.paused", "window.resumed", "window.closed",
	"selfservice.available", "selfservice.unavailable",
};
/* And what the reports show instead. */
static const char *const masked[] = { "张*", "138****5678", "李*", "139****4321" };

struct branch {
	const char	*id;
	const char	*region;
	int		 idx;
	struct daemon	*d;
	struct conn	*k, *t1, *t2, *l, *s;
	long long	 elapsed;	/* seconds since this business day's 09:00 */
	int		 day;		/* 1: Monday 2026-11-23 */
	char		 dates[8][16];	/* the business days worked */
	int		 ndates;
};

/* ---- time ---- */

static int64_t
mono_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
nap_ms(int ms)
{
	struct timespec	ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/* A bound on a wait that only catches a hang: longer under valgrind. */
static int64_t
bound_ms(int64_t ms)
{
	return under_wrapper() ? ms * 10 : ms;
}

/* "2026-11-23T01:00:00Z" as Unix seconds, or -1. */
static int64_t
rfc3339(const char *s)
{
	struct tm	tm;
	char		z = '\0';

	if (s == NULL)
		return -1;
	memset(&tm, 0, sizeof tm);
	if (sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%c", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
	    &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &z) != 7 || z != 'Z')
		return -1;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	return (int64_t)timegm(&tm);
}

/* ---- the branches ---- */

static const char *
hq_config(const char *conninfo, const char *region)
{
	/* Small batches: many of them, several in each scenario; a short
	 * timeout: the cut network is noticed within the test's time. */
	return hfmt("\"hq\":{\"conninfo\":\"%s\",\"region\":\"%s\",\"keep_days\":30,"
	    "\"batch_events\":5,\"retry_max_s\":1,\"timeout_s\":%d}", conninfo, region,
	    under_wrapper() ? 10 : 2);
}

static void
branch_login(struct branch *b)
{
	b->k = login(b->d, "K01");
	b->t1 = login(b->d, "T01");
	b->t2 = login(b->d, "T02");
	b->l = login(b->d, "L01");
	b->s = login(b->d, "S01");
}

static void
branch_start(struct branch *b, int idx, const char *id, const char *region,
    const char *conninfo)
{
	struct daemon_opts	o;

	memset(b, 0, sizeof *b);
	memset(&o, 0, sizeof o);
	b->id = id;
	b->region = region;
	b->idx = idx;
	b->day = 1;
	o.branch = id;
	o.extra_config = hq_config(conninfo, region);
	b->d = daemon_start(&o);
	branch_login(b);
}

/* The daemon clock now, as --test-clock-start takes it. */
static const char *
branch_now(struct branch *b)
{
	cJSON		*r = rq_ok(b->s, "{\"op\":\"ping\"}");
	const char	*now = hfmt("%s", jstr(r, "now"));

	cJSON_Delete(r);
	return now;
}

/* After a SIGKILL: started again on the same file, at the clock it had. */
static void
branch_restart(struct branch *b, const char *now)
{
	daemon_restart_at(b->d, now);
	branch_login(b);
}

static void
branch_advance(struct branch *b, long long s)
{
	advance(b->s, s);
	b->elapsed += s;
}

/* To 09:00 of the next business day (the day end runs at midnight). */
static void
branch_next_day(struct branch *b)
{
	branch_advance(b, 86400 - b->elapsed);
	b->elapsed = 0;
	b->day++;
}

static const char *
branch_date(struct branch *b)
{
	const char	*d;
	struct tm	 tm;
	time_t		 t = (time_t)rfc3339(branch_now(b));

	/* Asia/Shanghai is UTC+8 all year. */
	t += 8 * 3600;
	gmtime_r(&t, &tm);
	d = hfmt("%04d-%02d-%02d", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
	return d;
}

static void
remember_date(struct branch *b)
{
	const char	*d = branch_date(b);
	int		 i;

	for (i = 0; i < b->ndates; i++)
		if (strcmp(b->dates[i], d) == 0)
			return;
	if (b->ndates < 8)
		snprintf(b->dates[b->ndates++], sizeof b->dates[0], "%s", d);
}

/* The ticket a call_next took, or NULL when every lane was empty. */
static const char *
call_next(struct conn *t)
{
	cJSON		*r = rq_ok(t, "{\"op\":\"ticket.call_next\"}");
	const char	*n = jstr(r, "ticket.number");
	const char	*num = n != NULL ? hfmt("%s", n) : NULL;

	cJSON_Delete(r);
	return num;
}

static const char *
issue_number(struct conn *k, const char *service, long long amount, const char *flags)
{
	cJSON		*t = issue(k, service, amount, flags);
	const char	*n = hfmt("%s", jstr(t, "number"));

	cJSON_Delete(t);
	return n;
}

static long long
complaint_log(struct conn *c, const char *fields)
{
	cJSON		*r = rq_ok(c, "{\"op\":\"complaint.log\",%s}", fields);
	long long	 id = jint(r, "complaint.id");

	cJSON_Delete(r);
	return id;
}

/*
 * A business day of a branch: every kind of event the log has.  Tickets
 * diverted, rerouted and expired at the day end; served, recalled into a
 * no-show, transferred, cancelled; windows opened, paused, resumed and
 * closed; self-service down and up; surveys (one detractor, which opens a
 * complaint); a complaint with customer details through apology,
 * compensation, resolution and a satisfied follow-up; another left open to
 * fall overdue the next day.  The figures differ by branch and day.
 */
static void
day_work(struct branch *b)
{
	const char	*div1, *served1, *served2, *n;
	int		 i, extra = b->idx + b->day;
	long long	 c1;

	remember_date(b);
	/* Before any window opens: cash and transfers within the thresholds
	 * go to the machines. */
	div1 = issue_number(b->k, "cash_withdrawal", 100000 + b->day * 100 + b->idx, NULL);
	(void)issue_number(b->k, "transfer", 250000 + b->idx, NULL);
	(void)issue_number(b->k, "cash_deposit", 80000, "{\"loose_cash\":true}");
	(void)issue_number(b->k, "loan", 0, NULL);
	(void)issue_number(b->k, "account_opening", 0, "{\"needs_assistance\":true}");
	(void)issue_number(b->k, "card_services", 0, "{\"accessibility\":\"wheelchair\"}");
	(void)issue_number(b->k, "wealth_management", 0, "{\"vip\":true}");
	for (i = 0; i < extra; i++)
		(void)issue_number(b->k, i % 2 ? "other" : "foreign_exchange", 0, NULL);
	n = issue_number(b->k, "card_services", 0, NULL);
	OK(b->l, "{\"op\":\"ticket.reroute\",\"number\":\"%s\",\"to_lane\":\"counter\","
	    "\"reason\":\"customer_declined\"}", div1);
	OK(b->l, "{\"op\":\"ticket.cancel\",\"number\":\"%s\"}", n);
	/* On odd days the windows open late: waits beyond the 900 s target. */
	branch_advance(b, 120 + 60 * b->idx + 30 * b->day + (b->day % 2 ? 700 : 0));

	OK(b->t1, "{\"op\":\"window.open\",\"window\":1,\"lanes\":[\"counter\",\"express\"]}");
	OK(b->t2, "{\"op\":\"window.open\",\"window\":2,\"lanes\":[\"vip\",\"counter\"]}");

	/* Served at window 1. */
	served1 = call_next(b->t1);
	OK(b->t1, "{\"op\":\"ticket.start\",\"number\":\"%s\"}", served1);
	branch_advance(b, 240 + 20 * b->idx);
	OK(b->t1, "{\"op\":\"ticket.complete\",\"number\":\"%s\"}", served1);

	/* Called, recalled twice, gone. */
	n = call_next(b->t2);
	OK(b->t2, "{\"op\":\"ticket.recall\",\"number\":\"%s\"}", n);
	OK(b->t2, "{\"op\":\"ticket.recall\",\"number\":\"%s\"}", n);
	OK(b->t2, "{\"op\":\"ticket.no_show\",\"number\":\"%s\"}", n);

	/* Called, then sent to the express lane. */
	n = call_next(b->t2);
	OK(b->t2, "{\"op\":\"ticket.start\",\"number\":\"%s\"}", n);
	OK(b->t2, "{\"op\":\"ticket.transfer\",\"number\":\"%s\",\"to_lane\":\"express\"}", n);
	OK(b->t2, "{\"op\":\"window.pause\"}");
	branch_advance(b, 60);
	OK(b->t2, "{\"op\":\"window.resume\"}");
	/* Its lanes changed while open (window.lanes). */
	OK(b->t2, "{\"op\":\"window.open\",\"window\":2,\"lanes\":[\"counter\",\"vip\"]}");

	served2 = call_next(b->t1);
	OK(b->t1, "{\"op\":\"ticket.start\",\"number\":\"%s\"}", served2);
	branch_advance(b, 180 + 15 * b->day);
	OK(b->t1, "{\"op\":\"ticket.complete\",\"number\":\"%s\"}", served2);
	if ((n = call_next(b->t2)) != NULL) {
		OK(b->t2, "{\"op\":\"ticket.start\",\"number\":\"%s\"}", n);
		branch_advance(b, 90);
		OK(b->t2, "{\"op\":\"ticket.complete\",\"number\":\"%s\"}", n);
		OK(b->k, "{\"op\":\"survey.submit\",\"ticket\":\"%s\",\"score\":%d}", n,
		    (3 * b->day + b->idx) % 11);
	}

	/* Surveys: a promoter; a detractor on even days (a complaint for the
	 * duty supervisor), a passive on odd ones.  The reasons are free text. */
	OK(b->k, "{\"op\":\"survey.submit\",\"ticket\":\"%s\",\"score\":%d,"
	    "\"reason\":\"王五 02584561234 was kind\"}", served1, 10 - b->day % 2);
	OK(b->k, "{\"op\":\"survey.submit\",\"ticket\":\"%s\",\"score\":%d,"
	    "\"reason\":\"too slow\"}", served2, b->day % 2 ? 7 + b->idx % 2 : 2 + b->idx);

	/* A complaint through its recovery, closed the same day. */
	c1 = complaint_log(b->t1, hfmt("\"category\":\"wait_time\",\"severity\":2,"
	    "\"description\":\"张三丰 waited an hour, call 13812345678\",\"channel\":\"counter\","
	    "\"ticket\":\"%s\",\"customer\":{\"name\":\"张三丰\",\"phone\":\"13812345678\"}",
	    served1));
	OK(b->t1, "{\"op\":\"complaint.action\",\"complaint\":%lld,\"kind\":\"apology\","
	    "\"note\":\"sorry, 张三丰\"}", c1);
	OK(b->t1, "{\"op\":\"complaint.action\",\"complaint\":%lld,\"kind\":\"compensation\","
	    "\"note\":\"fee waived\",\"amount_fen\":%d}", c1, 5000 + 100 * b->idx);
	OK(b->t1, "{\"op\":\"complaint.resolve\",\"complaint\":%lld,\"resolution\":\"a third "
	    "window opens at ten\",\"root_cause\":\"system\"}", c1);
	OK(b->t1, "{\"op\":\"followup.record\",\"complaint\":%lld,\"outcome\":\"satisfied\","
	    "\"note\":\"called 13812345678\"}", c1);

	/* One left open: overdue tomorrow. */
	(void)complaint_log(b->l, "\"category\":\"environment\",\"severity\":1,"
	    "\"description\":\"no seats\",\"channel\":\"lobby\","
	    "\"customer\":{\"name\":\"李四光\",\"phone\":\"13987654321\"}");

	/* The machines down for a while: cash stays at the counter. */
	OK(b->l, "{\"op\":\"selfservice.set\",\"available\":false}");
	(void)issue_number(b->k, "cash_withdrawal", 90000, NULL);
	branch_advance(b, 300);
	OK(b->l, "{\"op\":\"selfservice.set\",\"available\":true}");
	OK(b->t2, "{\"op\":\"window.close\"}");
	OK(b->t1, "{\"op\":\"window.close\"}");
	/* No window open: to the machines, and expired at the day end. */
	(void)issue_number(b->k, "cash_withdrawal", 70000 + b->idx, NULL);
}

/* The size of the daemon's log now: log_has_since() looks after it. */
static long
log_size(struct branch *b)
{
	FILE	*f = fopen(b->d->d_log, "r");
	long	 n = 0;

	if (f != NULL && fseek(f, 0, SEEK_END) == 0)
		n = ftell(f);
	if (f != NULL)
		fclose(f);
	return n;
}

/* Whether the daemon logged s after offset. */
static bool
log_has_since(struct branch *b, long offset, const char *s)
{
	FILE	*f = fopen(b->d->d_log, "r");
	char	 line[4096];
	bool	 found = false;

	if (f == NULL)
		return false;
	if (fseek(f, offset, SEEK_SET) == 0)
		while (!found && fgets(line, sizeof line, f) != NULL)
			found = strstr(line, s) != NULL;
	fclose(f);
	return found;
}

/* The first line of the daemon's log holding s, or NULL. */
static const char *
log_line(struct branch *b, const char *s)
{
	FILE		*f = fopen(b->d->d_log, "r");
	char		 line[4096];
	const char	*found = NULL;

	if (f == NULL)
		return NULL;
	while (found == NULL && fgets(line, sizeof line, f) != NULL)
		if (strstr(line, s) != NULL)
			found = hfmt("%s", line);
	fclose(f);
	return found;
}

/* ---- what the branch says about head office ---- */

struct hq_seen {
	bool		present;	/* queue.snapshot has an "hq" object */
	long long	backlog, lag_s;
	bool		connected;
};

static struct hq_seen
snapshot_hq(struct branch *b)
{
	cJSON		*r = rq_ok(b->s, "{\"op\":\"queue.snapshot\"}");
	const cJSON	*hq = jget(r, "hq"), *c;
	struct hq_seen	 h;

	memset(&h, 0, sizeof h);
	if (hq != NULL && cJSON_IsObject(hq)) {
		h.present = true;
		h.backlog = jint(hq, "backlog");
		h.lag_s = jint(hq, "lag_s");
		c = jget(hq, "connected");
		h.connected = cJSON_IsTrue(c);
	}
	cJSON_Delete(r);
	return h;
}

/* A sample of /metrics without labels, or NAN when it is missing. */
static double
metric(struct branch *b, const char *name)
{
	struct hresp	*r = http_rq(b->d, "GET", "/metrics", .bearer = "S01");
	const char	*p, *line;
	size_t		 n = strlen(name);
	double		 v = NAN;

	expect_http_status(r, 200);
	for (line = r->hr_body; line != NULL && *line != '\0'; line = p + 1) {
		if (strncmp(line, name, n) == 0 && line[n] == ' ') {
			v = strtod(line + n + 1, NULL);
			break;
		}
		if ((p = strchr(line, '\n')) == NULL)
			break;
	}
	hresp_free(r);
	return v;
}

/* The highest seq the branch ever gave an event (pruned or not). */
static long long
branch_last_seq(struct branch *b)
{
	sqlite3		*db;
	sqlite3_stmt	*st;
	long long	 v = 0;

	if (sqlite3_open_v2(b->d->d_db, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
	    sqlite3_prepare_v2(db, "SELECT seq FROM sqlite_sequence WHERE name = 'hq_events'",
	    -1, &st, NULL) == SQLITE_OK) {
		if (sqlite3_step(st) == SQLITE_ROW)
			v = sqlite3_column_int64(st, 0);
		sqlite3_finalize(st);
	}
	sqlite3_close(db);
	return v;
}

/* What the branch recorded as acknowledged (hq_relay.acked_seq). */
static long long
branch_acked_seq(struct branch *b)
{
	sqlite3		*db;
	sqlite3_stmt	*st;
	long long	 v = -1;

	if (sqlite3_open_v2(b->d->d_db, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
	    sqlite3_prepare_v2(db, "SELECT acked_seq FROM hq_relay WHERE id = 1", -1, &st,
	    NULL) == SQLITE_OK) {
		if (sqlite3_step(st) == SQLITE_ROW)
			v = sqlite3_column_int64(st, 0);
		sqlite3_finalize(st);
	}
	sqlite3_close(db);
	return v;
}

/* Head office's mark for the branch (0 for a branch never seen). */
static long long
hq_mark(struct pg *pg, struct branch *b)
{
	long long	v = pg_int(pg, "SELECT hq_last_seq($1)", b->id);

	return v < 0 ? 0 : v;
}

/*
 * Waits until head office holds every event the branch wrote and the
 * branch knows it: backlog 0, connected.  Returns how long it took (ms).
 */
static int64_t
wait_caught_up(struct pg *pg, struct branch *b, const char *what)
{
	int64_t		start = mono_ms(), deadline = start + bound_ms(60000);
	long long	last, mark = 0;
	struct hq_seen	h;

	memset(&h, 0, sizeof h);
	for (;;) {
		last = branch_last_seq(b);
		if ((mark = hq_mark(pg, b)) == last) {
			h = snapshot_hq(b);
			expect_that(h.present, NULL, "%s: queue.snapshot has no \"hq\" object",
			    b->id);
			if (h.backlog == 0 && h.connected)
				break;
		}
		if (mono_ms() > deadline) {
			daemon_print_log(b->d);
			expect_that(false, NULL, "%s, %s: head office holds seq %lld of %lld, the "
			    "branch says backlog %lld, connected %d, after %lld ms", what, b->id,
			    mark, last, h.backlog, h.connected, (long long)(mono_ms() - start));
		}
		nap_ms(20);
	}
	printf("# %s: %s caught up to seq %lld in %lld ms\n", what, b->id, last,
	    (long long)(mono_ms() - start));
	return mono_ms() - start;
}

/* Waits until the relay says it is not connected. */
static void
wait_disconnected(struct branch *b, const char *what)
{
	int64_t		start = mono_ms(), deadline = start + bound_ms(60000);
	struct hq_seen	h;

	for (;;) {
		h = snapshot_hq(b);
		expect_that(h.present, NULL, "%s: queue.snapshot has no \"hq\" object", b->id);
		if (!h.connected)
			break;
		if (mono_ms() > deadline) {
			daemon_print_log(b->d);
			expect_that(false, NULL, "%s, %s: the relay still says connected after "
			    "%lld ms", what, b->id, (long long)(mono_ms() - start));
		}
		nap_ms(20);
	}
	printf("# %s: %s noticed in %lld ms (backlog %lld)\n", what, b->id,
	    (long long)(mono_ms() - start), h.backlog);
}

/* ---- the checks ---- */

/*
 * Every event of the branch's log is in head office's hq_events exactly
 * once, in order, without a gap: seqs 1..mark, each with the branch's kind,
 * time and payload (compared as JSON: jsonb orders keys its own way).
 */
static void
check_events(struct pg *pg, struct branch *b)
{
	sqlite3		*db;
	sqlite3_stmt	*st;
	PGresult	*r;
	cJSON		*mine, *theirs;
	long long	 last = branch_last_seq(b), seq, n, i = 0, first = -1;
	const char	*kind;

	r = pg_query(pg, "SELECT seq, kind, payload::text, "
	    "extract(epoch FROM occurred_at)::bigint FROM hq_events WHERE branch = $1 "
	    "ORDER BY seq", b->id);
	n = PQntuples(r);
	expect_that(n == last, NULL, "%s: head office holds %lld events, the branch wrote %lld",
	    b->id, n, last);
	for (i = 0; i < n; i++)
		expect_that(strtoll(PQgetvalue(r, (int)i, 0), NULL, 10) == i + 1, NULL,
		    "%s: head office's event %lld has seq %s (a gap or a duplicate)", b->id,
		    i + 1, PQgetvalue(r, (int)i, 0));
	expect_that(pg_int(pg, "SELECT count(*) - count(DISTINCT seq) FROM hq_events "
	    "WHERE branch = $1", b->id) == 0, NULL, "%s: an event twice in hq_events", b->id);

	if (sqlite3_open_v2(b->d->d_db, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, "SELECT seq, at, kind, payload FROM hq_events ORDER BY seq",
	    -1, &st, NULL) != SQLITE_OK)
		expect_that(false, NULL, "%s: cannot read %s: %s", b->id, b->d->d_db,
		    sqlite3_errmsg(db));
	i = 0;
	while (sqlite3_step(st) == SQLITE_ROW) {
		seq = sqlite3_column_int64(st, 0);
		if (first < 0)
			first = seq;
		/* Nothing is pruned within the test's days (keep_days 30). */
		expect_that(seq == first + i, NULL, "%s: the branch's log skips from %lld to %lld",
		    b->id, first + i - 1, seq);
		expect_that(seq >= 1 && seq <= n, NULL, "%s: event %lld never reached head office",
		    b->id, seq);
		kind = (const char *)sqlite3_column_text(st, 2);
		expect_that(strcmp(kind, PQgetvalue(r, (int)(seq - 1), 1)) == 0, NULL,
		    "%s: event %lld is %s at the branch, %s at head office", b->id, seq, kind,
		    PQgetvalue(r, (int)(seq - 1), 1));
		expect_that(sqlite3_column_int64(st, 1) ==
		    strtoll(PQgetvalue(r, (int)(seq - 1), 3), NULL, 10), NULL,
		    "%s: event %lld happened at %lld at the branch, %s at head office", b->id, seq,
		    (long long)sqlite3_column_int64(st, 1), PQgetvalue(r, (int)(seq - 1), 3));
		mine = cJSON_Parse((const char *)sqlite3_column_text(st, 3));
		theirs = cJSON_Parse(PQgetvalue(r, (int)(seq - 1), 2));
		if (mine == NULL || theirs == NULL || !cJSON_Compare(mine, theirs, true)) {
			print_error("branch:      %s\nhead office: %s\n",
			    (const char *)sqlite3_column_text(st, 3), PQgetvalue(r, (int)(seq - 1), 2));
			cJSON_Delete(mine);
			cJSON_Delete(theirs);
			expect_that(false, NULL, "%s: event %lld (%s): the payloads differ", b->id,
			    seq, kind);
		}
		cJSON_Delete(mine);
		cJSON_Delete(theirs);
		i++;
	}
	sqlite3_finalize(st);
	sqlite3_close(db);
	expect_that(first == 1 && i == n, NULL, "%s: the branch's log holds %lld events from "
	    "seq %lld, head office %lld", b->id, i, first, n);
	PQclear(r);
	printf("# %s: %lld events, seq 1 to %lld, each once and as the branch wrote it\n",
	    b->id, n, n);
}

/* A column of hq_branch_day against a number (or null) of report.summary. */
static void
expect_column(struct branch *b, const char *date, PGresult *r, const char *col,
    const cJSON *report, const char *path)
{
	const cJSON	*want = jget(report, path);
	int		 f = PQfnumber(r, col);
	double		 got;

	expect_that(f >= 0, NULL, "hq_branch_day has no column %s", col);
	expect_that(want != NULL, report, "report.summary has no %s", path);
	if (cJSON_IsNull(want)) {
		expect_that(PQgetisnull(r, 0, f), NULL, "%s %s: hq_branch_day.%s is %s, "
		    "report.summary's %s is null", b->id, date, col, PQgetvalue(r, 0, f), path);
		return;
	}
	expect_that(!PQgetisnull(r, 0, f), NULL, "%s %s: hq_branch_day.%s is null, "
	    "report.summary's %s is %.17g", b->id, date, col, path, want->valuedouble);
	got = strtod(PQgetvalue(r, 0, f), NULL);
	expect_that(got == want->valuedouble, NULL, "%s %s: hq_branch_day.%s is %s (%.17g), "
	    "report.summary's %s is %.17g", b->id, date, col, PQgetvalue(r, 0, f), got, path,
	    want->valuedouble);
}

/* hq_branch_day equals report.summary for each business day of the branch. */
static void
check_branch_days(struct pg *pg, struct branch *b)
{
	PGresult	*r;
	cJSON		*rep;
	const char	*date;
	int		 i;

	for (i = 0; i < b->ndates; i++) {
		date = b->dates[i];
		/* group=day: the day's waits pooled over every lane (groups[0]). */
		rep = rq_ok(b->s, "{\"op\":\"report.summary\",\"from\":\"%s\",\"to\":\"%s\","
		    "\"group\":\"day\"}", date, date);
		r = pg_query(pg, "SELECT * FROM hq_branch_day WHERE branch = $1 AND "
		    "business_date = $2", b->id, date);
		expect_that(PQntuples(r) == 1, rep, "%s %s: hq_branch_day has %d rows", b->id,
		    date, PQntuples(r));
		expect_column(b, date, r, "tickets", rep, "tickets.total");
		expect_column(b, date, r, "eligible", rep, "diversion.eligible");
		expect_column(b, date, r, "diverted", rep, "diversion.diverted");
		expect_column(b, date, r, "rerouted", rep, "diversion.rerouted_total");
		expect_column(b, date, r, "diversion_rate", rep, "diversion.rate");
		expect_column(b, date, r, "waiting_p50_s", rep, "groups.0.waiting.p50");
		expect_column(b, date, r, "waiting_p90_s", rep, "groups.0.waiting.p90");
		expect_column(b, date, r, "within_target", rep, "waiting.within_target");
		expect_column(b, date, r, "no_shows", rep, "no_show.total");
		expect_column(b, date, r, "complaints", rep, "complaints.total");
		expect_column(b, date, r, "nps_responses", rep, "nps.responses");
		expect_column(b, date, r, "nps_score", rep, "nps.score");
		printf("# %s %s: hq_branch_day = report.summary (%lld tickets, rate %s, p50 %s s, "
		    "p90 %s s, within %s, nps %s)\n", b->id, date, jint(rep, "tickets.total"),
		    PQgetvalue(r, 0, PQfnumber(r, "diversion_rate")),
		    PQgetvalue(r, 0, PQfnumber(r, "waiting_p50_s")),
		    PQgetvalue(r, 0, PQfnumber(r, "waiting_p90_s")),
		    PQgetvalue(r, 0, PQfnumber(r, "within_target")),
		    PQgetvalue(r, 0, PQfnumber(r, "nps_score")));
		PQclear(r);
		cJSON_Delete(rep);
	}
}

/* hq_followups holds every complaint of the branch as report.followups shows it. */
static void
check_followups(struct pg *pg, struct branch *b)
{
	cJSON		*rep = rq_ok(b->s, "{\"op\":\"report.followups\",\"status\":\"all\"}");
	const cJSON	*list = jget(rep, "complaints"), *c;
	PGresult	*r;
	char		 id[32];
	int		 n = 0;

	cJSON_ArrayForEach(c, list) {
		snprintf(id, sizeof id, "%lld", jint(c, "id"));
		r = pg_query(pg, "SELECT state, overdue::text, owner, first_responder, "
		    "severity::text, category, extract(epoch FROM follow_up_due)::bigint, overdue_s, "
		    "floor(extract(epoch FROM now() - follow_up_due))::bigint "
		    "FROM hq_followups WHERE branch = $1 AND complaint_id = $2", b->id, id);
		expect_that(PQntuples(r) == 1, c, "%s: complaint %s: %d rows in hq_followups",
		    b->id, id, PQntuples(r));
		expect_that(strcmp(PQgetvalue(r, 0, 0), jstr(c, "state")) == 0, c,
		    "%s: complaint %s is %s at head office", b->id, id, PQgetvalue(r, 0, 0));
		expect_that(strcmp(PQgetvalue(r, 0, 1), cJSON_IsTrue(jget(c, "overdue")) ?
		    "true" : "false") == 0, c, "%s: complaint %s: overdue %s at head office",
		    b->id, id, PQgetvalue(r, 0, 1));
		expect_that(strcmp(PQgetvalue(r, 0, 2), jstr(c, "owner")) == 0, c,
		    "%s: complaint %s: owner %s at head office", b->id, id, PQgetvalue(r, 0, 2));
		expect_that(strcmp(PQgetvalue(r, 0, 3), jstr(c, "first_responder")) == 0, c,
		    "%s: complaint %s: first responder %s at head office", b->id, id,
		    PQgetvalue(r, 0, 3));
		expect_that(strtoll(PQgetvalue(r, 0, 4), NULL, 10) == jint(c, "severity"), c,
		    "%s: complaint %s: severity %s at head office", b->id, id, PQgetvalue(r, 0, 4));
		expect_that(strcmp(PQgetvalue(r, 0, 5), jstr(c, "category")) == 0, c,
		    "%s: complaint %s: category %s at head office", b->id, id, PQgetvalue(r, 0, 5));
		expect_that(strtoll(PQgetvalue(r, 0, 6), NULL, 10) ==
		    rfc3339(jstr(c, "follow_up_due")), c, "%s: complaint %s: due %s at head office",
		    b->id, id, PQgetvalue(r, 0, 6));
		/* overdue_s runs on head office's clock (now()), not the test clock:
		 * now() - due while flagged and not closed (to the second), else 0. */
		if (cJSON_IsTrue(jget(c, "overdue")) && strcmp(jstr(c, "state"), "closed") != 0)
			expect_that(llabs(strtoll(PQgetvalue(r, 0, 7), NULL, 10) -
			    strtoll(PQgetvalue(r, 0, 8), NULL, 10)) <= 1, c,
			    "%s: complaint %s: overdue_s %s, now() - due %s", b->id, id,
			    PQgetvalue(r, 0, 7), PQgetvalue(r, 0, 8));
		else
			expect_that(strcmp(PQgetvalue(r, 0, 7), "0") == 0, c,
			    "%s: complaint %s: overdue_s %s though not overdue", b->id, id,
			    PQgetvalue(r, 0, 7));
		PQclear(r);
		n++;
	}
	expect_that(pg_int(pg, "SELECT count(*) FROM hq_followups WHERE branch = $1", b->id) ==
	    n, rep, "%s: hq_followups has other complaints than the branch's %d", b->id, n);
	cJSON_Delete(rep);
	printf("# %s: hq_followups = report.followups (%d complaints)\n", b->id, n);
}

/* No customer name or phone in the head-office database: all of it, dumped. */
static void
check_no_personal_data(struct pg *pg)
{
	char		*dump = NULL;
	size_t		 i;
	int		 rc;
	PGresult	*r;

	r = pg_query(pg, "SELECT count(*) FROM hq_events WHERE kind LIKE 'complaint.%'",
	    (const char *)NULL);
	expect_that(strtoll(PQgetvalue(r, 0, 0), NULL, 10) > 0, NULL,
	    "no complaint event reached head office");
	PQclear(r);
	for (i = 0; i < sizeof secrets / sizeof secrets[0]; i++)
		expect_that(pg_int(pg, "SELECT count(*) FROM hq_events WHERE strpos(payload::text, "
		    "$1) > 0", secrets[i]) == 0, NULL, "\"%s\" is in a payload at head office",
		    secrets[i]);
	for (i = 0; i < sizeof masked / sizeof masked[0]; i++)
		expect_that(pg_int(pg, "SELECT count(*) FROM hq_events WHERE strpos(payload::text, "
		    "$1) > 0", masked[i]) > 0, NULL, "the masked form \"%s\" is in no payload",
		    masked[i]);
	/* Every table, whatever the schema keeps besides the payloads. */
	rc = 0;
	{
		char	*argv_conn = (char *)pg_conninfo_socket(pg);
		FILE	*p;
		char	 cmd[512], buf[4096];
		size_t	 len = 0, cap = 0, k;

		snprintf(cmd, sizeof cmd, "/usr/lib/postgresql/15/bin/pg_dump --data-only "
		    "--dbname='%s' 2>&1", argv_conn);
		if ((p = popen(cmd, "r")) == NULL)
			expect_that(false, NULL, "popen(pg_dump) failed");
		while ((k = fread(buf, 1, sizeof buf, p)) > 0) {
			if (len + k + 1 > cap) {
				cap = (len + k + 1) * 2;
				if ((dump = realloc(dump, cap)) == NULL)
					abort();
			}
			memcpy(dump + len, buf, k);
			len += k;
		}
		rc = pclose(p);
		if (dump == NULL && (dump = calloc(1, 1)) == NULL)
			abort();
		dump[len] = '\0';
	}
	if (rc != 0) {
		print_error("%.2000s\n", dump);
		free(dump);
		expect_that(false, NULL, "pg_dump failed (%d)", rc);
	}
	for (i = 0; i < sizeof secrets / sizeof secrets[0]; i++)
		if (strstr(dump, secrets[i]) != NULL) {
			free(dump);
			expect_that(false, NULL, "\"%s\" is in the head-office database (pg_dump)",
			    secrets[i]);
		}
	printf("# no customer name or phone in the head-office database (%zu bytes dumped)\n",
	    strlen(dump));
	free(dump);
}

/* Backlog 0 and connected, in queue.snapshot and /metrics; the longest step printed. */
static void
check_idle(struct branch *b)
{
	struct hq_seen	h = snapshot_hq(b);
	double		backlog = metric(b, "branchq_hq_backlog");
	double		lag = metric(b, "branchq_hq_lag_seconds");
	double		conn = metric(b, "branchq_hq_connected");

	expect_that(h.present && h.backlog == 0 && h.lag_s == 0 && h.connected, NULL,
	    "%s: queue.snapshot's hq: backlog %lld, lag %lld, connected %d", b->id, h.backlog,
	    h.lag_s, h.connected);
	expect_that(backlog == 0, NULL, "%s: /metrics branchq_hq_backlog %g", b->id, backlog);
	expect_that(lag == 0, NULL, "%s: /metrics branchq_hq_lag_seconds %g", b->id, lag);
	expect_that(conn == 1, NULL, "%s: /metrics branchq_hq_connected %g", b->id, conn);
}

/* The longest the relay held the loop in one step, as /metrics tells it. */
static void
print_longest_step(struct branch *b, const char *when)
{
	double	s = metric(b, "branchq_hq_longest_step_seconds");

	if (isnan(s))
		printf("# %s: %s: /metrics has no branchq_hq_longest_step_seconds\n", b->id, when);
	else
		printf("# %s: %s: the relay's longest step on the loop: %.3f ms\n", b->id, when,
		    s * 1000.0);
}

/* ---- the scenarios ---- */

/*
 * Three branches, several business days, every failure of the contract,
 * then every check.  One test: each scenario builds on the days before.
 */
static void
test_three_branches(void **state)
{
	struct pg	*pg = pg_start(0);
	/* A proxy each: the network of one can be cut alone. */
	struct pg_proxy	*px[2] = { pg_proxy_start(pg->pg_port), pg_proxy_start(pg->pg_port) };
	struct branch	 br[3], *b;
	const char	*direct = pg_conninfo_tls(pg, 0, NULL), *now;
	long long	 mark0, mark1, acked, last, pending0;
	long		 logged[2];
	int64_t		 t0, deadline;
	int		 i, j;

	(void)state;
	/* Two branches reach head office through the proxy (the network that
	 * gets cut), one straight to it. */
	branch_start(&br[0], 0, "NJ-001", "Jiangsu", pg_conninfo_tls(pg, pg_proxy_port(px[0]),
	    NULL));
	branch_start(&br[1], 1, "NJ-002", "Jiangsu", pg_conninfo_tls(pg, pg_proxy_port(px[1]),
	    NULL));
	branch_start(&br[2], 2, "SH-001", "Shanghai", direct);

	/* (a) Day 1: every branch works and ships as it goes. */
	for (i = 0; i < 3; i++)
		day_work(&br[i]);
	for (i = 0; i < 3; i++)
		wait_caught_up(pg, &br[i], "day 1");
	for (i = 0; i < 3; i++)
		print_longest_step(&br[i], "day 1");
	for (i = 0; i < 3; i++)
		branch_next_day(&br[i]);

	/* (c) PostgreSQL stopped: the branches keep working, every reply ok
	 * (committed at the branch), the backlog grows. */
	pg_halt(pg);
	for (i = 0; i < 3; i++)
		wait_disconnected(&br[i], "PostgreSQL stopped");
	for (i = 0; i < 3; i++) {
		b = &br[i];
		day_work(b);
		/* Past day 1's open complaint's deadline: flagged overdue while
		 * head office is away. */
		branch_advance(b, 3600);
	}
	for (i = 0; i < 3; i++) {
		struct hq_seen h = snapshot_hq(&br[i]);

		expect_that(h.present && !h.connected && h.backlog > 0 && h.lag_s > 0, NULL,
		    "%s, PostgreSQL stopped: backlog %lld, lag %lld s, connected %d", br[i].id,
		    h.backlog, h.lag_s, h.connected);
		expect_that(metric(&br[i], "branchq_hq_backlog") == (double)h.backlog, NULL,
		    "%s: /metrics' backlog is not queue.snapshot's %lld", br[i].id, h.backlog);
		expect_that(metric(&br[i], "branchq_hq_connected") == 0, NULL,
		    "%s: /metrics says connected while PostgreSQL is stopped", br[i].id);
	}
	/* Stopped "for a while": longer than the relay's longest backoff. */
	nap_ms(1500);
	pg_resume(pg);
	/* The overdue follow-ups reach head office within seconds. */
	t0 = mono_ms();
	deadline = t0 + bound_ms(30000);
	for (i = 0; i < 3; i++) {
		while (pg_int(pg, "SELECT count(*) FROM hq_followups WHERE branch = $1 AND "
		    "overdue", br[i].id) < 1) {
			expect_that(mono_ms() < deadline, NULL, "%s: no overdue follow-up in "
			    "hq_followups %lld ms after PostgreSQL came back", br[i].id,
			    (long long)(mono_ms() - t0));
			nap_ms(20);
		}
		printf("# %s: its overdue follow-up was in hq_followups %lld ms after "
		    "PostgreSQL came back\n", br[i].id, (long long)(mono_ms() - t0));
	}
	for (i = 0; i < 3; i++)
		wait_caught_up(pg, &br[i], "PostgreSQL back");
	for (i = 0; i < 3; i++)
		print_longest_step(&br[i], "after catching up with PostgreSQL back");

	/* (d) The network cut: connections stay open, nothing answers.  The
	 * relay's timeout notices on the two behind the proxy; the third
	 * ships on. */
	for (i = 0; i < 2; i++) {
		logged[i] = log_size(&br[i]);
		pg_proxy_blackhole(px[i], true);
	}
	for (i = 0; i < 3; i++) {
		b = &br[i];
		(void)issue_number(b->k, "loan", 0, NULL);
		(void)issue_number(b->k, "cash_withdrawal", 150000, NULL);
		OK(b->l, "{\"op\":\"selfservice.set\",\"available\":false}");
		OK(b->l, "{\"op\":\"selfservice.set\",\"available\":true}");
	}
	wait_disconnected(&br[0], "network cut");
	wait_disconnected(&br[1], "network cut");
	wait_caught_up(pg, &br[2], "network cut (SH-001 goes straight)");
	for (i = 0; i < 2; i++) {
		struct hq_seen h = snapshot_hq(&br[i]);

		expect_that(h.backlog > 0, NULL, "%s, network cut: backlog %lld", br[i].id,
		    h.backlog);
		/* The relay's timeout, not a refusal, noticed (src/hq.c's words). */
		expect_that(log_has_since(&br[i], logged[i], "no answer within"), NULL,
		    "%s: the relay logged no timeout", br[i].id);
	}
	for (i = 0; i < 2; i++)
		pg_proxy_blackhole(px[i], false);
	for (i = 0; i < 3; i++)
		wait_caught_up(pg, &br[i], "network restored");

	/* (b) kill -9 with a batch in flight: the network cut, events made,
	 * the batch sent into the cut (its bytes wait at the proxy), the
	 * daemon killed.  The network restored, head office commits that
	 * batch, but the branch never heard: its acknowledgement is lost.
	 * Restarted on the same file, the relay must resume from head
	 * office's mark and send nothing twice. */
	b = &br[1];
	mark0 = hq_mark(pg, b);
	pg_proxy_blackhole(px[1], true);
	pending0 = pg_proxy_pending(px[1]);
	for (j = 0; j < 12; j++)
		(void)issue_number(b->k, "other", 0, NULL);
	t0 = mono_ms();
	deadline = t0 + bound_ms(20000);
	while (pg_proxy_pending(px[1]) <= pending0) {
		expect_that(mono_ms() < deadline, NULL, "%s: no batch reached the cut network "
		    "in %lld ms", b->id, (long long)(mono_ms() - t0));
		nap_ms(2);
	}
	now = branch_now(b);
	daemon_kill(b->d);
	acked = branch_acked_seq(b);
	last = branch_last_seq(b);
	pg_proxy_blackhole(px[1], false);
	/* The batch lands after the branch died. */
	deadline = mono_ms() + bound_ms(20000);
	while ((mark1 = hq_mark(pg, b)) == mark0) {
		expect_that(mono_ms() < deadline, NULL, "%s: the batch in flight never reached "
		    "head office (mark %lld)", b->id, mark1);
		nap_ms(10);
	}
	printf("# kill -9 in flight: %s had written up to seq %lld and recorded %lld as "
	    "acknowledged; head office committed up to %lld after it died\n", b->id, last, acked,
	    mark1);
	expect_that(acked < mark1 && mark1 < last, NULL, "%s: acked %lld, head office %lld, "
	    "written %lld: not a batch in flight", b->id, acked, mark1, last);
	branch_restart(b, now);
	wait_caught_up(pg, b, "restarted after kill -9 in flight");

	/* (b) kill -9 once the backlog is partly shipped: many events at once
	 * (pipelined), the daemon killed as soon as head office's mark moves. */
	b = &br[2];
	mark0 = hq_mark(pg, b);
	{
		char	*burst = NULL;
		size_t	 len = 0;
		int	 k, nreq = 60;

		for (k = 0; k < nreq; k++) {
			const char *line = hfmt("{\"op\":\"ticket.issue\",\"service\":\"loan\","
			    "\"id\":%d}\n", k);

			burst = realloc(burst, len + strlen(line) + 1);
			if (burst == NULL)
				abort();
			memcpy(burst + len, line, strlen(line) + 1);
			len += strlen(line);
		}
		send_raw(b->k, burst, len);
		free(burst);
		for (k = 0; k < nreq; k++) {
			cJSON	*r = read_reply(b->k, reply_timeout_ms());

			expect_that(r != NULL && cJSON_IsTrue(jget(r, "ok")), r,
			    "%s: ticket %d of the burst", b->id, k);
			cJSON_Delete(r);
		}
	}
	t0 = mono_ms();
	deadline = t0 + bound_ms(20000);
	while ((mark1 = hq_mark(pg, b)) == mark0) {
		expect_that(mono_ms() < deadline, NULL, "%s: nothing of the burst shipped in "
		    "%lld ms", b->id, (long long)(mono_ms() - t0));
	}
	now = branch_now(b);
	daemon_kill(b->d);
	last = branch_last_seq(b);
	mark1 = hq_mark(pg, b);
	printf("# kill -9 mid-backlog: %s killed with %lld of its %lld events at head office "
	    "(%lld of the burst's)\n", b->id, mark1, last, mark1 - mark0);
	branch_restart(b, now);
	wait_caught_up(pg, b, "restarted after kill -9 mid-backlog");

	/* Day 3, and its end: everything expires or closes. */
	for (i = 0; i < 3; i++) {
		branch_next_day(&br[i]);
		day_work(&br[i]);
		branch_next_day(&br[i]);
	}
	for (i = 0; i < 3; i++)
		wait_caught_up(pg, &br[i], "day 3");

	/* Every check, for every branch. */
	for (i = 0; i < 3; i++) {
		check_events(pg, &br[i]);
		check_branch_days(pg, &br[i]);
		check_followups(pg, &br[i]);
		check_idle(&br[i]);
		print_longest_step(&br[i], "at the end");
	}
	check_no_personal_data(pg);
	/* The scenario made every kind it claims to, and each reached head office. */
	for (i = 0; i < (int)(sizeof kinds / sizeof kinds[0]); i++)
		expect_that(pg_int(pg, "SELECT count(*) FROM hq_events WHERE kind = $1",
		    kinds[i]) > 0, NULL, "no %s event at head office", kinds[i]);
	expect_that(pg_int(pg, "SELECT count(*) FROM hq_branches WHERE (branch, region) IN "
	    "(('NJ-001', 'Jiangsu'), ('NJ-002', 'Jiangsu'), ('SH-001', 'Shanghai'))",
	    (const char *)NULL) == 3, NULL, "hq_branches does not list the three branches "
	    "with their regions");
	for (i = 0; i < 3; i++)
		expect_that(pg_int(pg, "SELECT last_seq FROM hq_branches WHERE branch = $1",
		    br[i].id) == branch_last_seq(&br[i]), NULL, "%s: hq_branches.last_seq",
		    br[i].id);
	/* SIGTERM with the relay connected: exit 0 (and no leak under
	 * valgrind or LeakSanitizer). */
	for (i = 0; i < 3; i++)
		daemon_stop(br[i].d);
}

/*
 * sslmode=verify-full: a server whose certificate the configured CA did
 * not sign is refused (logged; not connected; nothing shipped), and the
 * relay recovers when SIGHUP points it at the right CA.
 */
static void
test_verify_full_refuses_unknown_ca(void **state)
{
	struct pg	*pg = pg_start(0);
	struct tls_pki	 other;
	struct branch	 b;
	int64_t		 t0, deadline;

	(void)state;
	tls_pki_make(&other, "other");
	branch_start(&b, 0, "NJ-009", "Jiangsu", pg_conninfo_tls(pg, 0, other.tp_ca));
	day_work(&b);
	/* It tries, and refuses what it is shown. */
	t0 = mono_ms();
	deadline = t0 + bound_ms(20000);
	while (!daemon_log_contains(b.d, "certificate verify failed")) {
		expect_that(mono_ms() < deadline, NULL, "no log line about the server's "
		    "certificate within %lld ms", (long long)(mono_ms() - t0));
		nap_ms(20);
	}
	printf("# wrong CA: %s", log_line(&b, "certificate verify failed"));
	{
		struct hq_seen h = snapshot_hq(&b);

		expect_that(h.present && !h.connected && h.backlog > 0, NULL,
		    "wrong CA: backlog %lld, connected %d", h.backlog, h.connected);
	}
	expect_that(metric(&b, "branchq_hq_connected") == 0, NULL, "/metrics says connected");
	expect_that(pg_int(pg, "SELECT count(*) FROM hq_events WHERE branch = 'NJ-009'",
	    (const char *)NULL) == 0, NULL, "events reached a server the relay should refuse");
	expect_that(metric(&b, "branchq_hq_failures_total") >= 1, NULL,
	    "/metrics counts no failure");
	print_longest_step(&b, "refusing the server");

	/* The right CA, on SIGHUP. */
	config_rewrite(b.d, hq_config(pg_conninfo_tls(pg, 0, NULL), "Jiangsu"));
	expect_that(daemon_reload(b.d), NULL, "SIGHUP with the right CA was refused");
	wait_caught_up(pg, &b, "the right CA");
	check_events(pg, &b);
	check_idle(&b);
	daemon_stop(b.d);
}

/* The harness's own: the cluster answers over TLS and the proxy cuts and restores. */
static void
test_cluster_and_proxy(void **state)
{
	struct pg	*pg = pg_start(0);
	struct pg_proxy	*px = pg_proxy_start(pg->pg_port);
	PGconn		*c;
	PGresult	*r;
	char		*v;

	(void)state;
	/* branchq hq migrate recorded what it applied (not psql's HQ_MIGRATE_SQL_DIR). */
	if (getenv("HQ_MIGRATE_SQL_DIR") == NULL) {
		v = pg_value(pg, "SELECT count(*) FROM hq_schema_migrations", (const char *)NULL);
		expect_that(v != NULL && atoi(v) >= 1, NULL, "no migration recorded");
		free(v);
	}
	expect_that(pg_int(pg, "SELECT hq_last_seq('nobody')", (const char *)NULL) == -1, NULL,
	    "hq_last_seq of a branch never seen is not NULL");

	/* Over TCP through the proxy, TLS verified against the cluster's CA. */
	c = PQconnectdb(hfmt("%s connect_timeout=10", pg_conninfo_tls(pg,
	    pg_proxy_port(px), NULL)));
	expect_that(PQstatus(c) == CONNECTION_OK, NULL, "through the proxy: %s",
	    PQerrorMessage(c));
	expect_that(PQgetssl(c) != NULL || PQsslInUse(c), NULL, "no TLS");
	r = PQexec(c, "SELECT 1");
	expect_that(PQresultStatus(r) == PGRES_TUPLES_OK, NULL, "%s", PQerrorMessage(c));
	PQclear(r);

	/* Cut: the open connection gets no answer, a new one no handshake. */
	pg_proxy_blackhole(px, true);
	expect_that(PQsendQuery(c, "SELECT 2") == 1, NULL, "%s", PQerrorMessage(c));
	nap_ms(300);
	expect_that(PQconsumeInput(c) == 1 && PQisBusy(c), NULL, "an answer through a cut "
	    "network");
	{
		PGconn *c2 = PQconnectdb(hfmt("%s connect_timeout=1",
		    pg_conninfo_tls(pg, pg_proxy_port(px), NULL)));

		expect_that(PQstatus(c2) != CONNECTION_OK, NULL, "connected through a cut network");
		PQfinish(c2);
	}
	/* Restored: the answer that waited arrives. */
	pg_proxy_blackhole(px, false);
	r = PQgetResult(c);
	expect_that(PQresultStatus(r) == PGRES_TUPLES_OK && strcmp(PQgetvalue(r, 0, 0), "2") == 0,
	    NULL, "after the cut: %s", PQerrorMessage(c));
	PQclear(r);
	while ((r = PQgetResult(c)) != NULL)
		PQclear(r);
	PQfinish(c);

	/* Stopped and started again on the same port. */
	pg_halt(pg);
	pg_resume(pg);
	expect_that(pg_int(pg, "SELECT 41 + 1", (const char *)NULL) == 42, NULL, "after restart");
}

static int
teardown(void **state)
{
	harness_teardown(state);
	pg_teardown();
	return 0;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_cluster_and_proxy, teardown),
		cmocka_unit_test_teardown(test_verify_full_refuses_unknown_ca, teardown),
		cmocka_unit_test_teardown(test_three_branches, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
