/*
 * branchq report: report.followups, report.summary and report.compensation
 * for a supervisor, as tables (the default), the raw reply or CSV, and the
 * subcommand's options.  Times are local (the branch's zone: client-print.c
 * zone_set) unless --utc; durations read one way everywhere ("1h02m05s").
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>

#include "client.h"

/* ---- report: supervisor reports as tables or CSV ---- */

/* The member of obj named name (NULL-safe shorthand). */
static const cJSON *
member(const cJSON *obj, const char *name)
{
	return cJSON_GetObjectItemCaseSensitive(obj, name);
}

/* Prints the table, or none when it has no row; frees it. */
static void
table_finish(FILE *fp, struct table *tb, const char *none)
{
	if (tb->tb_rows == 0)
		fputs(none, fp);
	else
		table_print(fp, tb);
	table_free(tb);
}

/* A share 0..1 as "87.5%"; anything else as text_of().  Caller frees. */
static char *
rate_text(const cJSON *item)
{
	if (!cJSON_IsNumber(item))
		return text_of(item);
	return xprintf("%.1f%%", item->valuedouble * 100);
}

/* How long a complaint is overdue, "-" when it is not.  Caller frees. */
static char *
overdue_text(const cJSON *c)
{
	if (!cJSON_IsTrue(member(c, "overdue")))
		return xstrdup("-");
	return duration_text(member(c, "overdue_s"));
}
/* The masked customer as "张* 138****5678"; "-" when none.  Caller frees. */
static char *
customer_text(const cJSON *customer)
{
	const cJSON	*name = member(customer, "name");
	const cJSON	*phone = member(customer, "phone");
	char		*n, *p, *s;

	if (!cJSON_IsObject(customer))
		return text_of(customer);
	n = text_of(name);
	p = text_of(phone);
	if (cJSON_IsNull(phone) || phone == NULL)
		s = xstrdup(n);
	else if (cJSON_IsNull(name) || name == NULL)
		s = xstrdup(p);
	else
		s = xprintf("%s %s", n, p);
	free(n);
	free(p);
	return s;
}

/* The time style of a report: local for people and spreadsheets, or as sent. */
static enum time_style
style_of(const struct report *rp)
{
	return rp->rp_utc ? LT_AS_SENT : rp->rp_format == RF_CSV ? LT_CSV : LT_TABLE;
}

/* "times in Asia/Shanghai", or nothing with --utc (they say Z). */
static void
zone_note(FILE *fp, const struct report *rp)
{
	if (!rp->rp_utc)
		fprintf(fp, " (times in %s)", zone_label());
}

/* "A003 (11-23)": a ticket number with the day it names.  Caller frees. */
static char *
ticket_text(const cJSON *c)
{
	const cJSON	*date = member(c, "ticket_date");
	char		*n = text_of(member(c, "ticket")), *s;

	if (!cJSON_IsString(date) || strlen(date->valuestring) != 10)
		return n;
	s = xprintf("%s (%s)", n, date->valuestring + 5);
	free(n);
	return s;
}

/* "unreachable 2026-11-24 09:30", "-" before the first.  Caller frees. */
static char *
last_contact_text(const cJSON *last, enum time_style style)
{
	char	*o, *t, *s;

	if (!cJSON_IsObject(last))
		return xstrdup("-");
	o = text_of(member(last, "outcome"));
	t = time_text(member(last, "at"), style);
	s = xprintf("%s %s", o, t);
	free(o);
	free(t);
	return s;
}

/* "other (survey 3)" for a case a survey opened.  Caller frees. */
static char *
category_text(const cJSON *c)
{
	const cJSON	*score = member(c, "survey_score");
	char		*cat = text_of(member(c, "category")), *n, *s;

	if (score == NULL)
		return cat;
	n = text_of(score);
	s = xprintf("%s (survey %s)", cat, n);
	free(cat);
	free(n);
	return s;
}

/*
 * "follow-ups (open) at 2026-11-25 12:00: 3 complaints (times in
 * Asia/Shanghai)", the counts and the on-time rate, then each owner's load.
 */
static void
followups_header_print(FILE *fp, const cJSON *reply, const struct report *rp)
{
	const cJSON	*sum = member(reply, "summary"), *list, *o;
	char		*a, *b, *c, *d;
	int		 shown;

	list = member(reply, "complaints");
	shown = cJSON_IsArray(list) ? cJSON_GetArraySize(list) : 0;
	a = text_of(member(reply, "status"));
	b = time_text(member(reply, "now"), style_of(rp));
	c = text_of(member(reply, "total"));
	fprintf(fp, "follow-ups (%s) at %s: %s complaint%s", a, b, c,
	    strcmp(c, "1") == 0 ? "" : "s");
	if (!is_integer(member(reply, "total")) ||
	    member(reply, "total")->valuedouble != shown)
		fprintf(fp, ", %d shown", shown);
	zone_note(fp, rp);
	fputc('\n', fp);
	free(a);
	free(b);
	free(c);

	a = text_of(member(sum, "open"));
	b = text_of(member(sum, "overdue"));
	c = text_of(member(sum, "due_soon"));
	d = rate_text(member(sum, "on_time_rate"));
	fprintf(fp, "open %s  overdue %s  due within 4h %s  on-time rate %s", a,
	    b, c, d);
	free(a);
	free(b);
	free(c);
	free(d);
	a = text_of(member(sum, "on_time"));
	b = text_of(member(sum, "late"));
	fprintf(fp, " (%s on time, %s late)\n", a, b);
	free(a);
	free(b);

	fputs("by owner:", fp);
	shown = 0;
	cJSON_ArrayForEach(o, member(sum, "by_owner")) {
		if (o->string == NULL)
			continue;
		a = escape(o->string);
		b = text_of(member(o, "open"));
		c = text_of(member(o, "overdue"));
		fprintf(fp, "%s %s %s open, %s overdue", shown++ > 0 ? ";" : "",
		    a, b, c);
		free(a);
		free(b);
		free(c);
	}
	fputs(shown == 0 ? " none\n" : "\n", fp);
}

/* The header, then one row per complaint in the daemon's order (by due). */
static void
followups_table_print(FILE *fp, const cJSON *reply, const struct report *rp)
{
	struct table	 tb = { 11, { "ID", "OWNER", "FIRST RESP", "SEV",
			    "CATEGORY", "STATE", "DUE", "OVERDUE", "LAST CONTACT",
			    "TICKET", "CUSTOMER" }, { true, false, false, true,
			    false, false, false, true, false, false, false }, NULL, 0 };
	const cJSON	*c;
	char		*cells[11];

	followups_header_print(fp, reply, rp);
	cJSON_ArrayForEach(c, member(reply, "complaints")) {
		cells[0] = text_of(member(c, "id"));
		cells[1] = text_of(member(c, "owner"));
		cells[2] = text_of(member(c, "first_responder"));
		cells[3] = text_of(member(c, "severity"));
		cells[4] = category_text(c);
		cells[5] = text_of(member(c, "state"));
		cells[6] = time_text(member(c, "follow_up_due"), style_of(rp));
		cells[7] = overdue_text(c);
		cells[8] = last_contact_text(member(c, "last_followup"), style_of(rp));
		cells[9] = ticket_text(c);
		cells[10] = customer_text(member(c, "customer"));
		table_add(&tb, cells);
	}
	fputc('\n', fp);
	table_finish(fp, &tb, "no complaints\n");
}

/*
 * "self_service: 1  express: 0" ("none" if sparse and all 0); each value
 * through show (text_of when NULL).  Caller frees.
 */
static char *
counts_text(const cJSON *counts, bool sparse, char *(*show)(const cJSON *))
{
	const cJSON	*m;
	char		*s = xstrdup(""), *k, *v, *joined;

	cJSON_ArrayForEach(m, counts) {
		if (m->string == NULL || (sparse && cJSON_IsNumber(m) &&
		    m->valuedouble == 0))
			continue;
		k = escape(m->string);
		v = show != NULL ? show(m) : text_of(m);
		joined = xprintf("%s%s%s: %s", s, *s == '\0' ? "" : "  ", k, v);
		free(k);
		free(v);
		free(s);
		s = joined;
	}
	if (*s == '\0') {
		free(s);
		s = xstrdup("none");
	}
	return s;
}

/* "  label          value"; takes value. */
static void
figure_print(FILE *fp, const char *label, char *value)
{
	fprintf(fp, "  %-15s%s\n", label, value);
	free(value);
}

/* "Tickets: 12" after a blank line; takes value. */
static void
heading_print(FILE *fp, const char *title, char *value)
{
	fprintf(fp, "\n%s: %s\n", title, value);
	free(value);
}

/* cells[0..3]: mean, p50, p90 and max of a statistics object, as durations. */
static void
stats_cells(char **cells, const cJSON *stats)
{
	cells[0] = duration_text(member(stats, "mean"));
	cells[1] = duration_text(member(stats, "p50"));
	cells[2] = duration_text(member(stats, "p90"));
	cells[3] = duration_text(member(stats, "max"));
}

/* A table of duration statistics, one row per lane. */
static void
stats_table_print(FILE *fp, const char *first, const cJSON *rows)
{
	struct table	 tb = { 7, { first, "COUNT", "MEAN", "P50", "P90", "MAX",
			    "WITHIN TARGET" }, { false, true, true, true, true, true,
			    true }, NULL, 0 };
	const cJSON	*r;
	char		*cells[7];

	cJSON_ArrayForEach(r, rows) {
		if (r->string == NULL)
			continue;
		cells[0] = escape(r->string);
		cells[1] = text_of(member(r, "count"));
		stats_cells(cells + 2, r);
		cells[6] = rate_text(member(r, "within_target"));
		table_add(&tb, cells);
	}
	table_finish(fp, &tb, "  none\n");
}

/*
 * Per teller: calls, served, no-shows, service time, and their window's
 * open time as serving, paused and idle; then service time by service.
 */
static void
staff_tables_print(FILE *fp, const cJSON *staff)
{
	struct table	 tb = { 9, { "STAFF", "CALLED", "SERVED", "NO-SHOWS",
			    "SERVICE MEAN", "SERVICE P90", "SERVING", "PAUSED", "IDLE" },
			    { false, true, true, true, true, true, true, true, true },
			    NULL, 0 };
	struct table	 bs = { 7, { "STAFF", "SERVICE", "COUNT", "MEAN", "P50",
			    "P90", "MAX" }, { false, false, true, true, true, true,
			    true }, NULL, 0 };
	const cJSON	*r, *sv;
	char		*cells[9];

	cJSON_ArrayForEach(r, staff) {
		if (r->string == NULL)
			continue;
		cells[0] = escape(r->string);
		cells[1] = text_of(member(r, "called"));
		cells[2] = text_of(member(r, "served"));
		cells[3] = text_of(member(r, "no_shows"));
		cells[4] = duration_text(member(r, "mean"));
		cells[5] = duration_text(member(r, "p90"));
		cells[6] = duration_text(member(r, "serving_s"));
		cells[7] = duration_text(member(r, "paused_s"));
		cells[8] = duration_text(member(r, "idle_s"));
		table_add(&tb, cells);
		cJSON_ArrayForEach(sv, member(r, "by_service")) {
			if (sv->string == NULL)
				continue;
			cells[0] = escape(r->string);
			cells[1] = escape(sv->string);
			cells[2] = text_of(member(sv, "count"));
			stats_cells(cells + 3, sv);
			table_add(&bs, cells);
		}
	}
	table_finish(fp, &tb, "  none\n");
	if (bs.tb_rows > 0)
		fputs("\nService time by service:\n", fp);
	table_finish(fp, &bs, "");
}

/* Whether anyone answered: with no answer the daemon's score is 0, which
 * is no score, not a score of 0. */
static bool
nps_answered(const cJSON *nps)
{
	const cJSON	*n = member(nps, "responses");

	return !cJSON_IsNumber(n) || n->valuedouble != 0;
}

/* NPS as "20" or "33.3" (a number from -100 to 100); "-" with no answer.
 * Caller frees. */
static char *
score_text(const cJSON *nps)
{
	const cJSON	*item = member(nps, "score");

	if (!nps_answered(nps))
		return xstrdup("-");
	if (!cJSON_IsNumber(item) || is_integer(item))
		return text_of(item);
	return xprintf("%.1f", item->valuedouble);
}

/* Money as "123.45".  Caller frees. */
static char *
yuan_plain(const cJSON *fen)
{
	char	*yuan = yuan_text(fen);

	return yuan != NULL ? yuan : text_of(fen);
}

/* Money as "CNY 123.45".  Caller frees. */
static char *
yuan_or_text(const cJSON *fen)
{
	char	*yuan, *s;

	if ((yuan = yuan_text(fen)) == NULL)
		return text_of(fen);
	s = xprintf("CNY %s", yuan);
	free(yuan);
	return s;
}

/* Compensation as "CNY 123.45 (12345 fen)".  Caller frees. */
static char *
compensation_text(const cJSON *fen)
{
	char	*yuan, *plain, *s;

	if ((yuan = yuan_text(fen)) == NULL)
		return text_of(fen);
	plain = text_of(fen);
	s = xprintf("CNY %s (%s fen)", yuan, plain);
	free(yuan);
	free(plain);
	return s;
}

static void
diversion_print(FILE *fp, const cJSON *o)
{
	const cJSON	*total = member(o, "rerouted_total");
	char		*n, *why;

	heading_print(fp, "Diversion to self-service", rate_text(member(o,
	    "rate")));
	figure_print(fp, "eligible", text_of(member(o, "eligible")));
	figure_print(fp, "diverted", text_of(member(o, "diverted")));
	n = text_of(total);
	if (cJSON_IsNumber(total) && total->valuedouble == 0)
		figure_print(fp, "rerouted back", n);
	else {
		why = counts_text(member(o, "rerouted"), true, NULL);
		figure_print(fp, "rerouted back", xprintf("%s (%s)", n, why));
		free(n);
		free(why);
	}
	figure_print(fp, "not diverted", counts_text(member(o, "kept_at_counter"), true,
	    NULL));
	figure_print(fp, "unused", text_of(member(o, "unused")));
	figure_print(fp, "left a queue", text_of(member(o, "left_queue")));
	figure_print(fp, "machines down", duration_text(member(o, "self_service_down_s")));
}

/* The periods of a grouped summary: one row each. */
static void
groups_table_print(FILE *fp, const cJSON *reply, const struct report *rp)
{
	struct table	 tb = { 12, { "FROM", "TICKETS", "SERVED", "NO-SHOWS",
			    "WAITS", "MEAN", "P90", "MAX", "WITHIN TARGET", "ELIGIBLE",
			    "DIVERTED", "RATE" }, { false, true, true, true, true, true,
			    true, true, true, true, true, true }, NULL, 0 };
	const cJSON	*g, *w, *dv;
	char		*cells[12], *from;
	bool		 days = cJSON_IsString(member(reply, "group")) &&
			    strcmp(member(reply, "group")->valuestring, "day") == 0;

	fprintf(fp, "\nBy %s:\n", days ? "day" : "half hour");
	cJSON_ArrayForEach(g, member(reply, "groups")) {
		w = member(g, "waiting");
		dv = member(g, "diversion");
		from = time_text(member(g, "from"), style_of(rp));
		/* A day is its date: its start is the local midnight. */
		if (days && !rp->rp_utc && strlen(from) > 10)
			from[10] = '\0';
		cells[0] = from;
		cells[1] = text_of(member(g, "tickets"));
		cells[2] = text_of(member(g, "served"));
		cells[3] = text_of(member(g, "no_show"));
		cells[4] = text_of(member(w, "count"));
		cells[5] = duration_text(member(w, "mean"));
		cells[6] = duration_text(member(w, "p90"));
		cells[7] = duration_text(member(w, "max"));
		cells[8] = rate_text(member(w, "within_target"));
		cells[9] = text_of(member(dv, "eligible"));
		cells[10] = text_of(member(dv, "diverted"));
		cells[11] = rate_text(member(dv, "rate"));
		table_add(&tb, cells);
	}
	table_finish(fp, &tb, "  none\n");
}

static void
summary_table_print(FILE *fp, const cJSON *reply, const struct report *rp)
{
	const cJSON	*o;
	char		*a, *b, *c, *d;

	a = text_of(member(reply, "from"));
	b = text_of(member(reply, "to"));
	fprintf(fp, "summary %s to %s\n", a, b);
	free(a);
	free(b);
	a = time_text(member(reply, "now"), style_of(rp));
	fprintf(fp, "made %s", a);
	zone_note(fp, rp);
	fputc('\n', fp);
	free(a);

	o = member(reply, "tickets");
	heading_print(fp, "Tickets", text_of(member(o, "total")));
	figure_print(fp, "by lane", counts_text(member(o, "by_lane"), false, NULL));
	figure_print(fp, "by service", counts_text(member(o, "by_service"), true, NULL));
	figure_print(fp, "by status", counts_text(member(o, "by_status"), true, NULL));

	diversion_print(fp, member(reply, "diversion"));

	o = member(reply, "waiting");
	a = duration_text(member(o, "target_wait_s"));
	b = rate_text(member(o, "within_target"));
	fprintf(fp, "\nWaiting (target %s), within target: %s\n", a, b);
	free(a);
	free(b);
	stats_table_print(fp, "LANE", member(o, "by_lane"));

	fputs("\nPer teller (service time: start to completion; window open time: "
	    "serving, paused, idle):\n", fp);
	staff_tables_print(fp, member(member(reply, "service"), "by_staff"));

	o = member(reply, "no_show");
	heading_print(fp, "No-shows", text_of(member(o, "total")));
	figure_print(fp, "by lane", counts_text(member(o, "by_lane"), false, NULL));

	o = member(reply, "complaints");
	heading_print(fp, "Complaints", text_of(member(o, "total")));
	figure_print(fp, "by category", counts_text(member(o, "by_category"), true, NULL));
	figure_print(fp, "by severity", counts_text(member(o, "by_severity"), false, NULL));
	figure_print(fp, "by root cause", counts_text(member(o, "by_root_cause"), true, NULL));
	figure_print(fp, "compensation", compensation_text(member(o, "compensation_fen")));
	figure_print(fp, "by cause (CNY)", counts_text(member(o,
	    "compensation_by_root_cause_fen"), true, yuan_plain));

	o = member(reply, "followups");
	a = text_of(member(o, "on_time"));
	b = text_of(member(o, "late"));
	c = text_of(member(o, "open_overdue"));
	fprintf(fp, "\nFollow-ups: on time %s, late %s; open and overdue %s "
	    "(of the complaints logged in the range)\n", a, b, c);
	free(a);
	free(b);
	free(c);

	o = member(reply, "nps");
	a = score_text(o);
	b = text_of(member(o, "responses"));
	c = text_of(member(o, "promoters"));
	d = text_of(member(o, "passives"));
	fprintf(fp, "\nNPS: %s (responses %s: promoters %s, passives %s, ", a, b,
	    c, d);
	free(a);
	free(b);
	free(c);
	free(d);
	a = text_of(member(o, "detractors"));
	fprintf(fp, "detractors %s)\n", a);
	free(a);

	if (cJSON_IsArray(member(reply, "groups")))
		groups_table_print(fp, reply, rp);
}

/* ---- report compensation ---- */

static void
compensation_table_print(FILE *fp, const cJSON *reply, const struct report *rp)
{
	struct table	 tb = { 6, { "AT", "COMPLAINT", "ACTOR", "AMOUNT", "ROOT CAUSE",
			    "CATEGORY" }, { false, true, false, true, false, false },
			    NULL, 0 };
	const cJSON	*g, *list = member(reply, "grants");
	char		*cells[6], *a, *b, *c;
	int		 shown = cJSON_IsArray(list) ? cJSON_GetArraySize(list) : 0;

	a = text_of(member(reply, "from"));
	b = text_of(member(reply, "to"));
	c = text_of(member(reply, "total"));
	fprintf(fp, "compensation %s to %s: %s grant%s", a, b, c, strcmp(c, "1") == 0 ? "" :
	    "s");
	if (!is_integer(member(reply, "total")) ||
	    member(reply, "total")->valuedouble != shown)
		fprintf(fp, ", %d shown", shown);
	free(a);
	free(b);
	free(c);
	a = compensation_text(member(reply, "total_fen"));
	fprintf(fp, ", %s", a);
	free(a);
	zone_note(fp, rp);
	fputc('\n', fp);
	cJSON_ArrayForEach(g, list) {
		cells[0] = time_text(member(g, "at"), style_of(rp));
		cells[1] = text_of(member(g, "complaint"));
		cells[2] = text_of(member(g, "actor"));
		cells[3] = yuan_or_text(member(g, "amount_fen"));
		cells[4] = text_of(member(g, "root_cause"));
		cells[5] = text_of(member(g, "category"));
		table_add(&tb, cells);
	}
	fputc('\n', fp);
	table_finish(fp, &tb, "no compensation granted\n");
}

/* ---- CSV (RFC 4180): a header row, CRLF line ends ---- */

/* A field, quoted when it holds a comma, a quote, CR or LF. */
void
csv_field(FILE *fp, const char *s)
{
	if (s[strcspn(s, ",\"\r\n")] == '\0') {
		fputs(s, fp);
		return;
	}
	fputc('"', fp);
	for (; *s != '\0'; s++) {
		if (*s == '"')
			fputc('"', fp);
		fputc(*s, fp);
	}
	fputc('"', fp);
}

/* Takes the cells. */
static void
csv_row(FILE *fp, char **cells, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++) {
		if (i > 0)
			fputc(',', fp);
		csv_field(fp, cells[i]);
		free(cells[i]);
	}
	fputs("\r\n", fp);
}

/* The header: the names as they are. */
static void
csv_header(FILE *fp, const char *const *names)
{
	size_t	i;

	for (i = 0; names[i] != NULL; i++) {
		if (i > 0)
			fputc(',', fp);
		fputs(names[i], fp);
	}
	fputs("\r\n", fp);
}

/* A value as data: an empty field for null or missing (cell_text). */
static char *
csv_value(const cJSON *item)
{
	return cell_text(item, true);
}

/* A time as data: local ("2026-11-23 09:15:00") unless --utc; empty if null. */
static char *
csv_time(const cJSON *item, const struct report *rp)
{
	char	*t;

	if (item == NULL || cJSON_IsNull(item))
		return xstrdup("");
	t = time_text(item, style_of(rp));
	return t;
}

static const char *const followups_csv_columns[] = {
	"id", "owner", "first_responder", "severity", "category", "state",
	"overdue", "follow_up_due", "overdue_s", "logged_at", "channel",
	"ticket", "customer_name", "customer_phone", "root_cause",
	"compensation_fen", "resolved_at", "closed_at", "ticket_date",
	"last_followup_at", "last_followup_outcome", "survey_score", NULL
};

/* One row per complaint; customer_name and customer_phone as masked. */
static void
followups_csv_print(FILE *fp, const cJSON *reply, const struct report *rp)
{
	char		*cells[32];
	const char	*col;
	const cJSON	*c;
	size_t		 i;

	csv_header(fp, followups_csv_columns);
	cJSON_ArrayForEach(c, member(reply, "complaints")) {
		for (i = 0; (col = followups_csv_columns[i]) != NULL; i++) {
			if (strcmp(col, "customer_name") == 0)
				cells[i] = csv_value(member(member(c, "customer"), "name"));
			else if (strcmp(col, "customer_phone") == 0)
				cells[i] = csv_value(member(member(c, "customer"), "phone"));
			else if (strcmp(col, "last_followup_at") == 0)
				cells[i] = csv_time(member(member(c, "last_followup"), "at"), rp);
			else if (strcmp(col, "last_followup_outcome") == 0)
				cells[i] = csv_value(member(member(c, "last_followup"),
				    "outcome"));
			else if (has_suffix(col, "_at") || strcmp(col, "follow_up_due") == 0)
				cells[i] = csv_time(member(c, col), rp);
			else
				cells[i] = csv_value(member(c, col));
		}
		csv_row(fp, cells, i);
	}
}

static void
summary_csv_row(FILE *fp, const char *section, const char *key,
    const char *metric, char *value)
{
	char	*cells[4];

	cells[0] = xstrdup(section);
	cells[1] = xstrdup(key);
	cells[2] = xstrdup(metric);
	cells[3] = value;
	csv_row(fp, cells, 4);
}

/* A staff member's service time by service: "E1001/loan" as key. */
static void
service_rows(FILE *fp, const char *section, const char *staff, const cJSON *services)
{
	const cJSON	*sv, *f;
	char		*key;

	cJSON_ArrayForEach(sv, services) {
		if (sv->string == NULL)
			continue;
		key = xprintf("%s/%s", staff, sv->string);
		cJSON_ArrayForEach(f, sv) {
			if (f->string != NULL)
				summary_csv_row(fp, section, key, f->string, csv_value(f));
		}
		free(key);
	}
}

/*
 * section,key,metric,value, one row per figure, in the reply's order:
 * a section's own figures have no key (tickets,,total,12); a breakdown
 * gives a row per member, the member as key and the breakdown as metric
 * (tickets,counter,by_lane,8); statistics per lane or staff give the lane
 * or staff as key and the statistic as metric (waiting,counter,p90,300),
 * a staff member's by service "E1001/loan" as key.  compensation_fen is
 * followed by compensation_yuan (123.45).  The report's own rows first:
 * from, to, branch, timezone, made_at (local unless --utc).
 */
static void
summary_csv_print(FILE *fp, const cJSON *reply, const struct client *cl,
    const struct report *rp)
{
	const cJSON	*sec, *m, *k, *f;
	char		*yuan;

	fputs("section,key,metric,value\r\n", fp);
	summary_csv_row(fp, "report", "", "from", csv_value(member(reply, "from")));
	summary_csv_row(fp, "report", "", "to", csv_value(member(reply, "to")));
	summary_csv_row(fp, "report", "", "branch", xstrdup(cl->cl_branch));
	summary_csv_row(fp, "report", "", "timezone", xstrdup(rp->rp_utc ? "UTC" :
	    zone_label()));
	summary_csv_row(fp, "report", "", "made_at", csv_time(member(reply, "now"), rp));
	cJSON_ArrayForEach(sec, reply) {
		if (sec->string == NULL || name_in(sec->string, reply_envelope) ||
		    strcmp(sec->string, "from") == 0 || strcmp(sec->string, "to") == 0 ||
		    strcmp(sec->string, "now") == 0 || strcmp(sec->string, "groups") == 0)
			continue;
		if (!cJSON_IsObject(sec)) {
			summary_csv_row(fp, "report", "", sec->string, csv_value(sec));
			continue;
		}
		cJSON_ArrayForEach(m, sec) {
			if (m->string == NULL)
				continue;
			if (!cJSON_IsObject(m)) {
				/* No answer is no score: empty, as in the table. */
				if (strcmp(sec->string, "nps") == 0 &&
				    strcmp(m->string, "score") == 0 && !nps_answered(sec))
					summary_csv_row(fp, sec->string, "", m->string,
					    xstrdup(""));
				else
					summary_csv_row(fp, sec->string, "", m->string,
					    csv_value(m));
				if (strcmp(m->string, "compensation_fen") == 0 &&
				    (yuan = yuan_text(m)) != NULL)
					summary_csv_row(fp, sec->string, "",
					    "compensation_yuan", yuan);
				continue;
			}
			cJSON_ArrayForEach(k, m) {
				if (k->string == NULL)
					continue;
				if (!cJSON_IsObject(k)) {
					summary_csv_row(fp, sec->string, k->string, m->string,
					    csv_value(k));
					continue;
				}
				cJSON_ArrayForEach(f, k) {
					if (f->string == NULL)
						continue;
					if (!cJSON_IsObject(f)) {
						summary_csv_row(fp, sec->string, k->string,
						    f->string, csv_value(f));
						continue;
					}
					/* by_service of a staff member */
					service_rows(fp, sec->string, k->string, f);
				}
			}
		}
	}
}

/*
 * A grouped summary as a regional manager opens it: one row per day (or
 * half hour), one column per figure, each row saying the branch, its time
 * zone and when the report was made; times local unless --utc.
 */
static const char *const groups_csv_columns[] = {
	"branch", "timezone", "made_at", "date", "from", "to", "tickets", "served",
	"no_show", "waits", "wait_mean_s", "wait_p50_s", "wait_p90_s", "wait_max_s",
	"within_target", "eligible", "diverted", "rerouted", "diversion_rate", NULL
};

static void
groups_csv_print(FILE *fp, const cJSON *reply, const struct client *cl,
    const struct report *rp)
{
	static const char *const waits[] = { "count", "mean", "p50", "p90", "max",
	    "within_target" };
	static const char *const diversion[] = { "eligible", "diverted",
	    "rerouted_total", "rate" };
	const cJSON	*g;
	char		*cells[32], *made;
	size_t		 n, i;

	csv_header(fp, groups_csv_columns);
	made = csv_time(member(reply, "now"), rp);
	cJSON_ArrayForEach(g, member(reply, "groups")) {
		n = 0;
		cells[n++] = xstrdup(cl->cl_branch);
		cells[n++] = xstrdup(rp->rp_utc ? "UTC" : zone_label());
		cells[n++] = xstrdup(made);
		cells[n] = csv_time(member(g, "from"), rp);
		if (strlen(cells[n]) > 10)	/* the local date the period starts on */
			cells[n][10] = '\0';
		n++;
		cells[n++] = csv_time(member(g, "from"), rp);
		cells[n++] = csv_time(member(g, "to"), rp);
		cells[n++] = csv_value(member(g, "tickets"));
		cells[n++] = csv_value(member(g, "served"));
		cells[n++] = csv_value(member(g, "no_show"));
		for (i = 0; i < sizeof waits / sizeof waits[0]; i++)
			cells[n++] = csv_value(member(member(g, "waiting"), waits[i]));
		for (i = 0; i < sizeof diversion / sizeof diversion[0]; i++)
			cells[n++] = csv_value(member(member(g, "diversion"), diversion[i]));
		csv_row(fp, cells, n);
	}
	free(made);
}

static const char *const compensation_csv_columns[] = {
	"at", "complaint", "actor", "amount_fen", "amount_yuan", "root_cause", "category",
	NULL
};

/* One row per grant, by time. */
static void
compensation_csv_print(FILE *fp, const cJSON *reply, const struct report *rp)
{
	const cJSON	*g;
	char		*cells[8], *yuan;

	csv_header(fp, compensation_csv_columns);
	cJSON_ArrayForEach(g, member(reply, "grants")) {
		cells[0] = csv_time(member(g, "at"), rp);
		cells[1] = csv_value(member(g, "complaint"));
		cells[2] = csv_value(member(g, "actor"));
		cells[3] = csv_value(member(g, "amount_fen"));
		cells[4] = (yuan = yuan_text(member(g, "amount_fen"))) != NULL ? yuan :
		    xstrdup("");
		cells[5] = csv_value(member(g, "root_cause"));
		cells[6] = csv_value(member(g, "category"));
		csv_row(fp, cells, 7);
	}
}

/* ---- report: building and running ---- */

static const char *const report_format_names[] = {
	[RF_TABLE] = "table", [RF_JSON] = "json", [RF_CSV] = "csv", [RF__COUNT] = NULL
};
/* --format's name is the enum's value: a format without one would end the list. */
_Static_assert(sizeof report_format_names / sizeof report_format_names[0] ==
    RF__COUNT + 1, "report_format_names");

static const char *const report_kind_names[] = {
	[RK_FOLLOWUPS] = "followups", [RK_SUMMARY] = "summary",
	[RK_COMPENSATION] = "compensation", [RK__COUNT] = NULL
};
_Static_assert(sizeof report_kind_names / sizeof report_kind_names[0] ==
    RK__COUNT + 1, "report_kind_names");

/* The options with a value, and which report takes which. */
enum report_opt { RO_STATUS, RO_LIMIT, RO_FROM, RO_TO, RO_BY, RO_FORMAT, RO__COUNT };
static const char *const report_opt_names[RO__COUNT] = {
	[RO_STATUS] = "--status", [RO_LIMIT] = "--limit", [RO_FROM] = "--from",
	[RO_TO] = "--to", [RO_BY] = "--by", [RO_FORMAT] = "--format",
};
#define RO(o)	(1u << (o))
static const unsigned report_opts[RK__COUNT] = {
	[RK_FOLLOWUPS] = RO(RO_STATUS) | RO(RO_LIMIT) | RO(RO_FORMAT),
	[RK_SUMMARY] = RO(RO_FROM) | RO(RO_TO) | RO(RO_BY) | RO(RO_FORMAT),
	[RK_COMPENSATION] = RO(RO_FROM) | RO(RO_TO) | RO(RO_LIMIT) | RO(RO_FORMAT),
};

/* "--name value" or "--name=value" at argv[*i]; 1 if it is not --name. */
static int
report_option(const char *name, int argc, char **argv, int *i,
    const char **value, char *err, size_t errlen)
{
	size_t		 len = strlen(name);
	const char	*arg = argv[*i];

	if (strncmp(arg, name, len) != 0 ||
	    (arg[len] != '\0' && arg[len] != '='))
		return 1;
	if (arg[len] == '=')
		*value = arg + len + 1;
	else if (*i + 1 < argc)
		*value = argv[++*i];
	else {
		snprintf(err, errlen, "%s needs a value", name);
		return -1;
	}
	return 0;
}

/* The options after "report KIND": -1 with err on a mistake. */
static int
report_options(int argc, char **argv, struct report *rp, const char **value, char *err,
    size_t errlen)
{
	int	i, o, rc;

	for (i = 2; i < argc; i++) {
		if (strcmp(argv[i], "--bom") == 0 || strcmp(argv[i], "--utc") == 0) {
			*(argv[i][2] == 'b' ? &rp->rp_bom : &rp->rp_utc) = true;
			continue;
		}
		for (o = 0, rc = 1; rc == 1 && o < RO__COUNT; o++)
			if (report_opts[rp->rp_kind] & RO(o))
				rc = report_option(report_opt_names[o], argc, argv, &i,
				    &value[o], err, errlen);
		if (rc == -1)
			return -1;
		if (rc == 1) {
			snprintf(err, errlen, "report %s: unknown %s \"%s\"", argv[1],
			    argv[i][0] == '-' ? "option" : "argument", argv[i]);
			return -1;
		}
	}
	return 0;
}

/* --format, agreeing with --json: -1 with err. */
static int
report_format(const char *value, bool json, struct report *rp, char *err, size_t errlen)
{
	int	f = RF_TABLE;

	if (value != NULL) {
		for (f = 0; report_format_names[f] != NULL &&
		    strcmp(report_format_names[f], value) != 0; f++)
			;
		if (report_format_names[f] == NULL) {
			snprintf(err, errlen, "--format: expected table, json or "
			    "csv, got \"%s\"", value);
			return -1;
		}
		if (json && f != RF_JSON) {
			snprintf(err, errlen, "--json and --format %s disagree", value);
			return -1;
		}
	} else if (json)
		f = RF_JSON;
	rp->rp_format = (enum report_format)f;
	return 0;
}

/* Digits go out as a number, exactly; the daemon checks the range. */
static int
limit_add(cJSON *req, const char *value, char *err, size_t errlen)
{
	if (value == NULL)
		return 0;
	if (value[0] == '\0' || value[strspn(value, "0123456789")] != '\0') {
		snprintf(err, errlen, "--limit: expected a number, got \"%s\"", value);
		return -1;
	}
	cJSON_AddItemToObject(req, "limit", cJSON_CreateRaw(value));
	return 0;
}

/*
 * "report followups [--status S] [--limit N]", "report summary --from DATE
 * [--to DATE] [--by day|half_hour]" or "report compensation --from DATE
 * [--to DATE] [--limit N]", each with [--format F] [--bom] [--utc] (argv[0]
 * is "report"): the request and how to print its reply.  json: --json was
 * given, which is --format json.  -1 with err set on a usage mistake.
 */
int
report_build(int argc, char **argv, bool json, struct report *rp, char *err,
    size_t errlen)
{
	const char	*value[RO__COUNT] = { NULL };
	int		 k;

	memset(rp, 0, sizeof *rp);
	for (k = 0; argc >= 2 && report_kind_names[k] != NULL &&
	    strcmp(argv[1], report_kind_names[k]) != 0; k++)
		;
	if (argc < 2 || report_kind_names[k] == NULL) {
		snprintf(err, errlen, "report: expected followups, summary or "
		    "compensation%s%s", argc < 2 ? "" : ", got ", argc < 2 ? "" : argv[1]);
		return -1;
	}
	rp->rp_kind = (enum report_kind)k;
	if (report_options(argc, argv, rp, value, err, errlen) == -1 ||
	    report_format(value[RO_FORMAT], json, rp, err, errlen) == -1)
		return -1;
	/*
	 * The business date is the branch's, on the daemon's clock, in the
	 * branch's time zone; the client knows neither, so --from is required
	 * and --to is the same day unless given.
	 */
	if (rp->rp_kind != RK_FOLLOWUPS && value[RO_FROM] == NULL) {
		snprintf(err, errlen, "report %s: --from DATE is required (YYYY-MM-DD, a "
		    "business date)", argv[1]);
		return -1;
	}
	if (value[RO_BY] != NULL && strcmp(value[RO_BY], "day") != 0 &&
	    strcmp(value[RO_BY], "half_hour") != 0) {
		snprintf(err, errlen, "--by: expected day or half_hour, got \"%s\"",
		    value[RO_BY]);
		return -1;
	}

	rp->rp_req = cJSON_CreateObject();
	cJSON_AddStringToObject(rp->rp_req, "op", rp->rp_kind == RK_FOLLOWUPS ?
	    "report.followups" : rp->rp_kind == RK_SUMMARY ? "report.summary" :
	    "report.compensation");
	if (value[RO_STATUS] != NULL)
		cJSON_AddStringToObject(rp->rp_req, "status", value[RO_STATUS]);
	if (value[RO_FROM] != NULL) {
		cJSON_AddStringToObject(rp->rp_req, "from", value[RO_FROM]);
		cJSON_AddStringToObject(rp->rp_req, "to", value[RO_TO] != NULL ?
		    value[RO_TO] : value[RO_FROM]);
	}
	if (value[RO_BY] != NULL)
		cJSON_AddStringToObject(rp->rp_req, "group", value[RO_BY]);
	if (limit_add(rp->rp_req, value[RO_LIMIT], err, errlen) == -1) {
		cJSON_Delete(rp->rp_req);
		rp->rp_req = NULL;
		return -1;
	}
	return 0;
}

/* The reply, ok, as the report asked: a table or CSV. */
static void
report_print(FILE *fp, const struct client *cl, const struct report *rp,
    const cJSON *reply)
{
	if (rp->rp_format == RF_CSV && rp->rp_bom)
		fputs("\xEF\xBB\xBF", fp);	/* UTF-8's byte-order mark: Excel reads UTF-8 */
	switch (rp->rp_kind) {
	case RK_FOLLOWUPS:
		if (rp->rp_format == RF_CSV)
			followups_csv_print(fp, reply, rp);
		else
			followups_table_print(fp, reply, rp);
		break;
	case RK_SUMMARY:
		if (rp->rp_format == RF_CSV && cJSON_IsArray(member(reply, "groups")))
			groups_csv_print(fp, reply, cl, rp);
		else if (rp->rp_format == RF_CSV)
			summary_csv_print(fp, reply, cl, rp);
		else
			summary_table_print(fp, reply, rp);
		break;
	default:
		if (rp->rp_format == RF_CSV)
			compensation_csv_print(fp, reply, rp);
		else
			compensation_table_print(fp, reply, rp);
		break;
	}
}

/* Sends the report request and prints the reply: 0, 1, or 2 (*fatal). */
int
report_request(struct client *cl, struct report *rp, bool *fatal)
{
	cJSON	*reply;
	char	*raw;
	bool	 json = cl->cl_json;
	int	 rc;

	*fatal = false;
	if ((rc = client_roundtrip(cl, rp->rp_req, &raw, &reply)) != CL_EXIT_OK) {
		*fatal = true;
		return rc;
	}
	if (rp->rp_format == RF_JSON ||
	    !cJSON_IsTrue(member(reply, "ok")) || !cJSON_IsObject(reply)) {
		/* The raw line, or an error as for any other op. */
		cl->cl_json = json || rp->rp_format == RF_JSON;
		rc = reply_print(cl, raw, reply);
		cl->cl_json = json;
	} else {
		report_print(stdout, cl, rp, reply);
		fflush(stdout);
		rc = CL_EXIT_OK;
	}
	cJSON_Delete(reply);
	return rc;
}
