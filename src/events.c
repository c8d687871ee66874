/*
 * Pushed events.  The domain calls the hooks after a commit; this file turns
 * them into event lines and hands them to the publisher (publish.c), which
 * knows the subscribers but not their transport.  Queue changes are coalesced:
 * a burst of tickets becomes one queue.changed, at most one every
 * EVENTS_QUEUE_INTERVAL_MS (PROTOCOL: at most 5 per second).
 */
#include <stdlib.h>
#include <time.h>

#include <cJSON.h>
#include <event2/event.h>

#include "branchq.h"

static struct branch	*ev_branch;
static struct event	*ev_queue_timer;
static int64_t		 ev_queue_last_ms;	/* monotonic, of the last queue.changed */

static int64_t
monotonic_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The lanes now: queue.changed, and what a subscriber to the queue gets first. */
static char *
events_queue_line(void *arg)
{
	struct branch	*b = arg;
	cJSON		*o = cJSON_CreateObject();

	cJSON_AddStringToObject(o, "event", "queue.changed");
	cJSON_AddItemToObject(o, "at", json_time(clock_now()));
	cJSON_AddItemToObject(o, "lanes", json_lanes(&b->b_queue, clock_now()));
	return json_print_free(o);
}

/* The event as one line to the topic's subscribers; frees o. */
static void
publish_object(enum topic topic, cJSON *o, const struct audience *au)
{
	char	*line = json_print_free(o);

	publish_to(topic, line, au);
	free(line);
}

static void
events_queue_send(evutil_socket_t fd, short what, void *arg)
{
	char	*line;

	(void)fd;
	(void)what;
	(void)arg;
	ev_queue_last_ms = monotonic_ms();
	line = events_queue_line(ev_branch);
	publish(TOPIC_QUEUE, line);
	free(line);
}

static void
events_queue_changed(void)
{
	struct timeval	tv;
	int64_t		wait;

	/* A state, not a happening: nobody listening, nothing to number or
	 * keep (a subscriber gets the lanes as they are when it subscribes). */
	if (ev_queue_timer == NULL || !publish_wanted(TOPIC_QUEUE) ||
	    evtimer_pending(ev_queue_timer, NULL))
		return;		/* nobody listens, or a send is already due */
	wait = ev_queue_last_ms + EVENTS_QUEUE_INTERVAL_MS - monotonic_ms();
	if (wait < 0)
		wait = 0;
	tv.tv_sec = (time_t)(wait / 1000);
	tv.tv_usec = (suseconds_t)((wait % 1000) * 1000);
	evtimer_add(ev_queue_timer, &tv);
}

static void
events_ticket_called(const struct ticket *t, int window, int64_t at, bool recall)
{
	cJSON	*o;

	/* Published (so numbered and kept) whoever listens now: a display
	 * that comes back with `since` must not miss a call. */
	o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "event", "ticket.called");
	cJSON_AddStringToObject(o, "number", t->t_number);
	cJSON_AddNumberToObject(o, "window", window);
	cJSON_AddStringToObject(o, "lane", lane_name(t->t_lane));
	cJSON_AddBoolToObject(o, "recall", recall);
	cJSON_AddItemToObject(o, "at", json_time(at));
	publish_object(TOPIC_CALLS, o, NULL);
}

/*
 * PROTOCOL: complaint.logged, followup.overdue, followup.recorded.  PROTOCOL
 * 1.1: supervisors hear every complaint's; other staff only those of the
 * complaints they own or first responded to (docs/SECURITY.md).
 */
static void
events_complaint(const char *event, const struct complaint *c, const char *outcome)
{
	struct audience	 au = { R_SUPERVISOR, { c->c_owner, c->c_first_responder } };
	cJSON		*o;

	o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "event", event);
	cJSON_AddNumberToObject(o, "id", (double)c->c_id);
	cJSON_AddStringToObject(o, "owner", c->c_owner);
	cJSON_AddItemToObject(o, "due", json_time(c->c_follow_up_due));
	cJSON_AddNumberToObject(o, "severity", c->c_severity);
	cJSON_AddStringToObject(o, "category", complaint_categories[c->c_category]);
	cJSON_AddStringToObject(o, "state", complaint_state_name(c->c_state));
	if (outcome != NULL)
		cJSON_AddStringToObject(o, "outcome", outcome);
	cJSON_AddItemToObject(o, "at", json_time(clock_now()));
	publish_object(TOPIC_FOLLOWUPS, o, &au);
}

/* PROTOCOL 1.1: the business day ended; its open tickets are closed.
 * Published whoever listens now, so that a display coming back with
 * `since` learns of it. */
static void
events_day_ended(const char *date)
{
	cJSON	*o;

	o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "event", "day.ended");
	cJSON_AddStringToObject(o, "business_date", date);
	cJSON_AddItemToObject(o, "at", json_time(clock_now()));
	publish_object(TOPIC_QUEUE, o, NULL);
}

/* A webhook's body: the event, the branch, the time and the object. */
static char *
events_webhook_body(const char *event, const struct complaint *c, const char *ticket,
    int score, const char *reason)
{
	cJSON	*o = cJSON_CreateObject(), *s;

	cJSON_AddStringToObject(o, "event", event);
	cJSON_AddStringToObject(o, "branch", ev_branch->b_cfg->cf_branch);
	cJSON_AddItemToObject(o, "at", json_time(clock_now()));
	if (ticket != NULL) {
		s = cJSON_AddObjectToObject(o, "survey");
		cJSON_AddStringToObject(s, "ticket", ticket);
		cJSON_AddNumberToObject(s, "score", score);
		if (reason != NULL)
			cJSON_AddStringToObject(s, "reason", reason);
		else
			cJSON_AddNullToObject(s, "reason");
	}
	cJSON_AddItemToObject(o, "complaint", json_complaint(c, false));
	return json_print_free(o);
}

struct branch_hooks
events_hooks(void)
{
	struct branch_hooks	h;

	h.bh_ticket_called = events_ticket_called;
	h.bh_queue_changed = events_queue_changed;
	h.bh_day_ended = events_day_ended;
	h.bh_complaint = events_complaint;
	h.bh_webhook_body = events_webhook_body;
	return h;
}

void
events_init(struct event_base *base, struct branch *b)
{
	ev_branch = b;
	if ((ev_queue_timer = evtimer_new(base, events_queue_send, NULL)) == NULL)
		fatalx("evtimer_new failed");
	publish_set_state(TOPIC_QUEUE, events_queue_line, b);
}

void
events_free(void)
{
	if (ev_queue_timer != NULL)
		event_free(ev_queue_timer);
	ev_queue_timer = NULL;
	publish_set_state(TOPIC_QUEUE, NULL, NULL);
}
