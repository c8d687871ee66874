/*
 * Checkpoints off the loop (src/checkpoint.c), end to end: the worker
 * thread copies the WAL into the database file, the loop finishes each
 * copy so the WAL starts over and stays small, a WAL whose checkpoints
 * fail is bounded by the loop at five times --wal-pages and starts over
 * once they succeed again, and nothing acknowledged is lost on the way,
 * through a kill -9 included.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"

/* Small, so that a test fills the WAL many times over; large enough that
 * the worker copies before the WAL reaches the limit even under valgrind. */
#define WAL_PAGES	64
#define PAGE		4096	/* SQLite's default page size */
/* A WAL of n pages: its header, then a 24-byte header per frame. */
#define WAL_BYTES(n)	(32 + (long)(n) * (PAGE + 24))
/* More than one ticket.issue writes (ticket, its indexes, its event). */
#define COMMIT_PAGES	30

static long
wal_size(struct daemon *d)
{
	char		path[300];
	struct stat	st;

	snprintf(path, sizeof path, "%s-wal", d->d_db);
	return stat(path, &st) == 0 ? (long)st.st_size : 0;
}

/* Issues loan tickets A<from>..A<to>; returns the largest WAL seen. */
static long
issue_range(struct conn *k, struct daemon *d, int from, int to)
{
	char	want[8];
	long	max = 0, size;
	cJSON	*r;
	int	i;

	for (i = from; i <= to; i++) {
		r = issue(k, "loan", 0, NULL);
		snprintf(want, sizeof want, "A%03d", i);
		expect_str(r, "number", want);
		cJSON_Delete(r);
		if ((size = wal_size(d)) > max)
			max = size;
	}
	return max;
}

/* The counts of the daemon's last "event=checkpoints" line. */
static void
checkpoint_counts(struct daemon *d, long *worker, long *loop, long *limit)
{
	FILE	*f = fopen(d->d_log, "r");
	char	 line[1024];
	char	*p;

	*worker = *loop = *limit = -1;
	if (f == NULL)
		fail_msg("%s: %s", d->d_log, strerror(errno));
	while (fgets(line, sizeof line, f) != NULL)
		if ((p = strstr(line, "event=checkpoints ")) != NULL &&
		    sscanf(p, "event=checkpoints worker=%ld loop=%ld limit=%ld", worker, loop,
		    limit) != 3)
			fail_msg("cannot read: %s", line);
	fclose(f);
	if (*worker == -1) {
		daemon_print_log(d);
		fail_msg("no event=checkpoints line in the log");
	}
}

static void
expect_all_waiting(struct daemon *d, int n)
{
	char	 number[8];
	char	*status;
	int	 i;

	for (i = 1; i <= n; i++) {
		snprintf(number, sizeof number, "A%03d", i);
		status = db_ticket_status(d, "2026-11-23", number);
		expect_that(status != NULL && strcmp(status, "waiting") == 0, NULL,
		    "%s: status %s, want waiting", number, status ? status : "(no ticket)");
		free(status);
	}
}

/*
 * The worker copies, the loop finishes: the WAL starts over again and
 * again and never reaches the limit; every ticket survives a kill -9 in
 * the middle of it.
 */
static void
test_worker_copies_loop_finishes(void **state)
{
	struct daemon_opts	 o = { .wal_pages = WAL_PAGES };
	struct daemon		*d = daemon_start(&o);
	struct conn		*k = login(d, "K01");
	long			 max, worker, loop, limit;

	(void)state;
	/* Each issue is one commit of about five pages: 150 of them fill
	 * the WAL many times over. */
	max = issue_range(k, d, 1, 150);
	/* Without checkpoints the WAL would hold every commit (hundreds of
	 * pages); with them it starts over near WAL_PAGES, and never passes
	 * the limit by more than a commit. */
	expect_that(max <= WAL_BYTES(5 * WAL_PAGES + COMMIT_PAGES), NULL,
	    "the WAL reached %ld bytes, over the limit of %ld", max,
	    WAL_BYTES(5 * WAL_PAGES + COMMIT_PAGES));
	daemon_stop(d);
	checkpoint_counts(d, &worker, &loop, &limit);
	expect_that(worker >= 1, NULL, "the worker copied %ld times", worker);
	expect_that(loop >= 1, NULL, "the loop finished %ld copies", loop);
	expect_all_waiting(d, 150);

	/* Again, and a kill -9 right after the last acknowledgement: the
	 * copies and the WAL's new starts lost nothing. */
	daemon_restart(d);
	k = login(d, "K01");
	max = issue_range(k, d, 151, 300);
	expect_that(max <= WAL_BYTES(5 * WAL_PAGES + COMMIT_PAGES), NULL,
	    "the WAL reached %ld bytes", max);
	daemon_kill(d);
	daemon_restart(d);
	expect_all_waiting(d, 300);
	k = login(d, "K01");
	issue_range(k, d, 301, 301);
}

static void
set_fault(struct conn *s, const char *fault)
{
	cJSON_Delete(rq_ok(s, "{\"op\":\"test.fault\",\"fault\":\"%s\"}", fault));
}

/*
 * Checkpoints that fail (the database file refuses writes, the WAL takes
 * them): every commit still succeeds and the WAL grows, the loop tries
 * after every commit past five times --wal-pages, each side warns once;
 * when the fault clears, the loop's next try succeeds, the WAL starts
 * over and stops growing.
 */
static void
test_failing_checkpoints_bounded(void **state)
{
	struct daemon_opts	 o = { .wal_pages = WAL_PAGES };
	struct daemon		*d = daemon_start(&o);
	struct conn		*k = login(d, "K01"), *s = login(d, "S01");
	long			 max, before, worker, loop, limit;
	cJSON			*r;

	(void)state;
	set_fault(s, "checkpoint_error");
	max = issue_range(k, d, 1, 150);
	r = rq_ok(s, "{\"op\":\"test.fault\",\"fault\":\"none\"}");
	expect_that(jint(r, "injected") >= 2, r, "the fault was never in the path");
	cJSON_Delete(r);
	expect_that(max > WAL_BYTES(5 * WAL_PAGES + COMMIT_PAGES), NULL,
	    "the WAL reached only %ld bytes with every checkpoint failing", max);
	expect_that(daemon_log_contains(d, "event=checkpoint_failed by=worker"), NULL,
	    "no warning from the worker");
	expect_that(daemon_log_contains(d, "event=checkpoint_failed by=loop"), NULL,
	    "no warning from the loop");

	/* Recovered: the next commit's checkpoint succeeds, the WAL starts
	 * over and is written from its beginning: no longer grows. */
	issue_range(k, d, 151, 153);
	before = wal_size(d);
	max = issue_range(k, d, 154, 190);
	expect_that(max == before, NULL, "the WAL grew from %ld to %ld bytes after the fault "
	    "cleared", before, max);
	expect_that(daemon_log_contains(d, "event=checkpoint_recovered by=loop"), NULL,
	    "no line for the recovery");
	daemon_stop(d);
	checkpoint_counts(d, &worker, &loop, &limit);
	expect_that(limit >= 1, NULL, "the loop never checkpointed at the limit");
	expect_all_waiting(d, 190);
}

/*
 * Runs the daemon with --wal-pages value (no shell: the checkout's path may
 * hold any character) and returns its wait status; stdout and stderr in out.
 */
static int
run_wal_pages(const char *value, char *out, size_t outlen)
{
	const char	*bin = daemon_binary();
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
		execl(bin, bin, "--wal-pages", value, "--db", "/nonexistent/x.db", (char *)NULL);
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

/* --wal-pages out of range or not a number: exit 2, one line naming it. */
static void
test_wal_pages_refused(void **state)
{
	static const char *const bad[] = { "0", "15", "1000001", "12x", "", "-5" };
	char	 out[1024];
	size_t	 i;
	int	 status;

	(void)state;
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		status = run_wal_pages(bad[i], out, sizeof out);
		expect_that(WIFEXITED(status) && WEXITSTATUS(status) == 2, NULL,
		    "--wal-pages '%s': status %d, want exit 2; output: %s", bad[i], status, out);
		expect_that(strstr(out, "branchqd: --wal-pages") == out &&
		    strstr(out, "from 16 to 1000000") != NULL && strchr(out, '\n') ==
		    out + strlen(out) - 1, NULL, "--wal-pages '%s': want one line naming the "
		    "option and its range; got: %s", bad[i], out);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_worker_copies_loop_finishes, harness_teardown),
		cmocka_unit_test_teardown(test_failing_checkpoints_bounded, harness_teardown),
		cmocka_unit_test_teardown(test_wal_pages_refused, harness_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
