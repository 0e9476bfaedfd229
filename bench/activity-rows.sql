-- bench/activity-rows.sql: 1,000,000 login_activity rows for bench/activity-run.
--
--   psql -v tenant=<uuid of the bench tenant> -f bench/activity-rows.sql
--
-- ~10,000 actors (actor-0 .. actor-9999), each in one of 20 tenants (actor
-- number mod 20; tenant 0 is :tenant, the one the bench token belongs to,
-- the others tenant-1 .. tenant-19), login times spread over the last 365
-- days, three login types. Deterministic (no random()): the same rows on
-- every run. One INSERT ... SELECT generate_series, then ANALYZE.
\set ON_ERROR_STOP 1
INSERT INTO main.login_activity (actor, tenant_id, login_time, token_payload, login_type,
				 device_info, ip_address)
SELECT 'actor-' || (g % 10000),
       CASE WHEN g % 10000 % 20 = 0 THEN :'tenant' ELSE 'tenant-' || (g % 10000 % 20) END,
       now() - ((g::bigint * 7919) % (365 * 86400)) * interval '1 second',
       '{"iv":"' || md5(g::text) || '","encryptedData":"' || md5((g * 3)::text)
	   || md5((g * 5)::text) || md5((g * 7)::text) || '","authTag":"' || md5((g * 11)::text)
	   || '"}',
       (ARRAY['ACCESS', 'RELOGIN', 'LOGOUT'])[1 + g % 3],
       'Mozilla/5.0 (X11; Linux x86_64) bench/' || (g % 50),
       '{"iv":"' || md5((g * 13)::text) || '","encryptedData":"' || md5((g * 17)::text) || '"}'
FROM generate_series(1, 1000000) AS g;
ANALYZE main.login_activity;
