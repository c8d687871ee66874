/*
 * The head office's relay (docs/HEADOFFICE.md): the branch's event log
 * (hq_events, sql/014) shipped to PostgreSQL in order, in batches, one
 * batch in flight, from the daemon's own loop.
 *
 * Nothing here waits.  libpq's asynchronous interface only:
 * PQconnectStartParams and PQconnectPoll driven by an event on PQsocket
 * (the socket may change during the poll: the event follows it),
 * PQsendQueryParams, PQflush until 0 while the socket takes more,
 * PQconsumeInput/PQisBusy/PQgetResult when it is readable.  A host name is
 * looked up through libevent's evdns and the address handed to libpq as
 * "hostaddr" beside "host" (verify-full still checks the certificate
 * against the name); an address or a socket directory needs no lookup.
 *
 * What libpq still does synchronously, and why that is acceptable: at each
 * connection attempt it reads small local files (the password file
 * ~/.pgpass or "passfile", the "sslrootcert", and "sslcert"/"sslkey" if
 * given) and looks up the process's user (getpwuid_r, for the home
 * directory and a default user name).  These are reads of a few kilobytes
 * from the local disk, at most once per attempt and the attempts are at
 * least half a second apart (the backoff); the configuration itself was
 * read the same way.  A "service" (pg_service.conf) is refused by the
 * configuration, and GSSAPI encryption is off unless the conninfo asks for
 * it: its credential cache lookup may talk to a KDC.
 *
 * The relay has its own SQLite connection.  It reads only committed events
 * (WAL: a reader never sees the daemon's open group) and writes only the
 * mark head office acknowledged (hq_relay.acked_seq) and the prune, each a
 * short transaction begun and ended in one callback.  Its busy timeout is
 * 0: SQLITE_BUSY means the daemon's group is open, and the write is tried
 * again at the next group commit (hq_relay_kick) or a second later, never
 * waited for.  Shipping does not wait for that write: the mark lives in
 * memory too, and a mark lost in a crash only makes a batch go again,
 * which head office skips (hq_ingest is idempotent).  The connection runs
 * with synchronous=NORMAL and no autocheckpoint: no fsync and no
 * checkpoint on the loop; the daemon's next commit (FULL) and its
 * checkpointer take our pages to disk.
 *
 * Timers (backoff, timeouts, the second before a write is tried again) are
 * real time: libevent timers.  The events' age (lag, prune) is the daemon
 * clock, the clock of their "at".
 *
 * Without a conninfo (no "hq" configured) the relay ships nothing and only
 * prunes: events older than HQ_UNSHIPPED_KEEP_DAYS go, shipped or not.
 * With one, only events head office holds (seq <= acked) older than
 * keep_days go; nothing unshipped is ever deleted.  The daemon always has
 * a relay, so that "hq" added or removed by SIGHUP is hq_relay_configure().
 *
 * No global state: a process may run many relays on one event_base (the
 * bench runs a thousand).
 */
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/dns.h>
#include <event2/event.h>
#include <event2/util.h>
#include <libpq-fe.h>
#include <sqlite3.h>

#include "branchq.h"

#define HQ_BACKOFF_MIN_MS	500
#define HQ_BATCH_BYTES		(1024 * 1024)	/* a batch's JSON, at most (one event may pass it) */
#define HQ_PRUNE_ROWS		250		/* deleted per step (1,000 took 3 to 8 ms) */
/* Read into the batch per turn of the loop, at most: rows, and bytes of
 * JSON.  Reading pages SQLite has not cached costs about 10 us per event
 * of a ticket's snapshot (~700 bytes); a whole batch of 1,000 at once held
 * the loop 5 to 15 ms, 200 rows up to 7 ms of CPU on a busy machine. */
#define HQ_BUILD_ROWS		200
#define HQ_BUILD_BYTES		(64 * 1024)
/*
 * The connection's send buffer: libpq writes a batch (up to 1 MiB) into the
 * socket as far as the kernel takes it, inside PQsendQueryParams; encrypting
 * and writing 700 KB at once held the loop 3 to 5 ms.  With 128 KiB (the
 * kernel doubles it) each turn writes at most about 256 KB and PQflush does
 * the rest on EV_WRITE.  256 KB per round trip is 5 MB/s at 50 ms: about
 * 7,000 events a second, far above a branch's rate.
 */
#define HQ_SNDBUF		(128 * 1024)

/* Step times counted below 0.5, 1, 2, 5, 10 ms and above (the close's log line). */
static const int64_t step_bounds_ns[] = { 500000, 1000000, 2000000, 5000000, 10000000 };
#define HQ_STEP_BUCKETS	(sizeof step_bounds_ns / sizeof step_bounds_ns[0])
#define HQ_PRUNE_EVERY_S	3600		/* a prune run at most this often (daemon clock) */
#define HQ_RETRY_WRITE_MS	1000		/* a write SQLite refused BUSY, tried again */

enum hq_state {
	HQ_NOSHIP,		/* no head office configured: prune only */
	HQ_BACKOFF,		/* waiting to try again */
	HQ_RESOLVING,		/* evdns */
	HQ_CONNECTING,		/* PQconnectPoll */
	HQ_SYNC,		/* SELECT hq_last_seq($1) in flight */
	HQ_READY,		/* connected, nothing in flight */
	HQ_SENDING,		/* a batch in flight */
};

static const char *const state_names[] = {
	[HQ_NOSHIP] = "noship", [HQ_BACKOFF] = "backoff", [HQ_RESOLVING] = "resolving",
	[HQ_CONNECTING] = "connecting", [HQ_SYNC] = "sync", [HQ_READY] = "ready",
	[HQ_SENDING] = "sending",
};

struct hq_relay {
	struct event_base	*r_base;
	struct evdns_base	*r_dns;
	sqlite3			*r_db;
	sqlite3_stmt		*r_st_bounds, *r_st_oldest, *r_st_batch, *r_st_ack;
	sqlite3_stmt		*r_st_scan, *r_st_delete, *r_st_begin, *r_st_commit;
	sqlite3_stmt		*r_st_rollback;

	/* The settings, copied. */
	char			*r_branch, *r_region, *r_conninfo;	/* conninfo NULL: noship */
	int			 r_keep_days, r_batch_events, r_retry_max_s, r_timeout_s;
	int			 r_target_wait_s;

	enum hq_state		 r_state;
	PGconn			*r_pg;
	evutil_socket_t		 r_sock;		/* what r_sock_ev watches; -1 none */
	short			 r_sock_what;
	struct event		*r_sock_ev;
	bool			 r_flushing;		/* PQflush said 1: more to send */
	PGresult		*r_res;			/* the statement's result, until its end */
	struct evdns_getaddrinfo_request *r_dns_req;
	unsigned		 r_addr_turn;		/* which address of a name, rotated per failure */
	char			 r_hostaddr[INET6_ADDRSTRLEN];
	char			 r_host[256];		/* the name r_hostaddr is of */
	struct event		*r_timer;		/* the backoff, or the timeout */
	struct event		*r_work;		/* active: kicked */
	struct event		*r_prune_ev;		/* the next prune step; hourly */
	struct event		*r_retry_ev;		/* a write SQLite refused, again */
	struct event		*r_build_ev;		/* the batch's next rows */
	int			 r_backoff_ms;
	uint64_t		 r_rng;
	/* The log says each change of state once: connected, or down with the
	 * reason; the same failure again is not logged, nor a reconnection
	 * while head office refuses every batch (r_refusing). */
	enum { HQ_LOGGED_NONE, HQ_LOGGED_UP, HQ_LOGGED_DOWN } r_logged;
	char			 r_logged_err[160];
	bool			 r_refusing;		/* the last failure was a refusal */
	bool			 r_ahead_logged;

	/* The log and the marks. */
	int64_t			 r_first_seq, r_last_seq;	/* 0: the log is empty */
	int64_t			 r_oldest_at;	/* at of the first event after r_acked */
	int64_t			 r_acked;	/* what head office holds (memory) */
	int64_t			 r_acked_stored;	/* what hq_relay says */
	bool			 r_mark_dirty;	/* r_acked not yet written */
	int64_t			 r_inflight_first;	/* the batch's first seq */
	int64_t			 r_inflight_last;	/* and its last */
	bool			 r_pruning;	/* a run under way */
	int64_t			 r_prune_run_n;	/* deleted by the run under way */
	int64_t			 r_prune_checked_at;	/* daemon clock */
	bool			 r_gap_logged;

	char			*r_buf;		/* the batch's JSON, being built */
	size_t			 r_buflen, r_bufcap;
	int64_t			 r_build_n;	/* events in it so far; 0: none begun */
	int64_t			 r_build_first, r_build_last;	/* the first and last one's seq */

	int64_t			 r_batches, r_events, r_failures, r_pruned;
	int64_t			 r_longest_ns;
	/* The steps' times, logged at close: the loop's wall time (what
	 * terminals wait for, other processes' turns on the CPU included) by
	 * bucket, and the longest in CPU time (the relay's own work). */
	int64_t			 r_steps[HQ_STEP_BUCKETS + 1];
	int64_t			 r_longest_cpu_ns;
	int64_t			 r_step_cpu0;
};

static void	hq_connect(struct hq_relay *);
static void	hq_fail(struct hq_relay *, const char *why, bool refused);
static void	sock_cb(evutil_socket_t, short, void *);

/* ---- time and randomness ---- */

static int64_t
ns_of(clockid_t id)
{
	struct timespec	ts;

	clock_gettime(id, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* A callback begins: the wall clock, and the thread's CPU time kept. */
static int64_t
step_begin(struct hq_relay *r)
{
	r->r_step_cpu0 = ns_of(CLOCK_THREAD_CPUTIME_ID);
	return ns_of(CLOCK_MONOTONIC);
}

static int64_t
mono_ns(void)
{
	return ns_of(CLOCK_MONOTONIC);
}

/* Every callback: how long it held the loop (what, for the debug log). */
static void
step_end(struct hq_relay *r, int64_t t0, const char *what)
{
	int64_t	ns = mono_ns() - t0, cpu = ns_of(CLOCK_THREAD_CPUTIME_ID) - r->r_step_cpu0;
	size_t	i;

	for (i = 0; i < HQ_STEP_BUCKETS && ns >= step_bounds_ns[i]; i++)
		;
	r->r_steps[i]++;
	if (cpu > r->r_longest_cpu_ns) {
		r->r_longest_cpu_ns = cpu;
		log_debug("event=hq_longest_cpu_step branch=%s step=%s state=%s cpu_ms=%.3f",
		    log_str(r->r_branch), what, state_names[r->r_state], (double)cpu / 1e6);
	}
	if (ns > r->r_longest_ns) {
		r->r_longest_ns = ns;
		log_debug("event=hq_longest_step branch=%s step=%s state=%s ms=%.3f",
		    log_str(r->r_branch), what, state_names[r->r_state], (double)ns / 1e6);
	}
}

static void
timer_ms(struct event *ev, int64_t ms)
{
	struct timeval	tv;

	tv.tv_sec = (time_t)(ms / 1000);
	tv.tv_usec = (suseconds_t)((ms % 1000) * 1000);
	evtimer_add(ev, &tv);
}

/* xorshift64*: jitter only, seeded from the system's random source. */
static uint64_t
rng_next(struct hq_relay *r)
{
	r->r_rng ^= r->r_rng >> 12;
	r->r_rng ^= r->r_rng << 25;
	r->r_rng ^= r->r_rng >> 27;
	return r->r_rng * 0x2545F4914F6CDD1DULL;
}

/* ---- SQLite ---- */

/* Two subqueries: min() and max() together would scan the table. */
static const char *const sql_bounds =
    "SELECT (SELECT seq FROM hq_events ORDER BY seq LIMIT 1), "
    "(SELECT seq FROM hq_events ORDER BY seq DESC LIMIT 1)";
static const char *const sql_oldest =
    "SELECT at FROM hq_events WHERE seq > ?1 ORDER BY seq LIMIT 1";
static const char *const sql_batch =
    "SELECT seq, at, kind, payload FROM hq_events WHERE seq > ?1 ORDER BY seq LIMIT ?2";
static const char *const sql_ack =
    "UPDATE hq_relay SET acked_seq = ?1, acked_at = ?2 WHERE id = 1";
static const char *const sql_scan =
    "SELECT seq, at FROM hq_events WHERE seq <= ?1 ORDER BY seq LIMIT ?2";
static const char *const sql_delete =
    "DELETE FROM hq_events WHERE seq <= ?1";

static int
db_open(struct hq_relay *r, const char *path, char *err, size_t errlen)
{
	sqlite3_stmt	*st;
	struct {
		sqlite3_stmt	**s_st;
		const char	 *s_sql;
	} stmts[] = {
		{ &r->r_st_bounds, sql_bounds }, { &r->r_st_oldest, sql_oldest },
		{ &r->r_st_batch, sql_batch }, { &r->r_st_ack, sql_ack },
		{ &r->r_st_scan, sql_scan }, { &r->r_st_delete, sql_delete },
		{ &r->r_st_begin, "BEGIN IMMEDIATE" }, { &r->r_st_commit, "COMMIT" },
		{ &r->r_st_rollback, "ROLLBACK" },
	};
	size_t		 i;

	if (sqlite3_open_v2(path, &r->r_db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX,
	    NULL) != SQLITE_OK) {
		snprintf(err, errlen, "hq: cannot open %s: %s", path,
		    r->r_db != NULL ? sqlite3_errmsg(r->r_db) : "out of memory");
		return -1;
	}
	/* Never a sleep on the loop, never an fsync or a checkpoint of ours. */
	sqlite3_busy_timeout(r->r_db, 0);
	if (sqlite3_exec(r->r_db, "PRAGMA synchronous=NORMAL; PRAGMA wal_autocheckpoint=0",
	    NULL, NULL, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "hq: %s: %s", path, sqlite3_errmsg(r->r_db));
		return -1;
	}
	for (i = 0; i < sizeof stmts / sizeof stmts[0]; i++)
		if (sqlite3_prepare_v3(r->r_db, stmts[i].s_sql, -1, SQLITE_PREPARE_PERSISTENT,
		    stmts[i].s_st, NULL) != SQLITE_OK) {
			snprintf(err, errlen, "hq: %s: %s (is the schema at migration 014?)",
			    path, sqlite3_errmsg(r->r_db));
			return -1;
		}
	/* The mark as the last run left it; a locked database now is start-up's
	 * problem, not ours: the daemon holds no group yet. */
	if (sqlite3_prepare_v2(r->r_db, "SELECT acked_seq FROM hq_relay WHERE id = 1", -1,
	    &st, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "hq: %s: %s", path, sqlite3_errmsg(r->r_db));
		return -1;
	}
	if (sqlite3_step(st) == SQLITE_ROW)
		r->r_acked_stored = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	r->r_acked = r->r_acked_stored;
	return 0;
}

/* The log's bounds and the oldest unshipped event's time: indexed reads
 * by rowid, a few microseconds. */
static void
refresh(struct hq_relay *r)
{
	sqlite3_stmt	*st = r->r_st_bounds;

	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL) {
		r->r_first_seq = sqlite3_column_int64(st, 0);
		r->r_last_seq = sqlite3_column_int64(st, 1);
	} else
		r->r_first_seq = r->r_last_seq = 0;
	sqlite3_reset(st);
	st = r->r_st_oldest;
	sqlite3_bind_int64(st, 1, r->r_acked);
	r->r_oldest_at = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
	sqlite3_reset(st);
}

static int64_t
backlog(const struct hq_relay *r)
{
	int64_t	from;

	if (r->r_last_seq == 0)
		return 0;
	from = r->r_acked > r->r_first_seq - 1 ? r->r_acked : r->r_first_seq - 1;
	return r->r_last_seq > from ? r->r_last_seq - from : 0;
}

static void
rollback(struct hq_relay *r)
{
	if (!sqlite3_get_autocommit(r->r_db)) {
		sqlite3_step(r->r_st_rollback);
		sqlite3_reset(r->r_st_rollback);
	}
}

/* 0 done, 1 busy (later), -1 failed (logged). */
static int
step_done(struct hq_relay *r, sqlite3_stmt *st, const char *what)
{
	int	rc = sqlite3_step(st);

	sqlite3_reset(st);
	if (rc == SQLITE_DONE || rc == SQLITE_ROW)
		return 0;
	if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED)
		return 1;
	log_warnx("event=fault component=hq what=%s error=%s", what,
	    log_str(sqlite3_errmsg(r->r_db)));
	return -1;
}

/* The acknowledged mark written: 0, or 1 to try again later. */
static int
write_mark(struct hq_relay *r)
{
	int	rc;

	if (!r->r_mark_dirty)
		return 0;
	sqlite3_bind_int64(r->r_st_ack, 1, r->r_acked);
	sqlite3_bind_int64(r->r_st_ack, 2, clock_now());
	if ((rc = step_done(r, r->r_st_ack, "mark")) != 0)
		return 1;
	r->r_acked_stored = r->r_acked;
	r->r_mark_dirty = false;
	return 0;
}

/*
 * One prune step: the oldest HQ_PRUNE_ROWS events looked at, the run of
 * them old enough (and, shipping, acknowledged) deleted, always from the
 * front so the log stays one run of numbers.  1: maybe more; 0: done;
 * 2: busy, later; -1 failed.
 */
static int
prune_step(struct hq_relay *r)
{
	int64_t		cutoff, limit, last = 0, n = 0;
	int		days, rc;
	sqlite3_stmt	*st = r->r_st_scan;

	days = r->r_conninfo != NULL ? r->r_keep_days : HQ_UNSHIPPED_KEEP_DAYS;
	cutoff = clock_now() - (int64_t)days * 86400;
	limit = r->r_conninfo != NULL ? r->r_acked_stored : INT64_MAX;
	if ((rc = step_done(r, r->r_st_begin, "prune")) != 0)
		return rc == 1 ? 2 : -1;
	sqlite3_bind_int64(st, 1, limit);
	sqlite3_bind_int(st, 2, HQ_PRUNE_ROWS);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (sqlite3_column_int64(st, 1) >= cutoff)
			break;
		last = sqlite3_column_int64(st, 0);
		n++;
	}
	sqlite3_reset(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		rc = rc == SQLITE_BUSY || rc == SQLITE_LOCKED ? 1 : -1;
		goto fail;
	}
	if (n > 0) {
		sqlite3_bind_int64(r->r_st_delete, 1, last);
		if ((rc = step_done(r, r->r_st_delete, "prune")) != 0)
			goto fail;
	}
	if ((rc = step_done(r, r->r_st_commit, "prune")) != 0)
		goto fail;
	r->r_pruned += n;
	r->r_prune_run_n += n;
	if (n > 0)
		log_debug("event=hq_prune rows=%" PRId64 " through=%" PRId64, n, last);
	return n == HQ_PRUNE_ROWS ? 1 : 0;
fail:
	rollback(r);
	return rc == 1 ? 2 : -1;
}

/* ---- the batch ---- */

static void
buf_need(struct hq_relay *r, size_t more)
{
	if (r->r_buflen + more + 1 <= r->r_bufcap)
		return;
	while (r->r_buflen + more + 1 > r->r_bufcap)
		r->r_bufcap = r->r_bufcap != 0 ? 2 * r->r_bufcap : 64 * 1024;
	if ((r->r_buf = realloc(r->r_buf, r->r_bufcap)) == NULL)
		fatal("realloc");
}

static void
buf_put(struct hq_relay *r, const char *s, size_t n)
{
	buf_need(r, n);
	memcpy(r->r_buf + r->r_buflen, s, n);
	r->r_buflen += n;
	r->r_buf[r->r_buflen] = '\0';
}

/* A JSON string: the kinds are ours ("ticket.called"), escaped anyway. */
static void
buf_put_string(struct hq_relay *r, const unsigned char *s, size_t n)
{
	char	esc[8];
	size_t	i;

	buf_put(r, "\"", 1);
	for (i = 0; i < n; i++) {
		if (s[i] == '"' || s[i] == '\\' || s[i] < 0x20) {
			snprintf(esc, sizeof esc, "\\u%04x", s[i]);
			buf_put(r, esc, 6);
		} else
			buf_put(r, (const char *)&s[i], 1);
	}
	buf_put(r, "\"", 1);
}

/*
 * The next batch's JSON from the log, after the mark, HQ_BUILD_ROWS events
 * per call: up to batch_events events or HQ_BATCH_BYTES of text.  The
 * payloads are the triggers' JSON objects, put in as they are.  1: the
 * batch is complete (r_build_n events; 0 when the log holds nothing new);
 * 0: more to read at a later turn; -1: SQLite failed.  The statement is
 * reset before returning: no read transaction is held between turns (it
 * would hold the checkpoints back).
 */
static int
build_step(struct hq_relay *r)
{
	sqlite3_stmt	*st = r->r_st_batch;
	const unsigned char *kind, *payload;
	char		 num[96];
	int64_t		 seq, want, got = 0;
	size_t		 klen, plen, start;
	int		 rc, len;
	bool		 full = false, paused = false;

	if (r->r_build_n == 0) {
		r->r_buflen = 0;
		buf_put(r, "[", 1);
		r->r_build_last = r->r_acked;
	}
	start = r->r_buflen;
	want = r->r_batch_events - r->r_build_n;
	if (want > HQ_BUILD_ROWS)
		want = HQ_BUILD_ROWS;
	if (want <= 0) {		/* batch_events lowered by a reload meanwhile */
		buf_put(r, "]", 1);
		return 1;
	}
	sqlite3_bind_int64(st, 1, r->r_build_last);
	sqlite3_bind_int64(st, 2, want);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		seq = sqlite3_column_int64(st, 0);
		kind = sqlite3_column_text(st, 2);
		klen = (size_t)sqlite3_column_bytes(st, 2);
		payload = sqlite3_column_text(st, 3);
		plen = (size_t)sqlite3_column_bytes(st, 3);
		if (r->r_build_n > 0 && r->r_buflen + klen + plen + 96 > HQ_BATCH_BYTES) {
			full = true;
			break;
		}
		len = snprintf(num, sizeof num, "%s{\"seq\":%" PRId64 ",\"at\":%" PRId64
		    ",\"kind\":", r->r_build_n > 0 ? "," : "", seq,
		    (int64_t)sqlite3_column_int64(st, 1));
		buf_put(r, num, (size_t)len);
		buf_put_string(r, kind != NULL ? kind : (const unsigned char *)"", klen);
		buf_put(r, ",\"payload\":", 11);
		if (payload != NULL && plen > 0)
			buf_put(r, (const char *)payload, plen);
		else
			buf_put(r, "{}", 2);
		buf_put(r, "}", 1);
		if (r->r_build_n == 0)
			r->r_build_first = seq;
		r->r_build_last = seq;
		r->r_build_n++;
		got++;
		if (r->r_buflen - start >= HQ_BUILD_BYTES) {
			paused = true;		/* enough for this turn */
			break;
		}
	}
	sqlite3_reset(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		if (rc != SQLITE_BUSY && rc != SQLITE_LOCKED)
			log_warnx("event=fault component=hq what=read error=%s",
			    log_str(sqlite3_errmsg(r->r_db)));
		r->r_build_n = 0;
		return -1;
	}
	if (!full && (paused || got == want) && r->r_build_n < r->r_batch_events)
		return 0;
	buf_put(r, "]", 1);
	return 1;
}

/* ---- the PostgreSQL connection ---- */

static void
set_state(struct hq_relay *r, enum hq_state s)
{
	if (r->r_state != s)
		log_debug("event=hq_state branch=%s from=%s to=%s", log_str(r->r_branch),
		    state_names[r->r_state], state_names[s]);
	r->r_state = s;
}

/* The socket watched for what libpq waits for; a new socket, a new event. */
static void
watch(struct hq_relay *r, short what)
{
	evutil_socket_t	sock = r->r_pg != NULL ? PQsocket(r->r_pg) : -1;

	if (r->r_sock_ev != NULL && (sock != r->r_sock || what != r->r_sock_what)) {
		event_free(r->r_sock_ev);
		r->r_sock_ev = NULL;
	}
	r->r_sock = sock;
	r->r_sock_what = what;
	if (sock < 0 || what == 0 || r->r_sock_ev != NULL)
		return;
	if ((r->r_sock_ev = event_new(r->r_base, sock, what | EV_PERSIST, sock_cb, r)) == NULL)
		fatalx("hq: event_new failed");
	event_add(r->r_sock_ev, NULL);
}

static void
unwatch(struct hq_relay *r)
{
	if (r->r_sock_ev != NULL)
		event_free(r->r_sock_ev);
	r->r_sock_ev = NULL;
	r->r_sock = -1;
	r->r_sock_what = 0;
}

/* Whatever the connection was doing, it is over. */
static void
drop(struct hq_relay *r)
{
	if (r->r_dns_req != NULL) {
		/* Its callback still runs, now or later, with EVUTIL_EAI_CANCEL,
		 * and touches nothing (the relay may be freed by then). */
		evdns_getaddrinfo_cancel(r->r_dns_req);
		r->r_dns_req = NULL;
	}
	unwatch(r);
	if (r->r_pg != NULL)
		PQfinish(r->r_pg);	/* non-blocking: its goodbye is not waited for */
	r->r_pg = NULL;
	PQclear(r->r_res);
	r->r_res = NULL;
	r->r_flushing = false;
	r->r_build_n = 0;
	if (r->r_build_ev != NULL)
		evtimer_del(r->r_build_ev);
	r->r_inflight_first = r->r_inflight_last = 0;
	evtimer_del(r->r_timer);
}

static void
timeout_arm(struct hq_relay *r)
{
	timer_ms(r->r_timer, (int64_t)r->r_timeout_s * 1000);
}

/* Lost, refused or never made: logged once per outage, then the backoff. */
static void
hq_fail(struct hq_relay *r, const char *why, bool refused)
{
	int64_t	ms, jitter;

	drop(r);
	r->r_failures++;
	if (r->r_logged != HQ_LOGGED_DOWN || strncmp(r->r_logged_err, why,
	    sizeof r->r_logged_err - 1) != 0) {
		log_warnx("event=%s branch=%s error=%s msg=\"retrying with backoff; the branch "
		    "works on and ships later\"", refused ? "hq_refused" :
		    r->r_logged == HQ_LOGGED_UP ? "hq_lost" : "hq_down", log_str(r->r_branch),
		    log_str(why));
		r->r_logged = HQ_LOGGED_DOWN;
		snprintf(r->r_logged_err, sizeof r->r_logged_err, "%s", why);
	}
	r->r_refusing = refused;
	/* 0.5 s doubling to retry_max_s, each wait +-50 %. */
	ms = r->r_backoff_ms;
	jitter = (int64_t)(rng_next(r) % (uint64_t)(ms + 1)) - ms / 2;
	timer_ms(r->r_timer, ms + jitter > 0 ? ms + jitter : 1);
	r->r_backoff_ms *= 2;
	if (r->r_backoff_ms > r->r_retry_max_s * 1000)
		r->r_backoff_ms = r->r_retry_max_s * 1000;
	set_state(r, HQ_BACKOFF);
}

static void
pg_fail(struct hq_relay *r, const char *what)
{
	char	why[512], where[320] = "", *p;
	size_t	n;

	/* libpq names the address it was given: the name too, for the reader. */
	if (r->r_hostaddr[0] != '\0')
		snprintf(where, sizeof where, " (%.255s is %.45s)", r->r_host, r->r_hostaddr);
	snprintf(why, sizeof why, "%s%s: %s", what, where, r->r_pg != NULL ?
	    PQerrorMessage(r->r_pg) : "out of memory");
	n = strlen(why);
	while (n > 0 && (why[n - 1] == '\n' || why[n - 1] == ' '))
		why[--n] = '\0';
	/* libpq's messages run over lines ("\n\tIs the server running ..."). */
	for (p = why; *p != '\0'; p++)
		if (*p == '\n' || *p == '\t')
			*p = ' ';
	hq_fail(r, why, false);
}

/* Sent what libpq holds; then watch for the answer (and the rest). */
static void
flush(struct hq_relay *r)
{
	int	rc = PQflush(r->r_pg);

	if (rc == -1) {
		pg_fail(r, "send");
		return;
	}
	r->r_flushing = rc == 1;
	watch(r, r->r_flushing ? EV_READ | EV_WRITE : EV_READ);
}

static void
send_sync(struct hq_relay *r)
{
	const char	*params[1] = { r->r_branch };

	if (!PQsendQueryParams(r->r_pg, "SELECT hq_last_seq($1)", 1, NULL, params, NULL,
	    NULL, 0)) {
		pg_fail(r, "hq_last_seq");
		return;
	}
	set_state(r, HQ_SYNC);
	timeout_arm(r);
	flush(r);
}

/*
 * One batch in flight, if the log holds more than head office does: built
 * over as many turns of the loop as it needs (build_step), then sent.
 */
static void
send_batch(struct hq_relay *r)
{
	const char	*params[4];
	char		 target[16];
	int		 rc;

	if (r->r_state != HQ_READY || (r->r_build_n == 0 && backlog(r) == 0))
		return;
	/* Pruned while no head office was configured: a gap it must refuse. */
	if (r->r_build_n == 0 && r->r_first_seq > r->r_acked + 1 && r->r_acked > 0 &&
	    !r->r_gap_logged) {
		log_warnx("event=hq_gap branch=%s acked=%" PRId64 " first=%" PRId64
		    " msg=\"head office holds events up to %" PRId64 " but the branch's "
		    "log begins at %" PRId64 ": the events between were pruned while no "
		    "head office was configured (docs/HEADOFFICE.md)\"", log_str(r->r_branch),
		    r->r_acked, r->r_first_seq, r->r_acked, r->r_first_seq);
		r->r_gap_logged = true;
	}
	if ((rc = build_step(r)) == 0) {
		timer_ms(r->r_build_ev, 0);	/* the rest after the loop polls */
		return;
	}
	if (rc == -1 || r->r_build_n == 0) {
		r->r_build_n = 0;
		return;
	}
	snprintf(target, sizeof target, "%d", r->r_target_wait_s);
	params[0] = r->r_branch;
	params[1] = r->r_region;	/* NULL: none */
	params[2] = target;
	params[3] = r->r_buf;
	r->r_inflight_first = r->r_build_first;
	r->r_inflight_last = r->r_build_last;
	r->r_build_n = 0;
	if (!PQsendQueryParams(r->r_pg, "SELECT hq_ingest($1,$2,$3,$4::jsonb)", 4, NULL,
	    params, NULL, NULL, 0)) {
		pg_fail(r, "hq_ingest");
		return;
	}
	/* libpq has its copy: a relay at rest holds no megabyte. */
	if (r->r_bufcap > 64 * 1024) {
		free(r->r_buf);
		r->r_buf = NULL;
		r->r_buflen = r->r_bufcap = 0;
	}
	set_state(r, HQ_SENDING);
	timeout_arm(r);
	flush(r);
}

static void
build_cb(evutil_socket_t fd, short what, void *arg)
{
	struct hq_relay	*r = arg;
	int64_t		 t0 = step_begin(r);

	(void)fd;
	(void)what;
	send_batch(r);
	step_end(r, t0, "build");
}

/* Head office's mark, from hq_last_seq or hq_ingest. */
static void
take_mark(struct hq_relay *r, int64_t mark)
{
	int64_t	from;

	if (mark != r->r_acked) {
		/* Shipped: the batch's events the new mark covers and the old one
		 * did not (the log may begin after the old mark: pruned). */
		if (r->r_state == HQ_SENDING && mark > r->r_acked) {
			from = r->r_acked + 1 > r->r_inflight_first ? r->r_acked + 1 :
			    r->r_inflight_first;
			if (mark >= from)
				r->r_events += (mark < r->r_inflight_last ? mark :
				    r->r_inflight_last) - from + 1;
		}
		r->r_acked = mark;
		r->r_mark_dirty = true;
	}
	write_mark(r);
	refresh(r);
}

static void
logged_up(struct hq_relay *r)
{
	log_info("event=hq_connected branch=%s mark=%" PRId64 " backlog=%" PRId64,
	    log_str(r->r_branch), r->r_acked, backlog(r));
	r->r_logged = HQ_LOGGED_UP;
	r->r_logged_err[0] = '\0';
}

/* The one result of the statement in flight. */
static void
on_result(struct hq_relay *r, PGresult *res)
{
	const char	*v, *state, *msg;
	char		 why[512], *end;
	int64_t		 mark = 0;
	bool		 null;

	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
		msg = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
		snprintf(why, sizeof why, "%s: %s%s%s", r->r_state == HQ_SYNC ? "hq_last_seq" :
		    "hq_ingest", msg != NULL ? msg : PQresStatus(PQresultStatus(res)),
		    state != NULL ? " sqlstate=" : "", state != NULL ? state : "");
		hq_fail(r, why, true);
		return;
	}
	if (PQntuples(res) != 1 || PQnfields(res) != 1) {
		hq_fail(r, "head office answered a row count other than one", true);
		return;
	}
	null = PQgetisnull(res, 0, 0);
	if (!null) {
		v = PQgetvalue(res, 0, 0);
		errno = 0;
		mark = (int64_t)strtoll(v, &end, 10);
		if (errno != 0 || end == v || *end != '\0' || mark < 0) {
			hq_fail(r, "head office's mark is not a number", true);
			return;
		}
	}
	evtimer_del(r->r_timer);
	if (r->r_state == HQ_SYNC) {
		/* NULL: a branch never seen; it takes whatever comes first. */
		take_mark(r, null ? 0 : mark);
		/* Head office ahead of the log: the branch's database was put back
		 * from a copy, and the numbers after it are being used again; head
		 * office would skip them as already held. */
		if (r->r_acked > r->r_last_seq && r->r_last_seq > 0 && !r->r_ahead_logged &&
		    (r->r_ahead_logged = true))
			log_warnx("event=hq_ahead branch=%s mark=%" PRId64 " last=%" PRId64
			    " msg=\"head office holds events this branch's log does not (was "
			    "the database restored from a backup?); events numbered up to the "
			    "mark will be skipped there (docs/HEADOFFICE.md)\"",
			    log_str(r->r_branch), r->r_acked, r->r_last_seq);
		/* Connected again while head office refuses every batch: nothing
		 * changed yet, nothing to say (the next accepted batch says it). */
		if (r->r_logged != HQ_LOGGED_UP && !r->r_refusing)
			logged_up(r);
		if (!r->r_refusing)
			r->r_backoff_ms = HQ_BACKOFF_MIN_MS;
	} else {
		if (null) {
			hq_fail(r, "hq_ingest answered NULL", true);
			return;
		}
		r->r_batches++;
		take_mark(r, mark);
		r->r_backoff_ms = HQ_BACKOFF_MIN_MS;
		r->r_refusing = r->r_gap_logged = false;
		if (r->r_logged != HQ_LOGGED_UP)
			logged_up(r);
	}
	r->r_inflight_last = 0;
	set_state(r, HQ_READY);
	/* The next batch on a turn of its own: what else waits goes first. */
	event_active(r->r_work, EV_TIMEOUT, 0);
}

static void
read_results(struct hq_relay *r)
{
	PGresult	*res;

	if (!PQconsumeInput(r->r_pg)) {
		pg_fail(r, "receive");
		return;
	}
	if (r->r_flushing) {
		flush(r);
		if (r->r_pg == NULL)
			return;
	}
	/* A statement's result, then NULL once the server is ready again. */
	while (!PQisBusy(r->r_pg)) {
		if ((res = PQgetResult(r->r_pg)) == NULL) {
			if ((res = r->r_res) == NULL)
				return;		/* idle: a notice, or nothing */
			r->r_res = NULL;
			if (r->r_state == HQ_SYNC || r->r_state == HQ_SENDING)
				on_result(r, res);
			PQclear(res);
			return;
		}
		if (r->r_res == NULL)
			r->r_res = res;
		else
			PQclear(res);	/* one statement: never more than one */
	}
}

static void
connect_poll(struct hq_relay *r)
{
	PostgresPollingStatusType	ps = PQconnectPoll(r->r_pg);
	int				sndbuf;

	/* libpq may have closed its socket and opened another, which can get
	 * the same number: the event is made again each time, never trusted. */
	unwatch(r);
	switch (ps) {
	case PGRES_POLLING_READING:
		watch(r, EV_READ);
		break;
	case PGRES_POLLING_WRITING:
		watch(r, EV_WRITE);
		break;
	case PGRES_POLLING_OK:
		if (PQsetnonblocking(r->r_pg, 1) == -1) {
			pg_fail(r, "nonblocking");
			return;
		}
		sndbuf = HQ_SNDBUF;
		if (setsockopt(PQsocket(r->r_pg), SOL_SOCKET, SO_SNDBUF, &sndbuf,
		    sizeof sndbuf) == -1)
			log_debug("event=hq_sndbuf branch=%s error=%s", log_str(r->r_branch),
			    strerror(errno));
		watch(r, EV_READ);
		send_sync(r);
		break;
	default:
		pg_fail(r, "connect");
		break;
	}
}

static void
sock_cb(evutil_socket_t fd, short what, void *arg)
{
	struct hq_relay	*r = arg;
	int64_t		 t0 = step_begin(r);

	(void)fd;
	if (r->r_state == HQ_CONNECTING)
		connect_poll(r);
	else if (r->r_pg != NULL) {
		if ((what & EV_WRITE) && r->r_flushing)
			flush(r);
		if (r->r_pg != NULL && (what & EV_READ))
			read_results(r);
	}
	step_end(r, t0, "socket");
}

static void
notice_cb(void *arg, const char *message)
{
	struct hq_relay	*r = arg;
	char		 line[512];
	size_t		 n;

	snprintf(line, sizeof line, "%s", message);
	for (n = strlen(line); n > 0 && (line[n - 1] == '\n' || line[n - 1] == ' ');)
		line[--n] = '\0';
	log_debug("event=hq_notice branch=%s notice=%s", log_str(r->r_branch), log_str(line));
}

/* libpq begins: the conninfo's own keywords, the address found, our defaults. */
static void
pg_start(struct hq_relay *r)
{
	PQconninfoOption	*opts, *o;
	const char		**keys, **vals;
	size_t			 n = 0, i = 0;
	bool			 gss = false, app = false;
	char			*errmsg = NULL;

	if ((opts = PQconninfoParse(r->r_conninfo, &errmsg)) == NULL) {
		hq_fail(r, errmsg != NULL ? errmsg : "conninfo", false);
		PQfreemem(errmsg);
		return;
	}
	for (o = opts; o->keyword != NULL; o++)
		n++;
	keys = calloc(n + 4, sizeof *keys);
	vals = calloc(n + 4, sizeof *vals);
	if (keys == NULL || vals == NULL)
		fatal("calloc");
	for (o = opts; o->keyword != NULL; o++) {
		if (o->val == NULL)
			continue;
		if (strcmp(o->keyword, "gssencmode") == 0)
			gss = true;
		if (strcmp(o->keyword, "application_name") == 0)
			app = true;
		if (strcmp(o->keyword, "hostaddr") == 0 && r->r_hostaddr[0] != '\0')
			continue;
		keys[i] = o->keyword;
		vals[i++] = o->val;
	}
	if (r->r_hostaddr[0] != '\0') {
		keys[i] = "hostaddr";
		vals[i++] = r->r_hostaddr;
	}
	if (!gss) {
		keys[i] = "gssencmode";
		vals[i++] = "disable";
	}
	if (!app) {
		keys[i] = "application_name";
		vals[i++] = "branchqd";
	}
	keys[i] = NULL;
	vals[i] = NULL;
	r->r_pg = PQconnectStartParams(keys, vals, 0);
	free(keys);
	free(vals);
	PQconninfoFree(opts);
	if (r->r_pg == NULL || PQstatus(r->r_pg) == CONNECTION_BAD) {
		pg_fail(r, "connect");
		return;
	}
	/* Notices (and a server's last words) to the debug log, not stderr. */
	PQsetNoticeProcessor(r->r_pg, notice_cb, r);
	set_state(r, HQ_CONNECTING);
	timeout_arm(r);
	/* The docs: as if PQconnectPoll had said PGRES_POLLING_WRITING. */
	watch(r, EV_WRITE);
}

static void
dns_cb(int result, struct evutil_addrinfo *res, void *arg)
{
	struct hq_relay		*r = arg;
	struct evutil_addrinfo	*ai;
	unsigned		 n = 0, k;
	const void		*addr;
	int64_t			 t0;
	char			 why[300];

	/* Cancelled by drop(), maybe from hq_relay_close(): r may be gone. */
	if (result == EVUTIL_EAI_CANCEL) {
		if (res != NULL)
			evutil_freeaddrinfo(res);
		return;
	}
	t0 = step_begin(r);
	r->r_dns_req = NULL;
	if (result != 0 || res == NULL) {
		snprintf(why, sizeof why, "name lookup: %s", evutil_gai_strerror(result));
		if (res != NULL)
			evutil_freeaddrinfo(res);
		hq_fail(r, why, false);
		step_end(r, t0, "dns");
		return;
	}
	for (ai = res; ai != NULL; ai = ai->ai_next)
		n++;
	/* Another address of the name after each failure. */
	k = r->r_addr_turn % n;
	for (ai = res; k > 0; ai = ai->ai_next)
		k--;
	addr = ai->ai_family == AF_INET6 ?
	    (const void *)&((const struct sockaddr_in6 *)(const void *)ai->ai_addr)->sin6_addr :
	    (const void *)&((const struct sockaddr_in *)(const void *)ai->ai_addr)->sin_addr;
	if (evutil_inet_ntop(ai->ai_family, addr, r->r_hostaddr, sizeof r->r_hostaddr) == NULL)
		r->r_hostaddr[0] = '\0';
	evutil_freeaddrinfo(res);
	if (r->r_hostaddr[0] == '\0')
		hq_fail(r, "name lookup: no usable address", false);
	else
		pg_start(r);
	step_end(r, t0, "dns");
}

/* The conninfo's host, when it is a name to look up: into out, true. */
static bool
host_to_resolve(const char *conninfo, char *out, size_t outlen)
{
	PQconninfoOption	*opts, *o;
	const char		*host = NULL, *hostaddr = NULL;
	unsigned char		 tmp[16];
	bool			 yes = false;

	if ((opts = PQconninfoParse(conninfo, NULL)) == NULL)
		return false;
	for (o = opts; o->keyword != NULL; o++) {
		if (strcmp(o->keyword, "host") == 0)
			host = o->val;
		else if (strcmp(o->keyword, "hostaddr") == 0)
			hostaddr = o->val;
	}
	if (host != NULL && *host != '\0' && *host != '/' && *host != '@' &&
	    (hostaddr == NULL || *hostaddr == '\0') &&
	    evutil_inet_pton(AF_INET, host, tmp) != 1 &&
	    evutil_inet_pton(AF_INET6, host, tmp) != 1) {
		snprintf(out, outlen, "%s", host);
		yes = true;
	}
	PQconninfoFree(opts);
	return yes;
}

static void
hq_connect(struct hq_relay *r)
{
	struct evutil_addrinfo	hints;

	drop(r);
	r->r_hostaddr[0] = '\0';
	if (r->r_conninfo == NULL) {
		set_state(r, HQ_NOSHIP);
		return;
	}
	if (!host_to_resolve(r->r_conninfo, r->r_host, sizeof r->r_host)) {
		pg_start(r);
		return;
	}
	if (r->r_dns == NULL) {
		hq_fail(r, "a host name needs a resolver (no evdns_base)", false);
		return;
	}
	memset(&hints, 0, sizeof hints);
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_protocol = IPPROTO_TCP;
	hints.ai_flags = EVUTIL_AI_ADDRCONFIG;
	set_state(r, HQ_RESOLVING);
	timeout_arm(r);
	/* May answer at once (e.g. from /etc/hosts): dns_cb before it returns. */
	r->r_dns_req = evdns_getaddrinfo(r->r_dns, r->r_host, NULL, &hints, dns_cb, r);
}

static void
timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct hq_relay	*r = arg;
	int64_t		 t0 = step_begin(r);
	char		 why[64];

	(void)fd;
	(void)what;
	if (r->r_state == HQ_BACKOFF) {
		r->r_addr_turn++;
		hq_connect(r);
	} else if (r->r_state != HQ_NOSHIP && r->r_state != HQ_READY) {
		snprintf(why, sizeof why, "no answer within %d s (%s)", r->r_timeout_s,
		    state_names[r->r_state]);
		hq_fail(r, why, false);
	}
	step_end(r, t0, "timer");
}

/* ---- the work a commit or an answer starts ---- */

static void
prune_start(struct hq_relay *r)
{
	r->r_prune_checked_at = clock_now();
	if (!r->r_pruning) {
		r->r_pruning = true;
		r->r_prune_run_n = 0;
		timer_ms(r->r_prune_ev, 0);
	}
}

static void
work_cb(evutil_socket_t fd, short what, void *arg)
{
	struct hq_relay	*r = arg;
	int64_t		 t0 = step_begin(r);

	(void)fd;
	(void)what;
	refresh(r);
	if (r->r_mark_dirty && write_mark(r) == 1)
		timer_ms(r->r_retry_ev, HQ_RETRY_WRITE_MS);
	if (r->r_state == HQ_READY)
		send_batch(r);
	/* The daemon clock moved an hour (or a test moved it days) since the
	 * last prune run: another. */
	if (clock_now() >= r->r_prune_checked_at + HQ_PRUNE_EVERY_S)
		prune_start(r);
	step_end(r, t0, "work");
}

static void
retry_cb(evutil_socket_t fd, short what, void *arg)
{
	struct hq_relay	*r = arg;

	(void)fd;
	(void)what;
	event_active(r->r_work, EV_TIMEOUT, 0);
}

/* A prune step per turn of the loop; hourly between runs. */
static void
prune_cb(evutil_socket_t fd, short what, void *arg)
{
	struct hq_relay	*r = arg;
	int64_t		 t0 = step_begin(r);
	char		 at[BQ_TIME_LEN];

	(void)fd;
	(void)what;
	if (!r->r_pruning) {
		prune_start(r);		/* the hourly timer */
		step_end(r, t0, "prune");
		return;
	}
	switch (prune_step(r)) {
	case 1:
		timer_ms(r->r_prune_ev, 0);	/* after what the loop polls */
		break;
	case 2:
		timer_ms(r->r_prune_ev, HQ_RETRY_WRITE_MS);
		break;
	default:
		r->r_pruning = false;
		refresh(r);
		time_format(clock_now(), at);
		log_debug("event=hq_prune at=%s deleted=%" PRId64 " keep_days=%d shipping=%s "
		    "first=%" PRId64 " last=%" PRId64, at, r->r_prune_run_n,
		    r->r_conninfo != NULL ? r->r_keep_days : HQ_UNSHIPPED_KEEP_DAYS,
		    r->r_conninfo != NULL ? "yes" : "no", r->r_first_seq, r->r_last_seq);
		timer_ms(r->r_prune_ev, (int64_t)HQ_PRUNE_EVERY_S * 1000);
		break;
	}
	step_end(r, t0, "prune");
}

/* ---- the interface ---- */

static void
take_settings(struct hq_relay *r, const struct hq_settings *hs)
{
	free(r->r_branch);
	free(r->r_region);
	free(r->r_conninfo);
	r->r_branch = xstrdup(hs != NULL && hs->hs_branch != NULL ? hs->hs_branch : "");
	r->r_region = hs != NULL && hs->hs_region != NULL ? xstrdup(hs->hs_region) : NULL;
	r->r_conninfo = hs != NULL && hs->hs_conninfo != NULL ? xstrdup(hs->hs_conninfo) : NULL;
	r->r_keep_days = hs != NULL && hs->hs_keep_days > 0 ? hs->hs_keep_days :
	    HQ_DEFAULT_KEEP_DAYS;
	r->r_batch_events = hs != NULL && hs->hs_batch_events > 0 ? hs->hs_batch_events :
	    HQ_DEFAULT_BATCH_EVENTS;
	r->r_retry_max_s = hs != NULL && hs->hs_retry_max_s > 0 ? hs->hs_retry_max_s :
	    HQ_DEFAULT_RETRY_MAX_S;
	r->r_timeout_s = hs != NULL && hs->hs_timeout_s > 0 ? hs->hs_timeout_s :
	    HQ_DEFAULT_TIMEOUT_S;
	r->r_target_wait_s = hs != NULL ? hs->hs_target_wait_s : 0;
}

static bool
str_differs(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a != b;
	return strcmp(a, b) != 0;
}

struct hq_relay *
hq_relay_open(struct event_base *base, struct evdns_base *dns, const char *db_path,
    const struct hq_settings *hs, char *err, size_t errlen)
{
	struct hq_relay	*r;

	if ((r = calloc(1, sizeof *r)) == NULL)
		fatal("calloc");
	r->r_base = base;
	r->r_dns = dns;
	r->r_sock = -1;
	r->r_backoff_ms = HQ_BACKOFF_MIN_MS;
	evutil_secure_rng_get_bytes(&r->r_rng, sizeof r->r_rng);
	r->r_rng |= 1;
	take_settings(r, hs);
	if ((r->r_timer = evtimer_new(base, timer_cb, r)) == NULL ||
	    (r->r_work = event_new(base, -1, 0, work_cb, r)) == NULL ||
	    (r->r_prune_ev = evtimer_new(base, prune_cb, r)) == NULL ||
	    (r->r_retry_ev = evtimer_new(base, retry_cb, r)) == NULL ||
	    (r->r_build_ev = evtimer_new(base, build_cb, r)) == NULL)
		fatalx("hq: event_new failed");
	if (db_open(r, db_path, err, errlen) == -1) {
		hq_relay_close(r);
		return NULL;
	}
	refresh(r);
	/* A prune run soon after start (the first kick), then hourly. */
	r->r_prune_checked_at = clock_now() - HQ_PRUNE_EVERY_S;
	timer_ms(r->r_prune_ev, (int64_t)HQ_PRUNE_EVERY_S * 1000);
	r->r_state = HQ_NOSHIP;
	if (r->r_conninfo != NULL)
		hq_connect(r);
	event_active(r->r_work, EV_TIMEOUT, 0);
	return r;
}

void
hq_relay_kick(struct hq_relay *r)
{
	if (r != NULL && !event_pending(r->r_work, EV_TIMEOUT, NULL))
		event_active(r->r_work, EV_TIMEOUT, 0);
}

void
hq_relay_configure(struct hq_relay *r, const struct hq_settings *hs)
{
	const char	*conninfo = hs != NULL ? hs->hs_conninfo : NULL;
	const char	*region = hs != NULL ? hs->hs_region : NULL;
	const char	*branch = hs != NULL ? hs->hs_branch : "";
	bool		 again;
	int64_t		 t0 = step_begin(r);

	again = str_differs(conninfo, r->r_conninfo) || str_differs(region, r->r_region) ||
	    str_differs(branch != NULL ? branch : "", r->r_branch);
	take_settings(r, hs);
	if (again) {
		if (r->r_logged != HQ_LOGGED_NONE || r->r_state != HQ_NOSHIP)
			log_info("event=hq_reconfigured branch=%s msg=\"%s\"", log_str(r->r_branch),
			    r->r_conninfo != NULL ? "connecting again with the new settings" :
			    "no head office: nothing is shipped");
		drop(r);
		r->r_logged = HQ_LOGGED_NONE;
		r->r_refusing = r->r_gap_logged = r->r_ahead_logged = false;
		r->r_backoff_ms = HQ_BACKOFF_MIN_MS;
		set_state(r, HQ_NOSHIP);
		if (r->r_conninfo != NULL)
			hq_connect(r);
	} else if (r->r_backoff_ms > r->r_retry_max_s * 1000)
		r->r_backoff_ms = r->r_retry_max_s * 1000;
	/* keep_days may have changed: a prune run at the next turn. */
	r->r_prune_checked_at = clock_now() - HQ_PRUNE_EVERY_S;
	event_active(r->r_work, EV_TIMEOUT, 0);
	step_end(r, t0, "configure");
}

void
hq_relay_status(const struct hq_relay *r, struct hq_status *st)
{
	memset(st, 0, sizeof *st);
	if (r == NULL)
		return;
	st->hst_shipping = r->r_conninfo != NULL;
	st->hst_backlog = backlog(r);
	st->hst_lag_s = st->hst_backlog > 0 && r->r_oldest_at > 0 &&
	    clock_now() > r->r_oldest_at ? clock_now() - r->r_oldest_at : 0;
	st->hst_connected = r->r_state == HQ_READY || r->r_state == HQ_SENDING;
	st->hst_acked_seq = r->r_acked;
	st->hst_last_seq = r->r_last_seq;
	st->hst_batches = r->r_batches;
	st->hst_events = r->r_events;
	st->hst_failures = r->r_failures;
	st->hst_pruned = r->r_pruned;
	st->hst_longest_step_ns = r->r_longest_ns;
	st->hst_longest_step_cpu_ns = r->r_longest_cpu_ns;
}

void
hq_relay_close(struct hq_relay *r)
{
	sqlite3_stmt	**sts[9];
	size_t		 i, n = 0;

	if (r == NULL)
		return;
	if (r->r_steps[0] + r->r_steps[1] + r->r_steps[2] + r->r_steps[3] + r->r_steps[4] +
	    r->r_steps[5] > 0)
		log_info("event=hq_steps branch=%s under_0.5ms=%" PRId64 " under_1ms=%" PRId64
		    " under_2ms=%" PRId64 " under_5ms=%" PRId64 " under_10ms=%" PRId64
		    " over_10ms=%" PRId64 " longest_ms=%.3f longest_cpu_ms=%.3f batches=%" PRId64
		    " events=%" PRId64 " failures=%" PRId64 " pruned=%" PRId64, log_str(r->r_branch),
		    r->r_steps[0], r->r_steps[1], r->r_steps[2], r->r_steps[3], r->r_steps[4],
		    r->r_steps[5], (double)r->r_longest_ns / 1e6,
		    (double)r->r_longest_cpu_ns / 1e6, r->r_batches, r->r_events, r->r_failures,
		    r->r_pruned);
	sts[n++] = &r->r_st_bounds;
	sts[n++] = &r->r_st_oldest;
	sts[n++] = &r->r_st_batch;
	sts[n++] = &r->r_st_ack;
	sts[n++] = &r->r_st_scan;
	sts[n++] = &r->r_st_delete;
	sts[n++] = &r->r_st_begin;
	sts[n++] = &r->r_st_commit;
	sts[n++] = &r->r_st_rollback;
	drop(r);
	if (r->r_db != NULL) {
		/* A mark not written yet: one last try, BUSY or not. */
		if (r->r_mark_dirty && r->r_st_ack != NULL)
			write_mark(r);
		rollback(r);
	}
	for (i = 0; i < n; i++)
		sqlite3_finalize(*sts[i]);
	if (r->r_db != NULL)
		sqlite3_close(r->r_db);
	if (r->r_timer != NULL)
		event_free(r->r_timer);
	if (r->r_work != NULL)
		event_free(r->r_work);
	if (r->r_prune_ev != NULL)
		event_free(r->r_prune_ev);
	if (r->r_retry_ev != NULL)
		event_free(r->r_retry_ev);
	if (r->r_build_ev != NULL)
		event_free(r->r_build_ev);
	free(r->r_branch);
	free(r->r_region);
	free(r->r_conninfo);
	free(r->r_buf);
	free(r);
}
