/*
 * End-to-end: backups (docs/OPERATIONS.md "Back up", "Restore"; PROTOCOL
 * "Backups"): the backup op by role and over HTTP, without --backup-dir,
 * a --backup-dir that cannot be used, the daily copy at backup_at on the
 * test clock and backup_keep, failures that leave nothing behind, a
 * restore from a copy (every change acknowledged before the backup is
 * there, none after), and tickets issued while a copy is made.
 */
#include <sys/stat.h>
#include <sys/wait.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "harness.h"

#define DAY		(24 * 3600)
/* From H_CLOCK_START (09:00 local) to 02:30 local the next day. */
#define TO_BACKUP_AT	(H_TO_DAY_END + 2 * 3600 + 30 * 60)

/* ---- backup directories: the test's own, removed at teardown ---- */

static char	bk_dirs[8][64];
static int	bk_ndirs;

static void
remove_tree(const char *dir)
{
	DIR		*dp;
	struct dirent	*de;
	char		 path[PATH_MAX];

	if ((dp = opendir(dir)) == NULL)
		return;
	while ((de = readdir(dp)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
		if (unlink(path) == -1 && errno == EISDIR)
			remove_tree(path);
	}
	closedir(dp);
	rmdir(dir);
}

static int
teardown(void **state)
{
	int	i;

	harness_teardown(state);
	for (i = 0; i < bk_ndirs; i++)
		if (getenv("KEEP_E2E_DIRS") == NULL)
			remove_tree(bk_dirs[i]);
	bk_ndirs = 0;
	return 0;
}

static const char *
new_dir(void)
{
	char	*d;

	if (bk_ndirs == (int)(sizeof bk_dirs / sizeof bk_dirs[0]))
		fail_msg("too many backup directories in one test");
	d = bk_dirs[bk_ndirs];
	snprintf(d, sizeof bk_dirs[0], "/tmp/bq-backup-XXXXXX");
	if (mkdtemp(d) == NULL)
		fail_msg("mkdtemp: %s", strerror(errno));
	bk_ndirs++;
	return d;
}

static struct daemon *
start_backups(const char *dir, const char *extra_config)
{
	struct daemon_opts	o = { .extra_config = extra_config };

	o.extra_args[0] = "--backup-dir";
	o.extra_args[1] = dir;
	return daemon_start(&o);
}

static int
by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The directory's names, sorted, joined by spaces ("" when empty). */
static char *
listing(const char *dir)
{
	DIR		*dp;
	struct dirent	*de;
	char		*names[256], *out;
	size_t		 n = 0, len = 1, i;

	if ((dp = opendir(dir)) == NULL)
		return strdup("(no directory)");
	while ((de = readdir(dp)) != NULL && n < 256)
		if (de->d_name[0] != '.' || (strcmp(de->d_name, ".") != 0 &&
		    strcmp(de->d_name, "..") != 0))
			names[n++] = strdup(de->d_name);
	closedir(dp);
	qsort(names, n, sizeof names[0], by_name);
	for (i = 0; i < n; i++)
		len += strlen(names[i]) + 1;
	if ((out = calloc(1, len)) == NULL)
		abort();
	for (i = 0; i < n; i++) {
		if (i > 0)
			strcat(out, " ");
		strcat(out, names[i]);
		free(names[i]);
	}
	return out;
}

/* Waits until the directory holds exactly `want` (sorted, space-separated). */
static void
wait_listing(struct daemon *d, const char *dir, const char *want)
{
	struct timespec	 ts = { 0, 10 * 1000000 };
	char		*got = NULL;
	int		 waited;

	for (waited = 0; waited < reply_timeout_ms() * 3; waited += 10) {
		free(got);
		got = listing(dir);
		if (strcmp(got, want) == 0) {
			free(got);
			return;
		}
		nanosleep(&ts, NULL);
	}
	daemon_print_log(d);
	expect_that(false, NULL, "backup directory %s:\n  want: %s\n  got:  %s", dir, want, got);
}

static void
wait_log(struct daemon *d, const char *text)
{
	struct timespec	ts = { 0, 10 * 1000000 };
	int		waited;

	for (waited = 0; waited < reply_timeout_ms() * 3; waited += 10) {
		if (daemon_log_contains(d, text))
			return;
		nanosleep(&ts, NULL);
	}
	daemon_print_log(d);
	expect_that(false, NULL, "the daemon never logged \"%s\"", text);
}

/* PRAGMA integrity_check and journal_mode of a copy, opened read-only. */
static void
expect_good_copy(const char *dir, const char *name)
{
	char		 path[PATH_MAX], result[256] = "", mode[32] = "";
	sqlite3		*db;
	sqlite3_stmt	*st;
	struct stat	 sb;

	snprintf(path, sizeof path, "%s/%s", dir, name);
	expect_that(stat(path, &sb) == 0, NULL, "%s: %s", path, strerror(errno));
	/* The same personal data as the database: not for every user. */
	expect_that((sb.st_mode & 0777) == 0640, NULL, "%s: mode %o, want 640", path,
	    (unsigned)(sb.st_mode & 0777));
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK)
		fail_msg("%s: cannot open: %s", path, sqlite3_errmsg(db));
	if (sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &st, NULL) == SQLITE_OK) {
		if (sqlite3_step(st) == SQLITE_ROW)
			snprintf(result, sizeof result, "%s", sqlite3_column_text(st, 0));
		sqlite3_finalize(st);
	}
	if (sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &st, NULL) == SQLITE_OK) {
		if (sqlite3_step(st) == SQLITE_ROW)
			snprintf(mode, sizeof mode, "%s", sqlite3_column_text(st, 0));
		sqlite3_finalize(st);
	}
	sqlite3_close(db);
	expect_that(strcmp(result, "ok") == 0, NULL, "%s: integrity_check says \"%s\"", path,
	    result);
	/* One file, what a restore copies: no WAL beside it. */
	expect_that(strcmp(mode, "delete") == 0, NULL, "%s: journal_mode %s, want delete", path,
	    mode);
}

/* The ticket numbers of a database file (a copy or the live one), in order, joined. */
static char *
db_numbers(const char *path)
{
	sqlite3		*db;
	sqlite3_stmt	*st;
	char		*out = calloc(1, 65536);
	size_t		 len = 0;

	if (out == NULL)
		abort();
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK)
		fail_msg("%s: cannot open: %s", path, sqlite3_errmsg(db));
	if (sqlite3_prepare_v2(db, "SELECT number FROM tickets ORDER BY id", -1, &st,
	    NULL) != SQLITE_OK)
		fail_msg("%s: %s", path, sqlite3_errmsg(db));
	while (sqlite3_step(st) == SQLITE_ROW && len < 65000)
		len += (size_t)snprintf(out + len, 65536 - len, "%s%s", len ? " " : "",
		    sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	sqlite3_close(db);
	return out;
}

static void
copy_file(const char *from, const char *to)
{
	char	buf[65536];
	ssize_t	n;
	int	in, out;

	if ((in = open(from, O_RDONLY)) == -1)
		fail_msg("%s: %s", from, strerror(errno));
	if ((out = open(to, O_WRONLY | O_CREAT | O_TRUNC, 0640)) == -1)
		fail_msg("%s: %s", to, strerror(errno));
	while ((n = read(in, buf, sizeof buf)) > 0)
		if (write(out, buf, (size_t)n) != n)
			fail_msg("%s: %s", to, strerror(errno));
	if (n == -1 || fsync(out) == -1)
		fail_msg("copy %s: %s", from, strerror(errno));
	close(in);
	close(out);
}

/* backup, checked; the reply's file name (static). */
static const char *
backup_ok(struct conn *s)
{
	static char	 name[128];
	cJSON		*r = rq_ok(s, "{\"op\":\"backup\"}");

	expect_str(r, "backup.integrity", "ok");
	expect_that(jstr(r, "backup.file") != NULL, r, "no backup.file");
	snprintf(name, sizeof name, "%s", jstr(r, "backup.file"));
	cJSON_Delete(r);
	return name;
}

/* ---- the op ---- */

/* A supervisor's copy: named by the local time it was asked for, checked,
 * the file in the directory; every other role is forbidden; over HTTP too. */
static void
test_backup_op(void **state)
{
	const char	*dir = new_dir();
	struct daemon	*d;
	struct conn	*s, *t, *k, *l, *ds;
	struct hresp	*h;
	struct stat	 sb;
	char		 path[PATH_MAX];
	cJSON		*r;

	(void)state;
	d = start_backups(dir, NULL);
	s = login(d, "S01");
	r = rq_ok(s, "{\"op\":\"backup\",\"id\":7}");
	expect_int(r, "id", 7);
	expect_str(r, "backup.file", "branchq-2026-11-23T090000-ondemand.db");
	expect_str(r, "backup.started_at", "2026-11-23T01:00:00Z");
	expect_str(r, "backup.finished_at", "2026-11-23T01:00:00Z");
	expect_str(r, "backup.integrity", "ok");
	expect_that(jint(r, "backup.duration_ms") >= 0, r, "duration_ms");
	snprintf(path, sizeof path, "%s/branchq-2026-11-23T090000-ondemand.db", dir);
	expect_that(stat(path, &sb) == 0 && (long long)sb.st_size == jint(r, "backup.bytes") &&
	    sb.st_size > 0, r, "backup.bytes is not the size of %s", path);
	cJSON_Delete(r);
	wait_listing(d, dir, "branchq-2026-11-23T090000-ondemand.db");
	expect_good_copy(dir, "branchq-2026-11-23T090000-ondemand.db");
	expect_that(daemon_log_contains(d, "event=backup kind=ondemand by=S01 "
	    "file=branchq-2026-11-23T090000-ondemand.db"), NULL, "no event=backup line");

	t = login(d, "T01");
	k = login(d, "K01");
	l = login(d, "L01");
	ds = login(d, "D01");
	rq_err(t, "forbidden", "{\"op\":\"backup\"}");
	rq_err(k, "forbidden", "{\"op\":\"backup\"}");
	rq_err(l, "forbidden", "{\"op\":\"backup\"}");
	rq_err(ds, "forbidden", "{\"op\":\"backup\"}");

	/* POST /api/v1/op/backup: the same op, the same roles. */
	advance(s, 60);
	h = http_op(d, "S01", "backup", "{}");
	expect_http_ok(h);
	expect_str(h->hr_json, "backup.file", "branchq-2026-11-23T090100-ondemand.db");
	expect_str(h->hr_json, "backup.integrity", "ok");
	h = http_op(d, "T01", "backup", "{}");
	expect_http_error(h, 403, "forbidden");
	wait_listing(d, dir, "branchq-2026-11-23T090000-ondemand.db "
	    "branchq-2026-11-23T090100-ondemand.db");
	expect_good_copy(dir, "branchq-2026-11-23T090100-ondemand.db");
}

/* Without --backup-dir: no copies, and the op says how to have them. */
static void
test_backup_off(void **state)
{
	struct daemon	*d;
	struct conn	*s;
	struct hresp	*h;
	cJSON		*r;

	(void)state;
	d = daemon_start(NULL);
	s = login(d, "S01");
	r = rq(s, "{\"op\":\"backup\"}");
	expect_error(r, "unavailable");
	expect_that(strstr(jstr(r, "error.message"), "--backup-dir") != NULL, r,
	    "the message does not name --backup-dir");
	cJSON_Delete(r);
	h = http_op(d, "S01", "backup", "{}");
	expect_http_error(h, 503, "unavailable");
	/* No daily copy either: a day passes and nothing is logged of one. */
	advance(s, TO_BACKUP_AT + 60);
	expect_that(!daemon_log_contains(d, "event=backup"), NULL, "a backup was made");
	/* A teller is told it may not, first. */
	rq_err(login(d, "T01"), "forbidden", "{\"op\":\"backup\"}");
}

/* Runs the daemon with --backup-dir dir in a directory of its own: the exit
 * status; its output in out. */
static int
run_with_backup_dir(const char *dir, char *out, size_t outlen)
{
	const char	*bin = daemon_binary(), *cwd = new_dir();
	size_t		 n = 0;
	ssize_t		 m;
	pid_t		 pid;
	int		 p[2], status;

	if (pipe(p) == -1)
		fail_msg("pipe: %s", strerror(errno));
	if ((pid = fork()) == -1)
		fail_msg("fork: %s", strerror(errno));
	if (pid == 0) {
		dup2(p[1], 1);
		dup2(p[1], 2);
		close(p[0]);
		close(p[1]);
		if (chdir(cwd) == -1)
			_exit(126);
		execl(bin, bin, "--db", "x.db", "--listen", "127.0.0.1:0", "--http", "off",
		    "--backup-dir", dir, (char *)NULL);
		dprintf(2, "exec %s: %s\n", bin, strerror(errno));
		_exit(127);
	}
	close(p[1]);
	while (n < outlen - 1 && ((m = read(p[0], out + n, outlen - 1 - n)) > 0 ||
	    (m == -1 && errno == EINTR)))
		if (m > 0)
			n += (size_t)m;
	out[n] = '\0';
	close(p[0]);
	while (waitpid(pid, &status, 0) == -1 && errno == EINTR)
		;
	return status;
}

/* A --backup-dir that is not there, or not a directory: exit 2, one line. */
static void
test_backup_dir_refused(void **state)
{
	char		 out[4096], file[PATH_MAX];
	const char	*dir = new_dir(), *last;
	int		 status, fd;

	(void)state;
	snprintf(file, sizeof file, "%s/a-file", dir);
	if ((fd = open(file, O_WRONLY | O_CREAT, 0600)) == -1)
		fail_msg("%s: %s", file, strerror(errno));
	close(fd);
	{
		const char *const bad[] = { "/nonexistent/backups", file };
		size_t	i;

		for (i = 0; i < 2; i++) {
			status = run_with_backup_dir(bad[i], out, sizeof out);
			expect_that(WIFEXITED(status) && WEXITSTATUS(status) == 2, NULL,
			    "--backup-dir %s: status %d, want exit 2; output: %s", bad[i],
			    status, out);
			/* The demo configuration's lines come first; the error is the last. */
			last = out + strlen(out) - 1;
			while (last > out && last[-1] != '\n')
				last--;
			expect_that(strncmp(last, "branchqd: --backup-dir ", 23) == 0 &&
			    strstr(last, bad[i]) != NULL && strchr(last, '\n') ==
			    out + strlen(out) - 1, NULL, "--backup-dir %s: want one last line "
			    "naming the option and the directory; got: %s", bad[i], out);
			expect_that(strstr(out, "listening on") == NULL, NULL,
			    "--backup-dir %s: the daemon started: %s", bad[i], out);
		}
	}
}

/* ---- the daily copy ---- */

/* At backup_at local time (02:30 by default), on the daemon clock; the
 * newest backup_keep of each kind are kept, the on-demand ones apart. */
static void
test_backup_daily(void **state)
{
	const char	*dir = new_dir();
	struct daemon	*d;
	struct conn	*s;

	(void)state;
	d = start_backups(dir, "\"backup_keep\":2");
	s = login(d, "S01");
	/* Three on demand, a minute apart: the newest two stay. */
	backup_ok(s);
	advance(s, 60);
	backup_ok(s);
	advance(s, 60);
	backup_ok(s);
	wait_listing(d, dir, "branchq-2026-11-23T090100-ondemand.db "
	    "branchq-2026-11-23T090200-ondemand.db");
	expect_that(daemon_log_contains(d, "event=backup_pruned kind=ondemand keep=2 "
	    "deleted=branchq-2026-11-23T090000-ondemand.db"), NULL, "no backup_pruned line");

	/* 02:29 the next day: not yet. */
	advance(s, TO_BACKUP_AT - 120 - 60);
	expect_that(!daemon_log_contains(d, "kind=daily"), NULL, "a daily copy before 02:30");
	advance(s, 60);
	wait_listing(d, dir, "branchq-2026-11-23T090100-ondemand.db "
	    "branchq-2026-11-23T090200-ondemand.db branchq-2026-11-24T023000-daily.db");
	expect_good_copy(dir, "branchq-2026-11-24T023000-daily.db");

	advance(s, DAY);
	wait_listing(d, dir, "branchq-2026-11-23T090100-ondemand.db "
	    "branchq-2026-11-23T090200-ondemand.db branchq-2026-11-24T023000-daily.db "
	    "branchq-2026-11-25T023000-daily.db");
	advance(s, DAY);
	wait_listing(d, dir, "branchq-2026-11-23T090100-ondemand.db "
	    "branchq-2026-11-23T090200-ondemand.db branchq-2026-11-25T023000-daily.db "
	    "branchq-2026-11-26T023000-daily.db");
	/* Three days at once: each day's copy is made in turn, the oldest go. */
	advance(s, 3 * DAY);
	wait_log(d, "file=branchq-2026-11-29T023000-daily.db");
	wait_listing(d, dir, "branchq-2026-11-23T090100-ondemand.db "
	    "branchq-2026-11-23T090200-ondemand.db branchq-2026-11-28T023000-daily.db "
	    "branchq-2026-11-29T023000-daily.db");
	expect_good_copy(dir, "branchq-2026-11-28T023000-daily.db");
	expect_good_copy(dir, "branchq-2026-11-29T023000-daily.db");
	expect_good_copy(dir, "branchq-2026-11-23T090200-ondemand.db");
}

/* backup_at from the configuration. */
static void
test_backup_at(void **state)
{
	const char	*dir = new_dir();
	struct daemon	*d;
	struct conn	*s;

	(void)state;
	d = start_backups(dir, "\"backup_at\":\"21:15\"");
	s = login(d, "S01");
	advance(s, 12 * 3600 + 14 * 60);	/* 21:14 */
	wait_listing(d, dir, "");
	advance(s, 60);
	wait_listing(d, dir, "branchq-2026-11-23T211500-daily.db");
	expect_good_copy(dir, "branchq-2026-11-23T211500-daily.db");
}

/* A reload (SIGHUP) moves the daily copy to the new backup_at, at once. */
static void
test_backup_at_reloaded(void **state)
{
	const char	*dir = new_dir();
	struct daemon	*d;
	struct conn	*s;

	(void)state;
	d = start_backups(dir, "\"backup_at\":\"21:15\"");
	s = login(d, "S01");
	config_rewrite(d, "\"backup_at\":\"12:00\"");
	expect_that(daemon_reload(d), NULL, "the reload was refused");
	advance(s, 3 * 3600 - 60);	/* 11:59 */
	wait_listing(d, dir, "");
	advance(s, 60);
	wait_listing(d, dir, "branchq-2026-11-23T120000-daily.db");
	advance(s, 9 * 3600 + 16 * 60);	/* 21:16: nothing at the old time */
	wait_listing(d, dir, "branchq-2026-11-23T120000-daily.db");
	expect_that(!daemon_log_contains(d, "T211500"), NULL, "a copy at the old backup_at");
}

/* /metrics tells when the last good copy was made and how many failed. */
static void
test_backup_metrics(void **state)
{
	const char	*dir = new_dir();
	struct daemon	*d;
	struct conn	*s;
	struct hresp	*r;

	(void)state;
	d = start_backups(dir, NULL);
	s = login(d, "S01");
	r = http_rq(d, "GET", "/metrics", .bearer = "S01");
	expect_http_status(r, 200);
	expect_http(strstr(r->hr_body, "\nbranchq_backup_last_success_timestamp_seconds 0\n") !=
	    NULL, r, "a backup before any was made");
	backup_ok(s);
	r = http_rq(d, "GET", "/metrics", .bearer = "S01");
	/* The test clock's 2026-11-23T01:00:00Z. */
	expect_http(strstr(r->hr_body, "\nbranchq_backup_last_success_timestamp_seconds "
	    "1795395600\n") != NULL, r, "the backup's time is not in /metrics");
	expect_http(strstr(r->hr_body, "\nbranchq_backup_failures_total 0\n") != NULL, r,
	    "failures counted");
	remove_tree(dir);
	rq_err(s, "unavailable", "{\"op\":\"backup\"}");
	r = http_rq(d, "GET", "/metrics", .bearer = "S01");
	expect_http(strstr(r->hr_body, "\nbranchq_backup_failures_total 1\n") != NULL, r,
	    "the failure is not counted in /metrics");
}

/* ---- failures ---- */

/* A copy that fails is logged and counted and leaves nothing behind; the
 * next one works once the cause is gone. */
static void
test_backup_failures(void **state)
{
	const char	*dir = new_dir();
	struct daemon	*d;
	struct conn	*s;
	const char	*first;
	char		 keep[128];
	cJSON		*r;

	(void)state;
	d = start_backups(dir, NULL);
	s = login(d, "S01");

	/* The directory gone (root may write anywhere: a mode would not do). */
	if (rmdir(dir) == -1)
		fail_msg("rmdir %s: %s", dir, strerror(errno));
	r = rq(s, "{\"op\":\"backup\"}");
	expect_error(r, "unavailable");
	expect_that(strstr(jstr(r, "error.message"), "the backup failed (cannot create ") != NULL,
	    r, "the message does not say what failed");
	cJSON_Delete(r);
	wait_log(d, "event=backup_failed kind=ondemand by=S01 "
	    "file=branchq-2026-11-23T090000-ondemand.db failures=1");
	if (mkdir(dir, 0700) == -1)
		fail_msg("mkdir %s: %s", dir, strerror(errno));
	first = backup_ok(s);
	snprintf(keep, sizeof keep, "%s", first);
	wait_listing(d, dir, keep);

	/* The disk full in the middle of the copy: the half-written file goes. */
	advance(s, 60);
	cJSON_Delete(rq_ok(s, "{\"op\":\"test.fault\",\"fault\":\"disk_full\"}"));
	r = rq(s, "{\"op\":\"backup\"}");
	cJSON_Delete(rq_ok(s, "{\"op\":\"test.fault\",\"fault\":\"none\"}"));
	expect_error(r, "unavailable");
	expect_that(strstr(jstr(r, "error.message"), "no copy was kept") != NULL, r,
	    "the message does not say nothing was kept");
	cJSON_Delete(r);
	wait_log(d, "failures=2");
	wait_listing(d, dir, keep);

	/* A daily copy that fails counts too. */
	if (rmdir(dir) == 0 || errno != ENOTEMPTY)
		fail_msg("rmdir %s: the copy is gone", dir);
	remove_tree(dir);
	advance(s, TO_BACKUP_AT);
	wait_log(d, "event=backup_failed kind=daily by=- "
	    "file=branchq-2026-11-24T023000-daily.db failures=3");
	if (mkdir(dir, 0700) == -1)
		fail_msg("mkdir %s: %s", dir, strerror(errno));
	advance(s, DAY);
	wait_listing(d, dir, "branchq-2026-11-25T023000-daily.db");
	/* The daemon serves on. */
	cJSON_Delete(issue(login(d, "K01"), "account_opening", 0, NULL));
}

/* Copies half made by a daemon that died are deleted at the next start;
 * an operator's own files are let be. */
static void
test_backup_leftovers(void **state)
{
	const char	*dir = new_dir();
	const char	*files[] = { "branchq-2026-11-22T023000-daily.db.tmp",
	    "branchq-2026-11-22T023000-daily.db.tmp-journal",
	    "branchq-2026-11-22T101010-ondemand.db.tmp",
	    "branchq-2026-11-22T101010-ondemand.db.tmp-wal", "mine.db.tmp",
	    "branchq-before-upgrade-daily.db" };
	char		 path[PATH_MAX];
	struct daemon	*d;
	size_t		 i;
	int		 fd;

	(void)state;
	for (i = 0; i < sizeof files / sizeof files[0]; i++) {
		snprintf(path, sizeof path, "%s/%s", dir, files[i]);
		if ((fd = open(path, O_WRONLY | O_CREAT, 0600)) == -1)
			fail_msg("%s: %s", path, strerror(errno));
		close(fd);
	}
	d = start_backups(dir, "\"backup_keep\":1");
	wait_listing(d, dir, "branchq-before-upgrade-daily.db mine.db.tmp");
	expect_that(daemon_log_contains(d, "event=backup_leftover "
	    "deleted=branchq-2026-11-22T023000-daily.db.tmp"), NULL, "no backup_leftover line");
	/* backup_keep 1 deletes only copies named as the daemon names them. */
	advance(login(d, "S01"), TO_BACKUP_AT);
	wait_listing(d, dir, "branchq-2026-11-24T023000-daily.db "
	    "branchq-before-upgrade-daily.db mine.db.tmp");
}

/* ---- restore ---- */

/*
 * Tickets and a complaint, acknowledged; a backup; more changes; the
 * daemon stopped, the copy put in place of the database (its -wal and
 * -shm removed), the daemon started: what was acknowledged before the
 * backup is there, what came after is not, and numbering goes on from
 * the restored tickets.
 */
static void
test_backup_restore(void **state)
{
	const char	*dir = new_dir();
	struct daemon	*d;
	struct conn	*k, *t, *s;
	cJSON		*tk, *r;
	char		 before[3][16], after[2][16], copy[PATH_MAX], side[PATH_MAX + 8];
	long long	 c1, c2;
	int		 i, n;

	(void)state;
	d = start_backups(dir, NULL);
	k = login(d, "K01");
	t = login(d, "T01");
	s = login(d, "S01");
	for (i = 0; i < 3; i++) {
		tk = issue(k, "account_opening", 0, NULL);
		snprintf(before[i], sizeof before[i], "%s", jstr(tk, "number"));
		cJSON_Delete(tk);
	}
	r = rq_ok(t, "{\"op\":\"complaint.log\",\"category\":\"wait_time\",\"severity\":2,"
	    "\"description\":\"before the backup\",\"channel\":\"counter\"}");
	c1 = jint(r, "complaint.id");
	cJSON_Delete(r);

	snprintf(copy, sizeof copy, "%s/%s", dir, backup_ok(s));

	for (i = 0; i < 2; i++) {
		tk = issue(k, "account_opening", 0, NULL);
		snprintf(after[i], sizeof after[i], "%s", jstr(tk, "number"));
		cJSON_Delete(tk);
	}
	r = rq_ok(t, "{\"op\":\"complaint.log\",\"category\":\"wait_time\",\"severity\":2,"
	    "\"description\":\"after the backup\",\"channel\":\"counter\"}");
	c2 = jint(r, "complaint.id");
	cJSON_Delete(r);
	expect_that(c2 > c1, NULL, "complaint ids %lld then %lld", c1, c2);

	/* docs/OPERATIONS.md "Restore": stop, copy, remove -wal and -shm, start. */
	daemon_stop(d);
	copy_file(copy, d->d_db);
	snprintf(side, sizeof side, "%s-wal", d->d_db);
	unlink(side);
	snprintf(side, sizeof side, "%s-shm", d->d_db);
	unlink(side);
	daemon_restart(d);

	k = login(d, "K01");
	t = login(d, "T01");
	s = login(d, "S01");
	for (i = 0; i < 3; i++)
		cJSON_Delete(ticket_status(k, before[i]));
	for (i = 0; i < 2; i++)
		rq_err(k, "not_found", "{\"op\":\"ticket.status\",\"number\":\"%s\"}", after[i]);
	r = rq_ok(t, "{\"op\":\"complaint.get\",\"complaint\":%lld}", c1);
	expect_str(r, "complaint.description", "before the backup");
	cJSON_Delete(r);
	rq_err(s, "not_found", "{\"op\":\"complaint.get\",\"complaint\":%lld}", c2);

	/* It serves: the next number follows the restored ones. */
	tk = issue(k, "account_opening", 0, NULL);
	n = atoi(before[2] + 1);
	expect_that(jstr(tk, "number")[0] == before[2][0] && atoi(jstr(tk, "number") + 1) ==
	    n + 1, tk, "after %s was restored, the next ticket is %s", before[2],
	    jstr(tk, "number"));
	cJSON_Delete(tk);
	r = rq_ok(t, "{\"op\":\"complaint.log\",\"category\":\"wait_time\",\"severity\":1,"
	    "\"description\":\"after the restore\",\"channel\":\"counter\"}");
	expect_int(r, "complaint.id", c1 + 1);
	cJSON_Delete(r);
}

/* ---- while a copy is made ---- */

/* Bulk that SQLite copies and checks page by page: a copy that takes a
 * while, so that tickets are issued while it is made. */
static void
add_bulk(struct daemon *d, int megabytes)
{
	sqlite3		*db;
	sqlite3_stmt	*st;
	int		 i;

	if (sqlite3_open(d->d_db, &db) != SQLITE_OK ||
	    sqlite3_exec(db, "CREATE TABLE test_bulk (b BLOB); BEGIN", NULL, NULL,
	    NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, "INSERT INTO test_bulk VALUES (randomblob(16384))", -1,
	    &st, NULL) != SQLITE_OK)
		fail_msg("%s: %s", d->d_db, sqlite3_errmsg(db));
	for (i = 0; i < megabytes * 64; i++) {
		sqlite3_step(st);
		sqlite3_reset(st);
	}
	sqlite3_finalize(st);
	if (sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
		fail_msg("%s: %s", d->d_db, sqlite3_errmsg(db));
	sqlite3_close(db);
}

/*
 * Tickets issued from another connection while the copy is made all get
 * their replies and are all in the database; the copy holds every ticket
 * acknowledged before it was asked for, and a prefix of the rest (one
 * snapshot: no ticket without those issued before it).  A second backup
 * asked for meanwhile is a conflict naming the first.
 */
static void
test_backup_concurrent(void **state)
{
	const char	*dir = new_dir();
	struct daemon	*d;
	struct conn	*k, *s, *s2;
	cJSON		*r, *tk, *br = NULL;
	char		 copy[PATH_MAX], want[4096] = "", *in_copy, *in_db;
	const char	*line = "{\"op\":\"backup\",\"id\":\"b\"}\n";
	size_t		 len = 0, first5, n;
	int		 i, during = 0;

	(void)state;
	d = start_backups(dir, NULL);
	daemon_stop(d);
	add_bulk(d, 16);
	daemon_restart(d);
	k = login(d, "K01");
	s = login(d, "S01");
	s2 = login(d, "S01");
	for (i = 0; i < 5; i++) {
		tk = issue(k, "account_opening", 0, NULL);
		len += (size_t)snprintf(want + len, sizeof want - len, "%s%s", len ? " " : "",
		    jstr(tk, "number"));
		cJSON_Delete(tk);
	}
	first5 = len;
	send_raw(s, line, strlen(line));
	/* One at a time: asked for again while the first is made, a conflict
	 * naming it (or, should the first be done already, a copy). */
	r = rq(s2, "{\"op\":\"backup\"}");
	if (jget(r, "error") != NULL) {
		expect_error(r, "conflict");
		expect_str(r, "error.detail.file", "branchq-2026-11-23T090000-ondemand.db");
		expect_str(r, "error.detail.started_at", "2026-11-23T01:00:00Z");
	}
	cJSON_Delete(r);
	for (i = 0; i < 40; i++) {
		tk = issue(k, "account_opening", 0, NULL);
		len += (size_t)snprintf(want + len, sizeof want - len, " %s", jstr(tk, "number"));
		cJSON_Delete(tk);
		if (br == NULL) {
			during++;
			br = read_reply(s, 0);
		}
	}
	if (br == NULL)
		br = read_reply(s, reply_timeout_ms() * 3);
	expect_that(br != NULL, NULL, "no reply to the backup");
	expect_ok(br);
	expect_str(br, "id", "b");
	snprintf(copy, sizeof copy, "%s/%s", dir, jstr(br, "backup.file"));
	cJSON_Delete(br);

	in_db = db_numbers(d->d_db);
	expect_that(strcmp(in_db, want) == 0, NULL, "the database holds %s\nwant %s", in_db,
	    want);
	in_copy = db_numbers(copy);
	n = strlen(in_copy);
	/* The five acknowledged before, then some of the rest, in order. */
	expect_that(n >= first5 && strncmp(want, in_copy, n) == 0 &&
	    (want[n] == ' ' || want[n] == '\0'), NULL,
	    "the copy holds %s\nnot a prefix of %s holding the first five", in_copy, want);
	print_message("# %d tickets issued before the backup's reply came; the copy holds %s\n",
	    during, in_copy);
	free(in_db);
	free(in_copy);
}

/* SIGTERM while a copy is made: the daemon stops cleanly (status 0) and
 * leaves the copy whole or nothing, never a part; the next start works. */
static void
test_backup_stop(void **state)
{
	const char	*dir = new_dir();
	const char	*line = "{\"op\":\"backup\"}\n";
	struct daemon	*d;
	struct conn	*s;
	char		*got;

	(void)state;
	d = start_backups(dir, NULL);
	daemon_stop(d);
	add_bulk(d, 16);
	daemon_restart(d);
	s = login(d, "S01");
	send_raw(s, line, strlen(line));
	daemon_stop(d);
	got = listing(dir);
	expect_that(strcmp(got, "") == 0 ||
	    strcmp(got, "branchq-2026-11-23T090000-ondemand.db") == 0, NULL,
	    "after a stop during a copy the directory holds: %s", got);
	if (*got != '\0')
		expect_good_copy(dir, got);
	free(got);
	daemon_restart(d);
	backup_ok(login(d, "S01"));
	wait_listing(d, dir, "branchq-2026-11-23T090000-ondemand.db");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_backup_op, teardown),
		cmocka_unit_test_teardown(test_backup_off, teardown),
		cmocka_unit_test_teardown(test_backup_dir_refused, teardown),
		cmocka_unit_test_teardown(test_backup_daily, teardown),
		cmocka_unit_test_teardown(test_backup_at, teardown),
		cmocka_unit_test_teardown(test_backup_at_reloaded, teardown),
		cmocka_unit_test_teardown(test_backup_metrics, teardown),
		cmocka_unit_test_teardown(test_backup_failures, teardown),
		cmocka_unit_test_teardown(test_backup_leftovers, teardown),
		cmocka_unit_test_teardown(test_backup_restore, teardown),
		cmocka_unit_test_teardown(test_backup_concurrent, teardown),
		cmocka_unit_test_teardown(test_backup_stop, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
