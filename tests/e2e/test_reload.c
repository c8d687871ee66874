/*
 * SIGHUP (issue 18): the configuration file read again and put into effect
 * without a restart or a dropped connection.  Whoever speaks for a removed
 * terminal, or one given another token, role or staff, is signed out; the
 * rest go on; a bad file changes nothing.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"

#define CASH		"cash_withdrawal"

static struct daemon *
start(const char *extra_config)
{
	struct daemon_opts	opts = { .http = "127.0.0.1:0", .extra_config = extra_config };

	return daemon_start(&opts);
}

/* The config file with its first `from` replaced by `to`. */
static void
config_replace(struct daemon *d, const char *from, const char *to)
{
	FILE	*f = fopen(d->d_config, "r");
	char	*text, *out, *p;
	long	 len;

	expect_that(f != NULL, NULL, "cannot read %s", d->d_config);
	fseek(f, 0, SEEK_END);
	len = ftell(f);
	rewind(f);
	text = calloc(1, (size_t)len + 1);
	out = calloc(1, (size_t)len + strlen(to) + 1);
	expect_that(text != NULL && out != NULL &&
	    fread(text, 1, (size_t)len, f) == (size_t)len, NULL, "cannot read the config");
	fclose(f);
	p = strstr(text, from);
	expect_that(p != NULL, NULL, "no %s in the config: %s", from, text);
	memcpy(out, text, (size_t)(p - text));
	strcat(out, to);
	strcat(out, p + strlen(from));
	config_write_text(d, out);
	free(text);
	free(out);
}

/* The connection still answers: a ping. */
static void
still_works(struct conn *c)
{
	cJSON_Delete(rq_ok(c, "{\"op\":\"ping\"}"));
}

/* The daemon tells it why and closes it. */
static void
signed_out(struct conn *c, const char *why)
{
	cJSON	*e = read_reply(c, reply_timeout_ms());

	expect_error(e, "unauthenticated");
	expect_that(strstr(jstr(e, "error.message"), why) != NULL, e,
	    "the message does not say \"%s\"", why);
	cJSON_Delete(e);
	expect_that(peer_closed(c, reply_timeout_ms()), NULL,
	    "the connection stays open after its terminal changed");
}

static void
hello_refused(struct daemon *d, const char *terminal, const char *token)
{
	struct conn	*c = conn_open(d);
	cJSON		*r = rq(c, "{\"op\":\"hello\",\"terminal\":\"%s\",\"token\":\"%s\","
			    "\"version\":1}", terminal, token);

	expect_error(r, "unauthenticated");
	cJSON_Delete(r);
	conn_close(c);
}

/* A token rotated: the old one's connections end, the new one signs in,
 * everyone else (a display subscribed to calls among them) goes on. */
static void
test_token_rotated(void **state)
{
	struct daemon	*d = start(NULL);
	struct conn	*t1 = login(d, "T01"), *t2 = login(d, "T02"), *disp = login(d, "D01");
	struct conn	*k = login(d, "K01"), *n;
	cJSON		*t, *e;

	(void)state;
	cJSON_Delete(rq_ok(disp, "{\"op\":\"subscribe\",\"topics\":[\"calls\"]}"));
	config_set_token(d, "T01", "tok-T01-rotated");
	expect_that(daemon_reload(d), NULL, "the reload was refused");
	signed_out(t1, "token");
	expect_that(daemon_log_contains(d, "reason=config_changed"), NULL,
	    "no disconnect line with the reason");
	hello_refused(d, "T01", "tok-T01");
	n = conn_open(d);
	hello_token(n, "T01", "tok-T01-rotated");
	/* The others never noticed: T02 calls a ticket and the display sees it. */
	t = issue(k, "loan", 0, NULL);
	cJSON_Delete(rq_ok(t2, "{\"op\":\"window.open\",\"window\":2,"
	    "\"lanes\":[\"counter\"]}"));
	cJSON_Delete(rq_ok(t2, "{\"op\":\"ticket.call_next\",\"window\":2}"));
	e = next_event_named(disp, "ticket.called", reply_timeout_ms());
	expect_str(e, "number", jstr(t, "number"));
	cJSON_Delete(e);
	cJSON_Delete(t);
	still_works(n);
	daemon_stop(d);
}

/* A terminal removed, one added, one given another role. */
static void
test_terminals_changed(void **state)
{
	struct daemon	*d = start(NULL);
	struct conn	*t2 = login(d, "T02"), *l = login(d, "L01"), *s = login(d, "S01");
	struct conn	*c;

	(void)state;
	config_remove_terminal(d, "T02");
	expect_that(daemon_reload(d), NULL, "the reload was refused");
	signed_out(t2, "removed");
	hello_refused(d, "T02", "tok-T02");
	still_works(l);

	/* L01 becomes a teller (same token, same staff): signed out too. */
	config_replace(d, "\"id\":\"L01\",\"role\":\"lobby\"",
	    "\"id\":\"L01\",\"role\":\"teller\"");
	expect_that(daemon_reload(d), NULL, "the reload was refused");
	signed_out(l, "role");
	c = login(d, "L01");
	still_works(c);
	still_works(s);
	daemon_stop(d);
}

/* Thresholds and authority limits: the next request uses the new ones. */
static void
test_thresholds_and_authority(void **state)
{
	struct daemon	*d = start(NULL);
	struct conn	*k = login(d, "K01"), *t = login(d, "T01");
	cJSON		*tk, *cp;
	long long	 id;

	(void)state;
	tk = issue(k, CASH, 1500000, NULL);
	expect_str(tk, "lane", "self_service");
	cJSON_Delete(tk);
	cp = rq_ok(t, "{\"op\":\"complaint.log\",\"category\":\"wait_time\",\"severity\":2,"
	    "\"description\":\"waited\",\"channel\":\"counter\"}");
	id = jint(cp, "complaint.id");
	cJSON_Delete(cp);
	rq_err(t, "over_authority", "{\"op\":\"complaint.action\",\"id\":%lld,"
	    "\"kind\":\"compensation\",\"note\":\"x\",\"amount_fen\":30000}", id);

	config_rewrite(d, "\"thresholds_fen\":{\"cash\":1000000},"
	    "\"authority_fen\":{\"teller\":50000}");
	expect_that(daemon_reload(d), NULL, "the reload was refused");
	tk = issue(k, CASH, 1500000, NULL);
	expect_str(tk, "lane", "counter");
	expect_str(tk, "route_rule", "over_threshold");
	cJSON_Delete(tk);
	cJSON_Delete(rq_ok(t, "{\"op\":\"complaint.action\",\"id\":%lld,"
	    "\"kind\":\"compensation\",\"note\":\"x\",\"amount_fen\":30000}", id));
	daemon_stop(d);
}

/* A bad file: every problem logged, nothing changes, nobody is signed out. */
static void
test_invalid_file_refused(void **state)
{
	struct daemon	*d = start(NULL);
	struct conn	*t = login(d, "T01"), *k = login(d, "K01");
	cJSON		*tk;

	(void)state;
	config_rewrite(d, "\"thresholds_fen\":{\"cash\":-5},\"max_recalls\":99");
	expect_that(!daemon_reload(d), NULL, "a bad file was taken");
	expect_that(daemon_log_contains(d, "thresholds_fen.cash"), NULL,
	    "the problem is not logged");
	expect_that(daemon_log_contains(d, "the configuration in use stays"), NULL,
	    "the refusal is not logged");
	still_works(t);
	tk = issue(k, CASH, 1500000, NULL);
	expect_str(tk, "lane", "self_service");	/* the old threshold */
	cJSON_Delete(tk);
	config_write_text(d, "{\"terminals\":[");
	expect_that(!daemon_reload(d), NULL, "broken JSON was taken");
	still_works(t);
	hello_refused(d, "T09", "tok-T09");
	still_works(k);
	daemon_stop(d);
}

/* What is fixed for the process: logged, kept. */
static void
test_fixed_keys_kept(void **state)
{
	struct daemon	*d = start(NULL);
	struct conn	*k = login(d, "K01");
	cJSON		*r;

	(void)state;
	/* 09:00 on 2026-11-23 in Shanghai is still the 22nd in New York: a
	 * zone that leaked into the process would move the business date. */
	config_replace(d, "Asia/Shanghai", "America/New_York");
	expect_that(daemon_reload(d), NULL, "the reload was refused");
	expect_that(daemon_log_contains(d, "key=timezone"), NULL, "the kept key is not logged");
	r = rq_ok(k, "{\"op\":\"queue.snapshot\"}");
	cJSON_Delete(r);
	r = rq_ok(conn_open(d), "{\"op\":\"hello\",\"terminal\":\"T01\",\"token\":\"tok-T01\","
	    "\"version\":1}");
	expect_str(r, "timezone", "Asia/Shanghai");
	expect_str(r, "business_date", "2026-11-23");
	cJSON_Delete(r);
	/* The same from a file refused for another reason. */
	config_rewrite(d, "\"max_recalls\":99");
	config_replace(d, "Asia/Shanghai", "America/New_York");
	expect_that(!daemon_reload(d), NULL, "a bad file was taken");
	r = rq_ok(conn_open(d), "{\"op\":\"hello\",\"terminal\":\"T01\",\"token\":\"tok-T01\","
	    "\"version\":1}");
	expect_str(r, "business_date", "2026-11-23");
	cJSON_Delete(r);
	daemon_stop(d);
}

/* HTTP: a changed terminal's browser session and stream end; a bearer's
 * stream for an unchanged terminal goes on. */
static void
test_http_sessions_and_streams(void **state)
{
	struct daemon	*d = start(NULL);
	struct hclient	*t = http_login(d, "T01"), *s = http_login(d, "S01");
	struct sse	*gone, *kept;
	struct conn	*k = login(d, "K01"), *t2 = login(d, "T02");
	cJSON		*tk;

	(void)state;
	gone = sse_open(d, "/api/v1/events?topics=calls", .bearer = "T01");
	kept = sse_open(d, "/api/v1/events?topics=calls", .bearer = "D01");
	expect_http_ok(hc_op(t, "queue.snapshot", "{}"));
	config_set_token(d, "T01", "tok-T01-rotated");
	expect_that(daemon_reload(d), NULL, "the reload was refused");
	expect_http_error(hc_op(t, "queue.snapshot", "{}"), 401, "unauthenticated");
	expect_http_ok(hc_op(s, "queue.snapshot", "{}"));
	expect_that(sse_closed(gone, reply_timeout_ms()), NULL,
	    "the stream of a rotated token goes on");
	tk = issue(k, "loan", 0, NULL);
	cJSON_Delete(rq_ok(t2, "{\"op\":\"window.open\",\"window\":2,"
	    "\"lanes\":[\"counter\"]}"));
	cJSON_Delete(rq_ok(t2, "{\"op\":\"ticket.call_next\",\"window\":2}"));
	sse_expect(kept, "ticket.called");
	cJSON_Delete(tk);
	daemon_stop(d);
}

/* Webhooks: a receiver added gets the next event; one removed has its
 * pending deliveries failed, as at start-up. */
static void
test_webhooks_changed(void **state)
{
	struct daemon	*d = start(NULL);
	struct conn	*s = login(d, "S01");
	cJSON		*r;

	(void)state;
	/* A port nothing listens on: deliveries stay pending, retrying. */
	config_rewrite(d, "\"webhooks\":[{\"url\":\"http://127.0.0.1:9/hook\","
	    "\"secret\":\"s\",\"events\":[\"complaint.logged\"]}]");
	expect_that(daemon_reload(d), NULL, "the reload was refused");
	cJSON_Delete(rq_ok(s, "{\"op\":\"complaint.log\",\"category\":\"wait_time\","
	    "\"severity\":2,\"description\":\"waited\",\"channel\":\"counter\"}"));
	r = rq_ok(s, "{\"op\":\"webhook.deliveries\",\"state\":\"all\"}");
	expect_int(r, "counts.pending", 1);
	cJSON_Delete(r);
	config_rewrite(d, NULL);
	expect_that(daemon_reload(d), NULL, "the reload was refused");
	r = rq_ok(s, "{\"op\":\"webhook.deliveries\",\"state\":\"all\"}");
	expect_int(r, "counts.pending", 0);
	expect_int(r, "counts.failed", 1);
	cJSON_Delete(r);
	still_works(s);
	daemon_stop(d);
}

/* Several reloads in a row, the old configurations freed (valgrind sees). */
static void
test_many_reloads(void **state)
{
	struct daemon	*d = start(NULL);
	struct conn	*t = login(d, "T01");
	int		 i;

	(void)state;
	for (i = 0; i < 5; i++) {
		config_rewrite(d, i % 2 ? "\"max_recalls\":1" : "\"max_recalls\":3");
		expect_that(daemon_reload(d), NULL, "reload %d was refused", i);
	}
	still_works(t);
	daemon_stop(d);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_token_rotated, harness_teardown),
		cmocka_unit_test_teardown(test_terminals_changed, harness_teardown),
		cmocka_unit_test_teardown(test_thresholds_and_authority, harness_teardown),
		cmocka_unit_test_teardown(test_invalid_file_refused, harness_teardown),
		cmocka_unit_test_teardown(test_fixed_keys_kept, harness_teardown),
		cmocka_unit_test_teardown(test_http_sessions_and_streams, harness_teardown),
		cmocka_unit_test_teardown(test_webhooks_changed, harness_teardown),
		cmocka_unit_test_teardown(test_many_reloads, harness_teardown),
	};

	return cmocka_run_group_tests_name("e2e_reload", tests, NULL, NULL);
}
