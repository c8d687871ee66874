/*
 * Signed-in browsers (PROTOCOL HTTP, docs/SECURITY.md): a session is 32
 * random bytes, sent as the cookie bq_session in hex and stored only as
 * their SHA-256, with the terminal it speaks for and that terminal's token
 * hash at sign-in.  It is good while the terminal is configured with the
 * same token and until it expires on the daemon clock: staff roles after
 * http_session_staff_hours, kiosks and displays after
 * http_session_device_days.  Nothing of it lives in memory: the database
 * is asked each time (one indexed row), so a restart changes nothing.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/rand.h>

#include "branchq.h"

#define WEBSESSION_KEEP		16	/* sessions per terminal: older ones end */

int64_t
websession_lifetime_s(const struct config *cfg, enum role role)
{
	if (role == ROLE_KIOSK || role == ROLE_DISPLAY)
		return (int64_t)cfg->cf_http_session_device_days * 86400;
	return (int64_t)cfg->cf_http_session_staff_hours * 3600;
}

static void
to_hex(const unsigned char *in, size_t n, char *out)
{
	static const char	digits[] = "0123456789abcdef";
	size_t			i;

	for (i = 0; i < n; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 15];
	}
	out[2 * n] = '\0';
}

/* The stored key of a cookie's value, or -1 when it is not one of ours. */
static int
cookie_key(const char *cookie, unsigned char key[32])
{
	unsigned char	raw[32];
	size_t		i;
	int		hi, lo;

	if (cookie == NULL || strlen(cookie) != WEBSESSION_COOKIE_LEN)
		return -1;
	for (i = 0; i < sizeof raw; i++) {
		/* Ours are lower case: an upper-case copy is not the same cookie. */
		if ((hi = hex_digit(cookie[2 * i])) < 0 || (lo = hex_digit(cookie[2 * i + 1])) < 0 ||
		    (cookie[2 * i] >= 'A' && cookie[2 * i] <= 'F') ||
		    (cookie[2 * i + 1] >= 'A' && cookie[2 * i + 1] <= 'F'))
			return -1;
		raw[i] = (unsigned char)(hi * 16 + lo);
	}
	sha256(raw, sizeof raw, key);
	return 0;
}

struct ws_new {
	unsigned char			 wn_key[32];
	const struct terminal_conf	*wn_term;
	int64_t				 wn_now, wn_expires_at;
};

static int
ws_insert(struct store *s, void *arg)
{
	struct ws_new	*wn = arg;

	if (store_websession_insert(s, wn->wn_key, wn->wn_term->tc_id,
	    wn->wn_term->tc_token_sha256, wn->wn_now, wn->wn_expires_at) == -1)
		return -1;
	/* The terminal's oldest beyond WEBSESSION_KEEP, and anyone's expired. */
	return store_websession_prune(s, wn->wn_key, wn->wn_term->tc_id, wn->wn_now,
	    WEBSESSION_KEEP);
}

int
websession_create(struct branch *b, const struct terminal_conf *tc,
    char cookie[WEBSESSION_COOKIE_LEN + 1], int64_t *expires_at, struct bq_error *err)
{
	unsigned char	raw[32];
	struct ws_new	wn;

	if (RAND_bytes(raw, sizeof raw) != 1)
		return bq_fail(err, ERR_INTERNAL, "no random bytes for a session");
	to_hex(raw, sizeof raw, cookie);
	sha256(raw, sizeof raw, wn.wn_key);
	wn.wn_term = tc;
	wn.wn_now = clock_now();
	wn.wn_expires_at = wn.wn_now + websession_lifetime_s(b->b_cfg, tc->tc_role);
	if (store_write(b->b_store, ws_insert, &wn, "nobody was signed in", err) == -1)
		return -1;
	*expires_at = wn.wn_expires_at;
	return 0;
}

const struct terminal_conf *
websession_find(struct branch *b, const char *cookie, int64_t *expires_at)
{
	const struct terminal_conf	*tc;
	struct websession_row		 row;
	unsigned char			 key[32];
	int64_t				 until;

	if (cookie_key(cookie, key) == -1 ||
	    store_websession_get(b->b_store, key, &row) != 0 ||
	    (tc = config_terminal(b->b_cfg, row.wr_terminal)) == NULL ||
	    memcmp(tc->tc_token_sha256, row.wr_token_sha256, 32) != 0)
		return NULL;
	/* A lifetime made shorter in the configuration holds for sessions
	 * already open too. */
	until = row.wr_created_at + websession_lifetime_s(b->b_cfg, tc->tc_role);
	if (row.wr_expires_at < until)
		until = row.wr_expires_at;
	if (clock_now() >= until)
		return NULL;
	*expires_at = until;
	return tc;
}

static int
ws_delete(struct store *s, void *arg)
{
	return store_websession_delete(s, arg);
}

int
websession_end(struct branch *b, const char *cookie, struct bq_error *err)
{
	unsigned char	key[32];

	if (cookie_key(cookie, key) == -1)
		return 0;
	return store_write(b->b_store, ws_delete, key, "the session was not ended", err);
}

/* ---- at start-up and on a reload: sessions whose terminal went or changed ---- */

struct ws_stale {
	const struct config	*st_cfg;
	const struct config	*st_old;	/* a reload: the configuration before */
	unsigned char		(*st_keys)[32];
	size_t			 st_n, st_cap;
};

static void
ws_collect(const unsigned char id[32], const char *terminal, const unsigned char token[32],
    void *arg)
{
	struct ws_stale			*st = arg;
	const struct terminal_conf	*tc = config_terminal(st->st_cfg, terminal), *was;
	const char			*why;

	if (tc != NULL && memcmp(tc->tc_token_sha256, token, 32) == 0 &&
	    (st->st_old == NULL || (was = config_terminal(st->st_old, terminal)) == NULL ||
	    config_terminal_successor(st->st_cfg, was, &why) != NULL))
		return;
	if (st->st_n == st->st_cap) {
		st->st_cap = st->st_cap ? 2 * st->st_cap : 16;
		if ((st->st_keys = reallocarray(st->st_keys, st->st_cap, 32)) == NULL)
			fatal("reallocarray");
	}
	memcpy(st->st_keys[st->st_n++], id, 32);
}

static int
ws_delete_stale(struct store *s, void *arg)
{
	struct ws_stale	*st = arg;
	size_t		 i;

	for (i = 0; i < st->st_n; i++)
		if (store_websession_delete(s, st->st_keys[i]) == -1)
			return -1;
	return 0;
}

static int
prune(struct branch *b, const struct config *old, char *errbuf, size_t errlen)
{
	struct ws_stale	st = { b->b_cfg, old, NULL, 0, 0 };
	struct bq_error	err;
	int		rc = 0;

	if (store_websession_each(b->b_store, ws_collect, &st) == -1) {
		snprintf(errbuf, errlen, "http sessions: %s", store_errmsg(b->b_store));
		rc = -1;
	} else if (st.st_n > 0) {
		if (store_write(b->b_store, ws_delete_stale, &st, "sessions kept", &err) == -1) {
			snprintf(errbuf, errlen, "%s", err.e_msg);
			rc = -1;
		} else
			log_info("event=http_sessions_ended count=%zu reason=terminal_changed",
			    st.st_n);
	}
	free(st.st_keys);
	return rc;
}

int
websession_prune(struct branch *b, char *errbuf, size_t errlen)
{
	return prune(b, NULL, errbuf, errlen);
}

/* A terminal given another role or staff keeps its token: its sessions end
 * all the same, as its connections do. */
int
websession_config_changed(struct branch *b, const struct config *old)
{
	char	err[256];

	if (prune(b, old, err, sizeof err) == -1) {
		/* A removed terminal's or changed token's sessions are refused
		 * at their next request all the same (websession_find). */
		log_warnx("event=reload http_sessions=kept msg=\"%s; those of a terminal "
		    "given another role or staff id speak for it as it is now\"", err);
		return -1;
	}
	return 0;
}
