-- Daily ticket numbers are now read from the tickets themselves (the
-- highest number of the day in the lane, once per lane and day, then kept in
-- memory: queue_last_seq in src/queue.c), so that issuing a ticket writes
-- one row less.  The per-lane counters held the same figures.
DROP TABLE lane_sequences;
