/*
 * Complaints, follow-ups and surveys on the wire.
 *
 * PROTOCOL names the complaint with `id`, the same key as the request id.
 * Both readings agree when a terminal sends {"op":"complaint.get","id":17}:
 * the reply echoes 17 and concerns complaint 17.  A terminal that wants its
 * own request ids may name the complaint with `complaint` instead.
 */
#include <stdio.h>
#include <string.h>

#include <cJSON.h>

#include "branchq.h"

#define COMPLAINT_ID_MAX	9007199254740991LL	/* 2^53 - 1: exact in JSON */


static int
complaint_id(struct op_ctx *x, int64_t *id)
{
	const cJSON	*item = arg_item(x, "complaint");
	const char	*name = "complaint";
	double		 d;

	if (item == NULL) {
		item = arg_item(x, "id");
		name = "id";
	}
	if (item == NULL)
		return bq_fail(&x->x_err, ERR_BAD_REQUEST,
		    "id: is required: the complaint's number");
	d = cJSON_IsNumber(item) ? item->valuedouble : -1;
	if (d < 1 || d > (double)COMPLAINT_ID_MAX || d != (double)(int64_t)d)
		return bq_fail(&x->x_err, ERR_BAD_REQUEST,
		    "%s: must be a complaint number, an integer from 1", name);
	*id = (int64_t)d;
	return 0;
}

static int
reply_complaint(struct op_ctx *x, const struct complaint *c)
{
	cJSON_AddItemToObject(x->x_reply, "complaint", json_complaint(c, false));
	return 0;
}

/* ---- complaint.log ---- */

static const struct field_spec customer_fields[] = {
	{ "name", FT_STRING, false, 1, 100, NULL, NULL },
	{ "phone", FT_STRING, false, 3, 32, NULL, NULL },
	{ NULL, 0, 0, 0, 0, NULL, NULL }
};
static const struct field_spec log_fields[] = {
	{ "category", FT_ENUM, true, 0, 0, complaint_categories, NULL },
	{ "severity", FT_INT, true, 1, 3, NULL, NULL },
	{ "description", FT_STRING, true, 1, COMPLAINT_TEXT_MAX, NULL, NULL },
	{ "channel", FT_ENUM, true, 0, 0, complaint_channels, NULL },
	{ "ticket", FT_NUMBER, false, 0, 0, NULL, NULL },
	{ "customer", FT_OBJECT, false, 0, 0, NULL, customer_fields },
	{ "request_key", FT_STRING, false, 1, REQUEST_KEY_MAX, NULL, NULL },
	{ NULL, 0, 0, 0, 0, NULL, NULL }
};

static const char *
sub_str(const cJSON *obj, const char *name)
{
	const cJSON	*item = cJSON_GetObjectItemCaseSensitive(obj, name);

	return cJSON_IsString(item) ? item->valuestring : NULL;
}

static int
op_complaint_log(struct op_ctx *x)
{
	struct complaint_request	 cr;
	struct complaint		 c;
	const cJSON			*customer = arg_item(x, "customer");
	const char			*phone;

	memset(&cr, 0, sizeof cr);
	cr.cr_key = x->x_key;
	cr.cr_category = arg_enum(x, "category", complaint_categories);
	cr.cr_severity = (int)arg_int(x, "severity", 1);
	cr.cr_channel = arg_str(x, "channel");
	cr.cr_description = arg_str(x, "description");
	cr.cr_ticket = arg_str(x, "ticket");
	cr.cr_customer_name = sub_str(customer, "name");
	phone = cr.cr_customer_phone = sub_str(customer, "phone");
	if (phone != NULL && strspn(phone, "+0123456789- ") != strlen(phone))
		return bq_fail(&x->x_err, ERR_BAD_REQUEST,
		    "customer.phone: must be digits, with an optional +, spaces or dashes");
	if (complaint_log(x->x_branch, &x->x_actor, &cr, &c, &x->x_err) == -1)
		return -1;
	return reply_complaint(x, &c);
}

/* A retry: the complaint it logged, as it is now. */
static int
op_complaint_log_replay(struct op_ctx *x, const struct request_key_row *row)
{
	struct complaint	c;

	if (complaint_find(x->x_branch, row->kr_complaint_id, &c, &x->x_err) == -1)
		return -1;
	return reply_complaint(x, &c);
}

const struct op_entry op_complaint_log_entry = {
	.op_name = "complaint.log", .op_roles = R_TELLER | R_LOBBY | R_SUPERVISOR,
	.op_fields = log_fields, .op_exec = op_complaint_log,
	.op_replay = op_complaint_log_replay,
};

/* ---- complaint.get ---- */

static void
add_action(const struct complaint_action *ca, void *arg)
{
	cJSON	*list = arg, *o = cJSON_CreateObject();
	bool	 followup = ca->ca_on_time >= 0;

	cJSON_AddStringToObject(o, "kind", complaint_step_kind(ca->ca_step));
	if (*ca->ca_actor != '\0')
		cJSON_AddStringToObject(o, "actor", ca->ca_actor);
	else
		cJSON_AddNullToObject(o, "actor");
	cJSON_AddItemToObject(o, "at", json_time(ca->ca_at));
	if (*ca->ca_note != '\0')
		cJSON_AddStringToObject(o, "note", ca->ca_note);
	else
		cJSON_AddNullToObject(o, "note");
	if (ca->ca_step == STEP_COMPENSATION)
		cJSON_AddNumberToObject(o, "amount_fen", (double)ca->ca_amount_fen);
	else
		cJSON_AddNullToObject(o, "amount_fen");
	if (*ca->ca_to_staff != '\0')
		cJSON_AddStringToObject(o, "to_staff", ca->ca_to_staff);
	if (ca->ca_step == STEP_RESOLVED)
		cJSON_AddItemToObject(o, "root_cause", ca->ca_root_cause >= 0 ?
		    cJSON_CreateString(root_causes[ca->ca_root_cause]) : cJSON_CreateNull());
	if (followup) {
		cJSON_AddStringToObject(o, "outcome",
		    followup_outcomes[ca->ca_step - STEP_FOLLOWUP_SATISFIED]);
		cJSON_AddBoolToObject(o, "on_time", ca->ca_on_time != 0);
	}
	cJSON_AddItemToArray(list, o);
}

static int
op_complaint_get(struct op_ctx *x)
{
	struct complaint	 c;
	cJSON			*o, *actions;
	int64_t			 id;

	if (complaint_id(x, &id) == -1 ||
	    complaint_get(x->x_branch, &x->x_actor, id, &c, &x->x_err) == -1)
		return -1;
	o = json_complaint(&c, false);
	actions = cJSON_AddArrayToObject(o, "actions");
	if (complaint_history(x->x_branch, id, add_action, actions) == -1) {
		cJSON_Delete(o);
		return bq_fail(&x->x_err, ERR_UNAVAILABLE, "the database cannot be read");
	}
	cJSON_AddItemToObject(x->x_reply, "complaint", o);
	return 0;
}

const struct op_entry op_complaint_get_entry = {
	.op_name = "complaint.get", .op_roles = R_TELLER | R_LOBBY | R_SUPERVISOR,
	.op_exec = op_complaint_get,
};

/* ---- complaint.action ---- */

static const struct field_spec action_fields[] = {
	{ "kind", FT_ENUM, true, 0, 0, action_kinds, NULL },
	{ "note", FT_STRING, true, 1, COMPLAINT_TEXT_MAX, NULL, NULL },
	{ "amount_fen", FT_INT, false, 1, 1000000000000LL, NULL, NULL },
	{ NULL, 0, 0, 0, 0, NULL, NULL }
};

static int
op_complaint_action(struct op_ctx *x)
{
	struct complaint	c;
	enum complaint_step	step = (enum complaint_step)arg_enum(x, "kind", action_kinds);
	int64_t			id, amount = arg_int(x, "amount_fen", 0);

	if (step == STEP_COMPENSATION && amount == 0)
		return bq_fail(&x->x_err, ERR_BAD_REQUEST,
		    "amount_fen: is required for compensation");
	if (step != STEP_COMPENSATION && amount != 0)
		return bq_fail(&x->x_err, ERR_BAD_REQUEST,
		    "amount_fen: only compensation carries an amount");
	if (complaint_id(x, &id) == -1 || complaint_act(x->x_branch, &x->x_actor, id, step,
	    arg_str(x, "note"), amount, &c, &x->x_err) == -1)
		return -1;
	return reply_complaint(x, &c);
}

const struct op_entry op_complaint_action_entry = {
	.op_name = "complaint.action", .op_roles = R_TELLER | R_LOBBY | R_SUPERVISOR,
	.op_fields = action_fields, .op_exec = op_complaint_action,
};

/* ---- complaint.reassign, complaint.resolve ---- */

static const struct field_spec reassign_fields[] = {
	{ "to_staff", FT_STRING, true, 1, BQ_ID_LEN, NULL, NULL },
	{ "reason", FT_STRING, true, 1, COMPLAINT_TEXT_MAX, NULL, NULL },
	{ NULL, 0, 0, 0, 0, NULL, NULL }
};

static int
op_complaint_reassign(struct op_ctx *x)
{
	struct complaint	c;
	int64_t			id;

	if (complaint_id(x, &id) == -1 || complaint_reassign(x->x_branch, &x->x_actor, id,
	    arg_str(x, "to_staff"), arg_str(x, "reason"), &c, &x->x_err) == -1)
		return -1;
	return reply_complaint(x, &c);
}

const struct op_entry op_complaint_reassign_entry = {
	.op_name = "complaint.reassign", .op_roles = R_TELLER | R_LOBBY | R_SUPERVISOR,
	.op_fields = reassign_fields, .op_exec = op_complaint_reassign,
};

static const struct field_spec resolve_fields[] = {
	{ "resolution", FT_STRING, true, 1, COMPLAINT_TEXT_MAX, NULL, NULL },
	{ "root_cause", FT_ENUM, true, 0, 0, root_causes, NULL },
	{ NULL, 0, 0, 0, 0, NULL, NULL }
};

static int
op_complaint_resolve(struct op_ctx *x)
{
	struct complaint	c;
	int64_t			id;

	if (complaint_id(x, &id) == -1 || complaint_resolve(x->x_branch, &x->x_actor, id,
	    arg_str(x, "resolution"), (enum root_cause)arg_enum(x, "root_cause", root_causes),
	    &c, &x->x_err) == -1)
		return -1;
	return reply_complaint(x, &c);
}

const struct op_entry op_complaint_resolve_entry = {
	.op_name = "complaint.resolve", .op_roles = R_TELLER | R_LOBBY | R_SUPERVISOR,
	.op_fields = resolve_fields, .op_exec = op_complaint_resolve,
};

/* ---- followup.record ---- */

static const struct field_spec followup_fields[] = {
	{ "outcome", FT_ENUM, true, 0, 0, followup_outcomes, NULL },
	{ "note", FT_STRING, true, 1, COMPLAINT_TEXT_MAX, NULL, NULL },
	{ NULL, 0, 0, 0, 0, NULL, NULL }
};

static int
op_followup_record(struct op_ctx *x)
{
	struct complaint	c;
	int64_t			id;
	int			outcome = arg_enum(x, "outcome", followup_outcomes);

	if (complaint_id(x, &id) == -1 || followup_record(x->x_branch, &x->x_actor, id,
	    (enum complaint_step)(STEP_FOLLOWUP_SATISFIED + outcome), arg_str(x, "note"), &c,
	    &x->x_err) == -1)
		return -1;
	return reply_complaint(x, &c);
}

const struct op_entry op_followup_record_entry = {
	.op_name = "followup.record", .op_roles = R_TELLER | R_LOBBY | R_SUPERVISOR,
	.op_fields = followup_fields, .op_exec = op_followup_record,
};

/* ---- survey.submit ---- */

static const struct field_spec survey_fields[] = {
	{ "ticket", FT_NUMBER, true, 0, 0, NULL, NULL },
	{ "score", FT_INT, true, 0, 10, NULL, NULL },
	{ "reason", FT_STRING, false, 0, COMPLAINT_TEXT_MAX, NULL, NULL },
	{ "request_key", FT_STRING, false, 1, REQUEST_KEY_MAX, NULL, NULL },
	{ NULL, 0, 0, 0, 0, NULL, NULL }
};

/* The answer, and the complaint a detractor opened (NULL: none). */
static int
reply_survey(struct op_ctx *x, const struct complaint *opened)
{
	cJSON	*s = cJSON_AddObjectToObject(x->x_reply, "survey");
	int	 score = (int)arg_int(x, "score", 0);

	cJSON_AddStringToObject(s, "ticket", arg_str(x, "ticket"));
	cJSON_AddNumberToObject(s, "score", score);
	cJSON_AddBoolToObject(s, "detractor", nps_class(score) == NPS_DETRACTOR);
	cJSON_AddItemToObject(x->x_reply, "complaint", opened != NULL ?
	    json_complaint(opened, false) : cJSON_CreateNull());
	return 0;
}

static int
op_survey_submit(struct op_ctx *x)
{
	struct complaint	 c;
	bool			 detractor;

	if (survey_submit(x->x_branch, &x->x_actor, arg_str(x, "ticket"),
	    (int)arg_int(x, "score", 0), arg_str(x, "reason"), x->x_key, &c, &detractor,
	    &x->x_err) == -1)
		return -1;
	return reply_survey(x, detractor ? &c : NULL);
}

/* A retry: its fields are the first request's (the key's fingerprint). */
static int
op_survey_submit_replay(struct op_ctx *x, const struct request_key_row *row)
{
	struct complaint	c;

	if (row->kr_complaint_id != 0 &&
	    complaint_find(x->x_branch, row->kr_complaint_id, &c, &x->x_err) == -1)
		return -1;
	return reply_survey(x, row->kr_complaint_id != 0 ? &c : NULL);
}

const struct op_entry op_survey_submit_entry = {
	.op_name = "survey.submit", .op_roles = R_KIOSK | R_LOBBY | R_SUPERVISOR,
	.op_fields = survey_fields, .op_exec = op_survey_submit,
	.op_replay = op_survey_submit_replay,
};
