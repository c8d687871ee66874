/*
 * Group commit end to end: requests that arrive together (pipelined in one
 * write, and from several connections) are committed in one transaction,
 * each change in its own savepoint.  A refused request does not take its
 * neighbours with it; replies keep their order per connection; nothing is
 * replied before the commit, so a commit that fails refuses every change
 * of the group and leaves nothing behind.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

/* Sends lines in one write(): the daemon reads them in one loop iteration. */
static void
pipeline(struct conn *c, const char *const *lines, size_t n)
{
	char	buf[4096];
	size_t	len = 0, i;

	for (i = 0; i < n; i++)
		len += (size_t)snprintf(buf + len, sizeof buf - len, "%s\n", lines[i]);
	send_raw(c, buf, len);
}

static void
test_refused_neighbour_keeps_the_others(void **state)
{
	static const char *const lines[] = {
		"{\"id\":1,\"op\":\"ticket.issue\",\"service\":\"loan\"}",
		"{\"id\":2,\"op\":\"ticket.issue\",\"service\":\"cash_withdrawal\"}",
		"{\"id\":3,\"op\":\"ticket.issue\",\"service\":\"loan\"}",
		"{\"id\":4,\"op\":\"ticket.cancel\",\"number\":\"A099\"}",
		"{\"id\":5,\"op\":\"ticket.cancel\",\"number\":\"A001\"}",
		"{\"id\":6,\"op\":\"ticket.cancel\",\"number\":\"A001\"}",
		"{\"id\":7,\"op\":\"ticket.issue\",\"service\":\"loan\"}",
	};
	struct daemon	*d = daemon_start(NULL);
	struct conn	*k = login(d, "K01"), *l = login(d, "L01");
	cJSON		*r;
	char		*st;
	int		 i;

	(void)state;
	r = issue(k, "loan", 0, NULL);
	expect_str(r, "number", "A001");
	cJSON_Delete(r);
	/* The kiosk's issues and the lobby's cancels in one iteration. */
	pipeline(k, lines, 3);
	pipeline(l, lines + 3, 3);
	pipeline(k, lines + 6, 1);
	for (i = 1; i <= 3; i++) {
		r = read_reply(k, reply_timeout_ms());
		expect_int(r, "id", i);
		if (i == 2)
			expect_bad_request(r, "amount_fen");
		else
			expect_str(r, "ticket.number", i == 1 ? "A002" : "A003");
		cJSON_Delete(r);
	}
	r = read_reply(l, reply_timeout_ms());
	expect_int(r, "id", 4);
	expect_error(r, "not_found");
	cJSON_Delete(r);
	r = read_reply(l, reply_timeout_ms());
	expect_int(r, "id", 5);
	expect_str(r, "ticket.status", "cancelled");
	cJSON_Delete(r);
	r = read_reply(l, reply_timeout_ms());
	expect_int(r, "id", 6);
	expect_error(r, "conflict");
	cJSON_Delete(r);
	r = read_reply(k, reply_timeout_ms());
	expect_int(r, "id", 7);
	expect_str(r, "ticket.number", "A004");
	cJSON_Delete(r);

	/* All of it on disk, the refusals changing nothing: after a crash too. */
	daemon_kill(d);
	st = db_ticket_status(d, "2026-11-23", "A001");
	expect_that(st != NULL && strcmp(st, "cancelled") == 0, NULL, "A001 is %s", st);
	free(st);
	st = db_ticket_status(d, "2026-11-23", "A004");
	expect_that(st != NULL && strcmp(st, "waiting") == 0, NULL, "A004 is %s", st);
	free(st);
	st = db_ticket_status(d, "2026-11-23", "A005");
	expect_that(st == NULL, NULL, "A005 exists: %s", st);
	free(st);
	daemon_restart(d);
	k = login(d, "K01");
	r = issue(k, "loan", 0, NULL);
	expect_str(r, "number", "A005");
	cJSON_Delete(r);
	daemon_stop(d);
}

/* A commit that fails refuses the whole group, and memory follows the disk. */
static void
test_failed_commit_refuses_the_group(void **state)
{
	static const char *const lines[] = {
		"{\"id\":1,\"op\":\"ticket.issue\",\"service\":\"loan\"}",
		"{\"id\":2,\"op\":\"queue.snapshot\"}",
		"{\"id\":3,\"op\":\"ticket.issue\",\"service\":\"loan\"}",
		"{\"id\":4,\"op\":\"ping\"}",
	};
	struct daemon	*d = daemon_start(NULL);
	struct conn	*k = login(d, "K01"), *s = login(d, "S01");
	cJSON		*r;
	int		 i;

	(void)state;
	r = issue(k, "loan", 0, NULL);
	expect_str(r, "number", "A001");
	cJSON_Delete(r);
	/* fsync fails: the statements succeed, the COMMIT does not. */
	cJSON_Delete(rq_ok(s, "{\"op\":\"test.fault\",\"fault\":\"fsync_error\"}"));
	pipeline(k, lines, 4);
	for (i = 1; i <= 4; i++) {
		r = read_reply(k, reply_timeout_ms());
		expect_int(r, "id", i);
		if (i % 2 == 1) {
			expect_error(r, "unavailable");
			expect_that(strstr(jstr(r, "error.message"), "nothing was changed") != NULL,
			    r, "the refusal says nothing changed");
		} else
			expect_ok(r);	/* reads and pings are answered */
		cJSON_Delete(r);
	}
	cJSON_Delete(rq_ok(s, "{\"op\":\"test.fault\",\"fault\":\"none\"}"));
	/* Memory was rebuilt: one ticket waits, and numbering goes on from it. */
	r = rq_ok(k, "{\"op\":\"queue.snapshot\"}");
	expect_int(r, "lanes.counter.waiting", 1);
	cJSON_Delete(r);
	rq_err(k, "not_found", "{\"op\":\"ticket.status\",\"number\":\"A002\"}");
	r = issue(k, "loan", 0, NULL);
	expect_str(r, "number", "A002");
	cJSON_Delete(r);
	daemon_stop(d);
}

/*
 * A change and then a line over the limit, in one write: the change's
 * reply waits for the commit, the line_too_long after it, and only then
 * does the connection close, with the change on disk.
 */
static void
test_close_waits_for_the_commit(void **state)
{
	static const char	issue_line[] = "{\"id\":1,\"op\":\"ticket.issue\",\"service\":\"loan\"}\n";
	struct daemon		*d = daemon_start(NULL);
	struct conn		*k = login(d, "K01");
	size_t			 n = sizeof issue_line - 1, total = n + 70000 + 1;
	char			*buf, *st;
	cJSON			*r;

	(void)state;
	if ((buf = malloc(total)) == NULL)
		fail_msg("malloc");
	memcpy(buf, issue_line, n);
	memset(buf + n, 'x', 70000);
	buf[total - 1] = '\n';
	send_raw(k, buf, total);
	free(buf);
	r = read_reply(k, reply_timeout_ms());
	expect_that(r != NULL, NULL, "no reply to the issue before the close");
	expect_int(r, "id", 1);
	expect_str(r, "ticket.number", "A001");
	cJSON_Delete(r);
	r = read_reply(k, reply_timeout_ms());
	expect_that(r != NULL, NULL, "no line_too_long reply");
	expect_error(r, "line_too_long");
	cJSON_Delete(r);
	expect_that(peer_closed(k, reply_timeout_ms()), NULL, "closed after line_too_long");
	daemon_kill(d);
	st = db_ticket_status(d, "2026-11-23", "A001");
	expect_that(st != NULL && strcmp(st, "waiting") == 0, NULL, "A001 is %s", st);
	free(st);
	daemon_restart(d);
	daemon_stop(d);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_refused_neighbour_keeps_the_others,
		    harness_teardown),
		cmocka_unit_test_teardown(test_failed_commit_refuses_the_group, harness_teardown),
		cmocka_unit_test_teardown(test_close_waits_for_the_commit, harness_teardown),
	};

	return cmocka_run_group_tests_name("group commit", tests, NULL, NULL);
}
