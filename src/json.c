/*
 * Printing a cJSON tree as one line.  cJSON_PrintUnformatted() prints every
 * number with "%1.15g" and reads it back with sscanf to check it, and grows
 * its buffer as it goes; on a ticket reply that was a fifth of the daemon's
 * work (docs/PERFORMANCE.md).  This printer writes the same text, except
 * that a whole number is printed in full (cJSON turns 1000000000000000 into
 * 1e+15).  It keeps no state: the report worker prints with it too.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "branchq.h"

/* A JSON number holds whole numbers exactly up to 2^53. */
#define JSON_EXACT_MAX	9007199254740992.0

struct jbuf {
	char	*j_buf;
	size_t	 j_len, j_cap;
};

static void
jb_room(struct jbuf *j, size_t more)
{
	size_t	cap = j->j_cap;

	if (j->j_len + more <= j->j_cap)
		return;
	while (cap < j->j_len + more)
		cap *= 2;
	if ((j->j_buf = realloc(j->j_buf, cap)) == NULL)
		fatal("realloc");
	j->j_cap = cap;
}

static void
jb_put(struct jbuf *j, const char *s, size_t n)
{
	jb_room(j, n);
	memcpy(j->j_buf + j->j_len, s, n);
	j->j_len += n;
}

static void
jb_char(struct jbuf *j, char c)
{
	jb_room(j, 1);
	j->j_buf[j->j_len++] = c;
}

/* Escaped as cJSON does: the short escapes, \u00XX for other controls. */
static void
jb_string(struct jbuf *j, const char *s)
{
	const unsigned char	*p = (const unsigned char *)(s != NULL ? s : "");
	const unsigned char	*run;
	char			 esc[8];

	jb_char(j, '"');
	for (;;) {
		for (run = p; *p >= 0x20 && *p != '"' && *p != '\\'; p++)
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
jb_number(struct jbuf *j, double d)
{
	char		 buf[32], *q = buf + sizeof buf;
	unsigned long long u;
	int		 n;

	if (isnan(d) || isinf(d)) {
		jb_put(j, "null", 4);
		return;
	}
	if (d == trunc(d) && fabs(d) <= JSON_EXACT_MAX) {
		u = (unsigned long long)fabs(d);
		do
			*--q = (char)('0' + u % 10);
		while ((u /= 10) != 0);
		if (d < 0)
			*--q = '-';
		jb_put(j, q, (size_t)(buf + sizeof buf - q));
		return;
	}
	/* The shortest of 15 or 17 digits that reads back as the same double. */
	n = snprintf(buf, sizeof buf, "%1.15g", d);
	if (strtod(buf, NULL) != d)
		n = snprintf(buf, sizeof buf, "%1.17g", d);
	jb_put(j, buf, (size_t)n);
}

static void
jb_item(struct jbuf *j, const cJSON *it)
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
	struct jbuf	j = { NULL, 0, 512 };

	if ((j.j_buf = malloc(j.j_cap)) == NULL)
		fatal("malloc");
	jb_item(&j, item);
	jb_char(&j, '\0');
	return j.j_buf;
}
