/*
 * The commit barrier (src/barrier.c) on a real SQLite file: no line leaves
 * before the commit of the change it tells of; a failed group commit turns
 * the replies to changes into refusals, drops the held events and lets the
 * other replies go as they were; a request's own events follow its reply.
 * The database fails through the fault VFS (branchqd-test's), as a disk
 * does; the iteration's end is the real one, an event on a real loop.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include <event2/event.h>

#include "branchq.h"

#define MAX_LINES	16

/* An outlet that records what it is given, as a transport writes it. */
struct recorder {
	struct outlet	r_outlet;
	char		*r_lines[MAX_LINES];
	int		 r_n;
	int		 r_released;
};

struct fixture {
	char			 f_dir[64];
	char			 f_db[96];
	struct config		 f_cfg;
	struct event_base	*f_base;
	struct store		*f_store;
	struct branch		 f_branch;
	struct recorder		 f_a, f_b;
};

static void
record(struct outlet *o, const char *line)
{
	struct recorder	*r = (struct recorder *)(void *)o;

	assert_true(r->r_n < MAX_LINES);
	r->r_lines[r->r_n] = strdup(line);
	assert_non_null(r->r_lines[r->r_n]);
	r->r_n++;
}

static void
released(struct outlet *o)
{
	((struct recorder *)(void *)o)->r_released++;
}

static void
recorder_init(struct recorder *r)
{
	memset(r, 0, sizeof *r);
	r->r_outlet.o_write = record;
	r->r_outlet.o_released = released;
}

static void
recorder_clear(struct recorder *r)
{
	int	i;

	for (i = 0; i < r->r_n; i++)
		free(r->r_lines[i]);
	r->r_n = 0;
	r->r_released = 0;
}

static int
setup(void **state)
{
	static bool	 registered;
	struct fixture	*f = calloc(1, sizeof *f);
	char		 err[256];

	assert_non_null(f);
	if (!registered) {
		assert_int_equal(faultvfs_register(err, sizeof err), 0);
		registered = true;
	}
	faultvfs_set(DBF_NONE);
	snprintf(f->f_dir, sizeof f->f_dir, "/tmp/bq-barrier-XXXXXX");
	assert_non_null(mkdtemp(f->f_dir));
	snprintf(f->f_db, sizeof f->f_db, "%s/branchq.db", f->f_dir);
	config_demo(&f->f_cfg);
	assert_int_equal(time_set_zone(f->f_cfg.cf_timezone), 0);
	f->f_base = event_base_new();
	assert_non_null(f->f_base);
	clock_init(f->f_base, true, 1795395600);	/* 2026-11-23T01:00:00Z */
	f->f_store = store_open(f->f_db, STORE_WAL_PAGES, err, sizeof err);
	assert_non_null(f->f_store);
	assert_int_equal(branch_open(&f->f_branch, &f->f_cfg, f->f_store,
	    (struct branch_hooks){ 0 }, err, sizeof err), 0);
	barrier_init(f->f_base, &f->f_branch);
	recorder_init(&f->f_a);
	recorder_init(&f->f_b);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture	*f = *state;
	char		 path[128];

	faultvfs_set(DBF_NONE);
	barrier_forget(&f->f_a.r_outlet);
	barrier_forget(&f->f_b.r_outlet);
	barrier_free();
	recorder_clear(&f->f_a);
	recorder_clear(&f->f_b);
	branch_close(&f->f_branch);
	store_close(f->f_store);
	clock_shutdown();
	event_base_free(f->f_base);
	config_free(&f->f_cfg);
	snprintf(path, sizeof path, "%s-wal", f->f_db);
	unlink(path);
	snprintf(path, sizeof path, "%s-shm", f->f_db);
	unlink(path);
	unlink(f->f_db);
	rmdir(f->f_dir);
	free(f);
	return 0;
}

static int
write_setting(struct store *s, void *arg)
{
	return store_setting_set(s, "test_barrier", arg);
}

/* One change, as a domain operation makes it: through the one write path. */
static void
change(struct fixture *f, const char *value)
{
	struct bq_error	err;

	assert_int_equal(store_write(f->f_store, write_setting, (void *)value, NULL, &err), 0);
}

static char *
xdup(const char *s)
{
	char	*copy = strdup(s);

	assert_non_null(copy);
	return copy;
}

/* The loop runs the iteration's end the first change armed. */
static void
iterate(struct fixture *f)
{
	assert_int_not_equal(event_base_loop(f->f_base, EVLOOP_NONBLOCK), -1);
}

/* Nothing pending: a line goes out at once. */
static void
test_no_change_writes_at_once(void **state)
{
	struct fixture	*f = *state;

	barrier_emit(&f->f_a.r_outlet, "{\"event\":\"x\"}", true);
	assert_int_equal(f->f_a.r_n, 1);
	barrier_request_start(&f->f_a.r_outlet);
	barrier_request_end(&f->f_a.r_outlet, xdup("{\"id\":1,\"ok\":true}"), NULL);
	assert_int_equal(f->f_a.r_n, 2);
	assert_string_equal(f->f_a.r_lines[1], "{\"id\":1,\"ok\":true}");
}

/* A change: its reply and the event it raised wait for the commit. */
static void
test_reply_waits_for_commit(void **state)
{
	struct fixture	*f = *state;
	const char	*req = "{\"id\":7,\"op\":\"x\"}";

	barrier_request_start(&f->f_a.r_outlet);
	change(f, "1");
	barrier_emit(&f->f_b.r_outlet, "{\"event\":\"queue.changed\"}", true);
	barrier_request_end(&f->f_a.r_outlet, xdup("{\"id\":7,\"ok\":true}"), req);
	assert_int_equal(f->f_a.r_n, 0);
	assert_int_equal(f->f_b.r_n, 0);
	assert_true(barrier_holding(&f->f_a.r_outlet));
	assert_true(barrier_pending(&f->f_a.r_outlet) > 0);
	/* A line for an outlet that holds something queues behind it, even
	 * once the group is committed. */
	iterate(f);
	assert_int_equal(f->f_a.r_n, 1);
	assert_string_equal(f->f_a.r_lines[0], "{\"id\":7,\"ok\":true}");
	assert_int_equal(f->f_b.r_n, 1);
	assert_int_equal(f->f_a.r_released, 1);
	assert_false(barrier_holding(&f->f_a.r_outlet));
	assert_int_equal(barrier_pending(&f->f_a.r_outlet), 0);
}

/* A failed group commit: the change's reply becomes a refusal with the
 * request's id; held events are dropped; a reply that changed nothing goes
 * out as it was; memory was rebuilt from the database. */
static void
test_failed_commit_refuses(void **state)
{
	struct fixture	*f = *state;
	char		*v = NULL;

	barrier_request_start(&f->f_a.r_outlet);
	change(f, "2");
	barrier_request_end(&f->f_a.r_outlet, xdup("{\"id\":\"a\",\"ok\":true}"),
	    "{\"op\":\"x\",\"id\":\"a\"}");
	barrier_emit(&f->f_a.r_outlet, "{\"event\":\"ticket.called\"}", true);
	barrier_request_start(&f->f_b.r_outlet);
	barrier_request_end(&f->f_b.r_outlet, xdup("{\"id\":2,\"ok\":true,\"now\":1}"), NULL);
	assert_int_equal(f->f_a.r_n + f->f_b.r_n, 0);
	faultvfs_set(DBF_IO_ERROR);
	iterate(f);
	faultvfs_set(DBF_NONE);
	assert_int_equal(f->f_a.r_n, 1);
	assert_non_null(strstr(f->f_a.r_lines[0], "\"id\":\"a\",\"ok\":false"));
	assert_non_null(strstr(f->f_a.r_lines[0], "\"code\":\"unavailable\""));
	assert_non_null(strstr(f->f_a.r_lines[0], "the database cannot be written ("));
	assert_int_equal(f->f_b.r_n, 1);
	assert_string_equal(f->f_b.r_lines[0], "{\"id\":2,\"ok\":true,\"now\":1}");
	/* Nothing of the group reached the database. */
	assert_int_equal(store_setting_get(f->f_store, "test_barrier", &v), 0);
	assert_null(v);
}

/* Events a request raises for its own outlet follow its reply, in order. */
static void
test_own_events_after_reply(void **state)
{
	struct fixture	*f = *state;

	barrier_request_start(&f->f_a.r_outlet);
	barrier_emit(&f->f_a.r_outlet, "{\"event\":\"one\"}", true);
	barrier_emit(&f->f_a.r_outlet, "{\"event\":\"two\"}", true);
	assert_int_equal(f->f_a.r_n, 0);
	assert_true(barrier_pending(&f->f_a.r_outlet) > 0);
	barrier_request_end(&f->f_a.r_outlet, xdup("{\"ok\":true}"), NULL);
	assert_int_equal(f->f_a.r_n, 3);
	assert_string_equal(f->f_a.r_lines[0], "{\"ok\":true}");
	assert_string_equal(f->f_a.r_lines[1], "{\"event\":\"one\"}");
	assert_string_equal(f->f_a.r_lines[2], "{\"event\":\"two\"}");
}

/* An outlet that goes away (a closed connection) takes its held lines with it. */
static void
test_forget_drops_held(void **state)
{
	struct fixture	*f = *state;

	change(f, "3");
	barrier_emit(&f->f_a.r_outlet, "{\"event\":\"x\"}", true);
	barrier_emit(&f->f_b.r_outlet, "{\"event\":\"y\"}", true);
	barrier_forget(&f->f_a.r_outlet);
	recorder_init(&f->f_a);
	iterate(f);
	assert_int_equal(f->f_a.r_n, 0);
	assert_int_equal(f->f_b.r_n, 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_no_change_writes_at_once, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reply_waits_for_commit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_failed_commit_refuses, setup, teardown),
		cmocka_unit_test_setup_teardown(test_own_events_after_reply, setup, teardown),
		cmocka_unit_test_setup_teardown(test_forget_drops_held, setup, teardown),
	};

	log_init(LOG_LEVEL_ERROR);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
