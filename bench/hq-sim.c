/*
 * hq-sim: many branches' relays shipping to one head office, for the
 * head-office benchmark (bench/hq-sim.sh, docs/PERFORMANCE.md "Head office").
 *
 *   hq-sim --dir DIR --branches N --conninfo CONNINFO [--regions N]
 *          [--batch N] [--retry-max S] [--timeout S] [--target-wait S]
 *          [--wait-down N] [--catchup-limit S]
 *          [--live-seconds S --live-rate R --live-source FILE]
 *
 * Every branch is a file DIR/bNNNN.db that branchqd made (its schema, the
 * event log's triggers) holding the events of its day, none shipped yet.
 * The relays are the daemon's own code (src/hq.c): one struct hq_relay per
 * branch, all on this process's one event loop, each with its own SQLite
 * connection and its own PostgreSQL connection, as a thousand daemons would
 * have.  The branch's id is B0001... and its region R01..R<regions>,
 * given in the relay's settings, not read from the file.
 *
 * Phases:
 *   1. --wait-down N: head office is down (the script stopped PostgreSQL).
 *      Wait until every relay has failed N times (its backoff grown as a day
 *      without head office would have grown it), print "down_ready", and
 *      wait for SIGUSR1: the script started PostgreSQL.
 *   2. Catch-up: from then (or from the start) until every relay's
 *      acknowledged mark reaches its file's last event.  Prints the time,
 *      events per second, when the branches finished (p50/p99/max), the
 *      longest step any relay held the loop (hst_longest_step_ns, wall;
 *      hst_longest_step_cpu_ns, the CPU of one callback) and the
 *      longest the loop was late for a 10 ms timer (the whole process: a
 *      thousand relays share this one loop, a daemon has one).
 *   3. --live-seconds S: a thread appends events to every branch's file, R
 *      a second per branch (spread evenly, each branch at its own phase),
 *      one transaction per event, and kicks the branch's relay as the
 *      daemon's commit barrier does; the events are --live-source's own
 *      (kind, payload), with the time of now.  The lag of each event is
 *      from its commit in the branch file to the relay's acknowledged mark
 *      passing it (the status is read every 10 ms).  Afterwards waits for
 *      the relays to drain and prints the lag's p50/p90/p99/max.
 *
 * Output: key=value lines on stdout.  Exit 1 if a phase did not finish
 * (catch-up beyond --catchup-limit, live events never acknowledged).
 */
#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <event2/dns.h>
#include <event2/event.h>
#include <sqlite3.h>

#include "branchq.h"

#define PROBE_MS	10
#define RING		8192	/* live events a branch may have in flight */

struct pending {			/* a live event: its seq, when committed */
	int64_t	p_seq;
	int64_t	p_ns;
};

struct sim_branch {
	char			 sb_id[16], sb_region[16], sb_path[512];
	struct hq_relay		*sb_relay;
	int64_t			 sb_last_seq;	/* the file's last event at start */
	int64_t			 sb_done_ns;	/* caught up, since phase start */
	/* live */
	sqlite3			*sb_db;		/* the appender's connection */
	sqlite3_stmt		*sb_ins;
	int64_t			 sb_next_ns;	/* the next append is due */
	size_t			 sb_src;	/* next source event */
	atomic_bool		 sb_kick;
	pthread_mutex_t		 sb_mtx;	/* the ring: appender and loop */
	struct pending		 sb_ring[RING];
	size_t			 sb_head, sb_tail;
	int64_t			 sb_appended;
};

struct src_event {
	char	*se_kind, *se_payload;
};

static struct sim_branch	*br;
static int			 nbr;
static struct event_base	*base;
static int64_t			 phase_ns;	/* the phase started */

/* the loop's lateness, per phase */
static int64_t			 probe_last_ns, probe_max_ns;
static int64_t			 probe_late_over_1ms, probe_ticks;

/* live */
static struct src_event		*src;
static size_t			 nsrc;
static double			 live_rate;
static int			 live_seconds;
static atomic_bool		 live_stop;
static int			 kick_pipe[2];
static int64_t			*lags;
static size_t			 nlags, caplags;

static void __attribute__((noreturn, format(printf, 1, 2)))
die(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	fprintf(stderr, "hq-sim: ");
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "\n");
	va_end(ap);
	exit(1);
}

static int64_t
now_ns(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int
cmp64(const void *a, const void *b)
{
	int64_t	x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

/* Nearest rank, as the reports' percentiles. */
static int64_t
pct(int64_t *v, size_t n, int p)
{
	size_t	rank;

	if (n == 0)
		return 0;
	rank = ((size_t)p * n + 99) / 100;
	return v[rank == 0 ? 0 : rank - 1];
}

static double
cpu_s(void)
{
	struct rusage	ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
	    (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

static int64_t
file_last_seq(const char *path)
{
	sqlite3		*db;
	sqlite3_stmt	*st;
	int64_t		 v = -1;

	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK)
		die("%s: %s", path, sqlite3_errmsg(db));
	if (sqlite3_prepare_v2(db, "SELECT coalesce(max(seq), 0) FROM hq_events", -1, &st,
	    NULL) != SQLITE_OK)
		die("%s: %s (not a branchqd database with the event log?)", path,
		    sqlite3_errmsg(db));
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	if (v < 0)
		die("%s: cannot read hq_events", path);
	return v;
}

/* ---- the loop's lateness: a 10 ms timer, how late it fires ---- */

static void
probe_cb(evutil_socket_t fd, short what, void *arg)
{
	int64_t	t = now_ns(), late;

	(void)fd; (void)what; (void)arg;
	late = t - probe_last_ns - PROBE_MS * 1000000;
	probe_last_ns = t;
	probe_ticks++;
	if (late > probe_max_ns)
		probe_max_ns = late;
	if (late > 1000000)
		probe_late_over_1ms++;
}

static void
probe_reset(void)
{
	probe_last_ns = now_ns();
	probe_max_ns = probe_late_over_1ms = probe_ticks = 0;
}

/* ---- phase 1: head office down ---- */

static int	wait_down;
static bool	up_signalled;

static void
down_cb(evutil_socket_t fd, short what, void *arg)
{
	struct hq_status	st;
	static bool		ready;
	int			i, min = INT32_MAX;

	(void)fd; (void)what; (void)arg;
	if (ready)
		return;
	for (i = 0; i < nbr; i++) {
		hq_relay_status(br[i].sb_relay, &st);
		if (st.hst_failures < min)
			min = (int)st.hst_failures;
	}
	if (min >= wait_down) {
		ready = true;
		printf("down_ready failures_min=%d\n", min);
		fflush(stdout);
	}
}

static void
up_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd; (void)what; (void)arg;
	up_signalled = true;
	event_base_loopbreak(base);
}

/* ---- phase 2: catch-up ---- */

static int	caught_up;
static bool	need_connected;	/* live: a relay is ready once connected too */

static void
catchup_cb(evutil_socket_t fd, short what, void *arg)
{
	struct hq_status	st;
	int64_t			t = now_ns() - phase_ns;
	int			i;

	(void)fd; (void)what; (void)arg;
	for (i = 0; i < nbr; i++) {
		if (br[i].sb_done_ns != 0)
			continue;
		hq_relay_status(br[i].sb_relay, &st);
		if (st.hst_acked_seq >= br[i].sb_last_seq &&
		    (!need_connected || st.hst_connected)) {
			br[i].sb_done_ns = t > 0 ? t : 1;
			caught_up++;
		}
	}
	if (caught_up == nbr)
		event_base_loopbreak(base);
}

static void
phase_relays(const char *phase)
{
	struct hq_status	 st;
	int64_t			*steps, *cpu, failures = 0, batches = 0, events = 0;
	int			 i, connected = 0;

	if ((steps = calloc((size_t)nbr, sizeof *steps)) == NULL ||
	    (cpu = calloc((size_t)nbr, sizeof *cpu)) == NULL)
		die("calloc");
	for (i = 0; i < nbr; i++) {
		hq_relay_status(br[i].sb_relay, &st);
		steps[i] = st.hst_longest_step_ns;
		cpu[i] = st.hst_longest_step_cpu_ns;
		failures += st.hst_failures;
		batches += st.hst_batches;
		events += st.hst_events;
		connected += st.hst_connected;
	}
	qsort(steps, (size_t)nbr, sizeof *steps, cmp64);
	qsort(cpu, (size_t)nbr, sizeof *cpu, cmp64);
	/* Wall time is what the shared loop saw (every relay's steps, and the
	 * cores PostgreSQL held); CPU is the relay's own work in one callback,
	 * what one relay on a daemon's loop holds it for. */
	printf("%s_relays connected=%d batches=%lld events=%lld failures=%lld "
	    "longest_step_ms_p50=%.3f longest_step_ms_p99=%.3f longest_step_ms_max=%.3f "
	    "longest_step_cpu_ms_p50=%.3f longest_step_cpu_ms_p99=%.3f "
	    "longest_step_cpu_ms_max=%.3f\n",
	    phase, connected, (long long)batches, (long long)events, (long long)failures,
	    (double)pct(steps, (size_t)nbr, 50) / 1e6, (double)pct(steps, (size_t)nbr, 99) / 1e6,
	    (double)steps[nbr - 1] / 1e6, (double)pct(cpu, (size_t)nbr, 50) / 1e6,
	    (double)pct(cpu, (size_t)nbr, 99) / 1e6, (double)cpu[nbr - 1] / 1e6);
	printf("%s_loop probe_ms=%d ticks=%lld late_max_ms=%.3f late_over_1ms=%lld\n", phase,
	    PROBE_MS, (long long)probe_ticks, (double)probe_max_ns / 1e6,
	    (long long)probe_late_over_1ms);
	free(steps);
	free(cpu);
}

/* ---- phase 3: live ---- */

static void
load_source(const char *path)
{
	sqlite3		*db;
	sqlite3_stmt	*st;
	size_t		 cap = 0;

	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK)
		die("%s: %s", path, sqlite3_errmsg(db));
	if (sqlite3_prepare_v2(db, "SELECT kind, payload FROM hq_events ORDER BY seq", -1, &st,
	    NULL) != SQLITE_OK)
		die("%s: %s", path, sqlite3_errmsg(db));
	while (sqlite3_step(st) == SQLITE_ROW) {
		if (nsrc == cap) {
			cap = cap ? cap * 2 : 4096;
			if ((src = reallocarray(src, cap, sizeof *src)) == NULL)
				die("reallocarray");
		}
		if ((src[nsrc].se_kind = strdup((const char *)sqlite3_column_text(st, 0))) == NULL ||
		    (src[nsrc].se_payload = strdup((const char *)sqlite3_column_text(st, 1))) == NULL)
			die("strdup");
		nsrc++;
	}
	sqlite3_finalize(st);
	sqlite3_close(db);
	if (nsrc == 0)
		die("%s: no events to replay", path);
}

/* The branch's daemon, as far as the event log goes: commit, then kick. */
static void *
appender(void *arg)
{
	struct sim_branch	*b;
	struct src_event	*e;
	int64_t			 t, step_ns = (int64_t)(1e9 / live_rate), seq, end;
	struct timespec		 nap = { 0, 2000000 };
	bool			 any;
	int			 i;

	(void)arg;
	t = now_ns();
	end = t + (int64_t)live_seconds * 1000000000;
	for (i = 0; i < nbr; i++)
		br[i].sb_next_ns = t + (int64_t)((double)step_ns * i / nbr);
	while (!atomic_load(&live_stop) && (t = now_ns()) < end) {
		any = false;
		for (i = 0; i < nbr; i++) {
			b = &br[i];
			while (b->sb_next_ns <= t) {
				e = &src[b->sb_src++ % nsrc];
				sqlite3_bind_int64(b->sb_ins, 1, clock_now());
				sqlite3_bind_text(b->sb_ins, 2, e->se_kind, -1, SQLITE_STATIC);
				sqlite3_bind_text(b->sb_ins, 3, e->se_payload, -1, SQLITE_STATIC);
				if (sqlite3_step(b->sb_ins) != SQLITE_DONE)
					die("%s: append: %s", b->sb_path, sqlite3_errmsg(b->sb_db));
				sqlite3_reset(b->sb_ins);
				seq = sqlite3_last_insert_rowid(b->sb_db);
				pthread_mutex_lock(&b->sb_mtx);
				if (b->sb_tail - b->sb_head == RING)
					die("%s: more than %d live events unacknowledged", b->sb_id,
					    RING);
				b->sb_ring[b->sb_tail % RING] = (struct pending){ seq, now_ns() };
				b->sb_tail++;
				pthread_mutex_unlock(&b->sb_mtx);
				b->sb_appended++;
				b->sb_next_ns += step_ns;
				atomic_store(&b->sb_kick, true);
				any = true;
			}
		}
		if (any && write(kick_pipe[1], "k", 1) == -1 && errno != EAGAIN)
			die("write: %s", strerror(errno));
		nanosleep(&nap, NULL);
	}
	return NULL;
}

static void
kick_cb(evutil_socket_t fd, short what, void *arg)
{
	char	buf[256];
	int	i;

	(void)what; (void)arg;
	while (read(fd, buf, sizeof buf) > 0)
		;
	for (i = 0; i < nbr; i++)
		if (atomic_exchange(&br[i].sb_kick, false))
			hq_relay_kick(br[i].sb_relay);
}

static int64_t	live_outstanding;

static void
lag_cb(evutil_socket_t fd, short what, void *arg)
{
	struct hq_status	 st;
	struct sim_branch	*b;
	int64_t			 t = now_ns();
	int			 i;

	(void)fd; (void)what; (void)arg;
	live_outstanding = 0;
	for (i = 0; i < nbr; i++) {
		b = &br[i];
		hq_relay_status(b->sb_relay, &st);
		pthread_mutex_lock(&b->sb_mtx);
		while (b->sb_head != b->sb_tail &&
		    b->sb_ring[b->sb_head % RING].p_seq <= st.hst_acked_seq) {
			if (nlags == caplags) {
				caplags = caplags ? caplags * 2 : 65536;
				if ((lags = reallocarray(lags, caplags, sizeof *lags)) == NULL)
					die("reallocarray");
			}
			lags[nlags++] = t - b->sb_ring[b->sb_head % RING].p_ns;
			b->sb_head++;
		}
		live_outstanding += (int64_t)(b->sb_tail - b->sb_head);
		pthread_mutex_unlock(&b->sb_mtx);
	}
}

static void
stop_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd; (void)what; (void)arg;
	event_base_loopbreak(base);
}

static void
usage(void)
{
	fprintf(stderr, "usage: hq-sim --dir DIR --branches N --conninfo CONNINFO "
	    "[--regions N] [--batch N] [--retry-max S] [--timeout S] [--target-wait S] "
	    "[--wait-down N] [--catchup-limit S] "
	    "[--live-seconds S --live-rate R --live-source FILE]\n");
	exit(2);
}

static long
num(const char *name, const char *s, long lo, long hi)
{
	char	*end;
	long	 v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < lo || v > hi)
		die("--%s %s: must be %ld..%ld", name, s, lo, hi);
	return v;
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "dir", required_argument, NULL, 'd' },
		{ "branches", required_argument, NULL, 'n' },
		{ "conninfo", required_argument, NULL, 'c' },
		{ "regions", required_argument, NULL, 'r' },
		{ "batch", required_argument, NULL, 'b' },
		{ "retry-max", required_argument, NULL, 'R' },
		{ "timeout", required_argument, NULL, 't' },
		{ "target-wait", required_argument, NULL, 'w' },
		{ "wait-down", required_argument, NULL, 'D' },
		{ "catchup-limit", required_argument, NULL, 'L' },
		{ "live-seconds", required_argument, NULL, 's' },
		{ "live-rate", required_argument, NULL, 'a' },
		{ "live-source", required_argument, NULL, 'S' },
		{ NULL, 0, NULL, 0 }
	};
	struct hq_settings	 hs;
	struct evdns_base	*dns;
	struct event		*probe, *pollev, *down = NULL, *up = NULL, *kick = NULL, *stop;
	struct timeval		 tv_probe = { 0, PROBE_MS * 1000 }, tv_poll = { 0, 10000 };
	struct timeval		 tv_limit;
	const char		*dir = NULL, *conninfo = NULL, *live_src = NULL;
	char			 err[512], *endp;
	int64_t			*done, total = 0, t, appended = 0;
	double			 cpu0, catchup_s;
	long			 regions = 10, batch = 1000, retry_max = 60, timeout = 30;
	long			 target_wait = 600, catchup_limit = 3600;
	pthread_t		 thr;
	bool			 appender_done = false;
	int			 ch, i, rc = 0;

	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'd': dir = optarg; break;
		case 'n': nbr = (int)num("branches", optarg, 1, 9999); break;
		case 'c': conninfo = optarg; break;
		case 'r': regions = num("regions", optarg, 1, 99); break;
		case 'b': batch = num("batch", optarg, 1, 10000); break;
		case 'R': retry_max = num("retry-max", optarg, 1, 3600); break;
		case 't': timeout = num("timeout", optarg, 1, 600); break;
		case 'w': target_wait = num("target-wait", optarg, 1, 86400); break;
		case 'D': wait_down = (int)num("wait-down", optarg, 1, 100); break;
		case 'L': catchup_limit = num("catchup-limit", optarg, 1, 86400); break;
		case 's': live_seconds = (int)num("live-seconds", optarg, 1, 86400); break;
		case 'a':
			live_rate = strtod(optarg, &endp);
			if (*endp != '\0' || !(live_rate > 0 && live_rate <= 1000))
				die("--live-rate %s: must be > 0 and <= 1000 events/s", optarg);
			break;
		case 'S': live_src = optarg; break;
		default: usage();
		}
	}
	if (dir == NULL || nbr == 0 || conninfo == NULL || optind != argc ||
	    (live_seconds > 0 && (live_rate == 0 || live_src == NULL)))
		usage();
	/* HQSIM_DEBUG=1: the relays' debug lines too, among them each new
	 * longest step of each relay and what it was (event=hq_longest_step,
	 * event=hq_longest_cpu_step). */
	log_init(getenv("HQSIM_DEBUG") != NULL ? LOG_LEVEL_DEBUG : LOG_LEVEL_WARN);
	signal(SIGPIPE, SIG_IGN);

	if ((br = calloc((size_t)nbr, sizeof *br)) == NULL)
		die("calloc");
	for (i = 0; i < nbr; i++) {
		snprintf(br[i].sb_id, sizeof br[i].sb_id, "B%04d", i + 1);
		snprintf(br[i].sb_region, sizeof br[i].sb_region, "R%02ld", i % regions + 1);
		snprintf(br[i].sb_path, sizeof br[i].sb_path, "%s/b%04d.db", dir, i + 1);
		br[i].sb_last_seq = file_last_seq(br[i].sb_path);
		total += br[i].sb_last_seq;
		pthread_mutex_init(&br[i].sb_mtx, NULL);
	}
	if (live_seconds > 0)
		load_source(live_src);

	if ((base = event_base_new()) == NULL ||
	    (dns = evdns_base_new(base, EVDNS_BASE_INITIALIZE_NAMESERVERS)) == NULL)
		die("event_base_new");
	clock_init(base, false, 0);
	probe = event_new(base, -1, EV_PERSIST, probe_cb, NULL);
	event_add(probe, &tv_probe);

	memset(&hs, 0, sizeof hs);
	hs.hs_conninfo = conninfo;
	hs.hs_keep_days = 7;
	hs.hs_batch_events = (int)batch;
	hs.hs_retry_max_s = (int)retry_max;
	hs.hs_timeout_s = (int)timeout;
	hs.hs_target_wait_s = (int)target_wait;
	t = now_ns();
	for (i = 0; i < nbr; i++) {
		hs.hs_branch = br[i].sb_id;
		hs.hs_region = br[i].sb_region;
		if ((br[i].sb_relay = hq_relay_open(base, dns, br[i].sb_path, &hs, err,
		    sizeof err)) == NULL)
			die("%s: hq_relay_open: %s", br[i].sb_path, err);
	}
	printf("open branches=%d events=%lld regions=%ld batch=%ld retry_max_s=%ld ms=%.1f\n",
	    nbr, (long long)total, regions, batch, retry_max, (double)(now_ns() - t) / 1e6);
	fflush(stdout);

	/* 1. Head office down. */
	if (wait_down > 0) {
		down = event_new(base, -1, EV_PERSIST, down_cb, NULL);
		event_add(down, &(struct timeval){ 0, 200000 });
		up = evsignal_new(base, SIGUSR1, up_cb, NULL);
		event_add(up, NULL);
		probe_reset();
		event_base_dispatch(base);
		if (!up_signalled)
			die("the loop ended before head office came up");
		event_free(down);
		phase_relays("down");
	}

	/*
	 * 2. Catch-up.  Before a live phase the files are shipped already, but
	 * the relays still have to connect: the live events start after that,
	 * or their lag would be the connection's set-up.
	 */
	need_connected = live_seconds > 0;
	phase_ns = now_ns();
	cpu0 = cpu_s();
	probe_reset();
	pollev = event_new(base, -1, EV_PERSIST, catchup_cb, NULL);
	event_add(pollev, &tv_poll);
	stop = event_new(base, -1, 0, stop_cb, NULL);
	tv_limit = (struct timeval){ catchup_limit, 0 };
	event_add(stop, &tv_limit);
	event_base_dispatch(base);
	event_del(stop);
	event_free(pollev);
	catchup_s = (double)(now_ns() - phase_ns) / 1e9;
	if ((done = calloc((size_t)nbr, sizeof *done)) == NULL)
		die("calloc");
	for (i = 0; i < nbr; i++)
		done[i] = br[i].sb_done_ns ? br[i].sb_done_ns : INT64_MAX;
	qsort(done, (size_t)nbr, sizeof *done, cmp64);
	printf("catchup branches=%d caught_up=%d events=%lld seconds=%.1f events_per_s=%.0f "
	    "branch_done_s_p50=%.1f branch_done_s_p99=%.1f branch_done_s_max=%.1f "
	    "sim_cpu_s=%.1f\n", nbr, caught_up, (long long)total, catchup_s,
	    (double)total / catchup_s, (double)pct(done, (size_t)nbr, 50) / 1e9,
	    (double)pct(done, (size_t)nbr, 99) / 1e9,
	    done[nbr - 1] == INT64_MAX ? -1.0 : (double)done[nbr - 1] / 1e9, cpu_s() - cpu0);
	phase_relays("catchup");
	fflush(stdout);
	free(done);
	if (caught_up != nbr) {
		fprintf(stderr, "hq-sim: %d of %d branches not caught up within %ld s\n",
		    nbr - caught_up, nbr, catchup_limit);
		rc = 1;
		goto out;
	}

	/* 3. Live. */
	if (live_seconds > 0) {
		if (pipe(kick_pipe) == -1 || fcntl(kick_pipe[0], F_SETFL, O_NONBLOCK) == -1 ||
		    fcntl(kick_pipe[1], F_SETFL, O_NONBLOCK) == -1)
			die("pipe: %s", strerror(errno));
		for (i = 0; i < nbr; i++) {
			/* The branch's own disk is not what is measured: no sync. */
			if (sqlite3_open_v2(br[i].sb_path, &br[i].sb_db, SQLITE_OPEN_READWRITE,
			    NULL) != SQLITE_OK ||
			    sqlite3_exec(br[i].sb_db, "PRAGMA synchronous = OFF", NULL, NULL,
			    NULL) != SQLITE_OK ||
			    sqlite3_busy_timeout(br[i].sb_db, 1000) != SQLITE_OK ||
			    sqlite3_prepare_v2(br[i].sb_db, "INSERT INTO hq_events (at, kind, "
			    "payload) VALUES (?1, ?2, ?3)", -1, &br[i].sb_ins, NULL) != SQLITE_OK)
				die("%s: %s", br[i].sb_path, sqlite3_errmsg(br[i].sb_db));
		}
		kick = event_new(base, kick_pipe[0], EV_READ | EV_PERSIST, kick_cb, NULL);
		event_add(kick, NULL);
		pollev = event_new(base, -1, EV_PERSIST, lag_cb, NULL);
		event_add(pollev, &tv_poll);
		stop = event_new(base, -1, 0, stop_cb, NULL);
		/* The live seconds, then up to a minute to drain. */
		event_add(stop, &(struct timeval){ live_seconds + 60, 0 });
		probe_reset();
		cpu0 = cpu_s();
		phase_ns = now_ns();
		if (pthread_create(&thr, NULL, appender, NULL) != 0)
			die("pthread_create");
		/*
		 * Stop early once the appender is done and everything is acked:
		 * the appender is joined first, so that no event it commits after
		 * the last look at the rings goes uncounted.
		 */
		while (event_base_loop(base, EVLOOP_ONCE) == 0 && !event_base_got_break(base)) {
			if (!appender_done &&
			    now_ns() - phase_ns > (int64_t)live_seconds * 1000000000) {
				atomic_store(&live_stop, true);
				pthread_join(thr, NULL);
				appender_done = true;
				kick_cb(kick_pipe[0], EV_READ, NULL);
				lag_cb(-1, 0, NULL);
			}
			if (appender_done && live_outstanding == 0)
				break;
		}
		if (!appender_done) {
			atomic_store(&live_stop, true);
			pthread_join(thr, NULL);
		}
		lag_cb(-1, 0, NULL);
		for (i = 0; i < nbr; i++)
			appended += br[i].sb_appended;
		qsort(lags, nlags, sizeof *lags, cmp64);
		printf("live branches=%d rate_per_branch=%.3f rate_total=%.0f seconds=%d "
		    "appended=%lld acked=%zu outstanding=%lld lag_ms_p50=%.1f lag_ms_p90=%.1f "
		    "lag_ms_p99=%.1f lag_ms_max=%.1f sim_cpu_s=%.1f\n", nbr, live_rate,
		    live_rate * nbr, live_seconds, (long long)appended, nlags,
		    (long long)live_outstanding, (double)pct(lags, nlags, 50) / 1e6,
		    (double)pct(lags, nlags, 90) / 1e6, (double)pct(lags, nlags, 99) / 1e6,
		    nlags ? (double)lags[nlags - 1] / 1e6 : 0.0, cpu_s() - cpu0);
		phase_relays("live");
		if (live_outstanding != 0) {
			fprintf(stderr, "hq-sim: %lld live events never acknowledged\n",
			    (long long)live_outstanding);
			rc = 1;
		}
		for (i = 0; i < nbr; i++) {
			sqlite3_finalize(br[i].sb_ins);
			sqlite3_close(br[i].sb_db);
		}
	}
out:
	fflush(stdout);
	for (i = 0; i < nbr; i++)
		hq_relay_close(br[i].sb_relay);
	clock_shutdown();
	evdns_base_free(dns, 0);
	event_base_free(base);
	return rc;
}
