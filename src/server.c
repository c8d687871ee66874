/*
 * TCP: the listener, one bufferevent per connection, and line framing.
 * A line is handed to proto_handle() and its reply written before the next
 * line is read, so replies come in request order on every connection.
 *
 * What a client may hold is bounded (docs/SECURITY.md): connections
 * (cf_max_connections, refused politely beyond it), input (one line),
 * output (REPLY_BACKLOG before we stop reading, cf_subscriber_buffer_bytes
 * of events), time before a successful hello (cf_hello_timeout_s), time
 * without a request (cf_idle_timeout_s, off by default) and time with
 * output that does not move (cf_write_timeout_s).
 *
 * Under TLS (tls.c) each connection's bufferevent is bufferevent_openssl:
 * it writes its output itself (never straight to the socket), and until its
 * handshake is done the connection can be told nothing, so it is closed at
 * once whatever the reason.
 */
#include <sys/resource.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <event2/util.h>

#include "branchq.h"

/* Input is read up to a longest line and its LF: more is line_too_long. */
#define READ_HIGH_WATER		(BQ_MAX_LINE + 1)
/* A client that does not read its replies is not read past this much output. */
#define REPLY_BACKLOG		(64 * 1024)
#define SHUTDOWN_GRACE_S	5
/*
 * Closing with unread input makes the kernel send a reset, which can
 * destroy the last reply (line_too_long, a refusal) before the client reads
 * it.  So a closing connection first shuts its write side and reads and
 * discards what the client still sends, for at most this long without
 * input and this many bytes, then closes.
 */
#define LINGER_S		2
#define LINGER_MAX_BYTES	(1024 * 1024)
#define ACCEPT_PAUSE_MS		250	/* after EMFILE and the like */
#define REFUSED_LOG_S		10	/* at most one line per this while refusing */

/*
 * A connection's life (conn_set_state() is the only place it changes):
 *
 *   OPEN ──report──> WAITING ──its reply──> OPEN
 *     │                 │
 *     └──conn_close()───┴──> CLOSING ──output written──> LINGERING ──> freed
 *
 * conn_close() ends a connection for a reason it logs, once: at once (the
 * peer is gone, or must get nothing more), or after what it is owed is
 * written.  conn_free() is the one teardown, safe at any stage.
 */
enum conn_state {
	CONN_OPEN,		/* reading requests, one reply at a time */
	CONN_WAITING,		/* for a reply that comes later (reports): not reading */
	CONN_CLOSING,		/* not reading; closes once its output is written */
	CONN_LINGERING,		/* write side shut; input discarded until EOF */
};
enum close_how { CLOSE_NOW, CLOSE_AFTER_WRITE };

struct conn {
	uint64_t		 c_id;
	enum conn_state		 c_state;
	struct bufferevent	*c_bev;
	struct session		 c_session;
	struct outlet		 c_outlet;	/* its lines, through the commit barrier */
	struct event		*c_hello_timer;	/* until a successful hello */
	bool			 c_close_logged;
	bool			 c_tls_ready;	/* plain, or its TLS handshake done */
	bool			 c_owed;	/* a report's reply is still to come */
	size_t			 c_discarded;	/* bytes read while lingering */
	/* Output added this iteration, written at its end (server_flush_output). */
	struct conn		*c_dirty_next;
	bool			 c_dirty;
	struct conn		*c_prev, *c_next;
};

static struct event_base	*srv_base;
static struct branch		*srv_branch;
static const struct config	*srv_cfg;
static struct evconnlistener	*srv_listener;
static struct event		*srv_accept_timer;	/* resumes accepting */
static struct conn		*srv_conns;
static int			 srv_nconns;
static int			 srv_max_conns;		/* the config's, or what fds allow */
static uint64_t			 srv_refused;		/* since the last line about it */
static int64_t			 srv_refused_logged_ms;
/* libevent common timeouts: thousands of equal timers cost O(1) each. */
static const struct timeval	*srv_hello_tv, *srv_idle_tv, *srv_write_tv;
static void			(*srv_shutdown_done)(void);
static struct event		*srv_shutdown_timer;
/* The connection whose request is being handled: it must not be freed. */
static struct conn		*srv_handling;
static uint64_t			 srv_next_id;
static struct conn		*srv_dirty_conns;

static void	conn_read(struct bufferevent *, void *);
static void	conn_written(struct bufferevent *, void *);
static void	conn_finish(struct conn *);
static void	conn_discard(struct bufferevent *, void *);
static void	conn_linger_event(struct bufferevent *, short, void *);

static int64_t
monotonic_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}


static struct conn *
conn_of_outlet(struct outlet *o)
{
	return (struct conn *)(void *)((char *)o - offsetof(struct conn, c_outlet));
}

static struct conn *
conn_of_subscriber(struct subscriber *sb)
{
	return (struct conn *)(void *)((char *)sb -
	    offsetof(struct conn, c_session.s_sub));
}

/* One teardown, safe on a connection at any stage. */
static void
conn_free(struct conn *c)
{
	struct conn	**pp;

	subscriber_remove(&c->c_session.s_sub);
	barrier_forget(&c->c_outlet);
	if (c->c_dirty) {
		for (pp = &srv_dirty_conns; *pp != c; pp = &(*pp)->c_dirty_next)
			;
		*pp = c->c_dirty_next;
	}
	if (c->c_prev != NULL)
		c->c_prev->c_next = c->c_next;
	else if (srv_conns == c)
		srv_conns = c->c_next;
	if (c->c_next != NULL)
		c->c_next->c_prev = c->c_prev;
	if (c->c_bev != NULL)
		bufferevent_free(c->c_bev);
	if (c->c_hello_timer != NULL)
		event_free(c->c_hello_timer);
	srv_nconns--;
	free(c);
	if (srv_shutdown_done != NULL && srv_conns == NULL) {
		void (*done)(void) = srv_shutdown_done;

		srv_shutdown_done = NULL;
		done();
	}
}

static bool
conn_output_empty(struct conn *c)
{
	return evbuffer_get_length(bufferevent_get_output(c->c_bev)) == 0;
}

/* The one place a connection's state changes, with what goes with it. */
static void
conn_set_state(struct conn *c, enum conn_state next)
{
	struct timeval	tv = { LINGER_S, 0 };

	c->c_state = next;
	switch (next) {
	case CONN_OPEN:
	case CONN_WAITING:
		break;
	case CONN_CLOSING:
		bufferevent_disable(c->c_bev, EV_READ);
		/* Nothing owed: go now, unless conn_line() still uses it (it
		 * writes the reply, after which conn_written() finishes). */
		if (c != srv_handling && !barrier_holding(&c->c_outlet) && conn_output_empty(c))
			conn_finish(c);
		break;
	case CONN_LINGERING:
		bufferevent_setcb(c->c_bev, conn_discard, NULL, conn_linger_event, c);
		bufferevent_set_timeouts(c->c_bev, &tv, NULL);
		bufferevent_enable(c->c_bev, EV_READ);
		conn_discard(c->c_bev, c);	/* what was read already */
		break;
	}
}

/*
 * The one way a connection ends: why, logged here once as
 * "event=disconnect reason=R peer=P" and the details; with a message, an
 * error line nobody asked for tells the client why first.  Then freed at
 * once, or once what it is owed is written.
 */
static void
conn_closev(struct conn *c, enum close_how how, enum err_code code, const char *message,
    enum log_level level, const char *reason, const char *fmt, va_list ap)
{
	char	details[256] = "", *line;

	if (fmt != NULL)
		vsnprintf(details, sizeof details, fmt, ap);
	if (!c->c_tls_ready) {
		/* No TLS session to say it in, nor anything owed. */
		how = CLOSE_NOW;
		message = NULL;
	}
	if (!c->c_close_logged) {
		c->c_close_logged = true;
		switch (level) {
		case LOG_LEVEL_ERROR:
		case LOG_LEVEL_WARN:
			log_warnx("event=disconnect reason=%s peer=%s%s", reason,
			    log_str(c->c_session.s_peer), details);
			break;
		case LOG_LEVEL_INFO:
			log_info("event=disconnect reason=%s peer=%s%s", reason,
			    log_str(c->c_session.s_peer), details);
			break;
		case LOG_LEVEL_DEBUG:
			log_debug("event=disconnect reason=%s peer=%s%s", reason,
			    log_str(c->c_session.s_peer), details);
			break;
		}
	}
	if (message != NULL) {
		line = proto_error_line(code, message);
		barrier_emit(&c->c_outlet, line, false);
		free(line);
	}
	if (how == CLOSE_NOW)
		conn_free(c);
	else if (c->c_state != CONN_CLOSING && c->c_state != CONN_LINGERING)
		conn_set_state(c, CONN_CLOSING);
}

static void
conn_close(struct conn *c, enum close_how how, enum log_level level, const char *reason,
    const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	conn_closev(c, how, ERR_NONE, NULL, level, reason, fmt, ap);
	va_end(ap);
}

/* Tells the client why in an error line, then closes once it is written. */
static void
conn_close_saying(struct conn *c, enum err_code code, const char *message,
    enum log_level level, const char *reason, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	conn_closev(c, CLOSE_AFTER_WRITE, code, message, level, reason, fmt, ap);
	va_end(ap);
}

/*
 * Output is written at the end of the loop iteration, straight to the
 * socket (server_flush_output).  The bufferevent writes only what the
 * socket did not take: its write event is enabled then, and disabled again
 * once the output has drained (conn_written).  A reply thus costs one
 * write and no epoll_ctl.
 */
static void
conn_output_added(struct conn *c)
{
	if (c->c_dirty || (bufferevent_get_enabled(c->c_bev) & EV_WRITE))
		return;		/* to be written anyway */
	c->c_dirty = true;
	c->c_dirty_next = srv_dirty_conns;
	srv_dirty_conns = c;
	barrier_wake();
}

/* The outlet's writer: one line into the output buffer. */
static void
conn_write(struct outlet *o, const char *line)
{
	struct conn	*c = conn_of_outlet(o);
	struct evbuffer	*out = bufferevent_get_output(c->c_bev);

	evbuffer_add(out, line, strlen(line));
	evbuffer_add(out, "\n", 1);
	conn_output_added(c);
}

/* Everything the barrier held is out (or dropped): a closing connection may go. */
static void
conn_released(struct outlet *o)
{
	struct conn	*c = conn_of_outlet(o);

	if (c->c_state == CONN_CLOSING && conn_output_empty(c))
		conn_finish(c);
}

/*
 * Writes what the iteration left in the output buffers.  Whatever the socket
 * does not take, and the connections with something to do once the output
 * has drained (closing, or not reading until it does), are left to the
 * bufferevent, which calls conn_written() then.
 */
static void
server_flush_output(void)
{
	struct conn	*c, *next;
	struct evbuffer	*out;
	evutil_socket_t	 fd;

	c = srv_dirty_conns;
	srv_dirty_conns = NULL;
	for (; c != NULL; c = next) {
		next = c->c_dirty_next;
		c->c_dirty = false;
		c->c_dirty_next = NULL;
		out = bufferevent_get_output(c->c_bev);
		fd = bufferevent_getfd(c->c_bev);
		/* TLS: the bufferevent encrypts; the socket never sees our text. */
		if (!tls_enabled() && c->c_state != CONN_CLOSING &&
		    (bufferevent_get_enabled(c->c_bev) & EV_READ)) {
			/* As bufferevent does: its output's front is frozen but while writing. */
			evbuffer_unfreeze(out, 1);
			while (evbuffer_get_length(out) > 0 && evbuffer_write(out, fd) > 0)
				;
			evbuffer_freeze(out, 1);
		}
		if (evbuffer_get_length(out) > 0)
			bufferevent_enable(c->c_bev, EV_WRITE);
		else if (c->c_state == CONN_CLOSING && !barrier_holding(&c->c_outlet))
			conn_finish(c);		/* may free it */
	}
}

static void
conn_discard(struct bufferevent *bev, void *arg)
{
	struct conn	*c = arg;
	struct evbuffer	*in = bufferevent_get_input(bev);

	c->c_discarded += evbuffer_get_length(in);
	evbuffer_drain(in, evbuffer_get_length(in));
	if (c->c_discarded > LINGER_MAX_BYTES)
		conn_free(c);
}

static void
conn_linger_event(struct bufferevent *bev, short what, void *arg)
{
	(void)bev;
	(void)what;	/* the client's EOF, an error, or LINGER_S of silence */
	conn_free(arg);
}


/* Everything written: shut the write side, linger (LINGER_S), close. */
static void
conn_finish(struct conn *c)
{
	tls_close_notify(c->c_bev);	/* TLS: the end, not a cut */
	if (srv_shutdown_done != NULL ||
	    shutdown(bufferevent_getfd(c->c_bev), SHUT_WR) == -1) {
		conn_free(c);
		return;
	}
	conn_set_state(c, CONN_LINGERING);
}

static void
conn_line(struct conn *c, char *line, size_t len)
{
	char	*reply;
	bool	 changed;

	while (len > 0 && (line[len - 1] == '\r' || line[len - 1] == ' ' || line[len - 1] == '\t'))
		line[--len] = '\0';
	if (len == 0)
		return;		/* a blank line is not a request */
	srv_handling = c;
	barrier_request_start(&c->c_outlet);
	reply = proto_handle(srv_branch, &c->c_session, line, len, &changed);
	barrier_request_end(&c->c_outlet, reply, changed ? line : NULL);
	srv_handling = NULL;
	if (c->c_hello_timer != NULL && c->c_session.s_term != NULL) {
		event_free(c->c_hello_timer);	/* said hello in time */
		c->c_hello_timer = NULL;
	}
	/* Later: read nothing more until it comes, so replies keep their order. */
	if (reply == NULL && c->c_state == CONN_OPEN) {
		c->c_owed = true;
		conn_set_state(c, CONN_WAITING);
	}
	/* Closed while its request was handled (a slow subscriber): the end of
	 * the iteration finishes it, even with nothing left to write. */
	if (c->c_state == CONN_CLOSING)
		conn_output_added(c);
}

static void
conn_read(struct bufferevent *bev, void *arg)
{
	struct conn		*c = arg;
	struct evbuffer		*in = bufferevent_get_input(bev);
	struct evbuffer_ptr	 eol;
	size_t			 eol_len, len;
	char			*line;

	while (c->c_state == CONN_OPEN) {
		/* Back-pressure: a client that does not read its replies is not read. */
		if (evbuffer_get_length(bufferevent_get_output(bev)) > REPLY_BACKLOG) {
			bufferevent_disable(bev, EV_READ);
			return;
		}
		eol = evbuffer_search_eol(in, NULL, &eol_len, EVBUFFER_EOL_LF);
		if (eol.pos < 0 && evbuffer_get_length(in) <= BQ_MAX_LINE)
			return;		/* wait for the rest of the line */
		if (eol.pos < 0 || (size_t)eol.pos > BQ_MAX_LINE) {
			evbuffer_drain(in, evbuffer_get_length(in));
			conn_close_saying(c, ERR_LINE_TOO_LONG, "a request line may be at most "
			    "65536 bytes; closing the connection", LOG_LEVEL_WARN,
			    "line_too_long", NULL);
			return;
		}
		len = (size_t)eol.pos;
		if ((line = malloc(len + 1)) == NULL)
			fatal("malloc");
		evbuffer_remove(in, line, len);
		evbuffer_drain(in, eol_len);
		line[len] = '\0';

		conn_line(c, line, len);
		free(line);
	}
	/* Waiting for a report: read up to a longest line meanwhile, as the
	 * watermark has it (TLS connections have none); conn_deliver() reads on. */
	if (c->c_state == CONN_WAITING && evbuffer_get_length(in) >= READ_HIGH_WATER)
		bufferevent_disable(bev, EV_READ);
}

static void
conn_written(struct bufferevent *bev, void *arg)
{
	struct conn	*c = arg;

	/* bufferevent_openssl calls this deferred: more may have come since. */
	if (evbuffer_get_length(bufferevent_get_output(bev)) > 0)
		return;
	/* Drained: later output is written at the end of its iteration again. */
	bufferevent_disable(bev, EV_WRITE);
	if (c->c_state == CONN_CLOSING) {
		if (!barrier_holding(&c->c_outlet))
			conn_finish(c);
		return;
	}
	/* Output drained: read again, and catch up on what was left waiting. */
	if (!(bufferevent_get_enabled(bev) & EV_READ)) {
		bufferevent_enable(bev, EV_READ);
		conn_read(bev, c);
	}
}

static void
conn_hello_timeout(evutil_socket_t fd, short what, void *arg)
{
	struct conn	*c = arg;
	char		 msg[128];

	(void)fd;
	(void)what;
	event_free(c->c_hello_timer);
	c->c_hello_timer = NULL;
	if (c->c_state >= CONN_CLOSING || c->c_session.s_term != NULL)
		return;
	snprintf(msg, sizeof msg, "no successful hello within %d s; closing the connection",
	    srv_cfg->cf_hello_timeout_s);
	conn_close_saying(c, ERR_UNAUTHENTICATED, msg, LOG_LEVEL_INFO, "hello_timeout",
	    " timeout_s=%d", srv_cfg->cf_hello_timeout_s);
}

static void
conn_event(struct bufferevent *bev, short what, void *arg)
{
	struct conn	*c = arg;
	char		 msg[128];
	const char	*why;

	if ((what & BEV_EVENT_TIMEOUT) && (what & BEV_EVENT_WRITING)) {
		/* Output that does not move: the peer is gone or not reading. */
		conn_close(c, CLOSE_NOW, LOG_LEVEL_WARN, "write_stalled",
		    " pending=%zu timeout_s=%d", evbuffer_get_length(bufferevent_get_output(bev)),
		    srv_cfg->cf_write_timeout_s);
	} else if (what & BEV_EVENT_TIMEOUT) {
		snprintf(msg, sizeof msg, "no request for %d s; closing the connection "
		    "(ping keeps it open)", srv_cfg->cf_idle_timeout_s);
		conn_close_saying(c, ERR_UNAVAILABLE, msg, LOG_LEVEL_INFO, "idle",
		    " terminal=%s timeout_s=%d", c->c_session.s_term != NULL ?
		    c->c_session.s_term->tc_id : "-", srv_cfg->cf_idle_timeout_s);
	} else if ((what & (BEV_EVENT_EOF | BEV_EVENT_ERROR)) && !c->c_tls_ready) {
		/* A plain-text client, an old TLS version, our certificate refused. */
		if ((why = tls_error(bev)) == NULL)
			why = (what & BEV_EVENT_EOF) ? "closed by the client" :
			    evutil_socket_error_to_string(EVUTIL_SOCKET_ERROR());
		conn_close(c, CLOSE_NOW, LOG_LEVEL_INFO, "tls_handshake", " error=%s",
		    log_str(why));
	} else if (what & BEV_EVENT_EOF) {
		tls_close_notify(bev);	/* TLS: the client's close_notify answered */
		conn_close(c, CLOSE_NOW, LOG_LEVEL_DEBUG, "eof", NULL);
	} else if (what & BEV_EVENT_ERROR) {
		why = tls_error(bev);
		conn_close(c, CLOSE_NOW, LOG_LEVEL_DEBUG, "error", "%s%s", why != NULL ?
		    " error=" : "", why != NULL ? log_str(why) : "");
	} else if (what & BEV_EVENT_CONNECTED) {
		c->c_tls_ready = true;	/* the TLS handshake is done */
		log_debug("event=tls_handshake peer=%s", log_str(c->c_session.s_peer));
	}
}

/* Past the cap: one line saying so, then close, without a struct conn. */
static void
server_refuse(evutil_socket_t fd, const struct sockaddr *sa)
{
	char	 msg[96], *line, peer[64];
	size_t	 len;
	int64_t	 now = monotonic_ms();

	snprintf(msg, sizeof msg, "too many connections (limit %d)", srv_max_conns);
	line = proto_error_line(ERR_UNAVAILABLE, msg);
	len = strlen(line);
	line[len] = '\n';	/* over the NUL: sent by length */
	/* A new socket's buffer is empty: this fits, or the peer is gone.  Under
	 * TLS the line would need a handshake first: just closed. */
	if (!tls_enabled())
		(void)send(fd, line, len + 1, MSG_NOSIGNAL | MSG_DONTWAIT);
	free(line);
	evutil_closesocket(fd);
	srv_refused++;
	if (srv_refused_logged_ms == 0 || now - srv_refused_logged_ms >= REFUSED_LOG_S * 1000) {
		net_peer_name(sa, peer, sizeof peer);
		log_warnx("event=conn_refused reason=max_connections limit=%d refused=%llu "
		    "peer=%s", srv_max_conns, (unsigned long long)srv_refused, log_str(peer));
		srv_refused = 0;
		srv_refused_logged_ms = now;
	}
}

/* The publisher's: an event line for this connection, or the end of a slow reader. */
static void
conn_event_line(struct subscriber *sb, const char *line)
{
	struct conn	*c = conn_of_subscriber(sb);
	size_t		 len = strlen(line) + 1, queued;

	if (c->c_state >= CONN_CLOSING)
		return;
	queued = evbuffer_get_length(bufferevent_get_output(c->c_bev)) +
	    barrier_pending(&c->c_outlet);
	/* PROTOCOL: a subscriber that does not read is cut off before 1 MiB. */
	if (queued + len > (size_t)srv_cfg->cf_subscriber_buffer_bytes) {
		/* One still in use by conn_line() closes once written. */
		metrics_subscriber_dropped(MT_TCP);
		conn_close(c, c == srv_handling ? CLOSE_AFTER_WRITE : CLOSE_NOW, LOG_LEVEL_WARN,
		    "slow_subscriber", " terminal=%s pending=%zu limit=%d",
		    c->c_session.s_term != NULL ? c->c_session.s_term->tc_id : "-", queued,
		    srv_cfg->cf_subscriber_buffer_bytes);
		return;
	}
	barrier_emit(&c->c_outlet, line, true);
}

/* The session's: the reply a connection was waiting for; dropped if it is
 * gone.  One closed meanwhile (idle) still gets it, if it is still there. */
static void
conn_deliver(uint64_t conn_id, const char *line)
{
	struct conn	*c;

	for (c = srv_conns; c != NULL && c->c_id != conn_id; c = c->c_next)
		;
	if (c == NULL || !c->c_owed || c->c_state == CONN_LINGERING)
		return;
	c->c_owed = false;
	barrier_emit(&c->c_outlet, line, false);
	if (c->c_state == CONN_WAITING) {
		conn_set_state(c, CONN_OPEN);
		bufferevent_enable(c->c_bev, EV_READ);
		conn_read(c->c_bev, c);		/* requests that arrived meanwhile */
	}
}

static void
server_accept(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa, int salen,
    void *arg)
{
	struct conn	*c;

	(void)l;
	(void)salen;
	(void)arg;
	if (srv_nconns >= srv_max_conns) {
		server_refuse(fd, sa);
		return;
	}
	if ((c = calloc(1, sizeof *c)) == NULL)
		fatal("calloc");
	srv_nconns++;	/* conn_free() counts it down, whatever stage it reached */
	c->c_state = CONN_OPEN;
	c->c_outlet.o_write = conn_write;
	c->c_outlet.o_released = conn_released;
	subscriber_add(&c->c_session.s_sub, conn_event_line);
	/* A replay larger than half the buffer is a reset, not a cut-off. */
	c->c_session.s_sub.sb_replay_limit = (size_t)srv_cfg->cf_subscriber_buffer_bytes / 2;
	c->c_session.s_deliver = conn_deliver;
	net_peer_name(sa, c->c_session.s_peer, sizeof c->c_session.s_peer);
	c->c_session.s_addr_len = net_peer_key(sa, c->c_session.s_addr);
	c->c_id = c->c_session.s_conn_id = ++srv_next_id;
	c->c_next = srv_conns;
	if (srv_conns != NULL)
		srv_conns->c_prev = c;
	srv_conns = c;
	/* TLS or plain (tls.c); until a TLS handshake is done nothing is said. */
	c->c_tls_ready = !tls_enabled();
	c->c_bev = tls_accept_bufferevent(srv_base, fd, BEV_OPT_CLOSE_ON_FREE);
	if (c->c_bev == NULL) {
		log_warnx("event=conn_error peer=%s: cannot set up the connection",
		    log_str(c->c_session.s_peer));
		conn_free(c);	/* the fd is closed already */
		return;
	}
	if (srv_hello_tv != NULL) {
		if ((c->c_hello_timer = evtimer_new(srv_base, conn_hello_timeout, c)) == NULL)
			fatalx("evtimer_new failed");
		evtimer_add(c->c_hello_timer, srv_hello_tv);
	}
	net_sockopts(fd);
	bufferevent_setcb(c->c_bev, conn_read, conn_written, conn_event, c);
	/*
	 * Not under TLS: bufferevent_openssl stops at the mark with the rest of
	 * a record decrypted inside OpenSSL, where no socket event finds it
	 * again (a pipelining client would wait for ever).  Without it, input
	 * still stops at a longest line and one record (conn_read).
	 */
	if (!tls_enabled())
		bufferevent_setwatermark(c->c_bev, EV_READ, 0, READ_HIGH_WATER);
	bufferevent_set_timeouts(c->c_bev, srv_idle_tv, srv_write_tv);
	/* A new bufferevent writes by itself: written at the iteration's end instead. */
	bufferevent_disable(c->c_bev, EV_WRITE);
	bufferevent_enable(c->c_bev, EV_READ);
	log_debug("event=connect peer=%s connections=%d", log_str(c->c_session.s_peer),
	    srv_nconns);
}


static void
server_accept_resume(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
	if (srv_listener != NULL)
		evconnlistener_enable(srv_listener);
}

static void
server_accept_error(struct evconnlistener *l, void *arg)
{
	struct timeval	tv = { 0, ACCEPT_PAUSE_MS * 1000 };
	int		err = EVUTIL_SOCKET_ERROR();

	(void)arg;
	/*
	 * EMFILE and friends: the pending connection stays in the backlog and
	 * the socket stays readable, so retrying at once would spin.  Pause,
	 * keep serving those already connected, and try again.
	 */
	log_warnx("event=accept_error error=%s connections=%d: pausing accept for %d ms",
	    log_str(evutil_socket_error_to_string(err)), srv_nconns, ACCEPT_PAUSE_MS);
	evconnlistener_disable(l);
	if (srv_accept_timer != NULL)
		evtimer_add(srv_accept_timer, &tv);
}

/*
 * cf_max_connections, or fewer when the open-files limit (which start-up
 * raised as far as it could) leaves less room: beyond it a client gets a
 * polite refusal rather than an accept() that fails.
 */
static void
server_limits(void)
{
	struct rlimit	rl;
	struct timeval	tv;
	rlim_t		room;
	int		reserve = BQ_FD_RESERVE + (int)srv_cfg->cf_nwebhooks;

	srv_max_conns = srv_cfg->cf_max_connections;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY) {
		room = rl.rlim_cur > (rlim_t)reserve * 2 ? rl.rlim_cur - (rlim_t)reserve :
		    rl.rlim_cur / 2;
		if (room < (rlim_t)srv_max_conns) {
			srv_max_conns = (int)room;
			log_warnx("event=limits max_connections=%d configured=%d nofile=%llu: "
			    "the open-files limit allows no more", srv_max_conns,
			    srv_cfg->cf_max_connections, (unsigned long long)rl.rlim_cur);
		}
	}
	srv_hello_tv = srv_idle_tv = NULL;
	tv.tv_usec = 0;
	if (srv_cfg->cf_hello_timeout_s > 0) {
		tv.tv_sec = srv_cfg->cf_hello_timeout_s;
		srv_hello_tv = event_base_init_common_timeout(srv_base, &tv);
	}
	if (srv_cfg->cf_idle_timeout_s > 0) {
		tv.tv_sec = srv_cfg->cf_idle_timeout_s;
		srv_idle_tv = event_base_init_common_timeout(srv_base, &tv);
	}
	tv.tv_sec = srv_cfg->cf_write_timeout_s;
	srv_write_tv = event_base_init_common_timeout(srv_base, &tv);
	if (srv_write_tv == NULL || (srv_cfg->cf_hello_timeout_s > 0 && srv_hello_tv == NULL) ||
	    (srv_cfg->cf_idle_timeout_s > 0 && srv_idle_tv == NULL))
		fatalx("event_base_init_common_timeout failed");
	log_info("event=limits max_connections=%d hello_timeout_s=%d idle_timeout_s=%d "
	    "write_timeout_s=%d line_max=%d reply_backlog=%d subscriber_buffer_bytes=%d "
	    "auth_max_failures=%d auth_window_s=%d auth_lockout_s=%d auth_lockout_max_s=%d",
	    srv_max_conns, srv_cfg->cf_hello_timeout_s, srv_cfg->cf_idle_timeout_s,
	    srv_cfg->cf_write_timeout_s, BQ_MAX_LINE, REPLY_BACKLOG,
	    srv_cfg->cf_subscriber_buffer_bytes, srv_cfg->cf_auth_max_failures,
	    srv_cfg->cf_auth_window_s, srv_cfg->cf_auth_lockout_s,
	    srv_cfg->cf_auth_lockout_max_s);
}

int
server_listen(struct event_base *base, struct branch *b, const char *listen,
    char *bound, size_t boundlen, char *err, size_t errlen)
{
	struct sockaddr_storage	 ss;
	ev_socklen_t		 sslen = sizeof ss;
	int			 len = (int)sizeof ss;

	srv_base = base;
	srv_branch = b;
	srv_cfg = b->b_cfg;
	if (srv_accept_timer == NULL &&
	    (srv_accept_timer = evtimer_new(base, server_accept_resume, NULL)) == NULL)
		fatalx("evtimer_new failed");
	barrier_on_flush(server_flush_output);
	server_limits();
	if (net_parse_listen(listen, &ss, &len) == -1) {
		snprintf(err, errlen, "--listen %s: must be HOST:PORT with a numeric address, "
		    "e.g. 127.0.0.1:7420", listen);
		return -1;
	}
	srv_listener = evconnlistener_new_bind(base, server_accept, NULL,
	    LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE | LEV_OPT_CLOSE_ON_EXEC, -1,
	    (struct sockaddr *)&ss, len);
	if (srv_listener == NULL) {
		snprintf(err, errlen, "--listen %s: cannot listen: %s", listen, strerror(errno));
		return -1;
	}
	evconnlistener_set_error_cb(srv_listener, server_accept_error);
	if (getsockname(evconnlistener_get_fd(srv_listener), (struct sockaddr *)&ss,
	    &sslen) == 0)
		net_peer_name((struct sockaddr *)&ss, bound, boundlen);
	else
		snprintf(bound, boundlen, "%s", listen);
	return 0;
}

void
server_config_changed(const struct config *nw)
{
	const struct terminal_conf	*was, *tc;
	struct conn			*c, *next;
	const char			*why;
	char				 msg[160];

	srv_cfg = nw;
	for (c = srv_conns; c != NULL; c = next) {
		next = c->c_next;
		if ((was = c->c_session.s_term) == NULL)
			continue;
		if ((tc = config_terminal_successor(nw, was, &why)) != NULL) {
			c->c_session.s_term = tc;
			continue;
		}
		if (c->c_state >= CONN_CLOSING)
			continue;	/* going anyway; the old configuration outlives it */
		snprintf(msg, sizeof msg, "terminal %s: %s in the configuration; sign in again",
		    was->tc_id, strcmp(why, "removed") == 0 ? "removed" :
		    strcmp(why, "token_changed") == 0 ? "its token was changed" :
		    strcmp(why, "role_changed") == 0 ? "its role was changed" :
		    "its staff was changed");
		conn_close_saying(c, ERR_UNAUTHENTICATED, msg, LOG_LEVEL_INFO, "config_changed",
		    " terminal=%s change=%s", was->tc_id, why);
	}
}

static void
server_shutdown_timeout(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
	log_warnx("event=shutdown_timeout connections=%d: replies still unwritten after "
	    "%d s; closing anyway", srv_nconns, SHUTDOWN_GRACE_S);
	while (srv_conns != NULL)
		conn_close(srv_conns, CLOSE_NOW, LOG_LEVEL_DEBUG, "shutdown_timeout", NULL);
}

void
server_shutdown(void (*done)(void))
{
	struct conn	*c, *next;
	struct timeval	 tv = { SHUTDOWN_GRACE_S, 0 };

	if (srv_listener != NULL) {
		evconnlistener_free(srv_listener);
		srv_listener = NULL;
	}
	if (srv_accept_timer != NULL)
		evtimer_del(srv_accept_timer);
	barrier_commit_now();	/* the replies under way go out with their commit */
	srv_shutdown_done = done;
	if (srv_conns == NULL) {
		srv_shutdown_done = NULL;
		done();
		return;
	}
	srv_shutdown_timer = evtimer_new(srv_base, server_shutdown_timeout, NULL);
	if (srv_shutdown_timer != NULL)
		evtimer_add(srv_shutdown_timer, &tv);
	/* Every reply under way is already in an output buffer: write, then close. */
	for (c = srv_conns; c != NULL; c = next) {
		next = c->c_next;
		if (c->c_state == CONN_LINGERING)
			conn_free(c);	/* said all it had to */
		else
			conn_close(c, CLOSE_AFTER_WRITE, LOG_LEVEL_DEBUG, "shutdown", NULL);
	}
}

/* GET /metrics: connections open now. */
int
server_connections(void)
{
	return srv_nconns;
}

void
server_free(void)
{
	barrier_commit_now();
	srv_shutdown_done = NULL;
	while (srv_conns != NULL)
		conn_close(srv_conns, CLOSE_NOW, LOG_LEVEL_DEBUG, "stop", NULL);
	if (srv_listener != NULL)
		evconnlistener_free(srv_listener);
	srv_listener = NULL;
	if (srv_shutdown_timer != NULL)
		event_free(srv_shutdown_timer);
	srv_shutdown_timer = NULL;
	if (srv_accept_timer != NULL)
		event_free(srv_accept_timer);
	srv_accept_timer = NULL;
}
