/*
 * HTTP/1.1: the listener, one bufferevent per connection, requests framed
 * (head, then a Content-Length body) and answered in order.  What the
 * requests mean is the handler's (http-api.c); this file knows bytes,
 * limits and connections.
 *
 * Not libevent's evhttp, though it runs on the same loop: in 2.1 evhttp
 * answers an oversized body or head with its own HTML page (PROTOCOL: the
 * JSON error shape), times a request per read (so a client that dribbles
 * a byte every few seconds is never cut off; PROTOCOL: 10 s for the whole
 * request), and stops reading while it answers, so an event stream whose
 * browser went away is noticed only when a write fails.  Here each of
 * those is a few lines.
 *
 * What a client may hold is bounded (docs/SECURITY.md): connections
 * (hl_max_connections, then a 503), a head of HTTP_MAX_HEAD bytes, a body
 * of HTTP_MAX_BODY, hl_request_s from the first byte of a request to its
 * last (and as long idle between requests), output that does not move for
 * hl_write_timeout_s.  An event stream's backlog is the handler's to bound
 * (http_stream_pending).
 *
 * Under TLS (tls.c) each bufferevent is bufferevent_openssl, made by
 * tls_accept_bufferevent(): until its handshake is done a connection is
 * told nothing; it has no read watermark (OpenSSL would keep the rest of a
 * record where no socket event finds it), so hc_read() stops reading past
 * READ_HIGH_WATER itself; and its last answer ends with close_notify.
 */
#include <sys/socket.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <event2/util.h>

#include "branchq.h"

#define LINGER_S		2	/* as server.c: let the last answer arrive */
#define LINGER_MAX_BYTES	(1024 * 1024)
#define ACCEPT_PAUSE_MS		250
#define SHUTDOWN_GRACE_S	5
/* Pipelined requests waiting behind the one being answered: not read past this. */
#define READ_HIGH_WATER		(HTTP_MAX_HEAD + HTTP_MAX_BODY + 4096)
/* write_head()'s length: -1 none (204, 304), LENGTH_ENDLESS until the close. */
#define LENGTH_ENDLESS		(-2)

/* PROTOCOL HTTP: on every response.  default-src 'self' forbids inline
 * script and eval; the pages need nothing else. */
#define SECURITY_HEADERS \
	"Content-Security-Policy: default-src 'self'; frame-ancestors 'none'; " \
	    "base-uri 'none'; form-action 'self'\r\n" \
	"X-Content-Type-Options: nosniff\r\n" \
	"Referrer-Policy: no-referrer\r\n"

/*
 * A connection's life (hc_set_state() is the only place it changes):
 *
 *   READING ──a whole request──> HANDLING ──answered──> READING (keep-alive)
 *      │                            │  └──stream──> STREAMING
 *      └────────────── hc_close() ──┴─────────────────┴──> CLOSING ──written──> LINGERING ──> freed
 */
enum hc_state {
	HC_READING,	/* for the next request's head and body */
	HC_HANDLING,	/* the handler has the request */
	HC_STREAMING,	/* an endless answer: input means the client is done */
	HC_CLOSING,	/* writes what it has, then lingers */
	HC_LINGERING,	/* write side shut; input discarded until EOF */
};

struct http_conn {
	uint64_t		 hc_id;
	enum hc_state		 hc_state;
	struct bufferevent	*hc_bev;
	struct event		*hc_timer;	/* the request's deadline; the linger */
	struct http_request	*hc_req;	/* handled or streamed */
	size_t			 hc_discarded;
	bool			 hc_tls;
	bool			 hc_tls_ready;	/* plain, or its TLS handshake done */
	bool			 hc_peer_gone;	/* while handling: free once answered */
	bool			 hc_close_after;	/* the answer is the last */
	bool			 hc_continued;	/* "100 Continue" sent for this request */
	bool			 hc_started;	/* a byte of the next request is in */
	bool			 hc_dirty;	/* in http_dirty */
	struct http_conn	*hc_dirty_next;
	char			 hc_peer[64];
	unsigned char		 hc_addr[16];
	size_t			 hc_addr_len;
	struct http_conn	*hc_prev, *hc_next;
};

static struct event_base	*http_base;
static struct evconnlistener	*http_listener;
static struct event		*http_accept_timer;
static struct http_limits	 http_lim;
static void			(*http_handler)(struct http_request *);
static struct http_conn		*http_conns;
static struct http_conn		*http_dirty;	/* output to write at the iteration's end */
static int			 http_nconns;
static uint64_t			 http_next_id;
static const struct timeval	*http_write_tv;
static void			(*http_shutdown_done)(void);
static struct event		*http_shutdown_timer;

static void	hc_read(struct bufferevent *, void *);
static void	hc_written(struct bufferevent *, void *);
static void	hc_event(struct bufferevent *, short, void *);
static void	hc_arm_deadline(struct http_conn *);
static void	hc_output_added(struct http_conn *);

static const char *
status_text(int status)
{
	switch (status) {
	case 100: return "Continue";
	case 200: return "OK";
	case 204: return "No Content";
	case 304: return "Not Modified";
	case 308: return "Permanent Redirect";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 408: return "Request Timeout";
	case 409: return "Conflict";
	case 411: return "Length Required";
	case 413: return "Content Too Large";
	case 415: return "Unsupported Media Type";
	case 429: return "Too Many Requests";
	case 431: return "Request Header Fields Too Large";
	case 500: return "Internal Server Error";
	case 503: return "Service Unavailable";
	case 505: return "HTTP Version Not Supported";
	default: return "Unknown";
	}
}

static const char *const hc_state_names[] = {
	[HC_READING] = "reading", [HC_HANDLING] = "handling", [HC_STREAMING] = "streaming",
	[HC_CLOSING] = "closing", [HC_LINGERING] = "lingering",
};

static void
hc_set_state(struct http_conn *hc, enum hc_state next)
{
	log_debug("event=http_state conn=%llu from=%s to=%s", (unsigned long long)hc->hc_id,
	    hc_state_names[hc->hc_state], hc_state_names[next]);
	hc->hc_state = next;
}

static void
request_free(struct http_request *r)
{
	free((char *)r->hr_body);
	free(r);
}

/* The one teardown, at any stage.  A stream's handler hears of it first. */
static void
hc_free(struct http_conn *hc)
{
	struct http_request	*r = hc->hc_req;

	hc->hc_req = NULL;
	if (r != NULL) {
		if (r->hr_closed != NULL)
			r->hr_closed(r);
		request_free(r);
	}
	if (hc->hc_dirty) {
		struct http_conn	**pp;

		for (pp = &http_dirty; *pp != hc; pp = &(*pp)->hc_dirty_next)
			;
		*pp = hc->hc_dirty_next;
	}
	if (hc->hc_bev != NULL)
		bufferevent_free(hc->hc_bev);
	if (hc->hc_timer != NULL)
		event_free(hc->hc_timer);
	if (hc->hc_prev != NULL)
		hc->hc_prev->hc_next = hc->hc_next;
	else
		http_conns = hc->hc_next;
	if (hc->hc_next != NULL)
		hc->hc_next->hc_prev = hc->hc_prev;
	http_nconns--;
	free(hc);
	if (http_shutdown_done != NULL && http_conns == NULL) {
		void	(*done)(void) = http_shutdown_done;

		http_shutdown_done = NULL;
		done();
	}
}

/* After the last answer: shut the write side, discard input until EOF. */
static void
hc_discard(struct bufferevent *bev, void *arg)
{
	struct http_conn	*hc = arg;
	struct evbuffer		*in = bufferevent_get_input(bev);

	hc->hc_discarded += evbuffer_get_length(in);
	evbuffer_drain(in, evbuffer_get_length(in));
	if (hc->hc_discarded > LINGER_MAX_BYTES)
		hc_free(hc);
}

static void
hc_linger_end(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	hc_free(arg);
}

static void
hc_linger_event(struct bufferevent *bev, short what, void *arg)
{
	(void)bev;
	(void)what;
	hc_free(arg);
}

/*
 * Ends it from inside a callback that may still look at it: a stream's
 * handler hears now, the struct goes at the next turn of the loop.
 */
static void
hc_kill(struct http_conn *hc)
{
	struct http_request	*r = hc->hc_req;
	struct timeval		 now = { 0, 0 };

	hc->hc_req = NULL;
	if (r != NULL) {
		if (r->hr_closed != NULL)
			r->hr_closed(r);
		request_free(r);
	}
	hc_set_state(hc, HC_LINGERING);
	bufferevent_disable(hc->hc_bev, EV_READ | EV_WRITE);
	bufferevent_setcb(hc->hc_bev, NULL, NULL, NULL, NULL);
	evtimer_del(hc->hc_timer);
	event_assign(hc->hc_timer, http_base, -1, 0, hc_linger_end, hc);
	evtimer_add(hc->hc_timer, &now);
}

static void
hc_linger(struct http_conn *hc)
{
	struct timeval	tv = { LINGER_S, 0 };

	tls_close_notify(hc->hc_bev);	/* TLS: the end, not a cut */
	if (http_shutdown_done != NULL ||
	    shutdown(bufferevent_getfd(hc->hc_bev), SHUT_WR) == -1) {
		hc_kill(hc);
		return;
	}
	hc_set_state(hc, HC_LINGERING);
	bufferevent_setcb(hc->hc_bev, hc_discard, NULL, hc_linger_event, hc);
	bufferevent_set_timeouts(hc->hc_bev, NULL, NULL);
	bufferevent_enable(hc->hc_bev, EV_READ);
	evtimer_del(hc->hc_timer);
	event_assign(hc->hc_timer, http_base, -1, 0, hc_linger_end, hc);
	evtimer_add(hc->hc_timer, &tv);
}

/* Ends the connection once what it was told is written. */
static void
hc_close(struct http_conn *hc, const char *reason)
{
	log_debug("event=http_disconnect conn=%llu peer=%s reason=%s",
	    (unsigned long long)hc->hc_id, log_str(hc->hc_peer), reason);
	if (hc->hc_state >= HC_CLOSING)
		return;
	evtimer_del(hc->hc_timer);
	hc_set_state(hc, HC_CLOSING);
	bufferevent_disable(hc->hc_bev, EV_READ);
	if (evbuffer_get_length(bufferevent_get_output(hc->hc_bev)) == 0)
		hc_linger(hc);
	else
		hc_output_added(hc);
}

/* Date, as RFC 9110 asks of a server with a clock: real time, not the
 * daemon's; made once a second. */
static const char *
http_date(void)
{
	static char	buf[40];
	static time_t	made;
	time_t		now = time(NULL);
	struct tm	tm;

	if (now != made) {
		gmtime_r(&now, &tm);
		strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S GMT", &tm);
		made = now;
	}
	return buf;
}

/* The status line and headers, in one piece: most answers are small. */
static void
write_head(struct http_conn *hc, int status, const char *content_type, const char *headers,
    int64_t length)
{
	struct evbuffer	*out = bufferevent_get_output(hc->hc_bev);
	char		 head[1024], clen[48] = "";
	const char	*conn = "";
	int		 n;

	if (length >= 0)
		snprintf(clen, sizeof clen, "Content-Length: %lld\r\n", (long long)length);
	if (hc->hc_close_after || length == LENGTH_ENDLESS)
		conn = "Connection: close\r\n";
	else if (hc->hc_req != NULL && hc->hc_req->hr_head.hd_minor == 0)
		conn = "Connection: keep-alive\r\n";
	n = snprintf(head, sizeof head, "HTTP/1.1 %d %s\r\nDate: %s\r\n" SECURITY_HEADERS
	    "%s%s%s%s%s", status, status_text(status), http_date(),
	    content_type != NULL ? "Content-Type: " : "", content_type != NULL ? content_type : "",
	    content_type != NULL ? "\r\n" : "", clen, conn);
	if (n < 0 || (size_t)n >= sizeof head)
		fatalx("write_head: %d bytes of headers", n);
	metrics_http_response(status);
	evbuffer_add(out, head, (size_t)n);
	if (headers != NULL)
		evbuffer_add(out, headers, strlen(headers));
	evbuffer_add(out, "\r\n", 2);
}

/*
 * Output added: written at the end of this loop iteration, after the group
 * commit, straight to the socket (http_flush), as server.c does; what the
 * socket does not take is left to the bufferevent.  TLS output always
 * goes through its bufferevent.
 */
static void
hc_output_added(struct http_conn *hc)
{
	if (hc->hc_tls) {
		bufferevent_enable(hc->hc_bev, EV_WRITE);
		return;
	}
	if (hc->hc_dirty || (bufferevent_get_enabled(hc->hc_bev) & EV_WRITE))
		return;
	hc->hc_dirty = true;
	hc->hc_dirty_next = http_dirty;
	http_dirty = hc;
	barrier_wake();
}

static void
http_flush(void)
{
	struct http_conn	*hc, *next;
	struct evbuffer		*out;
	evutil_socket_t		 fd;

	hc = http_dirty;
	http_dirty = NULL;
	for (; hc != NULL; hc = next) {
		next = hc->hc_dirty_next;
		hc->hc_dirty = false;
		hc->hc_dirty_next = NULL;
		if (hc->hc_state == HC_LINGERING)
			continue;
		out = bufferevent_get_output(hc->hc_bev);
		fd = bufferevent_getfd(hc->hc_bev);
		/* As bufferevent does: its output's front is frozen but while writing. */
		evbuffer_unfreeze(out, 1);
		while (evbuffer_get_length(out) > 0 && evbuffer_write(out, fd) > 0)
			;
		evbuffer_freeze(out, 1);
		if (evbuffer_get_length(out) > 0)
			bufferevent_enable(hc->hc_bev, EV_WRITE);
		else if (hc->hc_state == HC_CLOSING)
			hc_linger(hc);
	}
}

/* A refusal before any handler saw the request; the connection ends. */
static void
hc_refuse(struct http_conn *hc, int status, enum err_code code, const char *message)
{
	char	*body = proto_error_line(code, message);

	/* The parser's message quotes the client's bytes: escaped. */
	log_info("event=http_refused conn=%llu peer=%s status=%d reason=%s",
	    (unsigned long long)hc->hc_id, log_str(hc->hc_peer), status, log_str(message));
	hc->hc_close_after = true;
	write_head(hc, status, "application/json", NULL, (int64_t)strlen(body));
	evbuffer_add(bufferevent_get_output(hc->hc_bev), body, strlen(body));
	free(body);
	hc_close(hc, "refused");
}

/* Back to reading: the next request (pipelined ones are in the buffer). */
static void
hc_next_request(struct http_conn *hc)
{
	if (hc->hc_peer_gone) {
		hc_kill(hc);
		return;
	}
	if (hc->hc_close_after) {
		hc_close(hc, "last_request");
		return;
	}
	hc_set_state(hc, HC_READING);
	hc->hc_continued = false;
	/* The next request's time starts with its first byte (hc_read): one
	 * already here (pipelined) starts it now. */
	hc->hc_started = evbuffer_get_length(bufferevent_get_input(hc->hc_bev)) > 0;
	hc_arm_deadline(hc);
	bufferevent_enable(hc->hc_bev, EV_READ);
	if (evbuffer_get_length(bufferevent_get_input(hc->hc_bev)) > 0)
		bufferevent_trigger(hc->hc_bev, EV_READ, BEV_TRIG_IGNORE_WATERMARKS |
		    BEV_TRIG_DEFER_CALLBACKS);
}

void
http_respond(struct http_request *r, int status, const char *content_type, const char *body,
    size_t len, const char *headers)
{
	struct http_conn	*hc = r->hr_conn;
	bool			 bodyless = r->hr_head.hd_method == HM_HEAD || status == 204 ||
				    status == 304;

	if (hc->hc_req != r || hc->hc_state != HC_HANDLING)
		fatalx("http_respond: request %llu is not being handled",
		    (unsigned long long)r->hr_id);
	if (!hc->hc_peer_gone) {
		if (http_shutdown_done != NULL)
			hc->hc_close_after = true;
		write_head(hc, status, content_type, headers, status == 204 || status == 304 ?
		    -1 : (int64_t)len);
		if (!bodyless && len > 0)
			evbuffer_add(bufferevent_get_output(hc->hc_bev), body, len);
		hc_output_added(hc);
	}
	log_debug("event=http_request conn=%llu peer=%s method=%s target=\"%s\" status=%d",
	    (unsigned long long)hc->hc_id, log_str(hc->hc_peer), r->hr_head.hd_method_name,
	    log_str(r->hr_head.hd_target), status);
	hc->hc_req = NULL;
	request_free(r);
	hc_next_request(hc);
}

void
http_stream_start(struct http_request *r, const char *content_type, const char *headers)
{
	struct http_conn	*hc = r->hr_conn;

	if (hc->hc_req != r || hc->hc_state != HC_HANDLING)
		fatalx("http_stream_start: request %llu is not being handled",
		    (unsigned long long)r->hr_id);
	if (hc->hc_peer_gone) {
		hc_kill(hc);	/* tells the handler through hr_closed */
		return;
	}
	hc->hc_close_after = true;
	write_head(hc, 200, content_type, headers, LENGTH_ENDLESS);
	hc_output_added(hc);
	hc_set_state(hc, HC_STREAMING);
	/* Input now means the client is done (EOF) or breaks the protocol. */
	bufferevent_enable(hc->hc_bev, EV_READ);
	log_debug("event=http_stream conn=%llu peer=%s target=\"%s\"",
	    (unsigned long long)hc->hc_id, log_str(hc->hc_peer), log_str(r->hr_head.hd_target));
}

void
http_stream_write(struct http_request *r, const char *data, size_t len)
{
	struct http_conn	*hc = r->hr_conn;

	if (hc->hc_state != HC_STREAMING)
		return;
	evbuffer_add(bufferevent_get_output(hc->hc_bev), data, len);
	hc_output_added(hc);
}

size_t
http_stream_pending(const struct http_request *r)
{
	return evbuffer_get_length(bufferevent_get_output(r->hr_conn->hc_bev));
}

void
http_stream_close(struct http_request *r, const char *reason)
{
	struct http_conn	*hc = r->hr_conn;

	log_info("event=http_stream_end conn=%llu peer=%s reason=%s",
	    (unsigned long long)hc->hc_id, log_str(hc->hc_peer), reason);
	hc_kill(hc);
}

/* ---- reading a request ---- */

/* The length of the head at the buffer's start (its empty line included), or 0. */
static size_t
head_length(struct evbuffer *in, size_t avail)
{
	size_t		 n = avail < HTTP_MAX_HEAD + 4 ? avail : HTTP_MAX_HEAD + 4, i;
	const char	*p = (const char *)evbuffer_pullup(in, (ev_ssize_t)n);

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

/* One request, if it is all there: 1 handed over, 0 wait, -1 refused. */
static int
hc_take_request(struct http_conn *hc)
{
	struct evbuffer		*in = bufferevent_get_input(hc->hc_bev);
	struct http_request	*r;
	const char		*expect, *p;
	size_t			 avail, hlen, blen;
	char			*buf, *body, err[160];
	int			 status;

	/* RFC 9112 2.2: empty lines before a request are let be. */
	while ((avail = evbuffer_get_length(in)) > 0) {
		p = (const char *)evbuffer_pullup(in, 1);
		if (*p != '\r' && *p != '\n')
			break;
		evbuffer_drain(in, 1);
	}
	if (avail == 0)
		return 0;
	if ((hlen = head_length(in, avail)) == 0) {
		if (avail > HTTP_MAX_HEAD) {
			hc_refuse(hc, 431, ERR_TOO_LARGE, "the request head may be at most "
			    "8192 bytes");
			return -1;
		}
		return 0;
	}
	if (hlen > HTTP_MAX_HEAD + 2) {
		hc_refuse(hc, 431, ERR_TOO_LARGE, "the request head may be at most 8192 bytes");
		return -1;
	}
	/* The request and its head in one allocation; the body in another. */
	if ((r = calloc(1, sizeof *r + hlen + 1)) == NULL)
		fatal("calloc");
	buf = (char *)(r + 1);
	evbuffer_copyout(in, buf, hlen);
	if ((status = http_parse_head(buf, hlen, &r->hr_head, err, sizeof err)) != 0) {
		request_free(r);
		hc_refuse(hc, status, status == 431 ? ERR_TOO_LARGE : ERR_BAD_REQUEST, err);
		return -1;
	}
	if (r->hr_head.hd_transfer_encoding) {
		request_free(r);
		hc_refuse(hc, 411, ERR_BAD_REQUEST, "a request body needs Content-Length "
		    "(Transfer-Encoding is not accepted)");
		return -1;
	}
	blen = r->hr_head.hd_content_length > 0 ? (size_t)r->hr_head.hd_content_length : 0;
	if (r->hr_head.hd_content_length > HTTP_MAX_BODY) {
		request_free(r);
		hc_refuse(hc, 413, ERR_TOO_LARGE, "a request body may be at most 65536 bytes");
		return -1;
	}
	if (avail < hlen + blen) {
		/* curl and others wait for this before a body of some size. */
		expect = http_head_get(&r->hr_head, "Expect");
		if (expect != NULL && strcasecmp(expect, "100-continue") == 0 &&
		    !hc->hc_continued && r->hr_head.hd_minor == 1) {
			evbuffer_add(bufferevent_get_output(hc->hc_bev),
			    "HTTP/1.1 100 Continue\r\n\r\n", 25);
			hc_output_added(hc);
			hc->hc_continued = true;
		}
		request_free(r);
		return 0;
	}
	evbuffer_drain(in, hlen);
	if ((body = malloc(blen + 1)) == NULL)
		fatal("malloc");
	evbuffer_remove(in, body, blen);
	body[blen] = '\0';
	r->hr_body = body;
	r->hr_body_len = blen;
	r->hr_tls = hc->hc_tls;
	r->hr_id = ++http_next_id;
	r->hr_conn = hc;
	memcpy(r->hr_peer, hc->hc_peer, sizeof r->hr_peer);
	memcpy(r->hr_addr, hc->hc_addr, sizeof r->hr_addr);
	r->hr_addr_len = hc->hc_addr_len;
	hc->hc_close_after = r->hr_head.hd_close;
	hc->hc_req = r;
	evtimer_del(hc->hc_timer);
	hc_set_state(hc, HC_HANDLING);
	http_handler(r);	/* may answer now, and so free r */
	return 1;
}

static void
hc_read(struct bufferevent *bev, void *arg)
{
	struct http_conn	*hc = arg;
	struct evbuffer		*in = bufferevent_get_input(bev);

	if (hc->hc_state == HC_STREAMING) {
		/* An event stream's client sends nothing: it is done with us. */
		evbuffer_drain(in, evbuffer_get_length(in));
		http_stream_close(hc->hc_req, "client_sent");
		return;
	}
	/* PROTOCOL HTTP: 10 s for a request, from its first byte; an idle
	 * connection is closed after as long without one. */
	if (hc->hc_state == HC_READING && !hc->hc_started && evbuffer_get_length(in) > 0) {
		hc->hc_started = true;
		hc_arm_deadline(hc);
	}
	/* Answered now, a request leaves the connection reading the next. */
	while (hc->hc_state == HC_READING && hc_take_request(hc) == 1)
		;
	/* Pipelined requests behind one being handled: as the watermark (none
	 * under TLS) has it; hc_next_request() reads on. */
	if (hc->hc_state == HC_HANDLING && evbuffer_get_length(in) >= READ_HIGH_WATER)
		bufferevent_disable(bev, EV_READ);
}

static void
hc_written(struct bufferevent *bev, void *arg)
{
	struct http_conn	*hc = arg;

	/* bufferevent_openssl calls this deferred: more may have come since. */
	if (evbuffer_get_length(bufferevent_get_output(bev)) > 0)
		return;
	bufferevent_disable(bev, EV_WRITE);
	if (hc->hc_state == HC_CLOSING)
		hc_linger(hc);
}

static void
hc_event(struct bufferevent *bev, short what, void *arg)
{
	struct http_conn	*hc = arg;
	const char		*why;

	if (what & BEV_EVENT_CONNECTED) {
		hc->hc_tls_ready = true;	/* the TLS handshake is done */
		return;
	}
	if (!hc->hc_tls_ready && (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR | BEV_EVENT_TIMEOUT))) {
		/* Plain HTTP on the TLS listener, an old TLS version, our certificate refused. */
		if ((why = tls_error(bev)) == NULL)
			why = (what & BEV_EVENT_EOF) ? "closed by the client" :
			    (what & BEV_EVENT_TIMEOUT) ? "timed out" :
			    evutil_socket_error_to_string(EVUTIL_SOCKET_ERROR());
		log_info("event=http_disconnect conn=%llu peer=%s reason=tls_handshake error=%s",
		    (unsigned long long)hc->hc_id, log_str(hc->hc_peer), log_str(why));
		hc_free(hc);
		return;
	}
	if (what & BEV_EVENT_TIMEOUT) {
		log_info("event=http_disconnect conn=%llu peer=%s reason=write_timeout "
		    "timeout_s=%d", (unsigned long long)hc->hc_id, log_str(hc->hc_peer),
		    http_lim.hl_write_timeout_s);
		if (hc->hc_state == HC_HANDLING)
			hc->hc_peer_gone = true;
		else
			hc_free(hc);
		return;
	}
	if (!(what & (BEV_EVENT_EOF | BEV_EVENT_ERROR)))
		return;
	switch (hc->hc_state) {
	case HC_HANDLING:
		/* Its answer is still to come: the connection goes then. */
		hc->hc_peer_gone = true;
		bufferevent_disable(hc->hc_bev, EV_READ | EV_WRITE);
		break;
	case HC_STREAMING:
		http_stream_close(hc->hc_req, (what & BEV_EVENT_EOF) ? "eof" : "error");
		break;
	default:
		if (what & BEV_EVENT_EOF)
			tls_close_notify(bev);	/* TLS: the client's close_notify answered */
		log_debug("event=http_disconnect conn=%llu peer=%s reason=%s",
		    (unsigned long long)hc->hc_id, log_str(hc->hc_peer),
		    (what & BEV_EVENT_EOF) ? "eof" : "error");
		hc_free(hc);
	}
}

/* PROTOCOL HTTP: a request arrives within hl_request_s, else 408. */
static void
hc_deadline(evutil_socket_t fd, short what, void *arg)
{
	struct http_conn	*hc = arg;
	char			 msg[96];

	(void)fd;
	(void)what;
	if (hc->hc_state != HC_READING)
		return;
	if (evbuffer_get_length(bufferevent_get_input(hc->hc_bev)) == 0 || !hc->hc_tls_ready) {
		log_debug("event=http_disconnect conn=%llu peer=%s reason=idle",
		    (unsigned long long)hc->hc_id, log_str(hc->hc_peer));
		hc_free(hc);	/* idle between requests: nothing to say */
		return;
	}
	snprintf(msg, sizeof msg, "the request did not arrive whole within %d s",
	    http_lim.hl_request_s);
	hc_refuse(hc, 408, ERR_TIMEOUT, msg);
}

static void
hc_arm_deadline(struct http_conn *hc)
{
	struct timeval	tv = { http_lim.hl_request_s, 0 };

	evtimer_add(hc->hc_timer, &tv);
}

/*
 * Past the cap: a 503 in the JSON shape, then close, without a struct.
 * What the client already sent is read first: closing on unread input
 * would reset the connection and lose the answer.
 */
static void
http_refuse_conn(evutil_socket_t fd)
{
	static int64_t	 logged_at;
	static uint64_t	 refused;
	char		*body, head[512], drain[4096];
	int		 n, i;
	time_t		 now = time(NULL);

	body = proto_error_line(ERR_UNAVAILABLE, "too many connections");
	n = snprintf(head, sizeof head, "HTTP/1.1 503 Service Unavailable\r\n" SECURITY_HEADERS
	    "Content-Type: application/json\r\nContent-Length: %zu\r\nConnection: close\r\n\r\n",
	    strlen(body));
	/* Under TLS it would need a handshake first: just closed. */
	if (!tls_enabled()) {
		for (i = 0; i < 16 && recv(fd, drain, sizeof drain, MSG_DONTWAIT) > 0; i++)
			;
		(void)send(fd, head, (size_t)n, MSG_NOSIGNAL | MSG_DONTWAIT);
		(void)send(fd, body, strlen(body), MSG_NOSIGNAL | MSG_DONTWAIT);
		(void)shutdown(fd, SHUT_WR);
	}
	free(body);
	evutil_closesocket(fd);
	refused++;
	if (logged_at == 0 || now - logged_at >= 10) {
		log_warnx("event=http_conn_refused reason=max_connections limit=%d refused=%llu",
		    http_lim.hl_max_connections, (unsigned long long)refused);
		logged_at = now;
		refused = 0;
	}
}

static void
http_accept(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa, int salen,
    void *arg)
{
	struct http_conn	*hc;

	(void)l;
	(void)salen;
	(void)arg;
	if (http_nconns >= http_lim.hl_max_connections || http_shutdown_done != NULL) {
		http_refuse_conn(fd);
		return;
	}
	if ((hc = calloc(1, sizeof *hc)) == NULL)
		fatal("calloc");
	http_nconns++;
	hc->hc_id = ++http_next_id;
	hc->hc_state = HC_READING;
	net_peer_name(sa, hc->hc_peer, sizeof hc->hc_peer);
	hc->hc_addr_len = net_peer_key(sa, hc->hc_addr);
	hc->hc_next = http_conns;
	if (http_conns != NULL)
		http_conns->hc_prev = hc;
	http_conns = hc;
	if ((hc->hc_timer = evtimer_new(http_base, hc_deadline, hc)) == NULL)
		fatalx("evtimer_new failed");
	hc->hc_tls = tls_enabled();
	hc->hc_tls_ready = !hc->hc_tls;
	hc->hc_bev = tls_accept_bufferevent(http_base, fd, BEV_OPT_CLOSE_ON_FREE);
	if (hc->hc_bev == NULL) {
		log_warnx("event=http_conn_error peer=%s: cannot set up the connection",
		    log_str(hc->hc_peer));
		hc_free(hc);	/* the fd is closed already */
		return;
	}
	net_sockopts(fd);
	bufferevent_setcb(hc->hc_bev, hc_read, hc_written, hc_event, hc);
	if (!hc->hc_tls)
		bufferevent_setwatermark(hc->hc_bev, EV_READ, 0, READ_HIGH_WATER);
	bufferevent_set_timeouts(hc->hc_bev, NULL, http_write_tv);
	bufferevent_enable(hc->hc_bev, EV_READ);
	hc_arm_deadline(hc);
	log_debug("event=http_connect conn=%llu peer=%s connections=%d",
	    (unsigned long long)hc->hc_id, log_str(hc->hc_peer), http_nconns);
}

static void
http_accept_resume(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
	if (http_listener != NULL)
		evconnlistener_enable(http_listener);
}

static void
http_accept_error(struct evconnlistener *l, void *arg)
{
	struct timeval	tv = { 0, ACCEPT_PAUSE_MS * 1000 };
	int		err = EVUTIL_SOCKET_ERROR();

	(void)arg;
	/* As server.c: EMFILE leaves the listener readable; pause rather than spin. */
	log_warnx("event=http_accept_error error=%s connections=%d: pausing accept for %d ms",
	    log_str(evutil_socket_error_to_string(err)), http_nconns, ACCEPT_PAUSE_MS);
	evconnlistener_disable(l);
	evtimer_add(http_accept_timer, &tv);
}

int
http_listen(struct event_base *base, const char *listen, const struct http_limits *lim,
    void (*handler)(struct http_request *), char *bound, size_t boundlen, char *err,
    size_t errlen)
{
	struct sockaddr_storage	 ss;
	ev_socklen_t		 sslen = sizeof ss;
	struct timeval		 tv = { lim->hl_write_timeout_s, 0 };
	int			 len = (int)sizeof ss;

	http_base = base;
	http_lim = *lim;
	http_handler = handler;
	barrier_on_flush(http_flush);
	if (net_parse_listen(listen, &ss, &len) == -1) {
		snprintf(err, errlen, "--http %s: must be HOST:PORT with a numeric address, "
		    "e.g. 127.0.0.1:7421, or off", listen);
		return -1;
	}
	if ((http_accept_timer = evtimer_new(base, http_accept_resume, NULL)) == NULL ||
	    (http_write_tv = event_base_init_common_timeout(base, &tv)) == NULL)
		fatalx("cannot set up HTTP timers");
	http_listener = evconnlistener_new_bind(base, http_accept, NULL,
	    LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE | LEV_OPT_CLOSE_ON_EXEC, -1,
	    (struct sockaddr *)&ss, len);
	if (http_listener == NULL) {
		snprintf(err, errlen, "--http %s: cannot listen: %s", listen, strerror(errno));
		return -1;
	}
	evconnlistener_set_error_cb(http_listener, http_accept_error);
	if (getsockname(evconnlistener_get_fd(http_listener), (struct sockaddr *)&ss,
	    &sslen) == 0)
		net_peer_name((struct sockaddr *)&ss, bound, boundlen);
	else
		snprintf(bound, boundlen, "%s", listen);
	log_info("event=http_limits max_connections=%d request_s=%d write_timeout_s=%d "
	    "head_max=%d body_max=%d", lim->hl_max_connections, lim->hl_request_s,
	    lim->hl_write_timeout_s, HTTP_MAX_HEAD, HTTP_MAX_BODY);
	return 0;
}

static void
http_shutdown_timeout(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
	log_warnx("event=http_shutdown_timeout connections=%d: closing anyway", http_nconns);
	while (http_conns != NULL)
		hc_free(http_conns);
}

void
http_shutdown(void (*done)(void))
{
	struct http_conn	*hc, *next;
	struct timeval		 tv = { SHUTDOWN_GRACE_S, 0 };

	if (http_listener != NULL)
		evconnlistener_free(http_listener);
	http_listener = NULL;
	if (http_accept_timer != NULL)
		evtimer_del(http_accept_timer);
	if (http_conns == NULL) {
		done();
		return;
	}
	http_shutdown_done = done;
	if ((http_shutdown_timer = evtimer_new(http_base, http_shutdown_timeout, NULL)) != NULL)
		evtimer_add(http_shutdown_timer, &tv);
	/* Answers under way go out (then the connection closes); streams end. */
	for (hc = http_conns; hc != NULL; hc = next) {
		next = hc->hc_next;
		switch (hc->hc_state) {
		case HC_HANDLING:
			hc->hc_close_after = true;
			break;
		case HC_READING:
		case HC_STREAMING:
			hc_free(hc);	/* may call done() */
			break;
		default:
			break;
		}
	}
}

/* GET /metrics: connections open now, event streams included. */
int
http_connections(void)
{
	return http_nconns;
}

void
http_free(void)
{
	http_shutdown_done = NULL;
	while (http_conns != NULL)
		hc_free(http_conns);
	if (http_listener != NULL)
		evconnlistener_free(http_listener);
	http_listener = NULL;
	if (http_accept_timer != NULL)
		event_free(http_accept_timer);
	http_accept_timer = NULL;
	if (http_shutdown_timer != NULL)
		event_free(http_shutdown_timer);
	http_shutdown_timer = NULL;
}
