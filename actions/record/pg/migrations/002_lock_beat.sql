-- A lock's note beats while its holder acts: a holder whose lock's
-- connection was lost still speaks for its target until its beat is older
-- than the lease. token tells one hold from the next.
ALTER TABLE opsdeck_locks
	ADD COLUMN beat  timestamptz NOT NULL DEFAULT now(),
	ADD COLUMN token text        NOT NULL DEFAULT '';
