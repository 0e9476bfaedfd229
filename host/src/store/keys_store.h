/* SPDX-License-Identifier: Apache-2.0 */
/*
 * JWT signing keys kept in PostgreSQL (table jwt_keys: key_id, alg,
 * public_key, private_key, created_on), for servers configured without a
 * key file. Every instance behind the load balancer then signs with the
 * same newest key and verifies with all of them.
 *
 * Private keys are stored as PKCS#8 PEM, encrypted with AES-256-CBC under
 * tokens.key_passphrase, never in the clear: read access to the database
 * must not be the power to mint tokens. Without a passphrase both
 * functions refuse. A row found in the clear (from upstream, or written by
 * an older build) is encrypted in place when it is loaded. A row whose
 * private_key is empty is a verification-only key.
 *
 * Each key has an active_from: the newest key whose active_from has come
 * signs; a rotated key is written to start signing a pickup interval
 * later, so every instance verifies with it before any signs with it. A
 * key is needed until its successor has signed for longer than the
 * longest access-token lifetime of any client (auth_clients), plus a
 * leeway (keys_store_leeway); then it is "expired" and retired (deleted).
 *
 * Every function blocks on the database: the key listener's thread
 * (app/keys_sync.c), the main thread at start, or the admin CLI. They do
 * not log; failures fill err. Changes reach running servers through the
 * NOTIFY authsvc_keys that a trigger on jwt_keys sends, and their poll.
 */
#ifndef AUTHSVC_STORE_KEYS_STORE_H
#define AUTHSVC_STORE_KEYS_STORE_H

#include "store/db.h"
#include "tokens/keyring.h"
#include "util/err.h"

#include <stdbool.h>
#include <stddef.h>

/* Added to the pickup interval in keys_store_leeway: clock skew between
 * instances and the database. */
#define KEYS_STORE_SKEW_S 60

/* Append every row whose alg is kr->alg to kr, the signing key first (see
 * above), then the keys waiting to sign, then the older ones. When there is
 * none, generate one key (keyring_generate), insert it under
 * pg_advisory_xact_lock in a transaction (so two instances starting
 * together make one key), and load again. kr must be RS256 or ES256. A row
 * that cannot be read (bad PEM, wrong passphrase) fails the whole load and
 * kr is left as it was. *encrypted_out (may be NULL) counts the rows that
 * were in the clear and are now encrypted; *pending_s_out (may be NULL) is
 * the seconds until the next waiting key starts signing, -1 when none
 * waits. 0 or -1. */
int keys_store_load_or_create(struct db *db, struct keyring *kr, const char *passphrase,
			      int *encrypted_out, long *pending_s_out, struct err *err);

/* keys_store_load_or_create without the creating: none is not an error
 * (kr is then unchanged). For a start that leaves generating the first key
 * to the background (app/app.c). */
int keys_store_load(struct db *db, struct keyring *kr, const char *passphrase, int *encrypted_out,
		    long *pending_s_out, struct err *err);

/* Insert a freshly generated key for alg that starts signing in delay_s
 * seconds (0: at once); its kid into kid_out. One locked transaction. 0 or -1. */
int keys_store_rotate(struct db *db, enum jwt_alg_kind alg, const char *passphrase, int delay_s,
		      char kid_out[64], struct err *err);

/* Automatic rotation: as keys_store_rotate, but only when the newest key
 * of alg started signing period_s or more seconds ago (checked under the
 * lock, so of several instances exactly one rotates). *rotated_out says
 * whether it did. period_s <= 0: never. 0 or -1. */
int keys_store_rotate_due(struct db *db, enum jwt_alg_kind alg, const char *passphrase,
			  int period_s, int delay_s, char kid_out[64], bool *rotated_out,
			  struct err *err);

/* Delete every key of alg no longer needed; *retired_out counts them. 0 or -1. */
int keys_store_retire_expired(struct db *db, enum jwt_alg_kind alg, int leeway_s, int *retired_out,
			      struct err *err);

/* Delete the key kid. Without force only an expired key goes: the signing
 * key, the next one and a key still needed are refused (err->code 409);
 * an unknown kid is err->code 404. The key's state ("signing", "next",
 * "verifying", "expired") goes to state_out either way. 0 or -1. */
int keys_store_retire(struct db *db, const char *kid, bool force, int leeway_s, char *state_out,
		      size_t state_size, struct err *err);

/* Every key: kid, alg, state, signs_from, needed_until (UTC, "-" while its
 * successor does not sign yet), newest first per alg. The caller PQclear()s;
 * NULL on failure. */
PGresult *keys_store_list(struct db *db, int leeway_s, struct err *err);

/* A string that changes whenever the keys of alg change (added, removed,
 * rescheduled); malloc'd, NULL on failure. */
char *keys_store_fingerprint(struct db *db, enum jwt_alg_kind alg, struct err *err);

/* The leeway a key is kept beyond the longest access-token lifetime: the
 * pickup interval (tokens.key_poll) plus KEYS_STORE_SKEW_S. */
int keys_store_leeway(int poll_s);

#endif
