/*
 * httpgen: branchqd over HTTP/1.1 (issue 16) beside the same over the line
 * protocol, measured by one client so that only the protocol differs.  One
 * thread, epoll, non-blocking sockets; HTTP/1.1 keep-alive without
 * pipelining: every connection has exactly one request in flight.
 *
 *   httpgen --mode issue  --proto http|line --connect HOST:PORT --conns N
 *           --duration S [--warmup S] [--count N] [--body JSON] [--server-pid PID]
 *   httpgen --mode fanout --proto http|line --connect HOST:PORT --tcp HOST:PORT
 *           --streams N --calls N [--warm-calls N] [--gap-ms MS]
 *   httpgen --mode idle   --proto http|line --connect HOST:PORT --streams N
 *           [--duration S]
 *
 * --connect is the measured connections' listener (the HTTP one for
 * --proto http, the line protocol's for --proto line); --tcp the line
 * protocol's listener, where the fan-out's kiosk and teller speak.
 *
 * Modes:
 *   issue   kiosk K01's ticket.issue with --body (default
 *           {"service":"cash_deposit","amount_fen":10000}), over and over:
 *           HTTP `POST /api/v1/op/ticket.issue` with `Authorization: Bearer
 *           K01:TOKEN`, or the line protocol after a hello.  Latency from the
 *           write of the request to the end of the reply (status line,
 *           headers, Content-Length body), exact percentiles over every
 *           sample after the warm-up.  --count N: stop after N answered
 *           requests, no warm-up, no time limit (bench/profile.sh).
 *   fanout  N event streams of display D01 on topic `calls` (HTTP: `GET
 *           /api/v1/events?topics=calls`, text/event-stream; line: hello and
 *           subscribe), then teller T01, over the line protocol whatever
 *           --proto says, opens window 1 and calls the tickets a kiosk issued
 *           first, one after the other (call_next, then start and complete,
 *           untimed, then --gap-ms).  For each call: the time from the write
 *           of call_next until each stream has the whole `ticket.called` event
 *           for that ticket (taken right after the read that completed it;
 *           CLOCK_MONOTONIC, one process).  The first --warm-calls calls
 *           (default 3) are not counted.  Printed: percentiles over every
 *           delivery (streams x calls); per call, the first stream's time, the
 *           last stream's, and the spread between them (what fanning out to
 *           the streams took, the commit before it left out); and call_next's
 *           own reply; with --server-pid, the CPU time of the daemon's loop
 *           thread per call (the call, its event to every stream, start and
 *           complete; from schedstat, in nanoseconds).
 *   idle    N event streams opened (HTTP: the response's head read; line:
 *           subscribe answered), then held, reading what comes, for --duration
 *           seconds or until killed.  Prints "mode=idle ... ready=N" once they
 *           are all open: bench/http.sh reads the daemon's memory then.
 *
 * Every terminal's token is --token (default "bench", as bench/config.sh).
 * Output: one line of key=value pairs on stdout.  Exit status 1 when a
 * request failed, a connection failed or an event was missing.
 */
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

enum mode { M_ISSUE, M_FANOUT, M_IDLE };
enum proto { P_LINE, P_HTTP };
enum role { R_ISSUER, R_STREAM, R_TELLER, R_KIOSK };
enum cstate { S_CONNECTING, S_SETUP, S_READY, S_STREAMING, S_DEAD };
/* A chunked stream body: the size line, the data, the CRLF after it. */
enum chunk { C_SIZE, C_DATA, C_CRLF };

struct buf {
	char	*b;
	size_t	 len, cap;
};

struct conn {
	int		 fd;
	int		 no;
	enum proto	 proto;
	enum role	 role;
	enum cstate	 state;
	const char	*terminal;	/* K01, D01, T01 */
	const struct sockaddr_in *addr;
	int		 setup;		/* line: set-up replies still to come */
	struct buf	 in, out, sse;
	bool		 out_armed;	/* EPOLLOUT wanted */
	bool		 in_flight;
	struct timespec	 sent;
	/* The last reply (kiosk and teller), and whether it came. */
	bool		 replied, reply_ok;
	double		 reply_us;	/* its latency */
	char		 reply[1024];
	/* An HTTP event stream's body. */
	bool		 chunked;
	enum chunk	 cstate;
	size_t		 chunk_left;
	char		 size_line[32];
	size_t		 size_len;
	/* The event being read (SSE fields), and the last one's id. */
	char		 ev_name[64];
	char		 ev_number[32];
	long long	 ev_id, last_id;
	/* fanout: the call this stream last saw, and when. */
	int		 got_call;
	double		 got_s;
};

/* A growing array of latencies in microseconds. */
struct samples {
	double	*v;
	size_t	 len, cap;
};

static struct {
	enum mode		 mode;
	enum proto		 proto;
	struct sockaddr_in	 addr, tcp_addr;
	char			 host[64];	/* the Host header: --connect as given */
	int			 conns, streams, calls, warm_calls, gap_ms;
	size_t			 count;		/* --count, or 0 */
	double			 duration, warmup;
	const char		*token;
	const char		*body;
	pid_t			 server;
	int			 ep;
	struct conn		*c;
	int			 nc;
	/* The issue request, ready to write. */
	char			*issue_req;
	size_t			 issue_len;
	struct samples		 lat;		/* issue: per request */
	uint64_t		 errors, reconnects;
	int			 failed, ready;
	bool			 measuring, stopping;
	/* fanout */
	int			 call;		/* the call under way, from 1 */
	char			 call_number[32];	/* what the streams saw */
	int			 got;		/* streams that have it */
	struct timespec		 call_sent;
	uint64_t		 id_errors, wrong_number;
} G;

static void	fatal(const char *, ...) __attribute__((format(printf, 1, 2), noreturn));

static void
fatal(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	fputs("httpgen: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	exit(1);
}

static double
now_s(void)
{
	struct timespec	t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static double
since_us(const struct timespec *t0)
{
	struct timespec	t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)(t.tv_sec - t0->tv_sec) * 1e6 + (double)(t.tv_nsec - t0->tv_nsec) / 1e3;
}

static void
buf_reserve(struct buf *b, size_t more)
{
	if (b->len + more <= b->cap)
		return;
	while (b->len + more > b->cap)
		b->cap = b->cap ? b->cap * 2 : 4096;
	if ((b->b = realloc(b->b, b->cap)) == NULL)
		fatal("out of memory");
}

static void
buf_add(struct buf *b, const void *p, size_t n)
{
	buf_reserve(b, n + 1);
	memcpy(b->b + b->len, p, n);
	b->len += n;
	b->b[b->len] = '\0';
}

static void
buf_consume(struct buf *b, size_t n)
{
	memmove(b->b, b->b + n, b->len - n);
	b->len -= n;
	if (b->cap > 0)
		b->b[b->len] = '\0';
}

static void
sample(struct samples *s, double us)
{
	if (s->len == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 65536;
		if ((s->v = realloc(s->v, s->cap * sizeof *s->v)) == NULL)
			fatal("out of memory");
	}
	s->v[s->len++] = us;
}

static int
cmp_double(const void *a, const void *b)
{
	double	x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Nearest rank, as bench/loadgen; in milliseconds.  Sorts. */
static double
pct_ms(struct samples *s, double p)
{
	size_t	rank;

	if (s->len == 0)
		return 0;
	qsort(s->v, s->len, sizeof *s->v, cmp_double);
	rank = (size_t)(p / 100.0 * (double)s->len + 0.999999);
	if (rank < 1)
		rank = 1;
	if (rank > s->len)
		rank = s->len;
	return s->v[rank - 1] / 1000.0;
}

/* CPU seconds (user + system) of a process, from /proc/PID/stat; -1 if unreadable. */
static double
proc_cpu_s(pid_t pid)
{
	char		 path[64], b[1024], *p;
	unsigned long	 utime, stime;
	FILE		*f;
	size_t		 n;
	int		 i;

	snprintf(path, sizeof path, "/proc/%ld/stat", (long)pid);
	if ((f = fopen(path, "r")) == NULL)
		return -1;
	n = fread(b, 1, sizeof b - 1, f);
	fclose(f);
	b[n] = '\0';
	if ((p = strrchr(b, ')')) == NULL)
		return -1;
	for (i = 0; i < 12 && p != NULL; i++)
		p = strchr(p + 1, ' ');
	if (p == NULL || sscanf(p, " %lu %lu", &utime, &stime) != 2)
		return -1;
	return (double)(utime + stime) / (double)sysconf(_SC_CLK_TCK);
}

/* CPU seconds of a process's main thread (the daemon's loop), in
 * nanoseconds from /proc/PID/task/PID/schedstat; -1 if unreadable. */
static double
loop_cpu_s(pid_t pid)
{
	char			 path[64];
	unsigned long long	 ns;
	FILE			*f;
	int			 n;

	snprintf(path, sizeof path, "/proc/%ld/task/%ld/schedstat", (long)pid, (long)pid);
	if ((f = fopen(path, "r")) == NULL)
		return -1;
	n = fscanf(f, "%llu", &ns);
	fclose(f);
	return n == 1 ? (double)ns / 1e9 : -1;
}

static double
self_cpu_s(void)
{
	struct rusage	ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
	    (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

/* ---- connections ---- */

static void
arm(struct conn *c, bool out)
{
	struct epoll_event	ev;

	if (c->out_armed == out)
		return;
	memset(&ev, 0, sizeof ev);
	ev.events = EPOLLIN | (out ? EPOLLOUT : 0u);
	ev.data.ptr = c;
	if (epoll_ctl(G.ep, EPOLL_CTL_MOD, c->fd, &ev) == -1)
		fatal("epoll_ctl: %s", strerror(errno));
	c->out_armed = out;
}

static void
conn_close(struct conn *c)
{
	if (c->fd != -1) {
		epoll_ctl(G.ep, EPOLL_CTL_DEL, c->fd, NULL);
		close(c->fd);
	}
	c->fd = -1;
	c->state = S_DEAD;
	c->in.len = c->out.len = c->sse.len = 0;
	c->in_flight = false;
	c->out_armed = false;
}

static void
conn_fail(struct conn *c, const char *why)
{
	if (c->state == S_DEAD)
		return;
	if (!G.stopping) {
		if (G.failed < 5)
			fprintf(stderr, "httpgen: connection %d (%s): %s\n", c->no,
			    c->terminal, why);
		G.failed++;
	}
	conn_close(c);
}

static void
flush_out(struct conn *c)
{
	ssize_t	n;

	while (c->out.len > 0) {
		n = write(c->fd, c->out.b, c->out.len);
		if (n > 0) {
			buf_consume(&c->out, (size_t)n);
			continue;
		}
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		conn_fail(c, strerror(errno));
		return;
	}
	arm(c, c->out.len > 0);
}

/* Writes at once what the socket takes; the rest when it is writable. */
static void
conn_send(struct conn *c, const char *p, size_t n)
{
	ssize_t	w = 0;

	if (c->state == S_DEAD)
		return;
	if (c->out.len == 0 && c->state != S_CONNECTING) {
		w = write(c->fd, p, n);
		if (w == -1) {
			if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
				conn_fail(c, strerror(errno));
				return;
			}
			w = 0;
		}
	}
	if ((size_t)w < n) {
		buf_add(&c->out, p + w, n - (size_t)w);
		if (c->state != S_CONNECTING)
			arm(c, true);
	}
}

/* A request for OP with FIELDS (a JSON object) on the connection's protocol. */
static size_t
format_op(char *out, size_t len, enum proto p, const char *terminal, const char *op,
    const char *fields)
{
	int	n;

	if (p == P_LINE) {
		if (strcmp(fields, "{}") == 0)
			n = snprintf(out, len, "{\"op\":\"%s\"}\n", op);
		else
			n = snprintf(out, len, "{\"op\":\"%s\",%s\n", op, fields + 1);
	} else
		n = snprintf(out, len, "POST /api/v1/op/%s HTTP/1.1\r\nHost: %s\r\n"
		    "Authorization: Bearer %s:%s\r\nContent-Type: application/json\r\n"
		    "Content-Length: %zu\r\n\r\n%s", op, G.host, terminal, G.token,
		    strlen(fields), fields);
	if (n < 0 || (size_t)n >= len)
		fatal("request too long: %s %s", op, fields);
	return (size_t)n;
}

static void
send_op(struct conn *c, const char *op, const char *fields)
{
	char	req[2048];
	size_t	n = format_op(req, sizeof req, c->proto, c->terminal, op, fields);

	c->replied = false;
	c->in_flight = true;
	clock_gettime(CLOCK_MONOTONIC, &c->sent);
	conn_send(c, req, n);
}

static void
send_issue(struct conn *c)
{
	if (G.stopping)
		return;
	c->in_flight = true;
	clock_gettime(CLOCK_MONOTONIC, &c->sent);
	conn_send(c, G.issue_req, G.issue_len);
}

static void
conn_open(struct conn *c)
{
	struct epoll_event	ev;
	int			one = 1;

	if ((c->fd = socket(AF_INET, SOCK_STREAM, 0)) == -1)
		fatal("socket: %s (raise ulimit -n?)", strerror(errno));
	if (fcntl(c->fd, F_SETFL, fcntl(c->fd, F_GETFL) | O_NONBLOCK) == -1)
		fatal("fcntl: %s", strerror(errno));
	setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	c->state = S_CONNECTING;
	c->out_armed = true;
	c->in.len = c->out.len = c->sse.len = 0;
	c->chunked = false;
	c->cstate = C_SIZE;
	c->size_len = 0;
	memset(&ev, 0, sizeof ev);
	ev.events = EPOLLIN | EPOLLOUT;
	ev.data.ptr = c;
	if (epoll_ctl(G.ep, EPOLL_CTL_ADD, c->fd, &ev) == -1)
		fatal("epoll_ctl: %s", strerror(errno));
	if (connect(c->fd, (const struct sockaddr *)c->addr, sizeof *c->addr) == -1 &&
	    errno != EINPROGRESS)
		conn_fail(c, strerror(errno));
}

static void
became_ready(struct conn *c)
{
	c->state = c->role == R_STREAM ? S_STREAMING : S_READY;
	G.ready++;
	if (c->role == R_ISSUER)
		send_issue(c);
}

/* Connected: the set-up of its role. */
static void
on_connected(struct conn *c)
{
	char	req[1024];
	int	n = 0;

	c->state = S_SETUP;
	if (c->proto == P_HTTP) {
		switch (c->role) {
		case R_STREAM:
			n = snprintf(req, sizeof req, "GET /api/v1/events?topics=calls HTTP/1.1\r\n"
			    "Host: %s\r\nAuthorization: Bearer %s:%s\r\n"
			    "Accept: text/event-stream\r\n\r\n", G.host, c->terminal, G.token);
			break;
		default:	/* bearer requests: nothing to set up */
			c->state = S_READY;
			became_ready(c);
			break;
		}
	} else {
		n = snprintf(req, sizeof req, "{\"op\":\"hello\",\"terminal\":\"%s\","
		    "\"token\":\"%s\"}\n", c->terminal, G.token);
		c->setup = 1;
		if (c->role == R_STREAM) {
			n += snprintf(req + n, sizeof req - (size_t)n,
			    "{\"op\":\"subscribe\",\"topics\":[\"calls\"]}\n");
			c->setup = 2;
		} else if (c->role == R_TELLER) {
			n += snprintf(req + n, sizeof req - (size_t)n, "{\"op\":\"window.open\","
			    "\"window\":1,\"lanes\":[\"counter\",\"express\",\"vip\"]}\n");
			c->setup = 2;
		}
	}
	if (n > 0)
		conn_send(c, req, (size_t)n);
	flush_out(c);
}

/* ---- replies ---- */

/* Pulls "KEY":"VALUE" (a string) out of JSON text without a parser. */
static bool
json_str(const char *s, const char *key, char *out, size_t len)
{
	char		 pat[64];
	const char	*p;
	size_t		 n;

	snprintf(pat, sizeof pat, "\"%s\":\"", key);
	if ((p = strstr(s, pat)) == NULL)
		return false;
	p += strlen(pat);
	n = strcspn(p, "\"");
	if (n >= len)
		return false;
	memcpy(out, p, n);
	out[n] = '\0';
	return true;
}

static void
on_called(struct conn *c, const char *number, long long id)
{
	if (id > 0) {
		if (id <= c->last_id)
			G.id_errors++;
		c->last_id = id;
	}
	if (G.mode != M_FANOUT || G.call == 0 || c->got_call == G.call)
		return;
	if (G.call_number[0] == '\0')
		snprintf(G.call_number, sizeof G.call_number, "%s", number);
	else if (strcmp(G.call_number, number) != 0) {
		G.wrong_number++;
		return;
	}
	c->got_call = G.call;
	c->got_s = since_us(&G.call_sent);
	G.got++;
}

/* A complete reply to the request in flight. */
static void
on_reply(struct conn *c, bool ok, const char *body)
{
	if (!c->in_flight) {
		if (G.failed < 5)
			fprintf(stderr, "httpgen: connection %d: a reply to nothing: %.200s\n",
			    c->no, body);
		G.errors++;
		return;
	}
	c->in_flight = false;
	if (c->role == R_ISSUER) {
		if (G.measuring) {
			if (ok)
				sample(&G.lat, since_us(&c->sent));
			else {
				G.errors++;
				if (G.errors <= 3)
					fprintf(stderr, "httpgen: error reply: %.300s\n", body);
			}
			if (G.count > 0 && G.lat.len + G.errors >= G.count)
				G.stopping = true;
		}
		send_issue(c);
		return;
	}
	c->replied = true;
	c->reply_ok = ok;
	c->reply_us = since_us(&c->sent);
	snprintf(c->reply, sizeof c->reply, "%s", body);
}

static void
on_line(struct conn *c, char *line)
{
	bool	ok = strstr(line, "\"ok\":true") != NULL;

	if (strncmp(line, "{\"event\"", 8) == 0) {
		char		 num[32] = "";
		const char	*seq = strstr(line, "\"seq\":");

		if (strstr(line, "\"event\":\"ticket.called\"") != NULL &&
		    json_str(line, "number", num, sizeof num))
			on_called(c, num, seq ? atoll(seq + 6) : 0);
		return;
	}
	if (c->state == S_SETUP) {
		if (!ok) {
			fprintf(stderr, "httpgen: connection %d (%s) set-up: %s\n", c->no,
			    c->terminal, line);
			conn_fail(c, "set-up refused");
			return;
		}
		if (--c->setup == 0)
			became_ready(c);
		return;
	}
	on_reply(c, ok, line);
}

/* Case-insensitive: does the header line start with NAME and a colon? */
static const char *
header_value(const char *line, size_t len, const char *name)
{
	size_t	n = strlen(name);

	if (len <= n || strncasecmp(line, name, n) != 0 || line[n] != ':')
		return NULL;
	line += n + 1;
	while (*line == ' ' || *line == '\t')
		line++;
	return line;
}

static const char *
find(const char *p, size_t len, const char *what)
{
	size_t	n = strlen(what), i;

	for (i = 0; i + n <= len; i++)
		if (p[i] == what[0] && memcmp(p + i, what, n) == 0)
			return p + i;
	return NULL;
}

/*
 * A chunked body at P (LEN bytes): its data appended to OUT; the bytes it
 * takes, trailers included, or 0 while incomplete, -1 if malformed.
 */
static long
dechunk(const char *p, size_t len, struct buf *out)
{
	size_t		 off = 0;
	const char	*eol;
	char		*end;
	unsigned long	 size;

	out->len = 0;
	for (;;) {
		if ((eol = find(p + off, len - off, "\r\n")) == NULL)
			return 0;
		size = strtoul(p + off, &end, 16);
		if (end == p + off)
			return -1;
		off = (size_t)(eol - p) + 2;
		if (size == 0)
			break;
		if (len - off < size + 2)
			return 0;
		buf_add(out, p + off, size);
		off += size + 2;
	}
	/* Trailers, up to an empty line. */
	for (;;) {
		if ((eol = find(p + off, len - off, "\r\n")) == NULL)
			return 0;
		if (eol == p + off)
			return (long)(off + 2);
		off = (size_t)(eol - p) + 2;
	}
}

static void sse_feed(struct conn *, const char *, size_t);

/*
 * The HTTP responses in C's input: each complete one is handed on; an event
 * stream's head switches the connection to streaming, and the bytes after it
 * are the stream's.
 */
static void
http_input(struct conn *c)
{
	static struct buf	 body;
	const char		*hend, *line, *eol, *v;
	size_t			 hlen, clen = 0;
	bool			 has_len = false, chunked = false, close_after = false, sse = false;
	long			 blen;
	int			 status;

	while (c->state != S_DEAD && c->in.len > 0) {
		if (c->state == S_STREAMING) {
			sse_feed(c, c->in.b, c->in.len);
			c->in.len = 0;
			return;
		}
		if ((hend = find(c->in.b, c->in.len, "\r\n\r\n")) == NULL) {
			if (c->in.len > 65536)
				conn_fail(c, "a response head over 64 KiB");
			return;
		}
		hlen = (size_t)(hend - c->in.b) + 4;
		if (c->in.len < 12 || strncmp(c->in.b, "HTTP/1.", 7) != 0 ||
		    !isdigit((unsigned char)c->in.b[9])) {
			conn_fail(c, "not an HTTP/1.x status line");
			return;
		}
		status = atoi(c->in.b + 9);
		line = c->in.b;
		while ((eol = find(line, (size_t)(hend + 2 - line), "\r\n")) != NULL &&
		    eol < hend + 2) {
			size_t	n = (size_t)(eol - line);

			if ((v = header_value(line, n, "Content-Length")) != NULL) {
				clen = strtoul(v, NULL, 10);
				has_len = true;
			} else if ((v = header_value(line, n, "Transfer-Encoding")) != NULL)
				chunked = find(v, n - (size_t)(v - line), "chunked") != NULL;
			else if ((v = header_value(line, n, "Connection")) != NULL)
				close_after = strncasecmp(v, "close", 5) == 0;
			else if ((v = header_value(line, n, "Content-Type")) != NULL)
				sse = strncasecmp(v, "text/event-stream", 17) == 0;
			line = eol + 2;
		}
		if (c->role == R_STREAM && c->state == S_SETUP) {
			if (status != 200 || !sse) {
				char	msg[160];

				snprintf(msg, sizeof msg, "the event stream's response: %.*s",
				    (int)strcspn(c->in.b, "\r"), c->in.b);
				conn_fail(c, msg);
				return;
			}
			c->chunked = chunked;
			buf_consume(&c->in, hlen);
			became_ready(c);
			continue;
		}
		if (chunked) {
			if ((blen = dechunk(c->in.b + hlen, c->in.len - hlen, &body)) == 0)
				return;
			if (blen < 0) {
				conn_fail(c, "a malformed chunked body");
				return;
			}
			buf_consume(&c->in, hlen + (size_t)blen);
		} else if (has_len) {
			if (c->in.len < hlen + clen)
				return;
			body.len = 0;
			buf_add(&body, c->in.b + hlen, clen);
			buf_consume(&c->in, hlen + clen);
		} else {
			conn_fail(c, "a response with neither Content-Length nor chunked");
			return;
		}
		buf_add(&body, "", 0);
		on_reply(c, status == 200 && strstr(body.b, "\"ok\":true") != NULL, body.b);
		if (close_after) {
			/* The daemon ended keep-alive: a new connection. */
			G.reconnects++;
			conn_close(c);
			G.ready--;
			conn_open(c);
			return;
		}
	}
}

/* One line of an event stream (without its end of line). */
static void
sse_line(struct conn *c, char *line, size_t len)
{
	char	*v;

	if (len > 0 && line[len - 1] == '\r')
		line[--len] = '\0';
	if (len == 0) {			/* the end of an event */
		if (strcmp(c->ev_name, "ticket.called") == 0)
			on_called(c, c->ev_number, c->ev_id);
		else if (c->ev_id > 0)
			c->last_id = c->ev_id;
		c->ev_name[0] = c->ev_number[0] = '\0';
		c->ev_id = 0;
		return;
	}
	if (line[0] == ':')		/* a comment: keep-alive */
		return;
	if ((v = strchr(line, ':')) == NULL)
		return;
	*v++ = '\0';
	if (*v == ' ')
		v++;
	if (strcmp(line, "id") == 0)
		c->ev_id = atoll(v);
	else if (strcmp(line, "event") == 0)
		snprintf(c->ev_name, sizeof c->ev_name, "%s", v);
	else if (strcmp(line, "data") == 0) {
		if (!json_str(v, "number", c->ev_number, sizeof c->ev_number))
			c->ev_number[0] = '\0';
		if (c->ev_name[0] == '\0')
			json_str(v, "event", c->ev_name, sizeof c->ev_name);
	}
}

/* Bytes of an event stream's body: de-chunked, then cut into lines. */
static void
sse_feed(struct conn *c, const char *p, size_t n)
{
	size_t	 i = 0, take, start;
	char	*nl;

	if (!c->chunked)
		buf_add(&c->sse, p, n);
	else while (i < n) {
		switch (c->cstate) {
		case C_SIZE:
			if (p[i] == '\n') {
				c->size_line[c->size_len] = '\0';
				c->chunk_left = strtoul(c->size_line, NULL, 16);
				c->size_len = 0;
				if (c->chunk_left == 0) {
					conn_fail(c, "the event stream ended");
					return;
				}
				c->cstate = C_DATA;
			} else if (c->size_len + 1 < sizeof c->size_line)
				c->size_line[c->size_len++] = p[i];
			i++;
			break;
		case C_DATA:
			take = n - i < c->chunk_left ? n - i : c->chunk_left;
			buf_add(&c->sse, p + i, take);
			i += take;
			if ((c->chunk_left -= take) == 0)
				c->cstate = C_CRLF;
			break;
		case C_CRLF:
			if (p[i++] == '\n')
				c->cstate = C_SIZE;
			break;
		}
	}
	start = 0;
	while (start < c->sse.len &&
	    (nl = memchr(c->sse.b + start, '\n', c->sse.len - start)) != NULL) {
		*nl = '\0';
		sse_line(c, c->sse.b + start, (size_t)(nl - (c->sse.b + start)));
		start = (size_t)(nl - c->sse.b) + 1;
	}
	if (start > 0)
		buf_consume(&c->sse, start);
}

static void
on_readable(struct conn *c)
{
	ssize_t	 n;
	char	*nl;
	size_t	 start;

	buf_reserve(&c->in, 65536 + 1);
	n = read(c->fd, c->in.b + c->in.len, c->in.cap - c->in.len - 1);
	if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
		return;
	if (n <= 0) {
		conn_fail(c, n == 0 ? "closed by the daemon" : strerror(errno));
		return;
	}
	c->in.len += (size_t)n;
	c->in.b[c->in.len] = '\0';
	if (c->proto == P_HTTP) {
		http_input(c);
		return;
	}
	start = 0;
	while (c->state != S_DEAD &&
	    (nl = memchr(c->in.b + start, '\n', c->in.len - start)) != NULL) {
		*nl = '\0';
		on_line(c, c->in.b + start);
		start = (size_t)(nl - c->in.b) + 1;
	}
	if (c->state != S_DEAD && start > 0)
		buf_consume(&c->in, start);
}

/* One turn of the loop: waits up to TIMEOUT_MS for something to do. */
static void
pump(int timeout_ms)
{
	struct epoll_event	evs[256];
	int			n, i, err;
	socklen_t		len;

	n = epoll_wait(G.ep, evs, 256, timeout_ms);
	if (n == -1 && errno != EINTR)
		fatal("epoll_wait: %s", strerror(errno));
	for (i = 0; i < n; i++) {
		struct conn *c = evs[i].data.ptr;

		if (c->state == S_DEAD)
			continue;
		if (c->state == S_CONNECTING) {
			err = 0;
			len = sizeof err;
			if (!(evs[i].events & (EPOLLOUT | EPOLLERR | EPOLLHUP)))
				continue;
			getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len);
			if (err != 0) {
				conn_fail(c, strerror(err));
				continue;
			}
			on_connected(c);
			continue;
		}
		if (evs[i].events & (EPOLLIN | EPOLLERR | EPOLLHUP))
			on_readable(c);
		if (c->state != S_DEAD && (evs[i].events & EPOLLOUT))
			flush_out(c);
	}
}

/* Runs the loop until DONE() or SECS have passed; whether DONE(). */
static bool
pump_until(bool (*done)(void), double secs)
{
	double	end = now_s() + secs;

	while (!done()) {
		double left = end - now_s();

		if (left <= 0)
			return false;
		pump(left > 0.05 ? 50 : (int)(left * 1000) + 1);
	}
	return true;
}

static bool
all_ready(void)
{
	return G.ready + G.failed >= G.nc;
}

static struct conn	*waiting_for;

static bool
replied(void)
{
	return waiting_for->replied || waiting_for->state == S_DEAD;
}

static bool
call_done(void)
{
	return (waiting_for->replied || waiting_for->state == S_DEAD) &&
	    G.got >= G.streams - G.failed;
}

/* A request on C, waited for; its reply (ok or not) in c->reply. */
static bool
request(struct conn *c, const char *op, const char *fields)
{
	send_op(c, op, fields);
	waiting_for = c;
	if (!pump_until(replied, 10) || c->state == S_DEAD)
		fatal("%s: no reply", op);
	if (!c->reply_ok)
		fprintf(stderr, "httpgen: %s %s: %s\n", op, fields, c->reply);
	return c->reply_ok;
}

static void
conns_alloc(int n)
{
	int	i;

	G.nc = n;
	if ((G.c = calloc((size_t)n, sizeof *G.c)) == NULL)
		fatal("out of memory");
	for (i = 0; i < n; i++) {
		G.c[i].fd = -1;
		G.c[i].no = i;
		G.c[i].proto = G.proto;
		G.c[i].addr = &G.addr;
	}
}

/* ---- the modes ---- */

static void
mode_issue(void)
{
	char		 cpu[200] = "";
	double		 t0, secs, cpu_self = 0, cpu_server = -1, c0;
	int		 i;

	conns_alloc(G.conns);
	for (i = 0; i < G.nc; i++) {
		G.c[i].role = R_ISSUER;
		G.c[i].terminal = "K01";
		conn_open(&G.c[i]);
	}
	if (!pump_until(all_ready, 60))
		fatal("%d of %d connections ready after 60 s", G.ready, G.nc);
	t0 = now_s();
	while (G.count == 0 && now_s() - t0 < G.warmup)
		pump(50);
	G.measuring = true;
	t0 = now_s();
	c0 = self_cpu_s();
	if (G.server != 0)
		cpu_server = proc_cpu_s(G.server);
	while (!G.stopping && now_s() - t0 < G.duration)
		pump(50);
	G.stopping = true;
	secs = now_s() - t0;
	cpu_self = self_cpu_s() - c0;
	if (G.server != 0 && cpu_server >= 0) {
		double	s1 = proc_cpu_s(G.server);
		double	per = G.lat.len ? (double)G.lat.len : 1;

		if (s1 >= 0)
			snprintf(cpu, sizeof cpu, " server_cpu_us=%.1f server_cores=%.2f "
			    "gen_cpu_us=%.1f", (s1 - cpu_server) * 1e6 / per,
			    (s1 - cpu_server) / secs, cpu_self * 1e6 / per);
	}
	printf("kind=issue proto=%s conns=%d seconds=%.2f requests=%zu errors=%llu per_s=%.0f "
	    "p50_ms=%.3f p99_ms=%.3f max_ms=%.3f failed_conns=%d reconnects=%llu%s\n",
	    G.proto == P_HTTP ? "http" : "line", G.conns, secs, G.lat.len,
	    (unsigned long long)G.errors, (double)G.lat.len / secs, pct_ms(&G.lat, 50),
	    pct_ms(&G.lat, 99), pct_ms(&G.lat, 100), G.failed,
	    (unsigned long long)G.reconnects, cpu);
}

static void
mode_fanout(void)
{
	struct samples	 all = { 0 }, first = { 0 }, last = { 0 }, spread = { 0 }, reply = { 0 };
	struct conn	*kiosk, *teller;
	char		 fields[128], number[32];
	double		 gap_end, cpu0 = -1, cpu1 = -1;
	char		 cpu[64] = "";
	uint64_t	 missing = 0;
	int		 i, k, call, tickets = G.calls + G.warm_calls;

	/* The streams, then a kiosk and a teller on the line protocol. */
	conns_alloc(G.streams + 2);
	for (i = 0; i < G.streams; i++) {
		G.c[i].role = R_STREAM;
		G.c[i].terminal = "D01";
	}
	kiosk = &G.c[G.streams];
	teller = &G.c[G.streams + 1];
	kiosk->role = R_KIOSK;
	kiosk->terminal = "K01";
	teller->role = R_TELLER;
	teller->terminal = "T01";
	kiosk->proto = teller->proto = P_LINE;
	kiosk->addr = teller->addr = &G.tcp_addr;
	for (i = 0; i < G.nc; i++)
		conn_open(&G.c[i]);
	if (!pump_until(all_ready, 60) || G.failed > 0)
		fatal("%d of %d connections ready, %d failed", G.ready, G.nc, G.failed);
	for (i = 0; i < tickets; i++)
		if (!request(kiosk, "ticket.issue", "{\"service\":\"account_opening\"}"))
			fatal("the kiosk could not issue");
	for (call = 1; call <= tickets; call++) {
		if (call == G.warm_calls + 1 && G.server != 0)
			cpu0 = loop_cpu_s(G.server);
		G.call = call;
		G.call_number[0] = '\0';
		G.got = 0;
		waiting_for = teller;
		clock_gettime(CLOCK_MONOTONIC, &G.call_sent);
		send_op(teller, "ticket.call_next", "{}");
		if (!pump_until(call_done, 5) && G.got == 0 && !teller->replied)
			fatal("call %d: no reply and no event in 5 s", call);
		if (!teller->replied || !teller->reply_ok ||
		    !json_str(teller->reply, "number", number, sizeof number))
			fatal("call %d: ticket.call_next: %s", call, teller->reply);
		if (strcmp(number, G.call_number) != 0)
			G.wrong_number++;
		if (call > G.warm_calls) {
			double	lo = 1e18, hi = 0;

			sample(&reply, teller->reply_us);
			for (k = 0; k < G.streams; k++) {
				struct conn *s = &G.c[k];

				if (s->got_call != call) {
					missing++;
					continue;
				}
				sample(&all, s->got_s);
				if (s->got_s < lo)
					lo = s->got_s;
				if (s->got_s > hi)
					hi = s->got_s;
			}
			if (hi > 0) {
				sample(&first, lo);
				sample(&last, hi);
				sample(&spread, hi - lo);
			}
		}
		snprintf(fields, sizeof fields, "{\"number\":\"%s\"}", number);
		if (!request(teller, "ticket.start", fields) ||
		    !request(teller, "ticket.complete", fields))
			fatal("call %d: start/complete failed", call);
		gap_end = now_s() + G.gap_ms / 1000.0;
		while (now_s() < gap_end)
			pump((int)((gap_end - now_s()) * 1000) + 1);
	}
	G.stopping = true;
	if (cpu0 >= 0 && (cpu1 = loop_cpu_s(G.server)) >= 0)
		snprintf(cpu, sizeof cpu, " loop_cpu_us_per_call=%.0f",
		    (cpu1 - cpu0) * 1e6 / G.calls);
	printf("kind=fanout proto=%s streams=%d calls=%d deliveries=%zu missing=%llu "
	    "wrong_number=%llu id_errors=%llu p50_ms=%.3f p99_ms=%.3f max_ms=%.3f "
	    "first_p50_ms=%.3f last_p50_ms=%.3f last_p99_ms=%.3f last_max_ms=%.3f "
	    "spread_p50_ms=%.3f spread_p99_ms=%.3f reply_p50_ms=%.3f reply_p99_ms=%.3f "
	    "failed_conns=%d%s\n",
	    G.proto == P_HTTP ? "http" : "line", G.streams, G.calls, all.len,
	    (unsigned long long)missing, (unsigned long long)G.wrong_number,
	    (unsigned long long)G.id_errors, pct_ms(&all, 50), pct_ms(&all, 99),
	    pct_ms(&all, 100), pct_ms(&first, 50), pct_ms(&last, 50), pct_ms(&last, 99),
	    pct_ms(&last, 100), pct_ms(&spread, 50), pct_ms(&spread, 99), pct_ms(&reply, 50),
	    pct_ms(&reply, 99), G.failed, cpu);
	if (missing > 0 || G.wrong_number > 0 || G.id_errors > 0)
		G.errors++;
}

static void
mode_idle(void)
{
	double	t0;
	int	i;

	conns_alloc(G.streams);
	for (i = 0; i < G.nc; i++) {
		G.c[i].role = R_STREAM;
		G.c[i].terminal = "D01";
		conn_open(&G.c[i]);
	}
	pump_until(all_ready, 60);
	printf("mode=idle proto=%s streams=%d ready=%d failed=%d\n",
	    G.proto == P_HTTP ? "http" : "line", G.streams, G.ready, G.failed);
	fflush(stdout);
	t0 = now_s();
	while (now_s() - t0 < G.duration)
		pump(100);
	G.stopping = true;
}

static void
parse_addr(const char *s, struct sockaddr_in *sa)
{
	char		 host[64];
	char		*colon;

	snprintf(host, sizeof host, "%s", s);
	if ((colon = strrchr(host, ':')) == NULL)
		fatal("not HOST:PORT: %s", s);
	*colon = '\0';
	sa->sin_family = AF_INET;
	sa->sin_port = htons((uint16_t)atoi(colon + 1));
	if (inet_pton(AF_INET, host, &sa->sin_addr) != 1)
		fatal("not an IPv4 address: %s", host);
}

static void
usage(void)
{
	fprintf(stderr, "usage: httpgen --mode issue|fanout|idle --proto http|line "
	    "--connect HOST:PORT [--tcp HOST:PORT]\n"
	    "       [--conns N] [--duration S] [--warmup S] [--count N] [--body JSON]\n"
	    "       [--server-pid PID]\n"
	    "       [--streams N] [--calls N] [--warm-calls N] [--gap-ms MS] [--token T]\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "mode", required_argument, NULL, 'm' },
		{ "proto", required_argument, NULL, 'P' },
		{ "connect", required_argument, NULL, 'c' },
		{ "tcp", required_argument, NULL, 'T' },
		{ "conns", required_argument, NULL, 'n' },
		{ "duration", required_argument, NULL, 'd' },
		{ "warmup", required_argument, NULL, 'w' },
		{ "body", required_argument, NULL, 'b' },
		{ "server-pid", required_argument, NULL, 'p' },
		{ "streams", required_argument, NULL, 's' },
		{ "calls", required_argument, NULL, 'k' },
		{ "warm-calls", required_argument, NULL, 'W' },
		{ "gap-ms", required_argument, NULL, 'g' },
		{ "token", required_argument, NULL, 't' },
		{ "count", required_argument, NULL, 'C' },
		{ NULL, 0, NULL, 0 }
	};
	const char	*connect_to = NULL, *tcp = NULL;
	char		 issue[4096];
	int		 ch;

	G.proto = P_HTTP;
	G.conns = 64;
	G.duration = 5;
	G.warmup = 1;
	G.streams = 200;
	G.calls = 50;
	G.warm_calls = 3;
	G.gap_ms = 20;
	G.token = "bench";
	G.body = "{\"service\":\"cash_deposit\",\"amount_fen\":10000}";
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'm':
			if (strcmp(optarg, "issue") == 0) G.mode = M_ISSUE;
			else if (strcmp(optarg, "fanout") == 0) G.mode = M_FANOUT;
			else if (strcmp(optarg, "idle") == 0) G.mode = M_IDLE;
			else usage();
			break;
		case 'P':
			if (strcmp(optarg, "http") == 0) G.proto = P_HTTP;
			else if (strcmp(optarg, "line") == 0) G.proto = P_LINE;
			else usage();
			break;
		case 'c': connect_to = optarg; break;
		case 'T': tcp = optarg; break;
		case 'n': G.conns = atoi(optarg); break;
		case 'd': G.duration = atof(optarg); break;
		case 'w': G.warmup = atof(optarg); break;
		case 'b': G.body = optarg; break;
		case 'p': G.server = (pid_t)atol(optarg); break;
		case 's': G.streams = atoi(optarg); break;
		case 'k': G.calls = atoi(optarg); break;
		case 'W': G.warm_calls = atoi(optarg); break;
		case 'g': G.gap_ms = atoi(optarg); break;
		case 't': G.token = optarg; break;
		case 'C':
			G.count = (size_t)atol(optarg);
			G.duration = 1e9;
			break;
		default: usage();
		}
	}
	if (connect_to == NULL || G.conns < 1 || G.streams < 1 || G.calls < 1 ||
	    G.warm_calls < 0 || G.body[0] != '{')
		usage();
	parse_addr(connect_to, &G.addr);
	snprintf(G.host, sizeof G.host, "%s", connect_to);
	if (G.mode == M_FANOUT) {
		if (tcp == NULL && G.proto == P_HTTP)
			fatal("--mode fanout needs --tcp HOST:PORT for the kiosk and the teller");
		parse_addr(tcp != NULL ? tcp : connect_to, &G.tcp_addr);
	}
	signal(SIGPIPE, SIG_IGN);
	if ((G.ep = epoll_create1(0)) == -1)
		fatal("epoll_create1: %s", strerror(errno));
	G.issue_len = format_op(issue, sizeof issue, G.proto, "K01", "ticket.issue", G.body);
	if ((G.issue_req = strdup(issue)) == NULL)
		fatal("out of memory");
	switch (G.mode) {
	case M_ISSUE: mode_issue(); break;
	case M_FANOUT: mode_fanout(); break;
	case M_IDLE: mode_idle(); break;
	}
	return G.errors > 0 || G.failed > 0;
}
