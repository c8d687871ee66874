-- branchq schema, version 7: what issue 15 (PROTOCOL "Version 1.1: vendor
-- and supervisor") needs of the tables.

-- A reopened complaint loses its resolution, resolved_at and root cause
-- (followup.record unsatisfied); its history keeps them.  The resolution
-- and its time were already on the `resolved` line (note, at); the root
-- cause is kept there now.  The lines written before this migration get
-- it where the complaint still holds it: its last `resolved` line.
ALTER TABLE complaint_actions ADD COLUMN root_cause TEXT;	-- resolved: value, system, ...
DROP TRIGGER complaint_actions_no_update;
UPDATE complaint_actions SET root_cause =
	(SELECT c.root_cause FROM complaints c WHERE c.id = complaint_actions.complaint_id)
	WHERE kind = 'resolved' AND id = (SELECT max(a.id) FROM complaint_actions a
	    WHERE a.complaint_id = complaint_actions.complaint_id AND a.kind = 'resolved');
CREATE TRIGGER complaint_actions_no_update BEFORE UPDATE ON complaint_actions
BEGIN SELECT RAISE(ABORT, 'complaint_actions is append-only'); END;

-- The day end leaves no ticket open: one still called becomes no_show,
-- one still serving done, a waiting or diverted one expired, as before.
-- closed_by says the day end closed it ('day_end'), NULL otherwise: a
-- service it cut off spans the night and counts in no statistic or
-- estimate.  Every ticket expired so far was expired by the day end.
ALTER TABLE tickets ADD COLUMN closed_by TEXT;
UPDATE tickets SET closed_by = 'day_end' WHERE status = 'expired';

-- A ticket's wait (issue to first call) counts in the lane it was first
-- called from, where it waited: a ticket transferred later is counted
-- there, not in the lane it was sent to.  Set at the first call; for the
-- tickets called before, the lane its first transfer took it from (a
-- called ticket changes lane only by a transfer), else its lane.
ALTER TABLE tickets ADD COLUMN first_called_lane TEXT;
UPDATE tickets SET first_called_lane = coalesce(
	(SELECT e.from_lane FROM ticket_events e WHERE e.ticket_id = tickets.id
	    AND e.kind = 'transferred' ORDER BY e.id LIMIT 1), lane)
	WHERE first_called_at IS NOT NULL;
