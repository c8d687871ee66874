-- For report.followups and report.summary (docs/PERFORMANCE.md): the
-- follow-ups on time and late are counted from this index alone, not from
-- every action ever taken on a complaint.
CREATE INDEX complaint_actions_followups ON complaint_actions (business_date, on_time)
	WHERE kind = 'followup';
