-- branchq schema, version 2: service recovery (DOMAIN §3-§5): complaints,
-- their append-only history, surveys, and the outbox of webhook events.

-- The first call of a ticket ends its wait (DOMAIN §2); kept on the row so
-- that reports over a year of tickets need no join with ticket_events.
ALTER TABLE tickets ADD COLUMN first_called_at INTEGER;
UPDATE tickets SET first_called_at =
	(SELECT min(at) FROM ticket_events e WHERE e.ticket_id = tickets.id AND e.kind = 'called');

CREATE TABLE complaints (
	id		INTEGER PRIMARY KEY,
	state		TEXT NOT NULL,		-- open, resolved, closed
	category	TEXT NOT NULL,
	severity	INTEGER NOT NULL CHECK (severity BETWEEN 1 AND 3),
	channel		TEXT NOT NULL,
	description	TEXT NOT NULL,
	ticket_id	INTEGER REFERENCES tickets (id),
	ticket_number	TEXT,
	customer_name	TEXT,
	customer_phone	TEXT,
	first_responder	TEXT NOT NULL,		-- DOMAIN §3: recorded for ever
	owner		TEXT NOT NULL,
	logged_at	INTEGER NOT NULL,
	business_date	TEXT NOT NULL,
	follow_up_due	INTEGER NOT NULL,
	overdue		INTEGER NOT NULL DEFAULT 0,
	resolution	TEXT,
	root_cause	TEXT,
	resolved_at	INTEGER,
	closed_at	INTEGER,
	compensation_fen INTEGER NOT NULL DEFAULT 0
) STRICT;
-- The next deadline to watch: the smallest due of complaints not yet overdue.
CREATE INDEX complaints_due ON complaints (follow_up_due)
	WHERE state != 'closed' AND overdue = 0;
CREATE INDEX complaints_open ON complaints (state, follow_up_due);
CREATE INDEX complaints_date ON complaints (business_date);

-- Every step taken on a complaint, with who and when (DOMAIN §3).
CREATE TABLE complaint_actions (
	id		INTEGER PRIMARY KEY,
	complaint_id	INTEGER NOT NULL REFERENCES complaints (id),
	kind		TEXT NOT NULL,	-- logged, apology, ..., reassigned, resolved, followup, overdue
	actor		TEXT,		-- staff id; NULL for the daemon itself
	at		INTEGER NOT NULL,
	business_date	TEXT NOT NULL,
	note		TEXT,
	amount_fen	INTEGER,	-- compensation
	to_staff	TEXT,		-- reassigned
	outcome		TEXT,		-- followup: satisfied, unsatisfied, unreachable
	on_time		INTEGER		-- followup: before the deadline
) STRICT;
CREATE INDEX complaint_actions_complaint ON complaint_actions (complaint_id);
CREATE INDEX complaint_actions_date ON complaint_actions (business_date, kind);
CREATE TRIGGER complaint_actions_no_update BEFORE UPDATE ON complaint_actions
BEGIN SELECT RAISE(ABORT, 'complaint_actions is append-only'); END;
CREATE TRIGGER complaint_actions_no_delete BEFORE DELETE ON complaint_actions
BEGIN SELECT RAISE(ABORT, 'complaint_actions is append-only'); END;

-- DOMAIN §4: one answer per served ticket.
CREATE TABLE surveys (
	id		INTEGER PRIMARY KEY,
	ticket_id	INTEGER NOT NULL UNIQUE REFERENCES tickets (id),
	score		INTEGER NOT NULL CHECK (score BETWEEN 0 AND 10),
	reason		TEXT,
	at		INTEGER NOT NULL,
	business_date	TEXT NOT NULL,
	complaint_id	INTEGER REFERENCES complaints (id)
) STRICT;
CREATE INDEX surveys_date ON surveys (business_date);

-- Webhook events, written in the same transaction as the change that
-- caused them; delivered by the webhooks module.
CREATE TABLE outbox (
	id		INTEGER PRIMARY KEY,
	event		TEXT NOT NULL,
	body		TEXT NOT NULL,		-- the JSON body, as it will be POSTed
	created_at	INTEGER NOT NULL
) STRICT;
CREATE INDEX ticket_events_rerouted ON ticket_events (ticket_id) WHERE kind = 'rerouted';
