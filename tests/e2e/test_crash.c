/*
 * End-to-end: crash safety.  Eight terminals issue and call tickets as fast
 * as the daemon answers; after a random-ish number of replies the daemon is
 * killed with SIGKILL in the middle of that traffic, restarted, and checked:
 * every acknowledged ticket is there with at least its acknowledged status
 * (by ticket.status and in the database file), numbers are unique and
 * gapless per lane and day, the next number follows the highest stored one,
 * and nothing is half there: no ticket without its `issued` line, no status
 * without the history line that led to it, no window holding a ticket that
 * is not called or served there.  Several kills in one test.
 *
 * What is checked does not depend on timing: only when the kill falls does.
 */
#include <sys/socket.h>
#include <sys/time.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "harness.h"

#define NISSUERS	6
#define NTELLERS	2
#define NCLIENTS	(NISSUERS + NTELLERS)
#define ROUNDS		4
#define MAX_ACKED	20000
#define ROUND_MAX_MS	3000	/* a round's traffic, at most */
#define DATE		"2026-11-23"	/* the test clock's business day */

/* How far along its path a ticket is; the order statuses are reached in. */
enum rank { RK_ISSUED, RK_CALLED, RK_SERVING, RK_DONE, RK__COUNT };
static const char *const rank_names[RK__COUNT] = { "issued", "called", "serving", "done" };

enum teller_state { TS_IDLE, TS_HAS_CALLED, TS_HAS_STARTED };

struct client {
	int			 cl_fd;
	const char		*cl_term;
	bool			 cl_teller;
	bool			 cl_busy;	/* a request is outstanding */
	bool			 cl_eof;
	enum teller_state	 cl_state;
	char			 cl_cur[16];	/* the teller's ticket */
	char			 cl_req[256];	/* the outstanding request */
	char			 cl_in[65536];
	size_t			 cl_inlen;
	unsigned		 cl_next;	/* issuers: which service next */
};

struct acked {
	char		ak_number[16];
	enum rank	ak_rank;
};

static struct acked	acked[MAX_ACKED];
static size_t		nacked;
static unsigned long	round_acks;

static const char *const issue_reqs[] = {
	"{\"op\":\"ticket.issue\",\"service\":\"loan\"}",				/* A */
	"{\"op\":\"ticket.issue\",\"service\":\"cash_withdrawal\",\"amount_fen\":150000}",	/* S or A */
	"{\"op\":\"ticket.issue\",\"service\":\"cash_withdrawal\",\"amount_fen\":3000000}",	/* E */
	"{\"op\":\"ticket.issue\",\"service\":\"transfer\",\"amount_fen\":9000000}",	/* A */
	"{\"op\":\"ticket.issue\",\"service\":\"loan\",\"flags\":{\"vip\":true}}",	/* V */
};
#define NISSUE_REQS	(sizeof issue_reqs / sizeof issue_reqs[0])

static const char *const issuer_terms[NISSUERS] = { "K01", "K01", "K01", "K01", "L01", "S01" };
static const char *const teller_terms[NTELLERS] = { "T01", "T02" };

/* ---- acknowledged changes ---- */

static struct acked *
ack_find(const char *number)
{
	size_t	i;

	for (i = 0; i < nacked; i++)
		if (strcmp(acked[i].ak_number, number) == 0)
			return &acked[i];
	return NULL;
}

static void
ack(const char *number, enum rank rank, bool issue)
{
	struct acked	*a = ack_find(number);

	round_acks++;
	if (a != NULL) {
		if (issue)
			fail_msg("%s was issued twice", number);
		if (rank > a->ak_rank)
			a->ak_rank = rank;
		return;
	}
	if (nacked == MAX_ACKED)
		fail_msg("too many tickets for the test's list");
	snprintf(acked[nacked].ak_number, sizeof acked[nacked].ak_number, "%s", number);
	acked[nacked++].ak_rank = rank;
}

static int
rank_of_status(const char *status)
{
	if (strcmp(status, "waiting") == 0 || strcmp(status, "diverted") == 0)
		return RK_ISSUED;
	if (strcmp(status, "called") == 0)
		return RK_CALLED;
	if (strcmp(status, "serving") == 0)
		return RK_SERVING;
	if (strcmp(status, "done") == 0)
		return RK_DONE;
	return -1;	/* nothing in this test cancels, expires or marks no-show */
}

/* ---- the terminals, on raw non-blocking-read sockets ---- */

static void
client_send(struct client *cl, const char *req)
{
	size_t	len, off = 0;
	ssize_t	n;
	char	line[300];

	len = (size_t)snprintf(line, sizeof line, "%s\n", req);
	snprintf(cl->cl_req, sizeof cl->cl_req, "%s", req);
	while (off < len) {
		n = write(cl->cl_fd, line + off, len - off);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			fail_msg("%s: write: %s", cl->cl_term, strerror(errno));
		off += (size_t)n;
	}
	cl->cl_busy = true;
}

/* The next complete line, or NULL.  Caller frees. */
static cJSON *
client_take(struct client *cl)
{
	char	*nl = memchr(cl->cl_in, '\n', cl->cl_inlen);
	cJSON	*r;
	size_t	 n;

	if (nl == NULL)
		return NULL;
	*nl = '\0';
	if ((r = cJSON_Parse(cl->cl_in)) == NULL)
		fail_msg("%s: a reply that is not JSON: %s", cl->cl_term, cl->cl_in);
	n = (size_t)(nl - cl->cl_in) + 1;
	memmove(cl->cl_in, cl->cl_in + n, cl->cl_inlen - n);
	cl->cl_inlen -= n;
	return r;
}

/* Reads what is there; false at the end of the stream. */
static bool
client_fill(struct client *cl)
{
	ssize_t	n;

	if (cl->cl_inlen == sizeof cl->cl_in)
		fail_msg("%s: a reply longer than the test's buffer", cl->cl_term);
	n = read(cl->cl_fd, cl->cl_in + cl->cl_inlen, sizeof cl->cl_in - cl->cl_inlen);
	if (n > 0) {
		cl->cl_inlen += (size_t)n;
		return true;
	}
	if (n == -1 && (errno == EAGAIN || errno == EINTR))
		return true;
	cl->cl_eof = true;
	return false;
}

/* One request and its reply, waiting for it (set-up, not traffic). */
static cJSON *
client_rq(struct client *cl, const char *req)
{
	struct pollfd	pfd = { .fd = cl->cl_fd, .events = POLLIN };
	cJSON		*r;

	client_send(cl, req);
	for (;;) {
		if ((r = client_take(cl)) != NULL) {
			if (cJSON_GetObjectItem(r, "event") == NULL)
				break;
			cJSON_Delete(r);	/* an event: not the reply */
			continue;
		}
		if (poll(&pfd, 1, reply_timeout_ms()) != 1 || !client_fill(cl))
			fail_msg("%s: no reply to %s", cl->cl_term, req);
	}
	cl->cl_busy = false;
	if (!cJSON_IsTrue(cJSON_GetObjectItem(r, "ok")))
		fail_msg("%s: %s failed: %s", cl->cl_term, req, jprint(r));
	return r;
}

static void
client_open(struct client *cl, struct daemon *d, const char *term, bool teller)
{
	struct sockaddr_in	sin;
	char			req[128];
	int			one = 1;

	memset(cl, 0, sizeof *cl);
	cl->cl_term = term;
	cl->cl_teller = teller;
	if ((cl->cl_fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		fail_msg("socket: %s", strerror(errno));
	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)d->d_port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(cl->cl_fd, (struct sockaddr *)&sin, sizeof sin) == -1)
		fail_msg("connect to port %d: %s", d->d_port, strerror(errno));
	setsockopt(cl->cl_fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	snprintf(req, sizeof req, "{\"op\":\"hello\",\"terminal\":\"%s\",\"token\":\"tok-%s\"}",
	    term, term);
	cJSON_Delete(client_rq(cl, req));
}

/* After a restart a teller carries on with whatever its window holds. */
static void
teller_resume(struct client *cl)
{
	cJSON		*r = client_rq(cl, "{\"op\":\"queue.snapshot\"}"), *w;
	const char	*status;

	cl->cl_state = TS_IDLE;
	cJSON_ArrayForEach(w, cJSON_GetObjectItem(r, "windows")) {
		if (jstr(w, "terminal") == NULL || strcmp(jstr(w, "terminal"), cl->cl_term) != 0 ||
		    jstr(w, "current.number") == NULL)
			continue;
		snprintf(cl->cl_cur, sizeof cl->cl_cur, "%s", jstr(w, "current.number"));
		status = jstr(w, "current.status");
		cl->cl_state = strcmp(status, "serving") == 0 ? TS_HAS_STARTED : TS_HAS_CALLED;
	}
	cJSON_Delete(r);
}

static void
client_next(struct client *cl)
{
	char	req[128];

	if (!cl->cl_teller) {
		client_send(cl, issue_reqs[cl->cl_next++ % NISSUE_REQS]);
		return;
	}
	switch (cl->cl_state) {
	case TS_IDLE:
		client_send(cl, "{\"op\":\"ticket.call_next\"}");
		break;
	case TS_HAS_CALLED:
		snprintf(req, sizeof req, "{\"op\":\"ticket.start\",\"number\":\"%s\"}", cl->cl_cur);
		client_send(cl, req);
		break;
	case TS_HAS_STARTED:
		snprintf(req, sizeof req, "{\"op\":\"ticket.complete\",\"number\":\"%s\"}",
		    cl->cl_cur);
		client_send(cl, req);
		break;
	}
}

/* A reply during traffic: record what it acknowledges. */
static void
client_reply(struct client *cl, cJSON *r)
{
	const char	*number = jstr(r, "ticket.number");

	cl->cl_busy = false;
	if (!cJSON_IsTrue(cJSON_GetObjectItem(r, "ok")))
		fail_msg("%s: %s failed: %s", cl->cl_term, cl->cl_req, jprint(r));
	if (!cl->cl_teller) {
		if (number == NULL)
			fail_msg("%s: an issue reply without a number: %s", cl->cl_term, jprint(r));
		ack(number, RK_ISSUED, true);
		return;
	}
	switch (cl->cl_state) {
	case TS_IDLE:
		if (number == NULL)
			return;		/* nobody waiting for this window */
		snprintf(cl->cl_cur, sizeof cl->cl_cur, "%s", number);
		ack(number, RK_CALLED, false);
		cl->cl_state = TS_HAS_CALLED;
		break;
	case TS_HAS_CALLED:
		ack(cl->cl_cur, RK_SERVING, false);
		cl->cl_state = TS_HAS_STARTED;
		break;
	case TS_HAS_STARTED:
		ack(cl->cl_cur, RK_DONE, false);
		cl->cl_state = TS_IDLE;
		break;
	}
}

static void
handle_lines(struct client *cl, bool send_more)
{
	cJSON	*r;

	while ((r = client_take(cl)) != NULL) {
		if (cJSON_GetObjectItem(r, "event") == NULL) {
			client_reply(cl, r);
			if (send_more)
				client_next(cl);
		}
		cJSON_Delete(r);
	}
}

static int64_t
now_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * Traffic until `target` replies (or the time limit), then SIGKILL in the
 * middle of it; replies already sent before the kill are read to the end
 * of each stream: they were acknowledged too.
 */
static void
traffic_then_kill(struct daemon *d, struct client *cls, unsigned long target)
{
	struct pollfd	pfd[NCLIENTS];
	int64_t		start = now_ms(), deadline;
	size_t		i;
	int		busy;

	round_acks = 0;
	for (i = 0; i < NCLIENTS; i++)
		client_next(&cls[i]);
	while (round_acks < target && now_ms() - start < ROUND_MAX_MS) {
		for (i = 0; i < NCLIENTS; i++) {
			pfd[i].fd = cls[i].cl_fd;
			pfd[i].events = POLLIN;
			pfd[i].revents = 0;
		}
		if (poll(pfd, NCLIENTS, 100) <= 0)
			continue;
		for (i = 0; i < NCLIENTS; i++) {
			if (!(pfd[i].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			if (!client_fill(&cls[i]))
				fail_msg("%s: the daemon closed the connection", cls[i].cl_term);
			handle_lines(&cls[i], true);
		}
	}
	for (i = 0, busy = 0; i < NCLIENTS; i++)
		busy += cls[i].cl_busy;
	daemon_kill(d);
	print_message("killed after %lu replies, %d request(s) under way\n", round_acks, busy);

	deadline = now_ms() + reply_timeout_ms();
	for (i = 0; i < NCLIENTS; i++) {
		pfd[0].fd = cls[i].cl_fd;
		pfd[0].events = POLLIN;
		while (!cls[i].cl_eof && now_ms() < deadline) {
			if (poll(pfd, 1, 100) == 1)
				client_fill(&cls[i]);
			handle_lines(&cls[i], false);
		}
		close(cls[i].cl_fd);
	}
}

/* ---- the checks after a restart ---- */

static sqlite3 *
db_open(struct daemon *d)
{
	sqlite3	*db;

	if (sqlite3_open_v2(d->d_db, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK)
		fail_msg("cannot open %s: %s", d->d_db, sqlite3_errmsg(db));
	return db;
}

/* Rows of a query that should return none, shown when there are some. */
static void
expect_no_rows(sqlite3 *db, const char *what, const char *sql)
{
	sqlite3_stmt	*st;
	char		 row[512];
	size_t		 len;
	int		 col, rows = 0;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		fail_msg("%s: %s", sql, sqlite3_errmsg(db));
	while (sqlite3_step(st) == SQLITE_ROW) {
		if (rows++ < 5) {
			for (col = 0, len = 0; col < sqlite3_column_count(st) && len < 400; col++)
				len += (size_t)snprintf(row + len, sizeof row - len, "%s|",
				    sqlite3_column_text(st, col) != NULL ?
				    (const char *)sqlite3_column_text(st, col) : "NULL");
			print_error("%s: %s\n", what, row);
		}
	}
	sqlite3_finalize(st);
	if (rows > 0)
		fail_msg("%s: %d row(s)", what, rows);
}

static char *
db_status(sqlite3 *db, const char *number)
{
	sqlite3_stmt	*st;
	char		*status = NULL;

	if (sqlite3_prepare_v2(db, "SELECT status FROM tickets WHERE business_date = '" DATE
	    "' AND number = ?1", -1, &st, NULL) != SQLITE_OK)
		fail_msg("status: %s", sqlite3_errmsg(db));
	sqlite3_bind_text(st, 1, number, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW)
		status = strdup((const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	return status;
}

static long long
db_int(sqlite3 *db, const char *sql, const char *arg)
{
	sqlite3_stmt	*st;
	long long	 v = -1;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		fail_msg("%s: %s", sql, sqlite3_errmsg(db));
	if (arg != NULL)
		sqlite3_bind_text(st, 1, arg, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

static long long
unacked_tickets(sqlite3 *db)
{
	sqlite3_stmt	*st;
	long long	 n = 0;

	if (sqlite3_prepare_v2(db, "SELECT number FROM tickets", -1, &st, NULL) != SQLITE_OK)
		fail_msg("tickets: %s", sqlite3_errmsg(db));
	while (sqlite3_step(st) == SQLITE_ROW)
		n += ack_find((const char *)sqlite3_column_text(st, 0)) == NULL;
	sqlite3_finalize(st);
	return n;
}

static long long
ahead_of_ack(sqlite3 *db)
{
	long long	n = 0;
	size_t		i;
	char		*st;

	for (i = 0; i < nacked; i++) {
		st = db_status(db, acked[i].ak_number);
		n += st != NULL && rank_of_status(st) > (int)acked[i].ak_rank;
		free(st);
	}
	return n;
}

static void
check_after_restart(struct daemon *d)
{
	static const char *const lanes[] = { "self_service", "express", "counter", "vip" };
	static const char *const letters = "SEAV";
	struct conn	*k = login(d, "K01");
	sqlite3		*db = db_open(d);
	cJSON		*tk;
	char		*st, req[128], want[32];
	size_t		 i;
	long long	 max, count;

	/* Every acknowledged change is there, in memory and on disk alike. */
	for (i = 0; i < nacked; i++) {
		st = db_status(db, acked[i].ak_number);
		expect_that(st != NULL, NULL, "acknowledged %s is not in the database",
		    acked[i].ak_number);
		expect_that(rank_of_status(st) >= (int)acked[i].ak_rank, NULL,
		    "%s was acknowledged %s, the database says %s", acked[i].ak_number,
		    rank_names[acked[i].ak_rank], st);
		tk = ticket_status(k, acked[i].ak_number);
		expect_str(tk, "status", st);
		cJSON_Delete(tk);
		free(st);
	}

	/* Changes committed whose reply the kill cut off: allowed, and shown,
	 * since they tell that the kill fell in the middle of the traffic. */
	print_message("on disk but never acknowledged (so far): %lld ticket(s), %lld ahead of "
	    "their acknowledged status\n", unacked_tickets(db), ahead_of_ack(db));

	/* Nothing half there. */
	expect_no_rows(db, "a ticket without its issued line",
	    "SELECT number FROM tickets t WHERE NOT EXISTS (SELECT 1 FROM ticket_events e "
	    "WHERE e.ticket_id = t.id AND e.kind = 'issued')");
	expect_no_rows(db, "a ticket with two issued lines",
	    "SELECT ticket_id FROM ticket_events WHERE kind = 'issued' "
	    "GROUP BY ticket_id HAVING count(*) > 1");
	expect_no_rows(db, "a status without the call that led to it",
	    "SELECT number, status FROM tickets t WHERE status IN ('called', 'serving', 'done') "
	    "AND (called_at IS NULL OR NOT EXISTS (SELECT 1 FROM ticket_events e "
	    "WHERE e.ticket_id = t.id AND e.kind = 'called'))");
	expect_no_rows(db, "a status without the start that led to it",
	    "SELECT number, status FROM tickets t WHERE status IN ('serving', 'done') "
	    "AND (started_at IS NULL OR NOT EXISTS (SELECT 1 FROM ticket_events e "
	    "WHERE e.ticket_id = t.id AND e.kind = 'started'))");
	expect_no_rows(db, "a history line ahead of its ticket",
	    "SELECT number, status, kind FROM tickets t JOIN ticket_events e ON e.ticket_id = t.id "
	    "WHERE (e.kind = 'completed' AND t.status != 'done') OR (e.kind = 'started' AND "
	    "t.status NOT IN ('serving', 'done')) OR (e.kind = 'called' AND "
	    "t.status NOT IN ('called', 'serving', 'done'))");
	expect_no_rows(db, "a window holding a ticket that is not at that window",
	    "SELECT w.number, t.number, t.status, t.window FROM windows w JOIN tickets t "
	    "ON t.id = w.current_ticket WHERE t.status NOT IN ('called', 'serving') "
	    "OR t.window != w.number");
	expect_no_rows(db, "a called or served ticket no window holds",
	    "SELECT number, status, window FROM tickets t WHERE status IN ('called', 'serving') "
	    "AND NOT EXISTS (SELECT 1 FROM windows w WHERE w.current_ticket = t.id)");
	expect_no_rows(db, "a number issued twice",
	    "SELECT business_date, number FROM tickets GROUP BY 1, 2 HAVING count(*) > 1");

	/* Per lane: numbers 1..N without a gap, and the next number N + 1. */
	for (i = 0; i < 4; i++) {
		max = db_int(db, "SELECT coalesce(max(CAST(substr(number, 2) AS INTEGER)), 0) "
		    "FROM tickets WHERE business_date = '" DATE "' AND issue_lane = ?1", lanes[i]);
		count = db_int(db, "SELECT count(*) FROM tickets WHERE business_date = '" DATE
		    "' AND issue_lane = ?1", lanes[i]);
		expect_that(max == count, NULL, "lane %s: highest number %lld, %lld tickets",
		    lanes[i], max, count);
	}
	sqlite3_close(db);
	/* The counter lane's next number follows the highest stored one. */
	max = 0;
	db = db_open(d);
	max = db_int(db, "SELECT coalesce(max(CAST(substr(number, 2) AS INTEGER)), 0) "
	    "FROM tickets WHERE business_date = '" DATE "' AND issue_lane = 'counter'", NULL);
	sqlite3_close(db);
	snprintf(want, sizeof want, "%c%03lld", letters[2], max + 1);
	snprintf(req, sizeof req, "%s", issue_reqs[0]);
	tk = rq_ok(k, "%s", req);
	expect_str(tk, "ticket.number", want);
	ack(want, RK_ISSUED, true);
	cJSON_Delete(tk);
	conn_close(k);
}

static void
test_kill_during_traffic(void **state)
{
	struct daemon	*d = daemon_start(NULL);
	struct client	 cls[NCLIENTS];
	unsigned	 seed = (unsigned)time(NULL) ^ (unsigned)getpid();
	unsigned long	 target, lo = under_wrapper() ? 20 : 100, span = under_wrapper() ? 60 : 400;
	size_t		 i;
	int		 round;
	cJSON		*r;

	(void)state;
	print_message("seed %u\n", seed);
	srand(seed);
	nacked = 0;
	for (round = 0; round < ROUNDS; round++) {
		for (i = 0; i < NISSUERS; i++)
			client_open(&cls[i], d, issuer_terms[i], false);
		for (i = 0; i < NTELLERS; i++) {
			client_open(&cls[NISSUERS + i], d, teller_terms[i], true);
			if (round == 0) {
				r = client_rq(&cls[NISSUERS + i], i == 0 ?
				    "{\"op\":\"window.open\",\"window\":1,"
				    "\"lanes\":[\"counter\",\"express\",\"vip\"]}" :
				    "{\"op\":\"window.open\",\"window\":2,"
				    "\"lanes\":[\"vip\",\"express\",\"counter\"]}");
				cJSON_Delete(r);
			}
			teller_resume(&cls[NISSUERS + i]);
		}
		target = lo + (unsigned long)rand() % span;
		traffic_then_kill(d, cls, target);
		daemon_restart(d);
		check_after_restart(d);
		print_message("round %d: %zu tickets acknowledged so far, all there\n", round + 1,
		    nacked);
	}
	daemon_stop(d);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_kill_during_traffic, harness_teardown),
	};

	return cmocka_run_group_tests_name("e2e_crash", tests, NULL, NULL);
}
