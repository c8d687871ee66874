-- branchq schema, version 9: the history the supervisor's reports need that
-- was overwritten until now (issue 15, docs/PROTOCOL.md "Reports").
--
-- The windows table holds each window as it is; its history (opened,
-- paused, resumed, lanes changed, closed) is what per-teller paused and idle
-- time is computed from.  The self-service switch was one setting; its
-- history gives the time the zone was marked out of order.  Both tables are
-- append-only and written in the same transaction as the change they record.

CREATE TABLE window_events (
	id		INTEGER PRIMARY KEY,
	window		INTEGER NOT NULL,
	at		INTEGER NOT NULL,
	kind		TEXT NOT NULL,		-- opened, lanes, paused, resumed, closed
	state		TEXT NOT NULL,		-- the window after it: open, paused, closed
	terminal	TEXT NOT NULL,
	staff		TEXT NOT NULL,
	lanes		TEXT NOT NULL		-- comma-separated, in serving order
) STRICT;
-- A report reads each window's state at the start of its range and the
-- events within it.
CREATE INDEX window_events_window ON window_events (window, at);
CREATE TRIGGER window_events_no_update BEFORE UPDATE ON window_events
BEGIN SELECT RAISE(ABORT, 'window_events is append-only'); END;
CREATE TRIGGER window_events_no_delete BEFORE DELETE ON window_events
BEGIN SELECT RAISE(ABORT, 'window_events is append-only'); END;

CREATE TABLE selfservice_events (
	id		INTEGER PRIMARY KEY,
	at		INTEGER NOT NULL,
	available	INTEGER NOT NULL,	-- 0: marked out of order
	terminal	TEXT,
	staff		TEXT
) STRICT;
CREATE INDEX selfservice_events_at ON selfservice_events (at);
CREATE TRIGGER selfservice_events_no_update BEFORE UPDATE ON selfservice_events
BEGIN SELECT RAISE(ABORT, 'selfservice_events is append-only'); END;
CREATE TRIGGER selfservice_events_no_delete BEFORE DELETE ON selfservice_events
BEGIN SELECT RAISE(ABORT, 'selfservice_events is append-only'); END;

-- What is known at the upgrade: the windows open now (since they opened),
-- a window paused now and the zone out of order now (since the upgrade, on
-- the machine's clock: when they began was not kept).
INSERT INTO window_events (window, at, kind, state, terminal, staff, lanes)
	SELECT number, opened_at, 'opened', 'open', terminal, staff, lanes FROM windows;
INSERT INTO window_events (window, at, kind, state, terminal, staff, lanes)
	SELECT number, max(opened_at, unixepoch()), 'paused', 'paused', terminal, staff, lanes
	FROM windows WHERE paused = 1;
INSERT INTO selfservice_events (at, available)
	SELECT unixepoch(), 0 FROM settings
	WHERE key = 'self_service_available' AND value = '0';

-- report.followups shows each complaint's last follow-up, and the score of
-- the survey that opened it.
CREATE INDEX complaint_actions_followup_of ON complaint_actions (complaint_id)
	WHERE kind = 'followup';
CREATE INDEX surveys_complaint ON surveys (complaint_id) WHERE complaint_id IS NOT NULL;

-- The tickets ever transferred: the only ones a window can call more than
-- once, whose visits report.summary reads from their history (a few
-- thousand a year); every other visit is read from the ticket's own row.
-- Its condition is one equality, checked on each history line written.
CREATE INDEX ticket_events_transferred ON ticket_events (ticket_id) WHERE kind = 'transferred';

-- The reroutes' lanes and reasons in their partial index (sql/002 had the
-- ticket alone), so that report.summary counts a year's reroutes by reason
-- from the index without touching the table.
DROP INDEX ticket_events_rerouted;
CREATE INDEX ticket_events_rerouted ON ticket_events (ticket_id, from_lane, reason)
	WHERE kind = 'rerouted';
