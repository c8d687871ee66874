-- Head office (docs/HEADOFFICE.md "Head-office schema"): every branch's
-- events, and what they say as it stands, in one PostgreSQL 15.
--
-- Applied by `branchq hq migrate`, in one transaction, recorded in
-- hq_schema_migrations.  The relay of each branch (src/hq.c) calls only
-- hq_last_seq() and hq_ingest(); head-office tools read only the views
-- hq_branches, hq_followups and hq_branch_day.  Everything else here may
-- change from one version to the next.
--
-- Every table has the branch in every key, so the schema can be
-- distributed by branch (Citus: distribute each table on "branch") as it is.
--
-- The views are kept current by the ingest, not computed at read time:
-- hq_ingest applies each event to the state tables (a ticket, a complaint,
-- a survey as it stands) and recomputes the day figures of every
-- branch-day its batch touched, a few milliseconds each.  A month of one
-- region's hq_branch_day is then a plain read of a few thousand rows, not
-- the percentiles of millions of tickets, and hq_followups is a partial
-- index away from the overdue cases of a thousand branches.

-- ---- partitions: by month, made on demand ----

-- The partition of parent (hq_events by occurred_at; hq_ticket_state and
-- hq_survey_state by business_date) for the month of day, made if missing.
-- Made as a table of its own and then attached: ATTACH PARTITION takes
-- SHARE UPDATE EXCLUSIVE on the parent, which does not wait for (nor stop)
-- other branches' ingests writing to it, where CREATE TABLE ... PARTITION
-- OF would take ACCESS EXCLUSIVE.  The advisory lock makes two ingests that
-- need the same new month take turns: the second finds it made.
CREATE FUNCTION hq_partition_ensure(p_parent text, p_day date) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
	v_from	date := date_trunc('month', p_day)::date;
	v_name	text := p_parent || '_' || to_char(v_from, 'YYYYMM');
	v_lo	text;
	v_hi	text;
BEGIN
	IF to_regclass(v_name) IS NOT NULL THEN
		RETURN;
	END IF;
	PERFORM pg_advisory_xact_lock(hashtext('hq_partition_ensure'), hashtext(v_name));
	IF to_regclass(v_name) IS NOT NULL THEN
		RETURN;		-- another ingest made it while we waited
	END IF;
	IF p_parent = 'hq_events' THEN
		-- occurred_at is a timestamptz: the month in UTC, whatever the
		-- session's TimeZone, so that every server cuts months alike.
		v_lo := quote_literal(v_from::text || ' 00:00:00+00');
		v_hi := quote_literal((v_from + interval '1 month')::date::text || ' 00:00:00+00');
	ELSE
		v_lo := quote_literal(v_from::text);
		v_hi := quote_literal((v_from + interval '1 month')::date::text);
	END IF;
	EXECUTE format('CREATE TABLE %I (LIKE %I INCLUDING DEFAULTS INCLUDING CONSTRAINTS)',
	    v_name, p_parent);
	EXECUTE format('ALTER TABLE %I ATTACH PARTITION %I FOR VALUES FROM (%s) TO (%s)',
	    p_parent, v_name, v_lo, v_hi);
END;
$$;

-- The partitions of this month, the one before and p_ahead after, for
-- every partitioned table: `branchq hq migrate` calls it each time it
-- runs, so that the ingest seldom has a month to make.
CREATE FUNCTION hq_partitions_ahead(p_ahead integer) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
	v_month	date;
	v_parent text;
BEGIN
	FOR v_month IN SELECT generate_series(date_trunc('month', now() AT TIME ZONE 'UTC')
	    - interval '1 month', date_trunc('month', now() AT TIME ZONE 'UTC')
	    + make_interval(months => p_ahead), interval '1 month')::date LOOP
		FOREACH v_parent IN ARRAY ARRAY['hq_events', 'hq_ticket_state', 'hq_survey_state'] LOOP
			PERFORM hq_partition_ensure(v_parent, v_month);
		END LOOP;
	END LOOP;
END;
$$;

-- ---- the branches ----

-- One row per branch: its high-water mark, and the row the ingest locks.
CREATE TABLE hq_branch_state (
	branch		text PRIMARY KEY,
	region		text,
	target_wait_s	integer NOT NULL,	-- the branch's, for within_target
	mark		bigint NOT NULL,	-- head office holds every event up to it
	first_seq	bigint NOT NULL,	-- the first event it ever sent
	last_event_at	timestamptz,		-- the newest event's time (the branch's clock)
	received_at	timestamptz NOT NULL	-- head office's clock, at the last new event
);
CREATE INDEX hq_branch_state_region ON hq_branch_state (region, branch);

-- ---- the events, as the branches numbered them ----

-- Partitioned by month of occurred_at: old months are dropped whole
-- (DROP TABLE hq_events_YYYYMM), and a query over a time range reads only
-- its months.  The primary key must hold the partition key, so it cannot
-- say that (branch, seq) is unique across months by itself: that is
-- guaranteed by hq_ingest, which inserts only seq > the branch's mark and
-- moves the mark, both under the lock on the branch's hq_branch_state row.
-- (branch, seq) leads the key so that one branch's events read in order.
CREATE TABLE hq_events (
	branch		text NOT NULL,
	seq		bigint NOT NULL,
	occurred_at	timestamptz NOT NULL,	-- "at": the branch's clock
	kind		text NOT NULL,		-- "ticket.called", "complaint.overdue", ...
	payload		jsonb NOT NULL,
	PRIMARY KEY (branch, seq, occurred_at)
) PARTITION BY RANGE (occurred_at);

-- ---- what the events say, as it stands ----

-- Each state row keeps the seq of the event that wrote it: an upsert
-- replaces it only with a later one (ON CONFLICT ... WHERE old.seq <
-- new.seq), so however events are grouped into batches, a row is what the
-- branch's latest event about it says.

-- A ticket (the payload's "ticket", every column of the branch's), by
-- month of its business date: at 1,000 branches and 3,000 tickets a day
-- this is a billion rows a year.  The business date of a ticket never
-- changes, so its row never moves between partitions.
CREATE TABLE hq_ticket_state (
	branch		text NOT NULL,
	business_date	date NOT NULL,
	ticket_id	bigint NOT NULL,	-- the branch's own id
	seq		bigint NOT NULL,
	number		text,
	lane		text,
	issue_lane	text,
	status		text,
	service		text,
	amount_fen	bigint,
	loose_cash	boolean,
	vip		boolean,
	needs_assistance boolean,
	accessibility	text,
	priority	integer,
	eligible	boolean,
	route_rule	text,
	issued_at	timestamptz,
	queued_at	timestamptz,
	called_at	timestamptz,
	first_called_at	timestamptz,
	first_called_lane text,
	started_at	timestamptz,
	finished_at	timestamptz,
	window_number	integer,
	recalls		integer,
	staff		text,
	closed_by	text,
	PRIMARY KEY (branch, business_date, ticket_id)
) PARTITION BY RANGE (business_date);

-- A complaint (the payload's "complaint": no free text, the customer
-- masked by the branch).  A few a day per branch: not partitioned.
CREATE TABLE hq_complaint_state (
	branch		text NOT NULL,
	complaint_id	bigint NOT NULL,
	seq		bigint NOT NULL,
	state		text,			-- open, resolved, closed
	category	text,
	severity	integer,
	channel		text,
	ticket_id	bigint,
	ticket_number	text,
	customer_name	text,			-- masked: 张*
	customer_phone	text,			-- masked: 138****5678
	first_responder	text,
	owner		text,
	logged_at	timestamptz,
	business_date	date,
	follow_up_due	timestamptz,
	overdue		boolean NOT NULL DEFAULT false,	-- as the branch flagged it
	root_cause	text,
	resolved_at	timestamptz,
	closed_at	timestamptz,
	compensation_fen bigint,
	PRIMARY KEY (branch, complaint_id)
);
-- hq_followups' filters: the overdue cases of every branch (a handful
-- among hundreds of thousands), and those not closed.
CREATE INDEX hq_complaint_state_overdue ON hq_complaint_state (follow_up_due)
	WHERE overdue AND state <> 'closed';
CREATE INDEX hq_complaint_state_open ON hq_complaint_state (follow_up_due)
	WHERE state <> 'closed';
-- The day figures count a branch's complaints by business date.
CREATE INDEX hq_complaint_state_day ON hq_complaint_state (branch, business_date);

-- A survey answer (its reason, free text, never leaves the branch), by
-- month of its business date as tickets are.
CREATE TABLE hq_survey_state (
	branch		text NOT NULL,
	business_date	date NOT NULL,
	survey_id	bigint NOT NULL,
	seq		bigint NOT NULL,
	ticket_id	bigint,
	score		integer,
	complaint_id	bigint,
	submitted_at	timestamptz,		-- the event's time
	PRIMARY KEY (branch, business_date, survey_id)
) PARTITION BY RANGE (business_date);

-- ---- the day figures, materialised ----

-- One row per branch and business date on which it has a ticket, a
-- complaint or a survey; recomputed by hq_day_refresh for every day a
-- batch touched.  Beside hq_branch_day's columns, the counts its shares
-- are made of (waits, within_target_n, promoters, detractors), so that a
-- region's or a month's figure can be computed exactly from the days.
CREATE TABLE hq_day_state (
	branch		text NOT NULL,
	business_date	date NOT NULL,
	tickets		bigint NOT NULL,
	eligible	bigint NOT NULL,
	diverted	bigint NOT NULL,
	rerouted	bigint NOT NULL,
	diversion_rate	float8,
	waits		bigint NOT NULL,	-- tickets called: the waits' count
	waiting_p50_s	bigint,
	waiting_p90_s	bigint,
	within_target_n	bigint NOT NULL,
	within_target	float8,
	target_wait_s	integer NOT NULL,	-- the target the figures used
	no_shows	bigint NOT NULL,
	complaints	bigint NOT NULL,
	nps_responses	bigint NOT NULL,
	promoters	bigint NOT NULL,
	detractors	bigint NOT NULL,
	nps_score	float8 NOT NULL,
	computed_at	timestamptz NOT NULL,
	PRIMARY KEY (branch, business_date)
);
CREATE INDEX hq_day_state_date ON hq_day_state (business_date);

-- The figures of the branch's days p_days, as the branch's report.summary
-- computes them for that one day (src/report.c, src/op-report.c,
-- src/stats.c), upserted into hq_day_state:
--   tickets		the day's tickets
--   eligible		eligible by amount (DOMAIN §1)
--   diverted		issued to self_service
--   rerouted		issued to self_service, in a queue lane now: only a
--			reroute (to a queue lane, once) takes a ticket out of
--			self-service, so this is the branch's rerouted_total
--   diversion_rate	(diverted - rerouted) / eligible, null without eligible
--   waiting_p50_s/p90_s nearest rank (rank ceil(p*n/100), 1-based) of
--			greatest(first_called_at - issued_at, 0) over the day's
--			called tickets, every lane pooled; null if none called.
--			Integer ranks, not percentile_disc(0.9): its rank is
--			ceil(0.9 * n) in floating point, and 0.9 * 110 is
--			99.00000000000001 there, rank 100 where the branch
--			takes 99.
--   within_target	waits <= target, as the branch rounds it: four
--			decimals, ((within * 10000 + n / 2) / n) / 10000.0 in
--			integers then float8; null if none called
--   no_shows		status no_show
--   complaints		complaints of that business date
--   nps_responses	surveys of that business date
--   nps_score		100.0 * (promoters - detractors) / n in float8,
--			promoter 9-10, detractor 0-6; 0 without answers (the
--			branch-wide score of report.summary is 0 then)
-- Times are whole seconds (the branch's are): their epoch difference is exact.
CREATE FUNCTION hq_day_refresh(p_branch text, p_days date[]) RETURNS void
LANGUAGE sql AS $$
	INSERT INTO hq_day_state AS o (branch, business_date, tickets, eligible, diverted,
	    rerouted, diversion_rate, waits, waiting_p50_s, waiting_p90_s, within_target_n,
	    within_target, target_wait_s, no_shows, complaints, nps_responses, promoters,
	    detractors, nps_score, computed_at)
	SELECT p_branch, d.day, t.tickets, t.eligible, t.diverted, t.rerouted,
	    CASE WHEN t.eligible > 0
		THEN (t.diverted - t.rerouted)::float8 / t.eligible::float8 END,
	    t.waits,
	    t.sorted[((50 * t.waits + 99) / 100)::integer],
	    t.sorted[((90 * t.waits + 99) / 100)::integer],
	    t.within,
	    CASE WHEN t.waits > 0
		THEN ((t.within * 10000 + t.waits / 2) / t.waits)::float8 / 10000.0::float8 END,
	    b.target_wait_s, t.no_shows, c.complaints, s.responses, s.promoters, s.detractors,
	    CASE WHEN s.responses > 0
		THEN 100.0::float8 * (s.promoters - s.detractors)::float8 / s.responses::float8
		ELSE 0 END,
	    now()
	FROM hq_branch_state b
	CROSS JOIN (SELECT DISTINCT unnest(p_days) AS day) d
	CROSS JOIN LATERAL (
		SELECT count(*) AS tickets,
		    count(*) FILTER (WHERE x.eligible) AS eligible,
		    count(*) FILTER (WHERE x.issue_lane = 'self_service') AS diverted,
		    count(*) FILTER (WHERE x.issue_lane = 'self_service'
			AND x.lane <> 'self_service') AS rerouted,
		    count(*) FILTER (WHERE x.status = 'no_show') AS no_shows,
		    count(w.wait_s) AS waits,
		    count(*) FILTER (WHERE w.wait_s <= b.target_wait_s) AS within,
		    array_agg(w.wait_s ORDER BY w.wait_s) FILTER (WHERE w.wait_s IS NOT NULL)
			AS sorted
		FROM hq_ticket_state x
		CROSS JOIN LATERAL (SELECT greatest(extract(epoch FROM x.first_called_at)::bigint
		    - extract(epoch FROM x.issued_at)::bigint, 0) AS wait_s) w
		WHERE x.branch = p_branch AND x.business_date = d.day) t
	CROSS JOIN LATERAL (
		SELECT count(*) AS complaints FROM hq_complaint_state
		WHERE branch = p_branch AND business_date = d.day) c
	CROSS JOIN LATERAL (
		SELECT count(*) AS responses,
		    count(*) FILTER (WHERE score >= 9) AS promoters,
		    count(*) FILTER (WHERE score <= 6) AS detractors
		FROM hq_survey_state
		WHERE branch = p_branch AND business_date = d.day) s
	WHERE b.branch = p_branch AND d.day IS NOT NULL
	ON CONFLICT (branch, business_date) DO UPDATE SET
	    tickets = excluded.tickets, eligible = excluded.eligible,
	    diverted = excluded.diverted, rerouted = excluded.rerouted,
	    diversion_rate = excluded.diversion_rate, waits = excluded.waits,
	    waiting_p50_s = excluded.waiting_p50_s, waiting_p90_s = excluded.waiting_p90_s,
	    within_target_n = excluded.within_target_n, within_target = excluded.within_target,
	    target_wait_s = excluded.target_wait_s, no_shows = excluded.no_shows,
	    complaints = excluded.complaints, nps_responses = excluded.nps_responses,
	    promoters = excluded.promoters, detractors = excluded.detractors,
	    nps_score = excluded.nps_score, computed_at = excluded.computed_at;
$$;

-- ---- the relay's two functions ----

-- The branch's high-water mark: every event up to it is here.  NULL for a
-- branch never seen (its first batch may start at any seq: a branch whose
-- old events were pruned before it was configured for head office).
CREATE FUNCTION hq_last_seq(p_branch text) RETURNS bigint
LANGUAGE sql STABLE AS $$
	SELECT mark FROM hq_branch_state WHERE branch = p_branch;
$$;

-- One batch of a branch's events, in its one transaction (the caller's
-- statement): p_events a JSON array, in seq order, of
-- {"seq":N,"at":UNIX_SECONDS,"kind":"...","payload":{...}}.  Under the lock
-- on the branch's row: events at or below the mark are skipped (a batch
-- sent again after a lost answer changes nothing); the first new one must
-- be mark + 1 and each next one + 1, else SQLSTATE BQ001 naming the mark,
-- and nothing is written.  Returns the new mark.
--
-- Set-based throughout, no loop over events: the batch is read as rows
-- (jsonb_array_elements, jsonb_to_record), inserted with one INSERT ...
-- SELECT, and each state table gets one upsert of the latest row per
-- entity in the batch (DISTINCT ON ... ORDER BY seq DESC), so that a
-- batch costs about what COPY of its rows would plus the upserts.
--
-- A payload without the entity's key ("ticket" with its id and business
-- date, ...) is kept in hq_events but changes no state row: one odd event
-- must not stop a branch from shipping.  A value of the wrong type (an id
-- that is not a number) is an error: the branch would be broken.
CREATE FUNCTION hq_ingest(p_branch text, p_region text, p_target_wait_s integer,
    p_events jsonb) RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
	v_mark		bigint;
	v_target	integer;
	v_n		bigint;
	v_first		bigint;
	v_last		bigint;
	v_runs		bigint;
	v_bad		bigint;
	v_last_at	bigint;
	v_month		date;
	v_days		date[];
BEGIN
	IF p_branch IS NULL OR p_branch = '' THEN
		RAISE EXCEPTION 'hq_ingest: p_branch: the branch id is required'
		    USING ERRCODE = 'invalid_parameter_value';
	END IF;
	IF p_target_wait_s IS NOT NULL AND (p_target_wait_s < 1 OR p_target_wait_s > 86400) THEN
		RAISE EXCEPTION 'hq_ingest: p_target_wait_s: % is not 1 to 86400 seconds',
		    p_target_wait_s USING ERRCODE = 'invalid_parameter_value';
	END IF;
	IF jsonb_typeof(p_events) IS DISTINCT FROM 'array' THEN
		RAISE EXCEPTION 'hq_ingest: p_events: expected a JSON array of events'
		    USING ERRCODE = 'invalid_parameter_value';
	END IF;

	-- The batch's shape: its seqs must run without a gap.  seq - position
	-- is the same for every event exactly when they do.
	SELECT count(*), min(seq), max(seq), count(DISTINCT seq - n),
	    count(*) FILTER (WHERE seq IS NULL OR at IS NULL OR kind IS NULL
		OR jsonb_typeof(payload) IS DISTINCT FROM 'object')
	INTO v_n, v_first, v_last, v_runs, v_bad
	FROM jsonb_array_elements(p_events) WITH ORDINALITY AS a(e, n),
	    LATERAL (SELECT (a.e->>'seq')::bigint AS seq, (a.e->>'at')::bigint AS at,
		a.e->>'kind' AS kind, a.e->'payload' AS payload) f;
	IF v_n = 0 THEN
		RETURN hq_last_seq(p_branch);
	END IF;
	IF v_bad > 0 THEN
		RAISE EXCEPTION 'hq_ingest: p_events: % event(s) without a seq, an at, a kind or an object payload',
		    v_bad USING ERRCODE = 'invalid_parameter_value';
	END IF;

	-- The branch's row, locked until the caller's transaction ends: one
	-- batch of a branch at a time, and the mark moves with its events.
	INSERT INTO hq_branch_state (branch, region, target_wait_s, mark, first_seq, received_at)
	VALUES (p_branch, p_region, coalesce(p_target_wait_s, 900), v_first - 1, v_first, now())
	ON CONFLICT (branch) DO NOTHING;
	SELECT mark, target_wait_s INTO v_mark, v_target
	FROM hq_branch_state WHERE branch = p_branch FOR UPDATE;

	IF v_runs <> 1 THEN
		RAISE EXCEPTION 'hq_ingest: branch %: the batch''s seqs (% to %, % events) are not consecutive; head office holds every event up to the mark %',
		    p_branch, v_first, v_last, v_n, v_mark
		    USING ERRCODE = 'BQ001', HINT = 'send the events after the mark, in order, without a gap';
	END IF;
	IF v_first > v_mark + 1 THEN
		RAISE EXCEPTION 'hq_ingest: branch %: the batch starts at seq %, but head office holds every event up to the mark % and lacks % to %',
		    p_branch, v_first, v_mark, v_mark + 1, v_first - 1
		    USING ERRCODE = 'BQ001', HINT = 'send the events after the mark, in order, without a gap';
	END IF;
	IF v_last <= v_mark THEN
		RETURN v_mark;		-- every event already held: nothing changes
	END IF;

	-- The months the new events need, before any row is written (so that
	-- no lock on a parent is held while waiting for another ingest's
	-- partition).
	FOR v_month IN
		SELECT DISTINCT date_trunc('month', to_timestamp((e->>'at')::bigint)
		    AT TIME ZONE 'UTC')::date
		FROM jsonb_array_elements(p_events) e WHERE (e->>'seq')::bigint > v_mark
	LOOP
		PERFORM hq_partition_ensure('hq_events', v_month);
	END LOOP;
	FOR v_month IN
		SELECT DISTINCT date_trunc('month', d)::date FROM (
			SELECT (e->'payload'->'ticket'->>'business_date')::date AS d
			FROM jsonb_array_elements(p_events) e
			WHERE (e->>'seq')::bigint > v_mark AND e->>'kind' LIKE 'ticket.%'
			UNION
			SELECT (e->'payload'->'survey'->>'business_date')::date
			FROM jsonb_array_elements(p_events) e
			WHERE (e->>'seq')::bigint > v_mark AND e->>'kind' LIKE 'survey.%') m
		WHERE d IS NOT NULL
	LOOP
		PERFORM hq_partition_ensure('hq_ticket_state', v_month);
		PERFORM hq_partition_ensure('hq_survey_state', v_month);
	END LOOP;

	-- The events and what they say, in one statement: each state upsert
	-- returns the business dates whose figures its rows change.
	WITH ev AS MATERIALIZED (
		SELECT x.seq, x.at, x.kind, x.payload
		FROM jsonb_to_recordset(p_events) AS x(seq bigint, at bigint, kind text,
		    payload jsonb)
		WHERE x.seq > v_mark
	), ins AS (
		INSERT INTO hq_events (branch, seq, occurred_at, kind, payload)
		SELECT p_branch, seq, to_timestamp(at), kind, payload FROM ev
	), tk AS (
		INSERT INTO hq_ticket_state AS o (branch, business_date, ticket_id, seq, number,
		    lane, issue_lane, status, service, amount_fen, loose_cash, vip,
		    needs_assistance, accessibility, priority, eligible, route_rule, issued_at,
		    queued_at, called_at, first_called_at, first_called_lane, started_at,
		    finished_at, window_number, recalls, staff, closed_by)
		SELECT DISTINCT ON (t.id) p_branch, t.business_date, t.id, ev.seq, t.number,
		    t.lane, t.issue_lane, t.status, t.service, t.amount_fen, t.loose_cash, t.vip,
		    t.needs_assistance, t.accessibility, t.priority, t.eligible, t.route_rule,
		    to_timestamp(t.issued_at), to_timestamp(t.queued_at),
		    to_timestamp(t.called_at), to_timestamp(t.first_called_at),
		    t.first_called_lane, to_timestamp(t.started_at), to_timestamp(t.finished_at),
		    t."window", t.recalls, t.staff, t.closed_by
		FROM ev, jsonb_to_record(ev.payload->'ticket') AS t(id bigint,
		    business_date date, number text, lane text, issue_lane text, status text,
		    service text, amount_fen bigint, loose_cash boolean, vip boolean,
		    needs_assistance boolean, accessibility text, priority integer,
		    eligible boolean, route_rule text, issued_at bigint, queued_at bigint,
		    called_at bigint, first_called_at bigint, first_called_lane text,
		    started_at bigint, finished_at bigint, "window" integer, recalls integer,
		    staff text, closed_by text)
		WHERE ev.kind LIKE 'ticket.%' AND jsonb_typeof(ev.payload->'ticket') = 'object'
		    AND t.id IS NOT NULL AND t.business_date IS NOT NULL
		ORDER BY t.id, ev.seq DESC
		ON CONFLICT (branch, business_date, ticket_id) DO UPDATE SET
		    seq = excluded.seq, number = excluded.number, lane = excluded.lane,
		    issue_lane = excluded.issue_lane, status = excluded.status,
		    service = excluded.service, amount_fen = excluded.amount_fen,
		    loose_cash = excluded.loose_cash, vip = excluded.vip,
		    needs_assistance = excluded.needs_assistance,
		    accessibility = excluded.accessibility, priority = excluded.priority,
		    eligible = excluded.eligible, route_rule = excluded.route_rule,
		    issued_at = excluded.issued_at, queued_at = excluded.queued_at,
		    called_at = excluded.called_at, first_called_at = excluded.first_called_at,
		    first_called_lane = excluded.first_called_lane,
		    started_at = excluded.started_at, finished_at = excluded.finished_at,
		    window_number = excluded.window_number, recalls = excluded.recalls,
		    staff = excluded.staff, closed_by = excluded.closed_by
		WHERE o.seq < excluded.seq
		RETURNING o.business_date
	), cp AS (
		INSERT INTO hq_complaint_state AS o (branch, complaint_id, seq, state, category,
		    severity, channel, ticket_id, ticket_number, customer_name, customer_phone,
		    first_responder, owner, logged_at, business_date, follow_up_due, overdue,
		    root_cause, resolved_at, closed_at, compensation_fen)
		SELECT DISTINCT ON (c.id) p_branch, c.id, ev.seq, c.state, c.category,
		    c.severity, c.channel, c.ticket_id, c.ticket_number, c.customer_name,
		    c.customer_phone, c.first_responder, c.owner, to_timestamp(c.logged_at),
		    c.business_date, to_timestamp(c.follow_up_due), coalesce(c.overdue, false),
		    c.root_cause, to_timestamp(c.resolved_at), to_timestamp(c.closed_at),
		    c.compensation_fen
		FROM ev, jsonb_to_record(ev.payload->'complaint') AS c(id bigint, state text,
		    category text, severity integer, channel text, ticket_id bigint,
		    ticket_number text, customer_name text, customer_phone text,
		    first_responder text, owner text, logged_at bigint, business_date date,
		    follow_up_due bigint, overdue boolean, root_cause text, resolved_at bigint,
		    closed_at bigint, compensation_fen bigint)
		WHERE ev.kind LIKE 'complaint.%' AND jsonb_typeof(ev.payload->'complaint') = 'object'
		    AND c.id IS NOT NULL
		ORDER BY c.id, ev.seq DESC
		ON CONFLICT (branch, complaint_id) DO UPDATE SET
		    seq = excluded.seq, state = excluded.state, category = excluded.category,
		    severity = excluded.severity, channel = excluded.channel,
		    ticket_id = excluded.ticket_id, ticket_number = excluded.ticket_number,
		    customer_name = excluded.customer_name,
		    customer_phone = excluded.customer_phone,
		    first_responder = excluded.first_responder, owner = excluded.owner,
		    logged_at = excluded.logged_at, business_date = excluded.business_date,
		    follow_up_due = excluded.follow_up_due, overdue = excluded.overdue,
		    root_cause = excluded.root_cause, resolved_at = excluded.resolved_at,
		    closed_at = excluded.closed_at, compensation_fen = excluded.compensation_fen
		WHERE o.seq < excluded.seq
		RETURNING o.business_date
	), sv AS (
		INSERT INTO hq_survey_state AS o (branch, business_date, survey_id, seq,
		    ticket_id, score, complaint_id, submitted_at)
		SELECT DISTINCT ON (s.id) p_branch, s.business_date, s.id, ev.seq, s.ticket_id,
		    s.score, s.complaint_id, to_timestamp(ev.at)
		FROM ev, jsonb_to_record(ev.payload->'survey') AS s(id bigint,
		    business_date date, ticket_id bigint, score integer, complaint_id bigint)
		WHERE ev.kind LIKE 'survey.%' AND jsonb_typeof(ev.payload->'survey') = 'object'
		    AND s.id IS NOT NULL AND s.business_date IS NOT NULL
		ORDER BY s.id, ev.seq DESC
		ON CONFLICT (branch, business_date, survey_id) DO UPDATE SET
		    seq = excluded.seq, ticket_id = excluded.ticket_id, score = excluded.score,
		    complaint_id = excluded.complaint_id, submitted_at = excluded.submitted_at
		WHERE o.seq < excluded.seq
		RETURNING o.business_date
	)
	SELECT array_agg(DISTINCT d) INTO v_days FROM (
		SELECT business_date AS d FROM tk
		UNION ALL SELECT business_date FROM cp
		UNION ALL SELECT business_date FROM sv) u
	WHERE d IS NOT NULL;

	SELECT (e->>'at')::bigint INTO v_last_at
	FROM jsonb_array_elements(p_events) e WHERE (e->>'seq')::bigint = v_last;

	-- A new target changes within_target of every day the branch has (its
	-- own report.summary uses the target it has now, for any date): rare,
	-- a configuration change, and a few ms a day.
	IF p_target_wait_s IS NOT NULL AND p_target_wait_s <> v_target THEN
		SELECT array_agg(business_date) INTO v_days FROM (
			SELECT business_date FROM hq_day_state WHERE branch = p_branch
			UNION SELECT unnest(v_days)) a;
	END IF;
	UPDATE hq_branch_state SET mark = v_last, region = p_region,
	    target_wait_s = coalesce(p_target_wait_s, target_wait_s),
	    last_event_at = to_timestamp(v_last_at), received_at = now()
	WHERE branch = p_branch;
	IF v_days IS NOT NULL THEN
		PERFORM hq_day_refresh(p_branch, v_days);
	END IF;
	RETURN v_last;
END;
$$;

-- ---- the views head-office tools rely on (HEADOFFICE.md) ----

CREATE VIEW hq_branches (branch, region, last_seq, last_event_at, received_at) AS
	SELECT branch, region, mark, last_event_at, received_at FROM hq_branch_state;

-- overdue_s: how long past due a case is that the branch has flagged
-- overdue and not closed, by head office's clock (so it grows between
-- events), in whole seconds; 0 otherwise.  Negative only when head
-- office's clock is behind the branch's (a branch under a test clock).
CREATE VIEW hq_followups (branch, complaint_id, state, overdue, owner, first_responder,
    severity, category, logged_at, follow_up_due, overdue_s) AS
	SELECT branch, complaint_id, state, overdue, owner, first_responder, severity,
	    category, logged_at, follow_up_due,
	    CASE WHEN overdue AND state <> 'closed'
		THEN floor(extract(epoch FROM now() - follow_up_due))::bigint
		ELSE 0 END
	FROM hq_complaint_state;

CREATE VIEW hq_branch_day (branch, business_date, tickets, eligible, diverted, rerouted,
    diversion_rate, waiting_p50_s, waiting_p90_s, within_target, no_shows, complaints,
    nps_responses, nps_score) AS
	SELECT branch, business_date, tickets, eligible, diverted, rerouted, diversion_rate,
	    waiting_p50_s, waiting_p90_s, within_target, no_shows, complaints, nps_responses,
	    nps_score
	FROM hq_day_state;
