-- The team's acknowledgements and silences: an append-only log every
-- opsdeck folds the same way. An acknowledgement or silence ends once:
-- the unique index lets one of two processes that see it end record it.
CREATE TABLE opsdeck_oncall (
	seq    bigserial   PRIMARY KEY,
	at     timestamptz NOT NULL,
	op     text        NOT NULL,
	ends   text,
	record jsonb       NOT NULL
);
CREATE INDEX opsdeck_oncall_at ON opsdeck_oncall (at);
CREATE UNIQUE INDEX opsdeck_oncall_ends ON opsdeck_oncall (ends) WHERE ends IS NOT NULL;
