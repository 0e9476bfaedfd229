/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Login transactions, identities and code challenges (store/social.h).
 */
#include "store/social.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int exec_ok(struct db *db, const char *sql, int n, const char *const *params,
		   struct err *err)
{
	PGresult *res = db_exec_prepared(db, sql, n, params, err);

	if (res == NULL)
		return -1;
	PQclear(res);
	return 0;
}

int store_login_tx_create(struct db *db, const struct login_tx *tx, int ttl_s, struct err *err)
{
	char ttl[16];
	const char *params[9] = {tx->state_hash,
				 tx->browser_hash,
				 tx->provider,
				 tx->client_id,
				 tx->code_verifier,
				 tx->nonce,
				 tx->caller_state,
				 tx->client_challenge[0] != '\0' ? tx->client_challenge : NULL,
				 ttl};

	snprintf(ttl, sizeof(ttl), "%d", ttl_s);
	return exec_ok(db,
		       "WITH gone AS (DELETE FROM login_transactions WHERE expires_at < now())"
		       " INSERT INTO login_transactions (state_hash, browser_hash, provider,"
		       " client_id, code_verifier, nonce, caller_state, client_challenge,"
		       " expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8,"
		       " now() + make_interval(secs => $9::int))",
		       9, params, err);
}

int store_login_tx_take(struct db *db, const char *state_hash, const char *browser_hash,
			const char *provider, struct login_tx *out, struct err *err)
{
	const char *params[3] = {state_hash, browser_hash, provider};
	struct db_copy cols[] = {
	    {0, out->client_id, sizeof(out->client_id)},
	    {1, out->code_verifier, sizeof(out->code_verifier)},
	    {2, out->nonce, sizeof(out->nonce)},
	    {3, out->client_challenge, sizeof(out->client_challenge)},
	};
	PGresult *res;
	int n = 0;

	memset(out, 0, sizeof(*out));
	res = db_exec_prepared(db,
			       "DELETE FROM login_transactions WHERE state_hash = $1"
			       " AND browser_hash = $2 AND provider = $3"
			       " AND expires_at > clock_timestamp()"
			       " RETURNING client_id, code_verifier, nonce,"
			       " coalesce(client_challenge, ''), caller_state",
			       3, params, err);
	if (res == NULL)
		return -1;
	if (PQntuples(res) == 1) {
		n = db_copy_values(res, 0, cols, sizeof(cols) / sizeof(cols[0]), err) < 0 ? -1 : 1;
		if (n == 1 && !PQgetisnull(res, 0, 4)) {
			out->caller_state = strdup(PQgetvalue(res, 0, 4));
			if (out->caller_state == NULL)
				n = err_set(err, 500, "out of memory");
		}
		snprintf(out->state_hash, sizeof(out->state_hash), "%s", state_hash);
		snprintf(out->provider, sizeof(out->provider), "%s", provider);
	}
	PQclear(res);
	return n;
}

void login_tx_release(struct login_tx *tx)
{
	free(tx->caller_state);
	tx->caller_state = NULL;
}

static int one_uuid(struct db *db, const char *sql, int n, const char *const *params,
		    char user_id[40], struct err *err)
{
	PGresult *res = db_exec_prepared(db, sql, n, params, err);
	int rc = 0;

	if (res == NULL)
		return -1;
	if (PQntuples(res) >= 1)
		rc = db_copy_value(res, 0, 0, user_id, 40, err) < 0 ? -1 : 1;
	PQclear(res);
	return rc;
}

int store_identity_user(struct db *db, const char *provider, const char *subject, char user_id[40],
			struct err *err)
{
	const char *params[2] = {provider, subject};

	return one_uuid(db,
			"UPDATE user_identities i SET last_login = now() FROM users u"
			" WHERE i.provider = $1 AND i.subject = $2 AND u.id = i.user_id"
			" AND NOT u.deleted RETURNING i.user_id::text",
			2, params, user_id, err);
}

int store_identity_link(struct db *db, const char *provider, const char *subject,
			const char *user_id, const char *email, struct err *err)
{
	const char *params[4] = {provider, subject, user_id, email};

	return exec_ok(db,
		       "INSERT INTO user_identities (provider, subject, user_id, email, last_login)"
		       " VALUES ($1, $2, $3::uuid, $4, now())",
		       4, params, err);
}

int store_user_by_email(struct db *db, const char *email, char user_id[40], struct err *err)
{
	const char *params[1] = {email};

	return one_uuid(db,
			"SELECT id::text FROM users WHERE lower(email) = lower($1) AND NOT deleted",
			1, params, user_id, err);
}

int store_code_bind_challenge(struct db *db, const char *code_hash, const char *challenge,
			      struct err *err)
{
	const char *params[2] = {code_hash, challenge};

	return exec_ok(db, "UPDATE auth_codes SET code_challenge = $2 WHERE code_hash = $1", 2,
		       params, err);
}

int store_code_challenge(struct db *db, const char *code_hash, char out[65], struct err *err)
{
	const char *params[1] = {code_hash};
	PGresult *res = db_exec_prepared(
	    db, "SELECT code_challenge FROM auth_codes WHERE code_hash = $1", 1, params, err);
	int rc = 0;

	if (res == NULL)
		return -1;
	out[0] = '\0';
	if (PQntuples(res) == 1 && !PQgetisnull(res, 0, 0))
		rc = db_copy_value(res, 0, 0, out, 65, err) < 0 ? -1 : 1;
	PQclear(res);
	return rc;
}

int store_code_bind_provider(struct db *db, const char *code_hash, const char *provider,
			     struct err *err)
{
	const char *params[2] = {code_hash, provider};

	return exec_ok(db, "UPDATE auth_codes SET provider = $2 WHERE code_hash = $1", 2, params,
		       err);
}

int store_code_provider(struct db *db, const char *code_hash, char out[51], struct err *err)
{
	const char *params[1] = {code_hash};
	PGresult *res = db_exec_prepared(db, "SELECT provider FROM auth_codes WHERE code_hash = $1",
					 1, params, err);
	int rc = 0;

	if (res == NULL)
		return -1;
	out[0] = '\0';
	if (PQntuples(res) == 1 && !PQgetisnull(res, 0, 0))
		rc = db_copy_value(res, 0, 0, out, 51, err) < 0 ? -1 : 1;
	PQclear(res);
	return rc;
}

int store_mfa_bind(struct db *db, const char *code_hash, const char *challenge,
		   const char *provider, struct err *err)
{
	const char *params[3] = {code_hash, challenge, provider};

	return exec_ok(db,
		       "UPDATE otp_pending SET code_challenge = coalesce($2, code_challenge),"
		       " provider = coalesce($3, provider) WHERE space = 'mfa' AND code_hash = $1",
		       3, params, err);
}

int store_mfa_bound(struct db *db, const char *code_hash, char challenge[65], char provider[51],
		    struct err *err)
{
	const char *params[1] = {code_hash};
	PGresult *res =
	    db_exec_prepared(db,
			     "SELECT coalesce(code_challenge, ''), coalesce(provider, '')"
			     " FROM otp_pending WHERE space = 'mfa' AND code_hash = $1",
			     1, params, err);
	int rc = 0;

	if (res == NULL)
		return -1;
	challenge[0] = provider[0] = '\0';
	if (PQntuples(res) == 1 && (db_copy_value(res, 0, 0, challenge, 65, err) < 0 ||
				    db_copy_value(res, 0, 1, provider, 51, err) < 0))
		rc = -1;
	PQclear(res);
	return rc;
}
