-- branchq schema, version 13: personal data kept no longer than needed
-- (PIPL; docs/SECURITY.md "Personal data and retention", src/retention.c).
-- A complaint closed longer ago than retention_days loses its customer's
-- name and phone and its survey's reason; a survey that opened no complaint
-- loses its reason the same time after it was given.  The complaint, its
-- history and every figure stay.

-- When the daemon erased the row's personal data: NULL while it holds it.
-- It tells an erased complaint from one logged without a customer, and
-- makes a second run skip what the first did.
ALTER TABLE complaints ADD COLUMN erased_at INTEGER;
ALTER TABLE surveys ADD COLUMN erased_at INTEGER;

-- The complaints to erase next, oldest closed first: an index of the
-- closed complaints not yet erased, so that each batch reads its rows
-- and no more.  Erased ones leave it.
CREATE INDEX complaints_to_erase ON complaints (closed_at)
	WHERE state = 'closed' AND erased_at IS NULL;
-- The surveys that opened no complaint and still hold a reason.
CREATE INDEX surveys_to_erase ON surveys (at)
	WHERE complaint_id IS NULL AND reason IS NOT NULL;

-- A webhook body holds the complaint as its receivers see it, the
-- customer unmasked, and a detractor's reason: each outbox row now names
-- its complaint so that retention finds its bodies by index.  Every body
-- written so far carries it as "complaint"."id".
ALTER TABLE outbox ADD COLUMN complaint_id INTEGER REFERENCES complaints (id);
UPDATE outbox SET complaint_id = json_extract(body, '$.complaint.id')
	WHERE json_valid(body) AND json_extract(body, '$.complaint.id') IN (SELECT id FROM complaints);
CREATE INDEX outbox_complaint ON outbox (complaint_id) WHERE complaint_id IS NOT NULL;

-- A request key's fingerprint is a SHA-256 of its request's fields, the
-- customer's name and phone or the survey's reason among them: a phone
-- number can be found again from it by trying them all.  Past its business
-- day a key is never looked up again, so retention blanks it.  These find a
-- complaint's keys and a survey's.
CREATE INDEX request_keys_complaint ON request_keys (complaint_id)
	WHERE complaint_id IS NOT NULL;
CREATE INDEX request_keys_survey ON request_keys (ticket_id) WHERE op = 'survey.submit';
