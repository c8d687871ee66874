/*
 * The test hooks' operations, in branchqd-test alone (BQ_TEST_HOOKS) and
 * only with --test-clock: the clock moved on demand, database faults on
 * demand.  The daemon a bank installs has neither.
 */
#include <cJSON.h>

#include "branchq.h"

static int
op_test_fault(struct op_ctx *x)
{
	enum db_fault	fault = (enum db_fault)arg_enum(x, "fault", db_fault_names);
	enum db_fault	before = faultvfs_get();
	long		injected;

	if ((injected = faultvfs_set(fault)) == -1)
		return bq_fail(&x->x_err, ERR_INTERNAL,
		    "fault: database faults are not set up in this process");
	log_warnx("event=test_fault terminal=%s fault=%s previous=%s injected=%ld",
	    x->x_actor.a_terminal, db_fault_names[fault], db_fault_names[before], injected);
	cJSON_AddStringToObject(x->x_reply, "fault", db_fault_names[fault]);
	cJSON_AddStringToObject(x->x_reply, "previous", db_fault_names[before]);
	/* How many database calls the previous fault made fail: a test can
	 * tell that its fault was really in the path. */
	cJSON_AddNumberToObject(x->x_reply, "injected", (double)injected);
	return 0;
}

static const struct field_spec test_fault_fields[] = {
	{ "fault", FT_ENUM, true, 0, 0, db_fault_names, NULL },
	{ NULL, 0, 0, 0, 0, NULL, NULL }
};
const struct op_entry op_test_fault_entry = {
	.op_name = "test.fault", .op_roles = R_SUPERVISOR, .op_flags = OP_TEST_CLOCK | OP_BACKGROUND,
	.op_fields = test_fault_fields, .op_exec = op_test_fault,
};

static int
op_clock_advance(struct op_ctx *x)
{
	int64_t	seconds = arg_int(x, "seconds", 0);

	log_info("test clock: %s advances the clock %lld s", x->x_actor.a_terminal,
	    (long long)seconds);
	clock_advance(seconds);
	cJSON_AddItemToObject(x->x_reply, "now", json_time(clock_now()));
	return 0;
}

static const struct field_spec clock_advance_fields[] = {
	{ "seconds", FT_INT, true, 0, 10LL * 365 * 86400, NULL, NULL },	/* ten years */
	{ NULL, 0, 0, 0, 0, NULL, NULL }
};
const struct op_entry op_clock_advance_entry = {
	.op_name = "clock.advance", .op_roles = R_SUPERVISOR, .op_flags = OP_TEST_CLOCK | OP_BACKGROUND,
	.op_fields = clock_advance_fields, .op_exec = op_clock_advance,
};
