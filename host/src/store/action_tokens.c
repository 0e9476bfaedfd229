/* SPDX-License-Identifier: Apache-2.0 */
#include "store/action_tokens.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The columns both reads return, in this order. */
#define ACTION_COLS                                                                                \
	"client_id, coalesce(user_id::text, ''), coalesce(email, ''),"                             \
	" to_char(expires_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"'), data::text"

/* A reset token whose user was deleted is as good as unknown. */
#define ACTION_USER_ALIVE                                                                          \
	" AND (user_id IS NULL OR EXISTS (SELECT 1 FROM users u"                                   \
	" WHERE u.id = action_tokens.user_id AND NOT u.deleted))"

void action_row_release(struct action_row *row)
{
	free(row->data);
	row->data = NULL;
}

/* 0, or -1 (err) when a value does not fit its field or memory runs out. */
static int row_from(PGresult *res, struct action_row *out, struct err *err)
{
	const struct db_copy cols[] = {
	    {0, out->client_id, sizeof(out->client_id)},
	    {1, out->user_id, sizeof(out->user_id)},
	    {2, out->email, sizeof(out->email)},
	    {3, out->expiry, sizeof(out->expiry)},
	};

	if (db_copy_values(res, 0, cols, sizeof(cols) / sizeof(cols[0]), err) < 0)
		return -1;
	if (PQgetisnull(res, 0, 4))
		return 0;
	out->data = strdup(PQgetvalue(res, 0, 4));
	return out->data != NULL ? 0 : err_set(err, 500, "out of memory");
}

/* One statement for a real token and a decoy: the same write either way. */
static int action_insert(struct db *db, const char *token_hash, const char *purpose,
			 const char *client_id, const char *user_id, const char *email,
			 const char *data_json, int ttl_s, bool used, struct err *err)
{
	char ttl[16];
	const char *params[8] = {token_hash, purpose,	client_id, user_id,
				 email,	     data_json, ttl,	   used ? "true" : "false"};
	PGresult *res;

	snprintf(ttl, sizeof(ttl), "%d", ttl_s);
	res = db_exec(db,
		      "INSERT INTO action_tokens (token_hash, purpose, client_id, user_id, email,"
		      " data, expires_at, used_at) VALUES ($1, $2, $3, $4::uuid, $5, $6::jsonb,"
		      " now() + make_interval(secs => $7::int),"
		      " CASE WHEN $8::boolean THEN now() END)",
		      8, params, err);
	if (res == NULL)
		return -1;
	PQclear(res);
	return 0;
}

int store_action_create(struct db *db, const char *token_hash, const char *purpose,
			const char *client_id, const char *user_id, const char *email,
			const char *data_json, int ttl_s, struct err *err)
{
	return action_insert(db, token_hash, purpose, client_id, user_id, email, data_json, ttl_s,
			     false, err);
}

int store_action_decoy(struct db *db, const char *token_hash, const char *purpose,
		       const char *client_id, int ttl_s, struct err *err)
{
	return action_insert(db, token_hash, purpose, client_id, NULL, NULL, NULL, ttl_s, true,
			     err);
}

int store_action_peek(struct db *db, const char *token_hash, const char *purpose,
		      struct action_row *out, struct err *err)
{
	const char *params[2] = {token_hash, purpose};
	PGresult *res;
	int state;

	memset(out, 0, sizeof(*out));
	res =
	    db_exec(db,
		    "SELECT " ACTION_COLS ", used_at IS NOT NULL, expires_at <= now()"
		    " FROM action_tokens WHERE token_hash = $1 AND purpose = $2" ACTION_USER_ALIVE,
		    2, params, err);
	if (res == NULL)
		return -1;
	if (PQntuples(res) != 1)
		state = ACTION_UNKNOWN;
	else if (PQgetvalue(res, 0, 5)[0] == 't')
		state = ACTION_USED;
	else if (PQgetvalue(res, 0, 6)[0] == 't')
		state = ACTION_EXPIRED;
	else
		state = row_from(res, out, err) < 0 ? -1 : ACTION_LIVE;
	PQclear(res);
	return state;
}

int store_action_take(struct db *db, const char *token_hash, const char *purpose,
		      struct action_row *out, struct err *err)
{
	const char *params[2] = {token_hash, purpose};
	PGresult *res;
	int state;

	memset(out, 0, sizeof(*out));
	res = db_exec(db,
		      "UPDATE action_tokens SET used_at = now()"
		      " WHERE token_hash = $1 AND purpose = $2 AND used_at IS NULL"
		      " AND expires_at > now()" ACTION_USER_ALIVE " RETURNING " ACTION_COLS,
		      2, params, err);
	if (res == NULL)
		return -1;
	if (PQntuples(res) == 1) {
		state = row_from(res, out, err) < 0 ? -1 : ACTION_LIVE;
		PQclear(res);
		return state;
	}
	PQclear(res);
	/* why not: a second read (it sees what a concurrent winner committed) */
	state = store_action_peek(db, token_hash, purpose, out, err);
	if (state == ACTION_LIVE) { /* expired or taken in between */
		action_row_release(out);
		state = ACTION_USED;
	}
	return state;
}

int store_action_burn_user(struct db *db, const char *user_id, const char *purpose, struct err *err)
{
	const char *params[2] = {user_id, purpose};
	PGresult *res = db_exec(db,
				"UPDATE action_tokens SET used_at = now() WHERE user_id = $1::uuid"
				" AND purpose = $2 AND used_at IS NULL",
				2, params, err);

	if (res == NULL)
		return -1;
	PQclear(res);
	return 0;
}
