-- Signing-key rotation (docs/operator-guide.md "Key rotation").
--
-- active_from: when a key starts signing. A rotated key is written with an
-- active_from a pickup interval ahead, so every instance holds it (and
-- verifies with it) before any instance signs with it; until then the
-- previous key signs. Rows written before this migration sign from their
-- creation. created_on is a timestamp without time zone (upstream's
-- column); it is read in the session's time zone, as upstream wrote it.
ALTER TABLE main.jwt_keys ADD COLUMN active_from timestamptz;
UPDATE main.jwt_keys SET active_from = created_on;
ALTER TABLE main.jwt_keys ALTER COLUMN active_from SET DEFAULT now();
ALTER TABLE main.jwt_keys ALTER COLUMN active_from SET NOT NULL;

-- Every change of the keys (authsvc-admin keys, a server's automatic
-- rotation or retirement, or plain SQL) tells the running instances to
-- reload them; instances also poll (tokens.key_poll), for engines without
-- NOTIFY.
CREATE FUNCTION main.notify_jwt_keys() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	PERFORM pg_notify('authsvc_keys', '');
	RETURN NULL;
END
$$;
CREATE TRIGGER jwt_keys_notify AFTER INSERT OR UPDATE OR DELETE ON main.jwt_keys
	FOR EACH STATEMENT EXECUTE FUNCTION main.notify_jwt_keys();
