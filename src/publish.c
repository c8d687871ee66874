/*
 * The publisher: pushed events to whoever subscribed to their topic,
 * whatever carries them.  A transport registers each of its sessions as a
 * subscriber with the function that takes an event line for it; events.c
 * publishes.  Neither side knows the other.
 *
 * PROTOCOL 1.1: every event gets the next number of one sequence for the
 * whole daemon ("seq", written into the line here, so every event has one),
 * and the last PUBLISH_RING events are kept, with their topic and audience,
 * for a subscriber that comes back with `since`.  An event may name an
 * audience (the followups topic: supervisors, the owner and the first
 * responder); a subscriber hears it only if its role or staff id is in it.
 *
 * The sequence and the commit barrier.  Events raised by the changes of a
 * group commit wait on every outlet until the commit (barrier.c); if it
 * fails they are dropped there, and here the sequence and the ring are
 * rewound to where the group began, so that no number ever names an event
 * that did not happen.  A subscribe that comes while a group is open
 * replays once the group is over: its replay then holds what was committed,
 * in order, and the events of the group it would otherwise miss.
 *
 * The sequence survives a restart: numbers are reserved in the database
 * (the setting event_seq_reserved) PUBLISH_SEQ_BLOCK at a time, ahead of
 * use, and a new run starts after the last reservation.  No number is thus
 * ever used twice, and a `since` from before a restart is older than what
 * the new run holds: the subscriber is told to reset.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "branchq.h"

#define SEQ_SETTING	"event_seq_reserved"
#define SEQ_SUFFIX_MAX	32	/* ,"seq":9007199254740991} */

struct ring_entry {
	int64_t		 re_seq;
	enum topic	 re_topic;
	bool		 re_audience;	/* else every subscriber of the topic */
	unsigned	 re_roles;
	char		 re_staff[2][BQ_ID_LEN + 1];
	char		*re_line;	/* with its "seq" */
	size_t		 re_cap;
};

struct topic_state {
	char		*(*ts_line)(void *);
	void		 *ts_arg;
};

static struct subscriber	*pub_subscribers;
static unsigned			 pub_counts[TOPIC__COUNT];
static struct topic_state	 pub_state[TOPIC__COUNT];

static struct ring_entry	 pub_ring[PUBLISH_RING];
static int64_t			 pub_seq;	/* the last published */
static int64_t			 pub_held;	/* how many of the last ones the ring holds */
static int64_t			 pub_reserved;	/* the last number reserved in the database */
static struct store		*pub_store;	/* NULL: no reservations (unit tests) */
static bool			 pub_unreserved_logged;

/* A group commit under way: where it began. */
static bool			 pub_in_group;
static int64_t			 pub_mark_seq, pub_mark_held, pub_mark_reserved;

/* Subscribers whose replay waits for the group's end; the one being replayed to. */
static struct subscriber	**pub_pending;
static size_t			  pub_npending, pub_cappending;
static struct subscriber	 *pub_catching;
static bool			  pub_catching_gone;

static void
count_topics(unsigned topics, int delta)
{
	int	i;

	for (i = 0; i < TOPIC__COUNT; i++)
		if (topics & (1u << i))
			pub_counts[i] = (unsigned)((int)pub_counts[i] + delta);
}

static void
pending_remove(struct subscriber *sb)
{
	size_t	i;

	for (i = 0; i < pub_npending; i++)
		if (pub_pending[i] == sb) {
			pub_pending[i] = pub_pending[--pub_npending];
			break;
		}
	sb->sb_pending = false;
}

void
subscriber_add(struct subscriber *sb, void (*deliver)(struct subscriber *, const char *))
{
	if (sb->sb_listed)
		fatalx("subscriber_add: already listed");
	sb->sb_deliver = deliver;
	sb->sb_prev = NULL;
	sb->sb_next = pub_subscribers;
	if (pub_subscribers != NULL)
		pub_subscribers->sb_prev = sb;
	pub_subscribers = sb;
	sb->sb_listed = true;
	sb->sb_pending = false;
	count_topics(sb->sb_topics, +1);
}

void
subscriber_remove(struct subscriber *sb)
{
	if (sb == pub_catching)
		pub_catching_gone = true;	/* catch_up() must not touch it again */
	if (!sb->sb_listed)
		return;
	if (sb->sb_pending)
		pending_remove(sb);
	count_topics(sb->sb_topics, -1);
	if (sb->sb_prev != NULL)
		sb->sb_prev->sb_next = sb->sb_next;
	else
		pub_subscribers = sb->sb_next;
	if (sb->sb_next != NULL)
		sb->sb_next->sb_prev = sb->sb_prev;
	sb->sb_prev = sb->sb_next = NULL;
	sb->sb_listed = false;
}

void
subscriber_identify(struct subscriber *sb, enum role role, const char *staff)
{
	sb->sb_role = role;
	snprintf(sb->sb_staff, sizeof sb->sb_staff, "%s", staff != NULL ? staff : "");
}

void
subscriber_set_topics(struct subscriber *sb, unsigned topics)
{
	if (sb->sb_listed) {
		count_topics(sb->sb_topics, -1);
		count_topics(topics, +1);
	}
	sb->sb_topics = topics;
}

bool
publish_wanted(enum topic t)
{
	return pub_counts[t] > 0;
}

void
publish_set_state(enum topic t, char *(*line)(void *), void *arg)
{
	pub_state[t].ts_line = line;
	pub_state[t].ts_arg = arg;
}

int64_t
publish_seq(void)
{
	return pub_in_group ? pub_mark_seq : pub_seq;
}

/* ---- the ring ---- */

static struct ring_entry *
ring_at(int64_t seq)
{
	return &pub_ring[seq % PUBLISH_RING];
}

static int64_t
ring_first(void)
{
	return pub_seq - pub_held + 1;
}

/* An event line with ,"seq":N before its closing brace, into *buf. */
static void
with_seq(char **buf, size_t *cap, const char *line, int64_t seq)
{
	size_t	len = strlen(line);

	if (len < 2 || line[0] != '{' || line[len - 1] != '}')
		fatalx("publish: not a JSON object: %.64s", line);
	if (*cap < len + SEQ_SUFFIX_MAX) {
		*cap = len + SEQ_SUFFIX_MAX;
		if ((*buf = realloc(*buf, *cap)) == NULL)
			fatal("realloc");
	}
	memcpy(*buf, line, len - 1);
	snprintf(*buf + len - 1, *cap - (len - 1), ",\"seq\":%" PRId64 "}", seq);
}

static bool
hears(const struct subscriber *sb, const struct ring_entry *e)
{
	if (!(sb->sb_topics & (1u << e->re_topic)))
		return false;
	if (!e->re_audience || (e->re_roles & ROLE_BIT(sb->sb_role)))
		return true;
	return sb->sb_staff[0] != '\0' && (strcmp(sb->sb_staff, e->re_staff[0]) == 0 ||
	    strcmp(sb->sb_staff, e->re_staff[1]) == 0);
}

void
publish_to(enum topic t, const char *line, const struct audience *au)
{
	struct subscriber	*sb, *next;
	struct ring_entry	*e;
	int			 i;

	if (pub_store != NULL && pub_seq >= pub_reserved && !pub_unreserved_logged) {
		/* The database refused the reservations; the numbers go on. */
		log_warnx("event=fault component=event_seq seq=%" PRId64 " reserved=%" PRId64,
		    pub_seq + 1, pub_reserved);
		pub_unreserved_logged = true;
	}
	e = ring_at(++pub_seq);
	if (!pub_in_group)
		metrics_events_published(1);	/* else once its group commits */
	if (pub_held < PUBLISH_RING)
		pub_held++;
	with_seq(&e->re_line, &e->re_cap, line, pub_seq);
	e->re_seq = pub_seq;
	e->re_topic = t;
	e->re_audience = au != NULL;
	e->re_roles = au != NULL ? au->au_roles : 0;
	for (i = 0; i < 2; i++)
		snprintf(e->re_staff[i], sizeof e->re_staff[i], "%s",
		    au != NULL && au->au_staff[i] != NULL ? au->au_staff[i] : "");
	/* A deliver function may remove its own subscriber (a slow reader). */
	for (sb = pub_subscribers; sb != NULL; sb = next) {
		next = sb->sb_next;
		if (!sb->sb_pending && hears(sb, e))
			sb->sb_deliver(sb, e->re_line);
	}
}

void
publish(enum topic t, const char *line)
{
	publish_to(t, line, NULL);
}

/* ---- subscribing, and replays ---- */

/*
 * What a subscriber is owed from after `after`: the events it may hear that
 * the ring still holds, then the state of each topic that has one (the
 * lanes), numbered as the last event.  The subscriber may go on the way
 * (a slow reader): then nothing more.
 */
static void
catch_up(struct subscriber *sb, int64_t after)
{
	char	*buf = NULL, *state;
	size_t	 cap = 0;
	int64_t	 s;
	int	 t;

	pub_catching = sb;
	pub_catching_gone = false;
	s = after + 1 > ring_first() ? after + 1 : ring_first();
	for (; s <= pub_seq && !pub_catching_gone; s++)
		if (hears(sb, ring_at(s)))
			sb->sb_deliver(sb, ring_at(s)->re_line);
	for (t = 0; t < TOPIC__COUNT && !pub_catching_gone; t++) {
		if (!(sb->sb_topics & (1u << t)) || pub_state[t].ts_line == NULL)
			continue;
		state = pub_state[t].ts_line(pub_state[t].ts_arg);
		with_seq(&buf, &cap, state, pub_seq);
		free(state);
		sb->sb_deliver(sb, buf);
	}
	free(buf);
	pub_catching = NULL;
}

/* The bytes a replay after `after` would send this subscriber. */
static size_t
replay_bytes(const struct subscriber *sb, int64_t after)
{
	size_t	n = 0;
	int64_t	s;

	for (s = after + 1; s <= pub_seq; s++)
		if (hears(sb, ring_at(s)))
			n += strlen(ring_at(s)->re_line) + 1;
	return n;
}

int64_t
subscriber_start(struct subscriber *sb, int64_t since, bool *reset)
{
	int64_t	committed = publish_seq(), after = committed;

	*reset = false;
	if (since >= 0) {
		/* Not one of ours (a future number: another database, or one
		 * restored), older than the ring, or more than the transport
		 * would let the subscriber hold: start afresh. */
		if (since > committed || since < ring_first() - 1 ||
		    (sb->sb_replay_limit > 0 && replay_bytes(sb, since) > sb->sb_replay_limit))
			*reset = true;
		else
			after = since;
	}
	if (!pub_in_group) {
		catch_up(sb, after);
		return committed;
	}
	/* Events of the open group are not yet sure to have happened: the
	 * replay waits for its end (publish_group_done), and so do live
	 * events, which the replay then holds in order. */
	sb->sb_replay_after = after;
	if (!sb->sb_pending) {
		if (pub_npending == pub_cappending) {
			pub_cappending = pub_cappending ? 2 * pub_cappending : 16;
			if ((pub_pending = reallocarray(pub_pending, pub_cappending,
			    sizeof *pub_pending)) == NULL)
				fatal("reallocarray");
		}
		pub_pending[pub_npending++] = sb;
		sb->sb_pending = true;
	}
	return committed;
}

/* ---- the group commit ---- */

void
publish_group_opened(void)
{
	if (pub_in_group)
		return;
	pub_in_group = true;
	pub_mark_seq = pub_seq;
	pub_mark_held = pub_held;
	pub_mark_reserved = pub_reserved;
}

void
publish_group_done(bool committed)
{
	struct subscriber	*sb;
	int64_t			 dropped;

	if (!pub_in_group)
		return;
	pub_in_group = false;
	if (committed) {
		metrics_events_published((uint64_t)(pub_seq - pub_mark_seq));
	} else {
		/* Its events were dropped on every outlet: their numbers go
		 * back, as its reservation did in the database.  The ring
		 * slots they took lost what they held. */
		dropped = pub_seq - pub_mark_seq;
		pub_held = pub_held > dropped ? pub_held - dropped : 0;
		if (pub_held > pub_mark_held)
			pub_held = pub_mark_held;
		pub_seq = pub_mark_seq;
		pub_reserved = pub_mark_reserved;
	}
	while (pub_npending > 0) {
		sb = pub_pending[--pub_npending];
		sb->sb_pending = false;
		catch_up(sb, sb->sb_replay_after);
	}
}

/* ---- the sequence across restarts ---- */

static int
reserve_writes(struct store *s, void *arg)
{
	char	value[32];

	snprintf(value, sizeof value, "%" PRId64, *(const int64_t *)arg);
	return store_setting_set(s, SEQ_SETTING, value);
}

static int
reserve(int64_t upto)
{
	if (store_write(pub_store, reserve_writes, &upto, NULL, NULL) == -1)
		return -1;
	pub_reserved = upto;
	pub_unreserved_logged = false;
	return 0;
}

void
publish_reserve(void)
{
	if (pub_store == NULL || pub_reserved - pub_seq > PUBLISH_SEQ_BLOCK / 2)
		return;
	if (reserve((pub_seq > pub_reserved ? pub_seq : pub_reserved) + PUBLISH_SEQ_BLOCK) == -1)
		log_warnx("event=fault component=event_seq error=%s",
		    log_str(store_errmsg(pub_store)));
}

int
publish_open(struct store *s, char *err, size_t errlen)
{
	char		*v = NULL, *end;
	long long	 n = 0;

	publish_close();
	if (store_setting_get(s, SEQ_SETTING, &v) == -1) {
		snprintf(err, errlen, "cannot read %s: %s", SEQ_SETTING, store_errmsg(s));
		return -1;
	}
	if (v != NULL && ((n = strtoll(v, &end, 10)) < 0 || *end != '\0' || end == v))
		fatalx("database: setting %s is not a number: %s", SEQ_SETTING, v);
	free(v);
	/* Every number up to the last reservation may have been used. */
	pub_store = s;
	pub_seq = pub_reserved = (int64_t)n;
	if (reserve(pub_seq + PUBLISH_SEQ_BLOCK) == -1) {
		snprintf(err, errlen, "cannot reserve event numbers: %s", store_errmsg(s));
		pub_store = NULL;
		return -1;
	}
	return 0;
}

/* The ring emptied and the sequence at 0; subscribers stay. */
void
publish_close(void)
{
	size_t	i;

	while (pub_npending > 0)
		pub_pending[--pub_npending]->sb_pending = false;
	for (i = 0; i < PUBLISH_RING; i++) {
		free(pub_ring[i].re_line);
		pub_ring[i].re_line = NULL;
		pub_ring[i].re_cap = 0;
	}
	free(pub_pending);
	pub_pending = NULL;
	pub_npending = pub_cappending = 0;
	pub_seq = pub_held = pub_reserved = 0;
	pub_in_group = false;
	pub_store = NULL;
	pub_unreserved_logged = false;
}
