/*
 * End-to-end: GET /metrics (PROTOCOL "Metrics", issue 18): who may read it
 * (a supervisor's bearer or session; anyone with "metrics_public"), its
 * content type, every family with its HELP and TYPE, a checker of the
 * exposition format on every scrape, and the values after known actions:
 * tickets issued by lane and rule, waiting and the oldest wait on the test
 * clock, windows, follow-ups open and overdue, connections by transport,
 * the commit histogram, the webhook backlog, and the figures kept beside
 * the data surviving a restart.  /healthz is tested in test_http.c.
 */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "harness.h"

#define METRICS_TYPE	"text/plain; version=0.0.4; charset=utf-8"
#define LOG_REQ		"{\"op\":\"complaint.log\",\"category\":\"wait_time\",\"severity\":2," \
			"\"description\":\"waited 40 minutes\",\"channel\":\"counter\"}"
/* A receiver that refuses connections (the discard port): deliveries stay pending. */
#define WEBHOOKS	"\"webhooks\":[{\"url\":\"http://127.0.0.1:9/h\",\"secret\":\"s\"," \
			"\"events\":[\"complaint.logged\"]}]"

/* PROTOCOL Metrics: the families every scrape has. */
static const char *const required[][2] = {
	{ "branchq_tickets_issued_total", "counter" },
	{ "branchq_tickets_waiting", "gauge" },
	{ "branchq_oldest_wait_seconds", "gauge" },
	{ "branchq_windows_open", "gauge" },
	{ "branchq_followups_open", "gauge" },
	{ "branchq_followups_overdue", "gauge" },
	{ "branchq_commit_seconds", "histogram" },
	{ "branchq_connections", "gauge" },
	{ "branchq_webhook_backlog", "gauge" },
	{ "branchq_hq_backlog", "gauge" },
	{ "branchq_hq_lag_seconds", "gauge" },
	{ "branchq_hq_connected", "gauge" },
	{ "branchq_hq_events_shipped_total", "counter" },
	{ "branchq_hq_failures_total", "counter" },
	{ "branchq_hq_longest_step_seconds", "gauge" },
	{ "branchq_build_info", "gauge" },
	{ "branchq_start_time_seconds", "gauge" },
	{ "branchq_requests_total", "counter" },
	{ "branchq_request_errors_total", "counter" },
	{ "branchq_auth_failures_total", "counter" },
	{ "branchq_auth_lockouts_total", "counter" },
	{ "branchq_events_published_total", "counter" },
	{ "branchq_subscribers_dropped_total", "counter" },
	{ "branchq_webhook_deliveries_total", "counter" },
	{ "branchq_backup_last_success_timestamp_seconds", "gauge" },
	{ "branchq_backup_failures_total", "counter" },
	{ "branchq_backup_last_bytes", "gauge" },
	{ "branchq_retention_erased_total", "counter" },
	{ "branchq_retention_last_run_timestamp_seconds", "gauge" },
};

/* ---- the exposition format, checked ---- */

#define MAX_FAMILIES	128

struct family {
	char	f_name[128];
	char	f_type[16];
	bool	f_help;
};

static bool
name_ok(const char *s, size_t n, bool metric)
{
	size_t	i;

	if (n == 0)
		return false;
	for (i = 0; i < n; i++) {
		if (isalpha((unsigned char)s[i]) || s[i] == '_' || (metric && s[i] == ':'))
			continue;
		if (i > 0 && isdigit((unsigned char)s[i]))
			continue;
		return false;
	}
	return true;
}

static struct family *
family_find(struct family *fs, size_t n, const char *name, size_t len)
{
	size_t	i;

	for (i = 0; i < n; i++)
		if (strlen(fs[i].f_name) == len && strncmp(fs[i].f_name, name, len) == 0)
			return &fs[i];
	return NULL;
}

/* The family a sample belongs to: its name, or a histogram's without the suffix. */
static struct family *
sample_family(struct family *fs, size_t n, const char *name, size_t len)
{
	static const char *const suffixes[] = { "_bucket", "_sum", "_count" };
	struct family	*f;
	size_t		 i, sl;

	if ((f = family_find(fs, n, name, len)) != NULL && strcmp(f->f_type, "histogram") != 0)
		return f;
	for (i = 0; i < 3; i++) {
		sl = strlen(suffixes[i]);
		if (len > sl && strncmp(name + len - sl, suffixes[i], sl) == 0 &&
		    (f = family_find(fs, n, name, len - sl)) != NULL &&
		    strcmp(f->f_type, "histogram") == 0)
			return f;
	}
	return NULL;
}

/*
 * Every line a HELP, a TYPE or a sample `name{label="value",...} value`;
 * names valid; label values quoted with only \\, \" and \n escaped; each
 * family's HELP and TYPE once, before its samples; every sample of a
 * declared family; no series twice.
 */
static void
check_exposition(const struct hresp *r)
{
	struct family	*fs = calloc(MAX_FAMILIES, sizeof *fs), *f;
	const char	*p = r->hr_body, *end, *q, *nl;
	char		 line[1024], *series[4096], *v;
	size_t		 nf = 0, ns = 0, len, i;
	double		 value;

	expect_http(r->hr_body_len > 0 && r->hr_body[r->hr_body_len - 1] == '\n', r,
	    "the exposition must end with a newline");
	while (*p != '\0') {
		nl = strchr(p, '\n');
		expect_http(nl != NULL, r, "a line without its newline");
		len = (size_t)(nl - p);
		expect_http(len > 0 && len < sizeof line, r, "an empty or too long line");
		memcpy(line, p, len);
		line[len] = '\0';
		p = nl + 1;
		if (strncmp(line, "# HELP ", 7) == 0 || strncmp(line, "# TYPE ", 7) == 0) {
			q = line + 7;
			len = strcspn(q, " ");
			expect_http(name_ok(q, len, true) && q[len] == ' ' && q[len + 1] != '\0',
			    r, "bad comment line: %s", line);
			if ((f = family_find(fs, nf, q, len)) == NULL) {
				expect_http(nf < MAX_FAMILIES, r, "too many families");
				f = &fs[nf++];
				memcpy(f->f_name, q, len);
			}
			if (line[2] == 'H') {
				expect_http(!f->f_help, r, "HELP twice for %s", f->f_name);
				expect_http(f->f_type[0] == '\0', r, "HELP after TYPE for %s",
				    f->f_name);
				f->f_help = true;
			} else {
				expect_http(f->f_type[0] == '\0', r, "TYPE twice for %s", f->f_name);
				q += len + 1;
				expect_http(strcmp(q, "counter") == 0 || strcmp(q, "gauge") == 0 ||
				    strcmp(q, "histogram") == 0, r, "TYPE %s for %s", q, f->f_name);
				snprintf(f->f_type, sizeof f->f_type, "%s", q);
			}
			continue;
		}
		expect_http(line[0] != '#', r, "a comment other than HELP or TYPE: %s", line);
		len = strcspn(line, "{ ");
		expect_http(name_ok(line, len, true), r, "bad metric name: %s", line);
		f = sample_family(fs, nf, line, len);
		expect_http(f != NULL && f->f_help && f->f_type[0] != '\0', r,
		    "a sample of no family declared (HELP and TYPE) before it: %s", line);
		q = line + len;
		if (*q == '{') {
			q++;
			while (*q != '}') {
				len = strcspn(q, "=");
				expect_http(name_ok(q, len, false) && q[len] == '=' &&
				    q[len + 1] == '"', r, "bad label in %s", line);
				q += len + 2;
				while (*q != '"') {
					expect_http(*q != '\0' && *q != '\n', r, "unterminated "
					    "label value in %s", line);
					if (*q == '\\') {
						q++;
						expect_http(*q == '\\' || *q == '"' || *q == 'n', r,
						    "bad escape in %s", line);
					}
					q++;
				}
				q++;
				expect_http(*q == ',' || *q == '}', r, "bad label list in %s", line);
				if (*q == ',')
					q++;
			}
			q++;
		}
		expect_http(*q == ' ', r, "no space before the value: %s", line);
		end = q + 1;
		if (strcmp(end, "+Inf") != 0 && strcmp(end, "-Inf") != 0 &&
		    strcmp(end, "NaN") != 0) {
			value = strtod(end, &v);
			expect_http(*end != '\0' && *v == '\0' && isfinite(value), r,
			    "bad value: %s", line);
		}
		/* the series, once */
		len = (size_t)(q - line);
		for (i = 0; i < ns; i++)
			expect_http(strlen(series[i]) != len || strncmp(series[i], line, len) != 0,
			    r, "series twice: %s", line);
		expect_http(ns < sizeof series / sizeof series[0], r, "too many series");
		series[ns] = strndup(line, len);
		ns++;
	}
	for (i = 0; i < nf; i++)
		expect_http(fs[i].f_help && fs[i].f_type[0] != '\0', r, "%s lacks HELP or TYPE",
		    fs[i].f_name);
	for (i = 0; i < ns; i++)
		free(series[i]);
	free(fs);
}

/* The value of one series ("name" or "name{labels}" exactly as rendered), or NAN. */
static double
series_value(const struct hresp *r, const char *series)
{
	size_t		 n = strlen(series);
	const char	*p = r->hr_body;

	while (p != NULL && *p != '\0') {
		if (strncmp(p, series, n) == 0 && p[n] == ' ')
			return strtod(p + n + 1, NULL);
		if ((p = strchr(p, '\n')) != NULL)
			p++;
	}
	return NAN;
}

static struct hresp *
scrape(struct daemon *d)
{
	struct hresp	*r = http_rq(d, "GET", "/metrics", .bearer = "S01");

	expect_http_status(r, 200);
	expect_header(r, "Content-Type", METRICS_TYPE);
	check_exposition(r);
	return r;
}

#define expect_metric(d, series, want) h_expect_metric(__FILE__, __LINE__, (d), (series), (want))
static void
h_expect_metric(const char *file, int line, struct daemon *d, const char *series, double want)
{
	struct hresp	*r = scrape(d);
	double		 v = series_value(r, series);

	if (v != want) {
		hresp_print(r);
		fail_msg("%s:%d: %s is %g, want %g", file, line, series, v, want);
	}
	hresp_free(r);
}

/* For a figure that changes after the reply (a connection the daemon has
 * yet to see closed): scrapes until it is want, or the reply time passes. */
#define wait_metric(d, series, want) h_wait_metric(__FILE__, __LINE__, (d), (series), (want))
static void
h_wait_metric(const char *file, int line, struct daemon *d, const char *series, double want)
{
	struct timespec	 ts = { 0, 20 * 1000 * 1000 };
	struct hresp	*r;
	double		 v = NAN;
	int		 waited;

	for (waited = 0; waited < reply_timeout_ms(); waited += 20) {
		r = scrape(d);
		v = series_value(r, series);
		hresp_free(r);
		if (v == want)
			return;
		nanosleep(&ts, NULL);
	}
	fail_msg("%s:%d: %s is %g, want %g", file, line, series, v, want);
}

static struct daemon *
start(const char *extra_config)
{
	struct daemon_opts	opts = { .http = "127.0.0.1:0", .extra_config = extra_config };

	return daemon_start(&opts);
}

/* ---- who may read it ---- */

static void
test_auth(void **state)
{
	struct daemon	*d = start(NULL);
	struct hclient	*sup, *teller;
	struct hresp	*r;

	(void)state;
	expect_http_error(http_rq(d, "GET", "/metrics"), 401, "unauthenticated");
	expect_http_error(http_rq(d, "GET", "/metrics", .bearer = "T01"), 403, "forbidden");
	expect_http_error(http_rq(d, "GET", "/metrics", .bearer = "D01"), 403, "forbidden");
	expect_http_error(http_rq(d, "GET", "/metrics", .bearer = "K01"), 403, "forbidden");
	expect_http_error(http_rq(d, "GET", "/metrics", .auth = "Bearer S01:wrong"), 401,
	    "unauthenticated");
	expect_http_error(http_rq(d, "GET", "/metrics", .cookie = "bq_session=nonsense"), 401,
	    "unauthenticated");
	r = scrape(d);
	expect_header(r, "Cache-Control", "no-store");
	/* a session: the supervisor's page could read it; a teller's cannot */
	sup = http_login(d, "S01");
	r = http_rq(d, "GET", "/metrics", .client = sup);
	expect_http_status(r, 200);
	expect_header(r, "Content-Type", METRICS_TYPE);
	teller = http_login(d, "T01");
	expect_http_error(http_rq(d, "GET", "/metrics", .client = teller), 403, "forbidden");
	/* HEAD as the other GET routes; no other method */
	r = http_rq(d, "HEAD", "/metrics", .bearer = "S01");
	expect_http_status(r, 200);
	expect_header(r, "Content-Type", METRICS_TYPE);
	expect_http(r->hr_body_len == 0, r, "HEAD has no body");
	r = http_rq(d, "POST", "/metrics", .bearer = "S01", .body = "{}");
	expect_http_error(r, 405, "method_not_allowed");
	expect_header_has(r, "Allow", "GET, HEAD");
	daemon_stop(d);
}

static void
test_public(void **state)
{
	struct daemon	*d = start("\"metrics_public\":true");
	struct hresp	*r;

	(void)state;
	r = http_rq(d, "GET", "/metrics");
	expect_http_status(r, 200);
	expect_header(r, "Content-Type", METRICS_TYPE);
	check_exposition(r);
	expect_http_status(http_rq(d, "GET", "/metrics", .bearer = "T01"), 200);
	/* a wrong token is still refused, public or not */
	expect_http_error(http_rq(d, "GET", "/metrics", .auth = "Bearer S01:wrong"), 401,
	    "unauthenticated");
	daemon_stop(d);
}

/* ---- the families ---- */

static void
test_families(void **state)
{
	struct daemon	*d = start(NULL);
	struct hresp	*r = scrape(d);
	char		 want[256];
	double		 prev = -1, v, inf;
	const char	*p;
	size_t		 i, nbuckets = 0;

	(void)state;
	for (i = 0; i < sizeof required / sizeof required[0]; i++) {
		snprintf(want, sizeof want, "\n# TYPE %s %s\n", required[i][0], required[i][1]);
		expect_http(strstr(r->hr_body, want) != NULL, r, "no %s of type %s",
		    required[i][0], required[i][1]);
		snprintf(want, sizeof want, "# HELP %s ", required[i][0]);
		expect_http(strstr(r->hr_body, want) != NULL, r, "no HELP for %s",
		    required[i][0]);
	}
	/* the labels PROTOCOL names, for every lane and transport */
	expect_http(series_value(r, "branchq_tickets_waiting{lane=\"counter\"}") == 0, r, "waiting");
	expect_http(series_value(r, "branchq_tickets_issued_total{lane=\"vip\",rule=\"vip\"}") ==
	    0, r, "issued");
	expect_http(series_value(r, "branchq_oldest_wait_seconds{lane=\"express\"}") == 0, r,
	    "oldest wait");
	expect_http(series_value(r, "branchq_connections{transport=\"tcp\"}") == 0, r, "tcp");
	expect_http(series_value(r, "branchq_connections{transport=\"http\"}") == 1, r,
	    "the scrape's own connection");
	expect_http(series_value(r, "branchq_connections{transport=\"sse\"}") == 0, r, "sse");
	expect_http(series_value(r, "branchq_hq_backlog") == 0 &&
	    series_value(r, "branchq_hq_lag_seconds") == 0, r, "no head office: 0");
	expect_http(strstr(r->hr_body, "# HELP branchq_hq_backlog ") != NULL &&
	    strstr(strstr(r->hr_body, "# HELP branchq_hq_backlog "), "no head office") != NULL,
	    r, "the head office's HELP says none is configured");
	expect_http(series_value(r, "branchq_start_time_seconds") == 1795395600, r,
	    "started at the test clock's start (2026-11-23T01:00:00Z)");
	expect_http(strstr(r->hr_body, "\nbranchq_build_info{version=\"") != NULL, r,
	    "build info");
	/* the histogram: buckets from 0.0005 s to 1 s, cumulative, +Inf = _count */
	for (p = strstr(r->hr_body, "\nbranchq_commit_seconds_bucket{le=\""); p != NULL;
	    p = strstr(p + 1, "\nbranchq_commit_seconds_bucket{le=\"")) {
		v = strtod(strchr(p, '}') + 2, NULL);
		expect_http(v >= prev, r, "the buckets are not cumulative");
		prev = v;
		if (nbuckets++ == 0)
			expect_http(strncmp(p, "\nbranchq_commit_seconds_bucket{le=\"0.0005\"}",
			    43) == 0, r, "the first bucket is 0.0005 s");
	}
	expect_http(nbuckets >= 8, r, "only %zu buckets", nbuckets);
	expect_http(series_value(r, "branchq_commit_seconds_bucket{le=\"1\"}") <=
	    series_value(r, "branchq_commit_seconds_bucket{le=\"+Inf\"}"), r, "1 s bucket");
	inf = series_value(r, "branchq_commit_seconds_bucket{le=\"+Inf\"}");
	expect_http(inf == series_value(r, "branchq_commit_seconds_count") && inf >= 1, r,
	    "_count is the +Inf bucket, and the start-up committed something");
	expect_http(series_value(r, "branchq_commit_seconds_sum") >= 0, r, "_sum");
	daemon_stop(d);
}

/* ---- values after known actions ---- */

static void
test_queue_values(void **state)
{
	struct daemon	*d = start("\"follow_up_hours\":1");
	struct conn	*k = login(d, "K01"), *s = login(d, "S01"), *t = login(d, "T01");
	struct conn	*extra;
	cJSON		*a, *b, *c, *r;
	char		 sa[128], sc[128];
	struct hresp	*h;
	struct sse	*ev;
	double		 published, commits;

	(void)state;
	a = issue(k, "loan", 0, NULL);
	b = issue(k, "loan", 0, NULL);
	c = issue(k, "cash_withdrawal", 150000, NULL);
	expect_str(a, "lane", "counter");
	expect_str(c, "lane", "self_service");
	snprintf(sa, sizeof sa, "branchq_tickets_issued_total{lane=\"%s\",rule=\"%s\"}",
	    jstr(a, "lane"), jstr(a, "route_rule"));
	snprintf(sc, sizeof sc, "branchq_tickets_issued_total{lane=\"%s\",rule=\"%s\"}",
	    jstr(c, "lane"), jstr(c, "route_rule"));
	expect_metric(d, sa, 2);
	expect_metric(d, sc, 1);
	expect_metric(d, "branchq_tickets_waiting{lane=\"counter\"}", 2);
	expect_metric(d, "branchq_tickets_waiting{lane=\"express\"}", 0);
	expect_metric(d, "branchq_tickets_diverted", 1);
	expect_metric(d, "branchq_oldest_wait_seconds{lane=\"counter\"}", 0);
	/* the daemon clock moves: the oldest wait with it */
	advance(s, 300);
	expect_metric(d, "branchq_oldest_wait_seconds{lane=\"counter\"}", 300);
	expect_metric(d, "branchq_oldest_wait_seconds{lane=\"vip\"}", 0);
	/* a window opens, and is paused */
	expect_metric(d, "branchq_windows_open", 0);
	cJSON_Delete(rq_ok(t, "{\"op\":\"window.open\",\"window\":3,\"lanes\":[\"counter\"]}"));
	expect_metric(d, "branchq_windows_open", 1);
	cJSON_Delete(rq_ok(t, "{\"op\":\"ticket.call_next\"}"));
	expect_metric(d, "branchq_tickets_waiting{lane=\"counter\"}", 1);
	cJSON_Delete(rq_ok(t, "{\"op\":\"window.pause\"}"));
	expect_metric(d, "branchq_windows_paused", 1);
	/* requests by transport and op, errors by code, over both transports */
	expect_metric(d, "branchq_requests_total{transport=\"tcp\",op=\"ticket.issue\"}", 3);
	cJSON_Delete(rq(t, "{\"op\":\"no.such\"}"));
	expect_metric(d, "branchq_request_errors_total{transport=\"tcp\",code=\"unknown_op\"}", 1);
	expect_metric(d, "branchq_requests_total{transport=\"tcp\",op=\"unknown\"}", 1);
	expect_http_ok(http_op(d, "K01", "ticket.issue", "{\"service\":\"loan\"}"));
	expect_metric(d, "branchq_requests_total{transport=\"http\",op=\"ticket.issue\"}", 1);
	expect_metric(d, sa, 3);
	/* a refused sign-in */
	expect_metric(d, "branchq_auth_failures_total", 0);
	extra = conn_open(d);
	r = rq(extra, "{\"op\":\"hello\",\"terminal\":\"T01\",\"token\":\"wrong\"}");
	expect_error(r, "unauthenticated");
	cJSON_Delete(r);
	expect_metric(d, "branchq_auth_failures_total", 1);
	/* connections: K01, S01, T01 and extra; one closes */
	expect_metric(d, "branchq_connections{transport=\"tcp\"}", 4);
	conn_close(extra);
	wait_metric(d, "branchq_connections{transport=\"tcp\"}", 3);
	ev = sse_open(d, "/api/v1/events?topics=calls", .bearer = "D01");
	expect_http_status(ev->ss_resp, 200);
	expect_metric(d, "branchq_connections{transport=\"sse\"}", 1);
	expect_metric(d, "branchq_connections{transport=\"http\"}", 2);
	sse_close(ev);
	wait_metric(d, "branchq_connections{transport=\"sse\"}", 0);
	/* events and commits were counted */
	h = scrape(d);
	published = series_value(h, "branchq_events_published_total");
	commits = series_value(h, "branchq_commit_seconds_count");
	expect_http(published >= 1 && commits >= 5, h, "events %g (the call), commits %g",
	    published, commits);
	cJSON_Delete(rq_ok(t, "{\"op\":\"window.resume\"}"));
	cJSON_Delete(rq_ok(t, "{\"op\":\"ticket.recall\",\"number\":\"%s\"}", jstr(a, "number")));
	h = scrape(d);
	expect_http(series_value(h, "branchq_events_published_total") == published + 1 &&
	    series_value(h, "branchq_commit_seconds_count") >= commits + 2, h,
	    "two changes are two commits more; the recall one event more");
	cJSON_Delete(a);
	cJSON_Delete(b);
	cJSON_Delete(c);
	daemon_stop(d);
}

static void
test_followups(void **state)
{
	struct daemon	*d = start("\"follow_up_hours\":1");
	struct conn	*s = login(d, "S01"), *t = login(d, "T01");
	cJSON		*r;
	long long	 id, id2;

	(void)state;
	expect_metric(d, "branchq_followups_open", 0);
	r = rq_ok(t, LOG_REQ);
	id = jint(r, "complaint.id");
	cJSON_Delete(r);
	r = rq_ok(t, LOG_REQ);
	id2 = jint(r, "complaint.id");
	cJSON_Delete(r);
	expect_metric(d, "branchq_followups_open", 2);
	expect_metric(d, "branchq_followups_overdue", 0);
	/* resolved is still open: the follow-up is to come */
	cJSON_Delete(rq_ok(t, "{\"op\":\"complaint.resolve\",\"id\":%lld,\"resolution\":\"sorry\","
	    "\"root_cause\":\"system\"}", id2));
	expect_metric(d, "branchq_followups_open", 2);
	/* past the deadline: the daemon marks both overdue by itself */
	advance(s, 3601);
	expect_metric(d, "branchq_followups_overdue", 2);
	expect_metric(d, "branchq_followups_open", 2);
	/* satisfied closes one (and its overdue mark); unsatisfied reopens the other */
	cJSON_Delete(rq_ok(t, "{\"op\":\"followup.record\",\"id\":%lld,\"outcome\":\"satisfied\","
	    "\"note\":\"ok\"}", id));
	expect_metric(d, "branchq_followups_open", 1);
	expect_metric(d, "branchq_followups_overdue", 1);
	cJSON_Delete(rq_ok(t, "{\"op\":\"followup.record\",\"id\":%lld,\"outcome\":\"unsatisfied\","
	    "\"note\":\"no\"}", id2));
	expect_metric(d, "branchq_followups_open", 1);
	expect_metric(d, "branchq_followups_overdue", 0);
	advance(s, 3601);
	expect_metric(d, "branchq_followups_overdue", 1);
	/* counted from the database at start-up */
	daemon_stop(d);
	daemon_restart(d);
	expect_metric(d, "branchq_followups_open", 1);
	expect_metric(d, "branchq_followups_overdue", 1);
	daemon_stop(d);
}

static void
test_webhook_backlog(void **state)
{
	struct daemon	*d = start(WEBHOOKS);
	struct conn	*t = login(d, "T01");

	(void)state;
	expect_metric(d, "branchq_webhook_backlog", 0);
	cJSON_Delete(rq_ok(t, LOG_REQ));
	cJSON_Delete(rq_ok(t, LOG_REQ));
	/* the receiver refuses: both stay pending, retried */
	expect_metric(d, "branchq_webhook_backlog", 2);
	wait_metric(d, "branchq_webhook_attempts_failed_total", 1);
	expect_metric(d, "branchq_webhook_backlog", 2);
	daemon_stop(d);
	daemon_restart(d);
	expect_metric(d, "branchq_webhook_backlog", 2);
	daemon_stop(d);
}

/* A change the database refuses counts nothing: the figures are the committed ones. */
static void
test_refused_change(void **state)
{
	struct daemon	*d = start(NULL);
	struct conn	*k = login(d, "K01"), *s = login(d, "S01");
	struct hresp	*h;
	cJSON		*r;

	(void)state;
	cJSON_Delete(issue(k, "loan", 0, NULL));
	cJSON_Delete(rq_ok(s, "{\"op\":\"test.fault\",\"fault\":\"io_error\"}"));
	r = rq(k, "{\"op\":\"ticket.issue\",\"service\":\"loan\"}");
	expect_error(r, "unavailable");
	cJSON_Delete(r);
	cJSON_Delete(rq_ok(s, "{\"op\":\"test.fault\",\"fault\":\"none\"}"));
	h = scrape(d);
	expect_http(series_value(h, "branchq_tickets_issued_total{lane=\"counter\","
	    "rule=\"not_divertible\"}") + series_value(h, "branchq_tickets_issued_total{"
	    "lane=\"counter\",rule=\"counter_idle\"}") == 1, h, "one ticket issued, not two");
	expect_http(series_value(h, "branchq_tickets_waiting{lane=\"counter\"}") == 1, h,
	    "one waiting");
	daemon_stop(d);
}

/* ---- docs/grafana-dashboard.json ---- */

static char *
read_file(const char *path)
{
	FILE	*f = fopen(path, "r");
	char	*buf;
	long	 n;

	if (f == NULL)
		fail_msg("cannot open %s (run the tests from the repository's top)", path);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	buf = malloc((size_t)n + 1);
	if (buf == NULL || fread(buf, 1, (size_t)n, f) != (size_t)n)
		fail_msg("cannot read %s", path);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

/*
 * Valid JSON, importable (the datasource an input, DS_PROMETHEUS), and
 * every metric its queries name is one the daemon exports: a renamed
 * metric cannot leave a panel empty.  The panels PROTOCOL's figures need
 * are there.
 */
static void
test_dashboard(void **state)
{
	static const char *const wanted[] = { "branchq_tickets_issued_total",
	    "branchq_tickets_waiting", "branchq_oldest_wait_seconds", "branchq_windows_open",
	    "branchq_followups_open", "branchq_followups_overdue",
	    "branchq_commit_seconds_bucket", "branchq_connections", "branchq_webhook_backlog",
	    "branchq_hq_backlog", "branchq_hq_lag_seconds",
	    "branchq_backup_last_success_timestamp_seconds", "branchq_retention_erased_total",
	    NULL };
	struct daemon	*d = start(NULL);
	struct hresp	*r = scrape(d);
	char		*text = read_file("docs/grafana-dashboard.json"), name[128], *all;
	cJSON		*dash = cJSON_Parse(text), *panel, *target;
	const char	*expr, *p, *uid;
	size_t		 n, i, ntargets = 0, allen = 0;
	char		 line[160];

	(void)state;
	expect_that(dash != NULL, NULL, "docs/grafana-dashboard.json is not valid JSON (near "
	    "%.40s)", cJSON_GetErrorPtr() != NULL ? cJSON_GetErrorPtr() : "?");
	expect_str(dash, "__inputs.0.name", "DS_PROMETHEUS");
	expect_str(dash, "__inputs.0.pluginId", "prometheus");
	all = calloc(1, 1);
	cJSON_ArrayForEach(panel, cJSON_GetObjectItemCaseSensitive(dash, "panels")) {
		if (strcmp(jstr(panel, "type"), "row") == 0)
			continue;
		uid = jstr(panel, "datasource.uid");
		expect_that(uid != NULL && strcmp(uid, "${DS_PROMETHEUS}") == 0, panel,
		    "a panel not on the DS_PROMETHEUS input");
		cJSON_ArrayForEach(target, cJSON_GetObjectItemCaseSensitive(panel, "targets")) {
			expr = jstr(target, "expr");
			expect_that(expr != NULL && *expr != '\0', panel, "a target without expr");
			ntargets++;
			all = realloc(all, allen + strlen(expr) + 2);
			memcpy(all + allen, expr, strlen(expr));
			allen += strlen(expr);
			all[allen++] = '\n';
			all[allen] = '\0';
			for (p = strstr(expr, "branchq_"); p != NULL; p = strstr(p + n, "branchq_")) {
				n = strspn(p, "abcdefghijklmnopqrstuvwxyz0123456789_");
				expect_that(n < sizeof name, panel, "a long name");
				memcpy(name, p, n);
				name[n] = '\0';
				snprintf(line, sizeof line, "\n%s{", name);
				expect_http(strstr(r->hr_body, line) != NULL ||
				    (snprintf(line, sizeof line, "\n%s ", name),
				    strstr(r->hr_body, line) != NULL), r, "the dashboard's %s is not "
				    "a metric the daemon exports", name);
			}
		}
	}
	expect_that(ntargets >= 15, dash, "only %zu queries", ntargets);
	for (i = 0; wanted[i] != NULL; i++)
		expect_that(strstr(all, wanted[i]) != NULL, NULL, "no panel shows %s", wanted[i]);
	free(all);
	cJSON_Delete(dash);
	free(text);
	daemon_stop(d);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_auth, harness_teardown),
		cmocka_unit_test_teardown(test_public, harness_teardown),
		cmocka_unit_test_teardown(test_families, harness_teardown),
		cmocka_unit_test_teardown(test_queue_values, harness_teardown),
		cmocka_unit_test_teardown(test_followups, harness_teardown),
		cmocka_unit_test_teardown(test_webhook_backlog, harness_teardown),
		cmocka_unit_test_teardown(test_refused_change, harness_teardown),
		cmocka_unit_test_teardown(test_dashboard, harness_teardown),
	};

	return cmocka_run_group_tests_name("e2e_metrics", tests, NULL, NULL);
}
