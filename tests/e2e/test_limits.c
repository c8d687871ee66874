/*
 * End-to-end: limits (issue 5, docs/SECURITY.md).  What a client may send
 * (line length, nesting, numbers, NUL, UTF-8, string lengths, repeated
 * names) and what it may hold (connections, the hello deadline, the idle
 * limit, output it does not read, failed hellos), and that the log shows
 * the notable events without tokens or customers' details.
 *
 * Each case checks the reply code and the field named, that nothing
 * changed, and that the connection is still usable (or closed where the
 * protocol says so).  Timed cases use configured limits of a second or so.
 */
#include <sys/resource.h>
#include <sys/socket.h>
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

#include "harness.h"

/* ASan keeps freed memory in quarantine: its RSS says little. */
#if defined(__SANITIZE_ADDRESS__)
#define SANITIZED	1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SANITIZED	1
#endif
#endif
#ifndef SANITIZED
#define SANITIZED	0
#endif

/* A reply without an id, or with "id":null (nothing could be echoed). */
#define EXPECT_NO_ID(r) \
	expect_that(jget((r), "id") == NULL || cJSON_IsNull(jget((r), "id")), (r), \
	    "no id can be echoed here")

static void
sleep_ms(int ms)
{
	struct timespec	ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

static void
ping_works(struct conn *c)
{
	cJSON	*r = rq_ok(c, "{\"op\":\"ping\",\"id\":\"still-there\"}");

	expect_str(r, "id", "still-there");
	cJSON_Delete(r);
}

/*
 * A connection from a chosen loopback address (NULL: any) with a receive
 * buffer of rcvbuf bytes (0: the default), set before connecting so that
 * the window is small from the start.  conn_close() frees it; a failed
 * test leaks it, which the process's exit cleans up.
 */
static struct conn *
conn_open_from(struct daemon *d, const char *src, int rcvbuf)
{
	struct sockaddr_in	 sin;
	struct conn		*c;
	int			 fd, one = 1;

	if ((fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		fail_msg("socket: %s", strerror(errno));
	if (rcvbuf > 0)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
	if (src != NULL) {
		memset(&sin, 0, sizeof sin);
		sin.sin_family = AF_INET;
		inet_pton(AF_INET, src, &sin.sin_addr);
		if (bind(fd, (struct sockaddr *)&sin, sizeof sin) == -1)
			fail_msg("bind %s: %s", src, strerror(errno));
	}
	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)d->d_port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(fd, (struct sockaddr *)&sin, sizeof sin) == -1)
		fail_msg("connect: %s", strerror(errno));
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	if ((c = calloc(1, sizeof *c)) == NULL)
		abort();
	c->c_fd = fd;
	c->c_daemon = d;
	snprintf(c->c_name, sizeof c->c_name, "%s", src != NULL ? src : "small");
	return c;
}

/* Sends a line that may hold any bytes (a NUL too) and returns the reply. */
static cJSON *
rq_bytes(struct conn *c, const char *buf, size_t len)
{
	cJSON	*r;

	send_raw(c, buf, len);
	send_raw(c, "\n", 1);
	r = read_reply(c, reply_timeout_ms());
	expect_that(r != NULL, NULL, "no reply to a %zu-byte line", len);
	return r;
}

static cJSON *
snapshot(struct conn *c)
{
	cJSON	*r = rq_ok(c, "{\"op\":\"queue.snapshot\"}");

	/* "now" and waits move with the clock only; the test clock stands still. */
	return r;
}

static void
expect_same(const cJSON *before, const cJSON *after, const char *what)
{
	expect_that(cJSON_Compare(before, after, true), after, "%s changed: a refused "
	    "request must change nothing", what);
}

/* ---- input ---- */

/* JSON the parser would take but the daemon must not, and JSON it must. */
static void
test_json_shape(void **state)
{
	struct daemon	*d = daemon_start(NULL);
	struct conn	*c = conn_open(d), *s = login(d, "S01");
	cJSON		*r, *before = snapshot(s), *after;
	char		*buf;
	size_t		 i, n, len;

	(void)state;
	/* 33 levels: refused before any recursion; 32 (root included) is fine */
	buf = malloc(256);
	assert_non_null(buf);
	n = (size_t)snprintf(buf, 256, "{\"op\":\"ping\",\"x\":");
	for (i = 0; i < 32; i++)
		buf[n++] = '[';
	for (i = 0; i < 32; i++)
		buf[n++] = ']';
	buf[n++] = '}';
	r = rq_bytes(c, buf, n);
	expect_error(r, "bad_json");
	expect_that(strstr(jstr(r, "error.message"), "nested deeper than 32") != NULL, r,
	    "the message says how deep");
	EXPECT_NO_ID(r);
	cJSON_Delete(r);
	ping_works(c);
	n = (size_t)snprintf(buf, 256, "{\"op\":\"ping\",\"id\":1,\"x\":");
	for (i = 0; i < 31; i++)
		buf[n++] = '[';
	for (i = 0; i < 31; i++)
		buf[n++] = ']';
	buf[n++] = '}';
	r = rq_bytes(c, buf, n);
	expect_ok(r);
	cJSON_Delete(r);
	free(buf);

	/* 30,000 levels, objects and arrays: one bad_json, nothing else */
	buf = malloc(65536);
	assert_non_null(buf);
	for (i = 0; i < 30000; i++)
		buf[i] = i % 2 ? '[' : '{';
	r = rq_bytes(c, buf, 30000);
	expect_error(r, "bad_json");
	cJSON_Delete(r);
	for (i = 0; i < 30000; i++)
		buf[i] = '[';
	for (; i < 60000; i++)
		buf[i] = ']';
	r = rq_bytes(c, buf, 60000);
	expect_error(r, "bad_json");
	cJSON_Delete(r);
	ping_works(c);

	/* wide is fine: 64 KiB of array, and thousands of members */
	n = (size_t)snprintf(buf, 65536, "{\"op\":\"ping\",\"id\":\"wide\",\"x\":[0");
	while (n < 65000) {
		buf[n++] = ',';
		buf[n++] = '0';
	}
	buf[n++] = ']';
	buf[n++] = '}';
	r = rq_bytes(c, buf, n);
	expect_ok(r);
	expect_str(r, "id", "wide");
	cJSON_Delete(r);
	n = (size_t)snprintf(buf, 65536, "{\"op\":\"ping\",\"id\":\"many\"");
	for (i = 0; n < 65000; i++)
		n += (size_t)snprintf(buf + n, 65536 - n, ",\"k%zu\":%zu", i, i);
	buf[n++] = '}';
	r = rq_bytes(c, buf, n);
	expect_ok(r);
	expect_str(r, "id", "many");
	cJSON_Delete(r);

	/* as long as a line may be, with the content a supervisor's snapshot has */
	len = (size_t)snprintf(buf, 65536, "{\"op\":\"queue.snapshot\",\"pad\":\"");
	memset(buf + len, 'x', 65536 - len - 2);
	buf[65534] = '"';
	buf[65535] = '}';
	r = rq_bytes(s, buf, 65536);
	expect_ok(r);
	cJSON_Delete(r);
	free(buf);

	after = snapshot(s);
	expect_same(before, after, "the queue");
	cJSON_Delete(before);
	cJSON_Delete(after);
	daemon_stop(d);
}

/* Bytes that are not UTF-8, NUL bytes, raw control characters: bad_json. */
static void
test_bytes(void **state)
{
	static const struct {
		const char	*bytes;
		size_t		 len;
		const char	*says;		/* in the message */
	} cases[] = {
#define C(s, says)	{ s, sizeof s - 1, says }
		C("{\"op\":\"ping\",\"x\":\"\xff\"}", "UTF-8"),
		C("{\"op\":\"ping\",\"x\":\"\xc0\xaf\"}", "UTF-8"),		/* overlong '/' */
		C("{\"op\":\"ping\",\"x\":\"\xe0\x80\xaf\"}", "UTF-8"),	/* overlong */
		C("{\"op\":\"ping\",\"x\":\"\xed\xa0\x80\"}", "UTF-8"),	/* a surrogate */
		C("{\"op\":\"ping\",\"x\":\"\xf4\x90\x80\x80\"}", "UTF-8"),	/* > U+10FFFF */
		C("{\"op\":\"ping\",\"x\":\"\xe4\xb8\"}", "UTF-8"),		/* cut short */
		C("{\"op\":\"ping\",\"x\":\"\x80\"}", "UTF-8"),		/* a lone continuation */
		C("{\"op\":\"ping\",\"x\":\"\xf8\x88\x80\x80\x80\"}", "UTF-8"),
		C("{\"op\":\"ping\",\"x\xfe\":1}", "UTF-8"),			/* in a key */
		C("{\"op\":\"ping\",\"x\":\"a\0b\"}", "NUL"),
		C("{\"op\":\"ping\"}\0", "NUL"),
		C("\0{\"op\":\"ping\"}", "NUL"),
		C("{\"op\":\"ping\",\"x\":\"a\x01b\"}", "control"),
		C("{\"op\":\"ping\",\"x\":\"a\tb\"}", "control"),
		C("{\"op\":\"ping\",\"x\":\"a\x1f\"}", "control"),
		C("{\"op\":\"ping\",\"x\":\"\\ud800\"}", "JSON"),		/* a lone surrogate */
		C("{\"op\":\"ping\",\"x\":\"\\udc00\\ud800\"}", "JSON"),
#undef C
	};
	struct daemon	*d = daemon_start(NULL);
	struct conn	*k = login(d, "K01");
	const char	*line;
	cJSON		*r;
	size_t		 i;

	(void)state;
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		r = rq_bytes(k, cases[i].bytes, cases[i].len);
		expect_error(r, "bad_json");
		expect_that(strstr(jstr(r, "error.message"), cases[i].says) != NULL, r,
		    "case %zu: the message should say %s", i, cases[i].says);
		EXPECT_NO_ID(r);
		cJSON_Delete(r);
		ping_works(k);
	}
	/* well-formed UTF-8 of every length, and escapes, are fine */
	line = "{\"op\":\"ping\",\"id\":\"\xc3\xa9\xe4\xb8\xad\xf0\x9f\x98\x80\","
	    "\"x\":\"\\u00e9\\ud83d\\ude00\\t\\u0001\"}";
	r = rq_bytes(k, line, strlen(line));
	expect_ok(r);
	expect_str(r, "id", "\xc3\xa9\xe4\xb8\xad\xf0\x9f\x98\x80");
	cJSON_Delete(r);
	/* a refused issue issued nothing */
	line = "{\"op\":\"ticket.issue\",\"service\":\"loan\",\"x\":\"\xff\"}";
	r = rq_bytes(k, line, strlen(line));
	expect_error(r, "bad_json");
	cJSON_Delete(r);
	rq_err(k, "not_found", "{\"op\":\"ticket.status\",\"number\":\"A001\"}");
	daemon_stop(d);
}

/*
 * \u0000 is valid JSON, but cJSON ends the string there: "tok-K01\u0000x"
 * would be read as "tok-K01".  Refused as bad_request naming the field.
 */
static void
test_embedded_nul(void **state)
{
	struct daemon	*d = daemon_start(NULL);
	struct conn	*c = conn_open(d), *k, *t, *s = login(d, "S01");
	cJSON		*r, *before = snapshot(s), *after;

	(void)state;
	/* before hello: the token, the terminal; nothing is authenticated */
	rq_bad(c, "token", "{\"op\":\"hello\",\"terminal\":\"K01\",\"token\":\"tok-K01\\u0000junk\"}");
	rq_bad(c, "token", "{\"op\":\"hello\",\"terminal\":\"K01\",\"token\":\"tok-K01\\u0000\"}");
	rq_bad(c, "terminal", "{\"op\":\"hello\",\"terminal\":\"K01\\u0000X\",\"token\":\"tok-K01\"}");
	rq_bad(c, "tok", "{\"op\":\"hello\",\"terminal\":\"K01\",\"tok\\u0000en\":\"tok-K01\","
	    "\"token\":\"tok-K01\"}");
	rq_err(c, "unauthenticated", "{\"op\":\"queue.snapshot\"}");
	/* id and op, with the order of the checks kept */
	r = rq(c, "{\"id\":\"a\\u0000b\",\"op\":\"ping\"}");
	expect_bad_request(r, "id");
	EXPECT_NO_ID(r);
	cJSON_Delete(r);
	r = rq(c, "{\"id\":7,\"op\":\"ping\\u0000\"}");
	expect_bad_request(r, "op");
	expect_int(r, "id", 7);
	cJSON_Delete(r);
	rq_bad(c, "op", "{\"op\\u0000\":\"ping\"}");
	rq_err(c, "unauthenticated", "{\"op\":\"ticket.issue\",\"service\":\"loan\\u0000\"}");
	ping_works(c);
	hello(c, "K01");	/* and the real token still works */
	k = c;

	/* every kind of place: a value, a nested value, a key, an array, an ignored field */
	rq_bad(k, "service", "{\"op\":\"ticket.issue\",\"service\":\"loan\\u0000\"}");
	rq_bad(k, "service", "{\"op\":\"ticket.issue\",\"service\\u0000x\":\"loan\"}");
	rq_bad(k, "flags.accessibility", "{\"op\":\"ticket.issue\",\"service\":\"loan\","
	    "\"flags\":{\"accessibility\":\"visual\\u0000\"}}");
	rq_bad(k, "flags.vip", "{\"op\":\"ticket.issue\",\"service\":\"loan\","
	    "\"flags\":{\"vip\\u0000\":true}}");
	rq_bad(k, "note", "{\"op\":\"ticket.issue\",\"service\":\"loan\",\"note\":\"a\\u0000\"}");
	rq_bad(k, "extra.deep", "{\"op\":\"ticket.issue\",\"service\":\"loan\","
	    "\"extra\":{\"deep\":[\"ok\",\"\\u0000\"]}}");
	rq_bad(k, "number", "{\"op\":\"ticket.status\",\"number\":\"A001\\u0000\"}");
	/* an escaped backslash before u0000 is text, not NUL */
	cJSON_Delete(rq_ok(k, "{\"op\":\"ping\",\"x\":\"\\\\u0000\"}"));
	rq_err(k, "not_found", "{\"op\":\"ticket.status\",\"number\":\"A001\"}");

	/* complaints: free text and the customer */
	t = login(d, "T01");
	rq_bad(t, "description", "{\"op\":\"complaint.log\",\"category\":\"fees\",\"severity\":1,"
	    "\"description\":\"fine\\u0000print\",\"channel\":\"counter\"}");
	rq_bad(t, "customer.name", "{\"op\":\"complaint.log\",\"category\":\"fees\",\"severity\":1,"
	    "\"description\":\"d\",\"channel\":\"counter\",\"customer\":{\"name\":\"\\u0000\"}}");
	rq_bad(t, "customer.phone", "{\"op\":\"complaint.log\",\"category\":\"fees\",\"severity\":1,"
	    "\"description\":\"d\",\"channel\":\"counter\","
	    "\"customer\":{\"phone\":\"138\\u00001234\"}}");
	rq_err(s, "not_found", "{\"op\":\"complaint.get\",\"id\":1}");
	ping_works(t);

	after = snapshot(s);
	expect_same(before, after, "the queue");
	cJSON_Delete(before);
	cJSON_Delete(after);
	daemon_stop(d);
}

/* Numbers: out of range, not whole, -0, infinite, past what a double holds. */
static void
test_numbers(void **state)
{
	static const char *const amounts[] = {
		"1e400", "-1e400", "-0", "-0.0", "1.5", "0.5", "1000000000000.5", "1000000000001",
		"9223372036854775807", "9223372036854775808", "18446744073709551616",
		"-9223372036854775808", "1e19", "0", "-1", "1e-400", NULL
	};
	struct daemon	*d = daemon_start(NULL);
	struct conn	*k = login(d, "K01"), *s = login(d, "S01"), *t = login(d, "T01");
	cJSON		*r, *before = snapshot(s), *after;
	size_t		 i;

	(void)state;
	for (i = 0; amounts[i] != NULL; i++) {
		r = rq(k, "{\"op\":\"ticket.issue\",\"service\":\"cash_withdrawal\",\"amount_fen\":%s}",
		    amounts[i]);
		expect_bad_request(r, "amount_fen");
		expect_that(strstr(jstr(r, "error.message"), "1 to 1000000000000") != NULL, r,
		    "the message gives the range");
		cJSON_Delete(r);
	}
	rq_err(k, "not_found", "{\"op\":\"ticket.status\",\"number\":\"S001\"}");
	rq_err(k, "not_found", "{\"op\":\"ticket.status\",\"number\":\"A001\"}");

	/* -0 where 0 is allowed is still refused; 0 is fine */
	rq_bad(s, "seconds", "{\"op\":\"clock.advance\",\"seconds\":-0}");
	rq_bad(s, "seconds", "{\"op\":\"clock.advance\",\"seconds\":1e400}");
	rq_bad(s, "seconds", "{\"op\":\"clock.advance\",\"seconds\":0.5}");
	r = rq_ok(s, "{\"op\":\"clock.advance\",\"seconds\":0}");
	expect_str(r, "now", H_CLOCK_START);
	cJSON_Delete(r);
	/* window numbers, severities, limits */
	rq_bad(t, "window", "{\"op\":\"window.open\",\"window\":9223372036854775808,"
	    "\"lanes\":[\"counter\"]}");
	rq_bad(t, "window", "{\"op\":\"window.open\",\"window\":-0,\"lanes\":[\"counter\"]}");
	rq_bad(t, "window", "{\"op\":\"window.open\",\"window\":1e400,\"lanes\":[\"counter\"]}");
	rq_bad(t, "severity", "{\"op\":\"complaint.log\",\"category\":\"fees\",\"severity\":2.5,"
	    "\"description\":\"d\",\"channel\":\"counter\"}");
	rq_bad(t, "severity", "{\"op\":\"complaint.log\",\"category\":\"fees\",\"severity\":-1e400,"
	    "\"description\":\"d\",\"channel\":\"counter\"}");
	rq_bad(s, "limit", "{\"op\":\"report.followups\",\"limit\":1e400}");
	rq_bad(s, "limit", "{\"op\":\"report.followups\",\"limit\":10000.5}");
	/*
	 * A field whose range reaches 2^63: 2^63 itself is no int64_t (an
	 * earlier daemon converted it anyway, which is undefined), and past
	 * 2^53 a double no longer holds the number sent.
	 */
	rq_bad(s, "delivery", "{\"op\":\"webhook.retry\",\"delivery\":9223372036854775808}");
	rq_bad(s, "delivery", "{\"op\":\"webhook.retry\",\"delivery\":9223372036854775807}");
	rq_bad(s, "delivery", "{\"op\":\"webhook.retry\",\"delivery\":1e300}");
	rq_bad(s, "delivery", "{\"op\":\"webhook.retry\",\"delivery\":9007199254740993}");
	rq_err(s, "not_found", "{\"op\":\"webhook.retry\",\"delivery\":9007199254740991}");
	/* ids: a number that cannot be echoed is refused, others are echoed */
	r = rq(k, "{\"id\":1e400,\"op\":\"ping\"}");
	expect_bad_request(r, "id");
	EXPECT_NO_ID(r);
	cJSON_Delete(r);
	r = rq_ok(k, "{\"id\":9007199254740991,\"op\":\"ping\"}");
	expect_that(jget(r, "id") != NULL && jget(r, "id")->valuedouble == 9007199254740991.0,
	    r, "a large id is echoed");
	cJSON_Delete(r);
	/* the bounds themselves are fine */
	cJSON_Delete(rq_ok(k, "{\"op\":\"ticket.issue\",\"service\":\"transfer\","
	    "\"amount_fen\":1000000000000}"));
	cJSON_Delete(rq_ok(k, "{\"op\":\"ticket.issue\",\"service\":\"transfer\","
	    "\"amount_fen\":1e12}"));
	after = snapshot(s);
	expect_that(jint(after, "lanes.counter.waiting") == 2, after,
	    "only the two good issues are queued");
	cJSON_Delete(before);
	cJSON_Delete(after);
	ping_works(k);
	ping_works(t);
	daemon_stop(d);
}

static char *
repeat(const char *unit, size_t n)
{
	size_t	 ulen = strlen(unit), i;
	char	*s = malloc(ulen * n + 1);

	assert_non_null(s);
	for (i = 0; i < n; i++)
		memcpy(s + i * ulen, unit, ulen);
	s[ulen * n] = '\0';
	return s;
}

/* Every free-text field has a length in characters (PROTOCOL); one over is refused. */
static void
test_string_lengths(void **state)
{
	struct daemon	*d = daemon_start(NULL);
	struct conn	*c = conn_open(d), *t = login(d, "T01"), *s = login(d, "S01");
	char		*long33 = repeat("T", 33), *tok1025 = repeat("x", 1025);
	char		*zh2000 = repeat("\xe4\xb8\xad", 2000), *zh2001 = repeat("\xe4\xb8\xad", 2001);
	char		*name101 = repeat("\xe5\xbc\xa0", 101), *phone33 = repeat("1", 33);
	char		*id33 = repeat("E", 33);
	cJSON		*r;

	(void)state;
	rq_bad(c, "terminal", "{\"op\":\"hello\",\"terminal\":\"%s\",\"token\":\"x\"}", long33);
	rq_bad(c, "token", "{\"op\":\"hello\",\"terminal\":\"K01\",\"token\":\"%s\"}", tok1025);
	rq_bad(c, "terminal", "{\"op\":\"hello\",\"terminal\":\"\",\"token\":\"x\"}");
	rq_bad(c, "token", "{\"op\":\"hello\",\"terminal\":\"K01\",\"token\":\"\"}");
	ping_works(c);

	rq_bad(t, "description", "{\"op\":\"complaint.log\",\"category\":\"fees\",\"severity\":1,"
	    "\"description\":\"%s\",\"channel\":\"counter\"}", zh2001);
	rq_bad(t, "description", "{\"op\":\"complaint.log\",\"category\":\"fees\",\"severity\":1,"
	    "\"description\":\"\",\"channel\":\"counter\"}");
	rq_bad(t, "customer.name", "{\"op\":\"complaint.log\",\"category\":\"fees\",\"severity\":1,"
	    "\"description\":\"d\",\"channel\":\"counter\",\"customer\":{\"name\":\"%s\"}}", name101);
	rq_bad(t, "customer.phone", "{\"op\":\"complaint.log\",\"category\":\"fees\",\"severity\":1,"
	    "\"description\":\"d\",\"channel\":\"counter\",\"customer\":{\"phone\":\"%s\"}}",
	    phone33);
	rq_err(s, "not_found", "{\"op\":\"complaint.get\",\"id\":1}");
	/* 2,000 characters of three bytes each: the limit counts characters */
	r = rq_ok(t, "{\"op\":\"complaint.log\",\"category\":\"fees\",\"severity\":1,"
	    "\"description\":\"%s\",\"channel\":\"counter\"}", zh2000);
	expect_int(r, "complaint.id", 1);
	expect_str(r, "complaint.description", zh2000);
	cJSON_Delete(r);
	rq_bad(t, "note", "{\"op\":\"complaint.action\",\"id\":1,\"kind\":\"note\",\"note\":\"%s\"}",
	    zh2001);
	rq_bad(t, "to_staff", "{\"op\":\"complaint.reassign\",\"id\":1,\"to_staff\":\"%s\","
	    "\"reason\":\"r\"}", id33);
	rq_bad(t, "reason", "{\"op\":\"complaint.reassign\",\"id\":1,\"to_staff\":\"E9001\","
	    "\"reason\":\"%s\"}", zh2001);
	rq_bad(t, "resolution", "{\"op\":\"complaint.resolve\",\"id\":1,\"resolution\":\"%s\","
	    "\"root_cause\":\"value\"}", zh2001);
	rq_bad(s, "from", "{\"op\":\"report.summary\",\"from\":\"2026-11-230\",\"to\":\"2026-11-23\"}");
	r = rq_ok(s, "{\"op\":\"complaint.get\",\"id\":1}");
	expect_that(cJSON_GetArraySize(jget(r, "complaint.actions")) == 1, r,
	    "refused actions recorded nothing");
	expect_str(r, "complaint.owner", "E1001");
	cJSON_Delete(r);
	ping_works(t);
	free(long33);
	free(tok1025);
	free(zh2000);
	free(zh2001);
	free(name101);
	free(phone33);
	free(id33);
	daemon_stop(d);
}

/* cJSON keeps both copies of a repeated name and reads the first: refused instead. */
static void
test_repeated_names(void **state)
{
	struct daemon	*d = daemon_start(NULL);
	struct conn	*k = login(d, "K01"), *c = conn_open(d);
	cJSON		*r;

	(void)state;
	r = rq(k, "{\"id\":1,\"id\":2,\"op\":\"ping\"}");
	expect_bad_request(r, "id");
	EXPECT_NO_ID(r);
	cJSON_Delete(r);
	rq_bad(k, "op", "{\"op\":\"ping\",\"op\":\"ticket.issue\",\"service\":\"loan\"}");
	rq_bad(k, "service", "{\"op\":\"ticket.issue\",\"service\":\"loan\",\"service\":\"cash_deposit\"}");
	rq_bad(k, "flags.vip", "{\"op\":\"ticket.issue\",\"service\":\"loan\","
	    "\"flags\":{\"vip\":false,\"vip\":true}}");
	/* hello: which token would count? neither */
	rq_bad(c, "token", "{\"op\":\"hello\",\"terminal\":\"K01\",\"token\":\"tok-K01\","
	    "\"token\":\"wrong\"}");
	rq_err(c, "unauthenticated", "{\"op\":\"queue.snapshot\"}");
	/* names not in the request's fields may repeat: they are ignored */
	cJSON_Delete(rq_ok(k, "{\"op\":\"ping\",\"x\":1,\"x\":2}"));
	rq_err(k, "not_found", "{\"op\":\"ticket.status\",\"number\":\"A001\"}");
	daemon_stop(d);
}

static char *
padded_line(size_t total)
{
	static const char head[] = "{\"op\":\"ping\",\"id\":\"big\",\"pad\":\"";
	char	*buf = malloc(total + 1);

	assert_non_null(buf);
	memcpy(buf, head, sizeof head - 1);
	memset(buf + sizeof head - 1, 'x', total - 2 - (sizeof head - 1));
	buf[total - 2] = '"';
	buf[total - 1] = '}';
	buf[total] = '\n';
	return buf;
}

/* 65,536 bytes is a line; one more is line_too_long, and the connection closes. */
static void
test_line_limit(void **state)
{
	struct daemon	*d = daemon_start(NULL);
	struct conn	*c = login(d, "K01"), *other = login(d, "D01");
	char		*line;
	cJSON		*r;

	(void)state;
	line = padded_line(65536);
	send_raw(c, line, 65537);
	free(line);
	r = read_reply(c, reply_timeout_ms());
	expect_that(r != NULL, NULL, "no reply to a 65,536-byte line");
	expect_ok(r);
	cJSON_Delete(r);
	ping_works(c);

	line = padded_line(65537);
	send_raw(c, line, 65538);
	free(line);
	r = read_reply(c, reply_timeout_ms());
	expect_that(r != NULL, NULL, "no reply to a 65,537-byte line");
	expect_error(r, "line_too_long");
	EXPECT_NO_ID(r);
	cJSON_Delete(r);
	expect_that(peer_closed(c, reply_timeout_ms()), NULL, "closed after line_too_long");
	conn_close(c);
	ping_works(other);
	expect_that(daemon_log_contains(d, "event=disconnect reason=line_too_long"), NULL,
	    "the log says why the connection was closed");
	daemon_stop(d);
}

/* ---- connections ---- */

/* A connection the daemon refused: one unavailable line, then the end. */
static void
expect_refused(struct conn *c, int limit)
{
	cJSON	*r = read_reply(c, reply_timeout_ms());
	char	 want[64];

	expect_that(r != NULL, NULL, "no refusal line from the daemon at its connection limit");
	expect_error(r, "unavailable");
	snprintf(want, sizeof want, "too many connections (limit %d)", limit);
	expect_str(r, "error.message", want);
	EXPECT_NO_ID(r);
	cJSON_Delete(r);
	expect_that(peer_closed(c, reply_timeout_ms()), NULL, "closed after the refusal");
}

static void
test_connection_cap(void **state)
{
	struct daemon_opts	 opts = { .extra_config = "\"max_connections\":3" };
	struct daemon		*d = daemon_start(&opts);
	struct conn		*s = login(d, "S01"), *a = conn_open(d), *b = login(d, "K01");
	struct conn		*c;
	cJSON			*r;
	int			 i;

	(void)state;
	ping_works(a);
	for (i = 0; i < 3; i++) {
		c = conn_open(d);
		expect_refused(c, 3);
		conn_close(c);
	}
	/* those connected are served as before */
	ping_works(s);
	ping_works(b);
	cJSON_Delete(issue(b, "loan", 0, NULL));
	/* one leaves: a place is free again (once the daemon has seen it go) */
	conn_close(a);
	for (i = 0; i < 50; i++) {
		c = conn_open(d);
		/* a refusal comes at once; an accepted connection says nothing */
		if ((r = read_reply(c, reply_timeout_ms() / 10)) == NULL)
			break;
		expect_error(r, "unavailable");
		cJSON_Delete(r);
		conn_close(c);
		c = NULL;
		sleep_ms(20);
	}
	expect_that(c != NULL, NULL, "a place did not free up after a client left");
	hello(c, "T01");
	ping_works(c);
	expect_that(daemon_log_contains(d, "event=conn_refused reason=max_connections limit=3"),
	    NULL, "the log says connections were refused");
	daemon_stop(d);
}

/* Without a successful hello in time the connection is closed, saying why. */
static void
test_hello_deadline(void **state)
{
	struct daemon_opts	 opts = { .extra_config = "\"hello_timeout_s\":1" };
	struct daemon		*d = daemon_start(&opts);
	struct conn		*quiet = conn_open(d), *busy = conn_open(d), *good = conn_open(d);
	struct conn		*late = conn_open(d);
	cJSON			*r;
	int			 i;

	(void)state;
	hello(good, "T01");
	/* pinging does not keep an unauthenticated connection; failed hellos neither */
	for (i = 0; i < 3; i++) {
		ping_works(busy);
		sleep_ms(200);
	}
	rq_err(busy, "unauthenticated", "{\"op\":\"hello\",\"terminal\":\"T01\",\"token\":\"no\"}");
	/* a hello near the end of the time still counts */
	hello(late, "K01");
	r = read_reply(quiet, 1000 + reply_timeout_ms());
	expect_that(r != NULL, NULL, "no line before the deadline closed the connection");
	expect_error(r, "unauthenticated");
	expect_that(strstr(jstr(r, "error.message"), "no successful hello within 1 s") != NULL,
	    r, "the message says why");
	cJSON_Delete(r);
	expect_that(peer_closed(quiet, reply_timeout_ms()), NULL, "closed after the deadline");
	r = read_reply(busy, reply_timeout_ms());
	expect_that(r != NULL, NULL, "the busy connection got no deadline line");
	expect_error(r, "unauthenticated");
	cJSON_Delete(r);
	expect_that(peer_closed(busy, reply_timeout_ms()), NULL, "closed after the deadline");
	/* those that said hello stay */
	sleep_ms(1200);
	ping_works(good);
	ping_works(late);
	expect_that(daemon_log_contains(d, "event=disconnect reason=hello_timeout"), NULL,
	    "the log says why");
	daemon_stop(d);
}

/* idle_timeout_s: a connection without requests is closed; ping keeps it. */
static void
test_idle_limit(void **state)
{
	struct daemon_opts	 opts = { .extra_config = "\"idle_timeout_s\":1" };
	struct daemon		*d = daemon_start(&opts);
	struct conn		*idle = login(d, "D01"), *alive = login(d, "T01");
	cJSON			*r;
	int			 i;

	(void)state;
	cJSON_Delete(rq_ok(idle, "{\"op\":\"subscribe\",\"topics\":[\"calls\"]}"));
	for (i = 0; i < 8; i++) {
		sleep_ms(250);
		ping_works(alive);
	}
	/* events sent to it do not count: the limit is on what the client sends */
	r = read_reply(idle, reply_timeout_ms());
	expect_that(r != NULL, NULL, "no line before the idle limit closed the connection");
	expect_error(r, "unavailable");
	expect_that(strstr(jstr(r, "error.message"), "no request for 1 s") != NULL, r,
	    "the message says why");
	cJSON_Delete(r);
	expect_that(peer_closed(idle, reply_timeout_ms()), NULL, "closed when idle");
	ping_works(alive);
	expect_that(daemon_log_contains(d, "event=disconnect reason=idle"), NULL,
	    "the log says why");
	daemon_stop(d);

	/* the default: no idle limit, so a display may sit quiet */
	d = daemon_start(NULL);
	idle = login(d, "D01");
	expect_that(daemon_log_contains(d, "idle_timeout_s=0"), NULL, "idle limit off by default");
	expect_that(daemon_log_contains(d, "hello_timeout_s=10"), NULL, "hello deadline 10 s");
	expect_that(daemon_log_contains(d, "max_connections=16384") ||
	    daemon_log_contains(d, "event=limits max_connections="), NULL, "the cap is logged");
	sleep_ms(1500);
	ping_works(idle);
	daemon_stop(d);
}

/*
 * A subscriber that stops reading is cut off before it holds
 * subscriber_buffer_bytes (PROTOCOL: 1 MiB; here 4 KiB, so that the test
 * is quick); the daemon serves everyone else as before.
 */
static void
test_slow_subscriber(void **state)
{
	struct daemon_opts	 opts = { .extra_config =
	    "\"subscriber_buffer_bytes\":4096,\"max_recalls\":10" };
	struct daemon		*d = daemon_start(&opts);
	struct conn		*k = login(d, "K01"), *t = login(d, "T01"), *reader = login(d, "L01");
	struct conn		*slow = conn_open_from(d, NULL, 1024);
	char			 batch[64 * 1024];
	size_t			 n;
	int			 round, i, events = 0;
	cJSON			*r, *ev;
	bool			 cut = false;

	(void)state;
	hello(slow, "D01");
	cJSON_Delete(rq_ok(slow, "{\"op\":\"subscribe\",\"topics\":[\"calls\",\"queue\"]}"));
	cJSON_Delete(rq_ok(reader, "{\"op\":\"subscribe\",\"topics\":[\"calls\"]}"));
	cJSON_Delete(rq_ok(t, "{\"op\":\"window.open\",\"window\":1,\"lanes\":[\"counter\"]}"));
	/* each round: a ticket called and recalled ten times, eleven events */
	for (round = 0; round < 400 && !cut; round++) {
		cJSON_Delete(issue(k, "loan", 0, NULL));
		n = (size_t)snprintf(batch, sizeof batch, "{\"op\":\"ticket.call_next\"}\n");
		for (i = 0; i < 10; i++)
			n += (size_t)snprintf(batch + n, sizeof batch - n,
			    "{\"op\":\"ticket.recall\",\"number\":\"A%03d\"}\n", round + 1);
		n += (size_t)snprintf(batch + n, sizeof batch - n,
		    "{\"op\":\"ticket.no_show\",\"number\":\"A%03d\"}\n", round + 1);
		send_raw(t, batch, n);
		for (i = 0; i < 12; i++) {
			r = read_reply(t, reply_timeout_ms());
			expect_that(r != NULL, NULL, "no reply from the teller's batch");
			expect_ok(r);
			cJSON_Delete(r);
		}
		events += 11;
		/* the reading subscriber keeps up */
		while ((ev = next_event(reader, 0)) != NULL)
			cJSON_Delete(ev);
		cut = daemon_log_contains(d, "event=disconnect reason=slow_subscriber");
	}
	expect_that(cut, NULL, "a subscriber that read nothing of %d events was not cut off",
	    events);
	/* it gets what was written before, then the end */
	expect_that(peer_closed(slow, reply_timeout_ms()), NULL, "the slow subscriber is closed");
	conn_close(slow);
	/* everyone else is served: the reader still gets events */
	ping_works(k);
	cJSON_Delete(issue(k, "loan", 0, NULL));
	drain_events(reader, 100);
	r = rq_ok(t, "{\"op\":\"ticket.call_next\"}");
	cJSON_Delete(r);
	ev = next_event_named(reader, "ticket.called", reply_timeout_ms());
	expect_that(ev != NULL, NULL, "the reading subscriber got no event after the cut");
	cJSON_Delete(ev);
	expect_that(daemon_log_contains(d, "terminal=D01"), NULL, "the log names the display");
	daemon_stop(d);
}

/*
 * A client that sends and does not read: the daemon stops reading it once
 * REPLY_BACKLOG is pending, serves others, and when the client reads again
 * every reply comes, in order.
 */
static void
test_unread_replies(void **state)
{
	struct daemon	*d = daemon_start(NULL);
	struct conn	*greedy = conn_open_from(d, NULL, 4096), *other = login(d, "K01");
	enum { N = 4000 };
	char		*buf = malloc(N * 40);
	size_t		 n = 0;
	cJSON		*r;
	int		 i;

	(void)state;
	assert_non_null(buf);
	for (i = 0; i < N; i++)
		n += (size_t)sprintf(buf + n, "{\"op\":\"ping\",\"id\":%d}\n", i);
	send_raw(greedy, buf, n);
	free(buf);
	ping_works(other);
	cJSON_Delete(issue(other, "loan", 0, NULL));
	for (i = 0; i < N; i++) {
		r = read_reply(greedy, reply_timeout_ms());
		expect_that(r != NULL, NULL, "reply %d of %d never came", i, N);
		expect_ok(r);
		expect_int(r, "id", i);
		cJSON_Delete(r);
	}
	ping_works(greedy);
	conn_close(greedy);
	daemon_stop(d);
}

/* Output that makes no progress for write_timeout_s: the connection is closed. */
static void
test_write_stall(void **state)
{
	struct daemon_opts	 opts = { .extra_config = "\"write_timeout_s\":1" };
	struct daemon		*d = daemon_start(&opts);
	struct conn		*stuck = conn_open_from(d, NULL, 2048), *other;
	enum { N = 3000 };
	char			*buf = malloc(N * 40);
	size_t			 n = 0;
	int			 i;

	(void)state;
	assert_non_null(buf);
	hello(stuck, "S01");
	/* snapshots: far more reply than the kernel's buffers hold */
	for (i = 0; i < N; i++)
		n += (size_t)sprintf(buf + n, "{\"op\":\"queue.snapshot\",\"id\":%d}\n", i);
	send_raw(stuck, buf, n);
	free(buf);
	other = login(d, "K01");
	for (i = 0; i < 100 && !daemon_log_contains(d, "reason=write_stalled"); i++)
		sleep_ms(50);
	expect_that(daemon_log_contains(d, "event=disconnect reason=write_stalled"), NULL,
	    "a client that reads nothing was not closed after write_timeout_s");
	expect_that(peer_closed(stuck, reply_timeout_ms()), NULL, "closed");
	conn_close(stuck);
	ping_works(other);
	daemon_stop(d);
}

/*
 * Many clients each holding as much as they can (a partial line, unread
 * replies): the daemon's memory grows by about what the limits allow, and
 * it serves everyone else.
 */
static long
rss_kib(pid_t pid)
{
	char	 path[64], line[256];
	FILE	*f;
	long	 kib = -1;

	snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
	if ((f = fopen(path, "r")) == NULL)
		return -1;
	while (fgets(line, sizeof line, f) != NULL)
		if (sscanf(line, "VmRSS: %ld kB", &kib) == 1)
			break;
	fclose(f);
	return kib;
}

static void
test_memory_bounded(void **state)
{
	enum { CLIENTS = 40 };
	struct daemon	*d = daemon_start(NULL);
	struct conn	*c[CLIENTS], *other = login(d, "K01");
	char		*partial = malloc(65536), *pings = malloc(2000 * 24);
	size_t		 n = 0;
	long		 before, after;
	int		 i;

	(void)state;
	assert_non_null(partial);
	assert_non_null(pings);
	memset(partial, ' ', 65536);
	memcpy(partial, "{\"op\":\"ping\",\"pad\":\"", 20);
	memset(partial + 20, 'x', 65536 - 20);
	for (i = 0; i < 2000; i++)
		n += (size_t)sprintf(pings + n, "{\"op\":\"ping\",\"id\":%d}\n", i);
	before = rss_kib(d->d_pid);
	for (i = 0; i < CLIENTS; i++) {
		c[i] = conn_open_from(d, NULL, 4096);
		send_raw(c[i], pings, n);		/* replies it will not read */
		send_raw(c[i], partial, 65000);		/* and most of a line */
	}
	ping_works(other);
	sleep_ms(200);
	after = rss_kib(d->d_pid);
	/* about 64 KiB in and 64 KiB out each; far from what they sent in total */
	if (!under_wrapper() && !SANITIZED && before > 0 && after > 0)
		expect_that(after - before < CLIENTS * 1024, NULL,
		    "%d clients grew the daemon by %ld KiB", CLIENTS, after - before);
	for (i = 0; i < CLIENTS; i++)
		conn_close(c[i]);
	free(partial);
	free(pings);
	ping_works(other);
	daemon_stop(d);
}

/* ---- failed hellos ---- */

static void
hello_refused(struct conn *c, const char *terminal, const char *token, const char *says)
{
	cJSON	*r = rq(c, "{\"op\":\"hello\",\"terminal\":\"%s\",\"token\":\"%s\"}", terminal,
	    token);

	expect_error(r, "unauthenticated");
	expect_that(strstr(jstr(r, "error.message"), says) != NULL, r,
	    "a refused hello should say \"%s\"", says);
	cJSON_Delete(r);
}

static void
test_bruteforce_lockout(void **state)
{
	struct daemon_opts	 opts = { .extra_config = "\"auth_max_failures\":3,"
	    "\"auth_window_s\":60,\"auth_lockout_s\":1,\"auth_lockout_max_s\":4" };
	struct daemon		*d = daemon_start(&opts);
	struct conn		*known = login(d, "S01"), *c = conn_open(d), *c2, *elsewhere;
	int			 i;

	(void)state;
	/* malformed hellos are bad_request and do not count */
	for (i = 0; i < 5; i++)
		rq_bad(c, "token", "{\"op\":\"hello\",\"terminal\":\"T01\"}");
	hello_refused(c, "T01", "guess-1-secret", "not recognised");
	hello_refused(c, "X99", "guess-2-secret", "not recognised");
	hello_refused(c, "S01", "guess-3-secret", "not recognised");
	/* locked: even the right token, from any connection of this address */
	hello_refused(c, "T01", "tok-T01", "too many failed attempts; try again in 1 s");
	c2 = conn_open(d);
	hello_refused(c2, "K01", "tok-K01", "too many failed attempts; try again in 1 s");
	rq_err(c2, "unauthenticated", "{\"op\":\"queue.snapshot\"}");
	/* a session already open is not touched; another address is not locked */
	ping_works(known);
	cJSON_Delete(rq_ok(known, "{\"op\":\"queue.snapshot\"}"));
	elsewhere = conn_open_from(d, "127.0.0.2", 0);
	hello(elsewhere, "T02");
	ping_works(elsewhere);

	/* the lockout ends */
	sleep_ms(1100);
	hello(c, "T01");
	ping_works(c);
	/* a success does not clear the count; the next lockout is twice as long */
	hello_refused(c2, "T01", "guess-4-secret", "not recognised");
	hello_refused(c2, "T01", "guess-5-secret", "not recognised");
	hello_refused(c2, "T01", "guess-6-secret", "not recognised");
	hello_refused(c2, "K01", "tok-K01", "try again in 2 s");
	sleep_ms(1100);
	hello_refused(c2, "K01", "tok-K01", "try again in 1 s");
	sleep_ms(1000);
	hello(c2, "K01");
	/* the session that said hello meanwhile kept its role */
	cJSON_Delete(rq_ok(c, "{\"op\":\"window.open\",\"window\":2,\"lanes\":[\"counter\"]}"));

	expect_that(daemon_log_contains(d, "event=auth_failure peer=127.0.0.1:"), NULL,
	    "failed hellos are logged");
	expect_that(daemon_log_contains(d, "terminal=T01 reason=bad_token"), NULL,
	    "a known terminal is named");
	expect_that(daemon_log_contains(d, "terminal=unknown reason=unknown_terminal"), NULL,
	    "an unknown one is not");
	expect_that(daemon_log_contains(d, "event=auth_lockout peer=127.0.0.1:"), NULL,
	    "the lockout is logged");
	expect_that(daemon_log_contains(d, "lockout_s=2"), NULL, "the second lockout doubled");
	expect_that(!daemon_log_contains(d, "guess-"), NULL, "a guessed token is in the log");
	conn_close(elsewhere);
	daemon_stop(d);
}

/* The window: failures spread wider than auth_window_s never lock. */
static void
test_bruteforce_window(void **state)
{
	struct daemon_opts	 opts = { .extra_config = "\"auth_max_failures\":2,"
	    "\"auth_window_s\":1,\"auth_lockout_s\":60" };
	struct daemon		*d = daemon_start(&opts);
	struct conn		*c = conn_open(d);
	int			 i;

	(void)state;
	for (i = 0; i < 3; i++) {
		hello_refused(c, "T01", "wrong", "not recognised");
		sleep_ms(1100);
	}
	hello(c, "T01");
	/* and two quick ones do (a new connection: c said hello) */
	c = conn_open(d);
	hello_refused(c, "T01", "wrong", "not recognised");
	hello_refused(c, "T01", "wrong", "not recognised");
	hello_refused(c, "T01", "tok-T01", "try again in 60 s");
	daemon_stop(d);
}

/* ---- the log ---- */

/* Notable events are structured; tokens and customers' details never appear. */
static void
test_log(void **state)
{
	static const char *const never[] = {
		"tok-", "13812345678", "Wang Xiaoming", "not-a-real-token", NULL
	};
	static const char *const events[] = {
		"info: event=config file=", "info: event=nofile soft=", "info: event=limits ",
		"info: event=start branch=E2E-001 listen=127.0.0.1:",
		"info: event=hello peer=127.0.0.1:", "terminal=T01 role=teller staff=E1001",
		"warn: event=auth_failure peer=127.0.0.1:", "terminal=unknown reason=unknown_terminal",
		"terminal=T02 reason=bad_token", "info: event=overdue complaint=1 owner=E1001",
		"info: event=day_end expired=1", "info: event=stop signal=SIGTERM",
		"info: event=stopped", NULL
	};
	struct daemon	*d = daemon_start(NULL);
	struct conn	*t = login(d, "T01"), *s = login(d, "S01"), *c = conn_open(d);
	cJSON		*r;
	size_t		 i;

	(void)state;
	/* a token typed into the terminal field, and a wrong token */
	hello_refused(c, "tok-T01", "tok-S01", "not recognised");
	hello_refused(c, "T02", "not-a-real-token", "not recognised");
	/* a complaint with a customer, its history, a report, a follow-up falling due */
	r = rq_ok(t, "{\"op\":\"complaint.log\",\"category\":\"fees\",\"severity\":2,"
	    "\"description\":\"charged twice\",\"channel\":\"counter\","
	    "\"customer\":{\"name\":\"Wang Xiaoming\",\"phone\":\"13812345678\"}}");
	cJSON_Delete(r);
	cJSON_Delete(rq_ok(t, "{\"op\":\"complaint.action\",\"id\":1,\"kind\":\"note\","
	    "\"note\":\"called 13812345678 back\"}"));
	cJSON_Delete(rq_ok(s, "{\"op\":\"report.followups\",\"status\":\"all\"}"));
	cJSON_Delete(issue(login(d, "K01"), "loan", 0, NULL));	/* expires at day end */
	advance(s, 25 * 3600);
	cJSON_Delete(rq_ok(s, "{\"op\":\"ping\"}"));
	daemon_stop(d);

	for (i = 0; never[i] != NULL; i++) {
		if (daemon_log_contains(d, never[i]))
			daemon_print_log(d);
		expect_that(!daemon_log_contains(d, never[i]), NULL,
		    "\"%s\" must never be in the log", never[i]);
	}
	for (i = 0; events[i] != NULL; i++) {
		if (!daemon_log_contains(d, events[i]))
			daemon_print_log(d);
		expect_that(daemon_log_contains(d, events[i]), NULL, "the log lacks \"%s\"",
		    events[i]);
	}
}

/* Start-up raises the open-files limit as far as max_connections and
 * http_max_connections (4096 by default) need. */
#define NOFILE_WANTED	(16384 + 4096 + 64)
static void
test_nofile(void **state)
{
	struct rlimit	 saved, low;
	struct daemon	*d;
	char		 want[96];

	(void)state;
	assert_int_equal(getrlimit(RLIMIT_NOFILE, &saved), 0);
	if (saved.rlim_max != RLIM_INFINITY && saved.rlim_max < NOFILE_WANTED + 1) {
		print_message("hard open-files limit %llu: checking the lowered cap only\n",
		    (unsigned long long)saved.rlim_max);
	}
	low = saved;
	low.rlim_cur = 256;
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &low), 0);
	d = daemon_start(NULL);		/* inherits the low soft limit */
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &saved), 0);
	expect_that(daemon_log_contains(d, "event=nofile"), NULL, "the log says what it got");
	if (!under_wrapper()) {
		/* valgrind keeps the limit for itself */
		expect_that(daemon_log_contains(d, "was=256"), NULL, "the limit it started with");
		if (saved.rlim_max == RLIM_INFINITY || saved.rlim_max >= NOFILE_WANTED)
			snprintf(want, sizeof want, "event=nofile soft=%d ", NOFILE_WANTED);
		else
			snprintf(want, sizeof want, "event=nofile soft=%llu ",
			    (unsigned long long)saved.rlim_max);
		if (!daemon_log_contains(d, want))
			daemon_print_log(d);
		expect_that(daemon_log_contains(d, want), NULL, "want \"%s\"", want);
	}
	ping_works(login(d, "K01"));
	daemon_stop(d);
}

/*
 * A hard limit that leaves no room for max_connections: the cap comes down
 * to what the descriptors allow, and the clients past it are refused
 * politely rather than left to a failing accept().  Lowers this process's
 * hard limit for good, so it runs last.
 */
static void
test_nofile_caps_connections(void **state)
{
	enum { CLIENTS = 60 };
	struct rlimit	 rl;
	struct daemon	*d;
	struct conn	*c[CLIENTS];
	cJSON		*r;
	int		 i, refused = 0;

	(void)state;
	if (under_wrapper()) {
		print_message("skipped under a wrapper: valgrind needs descriptors of its own\n");
		return;
	}
	rl.rlim_cur = rl.rlim_max = 100;
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &rl), 0);
	d = daemon_start(NULL);
	if (!daemon_log_contains(d, "max_connections=50 configured=16384 nofile=100"))
		daemon_print_log(d);
	expect_that(daemon_log_contains(d, "max_connections=50 configured=16384 nofile=100"),
	    NULL, "the cap comes down to what 100 descriptors allow");
	for (i = 0; i < CLIENTS; i++)
		c[i] = conn_open(d);
	sleep_ms(300);	/* refusals come at once: the accepted say nothing */
	for (i = 0; i < CLIENTS; i++) {
		if ((r = read_reply(c[i], 20)) == NULL)
			continue;
		expect_error(r, "unavailable");
		expect_str(r, "error.message", "too many connections (limit 50)");
		cJSON_Delete(r);
		refused++;
	}
	expect_that(refused == CLIENTS - 50, NULL, "%d of %d refused, not %d", refused,
	    CLIENTS, CLIENTS - 50);
	for (i = 0; i < CLIENTS; i++)
		conn_close(c[i]);
	for (i = 0; i < 50; i++) {
		c[0] = conn_open(d);
		if ((r = read_reply(c[0], 100)) == NULL)
			break;
		cJSON_Delete(r);
		conn_close(c[0]);
	}
	hello(c[0], "K01");
	ping_works(c[0]);
	daemon_stop(d);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_json_shape, harness_teardown),
		cmocka_unit_test_teardown(test_bytes, harness_teardown),
		cmocka_unit_test_teardown(test_embedded_nul, harness_teardown),
		cmocka_unit_test_teardown(test_numbers, harness_teardown),
		cmocka_unit_test_teardown(test_string_lengths, harness_teardown),
		cmocka_unit_test_teardown(test_repeated_names, harness_teardown),
		cmocka_unit_test_teardown(test_line_limit, harness_teardown),
		cmocka_unit_test_teardown(test_connection_cap, harness_teardown),
		cmocka_unit_test_teardown(test_hello_deadline, harness_teardown),
		cmocka_unit_test_teardown(test_idle_limit, harness_teardown),
		cmocka_unit_test_teardown(test_slow_subscriber, harness_teardown),
		cmocka_unit_test_teardown(test_unread_replies, harness_teardown),
		cmocka_unit_test_teardown(test_write_stall, harness_teardown),
		cmocka_unit_test_teardown(test_memory_bounded, harness_teardown),
		cmocka_unit_test_teardown(test_bruteforce_lockout, harness_teardown),
		cmocka_unit_test_teardown(test_bruteforce_window, harness_teardown),
		cmocka_unit_test_teardown(test_log, harness_teardown),
		cmocka_unit_test_teardown(test_nofile, harness_teardown),
		cmocka_unit_test_teardown(test_nofile_caps_connections, harness_teardown),
	};

	return cmocka_run_group_tests_name("e2e_limits", tests, NULL, NULL);
}
