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
	/* K01's "printer" ("127.0.0.1:PORT"); NULL: none. */
	const char	*kiosk_printer;
	/* More arguments after the harness's own, NULL-terminated (at most 8):
	 * { "--backup-dir", dir, NULL }. */
	const char	*extra_args[9];
	/* "NAME=VALUE" added to the daemon's environment, NULL-terminated
	 * (at most 4): { "NOTIFY_SOCKET=/tmp/x", NULL }. */
	const char	*env[5];
	/* A database to start on instead of a fresh one: a file of SQL (a
	 * sqlite3 .dump, as tests/upgrade/schema-NNN.sql) run into the daemon's
	 * db before its first start. */
	const char	*db_from_sql;
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
	char		 d_kiosk_printer[64];	/* K01's "printer", or "" */
	char		*d_extra_args[9];	/* daemon_opts.extra_args, copied */
	char		*d_env[5];		/* daemon_opts.env, copied */
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
/* SQL run into a stopped daemon's database file, checked. */
void		 db_exec(struct daemon *, const char *sql);
/* A query's first value, read from the daemon's database file; caller frees. */
char		*db_value(struct daemon *, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
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

/* ---- HTTP ---- */
/*
 * HTTP/1.1 to the daemon's --http listener (d_http_port), over plain
 * sockets so that every byte on the wire is the test's: http_rq() sends one
 * request on a new connection and reads one response (framed by
 * Content-Length, chunked, or the end of the connection); hraw_*() send
 * exact bytes; sse_*() read an event stream.  Responses, clients, raw
 * connections, streams and hfmt() strings belong to the harness:
 * harness_teardown() frees them (hresp_free() and the *_close() functions
 * free earlier).  The checks print the request as sent and the response as
 * received (status line, headers, body).
 */

/* A header a request must not carry (.host = H_NONE: no Host at all). */
extern const char	h_none[];
#define H_NONE		h_none

/* One browser: the bq_session cookie it was given, sent back with each request. */
struct hclient {
	struct daemon	*hc_daemon;
	char		 hc_cookie[192];	/* "bq_session=…", or "" */
	char		 hc_name[16];	/* the terminal it signed in as, for messages */
	struct hclient	*hc_next;
};

/* What a request carries besides its method and path (all optional). */
struct hopts {
	int		 o_unused;	/* lets the options be empty */
	const char	*body;		/* sent with Content-Length; NULL: none */
	size_t		 body_len;	/* 0: strlen(body) */
	const char	*type;		/* Content-Type; default application/json with a body; H_NONE */
	const char	*bearer;	/* a terminal: "Authorization: Bearer T01:tok-T01" */
	const char	*auth;		/* a whole Authorization value of one's own */
	struct hclient	*client;	/* its cookie; Origin on POST/DELETE; keeps Set-Cookie */
	const char	*cookie;	/* a Cookie value of one's own (instead of the client's) */
	const char	*origin;	/* Origin (instead of the client's); H_NONE: none */
	const char	*host;		/* Host; default "127.0.0.1:PORT"; H_NONE: none */
	const char	*headers;	/* more header lines, each ending in "\r\n" */
	int		 rcvbuf;	/* SO_RCVBUF of the socket (0: the system's) */
};

struct hresp {
	long		 hr_status;	/* from the status line */
	char		*hr_head;	/* the status line and headers as received */
	char		**hr_names, **hr_values;	/* the headers, in order */
	size_t		 hr_nheaders;
	char		*hr_body;	/* NUL-terminated; hr_body_len bytes */
	size_t		 hr_body_len;
	cJSON		*hr_json;	/* the body parsed, when it parses as JSON */
	char		*hr_request;	/* what was sent (a long body cut), for messages */
	bool		 hr_chunked;	/* Transfer-Encoding: chunked */
	bool		 hr_until_close;	/* framed by the end of the connection */
	struct hresp	*hr_next;
};

/* A connection to the HTTP listener, bytes in and out as they are. */
struct hraw {
	int		 hw_fd;
	struct daemon	*hw_daemon;
	char		*hw_buf;	/* bytes read, not yet taken */
	size_t		 hw_len, hw_cap;
	bool		 hw_eof;	/* the daemon closed it (or reset it) */
	char		*hw_sent;	/* what was sent since the last response read, for messages */
	size_t		 hw_sent_len;	/* (all of it counted, the first 2 KiB kept) */
	struct hraw	*hw_next;
};

/*
 * http_rq(d, "POST", "/api/v1/op/ticket.issue", .bearer = "K01",
 * .body = "{\"service\":\"loan\"}"): one request on a new connection, its
 * response (no response within reply_timeout_ms() fails the test).
 */
#define http_rq(d, method, path, ...) \
	h_http_rq(__FILE__, __LINE__, (d), (method), (path), \
	    &(const struct hopts){ .o_unused = 0, __VA_ARGS__ })
struct hresp	*h_http_rq(const char *, int, struct daemon *, const char *method,
		    const char *path, const struct hopts *);
/* POST /api/v1/op/OP as terminal `who` with a bearer (NULL: no credentials), body printf-style. */
#define http_op(d, who, op, ...)	h_http_op(__FILE__, __LINE__, (d), (who), NULL, (op), __VA_ARGS__)
/* The same with a client's cookie (and the Origin a browser sends). */
#define hc_op(b, op, ...)		h_http_op(__FILE__, __LINE__, NULL, NULL, (b), (op), __VA_ARGS__)
struct hresp	*h_http_op(const char *, int, struct daemon *, const char *who, struct hclient *,
		    const char *op, const char *fmt, ...) __attribute__((format(printf, 7, 8)));
/* A printf-style string that lives until the test's teardown. */
const char	*hfmt(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* The value of the first header of that name (any case), or NULL. */
const char	*hresp_header(const struct hresp *, const char *name);
/* How many headers of that name the response has. */
size_t		 hresp_header_count(const struct hresp *, const char *name);
/* The n-th (from 0) header of that name, or NULL. */
const char	*hresp_header_n(const struct hresp *, const char *name, size_t n);
void		 hresp_free(struct hresp *);
/* Prints the request and the response (for a test's own failure messages). */
void		 hresp_print(const struct hresp *);

/* A browser with no cookie yet. */
#define hclient_new(d)		h_hclient_new(__FILE__, __LINE__, (d))
/* POST /api/v1/session with the harness token, checked (200, cookie); a new client. */
#define http_login(d, term)	h_http_login(__FILE__, __LINE__, (d), (term))
struct hclient	*h_hclient_new(const char *, int, struct daemon *);
struct hclient	*h_http_login(const char *, int, struct daemon *, const char *terminal);

/* Raw connections. */
#define hraw_open(d)		h_hraw_open(__FILE__, __LINE__, (d), 0)
#define hraw_open_rcvbuf(d, n)	h_hraw_open(__FILE__, __LINE__, (d), (n))
struct hraw	*h_hraw_open(const char *, int, struct daemon *, int rcvbuf);
/* Sends bytes as they are; false when the daemon has closed the connection. */
bool		 hraw_send(struct hraw *, const void *, size_t);
bool		 hraw_sendf(struct hraw *, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Sends a request as http_rq() would write it, on this connection. */
#define hraw_request(h, method, path, ...) \
	h_hraw_request(__FILE__, __LINE__, (h), (method), (path), \
	    &(const struct hopts){ .o_unused = 0, __VA_ARGS__ })
void		 h_hraw_request(const char *, int, struct hraw *, const char *method,
		    const char *path, const struct hopts *);
/*
 * The next whole response (to a request of that method: HEAD's has no
 * body), or NULL when none is complete within the time (the connection
 * closed or silent).  A malformed response fails the test.
 */
#define hraw_response(h, method, ms)	h_hraw_response(__FILE__, __LINE__, (h), (method), (ms))
struct hresp	*h_hraw_response(const char *, int, struct hraw *, const char *method, int ms);
/* Whether the daemon closes it within the time; what arrives meanwhile is kept in hw_buf. */
bool		 hraw_closed(struct hraw *, int timeout_ms);
/* Whether bytes are waiting within the time (without taking them). */
bool		 hraw_readable(struct hraw *, int timeout_ms);
void		 hraw_close(struct hraw *);

/* Live events: GET PATH (e.g. "/api/v1/events?topics=calls") read as text/event-stream. */
struct sse_event {
	char		*se_id;		/* "id:", or NULL when the event had none */
	char		*se_name;	/* "event:", or NULL */
	char		*se_data;	/* the "data:" lines joined with "\n", or "" */
	cJSON		*se_json;	/* se_data parsed, or NULL */
	struct sse_event *se_next;
};

struct sse {
	struct hraw	*ss_raw;
	struct hresp	*ss_resp;	/* status and headers; the body too when not 200 */
	bool		 ss_chunked;
	char		*ss_text;	/* stream text decoded, not yet parsed */
	size_t		 ss_len, ss_cap;
	size_t		 ss_chunk_left;	/* of the current chunk, when chunked */
	int		 ss_chunk_state;	/* where the chunk decoder is */
	int		 ss_comments;	/* comment lines (":…") read so far */
	int		 ss_comments_taken;	/* of those, the ones sse_wait_comment() reported */
	size_t		 ss_bytes;	/* stream bytes decoded so far */
	/* the event being read */
	char		*ss_id, *ss_name, *ss_data;
	/* The last id the stream set, as a browser's lastEventId: also by a
	 * block without data, which is no event (the HTML standard). */
	long long	 ss_last_id;
	struct sse_event *ss_queue;	/* events read while waiting for a comment */
	struct sse	*ss_next;
};

/*
 * sse_open(d, "/api/v1/events?topics=calls", .bearer = "D01",
 * .headers = "Last-Event-ID: 7\r\n"): sends the request and reads the
 * response's head (the whole response when it is not 200).  No head in
 * time fails the test.
 */
#define sse_open(d, path, ...) \
	h_sse_open(__FILE__, __LINE__, (d), (path), \
	    &(const struct hopts){ .o_unused = 0, __VA_ARGS__ })
struct sse	*h_sse_open(const char *, int, struct daemon *, const char *path,
		    const struct hopts *);
/* The next event, or NULL when none comes within the time or the stream ends. */
struct sse_event *sse_next(struct sse *, int timeout_ms);
/* Whether a comment line not reported yet is there or arrives within the time
 * (events meanwhile are kept). */
bool		 sse_wait_comment(struct sse *, int timeout_ms);
/* Whether the daemon ends the stream within the time (events meanwhile are dropped). */
bool		 sse_closed(struct sse *, int timeout_ms);
void		 sse_close(struct sse *);
/*
 * The next event, checked: its "event:" is name, its data a JSON object
 * whose "event" is name too, and its "id:" (when it has one) the data's
 * "seq".  Returns it (the harness frees it).
 */
#define sse_expect(s, name)	h_sse_expect(__FILE__, __LINE__, (s), (name))
struct sse_event *h_sse_expect(const char *, int, struct sse *, const char *name);

/* ---- HTTP checks ---- */
#define expect_http_status(r, status)	h_expect_http_status(__FILE__, __LINE__, (r), (status))
/* 200, application/json, "ok":true. */
#define expect_http_ok(r)		h_expect_http_ok(__FILE__, __LINE__, (r))
/* That status, application/json, {"ok":false,"error":{"code","message"[,"detail"]}}. */
#define expect_http_error(r, status, code) \
	h_expect_http_error(__FILE__, __LINE__, (r), (status), (code))
/* 400 bad_request whose message names the field. */
#define expect_http_bad_request(r, field) \
	h_expect_http_bad_request(__FILE__, __LINE__, (r), (field))
/* The header is there and its value is want (exactly). */
#define expect_header(r, name, want)	h_expect_header(__FILE__, __LINE__, (r), (name), (want), false)
/* The header is there and its value contains part (any case). */
#define expect_header_has(r, name, part) h_expect_header(__FILE__, __LINE__, (r), (name), (part), true)
#define expect_no_header(r, name)	h_expect_no_header(__FILE__, __LINE__, (r), (name))
/* Content-Security-Policy (default-src 'self', frame-ancestors 'none'),
 * X-Content-Type-Options: nosniff, Referrer-Policy: no-referrer. */
#define expect_security_headers(r)	h_expect_security_headers(__FILE__, __LINE__, (r))
/* Fails with the message unless cond, showing the request and the response. */
#define expect_http(cond, r, ...)	h_expect_http(__FILE__, __LINE__, (cond), (r), __VA_ARGS__)

void	h_expect_http_status(const char *, int, const struct hresp *, long status);
void	h_expect_http_ok(const char *, int, const struct hresp *);
void	h_expect_http_error(const char *, int, const struct hresp *, long status, const char *code);
void	h_expect_http_bad_request(const char *, int, const struct hresp *, const char *field);
void	h_expect_header(const char *, int, const struct hresp *, const char *name,
	    const char *want, bool part);
void	h_expect_no_header(const char *, int, const struct hresp *, const char *name);
void	h_expect_security_headers(const char *, int, const struct hresp *);
void	h_expect_http(const char *, int, bool cond, const struct hresp *, const char *fmt, ...)
	    __attribute__((format(printf, 5, 6)));

/* ---- the configuration, edited between runs (HTTP sessions' revocation) ---- */
/* The terminal's token becomes this (its token_sha256 in the config file). */
#define config_set_token(d, term, token) h_config_set_token(__FILE__, __LINE__, (d), (term), (token))
/* The terminal is taken out of the config file. */
#define config_remove_terminal(d, term) h_config_remove_terminal(__FILE__, __LINE__, (d), (term))
void	h_config_set_token(const char *, int, struct daemon *, const char *terminal,
	    const char *token);
void	h_config_remove_terminal(const char *, int, struct daemon *, const char *terminal);
/* The file written again as at the start, with these members added (NULL: none). */
#define config_rewrite(d, extra) h_config_rewrite(__FILE__, __LINE__, (d), (extra))
void	h_config_rewrite(const char *, int, struct daemon *, const char *extra_config);
/* The file is this text, whatever it is. */
#define config_write_text(d, text) h_config_write_text(__FILE__, __LINE__, (d), (text))
void	h_config_write_text(const char *, int, struct daemon *, const char *text);
/* SIGHUP, then waits for its "event=reload ok" (true) or "refused" (false). */
#define daemon_reload(d)	h_daemon_reload(__FILE__, __LINE__, (d))
bool	h_daemon_reload(const char *, int, struct daemon *);

#endif /* HARNESS_H */
