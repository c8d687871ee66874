/*
 * report-bench: times branchqd's reports on a big database, and how long
 * other terminals wait meanwhile (bench/report-bench.sh, docs/PERFORMANCE.md).
 *
 *   report-bench --connect HOST:PORT --from D --to D [--runs N]
 *                [--token T] [--started-ns NS]
 *
 * Two connections: S01 (a supervisor) asks for the reports one after the
 * other; D01 (a display) sends a ping every millisecond, one in flight, the
 * whole time.  A report's time is from the write of the request to the last byte
 * of its reply line, as a supervisor's terminal sees it.  The display's
 * longest wait for a pong while a report is under way is what the report
 * costs the other terminals: the loop's stall.
 *
 * With --started-ns (CLOCK_REALTIME nanoseconds taken before the daemon was
 * started) it first connects until the daemon answers hello and prints the
 * start-up time: from exec to the first answered request.
 *
 * Output: key=value lines on stdout.  Exit status 1 when a reply is not ok.
 */
#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>

#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

struct conn {
	int	 fd;
	char	*buf;
	size_t	 len, cap;
};

static struct sockaddr_in	addr;

static void
die(const char *what)
{
	fprintf(stderr, "report-bench: %s: %s\n", what, strerror(errno));
	exit(1);
}

static void
diex(const char *what)
{
	fprintf(stderr, "report-bench: %s\n", what);
	exit(1);
}

static int64_t
now_ns(clockid_t c)
{
	struct timespec	ts;

	clock_gettime(c, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int
try_connect(void)
{
	int	fd, one = 1;

	if ((fd = socket(AF_INET, SOCK_STREAM, 0)) == -1)
		die("socket");
	if (connect(fd, (struct sockaddr *)&addr, sizeof addr) == -1) {
		close(fd);
		return -1;
	}
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	return fd;
}

static void
send_all(struct conn *c, const char *s)
{
	size_t	n = strlen(s);
	ssize_t	w;

	while (n > 0) {
		if ((w = write(c->fd, s, n)) == -1) {
			if (errno == EINTR)
				continue;
			die("write");
		}
		s += w;
		n -= (size_t)w;
	}
}

/* Reads what is there; returns the length of a whole line (with its \n), or 0. */
static size_t
read_some(struct conn *c)
{
	char	*nl;
	ssize_t	 r;

	if (c->cap - c->len < 65536) {
		c->cap = c->cap ? c->cap * 2 : 262144;
		if ((c->buf = realloc(c->buf, c->cap)) == NULL)
			die("realloc");
	}
	if ((r = read(c->fd, c->buf + c->len, c->cap - c->len - 1)) == -1) {
		if (errno == EINTR || errno == EAGAIN)
			return 0;
		die("read");
	}
	if (r == 0)
		diex("the daemon closed the connection");
	c->len += (size_t)r;
	c->buf[c->len] = '\0';
	if ((nl = memchr(c->buf, '\n', c->len)) == NULL)
		return 0;
	return (size_t)(nl - c->buf) + 1;
}

static void
consume(struct conn *c, size_t n)
{
	memmove(c->buf, c->buf + n, c->len - n);
	c->len -= n;
}

static bool
line_ok(const struct conn *c)
{
	return strstr(c->buf, "\"ok\":true") != NULL &&
	    (size_t)(strstr(c->buf, "\"ok\":true") - c->buf) < 64;
}

/* One request, one reply, nothing else going on. */
static void
call(struct conn *c, const char *req)
{
	size_t	n;

	send_all(c, req);
	while ((n = read_some(c)) == 0)
		;
	if (!line_ok(c)) {
		fprintf(stderr, "report-bench: %s-> %.*s", req, (int)n, c->buf);
		exit(1);
	}
	consume(c, n);
}

static void
hello(struct conn *c, const char *terminal, const char *token)
{
	char	req[256];

	snprintf(req, sizeof req, "{\"op\":\"hello\",\"terminal\":\"%s\",\"token\":\"%s\"}\n",
	    terminal, token);
	call(c, req);
}

static int
cmp_i64(const void *a, const void *b)
{
	int64_t	x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

/*
 * Runs req `runs` times on sup; meanwhile pinger sends a ping every
 * millisecond (one in flight), so the longest wait for a pong is the longest
 * time the loop could not answer, to within a millisecond, without the
 * pings themselves loading the machine.  Prints one line.
 */
static void
measure(struct conn *sup, struct conn *pinger, const char *name, const char *req, int runs)
{
	int64_t	 lat[64], ping_max = 0, pings = 0, bytes = 0;
	int	 i;

	for (i = 0; i < runs; i++) {
		int64_t	t0, tping = 0;
		bool	done = false, in_flight = false;

		t0 = now_ns(CLOCK_MONOTONIC);
		send_all(sup, req);
		while (!done || in_flight) {
			struct pollfd	pfd[2] = {
				{ .fd = sup->fd, .events = POLLIN },
				{ .fd = pinger->fd, .events = POLLIN },
			};
			int64_t		now = now_ns(CLOCK_MONOTONIC);
			size_t		n;
			int		wait_ms = 1;

			if (!in_flight && !done && now - tping >= 1000000) {
				send_all(pinger, "{\"op\":\"ping\"}\n");
				tping = now;
				in_flight = true;
			}
			if (in_flight)
				wait_ms = -1;
			if (poll(pfd, 2, wait_ms) == -1) {
				if (errno == EINTR)
					continue;
				die("poll");
			}
			if (pfd[1].revents && (n = read_some(pinger)) > 0) {
				int64_t	rtt = now_ns(CLOCK_MONOTONIC) - tping;

				if (!line_ok(pinger))
					diex("ping: not ok");
				consume(pinger, n);
				if (rtt > ping_max)
					ping_max = rtt;
				pings++;
				in_flight = false;
			}
			if (!done && pfd[0].revents && (n = read_some(sup)) > 0) {
				lat[i] = now_ns(CLOCK_MONOTONIC) - t0;
				if (!line_ok(sup)) {
					fprintf(stderr, "report-bench: %s-> %.200s\n", req, sup->buf);
					exit(1);
				}
				bytes = (int64_t)n;
				consume(sup, n);
				done = true;
			}
		}
	}
	qsort(lat, (size_t)runs, sizeof lat[0], cmp_i64);
	printf("report=%s runs=%d min_ms=%.1f median_ms=%.1f max_ms=%.1f reply_bytes=%lld "
	    "pings=%lld ping_max_ms=%.2f\n", name, runs, (double)lat[0] / 1e6,
	    (double)lat[runs / 2] / 1e6, (double)lat[runs - 1] / 1e6, (long long)bytes,
	    (long long)pings, (double)ping_max / 1e6);
	fflush(stdout);
}

static void
usage(void)
{
	fprintf(stderr, "usage: report-bench --connect HOST:PORT --from YYYY-MM-DD "
	    "--to YYYY-MM-DD [--month YYYY-MM] [--runs N] [--token T] [--started-ns NS]\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	static const struct option	opts[] = {
		{ "connect", required_argument, NULL, 'c' },
		{ "from", required_argument, NULL, 'f' },
		{ "to", required_argument, NULL, 't' },
		{ "month", required_argument, NULL, 'm' },
		{ "runs", required_argument, NULL, 'r' },
		{ "token", required_argument, NULL, 'k' },
		{ "started-ns", required_argument, NULL, 's' },
		{ NULL, 0, NULL, 0 }
	};
	const char	*connect_to = NULL, *from = NULL, *to = NULL, *month = NULL;
	const char	*token = "bench";
	char		 host[64], req[256], *colon;
	struct conn	 sup = { 0 }, pinger = { 0 };
	long long	 started = 0;
	int		 ch, runs = 5, i;

	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'c': connect_to = optarg; break;
		case 'f': from = optarg; break;
		case 't': to = optarg; break;
		case 'm': month = optarg; break;
		case 'r': runs = atoi(optarg); break;
		case 'k': token = optarg; break;
		case 's': started = atoll(optarg); break;
		default: usage();
		}
	}
	if (connect_to == NULL || from == NULL || to == NULL || runs < 1 || runs > 64 ||
	    (colon = strrchr(connect_to, ':')) == NULL ||
	    (size_t)(colon - connect_to) >= sizeof host)
		usage();
	memcpy(host, connect_to, (size_t)(colon - connect_to));
	host[colon - connect_to] = '\0';
	addr.sin_family = AF_INET;
	addr.sin_port = htons((uint16_t)atoi(colon + 1));
	if (inet_pton(AF_INET, host, &addr.sin_addr) != 1)
		usage();

	if (started > 0) {
		/* Start-up: from exec to the first answered request. */
		for (i = 0; (sup.fd = try_connect()) == -1; i++) {
			if (i > 60000)
				diex("the daemon did not start in 60 s");
			usleep(1000);
		}
		hello(&sup, "S01", token);
		printf("startup_ms=%.1f\n", (double)(now_ns(CLOCK_REALTIME) - started) / 1e6);
		fflush(stdout);
	} else {
		if ((sup.fd = try_connect()) == -1)
			die("connect");
		hello(&sup, "S01", token);
	}
	if ((pinger.fd = try_connect()) == -1)
		die("connect");
	hello(&pinger, "D01", token);

	snprintf(req, sizeof req, "{\"op\":\"report.summary\",\"from\":\"%s\",\"to\":\"%s\"}\n",
	    from, to);
	measure(&sup, &pinger, "summary_range", req, runs);
	if (month != NULL) {
		snprintf(req, sizeof req, "{\"op\":\"report.summary\",\"from\":\"%s-01\","
		    "\"to\":\"%s-28\"}\n", month, month);
		measure(&sup, &pinger, "summary_4weeks", req, runs);
		snprintf(req, sizeof req, "{\"op\":\"report.summary\",\"from\":\"%s-15\","
		    "\"to\":\"%s-15\"}\n", month, month);
		measure(&sup, &pinger, "summary_day", req, runs);
	}
	measure(&sup, &pinger, "followups_open", "{\"op\":\"report.followups\"}\n", runs);
	measure(&sup, &pinger, "followups_overdue",
	    "{\"op\":\"report.followups\",\"status\":\"overdue\"}\n", runs);
	measure(&sup, &pinger, "followups_all",
	    "{\"op\":\"report.followups\",\"status\":\"all\"}\n", runs);
	measure(&sup, &pinger, "followups_all_10000",
	    "{\"op\":\"report.followups\",\"status\":\"all\",\"limit\":10000}\n", runs);
	/* A quiet loop, for scale: the ping alone. */
	measure(&pinger, &sup, "ping", "{\"op\":\"ping\"}\n", runs);
	close(sup.fd);
	close(pinger.fd);
	free(sup.buf);
	free(pinger.buf);
	return 0;
}
