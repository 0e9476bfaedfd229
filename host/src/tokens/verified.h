/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Tokens this thread has verified. A client sends the same access token
 * with every request until it expires; checking its signature and parsing
 * its payload again each time is most of what GET /auth/me costs. This
 * per-thread memory maps (keyring generation, SHA-256 of the token's exact
 * bytes) to the payload that verification produced, so a repeat skips the
 * signature check, the base64 decoding and the JSON parse. Nothing else is
 * skipped: the caller checks the claims (iss, purpose, exp, nbf) and the
 * revocation set on every use.
 *
 * Only tokens that passed every check are stored; a different byte, or a
 * keyring that changed (keyring_* bump its generation), misses. Per thread
 * and without locks; VERIFIED_SLOTS entries, direct-mapped; freed when the
 * thread exits.
 */
#ifndef AUTHSVC_TOKENS_VERIFIED_H
#define AUTHSVC_TOKENS_VERIFIED_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#define VERIFIED_SLOTS 64

/* The payload stored for (ring, digest): a deep copy the caller owns, or
 * NULL. */
json_t *verified_get(uint64_t ring, const unsigned char digest[32]);
/* Store a deep copy of claims for (ring, digest), replacing the slot's
 * entry. Out of memory only means no entry. */
void verified_put(uint64_t ring, const unsigned char digest[32], const json_t *claims);
/* Hits on this thread since it started (for tests and diagnostics). */
uint64_t verified_hits(void);

#endif
