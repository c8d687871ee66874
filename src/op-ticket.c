/* Ticket operations on the wire: fields, then the domain call, then the reply. */
#include <string.h>

#include <cJSON.h>

#include "branchq.h"

static const char *const queue_lanes[] = { "express", "counter", "vip", NULL };

static int
reply_ticket(struct op_ctx *x, const struct ticket *t)
{
	cJSON_AddItemToObject(x->x_reply, "ticket", t != NULL ?
	    json_ticket(&x->x_branch->b_queue, t) : cJSON_CreateNull());
	return 0;
}

static const struct field_spec number_fields[] = {
	{ "number", FT_NUMBER, true, 0, 0, NULL, NULL },
	{ NULL, 0, 0, 0, 0, NULL, NULL }
};

/* ---- ticket.issue ---- */

static const struct field_spec issue_flag_fields[] = {
	{ "loose_cash", FT_BOOL, false, 0, 0, NULL, NULL },
	{ "vip", FT_BOOL, false, 0, 0, NULL, NULL },
	{ "needs_assistance", FT_BOOL, false, 0, 0, NULL, NULL },
	{ "accessibility", FT_ENUM, false, 0, 0, accessibility_names, NULL },
	{ NULL, 0, 0, 0, 0, NULL, NULL }
};
static const struct field_spec issue_fields[] = {
	{ "service", FT_ENUM, true, 0, 0, service_names, NULL },
	{ "amount_fen", FT_INT, false, 1, 1000000000000LL, NULL, NULL },
	{ "flags", FT_OBJECT, false, 0, 0, NULL, issue_flag_fields },
	{ "request_key", FT_STRING, false, 1, REQUEST_KEY_MAX, NULL, NULL },
	{ NULL, 0, 0, 0, 0, NULL, NULL }
};

static bool
flag(const cJSON *flags, const char *name)
{
	return cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(flags, name));
}

static void	print_receipt(struct op_ctx *, struct printer *, const struct ticket *);

static int
op_ticket_issue(struct op_ctx *x)
{
	struct issue_request	 ir;
	struct printer		*printer;
	struct ticket		*t;
	const cJSON		*flags = arg_item(x, "flags"), *acc;

	memset(&ir, 0, sizeof ir);
	ir.ir_key = x->x_key;
	ir.ir_service = (enum service)service_from_name(arg_str(x, "service"));
	ir.ir_amount_fen = arg_int(x, "amount_fen", 0);
	if (service_has_amount(ir.ir_service) && ir.ir_amount_fen == 0)
		return bq_fail(&x->x_err, ERR_BAD_REQUEST,
		    "amount_fen: is required for %s", service_name(ir.ir_service));
	ir.ir_flags.tf_loose_cash = flag(flags, "loose_cash");
	ir.ir_flags.tf_vip = flag(flags, "vip");
	ir.ir_flags.tf_needs_assistance = flag(flags, "needs_assistance");
	acc = cJSON_GetObjectItemCaseSensitive(flags, "accessibility");
	if (cJSON_IsString(acc))
		ir.ir_flags.tf_accessibility =
		    (enum accessibility)accessibility_from_name(acc->valuestring);
	/*
	 * PROTOCOL "Kiosk printers": whether the receipt can be queued is
	 * decided before the ticket is written, so that a request_key's row
	 * keeps the reply's "printed" with it; a ready printer takes the one
	 * receipt that follows.
	 */
	printer = printer_find(x->x_actor.a_terminal);
	ir.ir_printed = printer == NULL ? -1 : printer_ready(printer);
	if (ticket_issue(x->x_branch, &x->x_actor, &ir, &t, &x->x_err) == -1)
		return -1;
	if (ir.ir_printed > 0)
		print_receipt(x, printer, t);
	cJSON_AddItemToObject(x->x_reply, "ticket",
	    json_ticket_printed(&x->x_branch->b_queue, t, ir.ir_printed));
	return 0;
}

/* Held until the group commit that stores the ticket: a receipt tells of it. */
static void
print_receipt(struct op_ctx *x, struct printer *printer, const struct ticket *t)
{
	const struct queue	*q = &x->x_branch->b_queue;
	struct receipt		 rc;
	size_t			 pos = queue_position(q, t);

	memset(&rc, 0, sizeof rc);
	rc.rc_branch = x->x_branch->b_cfg->cf_branch;
	rc.rc_number = t->t_number;
	rc.rc_lane = t->t_lane;
	rc.rc_status = t->t_status;
	rc.rc_rule = t->t_rule;
	rc.rc_ahead = pos > 0 ? (long)pos - 1 : 0;
	rc.rc_wait_s = pos > 0 ? queue_estimate_wait(q, t) : 0;
	rc.rc_issued_at = t->t_issued_at;
	printer_print(printer, &rc, store_group_open(x->x_branch->b_store));
}

/* A retry: the ticket as it is now (a kiosk reprinting it wants its place now),
 * and whether the first request's receipt was queued ("printed"). */
static int
op_ticket_issue_replay(struct op_ctx *x, const struct request_key_row *row)
{
	struct ticket	*t = queue_find(&x->x_branch->b_queue, row->kr_ticket_date,
	    row->kr_ticket_number);

	if (t == NULL)
		return bq_fail(&x->x_err, ERR_INTERNAL, "request_key: ticket %s of %s is not "
		    "in memory", row->kr_ticket_number, row->kr_ticket_date);
	/* "printed" as the first reply said it; nothing is printed again. */
	cJSON_AddItemToObject(x->x_reply, "ticket",
	    json_ticket_printed(&x->x_branch->b_queue, t, row->kr_printed));
	return 0;
}

const struct op_entry op_ticket_issue_entry = {
	.op_name = "ticket.issue", .op_roles = R_KIOSK | R_LOBBY | R_SUPERVISOR,
	.op_fields = issue_fields, .op_exec = op_ticket_issue,
	.op_replay = op_ticket_issue_replay,
};

/* ---- ticket.status ---- */

static int
op_ticket_status(struct op_ctx *x)
{
	const char	*number = arg_str(x, "number");
	struct ticket	*t = ticket_lookup(x->x_branch, number);

	if (t == NULL)
		return bq_fail(&x->x_err, ERR_NOT_FOUND, "number: no ticket %s today", number);
	return reply_ticket(x, t);
}

const struct op_entry op_ticket_status_entry = {
	.op_name = "ticket.status", .op_roles = R_KIOSK | R_TELLER | R_LOBBY | R_SUPERVISOR,
	.op_fields = number_fields, .op_exec = op_ticket_status,
};

/* ---- ticket.reroute, ticket.cancel ---- */

static const struct field_spec reroute_fields[] = {
	{ "number", FT_NUMBER, true, 0, 0, NULL, NULL },
	{ "to_lane", FT_ENUM, true, 0, 0, queue_lanes, NULL },
	{ "reason", FT_ENUM, true, 0, 0, reroute_reasons, NULL },
	{ NULL, 0, 0, 0, 0, NULL, NULL }
};

static int
op_ticket_reroute(struct op_ctx *x)
{
	struct ticket	*t;

	if (ticket_reroute(x->x_branch, &x->x_actor, arg_str(x, "number"),
	    (enum lane)lane_from_name(arg_str(x, "to_lane")), arg_str(x, "reason"), &t,
	    &x->x_err) == -1)
		return -1;
	return reply_ticket(x, t);
}

const struct op_entry op_ticket_reroute_entry = {
	.op_name = "ticket.reroute", .op_roles = R_TELLER | R_LOBBY | R_SUPERVISOR,
	.op_fields = reroute_fields, .op_exec = op_ticket_reroute,
};

static int
op_ticket_cancel(struct op_ctx *x)
{
	struct ticket	*t;

	if (ticket_cancel(x->x_branch, &x->x_actor, arg_str(x, "number"), &t,
	    &x->x_err) == -1)
		return -1;
	return reply_ticket(x, t);
}

const struct op_entry op_ticket_cancel_entry = {
	.op_name = "ticket.cancel", .op_roles = R_TELLER | R_LOBBY | R_SUPERVISOR,
	.op_fields = number_fields, .op_exec = op_ticket_cancel,
};

/* ---- at the window ---- */

static int
op_ticket_call_next(struct op_ctx *x)
{
	struct ticket	*t;
	int		 window = 0;

	if (ticket_call_next(x->x_branch, &x->x_actor, &t, &window, &x->x_err) == -1)
		return -1;
	cJSON_AddNumberToObject(x->x_reply, "window", window);
	return reply_ticket(x, t);
}

const struct op_entry op_ticket_call_next_entry = {
	.op_name = "ticket.call_next", .op_roles = R_TELLER | R_SUPERVISOR,
	.op_exec = op_ticket_call_next,
};

static int
window_act(struct op_ctx *x, enum ticket_action action)
{
	struct ticket	*t;
	int		 to = lane_from_name(arg_str(x, "to_lane"));

	if (ticket_act(x->x_branch, &x->x_actor, action, arg_str(x, "number"),
	    (enum lane)(to < 0 ? LANE_SELF_SERVICE : to), &t, &x->x_err) == -1)
		return -1;
	return reply_ticket(x, t);
}

static int op_ticket_recall(struct op_ctx *x) { return window_act(x, TA_RECALL); }
static int op_ticket_no_show(struct op_ctx *x) { return window_act(x, TA_NO_SHOW); }
static int op_ticket_start(struct op_ctx *x) { return window_act(x, TA_START); }
static int op_ticket_complete(struct op_ctx *x) { return window_act(x, TA_COMPLETE); }
static int op_ticket_transfer(struct op_ctx *x) { return window_act(x, TA_TRANSFER); }

const struct op_entry op_ticket_recall_entry = {
	.op_name = "ticket.recall", .op_roles = R_TELLER | R_SUPERVISOR,
	.op_fields = number_fields, .op_exec = op_ticket_recall,
};
const struct op_entry op_ticket_no_show_entry = {
	.op_name = "ticket.no_show", .op_roles = R_TELLER | R_SUPERVISOR,
	.op_fields = number_fields, .op_exec = op_ticket_no_show,
};
const struct op_entry op_ticket_start_entry = {
	.op_name = "ticket.start", .op_roles = R_TELLER | R_SUPERVISOR,
	.op_fields = number_fields, .op_exec = op_ticket_start,
};
const struct op_entry op_ticket_complete_entry = {
	.op_name = "ticket.complete", .op_roles = R_TELLER | R_SUPERVISOR,
	.op_fields = number_fields, .op_exec = op_ticket_complete,
};

static const struct field_spec transfer_fields[] = {
	{ "number", FT_NUMBER, true, 0, 0, NULL, NULL },
	{ "to_lane", FT_ENUM, true, 0, 0, queue_lanes, NULL },
	{ NULL, 0, 0, 0, 0, NULL, NULL }
};
const struct op_entry op_ticket_transfer_entry = {
	.op_name = "ticket.transfer", .op_roles = R_TELLER | R_SUPERVISOR,
	.op_fields = transfer_fields, .op_exec = op_ticket_transfer,
};
