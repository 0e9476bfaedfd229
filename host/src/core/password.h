/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Password hashing and checking, shared by the server (login, change and
 * reset of passwords), the local plugin through the host API, and
 * authsvc-admin.
 *
 * New hashes are argon2id PHC strings ($argon2id$v=19$m=...,t=...,p=...$salt$hash)
 * with a 16-byte random salt and a 32-byte tag, using the cost from the
 * [password] section of the config. Stored argon2i hashes and bcrypt hashes
 * ($2a$/$2b$/$2y$, as an upstream database holds them) still verify, and are
 * flagged for re-hashing.
 *
 * Every hash or verification takes one of hash_concurrency slots of a
 * counting semaphore first, so the memory spent at once is bounded by
 * argon2_m_cost_kib x hash_concurrency. Those calls block (CPU and the wait
 * for a slot): worker threads or the admin CLI only, never the event loop.
 *
 * password_init runs once, on the main thread, before any other call and
 * before workers start; the module keeps no other mutable state.
 */
#ifndef AUTHSVC_CORE_PASSWORD_H
#define AUTHSVC_CORE_PASSWORD_H

#include <stdbool.h>
#include <stddef.h>

#include "util/err.h"

struct password_policy; /* config/config.h */

/* The size of a buffer that always holds a hash from password_hash. */
#define PASSWORD_HASH_MAX 128

/*
 * Take the argon2 cost and the concurrency (hash_concurrency <= 0: the number
 * of online CPUs) from policy. Cheap: no hash is computed here, so it does
 * not delay start-up. Calling it again replaces the settings; no other
 * thread may be hashing then. 0 or -1 with err.
 */
int password_init(const struct password_policy *policy, struct err *err);

/*
 * Hash password into out (outsz >= PASSWORD_HASH_MAX) as an argon2id PHC
 * string. 0 or -1 with err (out is then an empty string). May block.
 */
int password_hash(const char *password, char *out, size_t outsz, struct err *err);

/*
 * Check password against a stored hash (argon2id, argon2i or bcrypt).
 * Returns 1 on a match, 0 on a mismatch, an empty or NULL hash and a hash
 * in an unknown or malformed format, -1 when the check itself failed (out of
 * memory, not initialised). *needs_rehash (may be NULL) is set true only on a
 * match when the hash is bcrypt, argon2i, or argon2id with parameters other
 * than the configured ones. May block.
 */
int password_verify(const char *password, const char *stored, bool *needs_rehash);

/*
 * Spend as much time as a real verification of an argon2id hash with the
 * configured cost (one argon2id hash of password, never matching). Used when the user does
 * not exist, so such users cannot be told apart by timing. May block.
 */
void password_verify_dummy(const char *password);

/*
 * Check a new password against the policy: length in bytes between
 * min_length and max_length, a letter and a digit when require_mixed, and
 * not equal to the username (case-insensitive) when forbid_username
 * (username may be NULL: not checked). On failure err->msg is a
 * client-facing sentence naming the rule, err->code 400. 0 ok or -1.
 */
int password_policy_check(const struct password_policy *policy, const char *username,
			  const char *password, struct err *err);

#endif
