/* SPDX-License-Identifier: Apache-2.0 */
#include "store/provision.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "store/clients.h"
#include "store/users.h"
#include "util/hex.h"
#include "util/sbuf.h"
#include "util/utf8.h"

#define UUID_LEN 36

static int check_len(const char *what, const char *v, size_t max, bool required, struct err *err)
{
	if (v == NULL || v[0] == '\0')
		return required ? err_set(err, 400, "%s is required", what) : 0;
	if (utf8_chars(v) > max) /* varchar(N) counts characters, not bytes */
		return err_set(err, 400, "%s is longer than %zu characters", what, max);
	return 0;
}

static const char *nonempty(const char *s)
{
	return s != NULL && s[0] != '\0' ? s : NULL;
}

/* db_exec for an INSERT that may hit a unique index: 23505 becomes 409 dup. */
static PGresult *exec_insert(struct db *db, const char *sql, int n, const char *const *params,
			     const char *dup, struct err *err)
{
	PGresult *res = db_exec(db, sql, n, params, err);

	if (res != NULL)
		return res;
	if (strcmp(db_last_sqlstate(), "23505") == 0)
		err_set(err, 409, "%s", dup);
	else if (strcmp(db_last_sqlstate(), "22001") == 0)
		err_set(err, 400, "a value is too long for its column");
	return NULL;
}

static int exec_done(PGresult *res)
{
	if (res == NULL)
		return -1;
	PQclear(res);
	return 0;
}

int provision_tenant_add(struct db *db, const char *key, const char *name, struct err *err)
{
	const char *params[2] = {key, name};

	if (check_len("tenant key", key, 20, true, err) < 0 ||
	    check_len("tenant name", name, 100, true, err) < 0)
		return -1;
	return exec_done(exec_insert(db,
				     "INSERT INTO tenants (key, name, status) VALUES ($1, $2, 1)",
				     2, params, "tenant already exists", err));
}

int provision_role_add(struct db *db, const char *name, const char *permissions_csv,
		       struct err *err)
{
	const char *params[2] = {name, permissions_csv != NULL ? permissions_csv : ""};

	if (check_len("role name", name, 100, true, err) < 0)
		return -1;
	return exec_done(
	    exec_insert(db,
			"INSERT INTO roles (name, tenant_id, permissions) VALUES ($1, NULL,"
			" coalesce((SELECT array_agg(btrim(p) ORDER BY n)"
			"  FROM unnest(string_to_array($2, ',')) WITH ORDINALITY AS u(p, n)"
			"  WHERE btrim(p) <> ''), '{}'))",
			2, params, "role already exists", err));
}

int provision_client_add(struct db *db, const struct client_spec *spec, struct err *err)
{
	char digest[CLIENT_SECRET_FORM_MAX] = "", random_hex[65], ttl[3][16];
	unsigned char rnd[32];
	const char *secret = nonempty(spec->secret);
	const char *params[9];
	int rc;

	if (check_len("client id", spec->client_id, 50, true, err) < 0 ||
	    check_len("redirect url", spec->redirect_url, 200, false, err) < 0 ||
	    check_len("logout redirect url", spec->logout_redirect_url, 200, false, err) < 0)
		return -1;
	if (spec->access_ttl <= 0 || spec->refresh_ttl <= 0 || spec->code_ttl <= 0)
		return err_set(err, 400, "token lifetimes must be positive");
	if (secret != NULL && client_secret_form(secret, spec->secret_key, digest, err) < 0)
		return -1;
	if (RAND_bytes(rnd, sizeof(rnd)) != 1)
		return err_set(err, 500, "no random bytes");
	hex_encode(rnd, sizeof(rnd), random_hex);
	OPENSSL_cleanse(rnd, sizeof(rnd));
	snprintf(ttl[0], sizeof(ttl[0]), "%d", spec->access_ttl);
	snprintf(ttl[1], sizeof(ttl[1]), "%d", spec->refresh_ttl);
	snprintf(ttl[2], sizeof(ttl[2]), "%d", spec->code_ttl);
	params[0] = spec->client_id;
	params[1] = digest;
	params[2] = random_hex;
	params[3] = nonempty(spec->redirect_url);
	params[4] = ttl[0];
	params[5] = ttl[1];
	params[6] = ttl[2];
	params[7] = secret != NULL ? "confidential" : "public";
	params[8] = nonempty(spec->logout_redirect_url);
	rc = exec_done(
	    exec_insert(db,
			"INSERT INTO auth_clients (client_id, client_secret, secret,"
			" redirect_url, access_token_expiration, refresh_token_expiration,"
			" auth_code_expiration, client_type, logout_redirect_url)"
			" VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
			9, params, "client already exists", err));
	OPENSSL_cleanse(random_hex, sizeof(random_hex));
	OPENSSL_cleanse(digest, sizeof(digest));
	return rc;
}

/* 1 found (id copied), 0 not found, 2 more than one, -1 error (err; also
 * when the id does not fit idsz). */
static int lookup_id(struct db *db, const char *sql, const char *arg, char *id, size_t idsz,
		     struct err *err)
{
	const char *params[1] = {arg};
	PGresult *res = db_exec(db, sql, arg != NULL ? 1 : 0, arg != NULL ? params : NULL, err);
	int n, rc;

	if (res == NULL)
		return -1;
	n = PQntuples(res);
	rc = n == 1 ? 1 : (n == 0 ? 0 : 2);
	if (rc == 1 && db_copy_value(res, 0, 0, id, idsz, err) < 0)
		rc = -1;
	PQclear(res);
	return rc;
}

static int find_tenant(struct db *db, const char *key, char *id, size_t idsz, struct err *err)
{
	int rc;

	if (key != NULL) {
		rc = lookup_id(db, "SELECT id FROM tenants WHERE key = $1 AND NOT deleted", key, id,
			       idsz, err);
		if (rc == 0)
			return err_set(err, 404, "unknown tenant: %s", key);
		return rc < 0 ? -1 : 0;
	}
	rc = lookup_id(db, "SELECT id FROM tenants WHERE NOT deleted LIMIT 2", NULL, id, idsz, err);
	if (rc == 0)
		return err_set(err, 404, "no tenant exists: add one first");
	if (rc == 2)
		return err_set(err, 400, "several tenants exist: pass --tenant");
	return rc < 0 ? -1 : 0;
}

/* The role of that name in the tenant, else the global one of that name
 * (role names are unique per tenant, host/sql/0011_roles_per_tenant.sql). */
static int find_role(struct db *db, const char *name, const char *tenant_id, char *id, size_t idsz,
		     struct err *err)
{
	const char *params[2] = {name != NULL ? name : "user", tenant_id};
	PGresult *res = db_exec(db,
				"SELECT id FROM roles WHERE name = $1 AND NOT deleted"
				" AND (tenant_id IS NULL OR tenant_id = $2::uuid)"
				" ORDER BY tenant_id IS NULL LIMIT 1",
				2, params, err);
	bool found;
	int rc;

	if (res == NULL)
		return -1;
	found = PQntuples(res) == 1;
	rc = found ? db_copy_value(res, 0, 0, id, idsz, err) : 0;
	PQclear(res);
	if (rc < 0)
		return -1;
	if (!found && name == NULL)
		return err_set(err, 404, "no role: pass --role (no role named \"user\" exists)");
	if (!found)
		return err_set(err, 404, "unknown role: %s", name);
	return 0;
}

static bool seen_before(const char *const *ids, size_t i)
{
	size_t j;

	for (j = 0; j < i; j++)
		if (strcmp(ids[j], ids[i]) == 0)
			return true;
	return false;
}

/* The clients' integer ids as an array literal "{1,2}" (integers only). */
static char *client_ids_array(struct db *db, const struct user_spec *spec, struct err *err)
{
	struct sbuf sb = SBUF_INIT(SBUF_MAX_DEFAULT);
	char id[16], *out;
	size_t i;
	int rc;

	sbuf_addch(&sb, '{');
	for (i = 0; i < spec->nclients; i++) {
		if (seen_before(spec->client_ids, i))
			continue;
		rc = lookup_id(db,
			       "SELECT id FROM auth_clients WHERE client_id = $1 AND NOT deleted",
			       spec->client_ids[i], id, sizeof(id), err);
		if (rc != 1) {
			if (rc == 0)
				err_set(err, 404, "unknown client: %s", spec->client_ids[i]);
			else if (rc == 2)
				err_set(err, 500, "client id %s is not unique",
					spec->client_ids[i]);
			sbuf_release(&sb);
			return NULL;
		}
		sbuf_addf(&sb, "%s%s", sb.len > 1 ? "," : "", id);
	}
	sbuf_addch(&sb, '}');
	out = sbuf_detach(&sb, NULL);
	if (out == NULL)
		err_set(err, 500, "out of memory");
	return out;
}

static int user_exists(struct db *db, const struct user_spec *spec, struct err *err)
{
	const char *params[2] = {spec->username, nonempty(spec->email)};
	PGresult *res = db_exec(db,
				"SELECT lower(username) = lower($1) FROM users WHERE NOT deleted"
				" AND (lower(username) = lower($1) OR lower(email) = lower($2))"
				" ORDER BY 1 DESC LIMIT 1",
				2, params, err);
	bool same_user;

	if (res == NULL)
		return -1;
	if (PQntuples(res) == 0) {
		PQclear(res);
		return 0;
	}
	same_user = PQgetvalue(res, 0, 0)[0] == 't';
	PQclear(res);
	if (same_user)
		return err_set(err, 409, "user already exists");
	return err_set(err, 409, "email already in use");
}

static int user_validate(const struct user_spec *spec, struct err *err)
{
	if (spec->username != NULL && strlen(spec->username) > USERNAME_MAX_BYTES)
		return err_set(err, 400, "username is longer than %d bytes", USERNAME_MAX_BYTES);
	if (check_len("username", spec->username, 150, true, err) < 0 ||
	    check_len("email", spec->email, 150, false, err) < 0 ||
	    check_len("first name", spec->first_name, 50, false, err) < 0 ||
	    check_len("last name", spec->last_name, 50, false, err) < 0 ||
	    check_len("phone", spec->phone, 15, false, err) < 0)
		return -1;
	if (spec->password_hash == NULL || spec->password_hash[0] == '\0')
		return err_set(err, 400, "password hash is required");
	return 0;
}

static int user_insert(struct db *db, const struct user_spec *spec, const char *tenant,
		       const char *role, const char *clients, char *uid, size_t uidsz,
		       struct err *err)
{
	const char *params[7] = {nonempty(spec->first_name),
				 spec->username,
				 nonempty(spec->email),
				 clients,
				 tenant,
				 nonempty(spec->last_name),
				 nonempty(spec->phone)};
	PGresult *res;

	res =
	    exec_insert(db,
			"INSERT INTO users (first_name, username, email, auth_client_ids,"
			" default_tenant_id, last_name, phone) VALUES (coalesce($1, left(lower($2),"
			" 50)), lower($2), $3, $4::integer[], $5, $6, $7) RETURNING id",
			7, params, "user already exists", err);
	if (res == NULL)
		return -1;
	if (db_copy_value(res, 0, 0, uid, uidsz, err) < 0) {
		PQclear(res);
		return -1;
	}
	PQclear(res);
	params[0] = uid;
	params[1] = spec->password_hash;
	if (exec_done(db_exec(db,
			      "INSERT INTO user_credentials (user_id, auth_provider, password,"
			      " password_changed_on) VALUES ($1, 'internal', $2, now())",
			      2, params, err)) < 0)
		return -1;
	params[1] = tenant;
	params[2] = role;
	return exec_done(
	    exec_insert(db,
			"INSERT INTO user_tenants (user_id, tenant_id, role_id, status)"
			" VALUES ($1, $2, $3, 1)",
			3, params, "user already belongs to that tenant", err));
}

int provision_user_insert(struct db *db, const struct user_spec *spec, char *id_out, size_t idsz,
			  struct err *err)
{
	char tenant[UUID_LEN + 1], role[UUID_LEN + 1], uid[UUID_LEN + 1];
	char *clients;
	int rc;

	if (user_validate(spec, err) < 0)
		return -1;
	if (user_exists(db, spec, err) < 0 ||
	    find_tenant(db, nonempty(spec->tenant_key), tenant, sizeof(tenant), err) < 0 ||
	    find_role(db, nonempty(spec->role), tenant, role, sizeof(role), err) < 0)
		return -1;
	clients = client_ids_array(db, spec, err);
	if (clients == NULL)
		return -1;
	rc = user_insert(db, spec, tenant, role, clients, uid, sizeof(uid), err);
	free(clients);
	if (rc < 0)
		return -1;
	if (id_out != NULL && idsz > 0)
		snprintf(id_out, idsz, "%s", uid);
	return 0;
}

int provision_user_add(struct db *db, const struct user_spec *spec, char *id_out, size_t idsz,
		       struct err *err)
{
	if (user_validate(spec, err) < 0)
		return -1;
	if (db_begin(db, err) < 0)
		return -1;
	if (provision_user_insert(db, spec, id_out, idsz, err) < 0) {
		db_rollback(db);
		return -1;
	}
	return db_commit(db, err);
}

int provision_user_taken(struct db *db, const char *username, const char *email, struct err *err)
{
	const char *params[2] = {nonempty(username), nonempty(email)};
	PGresult *res = db_exec(db,
				"SELECT 1 FROM users WHERE NOT deleted AND (lower(username) ="
				" lower($1) OR lower(email) = lower($2)) LIMIT 1",
				2, params, err);
	int n;

	if (res == NULL)
		return -1;
	n = PQntuples(res);
	PQclear(res);
	return n > 0 ? 1 : 0;
}

PGresult *provision_user_list(struct db *db, struct err *err)
{
	return db_exec(
	    db,
	    "SELECT u.id, u.username, coalesce(u.email, '') AS email,"
	    " coalesce(t.key, '') AS tenant, coalesce(r.name, '') AS role,"
	    " coalesce(ut.status::text, '') AS status,"
	    " coalesce((SELECT string_agg(c.client_id, ',' ORDER BY c.client_id)"
	    "  FROM auth_clients c WHERE c.id = ANY (u.auth_client_ids) AND NOT c.deleted),"
	    "  '') AS clients,"
	    " to_char(u.created_on AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI') AS created"
	    " FROM users u"
	    " LEFT JOIN tenants t ON t.id = u.default_tenant_id"
	    " LEFT JOIN user_tenants ut ON ut.user_id = u.id"
	    "  AND ut.tenant_id = u.default_tenant_id AND NOT ut.deleted"
	    " LEFT JOIN roles r ON r.id = ut.role_id"
	    " WHERE NOT u.deleted ORDER BY u.username",
	    0, NULL, err);
}

PGresult *provision_client_list(struct db *db, struct err *err)
{
	return db_exec(db,
		       "SELECT id, client_id, client_type AS type,"
		       " coalesce(redirect_url, '') AS redirect_url,"
		       " access_token_expiration AS access_ttl,"
		       " refresh_token_expiration AS refresh_ttl,"
		       " auth_code_expiration AS code_ttl,"
		       " to_char(created_on AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI') AS created"
		       " FROM auth_clients WHERE NOT deleted ORDER BY client_id",
		       0, NULL, err);
}
