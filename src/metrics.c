/*
 * The figures GET /metrics shows (PROTOCOL "Metrics"), and their text in
 * Prometheus's exposition format 0.0.4.
 *
 * Two kinds of figure.  Counters of things that happen (a COMMIT and how
 * long it took, a request, a failed sign-in, an event published, a reader
 * cut off, a webhook attempt) are counted here, by one call at the place
 * where each happens: a few instructions on the loop, nothing else.  The
 * state of the branch (queues, windows, follow-ups, webhook backlog,
 * connections) is read at each scrape from memory by the HTTP face, which
 * hands it in as a struct metrics_state: this file calls nothing above
 * the rules, so the storage, the domain, dispatch and the transports may
 * all call it (tests/layers.sh).  Nothing here reads the database.
 *
 * Parts that report on their own (the daily backup, retention, the head
 * office's relay) set their figures through metrics_backup(),
 * metrics_retention() and metrics_hq(), on the loop thread.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "branchq.h"

#ifndef BQ_VERSION
#define BQ_VERSION	"1.1"
#endif

/* PROTOCOL Metrics: group commits from half a millisecond to a second. */
static const double commit_bounds_s[] = {
	0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0
};
#define COMMIT_BUCKETS	(sizeof commit_bounds_s / sizeof commit_bounds_s[0])

#define METRICS_OPS	64	/* ops the table has, with room */

static const char *const transport_names[MT__COUNT] = { "tcp", "http", "sse" };

static struct {
	int64_t		 m_started_at;
	/* COMMITs: per bucket (not cumulative; the text is), sum, failures. */
	uint64_t	 m_commit_bucket[COMMIT_BUCKETS + 1];	/* the last: over 1 s */
	double		 m_commit_sum_s;
	uint64_t	 m_commit_failures;
	/* Requests by transport and op (a literal of the op table); errors by code. */
	struct {
		const char	*op_name;
		uint64_t	 op_n[MT__COUNT];
	}		 m_ops[METRICS_OPS];
	size_t		 m_nops;
	uint64_t	 m_unknown_ops[MT__COUNT];
	uint64_t	 m_errors[MT__COUNT][ERR__COUNT];
	uint64_t	 m_http_status[600];	/* 100 ... 599 */
	uint64_t	 m_auth_failures, m_auth_lockouts;
	uint64_t	 m_events_published;
	uint64_t	 m_subscribers_dropped[MT__COUNT];
	uint64_t	 m_webhook_attempts_failed, m_webhook_delivered, m_webhook_failed;
	/* Set by the parts that report on their own. */
	int64_t		 m_backup_ok_at;	/* 0: none yet */
	uint64_t	 m_backup_failures;
	int64_t		 m_backup_bytes;
	uint64_t	 m_retention_erased;
	int64_t		 m_retention_run_at;	/* 0: not run yet */
	int64_t		 m_hq_backlog, m_hq_lag_s, m_hq_events, m_hq_failures;
	int64_t		 m_hq_longest_step_ns;
	bool		 m_hq_connected;
} m;

void
metrics_start(int64_t at)
{
	m.m_started_at = at;
}

void
metrics_commit(double seconds, bool ok)
{
	size_t	i;

	if (!ok) {
		m.m_commit_failures++;
		return;
	}
	for (i = 0; i < COMMIT_BUCKETS && seconds > commit_bounds_s[i]; i++)
		;
	m.m_commit_bucket[i]++;
	m.m_commit_sum_s += seconds;
}

void
metrics_request(enum metrics_transport t, const char *op, enum err_code code)
{
	size_t	i;

	if ((unsigned)t >= MT__COUNT)
		return;
	if ((unsigned)code < ERR__COUNT && code != ERR_NONE)
		m.m_errors[t][code]++;
	/* Never a client's text as a label: an op not in the table is "unknown". */
	if (op == NULL) {
		m.m_unknown_ops[t]++;
		return;
	}
	for (i = 0; i < m.m_nops && m.m_ops[i].op_name != op; i++)
		;
	if (i == m.m_nops) {
		if (m.m_nops == METRICS_OPS) {
			m.m_unknown_ops[t]++;
			return;
		}
		m.m_ops[m.m_nops++].op_name = op;
	}
	m.m_ops[i].op_n[t]++;
}

void
metrics_http_response(int status)
{
	if (status >= 100 && status <= 599)
		m.m_http_status[status]++;
}

void
metrics_auth_failure(bool lockout)
{
	m.m_auth_failures++;
	if (lockout)
		m.m_auth_lockouts++;
}

void
metrics_events_published(uint64_t n)
{
	m.m_events_published += n;
}

void
metrics_subscriber_dropped(enum metrics_transport t)
{
	if ((unsigned)t < MT__COUNT)
		m.m_subscribers_dropped[t]++;
}

void
metrics_webhook_attempt(bool delivered, bool failed)
{
	if (delivered) {
		m.m_webhook_delivered++;
		return;
	}
	m.m_webhook_attempts_failed++;
	if (failed)
		m.m_webhook_failed++;
}

void
metrics_backup(int64_t ok_at, uint64_t failures, int64_t bytes)
{
	m.m_backup_ok_at = ok_at;
	m.m_backup_failures = failures;
	m.m_backup_bytes = bytes;
}

void
metrics_retention(int64_t last_run_at, uint64_t erased_total)
{
	m.m_retention_run_at = last_run_at;
	m.m_retention_erased = erased_total;
}

void
metrics_hq(const struct hq_status *st)
{
	bool	on = st != NULL && st->hst_shipping;

	m.m_hq_backlog = on ? st->hst_backlog : 0;
	m.m_hq_lag_s = on ? st->hst_lag_s : 0;
	m.m_hq_connected = on && st->hst_connected;
	/* Counted by the relay since start; kept across a reload that removes hq. */
	if (st != NULL) {
		m.m_hq_events = st->hst_events;
		m.m_hq_failures = st->hst_failures;
		m.m_hq_longest_step_ns = st->hst_longest_step_ns;
	}
}

/* ---- the text ---- */

struct mtext {
	char	*mt_buf;
	size_t	 mt_len, mt_cap;
};

static void
mt_printf(struct mtext *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
mt_printf(struct mtext *t, const char *fmt, ...)
{
	va_list	ap;
	int	n;

	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(t->mt_buf + t->mt_len, t->mt_cap - t->mt_len, fmt, ap);
		va_end(ap);
		if (n < 0)
			fatalx("metrics: vsnprintf");
		if ((size_t)n < t->mt_cap - t->mt_len) {
			t->mt_len += (size_t)n;
			return;
		}
		t->mt_cap = 2 * t->mt_cap + (size_t)n + 1;
		if ((t->mt_buf = realloc(t->mt_buf, t->mt_cap)) == NULL)
			fatal("realloc");
	}
}

/* The family's HELP and TYPE (HELP's own escapes: backslash and newline). */
static void
family(struct mtext *t, const char *name, const char *type, const char *help)
{
	mt_printf(t, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* A label value as the format wants it: \\, \" and \n escaped. */
void
metrics_escape_label(const char *v, char *out, size_t outlen)
{
	size_t	n = 0;

	for (; *v != '\0' && n + 3 < outlen; v++) {
		if (*v == '\\' || *v == '"' || *v == '\n') {
			out[n++] = '\\';
			out[n++] = *v == '\n' ? 'n' : *v;
		} else
			out[n++] = *v;
	}
	out[n] = '\0';
}

/* One sample: name{labels} value; labels "k1", v1, "k2", v2, ..., NULL. */
static void
sample(struct mtext *t, const char *name, const char *value, ...)
{
	va_list		 ap;
	const char	*k, *v;
	char		 esc[256];
	bool		 first = true;

	mt_printf(t, "%s", name);
	va_start(ap, value);
	while ((k = va_arg(ap, const char *)) != NULL) {
		v = va_arg(ap, const char *);
		metrics_escape_label(v, esc, sizeof esc);
		mt_printf(t, "%s%s=\"%s\"", first ? "{" : ",", k, esc);
		first = false;
	}
	va_end(ap);
	mt_printf(t, "%s %s\n", first ? "" : "}", value);
}

static const char *
num(char buf[32], int64_t v)
{
	snprintf(buf, 32, "%lld", (long long)v);
	return buf;
}

static const char *
unum(char buf[32], uint64_t v)
{
	snprintf(buf, 32, "%llu", (unsigned long long)v);
	return buf;
}

static void
one(struct mtext *t, const char *name, const char *type, const char *help, int64_t v)
{
	char	b[32];

	family(t, name, type, help);
	sample(t, name, num(b, v), NULL);
}

static void
queue_figures(struct mtext *t, const struct metrics_state *ms)
{
	const struct queue	*q = ms->ms_queue;
	char			 b[32];
	int64_t			 oldest, open = 0, paused = 0;
	int			 lane, rule, w;

	family(t, "branchq_tickets_issued_total", "counter", "Tickets issued since the daemon "
	    "started, by the lane they joined and the routing rule that chose it "
	    "(committed ones only).");
	for (lane = 0; lane < LANE__COUNT; lane++)
		for (rule = 0; rule < RULE__COUNT; rule++)
			sample(t, "branchq_tickets_issued_total",
			    num(b, ms->ms_tickets_issued[lane][rule]), "lane", lane_name(lane),
			    "rule", route_rule_name(rule), NULL);
	family(t, "branchq_tickets_waiting", "gauge", "Tickets waiting in the lane now "
	    "(self_service: always 0, its tickets are at the machines: see "
	    "branchq_tickets_diverted).");
	for (lane = 0; lane < LANE__COUNT; lane++)
		sample(t, "branchq_tickets_waiting", num(b, (int64_t)queue_waiting(q, lane)),
		    "lane", lane_name(lane), NULL);
	one(t, "branchq_tickets_diverted", "gauge", "Tickets sent to the self-service machines "
	    "and still open there.", (int64_t)queue_diverted(q));
	family(t, "branchq_oldest_wait_seconds", "gauge", "How long the longest-waiting ticket "
	    "of the lane has waited since it was issued, on the daemon clock; 0 when none "
	    "waits.");
	for (lane = 0; lane < LANE__COUNT; lane++) {
		oldest = queue_oldest_issued_at(q, lane);
		sample(t, "branchq_oldest_wait_seconds", num(b, oldest == 0 ||
		    ms->ms_now < oldest ? 0 : ms->ms_now - oldest), "lane", lane_name(lane),
		    NULL);
	}
	for (w = 1; w <= BQ_MAX_WINDOW; w++) {
		if (!q->q_windows[w].w_open)
			continue;
		open++;
		if (q->q_windows[w].w_paused)
			paused++;
	}
	one(t, "branchq_windows_open", "gauge", "Counter windows open (staffed), paused ones "
	    "included.", open);
	one(t, "branchq_windows_paused", "gauge", "Open counter windows that are paused.",
	    paused);
}

static void
commit_figures(struct mtext *t)
{
	char		 le[32], b[32], sum[64];
	uint64_t	 cum = 0;
	size_t		 i;

	family(t, "branchq_commit_seconds", "histogram", "How long each COMMIT of the database "
	    "took (one per loop iteration that changed anything: the group commit), fsync "
	    "included.");
	for (i = 0; i < COMMIT_BUCKETS; i++) {
		cum += m.m_commit_bucket[i];
		snprintf(le, sizeof le, "%g", commit_bounds_s[i]);
		sample(t, "branchq_commit_seconds_bucket", unum(b, cum), "le", le, NULL);
	}
	cum += m.m_commit_bucket[COMMIT_BUCKETS];
	sample(t, "branchq_commit_seconds_bucket", unum(b, cum), "le", "+Inf", NULL);
	snprintf(sum, sizeof sum, "%.9f", m.m_commit_sum_s);
	sample(t, "branchq_commit_seconds_sum", sum, NULL);
	sample(t, "branchq_commit_seconds_count", unum(b, cum), NULL);
	family(t, "branchq_commit_failures_total", "counter", "COMMITs the database refused "
	    "(every change of that group was taken back and its requests refused).");
	sample(t, "branchq_commit_failures_total", unum(b, m.m_commit_failures), NULL);
}

static void
request_figures(struct mtext *t)
{
	char		 b[32], code[8];
	size_t		 i;
	int		 tr, e;

	family(t, "branchq_requests_total", "counter", "Operations requested, by transport "
	    "(tcp: the line protocol; http: POST /api/v1/op/NAME) and op (\"unknown\": not "
	    "an operation of the protocol).");
	for (tr = 0; tr < MT_SSE; tr++) {
		for (i = 0; i < m.m_nops; i++)
			sample(t, "branchq_requests_total", unum(b, m.m_ops[i].op_n[tr]),
			    "transport", transport_names[tr], "op", m.m_ops[i].op_name, NULL);
		sample(t, "branchq_requests_total", unum(b, m.m_unknown_ops[tr]),
		    "transport", transport_names[tr], "op", "unknown", NULL);
	}
	family(t, "branchq_request_errors_total", "counter", "Operations refused, by transport "
	    "and error code (PROTOCOL's codes).");
	for (tr = 0; tr < MT_SSE; tr++)
		for (e = ERR_NONE + 1; e < ERR__COUNT; e++)
			sample(t, "branchq_request_errors_total", unum(b, m.m_errors[tr][e]),
			    "transport", transport_names[tr], "code", err_code_name(e), NULL);
	family(t, "branchq_http_responses_total", "counter", "HTTP responses sent, by status.");
	for (e = 100; e < 600; e++) {
		if (m.m_http_status[e] == 0)
			continue;
		snprintf(code, sizeof code, "%d", e);
		sample(t, "branchq_http_responses_total", unum(b, m.m_http_status[e]), "code",
		    code, NULL);
	}
	family(t, "branchq_auth_failures_total", "counter", "Sign-ins refused (hello, HTTP "
	    "session or bearer token): unknown terminal or wrong token.");
	sample(t, "branchq_auth_failures_total", unum(b, m.m_auth_failures), NULL);
	family(t, "branchq_auth_lockouts_total", "counter", "Lockouts those failures started "
	    "(an address refused for a while).");
	sample(t, "branchq_auth_lockouts_total", unum(b, m.m_auth_lockouts), NULL);
}

static void
stream_figures(struct mtext *t, const struct metrics_state *ms)
{
	char	b[32];
	int	tr;

	family(t, "branchq_connections", "gauge", "Open connections: tcp (the line protocol), "
	    "http (every HTTP connection, event streams included), sse (the event streams "
	    "among them).");
	for (tr = 0; tr < MT__COUNT; tr++)
		sample(t, "branchq_connections", num(b, ms->ms_connections[tr]), "transport",
		    transport_names[tr], NULL);
	family(t, "branchq_events_published_total", "counter", "Events published (committed), "
	    "each counted once however many hear it; queue changes only while someone "
	    "subscribes to them.");
	sample(t, "branchq_events_published_total", unum(b, m.m_events_published), NULL);
	family(t, "branchq_subscribers_dropped_total", "counter", "Subscribers cut off for "
	    "reading too slowly (1 MiB behind), by transport (tcp, sse).");
	sample(t, "branchq_subscribers_dropped_total", unum(b, m.m_subscribers_dropped[MT_TCP]),
	    "transport", "tcp", NULL);
	sample(t, "branchq_subscribers_dropped_total", unum(b, m.m_subscribers_dropped[MT_SSE]),
	    "transport", "sse", NULL);
}

static void
outside_figures(struct mtext *t, const struct metrics_state *ms)
{
	char	b[32], secs[32];

	one(t, "branchq_webhook_backlog", "gauge", "Webhook deliveries pending, every "
	    "receiver (committed).", ms->ms_webhook_backlog);
	family(t, "branchq_webhook_attempts_failed_total", "counter", "Webhook attempts that "
	    "failed (retried later, or the delivery failed for good).");
	sample(t, "branchq_webhook_attempts_failed_total", unum(b, m.m_webhook_attempts_failed),
	    NULL);
	family(t, "branchq_webhook_deliveries_total", "counter", "Webhook deliveries ended, by "
	    "outcome: delivered, or failed after webhook_retry_hours.");
	sample(t, "branchq_webhook_deliveries_total", unum(b, m.m_webhook_delivered),
	    "outcome", "delivered", NULL);
	sample(t, "branchq_webhook_deliveries_total", unum(b, m.m_webhook_failed),
	    "outcome", "failed", NULL);
	one(t, "branchq_hq_backlog", "gauge", "Records waiting to be sent to the head office "
	    "(0: no head office is configured).", m.m_hq_backlog);
	one(t, "branchq_hq_lag_seconds", "gauge", "Age of the oldest record not yet accepted by "
	    "the head office (0: no head office is configured, or nothing waits).",
	    m.m_hq_lag_s);
	one(t, "branchq_hq_connected", "gauge", "1 while the relay is connected to the head "
	    "office (0: not connected, or none configured).", m.m_hq_connected ? 1 : 0);
	family(t, "branchq_hq_events_shipped_total", "counter", "Events the head office "
	    "acknowledged since the daemon started.");
	sample(t, "branchq_hq_events_shipped_total", unum(b, (uint64_t)m.m_hq_events), NULL);
	family(t, "branchq_hq_failures_total", "counter", "Connections to the head office "
	    "that failed or were lost, and batches it refused, since the daemon started.");
	sample(t, "branchq_hq_failures_total", unum(b, (uint64_t)m.m_hq_failures), NULL);
	family(t, "branchq_hq_longest_step_seconds", "gauge", "The longest the relay held the "
	    "event loop in one callback since the daemon started, seconds.");
	snprintf(secs, sizeof secs, "%.6f", (double)m.m_hq_longest_step_ns / 1e9);
	sample(t, "branchq_hq_longest_step_seconds", secs, NULL);
	one(t, "branchq_backup_last_success_timestamp_seconds", "gauge", "When the last backup "
	    "that passed its integrity check finished, Unix time (0: none since the daemon "
	    "started).", m.m_backup_ok_at);
	family(t, "branchq_backup_failures_total", "counter", "Backups that failed.");
	sample(t, "branchq_backup_failures_total", unum(b, m.m_backup_failures), NULL);
	one(t, "branchq_backup_last_bytes", "gauge", "The size of the last good backup, bytes.",
	    m.m_backup_bytes);
	family(t, "branchq_retention_erased_total", "counter", "Rows whose personal data "
	    "retention erased since the daemon started: closed complaints (the customer's "
	    "name and phone) and surveys (the reason).");
	sample(t, "branchq_retention_erased_total", unum(b, m.m_retention_erased), NULL);
	one(t, "branchq_retention_last_run_timestamp_seconds", "gauge", "When the retention "
	    "sweep last ran, Unix time (0: not since the daemon started).", m.m_retention_run_at);
	(void)ms;
}

char *
metrics_render(const struct metrics_state *ms, size_t *len)
{
	struct mtext	t;

	t.mt_cap = 16384;
	t.mt_len = 0;
	if ((t.mt_buf = malloc(t.mt_cap)) == NULL)
		fatal("malloc");
	family(&t, "branchq_build_info", "gauge", "Always 1; the daemon's version as a label.");
	sample(&t, "branchq_build_info", "1", "version", BQ_VERSION, NULL);
	one(&t, "branchq_start_time_seconds", "gauge", "When the daemon started, Unix time on "
	    "the daemon clock.", m.m_started_at);
	queue_figures(&t, ms);
	one(&t, "branchq_followups_open", "gauge", "Complaints not closed (open or resolved, "
	    "the follow-up still to record), as report.followups counts them.",
	    ms->ms_followups_open);
	one(&t, "branchq_followups_overdue", "gauge", "Of those, the ones whose follow-up "
	    "deadline has passed.", ms->ms_followups_overdue);
	commit_figures(&t);
	request_figures(&t);
	stream_figures(&t, ms);
	outside_figures(&t, ms);
	*len = t.mt_len;
	return t.mt_buf;
}
