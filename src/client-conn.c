/*
 * The connection to branchqd: lines read from a descriptor, connecting,
 * TLS (--tls), hello, and one request at a time on a blocking socket;
 * poll() only to honour the reply timeout.  Events met on the way go to
 * event_show() (client-watch.c) when watch or the shell wants them.
 */
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/types.h>
#include <arpa/inet.h>

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
#include <signal.h>
#include <time.h>
#include <unistd.h>

#include <cJSON.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

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

/* Over TLS: SSL_read; a record without data (a session ticket) reads as 0. */
static ssize_t
lb_read_tls(struct linebuf *lb, char *buf, size_t len)
{
	int	n;

	ERR_clear_error();
	if ((n = SSL_read(lb->lb_ssl, buf, len > INT_MAX ? INT_MAX : (int)len)) > 0)
		return n;
	switch (SSL_get_error(lb->lb_ssl, n)) {
	case SSL_ERROR_WANT_READ:
	case SSL_ERROR_WANT_WRITE:
		errno = EAGAIN;
		return -2;
	case SSL_ERROR_ZERO_RETURN:
		return 0;	/* close_notify */
	case SSL_ERROR_SYSCALL:
		if (ERR_peek_error() == 0 && (n == 0 || errno == 0))
			return 0;	/* closed without close_notify */
		return -1;
	default:
		errno = EPROTO;
		return -1;
	}
}

/* Input TLS has decrypted and not handed out yet: poll() cannot see it. */
bool
lb_buffered(const struct linebuf *lb)
{
	return lb->lb_ssl != NULL && SSL_pending(lb->lb_ssl) > 0;
}

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
	if (lb->lb_ssl != NULL) {
		if ((n = lb_read_tls(lb, lb->lb_buf + lb->lb_len, lb->lb_cap - lb->lb_len - 1)) == -2)
			return 0;	/* nothing yet */
	} else
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

/* SO_RCVTIMEO: the handshake's reads give up with the reply timeout (0: never). */
static void
recv_timeout(int fd, int64_t timeout_ms)
{
	struct timeval	tv = { 0, 0 };

	if (timeout_ms > 0) {
		tv.tv_sec = (time_t)(timeout_ms / 1000);
		tv.tv_usec = (suseconds_t)(timeout_ms % 1000 * 1000);
	}
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
}

/* Why a handshake failed, in one line. */
static int
tls_fail(struct client *cl, SSL *ssl, int rc, int saved_errno)
{
	long		 verify = SSL_get_verify_result(ssl);
	int		 err = SSL_get_error(ssl, rc);
	unsigned long	 e = ERR_peek_error();
	const char	*reason = e != 0 ? ERR_reason_error_string(e) : NULL;

	ERR_clear_error();
	if (verify != X509_V_OK)
		return cl_fail("cannot connect to %s: its certificate is not trusted: %s%s",
		    cl->cl_addr, X509_verify_cert_error_string(verify), cl->cl_cafile == NULL ?
		    " (checked against the system's CAs; --cafile names another)" : "");
	if (err == SSL_ERROR_SYSCALL && e == 0 && (saved_errno == EAGAIN ||
	    saved_errno == EWOULDBLOCK))
		return cl_fail("cannot connect to %s: no TLS handshake within %s s (does the "
		    "daemon speak TLS?)", cl->cl_addr, cl->cl_timeout);
	if (reason == NULL)
		return cl_fail("cannot connect to %s: TLS handshake failed: %s", cl->cl_addr,
		    err == SSL_ERROR_SYSCALL && saved_errno != 0 ? strerror(saved_errno) :
		    "the daemon closed the connection");
	return cl_fail("cannot connect to %s: TLS handshake failed: %s%s", cl->cl_addr, reason,
	    strcmp(reason, "wrong version number") == 0 || strcmp(reason,
	    "packet length too long") == 0 ? " (does the daemon speak TLS?)" : "");
}

/*
 * TLS 1.2 or later over the connected socket, the daemon's certificate
 * checked against --cafile (else the system's CAs) and against host, the
 * name or address the user gave: as a browser would.
 */
static int
tls_start(struct client *cl, const char *host)
{
	SSL_CTX		*ctx;
	SSL		*ssl;
	unsigned char	 addr[16];
	int		 fd = cl->cl_sock.lb_fd, rc, saved;

	/* SSL_write writes with write(): a daemon gone must be an error, not a signal. */
	signal(SIGPIPE, SIG_IGN);
	if ((ctx = SSL_CTX_new(TLS_client_method())) == NULL)
		return cl_fail("cannot set up TLS");
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
	/* A record without data (a session ticket) must not block us in SSL_read
	 * after poll() said the socket was readable; and a daemon that closes
	 * without close_notify (a connection it cut) is an ordinary end. */
	SSL_CTX_clear_mode(ctx, SSL_MODE_AUTO_RETRY);
	SSL_CTX_set_options(ctx, SSL_OP_IGNORE_UNEXPECTED_EOF);
	if (cl->cl_cafile != NULL ? SSL_CTX_load_verify_locations(ctx, cl->cl_cafile,
	    NULL) != 1 : SSL_CTX_set_default_verify_paths(ctx) != 1) {
		SSL_CTX_free(ctx);
		ERR_clear_error();
		if (cl->cl_cafile != NULL)
			return cl_fail("--cafile %s: no CA certificate (PEM) can be read from it",
			    cl->cl_cafile);
		return cl_fail("cannot load the system's CA certificates");
	}
	ssl = SSL_new(ctx);
	SSL_CTX_free(ctx);	/* the SSL keeps its own reference */
	if (ssl == NULL)
		return cl_fail("cannot set up TLS");
	cl->cl_sock.lb_ssl = ssl;
	if (inet_pton(AF_INET, host, addr) == 1 || inet_pton(AF_INET6, host, addr) == 1)
		X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), host);
	else if (SSL_set1_host(ssl, host) != 1 || SSL_set_tlsext_host_name(ssl, host) != 1)
		return cl_fail("cannot check the certificate against \"%s\"", host);
	if (SSL_set_fd(ssl, fd) != 1)
		return cl_fail("cannot set up TLS");
	recv_timeout(fd, cl->cl_timeout_ms);
	ERR_clear_error();
	errno = 0;
	rc = SSL_connect(ssl);
	saved = errno;
	recv_timeout(fd, 0);	/* from here on poll() keeps time */
	if (rc != 1)
		return tls_fail(cl, ssl, rc, saved);
	return CL_EXIT_OK;
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
	if (cl->cl_tls)
		return tls_start(cl, host);
	return CL_EXIT_OK;
}

void
client_close(struct client *cl)
{
	if (cl->cl_sock.lb_buf == NULL)
		return;
	if (cl->cl_sock.lb_ssl != NULL) {
		/* close_notify: we end here, nobody cut us off. */
		if (SSL_is_init_finished(cl->cl_sock.lb_ssl))
			(void)SSL_shutdown(cl->cl_sock.lb_ssl);
		SSL_free(cl->cl_sock.lb_ssl);
		cl->cl_sock.lb_ssl = NULL;
	}
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
		if (cl->cl_sock.lb_ssl != NULL) {
			ERR_clear_error();
			errno = 0;
			n = SSL_write(cl->cl_sock.lb_ssl, line, len > INT_MAX ? INT_MAX : (int)len);
			if (n <= 0) {
				ERR_clear_error();
				free(p);
				return cl_fail("cannot send to %s over TLS%s%s", cl->cl_addr,
				    errno != 0 ? ": " : "", errno != 0 ? strerror(errno) : "");
			}
			continue;
		}
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

int
wait_readable(struct linebuf *lb, int64_t deadline)
{
	struct pollfd	pfd = { .fd = lb->lb_fd, .events = POLLIN };
	int		rc;

	if (lb_buffered(lb))
		return 1;
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
		if ((rc = wait_readable(&cl->cl_sock, deadline)) == 0)
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
