-- HEADOFFICE.md: the branch's event log, shipped to head office by the
-- relay (src/hq.c).  Every change the branch commits writes one event here
-- in the same transaction: the triggers below fire on the append-only
-- history tables, which every change writes after the row it changed
-- (ticket, complaint, window), so an event carries the entity as it stands
-- after the change, whichever code path made it.  A payload is put together
-- as text around the entity's JSON (the views below): json() around it would
-- parse it again, a quarter of the trigger's time.
--
-- seq comes from AUTOINCREMENT: never reused, also after shipped events are
-- pruned (sqlite_sequence keeps the highest), and contiguous among
-- committed events (a change rolled back rolls its number back too), so
-- head office can refuse any gap.
CREATE TABLE hq_events (
	seq	INTEGER PRIMARY KEY AUTOINCREMENT,
	at	INTEGER NOT NULL,	-- daemon clock, Unix seconds
	kind	TEXT NOT NULL,		-- ticket.called, complaint.overdue, ...
	payload	TEXT NOT NULL		-- a JSON object: docs/HEADOFFICE.md
) STRICT;

-- What head office has acknowledged: every event up to acked_seq.  One row.
CREATE TABLE hq_relay (
	id		INTEGER PRIMARY KEY CHECK (id = 1),
	acked_seq	INTEGER NOT NULL,
	acked_at	INTEGER
) STRICT;
INSERT INTO hq_relay (id, acked_seq, acked_at) VALUES (1, 0, NULL);

-- A ticket as head office sees it: every column, none of them personal.
CREATE VIEW hq_ticket_json (id, doc) AS SELECT id, json_object(
	'id', id, 'business_date', business_date, 'number', number,
	'lane', lane, 'issue_lane', issue_lane, 'status', status, 'service', service,
	'amount_fen', amount_fen,
	'loose_cash', json(CASE WHEN loose_cash THEN 'true' ELSE 'false' END),
	'vip', json(CASE WHEN vip THEN 'true' ELSE 'false' END),
	'needs_assistance', json(CASE WHEN needs_assistance THEN 'true' ELSE 'false' END),
	'accessibility', accessibility, 'priority', priority,
	'eligible', json(CASE WHEN eligible THEN 'true' ELSE 'false' END),
	'route_rule', route_rule, 'issued_at', issued_at, 'queued_at', queued_at,
	'called_at', called_at, 'first_called_at', first_called_at,
	'first_called_lane', first_called_lane, 'started_at', started_at,
	'finished_at', finished_at, 'window', window, 'recalls', recalls, 'staff', staff,
	'closed_by', closed_by)
	FROM tickets;

-- A complaint as head office sees it: no free text (staff type anything
-- into a description, a resolution or a note), and the customer masked
-- as every report masks it (mask_name, mask_phone in src/recovery.c):
-- 张三丰 -> 张*, 13812345678 -> 138****5678; none (or empty): null.
CREATE VIEW hq_complaint_json (id, doc) AS SELECT id, json_object(
	'id', id, 'state', state, 'category', category, 'severity', severity,
	'channel', channel, 'ticket_id', ticket_id, 'ticket_number', ticket_number,
	'customer_name', CASE WHEN coalesce(customer_name, '') = '' THEN NULL
	    ELSE substr(customer_name, 1, 1) || '*' END,
	'customer_phone', CASE WHEN coalesce(customer_phone, '') = '' THEN NULL ELSE
	    substr(customer_phone, 1, h) ||
	    replace(hex(zeroblob(max(n - h - t, 0))), '00', '*') ||
	    CASE WHEN t > 0 AND n > h THEN substr(customer_phone, max(n - t, h) + 1) ELSE '' END
	    END,
	'first_responder', first_responder, 'owner', owner, 'logged_at', logged_at,
	'business_date', business_date, 'follow_up_due', follow_up_due,
	'overdue', json(CASE WHEN overdue THEN 'true' ELSE 'false' END),
	'root_cause', root_cause, 'resolved_at', resolved_at, 'closed_at', closed_at,
	'compensation_fen', compensation_fen)
	FROM (SELECT *, length(customer_phone) AS n,
	    CASE WHEN length(customer_phone) >= 11 THEN 3
	    WHEN length(customer_phone) >= 7 THEN 2 ELSE 0 END AS h,
	    CASE WHEN length(customer_phone) >= 11 THEN 4
	    WHEN length(customer_phone) >= 7 THEN 2
	    WHEN length(customer_phone) > 2 THEN 1 ELSE 0 END AS t
	    FROM complaints);

CREATE VIEW hq_survey_json (id, doc) AS SELECT id, json_object(
	'id', id, 'ticket_id', ticket_id, 'score', score, 'business_date', business_date,
	'complaint_id', complaint_id)
	FROM surveys;

CREATE TRIGGER hq_ticket_event AFTER INSERT ON ticket_events
BEGIN
	INSERT INTO hq_events (at, kind, payload) VALUES (NEW.at, 'ticket.' || NEW.kind,
	    '{"ticket":' || (SELECT doc FROM hq_ticket_json WHERE id = NEW.ticket_id) ||
	    ',"event":' || json_object('terminal', NEW.terminal, 'staff', NEW.staff,
	    'window', NEW.window, 'from_lane', NEW.from_lane, 'to_lane', NEW.to_lane,
	    'reason', NEW.reason) || '}');
END;

CREATE TRIGGER hq_complaint_action AFTER INSERT ON complaint_actions
BEGIN
	INSERT INTO hq_events (at, kind, payload) VALUES (NEW.at, 'complaint.' || NEW.kind,
	    '{"complaint":' || (SELECT doc FROM hq_complaint_json WHERE id = NEW.complaint_id) ||
	    ',"action":' || json_object('actor', NEW.actor, 'amount_fen', NEW.amount_fen,
	    'to_staff', NEW.to_staff, 'outcome', NEW.outcome,
	    'on_time', json(CASE WHEN NEW.on_time IS NULL THEN 'null'
	        WHEN NEW.on_time THEN 'true' ELSE 'false' END),
	    'root_cause', NEW.root_cause) || '}');
END;

-- The survey's reason is free text: never shipped.
CREATE TRIGGER hq_survey AFTER INSERT ON surveys
BEGIN
	INSERT INTO hq_events (at, kind, payload) VALUES (NEW.at, 'survey.submitted',
	    '{"survey":' || (SELECT doc FROM hq_survey_json WHERE id = NEW.id) || '}');
END;

CREATE TRIGGER hq_window_event AFTER INSERT ON window_events
BEGIN
	INSERT INTO hq_events (at, kind, payload) VALUES (NEW.at, 'window.' || NEW.kind,
	    json_object('window', json_object('number', NEW.window, 'state', NEW.state,
	    'terminal', NEW.terminal, 'staff', NEW.staff, 'lanes', NEW.lanes)));
END;

CREATE TRIGGER hq_selfservice_event AFTER INSERT ON selfservice_events
BEGIN
	INSERT INTO hq_events (at, kind, payload) VALUES (NEW.at,
	    CASE WHEN NEW.available THEN 'selfservice.available' ELSE 'selfservice.unavailable' END,
	    json_object('available', json(CASE WHEN NEW.available THEN 'true' ELSE 'false' END),
	    'terminal', NEW.terminal, 'staff', NEW.staff));
END;

-- A branch upgraded to this version has history from before the log.  It
-- ships, as snapshots, what head office needs to see it as it stands: the
-- tickets, complaints and surveys of its last 31 business days (up to its
-- newest ticket's) and every complaint not yet closed, in the order they
-- happened.  Older days stay at the branch (its own reports cover them).
INSERT INTO hq_events (at, kind, payload)
SELECT at, kind, payload FROM (
	SELECT t.issued_at AS at, 0 AS k, t.id AS id, 'ticket.snapshot' AS kind,
	    json_object('ticket', json(j.doc)) AS payload
	FROM tickets t JOIN hq_ticket_json j ON j.id = t.id
	WHERE t.business_date >= (SELECT date(max(business_date), '-31 days') FROM tickets)
	UNION ALL
	SELECT c.logged_at, 1, c.id, 'complaint.snapshot', json_object('complaint', json(j.doc))
	FROM complaints c JOIN hq_complaint_json j ON j.id = c.id
	WHERE c.state != 'closed'
	    OR c.business_date >= (SELECT date(max(business_date), '-31 days') FROM tickets)
	UNION ALL
	SELECT s.at, 2, s.id, 'survey.submitted', json_object('survey', json(j.doc))
	FROM surveys s JOIN hq_survey_json j ON j.id = s.id
	WHERE s.business_date >= (SELECT date(max(business_date), '-31 days') FROM tickets)
)
ORDER BY at, k, id;
