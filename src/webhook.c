/*
 * Webhook delivery: libcurl's multi interface driven by the event loop, as
 * curl's hiperfifo.c does it.  CURLMOPT_SOCKETFUNCTION gives each curl
 * socket one libevent event, CURLMOPT_TIMERFUNCTION arms one libevent
 * timer, and both call curl_multi_socket_action(); nothing here blocks.
 *
 * The database is the queue.  Each receiver (a configured URL) has at most
 * one transfer under way, for its oldest pending delivery, so a receiver
 * gets its events in order and a receiver that hangs holds one connection,
 * not hundreds.  A 2xx ends a delivery; anything else is an attempt that
 * failed, retried with exponential backoff and jitter on the daemon clock
 * (so clock.advance moves retries) until webhook_retry_hours have passed,
 * when the delivery is marked failed.  A supervisor can make a failed
 * delivery pending again (webhook.retry).
 *
 * Memory stays bounded whatever the receivers do: per receiver one
 * delivery and its body in memory; the rest waits in the database, at most
 * webhook_max_pending per receiver.  Beyond that a new delivery is written
 * as failed ("outbox full"), so it is never silently lost and can be
 * retried once the receiver is back.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <event2/event.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include "branchq.h"

#define BACKOFF_FIRST_S		10	/* after the first failed attempt */
#define BACKOFF_MAX_S		3600
#define STORE_RETRY_S		30	/* the database refused: try again */

struct receiver {
	const struct webhook_conf *r_conf;
	struct delivery		*r_head;	/* oldest pending, or NULL */
	CURL			*r_easy;	/* the transfer under way, or NULL */
	struct curl_slist	*r_headers;
	bool			 r_reload;	/* an older delivery is pending again */
	char			 r_errbuf[CURL_ERROR_SIZE];
};

static struct {
	struct event_base	*wh_base;
	struct branch		*wh_branch;
	CURLM			*wh_multi;
	struct event		*wh_curl_timer;	/* curl's timeouts, real time */
	struct event		*wh_kick;	/* look for work after this callback */
	struct deadline		 wh_retry;	/* daemon clock: the next head falling due */
	/* One allocation each: curl holds a pointer to its receiver
	 * (CURLOPT_PRIVATE, the error buffer) across a reload. */
	struct receiver	       **wh_receivers;
	size_t			 wh_nreceivers;
	uint64_t		 wh_rand;
} wh;

static void	pump(void);

bool
webhook_wanted(const struct config *cfg, const char *event)
{
	size_t	i, j;

	for (i = 0; i < cfg->cf_nwebhooks; i++)
		for (j = 0; j < cfg->cf_webhooks[i].wh_nevents; j++)
			if (strcmp(cfg->cf_webhooks[i].wh_events[j], event) == 0)
				return true;
	return false;
}

static void
random_bytes(unsigned char *buf, int len)
{
	if (RAND_bytes(buf, len) != 1)
		fatalx("RAND_bytes failed");
}

/* A version 4 UUID: X-Branchq-Delivery. */
static void
delivery_key(char out[DELIVERY_KEY_LEN + 1])
{
	unsigned char	u[16];

	random_bytes(u, sizeof u);
	u[6] = (unsigned char)((u[6] & 0x0f) | 0x40);
	u[8] = (unsigned char)((u[8] & 0x3f) | 0x80);
	snprintf(out, DELIVERY_KEY_LEN + 1,
	    "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
	    u[0], u[1], u[2], u[3], u[4], u[5], u[6], u[7], u[8], u[9], u[10], u[11],
	    u[12], u[13], u[14], u[15]);
}

int
webhook_enqueue(struct store *s, const struct config *cfg, const char *event,
    int64_t outbox_id)
{
	struct delivery	*dv;
	size_t		 i, j;
	int64_t		 pending, now = clock_now();
	int		 rc = 0;

	if ((dv = calloc(1, sizeof *dv)) == NULL)
		fatal("calloc");
	for (i = 0; i < cfg->cf_nwebhooks && rc == 0; i++) {
		for (j = 0; j < cfg->cf_webhooks[i].wh_nevents; j++)
			if (strcmp(cfg->cf_webhooks[i].wh_events[j], event) == 0)
				break;
		if (j == cfg->cf_webhooks[i].wh_nevents)
			continue;
		memset(dv, 0, sizeof *dv);
		dv->dv_outbox_id = outbox_id;
		snprintf(dv->dv_receiver, sizeof dv->dv_receiver, "%s",
		    cfg->cf_webhooks[i].wh_url);
		delivery_key(dv->dv_key);
		dv->dv_state = DS_PENDING;
		dv->dv_next_at = dv->dv_retry_from = dv->dv_created_at = now;
		if ((rc = store_delivery_pending_count(s, dv->dv_receiver, &pending)) == -1)
			break;
		if (pending >= cfg->cf_webhook_max_pending) {
			dv->dv_state = DS_FAILED;
			snprintf(dv->dv_last_error, sizeof dv->dv_last_error,
			    "outbox full: %lld deliveries already pending for this receiver",
			    (long long)pending);
			log_warnx("webhook %s: %s; %s delivery %s recorded as failed",
			    dv->dv_receiver, dv->dv_last_error, event, dv->dv_key);
		}
		rc = store_delivery_add(s, dv);
	}
	free(dv);
	/* After the caller's commit (or rollback): this callback runs first. */
	if (rc == 0 && wh.wh_kick != NULL)
		event_active(wh.wh_kick, EV_TIMEOUT, 0);
	return rc;
}

void
webhook_hmac_hex(const char *secret, const char *body, size_t len, char out[65])
{
	unsigned char	md[EVP_MAX_MD_SIZE];
	unsigned int	mdlen = 0, i;

	if (HMAC(EVP_sha256(), secret, (int)strlen(secret), (const unsigned char *)body,
	    len, md, &mdlen) == NULL || mdlen != 32)
		fatalx("HMAC-SHA256 failed");
	for (i = 0; i < mdlen; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
}

/* xorshift64*: jitter only, seeded from the system's randomness. */
static uint64_t
jitter_random(void)
{
	wh.wh_rand ^= wh.wh_rand >> 12;
	wh.wh_rand ^= wh.wh_rand << 25;
	wh.wh_rand ^= wh.wh_rand >> 27;
	return wh.wh_rand * 2685821657736338717ULL;
}

/* The wait after the n-th failed attempt: 10 s doubling to 1 h, less 0-20 %. */
static int64_t
backoff_s(int attempts)
{
	int64_t	d = BACKOFF_FIRST_S;

	while (--attempts > 0 && d < BACKOFF_MAX_S)
		d *= 2;
	if (d > BACKOFF_MAX_S)
		d = BACKOFF_MAX_S;
	return d - (int64_t)(jitter_random() % (uint64_t)(d / 5 + 1));
}

static struct receiver *
receiver_of(const char *url)
{
	size_t	i;

	for (i = 0; i < wh.wh_nreceivers; i++)
		if (strcmp(wh.wh_receivers[i]->r_conf->wh_url, url) == 0)
			return wh.wh_receivers[i];
	return NULL;
}

static void
drop_head(struct receiver *r)
{
	if (r->r_head == NULL)
		return;
	free(r->r_head->dv_body);
	free(r->r_head);
	r->r_head = NULL;
}

static void
kick(void)
{
	if (wh.wh_kick != NULL)
		event_active(wh.wh_kick, EV_TIMEOUT, 0);
}

/* ---- libcurl on libevent ---- */

static void
check_done(void);

static void
on_socket(evutil_socket_t fd, short what, void *arg)
{
	int	flags = 0, running;

	(void)arg;
	if (what & EV_READ)
		flags |= CURL_CSELECT_IN;
	if (what & EV_WRITE)
		flags |= CURL_CSELECT_OUT;
	curl_multi_socket_action(wh.wh_multi, fd, flags, &running);
	check_done();
}

static void
on_curl_timer(evutil_socket_t fd, short what, void *arg)
{
	int	running;

	(void)fd;
	(void)what;
	(void)arg;
	curl_multi_socket_action(wh.wh_multi, CURL_SOCKET_TIMEOUT, 0, &running);
	check_done();
}

/* CURLMOPT_SOCKETFUNCTION: one persistent event per socket curl watches. */
static int
curl_socket_cb(CURL *easy, curl_socket_t fd, int what, void *userp, void *socketp)
{
	struct event	*ev = socketp;
	short		 kind;

	(void)easy;
	(void)userp;
	if (what == CURL_POLL_REMOVE) {
		if (ev != NULL)
			event_free(ev);
		return 0;
	}
	kind = (short)(EV_PERSIST | ((what & CURL_POLL_IN) ? EV_READ : 0) |
	    ((what & CURL_POLL_OUT) ? EV_WRITE : 0));
	if (ev == NULL) {
		if ((ev = event_new(wh.wh_base, fd, kind, on_socket, NULL)) == NULL)
			fatalx("event_new failed");
		curl_multi_assign(wh.wh_multi, fd, ev);
	} else {
		event_del(ev);
		event_assign(ev, wh.wh_base, fd, kind, on_socket, NULL);
	}
	event_add(ev, NULL);
	return 0;
}

/* CURLMOPT_TIMERFUNCTION: -1 deletes the timer, 0 means at once. */
static int
curl_timer_cb(CURLM *multi, long timeout_ms, void *userp)
{
	struct timeval	tv;

	(void)multi;
	(void)userp;
	if (timeout_ms < 0) {
		evtimer_del(wh.wh_curl_timer);
		return 0;
	}
	tv.tv_sec = timeout_ms / 1000;
	tv.tv_usec = (timeout_ms % 1000) * 1000;
	evtimer_add(wh.wh_curl_timer, &tv);
	return 0;
}

/* ---- one attempt ---- */

static size_t
discard_body(char *data, size_t size, size_t n, void *arg)
{
	(void)data;
	(void)arg;
	return size * n;
}

static int
start_transfer(struct receiver *r)
{
	struct delivery	*dv = r->r_head;
	CURL		*e;
	char		 hdr[128 + DELIVERY_KEY_LEN], sig[65];
	size_t		 len = strlen(dv->dv_body);

	if ((e = curl_easy_init()) == NULL)
		return -1;
	webhook_hmac_hex(r->r_conf->wh_secret, dv->dv_body, len, sig);
	r->r_headers = curl_slist_append(NULL, "Content-Type: application/json");
	snprintf(hdr, sizeof hdr, "X-Branchq-Event: %s", dv->dv_event);
	r->r_headers = curl_slist_append(r->r_headers, hdr);
	snprintf(hdr, sizeof hdr, "X-Branchq-Delivery: %s", dv->dv_key);
	r->r_headers = curl_slist_append(r->r_headers, hdr);
	snprintf(hdr, sizeof hdr, "X-Branchq-Signature: sha256=%s", sig);
	r->r_headers = curl_slist_append(r->r_headers, hdr);
	/* No "Expect: 100-continue" round trip for a small body. */
	r->r_headers = curl_slist_append(r->r_headers, "Expect:");
	r->r_errbuf[0] = '\0';

	curl_easy_setopt(e, CURLOPT_URL, r->r_conf->wh_url);
	curl_easy_setopt(e, CURLOPT_PRIVATE, r);
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, r->r_headers);
	curl_easy_setopt(e, CURLOPT_POST, 1L);
	curl_easy_setopt(e, CURLOPT_POSTFIELDS, dv->dv_body);
	curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, discard_body);
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, r->r_errbuf);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS,
	    (long)wh.wh_branch->b_cfg->cf_webhook_connect_timeout_ms);
	curl_easy_setopt(e, CURLOPT_TIMEOUT_MS,
	    (long)wh.wh_branch->b_cfg->cf_webhook_timeout_ms);
	curl_easy_setopt(e, CURLOPT_USERAGENT, "branchqd/1");
	curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
#if LIBCURL_VERSION_NUM >= 0x075500	/* 7.85.0 */
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
#else
	curl_easy_setopt(e, CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
#if LIBCURL_VERSION_NUM >= 0x075700	/* 7.87.0 */
	/* Abandoning a transfer must not wait for a name lookup to finish. */
	curl_easy_setopt(e, CURLOPT_QUICK_EXIT, 1L);
#endif
	if (curl_multi_add_handle(wh.wh_multi, e) != CURLM_OK) {
		curl_easy_cleanup(e);
		curl_slist_free_all(r->r_headers);
		r->r_headers = NULL;
		return -1;
	}
	r->r_easy = e;
	log_debug("webhook %s: %s delivery %s, attempt %d", r->r_conf->wh_url,
	    dv->dv_event, dv->dv_key, dv->dv_attempts + 1);
	return 0;
}

static void
end_transfer(struct receiver *r)
{
	if (r->r_easy != NULL) {
		curl_multi_remove_handle(wh.wh_multi, r->r_easy);
		curl_easy_cleanup(r->r_easy);
		r->r_easy = NULL;
	}
	curl_slist_free_all(r->r_headers);
	r->r_headers = NULL;
}

/* The store's writes, each through store_write(). */
struct attempt {
	const struct delivery	*at_delivery;
	int			 at_status;
	const char		*at_error;	/* NULL: none */
	int64_t			 at_duration_ms;
};

static int
attempt_writes(struct store *s, void *arg)
{
	const struct attempt	*at = arg;

	if (store_delivery_attempt(s, at->at_delivery, at->at_status, at->at_error,
	    at->at_duration_ms) == -1)
		return -1;
	/* The head was pending: delivered or failed, it no longer is. */
	if (at->at_delivery->dv_state != DS_PENDING)
		store_figure_add(s, SF_DELIVERIES_PENDING, -1);
	return 0;
}

/* webhook.retry: a failed delivery pending again. */
static int
retry_writes(struct store *s, void *arg)
{
	if (store_delivery_update(s, arg) == -1)
		return -1;
	store_figure_add(s, SF_DELIVERIES_PENDING, 1);
	return 0;
}

static int
abandon_writes(struct store *s, void *arg)
{
	return store_delivery_abandon(s, arg, "receiver no longer in the configuration");
}

/* Records the attempt: delivered, to be retried, or failed for good. */
static void
attempt_done(struct receiver *r, CURLcode result, long status, int64_t duration_ms)
{
	struct delivery	*dv = r->r_head, before = *dv;
	struct store	*s = wh.wh_branch->b_store;
	struct attempt	 at;
	int64_t		 now = clock_now(), give_up_at;
	char		 error[DELIVERY_ERROR_LEN + 1] = "";

	dv->dv_attempts++;
	dv->dv_last_attempt_at = now;
	dv->dv_last_status = (int)status;
	if (result == CURLE_OK && status >= 200 && status <= 299) {
		dv->dv_state = DS_DELIVERED;
		dv->dv_delivered_at = now;
		dv->dv_last_error[0] = '\0';
	} else {
		if (result != CURLE_OK)
			snprintf(error, sizeof error, "%s", r->r_errbuf[0] != '\0' ?
			    r->r_errbuf : curl_easy_strerror(result));
		else
			snprintf(error, sizeof error, "HTTP status %ld", status);
		snprintf(dv->dv_last_error, sizeof dv->dv_last_error, "%s", error);
		give_up_at = dv->dv_retry_from +
		    (int64_t)wh.wh_branch->b_cfg->cf_webhook_retry_hours * 3600;
		if (now >= give_up_at) {
			dv->dv_state = DS_FAILED;
		} else {
			dv->dv_next_at = now + backoff_s(dv->dv_attempts);
			if (dv->dv_next_at > give_up_at)
				dv->dv_next_at = give_up_at;	/* one last try at the end */
		}
	}
	at.at_delivery = dv;
	at.at_status = (int)status;
	at.at_error = error[0] != '\0' ? error : NULL;
	at.at_duration_ms = duration_ms;
	if (store_write(s, attempt_writes, &at, NULL, NULL) == -1) {
		/* Not recorded: the same delivery goes again, with the same key. */
		log_warnx("webhook %s: delivery %s: cannot record the attempt (%s); "
		    "will try again", dv->dv_receiver, dv->dv_key, store_errmsg(s));
		*dv = before;
		dv->dv_next_at = now + STORE_RETRY_S;
		return;
	}
	metrics_webhook_attempt(dv->dv_state == DS_DELIVERED, dv->dv_state == DS_FAILED);
	switch (dv->dv_state) {
	case DS_DELIVERED:
		log_debug("webhook %s: %s delivery %s delivered (HTTP %ld, attempt %d)",
		    dv->dv_receiver, dv->dv_event, dv->dv_key, status, dv->dv_attempts);
		drop_head(r);
		break;
	case DS_FAILED:
		log_warnx("webhook %s: %s delivery %s failed after %d attempts: %s",
		    dv->dv_receiver, dv->dv_event, dv->dv_key, dv->dv_attempts, error);
		drop_head(r);
		break;
	default:
		log_info("webhook %s: %s delivery %s attempt %d failed: %s; next in %llds",
		    dv->dv_receiver, dv->dv_event, dv->dv_key, dv->dv_attempts, error,
		    (long long)(dv->dv_next_at - now));
		if (r->r_reload)
			drop_head(r);	/* the retried one goes first */
		break;
	}
	r->r_reload = false;
}

static void
check_done(void)
{
	CURLMsg		*msg;
	struct receiver	*r;
	curl_off_t	 us = 0;
	long		 status = 0;
	int		 left;
	bool		 any = false;

	while ((msg = curl_multi_info_read(wh.wh_multi, &left)) != NULL) {
		if (msg->msg != CURLMSG_DONE)
			continue;
		r = NULL;
		curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&r);
		curl_easy_getinfo(msg->easy_handle, CURLINFO_RESPONSE_CODE, &status);
		curl_easy_getinfo(msg->easy_handle, CURLINFO_TOTAL_TIME_T, &us);
		if (r == NULL || r->r_easy != msg->easy_handle)
			fatalx("webhook: a transfer nobody owns");
		attempt_done(r, msg->data.result, status, (int64_t)(us / 1000));
		end_transfer(r);
		any = true;
	}
	/* New transfers start from the kick, not from inside curl's loop. */
	if (any)
		kick();
}

/* ---- what to send next ---- */

static void
on_retry_due(void *arg)
{
	(void)arg;
	pump();
}

static void
on_kick(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
	pump();
}

/*
 * For every receiver with nothing under way: load its oldest pending
 * delivery and send it if it is due; arm the daemon-clock deadline for the
 * earliest one that is not.
 */
static void
pump(void)
{
	struct receiver	*r;
	struct store	*s = wh.wh_branch->b_store;
	int64_t		 now = clock_now(), next = 0;
	size_t		 i;
	int		 rc;

	for (i = 0; i < wh.wh_nreceivers; i++) {
		r = wh.wh_receivers[i];
		if (r->r_easy != NULL)
			continue;
		if (r->r_head == NULL) {
			if ((r->r_head = calloc(1, sizeof *r->r_head)) == NULL)
				fatal("calloc");
			rc = store_delivery_head(s, r->r_conf->wh_url, r->r_head);
			if (rc != 0) {
				free(r->r_head);
				r->r_head = NULL;
				if (rc == -1 && (next == 0 || now + STORE_RETRY_S < next))
					next = now + STORE_RETRY_S;
				continue;
			}
		}
		if (r->r_head->dv_next_at <= now) {
			if (start_transfer(r) == -1) {
				log_warnx("webhook %s: cannot start a transfer",
				    r->r_conf->wh_url);
				r->r_head->dv_next_at = now + STORE_RETRY_S;
			} else
				continue;
		}
		if (next == 0 || r->r_head->dv_next_at < next)
			next = r->r_head->dv_next_at;
	}
	if (next != 0)
		deadline_arm(&wh.wh_retry, next);
	else
		deadline_disarm(&wh.wh_retry);
}

int
webhook_retry(struct branch *b, int64_t id, struct delivery *out, struct bq_error *err)
{
	struct delivery	*dv = out;
	struct receiver	*r;
	int		 rc;

	if ((rc = store_delivery_get(b->b_store, id, dv)) == -1)
		return bq_fail(err, ERR_UNAVAILABLE, "the database cannot be read (%s)",
		    store_errmsg(b->b_store));
	if (rc == 1)
		return bq_fail(err, ERR_NOT_FOUND, "delivery: no delivery %lld", (long long)id);
	if (dv->dv_state != DS_FAILED)
		return bq_fail(err, ERR_CONFLICT, "delivery: %lld is %s; only a failed "
		    "delivery can be retried", (long long)id, delivery_state_names[dv->dv_state]);
	if ((r = receiver_of(dv->dv_receiver)) == NULL)
		return bq_fail(err, ERR_CONFLICT, "delivery: its receiver %s is no longer "
		    "configured", dv->dv_receiver);
	dv->dv_state = DS_PENDING;
	dv->dv_next_at = dv->dv_retry_from = clock_now();
	if (store_write(b->b_store, retry_writes, dv, NULL, err) == -1)
		return -1;
	log_info("webhook %s: %s delivery %s pending again", dv->dv_receiver, dv->dv_event,
	    dv->dv_key);
	/* It may be older than the head waiting for its backoff: order by id again. */
	if (r->r_easy == NULL)
		drop_head(r);
	else
		r->r_reload = true;
	kick();
	return 0;
}

/* ---- start and stop ---- */

/* Pending deliveries for a receiver no longer configured can never go. */
static int
abandon_unknown(struct store *s, char *err, size_t errlen)
{
	char	**urls;
	size_t	  n, i;
	int	  rc = 0;

	if (store_delivery_receivers(s, &urls, &n) == -1) {
		snprintf(err, errlen, "cannot read webhook deliveries: %s", store_errmsg(s));
		return -1;
	}
	for (i = 0; i < n; i++) {
		if (rc == 0 && receiver_of(urls[i]) == NULL) {
			log_warnx("webhook %s: no longer configured; its pending deliveries "
			    "are marked failed", urls[i]);
			if (store_write(s, abandon_writes, urls[i], NULL, NULL) == -1) {
				snprintf(err, errlen, "cannot update webhook deliveries: %s",
				    store_errmsg(s));
				rc = -1;
			}
		}
		free(urls[i]);
	}
	free(urls);
	return rc;
}

/*
 * The receivers of a configuration: one for each URL, carried over (with
 * its transfer under way and its head) when the URL was there before.
 * The old ones left over are returned for the caller to end.
 */
static struct receiver **
receivers_configure(const struct config *cf)
{
	struct receiver	**old = wh.wh_receivers, **nr;
	size_t		  nold = wh.wh_nreceivers, i, j;

	if ((nr = calloc(cf->cf_nwebhooks + 1, sizeof *nr)) == NULL)
		fatal("calloc");
	for (i = 0; i < cf->cf_nwebhooks; i++) {
		for (j = 0; j < nold; j++)
			if (old[j] != NULL &&
			    strcmp(old[j]->r_conf->wh_url, cf->cf_webhooks[i].wh_url) == 0)
				break;
		if (j < nold) {
			nr[i] = old[j];
			old[j] = NULL;
		} else if ((nr[i] = calloc(1, sizeof *nr[i])) == NULL)
			fatal("calloc");
		/* The new secret signs the next attempt; one under way goes on. */
		nr[i]->r_conf = &cf->cf_webhooks[i];
	}
	wh.wh_receivers = nr;
	wh.wh_nreceivers = cf->cf_nwebhooks;
	return old;
}

/* SIGHUP: b_cfg is the new configuration; the old one is still there. */
void
webhook_config_changed(size_t *added, size_t *removed)
{
	struct receiver	**old;
	size_t		  nold = wh.wh_nreceivers, i, kept = 0;
	char		  err[256];

	*added = *removed = 0;
	if (wh.wh_base == NULL)
		return;
	old = receivers_configure(wh.wh_branch->b_cfg);
	for (i = 0; i < nold; i++) {
		if (old[i] == NULL) {
			kept++;
			continue;
		}
		log_info("webhook %s: removed from the configuration", old[i]->r_conf->wh_url);
		end_transfer(old[i]);
		drop_head(old[i]);
		free(old[i]);
		(*removed)++;
	}
	free(old);
	*added = wh.wh_nreceivers - kept;
	/* Their pending deliveries can never go now: failed, as at start-up. */
	if (abandon_unknown(wh.wh_branch->b_store, err, sizeof err) == -1)
		log_warnx("event=reload webhooks: %s", err);
	kick();
}

int
webhook_start(struct event_base *base, struct branch *b, char *err, size_t errlen)
{
	const curl_version_info_data	*vi;

	memset(&wh, 0, sizeof wh);
	wh.wh_base = base;
	wh.wh_branch = b;
	random_bytes((unsigned char *)&wh.wh_rand, sizeof wh.wh_rand);
	wh.wh_rand |= 1;
	receivers_configure(b->b_cfg);

	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		snprintf(err, errlen, "webhooks: cannot initialise libcurl");
		return -1;
	}
	vi = curl_version_info(CURLVERSION_NOW);
	if (wh.wh_nreceivers > 0 && !(vi->features & CURL_VERSION_ASYNCHDNS))
		log_warnx("webhooks: this libcurl resolves names synchronously; use IP "
		    "addresses in webhook URLs or a receiver's DNS can stall the daemon");
	if ((wh.wh_multi = curl_multi_init()) == NULL ||
	    (wh.wh_curl_timer = evtimer_new(base, on_curl_timer, NULL)) == NULL ||
	    (wh.wh_kick = event_new(base, -1, 0, on_kick, NULL)) == NULL)
		fatalx("webhooks: cannot set up");
	curl_multi_setopt(wh.wh_multi, CURLMOPT_SOCKETFUNCTION, curl_socket_cb);
	curl_multi_setopt(wh.wh_multi, CURLMOPT_TIMERFUNCTION, curl_timer_cb);
	deadline_init(&wh.wh_retry, "webhook retry", on_retry_due, NULL);

	if (abandon_unknown(b->b_store, err, errlen) == -1)
		return -1;
	kick();		/* deliveries left pending by the last run */
	return 0;
}

void
webhook_stop(void)
{
	size_t	i;

	if (wh.wh_base == NULL)
		return;
	for (i = 0; i < wh.wh_nreceivers; i++) {
		end_transfer(wh.wh_receivers[i]);
		drop_head(wh.wh_receivers[i]);
		free(wh.wh_receivers[i]);
	}
	deadline_disarm(&wh.wh_retry);
	if (wh.wh_multi != NULL)
		curl_multi_cleanup(wh.wh_multi);
	if (wh.wh_curl_timer != NULL)
		event_free(wh.wh_curl_timer);
	if (wh.wh_kick != NULL)
		event_free(wh.wh_kick);
	free(wh.wh_receivers);
	curl_global_cleanup();
	memset(&wh, 0, sizeof wh);
}
