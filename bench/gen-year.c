/*
 * gen-year: fills a branchqd database with a year of a busy branch, for the
 * report benchmark (bench/report-bench.sh, docs/PERFORMANCE.md).
 *
 *   gen-year --db FILE [--tickets N] [--complaints N] [--days N]
 *            [--start YYYY-MM-DD] [--now RFC3339] [--seed N]
 *            [--timezone TZ] [--check] [--quiet]
 *
 * FILE must be a database that branchqd created (so the schema is the
 * daemon's own, migrations and all) and that holds no ticket yet.  Rows are
 * written as the daemon writes them (src/store.c), and they come from a
 * simulation of the branch that uses the daemon's own rules: the router
 * (route_decide), the lanes and "call next" (src/queue.c), the complaint
 * state machine and deadlines (src/recovery.c).  Every day the branch
 * issues tickets from 09:00 to 17:00 local time; windows call, recall,
 * start, complete, transfer and mark no-shows; the lobby reroutes and
 * cancels; diverted tickets left at the machines expire at midnight, as the
 * daemon's day end does.  Complaints are logged at the counter, in the
 * lobby, by phone, letter and online, and by detractor surveys; each lives
 * its life (apology ... resolve, follow-ups on time or late, reopened,
 * reassigned, compensated within authority) up to --now, the moment the
 * benchmark's daemon will start at: what has not happened by then has not
 * happened, and a complaint whose deadline passed is overdue with its
 * "overdue" line, as the daemon's deadline would have made it.
 *
 * Deterministic: one seeded PRNG, no clock.  One transaction, prepared
 * statements, no journal while it runs (a failed run leaves a database to
 * delete), WAL again at the end.  Prints key=value counts on stdout.
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sqlite3.h>

#include "branchq.h"

/* The configuration the benchmark runs with (bench/report-bench.sh). */
#define CASH_THRESHOLD_FEN	2000000
#define TRANSFER_THRESHOLD_FEN	5000000
#define EXPRESS_CASH_FEN	5000000
#define MAX_RECALLS		2
#define FOLLOW_UP_HOURS		24
#define DEFAULT_SERVICE_S	300
#define NTELLERS		40	/* E1001..E1040 at T01..T40 */
#define MAX_WINDOWS		40
#define ACCESSIBLE_WINDOW	1

#define OPEN_AT_S	(9 * 3600)	/* local time of day */
#define ISSUE_END_S	(17 * 3600)

static const char *const kiosks[] = { "K01", "K02", "K03", "K04" };
static const char *const lobby_terms[] = { "L01", "L02" };
static const char *const lobby_staff[] = { "E2001", "E2002" };
static const char *const supervisors[] = { "E9001", "E9002" };
#define DUTY_SUPERVISOR	"E9001"

static char	teller_staff[NTELLERS][8];
static char	teller_term[NTELLERS][8];
static double	teller_speed[NTELLERS];

/* ---- the PRNG: splitmix64, one stream for everything ---- */

static uint64_t	rng;

static uint64_t
rnd64(void)
{
	uint64_t	z = (rng += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static double
urand(void)	/* [0, 1) */
{
	return (double)(rnd64() >> 11) * 0x1.0p-53;
}

static int64_t
rrange(int64_t lo, int64_t hi)	/* inclusive */
{
	return lo + (int64_t)(rnd64() % (uint64_t)(hi - lo + 1));
}

static bool
chance(double p)
{
	return urand() < p;
}

static double
gauss(void)
{
	double	u = urand(), v = urand();

	return sqrt(-2.0 * log(1.0 - u)) * cos(2.0 * M_PI * v);
}

static int
pick(const double *w, int n)
{
	double	sum = 0, x;
	int	i;

	for (i = 0; i < n; i++)
		sum += w[i];
	x = urand() * sum;
	for (i = 0; i < n - 1; i++) {
		if (x < w[i])
			return i;
		x -= w[i];
	}
	return n - 1;
}

#define PICK(w)	pick((w), (int)(sizeof (w) / sizeof (w)[0]))

static const char *
pick_str(const char *const *v, size_t n)
{
	return v[rnd64() % n];
}

#define PICK_STR(v)	pick_str((v), sizeof (v) / sizeof (v)[0])

/* ---- what customers come for ---- */

/* Mean start -> complete, seconds, per service (enum service order). */
static const double service_mean_s[SERVICE__COUNT] = {
	150, 200, 240, 900, 420, 1200, 1500, 480, 360
};
static const double service_mix[SERVICE__COUNT] = {
	27, 16, 17, 6, 11, 3, 5, 3, 12
};

static int64_t
round_to(int64_t v, int64_t unit)
{
	return v < unit ? unit : v / unit * unit;
}

static int64_t
log_uniform(double lo, double hi)
{
	return (int64_t)exp(log(lo) + urand() * (log(hi) - log(lo)));
}

static int64_t
sample_amount(enum service s)
{
	double	x = urand();

	if (s == SERVICE_CASH_WITHDRAWAL || s == SERVICE_CASH_DEPOSIT) {
		/* Withdrawals in whole hundreds of yuan; deposits to the yuan. */
		int64_t unit = s == SERVICE_CASH_WITHDRAWAL ? 10000 : 100;

		if (x < 0.02)
			return CASH_THRESHOLD_FEN;	/* DOMAIN §1: "以下" is inclusive */
		if (x < 0.62)
			return round_to(log_uniform(10000, CASH_THRESHOLD_FEN), unit);
		if (x < 0.82)
			return round_to(log_uniform(CASH_THRESHOLD_FEN + 1, EXPRESS_CASH_FEN), unit);
		return round_to(log_uniform(EXPRESS_CASH_FEN + 1, 50000000), unit);
	}
	if (x < 0.02)
		return TRANSFER_THRESHOLD_FEN;
	if (x < 0.57)
		return log_uniform(100000, TRANSFER_THRESHOLD_FEN);
	return log_uniform(TRANSFER_THRESHOLD_FEN + 1, 200000000);
}

static bool
is_cash(enum service s)
{
	return s == SERVICE_CASH_WITHDRAWAL || s == SERVICE_CASH_DEPOSIT;
}

/* ---- rows on their way to the database ---- */

struct gevent {			/* a ticket_events row */
	int64_t		 ge_at;
	uint64_t	 ge_seq;	/* ties keep the order they happened in */
	int64_t		 ge_ticket;
	const char	*ge_kind;
	const char	*ge_terminal;
	const char	*ge_staff;
	int		 ge_window;
	int		 ge_from, ge_to;	/* lanes, -1: none */
	const char	*ge_reason;
};

struct gaction {		/* a complaint_actions row */
	int64_t		 ga_at;
	uint64_t	 ga_seq;
	int64_t		 ga_complaint;
	enum complaint_step ga_step;
	const char	*ga_actor;
	const char	*ga_note;
	int64_t		 ga_amount_fen;
	const char	*ga_to_staff;
	int		 ga_on_time;	/* -1: not a follow-up */
};

struct gcomplaint {
	int64_t		 gc_id;
	enum complaint_state gc_state;
	int		 gc_category, gc_severity;
	const char	*gc_channel;
	char		 gc_description[256];
	int64_t		 gc_ticket_id;
	char		 gc_ticket_number[BQ_NUMBER_LEN];
	char		 gc_name[32], gc_phone[16];
	const char	*gc_first_responder, *gc_owner;
	int64_t		 gc_logged_at, gc_due;
	char		 gc_date[BQ_DATE_LEN];
	bool		 gc_overdue, gc_survey;
	const char	*gc_resolution;
	int		 gc_root_cause;
	int64_t		 gc_resolved_at, gc_closed_at, gc_compensation_fen;
	size_t		 gc_survey_idx;	/* the survey that opened it */
};

struct gsurvey {
	int64_t		 gs_ticket;
	int		 gs_score;
	const char	*gs_reason;
	int64_t		 gs_at;
	int64_t		 gs_complaint;
};

/* A ticket's plan, beside the daemon's struct ticket (owned by the queue). */
struct gticket {
	struct ticket	*gt_t;
	int64_t		 gt_patience_s;	/* waits longer than this: gone when called */
	bool		 gt_walks_away;	/* gone when called, whatever the wait */
};

enum sim_kind {
	SK_ARRIVAL, SK_CALL, SK_VISIT_END, SK_REROUTE, SK_CANCEL, SK_PAUSE, SK_RESUME,
	SK_SS_DOWN, SK_SS_UP
};

struct sim_ev {
	int64_t		se_at;
	uint64_t	se_seq;
	enum sim_kind	se_kind;
	int		se_arg;
};

struct gwindow {
	bool		 gw_idle;	/* found nothing to call: woken by a new ticket */
	bool		 gw_pause_pending;
	int		 gw_teller;
	int64_t		 gw_last_at;	/* the last visit ended */
	/* the visit under way */
	enum ticket_action gw_end;	/* TA_COMPLETE, TA_NO_SHOW or TA_TRANSFER */
	enum lane	 gw_to;
};

struct arrival {
	int64_t			ar_at;
	struct route_request	ar_req;
	bool			ar_by_lobby;
};

#define VEC(type, name)	struct { type *v; size_t n, cap; } name

#define VEC_PUSH(vec, item) do {					\
	if ((vec).n == (vec).cap) {					\
		(vec).cap = (vec).cap ? (vec).cap * 2 : 1024;		\
		if (((vec).v = reallocarray((vec).v, (vec).cap,		\
		    sizeof *(vec).v)) == NULL)				\
			fatal("reallocarray");				\
	}								\
	(vec).v[(vec).n++] = (item);					\
} while (0)

enum stmt_id { S_TICKET, S_EVENT, S_COMPLAINT, S_ACTION, S_SURVEY, S_WINDOW, S_SELFSERVICE,
	S__COUNT };

static const char *const stmt_sql[S__COUNT] = {
	[S_TICKET] =
	    "INSERT INTO tickets (id, business_date, number, lane, issue_lane, status, service, "
	    "amount_fen, loose_cash, vip, needs_assistance, accessibility, priority, eligible, "
	    "route_rule, issued_at, queued_at, called_at, started_at, finished_at, window, "
	    "recalls, staff, first_called_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, "
	    "?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23, ?24)",
	[S_EVENT] =
	    "INSERT INTO ticket_events (ticket_id, at, kind, terminal, staff, window, "
	    "from_lane, to_lane, reason) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
	[S_COMPLAINT] =
	    "INSERT INTO complaints (id, state, category, severity, channel, description, "
	    "ticket_id, ticket_number, customer_name, customer_phone, first_responder, owner, "
	    "logged_at, business_date, follow_up_due, overdue, resolution, root_cause, "
	    "resolved_at, closed_at, compensation_fen) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, "
	    "?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21)",
	[S_ACTION] =
	    "INSERT INTO complaint_actions (complaint_id, kind, actor, at, business_date, note, "
	    "amount_fen, to_staff, outcome, on_time) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, "
	    "?9, ?10)",
	[S_SURVEY] =
	    "INSERT INTO surveys (id, ticket_id, score, reason, at, business_date, complaint_id) "
	    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
	[S_WINDOW] =
	    "INSERT INTO window_events (window, at, kind, state, terminal, staff, lanes) "
	    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
	[S_SELFSERVICE] =
	    "INSERT INTO selfservice_events (at, available, terminal, staff) "
	    "VALUES (?1, ?2, ?3, ?4)",
};

struct gen {
	sqlite3		*g_db;
	sqlite3_stmt	*g_st[S__COUNT];
	int64_t		 g_now;		/* the benchmark daemon's clock at start */
	uint64_t	 g_seq;
	int64_t		 g_next_ticket, g_next_complaint, g_next_survey;

	/* today */
	char		 g_date[BQ_DATE_LEN];
	int64_t		 g_day_at, g_day_end;	/* local midnight, the next one */
	int		 g_wday;
	struct queue	 g_q;
	struct gwindow	 g_w[BQ_MAX_WINDOW + 1];
	int		 g_nwindows;
	bool		 g_ss_available;
	bool		 g_ss_outage;	/* the machines were out of order today */
	int		 g_lane_seq[LANE__COUNT];
	VEC(struct arrival, g_arrivals);
	VEC(struct gticket, g_tickets);
	VEC(struct gevent, g_events);
	VEC(struct sim_ev, g_heap);
	VEC(struct gsurvey, g_surveys);
	VEC(struct gcomplaint, g_complaints);
	int64_t		 g_quota;	/* complaints still to log today */

	/* the whole run */
	VEC(struct gaction, g_actions);
	int64_t		 g_n_events, g_n_surveys, g_n_complaints, g_n_actions;
	int64_t		 g_by_status[TS__COUNT];
	int64_t		 g_open, g_overdue, g_suppressed_detractors;
};

static void	window_history(struct gen *, int64_t at, int no, const char *kind);
static void	selfservice_history(struct gen *, int64_t at, bool available);

/* ---- the event heap of the simulation ---- */

static bool
ev_before(const struct sim_ev *a, const struct sim_ev *b)
{
	return a->se_at != b->se_at ? a->se_at < b->se_at : a->se_seq < b->se_seq;
}

static void
sim_push(struct gen *g, int64_t at, enum sim_kind kind, int arg)
{
	struct sim_ev	ev = { at, g->g_seq++, kind, arg }, tmp;
	size_t		i, parent;

	VEC_PUSH(g->g_heap, ev);
	for (i = g->g_heap.n - 1; i > 0; i = parent) {
		parent = (i - 1) / 2;
		if (!ev_before(&g->g_heap.v[i], &g->g_heap.v[parent]))
			break;
		tmp = g->g_heap.v[i];
		g->g_heap.v[i] = g->g_heap.v[parent];
		g->g_heap.v[parent] = tmp;
	}
}

static bool
sim_pop(struct gen *g, struct sim_ev *out)
{
	struct sim_ev	*h = g->g_heap.v, tmp;
	size_t		 n = g->g_heap.n, i = 0, l, r, m;

	if (n == 0)
		return false;
	*out = h[0];
	h[0] = h[--n];
	g->g_heap.n = n;
	for (;;) {
		l = 2 * i + 1;
		r = l + 1;
		m = i;
		if (l < n && ev_before(&h[l], &h[m]))
			m = l;
		if (r < n && ev_before(&h[r], &h[m]))
			m = r;
		if (m == i)
			break;
		tmp = h[i];
		h[i] = h[m];
		h[m] = tmp;
		i = m;
	}
	return true;
}

/* ---- ticket history, as src/ticket.c writes it ---- */

static void
emit(struct gen *g, const struct ticket *t, int64_t at, const char *kind,
    const char *terminal, const char *staff, int window, int from, int to, const char *reason)
{
	struct gevent	ev = { at, g->g_seq++, t->t_id, kind, terminal, staff, window, from, to,
	    reason };

	VEC_PUSH(g->g_events, ev);
}

static struct gticket *
gt_of(struct gen *g, const struct ticket *t)
{
	return &g->g_tickets.v[t->t_id - g->g_tickets.v[0].gt_t->t_id];
}

/* A ticket joined a lane: idle windows serving it look up, a little later. */
static void
wake_windows(struct gen *g, int64_t now, enum lane lane)
{
	struct window	*w;
	int		 no, i;

	for (no = 1; no <= g->g_nwindows; no++) {
		w = &g->g_q.q_windows[no];
		if (!w->w_open || w->w_paused || w->w_current != NULL || !g->g_w[no].gw_idle)
			continue;
		for (i = 0; i < w->w_nlanes; i++)
			if (w->w_lanes[i] == lane) {
				g->g_w[no].gw_idle = false;
				sim_push(g, now + rrange(2, 20), SK_CALL, no);
				break;
			}
	}
}

/* Weights, in the order of reroute_reasons (names.h). */
static const double reroute_reason_mix[REROUTE_REASON__COUNT] = { 35, 10, 18, 12, 15, 10 };

static void
on_arrival(struct gen *g, int64_t now, int idx)
{
	const struct arrival	*ar = &g->g_arrivals.v[idx];
	struct route_context	 ctx;
	struct route_decision	 rd;
	struct gticket		 gt;
	struct ticket		*t;
	int			 lobby = (int)(rnd64() % 2);

	ctx.rc_cash_threshold_fen = CASH_THRESHOLD_FEN;
	ctx.rc_transfer_threshold_fen = TRANSFER_THRESHOLD_FEN;
	ctx.rc_express_cash_fen = EXPRESS_CASH_FEN;
	ctx.rc_self_service_available = g->g_ss_available;
	ctx.rc_counter_idle = queue_counter_idle(&g->g_q);
	ctx.rc_express_open = queue_lane_open(&g->g_q, LANE_EXPRESS);
	ctx.rc_vip_open = queue_lane_open(&g->g_q, LANE_VIP);
	rd = route_decide(&ar->ar_req, &ctx);

	if ((t = calloc(1, sizeof *t)) == NULL)
		fatal("calloc");
	t->t_id = g->g_next_ticket++;
	memcpy(t->t_date, g->g_date, sizeof t->t_date);
	t->t_lane = t->t_issue_lane = rd.rd_lane;
	t->t_status = rd.rd_lane == LANE_SELF_SERVICE ? TS_DIVERTED : TS_WAITING;
	t->t_service = ar->ar_req.rr_service;
	t->t_amount_fen = ar->ar_req.rr_amount_fen;
	t->t_flags = ar->ar_req.rr_flags;
	t->t_priority = rd.rd_priority;
	t->t_eligible = rd.rd_eligible;
	t->t_rule = rd.rd_rule;
	t->t_issued_at = t->t_queued_at = now;
	snprintf(t->t_number, sizeof t->t_number, "%c%03d", lane_letter(t->t_lane),
	    ++g->g_lane_seq[t->t_lane]);

	gt.gt_t = t;
	/* Most wait as long as it takes; some give up after a while. */
	gt.gt_patience_s = 480 + (int64_t)(-3000.0 * log(1.0 - urand()));
	gt.gt_walks_away = chance(0.012);
	VEC_PUSH(g->g_tickets, gt);
	queue_adopt(&g->g_q, t);
	emit(g, t, now, "issued", ar->ar_by_lobby ? lobby_terms[lobby] : PICK_STR(kiosks),
	    ar->ar_by_lobby ? lobby_staff[lobby] : NULL, 0, -1, (int)t->t_lane,
	    route_rule_name(t->t_rule));

	if (t->t_status == TS_DIVERTED) {
		/* DOMAIN §1: some decline the machine or it fails them. */
		if (chance(0.11))
			sim_push(g, now + rrange(120, 900), SK_REROUTE, (int)(g->g_tickets.n - 1));
		else if (chance(0.015))
			sim_push(g, now + rrange(60, 1200), SK_CANCEL, (int)(g->g_tickets.n - 1));
	} else {
		if (chance(0.008))
			sim_push(g, now + rrange(300, 2400), SK_CANCEL, (int)(g->g_tickets.n - 1));
		wake_windows(g, now, t->t_lane);
	}
}

static void
on_reroute(struct gen *g, int64_t now, int idx)
{
	struct ticket	*t = g->g_tickets.v[idx].gt_t;
	const char	*reason;
	enum lane	 to = LANE_COUNTER;
	int		 r, lobby = (int)(rnd64() % 2);

	if (t->t_status != TS_DIVERTED)
		return;
	do
		r = PICK(reroute_reason_mix);
	while (strcmp(reroute_reasons[r], "loose_cash") == 0 && !is_cash(t->t_service));
	reason = reroute_reasons[r];
	if (t->t_flags.tf_vip && queue_lane_open(&g->g_q, LANE_VIP))
		to = LANE_VIP;
	else if (strcmp(reason, "loose_cash") == 0 && t->t_amount_fen <= EXPRESS_CASH_FEN &&
	    queue_lane_open(&g->g_q, LANE_EXPRESS))
		to = LANE_EXPRESS;
	queue_unlink(&g->g_q, t);
	t->t_lane = to;
	t->t_status = TS_WAITING;
	t->t_queued_at = now;	/* DOMAIN §1: t_issued_at stays */
	if (strcmp(reason, "needs_assistance") == 0)
		t->t_flags.tf_needs_assistance = true;
	if (strcmp(reason, "loose_cash") == 0)
		t->t_flags.tf_loose_cash = true;
	t->t_priority = t->t_flags.tf_needs_assistance ||
	    t->t_flags.tf_accessibility != ACCESS_NONE;
	queue_link(&g->g_q, t);
	emit(g, t, now, "rerouted", lobby_terms[lobby], lobby_staff[lobby], 0,
	    LANE_SELF_SERVICE, (int)to, reason);
	wake_windows(g, now, to);
}

static void
on_cancel(struct gen *g, int64_t now, int idx)
{
	struct ticket	*t = g->g_tickets.v[idx].gt_t;
	int		 lobby = (int)(rnd64() % 2);

	if (t->t_status != TS_DIVERTED && t->t_status != TS_WAITING)
		return;
	queue_unlink(&g->g_q, t);
	t->t_status = TS_CANCELLED;
	t->t_finished_at = now;
	emit(g, t, now, "cancelled", lobby_terms[lobby], lobby_staff[lobby], t->t_window, -1, -1,
	    NULL);
}

static const char *const survey_reasons_bad[] = {
	"等了太久", "排队时间太长，只有两个窗口", "柜员态度一般", "自助机器又坏了",
	"手续太繁琐，跑了两趟", "叫号听不清", "大堂没人引导", "手续费太高",
};
static const char *const survey_reasons_good[] = {
	"服务很好", "速度快", "柜员很耐心", "环境不错", "大堂经理很热情",
};
static const double score_mix[11] = { 2, 1, 1, 1, 2, 3, 3, 9, 14, 22, 42 };

static void survey_complaint(struct gen *, size_t);

/* DOMAIN §4: some customers answer the two questions after service. */
static void
maybe_survey(struct gen *g, const struct ticket *t)
{
	struct gsurvey	s;

	if (!chance(0.06))
		return;
	memset(&s, 0, sizeof s);
	s.gs_ticket = t->t_id;
	s.gs_at = t->t_finished_at + rrange(20, 300);
	s.gs_score = PICK(score_mix);
	if (nps_class(s.gs_score) == NPS_DETRACTOR && g->g_quota <= 0) {
		/* Today's complaints are all spoken for: a detractor always
		 * opens one in the daemon, so this answer is a passive. */
		s.gs_score = (int)rrange(7, 8);
		g->g_suppressed_detractors++;
	}
	if (nps_class(s.gs_score) == NPS_DETRACTOR)
		s.gs_reason = chance(0.7) ? PICK_STR(survey_reasons_bad) : NULL;
	else
		s.gs_reason = chance(0.15) ? PICK_STR(survey_reasons_good) : NULL;
	VEC_PUSH(g->g_surveys, s);
	if (nps_class(s.gs_score) == NPS_DETRACTOR)
		survey_complaint(g, g->g_surveys.n - 1);
}

/* The other lane a teller sends a ticket to, or -1. */
static int
transfer_lane(struct gen *g, const struct ticket *t)
{
	if (t->t_lane != LANE_VIP && t->t_flags.tf_vip && queue_lane_open(&g->g_q, LANE_VIP))
		return LANE_VIP;
	if (t->t_lane == LANE_COUNTER && is_cash(t->t_service) &&
	    t->t_amount_fen <= EXPRESS_CASH_FEN && queue_lane_open(&g->g_q, LANE_EXPRESS))
		return LANE_EXPRESS;
	if (t->t_lane != LANE_COUNTER)
		return LANE_COUNTER;
	return -1;
}

/*
 * A window calls next (src/ticket.c ticket_call_next) and the whole visit is
 * planned at once: its steps are history lines with later times (sorted at
 * the day's end), and the window is busy until the last of them.
 */
static void
on_call(struct gen *g, int64_t now, int no)
{
	struct window	*w = &g->g_q.q_windows[no];
	struct gwindow	*gw = &g->g_w[no];
	struct ticket	*t;
	struct gticket	*gt;
	const char	*term = teller_term[gw->gw_teller], *staff = teller_staff[gw->gw_teller];
	int64_t		 at, service_s;
	int		 to;

	if (!w->w_open || w->w_paused || w->w_current != NULL)
		return;
	if ((t = queue_pick_next(&g->g_q, w)) == NULL) {
		gw->gw_idle = true;
		return;
	}
	gt = gt_of(g, t);
	queue_unlink(&g->g_q, t);
	t->t_status = TS_CALLED;
	t->t_called_at = now;
	if (t->t_first_called_at == 0)
		t->t_first_called_at = now;
	t->t_window = no;
	t->t_recalls = 0;
	snprintf(t->t_staff, sizeof t->t_staff, "%s", staff);
	w->w_current = t;
	emit(g, t, now, "called", term, staff, no, -1, -1, NULL);

	at = now;
	if (gt->gt_walks_away || now - t->t_issued_at > gt->gt_patience_s) {
		/* DOMAIN §2: no-show only after the configured recalls. */
		for (t->t_recalls = 0; t->t_recalls < MAX_RECALLS; t->t_recalls++) {
			at += rrange(30, 75);
			emit(g, t, at, "recalled", term, staff, no, -1, -1, NULL);
		}
		at += rrange(30, 90);
		t->t_finished_at = at;
		emit(g, t, at, "no_show", term, staff, no, -1, -1, NULL);
		gw->gw_end = TA_NO_SHOW;
		sim_push(g, at, SK_VISIT_END, no);
		return;
	}
	if (chance(0.05)) {	/* did not hear the first call */
		at += rrange(30, 60);
		t->t_recalls = 1;
		emit(g, t, at, "recalled", term, staff, no, -1, -1, NULL);
	}
	at += rrange(15, 75);	/* walks to the window */
	t->t_started_at = at;
	emit(g, t, at, "started", term, staff, no, -1, -1, NULL);
	service_s = (int64_t)(service_mean_s[t->t_service] * teller_speed[gw->gw_teller] *
	    exp(0.45 * gauss() - 0.1));
	if (service_s < 30)
		service_s = 30;
	if (chance(0.012) && (to = transfer_lane(g, t)) >= 0) {
		at += rrange(60, 240);
		emit(g, t, at, "transferred", term, staff, no, (int)t->t_lane, to, NULL);
		gw->gw_end = TA_TRANSFER;
		gw->gw_to = (enum lane)to;
		sim_push(g, at, SK_VISIT_END, no);
		return;
	}
	at += service_s;
	t->t_finished_at = at;
	emit(g, t, at, "completed", term, staff, no, -1, -1, NULL);
	gw->gw_end = TA_COMPLETE;
	sim_push(g, at, SK_VISIT_END, no);
}

static void
on_visit_end(struct gen *g, int64_t now, int no)
{
	struct window	*w = &g->g_q.q_windows[no];
	struct gwindow	*gw = &g->g_w[no];
	struct ticket	*t = w->w_current;

	w->w_current = NULL;
	switch (gw->gw_end) {
	case TA_COMPLETE:
		t->t_status = TS_DONE;
		maybe_survey(g, t);
		break;
	case TA_NO_SHOW:
		t->t_status = TS_NO_SHOW;
		break;
	case TA_TRANSFER:
		/* DOMAIN §2: a transfer keeps the place in time. */
		t->t_lane = gw->gw_to;
		t->t_status = TS_WAITING;
		t->t_queued_at = now;
		t->t_window = 0;
		t->t_recalls = 0;
		queue_link(&g->g_q, t);
		wake_windows(g, now, t->t_lane);
		break;
	default:
		fatalx("visit end: %d", (int)gw->gw_end);
	}
	gw->gw_last_at = now;
	if (gw->gw_pause_pending) {
		gw->gw_pause_pending = false;
		w->w_paused = true;
		window_history(g, now, no, "paused");
		return;
	}
	gw->gw_idle = false;
	sim_push(g, now + rrange(5, 40), SK_CALL, no);
}

/* ---- complaints: each one's life, up to --now ---- */

static const char *const descriptions[COMPLAINT_CATEGORIES][3] = {
	{ "排队等了四十多分钟，窗口只开了一半", "取号后等了一个小时还没轮到", "中午窗口全关了，等候太久" },
	{ "柜员办理时一直看手机，态度冷淡", "大堂经理说话很不耐烦", "询问问题时柜员不理睬" },
	{ "转账金额被多扣了一笔", "存款金额与回单不一致", "汇款收款人信息被录错" },
	{ "不知情被收取年费", "跨行转账手续费与宣传不符", "短信通知费没有提前告知" },
	{ "自助取款机吞卡", "存款机卡钞，钱没有入账", "自助机打印回单失败" },
	{ "系统故障，业务办理中断半小时", "网银显示维护，无法转账", "刷卡机连不上网" },
	{ "理财产品收益与介绍不符", "贷款审批时间比承诺的长", "信用卡额度调整没有通知" },
	{ "大厅空调太冷", "等候区座位不够", "门口无障碍通道被占用" },
	{ "其他意见", "建议增加周末窗口", "停车不方便" },
};
static const double category_mix[COMPLAINT_CATEGORIES] = { 30, 14, 10, 9, 12, 5, 8, 6, 6 };
static const char *const resolutions[CAUSE__COUNT][2] = {
	{ "调整产品说明并向客户解释", "按规定退还费用" },
	{ "修复设备并补记账务", "系统恢复后重新办理" },
	{ "对柜员进行服务培训并致歉", "调整排班，高峰增开窗口" },
	{ "向客户解释业务规定，客户表示理解", "客户记错了金额，核对后无误" },
	{ "第三方支付通道故障，已恢复", "通讯运营商线路故障，已恢复" },
};
static const double cause_mix[CAUSE__COUNT] = { 15, 25, 25, 25, 10 };
static const char *const surnames[] = {
	"王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱", "胡",
	"郭", "何", "高", "林", "罗",
};
static const char *const given_names[] = {
	"伟", "芳", "娜", "秀英", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟",
	"涛", "明", "超", "秀兰", "霞",
};
static const char *const step_notes[] = {
	[STEP_APOLOGY] = "向客户当面致歉",
	[STEP_EXPLANATION] = "解释了原因和处理流程",
	[STEP_REMEDY] = "当场为客户重新办理",
	[STEP_COMPENSATION] = "按授权给予补偿",
	[STEP_CUSTOMER_UPDATE] = "电话告知客户处理进度",
	[STEP_NOTE] = "已记录，待主管复核",
};
static const char *const followup_notes[] = {
	"客户表示满意", "客户仍不满意，要求进一步处理", "电话无人接听",
};

static int64_t
authority_of(const char *staff)
{
	/* The roles' defaults (DOMAIN §3): teller, lobby manager, supervisor. */
	return staff[1] == '1' ? 20000 : staff[1] == '2' ? 50000 : 200000;
}

static void
action(struct gen *g, struct gcomplaint *c, enum complaint_step step, const char *actor,
    int64_t at, const char *note)
{
	struct gaction	a;

	memset(&a, 0, sizeof a);
	a.ga_at = at;
	a.ga_seq = g->g_seq++;
	a.ga_complaint = c->gc_id;
	a.ga_step = step;
	a.ga_actor = actor;
	a.ga_note = note;
	a.ga_on_time = -1;
	VEC_PUSH(g->g_actions, a);
}

/* The deadline fires at due + 1 (src/complaint.c), if that came before `at`. */
static void
catch_overdue(struct gen *g, struct gcomplaint *c, int64_t at)
{
	if (c->gc_state != CS_CLOSED && !c->gc_overdue && at > c->gc_due) {
		action(g, c, STEP_OVERDUE, NULL, c->gc_due + 1, NULL);
		c->gc_overdue = true;
	}
}

/*
 * One step at `at`, by the complaint's owner, if it is allowed and has
 * happened by --now.  false when it has not: the life stops there.
 */
static bool
step(struct gen *g, struct gcomplaint *c, enum complaint_step st, int64_t at)
{
	struct gaction	*a;
	const char	*actor = c->gc_owner;
	int		 next;

	if (at > g->g_now)
		return false;
	catch_overdue(g, c, at);
	if ((next = complaint_next_state(c->gc_state, st)) < 0)
		return true;
	switch (st) {
	case STEP_COMPENSATION: {
		int64_t room = authority_of(actor) - c->gc_compensation_fen, amount;

		if (room < 1000)
			return true;
		amount = round_to(rrange(1000, room), 100);
		c->gc_compensation_fen += amount;
		action(g, c, st, actor, at, step_notes[st]);
		g->g_actions.v[g->g_actions.n - 1].ga_amount_fen = amount;
		break;
	}
	case STEP_REASSIGNED: {
		/* Upwards: to a supervisor, or from one to the other. */
		const char *to = c->gc_owner[1] != '9' ? supervisors[rnd64() % 2] :
		    strcmp(c->gc_owner, supervisors[0]) == 0 ? supervisors[1] : supervisors[0];

		action(g, c, st, actor, at, "需要更高授权处理");
		g->g_actions.v[g->g_actions.n - 1].ga_to_staff = to;
		c->gc_owner = to;	/* the first responder stays */
		break;
	}
	case STEP_RESOLVED: {
		int cause = PICK(cause_mix);

		c->gc_root_cause = cause;
		c->gc_resolution = resolutions[cause][rnd64() % 2];
		c->gc_resolved_at = at;
		action(g, c, st, actor, at, c->gc_resolution);
		break;
	}
	case STEP_FOLLOWUP_SATISFIED:
	case STEP_FOLLOWUP_UNSATISFIED:
	case STEP_FOLLOWUP_UNREACHABLE:
		action(g, c, st, actor, at, followup_notes[st - STEP_FOLLOWUP_SATISFIED]);
		a = &g->g_actions.v[g->g_actions.n - 1];
		a->ga_on_time = followup_on_time(at, c->gc_due);
		if (st == STEP_FOLLOWUP_SATISFIED) {
			c->gc_closed_at = at;
			c->gc_overdue = false;
		} else if (st == STEP_FOLLOWUP_UNSATISFIED) {
			c->gc_due = followup_due_at(at, FOLLOW_UP_HOURS);
			c->gc_overdue = false;
		}
		break;
	default:
		action(g, c, st, actor, at, step_notes[st]);
		break;
	}
	c->gc_state = (enum complaint_state)next;
	return true;
}

static void
complaint_live(struct gen *g, struct gcomplaint *c)
{
	static const double outcome_mix[] = { 74, 12, 14 };
	int64_t		t = c->gc_logged_at, resolve_by;
	int		round, attempts = 0, o;
	bool		neglected = chance(0.025), forgotten = chance(0.02);

	c->gc_state = CS_OPEN;
	c->gc_due = followup_due_at(c->gc_logged_at, FOLLOW_UP_HOURS);
	c->gc_root_cause = -1;
	action(g, c, STEP_LOGGED, c->gc_survey ? NULL : c->gc_first_responder, t, NULL);

	for (round = 0; round < 3; round++) {
		if (chance(round == 0 ? 0.85 : 0.5) && !step(g, c, STEP_APOLOGY,
		    t += rrange(60, 900)))
			goto done;
		if (neglected)
			goto done;
		if (chance(0.6) && !step(g, c, STEP_EXPLANATION, t += rrange(300, 3600)))
			goto done;
		if (round == 0 && chance(c->gc_severity == 3 ? 0.4 : 0.08) &&
		    !step(g, c, STEP_REASSIGNED, t += rrange(600, 7200)))
			goto done;
		if (chance(0.5) && !step(g, c, STEP_REMEDY, t += rrange(1200, 6 * 3600)))
			goto done;
		if (chance(c->gc_severity == 1 ? 0.03 : c->gc_severity == 2 ? 0.12 : 0.35) &&
		    !step(g, c, STEP_COMPENSATION, t += rrange(600, 3600)))
			goto done;
		if (chance(0.35) && !step(g, c, STEP_CUSTOMER_UPDATE, t += rrange(3600, 8 * 3600)))
			goto done;
		if (chance(0.15) && !step(g, c, STEP_NOTE, t += rrange(60, 3600)))
			goto done;
		resolve_by = c->gc_logged_at + rrange(1800, c->gc_severity == 3 ? 60 * 3600 :
		    20 * 3600);
		if (resolve_by > t)
			t = resolve_by;
		if (chance(0.95) && !step(g, c, STEP_RESOLVED, t))
			goto done;
		if (forgotten)
			goto done;
		/* Follow-ups: most before the deadline, some late, some unreachable. */
		for (;;) {
			if (chance(0.82) && t + 300 < c->gc_due)
				t = rrange(t + 300, c->gc_due);
			else
				t = (t > c->gc_due ? t : c->gc_due) + rrange(1800, 40 * 3600);
			o = PICK(outcome_mix);
			if (!step(g, c, (enum complaint_step)(STEP_FOLLOWUP_SATISFIED + o), t))
				goto done;
			if (++attempts >= 5 || o != 2)
				break;
		}
		if (c->gc_state == CS_CLOSED || attempts >= 5)
			goto done;
	}
done:
	catch_overdue(g, c, g->g_now);
}

static void
random_customer(struct gcomplaint *c)
{
	static const char *const prefixes[] = { "13", "15", "18", "19", "17" };

	snprintf(c->gc_name, sizeof c->gc_name, "%s%s", PICK_STR(surnames), PICK_STR(given_names));
	snprintf(c->gc_phone, sizeof c->gc_phone, "%s%09lld", PICK_STR(prefixes),
	    (long long)rrange(0, 999999999));
}

/* DOMAIN §4: a detractor opens a case owned by the duty supervisor (src/complaint.c). */
static void
survey_complaint(struct gen *g, size_t si)
{
	struct gcomplaint	 c;
	const struct gsurvey	*s = &g->g_surveys.v[si];
	const struct ticket	*t = g->g_tickets.v[s->gs_ticket - g->g_tickets.v[0].gt_t->t_id].gt_t;

	memset(&c, 0, sizeof c);
	c.gc_survey = true;
	c.gc_survey_idx = si;
	c.gc_category = CATEGORY_OTHER;
	c.gc_severity = 1;
	c.gc_channel = "survey";
	if (s->gs_reason != NULL)
		snprintf(c.gc_description, sizeof c.gc_description, "%s", s->gs_reason);
	else
		snprintf(c.gc_description, sizeof c.gc_description,
		    "survey score %d, no reason given", s->gs_score);
	c.gc_ticket_id = t->t_id;
	memcpy(c.gc_ticket_number, t->t_number, sizeof c.gc_ticket_number);
	c.gc_first_responder = c.gc_owner = DUTY_SUPERVISOR;
	c.gc_logged_at = s->gs_at;
	VEC_PUSH(g->g_complaints, c);
	g->g_quota--;
}

/* The rest of today's complaints, logged by staff through the day. */
static void
staff_complaints(struct gen *g)
{
	static const char *const channels[] = { "counter", "lobby", "phone", "letter", "online" };
	static const double channel_mix[] = { 45, 30, 12, 5, 8 };
	static const double severity_mix[] = { 70, 25, 5 };
	struct gcomplaint	c;
	const struct ticket	*t;
	size_t			lo, hi, mid;
	int			ch, no;

	for (; g->g_quota > 0; g->g_quota--) {
		memset(&c, 0, sizeof c);
		ch = PICK(channel_mix);
		c.gc_channel = channels[ch];
		c.gc_category = PICK(category_mix);
		if (g->g_ss_outage && chance(0.3))
			c.gc_category = 4;	/* self_service_machine */
		c.gc_severity = PICK(severity_mix) + 1;
		snprintf(c.gc_description, sizeof c.gc_description, "%s",
		    descriptions[c.gc_category][rnd64() % 3]);
		c.gc_logged_at = g->g_day_at + (ch <= 1 ? rrange(OPEN_AT_S + 900, ISSUE_END_S + 1800) :
		    rrange(OPEN_AT_S, 20 * 3600));
		if (ch == 0) {		/* a teller on duty today */
			no = (int)rrange(1, g->g_nwindows);
			c.gc_first_responder = teller_staff[g->g_w[no].gw_teller];
		} else if (ch == 1 || chance(0.4))
			c.gc_first_responder = lobby_staff[rnd64() % 2];
		else
			c.gc_first_responder = supervisors[rnd64() % 2];
		c.gc_owner = c.gc_first_responder;
		/* At the counter and in the lobby, often about a ticket of today. */
		if (ch <= 1 && chance(0.6) && g->g_tickets.n > 0) {
			for (lo = 0, hi = g->g_tickets.n; lo < hi; ) {
				mid = lo + (hi - lo) / 2;
				if (g->g_tickets.v[mid].gt_t->t_issued_at < c.gc_logged_at)
					lo = mid + 1;
				else
					hi = mid;
			}
			if (lo > 0) {
				t = g->g_tickets.v[rnd64() % lo].gt_t;
				c.gc_ticket_id = t->t_id;
				memcpy(c.gc_ticket_number, t->t_number, sizeof c.gc_ticket_number);
			}
		}
		if (chance(0.7))
			random_customer(&c);
		VEC_PUSH(g->g_complaints, c);
	}
}

/* ---- writing ---- */

static void
check(struct gen *g, int rc, const char *what)
{
	if (rc != SQLITE_OK && rc != SQLITE_DONE && rc != SQLITE_ROW)
		fatalx("%s: %s", what, sqlite3_errmsg(g->g_db));
}

static void
run(struct gen *g, enum stmt_id id)
{
	sqlite3_stmt	*st = g->g_st[id];

	check(g, sqlite3_step(st), stmt_sql[id]);
	check(g, sqlite3_reset(st), stmt_sql[id]);
}

static void
bind_text(sqlite3_stmt *st, int col, const char *v)
{
	if (v == NULL || *v == '\0')
		sqlite3_bind_null(st, col);
	else
		sqlite3_bind_text(st, col, v, -1, SQLITE_STATIC);
}

static void
bind_opt(sqlite3_stmt *st, int col, int64_t v)	/* 0: NULL, as the daemon stores it */
{
	if (v == 0)
		sqlite3_bind_null(st, col);
	else
		sqlite3_bind_int64(st, col, v);
}

/* A window's history line (src/branch.c window_writes), as it happens. */
static void
window_history(struct gen *g, int64_t at, int no, const char *kind)
{
	sqlite3_stmt	*st = g->g_st[S_WINDOW];
	struct window	*w = &g->g_q.q_windows[no];
	char		 lanes[64] = "";
	int		 i;

	for (i = 0; i < w->w_nlanes; i++) {
		if (i > 0)
			strncat(lanes, ",", sizeof lanes - strlen(lanes) - 1);
		strncat(lanes, lane_name(w->w_lanes[i]), sizeof lanes - strlen(lanes) - 1);
	}
	sqlite3_bind_int(st, 1, no);
	sqlite3_bind_int64(st, 2, at);
	sqlite3_bind_text(st, 3, kind, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, strcmp(kind, "closed") == 0 ? "closed" :
	    w->w_paused ? "paused" : "open", -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, w->w_terminal, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 6, w->w_staff, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 7, lanes, -1, SQLITE_TRANSIENT);
	run(g, S_WINDOW);
}

/* The lobby manager marks the self-service zone (src/ticket.c selfservice_set). */
static void
selfservice_history(struct gen *g, int64_t at, bool available)
{
	sqlite3_stmt	*st = g->g_st[S_SELFSERVICE];

	sqlite3_bind_int64(st, 1, at);
	sqlite3_bind_int(st, 2, available);
	sqlite3_bind_text(st, 3, lobby_terms[0], -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, lobby_staff[0], -1, SQLITE_STATIC);
	run(g, S_SELFSERVICE);
}

static void
write_ticket(struct gen *g, const struct ticket *t)
{
	sqlite3_stmt	*st = g->g_st[S_TICKET];

	sqlite3_bind_int64(st, 1, t->t_id);
	sqlite3_bind_text(st, 2, t->t_date, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, t->t_number, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, lane_name(t->t_lane), -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, lane_name(t->t_issue_lane), -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 6, ticket_status_name(t->t_status), -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 7, service_name(t->t_service), -1, SQLITE_STATIC);
	bind_opt(st, 8, t->t_amount_fen);
	sqlite3_bind_int(st, 9, t->t_flags.tf_loose_cash);
	sqlite3_bind_int(st, 10, t->t_flags.tf_vip);
	sqlite3_bind_int(st, 11, t->t_flags.tf_needs_assistance);
	bind_text(st, 12, accessibility_name(t->t_flags.tf_accessibility));
	sqlite3_bind_int(st, 13, t->t_priority);
	sqlite3_bind_int(st, 14, t->t_eligible);
	sqlite3_bind_text(st, 15, route_rule_name(t->t_rule), -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 16, t->t_issued_at);
	sqlite3_bind_int64(st, 17, t->t_queued_at);
	bind_opt(st, 18, t->t_called_at);
	bind_opt(st, 19, t->t_started_at);
	bind_opt(st, 20, t->t_finished_at);
	bind_opt(st, 21, t->t_window);
	sqlite3_bind_int(st, 22, t->t_recalls);
	bind_text(st, 23, t->t_staff);
	bind_opt(st, 24, t->t_first_called_at);
	run(g, S_TICKET);
}

static int
cmp_event(const void *a, const void *b)
{
	const struct gevent	*x = a, *y = b;

	if (x->ge_at != y->ge_at)
		return x->ge_at < y->ge_at ? -1 : 1;
	return (x->ge_seq > y->ge_seq) - (x->ge_seq < y->ge_seq);
}

static void
write_events(struct gen *g)
{
	sqlite3_stmt	*st = g->g_st[S_EVENT];
	struct gevent	*e;
	size_t		 i;

	/* The daemon appends history as it happens: row order is time order. */
	qsort(g->g_events.v, g->g_events.n, sizeof *g->g_events.v, cmp_event);
	for (i = 0; i < g->g_events.n; i++) {
		e = &g->g_events.v[i];
		sqlite3_bind_int64(st, 1, e->ge_ticket);
		sqlite3_bind_int64(st, 2, e->ge_at);
		sqlite3_bind_text(st, 3, e->ge_kind, -1, SQLITE_STATIC);
		bind_text(st, 4, e->ge_terminal);
		bind_text(st, 5, e->ge_staff);
		bind_opt(st, 6, e->ge_window);
		bind_text(st, 7, e->ge_from >= 0 ? lane_name((enum lane)e->ge_from) : NULL);
		bind_text(st, 8, e->ge_to >= 0 ? lane_name((enum lane)e->ge_to) : NULL);
		bind_text(st, 9, e->ge_reason);
		run(g, S_EVENT);
	}
	g->g_n_events += (int64_t)g->g_events.n;
	g->g_events.n = 0;
}

static int
cmp_complaint(const void *a, const void *b)
{
	const struct gcomplaint	*x = a, *y = b;

	return (x->gc_logged_at > y->gc_logged_at) - (x->gc_logged_at < y->gc_logged_at);
}

static int
cmp_survey(const void *a, const void *b)
{
	const struct gsurvey	*x = a, *y = b;

	if (x->gs_at != y->gs_at)
		return x->gs_at < y->gs_at ? -1 : 1;
	return (x->gs_ticket > y->gs_ticket) - (x->gs_ticket < y->gs_ticket);
}

/* Today's complaints, in the order they were logged, then today's surveys. */
static void
write_complaints_and_surveys(struct gen *g)
{
	sqlite3_stmt		*st = g->g_st[S_COMPLAINT];
	struct gcomplaint	*c;
	struct gsurvey		*s;
	size_t			 i;

	qsort(g->g_complaints.v, g->g_complaints.n, sizeof *g->g_complaints.v, cmp_complaint);
	for (i = 0; i < g->g_complaints.n; i++) {
		c = &g->g_complaints.v[i];
		c->gc_id = g->g_next_complaint++;
		business_date(c->gc_logged_at, c->gc_date);
		if (c->gc_survey)
			g->g_surveys.v[c->gc_survey_idx].gs_complaint = c->gc_id;
		complaint_live(g, c);
		sqlite3_bind_int64(st, 1, c->gc_id);
		sqlite3_bind_text(st, 2, complaint_state_name(c->gc_state), -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 3, complaint_categories[c->gc_category], -1, SQLITE_STATIC);
		sqlite3_bind_int(st, 4, c->gc_severity);
		sqlite3_bind_text(st, 5, c->gc_channel, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 6, c->gc_description, -1, SQLITE_STATIC);
		bind_opt(st, 7, c->gc_ticket_id);
		bind_text(st, 8, c->gc_ticket_number);
		bind_text(st, 9, c->gc_name);
		bind_text(st, 10, c->gc_phone);
		sqlite3_bind_text(st, 11, c->gc_first_responder, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 12, c->gc_owner, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 13, c->gc_logged_at);
		sqlite3_bind_text(st, 14, c->gc_date, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 15, c->gc_due);
		sqlite3_bind_int(st, 16, c->gc_overdue);
		bind_text(st, 17, c->gc_resolution);
		bind_text(st, 18, c->gc_root_cause >= 0 ? root_causes[c->gc_root_cause] : NULL);
		bind_opt(st, 19, c->gc_resolved_at);
		bind_opt(st, 20, c->gc_closed_at);
		sqlite3_bind_int64(st, 21, c->gc_compensation_fen);
		run(g, S_COMPLAINT);
		if (c->gc_state != CS_CLOSED) {
			g->g_open++;
			g->g_overdue += c->gc_overdue;
		}
	}
	g->g_n_complaints += (int64_t)g->g_complaints.n;
	g->g_complaints.n = 0;

	st = g->g_st[S_SURVEY];
	qsort(g->g_surveys.v, g->g_surveys.n, sizeof *g->g_surveys.v, cmp_survey);
	for (i = 0; i < g->g_surveys.n; i++) {
		s = &g->g_surveys.v[i];
		sqlite3_bind_int64(st, 1, g->g_next_survey++);
		sqlite3_bind_int64(st, 2, s->gs_ticket);
		sqlite3_bind_int(st, 3, s->gs_score);
		bind_text(st, 4, s->gs_reason);
		sqlite3_bind_int64(st, 5, s->gs_at);
		sqlite3_bind_text(st, 6, g->g_date, -1, SQLITE_STATIC);	/* the ticket's day */
		bind_opt(st, 7, s->gs_complaint);
		run(g, S_SURVEY);
	}
	g->g_n_surveys += (int64_t)g->g_surveys.n;
	g->g_surveys.n = 0;
}

static int
cmp_action(const void *a, const void *b)
{
	const struct gaction	*x = a, *y = b;

	if (x->ga_at != y->ga_at)
		return x->ga_at < y->ga_at ? -1 : 1;
	return (x->ga_seq > y->ga_seq) - (x->ga_seq < y->ga_seq);
}

/* Every complaint's history, after the year: row order is time order. */
static void
write_actions(struct gen *g)
{
	sqlite3_stmt	*st = g->g_st[S_ACTION];
	struct gaction	*a;
	char		 date[BQ_DATE_LEN];
	size_t		 i;
	int		 o;

	qsort(g->g_actions.v, g->g_actions.n, sizeof *g->g_actions.v, cmp_action);
	for (i = 0; i < g->g_actions.n; i++) {
		a = &g->g_actions.v[i];
		business_date(a->ga_at, date);
		sqlite3_bind_int64(st, 1, a->ga_complaint);
		sqlite3_bind_text(st, 2, complaint_step_kind(a->ga_step), -1, SQLITE_STATIC);
		bind_text(st, 3, a->ga_actor);
		sqlite3_bind_int64(st, 4, a->ga_at);
		sqlite3_bind_text(st, 5, date, -1, SQLITE_TRANSIENT);
		bind_text(st, 6, a->ga_note);
		if (a->ga_step == STEP_COMPENSATION)
			sqlite3_bind_int64(st, 7, a->ga_amount_fen);
		else
			sqlite3_bind_null(st, 7);
		bind_text(st, 8, a->ga_to_staff);
		if (a->ga_on_time >= 0) {
			o = (int)a->ga_step - STEP_FOLLOWUP_SATISFIED;
			sqlite3_bind_text(st, 9, followup_outcomes[o], -1, SQLITE_STATIC);
			sqlite3_bind_int(st, 10, a->ga_on_time);
		} else {
			sqlite3_bind_null(st, 9);
			sqlite3_bind_null(st, 10);
		}
		run(g, S_ACTION);
	}
	g->g_n_actions = (int64_t)g->g_actions.n;
}

/* ---- one business day ---- */

static int
cmp_arrival(const void *a, const void *b)
{
	const struct arrival	*x = a, *y = b;

	return (x->ar_at > y->ar_at) - (x->ar_at < y->ar_at);
}

/* Customers per half hour from 09:00: a morning and an afternoon peak. */
static const double slot_mix[16] = {
	0.7, 1.0, 1.3, 1.45, 1.35, 1.2, 1.0, 0.8, 0.85, 1.1, 1.3, 1.35, 1.25, 1.1, 0.9, 0.6
};

static void
plan_arrivals(struct gen *g, int64_t n)
{
	static const double access_mix[] = { 50, 15, 20, 15 };
	struct arrival	ar;
	int64_t		i;

	g->g_arrivals.n = 0;
	for (i = 0; i < n; i++) {
		memset(&ar, 0, sizeof ar);
		ar.ar_at = g->g_day_at + OPEN_AT_S + PICK(slot_mix) * 1800 + rrange(0, 1799);
		ar.ar_req.rr_service = (enum service)PICK(service_mix);
		if (service_has_amount(ar.ar_req.rr_service))
			ar.ar_req.rr_amount_fen = sample_amount(ar.ar_req.rr_service);
		ar.ar_req.rr_flags.tf_vip = chance(0.05);
		ar.ar_req.rr_flags.tf_loose_cash = is_cash(ar.ar_req.rr_service) && chance(0.06);
		ar.ar_req.rr_flags.tf_needs_assistance = chance(0.04);
		if (chance(0.006))
			ar.ar_req.rr_flags.tf_accessibility = (enum accessibility)(PICK(access_mix) + 1);
		ar.ar_by_lobby = chance(0.05);
		VEC_PUSH(g->g_arrivals, ar);
	}
	qsort(g->g_arrivals.v, g->g_arrivals.n, sizeof *g->g_arrivals.v, cmp_arrival);
}

/*
 * Windows enough for the day's work at about 85% busy, from a rough routing
 * of the day's customers: VIP desks and express windows for their lanes'
 * share (each also takes the counter lane when its own is empty), counter
 * windows for the rest.
 */
static void
plan_windows(struct gen *g, int *nwindows, int *nexpress, int *nvip)
{
	struct route_context	ctx;
	struct route_decision	rd;
	double			work[LANE__COUNT], cap = (ISSUE_END_S - OPEN_AT_S) * 0.85, all;
	size_t			i;
	int			n;

	memset(&ctx, 0, sizeof ctx);
	memset(work, 0, sizeof work);
	ctx.rc_cash_threshold_fen = CASH_THRESHOLD_FEN;
	ctx.rc_transfer_threshold_fen = TRANSFER_THRESHOLD_FEN;
	ctx.rc_express_cash_fen = EXPRESS_CASH_FEN;
	ctx.rc_self_service_available = ctx.rc_express_open = ctx.rc_vip_open = true;
	for (i = 0; i < g->g_arrivals.n; i++) {
		rd = route_decide(&g->g_arrivals.v[i].ar_req, &ctx);
		work[rd.rd_lane] += service_mean_s[g->g_arrivals.v[i].ar_req.rr_service] + 90;
	}
	work[LANE_COUNTER] += work[LANE_SELF_SERVICE] * 0.11;	/* rerouted */
	all = work[LANE_COUNTER] + work[LANE_EXPRESS] + work[LANE_VIP];
	*nvip = g->g_wday == 0 ? 0 : (int)ceil(work[LANE_VIP] / cap);	/* no VIP desk on Sundays */
	*nexpress = (int)ceil(work[LANE_EXPRESS] / cap);
	n = (int)ceil(all / cap) + 1;
	if (n < 1 + *nexpress + *nvip + 2)
		n = 1 + *nexpress + *nvip + 2;
	*nwindows = n > MAX_WINDOWS ? MAX_WINDOWS : n;
}

static void
set_lanes(struct window *w, enum lane first, int second)
{
	w->w_lanes[0] = first;
	w->w_nlanes = 1;
	if (second >= 0)
		w->w_lanes[w->w_nlanes++] = (enum lane)second;
}

/* Window 1 is the accessible one; then express, VIP, counter windows. */
static void
open_windows(struct gen *g, int dayno)
{
	struct window	*w;
	int		 no, nexpress, nvip;

	plan_windows(g, &g->g_nwindows, &nexpress, &nvip);
	for (no = 1; no <= g->g_nwindows; no++) {
		w = &g->g_q.q_windows[no];
		memset(&g->g_w[no], 0, sizeof g->g_w[no]);
		/* A different teller at each window, a rota that turns daily. */
		g->g_w[no].gw_teller = (no - 1 + dayno * 7) % NTELLERS;
		snprintf(w->w_terminal, sizeof w->w_terminal, "%s", teller_term[g->g_w[no].gw_teller]);
		snprintf(w->w_staff, sizeof w->w_staff, "%s", teller_staff[g->g_w[no].gw_teller]);
		w->w_open = true;
		w->w_paused = false;
		w->w_accessible = no == ACCESSIBLE_WINDOW;
		w->w_current = NULL;
		w->w_opened_at = g->g_day_at + OPEN_AT_S - 300;
		if (no == ACCESSIBLE_WINDOW)
			set_lanes(w, LANE_COUNTER, -1);
		else if (no <= 1 + nexpress)
			set_lanes(w, LANE_EXPRESS, LANE_COUNTER);
		else if (no <= 1 + nexpress + nvip)
			set_lanes(w, LANE_VIP, LANE_COUNTER);
		else
			set_lanes(w, LANE_COUNTER, no % 2 == 0 ? LANE_EXPRESS : -1);
		g->g_w[no].gw_idle = true;
		window_history(g, w->w_opened_at, no, "opened");
		sim_push(g, g->g_day_at + OPEN_AT_S + rrange(0, 60), SK_CALL, no);
		/* Lunch: about half the counter windows pause, in two shifts;
		 * the accessible, express and VIP windows stay open. */
		if (no > 1 + nexpress + nvip && no % 4 == 0) {
			sim_push(g, g->g_day_at + 11 * 3600 + 45 * 60, SK_PAUSE, no);
			sim_push(g, g->g_day_at + 12 * 3600 + 30 * 60, SK_RESUME, no);
		} else if (no > 1 + nexpress + nvip && no % 4 == 1) {
			sim_push(g, g->g_day_at + 12 * 3600 + 30 * 60, SK_PAUSE, no);
			sim_push(g, g->g_day_at + 13 * 3600 + 15 * 60, SK_RESUME, no);
		}
	}
	for (; no <= BQ_MAX_WINDOW; no++)
		g->g_q.q_windows[no].w_open = false;
}

static void
run_day(struct gen *g, int dayno, int64_t nticket, int64_t ncomplaints)
{
	struct sim_ev	 ev;
	struct ticket	*t;
	struct tm	 tm;
	time_t		 tt = (time_t)g->g_day_at;
	size_t		 i;
	int		 lane;
	char		 next[BQ_DATE_LEN];

	localtime_r(&tt, &tm);
	g->g_wday = tm.tm_wday;
	business_date(g->g_day_at, g->g_date);
	g->g_day_end = business_day_end(g->g_day_at);
	memset(g->g_lane_seq, 0, sizeof g->g_lane_seq);
	g->g_tickets.n = g->g_events.n = g->g_heap.n = 0;
	g->g_quota = ncomplaints;
	g->g_ss_available = true;
	g->g_ss_outage = false;

	plan_arrivals(g, nticket);
	open_windows(g, dayno);
	for (i = 0; i < g->g_arrivals.n; i++)
		sim_push(g, g->g_arrivals.v[i].ar_at, SK_ARRIVAL, (int)i);
	/* Now and then the self-service zone is out of order for a while. */
	if (chance(0.06)) {
		int64_t down = g->g_day_at + OPEN_AT_S + rrange(0, 6 * 3600);

		sim_push(g, down, SK_SS_DOWN, 0);
		sim_push(g, down + rrange(3600, 3 * 3600), SK_SS_UP, 0);
	}

	while (sim_pop(g, &ev)) {
		switch (ev.se_kind) {
		case SK_ARRIVAL: on_arrival(g, ev.se_at, ev.se_arg); break;
		case SK_CALL: on_call(g, ev.se_at, ev.se_arg); break;
		case SK_VISIT_END: on_visit_end(g, ev.se_at, ev.se_arg); break;
		case SK_REROUTE: on_reroute(g, ev.se_at, ev.se_arg); break;
		case SK_CANCEL: on_cancel(g, ev.se_at, ev.se_arg); break;
		case SK_PAUSE:
			if (g->g_q.q_windows[ev.se_arg].w_current != NULL)
				g->g_w[ev.se_arg].gw_pause_pending = true;
			else {
				g->g_q.q_windows[ev.se_arg].w_paused = true;
				window_history(g, ev.se_at, ev.se_arg, "paused");
			}
			break;
		case SK_RESUME:
			g->g_w[ev.se_arg].gw_pause_pending = false;
			if (g->g_q.q_windows[ev.se_arg].w_paused) {
				g->g_q.q_windows[ev.se_arg].w_paused = false;
				window_history(g, ev.se_at, ev.se_arg, "resumed");
			}
			g->g_w[ev.se_arg].gw_idle = false;
			sim_push(g, ev.se_at, SK_CALL, ev.se_arg);
			break;
		case SK_SS_DOWN:
			g->g_ss_available = false;
			g->g_ss_outage = true;
			selfservice_history(g, ev.se_at, false);
			break;
		case SK_SS_UP:
			g->g_ss_available = true;
			selfservice_history(g, ev.se_at, true);
			break;
		}
	}
	for (lane = 0; lane < LANE__COUNT; lane++)
		if (queue_waiting(&g->g_q, (enum lane)lane) != 0)
			fatalx("%s: tickets left waiting in the %s lane", g->g_date,
			    lane_name((enum lane)lane));

	/* The day end (src/branch.c): what still waits, or sits at the
	 * machines, expires at local midnight. */
	for (i = 0; i < g->g_tickets.n; i++) {
		t = g->g_tickets.v[i].gt_t;
		if (t->t_status == TS_DIVERTED || t->t_status == TS_WAITING) {
			t->t_status = TS_EXPIRED;
			t->t_finished_at = g->g_day_end;
			emit(g, t, g->g_day_end, "expired", NULL, NULL, 0, -1, -1, NULL);
		}
		g->g_by_status[t->t_status]++;
		write_ticket(g, t);
	}
	write_events(g);
	staff_complaints(g);
	write_complaints_and_surveys(g);

	/* Each teller closes the window a while after the last visit, or
	 * after the doors close if that was earlier. */
	for (i = 1; i <= (size_t)g->g_nwindows; i++) {
		int64_t close_at = g->g_w[i].gw_last_at;

		if (close_at < g->g_day_at + ISSUE_END_S)
			close_at = g->g_day_at + ISSUE_END_S;
		window_history(g, close_at + 300, (int)i, "closed");
		g->g_q.q_windows[i].w_open = false;
	}
	business_date(g->g_day_end, next);
	queue_forget_before(&g->g_q, next);
}

/* ---- the year ---- */

/* Lunar new year's day; the branch is quiet around it. */
static const char *const spring_festivals[] = {
	"2024-02-10", "2025-01-29", "2026-02-17", "2027-02-06", "2028-01-26",
};

static double
day_weight(int64_t day_at)
{
	static const double weekday[7] = { 0.7, 1.15, 1.0, 0.95, 0.95, 1.1, 0.85 };
	struct tm	tm, next;
	time_t		t = (time_t)day_at, n = (time_t)(day_at + 86400 * 3);
	double		w;
	size_t		i;
	int		y, m, d;
	char		date[BQ_DATE_LEN];

	localtime_r(&t, &tm);
	localtime_r(&n, &next);
	w = weekday[tm.tm_wday];
	if (next.tm_mon != tm.tm_mon)
		w *= 1.2;	/* month end: salaries, bills */
	if ((tm.tm_mon == 0 && tm.tm_mday == 1) || (tm.tm_mon == 4 && tm.tm_mday <= 5) ||
	    (tm.tm_mon == 9 && tm.tm_mday <= 7))
		w *= 0.5;	/* New Year, Labour Day, National Day */
	business_date(day_at, date);
	for (i = 0; i < sizeof spring_festivals / sizeof spring_festivals[0]; i++) {
		struct tm sf;

		if (date_parse(spring_festivals[i], &y, &m, &d) == -1)
			continue;
		memset(&sf, 0, sizeof sf);
		sf.tm_year = y - 1900;
		sf.tm_mon = m - 1;
		sf.tm_mday = d;
		sf.tm_hour = 12;
		sf.tm_isdst = -1;
		if (fabs(difftime(t, mktime(&sf))) < 4.5 * 86400)
			w *= 0.35;
	}
	return w * (0.9 + 0.2 * urand());
}

/* n split by weight, exactly (largest remainder). */
static void
apportion(const double *w, int ndays, int64_t n, int64_t *out)
{
	double	sum = 0, *rem;
	int64_t	given = 0;
	int	i, best;

	if ((rem = calloc((size_t)ndays, sizeof *rem)) == NULL)
		fatal("calloc");
	for (i = 0; i < ndays; i++)
		sum += w[i];
	for (i = 0; i < ndays; i++) {
		double exact = (double)n * w[i] / sum;

		out[i] = (int64_t)floor(exact);
		rem[i] = exact - (double)out[i];
		given += out[i];
	}
	for (; given < n; given++) {
		for (best = 0, i = 1; i < ndays; i++)
			if (rem[i] > rem[best])
				best = i;
		out[best]++;
		rem[best] = -1;
	}
	free(rem);
}

static int64_t
local_midnight(int y, int m, int d)
{
	struct tm	tm;

	memset(&tm, 0, sizeof tm);
	tm.tm_year = y - 1900;
	tm.tm_mon = m - 1;
	tm.tm_mday = d;
	tm.tm_isdst = -1;
	return (int64_t)mktime(&tm);
}

static int64_t
query_int(struct gen *g, const char *sql)
{
	sqlite3_stmt	*st;
	int64_t		 v = -1;

	if (sqlite3_prepare_v2(g->g_db, sql, -1, &st, NULL) != SQLITE_OK)
		fatalx("%s: %s", sql, sqlite3_errmsg(g->g_db));
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	else
		fatalx("%s: %s", sql, sqlite3_errmsg(g->g_db));
	sqlite3_finalize(st);
	return v;
}

static void
exec(struct gen *g, const char *sql)
{
	char	*err = NULL;

	if (sqlite3_exec(g->g_db, sql, NULL, NULL, &err) != SQLITE_OK)
		fatalx("%s: %s", sql, err != NULL ? err : sqlite3_errmsg(g->g_db));
}

/*
 * --check: what the daemon itself keeps true, over every row.  0 when all
 * hold.  Slow on a year (it reads every history line); not part of the
 * generation time.
 */
static int
check_db(struct gen *g, int64_t ntickets, int64_t ncomplaints)
{
	static const struct { const char *what, *sql; } zero[] = {
	    { "tickets without exactly one issued line",
	      "SELECT count(*) FROM tickets t WHERE (SELECT count(*) FROM ticket_events e "
	      "WHERE e.ticket_id = t.id AND e.kind = 'issued') != 1" },
	    { "first_called_at not the first call",
	      "SELECT count(*) FROM tickets t WHERE first_called_at IS NOT (SELECT min(at) "
	      "FROM ticket_events e WHERE e.ticket_id = t.id AND e.kind = 'called')" },
	    { "status not the last history line",
	      "SELECT count(*) FROM tickets t WHERE (SELECT kind FROM ticket_events e "
	      "WHERE e.ticket_id = t.id ORDER BY id DESC LIMIT 1) != CASE status "
	      "WHEN 'done' THEN 'completed' ELSE status END" },
	    { "history out of time order",
	      "SELECT count(*) FROM ticket_events a JOIN ticket_events b ON b.id = a.id + 1 "
	      "WHERE b.at < a.at" },
	    { "done tickets without call, start and finish",
	      "SELECT count(*) FROM tickets WHERE status = 'done' AND (first_called_at IS NULL "
	      "OR started_at IS NULL OR finished_at < started_at OR staff IS NULL)" },
	    { "open tickets (the year is over)",
	      "SELECT count(*) FROM tickets WHERE status IN ('diverted','waiting','called','serving')" },
	    { "no-shows without the configured recalls",
	      "SELECT count(*) FROM tickets WHERE status = 'no_show' AND recalls != 2" },
	    { "numbers not of the issue lane",
	      "SELECT count(*) FROM tickets WHERE substr(number, 1, 1) != CASE issue_lane "
	      "WHEN 'self_service' THEN 'S' WHEN 'express' THEN 'E' WHEN 'counter' THEN 'A' "
	      "ELSE 'V' END" },
	    { "numbers with a gap (a lane's highest number is not its count)",
	      "SELECT count(*) FROM (SELECT business_date, issue_lane, count(*) n, "
	      "max(CAST(substr(number, 2) AS INTEGER)) m FROM tickets GROUP BY 1, 2) "
	      "WHERE m != n" },
	    { "complaints whose compensation is not their actions' sum",
	      "SELECT count(*) FROM complaints c WHERE compensation_fen != (SELECT "
	      "coalesce(sum(amount_fen), 0) FROM complaint_actions a WHERE a.complaint_id = c.id "
	      "AND a.kind = 'compensation')" },
	    { "complaints over their owner's authority",
	      "SELECT count(*) FROM complaints WHERE compensation_fen > 200000" },
	    { "complaints without one logged line first",
	      "SELECT count(*) FROM complaints c WHERE (SELECT kind FROM complaint_actions a "
	      "WHERE a.complaint_id = c.id ORDER BY id LIMIT 1) IS NOT 'logged'" },
	    { "detractor surveys without their complaint",
	      "SELECT count(*) FROM surveys s LEFT JOIN complaints c ON c.id = s.complaint_id "
	      "WHERE (s.score <= 6) != (c.id IS NOT NULL AND c.channel = 'survey')" },
	    { "surveys of tickets not done",
	      "SELECT count(*) FROM surveys s JOIN tickets t ON t.id = s.ticket_id "
	      "WHERE t.status != 'done'" },
	};
	char	sql[512];
	int64_t	v;
	size_t	i;
	int	bad = 0;

	for (i = 0; i < sizeof zero / sizeof zero[0]; i++) {
		if ((v = query_int(g, zero[i].sql)) != 0) {
			fprintf(stderr, "gen-year: check failed: %lld %s\n", (long long)v,
			    zero[i].what);
			bad = 1;
		}
	}
	/* A complaint past its deadline, not closed, is overdue (src/complaint.c). */
	snprintf(sql, sizeof sql, "SELECT count(*) FROM complaints WHERE state != 'closed' AND "
	    "overdue = 0 AND follow_up_due < %lld", (long long)g->g_now);
	if ((v = query_int(g, sql)) != 0) {
		fprintf(stderr, "gen-year: check failed: %lld complaints past due, not overdue\n",
		    (long long)v);
		bad = 1;
	}
	if ((v = query_int(g, "SELECT count(*) FROM tickets")) != ntickets ||
	    (v = query_int(g, "SELECT count(*) FROM complaints")) != ncomplaints) {
		fprintf(stderr, "gen-year: check failed: row counts\n");
		bad = 1;
	}
	return bad;
}

static void
usage(void)
{
	fprintf(stderr, "usage: gen-year --db FILE [--tickets N] [--complaints N] [--days N] "
	    "[--start YYYY-MM-DD]\n                [--now RFC3339] [--seed N] [--timezone TZ] "
	    "[--check] [--quiet]\n");
	exit(2);
}

static int64_t
number_arg(const char *name, const char *v, int64_t lo, int64_t hi)
{
	char		*end;
	long long	 n;

	errno = 0;
	n = strtoll(v, &end, 10);
	if (errno != 0 || *end != '\0' || end == v || n < lo || n > hi) {
		fprintf(stderr, "gen-year: --%s: must be an integer from %lld to %lld\n", name,
		    (long long)lo, (long long)hi);
		exit(2);
	}
	return n;
}

static double
seconds_since(const struct timespec *t0)
{
	struct timespec	t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (double)(t1.tv_sec - t0->tv_sec) + (double)(t1.tv_nsec - t0->tv_nsec) / 1e9;
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "db", required_argument, NULL, 'd' },
		{ "tickets", required_argument, NULL, 'n' },
		{ "complaints", required_argument, NULL, 'c' },
		{ "days", required_argument, NULL, 'D' },
		{ "start", required_argument, NULL, 's' },
		{ "now", required_argument, NULL, 'N' },
		{ "seed", required_argument, NULL, 'S' },
		{ "timezone", required_argument, NULL, 'z' },
		{ "check", no_argument, NULL, 'k' },
		{ "quiet", no_argument, NULL, 'q' },
		{ NULL, 0, NULL, 0 }
	};
	struct gen	 g;
	struct timespec	 t0;
	const char	*db = NULL, *start = "2025-01-01", *now_arg = NULL, *tz = "Asia/Shanghai";
	int64_t		 ntickets = 1000000, ncomplaints = 20000, *tickets_per_day, *complaints_per_day;
	int64_t		 seed = 1, v;
	double		*w, gen_s;
	bool		 do_check = false, quiet = false;
	int		 ndays = 365, ch, i, y, m, d, bad = 0;
	char		 nowbuf[BQ_TIME_LEN];

	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'd': db = optarg; break;
		case 'n': ntickets = number_arg("tickets", optarg, 1, 100000000); break;
		case 'c': ncomplaints = number_arg("complaints", optarg, 0, 10000000); break;
		case 'D': ndays = (int)number_arg("days", optarg, 1, 3660); break;
		case 's': start = optarg; break;
		case 'N': now_arg = optarg; break;
		case 'S': seed = number_arg("seed", optarg, 0, INT64_MAX); break;
		case 'z': tz = optarg; break;
		case 'k': do_check = true; break;
		case 'q': quiet = true; break;
		default: usage();
		}
	}
	if (db == NULL || optind != argc)
		usage();
	if (date_parse(start, &y, &m, &d) == -1)
		fatalx("--start %s: must be a date YYYY-MM-DD", start);
	if (time_set_zone(tz) == -1)
		fatalx("--timezone %s: unknown time zone", tz);
	log_init(LOG_LEVEL_WARN);

	memset(&g, 0, sizeof g);
	rng = (uint64_t)seed * 0x2545f4914f6cdd1dULL + 1;
	/* --now: by default 09:00 local on the day after the last one. */
	if (now_arg != NULL) {
		if (time_parse(now_arg, &g.g_now) == -1)
			fatalx("--now %s: must be like 2026-01-01T01:00:00Z", now_arg);
	} else
		g.g_now = local_midnight(y, m, d + ndays) + OPEN_AT_S;
	if (g.g_now < local_midnight(y, m, d + ndays))
		fatalx("--now must not be before the end of the last day");
	for (i = 0; i < NTELLERS; i++) {
		snprintf(teller_staff[i], sizeof teller_staff[i], "E%d", 1001 + i);
		snprintf(teller_term[i], sizeof teller_term[i], "T%02d", i + 1);
		teller_speed[i] = 0.8 + 0.45 * urand();
	}

	if (sqlite3_open_v2(db, &g.g_db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK)
		fatalx("--db %s: %s (create it by starting branchqd on it once)", db,
		    sqlite3_errmsg(g.g_db));
	if (query_int(&g, "SELECT count(*) FROM sqlite_schema WHERE name = 'schema_migrations'") != 1 ||
	    query_int(&g, "SELECT coalesce(max(version), 0) FROM schema_migrations") < 2)
		fatalx("--db %s: not a branchqd database (start branchqd on it once)", db);
	if (query_int(&g, "SELECT count(*) FROM tickets") != 0 ||
	    query_int(&g, "SELECT count(*) FROM complaints") != 0)
		fatalx("--db %s: already holds tickets or complaints", db);

	clock_gettime(CLOCK_MONOTONIC, &t0);
	/* Speed over safety while filling: a failed run is deleted, not recovered. */
	exec(&g, "PRAGMA journal_mode = DELETE; PRAGMA journal_mode = OFF; "
	    "PRAGMA synchronous = OFF; PRAGMA locking_mode = EXCLUSIVE; "
	    "PRAGMA cache_size = -524288; PRAGMA temp_store = MEMORY; BEGIN");
	for (i = 0; i < S__COUNT; i++)
		if (sqlite3_prepare_v3(g.g_db, stmt_sql[i], -1, SQLITE_PREPARE_PERSISTENT,
		    &g.g_st[i], NULL) != SQLITE_OK)
			fatalx("%s: %s", stmt_sql[i], sqlite3_errmsg(g.g_db));

	if ((w = calloc((size_t)ndays, sizeof *w)) == NULL ||
	    (tickets_per_day = calloc((size_t)ndays, sizeof *tickets_per_day)) == NULL ||
	    (complaints_per_day = calloc((size_t)ndays, sizeof *complaints_per_day)) == NULL)
		fatal("calloc");
	for (i = 0; i < ndays; i++)
		w[i] = day_weight(local_midnight(y, m, d + i));
	apportion(w, ndays, ntickets, tickets_per_day);
	apportion(w, ndays, ncomplaints, complaints_per_day);

	queue_init(&g.g_q, DEFAULT_SERVICE_S);
	g.g_next_ticket = g.g_next_complaint = g.g_next_survey = 1;
	for (i = 0; i < ndays; i++) {
		g.g_day_at = local_midnight(y, m, d + i);
		run_day(&g, i, tickets_per_day[i], complaints_per_day[i]);
		if (!quiet && (i + 1) % 30 == 0)
			fprintf(stderr, "gen-year: %d/%d days, %lld tickets\n", i + 1, ndays,
			    (long long)(g.g_next_ticket - 1));
	}
	write_actions(&g);
	for (i = 0; i < S__COUNT; i++)
		sqlite3_finalize(g.g_st[i]);
	exec(&g, "COMMIT");
	/* Back to what the daemon needs; it refuses anything but WAL. */
	exec(&g, "PRAGMA locking_mode = NORMAL; PRAGMA journal_mode = WAL");
	if ((v = query_int(&g, "SELECT count(*) FROM tickets")) != ntickets)
		fatalx("wrote %lld tickets, not %lld", (long long)v, (long long)ntickets);
	gen_s = seconds_since(&t0);

	time_format(g.g_now, nowbuf);
	printf("tickets=%lld events=%lld complaints=%lld actions=%lld surveys=%lld "
	    "open=%lld overdue=%lld done=%lld no_show=%lld cancelled=%lld expired=%lld "
	    "detractors_suppressed=%lld now=%s gen_s=%.2f\n",
	    (long long)(g.g_next_ticket - 1), (long long)g.g_n_events,
	    (long long)g.g_n_complaints, (long long)g.g_n_actions, (long long)g.g_n_surveys,
	    (long long)g.g_open, (long long)g.g_overdue, (long long)g.g_by_status[TS_DONE],
	    (long long)g.g_by_status[TS_NO_SHOW], (long long)g.g_by_status[TS_CANCELLED],
	    (long long)g.g_by_status[TS_EXPIRED], (long long)g.g_suppressed_detractors, nowbuf,
	    gen_s);
	fflush(stdout);
	if (do_check) {
		clock_gettime(CLOCK_MONOTONIC, &t0);
		bad = check_db(&g, ntickets, ncomplaints);
		printf("check=%s check_s=%.2f\n", bad ? "failed" : "ok", seconds_since(&t0));
	}
	queue_free(&g.g_q);
	free(g.g_arrivals.v);
	free(g.g_tickets.v);
	free(g.g_events.v);
	free(g.g_heap.v);
	free(g.g_surveys.v);
	free(g.g_complaints.v);
	free(g.g_actions.v);
	free(w);
	free(tickets_per_day);
	free(complaints_per_day);
	if (sqlite3_close(g.g_db) != SQLITE_OK)
		fatalx("close: %s", sqlite3_errmsg(g.g_db));
	return bad;
}
