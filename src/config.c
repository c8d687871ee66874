/*
 * The daemon's configuration: a JSON file (PROTOCOL "Running the daemon")
 * checked in full at start-up (and by branchqd --check-config), or the
 * built-in demo configuration.  A bank's typo must stop the daemon with a
 * line naming the file, the line and the field, so unknown keys, duplicate
 * keys, fractions and out-of-range numbers are all problems; every problem
 * of a file is reported, as "FILE:LINE: key.path: message".
 */
#include <sys/socket.h>

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>
#include <libpq-fe.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "branchq.h"

#define CONFIG_MAX_FILE		(1024 * 1024)	/* a bigger file is a mistake */
#define CONFIG_MAX_MONEY_FEN	1000000000000LL	/* 10^12 fen */
#define CONFIG_MAX_BRANCH	64
#define CONFIG_MAX_URL		2048
#define CONFIG_SHOWN		48	/* user text quoted in an error, at most */
#define CONFIG_MAX_PROBLEMS	100	/* shown of one file; the rest counted */

#define DEFAULT_BRANCH		"BRANCH"
#define DEFAULT_TIMEZONE	"Asia/Shanghai"
#define DEMO_BRANCH		"DEMO-001"

static const char *const role_names[ROLE__COUNT] = {
	[ROLE_NONE] = "none",
	[ROLE_KIOSK] = "kiosk",
	[ROLE_DISPLAY] = "display",
	[ROLE_TELLER] = "teller",
	[ROLE_LOBBY] = "lobby",
	[ROLE_SUPERVISOR] = "supervisor",
};

static const char *const webhook_events[] = {
	"complaint.logged", "followup.overdue", "survey.detractor", NULL
};

static const char *const top_keys[] = {
	"branch", "timezone", "thresholds_fen", "authority_fen",
	"follow_up_hours", "target_wait_s", "max_recalls", "default_service_s",
	"duty_supervisor", "accessible_windows", "webhooks", "terminals",
	"webhook_connect_timeout_ms", "webhook_timeout_ms", "webhook_retry_hours",
	"webhook_max_pending",
	"max_connections", "hello_timeout_s", "idle_timeout_s", "write_timeout_s",
	"subscriber_buffer_bytes", "auth_max_failures", "auth_window_s",
	"auth_lockout_s", "auth_lockout_max_s",
	"http_hosts", "http_max_connections", "http_max_streams", "http_heartbeat_s",
	"http_session_staff_hours", "http_session_device_days",
	"retention_days", "backup_at", "backup_keep", "metrics_public", "hq", NULL
};
static const char *const threshold_keys[] = {
	"cash", "transfer", "express_cash", NULL
};
static const char *const authority_keys[] = {
	"teller", "lobby", "supervisor", NULL
};
static const char *const terminal_keys[] = {
	"id", "role", "staff", "token_sha256", "printer", NULL
};
static const char *const webhook_keys[] = {
	"url", "secret", "events", NULL
};
static const char *const hq_keys[] = {
	"conninfo", "region", "keep_days", "batch_events", "retry_max_s", "timeout_s", NULL
};

/* Public on purpose: printed at start-up so a new user can connect at once. */
const struct demo_terminal demo_terminals[] = {
	{ "K01", "kiosk", "", "kiosk-demo" },
	{ "D01", "display", "", "display-demo" },
	{ "T01", "teller", "E1001", "teller1-demo" },
	{ "T02", "teller", "E1002", "teller2-demo" },
	{ "L01", "lobby", "E2001", "lobby-demo" },
	{ "S01", "supervisor", "E9001", "supervisor-demo" },
	{ NULL, NULL, NULL, NULL }
};

/*
 * One configuration being read: where its problems go.  Each problem is
 * counted and kept, and parsing goes on, so that a bank's IT sees every
 * mistake of a file at once (as OpenBSD's daemons do); a check that depends
 * on a value found wrong is skipped rather than reported twice.  The
 * problems are reported at the end in the order of their lines.
 */
struct config_problem {
	int	 pr_line;
	char	 pr_msg[768];
};
struct config_parse {
	const char		*cp_name;
	const char		*cp_text;	/* the raw JSON: cJSON keeps no lines */
	const cJSON		*cp_root;
	void			(*cp_report)(void *, const char *);
	void			*cp_arg;
	int			 cp_problems;
	struct config_problem	*cp_kept;	/* the first CONFIG_MAX_PROBLEMS + 1 */
};

static int	problem(struct config_parse *, const cJSON *, const char *, ...)
		    __attribute__((format(printf, 3, 4)));

const char *
role_name(enum role role)
{
	return (unsigned)role < ROLE__COUNT ? role_names[role] : "none";
}

int
role_from_name(const char *name)
{
	int	r;

	if (name == NULL)
		return -1;
	for (r = ROLE_KIOSK; r < ROLE__COUNT; r++)
		if (strcmp(role_names[r], name) == 0)
			return r;
	return -1;
}

static void *
xcalloc(size_t n, size_t size)
{
	void	*p;

	if ((p = calloc(n, size)) == NULL)
		fatal("calloc");
	return p;
}

/* ---- lines: where a value is in the raw text ---- */

static int
line_of(const char *text, const char *at)
{
	int	line = 1;

	for (; text < at && *text != '\0'; text++)
		if (*text == '\n')
			line++;
	return line;
}

/* cJSON's whitespace: every byte up to the space. */
static const char *
skip_space(const char *p)
{
	while (*p != '\0' && (unsigned char)*p <= ' ')
		p++;
	return p;
}

/* Past a string; p is at its opening quote (else p: nothing to skip). */
static const char *
skip_string(const char *p)
{
	if (*p != '"')
		return p;
	for (p++; *p != '\0' && *p != '"'; p++)
		if (*p == '\\' && p[1] != '\0')
			p++;
	return *p == '"' ? p + 1 : p;
}

/* Past one value: a string, a whole object or array, or a bare word. */
static const char *
skip_value(const char *p)
{
	size_t	depth = 0;

	if (*p == '"')
		return skip_string(p);
	if (*p != '{' && *p != '[') {
		while (*p != '\0' && *p != ',' && *p != '}' && *p != ']' &&
		    (unsigned char)*p > ' ')
			p++;
		return p;
	}
	while (*p != '\0') {
		if (*p == '"') {
			p = skip_string(p);
			continue;
		}
		if (*p == '{' || *p == '[')
			depth++;
		else if ((*p == '}' || *p == ']') && --depth == 0)
			return p + 1;
		p++;
	}
	return p;
}

/*
 * The line of what a path leads to in JSON text: path[i] is the position
 * of a member in an object (duplicates count: cJSON keeps them in order)
 * or of an element in an array.  A member's line is its key's.  Where the
 * text does not go on as the path says (it cannot, for text cJSON took),
 * the line of the last step found.  Any text is safe: nothing is read past
 * its NUL.
 */
int
config_line_at(const char *text, const int *path, size_t depth)
{
	const char	*p = text, *at;
	size_t		 i;
	int		 k;
	bool		 object;

	if (strncmp(p, "\xef\xbb\xbf", 3) == 0)	/* cJSON skips a UTF-8 BOM */
		p += 3;
	at = p = skip_space(p);
	for (i = 0; i < depth; i++) {
		if (*p != '{' && *p != '[')
			break;
		object = *p == '{';
		p = skip_space(p + 1);
		for (k = 0; k < path[i]; k++) {
			if (object) {
				if (*p != '"')
					return line_of(text, at);
				p = skip_space(skip_string(p));
				if (*p == ':')
					p = skip_space(p + 1);
			}
			p = skip_space(skip_value(p));
			if (*p != ',')
				return line_of(text, at);
			p = skip_space(p + 1);
		}
		at = p;
		if (object) {
			if (*p != '"')
				break;
			p = skip_space(skip_string(p));
			if (*p != ':')
				break;
			p = skip_space(p + 1);
		}
	}
	return line_of(text, at);
}

#define CONFIG_MAX_DEPTH	8	/* deeper than any key the file has */

/* The positions that lead from one item to another in the tree: how many, or -1. */
static int
path_to(const cJSON *from, const cJSON *to, int path[CONFIG_MAX_DEPTH], int depth)
{
	const cJSON	*c;
	int		 i = 0, n;

	if (from == to)
		return depth;
	if (depth == CONFIG_MAX_DEPTH)
		return -1;
	for (c = from->child; c != NULL; c = c->next, i++) {
		path[depth] = i;
		if ((n = path_to(c, to, path, depth + 1)) != -1)
			return n;
	}
	return -1;
}

/* The line of an item of the parsed tree in its text; 1 for none. */
static int
item_line(const struct config_parse *cp, const cJSON *item)
{
	int	path[CONFIG_MAX_DEPTH], n;

	if (item == NULL || cp->cp_root == NULL ||
	    (n = path_to(cp->cp_root, item, path, 0)) == -1)
		return 1;
	return config_line_at(cp->cp_text, path, (size_t)n);
}

/*
 * "terminals[2].token_sha256" to a line, for tests and tools: keys are
 * found by name (the first of duplicates), with no '.' or '[' in them.
 */
int
config_line_of(const char *text, const char *keypath)
{
	struct config_parse	 cp = { .cp_text = text };
	cJSON			*root;
	const cJSON		*at;
	const char		*p = keypath;
	char			 key[256], *end;
	size_t			 n;
	long			 idx;
	int			 line;

	if ((root = cJSON_ParseWithOpts(text, NULL, 1)) == NULL)
		return -1;
	cp.cp_root = at = root;
	while (*p != '\0' && at != NULL) {
		if (*p == '[') {
			idx = strtol(p + 1, &end, 10);
			if (end == p + 1 || *end != ']' || idx < 0 || idx > INT_MAX)
				break;
			at = cJSON_IsArray(at) ? cJSON_GetArrayItem(at, (int)idx) : NULL;
			p = end + 1;
		} else {
			if (*p == '.')
				p++;
			n = strcspn(p, ".[");
			if (n >= sizeof key)
				break;
			memcpy(key, p, n);
			key[n] = '\0';
			at = cJSON_IsObject(at) ?
			    cJSON_GetObjectItemCaseSensitive(at, key) : NULL;
			p += n;
		}
	}
	line = *p == '\0' && at != NULL ? item_line(&cp, at) : -1;
	cJSON_Delete(root);
	return line;
}

/* ---- problems ---- */

static void
report_line(struct config_parse *cp, int line, const char *msg)
{
	char	buf[1024];

	if (line > 0)
		snprintf(buf, sizeof buf, "%s:%d: %s", cp->cp_name, line, msg);
	else
		snprintf(buf, sizeof buf, "%s: %s", cp->cp_name, msg);
	cp->cp_report(cp->cp_arg, buf);
}

/*
 * Always -1: one more problem, at the line of item (a missing key: its
 * object; NULL: the file as a whole).  A file with more than
 * CONFIG_MAX_PROBLEMS is mostly wrong, and a long list helps nobody (and
 * finding each line reads the text again): the rest are counted, and one
 * line says so.
 */
static int
problem(struct config_parse *cp, const cJSON *item, const char *fmt, ...)
{
	struct config_problem	*pr;
	va_list			 ap;

	if (cp->cp_problems >= CONFIG_MAX_PROBLEMS + 1) {
		cp->cp_problems++;
		return -1;
	}
	if (cp->cp_kept == NULL)
		cp->cp_kept = xcalloc(CONFIG_MAX_PROBLEMS + 1, sizeof *cp->cp_kept);
	pr = &cp->cp_kept[cp->cp_problems++];
	pr->pr_line = item_line(cp, item);
	if (cp->cp_problems == CONFIG_MAX_PROBLEMS + 1) {
		snprintf(pr->pr_msg, sizeof pr->pr_msg, "more problems from here "
		    "on; only the first %d are shown", CONFIG_MAX_PROBLEMS);
		return -1;
	}
	va_start(ap, fmt);
	vsnprintf(pr->pr_msg, sizeof pr->pr_msg, fmt, ap);
	va_end(ap);
	return -1;
}

/* The problems kept, by line (stable: one line's in the order found), then
 * the line that says more were found. */
static void
report_all(struct config_parse *cp)
{
	struct config_problem	 tmp;
	int			 i, j, n;

	n = cp->cp_problems < CONFIG_MAX_PROBLEMS ? cp->cp_problems :
	    CONFIG_MAX_PROBLEMS;
	for (i = 1; i < n; i++) {
		tmp = cp->cp_kept[i];
		for (j = i; j > 0 && cp->cp_kept[j - 1].pr_line > tmp.pr_line; j--)
			cp->cp_kept[j] = cp->cp_kept[j - 1];
		cp->cp_kept[j] = tmp;
	}
	if (cp->cp_problems > CONFIG_MAX_PROBLEMS)
		n++;
	for (i = 0; i < n; i++)
		report_line(cp, cp->cp_kept[i].pr_line, cp->cp_kept[i].pr_msg);
	free(cp->cp_kept);
	cp->cp_kept = NULL;
}

/* User text for an error message: short, one line, no quotes to confuse. */
static const char *
shown(const char *s, char out[CONFIG_SHOWN + 4])
{
	size_t		i;
	unsigned char	c;

	for (i = 0; s[i] != '\0' && i < CONFIG_SHOWN; i++) {
		c = (unsigned char)s[i];
		out[i] = (c < 0x20 || c == 0x7f || c == '"' || c == '\\') ?
		    '?' : (char)c;
	}
	if (s[i] != '\0') {
		memcpy(out + i, "...", 3);
		i += 3;
	}
	out[i] = '\0';
	return out;
}

static bool
in_list(const char *s, const char *const list[])
{
	size_t	i;

	for (i = 0; list[i] != NULL; i++)
		if (strcmp(s, list[i]) == 0)
			return true;
	return false;
}

/* An object's keys: each known, none twice.  prefix is "" or "path.". */
static int
check_keys(struct config_parse *cp, const cJSON *obj, const char *prefix,
    const char *const known[])
{
	const cJSON	*k, *prev;
	char		 buf[CONFIG_SHOWN + 4];
	int		 rc = 0;

	for (k = obj->child; k != NULL; k = k->next) {
		if (!in_list(k->string, known)) {
			rc = problem(cp, k, "%s%s: unknown key", prefix,
			    shown(k->string, buf));
			continue;
		}
		/* cJSON keeps both; the second would be silently ignored. */
		for (prev = obj->child; prev != k; prev = prev->next)
			if (strcmp(prev->string, k->string) == 0) {
				rc = problem(cp, k, "%s%s: duplicate key",
				    prefix, shown(k->string, buf));
				break;
			}
	}
	return rc;
}

/*
 * A whole JSON number in [min, max]: 1.5, 1e400 and "3" are refused.
 * No floor(): the range check comes first, so the cast is defined.
 */
static int
get_integer(struct config_parse *cp, const cJSON *item, const char *path,
    int64_t min, int64_t max, int64_t *out)
{
	double	d;
	int64_t	v;

	if (!cJSON_IsNumber(item))
		goto bad;
	d = item->valuedouble;
	if (!(d >= (double)min && d <= (double)max))	/* NaN and inf too */
		goto bad;
	v = (int64_t)d;
	if ((double)v != d)
		goto bad;
	*out = v;
	return 0;
bad:
	return problem(cp, item, "%s: must be an integer from %lld to %lld",
	    path, (long long)min, (long long)max);
}

static int
get_int(struct config_parse *cp, const cJSON *parent, const char *key,
    int min, int max, int *out)
{
	const cJSON	*item;
	int64_t		 v = 0;

	if ((item = cJSON_GetObjectItemCaseSensitive(parent, key)) == NULL)
		return 0;
	if (get_integer(cp, item, key, min, max, &v) == -1)
		return -1;
	*out = (int)v;
	return 0;
}

/* Terminal and staff ids: 1 to 32 of [A-Za-z0-9_-], whatever the locale. */
static bool
valid_id(const char *s)
{
	size_t	i;

	for (i = 0; s[i] != '\0'; i++) {
		if (i >= BQ_ID_LEN)
			return false;
		if (!((s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= 'a' && s[i] <= 'z') ||
		    (s[i] >= '0' && s[i] <= '9') || s[i] == '_' || s[i] == '-'))
			return false;
	}
	return i > 0;
}

static bool
no_control(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return false;
	return true;
}

static int
hex_decode_sha256(const char *s, unsigned char out[32])
{
	int	i, hi, lo;

	if (strlen(s) != 64)
		return -1;
	for (i = 0; i < 32; i++) {
		if ((hi = hex_digit(s[2 * i])) == -1 ||
		    (lo = hex_digit(s[2 * i + 1])) == -1)
			return -1;
		out[i] = (unsigned char)(hi << 4 | lo);
	}
	return 0;
}

/* The demo token whose hash this is, or NULL: printed at start-up, so public. */
static const char *
demo_token_of(const unsigned char hash[32])
{
	const struct demo_terminal	*dt;
	unsigned char			 h[32];

	for (dt = demo_terminals; dt->dt_id != NULL; dt++) {
		sha256(dt->dt_token, strlen(dt->dt_token), h);
		if (memcmp(h, hash, sizeof h) == 0)
			return dt->dt_token;
	}
	return NULL;
}
static void
config_defaults(struct config *cf)
{
	memset(cf, 0, sizeof *cf);
	cf->cf_branch = xstrdup(DEFAULT_BRANCH);
	cf->cf_timezone = xstrdup(DEFAULT_TIMEZONE);
	/* DOMAIN §1: 20,000 CNY cash, 50,000 CNY transfers, express 50,000. */
	cf->cf_cash_threshold_fen = 2000000;
	cf->cf_transfer_threshold_fen = 5000000;
	cf->cf_express_cash_fen = 5000000;
	/* DOMAIN §3: teller 200, lobby manager 500, supervisor 2,000 CNY. */
	cf->cf_authority_fen[ROLE_TELLER] = 20000;
	cf->cf_authority_fen[ROLE_LOBBY] = 50000;
	cf->cf_authority_fen[ROLE_SUPERVISOR] = 200000;
	cf->cf_follow_up_hours = 24;
	cf->cf_target_wait_s = 900;
	cf->cf_max_recalls = 2;
	cf->cf_default_service_s = 300;
	cf->cf_webhook_connect_timeout_ms = 5000;
	cf->cf_webhook_timeout_ms = 10000;
	cf->cf_webhook_retry_hours = 24;	/* issue 4: "for at least 24 hours" */
	cf->cf_webhook_max_pending = 10000;
	/* Connection limits (docs/SECURITY.md).  Issue 6: 10,000 idle terminals. */
	cf->cf_max_connections = 16384;
	cf->cf_hello_timeout_s = 10;
	cf->cf_idle_timeout_s = 0;		/* off: displays may sit idle */
	cf->cf_write_timeout_s = 60;
	cf->cf_subscriber_buffer_bytes = BQ_MAX_SUBSCRIBER_OUT;
	cf->cf_auth_max_failures = 10;
	cf->cf_auth_window_s = 60;
	cf->cf_auth_lockout_s = 60;
	cf->cf_auth_lockout_max_s = 3600;
	/* The HTTP face (PROTOCOL HTTP, docs/HTTP.md). */
	cf->cf_http_max_connections = 4096;
	cf->cf_http_max_streams = 512;
	cf->cf_http_heartbeat_s = 15;
	cf->cf_http_session_staff_hours = 12;
	cf->cf_http_session_device_days = 30;
	/* Operations: PIPL asks for no longer than needed; a year by default. */
	cf->cf_retention_days = 365;
	cf->cf_backup_minute = 2 * 60 + 30;	/* 02:30, before the branch opens */
	cf->cf_backup_keep = 7;
	cf->cf_hq.hq_keep_days = HQ_DEFAULT_KEEP_DAYS;
	cf->cf_hq.hq_batch_events = HQ_DEFAULT_BATCH_EVENTS;
	cf->cf_hq.hq_retry_max_s = HQ_DEFAULT_RETRY_MAX_S;
	cf->cf_hq.hq_timeout_s = HQ_DEFAULT_TIMEOUT_S;
	cf->cf_metrics_public = false;
}

static int
parse_branch(struct config_parse *cp, struct config *cf, const cJSON *root)
{
	const cJSON	*item;
	const char	*s;

	if ((item = cJSON_GetObjectItemCaseSensitive(root, "branch")) == NULL)
		return 0;
	s = cJSON_GetStringValue(item);
	if (s == NULL || *s == '\0' || strlen(s) > CONFIG_MAX_BRANCH || !no_control(s))
		return problem(cp, item, "branch: must be a string of 1 to %d bytes "
		    "without control characters", CONFIG_MAX_BRANCH);
	free(cf->cf_branch);
	cf->cf_branch = xstrdup(s);
	return 0;
}

/* The zone must exist; the caller makes it the process's zone (start-up). */
static int
parse_timezone(struct config_parse *cp, struct config *cf, const cJSON *root)
{
	const cJSON	*item;
	const char	*s;
	char		 buf[CONFIG_SHOWN + 4];

	if ((item = cJSON_GetObjectItemCaseSensitive(root, "timezone")) != NULL) {
		if ((s = cJSON_GetStringValue(item)) == NULL)
			return problem(cp, item, "timezone: must be a string");
		free(cf->cf_timezone);
		cf->cf_timezone = xstrdup(s);
	}
	/* Only checked: the daemon sets its zone once, at start-up (a reload
	 * keeps it, and must not touch the environment a worker reads). */
	if (!time_zone_exists(cf->cf_timezone))
		return problem(cp, item, "timezone: unknown time zone \"%s\"",
		    shown(cf->cf_timezone, buf));
	return 0;
}

static int
parse_money_object(struct config_parse *cp, const cJSON *root, const char *name,
    const char *const keys[], int64_t *const dst[])
{
	const cJSON	*obj, *item;
	char		 prefix[64], path[64];
	size_t		 i;
	int		 rc;

	if ((obj = cJSON_GetObjectItemCaseSensitive(root, name)) == NULL)
		return 0;
	if (!cJSON_IsObject(obj))
		return problem(cp, obj, "%s: must be an object", name);
	snprintf(prefix, sizeof prefix, "%s.", name);
	rc = check_keys(cp, obj, prefix, keys);
	for (i = 0; keys[i] != NULL; i++) {
		if ((item = cJSON_GetObjectItemCaseSensitive(obj, keys[i])) == NULL)
			continue;
		snprintf(path, sizeof path, "%s.%s", name, keys[i]);
		if (get_integer(cp, item, path, 0, CONFIG_MAX_MONEY_FEN, dst[i]) == -1)
			rc = -1;
	}
	return rc;
}

static int
parse_accessible_windows(struct config_parse *cp, struct config *cf,
    const cJSON *root)
{
	const cJSON	*arr, *item;
	char		 path[64];
	int64_t		 no = 0;
	int		 i = 0, rc = 0;

	if ((arr = cJSON_GetObjectItemCaseSensitive(root, "accessible_windows")) == NULL)
		return 0;
	if (!cJSON_IsArray(arr))
		return problem(cp, arr, "accessible_windows: must be an array of "
		    "window numbers");
	cJSON_ArrayForEach(item, arr) {
		snprintf(path, sizeof path, "accessible_windows[%d]", i++);
		if (get_integer(cp, item, path, 1, BQ_MAX_WINDOW, &no) == -1)
			rc = -1;
		/* [3, 3] is most likely a typo for [3, 4]. */
		else if (cf->cf_accessible_window[no])
			rc = problem(cp, item, "%s: duplicate window %lld", path,
			    (long long)no);
		else
			cf->cf_accessible_window[no] = true;
	}
	return rc;
}

/* Digits, hex letters, dots and colons; an IPv6 address in brackets (its
 * colons would make a port ambiguous); no space anywhere. */
static bool
printer_address(const char *s)
{
	const char	*colon = strchr(s, ':');

	if (strspn(s, "0123456789abcdefABCDEF.:[]") != strlen(s) || colon == NULL)
		return false;
	return s[0] == '[' || strchr(colon + 1, ':') == NULL;
}

/*
 * PROTOCOL "Kiosk printers": a kiosk's receipt printer, "IP:PORT" or
 * "[IPv6]:PORT".  An address, never a name: a name would need a lookup,
 * which blocks, on the loop (printer.c connects from it).  The role must
 * be known.
 */
static int
parse_printer(struct config_parse *cp, struct terminal_conf *tc, const cJSON *obj,
    const char *prefix)
{
	const cJSON		*item = cJSON_GetObjectItemCaseSensitive(obj, "printer");
	const char		*s, *id = *tc->tc_id != '\0' ? tc->tc_id : "?";
	struct sockaddr_storage	 ss;
	char			 buf[CONFIG_SHOWN + 4];
	int			 len;

	if (item == NULL)
		return 0;
	if (tc->tc_role != ROLE_KIOSK)
		return problem(cp, item, "%sprinter: terminal %s is a %s; only a "
		    "kiosk has a printer", prefix, id, role_name(tc->tc_role));
	if ((s = cJSON_GetStringValue(item)) == NULL)
		return problem(cp, item, "%sprinter: terminal %s: must be a string, "
		    "IP:PORT or [IPv6]:PORT", prefix, id);
	if (!printer_address(s) || strlen(s) >= sizeof tc->tc_printer ||
	    net_parse_listen(s, &ss, &len) == -1 || net_port(&ss) == 0)
		return problem(cp, item, "%sprinter: terminal %s: \"%s\" must be "
		    "IP:PORT or [IPv6]:PORT, a numeric address (no host names) and a "
		    "port from 1 to 65535, e.g. 192.168.1.50:9100", prefix, id,
		    shown(s, buf));
	snprintf(tc->tc_printer, sizeof tc->tc_printer, "%s", s);
	return 0;
}

/* The token's hash: required, 64 hex digits, and no demo token's. */
static int
parse_token(struct config_parse *cp, struct terminal_conf *tc, const cJSON *obj,
    const char *prefix)
{
	const cJSON	*item = cJSON_GetObjectItemCaseSensitive(obj, "token_sha256");
	const char	*s, *demo;

	if (item == NULL)
		return problem(cp, obj, "%stoken_sha256: required; make a token "
		    "and this line with \"branchq token\"", prefix);
	if ((s = cJSON_GetStringValue(item)) == NULL ||
	    hex_decode_sha256(s, tc->tc_token_sha256) == -1)
		return problem(cp, item, "%stoken_sha256: must be 64 hex digits "
		    "(the SHA-256 of the token)", prefix);
	/* A bank must not run on a token every user of branchq knows. */
	if ((demo = demo_token_of(tc->tc_token_sha256)) != NULL)
		return problem(cp, item, "%stoken_sha256: the public demo token "
		    "\"%s\"; make a new one with \"branchq token\"", prefix, demo);
	return 0;
}

/*
 * One terminal, every key checked.  -1 when its id, role or staff is
 * wrong: the checks across terminals (duty_supervisor) are then skipped.
 */
static int
parse_terminal(struct config_parse *cp, struct config *cf, const cJSON *obj,
    size_t idx)
{
	struct terminal_conf	*tc = &cf->cf_terminals[idx];
	const cJSON		*item;
	const char		*s;
	char			 prefix[64];
	size_t			 j;
	int			 role, rc = 0;

	snprintf(prefix, sizeof prefix, "terminals[%zu].", idx);
	if (!cJSON_IsObject(obj))
		return problem(cp, obj, "terminals[%zu]: must be an object", idx);
	check_keys(cp, obj, prefix, terminal_keys);

	item = cJSON_GetObjectItemCaseSensitive(obj, "id");
	if ((s = cJSON_GetStringValue(item)) == NULL || !valid_id(s))
		rc = problem(cp, item != NULL ? item : obj, "%sid: must be 1 to %d "
		    "characters of A-Z a-z 0-9 _ -", prefix, BQ_ID_LEN);
	else {
		for (j = 0; j < idx; j++)
			if (strcmp(cf->cf_terminals[j].tc_id, s) == 0)
				break;
		if (j < idx)
			rc = problem(cp, item, "%sid: duplicate id \"%s\"", prefix, s);
		snprintf(tc->tc_id, sizeof tc->tc_id, "%s", s);
	}

	item = cJSON_GetObjectItemCaseSensitive(obj, "role");
	if ((s = cJSON_GetStringValue(item)) == NULL ||
	    (role = role_from_name(s)) == -1) {
		rc = problem(cp, item != NULL ? item : obj, "%srole: must be one of "
		    "kiosk, display, teller, lobby, supervisor", prefix);
		role = ROLE_NONE;	/* staff and printer depend on it: unchecked */
	}
	tc->tc_role = (enum role)role;

	item = cJSON_GetObjectItemCaseSensitive(obj, "staff");
	if (tc->tc_role == ROLE_KIOSK || tc->tc_role == ROLE_DISPLAY) {
		/* A kiosk or display is nobody's: staff there is a mistake. */
		if (item != NULL && ((s = cJSON_GetStringValue(item)) == NULL ||
		    *s != '\0'))
			rc = problem(cp, item, "%sstaff: must be absent or empty "
			    "for a %s", prefix, role_name(tc->tc_role));
	} else if (tc->tc_role != ROLE_NONE) {
		if (item == NULL)
			rc = problem(cp, obj, "%sstaff: required for a %s",
			    prefix, role_name(tc->tc_role));
		else if ((s = cJSON_GetStringValue(item)) == NULL || !valid_id(s))
			rc = problem(cp, item, "%sstaff: must be 1 to %d "
			    "characters of A-Z a-z 0-9 _ -", prefix, BQ_ID_LEN);
		else
			snprintf(tc->tc_staff, sizeof tc->tc_staff, "%s", s);
	}

	parse_token(cp, tc, obj, prefix);
	if (tc->tc_role != ROLE_NONE)
		parse_printer(cp, tc, obj, prefix);
	return rc;
}

/* -1 when the terminals cannot be relied on for the checks across them. */
static int
parse_terminals(struct config_parse *cp, struct config *cf, const cJSON *root)
{
	const cJSON	*arr, *item;
	int		 n, rc = 0;

	if ((arr = cJSON_GetObjectItemCaseSensitive(root, "terminals")) == NULL)
		return problem(cp, root, "terminals: required: a non-empty array "
		    "of terminals; add one object per kiosk, display and counter "
		    "(see branchq.json(5)); make each token with \"branchq token\"");
	if (!cJSON_IsArray(arr))
		return problem(cp, arr, "terminals: must be a non-empty array of "
		    "terminal objects");
	if ((n = cJSON_GetArraySize(arr)) == 0)
		return problem(cp, arr, "terminals: no terminals configured: add "
		    "one object per kiosk, display and counter (see branchq.json(5)); "
		    "make each token with \"branchq token\"");
	cf->cf_terminals = xcalloc((size_t)n, sizeof *cf->cf_terminals);
	cJSON_ArrayForEach(item, arr) {
		if (parse_terminal(cp, cf, item, cf->cf_nterminals) == -1)
			rc = -1;
		cf->cf_nterminals++;
	}
	return rc;
}

/* terminals_ok: false when a terminal's id, role or staff was wrong. */
static int
parse_duty_supervisor(struct config_parse *cp, struct config *cf,
    const cJSON *root, bool terminals_ok)
{
	const struct terminal_conf	*tc;
	const cJSON			*item;
	const char			*s = NULL;
	char				 buf[CONFIG_SHOWN + 4];
	size_t				 i;

	item = cJSON_GetObjectItemCaseSensitive(root, "duty_supervisor");
	if (item != NULL && (s = cJSON_GetStringValue(item)) == NULL)
		return problem(cp, item, "duty_supervisor: must be a string");
	for (i = 0; i < cf->cf_nterminals; i++) {
		tc = &cf->cf_terminals[i];
		if (tc->tc_role != ROLE_SUPERVISOR)
			continue;
		/* Absent: the first supervisor is on duty. */
		if (s == NULL || strcmp(tc->tc_staff, s) == 0) {
			cf->cf_duty_supervisor = xstrdup(tc->tc_staff);
			return 0;
		}
	}
	if (s != NULL && terminals_ok)
		return problem(cp, item, "duty_supervisor: \"%s\" is not the staff "
		    "id of a supervisor terminal", shown(s, buf));
	return 0;
}

static int
parse_webhook(struct config_parse *cp, struct webhook_conf *wh,
    const cJSON *obj, int idx)
{
	const cJSON	*item, *ev;
	const char	*s;
	char		 prefix[64], buf[CONFIG_SHOWN + 4];
	size_t		 j, len;
	int		 n, k = 0, rc;

	snprintf(prefix, sizeof prefix, "webhooks[%d].", idx);
	if (!cJSON_IsObject(obj))
		return problem(cp, obj, "webhooks[%d]: must be an object", idx);
	rc = check_keys(cp, obj, prefix, webhook_keys);

	item = cJSON_GetObjectItemCaseSensitive(obj, "url");
	s = cJSON_GetStringValue(item);
	if (s == NULL || (len = strlen(s)) > CONFIG_MAX_URL ||
	    !((strncmp(s, "http://", 7) == 0 && len > 7) ||
	    (strncmp(s, "https://", 8) == 0 && len > 8)) ||
	    !no_control(s) || strchr(s, ' ') != NULL)
		rc = problem(cp, item != NULL ? item : obj, "%surl: must be an "
		    "http:// or https:// URL of at most %d characters", prefix,
		    CONFIG_MAX_URL);
	else
		wh->wh_url = xstrdup(s);

	item = cJSON_GetObjectItemCaseSensitive(obj, "secret");
	if ((s = cJSON_GetStringValue(item)) == NULL || *s == '\0')
		rc = problem(cp, item != NULL ? item : obj, "%ssecret: must be a "
		    "non-empty string", prefix);
	else
		wh->wh_secret = xstrdup(s);

	item = cJSON_GetObjectItemCaseSensitive(obj, "events");
	if (!cJSON_IsArray(item) || (n = cJSON_GetArraySize(item)) == 0)
		return problem(cp, item != NULL ? item : obj, "%sevents: must be a "
		    "non-empty array of event names", prefix);
	wh->wh_events = xcalloc((size_t)n, sizeof *wh->wh_events);
	cJSON_ArrayForEach(ev, item) {
		if ((s = cJSON_GetStringValue(ev)) == NULL ||
		    !in_list(s, webhook_events)) {
			rc = problem(cp, ev, "%sevents[%d]: must be one of "
			    "complaint.logged, followup.overdue, survey.detractor",
			    prefix, k++);
			continue;
		}
		for (j = 0; j < wh->wh_nevents; j++)
			if (strcmp(wh->wh_events[j], s) == 0)
				break;
		if (j < wh->wh_nevents)
			rc = problem(cp, ev, "%sevents[%d]: duplicate event \"%s\"",
			    prefix, k, shown(s, buf));
		else
			wh->wh_events[wh->wh_nevents++] = xstrdup(s);
		k++;
	}
	return rc;
}

static int
parse_webhooks(struct config_parse *cp, struct config *cf, const cJSON *root)
{
	const cJSON	*arr, *item;
	int		 n, i = 0, j, rc = 0;

	if ((arr = cJSON_GetObjectItemCaseSensitive(root, "webhooks")) == NULL)
		return 0;
	if (!cJSON_IsArray(arr))
		return problem(cp, arr, "webhooks: must be an array");
	if ((n = cJSON_GetArraySize(arr)) == 0)
		return 0;
	/* Zeroed and counted up front: config_free copes with a half-built one. */
	cf->cf_webhooks = xcalloc((size_t)n, sizeof *cf->cf_webhooks);
	cf->cf_nwebhooks = (size_t)n;
	cJSON_ArrayForEach(item, arr) {
		if (parse_webhook(cp, &cf->cf_webhooks[i], item, i) == -1)
			rc = -1;
		/* Deliveries name their receiver by URL. */
		for (j = 0; j < i && cf->cf_webhooks[i].wh_url != NULL; j++)
			if (cf->cf_webhooks[j].wh_url != NULL &&
			    strcmp(cf->cf_webhooks[j].wh_url, cf->cf_webhooks[i].wh_url) == 0) {
				rc = problem(cp, cJSON_GetObjectItemCaseSensitive(item,
				    "url"), "webhooks[%d].url: the same URL as "
				    "webhooks[%d]; list every event of a receiver in "
				    "one entry", i, j);
				break;
			}
		i++;
	}
	return rc;
}

/*
 * PROTOCOL HTTP: the host names a browser may reach the daemon by, beside
 * IP addresses and localhost (DNS rebinding).  Names only: no port, no
 * scheme, no wildcard.
 */
static int
parse_http_hosts(struct config_parse *cp, struct config *cf, const cJSON *root)
{
	const cJSON	*list, *el;
	const char	*p;
	char		 buf[CONFIG_SHOWN + 4];
	size_t		 i = 0;
	int		 rc = 0;

	if ((list = cJSON_GetObjectItemCaseSensitive(root, "http_hosts")) == NULL)
		return 0;
	if (!cJSON_IsArray(list))
		return problem(cp, list, "http_hosts: must be an array of host names");
	cf->cf_http_hosts = xcalloc((size_t)cJSON_GetArraySize(list) + 1,
	    sizeof *cf->cf_http_hosts);
	cJSON_ArrayForEach(el, list) {
		if (!cJSON_IsString(el) || el->valuestring[0] == '\0' ||
		    strlen(el->valuestring) > 253) {
			rc = problem(cp, el, "http_hosts[%zu]: must be a host name", i++);
			continue;
		}
		for (p = el->valuestring; *p != '\0'; p++)
			if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
			    (*p >= '0' && *p <= '9') || *p == '-' || *p == '.'))
				break;
		if (*p != '\0')
			rc = problem(cp, el, "http_hosts[%zu]: \"%s\" is not a host "
			    "name (letters, digits, '-' and '.'; no port)", i,
			    shown(el->valuestring, buf));
		else
			cf->cf_http_hosts[cf->cf_nhttp_hosts++] = xstrdup(el->valuestring);
		i++;
	}
	return rc;
}

/* Connection and authentication limits (docs/SECURITY.md). */
static int
parse_limits(struct config_parse *cp, struct config *cf, const cJSON *root)
{
	const cJSON	*at;
	int		 lockout_rc, rc = 0;

	if (get_int(cp, root, "max_connections", 1, 1000000,
	    &cf->cf_max_connections) == -1)
		rc = -1;
	if (get_int(cp, root, "hello_timeout_s", 0, 3600,
	    &cf->cf_hello_timeout_s) == -1)
		rc = -1;
	if (get_int(cp, root, "idle_timeout_s", 0, 604800,
	    &cf->cf_idle_timeout_s) == -1)
		rc = -1;
	if (get_int(cp, root, "write_timeout_s", 1, 3600,
	    &cf->cf_write_timeout_s) == -1)
		rc = -1;
	if (get_int(cp, root, "subscriber_buffer_bytes", 4096, BQ_MAX_SUBSCRIBER_OUT,
	    &cf->cf_subscriber_buffer_bytes) == -1)
		rc = -1;
	if (get_int(cp, root, "auth_max_failures", 1, 1000,
	    &cf->cf_auth_max_failures) == -1)
		rc = -1;
	if (get_int(cp, root, "auth_window_s", 1, 86400, &cf->cf_auth_window_s) == -1)
		rc = -1;
	lockout_rc = get_int(cp, root, "auth_lockout_s", 1, 86400,
	    &cf->cf_auth_lockout_s);
	lockout_rc |= get_int(cp, root, "auth_lockout_max_s", 1, 604800,
	    &cf->cf_auth_lockout_max_s);
	if (get_int(cp, root, "http_max_connections", 1, 1000000,
	    &cf->cf_http_max_connections) == -1)
		rc = -1;
	if (get_int(cp, root, "http_max_streams", 0, 1000000,
	    &cf->cf_http_max_streams) == -1)
		rc = -1;
	if (get_int(cp, root, "http_heartbeat_s", 1, 15, &cf->cf_http_heartbeat_s) == -1)
		rc = -1;
	if (get_int(cp, root, "http_session_staff_hours", 1, 24 * 366,
	    &cf->cf_http_session_staff_hours) == -1)
		rc = -1;
	if (get_int(cp, root, "http_session_device_days", 1, 3660,
	    &cf->cf_http_session_device_days) == -1)
		rc = -1;
	if (parse_http_hosts(cp, cf, root) == -1)
		rc = -1;
	/* The lockout doubles up to the maximum: a smaller maximum is a typo.
	 * Only when both are good: else it is the same mistake twice. */
	if (lockout_rc != 0)
		return -1;
	if (cf->cf_auth_lockout_max_s < cf->cf_auth_lockout_s) {
		/* Absent, the maximum is the default: the line is the minimum's. */
		if ((at = cJSON_GetObjectItemCaseSensitive(root,
		    "auth_lockout_max_s")) == NULL)
			at = cJSON_GetObjectItemCaseSensitive(root, "auth_lockout_s");
		return problem(cp, at, "auth_lockout_max_s: must be at least "
		    "auth_lockout_s (%d)", cf->cf_auth_lockout_s);
	}
	return rc;
}

static bool
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* Operations: retention, the daily backup, metrics (docs/OPERATIONS.md). */
static int
parse_operations(struct config_parse *cp, struct config *cf, const cJSON *root)
{
	const cJSON	*item;
	const char	*s;
	int		 h, m, rc = 0;

	if (get_int(cp, root, "retention_days", 1, 36500, &cf->cf_retention_days) == -1)
		rc = -1;
	if (get_int(cp, root, "backup_keep", 1, 1000, &cf->cf_backup_keep) == -1)
		rc = -1;
	if ((item = cJSON_GetObjectItemCaseSensitive(root, "backup_at")) != NULL) {
		s = cJSON_GetStringValue(item);
		if (s == NULL || strlen(s) != 5 || s[2] != ':' || !is_digit(s[0]) ||
		    !is_digit(s[1]) || !is_digit(s[3]) || !is_digit(s[4]) ||
		    (h = (s[0] - '0') * 10 + s[1] - '0') > 23 ||
		    (m = (s[3] - '0') * 10 + s[4] - '0') > 59)
			rc = problem(cp, item, "backup_at: must be a local time of day "
			    "\"HH:MM\", from \"00:00\" to \"23:59\"");
		else
			cf->cf_backup_minute = h * 60 + m;
	}
	if ((item = cJSON_GetObjectItemCaseSensitive(root, "metrics_public")) != NULL) {
		if (!cJSON_IsBool(item))
			rc = problem(cp, item, "metrics_public: must be true or false");
		else
			cf->cf_metrics_public = cJSON_IsTrue(item);
	}
	return rc;
}

/*
 * "hq": the head office's PostgreSQL (docs/HEADOFFICE.md).  The conninfo is
 * checked as libpq reads it (PQconninfoParse: no I/O, no lookup): one host;
 * over a network sslmode verify-full, so the relay talks to head office
 * and nobody else; a Unix-socket directory (host=/path) needs no TLS.  A
 * "service" is refused: pg_service.conf could change the host or the
 * sslmode behind the check.
 */
static int
parse_hq_conninfo(struct config_parse *cp, struct config *cf, const cJSON *item)
{
	PQconninfoOption	*opts, *o;
	const char		*s = cJSON_GetStringValue(item);
	const char		*host = NULL, *hostaddr = NULL, *sslmode = NULL, *port = NULL;
	char			*errmsg = NULL, why[256];
	size_t			 n;
	int			 rc = 0;

	if (s == NULL || *s == '\0' || strlen(s) > 4096 || !no_control(s))
		return problem(cp, item, "hq.conninfo: must be a libpq connection string "
		    "(\"host=... dbname=... user=... sslmode=verify-full\"), at most 4096 "
		    "characters");
	if ((opts = PQconninfoParse(s, &errmsg)) == NULL) {
		snprintf(why, sizeof why, "%s", errmsg != NULL ? errmsg : "out of memory");
		PQfreemem(errmsg);
		for (n = strlen(why); n > 0 && (why[n - 1] == '\n' || why[n - 1] == ' ');)
			why[--n] = '\0';
		return problem(cp, item, "hq.conninfo: libpq cannot read it: %s", why);
	}
	for (o = opts; o->keyword != NULL; o++) {
		if (o->val == NULL)
			continue;
		if (strcmp(o->keyword, "host") == 0)
			host = o->val;
		else if (strcmp(o->keyword, "hostaddr") == 0)
			hostaddr = o->val;
		else if (strcmp(o->keyword, "sslmode") == 0)
			sslmode = o->val;
		else if (strcmp(o->keyword, "port") == 0)
			port = o->val;
		else if (strcmp(o->keyword, "service") == 0)
			rc = problem(cp, item, "hq.conninfo: service is not allowed (its file "
			    "could change the host or sslmode); write the keywords out");
	}
	if (rc != 0)
		;	/* a service: the rest would be guesses */
	else if (host == NULL || *host == '\0')
		rc = problem(cp, item, "hq.conninfo: host is required: head office's host "
		    "name (with sslmode=verify-full) or a Unix-socket directory (host=/path)");
	else if (strchr(host, ',') != NULL || (hostaddr != NULL && strchr(hostaddr, ',')
	    != NULL) || (port != NULL && strchr(port, ',') != NULL))
		rc = problem(cp, item, "hq.conninfo: one host only (no lists in host, "
		    "hostaddr or port)");
	else if (*host != '/' && (sslmode == NULL || strcmp(sslmode, "verify-full") != 0))
		rc = problem(cp, item, "hq.conninfo: sslmode must be verify-full over a "
		    "network (host=%s): the server's certificate checked against a CA and "
		    "the name; only a Unix-socket directory (host=/path) may go without TLS",
		    host);
	PQconninfoFree(opts);
	if (rc == 0)
		cf->cf_hq.hq_conninfo = xstrdup(s);
	return rc;
}

static int
parse_hq(struct config_parse *cp, struct config *cf, const cJSON *root)
{
	static const struct {
		const char	*hi_key;
		int		 hi_min, hi_max;
		size_t		 hi_offset;
	} ints[] = {
		{ "keep_days", 1, 3650, offsetof(struct hq_conf, hq_keep_days) },
		{ "batch_events", 1, 10000, offsetof(struct hq_conf, hq_batch_events) },
		{ "retry_max_s", 1, 3600, offsetof(struct hq_conf, hq_retry_max_s) },
		{ "timeout_s", 1, 600, offsetof(struct hq_conf, hq_timeout_s) },
	};
	const cJSON	*obj, *item;
	const char	*s;
	char		 path[32];
	int64_t		 v;
	size_t		 i;
	int		 rc = 0;

	if ((obj = cJSON_GetObjectItemCaseSensitive(root, "hq")) == NULL)
		return 0;
	if (!cJSON_IsObject(obj))
		return problem(cp, obj, "hq: must be an object with at least \"conninfo\"");
	rc = check_keys(cp, obj, "hq.", hq_keys);
	if ((item = cJSON_GetObjectItemCaseSensitive(obj, "conninfo")) == NULL)
		rc = problem(cp, obj, "hq.conninfo: required (libpq's \"host=... dbname=... "
		    "user=... sslmode=verify-full\")");
	else if (parse_hq_conninfo(cp, cf, item) == -1)
		rc = -1;
	if ((item = cJSON_GetObjectItemCaseSensitive(obj, "region")) != NULL) {
		s = cJSON_GetStringValue(item);
		if (s == NULL || *s == '\0' || strlen(s) > HQ_REGION_MAX || !no_control(s))
			rc = problem(cp, item, "hq.region: must be a non-empty string of at most "
			    "%d bytes", HQ_REGION_MAX);
		else
			cf->cf_hq.hq_region = xstrdup(s);
	}
	for (i = 0; i < sizeof ints / sizeof ints[0]; i++) {
		if ((item = cJSON_GetObjectItemCaseSensitive(obj, ints[i].hi_key)) == NULL)
			continue;
		snprintf(path, sizeof path, "hq.%s", ints[i].hi_key);
		if (get_integer(cp, item, path, ints[i].hi_min, ints[i].hi_max, &v) == -1)
			rc = -1;
		else
			*(int *)(void *)((char *)&cf->cf_hq + ints[i].hi_offset) = (int)v;
	}
	/* Half a configuration is none: the daemon must not ship to a guess. */
	if (rc != 0) {
		free(cf->cf_hq.hq_conninfo);
		cf->cf_hq.hq_conninfo = NULL;
	}
	return rc;
}

/* The plain numbers at the top: each independent of the others. */
static const struct config_int {
	const char	*ci_key;
	int		 ci_min, ci_max;
	size_t		 ci_offset;
} top_ints[] = {
	{ "follow_up_hours", 1, 720, offsetof(struct config, cf_follow_up_hours) },
	{ "target_wait_s", 1, 86400, offsetof(struct config, cf_target_wait_s) },
	{ "max_recalls", 0, 10, offsetof(struct config, cf_max_recalls) },
	{ "default_service_s", 1, 86400, offsetof(struct config, cf_default_service_s) },
	{ "webhook_connect_timeout_ms", 100, 60000,
	    offsetof(struct config, cf_webhook_connect_timeout_ms) },
	{ "webhook_timeout_ms", 100, 300000,
	    offsetof(struct config, cf_webhook_timeout_ms) },
	{ "webhook_retry_hours", 1, 720, offsetof(struct config, cf_webhook_retry_hours) },
	{ "webhook_max_pending", 1, 1000000,
	    offsetof(struct config, cf_webhook_max_pending) },
};

/* Every part checked, whatever the parts before it held. */
static void
config_parse_root(struct config_parse *cp, struct config *cf, const cJSON *root)
{
	int64_t *const	thresholds[] = { &cf->cf_cash_threshold_fen,
	    &cf->cf_transfer_threshold_fen, &cf->cf_express_cash_fen };
	int64_t *const	authority[] = { &cf->cf_authority_fen[ROLE_TELLER],
	    &cf->cf_authority_fen[ROLE_LOBBY],
	    &cf->cf_authority_fen[ROLE_SUPERVISOR] };
	const struct config_int	*ci;
	bool			 terminals_ok;

	if (!cJSON_IsObject(root)) {
		problem(cp, NULL, "must be a JSON object");
		return;
	}
	check_keys(cp, root, "", top_keys);
	parse_branch(cp, cf, root);
	parse_timezone(cp, cf, root);
	parse_money_object(cp, root, "thresholds_fen", threshold_keys, thresholds);
	parse_money_object(cp, root, "authority_fen", authority_keys, authority);
	for (ci = top_ints; ci < top_ints + sizeof top_ints / sizeof top_ints[0]; ci++)
		get_int(cp, root, ci->ci_key, ci->ci_min, ci->ci_max,
		    (int *)(void *)((char *)cf + ci->ci_offset));
	parse_limits(cp, cf, root);
	parse_operations(cp, cf, root);
	parse_accessible_windows(cp, cf, root);
	terminals_ok = parse_terminals(cp, cf, root) == 0;
	parse_duty_supervisor(cp, cf, root, terminals_ok);
	parse_webhooks(cp, cf, root);
	parse_hq(cp, cf, root);
}

/* Keeps the first problem for config_load_text() and config_load_file(). */
struct first_problem {
	char	*fp_err;
	size_t	 fp_errlen;
	bool	 fp_set;
};

static void
keep_first(void *arg, const char *msg)
{
	struct first_problem	*fp = arg;

	if (fp->fp_set || fp->fp_err == NULL || fp->fp_errlen == 0)
		return;
	snprintf(fp->fp_err, fp->fp_errlen, "%s", msg);
	fp->fp_set = true;
}

int
config_load_text_report(struct config *cf, const char *name, const char *text,
    void (*report)(void *, const char *), void *arg)
{
	struct config_parse	 cp = { name, text, NULL, report, arg, 0, NULL };
	cJSON			*root;
	const char		*at;

	config_defaults(cf);
	/* Require the end of the text after the object: no trailing garbage.
	 * Nothing after a syntax error can be checked: one problem. */
	if ((root = cJSON_ParseWithOpts(text, NULL, 1)) == NULL) {
		if ((at = cJSON_GetErrorPtr()) == NULL)
			at = text;
		report_line(&cp, line_of(text, at), "invalid JSON (nothing after "
		    "this line can be checked)");
		config_free(cf);
		return 1;
	}
	cp.cp_root = root;
	config_parse_root(&cp, cf, root);
	cJSON_Delete(root);
	if (cp.cp_problems == 0)
		return 0;
	report_all(&cp);
	config_free(cf);	/* leaves it zeroed: freeing again is safe */
	return cp.cp_problems;
}

int
config_load_text(struct config *cf, const char *name, const char *text,
    char *err, size_t errlen)
{
	struct first_problem	fp = { err, errlen, false };

	return config_load_text_report(cf, name, text, keep_first, &fp) == 0 ? 0 : -1;
}

int
config_load_file_report(struct config *cf, const char *path,
    void (*report)(void *, const char *), void *arg)
{
	struct config_parse	 cp = { path, NULL, NULL, report, arg, 0, NULL };
	FILE			*f;
	char			*buf, *nul, msg[256];
	size_t			 len;
	int			 rc;

	memset(cf, 0, sizeof *cf);
	/* A file that cannot be read has no line to name. */
	if ((f = fopen(path, "rb")) == NULL) {
		snprintf(msg, sizeof msg, "cannot read: %s", strerror(errno));
		report_line(&cp, 0, msg);
		return 1;
	}
	buf = xcalloc(1, CONFIG_MAX_FILE + 2);
	len = fread(buf, 1, CONFIG_MAX_FILE + 1, f);
	if (ferror(f)) {
		snprintf(msg, sizeof msg, "cannot read: %s", strerror(errno));
		fclose(f);
		free(buf);
		report_line(&cp, 0, msg);
		return 1;
	}
	fclose(f);
	if (len > CONFIG_MAX_FILE) {
		free(buf);
		report_line(&cp, 0, "larger than 1 MiB");
		return 1;
	}
	/* cJSON would take a NUL for the end of the text and ignore the rest. */
	if ((nul = memchr(buf, '\0', len)) != NULL) {
		report_line(&cp, line_of(buf, nul), "invalid JSON (a NUL byte; "
		    "nothing after this line can be checked)");
		free(buf);
		return 1;
	}
	rc = config_load_text_report(cf, path, buf, report, arg);
	free(buf);
	return rc;
}

int
config_load_file(struct config *cf, const char *path, char *err, size_t errlen)
{
	struct first_problem	fp = { err, errlen, false };

	return config_load_file_report(cf, path, keep_first, &fp) == 0 ? 0 : -1;
}

/* The caller sets the process zone from cf_timezone, as for a file. */
void
config_demo(struct config *cf)
{
	const struct demo_terminal	*dt;
	struct terminal_conf		*tc;
	size_t				 n;

	config_defaults(cf);
	free(cf->cf_branch);
	cf->cf_branch = xstrdup(DEMO_BRANCH);
	cf->cf_demo = true;
	for (n = 0; demo_terminals[n].dt_id != NULL; n++)
		;
	cf->cf_terminals = xcalloc(n, sizeof *cf->cf_terminals);
	for (dt = demo_terminals; dt->dt_id != NULL; dt++) {
		tc = &cf->cf_terminals[cf->cf_nterminals++];
		snprintf(tc->tc_id, sizeof tc->tc_id, "%s", dt->dt_id);
		tc->tc_role = (enum role)role_from_name(dt->dt_role);
		snprintf(tc->tc_staff, sizeof tc->tc_staff, "%s", dt->dt_staff);
		sha256(dt->dt_token, strlen(dt->dt_token), tc->tc_token_sha256);
		/* As for a file: the first supervisor is on duty. */
		if (tc->tc_role == ROLE_SUPERVISOR && cf->cf_duty_supervisor == NULL)
			cf->cf_duty_supervisor = xstrdup(tc->tc_staff);
	}
}

void
config_print_demo(const struct config *cf, void (*out)(const char *))
{
	const struct demo_terminal	*dt;
	char				 line[256];

	snprintf(line, sizeof line, "branchqd: no --config and no ./branchq.json: "
	    "using the built-in demo configuration (branch %s); its tokens are "
	    "public, not for real use",
	    cf != NULL && cf->cf_branch != NULL ? cf->cf_branch : DEMO_BRANCH);
	out(line);
	out("branchqd: demo terminals (connect with: branchq --terminal ID "
	    "--token TOKEN OP ...):");
	for (dt = demo_terminals; dt->dt_id != NULL; dt++) {
		snprintf(line, sizeof line, "  terminal %-4s role %-10s staff %-6s "
		    "token %s", dt->dt_id, dt->dt_role,
		    *dt->dt_staff != '\0' ? dt->dt_staff : "-", dt->dt_token);
		out(line);
	}
}

void
config_free(struct config *cf)
{
	struct webhook_conf	*wh;
	size_t			 i, j;

	if (cf == NULL)
		return;
	free(cf->cf_branch);
	free(cf->cf_timezone);
	free(cf->cf_duty_supervisor);
	for (i = 0; i < cf->cf_nwebhooks; i++) {
		wh = &cf->cf_webhooks[i];
		free(wh->wh_url);
		free(wh->wh_secret);
		for (j = 0; j < wh->wh_nevents; j++)
			free(wh->wh_events[j]);
		free(wh->wh_events);
	}
	free(cf->cf_webhooks);
	free(cf->cf_terminals);
	for (i = 0; i < cf->cf_nhttp_hosts; i++)
		free(cf->cf_http_hosts[i]);
	free(cf->cf_http_hosts);
	free(cf->cf_hq.hq_conninfo);
	free(cf->cf_hq.hq_region);
	memset(cf, 0, sizeof *cf);
}

void
config_hq_settings(const struct config *cf, struct hq_settings *hs)
{
	memset(hs, 0, sizeof *hs);
	hs->hs_branch = cf->cf_branch;
	hs->hs_region = cf->cf_hq.hq_region;
	hs->hs_conninfo = cf->cf_hq.hq_conninfo;
	hs->hs_keep_days = cf->cf_hq.hq_keep_days;
	hs->hs_batch_events = cf->cf_hq.hq_batch_events;
	hs->hs_retry_max_s = cf->cf_hq.hq_retry_max_s;
	hs->hs_timeout_s = cf->cf_hq.hq_timeout_s;
	hs->hs_target_wait_s = cf->cf_target_wait_s;
}

const struct terminal_conf *
config_terminal(const struct config *cf, const char *id)
{
	size_t	i;

	if (cf == NULL || id == NULL)
		return NULL;
	for (i = 0; i < cf->cf_nterminals; i++)
		if (strcmp(cf->cf_terminals[i].tc_id, id) == 0)
			return &cf->cf_terminals[i];
	return NULL;
}

/*
 * What became of a terminal in a new configuration (SIGHUP): the same
 * terminal there, or NULL with why when it was removed or given another
 * token, role or staff; then whoever signed in as it must sign in again.
 */
const struct terminal_conf *
config_terminal_successor(const struct config *nw, const struct terminal_conf *old,
    const char **why)
{
	const struct terminal_conf	*tc = config_terminal(nw, old->tc_id);

	if (tc == NULL)
		*why = "removed";
	else if (CRYPTO_memcmp(tc->tc_token_sha256, old->tc_token_sha256,
	    sizeof tc->tc_token_sha256) != 0)
		*why = "token_changed";
	else if (tc->tc_role != old->tc_role)
		*why = "role_changed";
	else if (strcmp(tc->tc_staff, old->tc_staff) != 0)
		*why = "staff_changed";
	else
		return tc;
	return NULL;
}

bool
config_staff_exists(const struct config *cf, const char *staff)
{
	size_t	i;

	if (cf == NULL || staff == NULL || *staff == '\0')
		return false;
	for (i = 0; i < cf->cf_nterminals; i++)
		if (strcmp(cf->cf_terminals[i].tc_staff, staff) == 0)
			return true;
	return false;
}

void
sha256(const void *data, size_t len, unsigned char out[32])
{
	unsigned int	n = 0;

	if (EVP_Digest(data, len, out, &n, EVP_sha256(), NULL) != 1 || n != 32)
		fatalx("EVP_Digest(sha256) failed");
}

/* Constant time in the token's hash: no early exit on the first mismatch. */
bool
token_matches(const struct terminal_conf *tc, const char *token)
{
	unsigned char	h[32];

	if (tc == NULL || token == NULL)
		return false;
	sha256(token, strlen(token), h);
	return CRYPTO_memcmp(h, tc->tc_token_sha256, sizeof h) == 0;
}
