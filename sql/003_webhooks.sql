-- Webhook delivery: one row per event and receiver, written in the same
-- transaction as the event's outbox row (and so as the change that caused
-- it), and every attempt made to deliver it.

CREATE TABLE deliveries (
	id		INTEGER PRIMARY KEY,	-- also the delivery order per receiver
	outbox_id	INTEGER NOT NULL REFERENCES outbox (id),
	receiver	TEXT NOT NULL,		-- the receiver's URL, as configured
	delivery_key	TEXT NOT NULL UNIQUE,	-- X-Branchq-Delivery, the same on every retry
	state		TEXT NOT NULL CHECK (state IN ('pending', 'delivered', 'failed')),
	attempts	INTEGER NOT NULL DEFAULT 0,
	next_at		INTEGER NOT NULL,	-- daemon clock: the next attempt, when pending
	retry_from	INTEGER NOT NULL,	-- retries go on until retry_from + webhook_retry_hours
	last_attempt_at	INTEGER,
	last_status	INTEGER,		-- HTTP status of the last attempt, if one came
	last_error	TEXT,
	delivered_at	INTEGER,
	created_at	INTEGER NOT NULL
) STRICT;
-- The head of each receiver's queue, and the counts the supervisor sees.
CREATE INDEX deliveries_pending ON deliveries (receiver, id) WHERE state = 'pending';
CREATE INDEX deliveries_state ON deliveries (state, id);

CREATE TABLE delivery_attempts (
	id		INTEGER PRIMARY KEY,
	delivery_id	INTEGER NOT NULL REFERENCES deliveries (id),
	at		INTEGER NOT NULL,
	status		INTEGER,		-- HTTP status, NULL when none came
	error		TEXT,			-- NULL on a 2xx
	duration_ms	INTEGER NOT NULL
) STRICT;
CREATE INDEX delivery_attempts_delivery ON delivery_attempts (delivery_id);
