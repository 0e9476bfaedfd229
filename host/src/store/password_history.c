/* SPDX-License-Identifier: Apache-2.0 */
#include "store/password_history.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

void password_history_free(char **hashes, int n)
{
	if (hashes == NULL)
		return;
	for (int i = 0; i < n; i++) {
		if (hashes[i] != NULL) {
			OPENSSL_cleanse(hashes[i], strlen(hashes[i]));
			free(hashes[i]);
		}
	}
	free(hashes);
}

int store_password_history(struct db *db, const char *user_id, int limit, char ***hashes_out,
			   struct err *err)
{
	char lim[16];
	const char *params[2] = {user_id, lim};
	PGresult *res;
	char **out;
	int n;

	*hashes_out = NULL;
	if (limit <= 0)
		return 0;
	snprintf(lim, sizeof(lim), "%d", limit);
	res = db_exec(db,
		      "SELECT hash FROM password_history WHERE user_id = $1::uuid"
		      " ORDER BY created_on DESC LIMIT $2::int",
		      2, params, err);
	if (res == NULL)
		return -1;
	n = PQntuples(res);
	out = calloc((size_t)n + 1, sizeof(*out));
	if (out == NULL) {
		PQclear(res);
		return err_set(err, 500, "out of memory");
	}
	for (int i = 0; i < n; i++) {
		out[i] = strdup(PQgetvalue(res, i, 0));
		if (out[i] == NULL) {
			PQclear(res);
			password_history_free(out, i);
			return err_set(err, 500, "out of memory");
		}
	}
	PQclear(res);
	*hashes_out = out;
	return n;
}

int store_password_history_push(struct db *db, const char *user_id, int keep, struct err *err)
{
	char k[16];
	const char *params[2] = {user_id, k};
	PGresult *res;

	snprintf(k, sizeof(k), "%d", keep > 0 ? keep : 0);
	if (keep > 0) {
		res = db_exec(
		    db,
		    "INSERT INTO password_history (user_id, hash)"
		    " SELECT user_id, password FROM user_credentials"
		    " WHERE user_id = $1::uuid AND NOT deleted AND coalesce(password, '') <> ''",
		    1, params, err);
		if (res == NULL)
			return -1;
		PQclear(res);
	}
	/* keep the newest `keep` rows */
	res = db_exec(db,
		      "DELETE FROM password_history WHERE user_id = $1::uuid AND ctid NOT IN"
		      " (SELECT ctid FROM password_history WHERE user_id = $1::uuid"
		      " ORDER BY created_on DESC LIMIT $2::int)",
		      2, params, err);
	if (res == NULL)
		return -1;
	PQclear(res);
	return 0;
}
