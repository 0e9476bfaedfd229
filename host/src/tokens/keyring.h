/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The signing keys: one algorithm per ring (the configured tokens.jwt_alg),
 * keys[0] signs, every key verifies (older keys stay during a rotation so
 * tokens they signed live out their exp), and the public halves are
 * published as a JWKS.
 *
 * RS256 uses RSA (2048 bits or more), ES256 uses EC P-256, HS256 uses one
 * shared secret of at least 32 bytes (no kid, empty JWKS).
 *
 * Built by one thread (from a PEM file, from the jwt_keys table, or from
 * the HS secret: at start, or by the key listener when the keys change)
 * and read-only once published (tokens/keyset.h): any number of threads
 * may then call keyring_find, keyring_signing_key, keyring_jwks and the
 * tokens_jwt_* functions without locking. Nothing here logs; failures
 * fill a struct err. Private key material is wiped when released.
 */
#ifndef AUTHSVC_TOKENS_KEYRING_H
#define AUTHSVC_TOKENS_KEYRING_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>
#include <openssl/evp.h>

#include "config/config.h" /* enum jwt_alg_kind */
#include "util/err.h"

struct signing_key {
	char kid[64]; /* key id; for generated keys 22 chars base64url of 16 random bytes */
	enum jwt_alg_kind alg;
	EVP_PKEY *pkey;	   /* private (if known) or public key; NULL for HS256 */
	char *private_pem; /* PKCS#8 PEM, unencrypted, malloc'd; NULL if only public known */
	char *public_pem;  /* SPKI PEM, malloc'd; NULL for HS256 */
	size_t private_pem_len, public_pem_len;
	unsigned char *secret; /* HS256 only, malloc'd */
	size_t secret_len;
};

struct keyring {
	enum jwt_alg_kind alg;
	struct signing_key *keys; /* keys[0] is the newest = the signing key */
	size_t nkeys;
	/* unique over the process, new with every change of the keys: what
	 * tokens/verified.h remembers a verification against */
	uint64_t generation;
};

/* "RS256", "ES256", "HS256" ("?" for anything else). */
const char *jwt_alg_kind_name(enum jwt_alg_kind k);
/* Exact, case-sensitive names as above: 0, or -1 (out untouched). */
int jwt_alg_kind_parse(const char *s, enum jwt_alg_kind *out);

/* An empty ring for alg: 0, or -1 for an unknown alg. */
int keyring_init(struct keyring *kr, enum jwt_alg_kind alg);

/* Generate a fresh RS256 (RSA-2048) or ES256 (P-256) key with a random kid,
 * both PEMs filled. HS256 is refused (the secret comes from the config).
 * 0, or -1 with err filled; out is then zeroed. Release with
 * signing_key_release unless handed to keyring_add_key. */
int keyring_generate(enum jwt_alg_kind alg, struct signing_key *out, struct err *err);

/* Parse a private key PEM (PKCS#8, encrypted PKCS#8, or traditional
 * RSA/EC PEM) and append it (older than the keys already in the ring). An
 * encrypted PEM needs passphrase; a NULL or empty passphrase never prompts,
 * it just fails. The key type must fit kr->alg. kid_or_null NULL derives the
 * kid as the RFC 7638 JWK thumbprint (43 chars). A duplicate kid is refused.
 * 0 or -1 (err filled). pem is not kept; the caller wipes it. */
int keyring_add_private_pem(struct keyring *kr, const char *kid_or_null, const char *pem,
			    size_t len, const char *passphrase_or_null, struct err *err);

/* Append a verification-only key (SPKI "PUBLIC KEY" PEM) under kid (NULL:
 * the RFC 7638 thumbprint, as above). 0 or -1 (err filled). */
int keyring_add_public_pem(struct keyring *kr, const char *kid, const char *pem, size_t len,
			   struct err *err);

/* Append key, taking ownership of what it points to (*key is zeroed) on
 * success: 0. On -1 (alg mismatch, duplicate or empty kid, out of memory)
 * the caller still owns key. */
int keyring_add_key(struct keyring *kr, struct signing_key *key);

/* Set the HS256 secret (copied; at least 32 bytes), replacing any previous
 * one. Refused on a ring whose alg is not HS256. 0 or -1. */
int keyring_set_hs_secret(struct keyring *kr, const unsigned char *secret, size_t len,
			  struct err *err);

/* The asymmetric key with that kid, or NULL (also for HS256 rings). */
const struct signing_key *keyring_find(const struct keyring *kr, const char *kid);
/* keys[0], or NULL for an empty ring. It may lack a private half
 * (public-only ring): tokens_jwt_sign then fails. */
const struct signing_key *keyring_signing_key(const struct keyring *kr);

/* {"keys":[...]} with every asymmetric key's public JWK (kty, kid, use "sig",
 * alg, and n/e or crv/x/y), newest first; HS256 gives {"keys":[]}. A new
 * reference, or NULL when out of memory. */
json_t *keyring_jwks(const struct keyring *kr);

/* The public JWK of one key (as in keyring_jwks), a new reference or NULL. */
json_t *signing_key_jwk(const struct signing_key *key);

/* Free and wipe one key's contents and zero it; NULL is fine. */
void signing_key_release(struct signing_key *key);

/* Release every key and leave the ring empty (alg kept). */
void keyring_release(struct keyring *kr);

#endif
