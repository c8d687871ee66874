/*
 * Unit tests for route.c: every boundary of DOMAIN §1 and the routing rule of
 * bq-decisions.md, without a socket or a database.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "branchq.h"

#define nitems(a)	(sizeof (a) / sizeof (a)[0])

/* DOMAIN §1 defaults, in fen. */
#define CASH_FEN	2000000
#define TRANSFER_FEN	5000000
#define EXPRESS_FEN	5000000

static const enum service cash_services[] = {
	SERVICE_CASH_WITHDRAWAL, SERVICE_CASH_DEPOSIT
};
static const enum service plain_services[] = {
	SERVICE_ACCOUNT_OPENING, SERVICE_CARD_SERVICES, SERVICE_LOAN,
	SERVICE_WEALTH_MANAGEMENT, SERVICE_FOREIGN_EXCHANGE, SERVICE_OTHER
};

/* Defaults, machines working, no express or VIP window open, counter busy. */
static struct route_context
context(void)
{
	struct route_context	ctx;

	memset(&ctx, 0, sizeof ctx);
	ctx.rc_cash_threshold_fen = CASH_FEN;
	ctx.rc_transfer_threshold_fen = TRANSFER_FEN;
	ctx.rc_express_cash_fen = EXPRESS_FEN;
	ctx.rc_self_service_available = true;
	return ctx;
}

static struct route_request
request(enum service service, int64_t amount_fen)
{
	struct route_request	req;

	memset(&req, 0, sizeof req);
	req.rr_service = service;
	req.rr_amount_fen = amount_fen;
	req.rr_flags.tf_accessibility = ACCESS_NONE;
	return req;
}

static const char *
lname(int lane)
{
	const char	*s = lane_name((enum lane)lane);

	return s != NULL ? s : "?";
}

static const char *
rname(int rule)
{
	const char	*s = route_rule_name((enum route_rule)rule);

	return s != NULL ? s : "?";
}

/* Compares a whole decision and names the case and the difference. */
static void
expect(const char *what, const struct route_request *req,
    const struct route_context *ctx, enum lane lane, enum route_rule rule,
    bool priority, bool eligible)
{
	struct route_decision	rd = route_decide(req, ctx);

	if (rd.rd_lane != lane || rd.rd_rule != rule ||
	    rd.rd_priority != priority || rd.rd_eligible != eligible) {
		fail_msg("%s: %s %lld fen: got %s/%s priority %d eligible %d, "
		    "want %s/%s priority %d eligible %d", what,
		    service_name(req->rr_service), (long long)req->rr_amount_fen,
		    lname((int)rd.rd_lane), rname((int)rd.rd_rule),
		    rd.rd_priority, rd.rd_eligible, lname((int)lane),
		    rname((int)rule), priority, eligible);
	}
}

/* DOMAIN §1: 20,000.00 CNY is diverted, 20,000.01 is not, both directions. */
static void
test_cash_threshold_boundary(void **state)
{
	struct route_context	ctx = context();
	struct route_request	req;
	size_t			i;

	(void)state;
	for (i = 0; i < nitems(cash_services); i++) {
		req = request(cash_services[i], 1);
		expect("1 fen", &req, &ctx, LANE_SELF_SERVICE,
		    RULE_CASH_WITHIN_THRESHOLD, false, true);
		req = request(cash_services[i], CASH_FEN);
		expect("at threshold", &req, &ctx, LANE_SELF_SERVICE,
		    RULE_CASH_WITHIN_THRESHOLD, false, true);
		req = request(cash_services[i], CASH_FEN + 1);
		expect("over threshold", &req, &ctx, LANE_COUNTER,
		    RULE_OVER_THRESHOLD, false, false);

		/* An open express lane does not pull eligible jobs off the machines. */
		ctx.rc_express_open = true;
		req = request(cash_services[i], CASH_FEN);
		expect("at threshold, express open", &req, &ctx,
		    LANE_SELF_SERVICE, RULE_CASH_WITHIN_THRESHOLD, false, true);
		req = request(cash_services[i], CASH_FEN + 1);
		expect("over threshold, express open", &req, &ctx, LANE_EXPRESS,
		    RULE_EXPRESS_CASH, false, false);
		ctx.rc_express_open = false;
	}
}

/* DOMAIN §1: 50,000.00 CNY of transfer is diverted, 50,000.01 is not. */
static void
test_transfer_threshold_boundary(void **state)
{
	struct route_context	ctx = context();
	struct route_request	req;

	(void)state;
	req = request(SERVICE_TRANSFER, TRANSFER_FEN);
	expect("at threshold", &req, &ctx, LANE_SELF_SERVICE,
	    RULE_TRANSFER_WITHIN_THRESHOLD, false, true);
	req = request(SERVICE_TRANSFER, TRANSFER_FEN + 1);
	expect("over threshold", &req, &ctx, LANE_COUNTER, RULE_OVER_THRESHOLD,
	    false, false);

	/* The express lane is for cash, never for transfers. */
	ctx.rc_express_open = true;
	req = request(SERVICE_TRANSFER, CASH_FEN + 1);
	expect("over cash threshold, express open", &req, &ctx,
	    LANE_SELF_SERVICE, RULE_TRANSFER_WITHIN_THRESHOLD, false, true);
	req = request(SERVICE_TRANSFER, TRANSFER_FEN + 1);
	expect("over threshold, express open", &req, &ctx, LANE_COUNTER,
	    RULE_OVER_THRESHOLD, false, false);
}

/* DOMAIN §1: express takes cash over the threshold up to 50,000 CNY if open. */
static void
test_express_limit_boundary(void **state)
{
	static const struct {
		int64_t		amount_fen;
		bool		open;
		enum lane	lane;
		enum route_rule	rule;
	} cases[] = {
		{ CASH_FEN + 1,    true,  LANE_EXPRESS, RULE_EXPRESS_CASH },
		{ CASH_FEN + 1,    false, LANE_COUNTER, RULE_OVER_THRESHOLD },
		{ EXPRESS_FEN,     true,  LANE_EXPRESS, RULE_EXPRESS_CASH },
		{ EXPRESS_FEN,     false, LANE_COUNTER, RULE_OVER_THRESHOLD },
		{ EXPRESS_FEN + 1, true,  LANE_COUNTER, RULE_OVER_THRESHOLD },
		{ EXPRESS_FEN + 1, false, LANE_COUNTER, RULE_OVER_THRESHOLD },
	};
	struct route_context	ctx = context();
	struct route_request	req;
	size_t			i, j;
	char			what[64];

	(void)state;
	for (i = 0; i < nitems(cash_services); i++) {
		for (j = 0; j < nitems(cases); j++) {
			ctx.rc_express_open = cases[j].open;
			req = request(cash_services[i], cases[j].amount_fen);
			snprintf(what, sizeof what, "case %zu, express %s", j,
			    cases[j].open ? "open" : "closed");
			expect(what, &req, &ctx, cases[j].lane, cases[j].rule,
			    false, false);
		}
	}
}

/*
 * The six exceptions in rank order, highest first, as DOMAIN §1 lists them
 * for the stored rule.  apply() turns one on in a request or context.
 */
enum exc {
	EXC_ACCESSIBILITY, EXC_NEEDS_ASSISTANCE, EXC_VIP, EXC_LOOSE_CASH,
	EXC_SELF_SERVICE_UNAVAILABLE, EXC_COUNTER_IDLE, EXC__COUNT
};
static const enum route_rule exc_rules[EXC__COUNT] = {
	RULE_ACCESSIBILITY, RULE_NEEDS_ASSISTANCE, RULE_VIP, RULE_LOOSE_CASH,
	RULE_SELF_SERVICE_UNAVAILABLE, RULE_COUNTER_IDLE
};

static void
apply(enum exc e, struct route_request *req, struct route_context *ctx)
{
	switch (e) {
	case EXC_ACCESSIBILITY:
		req->rr_flags.tf_accessibility = ACCESS_WHEELCHAIR;
		break;
	case EXC_NEEDS_ASSISTANCE:
		req->rr_flags.tf_needs_assistance = true;
		break;
	case EXC_VIP:
		req->rr_flags.tf_vip = true;
		break;
	case EXC_LOOSE_CASH:
		req->rr_flags.tf_loose_cash = true;
		break;
	case EXC_SELF_SERVICE_UNAVAILABLE:
		ctx->rc_self_service_available = false;
		break;
	case EXC_COUNTER_IDLE:
		ctx->rc_counter_idle = true;
		break;
	case EXC__COUNT:
		fail();
	}
}

/* One exception at a time, with the express and VIP lanes shut and open. */
static void
test_each_exception_alone(void **state)
{
	/* lane when express and VIP are shut / when both are open */
	static const struct {
		enum lane	shut, open;
		bool		priority;
	} want[EXC__COUNT] = {
		[EXC_ACCESSIBILITY] = { LANE_COUNTER, LANE_COUNTER, true },
		[EXC_NEEDS_ASSISTANCE] = { LANE_COUNTER, LANE_COUNTER, true },
		[EXC_VIP] = { LANE_COUNTER, LANE_VIP, false },
		[EXC_LOOSE_CASH] = { LANE_COUNTER, LANE_EXPRESS, false },
		[EXC_SELF_SERVICE_UNAVAILABLE] = { LANE_COUNTER, LANE_COUNTER, false },
		[EXC_COUNTER_IDLE] = { LANE_COUNTER, LANE_COUNTER, false },
	};
	struct route_context	ctx;
	struct route_request	req;
	size_t			i, s;
	int			e, open;
	char			what[64];

	(void)state;
	for (s = 0; s < nitems(cash_services); s++) {
		for (e = 0; e < EXC__COUNT; e++) {
			for (open = 0; open <= 1; open++) {
				ctx = context();
				ctx.rc_express_open = ctx.rc_vip_open = open;
				req = request(cash_services[s], CASH_FEN);
				apply((enum exc)e, &req, &ctx);
				snprintf(what, sizeof what, "%s alone, lanes %s",
				    rname((int)exc_rules[e]), open ? "open" : "shut");
				expect(what, &req, &ctx,
				    open ? want[e].open : want[e].shut, exc_rules[e],
				    want[e].priority, true);
			}
		}
	}

	/* Every accessibility need counts, not only the wheelchair. */
	for (i = ACCESS_WHEELCHAIR; i < ACCESS__COUNT; i++) {
		ctx = context();
		req = request(SERVICE_TRANSFER, TRANSFER_FEN);
		req.rr_flags.tf_accessibility = (enum accessibility)i;
		expect(accessibility_name((enum accessibility)i), &req, &ctx,
		    LANE_COUNTER, RULE_ACCESSIBILITY, true, true);
	}
}

/*
 * Every pair of exceptions, on every combination of open lanes: the rule is
 * the higher-ranked one, and every benefit of both applies.
 */
static void
test_exception_pairs(void **state)
{
	struct route_context	ctx;
	struct route_request	req;
	enum lane		lane;
	bool			priority;
	size_t			s;
	int			a, b, express, vip;
	char			what[128];

	(void)state;
#define HAS(e)	(a == (e) || b == (e))
	for (s = 0; s < nitems(cash_services); s++)
	for (a = 0; a < EXC__COUNT; a++)
	for (b = a + 1; b < EXC__COUNT; b++)
	for (express = 0; express <= 1; express++)
	for (vip = 0; vip <= 1; vip++) {
		ctx = context();
		ctx.rc_express_open = express;
		ctx.rc_vip_open = vip;
		req = request(cash_services[s], 150000);
		apply((enum exc)a, &req, &ctx);
		apply((enum exc)b, &req, &ctx);

		priority = HAS(EXC_ACCESSIBILITY) || HAS(EXC_NEEDS_ASSISTANCE);
		if (vip && HAS(EXC_VIP))
			lane = LANE_VIP;
		else if (express && HAS(EXC_LOOSE_CASH))
			lane = LANE_EXPRESS;
		else
			lane = LANE_COUNTER;
		snprintf(what, sizeof what, "%s + %s, express %d vip %d",
		    rname((int)exc_rules[a]), rname((int)exc_rules[b]),
		    express, vip);
		/* a < b: a is the higher-ranked of the two */
		expect(what, &req, &ctx, lane, exc_rules[a], priority, true);
	}
#undef HAS
}

/* A few pairs spelled out, so the loop above is not the only witness. */
static void
test_exception_pairs_by_hand(void **state)
{
	struct route_context	ctx = context();
	struct route_request	req;

	(void)state;
	ctx.rc_express_open = ctx.rc_vip_open = true;

	/* A VIP in a wheelchair: stored as accessibility, VIP lane, first. */
	req = request(SERVICE_CASH_WITHDRAWAL, 100);
	req.rr_flags.tf_vip = true;
	req.rr_flags.tf_accessibility = ACCESS_WHEELCHAIR;
	expect("vip + accessibility", &req, &ctx, LANE_VIP, RULE_ACCESSIBILITY,
	    true, true);

	/* Loose notes and needing help: express, first in it. */
	req = request(SERVICE_CASH_DEPOSIT, 100);
	req.rr_flags.tf_loose_cash = true;
	req.rr_flags.tf_needs_assistance = true;
	expect("loose cash + assistance", &req, &ctx, LANE_EXPRESS,
	    RULE_NEEDS_ASSISTANCE, true, true);

	/* A VIP with loose notes: the VIP lane wins over express. */
	req = request(SERVICE_CASH_DEPOSIT, 100);
	req.rr_flags.tf_loose_cash = true;
	req.rr_flags.tf_vip = true;
	expect("vip + loose cash", &req, &ctx, LANE_VIP, RULE_VIP, false, true);

	/* Loose notes while the machines are down: the customer's reason wins. */
	ctx.rc_self_service_available = false;
	ctx.rc_counter_idle = true;
	req = request(SERVICE_CASH_DEPOSIT, 100);
	req.rr_flags.tf_loose_cash = true;
	expect("loose cash + unavailable + idle", &req, &ctx, LANE_EXPRESS,
	    RULE_LOOSE_CASH, false, true);
	req.rr_flags.tf_loose_cash = false;
	expect("unavailable + idle", &req, &ctx, LANE_COUNTER,
	    RULE_SELF_SERVICE_UNAVAILABLE, false, true);
}

/* All six at once: accessibility names the rule, VIP lane when open. */
static void
test_all_exceptions(void **state)
{
	struct route_context	ctx;
	struct route_request	req;
	int			e, open;

	(void)state;
	for (open = 0; open <= 1; open++) {
		ctx = context();
		ctx.rc_express_open = ctx.rc_vip_open = open;
		req = request(SERVICE_CASH_WITHDRAWAL, CASH_FEN);
		for (e = 0; e < EXC__COUNT; e++)
			apply((enum exc)e, &req, &ctx);
		expect("all exceptions", &req, &ctx,
		    open ? LANE_VIP : LANE_COUNTER, RULE_ACCESSIBILITY, true, true);
	}
}

/* DOMAIN §1: loose notes keep only cash jobs off the machines. */
static void
test_loose_cash_is_for_cash(void **state)
{
	struct route_context	ctx = context();
	struct route_request	req;

	(void)state;
	ctx.rc_express_open = true;
	req = request(SERVICE_TRANSFER, 100);
	req.rr_flags.tf_loose_cash = true;
	expect("transfer, loose cash", &req, &ctx, LANE_SELF_SERVICE,
	    RULE_TRANSFER_WITHIN_THRESHOLD, false, true);
	ctx.rc_counter_idle = true;
	expect("transfer, loose cash, counter idle", &req, &ctx, LANE_COUNTER,
	    RULE_COUNTER_IDLE, false, true);
}

/*
 * Over the threshold the exceptions no longer name the rule (the job is not
 * diverted to begin with), but priority and the VIP lane still apply.
 */
static void
test_over_threshold_with_flags(void **state)
{
	struct route_context	ctx = context();
	struct route_request	req;

	(void)state;
	ctx.rc_self_service_available = false;
	ctx.rc_counter_idle = true;

	req = request(SERVICE_TRANSFER, TRANSFER_FEN + 1);
	req.rr_flags.tf_accessibility = ACCESS_SIGN_LANGUAGE;
	expect("accessibility", &req, &ctx, LANE_COUNTER, RULE_OVER_THRESHOLD,
	    true, false);
	req.rr_flags.tf_vip = true;
	expect("vip, lane shut", &req, &ctx, LANE_COUNTER, RULE_OVER_THRESHOLD,
	    true, false);
	ctx.rc_vip_open = true;
	expect("vip, lane open", &req, &ctx, LANE_VIP, RULE_VIP, true, false);

	/* A VIP lane beats the express lane for a VIP's cash. */
	ctx.rc_express_open = true;
	req = request(SERVICE_CASH_WITHDRAWAL, CASH_FEN + 1);
	req.rr_flags.tf_vip = true;
	expect("vip cash, both open", &req, &ctx, LANE_VIP, RULE_VIP, false, false);
	ctx.rc_vip_open = false;
	expect("vip cash, express open", &req, &ctx, LANE_EXPRESS,
	    RULE_EXPRESS_CASH, false, false);

	/* Loose notes and needing help change nothing but priority here. */
	req = request(SERVICE_CASH_DEPOSIT, EXPRESS_FEN + 1);
	req.rr_flags.tf_loose_cash = true;
	req.rr_flags.tf_needs_assistance = true;
	expect("loose cash over express limit", &req, &ctx, LANE_COUNTER,
	    RULE_OVER_THRESHOLD, true, false);
	req.rr_amount_fen = EXPRESS_FEN;
	expect("loose cash at express limit", &req, &ctx, LANE_EXPRESS,
	    RULE_EXPRESS_CASH, true, false);
}

/* Services without an amount always go to the counter (or the VIP lane). */
static void
test_not_divertible(void **state)
{
	struct route_context	ctx;
	struct route_request	req;
	size_t			i;
	const char		*what;

	(void)state;
	for (i = 0; i < nitems(plain_services); i++) {
		what = service_name(plain_services[i]);
		ctx = context();
		ctx.rc_express_open = true;
		req = request(plain_services[i], 0);
		expect(what, &req, &ctx, LANE_COUNTER, RULE_NOT_DIVERTIBLE,
		    false, false);
		/* An amount sent anyway does not make it eligible. */
		req.rr_amount_fen = 100;
		expect(what, &req, &ctx, LANE_COUNTER, RULE_NOT_DIVERTIBLE,
		    false, false);

		req.rr_flags.tf_loose_cash = true;
		ctx.rc_counter_idle = true;
		ctx.rc_self_service_available = false;
		expect(what, &req, &ctx, LANE_COUNTER, RULE_NOT_DIVERTIBLE,
		    false, false);

		req.rr_flags.tf_accessibility = ACCESS_VISUAL;
		expect(what, &req, &ctx, LANE_COUNTER, RULE_NOT_DIVERTIBLE,
		    true, false);
		req.rr_flags.tf_accessibility = ACCESS_NONE;
		req.rr_flags.tf_needs_assistance = true;
		expect(what, &req, &ctx, LANE_COUNTER, RULE_NOT_DIVERTIBLE,
		    true, false);

		req.rr_flags.tf_vip = true;
		expect(what, &req, &ctx, LANE_COUNTER, RULE_NOT_DIVERTIBLE,
		    true, false);
		ctx.rc_vip_open = true;
		expect(what, &req, &ctx, LANE_VIP, RULE_VIP, true, false);
	}
}

/* DOMAIN §1: thresholds are branch settings, read from the context. */
static void
test_custom_thresholds(void **state)
{
	struct route_context	ctx;
	struct route_request	req;

	(void)state;
	/* Cash threshold 0: no cash job is diverted. */
	ctx = context();
	ctx.rc_cash_threshold_fen = 0;
	req = request(SERVICE_CASH_WITHDRAWAL, 1);
	expect("cash threshold 0", &req, &ctx, LANE_COUNTER,
	    RULE_OVER_THRESHOLD, false, false);
	ctx.rc_express_open = true;
	expect("cash threshold 0, express open", &req, &ctx, LANE_EXPRESS,
	    RULE_EXPRESS_CASH, false, false);
	/* Inclusive at any threshold. */
	req.rr_amount_fen = 0;
	expect("cash threshold 0, amount 0", &req, &ctx, LANE_SELF_SERVICE,
	    RULE_CASH_WITHIN_THRESHOLD, false, true);

	/* A higher cash threshold; the transfer threshold is separate. */
	ctx = context();
	ctx.rc_cash_threshold_fen = 3000000;
	ctx.rc_transfer_threshold_fen = 100;
	req = request(SERVICE_CASH_DEPOSIT, 3000000);
	expect("cash threshold 30,000", &req, &ctx, LANE_SELF_SERVICE,
	    RULE_CASH_WITHIN_THRESHOLD, false, true);
	req.rr_amount_fen = 3000001;
	expect("cash threshold 30,000, over", &req, &ctx, LANE_COUNTER,
	    RULE_OVER_THRESHOLD, false, false);
	req = request(SERVICE_TRANSFER, 100);
	expect("transfer threshold 1 CNY", &req, &ctx, LANE_SELF_SERVICE,
	    RULE_TRANSFER_WITHIN_THRESHOLD, false, true);
	req.rr_amount_fen = 101;
	expect("transfer threshold 1 CNY, over", &req, &ctx, LANE_COUNTER,
	    RULE_OVER_THRESHOLD, false, false);

	/* A lower express limit. */
	ctx = context();
	ctx.rc_express_cash_fen = 2500000;
	ctx.rc_express_open = true;
	req = request(SERVICE_CASH_WITHDRAWAL, 2500000);
	expect("express limit 25,000", &req, &ctx, LANE_EXPRESS,
	    RULE_EXPRESS_CASH, false, false);
	req.rr_amount_fen = 2500001;
	expect("express limit 25,000, over", &req, &ctx, LANE_COUNTER,
	    RULE_OVER_THRESHOLD, false, false);

	/*
	 * Self-service threshold above the express limit: a loose-cash job
	 * the express lane may not take goes to the counter (DOMAIN §1:
	 * loose notes "up to that limit").
	 */
	ctx = context();
	ctx.rc_cash_threshold_fen = 8000000;
	ctx.rc_express_open = true;
	req = request(SERVICE_CASH_DEPOSIT, EXPRESS_FEN + 1);
	req.rr_flags.tf_loose_cash = true;
	expect("loose cash over express limit", &req, &ctx, LANE_COUNTER,
	    RULE_LOOSE_CASH, false, true);
	req.rr_amount_fen = EXPRESS_FEN;
	expect("loose cash at express limit", &req, &ctx, LANE_EXPRESS,
	    RULE_LOOSE_CASH, false, true);
}

/*
 * rd_eligible is the amount test alone, and rd_priority the two flags alone,
 * whatever else is set: the diversion rate and the lane order depend on it.
 */
static void
test_eligible_and_priority_ignore_the_rest(void **state)
{
	static const struct {
		enum service	service;
		int64_t		amount_fen;
		bool		eligible;
	} cases[] = {
		{ SERVICE_CASH_WITHDRAWAL, CASH_FEN, true },
		{ SERVICE_CASH_WITHDRAWAL, CASH_FEN + 1, false },
		{ SERVICE_CASH_DEPOSIT, CASH_FEN, true },
		{ SERVICE_CASH_DEPOSIT, CASH_FEN + 1, false },
		{ SERVICE_TRANSFER, TRANSFER_FEN, true },
		{ SERVICE_TRANSFER, TRANSFER_FEN + 1, false },
		{ SERVICE_LOAN, 0, false },
		{ SERVICE_OTHER, 1, false },
	};
	struct route_context	ctx;
	struct route_request	req;
	struct route_decision	rd;
	size_t			i;
	unsigned int		bits;
	int			access;
	bool			priority, exception;

	(void)state;
	for (i = 0; i < nitems(cases); i++) {
		/* bits: loose, vip, assistance, unavailable, idle, express, vip open */
		for (bits = 0; bits < (1u << 7); bits++) {
			for (access = ACCESS_NONE; access < ACCESS__COUNT; access++) {
				ctx = context();
				req = request(cases[i].service, cases[i].amount_fen);
				req.rr_flags.tf_loose_cash = bits & 1;
				req.rr_flags.tf_vip = bits & 2;
				req.rr_flags.tf_needs_assistance = bits & 4;
				req.rr_flags.tf_accessibility = (enum accessibility)access;
				ctx.rc_self_service_available = !(bits & 8);
				ctx.rc_counter_idle = bits & 16;
				ctx.rc_express_open = bits & 32;
				ctx.rc_vip_open = bits & 64;
				rd = route_decide(&req, &ctx);
				priority = access != ACCESS_NONE || (bits & 4);
				if (rd.rd_eligible != cases[i].eligible ||
				    rd.rd_priority != priority) {
					fail_msg("case %zu bits %#x access %d: "
					    "eligible %d priority %d", i, bits,
					    access, rd.rd_eligible, rd.rd_priority);
				}
				/* Only an eligible job without exceptions reaches the machines. */
				exception = access != ACCESS_NONE ||
				    (bits & (2 | 4 | 8 | 16)) != 0 ||
				    ((bits & 1) && cases[i].service != SERVICE_TRANSFER);
				if ((rd.rd_lane == LANE_SELF_SERVICE) !=
				    (cases[i].eligible && !exception)) {
					fail_msg("case %zu bits %#x access %d: "
					    "lane %s", i, bits, access,
					    lname((int)rd.rd_lane));
				}
			}
		}
	}
}

static void
test_service_has_amount(void **state)
{
	int	s;

	(void)state;
	for (s = 0; s < SERVICE__COUNT; s++) {
		assert_int_equal(service_has_amount((enum service)s),
		    s == SERVICE_CASH_WITHDRAWAL || s == SERVICE_CASH_DEPOSIT ||
		    s == SERVICE_TRANSFER);
	}
}

/* The protocol names, spelled out here so a typo in route.c shows. */
static void
test_lane_names(void **state)
{
	static const char *const names[] = {
		"self_service", "express", "counter", "vip"
	};
	static const char letters[] = "SEAV";
	int	l;

	(void)state;
	assert_int_equal(nitems(names), LANE__COUNT);
	for (l = 0; l < LANE__COUNT; l++) {
		assert_string_equal(lane_name((enum lane)l), names[l]);
		assert_string_equal(lane_names[l], names[l]);
		assert_int_equal(lane_from_name(names[l]), l);
		assert_int_equal(lane_letter((enum lane)l), letters[l]);
	}
	assert_null(lane_names[LANE__COUNT]);
	assert_null(lane_name(LANE__COUNT));
	assert_int_equal(lane_from_name(NULL), -1);
	assert_int_equal(lane_from_name(""), -1);
	assert_int_equal(lane_from_name("Counter"), -1);
	assert_int_equal(lane_from_name("counter "), -1);
	assert_int_equal(lane_from_name("A"), -1);
}

static void
test_service_names(void **state)
{
	static const char *const names[] = {
		"cash_withdrawal", "cash_deposit", "transfer", "account_opening",
		"card_services", "loan", "wealth_management", "foreign_exchange",
		"other"
	};
	int	s;

	(void)state;
	assert_int_equal(nitems(names), SERVICE__COUNT);
	for (s = 0; s < SERVICE__COUNT; s++) {
		assert_string_equal(service_name((enum service)s), names[s]);
		assert_string_equal(service_names[s], names[s]);
		assert_int_equal(service_from_name(names[s]), s);
	}
	assert_null(service_names[SERVICE__COUNT]);
	assert_null(service_name(SERVICE__COUNT));
	assert_int_equal(service_from_name(NULL), -1);
	assert_int_equal(service_from_name("cash"), -1);
	assert_int_equal(service_from_name("withdrawal"), -1);
}

static void
test_route_rule_names(void **state)
{
	static const char *const names[] = {
		"cash_within_threshold", "transfer_within_threshold",
		"loose_cash", "counter_idle", "vip", "needs_assistance",
		"accessibility", "self_service_unavailable", "express_cash",
		"over_threshold", "not_divertible"
	};
	int	r;

	(void)state;
	assert_int_equal(nitems(names), RULE__COUNT);
	for (r = 0; r < RULE__COUNT; r++) {
		assert_string_equal(route_rule_name((enum route_rule)r), names[r]);
		assert_int_equal(route_rule_from_name(names[r]), r);
	}
	assert_null(route_rule_name(RULE__COUNT));
	assert_int_equal(route_rule_from_name(NULL), -1);
	assert_int_equal(route_rule_from_name("express"), -1);
}

static void
test_accessibility_names(void **state)
{
	static const char *const names[] = {
		"wheelchair", "sign_language", "visual", "other"
	};
	int	a;

	(void)state;
	assert_int_equal(nitems(names), ACCESS__COUNT - 1);
	assert_null(accessibility_name(ACCESS_NONE));
	assert_string_equal(accessibility_names[0], "wheelchair");
	for (a = ACCESS_WHEELCHAIR; a < ACCESS__COUNT; a++) {
		assert_string_equal(accessibility_name((enum accessibility)a),
		    names[a - 1]);
		assert_string_equal(accessibility_names[a - 1], names[a - 1]);
		assert_int_equal(accessibility_from_name(names[a - 1]), a);
	}
	assert_null(accessibility_names[ACCESS__COUNT - 1]);
	assert_null(accessibility_name(ACCESS__COUNT));
	assert_int_equal(accessibility_from_name("none"), -1);
	assert_int_equal(accessibility_from_name(NULL), -1);
	assert_int_equal(accessibility_from_name("deaf"), -1);
}

/* Pure: the same inputs give the same decision and are left untouched. */
static void
test_pure(void **state)
{
	struct route_context	ctx = context(), ctx0;
	struct route_request	req = request(SERVICE_CASH_DEPOSIT, 100), req0;
	struct route_decision	a, b;

	(void)state;
	req.rr_flags.tf_loose_cash = true;
	ctx.rc_express_open = true;
	req0 = req;
	ctx0 = ctx;
	a = route_decide(&req, &ctx);
	b = route_decide(&req, &ctx);
	assert_memory_equal(&req, &req0, sizeof req);
	assert_memory_equal(&ctx, &ctx0, sizeof ctx);
	assert_int_equal(a.rd_lane, b.rd_lane);
	assert_int_equal(a.rd_rule, b.rd_rule);
	assert_int_equal(a.rd_priority, b.rd_priority);
	assert_int_equal(a.rd_eligible, b.rd_eligible);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cash_threshold_boundary),
		cmocka_unit_test(test_transfer_threshold_boundary),
		cmocka_unit_test(test_express_limit_boundary),
		cmocka_unit_test(test_each_exception_alone),
		cmocka_unit_test(test_exception_pairs),
		cmocka_unit_test(test_exception_pairs_by_hand),
		cmocka_unit_test(test_all_exceptions),
		cmocka_unit_test(test_loose_cash_is_for_cash),
		cmocka_unit_test(test_over_threshold_with_flags),
		cmocka_unit_test(test_not_divertible),
		cmocka_unit_test(test_custom_thresholds),
		cmocka_unit_test(test_eligible_and_priority_ignore_the_rest),
		cmocka_unit_test(test_service_has_amount),
		cmocka_unit_test(test_lane_names),
		cmocka_unit_test(test_service_names),
		cmocka_unit_test(test_route_rule_names),
		cmocka_unit_test(test_accessibility_names),
		cmocka_unit_test(test_pure),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
