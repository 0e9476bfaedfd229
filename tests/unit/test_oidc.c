/* SPDX-License-Identifier: Apache-2.0 */
/*
 * outbound/oidc and outbound/fetch's pure parts: login-transaction
 * randomness, PKCE S256, the authorization URL, the discovery document,
 * JWKS import, and every way an ID token must be refused (signature, alg,
 * kid, iss, aud, azp, exp, iat, nbf, nonce, sub), and Sign in with
 * Apple's client secret: its claims, its reuse and its renewal.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "outbound/fetch.h"
#include "outbound/oidc.h"
#include "outbound/provider.h"
#include "tokens/jwt_codec.h"
#include "tokens/keyring.h"
#include "tokens/opaque.h"

#define NOW    1700000000LL
#define ISS    "https://idp.example/realms/r1"
#define CLIENT "authsvc-web"

static struct keyring signer_rs, signer_es, other_rs;
static struct oidc_jwks jwks;

static int ring_with_new_key(struct keyring *kr, enum jwt_alg_kind alg)
{
	struct signing_key k;

	if (keyring_init(kr, alg) < 0 || keyring_generate(alg, &k, NULL) < 0)
		return -1;
	return keyring_add_key(kr, &k);
}

static int group_setup(void **state)
{
	json_t *a, *b;
	char *doc;
	int rc;

	(void)state;
	if (ring_with_new_key(&signer_rs, JWT_KIND_RS256) < 0 ||
	    ring_with_new_key(&signer_es, JWT_KIND_ES256) < 0 ||
	    ring_with_new_key(&other_rs, JWT_KIND_RS256) < 0)
		return -1;
	/* the provider publishes both keys; other_rs is a stranger that
	 * reuses signer_rs's kid */
	memcpy(other_rs.keys[0].kid, signer_rs.keys[0].kid, sizeof(other_rs.keys[0].kid));
	a = keyring_jwks(&signer_rs);
	b = keyring_jwks(&signer_es);
	json_array_extend(json_object_get(a, "keys"), json_object_get(b, "keys"));
	doc = json_dumps(a, 0);
	rc = oidc_jwks_parse(doc, strlen(doc), &jwks, NULL);
	free(doc);
	json_decref(a);
	json_decref(b);
	return rc;
}

static int group_teardown(void **state)
{
	(void)state;
	oidc_jwks_release(&jwks);
	keyring_release(&signer_rs);
	keyring_release(&signer_es);
	keyring_release(&other_rs);
	return 0;
}

static json_t *good_claims(void)
{
	return json_pack("{s:s, s:s, s:s, s:s, s:I, s:I, s:s, s:b}", "iss", ISS, "aud", CLIENT,
			 "sub", "u-1", "nonce", "n-123", "iat", (json_int_t)NOW - 10, "exp",
			 (json_int_t)NOW + 300, "email", "a@example.org", "email_verified", 1);
}

static const struct oidc_expect expect_rs = {
    .issuer = ISS,
    .client_id = CLIENT,
    .nonce = "n-123",
    .algs = OIDC_ALG_RS256,
    .now = NOW,
    .skew = 60,
};

static enum oidc_check check_signed(const struct keyring *kr, json_t *claims,
				    const struct oidc_expect *x)
{
	char *tok = tokens_jwt_sign(kr, claims, NULL);
	json_t *out = NULL;
	struct err err = {0};
	enum oidc_check rc;

	assert_non_null(tok);
	rc = oidc_id_token_check(&jwks, tok, x, &out, &err);
	if (rc == OIDC_VALID) {
		assert_non_null(out);
		assert_string_equal(json_string_value(json_object_get(out, "sub")), "u-1");
	} else {
		assert_null(out);
	}
	if (rc == OIDC_INVALID)
		assert_int_equal(err.code, 401);
	json_decref(out);
	json_decref(claims);
	free(tok);
	return rc;
}

static void test_random_and_pkce(void **state)
{
	char a[OIDC_RANDOM_LEN], b[OIDC_RANDOM_LEN], c[OIDC_CHALLENGE_LEN];

	(void)state;
	assert_int_equal(oidc_random(a), 0);
	assert_int_equal(oidc_random(b), 0);
	assert_int_equal(strlen(a), 43); /* 256 bits */
	assert_string_not_equal(a, b);
	/* the digest as Python's hashlib + base64.urlsafe_b64encode give it */
	assert_int_equal(oidc_pkce_s256("abcdefghijklmnopqrstuvwxyz0123456789-._~ABCDEFG", c), 0);
	assert_string_equal(c, "TDp3C-wPo3aKDK1Bg-ukP78nZ9YiqUD2ToRD96HoaHU");
	assert_true(oidc_pkce_matches("abcdefghijklmnopqrstuvwxyz0123456789-._~ABCDEFG",
				      "TDp3C-wPo3aKDK1Bg-ukP78nZ9YiqUD2ToRD96HoaHU"));
	assert_false(oidc_pkce_matches("abcdefghijklmnopqrstuvwxyz0123456789-._~ABCDEFH",
				       "TDp3C-wPo3aKDK1Bg-ukP78nZ9YiqUD2ToRD96HoaHU"));
	assert_int_equal(oidc_pkce_s256("too-short", c), -1);
	assert_int_equal(oidc_pkce_s256("abcdefghijklmnopqrstuvwxyz0123456789+ABCDEFGH", c), -1);
	assert_false(oidc_pkce_matches(a, NULL));
	assert_false(oidc_pkce_matches(NULL, c));
}

static void test_algs_parse(void **state)
{
	unsigned bits = 0;

	(void)state;
	assert_int_equal(oidc_algs_parse("RS256", &bits), 0);
	assert_int_equal(bits, OIDC_ALG_RS256);
	assert_int_equal(oidc_algs_parse("RS256, ES256", &bits), 0);
	assert_int_equal(bits, OIDC_ALG_RS256 | OIDC_ALG_ES256);
	assert_int_equal(oidc_algs_parse("none", &bits), -1);
	assert_int_equal(oidc_algs_parse("RS256,HS256", &bits), -1);
	assert_int_equal(oidc_algs_parse("", &bits), -1);
}

static void test_authorize_url(void **state)
{
	const char *extra[] = {"hd", "example.org", "prompt", NULL, NULL};
	char *u;

	(void)state;
	u = oidc_authorize_url("https://idp.example/auth", CLIENT,
			       "https://authsvc.example/auth/keycloak-auth-redirect",
			       "openid email profile", "st&=1", "n 2", "ch", extra, NULL);
	assert_string_equal(u, "https://idp.example/auth?response_type=code&client_id=authsvc-web"
			       "&redirect_uri=https%3A%2F%2Fauthsvc.example%2Fauth%2Fkeycloak-auth-"
			       "redirect&scope=openid%20email%20profile&state=st%26%3D1&nonce=n%202"
			       "&code_challenge=ch&code_challenge_method=S256&hd=example.org");
	free(u);
	/* an endpoint with a query of its own: joined with & */
	u = oidc_authorize_url("https://idp.example/oauth2/authorize?p=B2C_1", "c", "https://r",
			       NULL, "s", NULL, NULL, NULL, NULL);
	assert_string_equal(u, "https://idp.example/oauth2/authorize?p=B2C_1&response_type=code"
			       "&client_id=c&redirect_uri=https%3A%2F%2Fr&scope=openid&state=s");
	free(u);
	assert_null(oidc_authorize_url("https://idp.example/a#frag", "c", "https://r", NULL, "s",
				       NULL, NULL, NULL, NULL));
}

static void test_form_encode(void **state)
{
	const char *pairs[] = {
	    "grant_type", "authorization_code", "code", "a+b/c", "client_secret", NULL, NULL};
	char *f = oidc_form_encode(pairs);

	(void)state;
	assert_string_equal(f, "grant_type=authorization_code&code=a%2Bb%2Fc");
	free(f);
}

static void test_url_allowed(void **state)
{
	(void)state;
	assert_true(outbound_url_allowed("https://accounts.google.com/o/oauth2/v2/auth", false));
	assert_false(outbound_url_allowed("http://accounts.google.com/", false));
	assert_false(outbound_url_allowed("http://accounts.google.com/", true));
	assert_false(outbound_url_allowed("http://127.0.0.1:8080/x", false));
	assert_true(outbound_url_allowed("http://127.0.0.1:8080/x", true));
	assert_true(outbound_url_allowed("http://localhost/x", true));
	assert_true(outbound_url_allowed("http://[::1]:9/x", true));
	assert_false(outbound_url_allowed("http://127.0.0.1.evil.example/x", true));
	assert_false(outbound_url_allowed("http://127.0.0.1@evil.example/x", true));
	assert_false(outbound_url_allowed("https://user:pw@idp.example/x", false));
	assert_false(outbound_url_allowed("file:///etc/passwd", true));
	assert_false(outbound_url_allowed("https://idp.example/a b", false));
	assert_false(outbound_url_allowed(NULL, true));
}

static void test_discovery(void **state)
{
	const char *doc = "{\"issuer\":\"" ISS "\",\"authorization_endpoint\":\"" ISS "/auth\","
			  "\"token_endpoint\":\"" ISS "/token\",\"jwks_uri\":\"" ISS "/certs\","
			  "\"userinfo_endpoint\":\"" ISS "/userinfo\"}";
	struct oidc_endpoints e;
	struct err err = {0};

	(void)state;
	assert_int_equal(oidc_discovery_parse(doc, strlen(doc), ISS, false, &e, &err), 0);
	assert_string_equal(e.token, ISS "/token");
	assert_string_equal(e.jwks, ISS "/certs");
	assert_string_equal(e.userinfo, ISS "/userinfo");
	oidc_endpoints_release(&e);
	/* another issuer than configured */
	assert_int_equal(oidc_discovery_parse(doc, strlen(doc), "https://other", false, &e, &err),
			 -1);
	assert_int_equal(err.code, 502);
	/* a plain-http endpoint from an https provider */
	doc = "{\"issuer\":\"https://i\",\"authorization_endpoint\":\"https://i/a\","
	      "\"token_endpoint\":\"http://i/t\",\"jwks_uri\":\"https://i/k\"}";
	assert_int_equal(oidc_discovery_parse(doc, strlen(doc), "https://i", false, &e, &err), -1);
	doc = "{\"issuer\":\"https://i\",\"authorization_endpoint\":\"https://i/a\"}";
	assert_int_equal(oidc_discovery_parse(doc, strlen(doc), "https://i", false, &e, &err), -1);
	assert_int_equal(oidc_discovery_parse("[1]", 3, NULL, false, &e, &err), -1);
	assert_int_equal(
	    oidc_discovery_parse("{\"issuer\":1,\"issuer\":2}", 22, NULL, false, &e, &err), -1);
}

static void test_jwks_parse(void **state)
{
	const char *doc;
	struct oidc_jwks j;

	(void)state;
	assert_int_equal(jwks.nkeys, 2);
	assert_non_null(keyring_find(&jwks.rs256, signer_rs.keys[0].kid));
	assert_non_null(keyring_find(&jwks.es256, signer_es.keys[0].kid));
	/* skipped: encryption keys, symmetric keys, keys without kid, short RSA */
	doc = "{\"keys\":[{\"kty\":\"oct\",\"kid\":\"h\",\"k\":\"AAAA\"},"
	      "{\"kty\":\"RSA\",\"kid\":\"e\",\"use\":\"enc\",\"n\":\"AQAB\",\"e\":\"AQAB\"},"
	      "{\"kty\":\"RSA\",\"n\":\"AQAB\",\"e\":\"AQAB\"},"
	      "{\"kty\":\"RSA\",\"kid\":\"s\",\"n\":\"AQAB\",\"e\":\"AQAB\"}]}";
	assert_int_equal(oidc_jwks_parse(doc, strlen(doc), &j, NULL), 0);
	assert_int_equal(j.nkeys, 0);
	oidc_jwks_release(&j);
	assert_int_equal(oidc_jwks_parse("{\"keys\":{}}", 11, &j, NULL), -1);
	oidc_jwks_release(&j);
}

static void test_id_token_valid(void **state)
{
	struct oidc_expect x = expect_rs;
	json_t *c;

	(void)state;
	assert_int_equal(check_signed(&signer_rs, good_claims(), &x), OIDC_VALID);
	x.algs = OIDC_ALG_ES256;
	assert_int_equal(check_signed(&signer_es, good_claims(), &x), OIDC_VALID);
	/* aud as an array with azp naming us */
	c = good_claims();
	json_object_set_new(c, "aud", json_pack("[s,s]", CLIENT, "api"));
	json_object_set_new(c, "azp", json_string(CLIENT));
	assert_int_equal(check_signed(&signer_rs, c, &expect_rs), OIDC_VALID);
	/* expired 30 s ago, within the 60 s skew */
	c = good_claims();
	json_object_set_new(c, "exp", json_integer(NOW - 30));
	assert_int_equal(check_signed(&signer_rs, c, &expect_rs), OIDC_VALID);
}

static void test_id_token_refused(void **state)
{
	struct oidc_expect x = expect_rs;
	json_t *c;

	(void)state;
	c = good_claims();
	json_object_set_new(c, "aud", json_string("someone-else"));
	assert_int_equal(check_signed(&signer_rs, c, &expect_rs), OIDC_INVALID);
	c = good_claims();
	json_object_set_new(c, "aud", json_pack("[s,s]", CLIENT, "api")); /* no azp */
	assert_int_equal(check_signed(&signer_rs, c, &expect_rs), OIDC_INVALID);
	c = good_claims();
	json_object_set_new(c, "azp", json_string("someone-else"));
	assert_int_equal(check_signed(&signer_rs, c, &expect_rs), OIDC_INVALID);
	c = good_claims();
	json_object_set_new(c, "iss", json_string(ISS "/"));
	assert_int_equal(check_signed(&signer_rs, c, &expect_rs), OIDC_INVALID);
	c = good_claims();
	json_object_set_new(c, "nonce", json_string("n-124"));
	assert_int_equal(check_signed(&signer_rs, c, &expect_rs), OIDC_INVALID);
	c = good_claims();
	json_object_del(c, "nonce");
	assert_int_equal(check_signed(&signer_rs, c, &expect_rs), OIDC_INVALID);
	c = good_claims();
	json_object_set_new(c, "exp", json_integer(NOW - 61));
	assert_int_equal(check_signed(&signer_rs, c, &expect_rs), OIDC_INVALID);
	c = good_claims();
	json_object_del(c, "exp");
	assert_int_equal(check_signed(&signer_rs, c, &expect_rs), OIDC_INVALID);
	c = good_claims();
	json_object_set_new(c, "iat", json_integer(NOW + 120));
	assert_int_equal(check_signed(&signer_rs, c, &expect_rs), OIDC_INVALID);
	c = good_claims();
	json_object_set_new(c, "nbf", json_integer(NOW + 120));
	assert_int_equal(check_signed(&signer_rs, c, &expect_rs), OIDC_INVALID);
	c = good_claims();
	json_object_set_new(c, "sub", json_string(""));
	assert_int_equal(check_signed(&signer_rs, c, &expect_rs), OIDC_INVALID);
	/* signed by a stranger under the provider's kid */
	assert_int_equal(check_signed(&other_rs, good_claims(), &expect_rs), OIDC_INVALID);
	/* ES256 is published but not pinned for this provider */
	assert_int_equal(check_signed(&signer_es, good_claims(), &expect_rs), OIDC_INVALID);
	/* a kid the JWKS does not have (yet): the caller refreshes */
	x.algs = OIDC_ALG_RS256;
	c = good_claims();
	{
		struct keyring fresh;

		assert_int_equal(ring_with_new_key(&fresh, JWT_KIND_RS256), 0);
		assert_int_equal(check_signed(&fresh, c, &x), OIDC_UNKNOWN_KID);
		keyring_release(&fresh);
	}
}

static void test_id_token_alg_none_and_hs(void **state)
{
	struct keyring hs;
	static const unsigned char secret[] = "0123456789abcdef0123456789abcdef-hs";
	const char *none = "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.eyJpc3MiOiJodHRwczovL2lkcC5leGFtcG"
			   "xlL3JlYWxtcy9yMSIsInN1YiI6InUtMSJ9.";
	struct err err = {0};
	json_t *out = NULL;

	(void)state;
	assert_int_equal(oidc_id_token_check(&jwks, none, &expect_rs, &out, &err), OIDC_INVALID);
	assert_null(out);
	assert_int_equal(keyring_init(&hs, JWT_KIND_HS256), 0);
	assert_int_equal(keyring_set_hs_secret(&hs, secret, sizeof(secret) - 1, NULL), 0);
	assert_int_equal(check_signed(&hs, good_claims(), &expect_rs), OIDC_INVALID);
	keyring_release(&hs);
	assert_int_equal(oidc_id_token_check(&jwks, "not.a.jwt", &expect_rs, &out, &err),
			 OIDC_INVALID);
	assert_int_equal(oidc_id_token_check(&jwks, "", &expect_rs, &out, &err), OIDC_INVALID);
}

static void test_issuer_template(void **state)
{
	struct oidc_expect x = expect_rs;
	json_t *c;

	(void)state;
	x.issuer = NULL;
	x.issuer_template = "https://login.microsoftonline.com/{tenantid}/v2.0";
	c = good_claims();
	json_object_set_new(c, "iss", json_string("https://login.microsoftonline.com/t-1/v2.0"));
	json_object_set_new(c, "tid", json_string("t-1"));
	assert_int_equal(check_signed(&signer_rs, c, &x), OIDC_VALID);
	c = good_claims();
	json_object_set_new(c, "iss", json_string("https://login.microsoftonline.com/t-2/v2.0"));
	json_object_set_new(c, "tid", json_string("t-1"));
	assert_int_equal(check_signed(&signer_rs, c, &x), OIDC_INVALID);
	c = good_claims();
	json_object_set_new(c, "iss", json_string("https://login.microsoftonline.com/t-1/v2.0"));
	assert_int_equal(check_signed(&signer_rs, c, &x), OIDC_INVALID); /* no tid */
}

/* The Apple client secret as Apple checks it: ES256 under the registered
 * key id, iss team, sub services id, aud Apple, exp = iat + ttl. Reused
 * while more than a quarter of its life is left, then signed anew; a
 * clock that went back past its iat gets a new one too. The time is the
 * caller's (the provider's worker passes the wall clock). */
static json_t *apple_claims(const struct keyring *verify, const char *jwt, long long now)
{
	json_t *claims = NULL;

	assert_non_null(jwt);
	assert_int_equal(tokens_jwt_verify(verify, jwt, "TEAM123456", NULL, now, 0, &claims),
			 TOKEN_OK);
	assert_string_equal(json_string_value(json_object_get(claims, "sub")), "com.example.web");
	assert_string_equal(json_string_value(json_object_get(claims, "aud")),
			    "https://appleid.apple.com");
	return claims;
}

static long long claim_int(const json_t *claims, const char *name)
{
	return (long long)json_integer_value(json_object_get(claims, name));
}

static void test_apple_client_secret_renewal(void **state)
{
	struct oidc_provider_conf conf = {
	    .name = "apple",
	    .issuer = "https://appleid.apple.com",
	    .client_id = "com.example.web",
	    .redirect_uri = "https://auth.example/auth/apple-oauth-redirect",
	    .token_auth = OIDC_AUTH_APPLE_SECRET,
	    .apple = {.team_id = "TEAM123456",
		      .key_id = "KEY1234567",
		      .key_pem = signer_es.keys[0].private_pem,
		      .audience = "https://appleid.apple.com",
		      .ttl_s = 600},
	};
	struct keyring verify;
	struct err err = {0};
	struct oidc_provider *p;
	char *first, *again, *renewed, *back;
	json_t *c;

	(void)state;
	assert_int_equal(keyring_init(&verify, JWT_KIND_ES256), 0);
	assert_int_equal(keyring_add_public_pem(&verify, "KEY1234567", signer_es.keys[0].public_pem,
						signer_es.keys[0].public_pem_len, &err),
			 0);
	p = oidc_provider_new(&conf, &err);
	assert_non_null(p);

	first = oidc_provider_apple_secret(p, NOW, &err);
	c = apple_claims(&verify, first, NOW);
	assert_int_equal(claim_int(c, "iat"), NOW);
	assert_int_equal(claim_int(c, "exp"), NOW + 600);
	json_decref(c);

	/* 151 s of 600 left: still more than a quarter, the same secret */
	again = oidc_provider_apple_secret(p, NOW + 449, &err);
	assert_non_null(again);
	assert_string_equal(again, first);

	/* 149 s left: signed anew, with the new time */
	renewed = oidc_provider_apple_secret(p, NOW + 451, &err);
	assert_non_null(renewed);
	assert_string_not_equal(renewed, first);
	c = apple_claims(&verify, renewed, NOW + 451);
	assert_int_equal(claim_int(c, "iat"), NOW + 451);
	assert_int_equal(claim_int(c, "exp"), NOW + 1051);
	json_decref(c);

	/* the clock went back before the cached secret's iat: not reused */
	back = oidc_provider_apple_secret(p, NOW, &err);
	assert_non_null(back);
	assert_string_not_equal(back, renewed);
	c = apple_claims(&verify, back, NOW);
	assert_int_equal(claim_int(c, "iat"), NOW);
	json_decref(c);

	free(first);
	free(again);
	free(renewed);
	free(back);
	oidc_provider_free(p);
	keyring_release(&verify);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_random_and_pkce),
	    cmocka_unit_test(test_algs_parse),
	    cmocka_unit_test(test_authorize_url),
	    cmocka_unit_test(test_form_encode),
	    cmocka_unit_test(test_url_allowed),
	    cmocka_unit_test(test_discovery),
	    cmocka_unit_test(test_jwks_parse),
	    cmocka_unit_test(test_id_token_valid),
	    cmocka_unit_test(test_id_token_refused),
	    cmocka_unit_test(test_id_token_alg_none_and_hs),
	    cmocka_unit_test(test_issuer_template),
	    cmocka_unit_test(test_apple_client_secret_renewal),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
