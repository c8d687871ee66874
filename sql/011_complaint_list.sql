-- branchq schema, version 11: complaint.list (PROTOCOL 1.1) shows a teller
-- or the lobby manager the complaints they own or first responded to.
-- Without these the list read every complaint ever logged (or every open
-- one); with them it reads one staff member's, through both indexes
-- (SQLite's OR by union), and sorts that handful.
CREATE INDEX complaints_owner ON complaints (owner);
CREATE INDEX complaints_first_responder ON complaints (first_responder);
