-- opsdeck's shared record. Every table keeps the whole record as JSON
-- (what the files hold, line for line) beside the columns a team queries:
--   SELECT time, operator, outcome FROM opsdeck_audit
--    WHERE host = 'db-1' AND kind = 'restart' ORDER BY time;
CREATE TABLE opsdeck_audit (
	seq      bigserial PRIMARY KEY,
	id       text        NOT NULL,
	time     timestamptz NOT NULL,
	operator text        NOT NULL,
	host     text        NOT NULL,
	kind     text        NOT NULL,
	target   text        NOT NULL,
	outcome  text        NOT NULL,
	record   jsonb       NOT NULL,
	UNIQUE (id, outcome, time)
);
CREATE INDEX opsdeck_audit_host_time ON opsdeck_audit (host, time);

CREATE TABLE opsdeck_drills (
	seq    bigserial PRIMARY KEY,
	time   timestamptz NOT NULL,
	host   text        NOT NULL,
	backup text        NOT NULL,
	passed boolean     NOT NULL,
	record jsonb       NOT NULL,
	UNIQUE (host, backup, time)
);

CREATE TABLE opsdeck_events (
	seq      bigserial PRIMARY KEY,
	time     timestamptz NOT NULL,
	host     text        NOT NULL,
	check_   text        NOT NULL,
	to_state text        NOT NULL,
	record   jsonb       NOT NULL,
	UNIQUE (host, check_, time, to_state)
);
CREATE INDEX opsdeck_events_time ON opsdeck_events (time);

-- Small named values: the check command's last states.
CREATE TABLE opsdeck_values (
	name       text PRIMARY KEY,
	value      jsonb       NOT NULL,
	updated_at timestamptz NOT NULL
);

-- Who holds a target's advisory lock, for the message of the one refused.
CREATE TABLE opsdeck_locks (
	key      bigint PRIMARY KEY,
	host     text        NOT NULL,
	target   text        NOT NULL,
	kind     text        NOT NULL,
	operator text        NOT NULL,
	pid      integer     NOT NULL,
	since    timestamptz NOT NULL
);
