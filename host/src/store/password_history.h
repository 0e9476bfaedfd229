/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Earlier password hashes of a user (table password_history), so a new
 * password can be refused when it is one of the last N (account.password_history).
 * Hashes are secrets: the caller wipes them with password_history_free.
 * Workers only (blocking); callers own transactions.
 */
#ifndef AUTHSVC_STORE_PASSWORD_HISTORY_H
#define AUTHSVC_STORE_PASSWORD_HISTORY_H

#include "store/db.h"

/* The user's newest `limit` earlier hashes, newest first, in *hashes_out
 * (malloc'd array of malloc'd strings). Returns the count (0..limit), or -1. */
int store_password_history(struct db *db, const char *user_id, int limit, char ***hashes_out,
			   struct err *err);
void password_history_free(char **hashes, int n);

/* Before the password changes: copy the user's current hash (if any) into
 * the history, then keep only the newest `keep` rows (keep <= 0: none). */
int store_password_history_push(struct db *db, const char *user_id, int keep, struct err *err);

#endif
