/* SPDX-License-Identifier: Apache-2.0 */
/*
 * OpenID Connect, the relying party's pure parts: login-transaction
 * randomness and PKCE, the authorization URL, the discovery document, a
 * provider's JWKS turned into key rings, and the ID token checks. Nothing
 * here does I/O or logs; outbound/provider.h adds the calls and caches.
 *
 * ID tokens are verified with tokens_jwt_verify (tokens/jwt_codec.h) on a
 * key ring per algorithm built from the provider's JWKS, so the strict
 * header parsing, the refusal of any alg but the ring's (never `none`,
 * never HS* against a provider's public key) and the signature code are
 * the ones our own tokens use. Only RS256 and ES256 are accepted, each
 * only when the provider's configuration pins it.
 */
#ifndef AUTHSVC_OUTBOUND_OIDC_H
#define AUTHSVC_OUTBOUND_OIDC_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "tokens/keyring.h"
#include "util/err.h"

/* Length of a state, nonce or PKCE verifier: base64url of 32 random bytes
 * (256 bits), plus the NUL. */
#define OIDC_RANDOM_LEN 44
/* base64url of a SHA-256 digest plus the NUL. */
#define OIDC_CHALLENGE_LEN 44

/* Accepted ID-token algorithms, a bit set. */
enum oidc_alg { OIDC_ALG_RS256 = 1 << 0, OIDC_ALG_ES256 = 1 << 1 };

/* "RS256,ES256" style list to a bit set: 0, or -1 for an unknown or
 * refused name (none, HS256, ...) or an empty list. */
int oidc_algs_parse(const char *list, unsigned *out);

/* 256 bits of fresh randomness as base64url (43 chars): state, nonce and
 * PKCE verifier. 0 or -1 (RNG failure). */
int oidc_random(char out[OIDC_RANDOM_LEN]);

/* The S256 code challenge of verifier (RFC 7636 §4.2): 0, or -1 for a
 * verifier outside 43..128 characters of [A-Za-z0-9-._~]. */
int oidc_pkce_s256(const char *verifier, char out[OIDC_CHALLENGE_LEN]);

/* true when verifier is well formed and its S256 challenge equals
 * challenge (constant-time on the digest). */
bool oidc_pkce_matches(const char *verifier, const char *challenge);

/* The authorization URL: endpoint plus response_type=code, client_id,
 * redirect_uri, scope, state, nonce, code_challenge(_method=S256), then the
 * NULL-terminated name/value pairs of extra (may be NULL; a NULL value
 * skips the pair). Every value is percent-encoded; `&` joins when endpoint
 * already has a query. A malloc'd string, or NULL with err filled. */
char *oidc_authorize_url(const char *endpoint, const char *client_id, const char *redirect_uri,
			 const char *scope, const char *state, const char *nonce,
			 const char *challenge, const char *const *extra, struct err *err);

/* application/x-www-form-urlencoded of NULL-terminated name/value pairs
 * (NULL values skipped), malloc'd, or NULL when out of memory. */
char *oidc_form_encode(const char *const *pairs);

struct oidc_endpoints {
	char *issuer, *authorization, *token, *userinfo, *jwks; /* malloc'd; userinfo may be NULL */
};

/* Parse a discovery document. Its issuer must equal expect_issuer (unless
 * NULL: an issuer template such as Azure's common endpoint checks the ID
 * token's issuer instead), and authorization, token and jwks endpoints must
 * be present and pass outbound_url_allowed(allow_http). 0, or -1 with err
 * (502) filled. */
int oidc_discovery_parse(const char *json, size_t len, const char *expect_issuer, bool allow_http,
			 struct oidc_endpoints *out, struct err *err);
void oidc_endpoints_release(struct oidc_endpoints *e);

/* A provider's signing keys, by algorithm. Read-only once built. */
struct oidc_jwks {
	struct keyring rs256, es256;
	size_t nkeys;
};

/* Build rings from a JWKS document: RSA keys (n, e; 2048 bits or more) go
 * to rs256, EC P-256 keys (x, y) to es256; keys with use other than "sig",
 * an alg other than the ring's, private members, or no kid are skipped.
 * 0 (possibly with no key at all), or -1 with err (502) for a document
 * that is not a JWKS. */
int oidc_jwks_parse(const char *json, size_t len, struct oidc_jwks *out, struct err *err);
void oidc_jwks_release(struct oidc_jwks *j);

/* What an ID token must show. */
struct oidc_expect {
	const char *issuer;	     /* exact issuer, or */
	const char *issuer_template; /* with "{tenantid}" replaced by the token's tid (Azure) */
	const char *client_id;	     /* aud (and azp) */
	const char *nonce;	     /* the transaction's nonce */
	unsigned algs;		     /* enum oidc_alg bits */
	long long now;		     /* seconds since the epoch */
	long skew;		     /* seconds of clock skew allowed on exp, iat, nbf */
};

enum oidc_check {
	OIDC_VALID = 0,
	OIDC_INVALID = -1,     /* err filled (401) */
	OIDC_UNKNOWN_KID = -2, /* a pinned alg, but no key with that kid: refresh the JWKS */
};

/* The claim checks alone (signature already checked): iss, aud, azp, exp,
 * iat, nbf with skew, nonce, a non-empty sub. 0, or -1 with err (401). */
int oidc_claims_check(const json_t *claims, const struct oidc_expect *x, struct err *err);

/* Verify the ID token's signature against keys and check its claims. On
 * OIDC_VALID *claims_out is a new reference to the payload. */
enum oidc_check oidc_id_token_check(const struct oidc_jwks *keys, const char *token,
				    const struct oidc_expect *x, json_t **claims_out,
				    struct err *err);

#endif
