/*
 * The command line: branchq's options and help, and the request that
 * "OP field=value ..." words ask for (on the command line and in the shell).
 */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>

#include "client.h"

const char usage_text[] =
"usage: branchq [options] OP [field=value ...]\n"
"       branchq [options] watch [TOPIC ...]\n"
"       branchq [options] report followups [--status open|overdue|due_soon|all]\n"
"                                 [--limit N] [--format table|json|csv]\n"
"       branchq [options] report summary --from DATE [--to DATE]\n"
"                                 [--by day|half_hour] [--format table|json|csv]\n"
"       branchq [options] report compensation --from DATE [--to DATE]\n"
"                                 [--limit N] [--format table|json|csv]\n"
"                          (each report also takes --bom and --utc)\n"
"       branchq [options] shell\n"
"       branchq token [--terminal ID --role ROLE [--staff STAFF]]\n"
"       branchq hq migrate [--conninfo CONNINFO]\n"
"       branchq hq followups [--status open|overdue|all] [--region R]\n"
"                            [--conninfo CONNINFO] [--format table|json|csv]\n"
"       branchq hq summary --from DATE [--to DATE] [--region R]\n"
"                          [--conninfo CONNINFO] [--format table|json|csv]\n"
"       branchq --help\n";

const char help_text[] =
"\n"
"options (and the environment variable each falls back to):\n"
"  --connect HOST:PORT  the daemon (BRANCHQ_CONNECT; default " CL_DEFAULT_ADDR ")\n"
"  --terminal ID        say hello as this terminal first (BRANCHQ_TERMINAL)\n"
"  --token T            the terminal's token (BRANCHQ_TOKEN)\n"
"  --json               print the raw reply (or event) lines\n"
"  --timeout S          seconds to wait for a reply (default " CL_DEFAULT_TIMEOUT
    "; 0: for ever)\n"
"  --tz ZONE            local times in this IANA zone (BRANCHQ_TZ; default the\n"
"                       branch's, if the daemon's hello says it, else the\n"
"                       machine's)\n"
"  --tls                TLS 1.2 or later (a daemon started with --tls-cert);\n"
"                       its certificate must be valid for the HOST of\n"
"                       --connect and signed by a CA the system trusts\n"
"  --cafile FILE        with --tls: trust this CA certificate (PEM) instead\n"
"\n"
"fields:\n"
"  name=value   JSON when value is a number, true, false, null, [...] or {...};\n"
"               otherwise a string (number=A012)\n"
"  name:=JSON   always JSON (note:='\"a quoted string\"')\n"
"  name==text   always a string (phone==13800138000)\n"
"  a.b=value    nested objects: flags.vip=true gives {\"flags\":{\"vip\":true}}\n"
"  id=N         for complaint ops: the complaint id (also the request id)\n"
"\n"
"watch prints pushed events (default topics: calls queue) until the\n"
"connection closes or ^C.  shell reads \"OP field=value ...\" lines from stdin\n"
"and prints replies and events as they come; \"quit\" or end of input ends it.\n"
"\n"
"report (a supervisor's) sends report.followups, report.summary or\n"
"report.compensation and prints a table (default), the raw reply (--format\n"
"json, as --json) or CSV with a header row (--format csv; the summary as\n"
"section,key,metric,value rows, or with --by one row per day or half hour).\n"
"--status defaults to open, --limit to the daemon's 1000.  DATE is a business\n"
"date, YYYY-MM-DD; --to defaults to --from (one day).  Times are local (see\n"
"--tz); --utc prints them as the daemon sends them.  --bom starts CSV with a\n"
"UTF-8 byte-order mark (for Excel).\n"
"\n"
"token prints a new random token (43 characters of A-Z a-z 0-9 - _) and\n"
"what goes in the configuration: two lines,\n"
"  token: TOKEN\n"
"  \"token_sha256\": \"64 hex digits\"\n"
"or, with --terminal, --role and --staff, the terminal's whole object:\n"
"  {\"id\": \"ID\", \"role\": \"ROLE\", \"staff\": \"STAFF\", \"token_sha256\": \"...\"}\n"
"The daemon keeps only the hash: give TOKEN to the terminal (--token, the\n"
"sign-in form), keep no other copy.  Nothing is sent; no daemon is needed.\n"
"\n"
"hq talks to head office's PostgreSQL, not to a daemon: --conninfo is a\n"
"libpq connection string (host=hq.bank.example dbname=branchq_hq ...);\n"
"without it, libpq's environment (PGHOST, PGDATABASE, PGUSER, ...).\n"
"hq migrate applies the head-office schema (sql/hq/, built in), each file\n"
"once.  hq followups prints the view hq_followups (--status defaults to\n"
"open: not closed; overdue: flagged overdue by the branch and not closed),\n"
"hq summary the view hq_branch_day for business dates --from to --to\n"
"(default --from), one row per branch and day; --region keeps the\n"
"branches of that region.  --format json is an array of objects named as\n"
"the view's columns, times in UTC (RFC 3339); table and csv show times in\n"
"--tz's zone, else the machine's.\n"
"\n"
"examples:\n"
"  branchq ping\n"
"  branchq --terminal K01 --token kiosk-demo ticket.issue \\\n"
"      service=cash_withdrawal amount_fen=2500000 flags.vip=true\n"
"  branchq --terminal T01 --token teller1-demo window.open window=3 \\\n"
"      lanes='[\"counter\"]'\n"
"  branchq --terminal D01 --token display-demo watch calls\n"
"  branchq --terminal S01 --token supervisor-demo report followups \\\n"
"      --status overdue\n"
"  branchq --terminal S01 --token supervisor-demo report summary \\\n"
"      --from 2026-11-01 --to 2026-11-30 --by day --format csv --bom\n"
"\n"
"exit status: 0 ok, 1 error reply, 2 usage or connection problem\n";

/* ---- building a request from field=value words ---- */

/* JSON's number grammar, strictly: "007" and "1." are not numbers. */
static bool
is_json_number(const char *s)
{
#define DIGIT(c)	((c) >= '0' && (c) <= '9')
	if (*s == '-')
		s++;
	if (*s == '0')
		s++;
	else if (DIGIT(*s)) {
		while (DIGIT(*s))
			s++;
	} else
		return false;
	if (*s == '.') {
		if (!DIGIT(s[1]))
			return false;
		for (s++; DIGIT(*s); s++)
			;
	}
	if (*s == 'e' || *s == 'E') {
		s++;
		if (*s == '+' || *s == '-')
			s++;
		if (!DIGIT(*s))
			return false;
		while (DIGIT(*s))
			s++;
	}
	return *s == '\0';
#undef DIGIT
}

/*
 * The value of name=value (forced: name:=JSON).  Numbers go out exactly as
 * written (a raw item), so no digit is lost to a double.  NULL when the text
 * is not JSON.
 */
static cJSON *
value_parse_json(const char *text, bool forced)
{
	size_t	skip = strspn(text, " \t");

	if (is_json_number(text))
		return cJSON_CreateRaw(text);
	if (strcmp(text, "true") == 0)
		return cJSON_CreateTrue();
	if (strcmp(text, "false") == 0)
		return cJSON_CreateFalse();
	if (strcmp(text, "null") == 0)
		return cJSON_CreateNull();
	if (forced || text[skip] == '[' || text[skip] == '{')
		return cJSON_ParseWithOpts(text, NULL, 1);
	return NULL;
}

/* Puts value at a dotted key, making the objects on the way. */
static int
field_set(cJSON *req, char *key, cJSON *value, const char *arg,
    char *err, size_t errlen)
{
	cJSON	*obj = req, *child;
	char	*seg, *dot;

	for (seg = key; (dot = strchr(seg, '.')) != NULL; seg = dot + 1) {
		*dot = '\0';
		if (*seg == '\0')
			break;
		if ((child = cJSON_GetObjectItemCaseSensitive(obj, seg)) == NULL)
			child = cJSON_AddObjectToObject(obj, seg);
		else if (!cJSON_IsObject(child)) {
			snprintf(err, errlen, "%s: %s is already set and is not "
			    "an object", arg, seg);
			return -1;
		}
		obj = child;
	}
	if (*seg == '\0') {
		snprintf(err, errlen, "%s: empty field name", arg);
		return -1;
	}
	if (obj == req && strcmp(seg, "op") == 0) {
		snprintf(err, errlen, "%s: the operation is the first word, "
		    "not a field", arg);
		return -1;
	}
	if (cJSON_GetObjectItemCaseSensitive(obj, seg) != NULL)
		cJSON_ReplaceItemInObjectCaseSensitive(obj, seg, value);
	else
		cJSON_AddItemToObject(obj, seg, value);
	return 0;
}

/* name=value, name:=JSON or name==text. */
static int
field_add(cJSON *req, const char *arg, char *err, size_t errlen)
{
	const char	*eq = strchr(arg, '='), *text;
	size_t		 keylen;
	bool		 force_json = false, force_string = false;
	cJSON		*value = NULL;
	char		*key;
	int		 rc;

	if (eq == NULL) {
		snprintf(err, errlen, "expected field=value, got \"%s\"", arg);
		return -1;
	}
	keylen = (size_t)(eq - arg);
	text = eq + 1;
	if (keylen > 0 && arg[keylen - 1] == ':') {
		force_json = true;
		keylen--;
	} else if (*text == '=') {
		force_string = true;
		text++;
	}
	if (!force_string)
		value = value_parse_json(text, force_json);
	if (value == NULL && force_json) {
		snprintf(err, errlen, "%s: not valid JSON", arg);
		return -1;
	}
	if (value == NULL)
		value = cJSON_CreateString(text);
	key = xmalloc(keylen + 1);
	memcpy(key, arg, keylen);
	key[keylen] = '\0';
	if ((rc = field_set(req, key, value, arg, err, errlen)) != 0)
		cJSON_Delete(value);
	free(key);
	return rc;
}

/* {"op":op, fields...}, or NULL with err set.  Caller frees. */
cJSON *
request_build(const char *op, int argc, char **argv, char *err, size_t errlen)
{
	cJSON	*req;
	int	 i;

	if (*op == '\0' || strchr(op, '=') != NULL) {
		snprintf(err, errlen, "expected an operation before the fields, "
		    "got \"%s\"", op);
		return NULL;
	}
	req = cJSON_CreateObject();
	cJSON_AddStringToObject(req, "op", op);
	for (i = 0; i < argc; i++) {
		if (field_add(req, argv[i], err, errlen) != 0) {
			cJSON_Delete(req);
			return NULL;
		}
	}
	return req;
}

/* {"op":"subscribe","topics":[...]}, by default calls and queue. */
cJSON *
subscribe_build(int argc, char **argv)
{
	const char *const defaults[] = {
		topic_names[TOPIC_CALLS], topic_names[TOPIC_QUEUE]
	};
	cJSON	*req, *topics;
	int	 i;

	req = cJSON_CreateObject();
	cJSON_AddStringToObject(req, "op", "subscribe");
	topics = cJSON_AddArrayToObject(req, "topics");
	for (i = 0; i < (argc > 0 ? argc : 2); i++) {
		cJSON_AddItemToArray(topics,
		    cJSON_CreateString(argc > 0 ? argv[i] : defaults[i]));
	}
	return req;
}

/* ---- options ---- */

static const struct value_option {
	const char	*vo_name;
	size_t		 vo_offset;
} value_options[] = {
	{ "--connect", offsetof(struct options, opt_connect) },
	{ "--terminal", offsetof(struct options, opt_terminal) },
	{ "--token", offsetof(struct options, opt_token) },
	{ "--timeout", offsetof(struct options, opt_timeout) },
	{ "--tz", offsetof(struct options, opt_tz) },
	{ "--cafile", offsetof(struct options, opt_cafile) },
};

/* "--name value" or "--name=value"; 1 if arg is not this option. */
static int
value_option_take(const struct value_option *vo, struct options *opt,
    int argc, char **argv, int *i)
{
	size_t		 len = strlen(vo->vo_name);
	const char	*arg = argv[*i], **field;

	if (strncmp(arg, vo->vo_name, len) != 0 ||
	    (arg[len] != '\0' && arg[len] != '='))
		return 1;
	field = (const char **)(void *)((char *)opt + vo->vo_offset);
	if (arg[len] == '=')
		*field = arg + len + 1;
	else if (*i + 1 < argc)
		*field = argv[++*i];
	else
		return usage_error("%s needs a value", vo->vo_name);
	return 0;
}

/* Options before the operation; *first is where the operation is. */
int
options_parse(int argc, char **argv, struct options *opt, int *first)
{
	size_t	j;
	int	i, rc;

	for (i = 1; i < argc && argv[i][0] == '-' && argv[i][1] != '\0'; i++) {
		if (strcmp(argv[i], "--") == 0) {
			i++;
			break;
		}
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			printf("%s%s", usage_text, help_text);
			exit(CL_EXIT_OK);
		}
		if (strcmp(argv[i], "--json") == 0) {
			opt->opt_json = true;
			continue;
		}
		if (strcmp(argv[i], "--tls") == 0) {
			opt->opt_tls = true;
			continue;
		}
		for (j = 0, rc = 1; rc == 1 && j < sizeof value_options /
		    sizeof value_options[0]; j++)
			rc = value_option_take(&value_options[j], opt, argc,
			    argv, &i);
		if (rc == 1)
			return usage_error("unknown option %s", argv[i]);
		if (rc != 0)
			return rc;
	}
	*first = i;
	/* Never plain text to a daemon the user meant to reach over TLS. */
	if (opt->opt_cafile != NULL && !opt->opt_tls)
		return usage_error("--cafile needs --tls");
	return CL_EXIT_OK;
}

/* Seconds, maybe with a fraction; 0 means wait for ever. */
int
timeout_parse(const char *text, int64_t *ms)
{
	char	*end;
	double	 s;

	errno = 0;
	s = strtod(text, &end);
	if (errno != 0 || end == text || *end != '\0' || !(s >= 0) || s > 1e9)
		return usage_error("--timeout: expected seconds, got \"%s\"",
		    text);
	*ms = s == 0 ? -1 : (int64_t)(s * 1000 + 0.5);
	if (*ms == 0)
		*ms = 1;
	return CL_EXIT_OK;
}
