/*
 * branchq report: report.followups and report.summary for a supervisor, as
 * tables (the default), the raw reply or CSV, and the subcommand's options.
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

/* A share 0..1 as "87.5%"; anything else as text_of().  Caller frees. */
static char *
rate_text(const cJSON *item)
{
	if (!cJSON_IsNumber(item))
		return text_of(item);
	return xprintf("%.1f%%", item->valuedouble * 100);
}

/* 97200 -> "1d 3h", 5400 -> "1h 30m", 300 -> "5m", 45 -> "45s". */
static void
age_format(long long s, char *buf, size_t len)
{
	if (s < 60)
		snprintf(buf, len, "%llds", s);
	else if (s < 3600)
		snprintf(buf, len, "%lldm", s / 60);
	else if (s < 86400)
		snprintf(buf, len, "%lldh %lldm", s / 3600, s / 60 % 60);
	else
		snprintf(buf, len, "%lldd %lldh", s / 86400, s / 3600 % 24);
}

/* How long a complaint is overdue, "-" when it is not.  Caller frees. */
static char *
overdue_text(const cJSON *c)
{
	const cJSON	*s = member(c, "overdue_s");
	char		 buf[64];

	if (!cJSON_IsTrue(member(c, "overdue")))
		return xstrdup("-");
	if (!is_integer(s) || s->valuedouble < 0)
		return text_of(s);
	age_format((long long)s->valuedouble, buf, sizeof buf);
	return xstrdup(buf);
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

/*
 * "follow-ups (open) at 2026-11-23T01:00:00Z: 3 complaints", the counts
 * and the on-time rate, then each owner's load.
 */
static void
followups_header_print(FILE *fp, const cJSON *reply)
{
	const cJSON	*sum = member(reply, "summary"), *list, *o;
	char		*a, *b, *c, *d;
	int		 shown;

	list = member(reply, "complaints");
	shown = cJSON_IsArray(list) ? cJSON_GetArraySize(list) : 0;
	a = text_of(member(reply, "status"));
	b = text_of(member(reply, "now"));
	c = text_of(member(reply, "total"));
	fprintf(fp, "follow-ups (%s) at %s: %s complaint%s", a, b, c,
	    strcmp(c, "1") == 0 ? "" : "s");
	if (!is_integer(member(reply, "total")) ||
	    member(reply, "total")->valuedouble != shown)
		fprintf(fp, ", %d shown", shown);
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
followups_table_print(FILE *fp, const cJSON *reply)
{
	struct table	 tb = { 10, { "ID", "OWNER", "FIRST RESP", "SEV",
			    "CATEGORY", "STATE", "DUE", "OVERDUE", "TICKET",
			    "CUSTOMER" }, { true, false, false, true, false,
			    false, false, true, false, false }, NULL, 0 };
	const cJSON	*c;
	char		*cells[10];

	followups_header_print(fp, reply);
	cJSON_ArrayForEach(c, member(reply, "complaints")) {
		cells[0] = text_of(member(c, "id"));
		cells[1] = text_of(member(c, "owner"));
		cells[2] = text_of(member(c, "first_responder"));
		cells[3] = text_of(member(c, "severity"));
		cells[4] = text_of(member(c, "category"));
		cells[5] = text_of(member(c, "state"));
		cells[6] = text_of(member(c, "follow_up_due"));
		cells[7] = overdue_text(c);
		cells[8] = text_of(member(c, "ticket"));
		cells[9] = customer_text(member(c, "customer"));
		table_add(&tb, cells);
	}
	fputc('\n', fp);
	if (tb.tb_rows == 0)
		fputs("no complaints\n", fp);
	else
		table_print(fp, &tb);
	table_free(&tb);
}

/* "self_service: 1  express: 0" ("none" if sparse and all 0).  Caller frees. */
static char *
counts_text(const cJSON *counts, bool sparse)
{
	const cJSON	*m;
	char		*s = xstrdup(""), *k, *v, *joined;

	cJSON_ArrayForEach(m, counts) {
		if (m->string == NULL || (sparse && cJSON_IsNumber(m) &&
		    m->valuedouble == 0))
			continue;
		k = escape(m->string);
		v = text_of(m);
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

/* A table of duration statistics, one row per lane or staff member. */
static void
stats_table_print(FILE *fp, const char *first, const cJSON *rows, bool within)
{
	struct table	 tb = { within ? 7 : 6, { first, "COUNT", "MEAN", "P50",
			    "P90", "MAX", "WITHIN TARGET" }, { false, true, true,
			    true, true, true, true }, NULL, 0 };
	const cJSON	*r;
	char		*cells[7];

	cJSON_ArrayForEach(r, rows) {
		if (r->string == NULL)
			continue;
		cells[0] = escape(r->string);
		cells[1] = text_of(member(r, "count"));
		cells[2] = duration_text(member(r, "mean"));
		cells[3] = duration_text(member(r, "p50"));
		cells[4] = duration_text(member(r, "p90"));
		cells[5] = duration_text(member(r, "max"));
		if (within)
			cells[6] = rate_text(member(r, "within_target"));
		table_add(&tb, cells);
	}
	if (tb.tb_rows == 0)
		fputs("  none\n", fp);
	else
		table_print(fp, &tb);
	table_free(&tb);
}

/* NPS as "20" or "33.3" (a number from -100 to 100).  Caller frees. */
static char *
score_text(const cJSON *item)
{
	if (!cJSON_IsNumber(item) || is_integer(item))
		return text_of(item);
	return xprintf("%.1f", item->valuedouble);
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
		why = counts_text(member(o, "rerouted"), true);
		figure_print(fp, "rerouted back", xprintf("%s (%s)", n, why));
		free(n);
		free(why);
	}
}

static void
summary_table_print(FILE *fp, const cJSON *reply)
{
	const cJSON	*o;
	char		*a, *b, *c, *d;

	a = text_of(member(reply, "from"));
	b = text_of(member(reply, "to"));
	fprintf(fp, "summary %s to %s\n", a, b);
	free(a);
	free(b);

	o = member(reply, "tickets");
	heading_print(fp, "Tickets", text_of(member(o, "total")));
	figure_print(fp, "by lane", counts_text(member(o, "by_lane"), false));
	figure_print(fp, "by service", counts_text(member(o, "by_service"),
	    true));
	figure_print(fp, "by status", counts_text(member(o, "by_status"), true));

	diversion_print(fp, member(reply, "diversion"));

	o = member(reply, "waiting");
	a = duration_text(member(o, "target_wait_s"));
	b = rate_text(member(o, "within_target"));
	fprintf(fp, "\nWaiting (target %s), within target: %s\n", a, b);
	free(a);
	free(b);
	stats_table_print(fp, "LANE", member(o, "by_lane"), true);

	fputs("\nService time per staff:\n", fp);
	stats_table_print(fp, "STAFF", member(member(reply, "service"),
	    "by_staff"), false);

	o = member(reply, "no_show");
	heading_print(fp, "No-shows", text_of(member(o, "total")));
	figure_print(fp, "by lane", counts_text(member(o, "by_lane"), false));

	o = member(reply, "complaints");
	heading_print(fp, "Complaints", text_of(member(o, "total")));
	figure_print(fp, "by category", counts_text(member(o, "by_category"),
	    true));
	figure_print(fp, "by severity", counts_text(member(o, "by_severity"),
	    false));
	figure_print(fp, "by root cause", counts_text(member(o,
	    "by_root_cause"), true));
	figure_print(fp, "compensation", compensation_text(member(o,
	    "compensation_fen")));

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
	a = score_text(member(o, "score"));
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
}

/* ---- CSV (RFC 4180): a header row, CRLF line ends ---- */

/* A field, quoted when it holds a comma, a quote, CR or LF. */
static void
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

/*
 * A value as data: null or missing is an empty field, a string its text
 * (control bytes but tab, CR and LF escaped, as everywhere on the
 * terminal), an array or object its JSON.  Caller frees.
 */
static char *
csv_value(const cJSON *item)
{
	char	 buf[64], *json, *s;

	if (item == NULL || cJSON_IsNull(item))
		return xstrdup("");
	if (cJSON_IsString(item) && item->valuestring != NULL)
		return escape_text(item->valuestring, true);
	if (cJSON_IsNumber(item)) {
		number_format(item->valuedouble, buf, sizeof buf);
		return xstrdup(buf);
	}
	if (cJSON_IsBool(item))
		return xstrdup(cJSON_IsTrue(item) ? "true" : "false");
	if ((json = cJSON_PrintUnformatted(item)) == NULL)
		return xstrdup("");
	s = escape_text(json, true);
	cJSON_free(json);
	return s;
}

static const char *const followups_csv_columns[] = {
	"id", "owner", "first_responder", "severity", "category", "state",
	"overdue", "follow_up_due", "overdue_s", "logged_at", "channel",
	"ticket", "customer_name", "customer_phone", "root_cause",
	"compensation_fen", NULL
};

/* One row per complaint; customer_name and customer_phone as masked. */
static void
followups_csv_print(FILE *fp, const cJSON *reply)
{
	char		*cells[32];
	const cJSON	*c;
	size_t		 i;

	for (i = 0; followups_csv_columns[i] != NULL; i++)
		cells[i] = xstrdup(followups_csv_columns[i]);
	csv_row(fp, cells, i);
	cJSON_ArrayForEach(c, member(reply, "complaints")) {
		for (i = 0; followups_csv_columns[i] != NULL; i++) {
			if (strcmp(followups_csv_columns[i], "customer_name") == 0)
				cells[i] = csv_value(member(member(c, "customer"),
				    "name"));
			else if (strcmp(followups_csv_columns[i],
			    "customer_phone") == 0)
				cells[i] = csv_value(member(member(c, "customer"),
				    "phone"));
			else
				cells[i] = csv_value(member(c,
				    followups_csv_columns[i]));
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

/*
 * section,key,metric,value, one row per figure, in the reply's order:
 * a section's own figures have no key (tickets,,total,12); a breakdown
 * gives a row per member, the member as key and the breakdown as metric
 * (tickets,counter,by_lane,8); statistics per lane or staff give the lane
 * or staff as key and the statistic as metric (waiting,counter,p90,300).
 * compensation_fen is followed by compensation_yuan (123.45).
 */
static void
summary_csv_print(FILE *fp, const cJSON *reply)
{
	const cJSON	*sec, *m, *k, *f;
	char		*yuan;

	fputs("section,key,metric,value\r\n", fp);
	cJSON_ArrayForEach(sec, reply) {
		if (sec->string == NULL || name_in(sec->string, reply_envelope))
			continue;
		if (!cJSON_IsObject(sec)) {
			summary_csv_row(fp, "report", "", sec->string,
			    csv_value(sec));
			continue;
		}
		cJSON_ArrayForEach(m, sec) {
			if (m->string == NULL)
				continue;
			if (!cJSON_IsObject(m)) {
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
					summary_csv_row(fp, sec->string,
					    k->string, m->string, csv_value(k));
					continue;
				}
				cJSON_ArrayForEach(f, k) {
					if (f->string != NULL)
						summary_csv_row(fp, sec->string,
						    k->string, f->string,
						    csv_value(f));
				}
			}
		}
	}
}

/* ---- report: building and running ---- */

static const char *const report_format_names[] = {
	[RF_TABLE] = "table", [RF_JSON] = "json", [RF_CSV] = "csv", [RF__COUNT] = NULL
};
/* --format's name is the enum's value: a format without one would end the list. */
_Static_assert(sizeof report_format_names / sizeof report_format_names[0] ==
    RF__COUNT + 1, "report_format_names");

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

/*
 * "report followups [--status S] [--limit N] [--format F]" or "report
 * summary --from DATE [--to DATE] [--format F]" (argv[0] is "report"):
 * the request and how to print its reply.  json: --json was given, which
 * is --format json.  -1 with err set on a usage mistake.
 */
int
report_build(int argc, char **argv, bool json, struct report *rp, char *err,
    size_t errlen)
{
	static const char *const followups_opts[] = {
		"--status", "--limit", "--format", NULL
	};
	static const char *const summary_opts[] = {
		"--from", "--to", "--format", NULL
	};
	const char *const	*opts;
	const char		*value[3] = { NULL, NULL, NULL };
	int			 i, j, rc, f;

	memset(rp, 0, sizeof *rp);
	if (argc < 2 || (strcmp(argv[1], "followups") != 0 &&
	    strcmp(argv[1], "summary") != 0)) {
		snprintf(err, errlen, "report: expected followups or summary%s%s",
		    argc < 2 ? "" : ", got ", argc < 2 ? "" : argv[1]);
		return -1;
	}
	rp->rp_summary = strcmp(argv[1], "summary") == 0;
	opts = rp->rp_summary ? summary_opts : followups_opts;
	for (i = 2; i < argc; i++) {
		for (j = 0, rc = 1; rc == 1 && opts[j] != NULL; j++)
			rc = report_option(opts[j], argc, argv, &i, &value[j],
			    err, errlen);
		if (rc == -1)
			return -1;
		if (rc == 1) {
			snprintf(err, errlen, "report %s: unknown %s \"%s\"",
			    argv[1], argv[i][0] == '-' ? "option" : "argument",
			    argv[i]);
			return -1;
		}
	}

	/* --format is the last of both lists. */
	f = RF_TABLE;
	if (value[2] != NULL) {
		for (f = 0; report_format_names[f] != NULL &&
		    strcmp(report_format_names[f], value[2]) != 0; f++)
			;
		if (report_format_names[f] == NULL) {
			snprintf(err, errlen, "--format: expected table, json or "
			    "csv, got \"%s\"", value[2]);
			return -1;
		}
		if (json && f != RF_JSON) {
			snprintf(err, errlen, "--json and --format %s disagree",
			    value[2]);
			return -1;
		}
	} else if (json)
		f = RF_JSON;
	rp->rp_format = (enum report_format)f;

	rp->rp_req = cJSON_CreateObject();
	if (rp->rp_summary) {
		/*
		 * The business date is the branch's, on the daemon's clock,
		 * in the branch's time zone; the client knows neither, so
		 * --from is required and --to is the same day unless given.
		 */
		if (value[0] == NULL) {
			snprintf(err, errlen, "report summary: --from DATE is "
			    "required (YYYY-MM-DD, a business date)");
			cJSON_Delete(rp->rp_req);
			rp->rp_req = NULL;
			return -1;
		}
		cJSON_AddStringToObject(rp->rp_req, "op", "report.summary");
		cJSON_AddStringToObject(rp->rp_req, "from", value[0]);
		cJSON_AddStringToObject(rp->rp_req, "to",
		    value[1] != NULL ? value[1] : value[0]);
		return 0;
	}
	cJSON_AddStringToObject(rp->rp_req, "op", "report.followups");
	if (value[0] != NULL)
		cJSON_AddStringToObject(rp->rp_req, "status", value[0]);
	if (value[1] != NULL) {
		/* Digits go out as a number, exactly; the daemon checks the range. */
		if (value[1][0] == '\0' ||
		    value[1][strspn(value[1], "0123456789")] != '\0') {
			snprintf(err, errlen, "--limit: expected a number, got "
			    "\"%s\"", value[1]);
			cJSON_Delete(rp->rp_req);
			rp->rp_req = NULL;
			return -1;
		}
		cJSON_AddItemToObject(rp->rp_req, "limit",
		    cJSON_CreateRaw(value[1]));
	}
	return 0;
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
		if (rp->rp_format == RF_CSV && rp->rp_summary)
			summary_csv_print(stdout, reply);
		else if (rp->rp_format == RF_CSV)
			followups_csv_print(stdout, reply);
		else if (rp->rp_summary)
			summary_table_print(stdout, reply);
		else
			followups_table_print(stdout, reply);
		fflush(stdout);
		rc = CL_EXIT_OK;
	}
	cJSON_Delete(reply);
	return rc;
}
