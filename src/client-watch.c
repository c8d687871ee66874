/*
 * watch and the shell, the two ways of staying connected, and the events
 * they show as they come, one line each.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cJSON.h>

#include "client.h"

/* ^C in watch: watch_loop() and wait_readable() give up on it. */
volatile sig_atomic_t interrupted;

static const char shell_help_text[] =
"OP [field=value ...]   send a request, e.g. ticket.call_next\n"
"                       or ticket.start number=A001\n"
"watch [TOPIC ...]      subscribe (default: calls queue); events show as they come\n"
"report followups|summary|compensation [--option value ...]\n"
"                       a supervisor's report, as on the command line\n"
"help                   this text\n"
"quit                   leave (so does end of input)\n"
"Quote as in sh: lanes='[\"counter\",\"vip\"]' note=\"customer waited long\"\n";

/* ---- printing events, one line each ---- */

/* "08:15:02", local time, of the event's "at" (else of now). */
static void
event_stamp(FILE *fp, const cJSON *ev)
{
	const cJSON	*at = cJSON_GetObjectItemCaseSensitive(ev, "at");
	time_t		 t = -1;
	struct tm	 tm;
	char		 buf[16];

	if (cJSON_IsString(at))
		t = rfc3339_parse(at->valuestring);
	if (t == -1)
		t = time(NULL);
	localtime_r(&t, &tm);
	strftime(buf, sizeof buf, "%H:%M:%S", &tm);
	fprintf(fp, "%s  ", buf);
}

/* "A012 -> window 3", "(recall)" on a recall. */
static void
event_called(FILE *fp, const cJSON *ev)
{
	put_text(fp, cJSON_GetObjectItemCaseSensitive(ev, "number"));
	fputs(" -> window ", fp);
	put_text(fp, cJSON_GetObjectItemCaseSensitive(ev, "window"));
	if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(ev, "recall")))
		fputs("  (recall)", fp);
}

static void
event_lane(FILE *fp, const char *name, const cJSON *lane)
{
	const cJSON	*oldest;
	char		*s;

	s = escape(name);
	fprintf(fp, "  %s ", s);
	free(s);
	if (!cJSON_IsObject(lane)) {
		put_text(fp, lane);
		return;
	}
	put_text(fp, cJSON_GetObjectItemCaseSensitive(lane, "waiting"));
	oldest = cJSON_GetObjectItemCaseSensitive(lane, "oldest_wait_s");
	if (cJSON_IsNumber(oldest)) {
		s = duration_text(oldest);
		fprintf(fp, " (oldest %s)", s);
		free(s);
	}
}

/* "queue  self_service 0  express 0  counter 3 (oldest 4m10s)  vip 0" */
static void
event_queue(FILE *fp, const cJSON *ev)
{
	const cJSON	*lanes = cJSON_GetObjectItemCaseSensitive(ev, "lanes");
	const cJSON	*lane;
	int		 i;

	fputs("queue", fp);
	for (i = 0; lane_names[i] != NULL; i++) {
		lane = cJSON_GetObjectItemCaseSensitive(lanes, lane_names[i]);
		if (lane != NULL)
			event_lane(fp, lane_names[i], lane);
	}
	cJSON_ArrayForEach(lane, lanes) {
		if (lane->string != NULL && !name_in(lane->string, lane_names))
			event_lane(fp, lane->string, lane);
	}
}

/* Any other event: its name, then its fields as name=value. */
static void
event_generic(FILE *fp, const cJSON *ev)
{
	const cJSON	*m;
	char		*name, *value;

	put_text(fp, cJSON_GetObjectItemCaseSensitive(ev, "event"));
	cJSON_ArrayForEach(m, ev) {
		if (m->string == NULL || strcmp(m->string, "event") == 0 ||
		    strcmp(m->string, "at") == 0)
			continue;
		name = escape(m->string);
		value = text_of(m);
		fprintf(fp, "  %s=%s", name, value);
		free(name);
		free(value);
	}
}

static const struct event_format {
	const char	*ef_name;
	void		(*ef_print)(FILE *, const cJSON *);
} event_formats[] = {
	{ "ticket.called", event_called },
	{ "queue.changed", event_queue },
};

static void
event_print(FILE *fp, const cJSON *ev)
{
	const cJSON	*name = cJSON_GetObjectItemCaseSensitive(ev, "event");
	size_t		 i;

	event_stamp(fp, ev);
	for (i = 0; i < sizeof event_formats / sizeof event_formats[0]; i++) {
		if (cJSON_IsString(name) &&
		    strcmp(name->valuestring, event_formats[i].ef_name) == 0) {
			event_formats[i].ef_print(fp, ev);
			fputc('\n', fp);
			return;
		}
	}
	event_generic(fp, ev);
	fputc('\n', fp);
}

/* An event, raw or readable, in and around the shell's prompt. */
void
event_show(struct client *cl, const char *raw, const cJSON *ev)
{
	if (cl->cl_prompt_shown && cl->cl_prompt_erase)
		fputs("\r\033[K", stdout);
	else if (cl->cl_prompt_shown)
		fputc('\n', stdout);
	if (cl->cl_json)
		printf("%s\n", raw);
	else
		event_print(stdout, ev);
	if (cl->cl_prompt_shown)
		fputs(CL_PROMPT, stdout);
	fflush(stdout);
}

bool
is_event(const cJSON *json)
{
	return cJSON_IsObject(json) &&
	    cJSON_GetObjectItemCaseSensitive(json, "event") != NULL &&
	    cJSON_GetObjectItemCaseSensitive(json, "ok") == NULL;
}

/* ---- watch ---- */

static void
on_sigint(int sig)
{
	(void)sig;
	interrupted = 1;
}

static void
sigint_catch(void)
{
	struct sigaction	sa;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_sigint;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = 0;	/* no SA_RESTART: poll() must return */
	sigaction(SIGINT, &sa, NULL);
}

/* Prints events until the daemon closes the connection or ^C. */
static int
watch_loop(struct client *cl)
{
	cJSON	*json = NULL;
	char	*line;

	for (;;) {
		switch (lb_take(&cl->cl_sock, &line)) {
		case LB_TOO_LONG:
			return cl_fail("%s sent a line longer than 1 MiB",
			    cl->cl_addr);
		case LB_LINE:
			/* Not an event: only --json shows it, as it is. */
			if (client_sort_line(cl, line, &json) && cl->cl_json)
				printf("%s\n", line);
			cJSON_Delete(json);
			json = NULL;
			fflush(stdout);
			continue;
		case LB_NONE:
			break;
		}
		if (cl->cl_sock.lb_eof || interrupted)
			return CL_EXIT_OK;
		if (wait_readable(&cl->cl_sock, -1) == -1 ||
		    lb_fill(&cl->cl_sock) == -1) {
			if (interrupted)
				return CL_EXIT_OK;
			return cl_fail("cannot read from %s: %s", cl->cl_addr,
			    strerror(errno));
		}
	}
}

int
watch_run(struct client *cl, cJSON *req)
{
	cJSON	*reply;
	char	*raw;
	int	 rc;

	if ((rc = client_roundtrip(cl, req, &raw, &reply)) != CL_EXIT_OK)
		return rc;
	if (!cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(reply, "ok"))) {
		rc = reply_print(cl, raw, reply);
		cJSON_Delete(reply);
		return rc;
	}
	cJSON_Delete(reply);
	if (isatty(STDERR_FILENO))
		fprintf(stderr, "watching %s (^C to stop)\n", cl->cl_addr);
	sigint_catch();
	cl->cl_show_events = true;
	return watch_loop(cl);
}

/* ---- shell ---- */

/* Copies a quoted run from *rp to *wp; -1 if it never closes. */
static int
unquote(char **rp, char **wp)
{
	char	*r = *rp, *w = *wp, quote = *r++;

	for (; *r != quote; r++) {
		if (*r == '\0')
			return -1;
		if (quote == '"' && *r == '\\' && (r[1] == '"' || r[1] == '\\'))
			r++;
		*w++ = *r;
	}
	*rp = r + 1;
	*wp = w;
	return 0;
}

/* Splits a line in place into words, with sh's quotes and backslash. */
static int
words_split(char *line, char **argv, int *argcp)
{
	char	*r = line, *w = line;
	bool	 end;
	int	 argc = 0;

	for (;;) {
		r += strspn(r, " \t");
		if (*r == '\0')
			break;
		argv[argc++] = w;
		while (*r != '\0' && *r != ' ' && *r != '\t') {
			if (*r == '\'' || *r == '"') {
				if (unquote(&r, &w) != 0)
					return -1;
			} else {
				if (*r == '\\' && r[1] != '\0')
					r++;
				*w++ = *r++;
			}
		}
		end = *r == '\0';
		if (!end)
			r++;
		*w++ = '\0';	/* w never passes r: this byte is used up */
		if (end)
			break;
	}
	*argcp = argc;
	return 0;
}

/* The request a shell line asks for; NULL after saying what was wrong. */
static cJSON *
shell_request(int argc, char **argv)
{
	char	 err[512];
	cJSON	*req;

	if (strcmp(argv[0], "watch") == 0)
		return subscribe_build(argc - 1, argv + 1);
	if ((req = request_build(argv[0], argc - 1, argv + 1, err,
	    sizeof err)) == NULL)
		cl_warnx("%s", err);
	return req;
}

/* "report ..." in the shell: 0, 1, or 2 (*fatal: connection lost). */
static int
shell_report(struct client *cl, int argc, char **argv, bool *fatal)
{
	struct report	 rp;
	char		 err[512];
	int		 rc;

	*fatal = false;
	if (report_build(argc, argv, cl->cl_json, &rp, err, sizeof err) != 0) {
		cl_warnx("%s", err);
		return CL_EXIT_FAILURE;
	}
	rc = report_request(cl, &rp, fatal);
	cJSON_Delete(rp.rp_req);
	return rc;
}

enum shell_step { SHELL_NEXT, SHELL_QUIT, SHELL_LOST };

/* One line of input: a request, help, or quit. */
static enum shell_step
shell_line(struct client *cl, char *line, int *status)
{
	char	**argv;
	int	  argc;
	bool	  fatal;
	cJSON	 *req;

	line += strspn(line, " \t");
	if (*line == '\0' || *line == '#')
		return SHELL_NEXT;
	argv = xmalloc((strlen(line) / 2 + 2) * sizeof *argv);
	if (words_split(line, argv, &argc) != 0) {
		cl_warnx("unmatched quote");
		*status = CL_EXIT_FAILURE;
	} else if (strcmp(argv[0], "quit") == 0 || strcmp(argv[0], "exit") == 0) {
		free(argv);
		return SHELL_QUIT;
	} else if (strcmp(argv[0], "help") == 0 || strcmp(argv[0], "?") == 0) {
		fputs(shell_help_text, stdout);
		*status = CL_EXIT_OK;
	} else if (strcmp(argv[0], "report") == 0) {
		*status = shell_report(cl, argc, argv, &fatal);
		if (fatal) {
			free(argv);
			return SHELL_LOST;
		}
	} else if ((req = shell_request(argc, argv)) == NULL)
		*status = CL_EXIT_FAILURE;
	else {
		*status = client_request(cl, req, &fatal);
		cJSON_Delete(req);
		if (fatal) {
			free(argv);
			return SHELL_LOST;
		}
	}
	free(argv);
	return SHELL_NEXT;
}

/* Shows the events already read; false if the daemon sent garbage. */
static bool
shell_drain(struct client *cl)
{
	cJSON	*json = NULL;
	char	*line;
	enum lb_result r;

	while ((r = lb_take(&cl->cl_sock, &line)) == LB_LINE) {
		if (client_sort_line(cl, line, &json) && cl->cl_json)
			printf("%s\n", line);
		cJSON_Delete(json);
		json = NULL;
	}
	fflush(stdout);
	if (r == LB_TOO_LONG)
		cl_warnx("%s sent a line longer than 1 MiB", cl->cl_addr);
	return r != LB_TOO_LONG;
}

/* Waits for input or the daemon; false when the connection is gone. */
static bool
shell_wait(struct client *cl, struct linebuf *in)
{
	struct pollfd	pfd[2] = {
		{ .fd = cl->cl_sock.lb_fd, .events = POLLIN },
		{ .fd = in->lb_fd, .events = POLLIN },
	};

	/* What TLS holds already is not waited for. */
	if (lb_buffered(&cl->cl_sock))
		pfd[0].revents = POLLIN;
	else if (poll(pfd, 2, -1) == -1)
		return errno == EINTR;
	if (pfd[0].revents != 0) {
		if (lb_fill(&cl->cl_sock) == -1 || cl->cl_sock.lb_eof) {
			cl_warnx("%s closed the connection", cl->cl_addr);
			return false;
		}
	}
	if (pfd[1].revents != 0 && lb_fill(in) == -1)
		in->lb_eof = true;
	return true;
}

int
shell_run(struct client *cl)
{
	struct linebuf	 in;
	bool		 tty = isatty(STDIN_FILENO);
	enum shell_step	 step = SHELL_NEXT;
	int		 status = CL_EXIT_OK;
	char		*line;

	lb_init(&in, STDIN_FILENO);
	cl->cl_show_events = true;
	cl->cl_prompt_erase = isatty(STDOUT_FILENO);
	while (step == SHELL_NEXT) {
		if (!shell_drain(cl)) {
			step = SHELL_LOST;
			break;
		}
		switch (lb_take(&in, &line)) {
		case LB_LINE:
			cl->cl_prompt_shown = false;
			step = shell_line(cl, line, &status);
			continue;
		case LB_TOO_LONG:
			cl_warnx("input line longer than 1 MiB");
			step = SHELL_LOST;
			continue;
		case LB_NONE:
			break;
		}
		if (in.lb_eof)
			break;
		if (tty && !cl->cl_prompt_shown) {
			fputs(CL_PROMPT, stdout);
			fflush(stdout);
			cl->cl_prompt_shown = true;
		}
		if (!shell_wait(cl, &in))
			step = SHELL_LOST;
	}
	if (tty && cl->cl_prompt_shown)
		fputc('\n', stdout);
	lb_free(&in);
	return step == SHELL_LOST ? CL_EXIT_FAILURE : status;
}
