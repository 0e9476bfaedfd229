-- Role names are unique within their tenant (and among global roles, whose
-- tenant_id is NULL) instead of across the database: upstream's roles
-- belong to a tenant, and every tenant of an upstream database may have its
-- own "admin" (docs/migrating.md). authsvc-admin user add and sign-up look
-- a role up by name in the user's tenant first, then among global roles.
DROP INDEX main.roles_name_key;
CREATE UNIQUE INDEX roles_tenant_name_key
	ON main.roles (coalesce(tenant_id, '00000000-0000-0000-0000-000000000000'::uuid), name)
	WHERE NOT deleted;
