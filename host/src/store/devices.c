/* SPDX-License-Identifier: Apache-2.0 */
#include "store/devices.h"

#include <stdio.h>
#include <string.h>

#include "store/users.h"

int store_device_add(struct db *db, const char *user_id, const char *token_hash, int ttl_s,
		     int keep, struct err *err)
{
	char ttl[16], keeps[16];
	const char *ins[3] = {token_hash, user_id, ttl};
	const char *del[2] = {user_id, keeps};
	PGresult *res;

	snprintf(ttl, sizeof(ttl), "%d", ttl_s);
	snprintf(keeps, sizeof(keeps), "%d", keep);
	res = db_exec_prepared(db,
			       "INSERT INTO auth_devices (token_hash, user_id, expires_on)"
			       " VALUES ($1, $2::uuid, now() + make_interval(secs => $3::int))",
			       3, ins, err);
	if (res == NULL)
		return -1;
	PQclear(res);
	res = db_exec_prepared(
	    db,
	    "DELETE FROM auth_devices WHERE user_id = $1::uuid AND (expires_on <= now() OR"
	    " token_hash NOT IN (SELECT token_hash FROM auth_devices WHERE user_id = $1::uuid"
	    "  ORDER BY created_on DESC, token_hash LIMIT $2::int))",
	    2, del, err);
	if (res == NULL)
		return -1;
	PQclear(res);
	return 0;
}

int store_device_valid(struct db *db, const char *token_hash, const char *username, struct err *err)
{
	const char *params[2] = {token_hash, username};
	PGresult *res;
	int ok;

	if (strlen(username) > USERNAME_MAX_BYTES)
		return 0;
	res = db_exec_prepared(
	    db,
	    "SELECT 1 FROM auth_devices d JOIN users u ON u.id = d.user_id AND NOT u.deleted"
	    " JOIN user_credentials c ON c.user_id = u.id AND NOT c.deleted"
	    " WHERE d.token_hash = $1 AND lower(u.username) = lower($2) AND d.expires_on > now()"
	    "  AND d.created_on >= coalesce(c.password_changed_on, '-infinity')",
	    2, params, err);
	if (res == NULL)
		return -1;
	ok = PQntuples(res) == 1;
	PQclear(res);
	return ok;
}
