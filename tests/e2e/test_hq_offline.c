/*
 * End-to-end: the head office's relay when head office cannot be reached
 * (docs/HEADOFFICE.md), and the event log's pruning.  No PostgreSQL here
 * (tests/e2e/test_hq.c has one): "hq" names a closed port or a port that
 * accepts and never answers.  The branch works on; a supervisor's
 * queue.snapshot and /metrics show the relay disconnected and the backlog
 * growing; SIGHUP removes and adds "hq"; unshipped events are never
 * pruned while "hq" is set, and without it events older than 7 days are.
 */
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "harness.h"

#define CASH	"cash_withdrawal"
#define T0	1795395600LL	/* H_CLOCK_START */

/* A loopback port nothing listens on (bound, then closed). */
static int
closed_port(void)
{
	struct sockaddr_in	sin;
	socklen_t		len = sizeof sin;
	int			fd, port;

	fd = socket(AF_INET, SOCK_STREAM, 0);
	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	expect_that(fd != -1 && bind(fd, (struct sockaddr *)&sin, sizeof sin) == 0 &&
	    getsockname(fd, (struct sockaddr *)&sin, &len) == 0, NULL, "cannot bind");
	port = ntohs(sin.sin_port);
	close(fd);
	return port;
}

/* A port that takes connections (the kernel's handshake) and never answers. */
static int
blackhole(int *portp)
{
	struct sockaddr_in	sin;
	socklen_t		len = sizeof sin;
	int			fd;

	fd = socket(AF_INET, SOCK_STREAM, 0);
	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	expect_that(fd != -1 && bind(fd, (struct sockaddr *)&sin, sizeof sin) == 0 &&
	    listen(fd, 16) == 0 && getsockname(fd, (struct sockaddr *)&sin, &len) == 0,
	    NULL, "cannot listen");
	*portp = ntohs(sin.sin_port);
	return fd;
}

/* "hq" toward 127.0.0.1:port, quick to give up and to try again. */
static const char *
hq_config(int port, int keep_days)
{
	return hfmt("\"hq\":{\"conninfo\":\"host=127.0.0.1 port=%d dbname=hq user=nj001 "
	    "sslmode=verify-full sslrootcert=/nonexistent/ca.pem\",\"region\":\"Jiangsu\","
	    "\"timeout_s\":1,\"retry_max_s\":1,\"keep_days\":%d}", port, keep_days);
}

static struct daemon *
start(const char *extra_config, bool verbose)
{
	struct daemon_opts	opts = { .http = "127.0.0.1:0", .extra_config = extra_config };

	if (verbose)
		opts.extra_args[0] = "--verbose";
	return daemon_start(&opts);
}

static void
pause_ms(int ms)
{
	struct timespec	ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/* Waits (without a fixed sleep) for the daemon's log to say it. */
static void
wait_log(struct daemon *d, const char *what)
{
	int	waited;

	for (waited = 0; waited < 10 * reply_timeout_ms(); waited += 20) {
		if (daemon_log_contains(d, what))
			return;
		pause_ms(20);
	}
	daemon_print_log(d);
	fail_msg("the daemon never logged %s", what);
}

/* How many times the daemon's log says it. */
static int
log_count(struct daemon *d, const char *what)
{
	FILE	*f = fopen(d->d_log, "r");
	char	 line[4096];
	int	 n = 0;

	expect_that(f != NULL, NULL, "cannot read %s", d->d_log);
	while (fgets(line, sizeof line, f) != NULL)
		if (strstr(line, what) != NULL)
			n++;
	fclose(f);
	return n;
}

/* The log as the database holds it: count, first and last seq, oldest at. */
struct log_state {
	long long	ls_count, ls_first, ls_last, ls_oldest_at;
};

static struct log_state
db_log(struct daemon *d)
{
	struct log_state	 ls = { 0, 0, 0, 0 };
	sqlite3			*db;
	sqlite3_stmt		*st;

	expect_that(sqlite3_open_v2(d->d_db, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK,
	    NULL, "cannot open %s", d->d_db);
	sqlite3_busy_timeout(db, 5000);
	expect_that(sqlite3_prepare_v2(db, "SELECT count(*), coalesce(min(seq), 0), "
	    "coalesce(max(seq), 0), coalesce(min(at), 0) FROM hq_events", -1, &st, NULL) ==
	    SQLITE_OK && sqlite3_step(st) == SQLITE_ROW, NULL, "hq_events: %s",
	    sqlite3_errmsg(db));
	ls.ls_count = sqlite3_column_int64(st, 0);
	ls.ls_first = sqlite3_column_int64(st, 1);
	ls.ls_last = sqlite3_column_int64(st, 2);
	ls.ls_oldest_at = sqlite3_column_int64(st, 3);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return ls;
}

/* A sample's value in GET /metrics (as a supervisor), or -1 when absent. */
static double
metric(struct daemon *d, const char *name)
{
	struct hresp	*r = http_rq(d, "GET", "/metrics", .bearer = "S01");
	const char	*p;
	size_t		 n = strlen(name);
	double		 v = -1;

	expect_http_status(r, 200);
	for (p = r->hr_body; p != NULL && *p != '\0'; p = strchr(p, '\n') ? strchr(p, '\n') + 1 :
	    NULL) {
		if (strncmp(p, name, n) == 0 && p[n] == ' ') {
			v = strtod(p + n + 1, NULL);
			break;
		}
	}
	hresp_free(r);
	return v;
}

static cJSON *
snapshot(struct conn *c)
{
	return rq_ok(c, "{\"op\":\"queue.snapshot\"}");
}

/* Waits until the supervisor's snapshot shows this backlog; returns it. */
static cJSON *
wait_backlog(struct conn *sup, long long want)
{
	cJSON	*s = NULL;
	int	 waited;

	for (waited = 0; waited < 10 * reply_timeout_ms(); waited += 20) {
		cJSON_Delete(s);
		s = snapshot(sup);
		if (jint(s, "hq.backlog") == want)
			return s;
		pause_ms(20);
	}
	expect_that(false, s, "hq.backlog never became %lld", want);
	return s;
}

/* HEADOFFICE: head office down (a closed port): the branch works on, the
 * snapshot and /metrics show the relay disconnected and the backlog. */
static void
test_closed_port(void **state)
{
	struct daemon		*d;
	struct conn		*sup, *kiosk, *teller;
	struct log_state	 ls;
	cJSON			*s;
	int			 i, waited;

	(void)state;
	d = start(hq_config(closed_port(), 7), false);
	sup = login(d, "S01");
	kiosk = login(d, "K01");
	teller = login(d, "T01");
	wait_log(d, "event=hq_down branch=E2E-001");
	for (i = 0; i < 3; i++)
		cJSON_Delete(issue(kiosk, CASH, 500000, NULL));
	ls = db_log(d);
	expect_that(ls.ls_count >= 3, NULL, "3 tickets wrote %lld events", ls.ls_count);
	s = wait_backlog(sup, ls.ls_count);
	expect_bool(s, "hq.connected", false);
	expect_int(s, "hq.lag_s", 0);	/* the test clock stands still */
	cJSON_Delete(s);

	/* Supervisors only. */
	s = snapshot(teller);
	expect_that(jget(s, "hq") == NULL, s, "a teller's snapshot shows hq");
	cJSON_Delete(s);
	s = snapshot(kiosk);
	expect_that(jget(s, "hq") == NULL, s, "a kiosk's snapshot shows hq");
	cJSON_Delete(s);

	/* The lag is the oldest unshipped event's age on the daemon clock. */
	advance(sup, 60);
	s = snapshot(sup);
	expect_int(s, "hq.lag_s", 60);
	cJSON_Delete(s);

	/* The backlog grows with the branch's work. */
	cJSON_Delete(issue(kiosk, CASH, 500000, NULL));
	ls = db_log(d);
	cJSON_Delete(wait_backlog(sup, ls.ls_count));

	expect_that(metric(d, "branchq_hq_backlog") == (double)ls.ls_count, NULL,
	    "branchq_hq_backlog is not %lld", ls.ls_count);
	expect_that(metric(d, "branchq_hq_lag_seconds") == 60, NULL, "lag not 60");
	expect_that(metric(d, "branchq_hq_connected") == 0, NULL, "connected");
	expect_that(metric(d, "branchq_hq_events_shipped_total") == 0, NULL, "shipped");
	/* Tried again and again (retry_max_s 1): the failures count up. */
	for (waited = 0; metric(d, "branchq_hq_failures_total") < 2; waited += 50) {
		expect_that(waited < 10 * reply_timeout_ms(), NULL, "no second failure");
		pause_ms(50);
	}
	expect_that(metric(d, "branchq_hq_longest_step_seconds") >= 0, NULL, "no longest step");
	/* One line per outage, not per attempt (at least two were made). */
	cJSON_Delete(rq_ok(sup, "{\"op\":\"ping\"}"));
	expect_that(log_count(d, "event=hq_down") == 1, NULL, "hq_down logged %d times",
	    log_count(d, "event=hq_down"));
	expect_that(!daemon_log_contains(d, "event=hq_connected"), NULL, "connected?");
	daemon_stop(d);
}

/* A port that accepts and never answers: timeout_s ends each attempt, the
 * loop never waits for it. */
static void
test_blackhole(void **state)
{
	struct daemon	*d;
	struct conn	*kiosk, *sup;
	cJSON		*s;
	int		 fd, port;

	(void)state;
	fd = blackhole(&port);
	d = start(hq_config(port, 7), false);
	kiosk = login(d, "K01");
	sup = login(d, "S01");
	cJSON_Delete(issue(kiosk, CASH, 500000, NULL));
	wait_log(d, "no answer within 1 s (connecting)");
	/* Meanwhile and after, the branch answers at once. */
	cJSON_Delete(issue(kiosk, CASH, 500000, NULL));
	s = snapshot(sup);
	expect_bool(s, "hq.connected", false);
	expect_that(jint(s, "hq.backlog") >= 1, s, "no backlog");
	cJSON_Delete(s);
	daemon_stop(d);
	close(fd);
}

/* A host name is looked up (evdns: localhost from /etc/hosts) and handed to
 * libpq as hostaddr; the connection is then refused like any other. */
static void
test_host_name(void **state)
{
	struct daemon	*d;
	struct conn	*sup;
	cJSON		*s;

	(void)state;
	d = start(hfmt("\"hq\":{\"conninfo\":\"host=localhost port=%d dbname=hq user=nj001 "
	    "sslmode=verify-full sslrootcert=/nonexistent/ca.pem\",\"timeout_s\":1,"
	    "\"retry_max_s\":1}", closed_port()), false);
	sup = login(d, "S01");
	wait_log(d, "event=hq_down branch=E2E-001 error=\"connect (localhost is ");
	expect_that(daemon_log_contains(d, "connect (localhost is 127.0.0.1): ") ||
	    daemon_log_contains(d, "connect (localhost is ::1): "), NULL, "not an address");
	s = snapshot(sup);
	expect_bool(s, "hq.connected", false);
	cJSON_Delete(s);
	daemon_stop(d);
}

/* SIGHUP: "hq" removed (the snapshot's "hq" goes, /metrics reads 0), then
 * added again (it comes back with the whole backlog). */
static void
test_sighup(void **state)
{
	struct daemon		*d;
	struct conn		*sup, *kiosk;
	struct log_state	 ls;
	const char		*hq = hq_config(closed_port(), 7);
	cJSON			*s;

	(void)state;
	d = start(hq, false);
	sup = login(d, "S01");
	kiosk = login(d, "K01");
	cJSON_Delete(issue(kiosk, CASH, 500000, NULL));
	ls = db_log(d);
	cJSON_Delete(wait_backlog(sup, ls.ls_count));

	config_rewrite(d, NULL);
	expect_that(daemon_reload(d), NULL, "the reload was refused");
	wait_log(d, "event=hq_reconfigured branch=E2E-001 msg=\"no head office: nothing is "
	    "shipped\"");
	s = snapshot(sup);
	expect_that(jget(s, "hq") == NULL, s, "hq still in the snapshot");
	cJSON_Delete(s);
	expect_that(metric(d, "branchq_hq_backlog") == 0, NULL, "backlog without hq");
	expect_that(metric(d, "branchq_hq_connected") == 0, NULL, "connected without hq");
	/* Events are still written, to be shipped once hq is back. */
	cJSON_Delete(issue(kiosk, CASH, 500000, NULL));

	config_rewrite(d, hq);
	expect_that(daemon_reload(d), NULL, "the reload was refused");
	ls = db_log(d);
	s = wait_backlog(sup, ls.ls_count);
	expect_bool(s, "hq.connected", false);
	cJSON_Delete(s);
	daemon_stop(d);
}

/* With "hq", an event head office has not acknowledged is never pruned,
 * however old (keep_days 1, three days on). */
static void
test_unshipped_kept(void **state)
{
	struct daemon		*d;
	struct conn		*sup, *kiosk;
	struct log_state	 before, after;

	(void)state;
	d = start(hq_config(closed_port(), 1), true);
	sup = login(d, "S01");
	kiosk = login(d, "K01");
	cJSON_Delete(issue(kiosk, CASH, 500000, NULL));
	cJSON_Delete(issue(kiosk, CASH, 500000, NULL));
	before = db_log(d);
	expect_that(before.ls_first == 1 && before.ls_count >= 2, NULL, "events 1.. expected");
	advance(sup, 3 * 86400);
	cJSON_Delete(issue(kiosk, CASH, 500000, NULL));
	/* A prune run at the new time, and it deleted nothing. */
	wait_log(d, "event=hq_prune at=2026-11-26T01:00:00Z deleted=0 keep_days=1 shipping=yes");
	after = db_log(d);
	expect_that(after.ls_first == 1, NULL, "event 1 was pruned unshipped (first %lld)",
	    after.ls_first);
	expect_that(after.ls_count == after.ls_last, NULL, "a hole: %lld events up to %lld",
	    after.ls_count, after.ls_last);
	expect_that(after.ls_count > before.ls_count, NULL, "no new events");
	daemon_stop(d);
}

/* Without "hq": nothing shipped; events older than 7 days are deleted, and
 * none younger.  The numbers go on after the deleted ones. */
static void
test_noship_prune(void **state)
{
	struct daemon		*d;
	struct conn		*sup, *kiosk;
	struct log_state	 before, mid, after;
	cJSON			*s;

	(void)state;
	d = start(NULL, true);
	sup = login(d, "S01");
	kiosk = login(d, "K01");
	cJSON_Delete(issue(kiosk, CASH, 500000, NULL));
	cJSON_Delete(issue(kiosk, CASH, 500000, NULL));
	before = db_log(d);
	expect_that(before.ls_first == 1 && before.ls_count >= 2, NULL, "events 1.. expected");
	s = snapshot(sup);
	expect_that(jget(s, "hq") == NULL, s, "hq in the snapshot without hq");
	cJSON_Delete(s);

	/* Six days on: nothing is old enough. */
	advance(sup, 6 * 86400);
	cJSON_Delete(issue(kiosk, CASH, 500000, NULL));
	wait_log(d, "event=hq_prune at=2026-11-29T01:00:00Z deleted=0 keep_days=7 shipping=no");
	mid = db_log(d);
	expect_that(mid.ls_first == 1, NULL, "pruned before 7 days (first %lld)", mid.ls_first);

	/* Eight days on: everything before the cutoff goes, the rest stays. */
	advance(sup, 2 * 86400);
	cJSON_Delete(issue(kiosk, CASH, 500000, NULL));
	wait_log(d, "event=hq_prune at=2026-12-01T01:00:00Z deleted=");
	after = db_log(d);
	expect_that(after.ls_first > before.ls_last, NULL, "the first day's events stay "
	    "(first %lld, they ended at %lld)", after.ls_first, before.ls_last);
	expect_that(after.ls_oldest_at >= T0 + 86400, NULL,
	    "an event older than 7 days stays (at %lld)", after.ls_oldest_at);
	expect_that(after.ls_count >= 1 && after.ls_last > mid.ls_last, NULL,
	    "the recent events went too, or numbering stopped");
	expect_that(after.ls_count == after.ls_last - after.ls_first + 1, NULL,
	    "a hole in the log: %lld events from %lld to %lld", after.ls_count,
	    after.ls_first, after.ls_last);
	expect_that(metric(d, "branchq_hq_backlog") == 0, NULL, "a backlog without hq");
	daemon_stop(d);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_closed_port, harness_teardown),
		cmocka_unit_test_teardown(test_blackhole, harness_teardown),
		cmocka_unit_test_teardown(test_host_name, harness_teardown),
		cmocka_unit_test_teardown(test_sighup, harness_teardown),
		cmocka_unit_test_teardown(test_unshipped_kept, harness_teardown),
		cmocka_unit_test_teardown(test_noship_prune, harness_teardown),
	};

	return cmocka_run_group_tests_name("e2e_hq_offline", tests, NULL, NULL);
}
