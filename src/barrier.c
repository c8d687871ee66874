/*
 * The commit barrier: no reply or event leaves before the commit of the
 * change it tells of, whatever the transport.
 *
 * Group commit (issue 6): the changes of one loop iteration share one
 * transaction.  While it is open, every line an outlet (a transport's
 * connection or stream) would be sent waits here, in order, and goes out
 * only after COMMIT.  If the commit fails, a reply to a request that made a
 * change becomes `unavailable`, held events are dropped, and other replies
 * (refusals, reads) go out as they were.
 *
 * The end of an iteration is one active event: it commits, releases what
 * was held, then lets each transport write what the iteration left it
 * (barrier_on_flush).  An active event runs after the events already
 * active in this iteration and before the loop polls again.
 */
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "branchq.h"

#define BARRIER_MAX_FLUSH	4	/* transports */

struct held {
	char	*h_line;	/* without the newline */
	char	*h_request;	/* a request that made a change: refused if the commit fails */
	bool	 h_event;	/* dropped if the commit fails */
};

static struct branch	*bar_branch;
static struct event	*bar_end_ev;
static struct outlet	*bar_held;	/* outlets holding lines */
/* The outlet whose request is being handled: its events follow its reply. */
static struct outlet	*bar_handling;
static void		(*bar_flush[BARRIER_MAX_FLUSH])(void);
static size_t		 bar_nflush;
/* Told each group's outcome: output of their own that waits for it. */
static void		(*bar_done[BARRIER_MAX_FLUSH])(bool committed);
static size_t		 bar_ndone;

static bool
group_open(void)
{
	return bar_branch != NULL && store_group_open(bar_branch->b_store);
}

/* Takes line (and request). */
static void
hold(struct outlet *o, char *line, char *request, bool event)
{
	if (o->o_nheld == o->o_capheld) {
		o->o_capheld = o->o_capheld ? 2 * o->o_capheld : 4;
		if ((o->o_held = reallocarray(o->o_held, o->o_capheld, sizeof *o->o_held)) == NULL)
			fatal("reallocarray");
	}
	o->o_held[o->o_nheld].h_line = line;
	o->o_held[o->o_nheld].h_request = request;
	o->o_held[o->o_nheld].h_event = event;
	o->o_nheld++;
	o->o_held_bytes += strlen(line) + 1;
	if (!o->o_held_listed) {
		o->o_held_listed = true;
		o->o_held_next = bar_held;
		bar_held = o;
	}
}

/* A line for o: now, or after the commit while changes are pending. */
static void
emit(struct outlet *o, const char *line, bool event)
{
	if (!group_open() && o->o_nheld == 0)
		o->o_write(o, line);
	else
		hold(o, xstrdup(line), NULL, event);
}

void
barrier_emit(struct outlet *o, const char *line, bool event)
{
	size_t	len;

	if (o == bar_handling && event) {
		/* Raised by o's own request: after its reply. */
		len = strlen(line);
		if (o->o_own_len + len + 2 > o->o_own_cap) {
			o->o_own_cap = 2 * (o->o_own_len + len + 2);
			if ((o->o_own = realloc(o->o_own, o->o_own_cap)) == NULL)
				fatal("realloc");
		}
		memcpy(o->o_own + o->o_own_len, line, len + 1);
		o->o_own_len += len + 1;	/* NUL-separated */
		return;
	}
	emit(o, line, event);
}

void
barrier_request_start(struct outlet *o)
{
	bar_handling = o;
}

void
barrier_request_end(struct outlet *o, char *reply, const char *request)
{
	size_t	at;

	bar_handling = NULL;
	if (reply != NULL) {
		if (group_open() || o->o_nheld > 0)
			hold(o, reply, request != NULL && group_open() ? xstrdup(request) : NULL,
			    false);
		else {
			o->o_write(o, reply);
			free(reply);
		}
	}
	for (at = 0; at < o->o_own_len; at += strlen(o->o_own + at) + 1)
		emit(o, o->o_own + at, true);
	o->o_own_len = 0;
}

size_t
barrier_pending(const struct outlet *o)
{
	return o->o_held_bytes + o->o_own_len;
}

bool
barrier_holding(const struct outlet *o)
{
	return o->o_nheld > 0;
}

void
barrier_forget(struct outlet *o)
{
	struct outlet	**pp;
	size_t		  i;

	if (o->o_held_listed) {
		for (pp = &bar_held; *pp != o; pp = &(*pp)->o_held_next)
			;
		*pp = o->o_held_next;
	}
	for (i = 0; i < o->o_nheld; i++) {
		free(o->o_held[i].h_line);
		free(o->o_held[i].h_request);
	}
	free(o->o_held);
	free(o->o_own);
	if (bar_handling == o)
		bar_handling = NULL;
	memset(o, 0, sizeof *o);
}

/* After the commit: every held line out (or its refusal), in order. */
static void
release(bool committed, const char *why)
{
	struct outlet	*o, *next;
	struct held	*h;
	char		*refused;
	size_t		 i;

	o = bar_held;
	bar_held = NULL;
	for (; o != NULL; o = next) {
		next = o->o_held_next;
		for (i = 0; i < o->o_nheld; i++) {
			h = &o->o_held[i];
			if (committed)
				o->o_write(o, h->h_line);
			else if (h->h_request != NULL) {
				refused = json_refusal(h->h_request,
				    strlen(h->h_request), why);
				o->o_write(o, refused);
				free(refused);
			} else if (!h->h_event)
				o->o_write(o, h->h_line);
			free(h->h_line);
			free(h->h_request);
		}
		o->o_nheld = 0;
		o->o_held_bytes = 0;
		o->o_held_listed = false;
		o->o_held_next = NULL;
		if (o->o_released != NULL)
			o->o_released(o);	/* may free o */
	}
}

void
barrier_commit_now(void)
{
	char	why[256];
	bool	committed;
	size_t	i;

	if (!group_open())
		return;
	committed = branch_group_commit(bar_branch, why, sizeof why) == 0;
	release(committed, why);
	for (i = 0; i < bar_ndone; i++)
		bar_done[i](committed);
	/* The publisher takes back the numbers of the events dropped, and
	 * replays to those who subscribed meanwhile, now in order. */
	publish_group_done(committed);
}

static void
iteration_end(evutil_socket_t fd, short what, void *arg)
{
	size_t	i;

	(void)fd;
	(void)what;
	(void)arg;
	publish_reserve();	/* event numbers ahead, in this group if one is open */
	barrier_commit_now();
	for (i = 0; i < bar_nflush; i++)
		bar_flush[i]();
}

void
barrier_wake(void)
{
	if (bar_end_ev != NULL)
		event_active(bar_end_ev, EV_TIMEOUT, 0);
}

/* The first change of an iteration opened the transaction: every request
 * read in this iteration is in the group. */
static void
group_opened(void *arg)
{
	(void)arg;
	publish_group_opened();
	barrier_wake();
}

void
barrier_init(struct event_base *base, struct branch *b)
{
	bar_branch = b;
	if (bar_end_ev == NULL &&
	    (bar_end_ev = event_new(base, -1, 0, iteration_end, NULL)) == NULL)
		fatalx("event_new failed");
	/* From now on the changes of one loop iteration are committed together. */
	store_group_enable(b->b_store, group_opened, NULL);
}

void
barrier_on_flush(void (*flush)(void))
{
	if (bar_nflush == BARRIER_MAX_FLUSH)
		fatalx("barrier_on_flush: too many transports");
	bar_flush[bar_nflush++] = flush;
}

void
barrier_on_group_done(void (*done)(bool committed))
{
	if (bar_ndone == BARRIER_MAX_FLUSH)
		fatalx("barrier_on_group_done: too many");
	bar_done[bar_ndone++] = done;
}

void
barrier_free(void)
{
	barrier_commit_now();
	if (bar_end_ev != NULL)
		event_free(bar_end_ev);
	bar_end_ev = NULL;	/* later changes commit when the store closes */
	bar_nflush = 0;
	bar_ndone = 0;
}
