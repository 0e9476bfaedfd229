/* SPDX-License-Identifier: Apache-2.0 */
#include "store/contacts.h"

#include <stdio.h>
#include <string.h>

#include "util/utf8.h"

#define CONTACT                                                                                    \
	"SELECT u.id, u.username, coalesce(u.email, ''), coalesce(u.phone, ''),"                   \
	" coalesce(c.auth_provider, ''), u.mfa_enabled"                                            \
	" FROM users u LEFT JOIN user_credentials c ON c.user_id = u.id AND NOT c.deleted"

int store_user_contact(struct db *db, const char *key, bool by_id, struct user_contact *out,
		       struct err *err)
{
	const char *params[1] = {key};
	PGresult *res;

	memset(out, 0, sizeof(*out));
	if (key == NULL || utf8_chars(key) > 150)
		return 0;
	if (by_id)
		res = db_exec_prepared(
		    db,
		    "SELECT u.id, u.username, coalesce(u.email, ''), coalesce(u.phone, ''),"
		    " coalesce(c.auth_provider, ''), u.mfa_enabled"
		    " FROM users u LEFT JOIN user_credentials c ON c.user_id = u.id AND NOT "
		    "c.deleted"
		    " WHERE u.id::text = $1 AND NOT u.deleted",
		    1, params, err);
	else
		res = db_exec_prepared(
		    db,
		    "SELECT u.id, u.username, coalesce(u.email, ''), coalesce(u.phone, ''),"
		    " coalesce(c.auth_provider, ''), u.mfa_enabled"
		    " FROM users u LEFT JOIN user_credentials c ON c.user_id = u.id AND NOT "
		    "c.deleted"
		    " WHERE lower(u.username) = lower($1) AND NOT u.deleted",
		    1, params, err);
	if (res == NULL)
		return -1;
	if (PQntuples(res) != 1) {
		PQclear(res);
		return 0;
	}
	{
		const struct db_copy cols[] = {
		    {0, out->user_id, sizeof(out->user_id)},
		    {1, out->username, sizeof(out->username)},
		    {2, out->email, sizeof(out->email)},
		    {3, out->phone, sizeof(out->phone)},
		    {4, out->provider, sizeof(out->provider)},
		};

		if (db_copy_values(res, 0, cols, sizeof(cols) / sizeof(cols[0]), err) < 0) {
			PQclear(res);
			return -1;
		}
	}
	out->mfa_enabled = PQgetvalue(res, 0, 5)[0] == 't';
	PQclear(res);
	return 1;
}
