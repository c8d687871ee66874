/* Session operations: hello, ping, subscribe. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>

#include "branchq.h"

void
session_greet(struct session *s, const struct terminal_conf *tc)
{
	s->s_term = tc;
	subscriber_identify(&s->s_sub, tc->tc_role, tc->tc_staff);
}

static int
op_hello(struct op_ctx *x)
{
	const struct config		*cfg = x->x_branch->b_cfg;
	const struct terminal_conf	*tc;
	const char			*terminal = arg_str(x, "terminal");
	char				 date[BQ_DATE_LEN];
	bool				 ok;

	if ((tc = config_terminal(cfg, terminal)) != NULL)
		ok = token_matches(tc, arg_str(x, "token"));
	else {
		/* The same work for an unknown terminal: the time a refusal
		 * takes must not tell which terminal ids exist. */
		(void)token_matches(&cfg->cf_terminals[0], arg_str(x, "token"));
		ok = false;
	}
	/* proto.c logs the failure (event=auth_failure) and counts it. */
	if (!ok)
		return bq_fail(&x->x_err, ERR_UNAUTHENTICATED, "terminal or token not recognised");
	session_greet(x->x_session, tc);
	log_info("event=hello peer=%s terminal=%s role=%s staff=%s",
	    log_str(x->x_session->s_peer), tc->tc_id, role_name(tc->tc_role),
	    *tc->tc_staff != '\0' ? tc->tc_staff : "-");
	cJSON_AddStringToObject(x->x_reply, "role", role_name(tc->tc_role));
	if (*tc->tc_staff != '\0')
		cJSON_AddStringToObject(x->x_reply, "staff", tc->tc_staff);
	else
		cJSON_AddNullToObject(x->x_reply, "staff");
	cJSON_AddNumberToObject(x->x_reply, "proto", BQ_PROTO_VERSION);
	cJSON_AddStringToObject(x->x_reply, "terminal", tc->tc_id);
	cJSON_AddStringToObject(x->x_reply, "branch", cfg->cf_branch);
	/* PROTOCOL 1.1: a terminal shows local times and dates as the branch does. */
	cJSON_AddStringToObject(x->x_reply, "timezone", cfg->cf_timezone);
	business_date(clock_now(), date);
	cJSON_AddStringToObject(x->x_reply, "business_date", date);
	return 0;
}

static const struct field_spec hello_fields[] = {
	{ "terminal", FT_STRING, true, 1, BQ_ID_LEN, NULL, NULL },
	{ "token", FT_STRING, true, 1, 1024, NULL, NULL },
	{ NULL, 0, 0, 0, 0, NULL, NULL }
};
const struct op_entry op_hello_entry = {
	.op_name = "hello", .op_flags = OP_ANYONE, .op_fields = hello_fields,
	.op_exec = op_hello,
};

static int
op_ping(struct op_ctx *x)
{
	cJSON_AddItemToObject(x->x_reply, "now", json_time(clock_now()));
	return 0;
}

const struct op_entry op_ping_entry = {
	.op_name = "ping", .op_flags = OP_ANYONE, .op_exec = op_ping,
};

/*
 * PROTOCOL 1.1: `since` replays the events after it that the daemon holds
 * (publish.c), else "reset"; a display may not hear complaints at all.
 */
static int
op_subscribe(struct op_ctx *x)
{
	struct subscriber	*sb = &x->x_session->s_sub;
	const cJSON		*topics = arg_item(x, "topics"), *el;
	cJSON			*list;
	unsigned		 set = 0;
	int64_t			 since = arg_int(x, "since", -1), seq;
	bool			 reset;
	int			 i;

	cJSON_ArrayForEach(el, topics) {
		for (i = 0; topic_names[i] != NULL; i++)
			if (strcmp(topic_names[i], el->valuestring) == 0)
				set |= 1u << i;
	}
	/* Complaint details on a public screen: never (docs/SECURITY.md). */
	if ((set & (1u << TOPIC_FOLLOWUPS)) && x->x_actor.a_role == ROLE_DISPLAY)
		return bq_fail(&x->x_err, ERR_FORBIDDEN,
		    "topics: a display may not subscribe to followups");
	subscriber_set_topics(sb, set);
	list = cJSON_AddArrayToObject(x->x_reply, "topics");
	for (i = 0; topic_names[i] != NULL; i++)
		if (set & (1u << i))
			cJSON_AddItemToArray(list, cJSON_CreateString(topic_names[i]));
	/* The replay and the topics' state (the lanes, so that a display can
	 * draw them now) follow the reply as this session's own events. */
	seq = subscriber_start(sb, since, &reset);
	cJSON_AddNumberToObject(x->x_reply, "seq", (double)seq);
	if (since >= 0)
		cJSON_AddBoolToObject(x->x_reply, "reset", reset);
	return 0;
}

static const struct field_spec subscribe_fields[] = {
	{ "topics", FT_TOPIC_LIST, true, 0, TOPIC__COUNT, topic_names, NULL },
	{ "since", FT_INT, false, 0, 9007199254740991LL, NULL, NULL },
	{ NULL, 0, 0, 0, 0, NULL, NULL }
};
const struct op_entry op_subscribe_entry = {
	.op_name = "subscribe", .op_roles = R_DISPLAY | R_TELLER | R_LOBBY | R_SUPERVISOR,
	.op_fields = subscribe_fields, .op_exec = op_subscribe,
};
