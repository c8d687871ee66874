/* json_print (src/json.c) against cJSON_PrintUnformatted, which it replaces
 * on the reply path: the same text for every kind of value, except two
 * numbers cJSON gets wrong: whole numbers of 10^15 and more (an exponent,
 * 15 digits) and a fraction that 15 digits only come close to (cJSON's
 * check allows an epsilon: 0.30000000000000004 becomes 0.3). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <cjson/cJSON.h>

#include "branchq.h"

static void
same_as_cjson(const cJSON *tree)
{
	char	*ours = json_print(tree), *theirs = cJSON_PrintUnformatted(tree);

	assert_non_null(theirs);
	assert_string_equal(ours, theirs);
	free(ours);
	cJSON_free(theirs);
}

static void
test_scalars_and_containers(void **state)
{
	cJSON	*o = cJSON_CreateObject(), *a;

	(void)state;
	cJSON_AddNullToObject(o, "null");
	cJSON_AddTrueToObject(o, "true");
	cJSON_AddFalseToObject(o, "false");
	cJSON_AddStringToObject(o, "empty", "");
	cJSON_AddStringToObject(o, "text", "A001 \xe5\x8f\xb0 caf\xc3\xa9");
	cJSON_AddArrayToObject(o, "no_items");
	cJSON_AddObjectToObject(o, "no_fields");
	a = cJSON_AddArrayToObject(o, "mixed");
	cJSON_AddItemToArray(a, cJSON_CreateNumber(1));
	cJSON_AddItemToArray(a, cJSON_CreateString("two"));
	cJSON_AddItemToArray(a, cJSON_CreateNull());
	cJSON_AddItemToArray(a, cJSON_CreateObject());
	cJSON_AddItemToArray(a, cJSON_CreateArray());
	cJSON_AddItemToObject(o, "raw", cJSON_CreateRaw("9007199254740991"));
	cJSON_AddStringToObject(o, "", "an empty key");
	same_as_cjson(o);
	same_as_cjson(cJSON_GetObjectItem(o, "mixed"));
	cJSON_Delete(o);
}

/* Every byte a string can hold, in values and in keys. */
static void
test_every_byte_escaped_alike(void **state)
{
	char	 s[256], key[4];
	cJSON	*o = cJSON_CreateObject();
	int	 c;

	(void)state;
	for (c = 1; c < 256; c++)
		s[c - 1] = (char)c;
	s[255] = '\0';
	cJSON_AddStringToObject(o, "all", s);
	for (c = 1; c < 128; c++) {
		key[0] = (char)c;
		key[1] = 'k';
		key[2] = '\0';
		cJSON_AddNumberToObject(o, key, c);
	}
	same_as_cjson(o);
	cJSON_Delete(o);
}

static void
test_numbers(void **state)
{
	static const double same[] = {
		0, 1, -1, 42, 3000000, 9000000, 2147483647.0, 2147483648.0, -2147483649.0,
		100000000000000.0, 999999999999999.0, -999999999999999.0,
		0.5, -0.25, 0.1, 1.0 / 3, 2.0 / 3, 1e-7, 123.456, 1e300, -1e-300,
		4.35,
	};
	cJSON	*n;
	char	*line;
	size_t	 i;

	(void)state;
	for (i = 0; i < sizeof same / sizeof same[0]; i++) {
		n = cJSON_CreateNumber(same[i]);
		same_as_cjson(n);
		cJSON_Delete(n);
	}
	/* The difference: whole numbers from 10^15 to 2^53 come out in full. */
	n = cJSON_CreateNumber(1e15);
	line = json_print(n);
	assert_string_equal(line, "1000000000000000");
	free(line);
	cJSON_Delete(n);
	n = cJSON_CreateNumber(-9007199254740991.0);
	line = json_print(n);
	assert_string_equal(line, "-9007199254740991");
	free(line);
	cJSON_Delete(n);
	/* 17 digits where 15 do not read back exactly. */
	n = cJSON_CreateNumber(0.30000000000000004);
	line = json_print(n);
	assert_string_equal(line, "0.30000000000000004");
	assert_true(strtod(line, NULL) == 0.30000000000000004);
	free(line);
	cJSON_Delete(n);
	/* Beyond 2^53: as cJSON would. */
	n = cJSON_CreateNumber(1e20);
	same_as_cjson(n);
	cJSON_Delete(n);
}

static uint64_t	rng = 88172645463325252ull;

static unsigned
next(unsigned bound)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (unsigned)(rng % bound);
}

static cJSON *
random_tree(int depth)
{
	char	 s[24], key[8];
	cJSON	*t;
	double	 d;
	unsigned i, n, k = next(depth > 0 ? 8 : 5);

	switch (k) {
	case 0:
		return cJSON_CreateNull();
	case 1:
		return cJSON_CreateBool(next(2));
	case 2:
		return cJSON_CreateNumber((double)next(2000000) - 1000000);
	case 3:
		/* a fraction that 15 digits hold exactly (test_numbers has the others) */
		do {
			d = ((double)next(1000000) - 500000) / (next(999) + 1);
			snprintf(s, sizeof s, "%1.15g", d);
		} while (strtod(s, NULL) != d);
		return cJSON_CreateNumber(d);
	case 4:
		for (i = 0, n = next(sizeof s); i + 1 < n; i++)
			s[i] = (char)(next(255) + 1);
		s[n > 0 ? n - 1 : 0] = '\0';
		return cJSON_CreateString(s);
	case 5:
	case 6:
		t = cJSON_CreateArray();
		for (n = next(5); n > 0; n--)
			cJSON_AddItemToArray(t, random_tree(depth - 1));
		return t;
	default:
		t = cJSON_CreateObject();
		for (n = next(5); n > 0; n--) {
			snprintf(key, sizeof key, "k%u", n);	/* distinct: Compare finds the first */
			cJSON_AddItemToObject(t, key, random_tree(depth - 1));
		}
		return t;
	}
}

static void
test_random_trees(void **state)
{
	cJSON	*t, *back;
	char	*line;
	int	 i;

	(void)state;
	for (i = 0; i < 2000; i++) {
		t = random_tree(5);
		same_as_cjson(t);
		/* and it reads back as the same tree */
		line = json_print(t);
		assert_non_null(back = cJSON_Parse(line));
		assert_true(cJSON_Compare(t, back, true));
		cJSON_Delete(back);
		free(line);
		cJSON_Delete(t);
	}
}

/* The writer against the printer: the same object, member by member. */
static void
test_writer(void **state)
{
	struct jw	 w;
	cJSON		*raw, *tree = cJSON_CreateObject(), *f;
	char		*ours, *theirs, text[256];
	int		 c;

	(void)state;
	for (c = 1; c < 256; c++)
		text[c - 1] = (char)c;
	text[255] = '\0';
	jw_init(&w);
	jw_open(&w, NULL);
	jw_str(&w, "number", "A001");
	jw_str(&w, "text", text);
	jw_str(&w, "none", NULL);
	jw_int(&w, "zero", 0);
	jw_int(&w, "most", INT64_MAX);
	jw_int(&w, "least", -9007199254740991LL);
	jw_int_or_null(&w, "present", true, 42);
	jw_int_or_null(&w, "absent", false, 42);
	jw_open(&w, "flags");
	jw_bool(&w, "yes", true);
	jw_bool(&w, "no", false);
	jw_close(&w);
	jw_open(&w, "empty");
	jw_close(&w);
	jw_str(&w, "last", "");
	jw_close(&w);
	raw = jw_finish(&w);
	assert_true(cJSON_IsRaw(raw));

	cJSON_AddStringToObject(tree, "number", "A001");
	cJSON_AddStringToObject(tree, "text", text);
	cJSON_AddNullToObject(tree, "none");
	cJSON_AddNumberToObject(tree, "zero", 0);
	cJSON_AddRawToObject(tree, "most", "9223372036854775807");
	cJSON_AddNumberToObject(tree, "least", -9007199254740991.0);
	cJSON_AddNumberToObject(tree, "present", 42);
	cJSON_AddNullToObject(tree, "absent");
	f = cJSON_AddObjectToObject(tree, "flags");
	cJSON_AddTrueToObject(f, "yes");
	cJSON_AddFalseToObject(f, "no");
	cJSON_AddObjectToObject(tree, "empty");
	cJSON_AddStringToObject(tree, "last", "");
	theirs = json_print(tree);
	/* and a raw item prints as its text, inside a tree too */
	ours = json_print(raw);
	assert_string_equal(ours, theirs);
	free(ours);
	f = cJSON_CreateArray();
	cJSON_AddItemToArray(f, raw);
	ours = json_print(f);
	assert_int_equal(ours[0], '[');
	assert_memory_equal(ours + 1, theirs, strlen(theirs));
	free(ours);
	free(theirs);
	cJSON_Delete(f);
	cJSON_Delete(tree);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_scalars_and_containers),
		cmocka_unit_test(test_every_byte_escaped_alike),
		cmocka_unit_test(test_numbers),
		cmocka_unit_test(test_random_trees),
		cmocka_unit_test(test_writer),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
