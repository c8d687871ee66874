/* Window operations on the wire. */
#include <string.h>

#include <cJSON.h>

#include "branchq.h"

static const char *const counter_lanes[] = { "express", "counter", "vip", NULL };

static int
reply_window(struct op_ctx *x, const struct window *w)
{
	cJSON_AddItemToObject(x->x_reply, "window", json_window(&x->x_branch->b_queue, w));
	return 0;
}

static int
op_window_open(struct op_ctx *x)
{
	const cJSON	*el;
	struct window	*w;
	enum lane	 lanes[LANE__COUNT];
	int		 n = 0;

	cJSON_ArrayForEach(el, arg_item(x, "lanes"))
		lanes[n++] = (enum lane)lane_from_name(el->valuestring);
	if (window_open(x->x_branch, &x->x_actor, (int)arg_int(x, "window", 0), lanes, n, &w,
	    &x->x_err) == -1)
		return -1;
	return reply_window(x, w);
}

static const struct field_spec open_fields[] = {
	{ "window", FT_INT, true, 1, BQ_MAX_WINDOW, NULL, NULL },
	{ "lanes", FT_ENUM_LIST, true, 1, 3, counter_lanes, NULL },
	{ NULL, 0, 0, 0, 0, NULL, NULL }
};
const struct op_entry op_window_open_entry = {
	.op_name = "window.open", .op_roles = R_TELLER | R_SUPERVISOR,
	.op_fields = open_fields, .op_exec = op_window_open,
};

static int
op_window_close(struct op_ctx *x)
{
	struct window	*w;

	if (window_close(x->x_branch, &x->x_actor, &w, &x->x_err) == -1)
		return -1;
	return reply_window(x, w);
}

static int
op_window_pause(struct op_ctx *x)
{
	struct window	*w;

	if (window_pause(x->x_branch, &x->x_actor, true, &w, &x->x_err) == -1)
		return -1;
	return reply_window(x, w);
}

static int
op_window_resume(struct op_ctx *x)
{
	struct window	*w;

	if (window_pause(x->x_branch, &x->x_actor, false, &w, &x->x_err) == -1)
		return -1;
	return reply_window(x, w);
}

const struct op_entry op_window_close_entry = {
	.op_name = "window.close", .op_roles = R_TELLER | R_SUPERVISOR,
	.op_exec = op_window_close,
};
const struct op_entry op_window_pause_entry = {
	.op_name = "window.pause", .op_roles = R_TELLER | R_SUPERVISOR,
	.op_exec = op_window_pause,
};
const struct op_entry op_window_resume_entry = {
	.op_name = "window.resume", .op_roles = R_TELLER | R_SUPERVISOR,
	.op_exec = op_window_resume,
};
