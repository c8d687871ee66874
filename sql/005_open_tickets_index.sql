-- The partial index of open tickets, with its condition written as
-- comparisons.  SQLite evaluates an index's condition on every insert and
-- on the old and new row of every update; an IN list of more than two
-- values is built into a temporary b-tree each time, about a third of the
-- work of issuing a ticket (docs/PERFORMANCE.md).  The start-up query
-- (ST_LOAD_TICKETS in src/store.c) spells the condition the same way, so
-- that SQLite can see the index covers it.
DROP INDEX tickets_open;
CREATE INDEX tickets_open ON tickets (status)
	WHERE status = 'diverted' OR status = 'waiting' OR status = 'called' OR status = 'serving';
