/* SPDX-License-Identifier: Apache-2.0 */
/*
 * JWT (compact JWS) signing and verification with OpenSSL on the keys the
 * keyring parsed once.
 *
 * libjwt 1.10 (Debian 12) re-reads the PEM key on every sign and verify
 * (OpenSSL 3's decoders: several times the cost of an RS256 signature), and
 * its jwt_decode() takes the algorithm from the token's own header and does
 * not look at exp. So tokens_jwt_verify parses the header itself, strictly,
 * and refuses any token whose alg is not the ring's (which stops "none" and
 * the HS256-with-the-RSA-public-key confusion before a key is touched),
 * checks the signature with the cached key, then the claims (iss, purpose,
 * exp, nbf). libjwt stays the reference: the unit tests check that it
 * accepts our tokens and that we accept its tokens, for each algorithm.
 *
 * Both functions only read the keyring and are safe from any thread once
 * the ring is built. They do not log.
 */
#ifndef AUTHSVC_TOKENS_JWT_CODEC_H
#define AUTHSVC_TOKENS_JWT_CODEC_H

#include <jansson.h>

#include "tokens/keyring.h"
#include "util/err.h"

/* Longest token tokens_jwt_verify looks at. */
#define TOKENS_JWT_MAX_LEN 8192

enum token_error { TOKEN_OK = 0, TOKEN_INVALID = 1, TOKEN_EXPIRED = 2 };

enum tokens_verify_flags { TOKENS_VERIFY_ALLOW_EXPIRED = 1 << 0 };

/* Sign claims (borrowed; must be a JSON object) with the ring's signing key
 * (keys[0], or the HS secret). The header gets alg, typ "JWT" and, for
 * RS256/ES256, kid. Nothing is added to the claims: the caller sets
 * iss/sub/iat/exp/jti/purpose. Returns a malloc'd NUL-terminated token the
 * caller frees (it is a bearer secret: wipe before free where it matters),
 * or NULL with err filled. */
char *tokens_jwt_sign(const struct keyring *kr, const json_t *claims, struct err *err);

/* Verify token against kr at time now (seconds since the epoch):
 *  - at most TOKENS_JWT_MAX_LEN bytes, exactly three non-empty base64url
 *    segments; the header is a JSON object (no duplicate members) whose alg
 *    equals kr->alg, typ (if any) is "JWT", no "crit"; RS256/ES256 tokens
 *    carry a kid that the ring holds;
 *  - the signature checks out (that key, or the HS secret);
 *  - the payload is a JSON object without duplicate members; iss equals
 *    issuer and the `purpose` claim equals purpose (a NULL issuer or
 *    purpose skips that check); nbf, if present, is <= now; exp is present
 *    and > now, else TOKEN_EXPIRED, unless flags has
 *    TOKENS_VERIFY_ALLOW_EXPIRED.
 * TOKEN_EXPIRED is only returned for a token that is otherwise valid.
 * On TOKEN_OK, *claims_out (if claims_out is not NULL) is a new reference
 * to the payload (the caller's own copy); on any other result it is set to
 * NULL. The same bytes verified again on the same thread against the same
 * ring skip the header, signature and parse steps (tokens/verified.h); the
 * payload checks run every time. */
int tokens_jwt_verify(const struct keyring *kr, const char *token, const char *issuer,
		      const char *purpose, long long now, unsigned flags, json_t **claims_out);

#endif
