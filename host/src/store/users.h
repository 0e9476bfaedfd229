/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Users as the login flows need them. Workers only (blocking).
 *
 * store_user_credentials: the password hash and provider of a username
 * (compared lower-case, soft-deleted users invisible).
 *
 * store_user_context: everything the core needs to decide whether a user
 * may get tokens for a tenant (docs/api.md "Eligibility") together with the
 * AuthUser claim set (docs/api.md "Endpoints served now", GET /auth/me), built by PostgreSQL as
 * JSON: role name, effective permissions (role permissions minus denied plus granted user
 * permissions), userPreferences.locale (user_tenant, then the tenant's
 * profile config, then "en"), age from dob.
 */
#ifndef AUTHSVC_STORE_USERS_H
#define AUTHSVC_STORE_USERS_H

#include <stdbool.h>

#include <jansson.h>

#include "store/db.h"

/* A username is at most 150 characters (users.username is varchar(150))
 * and at most 159 bytes: the plugin ABI's authsvc_identity.username holds
 * 160. Creation refuses longer ones (store/provision.c), so a lookup of a
 * longer name finds nobody. */
#define USERNAME_MAX_BYTES 159

/* A varchar(150) value in UTF-8 (e-mail addresses): up to 600 bytes. */
#define VARCHAR150_BUF (4 * 150 + 1)

struct user_cred {
	char user_id[40];
	char username[160];
	char provider[32];
	char *hash; /* malloc'd, wiped and freed by user_cred_release */
};

struct user_ctx {
	char user_id[40];
	char user_tenant_id[40];
	char tenant_id[40];
	char username[160];
	int ut_status;	   /* user_tenants.status */
	int tenant_status; /* tenants.status */
	bool role_found;
	bool client_allowed; /* the client's id is in users.auth_client_ids */
	int nclients;	     /* cardinality(auth_client_ids) */
	json_t *claims;	     /* AuthUser claims, new reference */
};

/* 1 found, 0 unknown, -1 error. */
int store_user_credentials(struct db *db, const char *username, struct user_cred *out,
			   struct err *err);
void user_cred_release(struct user_cred *c);
int store_user_set_password(struct db *db, const char *user_id, const char *hash, struct err *err);

/*
 * The user context query for user uid in tenant tid (NULL: the user's
 * default tenant) as seen by the auth client with numeric id cid, each an
 * SQL expression; USER_CTX_NCOLS columns, read by user_ctx_read. Other
 * statements embed it (as a LATERAL join) to save a round trip; its table
 * aliases (u, ut, t, r, p, x, d, g, tc) are taken inside it.
 */
#define USER_CTX_SELECT(uid, tid, cid)                                                             \
	"SELECT u.id, ut.id, ut.tenant_id, u.username, ut.status, t.status, r.name IS NOT NULL,"   \
	" coalesce(" cid "::int = ANY(u.auth_client_ids), false),"                                 \
	" coalesce(cardinality(u.auth_client_ids), 0),"                                            \
	" json_strip_nulls(json_build_object("                                                     \
	"  'id', u.id, 'username', u.username, 'email', u.email, 'phone', u.phone,"                \
	"  'name', nullif(concat_ws(' ', nullif(u.first_name, ''), nullif(u.middle_name, ''),"     \
	"                            nullif(u.last_name, '')), ''),"                               \
	"  'firstName', u.first_name, 'middleName', u.middle_name, 'lastName', u.last_name,"       \
	"  'designation', u.designation, 'photoUrl', u.photo_url, 'gender', u.gender,"             \
	"  'dob', u.dob, 'defaultTenantId', u.default_tenant_id, 'lastLogin', u.last_login,"       \
	"  'tenantId', ut.tenant_id, 'userTenantId', ut.id, 'status', ut.status, 'role', r.name,"  \
	"  'permissions', to_json(ARRAY(SELECT x.perm"                                             \
	"     FROM unnest(coalesce(r.permissions, '{}'::text[])) WITH ORDINALITY AS x(perm, ord)"  \
	"     WHERE NOT EXISTS (SELECT 1 FROM user_permissions d WHERE d.user_tenant_id = ut.id"   \
	"       AND NOT d.deleted AND NOT d.allowed AND d.permission = x.perm)"                    \
	"     ORDER BY x.ord)"                                                                     \
	"   || ARRAY(SELECT g.permission FROM user_permissions g WHERE g.user_tenant_id = ut.id"   \
	"       AND NOT g.deleted AND g.allowed"                                                   \
	"       AND NOT (g.permission = ANY(coalesce(r.permissions, '{}'::text[])))"               \
	"     ORDER BY g.created_on, g.id)),"                                                      \
	"  'userPreferences', json_build_object('locale', coalesce(nullif(ut.locale, ''),"         \
	"     (SELECT tc.config_value->>'locale' FROM tenant_configs tc"                           \
	"       WHERE tc.tenant_id = ut.tenant_id AND tc.config_key = 'profile'"                   \
	"         AND NOT tc.deleted ORDER BY tc.created_on LIMIT 1),"                             \
	"     'en')),"                                                                             \
	"  'age', CASE WHEN u.dob IS NULL THEN NULL ELSE date_part('year', age(u.dob))::int END"   \
	" ))"                                                                                      \
	" FROM users u"                                                                            \
	" JOIN user_tenants ut ON ut.user_id = u.id AND NOT ut.deleted"                            \
	"   AND ut.tenant_id = coalesce(" tid "::uuid, u.default_tenant_id)"                       \
	" JOIN tenants t ON t.id = ut.tenant_id AND NOT t.deleted"                                 \
	" LEFT JOIN roles r ON r.id = ut.role_id AND NOT r.deleted"                                \
	" WHERE u.id = " uid "::uuid AND NOT u.deleted"
#define USER_CTX_NCOLS 10

/* Fill out from the USER_CTX_SELECT columns starting at col; 1 read, 0 the
 * columns are NULL (no such user in a LEFT JOIN), -1 (err) bad claims. */
int user_ctx_read(const PGresult *res, int row, int col, struct user_ctx *out, struct err *err);

/* s has the shape of a uuid (36 characters, hex and dashes): a value that
 * would make a ::uuid cast fail is refused before it reaches the database. */
bool store_uuid_like(const char *s);

/* tenant_id NULL: the user's default tenant. 1 found, 0 no such user/user_tenant, -1 error. */
int store_user_context(struct db *db, const char *user_id, const char *tenant_id, int client_id,
		       struct user_ctx *out, struct err *err);
void user_ctx_release(struct user_ctx *u);

/* last_login = now(), unless the user_tenant is REGISTERED or PASSWORD_CHANGE_NEEDED.
 * Deferred inside a transaction (db_defer_prepared). */
int store_user_touch_login(struct db *db, const struct user_ctx *u, struct err *err);

#endif
