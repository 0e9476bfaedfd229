/* SPDX-License-Identifier: Apache-2.0 */
#include "tokens/keyring.h"

#include <limits.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/pem.h>

#include "tokens/opaque.h"

#define KEY_PEM_MAX (64 * 1024)

const char *jwt_alg_kind_name(enum jwt_alg_kind k)
{
	switch (k) {
	case JWT_KIND_RS256:
		return "RS256";
	case JWT_KIND_ES256:
		return "ES256";
	case JWT_KIND_HS256:
		return "HS256";
	}
	return "?";
}

int jwt_alg_kind_parse(const char *s, enum jwt_alg_kind *out)
{
	if (s == NULL)
		return -1;
	if (strcmp(s, "RS256") == 0)
		*out = JWT_KIND_RS256;
	else if (strcmp(s, "ES256") == 0)
		*out = JWT_KIND_ES256;
	else if (strcmp(s, "HS256") == 0)
		*out = JWT_KIND_HS256;
	else
		return -1;
	return 0;
}

static void keyring_changed(struct keyring *kr)
{
	static _Atomic uint64_t next;

	kr->generation = atomic_fetch_add(&next, 1) + 1;
}

int keyring_init(struct keyring *kr, enum jwt_alg_kind alg)
{
	memset(kr, 0, sizeof(*kr));
	if (alg != JWT_KIND_RS256 && alg != JWT_KIND_ES256 && alg != JWT_KIND_HS256)
		return -1;
	kr->alg = alg;
	keyring_changed(kr);
	return 0;
}

void signing_key_release(struct signing_key *key)
{
	if (key == NULL)
		return;
	EVP_PKEY_free(key->pkey);
	if (key->private_pem != NULL) {
		OPENSSL_cleanse(key->private_pem, key->private_pem_len);
		free(key->private_pem);
	}
	free(key->public_pem);
	if (key->secret != NULL) {
		OPENSSL_cleanse(key->secret, key->secret_len);
		free(key->secret);
	}
	memset(key, 0, sizeof(*key));
}

void keyring_release(struct keyring *kr)
{
	size_t i;

	for (i = 0; i < kr->nkeys; i++)
		signing_key_release(&kr->keys[i]);
	free(kr->keys);
	kr->keys = NULL;
	keyring_changed(kr);
	kr->nkeys = 0;
}

/* Does pkey have the type alg needs? RSA >= 2048 bits, or EC on P-256. */
static int key_fits_alg(EVP_PKEY *pkey, enum jwt_alg_kind alg, struct err *err)
{
	char group[64];
	size_t glen = 0;

	switch (alg) {
	case JWT_KIND_RS256:
		if (!EVP_PKEY_is_a(pkey, "RSA"))
			return err_set(err, 0, "RS256 needs an RSA key");
		if (EVP_PKEY_get_bits(pkey) < 2048)
			return err_set(err, 0, "RS256 needs an RSA key of at least 2048 bits");
		return 0;
	case JWT_KIND_ES256:
		if (!EVP_PKEY_is_a(pkey, "EC"))
			return err_set(err, 0, "ES256 needs an EC P-256 key");
		if (EVP_PKEY_get_group_name(pkey, group, sizeof(group), &glen) != 1 ||
		    (strcmp(group, "prime256v1") != 0 && strcmp(group, "P-256") != 0 &&
		     strcmp(group, "secp256r1") != 0))
			return err_set(err, 0, "ES256 needs an EC key on curve P-256");
		return 0;
	case JWT_KIND_HS256:
		break;
	}
	return err_set(err, 0, "this algorithm takes no key pair");
}

/* Copy a memory BIO's contents into a NUL-terminated malloc'd string. */
static char *bio_to_string(BIO *bio, size_t *len_out)
{
	char *data = NULL, *copy;
	long n = BIO_get_mem_data(bio, &data);

	if (n <= 0 || data == NULL)
		return NULL;
	copy = malloc((size_t)n + 1);
	if (copy == NULL)
		return NULL;
	memcpy(copy, data, (size_t)n);
	copy[n] = '\0';
	*len_out = (size_t)n;
	return copy;
}

static int fill_public_pem(struct signing_key *key)
{
	BIO *bio = BIO_new(BIO_s_mem());
	int rc = -1;

	if (bio == NULL)
		return -1;
	if (PEM_write_bio_PUBKEY(bio, key->pkey) == 1)
		key->public_pem = bio_to_string(bio, &key->public_pem_len);
	if (key->public_pem != NULL)
		rc = 0;
	BIO_free(bio);
	return rc;
}

static int fill_private_pem(struct signing_key *key)
{
	BIO *bio = BIO_new(BIO_s_mem());
	char *data = NULL;
	long n;
	int rc = -1;

	if (bio == NULL)
		return -1;
	if (PEM_write_bio_PKCS8PrivateKey(bio, key->pkey, NULL, NULL, 0, NULL, NULL) == 1)
		key->private_pem = bio_to_string(bio, &key->private_pem_len);
	if (key->private_pem != NULL)
		rc = 0;
	/* Wipe the BIO's copy of the private key before it is freed. */
	n = BIO_get_mem_data(bio, &data);
	if (n > 0 && data != NULL)
		OPENSSL_cleanse(data, (size_t)n);
	BIO_free(bio);
	return rc;
}

static int random_kid(char kid[64])
{
	return tokens_random_b64url(kid, 64, 16);
}

/* Base64url of an unsigned big-endian integer, minimal length or padded to pad bytes. */
static json_t *bn_b64url(const BIGNUM *bn, int pad)
{
	unsigned char buf[1024];
	char out[1400];
	int n = pad > 0 ? pad : BN_num_bytes(bn);

	if (n <= 0 || (size_t)n > sizeof(buf))
		return NULL;
	if (pad > 0 ? BN_bn2binpad(bn, buf, pad) != pad : BN_bn2bin(bn, buf) != n)
		return NULL;
	if (tokens_b64url_encode(buf, (size_t)n, out, sizeof(out)) < 0)
		return NULL;
	return json_string(out);
}

static json_t *pkey_param_b64url(const EVP_PKEY *pkey, const char *param, int pad)
{
	BIGNUM *bn = NULL;
	json_t *v;

	if (EVP_PKEY_get_bn_param(pkey, param, &bn) != 1)
		return NULL;
	v = bn_b64url(bn, pad);
	BN_free(bn);
	return v;
}

/* The RFC 7638 required members only: {e,kty,n} or {crv,kty,x,y}. */
static json_t *jwk_required_members(const EVP_PKEY *pkey, enum jwt_alg_kind alg)
{
	json_t *jwk = json_object();

	if (jwk == NULL)
		return NULL;
	if (alg == JWT_KIND_RS256) {
		if (json_object_set_new(jwk, "kty", json_string("RSA")) < 0 ||
		    json_object_set_new(jwk, "n",
					pkey_param_b64url(pkey, OSSL_PKEY_PARAM_RSA_N, 0)) < 0 ||
		    json_object_set_new(jwk, "e",
					pkey_param_b64url(pkey, OSSL_PKEY_PARAM_RSA_E, 0)) < 0)
			goto out_put;
	} else if (alg == JWT_KIND_ES256) {
		if (json_object_set_new(jwk, "kty", json_string("EC")) < 0 ||
		    json_object_set_new(jwk, "crv", json_string("P-256")) < 0 ||
		    json_object_set_new(
			jwk, "x", pkey_param_b64url(pkey, OSSL_PKEY_PARAM_EC_PUB_X, 32)) < 0 ||
		    json_object_set_new(jwk, "y",
					pkey_param_b64url(pkey, OSSL_PKEY_PARAM_EC_PUB_Y, 32)) < 0)
			goto out_put;
	} else {
		goto out_put;
	}
	return jwk;
out_put:
	json_decref(jwk);
	return NULL;
}

static int thumbprint_kid(const EVP_PKEY *pkey, enum jwt_alg_kind alg, char kid[64])
{
	json_t *jwk = jwk_required_members(pkey, alg);
	unsigned char md[32];
	unsigned int mdlen = 0;
	char *canon;
	int rc = -1;

	if (jwk == NULL)
		return -1;
	/* Sorted keys, no whitespace: the RFC 7638 canonical form for these members. */
	canon = json_dumps(jwk, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(jwk);
	if (canon == NULL)
		return -1;
	if (EVP_Digest(canon, strlen(canon), md, &mdlen, EVP_sha256(), NULL) == 1 &&
	    tokens_b64url_encode(md, mdlen, kid, 64) > 0)
		rc = 0;
	free(canon);
	return rc;
}

json_t *signing_key_jwk(const struct signing_key *key)
{
	json_t *jwk;

	if (key == NULL || key->pkey == NULL)
		return NULL;
	jwk = jwk_required_members(key->pkey, key->alg);
	if (jwk == NULL)
		return NULL;
	if (json_object_set_new(jwk, "kid", json_string(key->kid)) < 0 ||
	    json_object_set_new(jwk, "use", json_string("sig")) < 0 ||
	    json_object_set_new(jwk, "alg", json_string(jwt_alg_kind_name(key->alg))) < 0) {
		json_decref(jwk);
		return NULL;
	}
	return jwk;
}

json_t *keyring_jwks(const struct keyring *kr)
{
	json_t *keys = json_array(), *jwks;
	size_t i;

	if (keys == NULL)
		return NULL;
	for (i = 0; i < kr->nkeys; i++) {
		if (kr->keys[i].pkey == NULL)
			continue;
		if (json_array_append_new(keys, signing_key_jwk(&kr->keys[i])) < 0) {
			json_decref(keys);
			return NULL;
		}
	}
	jwks = json_object();
	if (jwks == NULL || json_object_set_new(jwks, "keys", keys) < 0) {
		json_decref(jwks);
		return NULL;
	}
	return jwks;
}

int keyring_generate(enum jwt_alg_kind alg, struct signing_key *out, struct err *err)
{
	memset(out, 0, sizeof(*out));
	out->alg = alg;
	if (alg == JWT_KIND_RS256)
		out->pkey = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	else if (alg == JWT_KIND_ES256)
		out->pkey = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	else
		return err_set(err, 0, "cannot generate a key for %s", jwt_alg_kind_name(alg));
	if (out->pkey == NULL) {
		err_set(err, 0, "key generation failed");
		goto out_release;
	}
	if (random_kid(out->kid) < 0 || fill_private_pem(out) < 0 || fill_public_pem(out) < 0) {
		err_set(err, 0, "cannot encode the generated key");
		goto out_release;
	}
	return 0;
out_release:
	ERR_clear_error();
	signing_key_release(out);
	return -1;
}

static bool kid_valid(const char *kid)
{
	size_t i, len;

	if (kid == NULL)
		return false;
	len = strlen(kid);
	if (len == 0 || len >= sizeof(((struct signing_key *)0)->kid))
		return false;
	for (i = 0; i < len; i++)
		if ((unsigned char)kid[i] < 0x21 || (unsigned char)kid[i] > 0x7e || kid[i] == '"' ||
		    kid[i] == '\\')
			return false;
	return true;
}

int keyring_add_key(struct keyring *kr, struct signing_key *key)
{
	struct signing_key *grown;

	if (key->alg != kr->alg || kr->alg == JWT_KIND_HS256 || key->pkey == NULL ||
	    !kid_valid(key->kid) || keyring_find(kr, key->kid) != NULL)
		return -1;
	if (kr->nkeys >= SIZE_MAX / sizeof(*grown) - 1)
		return -1;
	grown = realloc(kr->keys, (kr->nkeys + 1) * sizeof(*grown));
	if (grown == NULL)
		return -1;
	kr->keys = grown;
	kr->keys[kr->nkeys++] = *key;
	keyring_changed(kr);
	memset(key, 0, sizeof(*key));
	return 0;
}

/* Never prompt: hand OpenSSL the configured passphrase or fail. */
static int pem_pass_cb(char *buf, int size, int rwflag, void *u)
{
	const char *pass = u;
	size_t len;

	(void)rwflag;
	if (pass == NULL || *pass == '\0' || size <= 0)
		return -1;
	len = strlen(pass);
	if (len > (size_t)size)
		return -1;
	memcpy(buf, pass, len);
	return (int)len;
}

static int add_parsed(struct keyring *kr, const char *kid_or_null, struct signing_key *key,
		      struct err *err)
{
	if (kid_or_null != NULL) {
		if (!kid_valid(kid_or_null))
			return err_set(err, 0, "invalid key id");
		memcpy(key->kid, kid_or_null, strlen(kid_or_null) + 1);
	} else if (thumbprint_kid(key->pkey, key->alg, key->kid) < 0) {
		return err_set(err, 0, "cannot compute the key thumbprint");
	}
	if (keyring_find(kr, key->kid) != NULL)
		return err_set(err, 0, "duplicate key id %s", key->kid);
	if (keyring_add_key(kr, key) < 0)
		return err_set(err, 0, "out of memory");
	return 0;
}

int keyring_add_private_pem(struct keyring *kr, const char *kid_or_null, const char *pem,
			    size_t len, const char *passphrase_or_null, struct err *err)
{
	struct signing_key key = {.alg = kr->alg};
	BIO *bio;

	if (kr->alg == JWT_KIND_HS256)
		return err_set(err, 0, "HS256 takes a secret, not a key file");
	if (pem == NULL || len == 0 || len > KEY_PEM_MAX)
		return err_set(err, 0, "private key PEM is empty or too large");
	bio = BIO_new_mem_buf(pem, (int)len);
	if (bio == NULL)
		return err_set(err, 0, "out of memory");
	key.pkey = PEM_read_bio_PrivateKey(bio, NULL, pem_pass_cb, (void *)passphrase_or_null);
	BIO_free(bio);
	if (key.pkey == NULL) {
		ERR_clear_error();
		return err_set(err, 0,
			       "cannot read the private key (not a PEM key, or wrong passphrase)");
	}
	if (key_fits_alg(key.pkey, kr->alg, err) < 0)
		goto out_release;
	if (fill_private_pem(&key) < 0 || fill_public_pem(&key) < 0) {
		err_set(err, 0, "cannot encode the private key");
		goto out_release;
	}
	if (add_parsed(kr, kid_or_null, &key, err) < 0)
		goto out_release;
	return 0;
out_release:
	ERR_clear_error();
	signing_key_release(&key);
	return -1;
}

int keyring_add_public_pem(struct keyring *kr, const char *kid, const char *pem, size_t len,
			   struct err *err)
{
	struct signing_key key = {.alg = kr->alg};
	BIO *bio;

	if (kr->alg == JWT_KIND_HS256)
		return err_set(err, 0, "HS256 takes a secret, not a key file");
	if (pem == NULL || len == 0 || len > KEY_PEM_MAX)
		return err_set(err, 0, "public key PEM is empty or too large");
	bio = BIO_new_mem_buf(pem, (int)len);
	if (bio == NULL)
		return err_set(err, 0, "out of memory");
	key.pkey = PEM_read_bio_PUBKEY(bio, NULL, pem_pass_cb, NULL);
	BIO_free(bio);
	if (key.pkey == NULL) {
		ERR_clear_error();
		return err_set(err, 0, "cannot read the public key PEM");
	}
	if (key_fits_alg(key.pkey, kr->alg, err) < 0)
		goto out_release;
	if (fill_public_pem(&key) < 0) {
		err_set(err, 0, "cannot encode the public key");
		goto out_release;
	}
	if (add_parsed(kr, kid, &key, err) < 0)
		goto out_release;
	return 0;
out_release:
	ERR_clear_error();
	signing_key_release(&key);
	return -1;
}

int keyring_set_hs_secret(struct keyring *kr, const unsigned char *secret, size_t len,
			  struct err *err)
{
	struct signing_key *key;

	if (kr->alg != JWT_KIND_HS256)
		return err_set(err, 0, "a shared secret needs alg HS256");
	if (secret == NULL || len < 32)
		return err_set(err, 0, "the HS256 secret must be at least 32 bytes");
	if (kr->nkeys == 0) {
		kr->keys = calloc(1, sizeof(*kr->keys));
		if (kr->keys == NULL)
			return err_set(err, 0, "out of memory");
		kr->nkeys = 1;
	}
	key = &kr->keys[0];
	signing_key_release(key);
	keyring_changed(kr);
	key->alg = JWT_KIND_HS256;
	key->secret = malloc(len);
	if (key->secret == NULL)
		return err_set(err, 0, "out of memory");
	memcpy(key->secret, secret, len);
	key->secret_len = len;
	return 0;
}

const struct signing_key *keyring_find(const struct keyring *kr, const char *kid)
{
	size_t i;

	if (kid == NULL || kr->alg == JWT_KIND_HS256)
		return NULL;
	for (i = 0; i < kr->nkeys; i++)
		if (strcmp(kr->keys[i].kid, kid) == 0)
			return &kr->keys[i];
	return NULL;
}

const struct signing_key *keyring_signing_key(const struct keyring *kr)
{
	return kr->nkeys > 0 ? &kr->keys[0] : NULL;
}
