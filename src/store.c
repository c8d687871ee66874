/*
 * Storage: the one SQLite connection and every SQL statement of the daemon.
 *
 * SQLite's advice, followed: one writer connection, WAL, BEGIN IMMEDIATE for
 * write transactions, synchronous=FULL so a COMMIT that returned is on disk,
 * and no busy timeout: a busy timeout sleeps, and sleeping on the event loop
 * would freeze every terminal.  A locked database is an error the caller
 * turns into `unavailable`.  Checkpoints run on a worker with a connection
 * of its own (checkpoint.c), the reports on another (report.c).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sqlite3.h>

#include "branchq.h"

enum stmt {
	ST_BEGIN, ST_COMMIT, ST_ROLLBACK, ST_SAVEPOINT, ST_RELEASE, ST_ROLLBACK_TO,
	ST_SEQ_LAST,
	ST_TICKET_INSERT, ST_TICKET_UPDATE, ST_EVENT_INSERT,
	ST_WINDOW_SAVE, ST_WINDOW_DELETE, ST_WINDOW_EVENT,
	ST_SETTING_SET, ST_SETTING_GET, ST_SELFSERVICE_EVENT,
	ST_LOAD_TICKETS, ST_LOAD_WINDOWS, ST_TICKET_KEY, ST_RECENT_SERVICE,
	ST_COMPLAINT_INSERT, ST_COMPLAINT_UPDATE, ST_COMPLAINT_GET, ST_ACTION_INSERT,
	ST_ACTION_LIST, ST_NEXT_DUE, ST_DUE_LIST, ST_SURVEY_EXISTS, ST_SURVEY_INSERT,
	ST_OUTBOX_ADD, ST_KEY_GET, ST_KEY_INSERT,
	ST_DELIVERY_ADD, ST_DELIVERY_PENDING_COUNT, ST_DELIVERY_HEAD, ST_DELIVERY_UPDATE,
	ST_ATTEMPT_INSERT, ST_DELIVERY_GET, ST_DELIVERY_LIST, ST_DELIVERY_COUNTS,
	ST_DELIVERY_RECEIVERS, ST_DELIVERY_ABANDON,
	ST_WS_INSERT, ST_WS_GET, ST_WS_DELETE, ST_WS_PRUNE, ST_WS_LIST,
	ST_ERASE_DUE_COMPLAINTS, ST_ERASE_COMPLAINT, ST_ERASE_COMPLAINT_SURVEY,
	ST_ERASE_OUTBOX, ST_ERASE_COMPLAINT_KEYS, ST_ERASE_DUE_SURVEYS, ST_ERASE_SURVEY,
	ST_ERASE_SURVEY_KEYS,
	ST__COUNT
};

#define TICKET_COLUMNS \
	"id, business_date, number, lane, issue_lane, status, service, amount_fen, " \
	"loose_cash, vip, needs_assistance, accessibility, priority, eligible, " \
	"route_rule, issued_at, queued_at, called_at, started_at, finished_at, " \
	"window, recalls, staff, first_called_at, closed_by"

#define DELIVERY_COLUMNS \
	"d.id, d.outbox_id, o.event, d.receiver, d.delivery_key, d.state, d.attempts, " \
	"d.next_at, d.retry_from, d.last_attempt_at, d.last_status, d.last_error, " \
	"d.delivered_at, d.created_at"

#define COMPLAINT_COLUMNS \
	"state, category, severity, channel, description, ticket_id, ticket_number, " \
	"customer_name, customer_phone, first_responder, owner, logged_at, business_date, " \
	"follow_up_due, overdue, resolution, root_cause, resolved_at, closed_at, " \
	"compensation_fen"

static const char *const stmt_sql[ST__COUNT] = {
	[ST_WS_INSERT] =
	    "INSERT INTO http_sessions (id_sha256, terminal, token_sha256, created_at, expires_at) "
	    "VALUES (?1, ?2, ?3, ?4, ?5)",
	[ST_WS_GET] =
	    "SELECT terminal, token_sha256, created_at, expires_at FROM http_sessions "
	    "WHERE id_sha256 = ?1",
	[ST_WS_DELETE] = "DELETE FROM http_sessions WHERE id_sha256 = ?1",
	/* The expired, and a terminal's beyond its newest ?3 (by rowid within
	 * a second), never the one just made (?4). */
	[ST_WS_PRUNE] =
	    "DELETE FROM http_sessions WHERE id_sha256 != ?4 AND (expires_at <= ?1 OR "
	    "(terminal = ?2 AND id_sha256 NOT IN (SELECT id_sha256 FROM http_sessions "
	    "WHERE terminal = ?2 AND id_sha256 != ?4 ORDER BY created_at DESC, rowid DESC "
	    "LIMIT ?3 - 1)))",
	[ST_WS_LIST] = "SELECT id_sha256, terminal, token_sha256 FROM http_sessions",
	[ST_BEGIN] = "BEGIN IMMEDIATE",
	[ST_SAVEPOINT] = "SAVEPOINT request",
	[ST_RELEASE] = "RELEASE request",
	[ST_ROLLBACK_TO] = "ROLLBACK TO request",
	[ST_COMMIT] = "COMMIT",
	[ST_ROLLBACK] = "ROLLBACK",
	/* The day's highest number in a lane: "A012" is 12 (queue_last_seq). */
	[ST_SEQ_LAST] =
	    "SELECT coalesce(max(CAST(substr(number, 2) AS INTEGER)), 0) FROM tickets "
	    "WHERE business_date = ?1 AND issue_lane = ?2",
	[ST_TICKET_INSERT] =
	    "INSERT INTO tickets (business_date, number, lane, issue_lane, status, service, "
	    "amount_fen, loose_cash, vip, needs_assistance, accessibility, priority, eligible, "
	    "route_rule, issued_at, queued_at) "
	    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)",
	/* first_called_lane: the lane of the first call, kept once set (a
	 * call never changes the lane), where the ticket's wait is counted. */
	[ST_TICKET_UPDATE] =
	    "UPDATE tickets SET lane = ?2, status = ?3, loose_cash = ?4, needs_assistance = ?5, "
	    "priority = ?6, queued_at = ?7, called_at = ?8, started_at = ?9, finished_at = ?10, "
	    "window = ?11, recalls = ?12, staff = ?13, first_called_at = ?14, closed_by = ?15, "
	    "first_called_lane = coalesce(first_called_lane, CASE WHEN ?14 IS NULL THEN NULL "
	    "ELSE ?2 END) WHERE id = ?1",
	[ST_EVENT_INSERT] =
	    "INSERT INTO ticket_events (ticket_id, at, kind, terminal, staff, window, "
	    "from_lane, to_lane, reason) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
	[ST_WINDOW_SAVE] =
	    "INSERT OR REPLACE INTO windows (number, terminal, staff, lanes, paused, "
	    "current_ticket, opened_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
	[ST_WINDOW_DELETE] = "DELETE FROM windows WHERE number = ?1",
	[ST_WINDOW_EVENT] =
	    "INSERT INTO window_events (window, at, kind, state, terminal, staff, lanes) "
	    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
	[ST_SETTING_SET] = "INSERT OR REPLACE INTO settings (key, value) VALUES (?1, ?2)",
	[ST_SETTING_GET] = "SELECT value FROM settings WHERE key = ?1",
	[ST_SELFSERVICE_EVENT] =
	    "INSERT INTO selfservice_events (at, available, terminal, staff) "
	    "VALUES (?1, ?2, ?3, ?4)",
	/* Today's tickets, and any older one still unfinished (day end catches those up). */
	[ST_LOAD_TICKETS] =
	    "SELECT " TICKET_COLUMNS " FROM tickets WHERE business_date = ?1 "
	    "UNION SELECT " TICKET_COLUMNS " FROM tickets "
	    /* As in the index tickets_open (sql/005_open_tickets_index.sql). */
	    "WHERE status = 'diverted' OR status = 'waiting' OR status = 'called' "
	    "OR status = 'serving' ORDER BY id",
	[ST_LOAD_WINDOWS] =
	    "SELECT number, terminal, staff, lanes, paused, current_ticket, opened_at FROM windows",
	[ST_TICKET_KEY] = "SELECT business_date, number FROM tickets WHERE id = ?1",
	/* A service the day end cut off spans the night: it is no estimate. */
	[ST_RECENT_SERVICE] =
	    "SELECT finished_at - called_at FROM tickets WHERE status = 'done' AND lane = ?1 "
	    "AND called_at IS NOT NULL AND closed_by IS NULL ORDER BY finished_at DESC LIMIT ?2",
	[ST_COMPLAINT_INSERT] =
	    "INSERT INTO complaints (" COMPLAINT_COLUMNS ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, "
	    "?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20)",
	[ST_COMPLAINT_UPDATE] =
	    "UPDATE complaints SET state = ?1, owner = ?11, follow_up_due = ?14, overdue = ?15, "
	    "resolution = ?16, root_cause = ?17, resolved_at = ?18, closed_at = ?19, "
	    "compensation_fen = ?20 WHERE id = ?21",
	[ST_COMPLAINT_GET] = "SELECT " COMPLAINT_COLUMNS ", id, erased_at FROM complaints "
	    "WHERE id = ?1",
	[ST_ACTION_INSERT] =
	    "INSERT INTO complaint_actions (complaint_id, kind, actor, at, business_date, note, "
	    "amount_fen, to_staff, outcome, on_time, root_cause) "
	    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
	[ST_ACTION_LIST] =
	    "SELECT kind, actor, at, note, amount_fen, to_staff, outcome, on_time, root_cause "
	    "FROM complaint_actions WHERE complaint_id = ?1 ORDER BY id",
	[ST_NEXT_DUE] =
	    "SELECT min(follow_up_due) FROM complaints WHERE state != 'closed' AND overdue = 0",
	[ST_DUE_LIST] =
	    "SELECT id FROM complaints WHERE state != 'closed' AND overdue = 0 "
	    "AND follow_up_due < ?1 ORDER BY follow_up_due, id",
	[ST_SURVEY_EXISTS] = "SELECT at FROM surveys WHERE ticket_id = ?1",
	[ST_SURVEY_INSERT] =
	    "INSERT INTO surveys (ticket_id, score, reason, at, business_date, complaint_id) "
	    "VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
	[ST_OUTBOX_ADD] =
	    "INSERT INTO outbox (event, body, created_at, complaint_id) VALUES (?1, ?2, ?3, ?4)",
	[ST_KEY_GET] =
	    "SELECT k.op, k.fingerprint, k.ticket_id, k.complaint_id, t.business_date, t.number, "
	    "k.printed "
	    "FROM request_keys k LEFT JOIN tickets t ON t.id = k.ticket_id "
	    "WHERE k.terminal = ?1 AND k.business_date = ?2 AND k.request_key = ?3",
	[ST_KEY_INSERT] =
	    "INSERT INTO request_keys (terminal, business_date, request_key, op, fingerprint, "
	    "ticket_id, complaint_id, created_at, printed) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, "
	    "?9)",
	[ST_DELIVERY_ADD] =
	    "INSERT INTO deliveries (outbox_id, receiver, delivery_key, state, next_at, "
	    "retry_from, last_error, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
	[ST_DELIVERY_PENDING_COUNT] =
	    "SELECT count(*) FROM deliveries WHERE receiver = ?1 AND state = 'pending'",
	[ST_DELIVERY_HEAD] =
	    "SELECT " DELIVERY_COLUMNS ", o.body FROM deliveries d JOIN outbox o "
	    "ON o.id = d.outbox_id WHERE d.receiver = ?1 AND d.state = 'pending' "
	    "ORDER BY d.id LIMIT 1",
	[ST_DELIVERY_UPDATE] =
	    "UPDATE deliveries SET state = ?2, attempts = ?3, next_at = ?4, retry_from = ?5, "
	    "last_attempt_at = ?6, last_status = ?7, last_error = ?8, delivered_at = ?9 "
	    "WHERE id = ?1",
	[ST_ATTEMPT_INSERT] =
	    "INSERT INTO delivery_attempts (delivery_id, at, status, error, duration_ms) "
	    "VALUES (?1, ?2, ?3, ?4, ?5)",
	[ST_DELIVERY_GET] =
	    "SELECT " DELIVERY_COLUMNS " FROM deliveries d JOIN outbox o "
	    "ON o.id = d.outbox_id WHERE d.id = ?1",
	[ST_DELIVERY_LIST] =
	    "SELECT " DELIVERY_COLUMNS " FROM deliveries d JOIN outbox o "
	    "ON o.id = d.outbox_id WHERE (?1 & (CASE d.state WHEN 'pending' THEN 1 "
	    "WHEN 'delivered' THEN 2 ELSE 4 END)) != 0 ORDER BY d.id DESC LIMIT ?2",
	[ST_DELIVERY_COUNTS] = "SELECT state, count(*) FROM deliveries GROUP BY state",
	[ST_DELIVERY_RECEIVERS] =
	    "SELECT DISTINCT receiver FROM deliveries WHERE state = 'pending'",
	[ST_DELIVERY_ABANDON] =
	    "UPDATE deliveries SET state = 'failed', last_error = ?2 "
	    "WHERE receiver = ?1 AND state = 'pending'",
	/*
	 * Retention (src/retention.c, sql/013): every statement reads through
	 * an index, named where the planner might pick another, so that a
	 * batch costs its rows and never a scan of a year's.
	 */
	[ST_ERASE_DUE_COMPLAINTS] =
	    "SELECT id FROM complaints INDEXED BY complaints_to_erase WHERE state = 'closed' "
	    "AND erased_at IS NULL AND closed_at < ?1 ORDER BY closed_at LIMIT ?2",
	/* A survey's case was described by its reason: that goes too. */
	[ST_ERASE_COMPLAINT] =
	    "UPDATE complaints SET customer_name = NULL, customer_phone = NULL, erased_at = ?2, "
	    "description = CASE WHEN channel = 'survey' AND description = "
	    "(SELECT reason FROM surveys WHERE complaint_id = ?1) THEN 'survey score ' || "
	    "(SELECT score FROM surveys WHERE complaint_id = ?1) || ', reason erased' "
	    "ELSE description END WHERE id = ?1 AND erased_at IS NULL",
	[ST_ERASE_COMPLAINT_SURVEY] =
	    "UPDATE surveys SET reason = NULL, erased_at = ?2 WHERE complaint_id = ?1",
	/* The body as it was, less the customer and the reason, with the
	 * complaint's description as it is now (erased above, or unchanged). */
	[ST_ERASE_OUTBOX] =
	    "UPDATE outbox SET body = json_replace(json_remove(body, '$.complaint.customer'), "
	    "'$.survey.reason', NULL, '$.complaint.description', "
	    "(SELECT description FROM complaints WHERE id = ?1)) WHERE complaint_id = ?1",
	[ST_ERASE_COMPLAINT_KEYS] =
	    "UPDATE request_keys SET fingerprint = '' WHERE complaint_id = ?1",
	[ST_ERASE_DUE_SURVEYS] =
	    "SELECT id, ticket_id FROM surveys INDEXED BY surveys_to_erase "
	    "WHERE complaint_id IS NULL AND reason IS NOT NULL AND at < ?1 ORDER BY at LIMIT ?2",
	[ST_ERASE_SURVEY] = "UPDATE surveys SET reason = NULL, erased_at = ?2 WHERE id = ?1",
	[ST_ERASE_SURVEY_KEYS] =
	    "UPDATE request_keys SET fingerprint = '' WHERE ticket_id = ?1 "
	    "AND op = 'survey.submit'",
};

struct store {
	sqlite3		*s_db;
	sqlite3_stmt	*s_stmt[ST__COUNT];
	bool		 s_in_tx;
	/* Group commit: one transaction per loop iteration, a savepoint per change. */
	bool		 s_grouping;
	bool		 s_in_group;	/* BEGIN done, COMMIT not yet */
	bool		 s_group_lost;	/* SQLite rolled the whole group back */
	void		(*s_group_opened)(void *);
	void		*s_group_arg;
	uint64_t	 s_changes;	/* savepoints released: changes made */
	/* The figures of GET /metrics: committed, the open group's moves,
	 * and the open change's (store_figure_add). */
	int64_t		 s_fig[SF__COUNT], s_fig_group[SF__COUNT], s_fig_change[SF__COUNT];
	bool		 s_fig_moved;	/* s_fig_change has a move */
	bool		 s_fig_group_moved;
	char		 s_errmsg[256];	/* the last failure, for store_errmsg() */
	bool		 s_opened;	/* store_open() completed */
};

static int
store_fail(struct store *s, const char *what)
{
	/* Kept: the ROLLBACK that follows a failure resets sqlite3_errmsg(). */
	snprintf(s->s_errmsg, sizeof s->s_errmsg, "%s", sqlite3_errmsg(s->s_db));
	log_warnx("database: %s: %s", what, s->s_errmsg);
	return -1;
}

/* Step a statement that returns no rows, then reset it.  0 or -1. */
static int
store_exec(struct store *s, enum stmt id)
{
	sqlite3_stmt	*st = s->s_stmt[id];
	int		 rc;

	rc = sqlite3_step(st);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
		store_fail(s, stmt_sql[id]);
		sqlite3_reset(st);
		sqlite3_clear_bindings(st);
		return -1;
	}
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return 0;
}

/*
 * Text for a statement that store_exec() runs in the same call: SQLite
 * keeps the pointer, not a copy (SQLITE_STATIC), which is safe because
 * store_exec() clears the bindings before it returns.  Debian's SQLite is
 * built without lookaside memory, so every copy would be a malloc() and a
 * free() (docs/PERFORMANCE.md).
 */
static void
bind_text(sqlite3_stmt *st, int col, const char *v)
{
	if (v == NULL || *v == '\0')
		sqlite3_bind_null(st, col);
	else
		sqlite3_bind_text(st, col, v, -1, SQLITE_STATIC);
}

/* 0 binds NULL: times and windows use 0 for "none". */
static void
bind_opt_int(sqlite3_stmt *st, int col, int64_t v)
{
	if (v == 0)
		sqlite3_bind_null(st, col);
	else
		sqlite3_bind_int64(st, col, v);
}

/*
 * The schema version of the database as it is: the newest row of
 * schema_migrations, 0 for a new file.  Only read, so that a database this
 * daemon must refuse (written by a newer branchqd) is left as it was, to
 * the byte: it is asked before anything is set, WAL mode included.
 */
static int
store_version(struct store *s, int *current, char *err, size_t errlen)
{
	const struct migration	*m;
	sqlite3_stmt		*st;
	int			 latest = 0, rc;

	*current = 0;
	if (sqlite3_prepare_v2(s->s_db, "SELECT 1 FROM sqlite_master WHERE type = 'table' AND "
	    "name = 'schema_migrations'", -1, &st, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "not a usable database: %s", sqlite3_errmsg(s->s_db));
		return -1;
	}
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		snprintf(err, errlen, "not a usable database: %s", sqlite3_errmsg(s->s_db));
		return -1;
	}
	if (rc == SQLITE_ROW) {
		if (sqlite3_prepare_v2(s->s_db, "SELECT coalesce(max(version), 0) FROM "
		    "schema_migrations", -1, &st, NULL) != SQLITE_OK) {
			snprintf(err, errlen, "cannot read schema version: %s",
			    sqlite3_errmsg(s->s_db));
			return -1;
		}
		if (sqlite3_step(st) == SQLITE_ROW)
			*current = sqlite3_column_int(st, 0);
		sqlite3_finalize(st);
	}
	for (m = migrations; m->m_sql != NULL; m++)
		latest = m->m_version;
	if (*current > latest) {
		snprintf(err, errlen, "schema version %d is newer than this branchqd knows (%d)",
		    *current, latest);
		return -1;
	}
	return 0;
}

/* Applies the migrations newer than current, each in a transaction of its own. */
static int
store_migrate(struct store *s, int current, char *err, size_t errlen)
{
	const struct migration	*m;
	char			*emsg = NULL;
	char			 sql[256];

	if (sqlite3_exec(s->s_db,
	    "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, "
	    "name TEXT NOT NULL, applied_at INTEGER NOT NULL)", NULL, NULL, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "cannot create schema_migrations: %s",
		    sqlite3_errmsg(s->s_db));
		return -1;
	}
	for (m = migrations; m->m_sql != NULL; m++) {
		if (m->m_version <= current)
			continue;
		snprintf(sql, sizeof sql,
		    "INSERT INTO schema_migrations VALUES (%d, '%s', unixepoch()); "
		    "PRAGMA user_version = %d;", m->m_version, m->m_name, m->m_version);
		if (sqlite3_exec(s->s_db, "BEGIN IMMEDIATE", NULL, NULL, &emsg) != SQLITE_OK ||
		    sqlite3_exec(s->s_db, m->m_sql, NULL, NULL, &emsg) != SQLITE_OK ||
		    sqlite3_exec(s->s_db, sql, NULL, NULL, &emsg) != SQLITE_OK ||
		    sqlite3_exec(s->s_db, "COMMIT", NULL, NULL, &emsg) != SQLITE_OK) {
			snprintf(err, errlen, "migration %s failed: %s", m->m_name,
			    emsg ? emsg : "unknown error");
			sqlite3_free(emsg);
			sqlite3_exec(s->s_db, "ROLLBACK", NULL, NULL, NULL);
			return -1;
		}
		log_info("database: applied migration %s", m->m_name);
	}
	return 0;
}

/* The figures that are counts of rows, at start-up (the scrape never asks). */
static int
figures_seed(struct store *s, char *err, size_t errlen)
{
	static const char sql[] =
	    "SELECT (SELECT count(*) FROM deliveries WHERE state = 'pending'), "
	    "(SELECT count(*) FROM complaints WHERE state != 'closed'), "
	    "(SELECT count(*) FROM complaints WHERE state != 'closed' AND overdue = 1)";
	sqlite3_stmt	*st;
	int		 rc;

	if (sqlite3_prepare_v2(s->s_db, sql, -1, &st, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "cannot count for the metrics: %s", sqlite3_errmsg(s->s_db));
		return -1;
	}
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		s->s_fig[SF_DELIVERIES_PENDING] = sqlite3_column_int64(st, 0);
		s->s_fig[SF_FOLLOWUPS_OPEN] = sqlite3_column_int64(st, 1);
		s->s_fig[SF_FOLLOWUPS_OVERDUE] = sqlite3_column_int64(st, 2);
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW) {
		snprintf(err, errlen, "cannot count for the metrics: %s", sqlite3_errmsg(s->s_db));
		return -1;
	}
	return 0;
}

/* ---- the figures, moved with the changes that move them ---- */

void
store_figure_add(struct store *s, int figure, int64_t delta)
{
	if (figure < 0 || figure >= SF__COUNT)
		fatalx("store_figure_add: no figure %d", figure);
	if (!s->s_in_tx) {	/* a write outside store_write(): it stands */
		s->s_fig[figure] += delta;
		return;
	}
	s->s_fig_change[figure] += delta;
	s->s_fig_moved = true;
}

int64_t
store_figure(const struct store *s, int figure)
{
	return figure >= 0 && figure < SF__COUNT ? s->s_fig[figure] : 0;
}

/* A change's moves into the group's (or the committed figures: no group). */
static void
figures_settle(struct store *s, bool into_group)
{
	int	i;

	if (!s->s_fig_moved)
		return;
	for (i = 0; i < SF__COUNT; i++) {
		if (into_group)
			s->s_fig_group[i] += s->s_fig_change[i];
		else
			s->s_fig[i] += s->s_fig_change[i];
		s->s_fig_change[i] = 0;
	}
	s->s_fig_moved = false;
	if (into_group)
		s->s_fig_group_moved = true;
}

/* The group's end: committed, its moves count; else they never happened. */
static void
figures_group_end(struct store *s, bool committed)
{
	int	i;

	if (!s->s_fig_group_moved)
		return;
	for (i = 0; i < SF__COUNT; i++) {
		if (committed)
			s->s_fig[i] += s->s_fig_group[i];
		s->s_fig_group[i] = 0;
	}
	s->s_fig_group_moved = false;
}

static void
figures_drop_change(struct store *s)
{
	if (s->s_fig_moved)
		memset(s->s_fig_change, 0, sizeof s->s_fig_change);
	s->s_fig_moved = false;
}

struct store *
store_open(const char *path, int wal_pages, char *err, size_t errlen)
{
	struct store	*s;
	sqlite3_stmt	*st;
	const char	*mode = "", *file;
	int		 i, version;

	if ((s = calloc(1, sizeof *s)) == NULL)
		fatal("calloc");
	if (sqlite3_open_v2(path, &s->s_db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
	    SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "cannot open: %s", sqlite3_errmsg(s->s_db));
		goto fail;
	}
	sqlite3_extended_result_codes(s->s_db, 1);
	/* SQLite opens a file it may not write read-only, without a word: say
	 * so now, in one line, not at the first ticket. */
	if (sqlite3_db_readonly(s->s_db, "main") == 1) {
		snprintf(err, errlen, "the database file is read-only");
		goto fail;
	}
	if (store_version(s, &version, err, errlen) == -1)
		goto fail;
	if (sqlite3_prepare_v2(s->s_db, "PRAGMA journal_mode = WAL", -1, &st, NULL) == SQLITE_OK) {
		if (sqlite3_step(st) == SQLITE_ROW)
			mode = (const char *)sqlite3_column_text(st, 0);
		i = mode != NULL && strcmp(mode, "wal") == 0;
		/* An in-memory database (":memory:", or a "file:NAME?mode=memory&
		 * cache=shared" URI that the reports' connection can share), as
		 * the fuzz target uses, cannot have a WAL: SQLite keeps it in
		 * journal mode "memory", which is accepted for it alone.  A
		 * database file always has a name, so it still needs WAL. */
		if (!i && mode != NULL && strcmp(mode, "memory") == 0) {
			file = sqlite3_db_filename(s->s_db, "main");
			i = file == NULL || *file == '\0';
		}
		sqlite3_finalize(st);
		if (!i) {
			snprintf(err, errlen, "cannot use WAL mode: %s", sqlite3_errmsg(s->s_db));
			goto fail;
		}
	} else {
		snprintf(err, errlen, "not a usable database: %s", sqlite3_errmsg(s->s_db));
		goto fail;
	}
	if (sqlite3_exec(s->s_db, "PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;",
	    NULL, NULL, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "cannot configure: %s", sqlite3_errmsg(s->s_db));
		goto fail;
	}
	if (store_migrate(s, version, err, errlen) == -1)
		goto fail;
	/* The WAL and its index (-wal, -shm) may be read-only where the
	 * database is not: SQLite then opens them read-only and refuses every
	 * write.  Find out now, not at the first ticket.  (A lock held by
	 * someone else passes: that clears by itself.) */
	i = sqlite3_exec(s->s_db, "BEGIN IMMEDIATE; ROLLBACK", NULL, NULL, NULL);
	if ((i & 0xff) == SQLITE_READONLY || (i & 0xff) == SQLITE_CANTOPEN ||
	    (i & 0xff) == SQLITE_PERM || (i & 0xff) == SQLITE_IOERR) {
		snprintf(err, errlen, "cannot write: %s (are its -wal and -shm files "
		    "writable?)", sqlite3_errmsg(s->s_db));
		goto fail;
	}
	for (i = 0; i < ST__COUNT; i++) {
		if (sqlite3_prepare_v3(s->s_db, stmt_sql[i], -1, SQLITE_PREPARE_PERSISTENT,
		    &s->s_stmt[i], NULL) != SQLITE_OK) {
			snprintf(err, errlen, "cannot prepare \"%s\": %s", stmt_sql[i],
			    sqlite3_errmsg(s->s_db));
			goto fail;
		}
	}
	if (figures_seed(s, err, errlen) == -1)
		goto fail;
	/* Checkpoints off the loop (src/checkpoint.c); a database in memory
	 * has no WAL to copy. */
	file = sqlite3_db_filename(s->s_db, "main");
	if (file != NULL && *file != '\0' &&
	    checkpoint_start(s->s_db, wal_pages, err, errlen) == -1)
		goto fail;
	s->s_opened = true;
	return s;
fail:
	store_close(s);
	return NULL;
}

void
store_close(struct store *s)
{
	int	i;

	if (s == NULL)
		return;
	if (s->s_in_group && store_group_commit(s) == -1)
		log_warnx("database: the last changes could not be committed at close: %s",
		    store_errmsg(s));
	for (i = 0; i < ST__COUNT; i++)
		sqlite3_finalize(s->s_stmt[i]);
	if (s->s_db != NULL) {
		checkpoint_stop(s->s_db);
		/* Leave a tidy database: the WAL folded into the main file. */
		if (sqlite3_wal_checkpoint_v2(s->s_db, NULL, SQLITE_CHECKPOINT_TRUNCATE, NULL,
		    NULL) != SQLITE_OK && s->s_opened)
			log_warnx("database: checkpoint: %s; the WAL stays and is read at the "
			    "next start", sqlite3_errmsg(s->s_db));
		if (sqlite3_close(s->s_db) != SQLITE_OK)
			log_warnx("database: close: %s", sqlite3_errmsg(s->s_db));
	}
	free(s);
}

const char *
store_errmsg(struct store *s)
{
	return s->s_errmsg[0] != '\0' ? s->s_errmsg : sqlite3_errmsg(s->s_db);
}

static int
store_begin(struct store *s)
{
	if (s->s_in_tx)
		fatalx("store_begin: a transaction is already open");
	if (s->s_grouping) {
		if (s->s_group_lost) {
			snprintf(s->s_errmsg, sizeof s->s_errmsg, "%s",
			    "the changes of this moment were rolled back");
			return -1;
		}
		if (!s->s_in_group) {
			if (!sqlite3_get_autocommit(s->s_db))
				store_exec(s, ST_ROLLBACK);
			if (store_exec(s, ST_BEGIN) == -1)
				return -1;
			s->s_in_group = true;
			s->s_group_opened(s->s_group_arg);
		}
		if (store_exec(s, ST_SAVEPOINT) == -1)
			return -1;
		s->s_in_tx = true;
		return 0;
	}
	/* A ROLLBACK that failed leaves SQLite's transaction open: end it now,
	 * or no change could ever be written again. */
	if (!sqlite3_get_autocommit(s->s_db))
		store_exec(s, ST_ROLLBACK);
	if (store_exec(s, ST_BEGIN) == -1)
		return -1;
	s->s_in_tx = true;
	return 0;
}

/* A COMMIT, its time in branchq_commit_seconds (GET /metrics). */
static int
timed_commit(struct store *s)
{
	struct timespec	a, b;
	int		rc;

	clock_gettime(CLOCK_MONOTONIC, &a);
	rc = store_exec(s, ST_COMMIT);
	clock_gettime(CLOCK_MONOTONIC, &b);
	metrics_commit((double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9,
	    rc == 0);
	return rc;
}

/*
 * In a group, "commit" releases the change's savepoint: it is part of the
 * group's transaction, durable once store_group_commit() returns 0.
 */
static int
store_commit(struct store *s)
{
	if (!s->s_in_tx)
		fatalx("store_commit: no transaction");
	if (s->s_in_group) {
		if (store_exec(s, ST_RELEASE) == -1)
			return -1;
		s->s_in_tx = false;
		s->s_changes++;
		figures_settle(s, true);
		return 0;
	}
	if (timed_commit(s) == -1)
		return -1;	/* still open: the caller rolls back */
	s->s_in_tx = false;
	s->s_changes++;
	figures_settle(s, false);
	return 0;
}

static void
store_rollback(struct store *s)
{
	if (!s->s_in_tx)
		return;
	s->s_in_tx = false;
	figures_drop_change(s);
	if (s->s_in_group) {
		/* Only this change: its neighbours in the group stay. */
		if (!sqlite3_get_autocommit(s->s_db)) {
			if (store_exec(s, ST_ROLLBACK_TO) == 0 && store_exec(s, ST_RELEASE) == 0)
				return;
			store_exec(s, ST_ROLLBACK);
		}
		/* SQLite ended the whole transaction (a full disk, an I/O error):
		 * the group's earlier changes are gone too. */
		s->s_in_group = false;
		s->s_group_lost = true;
		figures_group_end(s, false);
		return;
	}
	/* A failed COMMIT may already have ended the transaction. */
	if (!sqlite3_get_autocommit(s->s_db))
		store_exec(s, ST_ROLLBACK);
}

/*
 * The one write path: every change any module makes reaches the database
 * here, so begin, savepoint, commit, rollback and the message a client
 * sees when the disk refuses exist once.
 */
int
store_write(struct store *s, int (*fn)(struct store *, void *), void *arg,
    const char *outcome, struct bq_error *err)
{
	if (store_begin(s) == 0 && fn(s, arg) == 0 && store_commit(s) == 0)
		return 0;
	store_rollback(s);
	if (err != NULL)
		bq_unwritable(err, store_errmsg(s), outcome);
	return -1;
}

void
store_group_enable(struct store *s, void (*opened)(void *), void *arg)
{
	s->s_grouping = true;
	s->s_group_opened = opened;
	s->s_group_arg = arg;
}

bool
store_group_open(const struct store *s)
{
	return s->s_in_group || s->s_group_lost;
}

uint64_t
store_changes(const struct store *s)
{
	return s->s_changes;
}

int
store_group_commit(struct store *s)
{
	bool	lost = s->s_group_lost;

	if (s->s_in_tx)
		fatalx("store_group_commit: a change is still open");
	s->s_group_lost = false;
	if (!s->s_in_group) {
		if (lost)
			metrics_commit(0, false);	/* SQLite rolled it back itself */
		return lost ? -1 : 0;
	}
	s->s_in_group = false;
	if (timed_commit(s) == 0) {
		figures_group_end(s, true);
		return 0;
	}
	figures_group_end(s, false);
	if (!sqlite3_get_autocommit(s->s_db))
		store_exec(s, ST_ROLLBACK);
	return -1;
}

int
store_last_number(struct store *s, const char *date, enum lane lane, int *seq)
{
	sqlite3_stmt	*st = s->s_stmt[ST_SEQ_LAST];
	int		 rc;

	sqlite3_bind_text(st, 1, date, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 2, lane_name(lane), -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*seq = sqlite3_column_int(st, 0);
	else
		store_fail(s, "lane sequence");
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return rc == SQLITE_ROW ? 0 : -1;
}

int
store_ticket_insert(struct store *s, struct ticket *t)
{
	sqlite3_stmt	*st = s->s_stmt[ST_TICKET_INSERT];

	bind_text(st, 1, t->t_date);
	bind_text(st, 2, t->t_number);
	sqlite3_bind_text(st, 3, lane_name(t->t_lane), -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, lane_name(t->t_issue_lane), -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, ticket_status_name(t->t_status), -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 6, service_name(t->t_service), -1, SQLITE_STATIC);
	bind_opt_int(st, 7, t->t_amount_fen);
	sqlite3_bind_int(st, 8, t->t_flags.tf_loose_cash);
	sqlite3_bind_int(st, 9, t->t_flags.tf_vip);
	sqlite3_bind_int(st, 10, t->t_flags.tf_needs_assistance);
	bind_text(st, 11, accessibility_name(t->t_flags.tf_accessibility));
	sqlite3_bind_int(st, 12, t->t_priority);
	sqlite3_bind_int(st, 13, t->t_eligible);
	sqlite3_bind_text(st, 14, route_rule_name(t->t_rule), -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 15, t->t_issued_at);
	sqlite3_bind_int64(st, 16, t->t_queued_at);
	if (store_exec(s, ST_TICKET_INSERT) == -1)
		return -1;
	t->t_id = sqlite3_last_insert_rowid(s->s_db);
	store_figure_add(s, SF_TICKETS_ISSUED + (int)t->t_issue_lane * RULE__COUNT +
	    (int)t->t_rule, 1);
	return 0;
}

int
store_ticket_update(struct store *s, const struct ticket *t)
{
	sqlite3_stmt	*st = s->s_stmt[ST_TICKET_UPDATE];

	sqlite3_bind_int64(st, 1, t->t_id);
	sqlite3_bind_text(st, 2, lane_name(t->t_lane), -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, ticket_status_name(t->t_status), -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 4, t->t_flags.tf_loose_cash);
	sqlite3_bind_int(st, 5, t->t_flags.tf_needs_assistance);
	sqlite3_bind_int(st, 6, t->t_priority);
	sqlite3_bind_int64(st, 7, t->t_queued_at);
	bind_opt_int(st, 8, t->t_called_at);
	bind_opt_int(st, 9, t->t_started_at);
	bind_opt_int(st, 10, t->t_finished_at);
	bind_opt_int(st, 11, t->t_window);
	sqlite3_bind_int(st, 12, t->t_recalls);
	bind_text(st, 13, t->t_staff);
	bind_opt_int(st, 14, t->t_first_called_at);
	bind_text(st, 15, t->t_closed_by_day_end ? "day_end" : NULL);
	return store_exec(s, ST_TICKET_UPDATE);
}

int
store_ticket_event(struct store *s, const struct ticket_event *ev)
{
	sqlite3_stmt	*st = s->s_stmt[ST_EVENT_INSERT];

	sqlite3_bind_int64(st, 1, ev->te_ticket_id);
	sqlite3_bind_int64(st, 2, ev->te_at);
	sqlite3_bind_text(st, 3, ev->te_action == TICKET_EVENT_ISSUED ? "issued" :
	    ticket_action_name((enum ticket_action)ev->te_action), -1, SQLITE_STATIC);
	bind_text(st, 4, ev->te_terminal);
	bind_text(st, 5, ev->te_staff);
	bind_opt_int(st, 6, ev->te_window);
	bind_text(st, 7, ev->te_from_lane >= 0 ? lane_name((enum lane)ev->te_from_lane) : NULL);
	bind_text(st, 8, ev->te_to_lane >= 0 ? lane_name((enum lane)ev->te_to_lane) : NULL);
	bind_text(st, 9, ev->te_reason);
	return store_exec(s, ST_EVENT_INSERT);
}

/* "counter,express": a window's lanes as the windows table keeps them. */
static void
window_lanes(const struct window *w, char lanes[64])
{
	int	i;

	lanes[0] = '\0';
	for (i = 0; i < w->w_nlanes; i++) {
		if (i > 0)
			strncat(lanes, ",", 64 - strlen(lanes) - 1);
		strncat(lanes, lane_name(w->w_lanes[i]), 64 - strlen(lanes) - 1);
	}
}

int
store_window_save(struct store *s, const struct window *w)
{
	sqlite3_stmt	*st = s->s_stmt[ST_WINDOW_SAVE];
	char		 lanes[64];

	window_lanes(w, lanes);
	sqlite3_bind_int(st, 1, w->w_no);
	sqlite3_bind_text(st, 2, w->w_terminal, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 3, w->w_staff, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 4, lanes, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int(st, 5, w->w_paused);
	bind_opt_int(st, 6, w->w_current != NULL ? w->w_current->t_id : 0);
	sqlite3_bind_int64(st, 7, w->w_opened_at);
	return store_exec(s, ST_WINDOW_SAVE);
}

int
store_window_delete(struct store *s, int no)
{
	sqlite3_bind_int(s->s_stmt[ST_WINDOW_DELETE], 1, no);
	return store_exec(s, ST_WINDOW_DELETE);
}

int
store_window_event(struct store *s, const struct window *w, const char *kind,
    const char *state, int64_t at)
{
	sqlite3_stmt	*st = s->s_stmt[ST_WINDOW_EVENT];
	char		 lanes[64];

	window_lanes(w, lanes);
	sqlite3_bind_int(st, 1, w->w_no);
	sqlite3_bind_int64(st, 2, at);
	sqlite3_bind_text(st, 3, kind, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, state, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, w->w_terminal, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 6, w->w_staff, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 7, lanes, -1, SQLITE_STATIC);
	return store_exec(s, ST_WINDOW_EVENT);
}

int
store_selfservice_event(struct store *s, bool available, const struct actor *a, int64_t at)
{
	sqlite3_stmt	*st = s->s_stmt[ST_SELFSERVICE_EVENT];

	sqlite3_bind_int64(st, 1, at);
	sqlite3_bind_int(st, 2, available);
	bind_text(st, 3, a->a_terminal);
	bind_text(st, 4, a->a_staff);
	return store_exec(s, ST_SELFSERVICE_EVENT);
}

int
store_setting_set(struct store *s, const char *key, const char *value)
{
	sqlite3_stmt	*st = s->s_stmt[ST_SETTING_SET];

	sqlite3_bind_text(st, 1, key, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 2, value, -1, SQLITE_TRANSIENT);
	return store_exec(s, ST_SETTING_SET);
}

int
store_setting_get(struct store *s, const char *key, char **value)
{
	sqlite3_stmt	*st = s->s_stmt[ST_SETTING_GET];
	int		 rc;

	*value = NULL;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_TRANSIENT);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW && (*value = strdup((const char *)sqlite3_column_text(st, 0))) == NULL)
		fatal("strdup");
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : store_fail(s, "setting");
}

/* ---- start-up ---- */

static const char *
column_text(sqlite3_stmt *st, int col)
{
	const unsigned char	*v = sqlite3_column_text(st, col);

	return v != NULL ? (const char *)v : "";
}

static int
enum_column(sqlite3_stmt *st, int col, int (*from_name)(const char *), const char *what)
{
	int	v = from_name(column_text(st, col));

	if (v < 0)
		fatalx("database: tickets.%s holds unknown value \"%s\"", what, column_text(st, col));
	return v;
}

static struct ticket *
ticket_from_row(sqlite3_stmt *st)
{
	struct ticket	*t;
	const char	*acc;

	if ((t = calloc(1, sizeof *t)) == NULL)
		fatal("calloc");
	t->t_id = sqlite3_column_int64(st, 0);
	snprintf(t->t_date, sizeof t->t_date, "%s", column_text(st, 1));
	snprintf(t->t_number, sizeof t->t_number, "%s", column_text(st, 2));
	t->t_lane = (enum lane)enum_column(st, 3, lane_from_name, "lane");
	t->t_issue_lane = (enum lane)enum_column(st, 4, lane_from_name, "issue_lane");
	t->t_status = (enum ticket_status)enum_column(st, 5, ticket_status_from_name, "status");
	t->t_service = (enum service)enum_column(st, 6, service_from_name, "service");
	t->t_amount_fen = sqlite3_column_int64(st, 7);
	t->t_flags.tf_loose_cash = sqlite3_column_int(st, 8) != 0;
	t->t_flags.tf_vip = sqlite3_column_int(st, 9) != 0;
	t->t_flags.tf_needs_assistance = sqlite3_column_int(st, 10) != 0;
	acc = column_text(st, 11);
	t->t_flags.tf_accessibility = *acc == '\0' ? ACCESS_NONE :
	    (enum accessibility)enum_column(st, 11, accessibility_from_name, "accessibility");
	t->t_priority = sqlite3_column_int(st, 12) != 0;
	t->t_eligible = sqlite3_column_int(st, 13) != 0;
	t->t_rule = (enum route_rule)enum_column(st, 14, route_rule_from_name, "route_rule");
	t->t_issued_at = sqlite3_column_int64(st, 15);
	t->t_queued_at = sqlite3_column_int64(st, 16);
	t->t_called_at = sqlite3_column_int64(st, 17);
	t->t_started_at = sqlite3_column_int64(st, 18);
	t->t_finished_at = sqlite3_column_int64(st, 19);
	t->t_window = sqlite3_column_int(st, 20);
	t->t_recalls = sqlite3_column_int(st, 21);
	snprintf(t->t_staff, sizeof t->t_staff, "%s", column_text(st, 22));
	t->t_first_called_at = sqlite3_column_int64(st, 23);
	t->t_closed_by_day_end = strcmp(column_text(st, 24), "day_end") == 0;
	return t;
}

static struct ticket *
load_ticket_by_id(struct store *s, struct queue *q, int64_t id)
{
	sqlite3_stmt	*st = s->s_stmt[ST_TICKET_KEY];
	struct ticket	*t = NULL;

	sqlite3_bind_int64(st, 1, id);
	if (sqlite3_step(st) == SQLITE_ROW)
		t = queue_find(q, column_text(st, 0), column_text(st, 1));
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return t;
}

static int
load_windows(struct store *s, struct queue *q)
{
	sqlite3_stmt	*st = s->s_stmt[ST_LOAD_WINDOWS];
	struct window	*w;
	char		 lanes[64], *p, *tok, *save;
	int		 no, rc, lane;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		no = sqlite3_column_int(st, 0);
		if (no < 1 || no > BQ_MAX_WINDOW)
			fatalx("database: window number %d out of range", no);
		w = &q->q_windows[no];
		w->w_open = true;
		snprintf(w->w_terminal, sizeof w->w_terminal, "%s", column_text(st, 1));
		snprintf(w->w_staff, sizeof w->w_staff, "%s", column_text(st, 2));
		snprintf(lanes, sizeof lanes, "%s", column_text(st, 3));
		w->w_nlanes = 0;
		for (p = lanes; (tok = strtok_r(p, ",", &save)) != NULL; p = NULL) {
			if ((lane = lane_from_name(tok)) < 0 || w->w_nlanes == LANE__COUNT)
				fatalx("database: window %d has bad lanes \"%s\"", no, tok);
			w->w_lanes[w->w_nlanes++] = (enum lane)lane;
		}
		w->w_paused = sqlite3_column_int(st, 4) != 0;
		if (sqlite3_column_type(st, 5) != SQLITE_NULL &&
		    (w->w_current = load_ticket_by_id(s, q, sqlite3_column_int64(st, 5))) == NULL)
			fatalx("database: window %d holds a ticket that was not loaded", no);
		w->w_opened_at = sqlite3_column_int64(st, 6);
	}
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : store_fail(s, "load windows");
}

static int
load_recent_service(struct store *s, struct queue *q)
{
	sqlite3_stmt	*st = s->s_stmt[ST_RECENT_SERVICE];
	int64_t		 recent[QUEUE_RECENT];
	int		 lane, n, rc;

	for (lane = 0; lane < LANE__COUNT; lane++) {
		sqlite3_bind_text(st, 1, lane_name((enum lane)lane), -1, SQLITE_STATIC);
		sqlite3_bind_int(st, 2, QUEUE_RECENT);
		for (n = 0; (rc = sqlite3_step(st)) == SQLITE_ROW && n < QUEUE_RECENT; n++)
			recent[n] = sqlite3_column_int64(st, 0);
		sqlite3_reset(st);
		if (rc != SQLITE_DONE && rc != SQLITE_ROW)
			return store_fail(s, "load service times");
		while (n-- > 0)		/* oldest first, as they happened */
			queue_record_service(q, (enum lane)lane, recent[n]);
	}
	sqlite3_clear_bindings(st);
	return 0;
}

int
store_load(struct store *s, struct queue *q, const char *today)
{
	sqlite3_stmt	*st = s->s_stmt[ST_LOAD_TICKETS];
	int		 rc;

	sqlite3_bind_text(st, 1, today, -1, SQLITE_TRANSIENT);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		queue_adopt(q, ticket_from_row(st));
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (rc != SQLITE_DONE)
		return store_fail(s, "load tickets");
	if (load_windows(s, q) == -1)
		return -1;
	return load_recent_service(s, q);
}

/* ---- complaints, surveys, outbox ---- */

static void
bind_complaint(sqlite3_stmt *st, const struct complaint *c)
{
	sqlite3_bind_text(st, 1, complaint_state_name(c->c_state), -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, complaint_categories[c->c_category], -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 3, c->c_severity);
	sqlite3_bind_text(st, 4, c->c_channel, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 5, c->c_description, -1, SQLITE_TRANSIENT);
	bind_opt_int(st, 6, c->c_ticket_id);
	bind_text(st, 7, c->c_ticket_number);
	bind_text(st, 8, c->c_customer_name);
	bind_text(st, 9, c->c_customer_phone);
	sqlite3_bind_text(st, 10, c->c_first_responder, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 11, c->c_owner, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 12, c->c_logged_at);
	sqlite3_bind_text(st, 13, c->c_date, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 14, c->c_follow_up_due);
	sqlite3_bind_int(st, 15, c->c_overdue);
	bind_text(st, 16, c->c_resolution);
	bind_text(st, 17, c->c_root_cause >= 0 ? root_causes[c->c_root_cause] : NULL);
	bind_opt_int(st, 18, c->c_resolved_at);
	bind_opt_int(st, 19, c->c_closed_at);
	sqlite3_bind_int64(st, 20, c->c_compensation_fen);
}

int
store_complaint_insert(struct store *s, struct complaint *c)
{
	bind_complaint(s->s_stmt[ST_COMPLAINT_INSERT], c);
	if (store_exec(s, ST_COMPLAINT_INSERT) == -1)
		return -1;
	c->c_id = sqlite3_last_insert_rowid(s->s_db);
	if (c->c_state != CS_CLOSED) {
		store_figure_add(s, SF_FOLLOWUPS_OPEN, 1);
		if (c->c_overdue)
			store_figure_add(s, SF_FOLLOWUPS_OVERDUE, 1);
	}
	return 0;
}

int
store_complaint_update(struct store *s, const struct complaint *c)
{
	sqlite3_stmt	*st = s->s_stmt[ST_COMPLAINT_UPDATE];

	bind_complaint(st, c);
	sqlite3_bind_int64(st, 21, c->c_id);
	return store_exec(s, ST_COMPLAINT_UPDATE);
}

static int
name_index(const char *const *names, const char *v)
{
	int	i;

	for (i = 0; names[i] != NULL; i++)
		if (strcmp(names[i], v) == 0)
			return i;
	return -1;
}

static void
copy_column(char *dst, size_t len, sqlite3_stmt *st, int col)
{
	snprintf(dst, len, "%s", column_text(st, col));
}

const char *
store_complaint_columns(void)
{
	return COMPLAINT_COLUMNS ", id, erased_at";
}

void
store_complaint_row(struct sqlite3_stmt *st, struct complaint *c)
{
		memset(c, 0, sizeof *c);
		if ((int)(c->c_state = (enum complaint_state)
		    complaint_state_from_name(column_text(st, 0))) < 0 ||
		    (c->c_category = name_index(complaint_categories, column_text(st, 1))) < 0)
			fatalx("database: complaint %lld has a bad state or category",
			    (long long)sqlite3_column_int64(st, 20));
		c->c_severity = sqlite3_column_int(st, 2);
		copy_column(c->c_channel, sizeof c->c_channel, st, 3);
		copy_column(c->c_description, sizeof c->c_description, st, 4);
		c->c_ticket_id = sqlite3_column_int64(st, 5);
		copy_column(c->c_ticket_number, sizeof c->c_ticket_number, st, 6);
		copy_column(c->c_customer_name, sizeof c->c_customer_name, st, 7);
		copy_column(c->c_customer_phone, sizeof c->c_customer_phone, st, 8);
		copy_column(c->c_first_responder, sizeof c->c_first_responder, st, 9);
		copy_column(c->c_owner, sizeof c->c_owner, st, 10);
		c->c_logged_at = sqlite3_column_int64(st, 11);
		copy_column(c->c_date, sizeof c->c_date, st, 12);
		c->c_follow_up_due = sqlite3_column_int64(st, 13);
		c->c_overdue = sqlite3_column_int(st, 14) != 0;
		copy_column(c->c_resolution, sizeof c->c_resolution, st, 15);
		c->c_root_cause = sqlite3_column_type(st, 16) == SQLITE_NULL ? -1 :
		    name_index(root_causes, column_text(st, 16));
		c->c_resolved_at = sqlite3_column_int64(st, 17);
		c->c_closed_at = sqlite3_column_int64(st, 18);
		c->c_compensation_fen = sqlite3_column_int64(st, 19);
		c->c_id = sqlite3_column_int64(st, 20);
		c->c_erased_at = sqlite3_column_int64(st, 21);
}

int
store_complaint_get(struct store *s, int64_t id, struct complaint *c)
{
	sqlite3_stmt	*st = s->s_stmt[ST_COMPLAINT_GET];
	int		 rc;

	sqlite3_bind_int64(st, 1, id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		store_complaint_row(st, c);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (rc == SQLITE_ROW)
		return 0;
	return rc == SQLITE_DONE ? 1 : store_fail(s, "complaint");
}

int
store_complaint_action(struct store *s, const struct complaint *c,
    const struct complaint_action *a)
{
	sqlite3_stmt	*st = s->s_stmt[ST_ACTION_INSERT];
	char		 date[BQ_DATE_LEN];
	bool		 followup = a->ca_on_time >= 0;

	business_date(a->ca_at, date);
	sqlite3_bind_int64(st, 1, c->c_id);
	sqlite3_bind_text(st, 2, complaint_step_kind(a->ca_step), -1, SQLITE_STATIC);
	bind_text(st, 3, a->ca_actor);
	sqlite3_bind_int64(st, 4, a->ca_at);
	sqlite3_bind_text(st, 5, date, -1, SQLITE_TRANSIENT);
	bind_text(st, 6, a->ca_note);
	if (a->ca_step == STEP_COMPENSATION)
		sqlite3_bind_int64(st, 7, a->ca_amount_fen);
	bind_text(st, 8, a->ca_to_staff);
	if (followup) {
		sqlite3_bind_text(st, 9, followup_outcomes[a->ca_step - STEP_FOLLOWUP_SATISFIED],
		    -1, SQLITE_STATIC);
		sqlite3_bind_int(st, 10, a->ca_on_time);
	}
	bind_text(st, 11, a->ca_root_cause >= 0 ? root_causes[a->ca_root_cause] : NULL);
	return store_exec(s, ST_ACTION_INSERT);
}

static enum complaint_step
step_from_row(sqlite3_stmt *st)
{
	const char	*kind = column_text(st, 0), *outcome = column_text(st, 6);
	int		 i;

	if (strcmp(kind, "followup") == 0 && (i = name_index(followup_outcomes, outcome)) >= 0)
		return (enum complaint_step)(STEP_FOLLOWUP_SATISFIED + i);
	for (i = 0; i < STEP__COUNT; i++)
		if (strcmp(complaint_step_kind((enum complaint_step)i), kind) == 0)
			return (enum complaint_step)i;
	fatalx("database: complaint action kind \"%s\" unknown", kind);
}

int
store_complaint_history(struct store *s, int64_t id,
    void (*fn)(const struct complaint_action *, void *), void *arg)
{
	sqlite3_stmt		*st = s->s_stmt[ST_ACTION_LIST];
	struct complaint_action	 a;
	int			 rc;

	sqlite3_bind_int64(st, 1, id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		memset(&a, 0, sizeof a);
		a.ca_step = step_from_row(st);
		copy_column(a.ca_actor, sizeof a.ca_actor, st, 1);
		a.ca_at = sqlite3_column_int64(st, 2);
		copy_column(a.ca_note, sizeof a.ca_note, st, 3);
		a.ca_amount_fen = sqlite3_column_int64(st, 4);
		copy_column(a.ca_to_staff, sizeof a.ca_to_staff, st, 5);
		a.ca_on_time = sqlite3_column_type(st, 7) == SQLITE_NULL ? -1 :
		    sqlite3_column_int(st, 7);
		a.ca_root_cause = sqlite3_column_type(st, 8) == SQLITE_NULL ? -1 :
		    name_index(root_causes, column_text(st, 8));
		fn(&a, arg);
	}
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return rc == SQLITE_DONE ? 0 : store_fail(s, "complaint history");
}

int
store_complaint_next_due(struct store *s, int64_t *at)
{
	sqlite3_stmt	*st = s->s_stmt[ST_NEXT_DUE];
	int		 rc;

	*at = 0;
	if ((rc = sqlite3_step(st)) == SQLITE_ROW)
		*at = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	return rc == SQLITE_ROW ? 0 : store_fail(s, "next follow-up due");
}

int
store_complaints_due(struct store *s, int64_t at, int64_t **ids, size_t *n)
{
	sqlite3_stmt	*st = s->s_stmt[ST_DUE_LIST];
	int		 rc;

	*ids = NULL;
	*n = 0;
	sqlite3_bind_int64(st, 1, at);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if ((*ids = reallocarray(*ids, *n + 1, sizeof **ids)) == NULL)
			fatal("reallocarray");
		(*ids)[(*n)++] = sqlite3_column_int64(st, 0);
	}
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return rc == SQLITE_DONE ? 0 : store_fail(s, "complaints due");
}

int
store_survey_answered(struct store *s, int64_t ticket_id, int64_t *at)
{
	sqlite3_stmt	*st = s->s_stmt[ST_SURVEY_EXISTS];
	int		 rc;

	sqlite3_bind_int64(st, 1, ticket_id);
	rc = sqlite3_step(st);
	*at = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : store_fail(s, "survey");
}

int
store_survey_insert(struct store *s, int64_t ticket_id, int score, const char *reason,
    int64_t at, const char *date, int64_t complaint_id)
{
	sqlite3_stmt	*st = s->s_stmt[ST_SURVEY_INSERT];

	sqlite3_bind_int64(st, 1, ticket_id);
	sqlite3_bind_int(st, 2, score);
	bind_text(st, 3, reason);
	sqlite3_bind_int64(st, 4, at);
	sqlite3_bind_text(st, 5, date, -1, SQLITE_TRANSIENT);
	bind_opt_int(st, 6, complaint_id);
	return store_exec(s, ST_SURVEY_INSERT);
}

int
store_request_key_get(struct store *s, const struct request_key *rk,
    struct request_key_row *row)
{
	sqlite3_stmt	*st = s->s_stmt[ST_KEY_GET];
	int		 rc;

	memset(row, 0, sizeof *row);
	sqlite3_bind_text(st, 1, rk->rk_terminal, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, rk->rk_date, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, rk->rk_key, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		copy_column(row->kr_op, sizeof row->kr_op, st, 0);
		copy_column(row->kr_fingerprint, sizeof row->kr_fingerprint, st, 1);
		row->kr_ticket_id = sqlite3_column_int64(st, 2);
		row->kr_complaint_id = sqlite3_column_int64(st, 3);
		copy_column(row->kr_ticket_date, sizeof row->kr_ticket_date, st, 4);
		copy_column(row->kr_ticket_number, sizeof row->kr_ticket_number, st, 5);
		row->kr_printed = sqlite3_column_type(st, 6) == SQLITE_NULL ? -1 :
		    sqlite3_column_int(st, 6) != 0;
	}
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (rc == SQLITE_ROW)
		return 0;
	return rc == SQLITE_DONE ? 1 : store_fail(s, "request key");
}

int
store_request_key_insert(struct store *s, const struct request_key *rk, int64_t ticket_id,
    int64_t complaint_id, int64_t at, int printed)
{
	sqlite3_stmt	*st = s->s_stmt[ST_KEY_INSERT];

	sqlite3_bind_text(st, 1, rk->rk_terminal, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, rk->rk_date, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, rk->rk_key, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, rk->rk_op, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, rk->rk_fingerprint, -1, SQLITE_STATIC);
	bind_opt_int(st, 6, ticket_id);
	bind_opt_int(st, 7, complaint_id);
	sqlite3_bind_int64(st, 8, at);
	if (printed >= 0)
		sqlite3_bind_int(st, 9, printed > 0);
	else
		sqlite3_bind_null(st, 9);
	return store_exec(s, ST_KEY_INSERT);
}

int
store_outbox_add(struct store *s, const char *event, const char *body, int64_t at,
    int64_t complaint_id, int64_t *id)
{
	sqlite3_stmt	*st = s->s_stmt[ST_OUTBOX_ADD];

	sqlite3_bind_text(st, 1, event, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, body, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 3, at);
	bind_opt_int(st, 4, complaint_id);
	if (store_exec(s, ST_OUTBOX_ADD) == -1)
		return -1;
	*id = sqlite3_last_insert_rowid(s->s_db);
	return 0;
}

/* ---- retention (src/retention.c) ---- */

/* Up to max ids from a statement whose first column is one, bound ?1 ?2. */
static int
erase_due(struct store *s, enum stmt id, int64_t before, int64_t *ids, int64_t *tickets,
    size_t max, size_t *n)
{
	sqlite3_stmt	*st = s->s_stmt[id];
	int		 rc = SQLITE_DONE;

	*n = 0;
	sqlite3_bind_int64(st, 1, before);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)max);
	while (*n < max && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		ids[*n] = sqlite3_column_int64(st, 0);
		if (tickets != NULL)
			tickets[*n] = sqlite3_column_int64(st, 1);
		(*n)++;
	}
	if (*n < max && rc != SQLITE_DONE) {
		store_fail(s, stmt_sql[id]);
		sqlite3_reset(st);
		sqlite3_clear_bindings(st);
		return -1;
	}
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return 0;
}

int
store_erase_due_complaints(struct store *s, int64_t closed_before, int64_t *ids, size_t max,
    size_t *n)
{
	return erase_due(s, ST_ERASE_DUE_COMPLAINTS, closed_before, ids, NULL, max, n);
}

int
store_erase_due_surveys(struct store *s, int64_t before, int64_t *ids, int64_t *tickets,
    size_t max, size_t *n)
{
	return erase_due(s, ST_ERASE_DUE_SURVEYS, before, ids, tickets, max, n);
}

/* Binds ?1 and ?2 (when the statement has it) and runs it. */
static int
erase_exec(struct store *s, enum stmt id, int64_t row, int64_t at)
{
	sqlite3_stmt	*st = s->s_stmt[id];

	sqlite3_bind_int64(st, 1, row);
	if (sqlite3_bind_parameter_count(st) >= 2)
		sqlite3_bind_int64(st, 2, at);
	return store_exec(s, id);
}

/* In the open transaction; the order matters: the survey's reason is read
 * by the complaint's statement before its own erases it, and the outbox
 * takes the complaint's description once erased. */
int
store_erase_complaint(struct store *s, int64_t id, int64_t at)
{
	if (erase_exec(s, ST_ERASE_COMPLAINT, id, at) == -1 ||
	    erase_exec(s, ST_ERASE_COMPLAINT_SURVEY, id, at) == -1 ||
	    erase_exec(s, ST_ERASE_OUTBOX, id, at) == -1 ||
	    erase_exec(s, ST_ERASE_COMPLAINT_KEYS, id, at) == -1)
		return -1;
	return 0;
}

int
store_erase_survey(struct store *s, int64_t id, int64_t ticket_id, int64_t at)
{
	if (erase_exec(s, ST_ERASE_SURVEY, id, at) == -1 ||
	    erase_exec(s, ST_ERASE_SURVEY_KEYS, ticket_id, at) == -1)
		return -1;
	return 0;
}

/* ---- webhook deliveries ---- */

const char *const delivery_state_names[] = { "pending", "delivered", "failed", NULL };

int
store_delivery_add(struct store *s, const struct delivery *dv)
{
	sqlite3_stmt	*st = s->s_stmt[ST_DELIVERY_ADD];

	sqlite3_bind_int64(st, 1, dv->dv_outbox_id);
	sqlite3_bind_text(st, 2, dv->dv_receiver, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 3, dv->dv_key, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 4, delivery_state_names[dv->dv_state], -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 5, dv->dv_next_at);
	sqlite3_bind_int64(st, 6, dv->dv_retry_from);
	bind_text(st, 7, dv->dv_last_error);
	sqlite3_bind_int64(st, 8, dv->dv_created_at);
	if (store_exec(s, ST_DELIVERY_ADD) == -1)
		return -1;
	if (dv->dv_state == DS_PENDING)
		store_figure_add(s, SF_DELIVERIES_PENDING, 1);
	return 0;
}

int
store_delivery_pending_count(struct store *s, const char *receiver, int64_t *n)
{
	sqlite3_stmt	*st = s->s_stmt[ST_DELIVERY_PENDING_COUNT];
	int		 rc;

	sqlite3_bind_text(st, 1, receiver, -1, SQLITE_TRANSIENT);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW)
		*n = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return rc == SQLITE_ROW ? 0 : store_fail(s, "pending deliveries");
}

static void
delivery_from_row(sqlite3_stmt *st, struct delivery *dv)
{
	int	state;

	memset(dv, 0, sizeof *dv);
	dv->dv_id = sqlite3_column_int64(st, 0);
	dv->dv_outbox_id = sqlite3_column_int64(st, 1);
	copy_column(dv->dv_event, sizeof dv->dv_event, st, 2);
	copy_column(dv->dv_receiver, sizeof dv->dv_receiver, st, 3);
	copy_column(dv->dv_key, sizeof dv->dv_key, st, 4);
	state = name_index(delivery_state_names, column_text(st, 5));
	dv->dv_state = state < 0 ? DS_FAILED : (enum delivery_state)state;
	dv->dv_attempts = sqlite3_column_int(st, 6);
	dv->dv_next_at = sqlite3_column_int64(st, 7);
	dv->dv_retry_from = sqlite3_column_int64(st, 8);
	dv->dv_last_attempt_at = sqlite3_column_int64(st, 9);
	dv->dv_last_status = sqlite3_column_int(st, 10);
	copy_column(dv->dv_last_error, sizeof dv->dv_last_error, st, 11);
	dv->dv_delivered_at = sqlite3_column_int64(st, 12);
	dv->dv_created_at = sqlite3_column_int64(st, 13);
}

int
store_delivery_head(struct store *s, const char *receiver, struct delivery *dv)
{
	sqlite3_stmt	*st = s->s_stmt[ST_DELIVERY_HEAD];
	const char	*body;
	int		 rc;

	sqlite3_bind_text(st, 1, receiver, -1, SQLITE_TRANSIENT);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		delivery_from_row(st, dv);
		body = column_text(st, 14);
		if ((dv->dv_body = strdup(body != NULL ? body : "")) == NULL)
			fatal("strdup");
	}
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (rc == SQLITE_ROW)
		return 0;
	return rc == SQLITE_DONE ? 1 : store_fail(s, "next delivery");
}

int
store_delivery_update(struct store *s, const struct delivery *dv)
{
	sqlite3_stmt	*st = s->s_stmt[ST_DELIVERY_UPDATE];

	sqlite3_bind_int64(st, 1, dv->dv_id);
	sqlite3_bind_text(st, 2, delivery_state_names[dv->dv_state], -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 3, dv->dv_attempts);
	sqlite3_bind_int64(st, 4, dv->dv_next_at);
	sqlite3_bind_int64(st, 5, dv->dv_retry_from);
	bind_opt_int(st, 6, dv->dv_last_attempt_at);
	bind_opt_int(st, 7, dv->dv_last_status);
	bind_text(st, 8, dv->dv_last_error);
	bind_opt_int(st, 9, dv->dv_delivered_at);
	return store_exec(s, ST_DELIVERY_UPDATE);
}

int
store_delivery_attempt(struct store *s, const struct delivery *dv, int status,
    const char *error, int64_t duration_ms)
{
	sqlite3_stmt	*st = s->s_stmt[ST_ATTEMPT_INSERT];

	if (store_delivery_update(s, dv) == -1)
		return -1;
	sqlite3_bind_int64(st, 1, dv->dv_id);
	sqlite3_bind_int64(st, 2, dv->dv_last_attempt_at);
	bind_opt_int(st, 3, status);
	bind_text(st, 4, error);
	sqlite3_bind_int64(st, 5, duration_ms);
	return store_exec(s, ST_ATTEMPT_INSERT);
}

int
store_delivery_get(struct store *s, int64_t id, struct delivery *dv)
{
	sqlite3_stmt	*st = s->s_stmt[ST_DELIVERY_GET];
	int		 rc;

	sqlite3_bind_int64(st, 1, id);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW)
		delivery_from_row(st, dv);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (rc == SQLITE_ROW)
		return 0;
	return rc == SQLITE_DONE ? 1 : store_fail(s, "delivery");
}

int
store_deliveries_list(struct store *s, unsigned states, int64_t limit,
    void (*fn)(const struct delivery *, void *), void *arg)
{
	sqlite3_stmt	*st = s->s_stmt[ST_DELIVERY_LIST];
	struct delivery	*dv;
	int		 rc;

	if ((dv = malloc(sizeof *dv)) == NULL)
		fatal("malloc");
	sqlite3_bind_int(st, 1, (int)states);
	sqlite3_bind_int64(st, 2, limit);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		delivery_from_row(st, dv);
		fn(dv, arg);
	}
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	free(dv);
	return rc == SQLITE_DONE ? 0 : store_fail(s, "deliveries");
}

int
store_delivery_counts(struct store *s, int64_t counts[DS__COUNT])
{
	sqlite3_stmt	*st = s->s_stmt[ST_DELIVERY_COUNTS];
	int		 rc, state;

	memset(counts, 0, DS__COUNT * sizeof counts[0]);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		if ((state = name_index(delivery_state_names, column_text(st, 0))) >= 0)
			counts[state] = sqlite3_column_int64(st, 1);
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : store_fail(s, "delivery counts");
}

int
store_delivery_receivers(struct store *s, char ***urls, size_t *n)
{
	sqlite3_stmt	*st = s->s_stmt[ST_DELIVERY_RECEIVERS];
	const char	*url;
	int		 rc;

	*urls = NULL;
	*n = 0;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		url = column_text(st, 0);
		if ((*urls = reallocarray(*urls, *n + 1, sizeof **urls)) == NULL ||
		    ((*urls)[*n] = strdup(url != NULL ? url : "")) == NULL)
			fatal("receivers");
		(*n)++;
	}
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : store_fail(s, "delivery receivers");
}

int
store_delivery_abandon(struct store *s, const char *receiver, const char *error)
{
	sqlite3_stmt	*st = s->s_stmt[ST_DELIVERY_ABANDON];

	sqlite3_bind_text(st, 1, receiver, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 2, error, -1, SQLITE_TRANSIENT);
	if (store_exec(s, ST_DELIVERY_ABANDON) == -1)
		return -1;
	store_figure_add(s, SF_DELIVERIES_PENDING, -(int64_t)sqlite3_changes(s->s_db));
	return 0;
}

/* ---- HTTP sessions (http-session.c) ---- */

int
store_websession_insert(struct store *s, const unsigned char id[32], const char *terminal,
    const unsigned char token[32], int64_t created_at, int64_t expires_at)
{
	sqlite3_stmt	*st = s->s_stmt[ST_WS_INSERT];

	sqlite3_bind_blob(st, 1, id, 32, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, terminal, -1, SQLITE_STATIC);
	sqlite3_bind_blob(st, 3, token, 32, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, created_at);
	sqlite3_bind_int64(st, 5, expires_at);
	return store_exec(s, ST_WS_INSERT);
}

int
store_websession_get(struct store *s, const unsigned char id[32], struct websession_row *row)
{
	sqlite3_stmt	*st = s->s_stmt[ST_WS_GET];
	int		 rc;

	memset(row, 0, sizeof *row);
	sqlite3_bind_blob(st, 1, id, 32, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		copy_column(row->wr_terminal, sizeof row->wr_terminal, st, 0);
		if (sqlite3_column_bytes(st, 1) == 32)
			memcpy(row->wr_token_sha256, sqlite3_column_blob(st, 1), 32);
		row->wr_created_at = sqlite3_column_int64(st, 2);
		row->wr_expires_at = sqlite3_column_int64(st, 3);
	}
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (rc == SQLITE_ROW)
		return 0;
	return rc == SQLITE_DONE ? 1 : store_fail(s, "http session");
}

int
store_websession_delete(struct store *s, const unsigned char id[32])
{
	sqlite3_stmt	*st = s->s_stmt[ST_WS_DELETE];

	sqlite3_bind_blob(st, 1, id, 32, SQLITE_STATIC);
	return store_exec(s, ST_WS_DELETE);
}

int
store_websession_prune(struct store *s, const unsigned char kept[32], const char *terminal,
    int64_t now, int keep)
{
	sqlite3_stmt	*st = s->s_stmt[ST_WS_PRUNE];

	sqlite3_bind_int64(st, 1, now);
	sqlite3_bind_text(st, 2, terminal, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 3, keep);
	sqlite3_bind_blob(st, 4, kept, 32, SQLITE_STATIC);
	return store_exec(s, ST_WS_PRUNE);
}

int
store_websession_each(struct store *s, void (*fn)(const unsigned char id[32],
    const char *terminal, const unsigned char token[32], void *), void *arg)
{
	sqlite3_stmt	*st = s->s_stmt[ST_WS_LIST];
	unsigned char	 id[32], token[32];
	char		 terminal[BQ_ID_LEN + 1];
	int		 rc;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (sqlite3_column_bytes(st, 0) != 32 || sqlite3_column_bytes(st, 2) != 32)
			continue;
		memcpy(id, sqlite3_column_blob(st, 0), 32);
		memcpy(token, sqlite3_column_blob(st, 2), 32);
		copy_column(terminal, sizeof terminal, st, 1);
		fn(id, terminal, token, arg);
	}
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : store_fail(s, "http sessions");
}
