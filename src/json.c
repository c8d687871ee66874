/*
 * JSON text: printing a cJSON tree as one line, and writing an object
 * straight to text for the encoders on the hot path (jw_*).
 *
 * Printing a cJSON tree as one line.  cJSON_PrintUnformatted() prints every
 * number with "%1.15g" and reads it back with sscanf to check it, and grows
 * its buffer as it goes; on a ticket reply that was a fifth of the daemon's
 * work (docs/PERFORMANCE.md).  This printer writes the same text, except
 * that a whole number is printed in full (cJSON turns 1000000000000000 into
 * 1e+15) and that a fraction is printed with 17 digits when 15 do not
 * read back as the same double.  It keeps no state: the report worker
 * prints with it too.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "branchq.h"

/* A JSON number holds whole numbers exactly up to 2^53. */
#define JSON_EXACT_MAX	9007199254740992.0

static void	jb_string(struct jw *, const char *);
static void	jb_int(struct jw *, int64_t);

/* Bytes a string cannot hold as they are: controls, '"', '\\' and the NUL that ends it. */
static const unsigned char escaped[256] = {
	[0x00] = 1, [0x01] = 1, [0x02] = 1, [0x03] = 1, [0x04] = 1, [0x05] = 1, [0x06] = 1,
	[0x07] = 1, [0x08] = 1, [0x09] = 1, [0x0a] = 1, [0x0b] = 1, [0x0c] = 1, [0x0d] = 1,
	[0x0e] = 1, [0x0f] = 1, [0x10] = 1, [0x11] = 1, [0x12] = 1, [0x13] = 1, [0x14] = 1,
	[0x15] = 1, [0x16] = 1, [0x17] = 1, [0x18] = 1, [0x19] = 1, [0x1a] = 1, [0x1b] = 1,
	[0x1c] = 1, [0x1d] = 1, [0x1e] = 1, [0x1f] = 1, ['"'] = 1, ['\\'] = 1,
};

static void
jb_grow(struct jw *j, size_t more)
{
	size_t	cap = j->w_cap;

	while (cap < j->w_len + more)
		cap *= 2;
	if ((j->w_buf = realloc(j->w_buf, cap)) == NULL)
		fatal("realloc");
	j->w_cap = cap;
}

static inline void
jb_put(struct jw *j, const char *s, size_t n)
{
	if (n > j->w_cap - j->w_len)
		jb_grow(j, n);
	memcpy(j->w_buf + j->w_len, s, n);
	j->w_len += n;
}

static inline void
jb_char(struct jw *j, char c)
{
	if (j->w_len == j->w_cap)
		jb_grow(j, 1);
	j->w_buf[j->w_len++] = c;
}

/* Escaped as cJSON does: the short escapes, \u00XX for other controls. */
static void
jb_string(struct jw *j, const char *s)
{
	const unsigned char	*p = (const unsigned char *)(s != NULL ? s : "");
	const unsigned char	*run;
	char			 esc[8];

	jb_char(j, '"');
	for (;;) {
		for (run = p; !escaped[*p]; p++)
			;
		jb_put(j, (const char *)run, (size_t)(p - run));
		if (*p == '\0')
			break;
		switch (*p) {
		case '"':	jb_put(j, "\\\"", 2); break;
		case '\\':	jb_put(j, "\\\\", 2); break;
		case '\b':	jb_put(j, "\\b", 2); break;
		case '\f':	jb_put(j, "\\f", 2); break;
		case '\n':	jb_put(j, "\\n", 2); break;
		case '\r':	jb_put(j, "\\r", 2); break;
		case '\t':	jb_put(j, "\\t", 2); break;
		default:
			snprintf(esc, sizeof esc, "\\u%04x", *p);
			jb_put(j, esc, 6);
			break;
		}
		p++;
	}
	jb_char(j, '"');
}

static void
jb_int(struct jw *j, int64_t v)
{
	char		 buf[24], *q = buf + sizeof buf;
	uint64_t	 u = v < 0 ? -(uint64_t)v : (uint64_t)v;

	do
		*--q = (char)('0' + u % 10);
	while ((u /= 10) != 0);
	if (v < 0)
		*--q = '-';
	jb_put(j, q, (size_t)(buf + sizeof buf - q));
}

static void
jb_number(struct jw *j, double d)
{
	char		 buf[32];
	int		 n;

	if (isnan(d) || isinf(d)) {
		jb_put(j, "null", 4);
		return;
	}
	if (d == trunc(d) && fabs(d) <= JSON_EXACT_MAX) {
		jb_int(j, (int64_t)d);
		return;
	}
	/* The shortest of 15 or 17 digits that reads back as the same double. */
	n = snprintf(buf, sizeof buf, "%1.15g", d);
	if (strtod(buf, NULL) != d)
		n = snprintf(buf, sizeof buf, "%1.17g", d);
	jb_put(j, buf, (size_t)n);
}

static void
jb_item(struct jw *j, const cJSON *it)
{
	const cJSON	*c;

	switch (it->type & 0xff) {
	case cJSON_False:
		jb_put(j, "false", 5);
		break;
	case cJSON_True:
		jb_put(j, "true", 4);
		break;
	case cJSON_Number:
		jb_number(j, it->valuedouble);
		break;
	case cJSON_String:
		jb_string(j, it->valuestring);
		break;
	case cJSON_Raw:
		if (it->valuestring != NULL) {
			jb_put(j, it->valuestring, strlen(it->valuestring));
			break;
		}
		/* FALLTHROUGH */
	case cJSON_NULL:
	default:
		jb_put(j, "null", 4);
		break;
	case cJSON_Array:
		jb_char(j, '[');
		for (c = it->child; c != NULL; c = c->next) {
			jb_item(j, c);
			if (c->next != NULL)
				jb_char(j, ',');
		}
		jb_char(j, ']');
		break;
	case cJSON_Object:
		jb_char(j, '{');
		for (c = it->child; c != NULL; c = c->next) {
			jb_string(j, c->string);
			jb_char(j, ':');
			jb_item(j, c);
			if (c->next != NULL)
				jb_char(j, ',');
		}
		jb_char(j, '}');
		break;
	}
}

char *
json_print(const cJSON *item)
{
	struct jw	j = { NULL, 0, 512, false };

	if ((j.w_buf = malloc(j.w_cap)) == NULL)
		fatal("malloc");
	jb_item(&j, item);
	jb_char(&j, '\0');
	return j.w_buf;
}

/*
 * Writing an object as text, member by member: no tree, no allocation per
 * member.  The caller passes keys in order; commas are the writer's.
 */
void
jw_init(struct jw *w)
{
	w->w_cap = 512;
	w->w_len = 0;
	w->w_comma = false;
	if ((w->w_buf = malloc(w->w_cap)) == NULL)
		fatal("malloc");
}

/* Keys are the encoders' literals: nothing in them to escape. */
static void
jw_key(struct jw *w, const char *key)
{
	size_t	len;

	if (w->w_comma)
		jb_char(w, ',');
	w->w_comma = true;
	if (key != NULL) {
		len = strlen(key);
		if (len + 3 > w->w_cap - w->w_len)
			jb_grow(w, len + 3);
		w->w_buf[w->w_len++] = '"';
		memcpy(w->w_buf + w->w_len, key, len);
		w->w_len += len;
		w->w_buf[w->w_len++] = '"';
		w->w_buf[w->w_len++] = ':';
	}
}

void
jw_open(struct jw *w, const char *key)
{
	jw_key(w, key);
	jb_char(w, '{');
	w->w_comma = false;
}

void
jw_close(struct jw *w)
{
	jb_char(w, '}');
	w->w_comma = true;
}

void
jw_str(struct jw *w, const char *key, const char *v)
{
	jw_key(w, key);
	if (v != NULL)
		jb_string(w, v);
	else
		jb_put(w, "null", 4);
}

void
jw_int(struct jw *w, const char *key, int64_t v)
{
	jw_key(w, key);
	jb_int(w, v);
}

void
jw_int_or_null(struct jw *w, const char *key, bool present, int64_t v)
{
	if (present)
		jw_int(w, key, v);
	else
		jw_str(w, key, NULL);
}

void
jw_bool(struct jw *w, const char *key, bool v)
{
	jw_key(w, key);
	jb_put(w, v ? "true" : "false", v ? 4 : 5);
}

/* The text as a raw cJSON item, which the printer copies as it is. */
cJSON *
jw_finish(struct jw *w)
{
	cJSON	*raw;

	jb_char(w, '\0');
	if ((raw = cJSON_CreateRaw("")) == NULL)
		fatalx("cJSON_CreateRaw: out of memory");
	cJSON_free(raw->valuestring);
	raw->valuestring = w->w_buf;	/* cJSON_Delete frees it with free() */
	w->w_buf = NULL;
	return raw;
}
