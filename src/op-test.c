/* Test-only operations (--test-clock): database faults on demand. */
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
	.op_name = "test.fault", .op_roles = R_SUPERVISOR, .op_flags = OP_TEST_CLOCK,
	.op_fields = test_fault_fields, .op_exec = op_test_fault,
};
