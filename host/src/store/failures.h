/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Brute-force protection: attempt counters in PostgreSQL so every instance
 * shares them (table auth_failures, docs/security.md). Every attempt is
 * counted before it is judged, in one statement that increments and
 * returns the count, and the caller decides from the returned value: 40
 * parallel guesses against a limit of 5 get 5 checks, never more.
 *
 * Two kinds of counter:
 * - fixed-window counters (store_failures_take): kind 'pair' (one account
 *   from one address or one device), 'ip' (one client address), 'step'
 *   (one pending MFA step). The attempt that reaches max starts a lockout
 *   of lockout_s seconds; attempts beyond max are refused until the
 *   lockout (or, before any, the window) ends, and the count starts again.
 * - the account-wide rate (store_failures_rate_take, kind 'acct'): a
 *   GCRA bucket of per_window attempts per window_s, so no number of
 *   addresses guesses faster than that; refused attempts are not counted.
 *
 * Subjects are lower-cased. Workers only; no function logs.
 */
#ifndef AUTHSVC_STORE_FAILURES_H
#define AUTHSVC_STORE_FAILURES_H

#include "store/db.h"

/* Count one attempt. 0: allowed; > 0: refused, seconds until the counter
 * allows one again; -1: database error. */
int store_failures_take(struct db *db, const char *kind, const char *subject, int max, int window_s,
			int lockout_s, struct err *err);
/* Hand back an attempt that turned out not to be a failure; 0 or -1. */
int store_failures_give_back(struct db *db, const char *kind, const char *subject, struct err *err);
/* Drop the counter (a success on a 'pair' clears it); 0 or -1. */
int store_failures_forget(struct db *db, const char *kind, const char *subject, struct err *err);

/* One attempt on the account-wide rate of account: 0 allowed, > 0 refused
 * (seconds until the bucket has room), -1 database error. */
int store_failures_rate_take(struct db *db, const char *account, int per_window, int window_s,
			     struct err *err);
/* Hand the attempt back to the bucket; 0 or -1. */
int store_failures_rate_give_back(struct db *db, const char *account, int per_window, int window_s,
				  struct err *err);

#endif
