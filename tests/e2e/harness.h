/*
 * End-to-end test harness for branchqd: starts the real daemon on a free
 * loopback port with a fresh database in a temporary directory, speaks the
 * line protocol to it, and checks replies with failure messages that show
 * the request and the reply.
 *
 * Environment:
 *   BUILD             where branchqd is (default "build")
 *   BRANCHQD_WRAPPER  a command the daemon runs under, split on spaces
 *                     (e.g. "valgrind -q --error-exitcode=99"); timeouts grow
 *   KEEP_E2E_DIRS     keep the temporary directories (for a post-mortem)
 *
 * The configuration the harness writes has these terminals, each with the
 * token "tok-<id>" (stored as token_sha256):
 *   K01 kiosk, D01 display, T01 teller E1001, T02 teller E1002,
 *   L01 lobby E2001, S01 supervisor E9001.
 *
 * Every daemon and connection is tracked: harness_teardown(), the cmocka
 * teardown of every test, closes them all, kills what still runs and
 * removes the temporary directories, also after a failed check.
 *
 * Replies returned by rq(), rq_ok(), read_reply(), issue(), ticket_status()
 * and events returned by next_event() belong to the caller
 * (cJSON_Delete).  The check functions print the last request and the
 * object they looked at, then fail the running test.
 */
#ifndef HARNESS_H
#define HARNESS_H

#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <cmocka.h>
#include <cJSON.h>

/* The test clock starts on Monday 2026-11-23 at 09:00 in Asia/Shanghai. */
#define H_CLOCK_START	"2026-11-23T01:00:00Z"
/* Seconds from H_CLOCK_START to local midnight (2026-11-23T16:00:00Z). */
#define H_TO_DAY_END	(15 * 3600)

/* ---- the daemon ---- */

struct daemon_opts {
	const char	*clock_start;	/* --test-clock-start; default H_CLOCK_START */
	bool		 no_config;	/* no --config: the built-in demo configuration */
	bool		 no_test_clock;	/* the real clock, without --test-clock */
	bool		 no_port_fallback; /* never pick a port for a daemon refusing port 0 */
	const char	*extra_config;	/* JSON members added to the config: "\"max_recalls\":1" */
	int		 wal_pages;	/* --wal-pages; 0: the daemon's default */
	/* --http: NULL for a free loopback port ("127.0.0.1:0"), "off" for none. */
	const char	*http;
	/* --tls-cert and --tls-key (e.g. a tls_pki_make()'s); NULL: plain text. */
	const char	*tls_cert, *tls_key;
};

struct daemon {
	pid_t		 d_pid;		/* 0 when not running */
	int		 d_port;
	char		 d_dir[64];	/* temporary directory, the daemon's cwd */
	char		 d_db[256];
	char		 d_config[256];
	char		 d_log[256];	/* stdout and stderr of every run */
	char		 d_clock_start[64];
	bool		 d_no_config;
	bool		 d_no_test_clock;
	bool		 d_no_port_fallback;
	char		*d_extra_config;
	char		 d_wal_pages[16];	/* "" or --wal-pages's value */
	char		 d_http[64];	/* --http's value */
	int		 d_http_port;	/* 0: no HTTP listener */
	char		 d_http_url[96];	/* "http://127.0.0.1:PORT/" (https under TLS), or "" */
	char		 d_tls_cert[256];	/* --tls-cert's value, or "" */
	char		 d_tls_key[256];	/* --tls-key's value, or "" */
	struct daemon	*d_next;	/* every daemon the harness started */
};

/* The absolute path of the daemon the tests run, build/branchqd-test ($BUILD/branchqd-test). */
#define daemon_binary()		h_daemon_binary(__FILE__, __LINE__)
const char	*h_daemon_binary(const char *, int);
/*
 * A copy of daemon_binary() that any user can run, for a test that starts
 * the daemon as another user (nobody): the checkout may be in a directory
 * only its owner can enter (a CI runner's `mktemp -d`, mode 0700).  The
 * copy is in a directory of its own, /tmp/bq-bin-XXXXXX (mode 0711); it is
 * removed by harness_teardown() and at exit.
 */
#define daemon_binary_for_anyone() h_daemon_binary_for_anyone(__FILE__, __LINE__)
const char	*h_daemon_binary_for_anyone(const char *, int);

/* Starts branchqd (NULL opts: the defaults) and waits for "listening on 127.0.0.1:PORT". */
#define daemon_start(opts)	h_daemon_start(__FILE__, __LINE__, (opts))
/* SIGTERM, wait, and check the exit status is 0. */
#define daemon_stop(d)		h_daemon_stop(__FILE__, __LINE__, (d))
/* Starts it again on the same database and config, after a stop or a kill. */
#define daemon_restart(d)	h_daemon_restart(__FILE__, __LINE__, (d), NULL)
/* The same with another --test-clock-start. */
#define daemon_restart_at(d, start) h_daemon_restart(__FILE__, __LINE__, (d), (start))

struct daemon	*h_daemon_start(const char *, int, const struct daemon_opts *);
void		 h_daemon_stop(const char *, int, struct daemon *);
void		 h_daemon_restart(const char *, int, struct daemon *, const char *start);
/* SIGKILL and wait (a crash). */
void		 daemon_kill(struct daemon *);
/* Kills it if it runs and removes its directory. */
void		 daemon_free(struct daemon *);
/* Prints the daemon's output (the end of it when long). */
void		 daemon_print_log(struct daemon *);
bool		 daemon_log_contains(struct daemon *, const char *);
/* A ticket's status straight from the database file, or NULL.  Caller frees. */
char		*db_ticket_status(struct daemon *, const char *date, const char *number);
/* Any column of a ticket's row as text, or NULL (none, or SQL NULL).  Caller frees. */
char		*db_ticket_column(struct daemon *, const char *date, const char *number,
		    const char *column);
/* Whether the daemon refused --listen 127.0.0.1:0 (the harness then picks ports). */
bool		 harness_port0_refused(void);
/* The cmocka teardown of every test. */
int		 harness_teardown(void **state);
/* BRANCHQD_WRAPPER is set. */
bool		 under_wrapper(void);
/* How long to wait for a reply, in milliseconds. */
int		 reply_timeout_ms(void);

/* ---- connections ---- */

struct conn {
	int		 c_fd;
	struct daemon	*c_daemon;	/* NULL once the daemon is freed */
	char		 c_name[16];	/* the terminal after hello, for messages */
	char		*c_buf;		/* bytes read, not yet taken as lines */
	size_t		 c_len, c_cap;
	bool		 c_eof;
	cJSON		**c_events;	/* events met while reading replies */
	size_t		 c_nevents, c_capevents;
	struct ssl_st	*c_ssl;		/* TLS (tls_conn_open()), else NULL */
	struct conn	*c_next;
};

#define conn_open(d)		h_conn_open(__FILE__, __LINE__, (d))
/* conn_open() and hello with the terminal's harness token. */
#define login(d, term)		h_login(__FILE__, __LINE__, (d), (term))
#define hello(c, term)		h_hello(__FILE__, __LINE__, (c), (term), NULL)
#define hello_token(c, term, tok) h_hello(__FILE__, __LINE__, (c), (term), (tok))
/* Sends bytes as they are. */
#define send_raw(c, buf, len)	h_send_raw(__FILE__, __LINE__, (c), (buf), (len))

struct conn	*h_conn_open(const char *, int, struct daemon *);
struct conn	*h_login(const char *, int, struct daemon *, const char *terminal);
void		 h_hello(const char *, int, struct conn *, const char *terminal,
		    const char *token);
void		 h_send_raw(const char *, int, struct conn *, const void *, size_t);
void		 conn_close(struct conn *);

/*
 * rq(c, fmt, ...): sends one request line (printf-style; the newline is
 * added) and returns its reply; events that arrive first are kept for
 * next_event().  No reply within reply_timeout_ms() fails the test.
 * rq_ok() also checks "ok":true; rq_err() checks the error code and frees
 * the reply; rq_bad() checks bad_request naming the field and frees it.
 */
#define rq(c, ...)		h_rq(__FILE__, __LINE__, (c), __VA_ARGS__)
#define rq_ok(c, ...)		h_rq_ok(__FILE__, __LINE__, (c), __VA_ARGS__)
#define rq_err(c, code, ...)	h_rq_err(__FILE__, __LINE__, (c), (code), __VA_ARGS__)
#define rq_bad(c, field, ...)	h_rq_bad(__FILE__, __LINE__, (c), (field), __VA_ARGS__)

cJSON	*h_rq(const char *, int, struct conn *, const char *fmt, ...)
	    __attribute__((format(printf, 4, 5)));
cJSON	*h_rq_ok(const char *, int, struct conn *, const char *fmt, ...)
	    __attribute__((format(printf, 4, 5)));
void	 h_rq_err(const char *, int, struct conn *, const char *code, const char *fmt, ...)
	    __attribute__((format(printf, 5, 6)));
void	 h_rq_bad(const char *, int, struct conn *, const char *field, const char *fmt, ...)
	    __attribute__((format(printf, 5, 6)));

/* The next reply line (events are kept), or NULL on timeout or end of stream. */
cJSON	*read_reply(struct conn *, int timeout_ms);
/* The next event, or NULL when none arrives in time. */
cJSON	*next_event(struct conn *, int timeout_ms);
/* The next event of that name, dropping others, or NULL. */
cJSON	*next_event_named(struct conn *, const char *name, int timeout_ms);
/* Drops events until none arrives for quiet_ms. */
void	 drain_events(struct conn *, int quiet_ms);
/* Whether the daemon closes the connection within the time (data is dropped). */
bool	 peer_closed(struct conn *, int timeout_ms);

/* ---- TLS ---- */

/*
 * A throwaway CA and a server certificate it signed, made with the openssl
 * command line in a directory of the harness's (removed by
 * harness_teardown()): subjectAltName IP:127.0.0.1 and DNS:localhost,
 * P-256 keys, valid from now for two days.  The paths are those of NAME-ca.pem,
 * NAME-cert.pem and NAME-key.pem; the same name again makes new ones.
 */
struct tls_pki {
	char	tp_ca[PATH_MAX];	/* the CA's certificate: what clients trust */
	char	tp_cert[PATH_MAX];	/* the server's certificate */
	char	tp_key[PATH_MAX];	/* and its private key */
};
#define tls_pki_make(pki, name)	h_tls_pki_make(__FILE__, __LINE__, (pki), (name))
void	h_tls_pki_make(const char *, int, struct tls_pki *, const char *name);

/*
 * A TLS connection to the daemon's line protocol, its certificate verified
 * against cafile and host (an IP address or a name, as a client would
 * connect); rq(), hello(), peer_closed() and the rest work on it as on
 * conn_open()'s.  A handshake that fails fails the test.
 */
#define tls_conn_open(d, cafile, host) h_tls_conn_open(__FILE__, __LINE__, (d), (cafile), (host))
struct conn	*h_tls_conn_open(const char *, int, struct daemon *, const char *cafile,
		    const char *host);
/*
 * The same, but a failed handshake is NULL with OpenSSL's reason (and the
 * verification's, if that failed) in why.  max_version: 0, or the highest
 * protocol to offer (TLS1_1_VERSION: an old client, offering TLS 1.0 and 1.1).
 */
struct conn	*tls_conn_try(struct daemon *, const char *cafile, const char *host,
		    int max_version, char *why, size_t whylen);

/* ---- domain shortcuts ---- */

/* ticket.issue (amount_fen <= 0: none; flags: a JSON object text or NULL);
 * checks ok and returns the detached ticket. */
#define issue(c, service, amount, flags) \
	h_issue(__FILE__, __LINE__, (c), (service), (amount), (flags))
/* clock.advance, checked. */
#define advance(c, seconds)	h_advance(__FILE__, __LINE__, (c), (seconds))
/* ticket.status, checked; returns the detached ticket. */
#define ticket_status(c, number) h_ticket_status(__FILE__, __LINE__, (c), (number))

cJSON	*h_issue(const char *, int, struct conn *, const char *service, long long amount_fen,
	    const char *flags);
void	 h_advance(const char *, int, struct conn *, long long seconds);
cJSON	*h_ticket_status(const char *, int, struct conn *, const char *number);

/* ---- JSON ---- */

/* The item at a dotted path ("ticket.number", "windows.0.lanes"), or NULL. */
const cJSON	*jget(const cJSON *, const char *path);
/* The string at a path, or NULL. */
const char	*jstr(const cJSON *, const char *path);
/* The number at a path, or -999999. */
long long	 jint(const cJSON *, const char *path);
/* Unformatted JSON text ("(nothing)" for NULL).  Caller frees. */
char		*jprint(const cJSON *);

/* ---- checks ---- */

#define expect_ok(r)			h_expect_ok(__FILE__, __LINE__, (r))
#define expect_error(r, code)		h_expect_error(__FILE__, __LINE__, (r), (code))
/* bad_request whose message names the field (NULL: any field). */
#define expect_bad_request(r, field)	h_expect_bad_request(__FILE__, __LINE__, (r), (field))
#define expect_str(o, path, want)	h_expect_str(__FILE__, __LINE__, (o), (path), (want))
#define expect_int(o, path, want)	h_expect_int(__FILE__, __LINE__, (o), (path), (want))
#define expect_bool(o, path, want)	h_expect_bool(__FILE__, __LINE__, (o), (path), (want))
#define expect_null(o, path)		h_expect_null(__FILE__, __LINE__, (o), (path))
#define expect_present(o, path)		h_expect_present(__FILE__, __LINE__, (o), (path))
/* Fails with the message (printf-style) unless cond; shows o (may be NULL). */
#define expect_that(cond, o, ...)	h_expect_that(__FILE__, __LINE__, (cond), (o), __VA_ARGS__)

void	h_expect_ok(const char *, int, const cJSON *);
void	h_expect_error(const char *, int, const cJSON *, const char *code);
void	h_expect_bad_request(const char *, int, const cJSON *, const char *field);
void	h_expect_str(const char *, int, const cJSON *, const char *path, const char *want);
void	h_expect_int(const char *, int, const cJSON *, const char *path, long long want);
void	h_expect_bool(const char *, int, const cJSON *, const char *path, bool want);
void	h_expect_null(const char *, int, const cJSON *, const char *path);
void	h_expect_present(const char *, int, const cJSON *, const char *path);
void	h_expect_that(const char *, int, bool cond, const cJSON *, const char *fmt, ...)
	    __attribute__((format(printf, 5, 6)));

#endif /* HARNESS_H */
