/*
 * The daemon's configuration: a JSON file in the form PROTOCOL.md gives,
 * validated whole at start-up.  Every mistake is reported as
 * "file: field: message", so that a typo in a bank's configuration stops
 * the daemon before it serves anyone.
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "branchq.h"

#define CONFIG_MAX_BYTES	(1024 * 1024)
#define MONEY_MAX_FEN		1000000000000LL

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

const struct demo_terminal demo_terminals[] = {
	{ "K01", "kiosk", "", "kiosk-demo" },
	{ "D01", "display", "", "display-demo" },
	{ "T01", "teller", "E1001", "teller1-demo" },
	{ "T02", "teller", "E1002", "teller2-demo" },
	{ "L01", "lobby", "E2001", "lobby-demo" },
	{ "S01", "supervisor", "E9001", "supervisor-demo" },
	{ NULL, NULL, NULL, NULL }
};

const char *
role_name(enum role r)
{
	return r < ROLE__COUNT ? role_names[r] : "none";
}

int
role_from_name(const char *name)
{
	int	r;

	for (r = ROLE_KIOSK; name != NULL && r < ROLE__COUNT; r++)
		if (strcmp(role_names[r], name) == 0)
			return r;
	return -1;
}

void
sha256(const void *data, size_t len, unsigned char out[32])
{
	unsigned int	outlen = 32;

	if (EVP_Digest(data, len, out, &outlen, EVP_sha256(), NULL) != 1 || outlen != 32)
		fatalx("EVP_Digest(sha256) failed");
}

bool
token_matches(const struct terminal_conf *tc, const char *token)
{
	unsigned char	h[32];

	sha256(token, strlen(token), h);
	return CRYPTO_memcmp(h, tc->tc_token_sha256, sizeof h) == 0;
}

const struct terminal_conf *
config_terminal(const struct config *cfg, const char *id)
{
	size_t	i;

	for (i = 0; id != NULL && i < cfg->cf_nterminals; i++)
		if (strcmp(cfg->cf_terminals[i].tc_id, id) == 0)
			return &cfg->cf_terminals[i];
	return NULL;
}

bool
config_staff_exists(const struct config *cfg, const char *staff)
{
	size_t	i;

	for (i = 0; staff != NULL && *staff != '\0' && i < cfg->cf_nterminals; i++)
		if (strcmp(cfg->cf_terminals[i].tc_staff, staff) == 0)
			return true;
	return false;
}

static char *
xstrdup(const char *s)
{
	char	*p = strdup(s);

	if (p == NULL)
		fatal("strdup");
	return p;
}

static void
config_defaults(struct config *cfg)
{
	memset(cfg, 0, sizeof *cfg);
	cfg->cf_branch = xstrdup("BRANCH");
	cfg->cf_timezone = xstrdup("Asia/Shanghai");
	/* DOMAIN §1 (S2): 20,000 CNY cash, 50,000 CNY transfers; S3: express 50,000. */
	cfg->cf_cash_threshold_fen = 2000000;
	cfg->cf_transfer_threshold_fen = 5000000;
	cfg->cf_express_cash_fen = 5000000;
	/* DOMAIN §3: teller 200, lobby manager 500, supervisor 2,000 CNY. */
	cfg->cf_authority_fen[ROLE_TELLER] = 20000;
	cfg->cf_authority_fen[ROLE_LOBBY] = 50000;
	cfg->cf_authority_fen[ROLE_SUPERVISOR] = 200000;
	cfg->cf_follow_up_hours = 24;
	cfg->cf_target_wait_s = 900;
	cfg->cf_max_recalls = 2;
	cfg->cf_default_service_s = 300;
}

void
config_free(struct config *cfg)
{
	size_t	i, j;

	free(cfg->cf_branch);
	free(cfg->cf_timezone);
	free(cfg->cf_duty_supervisor);
	for (i = 0; i < cfg->cf_nwebhooks; i++) {
		free(cfg->cf_webhooks[i].wh_url);
		free(cfg->cf_webhooks[i].wh_secret);
		for (j = 0; j < cfg->cf_webhooks[i].wh_nevents; j++)
			free(cfg->cf_webhooks[i].wh_events[j]);
		free(cfg->cf_webhooks[i].wh_events);
	}
	free(cfg->cf_webhooks);
	free(cfg->cf_terminals);
	memset(cfg, 0, sizeof *cfg);
}

/* ---- validation ---- */

struct parse {
	const char	*p_name;	/* file name, for messages */
	char		*p_err;
	size_t		 p_errlen;
};

static int
perr(struct parse *p, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
perr(struct parse *p, const char *field, const char *fmt, ...)
{
	va_list	ap;
	int	n;

	n = snprintf(p->p_err, p->p_errlen, "%s: %s: ", p->p_name, field);
	if (n < 0 || (size_t)n >= p->p_errlen)
		return -1;
	va_start(ap, fmt);
	vsnprintf(p->p_err + n, p->p_errlen - (size_t)n, fmt, ap);
	va_end(ap);
	return -1;
}

/* Refuse any key of obj not in allowed (NULL-terminated). */
static int
known_keys(struct parse *p, const cJSON *obj, const char *path, const char *const *allowed)
{
	const cJSON	*item;
	size_t		 i;
	char		 field[160];

	cJSON_ArrayForEach(item, obj) {
		for (i = 0; allowed[i] != NULL; i++)
			if (strcmp(allowed[i], item->string) == 0)
				break;
		if (allowed[i] == NULL) {
			snprintf(field, sizeof field, "%s%s%.64s", path, *path ? "." : "",
			    item->string);
			return perr(p, field, "unknown field");
		}
	}
	return 0;
}

static int
get_int(struct parse *p, const cJSON *obj, const char *key, const char *field,
    int64_t min, int64_t max, int64_t *out)
{
	const cJSON	*item = cJSON_GetObjectItemCaseSensitive(obj, key);
	double		 d;

	if (item == NULL)
		return 0;
	d = cJSON_IsNumber(item) ? item->valuedouble : NAN;
	if (!isfinite(d) || d != floor(d) || d < (double)min || d > (double)max)
		return perr(p, field, "must be an integer from %lld to %lld",
		    (long long)min, (long long)max);
	*out = (int64_t)d;
	return 0;
}

static int
get_int32(struct parse *p, const cJSON *obj, const char *key, int min, int max, int *out)
{
	int64_t	v = *out;

	if (get_int(p, obj, key, key, min, max, &v) == -1)
		return -1;
	*out = (int)v;
	return 0;
}

static int
get_string(struct parse *p, const cJSON *obj, const char *key, const char *field,
    size_t maxlen, char **out)
{
	const cJSON	*item = cJSON_GetObjectItemCaseSensitive(obj, key);

	if (item == NULL)
		return 0;
	if (!cJSON_IsString(item) || *item->valuestring == '\0' ||
	    strlen(item->valuestring) > maxlen)
		return perr(p, field, "must be a string of 1 to %zu characters", maxlen);
	free(*out);
	*out = xstrdup(item->valuestring);
	return 0;
}

static bool
valid_id(const char *s)
{
	size_t	i, n = strlen(s);

	if (n < 1 || n > BQ_ID_LEN)
		return false;
	for (i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '_' && s[i] != '-')
			return false;
	return true;
}

static int
hex_decode(const char *hex, unsigned char out[32])
{
	size_t	i;
	int	hi, lo;

	if (strlen(hex) != 64)
		return -1;
	for (i = 0; i < 32; i++) {
		if (!isxdigit((unsigned char)hex[2 * i]) || !isxdigit((unsigned char)hex[2 * i + 1]))
			return -1;
		hi = isdigit((unsigned char)hex[2 * i]) ? hex[2 * i] - '0' :
		    tolower((unsigned char)hex[2 * i]) - 'a' + 10;
		lo = isdigit((unsigned char)hex[2 * i + 1]) ? hex[2 * i + 1] - '0' :
		    tolower((unsigned char)hex[2 * i + 1]) - 'a' + 10;
		out[i] = (unsigned char)(hi << 4 | lo);
	}
	return 0;
}

static int
parse_money(struct parse *p, const cJSON *root, struct config *cfg)
{
	static const char *const th_keys[] = { "cash", "transfer", "express_cash", NULL };
	static const char *const au_keys[] = { "teller", "lobby", "supervisor", NULL };
	const cJSON	*th = cJSON_GetObjectItemCaseSensitive(root, "thresholds_fen");
	const cJSON	*au = cJSON_GetObjectItemCaseSensitive(root, "authority_fen");

	if (th != NULL) {
		if (!cJSON_IsObject(th))
			return perr(p, "thresholds_fen", "must be an object");
		if (known_keys(p, th, "thresholds_fen", th_keys) == -1 ||
		    get_int(p, th, "cash", "thresholds_fen.cash", 0, MONEY_MAX_FEN,
		    &cfg->cf_cash_threshold_fen) == -1 ||
		    get_int(p, th, "transfer", "thresholds_fen.transfer", 0, MONEY_MAX_FEN,
		    &cfg->cf_transfer_threshold_fen) == -1 ||
		    get_int(p, th, "express_cash", "thresholds_fen.express_cash", 0,
		    MONEY_MAX_FEN, &cfg->cf_express_cash_fen) == -1)
			return -1;
	}
	if (au != NULL) {
		if (!cJSON_IsObject(au))
			return perr(p, "authority_fen", "must be an object");
		if (known_keys(p, au, "authority_fen", au_keys) == -1 ||
		    get_int(p, au, "teller", "authority_fen.teller", 0, MONEY_MAX_FEN,
		    &cfg->cf_authority_fen[ROLE_TELLER]) == -1 ||
		    get_int(p, au, "lobby", "authority_fen.lobby", 0, MONEY_MAX_FEN,
		    &cfg->cf_authority_fen[ROLE_LOBBY]) == -1 ||
		    get_int(p, au, "supervisor", "authority_fen.supervisor", 0, MONEY_MAX_FEN,
		    &cfg->cf_authority_fen[ROLE_SUPERVISOR]) == -1)
			return -1;
	}
	return 0;
}

static int
parse_terminal(struct parse *p, const cJSON *item, size_t idx, struct config *cfg)
{
	static const char *const keys[] = { "id", "role", "staff", "token_sha256", NULL };
	struct terminal_conf	*tc = &cfg->cf_terminals[idx];
	const cJSON		*id, *role, *staff, *hash;
	char			 path[48], field[80];
	int			 r;

	snprintf(path, sizeof path, "terminals[%zu]", idx);
	if (!cJSON_IsObject(item))
		return perr(p, path, "must be an object");
	if (known_keys(p, item, path, keys) == -1)
		return -1;
	id = cJSON_GetObjectItemCaseSensitive(item, "id");
	role = cJSON_GetObjectItemCaseSensitive(item, "role");
	staff = cJSON_GetObjectItemCaseSensitive(item, "staff");
	hash = cJSON_GetObjectItemCaseSensitive(item, "token_sha256");

	snprintf(field, sizeof field, "%s.id", path);
	if (!cJSON_IsString(id) || !valid_id(id->valuestring))
		return perr(p, field, "must be 1 to %d characters of A-Z, a-z, 0-9, _ and -",
		    BQ_ID_LEN);
	if (config_terminal(cfg, id->valuestring) != NULL)
		return perr(p, field, "terminal \"%s\" is listed twice", id->valuestring);
	snprintf(field, sizeof field, "%s.role", path);
	if (!cJSON_IsString(role) || (r = role_from_name(role->valuestring)) < 0)
		return perr(p, field, "must be one of kiosk, display, teller, lobby, supervisor");
	snprintf(field, sizeof field, "%s.staff", path);
	if (r == ROLE_TELLER || r == ROLE_LOBBY || r == ROLE_SUPERVISOR) {
		if (!cJSON_IsString(staff) || !valid_id(staff->valuestring))
			return perr(p, field, "a %s terminal needs a staff id of 1 to %d "
			    "characters of A-Z, a-z, 0-9, _ and -", role_names[r], BQ_ID_LEN);
		snprintf(tc->tc_staff, sizeof tc->tc_staff, "%s", staff->valuestring);
	} else if (staff != NULL && !(cJSON_IsString(staff) && *staff->valuestring == '\0'))
		return perr(p, field, "a %s terminal has no staff", role_names[r]);
	snprintf(field, sizeof field, "%s.token_sha256", path);
	if (!cJSON_IsString(hash) || hex_decode(hash->valuestring, tc->tc_token_sha256) == -1)
		return perr(p, field, "must be the 64 hex digits of the token's SHA-256");
	snprintf(tc->tc_id, sizeof tc->tc_id, "%s", id->valuestring);
	tc->tc_role = (enum role)r;
	cfg->cf_nterminals = idx + 1;
	return 0;
}

static int
parse_terminals(struct parse *p, const cJSON *root, struct config *cfg)
{
	const cJSON	*arr = cJSON_GetObjectItemCaseSensitive(root, "terminals"), *item;
	size_t		 n, i = 0;

	if (arr == NULL)
		return perr(p, "terminals", "is required");
	if (!cJSON_IsArray(arr) || (n = (size_t)cJSON_GetArraySize(arr)) == 0)
		return perr(p, "terminals", "must be a non-empty array");
	if ((cfg->cf_terminals = calloc(n, sizeof *cfg->cf_terminals)) == NULL)
		fatal("calloc");
	cJSON_ArrayForEach(item, arr) {
		if (parse_terminal(p, item, i++, cfg) == -1)
			return -1;
	}
	return 0;
}

static int
parse_webhook(struct parse *p, const cJSON *item, size_t idx, struct webhook_conf *wh)
{
	static const char *const keys[] = { "url", "secret", "events", NULL };
	const cJSON	*events, *ev;
	char		 path[48], field[80];
	size_t		 i, j;

	snprintf(path, sizeof path, "webhooks[%zu]", idx);
	if (!cJSON_IsObject(item))
		return perr(p, path, "must be an object");
	if (known_keys(p, item, path, keys) == -1)
		return -1;
	snprintf(field, sizeof field, "%s.url", path);
	if (cJSON_GetObjectItemCaseSensitive(item, "url") == NULL)
		return perr(p, field, "is required");
	if (get_string(p, item, "url", field, 2048, &wh->wh_url) == -1)
		return -1;
	if (strncmp(wh->wh_url, "http://", 7) != 0 && strncmp(wh->wh_url, "https://", 8) != 0)
		return perr(p, field, "must start with http:// or https://");
	snprintf(field, sizeof field, "%s.secret", path);
	if (cJSON_GetObjectItemCaseSensitive(item, "secret") == NULL)
		return perr(p, field, "is required");
	if (get_string(p, item, "secret", field, 1024, &wh->wh_secret) == -1)
		return -1;
	snprintf(field, sizeof field, "%s.events", path);
	events = cJSON_GetObjectItemCaseSensitive(item, "events");
	if (!cJSON_IsArray(events) || cJSON_GetArraySize(events) == 0)
		return perr(p, field, "must be a non-empty array of event names");
	if ((wh->wh_events = calloc((size_t)cJSON_GetArraySize(events),
	    sizeof *wh->wh_events)) == NULL)
		fatal("calloc");
	cJSON_ArrayForEach(ev, events) {
		for (i = 0; webhook_events[i] != NULL; i++)
			if (cJSON_IsString(ev) && strcmp(ev->valuestring, webhook_events[i]) == 0)
				break;
		if (webhook_events[i] == NULL)
			return perr(p, field, "must list only complaint.logged, followup.overdue, "
			    "survey.detractor");
		for (j = 0; j < wh->wh_nevents; j++)
			if (strcmp(wh->wh_events[j], ev->valuestring) == 0)
				return perr(p, field, "lists \"%s\" twice", ev->valuestring);
		wh->wh_events[wh->wh_nevents++] = xstrdup(ev->valuestring);
	}
	return 0;
}

static int
parse_webhooks(struct parse *p, const cJSON *root, struct config *cfg)
{
	const cJSON	*arr = cJSON_GetObjectItemCaseSensitive(root, "webhooks"), *item;
	size_t		 n, i;

	if (arr == NULL)
		return 0;
	if (!cJSON_IsArray(arr))
		return perr(p, "webhooks", "must be an array");
	if ((n = (size_t)cJSON_GetArraySize(arr)) == 0)
		return 0;
	if ((cfg->cf_webhooks = calloc(n, sizeof *cfg->cf_webhooks)) == NULL)
		fatal("calloc");
	cJSON_ArrayForEach(item, arr) {
		/* Count first: a half-parsed entry must still be freed. */
		i = cfg->cf_nwebhooks++;
		if (parse_webhook(p, item, i, &cfg->cf_webhooks[i]) == -1)
			return -1;
	}
	return 0;
}

static int
parse_accessible_windows(struct parse *p, const cJSON *root, struct config *cfg)
{
	const cJSON	*arr = cJSON_GetObjectItemCaseSensitive(root, "accessible_windows"), *w;
	double		 d;

	if (arr == NULL)
		return 0;
	if (!cJSON_IsArray(arr))
		return perr(p, "accessible_windows", "must be an array of window numbers 1 to %d",
		    BQ_MAX_WINDOW);
	cJSON_ArrayForEach(w, arr) {
		d = cJSON_IsNumber(w) ? w->valuedouble : NAN;
		if (!isfinite(d) || d != floor(d) || d < 1 || d > BQ_MAX_WINDOW)
			return perr(p, "accessible_windows",
			    "must be an array of window numbers 1 to %d", BQ_MAX_WINDOW);
		cfg->cf_accessible_window[(int)d] = true;
	}
	return 0;
}

static int
parse_duty_supervisor(struct parse *p, const cJSON *root, struct config *cfg)
{
	const struct terminal_conf	*tc;
	size_t				 i;

	if (get_string(p, root, "duty_supervisor", "duty_supervisor", BQ_ID_LEN,
	    &cfg->cf_duty_supervisor) == -1)
		return -1;
	for (i = 0; i < cfg->cf_nterminals; i++) {
		tc = &cfg->cf_terminals[i];
		if (tc->tc_role != ROLE_SUPERVISOR)
			continue;
		if (cfg->cf_duty_supervisor == NULL) {
			/* Default: the first supervisor (DOMAIN §4 needs an owner). */
			cfg->cf_duty_supervisor = xstrdup(tc->tc_staff);
			return 0;
		}
		if (strcmp(cfg->cf_duty_supervisor, tc->tc_staff) == 0)
			return 0;
	}
	if (cfg->cf_duty_supervisor != NULL)
		return perr(p, "duty_supervisor", "\"%s\" is not the staff id of a supervisor "
		    "terminal", cfg->cf_duty_supervisor);
	return 0;
}

static int
error_line(const char *text, const char *at)
{
	int	line = 1;

	for (; text < at && *text != '\0'; text++)
		if (*text == '\n')
			line++;
	return line;
}

static int
config_parse(struct parse *p, const cJSON *root, struct config *cfg)
{
	static const char *const keys[] = {
		"branch", "timezone", "thresholds_fen", "authority_fen", "follow_up_hours",
		"target_wait_s", "max_recalls", "duty_supervisor", "webhooks", "terminals",
		"default_service_s", "accessible_windows", NULL
	};

	if (!cJSON_IsObject(root))
		return perr(p, "(top level)", "must be a JSON object");
	if (known_keys(p, root, "", keys) == -1 ||
	    get_string(p, root, "branch", "branch", 64, &cfg->cf_branch) == -1 ||
	    get_string(p, root, "timezone", "timezone", 64, &cfg->cf_timezone) == -1)
		return -1;
	if (time_set_zone(cfg->cf_timezone) == -1)
		return perr(p, "timezone", "unknown time zone \"%s\"", cfg->cf_timezone);
	if (parse_money(p, root, cfg) == -1 ||
	    get_int32(p, root, "follow_up_hours", 1, 720, &cfg->cf_follow_up_hours) == -1 ||
	    get_int32(p, root, "target_wait_s", 1, 86400, &cfg->cf_target_wait_s) == -1 ||
	    get_int32(p, root, "max_recalls", 0, 10, &cfg->cf_max_recalls) == -1 ||
	    get_int32(p, root, "default_service_s", 1, 86400,
	    &cfg->cf_default_service_s) == -1 ||
	    parse_accessible_windows(p, root, cfg) == -1 ||
	    parse_terminals(p, root, cfg) == -1 ||
	    parse_duty_supervisor(p, root, cfg) == -1 ||
	    parse_webhooks(p, root, cfg) == -1)
		return -1;
	return 0;
}

int
config_load_text(struct config *cfg, const char *name, const char *text, char *err,
    size_t errlen)
{
	struct parse	 p = { name, err, errlen };
	cJSON		*root;
	int		 rc;

	config_defaults(cfg);
	if ((root = cJSON_Parse(text)) == NULL) {
		snprintf(err, errlen, "%s: invalid JSON at line %d", name,
		    error_line(text, cJSON_GetErrorPtr()));
		return -1;
	}
	rc = config_parse(&p, root, cfg);
	cJSON_Delete(root);
	return rc;
}

int
config_load_file(struct config *cfg, const char *path, char *err, size_t errlen)
{
	FILE	*f;
	char	*text;
	size_t	 n;
	int	 rc;

	config_defaults(cfg);
	if ((f = fopen(path, "r")) == NULL) {
		snprintf(err, errlen, "%s: cannot read: %s", path, strerror(errno));
		return -1;
	}
	if ((text = malloc(CONFIG_MAX_BYTES + 1)) == NULL)
		fatal("malloc");
	n = fread(text, 1, CONFIG_MAX_BYTES + 1, f);
	rc = ferror(f);
	fclose(f);
	if (rc != 0 || n > CONFIG_MAX_BYTES) {
		snprintf(err, errlen, "%s: %s", path, rc != 0 ? "cannot read" :
		    "larger than 1 MiB");
		free(text);
		return -1;
	}
	text[n] = '\0';
	config_free(cfg);
	rc = config_load_text(cfg, path, text, err, errlen);
	free(text);
	return rc;
}

void
config_demo(struct config *cfg)
{
	const struct demo_terminal	*dt;
	struct terminal_conf		*tc;
	size_t				 n = 0;

	config_defaults(cfg);
	free(cfg->cf_branch);
	cfg->cf_branch = xstrdup("DEMO-001");
	cfg->cf_demo = true;
	for (dt = demo_terminals; dt->dt_id != NULL; dt++)
		n++;
	if ((cfg->cf_terminals = calloc(n, sizeof *cfg->cf_terminals)) == NULL)
		fatal("calloc");
	for (dt = demo_terminals; dt->dt_id != NULL; dt++) {
		tc = &cfg->cf_terminals[cfg->cf_nterminals++];
		snprintf(tc->tc_id, sizeof tc->tc_id, "%s", dt->dt_id);
		tc->tc_role = (enum role)role_from_name(dt->dt_role);
		snprintf(tc->tc_staff, sizeof tc->tc_staff, "%s", dt->dt_staff);
		sha256(dt->dt_token, strlen(dt->dt_token), tc->tc_token_sha256);
	}
	cfg->cf_duty_supervisor = xstrdup("E9001");
}

void
config_print_demo(const struct config *cfg, void (*out)(const char *))
{
	const struct demo_terminal	*dt;
	char				 line[160];

	(void)cfg;
	out("branchqd: no --config and no ./branchq.json: using the built-in demo configuration.");
	out("branchqd: demo terminals (connect with: branchq --terminal ID --token TOKEN OP ...):");
	for (dt = demo_terminals; dt->dt_id != NULL; dt++) {
		snprintf(line, sizeof line, "  terminal %-4s role %-10s staff %-6s token %s",
		    dt->dt_id, dt->dt_role, *dt->dt_staff ? dt->dt_staff : "-", dt->dt_token);
		out(line);
	}
}
