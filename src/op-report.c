/*
 * report.followups, report.summary and report.compensation on the wire, and
 * complaint.list, which runs on the same worker.
 * The handler validates, hands a job to the report worker and returns
 * OP_LATER.  The reply is built and printed on the worker thread too (the
 * encoders below touch only their job); back on the loop, finish() hands
 * the line to the session's transport (s_deliver), which drops it if the
 * session is gone.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>

#include "branchq.h"

/* In enum followups_status order. */
static const char *const followups_statuses[] = {
	"open", "overdue", "all", "due_soon", NULL
};
/* report.summary's group, in enum report_group order after GROUP_NONE. */
static const char *const summary_groups[] = { "day", "half_hour", NULL };

struct pending {
	void		(*p_deliver)(uint64_t conn_id, const char *line);
	uint64_t	 p_conn;
	cJSON		*p_reply;	/* until encoded */
	char		*p_list;	/* followups: "[{…},{…}" the complaints, printed */
	size_t		 p_list_len, p_list_cap;
	char		*p_line;	/* the encoded reply */
};

static void	finish(struct report_job *);

static int
submit(struct op_ctx *x, struct report_job *job, void (*encode)(struct report_job *))
{
	struct pending	*p;

	if ((p = calloc(1, sizeof *p)) == NULL)
		fatal("calloc");
	if (x->x_session->s_deliver == NULL)
		fatalx("report: the session's transport takes no later replies");
	p->p_deliver = x->x_session->s_deliver;
	p->p_conn = x->x_session->s_conn_id;
	p->p_reply = x->x_reply;
	job->rj_now = clock_now();
	job->rj_encode = encode;
	job->rj_done = finish;
	job->rj_arg = p;
	if (report_submit(job) == -1) {
		free(p);
		report_job_free(job);
		return bq_fail(&x->x_err, ERR_UNAVAILABLE,
		    "%d reports are already under way; try again shortly", REPORT_MAX_QUEUED);
	}
	x->x_reply = NULL;	/* the job has it now */
	return OP_LATER;
}

/* On the loop thread: the reply (or the error) to its connection, and frees. */
static void
finish(struct report_job *job)
{
	struct pending	*p = job->rj_arg;

	if (p->p_line == NULL) {
		log_warnx("report failed: %s", job->rj_err);
		p->p_line = json_error_reply(cJSON_GetObjectItemCaseSensitive(p->p_reply, "id"),
		    ERR_UNAVAILABLE, job->rj_err);
		cJSON_Delete(p->p_reply);
		p->p_reply = NULL;
	}
	p->p_deliver(p->p_conn, p->p_line);
	free(p->p_line);
	free(p->p_list);
	free(p);
	report_job_free(job);
}

/* On the worker thread: prints the finished reply. */
static void
encoded(struct report_job *job)
{
	struct pending	*p = job->rj_arg;

	p->p_line = json_print_free(p->p_reply);
	p->p_reply = NULL;
}

static cJSON *
reply_of(struct report_job *job)
{
	return ((struct pending *)job->rj_arg)->p_reply;
}

static cJSON *
number_or_null(bool present, double v)
{
	return present ? cJSON_CreateNumber(v) : cJSON_CreateNull();
}

static double
share(int64_t part, int64_t whole)
{
	/* Four decimals: enough for a rate, stable to compare. */
	return (double)((part * 10000 + whole / 2) / whole) / 10000.0;
}

/* ---- report.followups ---- */

/* On the worker thread, for each complaint as it is read. */
static void
followups_item(struct report_job *job, const struct complaint *cp,
    const struct followup_row *fw)
{
	struct pending	*p = job->rj_arg;
	cJSON		*c, *last;
	char		*text;
	size_t		 len;

	/* DOMAIN §5: the customer is masked in every report, and in the list. */
	c = json_complaint(cp, true);
	/* complaint.list keeps the text: the teller must see what it is about. */
	if (job->rj_kind != REPORT_COMPLAINT_LIST)
		cJSON_DeleteItemFromObjectCaseSensitive(c, "description");
	cJSON_DeleteItemFromObjectCaseSensitive(c, "resolution");
	cJSON_AddNumberToObject(c, "overdue_s", cp->c_overdue &&
	    job->rj_now > cp->c_follow_up_due ? (double)(job->rj_now - cp->c_follow_up_due) : 0);
	/*
	 * A ticket number names a ticket only with its business date: the
	 * complaint's own, as complaint.log and survey.submit take only a
	 * ticket of the day (not_found otherwise).
	 */
	if (*cp->c_ticket_number != '\0')
		cJSON_AddStringToObject(c, "ticket_date", cp->c_date);
	if (fw->fw_last_at != 0) {
		last = cJSON_AddObjectToObject(c, "last_followup");
		cJSON_AddItemToObject(last, "at", json_time(fw->fw_last_at));
		cJSON_AddStringToObject(last, "outcome", fw->fw_last_outcome);
	} else
		cJSON_AddNullToObject(c, "last_followup");
	if (fw->fw_survey_score >= 0)
		cJSON_AddNumberToObject(c, "survey_score", fw->fw_survey_score);
	/*
	 * Printed now and the tree freed: ten thousand complaints as trees
	 * would hold ten times the reply's size at once, and touching that
	 * much fresh memory costs more than the printing.
	 */
	text = json_print_free(c);
	len = strlen(text);
	if (p->p_list_len + len + 3 > p->p_list_cap) {
		p->p_list_cap = 2 * (p->p_list_len + len + 3);
		if ((p->p_list = realloc(p->p_list, p->p_list_cap)) == NULL)
			fatal("realloc");
	}
	p->p_list[p->p_list_len] = p->p_list_len == 0 ? '[' : ',';
	p->p_list_len++;
	memcpy(p->p_list + p->p_list_len, text, len);
	p->p_list_len += len;
	free(text);
}

/* The list followups_item() printed, as the reply's "complaints". */
static void
add_complaints(cJSON *r, struct pending *p)
{
	cJSON	*item;

	if (p->p_list == NULL) {
		cJSON_AddArrayToObject(r, "complaints");
		return;
	}
	p->p_list[p->p_list_len++] = ']';	/* room was kept */
	p->p_list[p->p_list_len] = '\0';
	if ((item = cJSON_CreateRaw("")) == NULL)
		fatalx("cJSON_CreateRaw: out of memory");
	cJSON_free(item->valuestring);
	item->valuestring = p->p_list;	/* cJSON_Delete frees it with free() */
	cJSON_AddItemToObject(r, "complaints", item);
	p->p_list = NULL;
}

static void
followups_encode(struct report_job *job)
{
	struct followups_report	*fr = &job->rj_followups;
	cJSON			*r = reply_of(job), *sum, *owners, *o;
	size_t			 i;

	if (!job->rj_ok)
		return;
	cJSON_AddStringToObject(r, "status", followups_statuses[job->rj_status]);
	cJSON_AddItemToObject(r, "now", json_time(job->rj_now));
	cJSON_AddNumberToObject(r, "total", (double)fr->fr_total);
	sum = cJSON_AddObjectToObject(r, "summary");
	cJSON_AddNumberToObject(sum, "open", (double)fr->fr_open);
	cJSON_AddNumberToObject(sum, "overdue", (double)fr->fr_overdue);
	cJSON_AddNumberToObject(sum, "due_soon", (double)fr->fr_due_soon);
	cJSON_AddNumberToObject(sum, "on_time", (double)fr->fr_on_time);
	cJSON_AddNumberToObject(sum, "late", (double)fr->fr_late);
	cJSON_AddItemToObject(sum, "on_time_rate", number_or_null(fr->fr_on_time + fr->fr_late > 0,
	    fr->fr_on_time + fr->fr_late > 0 ? share(fr->fr_on_time, fr->fr_on_time + fr->fr_late) :
	    0));
	owners = cJSON_AddObjectToObject(sum, "by_owner");
	for (i = 0; i < fr->fr_nowners; i++) {
		o = cJSON_AddObjectToObject(owners, fr->fr_owners[i].oc_staff);
		cJSON_AddNumberToObject(o, "open", (double)fr->fr_owners[i].oc_open);
		cJSON_AddNumberToObject(o, "overdue", (double)fr->fr_owners[i].oc_overdue);
	}
	add_complaints(r, job->rj_arg);
	encoded(job);
}

static int
op_report_followups(struct op_ctx *x)
{
	struct report_job	*job;
	int			 status = arg_enum(x, "status", followups_statuses);

	if ((job = calloc(1, sizeof *job)) == NULL)
		fatal("calloc");
	job->rj_kind = REPORT_FOLLOWUPS;
	job->rj_status = status < 0 ? FOLLOWUPS_OPEN : (enum followups_status)status;
	job->rj_limit = arg_int(x, "limit", 1000);
	job->rj_item = followups_item;
	return submit(x, job, followups_encode);
}

static const struct field_spec followups_fields[] = {
	{ "status", FT_ENUM, false, 0, 0, followups_statuses, NULL },
	{ "limit", FT_INT, false, 1, 10000, NULL, NULL },
	{ NULL, 0, 0, 0, 0, NULL, NULL }
};
const struct op_entry op_report_followups_entry = {
	.op_name = "report.followups", .op_roles = R_SUPERVISOR,
	.op_fields = followups_fields, .op_exec = op_report_followups,
};

/* ---- complaint.list ---- */

/*
 * A teller's or lobby manager's own complaints (owned or first responded
 * to), or every one for a supervisor, as report.followups shows them plus
 * the description.  On the report worker, as report.followups: a
 * supervisor's `all` is every complaint ever logged, sorted, and the loop
 * never sorts a table; a teller's list waits at most behind the reports
 * queued before it.
 */
static void
complaint_list_encode(struct report_job *job)
{
	cJSON	*r = reply_of(job);

	if (!job->rj_ok)
		return;
	cJSON_AddStringToObject(r, "status", followups_statuses[job->rj_status]);
	cJSON_AddItemToObject(r, "now", json_time(job->rj_now));
	add_complaints(r, job->rj_arg);
	cJSON_AddBoolToObject(r, "truncated", job->rj_followups.fr_truncated);
	encoded(job);
}

static int
op_complaint_list(struct op_ctx *x)
{
	struct report_job	*job;
	int			 status = arg_enum(x, "status", followups_statuses);

	if ((job = calloc(1, sizeof *job)) == NULL)
		fatal("calloc");
	job->rj_kind = REPORT_COMPLAINT_LIST;
	job->rj_status = status < 0 ? FOLLOWUPS_OPEN : (enum followups_status)status;
	job->rj_limit = COMPLAINT_LIST_MAX;
	/* DOMAIN §3: a supervisor sees every complaint; others their own. */
	job->rj_own_only = x->x_actor.a_role != ROLE_SUPERVISOR;
	snprintf(job->rj_staff, sizeof job->rj_staff, "%s", x->x_actor.a_staff);
	job->rj_item = followups_item;
	return submit(x, job, complaint_list_encode);
}

static const struct field_spec complaint_list_fields[] = {
	{ "status", FT_ENUM, false, 0, 0, followups_statuses, NULL },
	{ NULL, 0, 0, 0, 0, NULL, NULL }
};
const struct op_entry op_complaint_list_entry = {
	.op_name = "complaint.list", .op_roles = R_TELLER | R_LOBBY | R_SUPERVISOR,
	.op_fields = complaint_list_fields, .op_exec = op_complaint_list,
};

/* ---- report.summary ---- */

static cJSON *
counts(cJSON *parent, const char *name, const int64_t *v, const char *const *keys, size_t n)
{
	cJSON	*o = cJSON_AddObjectToObject(parent, name);
	size_t	 i;

	for (i = 0; i < n; i++)
		cJSON_AddNumberToObject(o, keys[i], (double)v[i]);
	return o;
}

static void
add_stats(cJSON *o, const struct duration_stats *ds, bool within)
{
	bool	any = ds->ds_count > 0;

	cJSON_AddNumberToObject(o, "count", (double)ds->ds_count);
	cJSON_AddItemToObject(o, "mean", number_or_null(any, (double)ds->ds_mean));
	cJSON_AddItemToObject(o, "p50", number_or_null(any, (double)ds->ds_p50));
	cJSON_AddItemToObject(o, "p90", number_or_null(any, (double)ds->ds_p90));
	cJSON_AddItemToObject(o, "max", number_or_null(any, (double)ds->ds_max));
	if (within)
		cJSON_AddItemToObject(o, "within_target", number_or_null(any,
		    any ? share(ds->ds_within, ds->ds_count) : 0));
}

/* A report over business dates: its range, and when it was made. */
static void
range_encode(cJSON *r, const struct report_job *job)
{
	cJSON_AddStringToObject(r, "from", job->rj_from);
	cJSON_AddStringToObject(r, "to", job->rj_to);
	cJSON_AddItemToObject(r, "now", json_time(job->rj_now));
}

/* DOMAIN §1: the exceptions that keep a job eligible by amount from the
 * machines, in the router's rank order (src/route.c). */
static const enum route_rule kept_rules[] = {
	RULE_ACCESSIBILITY, RULE_NEEDS_ASSISTANCE, RULE_VIP, RULE_LOOSE_CASH,
	RULE_SELF_SERVICE_UNAVAILABLE, RULE_COUNTER_IDLE,
};

/* PROTOCOL: rate = (diverted - rerouted) / eligible, null without eligible jobs. */
static cJSON *
diversion_rate(int64_t eligible, int64_t diverted, int64_t rerouted)
{
	return number_or_null(eligible > 0, eligible > 0 ?
	    (double)(diverted - rerouted) / (double)eligible : 0);
}

static void
staff_encode(cJSON *o, const struct staff_stats *ss)
{
	cJSON	*by;
	size_t	 i;

	add_stats(o, &ss->ss_service, false);
	cJSON_AddNumberToObject(o, "called", (double)ss->ss_called);
	cJSON_AddNumberToObject(o, "served", (double)ss->ss_served);
	cJSON_AddNumberToObject(o, "no_shows", (double)ss->ss_no_shows);
	cJSON_AddNumberToObject(o, "serving_s", (double)ss->ss_serving_s);
	cJSON_AddNumberToObject(o, "paused_s", (double)ss->ss_paused_s);
	cJSON_AddNumberToObject(o, "idle_s", (double)ss->ss_idle_s);
	/* The services they completed, each with its service time. */
	by = cJSON_AddObjectToObject(o, "by_service");
	for (i = 0; i < SERVICE__COUNT; i++)
		if (ss->ss_by_service[i].ds_count > 0)
			add_stats(cJSON_AddObjectToObject(by, service_names[i]),
			    &ss->ss_by_service[i], false);
}

/* An array of counts: a histogram's buckets. */
static void
histogram_encode(cJSON *o, const char *name, const int64_t *v, size_t n)
{
	cJSON	*a = cJSON_AddArrayToObject(o, name);
	size_t	 i;

	for (i = 0; i < n; i++)
		cJSON_AddItemToArray(a, cJSON_CreateNumber((double)v[i]));
}

/* The answers' classes and the score; null score without answers. */
static void
nps_encode(cJSON *o, int64_t promoters, int64_t passives, int64_t detractors, bool null_if_none)
{
	int64_t	responses = promoters + passives + detractors;

	cJSON_AddNumberToObject(o, "responses", (double)responses);
	cJSON_AddNumberToObject(o, "promoters", (double)promoters);
	cJSON_AddNumberToObject(o, "passives", (double)passives);
	cJSON_AddNumberToObject(o, "detractors", (double)detractors);
	cJSON_AddItemToObject(o, "score", number_or_null(responses > 0 || !null_if_none,
	    nps_score(promoters, passives, detractors)));
}

static void
groups_encode(cJSON *r, const struct summary_report *sr)
{
	const struct period_stats	*ps;
	cJSON				*list = cJSON_AddArrayToObject(r, "groups"), *g, *o;
	size_t				 i;

	for (i = 0; i < sr->sr_nperiods; i++) {
		ps = &sr->sr_periods[i];
		g = cJSON_CreateObject();
		cJSON_AddItemToObject(g, "from", json_time(ps->ps_from));
		cJSON_AddItemToObject(g, "to", json_time(ps->ps_to));
		cJSON_AddNumberToObject(g, "tickets", (double)ps->ps_tickets);
		add_stats(cJSON_AddObjectToObject(g, "waiting"), &ps->ps_wait, true);
		cJSON_AddNumberToObject(g, "served", (double)ps->ps_served);
		cJSON_AddNumberToObject(g, "no_show", (double)ps->ps_no_show);
		o = cJSON_AddObjectToObject(g, "diversion");
		cJSON_AddNumberToObject(o, "eligible", (double)ps->ps_eligible);
		cJSON_AddNumberToObject(o, "diverted", (double)ps->ps_diverted);
		cJSON_AddNumberToObject(o, "rerouted_total", (double)ps->ps_rerouted);
		cJSON_AddItemToObject(o, "rate", diversion_rate(ps->ps_eligible,
		    ps->ps_diverted, ps->ps_rerouted));
		/* PROTOCOL 1.1: NPS over time; a period without answers has no score. */
		nps_encode(cJSON_AddObjectToObject(g, "nps"), ps->ps_promoters, ps->ps_passives,
		    ps->ps_detractors, true);
		cJSON_AddNumberToObject(g, "complaints", (double)ps->ps_complaints);
		cJSON_AddItemToArray(list, g);
	}
}

static void
summary_encode(struct report_job *job)
{
	static const char *const severities[] = { "0", "1", "2", "3" };
	static const char *const causes[] = {
		"value", "system", "personnel", "customer", "external", "unresolved"
	};
	static const char *const status_names[] = {
		"diverted", "waiting", "called", "serving", "done", "no_show", "cancelled", "expired"
	};
	struct summary_report	*sr = &job->rj_summary;
	cJSON			*r = reply_of(job), *o, *l, *lane;
	size_t			 i;

	if (!job->rj_ok)
		return;
	range_encode(r, job);
	if (job->rj_group != GROUP_NONE)
		cJSON_AddStringToObject(r, "group", summary_groups[job->rj_group - 1]);

	o = cJSON_AddObjectToObject(r, "tickets");
	cJSON_AddNumberToObject(o, "total", (double)sr->sr_tickets);
	counts(o, "by_lane", sr->sr_by_lane, (const char *const *)lane_names, LANE__COUNT);
	counts(o, "by_service", sr->sr_by_service, (const char *const *)service_names,
	    SERVICE__COUNT);
	counts(o, "by_status", sr->sr_by_status, status_names, TS__COUNT);

	o = cJSON_AddObjectToObject(r, "diversion");
	cJSON_AddNumberToObject(o, "eligible", (double)sr->sr_eligible);
	cJSON_AddNumberToObject(o, "diverted", (double)sr->sr_diverted);
	counts(o, "rerouted", sr->sr_rerouted, reroute_reasons, REROUTE_REASON__COUNT);
	cJSON_AddNumberToObject(o, "rerouted_total", (double)sr->sr_rerouted_total);
	cJSON_AddItemToObject(o, "rate", diversion_rate(sr->sr_eligible, sr->sr_diverted,
	    sr->sr_rerouted_total));
	l = cJSON_AddObjectToObject(o, "kept_at_counter");
	for (i = 0; i < sizeof kept_rules / sizeof kept_rules[0]; i++)
		cJSON_AddNumberToObject(l, route_rule_name(kept_rules[i]),
		    (double)sr->sr_kept[kept_rules[i]]);
	cJSON_AddNumberToObject(o, "self_service_down_s", (double)sr->sr_self_service_down_s);
	cJSON_AddNumberToObject(o, "unused", (double)sr->sr_unused);
	cJSON_AddNumberToObject(o, "left_queue", (double)sr->sr_left_queue);

	o = cJSON_AddObjectToObject(r, "waiting");
	cJSON_AddNumberToObject(o, "target_wait_s", (double)job->rj_target_wait_s);
	cJSON_AddItemToObject(o, "within_target", number_or_null(sr->sr_wait_all.ds_count > 0,
	    sr->sr_wait_all.ds_count > 0 ? share(sr->sr_wait_all.ds_within,
	    sr->sr_wait_all.ds_count) : 0));
	histogram_encode(o, "histogram_edges_s", wait_histogram_edges_s, WAIT_BUCKETS);
	histogram_encode(o, "histogram", sr->sr_wait_all_hist, WAIT_BUCKETS);
	l = cJSON_AddObjectToObject(o, "by_lane");
	for (i = 0; i < LANE__COUNT; i++) {
		lane = cJSON_AddObjectToObject(l, lane_names[i]);
		add_stats(lane, &sr->sr_wait[i], true);
		histogram_encode(lane, "histogram", sr->sr_wait_hist[i], WAIT_BUCKETS);
	}

	o = cJSON_AddObjectToObject(cJSON_AddObjectToObject(r, "service"), "by_staff");
	for (i = 0; i < sr->sr_nstaff; i++)
		staff_encode(cJSON_AddObjectToObject(o, sr->sr_staff[i].ss_staff),
		    &sr->sr_staff[i]);

	o = cJSON_AddObjectToObject(r, "no_show");
	cJSON_AddNumberToObject(o, "total", (double)sr->sr_no_show);
	counts(o, "by_lane", sr->sr_no_show_by_lane, (const char *const *)lane_names,
	    LANE__COUNT);

	o = cJSON_AddObjectToObject(r, "complaints");
	cJSON_AddNumberToObject(o, "total", (double)sr->sr_complaints);
	counts(o, "by_category", sr->sr_by_category, complaint_categories, COMPLAINT_CATEGORIES);
	counts(o, "by_severity", sr->sr_by_severity + 1, severities + 1, 3);
	counts(o, "by_root_cause", sr->sr_by_cause, causes, CAUSE__COUNT + 1);
	cJSON_AddNumberToObject(o, "compensation_fen", (double)sr->sr_compensation_fen);
	counts(o, "compensation_by_root_cause_fen", sr->sr_compensation_by_cause_fen, causes,
	    CAUSE__COUNT + 1);

	o = cJSON_AddObjectToObject(r, "followups");
	cJSON_AddNumberToObject(o, "on_time", (double)sr->sr_followup_on_time);
	cJSON_AddNumberToObject(o, "late", (double)sr->sr_followup_late);
	cJSON_AddNumberToObject(o, "open_overdue", (double)sr->sr_open_overdue);

	/* The branch-wide score is 0 without answers (as since version 1). */
	nps_encode(cJSON_AddObjectToObject(r, "nps"), sr->sr_promoters, sr->sr_passives,
	    sr->sr_detractors, false);
	if (job->rj_group != GROUP_NONE)
		groups_encode(r, sr);
	encoded(job);
}

/*
 * A job of a report over business dates: from and to checked (from <= to),
 * *days how many, both included.  NULL with x_err on a bad request.
 */
static struct report_job *
range_job(struct op_ctx *x, enum report_kind kind, int64_t *days)
{
	struct report_job	*job;
	const char		*from = arg_str(x, "from"), *to = arg_str(x, "to");
	int			 y, m, d;

	if (date_parse(from, &y, &m, &d) == -1) {
		bq_fail(&x->x_err, ERR_BAD_REQUEST, "from: must be a date YYYY-MM-DD");
		return NULL;
	}
	if (date_parse(to, &y, &m, &d) == -1) {
		bq_fail(&x->x_err, ERR_BAD_REQUEST, "to: must be a date YYYY-MM-DD");
		return NULL;
	}
	if (strcmp(from, to) > 0) {
		bq_fail(&x->x_err, ERR_BAD_REQUEST, "to: must not be before from");
		return NULL;
	}
	*days = date_ordinal(to) - date_ordinal(from) + 1;
	if ((job = calloc(1, sizeof *job)) == NULL)
		fatal("calloc");
	job->rj_kind = kind;
	snprintf(job->rj_from, sizeof job->rj_from, "%s", from);
	snprintf(job->rj_to, sizeof job->rj_to, "%s", to);
	return job;
}

static int
op_report_summary(struct op_ctx *x)
{
	struct report_job	*job;
	int			 group = arg_enum(x, "group", summary_groups) + 1;
	int64_t			 days = 0, max;

	if ((job = range_job(x, REPORT_SUMMARY, &days)) == NULL)
		return -1;
	/* A grouped reply grows with the range: bounded (docs/PROTOCOL.md). */
	max = group == GROUP_HALF_HOUR ? REPORT_MAX_DAYS_BY_HALF_HOUR : REPORT_MAX_DAYS_BY_DAY;
	if (group != GROUP_NONE && days > max) {
		bq_fail(&x->x_err, ERR_BAD_REQUEST, "group: %s covers at most %" PRId64
		    " days; from %s to %s is %" PRId64, summary_groups[group - 1], max,
		    job->rj_from, job->rj_to, days);
		report_job_free(job);
		return -1;
	}
	job->rj_target_wait_s = x->x_branch->b_cfg->cf_target_wait_s;
	job->rj_group = (enum report_group)group;
	return submit(x, job, summary_encode);
}

/* A range of business dates, YYYY-MM-DD (range_job checks them). */
#define RANGE_FIELDS \
	{ "from", FT_STRING, true, 10, 10, NULL, NULL }, \
	{ "to", FT_STRING, true, 10, 10, NULL, NULL }

static const struct field_spec summary_fields[] = {
	RANGE_FIELDS,
	{ "group", FT_ENUM, false, 0, 0, summary_groups, NULL },
	{ NULL, 0, 0, 0, 0, NULL, NULL }
};
const struct op_entry op_report_summary_entry = {
	.op_name = "report.summary", .op_roles = R_SUPERVISOR,
	.op_fields = summary_fields, .op_exec = op_report_summary,
};

/* ---- report.compensation ---- */

static void
compensation_encode(struct report_job *job)
{
	struct compensation_report	*cr = &job->rj_compensation;
	const struct grant		*gr;
	cJSON				*r = reply_of(job), *list, *g;
	size_t				 i;

	if (!job->rj_ok)
		return;
	range_encode(r, job);
	cJSON_AddNumberToObject(r, "total", (double)cr->cr_total);
	list = cJSON_AddArrayToObject(r, "grants");
	for (i = 0; i < cr->cr_ngrants; i++) {
		gr = &cr->cr_grants[i];
		g = cJSON_CreateObject();
		cJSON_AddItemToObject(g, "at", json_time(gr->gr_at));
		cJSON_AddNumberToObject(g, "complaint", (double)gr->gr_complaint);
		cJSON_AddStringToObject(g, "actor", gr->gr_actor);
		cJSON_AddNumberToObject(g, "amount_fen", (double)gr->gr_amount_fen);
		cJSON_AddItemToObject(g, "root_cause", gr->gr_root_cause >= 0 ?
		    cJSON_CreateString(root_causes[gr->gr_root_cause]) : cJSON_CreateNull());
		cJSON_AddItemToObject(g, "category", gr->gr_category >= 0 ?
		    cJSON_CreateString(complaint_categories[gr->gr_category]) :
		    cJSON_CreateNull());
		cJSON_AddItemToArray(list, g);
	}
	cJSON_AddNumberToObject(r, "total_fen", (double)cr->cr_total_fen);
	encoded(job);
}

static int
op_report_compensation(struct op_ctx *x)
{
	struct report_job	*job;
	int64_t			 days;

	if ((job = range_job(x, REPORT_COMPENSATION, &days)) == NULL)
		return -1;
	job->rj_limit = arg_int(x, "limit", 1000);
	return submit(x, job, compensation_encode);
}

static const struct field_spec compensation_fields[] = {
	RANGE_FIELDS,
	{ "limit", FT_INT, false, 1, 10000, NULL, NULL },
	{ NULL, 0, 0, 0, 0, NULL, NULL }
};
const struct op_entry op_report_compensation_entry = {
	.op_name = "report.compensation", .op_roles = R_SUPERVISOR,
	.op_fields = compensation_fields, .op_exec = op_report_compensation,
};
