/*
 * The HTTP face (PROTOCOL HTTP): what each path means.  http.c hands over
 * whole requests; this file checks who may ask (Host, Origin, the session
 * cookie or a bearer token), then answers from the same dispatcher, commit
 * barrier and publisher as the TCP transport:
 *
 *   POST /api/v1/op/NAME	proto_handle_op(), the reply after the commit
 *   /api/v1/session		sign-in with a cookie (websession.c)
 *   GET /api/v1/events		Server-Sent Events from the publisher
 *   GET /healthz		a write through the barrier: can the disk take it?
 *   GET /metrics		Prometheus text, from memory (metrics.c)
 *   GET /, /kiosk, ...		the built-in files (webfiles.c)
 *
 * Each request that runs an operation is an exchange: an outlet and a
 * session that live until its reply has left the barrier.
 */
#include <arpa/inet.h>

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cJSON.h>
#include <event2/event.h>

#include "branchq.h"

#define OP_PREFIX	"/api/v1/op/"
#define NO_STORE	"Cache-Control: no-store\r\n"
#define COOKIE_NAME	"bq_session"
#define SSE_RETRY_MS	2000	/* a browser reconnects after this */

static struct branch		*api_branch;
static struct event		*api_heartbeat;

/* ---- who asks ---- */

struct who {
	const struct terminal_conf	*w_term;	/* NULL: nobody signed in */
	bool				 w_bearer;	/* Authorization: Bearer */
	bool				 w_cookie;	/* carried bq_session, good or not */
	char				 w_session[WEBSESSION_COOKIE_LEN + 1];	/* its value */
	int64_t				 w_expires_at;	/* the cookie's session */
};

static const struct config *
api_cfg(void)
{
	return api_branch->b_cfg;
}

/* The HTTP status of a reply line: its error code's (PROTOCOL HTTP). */
static int
reply_status(const char *line, int64_t *retry_after_s)
{
	static const struct { const char *code; int status; } map[] = {
		{ "bad_json", 400 }, { "bad_request", 400 }, { "unauthenticated", 401 },
		{ "forbidden", 403 }, { "over_authority", 403 }, { "not_found", 404 },
		{ "unknown_op", 404 }, { "conflict", 409 }, { "unavailable", 503 },
		{ "internal", 500 }, { "line_too_long", 413 }, { "too_large", 413 },
		{ "method_not_allowed", 405 }, { "unsupported_media_type", 415 },
		{ "timeout", 408 },
	};
	const char	*code, *retry;
	size_t		 i, n;

	*retry_after_s = 0;
	if (strncmp(line, "{\"ok\":true", 10) == 0)
		return 200;
	if ((code = strstr(line, "\"code\":\"")) == NULL)
		return 500;
	code += 8;
	n = strcspn(code, "\"");
	for (i = 0; i < sizeof map / sizeof map[0]; i++) {
		if (strlen(map[i].code) != n || strncmp(map[i].code, code, n) != 0)
			continue;
		/* A sign-in refused for the lockout (its detail says how long). */
		if (map[i].status == 401 &&
		    (retry = strstr(line, "\"retry_after_s\":")) != NULL) {
			*retry_after_s = strtoll(retry + 16, NULL, 10);
			return 429;
		}
		return map[i].status;
	}
	return 500;
}

static void
respond_json(struct http_request *r, int status, const char *json, const char *headers)
{
	char	buf[256];

	snprintf(buf, sizeof buf, NO_STORE "%s", headers != NULL ? headers : "");
	http_respond(r, status, "application/json", json, strlen(json), buf);
}

static void
respond_verror(struct http_request *r, int status, const char *headers, enum err_code code,
    const char *fmt, va_list ap)
{
	struct bq_error	 err;
	char		*line;

	memset(&err, 0, sizeof err);
	err.e_code = code;
	vsnprintf(err.e_msg, sizeof err.e_msg, fmt, ap);
	line = json_error_reply_detail(NULL, &err);
	respond_json(r, status, line, headers);
	free(line);
}

/* An error in the protocol's shape: {"ok":false,"error":{"code","message"}}. */
static void
respond_error(struct http_request *r, int status, enum err_code code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void
respond_error(struct http_request *r, int status, enum err_code code, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	respond_verror(r, status, NULL, code, fmt, ap);
	va_end(ap);
}

/* The same with headers of its own (Allow). */
static void
respond_error_with(struct http_request *r, int status, const char *headers, enum err_code code,
    const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static void
respond_error_with(struct http_request *r, int status, const char *headers, enum err_code code,
    const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	respond_verror(r, status, headers, code, fmt, ap);
	va_end(ap);
}

/*
 * PROTOCOL HTTP (DNS rebinding): the Host a browser used must be an IP
 * address, localhost, or a configured name; a rebound name is refused.
 */
static bool
host_allowed(const char *host)
{
	char		 name[256];
	const char	*colon, *end;
	unsigned char	 addr[16];
	size_t		 n, i;

	if (host == NULL || *host == '\0')
		return false;
	if (host[0] == '[') {
		if ((end = strchr(host, ']')) == NULL || (size_t)(end - host - 1) >= sizeof name)
			return false;
		n = (size_t)(end - host - 1);
		memcpy(name, host + 1, n);
		name[n] = '\0';
		if (end[1] != '\0' && (end[1] != ':' || end[2] == '\0' ||
		    strspn(end + 2, "0123456789") != strlen(end + 2)))
			return false;
		return inet_pton(AF_INET6, name, addr) == 1;
	}
	colon = strchr(host, ':');
	n = colon != NULL ? (size_t)(colon - host) : strlen(host);
	if (n == 0 || n >= sizeof name)
		return false;
	if (colon != NULL && (colon[1] == '\0' ||
	    strspn(colon + 1, "0123456789") != strlen(colon + 1)))
		return false;
	memcpy(name, host, n);
	name[n] = '\0';
	if (inet_pton(AF_INET, name, addr) == 1 || strcasecmp(name, "localhost") == 0)
		return true;
	for (i = 0; i < api_cfg()->cf_nhttp_hosts; i++)
		if (strcasecmp(name, api_cfg()->cf_http_hosts[i]) == 0)
			return true;
	return false;
}

/* PROTOCOL HTTP (CSRF): a browser's POST or DELETE comes from our own pages. */
static bool
origin_matches(const struct http_request *r)
{
	const char	*origin = http_head_get(&r->hr_head, "Origin");
	const char	*host = http_head_get(&r->hr_head, "Host");
	const char	*scheme = r->hr_tls ? "https://" : "http://";
	size_t		 n = strlen(scheme);

	return origin != NULL && host != NULL && strncasecmp(origin, scheme, n) == 0 &&
	    strcasecmp(origin + n, host) == 0;
}

/* The value of cookie `name` in the Cookie header, or 0 when absent. */
static int
cookie_get(const struct http_request *r, const char *name, char *out, size_t outlen)
{
	const char	*c = http_head_get(&r->hr_head, "Cookie");
	size_t		 n = strlen(name), len;

	while (c != NULL && *c != '\0') {
		c += strspn(c, " \t;");
		len = strcspn(c, ";");
		if (len > n && strncmp(c, name, n) == 0 && c[n] == '=') {
			len -= n + 1;
			while (len > 0 && (c[n + 1 + len - 1] == ' ' || c[n + 1 + len - 1] == '\t'))
				len--;
			/* Too long to be ours: no session.  Cut to fit, a
			 * session's value with anything after it would pass. */
			if (len >= outlen)
				len = 0;
			memcpy(out, c + n + 1, len);
			out[len] = '\0';
			return 1;
		}
		c += len;
	}
	return 0;
}

/* A session's identity and address, for the dispatcher and the throttle. */
static void
session_of(struct session *s, const struct http_request *r, const struct terminal_conf *tc)
{
	memset(s, 0, sizeof *s);
	snprintf(s->s_peer, sizeof s->s_peer, "%s", r->hr_peer);
	memcpy(s->s_addr, r->hr_addr, sizeof s->s_addr);
	s->s_addr_len = r->hr_addr_len;
	s->s_conn_id = r->hr_id;
	if (tc != NULL)
		session_greet(s, tc);
}

/*
 * Who the request speaks for: 0, or -1 when it was answered (a bearer
 * token that is wrong, malformed or locked out).  A cookie that is not a
 * live session is no one: the route decides whether that is enough.
 */
static int
identify(struct http_request *r, struct who *w)
{
	const char			*auth = http_head_get(&r->hr_head, "Authorization");
	const struct terminal_conf	*tc;
	struct session			 s;
	char				 terminal[BQ_ID_LEN + 1];
	const char			*colon, *token;
	int64_t				 locked_s;
	size_t				 n;

	memset(w, 0, sizeof *w);
	if (auth != NULL) {
		if (strncasecmp(auth, "Bearer ", 7) != 0 || (colon = strchr(auth + 7, ':')) == NULL ||
		    (n = (size_t)(colon - (auth + 7))) == 0 || n > BQ_ID_LEN || colon[1] == '\0') {
			respond_error(r, 401, ERR_UNAUTHENTICATED, "Authorization: must be "
			    "\"Bearer TERMINAL:TOKEN\"");
			return -1;
		}
		memcpy(terminal, auth + 7, n);
		terminal[n] = '\0';
		token = colon + 1;
		session_of(&s, r, NULL);
		if ((locked_s = proto_auth_locked(&s)) > 0) {
			char	headers[64];
			char	*line;
			struct bq_error err;

			memset(&err, 0, sizeof err);
			bq_fail(&err, ERR_UNAUTHENTICATED, "too many failed attempts; try again "
			    "in %lld s", (long long)locked_s);
			bq_detail_int(&err, "retry_after_s", locked_s);
			line = json_error_reply_detail(NULL, &err);
			snprintf(headers, sizeof headers, "Retry-After: %lld\r\n",
			    (long long)locked_s);
			respond_json(r, 429, line, headers);
			free(line);
			return -1;
		}
		tc = config_terminal(api_cfg(), terminal);
		/* The same work for an unknown terminal, as hello does. */
		if (!token_matches(tc != NULL ? tc : &api_cfg()->cf_terminals[0], token) ||
		    tc == NULL) {
			proto_auth_failed(api_cfg(), &s, terminal);
			respond_error(r, 401, ERR_UNAUTHENTICATED, "Authorization: terminal or "
			    "token not recognised");
			return -1;
		}
		w->w_term = tc;
		w->w_bearer = true;
		return 0;
	}
	if (cookie_get(r, COOKIE_NAME, w->w_session, sizeof w->w_session) == 1) {
		w->w_cookie = true;
		w->w_term = websession_find(api_branch, w->w_session, &w->w_expires_at);
	}
	return 0;
}

/* ---- exchanges: a request through the dispatcher and the barrier ---- */

struct exchange {
	struct outlet		 x_outlet;
	struct session		 x_session;
	struct http_request	*x_req;		/* NULL once answered */
	char			*x_headers;	/* for a 200 only (Set-Cookie) */
	bool			 x_late;	/* a report's reply is to come */
	struct exchange		*x_next;	/* api_late */
};

static struct exchange	*api_late;

static void	streams_signed_out(const char *session);

static struct exchange *
exchange_of(struct outlet *o)
{
	return (struct exchange *)(void *)((char *)o - offsetof(struct exchange, x_outlet));
}

static void
exchange_free(struct exchange *x)
{
	barrier_forget(&x->x_outlet);
	free(x->x_headers);
	free(x);
}

/* Gone once answered, with nothing held and nothing to come. */
static void
exchange_done(struct exchange *x)
{
	if (x->x_req == NULL && !x->x_late && !barrier_holding(&x->x_outlet))
		exchange_free(x);
}

/* The outlet's writer: the reply (after its commit) is the response. */
static void
exchange_write(struct outlet *o, const char *line)
{
	struct exchange	*x = exchange_of(o);
	char		 headers[512];
	int64_t		 retry_after_s;
	int		 status;

	if (x->x_req == NULL)
		return;		/* an event of its own: there is no stream to put it on */
	status = reply_status(line, &retry_after_s);
	headers[0] = '\0';
	if (status == 200 && x->x_headers != NULL)
		snprintf(headers, sizeof headers, "%s", x->x_headers);
	else if (status == 429)
		snprintf(headers, sizeof headers, "Retry-After: %lld\r\n",
		    (long long)retry_after_s);
	respond_json(x->x_req, status, line, headers);
	x->x_req = NULL;
}

static void
exchange_released(struct outlet *o)
{
	exchange_done(exchange_of(o));
}

/* The session's: a report's reply, from the worker. */
static void
exchange_deliver(uint64_t id, const char *line)
{
	struct exchange	**pp, *x;

	for (pp = &api_late; *pp != NULL && (*pp)->x_session.s_conn_id != id; pp = &(*pp)->x_next)
		;
	if ((x = *pp) == NULL)
		return;
	*pp = x->x_next;
	x->x_late = false;
	barrier_emit(&x->x_outlet, line, false);
	exchange_done(x);
}

/* http.c's: the connection went before the answer (a shutdown's grace
 * ran out): nothing to answer, and a report's reply is not waited for. */
static void
exchange_closed(struct http_request *r)
{
	struct exchange	*x = r->hr_arg, **pp;

	x->x_req = NULL;
	if (x->x_late) {
		for (pp = &api_late; *pp != x; pp = &(*pp)->x_next)
			;
		*pp = x->x_next;
		x->x_late = false;
	}
	exchange_done(x);
}

static struct exchange *
exchange_new(struct http_request *r, const struct terminal_conf *tc)
{
	struct exchange	*x;

	if ((x = calloc(1, sizeof *x)) == NULL)
		fatal("calloc");
	x->x_req = r;
	r->hr_arg = x;
	r->hr_closed = exchange_closed;
	session_of(&x->x_session, r, tc);
	x->x_session.s_deliver = exchange_deliver;
	x->x_session.s_signin = "sign in first: POST /api/v1/session, or Authorization: "
	    "Bearer TERMINAL:TOKEN";
	x->x_outlet.o_write = exchange_write;
	x->x_outlet.o_released = exchange_released;
	return x;
}

/* After barrier_request_end(): a late reply waits in api_late. */
static void
exchange_started(struct exchange *x, bool late)
{
	if (late) {
		x->x_late = true;
		x->x_next = api_late;
		api_late = x;
	}
	exchange_done(x);
}

static bool
json_body_ok(struct http_request *r)
{
	const char	*type = http_head_get(&r->hr_head, "Content-Type");
	size_t		 n = strlen("application/json");

	if (r->hr_body_len == 0)
		return true;	/* nothing to mistake: {} */
	if (type != NULL && strncasecmp(type, "application/json", n) == 0 &&
	    (type[n] == '\0' || type[n] == ';' || type[n] == ' '))
		return true;
	respond_error(r, 415, ERR_UNSUPPORTED_MEDIA_TYPE, "Content-Type: a body must be "
	    "application/json (it is %.64s)", type != NULL ? type : "not given");
	return false;
}

/* POST /api/v1/op/NAME */
static void
route_op(struct http_request *r, const struct who *w)
{
	const char	*name = r->hr_head.hd_path + strlen(OP_PREFIX);
	size_t		 n = r->hr_head.hd_path_len - strlen(OP_PREFIX);
	char		 op[64], *reply;
	struct exchange	*x;
	bool		 changed;

	if (!json_body_ok(r))
		return;
	if (n == 0 || n >= sizeof op) {
		respond_error(r, 404, ERR_UNKNOWN_OP, "op: unknown operation \"%.*s\"",
		    (int)(n < 64 ? n : 64), name);
		return;
	}
	memcpy(op, name, n);
	op[n] = '\0';
	if (strcmp(op, "subscribe") == 0) {
		respond_error(r, 400, ERR_BAD_REQUEST, "subscribe: over HTTP the events come "
		    "from GET /api/v1/events?topics=...");
		return;
	}
	/* hello over HTTP checks a terminal and token; it signs nothing in. */
	x = exchange_new(r, strcmp(op, "hello") == 0 ? NULL : w->w_term);
	barrier_request_start(&x->x_outlet);
	reply = proto_handle_op(api_branch, &x->x_session, op, r->hr_body, r->hr_body_len,
	    &changed);
	barrier_request_end(&x->x_outlet, reply, changed ? (r->hr_body_len > 0 ? r->hr_body :
	    "{}") : NULL);
	exchange_started(x, reply == NULL);
}

/* ---- /api/v1/session ---- */

static void
session_json(cJSON *o, const struct terminal_conf *tc, int64_t expires_at)
{
	const struct config	*cfg = api_cfg();
	char			 date[BQ_DATE_LEN];

	cJSON_AddStringToObject(o, "role", role_name(tc->tc_role));
	if (*tc->tc_staff != '\0')
		cJSON_AddStringToObject(o, "staff", tc->tc_staff);
	else
		cJSON_AddNullToObject(o, "staff");
	cJSON_AddNumberToObject(o, "proto", BQ_PROTO_VERSION);
	cJSON_AddStringToObject(o, "terminal", tc->tc_id);
	cJSON_AddStringToObject(o, "branch", cfg->cf_branch);
	cJSON_AddStringToObject(o, "timezone", cfg->cf_timezone);
	business_date(clock_now(), date);
	cJSON_AddStringToObject(o, "business_date", date);
	if (expires_at > 0)
		cJSON_AddItemToObject(o, "expires_at", json_time(expires_at));
}

/* POST: sign in as hello does, then a session and its cookie. */
static void
session_create(struct http_request *r)
{
	struct exchange		*x;
	const struct terminal_conf *tc;
	struct bq_error		 err;
	char			 cookie[WEBSESSION_COOKIE_LEN + 1], *reply;
	char			 setcookie[WEBSESSION_COOKIE_LEN + 160];
	int64_t			 expires_at;
	bool			 changed;
	cJSON			*o;

	if (!json_body_ok(r))
		return;
	x = exchange_new(r, NULL);
	barrier_request_start(&x->x_outlet);
	reply = proto_handle_op(api_branch, &x->x_session, "hello", r->hr_body, r->hr_body_len,
	    &changed);
	if ((tc = x->x_session.s_term) != NULL) {
		memset(&err, 0, sizeof err);
		free(reply);
		if (websession_create(api_branch, tc, cookie, &expires_at, &err) == -1) {
			reply = json_error_reply_detail(NULL, &err);
			changed = false;
		} else {
			o = json_reply_new(NULL, true);
			session_json(o, tc, expires_at);
			reply = json_print_free(o);
			changed = true;
			snprintf(setcookie, sizeof setcookie, "Set-Cookie: " COOKIE_NAME "=%s; "
			    "HttpOnly; SameSite=Strict; Path=/; Max-Age=%lld%s\r\n", cookie,
			    (long long)(expires_at - clock_now()), r->hr_tls ? "; Secure" : "");
			x->x_headers = xstrdup(setcookie);
			log_info("event=http_sign_in peer=%s terminal=%s role=%s",
			    log_str(r->hr_peer), tc->tc_id, role_name(tc->tc_role));
		}
	}
	barrier_request_end(&x->x_outlet, reply, changed ? "{}" : NULL);
	exchange_started(x, false);
}

/* DELETE: the session ends, and the browser forgets its cookie. */
static void
session_end(struct http_request *r, const struct who *w)
{
	struct exchange	*x;
	struct bq_error	 err;
	char		*reply;

	x = exchange_new(r, NULL);
	x->x_headers = xstrdup("Set-Cookie: " COOKIE_NAME "=; HttpOnly; SameSite=Strict; Path=/; "
	    "Max-Age=0\r\n");
	barrier_request_start(&x->x_outlet);
	memset(&err, 0, sizeof err);
	if (w->w_cookie && websession_end(api_branch, w->w_session, &err) == -1)
		reply = json_error_reply_detail(NULL, &err);
	else {
		reply = xstrdup("{\"ok\":true}");
		if (w->w_cookie)
			streams_signed_out(w->w_session);
		if (w->w_term != NULL)
			log_info("event=http_sign_out peer=%s terminal=%s", log_str(r->hr_peer),
			    w->w_term->tc_id);
	}
	barrier_request_end(&x->x_outlet, reply, w->w_cookie ? "{}" : NULL);
	exchange_started(x, false);
}

static void
route_session(struct http_request *r, const struct who *w)
{
	cJSON	*o;
	char	*line, buf[8];

	switch (r->hr_head.hd_method) {
	case HM_POST:
		session_create(r);
		return;
	case HM_DELETE:
		session_end(r, w);
		return;
	default:
		break;
	}
	if (w->w_term == NULL) {
		/* A page asks ?optional=1 so that a device not yet signed in
		 * is not a failed request in its browser's console. */
		if (http_query_get(&r->hr_head, "optional", buf, sizeof buf) == 1 &&
		    strcmp(buf, "1") == 0) {
			respond_json(r, 200, "{\"ok\":true,\"signed_in\":false}", NULL);
			return;
		}
		respond_error(r, 401, ERR_UNAUTHENTICATED, "not signed in: POST /api/v1/session "
		    "with terminal and token");
		return;
	}
	o = json_reply_new(NULL, true);
	session_json(o, w->w_term, w->w_bearer ? 0 : w->w_expires_at);
	cJSON_AddStringToObject(o, "via", w->w_bearer ? "bearer" : "cookie");
	line = json_print_free(o);
	respond_json(r, 200, line, NULL);
	free(line);
}

/* ---- GET /healthz ---- */

static int
healthz_touch(struct store *s, void *arg)
{
	char	now[32];

	(void)arg;
	snprintf(now, sizeof now, "%lld", (long long)clock_now());
	return store_setting_set(s, "healthz_at", now);
}

/*
 * PROTOCOL HTTP: 200 while the database can be written.  Only a write
 * proves it (a full disk, an I/O error or a failing fsync show only then):
 * one setting row, committed through the barrier like any change.
 */
static void
route_healthz(struct http_request *r, const struct who *w)
{
	struct exchange	*x;
	struct bq_error	 err;
	char		*reply;
	bool		 ok;

	(void)w;
	x = exchange_new(r, NULL);
	barrier_request_start(&x->x_outlet);
	memset(&err, 0, sizeof err);
	/* Every request writes: a cached answer would hide a disk that failed
	 * since.  Those that arrive in one loop iteration share its commit. */
	ok = store_write(api_branch->b_store, healthz_touch, NULL, "nothing was written",
	    &err) == 0;
	reply = ok ? xstrdup("{\"ok\":true}") : json_error_reply_detail(NULL, &err);
	barrier_request_end(&x->x_outlet, reply, ok ? "{}" : NULL);
	exchange_started(x, false);
}

/* ---- GET /api/v1/events: Server-Sent Events ---- */

struct stream {
	struct subscriber	 sx_sub;
	struct outlet		 sx_outlet;
	struct http_request	*sx_req;
	int64_t			 sx_last_id;	/* the highest id: a state event has none */
	/* The session it was opened with: the stream ends with it. */
	char			 sx_session[WEBSESSION_COOKIE_LEN + 1];	/* "": a bearer's */
	const struct terminal_conf *sx_term;
	bool			 sx_starting;	/* its replay is being queued */
	struct stream		*sx_prev, *sx_next;
};

static struct stream	*api_streams;
static int		 api_nstreams;

static struct stream *
stream_of_outlet(struct outlet *o)
{
	return (struct stream *)(void *)((char *)o - offsetof(struct stream, sx_outlet));
}

static struct stream *
stream_of_subscriber(struct subscriber *sb)
{
	return (struct stream *)(void *)((char *)sb - offsetof(struct stream, sx_sub));
}

/* An event line as SSE: its seq as the id, its name as the event. */
static void
stream_write(struct outlet *o, const char *line)
{
	struct stream	*sx = stream_of_outlet(o);
	const char	*name, *seq;
	size_t		 len = strlen(line), nlen = 0;
	char		 head[128];
	int		 n = 0;
	long long	 id = -1;

	if ((name = strstr(line, "\"event\":\"")) != NULL) {
		name += 9;
		nlen = strcspn(name, "\"");
	}
	/* publish.c writes ,"seq":N just before the closing brace. */
	if (len > 8 && (seq = strstr(line + len - (len < 40 ? len : 40), ",\"seq\":")) != NULL)
		id = strtoll(seq + 7, NULL, 10);
	/* A topic's state after the replay carries the seq it reflects, which
	 * the stream already has as an id (or its start does): no id of its
	 * own, so ids increase by one per event. */
	if (id > sx->sx_last_id) {
		n = snprintf(head, sizeof head, "id: %lld\n", id);
		sx->sx_last_id = id;
	}
	if (nlen > 0 && nlen < 64)
		n += snprintf(head + n, sizeof head - (size_t)n, "event: %.*s\n", (int)nlen, name);
	http_stream_write(sx->sx_req, head, (size_t)n);
	http_stream_write(sx->sx_req, "data: ", 6);
	http_stream_write(sx->sx_req, line, len);
	http_stream_write(sx->sx_req, "\n\n", 2);
}

/* The publisher's: an event for this stream, or the end of a slow reader. */
static void
stream_deliver(struct subscriber *sb, const char *line)
{
	struct stream	*sx = stream_of_subscriber(sb);
	size_t		 queued;

	queued = http_stream_pending(sx->sx_req) + barrier_pending(&sx->sx_outlet);
	/* PROTOCOL: a reader that falls 1 MiB behind is cut off, as over TCP. */
	if (!sx->sx_starting && queued + strlen(line) + 64 >
	    (size_t)api_cfg()->cf_subscriber_buffer_bytes) {
		log_warnx("event=http_slow_subscriber peer=%s pending=%zu limit=%d",
		    log_str(sx->sx_req->hr_peer), queued, api_cfg()->cf_subscriber_buffer_bytes);
		metrics_subscriber_dropped(MT_SSE);
		http_stream_close(sx->sx_req, "slow_subscriber");	/* frees sx */
		return;
	}
	barrier_emit(&sx->sx_outlet, line, true);
}

/* http.c's: the stream's connection is gone. */
static void
stream_closed(struct http_request *r)
{
	struct stream	*sx = r->hr_arg;

	subscriber_remove(&sx->sx_sub);
	barrier_forget(&sx->sx_outlet);
	if (sx->sx_prev != NULL)
		sx->sx_prev->sx_next = sx->sx_next;
	else
		api_streams = sx->sx_next;
	if (sx->sx_next != NULL)
		sx->sx_next->sx_prev = sx->sx_prev;
	api_nstreams--;
	free(sx);
}

/* ?topics=calls,queue: the subscribe op's topics, as a bit set; -1 answered. */
static int
stream_topics(struct http_request *r, const struct terminal_conf *tc, unsigned *set)
{
	char	 list[256], *tok, *save = NULL;
	int	 i, rc;

	*set = 0;
	if ((rc = http_query_get(&r->hr_head, "topics", list, sizeof list)) != 1) {
		respond_error(r, 400, ERR_BAD_REQUEST, "topics: %s", rc == 0 ? "is required "
		    "(e.g. ?topics=calls,queue)" : "is malformed or too long");
		return -1;
	}
	for (tok = strtok_r(list, ",", &save); tok != NULL; tok = strtok_r(NULL, ",", &save)) {
		for (i = 0; topic_names[i] != NULL && strcmp(topic_names[i], tok) != 0; i++)
			;
		if (topic_names[i] == NULL) {
			respond_error(r, 400, ERR_BAD_REQUEST, "topics: unknown topic \"%.32s\"",
			    tok);
			return -1;
		}
		*set |= 1u << i;
	}
	/* Complaint details on a public screen: never (docs/SECURITY.md). */
	if ((*set & (1u << TOPIC_FOLLOWUPS)) && tc->tc_role == ROLE_DISPLAY) {
		respond_error(r, 403, ERR_FORBIDDEN, "topics: a display may not subscribe to "
		    "followups");
		return -1;
	}
	return 0;
}

/* Last-Event-ID (a reconnecting browser) or ?since=N; -1 none, -2 answered. */
static int64_t
stream_since(struct http_request *r)
{
	const char	*h = http_head_get(&r->hr_head, "Last-Event-ID");
	const char	*name = "Last-Event-ID";
	char		 q[32], *end;
	long long	 v;

	if (h == NULL && http_query_get(&r->hr_head, "since", q, sizeof q) != 0) {
		h = q;
		name = "since";
	}
	if (h == NULL || *h == '\0')
		return -1;
	v = strtoll(h, &end, 10);
	if (*h < '0' || *h > '9' || *end != '\0' || v < 0 || v > 9007199254740991LL) {
		respond_error(r, 400, ERR_BAD_REQUEST, "%s: must be an event id (a whole number)",
		    name);
		return -2;
	}
	return v;
}

static void
route_events(struct http_request *r, const struct who *w)
{
	struct stream	*sx;
	unsigned	 topics;
	int64_t		 since, seq;
	bool		 reset;
	char		 buf[96];
	int		 n;

	if (w->w_term == NULL) {
		respond_error(r, 401, ERR_UNAUTHENTICATED, "sign in first (a session or a bearer "
		    "token)");
		return;
	}
	if (!(op_subscribe_entry.op_roles & ROLE_BIT(w->w_term->tc_role))) {
		respond_error(r, 403, ERR_FORBIDDEN, "a %s terminal may not subscribe",
		    role_name(w->w_term->tc_role));
		return;
	}
	if (stream_topics(r, w->w_term, &topics) == -1 || (since = stream_since(r)) == -2)
		return;
	if (api_nstreams >= api_cfg()->cf_http_max_streams) {
		log_warnx("event=http_stream_refused reason=max_streams limit=%d peer=%s",
		    api_cfg()->cf_http_max_streams, log_str(r->hr_peer));
		respond_error(r, 503, ERR_UNAVAILABLE, "too many open event streams (limit %d)",
		    api_cfg()->cf_http_max_streams);
		return;
	}
	if ((sx = calloc(1, sizeof *sx)) == NULL)
		fatal("calloc");
	sx->sx_req = r;
	sx->sx_outlet.o_write = stream_write;
	sx->sx_next = api_streams;
	if (api_streams != NULL)
		api_streams->sx_prev = sx;
	api_streams = sx;
	api_nstreams++;
	r->hr_arg = sx;
	r->hr_closed = stream_closed;
	sx->sx_term = w->w_term;
	if (!w->w_bearer)
		memcpy(sx->sx_session, w->w_session, sizeof sx->sx_session);
	subscriber_identify(&sx->sx_sub, w->w_term->tc_role, w->w_term->tc_staff);
	subscriber_set_topics(&sx->sx_sub, topics);
	/* A replay larger than half the buffer is a reset, not a cut-off. */
	sx->sx_sub.sb_replay_limit = (size_t)api_cfg()->cf_subscriber_buffer_bytes / 2;
	subscriber_add(&sx->sx_sub, stream_deliver);
	http_stream_start(r, "text/event-stream; charset=utf-8", NO_STORE
	    "X-Accel-Buffering: no\r\n");
	n = snprintf(buf, sizeof buf, "retry: %d\n\n", SSE_RETRY_MS);
	http_stream_write(r, buf, (size_t)n);
	/* As subscribe: the replay and the topics' state follow, in order. */
	sx->sx_starting = true;
	barrier_request_start(&sx->sx_outlet);
	seq = subscriber_start(&sx->sx_sub, since, &reset);
	sx->sx_last_id = since >= 0 && !reset ? since : seq;
	if (reset) {
		n = snprintf(buf, sizeof buf, "event: reset\ndata: {\"event\":\"reset\","
		    "\"seq\":%lld}\n\n", (long long)seq);
		http_stream_write(r, buf, (size_t)n);
	}
	/* Where the stream starts, as an id alone (no data: no event, but the
	 * browser's lastEventId): one that reconnects before any event comes
	 * resumes from here and misses nothing. */
	if (since < 0 || reset) {
		n = snprintf(buf, sizeof buf, "id: %lld\n\n", (long long)seq);
		http_stream_write(r, buf, (size_t)n);
	}
	barrier_request_end(&sx->sx_outlet, NULL, NULL);
	sx->sx_starting = false;
}

/*
 * A stream speaks for its session: signed out, expired, or its terminal's
 * token changed, it ends (checked at each heartbeat, and at a sign-out).
 */
static bool
stream_session_live(const struct stream *sx)
{
	int64_t	expires_at;

	if (sx->sx_session[0] != '\0')
		return websession_find(api_branch, sx->sx_session, &expires_at) == sx->sx_term;
	return config_terminal(api_cfg(), sx->sx_term->tc_id) == sx->sx_term;
}

/* A sign-out: the streams opened with that session end now. */
static void
streams_signed_out(const char *session)
{
	struct stream	*sx, *next;

	for (sx = api_streams; sx != NULL; sx = next) {
		next = sx->sx_next;
		/* A bearer's stream has no session (""): an empty cookie is not it. */
		if (sx->sx_session[0] != '\0' && strcmp(sx->sx_session, session) == 0)
			http_stream_close(sx->sx_req, "signed_out");
	}
}

/* PROTOCOL HTTP: a comment line on every stream keeps proxies open. */
static void
heartbeat(evutil_socket_t fd, short what, void *arg)
{
	struct stream	*sx, *next;

	(void)fd;
	(void)what;
	(void)arg;
	for (sx = api_streams; sx != NULL; sx = next) {
		next = sx->sx_next;
		if (!stream_session_live(sx)) {
			http_stream_close(sx->sx_req, "session_ended");
			continue;
		}
		if (http_stream_pending(sx->sx_req) + 16 >
		    (size_t)api_cfg()->cf_subscriber_buffer_bytes) {
			metrics_subscriber_dropped(MT_SSE);
			http_stream_close(sx->sx_req, "slow_subscriber");
			continue;
		}
		http_stream_write(sx->sx_req, ": heartbeat\n\n", 13);
	}
}

/* ---- GET /metrics ---- */

#define METRICS_TYPE	"text/plain; version=0.0.4; charset=utf-8"

/*
 * PROTOCOL Metrics: for a supervisor (session or bearer), or for anyone
 * when "metrics_public" is true.  Built from memory alone: the queue, the
 * store's committed figures, the transports' counts, metrics.c's counters.
 */
static void
route_metrics(struct http_request *r, const struct who *w)
{
	struct metrics_state	 ms;
	struct hq_status	 hq;
	struct store		*s = api_branch->b_store;
	char			*body;
	size_t			 len;
	int			 lane, rule;

	if (!api_cfg()->cf_metrics_public && w->w_term == NULL) {
		respond_error(r, 401, ERR_UNAUTHENTICATED, "sign in first (a supervisor's "
		    "session or bearer token), or set \"metrics_public\": true");
		return;
	}
	if (!api_cfg()->cf_metrics_public && w->w_term->tc_role != ROLE_SUPERVISOR) {
		respond_error(r, 403, ERR_FORBIDDEN, "a %s terminal may not read the metrics "
		    "(a supervisor may)", role_name(w->w_term->tc_role));
		return;
	}
	memset(&ms, 0, sizeof ms);
	ms.ms_queue = &api_branch->b_queue;
	ms.ms_now = clock_now();
	for (lane = 0; lane < LANE__COUNT; lane++)
		for (rule = 0; rule < RULE__COUNT; rule++)
			ms.ms_tickets_issued[lane][rule] = store_figure(s,
			    SF_TICKETS_ISSUED + lane * RULE__COUNT + rule);
	ms.ms_followups_open = store_figure(s, SF_FOLLOWUPS_OPEN);
	ms.ms_followups_overdue = store_figure(s, SF_FOLLOWUPS_OVERDUE);
	ms.ms_webhook_backlog = store_figure(s, SF_DELIVERIES_PENDING);
	ms.ms_connections[MT_TCP] = server_connections();
	ms.ms_connections[MT_HTTP] = http_connections();
	ms.ms_connections[MT_SSE] = api_nstreams;
	hq_relay_status(api_branch->b_hq, &hq);
	metrics_hq(&hq);
	body = metrics_render(&ms, &len);
	http_respond(r, 200, METRICS_TYPE, body, len, NO_STORE);
	free(body);
}

/* ---- files ---- */

static void
route_file(struct http_request *r, const struct webfile *f)
{
	const char	*inm = http_head_get(&r->hr_head, "If-None-Match");
	char		 headers[160];

	/* no-cache: kept, but asked about each time (an upgrade shows at once). */
	snprintf(headers, sizeof headers, "ETag: %s\r\nCache-Control: no-cache\r\n", f->wf_etag);
	if (inm != NULL && (strcmp(inm, "*") == 0 || strstr(inm, f->wf_etag) != NULL)) {
		http_respond(r, 304, NULL, NULL, 0, headers);
		return;
	}
	http_respond(r, 200, f->wf_type, (const char *)f->wf_data, f->wf_len, headers);
}

/* ---- routing ---- */

#define M_READ	(HM_BIT(HM_GET) | HM_BIT(HM_HEAD))

struct route {
	const char	*rt_path;
	bool		 rt_prefix;
	unsigned	 rt_methods;
	void		(*rt_fn)(struct http_request *, const struct who *);
};

static const struct route routes[] = {
	{ OP_PREFIX, true, HM_BIT(HM_POST), route_op },
	{ "/api/v1/session", false, M_READ | HM_BIT(HM_POST) | HM_BIT(HM_DELETE), route_session },
	{ "/api/v1/events", false, HM_BIT(HM_GET), route_events },
	{ "/healthz", false, M_READ, route_healthz },
	{ "/metrics", false, M_READ, route_metrics },
};

static void
allow_header(unsigned methods, char *buf, size_t len)
{
	static const char *const names[] = { "GET", "HEAD", "POST", "PUT", "DELETE",
	    "OPTIONS", "PATCH" };
	size_t	i, n;

	n = (size_t)snprintf(buf, len, "Allow: OPTIONS");
	for (i = 0; i < sizeof names / sizeof names[0]; i++)
		if (methods & (1u << i))
			n += (size_t)snprintf(buf + n, len - n, ", %s", names[i]);
	snprintf(buf + n, len - n, "\r\n");
}

/*
 * "/kiosk/" as typed by someone setting a device up: the page is "/kiosk"
 * (its scripts are absolute, so either would work, but one URL is one
 * cookie path and one bookmark).  308 to the page, the query kept.  The
 * Location is our own path, never the client's text, but for the query,
 * which the parser has already refused control characters in.
 */
static bool
page_slash(struct http_request *r)
{
	const struct http_head	*h = &r->hr_head;
	const struct webfile	*f;
	char			 headers[512];

	if ((h->hd_method != HM_GET && h->hd_method != HM_HEAD) || h->hd_path_len < 2 ||
	    h->hd_path[h->hd_path_len - 1] != '/' ||
	    (f = webfile_find(h->hd_path, h->hd_path_len - 1)) == NULL ||
	    strncmp(f->wf_type, "text/html", 9) != 0)
		return false;
	if (snprintf(headers, sizeof headers, "Location: %s%s%s\r\n", f->wf_path,
	    h->hd_query != NULL ? "?" : "", h->hd_query != NULL ? h->hd_query : "") >=
	    (int)sizeof headers)
		return false;
	http_respond(r, 308, NULL, NULL, 0, headers);
	return true;
}

void
http_api_handle(struct http_request *r)
{
	const struct http_head	*h = &r->hr_head;
	const struct route	*rt = NULL;
	const struct webfile	*f = NULL;
	struct who		 w;
	unsigned		 methods = 0;
	char			 allow[96];
	size_t			 i;

	if (http_head_get(h, "Host") == NULL) {
		respond_error(r, 400, ERR_BAD_REQUEST, "Host: is required");
		return;
	}
	if (!host_allowed(http_head_get(h, "Host"))) {
		log_info("event=http_refused peer=%s reason=host host=\"%s\"", log_str(r->hr_peer),
		    log_str(http_head_get(h, "Host")));
		respond_error(r, 403, ERR_FORBIDDEN, "Host: not an address or a name this "
		    "daemon is configured for (http_hosts)");
		return;
	}
	if (h->hd_method == HM_OPTIONS && http_path_is(h, "*")) {
		allow_header(M_READ | HM_BIT(HM_POST) | HM_BIT(HM_DELETE), allow, sizeof allow);
		http_respond(r, 204, NULL, NULL, 0, allow);
		return;
	}
	for (i = 0; i < sizeof routes / sizeof routes[0]; i++) {
		if (routes[i].rt_prefix ? h->hd_path_len > strlen(routes[i].rt_path) &&
		    strncmp(h->hd_path, routes[i].rt_path, strlen(routes[i].rt_path)) == 0 :
		    http_path_is(h, routes[i].rt_path)) {
			rt = &routes[i];
			methods = rt->rt_methods;
			break;
		}
	}
	if (rt == NULL && (f = webfile_find(h->hd_path, h->hd_path_len)) != NULL)
		methods = M_READ;
	if (methods == 0 && page_slash(r))
		return;
	if (methods == 0) {
		respond_error(r, 404, ERR_NOT_FOUND, "no such path: %.*s",
		    (int)(h->hd_path_len < 128 ? h->hd_path_len : 128), h->hd_path);
		return;
	}
	allow_header(methods, allow, sizeof allow);
	if (h->hd_method == HM_OPTIONS) {
		http_respond(r, 204, NULL, NULL, 0, allow);
		return;
	}
	if (!(methods & HM_BIT(h->hd_method))) {
		respond_error_with(r, 405, allow, ERR_METHOD_NOT_ALLOWED, "this path does not take "
		    "that method (see Allow)");
		return;
	}
	if (f != NULL) {
		route_file(r, f);
		return;
	}
	if (identify(r, &w) == -1)
		return;
	/* CSRF: a browser's change comes from a page of ours.  A bearer
	 * token is no browser's; any other POST or DELETE shows its Origin. */
	if ((h->hd_method == HM_POST || h->hd_method == HM_DELETE) && !w.w_bearer &&
	    (w.w_cookie || http_head_get(h, "Origin") != NULL) && !origin_matches(r)) {
		log_info("event=http_refused peer=%s reason=origin origin=\"%s\"",
		    log_str(r->hr_peer), log_str(http_head_get(h, "Origin")));
		respond_error(r, 403, ERR_FORBIDDEN, "Origin: a %s from a browser must come "
		    "from this daemon's own pages (%s://%s)", h->hd_method_name,
		    r->hr_tls ? "https" : "http", http_head_get(h, "Host"));
		return;
	}
	rt->rt_fn(r, &w);
}

void
http_api_init(struct event_base *base, struct branch *b)
{
	struct timeval	tv = { b->b_cfg->cf_http_heartbeat_s, 0 };

	api_branch = b;
	metrics_start(clock_now());
	if ((api_heartbeat = event_new(base, -1, EV_PERSIST, heartbeat, NULL)) == NULL ||
	    event_add(api_heartbeat, &tv) == -1)
		fatalx("cannot set up the event streams' heartbeat");
}

void
http_api_config_changed(const struct config *old)
{
	const struct config		*nw = api_cfg();
	const struct terminal_conf	*tc;
	struct exchange			*x;
	struct stream			*sx, *next;
	const char			*why;

	/* Late replies go out as they were asked for; their terminal, as
	 * far as it still exists, is the new configuration's. */
	for (x = api_late; x != NULL; x = x->x_next)
		if (x->x_session.s_term != NULL &&
		    (tc = config_terminal_successor(nw, x->x_session.s_term, &why)) != NULL)
			x->x_session.s_term = tc;
	websession_config_changed(api_branch, old);
	for (sx = api_streams; sx != NULL; sx = next) {
		next = sx->sx_next;
		if ((tc = config_terminal_successor(nw, sx->sx_term, &why)) != NULL)
			sx->sx_term = tc;
		else {
			log_info("event=http_stream_ended terminal=%s change=%s",
			    sx->sx_term->tc_id, why);
			http_stream_close(sx->sx_req, "config_changed");	/* frees sx */
		}
	}
}

void
http_api_free(void)
{
	struct exchange	*x;

	/* Reports whose replies will not come now: their requests go with http_free(). */
	while ((x = api_late) != NULL) {
		api_late = x->x_next;
		exchange_free(x);
	}
	if (api_heartbeat != NULL)
		event_free(api_heartbeat);
	api_heartbeat = NULL;
}
