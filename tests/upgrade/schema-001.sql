-- branchqd schema 001, written by commit f3838e76cb00
-- (tests/upgrade/make-fixture.sh 1 f3838e7; see tests/upgrade/README.md)
PRAGMA foreign_keys=OFF;
BEGIN TRANSACTION;
CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL);
INSERT INTO schema_migrations VALUES(1,'001_init',1796536075);
CREATE TABLE settings (
	key	TEXT PRIMARY KEY,
	value	TEXT NOT NULL
) STRICT;
CREATE TABLE lane_sequences (
	business_date	TEXT NOT NULL,
	lane		TEXT NOT NULL,
	last_seq	INTEGER NOT NULL,
	PRIMARY KEY (business_date, lane)
) STRICT, WITHOUT ROWID;
INSERT INTO lane_sequences VALUES('2026-11-23','counter',5);
INSERT INTO lane_sequences VALUES('2026-11-23','express',1);
INSERT INTO lane_sequences VALUES('2026-11-23','self_service',1);
INSERT INTO lane_sequences VALUES('2026-11-23','vip',1);
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
	staff		TEXT,
	UNIQUE (business_date, number)
) STRICT;
INSERT INTO tickets VALUES(1,'2026-11-23','A001','counter','counter','done','loan',NULL,0,0,0,NULL,0,0,'not_divertible',1795395600,1795395600,1795395840,1795395840,1795396140,1,0,'E1001');
INSERT INTO tickets VALUES(2,'2026-11-23','A002','express','counter','done','account_opening',NULL,0,0,0,NULL,0,0,'not_divertible',1795395660,1795396230,1795396290,1795396290,1795396530,2,0,'E1002');
INSERT INTO tickets VALUES(3,'2026-11-23','E001','express','express','no_show','cash_deposit',5000000,0,0,0,NULL,0,0,'express_cash',1795395660,1795395660,1795396140,NULL,1795396230,2,2,'E1002');
INSERT INTO tickets VALUES(4,'2026-11-23','S001','self_service','self_service','diverted','cash_withdrawal',150000,0,0,0,NULL,0,1,'cash_within_threshold',1795395660,1795395660,NULL,NULL,NULL,NULL,0,NULL);
INSERT INTO tickets VALUES(5,'2026-11-23','V001','vip','vip','waiting','wealth_management',NULL,0,1,0,NULL,0,0,'vip',1795395720,1795395720,NULL,NULL,NULL,NULL,0,NULL);
INSERT INTO tickets VALUES(6,'2026-11-23','A003','counter','counter','done','card_services',NULL,0,0,0,NULL,0,0,'not_divertible',1795395720,1795395720,1795396530,1795396530,1795396950,1,0,'E1001');
INSERT INTO tickets VALUES(7,'2026-11-23','A004','counter','counter','done','foreign_exchange',NULL,0,0,0,NULL,0,0,'not_divertible',1795395720,1795395720,1795397070,1795397070,1795397250,2,0,'E1002');
INSERT INTO tickets VALUES(8,'2026-11-23','A005','counter','counter','waiting','other',NULL,0,0,0,NULL,0,0,'not_divertible',1795397250,1795397250,NULL,NULL,NULL,NULL,0,NULL);
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
CREATE INDEX tickets_open ON tickets (status) WHERE status IN ('diverted', 'waiting', 'called', 'serving');
CREATE INDEX tickets_done ON tickets (lane, finished_at) WHERE status = 'done';
CREATE INDEX ticket_events_ticket ON ticket_events (ticket_id);
CREATE TRIGGER ticket_events_no_update BEFORE UPDATE ON ticket_events
BEGIN SELECT RAISE(ABORT, 'ticket_events is append-only'); END;
CREATE TRIGGER ticket_events_no_delete BEFORE DELETE ON ticket_events
BEGIN SELECT RAISE(ABORT, 'ticket_events is append-only'); END;
COMMIT;
PRAGMA user_version = 1;
