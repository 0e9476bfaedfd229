/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libFuzzer target: what the host parses from an identity provider
 * (host/src/outbound/oidc.c): the discovery document, the JWKS (JWK to
 * key import), and an ID token checked against the keys so imported. The
 * first input byte picks the parser. Nothing may crash or leak; a
 * discovery document that parses must have its three required endpoints;
 * no ID token may pass (the fuzzer has no private key of the JWKS it
 * builds, and the nonce it is checked against is not in any input).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "outbound/oidc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A JWKS every ID-token input is checked against: parsed once from a
 * fixed RSA key and a fixed EC key (public halves only). */
static const char fixed_jwks[] = "{\"keys\":[{\"kty\":\"EC\",\"kid\":\"ec1\",\"crv\":\"P-256\","
				 "\"x\":\"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU\","
				 "\"y\":\"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0\"}]}";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct oidc_jwks keys;
	static int ready;
	struct oidc_expect x = {.issuer = "https://idp.example",
				.client_id = "c",
				.nonce = "nonce-not-in-any-input-7f3a",
				.algs = OIDC_ALG_RS256 | OIDC_ALG_ES256,
				.now = 1700000000,
				.skew = 60};
	struct oidc_endpoints e;
	struct oidc_jwks j;
	json_t *claims = NULL;
	char *s;

	if (!ready) {
		if (oidc_jwks_parse(fixed_jwks, sizeof(fixed_jwks) - 1, &keys, NULL) < 0)
			abort();
		ready = 1;
	}
	if (size < 1)
		return 0;
	switch (data[0] % 3) {
	case 0:
		if (oidc_discovery_parse((const char *)data + 1, size - 1, NULL, true, &e, NULL) ==
		    0) {
			if (e.authorization == NULL || e.token == NULL || e.jwks == NULL)
				abort();
			oidc_endpoints_release(&e);
		}
		break;
	case 1:
		if (oidc_jwks_parse((const char *)data + 1, size - 1, &j, NULL) == 0 &&
		    j.nkeys > j.rs256.nkeys + j.es256.nkeys)
			abort();
		oidc_jwks_release(&j);
		break;
	default:
		s = malloc(size);
		if (s == NULL)
			return 0;
		memcpy(s, data + 1, size - 1);
		s[size - 1] = '\0';
		if (oidc_id_token_check(&keys, s, &x, &claims, NULL) == OIDC_VALID)
			abort();
		json_decref(claims);
		free(s);
	}
	return 0;
}
