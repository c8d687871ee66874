/*
 * Unit tests for queue.c: lane order, positions, estimates, call next,
 * windows, the state machine and the ticket table (DOMAIN §2).
 */
#include <sys/types.h>
#include <sys/wait.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "branchq.h"

#define TODAY		"2024-03-05"
#define YESTERDAY	"2024-03-04"
#define T0		1709600000	/* a morning, seconds since the epoch */

static struct ticket *
mkticket(const char *date, const char *number, enum lane lane,
    enum ticket_status status, bool priority, int64_t issued_at, int64_t id)
{
	struct ticket	*t;

	t = calloc(1, sizeof *t);
	assert_non_null(t);
	t->t_id = id;
	snprintf(t->t_date, sizeof t->t_date, "%s", date);
	snprintf(t->t_number, sizeof t->t_number, "%s", number);
	t->t_lane = t->t_issue_lane = lane;
	t->t_status = status;
	t->t_priority = priority;
	t->t_issued_at = issued_at;
	t->t_queued_at = issued_at;
	return t;
}

/* A waiting ticket of today, adopted. */
static struct ticket *
waiting(struct queue *q, const char *number, enum lane lane, bool priority,
    int64_t issued_at, int64_t id)
{
	struct ticket	*t;

	t = mkticket(TODAY, number, lane, TS_WAITING, priority, issued_at, id);
	queue_adopt(q, t);
	return t;
}

static struct window *
open_window(struct queue *q, int no, bool accessible, const enum lane *lanes,
    int nlanes)
{
	struct window	*w = &q->q_windows[no];
	int		 i;

	w->w_open = true;
	w->w_paused = false;
	w->w_accessible = accessible;
	for (i = 0; i < nlanes; i++)
		w->w_lanes[i] = lanes[i];
	w->w_nlanes = nlanes;
	return w;
}

/* The lane array is sorted and every position is its index + 1. */
static void
check_lane(const struct queue *q, enum lane lane)
{
	const struct lane_queue	*lq = &q->q_lanes[lane];
	size_t			 i;

	for (i = 0; i < lq->lq_len; i++) {
		assert_int_equal(lq->lq_items[i]->t_lane, lane);
		assert_int_equal(queue_position(q, lq->lq_items[i]), i + 1);
		if (i > 0)
			assert_true(ticket_order(lq->lq_items[i - 1], lq->lq_items[i]) < 0);
	}
}

/* ---- order ---- */

/*
 * A lane filled in arrival order (each new ticket goes last: the path that
 * takes no search), then tickets that belong before the last: a priority
 * one and a rerouted one with an old issue time.  Every place stays right.
 */
static void
test_positions_appends(void **state)
{
	struct queue	 q;
	struct ticket	*t[300], *late, *vip, *last;
	char		 num[BQ_NUMBER_LEN];
	int		 i;

	(void)state;
	queue_init(&q, 300);
	for (i = 0; i < 300; i++) {
		snprintf(num, sizeof num, "A%03d", i + 1);
		t[i] = waiting(&q, num, LANE_COUNTER, false, T0 + i, i + 1);
		assert_int_equal(queue_position(&q, t[i]), (size_t)i + 1);
	}
	check_lane(&q, LANE_COUNTER);

	/* Linking the last one again does not add it twice. */
	queue_link(&q, t[299]);
	assert_int_equal(queue_waiting(&q, LANE_COUNTER), 300);

	/* Issued in the same second as t[100]: behind it, by issue order. */
	late = waiting(&q, "A301", LANE_COUNTER, false, T0 + 100, 301);
	assert_int_equal(queue_position(&q, late), 102);
	vip = waiting(&q, "A302", LANE_COUNTER, true, T0 + 500, 302);
	assert_int_equal(queue_position(&q, vip), 1);
	last = waiting(&q, "A303", LANE_COUNTER, false, T0 + 500, 303);
	assert_int_equal(queue_position(&q, last), 303);
	assert_int_equal(queue_position(&q, t[299]), 302);
	check_lane(&q, LANE_COUNTER);

	/* The last one leaves: the one before it is last again. */
	queue_unlink(&q, last);
	last->t_status = TS_CALLED;
	assert_int_equal(queue_position(&q, last), 0);
	assert_int_equal(queue_position(&q, t[299]), 302);
	assert_int_equal(queue_waiting(&q, LANE_COUNTER), 302);
	check_lane(&q, LANE_COUNTER);
	queue_free(&q);
}

static void
test_ticket_order(void **state)
{
	struct ticket	a = { 0 }, b = { 0 };

	(void)state;
	a.t_issued_at = 200;
	b.t_issued_at = 100;
	a.t_id = 1;
	b.t_id = 2;
	/* Older first. */
	assert_true(ticket_order(&b, &a) < 0);
	assert_true(ticket_order(&a, &b) > 0);
	/* Priority beats age. */
	a.t_priority = true;
	assert_true(ticket_order(&a, &b) < 0);
	assert_true(ticket_order(&b, &a) > 0);
	/* Same priority and time: the row id decides. */
	b.t_priority = true;
	b.t_issued_at = 200;
	assert_true(ticket_order(&a, &b) < 0);
	assert_true(ticket_order(&b, &a) > 0);
	assert_int_equal(ticket_order(&a, &a), 0);
	/* No overflow on extreme values. */
	a.t_issued_at = INT64_MIN;
	b.t_issued_at = INT64_MAX;
	assert_true(ticket_order(&a, &b) < 0);
}

static void
test_lane_order(void **state)
{
	struct queue	 q;
	struct ticket	*a, *b, *c, *p1, *p2, *e;

	(void)state;
	queue_init(&q, 300);
	a = waiting(&q, "A001", LANE_COUNTER, false, T0 + 10, 1);
	c = waiting(&q, "A003", LANE_COUNTER, false, T0 + 30, 3);
	b = waiting(&q, "A002", LANE_COUNTER, false, T0 + 10, 2);	/* same second as a */
	p2 = waiting(&q, "A005", LANE_COUNTER, true, T0 + 50, 5);
	p1 = waiting(&q, "A004", LANE_COUNTER, true, T0 + 40, 4);
	e = waiting(&q, "E001", LANE_EXPRESS, false, T0, 6);

	assert_int_equal(queue_waiting(&q, LANE_COUNTER), 5);
	assert_int_equal(queue_waiting(&q, LANE_EXPRESS), 1);
	assert_int_equal(queue_waiting(&q, LANE_VIP), 0);
	assert_ptr_equal(q.q_lanes[LANE_COUNTER].lq_items[0], p1);
	assert_ptr_equal(q.q_lanes[LANE_COUNTER].lq_items[1], p2);
	assert_ptr_equal(q.q_lanes[LANE_COUNTER].lq_items[2], a);
	assert_ptr_equal(q.q_lanes[LANE_COUNTER].lq_items[3], b);
	assert_ptr_equal(q.q_lanes[LANE_COUNTER].lq_items[4], c);
	assert_int_equal(queue_position(&q, p1), 1);
	assert_int_equal(queue_position(&q, p2), 2);
	assert_int_equal(queue_position(&q, a), 3);
	assert_int_equal(queue_position(&q, b), 4);
	assert_int_equal(queue_position(&q, c), 5);
	assert_int_equal(queue_position(&q, e), 1);
	check_lane(&q, LANE_COUNTER);
	queue_free(&q);
}

/* DOMAIN §1, §2: a rerouted or transferred ticket keeps its place in time. */
static void
test_transfer_keeps_place(void **state)
{
	struct queue	 q;
	struct ticket	*a, *b, *c, *d, *s;

	(void)state;
	queue_init(&q, 300);
	a = waiting(&q, "A001", LANE_COUNTER, false, T0 + 100, 1);
	b = waiting(&q, "A002", LANE_COUNTER, false, T0 + 200, 2);
	c = waiting(&q, "A003", LANE_COUNTER, false, T0 + 300, 3);

	/* Transfer: an express ticket being served, issued before b. */
	d = mkticket(TODAY, "E001", LANE_EXPRESS, TS_SERVING, false, T0 + 150, 4);
	queue_adopt(&q, d);
	assert_int_equal(queue_position(&q, d), 0);
	queue_unlink(&q, d);
	d->t_lane = LANE_COUNTER;
	d->t_status = TS_WAITING;
	d->t_queued_at = T0 + 1000;
	queue_link(&q, d);
	assert_int_equal(queue_position(&q, a), 1);
	assert_int_equal(queue_position(&q, d), 2);
	assert_int_equal(queue_position(&q, b), 3);
	assert_int_equal(queue_position(&q, c), 4);

	/* Reroute: a diverted ticket issued first of all goes to the head. */
	s = mkticket(TODAY, "S001", LANE_SELF_SERVICE, TS_DIVERTED, false, T0 + 50, 5);
	queue_adopt(&q, s);
	assert_int_equal(queue_waiting(&q, LANE_SELF_SERVICE), 0);
	assert_int_equal(queue_position(&q, s), 0);
	queue_unlink(&q, s);
	s->t_lane = LANE_COUNTER;
	s->t_status = ticket_next_status(TS_DIVERTED, TA_REROUTE);
	queue_link(&q, s);
	assert_int_equal(queue_position(&q, s), 1);
	assert_int_equal(queue_position(&q, a), 2);
	assert_int_equal(queue_position(&q, c), 5);
	check_lane(&q, LANE_COUNTER);
	queue_free(&q);
}

static void
test_positions_insert_remove(void **state)
{
	struct queue	 q;
	struct ticket	*t[10];
	char		 num[BQ_NUMBER_LEN];
	/* Issue times out of arrival order. */
	static const int order[10] = { 7, 2, 9, 0, 5, 1, 8, 3, 6, 4 };
	int		 i;

	(void)state;
	queue_init(&q, 300);
	for (i = 0; i < 10; i++) {
		snprintf(num, sizeof num, "A%03d", i + 1);
		t[i] = waiting(&q, num, LANE_COUNTER, false, T0 + order[i], i + 1);
	}
	for (i = 0; i < 10; i++)
		assert_int_equal(queue_position(&q, t[i]), order[i] + 1);
	check_lane(&q, LANE_COUNTER);

	/* Linking twice does not add it twice. */
	queue_link(&q, t[0]);
	assert_int_equal(queue_waiting(&q, LANE_COUNTER), 10);

	/* Call the ticket at place 3 (t[7]): everyone behind moves up. */
	queue_unlink(&q, t[7]);
	t[7]->t_status = TS_CALLED;
	assert_int_equal(queue_waiting(&q, LANE_COUNTER), 9);
	assert_int_equal(queue_position(&q, t[7]), 0);
	for (i = 0; i < 10; i++) {
		if (i == 7)
			continue;
		assert_int_equal(queue_position(&q, t[i]),
		    order[i] < 3 ? order[i] + 1 : order[i]);
	}
	/* Unlinking again, or linking a called ticket, changes nothing. */
	queue_unlink(&q, t[7]);
	queue_link(&q, t[7]);
	assert_int_equal(queue_waiting(&q, LANE_COUNTER), 9);
	assert_int_equal(queue_position(&q, t[7]), 0);

	/* Head and tail. */
	queue_unlink(&q, t[3]);	/* issued first */
	queue_unlink(&q, t[2]);	/* issued last */
	assert_int_equal(queue_waiting(&q, LANE_COUNTER), 7);
	assert_int_equal(queue_position(&q, t[5]), 1);
	assert_int_equal(queue_position(&q, t[6]), 7);
	/* Unlinked but still marked waiting: not in the lane, so no place. */
	assert_int_equal(queue_position(&q, t[3]), 0);
	check_lane(&q, LANE_COUNTER);

	/* Back in: it takes its old place. */
	queue_link(&q, t[3]);
	assert_int_equal(queue_position(&q, t[3]), 1);
	assert_int_equal(queue_position(&q, t[5]), 2);
	check_lane(&q, LANE_COUNTER);

	/* Empty the lane. */
	for (i = 0; i < 10; i++)
		queue_unlink(&q, t[i]);
	assert_int_equal(queue_waiting(&q, LANE_COUNTER), 0);
	assert_int_equal(queue_position(&q, t[0]), 0);
	queue_free(&q);
}

static void
test_oldest_issued_at(void **state)
{
	struct queue	 q;
	struct ticket	*p;

	(void)state;
	queue_init(&q, 300);
	assert_int_equal(queue_oldest_issued_at(&q, LANE_COUNTER), 0);

	waiting(&q, "A001", LANE_COUNTER, false, T0 + 300, 1);
	waiting(&q, "A002", LANE_COUNTER, false, T0 + 100, 2);
	waiting(&q, "A003", LANE_COUNTER, false, T0 + 200, 3);
	assert_int_equal(queue_oldest_issued_at(&q, LANE_COUNTER), T0 + 100);

	/* Priority tickets issued later sit first but are not the oldest. */
	waiting(&q, "A004", LANE_COUNTER, true, T0 + 500, 4);
	waiting(&q, "A005", LANE_COUNTER, true, T0 + 400, 5);
	assert_int_equal(queue_oldest_issued_at(&q, LANE_COUNTER), T0 + 100);

	/* A priority ticket issued earliest of all is the oldest. */
	p = waiting(&q, "A006", LANE_COUNTER, true, T0 + 50, 6);
	assert_int_equal(queue_oldest_issued_at(&q, LANE_COUNTER), T0 + 50);
	queue_unlink(&q, p);
	p->t_status = TS_CALLED;
	assert_int_equal(queue_oldest_issued_at(&q, LANE_COUNTER), T0 + 100);

	/* Only priority tickets. */
	waiting(&q, "V001", LANE_VIP, true, T0 + 700, 7);
	waiting(&q, "V002", LANE_VIP, true, T0 + 600, 8);
	assert_int_equal(queue_oldest_issued_at(&q, LANE_VIP), T0 + 600);
	assert_int_equal(queue_oldest_issued_at(&q, LANE_EXPRESS), 0);

	queue_free(&q);
}

/* Long lanes with the priority/plain split everywhere, against a plain scan. */
static void
test_oldest_issued_at_split(void **state)
{
	struct queue		 q;
	const struct lane_queue	*lq;
	char			 num[BQ_NUMBER_LEN];
	int64_t			 min;
	int			 i, every, phase;
	size_t			 j;

	(void)state;
	for (every = 1; every <= 8; every++) {
		for (phase = 0; phase < every; phase++) {
			queue_init(&q, 300);
			for (i = 0; i < 100; i++) {
				snprintf(num, sizeof num, "E%03d", i + 1);
				/* younger as i grows; every `every`-th one has priority */
				waiting(&q, num, LANE_EXPRESS, i % every == phase,
				    T0 + 10000 - i, i + 1);
			}
			lq = &q.q_lanes[LANE_EXPRESS];
			min = INT64_MAX;
			for (j = 0; j < lq->lq_len; j++) {
				if (lq->lq_items[j]->t_issued_at < min)
					min = lq->lq_items[j]->t_issued_at;
			}
			assert_int_equal(queue_oldest_issued_at(&q, LANE_EXPRESS), min);
			/* the oldest of all is i = 99, whichever side it is on */
			assert_int_equal(min, T0 + 10000 - 99);
			check_lane(&q, LANE_EXPRESS);
			queue_free(&q);
		}
	}
}

/* ---- estimates ---- */

static void
test_estimate_default(void **state)
{
	struct queue	 q;
	struct ticket	*a, *b, *c, *d;

	(void)state;
	queue_init(&q, 300);
	assert_int_equal(queue_mean_service(&q, LANE_COUNTER), 300);
	a = waiting(&q, "A001", LANE_COUNTER, false, T0 + 1, 1);
	b = waiting(&q, "A002", LANE_COUNTER, false, T0 + 2, 2);
	c = waiting(&q, "A003", LANE_COUNTER, false, T0 + 3, 3);
	/* No window open: counted as one. */
	assert_int_equal(queue_estimate_wait(&q, a), 300);
	assert_int_equal(queue_estimate_wait(&q, b), 600);
	assert_int_equal(queue_estimate_wait(&q, c), 900);
	/* Not waiting: no estimate. */
	d = mkticket(TODAY, "A004", LANE_COUNTER, TS_CALLED, false, T0, 4);
	queue_adopt(&q, d);
	assert_int_equal(queue_estimate_wait(&q, d), -1);
	d = mkticket(TODAY, "S001", LANE_SELF_SERVICE, TS_DIVERTED, false, T0, 5);
	queue_adopt(&q, d);
	assert_int_equal(queue_estimate_wait(&q, d), -1);
	queue_free(&q);
}

static void
test_estimate_recorded(void **state)
{
	struct queue	 q;
	struct ticket	*a, *b;

	(void)state;
	queue_init(&q, 300);
	a = waiting(&q, "A001", LANE_COUNTER, false, T0 + 1, 1);
	b = waiting(&q, "A002", LANE_COUNTER, false, T0 + 2, 2);
	queue_record_service(&q, LANE_COUNTER, 100);
	queue_record_service(&q, LANE_COUNTER, 200);
	assert_int_equal(queue_mean_service(&q, LANE_COUNTER), 150);
	assert_int_equal(queue_estimate_wait(&q, a), 150);
	assert_int_equal(queue_estimate_wait(&q, b), 300);
	/* Other lanes keep their own times. */
	assert_int_equal(queue_mean_service(&q, LANE_EXPRESS), 300);
	assert_int_equal(queue_mean_service(&q, LANE_VIP), 300);
	/* A negative duration counts as none. */
	queue_record_service(&q, LANE_VIP, -50);
	queue_record_service(&q, LANE_VIP, 100);
	assert_int_equal(queue_mean_service(&q, LANE_VIP), 50);
	queue_free(&q);
}

static void
test_estimate_ring(void **state)
{
	struct queue	 q;
	struct ticket	*a;
	int		 i;

	(void)state;
	queue_init(&q, 300);
	a = waiting(&q, "A001", LANE_COUNTER, false, T0, 1);
	for (i = 0; i < QUEUE_RECENT; i++)
		queue_record_service(&q, LANE_COUNTER, 100);
	assert_int_equal(queue_mean_service(&q, LANE_COUNTER), 100);
	/* Each new time pushes out the oldest. */
	queue_record_service(&q, LANE_COUNTER, 2100);
	assert_int_equal(queue_mean_service(&q, LANE_COUNTER), 200);
	for (i = 0; i < QUEUE_RECENT - 1; i++)
		queue_record_service(&q, LANE_COUNTER, 400);
	assert_int_equal(queue_mean_service(&q, LANE_COUNTER), 485);
	assert_int_equal(queue_estimate_wait(&q, a), 485);
	queue_record_service(&q, LANE_COUNTER, 400);
	assert_int_equal(queue_mean_service(&q, LANE_COUNTER), 400);
	assert_int_equal(q.q_lanes[LANE_COUNTER].lq_nrecent, QUEUE_RECENT);

	/* 1 .. 21: the ring holds 2 .. 21, mean 11.5, rounds to 12. */
	for (i = 1; i <= QUEUE_RECENT + 1; i++)
		queue_record_service(&q, LANE_EXPRESS, i);
	assert_int_equal(queue_mean_service(&q, LANE_EXPRESS), 12);
	queue_free(&q);
}

static void
test_estimate_windows(void **state)
{
	struct queue	 q;
	struct ticket	*a, *b, *c;
	struct window	*w1, *w2;
	static const enum lane counter[] = { LANE_COUNTER };
	static const enum lane both[] = { LANE_EXPRESS, LANE_COUNTER };
	static const enum lane express[] = { LANE_EXPRESS };

	(void)state;
	queue_init(&q, 300);
	a = waiting(&q, "A001", LANE_COUNTER, false, T0 + 1, 1);
	b = waiting(&q, "A002", LANE_COUNTER, false, T0 + 2, 2);
	c = waiting(&q, "A003", LANE_COUNTER, false, T0 + 3, 3);

	w1 = open_window(&q, 1, false, counter, 1);
	assert_int_equal(queue_estimate_wait(&q, b), 600);
	w2 = open_window(&q, 2, false, both, 2);
	assert_int_equal(queue_open_windows(&q, LANE_COUNTER), 2);
	assert_int_equal(queue_estimate_wait(&q, a), 150);
	assert_int_equal(queue_estimate_wait(&q, b), 300);
	assert_int_equal(queue_estimate_wait(&q, c), 450);
	/* An express-only window does not serve the counter. */
	open_window(&q, 3, false, express, 1);
	assert_int_equal(queue_estimate_wait(&q, c), 450);
	assert_int_equal(queue_open_windows(&q, LANE_EXPRESS), 2);
	/* A paused window is not counted, nor a closed one. */
	w2->w_paused = true;
	assert_int_equal(queue_open_windows(&q, LANE_COUNTER), 1);
	assert_int_equal(queue_estimate_wait(&q, c), 900);
	w2->w_paused = false;
	w1->w_open = false;
	assert_int_equal(queue_estimate_wait(&q, c), 900);
	w2->w_open = false;
	assert_int_equal(queue_estimate_wait(&q, c), 900);
	queue_free(&q);
}

static void
test_estimate_rounding(void **state)
{
	struct queue	 q;
	struct ticket	*a, *b;
	static const enum lane counter[] = { LANE_COUNTER };

	(void)state;
	queue_init(&q, 100);
	a = waiting(&q, "A001", LANE_COUNTER, false, T0 + 1, 1);
	b = waiting(&q, "A002", LANE_COUNTER, false, T0 + 2, 2);
	open_window(&q, 1, false, counter, 1);
	open_window(&q, 2, false, counter, 1);
	open_window(&q, 3, false, counter, 1);
	/* 100 / 3 = 33.3 -> 33; 200 / 3 = 66.7 -> 67. */
	assert_int_equal(queue_estimate_wait(&q, a), 33);
	assert_int_equal(queue_estimate_wait(&q, b), 67);
	/* A half rounds up: 101 / 2 = 50.5 -> 51. */
	q.q_windows[3].w_open = false;
	q.q_default_service_s = 101;
	assert_int_equal(queue_estimate_wait(&q, a), 51);
	assert_int_equal(queue_estimate_wait(&q, b), 101);
	/* The mean (100.5) is not rounded before it is multiplied: with one
	 * window a waits 101 s and b 201 s, not 2 * 101. */
	queue_record_service(&q, LANE_COUNTER, 100);
	queue_record_service(&q, LANE_COUNTER, 101);
	assert_int_equal(queue_mean_service(&q, LANE_COUNTER), 101);
	q.q_windows[2].w_open = false;
	assert_int_equal(queue_estimate_wait(&q, a), 101);
	assert_int_equal(queue_estimate_wait(&q, b), 201);
	queue_free(&q);
}

/* ---- windows ---- */

static void
test_pick_next_lane_order(void **state)
{
	struct queue	 q;
	struct ticket	*a1, *a2, *v1, *e1;
	struct window	*w;
	static const enum lane vip_counter[] = { LANE_VIP, LANE_COUNTER };
	static const enum lane counter_vip[] = { LANE_COUNTER, LANE_VIP };
	static const enum lane express[] = { LANE_EXPRESS };

	(void)state;
	queue_init(&q, 300);
	w = open_window(&q, 4, false, vip_counter, 2);
	assert_null(queue_pick_next(&q, w));

	a2 = waiting(&q, "A002", LANE_COUNTER, false, T0 + 20, 2);
	a1 = waiting(&q, "A001", LANE_COUNTER, false, T0 + 10, 1);
	/* VIP lane empty: the head of the counter. */
	assert_ptr_equal(queue_pick_next(&q, w), a1);
	/* Picking changes nothing. */
	assert_ptr_equal(queue_pick_next(&q, w), a1);
	assert_int_equal(queue_waiting(&q, LANE_COUNTER), 2);
	assert_int_equal(a1->t_status, TS_WAITING);

	/* A VIP ticket issued later still goes first at this window. */
	v1 = waiting(&q, "V001", LANE_VIP, false, T0 + 30, 3);
	assert_ptr_equal(queue_pick_next(&q, w), v1);
	/* ... and not at one that lists the counter first. */
	open_window(&q, 5, false, counter_vip, 2);
	assert_ptr_equal(queue_pick_next(&q, &q.q_windows[5]), a1);
	queue_unlink(&q, a1);
	a1->t_status = TS_CALLED;
	assert_ptr_equal(queue_pick_next(&q, &q.q_windows[5]), a2);

	/* A lane the window does not serve is never picked. */
	e1 = waiting(&q, "E001", LANE_EXPRESS, false, T0, 4);
	assert_ptr_equal(queue_pick_next(&q, w), v1);
	open_window(&q, 6, false, express, 1);
	assert_ptr_equal(queue_pick_next(&q, &q.q_windows[6]), e1);
	queue_unlink(&q, e1);
	e1->t_status = TS_CALLED;
	assert_null(queue_pick_next(&q, &q.q_windows[6]));
	queue_free(&q);
}

/* DOMAIN §1 (S3): accessible window where one is marked. */
static void
test_pick_next_accessible(void **state)
{
	struct queue	 q;
	struct ticket	*acc, *need, *plain;
	struct window	*w1, *w2;
	static const enum lane counter[] = { LANE_COUNTER };
	static const enum lane express[] = { LANE_EXPRESS };

	(void)state;
	queue_init(&q, 300);
	acc = waiting(&q, "A001", LANE_COUNTER, true, T0 + 10, 1);
	acc->t_flags.tf_accessibility = ACCESS_WHEELCHAIR;
	need = waiting(&q, "A002", LANE_COUNTER, true, T0 + 20, 2);
	need->t_flags.tf_needs_assistance = true;
	plain = waiting(&q, "A003", LANE_COUNTER, false, T0 + 5, 3);

	w1 = open_window(&q, 1, false, counter, 1);
	/* No accessible window: the head, accessibility or not. */
	assert_ptr_equal(queue_pick_next(&q, w1), acc);

	/* An accessible window serving the counter: w1 passes over it, but not
	 * over a priority ticket without an accessibility need. */
	w2 = open_window(&q, 2, true, counter, 1);
	assert_ptr_equal(queue_pick_next(&q, w1), need);
	assert_ptr_equal(queue_pick_next(&q, w2), acc);

	/* Paused or closed, it does not count. */
	w2->w_paused = true;
	assert_ptr_equal(queue_pick_next(&q, w1), acc);
	w2->w_paused = false;
	w2->w_open = false;
	assert_ptr_equal(queue_pick_next(&q, w1), acc);

	/* Accessible but serving another lane: does not count either. */
	w2 = open_window(&q, 2, true, express, 1);
	assert_ptr_equal(queue_pick_next(&q, w1), acc);

	/* The accessible window itself takes the head. */
	w2->w_open = false;
	w1->w_accessible = true;
	assert_ptr_equal(queue_pick_next(&q, w1), acc);
	w1->w_accessible = false;

	/* Only accessibility tickets left: the other window gets nothing. */
	w2 = open_window(&q, 2, true, counter, 1);
	queue_unlink(&q, need);
	need->t_status = TS_CALLED;
	queue_unlink(&q, plain);
	plain->t_status = TS_CALLED;
	assert_null(queue_pick_next(&q, w1));
	assert_ptr_equal(queue_pick_next(&q, w2), acc);

	/* Every kind of need counts. */
	acc->t_flags.tf_accessibility = ACCESS_SIGN_LANGUAGE;
	assert_null(queue_pick_next(&q, w1));
	acc->t_flags.tf_accessibility = ACCESS_NONE;
	assert_ptr_equal(queue_pick_next(&q, w1), acc);
	queue_free(&q);
}

/* A skipped lane falls through to the window's next lane. */
static void
test_pick_next_accessible_next_lane(void **state)
{
	struct queue	 q;
	struct ticket	*acc, *e;
	struct window	*w1;
	static const enum lane counter_express[] = { LANE_COUNTER, LANE_EXPRESS };
	static const enum lane counter[] = { LANE_COUNTER };

	(void)state;
	queue_init(&q, 300);
	acc = waiting(&q, "A001", LANE_COUNTER, true, T0, 1);
	acc->t_flags.tf_accessibility = ACCESS_VISUAL;
	e = waiting(&q, "E001", LANE_EXPRESS, false, T0, 2);
	w1 = open_window(&q, 1, false, counter_express, 2);
	open_window(&q, 2, true, counter, 1);
	assert_ptr_equal(queue_pick_next(&q, w1), e);
	queue_free(&q);
}

static void
test_counter_idle(void **state)
{
	struct queue	 q;
	struct ticket	*a, *cur;
	struct window	*w1, *w2;
	static const enum lane counter[] = { LANE_COUNTER };
	static const enum lane express[] = { LANE_EXPRESS };
	static const enum lane vip_counter[] = { LANE_VIP, LANE_COUNTER };

	(void)state;
	queue_init(&q, 300);
	/* No window at all. */
	assert_false(queue_counter_idle(&q));
	/* An idle window that does not serve the counter. */
	open_window(&q, 3, false, express, 1);
	assert_false(queue_counter_idle(&q));

	w1 = open_window(&q, 1, false, counter, 1);
	assert_true(queue_counter_idle(&q));
	/* Paused, then closed. */
	w1->w_paused = true;
	assert_false(queue_counter_idle(&q));
	w1->w_paused = false;
	w1->w_open = false;
	assert_false(queue_counter_idle(&q));
	w1->w_open = true;

	/* Busy with a customer. */
	cur = mkticket(TODAY, "A001", LANE_COUNTER, TS_SERVING, false, T0, 1);
	queue_adopt(&q, cur);
	w1->w_current = cur;
	assert_false(queue_counter_idle(&q));
	/* A second window, idle, serving the counter among others. */
	w2 = open_window(&q, 2, false, vip_counter, 2);
	assert_true(queue_counter_idle(&q));

	/* Someone waiting at the counter: not idle. */
	a = waiting(&q, "A002", LANE_COUNTER, false, T0 + 1, 2);
	assert_false(queue_counter_idle(&q));
	queue_unlink(&q, a);
	a->t_status = TS_CALLED;
	w2->w_current = a;
	assert_false(queue_counter_idle(&q));
	/* Someone waiting in another lane does not matter. */
	w2->w_current = NULL;
	waiting(&q, "E001", LANE_EXPRESS, false, T0, 3);
	assert_true(queue_counter_idle(&q));
	queue_free(&q);
}

static void
test_lane_open(void **state)
{
	struct queue	 q;
	struct window	*w;
	int		 no;
	static const enum lane vip_express[] = { LANE_VIP, LANE_EXPRESS };
	static const enum lane counter[] = { LANE_COUNTER };

	(void)state;
	queue_init(&q, 300);
	for (no = 0; no <= BQ_MAX_WINDOW; no++) {
		assert_int_equal(q.q_windows[no].w_no, no == 0 ? 0 : no);
		assert_false(q.q_windows[no].w_open);
		assert_null(q.q_windows[no].w_current);
	}
	assert_false(queue_lane_open(&q, LANE_VIP));
	assert_false(queue_lane_open(&q, LANE_EXPRESS));

	w = open_window(&q, 99, false, vip_express, 2);
	assert_true(queue_lane_open(&q, LANE_VIP));
	assert_true(queue_lane_open(&q, LANE_EXPRESS));
	assert_false(queue_lane_open(&q, LANE_COUNTER));
	assert_false(queue_lane_open(&q, LANE_SELF_SERVICE));
	assert_int_equal(queue_open_windows(&q, LANE_VIP), 1);

	/* The lane list is read only as far as w_nlanes. */
	w->w_nlanes = 1;
	assert_false(queue_lane_open(&q, LANE_EXPRESS));
	w->w_nlanes = 2;

	w->w_paused = true;
	assert_false(queue_lane_open(&q, LANE_VIP));
	assert_int_equal(queue_open_windows(&q, LANE_VIP), 0);
	w->w_paused = false;
	w->w_open = false;
	assert_false(queue_lane_open(&q, LANE_VIP));

	for (no = 1; no <= BQ_MAX_WINDOW; no++)
		open_window(&q, no, false, counter, 1);
	assert_int_equal(queue_open_windows(&q, LANE_COUNTER), BQ_MAX_WINDOW);
	assert_true(queue_lane_open(&q, LANE_COUNTER));
	queue_free(&q);
}

/* ---- the state machine ---- */

static void
test_state_machine(void **state)
{
	/* decisions "State machine", written out independently of queue.c. */
	static const struct { enum ticket_status from; enum ticket_action a; int to; } allowed[] = {
		{ TS_DIVERTED, TA_REROUTE, TS_WAITING },
		{ TS_DIVERTED, TA_CANCEL, TS_CANCELLED },
		{ TS_DIVERTED, TA_EXPIRE, TS_EXPIRED },
		{ TS_WAITING, TA_CALL, TS_CALLED },
		{ TS_WAITING, TA_REROUTE, TS_WAITING },
		{ TS_WAITING, TA_CANCEL, TS_CANCELLED },
		{ TS_WAITING, TA_EXPIRE, TS_EXPIRED },
		{ TS_CALLED, TA_RECALL, TS_CALLED },
		{ TS_CALLED, TA_NO_SHOW, TS_NO_SHOW },
		{ TS_CALLED, TA_START, TS_SERVING },
		{ TS_CALLED, TA_TRANSFER, TS_WAITING },
		{ TS_SERVING, TA_COMPLETE, TS_DONE },
		{ TS_SERVING, TA_TRANSFER, TS_WAITING },
	};
	size_t	i;
	int	s, a, want, nallowed = 0;

	(void)state;
	for (s = 0; s < TS__COUNT; s++) {
		for (a = 0; a < TA__COUNT; a++) {
			want = -1;
			for (i = 0; i < sizeof allowed / sizeof allowed[0]; i++) {
				if ((int)allowed[i].from == s && (int)allowed[i].a == a)
					want = allowed[i].to;
			}
			if (ticket_next_status(s, a) != want)
				fail_msg("%s + %s: got %d, want %d",
				    ticket_status_name(s), ticket_action_name(a),
				    ticket_next_status(s, a), want);
			if (want != -1)
				nallowed++;
		}
	}
	assert_int_equal(nallowed, 13);
	/* Final states allow nothing. */
	for (a = 0; a < TA__COUNT; a++) {
		assert_int_equal(ticket_next_status(TS_DONE, a), -1);
		assert_int_equal(ticket_next_status(TS_NO_SHOW, a), -1);
		assert_int_equal(ticket_next_status(TS_CANCELLED, a), -1);
		assert_int_equal(ticket_next_status(TS_EXPIRED, a), -1);
	}
	/* Out of range is refused, not read. */
	assert_int_equal(ticket_next_status(TS__COUNT, TA_CALL), -1);
	assert_int_equal(ticket_next_status(TS_WAITING, TA__COUNT), -1);
	assert_int_equal(ticket_next_status((enum ticket_status)-1, TA_CALL), -1);
}

/* PROTOCOL 1.1: what the end of the business day does to each status. */
static void
test_day_end_action(void **state)
{
	static const struct { enum ticket_status from; int action; enum ticket_status to; }
	    cases[] = {
		{ TS_DIVERTED, TA_EXPIRE, TS_EXPIRED },
		{ TS_WAITING, TA_EXPIRE, TS_EXPIRED },
		{ TS_CALLED, TA_NO_SHOW, TS_NO_SHOW },
		{ TS_SERVING, TA_COMPLETE, TS_DONE },
		{ TS_DONE, -1, TS_DONE },
		{ TS_NO_SHOW, -1, TS_NO_SHOW },
		{ TS_CANCELLED, -1, TS_CANCELLED },
		{ TS_EXPIRED, -1, TS_EXPIRED },
	};
	size_t	i;

	(void)state;
	assert_int_equal(sizeof cases / sizeof cases[0], TS__COUNT);
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		assert_int_equal(ticket_day_end_action(cases[i].from), cases[i].action);
		/* each is a move the state machine allows */
		if (cases[i].action >= 0)
			assert_int_equal(ticket_next_status(cases[i].from,
			    (enum ticket_action)cases[i].action), cases[i].to);
	}
}

static void
test_names(void **state)
{
	static const char *const status[TS__COUNT] = {
		"diverted", "waiting", "called", "serving", "done", "no_show",
		"cancelled", "expired",
	};
	static const char *const action[TA__COUNT] = {
		"called", "recalled", "no_show", "started", "completed",
		"transferred", "rerouted", "cancelled", "expired",
	};
	int	i;

	(void)state;
	for (i = 0; i < TS__COUNT; i++) {
		assert_string_equal(ticket_status_name(i), status[i]);
		assert_int_equal(ticket_status_from_name(status[i]), i);
		assert_int_equal(ticket_status_from_name(ticket_status_name(i)), i);
	}
	for (i = 0; i < TA__COUNT; i++)
		assert_string_equal(ticket_action_name(i), action[i]);
	assert_int_equal(ticket_status_from_name("Waiting"), -1);
	assert_int_equal(ticket_status_from_name("waiting "), -1);
	assert_int_equal(ticket_status_from_name(""), -1);
	assert_int_equal(ticket_status_from_name("recalled"), -1);
	assert_int_equal(ticket_status_from_name(NULL), -1);
}

/* ---- the table ---- */

/* Daily numbering: known per lane for one day, unknown (-1) otherwise. */
static void
test_last_seq(void **state)
{
	struct queue	q;

	(void)state;
	queue_init(&q, 300);
	assert_int_equal(queue_last_seq(&q, "2026-11-23", LANE_COUNTER), -1);
	queue_set_seq(&q, "2026-11-23", LANE_COUNTER, 12);
	assert_int_equal(queue_last_seq(&q, "2026-11-23", LANE_COUNTER), 12);
	assert_int_equal(queue_last_seq(&q, "2026-11-23", LANE_EXPRESS), -1);
	assert_int_equal(queue_last_seq(&q, "2026-11-22", LANE_COUNTER), -1);
	queue_set_seq(&q, "2026-11-23", LANE_EXPRESS, 0);
	assert_int_equal(queue_last_seq(&q, "2026-11-23", LANE_EXPRESS), 0);
	/* another day: what was known of the first is forgotten */
	queue_set_seq(&q, "2026-11-24", LANE_VIP, 1);
	assert_int_equal(queue_last_seq(&q, "2026-11-24", LANE_VIP), 1);
	assert_int_equal(queue_last_seq(&q, "2026-11-24", LANE_COUNTER), -1);
	assert_int_equal(queue_last_seq(&q, "2026-11-23", LANE_COUNTER), -1);
	queue_free(&q);
	queue_init(&q, 300);
	assert_int_equal(queue_last_seq(&q, "2026-11-24", LANE_VIP), -1);
	queue_free(&q);
}

static void
test_forget_before(void **state)
{
	struct queue	 q;
	struct ticket	*t;
	struct window	*w;
	static const enum lane counter[] = { LANE_COUNTER };
	static const struct {
		const char		*date, *number;
		enum ticket_status	 status;
		bool			 held, kept;
	} cases[] = {
		{ YESTERDAY, "A001", TS_DONE, false, false },
		{ YESTERDAY, "A002", TS_NO_SHOW, false, false },
		{ YESTERDAY, "A003", TS_CANCELLED, false, false },
		{ YESTERDAY, "S001", TS_EXPIRED, false, false },
		{ "2023-12-31", "A001", TS_DONE, false, false },
		{ YESTERDAY, "A004", TS_WAITING, false, true },
		{ YESTERDAY, "A005", TS_SERVING, true, true },
		{ YESTERDAY, "A006", TS_DONE, true, true },	/* still on a window */
		{ YESTERDAY, "S002", TS_DIVERTED, false, true },
		{ TODAY, "A001", TS_DONE, false, true },
		{ TODAY, "A002", TS_WAITING, false, true },
		{ "2024-03-06", "A001", TS_CANCELLED, false, true },
	};
	size_t	i, n = sizeof cases / sizeof cases[0];
	int	no = 1;

	(void)state;
	queue_init(&q, 300);
	/* forget on an empty queue is harmless */
	queue_forget_before(&q, TODAY);
	assert_int_equal(q.q_table_len, 0);
	for (i = 0; i < n; i++) {
		t = mkticket(cases[i].date, cases[i].number,
		    cases[i].number[0] == 'S' ? LANE_SELF_SERVICE : LANE_COUNTER,
		    cases[i].status, false, T0 + (int64_t)i, (int64_t)i + 1);
		queue_adopt(&q, t);
		if (cases[i].held) {
			w = open_window(&q, no++, false, counter, 1);
			w->w_current = t;
		}
	}
	assert_int_equal(q.q_table_len, n);
	assert_int_equal(queue_waiting(&q, LANE_COUNTER), 2);

	queue_forget_before(&q, TODAY);
	for (i = 0; i < n; i++) {
		t = queue_find(&q, cases[i].date, cases[i].number);
		if (cases[i].kept) {
			assert_non_null(t);
			assert_string_equal(t->t_date, cases[i].date);
			assert_string_equal(t->t_number, cases[i].number);
			assert_int_equal(t->t_status, cases[i].status);
		} else if (t != NULL)
			fail_msg("%s %s was kept", cases[i].date, cases[i].number);
	}
	assert_int_equal(q.q_table_len, 7);
	/* The waiting tickets are still in line, in order. */
	assert_int_equal(queue_waiting(&q, LANE_COUNTER), 2);
	assert_int_equal(queue_position(&q, queue_find(&q, YESTERDAY, "A004")), 1);
	assert_int_equal(queue_position(&q, queue_find(&q, TODAY, "A002")), 2);
	/* Room for new tickets with numbers that were forgotten. */
	waiting(&q, "A003", LANE_COUNTER, false, T0 + 100, 100);
	t = mkticket(YESTERDAY, "A001", LANE_COUNTER, TS_DONE, false, T0, 101);
	queue_adopt(&q, t);
	assert_ptr_equal(queue_find(&q, YESTERDAY, "A001"), t);

	/* An earlier day forgets nothing; today's pass the new old one. */
	queue_forget_before(&q, "2024-01-01");
	assert_int_equal(q.q_table_len, 9);
	queue_forget_before(&q, TODAY);
	assert_int_equal(q.q_table_len, 8);
	assert_null(queue_find(&q, YESTERDAY, "A001"));
	assert_non_null(queue_find(&q, TODAY, "A003"));
	queue_free(&q);
}

static void
test_table_growth(void **state)
{
	struct queue	 q;
	struct ticket	*t;
	char		 num[BQ_NUMBER_LEN];
	static const enum lane lanes[] = { LANE_EXPRESS, LANE_COUNTER, LANE_VIP };
	const int	 n = 5000;
	int		 i, d, waitingn[LANE__COUNT] = { 0 };
	uint32_t	 rnd = 12345;

	(void)state;
	queue_init(&q, 300);
	assert_null(queue_find(&q, TODAY, "A001"));
	/* The same numbers on two days are different tickets. */
	for (d = 0; d < 2; d++) {
		for (i = 0; i < n; i++) {
			snprintf(num, sizeof num, "%c%03d", "EAV"[i % 3], i + 1);
			t = mkticket(d ? TODAY : YESTERDAY, num, lanes[i % 3],
			    d ? TS_WAITING : TS_DONE, (i % 11) == 0, 0, d * n + i + 1);
			rnd = rnd * 1103515245u + 12345u;	/* issue times out of order */
			t->t_issued_at = T0 + (int64_t)(rnd >> 16) % 3600;
			queue_adopt(&q, t);
			if (d)
				waitingn[lanes[i % 3]]++;
			/* never more than half full */
			assert_true(q.q_table_len * 2 <= q.q_table_cap);
		}
	}
	assert_int_equal(q.q_table_len, 2 * n);
	assert_true(q.q_table_cap >= 4 * (size_t)n);
	assert_int_equal(q.q_table_cap & (q.q_table_cap - 1), 0);

	for (d = 0; d < 2; d++) {
		for (i = 0; i < n; i++) {
			snprintf(num, sizeof num, "%c%03d", "EAV"[i % 3], i + 1);
			t = queue_find(&q, d ? TODAY : YESTERDAY, num);
			if (t == NULL)
				fail_msg("%s not found", num);
			assert_string_equal(t->t_number, num);
			assert_int_equal(t->t_id, d * n + i + 1);
			assert_ptr_equal(q.q_table[t->t_slot], t);
		}
	}
	assert_null(queue_find(&q, TODAY, "E002"));	/* number 2 is A002 */
	assert_null(queue_find(&q, "2024-03-03", "E001"));
	assert_null(queue_find(&q, TODAY, ""));
	for (i = 0; i < LANE__COUNT; i++) {
		assert_int_equal(queue_waiting(&q, i), waitingn[i]);
		check_lane(&q, i);
	}

	/* Yesterday's are all done: forgetting them leaves today's findable. */
	queue_forget_before(&q, TODAY);
	assert_int_equal(q.q_table_len, n);
	for (i = 0; i < n; i++) {
		snprintf(num, sizeof num, "%c%03d", "EAV"[i % 3], i + 1);
		assert_null(queue_find(&q, YESTERDAY, num));
		t = queue_find(&q, TODAY, num);
		assert_non_null(t);
		assert_ptr_equal(q.q_table[t->t_slot], t);
	}
	queue_free(&q);
	/* Freeing twice is harmless. */
	queue_free(&q);
}

/* A broken invariant aborts: run it in a child. */
static void
test_adopt_duplicate_fatal(void **state)
{
	struct queue	 q;
	pid_t		 pid;
	int		 status;

	(void)state;
	fflush(NULL);
	pid = fork();
	assert_true(pid != -1);
	if (pid == 0) {
		/* quiet the expected log line */
		if (freopen("/dev/null", "w", stderr) == NULL)
			_exit(3);
		queue_init(&q, 300);
		waiting(&q, "A001", LANE_COUNTER, false, T0, 1);
		waiting(&q, "A001", LANE_COUNTER, false, T0 + 1, 2);
		_exit(0);	/* not reached if it works */
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status));
	assert_int_equal(WTERMSIG(status), SIGABRT);
}

/* PROTOCOL 1.1 diverted_open: tickets at the machines, as status changes. */
static void
test_diverted_count(void **state)
{
	struct queue	 q;
	struct ticket	*s1, *s2, *s3, *a1;

	(void)state;
	queue_init(&q, 300);
	s1 = mkticket(TODAY, "S001", LANE_SELF_SERVICE, TS_DIVERTED, false, T0, 1);
	s2 = mkticket(TODAY, "S002", LANE_SELF_SERVICE, TS_DIVERTED, false, T0 + 1, 2);
	s3 = mkticket(TODAY, "S003", LANE_SELF_SERVICE, TS_DIVERTED, true, T0 + 2, 3);
	a1 = waiting(&q, "A001", LANE_COUNTER, false, T0, 4);
	assert_int_equal(queue_diverted(&q), 0);
	queue_adopt(&q, s1);
	queue_adopt(&q, s2);
	queue_adopt(&q, s3);
	assert_int_equal(queue_diverted(&q), 3);
	/* at the machines is not waiting in a lane */
	assert_int_equal(queue_waiting(&q, LANE_SELF_SERVICE), 0);
	assert_int_equal(queue_position(&q, s1), 0);

	/* linking twice counts once; unlinking twice removes once */
	queue_link(&q, s1);
	assert_int_equal(queue_diverted(&q), 3);

	/* rerouted: out of the machines, into the counter lane */
	queue_unlink(&q, s2);
	s2->t_lane = LANE_COUNTER;
	s2->t_status = TS_WAITING;
	queue_link(&q, s2);
	assert_int_equal(queue_diverted(&q), 2);
	assert_int_equal(queue_waiting(&q, LANE_COUNTER), 2);

	/* cancelled: unlinked after the status changed, as the day end does */
	s3->t_status = TS_CANCELLED;
	queue_unlink(&q, s3);
	queue_unlink(&q, s3);
	queue_link(&q, s3);
	assert_int_equal(queue_diverted(&q), 1);

	/* expired at the day end, then forgotten */
	queue_unlink(&q, s1);
	s1->t_status = TS_EXPIRED;
	assert_int_equal(queue_diverted(&q), 0);
	(void)a1;
	queue_free(&q);
	assert_int_equal(queue_diverted(&q), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ticket_order),
		cmocka_unit_test(test_day_end_action),
		cmocka_unit_test(test_lane_order),
		cmocka_unit_test(test_transfer_keeps_place),
		cmocka_unit_test(test_positions_appends),
		cmocka_unit_test(test_positions_insert_remove),
		cmocka_unit_test(test_oldest_issued_at),
		cmocka_unit_test(test_oldest_issued_at_split),
		cmocka_unit_test(test_estimate_default),
		cmocka_unit_test(test_estimate_recorded),
		cmocka_unit_test(test_estimate_ring),
		cmocka_unit_test(test_estimate_windows),
		cmocka_unit_test(test_estimate_rounding),
		cmocka_unit_test(test_pick_next_lane_order),
		cmocka_unit_test(test_pick_next_accessible),
		cmocka_unit_test(test_pick_next_accessible_next_lane),
		cmocka_unit_test(test_counter_idle),
		cmocka_unit_test(test_lane_open),
		cmocka_unit_test(test_state_machine),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_last_seq),
		cmocka_unit_test(test_forget_before),
		cmocka_unit_test(test_table_growth),
		cmocka_unit_test(test_adopt_duplicate_fatal),
		cmocka_unit_test(test_diverted_count),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
