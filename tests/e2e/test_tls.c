/*
 * End-to-end: TLS (PROTOCOL 1.1 "TLS", docs/SECURITY.md) on the line
 * protocol's listener.  Each test makes a throwaway CA and a server
 * certificate with the openssl command line (tls_pki_make()) and starts the
 * real daemon with --tls-cert and --tls-key: requests, events and reports
 * over TLS; the certificate checked against the CA and the name; TLS 1.1
 * and lower refused; a plain-text client closed, logged once, and the next
 * TLS client served; SIGHUP giving new connections a new certificate while
 * an open one goes on, and a broken file on SIGHUP leaving the old one; the
 * start-up errors; build/branchq --tls --cafile; and the HTTP listener
 * over https (libcurl), plain http refused there.
 *
 * Nothing here waits for a time to pass: a log line is waited for until it
 * appears (or the reply timeout says the daemon never wrote it).
 */
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <openssl/ssl.h>

#include "harness.h"

#define MAX_ARGS	32

static int64_t
mono_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
nap_ms(int ms)
{
	struct timespec	ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

/* How often text is in the daemon's log. */
static int
log_count(struct daemon *d, const char *text)
{
	char	 path[300], *buf, *p;
	FILE	*f;
	long	 size;
	int	 n = 0;

	snprintf(path, sizeof path, "%s", d->d_log);
	if ((f = fopen(path, "r")) == NULL)
		return 0;
	fseek(f, 0, SEEK_END);
	size = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = malloc((size_t)size + 1);
	assert_non_null(buf);
	buf[fread(buf, 1, (size_t)size, f)] = '\0';
	fclose(f);
	for (p = buf; (p = strstr(p, text)) != NULL; p += strlen(text))
		n++;
	free(buf);
	return n;
}

/* Waits until the log holds text count times (a line the daemon writes on its own time). */
#define wait_log(d, text, count) h_wait_log(__FILE__, __LINE__, (d), (text), (count))
static void
h_wait_log(const char *file, int line, struct daemon *d, const char *text, int count)
{
	int64_t	deadline = mono_ms() + reply_timeout_ms();

	while (log_count(d, text) < count) {
		if (mono_ms() > deadline) {
			daemon_print_log(d);
			h_expect_that(file, line, false, NULL, "the log never said \"%s\" (%d times)",
			    text, count);
		}
		nap_ms(10);
	}
}

static void
copy_file(const char *from, const char *to)
{
	char	 buf[8192], tmp[PATH_MAX];
	FILE	*in, *out;
	size_t	 n;

	snprintf(tmp, sizeof tmp, "%s.tmp", to);
	assert_non_null(in = fopen(from, "r"));
	assert_non_null(out = fopen(tmp, "w"));
	while ((n = fread(buf, 1, sizeof buf, in)) > 0)
		assert_int_equal(fwrite(buf, 1, n, out), n);
	fclose(in);
	assert_int_equal(fclose(out), 0);
	/* Whole at once, as an operator's `mv` would put it. */
	assert_int_equal(rename(tmp, to), 0);
}

static void
write_file(const char *path, const char *text)
{
	FILE	*f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	assert_int_equal(fclose(f), 0);
}

/* A path beside the PKI's files. */
static void
pki_path(const struct tls_pki *pki, const char *name, char *out, size_t len)
{
	char	dir[PATH_MAX];

	snprintf(dir, sizeof dir, "%s", pki->tp_ca);
	snprintf(out, len, "%s/%s", dirname(dir), name);
}

static struct daemon *
tls_daemon(const char *cert, const char *key, const char *extra_config)
{
	struct daemon_opts	opts = { .tls_cert = cert, .tls_key = key,
	    .extra_config = extra_config };

	return daemon_start(&opts);
}

/* hello over an open connection with the harness's token. */
static struct conn *
tls_login(struct daemon *d, const struct tls_pki *pki, const char *terminal)
{
	struct conn	*c = tls_conn_open(d, pki->tp_ca, "127.0.0.1");

	hello(c, terminal);
	return c;
}

/* ---- the line protocol over TLS ---- */

static void
test_requests_events_reports(void **state)
{
	struct tls_pki	 pki;
	struct daemon	*d;
	struct conn	*k, *disp, *s;
	cJSON		*t, *ev, *r;

	(void)state;
	tls_pki_make(&pki, "one");
	d = tls_daemon(pki.tp_cert, pki.tp_key, NULL);
	expect_that(daemon_log_contains(d, " tls=on "), NULL, "the start line says tls=on");

	disp = tls_login(d, &pki, "D01");
	cJSON_Delete(rq_ok(disp, "{\"op\":\"subscribe\",\"topics\":[\"queue\"]}"));
	/* The state subscribe sends after its reply, then the issue's own. */
	ev = next_event_named(disp, "queue.changed", reply_timeout_ms());
	expect_that(ev != NULL, NULL, "the display gets the queue's state over TLS");
	cJSON_Delete(ev);
	k = tls_login(d, &pki, "K01");
	t = issue(k, "cash_deposit", 150000, NULL);
	/* Pushed to a subscriber that asked nothing: written by the transport on its own. */
	ev = next_event_named(disp, "queue.changed", reply_timeout_ms());
	expect_that(ev != NULL, NULL, "the display hears of the new ticket over TLS");
	cJSON_Delete(ev);
	cJSON_Delete(t);

	/* A report's reply comes later (the connection waits for it), then more requests. */
	s = tls_login(d, &pki, "S01");
	r = rq_ok(s, "{\"op\":\"report.followups\"}");
	expect_present(r, "complaints");
	cJSON_Delete(r);
	cJSON_Delete(rq_ok(s, "{\"op\":\"ping\"}"));
	daemon_stop(d);
}

/*
 * More than the 64 KiB a connection buffers, sent at once behind a report
 * (TLS connections have no read watermark: bufferevent_openssl stopping at
 * one could leave the rest of a record inside OpenSSL, where no socket
 * event finds it again); every reply comes, in order.  Then a line too
 * long: its error, close_notify, end of file.
 */
static void
test_large_input(void **state)
{
	struct tls_pki	 pki;
	struct daemon	*d;
	struct conn	*c;
	char		*burst, *p, pad[1201];
	cJSON		*r;
	int		 i, n = 150;

	(void)state;
	tls_pki_make(&pki, "one");
	d = tls_daemon(pki.tp_cert, pki.tp_key, NULL);
	c = tls_login(d, &pki, "S01");
	memset(pad, 'x', sizeof pad - 1);
	pad[sizeof pad - 1] = '\0';
	burst = malloc((size_t)n * (sizeof pad + 64) + 64);
	assert_non_null(burst);
	/* A report first: the connection reads on only up to a longest line until
	 * its reply is back, then answers the rest in order. */
	p = burst + sprintf(burst, "{\"op\":\"report.followups\",\"id\":\"report\"}\n");
	for (i = 0; i < n; i++)
		p += sprintf(p, "{\"op\":\"ping\",\"id\":%d,\"pad\":\"%s\"}\n", i, pad);
	send_raw(c, burst, (size_t)(p - burst));
	r = read_reply(c, reply_timeout_ms());
	expect_ok(r);
	expect_str(r, "id", "report");
	cJSON_Delete(r);
	for (i = 0; i < n; i++) {
		r = read_reply(c, reply_timeout_ms());
		expect_that(r != NULL, NULL, "reply %d of %d to a burst of %zu bytes", i, n,
		    (size_t)(p - burst));
		expect_ok(r);
		expect_int(r, "id", i);
		cJSON_Delete(r);
	}

	/* 70,000 bytes without a newline. */
	burst = realloc(burst, 70000);
	assert_non_null(burst);
	memset(burst, 'a', 70000);
	send_raw(c, burst, 70000);
	free(burst);
	r = read_reply(c, reply_timeout_ms());
	expect_error(r, "line_too_long");
	cJSON_Delete(r);
	expect_that(peer_closed(c, reply_timeout_ms()), NULL, "closed after line_too_long");
	expect_that(SSL_get_shutdown(c->c_ssl) & SSL_RECEIVED_SHUTDOWN, NULL,
	    "the daemon ended the TLS session with close_notify, not a cut");
	daemon_stop(d);
}

/* ---- the certificate ---- */

static void
test_certificate_verified(void **state)
{
	struct tls_pki	 one, other;
	struct daemon	*d;
	struct conn	*c;
	char		 why[512];

	(void)state;
	tls_pki_make(&one, "one");
	tls_pki_make(&other, "other");
	d = tls_daemon(one.tp_cert, one.tp_key, NULL);

	/* The subjectAltName's address and name. */
	cJSON_Delete(rq_ok(tls_conn_open(d, one.tp_ca, "127.0.0.1"), "{\"op\":\"ping\"}"));
	cJSON_Delete(rq_ok(tls_conn_open(d, one.tp_ca, "localhost"), "{\"op\":\"ping\"}"));

	c = tls_conn_try(d, one.tp_ca, "branch.example", 0, why, sizeof why);
	expect_that(c == NULL && strstr(why, "hostname mismatch") != NULL, NULL,
	    "another name is refused: %s", c == NULL ? why : "it connected");
	c = tls_conn_try(d, one.tp_ca, "127.0.0.2", 0, why, sizeof why);
	expect_that(c == NULL && strstr(why, "IP address mismatch") != NULL, NULL,
	    "another address is refused: %s", c == NULL ? why : "it connected");
	c = tls_conn_try(d, other.tp_ca, "127.0.0.1", 0, why, sizeof why);
	expect_that(c == NULL && strstr(why, "unable to get local issuer certificate") != NULL,
	    NULL, "another CA does not vouch for it: %s", c == NULL ? why : "it connected");
	/* The client's alert, as the daemon logs it. */
	wait_log(d, "reason=tls_handshake", 3);
	expect_that(log_count(d, "alert") >= 3, NULL, "the client's alerts are logged");
	daemon_stop(d);
}

static void
test_old_versions_refused(void **state)
{
	struct tls_pki	 pki;
	struct daemon	*d;
	struct conn	*c;
	char		 why[512];

	(void)state;
	tls_pki_make(&pki, "one");
	d = tls_daemon(pki.tp_cert, pki.tp_key, NULL);
	/* A client offering TLS 1.0 and 1.1 (its own security level lowered to allow them). */
	c = tls_conn_try(d, pki.tp_ca, "127.0.0.1", TLS1_1_VERSION, why, sizeof why);
	expect_that(c == NULL, NULL, "TLS 1.1 is refused");
	expect_that(strstr(why, "alert protocol version") != NULL, NULL,
	    "the daemon said protocol_version: %s", why);
	wait_log(d, "reason=tls_handshake", 1);
	expect_that(daemon_log_contains(d, "unsupported protocol"), NULL,
	    "the log says why");
	/* TLS 1.2 exactly is still welcome. */
	c = tls_conn_try(d, pki.tp_ca, "127.0.0.1", TLS1_2_VERSION, why, sizeof why);
	expect_that(c != NULL, NULL, "TLS 1.2 is accepted: %s", c == NULL ? why : "");
	assert_int_equal(SSL_version(c->c_ssl), TLS1_2_VERSION);
	cJSON_Delete(rq_ok(c, "{\"op\":\"ping\"}"));
	/* And the default, 1.3. */
	c = tls_conn_open(d, pki.tp_ca, "127.0.0.1");
	assert_int_equal(SSL_version(c->c_ssl), TLS1_3_VERSION);
	cJSON_Delete(rq_ok(c, "{\"op\":\"ping\"}"));
	daemon_stop(d);
}

/* ---- plain text on a TLS listener ---- */

static void
test_plain_client_refused(void **state)
{
	struct tls_pki	 pki;
	struct daemon	*d;
	struct conn	*plain, *c;
	static const char ping[] = "{\"op\":\"ping\"}\n";

	(void)state;
	tls_pki_make(&pki, "one");
	d = tls_daemon(pki.tp_cert, pki.tp_key, NULL);
	plain = conn_open(d);
	send_raw(plain, ping, strlen(ping));
	expect_that(peer_closed(plain, reply_timeout_ms()), NULL,
	    "a plain-text client is closed");
	/* Logged before the socket closed: once, with the reason. */
	assert_int_equal(log_count(d, "event=disconnect"), 1);
	assert_int_equal(log_count(d, "reason=tls_handshake"), 1);
	expect_that(daemon_log_contains(d, "wrong version number"), NULL, "the log says why");
	conn_close(plain);

	/* Still up, and serving TLS. */
	c = tls_login(d, &pki, "K01");
	cJSON_Delete(issue(c, "cash_deposit", 1000, NULL));
	daemon_stop(d);
}

/*
 * Before a handshake a connection can be told nothing: one that says
 * nothing is closed at once when its hello time is up.  After one, the
 * reason is said over TLS, then close_notify.
 */
static void
test_silent_clients(void **state)
{
	struct tls_pki	 pki;
	struct daemon	*d;
	struct conn	*plain, *c;
	cJSON		*r;

	(void)state;
	tls_pki_make(&pki, "one");
	/* Long enough for a handshake under valgrind. */
	d = tls_daemon(pki.tp_cert, pki.tp_key, under_wrapper() ? "\"hello_timeout_s\":5" :
	    "\"hello_timeout_s\":1");
	plain = conn_open(d);
	c = tls_conn_open(d, pki.tp_ca, "127.0.0.1");
	r = read_reply(c, 2 * reply_timeout_ms());
	expect_error(r, "unauthenticated");
	cJSON_Delete(r);
	expect_that(peer_closed(c, reply_timeout_ms()), NULL, "closed after hello_timeout");
	expect_that(SSL_get_shutdown(c->c_ssl) & SSL_RECEIVED_SHUTDOWN, NULL,
	    "with close_notify");
	expect_that(peer_closed(plain, reply_timeout_ms()), NULL,
	    "a client that never starts a handshake is closed too");
	wait_log(d, "reason=hello_timeout", 2);
	daemon_stop(d);
}

/* Past max_connections: closed without the refusal line (it would need a handshake). */
static void
test_over_the_cap(void **state)
{
	struct tls_pki	 pki;
	struct daemon	*d;
	struct conn	*c, *late;
	char		 why[512];

	(void)state;
	tls_pki_make(&pki, "one");
	d = tls_daemon(pki.tp_cert, pki.tp_key, "\"max_connections\":1");
	c = tls_login(d, &pki, "K01");
	late = tls_conn_try(d, pki.tp_ca, "127.0.0.1", 0, why, sizeof why);
	expect_that(late == NULL, NULL, "the connection past the cap is closed");
	/* Logged once the socket is closed: waited for. */
	wait_log(d, "event=conn_refused reason=max_connections limit=1", 1);
	cJSON_Delete(rq_ok(c, "{\"op\":\"ping\"}"));
	daemon_stop(d);
}

/* ---- SIGHUP ---- */

static void
test_sighup_new_certificate(void **state)
{
	struct tls_pki	 one, two;
	struct daemon	*d;
	struct conn	*old, *c;
	char		 cert[PATH_MAX], key[PATH_MAX], why[512];
	cJSON		*t;

	(void)state;
	tls_pki_make(&one, "one");
	tls_pki_make(&two, "two");	/* another CA */
	pki_path(&one, "live-cert.pem", cert, sizeof cert);
	pki_path(&one, "live-key.pem", key, sizeof key);
	copy_file(one.tp_cert, cert);
	copy_file(one.tp_key, key);
	d = tls_daemon(cert, key, NULL);
	old = tls_login(d, &one, "K01");

	copy_file(two.tp_cert, cert);
	copy_file(two.tp_key, key);
	assert_int_equal(kill(d->d_pid, SIGHUP), 0);
	wait_log(d, "event=tls_reload ok", 1);

	/* The open connection keeps its session. */
	t = issue(old, "cash_withdrawal", 100000, NULL);
	cJSON_Delete(t);
	/* A new one is shown the new certificate: the new CA vouches for it, the old does not. */
	c = tls_conn_open(d, two.tp_ca, "127.0.0.1");
	hello(c, "T01");
	c = tls_conn_try(d, one.tp_ca, "127.0.0.1", 0, why, sizeof why);
	expect_that(c == NULL && strstr(why, "certificate") != NULL, NULL,
	    "the old CA no longer vouches for what new connections see: %s",
	    c == NULL ? why : "it connected");
	cJSON_Delete(rq_ok(old, "{\"op\":\"ping\"}"));
	daemon_stop(d);
}

static void
test_sighup_broken_files(void **state)
{
	struct tls_pki	 one, two;
	struct daemon	*d;
	struct conn	*old, *c;
	char		 cert[PATH_MAX], key[PATH_MAX], why[512], want[PATH_MAX + 64];

	(void)state;
	tls_pki_make(&one, "one");
	tls_pki_make(&two, "two");
	pki_path(&one, "live-cert.pem", cert, sizeof cert);
	pki_path(&one, "live-key.pem", key, sizeof key);
	copy_file(one.tp_cert, cert);
	copy_file(one.tp_key, key);
	d = tls_daemon(cert, key, NULL);
	old = tls_login(d, &one, "K01");

	/* A key file that is no key. */
	write_file(key, "-----BEGIN PRIVATE KEY-----\nbroken\n-----END PRIVATE KEY-----\n");
	assert_int_equal(kill(d->d_pid, SIGHUP), 0);
	wait_log(d, "event=tls_reload failed", 1);
	snprintf(want, sizeof want, "--tls-key %s: ", key);
	expect_that(daemon_log_contains(d, want), NULL, "the failure names the file");
	cJSON_Delete(rq_ok(tls_conn_open(d, one.tp_ca, "127.0.0.1"), "{\"op\":\"ping\"}"));

	/* The new certificate with the old key: not a pair. */
	copy_file(two.tp_cert, cert);
	copy_file(one.tp_key, key);
	assert_int_equal(kill(d->d_pid, SIGHUP), 0);
	wait_log(d, "event=tls_reload failed", 2);
	expect_that(daemon_log_contains(d, "not the private key of the certificate"), NULL,
	    "a key of another certificate is told");
	cJSON_Delete(rq_ok(tls_conn_open(d, one.tp_ca, "127.0.0.1"), "{\"op\":\"ping\"}"));

	/* A file gone. */
	unlink(key);
	assert_int_equal(kill(d->d_pid, SIGHUP), 0);
	wait_log(d, "event=tls_reload failed", 3);
	c = tls_conn_try(d, two.tp_ca, "127.0.0.1", 0, why, sizeof why);
	expect_that(c == NULL, NULL, "still the old certificate");

	/* Both right again: the new one. */
	copy_file(two.tp_key, key);
	assert_int_equal(kill(d->d_pid, SIGHUP), 0);
	wait_log(d, "event=tls_reload ok", 1);
	cJSON_Delete(rq_ok(tls_conn_open(d, two.tp_ca, "127.0.0.1"), "{\"op\":\"ping\"}"));
	cJSON_Delete(rq_ok(old, "{\"op\":\"ping\"}"));
	daemon_stop(d);
}

/* ---- start-up ---- */

/* Runs argv (NULL-terminated) with input on stdin (NULL: none) and a deadline;
 * its status, stdout and stderr. */
struct run {
	int	r_status;
	char	r_out[8192];
	char	r_err[8192];
};

static void
run_program(struct run *r, char *const argv[], const char *input)
{
	int		 in[2], out[2], err[2], status, rc;
	size_t		 len[2] = { 0, 0 };
	char		*buf[2] = { r->r_out, r->r_err };
	struct pollfd	 pfd[2];
	int64_t		 deadline = mono_ms() + 2 * reply_timeout_ms() + 5000, left;
	ssize_t		 n;
	pid_t		 pid;

	memset(r, 0, sizeof *r);
	assert_int_equal(pipe(in), 0);
	assert_int_equal(pipe(out), 0);
	assert_int_equal(pipe(err), 0);
	if ((pid = fork()) == -1)
		fail_msg("fork: %s", strerror(errno));
	if (pid == 0) {
		dup2(in[0], STDIN_FILENO);
		dup2(out[1], STDOUT_FILENO);
		dup2(err[1], STDERR_FILENO);
		close(in[1]);
		close(out[0]);
		close(err[0]);
		execv(argv[0], argv);
		fprintf(stderr, "cannot run %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	close(in[0]);
	close(out[1]);
	close(err[1]);
	/* Small enough for the pipe. */
	if (input != NULL)
		assert_int_equal(write(in[1], input, strlen(input)), (ssize_t)strlen(input));
	close(in[1]);
	pfd[0].fd = out[0];
	pfd[1].fd = err[0];
	pfd[0].events = pfd[1].events = POLLIN;
	while (pfd[0].fd != -1 || pfd[1].fd != -1) {
		if ((left = deadline - mono_ms()) <= 0) {
			kill(pid, SIGKILL);
			waitpid(pid, NULL, 0);
			fail_msg("%s did not finish in time; stdout:\n%s\nstderr:\n%s", argv[0],
			    r->r_out, r->r_err);
		}
		rc = poll(pfd, 2, (int)left);
		if (rc == -1 && errno == EINTR)
			continue;
		assert_true(rc >= 0);
		for (int i = 0; i < 2; i++) {
			if (pfd[i].fd == -1 || pfd[i].revents == 0)
				continue;
			n = read(pfd[i].fd, buf[i] + len[i], sizeof r->r_out - 1 - len[i]);
			if (n <= 0) {
				close(pfd[i].fd);
				pfd[i].fd = -1;
			} else
				len[i] += (size_t)n;
		}
	}
	while (waitpid(pid, &status, 0) == -1)
		assert_int_equal(errno, EINTR);
	r->r_status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static int
count_lines(const char *s)
{
	int	n = 0;

	for (; *s != '\0'; s++)
		n += *s == '\n';
	return n;
}

static void
test_startup_errors(void **state)
{
	struct tls_pki	 pki;
	char		 db[PATH_MAX], missing[PATH_MAX], junk[PATH_MAX];
	struct run	 r;
	size_t		 i;

	(void)state;
	tls_pki_make(&pki, "one");
	pki_path(&pki, "branchq.db", db, sizeof db);
	pki_path(&pki, "missing-key.pem", missing, sizeof missing);
	pki_path(&pki, "junk.pem", junk, sizeof junk);
	write_file(junk, "not a certificate\n");
	{
		const char *bin = daemon_binary();
		const struct {
			const char	*flag, *file, *value;	/* what the line must name */
			char *const	 argv[MAX_ARGS];
		} cases[] = {
			{ "--tls-cert", pki.tp_cert, "needs --tls-key", { (char *)bin, "--db", db,
			    "--listen", "127.0.0.1:0", "--tls-cert", pki.tp_cert, NULL } },
			{ "--tls-key", pki.tp_key, "needs --tls-cert", { (char *)bin, "--db", db,
			    "--listen", "127.0.0.1:0", "--tls-key", pki.tp_key, NULL } },
			{ "--tls-key", missing, "No such file", { (char *)bin, "--db", db,
			    "--listen", "127.0.0.1:0", "--tls-cert", pki.tp_cert, "--tls-key",
			    missing, NULL } },
			{ "--tls-cert", junk, "no usable PEM certificate", { (char *)bin, "--db", db,
			    "--listen", "127.0.0.1:0", "--tls-cert", junk, "--tls-key", pki.tp_key,
			    NULL } },
			{ "--tls-key", pki.tp_cert, "no usable PEM private key", { (char *)bin,
			    "--db", db, "--listen", "127.0.0.1:0", "--tls-cert", pki.tp_cert,
			    "--tls-key", pki.tp_cert, NULL } },
		};

		for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
			run_program(&r, cases[i].argv, NULL);
			expect_that(r.r_status == 2, NULL, "case %zu: exit %d, not 2; stderr:\n%s",
			    i, r.r_status, r.r_err);
			expect_that(count_lines(r.r_err) == 1, NULL, "case %zu: one line, not:\n%s",
			    i, r.r_err);
			expect_that(strstr(r.r_err, cases[i].flag) != NULL &&
			    strstr(r.r_err, cases[i].file) != NULL &&
			    strstr(r.r_err, cases[i].value) != NULL, NULL,
			    "case %zu: the line names %s %s (%s): %s", i, cases[i].flag,
			    cases[i].file, cases[i].value, r.r_err);
		}
	}
	expect_that(access(db, F_OK) == -1, NULL, "no database made by a daemon that did not start");
}

/* ---- the client: build/branchq --tls --cafile ---- */

/* build/branchq --connect ADDR --timeout T ARGS... (NULL-terminated). */
static void
run_client(struct run *r, const char *addr, const char *input, ...)
{
	static char	 path[PATH_MAX];
	const char	*build = getenv("BUILD"), *a;
	char		*argv[MAX_ARGS];
	int		 argc = 0;
	va_list		 ap;

	snprintf(path, sizeof path, "%s/branchq", build != NULL && *build ? build : "build");
	argv[argc++] = path;
	argv[argc++] = (char *)"--connect";
	argv[argc++] = (char *)addr;
	argv[argc++] = (char *)"--timeout";
	argv[argc++] = (char *)(under_wrapper() ? "30" : "5");
	va_start(ap, input);
	while ((a = va_arg(ap, const char *)) != NULL && argc < MAX_ARGS - 1)
		argv[argc++] = (char *)a;
	va_end(ap);
	argv[argc] = NULL;
	run_program(r, argv, input);
}

#define expect_run(r, status, where, text) \
	expect_that((r)->r_status == (status) && strstr((r)->where, (text)) != NULL, NULL, \
	    "branchq: exit %d (want %d), %s should hold \"%s\"; stdout:\n%s\nstderr:\n%s", \
	    (r)->r_status, (status), #where, (text), (r)->r_out, (r)->r_err)

static void
test_client_tls(void **state)
{
	struct tls_pki	 pki, other;
	struct daemon	*d, *plain;
	char		 addr[64], byname[64];
	struct run	 r;

	(void)state;
	tls_pki_make(&pki, "one");
	tls_pki_make(&other, "other");
	d = tls_daemon(pki.tp_cert, pki.tp_key, NULL);
	snprintf(addr, sizeof addr, "127.0.0.1:%d", d->d_port);
	snprintf(byname, sizeof byname, "localhost:%d", d->d_port);

	run_client(&r, addr, NULL, "--tls", "--cafile", pki.tp_ca, "ping", NULL);
	expect_run(&r, 0, r_out, "now: ");
	/* By name (the certificate's DNS name), signed in, a change made. */
	run_client(&r, byname, NULL, "--tls", "--cafile", pki.tp_ca, "--terminal", "K01",
	    "--token", "tok-K01", "ticket.issue", "service=cash_deposit", "amount_fen=1000", NULL);
	expect_run(&r, 0, r_out, "issued_at: ");
	/* The shell: replies and events as they come, over TLS. */
	run_client(&r, addr, "subscribe topics:='[\"queue\"]'\nqueue.snapshot\nquit\n", "--tls",
	    "--cafile", pki.tp_ca, "--terminal", "T01", "--token", "tok-T01", "shell", NULL);
	expect_run(&r, 0, r_out, "OPEN WINDOWS");

	/* Not trusted: another CA, the system's CAs (which never signed the test's). */
	run_client(&r, addr, NULL, "--tls", "--cafile", other.tp_ca, "ping", NULL);
	expect_run(&r, 2, r_err, "its certificate is not trusted: unable to get local issuer");
	run_client(&r, addr, NULL, "--tls", "ping", NULL);
	expect_run(&r, 2, r_err, "the system's CAs");
	/* --cafile alone would send plain text where TLS was meant: refused. */
	run_client(&r, addr, NULL, "--cafile", pki.tp_ca, "ping", NULL);
	expect_run(&r, 2, r_err, "--cafile needs --tls");
	run_client(&r, addr, NULL, "--tls", "--cafile", pki.tp_key, "ping", NULL);
	expect_run(&r, 2, r_err, "no CA certificate");
	expect_that(count_lines(r.r_err) == 1, NULL, "one line: %s", r.r_err);

	/* --tls to a daemon without TLS. */
	plain = daemon_start(NULL);
	snprintf(addr, sizeof addr, "127.0.0.1:%d", plain->d_port);
	run_client(&r, addr, NULL, "--tls", "--cafile", pki.tp_ca, "ping", NULL);
	expect_run(&r, 2, r_err, "TLS");
	daemon_stop(plain);
	daemon_stop(d);
}

/* ---- HTTP over TLS ---- */

struct http_reply {
	CURLcode	 hp_rc;
	long		 hp_status;	/* 0: no HTTP response at all */
	char		 hp_body[4096];
	size_t		 hp_len;
	char		 hp_cookie[512];	/* the Set-Cookie line, if any */
	char		 hp_error[CURL_ERROR_SIZE];
};

static size_t
http_body(char *data, size_t size, size_t n, void *arg)
{
	struct http_reply	*hp = arg;
	size_t			 len = size * n, room = sizeof hp->hp_body - 1 - hp->hp_len;

	memcpy(hp->hp_body + hp->hp_len, data, len < room ? len : room);
	hp->hp_len += len < room ? len : room;
	hp->hp_body[hp->hp_len] = '\0';
	return len;
}

static size_t
http_header(char *data, size_t size, size_t n, void *arg)
{
	struct http_reply	*hp = arg;
	size_t			 len = size * n;

	if (len > 11 && strncasecmp(data, "Set-Cookie:", 11) == 0)
		snprintf(hp->hp_cookie, sizeof hp->hp_cookie, "%.*s", (int)len, data);
	return len;
}

/* One request with libcurl, trusting cafile (NULL: curl's defaults); a JSON body is POSTed. */
static void
http_request(struct http_reply *hp, const char *url, const char *cafile, const char *json)
{
	CURL			*h = curl_easy_init();
	struct curl_slist	*headers = NULL;

	memset(hp, 0, sizeof *hp);
	assert_non_null(h);
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)reply_timeout_ms());
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, http_body);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, hp);
	curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, http_header);
	curl_easy_setopt(h, CURLOPT_HEADERDATA, hp);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, hp->hp_error);
	if (cafile != NULL)
		curl_easy_setopt(h, CURLOPT_CAINFO, cafile);
	if (json != NULL) {
		headers = curl_slist_append(headers, "Content-Type: application/json");
		curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, json);
	}
	hp->hp_rc = curl_easy_perform(h);
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &hp->hp_status);
	curl_slist_free_all(headers);
	curl_easy_cleanup(h);
}

static void
test_https(void **state)
{
	struct tls_pki		 one, two;
	struct daemon		*d;
	struct http_reply	 hp;
	char			 cert[PATH_MAX], key[PATH_MAX], url[160];

	(void)state;
	tls_pki_make(&one, "one");
	tls_pki_make(&two, "two");
	pki_path(&one, "live-cert.pem", cert, sizeof cert);
	pki_path(&one, "live-key.pem", key, sizeof key);
	copy_file(one.tp_cert, cert);
	copy_file(one.tp_key, key);
	d = tls_daemon(cert, key, NULL);
	expect_that(d->d_http_port > 0 && strncmp(d->d_http_url, "https://", 8) == 0, NULL,
	    "the start line names an https URL: \"%s\"", d->d_http_url);

	/* GET /healthz, the certificate checked against the CA and the address. */
	snprintf(url, sizeof url, "https://127.0.0.1:%d/healthz", d->d_http_port);
	http_request(&hp, url, one.tp_ca, NULL);
	expect_that(hp.hp_rc == CURLE_OK && hp.hp_status == 200 &&
	    strstr(hp.hp_body, "\"ok\":true") != NULL, NULL, "GET %s: curl %d (%s), status %ld, "
	    "body %s", url, hp.hp_rc, hp.hp_error, hp.hp_status, hp.hp_body);
	/* And by name. */
	snprintf(url, sizeof url, "https://localhost:%d/healthz", d->d_http_port);
	http_request(&hp, url, one.tp_ca, NULL);
	expect_that(hp.hp_rc == CURLE_OK && hp.hp_status == 200, NULL, "GET %s: curl %d (%s), "
	    "status %ld", url, hp.hp_rc, hp.hp_error, hp.hp_status);
	/* Another CA does not vouch for it. */
	http_request(&hp, url, two.tp_ca, NULL);
	expect_that(hp.hp_rc == CURLE_PEER_FAILED_VERIFICATION, NULL,
	    "untrusted: curl %d (%s)", hp.hp_rc, hp.hp_error);

	/* Signed in over https, the cookie is Secure. */
	snprintf(url, sizeof url, "https://127.0.0.1:%d/api/v1/session", d->d_http_port);
	http_request(&hp, url, one.tp_ca, "{\"terminal\":\"K01\",\"token\":\"tok-K01\"}");
	expect_that(hp.hp_status == 200 && strstr(hp.hp_cookie, "bq_session=") != NULL &&
	    strstr(hp.hp_cookie, "; Secure") != NULL, NULL, "status %ld, cookie: %s",
	    hp.hp_status, hp.hp_cookie);

	/* Plain http to the TLS listener: no answer, the connection closed, logged. */
	snprintf(url, sizeof url, "http://127.0.0.1:%d/healthz", d->d_http_port);
	http_request(&hp, url, NULL, NULL);
	expect_that(hp.hp_rc != CURLE_OK && hp.hp_status == 0, NULL,
	    "plain http gets no response: curl %d (%s), status %ld", hp.hp_rc, hp.hp_error,
	    hp.hp_status);
	wait_log(d, "reason=tls_handshake error=\"http request\"", 1);

	/* SIGHUP: the HTTP listener shows the new certificate too. */
	copy_file(two.tp_cert, cert);
	copy_file(two.tp_key, key);
	assert_int_equal(kill(d->d_pid, SIGHUP), 0);
	wait_log(d, "event=tls_reload ok", 1);
	snprintf(url, sizeof url, "https://127.0.0.1:%d/healthz", d->d_http_port);
	http_request(&hp, url, two.tp_ca, NULL);
	expect_that(hp.hp_rc == CURLE_OK && hp.hp_status == 200, NULL, "after SIGHUP: curl %d "
	    "(%s), status %ld", hp.hp_rc, hp.hp_error, hp.hp_status);
	http_request(&hp, url, one.tp_ca, NULL);
	expect_that(hp.hp_rc == CURLE_PEER_FAILED_VERIFICATION, NULL,
	    "the old CA no longer: curl %d (%s)", hp.hp_rc, hp.hp_error);
	daemon_stop(d);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_requests_events_reports, harness_teardown),
		cmocka_unit_test_teardown(test_large_input, harness_teardown),
		cmocka_unit_test_teardown(test_certificate_verified, harness_teardown),
		cmocka_unit_test_teardown(test_old_versions_refused, harness_teardown),
		cmocka_unit_test_teardown(test_plain_client_refused, harness_teardown),
		cmocka_unit_test_teardown(test_silent_clients, harness_teardown),
		cmocka_unit_test_teardown(test_over_the_cap, harness_teardown),
		cmocka_unit_test_teardown(test_sighup_new_certificate, harness_teardown),
		cmocka_unit_test_teardown(test_sighup_broken_files, harness_teardown),
		cmocka_unit_test_teardown(test_startup_errors, harness_teardown),
		cmocka_unit_test_teardown(test_client_tls, harness_teardown),
		cmocka_unit_test_teardown(test_https, harness_teardown),
	};

	return cmocka_run_group_tests_name("e2e_tls", tests, NULL, NULL);
}
