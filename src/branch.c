/*
 * The branch: the daemon's state between requests, the one path by which a
 * change reaches the database and then memory, and the business day.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "branchq.h"

#define DAY_END_RETRY_S	10	/* a failed day-end commit is tried again */

/*
 * The line a window's change adds to its history (window_events, read by
 * the reports for paused and idle time), or NULL when only its current
 * ticket changes.
 */
static const char *
window_change_kind(const struct window *before, const struct window *after)
{
	if (before->w_open != after->w_open)
		return after->w_open ? "opened" : "closed";
	if (!after->w_open)
		return NULL;
	if (before->w_paused != after->w_paused)
		return after->w_paused ? "paused" : "resumed";
	if (before->w_nlanes != after->w_nlanes || memcmp(before->w_lanes, after->w_lanes,
	    (size_t)after->w_nlanes * sizeof after->w_lanes[0]) != 0)
		return "lanes";
	return NULL;
}

static int
window_writes(struct store *s, const struct window *before, const struct window *after)
{
	const char	*kind = window_change_kind(before, after);

	if ((after->w_open ? store_window_save(s, after) :
	    store_window_delete(s, after->w_no)) == -1)
		return -1;
	if (kind == NULL)
		return 0;
	/* A closed window is named as it was: its terminal, staff and lanes. */
	return store_window_event(s, after->w_open ? after : before, kind,
	    !after->w_open ? "closed" : after->w_paused ? "paused" : "open", clock_now());
}

static int
apply_writes(struct store *s, void *arg)
{
	const struct change	*c = arg;

	if (c->c_ticket != NULL && (store_ticket_update(s, &c->c_ticket_next) == -1 ||
	    store_ticket_event(s, &c->c_event) == -1))
		return -1;
	if (c->c_window != NULL && window_writes(s, c->c_window, &c->c_window_next) == -1)
		return -1;
	return 0;
}

int
branch_apply(struct branch *b, struct change *c, struct bq_error *err)
{
	size_t	slot;

	if (store_write(b->b_store, apply_writes, c, NULL, err) == -1)
		return -1;

	/* Committed: now memory follows. */
	if (c->c_ticket != NULL) {
		queue_unlink(&b->b_queue, c->c_ticket);
		slot = c->c_ticket->t_slot;
		*c->c_ticket = c->c_ticket_next;
		c->c_ticket->t_slot = slot;
		queue_link(&b->b_queue, c->c_ticket);
	}
	if (c->c_window != NULL)
		*c->c_window = c->c_window_next;
	return 0;
}

static void
branch_load_settings(struct branch *b)
{
	char	*v;

	b->b_self_service_available = true;
	if (store_setting_get(b->b_store, "self_service_available", &v) == 0 && v != NULL)
		b->b_self_service_available = strcmp(v, "0") != 0;
	free(v);
}

/* Today's tickets, the windows and the settings, from the database into memory. */
static int
branch_load(struct branch *b)
{
	int	i;

	queue_init(&b->b_queue, b->b_cfg->cf_default_service_s);
	for (i = 1; i <= BQ_MAX_WINDOW; i++)
		b->b_queue.q_windows[i].w_accessible = b->b_cfg->cf_accessible_window[i];
	business_date(clock_now(), b->b_today);
	if (store_load(b->b_store, &b->b_queue, b->b_today) == -1)
		return -1;
	branch_load_settings(b);
	return 0;
}

int
branch_open(struct branch *b, const struct config *cfg, struct store *s,
    struct branch_hooks hooks, char *err, size_t errlen)
{
	memset(b, 0, sizeof *b);
	b->b_cfg = cfg;
	b->b_store = s;
	b->b_hooks = hooks;
	if (branch_load(b) == -1) {
		snprintf(err, errlen, "cannot load state: %s", store_errmsg(s));
		return -1;
	}
	deadline_init(&b->b_day_end, "business day end", branch_day_end, b);
	/* Days that ended while the daemon was down are caught up now (and the
	 * follow-ups that fell due by followup_start()). */
	branch_day_end(b);
	return 0;
}

/*
 * After a group commit failed, memory is ahead of the database: rebuild it
 * from the database as at start-up.  Every change of the group was refused.
 */
void
branch_reload(struct branch *b)
{
	queue_free(&b->b_queue);
	if (branch_load(b) == -1)
		fatalx("database: cannot reload the state after a failed commit: %s",
		    store_errmsg(b->b_store));
	/*
	 * The day end and the overdue sweep may have been in the lost group:
	 * redone shortly (a call redoes the day end first), not now, so that a
	 * database that keeps failing does not keep the loop busy.
	 */
	b->b_day_end_failed = true;
	deadline_arm(&b->b_day_end, clock_now() + DAY_END_RETRY_S);
	if (b->b_followup.dl_fire != NULL)	/* complaint.c's, once started */
		deadline_arm(&b->b_followup, clock_now() + DAY_END_RETRY_S);
	if (b->b_hooks.bh_queue_changed != NULL)
		b->b_hooks.bh_queue_changed();
}

int
branch_group_commit(struct branch *b, char *why, size_t whylen)
{
	if (store_group_commit(b->b_store) == 0)
		return 0;
	snprintf(why, whylen, "%s", store_errmsg(b->b_store));
	log_warnx("event=fault component=group_commit error=%s action=reload",
	    log_str(store_errmsg(b->b_store)));
	branch_reload(b);
	return -1;
}

/*
 * SIGHUP: a new configuration for what runs.  Thresholds, authority and
 * the rest are read from b_cfg where they are used; what was copied into
 * memory at start-up is copied again here.
 */
void
branch_set_config(struct branch *b, const struct config *cfg)
{
	int	i;

	b->b_cfg = cfg;
	b->b_queue.q_default_service_s = cfg->cf_default_service_s;
	for (i = 1; i <= BQ_MAX_WINDOW; i++)
		b->b_queue.q_windows[i].w_accessible = cfg->cf_accessible_window[i];
}

void
branch_close(struct branch *b)
{
	deadline_disarm(&b->b_day_end);
	deadline_disarm(&b->b_followup);
	queue_free(&b->b_queue);
}

/* Tickets of days before `today` not yet final: the day end closes them. */
static size_t
stale_tickets(struct branch *b, const char *today, struct ticket ***out)
{
	struct queue	 *q = &b->b_queue;
	struct ticket	**list = NULL, *t;
	size_t		  i, n = 0;

	for (i = 0; i < q->q_table_cap; i++) {
		t = q->q_table[i];
		if (t == NULL || strcmp(t->t_date, today) >= 0 ||
		    ticket_day_end_action(t->t_status) < 0)
			continue;
		if ((list = reallocarray(list, n + 1, sizeof *list)) == NULL)
			fatal("reallocarray");
		list[n++] = t;
	}
	*out = list;
	return n;
}

/* The tickets the day end closes, each as it will be, and their windows. */
struct day_end {
	struct ticket	**de_tickets;
	struct ticket	 *de_next;	/* parallel to de_tickets */
	struct window	**de_windows;	/* the window holding each, or NULL */
	size_t		  de_n;
	int64_t		  de_at;
};

static void
day_end_plan(struct branch *b, struct day_end *de)
{
	struct ticket	*next;
	size_t		 i;

	if ((de->de_next = calloc(de->de_n + 1, sizeof *de->de_next)) == NULL ||
	    (de->de_windows = calloc(de->de_n + 1, sizeof *de->de_windows)) == NULL)
		fatal("calloc");
	for (i = 0; i < de->de_n; i++) {
		next = &de->de_next[i];
		*next = *de->de_tickets[i];
		next->t_status = (enum ticket_status)ticket_next_status(next->t_status,
		    (enum ticket_action)ticket_day_end_action(next->t_status));
		/* At the end of its business day, also when the daemon was
		 * down then and this is the start-up catching up. */
		next->t_finished_at = business_day_end(next->t_issued_at);
		next->t_closed_by_day_end = true;
		de->de_windows[i] = queue_window_holding(&b->b_queue, de->de_tickets[i]);
	}
}

static void
day_end_free(struct day_end *de)
{
	free(de->de_tickets);
	free(de->de_next);
	free(de->de_windows);
}

static int
day_end_writes(struct store *s, void *arg)
{
	const struct day_end	*de = arg;
	const struct ticket	*t;
	struct ticket_event	 ev;
	struct window		 w;
	size_t			 i;

	for (i = 0; i < de->de_n; i++) {
		t = de->de_tickets[i];
		memset(&ev, 0, sizeof ev);
		ev.te_ticket_id = t->t_id;
		ev.te_action = ticket_day_end_action(t->t_status);
		ev.te_at = de->de_at;
		ev.te_window = t->t_window;
		ev.te_from_lane = ev.te_to_lane = -1;
		ev.te_reason = "day_end";
		if (store_ticket_update(s, &de->de_next[i]) == -1 ||
		    store_ticket_event(s, &ev) == -1)
			return -1;
		if (de->de_windows[i] != NULL) {
			w = *de->de_windows[i];
			w.w_current = NULL;
			if (store_window_save(s, &w) == -1)
				return -1;
		}
	}
	return 0;
}

/*
 * DOMAIN §2 and PROTOCOL 1.1: when the business day closes, every ticket of
 * it still open is closed (ticket_day_end_action), and no window keeps a
 * current ticket, so no number can name yesterday's ticket and today's.  A
 * service cut off by the day end is `done` with closed_by: its time spans
 * the night and counts in no statistic or estimate.  The numbering restarts
 * by itself, because it is kept per business date.
 */
void
branch_day_end(void *arg)
{
	struct branch	*b = arg;
	struct day_end	 de;
	struct ticket	*t;
	size_t		 i, slot, closed[TS__COUNT];
	char		 today[BQ_DATE_LEN];

	memset(&de, 0, sizeof de);
	de.de_at = clock_now();
	business_date(de.de_at, today);
	/* The day whose end this is, for day.ended: kept across retries. */
	if (b->b_day_ending[0] == '\0' && strcmp(b->b_today, today) != 0)
		memcpy(b->b_day_ending, b->b_today, sizeof b->b_day_ending);
	de.de_n = stale_tickets(b, today, &de.de_tickets);
	day_end_plan(b, &de);
	if (de.de_n > 0 && store_write(b->b_store, day_end_writes, &de, NULL, NULL) == -1) {
		log_warnx("event=fault component=day_end tickets=%zu error=%s retry_s=%d",
		    de.de_n, log_str(store_errmsg(b->b_store)), DAY_END_RETRY_S);
		day_end_free(&de);
		/* Memory still holds them as they were: retried soon, and before
		 * any teller's operation on a ticket. */
		b->b_day_end_failed = true;
		memcpy(b->b_today, today, sizeof b->b_today);
		deadline_arm(&b->b_day_end, de.de_at + DAY_END_RETRY_S);
		return;
	}
	/* Committed: now memory follows. */
	memset(closed, 0, sizeof closed);
	for (i = 0; i < de.de_n; i++) {
		t = de.de_tickets[i];
		queue_unlink(&b->b_queue, t);
		slot = t->t_slot;
		*t = de.de_next[i];
		t->t_slot = slot;
		closed[t->t_status]++;
		if (de.de_windows[i] != NULL)
			de.de_windows[i]->w_current = NULL;
	}
	if (de.de_n > 0)
		log_info("event=day_end expired=%zu no_show=%zu done=%zu", closed[TS_EXPIRED],
		    closed[TS_NO_SHOW], closed[TS_DONE]);
	day_end_free(&de);
	b->b_day_end_failed = false;
	queue_forget_before(&b->b_queue, today);
	memcpy(b->b_today, today, sizeof b->b_today);
	deadline_arm(&b->b_day_end, business_day_end(de.de_at));
	if (de.de_n > 0 && b->b_hooks.bh_queue_changed != NULL)
		b->b_hooks.bh_queue_changed();
	if (b->b_day_ending[0] != '\0' && b->b_hooks.bh_day_ended != NULL)
		b->b_hooks.bh_day_ended(b->b_day_ending);
	b->b_day_ending[0] = '\0';
}
