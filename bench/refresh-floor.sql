-- refresh-floor.sql: the writes of one POST /auth/token-refresh, as authsvc
-- sends them (one pipeline, one round trip), for pgbench (bench/refresh-floor).
-- :uid is the bench user's id, :rows the number of preloaded refresh tokens.
-- Not here: the read of the client and the user's claims, the signing, HTTP.
\set n random(1, :rows)
\startpipeline
BEGIN;
-- the presented refresh token is used up
UPDATE main.refresh_tokens SET used_at = now()
	WHERE token_hash = encode(sha256(:n::text::bytea), 'hex')::char(64);
-- its access token is revoked
INSERT INTO main.revoked_tokens (jti, expires_at)
	VALUES (md5(random()::text), now() + interval '1 hour') ON CONFLICT DO NOTHING;
-- the new refresh token
INSERT INTO main.refresh_tokens (token_hash, family_id, client_id, user_id, access_jti,
		access_hash, access_exp, expires_at)
	VALUES (encode(sha256(random()::text::bytea), 'hex'), gen_random_uuid(), 'bench',
		:uid, md5(random()::text), encode(sha256(random()::text::bytea), 'hex'),
		now() + interval '1 hour', now() + interval '1 day');
-- the login_activity row
INSERT INTO main.login_activity (actor, tenant_id, token_payload, login_type, device_info,
		ip_address)
	VALUES (:uid, '0', '{"id":"x","username":"bench","permissions":["ViewLoginActivity"]}',
		'RELOGIN', 'wrk', '127.0.0.1');
COMMIT;
\endpipeline
