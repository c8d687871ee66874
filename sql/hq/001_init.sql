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
-- a survey as it stands) and moves the day counts of hq_day_state by what
-- its batch changed.  A month of one region's hq_branch_day is then a
-- plain read of a few thousand rows, not the percentiles of millions of
-- tickets, and hq_followups is a partial index away from the overdue cases
-- of a thousand branches.

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
		FOREACH v_parent IN ARRAY ARRAY['hq_events', 'hq_ticket_state', 'hq_survey_state',
		    'hq_day_wait'] LOOP
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
-- complaint or a survey: the counts hq_branch_day is made of, kept by
-- hq_ingest as events arrive.  Kept by difference, not recomputed: for
-- each ticket, complaint or survey a batch changes, its row as it was is
-- read in the same statement (which sees the tables as they were before
-- it) and what it counted for is taken off what its new row counts for.
-- A batch then costs in proportion to what it changed, not to the size of
-- the day: a busy branch ships an event or two per batch all day, and
-- recomputing its 3,000 tickets for each would cost head office ~20 ms a
-- batch, 1,000 branches' worth of which is more than a server has.
-- Shares (diversion_rate, within_target, nps_score) are computed by the
-- view from these counts; the counts also let a region or a month be
-- summed exactly.
CREATE TABLE hq_day_state (
	branch		text NOT NULL,
	business_date	date NOT NULL,
	tickets		bigint NOT NULL DEFAULT 0,
	eligible	bigint NOT NULL DEFAULT 0,	-- eligible by amount (DOMAIN §1)
	diverted	bigint NOT NULL DEFAULT 0,	-- issued to self_service
	rerouted	bigint NOT NULL DEFAULT 0,	-- of those, in a queue lane now
	no_shows	bigint NOT NULL DEFAULT 0,
	complaints	bigint NOT NULL DEFAULT 0,
	nps_responses	bigint NOT NULL DEFAULT 0,
	promoters	bigint NOT NULL DEFAULT 0,	-- scores 9-10
	detractors	bigint NOT NULL DEFAULT 0,	-- scores 0-6
	-- From hq_day_wait, when its waits change or the target does:
	waits		bigint NOT NULL DEFAULT 0,	-- tickets called
	waiting_p50_s	bigint,
	waiting_p90_s	bigint,
	within_target_n	bigint NOT NULL DEFAULT 0,	-- waits <= target_wait_s
	target_wait_s	integer,
	updated_at	timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (branch, business_date)
);
CREATE INDEX hq_day_state_date ON hq_day_state (business_date);

-- The waits of a day as a histogram: how many of its called tickets
-- waited wait_s seconds (greatest(first_called_at - issued_at, 0), every
-- lane pooled, as report.summary's).  The nearest ranks and the count
-- within the target are read off it in one pass over its distinct waits
-- (a few hundred a day), exactly as the branch's sorted list gives them.
-- By month, as tickets.
CREATE TABLE hq_day_wait (
	branch		text NOT NULL,
	business_date	date NOT NULL,
	wait_s		bigint NOT NULL,
	n		bigint NOT NULL,
	PRIMARY KEY (branch, business_date, wait_s)
) PARTITION BY RANGE (business_date);

-- A ticket's wait, as the branch counts it: issue to first call, never
-- negative (a clock set back), null if never called.  Times are whole
-- seconds (the branch's are), so their difference is exact: the interval
-- of two timestamptz counts days of 24 hours, and its epoch gives them
-- back as seconds.  (extract() of a timestamptz itself is only STABLE,
-- which would keep this function from being inlined into the ingest.)
CREATE FUNCTION hq_wait_s(p_issued_at timestamptz, p_first_called_at timestamptz)
RETURNS bigint LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
	-- greatest() skips nulls: a ticket never called must stay null.
	SELECT CASE WHEN p_first_called_at IS NOT NULL AND p_issued_at IS NOT NULL
	    THEN greatest(extract(epoch FROM p_first_called_at - p_issued_at)::bigint, 0) END;
$$;

-- The wait figures of the branch's days p_days from their histograms, with
-- the branch's target now, as report.summary computes them for one day
-- (src/stats.c): p50 and p90 are nearest ranks, rank ceil(p * n / 100)
-- (1-based) of the sorted waits, in integers: (p * n + 99) / 100.  Not
-- percentile_disc(0.9), whose rank is ceil(0.9 * n) in floating point:
-- 0.9 * 110 is 99.00000000000001 there, rank 100 where the branch takes 99.
CREATE FUNCTION hq_day_waits_refresh(p_branch text, p_days date[]) RETURNS void
LANGUAGE sql AS $$
	UPDATE hq_day_state d SET waits = coalesce(f.waits, 0), waiting_p50_s = f.p50,
	    waiting_p90_s = f.p90, within_target_n = coalesce(f.within, 0),
	    target_wait_s = b.target_wait_s, updated_at = now()
	FROM hq_branch_state b
	CROSS JOIN (SELECT DISTINCT unnest(p_days) AS day) x
	LEFT JOIN LATERAL (
		SELECT max(total) AS waits,
		    min(wait_s) FILTER (WHERE cum >= (50 * total + 99) / 100) AS p50,
		    min(wait_s) FILTER (WHERE cum >= (90 * total + 99) / 100) AS p90,
		    sum(n) FILTER (WHERE wait_s <= (SELECT target_wait_s FROM hq_branch_state
			WHERE branch = p_branch)) AS within
		-- sum() of bigint is numeric: back to bigint, so that the ranks
		-- divide as integers.
		FROM (SELECT wait_s, n, (sum(n) OVER (ORDER BY wait_s))::bigint AS cum,
			(sum(n) OVER ())::bigint AS total
		    FROM hq_day_wait
		    WHERE branch = p_branch AND business_date = x.day AND n > 0) h) f ON true
	WHERE b.branch = p_branch AND d.branch = p_branch AND d.business_date = x.day;
$$;

-- The counts of the branch's days p_days from the state tables, from
-- scratch, histograms too: what hq_ingest keeps by difference, for a
-- repair or a check (tests/hq compares the two).
CREATE FUNCTION hq_day_rebuild(p_branch text, p_days date[]) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
	DELETE FROM hq_day_wait WHERE branch = p_branch AND business_date = ANY (p_days);
	INSERT INTO hq_day_wait (branch, business_date, wait_s, n)
	SELECT p_branch, business_date, w, count(*)
	FROM (SELECT business_date, hq_wait_s(issued_at, first_called_at) AS w
	    FROM hq_ticket_state WHERE branch = p_branch AND business_date = ANY (p_days)) t
	WHERE w IS NOT NULL GROUP BY business_date, w;
	DELETE FROM hq_day_state WHERE branch = p_branch AND business_date = ANY (p_days);
	INSERT INTO hq_day_state (branch, business_date, tickets, eligible, diverted, rerouted,
	    no_shows, complaints, nps_responses, promoters, detractors)
	SELECT p_branch, d, sum(tickets), sum(eligible), sum(diverted), sum(rerouted),
	    sum(no_shows), sum(complaints), sum(responses), sum(promoters), sum(detractors)
	FROM (
		SELECT business_date AS d, 1 AS tickets, eligible::int AS eligible,
		    (issue_lane = 'self_service')::int AS diverted,
		    (issue_lane = 'self_service' AND lane <> 'self_service')::int AS rerouted,
		    (status = 'no_show')::int AS no_shows, 0 AS complaints, 0 AS responses,
		    0 AS promoters, 0 AS detractors
		FROM hq_ticket_state WHERE branch = p_branch AND business_date = ANY (p_days)
		UNION ALL
		SELECT business_date, 0, 0, 0, 0, 0, 1, 0, 0, 0
		FROM hq_complaint_state WHERE branch = p_branch AND business_date = ANY (p_days)
		UNION ALL
		SELECT business_date, 0, 0, 0, 0, 0, 0, 1, (score >= 9)::int, (score <= 6)::int
		FROM hq_survey_state WHERE branch = p_branch AND business_date = ANY (p_days)) u
	GROUP BY d;
	PERFORM hq_day_waits_refresh(p_branch, p_days);
END;
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
		PERFORM hq_partition_ensure('hq_day_wait', v_month);
	END LOOP;

	-- The events and what they say, in one statement.  Every part of it
	-- sees the tables as they were before it, so the *_old parts read the
	-- rows the upserts replace: the day counts move by the difference
	-- between what each changed entity counts for now and what it counted
	-- for before (nothing for a row it did not have).
	WITH ev AS MATERIALIZED (
		SELECT x.seq, x.at, x.kind, x.payload
		FROM jsonb_to_recordset(p_events) AS x(seq bigint, at bigint, kind text,
		    payload jsonb)
		WHERE x.seq > v_mark
	), ins AS (
		INSERT INTO hq_events (branch, seq, occurred_at, kind, payload)
		SELECT p_branch, seq, to_timestamp(at), kind, payload FROM ev
	), t_new AS MATERIALIZED (
		-- The latest of each ticket in the batch.
		SELECT DISTINCT ON (t.id) t.business_date, t.id AS ticket_id, ev.seq, t.number,
		    t.lane, t.issue_lane, t.status, t.service, t.amount_fen, t.loose_cash, t.vip,
		    t.needs_assistance, t.accessibility, t.priority, t.eligible, t.route_rule,
		    to_timestamp(t.issued_at) AS issued_at, to_timestamp(t.queued_at) AS queued_at,
		    to_timestamp(t.called_at) AS called_at,
		    to_timestamp(t.first_called_at) AS first_called_at, t.first_called_lane,
		    to_timestamp(t.started_at) AS started_at,
		    to_timestamp(t.finished_at) AS finished_at, t."window" AS window_number,
		    t.recalls, t.staff, t.closed_by
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
	), t_old AS MATERIALIZED (
		SELECT o.* FROM t_new n JOIN hq_ticket_state o ON o.branch = p_branch
		    AND o.business_date = n.business_date AND o.ticket_id = n.ticket_id
	), tk AS (
		INSERT INTO hq_ticket_state AS o (branch, business_date, ticket_id, seq, number,
		    lane, issue_lane, status, service, amount_fen, loose_cash, vip,
		    needs_assistance, accessibility, priority, eligible, route_rule, issued_at,
		    queued_at, called_at, first_called_at, first_called_lane, started_at,
		    finished_at, window_number, recalls, staff, closed_by)
		SELECT p_branch, business_date, ticket_id, seq, number, lane, issue_lane, status,
		    service, amount_fen, loose_cash, vip, needs_assistance, accessibility,
		    priority, eligible, route_rule, issued_at, queued_at, called_at,
		    first_called_at, first_called_lane, started_at, finished_at, window_number,
		    recalls, staff, closed_by
		FROM t_new
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
	), c_new AS MATERIALIZED (
		SELECT DISTINCT ON (c.id) c.id AS complaint_id, ev.seq, c.state, c.category,
		    c.severity, c.channel, c.ticket_id, c.ticket_number, c.customer_name,
		    c.customer_phone, c.first_responder, c.owner,
		    to_timestamp(c.logged_at) AS logged_at, c.business_date,
		    to_timestamp(c.follow_up_due) AS follow_up_due,
		    coalesce(c.overdue, false) AS overdue, c.root_cause,
		    to_timestamp(c.resolved_at) AS resolved_at,
		    to_timestamp(c.closed_at) AS closed_at, c.compensation_fen
		FROM ev, jsonb_to_record(ev.payload->'complaint') AS c(id bigint, state text,
		    category text, severity integer, channel text, ticket_id bigint,
		    ticket_number text, customer_name text, customer_phone text,
		    first_responder text, owner text, logged_at bigint, business_date date,
		    follow_up_due bigint, overdue boolean, root_cause text, resolved_at bigint,
		    closed_at bigint, compensation_fen bigint)
		WHERE ev.kind LIKE 'complaint.%'
		    AND jsonb_typeof(ev.payload->'complaint') = 'object' AND c.id IS NOT NULL
		ORDER BY c.id, ev.seq DESC
	), c_old AS MATERIALIZED (
		SELECT o.* FROM c_new n JOIN hq_complaint_state o ON o.branch = p_branch
		    AND o.complaint_id = n.complaint_id
	), cp AS (
		INSERT INTO hq_complaint_state AS o (branch, complaint_id, seq, state, category,
		    severity, channel, ticket_id, ticket_number, customer_name, customer_phone,
		    first_responder, owner, logged_at, business_date, follow_up_due, overdue,
		    root_cause, resolved_at, closed_at, compensation_fen)
		SELECT p_branch, complaint_id, seq, state, category, severity, channel,
		    ticket_id, ticket_number, customer_name, customer_phone, first_responder,
		    owner, logged_at, business_date, follow_up_due, overdue, root_cause,
		    resolved_at, closed_at, compensation_fen
		FROM c_new
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
	), s_new AS MATERIALIZED (
		SELECT DISTINCT ON (s.id) s.business_date, s.id AS survey_id, ev.seq, s.ticket_id,
		    s.score, s.complaint_id, to_timestamp(ev.at) AS submitted_at
		FROM ev, jsonb_to_record(ev.payload->'survey') AS s(id bigint,
		    business_date date, ticket_id bigint, score integer, complaint_id bigint)
		WHERE ev.kind LIKE 'survey.%' AND jsonb_typeof(ev.payload->'survey') = 'object'
		    AND s.id IS NOT NULL AND s.business_date IS NOT NULL
		ORDER BY s.id, ev.seq DESC
	), s_old AS MATERIALIZED (
		SELECT o.* FROM s_new n JOIN hq_survey_state o ON o.branch = p_branch
		    AND o.business_date = n.business_date AND o.survey_id = n.survey_id
	), sv AS (
		INSERT INTO hq_survey_state AS o (branch, business_date, survey_id, seq,
		    ticket_id, score, complaint_id, submitted_at)
		SELECT p_branch, business_date, survey_id, seq, ticket_id, score, complaint_id,
		    submitted_at
		FROM s_new
		ON CONFLICT (branch, business_date, survey_id) DO UPDATE SET
		    seq = excluded.seq, ticket_id = excluded.ticket_id, score = excluded.score,
		    complaint_id = excluded.complaint_id, submitted_at = excluded.submitted_at
		WHERE o.seq < excluded.seq
	), counts AS (
		-- What each entity counts for (see hq_branch_day), +1 as it is
		-- now and -1 as it was.
		SELECT d, sum(tickets) AS tickets, sum(eligible) AS eligible,
		    sum(diverted) AS diverted, sum(rerouted) AS rerouted,
		    sum(no_shows) AS no_shows, sum(complaints) AS complaints,
		    sum(responses) AS responses, sum(promoters) AS promoters,
		    sum(detractors) AS detractors
		FROM (
			SELECT x.business_date AS d, x.k AS tickets,
			    x.k * coalesce(x.eligible::int, 0) AS eligible,
			    x.k * coalesce((x.issue_lane = 'self_service')::int, 0) AS diverted,
			    x.k * coalesce((x.issue_lane = 'self_service'
				AND x.lane <> 'self_service')::int, 0) AS rerouted,
			    x.k * coalesce((x.status = 'no_show')::int, 0) AS no_shows,
			    0 AS complaints, 0 AS responses, 0 AS promoters, 0 AS detractors
			FROM (SELECT 1 AS k, business_date, eligible, issue_lane, lane, status
			    FROM t_new
			    UNION ALL SELECT -1, business_date, eligible, issue_lane, lane, status
			    FROM t_old) x
			UNION ALL
			SELECT y.business_date, 0, 0, 0, 0, 0, y.k, 0, 0, 0
			FROM (SELECT 1 AS k, business_date FROM c_new
			    UNION ALL SELECT -1, business_date FROM c_old) y
			UNION ALL
			SELECT z.business_date, 0, 0, 0, 0, 0, 0, z.k,
			    z.k * coalesce((z.score >= 9)::int, 0),
			    z.k * coalesce((z.score <= 6)::int, 0)
			FROM (SELECT 1 AS k, business_date, score FROM s_new
			    UNION ALL SELECT -1, business_date, score FROM s_old) z) u
		WHERE d IS NOT NULL
		GROUP BY d
	), day AS (
		INSERT INTO hq_day_state AS o (branch, business_date, tickets, eligible,
		    diverted, rerouted, no_shows, complaints, nps_responses, promoters,
		    detractors, target_wait_s)
		SELECT p_branch, d, tickets, eligible, diverted, rerouted, no_shows, complaints,
		    responses, promoters, detractors, v_target
		FROM counts
		WHERE tickets <> 0 OR eligible <> 0 OR diverted <> 0 OR rerouted <> 0
		    OR no_shows <> 0 OR complaints <> 0 OR responses <> 0 OR promoters <> 0
		    OR detractors <> 0
		ON CONFLICT (branch, business_date) DO UPDATE SET
		    tickets = o.tickets + excluded.tickets,
		    eligible = o.eligible + excluded.eligible,
		    diverted = o.diverted + excluded.diverted,
		    rerouted = o.rerouted + excluded.rerouted,
		    no_shows = o.no_shows + excluded.no_shows,
		    complaints = o.complaints + excluded.complaints,
		    nps_responses = o.nps_responses + excluded.nps_responses,
		    promoters = o.promoters + excluded.promoters,
		    detractors = o.detractors + excluded.detractors,
		    updated_at = now()
	), waits AS (
		-- The histogram moves only when a ticket's wait does: its first
		-- call, one event in five or so.
		SELECT d, w, sum(k) AS k FROM (
			SELECT business_date AS d, hq_wait_s(issued_at, first_called_at) AS w, 1 AS k
			FROM t_new
			UNION ALL
			SELECT business_date, hq_wait_s(issued_at, first_called_at), -1
			FROM t_old) x
		WHERE w IS NOT NULL
		GROUP BY d, w
		HAVING sum(k) <> 0
	), hist AS (
		INSERT INTO hq_day_wait AS o (branch, business_date, wait_s, n)
		SELECT p_branch, d, w, k FROM waits
		ON CONFLICT (branch, business_date, wait_s) DO UPDATE SET n = o.n + excluded.n
	)
	SELECT array_agg(DISTINCT d) INTO v_days FROM waits;

	SELECT (e->>'at')::bigint INTO v_last_at
	FROM jsonb_array_elements(p_events) e WHERE (e->>'seq')::bigint = v_last;

	UPDATE hq_branch_state SET mark = v_last, region = p_region,
	    target_wait_s = coalesce(p_target_wait_s, target_wait_s),
	    last_event_at = to_timestamp(v_last_at), received_at = now()
	WHERE branch = p_branch;
	-- A new target changes within_target of every day the branch has (its
	-- own report.summary uses the target it has now, for any date): rare,
	-- a configuration change; else the days whose waits moved.
	IF p_target_wait_s IS NOT NULL AND p_target_wait_s <> v_target THEN
		SELECT array_agg(business_date) INTO v_days
		FROM hq_day_state WHERE branch = p_branch;
	END IF;
	IF v_days IS NOT NULL THEN
		PERFORM hq_day_waits_refresh(p_branch, v_days);
	END IF;
	RETURN v_last;
END;
$$;

-- Who may call them.  The relay logs in as a role of its own (one per
-- branch, or one for all), which should hold no privilege on the tables:
-- both functions run as their owner (the role that ran `branchq hq
-- migrate`), which alone writes the tables and makes the partitions
-- (ATTACH PARTITION needs the parent's owner).  Granted to no one here:
-- the DBA grants EXECUTE to the relay's role (docs/HEADOFFICE.md).  Their
-- search_path is pinned to the schema they were made in, pg_temp last, so
-- that a caller's own objects cannot stand in for the tables.
ALTER FUNCTION hq_ingest(text, text, integer, jsonb) SECURITY DEFINER;
ALTER FUNCTION hq_last_seq(text) SECURITY DEFINER;
REVOKE EXECUTE ON FUNCTION hq_ingest(text, text, integer, jsonb) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION hq_last_seq(text) FROM PUBLIC;
DO $$
BEGIN
	EXECUTE format('ALTER FUNCTION hq_ingest(text, text, integer, jsonb) SET search_path = %I, pg_temp',
	    current_schema());
	EXECUTE format('ALTER FUNCTION hq_last_seq(text) SET search_path = %I, pg_temp',
	    current_schema());
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

-- The day figures, each as the branch's report.summary for that one day
-- (src/report.c, src/op-report.c, src/stats.c):
--   tickets		the day's tickets
--   eligible		eligible by amount (DOMAIN §1)
--   diverted		issued to self_service
--   rerouted		issued to self_service and in a queue lane now: only a
--			reroute (to a queue lane, once) takes a ticket out of
--			self-service, so this is the branch's rerouted_total
--   diversion_rate	(diverted - rerouted) / eligible in float8, null
--			without an eligible ticket
--   waiting_p50_s/p90_s nearest ranks of the waits (hq_day_waits_refresh),
--			null if no ticket was called
--   within_target	waits <= the branch's target, rounded as the branch
--			does: ((within * 10000 + n / 2) / n) / 10000.0, integers
--			then float8; null if no ticket was called
--   no_shows		status no_show
--   complaints		complaints of that business date
--   nps_responses	surveys of that business date
--   nps_score		100.0 * (promoters - detractors) / n in float8 (promoter
--			9-10, detractor 0-6); 0 without answers, as report.summary's
--			branch-wide score
CREATE VIEW hq_branch_day (branch, business_date, tickets, eligible, diverted, rerouted,
    diversion_rate, waiting_p50_s, waiting_p90_s, within_target, no_shows, complaints,
    nps_responses, nps_score) AS
	SELECT branch, business_date, tickets, eligible, diverted, rerouted,
	    CASE WHEN eligible > 0
		THEN (diverted - rerouted)::float8 / eligible::float8 END,
	    waiting_p50_s, waiting_p90_s,
	    CASE WHEN waits > 0
		THEN ((within_target_n * 10000 + waits / 2) / waits)::float8 / 10000.0::float8 END,
	    no_shows, complaints, nps_responses,
	    CASE WHEN nps_responses > 0
		THEN 100.0::float8 * (promoters - detractors)::float8 / nps_responses::float8
		ELSE 0::float8 END
	FROM hq_day_state;
