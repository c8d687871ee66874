/*
 * Database faults over the wire: while another process holds the write lock
 * on the database file, every change is refused with `unavailable`, nothing
 * changes (in memory or on disk), reads keep working, and the daemon serves
 * changes again as soon as the lock is gone.
 */
#include <sqlite3.h>

#include "harness.h"

static sqlite3 *
lock_database(struct daemon *d)
{
	sqlite3	*db;

	assert_int_equal(sqlite3_open(d->d_db, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL), SQLITE_OK);
	return db;
}

static void
unlock_database(sqlite3 *db)
{
	assert_int_equal(sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_close(db), SQLITE_OK);
}

static void
test_locked_database_refuses_changes(void **state)
{
	struct daemon	*d = daemon_start(NULL);
	struct conn	*k = login(d, "K01"), *t = login(d, "T01"), *l = login(d, "L01");
	cJSON		*tk, *r;
	sqlite3		*db;

	(void)state;
	tk = issue(k, "loan", 0, NULL);
	expect_str(tk, "number", "A001");
	cJSON_Delete(tk);

	db = lock_database(d);
	rq_err(k, "unavailable", "{\"op\":\"ticket.issue\",\"service\":\"loan\"}");
	rq_err(t, "unavailable", "{\"op\":\"window.open\",\"window\":2,\"lanes\":[\"counter\"]}");
	rq_err(l, "unavailable", "{\"op\":\"selfservice.set\",\"available\":false}");
	rq_err(l, "unavailable", "{\"op\":\"ticket.cancel\",\"number\":\"A001\"}");

	/* Reads still answer, and show that nothing changed. */
	r = rq_ok(t, "{\"op\":\"queue.snapshot\"}");
	expect_int(r, "lanes.counter.waiting", 1);
	expect_int(r, "lanes.counter.open_windows", 0);
	expect_bool(r, "self_service_available", true);
	expect_that(cJSON_GetArraySize(jget(r, "windows")) == 0, r, "no window is open");
	cJSON_Delete(r);
	r = rq_ok(k, "{\"op\":\"ticket.status\",\"number\":\"A001\"}");
	expect_str(r, "ticket.status", "waiting");
	cJSON_Delete(r);
	unlock_database(db);

	/* The fault cleared: served again, and no number was used up by the refusal. */
	tk = issue(k, "loan", 0, NULL);
	expect_str(tk, "number", "A002");
	cJSON_Delete(tk);
	r = rq_ok(t, "{\"op\":\"window.open\",\"window\":2,\"lanes\":[\"counter\"]}");
	cJSON_Delete(r);
	r = rq_ok(t, "{\"op\":\"ticket.call_next\"}");
	expect_str(r, "ticket.number", "A001");
	cJSON_Delete(r);

	/* A refused call leaves the window free and the ticket waiting. */
	db = lock_database(d);
	rq_err(t, "unavailable", "{\"op\":\"ticket.start\",\"number\":\"A001\"}");
	unlock_database(db);
	r = rq_ok(t, "{\"op\":\"ticket.status\",\"number\":\"A001\"}");
	expect_str(r, "ticket.status", "called");
	cJSON_Delete(r);
	daemon_stop(d);
}

/* What was refused is not on disk either: a restart shows the same state. */
static void
test_refused_change_not_on_disk(void **state)
{
	struct daemon	*d = daemon_start(NULL);
	struct conn	*k = login(d, "K01");
	cJSON		*tk, *r;
	sqlite3		*db;

	(void)state;
	tk = issue(k, "transfer", 9000000, NULL);
	cJSON_Delete(tk);
	db = lock_database(d);
	rq_err(k, "unavailable", "{\"op\":\"ticket.issue\",\"service\":\"loan\"}");
	unlock_database(db);
	conn_close(k);
	daemon_stop(d);
	daemon_restart(d);
	k = login(d, "K01");
	rq_err(k, "not_found", "{\"op\":\"ticket.status\",\"number\":\"A002\"}");
	r = rq_ok(k, "{\"op\":\"queue.snapshot\"}");
	expect_int(r, "lanes.counter.waiting", 1);
	cJSON_Delete(r);
	daemon_stop(d);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_locked_database_refuses_changes, harness_teardown),
		cmocka_unit_test_teardown(test_refused_change_not_on_disk, harness_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
