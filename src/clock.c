/*
 * The daemon clock.  Everything that asks "what time is it" or "wake me at"
 * goes through here, so that --test-clock can move the whole daemon forward
 * and every deadline on the way fires as it would have.
 */
#include <sys/stat.h>

#include <ctype.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>

#include "branchq.h"

static struct event_base *clock_base;
static bool		  clock_test;
static int64_t		  clock_test_now;
static struct deadline	 *clock_armed;	/* every armed deadline, unordered */

static void	deadline_real_cb(evutil_socket_t, short, void *);

void
clock_init(struct event_base *base, bool test, int64_t test_start_at)
{
	clock_base = base;
	clock_test = test;
	clock_test_now = test_start_at;
	clock_armed = NULL;
}

void
clock_shutdown(void)
{
	while (clock_armed != NULL)
		deadline_disarm(clock_armed);
}

bool
clock_is_test(void)
{
	return clock_test;
}

int64_t
clock_now(void)
{
	struct timespec	ts;

	if (clock_test)
		return clock_test_now;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec;
}

void
deadline_init(struct deadline *dl, const char *name, void (*fire)(void *), void *arg)
{
	memset(dl, 0, sizeof *dl);
	dl->dl_name = name;
	dl->dl_fire = fire;
	dl->dl_arg = arg;
}

void
deadline_disarm(struct deadline *dl)
{
	struct deadline	**p;

	for (p = &clock_armed; *p != NULL; p = &(*p)->dl_next) {
		if (*p == dl) {
			*p = dl->dl_next;
			break;
		}
	}
	if (dl->dl_ev != NULL) {
		event_free(dl->dl_ev);
		dl->dl_ev = NULL;
	}
	dl->dl_next = NULL;
	dl->dl_at = 0;
}

static void
deadline_schedule_real(struct deadline *dl)
{
	struct timeval	tv;
	int64_t		wait = dl->dl_at - clock_now();

	if (dl->dl_ev == NULL) {
		dl->dl_ev = evtimer_new(clock_base, deadline_real_cb, dl);
		if (dl->dl_ev == NULL)
			fatalx("evtimer_new failed for %s", dl->dl_name);
	}
	tv.tv_sec = wait > 0 ? (time_t)wait : 0;
	tv.tv_usec = 0;
	evtimer_add(dl->dl_ev, &tv);
}

void
deadline_arm(struct deadline *dl, int64_t at)
{
	deadline_disarm(dl);
	dl->dl_at = at;
	dl->dl_next = clock_armed;
	clock_armed = dl;
	if (!clock_test && clock_base != NULL)
		deadline_schedule_real(dl);
}

static void
deadline_fire(struct deadline *dl)
{
	deadline_disarm(dl);
	log_debug("deadline %s fires", dl->dl_name);
	dl->dl_fire(dl->dl_arg);
}

static void
deadline_real_cb(evutil_socket_t fd, short what, void *arg)
{
	struct deadline	*dl = arg;

	(void)fd;
	(void)what;
	/* A timer is monotonic, the deadline is wall time: wait out any skew. */
	if (clock_now() < dl->dl_at) {
		deadline_schedule_real(dl);
		return;
	}
	deadline_fire(dl);
}

#ifdef BQ_TEST_HOOKS
/* The test clock moves only here (branchqd-test, clock.advance). */
void
clock_advance(int64_t seconds)
{
	int64_t		 target = clock_test_now + seconds;
	struct deadline	*dl, *next;

	/* Fire what falls due in order; a firing may arm new deadlines. */
	for (;;) {
		next = NULL;
		for (dl = clock_armed; dl != NULL; dl = dl->dl_next)
			if (dl->dl_at <= target && (next == NULL || dl->dl_at < next->dl_at))
				next = dl;
		if (next == NULL)
			break;
		if (next->dl_at > clock_test_now)
			clock_test_now = next->dl_at;
		deadline_fire(next);
	}
	clock_test_now = target;
}
#endif

/* ---- time formats and the branch timezone ---- */

/* Changes with the zone: business_date() remembers nothing across it. */
static _Atomic unsigned	zone_generation;

bool
time_zone_exists(const char *tz)
{
	char		 path[512];
	const char	*dir = getenv("TZDIR");
	struct stat	 st;

	if (tz == NULL || *tz == '\0' || strstr(tz, "..") != NULL || tz[0] == '/')
		return false;
	if (strcmp(tz, "UTC") == 0)
		return true;
	snprintf(path, sizeof path, "%s/%s", dir ? dir : "/usr/share/zoneinfo", tz);
	return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/*
 * The process's zone: once, at start-up, before any thread.  setenv() is
 * not safe while another thread (the report worker) reads the
 * environment, so nothing calls this once the daemon runs.
 */
int
time_set_zone(const char *tz)
{
	if (!time_zone_exists(tz))
		return -1;
	setenv("TZ", tz, 1);
	tzset();
	zone_generation++;
	return 0;
}

void
time_format(int64_t at, char out[BQ_TIME_LEN])
{
	/* Most calls in a busy second ask for that second: remembered, per
	 * thread (the report worker formats times too). */
	static _Thread_local int64_t	last_at = INT64_MIN;
	static _Thread_local char	last[BQ_TIME_LEN];
	time_t				t = (time_t)at;
	struct tm			tm;

	if (at != last_at) {
		gmtime_r(&t, &tm);
		/* RFC 3339 years have four digits.  Past 9999 (only the test
		 * clock gets there) strftime() fails and leaves its output
		 * unterminated: show the last second a time can name instead. */
		if (strftime(last, BQ_TIME_LEN, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
			snprintf(last, BQ_TIME_LEN, "9999-12-31T23:59:59Z");
		last_at = at;
	}
	memcpy(out, last, BQ_TIME_LEN);
}

static int
digits(const char *s, int n, int *out)
{
	int	i, v = 0;

	for (i = 0; i < n; i++) {
		if (!isdigit((unsigned char)s[i]))
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return 0;
}

static bool
leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

int
date_parse(const char *s, int *y, int *m, int *d)
{
	static const int mdays[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };

	if (strlen(s) != 10 || s[4] != '-' || s[7] != '-' ||
	    digits(s, 4, y) || digits(s + 5, 2, m) || digits(s + 8, 2, d))
		return -1;
	if (*y < 1970 || *m < 1 || *m > 12 || *d < 1)
		return -1;
	if (*d > mdays[*m - 1] + (*m == 2 && leap(*y)))
		return -1;
	return 0;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's). */
static int64_t
days_from_civil(int64_t y, int m, int d)
{
	int64_t	era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

int64_t
date_ordinal(const char *date)
{
	int	y, m, d;

	if (date_parse(date, &y, &m, &d) == -1)
		return -1;
	return days_from_civil(y, m, d);
}

/* The local date of at as days since 1970-01-01. */
static int64_t
local_ordinal(int64_t at)
{
	time_t		t = (time_t)at;
	struct tm	tm;

	localtime_r(&t, &tm);
	return days_from_civil((int64_t)tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
}

/*
 * The first second whose local date is the day: its midnight, or the
 * first moment of the day where a zone skips midnight.  Found by bisection
 * over the local date, so no mktime() guess about a missing or repeated
 * hour is involved.  Offsets run from -12 to +14 hours: the local day
 * starts after 10:00 UTC the day before and by 12:00 UTC on the date.
 */
int64_t
day_start_at(int64_t day)
{
	int64_t	lo = day * 86400 - 15 * 3600;	/* its local date is before the day */
	int64_t	hi = day * 86400 + 12 * 3600;	/* its local date is the day or after */
	int64_t	mid;

	while (hi - lo > 1) {
		mid = lo + (hi - lo) / 2;
		if (local_ordinal(mid) >= day)
			hi = mid;
		else
			lo = mid;
	}
	return hi;
}

int64_t
date_start_at(const char *date)
{
	int64_t	day = date_ordinal(date);

	return day == -1 ? -1 : day_start_at(day);
}

int
time_parse(const char *s, int64_t *at)
{
	int	y, mo, d, h, mi, se;
	char	date[BQ_DATE_LEN];

	if (strlen(s) != 20 || s[10] != 'T' || s[13] != ':' || s[16] != ':' || s[19] != 'Z')
		return -1;
	memcpy(date, s, 10);
	date[10] = '\0';
	if (date_parse(date, &y, &mo, &d) || digits(s + 11, 2, &h) ||
	    digits(s + 14, 2, &mi) || digits(s + 17, 2, &se) ||
	    h > 23 || mi > 59 || se > 59)
		return -1;
	*at = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + se;
	return 0;
}

void
business_date(int64_t at, char out[BQ_DATE_LEN])
{
	/* As in time_format(): the last second asked, remembered per thread. */
	static _Thread_local int64_t	last_at = INT64_MIN;
	static _Thread_local unsigned	last_zone;
	static _Thread_local char	last[BQ_DATE_LEN];
	time_t				t = (time_t)at;
	struct tm			tm;
	unsigned			zone = zone_generation;

	if (at != last_at || zone != last_zone) {
		localtime_r(&t, &tm);
		/* Past 9999, as in time_format(). */
		if (strftime(last, BQ_DATE_LEN, "%Y-%m-%d", &tm) == 0)
			snprintf(last, BQ_DATE_LEN, "9999-12-31");
		last_at = at;
		last_zone = zone;
	}
	memcpy(out, last, BQ_DATE_LEN);
}

/* The branch's wall clock, to the minute: what a printed ticket shows.
 * localtime_r() reads the zone once (time_set_zone), not per call. */
void
time_format_local(int64_t at, char out[BQ_LOCAL_TIME_LEN])
{
	time_t		t = (time_t)at;
	struct tm	tm;

	localtime_r(&t, &tm);
	if (strftime(out, BQ_LOCAL_TIME_LEN, "%Y-%m-%d %H:%M", &tm) == 0)
		snprintf(out, BQ_LOCAL_TIME_LEN, "9999-12-31 23:59");
}

int64_t
business_day_end(int64_t at)
{
	time_t		t = (time_t)at;
	struct tm	tm;
	time_t		end;

	localtime_r(&t, &tm);
	tm.tm_mday += 1;
	tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
	tm.tm_isdst = -1;
	end = mktime(&tm);
	return end > t ? (int64_t)end : at + 86400;
}
