/*
 * End-to-end: HTTP sessions (PROTOCOL "HTTP (version 1.1)", "Sign-in"):
 * POST/GET/DELETE /api/v1/session and its cookie, the bearer, the lockout
 * shared with TCP hello, expiry on the daemon clock, revocation by the
 * configuration, survival across a restart and a crash.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "harness.h"

#define TODAY		"2026-11-23"
#define ISSUE_LOAN	"{\"service\":\"loan\"}"
#define STAFF_EXPIRY	"2026-11-23T13:00:00Z"	/* H_CLOCK_START + 12 h */
#define DEVICE_EXPIRY	"2026-12-23T01:00:00Z"	/* H_CLOCK_START + 30 d */

static struct daemon *
start_http(const char *extra_config)
{
	struct daemon_opts	opts = { .http = "127.0.0.1:0", .extra_config = extra_config };

	return daemon_start(&opts);
}

static const char *
signin_body(const char *terminal, const char *token)
{
	return hfmt("{\"terminal\":\"%s\",\"token\":\"%s\"}", terminal, token);
}

static struct hresp *
sign_in(struct daemon *d, struct hclient *b, const char *terminal, const char *token)
{
	return http_rq(d, "POST", "/api/v1/session", .client = b,
	    .body = signin_body(terminal, token));
}

/*
 * The attribute of a Set-Cookie value ("HttpOnly", "Path"), any case: its
 * value ("" for a flag), or NULL when absent.
 */
static const char *
cookie_attr(const char *set_cookie, const char *name)
{
	const char	*p = strchr(set_cookie, ';');
	size_t		 n = strlen(name), len;

	while (p != NULL) {
		p++;
		while (*p == ' ')
			p++;
		len = strcspn(p, ";=");
		if (len == n && strncasecmp(p, name, n) == 0) {
			if (p[len] != '=')
				return "";
			return hfmt("%.*s", (int)strcspn(p + len + 1, ";"), p + len + 1);
		}
		p = strchr(p, ';');
	}
	return NULL;
}

/* The Set-Cookie header that sets bq_session (exactly one), checked. */
#define session_cookie(r)	h_session_cookie(__FILE__, __LINE__, (r))
static const char *
h_session_cookie(const char *file, int line, const struct hresp *r)
{
	const char	*v, *found = NULL;
	size_t		 i, n = 0;

	for (i = 0; (v = hresp_header_n(r, "Set-Cookie", i)) != NULL; i++)
		if (strncmp(v, "bq_session=", 11) == 0) {
			found = v;
			n++;
		}
	h_expect_http(file, line, n == 1, r, "expected one Set-Cookie for bq_session, got %zu", n);
	return found;
}

/* The reply of a sign-in or of GET /api/v1/session: who it is. */
#define expect_who(r, term, role, staff, expires) \
	h_expect_who(__FILE__, __LINE__, (r), (term), (role), (staff), (expires))
static void
h_expect_who(const char *file, int line, const struct hresp *r, const char *terminal,
    const char *role, const char *staff, const char *expires_at)
{
	h_expect_http_ok(file, line, r);
	h_expect_str(file, line, r->hr_json, "terminal", terminal);
	h_expect_str(file, line, r->hr_json, "role", role);
	if (staff != NULL)
		h_expect_str(file, line, r->hr_json, "staff", staff);
	else
		h_expect_that(file, line, jget(r->hr_json, "staff") == NULL ||
		    cJSON_IsNull(jget(r->hr_json, "staff")), r->hr_json, "a %s has no staff", role);
	h_expect_str(file, line, r->hr_json, "branch", "E2E-001");
	h_expect_str(file, line, r->hr_json, "timezone", "Asia/Shanghai");
	h_expect_str(file, line, r->hr_json, "business_date", TODAY);
	h_expect_int(file, line, r->hr_json, "proto", 1);
	if (expires_at != NULL)
		h_expect_str(file, line, r->hr_json, "expires_at", expires_at);
}

/* The session works (GET /api/v1/session) or is gone (401 there and on an op). */
#define session_works(b, term)	h_session_state(__FILE__, __LINE__, (b), (term), true)
#define session_gone(b)		h_session_state(__FILE__, __LINE__, (b), NULL, false)
static void
h_session_state(const char *file, int line, struct hclient *b, const char *terminal, bool works)
{
	struct hresp	*r = h_http_rq(file, line, NULL, "GET", "/api/v1/session",
	    &(const struct hopts){ .client = b });

	struct hresp	*o = h_http_rq(file, line, NULL, "GET", "/api/v1/session?optional=1",
	    &(const struct hopts){ .client = b });

	/* ?optional=1 (what the pages ask): 200 either way */
	h_expect_http_ok(file, line, o);
	if (works) {
		h_expect_http_ok(file, line, r);
		h_expect_str(file, line, r->hr_json, "terminal", terminal);
		h_expect_str(file, line, o->hr_json, "terminal", terminal);
		r = h_http_op(file, line, NULL, NULL, b, "queue.snapshot", "{}");
		h_expect_http_ok(file, line, r);
	} else {
		h_expect_http_error(file, line, r, 401, "unauthenticated");
		h_expect_bool(file, line, o->hr_json, "signed_in", false);
		h_expect_http(file, line, cJSON_GetArraySize(o->hr_json) == 2, o,
		    "not signed in, ?optional=1 says only ok and signed_in");
		r = h_http_op(file, line, NULL, NULL, b, "queue.snapshot", "{}");
		h_expect_http_error(file, line, r, 401, "unauthenticated");
	}
}

/* ---- sign-in ---- */

static void
test_sign_in(void **state)
{
	struct daemon	*d = start_http(NULL);
	struct hclient	*t = hclient_new(d), *t2 = hclient_new(d), *k = hclient_new(d);
	struct hresp	*r;
	const char	*sc, *value;
	size_t		 i;

	(void)state;
	r = sign_in(d, t, "T01", "tok-T01");
	expect_who(r, "T01", "teller", "E1001", STAFF_EXPIRY);
	sc = session_cookie(r);
	/* bq_session=<64 hex>; HttpOnly; SameSite=Strict; Path=/ (no Secure without TLS) */
	value = sc + strlen("bq_session=");
	for (i = 0; isxdigit((unsigned char)value[i]); i++)
		;
	expect_http(i == 64 && (value[i] == ';' || value[i] == '\0'), r,
	    "the session cookie's value is not 64 hex digits");
	expect_http(cookie_attr(sc, "HttpOnly") != NULL, r, "the cookie is not HttpOnly");
	expect_http(cookie_attr(sc, "SameSite") != NULL &&
	    strcasecmp(cookie_attr(sc, "SameSite"), "Strict") == 0, r,
	    "the cookie is not SameSite=Strict");
	expect_http(cookie_attr(sc, "Path") != NULL && strcmp(cookie_attr(sc, "Path"), "/") == 0,
	    r, "the cookie's Path is not /");
	expect_http(cookie_attr(sc, "Max-Age") == NULL ||
	    strcmp(cookie_attr(sc, "Max-Age"), "43200") == 0, r,
	    "the cookie outlives its session (Max-Age is not the 12 hours to expires_at)");
	expect_http(cookie_attr(sc, "Secure") == NULL, r, "a Secure cookie over plain HTTP");
	expect_http(cookie_attr(sc, "Domain") == NULL, r, "the cookie names a Domain");

	/* who it is, and it acts as that terminal */
	expect_who(http_rq(d, "GET", "/api/v1/session", .client = t), "T01", "teller", "E1001",
	    STAFF_EXPIRY);
	r = hc_op(t, "window.open", "{\"window\":1,\"lanes\":[\"counter\"]}");
	expect_http_ok(r);
	expect_str(r->hr_json, "window.terminal", "T01");
	expect_str(r->hr_json, "window.staff", "E1001");
	/* among a browser's other cookies */
	expect_http_ok(http_rq(d, "GET", "/api/v1/session",
	    .cookie = hfmt("theme=dark; %s; lang=zh", t->hc_cookie)));

	/* a kiosk: no staff, 30 days, and a kiosk's rights */
	r = sign_in(d, k, "K01", "tok-K01");
	expect_who(r, "K01", "kiosk", NULL, DEVICE_EXPIRY);
	expect_http_error(hc_op(k, "window.open", "{\"window\":2,\"lanes\":[\"counter\"]}"), 403,
	    "forbidden");
	expect_http_ok(hc_op(k, "ticket.issue", ISSUE_LOAN));
	/* each sign-in its own session */
	expect_http_ok(sign_in(d, t2, "T01", "tok-T01"));
	expect_http(strcmp(t->hc_cookie, t2->hc_cookie) != 0, NULL,
	    "two sign-ins got the same cookie");
	session_works(t, "T01");
	session_works(t2, "T01");
	daemon_stop(d);
}

static void
test_sign_in_refused(void **state)
{
	struct daemon	*d = start_http(NULL);
	struct hclient	*b = hclient_new(d);
	struct hresp	*wrong, *unknown, *r;

	(void)state;
	wrong = sign_in(d, b, "T01", "tok-T02");
	expect_http_error(wrong, 401, "unauthenticated");
	expect_no_header(wrong, "Set-Cookie");
	unknown = sign_in(d, b, "X99", "tok-X99");
	expect_http_error(unknown, 401, "unauthenticated");
	expect_no_header(unknown, "Set-Cookie");
	expect_http(strcmp(jstr(wrong->hr_json, "error.message"),
	    jstr(unknown->hr_json, "error.message")) == 0, unknown,
	    "an unknown terminal and a wrong token must read the same (wrong token: %s)",
	    jstr(wrong->hr_json, "error.message"));
	expect_http_error(sign_in(d, b, "t01", "tok-T01"), 401, "unauthenticated");
	expect_http_bad_request(http_rq(d, "POST", "/api/v1/session", .client = b,
	    .body = "{\"terminal\":\"T01\"}"), "token");
	expect_http_bad_request(http_rq(d, "POST", "/api/v1/session", .client = b,
	    .body = "{\"token\":\"tok-T01\"}"), "terminal");
	expect_http_error(http_rq(d, "POST", "/api/v1/session", .client = b,
	    .body = "{\"terminal\":"), 400, "bad_json");
	expect_http_error(http_rq(d, "POST", "/api/v1/session", .client = b,
	    .body = signin_body("T01", "tok-T01"), .type = "text/plain"), 415,
	    "unsupported_media_type");
	expect_http(b->hc_cookie[0] == '\0', NULL, "a refused sign-in left a cookie");
	/* no session: who am I is 401, with no cookie, a made-up one, a garbled one */
	expect_http_error(http_rq(d, "GET", "/api/v1/session"), 401, "unauthenticated");
	expect_http_error(http_rq(d, "GET", "/api/v1/session", .cookie = "bq_session="
	    "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"), 401,
	    "unauthenticated");
	expect_http_error(http_rq(d, "GET", "/api/v1/session", .cookie = "bq_session=%00'\";x"),
	    401, "unauthenticated");
	r = http_op(d, NULL, "queue.snapshot", "{}");
	expect_http_error(r, 401, "unauthenticated");
	expect_that(!daemon_log_contains(d, "tok-T02") && !daemon_log_contains(d, "tok-X99"),
	    NULL, "a token tried is in the log");
	daemon_stop(d);
}

static void
test_sign_out(void **state)
{
	struct daemon	*d = start_http(NULL);
	struct hclient	*t = http_login(d, "T01"), *again = http_login(d, "T01");
	struct hresp	*r;
	const char	*sc, *old;

	(void)state;
	old = hfmt("%s", t->hc_cookie);
	r = http_rq(d, "DELETE", "/api/v1/session", .client = t);
	expect_http_ok(r);
	expect_http(cJSON_GetArraySize(r->hr_json) == 1, r, "sign-out answers {\"ok\":true}");
	sc = session_cookie(r);
	expect_http(cookie_attr(sc, "Max-Age") != NULL &&
	    strcmp(cookie_attr(sc, "Max-Age"), "0") == 0, r, "the cookie has no Max-Age=0");
	expect_http(cookie_attr(sc, "Path") != NULL && strcmp(cookie_attr(sc, "Path"), "/") == 0,
	    r, "the clearing cookie's Path is not / (the browser would keep the old one)");
	/* the old value no longer works, even sent by hand */
	expect_http_error(http_rq(d, "GET", "/api/v1/session", .cookie = old), 401,
	    "unauthenticated");
	expect_http_error(http_rq(d, "POST", "/api/v1/op/queue.snapshot", .cookie = old,
	    .origin = hfmt("http://127.0.0.1:%d", d->d_http_port), .body = "{}"), 401,
	    "unauthenticated");
	/* the terminal's other session is not touched */
	session_works(again, "T01");
	daemon_stop(d);
}

/*
 * Sign-ins come faster than the clock's seconds (the test clock stands
 * still): each new session works at once, and a terminal keeps its 16
 * newest, the older ones ending.
 */
static void
test_many_sign_ins(void **state)
{
	struct daemon	*d = start_http(NULL);
	struct hclient	*b[40];
	int		 i;

	(void)state;
	for (i = 0; i < 40; i++) {
		b[i] = http_login(d, "T02");
		session_works(b[i], "T02");
	}
	for (i = 0; i < 40; i++) {
		if (i >= 40 - 16)
			session_works(b[i], "T02");
		else
			expect_http_error(http_rq(d, "GET", "/api/v1/session", .client = b[i]), 401,
			    "unauthenticated");
	}
	/* another terminal's session is no part of T02's count */
	session_works(http_login(d, "T01"), "T01");
	daemon_stop(d);
}

/* ---- the bearer ---- */

static void
test_bearer(void **state)
{
	static const char *const wrong[] = {
		"Bearer T01:tok-T02", "Bearer T01", "Bearer :tok-T01", "Bearer T01:",
		"Bearer X99:tok-X99", "Basic VDAxOnRvay1UMDE=", "Bearer", "T01:tok-T01", NULL
	};
	struct daemon	*d = start_http(NULL);
	struct hresp	*r;
	size_t		 i;

	(void)state;
	r = http_rq(d, "GET", "/api/v1/session", .bearer = "T01");
	expect_who(r, "T01", "teller", "E1001", NULL);
	expect_no_header(r, "Set-Cookie");
	r = http_op(d, "T01", "window.open", "{\"window\":5,\"lanes\":[\"counter\"]}");
	expect_http_ok(r);
	expect_no_header(r, "Set-Cookie");
	expect_str(r->hr_json, "window.terminal", "T01");
	r = http_op(d, "S01", "report.followups", "{}");
	expect_http_ok(r);
	expect_no_header(r, "Set-Cookie");
	/* a wrong one: 401 wherever it is sent, even where no sign-in is needed */
	for (i = 0; wrong[i] != NULL; i++) {
		r = http_rq(d, "POST", "/api/v1/op/queue.snapshot", .auth = wrong[i], .body = "{}");
		expect_http_error(r, 401, "unauthenticated");
		expect_no_header(r, "Set-Cookie");
	}
	expect_http_error(http_rq(d, "POST", "/api/v1/op/ping", .auth = "Bearer T01:tok-T02",
	    .body = "{}"), 401, "unauthenticated");
	expect_http_error(http_rq(d, "GET", "/api/v1/session", .auth = "Bearer T01:tok-T02"), 401,
	    "unauthenticated");
	daemon_stop(d);
}

/* ---- lockout ---- */

#define LOCKOUT_CONFIG	"\"auth_max_failures\":3,\"auth_window_s\":60,\"auth_lockout_s\":60"

#define expect_locked(r)	h_expect_locked(__FILE__, __LINE__, (r))
static void
h_expect_locked(const char *file, int line, const struct hresp *r)
{
	const char	*after;
	long long	 s;

	h_expect_http_error(file, line, r, 429, "unauthenticated");
	s = jint(r->hr_json, "error.detail.retry_after_s");
	h_expect_http(file, line, s >= 1 && s <= 60, r, "error.detail.retry_after_s should be "
	    "1 … 60 s");
	after = hresp_header(r, "Retry-After");
	h_expect_http(file, line, after != NULL && atoll(after) == s, r,
	    "expected Retry-After: %lld", s);
	h_expect_no_header(file, line, r, "Set-Cookie");
}

static void
test_lockout(void **state)
{
	struct daemon	*d = start_http(LOCKOUT_CONFIG);
	struct hclient	*before = http_login(d, "T02"), *b = hclient_new(d);
	struct conn	*c;
	cJSON		*reply;
	int		 i;

	(void)state;
	for (i = 0; i < 3; i++)
		expect_http_error(sign_in(d, b, "T01", hfmt("guess-%d", i)), 401,
		    "unauthenticated");
	/* locked: the right token, another terminal, the hello op */
	expect_locked(sign_in(d, b, "T01", "tok-T01"));
	expect_locked(sign_in(d, b, "K01", "tok-K01"));
	expect_locked(http_op(d, NULL, "hello", "{\"terminal\":\"K01\",\"token\":\"tok-K01\"}"));
	expect_http(b->hc_cookie[0] == '\0', NULL, "a locked-out sign-in set a cookie");
	/* the same table as TCP hello */
	c = conn_open(d);
	reply = rq(c, "{\"op\":\"hello\",\"terminal\":\"T01\",\"token\":\"tok-T01\"}");
	expect_error(reply, "unauthenticated");
	expect_that(strstr(jstr(reply, "error.message"), "too many failed attempts") != NULL,
	    reply, "TCP hello is not locked out by failed HTTP sign-ins");
	cJSON_Delete(reply);
	/* a session from before is not touched, nor what needs no sign-in */
	session_works(before, "T02");
	expect_http_ok(http_rq(d, "GET", "/healthz"));
	expect_http_ok(http_op(d, NULL, "ping", "{}"));
	expect_that(daemon_log_contains(d, "event=auth_lockout peer=127.0.0.1"), NULL,
	    "the lockout is logged");
	daemon_stop(d);
}

/* Failed TCP hellos lock HTTP sign-in out; failed HTTP hello ops count. */
static void
test_lockout_shared(void **state)
{
	struct daemon	*d = start_http(LOCKOUT_CONFIG);
	struct hclient	*b = hclient_new(d);
	struct conn	*c = conn_open(d);
	int		 i;

	(void)state;
	for (i = 0; i < 3; i++)
		rq_err(c, "unauthenticated", "{\"op\":\"hello\",\"terminal\":\"T01\","
		    "\"token\":\"guess-%d\"}", i);
	expect_locked(sign_in(d, b, "T01", "tok-T01"));
	daemon_stop(d);

	d = start_http(LOCKOUT_CONFIG);
	b = hclient_new(d);
	for (i = 0; i < 3; i++)
		expect_http_error(http_op(d, NULL, "hello", "{\"terminal\":\"T01\","
		    "\"token\":\"guess-%d\"}", i), 401, "unauthenticated");
	expect_locked(sign_in(d, b, "T01", "tok-T01"));
	/* and TCP hello with the right token is locked out too */
	c = conn_open(d);
	rq_err(c, "unauthenticated", "{\"op\":\"hello\",\"terminal\":\"T01\",\"token\":\"tok-T01\"}");
	daemon_stop(d);
}

/* The lockout ends (auth_lockout_s 1): a sign-in is taken again. */
static void
test_lockout_ends(void **state)
{
	struct daemon	*d = start_http("\"auth_max_failures\":2,\"auth_window_s\":60,"
	    "\"auth_lockout_s\":1,\"auth_lockout_max_s\":1");
	struct hclient	*b = hclient_new(d);
	struct hresp	*r;
	struct timespec	 pause = { 0, 100 * 1000000L };
	int		 i;

	(void)state;
	for (i = 0; i < 2; i++)
		expect_http_error(sign_in(d, b, "T01", "wrong"), 401, "unauthenticated");
	expect_locked(sign_in(d, b, "T01", "tok-T01"));
	/* wait for it to end: at most 20 s, whatever the machine */
	for (i = 0; i < 200; i++) {
		r = sign_in(d, b, "T01", "tok-T01");
		if (r->hr_status != 429)
			break;
		nanosleep(&pause, NULL);
	}
	expect_who(r, "T01", "teller", "E1001", STAFF_EXPIRY);
	session_works(b, "T01");
	daemon_stop(d);
}

/* ---- expiry, on the daemon clock ---- */

static void
test_expiry(void **state)
{
	struct daemon	*d = start_http(NULL);
	struct conn	*s = login(d, "S01");
	struct hclient	*t, *l, *sup, *k, *disp;

	(void)state;
	t = http_login(d, "T01");
	l = http_login(d, "L01");
	sup = http_login(d, "S01");
	k = http_login(d, "K01");
	disp = http_login(d, "D01");
	expect_who(http_rq(d, "GET", "/api/v1/session", .client = l), "L01", "lobby", "E2001",
	    STAFF_EXPIRY);
	expect_who(http_rq(d, "GET", "/api/v1/session", .client = disp), "D01", "display", NULL,
	    DEVICE_EXPIRY);
	/* staff: 12 hours; at expires_at the session is over (the cookie's Max-Age too) */
	advance(s, 12 * 3600 - 1);
	session_works(t, "T01");
	session_works(l, "L01");
	session_works(sup, "S01");
	advance(s, 1);
	session_gone(t);
	session_gone(l);
	session_gone(sup);
	/* a new sign-in is a new 12 hours */
	t = http_login(d, "T01");
	session_works(t, "T01");
	/* kiosks and displays: 30 days */
	session_works(k, "K01");
	session_works(disp, "D01");
	advance(s, 30 * 86400 - 1 - 12 * 3600);
	session_works(k, "K01");
	session_works(disp, "D01");
	advance(s, 1);
	session_gone(k);
	session_gone(disp);
	daemon_stop(d);
}

/* The lengths are configuration; clock.advance over HTTP moves the clock too. */
static void
test_expiry_configured(void **state)
{
	struct daemon	*d = start_http("\"http_session_staff_hours\":1,"
	    "\"http_session_device_days\":2");
	struct hclient	*t = http_login(d, "T01"), *k = http_login(d, "K01");

	(void)state;
	expect_who(http_rq(d, "GET", "/api/v1/session", .client = t), "T01", "teller", "E1001",
	    "2026-11-23T02:00:00Z");
	expect_who(http_rq(d, "GET", "/api/v1/session", .client = k), "K01", "kiosk", NULL,
	    "2026-11-25T01:00:00Z");
	expect_http_ok(http_op(d, "S01", "clock.advance", "{\"seconds\":3599}"));
	session_works(t, "T01");
	expect_http_ok(http_op(d, "S01", "clock.advance", "{\"seconds\":1}"));
	session_gone(t);
	session_works(k, "K01");
	expect_http_ok(http_op(d, "S01", "clock.advance", "{\"seconds\":%d}",
	    2 * 86400 - 3600 - 1));
	session_works(k, "K01");
	expect_http_ok(http_op(d, "S01", "clock.advance", "{\"seconds\":1}"));
	session_gone(k);
	daemon_stop(d);
}

/* ---- restart, crash, revocation ---- */

static void
test_session_survives_restart(void **state)
{
	struct daemon	*d = start_http(NULL);
	struct hclient	*t = http_login(d, "T01"), *k = http_login(d, "K01"), *late;
	const char	*old;

	(void)state;
	expect_http_ok(hc_op(k, "ticket.issue", ISSUE_LOAN));
	daemon_stop(d);
	daemon_restart(d);
	expect_who(http_rq(d, "GET", "/api/v1/session", .client = t), "T01", "teller", "E1001",
	    STAFF_EXPIRY);
	session_works(k, "K01");
	expect_http_ok(hc_op(t, "window.open", "{\"window\":1,\"lanes\":[\"counter\"]}"));
	/* a sign-in answered is kept: a crash right after it loses nothing */
	late = http_login(d, "L01");
	daemon_kill(d);
	daemon_restart(d);
	session_works(late, "L01");
	session_works(t, "T01");
	/* and a sign-out answered stays done */
	old = hfmt("%s", k->hc_cookie);
	expect_http_ok(http_rq(d, "DELETE", "/api/v1/session", .client = k));
	daemon_kill(d);
	daemon_restart(d);
	expect_http_error(http_rq(d, "GET", "/api/v1/session", .cookie = old), 401,
	    "unauthenticated");
	daemon_stop(d);
}

static void
test_revoked_by_token_change(void **state)
{
	struct daemon	*d = start_http(NULL);
	struct hclient	*t = http_login(d, "T01"), *k = http_login(d, "K01"), *b;
	struct hresp	*r;

	(void)state;
	daemon_stop(d);
	config_set_token(d, "T01", "tok-T01-new");
	daemon_restart(d);
	session_gone(t);
	session_works(k, "K01");
	expect_http_error(http_rq(d, "GET", "/api/v1/session", .bearer = "T01"), 401,
	    "unauthenticated");
	r = http_rq(d, "GET", "/api/v1/session", .auth = "Bearer T01:tok-T01-new");
	expect_who(r, "T01", "teller", "E1001", NULL);
	b = hclient_new(d);
	expect_http_error(sign_in(d, b, "T01", "tok-T01"), 401, "unauthenticated");
	expect_who(sign_in(d, b, "T01", "tok-T01-new"), "T01", "teller", "E1001", STAFF_EXPIRY);
	session_works(b, "T01");
	daemon_stop(d);
}

static void
test_revoked_by_removal(void **state)
{
	struct daemon	*d = start_http(NULL);
	struct hclient	*t2 = http_login(d, "T02"), *s = http_login(d, "S01");
	struct hclient	*l = http_login(d, "L01");

	(void)state;
	daemon_stop(d);
	config_remove_terminal(d, "T02");
	config_remove_terminal(d, "S01");	/* the last in the list */
	daemon_restart(d);
	session_gone(t2);
	session_gone(s);
	session_works(l, "L01");
	expect_http_error(http_rq(d, "GET", "/api/v1/session", .bearer = "T02"), 401,
	    "unauthenticated");
	expect_http_error(sign_in(d, hclient_new(d), "T02", "tok-T02"), 401, "unauthenticated");
	daemon_stop(d);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_sign_in, harness_teardown),
		cmocka_unit_test_teardown(test_sign_in_refused, harness_teardown),
		cmocka_unit_test_teardown(test_sign_out, harness_teardown),
		cmocka_unit_test_teardown(test_many_sign_ins, harness_teardown),
		cmocka_unit_test_teardown(test_bearer, harness_teardown),
		cmocka_unit_test_teardown(test_lockout, harness_teardown),
		cmocka_unit_test_teardown(test_lockout_shared, harness_teardown),
		cmocka_unit_test_teardown(test_lockout_ends, harness_teardown),
		cmocka_unit_test_teardown(test_expiry, harness_teardown),
		cmocka_unit_test_teardown(test_expiry_configured, harness_teardown),
		cmocka_unit_test_teardown(test_session_survives_restart, harness_teardown),
		cmocka_unit_test_teardown(test_revoked_by_token_change, harness_teardown),
		cmocka_unit_test_teardown(test_revoked_by_removal, harness_teardown),
	};

	return cmocka_run_group_tests_name("e2e_http_session", tests, NULL, NULL);
}
