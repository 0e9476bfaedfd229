/* SPDX-License-Identifier: Apache-2.0 */
/*
 * tokens/keyring and tokens/opaque: key generation and parsing, kids,
 * passphrases, HS secrets, and the opaque-value helpers. Links
 * host/src/tokens/{keyring,opaque}.c and host/src/util/err.c with
 * -lcrypto -ljansson -lcmocka.
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
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>

#include "tokens/keyring.h"
#include "tokens/opaque.h"

/* ---- opaque.c ---- */

static void test_b64url_vectors(void **state)
{
	static const struct {
		const char *in;
		const char *out;
	} v[] = {
	    {"", ""},		{"f", "Zg"},	      {"fo", "Zm8"},	      {"foo", "Zm9v"},
	    {"foob", "Zm9vYg"}, {"fooba", "Zm9vYmE"}, {"foobar", "Zm9vYmFy"},
	};
	static const unsigned char bin[] = {0xfb, 0xff, 0xbf};
	char out[64];
	unsigned char dec[64];
	size_t i, n;

	(void)state;
	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		assert_int_equal(tokens_b64url_encode((const unsigned char *)v[i].in,
						      strlen(v[i].in), out, sizeof(out)),
				 (int)strlen(v[i].out));
		assert_string_equal(out, v[i].out);
		assert_int_equal(
		    tokens_b64url_decode(v[i].out, strlen(v[i].out), dec, sizeof(dec), &n), 0);
		assert_int_equal(n, strlen(v[i].in));
		assert_memory_equal(dec, v[i].in, n);
	}
	/* The url-safe alphabet: - and _ instead of + and / */
	assert_int_equal(tokens_b64url_encode(bin, 3, out, sizeof(out)), 4);
	assert_string_equal(out, "-_-_");
	assert_int_equal(tokens_b64url_decode("-_-_", 4, dec, sizeof(dec), &n), 0);
	assert_int_equal(n, 3);
	assert_memory_equal(dec, bin, 3);
}

static void test_b64url_round_trip_random(void **state)
{
	unsigned char in[300], dec[300];
	char enc[420];
	size_t len, n;

	(void)state;
	for (len = 0; len <= sizeof(in); len++) {
		assert_int_equal(tokens_random_bytes(in, len), 0);
		assert_true(tokens_b64url_encode(in, len, enc, sizeof(enc)) >= 0);
		assert_null(strpbrk(enc, "+/="));
		assert_int_equal(tokens_b64url_decode(enc, strlen(enc), dec, sizeof(dec), &n), 0);
		assert_int_equal(n, len);
		assert_memory_equal(dec, in, len);
	}
}

static void test_b64url_rejects_invalid(void **state)
{
	static const char *bad[] = {
	    "Zm9v+mFy",			/* standard alphabet */
	    "Zm9v/mFy", "Zm8=",		/* padding */
	    "Zm9vY",			/* length 1 mod 4 */
	    "Zm 9v",	"Zm9v\n", "Zh", /* non-zero unused bits ("f" is "Zg") */
	    "Zm9",			/* "fo" is Zm8: Zm9 has unused bits set */
	    "Zm.v",
	};
	unsigned char dec[64];
	char out[16];
	size_t i, n;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(tokens_b64url_decode(bad[i], strlen(bad[i]), dec, sizeof(dec), &n),
				 -1);
	/* Embedded NUL counts as an invalid character. */
	assert_int_equal(tokens_b64url_decode("Zm\0v", 4, dec, sizeof(dec), &n), -1);
	/* Output buffers that are too small. */
	assert_int_equal(tokens_b64url_decode("Zm9vYmFy", 8, dec, 5, &n), -1);
	assert_int_equal(tokens_b64url_decode("Zm9vYmFy", 8, dec, 6, &n), 0);
	assert_int_equal(tokens_b64url_encode((const unsigned char *)"foobar", 6, out, 8), -1);
	assert_int_equal(tokens_b64url_encode((const unsigned char *)"foobar", 6, out, 9), 8);
	assert_int_equal(tokens_b64url_encode((const unsigned char *)"", 0, out, 0), -1);
}

static void test_sha256_vectors(void **state)
{
	char hex[65];

	(void)state;
	tokens_sha256_hex("abc", 3, hex);
	assert_string_equal(hex,
			    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	tokens_sha256_hex("", 0, hex);
	assert_string_equal(hex,
			    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

static void check_charset(const char *s, const char *allowed)
{
	assert_int_equal(strspn(s, allowed), strlen(s));
}

static void test_random_hex_and_b64url(void **state)
{
	char a[65], b[65], big[2 * 100 + 1], u[64];

	(void)state;
	memset(a, 'x', sizeof(a));
	assert_int_equal(tokens_random_hex(a, 32), 0);
	assert_int_equal(strlen(a), 64);
	check_charset(a, "0123456789abcdef");
	assert_int_equal(tokens_random_hex(b, 32), 0);
	assert_string_not_equal(a, b);
	assert_int_equal(tokens_random_hex(a, 8), 0);
	assert_int_equal(strlen(a), 16);
	assert_int_equal(tokens_random_hex(big, 100), 0); /* more than one internal chunk */
	assert_int_equal(strlen(big), 200);
	check_charset(big, "0123456789abcdef");
	assert_int_equal(tokens_random_hex(a, 0), 0);
	assert_string_equal(a, "");

	assert_int_equal(tokens_random_b64url(u, sizeof(u), 32), 0);
	assert_int_equal(strlen(u), 43);
	check_charset(u, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_");
	assert_int_equal(tokens_random_b64url(u, 43, 32), -1); /* no room for the NUL */
	assert_int_equal(tokens_random_b64url(u, 44, 32), 0);
}

static void test_equal_ct(void **state)
{
	(void)state;
	assert_true(tokens_equal_ct("abcdef", "abcdef"));
	assert_true(tokens_equal_ct("", ""));
	assert_false(tokens_equal_ct("abcdef", "abcdeg"));
	assert_false(tokens_equal_ct("abcdef", "abcde"));
	assert_false(tokens_equal_ct("abc", "abcdef"));
	assert_false(tokens_equal_ct(NULL, "a"));
	assert_false(tokens_equal_ct("a", NULL));
	assert_false(tokens_equal_ct(NULL, NULL));
}

/* ---- keyring.c ---- */

static void test_alg_names(void **state)
{
	enum jwt_alg_kind k = JWT_KIND_HS256;

	(void)state;
	assert_string_equal(jwt_alg_kind_name(JWT_KIND_RS256), "RS256");
	assert_string_equal(jwt_alg_kind_name(JWT_KIND_ES256), "ES256");
	assert_string_equal(jwt_alg_kind_name(JWT_KIND_HS256), "HS256");
	assert_int_equal(jwt_alg_kind_parse("RS256", &k), 0);
	assert_int_equal(k, JWT_KIND_RS256);
	assert_int_equal(jwt_alg_kind_parse("ES256", &k), 0);
	assert_int_equal(k, JWT_KIND_ES256);
	assert_int_equal(jwt_alg_kind_parse("HS256", &k), 0);
	assert_int_equal(k, JWT_KIND_HS256);
	assert_int_equal(jwt_alg_kind_parse("none", &k), -1);
	assert_int_equal(jwt_alg_kind_parse("rs256", &k), -1);
	assert_int_equal(jwt_alg_kind_parse("RS512", &k), -1);
	assert_int_equal(jwt_alg_kind_parse(NULL, &k), -1);
	assert_int_equal(k, JWT_KIND_HS256);
}

static void test_generate_and_find(void **state)
{
	static const enum jwt_alg_kind algs[] = {JWT_KIND_RS256, JWT_KIND_ES256};
	size_t i;

	(void)state;
	for (i = 0; i < 2; i++) {
		struct keyring kr;
		struct signing_key a, b;
		struct err err = {0};
		char kid_a[64];

		assert_int_equal(keyring_init(&kr, algs[i]), 0);
		assert_null(keyring_signing_key(&kr));
		assert_int_equal(keyring_generate(algs[i], &a, &err), 0);
		assert_int_equal(strlen(a.kid), 22);
		check_charset(a.kid,
			      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_");
		assert_non_null(a.pkey);
		assert_non_null(strstr(a.private_pem, "-----BEGIN PRIVATE KEY-----"));
		assert_int_equal(strlen(a.private_pem), a.private_pem_len);
		assert_non_null(strstr(a.public_pem, "-----BEGIN PUBLIC KEY-----"));
		assert_int_equal(strlen(a.public_pem), a.public_pem_len);
		if (algs[i] == JWT_KIND_RS256)
			assert_int_equal(EVP_PKEY_get_bits(a.pkey), 2048);
		else
			assert_true(EVP_PKEY_is_a(a.pkey, "EC"));
		assert_int_equal(keyring_generate(algs[i], &b, &err), 0);
		assert_string_not_equal(a.kid, b.kid);
		memcpy(kid_a, a.kid, sizeof(kid_a));
		assert_int_equal(keyring_add_key(&kr, &a), 0);
		assert_null(a.pkey); /* ownership moved */
		assert_int_equal(keyring_add_key(&kr, &b), 0);
		assert_int_equal(kr.nkeys, 2);
		assert_string_equal(keyring_signing_key(&kr)->kid,
				    kid_a); /* first added = newest */
		assert_ptr_equal(keyring_find(&kr, kid_a), &kr.keys[0]);
		assert_ptr_equal(keyring_find(&kr, kr.keys[1].kid), &kr.keys[1]);
		assert_null(keyring_find(&kr, "nope"));
		assert_null(keyring_find(&kr, NULL));
		/* Wrong alg for the ring is refused; caller still owns the key. */
		assert_int_equal(keyring_generate(algs[1 - i], &a, &err), 0);
		assert_int_equal(keyring_add_key(&kr, &a), -1);
		assert_non_null(a.pkey);
		signing_key_release(&a);
		keyring_release(&kr);
		assert_int_equal(kr.nkeys, 0);
	}
}

static void test_generate_hs_refused(void **state)
{
	struct signing_key k;
	struct err err = {0};

	(void)state;
	assert_int_equal(keyring_generate(JWT_KIND_HS256, &k, &err), -1);
	assert_true(err.msg[0] != '\0');
}

static char *pem_of(EVP_PKEY *pkey, const EVP_CIPHER *cipher, const char *pass, size_t *len)
{
	BIO *bio = BIO_new(BIO_s_mem());
	char *data = NULL, *copy;
	long n;

	assert_non_null(bio);
	assert_int_equal(PEM_write_bio_PKCS8PrivateKey(bio, pkey, cipher, pass,
						       pass ? (int)strlen(pass) : 0, NULL, NULL),
			 1);
	n = BIO_get_mem_data(bio, &data);
	copy = strndup(data, (size_t)n);
	*len = (size_t)n;
	BIO_free(bio);
	return copy;
}

static void test_private_pem_plain_and_thumbprint_kid(void **state)
{
	struct keyring kr;
	struct signing_key k;
	struct err err = {0};
	char *pem;
	size_t len;

	(void)state;
	assert_int_equal(keyring_init(&kr, JWT_KIND_ES256), 0);
	assert_int_equal(keyring_generate(JWT_KIND_ES256, &k, &err), 0);
	pem = pem_of(k.pkey, NULL, NULL, &len);
	assert_int_equal(keyring_add_private_pem(&kr, NULL, pem, len, NULL, &err), 0);
	assert_int_equal(strlen(kr.keys[0].kid), 43);
	assert_int_equal(EVP_PKEY_eq(kr.keys[0].pkey, k.pkey), 1);
	assert_non_null(kr.keys[0].private_pem);
	assert_non_null(kr.keys[0].public_pem);
	/* Same key again: same thumbprint, refused as a duplicate. */
	assert_int_equal(keyring_add_private_pem(&kr, NULL, pem, len, NULL, &err), -1);
	/* With an explicit kid it is accepted and appended (older). */
	assert_int_equal(keyring_add_private_pem(&kr, "second", pem, len, NULL, &err), 0);
	assert_string_equal(kr.keys[1].kid, "second");
	assert_int_equal(keyring_add_private_pem(&kr, "bad kid", pem, len, NULL, &err), -1);
	assert_int_equal(keyring_add_private_pem(&kr, "", pem, len, NULL, &err), -1);
	/* Not a PEM, empty, truncated. */
	assert_int_equal(keyring_add_private_pem(&kr, "x", "hello", 5, NULL, &err), -1);
	assert_int_equal(keyring_add_private_pem(&kr, "x", pem, 0, NULL, &err), -1);
	assert_int_equal(keyring_add_private_pem(&kr, "x", pem, len / 2, NULL, &err), -1);
	/* An EC key is refused by an RS256 ring. */
	{
		struct keyring rs;

		assert_int_equal(keyring_init(&rs, JWT_KIND_RS256), 0);
		assert_int_equal(keyring_add_private_pem(&rs, NULL, pem, len, NULL, &err), -1);
		assert_int_equal(rs.nkeys, 0);
		keyring_release(&rs);
	}
	assert_int_equal(kr.nkeys, 2);
	free(pem);
	signing_key_release(&k);
	keyring_release(&kr);
}

/* RFC 7638 §3.1: the example key's thumbprint. */
static void test_rfc7638_thumbprint(void **state)
{
	static const char n_b64[] =
	    "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhD"
	    "R1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6C"
	    "f0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1"
	    "n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1"
	    "jF44-csFCur-kEgU8awapJzKnqDKgw";
	unsigned char n[512], e[] = {1, 0, 1};
	size_t nlen = 0;
	OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
	OSSL_PARAM *params;
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL);
	EVP_PKEY *pkey = NULL;
	BIGNUM *bn_n, *bn_e;
	BIO *bio = BIO_new(BIO_s_mem());
	char *pem = NULL;
	long pemlen;
	struct keyring kr;
	struct err err = {0};
	json_t *jwks, *jwk;

	(void)state;
	assert_int_equal(tokens_b64url_decode(n_b64, strlen(n_b64), n, sizeof(n), &nlen), 0);
	bn_n = BN_bin2bn(n, (int)nlen, NULL);
	bn_e = BN_bin2bn(e, 3, NULL);
	OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, bn_n);
	OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, bn_e);
	params = OSSL_PARAM_BLD_to_param(bld);
	assert_int_equal(EVP_PKEY_fromdata_init(ctx), 1);
	assert_int_equal(EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params), 1);
	assert_int_equal(PEM_write_bio_PUBKEY(bio, pkey), 1);
	pemlen = BIO_get_mem_data(bio, &pem);

	assert_int_equal(keyring_init(&kr, JWT_KIND_RS256), 0);
	assert_int_equal(keyring_add_public_pem(&kr, NULL, pem, (size_t)pemlen, &err), 0);
	assert_string_equal(kr.keys[0].kid, "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs");
	assert_null(kr.keys[0].private_pem);
	/* The JWKS carries the same n and e back. */
	jwks = keyring_jwks(&kr);
	jwk = json_array_get(json_object_get(jwks, "keys"), 0);
	assert_string_equal(json_string_value(json_object_get(jwk, "n")), n_b64);
	assert_string_equal(json_string_value(json_object_get(jwk, "e")), "AQAB");
	assert_string_equal(json_string_value(json_object_get(jwk, "kid")),
			    "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs");
	json_decref(jwks);
	/* A private PEM is not a public key. */
	assert_int_equal(keyring_add_public_pem(&kr, "k2", "junk", 4, &err), -1);

	keyring_release(&kr);
	BIO_free(bio);
	EVP_PKEY_free(pkey);
	EVP_PKEY_CTX_free(ctx);
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	BN_free(bn_n);
	BN_free(bn_e);
}

static void test_private_pem_encrypted(void **state)
{
	struct keyring kr;
	struct signing_key k;
	struct err err = {0};
	char *enc;
	size_t len;

	(void)state;
	assert_int_equal(keyring_init(&kr, JWT_KIND_RS256), 0);
	assert_int_equal(keyring_generate(JWT_KIND_RS256, &k, &err), 0);
	enc = pem_of(k.pkey, EVP_aes_256_cbc(), "correct horse", &len);
	assert_non_null(strstr(enc, "ENCRYPTED PRIVATE KEY"));

	assert_int_equal(keyring_add_private_pem(&kr, NULL, enc, len, "wrong horse", &err), -1);
	assert_true(err.msg[0] != '\0');
	assert_int_equal(keyring_add_private_pem(&kr, NULL, enc, len, NULL, &err), -1);
	assert_int_equal(keyring_add_private_pem(&kr, NULL, enc, len, "", &err), -1);
	assert_int_equal(kr.nkeys, 0);

	assert_int_equal(keyring_add_private_pem(&kr, "k1", enc, len, "correct horse", &err), 0);
	assert_int_equal(kr.nkeys, 1);
	assert_string_equal(kr.keys[0].kid, "k1");
	assert_int_equal(EVP_PKEY_eq(kr.keys[0].pkey, k.pkey), 1);
	/* Kept decrypted, for libjwt. */
	assert_non_null(strstr(kr.keys[0].private_pem, "-----BEGIN PRIVATE KEY-----"));
	/* A plain PEM with a passphrase given still loads. */
	assert_int_equal(keyring_add_private_pem(&kr, "k2", k.private_pem, k.private_pem_len,
						 "correct horse", &err),
			 0);
	free(enc);
	signing_key_release(&k);
	keyring_release(&kr);
}

static void test_small_rsa_refused(void **state)
{
	EVP_PKEY *small = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)1024);
	struct keyring kr;
	struct err err = {0};
	char *pem;
	size_t len;

	(void)state;
	assert_non_null(small);
	pem = pem_of(small, NULL, NULL, &len);
	assert_int_equal(keyring_init(&kr, JWT_KIND_RS256), 0);
	assert_int_equal(keyring_add_private_pem(&kr, NULL, pem, len, NULL, &err), -1);
	assert_int_equal(kr.nkeys, 0);
	free(pem);
	EVP_PKEY_free(small);
	keyring_release(&kr);
}

static void test_hs_secret(void **state)
{
	static const unsigned char s31[31] = {1}, s32[32] = {2}, s40[40] = {3};
	struct keyring kr, rs;
	struct err err = {0};
	json_t *jwks;

	(void)state;
	assert_int_equal(keyring_init(&kr, JWT_KIND_HS256), 0);
	assert_int_equal(keyring_set_hs_secret(&kr, s31, sizeof(s31), &err), -1);
	assert_null(keyring_signing_key(&kr));
	assert_int_equal(keyring_set_hs_secret(&kr, s32, sizeof(s32), &err), 0);
	assert_int_equal(kr.nkeys, 1);
	assert_int_equal(keyring_signing_key(&kr)->secret_len, 32);
	assert_memory_equal(keyring_signing_key(&kr)->secret, s32, 32);
	assert_int_equal(keyring_set_hs_secret(&kr, s40, sizeof(s40), &err), 0); /* replaces */
	assert_int_equal(kr.nkeys, 1);
	assert_int_equal(keyring_signing_key(&kr)->secret_len, 40);
	assert_null(keyring_find(&kr, ""));
	jwks = keyring_jwks(&kr);
	assert_int_equal(json_array_size(json_object_get(jwks, "keys")), 0);
	json_decref(jwks);
	/* Key files are refused on an HS ring, secrets on an RS ring. */
	assert_int_equal(keyring_add_private_pem(&kr, NULL, "x", 1, NULL, &err), -1);
	assert_int_equal(keyring_init(&rs, JWT_KIND_RS256), 0);
	assert_int_equal(keyring_set_hs_secret(&rs, s40, sizeof(s40), &err), -1);
	keyring_release(&rs);
	keyring_release(&kr);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_b64url_vectors),
	    cmocka_unit_test(test_b64url_round_trip_random),
	    cmocka_unit_test(test_b64url_rejects_invalid),
	    cmocka_unit_test(test_sha256_vectors),
	    cmocka_unit_test(test_random_hex_and_b64url),
	    cmocka_unit_test(test_equal_ct),
	    cmocka_unit_test(test_alg_names),
	    cmocka_unit_test(test_generate_and_find),
	    cmocka_unit_test(test_generate_hs_refused),
	    cmocka_unit_test(test_private_pem_plain_and_thumbprint_kid),
	    cmocka_unit_test(test_rfc7638_thumbprint),
	    cmocka_unit_test(test_private_pem_encrypted),
	    cmocka_unit_test(test_small_rsa_refused),
	    cmocka_unit_test(test_hs_secret),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
