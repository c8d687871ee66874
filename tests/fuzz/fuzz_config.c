/*
 * Fuzz target for the configuration reader (issue 18 item 4): the JSON
 * parser's callers in config.c, every check of every key, the report of
 * every problem and the position finder that gives each its line.
 *
 * One input is one configuration file's text (up to its first NUL, as
 * config_load_file() refuses a NUL and hands the rest to cJSON), read by
 * config_load_text_report() as "fuzz.json".  What is checked (a failure
 * aborts: a crash to libFuzzer), beyond ASan, UBSan and LeakSanitizer:
 *   - each problem is one line "fuzz.json:LINE: message", LINE from 1 to
 *     the number of lines of the text, the message non-empty and free of
 *     control characters;
 *   - the count returned is the number of problems reported (the first 100,
 *     then one line for the rest), and config_load_text() fails exactly
 *     when it is not 0, with the first of them;
 *   - on a problem the struct config is left zeroed; a configuration taken
 *     holds what the file contract promises: at least one terminal, each
 *     with a valid id (no two alike), a known role, staff exactly for the
 *     staff roles, no demo token's hash, a printer only on a kiosk; a duty
 *     supervisor that is a supervisor's staff id; numbers in their ranges;
 *   - config_line_at() on the raw text along a path taken from the input's
 *     first bytes gives a line from 1 to the number of lines, whatever the
 *     text (it need not be JSON).
 *
 * The time zone key is only checked against the zoneinfo files: the
 * process's zone does not change with the input.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "branchq.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define NAME	"fuzz.json"

struct seen {
	const char	*s_text;
	int		 s_lines;	/* lines of the text */
	int		 s_count;	/* problems reported */
	char		 s_first[1024];
};

static _Noreturn void __attribute__((format(printf, 1, 2)))
fz_fail(const char *fmt, ...)
{
	va_list	ap;

	fputs("fuzz_config: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	abort();
}

static int
count_lines(const char *text)
{
	int	n = 1;

	for (; *text != '\0'; text++)
		if (*text == '\n')
			n++;
	return n;
}

static void
check_problem(void *arg, const char *msg)
{
	struct seen	*sn = arg;
	const char	*p = msg + strlen(NAME ":");
	char		*end;
	long		 line;

	if (strncmp(msg, NAME ":", strlen(NAME ":")) != 0)
		fz_fail("a problem without the file's name: %s", msg);
	line = strtol(p, &end, 10);
	if (end == p || *end != ':' || end[1] != ' ' || end[2] == '\0')
		fz_fail("not \"FILE:LINE: message\": %s", msg);
	if (line < 1 || line > sn->s_lines)
		fz_fail("line %ld of a text of %d lines: %s", line, sn->s_lines, msg);
	for (p = msg; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			fz_fail("a control character in: %s", msg);
	if (sn->s_count++ == 0)
		snprintf(sn->s_first, sizeof sn->s_first, "%s", msg);
}

static bool
zeroed(const struct config *cf)
{
	static const struct config	zero;

	return memcmp(cf, &zero, sizeof zero) == 0;
}

static bool
id_ok(const char *s)
{
	size_t	n = strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	    "0123456789_-");

	return n > 0 && n <= BQ_ID_LEN && s[n] == '\0';
}

/* What a configuration that was taken must hold. */
static void
check_taken(const struct config *cf)
{
	const struct terminal_conf	*tc;
	const struct demo_terminal	*dt;
	unsigned char			 h[32];
	size_t				 i, j;
	bool				 staff_role, duty = false;

	if (cf->cf_nterminals == 0 || cf->cf_demo)
		fz_fail("taken with %zu terminals, demo %d", cf->cf_nterminals,
		    cf->cf_demo);
	for (i = 0; i < cf->cf_nterminals; i++) {
		tc = &cf->cf_terminals[i];
		if (!id_ok(tc->tc_id))
			fz_fail("terminal %zu: id \"%s\"", i, tc->tc_id);
		for (j = 0; j < i; j++)
			if (strcmp(cf->cf_terminals[j].tc_id, tc->tc_id) == 0)
				fz_fail("two terminals %s", tc->tc_id);
		if (tc->tc_role <= ROLE_NONE || tc->tc_role >= ROLE__COUNT)
			fz_fail("terminal %s: role %d", tc->tc_id, (int)tc->tc_role);
		staff_role = tc->tc_role != ROLE_KIOSK && tc->tc_role != ROLE_DISPLAY;
		if (staff_role != (*tc->tc_staff != '\0') ||
		    (staff_role && !id_ok(tc->tc_staff)))
			fz_fail("terminal %s (%s): staff \"%s\"", tc->tc_id,
			    role_name(tc->tc_role), tc->tc_staff);
		if (*tc->tc_printer != '\0' && tc->tc_role != ROLE_KIOSK)
			fz_fail("terminal %s: a printer on a %s", tc->tc_id,
			    role_name(tc->tc_role));
		for (dt = demo_terminals; dt->dt_id != NULL; dt++) {
			sha256(dt->dt_token, strlen(dt->dt_token), h);
			if (memcmp(h, tc->tc_token_sha256, sizeof h) == 0)
				fz_fail("terminal %s: the demo token %s", tc->tc_id,
				    dt->dt_token);
		}
		if (cf->cf_duty_supervisor != NULL && tc->tc_role == ROLE_SUPERVISOR &&
		    strcmp(tc->tc_staff, cf->cf_duty_supervisor) == 0)
			duty = true;
	}
	if (cf->cf_duty_supervisor != NULL && !duty)
		fz_fail("duty supervisor %s is no supervisor's", cf->cf_duty_supervisor);
	if (cf->cf_branch == NULL || *cf->cf_branch == '\0' || cf->cf_timezone == NULL)
		fz_fail("no branch or time zone");
	if (cf->cf_max_recalls < 0 || cf->cf_max_recalls > 10 ||
	    cf->cf_auth_lockout_max_s < cf->cf_auth_lockout_s ||
	    cf->cf_cash_threshold_fen < 0 || cf->cf_backup_minute < 0 ||
	    cf->cf_backup_minute >= 24 * 60)
		fz_fail("a number out of its range");
	for (i = 0; i < cf->cf_nwebhooks; i++)
		if (cf->cf_webhooks[i].wh_url == NULL ||
		    cf->cf_webhooks[i].wh_secret == NULL ||
		    cf->cf_webhooks[i].wh_nevents == 0)
			fz_fail("webhook %zu half built", i);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct seen	 sn;
	struct config	 cf;
	char		*text, err[1024];
	int		 n, rc, path[4], line;
	size_t		 i;

	if ((text = malloc(size + 1)) == NULL)
		fz_fail("malloc");
	memcpy(text, data, size);
	text[size] = '\0';
	memset(&sn, 0, sizeof sn);
	sn.s_text = text;
	sn.s_lines = count_lines(text);

	memset(&cf, 0xa5, sizeof cf);	/* garbage in: the loader must not trust it */
	n = config_load_text_report(&cf, NAME, text, check_problem, &sn);
	if (n < 0 || (n <= 100 && n != sn.s_count) || (n > 100 && sn.s_count != 101))
		fz_fail("returned %d, reported %d", n, sn.s_count);
	if (n == 0)
		check_taken(&cf);
	else if (!zeroed(&cf))
		fz_fail("a refused configuration not left zeroed");
	config_free(&cf);
	if (!zeroed(&cf))
		fz_fail("config_free left something");

	/* The first-problem form agrees. */
	err[0] = '\0';
	rc = config_load_text(&cf, NAME, text, err, sizeof err);
	if ((rc == 0) != (n == 0) || (n > 0 && strcmp(err, sn.s_first) != 0))
		fz_fail("config_load_text %d \"%s\", the report %d \"%s\"", rc, err, n,
		    sn.s_first);
	config_free(&cf);

	/* The finder on any text along any short path. */
	for (i = 0; i < 4; i++)
		path[i] = i < size ? data[i] % 8 : 0;
	for (i = 0; i <= 4; i++) {
		line = config_line_at(text, path, i);
		if (line < 1 || line > sn.s_lines)
			fz_fail("config_line_at: line %d of %d", line, sn.s_lines);
	}
	free(text);
	return 0;
}
