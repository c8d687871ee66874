/*
 * Webhooks end to end: the real daemon posts to a real HTTP receiver that
 * this test runs on loopback in a thread.  The receiver answers with the
 * status the test sets, hangs (accepts and never answers), or is not there
 * at all.  Checks: headers and signature, the delivery id stable across
 * retries, backoff on the daemon clock, exactly one success recorded,
 * order per receiver, giving up and the supervisor's retry, delivery after
 * a kill -9 and restart, the outbox bound, nothing sent for a change that
 * was refused, and ticket issuing going on while a receiver hangs.
 */
#include <sys/socket.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <sqlite3.h>

#include "harness.h"

#define SECRET		"s3cret-for-tests"
#define MAX_REQUESTS	64

/* ---- the receiver ---- */

struct request {
	char	 rq_event[64];
	char	 rq_delivery[64];
	char	 rq_signature[128];
	char	*rq_body;
};

struct receiver {
	int		 rv_listen;
	int		 rv_port;
	pthread_t	 rv_thread;
	pthread_mutex_t	 rv_lock;
	int		 rv_status;	/* reply with this; 0: hang */
	bool		 rv_stop;
	struct request	 rv_requests[MAX_REQUESTS];
	int		 rv_n;
	int		 rv_hung[16];	/* connections left unanswered */
	int		 rv_nhung;
};

static void
header_value(const char *head, const char *name, char *out, size_t len)
{
	const char	*p = head, *end;
	size_t		 n = strlen(name);

	out[0] = '\0';
	while ((p = strchr(p, '\n')) != NULL) {
		p++;
		if (strncasecmp(p, name, n) == 0 && p[n] == ':') {
			p += n + 1;
			while (*p == ' ')
				p++;
			end = strpbrk(p, "\r\n");
			snprintf(out, len, "%.*s", (int)(end != NULL ? end - p : (long)strlen(p)), p);
			return;
		}
	}
}

/* Reads one request (head and Content-Length body); 0, or -1 when the peer went. */
static int
read_request(int fd, struct request *rq)
{
	char	 buf[65536], len_s[32];
	size_t	 have = 0, head_len, body_len;
	char	*eoh;
	ssize_t	 n;

	for (;;) {
		if (have == sizeof buf - 1)
			return -1;
		if ((n = read(fd, buf + have, sizeof buf - 1 - have)) <= 0)
			return -1;
		have += (size_t)n;
		buf[have] = '\0';
		if ((eoh = strstr(buf, "\r\n\r\n")) != NULL)
			break;
	}
	head_len = (size_t)(eoh - buf) + 4;
	header_value(buf, "Content-Length", len_s, sizeof len_s);
	body_len = (size_t)strtoul(len_s, NULL, 10);
	while (have < head_len + body_len) {
		if (have == sizeof buf - 1)
			return -1;
		if ((n = read(fd, buf + have, sizeof buf - 1 - have)) <= 0)
			return -1;
		have += (size_t)n;
	}
	buf[head_len + body_len] = '\0';
	header_value(buf, "X-Branchq-Event", rq->rq_event, sizeof rq->rq_event);
	header_value(buf, "X-Branchq-Delivery", rq->rq_delivery, sizeof rq->rq_delivery);
	header_value(buf, "X-Branchq-Signature", rq->rq_signature, sizeof rq->rq_signature);
	rq->rq_body = strdup(buf + head_len);
	return 0;
}

static void *
receiver_main(void *arg)
{
	struct receiver	*rv = arg;
	struct pollfd	 pfd;
	struct request	 rq;
	char		 reply[128];
	int		 fd, status;

	for (;;) {
		pthread_mutex_lock(&rv->rv_lock);
		if (rv->rv_stop) {
			pthread_mutex_unlock(&rv->rv_lock);
			return NULL;
		}
		pthread_mutex_unlock(&rv->rv_lock);
		pfd.fd = rv->rv_listen;
		pfd.events = POLLIN;
		if (poll(&pfd, 1, 50) <= 0)
			continue;
		if ((fd = accept(rv->rv_listen, NULL, NULL)) == -1)
			continue;
		/* One request per connection: answered with Connection: close. */
		memset(&rq, 0, sizeof rq);
		if (read_request(fd, &rq) == -1) {
			close(fd);
			continue;
		}
		pthread_mutex_lock(&rv->rv_lock);
		if (rv->rv_n < MAX_REQUESTS)
			rv->rv_requests[rv->rv_n++] = rq;
		else
			free(rq.rq_body);
		status = rv->rv_status;
		if (status == 0 && rv->rv_nhung < 16) {
			rv->rv_hung[rv->rv_nhung++] = fd;
			fd = -1;
		}
		pthread_mutex_unlock(&rv->rv_lock);
		if (fd == -1)
			continue;
		snprintf(reply, sizeof reply, "HTTP/1.1 %d X\r\nContent-Length: 2\r\n"
		    "Connection: close\r\n\r\nok", status);
		(void)!write(fd, reply, strlen(reply));
		close(fd);
	}
}

/*
 * A socket bound to a free loopback port and not listening: connections to
 * the port are refused, and the port stays ours (no SO_REUSEADDR), so that
 * nothing else, a daemon of a suite running beside this one say, can take
 * it before receiver_start_on() listens on it.
 */
static int
bound_socket(void)
{
	struct sockaddr_in	sin;
	int			fd;

	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(fd >= 0);
	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_port = 0;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(fd, (struct sockaddr *)&sin, sizeof sin) == -1)
		fail_msg("bind 127.0.0.1:0: %s", strerror(errno));
	return fd;
}

static int
bound_port(int fd)
{
	struct sockaddr_in	sin;
	socklen_t		len = sizeof sin;

	assert_int_equal(getsockname(fd, (struct sockaddr *)&sin, &len), 0);
	return ntohs(sin.sin_port);
}

/* Starts a receiver answering `status` on a socket from bound_socket(). */
static struct receiver *
receiver_start_on(int fd, int status)
{
	struct receiver	*rv = calloc(1, sizeof *rv);

	assert_non_null(rv);
	if (listen(fd, 16) == -1)
		fail_msg("listen: %s", strerror(errno));
	rv->rv_listen = fd;
	rv->rv_port = bound_port(rv->rv_listen);
	rv->rv_status = status;
	pthread_mutex_init(&rv->rv_lock, NULL);
	assert_int_equal(pthread_create(&rv->rv_thread, NULL, receiver_main, rv), 0);
	return rv;
}

/* Starts a receiver on a free loopback port answering `status`. */
static struct receiver *
receiver_start(int status)
{
	return receiver_start_on(bound_socket(), status);
}

static void
receiver_stop(struct receiver *rv)
{
	int	i;

	pthread_mutex_lock(&rv->rv_lock);
	rv->rv_stop = true;
	pthread_mutex_unlock(&rv->rv_lock);
	pthread_join(rv->rv_thread, NULL);
	close(rv->rv_listen);
	for (i = 0; i < rv->rv_nhung; i++)
		close(rv->rv_hung[i]);
	for (i = 0; i < rv->rv_n; i++)
		free(rv->rv_requests[i].rq_body);
	pthread_mutex_destroy(&rv->rv_lock);
	free(rv);
}

static void
receiver_set_status(struct receiver *rv, int status)
{
	pthread_mutex_lock(&rv->rv_lock);
	rv->rv_status = status;
	pthread_mutex_unlock(&rv->rv_lock);
}

static int
receiver_count(struct receiver *rv)
{
	int	n;

	pthread_mutex_lock(&rv->rv_lock);
	n = rv->rv_n;
	pthread_mutex_unlock(&rv->rv_lock);
	return n;
}

/* Requests that came with this X-Branchq-Delivery. */
static int
receiver_count_key(struct receiver *rv, const char *key)
{
	int	i, n = 0;

	pthread_mutex_lock(&rv->rv_lock);
	for (i = 0; i < rv->rv_n; i++)
		n += strcmp(rv->rv_requests[i].rq_delivery, key) == 0;
	pthread_mutex_unlock(&rv->rv_lock);
	return n;
}

/* Waits until the receiver has had n requests; false on timeout. */
static bool
receiver_wait(struct receiver *rv, int n)
{
	int	waited;

	for (waited = 0; waited < reply_timeout_ms(); waited += 20) {
		if (receiver_count(rv) >= n)
			return true;
		usleep(20 * 1000);
	}
	return receiver_count(rv) >= n;
}

/* The i-th request (a copy of its headers; the body stays the receiver's). */
static struct request
receiver_request(struct receiver *rv, int i)
{
	struct request	rq;

	pthread_mutex_lock(&rv->rv_lock);
	assert_true(i < rv->rv_n);
	rq = rv->rv_requests[i];
	pthread_mutex_unlock(&rv->rv_lock);
	return rq;
}

/* ---- the daemon ---- */

static struct daemon *
start_with_receiver(int port, const char *more)
{
	struct daemon_opts	opts;
	char			extra[1024];

	snprintf(extra, sizeof extra,
	    "\"webhooks\":[{\"url\":\"http://127.0.0.1:%d/hook\",\"secret\":\"" SECRET "\","
	    "\"events\":[\"complaint.logged\",\"followup.overdue\",\"survey.detractor\"]}],"
	    "\"webhook_connect_timeout_ms\":1000,\"webhook_timeout_ms\":1500%s%s",
	    port, more != NULL ? "," : "", more != NULL ? more : "");
	memset(&opts, 0, sizeof opts);
	opts.extra_config = extra;
	return daemon_start(&opts);
}

static long long
log_complaint(struct conn *c, const char *description)
{
	cJSON		*r;
	long long	 id;

	r = rq_ok(c, "{\"op\":\"complaint.log\",\"category\":\"wait_time\",\"severity\":2,"
	    "\"channel\":\"counter\",\"description\":\"%s\","
	    "\"customer\":{\"name\":\"张三\",\"phone\":\"13800138000\"}}", description);
	id = jint(r, "complaint.id");
	cJSON_Delete(r);
	return id;
}

static cJSON *
deliveries(struct conn *s, const char *state)
{
	return rq_ok(s, "{\"op\":\"webhook.deliveries\",\"state\":\"%s\"}", state);
}

/* Rows of delivery_attempts with a 2xx status, read from the database file. */
static long long
db_count(struct daemon *d, const char *sql)
{
	sqlite3		*db;
	sqlite3_stmt	*st;
	long long	 n = -1;

	assert_int_equal(sqlite3_open_v2(d->d_db, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
	if (sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return n;
}

/*
 * Waits until n attempts are recorded: the receiver has seen a request a
 * moment before the daemon has its answer, and a clock.advance in between
 * would schedule the retry from the advanced time.
 */
static void
wait_recorded(struct daemon *d, long long n)
{
	int	i;

	for (i = 0; i < reply_timeout_ms() / 20; i++) {
		if (db_count(d, "SELECT count(*) FROM delivery_attempts") >= n)
			return;
		usleep(20 * 1000);
	}
	expect_that(false, NULL, "%lld attempts were not recorded in time", n);
}

static void
expected_signature(const char *body, char out[80])
{
	unsigned char	md[EVP_MAX_MD_SIZE];
	unsigned int	len = 0, i;

	HMAC(EVP_sha256(), SECRET, (int)strlen(SECRET), (const unsigned char *)body,
	    strlen(body), md, &len);
	strcpy(out, "sha256=");
	for (i = 0; i < len; i++)
		snprintf(out + 7 + 2 * i, 3, "%02x", md[i]);
}

static bool
looks_like_uuid(const char *s)
{
	int	i;

	if (strlen(s) != 36)
		return false;
	for (i = 0; i < 36; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (s[i] != '-')
				return false;
		} else if (strchr("0123456789abcdef", s[i]) == NULL)
			return false;
	}
	return true;
}

/* ---- tests ---- */

/* A 2xx on the first attempt: headers, signature, body, one success. */
static void
test_signed_delivery(void **state)
{
	struct receiver	*rv = receiver_start(200);
	struct daemon	*d = start_with_receiver(rv->rv_port, NULL);
	struct conn	*s = login(d, "S01");
	struct request	 rq;
	char		 want[80];
	cJSON		*body, *r;
	long long	 id;

	(void)state;
	id = log_complaint(s, "kept waiting");
	expect_that(receiver_wait(rv, 1), NULL, "the receiver got nothing");
	rq = receiver_request(rv, 0);
	expect_that(strcmp(rq.rq_event, "complaint.logged") == 0, NULL,
	    "X-Branchq-Event is \"%s\"", rq.rq_event);
	expect_that(looks_like_uuid(rq.rq_delivery), NULL,
	    "X-Branchq-Delivery \"%s\" is not a UUID", rq.rq_delivery);
	expected_signature(rq.rq_body, want);
	expect_that(strcmp(rq.rq_signature, want) == 0, NULL,
	    "X-Branchq-Signature \"%s\", expected \"%s\"", rq.rq_signature, want);

	body = cJSON_Parse(rq.rq_body);
	expect_that(body != NULL, NULL, "the body is not JSON: %s", rq.rq_body);
	expect_str(body, "event", "complaint.logged");
	expect_str(body, "branch", "E2E-001");
	expect_str(body, "at", H_CLOCK_START);
	expect_int(body, "complaint.id", id);
	expect_str(body, "complaint.description", "kept waiting");
	cJSON_Delete(body);

	/* Recorded as delivered, once, with the key the receiver saw. */
	drain_events(s, 100);
	r = deliveries(s, "all");
	expect_int(r, "counts.delivered", 1);
	expect_int(r, "counts.pending", 0);
	expect_str(r, "deliveries.0.state", "delivered");
	expect_str(r, "deliveries.0.key", rq.rq_delivery);
	expect_str(r, "deliveries.0.event", "complaint.logged");
	expect_int(r, "deliveries.0.attempts", 1);
	expect_int(r, "deliveries.0.last_status", 200);
	expect_null(r, "deliveries.0.last_error");
	expect_str(r, "deliveries.0.delivered_at", H_CLOCK_START);
	cJSON_Delete(r);
	expect_that(db_count(d, "SELECT count(*) FROM delivery_attempts "
	    "WHERE status BETWEEN 200 AND 299") == 1, NULL, "one success recorded");

	/* Nothing more is sent for it, however far the clock goes (the
	 * complaint's followup.overdue is another delivery). */
	advance(s, 48 * 3600);
	usleep(300 * 1000);
	expect_that(receiver_count_key(rv, rq.rq_delivery) == 1, NULL,
	    "sent again after a 2xx: %d requests", receiver_count_key(rv, rq.rq_delivery));
	daemon_stop(d);
	receiver_stop(rv);
}

/* Failures are retried on the daemon clock with the same delivery id. */
static void
test_retries_keep_the_delivery_id(void **state)
{
	struct receiver	*rv = receiver_start(500);
	struct daemon	*d = start_with_receiver(rv->rv_port, NULL);
	struct conn	*s = login(d, "S01");
	struct request	 first, rq;
	cJSON		*r;
	int		 i;

	(void)state;
	log_complaint(s, "retry me");
	expect_that(receiver_wait(rv, 1), NULL, "no first attempt");
	first = receiver_request(rv, 0);

	/* The first backoff is 8-10 s of the daemon clock: nothing before that. */
	usleep(300 * 1000);
	expect_that(receiver_count(rv) == 1, NULL, "retried before the backoff");
	r = deliveries(s, "pending");
	expect_int(r, "deliveries.0.attempts", 1);
	expect_int(r, "deliveries.0.last_status", 500);
	expect_str(r, "deliveries.0.last_error", "HTTP status 500");
	expect_present(r, "deliveries.0.next_attempt_at");
	cJSON_Delete(r);
	advance(s, 7);
	usleep(300 * 1000);
	expect_that(receiver_count(rv) == 1, NULL, "retried 7 s after a failure");
	advance(s, 3);
	expect_that(receiver_wait(rv, 2), NULL, "no retry 10 s after the failure");
	wait_recorded(d, 2);

	/* A further failure, then a success. */
	advance(s, 3600);
	expect_that(receiver_wait(rv, 3), NULL, "no third attempt");
	wait_recorded(d, 3);
	receiver_set_status(rv, 204);
	advance(s, 3600);
	expect_that(receiver_wait(rv, 4), NULL, "no fourth attempt");
	for (i = 0; i < 4; i++) {
		rq = receiver_request(rv, i);
		expect_that(strcmp(rq.rq_delivery, first.rq_delivery) == 0, NULL,
		    "attempt %d came with delivery id %s, the first with %s", i + 1,
		    rq.rq_delivery, first.rq_delivery);
		expect_that(strcmp(rq.rq_body, first.rq_body) == 0, NULL,
		    "attempt %d has another body", i + 1);
	}
	drain_events(s, 100);
	r = deliveries(s, "delivered");
	expect_int(r, "deliveries.0.attempts", 4);
	expect_int(r, "deliveries.0.last_status", 204);
	cJSON_Delete(r);
	advance(s, 20 * 3600);	/* short of the follow-up deadline */
	usleep(300 * 1000);
	expect_that(receiver_count(rv) == 4, NULL, "sent again after the 2xx");
	expect_that(db_count(d, "SELECT count(*) FROM delivery_attempts") == 4, NULL,
	    "four attempts recorded");
	expect_that(db_count(d, "SELECT count(*) FROM delivery_attempts "
	    "WHERE status BETWEEN 200 AND 299") == 1, NULL, "exactly one success recorded");
	daemon_stop(d);
	receiver_stop(rv);
}

/* One receiver gets its events in order: the second waits for the first. */
static void
test_order_per_receiver(void **state)
{
	struct receiver	*rv = receiver_start(503);
	struct daemon	*d = start_with_receiver(rv->rv_port, NULL);
	struct conn	*s = login(d, "S01");
	long long	 ids[3];
	cJSON		*body;
	int		 i, n;

	(void)state;
	for (i = 0; i < 3; i++)
		ids[i] = log_complaint(s, "in order");
	expect_that(receiver_wait(rv, 1), NULL, "no first attempt");
	wait_recorded(d, 1);
	advance(s, 60);
	expect_that(receiver_wait(rv, 2), NULL, "no retry");
	wait_recorded(d, 2);
	receiver_set_status(rv, 200);
	advance(s, 3600);
	expect_that(receiver_wait(rv, 5), NULL, "not every event arrived");
	usleep(200 * 1000);
	n = receiver_count(rv);
	expect_that(n == 5, NULL, "%d requests, expected 2 failures and 3 deliveries", n);
	/* The two failures were the first event; the rest came in order. */
	for (i = 0; i < n; i++) {
		body = cJSON_Parse(receiver_request(rv, i).rq_body);
		expect_int(body, "complaint.id", ids[i < 2 ? 0 : i - 2]);
		cJSON_Delete(body);
	}
	daemon_stop(d);
	receiver_stop(rv);
}

/* After webhook_retry_hours a delivery fails; a supervisor can retry it. */
static void
test_gives_up_then_supervisor_retries(void **state)
{
	struct receiver	*rv = receiver_start(500);
	struct daemon	*d = start_with_receiver(rv->rv_port, "\"webhook_retry_hours\":2");
	struct conn	*s = login(d, "S01"), *t = login(d, "T01");
	cJSON		*r;
	long long	 delivery;
	char		 key[64];
	int		 i, n;

	(void)state;
	log_complaint(s, "never answered");
	expect_that(receiver_wait(rv, 1), NULL, "no first attempt");
	wait_recorded(d, 1);
	/* Retries go on for the two hours, the last one at the end of them. */
	for (i = 0; i < 40; i++) {
		n = receiver_count(rv);
		advance(s, 600);
		usleep(100 * 1000);
		wait_recorded(d, receiver_count(rv));
		r = deliveries(s, "failed");
		if (jint(r, "counts.failed") == 1) {
			cJSON_Delete(r);
			break;
		}
		cJSON_Delete(r);
		(void)n;
	}
	expect_that(i < 40, NULL, "never marked failed");
	r = deliveries(s, "failed");
	expect_str(r, "deliveries.0.state", "failed");
	expect_str(r, "deliveries.0.last_error", "HTTP status 500");
	expect_null(r, "deliveries.0.next_attempt_at");
	expect_that(jint(r, "deliveries.0.attempts") >= 5, r, "too few attempts");
	expect_that(jint(r, "deliveries.0.attempts") == receiver_count(rv), r,
	    "attempts %lld, the receiver saw %d", jint(r, "deliveries.0.attempts"),
	    receiver_count(rv));
	/* The last attempt came when the two hours were up. */
	expect_str(r, "deliveries.0.last_attempt_at", "2026-11-23T03:00:00Z");
	delivery = jint(r, "deliveries.0.delivery");
	snprintf(key, sizeof key, "%s", jstr(r, "deliveries.0.key"));
	cJSON_Delete(r);
	n = receiver_count_key(rv, key);
	advance(s, 20 * 3600);	/* short of the follow-up deadline */
	usleep(300 * 1000);
	expect_that(receiver_count_key(rv, key) == n, NULL, "a failed delivery was sent again");

	/* Who may retry, and what. */
	rq_err(t, "forbidden", "{\"op\":\"webhook.retry\",\"delivery\":%lld}", delivery);
	rq_err(t, "forbidden", "{\"op\":\"webhook.deliveries\"}");
	rq_bad(s, "delivery", "{\"op\":\"webhook.retry\"}");
	rq_bad(s, "delivery", "{\"op\":\"webhook.retry\",\"delivery\":\"1\"}");
	rq_bad(s, "delivery", "{\"op\":\"webhook.retry\",\"delivery\":0}");
	rq_bad(s, "state", "{\"op\":\"webhook.deliveries\",\"state\":\"lost\"}");
	rq_bad(s, "limit", "{\"op\":\"webhook.deliveries\",\"limit\":0}");
	rq_err(s, "not_found", "{\"op\":\"webhook.retry\",\"delivery\":%lld}", delivery + 1);

	receiver_set_status(rv, 200);
	r = rq_ok(s, "{\"op\":\"webhook.retry\",\"delivery\":%lld}", delivery);
	expect_str(r, "delivery.state", "pending");
	cJSON_Delete(r);
	for (i = 0; i < 100 && receiver_count_key(rv, key) == n; i++)
		usleep(50 * 1000);
	expect_that(receiver_count_key(rv, key) == n + 1, NULL,
	    "the retried delivery was not sent");
	usleep(200 * 1000);
	drain_events(s, 50);
	r = deliveries(s, "all");
	expect_str(r, "deliveries.0.state", "delivered");
	expect_int(r, "counts.failed", 0);
	cJSON_Delete(r);
	/* Only a failed delivery can be retried. */
	rq_err(s, "conflict", "{\"op\":\"webhook.retry\",\"delivery\":%lld}", delivery);
	daemon_stop(d);
	receiver_stop(rv);
}

/* Pending deliveries survive kill -9 and go out after the restart. */
static void
test_delivery_after_restart(void **state)
{
	struct receiver	*rv;
	struct daemon	*d;
	struct conn	*s;
	int		 fd, held, port;
	cJSON		*r;
	char		 key[64];

	(void)state;
	/* A port with nobody listening: connection refused.  It stays bound
	 * (not closed and bound again later), so nobody else can take it. */
	held = bound_socket();
	port = bound_port(held);
	d = start_with_receiver(port, NULL);
	s = login(d, "S01");
	log_complaint(s, "across a crash");
	/* Wait for the refused first attempt to be recorded. */
	for (fd = 0; fd < 100; fd++) {
		r = deliveries(s, "pending");
		if (jint(r, "deliveries.0.attempts") >= 1)
			break;
		cJSON_Delete(r);
		usleep(50 * 1000);
	}
	expect_that(fd < 100, NULL, "the first attempt was never recorded");
	expect_present(r, "deliveries.0.last_error");
	expect_null(r, "deliveries.0.last_status");
	snprintf(key, sizeof key, "%s", jstr(r, "deliveries.0.key"));
	cJSON_Delete(r);
	daemon_kill(d);

	rv = receiver_start_on(held, 200);
	daemon_restart_at(d, "2026-11-23T02:00:00Z");
	expect_that(receiver_wait(rv, 1), NULL, "not delivered after the restart");
	expect_that(strcmp(receiver_request(rv, 0).rq_delivery, key) == 0, NULL,
	    "another delivery id after the restart: %s, was %s",
	    receiver_request(rv, 0).rq_delivery, key);
	s = login(d, "S01");
	usleep(200 * 1000);
	r = deliveries(s, "all");
	expect_str(r, "deliveries.0.state", "delivered");
	expect_int(r, "deliveries.0.attempts", 2);
	cJSON_Delete(r);
	daemon_stop(d);
	receiver_stop(rv);
}

/* Overdue follow-ups and survey detractors are delivered too. */
static void
test_overdue_and_detractor_events(void **state)
{
	struct receiver	*rv = receiver_start(200);
	struct daemon	*d = start_with_receiver(rv->rv_port, NULL);
	struct conn	*s = login(d, "S01"), *k = login(d, "K01"), *t = login(d, "T01");
	cJSON		*tk, *r, *body;
	char		 number[16];
	int		 i;
	bool		 overdue = false, detractor = false;

	(void)state;
	log_complaint(s, "will be overdue");
	expect_that(receiver_wait(rv, 1), NULL, "complaint.logged not sent");
	advance(s, 24 * 3600 + 1);
	expect_that(receiver_wait(rv, 2), NULL, "followup.overdue not sent");

	tk = issue(k, "loan", 0, NULL);
	snprintf(number, sizeof number, "%s", jstr(tk, "number"));
	cJSON_Delete(tk);
	cJSON_Delete(rq_ok(t, "{\"op\":\"window.open\",\"window\":1,\"lanes\":[\"counter\"]}"));
	cJSON_Delete(rq_ok(t, "{\"op\":\"ticket.call_next\"}"));
	cJSON_Delete(rq_ok(t, "{\"op\":\"ticket.start\",\"number\":\"%s\"}", number));
	cJSON_Delete(rq_ok(t, "{\"op\":\"ticket.complete\",\"number\":\"%s\"}", number));
	r = rq_ok(k, "{\"op\":\"survey.submit\",\"ticket\":\"%s\",\"score\":2}", number);
	cJSON_Delete(r);
	/* survey.detractor and the complaint.logged of the case it opens. */
	expect_that(receiver_wait(rv, 4), NULL, "survey events not sent");
	for (i = 0; i < receiver_count(rv); i++) {
		struct request rq = receiver_request(rv, i);

		body = cJSON_Parse(rq.rq_body);
		expect_str(body, "event", rq.rq_event);
		if (strcmp(rq.rq_event, "followup.overdue") == 0) {
			overdue = true;
			expect_bool(body, "complaint.overdue", true);
		}
		if (strcmp(rq.rq_event, "survey.detractor") == 0) {
			detractor = true;
			expect_str(body, "survey.ticket", number);
			expect_int(body, "survey.score", 2);
		}
		cJSON_Delete(body);
	}
	expect_that(overdue && detractor, NULL, "overdue %d detractor %d", overdue, detractor);
	daemon_stop(d);
	receiver_stop(rv);
}

/* A refused change sends nothing: the outbox row went with the rollback. */
static void
test_refused_change_sends_nothing(void **state)
{
	struct receiver	*rv = receiver_start(200);
	struct daemon	*d = start_with_receiver(rv->rv_port, NULL);
	struct conn	*s = login(d, "S01");
	sqlite3		*db;
	cJSON		*r;

	(void)state;
	assert_int_equal(sqlite3_open(d->d_db, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL), SQLITE_OK);
	rq_err(s, "unavailable", "{\"op\":\"complaint.log\",\"category\":\"wait_time\","
	    "\"severity\":1,\"channel\":\"counter\",\"description\":\"refused\"}");
	assert_int_equal(sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	usleep(300 * 1000);
	expect_that(receiver_count(rv) == 0, NULL, "an event was sent for a refused change");
	r = deliveries(s, "all");
	expect_int(r, "counts.pending", 0);
	expect_int(r, "counts.delivered", 0);
	expect_int(r, "counts.failed", 0);
	cJSON_Delete(r);
	expect_that(db_count(d, "SELECT count(*) FROM outbox") == 0, NULL,
	    "an outbox row for a refused change");
	daemon_stop(d);
	receiver_stop(rv);
}

/* The outbox is bounded per receiver; beyond it a delivery is failed, not lost. */
static void
test_outbox_bound(void **state)
{
	struct receiver	*rv = receiver_start(500);
	struct daemon	*d = start_with_receiver(rv->rv_port, "\"webhook_max_pending\":2");
	struct conn	*s = login(d, "S01");
	cJSON		*r;

	(void)state;
	log_complaint(s, "one");
	log_complaint(s, "two");
	log_complaint(s, "three");
	r = deliveries(s, "all");
	expect_int(r, "counts.pending", 2);
	expect_int(r, "counts.failed", 1);
	expect_str(r, "deliveries.0.state", "failed");
	expect_that(strstr(jstr(r, "deliveries.0.last_error"), "outbox full") != NULL, r,
	    "no outbox-full error");
	expect_int(r, "deliveries.0.attempts", 0);
	cJSON_Delete(r);
	r = deliveries(s, "undelivered");
	expect_that(cJSON_GetArraySize(jget(r, "deliveries")) == 3, r, "three undelivered");
	cJSON_Delete(r);
	r = rq_ok(s, "{\"op\":\"webhook.deliveries\",\"state\":\"all\",\"limit\":1}");
	expect_that(cJSON_GetArraySize(jget(r, "deliveries")) == 1, r, "limit 1");
	cJSON_Delete(r);
	daemon_stop(d);
	receiver_stop(rv);
}

static double
ms_since(const struct timespec *t0)
{
	struct timespec	t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (double)(t1.tv_sec - t0->tv_sec) * 1e3 + (double)(t1.tv_nsec - t0->tv_nsec) / 1e6;
}

/*
 * A receiver that accepts and never answers, and one whose name does not
 * resolve, do not hold up the loop: tickets are issued while both are
 * under way.  The bound is generous (the attempt timeout is 1.5 s): this
 * checks that nothing blocks, not how fast the daemon is.
 */
static void
test_hanging_receiver_does_not_block(void **state)
{
	struct receiver	*rv = receiver_start(0);
	struct daemon_opts opts;
	struct daemon	*d;
	struct conn	*s, *k;
	struct timespec	 t0;
	char		 extra[1024];
	double		 worst = 0, ms;
	int		 i;
	cJSON		*tk, *r;

	(void)state;
	snprintf(extra, sizeof extra,
	    "\"webhooks\":[{\"url\":\"http://127.0.0.1:%d/hook\",\"secret\":\"x\","
	    "\"events\":[\"complaint.logged\"]},"
	    "{\"url\":\"http://branchq-receiver.invalid/hook\",\"secret\":\"x\","
	    "\"events\":[\"complaint.logged\"]}],"
	    "\"webhook_connect_timeout_ms\":1500,\"webhook_timeout_ms\":1500", rv->rv_port);
	memset(&opts, 0, sizeof opts);
	opts.extra_config = extra;
	d = daemon_start(&opts);
	s = login(d, "S01");
	k = login(d, "K01");
	log_complaint(s, "hang");
	expect_that(receiver_wait(rv, 1), NULL, "the hanging receiver got no request");
	for (i = 0; i < 50; i++) {
		clock_gettime(CLOCK_MONOTONIC, &t0);
		tk = issue(k, "loan", 0, NULL);
		ms = ms_since(&t0);
		if (ms > worst)
			worst = ms;
		cJSON_Delete(tk);
		usleep(20 * 1000);
	}
	expect_that(under_wrapper() || worst < 1000, NULL,
	    "a ticket.issue took %.0f ms while a receiver hung", worst);
	/* Both attempts time out and are recorded as failures to retry. */
	for (i = 0; i < 100; i++) {
		r = deliveries(s, "pending");
		if (jint(r, "deliveries.0.attempts") == 1 && jint(r, "deliveries.1.attempts") == 1)
			break;
		cJSON_Delete(r);
		r = NULL;
		usleep(100 * 1000);
	}
	expect_that(r != NULL, NULL, "the timed-out attempts were not recorded");
	expect_present(r, "deliveries.0.last_error");
	expect_present(r, "deliveries.1.last_error");
	cJSON_Delete(r);
	daemon_stop(d);
	receiver_stop(rv);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_signed_delivery, harness_teardown),
		cmocka_unit_test_teardown(test_retries_keep_the_delivery_id, harness_teardown),
		cmocka_unit_test_teardown(test_order_per_receiver, harness_teardown),
		cmocka_unit_test_teardown(test_gives_up_then_supervisor_retries,
		    harness_teardown),
		cmocka_unit_test_teardown(test_delivery_after_restart, harness_teardown),
		cmocka_unit_test_teardown(test_overdue_and_detractor_events, harness_teardown),
		cmocka_unit_test_teardown(test_refused_change_sends_nothing, harness_teardown),
		cmocka_unit_test_teardown(test_outbox_bound, harness_teardown),
		cmocka_unit_test_teardown(test_hanging_receiver_does_not_block,
		    harness_teardown),
	};

	return cmocka_run_group_tests_name("webhooks", tests, NULL, NULL);
}
