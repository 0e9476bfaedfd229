-- Revocations reach the other instances in batches.
--
-- A NOTIFY takes a lock that serialises every notifying commit of the
-- cluster, so one per revoked row (one per token refresh) halved the
-- database's write rate. authsvc's own connections now set
-- authsvc.revocations = 'batched' and announce their revocations with one
-- NOTIFY per batch (tokens.revocation_batch_ms); listeners then read the
-- rows they have not seen by transaction id: xid is the inserting
-- transaction, and a listener keeps the snapshot of its last read, so a row
-- committed after that read is never missed, whenever its transaction began.
-- Any other writer (psql, an older authsvc) still NOTIFYs per row.
ALTER TABLE main.revoked_tokens ADD COLUMN xid xid8 DEFAULT pg_current_xact_id();
CREATE INDEX revoked_tokens_xid ON main.revoked_tokens (xid);

DROP TRIGGER revoked_tokens_notify ON main.revoked_tokens;
CREATE TRIGGER revoked_tokens_notify AFTER INSERT ON main.revoked_tokens
	FOR EACH ROW
	WHEN (current_setting('authsvc.revocations', true) IS DISTINCT FROM 'batched')
	EXECUTE FUNCTION main.notify_revoked();
