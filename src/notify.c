/*
 * What systemd hears from the daemon (Type=notify, sd_notify(3)): READY=1
 * once both listeners accept connections, RELOADING=1 while SIGHUP reads the
 * configuration again, STOPPING=1 when the shutdown starts, and WATCHDOG=1
 * from a timer on the event loop.
 *
 * The watchdog is pinged by the loop itself, not a thread: a loop stuck in
 * a callback stops pinging and systemd kills and restarts the daemon, which
 * is the point.  Without $NOTIFY_SOCKET (not run by systemd, or
 * Type=simple) every call is a no-op.
 */
#include <stdio.h>
#include <stdlib.h>

#include <event2/event.h>
#include <systemd/sd-daemon.h>

#include "branchq.h"

static struct event	*notify_watchdog_ev;

static void
notify_send(const char *state)
{
	int	rc;

	/* 0: no $NOTIFY_SOCKET; a failure is logged and the daemon goes on. */
	if ((rc = sd_notify(0, state)) < 0)
		log_warnx("event=sd_notify state=%s: failed (error %d)", log_str(state), -rc);
}

static void
notify_watchdog_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
	notify_send("WATCHDOG=1");
}

void
notify_init(struct event_base *base)
{
	struct timeval	tv;
	uint64_t	usec;
	int		rc;

	/* $WATCHDOG_USEC is left in the environment: nothing is spawned. */
	if ((rc = sd_watchdog_enabled(0, &usec)) <= 0 || usec == 0) {
		if (rc < 0)
			log_warnx("event=watchdog: $WATCHDOG_USEC is not understood "
			    "(error %d); no watchdog pings", -rc);
		return;
	}
	/* Half the interval, as sd_watchdog_enabled(3) advises. */
	usec /= 2;
	tv.tv_sec = (time_t)(usec / 1000000);
	tv.tv_usec = (suseconds_t)(usec % 1000000);
	notify_watchdog_ev = event_new(base, -1, EV_PERSIST, notify_watchdog_cb, NULL);
	if (notify_watchdog_ev == NULL || event_add(notify_watchdog_ev, &tv) == -1)
		fatalx("watchdog: cannot arm the timer");
	log_info("event=watchdog interval_us=%llu", (unsigned long long)usec * 2);
	notify_send("WATCHDOG=1");
}

void
notify_free(void)
{
	if (notify_watchdog_ev != NULL)
		event_free(notify_watchdog_ev);
	notify_watchdog_ev = NULL;
}

void
notify_ready(void)
{
	notify_send("READY=1");
}

void
notify_reloading(void)
{
	notify_send("RELOADING=1");
}

void
notify_stopping(void)
{
	notify_send("STOPPING=1");
}

void
notify_status(const char *status)
{
	char	buf[512];

	snprintf(buf, sizeof buf, "STATUS=%s", status);
	notify_send(buf);
}
