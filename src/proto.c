/*
 * The terminal protocol: one JSON request line in, one reply line out.
 *
 * Every check that is the same for all operations happens here, once, from
 * the op table: JSON, "id", "op", authentication, the role, and each field's
 * type and range.  A handler receives a request that is well formed and
 * only decides what the operation means.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>

#include "branchq.h"

const char *const topic_names[] = { "calls", "queue", "followups", NULL };

static const struct op_entry *const op_table[] = {
	&op_hello_entry,
	&op_ping_entry,
	&op_subscribe_entry,
	&op_clock_advance_entry,
	&op_ticket_issue_entry,
	&op_ticket_status_entry,
	&op_ticket_reroute_entry,
	&op_ticket_cancel_entry,
	&op_ticket_call_next_entry,
	&op_ticket_recall_entry,
	&op_ticket_no_show_entry,
	&op_ticket_start_entry,
	&op_ticket_complete_entry,
	&op_ticket_transfer_entry,
	&op_window_open_entry,
	&op_window_close_entry,
	&op_window_pause_entry,
	&op_window_resume_entry,
	&op_queue_snapshot_entry,
	&op_selfservice_set_entry,
	&op_complaint_log_entry,
	&op_complaint_get_entry,
	&op_complaint_action_entry,
	&op_complaint_reassign_entry,
	&op_complaint_resolve_entry,
	&op_followup_record_entry,
	&op_survey_submit_entry,
	&op_report_followups_entry,
	&op_report_summary_entry,
	&op_webhook_deliveries_entry,
	&op_webhook_retry_entry,
};

static const struct op_entry *
op_find(const char *name)
{
	size_t	i;

	for (i = 0; i < sizeof op_table / sizeof op_table[0]; i++) {
		if (strcmp(op_table[i]->op_name, name) != 0)
			continue;
		if ((op_table[i]->op_flags & OP_TEST_CLOCK) && !clock_is_test())
			return NULL;
		return op_table[i];
	}
	return NULL;
}

/* ---- field validation ---- */

static int	check_fields(const cJSON *, const struct field_spec *, const char *prefix,
		    struct bq_error *);

static void
values_list(const char *const *values, char *buf, size_t len)
{
	size_t	i;

	buf[0] = '\0';
	for (i = 0; values[i] != NULL; i++) {
		if (i > 0)
			strncat(buf, ", ", len - strlen(buf) - 1);
		strncat(buf, values[i], len - strlen(buf) - 1);
	}
}

static int
value_index(const char *const *values, const char *v)
{
	int	i;

	for (i = 0; values[i] != NULL; i++)
		if (strcmp(values[i], v) == 0)
			return i;
	return -1;
}

/* A JSON number that is a whole number in [min, max]. */
static bool
is_int_in(const cJSON *item, int64_t min, int64_t max)
{
	double	d;

	if (!cJSON_IsNumber(item))
		return false;
	d = item->valuedouble;
	return isfinite(d) && d == floor(d) && d >= (double)min && d <= (double)max;
}

/* PROTOCOL limits text in characters: count UTF-8 lead bytes. */
static size_t
utf8_chars(const char *s)
{
	size_t	n = 0;

	for (; *s != '\0'; s++)
		n += ((unsigned char)*s & 0xc0) != 0x80;
	return n;
}

static bool
is_ticket_number(const char *s)
{
	size_t	i, n = strlen(s);

	if (n < 4 || n > 10 || strchr("SEAV", s[0]) == NULL || s[0] == '\0')
		return false;
	for (i = 1; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return true;
}

static int
check_list(const cJSON *item, const struct field_spec *fs, const char *name,
    struct bq_error *err)
{
	const cJSON	*el;
	char		 values[256];
	unsigned	 seen = 0;
	int		 i, n = 0;

	values_list(fs->fs_values, values, sizeof values);
	if (!cJSON_IsArray(item))
		goto bad;
	cJSON_ArrayForEach(el, item) {
		if (!cJSON_IsString(el) || (i = value_index(fs->fs_values, el->valuestring)) < 0 ||
		    (seen & (1u << i)))
			goto bad;
		seen |= 1u << i;
		n++;
	}
	if (n < fs->fs_min || n > fs->fs_max)
		goto bad;
	return 0;
bad:
	return bq_fail(err, ERR_BAD_REQUEST,
	    "%s: must be an array of %lld to %lld distinct values from: %s", name,
	    (long long)fs->fs_min, (long long)fs->fs_max, values);
}

static int
check_field(const cJSON *item, const struct field_spec *fs, const char *name,
    struct bq_error *err)
{
	char	values[256];
	size_t	len;

	switch (fs->fs_type) {
	case FT_STRING:
		if (cJSON_IsString(item)) {
			len = utf8_chars(item->valuestring);
			if ((int64_t)len >= fs->fs_min && (int64_t)len <= fs->fs_max)
				return 0;
		}
		return bq_fail(err, ERR_BAD_REQUEST,
		    "%s: must be a string of %lld to %lld characters", name,
		    (long long)fs->fs_min, (long long)fs->fs_max);
	case FT_INT:
		if (is_int_in(item, fs->fs_min, fs->fs_max))
			return 0;
		return bq_fail(err, ERR_BAD_REQUEST, "%s: must be an integer from %lld to %lld",
		    name, (long long)fs->fs_min, (long long)fs->fs_max);
	case FT_BOOL:
		if (cJSON_IsBool(item))
			return 0;
		return bq_fail(err, ERR_BAD_REQUEST, "%s: must be true or false", name);
	case FT_ENUM:
		if (cJSON_IsString(item) && value_index(fs->fs_values, item->valuestring) >= 0)
			return 0;
		values_list(fs->fs_values, values, sizeof values);
		return bq_fail(err, ERR_BAD_REQUEST, "%s: must be one of %s", name, values);
	case FT_ENUM_LIST:
	case FT_TOPIC_LIST:
		return check_list(item, fs, name, err);
	case FT_NUMBER:
		if (cJSON_IsString(item) && is_ticket_number(item->valuestring))
			return 0;
		return bq_fail(err, ERR_BAD_REQUEST,
		    "%s: must be a ticket number: a lane letter (S, E, A, V) and 3 to 9 digits, "
		    "such as A012", name);
	case FT_OBJECT:
		if (!cJSON_IsObject(item))
			return bq_fail(err, ERR_BAD_REQUEST, "%s: must be an object", name);
		return check_fields(item, fs->fs_fields, name, err);
	}
	fatalx("check_field: field type %d", fs->fs_type);
}

static const struct field_spec *
spec_find(const struct field_spec *fields, const char *name)
{
	for (; fields != NULL && fields->fs_name != NULL; fields++)
		if (strcmp(fields->fs_name, name) == 0)
			return fields;
	return NULL;
}

/*
 * Top-level unknown keys are ignored (terminals may send more than we
 * know); inside an object field they are refused, so that a misspelt flag
 * is not silently dropped.
 */
static int
check_fields(const cJSON *obj, const struct field_spec *fields, const char *prefix,
    struct bq_error *err)
{
	const struct field_spec	*fs;
	const cJSON		*item;
	char			 name[128];

	if (prefix != NULL) {
		cJSON_ArrayForEach(item, obj) {
			if (spec_find(fields, item->string) == NULL)
				return bq_fail(err, ERR_BAD_REQUEST, "%s.%.64s: unknown field",
				    prefix, item->string);
		}
	}
	for (fs = fields; fs != NULL && fs->fs_name != NULL; fs++) {
		if (prefix != NULL)
			snprintf(name, sizeof name, "%s.%s", prefix, fs->fs_name);
		else
			snprintf(name, sizeof name, "%s", fs->fs_name);
		item = cJSON_GetObjectItemCaseSensitive(obj, fs->fs_name);
		if (item == NULL || cJSON_IsNull(item)) {
			if (fs->fs_required)
				return bq_fail(err, ERR_BAD_REQUEST, "%s: is required", name);
			continue;
		}
		if (check_field(item, fs, name, err) == -1)
			return -1;
	}
	return 0;
}

/* ---- argument access for handlers ---- */

const cJSON *
arg_item(const struct op_ctx *x, const char *name)
{
	const cJSON	*item = cJSON_GetObjectItemCaseSensitive(x->x_req, name);

	return cJSON_IsNull(item) ? NULL : item;
}

const char *
arg_str(const struct op_ctx *x, const char *name)
{
	const cJSON	*item = arg_item(x, name);

	return cJSON_IsString(item) ? item->valuestring : NULL;
}

int64_t
arg_int(const struct op_ctx *x, const char *name, int64_t absent)
{
	const cJSON	*item = arg_item(x, name);

	return cJSON_IsNumber(item) ? (int64_t)item->valuedouble : absent;
}

bool
arg_bool(const struct op_ctx *x, const char *name, bool absent)
{
	const cJSON	*item = arg_item(x, name);

	return cJSON_IsBool(item) ? cJSON_IsTrue(item) : absent;
}

int
arg_enum(const struct op_ctx *x, const char *name, const char *const *values)
{
	const char	*v = arg_str(x, name);

	return v != NULL ? value_index(values, v) : -1;
}

/* ---- replies ---- */

static cJSON *
reply_new(const cJSON *id, bool ok)
{
	cJSON	*r = cJSON_CreateObject();

	if (r == NULL)
		fatalx("cJSON_CreateObject: out of memory");
	if (id != NULL)
		cJSON_AddItemToObject(r, "id", cJSON_Duplicate(id, true));
	cJSON_AddBoolToObject(r, "ok", ok);
	return r;
}

char *
json_print_free(cJSON *r)
{
	char	*line = cJSON_PrintUnformatted(r);

	if (line == NULL)
		fatalx("cJSON_PrintUnformatted: out of memory");
	cJSON_Delete(r);
	return line;
}

static char *
error_reply(const cJSON *id, enum err_code code, const char *message)
{
	cJSON	*r = reply_new(id, false), *e = cJSON_AddObjectToObject(r, "error");

	cJSON_AddStringToObject(e, "code", err_code_name(code));
	cJSON_AddStringToObject(e, "message", message);
	return json_print_free(r);
}

char *
proto_error_line(enum err_code code, const char *message)
{
	return error_reply(NULL, code, message);
}

void
proto_deliver(uint64_t conn_id, cJSON *reply, enum err_code code, const char *message)
{
	char	*line;

	if (code != ERR_NONE) {
		line = error_reply(cJSON_GetObjectItemCaseSensitive(reply, "id"), code, message);
		cJSON_Delete(reply);
	} else
		line = json_print_free(reply);
	server_deliver(conn_id, line);
	free(line);
}

static bool
role_allowed(const struct op_entry *op, enum role role)
{
	return (op->op_flags & OP_ANYONE) || (op->op_roles & ROLE_BIT(role));
}

char *
proto_handle(struct branch *b, struct session *s, const char *line, size_t len)
{
	const struct op_entry	*op;
	const cJSON		*id, *opname;
	struct op_ctx		 x;
	cJSON			*req;
	const char		*end = NULL;
	char			*reply;

	req = cJSON_ParseWithLengthOpts(line, len, &end, false);
	if (req == NULL)
		return error_reply(NULL, ERR_BAD_JSON, "the line is not valid JSON");
	while (end < line + len && (*end == ' ' || *end == '\t' || *end == '\r'))
		end++;
	if (end != line + len) {
		cJSON_Delete(req);
		return error_reply(NULL, ERR_BAD_JSON, "one JSON object per line: text follows it");
	}
	if (!cJSON_IsObject(req)) {
		cJSON_Delete(req);
		return error_reply(NULL, ERR_BAD_JSON, "a request must be a JSON object");
	}
	id = cJSON_GetObjectItemCaseSensitive(req, "id");
	if (id != NULL && (cJSON_IsObject(id) || cJSON_IsArray(id))) {
		cJSON_Delete(req);
		return error_reply(NULL, ERR_BAD_REQUEST, "id: must be a string, number, boolean or null");
	}

	memset(&x, 0, sizeof x);
	opname = cJSON_GetObjectItemCaseSensitive(req, "op");
	if (!cJSON_IsString(opname))
		bq_fail(&x.x_err, ERR_BAD_REQUEST, "op: is required and must be a string");
	else if ((op = op_find(opname->valuestring)) == NULL)
		bq_fail(&x.x_err, ERR_UNKNOWN_OP, "op: unknown operation \"%.64s\"",
		    opname->valuestring);
	else if (s->s_term == NULL && !(op->op_flags & OP_ANYONE))
		bq_fail(&x.x_err, ERR_UNAUTHENTICATED, "say hello first");
	else if (s->s_term != NULL && !role_allowed(op, s->s_term->tc_role))
		bq_fail(&x.x_err, ERR_FORBIDDEN, "a %s terminal may not use %s",
		    role_name(s->s_term->tc_role), op->op_name);
	else if (check_fields(req, op->op_fields, NULL, &x.x_err) == 0) {
		x.x_branch = b;
		x.x_session = s;
		x.x_req = req;
		x.x_reply = reply_new(id, true);
		if (s->s_term != NULL) {
			x.x_actor.a_terminal = s->s_term->tc_id;
			x.x_actor.a_role = s->s_term->tc_role;
			x.x_actor.a_staff = s->s_term->tc_staff;
		}
		switch (op->op_exec(&x)) {
		case 0:
			reply = json_print_free(x.x_reply);
			cJSON_Delete(req);
			return reply;
		case OP_LATER:
			cJSON_Delete(req);	/* the handler keeps x_reply */
			return NULL;
		}
		cJSON_Delete(x.x_reply);
	}
	reply = error_reply(id, x.x_err.e_code, x.x_err.e_msg);
	cJSON_Delete(req);
	return reply;
}

/* ---- encoders ---- */

cJSON *
json_time(int64_t at)
{
	char	buf[BQ_TIME_LEN];

	if (at == 0)
		return cJSON_CreateNull();
	time_format(at, buf);
	return cJSON_CreateString(buf);
}

static cJSON *
json_int_or_null(bool present, int64_t v)
{
	return present ? cJSON_CreateNumber((double)v) : cJSON_CreateNull();
}

cJSON *
json_ticket(struct branch *b, const struct ticket *t)
{
	cJSON		*o = cJSON_CreateObject(), *f;
	const char	*acc = accessibility_name(t->t_flags.tf_accessibility);
	size_t		 pos = queue_position(&b->b_queue, t);

	cJSON_AddStringToObject(o, "number", t->t_number);
	cJSON_AddStringToObject(o, "lane", lane_name(t->t_lane));
	cJSON_AddStringToObject(o, "route_rule", route_rule_name(t->t_rule));
	cJSON_AddStringToObject(o, "status", ticket_status_name(t->t_status));
	cJSON_AddItemToObject(o, "position", json_int_or_null(pos > 0, (int64_t)pos));
	cJSON_AddItemToObject(o, "estimated_wait_s", json_int_or_null(pos > 0,
	    queue_estimate_wait(&b->b_queue, t)));
	cJSON_AddItemToObject(o, "issued_at", json_time(t->t_issued_at));
	cJSON_AddStringToObject(o, "service", service_name(t->t_service));
	cJSON_AddItemToObject(o, "amount_fen", json_int_or_null(t->t_amount_fen != 0,
	    t->t_amount_fen));
	f = cJSON_AddObjectToObject(o, "flags");
	cJSON_AddBoolToObject(f, "loose_cash", t->t_flags.tf_loose_cash);
	cJSON_AddBoolToObject(f, "vip", t->t_flags.tf_vip);
	cJSON_AddBoolToObject(f, "needs_assistance", t->t_flags.tf_needs_assistance);
	cJSON_AddItemToObject(f, "accessibility", acc != NULL ? cJSON_CreateString(acc) :
	    cJSON_CreateNull());
	cJSON_AddBoolToObject(o, "priority", t->t_priority);
	cJSON_AddItemToObject(o, "window", json_int_or_null(t->t_window != 0, t->t_window));
	cJSON_AddNumberToObject(o, "recalls", t->t_recalls);
	cJSON_AddItemToObject(o, "called_at", json_time(t->t_called_at));
	cJSON_AddItemToObject(o, "started_at", json_time(t->t_started_at));
	cJSON_AddItemToObject(o, "finished_at", json_time(t->t_finished_at));
	return o;
}

cJSON *
json_window(struct branch *b, const struct window *w)
{
	cJSON	*o = cJSON_CreateObject(), *lanes;
	int	 i;

	cJSON_AddNumberToObject(o, "window", w->w_no);
	cJSON_AddStringToObject(o, "state", !w->w_open ? "closed" : w->w_paused ? "paused" : "open");
	if (w->w_open) {
		cJSON_AddStringToObject(o, "terminal", w->w_terminal);
		cJSON_AddStringToObject(o, "staff", w->w_staff);
	} else {
		cJSON_AddNullToObject(o, "terminal");
		cJSON_AddNullToObject(o, "staff");
	}
	lanes = cJSON_AddArrayToObject(o, "lanes");
	for (i = 0; i < w->w_nlanes; i++)
		cJSON_AddItemToArray(lanes, cJSON_CreateString(lane_name(w->w_lanes[i])));
	cJSON_AddBoolToObject(o, "accessible", w->w_accessible);
	cJSON_AddItemToObject(o, "current", w->w_current != NULL ?
	    json_ticket(b, w->w_current) : cJSON_CreateNull());
	cJSON_AddItemToObject(o, "opened_at", json_time(w->w_open ? w->w_opened_at : 0));
	return o;
}

cJSON *
json_lanes(struct branch *b)
{
	cJSON	*o = cJSON_CreateObject(), *l;
	int64_t	 oldest, now = clock_now();
	int	 lane;

	for (lane = 0; lane < LANE__COUNT; lane++) {
		l = cJSON_AddObjectToObject(o, lane_name((enum lane)lane));
		oldest = queue_oldest_issued_at(&b->b_queue, (enum lane)lane);
		cJSON_AddNumberToObject(l, "waiting",
		    (double)queue_waiting(&b->b_queue, (enum lane)lane));
		cJSON_AddItemToObject(l, "oldest_wait_s", json_int_or_null(oldest != 0,
		    oldest != 0 && now > oldest ? now - oldest : 0));
		cJSON_AddNumberToObject(l, "open_windows",
		    queue_open_windows(&b->b_queue, (enum lane)lane));
	}
	return o;
}

static cJSON *
json_str_or_null(const char *s)
{
	return s != NULL && *s != '\0' ? cJSON_CreateString(s) : cJSON_CreateNull();
}

/* DOMAIN §5: reports mask the customer; the owner's own view does not. */
cJSON *
json_complaint(const struct complaint *c, bool masked)
{
	cJSON	*o = cJSON_CreateObject(), *cust;
	char	 buf[128];

	cJSON_AddNumberToObject(o, "id", (double)c->c_id);
	cJSON_AddStringToObject(o, "state", complaint_state_name(c->c_state));
	cJSON_AddBoolToObject(o, "overdue", c->c_overdue);
	cJSON_AddStringToObject(o, "owner", c->c_owner);
	cJSON_AddStringToObject(o, "first_responder", c->c_first_responder);
	cJSON_AddStringToObject(o, "category", complaint_categories[c->c_category]);
	cJSON_AddNumberToObject(o, "severity", c->c_severity);
	cJSON_AddStringToObject(o, "channel", c->c_channel);
	cJSON_AddStringToObject(o, "description", c->c_description);
	cJSON_AddItemToObject(o, "logged_at", json_time(c->c_logged_at));
	cJSON_AddItemToObject(o, "follow_up_due", json_time(c->c_follow_up_due));
	if (*c->c_ticket_number != '\0')
		cJSON_AddStringToObject(o, "ticket", c->c_ticket_number);
	if (*c->c_customer_name != '\0' || *c->c_customer_phone != '\0') {
		cust = cJSON_AddObjectToObject(o, "customer");
		if (masked) {
			mask_name(c->c_customer_name, buf, sizeof buf);
			cJSON_AddItemToObject(cust, "name", json_str_or_null(buf));
			mask_phone(c->c_customer_phone, buf, sizeof buf);
			cJSON_AddItemToObject(cust, "phone", json_str_or_null(buf));
		} else {
			cJSON_AddItemToObject(cust, "name", json_str_or_null(c->c_customer_name));
			cJSON_AddItemToObject(cust, "phone", json_str_or_null(c->c_customer_phone));
		}
	}
	cJSON_AddItemToObject(o, "resolution", json_str_or_null(c->c_resolution));
	cJSON_AddItemToObject(o, "root_cause", json_str_or_null(c->c_root_cause >= 0 ?
	    root_causes[c->c_root_cause] : NULL));
	cJSON_AddItemToObject(o, "resolved_at", json_time(c->c_resolved_at));
	cJSON_AddItemToObject(o, "closed_at", json_time(c->c_closed_at));
	cJSON_AddNumberToObject(o, "compensation_fen", (double)c->c_compensation_fen);
	return o;
}
