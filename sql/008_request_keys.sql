-- PROTOCOL 1.1 request_key: a ticket.issue, complaint.log or survey.submit
-- retried with the same key, from the same terminal, on the same business
-- day, returns the first reply and creates nothing.  One row per key used,
-- written in the transaction of what its request created, so that a retry
-- after a restart finds it too.
CREATE TABLE request_keys (
	terminal	TEXT NOT NULL,
	business_date	TEXT NOT NULL,
	request_key	TEXT NOT NULL,
	op		TEXT NOT NULL,
	fingerprint	TEXT NOT NULL,		-- SHA-256 of the request's fields (fields.c)
	ticket_id	INTEGER REFERENCES tickets (id),	-- the ticket issued or surveyed
	complaint_id	INTEGER REFERENCES complaints (id),	-- the complaint logged or opened
	created_at	INTEGER NOT NULL,
	PRIMARY KEY (terminal, business_date, request_key)
) STRICT, WITHOUT ROWID;
