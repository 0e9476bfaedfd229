-- Indexes for the login-activity API (docs/api.md "Login activity").
--
-- GET /login-activity?filter={"where":{"actor":…,"loginTime":{"between":[…]}},
--   "order":"loginTime DESC","limit":50}: an index scan on (actor, login_time DESC)
--   reads exactly the page, newest first, with no sort.
CREATE INDEX IF NOT EXISTS login_activity_actor_time
	ON main.login_activity (actor, login_time DESC);
-- The (actor) index of 0001 is a prefix of the one above: drop it, one index less to
-- maintain on every login.
DROP INDEX IF EXISTS main.login_activity_actor;

-- Tenant + time range (every query of a caller with a tenantId, and /active-users
-- of one tenant): (tenant_id, login_time) already exists from 0001
-- (login_activity_tenant_time).

-- /active-users/{range} and list/count for a caller without tenantId: a time range
-- over all tenants.
CREATE INDEX IF NOT EXISTS login_activity_time ON main.login_activity (login_time);
