/*
 * Retention (PIPL: personal data no longer than needed; docs/SECURITY.md
 * "Personal data and retention").  Once a day, and once soon after start,
 * the customers' names and phones and the survey reasons of complaints
 * closed more than retention_days ago are erased, and the reasons of
 * surveys that opened no complaint given that long ago.  The complaints,
 * their history and every figure stay.
 *
 * A run erases in batches (COMPLAINT_BATCH complaints, SURVEY_BATCH
 * surveys), one transaction each,
 * the next batch a deadline of its own at "now": a later turn of the loop,
 * so that tickets and calls never wait behind more than one batch.  Each
 * batch's rows come from a partial index of what is left to erase
 * (sql/013), never a scan.
 *
 * A batch joins the loop iteration's group transaction (store_write), so
 * it is erased only once the group commits: the barrier tells us
 * (retention_group_done).  retention_erased_total() counts what committed;
 * a group that failed is logged, ends the run under way, and a run a
 * little later finds the same rows still to erase.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "branchq.h"

/* Rows per transaction.  A complaint is its row, its survey, its webhook
 * bodies (each parsed and rewritten) and its keys: 50 hold the loop about
 * as long as 200 surveys do, a few milliseconds (docs/PERFORMANCE.md). */
#define COMPLAINT_BATCH		50
#define SURVEY_BATCH		200
#define RETENTION_STARTUP_S	60	/* the first run, after start-up settles */
#define RETENTION_HOUR		3	/* the daily run, local time: after the */
#define RETENTION_MINUTE	15	/* night's backup (backup_at 02:30) */
#define RETENTION_RETRY_S	300	/* a batch the database refused */

static struct {
	struct branch	*r_branch;
	struct deadline	 r_deadline;
	bool		 r_running;
	int64_t		 r_cutoff;	/* this run's: closed or given before it */
	bool		 r_surveys;	/* the complaints are done: surveys now */
	uint64_t	 r_pending;	/* erased in the open group, not yet committed */
	struct timespec	 r_batch_t0;	/* when the open group's last batch began */
	uint64_t	 r_complaints;	/* erased in this run */
	uint64_t	 r_surveys_n;
	uint64_t	 r_batches;
	double		 r_max_ms;	/* the longest batch of the run */
	uint64_t	 r_total;	/* since start: complaints and surveys */
	int64_t		 r_last_run_at;	/* the end of the last run; 0: none yet */
} rt;

static void	retention_fire(void *);

/* The next RETENTION_HOUR:RETENTION_MINUTE local time after at. */
static int64_t
next_daily_run(int64_t at)
{
	time_t		t = (time_t)at, next;
	struct tm	tm;

	localtime_r(&t, &tm);
	tm.tm_hour = RETENTION_HOUR;
	tm.tm_min = RETENTION_MINUTE;
	tm.tm_sec = 0;
	tm.tm_isdst = -1;
	if ((next = mktime(&tm)) <= t) {
		localtime_r(&t, &tm);
		tm.tm_mday += 1;
		tm.tm_hour = RETENTION_HOUR;
		tm.tm_min = RETENTION_MINUTE;
		tm.tm_sec = 0;
		tm.tm_isdst = -1;
		next = mktime(&tm);
	}
	return next > t ? (int64_t)next : at + 86400;
}

void
retention_start(struct branch *b)
{
	memset(&rt, 0, sizeof rt);
	rt.r_branch = b;
	deadline_init(&rt.r_deadline, "retention", retention_fire, NULL);
	deadline_arm(&rt.r_deadline, clock_now() + RETENTION_STARTUP_S);
}

uint64_t
retention_erased_total(void)
{
	return rt.r_total;
}

int64_t
retention_last_run_at(void)
{
	return rt.r_last_run_at;
}

struct retention_batch {
	int64_t		 rb_ids[SURVEY_BATCH];
	int64_t		 rb_tickets[SURVEY_BATCH];	/* surveys' */
	size_t		 rb_n;
	bool		 rb_surveys;
	int64_t		 rb_at;
};

static int
batch_writes(struct store *s, void *arg)
{
	const struct retention_batch	*rb = arg;
	size_t				 i;

	for (i = 0; i < rb->rb_n; i++) {
		if (rb->rb_surveys ? store_erase_survey(s, rb->rb_ids[i], rb->rb_tickets[i],
		    rb->rb_at) == -1 : store_erase_complaint(s, rb->rb_ids[i], rb->rb_at) == -1)
			return -1;
	}
	return 0;
}

/* One batch: 1 if there may be more, 0 when the run is done, -1. */
static int
retention_batch(struct store *s)
{
	struct retention_batch	rb;
	struct timespec		t0, t1;
	double			ms;
	int			rc;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	memset(&rb, 0, sizeof rb);
	rb.rb_at = clock_now();
	rb.rb_surveys = rt.r_surveys;
	if (rb.rb_surveys)
		rc = store_erase_due_surveys(s, rt.r_cutoff, rb.rb_ids, rb.rb_tickets,
		    SURVEY_BATCH, &rb.rb_n);
	else
		rc = store_erase_due_complaints(s, rt.r_cutoff, rb.rb_ids, COMPLAINT_BATCH,
		    &rb.rb_n);
	if (rc == -1)
		return -1;
	if (rb.rb_n > 0 && store_write(s, batch_writes, &rb, NULL, NULL) == -1)
		return -1;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ms = (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
	if (rb.rb_n > 0) {
		rt.r_batches++;
		if (ms > rt.r_max_ms)
			rt.r_max_ms = ms;
		log_debug("event=retention_batch kind=%s rows=%zu ms=%.3f",
		    rb.rb_surveys ? "surveys" : "complaints", rb.rb_n, ms);
		if (rb.rb_surveys)
			rt.r_surveys_n += rb.rb_n;
		else
			rt.r_complaints += rb.rb_n;
		/* Outside a group (none here but in tools) it is committed. */
		if (store_group_open(s)) {
			rt.r_pending += rb.rb_n;
			rt.r_batch_t0 = t0;
		} else {
			rt.r_total += rb.rb_n;
			metrics_retention(rt.r_last_run_at, rt.r_total);
		}
	}
	if (rb.rb_n == (rb.rb_surveys ? SURVEY_BATCH : COMPLAINT_BATCH))
		return 1;
	if (!rt.r_surveys) {
		rt.r_surveys = true;	/* the complaints are done */
		return 1;
	}
	return 0;
}

/* The run is over: said, and the next one armed.  Its last batch commits
 * with this turn of the loop; should that fail, the fault line follows. */
static void
run_end(int64_t now)
{
	rt.r_running = false;
	rt.r_last_run_at = now;
	log_info("event=retention erased_complaints=%" PRIu64 " erased_surveys=%" PRIu64
	    " batches=%" PRIu64 " retention_days=%d max_batch_ms=%.1f", rt.r_complaints,
	    rt.r_surveys_n, rt.r_batches, rt.r_branch->b_cfg->cf_retention_days, rt.r_max_ms);
	deadline_arm(&rt.r_deadline, next_daily_run(now));
	metrics_retention(rt.r_last_run_at, rt.r_total);
}

void
retention_group_done(bool committed)
{
	struct timespec	t1;

	if (rt.r_branch == NULL || rt.r_pending == 0)
		return;
	if (!committed) {
		log_warnx("event=fault component=retention error=\"the group's commit failed; "
		    "%" PRIu64 " rows stay as they were\" retry_s=%d", rt.r_pending,
		    RETENTION_RETRY_S);
		rt.r_pending = 0;
		rt.r_running = false;
		deadline_arm(&rt.r_deadline, clock_now() + RETENTION_RETRY_S);
		return;
	}
	rt.r_total += rt.r_pending;
	rt.r_pending = 0;
	metrics_retention(rt.r_last_run_at, rt.r_total);
	/* The batch's whole time on the loop: its statements, then the commit
	 * (docs/PERFORMANCE.md "Retention"). */
	clock_gettime(CLOCK_MONOTONIC, &t1);
	log_debug("event=retention_commit ms=%.3f", (double)(t1.tv_sec - rt.r_batch_t0.tv_sec) *
	    1e3 + (double)(t1.tv_nsec - rt.r_batch_t0.tv_nsec) / 1e6);
}

static void
retention_fire(void *arg)
{
	struct branch	*b = rt.r_branch;
	int64_t		 now = clock_now();
	int		 rc;

	(void)arg;
	if (!rt.r_running) {
		rt.r_running = true;
		rt.r_cutoff = now - (int64_t)b->b_cfg->cf_retention_days * 86400;
		rt.r_surveys = false;
		rt.r_complaints = rt.r_surveys_n = rt.r_batches = 0;
		rt.r_max_ms = 0;
	}
	if ((rc = retention_batch(b->b_store)) == -1) {
		log_warnx("event=fault component=retention error=%s retry_s=%d",
		    log_str(store_errmsg(b->b_store)), RETENTION_RETRY_S);
		deadline_arm(&rt.r_deadline, now + RETENTION_RETRY_S);
		return;
	}
	if (rc == 1) {
		/* A turn of the loop of its own: what waits goes first. */
		deadline_arm(&rt.r_deadline, now);
		return;
	}
	run_end(now);
}
