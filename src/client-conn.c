/*
 * The connection to branchqd: lines read from a descriptor, connecting,
 * hello, and one request at a time on a blocking socket; poll() only to
 * honour the reply timeout.  Events met on the way go to event_show()
 * (client-watch.c) when watch or the shell wants them.
 */
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netdb.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cJSON.h>

#include "client.h"

/* ---- time ---- */

static int64_t
now_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* -1 (no deadline) stays -1. */
static int64_t
deadline_after(int64_t ms)
{
	return ms < 0 ? -1 : now_ms() + ms;
}

static int
poll_timeout(int64_t deadline)
{
	int64_t	left;

	if (deadline < 0)
		return -1;
	left = deadline - now_ms();
	if (left < 0)
		return 0;
	return left > INT_MAX ? INT_MAX : (int)left;
}

/* ---- line reading ---- */

void
lb_init(struct linebuf *lb, int fd)
{
	memset(lb, 0, sizeof *lb);
	lb->lb_fd = fd;
	lb->lb_cap = 4096;
	lb->lb_buf = xmalloc(lb->lb_cap);
}

void
lb_free(struct linebuf *lb)
{
	free(lb->lb_buf);
	lb->lb_buf = NULL;
}

/*
 * Hands out the next whole line (NUL-terminated, without "\n" or "\r\n"),
 * valid until the next lb_take() or lb_fill().  At end of input a last line
 * without its newline counts too.
 */
enum lb_result
lb_take(struct linebuf *lb, char **line)
{
	char	*nl;
	size_t	 len;

	if (lb->lb_taken > 0) {
		lb->lb_len -= lb->lb_taken;
		memmove(lb->lb_buf, lb->lb_buf + lb->lb_taken, lb->lb_len);
		lb->lb_taken = 0;
		lb->lb_scanned = 0;
	}
	nl = memchr(lb->lb_buf + lb->lb_scanned, '\n',
	    lb->lb_len - lb->lb_scanned);
	if (nl == NULL) {
		lb->lb_scanned = lb->lb_len;
		if (lb->lb_len > CL_MAX_LINE)
			return LB_TOO_LONG;
		if (!lb->lb_eof || lb->lb_len == 0)
			return LB_NONE;
		nl = lb->lb_buf + lb->lb_len;	/* room kept by lb_fill() */
		lb->lb_taken = lb->lb_len;
	} else
		lb->lb_taken = (size_t)(nl - lb->lb_buf) + 1;
	len = (size_t)(nl - lb->lb_buf);
	if (len > CL_MAX_LINE)
		return LB_TOO_LONG;
	*nl = '\0';
	if (len > 0 && lb->lb_buf[len - 1] == '\r')
		lb->lb_buf[len - 1] = '\0';
	*line = lb->lb_buf;
	return LB_LINE;
}

/* One read(): > 0 bytes read, 0 end of input, -1 error (errno). */
ssize_t
lb_fill(struct linebuf *lb)
{
	ssize_t	n;

	/* lb_take() has said no line is complete, so lb_len <= CL_MAX_LINE. */
	if (lb->lb_cap - lb->lb_len < 2) {
		lb->lb_cap *= 2;
		if (lb->lb_cap > CL_MAX_LINE + 2)
			lb->lb_cap = CL_MAX_LINE + 2;
		lb->lb_buf = xrealloc(lb->lb_buf, lb->lb_cap);
	}
	/* Keep one byte for the NUL of a last line without newline. */
	n = read(lb->lb_fd, lb->lb_buf + lb->lb_len, lb->lb_cap - lb->lb_len - 1);
	if (n > 0)
		lb->lb_len += (size_t)n;
	else if (n == 0)
		lb->lb_eof = true;
	return n;
}

static bool
is_blank(const char *s)
{
	return s[strspn(s, " \t")] == '\0';
}

/* ---- the connection ---- */

/* "host:port", "[v6]:port", "host" or a bare IPv6 address. */
static int
addr_split(const char *addr, char *host, size_t hostlen, char *port,
    size_t portlen)
{
	const char	*colon = strrchr(addr, ':'), *close;
	size_t		 len;

	snprintf(port, portlen, "%s", CL_DEFAULT_PORT);
	if (addr[0] == '[') {
		if ((close = strchr(addr, ']')) == NULL ||
		    (close[1] != '\0' && close[1] != ':'))
			return -1;
		len = (size_t)(close - addr - 1);
		if (close[1] == ':')
			snprintf(port, portlen, "%s", close + 2);
	} else if (colon != NULL && strchr(addr, ':') == colon) {
		len = (size_t)(colon - addr);
		snprintf(port, portlen, "%s", colon + 1);
	} else
		len = strlen(addr);
	if (len == 0 || len >= hostlen || *port == '\0')
		return -1;
	memcpy(host, addr + (addr[0] == '[' ? 1 : 0), len);
	host[len] = '\0';
	return 0;
}

/* connect() that gives up after timeout_ms (-1: the system's own limit). */
static int
connect_timed(int fd, const struct sockaddr *sa, socklen_t salen,
    int64_t timeout_ms)
{
	struct pollfd	pfd = { .fd = fd, .events = POLLOUT };
	int		flags, err = 0, rc;
	socklen_t	len = sizeof err;

	flags = fcntl(fd, F_GETFL);
	fcntl(fd, F_SETFL, flags | O_NONBLOCK);
	if (connect(fd, sa, salen) == -1) {
		if (errno != EINPROGRESS)
			return -1;
		while ((rc = poll(&pfd, 1, poll_timeout(deadline_after(
		    timeout_ms)))) == -1 && errno == EINTR)
			;
		if (rc == 0)
			err = ETIMEDOUT;
		else if (rc == -1)
			err = errno;
		else if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) == -1)
			err = errno;
		if (err != 0) {
			errno = err;
			return -1;
		}
	}
	fcntl(fd, F_SETFL, flags);
	return 0;
}

static int
socket_open(const struct addrinfo *ai, int64_t timeout_ms)
{
	struct timeval	tv;
	int		fd, saved;

	if ((fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol)) == -1)
		return -1;
	if (connect_timed(fd, ai->ai_addr, ai->ai_addrlen, timeout_ms) == -1) {
		saved = errno;
		close(fd);
		errno = saved;
		return -1;
	}
	/* A daemon that stops reading must not hang us in send() either. */
	if (timeout_ms > 0) {
		tv.tv_sec = (time_t)(timeout_ms / 1000);
		tv.tv_usec = (suseconds_t)(timeout_ms % 1000 * 1000);
		setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
	}
	return fd;
}

int
client_connect(struct client *cl, const char *addr)
{
	char		 host[NI_MAXHOST], port[NI_MAXSERV];
	struct addrinfo	 hints, *res, *ai;
	int		 fd = -1, rc;

	if (addr_split(addr, host, sizeof host, port, sizeof port) != 0)
		return usage_error("bad address \"%s\": expected HOST:PORT", addr);
	snprintf(cl->cl_addr, sizeof cl->cl_addr,
	    strchr(host, ':') != NULL ? "[%s]:%s" : "%s:%s", host, port);
	memset(&hints, 0, sizeof hints);
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	if ((rc = getaddrinfo(host, port, &hints, &res)) != 0) {
		return cl_fail("cannot connect to %s: %s", cl->cl_addr,
		    gai_strerror(rc));
	}
	errno = ECONNREFUSED;
	for (ai = res; ai != NULL && fd == -1; ai = ai->ai_next)
		fd = socket_open(ai, cl->cl_timeout_ms);
	rc = errno;
	freeaddrinfo(res);
	if (fd == -1)
		return cl_fail("cannot connect to %s: %s", cl->cl_addr, strerror(rc));
	lb_init(&cl->cl_sock, fd);
	return CL_EXIT_OK;
}

void
client_close(struct client *cl)
{
	if (cl->cl_sock.lb_buf == NULL)
		return;
	close(cl->cl_sock.lb_fd);
	lb_free(&cl->cl_sock);
}

/* Sends req as one line, with an "id" unless the fields gave one. */
static int
client_send(struct client *cl, cJSON *req)
{
	char	*line, *p;
	size_t	 len;
	ssize_t	 n;

	if (cJSON_GetObjectItemCaseSensitive(req, "id") == NULL)
		cJSON_AddNumberToObject(req, "id", (double)cl->cl_next_id++);
	if ((line = cJSON_PrintUnformatted(req)) == NULL)
		return cl_fail("cannot format the request");
	p = xprintf("%s\n", line);
	cJSON_free(line);
	for (len = strlen(p), line = p; len > 0; line += n, len -= (size_t)n) {
		n = send(cl->cl_sock.lb_fd, line, len, MSG_NOSIGNAL);
		if (n == -1 && errno == EINTR) {
			n = 0;
			continue;
		}
		if (n == -1) {
			free(p);
			return cl_fail("cannot send to %s: %s", cl->cl_addr,
			    strerror(errno));
		}
	}
	free(p);
	return CL_EXIT_OK;
}

/*
 * One line from the daemon: an event is shown (when wanted) and dropped;
 * anything else is handed back as the reply (*json may be NULL if the line
 * is not JSON).  Returns whether it was a reply.
 */
bool
client_sort_line(struct client *cl, const char *line, cJSON **json)
{
	cJSON	*parsed;

	if (is_blank(line))
		return false;
	parsed = cJSON_Parse(line);
	if (!is_event(parsed)) {
		*json = parsed;
		return true;
	}
	if (cl->cl_show_events)
		event_show(cl, line, parsed);
	cJSON_Delete(parsed);
	return false;
}

/* Waits for the fd to be readable: 1 ready, 0 timed out, -1 error. */
int
wait_readable(int fd, int64_t deadline)
{
	struct pollfd	pfd = { .fd = fd, .events = POLLIN };
	int		rc;

	while ((rc = poll(&pfd, 1, poll_timeout(deadline))) == -1) {
		if (errno != EINTR || interrupted)
			return -1;
	}
	return rc;
}

/* The next reply, *raw valid until the next read.  Caller frees *reply. */
static int
client_wait_reply(struct client *cl, char **raw, cJSON **reply)
{
	int64_t	 deadline = deadline_after(cl->cl_timeout_ms);
	char	*line;
	int	 rc;

	for (;;) {
		switch (lb_take(&cl->cl_sock, &line)) {
		case LB_TOO_LONG:
			return cl_fail("%s sent a line longer than 1 MiB",
			    cl->cl_addr);
		case LB_LINE:
			if (client_sort_line(cl, line, reply)) {
				*raw = line;
				return CL_EXIT_OK;
			}
			continue;
		case LB_NONE:
			break;
		}
		if (cl->cl_sock.lb_eof)
			return cl_fail("%s closed the connection before replying",
			    cl->cl_addr);
		if ((rc = wait_readable(cl->cl_sock.lb_fd, deadline)) == 0)
			return cl_fail("no reply from %s within %s s", cl->cl_addr,
			    cl->cl_timeout);
		if (rc == -1 || lb_fill(&cl->cl_sock) == -1)
			return cl_fail("cannot read from %s: %s", cl->cl_addr,
			    strerror(errno));
	}
}

/* Send and wait.  Caller frees *reply (which may be NULL on a bad line). */
int
client_roundtrip(struct client *cl, cJSON *req, char **raw, cJSON **reply)
{
	int	rc;

	*reply = NULL;
	if ((rc = client_send(cl, req)) != CL_EXIT_OK)
		return rc;
	return client_wait_reply(cl, raw, reply);
}

/* A request and its printed reply: 0, 1, or 2 (*fatal: connection lost). */
int
client_request(struct client *cl, cJSON *req, bool *fatal)
{
	cJSON	*reply;
	char	*raw;
	int	 rc;

	*fatal = false;
	if ((rc = client_roundtrip(cl, req, &raw, &reply)) != CL_EXIT_OK) {
		*fatal = true;
		return rc;
	}
	rc = reply_print(cl, raw, reply);
	cJSON_Delete(reply);
	return rc;
}

static void
hello_string(const cJSON *reply, const char *name, char *out, size_t len)
{
	const cJSON	*item = cJSON_GetObjectItemCaseSensitive(reply, name);

	snprintf(out, len, "%s", cJSON_IsString(item) ? item->valuestring : "");
}

/* hello as the terminal; quiet when it works, the error when not. */
int
client_hello(struct client *cl, const struct options *opt, bool tell)
{
	cJSON	*req, *reply, *role, *staff;
	char	*raw;
	int	 rc;

	req = cJSON_CreateObject();
	cJSON_AddStringToObject(req, "op", "hello");
	cJSON_AddStringToObject(req, "terminal", opt->opt_terminal);
	if (opt->opt_token != NULL)
		cJSON_AddStringToObject(req, "token", opt->opt_token);
	rc = client_roundtrip(cl, req, &raw, &reply);
	cJSON_Delete(req);
	if (rc != CL_EXIT_OK)
		return rc;
	if (!cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(reply, "ok"))) {
		rc = reply_print(cl, raw, reply);
		cJSON_Delete(reply);
		return rc;
	}
	/* For the reports: the branch, and its time zone once the daemon says it. */
	hello_string(reply, "branch", cl->cl_branch, sizeof cl->cl_branch);
	hello_string(reply, "timezone", cl->cl_timezone, sizeof cl->cl_timezone);
	if (tell) {
		role = cJSON_GetObjectItemCaseSensitive(reply, "role");
		staff = cJSON_GetObjectItemCaseSensitive(reply, "staff");
		fprintf(stderr, "connected to %s as %s (", cl->cl_addr,
		    opt->opt_terminal);
		put_text(stderr, role);
		if (staff != NULL && !cJSON_IsNull(staff)) {
			fputc(' ', stderr);
			put_text(stderr, staff);
		}
		fputs(")\n", stderr);
	}
	cJSON_Delete(reply);
	return rc;
}
