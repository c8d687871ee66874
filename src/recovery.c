/*
 * Service-recovery rules (DOMAIN §3, §4): the complaint state machine, the
 * 24-hour follow-up deadline, authority limits, NPS and masking.  Pure: a
 * function of its arguments, so unit tests reach every boundary.
 */
#include <stdio.h>
#include <string.h>

#include "branchq.h"

const char *const complaint_categories[COMPLAINT_CATEGORIES + 1] = {
	"wait_time", "staff_attitude", "transaction_error", "fees", "self_service_machine",
	"system_outage", "product", "environment", [CATEGORY_OTHER] = "other", NULL
};
const char *const complaint_channels[] = {
	"counter", "lobby", "phone", "letter", "online", NULL
};
const char *const action_kinds[] = {	/* enum complaint_step order, up to STEP_NOTE */
	"apology", "explanation", "remedy", "compensation", "customer_update", "note", NULL
};
/* DOMAIN §3 (S1): the bank's offer, its systems, its people; or neither. */
const char *const root_causes[] = {
	"value", "system", "personnel", "customer", "external", NULL
};
const char *const followup_outcomes[] = {
	"satisfied", "unsatisfied", "unreachable", NULL
};

static const char *const state_names[CS__COUNT] = { "open", "resolved", "closed" };

static const char *const step_kinds[STEP__COUNT] = {
	[STEP_APOLOGY] = "apology",
	[STEP_EXPLANATION] = "explanation",
	[STEP_REMEDY] = "remedy",
	[STEP_COMPENSATION] = "compensation",
	[STEP_CUSTOMER_UPDATE] = "customer_update",
	[STEP_NOTE] = "note",
	[STEP_LOGGED] = "logged",
	[STEP_REASSIGNED] = "reassigned",
	[STEP_RESOLVED] = "resolved",
	[STEP_OVERDUE] = "overdue",
	[STEP_FOLLOWUP_SATISFIED] = "followup",
	[STEP_FOLLOWUP_UNSATISFIED] = "followup",
	[STEP_FOLLOWUP_UNREACHABLE] = "followup",
};

const char *
complaint_state_name(enum complaint_state st)
{
	return st < CS__COUNT ? state_names[st] : NULL;
}

int
complaint_state_from_name(const char *name)
{
	int	i;

	for (i = 0; name != NULL && i < CS__COUNT; i++)
		if (strcmp(state_names[i], name) == 0)
			return i;
	return -1;
}

const char *
complaint_step_kind(enum complaint_step step)
{
	return step < STEP__COUNT ? step_kinds[step] : NULL;
}

/*
 * Recovery steps and follow-ups apply while the complaint is not closed; it
 * is resolved once; a satisfied customer closes the loop; an unsatisfied one
 * reopens it (DOMAIN §3).
 */
int
complaint_next_state(enum complaint_state st, enum complaint_step step)
{
	if (st >= CS__COUNT || step >= STEP__COUNT || st == CS_CLOSED)
		return -1;
	switch (step) {
	case STEP_RESOLVED:
		return st == CS_OPEN ? CS_RESOLVED : -1;
	case STEP_FOLLOWUP_SATISFIED:
		return CS_CLOSED;
	case STEP_FOLLOWUP_UNSATISFIED:
		return CS_OPEN;
	case STEP_LOGGED:
		return -1;	/* only ever the first line */
	default:
		return (int)st;
	}
}

int64_t
followup_due_at(int64_t from_at, int follow_up_hours)
{
	return from_at + (int64_t)follow_up_hours * 3600;
}

bool
followup_on_time(int64_t at, int64_t due_at)
{
	return at <= due_at;
}

bool
authority_allows(int64_t limit_fen, int64_t paid_fen, int64_t amount_fen)
{
	/* Written so that no sum can overflow. */
	return amount_fen > 0 && paid_fen >= 0 && paid_fen <= limit_fen &&
	    amount_fen <= limit_fen - paid_fen;
}

/* DOMAIN §4: 0-6 detractors, 7-8 passives, 9-10 promoters. */
enum nps_class
nps_class(int score)
{
	if (score <= 6)
		return NPS_DETRACTOR;
	return score <= 8 ? NPS_PASSIVE : NPS_PROMOTER;
}

double
nps_score(int64_t promoters, int64_t passives, int64_t detractors)
{
	int64_t	n = promoters + passives + detractors;

	if (n <= 0)
		return 0;
	return 100.0 * (double)(promoters - detractors) / (double)n;
}

void
mask_phone(const char *phone, char *out, size_t len)
{
	size_t	n = strlen(phone), i, keep_head, keep_tail;

	if (len == 0)
		return;
	/* 13812345678 -> 138****5678; shorter numbers keep less. */
	keep_head = n >= 11 ? 3 : n >= 7 ? 2 : 0;
	keep_tail = n >= 11 ? 4 : n >= 7 ? 2 : n > 2 ? 1 : 0;
	for (i = 0; i < n && i + 1 < len; i++)
		out[i] = (i < keep_head || i >= n - keep_tail) ? phone[i] : '*';
	out[i] = '\0';
}

/* Bytes in the UTF-8 sequence that starts with c (1 for a stray byte). */
static size_t
utf8_len(unsigned char c)
{
	if (c >= 0xf0 && c < 0xf8)
		return 4;
	if (c >= 0xe0)
		return c < 0xf0 ? 3 : 1;
	return c >= 0xc0 ? 2 : 1;
}

void
mask_name(const char *name, char *out, size_t len)
{
	size_t	first, n = strlen(name);

	if (len == 0)
		return;
	if (n == 0) {
		out[0] = '\0';
		return;
	}
	/* The first character, whole, then one star: 张三丰 -> 张*, Li Wei -> L*. */
	first = utf8_len((unsigned char)name[0]);
	if (first > n)
		first = 1;
	snprintf(out, len, "%.*s*", (int)first, name);
}
