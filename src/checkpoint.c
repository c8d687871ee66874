/*
 * Checkpoints off the event loop.
 *
 * In WAL mode a commit appends pages to the WAL.  A checkpoint copies them
 * back into the database file and syncs it; only when every page is copied
 * may the WAL start again from its beginning.  Left to itself SQLite runs a
 * checkpoint inside the COMMIT that takes the WAL past 1,000 pages: on the
 * loop that was a stall of about 4 ms every ~170 ms under load, felt by
 * every terminal whose request was in that pass (docs/PERFORMANCE.md).
 *
 * Here a thread with its own connection does the copying.  Its checkpoints
 * are PASSIVE: they never wait for the loop's writes nor block them.  But
 * under steady load the loop commits while the thread copies, so the
 * thread alone rarely finds the WAL wholly copied with no commit to
 * follow, and the WAL would never start over.  So the loop finishes the
 * job: once the thread has copied all it found (twice at most, or until
 * few pages are left), the loop copies the rest itself right after a
 * commit, when nothing can be written in between, and SQLite starts the
 * WAL over at the next transaction.  That last step copies few pages but
 * still syncs the files, about 3 ms once per WAL instead of about 2 ms
 * every 1,000 pages; the long copy is on the thread.
 *
 * If the thread falls behind (a slow disk) or its checkpoints fail, the
 * loop checkpoints after every commit past the limit, so the WAL stays
 * bounded.  A report reading an old snapshot holds back every checkpoint,
 * the loop's too (SQLite may not overwrite what a reader may still read):
 * then the WAL grows until the report ends, as it did before; the loop
 * does not finish a copy that a reader cut short.  The loop's checkpoints
 * are PASSIVE too: one that meets the thread's returns at once.
 *
 * Thread and loop share only the fields under ck_lock.  The WAL's size
 * comes from SQLite's WAL hook, called on the loop after each commit; a
 * size smaller than the last one means SQLite started the WAL over.  (A
 * new start this misses, when the first commit is larger than the whole
 * WAL before it, only makes the loop copy a little more: a checkpoint is
 * correct whoever runs it.)
 */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <sqlite3.h>

#include "branchq.h"

/* Copies the thread makes of one WAL before the loop copies what is left. */
#define CKPT_THREAD_PASSES	2

struct checkpointer {
	sqlite3		*ck_db;		/* the thread's own connection */
	pthread_t	 ck_thread;
	pthread_mutex_t	 ck_lock;
	pthread_cond_t	 ck_cond;
	int		 ck_start;	/* WAL pages before the thread starts */
	int		 ck_finish;	/* pages left that the loop copies itself */
	int		 ck_limit;	/* pages past which the loop checkpoints */

	/* The loop's alone. */
	int		 ck_frames;	/* WAL pages after the last commit */
	unsigned	 ck_wal_gen;	/* counts WAL restarts */
	bool		 ck_failing;	/* the loop's last checkpoint failed */
	unsigned long	 ck_by_loop, ck_at_limit;
	int64_t		 ck_loop_ns, ck_loop_max_ns;	/* the loop's time in them */

	/* Under ck_lock. */
	bool		 ck_stop;
	bool		 ck_busy;	/* asked, or copying */
	unsigned	 ck_asked_gen;	/* ck_wal_gen when asked */
	unsigned	 ck_done_gen;	/* ... for the last copy that succeeded */
	int		 ck_passes;	/* copies of that WAL */
	int		 ck_done;	/* its pages copied, after the last */
	bool		 ck_whole;	/* the last copied all it found (no reader
					 * on an old snapshot held it back) */
	unsigned long	 ck_by_thread;
};

static struct checkpointer	 ckp = {
	.ck_lock = PTHREAD_MUTEX_INITIALIZER,
	.ck_cond = PTHREAD_COND_INITIALIZER,
};
static bool			 ck_running;

/* One warning when checkpoints start failing, one line when they recover. */
static void
checkpoint_result(sqlite3 *db, const char *who, int rc, bool *failing)
{
	if (rc == SQLITE_BUSY)
		return;		/* the other one is copying */
	if (rc != SQLITE_OK && !*failing)
		log_warnx("event=checkpoint_failed by=%s error=\"%s\": the WAL grows until a "
		    "checkpoint succeeds", who, sqlite3_errmsg(db));
	else if (rc == SQLITE_OK && *failing)
		log_info("event=checkpoint_recovered by=%s", who);
	*failing = rc != SQLITE_OK;
}

static void *
checkpoint_main(void *arg)
{
	struct checkpointer	*ck = arg;
	unsigned		 gen;
	bool			 failing = false;
	int			 rc, log, done;

	pthread_mutex_lock(&ck->ck_lock);
	for (;;) {
		while (!ck->ck_stop && !ck->ck_busy)
			pthread_cond_wait(&ck->ck_cond, &ck->ck_lock);
		if (ck->ck_stop)
			break;
		gen = ck->ck_asked_gen;
		pthread_mutex_unlock(&ck->ck_lock);

		log = done = -1;
		rc = sqlite3_wal_checkpoint_v2(ck->ck_db, NULL, SQLITE_CHECKPOINT_PASSIVE,
		    &log, &done);
		checkpoint_result(ck->ck_db, "worker", rc, &failing);

		pthread_mutex_lock(&ck->ck_lock);
		if (rc == SQLITE_OK) {
			ck->ck_passes = ck->ck_done_gen == gen ? ck->ck_passes + 1 : 1;
			ck->ck_done_gen = gen;
			ck->ck_done = done;
			ck->ck_whole = done >= log;
			ck->ck_by_thread++;
		}
		ck->ck_busy = false;
	}
	pthread_mutex_unlock(&ck->ck_lock);
	return NULL;
}

/* On the loop, after the WAL took a commit: `frames` pages in it now. */
static int
checkpoint_hook(void *arg, sqlite3 *db, const char *name, int frames)
{
	struct checkpointer	*ck = arg;
	struct timespec		 t0, t1;
	int64_t			 ns;
	bool			 loop_copies = false, ours;

	if (frames < ck->ck_frames)
		ck->ck_wal_gen++;	/* SQLite started the WAL over */
	ck->ck_frames = frames;
	if (frames < ck->ck_start)
		return SQLITE_OK;

	pthread_mutex_lock(&ck->ck_lock);
	/* What the thread copied counts only if it was this WAL. */
	ours = ck->ck_done_gen == ck->ck_wal_gen && ck->ck_done <= frames;
	if (frames >= ck->ck_limit)
		loop_copies = true;
	else if (!ck->ck_busy) {	/* else the thread is on it */
		if (ours && ck->ck_whole && (frames - ck->ck_done <= ck->ck_finish ||
		    ck->ck_passes >= CKPT_THREAD_PASSES))
			loop_copies = true;
		else {
			ck->ck_busy = true;
			ck->ck_asked_gen = ck->ck_wal_gen;
			pthread_cond_signal(&ck->ck_cond);
		}
	}
	pthread_mutex_unlock(&ck->ck_lock);
	if (!loop_copies)
		return SQLITE_OK;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	checkpoint_result(db, "loop", sqlite3_wal_checkpoint_v2(db, name,
	    SQLITE_CHECKPOINT_PASSIVE, NULL, NULL), &ck->ck_failing);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ns = (int64_t)(t1.tv_sec - t0.tv_sec) * 1000000000 + (t1.tv_nsec - t0.tv_nsec);
	ck->ck_loop_ns += ns;
	if (ns > ck->ck_loop_max_ns)
		ck->ck_loop_max_ns = ns;
	if (frames >= ck->ck_limit)
		ck->ck_at_limit++;
	else
		ck->ck_by_loop++;
	/* The commit stands whatever the checkpoint did. */
	return SQLITE_OK;
}

int
checkpoint_start(sqlite3 *db, int wal_pages, char *err, size_t errlen)
{
	struct checkpointer	*ck = &ckp;
	const char		*path = sqlite3_db_filename(db, "main");

	if (ck_running)
		fatalx("checkpoint_start: already running");
	ck->ck_start = wal_pages;
	ck->ck_finish = wal_pages / 32 > 16 ? wal_pages / 32 : 16;
	ck->ck_limit = 5 * wal_pages;
	ck->ck_frames = 0;
	ck->ck_wal_gen = ck->ck_asked_gen = ck->ck_done_gen = 0;
	ck->ck_done = ck->ck_passes = 0;
	ck->ck_stop = ck->ck_busy = ck->ck_failing = ck->ck_whole = false;
	ck->ck_by_thread = ck->ck_by_loop = ck->ck_at_limit = 0;
	ck->ck_loop_ns = ck->ck_loop_max_ns = 0;

	/* A connection opens the WAL at its first read: before that a
	 * checkpoint would do nothing. */
	if (sqlite3_open_v2(path, &ck->ck_db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX,
	    NULL) != SQLITE_OK ||
	    sqlite3_exec(ck->ck_db, "PRAGMA synchronous = FULL; "
	    "SELECT count(*) FROM sqlite_schema", NULL, NULL, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "checkpoints: cannot open the database: %s",
		    sqlite3_errmsg(ck->ck_db));
		sqlite3_close(ck->ck_db);
		ck->ck_db = NULL;
		return -1;
	}
	if ((errno = pthread_create(&ck->ck_thread, NULL, checkpoint_main, ck)) != 0) {
		snprintf(err, errlen, "checkpoints: cannot start the worker: %s",
		    strerror(errno));
		sqlite3_close(ck->ck_db);
		ck->ck_db = NULL;
		return -1;
	}
	ck_running = true;
	sqlite3_wal_hook(db, checkpoint_hook, ck);	/* in place of SQLite's own */
	return 0;
}

void
checkpoint_stop(sqlite3 *db)
{
	struct checkpointer	*ck = &ckp;

	if (!ck_running)
		return;
	sqlite3_wal_hook(db, NULL, NULL);
	pthread_mutex_lock(&ck->ck_lock);
	ck->ck_stop = true;
	pthread_cond_signal(&ck->ck_cond);
	pthread_mutex_unlock(&ck->ck_lock);
	pthread_join(ck->ck_thread, NULL);	/* after the copy under way */
	if (sqlite3_close(ck->ck_db) != SQLITE_OK)
		log_warnx("database: checkpoints: close: %s", sqlite3_errmsg(ck->ck_db));
	ck->ck_db = NULL;
	ck_running = false;
	/* Copies by the worker, last steps on the loop, forced at the limit,
	 * and how long the loop spent in its checkpoints: in all, the longest. */
	log_info("event=checkpoints worker=%lu loop=%lu limit=%lu loop_ms=%.1f loop_max_ms=%.1f",
	    ck->ck_by_thread, ck->ck_by_loop, ck->ck_at_limit, (double)ck->ck_loop_ns / 1e6,
	    (double)ck->ck_loop_max_ns / 1e6);
}
