/*
 * End-to-end: database faults for real.  The daemon under --test-clock runs
 * SQLite through a VFS shim (src/faultvfs.c) that test.fault switches: a
 * full disk (SQLITE_FULL), an I/O error on write (SQLITE_IOERR_WRITE), an
 * fsync that fails (SQLITE_IOERR_FSYNC), a medium that refuses writes
 * (SQLITE_READONLY).  For each: every change is refused with `unavailable`
 * and nothing of it reaches memory or the database file; reads answer;
 * deadlines that fall due meanwhile are redone once the fault clears; the
 * daemon serves changes again by itself, numbering without gaps; a restart
 * keeps everything acknowledged.  Where the test may mount file systems
 * (root in a private mount namespace), the same on a real full disk: a small
 * tmpfs filled to the last block.  Also: a read-only database at start-up
 * is one line on stderr and exit status 2.
 */
#define _GNU_SOURCE	/* unshare(2) */

#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "harness.h"

#define DAY		(24 * 3600)
#define RETRY_S		10	/* the daemon retries refused deadline work this often */
/* A receiver that refuses connections: delivery attempts fail and are recorded. */
#define WEBHOOKS	"\"webhooks\":[{\"url\":\"http://127.0.0.1:9/h\",\"secret\":\"s\"," \
			"\"events\":[\"complaint.logged\",\"followup.overdue\",\"survey.detractor\"]}]"
#define LOG_REQ		"{\"op\":\"complaint.log\",\"category\":\"fees\",\"severity\":2," \
			"\"description\":\"charged twice\",\"channel\":\"counter\"}"

static const char *const fault_kinds[] = { "disk_full", "io_error", "fsync_error", "readonly" };
#define NFAULTS	(sizeof fault_kinds / sizeof fault_kinds[0])

/* ---- helpers ---- */

/* test.fault; returns how many database calls the previous fault made fail. */
static long long
set_fault(struct conn *s, const char *fault)
{
	cJSON		*r = rq_ok(s, "{\"op\":\"test.fault\",\"fault\":\"%s\"}", fault);
	long long	 n;

	expect_str(r, "fault", fault);
	n = jint(r, "injected");
	cJSON_Delete(r);
	return n;
}

/* The request is refused with unavailable and a message that says why. */
static void
refused(struct conn *c, const char *req)
{
	cJSON		*r = rq(c, "%s", req);
	const char	*msg = jstr(r, "error.message");

	expect_error(r, "unavailable");
	expect_that(msg != NULL && strstr(msg, "database cannot be written") != NULL &&
	    (strstr(msg, "nothing was changed") != NULL ||
	    strstr(msg, "no ticket was issued") != NULL), r,
	    "the message should say the database cannot be written and nothing changed");
	cJSON_Delete(r);
}

static void
append(char **buf, size_t *len, size_t *cap, const char *s)
{
	size_t	n = strlen(s);

	if (*len + n + 1 > *cap) {
		*cap = (*len + n + 1) * 2;
		if ((*buf = realloc(*buf, *cap)) == NULL)
			abort();
	}
	memcpy(*buf + *len, s, n + 1);
	*len += n;
}

/*
 * Everything a change could write, as text, read from the database file by
 * another connection (it sees what is committed).  Webhook attempt
 * bookkeeping is left out: attempts run by themselves.  Caller frees.
 */
static char *
db_dump(struct daemon *d)
{
	static const char *const queries[] = {
		"SELECT * FROM tickets ORDER BY id",
		"SELECT * FROM ticket_events ORDER BY id",
		"SELECT * FROM windows ORDER BY number",
		"SELECT * FROM settings ORDER BY key",
		"SELECT * FROM complaints ORDER BY id",
		"SELECT * FROM complaint_actions ORDER BY id",
		"SELECT * FROM surveys ORDER BY rowid",
		"SELECT * FROM outbox ORDER BY id",
		"SELECT id, outbox_id, receiver, delivery_key, created_at FROM deliveries ORDER BY id",
	};
	sqlite3		*db;
	sqlite3_stmt	*st;
	char		*buf = NULL;
	const char	*v;
	size_t		 len = 0, cap = 0, i;
	int		 col, rc;

	append(&buf, &len, &cap, "");
	if (sqlite3_open_v2(d->d_db, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK)
		fail_msg("cannot open %s: %s", d->d_db, sqlite3_errmsg(db));
	for (i = 0; i < sizeof queries / sizeof queries[0]; i++) {
		if (sqlite3_prepare_v2(db, queries[i], -1, &st, NULL) != SQLITE_OK)
			fail_msg("%s: %s", queries[i], sqlite3_errmsg(db));
		append(&buf, &len, &cap, queries[i]);
		append(&buf, &len, &cap, ":\n");
		while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
			for (col = 0; col < sqlite3_column_count(st); col++) {
				v = (const char *)sqlite3_column_text(st, col);
				append(&buf, &len, &cap, v != NULL ? v : "NULL");
				append(&buf, &len, &cap, "|");
			}
			append(&buf, &len, &cap, "\n");
		}
		if (rc != SQLITE_DONE)
			fail_msg("%s: %s", queries[i], sqlite3_errmsg(db));
		sqlite3_finalize(st);
	}
	sqlite3_close(db);
	return buf;
}

/* The database holds exactly what it held before. */
static void
expect_same_dump(const char *before, const char *after, const char *what)
{
	size_t	i;

	if (strcmp(before, after) == 0)
		return;
	for (i = 0; before[i] == after[i]; i++)
		;
	while (i > 0 && before[i - 1] != '\n')
		i--;
	fail_msg("%s: the database changed; first difference:\nbefore: %.300s\nafter:  %.300s",
	    what, before + i, after + i);
}

static long long
db_count(struct daemon *d, const char *sql)
{
	sqlite3		*db;
	sqlite3_stmt	*st;
	long long	 n = -1;

	if (sqlite3_open_v2(d->d_db, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK)
		fail_msg("cannot open %s: %s", d->d_db, sqlite3_errmsg(db));
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		fail_msg("%s: %s", sql, sqlite3_errmsg(db));
	if (sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return n;
}

/*
 * Waits until the fault makes a database call fail with no request behind
 * it (deadline or webhook work); test.fault with the same fault again
 * reads and resets the count without changing anything else.
 */
static void
wait_injected(struct conn *s, const char *fault)
{
	int	waited;

	for (waited = 0; waited < reply_timeout_ms(); waited += 20) {
		if (set_fault(s, fault) > 0)
			return;
		usleep(20 * 1000);
	}
	fail_msg("no database call failed under %s without a request", fault);
}

static void
expect_status(struct conn *c, const char *number, const char *status)
{
	cJSON	*tk = ticket_status(c, number);

	expect_str(tk, "status", status);
	cJSON_Delete(tk);
}

static void
expect_db_status(struct daemon *d, const char *date, const char *number, const char *want)
{
	char	*st = db_ticket_status(d, date, number);

	expect_that(st != NULL && strcmp(st, want) == 0, NULL,
	    "%s %s on disk should be %s, is %s", date, number, want, st ? st : "(none)");
	free(st);
}

static void
issue_expect(struct conn *k, const char *number)
{
	cJSON	*tk = issue(k, "loan", 0, NULL);

	expect_str(tk, "number", number);
	cJSON_Delete(tk);
}

/* ---- every write refused, nothing written, reads answer, recovery ---- */

static void
test_each_fault_refuses_every_change(void **state)
{
	struct daemon_opts	 opts = { .extra_config = WEBHOOKS };
	struct daemon		*d = daemon_start(&opts);
	struct conn		*k = login(d, "K01"), *t = login(d, "T01"), *t2 = login(d, "T02");
	struct conn		*l = login(d, "L01"), *s = login(d, "S01");
	struct conn		*disp = login(d, "D01");
	cJSON			*r, *ev;
	char			*before, *after, number[32];
	size_t			 i;
	int			 next = 3;

	(void)state;
	/* A001 served to the end, A002 waiting, window 1 open, complaint 1 open */
	issue_expect(k, "A001");
	cJSON_Delete(rq_ok(t, "{\"op\":\"window.open\",\"window\":1,\"lanes\":[\"counter\"]}"));
	r = rq_ok(t, "{\"op\":\"ticket.call_next\"}");
	expect_str(r, "ticket.number", "A001");
	cJSON_Delete(r);
	cJSON_Delete(rq_ok(t, "{\"op\":\"ticket.start\",\"number\":\"A001\"}"));
	cJSON_Delete(rq_ok(t, "{\"op\":\"ticket.complete\",\"number\":\"A001\"}"));
	issue_expect(k, "A002");
	r = rq_ok(l, LOG_REQ);
	expect_int(r, "complaint.id", 1);
	cJSON_Delete(r);
	cJSON_Delete(rq_ok(disp, "{\"op\":\"subscribe\",\"topics\":[\"calls\"]}"));

	for (i = 0; i < NFAULTS; i++) {
		print_message("fault %s\n", fault_kinds[i]);
		before = db_dump(d);
		expect_that(set_fault(s, fault_kinds[i]) == 0, NULL,
		    "no database call fails without a fault");

		/* A webhook retry falls due: its bookkeeping write is refused
		 * too, and the daemon carries on (the attempt is made again
		 * later; the deliveries are compared below). */
		advance(s, 3600);
		wait_injected(s, fault_kinds[i]);

		refused(k, "{\"op\":\"ticket.issue\",\"service\":\"loan\"}");
		refused(k, "{\"op\":\"ticket.issue\",\"service\":\"cash_withdrawal\",\"amount_fen\":100000}");
		refused(t, "{\"op\":\"ticket.call_next\"}");
		refused(t2, "{\"op\":\"window.open\",\"window\":2,\"lanes\":[\"counter\"]}");
		refused(t, "{\"op\":\"window.pause\"}");
		refused(t, "{\"op\":\"window.close\"}");
		refused(l, "{\"op\":\"ticket.cancel\",\"number\":\"A002\"}");
		refused(l, "{\"op\":\"ticket.reroute\",\"number\":\"A002\",\"to_lane\":\"express\","
		    "\"reason\":\"other\"}");
		refused(l, "{\"op\":\"selfservice.set\",\"available\":false}");
		refused(l, LOG_REQ);
		refused(l, "{\"op\":\"complaint.action\",\"id\":1,\"kind\":\"compensation\","
		    "\"note\":\"fee back\",\"amount_fen\":1000}");
		refused(l, "{\"op\":\"complaint.reassign\",\"id\":1,\"to_staff\":\"E9001\","
		    "\"reason\":\"authority\"}");
		refused(l, "{\"op\":\"complaint.resolve\",\"id\":1,\"resolution\":\"refunded\","
		    "\"root_cause\":\"system\"}");
		refused(l, "{\"op\":\"followup.record\",\"id\":1,\"outcome\":\"satisfied\","
		    "\"note\":\"happy\"}");
		refused(k, "{\"op\":\"survey.submit\",\"ticket\":\"A001\",\"score\":2,"
		    "\"reason\":\"slow\"}");

		/* Reads answer, and show that nothing changed. */
		expect_status(k, "A001", "done");
		r = ticket_status(k, "A002");
		expect_str(r, "status", "waiting");
		expect_str(r, "lane", "counter");
		expect_int(r, "position", 1);
		cJSON_Delete(r);
		r = rq_ok(t, "{\"op\":\"queue.snapshot\"}");
		expect_int(r, "lanes.counter.waiting", next - 2);	/* A002 on */
		expect_int(r, "lanes.counter.open_windows", 1);
		expect_bool(r, "self_service_available", true);
		expect_int(r, "windows.0.window", 1);
		expect_str(r, "windows.0.state", "open");
		expect_null(r, "windows.0.current");
		expect_that(cJSON_GetArraySize(jget(r, "windows")) == 1, r, "one window is open");
		cJSON_Delete(r);
		r = rq_ok(l, "{\"op\":\"complaint.get\",\"id\":1}");
		expect_str(r, "complaint.state", "open");
		expect_str(r, "complaint.owner", "E2001");
		expect_int(r, "complaint.compensation_fen", 0);
		expect_that(cJSON_GetArraySize(jget(r, "complaint.actions")) == 1, r,
		    "only the logged line is in the history");
		cJSON_Delete(r);
		r = rq_ok(s, "{\"op\":\"report.followups\",\"status\":\"all\"}");
		expect_int(r, "total", 1);
		cJSON_Delete(r);
		rq_err(k, "not_found", "{\"op\":\"ticket.status\",\"number\":\"A%03d\"}", next);
		/* A refused call is not announced. */
		ev = next_event_named(disp, "ticket.called", 100);
		expect_that(ev == NULL, ev, "a refused call was announced");

		/* Nothing of it is on disk. */
		after = db_dump(d);
		expect_same_dump(before, after, fault_kinds[i]);
		free(before);
		free(after);

		/* The fault was really in the path; once it clears, the next
		 * request is served, and no number was used up. */
		expect_that(set_fault(s, "none") > 0, NULL,
		    "the %s fault made no database call fail", fault_kinds[i]);
		snprintf(number, sizeof number, "A%03d", next++);
		issue_expect(k, number);
	}

	/* Every kind of change works again, complaints numbered on. */
	r = rq_ok(k, "{\"op\":\"survey.submit\",\"ticket\":\"A001\",\"score\":2,\"reason\":\"slow\"}");
	expect_int(r, "complaint.id", 2);
	cJSON_Delete(r);
	r = rq_ok(l, LOG_REQ);
	expect_int(r, "complaint.id", 3);
	cJSON_Delete(r);
	cJSON_Delete(rq_ok(l, "{\"op\":\"complaint.action\",\"id\":1,\"kind\":\"compensation\","
	    "\"note\":\"fee back\",\"amount_fen\":1000}"));
	cJSON_Delete(rq_ok(l, "{\"op\":\"ticket.reroute\",\"number\":\"A002\",\"to_lane\":\"express\","
	    "\"reason\":\"other\"}"));
	cJSON_Delete(rq_ok(t2, "{\"op\":\"window.open\",\"window\":2,\"lanes\":[\"express\"]}"));
	r = rq_ok(t2, "{\"op\":\"ticket.call_next\"}");
	expect_str(r, "ticket.number", "A002");
	cJSON_Delete(r);
	ev = next_event_named(disp, "ticket.called", reply_timeout_ms());
	expect_that(ev != NULL, NULL, "the call once the fault cleared is announced");
	expect_str(ev, "number", "A002");
	cJSON_Delete(ev);
	cJSON_Delete(rq_ok(l, "{\"op\":\"selfservice.set\",\"available\":false}"));
	expect_that(db_count(d, "SELECT count(*) FROM tickets") == next - 1, NULL,
	    "%d tickets on disk", next - 1);

	/* A restart keeps everything acknowledged, and only that. */
	daemon_stop(d);
	daemon_restart(d);
	k = login(d, "K01");
	l = login(d, "L01");
	expect_status(k, "A001", "done");
	expect_status(k, "A002", "called");
	for (i = 3; i < (size_t)next; i++) {
		snprintf(number, sizeof number, "A%03zu", i);
		expect_status(k, number, "waiting");
	}
	snprintf(number, sizeof number, "A%03d", next);
	issue_expect(k, number);
	r = rq_ok(l, "{\"op\":\"complaint.get\",\"id\":1}");
	expect_int(r, "complaint.compensation_fen", 1000);
	cJSON_Delete(r);
	rq_err(l, "not_found", "{\"op\":\"complaint.get\",\"id\":4}");
	r = rq_ok(k, "{\"op\":\"queue.snapshot\"}");
	expect_bool(r, "self_service_available", false);
	cJSON_Delete(r);
	expect_that(db_count(d, "SELECT count(*) FROM surveys") == 1, NULL, "one survey");
	daemon_stop(d);
}

/* ---- deadlines that fall due during a fault are redone after it ---- */

static void
test_followup_deadline_during_fault(void **state)
{
	struct daemon_opts	 opts = { .extra_config = "\"follow_up_hours\":1" };
	struct daemon		*d = daemon_start(&opts);
	struct conn		*l = login(d, "L01"), *s = login(d, "S01");
	cJSON			*r, *ev;
	size_t			 i;

	(void)state;
	cJSON_Delete(rq_ok(s, "{\"op\":\"subscribe\",\"topics\":[\"followups\"]}"));
	for (i = 0; i < NFAULTS; i++) {
		print_message("fault %s\n", fault_kinds[i]);
		r = rq_ok(l, LOG_REQ);
		expect_int(r, "complaint.id", (long long)i + 1);
		cJSON_Delete(r);
		drain_events(s, 50);
		set_fault(s, fault_kinds[i]);
		advance(s, 3600 + 1);		/* the follow-up falls due, refused */
		r = rq_ok(l, "{\"op\":\"complaint.get\",\"id\":%zu}", i + 1);
		expect_bool(r, "complaint.overdue", false);
		cJSON_Delete(r);
		expect_that(db_count(d, "SELECT count(*) FROM complaints WHERE overdue = 1") ==
		    (long long)i, NULL, "nothing marked overdue on disk during the fault");
		expect_that(next_event_named(s, "followup.overdue", 200) == NULL, NULL,
		    "no followup.overdue event for a refused change");
		advance(s, RETRY_S);		/* still refused: retried again later */
		expect_that(db_count(d, "SELECT count(*) FROM complaints WHERE overdue = 1") ==
		    (long long)i, NULL, "nothing marked overdue during the fault");
		expect_that(set_fault(s, "none") > 0, NULL, "the fault made no call fail");

		/* Cleared: the retry marks it, with its history line and event. */
		advance(s, RETRY_S);
		ev = next_event_named(s, "followup.overdue", reply_timeout_ms());
		expect_that(ev != NULL, NULL, "followup.overdue after the fault cleared");
		expect_int(ev, "id", (long long)i + 1);
		cJSON_Delete(ev);
		r = rq_ok(l, "{\"op\":\"complaint.get\",\"id\":%zu}", i + 1);
		expect_bool(r, "complaint.overdue", true);
		expect_str(r, "complaint.actions.1.kind", "overdue");
		expect_that(cJSON_GetArraySize(jget(r, "complaint.actions")) == 2, r,
		    "logged and overdue, once");
		cJSON_Delete(r);
	}
	daemon_stop(d);
	daemon_restart(d);
	l = login(d, "L01");
	for (i = 0; i < NFAULTS; i++) {
		r = rq_ok(l, "{\"op\":\"complaint.get\",\"id\":%zu}", i + 1);
		expect_bool(r, "complaint.overdue", true);
		cJSON_Delete(r);
	}
	daemon_stop(d);
}

static void
test_day_end_during_fault(void **state)
{
	struct daemon	*d = daemon_start(NULL);
	struct conn	*k = login(d, "K01"), *s = login(d, "S01"), *t = login(d, "T01");
	cJSON		*r;

	(void)state;
	issue_expect(k, "A001");
	issue_expect(k, "A002");
	cJSON_Delete(rq_ok(t, "{\"op\":\"window.open\",\"window\":1,\"lanes\":[\"counter\"]}"));

	/* Midnight passes on a full disk: the expiry is refused, and retried. */
	set_fault(s, "disk_full");
	advance(s, H_TO_DAY_END + 1);
	expect_db_status(d, "2026-11-23", "A001", "waiting");
	advance(s, RETRY_S);
	expect_db_status(d, "2026-11-23", "A001", "waiting");
	/* Today's numbering starts again even so; the issue itself is refused. */
	refused(k, "{\"op\":\"ticket.issue\",\"service\":\"loan\"}");
	refused(t, "{\"op\":\"ticket.call_next\"}");
	rq_err(k, "not_found", "{\"op\":\"ticket.status\",\"number\":\"A001\"}");
	expect_that(set_fault(s, "none") > 0, NULL, "the fault made no call fail");

	/* Cleared, before the retry: the first call does the day end first,
	 * and yesterday's waiting tickets are never called today. */
	r = rq_ok(t, "{\"op\":\"ticket.call_next\"}");
	expect_null(r, "ticket");
	cJSON_Delete(r);
	expect_db_status(d, "2026-11-23", "A001", "expired");
	expect_db_status(d, "2026-11-23", "A002", "expired");
	r = rq_ok(k, "{\"op\":\"queue.snapshot\"}");
	expect_int(r, "lanes.counter.waiting", 0);
	cJSON_Delete(r);
	issue_expect(k, "A001");

	/* The next midnight, refused by an I/O error; cleared, the retry
	 * timer alone expires the tickets. */
	set_fault(s, "io_error");
	advance(s, DAY);
	expect_db_status(d, "2026-11-24", "A001", "waiting");
	expect_that(set_fault(s, "none") > 0, NULL, "the fault made no call fail");
	advance(s, RETRY_S);
	expect_db_status(d, "2026-11-24", "A001", "expired");
	issue_expect(k, "A001");
	daemon_stop(d);
}

/* ---- stopping or crashing during a fault ---- */

/* SIGTERM while the disk is still full: exit 0, and the WAL is read again at
 * the next start; what was acknowledged is there, what was refused is not. */
static void
test_stop_during_fault(void **state)
{
	struct daemon	*d = daemon_start(NULL);
	struct conn	*k, *s, *l;
	size_t		 i;
	int		 n = 0;
	char		 number[32];

	(void)state;
	for (i = 0; i < NFAULTS; i++) {
		if (strcmp(fault_kinds[i], "fsync_error") == 0)
			continue;	/* see test_fsync_failure_then_crash */
		print_message("fault %s\n", fault_kinds[i]);
		if (n > 0)
			daemon_restart(d);
		k = login(d, "K01");
		s = login(d, "S01");
		l = login(d, "L01");
		snprintf(number, sizeof number, "A%03d", ++n);
		issue_expect(k, number);
		cJSON_Delete(rq_ok(l, LOG_REQ));
		set_fault(s, fault_kinds[i]);
		refused(k, "{\"op\":\"ticket.issue\",\"service\":\"loan\"}");
		refused(l, LOG_REQ);
		daemon_stop(d);		/* checks exit status 0 */
		conn_close(k);
		conn_close(s);
		conn_close(l);
	}
	/* The checkpoint at the stop could not write the database file. */
	expect_that(daemon_log_contains(d, "checkpoint"), NULL,
	    "the daemon should say that the checkpoint failed and the WAL stays");
	daemon_restart(d);
	k = login(d, "K01");
	for (i = 1; i <= (size_t)n; i++) {
		snprintf(number, sizeof number, "A%03zu", i);
		expect_status(k, number, "waiting");
	}
	snprintf(number, sizeof number, "A%03d", n + 1);
	issue_expect(k, number);
	expect_that(db_count(d, "SELECT count(*) FROM complaints") == n, NULL,
	    "only the acknowledged complaints");
	daemon_stop(d);
}

/*
 * A failed fsync is the one fault that leaves the refused transaction's
 * frames, commit frame included, in the WAL file (the write reached the
 * page cache; only the sync failed).  The running daemon never sees them:
 * the WAL index does not list them and the next commit writes over them.
 * A crash before that next commit lets SQLite's WAL recovery find them at
 * start-up, so the refused change may come back.  What must hold is that
 * it comes back whole or not at all, and the numbering stays right.
 */
static void
test_fsync_failure_then_crash(void **state)
{
	struct daemon	*d = daemon_start(NULL);
	struct conn	*k = login(d, "K01"), *s = login(d, "S01"), *l = login(d, "L01");
	cJSON		*r;
	long long	 tickets, complaints;

	(void)state;
	issue_expect(k, "A001");
	set_fault(s, "fsync_error");
	refused(k, "{\"op\":\"ticket.issue\",\"service\":\"loan\"}");
	refused(l, LOG_REQ);
	daemon_kill(d);
	conn_close(k);
	conn_close(s);
	conn_close(l);

	daemon_restart(d);
	k = login(d, "K01");
	l = login(d, "L01");
	expect_status(k, "A001", "waiting");
	tickets = db_count(d, "SELECT count(*) FROM tickets");
	complaints = db_count(d, "SELECT count(*) FROM complaints");
	print_message("after the crash: %lld ticket(s), %lld complaint(s) on disk\n", tickets,
	    complaints);
	expect_that(tickets == 1 || tickets == 2, NULL, "A001, and A002 whole or not at all");
	expect_that(db_count(d, "SELECT count(*) FROM tickets t WHERE NOT EXISTS "
	    "(SELECT 1 FROM ticket_events e WHERE e.ticket_id = t.id AND e.kind = 'issued')") == 0,
	    NULL, "every ticket on disk has its issued line");
	expect_that(db_count(d, "SELECT max(CAST(substr(number, 2) AS INTEGER)) FROM tickets "
	    "WHERE issue_lane = 'counter'") == tickets, NULL, "the numbers have no gap");
	expect_that(db_count(d, "SELECT count(*) FROM complaints c WHERE NOT EXISTS "
	    "(SELECT 1 FROM complaint_actions a WHERE a.complaint_id = c.id AND a.kind = 'logged')") == 0,
	    NULL, "every complaint on disk has its logged line");
	if (tickets == 2)
		expect_status(k, "A002", "waiting");
	else
		rq_err(k, "not_found", "{\"op\":\"ticket.status\",\"number\":\"A002\"}");
	/* numbering and ids continue after whatever is there */
	issue_expect(k, tickets == 2 ? "A003" : "A002");
	r = rq_ok(l, LOG_REQ);
	expect_int(r, "complaint.id", complaints + 1);
	cJSON_Delete(r);
	daemon_stop(d);
}

/* ---- a read-only database at start-up ---- */

/*
 * Runs branchqd on db with config in dir and returns its exit status and
 * stderr; as root, as nobody, for whom permissions count.  Nobody runs a
 * copy of the daemon: the checkout may be where only its owner can enter.
 */
static int
run_startup(const char *dir, const char *db, const char *config, char *err, size_t errlen)
{
	const char	*bin = daemon_binary_for_anyone();
	struct pollfd	 pfd;
	size_t		 len = 0;
	ssize_t		 n;
	pid_t		 pid;
	int		 p[2], status, fd, waited = 0;

	if (pipe(p) == -1)
		fail_msg("pipe: %s", strerror(errno));
	if ((pid = fork()) == -1)
		fail_msg("fork: %s", strerror(errno));
	if (pid == 0) {
		dup2(p[1], 2);
		close(p[0]);
		close(p[1]);
		if ((fd = open("/dev/null", O_RDWR)) != -1) {
			dup2(fd, 0);
			dup2(fd, 1);
			close(fd);
		}
		if (geteuid() == 0 && (setgroups(0, NULL) == -1 || setgid(65534) == -1 ||
		    setuid(65534) == -1)) {
			dprintf(2, "run_startup: cannot become uid 65534: %s\n", strerror(errno));
			_exit(125);
		}
		if (chdir(dir) == -1) {
			dprintf(2, "run_startup: chdir %s: %s\n", dir, strerror(errno));
			_exit(126);
		}
		execl(bin, bin, "--config", config, "--db", db, "--listen", "127.0.0.1:0",
		    "--test-clock", (char *)NULL);
		dprintf(2, "run_startup: exec %s as uid %d: %s\n", bin, (int)geteuid(),
		    strerror(errno));
		_exit(127);
	}
	close(p[1]);
	pfd.fd = p[0];
	pfd.events = POLLIN;
	for (;;) {
		if (poll(&pfd, 1, 100) == 1) {
			n = read(p[0], err + len, errlen - len - 1);
			if (n <= 0)
				break;
			len += (size_t)n;
			if (len + 1 >= errlen)
				break;
		} else if ((waited += 100) > 10000) {
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			close(p[0]);
			fail_msg("branchqd on a read-only database did not exit; stderr: %.*s",
			    (int)len, err);
		}
	}
	err[len] = '\0';
	close(p[0]);
	waitpid(pid, &status, 0);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/*
 * Exit status 2 and one error line "branchqd: ..." naming the database, the
 * last thing on stderr (log lines may come before it).
 */
static void
expect_one_line_exit2(int status, const char *err, const char *db, const char *what)
{
	const char	*line, *last = NULL, *nl;
	int		 errors = 0;

	if (status == 125)
		fail_msg("%s: cannot become nobody to test permissions: %s", what, err);
	expect_that(status == 2, NULL, "%s: exit status %d, want 2; stderr: %s", what, status, err);
	for (line = err; *line != '\0'; line = nl + 1) {
		if ((nl = strchr(line, '\n')) == NULL)
			fail_msg("%s: stderr does not end with a newline: %s", what, err);
		if (strncmp(line, "branchqd: ", 10) == 0) {
			errors++;
			last = line;
		}
		if (nl[1] == '\0')
			break;
	}
	expect_that(errors == 1 && last == line, NULL,
	    "%s: want one error line \"branchqd: ...\", last on stderr; got: %s", what, err);
	expect_that(strstr(last, db) != NULL, NULL, "%s: the line should name %s: %s", what, db,
	    err);
}

static char	ro_dir[64], ro_db[128], ro_config[128];

/* Removes what test_readonly_database_at_startup made, also after a failure. */
static int
readonly_teardown(void **state)
{
	if (ro_dir[0] != '\0') {
		chmod(ro_dir, 0700);
		unlink(ro_db);
		unlink(ro_config);
		rmdir(ro_dir);
		ro_dir[0] = '\0';
	}
	return harness_teardown(state);
}

static void
test_readonly_database_at_startup(void **state)
{
	char	*dir = ro_dir, *db = ro_db, *config = ro_config, err[4096];
	FILE	*f;
	int	status, fd;

	(void)state;
	snprintf(ro_dir, sizeof ro_dir, "/tmp/bq-ro-XXXXXX");
	if (mkdtemp(ro_dir) == NULL) {
		ro_dir[0] = '\0';
		fail_msg("mkdtemp: %s", strerror(errno));
	}
	snprintf(ro_db, sizeof ro_db, "%s/branchq.db", dir);
	snprintf(ro_config, sizeof ro_config, "%s/config.json", dir);
	if ((f = fopen(config, "w")) == NULL)
		fail_msg("%s: %s", config, strerror(errno));
	fprintf(f, "{\"terminals\":[{\"id\":\"K01\",\"role\":\"kiosk\",\"token_sha256\":"
	    "\"%064d\"}]}\n", 0);
	fclose(f);
	chmod(config, 0644);

	/* A directory the daemon may not write: no WAL, no lock. */
	chmod(dir, 0555);
	status = run_startup(dir, db, config, err, sizeof err);
	expect_one_line_exit2(status, err, db, "read-only directory");

	/* A database file the daemon may not write, in a directory it may. */
	chmod(dir, 0777);
	if ((fd = open(db, O_WRONLY | O_CREAT, 0444)) == -1)
		fail_msg("%s: %s", db, strerror(errno));
	close(fd);
	chmod(db, 0444);
	status = run_startup(dir, db, config, err, sizeof err);
	expect_one_line_exit2(status, err, db, "read-only database file");
}

/* The database writable, its WAL and index not (left by another user). */
static void
test_readonly_wal_at_startup(void **state)
{
	struct daemon	*d = daemon_start(NULL);
	struct conn	*k = login(d, "K01");
	char		 wal[300], shm[300], err[4096];
	int		 status;

	(void)state;
	issue_expect(k, "A001");
	daemon_kill(d);		/* the -wal and -shm files stay */
	snprintf(wal, sizeof wal, "%s-wal", d->d_db);
	snprintf(shm, sizeof shm, "%s-shm", d->d_db);
	expect_that(access(wal, F_OK) == 0 && access(shm, F_OK) == 0, NULL,
	    "a killed daemon leaves %s and %s", wal, shm);
	chmod(d->d_dir, 0777);
	if (geteuid() == 0 && chown(d->d_db, 65534, 65534) == -1)
		fail_msg("chown %s: %s", d->d_db, strerror(errno));
	chmod(d->d_db, 0600);
	chmod(wal, 0444);
	chmod(shm, 0444);
	status = run_startup(d->d_dir, d->d_db, d->d_config, err, sizeof err);
	expect_one_line_exit2(status, err, d->d_db, "read-only -wal and -shm");
	expect_that(strstr(err, "-wal") != NULL, NULL, "the line should say what to check: %s",
	    err);

	/* Writable again: the daemon starts, and A001 is there. */
	chmod(wal, 0644);
	chmod(shm, 0644);
	if (geteuid() == 0 && chown(d->d_db, 0, 0) == -1)
		fail_msg("chown %s: %s", d->d_db, strerror(errno));
	daemon_restart(d);
	k = login(d, "K01");
	expect_status(k, "A001", "waiting");
	daemon_stop(d);
}

/* ---- a real full disk: a small tmpfs, filled ---- */

static char *
read_file(const char *path)
{
	FILE	*f = fopen(path, "r");
	char	*buf;
	long	 n;

	if (f == NULL)
		fail_msg("%s: %s", path, strerror(errno));
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	if ((buf = calloc(1, (size_t)n + 1)) == NULL || fread(buf, 1, (size_t)n, f) != (size_t)n)
		fail_msg("%s: cannot read", path);
	fclose(f);
	return buf;
}

/* Writes until the file system is full; false if it never fills. */
static bool
fill_disk(const char *path)
{
	static char	block[65536];
	ssize_t		n;
	int		fd, i;

	if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600)) == -1)
		fail_msg("%s: %s", path, strerror(errno));
	for (i = 0; i < 100000; i++) {
		n = write(fd, block, sizeof block);
		if (n == -1 && errno == ENOSPC) {
			close(fd);
			return true;
		}
		if (n == -1)
			fail_msg("%s: %s", path, strerror(errno));
	}
	close(fd);
	return false;
}

static void
test_real_full_disk(void **state)
{
	struct daemon	*d;
	struct conn	*k, *t, *l;
	char		*config, filler[300];
	cJSON		*r;
	FILE		*f;

	(void)state;
	/* A mount namespace of our own, so the mount is ours alone and goes
	 * with this process; the daemons started from here share it. */
	if (unshare(CLONE_NEWNS) == -1 ||
	    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) == -1) {
		print_message("skipped: cannot mount here (%s)\n", strerror(errno));
		skip();
	}
	d = daemon_start(NULL);
	daemon_stop(d);
	config = read_file(d->d_config);
	if (mount("tmpfs", d->d_dir, "tmpfs", 0, "size=2m,mode=0700") == -1) {
		free(config);
		print_message("skipped: cannot mount a tmpfs (%s)\n", strerror(errno));
		skip();
	}
	if ((f = fopen(d->d_config, "w")) == NULL || fputs(config, f) == EOF || fclose(f) != 0)
		fail_msg("%s: cannot write", d->d_config);
	free(config);
	daemon_restart(d);		/* a new database on the tmpfs */
	k = login(d, "K01");
	t = login(d, "T01");
	l = login(d, "L01");
	issue_expect(k, "A001");
	cJSON_Delete(rq_ok(t, "{\"op\":\"window.open\",\"window\":1,\"lanes\":[\"counter\"]}"));

	snprintf(filler, sizeof filler, "%s/filler", d->d_dir);
	expect_that(fill_disk(filler), NULL, "the tmpfs never filled");
	refused(k, "{\"op\":\"ticket.issue\",\"service\":\"loan\"}");
	refused(t, "{\"op\":\"ticket.call_next\"}");
	refused(l, LOG_REQ);
	expect_status(k, "A001", "waiting");
	rq_err(k, "not_found", "{\"op\":\"ticket.status\",\"number\":\"A002\"}");

	/* Space again: served at once, the numbering unbroken. */
	unlink(filler);
	issue_expect(k, "A002");
	r = rq_ok(t, "{\"op\":\"ticket.call_next\"}");
	expect_str(r, "ticket.number", "A001");
	cJSON_Delete(r);
	r = rq_ok(l, LOG_REQ);
	expect_int(r, "complaint.id", 1);
	cJSON_Delete(r);

	/* Full again at the stop: exit 0; the WAL is read at the next start. */
	expect_that(fill_disk(filler), NULL, "the tmpfs never filled");
	daemon_stop(d);
	unlink(filler);
	daemon_restart(d);
	k = login(d, "K01");
	expect_status(k, "A001", "called");
	expect_status(k, "A002", "waiting");
	issue_expect(k, "A003");
	daemon_stop(d);
	conn_close(k);
	if (umount2(d->d_dir, MNT_DETACH) == -1)
		fail_msg("umount %s: %s", d->d_dir, strerror(errno));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_each_fault_refuses_every_change, harness_teardown),
		cmocka_unit_test_teardown(test_followup_deadline_during_fault, harness_teardown),
		cmocka_unit_test_teardown(test_day_end_during_fault, harness_teardown),
		cmocka_unit_test_teardown(test_stop_during_fault, harness_teardown),
		cmocka_unit_test_teardown(test_fsync_failure_then_crash, harness_teardown),
		cmocka_unit_test_teardown(test_readonly_database_at_startup, readonly_teardown),
		cmocka_unit_test_teardown(test_readonly_wal_at_startup, harness_teardown),
		cmocka_unit_test_teardown(test_real_full_disk, harness_teardown),
	};

	return cmocka_run_group_tests_name("e2e_dbfaults", tests, NULL, NULL);
}
