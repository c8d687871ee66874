/*
 * End-to-end test harness: the real branchqd on a loopback port with a fresh
 * database, spoken to over TCP, with cmocka assertions.
 *
 * Every daemon and connection the harness creates is tracked; a test file's
 * tests run with harness_teardown() as their teardown, which kills what a
 * failed test left behind and removes its temporary directory.  Assertion
 * helpers are macros, so a failure names the test's own file and line, and
 * they print the request and the reply.
 *
 * Known terminals (token "tok-<id>"): K01 kiosk, D01 display, T01 teller
 * E1001, T02 teller E1002, L01 lobby E2001, S01 supervisor E9001.
 */
#ifndef HARNESS_H
#define HARNESS_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdbool.h>
#include <sys/types.h>

#include <cJSON.h>

/* 09:00 in the branch's zone (Asia/Shanghai), a Monday. */
#define H_CLOCK_START		"2026-11-23T01:00:00Z"
/* Seconds from H_CLOCK_START to the end of that business day (local midnight). */
#define H_TO_DAY_END		(15 * 3600)

struct daemon_opts {
	const char	*extra_config;	/* top-level JSON members, e.g. "\"max_recalls\":1" */
	bool		 no_config;	/* no --config: the built-in demo configuration */
	bool		 no_test_clock;
	const char	*clock_start;	/* RFC 3339; default H_CLOCK_START */
	/* The harness starts the daemon with --listen 127.0.0.1:0.  If the daemon
	 * refuses port 0 (a mismatch with the decisions, reported loudly), it
	 * falls back to a free port it picks itself, unless this is set. */
	bool		 no_port_fallback;
};

struct daemon {
	pid_t		 d_pid;		/* 0 when not running */
	int		 d_port;
	char		 d_dir[256];	/* temporary directory, also the daemon's cwd */
	char		 d_db[320];
	char		 d_config[320];
	char		 d_log[320];
	char		*d_extra_config;
	bool		 d_no_config;
	bool		 d_no_test_clock;
	char		 d_clock_start[32];
	bool		 d_no_port_fallback;
	struct daemon	*d_next;	/* tracking list */
};

struct conn {
	int		 c_fd;
	struct daemon	*c_daemon;
	char		*c_buf;		/* bytes received, not yet a line */
	size_t		 c_len, c_cap;
	cJSON		**c_events;	/* pushed events not yet taken */
	size_t		 c_nevents, c_capevents;
	bool		 c_eof;
	char		 c_name[16];	/* terminal id after hello, for messages */
	struct conn	*c_next;	/* tracking list */
};

/* ---- the daemon ---- */
/* Starts a daemon (NULL opts: the test configuration and clock); fails the test on error. */
#define daemon_start(opts)		h_daemon_start(__FILE__, __LINE__, (opts))
/* SIGTERM, wait, and assert exit status 0 (under valgrind: no leak, no error). */
#define daemon_stop(d)			h_daemon_stop(__FILE__, __LINE__, (d))
/* SIGKILL and wait. */
void	daemon_kill(struct daemon *);
/* Start again on the same directory, database and configuration. */
#define daemon_restart(d)		h_daemon_restart(__FILE__, __LINE__, (d), NULL)
#define daemon_restart_at(d, start)	h_daemon_restart(__FILE__, __LINE__, (d), (start))
/* Kills it if running, removes its directory.  Safe on NULL. */
void	daemon_free(struct daemon *);
/* Whether a daemon refused --listen 127.0.0.1:0 and the harness fell back. */
bool	harness_port0_refused(void);
/* Whether the daemon's log contains s. */
bool	daemon_log_contains(struct daemon *, const char *s);
void	daemon_print_log(struct daemon *);
/* The status of ticket number on business date, read from the database file
 * (for tickets of past days, which the protocol no longer shows).  Caller frees;
 * NULL when there is no such ticket. */
char	*db_ticket_status(struct daemon *, const char *date, const char *number);

/* cmocka teardown: closes every connection and frees every daemon. */
int	harness_teardown(void **state);
int	reply_timeout_ms(void);
bool	under_wrapper(void);

/* ---- connections ---- */
#define conn_open(d)			h_conn_open(__FILE__, __LINE__, (d))
void	conn_close(struct conn *);	/* safe on NULL */
/* conn_open + hello with "tok-<terminal>". */
#define login(d, terminal)		h_login(__FILE__, __LINE__, (d), (terminal))
#define hello(c, terminal)		h_hello(__FILE__, __LINE__, (c), (terminal), NULL)
#define hello_token(c, terminal, tok)	h_hello(__FILE__, __LINE__, (c), (terminal), (tok))

/* Sends one request line (printf-style, no newline) and returns the parsed reply;
 * pushed events met on the way are queued.  Caller frees. */
#define rq(c, ...)			h_rq(__FILE__, __LINE__, (c), __VA_ARGS__)
/* rq that must succeed; returns the reply.  Caller frees. */
#define rq_ok(c, ...)			h_rq_ok(__FILE__, __LINE__, (c), __VA_ARGS__)
/* rq that must fail with code; frees the reply. */
#define rq_err(c, code, ...)		h_rq_err(__FILE__, __LINE__, (c), (code), __VA_ARGS__)
/* rq that must be bad_request naming field; frees the reply. */
#define rq_bad(c, field, ...)		h_rq_bad(__FILE__, __LINE__, (c), (field), __VA_ARGS__)

/* Raw bytes, exactly as given. */
#define send_raw(c, buf, len)		h_send_raw(__FILE__, __LINE__, (c), (buf), (len))
/* The next reply line (not an event), or NULL on timeout or close. Caller frees. */
cJSON	*read_reply(struct conn *, int timeout_ms);
/* The next pushed event, or NULL on timeout.  Caller frees. */
cJSON	*next_event(struct conn *, int timeout_ms);
/* The next event named name (others are dropped), or NULL on timeout.  Caller frees. */
cJSON	*next_event_named(struct conn *, const char *name, int timeout_ms);
/* Drops queued events and those arriving within quiet_ms. */
void	drain_events(struct conn *, int quiet_ms);
/* Whether the peer closed the connection within timeout_ms. */
bool	peer_closed(struct conn *, int timeout_ms);

/* ---- JSON ---- */
/* Dotted path: "ticket.number", "windows.0.window"; NULL when absent. */
const cJSON	*jget(const cJSON *, const char *path);
const char	*jstr(const cJSON *, const char *path);	/* NULL unless a string */
long long	 jint(const cJSON *, const char *path);	/* -999999 unless a number */
char		*jprint(const cJSON *);			/* caller frees */

#define expect_ok(r)			h_expect_ok(__FILE__, __LINE__, (r))
#define expect_error(r, code)		h_expect_error(__FILE__, __LINE__, (r), (code))
#define expect_bad_request(r, field)	h_expect_bad_request(__FILE__, __LINE__, (r), (field))
#define expect_str(o, path, want)	h_expect_str(__FILE__, __LINE__, (o), (path), (want))
#define expect_int(o, path, want)	h_expect_int(__FILE__, __LINE__, (o), (path), (want))
#define expect_bool(o, path, want)	h_expect_bool(__FILE__, __LINE__, (o), (path), (want))
#define expect_null(o, path)		h_expect_null(__FILE__, __LINE__, (o), (path))
#define expect_present(o, path)		h_expect_present(__FILE__, __LINE__, (o), (path))
/* A condition with a message and the object to show. */
#define expect_that(cond, o, ...)	h_expect_that(__FILE__, __LINE__, (cond), (o), __VA_ARGS__)

/* ticket.issue; amount_fen <= 0 leaves it out, flags (a JSON object) may be NULL.
 * Returns the reply's ticket object, detached.  Caller frees. */
#define issue(c, service, amount_fen, flags) \
	h_issue(__FILE__, __LINE__, (c), (service), (amount_fen), (flags))
/* Supervisor's clock.advance; the connection must be S01's. */
#define advance(c, seconds)		h_advance(__FILE__, __LINE__, (c), (seconds))
/* ticket.status, ticket object detached.  Caller frees. */
#define ticket_status(c, number)	h_ticket_status(__FILE__, __LINE__, (c), (number))

/* ---- implementation of the macros ---- */
struct daemon	*h_daemon_start(const char *, int, const struct daemon_opts *);
void		 h_daemon_stop(const char *, int, struct daemon *);
void		 h_daemon_restart(const char *, int, struct daemon *, const char *start);
struct conn	*h_conn_open(const char *, int, struct daemon *);
struct conn	*h_login(const char *, int, struct daemon *, const char *);
void		 h_hello(const char *, int, struct conn *, const char *, const char *);
cJSON		*h_rq(const char *, int, struct conn *, const char *, ...)
		    __attribute__((format(printf, 4, 5)));
cJSON		*h_rq_ok(const char *, int, struct conn *, const char *, ...)
		    __attribute__((format(printf, 4, 5)));
void		 h_rq_err(const char *, int, struct conn *, const char *, const char *, ...)
		    __attribute__((format(printf, 5, 6)));
void		 h_rq_bad(const char *, int, struct conn *, const char *, const char *, ...)
		    __attribute__((format(printf, 5, 6)));
void		 h_send_raw(const char *, int, struct conn *, const void *, size_t);
void		 h_expect_ok(const char *, int, const cJSON *);
void		 h_expect_error(const char *, int, const cJSON *, const char *);
void		 h_expect_bad_request(const char *, int, const cJSON *, const char *);
void		 h_expect_str(const char *, int, const cJSON *, const char *, const char *);
void		 h_expect_int(const char *, int, const cJSON *, const char *, long long);
void		 h_expect_bool(const char *, int, const cJSON *, const char *, bool);
void		 h_expect_null(const char *, int, const cJSON *, const char *);
void		 h_expect_present(const char *, int, const cJSON *, const char *);
void		 h_expect_that(const char *, int, bool, const cJSON *, const char *, ...)
		    __attribute__((format(printf, 5, 6)));
cJSON		*h_issue(const char *, int, struct conn *, const char *, long long,
		    const char *);
void		 h_advance(const char *, int, struct conn *, long long);
cJSON		*h_ticket_status(const char *, int, struct conn *, const char *);

#endif /* HARNESS_H */
