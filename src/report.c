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

static const char *const followups_where[] = {
	[FOLLOWUPS_OPEN] = "state IN ('open', 'resolved')",	/* not closed */
	[FOLLOWUPS_OVERDUE] = "state IN ('open', 'resolved') AND overdue = 1",
	[FOLLOWUPS_ALL] = "1",
};

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

int
report_followups(sqlite3 *db, struct report_job *job)
{
	struct followups_report	*fr = &job->rj_followups;
	struct complaint	*c;
	sqlite3_stmt		*st;
	char			 sql[512];
	int			 rc;

	memset(fr, 0, sizeof *fr);
	if (followups_owners(db, job) == -1 ||
	    followup_counts(db, job, false, &fr->fr_on_time, &fr->fr_late) == -1)
		return -1;

	snprintf(sql, sizeof sql, "SELECT count(*) FROM complaints WHERE %s",
	    followups_where[job->rj_status]);
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		return fail(db, job, "report.followups");
	if (sqlite3_step(st) == SQLITE_ROW)
		fr->fr_total = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);

	/* One row at a time to the encoder: no array of a thousand complaints. */
	snprintf(sql, sizeof sql, "SELECT %s FROM complaints WHERE %s "
	    "ORDER BY follow_up_due, id LIMIT ?1", store_complaint_columns(),
	    followups_where[job->rj_status]);
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		return fail(db, job, "report.followups");
	sqlite3_bind_int64(st, 1, job->rj_limit);
	if ((c = malloc(sizeof *c)) == NULL)
		fatal("malloc");
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		store_complaint_row(st, c);
		fr->fr_nitems++;
		if (job->rj_item != NULL)
			job->rj_item(job, c);
	}
	free(c);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : fail(db, job, "report.followups");
}

/* ---- report.summary ---- */

struct summary_pass {
	struct durations	 sp_wait[LANE__COUNT];
	struct durations	 sp_wait_all;
	struct durations	*sp_staff;	/* parallel to sr_staff */
	size_t			*sp_hash;	/* open addressing: slot + 1, 0 empty */
	size_t			 sp_hash_cap;	/* a power of two, over twice sr_nstaff */
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

/* One pass over the range's tickets. */
static int
summary_tickets(sqlite3 *db, struct report_job *job, struct summary_pass *sp)
{
	struct summary_report	*sr = &job->rj_summary;
	sqlite3_stmt		*st;
	int			 rc, lane, issue_lane, wait_lane, service, status, scan;

#define SUMMARY_COLUMNS	"SELECT lane, issue_lane, service, status, eligible, issued_at, " \
	"first_called_at, started_at, finished_at, staff, closed_by, first_called_lane " \
	"FROM tickets "
	if ((scan = range_is_most(db, job)) == -1 ||
	    sqlite3_prepare_v2(db, scan ?
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
		sr->sr_tickets++;
		sr->sr_by_lane[lane]++;
		sr->sr_by_service[service]++;
		sr->sr_by_status[status]++;
		sr->sr_eligible += sqlite3_column_int(st, 4) != 0;
		sr->sr_diverted += issue_lane == LANE_SELF_SERVICE;
		if (status == TS_NO_SHOW) {
			sr->sr_no_show++;
			sr->sr_no_show_by_lane[lane]++;
		}
		/* DOMAIN §2: the wait runs from the (original) issue to the first
		 * call, and counts in the lane it was called from: for a ticket
		 * transferred later, where it waited, not where it went. */
		if (sqlite3_column_type(st, 6) != SQLITE_NULL) {
			int64_t w = sqlite3_column_int64(st, 6) - sqlite3_column_int64(st, 5);

			if ((wait_lane = name_index(lane_names, text(st, 11))) < 0)
				wait_lane = lane;
			durations_add(&sp->sp_wait[wait_lane], w);
			durations_add(&sp->sp_wait_all, w);
		}
		/* A service the day end cut off (closed_by) spans the night:
		 * it is no service time (PROTOCOL 1.1). */
		if (status == TS_DONE && sqlite3_column_type(st, 7) != SQLITE_NULL &&
		    sqlite3_column_type(st, 9) != SQLITE_NULL &&
		    sqlite3_column_type(st, 10) == SQLITE_NULL) {
			size_t slot = staff_slot(sr, sp, text(st, 9));	/* may move sp_staff */

			durations_add(&sp->sp_staff[slot],
			    sqlite3_column_int64(st, 8) - sqlite3_column_int64(st, 7));
		}
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : fail(db, job, "report.summary");
}

static int
summary_complaints(sqlite3 *db, struct report_job *job)
{
	struct summary_report	*sr = &job->rj_summary;
	sqlite3_stmt		*st;
	int			 rc, i, sev;

	if (sqlite3_prepare_v2(db,
	    "SELECT category, severity, root_cause, state, overdue FROM complaints "
	    "WHERE business_date BETWEEN ?1 AND ?2", -1, &st, NULL) != SQLITE_OK)
		return fail(db, job, "report.summary");
	bind_range(st, job);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		sr->sr_complaints++;
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

static int
summary_money_and_nps(sqlite3 *db, struct report_job *job)
{
	struct summary_report	*sr = &job->rj_summary;
	int64_t			 comp[1] = { 0 }, scores[11];
	int			 i;

	memset(scores, 0, sizeof scores);
	if (count_by(db, job,
	    "SELECT e.reason, count(*) FROM ticket_events e JOIN tickets t ON t.id = e.ticket_id "
	    "WHERE e.kind = 'rerouted' AND e.from_lane = 'self_service' "
	    "AND t.business_date BETWEEN ?1 AND ?2 GROUP BY e.reason",
	    reroute_reasons, sr->sr_rerouted, true) == -1 ||
	    count_by(db, job,
	    "SELECT 0, coalesce(sum(amount_fen), 0) FROM complaint_actions "
	    "WHERE business_date BETWEEN ?1 AND ?2 AND kind = 'compensation'",
	    NULL, comp, true) == -1 ||
	    followup_counts(db, job, true, &sr->sr_followup_on_time,
	    &sr->sr_followup_late) == -1 ||
	    count_by(db, job,
	    "SELECT score, count(*) FROM surveys WHERE business_date BETWEEN ?1 AND ?2 "
	    "GROUP BY score", NULL, scores, true) == -1)
		return -1;
	for (i = 0; i < REROUTE_REASON__COUNT; i++)
		sr->sr_rerouted_total += sr->sr_rerouted[i];
	sr->sr_compensation_fen = comp[0];
	for (i = 0; i <= 10; i++) {
		switch (nps_class(i)) {
		case NPS_DETRACTOR: sr->sr_detractors += scores[i]; break;
		case NPS_PASSIVE: sr->sr_passives += scores[i]; break;
		case NPS_PROMOTER: sr->sr_promoters += scores[i]; break;
		}
	}
	return 0;
}

int
report_summary(sqlite3 *db, struct report_job *job)
{
	struct summary_report	*sr = &job->rj_summary;
	struct summary_pass	 sp;
	size_t			 i;
	int			 rc;

	memset(sr, 0, sizeof *sr);
	memset(&sp, 0, sizeof sp);
	/* One read transaction: every figure from the same snapshot. */
	if (sqlite3_exec(db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK)
		return fail(db, job, "report.summary");
	rc = summary_tickets(db, job, &sp);
	if (rc == 0)
		rc = summary_complaints(db, job);
	if (rc == 0)
		rc = summary_money_and_nps(db, job);
	sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);

	for (i = 0; i < LANE__COUNT; i++) {
		durations_stats(&sp.sp_wait[i], job->rj_target_wait_s, &sr->sr_wait[i]);
		free(sp.sp_wait[i].d_v);
	}
	durations_stats(&sp.sp_wait_all, job->rj_target_wait_s, &sr->sr_wait_all);
	free(sp.sp_wait_all.d_v);
	for (i = 0; i < sr->sr_nstaff; i++) {
		durations_stats(&sp.sp_staff[i], -1, &sr->sr_staff[i].ss_service);
		free(sp.sp_staff[i].d_v);
	}
	free(sp.sp_staff);
	free(sp.sp_hash);
	return rc;
}

/* ---- the worker ---- */

static void
run_job(struct report_job *job)
{
	int	rc;

	job->rj_err[0] = '\0';
	if (job->rj_kind == REPORT_FOLLOWUPS) {
		if (sqlite3_exec(rp_db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK)
			rc = fail(rp_db, job, "report.followups");
		else {
			rc = report_followups(rp_db, job);
			sqlite3_exec(rp_db, "COMMIT", NULL, NULL, NULL);
		}
	} else
		rc = report_summary(rp_db, job);
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
	free(job);
}
