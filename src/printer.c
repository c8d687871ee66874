/*
 * Kiosks' receipt printers (PROTOCOL "Kiosk printers"): each ticket a kiosk
 * issues is printed on the network printer its configuration names, as
 * ESC/POS over raw TCP (port 9100 style), Chinese in GB18030.
 *
 * The loop never waits for a printer.  One persistent non-blocking
 * connection per printer, to an address (never a name: no lookup); a
 * connection that fails is tried again after a backoff (0.5 s doubling to
 * 30 s), at once after the printer closed one that had been up a while (an
 * idle timeout).  A bounded queue per printer: a receipt that finds the
 * printer down, connecting or its queue full is not printed, and the ticket
 * says "printed": false.  Raw TCP gives no acknowledgement: "printed": true
 * means queued to a connection that was up, not paper in a hand.
 *
 * Commit before telling: a receipt tells of a ticket, so it waits (held)
 * until the group commit that stored the ticket; if that commit fails the
 * receipt is dropped (printer_group_done).  Receipts not yet written when
 * a connection ends are dropped too: a printer back an hour later should
 * not print an hour of old tickets.
 */
#include <sys/socket.h>
#include <netinet/in.h>

#include <errno.h>
#include <iconv.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/util.h>

#include "branchq.h"

#define PRINTER_CONNECT_MS	3000	/* a connection not made by then failed */
#define PRINTER_BACKOFF_MIN_MS	500
#define PRINTER_BACKOFF_MAX_MS	30000
#define PRINTER_STABLE_S	10	/* up this long, a close is the printer's idle timeout */
/* The kernel's send buffer, small: what a printer that stops reading
 * (out of paper) holds there is out of our queue's count. */
#define PRINTER_SNDBUF		(8 * 1024)

/* ---- the receipt (pure) ---- */

/* ESC/POS */
#define ESC	0x1b
#define GS	0x1d
#define FS	0x1c

struct rbuf {
	unsigned char	*rb_buf;
	size_t		 rb_len, rb_cap;
};

static void
put(struct rbuf *b, const void *p, size_t n)
{
	if (n > b->rb_cap - b->rb_len)
		n = b->rb_cap - b->rb_len;
	memcpy(b->rb_buf + b->rb_len, p, n);
	b->rb_len += n;
}

#define PUT(b, ...)	do {						\
	static const unsigned char put_bytes_[] = { __VA_ARGS__ };	\
	put((b), put_bytes_, sizeof put_bytes_);			\
} while (0)

/* UTF-8 text in GB18030; what the printer cannot be sent becomes "?". */
static void
put_text(struct rbuf *b, iconv_t cd, const char *utf8)
{
	char	*in = (char *)(uintptr_t)utf8, *out;
	size_t	 inleft = strlen(utf8), outleft;

	(void)iconv(cd, NULL, NULL, NULL, NULL);	/* the initial state */
	out = (char *)b->rb_buf + b->rb_len;
	outleft = b->rb_cap - b->rb_len;
	while (inleft > 0) {
		if (iconv(cd, &in, &inleft, &out, &outleft) != (size_t)-1)
			break;
		if (errno == E2BIG || outleft == 0)
			break;		/* cut: the receipt is full */
		*out++ = '?';		/* EILSEQ, EINVAL: not UTF-8 */
		outleft--;
		in++;
		inleft--;
	}
	(void)iconv(cd, NULL, NULL, &out, &outleft);
	b->rb_len = b->rb_cap - outleft;
}

static void
put_textf(struct rbuf *b, iconv_t cd, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
put_textf(struct rbuf *b, iconv_t cd, const char *fmt, ...)
{
	char	line[256];
	va_list	ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	put_text(b, cd, line);
}

/* The lanes as the customer reads them, Chinese first. */
static const char *const lane_text[LANE__COUNT][2] = {
	[LANE_SELF_SERVICE] = { "自助设备", "Self-service" },
	[LANE_EXPRESS] = { "现金快速通道", "Express cash" },
	[LANE_COUNTER] = { "柜台", "Counter" },
	[LANE_VIP] = { "贵宾", "VIP" },
};

/* Why a ticket was sent to the machines (ROUTING.md: the eligible jobs). */
static const char *const *
diverted_because(enum route_rule rule)
{
	static const char *const cash[2] = {
		"现金金额在自助设备限额以内，自助办理无需排队",
		"Cash within the machines' limit: no queue there"
	};
	static const char *const transfer[2] = {
		"转账金额在自助设备限额以内，自助办理无需排队",
		"Transfer within the machines' limit: no queue there"
	};
	static const char *const other[2] = {
		"此业务可在自助设备办理",
		"This can be done at the machines"
	};

	return rule == RULE_CASH_WITHIN_THRESHOLD ? cash :
	    rule == RULE_TRANSFER_WITHIN_THRESHOLD ? transfer : other;
}

size_t
receipt_render(const struct receipt *rc, void *cd, unsigned char *out, size_t outlen)
{
	struct rbuf		 b = { out, 0, outlen };
	const char *const	*lane = lane_text[(unsigned)rc->rc_lane < LANE__COUNT ?
				    rc->rc_lane : LANE_COUNTER];
	const char *const	*why;
	char			 at[BQ_LOCAL_TIME_LEN];
	long			 minutes;

	PUT(&b, ESC, '@');		/* initialise */
	PUT(&b, FS, '&');		/* Chinese character mode */
	PUT(&b, ESC, 'a', 1);		/* centred */
	put_text(&b, cd, rc->rc_branch);
	put_text(&b, cd, "\n\n");
	PUT(&b, GS, '!', 0x11);		/* double width and height */
	put_text(&b, cd, rc->rc_number);
	put_text(&b, cd, "\n");
	PUT(&b, GS, '!', 0x00);
	put_textf(&b, cd, "%s  %s\n\n", lane[0], lane[1]);
	PUT(&b, ESC, 'a', 0);		/* left */
	if (rc->rc_status == TS_DIVERTED) {
		why = diverted_because(rc->rc_rule);
		put_text(&b, cd, "请到自助设备办理\nPlease use the self-service machines\n");
		put_textf(&b, cd, "%s\n%s\n", why[0], why[1]);
	} else if (rc->rc_status == TS_WAITING) {
		/* Whole minutes, up: "about 0 minutes" only when nobody is ahead. */
		minutes = (long)((rc->rc_wait_s + 59) / 60);
		put_textf(&b, cd, "前面还有 %ld 人 / %ld %s ahead\n", rc->rc_ahead,
		    rc->rc_ahead, rc->rc_ahead == 1 ? "person" : "people");
		put_textf(&b, cd, "预计等待约 %ld 分钟 / About %ld min wait\n", minutes,
		    minutes);
	}
	time_format_local(rc->rc_issued_at, at);
	put_textf(&b, cd, "取号时间 / Issued: %s\n", at);
	PUT(&b, ESC, 'd', 3);		/* feed three lines */
	/* Feed to the cutter and cut: the bytes that end every receipt, so
	 * they are kept even when the text above was cut. */
	if (b.rb_len > outlen - 4)
		b.rb_len = outlen - 4;
	PUT(&b, GS, 'V', 66, 0);
	return b.rb_len;
}

/* ---- the connections ---- */

enum printer_state { PS_DOWN, PS_CONNECTING, PS_UP };

struct print_job {
	struct print_job	*pj_next;
	bool			 pj_committed;	/* its ticket's group committed */
	size_t			 pj_len;
	unsigned char		 pj_bytes[];
};

struct printer {
	char			 p_terminal[BQ_ID_LEN + 1];
	char			 p_addr[64];	/* as configured */
	struct sockaddr_storage	 p_ss;
	int			 p_sslen;
	enum printer_state	 p_state;
	bool			 p_logged;	/* a state was logged ... */
	bool			 p_logged_up;	/* ... and it was up */
	bool			 p_full;	/* the queue was full (logged) */
	struct bufferevent	*p_bev;
	struct event		*p_timer;	/* the retry, or the connect timeout */
	int			 p_backoff_ms;
	int64_t			 p_up_at;	/* monotonic seconds */
	struct print_job	*p_jobs;	/* oldest first */
	struct print_job       **p_tail;
	size_t			 p_njobs, p_bytes;	/* all queued, the one written included */
	bool			 p_writing;	/* p_jobs is in the bufferevent */
};

static struct event_base	*pr_base;
static struct printer	       **pr_printers;	/* each its own: callbacks hold them */
static size_t			 pr_nprinters;
static iconv_t			 pr_cd = (iconv_t)-1;
static size_t			 pr_held;	/* receipts waiting for a commit */

static void	printer_connect(struct printer *);

static int64_t
monotonic_s(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec;
}

static void
timer_in(struct printer *p, int ms)
{
	struct timeval	tv = { ms / 1000, (ms % 1000) * 1000 };

	evtimer_add(p->p_timer, &tv);
}

static void
job_pop(struct printer *p)
{
	struct print_job	*j = p->p_jobs;

	if ((p->p_jobs = j->pj_next) == NULL)
		p->p_tail = &p->p_jobs;
	p->p_njobs--;
	p->p_bytes -= j->pj_len;
	free(j);
}

/* Drops the receipts already told of (committed); held ones stay for
 * printer_group_done(), which drops them too while the printer is down. */
static size_t
drop_committed(struct printer *p)
{
	struct print_job	**jp = &p->p_jobs, *j;
	size_t			  n = 0;

	p->p_tail = &p->p_jobs;
	while ((j = *jp) != NULL) {
		if (!j->pj_committed) {
			p->p_tail = &j->pj_next;
			jp = &j->pj_next;
			continue;
		}
		*jp = j->pj_next;
		p->p_njobs--;
		p->p_bytes -= j->pj_len;
		free(j);
		n++;
	}
	p->p_writing = false;
	return n;
}

/* The next committed receipt into the socket, one at a time: the queue's
 * count stays the truth about what is not written yet. */
static void
feed(struct printer *p)
{
	struct print_job	*j = p->p_jobs;

	if (p->p_state != PS_UP || p->p_writing || j == NULL || !j->pj_committed)
		return;
	if (bufferevent_write(p->p_bev, j->pj_bytes, j->pj_len) == -1) {
		log_warnx("event=printer_dropped terminal=%s printer=%s reason=\"out of "
		    "memory\"", p->p_terminal, p->p_addr);
		job_pop(p);
		return;
	}
	p->p_writing = true;
}

/* The one way a connection ends: logged once per change of state (not per
 * failed retry), the next attempt scheduled. */
static void
printer_down(struct printer *p, const char *reason)
{
	bool	was_up = p->p_state == PS_UP;
	size_t	dropped;
	int	delay_ms;

	if (p->p_bev != NULL)
		bufferevent_free(p->p_bev);
	p->p_bev = NULL;
	evtimer_del(p->p_timer);
	p->p_state = PS_DOWN;
	dropped = drop_committed(p);
	if (!p->p_logged || p->p_logged_up)
		log_warnx("event=printer_down terminal=%s printer=%s reason=%s dropped=%zu",
		    p->p_terminal, p->p_addr, log_str(reason), dropped);
	else
		log_debug("event=printer_retry_failed terminal=%s printer=%s reason=%s "
		    "next_ms=%d", p->p_terminal, p->p_addr, log_str(reason), p->p_backoff_ms);
	p->p_logged = true;
	p->p_logged_up = false;
	p->p_full = false;
	if (was_up && monotonic_s() - p->p_up_at >= PRINTER_STABLE_S) {
		/* A printer closing an idle connection: back at once. */
		p->p_backoff_ms = PRINTER_BACKOFF_MIN_MS;
		delay_ms = 0;
	} else {
		delay_ms = p->p_backoff_ms;
		p->p_backoff_ms = p->p_backoff_ms * 2 > PRINTER_BACKOFF_MAX_MS ?
		    PRINTER_BACKOFF_MAX_MS : p->p_backoff_ms * 2;
	}
	timer_in(p, delay_ms);
}

static void
printer_read(struct bufferevent *bev, void *arg)
{
	(void)arg;
	/* Status bytes some printers send: nothing we act on. */
	evbuffer_drain(bufferevent_get_input(bev), evbuffer_get_length(
	    bufferevent_get_input(bev)));
}

/* The output drained (the low watermark is 0): the receipt is in the kernel. */
static void
printer_written(struct bufferevent *bev, void *arg)
{
	struct printer	*p = arg;

	(void)bev;
	if (!p->p_writing)
		return;
	p->p_writing = false;
	job_pop(p);
	if (p->p_full && p->p_njobs == 0) {
		p->p_full = false;
		log_info("event=printer_drained terminal=%s printer=%s", p->p_terminal,
		    p->p_addr);
	}
	feed(p);
}

static void
printer_event(struct bufferevent *bev, short what, void *arg)
{
	struct printer	*p = arg;
	char		 reason[128];

	(void)bev;
	if (what & BEV_EVENT_CONNECTED) {
		evtimer_del(p->p_timer);
		p->p_state = PS_UP;
		p->p_up_at = monotonic_s();
		if (!p->p_logged_up)
			log_info("event=printer_up terminal=%s printer=%s", p->p_terminal,
			    p->p_addr);
		p->p_logged = p->p_logged_up = true;
		bufferevent_enable(p->p_bev, EV_READ);
		feed(p);
		return;
	}
	if (what & BEV_EVENT_EOF)
		snprintf(reason, sizeof reason, "%s", p->p_state == PS_UP ?
		    "closed by the printer" : "closed while connecting");
	else
		snprintf(reason, sizeof reason, "%s",
		    evutil_socket_error_to_string(EVUTIL_SOCKET_ERROR()));
	printer_down(p, reason);
}

static void
printer_timer(evutil_socket_t fd, short what, void *arg)
{
	struct printer	*p = arg;

	(void)fd;
	(void)what;
	if (p->p_state == PS_CONNECTING)
		printer_down(p, "no connection within 3 s");
	else if (p->p_state == PS_DOWN)
		printer_connect(p);
}

static void
printer_connect(struct printer *p)
{
	int	fd, sndbuf = PRINTER_SNDBUF;
	char	reason[128];

	p->p_state = PS_CONNECTING;
	fd = socket(p->p_ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd == -1) {
		snprintf(reason, sizeof reason, "socket: %s", strerror(errno));
		printer_down(p, reason);
		return;
	}
	(void)setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof sndbuf);
	if ((p->p_bev = bufferevent_socket_new(pr_base, fd, BEV_OPT_CLOSE_ON_FREE)) == NULL) {
		close(fd);
		printer_down(p, "bufferevent_socket_new failed");
		return;
	}
	bufferevent_setcb(p->p_bev, printer_read, printer_written, printer_event, p);
	/* An address: libevent connects without a lookup. */
	if (bufferevent_socket_connect(p->p_bev, (struct sockaddr *)&p->p_ss,
	    p->p_sslen) == -1) {
		snprintf(reason, sizeof reason, "connect: %s", strerror(errno));
		printer_down(p, reason);
		return;
	}
	timer_in(p, PRINTER_CONNECT_MS);
}

static struct printer *
printer_new(const struct terminal_conf *tc)
{
	struct printer	*p;

	if ((p = calloc(1, sizeof *p)) == NULL)
		fatal("calloc");
	snprintf(p->p_terminal, sizeof p->p_terminal, "%s", tc->tc_id);
	snprintf(p->p_addr, sizeof p->p_addr, "%s", tc->tc_printer);
	if (net_parse_listen(tc->tc_printer, &p->p_ss, &p->p_sslen) == -1)
		fatalx("printer %s: the configuration let a bad address through",
		    tc->tc_printer);
	p->p_tail = &p->p_jobs;
	p->p_backoff_ms = PRINTER_BACKOFF_MIN_MS;
	if ((p->p_timer = evtimer_new(pr_base, printer_timer, p)) == NULL)
		fatalx("evtimer_new failed");
	if (pr_cd != (iconv_t)-1)
		printer_connect(p);
	return p;
}

static void
printer_delete(struct printer *p)
{
	struct print_job	*j;

	if (p->p_bev != NULL)
		bufferevent_free(p->p_bev);
	event_free(p->p_timer);
	while ((j = p->p_jobs) != NULL) {
		if (!j->pj_committed && pr_held > 0)
			pr_held--;
		job_pop(p);
	}
	free(p);
}

/*
 * The printers of a configuration: one per kiosk that names one, carried
 * over (connection, queue and all) when the kiosk names the same address
 * as before; a printer no longer named is closed, its receipts dropped.
 */
static void
printers_configure(const struct config *cf)
{
	const struct terminal_conf	*tc;
	struct printer			**old = pr_printers, **np;
	size_t				  nold = pr_nprinters, i, j, n = 0;

	if ((np = calloc(cf->cf_nterminals + 1, sizeof *np)) == NULL)
		fatal("calloc");
	for (i = 0; i < cf->cf_nterminals; i++) {
		tc = &cf->cf_terminals[i];
		if (tc->tc_printer[0] == '\0')
			continue;
		for (j = 0; j < nold; j++)
			if (old[j] != NULL && strcmp(old[j]->p_terminal, tc->tc_id) == 0 &&
			    strcmp(old[j]->p_addr, tc->tc_printer) == 0)
				break;
		if (j < nold) {
			np[n++] = old[j];
			old[j] = NULL;
		} else {
			np[n++] = printer_new(tc);
			log_info("event=printer_added terminal=%s printer=%s", tc->tc_id,
			    tc->tc_printer);
		}
	}
	for (j = 0; j < nold; j++) {
		if (old[j] == NULL)
			continue;
		log_info("event=printer_removed terminal=%s printer=%s queued=%zu",
		    old[j]->p_terminal, old[j]->p_addr, old[j]->p_njobs);
		printer_delete(old[j]);
	}
	free(old);
	pr_printers = np;
	pr_nprinters = n;
}

void
printer_init(struct event_base *base, const struct config *cf)
{
	pr_base = base;
	/* Here, before the loop, printers or not: iconv_open reads the gconv
	 * modules from disk, and a reload may add a printer. */
	if ((pr_cd = iconv_open("GB18030", "UTF-8")) == (iconv_t)-1)
		log_warnx("event=printers_disabled reason=%s msg=\"no GB18030 encoder; "
		    "tickets are not printed (printed:false)\"", log_str(strerror(errno)));
	printers_configure(cf);
}

void
printer_config_changed(const struct config *cf)
{
	printers_configure(cf);
}

struct printer *
printer_find(const char *terminal)
{
	size_t	i;

	for (i = 0; i < pr_nprinters; i++)
		if (strcmp(pr_printers[i]->p_terminal, terminal) == 0)
			return pr_printers[i];
	return NULL;
}

bool
printer_ready(struct printer *p)
{
	if (pr_cd == (iconv_t)-1 || p->p_state != PS_UP)
		return false;
	if (p->p_njobs >= PRINTER_MAX_JOBS ||
	    p->p_bytes + RECEIPT_MAX > PRINTER_MAX_BYTES) {
		if (!p->p_full)
			log_warnx("event=printer_full terminal=%s printer=%s jobs=%zu bytes=%zu "
			    "msg=\"the printer takes nothing; tickets are not printed "
			    "until it does\"", p->p_terminal, p->p_addr, p->p_njobs,
			    p->p_bytes);
		p->p_full = true;
		return false;
	}
	return true;
}

void
printer_print(struct printer *p, const struct receipt *rc, bool held)
{
	struct print_job	*j;

	if ((j = malloc(sizeof *j + RECEIPT_MAX)) == NULL)
		fatal("malloc");
	j->pj_len = receipt_render(rc, pr_cd, j->pj_bytes, RECEIPT_MAX);
	j->pj_next = NULL;
	j->pj_committed = !held;
	*p->p_tail = j;
	p->p_tail = &j->pj_next;
	p->p_njobs++;
	p->p_bytes += j->pj_len;
	if (held)
		pr_held++;
	feed(p);
}

void
printer_group_done(bool committed)
{
	struct printer		*p;
	struct print_job	**jp, *j;
	size_t			  i;

	if (pr_held == 0)
		return;
	for (i = 0; i < pr_nprinters; i++) {
		p = pr_printers[i];
		p->p_tail = &p->p_jobs;
		for (jp = &p->p_jobs; (j = *jp) != NULL; ) {
			if (!j->pj_committed && committed && p->p_state == PS_UP)
				j->pj_committed = true;
			else if (!j->pj_committed) {
				/* Its ticket was not stored, or the printer went
				 * down meanwhile: never printed. */
				*jp = j->pj_next;
				p->p_njobs--;
				p->p_bytes -= j->pj_len;
				free(j);
				continue;
			}
			p->p_tail = &j->pj_next;
			jp = &j->pj_next;
		}
		feed(p);
	}
	pr_held = 0;
}

void
printer_free(void)
{
	size_t	i;

	for (i = 0; i < pr_nprinters; i++)
		printer_delete(pr_printers[i]);
	free(pr_printers);
	pr_printers = NULL;
	pr_nprinters = 0;
	pr_held = 0;
	if (pr_cd != (iconv_t)-1)
		iconv_close(pr_cd);
	pr_cd = (iconv_t)-1;
}
