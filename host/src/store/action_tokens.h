/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Reset-password and signup tokens (table action_tokens; docs/api.md,
 * "Forgotten passwords and sign-up"): opaque values stored only as SHA-256 hex, each with a purpose
 * ("reset" or "signup"), so no other kind of token passes for one. A token
 * is used once: store_action_take marks it used in one UPDATE, so of two
 * concurrent takers exactly one wins (the other waits for the row lock,
 * then sees it used). Workers only (blocking); callers own transactions.
 */
#ifndef AUTHSVC_STORE_ACTION_TOKENS_H
#define AUTHSVC_STORE_ACTION_TOKENS_H

#include "store/db.h"
#include "store/users.h"

enum action_state {
	ACTION_LIVE = 0,
	ACTION_UNKNOWN, /* no such token of that purpose (or its user is gone) */
	ACTION_USED,
	ACTION_EXPIRED,
};

struct action_row {
	char client_id[51];
	char user_id[40]; /* "" for a signup token */
	char email[VARCHAR150_BUF];
	char expiry[40]; /* expires_at as ISO-8601 UTC, e.g. 2024-01-31T12:00:00.000Z */
	char *data;	 /* the data object as JSON text (malloc'd), or NULL */
};

void action_row_release(struct action_row *row);

/* Store a token. user_id, email, data_json may be NULL. 0 or -1. */
int store_action_create(struct db *db, const char *token_hash, const char *purpose,
			const char *client_id, const char *user_id, const char *email,
			const char *data_json, int ttl_s, struct err *err);
/* A row like store_action_create's, born used (no user, no address): the
 * write an answer that sends nothing still makes, so that its timing does
 * not tell whether the user or address exists. Purged with the others. */
int store_action_decoy(struct db *db, const char *token_hash, const char *purpose,
		       const char *client_id, int ttl_s, struct err *err);

/* Read a token without using it. Returns its state (ACTION_LIVE fills
 * out), or -1 on error. */
int store_action_peek(struct db *db, const char *token_hash, const char *purpose,
		      struct action_row *out, struct err *err);

/* Use a live token: ACTION_LIVE (out filled, the row stays locked until
 * the caller's transaction ends; a rollback gives the token back), or the
 * state that prevented it, or -1 on error. */
int store_action_take(struct db *db, const char *token_hash, const char *purpose,
		      struct action_row *out, struct err *err);

/* Mark every unused token of that purpose of the user used. 0 or -1. */
int store_action_burn_user(struct db *db, const char *user_id, const char *purpose,
			   struct err *err);

#endif
