/*
 * JSON text: printing a cJSON tree as one line, writing an object straight
 * to text for the encoders on the hot path (jw_*), and the encoders that
 * replies and events share (a ticket, a window, the lanes, a complaint).
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

char *
json_print_free(cJSON *r)
{
	char	*line = json_print(r);

	cJSON_Delete(r);
	return line;
}

/* ---- encoders shared by replies and events ---- */

static void
jw_time(struct jw *w, const char *key, int64_t at)
{
	char	buf[BQ_TIME_LEN];

	if (at != 0)
		time_format(at, buf);
	jw_str(w, key, at != 0 ? buf : NULL);
}

cJSON *
json_time(int64_t at)
{
	char	buf[BQ_TIME_LEN];

	if (at == 0)
		return cJSON_CreateNull();
	time_format(at, buf);
	return cJSON_CreateString(buf);
}

static cJSON *
json_int_or_null(bool present, int64_t v)
{
	return present ? cJSON_CreateNumber((double)v) : cJSON_CreateNull();
}

/* Written straight to text: every ticket reply and window carries one. */
cJSON *
json_ticket(const struct queue *q, const struct ticket *t)
{
	return json_ticket_printed(q, t, -1);
}

/* printed: PROTOCOL "Kiosk printers", on ticket.issue's reply; -1: absent. */
cJSON *
json_ticket_printed(const struct queue *q, const struct ticket *t, int printed)
{
	struct jw	 w;
	size_t		 pos = queue_position(q, t);

	jw_init(&w);
	jw_open(&w, NULL);
	jw_str(&w, "number", t->t_number);
	jw_str(&w, "lane", lane_name(t->t_lane));
	jw_str(&w, "route_rule", route_rule_name(t->t_rule));
	jw_str(&w, "status", ticket_status_name(t->t_status));
	jw_int_or_null(&w, "position", pos > 0, (int64_t)pos);
	jw_int_or_null(&w, "estimated_wait_s", pos > 0,
	    pos > 0 ? queue_estimate_wait(q, t) : 0);
	jw_time(&w, "issued_at", t->t_issued_at);
	jw_str(&w, "service", service_name(t->t_service));
	jw_int_or_null(&w, "amount_fen", t->t_amount_fen != 0, t->t_amount_fen);
	jw_open(&w, "flags");
	jw_bool(&w, "loose_cash", t->t_flags.tf_loose_cash);
	jw_bool(&w, "vip", t->t_flags.tf_vip);
	jw_bool(&w, "needs_assistance", t->t_flags.tf_needs_assistance);
	jw_str(&w, "accessibility", accessibility_name(t->t_flags.tf_accessibility));
	jw_close(&w);
	jw_bool(&w, "priority", t->t_priority);
	jw_int_or_null(&w, "window", t->t_window != 0, t->t_window);
	jw_int(&w, "recalls", t->t_recalls);
	jw_time(&w, "called_at", t->t_called_at);
	jw_time(&w, "started_at", t->t_started_at);
	jw_time(&w, "finished_at", t->t_finished_at);
	jw_str(&w, "closed_by", t->t_closed_by_day_end ? "day_end" : NULL);
	if (printed >= 0)
		jw_bool(&w, "printed", printed > 0);
	jw_close(&w);
	return jw_finish(&w);
}

cJSON *
json_window(const struct queue *q, const struct window *w)
{
	cJSON	*o = cJSON_CreateObject(), *lanes;
	int	 i;

	cJSON_AddNumberToObject(o, "window", w->w_no);
	cJSON_AddStringToObject(o, "state", !w->w_open ? "closed" : w->w_paused ? "paused" : "open");
	if (w->w_open) {
		cJSON_AddStringToObject(o, "terminal", w->w_terminal);
		cJSON_AddStringToObject(o, "staff", w->w_staff);
	} else {
		cJSON_AddNullToObject(o, "terminal");
		cJSON_AddNullToObject(o, "staff");
	}
	lanes = cJSON_AddArrayToObject(o, "lanes");
	for (i = 0; i < w->w_nlanes; i++)
		cJSON_AddItemToArray(lanes, cJSON_CreateString(lane_name(w->w_lanes[i])));
	cJSON_AddBoolToObject(o, "accessible", w->w_accessible);
	cJSON_AddItemToObject(o, "current", w->w_current != NULL ?
	    json_ticket(q, w->w_current) : cJSON_CreateNull());
	cJSON_AddItemToObject(o, "opened_at", json_time(w->w_open ? w->w_opened_at : 0));
	return o;
}

cJSON *
json_lanes(const struct queue *q, int64_t now)
{
	cJSON	*o = cJSON_CreateObject(), *l;
	int64_t	 oldest;
	int	 lane;

	for (lane = 0; lane < LANE__COUNT; lane++) {
		l = cJSON_AddObjectToObject(o, lane_name((enum lane)lane));
		oldest = queue_oldest_issued_at(q, (enum lane)lane);
		cJSON_AddNumberToObject(l, "waiting",
		    (double)queue_waiting(q, (enum lane)lane));
		cJSON_AddItemToObject(l, "oldest_wait_s", json_int_or_null(oldest != 0,
		    oldest != 0 && now > oldest ? now - oldest : 0));
		cJSON_AddNumberToObject(l, "open_windows",
		    queue_open_windows(q, (enum lane)lane));
		if (lane == LANE_SELF_SERVICE)
			cJSON_AddNumberToObject(l, "diverted_open", (double)queue_diverted(q));
		else
			cJSON_AddNumberToObject(l, "estimated_wait_s",
			    (double)queue_estimate_join(q, (enum lane)lane));
	}
	return o;
}

static cJSON *
json_str_or_null(const char *s)
{
	return s != NULL && *s != '\0' ? cJSON_CreateString(s) : cJSON_CreateNull();
}

/* DOMAIN §5: reports mask the customer; the owner's own view does not. */
cJSON *
json_complaint(const struct complaint *c, bool masked)
{
	cJSON	*o = cJSON_CreateObject(), *cust;
	char	 buf[128];

	cJSON_AddNumberToObject(o, "id", (double)c->c_id);
	cJSON_AddStringToObject(o, "state", complaint_state_name(c->c_state));
	cJSON_AddBoolToObject(o, "overdue", c->c_overdue);
	cJSON_AddStringToObject(o, "owner", c->c_owner);
	cJSON_AddStringToObject(o, "first_responder", c->c_first_responder);
	cJSON_AddStringToObject(o, "category", complaint_categories[c->c_category]);
	cJSON_AddNumberToObject(o, "severity", c->c_severity);
	cJSON_AddStringToObject(o, "channel", c->c_channel);
	cJSON_AddStringToObject(o, "description", c->c_description);
	cJSON_AddItemToObject(o, "logged_at", json_time(c->c_logged_at));
	cJSON_AddItemToObject(o, "follow_up_due", json_time(c->c_follow_up_due));
	if (*c->c_ticket_number != '\0')
		cJSON_AddStringToObject(o, "ticket", c->c_ticket_number);
	if (*c->c_customer_name != '\0' || *c->c_customer_phone != '\0') {
		cust = cJSON_AddObjectToObject(o, "customer");
		if (masked) {
			mask_name(c->c_customer_name, buf, sizeof buf);
			cJSON_AddItemToObject(cust, "name", json_str_or_null(buf));
			mask_phone(c->c_customer_phone, buf, sizeof buf);
			cJSON_AddItemToObject(cust, "phone", json_str_or_null(buf));
		} else {
			cJSON_AddItemToObject(cust, "name", json_str_or_null(c->c_customer_name));
			cJSON_AddItemToObject(cust, "phone", json_str_or_null(c->c_customer_phone));
		}
	}
	/* Retention erased the customer (and a survey's reason): said so,
	 * not left looking like a complaint logged without one. */
	if (c->c_erased_at != 0)
		cJSON_AddItemToObject(o, "erased_at", json_time(c->c_erased_at));
	cJSON_AddItemToObject(o, "resolution", json_str_or_null(c->c_resolution));
	cJSON_AddItemToObject(o, "root_cause", json_str_or_null(c->c_root_cause >= 0 ?
	    root_causes[c->c_root_cause] : NULL));
	cJSON_AddItemToObject(o, "resolved_at", json_time(c->c_resolved_at));
	cJSON_AddItemToObject(o, "closed_at", json_time(c->c_closed_at));
	cJSON_AddNumberToObject(o, "compensation_fen", (double)c->c_compensation_fen);
	return o;
}

/* ---- replies ---- */

/* cJSON keeps every copy of a repeated name and finds the first: refuse, not guess. */
bool
json_given_twice(const cJSON *obj, const char *name)
{
	const cJSON	*item;
	int		 n = 0;

	cJSON_ArrayForEach(item, obj)
		if (item->string != NULL && strcmp(item->string, name) == 0 && ++n > 1)
			return true;
	return false;
}

/*
 * The request's id, to echo.  A number goes out in the shortest form that
 * reads back as the same double: cJSON prints 15 digits when they come
 * "close enough", which turns the id 9007199254740991 into
 * 9.00719925474099e+15, and the client could not match its reply.
 */
static cJSON *
id_copy(const cJSON *id)
{
	char	buf[40];
	int	prec;

	if (!cJSON_IsNumber(id))
		return cJSON_Duplicate(id, true);
	for (prec = 15; prec < 17; prec++) {
		snprintf(buf, sizeof buf, "%.*g", prec, id->valuedouble);
		if (strtod(buf, NULL) == id->valuedouble)
			return cJSON_CreateRaw(buf);
	}
	snprintf(buf, sizeof buf, "%.17g", id->valuedouble);
	return cJSON_CreateRaw(buf);
}

cJSON *
json_reply_new(const cJSON *id, bool ok)
{
	cJSON	*r = cJSON_CreateObject();

	if (r == NULL)
		fatalx("cJSON_CreateObject: out of memory");
	if (id != NULL)
		cJSON_AddItemToObject(r, "id", id_copy(id));
	cJSON_AddBoolToObject(r, "ok", ok);
	return r;
}

static char *
error_reply(const cJSON *id, enum err_code code, const char *message,
    const struct bq_detail *detail, size_t ndetail)
{
	cJSON	*r = json_reply_new(id, false), *e = cJSON_AddObjectToObject(r, "error"), *o;
	size_t	 i;

	cJSON_AddStringToObject(e, "code", err_code_name(code));
	cJSON_AddStringToObject(e, "message", message);
	if (ndetail == 0)
		return json_print_free(r);
	o = cJSON_AddObjectToObject(e, "detail");
	for (i = 0; i < ndetail; i++) {
		switch (detail[i].d_type) {
		case DT_INT:
			cJSON_AddNumberToObject(o, detail[i].d_key, (double)detail[i].d_int);
			break;
		case DT_STR:
			cJSON_AddStringToObject(o, detail[i].d_key, detail[i].d_str);
			break;
		case DT_NULL:
			cJSON_AddNullToObject(o, detail[i].d_key);
			break;
		}
	}
	return json_print_free(r);
}

char *
json_error_reply(const cJSON *id, enum err_code code, const char *message)
{
	return error_reply(id, code, message, NULL, 0);
}

/* PROTOCOL: error.detail, beside code and message, when the error has facts. */
char *
json_error_reply_detail(const cJSON *id, const struct bq_error *err)
{
	return error_reply(id, err->e_code, err->e_msg, err->e_detail, err->e_ndetail);
}

/* The reply to a request whose change a failed group commit took back. */
char *
json_refusal(const char *line, size_t len, const char *why)
{
	struct bq_error	 err;
	cJSON		*req;
	char		*out;

	bq_unwritable(&err, why, NULL);
	req = cJSON_ParseWithLength(line, len);
	out = json_error_reply(cJSON_IsObject(req) ? cJSON_GetObjectItemCaseSensitive(req, "id") :
	    NULL, err.e_code, err.e_msg);
	cJSON_Delete(req);
	return out;
}
