/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Auth codes, refresh tokens and revoked access tokens: what upstream kept
 * in Redis, here in PostgreSQL so every instance shares it. Codes and
 * refresh tokens are stored only as SHA-256 hex of the opaque value.
 * Workers only (blocking); callers group calls in transactions.
 */
#ifndef AUTHSVC_STORE_SESSIONS_H
#define AUTHSVC_STORE_SESSIONS_H

#include <stdbool.h>
#include <stdint.h>

#include "store/db.h"
#include "tokens/revocation.h"

struct code_row {
	char user_id[40];
	char tenant_id[40]; /* "" for the default tenant */
	bool mfa;
};

enum code_result { CODE_OK = 0, CODE_UNKNOWN, CODE_SPENT /* used or expired */ };

int store_code_create(struct db *db, const char *code_hash, const char *client_id,
		      const char *user_id, const char *tenant_id, bool mfa, int ttl_s,
		      struct err *err);
/* Atomically burn the code: exactly one caller gets CODE_OK. -1 on error. */
int store_code_consume(struct db *db, const char *code_hash, const char *client_id,
		       struct code_row *out, struct err *err);

struct refresh_row {
	char token_hash[65];
	char family_id[40];
	char client_id[51];
	char user_id[40];
	char tenant_id[40];
	char access_jti[65];
	char access_hash[65];
	int64_t access_exp;
	bool expired, used, revoked;
	int64_t used_age_s; /* seconds since it was used (when used) */
};

struct refresh_new {
	const char *token_hash;
	const char *family_id; /* NULL: a new family */
	const char *client_id;
	const char *user_id;
	const char *tenant_id;
	const char *access_jti;
	const char *access_hash;
	int64_t access_exp;
	int ttl_s;
};

/* Deferred inside a transaction (db_defer_prepared). */
int store_refresh_insert(struct db *db, const struct refresh_new *r, struct err *err);
/* Row-locks the token (FOR UPDATE) inside the caller's transaction. 1/0/-1. */
int store_refresh_lock(struct db *db, const char *token_hash, struct refresh_row *out,
		       struct err *err);
struct client;
struct user_ctx;
/* A refresh in one statement, the common case: when the token is live,
 * unused and paired with access_hash, mark it used, revoke its access
 * token, read its client and the user's context in tenant_id (a uuid, or
 * NULL: the token's own tenant). 1 done (row, c and u filled; c->id is 0
 * when the client is gone, u->claims NULL when the user or its tenant
 * membership is), 0 not so (store_refresh_lock tells why), -1 error. */
int store_refresh_rotate(struct db *db, const char *token_hash, const char *access_hash,
			 const char *tenant_id, struct refresh_row *out, struct client *c,
			 struct user_ctx *u, struct err *err);
int store_refresh_mark_used(struct db *db, const char *token_hash, struct err *err);
/* Revoke live refresh tokens (a family, or every one of a user) and the access
 * tokens issued with them. Exactly one of family_id / user_id is non-NULL.
 * The access tokens join mem when the transaction commits (db_revoke_mem). */
int store_refresh_revoke(struct db *db, const char *family_id, const char *user_id,
			 struct revocations *mem, struct err *err);
/* Mark every outstanding code of the user used. */
int store_codes_burn_user(struct db *db, const char *user_id, struct err *err);

/* Revoke one access token by jti until exp (the table's trigger NOTIFYs). */
int store_revoke_jti(struct db *db, const char *jti, int64_t exp, struct err *err);

#endif
