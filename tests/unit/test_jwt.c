/* SPDX-License-Identifier: Apache-2.0 */
/*
 * tokens/jwt_codec: sign/verify round trips and every way a token must be
 * refused. Links host/src/tokens/{jwt_codec,keyring,opaque}.c and
 * host/src/util/err.c with -ljwt -lcrypto -ljansson -lcmocka.
 * Sign and verify rates are measured by bench/jwt-rate.c, not here.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>
#include <jansson.h>
#include <jwt.h>
#include <openssl/core_names.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>

#include "tokens/jwt_codec.h"
#include "tokens/verified.h"
#include "tokens/keyring.h"
#include "tokens/opaque.h"

#define ISS "authsvc-test"
#define NOW 1700000000LL

static struct keyring rs, es, hs, rs_other;

static const unsigned char hs_secret[] = "0123456789abcdef0123456789abcdef-hs-secret";

static int group_setup(void **state)
{
	struct signing_key k;
	struct err err = {0};

	(void)state;
	if (keyring_init(&rs, JWT_KIND_RS256) < 0 || keyring_init(&es, JWT_KIND_ES256) < 0 ||
	    keyring_init(&hs, JWT_KIND_HS256) < 0 || keyring_init(&rs_other, JWT_KIND_RS256) < 0)
		return -1;
	if (keyring_generate(JWT_KIND_RS256, &k, &err) < 0 || keyring_add_key(&rs, &k) < 0)
		return -1;
	if (keyring_generate(JWT_KIND_ES256, &k, &err) < 0 || keyring_add_key(&es, &k) < 0)
		return -1;
	if (keyring_generate(JWT_KIND_RS256, &k, &err) < 0 || keyring_add_key(&rs_other, &k) < 0)
		return -1;
	if (keyring_set_hs_secret(&hs, hs_secret, sizeof(hs_secret) - 1, &err) < 0)
		return -1;
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	keyring_release(&rs);
	keyring_release(&es);
	keyring_release(&hs);
	keyring_release(&rs_other);
	return 0;
}

static json_t *claims_new(const char *iss, const char *purpose, long long exp)
{
	json_t *c = json_pack("{s:s, s:s, s:I, s:I, s:s}", "iss", iss, "sub", "user-1", "iat",
			      (json_int_t)(NOW - 5), "exp", (json_int_t)exp, "jti", "abc123");

	assert_non_null(c);
	if (purpose != NULL)
		json_object_set_new(c, "purpose", json_string(purpose));
	return c;
}

static char *sign_claims(const struct keyring *kr, json_t *claims)
{
	struct err err = {0};
	char *tok = tokens_jwt_sign(kr, claims, &err);

	json_decref(claims);
	assert_non_null(tok);
	return tok;
}

static char *sign_default(const struct keyring *kr)
{
	return sign_claims(kr, claims_new(ISS, "access", NOW + 600));
}

static int verify(const struct keyring *kr, const char *tok)
{
	return tokens_jwt_verify(kr, tok, ISS, "access", NOW, 0, NULL);
}

static void b64(const void *in, size_t len, char *out, size_t outsz)
{
	assert_true(tokens_b64url_encode(in, len, out, outsz) >= 0);
}

/* "b64(header).b64(payload)" into out. */
static void signing_input(const char *header, const char *payload, char *out, size_t outsz)
{
	char h[1024], p[2048];

	b64(header, strlen(header), h, sizeof(h));
	b64(payload, strlen(payload), p, sizeof(p));
	assert_true((size_t)snprintf(out, outsz, "%s.%s", h, p) < outsz);
}

static char *append_sig(const char *input, const unsigned char *sig, size_t siglen)
{
	char s[1024];
	size_t n;
	char *tok;

	b64(sig, siglen, s, sizeof(s));
	n = strlen(input) + 1 + strlen(s) + 1;
	tok = malloc(n);
	assert_non_null(tok);
	snprintf(tok, n, "%s.%s", input, s);
	return tok;
}

/* A token HMAC-SHA256-signed by hand with any key. */
static char *hmac_token(const char *header, const char *payload, const void *key, size_t keylen)
{
	char input[4096];
	unsigned char mac[32];
	unsigned int maclen = 0;

	signing_input(header, payload, input, sizeof(input));
	assert_non_null(HMAC(EVP_sha256(), key, (int)keylen, (const unsigned char *)input,
			     strlen(input), mac, &maclen));
	return append_sig(input, mac, maclen);
}

/* A token RS256-signed by hand (any header), using OpenSSL directly. */
static char *rs_token(const char *header, const char *payload, EVP_PKEY *pkey)
{
	char input[4096];
	unsigned char sig[512];
	size_t siglen = sizeof(sig);
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();

	signing_input(header, payload, input, sizeof(input));
	assert_non_null(ctx);
	assert_int_equal(EVP_DigestSignInit(ctx, NULL, EVP_sha256(), NULL, pkey), 1);
	assert_int_equal(EVP_DigestSign(ctx, sig, &siglen, (unsigned char *)input, strlen(input)),
			 1);
	EVP_MD_CTX_free(ctx);
	return append_sig(input, sig, siglen);
}

static const char *PAYLOAD_OK =
    "{\"iss\":\"" ISS "\",\"sub\":\"user-1\",\"exp\":1700000600,\"purpose\":\"access\"}";

static json_t *decode_segment(const char *tok, int which)
{
	const char *p = tok, *end;
	unsigned char buf[4096];
	size_t n = 0;

	while (which-- > 0)
		p = strchr(p, '.') + 1;
	end = strchr(p, '.');
	assert_int_equal(
	    tokens_b64url_decode(p, end ? (size_t)(end - p) : strlen(p), buf, sizeof(buf), &n), 0);
	return json_loadb((const char *)buf, n, 0, NULL);
}

static void check_round_trip(const struct keyring *kr, const char *alg)
{
	char *tok = sign_default(kr);
	json_t *claims = NULL, *hdr = decode_segment(tok, 0);

	assert_non_null(hdr);
	assert_string_equal(json_string_value(json_object_get(hdr, "alg")), alg);
	assert_string_equal(json_string_value(json_object_get(hdr, "typ")), "JWT");
	if (kr->alg == JWT_KIND_HS256)
		assert_null(json_object_get(hdr, "kid"));
	else
		assert_string_equal(json_string_value(json_object_get(hdr, "kid")),
				    kr->keys[0].kid);
	json_decref(hdr);

	assert_int_equal(tokens_jwt_verify(kr, tok, ISS, "access", NOW, 0, &claims), TOKEN_OK);
	assert_non_null(claims);
	assert_string_equal(json_string_value(json_object_get(claims, "sub")), "user-1");
	assert_string_equal(json_string_value(json_object_get(claims, "jti")), "abc123");
	assert_int_equal(json_integer_value(json_object_get(claims, "exp")), NOW + 600);
	assert_null(json_object_get(claims, "nbf")); /* nothing added */
	json_decref(claims);
	free(tok);
}

static void test_round_trip_rs256(void **state)
{
	(void)state;
	check_round_trip(&rs, "RS256");
}

static void test_round_trip_hs256(void **state)
{
	(void)state;
	check_round_trip(&hs, "HS256");
}

/* ES256 must be JWS raw R||S (64 bytes), checked independently with OpenSSL. */
static void test_round_trip_es256_raw_signature(void **state)
{
	char *tok, *dot;
	unsigned char sig[128], *der = NULL;
	size_t siglen = 0;
	ECDSA_SIG *es_sig;
	BIGNUM *r, *s;
	int derlen;
	EVP_MD_CTX *ctx;

	(void)state;
	check_round_trip(&es, "ES256");
	tok = sign_default(&es);
	dot = strrchr(tok, '.');
	assert_int_equal(tokens_b64url_decode(dot + 1, strlen(dot + 1), sig, sizeof(sig), &siglen),
			 0);
	assert_int_equal(siglen, 64);
	r = BN_bin2bn(sig, 32, NULL);
	s = BN_bin2bn(sig + 32, 32, NULL);
	es_sig = ECDSA_SIG_new();
	assert_int_equal(ECDSA_SIG_set0(es_sig, r, s), 1);
	derlen = i2d_ECDSA_SIG(es_sig, &der);
	assert_true(derlen > 0);
	ctx = EVP_MD_CTX_new();
	assert_int_equal(EVP_DigestVerifyInit(ctx, NULL, EVP_sha256(), NULL, es.keys[0].pkey), 1);
	assert_int_equal(
	    EVP_DigestVerify(ctx, der, (size_t)derlen, (unsigned char *)tok, (size_t)(dot - tok)),
	    1);
	EVP_MD_CTX_free(ctx);
	OPENSSL_free(der);
	ECDSA_SIG_free(es_sig);
	free(tok);
}

static void test_alg_none_refused(void **state)
{
	char input[4096], *tok;
	size_t n;

	(void)state;
	signing_input("{\"alg\":\"none\",\"typ\":\"JWT\"}", PAYLOAD_OK, input, sizeof(input));
	n = strlen(input);
	tok = malloc(n + 8);
	assert_non_null(tok);
	snprintf(tok, n + 8, "%s.", input);
	assert_int_equal(verify(&rs, tok), TOKEN_INVALID);
	assert_int_equal(verify(&hs, tok), TOKEN_INVALID);
	assert_int_equal(verify(&es, tok), TOKEN_INVALID);
	snprintf(tok, n + 8, "%s.AAAA", input);
	assert_int_equal(verify(&rs, tok), TOKEN_INVALID);
	assert_int_equal(verify(&hs, tok), TOKEN_INVALID);
	free(tok);
	/* Case games on the alg name are refused too. */
	tok = hmac_token("{\"alg\":\"hs256\",\"typ\":\"JWT\"}", PAYLOAD_OK, hs_secret,
			 sizeof(hs_secret) - 1);
	assert_int_equal(verify(&hs, tok), TOKEN_INVALID);
	free(tok);
}

/* HS256 token whose HMAC key is the RS256 ring's public PEM. */
static void test_hs_rs_confusion_refused(void **state)
{
	const struct signing_key *k = &rs.keys[0];
	char header[256];
	char *tok;
	struct keyring pem_hs;
	struct err err = {0};

	(void)state;
	snprintf(header, sizeof(header), "{\"alg\":\"HS256\",\"typ\":\"JWT\",\"kid\":\"%s\"}",
		 k->kid);
	tok = hmac_token(header, PAYLOAD_OK, k->public_pem, k->public_pem_len);
	assert_int_equal(verify(&rs, tok), TOKEN_INVALID);
	/* Control: the forged token is well-formed, a ring with that secret accepts it. */
	assert_int_equal(keyring_init(&pem_hs, JWT_KIND_HS256), 0);
	assert_int_equal(keyring_set_hs_secret(&pem_hs, (const unsigned char *)k->public_pem,
					       k->public_pem_len, &err),
			 0);
	assert_int_equal(verify(&pem_hs, tok), TOKEN_OK);
	keyring_release(&pem_hs);
	free(tok);
	/* And RS256 tokens are refused by an HS ring / ES ring, and vice versa. */
	tok = sign_default(&rs);
	assert_int_equal(verify(&hs, tok), TOKEN_INVALID);
	assert_int_equal(verify(&es, tok), TOKEN_INVALID);
	free(tok);
	tok = sign_default(&es);
	assert_int_equal(verify(&rs, tok), TOKEN_INVALID);
	free(tok);
}

static void test_tampered_payload(void **state)
{
	const struct keyring *rings[] = {&rs, &es, &hs};
	size_t i;

	(void)state;
	for (i = 0; i < 3; i++) {
		char *a = sign_default(rings[i]);
		char *b = sign_claims(rings[i], claims_new(ISS, "access", NOW + 99999));
		char *a1 = strchr(a, '.'), *a2 = strrchr(a, '.');
		char *b1 = strchr(b, '.'), *b2 = strrchr(b, '.');
		char mixed[8192];

		/* header of a, payload of b, signature of a */
		snprintf(mixed, sizeof(mixed), "%.*s%.*s%s", (int)(a1 - a), a, (int)(b2 - b1), b1,
			 a2);
		assert_int_equal(verify(rings[i], a), TOKEN_OK);
		assert_int_equal(verify(rings[i], mixed), TOKEN_INVALID);
		/* one payload character changed */
		snprintf(mixed, sizeof(mixed), "%s", a);
		mixed[(a1 - a) + 5] = mixed[(a1 - a) + 5] == 'A' ? 'B' : 'A';
		assert_int_equal(verify(rings[i], mixed), TOKEN_INVALID);
		free(a);
		free(b);
	}
}

static void test_tampered_signature(void **state)
{
	const struct keyring *rings[] = {&rs, &es, &hs};
	size_t i;

	(void)state;
	for (i = 0; i < 3; i++) {
		char *a = sign_default(rings[i]);
		char *sig = strrchr(a, '.') + 1;
		size_t mid = strlen(sig) / 2;

		sig[mid] = sig[mid] == 'A' ? 'B' : 'A';
		assert_int_equal(verify(rings[i], a), TOKEN_INVALID);
		sig[mid] = '\0'; /* truncated signature */
		assert_int_equal(verify(rings[i], a), TOKEN_INVALID);
		free(a);
	}
}

static void test_expired_and_allow_expired(void **state)
{
	char *tok;
	json_t *claims = NULL, *c;

	(void)state;
	tok = sign_claims(&rs, claims_new(ISS, "access", NOW - 10));
	assert_int_equal(tokens_jwt_verify(&rs, tok, ISS, "access", NOW, 0, &claims),
			 TOKEN_EXPIRED);
	assert_null(claims);
	assert_int_equal(
	    tokens_jwt_verify(&rs, tok, ISS, "access", NOW, TOKENS_VERIFY_ALLOW_EXPIRED, &claims),
	    TOKEN_OK);
	assert_non_null(claims);
	json_decref(claims);
	/* The flag never excuses anything else. */
	assert_int_equal(
	    tokens_jwt_verify(&rs, tok, "other", "access", NOW, TOKENS_VERIFY_ALLOW_EXPIRED, NULL),
	    TOKEN_INVALID);
	free(tok);

	tok = sign_claims(&hs, claims_new(ISS, "access", NOW)); /* exp == now is expired */
	assert_int_equal(verify(&hs, tok), TOKEN_EXPIRED);
	free(tok);

	c = claims_new(ISS, "access", NOW + 60);
	json_object_del(c, "exp");
	tok = sign_claims(&hs, c);
	assert_int_equal(verify(&hs, tok), TOKEN_INVALID);
	assert_int_equal(
	    tokens_jwt_verify(&hs, tok, ISS, "access", NOW, TOKENS_VERIFY_ALLOW_EXPIRED, NULL),
	    TOKEN_INVALID);
	free(tok);

	c = claims_new(ISS, "access", NOW + 60);
	json_object_set_new(c, "exp", json_string("soon"));
	tok = sign_claims(&hs, c);
	assert_int_equal(verify(&hs, tok), TOKEN_INVALID);
	free(tok);

	c = claims_new(ISS, "access", NOW + 60);
	json_object_set_new(c, "nbf", json_integer(NOW + 30));
	tok = sign_claims(&hs, c);
	assert_int_equal(verify(&hs, tok), TOKEN_INVALID);
	assert_int_equal(tokens_jwt_verify(&hs, tok, ISS, "access", NOW + 30, 0, NULL), TOKEN_OK);
	free(tok);
}

static void test_wrong_issuer_and_purpose(void **state)
{
	char *tok;

	(void)state;
	tok = sign_claims(&rs, claims_new("someone-else", "access", NOW + 600));
	assert_int_equal(verify(&rs, tok), TOKEN_INVALID);
	free(tok);
	tok = sign_claims(&rs, claims_new(ISS, "reset", NOW + 600));
	assert_int_equal(verify(&rs, tok), TOKEN_INVALID);
	assert_int_equal(tokens_jwt_verify(&rs, tok, ISS, "reset", NOW, 0, NULL), TOKEN_OK);
	free(tok);
	tok = sign_claims(&rs, claims_new(ISS, NULL, NOW + 600));
	assert_int_equal(verify(&rs, tok), TOKEN_INVALID);
	free(tok);
}

static void test_missing_and_unknown_kid(void **state)
{
	char header[256], *tok;

	(void)state;
	/* Control: a hand-made RS256 token with the right kid passes. */
	snprintf(header, sizeof(header), "{\"alg\":\"RS256\",\"typ\":\"JWT\",\"kid\":\"%s\"}",
		 rs.keys[0].kid);
	tok = rs_token(header, PAYLOAD_OK, rs.keys[0].pkey);
	assert_int_equal(verify(&rs, tok), TOKEN_OK);
	free(tok);

	tok = rs_token("{\"alg\":\"RS256\",\"typ\":\"JWT\"}", PAYLOAD_OK, rs.keys[0].pkey);
	assert_int_equal(verify(&rs, tok), TOKEN_INVALID);
	free(tok);
	tok = rs_token("{\"alg\":\"RS256\",\"kid\":\"no-such-kid\"}", PAYLOAD_OK, rs.keys[0].pkey);
	assert_int_equal(verify(&rs, tok), TOKEN_INVALID);
	free(tok);
	tok = rs_token("{\"alg\":\"RS256\",\"kid\":42}", PAYLOAD_OK, rs.keys[0].pkey);
	assert_int_equal(verify(&rs, tok), TOKEN_INVALID);
	free(tok);
	/* A token from another ring's key: unknown kid. */
	tok = sign_default(&rs_other);
	assert_int_equal(verify(&rs, tok), TOKEN_INVALID);
	free(tok);
	/* Our kid, but signed by another key. */
	tok = rs_token(header, PAYLOAD_OK, rs_other.keys[0].pkey);
	assert_int_equal(verify(&rs, tok), TOKEN_INVALID);
	free(tok);
	/* crit and a foreign typ are refused even when signed. */
	snprintf(header, sizeof(header), "{\"alg\":\"RS256\",\"kid\":\"%s\",\"crit\":[\"x\"]}",
		 rs.keys[0].kid);
	tok = rs_token(header, PAYLOAD_OK, rs.keys[0].pkey);
	assert_int_equal(verify(&rs, tok), TOKEN_INVALID);
	free(tok);
	snprintf(header, sizeof(header), "{\"alg\":\"RS256\",\"kid\":\"%s\",\"typ\":\"at+jwt\"}",
		 rs.keys[0].kid);
	tok = rs_token(header, PAYLOAD_OK, rs.keys[0].pkey);
	assert_int_equal(verify(&rs, tok), TOKEN_INVALID);
	free(tok);
	/* Duplicate members are refused in the header and in the payload. */
	snprintf(header, sizeof(header), "{\"alg\":\"RS256\",\"kid\":\"%s\",\"alg\":\"RS256\"}",
		 rs.keys[0].kid);
	tok = rs_token(header, PAYLOAD_OK, rs.keys[0].pkey);
	assert_int_equal(verify(&rs, tok), TOKEN_INVALID);
	free(tok);
	snprintf(header, sizeof(header), "{\"alg\":\"RS256\",\"kid\":\"%s\"}", rs.keys[0].kid);
	tok = rs_token(
	    header, "{\"iss\":\"x\",\"iss\":\"" ISS "\",\"exp\":1700000600,\"purpose\":\"access\"}",
	    rs.keys[0].pkey);
	assert_int_equal(verify(&rs, tok), TOKEN_INVALID);
	free(tok);
}

static void test_garbage(void **state)
{
	static const char *bad[] = {
	    "",
	    ".",
	    "..",
	    "a.b",
	    "a.b.c",
	    "a.b.c.d",
	    "a..c",
	    "!!!.###.$$$",
	    "eyJhbGciOiJSUzI1NiJ9.e30.",
	    "eyJhbGciOiJSUzI1NiJ9 .e30.abc",
	    "eyJhbGciOiJSUzI1NiJ9.e30=.abc",
	    "eyJhbGciOiJSUzI1NiJ9+.e30.abc",
	    "W10.e30.AAAA",    /* header is an array */
	    "bnVsbA.e30.AAAA", /* header is null */
	};
	const struct keyring *rings[] = {&rs, &es, &hs};
	char *good, *huge;
	size_t i, j, n;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		for (j = 0; j < 3; j++)
			assert_int_equal(verify(rings[j], bad[i]), TOKEN_INVALID);
	for (j = 0; j < 3; j++)
		assert_int_equal(verify(rings[j], NULL), TOKEN_INVALID);

	good = sign_default(&hs);
	n = strlen(good);
	huge = malloc(n + 20000);
	assert_non_null(huge);
	snprintf(huge, n + 20000, "%s.", good); /* trailing dot: four segments */
	assert_int_equal(verify(&hs, huge), TOKEN_INVALID);
	snprintf(huge, n + 20000, "%s=", good); /* padding */
	assert_int_equal(verify(&hs, huge), TOKEN_INVALID);
	memset(huge, 'A', n + 19999);
	huge[n + 19999] = '\0';
	memcpy(huge, good, n); /* valid prefix, then 20 KB of junk in the signature */
	assert_int_equal(verify(&hs, huge), TOKEN_INVALID);
	free(huge);
	free(good);
}

static EVP_PKEY *rsa_from_jwk(const json_t *jwk)
{
	unsigned char nb[1024], eb[16];
	size_t nlen = 0, elen = 0;
	const char *n = json_string_value(json_object_get(jwk, "n"));
	const char *e = json_string_value(json_object_get(jwk, "e"));
	OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
	OSSL_PARAM *params;
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL);
	EVP_PKEY *pkey = NULL;
	BIGNUM *bn_n, *bn_e;

	assert_non_null(n);
	assert_non_null(e);
	assert_int_equal(tokens_b64url_decode(n, strlen(n), nb, sizeof(nb), &nlen), 0);
	assert_int_equal(tokens_b64url_decode(e, strlen(e), eb, sizeof(eb), &elen), 0);
	assert_int_equal(nlen, 256);
	assert_true(nb[0] != 0); /* minimal encoding */
	bn_n = BN_bin2bn(nb, (int)nlen, NULL);
	bn_e = BN_bin2bn(eb, (int)elen, NULL);
	OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, bn_n);
	OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, bn_e);
	params = OSSL_PARAM_BLD_to_param(bld);
	assert_int_equal(EVP_PKEY_fromdata_init(ctx), 1);
	assert_int_equal(EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params), 1);
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	EVP_PKEY_CTX_free(ctx);
	BN_free(bn_n);
	BN_free(bn_e);
	return pkey;
}

static void test_jwks_rebuilds_rsa_key(void **state)
{
	json_t *jwks = keyring_jwks(&rs), *jwk;
	EVP_PKEY *pkey;
	BIO *bio = BIO_new(BIO_s_mem());
	char *pem = NULL, *tok;
	long pemlen;
	struct keyring rebuilt;
	struct err err = {0};

	(void)state;
	assert_non_null(jwks);
	assert_int_equal(json_array_size(json_object_get(jwks, "keys")), 1);
	jwk = json_array_get(json_object_get(jwks, "keys"), 0);
	assert_string_equal(json_string_value(json_object_get(jwk, "kty")), "RSA");
	assert_string_equal(json_string_value(json_object_get(jwk, "use")), "sig");
	assert_string_equal(json_string_value(json_object_get(jwk, "alg")), "RS256");
	assert_string_equal(json_string_value(json_object_get(jwk, "e")), "AQAB");
	assert_null(json_object_get(jwk, "d")); /* nothing private */
	pkey = rsa_from_jwk(jwk);
	assert_int_equal(EVP_PKEY_eq(pkey, rs.keys[0].pkey), 1);
	assert_int_equal(PEM_write_bio_PUBKEY(bio, pkey), 1);
	pemlen = BIO_get_mem_data(bio, &pem);
	assert_int_equal(keyring_init(&rebuilt, JWT_KIND_RS256), 0);
	assert_int_equal(keyring_add_public_pem(&rebuilt,
						json_string_value(json_object_get(jwk, "kid")), pem,
						(size_t)pemlen, &err),
			 0);
	tok = sign_default(&rs);
	assert_int_equal(verify(&rebuilt, tok), TOKEN_OK);
	free(tok);
	/* A public-only ring cannot sign. */
	{
		json_t *c = claims_new(ISS, "access", NOW + 1);

		assert_null(tokens_jwt_sign(&rebuilt, c, &err));
		json_decref(c);
	}
	keyring_release(&rebuilt);
	BIO_free(bio);
	EVP_PKEY_free(pkey);
	json_decref(jwks);
}

static void test_jwks_ec_and_hs(void **state)
{
	json_t *jwks = keyring_jwks(&es), *jwk;

	(void)state;
	jwk = json_array_get(json_object_get(jwks, "keys"), 0);
	assert_non_null(jwk);
	assert_string_equal(json_string_value(json_object_get(jwk, "kty")), "EC");
	assert_string_equal(json_string_value(json_object_get(jwk, "crv")), "P-256");
	assert_string_equal(json_string_value(json_object_get(jwk, "alg")), "ES256");
	assert_string_equal(json_string_value(json_object_get(jwk, "kid")), es.keys[0].kid);
	assert_int_equal(strlen(json_string_value(json_object_get(jwk, "x"))), 43);
	assert_int_equal(strlen(json_string_value(json_object_get(jwk, "y"))), 43);
	json_decref(jwks);
	jwks = keyring_jwks(&hs);
	assert_non_null(jwks);
	assert_int_equal(json_array_size(json_object_get(jwks, "keys")), 0);
	json_decref(jwks);
}

/* Older keys verify; only keys[0] signs. */
static void test_rotation_old_key_verifies(void **state)
{
	struct keyring kr;
	struct signing_key k;
	struct err err = {0};
	char *old_tok, *new_tok, *old_kid;
	json_t *hdr;

	(void)state;
	assert_int_equal(keyring_init(&kr, JWT_KIND_ES256), 0);
	assert_int_equal(keyring_generate(JWT_KIND_ES256, &k, &err), 0);
	assert_int_equal(keyring_add_key(&kr, &k), 0);
	old_tok = sign_default(&kr);
	/* Rotate: rebuild the ring with a new key first and the old one after. */
	{
		struct keyring nr;
		struct signing_key fresh;

		assert_int_equal(keyring_init(&nr, JWT_KIND_ES256), 0);
		assert_int_equal(keyring_generate(JWT_KIND_ES256, &fresh, &err), 0);
		assert_int_equal(keyring_add_key(&nr, &fresh), 0);
		assert_int_equal(keyring_add_key(&nr, &kr.keys[0]), 0);
		free(kr.keys);
		kr = nr;
	}
	new_tok = sign_default(&kr);
	assert_int_equal(verify(&kr, old_tok), TOKEN_OK);
	assert_int_equal(verify(&kr, new_tok), TOKEN_OK);
	hdr = decode_segment(old_tok, 0);
	old_kid = strdup(json_string_value(json_object_get(hdr, "kid")));
	json_decref(hdr);
	assert_string_equal(old_kid, kr.keys[1].kid);
	hdr = decode_segment(new_tok, 0);
	assert_string_equal(json_string_value(json_object_get(hdr, "kid")), kr.keys[0].kid);
	json_decref(hdr);
	free(old_kid);
	free(old_tok);
	free(new_tok);
	keyring_release(&kr);
}

/* tokens/verified.h: a repeat of a verified token skips the signature
 * check, and nothing else. */
static void test_repeat_skips_only_the_signature(void **state)
{
	char *tok = sign_default(&rs), *other;
	json_t *a = NULL, *b = NULL;
	uint64_t hits;

	(void)state;
	hits = verified_hits();
	assert_int_equal(tokens_jwt_verify(&rs, tok, ISS, "access", NOW, 0, &a), TOKEN_OK);
	assert_int_equal(verified_hits(), hits); /* first sight: checked in full */
	assert_int_equal(tokens_jwt_verify(&rs, tok, ISS, "access", NOW, 0, &b), TOKEN_OK);
	assert_int_equal(verified_hits(), hits + 1);
	assert_true(json_equal(a, b));
	/* the caller's copy is its own: changing it changes no later answer */
	json_object_set_new(b, "sub", json_string("someone-else"));
	json_decref(b);
	b = NULL;
	assert_int_equal(tokens_jwt_verify(&rs, tok, ISS, "access", NOW, 0, &b), TOKEN_OK);
	assert_string_equal(json_string_value(json_object_get(b, "sub")), "user-1");
	json_decref(b);
	json_decref(a);
	/* the claims are still checked on a repeat: time, purpose, issuer */
	hits = verified_hits();
	assert_int_equal(tokens_jwt_verify(&rs, tok, ISS, "access", NOW + 600, 0, NULL),
			 TOKEN_EXPIRED);
	assert_int_equal(tokens_jwt_verify(&rs, tok, ISS, "refresh", NOW, 0, NULL), TOKEN_INVALID);
	assert_int_equal(tokens_jwt_verify(&rs, tok, "someone-else", "access", NOW, 0, NULL),
			 TOKEN_INVALID);
	assert_int_equal(verified_hits(), hits + 3);
	/* another ring does not inherit what this one verified */
	assert_int_equal(verify(&rs_other, tok), TOKEN_INVALID);
	/* one byte off is another token: checked, refused */
	other = strdup(tok);
	assert_non_null(other);
	other[strlen(other) - 2] = other[strlen(other) - 2] == 'A' ? 'B' : 'A';
	assert_int_equal(verify(&rs, other), TOKEN_INVALID);
	free(other);
	free(tok);
}

/* A ring that changes forgets: a token signed by a key that is gone is
 * refused even though the same bytes verified a moment before. */
static void test_changed_ring_forgets(void **state)
{
	struct keyring kr, nr;
	struct signing_key k, fresh;
	struct err err = {0};
	char *tok;
	uint64_t hits;

	(void)state;
	assert_int_equal(keyring_init(&kr, JWT_KIND_ES256), 0);
	assert_int_equal(keyring_generate(JWT_KIND_ES256, &k, &err), 0);
	assert_int_equal(keyring_add_key(&kr, &k), 0);
	tok = sign_default(&kr);
	assert_int_equal(verify(&kr, tok), TOKEN_OK);
	assert_int_equal(verify(&kr, tok), TOKEN_OK);
	/* the same memory, now a ring without that key */
	keyring_release(&kr);
	assert_int_equal(keyring_init(&nr, JWT_KIND_ES256), 0);
	assert_int_equal(keyring_generate(JWT_KIND_ES256, &fresh, &err), 0);
	assert_int_equal(keyring_add_key(&nr, &fresh), 0);
	kr = nr;
	hits = verified_hits();
	assert_int_equal(verify(&kr, tok), TOKEN_INVALID);
	assert_int_equal(verified_hits(), hits);
	free(tok);
	keyring_release(&kr);
}

/* libjwt, an independent implementation, reads our tokens and we read its:
 * same claims, each algorithm. */
static void test_libjwt_agrees(void **state)
{
	const struct keyring *rings[] = {&rs, &es, &hs};
	const jwt_alg_t algs[] = {JWT_ALG_RS256, JWT_ALG_ES256, JWT_ALG_HS256};

	(void)state;
	for (size_t r = 0; r < 3; r++) {
		const struct signing_key *k = &rings[r]->keys[0];
		const unsigned char *pub = k->secret ? k->secret : (unsigned char *)k->public_pem;
		int publen = (int)(k->secret ? k->secret_len : k->public_pem_len);
		const unsigned char *priv = k->secret ? k->secret : (unsigned char *)k->private_pem;
		int privlen = (int)(k->secret ? k->secret_len : k->private_pem_len);
		char *ours = sign_default(rings[r]), *theirs;
		jwt_t *jwt = NULL;
		json_t *claims = NULL;

		/* ours, checked by libjwt */
		assert_int_equal(jwt_decode(&jwt, ours, pub, publen), 0);
		assert_int_equal(jwt_get_alg(jwt), algs[r]);
		assert_string_equal(jwt_get_grant(jwt, "sub"), "user-1");
		assert_string_equal(jwt_get_grant(jwt, "purpose"), "access");
		assert_int_equal(jwt_get_grant_int(jwt, "exp"), NOW + 600);
		if (algs[r] != JWT_ALG_HS256)
			assert_string_equal(jwt_get_header(jwt, "kid"), k->kid);
		jwt_free(jwt);
		/* a flipped signature byte: libjwt refuses it too */
		ours[strlen(ours) - 2] = ours[strlen(ours) - 2] == 'A' ? 'B' : 'A';
		jwt = NULL;
		assert_int_not_equal(jwt_decode(&jwt, ours, pub, publen), 0);
		jwt_free(jwt);
		free(ours);

		/* libjwt's, checked by us */
		assert_int_equal(jwt_new(&jwt), 0);
		assert_int_equal(jwt_add_grant(jwt, "iss", ISS), 0);
		assert_int_equal(jwt_add_grant(jwt, "sub", "user-2"), 0);
		assert_int_equal(jwt_add_grant(jwt, "purpose", "access"), 0);
		assert_int_equal(jwt_add_grant_int(jwt, "exp", NOW + 600), 0);
		if (algs[r] != JWT_ALG_HS256)
			assert_int_equal(jwt_add_header(jwt, "kid", k->kid), 0);
		assert_int_equal(jwt_set_alg(jwt, algs[r], priv, privlen), 0);
		theirs = jwt_encode_str(jwt);
		jwt_free(jwt);
		assert_non_null(theirs);
		assert_int_equal(
		    tokens_jwt_verify(rings[r], theirs, ISS, "access", NOW, 0, &claims), TOKEN_OK);
		assert_string_equal(json_string_value(json_object_get(claims, "sub")), "user-2");
		json_decref(claims);
		free(theirs);
	}
}

/* A token longer than tokens_jwt_verify accepts is refused at signing, with
 * an error, instead of being issued and then refused by every verifier. */
static void test_sign_refuses_token_too_long_to_verify(void **state)
{
	char pad[TOKENS_JWT_MAX_LEN];
	char *last = NULL;
	size_t n;

	(void)state;
	memset(pad, 'p', sizeof(pad));
	for (n = TOKENS_JWT_MAX_LEN / 2; n < sizeof(pad); n++) {
		json_t *c = claims_new(ISS, "access", NOW + 600);
		struct err err = {0};
		char *tok;

		json_object_set_new(c, "pad", json_stringn(pad, n));
		tok = tokens_jwt_sign(&hs, c, &err);
		json_decref(c);
		if (tok == NULL) {
			assert_int_equal(err.code, 500);
			break;
		}
		assert_true(strlen(tok) <= TOKENS_JWT_MAX_LEN);
		free(last);
		last = tok;
	}
	assert_true(n < sizeof(pad)); /* the cap was reached */
	assert_non_null(last);	      /* and the longest token below it was issued */
	assert_true(strlen(last) > TOKENS_JWT_MAX_LEN - 8);
	assert_int_equal(verify(&hs, last), TOKEN_OK);
	free(last);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_round_trip_rs256),
	    cmocka_unit_test(test_round_trip_es256_raw_signature),
	    cmocka_unit_test(test_libjwt_agrees),
	    cmocka_unit_test(test_round_trip_hs256),
	    cmocka_unit_test(test_alg_none_refused),
	    cmocka_unit_test(test_hs_rs_confusion_refused),
	    cmocka_unit_test(test_tampered_payload),
	    cmocka_unit_test(test_tampered_signature),
	    cmocka_unit_test(test_expired_and_allow_expired),
	    cmocka_unit_test(test_wrong_issuer_and_purpose),
	    cmocka_unit_test(test_missing_and_unknown_kid),
	    cmocka_unit_test(test_garbage),
	    cmocka_unit_test(test_jwks_rebuilds_rsa_key),
	    cmocka_unit_test(test_jwks_ec_and_hs),
	    cmocka_unit_test(test_rotation_old_key_verifies),
	    cmocka_unit_test(test_repeat_skips_only_the_signature),
	    cmocka_unit_test(test_changed_ring_forgets),
	    cmocka_unit_test(test_sign_refuses_token_too_long_to_verify),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
