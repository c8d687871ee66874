/*
 * The router: which lane a new ticket joins and the rule that sent it there
 * (DOMAIN §1).  Pure: a function of the request and a snapshot of the branch
 * passed in by the caller, so the unit tests can walk every boundary.  The
 * rule is stored with the ticket because the diversion rate is reported from
 * it (DOMAIN §1, "reported honestly").
 */
#include <string.h>

#include "branchq.h"

#ifndef nitems
#define nitems(a)	(sizeof (a) / sizeof (a)[0])
#endif

/* DOMAIN §2: the first character of every ticket number. */
static const char lane_letters[LANE__COUNT] = {
	[LANE_SELF_SERVICE] = 'S',
	[LANE_EXPRESS] = 'E',
	[LANE_COUNTER] = 'A',
	[LANE_VIP] = 'V'
};

static const char *const route_rule_names[] = {
	[RULE_CASH_WITHIN_THRESHOLD] = "cash_within_threshold",
	[RULE_TRANSFER_WITHIN_THRESHOLD] = "transfer_within_threshold",
	[RULE_LOOSE_CASH] = "loose_cash",
	[RULE_COUNTER_IDLE] = "counter_idle",
	[RULE_VIP] = "vip",
	[RULE_NEEDS_ASSISTANCE] = "needs_assistance",
	[RULE_ACCESSIBILITY] = "accessibility",
	[RULE_SELF_SERVICE_UNAVAILABLE] = "self_service_unavailable",
	[RULE_EXPRESS_CASH] = "express_cash",
	[RULE_OVER_THRESHOLD] = "over_threshold",
	[RULE_NOT_DIVERTIBLE] = "not_divertible",
	[RULE__COUNT] = NULL
};

/* A new enum value without a name would be a NULL in the middle of a table. */
_Static_assert(nitems(route_rule_names) == RULE__COUNT + 1, "route_rule_names");

static bool
is_cash(enum service service)
{
	return service == SERVICE_CASH_WITHDRAWAL ||
	    service == SERVICE_CASH_DEPOSIT;
}

bool
service_has_amount(enum service service)
{
	return is_cash(service) || service == SERVICE_TRANSFER;
}

/* DOMAIN §1: "以下" is inclusive, so the threshold itself is eligible. */
static bool
within_threshold(const struct route_request *req,
    const struct route_context *ctx)
{
	if (is_cash(req->rr_service))
		return req->rr_amount_fen <= ctx->rc_cash_threshold_fen;
	if (req->rr_service == SERVICE_TRANSFER)
		return req->rr_amount_fen <= ctx->rc_transfer_threshold_fen;
	return false;
}

/*
 * DOMAIN §1: the express lane takes cash jobs up to its limit, and only while
 * a window serves it.  The limit holds for loose-cash jobs too ("cash jobs
 * with loose notes up to that limit"), which matters only when a branch sets
 * its self-service threshold above the express limit.
 */
static bool
express_takes(const struct route_request *req, const struct route_context *ctx)
{
	return ctx->rc_express_open && is_cash(req->rr_service) &&
	    req->rr_amount_fen <= ctx->rc_express_cash_fen;
}

/* The exceptions that keep an eligible job away from the machines. */
static bool
exc_accessibility(const struct route_request *req,
    const struct route_context *ctx)
{
	(void)ctx;
	return req->rr_flags.tf_accessibility != ACCESS_NONE;
}

static bool
exc_needs_assistance(const struct route_request *req,
    const struct route_context *ctx)
{
	(void)ctx;
	return req->rr_flags.tf_needs_assistance;
}

static bool
exc_vip(const struct route_request *req, const struct route_context *ctx)
{
	(void)ctx;
	return req->rr_flags.tf_vip;
}

/* Machines cannot take loose notes; a transfer carries no notes at all. */
static bool
exc_loose_cash(const struct route_request *req, const struct route_context *ctx)
{
	(void)ctx;
	return req->rr_flags.tf_loose_cash && is_cash(req->rr_service);
}

static bool
exc_self_service_unavailable(const struct route_request *req,
    const struct route_context *ctx)
{
	(void)req;
	return !ctx->rc_self_service_available;
}

static bool
exc_counter_idle(const struct route_request *req,
    const struct route_context *ctx)
{
	(void)req;
	return ctx->rc_counter_idle;
}

/*
 * DOMAIN §1: when several exceptions apply, the stored rule is the first one
 * here.  The rank only names the rule; the lane and priority come from every
 * flag (see route_decide).
 */
static const struct route_exception {
	enum route_rule	  re_rule;
	bool		(*re_applies)(const struct route_request *,
			    const struct route_context *);
} route_exceptions[] = {
	{ RULE_ACCESSIBILITY,		 exc_accessibility },
	{ RULE_NEEDS_ASSISTANCE,	 exc_needs_assistance },
	{ RULE_VIP,			 exc_vip },
	{ RULE_LOOSE_CASH,		 exc_loose_cash },
	{ RULE_SELF_SERVICE_UNAVAILABLE, exc_self_service_unavailable },
	{ RULE_COUNTER_IDLE,		 exc_counter_idle },
};

struct route_decision
route_decide(const struct route_request *req, const struct route_context *ctx)
{
	const struct ticket_flags	*flags = &req->rr_flags;
	const struct route_exception	*re = NULL;
	struct route_decision		 rd;
	bool				 vip_lane;
	size_t				 i;

	memset(&rd, 0, sizeof rd);
	/* DOMAIN §2: these customers go first in whatever lane they join. */
	rd.rd_priority = flags->tf_accessibility != ACCESS_NONE ||
	    flags->tf_needs_assistance;
	/* By amount alone: the diversion rate counts eligible jobs as such. */
	rd.rd_eligible = within_threshold(req, ctx);
	/* DOMAIN §1: VIPs stay where the relationship is built, if it is open. */
	vip_lane = flags->tf_vip && ctx->rc_vip_open;

	if (!rd.rd_eligible) {
		if (vip_lane) {
			rd.rd_lane = LANE_VIP;
			rd.rd_rule = RULE_VIP;
		} else if (express_takes(req, ctx)) {
			rd.rd_lane = LANE_EXPRESS;
			rd.rd_rule = RULE_EXPRESS_CASH;
		} else {
			rd.rd_lane = LANE_COUNTER;
			rd.rd_rule = service_has_amount(req->rr_service) ?
			    RULE_OVER_THRESHOLD : RULE_NOT_DIVERTIBLE;
		}
		return rd;
	}

	for (i = 0; i < nitems(route_exceptions); i++) {
		if (route_exceptions[i].re_applies(req, ctx)) {
			re = &route_exceptions[i];
			break;
		}
	}
	if (re == NULL) {
		rd.rd_lane = LANE_SELF_SERVICE;
		rd.rd_rule = is_cash(req->rr_service) ?
		    RULE_CASH_WITHIN_THRESHOLD : RULE_TRANSFER_WITHIN_THRESHOLD;
		return rd;
	}

	/* DOMAIN §1: every benefit applies, whichever exception names the rule. */
	rd.rd_rule = re->re_rule;
	if (vip_lane)
		rd.rd_lane = LANE_VIP;
	else if (exc_loose_cash(req, ctx) && express_takes(req, ctx))
		rd.rd_lane = LANE_EXPRESS;
	else
		rd.rd_lane = LANE_COUNTER;
	return rd;
}

/* Index of name in a NULL-terminated table, or -1. */
static int
name_index(const char *const *names, const char *name)
{
	int	i;

	if (name == NULL)
		return -1;
	for (i = 0; names[i] != NULL; i++) {
		if (strcmp(names[i], name) == 0)
			return i;
	}
	return -1;
}

/* names[i], or NULL when i is outside a table of count names. */
static const char *
name_at(const char *const *names, unsigned int count, unsigned int i)
{
	return i < count ? names[i] : NULL;
}

const char *
lane_name(enum lane lane)
{
	return name_at(lane_names, LANE__COUNT, lane);
}

int
lane_from_name(const char *name)
{
	return name_index(lane_names, name);
}

char
lane_letter(enum lane lane)
{
	return (unsigned int)lane < LANE__COUNT ? lane_letters[lane] : '?';
}

const char *
service_name(enum service service)
{
	return name_at(service_names, SERVICE__COUNT, service);
}

int
service_from_name(const char *name)
{
	return name_index(service_names, name);
}

const char *
route_rule_name(enum route_rule rule)
{
	return name_at(route_rule_names, RULE__COUNT, rule);
}

int
route_rule_from_name(const char *name)
{
	return name_index(route_rule_names, name);
}

const char *
accessibility_name(enum accessibility access)
{
	if (access == ACCESS_NONE)
		return NULL;
	return name_at(accessibility_names, ACCESS__COUNT - 1,
	    (unsigned int)access - 1);
}

int
accessibility_from_name(const char *name)
{
	int	i;

	if ((i = name_index(accessibility_names, name)) == -1)
		return -1;
	return i + 1;
}
