/*
 * Fuzz target for the request parser and the dispatcher (issue 5).
 *
 * One input is what terminals send: request lines, split on '\n' as
 * server.c splits them (a last line without its '\n' is handled too).  Each
 * line goes through proto_handle() of a real branch (branch_open) on a real
 * SQLite database, in memory, with the schema of sql/ applied by
 * store_open(); the clock is the test clock, so clock.advance moves it and
 * fires the day end and the follow-up deadlines.  The configuration has
 * every demo terminal and two webhook receivers, so complaints write the
 * outbox and deliveries (webhook_start() is not called: nothing is sent,
 * nothing leaves the process).
 *
 * Sessions.  An input starts on one unauthenticated connection, as a
 * terminal would; a line "@ID" (ID one of K01 D01 T01 T02 L01 S01) switches
 * to a second connection already greeted as that terminal, and "@-" back to
 * the first.  A line starting with '@' can never be a request (it is not
 * JSON), so a seed file of real requests behaves exactly as a connection
 * does, while the fuzzer can hop between roles for a few bytes: a kiosk
 * issues, a teller calls, a supervisor advances the clock.  A line over
 * BQ_MAX_LINE bytes gets line_too_long and that connection starts afresh,
 * as a terminal that reconnects.
 *
 * Reports are real: the database is the shared-cache in-memory database
 * FUZZ_DB, so the reports' worker thread (reports_start()) opens it too.
 * A request that returns OP_LATER is waited for on the event loop until its
 * reply comes back through the session's s_deliver, so every input runs the
 * same way each time.  Built with -DFUZZ_NO_REPORTS, reports_start() is not
 * called and report.* must fail cleanly (unavailable).
 *
 * This file is a transport, as server.c is, without sockets: each session
 * has an outlet of the commit barrier (barrier.c) and is a subscriber of
 * the publisher (publish.c).  Group commit is on, as in the daemon: after
 * each request the event loop runs the iteration's end, which commits and
 * only then releases the reply and the events to the outlets, where they
 * are checked.  Only server.c and main() are not linked.
 *
 * State does not carry over between inputs: each starts from an empty
 * database (the tables emptied by a connection of the harness's own), a
 * fresh branch and the clock at FUZZ_START, so every crash reproduces from
 * its input alone.  Keeping state would let one input build on another, but
 * a crash would then depend on everything run before it in that process.
 *
 * Beyond the sanitizers, the harness aborts (a crash for libFuzzer) when
 * the daemon breaks a promise of PROTOCOL or a property that cannot fail
 * on a healthy database:
 *   - a reply or event that is not one line of a JSON object, a reply
 *     without a boolean "ok", an error without a known code and a message;
 *   - a reply whose "id" is not the request's "id";
 *   - an `internal` error, or `unavailable` (an in-memory database never
 *     fails to write: it would be a constraint or a statement left busy);
 *   - a log line "database: ..." (a failed statement, also where nobody
 *     gets a reply: the day end, the follow-up deadline);
 *   - a report that never replies, or a reply that never leaves the barrier;
 *   - after the input, a branch opened afresh on the same database (a
 *     restart) that does not hold the same windows and today's tickets as
 *     the one that served the input: memory and database disagree; or a
 *     window that still holds a ticket of a business day that has ended.
 *
 * FUZZ_LOG=1 in the environment shows the daemon's log, and each request
 * and its reply, on stderr.
 */
#define _GNU_SOURCE	/* fopencookie(): the daemon's log is read as it is written */

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>
#include <event2/event.h>
#include <sqlite3.h>

#include "branchq.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define FUZZ_DB		"file:branchq-fuzz?mode=memory&cache=shared"
#define FUZZ_START	1795395600	/* 2026-11-23T01:00:00Z: 09:00 at the branch */
#define FUZZ_SESSIONS	7

/* Session 0 says hello itself; the others are greeted as these terminals. */
static const char *const fz_terminals[FUZZ_SESSIONS] = {
	NULL, "K01", "D01", "T01", "T02", "L01", "S01"
};

static struct config	 fz_cfg;
static struct event_base *fz_base;
static struct store	*fz_store;
static struct branch	 fz_branch;
static sqlite3		*fz_db;		/* the harness's connection */
static sqlite3_stmt	*fz_reset[32];	/* empty one table each */
static size_t		 fz_nreset;
/* A connection: its session, its outlet, and the request it waits on. */
struct fz_conn {
	struct session	 fc_session;
	struct outlet	 fc_outlet;
	char		*fc_request;	/* until its reply comes out */
	size_t		 fc_request_len;
	bool		 fc_replied;
	bool		 fc_waiting;	/* for a report's reply */
};
static struct fz_conn	 fz_conns[FUZZ_SESSIONS];
static uint64_t		 fz_next_conn;
static FILE		*fz_stderr;	/* the real one */
static FILE		*fz_log;	/* stderr while the daemon's code runs */
static bool		 fz_show_log;
/* The log line being written, and the first database failure logged. */
static char		 fz_logline[1024];
static size_t		 fz_loglen;
static char		 fz_dberror[1024];

static _Noreturn void	fz_fail(const char *, ...) __attribute__((format(printf, 1, 2)));

static _Noreturn void
fz_fail(const char *fmt, ...)
{
	va_list	ap;

	fprintf(fz_stderr, "fuzz_proto: ");
	va_start(ap, fmt);
	vfprintf(fz_stderr, fmt, ap);
	va_end(ap);
	fputc('\n', fz_stderr);
	fflush(fz_stderr);
	abort();
}

/* ---- the daemon's log, read line by line ---- */

static void
log_line_done(void)
{
	fz_logline[fz_loglen] = '\0';
	if (fz_show_log)
		fprintf(fz_stderr, "%s\n", fz_logline);
	/* store.c says "database: WHAT: SQLite's message" for every failure. */
	if (fz_dberror[0] == '\0' && strstr(fz_logline, " warn: database: ") != NULL)
		snprintf(fz_dberror, sizeof fz_dberror, "%s", fz_logline);
	fz_loglen = 0;
}

static ssize_t
log_write(void *cookie, const char *buf, size_t len)
{
	size_t	i;

	(void)cookie;
	for (i = 0; i < len; i++) {
		if (buf[i] == '\n')
			log_line_done();
		else if (fz_loglen < sizeof fz_logline - 1)
			fz_logline[fz_loglen++] = buf[i];
	}
	return (ssize_t)len;
}

/* ---- the transport: sessions without sockets ---- */

static void	check_event(const char *);
static void	check_reply(const char *req, size_t len, const char *reply);

static struct fz_conn *
conn_of_outlet(struct outlet *o)
{
	return (struct fz_conn *)(void *)((char *)o - offsetof(struct fz_conn, fc_outlet));
}

/* What the barrier lets out: a reply to the request under way, or an event. */
static void
outlet_write(struct outlet *o, const char *line)
{
	struct fz_conn	*fc = conn_of_outlet(o);
	cJSON		*obj = cJSON_Parse(line);
	bool		 reply = cJSON_GetObjectItemCaseSensitive(obj, "ok") != NULL;

	cJSON_Delete(obj);
	if (fz_show_log)
		fprintf(fz_stderr, "[%s] < %.600s\n", fc->fc_session.s_peer, line);
	if (!reply) {
		check_event(line);
		return;
	}
	if (fc->fc_request == NULL || fc->fc_replied)
		fz_fail("a reply to no request: %s", line);
	check_reply(fc->fc_request, fc->fc_request_len, line);
	fc->fc_replied = true;
}

/* Events reach the session through the barrier, as over TCP. */
static void
subscriber_line(struct subscriber *sb, const char *line)
{
	struct fz_conn	*fc = (struct fz_conn *)(void *)((char *)sb -
	    offsetof(struct fz_conn, fc_session.s_sub));

	barrier_emit(&fc->fc_outlet, line, true);
}

/* A report's reply, back on the loop. */
static void
session_deliver(uint64_t conn_id, const char *line)
{
	size_t	i;

	for (i = 0; i < FUZZ_SESSIONS; i++)
		if (fz_conns[i].fc_session.s_conn_id == conn_id)
			break;
	if (i == FUZZ_SESSIONS || !fz_conns[i].fc_waiting)
		fz_fail("a late reply for connection %llu, which waits for none: %s",
		    (unsigned long long)conn_id, line);
	fz_conns[i].fc_waiting = false;
	barrier_emit(&fz_conns[i].fc_outlet, line, false);
}

/* ---- checks ---- */

static const char *const error_codes[] = {
	"bad_json", "bad_request", "unknown_op", "unauthenticated", "forbidden",
	"not_found", "conflict", "over_authority", "line_too_long", "unavailable",
	"internal", NULL
};

static cJSON *
parse_line(const char *what, const char *line)
{
	cJSON	*o;

	if (strchr(line, '\n') != NULL)
		fz_fail("%s is more than one line: %s", what, line);
	if ((o = cJSON_Parse(line)) == NULL || !cJSON_IsObject(o))
		fz_fail("%s is not a JSON object: %s", what, line);
	return o;
}

static void
check_event(const char *line)
{
	cJSON		*o = parse_line("an event", line);
	const cJSON	*seq;

	/* (Follow-up events carry the complaint's "id", as PROTOCOL shows.) */
	if (!cJSON_IsString(cJSON_GetObjectItemCaseSensitive(o, "event")))
		fz_fail("an event without \"event\": %s", line);
	/* PROTOCOL 1.1: every event is numbered (the lanes after subscribe
	 * by the last event's number, 0 before any). */
	seq = cJSON_GetObjectItemCaseSensitive(o, "seq");
	if (!cJSON_IsNumber(seq) || seq->valuedouble < 0 ||
	    seq->valuedouble != (double)(int64_t)seq->valuedouble)
		fz_fail("an event without a whole \"seq\": %s", line);
	cJSON_Delete(o);
}

/* The request's "id" when the line is one JSON object with a scalar id. */
static bool
request_id(const char *req, size_t len, cJSON **req_obj, const cJSON **id)
{
	const char	*end = NULL;

	*req_obj = cJSON_ParseWithLengthOpts(req, len, &end, false);
	*id = NULL;
	if (*req_obj == NULL || !cJSON_IsObject(*req_obj))
		return false;
	while (end < req + len && (*end == ' ' || *end == '\t' || *end == '\r'))
		end++;
	if (end != req + len)
		return false;
	*id = cJSON_GetObjectItemCaseSensitive(*req_obj, "id");
	return *id == NULL || (!cJSON_IsObject(*id) && !cJSON_IsArray(*id));
}

static void
check_reply(const char *req, size_t len, const char *reply)
{
	cJSON		*o = parse_line("a reply", reply), *q, *e;
	const cJSON	*ok, *code = NULL, *msg = NULL, *id, *rid, *detail;
	size_t		 i;

	ok = cJSON_GetObjectItemCaseSensitive(o, "ok");
	if (!cJSON_IsBool(ok))
		fz_fail("a reply without a boolean \"ok\": %s", reply);
	if (cJSON_IsFalse(ok)) {
		e = cJSON_GetObjectItemCaseSensitive(o, "error");
		code = cJSON_GetObjectItemCaseSensitive(e, "code");
		msg = cJSON_GetObjectItemCaseSensitive(e, "message");
		if (!cJSON_IsString(code) || !cJSON_IsString(msg) || *msg->valuestring == '\0')
			fz_fail("an error without a code and a message: %s", reply);
		detail = cJSON_GetObjectItemCaseSensitive(e, "detail");
		if (detail != NULL && (!cJSON_IsObject(detail) || detail->child == NULL))
			fz_fail("an error's detail that is not an object of facts: %s", reply);
		for (i = 0; error_codes[i] != NULL; i++)
			if (strcmp(error_codes[i], code->valuestring) == 0)
				break;
		if (error_codes[i] == NULL)
			fz_fail("an unknown error code: %s", reply);
		if (strcmp(code->valuestring, "internal") == 0)
			fz_fail("an internal error: %s", reply);
#ifndef FUZZ_NO_REPORTS
		if (strcmp(code->valuestring, "unavailable") == 0)
			fz_fail("unavailable on an in-memory database: %s", reply);
#endif
	}
	/* PROTOCOL: the reply carries the same "id", unless the line is not
	 * JSON to the daemon (bad_json: it also refuses what cJSON takes, such
	 * as bytes that are not UTF-8) or the id itself is refused (given
	 * twice, with a NUL, not finite). */
	if (request_id(req, len, &q, &id)) {
		rid = cJSON_GetObjectItemCaseSensitive(o, "id");
		if (rid == NULL && code != NULL && (strcmp(code->valuestring, "bad_json") == 0 ||
		    (strcmp(code->valuestring, "bad_request") == 0 &&
		    strncmp(msg->valuestring, "id: ", 4) == 0)))
			;
		else if (id == NULL ? rid != NULL : rid == NULL || !cJSON_Compare(id, rid, true))
			fz_fail("the reply's id is not the request's: %.*s -> %s",
			    (int)(len < 200 ? len : 200), req, reply);
	}
	cJSON_Delete(q);
	cJSON_Delete(o);
}

static void
check_log(void)
{
	if (fz_dberror[0] != '\0')
		fz_fail("the database failed: %s", fz_dberror);
}

static char *
print_free(cJSON *o)
{
	char	*s = cJSON_PrintUnformatted(o);

	cJSON_Delete(o);
	if (s == NULL)
		fz_fail("cJSON_PrintUnformatted");
	return s;
}

static void
same_json(const char *what, cJSON *a, cJSON *b)
{
	char	*sa = print_free(a), *sb = print_free(b);

	if (strcmp(sa, sb) != 0)
		fz_fail("after a restart, %s differs:\n  served:   %s\n  reloaded: %s", what,
		    sa, sb);
	free(sa);
	free(sb);
}

/*
 * A restart on the same database must find what the running branch holds:
 * every window, today's tickets with their places in the lanes, and the
 * self-service switch.  Memory follows the database only after a commit
 * (branch_apply), so a difference is a change half made.
 */
static void
check_restart(void)
{
	struct branch		 b2;
	struct branch_hooks	 none;
	struct queue		*q = &fz_branch.b_queue;
	struct ticket		*t, *t2;
	char			 err[256], what[64];
	size_t			 i, n = 0, n2 = 0;
	int			 w;

	memset(&none, 0, sizeof none);
	if (branch_open(&b2, &fz_cfg, fz_store, none, err, sizeof err) == -1)
		fz_fail("a restart fails: %s", err);
	if (strcmp(b2.b_today, fz_branch.b_today) != 0)
		fz_fail("after a restart, today is %s, not %s", b2.b_today, fz_branch.b_today);
	if (b2.b_self_service_available != fz_branch.b_self_service_available)
		fz_fail("after a restart, self-service availability differs");
	for (w = 1; w <= BQ_MAX_WINDOW; w++) {
		/* PROTOCOL 1.1: the day end leaves no window a ticket of its day. */
		if ((t = q->q_windows[w].w_current) != NULL &&
		    strcmp(t->t_date, fz_branch.b_today) != 0)
			fz_fail("window %d holds %s of %s, a day that has ended", w,
			    t->t_number, t->t_date);
		/* Closed windows are all alike (window_close() zeroes them):
		 * only those open on either side are worth encoding. */
		if (!q->q_windows[w].w_open && !b2.b_queue.q_windows[w].w_open)
			continue;
		snprintf(what, sizeof what, "window %d", w);
		same_json(what, json_window(q, &q->q_windows[w]),
		    json_window(&b2.b_queue, &b2.b_queue.q_windows[w]));
	}
	for (i = 0; i < q->q_table_cap; i++) {
		if ((t = q->q_table[i]) == NULL || strcmp(t->t_date, fz_branch.b_today) != 0)
			continue;
		n++;
		if ((t2 = queue_find(&b2.b_queue, t->t_date, t->t_number)) == NULL)
			fz_fail("after a restart, ticket %s is gone", t->t_number);
		snprintf(what, sizeof what, "ticket %s", t->t_number);
		same_json(what, json_ticket(q, t), json_ticket(&b2.b_queue, t2));
	}
	for (i = 0; i < b2.b_queue.q_table_cap; i++)
		if ((t = b2.b_queue.q_table[i]) != NULL && strcmp(t->t_date, b2.b_today) == 0)
			n2++;
	if (n != n2)
		fz_fail("after a restart, %zu tickets of today, not %zu", n2, n);
	branch_close(&b2);
	barrier_commit_now();	/* what its start-up wrote, if anything */
	check_log();
}

/* ---- set-up ---- */

static void
hex(const unsigned char *p, size_t n, char *out)
{
	size_t	i;

	for (i = 0; i < n; i++)
		snprintf(out + 2 * i, 3, "%02x", p[i]);
}

/* The demo terminals, and two webhook receivers that are never contacted. */
static void
load_config(void)
{
	const struct demo_terminal	*dt;
	unsigned char			 h[32];
	char				 text[4096], digest[65], err[256];
	size_t				 len;

	len = (size_t)snprintf(text, sizeof text, "{\"branch\":\"FUZZ-001\","
	    "\"timezone\":\"Asia/Shanghai\",\"duty_supervisor\":\"E9001\","
	    "\"accessible_windows\":[2],\"webhook_max_pending\":3,"
	    "\"webhooks\":[{\"url\":\"http://127.0.0.1:9/all\",\"secret\":\"s\","
	    "\"events\":[\"complaint.logged\",\"followup.overdue\",\"survey.detractor\"]},"
	    "{\"url\":\"http://127.0.0.1:9/logged\",\"secret\":\"t\","
	    "\"events\":[\"complaint.logged\"]}],\"terminals\":[");
	/* A file may not hold the demo tokens' hashes (config.c refuses
	 * them): the file has others, and the terminals get the demo tokens
	 * once loaded, below, for the seeds sign in with them. */
	for (dt = demo_terminals; dt->dt_id != NULL; dt++) {
		sha256(dt->dt_id, strlen(dt->dt_id), h);
		hex(h, sizeof h, digest);
		len += (size_t)snprintf(text + len, sizeof text - len,
		    "%s{\"id\":\"%s\",\"role\":\"%s\",%s%s%s\"token_sha256\":\"%s\"}",
		    dt == demo_terminals ? "" : ",", dt->dt_id, dt->dt_role,
		    *dt->dt_staff != '\0' ? "\"staff\":\"" : "", dt->dt_staff,
		    *dt->dt_staff != '\0' ? "\"," : "", digest);
	}
	snprintf(text + len, sizeof text - len, "]}");
	memset(&fz_cfg, 0, sizeof fz_cfg);
	if (config_load_text(&fz_cfg, "fuzz config", text, err, sizeof err) == -1)
		fz_fail("config: %s", err);
	for (dt = demo_terminals; dt->dt_id != NULL; dt++)
		sha256(dt->dt_token, strlen(dt->dt_token),
		    fz_cfg.cf_terminals[dt - demo_terminals].tc_token_sha256);
}

/* A "DELETE FROM" for every table but the migrations' record, prepared once. */
static void
prepare_reset(void)
{
	sqlite3_stmt	*st;
	char		 sql[256];

	if (sqlite3_prepare_v2(fz_db, "SELECT name FROM sqlite_master WHERE type = 'table' "
	    "AND name != 'schema_migrations' AND (name NOT LIKE 'sqlite%' OR "
	    "name = 'sqlite_sequence')", -1, &st, NULL) != SQLITE_OK)
		fz_fail("the tables: %s", sqlite3_errmsg(fz_db));
	while (sqlite3_step(st) == SQLITE_ROW) {
		if (fz_nreset == sizeof fz_reset / sizeof fz_reset[0])
			fz_fail("too many tables");
		snprintf(sql, sizeof sql, "DELETE FROM \"%s\"",
		    (const char *)sqlite3_column_text(st, 0));
		if (sqlite3_prepare_v3(fz_db, sql, -1, SQLITE_PREPARE_PERSISTENT,
		    &fz_reset[fz_nreset++], NULL) != SQLITE_OK)
			fz_fail("%s: %s", sql, sqlite3_errmsg(fz_db));
	}
	sqlite3_finalize(st);
}

/* Every table empty, as store_open() leaves a new database. */
static void
empty_database(void)
{
	size_t	i;

	if (sqlite3_exec(fz_db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK)
		fz_fail("emptying the database: %s", sqlite3_errmsg(fz_db));
	for (i = 0; i < fz_nreset; i++) {
		if (sqlite3_step(fz_reset[i]) != SQLITE_DONE)
			fz_fail("emptying the database: %s", sqlite3_errmsg(fz_db));
		sqlite3_reset(fz_reset[i]);
	}
	if (sqlite3_exec(fz_db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
		fz_fail("emptying the database: %s", sqlite3_errmsg(fz_db));
}

static void
init_once(void)
{
	char	err[512];

	fz_show_log = getenv("FUZZ_LOG") != NULL;
	log_init(LOG_LEVEL_DEBUG);	/* every format string runs */
	/* Before SQLite starts: FUZZ_DB is a URI. */
	if (sqlite3_config(SQLITE_CONFIG_URI, 1) != SQLITE_OK)
		fz_fail("sqlite3_config(SQLITE_CONFIG_URI)");
	load_config();
	if (time_set_zone(fz_cfg.cf_timezone) == -1)
		fz_fail("no time zone %s", fz_cfg.cf_timezone);
	if ((fz_base = event_base_new()) == NULL)
		fz_fail("event_base_new");
	clock_init(fz_base, true, FUZZ_START);
	/* As branchqd does under --test-clock, so that test.fault works (an
	 * in-memory database has no files for it to fail). */
	if (faultvfs_register(err, sizeof err) == -1)
		fz_fail("faultvfs_register: %s", err);
	if ((fz_store = store_open(FUZZ_DB, STORE_WAL_PAGES, err, sizeof err)) == NULL)
		fz_fail("store_open: %s", err);
#ifndef FUZZ_NO_REPORTS
	if (reports_start(fz_base, FUZZ_DB, err, sizeof err) == -1)
		fz_fail("reports_start: %s", err);
#endif
	/* The harness's own connection, to empty the tables between inputs. */
	if (sqlite3_open_v2(FUZZ_DB, &fz_db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK)
		fz_fail("sqlite3_open_v2: %s", sqlite3_errmsg(fz_db));
	/* The history tables are append-only by trigger: not for this one. */
	if (sqlite3_db_config(fz_db, SQLITE_DBCONFIG_ENABLE_TRIGGER, 0, NULL) != SQLITE_OK)
		fz_fail("cannot turn the triggers off: %s", sqlite3_errmsg(fz_db));
	prepare_reset();
}

/* A connection afresh: nothing held, no topics, greeted or not. */
static void
session_reset(size_t i)
{
	struct fz_conn			*fc = &fz_conns[i];
	struct session			*s = &fc->fc_session;
	const struct terminal_conf	*tc;

	subscriber_remove(&s->s_sub);
	barrier_forget(&fc->fc_outlet);
	free(fc->fc_request);
	memset(fc, 0, sizeof *fc);
	fc->fc_outlet.o_write = outlet_write;
	subscriber_add(&s->s_sub, subscriber_line);
	s->s_deliver = session_deliver;
	s->s_conn_id = ++fz_next_conn;
	snprintf(s->s_peer, sizeof s->s_peer, "fuzz:%zu", i);
	if (fz_terminals[i] != NULL) {
		if ((tc = config_terminal(&fz_cfg, fz_terminals[i])) == NULL)
			fz_fail("no terminal %s", fz_terminals[i]);
		session_greet(s, tc);
	}
}

/*
 * An empty database, a fresh branch, the clock at FUZZ_START.  The database
 * is emptied table by table, not opened again: applying the migrations and
 * preparing the statements takes ~7 ms, emptying it a few microseconds.
 */
static void
open_branch(void)
{
	char	err[512];
	size_t	i;

	empty_database();
	clock_init(fz_base, true, FUZZ_START);
	faultvfs_set(DBF_NONE);		/* what test.fault set */
	/* The event numbers from the (empty) database, the ring emptied. */
	if (publish_open(fz_store, err, sizeof err) == -1)
		fz_fail("publish_open: %s", err);
	events_init(fz_base, &fz_branch);
	if (branch_open(&fz_branch, &fz_cfg, fz_store, events_hooks(), err, sizeof err) == -1)
		fz_fail("branch_open: %s", err);
	followup_start(&fz_branch);
	/* Group commit from now on, as in the daemon: the iteration's end commits. */
	barrier_init(fz_base, &fz_branch);
	for (i = 0; i < FUZZ_SESSIONS; i++)
		session_reset(i);
	fz_dberror[0] = '\0';
}

/*
 * Within the input that opened it: libFuzzer looks for leaks (a full LSan
 * scan, milliseconds) after every input that mallocs more than it frees.
 */
static void
close_branch(void)
{
	size_t	i;

	barrier_commit_now();
	for (i = 0; i < FUZZ_SESSIONS; i++) {
		subscriber_remove(&fz_conns[i].fc_session.s_sub);
		barrier_forget(&fz_conns[i].fc_outlet);
		free(fz_conns[i].fc_request);
		fz_conns[i].fc_request = NULL;
	}
	events_free();
	publish_close();
	branch_close(&fz_branch);
	clock_shutdown();
}

/* ---- one input ---- */

static size_t
switch_session(const char *line, size_t len, size_t current)
{
	size_t	i;

	if (len == 2 && line[1] == '-')
		return 0;
	for (i = 1; i < FUZZ_SESSIONS; i++)
		if (len - 1 == strlen(fz_terminals[i]) &&
		    memcmp(line + 1, fz_terminals[i], len - 1) == 0)
			return i;
	return current;
}

/* As server.c's conn_line(): one request, then the iteration's end lets out
 * its reply and events. */
static void
handle_line(size_t si, const char *p, size_t len)
{
	struct fz_conn	*fc = &fz_conns[si];
	struct session	*s = &fc->fc_session;
	char		*line, *reply;
	bool		 changed;

	if (len > BQ_MAX_LINE) {
		reply = proto_error_line(ERR_LINE_TOO_LONG, "a request line may be at most "
		    "65536 bytes; closing the connection");
		check_reply("", 0, reply);
		free(reply);
		session_reset(si);	/* closed; the terminal connects again */
		return;
	}
	while (len > 0 && (p[len - 1] == '\r' || p[len - 1] == ' ' || p[len - 1] == '\t'))
		len--;
	if (len == 0)
		return;
	if ((line = malloc(len + 1)) == NULL)
		fz_fail("malloc");
	memcpy(line, p, len);
	line[len] = '\0';
	if (fz_show_log)
		fprintf(fz_stderr, "[%s] > %.300s\n", s->s_peer, line);
	free(fc->fc_request);
	fc->fc_request = line;
	fc->fc_request_len = len;
	fc->fc_replied = false;
	barrier_request_start(&fc->fc_outlet);
	reply = proto_handle(&fz_branch, s, line, len, &changed);
	barrier_request_end(&fc->fc_outlet, reply, changed ? line : NULL);
	/* OP_LATER: the worker answers through s_deliver. */
	fc->fc_waiting = reply == NULL;
	while (fc->fc_waiting)
		if (event_base_loop(fz_base, EVLOOP_ONCE) != 0)
			fz_fail("a request waits for a reply that cannot come: %s", line);
	/* The iteration's end: the group commit, then what it held back. */
	if (event_base_loop(fz_base, EVLOOP_NONBLOCK) == -1)
		fz_fail("event_base_loop");
	if (!fc->fc_replied)
		fz_fail("no reply left the barrier: %s", line);
	check_log();
}

/* server.c's count, for GET /metrics (http-api.c): this target stands in for the TCP transport. */
int
server_connections(void)
{
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static cookie_io_functions_t	 log_io = { .write = log_write };
	static bool			 initialised;
	const char			*p = (const char *)data, *end = p + size, *nl;
	size_t				 len, si = 0;

	/*
	 * The daemon logs to stderr: while it runs, stderr is the filter.  The
	 * sanitizers write to fd 2, libFuzzer and cmocka to the real stderr
	 * (glibc lets a program assign stderr).
	 */
	fz_stderr = stderr;
	if (fz_log == NULL && (fz_log = fopencookie(NULL, "w", log_io)) == NULL)
		fz_fail("fopencookie");
	stderr = fz_log;
	if (!initialised) {
		init_once();
		initialised = true;
	}
	open_branch();
	while (p < end) {
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			nl = end;
		len = (size_t)(nl - p);
		if (len > 0 && p[0] == '@')
			si = switch_session(p, len, si);
		else
			handle_line(si, p, len);
		p = nl + (nl < end);
	}
	check_restart();
	close_branch();
	fflush(fz_log);
	stderr = fz_stderr;
	return 0;
}
