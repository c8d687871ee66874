/*
 * End-to-end: upgrades (issue 18 item 9; docs/OPERATIONS.md "Upgrade").
 *
 * tests/upgrade/schema-NNN.sql is the database that branchqd as it shipped
 * with schema version NNN wrote over one business day (made by the old
 * daemon itself: tests/upgrade/make-fixture.sh, README.md there).  For each
 * fixture there is, today's daemon starts on it, applies the migrations it
 * lacks (one log line each), and then has the newest schema, exactly as a
 * fresh database has it, and serves the day as it was written: the tickets,
 * the complaints with their owners, the day's report, the numbering going
 * on where it stopped, a follow-up on an old complaint; integrity_check and
 * foreign_key_check are clean afterwards.
 *
 * Also: a database of a newer schema than the daemon knows is refused with
 * exit status 2 and one line, and the file is left as it was, byte for byte;
 * a migration that fails half-way leaves the database at the version before
 * it (each migration is one transaction).
 *
 * Every fixture is the same day, driven by tests/upgrade/drive.py: Monday
 * 2026-11-23 from 09:00 in Asia/Shanghai (the harness's clock start), the
 * harness's terminals.  The figures expected below are the old daemons' own
 * (schema-NNN.day.json: the report.summary each gave of its day) where the
 * rules did not change since; see report_of_the_day().
 */
#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "harness.h"

/* The fixtures' day and a time later that day (14:00 local) to start on:
 * the same business day, so today's numbering goes on from the fixture's. */
#define FIX_DAY		"2026-11-23"
#define LATER_SAME_DAY	"2026-11-23T06:00:00Z"
/* The receiver of the fixtures' days from schema 3 (webhooks) on: nothing
 * listens there, so their deliveries are pending. */
#define FIX_WEBHOOK	"\"webhooks\":[{\"url\":\"http://127.0.0.1:9/hook\"," \
			"\"secret\":\"s3cret\",\"events\":[\"complaint.logged\"," \
			"\"followup.overdue\",\"survey.detractor\"]}]"

#define MAX_FIXTURES	64

struct fixture {
	int	f_version;
	char	f_path[PATH_MAX];
	char	f_name[64];	/* cmocka's test name */
};

static struct fixture	fixtures[MAX_FIXTURES];
static size_t		nfixtures;
static int		newest;		/* the schema version this daemon knows */
static const struct daemon_opts no_http = { .http = "off" };

/* ---- small helpers ---- */

/* tests/upgrade, found from this file's name as the Makefile compiles it. */
static const char *
fixture_dir(void)
{
	static char	dir[1024];
	const char	*slash;

	if (dir[0] != '\0')
		return dir;
	slash = strrchr(__FILE__, '/');
	if (slash == NULL)
		snprintf(dir, sizeof dir, "../upgrade");
	else
		snprintf(dir, sizeof dir, "%.*s/../upgrade", (int)(slash - __FILE__), __FILE__);
	return dir;
}

/* One integer from a query on a database file (read-only), or -1. */
static long long
db_int(const char *path, const char *sql)
{
	sqlite3		*db;
	sqlite3_stmt	*st;
	long long	 v = -1;

	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
	    sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK) {
		if (sqlite3_step(st) == SQLITE_ROW)
			v = sqlite3_column_int64(st, 0);
		sqlite3_finalize(st);
	}
	sqlite3_close(db);
	return v;
}

/* Every row of a query, columns joined with '|', rows with '\n'.  Caller frees. */
static char *
db_text(const char *path, const char *sql)
{
	sqlite3		*db;
	sqlite3_stmt	*st;
	char		*out = NULL;
	size_t		 len = 0;
	FILE		*f = open_memstream(&out, &len);
	int		 i;

	if (f == NULL)
		fail_msg("open_memstream: %s", strerror(errno));
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
		fprintf(f, "(error: %s)", sqlite3_errmsg(db));
	} else {
		while (sqlite3_step(st) == SQLITE_ROW) {
			for (i = 0; i < sqlite3_column_count(st); i++) {
				const unsigned char *t = sqlite3_column_text(st, i);

				fprintf(f, "%s%s", i > 0 ? "|" : "",
				    t != NULL ? (const char *)t : "NULL");
			}
			fputc('\n', f);
		}
		sqlite3_finalize(st);
	}
	sqlite3_close(db);
	fclose(f);
	return out;
}

/* The schema as SQLite keeps it, in a fixed order. */
static char *
db_schema(const char *path)
{
	return db_text(path, "SELECT type, name, tbl_name, sql FROM sqlite_schema "
	    "ORDER BY type, name");
}

/* The whole file.  Caller frees; *len its size. */
static char *
read_file(const char *path, size_t *len)
{
	FILE	*f = fopen(path, "rb");
	char	*buf;
	long	 size;

	if (f == NULL)
		fail_msg("cannot read %s: %s", path, strerror(errno));
	fseek(f, 0, SEEK_END);
	size = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = malloc((size_t)size + 1);
	if (buf == NULL)
		abort();
	*len = fread(buf, 1, (size_t)size, f);
	buf[*len] = '\0';
	fclose(f);
	return buf;
}

static bool
file_exists(const char *path)
{
	struct stat	st;

	return stat(path, &st) == 0;
}

/*
 * Runs the daemon on db (config in dir, which is its cwd) and returns its
 * exit status; stderr goes to err, stdout is dropped.  For starts that must
 * fail: one that runs for 10 s fails the test.
 */
static int
run_refused(const char *dir, const char *db, const char *config, char *err, size_t errlen)
{
	const char	*bin = daemon_binary();
	struct pollfd	 pfd;
	size_t		 len = 0;
	ssize_t		 n;
	pid_t		 pid;
	int		 p[2], status, fd, waited = 0;

	if (pipe(p) == -1)
		fail_msg("pipe: %s", strerror(errno));
	fflush(stdout);
	fflush(stderr);
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
		if (chdir(dir) == -1)
			_exit(126);
		execl(bin, bin, "--config", config, "--db", db, "--listen", "127.0.0.1:0",
		    "--http", "off", "--test-clock", "--test-clock-start", LATER_SAME_DAY,
		    (char *)NULL);
		dprintf(2, "run_refused: exec %s: %s\n", bin, strerror(errno));
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
			fail_msg("branchqd did not exit; stderr: %.*s", (int)len, err);
		}
	}
	err[len] = '\0';
	close(p[0]);
	waitpid(pid, &status, 0);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/*
 * stderr of a refused start: want (one line) is its last line and its only
 * error; what comes before it is the daemon's log of the start-up (its
 * configuration and limits, "TIME branchqd info: ..."), as before any
 * start-up error (test_dbfaults: expect_one_line_exit2).
 */
static void
expect_one_error_line(const char *err, const char *want)
{
	const char	*line, *nl;
	size_t		 wlen = strlen(want), elen = strlen(err);

	expect_that(elen >= wlen && strcmp(err + elen - wlen, want) == 0 &&
	    (elen == wlen || err[elen - wlen - 1] == '\n'), NULL,
	    "stderr does not end with the line:\n  want: %s  got:\n%s", want, err);
	for (line = err; line < err + elen - wlen; line = nl + 1) {
		nl = strchr(line, '\n');
		expect_that(nl - line > 21 && strncmp(line + 20, " branchqd info: ", 16) == 0,
		    NULL, "a line before the error is not the start-up's log:\n%s", err);
	}
}

/* The schema version a fresh database gets: the newest this daemon knows. */
static int
newest_version(void)
{
	struct daemon	*d;

	if (newest > 0)
		return newest;
	d = daemon_start(&no_http);
	newest = (int)db_int(d->d_db, "SELECT max(version) FROM schema_migrations");
	expect_that(newest >= 12, NULL, "a fresh database has schema version %d", newest);
	expect_that(db_int(d->d_db, "PRAGMA user_version") == newest, NULL,
	    "a fresh database's user_version is not its schema version %d", newest);
	daemon_stop(d);
	daemon_free(d);
	return newest;
}

static char *
fresh_schema(void)
{
	struct daemon	*d = daemon_start(&no_http);
	char		*s;

	daemon_stop(d);
	s = db_schema(d->d_db);
	daemon_free(d);
	return s;
}

static void
expect_clean(const char *db, const char *what)
{
	char	*t;

	t = db_text(db, "PRAGMA integrity_check");
	expect_that(strcmp(t, "ok\n") == 0, NULL, "%s: integrity_check: %s", what, t);
	free(t);
	t = db_text(db, "PRAGMA foreign_key_check");
	expect_that(*t == '\0', NULL, "%s: foreign_key_check: %s", what, t);
	free(t);
}

/* ---- the fixture's day, as the protocol gives it back ---- */

static void
expect_ticket(struct conn *c, const char *number, const char *status, const char *lane,
    const char *service)
{
	cJSON	*t = ticket_status(c, number);

	expect_str(t, "number", number);
	expect_str(t, "status", status);
	expect_str(t, "lane", lane);
	expect_str(t, "service", service);
	cJSON_Delete(t);
}

static cJSON *
get_complaint(struct conn *c, long long id)
{
	cJSON	*r = rq_ok(c, "{\"op\":\"complaint.get\",\"id\":%lld}", id);
	cJSON	*cp = cJSON_DetachItemFromObjectCaseSensitive(r, "complaint");

	expect_that(cJSON_IsObject(cp), r, "complaint.get gave no complaint");
	cJSON_Delete(r);
	return cp;
}

/*
 * report.summary of the fixture's day.  The figures are those the old
 * daemons gave of the same day (schema-NNN.day.json), with one exception:
 * waits by lane count where the customer waited since sql/007's release
 * (issue 15 item 7: "a wait counts where it was waited"; A002 waited at the
 * counter, then was transferred to express), so schemas 2-6 reported
 * counter 3 / express 2 and today's daemon reports 4 / 1 for every fixture,
 * as schema 7 on did.  Schema 1 had no report: its tickets are the same.
 */
static void
report_of_the_day(struct conn *s, int version)
{
	cJSON	*r = rq_ok(s, "{\"op\":\"report.summary\",\"from\":\"" FIX_DAY "\","
	    "\"to\":\"" FIX_DAY "\"}");

	expect_int(r, "tickets.total", 8);
	expect_int(r, "tickets.by_status.done", 4);
	expect_int(r, "tickets.by_status.no_show", 1);
	expect_int(r, "tickets.by_status.diverted", 1);
	expect_int(r, "tickets.by_status.waiting", 2);
	expect_int(r, "tickets.by_status.called", 0);
	expect_int(r, "tickets.by_status.serving", 0);
	expect_int(r, "tickets.by_lane.counter", 4);
	expect_int(r, "tickets.by_lane.express", 2);
	expect_int(r, "tickets.by_lane.self_service", 1);
	expect_int(r, "tickets.by_lane.vip", 1);
	expect_int(r, "tickets.by_service.loan", 1);
	expect_int(r, "tickets.by_service.other", 1);
	expect_int(r, "tickets.by_service.transfer", 0);
	expect_int(r, "no_show.total", 1);
	expect_int(r, "no_show.by_lane.express", 1);
	expect_int(r, "diversion.diverted", 1);
	expect_int(r, "diversion.eligible", 1);
	expect_int(r, "service.by_staff.E1001.count", 2);
	expect_int(r, "service.by_staff.E1001.mean", 360);
	expect_int(r, "service.by_staff.E1001.max", 420);
	expect_int(r, "service.by_staff.E1002.count", 2);
	expect_int(r, "service.by_staff.E1002.mean", 210);
	expect_int(r, "service.by_staff.E1002.max", 240);
	expect_int(r, "waiting.by_lane.counter.count", 4);
	expect_int(r, "waiting.by_lane.counter.max", 1350);
	expect_int(r, "waiting.by_lane.express.count", 1);
	expect_int(r, "waiting.by_lane.express.max", 480);
	if (version >= 2) {
		expect_int(r, "complaints.total", 3);
		expect_int(r, "complaints.by_category.wait_time", 1);
		expect_int(r, "complaints.by_category.environment", 1);
		expect_int(r, "complaints.by_category.other", 1);
		expect_int(r, "complaints.by_severity.1", 2);
		expect_int(r, "complaints.by_severity.2", 1);
		expect_int(r, "complaints.by_root_cause.value", 1);
		expect_int(r, "complaints.by_root_cause.unresolved", 2);
		expect_int(r, "complaints.compensation_fen", 0);
		expect_int(r, "nps.responses", 2);
		expect_int(r, "nps.promoters", 1);
		expect_int(r, "nps.detractors", 1);
		expect_int(r, "nps.score", 0);
		expect_int(r, "followups.on_time", 1);
		expect_int(r, "followups.late", 0);
		expect_int(r, "followups.open_overdue", 0);
	} else {
		expect_int(r, "complaints.total", 0);
		expect_int(r, "nps.responses", 0);
	}
	cJSON_Delete(r);
}

static void
serve_the_fixture(struct daemon *d, int version)
{
	struct conn	*k = login(d, "K01"), *s = login(d, "S01"), *l = login(d, "L01");
	cJSON		*r, *c;

	/* the day's tickets, as the old daemon left them */
	expect_ticket(s, "A001", "done", "counter", "loan");
	expect_ticket(s, "A002", "done", "express", "account_opening");	/* transferred */
	expect_ticket(s, "E001", "no_show", "express", "cash_deposit");
	expect_ticket(s, "S001", "diverted", "self_service", "cash_withdrawal");
	expect_ticket(s, "V001", "waiting", "vip", "wealth_management");
	expect_ticket(s, "A005", "waiting", "counter", "other");
	r = ticket_status(s, "A001");
	expect_str(r, "called_at", "2026-11-23T01:04:00Z");
	expect_str(r, "finished_at", "2026-11-23T01:09:00Z");
	expect_int(r, "window", 1);
	cJSON_Delete(r);

	if (version >= 2) {
		c = get_complaint(s, 1);
		expect_str(c, "owner", "E1001");
		expect_str(c, "state", "closed");
		expect_str(c, "category", "wait_time");
		expect_str(c, "description", "waited 40 minutes");
		expect_str(c, "ticket", "A001");
		cJSON_Delete(c);
		c = get_complaint(l, 2);
		expect_str(c, "owner", "E2001");
		expect_str(c, "state", "open");
		expect_str(c, "description", "the hall is cold");
		cJSON_Delete(c);
		c = get_complaint(s, 3);	/* opened by the survey of A003 */
		expect_str(c, "owner", "E9001");
		expect_str(c, "channel", "survey");
		expect_str(c, "description", "slow");
		expect_str(c, "state", "open");
		cJSON_Delete(c);
	}
	/* the report before anything new is added to the day */
	report_of_the_day(s, version);

	/* today's numbering goes on where the fixture's day stopped */
	r = issue(k, "loan", 0, NULL);
	expect_str(r, "number", "A006");
	expect_str(r, "status", "waiting");
	cJSON_Delete(r);
	if (version >= 8) {
		/* a kiosk's retry of a request of before the upgrade: its first reply */
		r = rq_ok(k, "{\"op\":\"ticket.issue\",\"service\":\"other\","
		    "\"request_key\":\"K01-000042\"}");
		expect_str(r, "ticket.number", "A005");
		cJSON_Delete(r);
	}
	r = issue(k, "loan", 0, NULL);
	expect_str(r, "number", "A007");
	cJSON_Delete(r);

	if (version >= 2) {
		/* a follow-up on a complaint logged before the upgrade */
		c = cJSON_DetachItemFromObjectCaseSensitive(r = rq_ok(l,
		    "{\"op\":\"followup.record\",\"id\":2,\"outcome\":\"satisfied\","
		    "\"note\":\"heating repaired, customer content\"}"), "complaint");
		cJSON_Delete(r);
		expect_str(c, "state", "closed");
		expect_str(c, "owner", "E2001");
		cJSON_Delete(c);
		c = get_complaint(s, 2);
		expect_str(c, "state", "closed");
		cJSON_Delete(c);
		/* and one logged now numbers after them */
		r = rq_ok(l, "{\"op\":\"complaint.log\",\"category\":\"other\",\"severity\":1,"
		    "\"description\":\"after the upgrade\",\"channel\":\"lobby\"}");
		expect_int(r, "complaint.id", 4);
		cJSON_Delete(r);
	}
	if (version >= 3) {
		/* the day's webhook deliveries are still there, still pending */
		r = rq_ok(s, "{\"op\":\"webhook.deliveries\",\"state\":\"all\",\"limit\":100}");
		expect_that(jint(r, "counts.pending") >= 4, r, "the fixture had 4 pending deliveries");
		cJSON_Delete(r);
	}
	conn_close(k);
	conn_close(s);
	conn_close(l);
}

/* ---- one test per fixture ---- */

static void
test_upgrade_from(void **state)
{
	const struct fixture	*f = *state;
	struct daemon_opts	 opts = { 0 };
	struct daemon		*d;
	char			*fresh, *migrated, *log, mark[64];
	const char		*at, *last;
	size_t			 len;
	int			 v, applied;

	newest_version();
	fresh = fresh_schema();
	expect_that(f->f_version <= newest, NULL, "%s is newer than the daemon (%d)", f->f_path,
	    newest);
	opts.db_from_sql = f->f_path;
	opts.clock_start = LATER_SAME_DAY;
	opts.http = "off";
	opts.extra_config = f->f_version >= 3 ? FIX_WEBHOOK : NULL;
	d = daemon_start(&opts);

	/* each missing migration applied and logged, in order, none other */
	log = read_file(d->d_log, &len);
	for (v = 1, applied = 0, last = log; v <= newest; v++) {
		snprintf(mark, sizeof mark, "database: applied migration %03d_", v);
		at = strstr(log, mark);
		if (at != NULL) {
			applied++;
			expect_that(v > f->f_version, NULL, "%s: migration %d applied again",
			    f->f_name, v);
			expect_that(at > last, NULL, "%s: migration %d applied out of order",
			    f->f_name, v);
			last = at;
		} else if (v > f->f_version) {
			daemon_print_log(d);
			fail_msg("%s: no \"%s\" in the log", f->f_name, mark);
		}
	}
	free(log);
	expect_that(applied == newest - f->f_version, NULL, "%s: %d migrations applied, want %d",
	    f->f_name, applied, newest - f->f_version);
	expect_that(db_int(d->d_db, "SELECT max(version) FROM schema_migrations") == newest,
	    NULL, "%s: schema version %lld after the upgrade, want %d", f->f_name,
	    db_int(d->d_db, "SELECT max(version) FROM schema_migrations"), newest);
	expect_that(db_int(d->d_db, "SELECT count(*) FROM schema_migrations") == newest,
	    NULL, "%s: %lld rows in schema_migrations, want %d", f->f_name,
	    db_int(d->d_db, "SELECT count(*) FROM schema_migrations"), newest);
	expect_that(db_int(d->d_db, "PRAGMA user_version") == newest, NULL,
	    "%s: user_version %lld, want %d", f->f_name,
	    db_int(d->d_db, "PRAGMA user_version"), newest);
	/* the same tables, columns, indexes and triggers as a fresh database's */
	migrated = db_schema(d->d_db);
	if (strcmp(migrated, fresh) != 0) {
		print_error("---- fresh ----\n%s---- migrated from %s ----\n%s", fresh,
		    f->f_name, migrated);
		fail_msg("%s: the migrated schema differs from a fresh database's", f->f_name);
	}
	free(migrated);
	free(fresh);

	/* sql/014: the history before the event log ships as snapshots, in
	 * the order it happened: every ticket and survey of the last 31 days,
	 * those days' complaints and every complaint not closed */
	expect_that(db_int(d->d_db, "SELECT count(*) FROM hq_events WHERE kind = "
	    "'ticket.snapshot'") == db_int(d->d_db, "SELECT count(*) FROM tickets") &&
	    db_int(d->d_db, "SELECT count(*) FROM tickets") > 0, NULL,
	    "%s: %lld ticket snapshots for %lld tickets", f->f_name,
	    db_int(d->d_db, "SELECT count(*) FROM hq_events WHERE kind = 'ticket.snapshot'"),
	    db_int(d->d_db, "SELECT count(*) FROM tickets"));
	if (f->f_version >= 2)
		expect_that(db_int(d->d_db, "SELECT count(*) FROM hq_events WHERE kind = "
		    "'complaint.snapshot'") == db_int(d->d_db, "SELECT count(*) FROM complaints") &&
		    db_int(d->d_db, "SELECT count(*) FROM hq_events WHERE kind = "
		    "'survey.submitted'") == db_int(d->d_db, "SELECT count(*) FROM surveys"),
		    NULL, "%s: complaints or surveys missing from the snapshots", f->f_name);
	expect_that(db_int(d->d_db, "SELECT count(*) FROM hq_events a JOIN hq_events b "
	    "ON b.seq = a.seq + 1 WHERE b.at < a.at") == 0 &&
	    db_int(d->d_db, "SELECT count(*) FROM hq_events WHERE json_valid(payload) = 0 "
	    "OR payload LIKE '%138-1234-5678%' OR payload LIKE '%张三丰%'") == 0, NULL,
	    "%s: snapshots out of order, not JSON, or with a phone number", f->f_name);

	serve_the_fixture(d, f->f_version);
	if (f->f_version >= 10)
		expect_that(db_int(d->d_db, "SELECT count(*) FROM http_sessions") >= 1, NULL,
		    "%s: the fixture's HTTP session is gone", f->f_name);
	daemon_stop(d);
	expect_clean(d->d_db, f->f_name);

	/* a second start applies nothing */
	daemon_restart(d);
	expect_that(db_int(d->d_db, "SELECT count(*) FROM schema_migrations") == newest, NULL,
	    "%s: a restart changed schema_migrations", f->f_name);
	daemon_stop(d);
	daemon_free(d);
}

/* ---- a newer database is refused ---- */

/*
 * Starts on d's database (made newer) and checks the refusal: exit status
 * 2, the one error line, and the file as it was to the byte, no -wal or
 * -shm left behind.
 */
static void
expect_refused_unchanged(struct daemon *d, const char *what)
{
	char		 err[4096], want[PATH_MAX + 128], wal[PATH_MAX], shm[PATH_MAX];
	char		*before, *after;
	size_t		 blen, alen;
	int		 status;

	snprintf(wal, sizeof wal, "%s-wal", d->d_db);
	snprintf(shm, sizeof shm, "%s-shm", d->d_db);
	expect_that(!file_exists(wal) && !file_exists(shm), NULL,
	    "%s: a -wal or -shm is left before the start", what);
	before = read_file(d->d_db, &blen);

	status = run_refused(d->d_dir, d->d_db, d->d_config, err, sizeof err);
	snprintf(want, sizeof want, "branchqd: --db %s: schema version %d is newer than this "
	    "branchqd knows (%d)\n", d->d_db, newest + 1, newest);
	expect_that(status == 2, NULL, "%s: exit status %d, want 2; stderr: %s", what, status,
	    err);
	expect_one_error_line(err, want);

	after = read_file(d->d_db, &alen);
	expect_that(alen == blen && memcmp(before, after, blen) == 0, NULL,
	    "%s: the refused database changed (%zu bytes before, %zu after)", what, blen, alen);
	expect_that(!file_exists(wal) && !file_exists(shm), NULL,
	    "%s: the refused start left a -wal or -shm", what);
	expect_that(db_int(d->d_db, "SELECT max(version) FROM schema_migrations") == newest + 1,
	    NULL, "%s: the refused database's version changed", what);
	free(before);
	free(after);
}

static void
test_newer_refused(void **state)
{
	const struct fixture	*f = &fixtures[nfixtures - 1];
	struct daemon_opts	 opts = { 0 };
	struct daemon		*d;
	char			 sql[160], *emsg = NULL;
	sqlite3			*db;

	(void)state;
	newest_version();
	/* a database this daemon made, stopped cleanly (no WAL left) ... */
	opts.db_from_sql = f->f_path;
	opts.clock_start = LATER_SAME_DAY;
	opts.http = "off";
	d = daemon_start(&opts);
	daemon_stop(d);
	/* ... then written by a later branchqd, as store_version reads it */
	snprintf(sql, sizeof sql, "INSERT INTO schema_migrations VALUES (%d, '%03d_future', 0); "
	    "PRAGMA user_version = %d;", newest + 1, newest + 1, newest + 1);
	if (sqlite3_open(d->d_db, &db) != SQLITE_OK ||
	    sqlite3_exec(db, sql, NULL, NULL, &emsg) != SQLITE_OK)
		fail_msg("cannot make the database newer: %s", emsg ? emsg : "?");
	sqlite3_close(db);
	expect_refused_unchanged(d, "in WAL mode");

	/* the same restored from a dump: not in WAL mode, which the refused
	 * start must not set either (the header's bytes would change) */
	if (sqlite3_open(d->d_db, &db) != SQLITE_OK ||
	    sqlite3_exec(db, "PRAGMA journal_mode = DELETE", NULL, NULL, &emsg) != SQLITE_OK)
		fail_msg("cannot leave WAL mode: %s", emsg ? emsg : "?");
	sqlite3_close(db);
	expect_refused_unchanged(d, "in rollback-journal mode");
	daemon_free(d);
}

/* ---- a migration that fails half-way ---- */

/*
 * Schema 8's database, with a table in the way of 009_report_history's
 * second CREATE TABLE (selfservice_events): its first (window_events, with
 * an index and triggers) has run when the migration fails.  The start fails
 * in one line, and the database is at version 8 with none of 009's objects,
 * exactly the schema it had: 009 is one transaction, rolled back whole.
 */
static void
test_failed_migration_rolls_back(void **state)
{
	const struct fixture	*f = NULL;
	struct daemon		*d;
	char			 err[4096], want[PATH_MAX + 256];
	char			*emsg = NULL, *schema_before, *schema_after, *rows_before, *rows_after;
	char			*dump;
	sqlite3			*db;
	size_t			 i, len;
	int			 status;

	(void)state;
	for (i = 0; i < nfixtures; i++)
		if (fixtures[i].f_version == 8)
			f = &fixtures[i];
	if (f == NULL)
		fail_msg("no schema-008.sql in %s", fixture_dir());
	/* a daemon's directory and configuration; its database replaced */
	d = daemon_start(&no_http);
	daemon_stop(d);
	if (unlink(d->d_db) == -1)
		fail_msg("unlink %s: %s", d->d_db, strerror(errno));
	dump = read_file(f->f_path, &len);
	if (sqlite3_open(d->d_db, &db) != SQLITE_OK ||
	    sqlite3_exec(db, dump, NULL, NULL, &emsg) != SQLITE_OK ||
	    sqlite3_exec(db, "CREATE TABLE selfservice_events (in_the_way INTEGER)",
	    NULL, NULL, &emsg) != SQLITE_OK)
		fail_msg("cannot prepare the database: %s", emsg ? emsg : "?");
	sqlite3_close(db);
	free(dump);
	schema_before = db_schema(d->d_db);
	rows_before = db_text(d->d_db, "SELECT business_date, number, status FROM tickets "
	    "ORDER BY id");

	status = run_refused(d->d_dir, d->d_db, d->d_config, err, sizeof err);
	snprintf(want, sizeof want, "branchqd: --db %s: migration 009_report_history failed: "
	    "table selfservice_events already exists\n", d->d_db);
	expect_that(status == 2, NULL, "exit status %d, want 2; stderr: %s", status, err);
	expect_one_error_line(err, want);

	schema_after = db_schema(d->d_db);
	expect_that(strcmp(schema_before, schema_after) == 0, NULL,
	    "the failed migration left a change in the schema:\n---- before ----\n%s"
	    "---- after ----\n%s", schema_before, schema_after);
	rows_after = db_text(d->d_db, "SELECT business_date, number, status FROM tickets "
	    "ORDER BY id");
	expect_that(strcmp(rows_before, rows_after) == 0, NULL, "the tickets changed");
	expect_that(db_int(d->d_db, "SELECT max(version) FROM schema_migrations") == 8, NULL,
	    "schema version %lld after the failed migration, want 8",
	    db_int(d->d_db, "SELECT max(version) FROM schema_migrations"));
	expect_that(db_int(d->d_db, "PRAGMA user_version") == 8, NULL,
	    "user_version %lld after the failed migration, want 8",
	    db_int(d->d_db, "PRAGMA user_version"));
	expect_that(db_int(d->d_db, "SELECT count(*) FROM sqlite_schema WHERE "
	    "name = 'window_events'") == 0, NULL, "window_events outlived the rollback");
	expect_clean(d->d_db, "after the failed migration");

	/* the obstacle gone, the same database upgrades */
	if (sqlite3_open(d->d_db, &db) != SQLITE_OK ||
	    sqlite3_exec(db, "DROP TABLE selfservice_events", NULL, NULL, &emsg) != SQLITE_OK)
		fail_msg("cannot drop the obstacle: %s", emsg ? emsg : "?");
	sqlite3_close(db);
	daemon_restart(d);
	expect_that(daemon_log_contains(d, "database: applied migration 009_report_history"), NULL,
	    "009 not applied on the second start");
	expect_that(db_int(d->d_db, "SELECT max(version) FROM schema_migrations") == newest_version(),
	    NULL, "not at the newest version after the second start");
	daemon_stop(d);
	expect_clean(d->d_db, "after the second start");
	free(schema_before);
	free(schema_after);
	free(rows_before);
	free(rows_after);
	daemon_free(d);
}

/* Every tests/upgrade/schema-NNN.sql, in order of version. */
static void
find_fixtures(void)
{
	glob_t		 g;
	char		 pattern[PATH_MAX];
	const char	*base;
	size_t		 i;

	snprintf(pattern, sizeof pattern, "%s/schema-[0-9][0-9][0-9].sql", fixture_dir());
	if (glob(pattern, 0, NULL, &g) != 0) {
		fprintf(stderr, "test_upgrade: no fixtures %s\n", pattern);
		exit(1);
	}
	for (i = 0; i < g.gl_pathc && nfixtures < MAX_FIXTURES; i++) {
		struct fixture	*f = &fixtures[nfixtures++];

		snprintf(f->f_path, sizeof f->f_path, "%s", g.gl_pathv[i]);
		base = strrchr(f->f_path, '/') + 1;
		f->f_version = atoi(base + strlen("schema-"));
		snprintf(f->f_name, sizeof f->f_name, "test_upgrade_from_%s", base);
	}
	globfree(&g);
}

int
main(void)
{
	struct CMUnitTest	tests[MAX_FIXTURES + 2];
	size_t			i, n = 0;

	find_fixtures();
	/* every version from 1 up, none missing */
	for (i = 0; i < nfixtures; i++)
		if (fixtures[i].f_version != (int)i + 1) {
			fprintf(stderr, "test_upgrade: %s: want schema-%03zu.sql there\n",
			    fixtures[i].f_path, i + 1);
			return 1;
		}
	if (nfixtures < 12) {
		fprintf(stderr, "test_upgrade: %zu fixtures in %s, want 12 or more\n", nfixtures,
		    fixture_dir());
		return 1;
	}
	for (i = 0; i < nfixtures; i++)
		tests[n++] = (struct CMUnitTest){ .name = fixtures[i].f_name,
		    .test_func = test_upgrade_from, .teardown_func = harness_teardown,
		    .initial_state = &fixtures[i] };
	tests[n++] = (struct CMUnitTest){ .name = "test_newer_refused",
	    .test_func = test_newer_refused, .teardown_func = harness_teardown };
	tests[n++] = (struct CMUnitTest){ .name = "test_failed_migration_rolls_back",
	    .test_func = test_failed_migration_rolls_back, .teardown_func = harness_teardown };
	return _cmocka_run_group_tests("test_upgrade", tests, n, NULL, NULL);
}
