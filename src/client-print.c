/*
 * Replies for people: any value as one line of text, with nothing from the
 * wire reaching the tty unescaped; a reply as "key: value" lines, a ticket
 * as one line, queue.snapshot as tables (the table code serves the reports
 * in client-report.c too), and an error reply on stderr.
 */
#include <sys/stat.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cJSON.h>

#include "client.h"

const char *const reply_envelope[] = { "ok", "id", NULL };
static const char *const ticket_reply_skip[] = { "ok", "id", "ticket", NULL };
/* What the one-line ticket summary already says. */
static const char *const ticket_summary_keys[] = {
	"number", "lane", "status", "route_rule", "position",
	"estimated_wait_s", "window", "recalls", NULL
};
static const char *const snapshot_keys[] = {
	"ok", "id", "now", "self_service_available", "lanes", "windows", NULL
};

/* ---- text for people: nothing from the wire reaches the tty unescaped ---- */

/*
 * Control bytes (C0, DEL, and C1 in UTF-8) become escapes; with keep_lines,
 * tab, CR and LF stay as they are (CSV quotes them).  Caller frees.
 */
char *
escape_text(const char *s, bool keep_lines)
{
	const unsigned char	*p = (const unsigned char *)s;
	char			*out, *w;

	w = out = xmalloc(strlen(s) * 8 + 1);
	for (; *p != '\0'; p++) {
		if (keep_lines && (*p == '\n' || *p == '\r' || *p == '\t'))
			*w++ = (char)*p;
		else if (*p == '\n')
			w += sprintf(w, "\\n");
		else if (*p == '\t')
			w += sprintf(w, "\\t");
		else if (*p < 0x20 || *p == 0x7f)
			w += sprintf(w, "\\x%02x", *p);
		else if (*p == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f) {
			w += sprintf(w, "\\u%04x", p[1]);
			p++;
		} else
			*w++ = (char)*p;
	}
	*w = '\0';
	return out;
}

/* Text for the terminal: every control byte escaped.  Caller frees. */
char *
escape(const char *s)
{
	return escape_text(s, false);
}

void
number_format(double d, char *buf, size_t len)
{
	if (d > -1e15 && d < 1e15 && (double)(long long)d == d)
		snprintf(buf, len, "%lld", (long long)d);
	else
		snprintf(buf, len, "%.15g", d);
}

/* 540 -> "9m00s", 45 -> "45s", 3725 -> "1h02m05s". */
static void
duration_format(long long s, char *buf, size_t len)
{
	if (s < 60)
		snprintf(buf, len, "%llds", s);
	else if (s < 3600)
		snprintf(buf, len, "%lldm%02llds", s / 60, s % 60);
	else
		snprintf(buf, len, "%lldh%02lldm%02llds", s / 3600,
		    s / 60 % 60, s % 60);
}

bool
is_integer(const cJSON *item)
{
	double	d;

	if (!cJSON_IsNumber(item))
		return false;
	d = item->valuedouble;
	return d > -9e15 && d < 9e15 && (double)(long long)d == d;
}

/*
 * Any value as text.  For the terminal (csv false): one line, "-" for null
 * or missing, "" shown as a pair of quotes.  As data (csv true): null or
 * missing is an empty field and a string keeps its tabs and line breaks.
 * An array or object is its JSON.  Caller frees.
 */
char *
cell_text(const cJSON *item, bool csv)
{
	char	 buf[64], *json, *s;

	if (item == NULL || cJSON_IsNull(item))
		return xstrdup(csv ? "" : "-");
	if (cJSON_IsString(item) && item->valuestring != NULL)
		return !csv && item->valuestring[0] == '\0' ? xstrdup("\"\"") :
		    escape_text(item->valuestring, csv);
	if (cJSON_IsNumber(item)) {
		number_format(item->valuedouble, buf, sizeof buf);
		return xstrdup(buf);
	}
	if (cJSON_IsBool(item))
		return xstrdup(cJSON_IsTrue(item) ? "true" : "false");
	if ((json = cJSON_PrintUnformatted(item)) == NULL)
		return xstrdup(csv ? "" : "?");
	s = escape_text(json, csv);
	cJSON_free(json);
	return s;
}

/* Any value as one line of text; "-" for null or missing.  Caller frees. */
char *
text_of(const cJSON *item)
{
	return cell_text(item, false);
}

/* RFC 3339 (UTC "Z" or an offset) -> time_t; -1 when it is not one. */
time_t
rfc3339_parse(const char *s)
{
	struct tm	 tm;
	int		 n = 0, oh = 0, om = 0;
	time_t		 t;
	const char	*p;

	memset(&tm, 0, sizeof tm);
	if (sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%n", &tm.tm_year, &tm.tm_mon,
	    &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &n) != 6 || n == 0)
		return -1;
	p = s + n;
	if (*p == '.')
		p += 1 + strspn(p + 1, "0123456789");
	if ((*p == '+' || *p == '-') &&
	    sscanf(p + 1, "%2d:%2d", &oh, &om) != 2)
		return -1;
	else if (*p != '+' && *p != '-' && strcmp(p, "Z") != 0 &&
	    strcmp(p, "z") != 0)
		return -1;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	t = timegm(&tm);
	return *p == '-' ? t + (oh * 60 + om) * 60 : t - (oh * 60 + om) * 60;
}

/* ---- local times: the branch's time zone ---- */

static char	zone_name[256];	/* "" until zone_set(): the machine's own */

/*
 * Times print in this IANA zone from now on (setenv TZ): the branch's, as
 * --tz or the daemon's hello says.  -1 when no such zone is installed
 * (the C library would silently take UTC for it).
 */
int
zone_set(const char *name)
{
	char		 path[512];
	const char	*dir = getenv("TZDIR");
	struct stat	 st;

	if (name == NULL || *name == '\0' || strlen(name) >= sizeof zone_name ||
	    strstr(name, "..") != NULL || name[0] == '/')
		return -1;
	if (strcmp(name, "UTC") != 0) {
		snprintf(path, sizeof path, "%s/%s", dir != NULL ? dir : "/usr/share/zoneinfo",
		    name);
		if (stat(path, &st) == -1 || !S_ISREG(st.st_mode))
			return -1;
	}
	setenv("TZ", name, 1);
	tzset();
	snprintf(zone_name, sizeof zone_name, "%s", name);
	return 0;
}

/* The zone local times are in: its name, or the machine's abbreviation. */
const char *
zone_label(void)
{
	static char	abbr[64];
	time_t		now = time(NULL);
	struct tm	tm;

	if (*zone_name != '\0')
		return zone_name;
	localtime_r(&now, &tm);
	if (strftime(abbr, sizeof abbr, "%Z", &tm) == 0)
		snprintf(abbr, sizeof abbr, "local time");
	return abbr;
}

/*
 * A time from the daemon (RFC 3339 UTC) in the zone: LT_TABLE
 * "2026-11-23 09:15", LT_CSV "2026-11-23 09:15:00" (what a spreadsheet
 * reads as a date and time), LT_AS_SENT as it came.  Anything else, null or
 * missing, as text_of().  Caller frees.
 */
char *
time_text(const cJSON *item, enum time_style style)
{
	struct tm	tm;
	time_t		t;
	char		buf[64];

	if (style == LT_AS_SENT || !cJSON_IsString(item) ||
	    (t = rfc3339_parse(item->valuestring)) == -1)
		return text_of(item);
	localtime_r(&t, &tm);
	if (strftime(buf, sizeof buf, style == LT_CSV ? "%Y-%m-%d %H:%M:%S" :
	    "%Y-%m-%d %H:%M", &tm) == 0)
		return text_of(item);
	return xstrdup(buf);
}

/* A duration in seconds as "9m00s"; anything else as text_of().  Caller frees. */
char *
duration_text(const cJSON *item)
{
	char	buf[64];

	if (!cJSON_IsNumber(item) || item->valuedouble < 0 ||
	    item->valuedouble > 9e15)
		return text_of(item);
	duration_format((long long)(item->valuedouble + 0.5), buf, sizeof buf);
	return xstrdup(buf);
}

/*
 * Fen as yuan, "12345" -> "123.45", in integers so no cent is lost to a
 * double; NULL when item is not a whole number.  Caller frees.
 */
char *
yuan_text(const cJSON *item)
{
	long long	v;

	if (!is_integer(item))
		return NULL;
	v = (long long)item->valuedouble;
	return xprintf("%s%lld.%02lld", v < 0 ? "-" : "", llabs(v) / 100,
	    llabs(v) % 100);
}

/* Adds "(CNY 25000.00)" to money and "(9m00s)" to longer durations. */
static char *
value_text(const char *name, const cJSON *item)
{
	char		 dur[64], *plain, *s, *yuan;
	long long	 v;

	plain = text_of(item);
	if (name == NULL || !is_integer(item))
		return plain;
	v = (long long)item->valuedouble;
	if (has_suffix(name, "_fen")) {
		yuan = yuan_text(item);
		s = xprintf("%s (CNY %s)", plain, yuan);
		free(yuan);
	} else if (has_suffix(name, "_s") && v >= 60) {
		duration_format(v, dur, sizeof dur);
		s = xprintf("%s (%s)", plain, dur);
	} else
		return plain;
	free(plain);
	return s;
}

void
put_text(FILE *fp, const cJSON *item)
{
	char	*s = text_of(item);

	fputs(s, fp);
	free(s);
}

/* ---- printing replies ---- */

static void	tree_member(FILE *, const cJSON *, int);

/* Members of obj as "key: value" lines; the first after "- " if dash. */
static int
tree_members(FILE *fp, const cJSON *obj, int indent, bool dash,
    const char *const *skip)
{
	const cJSON	*m;
	int		 n = 0;

	cJSON_ArrayForEach(m, obj) {
		if (m->string == NULL || name_in(m->string, skip))
			continue;
		if (dash && n == 0)
			fprintf(fp, "%*s- ", indent - 2, "");
		else
			fprintf(fp, "%*s", indent, "");
		tree_member(fp, m, indent);
		n++;
	}
	return n;
}

static bool
all_scalars(const cJSON *array)
{
	const cJSON	*item;

	cJSON_ArrayForEach(item, array) {
		if (cJSON_IsArray(item) || cJSON_IsObject(item))
			return false;
	}
	return true;
}

/* The rest of a "key:" line for an array: inline, or "- " items below. */
static void
tree_array(FILE *fp, const cJSON *array, int indent)
{
	const cJSON	*item;
	bool		 first = true;

	if (all_scalars(array)) {
		fputs(array->child == NULL ? " []" : " ", fp);
		cJSON_ArrayForEach(item, array) {
			if (!first)
				fputs(", ", fp);
			put_text(fp, item);
			first = false;
		}
		fputc('\n', fp);
		return;
	}
	fputc('\n', fp);
	cJSON_ArrayForEach(item, array) {
		if (cJSON_IsObject(item) && item->child != NULL)
			tree_members(fp, item, indent + 4, true, NULL);
		else {
			fprintf(fp, "%*s- ", indent + 2, "");
			put_text(fp, item);
			fputc('\n', fp);
		}
	}
}

/* "key: value", or "key:" and what it holds below; indentation done. */
static void
tree_member(FILE *fp, const cJSON *m, int indent)
{
	char	*s;

	s = escape(m->string);
	fprintf(fp, "%s:", s);
	free(s);
	if (cJSON_IsObject(m) && m->child != NULL) {
		fputc('\n', fp);
		tree_members(fp, m, indent + 2, false, NULL);
	} else if (cJSON_IsArray(m))
		tree_array(fp, m, indent);
	else {
		s = value_text(m->string, m);
		fprintf(fp, " %s\n", s);
		free(s);
	}
}

/* "A012  counter  waiting  position 3  est. wait 9m00s  rule over_threshold" */
static void
ticket_summary(FILE *fp, const cJSON *t)
{
	const cJSON	*status = cJSON_GetObjectItemCaseSensitive(t, "status");
	const cJSON	*item;
	char		*s;

	put_text(fp, cJSON_GetObjectItemCaseSensitive(t, "number"));
	if (cJSON_IsString(status) &&
	    strcmp(status->valuestring, "diverted") == 0)
		fputs("  diverted to self-service", fp);
	else {
		fputs("  ", fp);
		put_text(fp, cJSON_GetObjectItemCaseSensitive(t, "lane"));
		fputs("  ", fp);
		put_text(fp, status);
	}
	item = cJSON_GetObjectItemCaseSensitive(t, "position");
	if (item != NULL && !cJSON_IsNull(item)) {
		fputs("  position ", fp);
		put_text(fp, item);
	}
	item = cJSON_GetObjectItemCaseSensitive(t, "estimated_wait_s");
	if (item != NULL && !cJSON_IsNull(item)) {
		s = duration_text(item);
		fprintf(fp, "  est. wait %s", s);
		free(s);
	}
	item = cJSON_GetObjectItemCaseSensitive(t, "window");
	if (item != NULL && !cJSON_IsNull(item)) {
		fputs("  window ", fp);
		put_text(fp, item);
	}
	item = cJSON_GetObjectItemCaseSensitive(t, "recalls");
	if (cJSON_IsNumber(item) && item->valuedouble > 0) {
		fputs("  recalled ", fp);
		put_text(fp, item);
	}
	item = cJSON_GetObjectItemCaseSensitive(t, "route_rule");
	if (item != NULL && !cJSON_IsNull(item)) {
		fputs("  rule ", fp);
		put_text(fp, item);
	}
	fputc('\n', fp);
}

/* A reply with a "ticket": the summary, then the rest indented below. */
static void
ticket_reply_print(FILE *fp, const cJSON *reply, const cJSON *ticket)
{
	if (cJSON_IsNull(ticket))
		fputs("no ticket waiting\n", fp);
	else {
		ticket_summary(fp, ticket);
		tree_members(fp, ticket, 2, false, ticket_summary_keys);
	}
	tree_members(fp, reply, 2, false, ticket_reply_skip);
}

/* ---- tables: queue.snapshot here, the reports in client-report.c ---- */

/* Takes ownership of the cells. */
void
table_add(struct table *tb, char **cells)
{
	size_t	base = tb->tb_rows * (size_t)tb->tb_ncols;

	tb->tb_cell = xrealloc(tb->tb_cell,
	    (base + (size_t)tb->tb_ncols) * sizeof *tb->tb_cell);
	memcpy(tb->tb_cell + base, cells, (size_t)tb->tb_ncols * sizeof *cells);
	tb->tb_rows++;
}

static void
table_row_print(FILE *fp, const struct table *tb, const char *const *row,
    const int *width)
{
	int	c;

	for (c = 0; c < tb->tb_ncols; c++) {
		if (c == tb->tb_ncols - 1 && !tb->tb_right[c])
			fputs(row[c], fp);
		else
			fprintf(fp, tb->tb_right[c] ? "%*s" : "%-*s", width[c],
			    row[c]);
		fputs(c == tb->tb_ncols - 1 ? "\n" : "  ", fp);
	}
}

void
table_print(FILE *fp, const struct table *tb)
{
	int	width[TABLE_COLS], c;
	size_t	r, len;

	for (c = 0; c < tb->tb_ncols; c++) {
		width[c] = (int)strlen(tb->tb_head[c]);
		for (r = 0; r < tb->tb_rows; r++) {
			len = strlen(tb->tb_cell[r * (size_t)tb->tb_ncols + c]);
			if (len > (size_t)width[c] && len < 1000)
				width[c] = (int)len;
		}
	}
	table_row_print(fp, tb, tb->tb_head, width);
	for (r = 0; r < tb->tb_rows; r++) {
		table_row_print(fp, tb,
		    (const char *const *)tb->tb_cell + r * (size_t)tb->tb_ncols,
		    width);
	}
}

void
table_free(struct table *tb)
{
	size_t	i;

	for (i = 0; i < tb->tb_rows * (size_t)tb->tb_ncols; i++)
		free(tb->tb_cell[i]);
	free(tb->tb_cell);
}

static void
lane_row_add(struct table *tb, const char *name, const cJSON *lane)
{
	char	*cells[4];

	cells[0] = escape(name);
	cells[1] = text_of(cJSON_GetObjectItemCaseSensitive(lane, "waiting"));
	cells[2] = duration_text(cJSON_GetObjectItemCaseSensitive(lane,
	    "oldest_wait_s"));
	cells[3] = text_of(cJSON_GetObjectItemCaseSensitive(lane,
	    "open_windows"));
	table_add(tb, cells);
}

static void
lanes_table_print(FILE *fp, const cJSON *lanes)
{
	struct table	 tb = { 4, { "LANE", "WAITING", "OLDEST WAIT",
			    "OPEN WINDOWS" }, { false, true, true, true },
			    NULL, 0 };
	const cJSON	*lane;
	int		 i;

	/* The lanes in the order a customer meets them, then any others. */
	for (i = 0; lane_names[i] != NULL; i++) {
		lane = cJSON_GetObjectItemCaseSensitive(lanes, lane_names[i]);
		if (lane != NULL)
			lane_row_add(&tb, lane_names[i], lane);
	}
	cJSON_ArrayForEach(lane, lanes) {
		if (lane->string != NULL && !name_in(lane->string, lane_names))
			lane_row_add(&tb, lane->string, lane);
	}
	table_print(fp, &tb);
	table_free(&tb);
}

/* ["counter","vip"] -> "counter,vip".  Caller frees. */
static char *
lanes_text(const cJSON *lanes)
{
	const cJSON	*item;
	char		*s, *part, *joined;

	if (!cJSON_IsArray(lanes) || !all_scalars(lanes))
		return text_of(lanes);
	s = xstrdup("");
	cJSON_ArrayForEach(item, lanes) {
		part = text_of(item);
		joined = xprintf("%s%s%s", s, *s == '\0' ? "" : ",", part);
		free(part);
		free(s);
		s = joined;
	}
	return s;
}

/* The current ticket as "A012 serving".  Caller frees. */
static char *
current_text(const cJSON *current)
{
	char	*number, *status, *s;

	if (!cJSON_IsObject(current))
		return text_of(current);
	number = text_of(cJSON_GetObjectItemCaseSensitive(current, "number"));
	status = text_of(cJSON_GetObjectItemCaseSensitive(current, "status"));
	s = xprintf("%s %s", number, status);
	free(number);
	free(status);
	return s;
}

static void
windows_table_print(FILE *fp, const cJSON *windows)
{
	struct table	 tb = { 5, { "WINDOW", "STAFF", "STATE", "LANES",
			    "CURRENT" }, { true, false, false, false, false },
			    NULL, 0 };
	const cJSON	*w;
	char		*cells[5];

	cJSON_ArrayForEach(w, windows) {
		cells[0] = text_of(cJSON_GetObjectItemCaseSensitive(w, "window"));
		cells[1] = text_of(cJSON_GetObjectItemCaseSensitive(w, "staff"));
		cells[2] = text_of(cJSON_GetObjectItemCaseSensitive(w, "state"));
		cells[3] = lanes_text(cJSON_GetObjectItemCaseSensitive(w,
		    "lanes"));
		cells[4] = current_text(cJSON_GetObjectItemCaseSensitive(w,
		    "current"));
		table_add(&tb, cells);
	}
	if (tb.tb_rows == 0)
		fputs("no windows open\n", fp);
	else
		table_print(fp, &tb);
	table_free(&tb);
}

static bool
is_snapshot(const cJSON *reply)
{
	return cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(reply, "lanes")) &&
	    cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(reply, "windows"));
}

static void
snapshot_print(FILE *fp, const cJSON *reply)
{
	const cJSON	*item;

	if ((item = cJSON_GetObjectItemCaseSensitive(reply, "now")) != NULL) {
		fputs("now: ", fp);
		put_text(fp, item);
		fputc('\n', fp);
	}
	item = cJSON_GetObjectItemCaseSensitive(reply, "self_service_available");
	if (cJSON_IsBool(item)) {
		fprintf(fp, "self-service: %s\n",
		    cJSON_IsTrue(item) ? "available" : "unavailable");
	}
	fputc('\n', fp);
	lanes_table_print(fp, cJSON_GetObjectItemCaseSensitive(reply, "lanes"));
	fputc('\n', fp);
	windows_table_print(fp,
	    cJSON_GetObjectItemCaseSensitive(reply, "windows"));
	tree_members(fp, reply, 0, false, snapshot_keys);
}

static void
ok_print(FILE *fp, const cJSON *reply)
{
	const cJSON	*ticket;

	ticket = cJSON_GetObjectItemCaseSensitive(reply, "ticket");
	if (is_snapshot(reply))
		snapshot_print(fp, reply);
	else if (cJSON_IsObject(ticket) || cJSON_IsNull(ticket))
		ticket_reply_print(fp, reply, ticket);
	else if (tree_members(fp, reply, 0, false, reply_envelope) == 0)
		fputs("ok\n", fp);
}

/* "error: <code>: <message>" on stderr, whatever shape the error has. */
static void
error_print(const cJSON *reply)
{
	const cJSON	*error, *code, *message;
	char		*c, *m;

	error = cJSON_GetObjectItemCaseSensitive(reply, "error");
	code = cJSON_GetObjectItemCaseSensitive(error, "code");
	message = cJSON_GetObjectItemCaseSensitive(error, "message");
	fflush(stdout);
	if (!cJSON_IsObject(error)) {
		c = text_of(error);
		fprintf(stderr, "error: %s\n", c);
		free(c);
		return;
	}
	c = cJSON_IsString(code) ? text_of(code) : xstrdup("unknown");
	m = message != NULL ? text_of(message) : xstrdup("(no message)");
	fprintf(stderr, "error: %s: %s\n", c, m);
	free(c);
	free(m);
}

/* A reply we cannot read, named with its first bytes: status 2. */
static int
reply_odd(struct client *cl, const char *what, const char *raw)
{
	char	head[81], *s;

	snprintf(head, sizeof head, "%s", raw);
	s = escape(head);
	cl_warnx("%s sent %s: %s%s", cl->cl_addr, what, s,
	    strlen(raw) >= sizeof head ? "..." : "");
	free(s);
	return CL_EXIT_FAILURE;
}

/* Prints a reply (raw with --json); returns the exit status it means. */
int
reply_print(struct client *cl, const char *raw, const cJSON *reply)
{
	const cJSON	*ok = cJSON_GetObjectItemCaseSensitive(reply, "ok");

	if (cl->cl_json) {
		printf("%s\n", raw);
		fflush(stdout);
	}
	if (!cJSON_IsObject(reply))
		return reply_odd(cl, "a line that is not a JSON object", raw);
	if (!cJSON_IsBool(ok))
		return reply_odd(cl, "a reply without \"ok\"", raw);
	if (cJSON_IsFalse(ok)) {
		if (!cl->cl_json)
			error_print(reply);
		return CL_EXIT_REPLY;
	}
	if (!cl->cl_json) {
		ok_print(stdout, reply);
		fflush(stdout);
	}
	return CL_EXIT_OK;
}
