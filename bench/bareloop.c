/*
 * bareloop: the limit of the loop and the machine.  A libevent server that
 * frames lines exactly as branchqd does (a bufferevent per connection,
 * evbuffer_readln) and answers each line with a fixed reply, doing no other
 * work: no JSON, no database.  The load generator's `line` mode against it
 * is the figure branchqd's throughput is compared with.
 *
 *   bareloop --listen 127.0.0.1:PORT
 */
#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>

static const char reply[] = "{\"ok\":true}\n";

static void
on_read(struct bufferevent *bev, void *arg)
{
	struct evbuffer	*in = bufferevent_get_input(bev);
	char		*line;
	size_t		 len;

	(void)arg;
	while ((line = evbuffer_readln(in, &len, EVBUFFER_EOL_LF)) != NULL) {
		bufferevent_write(bev, reply, sizeof reply - 1);
		free(line);
	}
}

static void
on_event(struct bufferevent *bev, short what, void *arg)
{
	(void)what;
	(void)arg;
	bufferevent_free(bev);
}

static void
on_accept(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa, int salen,
    void *arg)
{
	struct bufferevent	*bev;
	int			 one = 1;

	(void)sa;
	(void)salen;
	(void)arg;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	bev = bufferevent_socket_new(evconnlistener_get_base(l), fd, BEV_OPT_CLOSE_ON_FREE);
	bufferevent_setcb(bev, on_read, NULL, on_event, NULL);
	bufferevent_enable(bev, EV_READ | EV_WRITE);
}

static void
on_signal(evutil_socket_t sig, short what, void *arg)
{
	(void)sig;
	(void)what;
	event_base_loopbreak(arg);
}

int
main(int argc, char **argv)
{
	struct event_base	*base;
	struct evconnlistener	*l;
	struct sockaddr_in	 sin;
	struct event		*ev;
	char			 host[64], *colon;

	if (argc != 3 || strcmp(argv[1], "--listen") != 0) {
		fprintf(stderr, "usage: bareloop --listen HOST:PORT\n");
		return 2;
	}
	snprintf(host, sizeof host, "%s", argv[2]);
	if ((colon = strrchr(host, ':')) == NULL)
		return 2;
	*colon = '\0';
	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)atoi(colon + 1));
	if (inet_pton(AF_INET, host, &sin.sin_addr) != 1)
		return 2;
	signal(SIGPIPE, SIG_IGN);
	base = event_base_new();
	l = evconnlistener_new_bind(base, on_accept, NULL, LEV_OPT_CLOSE_ON_FREE |
	    LEV_OPT_REUSEABLE, -1, (struct sockaddr *)&sin, sizeof sin);
	if (l == NULL) {
		perror("bareloop: listen");
		return 2;
	}
	ev = evsignal_new(base, SIGTERM, on_signal, base);
	event_add(ev, NULL);
	fprintf(stderr, "bareloop: listening on %s:%d\n", host, ntohs(sin.sin_port));
	event_base_dispatch(base);
	event_free(ev);
	evconnlistener_free(l);
	event_base_free(base);
	return 0;
}
