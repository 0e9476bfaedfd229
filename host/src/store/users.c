/* SPDX-License-Identifier: Apache-2.0 */
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
	if (strlen(username) > USERNAME_MAX_BYTES)
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
	if (db_copy_value(res, 0, 0, out->user_id, sizeof(out->user_id), err) < 0 ||
	    db_copy_value(res, 0, 1, out->username, sizeof(out->username), err) < 0 ||
	    db_copy_value(res, 0, 2, out->provider, sizeof(out->provider), err) < 0) {
		PQclear(res);
		return -1;
	}
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

static const char user_ctx_sql[] = USER_CTX_SELECT("$1", "$2", "$3");

bool store_uuid_like(const char *s)
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

int user_ctx_read(const PGresult *res, int row, int col, struct user_ctx *out, struct err *err)
{
	json_error_t jerr;

	memset(out, 0, sizeof(*out));
	if (PQgetisnull(res, row, col))
		return 0;
	if (db_copy_value(res, row, col, out->user_id, sizeof(out->user_id), err) < 0 ||
	    db_copy_value(res, row, col + 1, out->user_tenant_id, sizeof(out->user_tenant_id),
			  err) < 0 ||
	    db_copy_value(res, row, col + 2, out->tenant_id, sizeof(out->tenant_id), err) < 0 ||
	    db_copy_value(res, row, col + 3, out->username, sizeof(out->username), err) < 0)
		return -1;
	out->ut_status = (int)strtol(PQgetvalue(res, row, col + 4), NULL, 10);
	out->tenant_status = (int)strtol(PQgetvalue(res, row, col + 5), NULL, 10);
	out->role_found = PQgetvalue(res, row, col + 6)[0] == 't';
	out->client_allowed = PQgetvalue(res, row, col + 7)[0] == 't';
	out->nclients = (int)strtol(PQgetvalue(res, row, col + 8), NULL, 10);
	out->claims = json_loads(PQgetvalue(res, row, col + 9), 0, &jerr);
	if (out->claims == NULL)
		return err_set(err, 500, "cannot parse user claims");
	return 1;
}

int store_user_context(struct db *db, const char *user_id, const char *tenant_id, int client_id,
		       struct user_ctx *out, struct err *err)
{
	char cid[16];
	const char *params[3] = {user_id, tenant_id, cid};
	PGresult *res;
	int rc;

	memset(out, 0, sizeof(*out));
	if (!store_uuid_like(user_id) || (tenant_id != NULL && !store_uuid_like(tenant_id)))
		return 0;
	snprintf(cid, sizeof(cid), "%d", client_id);
	res = db_exec_prepared(db, user_ctx_sql, 3, params, err);
	if (res == NULL)
		return -1;
	if (PQntuples(res) != 1) {
		PQclear(res);
		return 0;
	}
	rc = user_ctx_read(res, 0, 0, out, err);
	PQclear(res);
	return rc;
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

	if (u->ut_status == 0 || u->ut_status == 3)
		return 0; /* first-time user: lastLogin stays unset (docs/api.md "Eligibility") */
	return db_defer_prepared(db, "UPDATE users SET last_login = now() WHERE id = $1::uuid", 1,
				 params, err);
}
