/*
 * The shared name lists (include/names.h): the daemon and the client both
 * link this file, so a name is spelt in one place only.
 */
#include <stddef.h>

#include "names.h"

#ifndef nitems
#define nitems(a)	(sizeof (a) / sizeof (a)[0])
#endif

const char *const lane_names[] = {
	[LANE_SELF_SERVICE] = "self_service",
	[LANE_EXPRESS] = "express",
	[LANE_COUNTER] = "counter",
	[LANE_VIP] = "vip",
	[LANE__COUNT] = NULL
};

const char *const service_names[] = {
	[SERVICE_CASH_WITHDRAWAL] = "cash_withdrawal",
	[SERVICE_CASH_DEPOSIT] = "cash_deposit",
	[SERVICE_TRANSFER] = "transfer",
	[SERVICE_ACCOUNT_OPENING] = "account_opening",
	[SERVICE_CARD_SERVICES] = "card_services",
	[SERVICE_LOAN] = "loan",
	[SERVICE_WEALTH_MANAGEMENT] = "wealth_management",
	[SERVICE_FOREIGN_EXCHANGE] = "foreign_exchange",
	[SERVICE_OTHER] = "other",
	[SERVICE__COUNT] = NULL
};

/* No "none": on the wire no accessibility need is null, not a name. */
const char *const accessibility_names[] = {
	[ACCESS_WHEELCHAIR - 1] = "wheelchair",
	[ACCESS_SIGN_LANGUAGE - 1] = "sign_language",
	[ACCESS_VISUAL - 1] = "visual",
	[ACCESS_OTHER - 1] = "other",
	[ACCESS__COUNT - 1] = NULL
};

const char *const reroute_reasons[] = {
	"customer_declined", "machine_unavailable", "machine_failed",
	"loose_cash", "needs_assistance", "other", NULL
};

const char *const topic_names[] = {
	[TOPIC_CALLS] = "calls",
	[TOPIC_QUEUE] = "queue",
	[TOPIC_FOLLOWUPS] = "followups",
	[TOPIC__COUNT] = NULL
};

/* A new enum value without a name would be a NULL in the middle of a table. */
_Static_assert(nitems(lane_names) == LANE__COUNT + 1, "lane_names");
_Static_assert(nitems(service_names) == SERVICE__COUNT + 1, "service_names");
_Static_assert(nitems(accessibility_names) == ACCESS__COUNT,
    "accessibility_names");
_Static_assert(nitems(reroute_reasons) == REROUTE_REASON__COUNT + 1,
    "reroute_reasons");
_Static_assert(nitems(topic_names) == TOPIC__COUNT + 1, "topic_names");
