/*
 * branchq hq: head office's PostgreSQL (docs/HEADOFFICE.md), not a daemon.
 *
 *   hq migrate	applies sql/hq/NNN_name.sql (built into the client) in order,
 *		each in one transaction, recorded in hq_schema_migrations;
 *   hq followups	the view hq_followups, by status and region;
 *   hq summary	the view hq_branch_day over a range of business dates.
 *
 * libpq's blocking calls: this is a command-line program with nothing else
 * to do while it waits (the daemon's relay, src/hq.c, is the asynchronous
 * one).  The connection is --conninfo, else what libpq reads from PGHOST,
 * PGDATABASE and the rest of its environment, and ~/.pgpass.
 *
 * A view's rows are turned into JSON objects named as its columns, typed by
 * the column's PostgreSQL type; the three formats print those: json the
 * array as it is, csv a header row and one line per row, table the
 * client's tables (client-print.c) for people.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>
#include <libpq-fe.h>

#include "client.h"

/* sql/hq/NNN_name.sql, embedded by sql/embed.sh: { NNN, "NNN_name", "SQL" }. */
static const struct hq_migration {
	int		 hm_version;
	const char	*hm_name;
	const char	*hm_sql;
} hq_migrations[] = {
#include "hq-migrations.inc"
};
#define HQ_NMIGRATIONS	((int)(sizeof hq_migrations / sizeof hq_migrations[0]))

/* Months of partitions `hq migrate` makes ahead of the current one. */
#define HQ_MONTHS_AHEAD	3

/* Two keys for pg_advisory_xact_lock: one migrate at a time per database. */
#define HQ_LOCK_CLASS	0x62716871	/* "bqhq" */
#define HQ_LOCK_MIGRATE	1

/* PostgreSQL's type oids (server/catalog/pg_type_d.h, stable). */
#define OID_BOOL	16
#define OID_INT8	20
#define OID_INT2	21
#define OID_INT4	23
#define OID_FLOAT4	700
#define OID_FLOAT8	701
#define OID_NUMERIC	1700
#define OID_TIMESTAMPTZ	1184

enum hq_command { HQ_MIGRATE, HQ_FOLLOWUPS, HQ_SUMMARY, HQ__COUNT };
static const char *const hq_command_names[] = {
	[HQ_MIGRATE] = "migrate", [HQ_FOLLOWUPS] = "followups", [HQ_SUMMARY] = "summary",
	[HQ__COUNT] = NULL
};
_Static_assert(sizeof hq_command_names / sizeof hq_command_names[0] == HQ__COUNT + 1,
    "hq_command_names");

/* The options with a value, and which command takes which. */
enum hq_opt { HO_CONNINFO, HO_FORMAT, HO_STATUS, HO_REGION, HO_FROM, HO_TO, HO__COUNT };
static const char *const hq_opt_names[HO__COUNT] = {
	[HO_CONNINFO] = "--conninfo", [HO_FORMAT] = "--format", [HO_STATUS] = "--status",
	[HO_REGION] = "--region", [HO_FROM] = "--from", [HO_TO] = "--to",
};
#define HO(o)	(1u << (o))
static const unsigned hq_opts[HQ__COUNT] = {
	[HQ_MIGRATE] = HO(HO_CONNINFO),
	[HQ_FOLLOWUPS] = HO(HO_CONNINFO) | HO(HO_FORMAT) | HO(HO_STATUS) | HO(HO_REGION),
	[HQ_SUMMARY] = HO(HO_CONNINFO) | HO(HO_FORMAT) | HO(HO_REGION) | HO(HO_FROM) |
	    HO(HO_TO),
};

/* hq followups --status: the view's rows each takes. */
static const char *const hq_status_names[] = { "open", "overdue", "all", NULL };
static const char *const hq_status_where[] = {
	"f.state <> 'closed'",			/* open: not closed (resolved too) */
	"f.overdue AND f.state <> 'closed'",	/* as hq_complaint_state_overdue */
	"true",
};

struct hq_args {
	enum hq_command	 ha_command;
	enum report_format ha_format;
	const char	*ha_value[HO__COUNT];
	int		 ha_status;		/* index in hq_status_names */
};

/* ---- arguments ---- */

/* YYYY-MM-DD, a real date. */
static bool
date_valid(const char *s)
{
	static const int	days[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	int			y, m, d, n = 0;

	if (strlen(s) != 10 || s[4] != '-' || s[7] != '-' ||
	    sscanf(s, "%4d-%2d-%2d%n", &y, &m, &d, &n) != 3 || n != 10 ||
	    strspn(s, "0123456789-") != 10 || y < 1 || m < 1 || m > 12 || d < 1 ||
	    d > days[m - 1])
		return false;
	return m != 2 || d < 29 || (y % 4 == 0 && (y % 100 != 0 || y % 400 == 0));
}

/* "--name value" or "--name=value" at argv[*i]: 0 taken, 1 not --name, -1 err. */
static int
hq_option(const char *name, int argc, char **argv, int *i, const char **value,
    char *err, size_t errlen)
{
	size_t		 len = strlen(name);
	const char	*arg = argv[*i];

	if (strncmp(arg, name, len) != 0 || (arg[len] != '\0' && arg[len] != '='))
		return 1;
	if (arg[len] == '=')
		*value = arg + len + 1;
	else if (*i + 1 < argc)
		*value = argv[++*i];
	else {
		snprintf(err, errlen, "hq %s: %s needs a value", argv[1], name);
		return -1;
	}
	return 0;
}

/* "hq COMMAND [options]" (argv[0] is "hq"): -1 with err on a mistake. */
static int
hq_args_parse(int argc, char **argv, bool json, struct hq_args *ha, char *err,
    size_t errlen)
{
	const char	*v;
	int		 i, o, rc, c;

	memset(ha, 0, sizeof *ha);
	for (c = 0; argc >= 2 && hq_command_names[c] != NULL &&
	    strcmp(argv[1], hq_command_names[c]) != 0; c++)
		;
	if (argc < 2 || hq_command_names[c] == NULL) {
		snprintf(err, errlen, "hq: expected migrate, followups or summary%s%s",
		    argc < 2 ? "" : ", got ", argc < 2 ? "" : argv[1]);
		return -1;
	}
	ha->ha_command = (enum hq_command)c;
	for (i = 2; i < argc; i++) {
		for (o = 0, rc = 1; rc == 1 && o < HO__COUNT; o++)
			if (hq_opts[c] & HO(o))
				rc = hq_option(hq_opt_names[o], argc, argv, &i,
				    &ha->ha_value[o], err, errlen);
		if (rc == -1)
			return -1;
		if (rc == 1) {
			snprintf(err, errlen, "hq %s: unknown %s \"%s\"", argv[1],
			    argv[i][0] == '-' ? "option" : "argument", argv[i]);
			return -1;
		}
	}

	ha->ha_format = json ? RF_JSON : RF_TABLE;
	if ((v = ha->ha_value[HO_FORMAT]) != NULL) {
		if (strcmp(v, "table") == 0)
			ha->ha_format = RF_TABLE;
		else if (strcmp(v, "csv") == 0)
			ha->ha_format = RF_CSV;
		else if (strcmp(v, "json") == 0)
			ha->ha_format = RF_JSON;
		else {
			snprintf(err, errlen, "--format: expected table, json or csv, "
			    "got \"%s\"", v);
			return -1;
		}
		if (json && ha->ha_format != RF_JSON) {
			snprintf(err, errlen, "--json and --format %s disagree", v);
			return -1;
		}
	}
	if ((v = ha->ha_value[HO_STATUS]) != NULL) {
		for (ha->ha_status = 0; hq_status_names[ha->ha_status] != NULL &&
		    strcmp(hq_status_names[ha->ha_status], v) != 0; ha->ha_status++)
			;
		if (hq_status_names[ha->ha_status] == NULL) {
			snprintf(err, errlen, "--status: expected open, overdue or all, "
			    "got \"%s\"", v);
			return -1;
		}
	}
	if ((v = ha->ha_value[HO_REGION]) != NULL && *v == '\0') {
		snprintf(err, errlen, "--region: a region name, not empty");
		return -1;
	}
	if (c == HQ_SUMMARY) {
		if (ha->ha_value[HO_FROM] == NULL) {
			snprintf(err, errlen, "hq summary: --from DATE is required "
			    "(YYYY-MM-DD, a business date)");
			return -1;
		}
		if (ha->ha_value[HO_TO] == NULL)
			ha->ha_value[HO_TO] = ha->ha_value[HO_FROM];
		for (o = HO_FROM; o <= HO_TO; o++) {
			if (!date_valid(ha->ha_value[o])) {
				snprintf(err, errlen, "%s: expected a date, YYYY-MM-DD, "
				    "got \"%s\"", hq_opt_names[o], ha->ha_value[o]);
				return -1;
			}
		}
		if (strcmp(ha->ha_value[HO_FROM], ha->ha_value[HO_TO]) > 0) {
			snprintf(err, errlen, "--to: %s is before --from %s",
			    ha->ha_value[HO_TO], ha->ha_value[HO_FROM]);
			return -1;
		}
	}
	return 0;
}

/* ---- the connection ---- */

/* libpq's message, its trailing newline gone.  Caller frees. */
static char *
pq_message(const char *msg)
{
	char	*s = xstrdup(msg != NULL && *msg != '\0' ? msg : "(no message)");
	size_t	 n = strlen(s);

	while (n > 0 && (s[n - 1] == '\n' || s[n - 1] == ' '))
		s[--n] = '\0';
	return s;
}

/*
 * Connects (conninfo NULL: libpq's environment alone) and sets what the
 * output relies on: times in UTC, ISO dates, no notices on stderr.
 * NULL after saying why.
 */
static PGconn *
hq_connect(const char *conninfo)
{
	const char *const	 keys[] = { "dbname", "fallback_application_name", NULL };
	const char		*values[] = { conninfo != NULL ? conninfo : "",
				    "branchq", NULL };
	PGconn			*conn;
	PGresult		*res;
	char			*msg;

	conn = PQconnectdbParams(keys, values, 1);
	if (conn == NULL || PQstatus(conn) != CONNECTION_OK) {
		msg = pq_message(conn != NULL ? PQerrorMessage(conn) : "out of memory");
		cl_warnx("head office: cannot connect: %s", msg);
		free(msg);
		PQfinish(conn);
		return NULL;
	}
	res = PQexec(conn, "SET TimeZone = 'UTC'; SET DateStyle = 'ISO, YMD'; "
	    "SET client_min_messages = warning; SET extra_float_digits = 1");
	if (PQresultStatus(res) != PGRES_COMMAND_OK) {
		msg = pq_message(PQerrorMessage(conn));
		cl_warnx("head office: %s", msg);
		free(msg);
		PQclear(res);
		PQfinish(conn);
		return NULL;
	}
	PQclear(res);
	return conn;
}

/*
 * A statement that failed: what the server said (its primary message and
 * hint, without libpq's "ERROR:" and the statement's text), then advice
 * when there is one.  Returns CL_EXIT_REPLY.
 */
static int
hq_failed_advice(PGresult *res, const char *what, const char *advice)
{
	const char	*primary = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
	const char	*hint = PQresultErrorField(res, PG_DIAG_MESSAGE_HINT);
	char		*msg = pq_message(primary != NULL ? primary :
			    PQresultErrorMessage(res));

	cl_warnx("head office: %s: %s%s%s%s%s", what, msg, hint != NULL ? " (" : "",
	    hint != NULL ? hint : "", hint != NULL ? ")" : "",
	    advice != NULL ? advice : "");
	free(msg);
	PQclear(res);
	return CL_EXIT_REPLY;
}

static int
hq_failed(PGresult *res, const char *what)
{
	return hq_failed_advice(res, what, NULL);
}

/* A statement without rows; -1 after saying why. */
static int
hq_exec(PGconn *conn, const char *sql, const char *what)
{
	PGresult	*res = PQexec(conn, sql);

	if (PQresultStatus(res) != PGRES_COMMAND_OK &&
	    PQresultStatus(res) != PGRES_TUPLES_OK) {
		hq_failed(res, what);
		return -1;
	}
	PQclear(res);
	return 0;
}

/* ---- hq migrate ---- */

/*
 * The version the database is at (0: none yet), in the open transaction;
 * -1 after saying why.
 */
static int
schema_version(PGconn *conn)
{
	PGresult	*res;
	int		 v;

	res = PQexec(conn, "SELECT coalesce(max(version), 0) FROM hq_schema_migrations");
	if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1) {
		hq_failed(res, "reading hq_schema_migrations");
		return -1;
	}
	v = atoi(PQgetvalue(res, 0, 0));
	PQclear(res);
	return v;
}

/*
 * Each file the database lacks, in its own transaction with its line in
 * hq_schema_migrations; then the coming months' partitions.  The advisory
 * lock makes a second migrate wait and then find nothing to do.  A
 * database at a version this client does not know is left alone: its
 * files may have changed what ours would do.
 */
static int
hq_migrate(PGconn *conn)
{
	char	 sql[256], what[128];
	int	 i, at, applied = 0;

	snprintf(sql, sizeof sql, "BEGIN; SELECT pg_advisory_xact_lock(%d, %d); "
	    "CREATE TABLE IF NOT EXISTS hq_schema_migrations ("
	    "version integer PRIMARY KEY, name text NOT NULL, "
	    "applied_at timestamptz NOT NULL DEFAULT now())", HQ_LOCK_CLASS, HQ_LOCK_MIGRATE);
	if (hq_exec(conn, sql, "hq_schema_migrations") == -1)
		return CL_EXIT_REPLY;
	if ((at = schema_version(conn)) == -1)
		return CL_EXIT_REPLY;
	if (at > hq_migrations[HQ_NMIGRATIONS - 1].hm_version) {
		cl_warnx("hq migrate: the head-office schema is at version %d, newer than "
		    "this branchq knows (%d): nothing was changed; migrate with the "
		    "branchq that installed it, or a newer one", at,
		    hq_migrations[HQ_NMIGRATIONS - 1].hm_version);
		hq_exec(conn, "ROLLBACK", "rollback");
		return CL_EXIT_REPLY;
	}
	if (hq_exec(conn, "COMMIT", "commit") == -1)
		return CL_EXIT_REPLY;

	for (i = 0; i < HQ_NMIGRATIONS; i++) {
		if (hq_migrations[i].hm_version <= at)
			continue;
		snprintf(sql, sizeof sql, "BEGIN; SELECT pg_advisory_xact_lock(%d, %d)",
		    HQ_LOCK_CLASS, HQ_LOCK_MIGRATE);
		if (hq_exec(conn, sql, "begin") == -1)
			return CL_EXIT_REPLY;
		/* Another migrate may have applied it while we waited. */
		if ((at = schema_version(conn)) == -1)
			return CL_EXIT_REPLY;
		if (hq_migrations[i].hm_version <= at) {
			hq_exec(conn, "ROLLBACK", "rollback");
			continue;
		}
		snprintf(what, sizeof what, "applying %s", hq_migrations[i].hm_name);
		if (hq_exec(conn, hq_migrations[i].hm_sql, what) == -1) {
			hq_exec(conn, "ROLLBACK", "rollback");
			cl_warnx("hq migrate: %s was not applied; the schema stays at "
			    "version %d", hq_migrations[i].hm_name, at);
			return CL_EXIT_REPLY;
		}
		snprintf(sql, sizeof sql, "INSERT INTO hq_schema_migrations (version, name) "
		    "VALUES (%d, '%s'); COMMIT", hq_migrations[i].hm_version,
		    hq_migrations[i].hm_name);
		if (hq_exec(conn, sql, what) == -1)
			return CL_EXIT_REPLY;
		printf("applied %s\n", hq_migrations[i].hm_name);
		applied++;
	}
	snprintf(sql, sizeof sql, "SELECT hq_partitions_ahead(%d)", HQ_MONTHS_AHEAD);
	if (hq_exec(conn, sql, "making the coming months' partitions") == -1)
		return CL_EXIT_REPLY;
	printf("head-office schema at version %d%s\n",
	    hq_migrations[HQ_NMIGRATIONS - 1].hm_version,
	    applied == 0 ? " (it was already)" : "");
	return CL_EXIT_OK;
}

/* ---- rows as JSON ---- */

/*
 * "2026-12-06 08:54:58.435683+00" (TimeZone UTC, ISO) as RFC 3339,
 * "2026-12-06T08:54:58.435683Z", the daemon's form; anything else as it is.
 */
static cJSON *
time_item(const char *v)
{
	size_t	n = strlen(v);
	char	*s;
	cJSON	*item;

	if (n < 22 || v[10] != ' ' || strcmp(v + n - 3, "+00") != 0)
		return cJSON_CreateString(v);
	s = xstrdup(v);
	s[10] = 'T';
	s[n - 3] = 'Z';
	s[n - 2] = '\0';
	item = cJSON_CreateString(s);
	free(s);
	return item;
}

/*
 * A value of the result as JSON by its column's type: numbers as numbers
 * (raw: exactly the server's digits, for json and csv; as a double for the
 * table's arithmetic), booleans, times in RFC 3339, the rest as strings.
 */
static cJSON *
value_item(const PGresult *res, int row, int col, bool raw)
{
	const char	*v = PQgetvalue(res, row, col);

	if (PQgetisnull(res, row, col))
		return cJSON_CreateNull();
	switch (PQftype(res, col)) {
	case OID_BOOL:
		return cJSON_CreateBool(strcmp(v, "t") == 0);
	case OID_INT2:
	case OID_INT4:
	case OID_INT8:
	case OID_FLOAT4:
	case OID_FLOAT8:
	case OID_NUMERIC:
		return raw ? cJSON_CreateRaw(v) : cJSON_CreateNumber(strtod(v, NULL));
	case OID_TIMESTAMPTZ:
		return time_item(v);
	default:
		return cJSON_CreateString(v);
	}
}

/* The rows as an array of objects named as the columns.  Caller frees. */
static cJSON *
rows_json(const PGresult *res, bool raw)
{
	cJSON	*rows = cJSON_CreateArray(), *o;
	int	 r, c;

	for (r = 0; r < PQntuples(res); r++) {
		o = cJSON_CreateObject();
		for (c = 0; c < PQnfields(res); c++)
			cJSON_AddItemToObject(o, PQfname(res, c), value_item(res, r, c, raw));
		cJSON_AddItemToArray(rows, o);
	}
	return rows;
}

/* ---- printing ---- */

static const cJSON *
field(const cJSON *o, const char *name)
{
	return cJSON_GetObjectItemCaseSensitive(o, name);
}

/* CSV (RFC 4180): quoted when it holds a comma, a quote, CR or LF. */
static void
csv_put(FILE *fp, const char *s)
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

/*
 * A header row of the columns, then a line per row, CRLF: null an empty
 * field, numbers as the server gave them, times local (--tz, else the
 * machine's zone) as spreadsheets read them, "2026-12-06 16:54:58".
 */
static void
csv_print(FILE *fp, const PGresult *res, const cJSON *rows)
{
	const cJSON	*row, *v;
	char		*s;
	int		 c;

	for (c = 0; c < PQnfields(res); c++) {
		if (c > 0)
			fputc(',', fp);
		csv_put(fp, PQfname(res, c));
	}
	fputs("\r\n", fp);
	cJSON_ArrayForEach(row, rows) {
		for (c = 0; c < PQnfields(res); c++) {
			v = field(row, PQfname(res, c));
			if (c > 0)
				fputc(',', fp);
			s = PQftype(res, c) == OID_TIMESTAMPTZ && cJSON_IsString(v) ?
			    time_text(v, LT_CSV) : cell_text(v, true);
			csv_put(fp, s);
			free(s);
		}
		fputs("\r\n", fp);
	}
}

/* A share 0..1 as "87.5%", "-" when null.  Caller frees. */
static char *
percent_text(const cJSON *v)
{
	if (!cJSON_IsNumber(v))
		return text_of(v);
	return xprintf("%.1f%%", v->valuedouble * 100);
}

/* NPS as "20" or "33.3", "-" without answers (no answer is no score).  Caller frees. */
static char *
nps_text(const cJSON *row)
{
	const cJSON	*n = field(row, "nps_responses"), *v = field(row, "nps_score");

	if (!cJSON_IsNumber(n) || n->valuedouble == 0 || !cJSON_IsNumber(v))
		return xstrdup("-");
	if (is_integer(v))
		return text_of(v);
	return xprintf("%.1f", v->valuedouble);
}

/* How long a case is past due, "-" when the branch has not flagged it. */
static char *
overdue_for_text(const cJSON *row)
{
	const cJSON	*v = field(row, "overdue_s");

	if (!cJSON_IsTrue(field(row, "overdue")) || !cJSON_IsNumber(v) ||
	    v->valuedouble == 0)
		return xstrdup("-");
	return duration_text(v);
}

static void
followups_table(FILE *fp, const cJSON *rows, const struct hq_args *ha)
{
	struct table	 tb = { 10, { "BRANCH", "ID", "STATE", "OWNER", "FIRST RESP",
			    "SEV", "CATEGORY", "LOGGED", "DUE", "OVERDUE FOR" },
			    { false, true, false, false, false, true, false, false,
			    false, true }, NULL, 0 };
	const cJSON	*row;
	char		*cells[10];
	int		 n = cJSON_GetArraySize(rows);

	fprintf(fp, "head-office follow-ups (%s", hq_status_names[ha->ha_status]);
	if (ha->ha_value[HO_REGION] != NULL) {
		char	*r = escape(ha->ha_value[HO_REGION]);

		fprintf(fp, ", region %s", r);
		free(r);
	}
	fprintf(fp, "): %d complaint%s (times in %s)\n\n", n, n == 1 ? "" : "s",
	    zone_label());
	cJSON_ArrayForEach(row, rows) {
		cells[0] = text_of(field(row, "branch"));
		cells[1] = text_of(field(row, "complaint_id"));
		cells[2] = text_of(field(row, "state"));
		cells[3] = text_of(field(row, "owner"));
		cells[4] = text_of(field(row, "first_responder"));
		cells[5] = text_of(field(row, "severity"));
		cells[6] = text_of(field(row, "category"));
		cells[7] = time_text(field(row, "logged_at"), LT_TABLE);
		cells[8] = time_text(field(row, "follow_up_due"), LT_TABLE);
		cells[9] = overdue_for_text(row);
		table_add(&tb, cells);
	}
	if (tb.tb_rows == 0)
		fputs("no complaints\n", fp);
	else
		table_print(fp, &tb);
	table_free(&tb);
}

static void
summary_table(FILE *fp, const cJSON *rows, const struct hq_args *ha)
{
	struct table	 tb = { 14, { "BRANCH", "DATE", "TICKETS", "ELIGIBLE", "DIVERTED",
			    "REROUTED", "RATE", "WAIT P50", "WAIT P90", "WITHIN TARGET",
			    "NO-SHOWS", "COMPLAINTS", "NPS N", "NPS" },
			    { false, false, true, true, true, true, true, true, true, true,
			    true, true, true, true }, NULL, 0 };
	const cJSON	*row;
	char		*cells[14];
	int		 n = cJSON_GetArraySize(rows);

	fprintf(fp, "head-office summary %s to %s", ha->ha_value[HO_FROM],
	    ha->ha_value[HO_TO]);
	if (ha->ha_value[HO_REGION] != NULL) {
		char	*r = escape(ha->ha_value[HO_REGION]);

		fprintf(fp, ", region %s", r);
		free(r);
	}
	fprintf(fp, ": %d branch-day%s\n\n", n, n == 1 ? "" : "s");
	cJSON_ArrayForEach(row, rows) {
		cells[0] = text_of(field(row, "branch"));
		cells[1] = text_of(field(row, "business_date"));
		cells[2] = text_of(field(row, "tickets"));
		cells[3] = text_of(field(row, "eligible"));
		cells[4] = text_of(field(row, "diverted"));
		cells[5] = text_of(field(row, "rerouted"));
		cells[6] = percent_text(field(row, "diversion_rate"));
		cells[7] = duration_text(field(row, "waiting_p50_s"));
		cells[8] = duration_text(field(row, "waiting_p90_s"));
		cells[9] = percent_text(field(row, "within_target"));
		cells[10] = text_of(field(row, "no_shows"));
		cells[11] = text_of(field(row, "complaints"));
		cells[12] = text_of(field(row, "nps_responses"));
		cells[13] = nps_text(row);
		table_add(&tb, cells);
	}
	if (tb.tb_rows == 0)
		fputs("no branch-days\n", fp);
	else
		table_print(fp, &tb);
	table_free(&tb);
}

/* ---- hq followups, hq summary ---- */

/* The query of a report and its parameters ($1... in order). */
static char *
report_sql(const struct hq_args *ha, const char **params, int *nparams)
{
	const char	*region = ha->ha_value[HO_REGION];
	const char	*in_region = " AND f.branch IN (SELECT branch FROM hq_branches "
			    "WHERE region = $%d)";
	char		*where, *sql;

	*nparams = 0;
	if (ha->ha_command == HQ_FOLLOWUPS) {
		where = region == NULL ? xstrdup("") : xprintf(in_region, 1);
		if (region != NULL)
			params[(*nparams)++] = region;
		sql = xprintf("SELECT f.* FROM hq_followups f WHERE %s%s "
		    "ORDER BY f.follow_up_due, f.branch, f.complaint_id",
		    hq_status_where[ha->ha_status], where);
	} else {
		params[(*nparams)++] = ha->ha_value[HO_FROM];
		params[(*nparams)++] = ha->ha_value[HO_TO];
		where = region == NULL ? xstrdup("") : xprintf(in_region, 3);
		if (region != NULL)
			params[(*nparams)++] = region;
		sql = xprintf("SELECT f.* FROM hq_branch_day f "
		    "WHERE f.business_date BETWEEN $1::date AND $2::date%s "
		    "ORDER BY f.branch, f.business_date", where);
	}
	free(where);
	return sql;
}

static int
hq_report(PGconn *conn, const struct hq_args *ha)
{
	const char	*params[3];
	const char	*view = ha->ha_command == HQ_FOLLOWUPS ? "hq_followups" :
			    "hq_branch_day";
	PGresult	*res;
	cJSON		*rows;
	char		*sql, *text, what[64];
	int		 nparams;

	sql = report_sql(ha, params, &nparams);
	res = PQexecParams(conn, sql, nparams, NULL, params, NULL, NULL, 0);
	free(sql);
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		const char	*state = PQresultErrorField(res, PG_DIAG_SQLSTATE);

		snprintf(what, sizeof what, "reading %s", view);
		/* undefined_table: nothing migrated here yet. */
		return hq_failed_advice(res, what, state != NULL &&
		    strcmp(state, "42P01") == 0 ? ": is this head office's database, "
		    "and has `branchq hq migrate` run on it?" : NULL);
	}
	rows = rows_json(res, ha->ha_format != RF_TABLE);
	switch (ha->ha_format) {
	case RF_JSON:
		/* NULL only out of memory, which the client's hooks end on. */
		if ((text = cJSON_PrintUnformatted(rows)) != NULL)
			puts(text);
		cJSON_free(text);
		break;
	case RF_CSV:
		csv_print(stdout, res, rows);
		break;
	default:
		if (ha->ha_command == HQ_FOLLOWUPS)
			followups_table(stdout, rows, ha);
		else
			summary_table(stdout, rows, ha);
		break;
	}
	cJSON_Delete(rows);
	PQclear(res);
	return fflush(stdout) == 0 ? CL_EXIT_OK : CL_EXIT_FAILURE;
}

/* branchq hq migrate|followups|summary [options]; argv[0] is "hq". */
int
hq_run(int argc, char **argv, bool json)
{
	struct hq_args	 ha;
	PGconn		*conn;
	char		 err[512];
	int		 rc;

	if (hq_args_parse(argc, argv, json, &ha, err, sizeof err) == -1)
		return usage_error("%s", err);
	if ((conn = hq_connect(ha.ha_value[HO_CONNINFO])) == NULL)
		return CL_EXIT_FAILURE;
	rc = ha.ha_command == HQ_MIGRATE ? hq_migrate(conn) : hq_report(conn, &ha);
	PQfinish(conn);
	return rc;
}
