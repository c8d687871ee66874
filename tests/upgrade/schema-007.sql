-- branchqd schema 007, written by commit 7d0d9c03bdb5
-- (tests/upgrade/make-fixture.sh 7 7d0d9c0; see tests/upgrade/README.md)
PRAGMA foreign_keys=OFF;
BEGIN TRANSACTION;
CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL);
INSERT INTO schema_migrations VALUES(1,'001_init',1796536081);
INSERT INTO schema_migrations VALUES(2,'002_recovery',1796536081);
INSERT INTO schema_migrations VALUES(3,'003_webhooks',1796536081);
INSERT INTO schema_migrations VALUES(4,'004_report_indexes',1796536081);
INSERT INTO schema_migrations VALUES(5,'005_open_tickets_index',1796536081);
INSERT INTO schema_migrations VALUES(6,'006_numbering_from_tickets',1796536081);
INSERT INTO schema_migrations VALUES(7,'007_day_end',1796536082);
CREATE TABLE settings (
	key	TEXT PRIMARY KEY,
	value	TEXT NOT NULL
) STRICT;
CREATE TABLE tickets (
	id		INTEGER PRIMARY KEY,
	business_date	TEXT NOT NULL,
	number		TEXT NOT NULL,
	lane		TEXT NOT NULL,		-- current lane
	issue_lane	TEXT NOT NULL,		-- lane chosen at issue
	status		TEXT NOT NULL,
	service		TEXT NOT NULL,
	amount_fen	INTEGER,		-- NULL for services without an amount
	loose_cash	INTEGER NOT NULL,
	vip		INTEGER NOT NULL,
	needs_assistance INTEGER NOT NULL,
	accessibility	TEXT,
	priority	INTEGER NOT NULL,
	eligible	INTEGER NOT NULL,	-- within a diversion threshold by amount
	route_rule	TEXT NOT NULL,
	issued_at	INTEGER NOT NULL,	-- original issue time: orders the lane
	queued_at	INTEGER NOT NULL,	-- when it last joined a lane
	called_at	INTEGER,
	started_at	INTEGER,
	finished_at	INTEGER,
	window		INTEGER,
	recalls		INTEGER NOT NULL DEFAULT 0,
	staff		TEXT, first_called_at INTEGER, closed_by TEXT, first_called_lane TEXT,
	UNIQUE (business_date, number)
) STRICT;
INSERT INTO tickets VALUES(1,'2026-11-23','A001','counter','counter','done','loan',NULL,0,0,0,NULL,0,0,'not_divertible',1795395600,1795395600,1795395840,1795395840,1795396140,1,0,'E1001',1795395840,NULL,'counter');
INSERT INTO tickets VALUES(2,'2026-11-23','A002','express','counter','done','account_opening',NULL,0,0,0,NULL,0,0,'not_divertible',1795395660,1795396230,1795396290,1795396290,1795396530,2,0,'E1002',1795396230,NULL,'counter');
INSERT INTO tickets VALUES(3,'2026-11-23','E001','express','express','no_show','cash_deposit',5000000,0,0,0,NULL,0,0,'express_cash',1795395660,1795395660,1795396140,NULL,1795396230,2,2,'E1002',1795396140,NULL,'express');
INSERT INTO tickets VALUES(4,'2026-11-23','S001','self_service','self_service','diverted','cash_withdrawal',150000,0,0,0,NULL,0,1,'cash_within_threshold',1795395660,1795395660,NULL,NULL,NULL,NULL,0,NULL,NULL,NULL,NULL);
INSERT INTO tickets VALUES(5,'2026-11-23','V001','vip','vip','waiting','wealth_management',NULL,0,1,0,NULL,0,0,'vip',1795395720,1795395720,NULL,NULL,NULL,NULL,0,NULL,NULL,NULL,NULL);
INSERT INTO tickets VALUES(6,'2026-11-23','A003','counter','counter','done','card_services',NULL,0,0,0,NULL,0,0,'not_divertible',1795395720,1795395720,1795396530,1795396530,1795396950,1,0,'E1001',1795396530,NULL,'counter');
INSERT INTO tickets VALUES(7,'2026-11-23','A004','counter','counter','done','foreign_exchange',NULL,0,0,0,NULL,0,0,'not_divertible',1795395720,1795395720,1795397070,1795397070,1795397250,2,0,'E1002',1795397070,NULL,'counter');
INSERT INTO tickets VALUES(8,'2026-11-23','A005','counter','counter','waiting','other',NULL,0,0,0,NULL,0,0,'not_divertible',1795397250,1795397250,NULL,NULL,NULL,NULL,0,NULL,NULL,NULL,NULL);
CREATE TABLE ticket_events (
	id		INTEGER PRIMARY KEY,
	ticket_id	INTEGER NOT NULL REFERENCES tickets (id),
	at		INTEGER NOT NULL,
	kind		TEXT NOT NULL,		-- issued, called, recalled, no_show, ...
	terminal	TEXT,
	staff		TEXT,
	window		INTEGER,
	from_lane	TEXT,
	to_lane		TEXT,
	reason		TEXT
) STRICT;
INSERT INTO ticket_events VALUES(1,1,1795395600,'issued','K01',NULL,NULL,NULL,'counter','not_divertible');
INSERT INTO ticket_events VALUES(2,2,1795395660,'issued','K01',NULL,NULL,NULL,'counter','not_divertible');
INSERT INTO ticket_events VALUES(3,3,1795395660,'issued','K01',NULL,NULL,NULL,'express','express_cash');
INSERT INTO ticket_events VALUES(4,4,1795395660,'issued','K01',NULL,NULL,NULL,'self_service','cash_within_threshold');
INSERT INTO ticket_events VALUES(5,5,1795395720,'issued','K01',NULL,NULL,NULL,'vip','vip');
INSERT INTO ticket_events VALUES(6,6,1795395720,'issued','K01',NULL,NULL,NULL,'counter','not_divertible');
INSERT INTO ticket_events VALUES(7,7,1795395720,'issued','K01',NULL,NULL,NULL,'counter','not_divertible');
INSERT INTO ticket_events VALUES(8,1,1795395840,'called','T01','E1001',1,NULL,NULL,NULL);
INSERT INTO ticket_events VALUES(9,1,1795395840,'started','T01','E1001',1,NULL,NULL,NULL);
INSERT INTO ticket_events VALUES(10,1,1795396140,'completed','T01','E1001',1,NULL,NULL,NULL);
INSERT INTO ticket_events VALUES(11,3,1795396140,'called','T02','E1002',2,NULL,NULL,NULL);
INSERT INTO ticket_events VALUES(12,3,1795396170,'recalled','T02','E1002',2,NULL,NULL,NULL);
INSERT INTO ticket_events VALUES(13,3,1795396200,'recalled','T02','E1002',2,NULL,NULL,NULL);
INSERT INTO ticket_events VALUES(14,3,1795396230,'no_show','T02','E1002',2,NULL,NULL,NULL);
INSERT INTO ticket_events VALUES(15,2,1795396230,'called','T01','E1001',1,NULL,NULL,NULL);
INSERT INTO ticket_events VALUES(16,2,1795396230,'transferred','T01','E1001',1,'counter','express',NULL);
INSERT INTO ticket_events VALUES(17,2,1795396290,'called','T02','E1002',2,NULL,NULL,NULL);
INSERT INTO ticket_events VALUES(18,2,1795396290,'started','T02','E1002',2,NULL,NULL,NULL);
INSERT INTO ticket_events VALUES(19,2,1795396530,'completed','T02','E1002',2,NULL,NULL,NULL);
INSERT INTO ticket_events VALUES(20,6,1795396530,'called','T01','E1001',1,NULL,NULL,NULL);
INSERT INTO ticket_events VALUES(21,6,1795396530,'started','T01','E1001',1,NULL,NULL,NULL);
INSERT INTO ticket_events VALUES(22,6,1795396950,'completed','T01','E1001',1,NULL,NULL,NULL);
INSERT INTO ticket_events VALUES(23,7,1795397070,'called','T02','E1002',2,NULL,NULL,NULL);
INSERT INTO ticket_events VALUES(24,7,1795397070,'started','T02','E1002',2,NULL,NULL,NULL);
INSERT INTO ticket_events VALUES(25,7,1795397250,'completed','T02','E1002',2,NULL,NULL,NULL);
INSERT INTO ticket_events VALUES(26,8,1795397250,'issued','K01',NULL,NULL,NULL,'counter','not_divertible');
CREATE TABLE windows (
	number		INTEGER PRIMARY KEY,
	terminal	TEXT NOT NULL UNIQUE,
	staff		TEXT NOT NULL,
	lanes		TEXT NOT NULL,		-- comma-separated, in serving order
	paused		INTEGER NOT NULL,
	current_ticket	INTEGER REFERENCES tickets (id),
	opened_at	INTEGER NOT NULL
) STRICT;
INSERT INTO windows VALUES(1,'T01','E1001','counter,vip',0,NULL,1795395600);
CREATE TABLE complaints (
	id		INTEGER PRIMARY KEY,
	state		TEXT NOT NULL,		-- open, resolved, closed
	category	TEXT NOT NULL,
	severity	INTEGER NOT NULL CHECK (severity BETWEEN 1 AND 3),
	channel		TEXT NOT NULL,
	description	TEXT NOT NULL,
	ticket_id	INTEGER REFERENCES tickets (id),
	ticket_number	TEXT,
	customer_name	TEXT,
	customer_phone	TEXT,
	first_responder	TEXT NOT NULL,		-- DOMAIN §3: recorded for ever
	owner		TEXT NOT NULL,
	logged_at	INTEGER NOT NULL,
	business_date	TEXT NOT NULL,
	follow_up_due	INTEGER NOT NULL,
	overdue		INTEGER NOT NULL DEFAULT 0,
	resolution	TEXT,
	root_cause	TEXT,
	resolved_at	INTEGER,
	closed_at	INTEGER,
	compensation_fen INTEGER NOT NULL DEFAULT 0
) STRICT;
INSERT INTO complaints VALUES(1,'closed','wait_time',2,'counter','waited 40 minutes',1,'A001','张三丰','+86 138-1234-5678','E1001','E1001',1795397250,'2026-11-23',1795483650,0,'queue rebalanced','value',1795397250,1795397850,0);
INSERT INTO complaints VALUES(2,'open','environment',1,'lobby','the hall is cold',NULL,NULL,NULL,NULL,'E2001','E2001',1795397850,'2026-11-23',1795484250,0,NULL,NULL,NULL,NULL,0);
INSERT INTO complaints VALUES(3,'open','other',1,'survey','slow',6,'A003',NULL,NULL,'E9001','E9001',1795397850,'2026-11-23',1795484250,0,NULL,NULL,NULL,NULL,0);
CREATE TABLE complaint_actions (
	id		INTEGER PRIMARY KEY,
	complaint_id	INTEGER NOT NULL REFERENCES complaints (id),
	kind		TEXT NOT NULL,	-- logged, apology, ..., reassigned, resolved, followup, overdue
	actor		TEXT,		-- staff id; NULL for the daemon itself
	at		INTEGER NOT NULL,
	business_date	TEXT NOT NULL,
	note		TEXT,
	amount_fen	INTEGER,	-- compensation
	to_staff	TEXT,		-- reassigned
	outcome		TEXT,		-- followup: satisfied, unsatisfied, unreachable
	on_time		INTEGER		-- followup: before the deadline
, root_cause TEXT) STRICT;
INSERT INTO complaint_actions VALUES(1,1,'logged','E1001',1795397250,'2026-11-23',NULL,NULL,NULL,NULL,NULL,NULL);
INSERT INTO complaint_actions VALUES(2,1,'apology','E1001',1795397250,'2026-11-23','apologised at the counter',NULL,NULL,NULL,NULL,NULL);
INSERT INTO complaint_actions VALUES(3,1,'resolved','E1001',1795397250,'2026-11-23','queue rebalanced',NULL,NULL,NULL,NULL,'value');
INSERT INTO complaint_actions VALUES(4,1,'followup','E1001',1795397850,'2026-11-23','called back, happy',NULL,NULL,'satisfied',1,NULL);
INSERT INTO complaint_actions VALUES(5,2,'logged','E2001',1795397850,'2026-11-23',NULL,NULL,NULL,NULL,NULL,NULL);
INSERT INTO complaint_actions VALUES(6,2,'explanation','E2001',1795397850,'2026-11-23','heating is being repaired',NULL,NULL,NULL,NULL,NULL);
INSERT INTO complaint_actions VALUES(7,3,'logged',NULL,1795397850,'2026-11-23',NULL,NULL,NULL,NULL,NULL,NULL);
INSERT INTO complaint_actions VALUES(8,3,'customer_update','E9001',1795397850,'2026-11-23','we will call',NULL,NULL,NULL,NULL,NULL);
CREATE TABLE surveys (
	id		INTEGER PRIMARY KEY,
	ticket_id	INTEGER NOT NULL UNIQUE REFERENCES tickets (id),
	score		INTEGER NOT NULL CHECK (score BETWEEN 0 AND 10),
	reason		TEXT,
	at		INTEGER NOT NULL,
	business_date	TEXT NOT NULL,
	complaint_id	INTEGER REFERENCES complaints (id)
) STRICT;
INSERT INTO surveys VALUES(1,6,3,'slow',1795397850,'2026-11-23',3);
INSERT INTO surveys VALUES(2,2,9,NULL,1795397850,'2026-11-23',NULL);
CREATE TABLE outbox (
	id		INTEGER PRIMARY KEY,
	event		TEXT NOT NULL,
	body		TEXT NOT NULL,		-- the JSON body, as it will be POSTed
	created_at	INTEGER NOT NULL
) STRICT;
INSERT INTO outbox VALUES(1,'complaint.logged','{"event":"complaint.logged","branch":"E2E-001","at":"2026-11-23T01:27:30Z","complaint":{"id":1,"state":"open","overdue":false,"owner":"E1001","first_responder":"E1001","category":"wait_time","severity":2,"channel":"counter","description":"waited 40 minutes","logged_at":"2026-11-23T01:27:30Z","follow_up_due":"2026-11-24T01:27:30Z","ticket":"A001","customer":{"name":"张三丰","phone":"+86 138-1234-5678"},"resolution":null,"root_cause":null,"resolved_at":null,"closed_at":null,"compensation_fen":0}}',1795397250);
INSERT INTO outbox VALUES(2,'complaint.logged','{"event":"complaint.logged","branch":"E2E-001","at":"2026-11-23T01:37:30Z","complaint":{"id":2,"state":"open","overdue":false,"owner":"E2001","first_responder":"E2001","category":"environment","severity":1,"channel":"lobby","description":"the hall is cold","logged_at":"2026-11-23T01:37:30Z","follow_up_due":"2026-11-24T01:37:30Z","resolution":null,"root_cause":null,"resolved_at":null,"closed_at":null,"compensation_fen":0}}',1795397850);
INSERT INTO outbox VALUES(3,'survey.detractor','{"event":"survey.detractor","branch":"E2E-001","at":"2026-11-23T01:37:30Z","survey":{"ticket":"A003","score":3,"reason":"slow"},"complaint":{"id":3,"state":"open","overdue":false,"owner":"E9001","first_responder":"E9001","category":"other","severity":1,"channel":"survey","description":"slow","logged_at":"2026-11-23T01:37:30Z","follow_up_due":"2026-11-24T01:37:30Z","ticket":"A003","resolution":null,"root_cause":null,"resolved_at":null,"closed_at":null,"compensation_fen":0}}',1795397850);
INSERT INTO outbox VALUES(4,'complaint.logged','{"event":"complaint.logged","branch":"E2E-001","at":"2026-11-23T01:37:30Z","complaint":{"id":3,"state":"open","overdue":false,"owner":"E9001","first_responder":"E9001","category":"other","severity":1,"channel":"survey","description":"slow","logged_at":"2026-11-23T01:37:30Z","follow_up_due":"2026-11-24T01:37:30Z","ticket":"A003","resolution":null,"root_cause":null,"resolved_at":null,"closed_at":null,"compensation_fen":0}}',1795397850);
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
INSERT INTO deliveries VALUES(1,1,'http://127.0.0.1:9/hook','155adea3-628d-4b44-8f8f-f3b2cba97965','pending',3,1795397944,1795397250,1795397910,NULL,'Failed to connect to 127.0.0.1 port 9 after 0 ms: Couldn''t connect to server',NULL,1795397250);
INSERT INTO deliveries VALUES(2,2,'http://127.0.0.1:9/hook','2f9d63b4-7bad-4058-8206-064f498375d5','pending',0,1795397850,1795397850,NULL,NULL,NULL,NULL,1795397850);
INSERT INTO deliveries VALUES(3,3,'http://127.0.0.1:9/hook','cf8f0dd0-8577-413c-ae6c-81acbfe9166b','pending',0,1795397850,1795397850,NULL,NULL,NULL,NULL,1795397850);
INSERT INTO deliveries VALUES(4,4,'http://127.0.0.1:9/hook','9ff3ea8c-98c3-4e20-b4c1-e9e8d13d7a24','pending',0,1795397850,1795397850,NULL,NULL,NULL,NULL,1795397850);
CREATE TABLE delivery_attempts (
	id		INTEGER PRIMARY KEY,
	delivery_id	INTEGER NOT NULL REFERENCES deliveries (id),
	at		INTEGER NOT NULL,
	status		INTEGER,		-- HTTP status, NULL when none came
	error		TEXT,			-- NULL on a 2xx
	duration_ms	INTEGER NOT NULL
) STRICT;
INSERT INTO delivery_attempts VALUES(1,1,1795397250,NULL,'Failed to connect to 127.0.0.1 port 9 after 1 ms: Couldn''t connect to server',1);
INSERT INTO delivery_attempts VALUES(2,1,1795397850,NULL,'Failed to connect to 127.0.0.1 port 9 after 0 ms: Couldn''t connect to server',0);
INSERT INTO delivery_attempts VALUES(3,1,1795397910,NULL,'Failed to connect to 127.0.0.1 port 9 after 0 ms: Couldn''t connect to server',0);
CREATE INDEX tickets_done ON tickets (lane, finished_at) WHERE status = 'done';
CREATE INDEX ticket_events_ticket ON ticket_events (ticket_id);
CREATE TRIGGER ticket_events_no_update BEFORE UPDATE ON ticket_events
BEGIN SELECT RAISE(ABORT, 'ticket_events is append-only'); END;
CREATE TRIGGER ticket_events_no_delete BEFORE DELETE ON ticket_events
BEGIN SELECT RAISE(ABORT, 'ticket_events is append-only'); END;
CREATE INDEX complaints_due ON complaints (follow_up_due)
	WHERE state != 'closed' AND overdue = 0;
CREATE INDEX complaints_open ON complaints (state, follow_up_due);
CREATE INDEX complaints_date ON complaints (business_date);
CREATE INDEX complaint_actions_complaint ON complaint_actions (complaint_id);
CREATE INDEX complaint_actions_date ON complaint_actions (business_date, kind);
CREATE TRIGGER complaint_actions_no_delete BEFORE DELETE ON complaint_actions
BEGIN SELECT RAISE(ABORT, 'complaint_actions is append-only'); END;
CREATE INDEX surveys_date ON surveys (business_date);
CREATE INDEX ticket_events_rerouted ON ticket_events (ticket_id) WHERE kind = 'rerouted';
CREATE INDEX deliveries_pending ON deliveries (receiver, id) WHERE state = 'pending';
CREATE INDEX deliveries_state ON deliveries (state, id);
CREATE INDEX delivery_attempts_delivery ON delivery_attempts (delivery_id);
CREATE INDEX complaint_actions_followups ON complaint_actions (business_date, on_time)
	WHERE kind = 'followup';
CREATE INDEX tickets_open ON tickets (status)
	WHERE status = 'diverted' OR status = 'waiting' OR status = 'called' OR status = 'serving';
CREATE TRIGGER complaint_actions_no_update BEFORE UPDATE ON complaint_actions
BEGIN SELECT RAISE(ABORT, 'complaint_actions is append-only'); END;
COMMIT;
PRAGMA user_version = 7;
