/*
 * The terminal protocol: one JSON request line in, one reply line out.
 *
 * Every check that is the same for all operations happens here, once, from
 * the op table: JSON, "id", "op", authentication, the role, and each field's
 * type and range.  A handler receives a request that is well formed and
 * only decides what the operation means.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cJSON.h>
#include <openssl/rand.h>

#include "branchq.h"

static const struct op_entry *const op_table[] = {
	&op_hello_entry,
	&op_ping_entry,
	&op_subscribe_entry,
#ifdef BQ_TEST_HOOKS
	&op_clock_advance_entry,
	&op_test_fault_entry,
#endif
	&op_ticket_issue_entry,
	&op_ticket_status_entry,
	&op_ticket_reroute_entry,
	&op_ticket_cancel_entry,
	&op_ticket_call_next_entry,
	&op_ticket_recall_entry,
	&op_ticket_no_show_entry,
	&op_ticket_start_entry,
	&op_ticket_complete_entry,
	&op_ticket_transfer_entry,
	&op_window_open_entry,
	&op_window_close_entry,
	&op_window_pause_entry,
	&op_window_resume_entry,
	&op_queue_snapshot_entry,
	&op_selfservice_set_entry,
	&op_complaint_log_entry,
	&op_complaint_get_entry,
	&op_complaint_action_entry,
	&op_complaint_reassign_entry,
	&op_complaint_resolve_entry,
	&op_followup_record_entry,
	&op_survey_submit_entry,
	&op_complaint_list_entry,
	&op_report_followups_entry,
	&op_report_summary_entry,
	&op_report_compensation_entry,
	&op_webhook_deliveries_entry,
	&op_webhook_retry_entry,
	&op_backup_entry,
};

static const struct op_entry *
op_find(const char *name)
{
	size_t	i;

	for (i = 0; i < sizeof op_table / sizeof op_table[0]; i++) {
		if (strcmp(op_table[i]->op_name, name) != 0)
			continue;
		if ((op_table[i]->op_flags & OP_TEST_CLOCK) && !clock_is_test())
			return NULL;
		return op_table[i];
	}
	return NULL;
}

/* ---- what cJSON lets through: checked on the raw line ---- */

#define JSON_MAX_DEPTH	32	/* requests need 3; cJSON's own limit is 1000 */

/*
 * The length of the UTF-8 sequence at s (n bytes there), or 0 when it is
 * not well formed (RFC 3629): overlong forms, surrogates and code points
 * past U+10FFFF are not.
 */
static size_t
utf8_seq(const unsigned char *s, size_t n)
{
	unsigned char	lo = 0x80, hi = 0xbf;
	size_t		len, i;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		len = 2;
	else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		len = 3;
		if (s[0] == 0xe0)
			lo = 0xa0;		/* overlong */
		else if (s[0] == 0xed)
			hi = 0x9f;		/* UTF-16 surrogates */
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		len = 4;
		if (s[0] == 0xf0)
			lo = 0x90;		/* overlong */
		else if (s[0] == 0xf4)
			hi = 0x8f;		/* past U+10FFFF */
	} else
		return 0;
	if (len > n || s[1] < lo || s[1] > hi)
		return 0;
	for (i = 2; i < len; i++)
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;
	return len;
}

/*
 * cJSON takes any bytes inside a string, lets a raw control character
 * through, and a NUL byte or \u0000 silently ends the string it is in (so
 * "tok-K01\u0000junk" would be read as "tok-K01").  So, on the raw line and
 * before any recursion: well-formed UTF-8, no NUL byte, no unescaped
 * control character in a string, nesting at most JSON_MAX_DEPTH.
 * *nul_string is the index, in the order of the text and counting keys, of
 * the first string holding \u0000, or -1: once parsed, its field is named.
 */
static int
json_prescan(const char *line, size_t len, long *nul_string, struct bq_error *err)
{
	const unsigned char	*s = (const unsigned char *)line;
	size_t			 i, n;
	long			 strings = 0;
	int			 depth = 0;
	bool			 in_string = false;

	*nul_string = -1;
	for (i = 0; i < len; i += n) {
		n = 1;
		if (s[i] == '\0')
			return bq_fail(err, ERR_BAD_JSON, "a NUL byte at byte %zu", i + 1);
		if (s[i] >= 0x80) {
			if ((n = utf8_seq(s + i, len - i)) == 0)
				return bq_fail(err, ERR_BAD_JSON,
				    "the line is not valid UTF-8 (byte %zu)", i + 1);
			continue;
		}
		if (!in_string) {
			if (s[i] == '"') {
				in_string = true;
				strings++;
			} else if (s[i] == '{' || s[i] == '[') {
				if (++depth > JSON_MAX_DEPTH)
					return bq_fail(err, ERR_BAD_JSON,
					    "nested deeper than %d levels", JSON_MAX_DEPTH);
			} else if ((s[i] == '}' || s[i] == ']') && depth > 0)
				depth--;
			continue;
		}
		if (s[i] == '"')
			in_string = false;
		else if (s[i] < 0x20)
			return bq_fail(err, ERR_BAD_JSON, "a control character in a string "
			    "must be escaped (byte %zu)", i + 1);
		else if (s[i] == '\\' && i + 1 < len && s[i + 1] >= 0x20 && s[i + 1] < 0x80) {
			n = 2;
			if (s[i + 1] == 'u' && len - i >= 6 && memcmp(s + i + 2, "0000", 4) == 0) {
				if (*nul_string == -1)
					*nul_string = strings - 1;
				n = 6;
			}
		}
	}
	return 0;
}

struct string_find {
	long	sf_target;		/* index of the string wanted */
	long	sf_seen;
	char	sf_path[128];		/* its field: "customer.name", "topics" */
};

/* Finds the string json_prescan() counted, keys included, in text order. */
static bool
string_find(const cJSON *item, const char *path, struct string_find *sf)
{
	const cJSON	*child;
	char		 sub[sizeof sf->sf_path];

	cJSON_ArrayForEach(child, item) {
		snprintf(sub, sizeof sub, "%s", path);
		if (cJSON_IsObject(item)) {
			snprintf(sub, sizeof sub, "%s%s%.64s", path, *path != '\0' ? "." : "",
			    child->string);
			if (sf->sf_seen++ == sf->sf_target)
				goto found;
		}
		if (cJSON_IsString(child)) {
			if (sf->sf_seen++ == sf->sf_target)
				goto found;
		} else if ((cJSON_IsObject(child) || cJSON_IsArray(child)) &&
		    string_find(child, sub, sf))
			return true;
	}
	return false;
found:
	memcpy(sf->sf_path, sub, sizeof sf->sf_path);
	return true;
}

/* Whether the top-level member of a field path is name: "id" for "id". */
static bool
path_is(const char *path, const char *name)
{
	size_t	n = strlen(name);

	return strncmp(path, name, n) == 0 && (path[n] == '\0' || path[n] == '.');
}

/* ---- failed hellos: a bounded table of addresses ---- */

/*
 * After cf_auth_max_failures failed hellos from one address (an IPv6
 * address counts by its /64) within cf_auth_window_s, every hello from it
 * is refused for cf_auth_lockout_s, doubling with each further lockout up
 * to cf_auth_lockout_max_s; a quiet cf_auth_lockout_max_s starts over.  A
 * successful hello does not clear the count: one known kiosk token must
 * not buy a supervisor-token guesser more tries.  The table has a fixed
 * size whatever addresses come: THROTTLE_WAYS entries in each set, chosen
 * by a keyed hash, the least useful entry making room.  Real time, not the
 * daemon clock.
 */
#define THROTTLE_SETS	1024
#define THROTTLE_WAYS	4

struct throttle {
	unsigned char	th_addr[16];
	size_t		th_len;		/* 0: a free entry */
	int		th_level;	/* lockouts so far */
	int		th_failures;	/* within the window */
	int64_t		th_window_ms;	/* its first failure */
	int64_t		th_last_ms;	/* the last failure */
	int64_t		th_until_ms;	/* locked until then */
};

static struct throttle	throttle_table[THROTTLE_SETS][THROTTLE_WAYS];
static uint64_t		throttle_key;
static bool		throttle_keyed;

static int64_t
monotonic_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static struct throttle *
throttle_find(const struct session *s, bool create, int64_t now)
{
	struct throttle	*set, *victim = NULL, *t;
	uint64_t	 h;
	size_t		 i;

	if (s->s_addr_len == 0 || s->s_addr_len > sizeof t->th_addr)
		return NULL;
	if (!throttle_keyed) {
		/* Keyed, so that nobody can pick addresses that share a set. */
		if (RAND_bytes((unsigned char *)&throttle_key, sizeof throttle_key) != 1)
			fatalx("RAND_bytes failed");
		throttle_keyed = true;
	}
	h = 14695981039346656037ULL ^ throttle_key;	/* FNV-1a */
	for (i = 0; i < s->s_addr_len; i++)
		h = (h ^ s->s_addr[i]) * 1099511628211ULL;
	h ^= h >> 29;
	set = throttle_table[h % THROTTLE_SETS];
	for (i = 0; i < THROTTLE_WAYS; i++) {
		t = &set[i];
		if (t->th_len == s->s_addr_len && memcmp(t->th_addr, s->s_addr, t->th_len) == 0)
			return t;
	}
	if (!create)
		return NULL;
	/* Room: a free entry, else the one idle longest, else the lockout ending first. */
	for (i = 0; i < THROTTLE_WAYS; i++) {
		t = &set[i];
		if (t->th_len == 0) {
			victim = t;
			break;
		}
		if (victim == NULL)
			victim = t;
		else if ((t->th_until_ms <= now) != (victim->th_until_ms <= now)) {
			if (t->th_until_ms <= now)
				victim = t;
		} else if (t->th_until_ms <= now ? t->th_last_ms < victim->th_last_ms :
		    t->th_until_ms < victim->th_until_ms)
			victim = t;
	}
	memset(victim, 0, sizeof *victim);
	memcpy(victim->th_addr, s->s_addr, s->s_addr_len);
	victim->th_len = s->s_addr_len;
	return victim;
}

/* Seconds the peer's address stays locked out, or 0. */
static int64_t
throttle_locked(const struct session *s)
{
	int64_t		 now = monotonic_ms();
	struct throttle	*t = throttle_find(s, false, now);

	if (t == NULL || t->th_until_ms <= now)
		return 0;
	return (t->th_until_ms - now + 999) / 1000;
}

/* Counts a failed hello; the lockout it starts, in seconds, or 0. */
static int64_t
throttle_fail(const struct config *cfg, const struct session *s, int *failures)
{
	int64_t		 now = monotonic_ms(), lockout_s;
	struct throttle	*t = throttle_find(s, true, now);
	int		 i;

	*failures = 0;
	if (t == NULL)
		return 0;
	if (t->th_last_ms != 0 && now - t->th_last_ms > (int64_t)cfg->cf_auth_lockout_max_s * 1000)
		t->th_level = 0;	/* quiet long enough: start over */
	if (t->th_failures == 0 || now - t->th_window_ms >= (int64_t)cfg->cf_auth_window_s * 1000) {
		t->th_window_ms = now;
		t->th_failures = 0;
	}
	t->th_last_ms = now;
	*failures = ++t->th_failures;
	if (t->th_failures < cfg->cf_auth_max_failures)
		return 0;
	lockout_s = cfg->cf_auth_lockout_s;
	for (i = 0; i < t->th_level && lockout_s < cfg->cf_auth_lockout_max_s; i++)
		lockout_s *= 2;
	if (lockout_s > cfg->cf_auth_lockout_max_s)
		lockout_s = cfg->cf_auth_lockout_max_s;
	t->th_level++;
	t->th_failures = 0;
	t->th_until_ms = now + lockout_s * 1000;
	return lockout_s;
}

/* After a refused sign-in (hello, HTTP): count it and say so, without the token. */
void
proto_auth_failed(const struct config *cfg, const struct session *s, const char *terminal)
{
	const char	*id = NULL;
	int64_t		 lockout_s;
	int		 failures;

	/* Only a configured id is shown: a token typed into the wrong field is not. */
	if (terminal != NULL && config_terminal(cfg, terminal) != NULL)
		id = terminal;
	lockout_s = throttle_fail(cfg, s, &failures);
	metrics_auth_failure(lockout_s > 0);
	log_warnx("event=auth_failure peer=%s terminal=%s reason=%s failures=%d",
	    log_str(s->s_peer), id != NULL ? id : "unknown",
	    id != NULL ? "bad_token" : "unknown_terminal", failures);
	if (lockout_s > 0)
		log_warnx("event=auth_lockout peer=%s lockout_s=%lld failures=%d window_s=%d",
		    log_str(s->s_peer), (long long)lockout_s, cfg->cf_auth_max_failures,
		    cfg->cf_auth_window_s);
}

int64_t
proto_auth_locked(const struct session *s)
{
	return throttle_locked(s);
}

static void
hello_failed(const struct config *cfg, const struct session *s, const cJSON *req)
{
	const cJSON	*term = cJSON_GetObjectItemCaseSensitive(req, "terminal");

	proto_auth_failed(cfg, s, cJSON_IsString(term) ? term->valuestring : NULL);
}

/* ---- replies ---- */

char *
proto_error_line(enum err_code code, const char *message)
{
	return json_error_reply(NULL, code, message);
}

#define KEY_NEW		2	/* request_key(): run the operation */

/*
 * PROTOCOL 1.1 request_key: the key a terminal used today finds what its
 * first request created.  0: a retry, *replayed and the reply made from it;
 * KEY_NEW: x_key is *rk, for the handler to write with what it creates;
 * -1 with x_err (a conflict: the key came with other fields).
 */
static int
request_key(struct op_ctx *x, const struct op_entry *op, const char *key,
    struct request_key *rk, bool *replayed)
{
	struct request_key_row	row;
	int			rc;

	rk->rk_terminal = x->x_actor.a_terminal;
	business_date(clock_now(), rk->rk_date);
	rk->rk_key = key;
	rk->rk_op = op->op_name;
	fields_fingerprint(x->x_req, op->op_fields, "request_key", rk->rk_fingerprint);
	if ((rc = store_request_key_get(x->x_branch->b_store, rk, &row)) == -1)
		return bq_fail(&x->x_err, ERR_UNAVAILABLE, "the database cannot be read (%s)",
		    store_errmsg(x->x_branch->b_store));
	if (rc == 1) {
		x->x_key = rk;
		return KEY_NEW;
	}
	if (strcmp(row.kr_op, op->op_name) != 0 ||
	    strcmp(row.kr_fingerprint, rk->rk_fingerprint) != 0) {
		bq_fail(&x->x_err, ERR_CONFLICT, "request_key: terminal %s already used this key "
		    "today for a %s with other fields", rk->rk_terminal, row.kr_op);
		return bq_detail_str(&x->x_err, "op", row.kr_op);
	}
	log_info("event=request_repeated terminal=%s op=%s request_key=%s", rk->rk_terminal,
	    op->op_name, log_str(key));
	*replayed = true;
	return op->op_replay(x, &row);
}

static bool
role_allowed(const struct op_entry *op, enum role role)
{
	return (op->op_flags & OP_ANYONE) || (op->op_roles & ROLE_BIT(role));
}

/*
 * A request's JSON, checked as cJSON cannot (json_prescan) and parsed: the
 * object, or NULL with *reply the error reply.  nul: the field holding
 * U+0000, if any.  what: "line" (TCP) or "body" (HTTP), for messages.
 */
static cJSON *
request_parse(const char *text, size_t len, enum metrics_transport tr, struct string_find *nul,
    char **reply)
{
	const char	*what = tr == MT_TCP ? "line" : "body";
	struct bq_error	 err;
	const char	*end = NULL;
	cJSON		*req;

	memset(&err, 0, sizeof err);
	if (json_prescan(text, len, &nul->sf_target, &err) == -1) {
		metrics_request(tr, NULL, err.e_code);
		*reply = json_error_reply(NULL, err.e_code, err.e_msg);
		return NULL;
	}
	if ((req = cJSON_ParseWithLengthOpts(text, len, &end, false)) == NULL) {
		bq_fail(&err, ERR_BAD_JSON, "the %s is not valid JSON", what);
		metrics_request(tr, NULL, ERR_BAD_JSON);
		*reply = json_error_reply(NULL, err.e_code, err.e_msg);
		return NULL;
	}
	while (end < text + len && (*end == ' ' || *end == '\t' || *end == '\r' ||
	    *end == '\n'))
		end++;
	if (end != text + len) {
		cJSON_Delete(req);
		bq_fail(&err, ERR_BAD_JSON, "one JSON object per %s: text follows it", what);
		metrics_request(tr, NULL, ERR_BAD_JSON);
		*reply = json_error_reply(NULL, err.e_code, err.e_msg);
		return NULL;
	}
	if (!cJSON_IsObject(req)) {
		cJSON_Delete(req);
		metrics_request(tr, NULL, ERR_BAD_JSON);
		*reply = json_error_reply(NULL, ERR_BAD_JSON, "a request must be a JSON object");
		return NULL;
	}
	/* \u0000 somewhere: which field (the count matches what cJSON parsed). */
	if (nul->sf_target >= 0 && !string_find(req, "", nul))
		snprintf(nul->sf_path, sizeof nul->sf_path, "(a string)");
	return req;
}

static char	*dispatch(struct branch *, struct session *, enum metrics_transport,
		    cJSON *req, const struct string_find *, bool *changed);

char *
proto_handle(struct branch *b, struct session *s, const char *line, size_t len,
    bool *changed)
{
	struct string_find	 nul = { -1, 0, "" };
	cJSON			*req;
	char			*reply;

	*changed = false;
	if ((req = request_parse(line, len, MT_TCP, &nul, &reply)) == NULL)
		return reply;
	return dispatch(b, s, MT_TCP, req, &nul, changed);
}

/*
 * PROTOCOL HTTP: POST /api/v1/op/NAME.  The body holds the fields; the op
 * is the path's and there is no request id, so neither may be in it.  An
 * empty body is {}.
 */
char *
proto_handle_op(struct branch *b, struct session *s, const char *name, const char *body,
    size_t len, bool *changed)
{
	struct string_find	 nul = { -1, 0, "" };
	cJSON			*req;
	char			*reply;

	*changed = false;
	if (len == 0) {
		body = "{}";
		len = 2;
	}
	if ((req = request_parse(body, len, MT_HTTP, &nul, &reply)) == NULL)
		return reply;
	if (cJSON_GetObjectItemCaseSensitive(req, "op") != NULL) {
		cJSON_Delete(req);
		metrics_request(MT_HTTP, NULL, ERR_BAD_REQUEST);
		return json_error_reply(NULL, ERR_BAD_REQUEST, "op: over HTTP the operation is "
		    "named by the path, /api/v1/op/NAME, not in the body");
	}
	if (cJSON_GetObjectItemCaseSensitive(req, "id") != NULL) {
		cJSON_Delete(req);
		metrics_request(MT_HTTP, NULL, ERR_BAD_REQUEST);
		return json_error_reply(NULL, ERR_BAD_REQUEST, "id: not used over HTTP (a "
		    "complaint is named by complaint)");
	}
	cJSON_AddStringToObject(req, "op", name);
	return dispatch(b, s, MT_HTTP, req, &nul, changed);
}

/* A parsed request object (taken) to its reply. */
static char *
dispatch(struct branch *b, struct session *s, enum metrics_transport tr, cJSON *req,
    const struct string_find *nulp, bool *changed)
{
	const struct op_entry	*op = NULL;
	const cJSON		*id, *opname;
	struct op_ctx		 x;
	struct request_key	 rk;
	const char		*key;
	bool			 replayed = false;
	int			 rc;
	struct string_find	 nul = *nulp;
	char			*reply;
	int64_t			 locked_s;
	uint64_t		 changes = store_changes(b->b_store);

	memset(&x, 0, sizeof x);
	id = cJSON_GetObjectItemCaseSensitive(req, "id");
	if ((id != NULL && (cJSON_IsObject(id) || cJSON_IsArray(id) ||
	    (cJSON_IsNumber(id) && !isfinite(id->valuedouble)))) || json_given_twice(req, "id") ||
	    (nul.sf_target >= 0 && path_is(nul.sf_path, "id"))) {
		cJSON_Delete(req);
		return json_error_reply(NULL, ERR_BAD_REQUEST, "id: must be a string, finite number, "
		    "boolean or null, given once, without U+0000");
	}

	opname = cJSON_GetObjectItemCaseSensitive(req, "op");
	if (!cJSON_IsString(opname) || json_given_twice(req, "op") ||
	    (nul.sf_target >= 0 && path_is(nul.sf_path, "op")))
		bq_fail(&x.x_err, ERR_BAD_REQUEST, "op: is required and must be a string, "
		    "given once");
	else if ((op = op_find(opname->valuestring)) == NULL)
		bq_fail(&x.x_err, ERR_UNKNOWN_OP, "op: unknown operation \"%.64s\"",
		    opname->valuestring);
	else if (s->s_term == NULL && !(op->op_flags & OP_ANYONE))
		bq_fail(&x.x_err, ERR_UNAUTHENTICATED, "%s",
		    s->s_signin != NULL ? s->s_signin : "say hello first");
	else if (s->s_term != NULL && !role_allowed(op, s->s_term->tc_role))
		bq_fail(&x.x_err, ERR_FORBIDDEN, "a %s terminal may not use %s",
		    role_name(s->s_term->tc_role), op->op_name);
	else if (nul.sf_target >= 0)
		bq_fail(&x.x_err, ERR_BAD_REQUEST, "%s: must not contain U+0000 (NUL)",
		    nul.sf_path);
	else if (fields_check(req, op->op_fields, &x.x_err) == -1)
		;	/* x_err says why */
	/* One terminal per connection: a second hello is refused before its
	 * token is looked at, so it neither tells whether the token is right
	 * nor counts as a failed attempt; the session keeps its role. */
	else if (op == &op_hello_entry && s->s_term != NULL)
		bq_fail(&x.x_err, ERR_CONFLICT, "this connection already said hello as "
		    "terminal %s; a connection speaks for one terminal: open another "
		    "for a different one", s->s_term->tc_id);
	else if (op == &op_hello_entry && (locked_s = throttle_locked(s)) > 0) {
		log_debug("event=auth_refused peer=%s locked_s=%lld", log_str(s->s_peer),
		    (long long)locked_s);
		bq_fail(&x.x_err, ERR_UNAUTHENTICATED, "too many failed attempts; "
		    "try again in %lld s", (long long)locked_s);
		bq_detail_int(&x.x_err, "retry_after_s", locked_s);
	} else {
		x.x_branch = b;
		x.x_session = s;
		x.x_req = req;
		x.x_reply = json_reply_new(id, true);
		if (s->s_term != NULL) {
			x.x_actor.a_terminal = s->s_term->tc_id;
			x.x_actor.a_role = s->s_term->tc_role;
			x.x_actor.a_staff = s->s_term->tc_staff;
		}
		rc = KEY_NEW;
		if (op->op_replay != NULL && (key = arg_str(&x, "request_key")) != NULL)
			rc = request_key(&x, op, key, &rk, &replayed);
		if (rc == KEY_NEW)
			rc = op->op_exec(&x);
		switch (rc) {
		case 0:
			/* The test clock's changes are the deadlines' work, not the
			 * request's: its reply stands even if that work is redone.
			 * A retry's reply tells of what may be in this very group:
			 * refused with it if the commit fails. */
			*changed = (store_changes(b->b_store) != changes &&
			    !(op->op_flags & OP_BACKGROUND)) || replayed;
			metrics_request(tr, op->op_name, ERR_NONE);
			reply = json_print_free(x.x_reply);
			cJSON_Delete(req);
			return reply;
		case OP_LATER:
			/* Counted as asked: a report's own failure is its reply's. */
			metrics_request(tr, op->op_name, ERR_NONE);
			cJSON_Delete(req);	/* the handler keeps x_reply */
			return NULL;
		}
		cJSON_Delete(x.x_reply);
		if (op == &op_hello_entry && x.x_err.e_code == ERR_UNAUTHENTICATED)
			hello_failed(b->b_cfg, s, req);
	}
	/* A refusal can follow a change (a day end redone first). */
	*changed = store_changes(b->b_store) != changes && op != NULL &&
	    !(op->op_flags & OP_BACKGROUND);
	metrics_request(tr, op != NULL ? op->op_name : NULL, x.x_err.e_code);
	reply = json_error_reply_detail(id, &x.x_err);
	cJSON_Delete(req);
	return reply;
}
