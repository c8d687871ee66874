/*
 * The publisher: pushed events to whoever subscribed to their topic,
 * whatever carries them.  A transport registers each of its sessions as a
 * subscriber with the function that takes an event line for it; events.c
 * publishes.  Neither side knows the other.
 */
#include <string.h>

#include "branchq.h"

static struct subscriber	*pub_subscribers;
static unsigned			 pub_counts[TOPIC__COUNT];

static void
count_topics(unsigned topics, int delta)
{
	int	i;

	for (i = 0; i < TOPIC__COUNT; i++)
		if (topics & (1u << i))
			pub_counts[i] = (unsigned)((int)pub_counts[i] + delta);
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
	count_topics(sb->sb_topics, +1);
}

void
subscriber_remove(struct subscriber *sb)
{
	if (!sb->sb_listed)
		return;
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
subscriber_set_topics(struct subscriber *sb, unsigned topics)
{
	if (sb->sb_listed) {
		count_topics(sb->sb_topics, -1);
		count_topics(topics, +1);
	}
	sb->sb_topics = topics;
}

void
subscriber_send(struct subscriber *sb, const char *line)
{
	if (sb->sb_listed)
		sb->sb_deliver(sb, line);
}

bool
publish_wanted(enum topic t)
{
	return pub_counts[t] > 0;
}

void
publish(enum topic t, const char *line)
{
	struct subscriber	*sb, *next;

	/* A deliver function may remove its own subscriber (a slow reader). */
	for (sb = pub_subscribers; sb != NULL; sb = next) {
		next = sb->sb_next;
		if (sb->sb_topics & (1u << t))
			sb->sb_deliver(sb, line);
	}
}
