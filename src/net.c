/*
 * Addresses and sockets, the same for both listeners (TCP and HTTP): a
 * listen address parsed, a peer named for logs and keyed for the sign-in
 * throttle, and the options every accepted socket gets.
 */
#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/util.h>

#include "branchq.h"

/*
 * The kernel's send buffer per connection, fixed: left to autotuning it
 * grows to megabytes on a fast link, which a client that stops reading
 * then holds on top of ours.  64 KiB still fills a LAN.
 */
#define SOCKET_SNDBUF		(64 * 1024)
/* TCP keepalive: a peer that vanished is found in about 2 minutes. */
#define KEEPALIVE_IDLE_S	60
#define KEEPALIVE_INTERVAL_S	10
#define KEEPALIVE_COUNT		6

void
net_peer_name(const struct sockaddr *sa, char *buf, size_t len)
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

/* The address the failed-sign-in throttle counts: IPv4, or an IPv6 /64.  Its length. */
size_t
net_peer_key(const struct sockaddr *sa, unsigned char out[16])
{
	const struct sockaddr_in	*in;
	const struct sockaddr_in6	*in6;

	if (sa->sa_family == AF_INET) {
		in = (const struct sockaddr_in *)(const void *)sa;
		memcpy(out, &in->sin_addr, 4);
		return 4;
	}
	if (sa->sa_family == AF_INET6) {
		in6 = (const struct sockaddr_in6 *)(const void *)sa;
		if (IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr)) {
			memcpy(out, in6->sin6_addr.s6_addr + 12, 4);
			return 4;
		}
		/* One host usually holds a whole /64. */
		memcpy(out, in6->sin6_addr.s6_addr, 8);
		return 8;
	}
	return 0;
}

void
net_sockopts(int fd)
{
	int	on = 1, sndbuf = SOCKET_SNDBUF;
	int	idle = KEEPALIVE_IDLE_S, interval = KEEPALIVE_INTERVAL_S, count = KEEPALIVE_COUNT;

	(void)setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof sndbuf);
	(void)setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &on, sizeof on);
#ifdef TCP_KEEPIDLE
	(void)setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof idle);
	(void)setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &interval, sizeof interval);
	(void)setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &count, sizeof count);
#else
	(void)idle;
	(void)interval;
	(void)count;
#endif
}

/* "HOST:PORT" or "[V6]:PORT", numeric, port 0 to 65535 (0: any free port). */
int
net_parse_listen(const char *listen, struct sockaddr_storage *ss, int *len)
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
net_port(const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET)
		return ntohs(((const struct sockaddr_in *)(const void *)ss)->sin_port);
	if (ss->ss_family == AF_INET6)
		return ntohs(((const struct sockaddr_in6 *)(const void *)ss)->sin6_port);
	return 0;
}
