/*
 * Backups: online, consistent copies of the database, made on a worker
 * thread (docs/OPERATIONS.md "Back up").
 *
 * A copy is SQLite's backup API in one step (sqlite3_backup_step(-1)) from
 * a connection the worker opens for the job: one read transaction, begun
 * after the job was handed over, so the copy holds every change committed
 * before then, and none half.  In WAL mode that read neither waits for the
 * loop's writes nor blocks them.  (An incremental step loop would start
 * over after every commit from another connection; VACUUM INTO, the other
 * way, took three times as long on a year's database, and held its read,
 * and so the checkpoints, that much longer.)
 *
 * The copy is written under a temporary name in the backup directory,
 * given the rollback journal (a single file, what a restore copies), then
 * opened again and checked with PRAGMA integrity_check, synced, renamed
 * into place and the directory synced.  Any failure removes what was
 * written: a copy in the directory has passed its check.  After a copy
 * passes, the older copies of its kind beyond backup_keep are deleted.
 *
 * The loop only hands a job over (a mutex and a signal) and takes the
 * result back through a pipe, as src/report.c does; it never touches the
 * files.  Daily copies are due at backup_at (local time, on the daemon
 * clock: the test clock's clock.advance fires them); one asked for on
 * demand while another is under way or waiting is refused, daily ones
 * wait their turn.
 */
#ifdef __linux__
#define _GNU_SOURCE	/* sync_file_range(2) */
#endif
#include <sys/stat.h>

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <sqlite3.h>

#include "branchq.h"

#define BACKUP_BUSY_TIMEOUT_MS	5000	/* the worker may wait; the loop never does */
#define BACKUP_BUSY_TRIES	20	/* a copy that finds the database busy */
#define BACKUP_MAX_QUEUED	4	/* daily copies waiting their turn */
#define BACKUP_PREFIX		"branchq-"
#define BACKUP_STAMP		"DDDD-DD-DDTDDDDDD"	/* D: a digit */
#define BACKUP_TMP		".tmp"
#define BACKUP_SYNC_STEP	(8 * 1024 * 1024)	/* bytes written out at a time */

struct backup_job {
	struct backup_result	 bj_res;	/* the name and start set by the loop */
	char			 bj_by[BQ_ID_LEN + 1];	/* the terminal, or "" (daily) */
	int			 bj_keep;
	void			(*bj_done)(const struct backup_result *, void *);
	void			*bj_arg;
	char			*bj_pruned;	/* "a.db,b.db": older copies deleted */
	char			 bj_prune_err[256];	/* a deletion that failed */
	int64_t			 bj_copy_ms, bj_check_ms;	/* the steps' times */
	struct backup_job	*bj_next;	/* the worker's queue, then done */
	struct backup_job	*bj_loop_next;	/* the loop's: handed over, not back */
};

static const char *const backup_kinds[] = {
	[BACKUP_DAILY] = "daily", [BACKUP_ONDEMAND] = "ondemand",
};
/* Files SQLite may make beside a copy while it is written (a journal, and a
 * WAL while the copy is turned to the rollback journal). */
static const char *const tmp_sides[] = { "-journal", "-wal", "-shm" };

/* Set at start, read by both. */
static char			*bk_dir, *bk_db_path;

/* Under bk_lock. */
static pthread_t		 bk_thread;
static pthread_mutex_t		 bk_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t		 bk_cond = PTHREAD_COND_INITIALIZER;
static struct backup_job	*bk_queue, *bk_done;	/* FIFO lists */
static sqlite3			*bk_active[2];	/* the job's open connections */
static _Atomic bool		 bk_stop;

/* The loop's alone. */
static bool			 bk_running;
static int			 bk_pipe[2] = { -1, -1 };
static struct event		*bk_event;
static struct deadline		 bk_daily;
static int			 bk_minute, bk_keep;
static struct backup_job	*bk_inflight, **bk_inflight_tail = &bk_inflight;
static size_t			 bk_ninflight;
static int64_t			 bk_last_ok_at, bk_last_bytes;
static uint64_t			 bk_failures;

/* ---- names ---- */

/* "branchq-2026-12-06T023000-daily.db": local time, sortable by name. */
static void
backup_name(int64_t at, enum backup_kind kind, char out[BACKUP_NAME_LEN])
{
	time_t		t = (time_t)at;
	struct tm	tm;
	char		stamp[32];

	localtime_r(&t, &tm);
	if (strftime(stamp, sizeof stamp, "%Y-%m-%dT%H%M%S", &tm) == 0)
		snprintf(stamp, sizeof stamp, "9999-12-31T235959");
	snprintf(out, BACKUP_NAME_LEN, BACKUP_PREFIX "%s-%s.db", stamp, backup_kinds[kind]);
}

/* Whether name is a copy of that kind as backup_name() makes them, with
 * `more` after it (BACKUP_TMP, or ""): an operator's own files are let be. */
static bool
backup_name_is(const char *name, enum backup_kind kind, const char *more)
{
	size_t	plen = strlen(BACKUP_PREFIX), slen = strlen(BACKUP_STAMP), i;
	char	tail[32];

	if (strncmp(name, BACKUP_PREFIX, plen) != 0 || strlen(name) < plen + slen)
		return false;
	for (i = 0; i < slen; i++) {
		if (BACKUP_STAMP[i] == 'D' ? !isdigit((unsigned char)name[plen + i]) :
		    name[plen + i] != BACKUP_STAMP[i])
			return false;
	}
	snprintf(tail, sizeof tail, "-%s.db%s", backup_kinds[kind], more);
	return strcmp(name + plen + slen, tail) == 0;
}

/* ---- the worker ---- */

static int
job_fail(struct backup_job *job, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int
job_fail(struct backup_job *job, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	vsnprintf(job->bj_res.br_err, sizeof job->bj_res.br_err, fmt, ap);
	va_end(ap);
	return -1;
}

static int
db_fail(struct backup_job *job, sqlite3 *db, const char *what)
{
	return job_fail(job, "%s: %s", what, db != NULL ? sqlite3_errmsg(db) : "out of memory");
}

/* The connections the job has open, for backup_stop()'s interrupt. */
static void
set_active(sqlite3 *a, sqlite3 *b)
{
	pthread_mutex_lock(&bk_lock);
	bk_active[0] = a;
	bk_active[1] = b;
	pthread_mutex_unlock(&bk_lock);
}

static void
close_db(sqlite3 *db)
{
	if (db != NULL && sqlite3_close(db) != SQLITE_OK)
		log_warnx("event=backup_close error=\"%s\"", sqlite3_errmsg(db));
}

/* A statement's one text result, as it is (a PRAGMA's). */
static int
one_text(sqlite3 *db, const char *sql, char *out, size_t outlen)
{
	sqlite3_stmt		*st;
	const unsigned char	*v;
	int			 rc;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		return -1;
	out[0] = '\0';
	if ((rc = sqlite3_step(st)) == SQLITE_ROW && (v = sqlite3_column_text(st, 0)) != NULL)
		snprintf(out, outlen, "%s", (const char *)v);
	sqlite3_finalize(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : -1;
}

/*
 * The database into tmp, in one step: one read transaction of a
 * connection opened now, so the snapshot is taken after the job was
 * handed over.  The copy keeps the source's WAL mark in its header; it is
 * given the rollback journal, so that it is one file.
 */
static int
copy_database(struct backup_job *job, const char *tmp)
{
	sqlite3		*src = NULL, *dst = NULL;
	sqlite3_backup	*b;
	char		 mode[32];
	int		 fd, rc, tries = 0;

	/* 0640 as the database: the copy holds the same personal data. */
	if (unlink(tmp) == -1 && errno != ENOENT)
		return job_fail(job, "cannot remove an old %s: %s", tmp, strerror(errno));
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640)) == -1)
		return job_fail(job, "cannot create %s: %s", tmp, strerror(errno));
	close(fd);

	if (sqlite3_open_v2(bk_db_path, &src, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX,
	    NULL) != SQLITE_OK) {
		rc = db_fail(job, src, "cannot open the database");
		goto out;
	}
	sqlite3_busy_timeout(src, BACKUP_BUSY_TIMEOUT_MS);
	if (sqlite3_open_v2(tmp, &dst, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX,
	    NULL) != SQLITE_OK) {
		rc = db_fail(job, dst, "cannot open the copy");
		goto out;
	}
	set_active(src, dst);
	/* The file is synced once, whole, after its check. */
	if (sqlite3_exec(dst, "PRAGMA synchronous = OFF", NULL, NULL, NULL) != SQLITE_OK) {
		rc = db_fail(job, dst, "the copy");
		goto out;
	}
	if ((b = sqlite3_backup_init(dst, "main", src, "main")) == NULL) {
		rc = db_fail(job, dst, "cannot start the copy");
		goto out;
	}
	/* Busy only while SQLite recovers a WAL: wait and go again. */
	while (((rc = sqlite3_backup_step(b, -1)) == SQLITE_BUSY || rc == SQLITE_LOCKED) &&
	    ++tries < BACKUP_BUSY_TRIES && !bk_stop)
		sqlite3_sleep(100);
	sqlite3_backup_finish(b);
	if (rc != SQLITE_DONE) {
		rc = job_fail(job, "the copy: %s (%s)", sqlite3_errmsg(dst), sqlite3_errstr(rc));
		goto out;
	}
	if (one_text(dst, "PRAGMA journal_mode = DELETE", mode, sizeof mode) == -1 ||
	    strcmp(mode, "delete") != 0) {
		rc = job_fail(job, "the copy: journal_mode: %s", mode[0] != '\0' ? mode :
		    sqlite3_errmsg(dst));
		goto out;
	}
	rc = 0;
out:
	set_active(NULL, NULL);
	close_db(dst);
	close_db(src);
	return rc;
}

/* The copy opened again, read-only, and checked whole. */
static int
check_copy(struct backup_job *job, const char *tmp)
{
	sqlite3		*db = NULL;
	sqlite3_stmt	*st = NULL;
	const char	*v;
	int		 rc;

	if (bk_stop)
		return job_fail(job, "the daemon is stopping");
	if (sqlite3_open_v2(tmp, &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX,
	    NULL) != SQLITE_OK) {
		rc = db_fail(job, db, "integrity_check: cannot open the copy");
		close_db(db);
		return rc;
	}
	set_active(db, NULL);
	if (sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &st, NULL) != SQLITE_OK)
		rc = db_fail(job, db, "integrity_check");
	else if ((rc = sqlite3_step(st)) != SQLITE_ROW)
		rc = db_fail(job, db, "integrity_check");
	else if ((v = (const char *)sqlite3_column_text(st, 0)) == NULL || strcmp(v, "ok") != 0)
		rc = job_fail(job, "integrity_check: %s", v != NULL ? v : "no answer");
	else {
		snprintf(job->bj_res.br_integrity, sizeof job->bj_res.br_integrity, "%s", v);
		rc = 0;
	}
	sqlite3_finalize(st);
	set_active(NULL, NULL);
	close_db(db);
	return rc;
}

/*
 * The copy onto the disk a few megabytes at a time, each step waiting for
 * the last.  One fsync() of a whole copy (400 MB for a year) queued it all
 * on the disk at once, and the loop's next commit, whose fdatasync() waited
 * behind it, took 600 ms (docs/PERFORMANCE.md "Backups"); now a commit waits
 * for one step at most.  The fsync() after it has little left to do.
 */
static int
write_out(int fd, int64_t size)
{
#ifdef __linux__
	off_t	off;

	for (off = 0; off < (off_t)size; off += BACKUP_SYNC_STEP)
		if (sync_file_range(fd, off, BACKUP_SYNC_STEP, SYNC_FILE_RANGE_WAIT_BEFORE |
		    SYNC_FILE_RANGE_WRITE | SYNC_FILE_RANGE_WAIT_AFTER) == -1)
			return -1;
#else
	(void)fd;
	(void)size;
#endif
	return 0;
}

/* fsync() of a file (its size in *bytes) or, bytes NULL, of a directory. */
static int
sync_path(struct backup_job *job, const char *path, int flags, int64_t *bytes)
{
	struct stat	st;
	int		fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | flags)) == -1)
		return job_fail(job, "cannot open %s: %s", path, strerror(errno));
	if (bytes != NULL && (fstat(fd, &st) == -1 || write_out(fd, (int64_t)st.st_size) == -1)) {
		job_fail(job, "cannot write %s out: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	if (fsync(fd) == -1) {
		job_fail(job, "cannot sync %s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	if (bytes != NULL)
		*bytes = (int64_t)st.st_size;
	close(fd);
	return 0;
}

static int
by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The copies of the job's kind beyond the newest bj_keep, deleted. */
static void
prune(struct backup_job *job)
{
	DIR		 *d;
	struct dirent	 *de;
	char		**names = NULL, path[PATH_MAX];
	size_t		  n = 0, cap = 0, i, len = 0;

	if ((d = opendir(bk_dir)) == NULL) {
		snprintf(job->bj_prune_err, sizeof job->bj_prune_err, "cannot read %s: %s",
		    bk_dir, strerror(errno));
		return;
	}
	while ((de = readdir(d)) != NULL) {
		if (!backup_name_is(de->d_name, job->bj_res.br_kind, ""))
			continue;
		if (n == cap) {
			cap = cap ? 2 * cap : 16;
			if ((names = reallocarray(names, cap, sizeof *names)) == NULL)
				fatal("reallocarray");
		}
		names[n++] = xstrdup(de->d_name);
	}
	closedir(d);
	qsort(names, n, sizeof *names, by_name);
	for (i = 0; i + (size_t)job->bj_keep < n; i++) {
		snprintf(path, sizeof path, "%s/%s", bk_dir, names[i]);
		if (unlink(path) == -1) {
			snprintf(job->bj_prune_err, sizeof job->bj_prune_err,
			    "cannot delete %s: %s", names[i], strerror(errno));
			continue;
		}
		if ((job->bj_pruned = realloc(job->bj_pruned, len + strlen(names[i]) + 2)) == NULL)
			fatal("realloc");
		len += (size_t)snprintf(job->bj_pruned + len, strlen(names[i]) + 2, "%s%s",
		    len > 0 ? "," : "", names[i]);
	}
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

static int64_t
ms_since(const struct timespec *t0)
{
	struct timespec	t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (int64_t)(t1.tv_sec - t0->tv_sec) * 1000 + (t1.tv_nsec - t0->tv_nsec) / 1000000;
}

static void
run_job(struct backup_job *job)
{
	struct backup_result	*r = &job->bj_res;
	struct timespec		 t0;
	char			 final[PATH_MAX], tmp[PATH_MAX + 8], side[PATH_MAX + 16];
	size_t			 i;
	int			 rc;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	snprintf(final, sizeof final, "%s/%s", bk_dir, r->br_file);
	snprintf(tmp, sizeof tmp, "%s" BACKUP_TMP, final);
	rc = copy_database(job, tmp);
	job->bj_copy_ms = ms_since(&t0);
	if (rc == 0)
		rc = check_copy(job, tmp);
	job->bj_check_ms = ms_since(&t0) - job->bj_copy_ms;
	if (rc == 0)
		rc = sync_path(job, tmp, 0, &r->br_bytes);
	if (rc == 0 && bk_stop)
		rc = job_fail(job, "the daemon is stopping");
	if (rc == 0 && rename(tmp, final) == -1)
		rc = job_fail(job, "cannot rename %s to %s: %s", tmp, r->br_file, strerror(errno));
	if (rc == 0 && (rc = sync_path(job, bk_dir, O_DIRECTORY, NULL)) == -1)
		unlink(final);	/* its name may not last: no copy rather than a doubtful one */
	if (rc == -1) {
		/* Nothing half made stays: the copy and what SQLite kept beside it. */
		unlink(tmp);
		for (i = 0; i < sizeof tmp_sides / sizeof tmp_sides[0]; i++) {
			snprintf(side, sizeof side, "%s%s", tmp, tmp_sides[i]);
			unlink(side);
		}
	} else
		prune(job);
	r->br_ok = rc == 0;
	r->br_ms = ms_since(&t0);
}

static void *
worker(void *arg)
{
	struct backup_job	*job, **tail;

	(void)arg;
	pthread_mutex_lock(&bk_lock);
	for (;;) {
		while (!bk_stop && bk_queue == NULL)
			pthread_cond_wait(&bk_cond, &bk_lock);
		if (bk_stop)
			break;
		job = bk_queue;
		bk_queue = job->bj_next;
		pthread_mutex_unlock(&bk_lock);

		run_job(job);

		pthread_mutex_lock(&bk_lock);
		job->bj_next = NULL;
		for (tail = &bk_done; *tail != NULL; tail = &(*tail)->bj_next)
			;
		*tail = job;
		/* The loop wakes for the pipe; a full pipe already woke it. */
		(void)!write(bk_pipe[1], "b", 1);
	}
	pthread_mutex_unlock(&bk_lock);
	return NULL;
}

/* ---- the loop ---- */

static void
job_free(struct backup_job *job)
{
	free(job->bj_pruned);
	free(job);
}

/* On the loop: a finished job counted, logged and told to whoever asked. */
static void
job_finish(struct backup_job *job)
{
	struct backup_result	*r = &job->bj_res;
	char			 at[BQ_TIME_LEN];

	r->br_finished_at = clock_now();
	if (r->br_ok) {
		bk_last_ok_at = r->br_finished_at;
		bk_last_bytes = r->br_bytes;
		time_format(r->br_started_at, at);
		/* The copy's read transaction lasts copy_ms; then the check, the
		 * writing out and the rename. */
		log_info("event=backup kind=%s by=%s file=%s bytes=%lld ms=%lld copy_ms=%lld "
		    "check_ms=%lld integrity=ok started_at=%s", backup_kinds[r->br_kind],
		    job->bj_by[0] ? job->bj_by : "-", r->br_file, (long long)r->br_bytes,
		    (long long)r->br_ms, (long long)job->bj_copy_ms, (long long)job->bj_check_ms,
		    at);
		if (job->bj_pruned != NULL)
			log_info("event=backup_pruned kind=%s keep=%d deleted=%s",
			    backup_kinds[r->br_kind], job->bj_keep, job->bj_pruned);
		if (job->bj_prune_err[0] != '\0')
			log_warnx("event=backup_prune_failed kind=%s error=%s",
			    backup_kinds[r->br_kind], log_str(job->bj_prune_err));
	} else {
		bk_failures++;
		log_warnx("event=backup_failed kind=%s by=%s file=%s failures=%llu error=%s: "
		    "nothing was kept", backup_kinds[r->br_kind], job->bj_by[0] ? job->bj_by : "-",
		    r->br_file, (unsigned long long)bk_failures, log_str(r->br_err));
	}
	metrics_backup(bk_last_ok_at, bk_failures, bk_last_bytes);
	if (job->bj_done != NULL)
		job->bj_done(r, job->bj_arg);
	job_free(job);
}

/* On the loop: finished jobs back, in the order they were handed over. */
static void
backup_collect(evutil_socket_t fd, short what, void *arg)
{
	struct backup_job	*done, *next;
	char			 buf[64];

	(void)what;
	(void)arg;
	while (read(fd, buf, sizeof buf) > 0)
		;
	pthread_mutex_lock(&bk_lock);
	done = bk_done;
	bk_done = NULL;
	pthread_mutex_unlock(&bk_lock);
	for (; done != NULL; done = next) {
		next = done->bj_next;
		/* One worker, one queue: the oldest handed over comes back first. */
		if (bk_inflight != done)
			fatalx("backup: a job came back out of order");
		if ((bk_inflight = done->bj_loop_next) == NULL)
			bk_inflight_tail = &bk_inflight;
		bk_ninflight--;
		job_finish(done);
	}
}

static struct backup_job *
job_new(enum backup_kind kind, const char *by)
{
	struct backup_job	*job;

	if ((job = calloc(1, sizeof *job)) == NULL)
		fatal("calloc");
	job->bj_res.br_kind = kind;
	job->bj_res.br_started_at = clock_now();
	backup_name(job->bj_res.br_started_at, kind, job->bj_res.br_file);
	snprintf(job->bj_by, sizeof job->bj_by, "%s", by != NULL ? by : "");
	job->bj_keep = bk_keep;
	return job;
}

static void
job_submit(struct backup_job *job)
{
	struct backup_job	**tail;

	job->bj_loop_next = NULL;
	*bk_inflight_tail = job;
	bk_inflight_tail = &job->bj_loop_next;
	bk_ninflight++;
	pthread_mutex_lock(&bk_lock);
	job->bj_next = NULL;
	for (tail = &bk_queue; *tail != NULL; tail = &(*tail)->bj_next)
		;
	*tail = job;
	pthread_cond_signal(&bk_cond);
	pthread_mutex_unlock(&bk_lock);
}

/* The next backup_at after `after`, local time (mktime settles a day whose
 * clocks change at that hour). */
static int64_t
next_daily_at(int64_t after)
{
	time_t		t = (time_t)after, at;
	struct tm	tm;
	int		day;

	for (day = 0; day < 3; day++) {
		localtime_r(&t, &tm);
		tm.tm_mday += day;
		tm.tm_hour = bk_minute / 60;
		tm.tm_min = bk_minute % 60;
		tm.tm_sec = 0;
		tm.tm_isdst = -1;
		if ((at = mktime(&tm)) != (time_t)-1 && (int64_t)at > after)
			return (int64_t)at;
	}
	return after + 86400;
}

static void
arm_daily(void)
{
	char	at[BQ_TIME_LEN];

	deadline_arm(&bk_daily, next_daily_at(clock_now()));
	time_format(bk_daily.dl_at, at);
	log_debug("event=backup_next at=%s", at);
}

static void
backup_daily(void *arg)
{
	struct backup_job	*job;

	(void)arg;
	job = job_new(BACKUP_DAILY, NULL);
	if (bk_ninflight >= BACKUP_MAX_QUEUED) {
		/* Only a disk far slower than a day could get here. */
		snprintf(job->bj_res.br_err, sizeof job->bj_res.br_err,
		    "%zu backups are still waiting; this one is skipped", bk_ninflight);
		job_finish(job);
	} else
		job_submit(job);
	arm_daily();
}

static bool
leftover(const char *name)
{
	char	more[32];
	int	kind;
	size_t	i;

	for (kind = 0; kind <= BACKUP_ONDEMAND; kind++) {
		if (backup_name_is(name, (enum backup_kind)kind, BACKUP_TMP))
			return true;
		for (i = 0; i < sizeof tmp_sides / sizeof tmp_sides[0]; i++) {
			snprintf(more, sizeof more, BACKUP_TMP "%s", tmp_sides[i]);
			if (backup_name_is(name, (enum backup_kind)kind, more))
				return true;
		}
	}
	return false;
}

/* Copies a crash or a power cut left half made. */
static void
remove_leftovers(void)
{
	DIR		*d;
	struct dirent	*de;
	char		 path[PATH_MAX];

	if ((d = opendir(bk_dir)) == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		if (!leftover(de->d_name))
			continue;
		snprintf(path, sizeof path, "%s/%s", bk_dir, de->d_name);
		if (unlink(path) == 0)
			log_info("event=backup_leftover deleted=%s", log_str(de->d_name));
		else
			log_warn("event=backup_leftover file=%s", log_str(path));
	}
	closedir(d);
}

int
backup_start(struct event_base *base, const char *db_path, const char *dir,
    const struct config *cfg, char *err, size_t errlen)
{
	struct stat	st;
	int		i;

	if (dir == NULL)
		return 0;	/* no daily copies; the backup op is unavailable */
	if (stat(dir, &st) == -1) {
		snprintf(err, errlen, "--backup-dir %s: %s", dir, strerror(errno));
		return -1;
	}
	if (!S_ISDIR(st.st_mode)) {
		snprintf(err, errlen, "--backup-dir %s: not a directory", dir);
		return -1;
	}
	if (strlen(dir) + BACKUP_NAME_LEN + 16 > PATH_MAX) {
		snprintf(err, errlen, "--backup-dir: a path of at most %d bytes",
		    PATH_MAX - BACKUP_NAME_LEN - 16);
		return -1;
	}
	if (access(dir, W_OK | X_OK) == -1) {
		snprintf(err, errlen, "--backup-dir %s: not writable: %s", dir, strerror(errno));
		return -1;
	}
	bk_dir = xstrdup(dir);
	bk_db_path = xstrdup(db_path);
	remove_leftovers();
	if (pipe(bk_pipe) == -1) {
		snprintf(err, errlen, "backups: pipe: %s", strerror(errno));
		return -1;
	}
	for (i = 0; i < 2; i++) {
		fcntl(bk_pipe[i], F_SETFL, fcntl(bk_pipe[i], F_GETFL) | O_NONBLOCK);
		fcntl(bk_pipe[i], F_SETFD, FD_CLOEXEC);
	}
	bk_event = event_new(base, bk_pipe[0], EV_READ | EV_PERSIST, backup_collect, NULL);
	if (bk_event == NULL || event_add(bk_event, NULL) == -1)
		fatalx("backups: cannot watch the pipe");
	bk_stop = false;
	if ((errno = pthread_create(&bk_thread, NULL, worker, NULL)) != 0) {
		snprintf(err, errlen, "backups: cannot start the worker: %s", strerror(errno));
		return -1;
	}
	bk_running = true;
	deadline_init(&bk_daily, "backup", backup_daily, NULL);
	backup_configure(cfg);
	return 0;
}

void
backup_configure(const struct config *cfg)
{
	char	at[BQ_TIME_LEN];

	if (!bk_running)
		return;
	bk_minute = cfg->cf_backup_minute;
	bk_keep = cfg->cf_backup_keep;
	arm_daily();
	time_format(bk_daily.dl_at, at);
	log_info("event=backups dir=%s backup_at=%02d:%02d backup_keep=%d next=%s",
	    log_str(bk_dir), bk_minute / 60, bk_minute % 60, bk_keep, at);
}

void
backup_stop(void)
{
	struct backup_job	*job, **tail;
	int			 i;

	if (!bk_running)
		return;
	deadline_disarm(&bk_daily);
	pthread_mutex_lock(&bk_lock);
	bk_stop = true;
	for (i = 0; i < 2; i++)
		if (bk_active[i] != NULL)
			sqlite3_interrupt(bk_active[i]);	/* a check under way ends */
	pthread_cond_signal(&bk_cond);
	pthread_mutex_unlock(&bk_lock);
	pthread_join(bk_thread, NULL);
	bk_running = false;
	/* Jobs never started come back failed, after those done, in order;
	 * whoever asked is gone. */
	for (tail = &bk_done; *tail != NULL; tail = &(*tail)->bj_next)
		;
	*tail = bk_queue;
	for (job = bk_queue; job != NULL; job = job->bj_next)
		snprintf(job->bj_res.br_err, sizeof job->bj_res.br_err, "the daemon is stopping");
	bk_queue = NULL;
	backup_collect(bk_pipe[0], EV_READ, NULL);
	event_free(bk_event);
	bk_event = NULL;
	close(bk_pipe[0]);
	close(bk_pipe[1]);
	bk_pipe[0] = bk_pipe[1] = -1;
	free(bk_dir);
	free(bk_db_path);
	bk_dir = bk_db_path = NULL;
}

bool
backup_enabled(void)
{
	return bk_running;
}

int
backup_request(const char *by, void (*done)(const struct backup_result *, void *),
    void *arg, struct backup_result *busy)
{
	struct backup_job	*job;

	if (!bk_running)
		fatalx("backup_request: backups are off");
	if (bk_inflight != NULL) {
		/* The fields the loop set: the worker writes the others. */
		memset(busy, 0, sizeof *busy);
		busy->br_kind = bk_inflight->bj_res.br_kind;
		busy->br_started_at = bk_inflight->bj_res.br_started_at;
		memcpy(busy->br_file, bk_inflight->bj_res.br_file, sizeof busy->br_file);
		return -1;
	}
	job = job_new(BACKUP_ONDEMAND, by);
	job->bj_done = done;
	job->bj_arg = arg;
	job_submit(job);
	return 0;
}

int64_t
backup_last_ok_at(void)
{
	return bk_last_ok_at;
}

uint64_t
backup_failures(void)
{
	return bk_failures;
}

int64_t
backup_last_bytes(void)
{
	return bk_last_bytes;
}
