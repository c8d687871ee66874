/*
 * Head office's schema (sql/hq/) and `branchq hq`, against a real
 * PostgreSQL 15: a throwaway cluster (tests/pg/cluster.sh) started by this
 * binary and removed after, the schema applied by the real build/branchq.
 *
 * No daemon here: batches are made by hand, so that each figure of
 * hq_branch_day is checked against a value worked out on paper from the
 * branch's definitions (src/report.c, src/op-report.c, src/stats.c), at
 * the edges where a near miss would show (nearest ranks at n = 1, 2, 10,
 * 11 and 110, four-decimal rounding up and down, no eligible ticket, no
 * answer).  That a real branch's report.summary equals its hq_branch_day
 * is tests/e2e's (the daemons ship to head office there).
 *
 * Each test uses branches of its own; they share one database, migrated
 * once by the group setup.
 */
#define _GNU_SOURCE	/* vasprintf */
#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <cJSON.h>
#include <libpq-fe.h>

static char	 pg_dir[64];	/* the cluster's directory, "" before it starts */
static char	 pg_port[16];
static char	 conninfo[256];	/* the test database, over the Unix socket */
static PGconn	*db;

/* ---- small helpers ---- */

static char *
xasprintf(const char *fmt, ...)
{
	va_list	 ap;
	char	*s;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) == -1)
		s = NULL;
	va_end(ap);
	assert_non_null(s);
	return s;
}

static char *
file_read(const char *path)
{
	FILE	*fp = fopen(path, "r");
	char	*s = NULL;
	size_t	 cap = 0, len = 0, n;

	if (fp == NULL)
		return strdup("");
	do {
		if (len + 4096 + 1 > cap) {
			cap = 2 * cap + 8192;
			assert_non_null(s = realloc(s, cap));
		}
		n = fread(s + len, 1, 4096, fp);
		len += n;
	} while (n > 0);
	fclose(fp);
	s[len] = '\0';
	return s;
}

/* A shell command's output (and its stderr in *err if err): exit status. */
static int
run(const char *cmd, char **out, char **err)
{
	char	 o[] = "/tmp/hq-test-outXXXXXX", e[] = "/tmp/hq-test-errXXXXXX";
	char	*full;
	int	 fo, fe, st;

	assert_true((fo = mkstemp(o)) != -1);
	assert_true((fe = mkstemp(e)) != -1);
	close(fo);
	close(fe);
	full = xasprintf("%s >%s 2>%s", cmd, o, e);
	st = system(full);
	free(full);
	*out = file_read(o);
	if (err != NULL)
		*err = file_read(e);
	else {
		char	*s = file_read(e);

		fputs(s, stderr);
		free(s);
	}
	unlink(o);
	unlink(e);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128;
}

static const char *
build_dir(void)
{
	const char	*b = getenv("BUILD");

	return b != NULL && *b != '\0' ? b : "build";
}

/* build/branchq with args (already quoted for the shell): its exit status. */
static int
branchq(const char *env, const char *args, char **out, char **err)
{
	char	*cmd = xasprintf("%s %s/branchq %s", env != NULL ? env : "", build_dir(), args);
	int	 rc = run(cmd, out, err);

	free(cmd);
	return rc;
}

/* A statement that must succeed; its result.  Caller clears. */
static PGresult *
q(const char *fmt, ...)
{
	va_list		 ap;
	char		*sql;
	PGresult	*res;

	va_start(ap, fmt);
	assert_true(vasprintf(&sql, fmt, ap) != -1);
	va_end(ap);
	res = PQexec(db, sql);
	if (PQresultStatus(res) != PGRES_TUPLES_OK &&
	    PQresultStatus(res) != PGRES_COMMAND_OK)
		fail_msg("%s: %s", sql, PQresultErrorMessage(res));
	free(sql);
	return res;
}

/* The one value of a query, "NULL" for null.  Caller frees. */
static char *
q1(const char *fmt, ...)
{
	va_list		 ap;
	char		*sql, *v;
	PGresult	*res;

	va_start(ap, fmt);
	assert_true(vasprintf(&sql, fmt, ap) != -1);
	va_end(ap);
	res = PQexec(db, sql);
	if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1 ||
	    PQnfields(res) != 1)
		fail_msg("%s: %s (%d rows)", sql, PQresultErrorMessage(res),
		    PQntuples(res));
	v = strdup(PQgetisnull(res, 0, 0) ? "NULL" : PQgetvalue(res, 0, 0));
	PQclear(res);
	free(sql);
	return v;
}

#define expect_q1(want, ...) do {					\
	char	*got_ = q1(__VA_ARGS__);				\
	if (strcmp(got_, (want)) != 0)					\
		fail_msg("%s: got %s, want %s", #__VA_ARGS__, got_, (want)); \
	free(got_);							\
} while (0)

/* A float8 of the database equal to want, exactly (its shortest digits). */
static void
expect_float(double want, const char *fmt, ...)
{
	va_list	 ap;
	char	*sql, *v;

	va_start(ap, fmt);
	assert_true(vasprintf(&sql, fmt, ap) != -1);
	va_end(ap);
	v = q1("%s", sql);
	if (strcmp(v, "NULL") == 0 || strtod(v, NULL) != want)
		fail_msg("%s: got %s, want %.17g", sql, v, want);
	free(v);
	free(sql);
}

/* ---- batches ---- */

struct batch {
	char	*b_s;
	size_t	 b_len, b_cap;
	int	 b_n;
};

static void
batch_add(struct batch *b, long long seq, long long at, const char *kind,
    const char *payload)
{
	char	*e = xasprintf("%s{\"seq\":%lld,\"at\":%lld,\"kind\":\"%s\",\"payload\":%s}",
		    b->b_n > 0 ? "," : "", seq, at, kind, payload);
	size_t	 n = strlen(e);

	if (b->b_len + n + 3 > b->b_cap) {
		b->b_cap = 2 * (b->b_len + n) + 64;
		assert_non_null(b->b_s = realloc(b->b_s, b->b_cap));
	}
	memcpy(b->b_s + b->b_len, e, n + 1);
	b->b_len += n;
	b->b_n++;
	free(e);
}

/* "[...]": the batch as sent.  Caller frees. */
static char *
batch_text(const struct batch *b)
{
	return xasprintf("[%s]", b->b_s != NULL ? b->b_s : "");
}

static void
batch_free(struct batch *b)
{
	free(b->b_s);
	memset(b, 0, sizeof *b);
}

/* hq_ingest(branch, region, target, events): the result.  Caller clears. */
static PGresult *
ingest_raw(const char *branch, const char *region, int target, const char *events)
{
	char		 t[16];
	const char	*params[4] = { branch, region, t, events };

	snprintf(t, sizeof t, "%d", target);
	return PQexecParams(db, "SELECT hq_ingest($1, $2, $3::integer, $4::jsonb)", 4, NULL,
	    params, NULL, NULL, 0);
}

/* An ingest that must succeed: the mark it returns. */
static long long
ingest(const char *branch, const char *region, int target, const struct batch *b)
{
	char		*events = batch_text(b);
	PGresult	*res = ingest_raw(branch, region, target, events);
	long long	 mark;

	if (PQresultStatus(res) != PGRES_TUPLES_OK)
		fail_msg("hq_ingest(%s): %s", branch, PQresultErrorMessage(res));
	mark = atoll(PQgetvalue(res, 0, 0));
	PQclear(res);
	free(events);
	return mark;
}

/* An ingest that must fail with SQLSTATE state, its message containing
 * needle (if any). */
static void
ingest_fails(const char *branch, const char *events, const char *state, const char *needle)
{
	PGresult	*res = ingest_raw(branch, "East", 900, events);
	const char	*got = PQresultErrorField(res, PG_DIAG_SQLSTATE);
	const char	*msg = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);

	if (PQresultStatus(res) != PGRES_FATAL_ERROR || got == NULL || strcmp(got, state) != 0)
		fail_msg("hq_ingest(%s, %s): want SQLSTATE %s, got %s: %s", branch, events,
		    state, got != NULL ? got : "success", PQresultErrorMessage(res));
	if (needle != NULL && (msg == NULL || strstr(msg, needle) == NULL))
		fail_msg("hq_ingest(%s): the message \"%s\" lacks \"%s\"", branch,
		    msg != NULL ? msg : "", needle);
	PQclear(res);
}

/* Noon UTC of 2026-03-DD (a month `hq migrate` does not make ahead). */
static long long
march(int day)
{
	return 1772323200LL + (long long)(day - 1) * 86400 + 12 * 3600;
}

/* A ticket as the branch's payload has it (sql/014 hq_ticket_json). */
static char *
ticket_doc(long id, const char *date, const char *lane, const char *issue_lane,
    const char *status, bool eligible, long long issued_at, long long first_called_at)
{
	char	called[32];

	if (first_called_at == LLONG_MIN)
		snprintf(called, sizeof called, "null");
	else
		snprintf(called, sizeof called, "%lld", first_called_at);
	return xasprintf("{\"ticket\":{\"id\":%ld,\"business_date\":\"%s\",\"number\":\"A%03ld\","
	    "\"lane\":\"%s\",\"issue_lane\":\"%s\",\"status\":\"%s\",\"service\":\"cash_withdrawal\","
	    "\"amount_fen\":100000,\"loose_cash\":false,\"vip\":false,\"needs_assistance\":false,"
	    "\"accessibility\":null,\"priority\":0,\"eligible\":%s,\"route_rule\":\"default\","
	    "\"issued_at\":%lld,\"queued_at\":%lld,\"called_at\":%s,\"first_called_at\":%s,"
	    "\"first_called_lane\":%s,\"started_at\":null,\"finished_at\":null,\"window\":%s,"
	    "\"recalls\":0,\"staff\":%s,\"closed_by\":null},"
	    "\"event\":{\"terminal\":\"T1\",\"staff\":null,\"window\":null,\"from_lane\":null,"
	    "\"to_lane\":null,\"reason\":null}}",
	    id, date, id, lane, issue_lane, status, eligible ? "true" : "false", issued_at,
	    issued_at, called, called, first_called_at == LLONG_MIN ? "null" : "\"counter\"",
	    first_called_at == LLONG_MIN ? "null" : "3",
	    first_called_at == LLONG_MIN ? "null" : "\"E1001\"");
}

/* A complaint as the branch's payload has it (sql/014 hq_complaint_json). */
static char *
complaint_doc(long id, const char *date, const char *state, bool overdue, long long logged_at,
    long long due)
{
	return xasprintf("{\"complaint\":{\"id\":%ld,\"state\":\"%s\",\"category\":\"wait_time\","
	    "\"severity\":2,\"channel\":\"counter\",\"ticket_id\":null,\"ticket_number\":null,"
	    "\"customer_name\":\"\\u5f20*\",\"customer_phone\":\"138****5678\","
	    "\"first_responder\":\"E1001\",\"owner\":\"E2002\",\"logged_at\":%lld,"
	    "\"business_date\":\"%s\",\"follow_up_due\":%lld,\"overdue\":%s,\"root_cause\":null,"
	    "\"resolved_at\":null,\"closed_at\":null,\"compensation_fen\":0},"
	    "\"action\":{\"actor\":\"E1001\",\"amount_fen\":null,\"to_staff\":null,"
	    "\"outcome\":null,\"on_time\":null,\"root_cause\":null}}",
	    id, state, logged_at, date, due, overdue ? "true" : "false");
}

static char *
survey_doc(long id, const char *date, int score)
{
	return xasprintf("{\"survey\":{\"id\":%ld,\"ticket_id\":%ld,\"score\":%d,"
	    "\"business_date\":\"%s\",\"complaint_id\":null}}", id, id, score, date);
}

/* Adds a ticket event; takes doc. */
static void
add_ticket(struct batch *b, long long *seq, const char *kind, long long at, char *doc)
{
	char	*k = xasprintf("ticket.%s", kind);

	batch_add(b, ++*seq, at, k, doc);
	free(k);
	free(doc);
}

/* ---- the cluster ---- */

static int
group_setup(void **state)
{
	char	*cmd, *out, *err;
	int	 rc;

	(void)state;
	snprintf(pg_dir, sizeof pg_dir, "/tmp/hq-sXXXXXX");
	if (mkdtemp(pg_dir) == NULL) {
		fprintf(stderr, "mkdtemp: %s\n", strerror(errno));
		pg_dir[0] = '\0';
		return -1;
	}
	/* PG_CLUSTER_WATCH: no server outlives a test binary that was killed. */
	cmd = xasprintf("PG_CLUSTER_WATCH=%ld sh tests/pg/cluster.sh start %s",
	    (long)getpid(), pg_dir);
	rc = run(cmd, &out, &err);
	free(cmd);
	if (rc != 0) {
		fprintf(stderr, "tests/pg/cluster.sh start failed (is PostgreSQL 15 "
		    "installed? sh .ci/deps): %s%s\n", out, err);
		free(out);
		free(err);
		return -1;
	}
	snprintf(pg_port, sizeof pg_port, "%.*s", (int)strcspn(out, "\n"), out);
	free(out);
	free(err);

	snprintf(conninfo, sizeof conninfo, "host=%s port=%s user=postgres dbname=postgres",
	    pg_dir, pg_port);
	db = PQconnectdb(conninfo);
	if (PQstatus(db) != CONNECTION_OK) {
		fprintf(stderr, "connect: %s\n", PQerrorMessage(db));
		return -1;
	}
	PQclear(q("CREATE DATABASE hq"));
	PQfinish(db);
	snprintf(conninfo, sizeof conninfo, "host=%s port=%s user=postgres dbname=hq",
	    pg_dir, pg_port);

	/* The schema as head office gets it: by the real client. */
	cmd = xasprintf("hq migrate --conninfo '%s'", conninfo);
	rc = branchq(NULL, cmd, &out, NULL);
	free(cmd);
	free(out);
	if (rc != 0)
		return -1;
	db = PQconnectdb(conninfo);
	return PQstatus(db) == CONNECTION_OK ? 0 : -1;
}

static int
group_teardown(void **state)
{
	char	*cmd, *out;

	(void)state;
	PQfinish(db);
	db = NULL;
	if (pg_dir[0] != '\0') {
		cmd = xasprintf("sh tests/pg/cluster.sh stop %s", pg_dir);
		run(cmd, &out, NULL);
		free(cmd);
		free(out);
	}
	return 0;
}

/* ---- the tests ---- */

/* The tables, views, functions and indexes of the database, as one number. */
static char *
schema_fingerprint(const char *dbname)
{
	char	*info = xasprintf("host=%s port=%s user=postgres dbname=%s", pg_dir, pg_port,
		    dbname);
	PGconn	*c = PQconnectdb(info);
	PGresult *res;
	char	*v;

	assert_int_equal(PQstatus(c), CONNECTION_OK);
	res = PQexec(c, "SELECT (SELECT count(*) FROM pg_class WHERE relnamespace = "
	    "'public'::regnamespace) || '/' || (SELECT count(*) FROM pg_proc WHERE "
	    "pronamespace = 'public'::regnamespace) || '/' || (SELECT string_agg(version || "
	    "name || applied_at, ',' ORDER BY version) FROM hq_schema_migrations)");
	assert_int_equal(PQresultStatus(res), PGRES_TUPLES_OK);
	v = strdup(PQgetvalue(res, 0, 0));
	PQclear(res);
	PQfinish(c);
	free(info);
	return v;
}

/* migrate twice = once; a newer schema than the client knows is refused. */
static void
test_migrate(void **state)
{
	char	*args, *out, *err, *before, *after;
	int	 rc;

	(void)state;
	PQclear(q("CREATE DATABASE m2"));
	PQclear(q("CREATE DATABASE newer"));
	args = xasprintf("hq migrate --conninfo 'host=%s port=%s user=postgres dbname=m2'",
	    pg_dir, pg_port);
	assert_int_equal(branchq(NULL, args, &out, NULL), 0);
	assert_non_null(strstr(out, "applied 001_init\n"));
	free(out);
	before = schema_fingerprint("m2");
	assert_int_equal(branchq(NULL, args, &out, NULL), 0);
	assert_null(strstr(out, "applied"));
	assert_non_null(strstr(out, "(it was already)"));
	free(out);
	after = schema_fingerprint("m2");
	assert_string_equal(before, after);
	free(before);
	free(after);
	free(args);

	/* libpq's environment when there is no --conninfo. */
	args = xasprintf("PGHOST=%s PGPORT=%s PGUSER=postgres PGDATABASE=newer", pg_dir,
	    pg_port);
	assert_int_equal(branchq(args, "hq migrate", &out, NULL), 0);
	free(out);
	{
		char	*info = xasprintf("host=%s port=%s user=postgres dbname=newer",
			    pg_dir, pg_port);
		PGconn	*c = PQconnectdb(info);

		PQclear(PQexec(c, "INSERT INTO hq_schema_migrations (version, name) "
		    "VALUES (999, '999_future')"));
		PQfinish(c);
		free(info);
	}
	before = schema_fingerprint("newer");
	rc = branchq(args, "hq migrate", &out, &err);
	assert_int_equal(rc, 1);
	if (strstr(err, "version 999, newer than this branchq knows (1)") == NULL)
		fail_msg("no clear refusal: %s", err);
	after = schema_fingerprint("newer");
	assert_string_equal(before, after);
	free(before);
	free(after);
	free(out);
	free(err);
	free(args);
}

/* The mark: a new branch at any seq, resend, overlap, gaps, odd input. */
static void
test_ingest_marks(void **state)
{
	struct batch	 b = { 0 };
	char		*text, *received;
	long long	 seq;

	(void)state;
	expect_q1("NULL", "SELECT hq_last_seq('SEQ')");
	/* A branch never seen starts wherever its log does (old events pruned). */
	for (seq = 100; seq <= 102; seq++)
		batch_add(&b, seq, march(2), "window.opened", "{\"window\":{\"number\":1}}");
	assert_int_equal(ingest("SEQ", "East", 900, &b), 102);
	expect_q1("102", "SELECT hq_last_seq('SEQ')");
	expect_q1("100|102|3", "SELECT first_seq || '|' || mark || '|' || (SELECT count(*) "
	    "FROM hq_events WHERE branch = 'SEQ') FROM hq_branch_state WHERE branch = 'SEQ'");
	received = q1("SELECT received_at FROM hq_branches WHERE branch = 'SEQ'");

	/* The same batch again (its answer was lost): nothing changes. */
	assert_int_equal(ingest("SEQ", "East", 900, &b), 102);
	expect_q1("3", "SELECT count(*) FROM hq_events WHERE branch = 'SEQ'");
	expect_q1(received, "SELECT received_at FROM hq_branches WHERE branch = 'SEQ'");
	free(received);
	batch_free(&b);

	/* Overlapping: only what is new is taken. */
	for (seq = 101; seq <= 104; seq++)
		batch_add(&b, seq, march(2) + seq, "window.paused", "{\"window\":{\"number\":1}}");
	assert_int_equal(ingest("SEQ", "East", 900, &b), 104);
	expect_q1("5|100,101,102,103,104", "SELECT count(*) || '|' || string_agg(seq::text, ',' "
	    "ORDER BY seq) FROM hq_events WHERE branch = 'SEQ'");
	expect_q1("window.paused", "SELECT kind FROM hq_events WHERE branch = 'SEQ' AND seq = 103");
	/* The first events kept theirs: a resent event never overwrites. */
	expect_q1("window.opened", "SELECT kind FROM hq_events WHERE branch = 'SEQ' AND seq = 102");
	{
		char	*want = xasprintf("%lld", march(2) + 104);

		/* last_event_at: the newest event's own time (the branch's clock). */
		expect_q1(want, "SELECT extract(epoch FROM last_event_at)::bigint FROM "
		    "hq_branches WHERE branch = 'SEQ'");
		free(want);
	}
	batch_free(&b);

	/* A gap after the mark: BQ001 naming the mark; nothing written. */
	ingest_fails("SEQ", "[{\"seq\":106,\"at\":1,\"kind\":\"x\",\"payload\":{}}]", "BQ001",
	    "up to the mark 104");
	ingest_fails("SEQ", "[{\"seq\":105,\"at\":1,\"kind\":\"x\",\"payload\":{}},"
	    "{\"seq\":107,\"at\":1,\"kind\":\"x\",\"payload\":{}}]", "BQ001", "104");
	ingest_fails("SEQ", "[{\"seq\":106,\"at\":1,\"kind\":\"x\",\"payload\":{}},"
	    "{\"seq\":105,\"at\":1,\"kind\":\"x\",\"payload\":{}}]", "BQ001", "104");
	expect_q1("104|5", "SELECT hq_last_seq('SEQ') || '|' || (SELECT count(*) FROM hq_events "
	    "WHERE branch = 'SEQ')");

	/* Not a batch at all: a plain error naming the parameter. */
	ingest_fails("SEQ", "{\"seq\":105}", "22023", "p_events");
	ingest_fails("SEQ", "[{\"seq\":105,\"at\":1,\"kind\":\"x\",\"payload\":[]}]", "22023",
	    "p_events");
	ingest_fails("", "[]", "22023", "p_branch");

	/* Empty, and wholly below the mark: the mark, unchanged. */
	text = q1("SELECT hq_ingest('SEQ', 'East', 900, '[]')");
	assert_string_equal(text, "104");
	free(text);
	for (seq = 90; seq <= 95; seq++)
		batch_add(&b, seq, 1, "x", "{}");
	assert_int_equal(ingest("SEQ", "East", 900, &b), 104);
	batch_free(&b);
	expect_q1("NULL", "SELECT hq_ingest('NEVER', 'East', 900, '[]')");
	expect_q1("0", "SELECT count(*) FROM hq_branch_state WHERE branch = 'NEVER'");
}

/* Two ingests of one branch at once: the second waits for the first's
 * lock, then finds its events held. */
static void
test_ingest_concurrent(void **state)
{
	PGconn		*other = PQconnectdb(conninfo);
	PGresult	*res;
	const char	*events = "[{\"seq\":1,\"at\":1772323200,\"kind\":\"x\",\"payload\":{}},"
			    "{\"seq\":2,\"at\":1772323201,\"kind\":\"x\",\"payload\":{}}]";
	const char	*params[1] = { events };
	bool		 waited = false;
	int		 i;

	(void)state;
	assert_int_equal(PQstatus(other), CONNECTION_OK);
	PQclear(q("BEGIN"));
	PQclear(q("SELECT hq_ingest('CONC', NULL, 900, '%s')", events));
	assert_int_equal(PQsendQueryParams(other, "SELECT hq_ingest('CONC', NULL, 900, $1)",
	    1, NULL, params, NULL, NULL, 0), 1);
	/* It waits for our transaction (the branch's row) until we commit:
	 * polled, as it takes the lock when its statement gets there. */
	for (i = 0; i < 1000; i++) {
		char	*v = q1("SELECT count(*) FROM pg_stat_activity WHERE pid = %d AND "
			    "wait_event_type = 'Lock'", PQbackendPID(other));

		waited = strcmp(v, "1") == 0;
		free(v);
		if (waited)
			break;
		usleep(10000);
	}
	assert_true(waited);
	PQclear(q("COMMIT"));
	res = PQgetResult(other);
	assert_int_equal(PQresultStatus(res), PGRES_TUPLES_OK);
	assert_string_equal(PQgetvalue(res, 0, 0), "2");
	PQclear(res);
	assert_null(PQgetResult(other));
	PQfinish(other);
	expect_q1("2", "SELECT count(*) FROM hq_events WHERE branch = 'CONC'");
}

/* A query of a role of its own: the result's status and SQLSTATE ("" if ok). */
static char *
as_role(const char *role, const char *sql, bool *ok)
{
	char		*info = xasprintf("host=%s port=%s user=%s dbname=hq", pg_dir, pg_port,
			    role);
	PGconn		*c = PQconnectdb(info);
	PGresult	*res;
	char		*state;

	assert_int_equal(PQstatus(c), CONNECTION_OK);
	res = PQexec(c, sql);
	*ok = PQresultStatus(res) == PGRES_TUPLES_OK;
	state = strdup(*ok ? "" : PQresultErrorField(res, PG_DIAG_SQLSTATE));
	PQclear(res);
	PQfinish(c);
	free(info);
	return state;
}

/*
 * The relay's role needs EXECUTE on the two functions and nothing else:
 * they run as the schema's owner, partitions made on demand too; nobody
 * else may call them, and the relay's role cannot read the tables.
 */
static void
test_privileges(void **state)
{
	char	*st;
	bool	 ok;

	(void)state;
	PQclear(q("CREATE ROLE relay_r LOGIN"));
	PQclear(q("CREATE ROLE other_r LOGIN"));
	PQclear(q("GRANT EXECUTE ON FUNCTION hq_ingest(text, text, integer, jsonb), "
	    "hq_last_seq(text) TO relay_r"));
	/* 2023-05-10: a month nobody made. */
	st = as_role("relay_r", "SELECT hq_ingest('PRIV', 'East', 900, '[{\"seq\":1,"
	    "\"at\":1683720000,\"kind\":\"window.opened\",\"payload\":{}}]')", &ok);
	if (!ok)
		fail_msg("the relay's role cannot ingest: %s", st);
	free(st);
	expect_q1("hq_events_202305", "SELECT tableoid::regclass::text FROM hq_events WHERE "
	    "branch = 'PRIV'");
	st = as_role("relay_r", "SELECT hq_last_seq('PRIV')", &ok);
	assert_true(ok);
	free(st);
	st = as_role("relay_r", "SELECT count(*) FROM hq_events", &ok);
	assert_false(ok);
	assert_string_equal(st, "42501");
	free(st);
	st = as_role("other_r", "SELECT hq_ingest('PRIV', 'East', 900, '[]')", &ok);
	assert_false(ok);
	assert_string_equal(st, "42501");
	free(st);
	st = as_role("other_r", "SELECT hq_last_seq('PRIV')", &ok);
	assert_false(ok);
	assert_string_equal(st, "42501");
	free(st);
}

/* Events of two months land in two partitions, made on demand. */
static void
test_partitions(void **state)
{
	struct batch	 b = { 0 };
	char		*doc;

	(void)state;
	expect_q1("NULL", "SELECT to_regclass('hq_events_202401')");
	/* 2024-01-31 23:59:59 and 2024-02-01 00:00:00 UTC. */
	doc = ticket_doc(1, "2024-01-31", "counter", "counter", "waiting", false,
	    1706745599, LLONG_MIN);
	batch_add(&b, 1, 1706745599, "ticket.issued", doc);
	free(doc);
	doc = ticket_doc(2, "2024-02-01", "counter", "counter", "waiting", false,
	    1706745600, LLONG_MIN);
	batch_add(&b, 2, 1706745600, "ticket.issued", doc);
	free(doc);
	assert_int_equal(ingest("PART", "East", 900, &b), 2);
	batch_free(&b);
	expect_q1("hq_events_202401:1,hq_events_202402:2", "SELECT string_agg(tableoid::regclass "
	    "|| ':' || seq, ',' ORDER BY seq) FROM hq_events WHERE branch = 'PART'");
	expect_q1("hq_ticket_state_202401:1,hq_ticket_state_202402:2", "SELECT string_agg("
	    "tableoid::regclass || ':' || ticket_id, ',' ORDER BY ticket_id) FROM hq_ticket_state "
	    "WHERE branch = 'PART'");
	/* A month is a partition with the parent's key. */
	expect_q1("1", "SELECT count(*) FROM pg_indexes WHERE tablename = 'hq_events_202402' "
	    "AND indexdef LIKE '%%(branch, seq, occurred_at)%%'");
	/* migrate made this month's, the one before and three ahead. */
	expect_q1("5", "SELECT count(*) FROM pg_inherits WHERE inhparent = 'hq_events'::regclass "
	    "AND inhrelid::regclass::text >= 'hq_events_' || to_char(now() AT TIME ZONE 'UTC' - "
	    "interval '1 month', 'YYYYMM')");
}

/*
 * The day figures, each worked out by hand from the branch's definitions.
 * Branch DAY1, target 5 s:
 *   03-10  one call, wait 7: p50 = p90 = 7; within 0/1; nothing eligible
 *   03-11  waits 10, 3: ranks 1 and 2 -> 3, 10; within 1/2 = 0.5
 *   03-12  waits 10..1: ranks 5 and 9 -> 5, 9; within 5/10
 *   03-13  waits 1..11: ranks 6 and 10 -> 6, 10; within 5/11 = 0.45454..
 *	    -> (50000 + 5) / 11 = 4545 -> 0.4545 (rounded down)
 *   03-14  five tickets: A eligible, issued to self-service, still there
 *	    (diverted); B eligible, self-service, rerouted to the counter, wait 4;
 *	    C eligible, counter, called 20 s before its issue (a clock set
 *	    back: wait 0), a no-show; D not eligible, counter, wait 100;
 *	    E eligible, self-service, cancelled there.  eligible 4, diverted 3
 *	    (A B E), rerouted 1 (B), rate (3 - 1) / 4 = 0.5; waits 0, 4, 100:
 *	    p50 rank 2 -> 4, p90 rank 3 -> 100, within 2/3 -> (20000 + 1) / 3
 *	    = 6667 -> 0.6667 (rounded up); a no-show; two complaints; surveys
 *	    10, 9, 7, 3: 2 promoters, 1 detractor, NPS 100 * 1 / 4 = 25
 *   03-15  no ticket; surveys 10, 0, 0: NPS 100 * (1 - 2) / 3
 *   03-16  waits 1..110: ranks 55 and 99 -> 55, 99 (percentile_disc's
 *	    floating-point rank would be 100); within 5/110 -> 455 -> 0.0455
 */
static void
test_branch_day(void **state)
{
	struct batch	 b = { 0 };
	long long	 seq = 0, at;
	long		 id = 0, bid;
	int		 i;
	char		*doc;

	(void)state;
	/* 03-10 .. 03-13 and 03-16: issued and called in one batch each. */
	at = march(10);
	add_ticket(&b, &seq, "issued", at, ticket_doc(++id, "2026-03-10", "counter", "counter",
	    "waiting", false, at, LLONG_MIN));
	add_ticket(&b, &seq, "called", at + 7, ticket_doc(id, "2026-03-10", "counter", "counter",
	    "called", false, at, at + 7));
	at = march(11);
	add_ticket(&b, &seq, "called", at + 10, ticket_doc(++id, "2026-03-11", "counter",
	    "counter", "called", true, at, at + 10));
	add_ticket(&b, &seq, "called", at + 3, ticket_doc(++id, "2026-03-11", "counter",
	    "counter", "called", true, at, at + 3));
	at = march(12);
	for (i = 10; i >= 1; i--)
		add_ticket(&b, &seq, "called", at + i, ticket_doc(++id, "2026-03-12", "counter",
		    "counter", "called", false, at, at + i));
	at = march(13);
	for (i = 1; i <= 11; i++)
		add_ticket(&b, &seq, "called", at + i, ticket_doc(++id, "2026-03-13", "express",
		    "express", "done", false, at, at + i));
	at = march(16);
	for (i = 110; i >= 1; i--)
		add_ticket(&b, &seq, "called", at + i, ticket_doc(++id, "2026-03-16", "counter",
		    "counter", "called", false, at, at + i));

	/* 03-14, first as issued: A, B and E at the machines, C and D waiting. */
	at = march(14);
	bid = id + 1;
	add_ticket(&b, &seq, "issued", at, ticket_doc(bid, "2026-03-14", "self_service",
	    "self_service", "diverted", true, at, LLONG_MIN));
	add_ticket(&b, &seq, "issued", at, ticket_doc(bid + 1, "2026-03-14", "self_service",
	    "self_service", "diverted", true, at, LLONG_MIN));
	add_ticket(&b, &seq, "issued", at, ticket_doc(bid + 2, "2026-03-14", "counter",
	    "counter", "waiting", true, at, LLONG_MIN));
	add_ticket(&b, &seq, "issued", at, ticket_doc(bid + 3, "2026-03-14", "counter",
	    "counter", "waiting", false, at, LLONG_MIN));
	add_ticket(&b, &seq, "issued", at, ticket_doc(bid + 4, "2026-03-14", "self_service",
	    "self_service", "diverted", true, at, LLONG_MIN));
	assert_int_equal(ingest("DAY1", "East", 5, &b), seq);
	batch_free(&b);
	expect_q1("5|4|3|0|0.75|0|NULL|NULL", "SELECT concat_ws('|', tickets, eligible, diverted, "
	    "rerouted, diversion_rate, no_shows, coalesce(waiting_p50_s::text, 'NULL'), "
	    "coalesce(within_target::text, 'NULL')) FROM hq_branch_day WHERE branch = 'DAY1' "
	    "AND business_date = '2026-03-14'");

	/* Then what happened to them, several events of B in one batch. */
	add_ticket(&b, &seq, "rerouted", at + 2, ticket_doc(bid + 1, "2026-03-14", "counter",
	    "self_service", "waiting", true, at, LLONG_MIN));
	add_ticket(&b, &seq, "called", at + 4, ticket_doc(bid + 1, "2026-03-14", "counter",
	    "self_service", "called", true, at, at + 4));
	add_ticket(&b, &seq, "completed", at + 60, ticket_doc(bid + 1, "2026-03-14", "counter",
	    "self_service", "done", true, at, at + 4));
	add_ticket(&b, &seq, "no_show", at + 30, ticket_doc(bid + 2, "2026-03-14", "counter",
	    "counter", "no_show", true, at, at - 20));
	add_ticket(&b, &seq, "called", at + 100, ticket_doc(bid + 3, "2026-03-14", "counter",
	    "counter", "called", false, at, at + 100));
	add_ticket(&b, &seq, "cancelled", at + 5, ticket_doc(bid + 4, "2026-03-14",
	    "self_service", "self_service", "cancelled", true, at, LLONG_MIN));
	for (i = 1; i <= 2; i++) {
		doc = complaint_doc(500 + i, "2026-03-14", "open", false, at, at + 86400);
		batch_add(&b, ++seq, at, "complaint.logged", doc);
		free(doc);
	}
	/* One logged another day: not this day's. */
	doc = complaint_doc(503, "2026-03-13", "open", false, at, at + 86400);
	batch_add(&b, ++seq, at, "complaint.logged", doc);
	free(doc);
	{
		const int	scores14[] = { 10, 9, 7, 3 }, scores15[] = { 10, 0, 0 };

		for (i = 0; i < 4; i++) {
			doc = survey_doc(600 + i, "2026-03-14", scores14[i]);
			batch_add(&b, ++seq, at + 200, "survey.submitted", doc);
			free(doc);
		}
		for (i = 0; i < 3; i++) {
			doc = survey_doc(700 + i, "2026-03-15", scores15[i]);
			batch_add(&b, ++seq, march(15), "survey.submitted", doc);
			free(doc);
		}
	}
	assert_int_equal(ingest("DAY1", "East", 5, &b), seq);
	batch_free(&b);

#define DAY_ROW	"SELECT concat_ws('|', tickets, eligible, diverted, rerouted, " \
	"coalesce(waiting_p50_s::text, 'NULL'), coalesce(waiting_p90_s::text, 'NULL'), " \
	"no_shows, complaints, nps_responses) FROM hq_branch_day WHERE branch = 'DAY1' " \
	"AND business_date = '%s'"
#define DAY_VALUE "SELECT %s FROM hq_branch_day WHERE branch = 'DAY1' AND business_date = '%s'"
	expect_q1("1|0|0|0|7|7|0|0|0", DAY_ROW, "2026-03-10");
	expect_q1("2|2|0|0|3|10|0|0|0", DAY_ROW, "2026-03-11");
	expect_q1("10|0|0|0|5|9|0|0|0", DAY_ROW, "2026-03-12");
	expect_q1("11|0|0|0|6|10|0|1|0", DAY_ROW, "2026-03-13");
	expect_q1("5|4|3|1|4|100|1|2|4", DAY_ROW, "2026-03-14");
	expect_q1("0|0|0|0|NULL|NULL|0|0|3", DAY_ROW, "2026-03-15");
	expect_q1("110|0|0|0|55|99|0|0|0", DAY_ROW, "2026-03-16");

	/* diversion_rate: null without an eligible ticket. */
	expect_q1("NULL", DAY_VALUE, "diversion_rate", "2026-03-10");
	expect_q1("NULL", DAY_VALUE, "diversion_rate", "2026-03-15");
	expect_float(0.0, DAY_VALUE, "diversion_rate", "2026-03-11");
	expect_float((double)(3 - 1) / 4.0, DAY_VALUE, "diversion_rate", "2026-03-14");

	/* within_target: four decimals, the branch's integer rounding. */
	expect_float(0.0, DAY_VALUE, "within_target", "2026-03-10");
	expect_float(0.5, DAY_VALUE, "within_target", "2026-03-11");
	expect_float(0.5, DAY_VALUE, "within_target", "2026-03-12");
	expect_float(4545 / 10000.0, DAY_VALUE, "within_target", "2026-03-13");
	expect_float(6667 / 10000.0, DAY_VALUE, "within_target", "2026-03-14");
	expect_q1("NULL", DAY_VALUE, "within_target", "2026-03-15");
	expect_float(455 / 10000.0, DAY_VALUE, "within_target", "2026-03-16");

	/* nps_score: 0 without answers; float8 as the branch divides. */
	expect_float(0.0, DAY_VALUE, "nps_score", "2026-03-10");
	expect_float(100.0 * (double)(2 - 1) / 4.0, DAY_VALUE, "nps_score", "2026-03-14");
	expect_float(100.0 * (double)(1 - 2) / 3.0, DAY_VALUE, "nps_score", "2026-03-15");

	/* The columns and their order are the contract's. */
	expect_q1("branch,business_date,tickets,eligible,diverted,rerouted,diversion_rate,"
	    "waiting_p50_s,waiting_p90_s,within_target,no_shows,complaints,nps_responses,"
	    "nps_score", "SELECT string_agg(column_name, ',' ORDER BY ordinal_position) FROM "
	    "information_schema.columns WHERE table_name = 'hq_branch_day'");

	/* A new target: every day of the branch again (its report.summary
	 * uses the target it has now, whatever the date). */
	batch_add(&b, ++seq, march(16), "window.closed", "{\"window\":{\"number\":3}}");
	assert_int_equal(ingest("DAY1", "East", 100, &b), seq);
	batch_free(&b);
	expect_float(1.0, DAY_VALUE, "within_target", "2026-03-13");
	expect_float(1.0, DAY_VALUE, "within_target", "2026-03-14");
	/* 100 of 110: (1000000 + 55) / 110 = 9091 -> 0.9091. */
	expect_float(9091 / 10000.0, DAY_VALUE, "within_target", "2026-03-16");
	expect_q1("100", "SELECT target_wait_s FROM hq_branch_state WHERE branch = 'DAY1'");

	/* What the ingest kept by difference is what the state tables say. */
	{
		char	*kept = q1("SELECT string_agg(d::text, ';' ORDER BY business_date) "
			    "FROM hq_branch_day d WHERE branch = 'DAY1'");

		PQclear(q("SELECT hq_day_rebuild('DAY1', array_agg(business_date)) FROM "
		    "hq_day_state WHERE branch = 'DAY1'"));
		expect_q1(kept, "SELECT string_agg(d::text, ';' ORDER BY business_date) FROM "
		    "hq_branch_day d WHERE branch = 'DAY1'");
		free(kept);
	}
#undef DAY_ROW
#undef DAY_VALUE
}

/*
 * hq_followups: overdue_s is head office's now() - due while the branch
 * flags the case overdue and it is not closed, else 0; the overdue filter
 * can use the partial index.
 */
static void
test_followups(void **state)
{
	struct batch	 b = { 0 };
	long long	 now = (long long)time(NULL), seq = 0;
	char		*doc;

	(void)state;
	doc = complaint_doc(1, "2026-03-14", "open", true, now - 90000, now - 3600);
	batch_add(&b, ++seq, now - 3600, "complaint.overdue", doc);
	free(doc);
	doc = complaint_doc(2, "2026-03-14", "closed", true, now - 90000, now - 7200);
	batch_add(&b, ++seq, now - 60, "complaint.resolved", doc);
	free(doc);
	doc = complaint_doc(3, "2026-03-14", "open", false, now - 600, now + 86400);
	batch_add(&b, ++seq, now - 600, "complaint.logged", doc);
	free(doc);
	doc = complaint_doc(4, "2026-03-14", "resolved", true, now - 90000, now - 5000);
	batch_add(&b, ++seq, now - 30, "complaint.resolved", doc);
	free(doc);
	assert_int_equal(ingest("FOLLOW", "West", 900, &b), seq);
	batch_free(&b);

	/* One statement: now() is the same in the view and the check. */
	expect_q1("1:true,2:true,3:true,4:true", "SELECT string_agg(complaint_id || ':' || (overdue_s = CASE "
	    "WHEN complaint_id IN (1, 4) THEN floor(extract(epoch FROM now() - follow_up_due)) "
	    "ELSE 0 END)::text, ',' ORDER BY complaint_id) FROM hq_followups WHERE branch = "
	    "'FOLLOW'");
	expect_q1("t", "SELECT overdue_s >= 3600 FROM hq_followups WHERE branch = 'FOLLOW' AND "
	    "complaint_id = 1");
	expect_q1("branch,complaint_id,state,overdue,owner,first_responder,severity,category,"
	    "logged_at,follow_up_due,overdue_s", "SELECT string_agg(column_name, ',' ORDER BY "
	    "ordinal_position) FROM information_schema.columns WHERE table_name = 'hq_followups'");

	/* A later event changes the case; an older one never would. */
	doc = complaint_doc(1, "2026-03-14", "closed", true, now - 90000, now - 3600);
	batch_add(&b, ++seq, now, "complaint.closed", doc);
	free(doc);
	assert_int_equal(ingest("FOLLOW", "West", 900, &b), seq);
	batch_free(&b);
	expect_q1("closed|0", "SELECT state || '|' || overdue_s FROM hq_followups WHERE branch = "
	    "'FOLLOW' AND complaint_id = 1");
	doc = complaint_doc(1, "2026-03-14", "closed", true, now - 90000, now - 3600);
	batch_add(&b, ++seq, now, "complaint.note", doc);
	free(doc);
	assert_int_equal(ingest("FOLLOW", "West", 900, &b), seq);
	batch_free(&b);

	/* The overdue filter of hq followups, through the view, by the index. */
	PQclear(q("SET enable_seqscan = off"));
	{
		PGresult	*res = q("EXPLAIN SELECT * FROM hq_followups f WHERE f.overdue "
				    "AND f.state <> 'closed' ORDER BY f.follow_up_due");
		bool		 found = false;
		int		 r;

		for (r = 0; r < PQntuples(res); r++)
			found |= strstr(PQgetvalue(res, r, 0), "hq_complaint_state_overdue") != NULL;
		if (!found)
			fail_msg("the overdue filter does not use hq_complaint_state_overdue");
		PQclear(res);
	}
	PQclear(q("RESET enable_seqscan"));
}

/* The three commands, each format, by socket, by TLS and by environment. */
static void
test_cli(void **state)
{
	char	*args, *out, *tls;
	cJSON	*j, *row;
	int	 n;

	(void)state;
	/* hq followups: FOLLOW (West) has 2, 3 and 4 not closed, 4 overdue. */
	args = xasprintf("hq followups --conninfo '%s' --region West --format json", conninfo);
	assert_int_equal(branchq(NULL, args, &out, NULL), 0);
	free(args);
	assert_non_null(j = cJSON_Parse(out));
	assert_true(cJSON_IsArray(j));
	/* Open: 3 and 4 (by due: 4 first), neither closed. */
	assert_int_equal(cJSON_GetArraySize(j), 2);
	row = cJSON_GetArrayItem(j, 0);
	assert_int_equal(cJSON_GetObjectItem(row, "complaint_id")->valueint, 4);
	assert_string_equal(cJSON_GetObjectItem(row, "branch")->valuestring, "FOLLOW");
	assert_true(cJSON_IsTrue(cJSON_GetObjectItem(row, "overdue")));
	assert_true(cJSON_IsNumber(cJSON_GetObjectItem(row, "overdue_s")));
	assert_true(cJSON_GetObjectItem(row, "overdue_s")->valuedouble >= 5000);
	assert_true(cJSON_IsString(cJSON_GetObjectItem(row, "follow_up_due")));
	assert_non_null(strchr(cJSON_GetObjectItem(row, "follow_up_due")->valuestring, 'Z'));
	n = 0;
	for (cJSON *m = row->child; m != NULL; m = m->next)
		n++;
	assert_int_equal(n, 11);
	cJSON_Delete(j);
	free(out);

	args = xasprintf("hq followups --conninfo '%s' --region West --status overdue "
	    "--format csv", conninfo);
	assert_int_equal(branchq(NULL, args, &out, NULL), 0);
	free(args);
	if (strncmp(out, "branch,complaint_id,state,overdue,owner,first_responder,severity,"
	    "category,logged_at,follow_up_due,overdue_s\r\nFOLLOW,4,resolved,true,E2002,E1001,2,"
	    "wait_time,", strlen("branch,complaint_id,state,overdue,owner,first_responder,"
	    "severity,category,logged_at,follow_up_due,overdue_s\r\nFOLLOW,4,resolved,true,E2002,"
	    "E1001,2,wait_time,")) != 0)
		fail_msg("csv: %s", out);
	assert_null(strstr(strchr(out, '\n') + 1, "\nFOLLOW"));	/* one row */
	free(out);

	args = xasprintf("hq followups --conninfo '%s' --region West --status all", conninfo);
	assert_int_equal(branchq("BRANCHQ_TZ=UTC", args, &out, NULL), 0);
	free(args);
	if (strstr(out, "head-office follow-ups (all, region West): 4 complaints") == NULL ||
	    strstr(out, "BRANCH  ID  STATE") == NULL || strstr(out, "FOLLOW") == NULL)
		fail_msg("table: %s", out);
	free(out);

	/* hq summary over TLS (verify-full against the cluster's CA). */
	tls = xasprintf("host=localhost port=%s user=postgres dbname=hq sslmode=verify-full "
	    "sslrootcert=%s/ca.pem", pg_port, pg_dir);
	args = xasprintf("hq summary --conninfo '%s' --from 2026-03-10 --to 2026-03-16 "
	    "--region East --format json", tls);
	assert_int_equal(branchq(NULL, args, &out, NULL), 0);
	free(args);
	assert_non_null(j = cJSON_Parse(out));
	assert_int_equal(cJSON_GetArraySize(j), 7);
	row = cJSON_GetArrayItem(j, 4);
	assert_string_equal(cJSON_GetObjectItem(row, "business_date")->valuestring, "2026-03-14");
	assert_int_equal(cJSON_GetObjectItem(row, "tickets")->valueint, 5);
	assert_true(cJSON_GetObjectItem(row, "diversion_rate")->valuedouble == 0.5);
	assert_true(cJSON_GetObjectItem(row, "nps_score")->valuedouble == 25.0);
	assert_true(cJSON_IsNull(cJSON_GetObjectItem(cJSON_GetArrayItem(j, 0), "diversion_rate")));
	assert_true(cJSON_GetObjectItem(cJSON_GetArrayItem(j, 5), "nps_score")->valuedouble ==
	    100.0 * (double)(1 - 2) / 3.0);
	cJSON_Delete(j);
	free(out);
	free(tls);

	args = xasprintf("hq summary --conninfo '%s' --from 2026-03-14 --region East "
	    "--format csv", conninfo);
	assert_int_equal(branchq(NULL, args, &out, NULL), 0);
	free(args);
	assert_string_equal(out, "branch,business_date,tickets,eligible,diverted,rerouted,"
	    "diversion_rate,waiting_p50_s,waiting_p90_s,within_target,no_shows,complaints,"
	    "nps_responses,nps_score\r\nDAY1,2026-03-14,5,4,3,1,0.5,4,100,1,1,2,4,25\r\n");
	free(out);

	/* The table, conninfo from libpq's environment. */
	args = xasprintf("PGHOST=%s PGPORT=%s PGUSER=postgres PGDATABASE=hq", pg_dir, pg_port);
	assert_int_equal(branchq(args, "hq summary --from 2026-03-10 --to 2026-03-16 "
	    "--region East", &out, NULL), 0);
	if (strstr(out, "head-office summary 2026-03-10 to 2026-03-16, region East: "
	    "7 branch-days") == NULL || strstr(out, "WITHIN TARGET") == NULL ||
	    strstr(out, "2026-03-14") == NULL || strstr(out, "50.0%") == NULL)
		fail_msg("table: %s", out);
	free(out);
	/* Another region's: none. */
	assert_int_equal(branchq(args, "hq summary --from 2026-03-10 --region Nowhere", &out,
	    NULL), 0);
	assert_non_null(strstr(out, "no branch-days"));
	free(out);
	assert_int_equal(branchq(args, "hq summary --from 2026-03-10 --region Nowhere "
	    "--format json", &out, NULL), 0);
	assert_string_equal(out, "[]\n");
	free(out);
	free(args);
}

/* Usage mistakes: exit 2, the option named, no connection tried. */
static void
test_cli_errors(void **state)
{
	static const struct {
		const char	*args, *needle;
	} cases[] = {
		{ "hq", "expected migrate, followups or summary" },
		{ "hq rebuild", "got rebuild" },
		{ "hq summary", "--from DATE is required" },
		{ "hq summary --from 2026-13-01", "--from: expected a date" },
		{ "hq summary --from 2026-03-10 --to 2026-02-29", "--to: expected a date" },
		{ "hq summary --from 2026-03-10 --to 2026-03-09", "--to: 2026-03-09 is before" },
		{ "hq followups --status late", "--status: expected open, overdue or all" },
		{ "hq followups --format xml", "--format: expected table, json or csv" },
		{ "hq followups --region ''", "--region" },
		{ "hq followups --from 2026-03-10", "unknown option \"--from\"" },
		{ "hq migrate --format json", "unknown option \"--format\"" },
		{ "hq followups --conninfo", "--conninfo needs a value" },
		{ "--json hq followups --format csv", "--json and --format csv disagree" },
	};
	char	*out, *err;
	size_t	 i;

	(void)state;
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		/* A host that does not exist: a usage error must come first. */
		if (branchq("PGHOST=/nonexistent", cases[i].args, &out, &err) != 2 ||
		    strstr(err, cases[i].needle) == NULL)
			fail_msg("branchq %s: %s", cases[i].args, err);
		free(out);
		free(err);
	}
	/* No server there: exit 2, libpq's reason. */
	assert_int_equal(branchq("PGHOST=/nonexistent", "hq followups", &out, &err), 2);
	assert_non_null(strstr(err, "head office: cannot connect"));
	free(out);
	free(err);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_migrate),
		cmocka_unit_test(test_ingest_marks),
		cmocka_unit_test(test_ingest_concurrent),
		cmocka_unit_test(test_partitions),
		cmocka_unit_test(test_privileges),
		cmocka_unit_test(test_branch_day),
		cmocka_unit_test(test_followups),
		cmocka_unit_test(test_cli),
		cmocka_unit_test(test_cli_errors),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
