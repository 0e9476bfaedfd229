/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Device tokens (table auth_devices, docs/security.md): a successful login
 * hands the client a random token, kept here only as SHA-256 hex with the
 * user and an expiry. A live token for the account being tried exempts
 * that client from the account-wide rate limit. A password change or reset
 * ends every token issued before it (created_on is compared with
 * user_credentials.password_changed_on), so no revocation list is needed.
 * Workers only; no function logs.
 */
#ifndef AUTHSVC_STORE_DEVICES_H
#define AUTHSVC_STORE_DEVICES_H

#include "store/db.h"

/* Keep a new token for user_id, live for ttl_s seconds; the user's dead
 * tokens go, and only the newest `keep` stay. 0 or -1. */
int store_device_add(struct db *db, const char *user_id, const char *token_hash, int ttl_s,
		     int keep, struct err *err);
/* 1: token_hash is a live token of the user named username (as presented,
 * any case); 0: it is not; -1: database error. */
int store_device_valid(struct db *db, const char *token_hash, const char *username,
		       struct err *err);

#endif
