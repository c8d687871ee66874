/* Logging to stderr, one line per event, in the manner of OpenBSD's log.c. */
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
	fprintf(stderr, "%s branchqd %s: ", stamp, names[level]);
	vfprintf(stderr, fmt, ap);
	if (emsg != NULL)
		fprintf(stderr, ": %s", emsg);
	fputc('\n', stderr);
	fflush(stderr);
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
