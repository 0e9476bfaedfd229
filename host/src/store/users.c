#include "store/users.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

int store_user_credentials(struct db *db, const char *username, struct user_cred *out,
			   struct err *err)
{
	const char *params[1] = {username};
	PGresult *res;

	memset(out, 0, sizeof(*out));
	if (strlen(username) > 150)
		return 0;
	res = db_exec_prepared(
	    db,
	    "SELECT u.id, u.username, c.auth_provider, coalesce(c.password, '')"
	    " FROM users u JOIN user_credentials c ON c.user_id = u.id AND NOT c.deleted"
	    " WHERE lower(u.username) = lower($1) AND NOT u.deleted",
	    1, params, err);
	if (res == NULL)
		return -1;
	if (PQntuples(res) != 1) {
		PQclear(res);
		return 0;
	}
	snprintf(out->user_id, sizeof(out->user_id), "%s", PQgetvalue(res, 0, 0));
	snprintf(out->username, sizeof(out->username), "%s", PQgetvalue(res, 0, 1));
	snprintf(out->provider, sizeof(out->provider), "%s", PQgetvalue(res, 0, 2));
	out->hash = strdup(PQgetvalue(res, 0, 3));
	PQclear(res);
	return out->hash != NULL ? 1 : err_set(err, 500, "out of memory");
}

void user_cred_release(struct user_cred *c)
{
	if (c->hash != NULL) {
		OPENSSL_cleanse(c->hash, strlen(c->hash));
		free(c->hash);
	}
	memset(c, 0, sizeof(*c));
}

int store_user_set_password(struct db *db, const char *user_id, const char *hash, struct err *err)
{
	const char *params[2] = {user_id, hash};
	PGresult *res = db_exec_prepared(
	    db,
	    "UPDATE user_credentials SET password = $2, password_changed_on = now()"
	    " WHERE user_id = $1 AND NOT deleted",
	    2, params, err);

	if (res == NULL)
		return -1;
	PQclear(res);
	return 0;
}

static const char user_ctx_sql[] =
    "SELECT u.id, ut.id, ut.tenant_id, u.username, ut.status, t.status, r.name IS NOT NULL,"
    " coalesce($3::int = ANY(u.auth_client_ids), false), coalesce(cardinality(u.auth_client_ids), "
    "0),"
    " json_strip_nulls(json_build_object("
    "  'id', u.id, 'username', u.username, 'email', u.email, 'phone', u.phone,"
    "  'name', nullif(concat_ws(' ', nullif(u.first_name, ''), nullif(u.middle_name, ''),"
    "                            nullif(u.last_name, '')), ''),"
    "  'firstName', u.first_name, 'middleName', u.middle_name, 'lastName', u.last_name,"
    "  'designation', u.designation, 'photoUrl', u.photo_url, 'gender', u.gender,"
    "  'dob', u.dob, 'defaultTenantId', u.default_tenant_id, 'lastLogin', u.last_login,"
    "  'tenantId', ut.tenant_id, 'userTenantId', ut.id, 'status', ut.status, 'role', r.name,"
    "  'permissions', (SELECT coalesce(json_agg(p.perm ORDER BY p.grp, p.ord), '[]'::json) FROM ("
    "     SELECT x.perm, 0 AS grp, x.ord FROM unnest(coalesce(r.permissions, '{}'::text[]))"
    "       WITH ORDINALITY AS x(perm, ord)"
    "       WHERE NOT EXISTS (SELECT 1 FROM user_permissions d WHERE d.user_tenant_id = ut.id"
    "         AND NOT d.deleted AND NOT d.allowed AND d.permission = x.perm)"
    "     UNION ALL"
    "     SELECT g.permission, 1, row_number() OVER (ORDER BY g.created_on, g.id)"
    "       FROM user_permissions g WHERE g.user_tenant_id = ut.id AND NOT g.deleted"
    "         AND g.allowed AND NOT (g.permission = ANY(coalesce(r.permissions, '{}'::text[])))"
    "  ) p),"
    "  'userPreferences', json_build_object('locale', coalesce(nullif(ut.locale, ''),"
    "     (SELECT tc.config_value->>'locale' FROM tenant_configs tc WHERE tc.tenant_id = "
    "ut.tenant_id"
    "        AND tc.config_key = 'profile' AND NOT tc.deleted ORDER BY tc.created_on LIMIT 1),"
    "     'en')),"
    "  'age', CASE WHEN u.dob IS NULL THEN NULL ELSE date_part('year', age(u.dob))::int END"
    " ))"
    " FROM users u"
    " JOIN user_tenants ut ON ut.user_id = u.id AND NOT ut.deleted"
    "   AND ut.tenant_id = coalesce($2::uuid, u.default_tenant_id)"
    " JOIN tenants t ON t.id = ut.tenant_id AND NOT t.deleted"
    " LEFT JOIN roles r ON r.id = ut.role_id AND NOT r.deleted"
    " WHERE u.id = $1::uuid AND NOT u.deleted";

static bool uuid_like(const char *s)
{
	size_t n = strlen(s);

	if (n != 36)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		bool dash = i == 8 || i == 13 || i == 18 || i == 23;

		if (dash ? c != '-'
			 : !((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
			     (c >= 'A' && c <= 'F')))
			return false;
	}
	return true;
}

int store_user_context(struct db *db, const char *user_id, const char *tenant_id, int client_id,
		       struct user_ctx *out, struct err *err)
{
	char cid[16];
	const char *params[3] = {user_id, tenant_id, cid};
	json_error_t jerr;
	PGresult *res;

	memset(out, 0, sizeof(*out));
	if (!uuid_like(user_id) || (tenant_id != NULL && !uuid_like(tenant_id)))
		return 0;
	snprintf(cid, sizeof(cid), "%d", client_id);
	res = db_exec_prepared(db, user_ctx_sql, 3, params, err);
	if (res == NULL)
		return -1;
	if (PQntuples(res) != 1) {
		PQclear(res);
		return 0;
	}
	snprintf(out->user_id, sizeof(out->user_id), "%s", PQgetvalue(res, 0, 0));
	snprintf(out->user_tenant_id, sizeof(out->user_tenant_id), "%s", PQgetvalue(res, 0, 1));
	snprintf(out->tenant_id, sizeof(out->tenant_id), "%s", PQgetvalue(res, 0, 2));
	snprintf(out->username, sizeof(out->username), "%s", PQgetvalue(res, 0, 3));
	out->ut_status = (int)strtol(PQgetvalue(res, 0, 4), NULL, 10);
	out->tenant_status = (int)strtol(PQgetvalue(res, 0, 5), NULL, 10);
	out->role_found = PQgetvalue(res, 0, 6)[0] == 't';
	out->client_allowed = PQgetvalue(res, 0, 7)[0] == 't';
	out->nclients = (int)strtol(PQgetvalue(res, 0, 8), NULL, 10);
	out->claims = json_loads(PQgetvalue(res, 0, 9), 0, &jerr);
	PQclear(res);
	if (out->claims == NULL)
		return err_set(err, 500, "cannot parse user claims");
	return 1;
}

void user_ctx_release(struct user_ctx *u)
{
	if (u->claims != NULL)
		json_decref(u->claims);
	u->claims = NULL;
}

int store_user_touch_login(struct db *db, const struct user_ctx *u, struct err *err)
{
	const char *params[1] = {u->user_id};
	PGresult *res;

	if (u->ut_status == 0 || u->ut_status == 3)
		return 0; /* first-time user: lastLogin stays unset (BEHAVIOUR §4) */
	res = db_exec_prepared(db, "UPDATE users SET last_login = now() WHERE id = $1::uuid", 1,
			       params, err);
	if (res == NULL)
		return -1;
	PQclear(res);
	return 0;
}
