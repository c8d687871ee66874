/*
 * The fields of a request, checked from the op table's field specs before
 * any handler runs (type, range, the values an enum allows, unknown keys
 * inside objects, a field given twice), and read by the handlers after.
 * Every refusal names the field.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>

#include "branchq.h"

#define JSON_INT_MAX	9007199254740991LL	/* 2^53 - 1: a double holds each integer */


static int	check_fields(const cJSON *, const struct field_spec *, const char *prefix,
		    struct bq_error *);

static void
values_list(const char *const *values, char *buf, size_t len)
{
	size_t	i;

	buf[0] = '\0';
	for (i = 0; values[i] != NULL; i++) {
		if (i > 0)
			strncat(buf, ", ", len - strlen(buf) - 1);
		strncat(buf, values[i], len - strlen(buf) - 1);
	}
}

static int
value_index(const char *const *values, const char *v)
{
	int	i;

	for (i = 0; values[i] != NULL; i++)
		if (strcmp(values[i], v) == 0)
			return i;
	return -1;
}

/* The bounds an integer field really has: within what a double holds exactly. */
static void
int_bounds(const struct field_spec *fs, int64_t *min, int64_t *max)
{
	*min = fs->fs_min < -JSON_INT_MAX ? -JSON_INT_MAX : fs->fs_min;
	*max = fs->fs_max > JSON_INT_MAX ? JSON_INT_MAX : fs->fs_max;
}

/*
 * A JSON number that is a whole number in [min, max] (1.0 is one).  NaN,
 * infinities (1e400) and -0 are not: no field is a signed zero.  Past 2^53
 * a double no longer holds the number that was sent (2^63 + 1 reads as
 * 2^63, which no int64_t holds), so int_bounds() stops there.
 */
static bool
is_int_in(const cJSON *item, int64_t min, int64_t max)
{
	double	d;

	if (!cJSON_IsNumber(item))
		return false;
	d = item->valuedouble;
	return d >= (double)min && d <= (double)max && d == floor(d) &&
	    !(d == 0 && signbit(d));
}

/* PROTOCOL limits text in characters: count UTF-8 lead bytes. */
static size_t
utf8_chars(const char *s)
{
	size_t	n = 0;

	for (; *s != '\0'; s++)
		n += ((unsigned char)*s & 0xc0) != 0x80;
	return n;
}

static bool
is_ticket_number(const char *s)
{
	size_t	i, n = strlen(s);

	if (n < 4 || n > 10 || strchr("SEAV", s[0]) == NULL || s[0] == '\0')
		return false;
	for (i = 1; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return true;
}

static int
check_list(const cJSON *item, const struct field_spec *fs, const char *name,
    struct bq_error *err)
{
	const cJSON	*el;
	char		 values[256];
	unsigned	 seen = 0;
	int		 i, n = 0;

	values_list(fs->fs_values, values, sizeof values);
	if (!cJSON_IsArray(item))
		goto bad;
	cJSON_ArrayForEach(el, item) {
		if (!cJSON_IsString(el) || (i = value_index(fs->fs_values, el->valuestring)) < 0 ||
		    (seen & (1u << i)))
			goto bad;
		seen |= 1u << i;
		n++;
	}
	if (n < fs->fs_min || n > fs->fs_max)
		goto bad;
	return 0;
bad:
	return bq_fail(err, ERR_BAD_REQUEST,
	    "%s: must be an array of %lld to %lld distinct values from: %s", name,
	    (long long)fs->fs_min, (long long)fs->fs_max, values);
}

static int
check_field(const cJSON *item, const struct field_spec *fs, const char *name,
    struct bq_error *err)
{
	char	values[256];
	size_t	len;
	int64_t	min, max;

	switch (fs->fs_type) {
	case FT_STRING:
		if (cJSON_IsString(item)) {
			len = utf8_chars(item->valuestring);
			if ((int64_t)len >= fs->fs_min && (int64_t)len <= fs->fs_max)
				return 0;
		}
		return bq_fail(err, ERR_BAD_REQUEST,
		    "%s: must be a string of %lld to %lld characters", name,
		    (long long)fs->fs_min, (long long)fs->fs_max);
	case FT_INT:
		int_bounds(fs, &min, &max);
		if (is_int_in(item, min, max))
			return 0;
		return bq_fail(err, ERR_BAD_REQUEST, "%s: must be an integer from %lld to %lld",
		    name, (long long)min, (long long)max);
	case FT_BOOL:
		if (cJSON_IsBool(item))
			return 0;
		return bq_fail(err, ERR_BAD_REQUEST, "%s: must be true or false", name);
	case FT_ENUM:
		if (cJSON_IsString(item) && value_index(fs->fs_values, item->valuestring) >= 0)
			return 0;
		values_list(fs->fs_values, values, sizeof values);
		return bq_fail(err, ERR_BAD_REQUEST, "%s: must be one of %s", name, values);
	case FT_ENUM_LIST:
	case FT_TOPIC_LIST:
		return check_list(item, fs, name, err);
	case FT_NUMBER:
		if (cJSON_IsString(item) && is_ticket_number(item->valuestring))
			return 0;
		return bq_fail(err, ERR_BAD_REQUEST,
		    "%s: must be a ticket number: a lane letter (S, E, A, V) and 3 to 9 digits, "
		    "such as A012", name);
	case FT_OBJECT:
		if (!cJSON_IsObject(item))
			return bq_fail(err, ERR_BAD_REQUEST, "%s: must be an object", name);
		return check_fields(item, fs->fs_fields, name, err);
	}
	fatalx("check_field: field type %d", fs->fs_type);
}

static const struct field_spec *
spec_find(const struct field_spec *fields, const char *name)
{
	for (; fields != NULL && fields->fs_name != NULL; fields++)
		if (strcmp(fields->fs_name, name) == 0)
			return fields;
	return NULL;
}

/*
 * Top-level unknown keys are ignored (terminals may send more than we
 * know); inside an object field they are refused, so that a misspelt flag
 * is not silently dropped.
 */
static int
check_fields(const cJSON *obj, const struct field_spec *fields, const char *prefix,
    struct bq_error *err)
{
	const struct field_spec	*fs;
	const cJSON		*item;
	const char		*name;
	char			 path[128];

	if (prefix != NULL) {
		cJSON_ArrayForEach(item, obj) {
			if (spec_find(fields, item->string) == NULL)
				return bq_fail(err, ERR_BAD_REQUEST, "%s.%.64s: unknown field",
				    prefix, item->string);
		}
	}
	for (fs = fields; fs != NULL && fs->fs_name != NULL; fs++) {
		/* A top-level field is its own name: no copy for each field of
		 * each request (an snprintf is most of a field's check). */
		name = fs->fs_name;
		if (prefix != NULL) {
			snprintf(path, sizeof path, "%s.%s", prefix, fs->fs_name);
			name = path;
		}
		if (json_given_twice(obj, fs->fs_name))
			return bq_fail(err, ERR_BAD_REQUEST, "%s: given more than once", name);
		item = cJSON_GetObjectItemCaseSensitive(obj, fs->fs_name);
		if (item == NULL || cJSON_IsNull(item)) {
			if (fs->fs_required)
				return bq_fail(err, ERR_BAD_REQUEST, "%s: is required", name);
			continue;
		}
		if (check_field(item, fs, name, err) == -1)
			return -1;
	}
	return 0;
}

/* ---- argument access for handlers ---- */

const cJSON *
arg_item(const struct op_ctx *x, const char *name)
{
	const cJSON	*item = cJSON_GetObjectItemCaseSensitive(x->x_req, name);

	return cJSON_IsNull(item) ? NULL : item;
}

const char *
arg_str(const struct op_ctx *x, const char *name)
{
	const cJSON	*item = arg_item(x, name);

	return cJSON_IsString(item) ? item->valuestring : NULL;
}

int64_t
arg_int(const struct op_ctx *x, const char *name, int64_t absent)
{
	const cJSON	*item = arg_item(x, name);

	/* Validated fields are in range; anything else must not make the cast undefined. */
	if (!cJSON_IsNumber(item) || !(fabs(item->valuedouble) <= (double)JSON_INT_MAX))
		return absent;
	return (int64_t)item->valuedouble;
}

bool
arg_bool(const struct op_ctx *x, const char *name, bool absent)
{
	const cJSON	*item = arg_item(x, name);

	return cJSON_IsBool(item) ? cJSON_IsTrue(item) : absent;
}

int
arg_enum(const struct op_ctx *x, const char *name, const char *const *values)
{
	const char	*v = arg_str(x, name);

	return v != NULL ? value_index(values, v) : -1;
}

int
fields_check(const cJSON *req, const struct field_spec *fields, struct bq_error *err)
{
	return check_fields(req, fields, NULL, err);
}


/* ---- the fingerprint of a request (PROTOCOL 1.1 request_key) ---- */

static cJSON *
fields_values(const cJSON *obj, const struct field_spec *fields, const char *skip)
{
	const struct field_spec	*fs;
	const cJSON		*item;
	cJSON			*list = cJSON_CreateArray();

	for (fs = fields; fs != NULL && fs->fs_name != NULL; fs++) {
		if (skip != NULL && strcmp(fs->fs_name, skip) == 0)
			continue;
		item = cJSON_GetObjectItemCaseSensitive(obj, fs->fs_name);
		if (item == NULL || cJSON_IsNull(item))
			cJSON_AddItemToArray(list, cJSON_CreateNull());
		else if (fs->fs_type == FT_OBJECT)
			cJSON_AddItemToArray(list, fields_values(item, fs->fs_fields, NULL));
		else
			cJSON_AddItemToArray(list, cJSON_Duplicate(item, true));
	}
	return list;
}

/*
 * The checked fields only, in the table's order, objects by their own
 * specs: members in another order, unknown fields, 1.0 for 1 or a null for
 * an absent field make the same text, which json_print() writes the same
 * way every time.
 */
void
fields_fingerprint(const cJSON *req, const struct field_spec *fields, const char *skip,
    char out[FINGERPRINT_LEN + 1])
{
	unsigned char	 h[32];
	char		*text = json_print_free(fields_values(req, fields, skip));
	size_t		 i;

	sha256(text, strlen(text), h);
	free(text);
	for (i = 0; i < sizeof h; i++)
		snprintf(out + 2 * i, 3, "%02x", h[i]);
}
