/*
 * branchq: the command-line client of branchqd.
 *
 * A standalone program that speaks the terminal protocol (PROTOCOL.md):
 * JSON objects, one per line, over TCP.  One request at a time on a blocking
 * socket; poll() only to honour the reply timeout and, in watch and the
 * shell, to show pushed events as they come.
 *
 * This file: main, running the operation argv asks for, and the small
 * helpers every file uses; client.h says which file holds the rest.
 *
 * Exit status: 0 ok, 1 an error reply, 2 a usage or connection problem.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cJSON.h>

#include "client.h"

/* ---- small helpers ---- */

static void
cl_vwarnx(const char *fmt, va_list ap)
{
	fflush(stdout);
	fputs("branchq: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

void __attribute__((format(printf, 1, 2)))
cl_warnx(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	cl_vwarnx(fmt, ap);
	va_end(ap);
}

/* A connection problem or a reply we cannot read: say what failed. */
int __attribute__((format(printf, 1, 2)))
cl_fail(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	cl_vwarnx(fmt, ap);
	va_end(ap);
	return CL_EXIT_FAILURE;
}

/* The user's mistake: what it was, and where to read more. */
int __attribute__((format(printf, 1, 2)))
usage_error(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	cl_vwarnx(fmt, ap);
	va_end(ap);
	fputs("(branchq --help tells how to use it)\n", stderr);
	return CL_EXIT_FAILURE;
}

void *
xmalloc(size_t size)
{
	void	*p;

	if ((p = malloc(size == 0 ? 1 : size)) == NULL) {
		cl_warnx("out of memory");
		exit(CL_EXIT_FAILURE);
	}
	return p;
}

void *
xrealloc(void *old, size_t size)
{
	void	*p;

	if ((p = realloc(old, size == 0 ? 1 : size)) == NULL) {
		cl_warnx("out of memory");
		exit(CL_EXIT_FAILURE);
	}
	return p;
}

char *
xstrdup(const char *s)
{
	size_t	 len = strlen(s) + 1;

	return memcpy(xmalloc(len), s, len);
}

char * __attribute__((format(printf, 1, 2)))
xprintf(const char *fmt, ...)
{
	va_list	 ap;
	char	*s;
	int	 len;

	va_start(ap, fmt);
	len = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (len < 0)
		len = 0;
	s = xmalloc((size_t)len + 1);
	va_start(ap, fmt);
	vsnprintf(s, (size_t)len + 1, fmt, ap);
	va_end(ap);
	return s;
}

bool
name_in(const char *name, const char *const *list)
{
	for (; list != NULL && *list != NULL; list++) {
		if (strcmp(name, *list) == 0)
			return true;
	}
	return false;
}

bool
has_suffix(const char *s, const char *suffix)
{
	size_t	slen = strlen(s), xlen = strlen(suffix);

	return slen >= xlen && strcmp(s + slen - xlen, suffix) == 0;
}

/* ---- main ---- */

static const char *
env_or(const char *name, const char *fallback)
{
	const char	*v = getenv(name);

	return v != NULL && *v != '\0' ? v : fallback;
}

static void *
cjson_malloc(size_t size)
{
	return xmalloc(size);
}

/* Builds what argv asks for, connects, says hello, and runs it. */
static int
run(struct client *cl, const struct options *opt, int argc, char **argv)
{
	struct report	 rp = { RK_FOLLOWUPS, RF_TABLE, false, false, NULL };
	char		 err[512];
	cJSON		*req = NULL;
	bool		 shell = strcmp(argv[0], "shell") == 0, fatal;
	bool		 report = strcmp(argv[0], "report") == 0;
	int		 rc;

	if (strcmp(argv[0], "help") == 0) {
		printf("%s%s", usage_text, help_text);
		return CL_EXIT_OK;
	}
	/* Made here, never sent: no connection, whatever BRANCHQ_* say. */
	if (strcmp(argv[0], "token") == 0)
		return token_run(argc, argv);
	/* Head office's PostgreSQL, not a daemon (client-hq.c). */
	if (strcmp(argv[0], "hq") == 0)
		return hq_run(argc, argv, cl->cl_json);
	if (shell && argc > 1)
		return usage_error("shell takes no arguments");
	if (strcmp(argv[0], "watch") == 0)
		req = subscribe_build(argc - 1, argv + 1);
	else if (report) {
		if (report_build(argc, argv, cl->cl_json, &rp, err,
		    sizeof err) != 0)
			return usage_error("%s", err);
		req = rp.rp_req;
	} else if (!shell && (req = request_build(argv[0], argc - 1, argv + 1,
	    err, sizeof err)) == NULL)
		return usage_error("%s", err);
	rc = client_connect(cl, opt->opt_connect);
	if (rc == CL_EXIT_OK && opt->opt_terminal != NULL)
		rc = client_hello(cl, opt, shell && isatty(STDIN_FILENO));
	/* Local times are the branch's: --tz, else what the daemon says. */
	if (rc == CL_EXIT_OK && opt->opt_tz == NULL && *cl->cl_timezone != '\0' &&
	    zone_set(cl->cl_timezone) == -1)
		cl_warnx("the branch's time zone %s is not installed here; times are %s",
		    cl->cl_timezone, zone_label());
	if (rc == CL_EXIT_OK) {
		if (shell)
			rc = shell_run(cl);
		else if (strcmp(argv[0], "watch") == 0)
			rc = watch_run(cl, req);
		else if (report)
			rc = report_request(cl, &rp, &fatal);
		else
			rc = client_request(cl, req, &fatal);
	}
	cJSON_Delete(req);
	return rc;
}

int
main(int argc, char **argv)
{
	cJSON_Hooks	 hooks = { cjson_malloc, free };
	struct options	 opt;
	struct client	 cl;
	int		 first = 1, rc;

	cJSON_InitHooks(&hooks);
	memset(&opt, 0, sizeof opt);
	opt.opt_connect = env_or("BRANCHQ_CONNECT", CL_DEFAULT_ADDR);
	opt.opt_terminal = env_or("BRANCHQ_TERMINAL", NULL);
	opt.opt_token = env_or("BRANCHQ_TOKEN", NULL);
	opt.opt_timeout = CL_DEFAULT_TIMEOUT;
	opt.opt_tz = env_or("BRANCHQ_TZ", NULL);
	if ((rc = options_parse(argc, argv, &opt, &first)) != CL_EXIT_OK)
		return rc;
	if (opt.opt_tz != NULL && zone_set(opt.opt_tz) == -1)
		return usage_error("--tz: no time zone \"%s\" here (an IANA name, "
		    "e.g. Asia/Shanghai)", opt.opt_tz);
	if (first >= argc) {
		fputs(usage_text, stderr);
		return CL_EXIT_FAILURE;
	}
	memset(&cl, 0, sizeof cl);
	cl.cl_json = opt.opt_json;
	cl.cl_tls = opt.opt_tls;
	cl.cl_cafile = opt.opt_cafile;
	cl.cl_next_id = 1;
	cl.cl_timeout = opt.opt_timeout;
	if ((rc = timeout_parse(opt.opt_timeout, &cl.cl_timeout_ms)) != 0)
		return rc;
	rc = run(&cl, &opt, argc - first, argv + first);
	client_close(&cl);
	return rc;
}
