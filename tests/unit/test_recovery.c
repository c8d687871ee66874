/*
 * Unit tests for the service-recovery rules (src/recovery.c, DOMAIN §3-§5):
 * the complaint state machine cell by cell, the follow-up deadline and its
 * on-time rule, authority limits at every boundary, NPS, and masking.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "branchq.h"

/*
 * The state machine, written from DOMAIN §3/§4 independently of the code:
 * steps and follow-ups apply until the complaint is closed; resolution only
 * from open; satisfied closes; unsatisfied reopens; unreachable, actions,
 * reassignment and the overdue mark keep the state; "logged" only ever
 * starts a history.  -1: refused.
 */
static const int expected[CS__COUNT][STEP__COUNT] = {
	[CS_OPEN] = {
		[STEP_APOLOGY] = CS_OPEN, [STEP_EXPLANATION] = CS_OPEN,
		[STEP_REMEDY] = CS_OPEN, [STEP_COMPENSATION] = CS_OPEN,
		[STEP_CUSTOMER_UPDATE] = CS_OPEN, [STEP_NOTE] = CS_OPEN,
		[STEP_LOGGED] = -1, [STEP_REASSIGNED] = CS_OPEN,
		[STEP_RESOLVED] = CS_RESOLVED, [STEP_OVERDUE] = CS_OPEN,
		[STEP_FOLLOWUP_SATISFIED] = CS_CLOSED,
		[STEP_FOLLOWUP_UNSATISFIED] = CS_OPEN,
		[STEP_FOLLOWUP_UNREACHABLE] = CS_OPEN,
	},
	[CS_RESOLVED] = {
		[STEP_APOLOGY] = CS_RESOLVED, [STEP_EXPLANATION] = CS_RESOLVED,
		[STEP_REMEDY] = CS_RESOLVED, [STEP_COMPENSATION] = CS_RESOLVED,
		[STEP_CUSTOMER_UPDATE] = CS_RESOLVED, [STEP_NOTE] = CS_RESOLVED,
		[STEP_LOGGED] = -1, [STEP_REASSIGNED] = CS_RESOLVED,
		[STEP_RESOLVED] = -1, [STEP_OVERDUE] = CS_RESOLVED,
		[STEP_FOLLOWUP_SATISFIED] = CS_CLOSED,
		[STEP_FOLLOWUP_UNSATISFIED] = CS_OPEN,
		[STEP_FOLLOWUP_UNREACHABLE] = CS_RESOLVED,
	},
	[CS_CLOSED] = {
		[STEP_APOLOGY] = -1, [STEP_EXPLANATION] = -1, [STEP_REMEDY] = -1,
		[STEP_COMPENSATION] = -1, [STEP_CUSTOMER_UPDATE] = -1, [STEP_NOTE] = -1,
		[STEP_LOGGED] = -1, [STEP_REASSIGNED] = -1, [STEP_RESOLVED] = -1,
		[STEP_OVERDUE] = -1, [STEP_FOLLOWUP_SATISFIED] = -1,
		[STEP_FOLLOWUP_UNSATISFIED] = -1, [STEP_FOLLOWUP_UNREACHABLE] = -1,
	},
};

static void
test_state_machine_every_cell(void **state)
{
	int	st, step;

	(void)state;
	for (st = 0; st < CS__COUNT; st++) {
		for (step = 0; step < STEP__COUNT; step++) {
			int got = complaint_next_state((enum complaint_state)st,
			    (enum complaint_step)step);

			if (got != expected[st][step])
				fail_msg("%s + %s: got %d, expected %d",
				    complaint_state_name((enum complaint_state)st),
				    complaint_step_kind((enum complaint_step)step), got,
				    expected[st][step]);
		}
	}
	/* Out of range is refused, never read past a table. */
	assert_int_equal(complaint_next_state(CS__COUNT, STEP_NOTE), -1);
	assert_int_equal(complaint_next_state(CS_OPEN, STEP__COUNT), -1);
}

/* A whole life: logged, worked, resolved, unsatisfied, resolved again, satisfied. */
static void
test_state_machine_life(void **state)
{
	int	st = CS_OPEN;

	(void)state;
	st = complaint_next_state((enum complaint_state)st, STEP_APOLOGY);
	st = complaint_next_state((enum complaint_state)st, STEP_RESOLVED);
	assert_int_equal(st, CS_RESOLVED);
	st = complaint_next_state((enum complaint_state)st, STEP_FOLLOWUP_UNREACHABLE);
	assert_int_equal(st, CS_RESOLVED);
	st = complaint_next_state((enum complaint_state)st, STEP_FOLLOWUP_UNSATISFIED);
	assert_int_equal(st, CS_OPEN);
	st = complaint_next_state((enum complaint_state)st, STEP_RESOLVED);
	st = complaint_next_state((enum complaint_state)st, STEP_FOLLOWUP_SATISFIED);
	assert_int_equal(st, CS_CLOSED);
	assert_int_equal(complaint_next_state(CS_CLOSED, STEP_NOTE), -1);
}

static void
test_names(void **state)
{
	int	i, n;

	(void)state;
	for (i = 0; i < CS__COUNT; i++)
		assert_int_equal(complaint_state_from_name(
		    complaint_state_name((enum complaint_state)i)), i);
	assert_string_equal(complaint_state_name(CS_OPEN), "open");
	assert_string_equal(complaint_state_name(CS_RESOLVED), "resolved");
	assert_string_equal(complaint_state_name(CS_CLOSED), "closed");
	assert_null(complaint_state_name(CS__COUNT));
	assert_int_equal(complaint_state_from_name("Open"), -1);
	assert_int_equal(complaint_state_from_name(""), -1);
	assert_int_equal(complaint_state_from_name(NULL), -1);

	for (i = 0; i < STEP__COUNT; i++)
		assert_non_null(complaint_step_kind((enum complaint_step)i));
	assert_null(complaint_step_kind(STEP__COUNT));
	assert_string_equal(complaint_step_kind(STEP_FOLLOWUP_UNREACHABLE), "followup");
	assert_string_equal(complaint_step_kind(STEP_REASSIGNED), "reassigned");
	/* action_kinds follow the enum up to STEP_NOTE (the protocol's kinds). */
	for (i = 0; i <= STEP_NOTE; i++)
		assert_string_equal(action_kinds[i], complaint_step_kind((enum complaint_step)i));
	assert_null(action_kinds[STEP_NOTE + 1]);

	for (n = 0; complaint_categories[n] != NULL; n++)
		;
	assert_int_equal(n, COMPLAINT_CATEGORIES);
	assert_string_equal(complaint_categories[CATEGORY_OTHER], "other");
	for (n = 0; root_causes[n] != NULL; n++)
		;
	assert_int_equal(n, CAUSE__COUNT);
	assert_string_equal(root_causes[CAUSE_SYSTEM], "system");
	assert_string_equal(followup_outcomes[0], "satisfied");
	assert_string_equal(followup_outcomes[1], "unsatisfied");
	assert_string_equal(followup_outcomes[2], "unreachable");
	assert_null(followup_outcomes[3]);
}

/* DOMAIN §3: due follow_up_hours after logging (or reopening). */
static void
test_followup_due(void **state)
{
	const int64_t	logged = 1795395600;	/* 2026-11-23T01:00:00Z */

	(void)state;
	assert_int_equal(followup_due_at(logged, 24), logged + 86400);
	assert_int_equal(followup_due_at(logged, 1), logged + 3600);
	assert_int_equal(followup_due_at(logged, 720), logged + 720 * 3600);
	/* Reopened later: due counts from the reopening. */
	assert_int_equal(followup_due_at(logged + 5000, 24), logged + 5000 + 86400);
	/* No overflow of the hours in int arithmetic. */
	assert_int_equal(followup_due_at(0, 720), (int64_t)720 * 3600);
	assert_int_equal(followup_due_at(INT64_C(4102444800), 24), INT64_C(4102444800) + 86400);
}

/*
 * Across a restart the deadline is recomputed from what is stored (the
 * logged time), not from the clock: a daemon that comes back a day later
 * gets the same due time, and the on-time rule sees it as passed.
 */
static void
test_due_does_not_move_with_the_clock(void **state)
{
	const int64_t	logged = 1795395600;
	int64_t		before_restart, after_restart;

	(void)state;
	before_restart = followup_due_at(logged, 24);
	after_restart = followup_due_at(logged, 24);	/* clock now logged + 30 h */
	assert_int_equal(before_restart, after_restart);
	assert_false(followup_on_time(logged + 30 * 3600, after_restart));
}

static void
test_on_time_boundary(void **state)
{
	const int64_t	due = 1795482000;

	(void)state;
	assert_true(followup_on_time(due - 86400, due));
	assert_true(followup_on_time(due - 1, due));
	assert_true(followup_on_time(due, due));	/* the due second itself */
	assert_false(followup_on_time(due + 1, due));
	assert_false(followup_on_time(due + 86400, due));
}

/* DOMAIN §3: compensation within the actor's limit, cumulative per complaint. */
static void
test_authority(void **state)
{
	(void)state;
	/* teller 200 CNY = 20000 fen */
	assert_true(authority_allows(20000, 0, 1));
	assert_true(authority_allows(20000, 0, 20000));
	assert_false(authority_allows(20000, 0, 20001));
	assert_true(authority_allows(20000, 15000, 5000));	/* exactly reaches it */
	assert_false(authority_allows(20000, 15000, 5001));	/* one fen over */
	assert_false(authority_allows(20000, 20000, 1));
	assert_false(authority_allows(20000, 25000, 1));	/* already over (another role paid) */
	/* No amount, negative amounts and a zero limit are refused. */
	assert_false(authority_allows(20000, 0, 0));
	assert_false(authority_allows(20000, 0, -1));
	assert_false(authority_allows(0, 0, 1));
	assert_false(authority_allows(20000, -1, 1));
	/* Huge values: no overflow either way. */
	assert_true(authority_allows(INT64_MAX, INT64_MAX - 1, 1));
	assert_false(authority_allows(INT64_MAX, INT64_MAX - 1, 2));
	assert_false(authority_allows(INT64_MAX, INT64_MAX, INT64_MAX));
	assert_false(authority_allows(20000, 1, INT64_MAX));
}

/* DOMAIN §4: 0-6 detractors, 7-8 passives, 9-10 promoters. */
static void
test_nps_class(void **state)
{
	static const enum nps_class want[11] = {
		NPS_DETRACTOR, NPS_DETRACTOR, NPS_DETRACTOR, NPS_DETRACTOR, NPS_DETRACTOR,
		NPS_DETRACTOR, NPS_DETRACTOR, NPS_PASSIVE, NPS_PASSIVE, NPS_PROMOTER,
		NPS_PROMOTER
	};
	int	s;

	(void)state;
	for (s = 0; s <= 10; s++)
		if (nps_class(s) != want[s])
			fail_msg("score %d: class %d, expected %d", s, nps_class(s), want[s]);
}

static void
test_nps_score(void **state)
{
	(void)state;
	assert_true(nps_score(10, 0, 0) == 100.0);
	assert_true(nps_score(0, 0, 10) == -100.0);
	assert_true(nps_score(0, 10, 0) == 0.0);
	assert_true(nps_score(0, 0, 0) == 0.0);		/* no answers */
	assert_true(nps_score(5, 3, 2) == 30.0);	/* 50 % - 20 % */
	assert_true(nps_score(1, 1, 2) == -25.0);
	assert_true(nps_score(1, 2, 0) > 33.33 && nps_score(1, 2, 0) < 33.34);
}

/* DOMAIN §5: reports never show a phone number or a name in full. */
static void
test_mask_phone(void **state)
{
	char	out[64], small[5];

	(void)state;
	mask_phone("13800138000", out, sizeof out);
	assert_string_equal(out, "138****8000");
	mask_phone("+8613800138000", out, sizeof out);
	assert_string_equal(out, "+86*******8000");
	mask_phone("0215551234", out, sizeof out);	/* 10 digits */
	assert_string_equal(out, "02******34");
	mask_phone("1234567", out, sizeof out);
	assert_string_equal(out, "12***67");
	mask_phone("123", out, sizeof out);
	assert_string_equal(out, "**3");
	mask_phone("12", out, sizeof out);
	assert_string_equal(out, "**");
	mask_phone("", out, sizeof out);
	assert_string_equal(out, "");
	/* A small buffer truncates and always ends the string. */
	memset(small, 'x', sizeof small);
	mask_phone("13800138000", small, sizeof small);
	assert_string_equal(small, "138*");
	mask_phone("13800138000", small, 1);
	assert_string_equal(small, "");
}

static void
test_mask_name(void **state)
{
	char	out[64], small[3];

	(void)state;
	mask_name("张三", out, sizeof out);
	assert_string_equal(out, "张*");
	mask_name("欧阳娜娜", out, sizeof out);
	assert_string_equal(out, "欧*");
	mask_name("Li Wei", out, sizeof out);
	assert_string_equal(out, "L*");
	mask_name("王", out, sizeof out);
	assert_string_equal(out, "王*");
	mask_name("", out, sizeof out);
	assert_string_equal(out, "");
	/* Nothing of the name but its first character ever shows. */
	mask_name("张三丰", out, sizeof out);
	assert_null(strstr(out, "三"));
	/* A small buffer: always NUL-terminated, never past its end. */
	memset(small, 'x', sizeof small);
	mask_name("Li", small, sizeof small);
	assert_string_equal(small, "L*");
	mask_name("张三", small, sizeof small);
	assert_int_equal(strlen(small), 2);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_state_machine_every_cell),
		cmocka_unit_test(test_state_machine_life),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_followup_due),
		cmocka_unit_test(test_due_does_not_move_with_the_clock),
		cmocka_unit_test(test_on_time_boundary),
		cmocka_unit_test(test_authority),
		cmocka_unit_test(test_nps_class),
		cmocka_unit_test(test_nps_score),
		cmocka_unit_test(test_mask_phone),
		cmocka_unit_test(test_mask_name),
	};

	return cmocka_run_group_tests_name("recovery", tests, NULL, NULL);
}
