/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The tables of social and enterprise logins (host/sql/0007_social.sql):
 * login transactions, identities at providers, and the PKCE challenge of
 * an auth code. Workers only (blocking); nothing logs.
 */
#ifndef AUTHSVC_STORE_SOCIAL_H
#define AUTHSVC_STORE_SOCIAL_H

#include <stdbool.h>

#include "store/db.h"

struct login_tx {
	char state_hash[65];
	char browser_hash[65];
	char provider[51];
	char client_id[51];
	char code_verifier[129];
	char nonce[65];
	char *caller_state;	   /* malloc'd, may be NULL; login_tx_release frees it */
	char client_challenge[65]; /* "" when none */
};

/* Insert a transaction living ttl_s seconds (expired rows of any provider
 * are deleted in the same statement). 0 or -1. */
int store_login_tx_create(struct db *db, const struct login_tx *tx, int ttl_s, struct err *err);

/* Take (delete and return) the live transaction with this state and
 * browser hash: 1 (out filled), 0 none (unknown, expired, used, or another
 * browser: nothing is deleted), -1 error. */
int store_login_tx_take(struct db *db, const char *state_hash, const char *browser_hash,
			const char *provider, struct login_tx *out, struct err *err);
void login_tx_release(struct login_tx *tx);

/* The user of (provider, subject): 1 (user_id filled, the identity's
 * last_login set), 0 none (or the user is deleted), -1 error. */
int store_identity_user(struct db *db, const char *provider, const char *subject, char user_id[40],
			struct err *err);
/* Link (provider, subject) to user_id. 0 or -1. */
int store_identity_link(struct db *db, const char *provider, const char *subject,
			const char *user_id, const char *email, struct err *err);
/* The live user with this e-mail (case-insensitive): 1, 0, -1. */
int store_user_by_email(struct db *db, const char *email, char user_id[40], struct err *err);

/* Bind an S256 challenge to the auth code code_hash (same transaction as
 * its creation). 0 or -1. */
int store_code_bind_challenge(struct db *db, const char *code_hash, const char *challenge,
			      struct err *err);
/* The challenge bound to a code: 1 (out filled), 0 none, -1 error. */
int store_code_challenge(struct db *db, const char *code_hash, char out[65], struct err *err);
/* Bind the social provider instance a login came through to the auth code
 * code_hash (host/sql/0008_login_bindings.sql). 0 or -1. */
int store_code_bind_provider(struct db *db, const char *code_hash, const char *provider,
			     struct err *err);
/* The provider bound to a code: 1 (out filled), 0 none, -1 error. */
int store_code_provider(struct db *db, const char *code_hash, char out[51], struct err *err);
/* Bind a challenge and a provider (either NULL: left as it is) to the MFA
 * transaction whose MFA-flagged code hashes to code_hash. 0 or -1. */
int store_mfa_bind(struct db *db, const char *code_hash, const char *challenge,
		   const char *provider, struct err *err);
/* What is bound to that MFA transaction ("" where nothing): 0 or -1. */
int store_mfa_bound(struct db *db, const char *code_hash, char challenge[65], char provider[51],
		    struct err *err);

#endif
