/*
 * Logging to stderr, one line per event, in the manner of OpenBSD's log.c.
 *
 * Notable events are written as key=value pairs after the level, starting
 * with event=NAME (docs/SECURITY.md lists them), so that a log collector
 * can pick them out: "2026-11-23T01:00:00Z branchqd warn: event=auth_failure
 * peer=10.0.0.7:50312 terminal=T01 failures=3".  Text that came from a client
 * goes through log_str(), so that it cannot forge a line or a key.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "branchq.h"

static enum log_level log_max = LOG_LEVEL_INFO;

void
log_init(enum log_level max)
{
	log_max = max;
}

static void
vlog(enum log_level level, const char *emsg, const char *fmt, va_list ap)
{
	static const char *const names[] = { "error", "warn", "info", "debug" };
	char		 stamp[32];
	struct timespec	 ts;
	struct tm	 tm;

	if (level > log_max)
		return;
	/* The wall clock, not the daemon clock: logs say when it really happened. */
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%SZ", &tm);
	flockfile(stderr);	/* one whole line, whichever thread logs */
	fprintf(stderr, "%s branchqd %s: ", stamp, names[level]);
	vfprintf(stderr, fmt, ap);
	if (emsg != NULL)
		fprintf(stderr, ": %s", emsg);
	fputc('\n', stderr);
	fflush(stderr);
	funlockfile(stderr);
}

#define LOG_STR_BUFS	8	/* log_str() results usable in one call */
#define LOG_STR_MAX	128	/* bytes of a value shown, before "..." */

/*
 * A value for a key=value pair: as it is when it is plain (letters, digits
 * and . _ - : / @ [ ] + ,), else in double quotes with \" \\ and \xNN for
 * control and non-ASCII bytes; cut at LOG_STR_MAX bytes.  NULL is "-".
 * The result lives in one of a few rotating buffers of this thread: use
 * it in the log call at hand, no later.
 */
const char *
log_str(const char *s)
{
	static _Thread_local char	bufs[LOG_STR_BUFS][LOG_STR_MAX * 4 + 8];
	static _Thread_local unsigned	next;
	char				*buf = bufs[next++ % LOG_STR_BUFS], *p = buf;
	const char			*in;
	unsigned char			 c;
	bool				 plain = true;

	if (s == NULL)
		return "-";
	for (in = s; *in != '\0' && plain; in++) {
		c = (unsigned char)*in;
		plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || strchr("._-:/@[]+,", c) != NULL;
	}
	if (plain && *s != '\0' && strlen(s) <= LOG_STR_MAX)
		return s;
	*p++ = '"';
	for (in = s; *in != '\0' && in - s < LOG_STR_MAX; in++) {
		c = (unsigned char)*in;
		if (c == '"' || c == '\\') {
			*p++ = '\\';
			*p++ = (char)c;
		} else if (c < 0x20 || c >= 0x7f)
			p += snprintf(p, 5, "\\x%02x", c);
		else
			*p++ = (char)c;
	}
	if (*in != '\0') {
		memcpy(p, "...", 3);
		p += 3;
	}
	*p++ = '"';
	*p = '\0';
	return buf;
}

void
log_warn(const char *fmt, ...)
{
	const char	*emsg = strerror(errno);
	va_list		 ap;

	va_start(ap, fmt);
	vlog(LOG_LEVEL_WARN, emsg, fmt, ap);
	va_end(ap);
}

void
log_warnx(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	vlog(LOG_LEVEL_WARN, NULL, fmt, ap);
	va_end(ap);
}

void
log_info(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	vlog(LOG_LEVEL_INFO, NULL, fmt, ap);
	va_end(ap);
}

void
log_debug(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	vlog(LOG_LEVEL_DEBUG, NULL, fmt, ap);
	va_end(ap);
}

void
fatal(const char *fmt, ...)
{
	const char	*emsg = strerror(errno);
	va_list		 ap;

	va_start(ap, fmt);
	vlog(LOG_LEVEL_ERROR, emsg, fmt, ap);
	va_end(ap);
	abort();
}

void
fatalx(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	vlog(LOG_LEVEL_ERROR, NULL, fmt, ap);
	va_end(ap);
	abort();
}

/* strdup, or fatal(): the daemon does not go on without memory. */
char *
xstrdup(const char *s)
{
	char	*copy;

	if ((copy = strdup(s)) == NULL)
		fatal("strdup");
	return copy;
}

int
hex_digit(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}
