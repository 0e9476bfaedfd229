/*
 * Brute-force protection: failure counters per account and per client
 * address, in PostgreSQL so every instance shares them (table
 * auth_failures). A subject that reaches its threshold within the window is
 * locked for `lockout` seconds, doubling with every further lockout in the
 * same window (capped at one day). Accounts are keyed by the lower-cased
 * username as presented, whether or not it exists. Workers only.
 */
#ifndef AUTHSVC_STORE_FAILURES_H
#define AUTHSVC_STORE_FAILURES_H

#include "config/config.h"
#include "store/db.h"

/* Seconds until the account or the address may try again; 0 when neither is
 * locked; -1 on a database error. account may be NULL (client secrets). */
int store_failures_locked(struct db *db, const char *account, const char *ip, struct err *err);
/* Count a failed attempt against both; 0 or -1. */
int store_failures_add(struct db *db, const struct bruteforce_policy *bp, const char *account,
		       const char *ip, struct err *err);
/* A success clears the account's counter (the address keeps its own). */
int store_failures_clear(struct db *db, const char *account, struct err *err);

#endif
