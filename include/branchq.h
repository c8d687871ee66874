/*
 * branchq: a bank branch's queue and service-recovery server.
 *
 * One header, one section per source file (as tmux does).  Data flows one
 * way: bytes -> line framing (server.c) -> JSON and dispatch (proto.c, op-*.c)
 * -> domain operation (ticket.c, window.c) -> storage (store.c, commit) ->
 * reply and events (events.c).  Domain modules never see a socket or cJSON;
 * protocol code never writes SQL.
 *
 * Conventions: money is int64_t fen (_fen), times are int64_t seconds since
 * the Unix epoch, UTC, on the daemon clock (_at), durations are seconds (_s).
 * Struct fields carry their owner's prefix.
 */
#ifndef BRANCHQ_H
#define BRANCHQ_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <event2/util.h>	/* evutil_socket_t, for tls.c */

#include "names.h"

#define BQ_PROTO_VERSION	1
#define BQ_MAX_LINE		65536		/* PROTOCOL: a longer line is line_too_long */
#define BQ_MAX_SUBSCRIBER_OUT	(1024 * 1024)	/* PROTOCOL: 1 MiB per subscriber */
#define BQ_MAX_WINDOW		99
#define BQ_ID_LEN		32		/* terminal and staff ids, without NUL */
#define BQ_NUMBER_LEN		16		/* "A001" ... with room to spare */
#define BQ_DATE_LEN		11		/* "YYYY-MM-DD" + NUL */
#define BQ_TIME_LEN		21		/* "YYYY-MM-DDTHH:MM:SSZ" + NUL */
#define BQ_LOCAL_TIME_LEN	17		/* "YYYY-MM-DD HH:MM" + NUL */

/* ---- log.c: stderr logging, OpenBSD style ---- */
enum log_level { LOG_LEVEL_ERROR, LOG_LEVEL_WARN, LOG_LEVEL_INFO, LOG_LEVEL_DEBUG };
void	log_init(enum log_level max);
void	log_warn(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_warnx(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_info(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_debug(const char *, ...) __attribute__((format(printf, 1, 2)));
/* Client text as one key=value value: plain, or quoted and escaped (log.c). */
const char *log_str(const char *);
_Noreturn void fatal(const char *, ...) __attribute__((format(printf, 1, 2)));
_Noreturn void fatalx(const char *, ...) __attribute__((format(printf, 1, 2)));
char	*xstrdup(const char *);	/* fatal() when out of memory */
int	 hex_digit(int c);	/* 0-15 for 0-9, a-f, A-F; else -1 */

/* ---- err.c: the error each layer hands up (a leaf) ---- */
enum err_code {
	ERR_NONE, ERR_BAD_JSON, ERR_BAD_REQUEST, ERR_UNKNOWN_OP,
	ERR_UNAUTHENTICATED, ERR_FORBIDDEN, ERR_NOT_FOUND, ERR_CONFLICT,
	ERR_OVER_AUTHORITY, ERR_LINE_TOO_LONG, ERR_UNAVAILABLE, ERR_INTERNAL,
	/* HTTP's own (PROTOCOL HTTP): a wrong method, a body or head too
	 * large, a body that is not JSON, a request that took too long. */
	ERR_METHOD_NOT_ALLOWED, ERR_TOO_LARGE, ERR_UNSUPPORTED_MEDIA_TYPE, ERR_TIMEOUT,
	ERR__COUNT
};
const char *err_code_name(enum err_code);
/*
 * Facts a client would otherwise parse out of the message (PROTOCOL:
 * error.detail): a few named values, e.g. {"recalls":0,"max_recalls":2}.
 */
#define BQ_DETAIL_MAX		4
#define BQ_DETAIL_STR_LEN	64
enum detail_type { DT_INT, DT_STR, DT_NULL };
struct bq_detail {
	const char	*d_key;		/* a literal */
	enum detail_type d_type;
	int64_t		 d_int;
	char		 d_str[BQ_DETAIL_STR_LEN];
};
struct bq_error {
	enum err_code	 e_code;
	char		 e_msg[256];
	size_t		 e_ndetail;	/* 0: no detail */
	struct bq_detail e_detail[BQ_DETAIL_MAX];
};
/* Always returns -1, so handlers can `return bq_fail(err, ...)`.  Clears
 * any detail: add it after. */
int	bq_fail(struct bq_error *, enum err_code, const char *, ...)
	    __attribute__((format(printf, 3, 4)));
/* One value of the error's detail, after bq_fail; -1 likewise.  A string
 * NULL is null. */
int	bq_detail_int(struct bq_error *, const char *key, int64_t);
int	bq_detail_str(struct bq_error *, const char *key, const char *);
/* The one message for a write the database refused: "the database cannot be
 * written (why); outcome" (NULL outcome: "nothing was changed").  -1. */
int	bq_unwritable(struct bq_error *, const char *why, const char *outcome);

/* ---- clock.c: the one daemon clock, business days, deadlines ---- */
/*
 * The real clock reads CLOCK_REALTIME.  The test clock (--test-clock) stands
 * still and only moves by clock_advance(), which fires every deadline that
 * falls due on the way, in order, with the clock set to each deadline.
 */
struct event_base;
struct branch;
struct actor;
struct bq_error;
struct deadline {
	int64_t		  dl_at;	/* 0 when not armed */
	void		(*dl_fire)(void *);
	void		 *dl_arg;
	struct event	 *dl_ev;	/* real clock only */
	struct deadline	 *dl_next;	/* armed list */
	const char	 *dl_name;
};
void	clock_init(struct event_base *, bool test, int64_t test_start_at);
void	clock_shutdown(void);
bool	clock_is_test(void);
int64_t	clock_now(void);
#ifdef BQ_TEST_HOOKS
void	clock_advance(int64_t seconds);	/* branchqd-test only */
#endif
void	deadline_init(struct deadline *, const char *name, void (*)(void *), void *);
void	deadline_arm(struct deadline *, int64_t at);
void	deadline_disarm(struct deadline *);
/* Formatting and the branch timezone (pure but for the process TZ). */
bool	time_zone_exists(const char *tz);	/* in the zoneinfo database (or UTC) */
int	time_set_zone(const char *tz);	/* at start-up only; -1 if no such zone */
void	time_format(int64_t at, char out[BQ_TIME_LEN]);	/* RFC 3339 UTC */
int	time_parse(const char *, int64_t *at);		/* RFC 3339 with Z */
void	time_format_local(int64_t at, char out[BQ_LOCAL_TIME_LEN]);	/* "YYYY-MM-DD HH:MM" */
void	business_date(int64_t at, char out[BQ_DATE_LEN]);
int64_t	business_day_end(int64_t at);	/* next local midnight after at */
int	date_parse(const char *, int *y, int *m, int *d);	/* YYYY-MM-DD */
int64_t	date_ordinal(const char *date);	/* days since 1970-01-01; -1: not a date */
/* The first second of a business date in the branch's time zone (its local
 * midnight); -1 when it is not a date.  day_start_at: of a date's ordinal. */
int64_t	date_start_at(const char *date);
int64_t	day_start_at(int64_t day);

/* ---- notify.c: what systemd hears (sd_notify: Type=notify, the watchdog) ---- */
/* No-ops when $NOTIFY_SOCKET is unset.  notify_init() arms the watchdog
 * pings at half of $WATCHDOG_USEC when systemd asks for them. */
void	notify_init(struct event_base *);
void	notify_free(void);
void	notify_ready(void);	/* both listeners accept connections */
void	notify_reloading(void);	/* SIGHUP: notify_ready() again when done */
void	notify_stopping(void);	/* SIGTERM or SIGINT: the shutdown starts */
void	notify_status(const char *);

/* ---- route.c: which lane a new ticket joins (pure; DOMAIN §1) ---- */
/* enum lane, enum service, enum accessibility and their names: names.h */
enum route_rule {
	RULE_CASH_WITHIN_THRESHOLD, RULE_TRANSFER_WITHIN_THRESHOLD,
	RULE_LOOSE_CASH, RULE_COUNTER_IDLE, RULE_VIP, RULE_NEEDS_ASSISTANCE,
	RULE_ACCESSIBILITY, RULE_SELF_SERVICE_UNAVAILABLE, RULE_EXPRESS_CASH,
	RULE_OVER_THRESHOLD, RULE_NOT_DIVERTIBLE, RULE__COUNT
};
struct ticket_flags {
	bool			tf_loose_cash;
	bool			tf_vip;
	bool			tf_needs_assistance;
	enum accessibility	tf_accessibility;
};
struct route_request {
	enum service		rr_service;
	int64_t			rr_amount_fen;	/* 0 when the service has none */
	struct ticket_flags	rr_flags;
};
struct route_context {
	int64_t	rc_cash_threshold_fen;
	int64_t	rc_transfer_threshold_fen;
	int64_t	rc_express_cash_fen;
	bool	rc_self_service_available;
	bool	rc_counter_idle;	/* nobody waits at the counter and a counter window is idle */
	bool	rc_express_open;	/* an open, unpaused window serves the express lane */
	bool	rc_vip_open;		/* likewise the VIP lane */
};
struct route_decision {
	enum lane	rd_lane;
	enum route_rule	rd_rule;
	bool		rd_priority;	/* accessibility or assistance: first in its lane */
	bool		rd_eligible;	/* cash/transfer within the threshold by amount */
};
struct route_decision route_decide(const struct route_request *,
	    const struct route_context *);
bool	service_has_amount(enum service);	/* cash and transfer jobs */
/* enum <-> protocol name; the _from_name functions return -1 when unknown */
const char	*lane_name(enum lane);
int		 lane_from_name(const char *);
char		 lane_letter(enum lane);
const char	*service_name(enum service);
int		 service_from_name(const char *);
const char	*route_rule_name(enum route_rule);
int		 route_rule_from_name(const char *);
const char	*accessibility_name(enum accessibility);	/* NULL for NONE */
int		 accessibility_from_name(const char *);

/* ---- queue.c: tickets in memory, lanes, windows, the state machine (pure) ---- */
enum ticket_status {
	TS_DIVERTED, TS_WAITING, TS_CALLED, TS_SERVING, TS_DONE, TS_NO_SHOW,
	TS_CANCELLED, TS_EXPIRED, TS__COUNT
};
enum ticket_action {
	TA_CALL, TA_RECALL, TA_NO_SHOW, TA_START, TA_COMPLETE, TA_TRANSFER,
	TA_REROUTE, TA_CANCEL, TA_EXPIRE, TA__COUNT
};
const char	*ticket_status_name(enum ticket_status);
int		 ticket_status_from_name(const char *);
const char	*ticket_action_name(enum ticket_action);	/* also the event kind */
/* DOMAIN §2: the ticket state machine.  -1 when the action is not allowed. */
int		 ticket_next_status(enum ticket_status, enum ticket_action);
/* What the end of the business day does to an open ticket: expire,
 * no_show or complete; -1 for a final one. */
int		 ticket_day_end_action(enum ticket_status);

struct ticket {
	int64_t			t_id;		/* database row id */
	char			t_date[BQ_DATE_LEN];	/* business day of issue */
	char			t_number[BQ_NUMBER_LEN];
	enum lane		t_lane;		/* current lane */
	enum lane		t_issue_lane;
	enum ticket_status	t_status;
	enum service		t_service;
	int64_t			t_amount_fen;	/* 0: none */
	struct ticket_flags	t_flags;
	bool			t_priority;
	bool			t_eligible;
	enum route_rule		t_rule;
	int64_t			t_issued_at;	/* original issue time: orders the lane */
	int64_t			t_queued_at;	/* when it last joined a lane */
	int64_t			t_called_at;	/* last call; 0: never */
	int64_t			t_first_called_at;	/* ends the wait (DOMAIN §2) */
	int64_t			t_started_at;
	int64_t			t_finished_at;
	int			t_window;	/* 0: none */
	int			t_recalls;	/* since its last call */
	bool			t_closed_by_day_end;	/* the day end closed it */
	char			t_staff[BQ_ID_LEN + 1];	/* who called it last */
	size_t			t_slot;		/* hash slot, owned by queue.c */
};

struct window {
	int		w_no;		/* 1 ... 99 */
	bool		w_open;		/* staffed */
	bool		w_paused;
	bool		w_accessible;	/* config: accessible_windows */
	char		w_terminal[BQ_ID_LEN + 1];
	char		w_staff[BQ_ID_LEN + 1];
	enum lane	w_lanes[LANE__COUNT];
	int		w_nlanes;
	struct ticket	*w_current;	/* called or serving here, or NULL */
	int64_t		w_opened_at;
};

#define QUEUE_RECENT	20	/* service times kept per lane for estimates */
struct lane_queue {
	struct ticket	**lq_items;	/* sorted: priority, issued_at, id */
	size_t		  lq_len, lq_cap;
	int64_t		  lq_recent_s[QUEUE_RECENT];	/* ring of occupancy times */
	int		  lq_nrecent, lq_recent_next;
};
struct queue {
	struct lane_queue q_lanes[LANE__COUNT];	/* self-service holds nothing */
	struct lane_queue q_diverted;	/* tickets at the machines (status diverted) */
	struct window	  q_windows[BQ_MAX_WINDOW + 1];	/* [0] unused */
	struct ticket	**q_table;	/* open addressing, key date+number */
	size_t		  q_table_cap, q_table_len;
	int64_t		  q_default_service_s;
	/* The last number issued per lane on one day, as far as known. */
	char		  q_seq_date[BQ_DATE_LEN];
	int		  q_seq[LANE__COUNT];
	unsigned	  q_seq_known;	/* 1 << lane */
};
void	queue_init(struct queue *, int64_t default_service_s);
void	queue_free(struct queue *);	/* frees every ticket */
/* Takes ownership of a heap ticket; adds it to its lane when waiting. */
void	queue_adopt(struct queue *, struct ticket *);
struct ticket *queue_find(struct queue *, const char *date, const char *number);
/*
 * Daily numbering (DOMAIN §2): the last number issued in a lane on a day,
 * or -1 when the queue does not know it (another day, or not yet asked):
 * the database does (store_last_number).  queue_set_seq records a number
 * once its ticket is stored; the queue forgets it with everything else.
 */
int	queue_last_seq(const struct queue *, const char *date, enum lane);
void	queue_set_seq(struct queue *, const char *date, enum lane, int seq);
/* Lane membership (and being at the machines) follows status: call around
 * every change of lane/status. */
void	queue_unlink(struct queue *, struct ticket *);	/* out of its lane */
void	queue_link(struct queue *, struct ticket *);	/* into its lane if waiting */
/* Drop tickets of days before `today` that no window holds; caller freed nothing. */
void	queue_forget_before(struct queue *, const char *today);
struct window *queue_window_holding(struct queue *, const struct ticket *);	/* or NULL */
size_t	queue_position(const struct queue *, const struct ticket *);	/* 1-based, 0: not waiting */
int64_t	queue_estimate_wait(const struct queue *, const struct ticket *);	/* -1: not waiting */
int64_t	queue_estimate_join(const struct queue *, enum lane);	/* a ticket joining now */
size_t	queue_waiting(const struct queue *, enum lane);
size_t	queue_diverted(const struct queue *);	/* diverted, not yet expired, cancelled or rerouted */
int64_t	queue_oldest_issued_at(const struct queue *, enum lane);	/* 0: empty */
bool	queue_lane_open(const struct queue *, enum lane);	/* open, unpaused window serves it */
int	queue_open_windows(const struct queue *, enum lane);
bool	queue_counter_idle(const struct queue *);
/* The ticket `call next` at window w would take, or NULL (DOMAIN §2). */
struct ticket *queue_pick_next(const struct queue *, const struct window *);
void	queue_record_service(struct queue *, enum lane, int64_t seconds);
int64_t	queue_mean_service(const struct queue *, enum lane);
/* ordering used by the lanes: <0 when a goes first */
int	ticket_order(const struct ticket *a, const struct ticket *b);

/* ---- config.c ---- */
enum role { ROLE_NONE, ROLE_KIOSK, ROLE_DISPLAY, ROLE_TELLER, ROLE_LOBBY,
	ROLE_SUPERVISOR, ROLE__COUNT };
#define ROLE_BIT(r)	(1u << (r))
const char	*role_name(enum role);
int		 role_from_name(const char *);

struct terminal_conf {
	char		tc_id[BQ_ID_LEN + 1];
	enum role	tc_role;
	char		tc_staff[BQ_ID_LEN + 1];	/* "" for kiosks and displays */
	unsigned char	tc_token_sha256[32];
	char		tc_printer[64];	/* a kiosk's printer, "IP:PORT"; "" for none */
};
struct webhook_conf {
	char		*wh_url;
	char		*wh_secret;
	char	       **wh_events;
	size_t		 wh_nevents;
};
/* "hq": the head office (docs/HEADOFFICE.md); hq_conninfo NULL: none. */
struct hq_conf {
	char		*hq_conninfo;
	char		*hq_region;	/* may be NULL */
	int		 hq_keep_days, hq_batch_events, hq_retry_max_s, hq_timeout_s;
};
struct config {
	char			*cf_branch;
	char			*cf_timezone;
	int64_t			 cf_cash_threshold_fen;
	int64_t			 cf_transfer_threshold_fen;
	int64_t			 cf_express_cash_fen;
	int64_t			 cf_authority_fen[ROLE__COUNT];
	int			 cf_follow_up_hours;
	int			 cf_target_wait_s;
	int			 cf_max_recalls;
	int			 cf_default_service_s;
	char			*cf_duty_supervisor;	/* may be NULL */
	bool			 cf_accessible_window[BQ_MAX_WINDOW + 1];
	struct webhook_conf	*cf_webhooks;
	size_t			 cf_nwebhooks;
	int			 cf_webhook_connect_timeout_ms;
	int			 cf_webhook_timeout_ms;	/* one attempt, all told */
	int			 cf_webhook_retry_hours;	/* then a delivery fails */
	int			 cf_webhook_max_pending;	/* per receiver */
	/* Limits on what clients may hold (docs/SECURITY.md). */
	int			 cf_max_connections;
	int			 cf_hello_timeout_s;	/* 0: no deadline */
	int			 cf_idle_timeout_s;	/* 0: no idle limit */
	int			 cf_write_timeout_s;	/* output stalled this long: close */
	int			 cf_subscriber_buffer_bytes;
	int			 cf_auth_max_failures;	/* failed hellos per address ... */
	int			 cf_auth_window_s;	/* ... within this, then a lockout */
	int			 cf_auth_lockout_s;	/* the first; each next one doubles */
	int			 cf_auth_lockout_max_s;
	/* The HTTP face (PROTOCOL HTTP). */
	char			**cf_http_hosts;	/* names beside IPs and localhost */
	size_t			 cf_nhttp_hosts;
	int			 cf_http_max_connections;
	int			 cf_http_max_streams;	/* open event streams */
	int			 cf_http_heartbeat_s;	/* a comment on each stream at least this often */
	int			 cf_http_session_staff_hours;	/* teller, lobby, supervisor */
	int			 cf_http_session_device_days;	/* kiosk, display */
	/* Operations (docs/OPERATIONS.md). */
	int			 cf_retention_days;	/* closed complaints' personal data kept */
	int			 cf_backup_minute;	/* the daily backup, local minutes after midnight */
	int			 cf_backup_keep;	/* daily copies kept in --backup-dir */
	bool			 cf_metrics_public;	/* GET /metrics without signing in */
	struct hq_conf		 cf_hq;
	struct terminal_conf	*cf_terminals;
	size_t			 cf_nterminals;
	bool			 cf_demo;
};
/*
 * 0 and *cf filled when the file is valid; else the number of problems
 * (>0), each passed to report() as "PATH:LINE: key.path: message" (no
 * newline; "PATH: message" for a file that cannot be read), and *cf left
 * zeroed (config_free-safe).  Every problem of the file is reported.
 */
int	config_load_file_report(struct config *cf, const char *path,
	    void (*report)(void *arg, const char *problem), void *arg);
int	config_load_text_report(struct config *, const char *name, const char *text,
	    void (*report)(void *arg, const char *problem), void *arg);
/* 0, or -1 with the first problem, "PATH:LINE: key.path: message", in err. */
int	config_load_file(struct config *, const char *path, char *err, size_t errlen);
int	config_load_text(struct config *, const char *name, const char *text,
	    char *err, size_t errlen);
/* The line in JSON text of the member or element at path, each step its
 * position in its object or array; the last line found where the text ends. */
int	config_line_at(const char *text, const int *path, size_t depth);
/* The same for "terminals[2].token_sha256" (keys by name); -1 when the text
 * is not JSON or holds no such key. */
int	config_line_of(const char *text, const char *keypath);
void	config_demo(struct config *);
void	config_print_demo(const struct config *, void (*out)(const char *));
void	config_free(struct config *);
const struct terminal_conf *config_terminal(const struct config *, const char *id);
/* The relay's settings from "hq" (pointers into cf); conninfo NULL without it. */
struct hq_settings;
void	config_hq_settings(const struct config *, struct hq_settings *);
bool	config_staff_exists(const struct config *, const char *staff);
/* The same terminal in a reloaded configuration, or NULL and why: "removed",
 * "token_changed", "role_changed", "staff_changed". */
const struct terminal_conf *config_terminal_successor(const struct config *nw,
	    const struct terminal_conf *old, const char **why);
/* Demo terminals and their clear tokens, printed at start-up. */
struct demo_terminal { const char *dt_id, *dt_role, *dt_staff, *dt_token; };
extern const struct demo_terminal demo_terminals[];
void	sha256(const void *, size_t, unsigned char out[32]);
bool	token_matches(const struct terminal_conf *, const char *token);	/* constant time */

/* ---- recovery.c: service-recovery rules (pure; DOMAIN §3, §4) ---- */
enum complaint_state { CS_OPEN, CS_RESOLVED, CS_CLOSED, CS__COUNT };
/* What can happen to a complaint; the history's `kind` names these. */
enum complaint_step {
	STEP_APOLOGY, STEP_EXPLANATION, STEP_REMEDY, STEP_COMPENSATION,
	STEP_CUSTOMER_UPDATE, STEP_NOTE,		/* complaint.action kinds */
	STEP_LOGGED, STEP_REASSIGNED, STEP_RESOLVED, STEP_OVERDUE,
	STEP_FOLLOWUP_SATISFIED, STEP_FOLLOWUP_UNSATISFIED, STEP_FOLLOWUP_UNREACHABLE,
	STEP__COUNT
};
enum root_cause { CAUSE_VALUE, CAUSE_SYSTEM, CAUSE_PERSONNEL, CAUSE_CUSTOMER,
	CAUSE_EXTERNAL, CAUSE__COUNT };
enum nps_class { NPS_DETRACTOR, NPS_PASSIVE, NPS_PROMOTER };
#define COMPLAINT_CATEGORIES	9
#define CATEGORY_OTHER		8	/* complaint_categories[8]: surveys use it */
extern const char *const complaint_categories[];	/* NULL-terminated */
extern const char *const complaint_channels[];		/* those a person logs */
extern const char *const action_kinds[];		/* complaint.action kinds */
extern const char *const root_causes[];
extern const char *const followup_outcomes[];
const char	*complaint_state_name(enum complaint_state);
int		 complaint_state_from_name(const char *);
const char	*complaint_step_kind(enum complaint_step);	/* "apology", "followup", ... */
/* The complaint state machine: -1 when the step is not allowed. */
int		 complaint_next_state(enum complaint_state, enum complaint_step);
/* DOMAIN §3: a follow-up is due follow_up_hours after it is logged (or reopened). */
int64_t		 followup_due_at(int64_t from_at, int follow_up_hours);
bool		 followup_on_time(int64_t at, int64_t due_at);
/* DOMAIN §3 (S5): the compensation granted on one complaint, this one
 * included, stays within the actor's role limit. */
bool		 authority_allows(int64_t limit_fen, int64_t paid_fen, int64_t amount_fen);
enum nps_class	 nps_class(int score);
/* NPS = % promoters - % detractors, -100 ... 100; 0 answers gives 0 and *none. */
double		 nps_score(int64_t promoters, int64_t passives, int64_t detractors);
/* DOMAIN §5: a report never shows a phone number or a name unmasked. */
void		 mask_phone(const char *phone, char *out, size_t len);	/* 138****5678 */
void		 mask_name(const char *name, char *out, size_t len);	/* 张* */

/* ---- complaint.c: complaints, follow-ups, surveys (DOMAIN §3, §4) ---- */
#define COMPLAINT_TEXT_MAX	2000	/* characters (PROTOCOL) */
#define COMPLAINT_TEXT_BYTES	(4 * COMPLAINT_TEXT_MAX)	/* UTF-8: at most 4 bytes each */
struct complaint {
	int64_t			c_id;
	enum complaint_state	c_state;
	int			c_category;	/* index in complaint_categories */
	int			c_severity;	/* 1 minor, 2 serious, 3 critical */
	char			c_channel[16];	/* complaint_channels, or "survey" */
	char			c_description[COMPLAINT_TEXT_BYTES + 1];
	int64_t			c_ticket_id;	/* 0: none */
	char			c_ticket_number[BQ_NUMBER_LEN];
	char			c_customer_name[4 * 100 + 1];
	char			c_customer_phone[33];
	char			c_first_responder[BQ_ID_LEN + 1];
	char			c_owner[BQ_ID_LEN + 1];
	int64_t			c_logged_at;
	char			c_date[BQ_DATE_LEN];
	int64_t			c_follow_up_due;
	bool			c_overdue;
	char			c_resolution[COMPLAINT_TEXT_BYTES + 1];
	int			c_root_cause;	/* -1: not resolved */
	int64_t			c_resolved_at;
	int64_t			c_closed_at;
	int64_t			c_compensation_fen;
	int64_t			c_erased_at;	/* retention erased the customer; 0: not */
};
struct complaint_action {
	enum complaint_step	ca_step;
	char			ca_actor[BQ_ID_LEN + 1];	/* "" for the daemon */
	int64_t			ca_at;
	char			ca_note[COMPLAINT_TEXT_BYTES + 1];
	int64_t			ca_amount_fen;
	char			ca_to_staff[BQ_ID_LEN + 1];
	int			ca_on_time;	/* follow-ups: 0/1; else -1 */
	int			ca_root_cause;	/* resolved: enum root_cause; else -1 */
};
struct complaint_request {
	const struct request_key *cr_key;	/* NULL: none */
	int		cr_category;
	int		cr_severity;
	const char	*cr_channel;
	const char	*cr_description;
	const char	*cr_ticket;		/* NULL: none */
	const char	*cr_customer_name;	/* NULL: none */
	const char	*cr_customer_phone;
};
int	complaint_log(struct branch *, const struct actor *, const struct complaint_request *,
	    struct complaint *out, struct bq_error *);
/* Reads one complaint the actor may read: its owner, its first responder
 * (DOMAIN §3) or a supervisor.  The other operations admit the owner and
 * supervisors alone. */
int	complaint_get(struct branch *, const struct actor *, int64_t id, struct complaint *out,
	    struct bq_error *);
/* Calls fn for each history line, oldest first. */
int	complaint_history(struct branch *, int64_t id,
	    void (*fn)(const struct complaint_action *, void *), void *arg);
int	complaint_act(struct branch *, const struct actor *, int64_t id, enum complaint_step,
	    const char *note, int64_t amount_fen, struct complaint *out, struct bq_error *);
int	complaint_reassign(struct branch *, const struct actor *, int64_t id,
	    const char *to_staff, const char *reason, struct complaint *out, struct bq_error *);
int	complaint_resolve(struct branch *, const struct actor *, int64_t id,
	    const char *resolution, enum root_cause, struct complaint *out, struct bq_error *);
int	followup_record(struct branch *, const struct actor *, int64_t id, enum complaint_step,
	    const char *note, struct complaint *out, struct bq_error *);
int	survey_submit(struct branch *, const struct actor *, const char *ticket, int score,
	    const char *reason, const struct request_key *, struct complaint *opened,
	    bool *detractor, struct bq_error *);
/* A complaint by id, whoever asks (a request_key's retry): 0, or -1 with err. */
int	complaint_find(struct branch *, int64_t id, struct complaint *out, struct bq_error *);
/* The follow-up deadline: armed for the next due complaint; fires by itself.
 * followup_start() sets it up after branch_open() and catches up. */
void	followup_start(struct branch *);
void	followup_watch(struct branch *);

/* ---- checkpoint.c: the WAL copied back on a thread, not on the loop ---- */
struct sqlite3;
int	checkpoint_start(struct sqlite3 *, int wal_pages, char *err, size_t errlen);
void	checkpoint_stop(struct sqlite3 *);	/* waits for the copy under way */

/* ---- report.c: supervisor reports, off the event loop (DOMAIN §5) ---- */
/*
 * Reports run on one worker thread with its own read-only connection: in
 * WAL mode it reads a consistent snapshot while the loop keeps writing, so
 * a year-long summary never stalls a teller.  The job's encoders (rj_item,
 * rj_encode) run there too and touch nothing but the job; its rj_done runs
 * back on the loop thread, which owns everything else.
 */
enum report_kind {
	REPORT_FOLLOWUPS, REPORT_SUMMARY, REPORT_COMPENSATION,
	REPORT_COMPLAINT_LIST	/* complaint.list: a staff member's complaints */
};
enum followups_status { FOLLOWUPS_OPEN, FOLLOWUPS_OVERDUE, FOLLOWUPS_ALL, FOLLOWUPS_DUE_SOON };
/* A grouped report.summary's periods: the whole range, each day, or each
 * half hour, on the branch's local clock (stats.c cuts them). */
enum report_group { GROUP_NONE, GROUP_DAY, GROUP_HALF_HOUR };
#define REPORT_DUE_SOON_S	(4 * 3600)
#define REPORT_MAX_QUEUED	16
/* A grouped summary's range, at most (op-report.c refuses more). */
#define REPORT_MAX_DAYS_BY_DAY		731	/* two years, a leap day included */
#define REPORT_MAX_DAYS_BY_HALF_HOUR	31	/* about 1,500 half hours */
/* complaint.list's entries at most; more is "truncated" (PROTOCOL 1.1). */
#define COMPLAINT_LIST_MAX		200
/* report.summary's waiting-time histogram: WAIT_BUCKETS buckets, bucket i
 * from wait_histogram_edges_s[i] up to the next edge, the last one open. */
#define WAIT_BUCKETS			8
struct duration_stats {
	int64_t	ds_count;
	int64_t	ds_mean, ds_p50, ds_p90, ds_max;	/* whole seconds */
	int64_t	ds_within;	/* at or under the target (waits only) */
};
struct staff_stats {
	char			ss_staff[BQ_ID_LEN + 1];
	struct duration_stats	ss_service;	/* start to completion */
	struct duration_stats	ss_by_service[SERVICE__COUNT];
	int64_t			ss_called;	/* calls made (recalls not counted) */
	int64_t			ss_served, ss_no_shows;	/* tickets they called last */
	/* Their window's open time, split: a ticket current there, paused
	 * with none, open with none. */
	int64_t			ss_serving_s, ss_paused_s, ss_idle_s;
};
/* One period of a grouped summary. */
struct period_stats {
	int64_t			ps_from, ps_to;	/* [from, to) */
	int64_t			ps_tickets, ps_served, ps_no_show;
	int64_t			ps_eligible, ps_diverted, ps_rerouted;
	struct duration_stats	ps_wait;	/* every lane */
	/* Surveys answered and complaints logged in the period. */
	int64_t			ps_promoters, ps_passives, ps_detractors;
	int64_t			ps_complaints;
};
struct owner_count {
	char	oc_staff[BQ_ID_LEN + 1];
	int64_t	oc_open, oc_overdue;
};
/* What report.followups shows of each complaint beside the complaint. */
struct followup_row {
	int64_t		fw_last_at;	/* the last follow-up recorded; 0: none */
	char		fw_last_outcome[16];
	int		fw_survey_score;	/* -1: not opened by a survey */
};
struct followups_report {
	int64_t			 fr_total;	/* matching, before the limit */
	int64_t			 fr_open, fr_overdue, fr_due_soon, fr_on_time, fr_late;
	struct owner_count	*fr_owners;
	size_t			 fr_nowners;
	size_t			 fr_nitems;	/* handed to rj_item */
	bool			 fr_truncated;	/* complaint.list: more than rj_limit */
};
struct summary_report {
	int64_t			 sr_tickets, sr_by_lane[LANE__COUNT];
	int64_t			 sr_by_service[SERVICE__COUNT], sr_by_status[TS__COUNT];
	int64_t			 sr_eligible, sr_diverted;
	int64_t			 sr_rerouted[REROUTE_REASON__COUNT], sr_rerouted_total;
	int64_t			 sr_kept[RULE__COUNT];	/* eligible, not diverted, by rule */
	int64_t			 sr_unused;	/* diverted, cancelled at the machines */
	int64_t			 sr_left_queue;	/* rerouted back, then left that queue */
	int64_t			 sr_self_service_down_s;
	struct duration_stats	 sr_wait[LANE__COUNT], sr_wait_all;
	/* The same waits, counted by wait_bucket(). */
	int64_t			 sr_wait_hist[LANE__COUNT][WAIT_BUCKETS];
	int64_t			 sr_wait_all_hist[WAIT_BUCKETS];
	struct staff_stats	*sr_staff;
	size_t			 sr_nstaff;
	int64_t			 sr_no_show, sr_no_show_by_lane[LANE__COUNT];
	int64_t			 sr_complaints, sr_by_category[COMPLAINT_CATEGORIES];
	int64_t			 sr_by_severity[4];
	int64_t			 sr_by_cause[CAUSE__COUNT + 1];	/* last: unresolved */
	int64_t			 sr_compensation_fen;
	int64_t			 sr_compensation_by_cause_fen[CAUSE__COUNT + 1];
	int64_t			 sr_followup_on_time, sr_followup_late, sr_open_overdue;
	int64_t			 sr_promoters, sr_passives, sr_detractors;
	struct period_stats	*sr_periods;	/* grouped: one per period */
	size_t			 sr_nperiods;
};
/* One compensation granted (a complaint action of that kind). */
struct grant {
	int64_t		gr_at;
	int64_t		gr_complaint;
	char		gr_actor[BQ_ID_LEN + 1];
	int64_t		gr_amount_fen;
	int		gr_root_cause;	/* the complaint's now; -1: unresolved */
	int		gr_category;	/* index in complaint_categories */
};
struct compensation_report {
	int64_t		 cr_total;	/* grants in the range, before the limit */
	int64_t		 cr_total_fen;	/* over all of them */
	struct grant	*cr_grants;	/* the first rj_limit, by time */
	size_t		 cr_ngrants;
};
struct report_job {
	enum report_kind	 rj_kind;
	int64_t			 rj_now;
	/* followups and complaint.list */
	enum followups_status	 rj_status;
	int64_t			 rj_limit;	/* and compensation */
	bool			 rj_own_only;	/* list: only rj_staff's; else every one */
	char			 rj_staff[BQ_ID_LEN + 1];
	/* summary and compensation */
	char			 rj_from[BQ_DATE_LEN], rj_to[BQ_DATE_LEN];
	int64_t			 rj_target_wait_s;
	enum report_group	 rj_group;	/* GROUP_NONE: no groups */
	/* results: rj_ok false with rj_err on a database failure */
	bool			 rj_ok;
	char			 rj_err[256];
	struct followups_report	 rj_followups;
	struct summary_report	 rj_summary;
	struct compensation_report rj_compensation;
	/* On the worker thread, touching nothing but the job: each complaint
	 * of a followups report as it is read, then the reply's encoding. */
	void			(*rj_item)(struct report_job *, const struct complaint *,
				    const struct followup_row *);
	void			(*rj_encode)(struct report_job *);
	/* back on the loop thread; must call report_job_free() */
	void			(*rj_done)(struct report_job *);
	void			*rj_arg;
	struct report_job	*rj_next;
};
int	reports_start(struct event_base *, const char *db_path, char *err, size_t errlen);
void	reports_stop(void);	/* waits for the job under way */
/* -1 when too many reports are queued: the caller keeps the job. */
int	report_submit(struct report_job *);
void	report_job_free(struct report_job *);
/* The computations themselves, on any read connection (unit-testable). */
struct sqlite3;
int	report_followups(struct sqlite3 *, struct report_job *);
int	report_summary(struct sqlite3 *, struct report_job *);
int	report_compensation(struct sqlite3 *, struct report_job *);
/* complaint.list: rj_status's complaints that rj_staff owns or first
 * responded to (every one unless rj_own_only), overdue first, then by due; at most
 * rj_limit to rj_item, fr_truncated when there were more. */
int	report_complaint_list(struct sqlite3 *, struct report_job *);

/* ---- stats.c: the reports' arithmetic: duration statistics, periods ---- */
int64_t	percentile(const int64_t *sorted, size_t n, int p);	/* nearest rank */
/* Count, rounded mean, nearest-rank p50 and p90, max, and how many are at or
 * under target (target < 0: none) of v[0..n), negatives counted as 0.  May
 * reorder v. */
void	duration_stats_of(int64_t *v, size_t n, int64_t target, struct duration_stats *);
/* The periods of business dates from..to (valid, from <= to): n of them,
 * period i from (*bounds)[i] to (*bounds)[i + 1]; returns n.  Caller frees
 * *bounds. */
size_t	report_periods(const char *from, const char *to, enum report_group,
	    int64_t **bounds);
/* The period of n holding at; a time before the first is in the first, one
 * after the last in the last. */
size_t	period_of(const int64_t *bounds, size_t n, int64_t at);
/* PROTOCOL 1.1: the histogram's lower edges, seconds, and a wait's bucket
 * (a negative wait, a clock set back, is 0 as in the statistics). */
extern const int64_t wait_histogram_edges_s[WAIT_BUCKETS];
size_t	wait_bucket(int64_t wait_s);

/* ---- metrics.c: the figures of GET /metrics, as Prometheus text (PROTOCOL Metrics) ---- */
/*
 * Counted where things happen, on the loop thread (a few instructions
 * each); the branch's state is handed in at each scrape.  Nothing here
 * reads the database or calls anything above the rules.
 */
enum metrics_transport { MT_TCP, MT_HTTP, MT_SSE, MT__COUNT };
void	metrics_start(int64_t at);		/* branchq_start_time_seconds */
void	metrics_commit(double seconds, bool ok);	/* store.c: each COMMIT */
/* dispatch: one op over a transport; op is the op table's own name (a
 * literal, compared by address), NULL for none; code ERR_NONE when done. */
void	metrics_request(enum metrics_transport, const char *op, enum err_code);
void	metrics_http_response(int status);	/* http.c: each response's head */
void	metrics_auth_failure(bool lockout);	/* a sign-in refused; it started a lockout */
void	metrics_events_published(uint64_t n);	/* publish.c: committed events */
void	metrics_subscriber_dropped(enum metrics_transport);	/* a slow reader cut off */
/* webhook.c: an attempt recorded: delivered, or not (failed: for good). */
void	metrics_webhook_attempt(bool delivered, bool failed);
/*
 * For the parts that report on their own, on the loop thread: the last good
 * backup's end (Unix time; 0 none), the failures so far and its size; the
 * last retention sweep's end (0 none) and the rows erased since start; the head
 * office's backlog and lag (0 while none is configured).
 */
void	metrics_backup(int64_t ok_at, uint64_t failures, int64_t bytes);
void	metrics_retention(int64_t last_run_at, uint64_t erased_total);
struct hq_status;
/* The relay's status (hq_relay_status), read at each scrape; NULL or not
 * shipping: no head office, every figure 0. */
void	metrics_hq(const struct hq_status *);
/* What the HTTP face reads from the layers above, for one exposition. */
struct metrics_state {
	const struct queue	*ms_queue;
	int64_t			 ms_now;	/* the daemon clock */
	int64_t			 ms_tickets_issued[LANE__COUNT][RULE__COUNT];
	int64_t			 ms_followups_open, ms_followups_overdue;
	int64_t			 ms_webhook_backlog;	/* pending deliveries */
	int			 ms_connections[MT__COUNT];
};
/* The exposition (text/plain; version=0.0.4): *len bytes, caller frees. */
char	*metrics_render(const struct metrics_state *, size_t *len);
/* A label value escaped as the format wants (\\, \", \n), cut to fit. */
void	metrics_escape_label(const char *, char *out, size_t outlen);

/* ---- store.c: SQLite: every write, and all SQL but the reports' ---- */
struct migration {
	int		 m_version;
	const char	*m_name;
	const char	*m_sql;
};
extern const struct migration migrations[];	/* migrations.c; ends with m_sql NULL */
struct store;
/* WAL pages before a checkpoint starts (--wal-pages); 4,000 = 16 MB. */
#define STORE_WAL_PAGES		4000
#define STORE_WAL_PAGES_MIN	16
#define STORE_WAL_PAGES_MAX	1000000
struct store	*store_open(const char *path, int wal_pages, char *err, size_t errlen);
void		 store_close(struct store *);	/* checkpoints */
const char	*store_errmsg(struct store *);
/*
 * The one write path: fn makes a change's writes through the store, and
 * they are committed together (BEGIN IMMEDIATE ... COMMIT, or a savepoint
 * of the group) or not at all.  -1 when anything failed: all fn wrote is
 * rolled back and err, unless NULL, says so (bq_unwritable, with outcome).
 */
int	store_write(struct store *, int (*fn)(struct store *, void *), void *arg,
	    const char *outcome, struct bq_error *err);
/*
 * Group commit (issue 6): once enabled, the first store_begin() of a loop
 * iteration opens one transaction (and calls opened(), which arranges for
 * store_group_commit() at the end of the iteration); each change is a
 * savepoint in it, so a refused change rolls back alone.  A change is
 * durable only when store_group_commit() returns 0; -1 means every change
 * of the group is gone.
 */
void	store_group_enable(struct store *, void (*opened)(void *), void *);
bool	store_group_open(const struct store *);
int	store_group_commit(struct store *);
uint64_t store_changes(const struct store *);	/* changes made so far */
/*
 * Figures kept beside the data for GET /metrics, so that no scrape reads
 * the database: seeded by store_open() (the tickets: 0, counted since the
 * start), moved by store_figure_add() inside a change, and shown as
 * committed: a change's moves count once its group commits, and are
 * dropped with it if it rolls back.
 */
enum store_figure {
	SF_DELIVERIES_PENDING,		/* webhook deliveries pending */
	SF_FOLLOWUPS_OPEN,		/* complaints not closed */
	SF_FOLLOWUPS_OVERDUE,		/* of those, overdue */
	SF_TICKETS_ISSUED		/* + lane * RULE__COUNT + rule: since the start */
};
#define SF__COUNT	(SF_TICKETS_ISSUED + LANE__COUNT * RULE__COUNT)
void	store_figure_add(struct store *, int figure, int64_t delta);	/* in a change */
int64_t	store_figure(const struct store *, int figure);		/* as committed */
/* The highest number issued in the lane that day, 0 for none. */
int	store_last_number(struct store *, const char *date, enum lane, int *seq);
int	store_ticket_insert(struct store *, struct ticket *);	/* sets t_id */
int	store_ticket_update(struct store *, const struct ticket *);
struct ticket_event {
	int64_t			te_ticket_id;
	int			te_action;	/* enum ticket_action, or TICKET_EVENT_ISSUED */
	int64_t			te_at;
	const char		*te_terminal;	/* may be NULL */
	const char		*te_staff;
	int			 te_window;
	int			 te_from_lane;	/* -1: none */
	int			 te_to_lane;
	const char		*te_reason;
};
#define TICKET_EVENT_ISSUED	(-1)
int	store_ticket_event(struct store *, const struct ticket_event *);
int	store_window_save(struct store *, const struct window *);
int	store_window_delete(struct store *, int no);
/* A line of a window's history (window_events): kind "opened", "lanes",
 * "paused", "resumed" or "closed"; state "open", "paused" or "closed" after
 * it; w names the window, its terminal, staff and lanes. */
int	store_window_event(struct store *, const struct window *w, const char *kind,
	    const char *state, int64_t at);
/* A line of the self-service switch's history (selfservice_events). */
int	store_selfservice_event(struct store *, bool available, const struct actor *,
	    int64_t at);
int	store_setting_set(struct store *, const char *key, const char *value);
/* Caller frees *value (NULL when unset). */
int	store_setting_get(struct store *, const char *key, char **value);
/* Complaints (complaint.c).  _get returns 0, 1 when there is no such id, or -1. */
int	store_complaint_insert(struct store *, struct complaint *);	/* sets c_id */
int	store_complaint_update(struct store *, const struct complaint *);
int	store_complaint_get(struct store *, int64_t id, struct complaint *);
/* For other read connections (reports): the column list, and one row of it. */
struct sqlite3_stmt;
const char *store_complaint_columns(void);
void	store_complaint_row(struct sqlite3_stmt *, struct complaint *);
int	store_complaint_action(struct store *, const struct complaint *,
	    const struct complaint_action *);
int	store_complaint_history(struct store *, int64_t id,
	    void (*)(const struct complaint_action *, void *), void *);
int	store_complaint_next_due(struct store *, int64_t *at);	/* 0 when none */
/* Ids of complaints whose due passed before `at`, not yet overdue.  Caller frees *ids. */
int	store_complaints_due(struct store *, int64_t at, int64_t **ids, size_t *n);
/* When the ticket's survey was answered, 0 if it was not. */
int	store_survey_answered(struct store *, int64_t ticket_id, int64_t *at);
int	store_survey_insert(struct store *, int64_t ticket_id, int score, const char *reason,
	    int64_t at, const char *date, int64_t complaint_id);
int	store_outbox_add(struct store *, const char *event, const char *body, int64_t at,
	    int64_t complaint_id, int64_t *id);
/*
 * Retention (src/retention.c): the next closed complaints (closed before
 * closed_before, oldest first) and complaint-less surveys with a reason
 * (given before `before`) to erase, at most max; and erasing one, in the
 * open transaction: its customer, its survey's reason wherever they are
 * kept (the row, webhook bodies, request-key fingerprints), erased_at = at.
 */
int	store_erase_due_complaints(struct store *, int64_t closed_before, int64_t *ids,
	    size_t max, size_t *n);
int	store_erase_due_surveys(struct store *, int64_t before, int64_t *ids,
	    int64_t *ticket_ids, size_t max, size_t *n);
int	store_erase_complaint(struct store *, int64_t id, int64_t at);
int	store_erase_survey(struct store *, int64_t id, int64_t ticket_id, int64_t at);
/*
 * PROTOCOL 1.1 request_key: a terminal's key for one request on one business
 * day, and the fingerprint of the request's fields (fields_fingerprint).
 * The domain writes it with what the request created, in its transaction.
 */
#define REQUEST_KEY_MAX		64	/* characters */
#define FINGERPRINT_LEN		64	/* hex SHA-256 */
struct request_key {
	const char	*rk_terminal;
	char		 rk_date[BQ_DATE_LEN];
	const char	*rk_key;
	const char	*rk_op;
	char		 rk_fingerprint[FINGERPRINT_LEN + 1];
};
/* What the key's first request was and created, as stored. */
struct request_key_row {
	char		 kr_op[32];
	char		 kr_fingerprint[FINGERPRINT_LEN + 1];
	int64_t		 kr_ticket_id;		/* 0: none */
	int64_t		 kr_complaint_id;	/* 0: none */
	char		 kr_ticket_date[BQ_DATE_LEN];	/* the ticket's, "" for none */
	char		 kr_ticket_number[BQ_NUMBER_LEN];
	int		 kr_printed;	/* the first reply's "printed"; -1: it had none */
};
/* 0, 1 when the terminal has not used the key that day, or -1. */
/* HTTP sessions (http-session.c): ids and tokens are SHA-256 hashes. */
struct websession_row {
	char		wr_terminal[BQ_ID_LEN + 1];
	unsigned char	wr_token_sha256[32];
	int64_t		wr_created_at, wr_expires_at;
};
int	store_websession_insert(struct store *, const unsigned char id[32], const char *terminal,
	    const unsigned char token[32], int64_t created_at, int64_t expires_at);
int	store_websession_get(struct store *, const unsigned char id[32],
	    struct websession_row *);	/* 0, 1 when there is none, -1 */
int	store_websession_delete(struct store *, const unsigned char id[32]);
/* The expired, and the terminal's beyond its `keep` newest; never `kept`. */
int	store_websession_prune(struct store *, const unsigned char kept[32], const char *terminal,
	    int64_t now, int keep);
int	store_websession_each(struct store *, void (*)(const unsigned char id[32],
	    const char *terminal, const unsigned char token[32], void *), void *);
int	store_request_key_get(struct store *, const struct request_key *,
	    struct request_key_row *);
/* printed: the reply's "printed" (0 or 1), -1 for none. */
int	store_request_key_insert(struct store *, const struct request_key *, int64_t ticket_id,
	    int64_t complaint_id, int64_t at, int printed);
/* Webhook deliveries (webhook.c). */
enum delivery_state { DS_PENDING, DS_DELIVERED, DS_FAILED, DS__COUNT };
#define DELIVERY_KEY_LEN	36	/* a UUID */
#define DELIVERY_ERROR_LEN	255
struct delivery {
	int64_t			dv_id;
	int64_t			dv_outbox_id;
	char			dv_event[32];
	char			dv_receiver[2049];	/* the URL */
	char			dv_key[DELIVERY_KEY_LEN + 1];
	enum delivery_state	dv_state;
	int			dv_attempts;
	int64_t			dv_next_at;
	int64_t			dv_retry_from;
	int64_t			dv_last_attempt_at;	/* 0: none */
	int			dv_last_status;		/* 0: no HTTP status */
	char			dv_last_error[DELIVERY_ERROR_LEN + 1];
	int64_t			dv_delivered_at;
	int64_t			dv_created_at;
	char			*dv_body;	/* store_delivery_head only; owner frees */
};
int	store_delivery_add(struct store *, const struct delivery *);
int	store_delivery_pending_count(struct store *, const char *receiver, int64_t *n);
/* The receiver's oldest pending delivery with its body: 0, 1 when none, or -1. */
int	store_delivery_head(struct store *, const char *receiver, struct delivery *);
/* Writes dv's state and attempt counters, and one delivery_attempts row. */
int	store_delivery_attempt(struct store *, const struct delivery *, int status,
	    const char *error, int64_t duration_ms);
int	store_delivery_update(struct store *, const struct delivery *);
int	store_delivery_get(struct store *, int64_t id, struct delivery *);	/* 0, 1, -1 */
/* Newest first; states is a mask of 1 << enum delivery_state. */
int	store_deliveries_list(struct store *, unsigned states, int64_t limit,
	    void (*)(const struct delivery *, void *), void *);
int	store_delivery_counts(struct store *, int64_t counts[DS__COUNT]);
/* Receivers with pending deliveries.  Caller frees each and the array. */
int	store_delivery_receivers(struct store *, char ***urls, size_t *n);
int	store_delivery_abandon(struct store *, const char *receiver, const char *error);
/* Start-up: every ticket of `today` and every unfinished older one, the
 * windows, and recent service times, into the queue. */
int	store_load(struct store *, struct queue *, const char *today);

/* ---- printer.c: kiosks' receipt printers, ESC/POS over TCP from the loop ---- */
/*
 * PROTOCOL "Kiosk printers".  A ticket's receipt is rendered (a pure
 * function: receipt_render) and queued on its kiosk's printer only when
 * printer_ready() said yes; it is written to the socket only after the
 * group commit that stored the ticket (printer_group_done, the barrier's).
 */
#define RECEIPT_MAX		2048	/* bytes of one rendered receipt, at most */
#define PRINTER_MAX_JOBS	32	/* queued per printer, written or not ... */
#define PRINTER_MAX_BYTES	(64 * 1024)	/* ... and their bytes */
struct receipt {
	const char		*rc_branch;
	const char		*rc_number;
	enum lane		 rc_lane;
	enum ticket_status	 rc_status;	/* waiting or diverted */
	enum route_rule		 rc_rule;
	long			 rc_ahead;	/* waiting: people before it */
	int64_t			 rc_wait_s;	/* waiting: the estimate */
	int64_t			 rc_issued_at;
};
/* ESC/POS, Chinese in GB18030 through cd (iconv_open("GB18030", "UTF-8")):
 * its length, at most outlen (text that does not fit is cut; invalid UTF-8
 * becomes "?"). */
size_t	receipt_render(const struct receipt *, void *cd, unsigned char *out, size_t outlen);
struct printer;
/* Start-up, before the loop: iconv opened (gconv modules are read from disk)
 * and a connection started for each kiosk printer of the configuration. */
void	printer_init(struct event_base *, const struct config *);
/* A reloaded configuration: printers added, moved or removed; the others
 * keep their connection and queue. */
void	printer_config_changed(const struct config *);
void	printer_free(void);
struct printer *printer_find(const char *terminal);	/* NULL: it has none */
/* Whether a receipt queued now is accepted: the connection up, room in the
 * queue.  Then printer_print() of one receipt cannot be refused. */
bool	printer_ready(struct printer *);
/* held: the ticket's group is not committed yet (printer_group_done tells). */
void	printer_print(struct printer *, const struct receipt *, bool held);
/* The barrier's, after each group commit: held receipts out, or dropped. */
void	printer_group_done(bool committed);

/* ---- hq.c: the head office's relay, libpq on the loop (docs/HEADOFFICE.md) ---- */
/*
 * The branch's event log (hq_events, sql/014) shipped to head office's
 * PostgreSQL in order, one batch in flight, through libpq's asynchronous
 * interface; its own SQLite connection on db_path; no global state (a
 * process may run many on one event_base).  Uses clock_now() for the
 * events' age: the daemon clock, or the real clock when clock_init() was
 * never called with a test clock.
 */
#define HQ_DEFAULT_KEEP_DAYS	7	/* shipped events kept this long */
#define HQ_DEFAULT_BATCH_EVENTS	1000
#define HQ_DEFAULT_RETRY_MAX_S	60
/* A batch may wait its turn behind every other branch's at head office's
 * pooler: after an outage 1,000 branches' batches of 1,000 events queue
 * about 30 s at the 35,000 events a second measured (docs/HEADOFFICE.md
 * "Many branches"), so four times that before a relay gives up. */
#define HQ_DEFAULT_TIMEOUT_S	120
#define HQ_UNSHIPPED_KEEP_DAYS	7	/* no head office: every event kept this long */
#define HQ_REGION_MAX		64	/* bytes */
struct event_base;
struct evdns_base;
struct hq_settings {			/* from config's "hq", or built by the bench */
	const char	*hs_branch, *hs_region, *hs_conninfo;	/* conninfo NULL: ship nothing */
	int		 hs_keep_days, hs_batch_events, hs_retry_max_s, hs_timeout_s;	/* <= 0: default */
	int		 hs_target_wait_s;	/* the branch's target_wait_s, sent with each batch */
};
struct hq_status {
	bool	hst_shipping;		/* a head office is configured */
	int64_t	hst_backlog;		/* events committed, not yet acknowledged */
	int64_t	hst_lag_s;		/* now - at of the oldest unacknowledged event; 0 if none */
	bool	hst_connected;
	int64_t	hst_acked_seq, hst_last_seq, hst_batches, hst_events, hst_failures;
	int64_t	hst_pruned;		/* events deleted from the log since open */
	int64_t	hst_longest_step_ns;	/* the longest the relay held the loop in one callback */
	int64_t	hst_longest_step_cpu_ns;	/* the most CPU one callback used (its own work) */
};
struct hq_relay;
/* NULL and why in err: the database cannot be opened or has no hq_events.
 * dns may be NULL when the conninfo names no host to look up. */
struct hq_relay *hq_relay_open(struct event_base *, struct evdns_base *, const char *db_path,
	    const struct hq_settings *, char *err, size_t errlen);
void	hq_relay_kick(struct hq_relay *);	/* events were committed: ship soon */
/* SIGHUP: another conninfo, region or branch connects again; NULL (or no
 * conninfo) stops shipping and leaves only the 7-day prune. */
void	hq_relay_configure(struct hq_relay *, const struct hq_settings *);
void	hq_relay_status(const struct hq_relay *, struct hq_status *);	/* no I/O */
void	hq_relay_close(struct hq_relay *);	/* NULL-safe */

/* ---- backup.c: online copies of the database, on a worker thread ---- */
/*
 * docs/OPERATIONS.md "Back up".  A copy is made by a worker thread from a
 * read transaction begun after it was asked for, checked (PRAGMA
 * integrity_check), synced and renamed into --backup-dir; the loop only
 * hands the job over and takes the result back.  Daily at backup_at (the
 * daemon clock), and on demand; the newest backup_keep copies of each
 * kind are kept.
 */
enum backup_kind { BACKUP_DAILY, BACKUP_ONDEMAND };
#define BACKUP_NAME_LEN		64	/* "branchq-2026-12-06T023000-ondemand.db" */
struct backup_result {
	enum backup_kind br_kind;
	char		 br_file[BACKUP_NAME_LEN];	/* its name in the directory */
	int64_t		 br_started_at;		/* asked for (daemon clock) */
	int64_t		 br_finished_at;	/* back on the loop */
	bool		 br_ok;
	int64_t		 br_bytes;
	int64_t		 br_ms;			/* the worker's time, all told */
	char		 br_integrity[16];	/* "ok" */
	char		 br_err[256];		/* !br_ok: why (nothing was kept) */
};
/* dir NULL: backups are off (no daily copy; backup_enabled() false).  Else
 * dir must be a writable directory (err names --backup-dir otherwise); the
 * worker starts and the daily copy is armed. */
int	backup_start(struct event_base *, const char *db_path, const char *dir,
	    const struct config *, char *err, size_t errlen);
/* backup_at and backup_keep (again, after a reload): the daily copy re-armed. */
void	backup_configure(const struct config *);
void	backup_stop(void);	/* the copy under way ends; done() of the rest told */
bool	backup_enabled(void);
/* A copy on demand, by the terminal `by`; done(result, arg) on the loop when
 * it is made or has failed.  -1 when one is under way or waiting: busy
 * says which (br_kind, br_file, br_started_at). */
int	backup_request(const char *by, void (*done)(const struct backup_result *, void *),
	    void *arg, struct backup_result *busy);
/* For the metrics: the last good copy's finish (0: none yet), failures
 * since start, the last good copy's size. */
int64_t	 backup_last_ok_at(void);
uint64_t backup_failures(void);
int64_t	 backup_last_bytes(void);

/* ---- branch.c: the daemon's state, shared by the domain operations ---- */

struct actor {
	const char	*a_terminal;
	enum role	 a_role;
	const char	*a_staff;	/* "" for kiosks and displays */
};
/* Hooks the domain calls after a commit; events.c implements them. */
struct branch_hooks {
	void	(*bh_ticket_called)(const struct ticket *, int window, int64_t at, bool recall);
	void	(*bh_queue_changed)(void);
	/* PROTOCOL 1.1: the business day `date` ended (its tickets are closed). */
	void	(*bh_day_ended)(const char *date);
	/* complaint.logged, followup.overdue, followup.recorded (outcome set). */
	void	(*bh_complaint)(const char *event, const struct complaint *, const char *outcome);
	/* The JSON body of a webhook event, for the outbox.  Caller frees. */
	char	*(*bh_webhook_body)(const char *event, const struct complaint *,
		    const char *survey_ticket, int survey_score, const char *survey_reason);
};
struct branch {
	const struct config	*b_cfg;
	struct store		*b_store;
	struct queue		 b_queue;
	bool			 b_self_service_available;
	char			 b_today[BQ_DATE_LEN];
	char			 b_day_ending[BQ_DATE_LEN];	/* its end under way, or "" */
	struct deadline		 b_day_end;
	bool			 b_day_end_failed;	/* the database refused it: retrying */
	struct deadline		 b_followup;	/* the next follow-up falling due */
	struct branch_hooks	 b_hooks;
	struct hq_relay		*b_hq;	/* the daemon's relay (branchqd.c), or NULL */
};
/*
 * One state change: a ticket and/or a window, as they will be after the
 * change, and the history line that records it.  branch_apply() writes it
 * in one transaction and only after COMMIT copies it into memory, so a
 * refused or failed change leaves memory and database as they were.
 */
struct change {
	struct ticket		*c_ticket;	/* NULL: no ticket changes */
	struct ticket		 c_ticket_next;
	struct window		*c_window;	/* NULL: no window changes */
	struct window		 c_window_next;	/* !w_open: the window closes */
	struct ticket_event	 c_event;
};
int	branch_apply(struct branch *, struct change *, struct bq_error *);
int	branch_open(struct branch *, const struct config *, struct store *,
	    struct branch_hooks, char *err, size_t errlen);
void	branch_close(struct branch *);
/* A reloaded configuration (SIGHUP), taken into what was copied from it. */
void	branch_set_config(struct branch *, const struct config *);
/* Memory rebuilt from the database: after a group commit failed. */
void	branch_reload(struct branch *);
/* Commits the loop iteration's changes; on failure rebuilds memory and
 * says why.  0 or -1. */
int	branch_group_commit(struct branch *, char *why, size_t whylen);
/* Business-day bookkeeping: called by the day-end deadline and at start-up. */
void	branch_day_end(void *branch);

/* ---- ticket.c: ticket operations (DOMAIN §1, §2) ---- */
struct issue_request {
	const struct request_key *ir_key;	/* NULL: none */
	enum service		ir_service;
	int64_t			ir_amount_fen;
	struct ticket_flags	ir_flags;
	int			ir_printed;	/* the reply's "printed" (0, 1), kept with
						 * ir_key; -1: the terminal has no printer */
};
int	ticket_issue(struct branch *, const struct actor *, const struct issue_request *,
	    struct ticket **out, struct bq_error *);
struct ticket *ticket_lookup(struct branch *, const char *number);	/* today's */
int	ticket_reroute(struct branch *, const struct actor *, const char *number,
	    enum lane to, const char *reason, struct ticket **out, struct bq_error *);
int	ticket_cancel(struct branch *, const struct actor *, const char *number,
	    struct ticket **out, struct bq_error *);
int	ticket_call_next(struct branch *, const struct actor *, struct ticket **out,
	    int *window, struct bq_error *);
/* recall, no_show, start, complete, transfer act on the ticket current at
 * the actor's window (any window for a supervisor). */
int	ticket_act(struct branch *, const struct actor *, enum ticket_action,
	    const char *number, enum lane to, struct ticket **out, struct bq_error *);
int	selfservice_set(struct branch *, const struct actor *, bool available,
	    struct bq_error *);

/* ---- window.c: counter windows ---- */
struct window *window_held_by(struct branch *, const char *terminal);
/* conflict: the window still has its current ticket (with error.detail).  -1. */
int	window_busy(struct bq_error *, const struct window *);
int	window_open(struct branch *, const struct actor *, int no,
	    const enum lane *lanes, int nlanes, struct window **out, struct bq_error *);
int	window_close(struct branch *, const struct actor *, struct window **out,
	    struct bq_error *);
int	window_pause(struct branch *, const struct actor *, bool paused,
	    struct window **out, struct bq_error *);

/* ---- webhook.c: webhook delivery, libcurl multi on the event loop ---- */
/*
 * The outbox holds the events; deliveries hold one row per event and
 * receiver, both written in the transaction of the change that caused
 * them.  Each receiver has at most one transfer under way, for its oldest
 * pending delivery, so deliveries reach it in the order of the events.
 */
extern const char *const delivery_state_names[];	/* NULL-terminated */
/* Whether any receiver wants the event. */
bool	webhook_wanted(const struct config *, const char *event);
/* In the caller's open transaction: a delivery for each receiver that wants
 * the outbox row's event.  Starts sending once the transaction is over. */
int	webhook_enqueue(struct store *, const struct config *, const char *event,
	    int64_t outbox_id);
int	webhook_start(struct event_base *, struct branch *, char *err, size_t errlen);
/* After a reload (b_cfg is new): receivers added and removed; the removed
 * ones' pending deliveries are marked failed, as at start-up. */
void	webhook_config_changed(size_t *added, size_t *removed);
void	webhook_stop(void);	/* abandons transfers under way: they stay pending */
/* A failed delivery pending again, from now.  -1 with err. */
int	webhook_retry(struct branch *, int64_t id, struct delivery *out, struct bq_error *);
void	webhook_hmac_hex(const char *secret, const char *body, size_t len, char out[65]);

/* ---- retention.c: personal data erased after retention_days (PIPL) ---- */
/* Arms the daily run (03:15 local) and one a minute after start-up. */
void	 retention_start(struct branch *);
/* For /metrics: complaints and surveys erased since start; the daemon-clock
 * time the last run ended, 0 before the first. */
uint64_t retention_erased_total(void);
int64_t	 retention_last_run_at(void);
/* The barrier's word on each group commit (barrier_on_group_done): a
 * batch counts once committed. */
void	 retention_group_done(bool committed);

#ifdef BQ_TEST_HOOKS
/* ---- faultvfs.c: database faults on demand (branchqd-test, --test-clock only) ---- */
/*
 * A VFS shim over the default VFS that makes writes to the database and its
 * WAL fail as a failing disk does.  Registered as the default VFS before the
 * database opens; test.fault switches the fault.
 */
enum db_fault {
	DBF_NONE,
	DBF_DISK_FULL,		/* xWrite: SQLITE_FULL */
	DBF_IO_ERROR,		/* xWrite: SQLITE_IOERR_WRITE */
	DBF_FSYNC_ERROR,	/* xSync: SQLITE_IOERR_FSYNC */
	DBF_READONLY,		/* xWrite, xTruncate: SQLITE_READONLY */
	DBF_CHECKPOINT_ERROR,	/* xWrite of the database file alone: SQLITE_IOERR_WRITE */
	DBF__COUNT
};
extern const char *const db_fault_names[];	/* NULL-terminated */
int		faultvfs_register(char *err, size_t errlen);
/* Switches the fault; returns how many calls failed since the last switch,
 * or -1 when the VFS is not registered. */
long		faultvfs_set(enum db_fault);
enum db_fault	faultvfs_get(void);
#endif /* BQ_TEST_HOOKS */

/* ---- publish.c: pushed events to subscribers of any transport ---- */
/* enum topic and topic_names: names.h */
#define PUBLISH_RING		1000	/* PROTOCOL 1.1: events held for `since` */
#define PUBLISH_SEQ_BLOCK	10000	/* event numbers reserved in the database at a time */
/* Who hears an event beyond its topic's subscribers (PROTOCOL 1.1: followups). */
struct audience {
	unsigned	 au_roles;	/* ROLE_BIT mask: these roles hear it all */
	const char	*au_staff[2];	/* and these staff members; NULL: none */
};
struct subscriber {
	unsigned		 sb_topics;	/* 1 << enum topic */
	enum role		 sb_role;	/* who listens (subscriber_identify) */
	char			 sb_staff[BQ_ID_LEN + 1];
	/* The transport's: one event line (no newline) for this subscriber.
	 * It may remove the subscriber (a reader too slow to keep). */
	void			(*sb_deliver)(struct subscriber *, const char *line);
	/* The transport's: the bytes a replay may take (0: any); more is a reset. */
	size_t			 sb_replay_limit;
	struct subscriber	*sb_prev, *sb_next;
	bool			 sb_listed;
	bool			 sb_pending;	/* its replay waits for the group's end */
	int64_t			 sb_replay_after;
};
void	subscriber_add(struct subscriber *, void (*deliver)(struct subscriber *, const char *));
void	subscriber_remove(struct subscriber *);	/* safe when not added */
void	subscriber_identify(struct subscriber *, enum role, const char *staff);
void	subscriber_set_topics(struct subscriber *, unsigned topics);
/*
 * A subscription starts: the events after `since` (since < 0: none) the
 * subscriber may hear, then the state of its topics that have one, then
 * live events.  *reset when `since` cannot be replayed (older than the
 * ring, not one of ours, or more than sb_replay_limit).  Returns the seq
 * after which it gets every event it may hear.
 */
int64_t	subscriber_start(struct subscriber *, int64_t since, bool *reset);
bool	publish_wanted(enum topic);	/* anyone subscribed */
/* An event line (a JSON object: "seq" is added) to its topic's subscribers. */
void	publish(enum topic, const char *line);
void	publish_to(enum topic, const char *line, const struct audience *);	/* NULL: all */
/* The line a new subscriber of the topic gets after its replay (caller frees). */
void	publish_set_state(enum topic, char *(*line)(void *), void *arg);
int64_t	publish_seq(void);	/* the last event committed */
/* The sequence from the database (reserving numbers); the ring emptied. */
int	publish_open(struct store *, char *err, size_t errlen);
void	publish_close(void);
/* The barrier's: at each iteration's end, reserve numbers ahead if needed;
 * a group commit opened; its end (a failed one's events are taken back). */
void	publish_reserve(void);
void	publish_group_opened(void);
void	publish_group_done(bool committed);

/* ---- proto.c: one request line in, one reply line out ---- */
typedef struct cJSON cJSON;
struct session {
	const struct terminal_conf *s_term;	/* NULL until a successful hello */
	struct subscriber s_sub;		/* its topics; the transport adds it */
	/* The transport's: a reply that comes later (reports), to the session
	 * s_conn_id names if it is still there. */
	void		(*s_deliver)(uint64_t conn_id, const char *line);
	uint64_t	 s_conn_id;
	char		 s_peer[64];		/* "127.0.0.1:53422", for logs */
	/* The peer's address (IPv6: its /64), for the failed-hello throttle. */
	unsigned char	 s_addr[16];
	size_t		 s_addr_len;		/* 0: unknown */
	const char	*s_signin;		/* how to sign in, when not; NULL: hello */
};
enum field_type {
	FT_STRING,	/* fs_min..fs_max characters */
	FT_INT,		/* whole number fs_min..fs_max */
	FT_BOOL,
	FT_ENUM,	/* one of fs_values */
	FT_ENUM_LIST,	/* array of fs_min..fs_max distinct fs_values */
	FT_TOPIC_LIST,	/* array of distinct fs_values, may be empty */
	FT_NUMBER,	/* a ticket number: lane letter and 3 to 9 digits */
	FT_OBJECT,	/* fs_fields inside; unknown keys are refused */
};
struct field_spec {
	const char			*fs_name;
	enum field_type			 fs_type;
	bool				 fs_required;
	int64_t				 fs_min, fs_max;
	const char *const		*fs_values;
	const struct field_spec		*fs_fields;
};
struct op_ctx {
	struct branch		*x_branch;
	struct session		*x_session;
	const cJSON		*x_req;
	cJSON			*x_reply;	/* "id" and "ok" are in; add the rest */
	const struct request_key *x_key;	/* request_key given and new; NULL: none */
	struct actor		 x_actor;
	struct bq_error		 x_err;
};
#define OP_LATER	1	/* op_exec: the reply comes later */
#define OP_ANYONE	0x1	/* before hello too */
#define OP_BACKGROUND	0x2	/* its changes are the deadlines' work, not its own */
#define OP_TEST_CLOCK	0x4	/* branchqd-test with --test-clock only, else unknown_op */
#define R_KIOSK		ROLE_BIT(ROLE_KIOSK)
#define R_DISPLAY	ROLE_BIT(ROLE_DISPLAY)
#define R_TELLER	ROLE_BIT(ROLE_TELLER)
#define R_LOBBY		ROLE_BIT(ROLE_LOBBY)
#define R_SUPERVISOR	ROLE_BIT(ROLE_SUPERVISOR)
struct op_entry {
	const char		*op_name;
	unsigned		 op_roles;	/* ROLE_BIT mask */
	unsigned		 op_flags;
	const struct field_spec	*op_fields;	/* ends with fs_name NULL */
	/* 0; -1 with x_err; or OP_LATER: the handler took x_reply and the
	 * connection waits for proto_deliver(). */
	int			(*op_exec)(struct op_ctx *);
	/* Ops that take request_key (in op_fields): the reply to a retry of
	 * the request the key first came with, from what it created. */
	int			(*op_replay)(struct op_ctx *, const struct request_key_row *);
};
/*
 * The reply line (no trailing newline; caller frees), or NULL when it comes
 * later through the session's s_deliver.  *changed: the request changed
 * state, so its reply must become a refusal if the group commit fails.
 */
char	*proto_handle(struct branch *, struct session *, const char *line, size_t len,
	    bool *changed);
/* PROTOCOL HTTP: the op named by the path, its fields in the body (JSON). */
char	*proto_handle_op(struct branch *, struct session *, const char *name, const char *body,
	    size_t len, bool *changed);
char	*proto_error_line(enum err_code, const char *message);
/* Sign-ins other than hello (HTTP): the same throttle (seconds locked, or
 * 0), and a failure counted and logged. */
int64_t	proto_auth_locked(const struct session *);
void	proto_auth_failed(const struct config *, const struct session *, const char *terminal);

/* ---- fields.c: a request's fields, checked from the op table, then read ---- */
/* 0, or -1 with err naming the field; top-level unknown keys are let be. */
int		 fields_check(const cJSON *req, const struct field_spec *, struct bq_error *);
/* The fields' values in spec order (absent as null, objects likewise), but
 * `skip`, hashed: equal for the same fields however they were sent. */
void		 fields_fingerprint(const cJSON *req, const struct field_spec *,
		    const char *skip, char out[FINGERPRINT_LEN + 1]);
/* Field access in handlers, after the table validated the request. */
const char	*arg_str(const struct op_ctx *, const char *name);	/* NULL: absent */
int64_t		 arg_int(const struct op_ctx *, const char *name, int64_t absent);
bool		 arg_bool(const struct op_ctx *, const char *name, bool absent);
int		 arg_enum(const struct op_ctx *, const char *name, const char *const *values);
const cJSON	*arg_item(const struct op_ctx *, const char *name);
/* ---- json.c: JSON text, and the encoders replies and events share ---- */
/* One line, as cJSON_PrintUnformatted but faster; caller frees it. */
char	*json_print(const cJSON *);
char	*json_print_free(cJSON *);	/* one line; frees the tree; caller frees the line */
/* Encoders shared by replies and events.  Caller owns the result. */
cJSON	*json_time(int64_t at);		/* null for 0 */
cJSON	*json_ticket(const struct queue *, const struct ticket *);
cJSON	*json_ticket_printed(const struct queue *, const struct ticket *, int printed);
cJSON	*json_window(const struct queue *, const struct window *);
cJSON	*json_lanes(const struct queue *, int64_t now);
cJSON	*json_complaint(const struct complaint *, bool masked);
/* Replies: {"id":...,"ok":...}, and an error reply as a line (caller frees). */
cJSON	*json_reply_new(const cJSON *id, bool ok);
char	*json_error_reply(const cJSON *id, enum err_code, const char *message);
/* The same for an error with its detail, if any. */
char	*json_error_reply_detail(const cJSON *id, const struct bq_error *);
bool	 json_given_twice(const cJSON *obj, const char *name);	/* cJSON keeps both */
/* The reply to a request whose change a failed group commit took back:
 * unavailable, with the request's id.  Caller frees. */
char	*json_refusal(const char *request, size_t len, const char *why);
/* json.c: an object written straight to text, for encoders on the hot path.
 * Keys are literals with nothing to escape; values are escaped. */
struct jw {
	char	*w_buf;
	size_t	 w_len, w_cap;
	bool	 w_comma;	/* a member came before */
};
void	 jw_init(struct jw *);
void	 jw_open(struct jw *, const char *key);	/* key NULL: the outermost */
void	 jw_close(struct jw *);
void	 jw_str(struct jw *, const char *key, const char *);	/* NULL: null */
void	 jw_int(struct jw *, const char *key, int64_t);
void	 jw_int_or_null(struct jw *, const char *key, bool present, int64_t);
void	 jw_bool(struct jw *, const char *key, bool);
cJSON	*jw_finish(struct jw *);	/* the text as a raw item; w is spent */

/* ---- op-*.c: the operations, one descriptor each ---- */
/* op-session.c: a successful hello: the session is the terminal's, and so
 * are the events it hears. */
void	session_greet(struct session *, const struct terminal_conf *);
extern const struct op_entry op_hello_entry, op_ping_entry, op_subscribe_entry;
extern const struct op_entry op_ticket_issue_entry, op_ticket_status_entry,
	op_ticket_reroute_entry, op_ticket_cancel_entry, op_ticket_call_next_entry,
	op_ticket_recall_entry, op_ticket_no_show_entry, op_ticket_start_entry,
	op_ticket_complete_entry, op_ticket_transfer_entry;
extern const struct op_entry op_window_open_entry, op_window_close_entry,
	op_window_pause_entry, op_window_resume_entry;
extern const struct op_entry op_queue_snapshot_entry, op_selfservice_set_entry;
extern const struct op_entry op_complaint_log_entry, op_complaint_get_entry,
	op_complaint_action_entry, op_complaint_reassign_entry, op_complaint_resolve_entry,
	op_followup_record_entry, op_survey_submit_entry, op_complaint_list_entry;
extern const struct op_entry op_report_followups_entry, op_report_summary_entry,
	op_report_compensation_entry;
extern const struct op_entry op_webhook_deliveries_entry, op_webhook_retry_entry;
extern const struct op_entry op_backup_entry;	/* op-backup.c */
#ifdef BQ_TEST_HOOKS
extern const struct op_entry op_clock_advance_entry, op_test_fault_entry; /* op-test.c */
#endif

/* ---- websession.c: signed-in browsers (PROTOCOL HTTP) ---- */
#define WEBSESSION_COOKIE_LEN	64	/* hex of 32 random bytes */
int64_t	websession_lifetime_s(const struct config *, enum role);
/* A session for a terminal that signed in: the cookie's value, written
 * (through store_write, so in the open group).  0, or -1 with err. */
int	websession_create(struct branch *, const struct terminal_conf *,
	    char cookie[WEBSESSION_COOKIE_LEN + 1], int64_t *expires_at, struct bq_error *);
/* The terminal a cookie speaks for, or NULL (unknown, expired, its
 * terminal gone or its token changed). */
const struct terminal_conf *websession_find(struct branch *, const char *cookie,
	    int64_t *expires_at);
int	websession_end(struct branch *, const char *cookie, struct bq_error *);
/* Start-up: the sessions of terminals removed or with a new token, deleted. */
int	websession_prune(struct branch *, char *err, size_t errlen);
/* After a reload: also the sessions of terminals old had and the new
 * configuration changed (config_terminal_successor); 0 or -1, logged. */
int	websession_config_changed(struct branch *, const struct config *old);

/* ---- events.c: the domain's hooks as event lines, queue changes coalesced ---- */
#define EVENTS_QUEUE_INTERVAL_MS	200	/* PROTOCOL: at most 5 per second */
void	events_init(struct event_base *, struct branch *);
void	events_free(void);
struct branch_hooks events_hooks(void);

/* ---- barrier.c: no reply or event before its commit, any transport ---- */
/*
 * An outlet is where one session's lines go: the transport fills in
 * o_write (one line, without its newline, written or queued now) and
 * optionally o_released (everything held was written or dropped); the
 * rest is the barrier's.
 */
struct held;
struct outlet {
	void		(*o_write)(struct outlet *, const char *line);
	void		(*o_released)(struct outlet *);	/* may free the outlet */
	struct held	 *o_held;	/* waiting for the commit, in order */
	size_t		  o_nheld, o_capheld, o_held_bytes;
	struct outlet	 *o_held_next;
	bool		  o_held_listed;
	char		 *o_own;	/* events of its own request: after the reply */
	size_t		  o_own_len, o_own_cap;
};
/* Turns group commit on; the end of each loop iteration commits. */
void	barrier_init(struct event_base *, struct branch *);
void	barrier_free(void);	/* commits what is pending */
/* A transport's writer, run at the end of every iteration after the commit. */
void	barrier_on_flush(void (*)(void));
/* Told whether each group committed, after its lines were released: output
 * of one's own that tells of the group's changes (the kiosks' receipts). */
void	barrier_on_group_done(void (*)(bool committed));
void	barrier_wake(void);	/* run the iteration's end before the loop polls */
void	barrier_emit(struct outlet *, const char *line, bool event);
/* Around one request: its reply (taken; NULL when it comes later), then the
 * events it raised for its own outlet.  request: the line, when it changed
 * state (refused if the commit fails), else NULL. */
void	barrier_request_start(struct outlet *);
void	barrier_request_end(struct outlet *, char *reply, const char *request);
size_t	barrier_pending(const struct outlet *);	/* bytes held back */
bool	barrier_holding(const struct outlet *);
void	barrier_forget(struct outlet *);	/* its held lines dropped; zeroed */
/* Commits the iteration's changes now and releases what waited for them. */
void	barrier_commit_now(void);

/* ---- tls.c: TLS for both listeners ---- */
/*
 * --tls-cert/--tls-key: TLS 1.2 and later, through bufferevent_openssl; the
 * transports see only bufferevents.  A reload gives new connections the
 * files as they are now; open connections keep what they were given.
 */
struct bufferevent;
/* 0, or -1 with one line naming the flag and file in err.  Loads cert and key (TLS 1.2+ only).
 * Both NULL: TLS stays off (0); one without the other is an error. */
int	tls_init(const char *cert, const char *key, char *err, size_t errlen);
bool	tls_enabled(void);
/* SIGHUP: the files read again; on failure the old ones stay and err says why. */
int	tls_reload(char *err, size_t errlen);
/* For the log: "cert=F key=F subject=S not_after=T" (and " expired=yes"). */
void	tls_describe(char *buf, size_t len);
/* A bufferevent for an accepted socket: TLS (accepting) when enabled, else a plain
 * socket bufferevent; options as for bufferevent_socket_new (BEV_OPT_CLOSE_ON_FREE...).
 * NULL on failure (the fd is then closed).  fd may be -1 (evhttp's bevcb sets it
 * later).  Under TLS, BEV_OPT_CLOSE_ON_FREE also frees the SSL (without it, nothing
 * does); a client that closes without close_notify is an ordinary EOF. */
struct bufferevent *tls_accept_bufferevent(struct event_base *, evutil_socket_t fd, int options);
/* For a log line: why a TLS connection failed (the OpenSSL error queue, drained), or NULL.
 * The text lives until the next call. */
const char *tls_error(struct bufferevent *);
/* Before shutting the write side of a TLS connection whose output is written: the
 * close_notify that tells the peer this is the end, not a cut.  Nothing on a plain one. */
void	tls_close_notify(struct bufferevent *);
void	tls_free(void);

/* ---- net.c: addresses and sockets, for both listeners ---- */
struct sockaddr;
struct sockaddr_storage;
void	net_peer_name(const struct sockaddr *, char *buf, size_t len);
size_t	net_peer_key(const struct sockaddr *, unsigned char out[16]);	/* its length; 0: none */
/* "HOST:PORT" or "[V6]:PORT", numeric, port 0 to 65535 (0: any free port): 0 or -1. */
int	net_parse_listen(const char *listen, struct sockaddr_storage *, int *len);
int	net_port(const struct sockaddr_storage *);	/* of a parsed address */
void	net_sockopts(int fd);	/* an accepted socket's buffer and keepalive */

/* ---- webfiles.c: the pages' files, built in (web/embed.sh) ---- */
struct webfile {
	const char		*wf_path;	/* "/", "/kiosk", "/lib/base.css" */
	const char		*wf_type;	/* Content-Type */
	const char		*wf_etag;	/* quoted */
	size_t			 wf_len;
	const unsigned char	*wf_data;
};
const struct webfile	*webfile_find(const char *path, size_t len);	/* NULL: none */

/* ---- http-parse.c: an HTTP/1.1 request head, parsed (pure) ---- */
#define HTTP_MAX_HEAD		8192	/* PROTOCOL HTTP: 8 KiB of headers */
#define HTTP_MAX_BODY		65536	/* PROTOCOL HTTP: 65,536-byte bodies */
#define HTTP_MAX_HEADERS	64
enum http_method { HM_GET, HM_HEAD, HM_POST, HM_PUT, HM_DELETE, HM_OPTIONS, HM_PATCH, HM_OTHER };
#define HM_BIT(m)	(1u << (m))
struct http_header { const char *hh_name, *hh_value; };
struct http_head {
	enum http_method	 hd_method;
	const char		*hd_method_name;
	const char		*hd_target;	/* as sent: path and query */
	const char		*hd_path;	/* hd_path_len bytes of hd_target */
	size_t			 hd_path_len;
	const char		*hd_query;	/* after '?', or NULL */
	int			 hd_minor;	/* HTTP/1.hd_minor */
	struct http_header	 hd_headers[HTTP_MAX_HEADERS];
	size_t			 hd_nheaders;
	int64_t			 hd_content_length;	/* -1: none */
	bool			 hd_transfer_encoding;
	bool			 hd_close;	/* the client's last request on this connection */
	bool			 hd_keep_alive;
};
/* The head in buf (len bytes up to and including its empty line; changed in
 * place, pointed into): 0, or the status to refuse it with, err saying why. */
int		 http_parse_head(char *buf, size_t len, struct http_head *, char *err,
		    size_t errlen);
const char	*http_head_get(const struct http_head *, const char *name);	/* NULL: absent */
bool		 http_path_is(const struct http_head *, const char *path);
bool		 http_list_has(const char *value, const char *token);
/* A query parameter, percent-decoded into out: 1, 0 when absent, -1 when
 * malformed or longer than outlen. */
int		 http_query_get(const struct http_head *, const char *name, char *out,
		    size_t outlen);

/* ---- http.c: the HTTP/1.1 listener and its connections ---- */
/*
 * One request at a time per connection, handed to the handler given to
 * http_listen() once its head and body are in.  The handler answers it
 * now or later with http_respond(), or turns it into an endless stream
 * (http_stream_start).  Until then the request (and its connection) stay.
 */
struct http_conn;
struct http_request {
	struct http_head	 hr_head;
	const char		*hr_body;	/* hr_body_len bytes, NUL after them */
	size_t			 hr_body_len;
	bool			 hr_tls;
	uint64_t		 hr_id;		/* unique while the daemon runs */
	char			 hr_peer[64];	/* for logs */
	unsigned char		 hr_addr[16];	/* the peer's address (IPv6: its /64) */
	size_t			 hr_addr_len;
	/* The handler's: a stream's connection went (the client, a slow reader,
	 * the shutdown); the request is freed after it returns. */
	void			(*hr_closed)(struct http_request *);
	void			*hr_arg;	/* the handler's */
	struct http_conn	*hr_conn;
};
struct http_limits {
	int	hl_max_connections;
	int	hl_request_s;		/* a request must arrive within this */
	int	hl_write_timeout_s;	/* output that does not move */
};
int	http_listen(struct event_base *, const char *listen, const struct http_limits *,
	    void (*handler)(struct http_request *), char *bound, size_t boundlen,
	    char *err, size_t errlen);
/* The response (headers: NULL or "Name: value\r\n" lines).  HEAD gets no body. */
void	http_respond(struct http_request *, int status, const char *content_type,
	    const char *body, size_t len, const char *headers);
void	http_stream_start(struct http_request *, const char *content_type, const char *headers);
void	http_stream_write(struct http_request *, const char *, size_t);
size_t	http_stream_pending(const struct http_request *);	/* bytes not yet sent */
void	http_stream_close(struct http_request *, const char *reason);	/* calls hr_closed */
/* Stop accepting; streams end; answers under way go out; then done(). */
void	http_shutdown(void (*done)(void));
void	http_free(void);
int	http_connections(void);	/* open now, streams included */

/* ---- http-api.c: what the HTTP paths mean (PROTOCOL HTTP) ---- */
void	http_api_init(struct event_base *, struct branch *);
void	http_api_handle(struct http_request *);	/* http_listen()'s handler */
void	http_api_free(void);
/* A reloaded configuration: event streams of removed or changed terminals
 * end (and their browsers' sessions), the others go on. */
void	http_api_config_changed(const struct config *old);

/* ---- server.c: TCP, line framing, connections ---- */
/* Descriptors kept aside from connections: database, reports, libevent,
 * stdio; webhooks need one more each (cf_nwebhooks). */
#define BQ_FD_RESERVE	64
int	server_listen(struct event_base *, struct branch *, const char *listen,
	    char *bound, size_t boundlen, char *err, size_t errlen);
/* Stop accepting and reading; calls done() when every reply is written. */
void	server_shutdown(void (*done)(void));
void	server_free(void);
int	server_connections(void);	/* open now */
/* A reloaded configuration: each signed-in connection now speaks for the
 * same terminal in it, or ends if that terminal was removed or changed. */
void	server_config_changed(const struct config *);

/* ---- reload.c: SIGHUP, the configuration file read again ---- */
/* live (allocated, owned from now on) is b's; path NULL: the demo one. */
void	reload_init(struct branch *, struct config *live, const char *path);
int	reload_run(void);	/* 0, or -1: the file was refused */
void	reload_free(void);

#endif /* BRANCHQ_H */
