/*
 * Ticket operations (DOMAIN §1, §2): issue, reroute, cancel, and what a
 * teller does at the window.  Each checks the state machine and the rules,
 * then hands one change to branch_apply(), which commits before memory
 * changes; events go out only after that.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "branchq.h"

static void
queue_changed(struct branch *b)
{
	if (b->b_hooks.bh_queue_changed != NULL)
		b->b_hooks.bh_queue_changed();
}

/* action: an enum ticket_action, or TICKET_EVENT_ISSUED */
static void
event_init(struct ticket_event *ev, const struct actor *a, const struct ticket *t,
    int action, int64_t at)
{
	memset(ev, 0, sizeof *ev);
	ev->te_ticket_id = t->t_id;
	ev->te_action = action;
	ev->te_at = at;
	ev->te_terminal = a->a_terminal;
	ev->te_staff = a->a_staff;
	ev->te_window = t->t_window;
	ev->te_from_lane = ev->te_to_lane = -1;
}

static bool
queue_lane(enum lane lane)
{
	return lane == LANE_EXPRESS || lane == LANE_COUNTER || lane == LANE_VIP;
}

static struct route_context
route_context(struct branch *b)
{
	const struct config	*cfg = b->b_cfg;
	struct route_context	 ctx;

	ctx.rc_cash_threshold_fen = cfg->cf_cash_threshold_fen;
	ctx.rc_transfer_threshold_fen = cfg->cf_transfer_threshold_fen;
	ctx.rc_express_cash_fen = cfg->cf_express_cash_fen;
	ctx.rc_self_service_available = b->b_self_service_available;
	ctx.rc_counter_idle = queue_counter_idle(&b->b_queue);
	ctx.rc_express_open = queue_lane_open(&b->b_queue, LANE_EXPRESS);
	ctx.rc_vip_open = queue_lane_open(&b->b_queue, LANE_VIP);
	return ctx;
}

struct issue_write {
	struct branch		*iw_branch;
	const struct actor	*iw_actor;
	const struct request_key *iw_key;	/* NULL: none */
	struct ticket		*iw_ticket;	/* numbered here */
	int			 iw_seq;	/* the number's, once written */
	int			 iw_printed;	/* for the key's row */
};

static int
issue_writes(struct store *s, void *arg)
{
	struct issue_write	*iw = arg;
	struct ticket		*t = iw->iw_ticket;
	struct ticket_event	 ev;
	int			 seq;

	/* The day's numbering per lane: from memory, once read from the tickets. */
	if ((seq = queue_last_seq(&iw->iw_branch->b_queue, t->t_date, t->t_lane)) < 0 &&
	    store_last_number(s, t->t_date, t->t_lane, &seq) == -1)
		return -1;
	seq++;
	/* DOMAIN §2: the lane letter and at least three digits. */
	snprintf(t->t_number, sizeof t->t_number, "%c%03d", lane_letter(t->t_lane), seq);
	if (store_ticket_insert(s, t) == -1)
		return -1;
	event_init(&ev, iw->iw_actor, t, TICKET_EVENT_ISSUED, t->t_issued_at);
	ev.te_to_lane = (int)t->t_lane;
	ev.te_reason = route_rule_name(t->t_rule);
	iw->iw_seq = seq;
	if (store_ticket_event(s, &ev) == -1)
		return -1;
	/* PROTOCOL 1.1: a retry with the key finds this ticket, crash or not. */
	return iw->iw_key != NULL ?
	    store_request_key_insert(s, iw->iw_key, t->t_id, 0, t->t_issued_at,
	    iw->iw_printed) : 0;
}

int
ticket_issue(struct branch *b, const struct actor *a, const struct issue_request *ir,
    struct ticket **out, struct bq_error *err)
{
	struct route_request	rr;
	struct route_context	ctx = route_context(b);
	struct route_decision	rd;
	struct issue_write	iw;
	struct ticket		*t;
	int64_t			 now = clock_now();

	rr.rr_service = ir->ir_service;
	rr.rr_amount_fen = service_has_amount(ir->ir_service) ? ir->ir_amount_fen : 0;
	rr.rr_flags = ir->ir_flags;
	rd = route_decide(&rr, &ctx);

	if ((t = calloc(1, sizeof *t)) == NULL)
		fatal("calloc");
	business_date(now, t->t_date);
	t->t_lane = t->t_issue_lane = rd.rd_lane;
	t->t_status = rd.rd_lane == LANE_SELF_SERVICE ? TS_DIVERTED : TS_WAITING;
	t->t_service = rr.rr_service;
	t->t_amount_fen = rr.rr_amount_fen;
	t->t_flags = rr.rr_flags;
	t->t_priority = rd.rd_priority;
	t->t_eligible = rd.rd_eligible;
	t->t_rule = rd.rd_rule;
	t->t_issued_at = t->t_queued_at = now;
	iw.iw_branch = b;
	iw.iw_actor = a;
	iw.iw_key = ir->ir_key;
	iw.iw_ticket = t;
	iw.iw_printed = ir->ir_printed;

	if (store_write(b->b_store, issue_writes, &iw, "no ticket was issued", err) == -1) {
		free(t);
		return -1;
	}
	queue_set_seq(&b->b_queue, t->t_date, t->t_lane, iw.iw_seq);
	queue_adopt(&b->b_queue, t);
	*out = t;
	queue_changed(b);
	return 0;
}

struct ticket *
ticket_lookup(struct branch *b, const char *number)
{
	char	today[BQ_DATE_LEN];

	business_date(clock_now(), today);
	return queue_find(&b->b_queue, today, number);
}

static int
not_found(struct bq_error *err, const char *number)
{
	return bq_fail(err, ERR_NOT_FOUND, "number: no ticket %s today", number);
}

/* PROTOCOL: a ticket in the wrong state is conflict with {"status":…}. */
static int
wrong_state(struct bq_error *err, const struct ticket *t, const char *what)
{
	bq_fail(err, ERR_CONFLICT, "ticket %s is %s; %s", t->t_number,
	    ticket_status_name(t->t_status), what);
	return bq_detail_str(err, "status", ticket_status_name(t->t_status));
}

int
ticket_reroute(struct branch *b, const struct actor *a, const char *number,
    enum lane to, const char *reason, struct ticket **out, struct bq_error *err)
{
	struct ticket	*t = ticket_lookup(b, number);
	struct change	 c;
	struct ticket	*n = &c.c_ticket_next;

	if (t == NULL)
		return not_found(err, number);
	if (!queue_lane(to))
		return bq_fail(err, ERR_BAD_REQUEST, "to_lane: must be express, counter or vip");
	if (ticket_next_status(t->t_status, TA_REROUTE) < 0)
		return wrong_state(err, t, "only a diverted or waiting ticket can be rerouted");
	if (t->t_status == TS_WAITING && t->t_lane == to) {
		bq_fail(err, ERR_CONFLICT, "ticket %s is already waiting in the %s lane",
		    t->t_number, lane_name(to));
		bq_detail_str(err, "status", ticket_status_name(t->t_status));
		return bq_detail_str(err, "lane", lane_name(t->t_lane));
	}

	memset(&c, 0, sizeof c);
	c.c_ticket = t;
	*n = *t;
	/* DOMAIN §1: service recovery, not a new place: t_issued_at stays. */
	n->t_lane = to;
	n->t_status = TS_WAITING;
	n->t_queued_at = clock_now();
	if (strcmp(reason, "needs_assistance") == 0)
		n->t_flags.tf_needs_assistance = true;
	if (strcmp(reason, "loose_cash") == 0)
		n->t_flags.tf_loose_cash = true;
	n->t_priority = n->t_flags.tf_needs_assistance ||
	    n->t_flags.tf_accessibility != ACCESS_NONE;
	event_init(&c.c_event, a, t, TA_REROUTE, n->t_queued_at);
	c.c_event.te_from_lane = (int)t->t_lane;
	c.c_event.te_to_lane = (int)to;
	c.c_event.te_reason = reason;
	if (branch_apply(b, &c, err) == -1)
		return -1;
	*out = t;
	queue_changed(b);
	return 0;
}

int
ticket_cancel(struct branch *b, const struct actor *a, const char *number,
    struct ticket **out, struct bq_error *err)
{
	struct ticket	*t = ticket_lookup(b, number);
	struct change	 c;

	if (t == NULL)
		return not_found(err, number);
	if (ticket_next_status(t->t_status, TA_CANCEL) < 0)
		return wrong_state(err, t, "only a diverted or waiting ticket can be cancelled");
	memset(&c, 0, sizeof c);
	c.c_ticket = t;
	c.c_ticket_next = *t;
	c.c_ticket_next.t_status = TS_CANCELLED;
	c.c_ticket_next.t_finished_at = clock_now();
	event_init(&c.c_event, a, t, TA_CANCEL, c.c_ticket_next.t_finished_at);
	if (branch_apply(b, &c, err) == -1)
		return -1;
	*out = t;
	queue_changed(b);
	return 0;
}

/*
 * A day end the database refused is done before anything a teller does:
 * yesterday's waiting tickets are expired, never called today, and no
 * window holds yesterday's ticket when today's is acted on.
 */
static int
day_end_first(struct branch *b, struct bq_error *err)
{
	if (!b->b_day_end_failed)
		return 0;
	branch_day_end(b);
	return b->b_day_end_failed ? bq_unwritable(err, store_errmsg(b->b_store), NULL) : 0;
}

static int
no_window(struct bq_error *err, const struct actor *a)
{
	return bq_fail(err, ERR_CONFLICT,
	    "terminal %s holds no open window; open one with window.open", a->a_terminal);
}

int
ticket_call_next(struct branch *b, const struct actor *a, struct ticket **out,
    int *window, struct bq_error *err)
{
	struct window	*w = window_held_by(b, a->a_terminal);
	struct ticket	*t;
	struct change	 c;
	struct ticket	*n = &c.c_ticket_next;

	if (w == NULL)
		return no_window(err, a);
	*window = w->w_no;
	if (day_end_first(b, err) == -1)
		return -1;
	if (w->w_paused) {
		bq_fail(err, ERR_CONFLICT, "window %d is paused; resume it first", w->w_no);
		bq_detail_int(err, "window", w->w_no);
		return bq_detail_str(err, "state", "paused");
	}
	if (w->w_current != NULL)
		return window_busy(err, w);
	if ((t = queue_pick_next(&b->b_queue, w)) == NULL) {
		*out = NULL;
		return 0;
	}

	memset(&c, 0, sizeof c);
	c.c_ticket = t;
	*n = *t;
	n->t_status = TS_CALLED;
	n->t_called_at = clock_now();
	if (n->t_first_called_at == 0)
		n->t_first_called_at = n->t_called_at;
	n->t_window = w->w_no;
	n->t_recalls = 0;
	snprintf(n->t_staff, sizeof n->t_staff, "%s", a->a_staff);
	c.c_window = w;
	c.c_window_next = *w;
	c.c_window_next.w_current = t;
	event_init(&c.c_event, a, n, TA_CALL, n->t_called_at);
	if (branch_apply(b, &c, err) == -1)
		return -1;
	*out = t;
	if (b->b_hooks.bh_ticket_called != NULL)
		b->b_hooks.bh_ticket_called(t, w->w_no, t->t_called_at, false);
	queue_changed(b);
	return 0;
}

/*
 * The window where today's ticket t is current: the actor's own window, or
 * any window for a supervisor (PROTOCOL: "a supervisor may act on any
 * window").  PROTOCOL 1.1: a number names today's ticket, always.
 */
static struct window *
window_of_current(struct branch *b, const struct actor *a, const struct ticket *t)
{
	struct window	*w;

	if (a->a_role == ROLE_SUPERVISOR)
		return queue_window_holding(&b->b_queue, t);
	w = window_held_by(b, a->a_terminal);
	return w != NULL && w->w_current == t ? w : NULL;
}

/* PROTOCOL: {"recalls":N,"max_recalls":M} on a recall or no-show refused. */
static int
recalls_detail(struct bq_error *err, const struct ticket *t, int max)
{
	bq_detail_int(err, "recalls", t->t_recalls);
	return bq_detail_int(err, "max_recalls", max);
}

static int
check_act(struct branch *b, const struct ticket *t, enum ticket_action action,
    enum lane to, struct bq_error *err)
{
	int	max = b->b_cfg->cf_max_recalls;

	if (ticket_next_status(t->t_status, action) < 0) {
		bq_fail(err, ERR_CONFLICT, "ticket %s is %s; it cannot be %s",
		    t->t_number, ticket_status_name(t->t_status), ticket_action_name(action));
		return bq_detail_str(err, "status", ticket_status_name(t->t_status));
	}
	switch (action) {
	case TA_RECALL:
		if (t->t_recalls >= max) {
			bq_fail(err, ERR_CONFLICT,
			    "ticket %s has been recalled %d time(s), the limit; mark it no-show",
			    t->t_number, t->t_recalls);
			return recalls_detail(err, t, max);
		}
		break;
	case TA_NO_SHOW:
		/* DOMAIN §2: no-show only after the configured recalls. */
		if (t->t_recalls < max) {
			bq_fail(err, ERR_CONFLICT,
			    "ticket %s has been recalled %d of %d time(s); recall it before marking no-show",
			    t->t_number, t->t_recalls, max);
			return recalls_detail(err, t, max);
		}
		break;
	case TA_TRANSFER:
		if (!queue_lane(to))
			return bq_fail(err, ERR_BAD_REQUEST, "to_lane: must be express, counter or vip");
		/* As reroute: a transfer to its own lane would only put it back
		 * at its old place. */
		if (t->t_lane == to) {
			bq_fail(err, ERR_CONFLICT, "ticket %s is already in the %s lane; "
			    "transfer it to another lane", t->t_number, lane_name(to));
			return bq_detail_str(err, "lane", lane_name(to));
		}
		break;
	default:
		break;
	}
	return 0;
}

int
ticket_act(struct branch *b, const struct actor *a, enum ticket_action action,
    const char *number, enum lane to, struct ticket **out, struct bq_error *err)
{
	struct window	*w;
	struct ticket	*t;
	struct change	 c;
	struct ticket	*n = &c.c_ticket_next;
	int64_t		 now = clock_now();

	if (day_end_first(b, err) == -1)
		return -1;
	if ((t = ticket_lookup(b, number)) == NULL)
		return not_found(err, number);
	if ((w = window_of_current(b, a, t)) == NULL) {
		bq_fail(err, ERR_CONFLICT, "ticket %s is not current at %s", number,
		    a->a_role == ROLE_SUPERVISOR ? "any window" : "your window");
		bq_detail_str(err, "status", ticket_status_name(t->t_status));
		if (t->t_window != 0)
			return bq_detail_int(err, "window", t->t_window);
		return bq_detail_str(err, "window", NULL);
	}
	if (check_act(b, t, action, to, err) == -1)
		return -1;

	memset(&c, 0, sizeof c);
	c.c_ticket = t;
	*n = *t;
	n->t_status = (enum ticket_status)ticket_next_status(t->t_status, action);
	event_init(&c.c_event, a, t, action, now);
	switch (action) {
	case TA_RECALL:
		n->t_recalls++;
		break;
	case TA_START:
		n->t_started_at = now;
		break;
	case TA_NO_SHOW:
	case TA_COMPLETE:
		n->t_finished_at = now;
		break;
	case TA_TRANSFER:
		/* DOMAIN §2: a transfer keeps the place in time (t_issued_at). */
		n->t_lane = to;
		n->t_queued_at = now;
		n->t_window = 0;
		n->t_recalls = 0;
		c.c_event.te_from_lane = (int)t->t_lane;
		c.c_event.te_to_lane = (int)to;
		break;
	default:
		fatalx("ticket_act: unexpected action %s", ticket_action_name(action));
	}
	if (n->t_status != TS_CALLED && n->t_status != TS_SERVING) {
		c.c_window = w;
		c.c_window_next = *w;
		c.c_window_next.w_current = NULL;
	}
	if (branch_apply(b, &c, err) == -1)
		return -1;

	if (action == TA_COMPLETE)
		queue_record_service(&b->b_queue, t->t_lane, t->t_finished_at - t->t_called_at);
	if (action == TA_RECALL && b->b_hooks.bh_ticket_called != NULL)
		b->b_hooks.bh_ticket_called(t, w->w_no, now, true);
	*out = t;
	queue_changed(b);
	return 0;
}

struct selfservice_write {
	bool			 sw_available;
	const struct actor	*sw_actor;
};

static int
selfservice_writes(struct store *s, void *arg)
{
	const struct selfservice_write	*sw = arg;

	/* The switch, and its history: the reports count the time it was off. */
	if (store_setting_set(s, "self_service_available", sw->sw_available ? "1" : "0") == -1)
		return -1;
	return store_selfservice_event(s, sw->sw_available, sw->sw_actor, clock_now());
}

int
selfservice_set(struct branch *b, const struct actor *a, bool available,
    struct bq_error *err)
{
	struct selfservice_write	sw = { available, a };

	if (store_write(b->b_store, selfservice_writes, &sw, NULL, err) == -1)
		return -1;
	b->b_self_service_available = available;
	log_info("self-service %s by %s", available ? "available" : "unavailable",
	    a->a_terminal);
	queue_changed(b);
	return 0;
}
