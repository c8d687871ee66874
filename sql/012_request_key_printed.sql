-- PROTOCOL "Kiosk printers": a ticket.issue retried with its request_key
-- returns the first reply's "printed" (true or false) as it was, and
-- prints nothing again.  NULL: the ticket's terminal had no printer (the
-- reply had no "printed"), or the key was not a ticket.issue's.
ALTER TABLE request_keys ADD COLUMN printed INTEGER CHECK (printed IN (0, 1));
