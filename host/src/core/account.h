/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What the account flows share (forget/reset password, sign-up, change of
 * password; docs/api.md "Where authsvc differs from upstream"): the reuse rule for new
 * passwords, setting a password with its history, minting and mailing
 * single-use tokens, and input checks. Workers only (database, hashing).
 */
#ifndef AUTHSVC_CORE_ACCOUNT_H
#define AUTHSVC_CORE_ACCOUNT_H

#include <stdbool.h>
#include <stddef.h>

#include "http/request.h"
#include "notify/notify.h"
#include "store/db.h"

/* A fresh token (base64url of 32 random bytes) and its SHA-256 hex. 0 or -1. */
#define ACCOUNT_TOKEN_MAX 48
int account_new_token(char token[ACCOUNT_TOKEN_MAX], char hash[65]);

/* For an answer that sends nothing (unknown user, address in use): the
 * same token minting and row write as a real send, the row born used.
 * AUTHSVC_OK, or the reply for a store error is set. */
enum authsvc_status account_decoy(struct authsvc_req *req, const char *purpose, int ttl_s);

/* The 401 for a reset or signup token that cannot be used, by its state
 * (store/action_tokens.h): used "TokenRevoked", expired "Token Expired",
 * unknown "Token Invalid". Returns AUTHSVC_OK (the reply is set). */
enum authsvc_status account_token_refused(struct authsvc_req *req, int state);

/*
 * The new password must be neither the current one (401 "Password cannot
 * be same as previous password!", upstream's answer) nor one of the
 * earlier ones that make up the last account.password_history passwords
 * (400 "Password cannot be one of the last N passwords"). 0 when it may
 * be used; -1 with the reply set. May block (one verification per hash).
 */
int account_password_reuse_check(struct authsvc_req *req, struct db *db, const char *user_id,
				 const char *current_hash, const char *password);

/* How many earlier hashes the history keeps (account.password_history - 1). */
int account_history_keep(const struct authsvc_req *req);

/*
 * In the caller's transaction: keep the current hash in the history, then
 * store a hash of password. -1 with err (422 "Unable to set password !"
 * when hashing failed).
 */
int account_password_set(struct authsvc_req *req, struct db *db, const char *user_id,
			 const char *password, struct err *err);

/*
 * Queue the mail of event ("reset", "signup") for `to`. Template variables:
 * token, link (url_tmpl with {{token}} replaced), username, email, minutes
 * (ttl_s rounded up), expiresIn (ttl_s). OK or UNAVAILABLE/ERROR.
 */
enum authsvc_status account_send_token(struct authsvc_req *req, const char *event,
				       const char *url_tmpl, const char *token, int ttl_s,
				       const struct notify_to *to);

/* Plausible e-mail address: local@domain.tld, at most 150 bytes, no blanks. */
bool account_email_valid(const char *email);
/* E.164-ish phone number: ^\+?[1-9][0-9]{1,14}$, at most 15 characters. */
bool account_phone_valid(const char *phone);

/* Copy s lower-cased into out (truncated to outsz). */
void account_lower(const char *s, char *out, size_t outsz);

#endif
