/*
 * TCP: the listener, one bufferevent per connection, and line framing.
 * A line is handed to proto_handle() and its reply written before the next
 * line is read, so replies come in request order on every connection.
 */
#include <sys/socket.h>
#include <netinet/in.h>

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <event2/util.h>

#include "branchq.h"

/* Input is read up to this much before a line without its end is too long. */
#define READ_HIGH_WATER		(BQ_MAX_LINE * 2)
#define SHUTDOWN_GRACE_S	5

struct conn {
	uint64_t		 c_id;
	struct bufferevent	*c_bev;
	struct session		 c_session;
	bool			 c_closing;	/* close once the output is written */
	bool			 c_waiting;	/* for a reply that comes later (reports) */
	struct conn		*c_prev, *c_next;
};

static struct event_base	*srv_base;
static struct branch		*srv_branch;
static struct evconnlistener	*srv_listener;
static struct conn		*srv_conns;
static unsigned			 srv_subscribers[TOPIC__COUNT];
static void			(*srv_shutdown_done)(void);
static struct event		*srv_shutdown_timer;
/* Events raised while a request is handled go to its own connection after the reply. */
static struct conn		*srv_handling;
static struct evbuffer		*srv_held;
static uint64_t			 srv_next_id;

static void	conn_read(struct bufferevent *, void *);

static void
count_topics(const struct session *s, int delta)
{
	int	i;

	for (i = 0; i < TOPIC__COUNT; i++)
		if (s->s_topics & (1u << i))
			srv_subscribers[i] = (unsigned)((int)srv_subscribers[i] + delta);
}

/* One teardown, safe on a connection at any stage. */
static void
conn_free(struct conn *c)
{
	count_topics(&c->c_session, -1);
	if (c->c_prev != NULL)
		c->c_prev->c_next = c->c_next;
	else if (srv_conns == c)
		srv_conns = c->c_next;
	if (c->c_next != NULL)
		c->c_next->c_prev = c->c_prev;
	if (c->c_bev != NULL)
		bufferevent_free(c->c_bev);
	free(c);
	if (srv_shutdown_done != NULL && srv_conns == NULL) {
		void (*done)(void) = srv_shutdown_done;

		srv_shutdown_done = NULL;
		done();
	}
}

static void
conn_write(struct conn *c, const char *line)
{
	struct evbuffer	*out = bufferevent_get_output(c->c_bev);

	evbuffer_add(out, line, strlen(line));
	evbuffer_add(out, "\n", 1);
}

/* Write what is left, then close: used after line_too_long and at shutdown. */
static void
conn_close_after_write(struct conn *c)
{
	c->c_closing = true;
	bufferevent_disable(c->c_bev, EV_READ);
	if (evbuffer_get_length(bufferevent_get_output(c->c_bev)) == 0)
		conn_free(c);
}

static void
conn_line(struct conn *c, char *line, size_t len)
{
	unsigned	 before = c->c_session.s_topics;
	char		*reply;

	while (len > 0 && (line[len - 1] == '\r' || line[len - 1] == ' ' || line[len - 1] == '\t'))
		line[--len] = '\0';
	if (len == 0)
		return;		/* a blank line is not a request */
	srv_handling = c;
	reply = proto_handle(srv_branch, &c->c_session, line, len);
	srv_handling = NULL;
	if (reply == NULL) {
		/* Later: read nothing more until it comes, so replies keep their order. */
		c->c_waiting = true;
		return;
	}
	conn_write(c, reply);
	free(reply);
	evbuffer_add_buffer(bufferevent_get_output(c->c_bev), srv_held);
	if (c->c_session.s_topics != before) {
		/* keep the per-topic subscriber counts right */
		unsigned after = c->c_session.s_topics;

		c->c_session.s_topics = before;
		count_topics(&c->c_session, -1);
		c->c_session.s_topics = after;
		count_topics(&c->c_session, +1);
	}
	if (c->c_session.s_send_queue) {
		c->c_session.s_send_queue = false;
		reply = events_queue_line(srv_branch);
		conn_write(c, reply);
		free(reply);
	}
}

static void
conn_read(struct bufferevent *bev, void *arg)
{
	struct conn		*c = arg;
	struct evbuffer		*in = bufferevent_get_input(bev);
	struct evbuffer_ptr	 eol;
	size_t			 eol_len, len;
	char			*line, *reply;

	while (!c->c_closing && !c->c_waiting) {
		/* Back-pressure: a client that does not read its replies is not read. */
		if (evbuffer_get_length(bufferevent_get_output(bev)) > BQ_MAX_SUBSCRIBER_OUT) {
			bufferevent_disable(bev, EV_READ);
			return;
		}
		eol = evbuffer_search_eol(in, NULL, &eol_len, EVBUFFER_EOL_LF);
		if (eol.pos < 0 && evbuffer_get_length(in) <= BQ_MAX_LINE)
			return;		/* wait for the rest of the line */
		if (eol.pos < 0 || (size_t)eol.pos > BQ_MAX_LINE) {
			reply = proto_error_line(ERR_LINE_TOO_LONG,
			    "a request line may be at most 65536 bytes; closing the connection");
			conn_write(c, reply);
			free(reply);
			log_warnx("%s: line too long, closing", c->c_session.s_peer);
			evbuffer_drain(in, evbuffer_get_length(in));
			conn_close_after_write(c);
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
}

static void
conn_written(struct bufferevent *bev, void *arg)
{
	struct conn	*c = arg;

	if (c->c_closing) {
		conn_free(c);
		return;
	}
	/* Output drained: read again, and catch up on what was left waiting. */
	if (!(bufferevent_get_enabled(bev) & EV_READ)) {
		bufferevent_enable(bev, EV_READ);
		conn_read(bev, c);
	}
}

static void
conn_event(struct bufferevent *bev, short what, void *arg)
{
	struct conn	*c = arg;

	(void)bev;
	if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR)) {
		log_debug("%s: connection closed", c->c_session.s_peer);
		conn_free(c);
	}
}

static void
peer_name(const struct sockaddr *sa, char *buf, size_t len)
{
	char	host[64] = "?";
	int	port = 0;

	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)(const void *)sa;

		evutil_inet_ntop(AF_INET, &in->sin_addr, host, sizeof host);
		port = ntohs(in->sin_port);
		snprintf(buf, len, "%s:%d", host, port);
	} else if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)(const void *)sa;

		evutil_inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof host);
		port = ntohs(in6->sin6_port);
		snprintf(buf, len, "[%s]:%d", host, port);
	} else
		snprintf(buf, len, "unknown");
}

static void
server_accept(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa, int salen,
    void *arg)
{
	struct conn	*c;

	(void)l;
	(void)salen;
	(void)arg;
	if ((c = calloc(1, sizeof *c)) == NULL)
		fatal("calloc");
	peer_name(sa, c->c_session.s_peer, sizeof c->c_session.s_peer);
	c->c_id = c->c_session.s_conn_id = ++srv_next_id;
	c->c_bev = bufferevent_socket_new(srv_base, fd, BEV_OPT_CLOSE_ON_FREE);
	if (c->c_bev == NULL) {
		log_warnx("%s: cannot set up the connection", c->c_session.s_peer);
		evutil_closesocket(fd);
		free(c);
		return;
	}
	c->c_next = srv_conns;
	if (srv_conns != NULL)
		srv_conns->c_prev = c;
	srv_conns = c;
	bufferevent_setcb(c->c_bev, conn_read, conn_written, conn_event, c);
	bufferevent_setwatermark(c->c_bev, EV_READ, 0, READ_HIGH_WATER);
	bufferevent_enable(c->c_bev, EV_READ | EV_WRITE);
	log_debug("%s: connected", c->c_session.s_peer);
}

static void
server_accept_error(struct evconnlistener *l, void *arg)
{
	(void)l;
	(void)arg;
	/* EMFILE and friends: log and keep serving those already connected. */
	log_warn("accept");
}

/* "HOST:PORT" or "[V6]:PORT", numeric, port 0 to 65535 (0: any free port). */
static int
parse_listen(const char *listen, struct sockaddr_storage *ss, int *len)
{
	struct sockaddr_in	*in = (struct sockaddr_in *)(void *)ss;
	struct sockaddr_in6	*in6 = (struct sockaddr_in6 *)(void *)ss;
	const char		*colon = strrchr(listen, ':');
	char			 host[64], *end;
	size_t			 hostlen;
	long			 port;

	if (colon == NULL || colon == listen || colon[1] == '\0')
		return -1;
	hostlen = (size_t)(colon - listen);
	if (listen[0] == '[') {
		if (hostlen < 3 || listen[hostlen - 1] != ']')
			return -1;
		listen++;
		hostlen -= 2;
	}
	if (hostlen >= sizeof host)
		return -1;
	memcpy(host, listen, hostlen);
	host[hostlen] = '\0';
	errno = 0;
	port = strtol(colon + 1, &end, 10);
	if (*end != '\0' || errno != 0 || port < 0 || port > 65535)
		return -1;
	memset(ss, 0, sizeof *ss);
	if (evutil_inet_pton(AF_INET, host, &in->sin_addr) == 1) {
		in->sin_family = AF_INET;
		in->sin_port = htons((uint16_t)port);
		*len = (int)sizeof *in;
	} else if (evutil_inet_pton(AF_INET6, host, &in6->sin6_addr) == 1) {
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons((uint16_t)port);
		*len = (int)sizeof *in6;
	} else
		return -1;
	return 0;
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
	if (srv_held == NULL && (srv_held = evbuffer_new()) == NULL)
		fatalx("evbuffer_new failed");
	if (parse_listen(listen, &ss, &len) == -1) {
		snprintf(err, errlen, "--listen %s: must be HOST:PORT with a numeric address, "
		    "e.g. 127.0.0.1:7420", listen);
		return -1;
	}
	srv_listener = evconnlistener_new_bind(base, server_accept, NULL,
	    LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE | LEV_OPT_CLOSE_ON_EXEC, 128,
	    (struct sockaddr *)&ss, len);
	if (srv_listener == NULL) {
		snprintf(err, errlen, "--listen %s: cannot listen: %s", listen, strerror(errno));
		return -1;
	}
	evconnlistener_set_error_cb(srv_listener, server_accept_error);
	if (getsockname(evconnlistener_get_fd(srv_listener), (struct sockaddr *)&ss,
	    &sslen) == 0)
		peer_name((struct sockaddr *)&ss, bound, boundlen);
	else
		snprintf(bound, boundlen, "%s", listen);
	return 0;
}

bool
server_has_subscribers(enum topic t)
{
	return srv_subscribers[t] > 0;
}

void
server_broadcast(enum topic t, const char *line)
{
	struct conn	*c, *next;
	size_t		 len = strlen(line) + 1, queued;

	for (c = srv_conns; c != NULL; c = next) {
		next = c->c_next;
		if (c->c_closing || !(c->c_session.s_topics & (1u << t)))
			continue;
		queued = evbuffer_get_length(bufferevent_get_output(c->c_bev));
		if (c == srv_handling)
			queued += evbuffer_get_length(srv_held);
		/* PROTOCOL: a subscriber that does not read is cut off before 1 MiB. */
		if (queued + len > BQ_MAX_SUBSCRIBER_OUT) {
			log_warnx("%s: subscriber is not reading its events; disconnecting",
			    c->c_session.s_peer);
			if (c == srv_handling) {
				/* still in use by conn_line(): close once written */
				c->c_closing = true;
				bufferevent_disable(c->c_bev, EV_READ);
			} else
				conn_free(c);
			continue;
		}
		if (c == srv_handling) {
			evbuffer_add(srv_held, line, len - 1);
			evbuffer_add(srv_held, "\n", 1);
		} else
			conn_write(c, line);
	}
}

void
server_deliver(uint64_t conn_id, const char *line)
{
	struct conn	*c;

	for (c = srv_conns; c != NULL && c->c_id != conn_id; c = c->c_next)
		;
	if (c == NULL || !c->c_waiting)
		return;		/* gone while the report ran */
	conn_write(c, line);
	c->c_waiting = false;
	if (!c->c_closing)
		conn_read(c->c_bev, c);		/* requests that arrived meanwhile */
}

static void
server_shutdown_timeout(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
	log_warnx("shutdown: %s still unwritten after %d s; closing anyway",
	    srv_conns != NULL ? "replies" : "nothing", SHUTDOWN_GRACE_S);
	while (srv_conns != NULL)
		conn_free(srv_conns);
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
		conn_close_after_write(c);
	}
}

void
server_free(void)
{
	srv_shutdown_done = NULL;
	while (srv_conns != NULL)
		conn_free(srv_conns);
	if (srv_listener != NULL)
		evconnlistener_free(srv_listener);
	srv_listener = NULL;
	if (srv_shutdown_timer != NULL)
		event_free(srv_shutdown_timer);
	srv_shutdown_timer = NULL;
	if (srv_held != NULL)
		evbuffer_free(srv_held);
	srv_held = NULL;
}
