/* SPDX-License-Identifier: Apache-2.0 */
/*
 * import-upstream: the statements that copy each upstream table (see
 * admin_import.h). authsvc's tables carry upstream's names and columns, so
 * a row keeps its id and most columns go across unchanged.
 *
 * A table's columns are listed once, as an X-macro over four kinds:
 *   C(col)       read from upstream, written and kept up to date as it is;
 *   T(col, expr) read from upstream, written as expr (over the upstream row);
 *   N(col, expr) not upstream's, written as expr and kept up to date;
 *   I(col, expr) not upstream's, written as expr when the row is new only.
 * id and modified_on are in every table and not listed.
 *
 * Idempotent: a row is written when it is new, or when upstream's
 * modified_on is later than authsvc's and a column differs. authsvc's own
 * later changes (a last_login, a password re-hashed with argon2id at
 * login) bump its modified_on, so a second run leaves them alone; a row
 * changed at upstream after the import is written again.
 */
#include "admin_import.h"

/* clang-format off */
#define UP_C(c)		", " #c
#define UP_E(c, e)	", " #c
#define NO_E(c, e)
#define NAME_C(c)	", " #c
#define NAME_E(c, e)	", " #c
#define EXPR_C(c)	", " #c
#define EXPR_E(c, e)	", " e
#define EXC_C(c)	", EXCLUDED." #c
#define EXC_E(c, e)	", EXCLUDED." #c
#define OLD_C(c)	", o." #c
#define OLD_E(c, e)	", o." #c
/* clang-format on */

/* One batch of upstream rows, ordered by id, as a JSON array. */
#define READ_WHERE(table, keytype, cols, cond)                                                     \
	"SELECT coalesce(json_agg(r ORDER BY r.id), '[]')::text, count(*),"                        \
	" (array_agg(r.id ORDER BY r.id DESC))[1]::text"                                           \
	" FROM (SELECT id" cols " FROM main." table " WHERE ($1::" keytype                         \
	" IS NULL OR id > $1::" keytype ")" cond " ORDER BY id LIMIT $2::int) r"
#define READ(table, keytype, COLS)                                                                 \
	READ_WHERE(table, keytype, COLS(UP_C, UP_E, NO_E, NO_E) ", modified_on", "")

/* clang-format off */
#define UPSERT(table, COLS)                                                                        \
	"INSERT INTO main." table " AS o (id" COLS(NAME_C, NAME_E, NAME_E, NAME_E) ", modified_on)" \
	" SELECT id" COLS(EXPR_C, EXPR_E, EXPR_E, EXPR_E) ", modified_on"                          \
	" FROM json_populate_recordset(NULL::main." table ", $1::json)"                            \
	" ON CONFLICT (id) DO UPDATE SET (id" COLS(NAME_C, NAME_E, NAME_E, NO_E) ", modified_on)"  \
	" = ROW(EXCLUDED.id" COLS(EXC_C, EXC_E, EXC_E, NO_E) ", EXCLUDED.modified_on)"             \
	" WHERE EXCLUDED.modified_on > o.modified_on"                                              \
	" AND ROW(o.id" COLS(OLD_C, OLD_E, OLD_E, NO_E) ")"                                        \
	" IS DISTINCT FROM ROW(EXCLUDED.id" COLS(EXC_C, EXC_E, EXC_E, NO_E) ")"                    \
	" RETURNING CASE WHEN xmax = 0 THEN 'inserted' ELSE 'updated' END"
/* clang-format on */

/* clang-format off */
#define DELETED(C) C(created_on) C(deleted) C(deleted_on) C(deleted_by)

#define TENANTS(C, T, N, I) \
	C(name) C(status) C(key) C(address) C(city) C(state) C(zip) C(country) C(website) \
	C(created_by) C(modified_by) DELETED(C)

#define TENANT_CONFIGS(C, T, N, I) \
	C(config_key) C(config_value) C(tenant_id) C(created_by) C(modified_by) DELETED(C)

/* Upstream's roles belong to a tenant; so do authsvc's, whose names are
 * unique per tenant (host/sql/0011_roles_per_tenant.sql). */
#define ROLES(C, T, N, I) \
	C(name) C(description) C(tenant_id) T(permissions, "coalesce(permissions, '{}')") \
	C(role_type) C(allowed_clients) C(created_by) C(modified_by) DELETED(C)

/*
 * client_secret arrives hashed (IMPORT_CLIENT_SECRETS); upstream's `secret`
 * signed its own tokens and stays behind: authsvc signs with its keys and
 * gives the column random content, as `client add` does.
 */
#define AUTH_CLIENTS(C, T, N, I) \
	C(client_id) C(client_secret) C(redirect_url) C(access_token_expiration) \
	C(refresh_token_expiration) C(auth_code_expiration) \
	T(client_type, "coalesce(client_type, 'public')") C(created_by) C(modified_by) \
	DELETED(C) \
	I(secret, "replace(gen_random_uuid()::text || gen_random_uuid()::text, '-', '')")

#define USERS(C, T, N, I) \
	C(first_name) C(middle_name) C(last_name) C(username) C(email) C(phone) \
	T(auth_client_ids, "coalesce(auth_client_ids, '{}')") C(last_login) C(gender) C(dob) \
	C(default_tenant_id) C(photo_url) C(designation) C(created_by) C(modified_by) \
	DELETED(C)

/* Passwords: upstream's bcrypt hashes as they are (verified, then re-hashed
 * with argon2id, at each user's next login). TOTP secrets: upstream's plain
 * base32, which authsvc reads as confirmed. */
#define USER_CREDENTIALS(C, T, N, I) \
	C(user_id) C(auth_provider) C(auth_id) C(auth_token) C(password) C(secret_key) \
	N(totp_confirmed, "coalesce(secret_key, '') <> ''") C(created_by) C(modified_by) \
	DELETED(C)

#define USER_TENANTS(C, T, N, I) \
	C(user_id) C(tenant_id) C(role_id) C(status) C(locale) C(created_by) C(modified_by) \
	DELETED(C)

#define USER_PERMISSIONS(C, T, N, I) \
	C(user_tenant_id) C(permission) C(allowed) C(created_by) C(modified_by) DELETED(C)

#define USER_RESOURCES(C, T, N, I) \
	C(user_tenant_id) C(resource_name) C(resource_value) C(allowed) C(created_by) \
	C(modified_by) DELETED(C)
/* clang-format on */

/* auth_clients keeps upstream's integer ids, which authsvc's own clients
 * may hold already: an id that names another client here cannot be mapped
 * (users.auth_client_ids would then point at the wrong client). */
static const char clients_write[] =
    "WITH clash AS (SELECT 'id ' || c.id || ': authsvc has the client ' || c.client_id"
    "  || ' under this id, upstream has ' || r.client_id AS msg"
    "  FROM main.auth_clients c"
    "  JOIN json_populate_recordset(NULL::main.auth_clients, $1::json) r ON r.id = c.id"
    "  WHERE c.client_id <> r.client_id),"
    " w(what) AS (" UPSERT("auth_clients",
			   AUTH_CLIENTS) ")"
					 " SELECT msg FROM clash UNION ALL SELECT what FROM w";

/*
 * A social login's credentials (auth_provider, auth_id) become authsvc's
 * identity at that provider, which its logins match first. Provider names
 * are authsvc's plugin names; upstream's "aws-cognito" is "cognito".
 */
#define IDENTITY_PROVIDER                                                                          \
	"CASE auth_provider WHEN 'aws-cognito' THEN 'cognito' ELSE auth_provider END"

static const char identities_read[] =
    READ_WHERE("user_credentials", "uuid", ", user_id, auth_provider, auth_id",
	       " AND auth_provider <> 'internal' AND coalesce(auth_id, '') <> '' AND NOT deleted");

static const char identities_write[] =
    "WITH r AS (SELECT " IDENTITY_PROVIDER " AS provider, auth_id AS subject, user_id"
    "  FROM json_populate_recordset(NULL::main.user_credentials, $1::json)),"
    " ins AS (INSERT INTO main.user_identities (provider, subject, user_id)"
    "  SELECT provider, subject, user_id FROM r"
    "  ON CONFLICT (provider, subject) DO NOTHING RETURNING 1)"
    " SELECT 'inserted' FROM ins"
    " UNION ALL SELECT 'user ' || r.user_id || ': the identity at ' || r.provider"
    "  || ' is linked to another authsvc user already'"
    " FROM r JOIN main.user_identities i ON i.provider = r.provider"
    "  AND i.subject = r.subject AND i.user_id <> r.user_id";

/* Upstream's login_activity rows never change: new ones are added. */
#define ACTIVITY_COLS                                                                              \
	", actor, tenant_id, login_time, token_payload, login_type, device_info, ip_address"

const struct import_table import_tables[] = {
    {"tenants", READ("tenants", "uuid", TENANTS), UPSERT("tenants", TENANTS), IMPORT_AS_IS, false},
    {"tenant_configs", READ("tenant_configs", "uuid", TENANT_CONFIGS),
     UPSERT("tenant_configs", TENANT_CONFIGS), IMPORT_AS_IS, false},
    {"roles", READ("roles", "uuid", ROLES), UPSERT("roles", ROLES), IMPORT_AS_IS, false},
    {"auth_clients", READ("auth_clients", "int", AUTH_CLIENTS), clients_write,
     IMPORT_CLIENT_SECRETS, false},
    {"users", READ("users", "uuid", USERS), UPSERT("users", USERS), IMPORT_AS_IS, false},
    {"user_credentials", READ("user_credentials", "uuid", USER_CREDENTIALS),
     UPSERT("user_credentials", USER_CREDENTIALS), IMPORT_AS_IS, false},
    {"user_identities", identities_read, identities_write, IMPORT_AS_IS, false},
    {"user_tenants", READ("user_tenants", "uuid", USER_TENANTS),
     UPSERT("user_tenants", USER_TENANTS), IMPORT_AS_IS, false},
    {"user_permissions", READ("user_permissions", "uuid", USER_PERMISSIONS),
     UPSERT("user_permissions", USER_PERMISSIONS), IMPORT_AS_IS, false},
    {"user_resources", READ("user_resources", "uuid", USER_RESOURCES),
     UPSERT("user_resources", USER_RESOURCES), IMPORT_AS_IS, false},
    {"login_activity", READ_WHERE("login_activity", "uuid", ACTIVITY_COLS, ""),
     "INSERT INTO main.login_activity (id" ACTIVITY_COLS ")"
     " SELECT id" ACTIVITY_COLS " FROM json_populate_recordset(NULL::main.login_activity, $1::json)"
     " ON CONFLICT DO NOTHING RETURNING 'inserted'",
     IMPORT_AS_IS, true},
};
const size_t import_ntables = sizeof(import_tables) / sizeof(import_tables[0]);

/* @sourceloop/authentication-service's pg migrations, as db-migrate records
 * them; versions from January 2024 up to 19.2.2 ship exactly these. */
const char *const import_known_migrations[] = {
    "/20210318100600-init",	      "/20220607063927-secret-key-column",
    "/20221110095658-updated-init",   "/20230323132703-client-type-column",
    "/20230524115047-login-activity", "/20240116123737-sync-with-user-tenant",
};
const size_t import_nknown_migrations =
    sizeof(import_known_migrations) / sizeof(import_known_migrations[0]);

const char *const import_notes[] = {
    "SELECT count(*) || ' internal user(s) have no bcrypt password hash: they cannot sign in"
    " with a password until it is reset'"
    " FROM main.user_credentials c JOIN main.users u ON u.id = c.user_id"
    " WHERE NOT c.deleted AND NOT u.deleted AND c.auth_provider = 'internal'"
    " AND coalesce(c.password, '') !~ '^\\$2[aby]\\$' HAVING count(*) > 0",

    "SELECT count(*) || ' user(s) sign in with ' || auth_provider || ', which no authsvc"
    " plugin serves under that name: their rows are imported; they sign in once a provider"
    " instance of that name is configured'"
    " FROM main.user_credentials WHERE NOT deleted AND auth_provider NOT IN ('internal',"
    " 'google', 'facebook', 'apple', 'instagram', 'azure', 'keycloak', 'aws-cognito')"
    " GROUP BY auth_provider ORDER BY auth_provider",

    "SELECT count(*) || ' ' || auth_provider || ' user(s) have no auth_id: no identity is"
    " linked, so the provider finds them only as its settings allow (by verified e-mail)'"
    " FROM main.user_credentials WHERE NOT deleted AND auth_provider <> 'internal'"
    " AND coalesce(auth_id, '') = '' GROUP BY auth_provider ORDER BY auth_provider",
};
const size_t import_nnotes = sizeof(import_notes) / sizeof(import_notes[0]);
