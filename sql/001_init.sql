-- branchq schema, version 1: tickets, their history, windows, settings.
-- Times are integer seconds since the Unix epoch (UTC, daemon clock); money
-- is integer fen.  Applied by branchqd at start-up, recorded in
-- schema_migrations.

CREATE TABLE settings (
	key	TEXT PRIMARY KEY,
	value	TEXT NOT NULL
) STRICT;

-- DOMAIN §2: a number is never issued twice in a day, crash or not: the
-- sequence moves in the same transaction as the ticket it numbers.
CREATE TABLE lane_sequences (
	business_date	TEXT NOT NULL,
	lane		TEXT NOT NULL,
	last_seq	INTEGER NOT NULL,
	PRIMARY KEY (business_date, lane)
) STRICT, WITHOUT ROWID;

CREATE TABLE tickets (
	id		INTEGER PRIMARY KEY,
	business_date	TEXT NOT NULL,
	number		TEXT NOT NULL,
	lane		TEXT NOT NULL,		-- current lane
	issue_lane	TEXT NOT NULL,		-- lane chosen at issue
	status		TEXT NOT NULL,
	service		TEXT NOT NULL,
	amount_fen	INTEGER,		-- NULL for services without an amount
	loose_cash	INTEGER NOT NULL,
	vip		INTEGER NOT NULL,
	needs_assistance INTEGER NOT NULL,
	accessibility	TEXT,
	priority	INTEGER NOT NULL,
	eligible	INTEGER NOT NULL,	-- within a diversion threshold by amount
	route_rule	TEXT NOT NULL,
	issued_at	INTEGER NOT NULL,	-- original issue time: orders the lane
	queued_at	INTEGER NOT NULL,	-- when it last joined a lane
	called_at	INTEGER,
	started_at	INTEGER,
	finished_at	INTEGER,
	window		INTEGER,
	recalls		INTEGER NOT NULL DEFAULT 0,
	staff		TEXT,
	UNIQUE (business_date, number)
) STRICT;
CREATE INDEX tickets_open ON tickets (status) WHERE status IN ('diverted', 'waiting', 'called', 'serving');
CREATE INDEX tickets_done ON tickets (lane, finished_at) WHERE status = 'done';

-- Append-only history of every ticket: who did what, when.  Waiting and
-- service times are computed from it.
CREATE TABLE ticket_events (
	id		INTEGER PRIMARY KEY,
	ticket_id	INTEGER NOT NULL REFERENCES tickets (id),
	at		INTEGER NOT NULL,
	kind		TEXT NOT NULL,		-- issued, called, recalled, no_show, ...
	terminal	TEXT,
	staff		TEXT,
	window		INTEGER,
	from_lane	TEXT,
	to_lane		TEXT,
	reason		TEXT
) STRICT;
CREATE INDEX ticket_events_ticket ON ticket_events (ticket_id);
CREATE TRIGGER ticket_events_no_update BEFORE UPDATE ON ticket_events
BEGIN SELECT RAISE(ABORT, 'ticket_events is append-only'); END;
CREATE TRIGGER ticket_events_no_delete BEFORE DELETE ON ticket_events
BEGIN SELECT RAISE(ABORT, 'ticket_events is append-only'); END;

-- Staffed windows.  A window belongs to a terminal id, not a connection, so
-- it survives disconnects and restarts.
CREATE TABLE windows (
	number		INTEGER PRIMARY KEY,
	terminal	TEXT NOT NULL UNIQUE,
	staff		TEXT NOT NULL,
	lanes		TEXT NOT NULL,		-- comma-separated, in serving order
	paused		INTEGER NOT NULL,
	current_ticket	INTEGER REFERENCES tickets (id),
	opened_at	INTEGER NOT NULL
) STRICT;
