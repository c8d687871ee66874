/*
 * The commit barrier (src/barrier.c) on a real SQLite file: no line leaves
 * before the commit of the change it tells of; a failed group commit turns
 * the replies to changes into refusals, drops the held events and lets the
 * other replies go as they were; a request's own events follow its reply.
 * The database fails through the fault VFS (branchqd-test's), as a disk
 * does; the iteration's end is the real one, an event on a real loop.
 *
 * With it the publisher (src/publish.c), whose sequence follows the group
 * commit: every event numbered, a failed group's numbers taken back, a
 * subscription in an open group replayed after its end, audiences, the
 * ring and `since`, the numbers reserved in the database.
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

#define MAX_LINES	32

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
	assert_int_equal(publish_open(f->f_store, err, sizeof err), 0);
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
	publish_set_state(TOPIC_QUEUE, NULL, NULL);
	publish_close();
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

/* ---- the publisher ---- */

/* A subscriber whose events go to a recorder's outlet through the barrier,
 * as a transport's do. */
struct listener {
	struct subscriber	 l_sub;
	struct recorder		*l_rec;
	long			 l_count;	/* lines delivered */
	bool			 l_leave_after_one;
};

static void
listener_line(struct subscriber *sb, const char *line)
{
	struct listener	*l = (struct listener *)(void *)sb;

	l->l_count++;
	if (l->l_rec != NULL)
		barrier_emit(&l->l_rec->r_outlet, line, true);
	if (l->l_leave_after_one)
		subscriber_remove(sb);	/* a slow reader, cut off */
}

static void
listen_as(struct listener *l, struct recorder *r, enum role role, const char *staff,
    unsigned topics)
{
	memset(l, 0, sizeof *l);
	l->l_rec = r;
	subscriber_add(&l->l_sub, listener_line);
	subscriber_identify(&l->l_sub, role, staff);
	subscriber_set_topics(&l->l_sub, topics);
}

#define CALLS		(1u << TOPIC_CALLS)
#define QUEUE		(1u << TOPIC_QUEUE)
#define FOLLOWUPS	(1u << TOPIC_FOLLOWUPS)

/* Every event gets the next number, whatever its topic, written into it. */
static void
test_publish_numbers_events(void **state)
{
	struct fixture	*f = *state;
	struct listener	 a, b;

	assert_int_equal(publish_seq(), 0);	/* a new database */
	listen_as(&a, &f->f_a, ROLE_DISPLAY, "", CALLS);
	listen_as(&b, &f->f_b, ROLE_DISPLAY, "", QUEUE);
	publish(TOPIC_CALLS, "{\"event\":\"a\"}");
	publish(TOPIC_QUEUE, "{\"event\":\"b\",\"n\":{\"x\":1}}");
	publish(TOPIC_CALLS, "{\"event\":\"c\"}");
	assert_int_equal(f->f_a.r_n, 2);
	assert_string_equal(f->f_a.r_lines[0], "{\"event\":\"a\",\"seq\":1}");
	assert_string_equal(f->f_a.r_lines[1], "{\"event\":\"c\",\"seq\":3}");
	assert_int_equal(f->f_b.r_n, 1);
	assert_string_equal(f->f_b.r_lines[0], "{\"event\":\"b\",\"n\":{\"x\":1},\"seq\":2}");
	assert_int_equal(publish_seq(), 3);
	subscriber_remove(&a.l_sub);
	subscriber_remove(&b.l_sub);
}

/* A failed group's events were never sent: their numbers are used again,
 * and no replay holds them. */
static void
test_failed_group_takes_numbers_back(void **state)
{
	struct fixture	*f = *state;
	struct listener	 a, c;
	bool		 reset;

	listen_as(&a, &f->f_a, ROLE_DISPLAY, "", CALLS);
	publish(TOPIC_CALLS, "{\"event\":\"one\"}");
	change(f, "4");
	publish(TOPIC_CALLS, "{\"event\":\"lost\"}");
	assert_int_equal(publish_seq(), 1);	/* the committed one */
	faultvfs_set(DBF_IO_ERROR);
	iterate(f);
	faultvfs_set(DBF_NONE);
	assert_int_equal(f->f_a.r_n, 1);
	assert_int_equal(publish_seq(), 1);
	publish(TOPIC_CALLS, "{\"event\":\"two\"}");
	assert_int_equal(f->f_a.r_n, 2);
	assert_string_equal(f->f_a.r_lines[1], "{\"event\":\"two\",\"seq\":2}");
	listen_as(&c, &f->f_b, ROLE_DISPLAY, "", CALLS);
	assert_int_equal(subscriber_start(&c.l_sub, 0, &reset), 2);
	assert_false(reset);
	assert_int_equal(f->f_b.r_n, 2);
	assert_string_equal(f->f_b.r_lines[0], "{\"event\":\"one\",\"seq\":1}");
	assert_string_equal(f->f_b.r_lines[1], "{\"event\":\"two\",\"seq\":2}");
	subscriber_remove(&a.l_sub);
	subscriber_remove(&c.l_sub);
}

static char *
lanes_state(void *arg)
{
	(void)arg;
	return xdup("{\"event\":\"queue.changed\",\"lanes\":{}}");
}

/*
 * A subscription while a group is open: its reply waits for the commit as
 * any reply does, then its replay, in order: the committed events, the
 * group's (also those after it subscribed, not twice), then the lanes.
 */
static void
subscribe_in_group(struct fixture *f, bool fail)
{
	struct listener	 a;
	bool		 reset;

	publish_set_state(TOPIC_QUEUE, lanes_state, NULL);
	publish(TOPIC_CALLS, "{\"event\":\"before\"}");
	change(f, "5");
	publish(TOPIC_CALLS, "{\"event\":\"group\"}");
	listen_as(&a, &f->f_a, ROLE_DISPLAY, "", CALLS | QUEUE);
	barrier_request_start(&f->f_a.r_outlet);
	assert_int_equal(subscriber_start(&a.l_sub, 0, &reset), 1);
	assert_false(reset);
	barrier_request_end(&f->f_a.r_outlet, xdup("{\"id\":1,\"ok\":true}"), NULL);
	publish(TOPIC_CALLS, "{\"event\":\"after\"}");
	assert_int_equal(f->f_a.r_n, 0);
	if (fail)
		faultvfs_set(DBF_IO_ERROR);
	iterate(f);
	faultvfs_set(DBF_NONE);
	assert_string_equal(f->f_a.r_lines[0], "{\"id\":1,\"ok\":true}");
	assert_string_equal(f->f_a.r_lines[1], "{\"event\":\"before\",\"seq\":1}");
	if (fail) {
		assert_int_equal(f->f_a.r_n, 3);
		assert_int_equal(publish_seq(), 1);
		assert_string_equal(f->f_a.r_lines[2],
		    "{\"event\":\"queue.changed\",\"lanes\":{},\"seq\":1}");
	} else {
		assert_int_equal(f->f_a.r_n, 5);
		assert_int_equal(publish_seq(), 3);
		assert_string_equal(f->f_a.r_lines[2], "{\"event\":\"group\",\"seq\":2}");
		assert_string_equal(f->f_a.r_lines[3], "{\"event\":\"after\",\"seq\":3}");
		assert_string_equal(f->f_a.r_lines[4],
		    "{\"event\":\"queue.changed\",\"lanes\":{},\"seq\":3}");
	}
	/* live from now on */
	publish(TOPIC_CALLS, "{\"event\":\"live\"}");
	assert_non_null(strstr(f->f_a.r_lines[f->f_a.r_n - 1], "\"event\":\"live\""));
	subscriber_remove(&a.l_sub);
}

static void
test_subscribe_in_group_waits(void **state)
{
	subscribe_in_group(*state, false);
}

static void
test_subscribe_in_failed_group(void **state)
{
	subscribe_in_group(*state, true);
}

/* PROTOCOL 1.1: an event with an audience reaches its roles and staff only,
 * live and replayed. */
static void
test_audience(void **state)
{
	struct fixture	*f = *state;
	struct listener	 owner, other, sup, late_owner, late_other;
	struct audience	 au = { ROLE_BIT(ROLE_SUPERVISOR), { "E1001", "E2001" } };
	struct recorder	 r_other, r_sup;
	bool		 reset;

	recorder_init(&r_other);
	recorder_init(&r_sup);
	listen_as(&owner, &f->f_a, ROLE_TELLER, "E1001", FOLLOWUPS);
	listen_as(&other, &r_other, ROLE_TELLER, "E1002", FOLLOWUPS);
	listen_as(&sup, &r_sup, ROLE_SUPERVISOR, "E9001", FOLLOWUPS);
	publish_to(TOPIC_FOLLOWUPS, "{\"event\":\"complaint.logged\",\"id\":1}", &au);
	au.au_staff[1] = NULL;
	publish_to(TOPIC_FOLLOWUPS, "{\"event\":\"complaint.logged\",\"id\":2}", &au);
	assert_int_equal(f->f_a.r_n, 2);
	assert_int_equal(r_other.r_n, 0);
	assert_int_equal(r_sup.r_n, 2);
	/* no staff id (a display) matches an empty audience slot */
	subscriber_identify(&other.l_sub, ROLE_DISPLAY, "");
	publish_to(TOPIC_FOLLOWUPS, "{\"event\":\"complaint.logged\",\"id\":3}", &au);
	assert_int_equal(r_other.r_n, 0);

	/* replays ask the same */
	listen_as(&late_other, &f->f_b, ROLE_LOBBY, "E2002", FOLLOWUPS);
	subscriber_start(&late_other.l_sub, 0, &reset);
	assert_int_equal(f->f_b.r_n, 0);
	subscriber_remove(&late_other.l_sub);
	recorder_clear(&f->f_b);
	listen_as(&late_owner, &f->f_b, ROLE_LOBBY, "E2001", FOLLOWUPS);
	subscriber_start(&late_owner.l_sub, 0, &reset);
	assert_int_equal(f->f_b.r_n, 1);
	assert_string_equal(f->f_b.r_lines[0], "{\"event\":\"complaint.logged\",\"id\":1,\"seq\":1}");
	subscriber_remove(&owner.l_sub);
	subscriber_remove(&other.l_sub);
	subscriber_remove(&sup.l_sub);
	subscriber_remove(&late_owner.l_sub);
	recorder_clear(&r_other);
	recorder_clear(&r_sup);
}

/* `since` that cannot be replayed is a reset: from the future, older than
 * the ring, or more than the subscriber may hold. */
static void
test_since_reset(void **state)
{
	struct listener	 l;
	bool		 reset;
	int		 i;

	(void)state;
	for (i = 0; i < PUBLISH_RING + 5; i++)
		publish(TOPIC_CALLS, "{\"event\":\"ticket.called\"}");
	listen_as(&l, NULL, ROLE_DISPLAY, "", CALLS);
	assert_int_equal(subscriber_start(&l.l_sub, PUBLISH_RING + 6, &reset), PUBLISH_RING + 5);
	assert_true(reset);
	assert_int_equal(l.l_count, 0);
	subscriber_start(&l.l_sub, 4, &reset);	/* 5 ... is held, 4 only as "since" */
	assert_true(reset);
	subscriber_start(&l.l_sub, 5, &reset);
	assert_false(reset);
	assert_int_equal(l.l_count, PUBLISH_RING);
	subscriber_start(&l.l_sub, PUBLISH_RING + 5, &reset);
	assert_false(reset);
	assert_int_equal(l.l_count, PUBLISH_RING);
	/* the transport's limit: a replay it would cut off is a reset instead */
	l.l_sub.sb_replay_limit = 10 * sizeof "{\"event\":\"ticket.called\",\"seq\":1000}";
	subscriber_start(&l.l_sub, PUBLISH_RING - 10, &reset);
	assert_true(reset);
	subscriber_start(&l.l_sub, PUBLISH_RING + 1, &reset);
	assert_false(reset);
	assert_int_equal(l.l_count, PUBLISH_RING + 4);
	/* a reader cut off during its replay is not touched again */
	l.l_sub.sb_replay_limit = 0;
	l.l_leave_after_one = true;
	subscriber_start(&l.l_sub, 5, &reset);
	assert_int_equal(l.l_count, PUBLISH_RING + 5);
	subscriber_remove(&l.l_sub);
}

static int64_t
reserved_setting(struct fixture *f)
{
	char	*v = NULL;
	int64_t	 n;

	assert_int_equal(store_setting_get(f->f_store, "event_seq_reserved", &v), 0);
	assert_non_null(v);
	n = strtoll(v, NULL, 10);
	free(v);
	return n;
}

/* Numbers are reserved ahead in the database; a restart starts after them. */
static void
test_seq_reserved(void **state)
{
	struct fixture	*f = *state;
	char		 err[256];
	int		 i;

	assert_int_equal(reserved_setting(f), PUBLISH_SEQ_BLOCK);
	for (i = 0; i < PUBLISH_SEQ_BLOCK / 2 - 1; i++)
		publish(TOPIC_CALLS, "{\"event\":\"x\"}");
	barrier_wake();
	iterate(f);
	assert_int_equal(reserved_setting(f), PUBLISH_SEQ_BLOCK);	/* enough left */
	publish(TOPIC_CALLS, "{\"event\":\"x\"}");
	barrier_wake();
	iterate(f);
	assert_int_equal(reserved_setting(f), PUBLISH_SEQ_BLOCK + PUBLISH_SEQ_BLOCK);
	assert_int_equal(publish_seq(), PUBLISH_SEQ_BLOCK / 2);
	/* a restart: after the last reservation, whatever was used */
	barrier_free();
	assert_int_equal(publish_open(f->f_store, err, sizeof err), 0);
	assert_int_equal(publish_seq(), 2 * PUBLISH_SEQ_BLOCK);
	assert_int_equal(reserved_setting(f), 3 * PUBLISH_SEQ_BLOCK);
	barrier_init(f->f_base, &f->f_branch);
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
		cmocka_unit_test_setup_teardown(test_publish_numbers_events, setup, teardown),
		cmocka_unit_test_setup_teardown(test_failed_group_takes_numbers_back, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_subscribe_in_group_waits, setup, teardown),
		cmocka_unit_test_setup_teardown(test_subscribe_in_failed_group, setup, teardown),
		cmocka_unit_test_setup_teardown(test_audience, setup, teardown),
		cmocka_unit_test_setup_teardown(test_since_reset, setup, teardown),
		cmocka_unit_test_setup_teardown(test_seq_reserved, setup, teardown),
	};

	log_init(LOG_LEVEL_ERROR);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
