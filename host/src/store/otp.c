/* SPDX-License-Identifier: Apache-2.0 */
#include "store/otp.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Run a statement; rows affected, or -1. */
static int exec_count(struct db *db, const char *sql, int n, const char *const *p, struct err *err)
{
	PGresult *res = db_exec_prepared(db, sql, n, p, err);
	int rows;

	if (res == NULL)
		return -1;
	rows = (int)strtol(PQcmdTuples(res), NULL, 10);
	PQclear(res);
	return rows;
}

static const char *opt(const char *s)
{
	return s != NULL && *s != '\0' ? s : NULL;
}

int store_otp_put(struct db *db, const char *space, const char *key, const char *user_id,
		  const char *client_id, const char *otp_hash, const char *code_hash, int otp_ttl_s,
		  int ttl_s, struct err *err)
{
	char ottl[16], ttl[16];
	const char *p[8] = {space,	    key,  opt(user_id), client_id, opt(otp_hash),
			    opt(code_hash), ottl, ttl};
	PGresult *res;

	snprintf(ottl, sizeof(ottl), "%d", otp_ttl_s);
	snprintf(ttl, sizeof(ttl), "%d", ttl_s);
	res = db_exec_prepared(
	    db,
	    "INSERT INTO otp_pending (space, key, user_id, client_id, otp_hash, code_hash,"
	    " attempts, otp_expires_at, expires_at)"
	    " VALUES ($1, $2, $3::uuid, $4, $5::text, $6::text, 0,"
	    "  CASE WHEN $5::text IS NULL THEN NULL"
	    "   ELSE now() + make_interval(secs => least($7::int, $8::int)) END,"
	    "  now() + make_interval(secs => $8::int))"
	    " ON CONFLICT (space, key) DO UPDATE SET user_id = EXCLUDED.user_id,"
	    "  client_id = EXCLUDED.client_id, otp_hash = EXCLUDED.otp_hash,"
	    "  code_hash = EXCLUDED.code_hash, attempts = 0,"
	    "  otp_expires_at = EXCLUDED.otp_expires_at, expires_at = EXCLUDED.expires_at,"
	    "  created_on = now()",
	    8, p, err);
	if (res == NULL)
		return -1;
	PQclear(res);
	return 0;
}

int store_otp_renew(struct db *db, const char *space, const char *key, const char *otp_hash,
		    int otp_ttl_s, struct err *err)
{
	char ottl[16];
	const char *p[4] = {space, key, otp_hash, ottl};
	int n;

	snprintf(ottl, sizeof(ottl), "%d", otp_ttl_s);
	n = exec_count(db,
		       "UPDATE otp_pending SET otp_hash = $3, attempts = 0,"
		       " otp_expires_at = least(expires_at,"
		       "  now() + make_interval(secs => $4::int))"
		       " WHERE space = $1 AND key = $2 AND expires_at > now()",
		       4, p, err);
	return n < 0 ? -1 : n > 0;
}

#define ROW_COLS                                                                                   \
	"coalesce(user_id::text, ''), client_id, coalesce(otp_hash, ''),"                          \
	" coalesce(code_hash, ''), coalesce(otp_expires_at > now(), false), attempts,"             \
	" expires_at > now()"

/* 0, or -1 (err) when a value does not fit its field. */
static int row_read(PGresult *res, struct otp_row *out, struct err *err)
{
	const struct db_copy cols[] = {
	    {0, out->user_id, sizeof(out->user_id)},
	    {1, out->client_id, sizeof(out->client_id)},
	    {2, out->otp_hash, sizeof(out->otp_hash)},
	    {3, out->code_hash, sizeof(out->code_hash)},
	};

	if (db_copy_values(res, 0, cols, sizeof(cols) / sizeof(cols[0]), err) < 0)
		return -1;
	out->otp_live = PQgetvalue(res, 0, 4)[0] == 't' && out->otp_hash[0] != '\0';
	out->attempts = (int)strtol(PQgetvalue(res, 0, 5), NULL, 10);
	return 0;
}

int store_otp_get(struct db *db, const char *space, const char *key, struct otp_row *out,
		  struct err *err)
{
	const char *p[2] = {space, key};
	PGresult *res;
	int found;

	memset(out, 0, sizeof(*out));
	res = db_exec_prepared(db,
			       "SELECT " ROW_COLS " FROM otp_pending"
			       " WHERE space = $1 AND key = $2 AND expires_at > now()",
			       2, p, err);
	if (res == NULL)
		return -1;
	found = PQntuples(res) == 1;
	if (found && row_read(res, out, err) < 0)
		found = -1;
	PQclear(res);
	return found;
}

int store_otp_by_code(struct db *db, const char *code_hash, struct otp_row *out, bool *expired,
		      struct err *err)
{
	const char *p[1] = {code_hash};
	PGresult *res;
	int found = 0;

	memset(out, 0, sizeof(*out));
	*expired = false;
	res = db_exec_prepared(db,
			       "SELECT " ROW_COLS " FROM otp_pending"
			       " WHERE space = 'mfa' AND code_hash = $1",
			       1, p, err);
	if (res == NULL)
		return -1;
	if (PQntuples(res) == 1 && row_read(res, out, err) < 0) {
		found = -1;
	} else if (PQntuples(res) == 1) {
		*expired = PQgetvalue(res, 0, 6)[0] != 't';
		found = !*expired;
	}
	PQclear(res);
	return found;
}

int store_otp_attempt(struct db *db, const char *space, const char *key, int max, struct err *err)
{
	char maxs[16];
	const char *p[3] = {space, key, maxs};
	PGresult *res;
	int attempts = 0;

	snprintf(maxs, sizeof(maxs), "%d", max);
	res = db_exec_prepared(db,
			       "UPDATE otp_pending SET attempts = attempts + 1"
			       " WHERE space = $1 AND key = $2 AND attempts < $3::int"
			       " RETURNING attempts",
			       3, p, err);
	if (res == NULL)
		return -1;
	if (PQntuples(res) == 1)
		attempts = (int)strtol(PQgetvalue(res, 0, 0), NULL, 10);
	PQclear(res);
	return attempts;
}

int store_otp_burn_spent(struct db *db, const char *space, const char *key, int max,
			 struct err *err)
{
	char maxs[16];
	const char *p[3] = {space, key, maxs};
	PGresult *res;

	snprintf(maxs, sizeof(maxs), "%d", max);
	res = db_exec_prepared(
	    db, "DELETE FROM otp_pending WHERE space = $1 AND key = $2 AND attempts >= $3::int", 3,
	    p, err);
	if (res == NULL)
		return -1;
	PQclear(res);
	return 0;
}

int store_otp_take(struct db *db, const char *space, const char *key, const char *otp_hash,
		   const char *code_hash, struct err *err)
{
	const char *p[4] = {space, key, opt(otp_hash), opt(code_hash)};
	int n;

	n = exec_count(db,
		       "DELETE FROM otp_pending WHERE space = $1 AND key = $2"
		       " AND expires_at > now()"
		       " AND ($3::text IS NULL OR (otp_hash = $3::text AND otp_expires_at > now()))"
		       " AND ($4::text IS NULL OR code_hash = $4::text)",
		       4, p, err);
	return n < 0 ? -1 : n > 0;
}

int store_totp_get(struct db *db, const char *user_id, char **secret_out, bool *confirmed,
		   struct err *err)
{
	const char *p[1] = {user_id};
	PGresult *res;
	int found = 0;

	*secret_out = NULL;
	*confirmed = false;
	res = db_exec_prepared(db,
			       "SELECT secret_key, totp_confirmed FROM user_credentials"
			       " WHERE user_id = $1::uuid AND NOT deleted"
			       " AND coalesce(secret_key, '') <> ''",
			       1, p, err);
	if (res == NULL)
		return -1;
	if (PQntuples(res) == 1) {
		*secret_out = strdup(PQgetvalue(res, 0, 0));
		*confirmed = PQgetvalue(res, 0, 1)[0] == 't';
		found = *secret_out != NULL ? 1 : err_set(err, 500, "out of memory");
	}
	PQclear(res);
	return found;
}

int store_totp_set(struct db *db, const char *user_id, const char *stored, struct err *err)
{
	const char *p[2] = {user_id, stored};
	PGresult *res;
	int n;

	/* One statement decides: a confirmed secret is never replaced here, so
	 * two enrolments racing cannot overwrite one that was just confirmed. */
	n = exec_count(db,
		       "UPDATE user_credentials SET secret_key = $2, totp_confirmed = false,"
		       " totp_last_step = 0, modified_on = now()"
		       " WHERE user_id = $1::uuid AND NOT deleted"
		       " AND NOT (totp_confirmed AND coalesce(secret_key, '') <> '')",
		       2, p, err);
	if (n != 0)
		return n < 0 ? -1 : 1;
	res = db_exec_prepared(
	    db, "SELECT 1 FROM user_credentials WHERE user_id = $1::uuid AND NOT deleted", 1, p,
	    err);
	if (res == NULL)
		return -1;
	n = PQntuples(res) > 0 ? 2 : 0;
	PQclear(res);
	return n;
}

int store_totp_use_step(struct db *db, const char *user_id, long long step, struct err *err)
{
	char s[24];
	const char *p[2] = {user_id, s};
	int n;

	snprintf(s, sizeof(s), "%lld", step);
	n = exec_count(db,
		       "UPDATE user_credentials SET totp_last_step = $2::bigint,"
		       " totp_confirmed = true"
		       " WHERE user_id = $1::uuid AND NOT deleted"
		       " AND totp_last_step < $2::bigint",
		       2, p, err);
	return n < 0 ? -1 : n > 0;
}
