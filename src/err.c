/*
 * The error every layer returns to the one above it: a protocol error code
 * and a message that names the field.  A leaf: it calls nothing of ours.
 */
#include <stdio.h>

#include "branchq.h"

static const char *const err_code_names[ERR__COUNT] = {
	[ERR_NONE] = "none",
	[ERR_BAD_JSON] = "bad_json",
	[ERR_BAD_REQUEST] = "bad_request",
	[ERR_UNKNOWN_OP] = "unknown_op",
	[ERR_UNAUTHENTICATED] = "unauthenticated",
	[ERR_FORBIDDEN] = "forbidden",
	[ERR_NOT_FOUND] = "not_found",
	[ERR_CONFLICT] = "conflict",
	[ERR_OVER_AUTHORITY] = "over_authority",
	[ERR_LINE_TOO_LONG] = "line_too_long",
	[ERR_UNAVAILABLE] = "unavailable",
	[ERR_INTERNAL] = "internal",
	[ERR_METHOD_NOT_ALLOWED] = "method_not_allowed",
	[ERR_TOO_LARGE] = "too_large",
	[ERR_UNSUPPORTED_MEDIA_TYPE] = "unsupported_media_type",
	[ERR_TIMEOUT] = "timeout",
};

const char *
err_code_name(enum err_code code)
{
	return code < ERR__COUNT ? err_code_names[code] : "internal";
}

int
bq_fail(struct bq_error *err, enum err_code code, const char *fmt, ...)
{
	va_list	ap;

	err->e_code = code;
	err->e_ndetail = 0;
	va_start(ap, fmt);
	vsnprintf(err->e_msg, sizeof err->e_msg, fmt, ap);
	va_end(ap);
	return -1;
}

/* The next value, or NULL past BQ_DETAIL_MAX (the message says it all anyway). */
static struct bq_detail *
detail_add(struct bq_error *err, const char *key, enum detail_type type)
{
	struct bq_detail	*d;

	if (err->e_ndetail >= BQ_DETAIL_MAX)
		return NULL;
	d = &err->e_detail[err->e_ndetail++];
	d->d_key = key;
	d->d_type = type;
	return d;
}

int
bq_detail_int(struct bq_error *err, const char *key, int64_t v)
{
	struct bq_detail	*d = detail_add(err, key, DT_INT);

	if (d != NULL)
		d->d_int = v;
	return -1;
}

int
bq_detail_str(struct bq_error *err, const char *key, const char *v)
{
	struct bq_detail	*d = detail_add(err, key, v != NULL ? DT_STR : DT_NULL);

	if (d != NULL && v != NULL)
		snprintf(d->d_str, sizeof d->d_str, "%s", v);
	return -1;
}

int
bq_unwritable(struct bq_error *err, const char *why, const char *outcome)
{
	return bq_fail(err, ERR_UNAVAILABLE, "the database cannot be written (%s); %s", why,
	    outcome != NULL ? outcome : "nothing was changed");
}
