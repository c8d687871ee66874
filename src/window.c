/*
 * Counter windows.  A window belongs to the terminal that opened it (not to
 * a connection), so a teller whose cable drops finds the window as it was.
 */
#include <stdio.h>
#include <string.h>

#include "branchq.h"

struct window *
window_held_by(struct branch *b, const char *terminal)
{
	struct window	*w;
	int		 i;

	for (i = 1; i <= BQ_MAX_WINDOW; i++) {
		w = &b->b_queue.q_windows[i];
		if (w->w_open && strcmp(w->w_terminal, terminal) == 0)
			return w;
	}
	return NULL;
}

/* A window that still has its current ticket: {"window","number","status"}. */
int
window_busy(struct bq_error *err, const struct window *w)
{
	bq_fail(err, ERR_CONFLICT,
	    "window %d still has ticket %s %s; complete, transfer or mark it no-show first",
	    w->w_no, w->w_current->t_number, ticket_status_name(w->w_current->t_status));
	bq_detail_int(err, "window", w->w_no);
	bq_detail_str(err, "number", w->w_current->t_number);
	return bq_detail_str(err, "status", ticket_status_name(w->w_current->t_status));
}

/* Who holds a window: {"window":N,"terminal":"T02"}. */
static int
window_held_detail(struct bq_error *err, const struct window *w)
{
	bq_detail_int(err, "window", w->w_no);
	return bq_detail_str(err, "terminal", w->w_terminal);
}

static int
window_commit(struct branch *b, struct window *w, const struct window *next,
    struct window **out, struct bq_error *err)
{
	struct change	c;

	memset(&c, 0, sizeof c);
	c.c_window = w;
	c.c_window_next = *next;
	if (branch_apply(b, &c, err) == -1)
		return -1;
	*out = w;
	/* Open windows change routing and every estimated wait. */
	if (b->b_hooks.bh_queue_changed != NULL)
		b->b_hooks.bh_queue_changed();
	return 0;
}

int
window_open(struct branch *b, const struct actor *a, int no, const enum lane *lanes,
    int nlanes, struct window **out, struct bq_error *err)
{
	struct window	*w, *held, next;
	int		 i;

	if (no < 1 || no > BQ_MAX_WINDOW)
		return bq_fail(err, ERR_BAD_REQUEST, "window: must be an integer from 1 to %d",
		    BQ_MAX_WINDOW);
	if (nlanes < 1 || nlanes > LANE__COUNT)
		return bq_fail(err, ERR_BAD_REQUEST, "lanes: must list 1 to 3 lanes");
	w = &b->b_queue.q_windows[no];
	held = window_held_by(b, a->a_terminal);
	if (held != NULL && held != w) {
		bq_fail(err, ERR_CONFLICT,
		    "terminal %s already holds window %d; close it first", a->a_terminal,
		    held->w_no);
		return window_held_detail(err, held);
	}
	if (w->w_open && held != w) {
		bq_fail(err, ERR_CONFLICT, "window %d is held by terminal %s", no,
		    w->w_terminal);
		return window_held_detail(err, w);
	}

	next = *w;
	if (!w->w_open) {
		next.w_open = true;
		next.w_opened_at = clock_now();
	}
	next.w_paused = false;
	snprintf(next.w_terminal, sizeof next.w_terminal, "%s", a->a_terminal);
	snprintf(next.w_staff, sizeof next.w_staff, "%s", a->a_staff);
	for (i = 0; i < nlanes; i++)
		next.w_lanes[i] = lanes[i];
	next.w_nlanes = nlanes;
	if (window_commit(b, w, &next, out, err) == -1)
		return -1;
	log_info("window %d opened by %s (%s)", no, a->a_terminal, a->a_staff);
	return 0;
}

int
window_close(struct branch *b, const struct actor *a, struct window **out,
    struct bq_error *err)
{
	struct window	*w = window_held_by(b, a->a_terminal), next;

	if (w == NULL)
		return bq_fail(err, ERR_CONFLICT, "terminal %s holds no open window",
		    a->a_terminal);
	if (w->w_current != NULL)
		return window_busy(err, w);
	memset(&next, 0, sizeof next);
	next.w_no = w->w_no;
	next.w_accessible = w->w_accessible;
	if (window_commit(b, w, &next, out, err) == -1)
		return -1;
	log_info("window %d closed by %s", next.w_no, a->a_terminal);
	return 0;
}

int
window_pause(struct branch *b, const struct actor *a, bool paused, struct window **out,
    struct bq_error *err)
{
	struct window	*w = window_held_by(b, a->a_terminal), next;

	if (w == NULL)
		return bq_fail(err, ERR_CONFLICT, "terminal %s holds no open window",
		    a->a_terminal);
	if (w->w_paused == paused) {
		bq_fail(err, ERR_CONFLICT, "window %d is already %s", w->w_no,
		    paused ? "paused" : "open");
		bq_detail_int(err, "window", w->w_no);
		return bq_detail_str(err, "state", paused ? "paused" : "open");
	}
	next = *w;
	next.w_paused = paused;
	return window_commit(b, w, &next, out, err);
}
