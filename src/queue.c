/*
 * Today's tickets in memory: a hash table to find a ticket by its number, one
 * sorted array of waiting tickets per lane, the counter windows, and the
 * ticket state machine (DOMAIN §2).
 *
 * Pure: no SQL, no sockets, no clock.  Every time comes in through a ticket
 * field, so the ordering and the estimates can be tested to the second.
 */
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "branchq.h"

#define QUEUE_TABLE_MIN	64	/* first hash table size; always a power of two */
#define QUEUE_LANE_MIN	16	/* first lane array size */

/* ---- the ticket state machine (DOMAIN §2) ---- */

static const char *const ticket_status_names[TS__COUNT] = {
	[TS_DIVERTED] = "diverted",
	[TS_WAITING] = "waiting",
	[TS_CALLED] = "called",
	[TS_SERVING] = "serving",
	[TS_DONE] = "done",
	[TS_NO_SHOW] = "no_show",
	[TS_CANCELLED] = "cancelled",
	[TS_EXPIRED] = "expired",
};

/* These are also the event kinds in the ticket history. */
static const char *const ticket_action_names[TA__COUNT] = {
	[TA_CALL] = "called",
	[TA_RECALL] = "recalled",
	[TA_NO_SHOW] = "no_show",
	[TA_START] = "started",
	[TA_COMPLETE] = "completed",
	[TA_TRANSFER] = "transferred",
	[TA_REROUTE] = "rerouted",
	[TA_CANCEL] = "cancelled",
	[TA_EXPIRE] = "expired",
};

/*
 * Every cell spelled out, so the table reads as the rule does.  The columns
 * follow enum ticket_action; the assertion catches a new action added to the
 * enum but not here.  done, no_show, cancelled and expired are final.
 */
#define NO	(-1)
_Static_assert(TA__COUNT == 9, "ticket_transitions columns follow enum ticket_action");
static const int ticket_transitions[TS__COUNT][TA__COUNT] = {
	/*		  call		recall		no_show		start
	 *		  complete	transfer	reroute		cancel
	 *		  expire */
	[TS_DIVERTED] = { NO,		NO,		NO,		NO,
			  NO,		NO,		TS_WAITING,	TS_CANCELLED,
			  TS_EXPIRED },
	[TS_WAITING] = { TS_CALLED,	NO,		NO,		NO,
			  NO,		NO,		TS_WAITING,	TS_CANCELLED,
			  TS_EXPIRED },
	/* DOMAIN §2: a called customer may be recalled, missed, or sent on. */
	[TS_CALLED] = { NO,		TS_CALLED,	TS_NO_SHOW,	TS_SERVING,
			  NO,		TS_WAITING,	NO,		NO,
			  NO },
	[TS_SERVING] = { NO,		NO,		NO,		NO,
			  TS_DONE,	TS_WAITING,	NO,		NO,
			  NO },
	[TS_DONE] = { NO, NO, NO, NO, NO, NO, NO, NO, NO },
	[TS_NO_SHOW] = { NO, NO, NO, NO, NO, NO, NO, NO, NO },
	[TS_CANCELLED] = { NO, NO, NO, NO, NO, NO, NO, NO, NO },
	[TS_EXPIRED] = { NO, NO, NO, NO, NO, NO, NO, NO, NO },
};
#undef NO

const char *
ticket_status_name(enum ticket_status ts)
{
	if ((unsigned)ts >= TS__COUNT)
		fatalx("%s: bad status %d", __func__, (int)ts);
	return ticket_status_names[ts];
}

int
ticket_status_from_name(const char *name)
{
	int	i;

	if (name == NULL)
		return -1;
	for (i = 0; i < TS__COUNT; i++) {
		if (strcmp(name, ticket_status_names[i]) == 0)
			return i;
	}
	return -1;
}

const char *
ticket_action_name(enum ticket_action ta)
{
	if ((unsigned)ta >= TA__COUNT)
		fatalx("%s: bad action %d", __func__, (int)ta);
	return ticket_action_names[ta];
}

int
ticket_next_status(enum ticket_status ts, enum ticket_action ta)
{
	/* Out of range is refused rather than read past the table. */
	if ((unsigned)ts >= TS__COUNT || (unsigned)ta >= TA__COUNT)
		return -1;
	return ticket_transitions[ts][ta];
}

static bool
ticket_status_final(enum ticket_status ts)
{
	return ts == TS_DONE || ts == TS_NO_SHOW || ts == TS_CANCELLED ||
	    ts == TS_EXPIRED;
}

/*
 * PROTOCOL 1.1: the end of the business day leaves no ticket open.  Waiting
 * and diverted tickets expire; one still called was not served: no-show;
 * one being served is done (its service time counts nowhere: closed_by).
 */
int
ticket_day_end_action(enum ticket_status ts)
{
	switch (ts) {
	case TS_DIVERTED:
	case TS_WAITING:
		return TA_EXPIRE;
	case TS_CALLED:
		return TA_NO_SHOW;
	case TS_SERVING:
		return TA_COMPLETE;
	default:
		return -1;	/* final already */
	}
}

/* ---- waiting order ---- */

/*
 * DOMAIN §2: priority tickets (accessibility, assistance) first, then by the
 * original arrival time, so a rerouted or transferred ticket keeps its place
 * in time; the row id breaks ties in issue order.
 */
int
ticket_order(const struct ticket *a, const struct ticket *b)
{
	if (a->t_priority != b->t_priority)
		return a->t_priority ? -1 : 1;
	if (a->t_issued_at != b->t_issued_at)
		return a->t_issued_at < b->t_issued_at ? -1 : 1;
	if (a->t_id != b->t_id)
		return a->t_id < b->t_id ? -1 : 1;
	return 0;
}

static void
queue_check_lane(enum lane lane, const char *fn)
{
	if ((unsigned)lane >= LANE__COUNT)
		fatalx("%s: bad lane %d", fn, (int)lane);
}

/* First index whose ticket does not go before t. */
static size_t
lane_lower_bound(const struct lane_queue *lq, const struct ticket *t)
{
	size_t	lo = 0, hi = lq->lq_len, mid;

	/* The common case, a new ticket behind the last: no search (whose
	 * every step is a cache miss on a long lane). */
	if (hi > 0 && ticket_order(lq->lq_items[hi - 1], t) < 0)
		return hi;
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (ticket_order(lq->lq_items[mid], t) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/*
 * Where t sits in its lane, by binary search.  Tickets that compare equal
 * (the same id twice would be a bug elsewhere, not here) are scanned for the
 * pointer itself, so the answer is never another ticket's place.
 */
static bool
lane_find(const struct lane_queue *lq, const struct ticket *t, size_t *idx)
{
	size_t	i;

	if (lq->lq_len > 0 && lq->lq_items[lq->lq_len - 1] == t) {
		*idx = lq->lq_len - 1;	/* the newest, as just after its issue */
		return true;
	}
	for (i = lane_lower_bound(lq, t); i < lq->lq_len; i++) {
		if (lq->lq_items[i] == t) {
			*idx = i;
			return true;
		}
		if (ticket_order(lq->lq_items[i], t) != 0)
			break;
	}
	return false;
}

static void
lane_insert(struct lane_queue *lq, struct ticket *t)
{
	struct ticket	**items;
	size_t		  i, cap;

	if (lq->lq_len == lq->lq_cap) {
		cap = lq->lq_cap == 0 ? QUEUE_LANE_MIN : lq->lq_cap * 2;
		if (cap > SIZE_MAX / sizeof *items)
			fatalx("%s: lane too long", __func__);
		items = realloc(lq->lq_items, cap * sizeof *items);
		if (items == NULL)
			fatal("%s: realloc", __func__);
		lq->lq_items = items;
		lq->lq_cap = cap;
	}
	i = lane_lower_bound(lq, t);
	memmove(&lq->lq_items[i + 1], &lq->lq_items[i],
	    (lq->lq_len - i) * sizeof *lq->lq_items);
	lq->lq_items[i] = t;
	lq->lq_len++;
}

static void
lane_remove(struct lane_queue *lq, size_t i)
{
	memmove(&lq->lq_items[i], &lq->lq_items[i + 1],
	    (lq->lq_len - i - 1) * sizeof *lq->lq_items);
	lq->lq_len--;
}

/* ---- the hash table: (date, number) -> ticket ---- */

/* FNV-1a over the date, a separator and the number. */
static size_t
queue_hash(const char *date, const char *number)
{
	uint64_t		 h = 14695981039346656037ULL;
	const unsigned char	*p;

	for (p = (const unsigned char *)date; *p != '\0'; p++)
		h = (h ^ *p) * 1099511628211ULL;
	h = (h ^ 0xff) * 1099511628211ULL;	/* never in a date: no run-on keys */
	for (p = (const unsigned char *)number; *p != '\0'; p++)
		h = (h ^ *p) * 1099511628211ULL;
	return (size_t)(h ^ (h >> 32));
}

static bool
ticket_key_is(const struct ticket *t, const char *date, const char *number)
{
	return strcmp(t->t_date, date) == 0 && strcmp(t->t_number, number) == 0;
}

/* Place t in the first free slot of its probe sequence; the key is not there. */
static void
table_place(struct ticket **table, size_t cap, struct ticket *t)
{
	size_t	mask = cap - 1, i;

	i = queue_hash(t->t_date, t->t_number) & mask;
	while (table[i] != NULL)
		i = (i + 1) & mask;
	table[i] = t;
	t->t_slot = i;
}

static struct ticket **
table_alloc(size_t cap)
{
	struct ticket	**table;

	table = calloc(cap, sizeof *table);
	if (table == NULL)
		fatal("%s: calloc", __func__);
	return table;
}

/* Linear probing stays short while at most half the slots are used. */
static void
table_grow(struct queue *q)
{
	struct ticket	**table;
	size_t		  cap, i;

	if (q->q_table_cap == 0)
		cap = QUEUE_TABLE_MIN;
	else {
		if (q->q_table_cap > SIZE_MAX / 2 / sizeof *table)
			fatalx("%s: table too large", __func__);
		cap = q->q_table_cap * 2;
	}
	table = table_alloc(cap);
	for (i = 0; i < q->q_table_cap; i++) {
		if (q->q_table[i] != NULL)
			table_place(table, cap, q->q_table[i]);
	}
	free(q->q_table);
	q->q_table = table;
	q->q_table_cap = cap;
}

/* ---- the queue ---- */

void
queue_init(struct queue *q, int64_t default_service_s)
{
	int	no;

	/* The estimate's rounding assumes no negative durations. */
	if (default_service_s < 0)
		fatalx("%s: negative default service time", __func__);
	memset(q, 0, sizeof *q);
	for (no = 1; no <= BQ_MAX_WINDOW; no++)
		q->q_windows[no].w_no = no;
	q->q_default_service_s = default_service_s;
}

/* Safe on a queue that adopted nothing, and twice. */
void
queue_free(struct queue *q)
{
	size_t	i;
	int	lane, no;

	for (i = 0; i < q->q_table_cap; i++)
		free(q->q_table[i]);
	free(q->q_table);
	q->q_table = NULL;
	q->q_table_cap = q->q_table_len = 0;
	for (lane = 0; lane < LANE__COUNT; lane++) {
		free(q->q_lanes[lane].lq_items);
		q->q_lanes[lane].lq_items = NULL;
		q->q_lanes[lane].lq_len = q->q_lanes[lane].lq_cap = 0;
	}
	free(q->q_diverted.lq_items);
	q->q_diverted.lq_items = NULL;
	q->q_diverted.lq_len = q->q_diverted.lq_cap = 0;
	/* Those tickets are gone: no window may point at one. */
	for (no = 1; no <= BQ_MAX_WINDOW; no++)
		q->q_windows[no].w_current = NULL;
}

void
queue_adopt(struct queue *q, struct ticket *t)
{
	queue_check_lane(t->t_lane, __func__);
	if (queue_find(q, t->t_date, t->t_number) != NULL)
		fatalx("%s: ticket %s %s already in the queue", __func__,
		    t->t_date, t->t_number);
	if ((q->q_table_len + 1) * 2 > q->q_table_cap)
		table_grow(q);
	table_place(q->q_table, q->q_table_cap, t);
	q->q_table_len++;
	queue_link(q, t);
}

int
queue_last_seq(const struct queue *q, const char *date, enum lane lane)
{
	if (strcmp(date, q->q_seq_date) != 0 || !(q->q_seq_known & (1u << lane)))
		return -1;
	return q->q_seq[lane];
}

void
queue_set_seq(struct queue *q, const char *date, enum lane lane, int seq)
{
	if (strcmp(date, q->q_seq_date) != 0) {
		snprintf(q->q_seq_date, sizeof q->q_seq_date, "%s", date);
		q->q_seq_known = 0;
	}
	q->q_seq[lane] = seq;
	q->q_seq_known |= 1u << lane;
}

struct ticket *
queue_find(struct queue *q, const char *date, const char *number)
{
	size_t	mask, i;

	if (q->q_table_cap == 0 || date == NULL || number == NULL)
		return NULL;
	mask = q->q_table_cap - 1;
	for (i = queue_hash(date, number) & mask; q->q_table[i] != NULL;
	    i = (i + 1) & mask) {
		if (ticket_key_is(q->q_table[i], date, number))
			return q->q_table[i];
	}
	return NULL;
}

/*
 * The ticket is found in its lane by the fields that order it, so callers
 * unlink before changing lane, priority or issue time.  Status is not
 * looked at here: unlinking after a status change still works.
 */
void
queue_unlink(struct queue *q, struct ticket *t)
{
	struct lane_queue	*lq;
	size_t			 i;

	queue_check_lane(t->t_lane, __func__);
	lq = &q->q_lanes[t->t_lane];
	if (lane_find(lq, t, &i))
		lane_remove(lq, i);
	/* Only a self-service ticket is ever at the machines. */
	if (t->t_lane == LANE_SELF_SERVICE && lane_find(&q->q_diverted, t, &i))
		lane_remove(&q->q_diverted, i);
}

void
queue_link(struct queue *q, struct ticket *t)
{
	struct lane_queue	*lq;
	size_t			 i;

	queue_check_lane(t->t_lane, __func__);
	if (t->t_status == TS_DIVERTED && !lane_find(&q->q_diverted, t, &i))
		lane_insert(&q->q_diverted, t);
	if (t->t_status != TS_WAITING)
		return;
	lq = &q->q_lanes[t->t_lane];
	if (!lane_find(lq, t, &i))
		lane_insert(lq, t);
}

struct window *
queue_window_holding(struct queue *q, const struct ticket *t)
{
	int	no;

	for (no = 1; no <= BQ_MAX_WINDOW; no++) {
		if (q->q_windows[no].w_current == t)
			return &q->q_windows[no];
	}
	return NULL;
}

/*
 * Past days' tickets are dropped once nothing can happen to them any more.
 * The table is rebuilt rather than deleted from in place, which linear
 * probing would otherwise need tombstones or back-shifting for; this runs
 * once a day.
 */
void
queue_forget_before(struct queue *q, const char *today)
{
	struct ticket	**table, *t;
	size_t		  i, len = 0;

	if (q->q_table_cap == 0)
		return;
	table = table_alloc(q->q_table_cap);
	for (i = 0; i < q->q_table_cap; i++) {
		if ((t = q->q_table[i]) == NULL)
			continue;
		if (strcmp(t->t_date, today) < 0 &&
		    ticket_status_final(t->t_status) && queue_window_holding(q, t) == NULL) {
			/* A final ticket is never waiting; this costs a search. */
			queue_unlink(q, t);
			free(t);
			continue;
		}
		table_place(table, q->q_table_cap, t);
		len++;
	}
	free(q->q_table);
	q->q_table = table;
	q->q_table_len = len;
}

size_t
queue_position(const struct queue *q, const struct ticket *t)
{
	size_t	i;

	queue_check_lane(t->t_lane, __func__);
	if (t->t_status != TS_WAITING)
		return 0;
	if (!lane_find(&q->q_lanes[t->t_lane], t, &i))
		return 0;
	return i + 1;
}

size_t
queue_waiting(const struct queue *q, enum lane lane)
{
	queue_check_lane(lane, __func__);
	return q->q_lanes[lane].lq_len;
}

/* PROTOCOL 1.1: diverted_open.  The day end expires every one of them. */
size_t
queue_diverted(const struct queue *q)
{
	return q->q_diverted.lq_len;
}

/*
 * Priority tickets come first whatever their age, so the oldest is either
 * the head or the first ticket without priority.
 */
int64_t
queue_oldest_issued_at(const struct queue *q, enum lane lane)
{
	const struct lane_queue	*lq;
	size_t			 lo, hi, mid;
	int64_t			 oldest;

	queue_check_lane(lane, __func__);
	lq = &q->q_lanes[lane];
	if (lq->lq_len == 0)
		return 0;
	lo = 0;
	hi = lq->lq_len;
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (lq->lq_items[mid]->t_priority)
			lo = mid + 1;
		else
			hi = mid;
	}
	oldest = lq->lq_items[0]->t_issued_at;
	if (lo < lq->lq_len && lq->lq_items[lo]->t_issued_at < oldest)
		oldest = lq->lq_items[lo]->t_issued_at;
	return oldest;
}

/* ---- windows ---- */

static bool
window_serves(const struct window *w, enum lane lane)
{
	int	i;

	for (i = 0; i < w->w_nlanes && i < LANE__COUNT; i++) {
		if (w->w_lanes[i] == lane)
			return true;
	}
	return false;
}

static bool
window_working(const struct window *w)
{
	return w->w_open && !w->w_paused;
}

int
queue_open_windows(const struct queue *q, enum lane lane)
{
	const struct window	*w;
	int			 no, n = 0;

	queue_check_lane(lane, __func__);
	for (no = 1; no <= BQ_MAX_WINDOW; no++) {
		w = &q->q_windows[no];
		if (window_working(w) && window_serves(w, lane))
			n++;
	}
	return n;
}

/* decisions: a lane is open when an open, unpaused window lists it. */
bool
queue_lane_open(const struct queue *q, enum lane lane)
{
	return queue_open_windows(q, lane) > 0;
}

/* DOMAIN §1: nobody waits at the counter and a counter window is idle. */
bool
queue_counter_idle(const struct queue *q)
{
	const struct window	*w;
	int			 no;

	if (q->q_lanes[LANE_COUNTER].lq_len != 0)
		return false;
	for (no = 1; no <= BQ_MAX_WINDOW; no++) {
		w = &q->q_windows[no];
		if (window_working(w) && window_serves(w, LANE_COUNTER) &&
		    w->w_current == NULL)
			return true;
	}
	return false;
}

/* Whether a working accessible window other than w serves the lane. */
static bool
accessible_elsewhere(const struct queue *q, const struct window *w,
    enum lane lane)
{
	const struct window	*o;
	int			 no;

	for (no = 1; no <= BQ_MAX_WINDOW; no++) {
		o = &q->q_windows[no];
		if (o->w_no != w->w_no && o->w_accessible && window_working(o) &&
		    window_serves(o, lane))
			return true;
	}
	return false;
}

/*
 * DOMAIN §2: the head of the first non-empty lane in the window's order.
 * DOMAIN §1 (S3): an accessibility need is served at an accessible window
 * where one is marked, so other windows pass over it while one is working.
 */
struct ticket *
queue_pick_next(const struct queue *q, const struct window *w)
{
	const struct lane_queue	*lq;
	struct ticket		*t;
	enum lane		 lane;
	bool			 skip;
	int			 i;
	size_t			 j;

	for (i = 0; i < w->w_nlanes && i < LANE__COUNT; i++) {
		lane = w->w_lanes[i];
		queue_check_lane(lane, __func__);
		lq = &q->q_lanes[lane];
		if (lq->lq_len == 0)
			continue;
		skip = !w->w_accessible && accessible_elsewhere(q, w, lane);
		for (j = 0; j < lq->lq_len; j++) {
			t = lq->lq_items[j];
			if (skip && t->t_flags.tf_accessibility != ACCESS_NONE)
				continue;
			return t;
		}
	}
	return NULL;
}

/* ---- service times and estimates ---- */

void
queue_record_service(struct queue *q, enum lane lane, int64_t seconds)
{
	struct lane_queue	*lq;

	queue_check_lane(lane, __func__);
	lq = &q->q_lanes[lane];
	/* A clock stepped back could make one negative; it took no time. */
	if (seconds < 0)
		seconds = 0;
	lq->lq_recent_s[lq->lq_recent_next] = seconds;
	lq->lq_recent_next = (lq->lq_recent_next + 1) % QUEUE_RECENT;
	if (lq->lq_nrecent < QUEUE_RECENT)
		lq->lq_nrecent++;
}

/* The mean as the fraction sum / n, so the estimate rounds only once. */
static void
lane_service(const struct queue *q, enum lane lane, int64_t *sum, int64_t *n)
{
	const struct lane_queue	*lq = &q->q_lanes[lane];
	int			 i;

	if (lq->lq_nrecent == 0) {
		*sum = q->q_default_service_s;
		*n = 1;
		return;
	}
	*sum = 0;
	for (i = 0; i < lq->lq_nrecent; i++)
		*sum += lq->lq_recent_s[i];
	*n = lq->lq_nrecent;
}

/* round(num / den), halves up, for num >= 0 and den > 0. */
static int64_t
div_round(int64_t num, int64_t den)
{
	return (2 * num + den) / (2 * den);
}

int64_t
queue_mean_service(const struct queue *q, enum lane lane)
{
	int64_t	sum, n;

	queue_check_lane(lane, __func__);
	lane_service(q, lane, &sum, &n);
	return div_round(sum, n);
}

/*
 * decisions: round(position * S / W), S the mean occupancy of the last
 * QUEUE_RECENT tickets of the lane (or the default), W the working windows
 * serving it, at least one.  Computed as one fraction, so a mean of 100.5 s
 * gives 201 s for the second in line, not 202.
 */
int64_t
queue_estimate_wait(const struct queue *q, const struct ticket *t)
{
	size_t	pos;
	int64_t	sum, n;
	int	w;

	if ((pos = queue_position(q, t)) == 0)
		return -1;
	lane_service(q, t->t_lane, &sum, &n);
	w = queue_open_windows(q, t->t_lane);
	if (w < 1)
		w = 1;
	return div_round((int64_t)pos * sum, n * w);
}

/*
 * What a ticket joining `lane` now, without priority, would be told: the
 * estimate of position waiting + 1.  The lobby display shows it per lane.
 */
int64_t
queue_estimate_join(const struct queue *q, enum lane lane)
{
	int64_t	sum, n;
	int	w;

	queue_check_lane(lane, __func__);
	lane_service(q, lane, &sum, &n);
	w = queue_open_windows(q, lane);
	if (w < 1)
		w = 1;
	return div_round((int64_t)(queue_waiting(q, lane) + 1) * sum, n * w);
}
