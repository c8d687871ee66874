/*
 * Fuzz target for the HTTP face (issue 16 item 8): the request-head parser
 * (http-parse.c) and what the paths mean (http-api.c), on the real
 * dispatcher, commit barrier, group commit and publisher, a real SQLite
 * database and the test clock, as fuzz_proto.c is for the TCP protocol.
 *
 * A transport of its own.  The target links what fuzz_proto links but
 * http.o (and server.o): this file is the http.c that http-api.c sees.  It
 * defines struct http_conn, one per request, and http_respond(),
 * http_stream_start(), http_stream_write(),
 * http_stream_pending() and http_stream_close(), which record what the
 * handler answers and check it.  As in http.c, an answer frees the request
 * at once and a closed stream calls its hr_closed first, so a handler that
 * touches a request after answering it is a use after free for ASan.
 *
 * The first byte of an input chooses the mode:
 *
 *   '%'	the parser alone: the next byte is the length of the buffer
 *		http_query_get() decodes into (1 to 256), the rest one request
 *		head for http_parse_head().  Checked: a refusal's status and
 *		reason; a head taken is what its bytes say (method, target,
 *		path and query, each header's name and value, Content-Length,
 *		Transfer-Encoding, Connection), all of it inside the buffer, and
 *		written out again it parses to the same; http_query_get() and
 *		http_list_has() agree with plain re-implementations here.
 *
 *   else	requests.  The input is split into connections by lines that
 *		start with "~~~"; the rest of such a line holds the harness's
 *		flags for the next connection (below).  A connection's bytes are
 *		framed as http.c frames them: empty lines skipped, a head up to
 *		its empty line (at most 8 KiB, else 431), parsed by the real
 *		http_parse_head() (a refusal: its status), Transfer-Encoding 411,
 *		a Content-Length over 65,536 413, then the body: Content-Length
 *		bytes, or fewer when the connection's bytes end first (as if the
 *		client sent them all: a mutated body need not fix its length).
 *		What is left is the next pipelined request.  A head that never
 *		ends, a refusal, and "Connection: close" end the connection;
 *		input after a request that became an event stream ends the
 *		stream, as in http.c.  Each request becomes a struct
 *		http_request (peer 127.0.0.1, ids counted from 1 in each input)
 *		for http_api_handle().  Then, as in the daemon, the loop's pass
 *		ends before the connection's next request is read: one
 *		non-blocking pass of the event loop commits the group and lets
 *		the replies and events out, and a report's reply is waited for
 *		on the loop (at most 3 s).  A connection's last request and the
 *		next connection's first share a pass, and so one group, if the
 *		next is flagged `together`, as connections readable at the same
 *		time do (but a report has a pass of its own: see
 *		run_connection()).
 *
 * In requests, "$SESSION" is replaced by the value of the last cookie the
 * daemon set in this input (a sign-in's cookie is random: the fuzzer could
 * never guess it).  Flags on a "~~~" line, for the connection after it:
 * `tls` (hr_tls: https origins, Secure cookies), `slow` (its event stream
 * is never read, so its backlog grows until the daemon cuts it off),
 * `heartbeat` (the streams' heartbeat timer fires first), `hangup` (every
 * open stream's client goes away first), `together` (no pass of the loop
 * before it: its first request joins the group of the one before).
 *
 * The configuration is fuzz_proto's (the demo terminals, bearer tokens
 * "T01:teller1-demo" and so on) with "http_hosts" branchq.example and
 * Queue.Bank.Local, at most 4 streams, 4 KiB of subscriber buffer (the
 * least it may be: a slow stream is cut off after a few events, a replay of
 * more than 2 KiB is a reset) and 3 failed sign-ins before the lock-out.
 * The throttle counts by address: each input has an address of its own
 * (the peer's name is still 127.0.0.1), so a lock-out never carries over
 * to the next input.
 *
 * What is checked (a failure aborts: a crash to libFuzzer), beyond ASan,
 * UBSan and LeakSanitizer:
 *   - every request gets exactly one response or becomes an event stream
 *     (and a stream gets no response); nothing is left unanswered;
 *   - the status is one PROTOCOL names (200 204 304 400 401 403 404 405 408
 *     409 411 413 415 429 431 500 503 505), never 500, and 503 only for the
 *     stream limit;
 *   - a 4xx/5xx body is JSON with "ok":false and an error code PROTOCOL
 *     knows that goes with the status, and a message (and detail only as an
 *     object of facts); a 200 JSON body has "ok":true; 429 carries
 *     Retry-After; 405 and OPTIONS carry Allow; 204 and 304 have no body;
 *   - http-api's own headers: each one "Name: value\r\n" with a token for
 *     a name and no control characters, none of those the transport writes
 *     (Date, Content-Type, Content-Length, Connection, Transfer-Encoding,
 *     and the three security headers: the real http.c adds those in
 *     write_head() to every response, so this stub checks that http-api
 *     never sends them itself, not that they are there); Set-Cookie only
 *     from /api/v1/session, with HttpOnly, SameSite=Strict, Path=/ and
 *     Secure exactly under TLS;
 *   - who may ask: no Host is a 400 (RFC 9112), a Host that is not an IP
 *     address, localhost or a configured name a 403; a signed-in POST or
 *     DELETE with a cookie and no matching Origin never succeeds; a request
 *     with a bearer token that is not a terminal's never succeeds;
 *     GET /api/v1/session answers for exactly the cookie the daemon set
 *     (not a longer or shorter one) or the bearer's terminal; a sign-out
 *     ends only the streams opened with its own session's cookie, and a
 *     session's end no bearer's stream;
 *   - GET /metrics (the demo configuration: "metrics_public" false) is 200
 *     only with a credential, a bearer token only a supervisor's, and its
 *     body Prometheus text (text/plain; version=0.0.4), HELP first,
 *     ending with a newline;
 *   - GET and HEAD never change the database, and neither does a request
 *     refused (4xx/5xx): a checksum of every table just before and just
 *     after http_api_handle() (the harness's connection reads uncommitted
 *     rows, so a group still open counts), but the settings
 *     event_seq_reserved, which the publisher moves, and healthz_at, which
 *     /healthz writes by design;
 *   - an event stream is well-formed Server-Sent Events: "retry:" first,
 *     then blocks separated by one empty line, each comments, an "id:"
 *     alone (where the stream starts), or "id:", "event:" and one "data:"
 *     line of a JSON object whose "event" is the block's event and whose
 *     "seq" is its id; ids increase, past Last-Event-ID or since, and an
 *     event without one tells of a seq the stream has had; only events of
 *     the topics asked for, and complaint events only for a supervisor, the
 *     owner or the first responder;
 *   - a log line "database: ..." (a failed statement on a database that
 *     cannot fail).
 *
 * State does not carry over between inputs (as fuzz_proto: the tables
 * emptied, a fresh branch and publisher, the clock at FUZZ_START).
 * FUZZ_LOG=1 shows the daemon's log and each request and response.
 */
#define _GNU_SOURCE	/* fopencookie() */

#include <arpa/inet.h>

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cJSON.h>
#include <event2/event.h>
#include <sqlite3.h>

#include "branchq.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define FUZZ_DB		"file:branchq-fuzz-http?mode=memory&cache=shared"
#define FUZZ_START	1795395600	/* 2026-11-23T01:00:00Z: 09:00 at the branch */
#define FUZZ_PARSE_MODE	'%'
#define FUZZ_SEPARATOR	"~~~"
#define FUZZ_SESSION	"$SESSION"
#define FUZZ_COOKIES	64		/* remembered per input */
#define FUZZ_WAIT_S	3		/* for a report's reply */
#define COOKIE_NAME	"bq_session"

static _Noreturn void	fz_fail(const char *, ...) __attribute__((format(printf, 1, 2)));

/* ---- the harness's state ---- */

enum fz_state { FZ_HANDLING, FZ_ANSWERED, FZ_STREAMING, FZ_CLOSED };
enum fz_route { FR_STAR, FR_OP, FR_SESSION, FR_EVENTS, FR_HEALTHZ, FR_METRICS, FR_OTHER };

/* A request and what came of it: http.c's connection, as http-api sees it. */
struct http_conn {
	struct http_conn		*hc_next;	/* every one of this input */
	struct http_request		*hc_req;	/* until answered or closed */
	enum fz_state			 hc_state;
	uint64_t			 hc_id;
	enum http_method		 hc_method;
	enum fz_route			 hc_route;
	char				 hc_target[160];	/* for messages */
	bool				 hc_tls, hc_slow;
	/* Who it speaks for, as the harness reads the head. */
	bool				 hc_has_host;
	bool				 hc_host_ok;
	bool				 hc_has_auth;
	const struct terminal_conf	*hc_bearer;	/* a good bearer token */
	bool				 hc_has_cookie;	/* a bq_session pair */
	char				 hc_cookie[160];	/* its value, whole */
	bool				 hc_origin_ok;	/* Origin is scheme://Host */
	bool				 hc_has_origin;
	bool				 hc_inm;		/* If-None-Match */
	uint64_t			 hc_sum;		/* the database before */
	uint64_t			 hc_sum_after;	/* once handled */
	bool				 hc_settled;	/* its answer checked */
	int				 hc_status;
	/* An event stream: what it was written, and what was read of it. */
	const struct terminal_conf	*hc_term;
	unsigned			 hc_topics;
	char				*hc_out;
	size_t				 hc_out_len, hc_out_cap, hc_out_read;
	bool				 hc_retry_seen;
	bool				 hc_unread;	/* closed, its last blocks unread */
	long long			 hc_last_id;	/* the last id: line, -1 */
	long long			 hc_since;	/* asked for, until a reset; -1 */
	long long			 hc_start;	/* the last event committed then */
};

struct fz_cookie {
	char				 fk_value[WEBSESSION_COOKIE_LEN + 1];
	const struct terminal_conf	*fk_term;
	bool				 fk_ended;
};

static struct config	 fz_cfg;
static struct event_base *fz_base;
static struct store	*fz_store;
static struct branch	 fz_branch;
static sqlite3		*fz_db;		/* the harness's connection */
static sqlite3_stmt	*fz_reset[32];	/* empty one table each */
static size_t		 fz_nreset;
static sqlite3_stmt	*fz_sum[32];	/* read one table each */
static size_t		 fz_nsum;
static sqlite3_stmt	*fz_responder;	/* a complaint's first responder */
static struct event	*fz_heartbeat;	/* http-api's, found on the base */
static struct event	*fz_wait_timer;
static bool		 fz_wait_over;
static struct http_conn	*fz_conns;	/* this input's, newest first */
static struct http_conn	*fz_current;	/* in http_api_handle() */
static uint64_t		 fz_next_id;
static uint32_t		 fz_inputs;	/* the throttle's address of each input */
static struct fz_cookie	 fz_cookies[FUZZ_COOKIES];
static size_t		 fz_ncookies;
static FILE		*fz_stderr;	/* the real one */
static FILE		*fz_log;	/* stderr while the daemon's code runs */
static bool		 fz_show_log;
static char		 fz_logline[1024];
static size_t		 fz_loglen;
static char		 fz_dberror[1024];

static _Noreturn void
fz_fail(const char *fmt, ...)
{
	va_list	ap;

	fprintf(fz_stderr, "fuzz_http: ");
	va_start(ap, fmt);
	vfprintf(fz_stderr, fmt, ap);
	va_end(ap);
	fputc('\n', fz_stderr);
	fflush(fz_stderr);
	abort();
}

static void *
fz_alloc(size_t n)
{
	void	*p;

	if ((p = calloc(1, n)) == NULL)
		fz_fail("calloc");
	return p;
}

/* ---- the daemon's log, read line by line (as fuzz_proto) ---- */

static void
log_line_done(void)
{
	const char	*p;

	fz_logline[fz_loglen] = '\0';
	if (fz_show_log)
		fprintf(fz_stderr, "%s\n", fz_logline);
	/* "STAMP branchqd warn: database: WHAT": at the line's head, for a
	 * client's text (a Host, a path) is logged too. */
	p = strchr(fz_logline, ' ');
	if (fz_dberror[0] == '\0' && p != NULL &&
	    strncmp(p, " branchqd warn: database: ", 26) == 0)
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

static void
check_log(void)
{
	if (fz_dberror[0] != '\0')
		fz_fail("the database failed: %s", fz_dberror);
}

/* ---- plain re-implementations, to compare with http-parse.c ---- */

static bool
ref_tchar(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	    (c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

/* A comma-separated list holds token (case-insensitive, white space trimmed). */
static bool
ref_list_has(const char *value, const char *token)
{
	const char	*p = value, *e, *s;

	for (;;) {
		e = strchr(p, ',');
		if (e == NULL)
			e = p + strlen(p);
		s = p;
		while (s < e && (*s == ' ' || *s == '\t'))
			s++;
		while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
			e--;
		if ((size_t)(e - s) == strlen(token) && strncasecmp(s, token, strlen(token)) == 0)
			return true;
		if ((p = strchr(p, ',')) == NULL)
			return false;
		p++;
	}
}

static int
ref_hex(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* The first parameter named name, decoded: 1, 0 absent, -1 malformed or too long. */
static int
ref_query_get(const char *query, const char *name, char *out, size_t outlen)
{
	const char	*p = query, *amp, *eq, *v;
	size_t		 o;
	int		 hi, lo;

	while (p != NULL) {
		amp = strchr(p, '&');
		if (amp == NULL)
			amp = p + strlen(p);
		eq = memchr(p, '=', (size_t)(amp - p));
		if ((size_t)((eq != NULL ? eq : amp) - p) == strlen(name) &&
		    strncmp(p, name, strlen(name)) == 0) {
			o = 0;
			for (v = eq != NULL ? eq + 1 : amp; v < amp; v++) {
				if (o + 1 >= outlen)
					return -1;
				if (*v == '%') {
					if (amp - v < 3 || (hi = ref_hex(v[1])) < 0 ||
					    (lo = ref_hex(v[2])) < 0 || hi + lo == 0)
						return -1;
					out[o++] = (char)(hi * 16 + lo);
					v += 2;
				} else
					out[o++] = *v == '+' ? ' ' : *v;
			}
			out[o] = '\0';
			return 1;
		}
		p = *amp == '&' ? amp + 1 : NULL;
	}
	return 0;
}

/* The value of the first bq_session pair of a Cookie header, whole. */
static bool
ref_cookie(const char *c, char *out, size_t outlen, bool *too_long)
{
	size_t	n = strlen(COOKIE_NAME), len;

	*too_long = false;
	while (c != NULL && *c != '\0') {
		c += strspn(c, " \t;");
		len = strcspn(c, ";");
		if (len > n && strncmp(c, COOKIE_NAME, n) == 0 && c[n] == '=') {
			len -= n + 1;
			while (len > 0 && (c[n + len] == ' ' || c[n + len] == '\t'))
				len--;
			if (len >= outlen) {
				*too_long = true;
				len = outlen - 1;
			}
			memcpy(out, c + n + 1, len);
			out[len] = '\0';
			return true;
		}
		c += len;
	}
	return false;
}

/* PROTOCOL HTTP: an IP address, localhost or an "http_hosts" name, and a port. */
static bool
ref_host_ok(const char *host)
{
	char		 name[300];
	unsigned char	 addr[16];
	const char	*port = NULL, *close;
	size_t		 i, n;

	if (host == NULL || *host == '\0' || strlen(host) >= sizeof name)
		return false;
	if (host[0] == '[') {
		if ((close = strchr(host, ']')) == NULL)
			return false;
		n = (size_t)(close - host - 1);
		memcpy(name, host + 1, n);
		name[n] = '\0';
		if (close[1] == ':')
			port = close + 2;
		else if (close[1] != '\0')
			return false;
		if (inet_pton(AF_INET6, name, addr) != 1)
			return false;
	} else {
		n = strcspn(host, ":");
		memcpy(name, host, n);
		name[n] = '\0';
		if (host[n] == ':')
			port = host + n + 1;
		if (n == 0)
			return false;
		if (inet_pton(AF_INET, name, addr) != 1 && strcasecmp(name, "localhost") != 0) {
			for (i = 0; i < fz_cfg.cf_nhttp_hosts; i++)
				if (strcasecmp(name, fz_cfg.cf_http_hosts[i]) == 0)
					break;
			if (i == fz_cfg.cf_nhttp_hosts)
				return false;
		}
	}
	/* A port is one or more digits. */
	return port == NULL || (*port != '\0' && strspn(port, "0123456789") == strlen(port));
}

/* ---- mode '%': the parser alone ---- */

static bool
inside(const char *p, const char *buf, size_t len)
{
	return p >= buf && p < buf + len;
}

static void
check_string_inside(const char *what, const char *s, const char *buf, size_t len)
{
	if (!inside(s, buf, len) || memchr(s, '\0', len - (size_t)(s - buf)) == NULL)
		fz_fail("parse: %s is not a string inside the buffer", what);
}

/* What a head taken must be, from its own bytes. */
static void
check_head(const struct http_head *h, const char *buf, size_t len)
{
	static const char *const methods[] = { "GET", "HEAD", "POST", "PUT", "DELETE",
	    "OPTIONS", "PATCH" };
	const char	*q, *v, *cl = NULL, *host = NULL;
	bool		 te = false, close = false, keep = false;
	size_t		 i, j;
	long long	 n;
	int		 m;

	check_string_inside("the method", h->hd_method_name, buf, len);
	check_string_inside("the target", h->hd_target, buf, len);
	if (*h->hd_method_name == '\0')
		fz_fail("parse: an empty method");
	for (q = h->hd_method_name; *q != '\0'; q++)
		if (!ref_tchar((unsigned char)*q))
			fz_fail("parse: the method \"%s\" is not a token", h->hd_method_name);
	for (m = 0; m < HM_OTHER && strcmp(methods[m], h->hd_method_name) != 0; m++)
		;
	if ((int)h->hd_method != m)
		fz_fail("parse: method %d for \"%s\"", h->hd_method, h->hd_method_name);
	if (h->hd_minor != 0 && h->hd_minor != 1)
		fz_fail("parse: HTTP/1.%d", h->hd_minor);
	if (strcmp(h->hd_target, "*") == 0) {
		if (h->hd_method != HM_OPTIONS || h->hd_path != h->hd_target || h->hd_path_len != 1)
			fz_fail("parse: \"*\" taken for %s", h->hd_method_name);
	} else {
		if (h->hd_target[0] != '/')
			fz_fail("parse: a target not starting with /: %s", h->hd_target);
		for (q = h->hd_target; *q != '\0'; q++)
			if ((unsigned char)*q <= 0x20 || (unsigned char)*q >= 0x7f || *q == '#')
				fz_fail("parse: a target with byte %#x", (unsigned char)*q);
		q = strchr(h->hd_target, '?');
		if (h->hd_path != h->hd_target ||
		    h->hd_path_len != (q != NULL ? (size_t)(q - h->hd_target) :
		    strlen(h->hd_target)) || h->hd_query != (q != NULL ? q + 1 : NULL))
			fz_fail("parse: path and query do not split the target %s", h->hd_target);
	}
	if (h->hd_nheaders > HTTP_MAX_HEADERS)
		fz_fail("parse: %zu headers", h->hd_nheaders);
	for (i = 0; i < h->hd_nheaders; i++) {
		check_string_inside("a header name", h->hd_headers[i].hh_name, buf, len);
		check_string_inside("a header value", h->hd_headers[i].hh_value, buf, len);
		if (*h->hd_headers[i].hh_name == '\0')
			fz_fail("parse: an empty header name");
		for (q = h->hd_headers[i].hh_name; *q != '\0'; q++)
			if (!ref_tchar((unsigned char)*q))
				fz_fail("parse: header name \"%s\" is not a token",
				    h->hd_headers[i].hh_name);
		v = h->hd_headers[i].hh_value;
		if (*v == ' ' || *v == '\t' || (*v != '\0' && (v[strlen(v) - 1] == ' ' ||
		    v[strlen(v) - 1] == '\t')))
			fz_fail("parse: header value \"%s\" not trimmed", v);
		for (q = v; *q != '\0'; q++)
			if (((unsigned char)*q < 0x20 && *q != '\t') || *q == 0x7f)
				fz_fail("parse: a control character in header %s",
				    h->hd_headers[i].hh_name);
		if (strcasecmp(h->hd_headers[i].hh_name, "Content-Length") == 0) {
			if (cl != NULL && strtoll(cl, NULL, 10) != strtoll(v, NULL, 10))
				fz_fail("parse: two different Content-Lengths taken");
			if (*v < '0' || *v > '9' || strspn(v, "0123456789") != strlen(v))
				fz_fail("parse: Content-Length \"%s\" taken", v);
			cl = v;
		}
		if (strcasecmp(h->hd_headers[i].hh_name, "Host") == 0) {
			if (host != NULL)
				fz_fail("parse: Host twice");
			host = v;
		}
		if (strcasecmp(h->hd_headers[i].hh_name, "Transfer-Encoding") == 0)
			te = true;
		if (strcasecmp(h->hd_headers[i].hh_name, "Connection") == 0) {
			close = close || ref_list_has(v, "close");
			keep = keep || ref_list_has(v, "keep-alive");
			if (http_list_has(v, "close") != ref_list_has(v, "close") ||
			    http_list_has(v, "keep-alive") != ref_list_has(v, "keep-alive"))
				fz_fail("parse: http_list_has disagrees on \"%s\"", v);
		}
		/* The first of its name, whatever the case. */
		for (j = 0; j < i; j++)
			if (strcasecmp(h->hd_headers[j].hh_name, h->hd_headers[i].hh_name) == 0)
				break;
		if (http_head_get(h, h->hd_headers[i].hh_name) != h->hd_headers[j].hh_value)
			fz_fail("parse: http_head_get(%s) is not the first",
			    h->hd_headers[i].hh_name);
	}
	n = cl != NULL ? strtoll(cl, NULL, 10) : -1;
	if (h->hd_content_length != n)
		fz_fail("parse: Content-Length %lld, not %lld", (long long)h->hd_content_length, n);
	if (h->hd_transfer_encoding != te || (te && cl != NULL))
		fz_fail("parse: Transfer-Encoding %d", h->hd_transfer_encoding);
	if (h->hd_keep_alive != keep || h->hd_close != (close || (h->hd_minor == 0 && !keep)))
		fz_fail("parse: Connection: close %d keep-alive %d", h->hd_close, h->hd_keep_alive);
	if (http_path_is(h, "/healthz") != (h->hd_path_len == 8 &&
	    strncmp(h->hd_path, "/healthz", 8) == 0))
		fz_fail("parse: http_path_is");
}

/* The head written out again: it must read the same. */
static void
check_reparse(const struct http_head *h)
{
	struct http_head	 h2;
	char			*buf, err[160];
	size_t			 len = 64 + strlen(h->hd_method_name) + strlen(h->hd_target), i;
	size_t			 n;
	int			 status;

	for (i = 0; i < h->hd_nheaders; i++)
		len += strlen(h->hd_headers[i].hh_name) + strlen(h->hd_headers[i].hh_value) + 4;
	buf = fz_alloc(len);
	n = (size_t)snprintf(buf, len, "%s %s HTTP/1.%d\r\n", h->hd_method_name, h->hd_target,
	    h->hd_minor);
	for (i = 0; i < h->hd_nheaders; i++)
		n += (size_t)snprintf(buf + n, len - n, "%s: %s\r\n", h->hd_headers[i].hh_name,
		    h->hd_headers[i].hh_value);
	n += (size_t)snprintf(buf + n, len - n, "\r\n");
	if ((status = http_parse_head(buf, n, &h2, err, sizeof err)) != 0)
		fz_fail("parse: a head taken is refused when written out again (%d %s)",
		    status, err);
	if (h2.hd_method != h->hd_method || strcmp(h2.hd_method_name, h->hd_method_name) != 0 ||
	    strcmp(h2.hd_target, h->hd_target) != 0 || h2.hd_minor != h->hd_minor ||
	    h2.hd_path_len != h->hd_path_len || (h2.hd_query == NULL) != (h->hd_query == NULL) ||
	    h2.hd_nheaders != h->hd_nheaders || h2.hd_content_length != h->hd_content_length ||
	    h2.hd_transfer_encoding != h->hd_transfer_encoding || h2.hd_close != h->hd_close ||
	    h2.hd_keep_alive != h->hd_keep_alive)
		fz_fail("parse: a head written out again reads otherwise");
	for (i = 0; i < h->hd_nheaders; i++)
		if (strcmp(h2.hd_headers[i].hh_name, h->hd_headers[i].hh_name) != 0 ||
		    strcmp(h2.hd_headers[i].hh_value, h->hd_headers[i].hh_value) != 0)
			fz_fail("parse: header %zu written out again reads otherwise", i);
	free(buf);
}

static void
check_query(const struct http_head *h, const char *name, size_t outlen)
{
	char	out[257], ref[257];
	int	rc, rrc;

	memset(out, 'x', sizeof out);
	rc = http_query_get(h, name, out, outlen);
	rrc = ref_query_get(h->hd_query, name, ref, outlen);
	if (rc != rrc || (rc == 1 && strcmp(out, ref) != 0))
		fz_fail("query: %s in \"%s\" (%zu bytes): %d \"%.*s\", not %d \"%s\"", name,
		    h->hd_query != NULL ? h->hd_query : "(none)", outlen, rc,
		    rc == 1 ? (int)outlen : 0, out, rrc, rrc == 1 ? ref : "");
	if (rc == 1 && strlen(out) >= outlen)
		fz_fail("query: %s decoded past its buffer", name);
}

static void
parse_mode(const uint8_t *data, size_t size)
{
	static const char *const names[] = { "topics", "since", "", "a", NULL };
	struct http_head	 h;
	char			*buf, err[160], name[64];
	const char		*p;
	size_t			 outlen, i, n;
	int			 status;

	if (size < 2)
		return;
	outlen = (size_t)data[1] + 1;
	/* An allocation of its own size: ASan sees a read past it. */
	buf = fz_alloc(size - 2 + 1);
	memcpy(buf, data + 2, size - 2);
	memset(err, 'x', sizeof err);
	status = http_parse_head(buf, size - 2, &h, err, sizeof err);
	if (memchr(err, '\0', sizeof err) == NULL)
		fz_fail("parse: the reason is not a string");
	if (status != 0) {
		if ((status != 400 && status != 431 && status != 505) || err[0] == '\0')
			fz_fail("parse: refused with %d \"%s\"", status, err);
		free(buf);
		return;
	}
	if (err[0] != '\0')
		fz_fail("parse: taken, with a reason: %s", err);
	check_head(&h, buf, size - 2);
	for (i = 0; names[i] != NULL; i++)
		check_query(&h, names[i], outlen);
	/* And each name the query holds. */
	for (p = h.hd_query, i = 0; p != NULL && i < 8; i++) {
		n = strcspn(p, "=&");
		if (n < sizeof name) {
			memcpy(name, p, n);
			name[n] = '\0';
			check_query(&h, name, outlen);
		}
		if ((p = strchr(p, '&')) != NULL)
			p++;
	}
	check_reparse(&h);
	free(buf);
}

/* ---- the database, summed ---- */

static uint64_t
fnv(uint64_t h, const void *p, size_t n)
{
	const unsigned char	*c = p;
	size_t			 i;

	for (i = 0; i < n; i++)
		h = (h ^ c[i]) * 1099511628211ULL;
	return h;
}

/* Every row of every table, in any order (a sum of the rows' hashes). */
static uint64_t
db_checksum(void)
{
	sqlite3_stmt	*st;
	uint64_t	 sum = 0, h;
	int64_t		 iv;
	double		 dv;
	size_t		 i;
	int		 c, rc, type;

	for (i = 0; i < fz_nsum; i++) {
		st = fz_sum[i];
		while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
			h = fnv(14695981039346656037ULL, &i, sizeof i);
			for (c = 0; c < sqlite3_column_count(st); c++) {
				type = sqlite3_column_type(st, c);
				h = fnv(h, &type, sizeof type);
				switch (type) {
				case SQLITE_INTEGER:
					iv = sqlite3_column_int64(st, c);
					h = fnv(h, &iv, sizeof iv);
					break;
				case SQLITE_FLOAT:
					dv = sqlite3_column_double(st, c);
					h = fnv(h, &dv, sizeof dv);
					break;
				case SQLITE_TEXT:
				case SQLITE_BLOB:
					h = fnv(h, sqlite3_column_blob(st, c),
					    (size_t)sqlite3_column_bytes(st, c));
					break;
				default:
					break;
				}
			}
			sum += h;
		}
		if (rc != SQLITE_DONE)
			fz_fail("reading the database: %s", sqlite3_errmsg(fz_db));
		sqlite3_reset(st);
	}
	return sum;
}

/* ---- checks of a response ---- */

static const int contract_statuses[] = {
	200, 204, 304, 400, 401, 403, 404, 405, 408, 409, 411, 413, 415, 429, 431, 500, 503,
	505, 0
};

static bool
contract_status(int status)
{
	size_t	i;

	for (i = 0; contract_statuses[i] != 0; i++)
		if (contract_statuses[i] == status)
			return true;
	return false;
}

/* PROTOCOL HTTP: each error code's status. */
static int
code_status(const char *code)
{
	static const struct { const char *code; int status; } map[] = {
		{ "bad_json", 400 }, { "bad_request", 400 }, { "unauthenticated", 401 },
		{ "forbidden", 403 }, { "over_authority", 403 }, { "not_found", 404 },
		{ "unknown_op", 404 }, { "conflict", 409 }, { "unavailable", 503 },
		{ "internal", 500 }, { "too_large", 413 }, { "method_not_allowed", 405 },
		{ "unsupported_media_type", 415 }, { "timeout", 408 },
	};
	size_t	i;

	for (i = 0; i < sizeof map / sizeof map[0]; i++)
		if (strcmp(map[i].code, code) == 0)
			return map[i].status;
	return 0;
}

static const char *
header_in(const char *headers, const char *name, char *value, size_t len)
{
	const char	*p = headers, *e;
	size_t		 n = strlen(name);

	while (p != NULL && *p != '\0') {
		e = strstr(p, "\r\n");
		if (e == NULL)
			return NULL;
		if (strncasecmp(p, name, n) == 0 && p[n] == ':') {
			snprintf(value, len, "%.*s", (int)(e - p - n - 1), p + n + 1);
			return value;
		}
		p = e + 2;
	}
	return NULL;
}

/* http-api's own headers: "Name: value\r\n" lines, none the transport's. */
static void
check_headers(const struct http_conn *hc, const char *headers)
{
	static const char *const transport[] = { "Date", "Content-Type", "Content-Length",
	    "Connection", "Transfer-Encoding", "Content-Security-Policy",
	    "X-Content-Type-Options", "Referrer-Policy", NULL };
	const char	*p = headers, *e, *colon, *q;
	size_t		 i;

	while (p != NULL && *p != '\0') {
		if ((e = strstr(p, "\r\n")) == NULL)
			fz_fail("%s: a header line without CRLF: %s", hc->hc_target, p);
		if ((colon = memchr(p, ':', (size_t)(e - p))) == NULL || colon == p)
			fz_fail("%s: a header line without a name: %.*s", hc->hc_target,
			    (int)(e - p), p);
		for (q = p; q < colon; q++)
			if (!ref_tchar((unsigned char)*q))
				fz_fail("%s: a header name that is not a token: %.*s",
				    hc->hc_target, (int)(e - p), p);
		for (q = colon + 1; q < e; q++)
			if (((unsigned char)*q < 0x20 && *q != '\t') || *q == 0x7f)
				fz_fail("%s: a control character in header %.*s", hc->hc_target,
				    (int)(colon - p), p);
		for (i = 0; transport[i] != NULL; i++)
			if ((size_t)(colon - p) == strlen(transport[i]) &&
			    strncasecmp(p, transport[i], (size_t)(colon - p)) == 0)
				fz_fail("%s: the handler wrote the transport's %s", hc->hc_target,
				    transport[i]);
		p = e + 2;
	}
}

static const struct fz_cookie *
cookie_find(const char *value)
{
	size_t	i;

	for (i = 0; i < fz_ncookies; i++)
		if (strcmp(fz_cookies[i].fk_value, value) == 0)
			return &fz_cookies[i];
	return NULL;
}

/* A sign-in's cookie (remembered for $SESSION) or a sign-out's. */
static void
check_set_cookie(struct http_conn *hc, int status, const char *headers, const cJSON *body)
{
	char			 v[512], want[64];
	const char		*term;
	struct fz_cookie	*fk;
	size_t			 n;

	if (header_in(headers, "Set-Cookie", v, sizeof v) == NULL) {
		if (hc->hc_route == FR_SESSION && status == 200 && hc->hc_method != HM_GET &&
		    hc->hc_method != HM_HEAD)
			fz_fail("%s: %s answered 200 without Set-Cookie", hc->hc_target,
			    hc->hc_method == HM_POST ? "a sign-in" : "a sign-out");
		return;
	}
	if (hc->hc_route != FR_SESSION || status != 200 ||
	    (hc->hc_method != HM_POST && hc->hc_method != HM_DELETE))
		fz_fail("%s: Set-Cookie on a %d of %d", hc->hc_target, status, hc->hc_method);
	snprintf(want, sizeof want, "; HttpOnly; SameSite=Strict; Path=/; Max-Age=");
	if (strncmp(v, " " COOKIE_NAME "=", strlen(COOKIE_NAME) + 2) != 0 ||
	    strstr(v, want) == NULL || (strstr(v, "; Secure") != NULL) != hc->hc_tls)
		fz_fail("%s: Set-Cookie:%s", hc->hc_target, v);
	n = strcspn(v + strlen(COOKIE_NAME) + 2, ";");
	if (hc->hc_method == HM_DELETE) {
		if (n != 0 || strstr(v, "Max-Age=0") == NULL)
			fz_fail("%s: a sign-out's Set-Cookie:%s", hc->hc_target, v);
		return;
	}
	if (n != WEBSESSION_COOKIE_LEN ||
	    strspn(v + strlen(COOKIE_NAME) + 2, "0123456789abcdef") != n)
		fz_fail("%s: a session cookie that is not 64 hex digits:%s", hc->hc_target, v);
	term = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(body, "terminal"));
	if (term == NULL || config_terminal(&fz_cfg, term) == NULL)
		fz_fail("%s: a sign-in for no terminal", hc->hc_target);
	fk = &fz_cookies[fz_ncookies < FUZZ_COOKIES ? fz_ncookies++ : FUZZ_COOKIES - 1];
	memcpy(fk->fk_value, v + strlen(COOKIE_NAME) + 2, n);
	fk->fk_value[n] = '\0';
	fk->fk_term = config_terminal(&fz_cfg, term);
	fk->fk_ended = false;
}

/* GET /api/v1/session: exactly who the request speaks for. */
static void
check_identity(const struct http_conn *hc, const cJSON *body)
{
	const char		*via, *term;
	const struct fz_cookie	*fk;

	via = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(body, "via"));
	term = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(body, "terminal"));
	if (via == NULL || term == NULL)
		fz_fail("%s: a session without via or terminal", hc->hc_target);
	if (strcmp(via, "bearer") == 0) {
		if (hc->hc_bearer == NULL || strcmp(hc->hc_bearer->tc_id, term) != 0)
			fz_fail("%s: a bearer session for %s", hc->hc_target, term);
		return;
	}
	if (strcmp(via, "cookie") != 0 || hc->hc_has_auth)
		fz_fail("%s: a session via %s", hc->hc_target, via);
	if (!hc->hc_has_cookie || (fk = cookie_find(hc->hc_cookie)) == NULL || fk->fk_ended)
		fz_fail("%s: signed in as %s by a cookie the daemon did not set (or ended): "
		    "\"%.100s\"", hc->hc_target, term, hc->hc_cookie);
	if (strcmp(fk->fk_term->tc_id, term) != 0)
		fz_fail("%s: the cookie of %s speaks for %s", hc->hc_target, fk->fk_term->tc_id,
		    term);
}

static void
check_json_body(struct http_conn *hc, int status, const char *body, size_t len,
    const char *headers)
{
	cJSON		*o;
	const cJSON	*ok, *e, *code, *msg, *detail, *retry;
	char		 v[64];
	int		 want;

	if ((o = cJSON_ParseWithLength(body, len)) == NULL || !cJSON_IsObject(o))
		fz_fail("%s: %d with a body that is not a JSON object: %.*s", hc->hc_target,
		    status, (int)(len < 300 ? len : 300), body);
	if (memchr(body, '\n', len) != NULL)
		fz_fail("%s: a JSON body of more than one line", hc->hc_target);
	ok = cJSON_GetObjectItemCaseSensitive(o, "ok");
	if (!cJSON_IsBool(ok) || cJSON_IsTrue(ok) != (status == 200))
		fz_fail("%s: %d with %s", hc->hc_target, status, body);
	if (status != 200) {
		e = cJSON_GetObjectItemCaseSensitive(o, "error");
		code = cJSON_GetObjectItemCaseSensitive(e, "code");
		msg = cJSON_GetObjectItemCaseSensitive(e, "message");
		if (!cJSON_IsString(code) || !cJSON_IsString(msg) || *msg->valuestring == '\0')
			fz_fail("%s: an error without a code and a message: %s", hc->hc_target,
			    body);
		detail = cJSON_GetObjectItemCaseSensitive(e, "detail");
		if (detail != NULL && (!cJSON_IsObject(detail) || detail->child == NULL))
			fz_fail("%s: an error's detail that is not an object of facts: %s",
			    hc->hc_target, body);
		want = code_status(code->valuestring);
		if (status == 429) {
			retry = cJSON_GetObjectItemCaseSensitive(detail, "retry_after_s");
			if (want != 401 || !cJSON_IsNumber(retry) || retry->valuedouble < 1 ||
			    header_in(headers, "Retry-After", v, sizeof v) == NULL ||
			    strtoll(v, NULL, 10) != (long long)retry->valuedouble)
				fz_fail("%s: a 429 that is not a lock-out: %s", hc->hc_target, body);
		} else if (want == 0 || (want != status && !(want == 413 && status == 431)))
			fz_fail("%s: %d with error code %s", hc->hc_target, status,
			    code->valuestring);
		if (status == 500)
			fz_fail("%s: an internal error: %s", hc->hc_target, body);
#ifndef FUZZ_NO_REPORTS
		if (status == 503 && strncmp(msg->valuestring, "too many open event streams",
		    27) != 0)
			fz_fail("%s: unavailable on a database that cannot fail: %s",
			    hc->hc_target, body);
#endif
	}
	check_set_cookie(hc, status, headers, o);
	if (status == 200 && hc->hc_route == FR_SESSION &&
	    (hc->hc_method == HM_GET || hc->hc_method == HM_HEAD))
		check_identity(hc, o);
	if (status == 200 && hc->hc_route == FR_SESSION && hc->hc_method == HM_DELETE &&
	    hc->hc_has_cookie && cookie_find(hc->hc_cookie) != NULL)
		((struct fz_cookie *)(uintptr_t)cookie_find(hc->hc_cookie))->fk_ended = true;
	cJSON_Delete(o);
}

/* Who may ask: what the harness makes of the head, against the answer. */
static void
check_who(const struct http_conn *hc, int status)
{
	bool	success = status >= 200 && status < 300;

	/* RFC 9112 3.2: no Host is a 400; one not allowed a 403. */
	if (!hc->hc_has_host && status != 400)
		fz_fail("%s: no Host, answered %d", hc->hc_target, status);
	if (hc->hc_has_host && !hc->hc_host_ok && status != 403)
		fz_fail("%s: a Host that is not allowed, answered %d", hc->hc_target, status);
	if (!success || hc->hc_route == FR_STAR || hc->hc_route == FR_OTHER)
		return;
	if (hc->hc_has_auth && hc->hc_bearer == NULL)
		fz_fail("%s: %d for a bearer token that is no terminal's", hc->hc_target, status);
	if ((hc->hc_method == HM_POST || hc->hc_method == HM_DELETE) && !hc->hc_has_auth &&
	    (hc->hc_has_cookie || hc->hc_has_origin) && !hc->hc_origin_ok)
		fz_fail("%s: %d for a %s with a cookie or an Origin, from another origin",
		    hc->hc_target, status, hc->hc_method == HM_POST ? "POST" : "DELETE");
}

/* A 200 of GET /metrics: a supervisor's, and the exposition format's text. */
static void
check_metrics(const struct http_conn *hc, const char *content_type, const char *body,
    size_t len)
{
	if (strcmp(content_type, "text/plain; version=0.0.4; charset=utf-8") != 0)
		fz_fail("%s: 200 %s", hc->hc_target, content_type);
	if (hc->hc_method != HM_GET && hc->hc_method != HM_HEAD)
		fz_fail("%s: a 200 for another method than GET or HEAD", hc->hc_target);
	if (hc->hc_bearer != NULL ? hc->hc_bearer->tc_role != ROLE_SUPERVISOR :
	    !hc->hc_has_cookie)
		fz_fail("%s: metrics for someone not a supervisor", hc->hc_target);
	if (len < 8 || strncmp(body, "# HELP ", 7) != 0 || body[len - 1] != '\n' ||
	    memchr(body, '\0', len) != NULL)
		fz_fail("%s: metrics that are not the exposition format", hc->hc_target);
}

static void
check_response(struct http_conn *hc, int status, const char *content_type, const char *body,
    size_t len, const char *headers)
{
	char	v[512];

	if (fz_show_log)
		fprintf(fz_stderr, "[%llu] < %d %s %.*s\n", (unsigned long long)hc->hc_id, status,
		    content_type != NULL ? content_type : "-",
		    content_type != NULL && strncmp(content_type, "application/json", 16) == 0 ?
		    (int)(len < 600 ? len : 600) : 0, body != NULL ? body : "");
	if (!contract_status(status))
		fz_fail("%s: status %d", hc->hc_target, status);
	check_headers(hc, headers != NULL ? headers : "");
	hc->hc_status = status;
	if (status == 204 || status == 304) {
		if (len != 0 || content_type != NULL)
			fz_fail("%s: a %d with a body", hc->hc_target, status);
		if (status == 204 && (hc->hc_method != HM_OPTIONS ||
		    header_in(headers, "Allow", v, sizeof v) == NULL))
			fz_fail("%s: a 204 that is not OPTIONS with Allow", hc->hc_target);
		if (status == 304 && (!hc->hc_inm || hc->hc_route != FR_OTHER ||
		    (hc->hc_method != HM_GET && hc->hc_method != HM_HEAD) ||
		    header_in(headers, "ETag", v, sizeof v) == NULL))
			fz_fail("%s: a 304 that is not a file's, asked with If-None-Match",
			    hc->hc_target);
		check_who(hc, status);
		return;
	}
	if (content_type == NULL || (len > 0 && body == NULL))
		fz_fail("%s: a %d body without a type", hc->hc_target, status);
	if (hc->hc_route == FR_METRICS && status == 200) {
		check_metrics(hc, content_type, body, len);
		check_who(hc, status);
		return;
	}
	if (status == 405 && header_in(headers, "Allow", v, sizeof v) == NULL)
		fz_fail("%s: a 405 without Allow", hc->hc_target);
	if (strcmp(content_type, "application/json") == 0 &&
	    (hc->hc_route != FR_OTHER || status != 200))
		check_json_body(hc, status, body, len, headers);
	else if (status != 200 || hc->hc_route != FR_OTHER ||
	    header_in(headers, "ETag", v, sizeof v) == NULL)
		fz_fail("%s: %d %s (not JSON, not a file)", hc->hc_target, status, content_type);
	check_who(hc, status);
}

/* ---- event streams ---- */

static enum topic
event_topic(const char *event)
{
	if (strcmp(event, "ticket.called") == 0)
		return TOPIC_CALLS;
	if (strcmp(event, "queue.changed") == 0 || strcmp(event, "day.ended") == 0)
		return TOPIC_QUEUE;
	if (strncmp(event, "complaint.", 10) == 0 || strncmp(event, "followup.", 9) == 0)
		return TOPIC_FOLLOWUPS;
	fz_fail("an event of no topic: %s", event);
}

/* PROTOCOL 1.1: complaint events for supervisors, the owner and the first responder. */
static void
check_audience(const struct http_conn *hc, const cJSON *o, const char *line)
{
	const struct terminal_conf	*tc = hc->hc_term;
	const char			*owner, *first = NULL;
	const cJSON			*id;
	bool				 heard;

	if (tc->tc_role == ROLE_SUPERVISOR)
		return;
	if (tc->tc_role == ROLE_DISPLAY || tc->tc_role == ROLE_KIOSK)
		fz_fail("%s: a %s hears a complaint: %s", hc->hc_target, role_name(tc->tc_role),
		    line);
	owner = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, "owner"));
	id = cJSON_GetObjectItemCaseSensitive(o, "id");
	heard = owner != NULL && *tc->tc_staff != '\0' && strcmp(owner, tc->tc_staff) == 0;
	if (!heard && cJSON_IsNumber(id)) {
		sqlite3_bind_int64(fz_responder, 1, (sqlite3_int64)id->valuedouble);
		if (sqlite3_step(fz_responder) == SQLITE_ROW)
			first = (const char *)sqlite3_column_text(fz_responder, 0);
		heard = first != NULL && strcmp(first, tc->tc_staff) == 0;
		sqlite3_reset(fz_responder);
	}
	if (!heard)
		fz_fail("%s: %s (%s) hears another's complaint: %s", hc->hc_target, tc->tc_id,
		    tc->tc_staff, line);
}

/* One block of the stream, NUL-terminated in place, without its empty line. */
static void
check_sse_block(struct http_conn *hc, char *block)
{
	char		*line, *save = NULL, *data = NULL, *event = NULL, *end;
	const char	*name;
	const cJSON	*seq;
	long long	 id = -1, had;
	bool		 comments = false, retry = false;
	cJSON		*o;

	if (*block == '\0' || *block == '\n')
		fz_fail("%s: two empty lines in a row in the stream", hc->hc_target);
	if (strchr(block, '\r') != NULL)
		fz_fail("%s: a CR in the stream", hc->hc_target);
	if (block[strlen(block) - 1] == '\n')
		fz_fail("%s: an empty line at an event's end", hc->hc_target);
	for (line = strtok_r(block, "\n", &save); line != NULL; line = strtok_r(NULL, "\n", &save)) {
		if (line[0] == ':') {
			comments = true;
		} else if (strncmp(line, "retry: ", 7) == 0 && !retry) {
			/* The stream's first block, on its own. */
			if (hc->hc_retry_seen || line[7] == '\0' ||
			    strspn(line + 7, "0123456789") != strlen(line + 7))
				fz_fail("%s: %s", hc->hc_target, line);
			retry = true;
		} else if (strncmp(line, "id: ", 4) == 0 && id < 0 && data == NULL) {
			id = strtoll(line + 4, &end, 10);
			if (*end != '\0' || id < 0 || line[4] < '0' || line[4] > '9')
				fz_fail("%s: %s", hc->hc_target, line);
		} else if (strncmp(line, "event: ", 7) == 0 && event == NULL && data == NULL) {
			event = line + 7;
		} else if (strncmp(line, "data: ", 6) == 0 && data == NULL) {
			data = line + 6;
		} else
			fz_fail("%s: a stream line out of place: \"%.200s\"", hc->hc_target, line);
	}
	if (retry) {
		if (comments || id >= 0 || event != NULL || data != NULL)
			fz_fail("%s: retry: beside other lines", hc->hc_target);
		hc->hc_retry_seen = true;
		return;
	}
	if (!hc->hc_retry_seen)
		fz_fail("%s: a stream that does not begin with retry:", hc->hc_target);
	if (data == NULL) {
		/* Comments, or an id alone: where the stream starts. */
		if (event != NULL || (id < 0) == !comments)
			fz_fail("%s: an event without data", hc->hc_target);
		if (id >= 0) {
			if (id <= hc->hc_last_id)
				fz_fail("%s: id %lld after %lld", hc->hc_target, id,
				    hc->hc_last_id);
			hc->hc_last_id = id;
		}
		return;
	}
	if ((o = cJSON_Parse(data)) == NULL || !cJSON_IsObject(o))
		fz_fail("%s: data that is not a JSON object: %.300s", hc->hc_target, data);
	name = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, "event"));
	seq = cJSON_GetObjectItemCaseSensitive(o, "seq");
	if (name == NULL || event == NULL || strcmp(name, event) != 0 || !cJSON_IsNumber(seq))
		fz_fail("%s: an event's name or seq does not match its data: %.300s",
		    hc->hc_target, data);
	if (strcmp(name, "reset") == 0) {
		if (id >= 0 || hc->hc_last_id >= 0)
			fz_fail("%s: a reset with an id, or not first", hc->hc_target);
		hc->hc_since = -1;
	} else {
		/*
		 * Ids increase: an event the stream has not had carries its seq
		 * as its id; one that tells of a seq it already has (a topic's
		 * state after the replay: the last id, or where the stream
		 * started) carries none.
		 */
		had = hc->hc_last_id > hc->hc_since ? hc->hc_last_id : hc->hc_since;
		if (had < hc->hc_start)
			had = hc->hc_start;
		if (id >= 0 ? (double)id != seq->valuedouble || id <= hc->hc_last_id ||
		    id <= hc->hc_since : seq->valuedouble > (double)had)
			fz_fail("%s: id %lld after %lld (since %lld, from %lld) for %.300s",
			    hc->hc_target, id, hc->hc_last_id, hc->hc_since, hc->hc_start, data);
		if (id >= 0)
			hc->hc_last_id = id;
		if (!(hc->hc_topics & (1u << event_topic(name))))
			fz_fail("%s: an event of a topic not asked for: %.300s", hc->hc_target,
			    data);
		if (event_topic(name) == TOPIC_FOLLOWUPS)
			check_audience(hc, o, data);
	}
	cJSON_Delete(o);
}

/* The whole blocks written since the last read; all of it when the stream ends. */
static void
read_stream(struct http_conn *hc, bool all)
{
	char	*p, *e;

	if (hc->hc_out_read == hc->hc_out_len)
		return;
	if (hc->hc_out_len == hc->hc_out_cap) {
		hc->hc_out_cap += 1;
		if ((hc->hc_out = realloc(hc->hc_out, hc->hc_out_cap)) == NULL)
			fz_fail("realloc");
	}
	hc->hc_out[hc->hc_out_len] = '\0';
	if (memchr(hc->hc_out + hc->hc_out_read, '\0', hc->hc_out_len - hc->hc_out_read) != NULL)
		fz_fail("%s: a NUL in the stream", hc->hc_target);
	p = hc->hc_out + hc->hc_out_read;
	while ((e = strstr(p, "\n\n")) != NULL) {
		*e = '\0';
		check_sse_block(hc, p);
		p = e + 2;
	}
	if (all && *p != '\0')
		fz_fail("%s: the stream ends in the middle of an event: %.200s", hc->hc_target, p);
	hc->hc_out_read = (size_t)(p - hc->hc_out);
	if (hc->hc_out_read == hc->hc_out_len)
		hc->hc_out_read = hc->hc_out_len = 0;
}

/* ---- the transport: http.c's functions that http-api.c calls ---- */

static void
request_free(struct http_request *r)
{
	free((char *)(uintptr_t)r->hr_body);
	free(r);
}

static struct http_conn *
handled(struct http_request *r, const char *what)
{
	struct http_conn	*hc = r->hr_conn;

	if (hc->hc_req != r || hc->hc_state != FZ_HANDLING)
		fz_fail("%s: %s for a request that is not being handled (state %d)",
		    hc->hc_target, what, hc->hc_state);
	return hc;
}

void
http_respond(struct http_request *r, int status, const char *content_type, const char *body,
    size_t len, const char *headers)
{
	struct http_conn	*hc = handled(r, "a response");

	check_response(hc, status, content_type, body, len, headers);
	hc->hc_state = FZ_ANSWERED;
	hc->hc_req = NULL;
	request_free(r);
}

void
http_stream_start(struct http_request *r, const char *content_type, const char *headers)
{
	struct http_conn	*hc = handled(r, "a stream");
	const char		*auth, *since;
	const struct fz_cookie	*fk;
	char			 topics[512];

	if (fz_show_log)
		fprintf(fz_stderr, "[%llu] < 200 %s (a stream)\n", (unsigned long long)hc->hc_id,
		    content_type);
	check_headers(hc, headers != NULL ? headers : "");
	if (hc->hc_route != FR_EVENTS || hc->hc_method != HM_GET ||
	    strcmp(content_type, "text/event-stream; charset=utf-8") != 0)
		fz_fail("%s: a stream of %s", hc->hc_target, content_type);
	check_who(hc, 200);
	/* Whose, and what it asked for, as the harness reads it. */
	auth = http_head_get(&r->hr_head, "Authorization");
	if (auth != NULL)
		hc->hc_term = hc->hc_bearer;
	else if (hc->hc_has_cookie && (fk = cookie_find(hc->hc_cookie)) != NULL && !fk->fk_ended)
		hc->hc_term = fk->fk_term;
	if (hc->hc_term == NULL)
		fz_fail("%s: a stream for nobody the harness signed in", hc->hc_target);
	if (hc->hc_term->tc_role == ROLE_KIOSK)
		fz_fail("%s: a stream for a kiosk", hc->hc_target);
	hc->hc_topics = 0;
	if (ref_query_get(r->hr_head.hd_query, "topics", topics, sizeof topics) == 1) {
		for (int t = 0; t < TOPIC__COUNT; t++)
			if (ref_list_has(topics, topic_names[t]))
				hc->hc_topics |= 1u << t;
	}
	hc->hc_status = 200;
	hc->hc_last_id = -1;
	hc->hc_start = publish_seq();
	/* Last-Event-ID, else ?since=: the ids after it (unless a reset comes). */
	hc->hc_since = -1;
	if ((since = http_head_get(&r->hr_head, "Last-Event-ID")) == NULL &&
	    ref_query_get(r->hr_head.hd_query, "since", topics, sizeof topics) == 1)
		since = topics;
	if (since != NULL && *since != '\0')
		hc->hc_since = strtoll(since, NULL, 10);
	hc->hc_state = FZ_STREAMING;
}

void
http_stream_write(struct http_request *r, const char *data, size_t len)
{
	struct http_conn	*hc = r->hr_conn;

	if (hc->hc_state != FZ_STREAMING)
		return;		/* as http.c: nothing goes out on a closing connection */
	if (hc->hc_out_len + len + 1 > hc->hc_out_cap) {
		hc->hc_out_cap = 2 * (hc->hc_out_len + len + 1);
		if ((hc->hc_out = realloc(hc->hc_out, hc->hc_out_cap)) == NULL)
			fz_fail("realloc");
	}
	memcpy(hc->hc_out + hc->hc_out_len, data, len);
	hc->hc_out_len += len;
}

size_t
http_stream_pending(const struct http_request *r)
{
	const struct http_conn	*hc = r->hr_conn;

	return hc->hc_out_len - hc->hc_out_read;
}

/* As http.c's hc_kill(): the handler hears first, then the request goes. */
/* The transports' counts, for GET /metrics: this harness stands in for both. */
int
http_connections(void)
{
	return 1;
}

int
server_connections(void)
{
	return 0;
}

void
http_stream_close(struct http_request *r, const char *reason)
{
	struct http_conn	*hc = r->hr_conn;

	if (hc->hc_req != r || hc->hc_state != FZ_STREAMING)
		fz_fail("%s: a stream closed (%s) that is not one (state %d)", hc->hc_target,
		    reason, hc->hc_state);
	if (fz_show_log)
		fprintf(fz_stderr, "[%llu] stream closed: %s\n", (unsigned long long)hc->hc_id,
		    reason);
	/* A sign-out ends the streams of that session, and only those. */
	if (strcmp(reason, "signed_out") == 0 && (fz_current == NULL ||
	    fz_current->hc_route != FR_SESSION || fz_current->hc_method != HM_DELETE ||
	    hc->hc_has_auth || !hc->hc_has_cookie || cookie_find(hc->hc_cookie) == NULL ||
	    strcmp(hc->hc_cookie, fz_current->hc_cookie) != 0))
		fz_fail("%s: ended (%s) by %s, which is not its session's sign-out",
		    hc->hc_target, reason, fz_current != NULL ? fz_current->hc_target : "nothing");
	if (strcmp(reason, "session_ended") == 0 && (hc->hc_has_auth || !hc->hc_has_cookie))
		fz_fail("%s: a bearer's stream ended as a session's", hc->hc_target);
	hc->hc_req = NULL;
	if (r->hr_closed != NULL)
		r->hr_closed(r);
	request_free(r);
	hc->hc_state = FZ_CLOSED;
	/* Read once the loop has committed (a group may be open now). */
	hc->hc_unread = true;
}

/* ---- set-up (as fuzz_proto) ---- */

static void
hex(const unsigned char *p, size_t n, char *out)
{
	size_t	i;

	for (i = 0; i < n; i++)
		snprintf(out + 2 * i, 3, "%02x", p[i]);
}

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
	    "\"http_hosts\":[\"branchq.example\",\"Queue.Bank.Local\"],"
	    "\"http_max_streams\":4,\"subscriber_buffer_bytes\":4096,"
	    "\"auth_max_failures\":3,"
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

/* For each table but the migrations': one statement to empty it, one to read it. */
static void
prepare_statements(void)
{
	sqlite3_stmt	*st;
	const char	*name;
	char		 sql[256];

	if (sqlite3_prepare_v2(fz_db, "SELECT name FROM sqlite_master WHERE type = 'table' "
	    "AND name != 'schema_migrations' AND (name NOT LIKE 'sqlite%' OR "
	    "name = 'sqlite_sequence')", -1, &st, NULL) != SQLITE_OK)
		fz_fail("the tables: %s", sqlite3_errmsg(fz_db));
	while (sqlite3_step(st) == SQLITE_ROW) {
		if (fz_nreset == sizeof fz_reset / sizeof fz_reset[0])
			fz_fail("too many tables");
		name = (const char *)sqlite3_column_text(st, 0);
		snprintf(sql, sizeof sql, "DELETE FROM \"%s\"", name);
		if (sqlite3_prepare_v3(fz_db, sql, -1, SQLITE_PREPARE_PERSISTENT,
		    &fz_reset[fz_nreset++], NULL) != SQLITE_OK)
			fz_fail("%s: %s", sql, sqlite3_errmsg(fz_db));
		/* The publisher's reservations move by design, and so does /healthz's row. */
		snprintf(sql, sizeof sql, "SELECT * FROM \"%s\"%s", name,
		    strcmp(name, "settings") == 0 ? " WHERE key NOT IN ('event_seq_reserved', "
		    "'healthz_at')" : "");
		if (sqlite3_prepare_v3(fz_db, sql, -1, SQLITE_PREPARE_PERSISTENT,
		    &fz_sum[fz_nsum++], NULL) != SQLITE_OK)
			fz_fail("%s: %s", sql, sqlite3_errmsg(fz_db));
	}
	sqlite3_finalize(st);
	if (sqlite3_prepare_v3(fz_db, "SELECT first_responder FROM complaints WHERE id = ?",
	    -1, SQLITE_PREPARE_PERSISTENT, &fz_responder, NULL) != SQLITE_OK)
		fz_fail("first_responder: %s", sqlite3_errmsg(fz_db));
}

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
wait_over(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
	fz_wait_over = true;
}

static void
init_once(void)
{
	char	err[512];

	fz_show_log = getenv("FUZZ_LOG") != NULL;
	log_init(LOG_LEVEL_DEBUG);
	if (sqlite3_config(SQLITE_CONFIG_URI, 1) != SQLITE_OK)
		fz_fail("sqlite3_config(SQLITE_CONFIG_URI)");
	load_config();
	if (time_set_zone(fz_cfg.cf_timezone) == -1)
		fz_fail("no time zone %s", fz_cfg.cf_timezone);
	if ((fz_base = event_base_new()) == NULL)
		fz_fail("event_base_new");
	if ((fz_wait_timer = evtimer_new(fz_base, wait_over, NULL)) == NULL)
		fz_fail("evtimer_new");
	clock_init(fz_base, true, FUZZ_START);
	if (faultvfs_register(err, sizeof err) == -1)
		fz_fail("faultvfs_register: %s", err);
	if ((fz_store = store_open(FUZZ_DB, STORE_WAL_PAGES, err, sizeof err)) == NULL)
		fz_fail("store_open: %s", err);
#ifndef FUZZ_NO_REPORTS
	if (reports_start(fz_base, FUZZ_DB, err, sizeof err) == -1)
		fz_fail("reports_start: %s", err);
#endif
	if (sqlite3_open_v2(FUZZ_DB, &fz_db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK)
		fz_fail("sqlite3_open_v2: %s", sqlite3_errmsg(fz_db));
	if (sqlite3_db_config(fz_db, SQLITE_DBCONFIG_ENABLE_TRIGGER, 0, NULL) != SQLITE_OK)
		fz_fail("cannot turn the triggers off: %s", sqlite3_errmsg(fz_db));
	/* Shared cache: read what an open group wrote, without its table locks. */
	if (sqlite3_exec(fz_db, "PRAGMA read_uncommitted = 1", NULL, NULL, NULL) != SQLITE_OK)
		fz_fail("read_uncommitted: %s", sqlite3_errmsg(fz_db));
	prepare_statements();
}

/* The events on the base, to find the one http_api_init() adds. */
struct fz_events {
	const struct event	*fe_ev[64];
	size_t			 fe_n;
	const struct event	*fe_new;
};

static int
collect_event(const struct event_base *base, const struct event *ev, void *arg)
{
	struct fz_events	*fe = arg;

	(void)base;
	if (fe->fe_n < sizeof fe->fe_ev / sizeof fe->fe_ev[0])
		fe->fe_ev[fe->fe_n++] = ev;
	return 0;
}

static int
find_new_event(const struct event_base *base, const struct event *ev, void *arg)
{
	struct fz_events	*fe = arg;
	size_t			 i;

	(void)base;
	for (i = 0; i < fe->fe_n && fe->fe_ev[i] != ev; i++)
		;
	if (i == fe->fe_n)
		fe->fe_new = ev;
	return 0;
}

/* An empty database, a fresh branch and publisher, the clock at FUZZ_START. */
static void
open_input(void)
{
	struct fz_events	 fe;
	char			 err[512];

	empty_database();
	clock_init(fz_base, true, FUZZ_START);
	faultvfs_set(DBF_NONE);
	if (publish_open(fz_store, err, sizeof err) == -1)
		fz_fail("publish_open: %s", err);
	events_init(fz_base, &fz_branch);
	if (branch_open(&fz_branch, &fz_cfg, fz_store, events_hooks(), err, sizeof err) == -1)
		fz_fail("branch_open: %s", err);
	followup_start(&fz_branch);
	if (websession_prune(&fz_branch, err, sizeof err) == -1)
		fz_fail("websession_prune: %s", err);
	barrier_init(fz_base, &fz_branch);
	memset(&fe, 0, sizeof fe);
	event_base_foreach_event(fz_base, collect_event, &fe);
	http_api_init(fz_base, &fz_branch);
	event_base_foreach_event(fz_base, find_new_event, &fe);
	if (fe.fe_new == NULL)
		fz_fail("http_api_init() set no heartbeat");
	fz_heartbeat = (struct event *)(uintptr_t)fe.fe_new;
	/* Group commit stays on from the last input: what start-up wrote (the
	 * publisher's reservation) is in a group still open. */
	barrier_commit_now();
	fz_conns = NULL;
	fz_next_id = 0;
	fz_ncookies = 0;
	fz_inputs++;
	fz_dberror[0] = '\0';
}

/* The streams still open: their clients go away (as http.c's hc_event on
 * EOF), the oldest first (http-api lists the newest first). */
static void
hang_up(void)
{
	struct http_conn	*hc, *oldest;

	do {
		oldest = NULL;
		for (hc = fz_conns; hc != NULL; hc = hc->hc_next)
			if (hc->hc_state == FZ_STREAMING)
				oldest = hc;
		if (oldest != NULL)
			http_stream_close(oldest->hc_req, "eof");
	} while (oldest != NULL);
}

static void	read_streams(void);

static void
close_input(void)
{
	struct http_conn	*hc, *next;

	barrier_commit_now();
	hang_up();
	read_streams();
	for (hc = fz_conns; hc != NULL; hc = hc->hc_next)
		if (hc->hc_state == FZ_HANDLING)
			fz_fail("%s: never answered", hc->hc_target);
	http_api_free();
	events_free();
	publish_close();
	branch_close(&fz_branch);
	clock_shutdown();
	for (hc = fz_conns; hc != NULL; hc = next) {
		next = hc->hc_next;
		free(hc->hc_out);
		free(hc);
	}
	fz_conns = NULL;
	check_log();
}

/* ---- mode requests ---- */

struct fz_flags {
	bool	ff_tls, ff_slow, ff_together;
};

/* The open streams' new blocks (but slow ones'), and all a closed one got. */
static void
read_streams(void)
{
	struct http_conn	*hc;

	for (hc = fz_conns; hc != NULL; hc = hc->hc_next) {
		if (hc->hc_state == FZ_STREAMING && !hc->hc_slow)
			read_stream(hc, false);
		else if (hc->hc_unread) {
			hc->hc_unread = false;
			read_stream(hc, true);
		}
	}
}

static struct http_conn *
unanswered(void)
{
	struct http_conn	*hc;

	for (hc = fz_conns; hc != NULL; hc = hc->hc_next)
		if (hc->hc_state == FZ_HANDLING)
			return hc;
	return NULL;
}

/*
 * Each request answered since the last time: a GET or HEAD, and a refusal,
 * changed nothing.  The checksums were taken just before and just after
 * http_api_handle() (the harness reads uncommitted rows: a group may be
 * open), so what other requests of the same pass wrote does not count.
 */
static void
settle(void)
{
	struct http_conn	*hc;

	for (hc = fz_conns; hc != NULL; hc = hc->hc_next) {
		if (hc->hc_settled || hc->hc_state == FZ_HANDLING)
			continue;
		hc->hc_settled = true;
		if ((hc->hc_method == HM_GET || hc->hc_method == HM_HEAD || hc->hc_status >= 400) &&
		    hc->hc_sum_after != hc->hc_sum)
			fz_fail("%s: answered %d, and the database changed", hc->hc_target,
			    hc->hc_status);
	}
}

/*
 * The iteration's end (the group commit, then the replies and events it
 * held), and a report's reply if one is to come: then every request has
 * its answer, and the streams what they were sent.
 */
static void
run_loop(void)
{
	struct timeval		 tv = { FUZZ_WAIT_S, 0 };
	struct http_conn	*hc;

	if (event_base_loop(fz_base, EVLOOP_NONBLOCK) == -1)
		fz_fail("event_base_loop");
	if (unanswered() != NULL) {
		fz_wait_over = false;
		evtimer_add(fz_wait_timer, &tv);
		while (unanswered() != NULL && !fz_wait_over)
			if (event_base_loop(fz_base, EVLOOP_ONCE) == -1)
				fz_fail("event_base_loop");
		evtimer_del(fz_wait_timer);
		if ((hc = unanswered()) != NULL)
			fz_fail("%s: no response within %d s", hc->hc_target, FUZZ_WAIT_S);
		if (event_base_loop(fz_base, EVLOOP_NONBLOCK) == -1)
			fz_fail("event_base_loop");
	}
	settle();
	read_streams();
	check_log();
}

/* What the harness makes of a request before the daemon sees it. */
static void
read_request(struct http_conn *hc, const struct http_head *h)
{
	const char	*host = http_head_get(h, "Host"), *origin, *auth, *colon;
	const char	*scheme = hc->hc_tls ? "https://" : "http://";
	const struct demo_terminal *dt;
	bool		 too_long;

	hc->hc_method = h->hd_method;
	snprintf(hc->hc_target, sizeof hc->hc_target, "%s %.120s", h->hd_method_name,
	    h->hd_target);
	if (h->hd_method == HM_OPTIONS && http_path_is(h, "*"))
		hc->hc_route = FR_STAR;
	else if (h->hd_path_len > 11 && strncmp(h->hd_path, "/api/v1/op/", 11) == 0)
		hc->hc_route = FR_OP;
	else if (http_path_is(h, "/api/v1/session"))
		hc->hc_route = FR_SESSION;
	else if (http_path_is(h, "/api/v1/events"))
		hc->hc_route = FR_EVENTS;
	else if (http_path_is(h, "/healthz"))
		hc->hc_route = FR_HEALTHZ;
	else if (http_path_is(h, "/metrics"))
		hc->hc_route = FR_METRICS;
	else
		hc->hc_route = FR_OTHER;
	hc->hc_has_host = host != NULL;
	hc->hc_host_ok = ref_host_ok(host);
	origin = http_head_get(h, "Origin");
	hc->hc_has_origin = origin != NULL;
	hc->hc_origin_ok = origin != NULL && host != NULL &&
	    strncasecmp(origin, scheme, strlen(scheme)) == 0 &&
	    strcasecmp(origin + strlen(scheme), host) == 0;
	hc->hc_inm = http_head_get(h, "If-None-Match") != NULL;
	if ((auth = http_head_get(h, "Authorization")) != NULL) {
		hc->hc_has_auth = true;
		if (strncasecmp(auth, "Bearer ", 7) == 0 && (colon = strchr(auth + 7, ':')) != NULL)
			for (dt = demo_terminals; dt->dt_id != NULL; dt++)
				if ((size_t)(colon - auth - 7) == strlen(dt->dt_id) &&
				    strncmp(auth + 7, dt->dt_id, strlen(dt->dt_id)) == 0 &&
				    strcmp(colon + 1, dt->dt_token) == 0)
					hc->hc_bearer = config_terminal(&fz_cfg, dt->dt_id);
	}
	hc->hc_has_cookie = ref_cookie(http_head_get(h, "Cookie"), hc->hc_cookie,
	    sizeof hc->hc_cookie, &too_long);
}

/* One request to http_api_handle(); the loop runs later. */
static struct http_conn *
handle(struct http_request *r, const struct fz_flags *fl)
{
	struct http_conn	*hc = fz_alloc(sizeof *hc);

	hc->hc_id = r->hr_id = ++fz_next_id;
	hc->hc_tls = r->hr_tls = fl->ff_tls;
	hc->hc_slow = fl->ff_slow;
	hc->hc_next = fz_conns;
	fz_conns = hc;
	hc->hc_req = r;
	hc->hc_state = FZ_HANDLING;
	r->hr_conn = hc;
	snprintf(r->hr_peer, sizeof r->hr_peer, "127.0.0.1");
	/* The throttle's key: an address of this input's own. */
	r->hr_addr[0] = 10;
	r->hr_addr[1] = (unsigned char)(fz_inputs >> 16);
	r->hr_addr[2] = (unsigned char)(fz_inputs >> 8);
	r->hr_addr[3] = (unsigned char)fz_inputs;
	r->hr_addr_len = 4;
	read_request(hc, &r->hr_head);
	hc->hc_sum = db_checksum();
	if (fz_show_log)
		fprintf(fz_stderr, "[%llu] > %s (%zu body bytes)\n", (unsigned long long)hc->hc_id,
		    hc->hc_target, r->hr_body_len);
	fz_current = hc;
	http_api_handle(r);	/* r may be gone now */
	fz_current = NULL;
	hc->hc_sum_after = db_checksum();
	return hc;
}

/* The length of the head at p (its empty line included), or 0: as http.c. */
static size_t
head_length(const char *p, size_t avail)
{
	size_t	n = avail < HTTP_MAX_HEAD + 4 ? avail : HTTP_MAX_HEAD + 4, i;

	for (i = 0; i + 1 < n; i++) {
		if (p[i] != '\n')
			continue;
		if (p[i + 1] == '\n')
			return i + 2;
		if (p[i + 1] == '\r' && i + 2 < n && p[i + 2] == '\n')
			return i + 3;
	}
	return 0;
}

static void
refused(int status, const char *why)
{
	if (fz_show_log)
		fprintf(fz_stderr, "[-] < %d (the transport's) %s\n", status, why);
	if (!contract_status(status))
		fz_fail("the transport would answer %d: %s", status, why);
}

/*
 * One connection: its requests, framed as http.c frames them, one at a
 * time: the next is read in a later pass of the loop than the one that
 * answered the last.  The loop does not run after the connection's last:
 * the next connection's first may share its pass (flag `together`).
 */
static void
run_connection(const char *p, size_t len, const struct fz_flags *fl)
{
	struct http_request	*r;
	struct http_conn	*hc;
	size_t			 hlen, blen;
	char			*body, err[160];
	int			 status;
	bool			 last, report;

	while (len > 0) {
		while (len > 0 && (*p == '\r' || *p == '\n')) {
			p++;
			len--;
		}
		if (len == 0)
			return;
		if ((hlen = head_length(p, len)) == 0) {
			refused(len > HTTP_MAX_HEAD ? 431 : 408, "a head that does not end");
			return;
		}
		if (hlen > HTTP_MAX_HEAD + 2) {
			refused(431, "a head over 8 KiB");
			return;
		}
		r = fz_alloc(sizeof *r + hlen + 1);
		memcpy(r + 1, p, hlen);
		if ((status = http_parse_head((char *)(r + 1), hlen, &r->hr_head, err,
		    sizeof err)) != 0 || r->hr_head.hd_transfer_encoding ||
		    r->hr_head.hd_content_length > HTTP_MAX_BODY) {
			refused(status != 0 ? status : r->hr_head.hd_transfer_encoding ? 411 : 413,
			    status != 0 ? err : "Transfer-Encoding or Content-Length");
			free(r);
			return;
		}
		p += hlen;
		len -= hlen;
		blen = r->hr_head.hd_content_length > 0 ? (size_t)r->hr_head.hd_content_length : 0;
		if (blen > len)
			blen = len;	/* as if the client had sent it all */
		body = fz_alloc(blen + 1);
		memcpy(body, p, blen);
		r->hr_body = body;
		r->hr_body_len = blen;
		p += blen;
		len -= blen;
		last = r->hr_head.hd_close;
		/*
		 * The reports' worker reads this shared-cache database with
		 * table locks, which a file in WAL mode would not take: its
		 * reads would fail on the rows of an open group, and writes
		 * while it reads.  So a report has a pass of its own.
		 */
		report = r->hr_head.hd_method == HM_POST && r->hr_head.hd_path_len > 18 &&
		    strncmp(r->hr_head.hd_path, "/api/v1/op/report.", 18) == 0;
		if (report && store_group_open(fz_store))
			run_loop();
		hc = handle(r, fl);
		if (report)
			run_loop();
		if (hc->hc_state == FZ_STREAMING) {
			/* Input on a stream: its client is done with it (http.c). */
			if (len > 0) {
				run_loop();
				if (hc->hc_state == FZ_STREAMING)
					http_stream_close(hc->hc_req, "client_sent");
			}
			return;
		}
		if (last)
			return;
		/* Not the last: it is read once this one is answered. */
		for (; len > 0 && (*p == '\r' || *p == '\n'); p++, len--)
			;
		if (len > 0)
			run_loop();
	}
}

/* "$SESSION" replaced by the last cookie the daemon set. */
static char *
substitute(const char *p, size_t len, size_t *outlen)
{
	const char	*cookie = fz_ncookies > 0 ? fz_cookies[fz_ncookies - 1].fk_value : NULL;
	size_t		 n = strlen(FUZZ_SESSION), i, o = 0;
	char		*out;

	out = fz_alloc(len * (WEBSESSION_COOKIE_LEN / n + 1) + 1);
	for (i = 0; i < len; i++) {
		if (cookie != NULL && i + n <= len && memcmp(p + i, FUZZ_SESSION, n) == 0) {
			memcpy(out + o, cookie, WEBSESSION_COOKIE_LEN);
			o += WEBSESSION_COOKIE_LEN;
			i += n - 1;
		} else
			out[o++] = p[i];
	}
	*outlen = o;
	return out;
}

static bool
has_word(const char *line, size_t len, const char *word)
{
	size_t	n = strlen(word), i;

	for (i = 0; i + n <= len; i++)
		if (memcmp(line + i, word, n) == 0 && (i == 0 || line[i - 1] == ' ') &&
		    (i + n == len || line[i + n] == ' '))
			return true;
	return false;
}

static void
requests_mode(const char *p, size_t size)
{
	const char	*end = p + size, *sep, *flags, *nl;
	struct fz_flags	 fl = { false, false, false };
	char		*conn;
	size_t		 n, len;

	for (;;) {
		if (!fl.ff_together)
			run_loop();
		/* The connection runs to the next line starting with "~~~". */
		for (sep = p; sep < end; sep++)
			if ((sep == p || sep[-1] == '\n') && (size_t)(end - sep) >= 3 &&
			    memcmp(sep, FUZZ_SEPARATOR, 3) == 0)
				break;
		n = (size_t)(sep - p);
		if (n > 0 && sep < end && p[n - 1] == '\n')
			n--;	/* the separator's line break */
		conn = substitute(p, n, &len);
		run_connection(conn, len, &fl);
		free(conn);
		if (sep >= end) {
			run_loop();
			return;
		}
		flags = sep + 3;
		if ((nl = memchr(flags, '\n', (size_t)(end - flags))) == NULL)
			nl = end;
		n = (size_t)(nl - flags);
		fl.ff_tls = has_word(flags, n, "tls");
		fl.ff_slow = has_word(flags, n, "slow");
		fl.ff_together = has_word(flags, n, "together");
		if (has_word(flags, n, "hangup")) {
			hang_up();
			if (!fl.ff_together)
				run_loop();
		}
		if (has_word(flags, n, "heartbeat")) {
			event_active(fz_heartbeat, EV_TIMEOUT, 1);
			if (!fl.ff_together)
				run_loop();
		}
		p = nl + (nl < end);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static cookie_io_functions_t	 log_io = { .write = log_write };
	static bool			 initialised;

	fz_stderr = stderr;
	if (fz_log == NULL && (fz_log = fopencookie(NULL, "w", log_io)) == NULL)
		fz_fail("fopencookie");
	stderr = fz_log;
	if (!initialised) {
		init_once();
		initialised = true;
	}
	if (size > 0 && data[0] == FUZZ_PARSE_MODE)
		parse_mode(data, size);
	else {
		open_input();
		requests_mode((const char *)data, size);
		close_input();
	}
	fflush(fz_log);
	stderr = fz_stderr;
	return 0;
}
