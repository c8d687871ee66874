/*
 * End-to-end: the command-line client (docs/CLIENT.md) against the real
 * daemon.  Each check runs build/branchq (BUILD) as a separate process on
 * the harness's daemon and looks at its stdout, stderr and exit status:
 * plain operations, readable and --json; `report followups`, `report
 * summary` (also by day and half hour) and `report compensation` as table,
 * json and csv (RFC 4180), times local (--tz) or as sent (--utc), with a
 * byte-order mark on asking; compensation shown in yuan from fen, exactly;
 * the daemon's errors (a teller is forbidden reports) with status 1; usage
 * mistakes with status 2, before anything is sent.
 */
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "harness.h"

#define DAY1		"2026-11-23"	/* the business date of H_CLOCK_START */
#define TZ		"--tz", "Asia/Shanghai"	/* the harness's branch */
#define MAX_ARGS	32

/* What one run of the client did. */
struct run {
	int	 r_status;	/* exit status; 128 + signal if killed */
	char	*r_out;
	char	*r_err;
};

static const char *
client_binary(void)
{
	static char	path[512];
	const char	*build = getenv("BUILD");

	snprintf(path, sizeof path, "%s/branchq", build != NULL && *build ? build : "build");
	return path;
}

static void
run_free(struct run *r)
{
	free(r->r_out);
	free(r->r_err);
	memset(r, 0, sizeof *r);
}

static void
buf_append(char **buf, size_t *len, const char *data, size_t n)
{
	*buf = realloc(*buf, *len + n + 1);
	assert_non_null(*buf);
	memcpy(*buf + *len, data, n);
	*len += n;
	(*buf)[*len] = '\0';
}

static int64_t
mono_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * Runs branchq --connect 127.0.0.1:PORT [--terminal T --token tok-T] ARGS...
 * (NULL-terminated), with input on its stdin (NULL: none), and collects
 * what it prints.  A client still running after the reply timeout (twice
 * over) is killed and fails the test.
 */
static void
run_client(struct run *r, struct daemon *d, const char *terminal, const char *input, ...)
{
	char		*argv[MAX_ARGS], port[64], token[64];
	int		 out[2], err[2], in[2], argc = 0, status, rc;
	size_t		 outlen = 0, errlen = 0;
	struct pollfd	 pfd[2];
	int64_t		 deadline = mono_ms() + 2 * reply_timeout_ms() + 5000;
	const char	*a;
	char		 buf[4096];
	ssize_t		 n;
	va_list		 ap;
	pid_t		 pid;

	memset(r, 0, sizeof *r);
	snprintf(port, sizeof port, "127.0.0.1:%d", d->d_port);
	argv[argc++] = (char *)"branchq";
	argv[argc++] = (char *)"--connect";
	argv[argc++] = port;
	argv[argc++] = (char *)"--timeout";
	argv[argc++] = (char *)(under_wrapper() ? "30" : "5");
	if (terminal != NULL) {
		snprintf(token, sizeof token, "tok-%s", terminal);
		argv[argc++] = (char *)"--terminal";
		argv[argc++] = (char *)terminal;
		argv[argc++] = (char *)"--token";
		argv[argc++] = token;
	}
	va_start(ap, input);
	while ((a = va_arg(ap, const char *)) != NULL && argc < MAX_ARGS - 1)
		argv[argc++] = (char *)a;
	va_end(ap);
	argv[argc] = NULL;

	assert_int_equal(pipe(out), 0);
	assert_int_equal(pipe(err), 0);
	assert_int_equal(pipe(in), 0);
	if ((pid = fork()) == -1)
		fail_msg("fork: %s", strerror(errno));
	if (pid == 0) {
		dup2(in[0], STDIN_FILENO);
		dup2(out[1], STDOUT_FILENO);
		dup2(err[1], STDERR_FILENO);
		close(in[0]);
		close(in[1]);
		close(out[0]);
		close(out[1]);
		close(err[0]);
		close(err[1]);
		execv(client_binary(), argv);
		fprintf(stderr, "cannot run %s: %s\n", client_binary(), strerror(errno));
		_exit(127);
	}
	close(in[0]);
	close(out[1]);
	close(err[1]);
	/* Small enough for the pipe: no need to interleave with reading. */
	if (input != NULL)
		assert_int_equal(write(in[1], input, strlen(input)), (ssize_t)strlen(input));
	close(in[1]);

	r->r_out = calloc(1, 1);
	r->r_err = calloc(1, 1);
	pfd[0].fd = out[0];
	pfd[1].fd = err[0];
	pfd[0].events = pfd[1].events = POLLIN;
	while (pfd[0].fd != -1 || pfd[1].fd != -1) {
		int64_t left = deadline - mono_ms();

		if (left <= 0) {
			kill(pid, SIGKILL);
			waitpid(pid, NULL, 0);
			fail_msg("branchq %s ... did not finish in time; stdout:\n%s\nstderr:\n%s",
			    argc > 9 ? argv[9] : "", r->r_out, r->r_err);
		}
		rc = poll(pfd, 2, (int)left);
		if (rc == -1 && errno == EINTR)
			continue;
		assert_true(rc >= 0);
		for (int i = 0; i < 2; i++) {
			if (pfd[i].fd == -1 || pfd[i].revents == 0)
				continue;
			if ((n = read(pfd[i].fd, buf, sizeof buf)) <= 0) {
				close(pfd[i].fd);
				pfd[i].fd = -1;
			} else if (i == 0)
				buf_append(&r->r_out, &outlen, buf, (size_t)n);
			else
				buf_append(&r->r_err, &errlen, buf, (size_t)n);
		}
	}
	while (waitpid(pid, &status, 0) == -1)
		assert_int_equal(errno, EINTR);
	r->r_status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

#define expect_status(r, want)	expect_status_at(__FILE__, __LINE__, (r), (want))
#define expect_out(r, text)	expect_in_at(__FILE__, __LINE__, (r), (r)->r_out, "stdout", (text))
#define expect_err(r, text)	expect_in_at(__FILE__, __LINE__, (r), (r)->r_err, "stderr", (text))
#define expect_not_out(r, text)	expect_not_in_at(__FILE__, __LINE__, (r), (text))

static void
expect_status_at(const char *file, int line, const struct run *r, int want)
{
	h_expect_that(file, line, r->r_status == want, NULL,
	    "branchq exited %d, expected %d; stdout:\n%s\nstderr:\n%s", r->r_status, want,
	    r->r_out, r->r_err);
}

static void
expect_in_at(const char *file, int line, const struct run *r, const char *where,
    const char *name, const char *text)
{
	h_expect_that(file, line, strstr(where, text) != NULL, NULL,
	    "branchq's %s should contain \"%s\"; stdout:\n%s\nstderr:\n%s", name, text,
	    r->r_out, r->r_err);
}

static void
expect_not_in_at(const char *file, int line, const struct run *r, const char *text)
{
	h_expect_that(file, line, strstr(r->r_out, text) == NULL &&
	    strstr(r->r_err, text) == NULL, NULL,
	    "branchq should not print \"%s\"; stdout:\n%s\nstderr:\n%s", text, r->r_out,
	    r->r_err);
}

/*
 * The line of stdout that contains needle (which may start with "\n" to
 * match at a line start), without its end of line.  Caller frees.
 */
static char *
line_with(const struct run *r, const char *needle)
{
	const char	*hit = strstr(r->r_out, needle), *start, *end;
	char		*s;

	expect_that(hit != NULL, NULL, "no line of stdout contains \"%s\":\n%s", needle,
	    r->r_out);
	if (hit != NULL && *hit == '\n')
		hit++;
	for (start = hit; start > r->r_out && start[-1] != '\n'; start--)
		;
	end = start + strcspn(start, "\r\n");
	s = strndup(start, (size_t)(end - start));
	assert_non_null(s);
	return s;
}

/* The nth (from 0) word of a table row, split on spaces.  Caller frees. */
static char *
word_of(const char *row, int nth)
{
	const char	*p = row;
	size_t		 len;

	for (;;) {
		p += strspn(p, " ");
		len = strcspn(p, " ");
		if (nth-- == 0 || len == 0)
			break;
		p += len;
	}
	return strndup(p, len);
}

/* The number of lines of stdout; checks each ends in CRLF when crlf. */
static int
count_lines(const struct run *r, bool crlf)
{
	const char	*p;
	int		 n = 0;

	for (p = r->r_out; *p != '\0'; p++) {
		if (*p != '\n')
			continue;
		n++;
		expect_that(!crlf || (p > r->r_out && p[-1] == '\r'), NULL,
		    "line %d should end in CRLF:\n%s", n, r->r_out);
	}
	expect_that(*r->r_out == '\0' || p[-1] == '\n', NULL,
	    "stdout should end with a line end:\n%s", r->r_out);
	return n;
}

static long long
log_complaint(struct conn *c, const char *category, const char *customer)
{
	cJSON		*r = rq_ok(c, "{\"op\":\"complaint.log\",\"category\":\"%s\",\"severity\":2,"
	    "\"description\":\"waited too long\",\"channel\":\"counter\""
	    ",\"customer\":%s}", category, customer);
	long long	 id = jint(r, "complaint.id");

	cJSON_Delete(r);
	return id;
}

static void
compensate(struct conn *c, long long id, long long amount_fen)
{
	cJSON_Delete(rq_ok(c, "{\"op\":\"complaint.action\",\"complaint\":%lld,"
	    "\"kind\":\"compensation\",\"note\":\"sorry\",\"amount_fen\":%lld}", id, amount_fen));
}

/* ---- plain operations ---- */

static void
test_plain_ops(void **state)
{
	struct daemon	*d = daemon_start(NULL);
	struct conn	*k = login(d, "K01");
	struct run	 r;
	cJSON		*j, *t;

	(void)state;
	run_client(&r, d, NULL, NULL, "ping", NULL);
	expect_status(&r, 0);
	expect_out(&r, "now: " H_CLOCK_START "\n");
	run_free(&r);

	/* Readable: the one-line summary, then the fields, money in yuan. */
	run_client(&r, d, "K01", NULL, "ticket.issue", "service=cash_withdrawal",
	    "amount_fen=2500000", NULL);
	expect_status(&r, 0);
	expect_that(strncmp(r.r_out, "A001  counter  waiting  position 1", 34) == 0, NULL,
	    "the first line should be the ticket's summary:\n%s", r.r_out);
	expect_out(&r, "amount_fen: 2500000 (CNY 25000.00)\n");
	expect_that(*r.r_err == '\0', NULL, "nothing on stderr:\n%s", r.r_err);
	run_free(&r);
	t = ticket_status(k, "A001");	/* it was really issued */
	expect_str(t, "status", "waiting");
	cJSON_Delete(t);

	/* --json: the reply line as it came. */
	run_client(&r, d, "K01", NULL, "--json", "ticket.issue", "service=cash_withdrawal",
	    "amount_fen=150000", NULL);
	expect_status(&r, 0);
	expect_that(count_lines(&r, false) == 1, NULL, "one line:\n%s", r.r_out);
	j = cJSON_Parse(r.r_out);
	expect_that(j != NULL, NULL, "--json should print JSON:\n%s", r.r_out);
	expect_bool(j, "ok", true);
	expect_str(j, "ticket.number", "S001");
	expect_str(j, "ticket.status", "diverted");
	cJSON_Delete(j);
	run_free(&r);

	/* An error reply: on stderr, status 1. */
	run_client(&r, d, "K01", NULL, "ticket.status", "number=A009", NULL);
	expect_status(&r, 1);
	expect_err(&r, "error: not_found: ");
	expect_that(*r.r_out == '\0', NULL, "nothing on stdout:\n%s", r.r_out);
	run_free(&r);
}

/* ---- report followups ---- */

/*
 * Three open complaints, all E9001's: #1 (张三丰) logged at the start and
 * then 27 h overdue; #2 ("Quoted, masked to "*) and #3 (,comma, masked to
 * ,*) logged after, due tomorrow.
 */
static struct conn *
three_complaints(struct daemon *d)
{
	struct conn	*s = login(d, "S01");

	expect_that(log_complaint(s, "wait_time",
	    "{\"name\":\"张三丰\",\"phone\":\"13812345678\"}") == 1, NULL, "complaint 1");
	advance(s, 51 * 3600);	/* due after 24 h: overdue by 27 h */
	expect_that(log_complaint(s, "fees",
	    "{\"name\":\"\\\"Quoted\",\"phone\":\"13912345678\"}") == 2, NULL, "complaint 2");
	expect_that(log_complaint(s, "product",
	    "{\"name\":\",comma\",\"phone\":\"13700001111\"}") == 3, NULL, "complaint 3");
	return s;
}

/* The supervisor's connection of three_complaints (a new one). */
static struct conn *
s_of(struct daemon *d)
{
	return login(d, "S01");
}

/* A001 served by T01 today; its customer answers 3: case #4, E9001's. */
static void
survey_case(struct daemon *d)
{
	struct conn	*k = login(d, "K01"), *t = login(d, "T01");
	cJSON		*r;

	cJSON_Delete(issue(k, "loan", 0, NULL));
	cJSON_Delete(rq_ok(t, "{\"op\":\"window.open\",\"window\":1,\"lanes\":[\"counter\"]}"));
	cJSON_Delete(rq_ok(t, "{\"op\":\"ticket.call_next\"}"));
	cJSON_Delete(rq_ok(t, "{\"op\":\"ticket.start\",\"number\":\"A001\"}"));
	cJSON_Delete(rq_ok(t, "{\"op\":\"ticket.complete\",\"number\":\"A001\"}"));
	r = rq_ok(k, "{\"op\":\"survey.submit\",\"ticket\":\"A001\",\"score\":3}");
	expect_int(r, "complaint.id", 4);
	cJSON_Delete(r);
}

static void
test_followups_table(void **state)
{
	struct daemon	*d = daemon_start(NULL);
	struct run	 r;
	char		*row, *w;

	(void)state;
	three_complaints(d);
	/* Local times, in the branch's zone; durations as everywhere. */
	run_client(&r, d, "S01", NULL, TZ, "report", "followups", NULL);
	expect_status(&r, 0);
	expect_out(&r, "follow-ups (open) at 2026-11-25 12:00: 3 complaints "
	    "(times in Asia/Shanghai)\n");
	expect_out(&r, "open 3  overdue 1  due within 4h 0  on-time rate - (0 on time, 0 late)\n");
	expect_out(&r, "by owner: E9001 3 open, 1 overdue\n");
	expect_out(&r, "ID  OWNER  FIRST RESP  SEV  CATEGORY");
	expect_out(&r, "  LAST CONTACT  TICKET  CUSTOMER\n");
	/* One row per complaint, in the daemon's order: #1 (due first) on top. */
	row = line_with(&r, "138****5678");
	expect_that(strncmp(row, " 1  E9001  E9001", 16) == 0 &&
	    strstr(row, "wait_time") != NULL && strstr(row, "open") != NULL &&
	    strstr(row, "2026-11-24 09:00") != NULL && strstr(row, "27h00m00s") != NULL &&
	    strstr(row, "张* 138****5678") != NULL, NULL, "row of #1: \"%s\"", row);
	free(row);
	row = line_with(&r, "139****5678");
	w = word_of(row, 8);	/* the due time is two words */
	expect_that(strncmp(row, " 2  E9001", 9) == 0 && strstr(row, "fees") != NULL &&
	    strcmp(w, "-") == 0, NULL, "row of #2 (not overdue): \"%s\"", row);
	free(w);
	free(row);
	expect_that(strstr(r.r_out, "138****5678") < strstr(r.r_out, "139****5678") &&
	    strstr(r.r_out, "139****5678") < strstr(r.r_out, "137****1111"), NULL,
	    "rows in order of due, then id:\n%s", r.r_out);
	expect_not_out(&r, "13812345678");	/* DOMAIN §5: masked */
	expect_not_out(&r, "三丰");
	run_free(&r);

	/* --limit cuts the rows, not the counts. */
	run_client(&r, d, "S01", NULL, "report", "followups", "--limit", "1", NULL);
	expect_status(&r, 0);
	expect_out(&r, ": 3 complaints, 1 shown (times in ");
	expect_out(&r, "138****5678");
	expect_not_out(&r, "139****5678");
	run_free(&r);

	run_client(&r, d, "S01", NULL, "report", "followups", "--status=overdue", NULL);
	expect_status(&r, 0);
	expect_out(&r, "follow-ups (overdue) at ");
	expect_out(&r, ": 1 complaint (times in ");
	expect_not_out(&r, "139****5678");
	run_free(&r);

	/* --utc: times as the daemon sends them. */
	run_client(&r, d, "S01", NULL, TZ, "report", "followups", "--utc", NULL);
	expect_status(&r, 0);
	expect_out(&r, "follow-ups (open) at 2026-11-25T04:00:00Z: 3 complaints\n");
	expect_out(&r, "2026-11-24T01:00:00Z");
	run_free(&r);

	/* A follow-up recorded, and a survey's case with its ticket and score:
	 * the worklist shows the last contact, the ticket's day and the score. */
	cJSON_Delete(rq_ok(s_of(d), "{\"op\":\"followup.record\",\"complaint\":1,"
	    "\"outcome\":\"unreachable\",\"note\":\"no answer\"}"));
	survey_case(d);
	run_client(&r, d, "S01", NULL, TZ, "report", "followups", NULL);
	expect_status(&r, 0);
	row = line_with(&r, "138****5678");
	expect_that(strstr(row, "unreachable 2026-11-25 12:00") != NULL, NULL,
	    "row of #1: \"%s\"", row);
	free(row);
	row = line_with(&r, "(survey 3)");
	expect_that(strncmp(row, " 4  E9001", 9) == 0 && strstr(row, "other (survey 3)") != NULL &&
	    strstr(row, "A001 (11-25)") != NULL, NULL, "row of #4: \"%s\"", row);
	free(row);
	run_free(&r);
	run_client(&r, d, "S01", NULL, "report", "followups", "--status", "due_soon", NULL);
	expect_status(&r, 0);
	expect_out(&r, "follow-ups (due_soon) at ");
	run_free(&r);
}

static void
test_followups_json_and_csv(void **state)
{
	static const char header[] = "id,owner,first_responder,severity,category,state,"
	    "overdue,follow_up_due,overdue_s,logged_at,channel,ticket,customer_name,"
	    "customer_phone,root_cause,compensation_fen,resolved_at,closed_at,ticket_date,"
	    "last_followup_at,last_followup_outcome,survey_score\r\n";
	struct daemon	*d = daemon_start(NULL);
	struct run	 r, same;
	cJSON		*j;
	char		*row;

	(void)state;
	three_complaints(d);

	/* json: the raw reply line, exactly what --json prints. */
	run_client(&r, d, "S01", NULL, "report", "followups", "--format", "json", NULL);
	expect_status(&r, 0);
	expect_that(count_lines(&r, false) == 1, NULL, "one line:\n%s", r.r_out);
	j = cJSON_Parse(r.r_out);
	expect_that(j != NULL, NULL, "json should be JSON:\n%s", r.r_out);
	expect_int(j, "total", 3);
	expect_int(j, "complaints.0.id", 1);
	expect_str(j, "complaints.0.customer.phone", "138****5678");
	expect_int(j, "complaints.0.overdue_s", 27 * 3600);
	cJSON_Delete(j);
	run_client(&same, d, "S01", NULL, "--json", "report", "followups", NULL);
	expect_status(&same, 0);
	expect_that(strcmp(r.r_out, same.r_out) == 0, NULL,
	    "--format json and --json should print the same:\n%s\n%s", r.r_out, same.r_out);
	run_free(&same);
	run_free(&r);

	/* csv: a header, one row per complaint, quoted where RFC 4180 says. */
	run_client(&r, d, "S01", NULL, TZ, "report", "followups", "--format", "csv", NULL);
	expect_status(&r, 0);
	expect_that(count_lines(&r, true) == 4, NULL, "a header and 3 rows:\n%s", r.r_out);
	expect_that(strncmp(r.r_out, header, strlen(header)) == 0, NULL, "header:\n%s", r.r_out);
	/* Local times a spreadsheet reads as such. */
	row = line_with(&r, "\n1,");
	expect_that(strcmp(row, "1,E9001,E9001,2,wait_time,open,true,2026-11-24 09:00:00,97200,"
	    "2026-11-23 09:00:00,counter,,张*,138****5678,,0,,,,,,") == 0, NULL,
	    "row 1: \"%s\"", row);
	free(row);
	/* "Quoted -> "* -> """*"; ,comma -> ,* -> ",*". */
	row = line_with(&r, "\n2,");
	expect_that(strstr(row, ",fees,open,false,") != NULL &&
	    strstr(row, ",\"\"\"*\",139****5678,") != NULL, NULL, "row 2: \"%s\"", row);
	free(row);
	row = line_with(&r, "\n3,");
	expect_that(strstr(row, ",\",*\",137****1111,") != NULL, NULL, "row 3: \"%s\"", row);
	free(row);
	expect_not_out(&r, "13812345678");
	run_free(&r);

	run_client(&r, d, "S01", NULL, "report", "followups", "--status", "overdue",
	    "--format=csv", NULL);
	expect_status(&r, 0);
	expect_that(count_lines(&r, true) == 2, NULL, "a header and 1 row:\n%s", r.r_out);
	run_free(&r);

	/* Resolved and closed, a follow-up recorded; --utc; a byte-order mark. */
	cJSON_Delete(rq_ok(s_of(d), "{\"op\":\"complaint.resolve\",\"complaint\":1,"
	    "\"resolution\":\"apologised\",\"root_cause\":\"personnel\"}"));
	cJSON_Delete(rq_ok(s_of(d), "{\"op\":\"followup.record\",\"complaint\":1,"
	    "\"outcome\":\"satisfied\",\"note\":\"fine now\"}"));
	run_client(&r, d, "S01", NULL, "report", "followups", "--status", "all", "--utc",
	    "--format", "csv", "--bom", NULL);
	expect_status(&r, 0);
	expect_that(strncmp(r.r_out, "\xEF\xBB\xBF", 3) == 0 &&
	    strncmp(r.r_out + 3, header, strlen(header)) == 0, NULL,
	    "a byte-order mark, then the header:\n%s", r.r_out);
	row = line_with(&r, "\n1,");
	expect_that(strcmp(row, "1,E9001,E9001,2,wait_time,closed,false,2026-11-24T01:00:00Z,0,"
	    "2026-11-23T01:00:00Z,counter,,张*,138****5678,personnel,0,2026-11-25T04:00:00Z,"
	    "2026-11-25T04:00:00Z,,2026-11-25T04:00:00Z,satisfied,") == 0, NULL,
	    "row 1: \"%s\"", row);
	free(row);
	run_free(&r);
}

/* ---- report summary ---- */

static void
test_summary(void **state)
{
	struct daemon	*d = daemon_start(NULL);
	struct conn	*k = login(d, "K01"), *s = login(d, "S01");
	struct run	 r;
	cJSON		*j, *t;
	long long	 id;

	(void)state;
	t = issue(k, "cash_withdrawal", 2500000, NULL);	/* A001, counter */
	cJSON_Delete(t);
	t = issue(k, "cash_withdrawal", 150000, NULL);	/* S001, diverted */
	cJSON_Delete(t);
	t = issue(k, "account_opening", 0, NULL);	/* A002, counter */
	cJSON_Delete(t);
	id = log_complaint(s, "wait_time", "{\"name\":\"张三丰\",\"phone\":\"13812345678\"}");
	compensate(s, id, 12345);

	run_client(&r, d, "S01", NULL, TZ, "report", "summary", "--from", DAY1, "--to", DAY1,
	    NULL);
	expect_status(&r, 0);
	expect_out(&r, "summary " DAY1 " to " DAY1 "\nmade 2026-11-23 09:00 (times in "
	    "Asia/Shanghai)\n");
	expect_out(&r, "\nTickets: 3\n");
	expect_out(&r, "  by lane        self_service: 1  express: 0  counter: 2  vip: 0\n");
	expect_out(&r, "  by service     cash_withdrawal: 2  account_opening: 1\n");
	expect_out(&r, "\nComplaints: 1\n");
	expect_out(&r, "  by category    wait_time: 1\n");
	expect_out(&r, "  compensation   CNY 123.45 (12345 fen)\n");
	expect_out(&r, "LANE          COUNT");
	expect_out(&r, "\nFollow-ups: on time 0, late 0; open and overdue 0 ");
	/* No answer is no score, not a score of 0. */
	expect_out(&r, "\nNPS: - (responses 0: promoters 0, passives 0, detractors 0)\n");
	expect_out(&r, "  not diverted   none\n");
	expect_out(&r, "  machines down  0s\n");
	expect_out(&r, "  compensation   CNY 123.45 (12345 fen)\n  by cause (CNY) "
	    "unresolved: 123.45\n");
	run_free(&r);

	/* csv: section,key,metric,value; yuan beside fen. */
	run_client(&r, d, "S01", NULL, TZ, "report", "summary", "--from", DAY1, "--format",
	    "csv", NULL);
	expect_status(&r, 0);
	expect_that(count_lines(&r, true) > 50, NULL, "a row per figure:\n%s", r.r_out);
	expect_that(strncmp(r.r_out, "section,key,metric,value\r\n", 26) == 0, NULL,
	    "header:\n%s", r.r_out);
	expect_out(&r, "\nreport,,from," DAY1 "\r\nreport,,to," DAY1 "\r\n"	/* --to = --from */
	    "report,,branch,E2E-001\r\nreport,,timezone,Asia/Shanghai\r\n"
	    "report,,made_at,2026-11-23 09:00:00\r\n");
	expect_out(&r, "\ndiversion,counter_idle,kept_at_counter,0\r\n");
	expect_out(&r, "\ncomplaints,unresolved,compensation_by_root_cause_fen,12345\r\n");
	expect_out(&r, "\nnps,,score,\r\n");	/* no answer: no score */
	expect_out(&r, "\ntickets,,total,3\r\n");
	expect_out(&r, "\ntickets,counter,by_lane,2\r\n");
	expect_out(&r, "\ntickets,self_service,by_lane,1\r\n");
	expect_out(&r, "\ntickets,account_opening,by_service,1\r\n");
	expect_out(&r, "\nwaiting,counter,count,0\r\n");
	expect_out(&r, "\nwaiting,counter,p90,\r\n");	/* null: empty */
	expect_out(&r, "\ncomplaints,2,by_severity,1\r\n");
	expect_out(&r, "\ncomplaints,,compensation_fen,12345\r\n"
	    "complaints,,compensation_yuan,123.45\r\n");
	run_free(&r);

	/* The cents keep their zero: 12345 + 60 = 12405 -> 124.05. */
	compensate(s, id, 60);
	run_client(&r, d, "S01", NULL, "report", "summary", "--from", DAY1, NULL);
	expect_status(&r, 0);
	expect_out(&r, "  compensation   CNY 124.05 (12405 fen)\n");
	run_free(&r);

	/* json is the reply. */
	run_client(&r, d, "S01", NULL, "report", "summary", "--from", DAY1, "--format", "json",
	    NULL);
	expect_status(&r, 0);
	j = cJSON_Parse(r.r_out);
	expect_that(j != NULL, NULL, "json should be JSON:\n%s", r.r_out);
	expect_int(j, "tickets.total", 3);
	expect_int(j, "complaints.compensation_fen", 12405);
	expect_str(j, "to", DAY1);
	cJSON_Delete(j);
	run_free(&r);

	/* Another range: nothing in it. */
	run_client(&r, d, "S01", NULL, "report", "summary", "--from=2026-11-01",
	    "--to=2026-11-02", NULL);
	expect_status(&r, 0);
	expect_out(&r, "\nTickets: 0\n");
	expect_out(&r, "  compensation   CNY 0.00 (0 fen)\n");
	run_free(&r);

	/* The daemon checks the dates: its error, status 1. */
	run_client(&r, d, "S01", NULL, "report", "summary", "--from", "2026-11-40", NULL);
	expect_status(&r, 1);
	expect_err(&r, "error: bad_request: from: ");
	run_free(&r);
}

/*
 * A regional manager's export: one row per day, one column per figure,
 * with the branch, its zone and when it was made; local times; days with
 * nothing in them too.  Day 1: A001 (loan) waits 10 minutes and is served
 * at 09:15; S001 diverted.  Day 2: A001 waits.  Day 3: nothing.
 */
static void
test_summary_by_day(void **state)
{
	static const char header[] = "branch,timezone,made_at,date,from,to,tickets,served,"
	    "no_show,waits,wait_mean_s,wait_p50_s,wait_p90_s,wait_max_s,within_target,"
	    "eligible,diverted,rerouted,diversion_rate\r\n";
	struct daemon	*d = daemon_start(NULL);
	struct conn	*k = login(d, "K01"), *s = login(d, "S01"), *t = login(d, "T01");
	struct run	 r;

	(void)state;
	cJSON_Delete(issue(k, "loan", 0, NULL));
	advance(s, 600);
	cJSON_Delete(rq_ok(t, "{\"op\":\"window.open\",\"window\":1,\"lanes\":[\"counter\"]}"));
	cJSON_Delete(rq_ok(t, "{\"op\":\"ticket.call_next\"}"));
	cJSON_Delete(rq_ok(t, "{\"op\":\"ticket.start\",\"number\":\"A001\"}"));
	advance(s, 300);
	cJSON_Delete(rq_ok(t, "{\"op\":\"ticket.complete\",\"number\":\"A001\"}"));
	cJSON_Delete(rq_ok(t, "{\"op\":\"window.close\"}"));
	cJSON_Delete(issue(k, "cash_withdrawal", 100000, NULL));	/* S001 */
	advance(s, H_TO_DAY_END - 900 + 3600);			/* 01:00 on day 2 */
	cJSON_Delete(issue(k, "loan", 0, NULL));

	run_client(&r, d, "S01", NULL, TZ, "report", "summary", "--from", DAY1, "--to",
	    "2026-11-25", "--by", "day", "--format", "csv", "--bom", NULL);
	expect_status(&r, 0);
	expect_that(strncmp(r.r_out, "\xEF\xBB\xBF", 3) == 0 &&
	    strncmp(r.r_out + 3, header, strlen(header)) == 0, NULL, "header:\n%s", r.r_out);
	expect_that(count_lines(&r, true) == 4, NULL, "a header and 3 days:\n%s", r.r_out);
	expect_out(&r, "\r\nE2E-001,Asia/Shanghai,2026-11-24 01:00:00,2026-11-23,"
	    "2026-11-23 00:00:00,2026-11-24 00:00:00,2,1,0,1,600,600,600,600,1,1,1,0,1\r\n");
	expect_out(&r, "\r\nE2E-001,Asia/Shanghai,2026-11-24 01:00:00,2026-11-24,"
	    "2026-11-24 00:00:00,2026-11-25 00:00:00,1,0,0,0,,,,,,0,0,0,\r\n");
	expect_out(&r, "\r\nE2E-001,Asia/Shanghai,2026-11-24 01:00:00,2026-11-25,"
	    "2026-11-25 00:00:00,2026-11-26 00:00:00,0,0,0,0,,,,,,0,0,0,\r\n");
	run_free(&r);

	/* Half hours, as a table: the day's 48, empty ones too. */
	run_client(&r, d, "S01", NULL, TZ, "report", "summary", "--from", DAY1, "--by",
	    "half_hour", NULL);
	expect_status(&r, 0);
	expect_out(&r, "\nBy half hour:\nFROM              TICKETS");
	expect_out(&r, "\n2026-11-23 09:00        2       1         0      1  10m00s  10m00s  "
	    "10m00s         100.0%         1         1  100.0%\n");
	expect_out(&r, "\n2026-11-23 23:30        0       0         0      0       -       -"
	    "       -              -         0         0       -\n");
	run_free(&r);

	/* Days in the table are their dates. */
	run_client(&r, d, "S01", NULL, TZ, "report", "summary", "--from", DAY1, "--to",
	    "2026-11-24", "--by", "day", NULL);
	expect_status(&r, 0);
	expect_out(&r, "\nBy day:\nFROM        TICKETS");
	expect_out(&r, "\n2026-11-24        1       0");
	run_free(&r);
}

/* report compensation: every grant, by time, in yuan; CSV with fen and yuan. */
static void
test_compensation(void **state)
{
	struct daemon	*d = daemon_start(NULL);
	struct conn	*s = login(d, "S01");
	struct run	 r;
	long long	 a, b;

	(void)state;
	a = log_complaint(s, "fees", "{\"name\":\"Li Wei\",\"phone\":\"13912345678\"}");
	b = log_complaint(s, "wait_time", "{\"name\":\"张三\",\"phone\":\"13812345678\"}");
	compensate(s, a, 5000);
	advance(s, 90);
	compensate(s, b, 12345);
	cJSON_Delete(rq_ok(s, "{\"op\":\"complaint.resolve\",\"complaint\":%lld,"
	    "\"resolution\":\"refund\",\"root_cause\":\"system\"}", b));

	run_client(&r, d, "S01", NULL, TZ, "report", "compensation", "--from", DAY1, NULL);
	expect_status(&r, 0);
	expect_out(&r, "compensation " DAY1 " to " DAY1 ": 2 grants, CNY 173.45 (17345 fen) "
	    "(times in Asia/Shanghai)\n");
	expect_out(&r, "\nAT                COMPLAINT  ACTOR      AMOUNT  ROOT CAUSE  CATEGORY\n");
	expect_out(&r, "\n2026-11-23 09:00          1  E9001   CNY 50.00  -           fees\n");
	expect_out(&r, "\n2026-11-23 09:01          2  E9001  CNY 123.45  system      "
	    "wait_time\n");
	expect_not_out(&r, "13812345678");
	run_free(&r);

	run_client(&r, d, "S01", NULL, TZ, "report", "compensation", "--from", DAY1,
	    "--format", "csv", "--limit", "1", NULL);
	expect_status(&r, 0);
	expect_that(strcmp(r.r_out, "at,complaint,actor,amount_fen,amount_yuan,root_cause,"
	    "category\r\n2026-11-23 09:00:00,1,E9001,5000,50.00,,fees\r\n") == 0, NULL,
	    "csv:\n%s", r.r_out);
	run_free(&r);

	run_client(&r, d, "S01", NULL, "report", "compensation", "--from", "2026-11-01",
	    "--to", "2026-11-22", NULL);
	expect_status(&r, 0);
	expect_out(&r, ": 0 grants, CNY 0.00 (0 fen)");
	expect_out(&r, "\nno compensation granted\n");
	run_free(&r);

	run_client(&r, d, "T01", NULL, "report", "compensation", "--from", DAY1, NULL);
	expect_status(&r, 1);
	expect_err(&r, "error: forbidden: ");
	run_free(&r);
}

/* The shell takes the same report command. */
static void
test_report_in_shell(void **state)
{
	struct daemon	*d = daemon_start(NULL);
	struct conn	*s = login(d, "S01");
	struct run	 r;
	long long	 id;

	(void)state;
	id = log_complaint(s, "fees", "{\"name\":\"Li Wei\",\"phone\":\"13912345678\"}");
	compensate(s, id, 5);
	run_client(&r, d, "S01", "report summary --from " DAY1 " --format csv\n"
	    "report followups --utc\n", "shell", NULL);
	expect_status(&r, 0);
	expect_out(&r, "complaints,,compensation_yuan,0.05\r\n");
	expect_out(&r, "follow-ups (open) at " H_CLOCK_START ": 1 complaint\n");
	expect_out(&r, "L* 139****5678\n");
	run_free(&r);
}

/* ---- errors ---- */

static void
test_report_forbidden(void **state)
{
	struct daemon	*d = daemon_start(NULL);
	struct run	 r;
	cJSON		*j;

	(void)state;
	run_client(&r, d, "T01", NULL, "report", "followups", NULL);
	expect_status(&r, 1);
	expect_err(&r, "error: forbidden: ");
	expect_that(*r.r_out == '\0', NULL, "nothing on stdout:\n%s", r.r_out);
	run_free(&r);

	run_client(&r, d, "T01", NULL, "report", "summary", "--from", DAY1, "--format", "csv",
	    NULL);
	expect_status(&r, 1);
	expect_err(&r, "error: forbidden: ");
	expect_that(*r.r_out == '\0', NULL, "no CSV header for an error:\n%s", r.r_out);
	run_free(&r);

	/* json: the error line itself, still status 1. */
	run_client(&r, d, "T01", NULL, "report", "followups", "--format", "json", NULL);
	expect_status(&r, 1);
	j = cJSON_Parse(r.r_out);
	expect_bool(j, "ok", false);
	expect_str(j, "error.code", "forbidden");
	cJSON_Delete(j);
	run_free(&r);

	/* Without hello: unauthenticated. */
	run_client(&r, d, NULL, NULL, "report", "followups", NULL);
	expect_status(&r, 1);
	expect_err(&r, "error: unauthenticated: ");
	run_free(&r);
}

static void
test_report_usage(void **state)
{
	static const char *const bad[][8] = {
		{ "report", "followups", "--format", "xml", NULL },
		{ "report", "followups", "--format", NULL },
		{ "report", "summary", "--format=yaml", "--from", DAY1, NULL },
		{ "report", "summary", NULL },			/* --from is required */
		{ "report", "summary", "--to", DAY1, NULL },
		{ "report", NULL },
		{ "report", "everything", NULL },
		{ "report", "followups", "--limit", "ten", NULL },
		{ "report", "followups", "--from", DAY1, NULL },	/* not an option here */
		{ "report", "summary", "--from", DAY1, "extra", NULL },
		{ "--json", "report", "followups", "--format", "csv", NULL },
		{ "report", "summary", "--from", DAY1, "--by", "week", NULL },
		{ "report", "followups", "--by", "day", NULL },	/* not an option here */
		{ "report", "compensation", NULL },		/* --from is required */
		{ "report", "compensation", "--from", DAY1, "--status", "open", NULL },
		{ "report", "compensation", "--from", DAY1, "--limit", "-1", NULL },
		{ "--tz", "Mars/Olympus_Mons", "report", "followups", NULL },
		{ "--tz", "../../etc/passwd", "report", "followups", NULL },
	};
	struct daemon	*d = daemon_start(NULL);
	struct run	 r;
	size_t		 i;

	(void)state;
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		run_client(&r, d, "S01", NULL, bad[i][0], bad[i][1], bad[i][2], bad[i][3],
		    bad[i][4], bad[i][5], bad[i][6], NULL);
		expect_status(&r, 2);
		expect_err(&r, "branchq --help");
		expect_that(*r.r_out == '\0', NULL, "case %zu: nothing on stdout:\n%s", i,
		    r.r_out);
		run_free(&r);
	}
	run_client(&r, d, "S01", NULL, "report", "followups", "--format", "xml", NULL);
	expect_err(&r, "--format: expected table, json or csv, got \"xml\"");
	run_free(&r);
	run_client(&r, d, "S01", NULL, "report", "summary", "--from", DAY1, "--by", "week",
	    NULL);
	expect_err(&r, "--by: expected day or half_hour, got \"week\"");
	run_free(&r);
	run_client(&r, d, "S01", NULL, "--tz", "Mars/Olympus_Mons", "report", "followups", NULL);
	expect_err(&r, "--tz: no time zone \"Mars/Olympus_Mons\" here");
	run_free(&r);

	/* Usage is checked before connecting: no daemon is needed to be told. */
	daemon_stop(d);
	run_client(&r, d, "S01", NULL, "report", "summary", NULL);
	expect_status(&r, 2);
	expect_err(&r, "--from");
	expect_not_out(&r, "cannot connect");
	run_free(&r);
	run_client(&r, d, "S01", NULL, "report", "followups", NULL);
	expect_status(&r, 2);
	expect_err(&r, "cannot connect");
	run_free(&r);
}

/* ---- branchq token ---- */

/* "token: TOKEN\n" then the second line: the token, or fails the test. */
static void
token_lines(const struct run *r, char token[64], char line2[512])
{
	const char	*nl, *p = r->r_out;
	size_t		 n;

	expect_that(r->r_status == 0 && *r->r_err == '\0', NULL,
	    "branchq token: status %d, stderr: %s", r->r_status, r->r_err);
	expect_that(strncmp(p, "token: ", 7) == 0 && (nl = strchr(p, '\n')) != NULL,
	    NULL, "branchq token: want \"token: ...\" first; got:\n%s", p);
	nl = strchr(p, '\n');
	n = (size_t)(nl - p - 7);
	expect_that(n == 43 && strspn(p + 7, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz0123456789-_") == 43, NULL,
	    "the token must be 43 characters of base64url; got:\n%s", p);
	memcpy(token, p + 7, n);
	token[n] = '\0';
	p = nl + 1;
	nl = strchr(p, '\n');
	expect_that(nl != NULL && nl[1] == '\0', NULL, "want two lines; got:\n%s",
	    r->r_out);
	snprintf(line2, 512, "%.*s", (int)(nl - p), p);
}

static void
hex_sha256(const char *s, char hex[65])
{
	unsigned char	h[32];
	unsigned int	n = 0;
	int		i;

	assert_int_equal(EVP_Digest(s, strlen(s), h, &n, EVP_sha256(), NULL), 1);
	for (i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", h[i]);
}

/*
 * A new random token and its configuration line; a daemon given the hash
 * takes the token at hello (and no longer the old one).
 */
static void
test_token(void **state)
{
	struct daemon	*d;
	struct conn	*c;
	struct run	 r;
	cJSON		*o, *reply;
	char		 tok1[64], tok2[64], line[512], want[512], hex[65];

	(void)state;
	d = daemon_start(NULL);
	run_client(&r, d, NULL, NULL, "token", NULL);
	token_lines(&r, tok1, line);
	hex_sha256(tok1, hex);
	snprintf(want, sizeof want, "\"token_sha256\": \"%s\"", hex);
	expect_that(strcmp(line, want) == 0, NULL, "want %s, got %s", want, line);
	run_free(&r);
	run_client(&r, d, NULL, NULL, "token", NULL);
	token_lines(&r, tok2, line);
	expect_that(strcmp(tok1, tok2) != 0, NULL, "two runs gave the same token %s", tok1);
	run_free(&r);

	/* The line goes in the file as it is. */
	daemon_stop(d);
	config_set_token(d, "K01", tok1);
	daemon_restart(d);
	c = conn_open(d);
	hello_token(c, "K01", tok1);
	c = conn_open(d);
	reply = rq(c, "{\"op\":\"hello\",\"terminal\":\"K01\",\"token\":\"tok-K01\"}");
	expect_error(reply, "unauthenticated");
	cJSON_Delete(reply);

	/* A whole terminal's object, with --terminal, --role and --staff. */
	run_client(&r, d, NULL, NULL, "token", "--terminal", "T09", "--role", "teller",
	    "--staff", "E1009", NULL);
	token_lines(&r, tok1, line);
	hex_sha256(tok1, hex);
	o = cJSON_Parse(line);
	expect_that(o != NULL && cJSON_GetArraySize(o) == 4 &&
	    strcmp(jstr(o, "id"), "T09") == 0 && strcmp(jstr(o, "role"), "teller") == 0 &&
	    strcmp(jstr(o, "staff"), "E1009") == 0 &&
	    strcmp(jstr(o, "token_sha256"), hex) == 0, o,
	    "want the terminal's object with the token's hash; got %s", line);
	cJSON_Delete(o);
	run_free(&r);
	run_client(&r, d, NULL, NULL, "token", "--terminal", "D09", "--role", "display",
	    NULL);
	token_lines(&r, tok1, line);
	o = cJSON_Parse(line);
	expect_that(o != NULL && cJSON_GetArraySize(o) == 3 &&
	    strcmp(jstr(o, "role"), "display") == 0, o, "got %s", line);
	cJSON_Delete(o);
	run_free(&r);

	/* Mistakes: status 2, no token. */
	{
		static const char *const bad[][8] = {
			{ "token", "--role", "kiosk", NULL },
			{ "token", "--terminal", "T09", "--role", "teller", NULL },
			{ "token", "--terminal", "K09", "--role", "kiosk", "--staff", "E1", NULL },
			{ "token", "--terminal", "K 9", "--role", "kiosk", NULL },
			{ "token", "--terminal", "K09", "--role", "boss", NULL },
			{ "token", "--terminal", NULL },
			{ "token", "extra", NULL },
		};
		static const char *const why[] = {
			"--terminal and --role go together", "--staff: required for a teller",
			"--staff: a kiosk is nobody's", "--terminal: 1 to 32 characters",
			"--role: one of kiosk", "--terminal needs a value", "unknown argument extra",
		};
		size_t	i;

		for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
			run_client(&r, d, NULL, NULL, bad[i][0], bad[i][1], bad[i][2],
			    bad[i][3], bad[i][4], bad[i][5], bad[i][6], NULL);
			expect_status(&r, 2);
			expect_err(&r, why[i]);
			expect_that(*r.r_out == '\0', NULL, "no token on a mistake: %s",
			    r.r_out);
			run_free(&r);
		}
	}
	daemon_stop(d);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_plain_ops, harness_teardown),
		cmocka_unit_test_teardown(test_followups_table, harness_teardown),
		cmocka_unit_test_teardown(test_followups_json_and_csv, harness_teardown),
		cmocka_unit_test_teardown(test_summary, harness_teardown),
		cmocka_unit_test_teardown(test_summary_by_day, harness_teardown),
		cmocka_unit_test_teardown(test_compensation, harness_teardown),
		cmocka_unit_test_teardown(test_report_in_shell, harness_teardown),
		cmocka_unit_test_teardown(test_report_forbidden, harness_teardown),
		cmocka_unit_test_teardown(test_report_usage, harness_teardown),
		cmocka_unit_test_teardown(test_token, harness_teardown),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests_name("e2e_client", tests, NULL, NULL);
}
