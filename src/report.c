/*
 * Supervisor reports (DOMAIN §5), computed on a worker thread.
 *
 * The event loop must never wait for a report: a full year is a million
 * tickets.  One worker thread owns a read-only connection; in WAL mode it
 * reads a consistent snapshot while the loop goes on writing.  Jobs come in
 * through a queue; the worker computes a job and then runs its encoder
 * (rj_item, rj_encode: the reply's JSON, built and printed there too, as a
 * followups reply of 10,000 complaints is megabytes); finished jobs go back
 * through a pipe that the loop watches, and the loop only hands the
 * finished line to the connection (rj_done).  The encoders touch nothing
 * but their job: no branch state, no logging.
 *
 * Percentiles are exact: the summary streams the tickets of the range once,
 * keeps each lane's waits and each teller's service times, and takes the
 * nearest rank (src/stats.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>
#include <sqlite3.h>

#include "branchq.h"

#define REPORT_BUSY_TIMEOUT_MS	5000	/* the worker may wait; the loop never does */

static pthread_t		 rp_thread;
static pthread_mutex_t		 rp_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t		 rp_cond = PTHREAD_COND_INITIALIZER;
static struct report_job	*rp_queue, *rp_done;	/* FIFO lists */
static size_t			 rp_queued;
static bool			 rp_stop, rp_running;
static int			 rp_pipe[2] = { -1, -1 };
static struct event		*rp_event;
static sqlite3			*rp_db;

/* ---- a growable array of durations ---- */

struct durations {
	int64_t	*d_v;
	size_t	 d_n, d_cap;
};

static void
durations_add(struct durations *d, int64_t v)
{
	if (d->d_n == d->d_cap) {
		d->d_cap = d->d_cap ? d->d_cap * 2 : 1024;
		if ((d->d_v = reallocarray(d->d_v, d->d_cap, sizeof *d->d_v)) == NULL)
			fatal("reallocarray");
	}
	d->d_v[d->d_n++] = v < 0 ? 0 : v;
}

/* Fills st from d (which it may reorder); target < 0: no target. */
static void
durations_stats(struct durations *d, int64_t target, struct duration_stats *st)
{
	duration_stats_of(d->d_v, d->d_n, target, st);
}

/* ---- helpers ---- */

static int
fail(sqlite3 *db, struct report_job *job, const char *what)
{
	snprintf(job->rj_err, sizeof job->rj_err, "%s: %s", what, sqlite3_errmsg(db));
	return -1;
}

/* The first character settles most misses: this runs once per column per ticket. */
static int
name_index(const char *const *names, const char *v)
{
	int	i;

	for (i = 0; v != NULL && names[i] != NULL; i++)
		if (names[i][0] == v[0] && strcmp(names[i], v) == 0)
			return i;
	return -1;
}

static const char *
text(sqlite3_stmt *st, int col)
{
	const unsigned char	*v = sqlite3_column_text(st, col);

	return v != NULL ? (const char *)v : "";
}

/* ?1 and ?2: the job's range of business dates. */
static void
bind_range(sqlite3_stmt *st, const struct report_job *job)
{
	sqlite3_bind_text(st, 1, job->rj_from, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, job->rj_to, -1, SQLITE_STATIC);
}

/* Runs a query whose rows are (key text, count); adds each count to out[index of key]. */
static int
count_by(sqlite3 *db, struct report_job *job, const char *sql, const char *const *names,
    int64_t *out, bool dates)
{
	sqlite3_stmt	*st;
	int		 i, rc;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		return fail(db, job, "report");
	if (dates)
		bind_range(st, job);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		if ((i = names != NULL ? name_index(names, text(st, 0)) :
		    sqlite3_column_int(st, 0)) >= 0)
			out[i] += sqlite3_column_int64(st, 1);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : fail(db, job, "report");
}

/*
 * Follow-ups recorded on time and late: one pass over the partial index
 * (no GROUP BY, which would sort), over a range of dates or all of them.
 */
static int
followup_counts(sqlite3 *db, struct report_job *job, bool dated, int64_t *on_time,
    int64_t *late)
{
	sqlite3_stmt	*st;
	int		 rc;

	if (sqlite3_prepare_v2(db, dated ?
	    "SELECT count(*), coalesce(sum(on_time), 0) FROM complaint_actions "
	    "INDEXED BY complaint_actions_followups "
	    "WHERE kind = 'followup' AND business_date BETWEEN ?1 AND ?2" :
	    "SELECT count(*), coalesce(sum(on_time), 0) FROM complaint_actions "
	    "INDEXED BY complaint_actions_followups WHERE kind = 'followup'",
	    -1, &st, NULL) != SQLITE_OK)
		return fail(db, job, "report");
	if (dated)
		bind_range(st, job);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		*on_time = sqlite3_column_int64(st, 1);
		*late = sqlite3_column_int64(st, 0) - *on_time;
	}
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? 0 : fail(db, job, "report");
}

/* ---- report.followups ---- */

/* ?2: now + REPORT_DUE_SOON_S. */
static const char *const followups_where[] = {
	[FOLLOWUPS_OPEN] = "state IN ('open', 'resolved')",	/* not closed */
	[FOLLOWUPS_OVERDUE] = "state IN ('open', 'resolved') AND overdue = 1",
	[FOLLOWUPS_ALL] = "1",
	[FOLLOWUPS_DUE_SOON] =
	    "state IN ('open', 'resolved') AND overdue = 0 AND follow_up_due <= ?2",
};

/*
 * Beside the complaint's own columns (store_complaint_row): its last
 * follow-up's line (found in the partial index of follow-ups by
 * complaint, sql/009, then read by rowid), and the score of the survey
 * that opened it.
 */
#define FOLLOWUP_ROW_COLUMNS \
	"(SELECT max(a.id) FROM complaint_actions a INDEXED BY complaint_actions_followup_of " \
	"WHERE a.complaint_id = complaints.id AND a.kind = 'followup'), " \
	"CASE WHEN channel = 'survey' THEN " \
	"(SELECT score FROM surveys WHERE complaint_id = complaints.id) END"
#define FOLLOWUP_ROW_FIRST	22	/* after store_complaint_columns() */

/* last: "SELECT at, outcome FROM complaint_actions WHERE id = ?1". */
static int
followup_row(sqlite3_stmt *st, sqlite3_stmt *last, struct followup_row *fw)
{
	int	col = FOLLOWUP_ROW_FIRST, rc = SQLITE_ROW;

	fw->fw_last_at = 0;
	fw->fw_last_outcome[0] = '\0';
	if (sqlite3_column_type(st, col) != SQLITE_NULL) {
		sqlite3_reset(last);
		sqlite3_bind_int64(last, 1, sqlite3_column_int64(st, col));
		if ((rc = sqlite3_step(last)) == SQLITE_ROW) {
			fw->fw_last_at = sqlite3_column_int64(last, 0);
			snprintf(fw->fw_last_outcome, sizeof fw->fw_last_outcome, "%s",
			    text(last, 1));
		}
	}
	fw->fw_survey_score = sqlite3_column_type(st, col + 1) == SQLITE_NULL ? -1 :
	    sqlite3_column_int(st, col + 1);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : -1;
}

/* ?2 of followups_where, where the statement has one. */
static void
bind_due_soon(sqlite3_stmt *st, const struct report_job *job)
{
	if (sqlite3_bind_parameter_count(st) >= 2)
		sqlite3_bind_int64(st, 2, job->rj_now + REPORT_DUE_SOON_S);
}

static int
followups_owners(sqlite3 *db, struct report_job *job)
{
	struct followups_report	*fr = &job->rj_followups;
	sqlite3_stmt		*st;
	int			 rc;

	if (sqlite3_prepare_v2(db,
	    "SELECT owner, count(*), sum(overdue), "
	    "sum(overdue = 0 AND follow_up_due <= ?1) FROM complaints "
	    "WHERE state IN ('open', 'resolved') GROUP BY owner ORDER BY owner", -1, &st,
	    NULL) != SQLITE_OK)
		return fail(db, job, "report.followups");
	sqlite3_bind_int64(st, 1, job->rj_now + REPORT_DUE_SOON_S);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct owner_count	*oc;

		if ((fr->fr_owners = reallocarray(fr->fr_owners, fr->fr_nowners + 1,
		    sizeof *fr->fr_owners)) == NULL)
			fatal("reallocarray");
		oc = &fr->fr_owners[fr->fr_nowners++];
		snprintf(oc->oc_staff, sizeof oc->oc_staff, "%s", text(st, 0));
		oc->oc_open = sqlite3_column_int64(st, 1);
		oc->oc_overdue = sqlite3_column_int64(st, 2);
		fr->fr_open += oc->oc_open;
		fr->fr_overdue += oc->oc_overdue;
		fr->fr_due_soon += sqlite3_column_int64(st, 3);
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : fail(db, job, "report.followups");
}

/*
 * The complaints `sql` selects (their columns, then FOLLOWUP_ROW_COLUMNS;
 * ?1 the LIMIT, ?2 the due-soon time, ?3 the staff member of a list of
 * one's own), one row at a time to the encoder: no array of a thousand
 * complaints.  A row past rj_limit only marks the list truncated.
 */
static int
followup_rows(sqlite3 *db, struct report_job *job, const char *sql, int64_t limit,
    const char *what)
{
	struct followups_report	*fr = &job->rj_followups;
	struct complaint	*c;
	struct followup_row	 fw;
	sqlite3_stmt		*st, *last;
	int			 rc;

	if (sqlite3_prepare_v2(db, "SELECT at, outcome FROM complaint_actions WHERE id = ?1", -1,
	    &last, NULL) != SQLITE_OK)
		return fail(db, job, what);
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
		sqlite3_finalize(last);
		return fail(db, job, what);
	}
	sqlite3_bind_int64(st, 1, limit);
	bind_due_soon(st, job);
	if (job->rj_own_only)
		sqlite3_bind_text(st, 3, job->rj_staff, -1, SQLITE_STATIC);
	if ((c = malloc(sizeof *c)) == NULL)
		fatal("malloc");
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if ((int64_t)fr->fr_nitems == job->rj_limit) {
			fr->fr_truncated = true;
			rc = SQLITE_DONE;
			break;
		}
		store_complaint_row(st, c);
		if (followup_row(st, last, &fw) == -1) {
			rc = SQLITE_ERROR;
			break;
		}
		fr->fr_nitems++;
		if (job->rj_item != NULL)
			job->rj_item(job, c, &fw);
	}
	free(c);
	sqlite3_finalize(st);
	sqlite3_finalize(last);
	return rc == SQLITE_DONE ? 0 : fail(db, job, what);
}

int
report_followups(sqlite3 *db, struct report_job *job)
{
	struct followups_report	*fr = &job->rj_followups;
	sqlite3_stmt		*st;
	char			 sql[1024];

	memset(fr, 0, sizeof *fr);
	if (followups_owners(db, job) == -1 ||
	    followup_counts(db, job, false, &fr->fr_on_time, &fr->fr_late) == -1)
		return -1;

	snprintf(sql, sizeof sql, "SELECT count(*) FROM complaints WHERE %s",
	    followups_where[job->rj_status]);
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		return fail(db, job, "report.followups");
	bind_due_soon(st, job);
	if (sqlite3_step(st) == SQLITE_ROW)
		fr->fr_total = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);

	snprintf(sql, sizeof sql, "SELECT %s, " FOLLOWUP_ROW_COLUMNS " FROM complaints "
	    "WHERE %s ORDER BY follow_up_due, id LIMIT ?1", store_complaint_columns(),
	    followups_where[job->rj_status]);
	return followup_rows(db, job, sql, job->rj_limit, "report.followups");
}

/* ---- complaint.list ---- */

/*
 * A staff member's complaints (those they own or first responded to), or
 * every one for a supervisor: the conditions of report.followups, overdue
 * first, then by due.  A staff member's are found through the owner and
 * first-responder indexes (sql/011), a handful of rows to sort: the unary
 * + keeps the planner from the state index, which it would otherwise take
 * (no ANALYZE) and read every open complaint of the branch.  One row past
 * the limit says there are more.
 */
static const char *const own_where[] = {
	[FOLLOWUPS_OPEN] = "+state IN ('open', 'resolved')",
	[FOLLOWUPS_OVERDUE] = "+state IN ('open', 'resolved') AND +overdue = 1",
	[FOLLOWUPS_ALL] = "1",
	[FOLLOWUPS_DUE_SOON] =
	    "+state IN ('open', 'resolved') AND +overdue = 0 AND +follow_up_due <= ?2",
};

int
report_complaint_list(sqlite3 *db, struct report_job *job)
{
	char	sql[1024];

	memset(&job->rj_followups, 0, sizeof job->rj_followups);
	snprintf(sql, sizeof sql, "SELECT %s, " FOLLOWUP_ROW_COLUMNS " FROM complaints "
	    "WHERE (%s)%s ORDER BY overdue DESC, follow_up_due, id LIMIT ?1",
	    store_complaint_columns(), job->rj_own_only ? own_where[job->rj_status] :
	    followups_where[job->rj_status],
	    job->rj_own_only ? " AND (owner = ?3 OR first_responder = ?3)" : "");
	/* One row past the limit says there are more. */
	return followup_rows(db, job, sql, job->rj_limit + 1, "complaint.list");
}

/* ---- report.summary ---- */

/* A stretch of one window's open time in the range, and the time inside it
 * that a ticket was current there. */
struct window_span {
	int64_t	ws_from, ws_to;
	size_t	ws_staff;	/* its holder: a slot of sr_staff */
	bool	ws_paused;
	int64_t	ws_busy;
};

/* A ticket of the range and the period it was issued in. */
struct ticket_period {
	int64_t		tp_id;
	size_t		tp_period;
};

struct staff_pass {
	struct durations	st_service;
	struct durations	st_by_service[SERVICE__COUNT];
};

struct summary_pass {
	struct durations	 sp_wait[LANE__COUNT];
	struct durations	 sp_wait_all;
	struct durations	*sp_period_wait;	/* grouped: per period */
	struct staff_pass	*sp_staff;	/* parallel to sr_staff */
	size_t			*sp_hash;	/* open addressing: slot + 1, 0 empty */
	size_t			 sp_hash_cap;	/* a power of two, over twice sr_nstaff */
	/* The range's days (grouped; else its two ends) and periods; time is
	 * counted up to sp_end, the end of the range or now, whichever is first. */
	int64_t			*sp_days;
	size_t			 sp_ndays;
	int64_t			*sp_bounds;	/* sr_nperiods periods */
	int64_t			 sp_lo, sp_end;
	bool			 sp_scan;	/* read tables straight through */
	int64_t			 sp_first_id, sp_last_id;	/* the range's tickets' ids */
	/* Each window's open time. */
	struct window_span	*sp_spans[BQ_MAX_WINDOW + 1];
	size_t			 sp_nspans[BQ_MAX_WINDOW + 1], sp_capspans[BQ_MAX_WINDOW + 1];
	/* Tickets of the range ever transferred (ascending), and those of
	 * them called: their visits to windows are read from their history. */
	int64_t			*sp_transferred, *sp_revisited;
	size_t			 sp_ntransferred, sp_nrevisited;
	/* Tickets of the range diverted and then rerouted to a queue. */
	struct ticket_period	*sp_back;
	size_t			 sp_nback, sp_capback;
};

static size_t
staff_hash(const char *staff)
{
	size_t	h = 14695981039346656037ULL & SIZE_MAX;	/* FNV-1a */

	while (*staff != '\0')
		h = (h ^ (unsigned char)*staff++) * (1099511628211ULL & SIZE_MAX);
	return h;
}

static void
staff_hash_put(struct summary_pass *sp, const char *staff, size_t slot)
{
	size_t	i;

	for (i = staff_hash(staff) & (sp->sp_hash_cap - 1); sp->sp_hash[i] != 0;
	    i = (i + 1) & (sp->sp_hash_cap - 1))
		;
	sp->sp_hash[i] = slot + 1;
}

/* The index of a staff member's figures, added on first sight. */
static size_t
staff_slot(struct summary_report *sr, struct summary_pass *sp, const char *staff)
{
	size_t	i, slot;

	if (sp->sp_hash_cap > 0) {
		for (i = staff_hash(staff) & (sp->sp_hash_cap - 1); sp->sp_hash[i] != 0;
		    i = (i + 1) & (sp->sp_hash_cap - 1))
			if (strcmp(sr->sr_staff[sp->sp_hash[i] - 1].ss_staff, staff) == 0)
				return sp->sp_hash[i] - 1;
	}
	slot = sr->sr_nstaff;
	if ((sr->sr_staff = reallocarray(sr->sr_staff, slot + 1, sizeof *sr->sr_staff)) == NULL ||
	    (sp->sp_staff = reallocarray(sp->sp_staff, slot + 1, sizeof *sp->sp_staff)) == NULL)
		fatal("reallocarray");
	memset(&sr->sr_staff[slot], 0, sizeof sr->sr_staff[slot]);
	memset(&sp->sp_staff[slot], 0, sizeof sp->sp_staff[slot]);
	snprintf(sr->sr_staff[slot].ss_staff, sizeof sr->sr_staff[slot].ss_staff, "%s", staff);
	sr->sr_nstaff++;
	if (2 * sr->sr_nstaff >= sp->sp_hash_cap) {
		sp->sp_hash_cap = sp->sp_hash_cap ? 2 * sp->sp_hash_cap : 64;
		free(sp->sp_hash);
		if ((sp->sp_hash = calloc(sp->sp_hash_cap, sizeof *sp->sp_hash)) == NULL)
			fatal("calloc");
		for (i = 0; i < sr->sr_nstaff; i++)
			staff_hash_put(sp, sr->sr_staff[i].ss_staff, i);
	} else
		staff_hash_put(sp, staff, slot);
	return slot;
}

/* In enum ticket_status order. */
static const char *const ticket_statuses[] = {
	"diverted", "waiting", "called", "serving", "done", "no_show", "cancelled", "expired",
	NULL
};

/*
 * Whether the range covers a third or more of the days the tickets span.
 * Such a range is read straight through the table, in rowid order, rather
 * than through the (business_date, number) index and a table lookup per
 * ticket: a year of a million tickets in 0.5 s rather than 0.85 s here.  The
 * rows, and so the figures, are the same either way.  -1 on an error.
 */
static int
range_is_most(sqlite3 *db, struct report_job *job)
{
	sqlite3_stmt	*st;
	int		 rc, most = 0;

	if (sqlite3_prepare_v2(db,
	    "SELECT (julianday(min(?2, hi)) - julianday(max(?1, lo)) + 1) * 3 >= "
	    "julianday(hi) - julianday(lo) + 1 FROM (SELECT "
	    "(SELECT min(business_date) FROM tickets) AS lo, "
	    "(SELECT max(business_date) FROM tickets) AS hi)", -1, &st, NULL) != SQLITE_OK)
		return fail(db, job, "report.summary");
	bind_range(st, job);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW)
		most = sqlite3_column_int(st, 0);	/* NULL (no tickets): 0 */
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? most : fail(db, job, "report.summary");
}

/* The range's days and periods; sr_periods with their times. */
static void
summary_range(struct report_job *job, struct summary_pass *sp)
{
	struct summary_report	*sr = &job->rj_summary;
	size_t			 i;

	/* The days only when grouped (at most REPORT_MAX_DAYS_BY_DAY): finished
	 * tickets are held within theirs.  Else the range's ends alone. */
	sp->sp_ndays = report_periods(job->rj_from, job->rj_to, job->rj_group != GROUP_NONE ?
	    GROUP_DAY : GROUP_NONE, &sp->sp_days);
	sr->sr_nperiods = report_periods(job->rj_from, job->rj_to, job->rj_group,
	    &sp->sp_bounds);
	sp->sp_lo = sp->sp_days[0];
	sp->sp_end = sp->sp_days[sp->sp_ndays] < job->rj_now ? sp->sp_days[sp->sp_ndays] :
	    job->rj_now;
	if ((sr->sr_periods = calloc(sr->sr_nperiods, sizeof *sr->sr_periods)) == NULL ||
	    (sp->sp_period_wait = calloc(sr->sr_nperiods, sizeof *sp->sp_period_wait)) == NULL)
		fatal("calloc");
	for (i = 0; i < sr->sr_nperiods; i++) {
		sr->sr_periods[i].ps_from = sp->sp_bounds[i];
		sr->sr_periods[i].ps_to = sp->sp_bounds[i + 1];
	}
}

/*
 * The period of a ticket's end (completion, no-show): when it happened,
 * held within the ticket's own business day, so that every figure of a
 * ticket falls in its day; a ticket finished after its day (one left at a
 * window over midnight) counts in its day's last period.
 */
static size_t
finished_period(const struct summary_report *sr, const struct summary_pass *sp,
    int64_t issued_at, int64_t finished_at)
{
	size_t	day = period_of(sp->sp_days, sp->sp_ndays, issued_at);

	if (finished_at >= sp->sp_days[day + 1])
		finished_at = sp->sp_days[day + 1] - 1;
	if (finished_at < sp->sp_days[day])
		finished_at = sp->sp_days[day];
	return period_of(sp->sp_bounds, sr->sr_nperiods, finished_at);
}

/* Whether a ticket of the range was ever transferred (DOMAIN §2). */
static bool
was_transferred(const struct summary_pass *sp, int64_t id)
{
	size_t	lo = 0, hi = sp->sp_ntransferred, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (sp->sp_transferred[mid] < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < sp->sp_ntransferred && sp->sp_transferred[lo] == id;
}

/*
 * The first and last ticket ids of the range, to read the partial indexes
 * of transfers and reroutes (a few thousand lines a year each) between
 * them; all of them for a long range.  Tickets of other days in between
 * (a clock set back) are read but never counted: they are not looked up.
 */
static int
summary_id_bounds(sqlite3 *db, struct report_job *job, struct summary_pass *sp)
{
	sqlite3_stmt	*st;
	int		 rc;

	sp->sp_first_id = 0;
	sp->sp_last_id = INT64_MAX;
	if (sp->sp_scan)
		return 0;
	if (sqlite3_prepare_v2(db, "SELECT min(id), max(id) FROM tickets "
	    "WHERE business_date BETWEEN ?1 AND ?2", -1, &st, NULL) != SQLITE_OK)
		return fail(db, job, "report.summary");
	bind_range(st, job);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		sp->sp_first_id = sqlite3_column_int64(st, 0);	/* no tickets: NULL, 0 */
		sp->sp_last_id = sqlite3_column_int64(st, 1);
	}
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? 0 : fail(db, job, "report.summary");
}

/*
 * The tickets of the range ever transferred: the only ones a window can
 * have called more than once (a call ends in a no-show, a completion or a
 * transfer, and only a transfer lets the ticket be called again), from
 * the partial index of transfers (sql/009).
 */
static int
summary_transferred(sqlite3 *db, struct report_job *job, struct summary_pass *sp)
{
	sqlite3_stmt	*st;
	size_t		 cap = 0;
	int		 rc;

	if (sqlite3_prepare_v2(db, "SELECT DISTINCT ticket_id FROM ticket_events "
	    "INDEXED BY ticket_events_transferred WHERE kind = 'transferred' "
	    "AND ticket_id BETWEEN ?1 AND ?2 ORDER BY ticket_id", -1, &st, NULL) != SQLITE_OK)
		return fail(db, job, "report.summary");
	sqlite3_bind_int64(st, 1, sp->sp_first_id);
	sqlite3_bind_int64(st, 2, sp->sp_last_id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (sp->sp_ntransferred == cap) {
			cap = cap ? 2 * cap : 64;
			if ((sp->sp_transferred = reallocarray(sp->sp_transferred, cap,
			    sizeof *sp->sp_transferred)) == NULL)
				fatal("reallocarray");
		}
		sp->sp_transferred[sp->sp_ntransferred++] = sqlite3_column_int64(st, 0);
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : fail(db, job, "report.summary");
}

/*
 * A ticket was current at a window (called or serving) from..to: serving
 * time for who called it, and busy time in the window's open time.
 */
static void
visit_add(struct summary_report *sr, struct summary_pass *sp, int no, size_t staff,
    int64_t from, int64_t to)
{
	struct window_span	*ws;
	size_t			 lo = 0, hi, mid;

	if (from < sp->sp_lo)
		from = sp->sp_lo;
	if (to > sp->sp_end)
		to = sp->sp_end;
	if (to <= from)
		return;
	sr->sr_staff[staff].ss_serving_s += to - from;
	if (no < 1 || no > BQ_MAX_WINDOW)
		return;
	/* The first span ending after from; a window's spans are in order. */
	ws = sp->sp_spans[no];
	hi = sp->sp_nspans[no];
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (ws[mid].ws_to <= from)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (; lo < sp->sp_nspans[no] && ws[lo].ws_from < to; lo++)
		ws[lo].ws_busy += (ws[lo].ws_to < to ? ws[lo].ws_to : to) -
		    (ws[lo].ws_from > from ? ws[lo].ws_from : from);
}

static void
rerouted_add(struct summary_pass *sp, int64_t id, size_t period)
{
	if (sp->sp_nback == sp->sp_capback) {
		sp->sp_capback = sp->sp_capback ? 2 * sp->sp_capback : 256;
		if ((sp->sp_back = reallocarray(sp->sp_back, sp->sp_capback,
		    sizeof *sp->sp_back)) == NULL)
			fatal("reallocarray");
	}
	sp->sp_back[sp->sp_nback].tp_id = id;
	sp->sp_back[sp->sp_nback++].tp_period = period;
}

/* One pass over the range's tickets. */
static int
summary_tickets(sqlite3 *db, struct report_job *job, struct summary_pass *sp)
{
	struct summary_report	*sr = &job->rj_summary;
	struct period_stats	*ps;
	sqlite3_stmt		*st;
	size_t			 period, slot;
	int64_t			 issued_at, id, end;
	int			 rc, lane, issue_lane, wait_lane, service, status, rule;
	bool			 grouped = job->rj_group != GROUP_NONE;

#define SUMMARY_COLUMNS	"SELECT lane, issue_lane, service, status, eligible, issued_at, " \
	"first_called_at, started_at, finished_at, staff, id, route_rule, called_at, window, " \
	"closed_by, first_called_lane FROM tickets "
	if (sqlite3_prepare_v2(db, sp->sp_scan ?
	    SUMMARY_COLUMNS "NOT INDEXED WHERE business_date BETWEEN ?1 AND ?2" :
	    SUMMARY_COLUMNS "WHERE business_date BETWEEN ?1 AND ?2", -1, &st, NULL) != SQLITE_OK)
		return fail(db, job, "report.summary");
	bind_range(st, job);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if ((lane = name_index(lane_names, text(st, 0))) < 0 ||
		    (issue_lane = name_index(lane_names, text(st, 1))) < 0 ||
		    (service = name_index(service_names, text(st, 2))) < 0 ||
		    (status = name_index(ticket_statuses, text(st, 3))) < 0)
			continue;	/* cannot happen: the daemon wrote it */
		issued_at = sqlite3_column_int64(st, 5);
		period = grouped ? period_of(sp->sp_bounds, sr->sr_nperiods, issued_at) : 0;
		ps = &sr->sr_periods[period];
		sr->sr_tickets++;
		sr->sr_by_lane[lane]++;
		sr->sr_by_service[service]++;
		sr->sr_by_status[status]++;
		ps->ps_tickets++;
		if (sqlite3_column_int(st, 4) != 0) {
			sr->sr_eligible++;
			ps->ps_eligible++;
			/* Eligible by amount, kept from the machines: by the rule that did. */
			if (issue_lane != LANE_SELF_SERVICE &&
			    (rule = route_rule_from_name(text(st, 11))) >= 0)
				sr->sr_kept[rule]++;
		}
		if (issue_lane == LANE_SELF_SERVICE) {
			sr->sr_diverted++;
			ps->ps_diverted++;
			/* Only a reroute takes a ticket out of self-service. */
			if (lane != LANE_SELF_SERVICE)
				rerouted_add(sp, sqlite3_column_int64(st, 10), period);
			/* Still at the machines when cancelled: the customer used
			 * neither a machine nor a queue.  Rerouted and then gone
			 * from that queue: a customer who left a queue. */
			if (lane == LANE_SELF_SERVICE && status == TS_CANCELLED)
				sr->sr_unused++;
			else if (lane != LANE_SELF_SERVICE &&
			    (status == TS_CANCELLED || status == TS_EXPIRED))
				sr->sr_left_queue++;
		}
		if (status == TS_NO_SHOW) {
			sr->sr_no_show++;
			sr->sr_no_show_by_lane[lane]++;
		}
		if ((status == TS_DONE || status == TS_NO_SHOW) && grouped) {
			ps = &sr->sr_periods[finished_period(sr, sp, issued_at,
			    sqlite3_column_int64(st, 8))];
			if (status == TS_DONE)
				ps->ps_served++;
			else
				ps->ps_no_show++;
		}
		if (sqlite3_column_type(st, 6) == SQLITE_NULL)
			continue;	/* never called */

		/* DOMAIN §2: the wait runs from the (original) issue to the first
		 * call, and counts in the lane it was called from: for a ticket
		 * transferred later, where it waited, not where it went. */
		if ((wait_lane = name_index(lane_names, text(st, 15))) < 0)
			wait_lane = lane;
		durations_add(&sp->sp_wait[wait_lane], sqlite3_column_int64(st, 6) - issued_at);
		durations_add(&sp->sp_wait_all, sqlite3_column_int64(st, 6) - issued_at);
		if (grouped)
			durations_add(&sp->sp_period_wait[period],
			    sqlite3_column_int64(st, 6) - issued_at);
		if (sqlite3_column_type(st, 9) == SQLITE_NULL)
			continue;
		/* A ticket counts for who called it last: the teller at whose
		 * window it was served or marked no-show. */
		slot = staff_slot(sr, sp, text(st, 9));	/* may move sp_staff */
		id = sqlite3_column_int64(st, 10);
		if (was_transferred(sp, id)) {
			/* Its visits and calls come from its history (summary_revisits). */
			sp->sp_revisited[sp->sp_nrevisited++] = id;
		} else {
			/* Called once, current until it ended (or now). */
			end = status == TS_DONE || status == TS_NO_SHOW ?
			    sqlite3_column_int64(st, 8) : sp->sp_end;
			sr->sr_staff[slot].ss_called++;
			visit_add(sr, sp, sqlite3_column_int(st, 13), slot,
			    sqlite3_column_int64(st, 12), end);
		}
		if (status == TS_NO_SHOW) {
			/* Marked by the teller; not one the day end closed. */
			if (sqlite3_column_type(st, 14) == SQLITE_NULL)
				sr->sr_staff[slot].ss_no_shows++;
		} else if (status == TS_DONE) {
			sr->sr_staff[slot].ss_served++;
			/* A service the day end cut off (closed_by) spans the night:
			 * it is no service time (PROTOCOL 1.1). */
			if (sqlite3_column_type(st, 7) != SQLITE_NULL &&
			    sqlite3_column_type(st, 14) == SQLITE_NULL) {
				int64_t s = sqlite3_column_int64(st, 8) -
				    sqlite3_column_int64(st, 7);

				durations_add(&sp->sp_staff[slot].st_service, s);
				durations_add(&sp->sp_staff[slot].st_by_service[service], s);
			}
		}
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : fail(db, job, "report.summary");
}

static void
span_add(struct summary_pass *sp, int no, int64_t from, int64_t to, size_t staff, bool paused)
{
	struct window_span	*ws;

	if (to <= from)
		return;
	if (sp->sp_nspans[no] == sp->sp_capspans[no]) {
		sp->sp_capspans[no] = sp->sp_capspans[no] ? 2 * sp->sp_capspans[no] : 16;
		if ((sp->sp_spans[no] = reallocarray(sp->sp_spans[no], sp->sp_capspans[no],
		    sizeof *sp->sp_spans[no])) == NULL)
			fatal("reallocarray");
	}
	ws = &sp->sp_spans[no][sp->sp_nspans[no]++];
	ws->ws_from = from;
	ws->ws_to = to;
	ws->ws_staff = staff;
	ws->ws_paused = paused;
	ws->ws_busy = 0;
}

/*
 * Each window's open and paused time in the range, from its history
 * (window_events): its state when the range begins, then each change.
 */
static int
summary_windows(sqlite3 *db, struct report_job *job, struct summary_pass *sp)
{
	struct summary_report	*sr = &job->rj_summary;
	sqlite3_stmt		*before = NULL, *during = NULL;
	int64_t			 from = 0, at;
	size_t			 staff = 0;
	bool			 open, paused = false;
	int			 no, rc = SQLITE_DONE;

	if (sp->sp_end <= sp->sp_lo)
		return 0;
	if (sqlite3_prepare_v2(db, "SELECT at, state, staff FROM window_events "
	    "WHERE window = ?1 AND at < ?2 ORDER BY at DESC, id DESC LIMIT 1", -1, &before,
	    NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, "SELECT at, state, staff FROM window_events "
	    "WHERE window = ?1 AND at >= ?2 AND at < ?3 ORDER BY at, id", -1, &during,
	    NULL) != SQLITE_OK) {
		sqlite3_finalize(before);
		return fail(db, job, "report.summary");
	}
	for (no = 1; no <= BQ_MAX_WINDOW && (rc == SQLITE_DONE || rc == SQLITE_ROW); no++) {
		sqlite3_reset(before);
		sqlite3_bind_int(before, 1, no);
		sqlite3_bind_int64(before, 2, sp->sp_lo);
		open = false;
		if ((rc = sqlite3_step(before)) == SQLITE_ROW &&
		    strcmp(text(before, 1), "closed") != 0) {
			open = true;
			paused = strcmp(text(before, 1), "paused") == 0;
			staff = staff_slot(sr, sp, text(before, 2));
			from = sp->sp_lo;
		}
		if (rc != SQLITE_ROW && rc != SQLITE_DONE)
			break;
		sqlite3_reset(during);
		sqlite3_bind_int(during, 1, no);
		sqlite3_bind_int64(during, 2, sp->sp_lo);
		sqlite3_bind_int64(during, 3, sp->sp_end);
		while ((rc = sqlite3_step(during)) == SQLITE_ROW) {
			at = sqlite3_column_int64(during, 0);
			if (open)
				span_add(sp, no, from, at, staff, paused);
			open = strcmp(text(during, 1), "closed") != 0;
			paused = strcmp(text(during, 1), "paused") == 0;
			/* A window's holder changes once a day at most. */
			if (open && (staff >= sr->sr_nstaff ||
			    strcmp(sr->sr_staff[staff].ss_staff, text(during, 2)) != 0))
				staff = staff_slot(sr, sp, text(during, 2));
			from = at;
		}
		if (open)
			span_add(sp, no, from, sp->sp_end, staff, paused);
	}
	sqlite3_finalize(before);
	sqlite3_finalize(during);
	return rc == SQLITE_DONE ? 0 : fail(db, job, "report.summary");
}

/*
 * The transferred tickets' visits to windows, from their history: each
 * call starts one (and counts for who made it), the ticket's next line
 * ends it (a no-show, a completion, a transfer, any but a recall or a
 * start); one that nothing ended is current still.
 */
static int
summary_revisits(sqlite3 *db, struct report_job *job, struct summary_pass *sp)
{
	struct summary_report	*sr = &job->rj_summary;
	sqlite3_stmt		*st;
	const char		*kind;
	int64_t			 from = 0;
	size_t			 i, staff = 0;
	int			 rc = SQLITE_DONE, no = 0;
	bool			 visiting;

	if (sp->sp_nrevisited == 0)
		return 0;
	if (sqlite3_prepare_v2(db, "SELECT at, kind, staff, window FROM ticket_events "
	    "WHERE ticket_id = ?1 ORDER BY id", -1, &st, NULL) != SQLITE_OK)
		return fail(db, job, "report.summary");
	for (i = 0; i < sp->sp_nrevisited && rc == SQLITE_DONE; i++) {
		sqlite3_reset(st);
		sqlite3_bind_int64(st, 1, sp->sp_revisited[i]);
		visiting = false;
		while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
			kind = text(st, 1);
			if (strcmp(kind, "recalled") == 0 || strcmp(kind, "started") == 0 ||
			    strcmp(kind, "issued") == 0 || strcmp(kind, "rerouted") == 0)
				continue;
			if (visiting)
				visit_add(sr, sp, no, staff, from, sqlite3_column_int64(st, 0));
			if ((visiting = strcmp(kind, "called") == 0 &&
			    sqlite3_column_type(st, 2) != SQLITE_NULL)) {
				from = sqlite3_column_int64(st, 0);
				no = sqlite3_column_int(st, 3);
				staff = staff_slot(sr, sp, text(st, 2));
				sr->sr_staff[staff].ss_called++;
			}
		}
		if (visiting)
			visit_add(sr, sp, no, staff, from, sp->sp_end);
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : fail(db, job, "report.summary");
}

static int
cmp_ticket_period(const void *a, const void *b)
{
	int64_t	x = ((const struct ticket_period *)a)->tp_id;
	int64_t	y = ((const struct ticket_period *)b)->tp_id;

	return (x > y) - (x < y);
}

/*
 * Reroutes out of self-service of the range's tickets, by reason (and by
 * the period the ticket was issued in): the reasons of the tickets the
 * pass found rerouted, read from the partial index of reroutes alone
 * (sql/009 makes it hold the lane and the reason), no table touched.
 */
static int
summary_reroutes(sqlite3 *db, struct report_job *job, struct summary_pass *sp)
{
	struct summary_report	*sr = &job->rj_summary;
	struct ticket_period	 key, *tp;
	sqlite3_stmt		*st;
	int			 rc, i;

	if (sp->sp_nback == 0)
		return 0;
	qsort(sp->sp_back, sp->sp_nback, sizeof *sp->sp_back, cmp_ticket_period);
	if (sqlite3_prepare_v2(db, "SELECT ticket_id, reason FROM ticket_events "
	    "INDEXED BY ticket_events_rerouted WHERE kind = 'rerouted' "
	    "AND ticket_id BETWEEN ?1 AND ?2 AND from_lane = 'self_service'", -1, &st,
	    NULL) != SQLITE_OK)
		return fail(db, job, "report.summary");
	sqlite3_bind_int64(st, 1, sp->sp_back[0].tp_id);
	sqlite3_bind_int64(st, 2, sp->sp_back[sp->sp_nback - 1].tp_id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		key.tp_id = sqlite3_column_int64(st, 0);
		if ((tp = bsearch(&key, sp->sp_back, sp->sp_nback, sizeof *sp->sp_back,
		    cmp_ticket_period)) == NULL ||
		    (i = name_index(reroute_reasons, text(st, 1))) < 0)
			continue;	/* another day's ticket between them */
		sr->sr_rerouted[i]++;
		sr->sr_periods[tp->tp_period].ps_rerouted++;
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : fail(db, job, "report.summary");
}

/* Open time not busy: paused or idle, for the window's holder. */
static void
summary_window_time(struct summary_report *sr, struct summary_pass *sp)
{
	struct window_span	*ws;
	int64_t			 spare;
	size_t			 i;
	int			 no;

	for (no = 1; no <= BQ_MAX_WINDOW; no++) {
		for (i = 0; i < sp->sp_nspans[no]; i++) {
			ws = &sp->sp_spans[no][i];
			if ((spare = ws->ws_to - ws->ws_from - ws->ws_busy) < 0)
				spare = 0;
			if (ws->ws_paused)
				sr->sr_staff[ws->ws_staff].ss_paused_s += spare;
			else
				sr->sr_staff[ws->ws_staff].ss_idle_s += spare;
		}
	}
}

/* The time the self-service zone was marked out of order (selfservice_events). */
static int
summary_selfservice(sqlite3 *db, struct report_job *job, struct summary_pass *sp)
{
	struct summary_report	*sr = &job->rj_summary;
	sqlite3_stmt		*st;
	int64_t			 from = sp->sp_lo, at;
	bool			 down = false;
	int			 rc;

	if (sp->sp_end <= sp->sp_lo)
		return 0;
	if (sqlite3_prepare_v2(db, "SELECT available FROM selfservice_events WHERE at < ?1 "
	    "ORDER BY at DESC, id DESC LIMIT 1", -1, &st, NULL) != SQLITE_OK)
		return fail(db, job, "report.summary");
	sqlite3_bind_int64(st, 1, sp->sp_lo);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW)
		down = sqlite3_column_int(st, 0) == 0;
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return fail(db, job, "report.summary");
	if (sqlite3_prepare_v2(db, "SELECT at, available FROM selfservice_events "
	    "WHERE at >= ?1 AND at < ?2 ORDER BY at, id", -1, &st, NULL) != SQLITE_OK)
		return fail(db, job, "report.summary");
	sqlite3_bind_int64(st, 1, sp->sp_lo);
	sqlite3_bind_int64(st, 2, sp->sp_end);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		at = sqlite3_column_int64(st, 0);
		if (down)
			sr->sr_self_service_down_s += at - from;
		down = sqlite3_column_int(st, 1) == 0;
		from = at;
	}
	if (down)
		sr->sr_self_service_down_s += sp->sp_end - from;
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : fail(db, job, "report.summary");
}

static int
summary_complaints(sqlite3 *db, struct report_job *job, const struct summary_pass *sp)
{
	struct summary_report	*sr = &job->rj_summary;
	sqlite3_stmt		*st;
	int			 rc, i, sev;

	if (sqlite3_prepare_v2(db,
	    "SELECT category, severity, root_cause, state, overdue, logged_at FROM complaints "
	    "WHERE business_date BETWEEN ?1 AND ?2", -1, &st, NULL) != SQLITE_OK)
		return fail(db, job, "report.summary");
	bind_range(st, job);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		sr->sr_complaints++;
		/* In the period it was logged in (one of the range: its date is). */
		if (job->rj_group != GROUP_NONE)
			sr->sr_periods[period_of(sp->sp_bounds, sr->sr_nperiods,
			    sqlite3_column_int64(st, 5))].ps_complaints++;
		if ((i = name_index(complaint_categories, text(st, 0))) >= 0)
			sr->sr_by_category[i]++;
		if ((sev = sqlite3_column_int(st, 1)) >= 1 && sev <= 3)
			sr->sr_by_severity[sev]++;
		i = name_index(root_causes, text(st, 2));
		sr->sr_by_cause[i >= 0 ? i : CAUSE__COUNT]++;
		if (strcmp(text(st, 3), "closed") != 0 && sqlite3_column_int(st, 4) != 0)
			sr->sr_open_overdue++;
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : fail(db, job, "report.summary");
}

/* Grouped: each period's survey answers, in the period each was given. */
static int
summary_nps_periods(sqlite3 *db, struct report_job *job, const struct summary_pass *sp)
{
	struct summary_report	*sr = &job->rj_summary;
	struct period_stats	*ps;
	sqlite3_stmt		*st;
	int			 rc;

	if (sqlite3_prepare_v2(db, "SELECT at, score FROM surveys "
	    "WHERE business_date BETWEEN ?1 AND ?2", -1, &st, NULL) != SQLITE_OK)
		return fail(db, job, "report.summary");
	bind_range(st, job);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		ps = &sr->sr_periods[period_of(sp->sp_bounds, sr->sr_nperiods,
		    sqlite3_column_int64(st, 0))];
		switch (nps_class(sqlite3_column_int(st, 1))) {
		case NPS_DETRACTOR: ps->ps_detractors++; break;
		case NPS_PASSIVE: ps->ps_passives++; break;
		case NPS_PROMOTER: ps->ps_promoters++; break;
		}
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : fail(db, job, "report.summary");
}

static int
summary_money_and_nps(sqlite3 *db, struct report_job *job, const struct summary_pass *sp)
{
	struct summary_report	*sr = &job->rj_summary;
	int64_t			 comp[1] = { 0 }, scores[11];
	int			 i;

	memset(scores, 0, sizeof scores);
	if (count_by(db, job,
	    "SELECT 0, coalesce(sum(amount_fen), 0) FROM complaint_actions "
	    "WHERE business_date BETWEEN ?1 AND ?2 AND kind = 'compensation'",
	    NULL, comp, true) == -1 ||
	    /* By the complaint's root cause as it stands; unresolved: the rest. */
	    count_by(db, job,
	    "SELECT c.root_cause, sum(a.amount_fen) "
	    "FROM complaint_actions a JOIN complaints c ON c.id = a.complaint_id "
	    "WHERE a.business_date BETWEEN ?1 AND ?2 AND a.kind = 'compensation' "
	    "AND c.root_cause IS NOT NULL GROUP BY 1", root_causes,
	    sr->sr_compensation_by_cause_fen, true) == -1 ||
	    followup_counts(db, job, true, &sr->sr_followup_on_time,
	    &sr->sr_followup_late) == -1 ||
	    count_by(db, job,
	    "SELECT score, count(*) FROM surveys WHERE business_date BETWEEN ?1 AND ?2 "
	    "GROUP BY score", NULL, scores, true) == -1 ||
	    (job->rj_group != GROUP_NONE && summary_nps_periods(db, job, sp) == -1))
		return -1;
	for (i = 0; i < REROUTE_REASON__COUNT; i++)
		sr->sr_rerouted_total += sr->sr_rerouted[i];
	sr->sr_compensation_fen = comp[0];
	sr->sr_compensation_by_cause_fen[CAUSE__COUNT] = comp[0];
	for (i = 0; i < CAUSE__COUNT; i++)
		sr->sr_compensation_by_cause_fen[CAUSE__COUNT] -=
		    sr->sr_compensation_by_cause_fen[i];
	for (i = 0; i <= 10; i++) {
		switch (nps_class(i)) {
		case NPS_DETRACTOR: sr->sr_detractors += scores[i]; break;
		case NPS_PASSIVE: sr->sr_passives += scores[i]; break;
		case NPS_PROMOTER: sr->sr_promoters += scores[i]; break;
		}
	}
	return 0;
}

/* Statistics from the durations gathered, and everything freed. */
static void
summary_finish(struct report_job *job, struct summary_pass *sp)
{
	struct summary_report	*sr = &job->rj_summary;
	size_t			 i, j;
	int			 no;

	/* The histograms count the very waits the statistics are of. */
	for (i = 0; i < LANE__COUNT; i++) {
		for (j = 0; j < sp->sp_wait[i].d_n; j++)
			sr->sr_wait_hist[i][wait_bucket(sp->sp_wait[i].d_v[j])]++;
		durations_stats(&sp->sp_wait[i], job->rj_target_wait_s, &sr->sr_wait[i]);
		free(sp->sp_wait[i].d_v);
	}
	for (j = 0; j < sp->sp_wait_all.d_n; j++)
		sr->sr_wait_all_hist[wait_bucket(sp->sp_wait_all.d_v[j])]++;
	durations_stats(&sp->sp_wait_all, job->rj_target_wait_s, &sr->sr_wait_all);
	free(sp->sp_wait_all.d_v);
	for (i = 0; i < sr->sr_nperiods; i++) {
		durations_stats(&sp->sp_period_wait[i], job->rj_target_wait_s,
		    &sr->sr_periods[i].ps_wait);
		free(sp->sp_period_wait[i].d_v);
	}
	free(sp->sp_period_wait);
	for (i = 0; i < sr->sr_nstaff; i++) {
		durations_stats(&sp->sp_staff[i].st_service, -1, &sr->sr_staff[i].ss_service);
		free(sp->sp_staff[i].st_service.d_v);
		for (j = 0; j < SERVICE__COUNT; j++) {
			durations_stats(&sp->sp_staff[i].st_by_service[j], -1,
			    &sr->sr_staff[i].ss_by_service[j]);
			free(sp->sp_staff[i].st_by_service[j].d_v);
		}
	}
	free(sp->sp_staff);
	free(sp->sp_hash);
	free(sp->sp_days);
	free(sp->sp_bounds);
	free(sp->sp_transferred);
	free(sp->sp_revisited);
	free(sp->sp_back);
	for (no = 0; no <= BQ_MAX_WINDOW; no++)
		free(sp->sp_spans[no]);
}

int
report_summary(sqlite3 *db, struct report_job *job)
{
	struct summary_report	*sr = &job->rj_summary;
	struct summary_pass	 sp;
	int			 rc;

	memset(sr, 0, sizeof *sr);
	memset(&sp, 0, sizeof sp);
	summary_range(job, &sp);
	/* One read transaction: every figure from the same snapshot. */
	if (sqlite3_exec(db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK) {
		summary_finish(job, &sp);
		return fail(db, job, "report.summary");
	}
	/* The windows' open time first: each visit is then counted in it. */
	if ((rc = range_is_most(db, job)) >= 0) {
		sp.sp_scan = rc == 1;
		rc = summary_id_bounds(db, job, &sp);
	}
	if (rc == 0)
		rc = summary_transferred(db, job, &sp);
	if (rc == 0)
		rc = summary_windows(db, job, &sp);
	if (rc == 0) {
		if ((sp.sp_revisited = calloc(sp.sp_ntransferred + 1,
		    sizeof *sp.sp_revisited)) == NULL)
			fatal("calloc");
		rc = summary_tickets(db, job, &sp);
	}
	if (rc == 0)
		rc = summary_revisits(db, job, &sp);
	if (rc == 0)
		rc = summary_reroutes(db, job, &sp);
	if (rc == 0) {
		summary_window_time(sr, &sp);
		rc = summary_selfservice(db, job, &sp);
	}
	if (rc == 0)
		rc = summary_complaints(db, job, &sp);
	if (rc == 0)
		rc = summary_money_and_nps(db, job, &sp);
	sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
	summary_finish(job, &sp);
	return rc;
}
/* ---- report.compensation ---- */

/* Compensation granted on the business dates of the range, by time. */
int
report_compensation(sqlite3 *db, struct report_job *job)
{
	struct compensation_report	*cr = &job->rj_compensation;
	struct grant			*g;
	sqlite3_stmt			*st;
	size_t				 cap;
	int				 rc;

	memset(cr, 0, sizeof *cr);
	if (sqlite3_prepare_v2(db, "SELECT count(*), coalesce(sum(amount_fen), 0) "
	    "FROM complaint_actions WHERE business_date BETWEEN ?1 AND ?2 "
	    "AND kind = 'compensation'", -1, &st, NULL) != SQLITE_OK)
		return fail(db, job, "report.compensation");
	bind_range(st, job);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		cr->cr_total = sqlite3_column_int64(st, 0);
		cr->cr_total_fen = sqlite3_column_int64(st, 1);
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW)
		return fail(db, job, "report.compensation");

	if (sqlite3_prepare_v2(db, "SELECT a.at, a.complaint_id, a.actor, a.amount_fen, "
	    "c.root_cause, c.category FROM complaint_actions a "
	    "JOIN complaints c ON c.id = a.complaint_id "
	    "WHERE a.business_date BETWEEN ?1 AND ?2 AND a.kind = 'compensation' "
	    "ORDER BY a.at, a.id LIMIT ?3", -1, &st, NULL) != SQLITE_OK)
		return fail(db, job, "report.compensation");
	bind_range(st, job);
	sqlite3_bind_int64(st, 3, job->rj_limit);
	/* The same snapshot: at most as many rows as counted. */
	cap = (size_t)(cr->cr_total < job->rj_limit ? cr->cr_total : job->rj_limit);
	if ((cr->cr_grants = calloc(cap + 1, sizeof *cr->cr_grants)) == NULL)
		fatal("calloc");
	while ((rc = sqlite3_step(st)) == SQLITE_ROW && cr->cr_ngrants < cap) {
		g = &cr->cr_grants[cr->cr_ngrants++];
		g->gr_at = sqlite3_column_int64(st, 0);
		g->gr_complaint = sqlite3_column_int64(st, 1);
		snprintf(g->gr_actor, sizeof g->gr_actor, "%s", text(st, 2));
		g->gr_amount_fen = sqlite3_column_int64(st, 3);
		g->gr_root_cause = name_index(root_causes, text(st, 4));
		g->gr_category = name_index(complaint_categories, text(st, 5));
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : fail(db, job, "report.compensation");
}

/* ---- the worker ---- */

/* One read transaction: every figure of a report from the same snapshot. */
static int
in_snapshot(struct report_job *job, int (*fn)(sqlite3 *, struct report_job *),
    const char *what)
{
	int	rc;

	if (sqlite3_exec(rp_db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK)
		return fail(rp_db, job, what);
	rc = fn(rp_db, job);
	sqlite3_exec(rp_db, "COMMIT", NULL, NULL, NULL);
	return rc;
}

static void
run_job(struct report_job *job)
{
	int	rc;

	job->rj_err[0] = '\0';
	switch (job->rj_kind) {
	case REPORT_FOLLOWUPS:
		rc = in_snapshot(job, report_followups, "report.followups");
		break;
	case REPORT_COMPENSATION:
		rc = in_snapshot(job, report_compensation, "report.compensation");
		break;
	case REPORT_COMPLAINT_LIST:
		rc = in_snapshot(job, report_complaint_list, "complaint.list");
		break;
	default:
		rc = report_summary(rp_db, job);	/* its own transaction */
		break;
	}
	job->rj_ok = rc == 0;
}

static void *
worker(void *arg)
{
	struct report_job	*job, **tail;

	(void)arg;
	pthread_mutex_lock(&rp_lock);
	for (;;) {
		while (!rp_stop && rp_queue == NULL)
			pthread_cond_wait(&rp_cond, &rp_lock);
		if (rp_queue == NULL)
			break;
		job = rp_queue;
		rp_queue = job->rj_next;
		pthread_mutex_unlock(&rp_lock);

		run_job(job);
		if (job->rj_encode != NULL)
			job->rj_encode(job);

		pthread_mutex_lock(&rp_lock);
		job->rj_next = NULL;
		for (tail = &rp_done; *tail != NULL; tail = &(*tail)->rj_next)
			;
		*tail = job;
		/* The loop wakes for the pipe; a full pipe already woke it. */
		(void)!write(rp_pipe[1], "r", 1);
	}
	pthread_mutex_unlock(&rp_lock);
	return NULL;
}

/* On the loop thread: hand finished jobs to their callbacks, in order. */
static void
reports_collect(evutil_socket_t fd, short what, void *arg)
{
	struct report_job	*done, *next;
	char			 buf[64];

	(void)what;
	(void)arg;
	while (read(fd, buf, sizeof buf) > 0)
		;
	pthread_mutex_lock(&rp_lock);
	done = rp_done;
	rp_done = NULL;
	for (next = done; next != NULL; next = next->rj_next)
		rp_queued--;
	pthread_mutex_unlock(&rp_lock);
	for (; done != NULL; done = next) {
		next = done->rj_next;
		done->rj_done(done);
	}
}

int
reports_start(struct event_base *base, const char *db_path, char *err, size_t errlen)
{
	int	i;

	if (sqlite3_open_v2(db_path, &rp_db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX,
	    NULL) != SQLITE_OK) {
		snprintf(err, errlen, "reports: cannot open the database: %s",
		    sqlite3_errmsg(rp_db));
		return -1;
	}
	sqlite3_busy_timeout(rp_db, REPORT_BUSY_TIMEOUT_MS);
	if (pipe(rp_pipe) == -1) {
		snprintf(err, errlen, "reports: pipe: %s", strerror(errno));
		return -1;
	}
	for (i = 0; i < 2; i++)
		fcntl(rp_pipe[i], F_SETFL, fcntl(rp_pipe[i], F_GETFL) | O_NONBLOCK);
	rp_event = event_new(base, rp_pipe[0], EV_READ | EV_PERSIST, reports_collect, NULL);
	if (rp_event == NULL || event_add(rp_event, NULL) == -1)
		fatalx("reports: cannot watch the pipe");
	rp_stop = false;
	if ((errno = pthread_create(&rp_thread, NULL, worker, NULL)) != 0) {
		snprintf(err, errlen, "reports: cannot start the worker: %s", strerror(errno));
		return -1;
	}
	rp_running = true;
	return 0;
}

void
reports_stop(void)
{
	if (rp_running) {
		pthread_mutex_lock(&rp_lock);
		rp_stop = true;
		pthread_cond_signal(&rp_cond);
		pthread_mutex_unlock(&rp_lock);
		pthread_join(rp_thread, NULL);	/* after the job under way */
		rp_running = false;
	}
	/* Jobs never started go back as they are; the connections are gone. */
	while (rp_queue != NULL) {
		struct report_job *job = rp_queue;

		rp_queue = job->rj_next;
		job->rj_next = rp_done;
		rp_done = job;
		snprintf(job->rj_err, sizeof job->rj_err, "the daemon is stopping");
		job->rj_ok = false;
	}
	if (rp_pipe[0] != -1)
		reports_collect(rp_pipe[0], EV_READ, NULL);
	if (rp_event != NULL)
		event_free(rp_event);
	rp_event = NULL;
	if (rp_pipe[0] != -1) {
		close(rp_pipe[0]);
		close(rp_pipe[1]);
	}
	rp_pipe[0] = rp_pipe[1] = -1;
	sqlite3_close(rp_db);
	rp_db = NULL;
}

int
report_submit(struct report_job *job)
{
	struct report_job	**tail;

	pthread_mutex_lock(&rp_lock);
	if (!rp_running || rp_queued >= REPORT_MAX_QUEUED) {
		pthread_mutex_unlock(&rp_lock);
		return -1;
	}
	job->rj_next = NULL;
	for (tail = &rp_queue; *tail != NULL; tail = &(*tail)->rj_next)
		;
	*tail = job;
	rp_queued++;
	pthread_cond_signal(&rp_cond);
	pthread_mutex_unlock(&rp_lock);
	return 0;
}

void
report_job_free(struct report_job *job)
{
	if (job == NULL)
		return;
	free(job->rj_followups.fr_owners);
	free(job->rj_summary.sr_staff);
	free(job->rj_summary.sr_periods);
	free(job->rj_compensation.cr_grants);
	free(job);
}
