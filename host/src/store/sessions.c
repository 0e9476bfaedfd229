/* SPDX-License-Identifier: Apache-2.0 */
#include "store/sessions.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/clients.h"
#include "store/users.h"

static int exec_ok(struct db *db, const char *sql, int n, const char *const *params,
		   struct err *err)
{
	PGresult *res = db_exec_prepared(db, sql, n, params, err);

	if (res == NULL)
		return -1;
	PQclear(res);
	return 0;
}

int store_code_create(struct db *db, const char *code_hash, const char *client_id,
		      const char *user_id, const char *tenant_id, bool mfa, int ttl_s,
		      struct err *err)
{
	char ttl[16];
	const char *params[6] = {code_hash,	  client_id,
				 user_id,	  tenant_id && *tenant_id ? tenant_id : NULL,
				 mfa ? "t" : "f", ttl};

	snprintf(ttl, sizeof(ttl), "%d", ttl_s);
	return exec_ok(db,
		       "INSERT INTO auth_codes (code_hash, client_id, user_id, tenant_id, mfa,"
		       " expires_at) VALUES ($1, $2, $3::uuid, $4::uuid, $5::boolean,"
		       " now() + make_interval(secs => $6::int))",
		       6, params, err);
}

int store_code_consume(struct db *db, const char *code_hash, const char *client_id,
		       struct code_row *out, struct err *err)
{
	const char *params[2] = {code_hash, client_id};
	PGresult *res;
	int n;

	memset(out, 0, sizeof(*out));
	res = db_exec_prepared(db,
			       "UPDATE auth_codes SET used_at = clock_timestamp()"
			       " WHERE code_hash = $1 AND client_id = $2 AND used_at IS NULL"
			       " AND expires_at > clock_timestamp()"
			       " RETURNING user_id, coalesce(tenant_id::text, ''), mfa",
			       2, params, err);
	if (res == NULL)
		return -1;
	if (PQntuples(res) == 1) {
		if (db_copy_value(res, 0, 0, out->user_id, sizeof(out->user_id), err) < 0 ||
		    db_copy_value(res, 0, 1, out->tenant_id, sizeof(out->tenant_id), err) < 0)
			n = -1;
		else
			n = CODE_OK;
		out->mfa = PQgetvalue(res, 0, 2)[0] == 't';
		PQclear(res);
		return n;
	}
	PQclear(res);
	res = db_exec_prepared(
	    db, "SELECT 1 FROM auth_codes WHERE code_hash = $1 AND client_id = $2", 2, params, err);
	if (res == NULL)
		return -1;
	n = PQntuples(res);
	PQclear(res);
	return n > 0 ? CODE_SPENT : CODE_UNKNOWN;
}

int store_refresh_insert(struct db *db, const struct refresh_new *r, struct err *err)
{
	char exp[24], ttl[16];
	const char *params[9] = {r->token_hash,	 r->family_id, r->client_id,
				 r->user_id,	 r->tenant_id, r->access_jti,
				 r->access_hash, exp,	       ttl};

	snprintf(exp, sizeof(exp), "%lld", (long long)r->access_exp);
	snprintf(ttl, sizeof(ttl), "%d", r->ttl_s);
	return db_defer_prepared(
	    db,
	    "INSERT INTO refresh_tokens (token_hash, family_id, client_id, user_id,"
	    " tenant_id, access_jti, access_hash, access_exp, expires_at)"
	    " VALUES ($1, coalesce($2::uuid, gen_random_uuid()), $3, $4::uuid, $5::uuid,"
	    " $6, $7, to_timestamp($8::bigint), now() + make_interval(secs => $9::int))",
	    9, params, err);
}

/* family_id, client_id, user_id, tenant_id, access_jti: columns 0-4 of
 * both refresh statements. 0, or -1 (err) when a value does not fit. */
static int refresh_ids_read(const PGresult *res, struct refresh_row *out, struct err *err)
{
	const struct db_copy cols[] = {
	    {0, out->family_id, sizeof(out->family_id)},
	    {1, out->client_id, sizeof(out->client_id)},
	    {2, out->user_id, sizeof(out->user_id)},
	    {3, out->tenant_id, sizeof(out->tenant_id)},
	    {4, out->access_jti, sizeof(out->access_jti)},
	};

	return db_copy_values(res, 0, cols, sizeof(cols) / sizeof(cols[0]), err);
}

int store_refresh_lock(struct db *db, const char *token_hash, struct refresh_row *out,
		       struct err *err)
{
	const char *params[1] = {token_hash};
	PGresult *res;

	memset(out, 0, sizeof(*out));
	res =
	    db_exec_prepared(db,
			     "SELECT family_id, client_id, user_id, coalesce(tenant_id::text, ''),"
			     " access_jti, access_hash, extract(epoch FROM access_exp)::bigint,"
			     " expires_at <= now(), used_at IS NOT NULL, revoked_at IS NOT NULL,"
			     " coalesce(floor(extract(epoch FROM now() - used_at)), 0)::bigint"
			     " FROM refresh_tokens WHERE token_hash = $1 FOR UPDATE",
			     1, params, err);
	if (res == NULL)
		return -1;
	if (PQntuples(res) != 1) {
		PQclear(res);
		return 0;
	}
	snprintf(out->token_hash, sizeof(out->token_hash), "%s", token_hash);
	if (refresh_ids_read(res, out, err) < 0 ||
	    db_copy_value(res, 0, 5, out->access_hash, sizeof(out->access_hash), err) < 0) {
		PQclear(res);
		return -1;
	}
	out->access_exp = strtoll(PQgetvalue(res, 0, 6), NULL, 10);
	out->expired = PQgetvalue(res, 0, 7)[0] == 't';
	out->used = PQgetvalue(res, 0, 8)[0] == 't';
	out->revoked = PQgetvalue(res, 0, 9)[0] == 't';
	out->used_age_s = strtoll(PQgetvalue(res, 0, 10), NULL, 10);
	PQclear(res);
	return 1;
}

int store_refresh_rotate(struct db *db, const char *token_hash, const char *access_hash,
			 const char *tenant_id, struct refresh_row *out, struct client *c,
			 struct user_ctx *u, struct err *err)
{
	const char *params[3] = {token_hash, access_hash, tenant_id};
	PGresult *res;
	int rc;

	memset(out, 0, sizeof(*out));
	memset(c, 0, sizeof(*c));
	memset(u, 0, sizeof(*u));
	res = db_exec_prepared(
	    db,
	    "WITH rot AS (UPDATE refresh_tokens SET used_at = now()"
	    "  WHERE token_hash = $1 AND access_hash = $2 AND used_at IS NULL"
	    "  AND revoked_at IS NULL AND expires_at > now()"
	    "  RETURNING family_id, client_id, user_id, tenant_id, access_jti, access_exp),"
	    " v AS (INSERT INTO revoked_tokens (jti, expires_at)"
	    "  SELECT access_jti, greatest(access_exp, now() + interval '1 second') FROM rot"
	    "  ON CONFLICT (jti) DO NOTHING)"
	    " SELECT rot.family_id, rot.client_id, rot.user_id, coalesce(rot.tenant_id::text, ''),"
	    "  rot.access_jti, extract(epoch FROM rot.access_exp)::bigint, c.*, uc.*"
	    " FROM rot LEFT JOIN LATERAL (SELECT " CLIENT_COLS " FROM auth_clients"
	    "  WHERE client_id = rot.client_id AND NOT deleted) c ON true"
	    " LEFT JOIN LATERAL (" USER_CTX_SELECT(
		"rot.user_id", "coalesce($3::uuid, rot.tenant_id)", "c.id") ") uc ON true",
	    3, params, err);
	if (res == NULL)
		return -1;
	if (PQntuples(res) != 1) {
		PQclear(res);
		return 0;
	}
	db_revoked(db);
	snprintf(out->token_hash, sizeof(out->token_hash), "%s", token_hash);
	if (refresh_ids_read(res, out, err) < 0 ||
	    (!PQgetisnull(res, 0, 6) && client_read(res, 0, 6, c, err) < 0)) {
		PQclear(res);
		return -1;
	}
	snprintf(out->access_hash, sizeof(out->access_hash), "%s", access_hash);
	out->access_exp = strtoll(PQgetvalue(res, 0, 5), NULL, 10);
	out->used = true;
	rc = user_ctx_read(res, 0, 6 + CLIENT_NCOLS, u, err);
	PQclear(res);
	return rc < 0 ? -1 : 1;
}

int store_refresh_mark_used(struct db *db, const char *token_hash, struct err *err)
{
	const char *params[1] = {token_hash};

	return exec_ok(db, "UPDATE refresh_tokens SET used_at = now() WHERE token_hash = $1", 1,
		       params, err);
}

int store_refresh_revoke(struct db *db, const char *family_id, const char *user_id,
			 struct revocations *mem, struct err *err)
{
	const char *params[2] = {family_id, user_id};
	PGresult *res;

	/* Revoke the tokens, then every still-valid access token issued with them. */
	res = db_exec_prepared(
	    db,
	    "WITH r AS (UPDATE refresh_tokens SET revoked_at = now()"
	    "  WHERE revoked_at IS NULL AND (family_id = $1::uuid OR user_id = $2::uuid)"
	    "  RETURNING access_jti, access_exp)"
	    " INSERT INTO revoked_tokens (jti, expires_at)"
	    " SELECT access_jti, access_exp FROM r WHERE access_exp > now()"
	    " ON CONFLICT (jti) DO NOTHING"
	    " RETURNING jti, extract(epoch FROM expires_at)::bigint",
	    2, params, err);
	if (res == NULL)
		return -1;
	if (PQntuples(res) > 0)
		db_revoked(db);
	for (int i = 0; i < PQntuples(res); i++)
		db_revoke_mem(db, mem, PQgetvalue(res, i, 0),
			      strtoll(PQgetvalue(res, i, 1), NULL, 10));
	PQclear(res);
	return 0;
}

int store_codes_burn_user(struct db *db, const char *user_id, struct err *err)
{
	const char *params[1] = {user_id};

	return exec_ok(db,
		       "UPDATE auth_codes SET used_at = now() WHERE user_id = $1::uuid"
		       " AND used_at IS NULL AND expires_at > now()",
		       1, params, err);
}

int store_revoke_jti(struct db *db, const char *jti, int64_t exp, struct err *err)
{
	char e[24];
	const char *params[2] = {jti, e};

	snprintf(e, sizeof(e), "%lld", (long long)exp);
	if (exec_ok(db,
		    "INSERT INTO revoked_tokens (jti, expires_at)"
		    " VALUES ($1, greatest(to_timestamp($2::bigint), now() + interval '1 second'))"
		    " ON CONFLICT (jti) DO NOTHING",
		    2, params, err) < 0)
		return -1;
	db_revoked(db);
	return 0;
}
