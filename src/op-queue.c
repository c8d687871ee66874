/* The queue as a whole: the snapshot and the self-service switch. */
#include <cJSON.h>

#include "branchq.h"

static int
op_queue_snapshot(struct op_ctx *x)
{
	struct branch	*b = x->x_branch;
	struct hq_status hq;
	cJSON		*windows, *o;
	int		 i;

	cJSON_AddItemToObject(x->x_reply, "now", json_time(clock_now()));
	cJSON_AddBoolToObject(x->x_reply, "self_service_available", b->b_self_service_available);
	cJSON_AddItemToObject(x->x_reply, "lanes", json_lanes(&b->b_queue, clock_now()));
	windows = cJSON_AddArrayToObject(x->x_reply, "windows");
	for (i = 1; i <= BQ_MAX_WINDOW; i++)
		if (b->b_queue.q_windows[i].w_open)
			cJSON_AddItemToArray(windows, json_window(&b->b_queue,
			    &b->b_queue.q_windows[i]));
	/* HEADOFFICE: a supervisor sees how far head office is behind; no
	 * "hq" without one configured. */
	if (x->x_session->s_term != NULL && x->x_session->s_term->tc_role == ROLE_SUPERVISOR) {
		hq_relay_status(b->b_hq, &hq);
		if (hq.hst_shipping) {
			o = cJSON_AddObjectToObject(x->x_reply, "hq");
			cJSON_AddNumberToObject(o, "backlog", (double)hq.hst_backlog);
			cJSON_AddNumberToObject(o, "lag_s", (double)hq.hst_lag_s);
			cJSON_AddBoolToObject(o, "connected", hq.hst_connected);
		}
	}
	return 0;
}

const struct op_entry op_queue_snapshot_entry = {
	.op_name = "queue.snapshot",
	.op_roles = R_KIOSK | R_DISPLAY | R_TELLER | R_LOBBY | R_SUPERVISOR,
	.op_exec = op_queue_snapshot,
};

static int
op_selfservice_set(struct op_ctx *x)
{
	bool	available = arg_bool(x, "available", true);

	if (selfservice_set(x->x_branch, &x->x_actor, available, &x->x_err) == -1)
		return -1;
	cJSON_AddBoolToObject(x->x_reply, "available", available);
	return 0;
}

static const struct field_spec selfservice_fields[] = {
	{ "available", FT_BOOL, true, 0, 0, NULL, NULL },
	{ NULL, 0, 0, 0, 0, NULL, NULL }
};
const struct op_entry op_selfservice_set_entry = {
	.op_name = "selfservice.set", .op_roles = R_LOBBY | R_SUPERVISOR,
	.op_fields = selfservice_fields, .op_exec = op_selfservice_set,
};
