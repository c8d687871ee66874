/*
 * The branch: the daemon's state between requests, the one path by which a
 * change reaches the database and then memory, and the business day.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "branchq.h"

#define DAY_END_RETRY_S	10	/* a failed day-end commit is tried again */

static const char *const err_code_names[ERR__COUNT] = {
	[ERR_NONE] = "none",
	[ERR_BAD_JSON] = "bad_json",
	[ERR_BAD_REQUEST] = "bad_request",
	[ERR_UNKNOWN_OP] = "unknown_op",
	[ERR_UNAUTHENTICATED] = "unauthenticated",
	[ERR_FORBIDDEN] = "forbidden",
	[ERR_NOT_FOUND] = "not_found",
	[ERR_CONFLICT] = "conflict",
	[ERR_OVER_AUTHORITY] = "over_authority",
	[ERR_LINE_TOO_LONG] = "line_too_long",
	[ERR_UNAVAILABLE] = "unavailable",
	[ERR_INTERNAL] = "internal",
};

const char *
err_code_name(enum err_code code)
{
	return code < ERR__COUNT ? err_code_names[code] : "internal";
}

int
bq_fail(struct bq_error *err, enum err_code code, const char *fmt, ...)
{
	va_list	ap;

	err->e_code = code;
	va_start(ap, fmt);
	vsnprintf(err->e_msg, sizeof err->e_msg, fmt, ap);
	va_end(ap);
	return -1;
}

static int
unavailable(struct branch *b, struct bq_error *err)
{
	store_rollback(b->b_store);
	return bq_fail(err, ERR_UNAVAILABLE,
	    "the database cannot be written (%s); nothing was changed",
	    store_errmsg(b->b_store));
}

int
branch_apply(struct branch *b, struct change *c, struct bq_error *err)
{
	struct store	*s = b->b_store;
	size_t		 slot;

	if (store_begin(s) == -1)
		return unavailable(b, err);
	if (c->c_ticket != NULL && (store_ticket_update(s, &c->c_ticket_next) == -1 ||
	    store_ticket_event(s, &c->c_event) == -1))
		return unavailable(b, err);
	if (c->c_window != NULL && (c->c_window_next.w_open ?
	    store_window_save(s, &c->c_window_next) :
	    store_window_delete(s, c->c_window_next.w_no)) == -1)
		return unavailable(b, err);
	if (store_commit(s) == -1)
		return unavailable(b, err);

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
	deadline_init(&b->b_followup, "follow-up due", followup_overdue_fire, b);
	/* Days that ended, and follow-ups that fell due, while the daemon was
	 * down are caught up now. */
	branch_day_end(b);
	followup_watch(b);
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

void
branch_close(struct branch *b)
{
	deadline_disarm(&b->b_day_end);
	deadline_disarm(&b->b_followup);
	queue_free(&b->b_queue);
}

/* Tickets of days before `today` still waiting or at the machines. */
static size_t
stale_tickets(struct branch *b, const char *today, struct ticket ***out)
{
	struct queue	 *q = &b->b_queue;
	struct ticket	**list = NULL, *t;
	size_t		  i, n = 0;

	for (i = 0; i < q->q_table_cap; i++) {
		t = q->q_table[i];
		if (t == NULL || strcmp(t->t_date, today) >= 0 ||
		    ticket_next_status(t->t_status, TA_EXPIRE) < 0)
			continue;
		if ((list = reallocarray(list, n + 1, sizeof *list)) == NULL)
			fatal("reallocarray");
		list[n++] = t;
	}
	*out = list;
	return n;
}

/*
 * DOMAIN §2 and PROTOCOL: tickets still waiting (or at the machines) when
 * the business day closes become `expired`; the numbering restarts by
 * itself, because it is kept per business date.
 */
void
branch_day_end(void *arg)
{
	struct branch	 *b = arg;
	struct ticket	**stale, next;
	struct ticket_event ev;
	int64_t		  now = clock_now();
	size_t		  i, n;
	char		  today[BQ_DATE_LEN];

	business_date(now, today);
	n = stale_tickets(b, today, &stale);
	if (n > 0) {
		if (store_begin(b->b_store) == -1)
			goto retry;
		for (i = 0; i < n; i++) {
			next = *stale[i];
			next.t_status = TS_EXPIRED;
			next.t_finished_at = now;
			memset(&ev, 0, sizeof ev);
			ev.te_ticket_id = next.t_id;
			ev.te_action = TA_EXPIRE;
			ev.te_at = now;
			ev.te_from_lane = ev.te_to_lane = -1;
			if (store_ticket_update(b->b_store, &next) == -1 ||
			    store_ticket_event(b->b_store, &ev) == -1)
				goto retry;
		}
		if (store_commit(b->b_store) == -1)
			goto retry;
		for (i = 0; i < n; i++) {
			queue_unlink(&b->b_queue, stale[i]);
			stale[i]->t_status = TS_EXPIRED;
			stale[i]->t_finished_at = now;
		}
		log_info("event=day_end expired=%zu", n);
	}
	free(stale);
	b->b_day_end_failed = false;
	queue_forget_before(&b->b_queue, today);
	memcpy(b->b_today, today, sizeof b->b_today);
	deadline_arm(&b->b_day_end, business_day_end(now));
	if (n > 0 && b->b_hooks.bh_queue_changed != NULL)
		b->b_hooks.bh_queue_changed();
	return;
retry:
	log_warnx("event=fault component=day_end tickets=%zu error=%s retry_s=%d",
	    n, log_str(store_errmsg(b->b_store)), DAY_END_RETRY_S);
	store_rollback(b->b_store);
	free(stale);
	/* Memory still holds them as they were: retried soon, and before any call. */
	b->b_day_end_failed = true;
	memcpy(b->b_today, today, sizeof b->b_today);
	deadline_arm(&b->b_day_end, now + DAY_END_RETRY_S);
}
