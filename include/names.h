/*
 * The names on the wire that more than one program needs: the daemon
 * (branchq.h includes this) and the client (src/client.h) link names.o, so
 * each list has one source.  Nothing here needs more than the C library.
 *
 * Each list is NULL-terminated and indexed by the enum beside it (but
 * accessibility_names, which has no "none"); names.c asserts that every
 * value has a name.
 */
#ifndef NAMES_H
#define NAMES_H

/* Lanes and services: DOMAIN §1, ROUTING.md. */
enum lane { LANE_SELF_SERVICE, LANE_EXPRESS, LANE_COUNTER, LANE_VIP, LANE__COUNT };
enum service {
	SERVICE_CASH_WITHDRAWAL, SERVICE_CASH_DEPOSIT, SERVICE_TRANSFER,
	SERVICE_ACCOUNT_OPENING, SERVICE_CARD_SERVICES, SERVICE_LOAN,
	SERVICE_WEALTH_MANAGEMENT, SERVICE_FOREIGN_EXCHANGE, SERVICE_OTHER,
	SERVICE__COUNT
};
enum accessibility { ACCESS_NONE, ACCESS_WHEELCHAIR, ACCESS_SIGN_LANGUAGE,
	ACCESS_VISUAL, ACCESS_OTHER, ACCESS__COUNT };
extern const char *const lane_names[];		/* NULL-terminated */
extern const char *const service_names[];
extern const char *const accessibility_names[];	/* without "none" */

/* Why a diverted ticket went back to a queue (ticket.reroute's reason). */
#define REROUTE_REASON__COUNT	6
extern const char *const reroute_reasons[];	/* NULL-terminated */

/* What a subscriber can ask to hear about (subscribe's topics). */
enum topic { TOPIC_CALLS, TOPIC_QUEUE, TOPIC_FOLLOWUPS, TOPIC__COUNT };
extern const char *const topic_names[];		/* NULL-terminated */

#endif /* NAMES_H */
