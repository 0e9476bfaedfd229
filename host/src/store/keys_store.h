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
 * Both functions block on the database: main thread at start, or the
 * admin CLI. They do not log; failures fill err. A key added by
 * keys_store_rotate is picked up by running servers at their next start or
 * reload. On engines without advisory locks two instances starting at once
 * on an empty table may each create a key; both are then valid.
 */
#ifndef AUTHSVC_STORE_KEYS_STORE_H
#define AUTHSVC_STORE_KEYS_STORE_H

#include "store/db.h"
#include "tokens/keyring.h"
#include "util/err.h"

/* Append every row whose alg is kr->alg to kr, newest first (so the newest
 * signs); none is not an error (kr is then unchanged). kr must be RS256 or
 * ES256 and passphrase set. A row that cannot be read (bad PEM, wrong
 * passphrase) fails the whole load and kr is left as it was.
 * *encrypted_out (may be NULL) counts the rows that were in the clear and
 * are now encrypted. 0 or -1. */
int keys_store_load(struct db *db, struct keyring *kr, const char *passphrase, int *encrypted_out,
		    struct err *err);

/* keys_store_load; when there is no row, generate one key (keyring_generate), insert it
 * under pg_advisory_xact_lock in a transaction (so two instances starting
 * together make one key), and load again. kr must be RS256 or ES256. A row
 * that cannot be read (bad PEM, wrong passphrase) fails the whole load and
 * kr is left as it was. *encrypted_out (may be NULL) counts the rows that
 * were in the clear and are now encrypted. 0 or -1. */
int keys_store_load_or_create(struct db *db, struct keyring *kr, const char *passphrase,
			      int *encrypted_out, struct err *err);

/* Insert a freshly generated key for alg (it becomes the signing key at the
 * next load) and delete the rows of that alg beyond the `keep` newest
 * (keep >= 1; keep at least 2 so tokens signed by the previous key still
 * verify until they expire). One transaction. 0 or -1. */
int keys_store_rotate(struct db *db, enum jwt_alg_kind alg, const char *passphrase, int keep,
		      struct err *err);

#endif
