/*
 * Webhook deliveries for the supervisor: what is pending or failed, with
 * its attempts and last error, and a way to send a failed one again.
 */
#include <stdio.h>

#include <cJSON.h>

#include "branchq.h"

#define DELIVERIES_DEFAULT_LIMIT	100

/* "undelivered" (the default) is pending and failed together. */
static const char *const list_states[] = {
	"pending", "delivered", "failed", "undelivered", "all", NULL
};

static cJSON *
json_delivery(const struct delivery *dv)
{
	cJSON	*o = cJSON_CreateObject();

	cJSON_AddNumberToObject(o, "delivery", (double)dv->dv_id);
	cJSON_AddStringToObject(o, "key", dv->dv_key);
	cJSON_AddStringToObject(o, "event", dv->dv_event);
	cJSON_AddStringToObject(o, "receiver", dv->dv_receiver);
	cJSON_AddStringToObject(o, "state", delivery_state_names[dv->dv_state]);
	cJSON_AddNumberToObject(o, "attempts", dv->dv_attempts);
	cJSON_AddItemToObject(o, "created_at", json_time(dv->dv_created_at));
	cJSON_AddItemToObject(o, "next_attempt_at",
	    json_time(dv->dv_state == DS_PENDING ? dv->dv_next_at : 0));
	cJSON_AddItemToObject(o, "last_attempt_at", json_time(dv->dv_last_attempt_at));
	if (dv->dv_last_status != 0)
		cJSON_AddNumberToObject(o, "last_status", dv->dv_last_status);
	else
		cJSON_AddNullToObject(o, "last_status");
	if (dv->dv_last_error[0] != '\0')
		cJSON_AddStringToObject(o, "last_error", dv->dv_last_error);
	else
		cJSON_AddNullToObject(o, "last_error");
	cJSON_AddItemToObject(o, "delivered_at", json_time(dv->dv_delivered_at));
	return o;
}

static void
add_delivery(const struct delivery *dv, void *arg)
{
	cJSON_AddItemToArray(arg, json_delivery(dv));
}

static int
op_webhook_deliveries(struct op_ctx *x)
{
	static const unsigned	masks[] = {
		1u << DS_PENDING, 1u << DS_DELIVERED, 1u << DS_FAILED,
		(1u << DS_PENDING) | (1u << DS_FAILED),
		(1u << DS_PENDING) | (1u << DS_DELIVERED) | (1u << DS_FAILED)
	};
	struct store	*s = x->x_branch->b_store;
	int64_t		 counts[DS__COUNT], limit;
	cJSON		*list, *c;
	int		 state, i;

	if ((state = arg_enum(x, "state", list_states)) < 0)
		state = 3;	/* undelivered */
	limit = arg_int(x, "limit", DELIVERIES_DEFAULT_LIMIT);
	cJSON_AddStringToObject(x->x_reply, "state", list_states[state]);
	c = cJSON_AddObjectToObject(x->x_reply, "counts");
	list = cJSON_AddArrayToObject(x->x_reply, "deliveries");
	if (store_delivery_counts(s, counts) == -1 ||
	    store_deliveries_list(s, masks[state], limit, add_delivery, list) == -1)
		return bq_fail(&x->x_err, ERR_UNAVAILABLE, "the database cannot be read (%s)",
		    store_errmsg(s));
	for (i = 0; i < DS__COUNT; i++)
		cJSON_AddNumberToObject(c, delivery_state_names[i], (double)counts[i]);
	return 0;
}

static const struct field_spec deliveries_fields[] = {
	{ "state", FT_ENUM, false, 0, 0, list_states, NULL },
	{ "limit", FT_INT, false, 1, 1000, NULL, NULL },
	{ NULL, 0, 0, 0, 0, NULL, NULL }
};
const struct op_entry op_webhook_deliveries_entry = {
	.op_name = "webhook.deliveries", .op_roles = R_SUPERVISOR,
	.op_fields = deliveries_fields, .op_exec = op_webhook_deliveries,
};

static int
op_webhook_retry(struct op_ctx *x)
{
	struct delivery	dv;

	if (webhook_retry(x->x_branch, arg_int(x, "delivery", 0), &dv, &x->x_err) == -1)
		return -1;
	cJSON_AddItemToObject(x->x_reply, "delivery", json_delivery(&dv));
	return 0;
}

static const struct field_spec retry_fields[] = {
	{ "delivery", FT_INT, true, 1, INT64_MAX, NULL, NULL },
	{ NULL, 0, 0, 0, 0, NULL, NULL }
};
const struct op_entry op_webhook_retry_entry = {
	.op_name = "webhook.retry", .op_roles = R_SUPERVISOR,
	.op_fields = retry_fields, .op_exec = op_webhook_retry,
};
