/*
 * loadgen: a closed-loop load generator for branchqd (and, for comparison,
 * for a bare line server and for Redis).  Each connection has exactly one
 * request in flight: it sends the next one when the reply to the last one
 * has arrived.  Latency is measured per request, from the write to the
 * reply, and reported as exact percentiles over every sample after the
 * warm-up.
 *
 *   loadgen --connect HOST:PORT --mode MODE --conns N --duration S [--warmup S]
 *           [--count N]
 *
 * Modes:
 *   issue  hello as kiosk K01, then ticket.issue, over and over
 *   mix    a branch: 1 in 16 connections a teller (T01.., its own window:
 *          call_next, start, complete), 1 in 16 a display subscribed to
 *          calls and queue, the rest kiosks issuing tickets
 *   line   send --line TEXT (default {"op":"ping"}) and read one line back:
 *          the bare loop's figure
 *   redis  RPUSH of the same ticket JSON to a Redis list (RESP)
 *   idle   hello as kiosk, then hold the connection without traffic
 *
 * --count N stops after N answered requests (no warm-up, no time limit):
 * bench/report-bench.sh fills the queue with it.
 *
 * --server-pid PID adds what the measured window cost in CPU time (user +
 * system), per answered request: the server's (from /proc/PID/stat) and
 * the load generator's own (getrusage), and the share of one core the
 * server used.  With both programs on one machine, these say how far
 * the machine's cores are from the limit.
 *
 * Every terminal's token is --token (default "bench").  Output: one line of
 * key=value pairs per operation kind, for scripts, on stdout.
 */
#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>

#include <sys/resource.h>

#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

enum mode { M_ISSUE, M_MIX, M_LINE, M_REDIS, M_IDLE };
enum role { R_KIOSK, R_TELLER, R_DISPLAY };
enum kind { K_ISSUE, K_TELLER, K_LINE, K__COUNT };
static const char *const kind_names[] = { "issue", "teller", "line" };

struct samples {
	uint32_t	*s_us;
	size_t		 s_len, s_cap;
	uint64_t	 s_errors;
};

struct lconn {
	int			 l_no;
	enum role		 l_role;
	struct bufferevent	*l_bev;
	bool			 l_ready;	/* set-up answered */
	int			 l_setup;	/* set-up replies still to come */
	int			 l_term;	/* tellers: T01 is 1, and window 1 */
	int			 l_step;	/* teller: 0 call_next, 1 start, 2 complete */
	char			 l_number[32];
	enum kind		 l_kind;	/* of the request in flight */
	struct timespec		 l_sent;
	bool			 l_in_flight;
};

static struct {
	struct event_base	*g_base;
	struct sockaddr_in	 g_addr;
	enum mode		 g_mode;
	int			 g_conns;
	double			 g_duration, g_warmup;
	size_t			 g_count;	/* --count: stop after so many */
	const char		*g_token;
	const char		*g_line;
	struct lconn		*g_lconns;
	struct samples		 g_samples[K__COUNT];
	struct timespec		 g_start;
	bool			 g_measuring, g_stopping;
	int			 g_connected, g_ready, g_failed;
	int			 g_tellers;
	uint64_t		 g_events;
	pid_t			 g_server;	/* --server-pid, or 0 */
	double			 g_cpu_server, g_cpu_self;	/* when measuring began */
} G;

static double
elapsed_s(const struct timespec *since)
{
	struct timespec	now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - since->tv_sec) +
	    (double)(now.tv_nsec - since->tv_nsec) / 1e9;
}

static void
record(enum kind k, const struct timespec *sent, bool ok)
{
	struct samples	*s = &G.g_samples[k];
	double		 us = elapsed_s(sent) * 1e6;

	if (!G.g_measuring)
		return;
	if (!ok) {
		s->s_errors++;
		return;
	}
	if (s->s_len == s->s_cap) {
		s->s_cap = s->s_cap ? s->s_cap * 2 : 65536;
		if ((s->s_us = realloc(s->s_us, s->s_cap * sizeof *s->s_us)) == NULL) {
			perror("realloc");
			exit(1);
		}
	}
	s->s_us[s->s_len++] = us > 4e9 ? UINT32_MAX : (uint32_t)us;
	if (G.g_count > 0 && s->s_len >= G.g_count && !G.g_stopping) {
		G.g_stopping = true;
		event_base_loopbreak(G.g_base);
	}
}

static void
send_line(struct lconn *c, enum kind k, const char *line)
{
	struct evbuffer	*out = bufferevent_get_output(c->l_bev);

	c->l_kind = k;
	c->l_in_flight = true;
	clock_gettime(CLOCK_MONOTONIC, &c->l_sent);
	evbuffer_add(out, line, strlen(line));
	evbuffer_add(out, "\n", 1);
}

static const char *
issue_request(int n)
{
	static const char *const reqs[] = {
		"{\"op\":\"ticket.issue\",\"service\":\"account_opening\"}",
		"{\"op\":\"ticket.issue\",\"service\":\"cash_withdrawal\",\"amount_fen\":3000000}",
		"{\"op\":\"ticket.issue\",\"service\":\"transfer\",\"amount_fen\":9000000}",
		"{\"op\":\"ticket.issue\",\"service\":\"loan\"}",
	};

	return reqs[n % 4];
}

/* The next request of a connection that is ready. */
static void
next_request(struct lconn *c)
{
	char	buf[256];
	static unsigned counter;

	if (G.g_stopping)
		return;
	switch (G.g_mode) {
	case M_ISSUE:
		send_line(c, K_ISSUE, issue_request(0));
		break;
	case M_LINE:
		send_line(c, K_LINE, G.g_line);
		break;
	case M_REDIS: {
		const char	*v = "{\"service\":\"account_opening\",\"lane\":\"counter\","
		    "\"issued_at\":\"2026-11-23T01:00:00Z\"}";
		struct evbuffer	*out = bufferevent_get_output(c->l_bev);

		c->l_kind = K_ISSUE;
		c->l_in_flight = true;
		clock_gettime(CLOCK_MONOTONIC, &c->l_sent);
		evbuffer_add_printf(out, "*3\r\n$5\r\nRPUSH\r\n$7\r\ntickets\r\n$%zu\r\n%s\r\n",
		    strlen(v), v);
		break;
	}
	case M_MIX:
		if (c->l_role == R_KIOSK) {
			send_line(c, K_ISSUE, issue_request((int)counter++));
		} else if (c->l_role == R_TELLER) {
			if (c->l_step == 0)
				snprintf(buf, sizeof buf, "{\"op\":\"ticket.call_next\"}");
			else
				snprintf(buf, sizeof buf, "{\"op\":\"ticket.%s\",\"number\":\"%s\"}",
				    c->l_step == 1 ? "start" : "complete", c->l_number);
			send_line(c, K_TELLER, buf);
		}
		break;
	case M_IDLE:
		break;
	}
}

/* Pulls "number":"X123" out of a reply without a JSON parser. */
static bool
reply_number(const char *line, char *out, size_t len)
{
	const char	*p = strstr(line, "\"number\":\"");
	size_t		 n;

	if (p == NULL)
		return false;
	p += 10;
	n = strcspn(p, "\"");
	if (n == 0 || n >= len)
		return false;
	memcpy(out, p, n);
	out[n] = '\0';
	return true;
}

static void
on_reply_line(struct lconn *c, const char *line)
{
	bool	ok;

	if (strncmp(line, "{\"event\"", 8) == 0) {
		G.g_events++;
		return;
	}
	if (!c->l_ready) {
		if (strstr(line, "\"ok\":true") == NULL) {
			fprintf(stderr, "loadgen: connection %d: %s\n", c->l_no, line);
			G.g_failed++;
			return;
		}
		if (--c->l_setup > 0)
			return;
		c->l_ready = true;
		G.g_ready++;
		next_request(c);
		return;
	}
	if (!c->l_in_flight)
		return;
	c->l_in_flight = false;
	ok = G.g_mode == M_LINE || strstr(line, "\"ok\":true") != NULL;
	record(c->l_kind, &c->l_sent, ok);
	if (!ok && G.g_measuring && G.g_samples[c->l_kind].s_errors <= 3)
		fprintf(stderr, "loadgen: error reply: %s\n", line);
	if (c->l_role == R_TELLER && ok) {
		if (c->l_step == 0) {
			if (reply_number(line, c->l_number, sizeof c->l_number))
				c->l_step = 1;
		} else
			c->l_step = (c->l_step + 1) % 3;
	}
	next_request(c);
}

static void
on_read(struct bufferevent *bev, void *arg)
{
	struct lconn	*c = arg;
	struct evbuffer	*in = bufferevent_get_input(bev);
	char		*line;
	size_t		 len;

	if (G.g_mode == M_REDIS) {
		/* Replies are ":N\r\n" (or "-ERR ...\r\n"). */
		while ((line = evbuffer_readln(in, &len, EVBUFFER_EOL_CRLF)) != NULL) {
			if (!c->l_ready) {
				c->l_ready = true;
				G.g_ready++;
			} else {
				c->l_in_flight = false;
				record(K_ISSUE, &c->l_sent, line[0] == ':');
				if (line[0] != ':' && G.g_measuring &&
				    G.g_samples[K_ISSUE].s_errors <= 3)
					fprintf(stderr, "loadgen: error reply: %s\n", line);
			}
			free(line);
			next_request(c);
		}
		return;
	}
	while ((line = evbuffer_readln(in, &len, EVBUFFER_EOL_LF)) != NULL) {
		on_reply_line(c, line);
		free(line);
	}
}

static void
on_event(struct bufferevent *bev, short what, void *arg)
{
	struct lconn	*c = arg;
	char		 buf[256];

	(void)bev;
	if (what & BEV_EVENT_CONNECTED) {
		int one = 1;

		setsockopt(bufferevent_getfd(c->l_bev), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
		G.g_connected++;
		switch (G.g_mode) {
		case M_LINE:
			c->l_ready = true;
			G.g_ready++;
			next_request(c);
			break;
		case M_REDIS:
			evbuffer_add_printf(bufferevent_get_output(c->l_bev),
			    "*1\r\n$4\r\nPING\r\n");
			break;
		default:
			if (c->l_role == R_TELLER) {
				/* Its own terminal and window; a restart's window is taken back. */
				snprintf(buf, sizeof buf, "{\"op\":\"hello\",\"terminal\":\"T%02d\","
				    "\"token\":\"%s\"}\n{\"op\":\"window.open\",\"window\":%d,"
				    "\"lanes\":[\"counter\",\"express\",\"vip\"]}\n", c->l_term,
				    G.g_token, c->l_term);
				c->l_setup = 2;
			} else if (c->l_role == R_DISPLAY) {
				snprintf(buf, sizeof buf, "{\"op\":\"hello\",\"terminal\":\"D01\","
				    "\"token\":\"%s\"}\n{\"op\":\"subscribe\",\"topics\":"
				    "[\"calls\",\"queue\"]}\n", G.g_token);
				c->l_setup = 2;
			} else {
				snprintf(buf, sizeof buf, "{\"op\":\"hello\",\"terminal\":\"K01\","
				    "\"token\":\"%s\"}\n", G.g_token);
				c->l_setup = 1;
			}
			evbuffer_add(bufferevent_get_output(c->l_bev), buf, strlen(buf));
			break;
		}
		return;
	}
	if (!G.g_stopping) {
		fprintf(stderr, "loadgen: connection %d %s\n", c->l_no,
		    (what & BEV_EVENT_EOF) ? "closed by the server" : "failed");
		G.g_failed++;
	}
	bufferevent_free(c->l_bev);
	c->l_bev = NULL;
}

static int
cmp_u32(const void *a, const void *b)
{
	uint32_t	x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

static double
pct(const struct samples *s, double p)
{
	size_t	rank;

	if (s->s_len == 0)
		return 0;
	rank = (size_t)(p / 100.0 * (double)s->s_len + 0.999999);
	if (rank < 1)
		rank = 1;
	if (rank > s->s_len)
		rank = s->s_len;
	return s->s_us[rank - 1] / 1000.0;
}

/* CPU seconds (user + system) a process has used: fields 14 and 15 of its
 * /proc/PID/stat, after the command name in parentheses.  -1 if unreadable. */
static double
proc_cpu_s(pid_t pid)
{
	char		 path[64], buf[1024], *p;
	unsigned long	 utime, stime;
	FILE		*f;
	size_t		 n;
	int		 i;

	snprintf(path, sizeof path, "/proc/%ld/stat", (long)pid);
	if ((f = fopen(path, "r")) == NULL)
		return -1;
	n = fread(buf, 1, sizeof buf - 1, f);
	fclose(f);
	buf[n] = '\0';
	if ((p = strrchr(buf, ')')) == NULL)
		return -1;
	for (i = 0; i < 12 && p != NULL; i++)	/* to the space before field 14 */
		p = strchr(p + 1, ' ');
	if (p == NULL || sscanf(p, " %lu %lu", &utime, &stime) != 2)
		return -1;
	return (double)(utime + stime) / (double)sysconf(_SC_CLK_TCK);
}

static double
self_cpu_s(void)
{
	struct rusage	ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
	    (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

static void
measure_start(void)
{
	G.g_measuring = true;
	clock_gettime(CLOCK_MONOTONIC, &G.g_start);
	G.g_cpu_self = self_cpu_s();
	if (G.g_server != 0)
		G.g_cpu_server = proc_cpu_s(G.g_server);
}

static void
on_tick(evutil_socket_t fd, short what, void *arg)
{
	double	t = elapsed_s(&G.g_start);

	(void)fd;
	(void)what;
	(void)arg;
	if (!G.g_measuring && t >= G.g_warmup) {
		measure_start();
		G.g_warmup = 0;
		return;
	}
	if (G.g_measuring && t >= G.g_duration) {
		G.g_stopping = true;
		event_base_loopbreak(G.g_base);
	}
}

static void
usage(void)
{
	fprintf(stderr, "usage: loadgen --connect HOST:PORT --mode issue|mix|line|redis|idle "
	    "--conns N --duration S [--warmup S] [--count N] [--token T] [--line TEXT]\n"
	    "       [--server-pid PID]\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "connect", required_argument, NULL, 'c' },
		{ "mode", required_argument, NULL, 'm' },
		{ "conns", required_argument, NULL, 'n' },
		{ "duration", required_argument, NULL, 'd' },
		{ "warmup", required_argument, NULL, 'w' },
		{ "token", required_argument, NULL, 't' },
		{ "line", required_argument, NULL, 'l' },
		{ "count", required_argument, NULL, 'k' },
		{ "server-pid", required_argument, NULL, 'p' },
		{ NULL, 0, NULL, 0 }
	};
	struct timeval	 tick = { 0, 50 * 1000 };
	struct event	*ticker;
	char		 host[64], *colon;
	double		 secs, cpu_self, cpu_server;
	size_t		 answered = 0;
	char		 cpu[160];
	int		 ch, i, k, windows = 0;

	G.g_conns = 64;
	G.g_duration = 5;
	G.g_warmup = 1;
	G.g_token = "bench";
	G.g_line = "{\"op\":\"ping\"}";
	host[0] = '\0';
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			snprintf(host, sizeof host, "%s", optarg);
			break;
		case 'm':
			if (strcmp(optarg, "issue") == 0) G.g_mode = M_ISSUE;
			else if (strcmp(optarg, "mix") == 0) G.g_mode = M_MIX;
			else if (strcmp(optarg, "line") == 0) G.g_mode = M_LINE;
			else if (strcmp(optarg, "redis") == 0) G.g_mode = M_REDIS;
			else if (strcmp(optarg, "idle") == 0) G.g_mode = M_IDLE;
			else usage();
			break;
		case 'n': G.g_conns = atoi(optarg); break;
		case 'd': G.g_duration = atof(optarg); break;
		case 'w': G.g_warmup = atof(optarg); break;
		case 't': G.g_token = optarg; break;
		case 'l': G.g_line = optarg; break;
		case 'p': G.g_server = (pid_t)atol(optarg); break;
		case 'k':
			G.g_count = (size_t)atol(optarg);
			G.g_warmup = 0;
			G.g_duration = 1e9;
			break;
		default: usage();
		}
	}
	if ((colon = strrchr(host, ':')) == NULL || G.g_conns < 1)
		usage();
	*colon = '\0';
	G.g_addr.sin_family = AF_INET;
	G.g_addr.sin_port = htons((uint16_t)atoi(colon + 1));
	if (inet_pton(AF_INET, host, &G.g_addr.sin_addr) != 1)
		usage();

	G.g_base = event_base_new();
	G.g_lconns = calloc((size_t)G.g_conns, sizeof *G.g_lconns);
	for (i = 0; i < G.g_conns; i++) {
		struct lconn *c = &G.g_lconns[i];

		c->l_no = i;
		c->l_role = R_KIOSK;
		if (G.g_mode == M_MIX && i % 16 == 0 && windows < 99) {
			c->l_role = R_TELLER;
			c->l_term = ++windows;
		} else if (G.g_mode == M_MIX && i % 16 == 1)
			c->l_role = R_DISPLAY;
		c->l_bev = bufferevent_socket_new(G.g_base, -1, BEV_OPT_CLOSE_ON_FREE);
		bufferevent_setcb(c->l_bev, on_read, NULL, on_event, c);
		bufferevent_enable(c->l_bev, EV_READ | EV_WRITE);
		if (bufferevent_socket_connect(c->l_bev, (struct sockaddr *)&G.g_addr,
		    sizeof G.g_addr) == -1) {
			fprintf(stderr, "loadgen: connect %d: %s\n", i, strerror(errno));
			return 1;
		}
	}
	G.g_tellers = windows;
	/* Wait for every connection to be ready before the clock starts. */
	clock_gettime(CLOCK_MONOTONIC, &G.g_start);
	while (G.g_ready + G.g_failed < G.g_conns && elapsed_s(&G.g_start) < 60)
		event_base_loop(G.g_base, EVLOOP_ONCE);
	if (G.g_failed > 0)
		fprintf(stderr, "loadgen: %d connections failed\n", G.g_failed);
	if (G.g_mode == M_IDLE) {
		printf("mode=idle conns=%d ready=%d failed=%d\n", G.g_conns, G.g_ready, G.g_failed);
		fflush(stdout);
		/* Hold them until killed, or for --duration. */
		tick.tv_sec = (time_t)G.g_duration;
		tick.tv_usec = 0;
		event_base_loopexit(G.g_base, &tick);
		event_base_dispatch(G.g_base);
		return G.g_failed > 0;
	}
	clock_gettime(CLOCK_MONOTONIC, &G.g_start);
	if (G.g_warmup <= 0)
		measure_start();
	ticker = event_new(G.g_base, -1, EV_PERSIST, on_tick, NULL);
	event_add(ticker, &tick);
	event_base_dispatch(G.g_base);
	secs = elapsed_s(&G.g_start);
	cpu_self = self_cpu_s() - G.g_cpu_self;
	cpu_server = G.g_server != 0 ? proc_cpu_s(G.g_server) - G.g_cpu_server : 0;
	for (k = 0; k < K__COUNT; k++)
		answered += G.g_samples[k].s_len;
	if (answered == 0)
		answered = 1;
	cpu[0] = '\0';
	if (G.g_server != 0 && G.g_cpu_server >= 0 && cpu_server >= 0)
		snprintf(cpu, sizeof cpu, " server_cpu_us=%.1f server_cores=%.2f loadgen_cpu_us=%.1f",
		    cpu_server * 1e6 / (double)answered, cpu_server / secs,
		    cpu_self * 1e6 / (double)answered);

	for (k = 0; k < K__COUNT; k++) {
		struct samples *s = &G.g_samples[k];

		if (s->s_len == 0 && s->s_errors == 0)
			continue;
		qsort(s->s_us, s->s_len, sizeof *s->s_us, cmp_u32);
		printf("kind=%s mode=%s conns=%d seconds=%.2f requests=%zu errors=%llu "
		    "per_s=%.0f p50_ms=%.3f p99_ms=%.3f max_ms=%.3f events=%llu failed_conns=%d%s\n",
		    kind_names[k], G.g_mode == M_MIX ? "mix" : G.g_mode == M_LINE ? "line" :
		    G.g_mode == M_REDIS ? "redis" : "issue", G.g_conns, secs, s->s_len,
		    (unsigned long long)s->s_errors, (double)s->s_len / secs, pct(s, 50),
		    pct(s, 99), s->s_len ? s->s_us[s->s_len - 1] / 1000.0 : 0,
		    (unsigned long long)G.g_events, G.g_failed, cpu);
		free(s->s_us);
	}
	for (i = 0; i < G.g_conns; i++)
		if (G.g_lconns[i].l_bev != NULL)
			bufferevent_free(G.g_lconns[i].l_bev);
	free(G.g_lconns);
	event_free(ticker);
	event_base_free(G.g_base);
	return 0;
}
