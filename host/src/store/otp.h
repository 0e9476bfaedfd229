/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Pending one-time codes and MFA transactions (table otp_pending, one row
 * per (space, key); docs/api.md "Second factor and passwordless login"). Codes are stored only as
 * SHA-256 hex. Workers only.
 */
#ifndef AUTHSVC_STORE_OTP_H
#define AUTHSVC_STORE_OTP_H

#include <stdbool.h>

#include "store/db.h"

struct otp_row {
	char user_id[40]; /* "" for a decoy row of an unknown key */
	char client_id[51];
	char otp_hash[65]; /* "" when no code was sent */
	char code_hash[65];
	bool otp_live; /* otp_hash set and not expired */
	int attempts;
};

/* Replace the row of (space, key): a new transaction. user_id, otp_hash,
 * code_hash may be NULL. otp_ttl_s applies to the code, ttl_s to the row. */
int store_otp_put(struct db *db, const char *space, const char *key, const char *user_id,
		  const char *client_id, const char *otp_hash, const char *code_hash, int otp_ttl_s,
		  int ttl_s, struct err *err);
/* Put a fresh code on a live row (resend): attempts restart. 1 done, 0 no live row. */
int store_otp_renew(struct db *db, const char *space, const char *key, const char *otp_hash,
		    int otp_ttl_s, struct err *err);
/* The live row of (space, key). 1 found, 0 none, -1 error. */
int store_otp_get(struct db *db, const char *space, const char *key, struct otp_row *out,
		  struct err *err);
/* The live 'mfa' row whose MFA-flagged code hashes to code_hash; *expired
 * set when the row exists but is past its time. 1/0/-1. */
int store_otp_by_code(struct db *db, const char *code_hash, struct otp_row *out, bool *expired,
		      struct err *err);
/* Count one attempt on the row before its code is checked, in one
 * statement, so parallel guesses (on any number of instances) get at most
 * max checks in all: the attempts so far, this one included (1..max); 0
 * when the row is gone or has had its max; -1 on error. */
int store_otp_attempt(struct db *db, const char *space, const char *key, int max, struct err *err);
/* After a wrong code: delete the row once it has had max attempts. 0 or -1. */
int store_otp_burn_spent(struct db *db, const char *space, const char *key, int max,
			 struct err *err);
/* Burn the row if it still is the one seen (otp_hash or code_hash equal):
 * exactly one concurrent caller gets 1. */
int store_otp_take(struct db *db, const char *space, const char *key, const char *otp_hash,
		   const char *code_hash, struct err *err);

/* TOTP secrets in user_credentials (secret_key, totp_confirmed, totp_last_step). */
int store_totp_get(struct db *db, const char *user_id, char **secret_out, bool *confirmed,
		   struct err *err); /* 1 (secret malloc'd), 0 none, -1 */
int store_totp_set(struct db *db, const char *user_id, const char *stored,
		   struct err *err); /* 1 set, 2 a confirmed one is there (kept), 0 no user, -1 */
/* Record step as used and confirm the secret; 1 done, 0 a replay (step not
 * after the last one), -1 error. */
int store_totp_use_step(struct db *db, const char *user_id, long long step, struct err *err);

#endif
