/*
 * Unit tests for fields.c's fingerprint (PROTOCOL 1.1 request_key): the
 * same fields make the same fingerprint however they were sent, and any
 * other value of a field the operation reads makes another.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include <cJSON.h>

#include "branchq.h"

static const char *const services[] = { "loan", "transfer", NULL };
static const struct field_spec flag_fields[] = {
	{ "vip", FT_BOOL, false, 0, 0, NULL, NULL },
	{ "loose_cash", FT_BOOL, false, 0, 0, NULL, NULL },
	{ NULL, 0, 0, 0, 0, NULL, NULL }
};
static const struct field_spec fields[] = {
	{ "service", FT_ENUM, true, 0, 0, services, NULL },
	{ "amount_fen", FT_INT, false, 1, 1000000000000LL, NULL, NULL },
	{ "flags", FT_OBJECT, false, 0, 0, NULL, flag_fields },
	{ "note", FT_STRING, false, 0, 100, NULL, NULL },
	{ "request_key", FT_STRING, false, 1, 64, NULL, NULL },
	{ NULL, 0, 0, 0, 0, NULL, NULL }
};

static void
fingerprint(const char *json, char out[FINGERPRINT_LEN + 1])
{
	cJSON	*req = cJSON_Parse(json);

	assert_non_null(req);
	fields_fingerprint(req, fields, "request_key", out);
	cJSON_Delete(req);
	assert_int_equal(strlen(out), FINGERPRINT_LEN);
}

static void
assert_same(const char *a, const char *b)
{
	char	fa[FINGERPRINT_LEN + 1], fb[FINGERPRINT_LEN + 1];

	fingerprint(a, fa);
	fingerprint(b, fb);
	if (strcmp(fa, fb) != 0)
		fail_msg("should match:\n  %s\n  %s", a, b);
}

static void
assert_differ(const char *a, const char *b)
{
	char	fa[FINGERPRINT_LEN + 1], fb[FINGERPRINT_LEN + 1];

	fingerprint(a, fa);
	fingerprint(b, fb);
	if (strcmp(fa, fb) == 0)
		fail_msg("should differ:\n  %s\n  %s", a, b);
}

static void
test_fingerprint_same(void **state)
{
	(void)state;
	/* order of members, here and inside an object */
	assert_same("{\"op\":\"x\",\"service\":\"transfer\",\"amount_fen\":100,"
	    "\"flags\":{\"vip\":true,\"loose_cash\":false}}",
	    "{\"flags\":{\"loose_cash\":false,\"vip\":true},\"amount_fen\":100,"
	    "\"service\":\"transfer\",\"op\":\"x\"}");
	/* a whole number written as a fraction; absent and null */
	assert_same("{\"service\":\"transfer\",\"amount_fen\":100}",
	    "{\"service\":\"transfer\",\"amount_fen\":100.0,\"flags\":null,\"note\":null}");
	assert_same("{\"service\":\"loan\",\"flags\":{}}",
	    "{\"service\":\"loan\",\"flags\":{\"vip\":null}}");
	/* what the operation does not read: id, op, unknown names, the key itself */
	assert_same("{\"service\":\"loan\",\"id\":1,\"request_key\":\"a\"}",
	    "{\"service\":\"loan\",\"id\":\"2\",\"extra\":[1],\"request_key\":\"b\"}");
	/* text is compared as text, escapes or not */
	assert_same("{\"service\":\"loan\",\"note\":\"\\u5f20\"}",
	    "{\"service\":\"loan\",\"note\":\"张\"}");
}

static void
test_fingerprint_differs(void **state)
{
	(void)state;
	assert_differ("{\"service\":\"loan\"}", "{\"service\":\"transfer\"}");
	assert_differ("{\"service\":\"transfer\",\"amount_fen\":100}",
	    "{\"service\":\"transfer\",\"amount_fen\":101}");
	assert_differ("{\"service\":\"loan\"}", "{\"service\":\"loan\",\"amount_fen\":1}");
	assert_differ("{\"service\":\"loan\",\"flags\":{\"vip\":true}}",
	    "{\"service\":\"loan\",\"flags\":{\"vip\":false}}");
	assert_differ("{\"service\":\"loan\",\"flags\":{\"vip\":true}}",
	    "{\"service\":\"loan\",\"flags\":{\"loose_cash\":true}}");
	assert_differ("{\"service\":\"loan\",\"note\":\"a\"}",
	    "{\"service\":\"loan\",\"note\":\"a \"}");
	/* an empty text is not an absent one */
	assert_differ("{\"service\":\"loan\",\"note\":\"\"}", "{\"service\":\"loan\"}");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fingerprint_same),
		cmocka_unit_test(test_fingerprint_differs),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
