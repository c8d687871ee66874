/*
 * Complaints, follow-ups and surveys (DOMAIN §3, §4).  Complaints live in
 * the database, not in memory: each operation reads the row, applies the
 * rules of recovery.c, and writes the row, its history line and any webhook
 * event in one transaction.  Subscribers hear of it after the commit.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "branchq.h"

#define FOLLOWUP_RETRY_S	10	/* a failed overdue sweep is tried again */
#define OVERDUE_BATCH		64	/* complaints marked overdue per transaction */

/*
 * Queues a webhook event in the open transaction, if any receiver wants it:
 * the outbox row and one delivery per receiver commit or roll back with the
 * change that caused them.
 */
static int
outbox_add(struct branch *b, const char *event, const struct complaint *c,
    const char *ticket, int score, const char *reason)
{
	char	*body;
	int64_t	 id;
	int	 rc;

	if (!webhook_wanted(b->b_cfg, event) || b->b_hooks.bh_webhook_body == NULL)
		return 0;
	body = b->b_hooks.bh_webhook_body(event, c, ticket, score, reason);
	rc = store_outbox_add(b->b_store, event, body, clock_now(), c->c_id, &id);
	free(body);
	if (rc == -1)
		return -1;
	return webhook_enqueue(b->b_store, b->b_cfg, event, id);
}

static void
notify(struct branch *b, const char *event, const struct complaint *c, const char *outcome)
{
	if (b->b_hooks.bh_complaint != NULL)
		b->b_hooks.bh_complaint(event, c, outcome);
}

static void
action_init(struct complaint_action *ca, enum complaint_step step, const char *actor,
    const char *note)
{
	memset(ca, 0, sizeof *ca);
	ca->ca_step = step;
	ca->ca_at = clock_now();
	ca->ca_on_time = -1;
	ca->ca_root_cause = -1;
	snprintf(ca->ca_actor, sizeof ca->ca_actor, "%s", actor != NULL ? actor : "");
	snprintf(ca->ca_note, sizeof ca->ca_note, "%s", note != NULL ? note : "");
}

/* A changed complaint, its history line and its webhook event, if any. */
struct complaint_write {
	struct branch			*cw_branch;
	struct complaint		*cw_complaint;
	const struct complaint_action	*cw_action;
	const char			*cw_event;	/* NULL: none */
	int				 cw_open_moved;	/* GET /metrics: -1, 0, 1 */
	int				 cw_overdue_moved;
};

static int
update_writes(struct store *s, void *arg)
{
	const struct complaint_write	*cw = arg;

	if (store_complaint_update(s, cw->cw_complaint) == -1 ||
	    store_complaint_action(s, cw->cw_complaint, cw->cw_action) == -1)
		return -1;
	store_figure_add(s, SF_FOLLOWUPS_OPEN, cw->cw_open_moved);
	store_figure_add(s, SF_FOLLOWUPS_OVERDUE, cw->cw_overdue_moved);
	if (cw->cw_event != NULL)
		return outbox_add(cw->cw_branch, cw->cw_event, cw->cw_complaint, NULL, -1, NULL);
	return 0;
}

static int
complaint_commit(struct branch *b, struct complaint *c,
    const struct complaint_action *ca, const char *event, struct bq_error *err)
{
	struct complaint_write	cw = { b, c, ca, event, 0, 0 };

	return store_write(b->b_store, update_writes, &cw, NULL, err);
}

/* The same for a follow-up, which may close it or clear its overdue mark:
 * the figures of GET /metrics move with it (was: before the step). */
static int
followup_commit(struct branch *b, struct complaint *c, const struct complaint_action *ca,
    bool was_open, bool was_overdue, struct bq_error *err)
{
	bool			open = c->c_state != CS_CLOSED;
	struct complaint_write	cw = { b, c, ca, NULL, (int)open - (int)was_open,
				    (int)(open && c->c_overdue) - (int)was_overdue };

	return store_write(b->b_store, update_writes, &cw, NULL, err);
}

/* A new complaint, in the open transaction: the row and its first line. */
static int
complaint_insert(struct branch *b, struct complaint *c, const char *actor)
{
	struct complaint_action	ca;

	if (store_complaint_insert(b->b_store, c) == -1)
		return -1;
	action_init(&ca, STEP_LOGGED, actor, NULL);
	ca.ca_at = c->c_logged_at;
	return store_complaint_action(b->b_store, c, &ca);
}

struct complaint_log {
	struct branch		*cl_branch;
	struct complaint	*cl_complaint;
	const char		*cl_actor;
	const struct request_key *cl_key;	/* NULL: none */
};

static int
log_writes(struct store *s, void *arg)
{
	const struct complaint_log	*cl = arg;

	if (complaint_insert(cl->cl_branch, cl->cl_complaint, cl->cl_actor) == -1 ||
	    (cl->cl_key != NULL && store_request_key_insert(s, cl->cl_key, 0,
	    cl->cl_complaint->c_id, cl->cl_complaint->c_logged_at, -1) == -1))
		return -1;
	return outbox_add(cl->cl_branch, "complaint.logged", cl->cl_complaint, NULL, -1, NULL);
}

static void
complaint_new(struct branch *b, struct complaint *c, const char *owner)
{
	memset(c, 0, sizeof *c);
	c->c_state = CS_OPEN;
	c->c_logged_at = clock_now();
	business_date(c->c_logged_at, c->c_date);
	/* DOMAIN §3 (S2): every complaint is followed up within 24 hours. */
	c->c_follow_up_due = followup_due_at(c->c_logged_at, b->b_cfg->cf_follow_up_hours);
	/* DOMAIN §3 (S1, S4): who first hears it owns it, recorded for ever. */
	snprintf(c->c_first_responder, sizeof c->c_first_responder, "%s", owner);
	snprintf(c->c_owner, sizeof c->c_owner, "%s", owner);
	c->c_root_cause = -1;
}

int
complaint_log(struct branch *b, const struct actor *a, const struct complaint_request *cr,
    struct complaint *c, struct bq_error *err)
{
	struct ticket	*t = NULL;

	if (cr->cr_ticket != NULL && (t = ticket_lookup(b, cr->cr_ticket)) == NULL)
		return bq_fail(err, ERR_NOT_FOUND, "ticket: no ticket %s today", cr->cr_ticket);
	complaint_new(b, c, a->a_staff);
	c->c_category = cr->cr_category;
	c->c_severity = cr->cr_severity;
	snprintf(c->c_channel, sizeof c->c_channel, "%s", cr->cr_channel);
	snprintf(c->c_description, sizeof c->c_description, "%s", cr->cr_description);
	if (t != NULL) {
		c->c_ticket_id = t->t_id;
		snprintf(c->c_ticket_number, sizeof c->c_ticket_number, "%s", t->t_number);
	}
	if (cr->cr_customer_name != NULL)
		snprintf(c->c_customer_name, sizeof c->c_customer_name, "%s", cr->cr_customer_name);
	if (cr->cr_customer_phone != NULL)
		snprintf(c->c_customer_phone, sizeof c->c_customer_phone, "%s",
		    cr->cr_customer_phone);

	if (store_write(b->b_store, log_writes,
	    &(struct complaint_log){ b, c, a->a_staff, cr->cr_key }, NULL, err) == -1)
		return -1;
	log_info("complaint %" PRId64 " logged by %s (severity %d, %s)", c->c_id, a->a_staff,
	    c->c_severity, complaint_categories[c->c_category]);
	notify(b, "complaint.logged", c, NULL);
	followup_watch(b);
	return 0;
}

int
complaint_find(struct branch *b, int64_t id, struct complaint *c, struct bq_error *err)
{
	int	rc = store_complaint_get(b->b_store, id, c);

	if (rc == -1)
		return bq_fail(err, ERR_UNAVAILABLE, "the database cannot be read (%s)",
		    store_errmsg(b->b_store));
	if (rc == 1)
		return bq_fail(err, ERR_NOT_FOUND, "id: no complaint %" PRId64, id);
	return 0;
}

/* One complaint, if the actor may read it (reading) or act on it. */
static int
complaint_load(struct branch *b, const struct actor *a, int64_t id, bool reading,
    struct complaint *c, struct bq_error *err)
{
	if (complaint_find(b, id, c, err) == -1)
		return -1;
	/* PROTOCOL: staff act on the complaints they own; supervisors on any.
	 * DOMAIN §3: the first responder is recorded for ever, and may always
	 * read what became of the complaint, owner or not. */
	if (a->a_role == ROLE_SUPERVISOR || strcmp(c->c_owner, a->a_staff) == 0 ||
	    (reading && strcmp(c->c_first_responder, a->a_staff) == 0))
		return 0;
	bq_fail(err, ERR_FORBIDDEN, "complaint %" PRId64 " is owned by %s; only its "
	    "owner%s or a supervisor may %s it", id, c->c_owner,
	    reading ? ", its first responder" : "", reading ? "read" : "act on");
	return bq_detail_str(err, "owner", c->c_owner);
}

int
complaint_get(struct branch *b, const struct actor *a, int64_t id, struct complaint *c,
    struct bq_error *err)
{
	return complaint_load(b, a, id, true, c, err);
}

int
complaint_history(struct branch *b, int64_t id,
    void (*fn)(const struct complaint_action *, void *), void *arg)
{
	return store_complaint_history(b->b_store, id, fn, arg);
}

static int
refuse_step(const struct complaint *c, enum complaint_step step, struct bq_error *err)
{
	if (complaint_next_state(c->c_state, step) >= 0)
		return 0;
	bq_fail(err, ERR_CONFLICT, "complaint %" PRId64 " is %s; %s is not possible",
	    c->c_id, complaint_state_name(c->c_state),
	    step == STEP_RESOLVED ? "resolving it" : complaint_step_kind(step));
	return bq_detail_str(err, "state", complaint_state_name(c->c_state));
}

int
complaint_act(struct branch *b, const struct actor *a, int64_t id, enum complaint_step step,
    const char *note, int64_t amount_fen, struct complaint *c, struct bq_error *err)
{
	struct complaint_action	ca;
	int64_t			limit = b->b_cfg->cf_authority_fen[a->a_role];

	if (complaint_load(b, a, id, false, c, err) == -1 || refuse_step(c, step, err) == -1)
		return -1;
	if (step == STEP_COMPENSATION) {
		/* DOMAIN §3 (S5): within the role's authority, or reassign upwards. */
		if (!authority_allows(limit, c->c_compensation_fen, amount_fen))
			return bq_fail(err, ERR_OVER_AUTHORITY,
			    "amount_fen: %" PRId64 " fen would bring the compensation on complaint %"
			    PRId64 " to %" PRId64 " fen, over the %s limit of %" PRId64 " fen; "
			    "reassign it to someone with more authority", amount_fen, id,
			    c->c_compensation_fen + amount_fen, role_name(a->a_role), limit);
		c->c_compensation_fen += amount_fen;
	}
	action_init(&ca, step, a->a_staff, note);
	ca.ca_amount_fen = step == STEP_COMPENSATION ? amount_fen : 0;
	return complaint_commit(b, c, &ca, NULL, err);
}

int
complaint_reassign(struct branch *b, const struct actor *a, int64_t id, const char *to_staff,
    const char *reason, struct complaint *c, struct bq_error *err)
{
	struct complaint_action	ca;

	if (complaint_load(b, a, id, false, c, err) == -1 || refuse_step(c, STEP_REASSIGNED, err) == -1)
		return -1;
	if (!config_staff_exists(b->b_cfg, to_staff))
		return bq_fail(err, ERR_NOT_FOUND, "to_staff: no staff %s in the configuration",
		    to_staff);
	if (strcmp(c->c_owner, to_staff) == 0) {
		bq_fail(err, ERR_CONFLICT, "complaint %" PRId64 " is already owned by %s",
		    id, to_staff);
		return bq_detail_str(err, "owner", c->c_owner);
	}
	action_init(&ca, STEP_REASSIGNED, a->a_staff, reason);
	snprintf(ca.ca_to_staff, sizeof ca.ca_to_staff, "%s", to_staff);
	/* The owner changes; the first responder never does. */
	snprintf(c->c_owner, sizeof c->c_owner, "%s", to_staff);
	if (complaint_commit(b, c, &ca, NULL, err) == -1)
		return -1;
	log_info("complaint %" PRId64 " reassigned to %s by %s", id, to_staff, a->a_staff);
	return 0;
}

int
complaint_resolve(struct branch *b, const struct actor *a, int64_t id, const char *resolution,
    enum root_cause cause, struct complaint *c, struct bq_error *err)
{
	struct complaint_action	ca;

	if (complaint_load(b, a, id, false, c, err) == -1 || refuse_step(c, STEP_RESOLVED, err) == -1)
		return -1;
	c->c_state = CS_RESOLVED;
	c->c_resolved_at = clock_now();
	c->c_root_cause = (int)cause;
	snprintf(c->c_resolution, sizeof c->c_resolution, "%s", resolution);
	action_init(&ca, STEP_RESOLVED, a->a_staff, resolution);
	ca.ca_root_cause = (int)cause;	/* kept there if the complaint reopens */
	return complaint_commit(b, c, &ca, NULL, err);
}

int
followup_record(struct branch *b, const struct actor *a, int64_t id, enum complaint_step step,
    const char *note, struct complaint *c, struct bq_error *err)
{
	struct complaint_action	ca;
	bool			was_open, was_overdue;

	if (complaint_load(b, a, id, false, c, err) == -1 || refuse_step(c, step, err) == -1)
		return -1;
	was_open = c->c_state != CS_CLOSED;
	was_overdue = was_open && c->c_overdue;
	action_init(&ca, step, a->a_staff, note);
	ca.ca_on_time = followup_on_time(ca.ca_at, c->c_follow_up_due);
	c->c_state = (enum complaint_state)complaint_next_state(c->c_state, step);
	switch (step) {
	case STEP_FOLLOWUP_SATISFIED:		/* the loop is closed */
		c->c_closed_at = ca.ca_at;
		c->c_overdue = false;
		break;
	case STEP_FOLLOWUP_UNSATISFIED:		/* reopened, with a new 24 hours */
		c->c_follow_up_due = followup_due_at(ca.ca_at, b->b_cfg->cf_follow_up_hours);
		c->c_overdue = false;
		/* Open again, so not resolved: the resolution did not end it.
		 * Its `resolved` history line keeps what it was. */
		c->c_resolution[0] = '\0';
		c->c_root_cause = -1;
		c->c_resolved_at = 0;
		break;
	default:				/* unreachable: logged, the deadline stands */
		break;
	}
	if (followup_commit(b, c, &ca, was_open, was_overdue, err) == -1)
		return -1;
	notify(b, "followup.recorded",
	    c, followup_outcomes[step - STEP_FOLLOWUP_SATISFIED]);
	followup_watch(b);
	return 0;
}

/* The answer, and the follow-up case a detractor opens (DOMAIN §4). */
struct survey_write {
	struct branch		*sw_branch;
	const struct request_key *sw_key;	/* NULL: none */
	const struct ticket	*sw_ticket;
	int			 sw_score;
	const char		*sw_reason;
	int64_t			 sw_at;
	struct complaint	*sw_opened;	/* NULL: not a detractor */
};

static int
survey_writes(struct store *s, void *arg)
{
	const struct survey_write	*sw = arg;
	struct complaint		*c = sw->sw_opened;
	const struct ticket		*t = sw->sw_ticket;

	if (c != NULL && (complaint_insert(sw->sw_branch, c, NULL) == -1 ||
	    outbox_add(sw->sw_branch, "survey.detractor", c, t->t_number, sw->sw_score,
	    sw->sw_reason) == -1 ||
	    outbox_add(sw->sw_branch, "complaint.logged", c, NULL, -1, NULL) == -1))
		return -1;
	if (sw->sw_key != NULL && store_request_key_insert(s, sw->sw_key, t->t_id,
	    c != NULL ? c->c_id : 0, sw->sw_at, -1) == -1)
		return -1;
	return store_survey_insert(s, t->t_id, sw->sw_score, sw->sw_reason, sw->sw_at,
	    t->t_date, c != NULL ? c->c_id : 0);
}

int
survey_submit(struct branch *b, const struct actor *a, const char *number, int score,
    const char *reason, const struct request_key *key, struct complaint *c, bool *detractor,
    struct bq_error *err)
{
	struct ticket	*t = ticket_lookup(b, number);
	const char	*duty = b->b_cfg->cf_duty_supervisor;
	struct survey_write sw;
	char		 at[BQ_TIME_LEN];
	int64_t		 now = clock_now(), answered_at;

	(void)a;
	*detractor = nps_class(score) == NPS_DETRACTOR;
	if (t == NULL)
		return bq_fail(err, ERR_NOT_FOUND, "ticket: no ticket %s today", number);
	if (t->t_status != TS_DONE) {
		bq_fail(err, ERR_CONFLICT,
		    "ticket %s is %s; a survey follows a completed service", number,
		    ticket_status_name(t->t_status));
		return bq_detail_str(err, "status", ticket_status_name(t->t_status));
	}
	if (store_survey_answered(b->b_store, t->t_id, &answered_at) == -1)
		return bq_fail(err, ERR_UNAVAILABLE, "the database cannot be read (%s)",
		    store_errmsg(b->b_store));
	if (answered_at != 0) {
		bq_fail(err, ERR_CONFLICT, "ticket %s already has a survey answer", number);
		time_format(answered_at, at);
		return bq_detail_str(err, "answered_at", at);
	}
	if (*detractor && duty == NULL)
		return bq_fail(err, ERR_INTERNAL,
		    "no duty supervisor is configured to own the follow-up");

	if (*detractor) {
		/* DOMAIN §4: a detractor opens a follow-up owned by the duty supervisor. */
		complaint_new(b, c, duty);
		c->c_category = CATEGORY_OTHER;
		c->c_severity = 1;
		snprintf(c->c_channel, sizeof c->c_channel, "survey");
		snprintf(c->c_ticket_number, sizeof c->c_ticket_number, "%s", t->t_number);
		c->c_ticket_id = t->t_id;
		if (reason != NULL && *reason != '\0')
			snprintf(c->c_description, sizeof c->c_description, "%s", reason);
		else
			snprintf(c->c_description, sizeof c->c_description,
			    "survey score %d, no reason given", score);
	}
	sw.sw_branch = b;
	sw.sw_key = key;
	sw.sw_ticket = t;
	sw.sw_score = score;
	sw.sw_reason = reason;
	sw.sw_at = now;
	sw.sw_opened = *detractor ? c : NULL;
	if (store_write(b->b_store, survey_writes, &sw, NULL, err) == -1)
		return -1;
	if (*detractor) {
		log_info("survey of %s: score %d opens complaint %" PRId64 " for %s", number,
		    score, c->c_id, duty);
		notify(b, "complaint.logged", c, NULL);
		followup_watch(b);
	}
	return 0;
}

/* ---- the deadline that fires by itself ---- */

static void	followup_overdue_fire(void *);

/* Follow-ups that fell due while the daemon was down are marked now. */
void
followup_start(struct branch *b)
{
	deadline_init(&b->b_followup, "follow-up due", followup_overdue_fire, b);
	followup_watch(b);
}

void
followup_watch(struct branch *b)
{
	int64_t	at;

	if (store_complaint_next_due(b->b_store, &at) == -1) {
		deadline_arm(&b->b_followup, clock_now() + FOLLOWUP_RETRY_S);
		return;
	}
	/* PROTOCOL: overdue once the deadline has passed: a follow-up in the
	 * due second itself is on time (followup_on_time). */
	if (at == 0)
		deadline_disarm(&b->b_followup);
	else if (at < clock_now())
		followup_overdue_fire(b);	/* passed while we were down */
	else
		deadline_arm(&b->b_followup, at + 1);
}

struct overdue_write {
	struct branch		*ow_branch;
	struct complaint	*ow_complaints;	/* read here */
	const int64_t		*ow_ids;
	size_t			 ow_n;
};

static int
overdue_writes(struct store *s, void *arg)
{
	const struct overdue_write	*ow = arg;
	struct complaint		*c;
	struct complaint_action		 ca;
	size_t				 i;

	for (i = 0; i < ow->ow_n; i++) {
		c = &ow->ow_complaints[i];
		if (store_complaint_get(s, ow->ow_ids[i], c) != 0)
			return -1;
		c->c_overdue = true;
		action_init(&ca, STEP_OVERDUE, NULL, NULL);
		if (store_complaint_update(s, c) == -1 || store_complaint_action(s, c, &ca) == -1 ||
		    outbox_add(ow->ow_branch, "followup.overdue", c, NULL, -1, NULL) == -1)
			return -1;
		store_figure_add(s, SF_FOLLOWUPS_OVERDUE, 1);	/* not closed: ST_DUE_LIST */
	}
	return 0;
}

/* Marks up to OVERDUE_BATCH due complaints overdue; 1 if there may be more. */
static int
overdue_batch(struct branch *b, int64_t now)
{
	struct overdue_write	 ow;
	struct complaint	*cs;
	int64_t			*ids;
	size_t			 i, n;

	if (store_complaints_due(b->b_store, now, &ids, &n) == -1)
		return -1;
	if (n > OVERDUE_BATCH)
		n = OVERDUE_BATCH;
	if (n == 0 || (cs = calloc(n, sizeof *cs)) == NULL) {
		free(ids);
		if (n == 0)
			return 0;
		fatal("calloc");
	}
	ow.ow_branch = b;
	ow.ow_complaints = cs;
	ow.ow_ids = ids;
	ow.ow_n = n;
	if (store_write(b->b_store, overdue_writes, &ow, NULL, NULL) == -1)
		goto fail;
	for (i = 0; i < n; i++) {
		log_info("event=overdue complaint=%" PRId64 " owner=%s", cs[i].c_id,
		    cs[i].c_owner);
		notify(b, "followup.overdue", &cs[i], NULL);
	}
	free(cs);
	free(ids);
	return n == OVERDUE_BATCH;
fail:
	free(cs);
	free(ids);
	return -1;
}

/* DOMAIN §3: the server notices the deadline by itself. */
static void
followup_overdue_fire(void *arg)
{
	struct branch	*b = arg;
	int		 rc;

	while ((rc = overdue_batch(b, clock_now())) == 1)
		;
	if (rc == -1) {
		log_warnx("event=fault component=overdue error=%s retry_s=%d",
		    log_str(store_errmsg(b->b_store)), FOLLOWUP_RETRY_S);
		deadline_arm(&b->b_followup, clock_now() + FOLLOWUP_RETRY_S);
		return;
	}
	followup_watch(b);
}
