/*
 * TLS for both listeners (PROTOCOL 1.1 "TLS"): one SSL_CTX made from
 * --tls-cert and --tls-key, TLS 1.2 and later only, made again from the
 * same files on SIGHUP.  Every accepted connection gets an SSL of the
 * context current at that moment and keeps it, and with it a reference to
 * its context, to its end: a reload changes what new connections are shown,
 * never an open one.  A file that fails to load leaves the context as it
 * was.
 *
 * The transports see a bufferevent and nothing of OpenSSL: plain when TLS
 * is off, bufferevent_openssl when it is on, both made here.
 */
#include <sys/stat.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/util.h>

#include "branchq.h"

static SSL_CTX	*tls_ctx;		/* NULL: TLS is off */
static char	*tls_cert_path, *tls_key_path;

/*
 * An encrypted key would make OpenSSL ask for its passphrase on the
 * terminal, which a daemon does not have (and a SIGHUP would block the
 * loop on): no passphrase, so such a key fails to load, with a reason.
 */
static int
tls_no_passphrase(char *buf, int size, int rwflag, void *arg)
{
	(void)buf;
	(void)size;
	(void)rwflag;
	(void)arg;
	return 0;
}

/* OpenSSL's reasons on its error queue, "; "-separated, the queue emptied. */
static void
tls_reasons(char *buf, size_t len)
{
	unsigned long	 e;
	const char	*reason;
	size_t		 used = 0;

	buf[0] = '\0';
	while ((e = ERR_get_error()) != 0) {
		if ((reason = ERR_reason_error_string(e)) == NULL)
			continue;
		if (used > 0 && strstr(buf, reason) != NULL)
			continue;	/* the same reason from another layer */
		if (used < len)
			used += (size_t)snprintf(buf + used, len - used, "%s%s",
			    used > 0 ? "; " : "", reason);
	}
	if (buf[0] == '\0')
		snprintf(buf, len, "no reason given");
}

/* A PEM key with a passphrase: worth saying why it cannot be used. */
static bool
tls_encrypted(const char *path)
{
	FILE	*f;
	char	 line[256];
	bool	 found = false;

	if ((f = fopen(path, "r")) == NULL)
		return false;
	while (!found && fgets(line, sizeof line, f) != NULL)
		found = strstr(line, "ENCRYPTED") != NULL;
	fclose(f);
	return found;
}

/* A file the daemon cannot open is said as the system says it. */
static int
tls_readable(const char *flag, const char *path, char *err, size_t errlen)
{
	struct stat	 st;
	FILE		*f;

	if ((f = fopen(path, "r")) == NULL) {
		snprintf(err, errlen, "%s %s: cannot read it: %s", flag, path, strerror(errno));
		return -1;
	}
	if (fstat(fileno(f), &st) == 0 && !S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "%s %s: not a file", flag, path);
		fclose(f);
		return -1;
	}
	fclose(f);
	return 0;
}

/* A new context from the files, or NULL with one line in err. */
static SSL_CTX *
tls_ctx_new(const char *cert, const char *key, char *err, size_t errlen)
{
	SSL_CTX		*ctx;
	EVP_PKEY	*pkey;
	FILE		*f;
	char		 why[256];

	ERR_clear_error();
	if (tls_readable("--tls-cert", cert, err, errlen) == -1 ||
	    tls_readable("--tls-key", key, err, errlen) == -1)
		return NULL;
	if ((ctx = SSL_CTX_new(TLS_server_method())) == NULL) {
		tls_reasons(why, sizeof why);
		snprintf(err, errlen, "--tls-cert %s: cannot set up TLS: %s", cert, why);
		return NULL;
	}
	SSL_CTX_set_default_passwd_cb(ctx, tls_no_passphrase);
	if (SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) != 1) {
		tls_reasons(why, sizeof why);
		snprintf(err, errlen, "--tls-cert %s: cannot require TLS 1.2: %s", cert, why);
		goto fail;
	}
	/*
	 * No renegotiation (a client could make us redo handshakes at will);
	 * our order of ciphers; a client that closes without close_notify is
	 * an ordinary end of file (with allow_dirty_shutdown below): a request
	 * counts only once its newline has arrived, so a cut cannot forge one.
	 */
	SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE |
	    SSL_OP_IGNORE_UNEXPECTED_EOF);
	/* Thousands of idle terminals: no 34 KiB of buffers each while idle. */
	SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
	/* No server-side session cache to grow; resumption by tickets only. */
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	if (SSL_CTX_use_certificate_chain_file(ctx, cert) != 1) {
		tls_reasons(why, sizeof why);
		snprintf(err, errlen, "--tls-cert %s: no usable PEM certificate in it "
		    "(OpenSSL: %s)", cert, why);
		goto fail;
	}
	/* Read apart from the context, so that a key of another certificate is
	 * told from a file that holds no key. */
	pkey = NULL;
	if ((f = fopen(key, "r")) != NULL) {
		pkey = PEM_read_PrivateKey(f, NULL, tls_no_passphrase, NULL);
		fclose(f);
	}
	if (pkey == NULL) {
		tls_reasons(why, sizeof why);
		snprintf(err, errlen, "--tls-key %s: no usable PEM private key in it "
		    "(OpenSSL: %s)%s", key, why, tls_encrypted(key) ? "; it is encrypted: give "
		    "the daemon the key without a passphrase" : "");
		goto fail;
	}
	if (SSL_CTX_use_PrivateKey(ctx, pkey) != 1 || SSL_CTX_check_private_key(ctx) != 1) {
		ERR_clear_error();
		EVP_PKEY_free(pkey);
		snprintf(err, errlen, "--tls-key %s: not the private key of the certificate in "
		    "--tls-cert %s", key, cert);
		goto fail;
	}
	EVP_PKEY_free(pkey);
	return ctx;
fail:
	SSL_CTX_free(ctx);
	return NULL;
}

int
tls_init(const char *cert, const char *key, char *err, size_t errlen)
{
	if (cert == NULL && key == NULL)
		return 0;	/* TLS off */
	if (key == NULL) {
		snprintf(err, errlen, "--tls-cert %s: needs --tls-key (the certificate's "
		    "private key)", cert);
		return -1;
	}
	if (cert == NULL) {
		snprintf(err, errlen, "--tls-key %s: needs --tls-cert (the certificate)", key);
		return -1;
	}
	if ((tls_ctx = tls_ctx_new(cert, key, err, errlen)) == NULL)
		return -1;
	tls_cert_path = xstrdup(cert);
	tls_key_path = xstrdup(key);
	return 0;
}

bool
tls_enabled(void)
{
	return tls_ctx != NULL;
}

int
tls_reload(char *err, size_t errlen)
{
	SSL_CTX	*ctx;

	if (tls_ctx == NULL) {
		snprintf(err, errlen, "TLS is off (no --tls-cert): nothing to read again");
		return -1;
	}
	if ((ctx = tls_ctx_new(tls_cert_path, tls_key_path, err, errlen)) == NULL)
		return -1;
	/* Open connections hold their own references to the old one. */
	SSL_CTX_free(tls_ctx);
	tls_ctx = ctx;
	return 0;
}

/* "subject=... not_after=..." of the certificate new connections get. */
void
tls_describe(char *buf, size_t len)
{
	X509		*x;
	const ASN1_TIME	*end;
	struct tm	 tm;
	char		 subject[256] = "?", not_after[BQ_TIME_LEN] = "?";

	if (tls_ctx == NULL || (x = SSL_CTX_get0_certificate(tls_ctx)) == NULL) {
		snprintf(buf, len, "tls=off");
		return;
	}
	X509_NAME_oneline(X509_get_subject_name(x), subject, sizeof subject);
	if ((end = X509_get0_notAfter(x)) != NULL && ASN1_TIME_to_tm(end, &tm) == 1)
		strftime(not_after, sizeof not_after, "%Y-%m-%dT%H:%M:%SZ", &tm);
	snprintf(buf, len, "cert=%s key=%s subject=%s not_after=%s%s", log_str(tls_cert_path),
	    log_str(tls_key_path), log_str(subject), not_after,
	    X509_cmp_current_time(X509_get0_notAfter(x)) < 0 ? " expired=yes" : "");
}

struct bufferevent *
tls_accept_bufferevent(struct event_base *base, evutil_socket_t fd, int options)
{
	struct bufferevent	*bev;
	SSL			*ssl;

	if (tls_ctx == NULL) {
		if ((bev = bufferevent_socket_new(base, fd, options)) == NULL && fd >= 0)
			evutil_closesocket(fd);
		return bev;
	}
	if ((ssl = SSL_new(tls_ctx)) == NULL) {
		ERR_clear_error();
		if (fd >= 0)
			evutil_closesocket(fd);
		return NULL;
	}
	bev = bufferevent_openssl_socket_new(base, fd, ssl, BUFFEREVENT_SSL_ACCEPTING, options);
	if (bev == NULL) {
		/* libevent frees the SSL itself when told to close on free. */
		if (!(options & BEV_OPT_CLOSE_ON_FREE))
			SSL_free(ssl);
		ERR_clear_error();
		if (fd >= 0)
			evutil_closesocket(fd);
		return NULL;
	}
	bufferevent_openssl_set_allow_dirty_shutdown(bev, 1);
	return bev;
}

const char *
tls_error(struct bufferevent *bev)
{
	static char	 buf[256];
	unsigned long	 e;
	const char	*reason;
	size_t		 used = 0;

	buf[0] = '\0';
	if (bufferevent_openssl_get_ssl(bev) == NULL)
		return NULL;
	while ((e = bufferevent_get_openssl_error(bev)) != 0) {
		/* libevent also files SSL_get_error()'s small codes here: not reasons. */
		if (ERR_GET_LIB(e) == 0 || (reason = ERR_reason_error_string(e)) == NULL)
			continue;
		if (used > 0 && strstr(buf, reason) != NULL)
			continue;
		if (used < sizeof buf)
			used += (size_t)snprintf(buf + used, sizeof buf - used, "%s%s",
			    used > 0 ? "; " : "", reason);
	}
	return buf[0] != '\0' ? buf : NULL;
}

void
tls_close_notify(struct bufferevent *bev)
{
	SSL	*ssl = bufferevent_openssl_get_ssl(bev);

	if (ssl == NULL)
		return;
	/* Once: whatever it returns, the socket's write side is shut next. */
	if (SSL_is_init_finished(ssl) && !(SSL_get_shutdown(ssl) & SSL_SENT_SHUTDOWN))
		(void)SSL_shutdown(ssl);
	ERR_clear_error();
}

void
tls_free(void)
{
	SSL_CTX_free(tls_ctx);
	tls_ctx = NULL;
	free(tls_cert_path);
	free(tls_key_path);
	tls_cert_path = tls_key_path = NULL;
}
