/* SPDX-License-Identifier: Apache-2.0 */
#include "tokens/jwt_codec.h"

#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/ecdsa.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "tokens/opaque.h"
#include "tokens/verified.h"
#include "util/sbuf.h"

/* A header or payload bigger than this cannot be ours (the token is capped anyway). */
#define SEGMENT_MAX TOKENS_JWT_MAX_LEN

/* Append base64url (no padding) of in[0..len) to sb: 0, or -1 (sb failed)
 * when it would pass the cap. */
static int add_b64(struct sbuf *sb, const unsigned char *in, size_t len)
{
	size_t room = (len + 2) / 3 * 4;
	int n;

	if (sbuf_grow(sb, room) < 0)
		return -1;
	n = tokens_b64url_encode(in, len, sb->buf + sb->len, room + 1);
	if (n < 0)
		return -1;
	sbuf_setlen(sb, sb->len + (size_t)n);
	return 0;
}

/* The signature over data[0..len) with the ring's signing key, in JWS form
 * (ES256: raw R||S). 0 (sig, *sig_len) or -1. */
static int sign_bytes(const struct keyring *kr, const struct signing_key *key, const char *data,
		      size_t len, unsigned char *sig, size_t *sig_len)
{
	unsigned char der[128];
	size_t der_len = sizeof(der);
	unsigned int mac_len = 0;
	EVP_MD_CTX *ctx;
	int rc = -1;

	if (kr->alg == JWT_KIND_HS256) {
		if (HMAC(EVP_sha256(), key->secret, (int)key->secret_len,
			 (const unsigned char *)data, len, sig, &mac_len) == NULL)
			return -1;
		*sig_len = mac_len;
		return 0;
	}
	ctx = EVP_MD_CTX_new();
	if (ctx == NULL || EVP_DigestSignInit(ctx, NULL, EVP_sha256(), NULL, key->pkey) != 1)
		goto out;
	if (kr->alg == JWT_KIND_RS256) {
		if (EVP_DigestSign(ctx, sig, sig_len, (const unsigned char *)data, len) == 1)
			rc = 0;
		goto out;
	}
	/* ES256: OpenSSL gives DER; JWS wants R and S as 32 bytes each */
	if (EVP_DigestSign(ctx, der, &der_len, (const unsigned char *)data, len) == 1) {
		const unsigned char *p = der;
		ECDSA_SIG *es = d2i_ECDSA_SIG(NULL, &p, (long)der_len);

		if (es != NULL && BN_bn2binpad(ECDSA_SIG_get0_r(es), sig, 32) == 32 &&
		    BN_bn2binpad(ECDSA_SIG_get0_s(es), sig + 32, 32) == 32) {
			*sig_len = 64;
			rc = 0;
		}
		ECDSA_SIG_free(es);
	}
out:
	EVP_MD_CTX_free(ctx);
	ERR_clear_error();
	return rc;
}

/*
 * Compact JWS: base64url(header).base64url(claims).base64url(signature),
 * header {"alg","typ":"JWT","kid"} (no kid for HS256). Signed with the key
 * the ring parsed once: libjwt 1.10 would re-read the PEM on every call
 * (OpenSSL 3's decoders, about four times the cost of the RS256 signature
 * itself). The tests check our tokens against libjwt both ways.
 */
char *tokens_jwt_sign(const struct keyring *kr, const json_t *claims, struct err *err)
{
	const struct signing_key *key = keyring_signing_key(kr);
	unsigned char sig[512];
	size_t sig_len = sizeof(sig);
	struct sbuf sb = SBUF_INIT(TOKENS_JWT_MAX_LEN);
	char *header = NULL, *payload = NULL, *token = NULL;
	json_t *h;

	if (key == NULL) {
		err_set(err, 500, "no signing key");
		return NULL;
	}
	if (!json_is_object(claims)) {
		err_set(err, 500, "claims must be a JSON object");
		return NULL;
	}
	if (kr->alg == JWT_KIND_HS256
		? key->secret == NULL || key->secret_len == 0 || key->secret_len > INT_MAX
		: key->pkey == NULL || key->private_pem == NULL) {
		err_set(err, 500, "the signing key has no private part");
		return NULL;
	}
	h = kr->alg == JWT_KIND_HS256
		? json_pack("{s:s, s:s}", "alg", jwt_alg_kind_name(kr->alg), "typ", "JWT")
		: json_pack("{s:s, s:s, s:s}", "alg", jwt_alg_kind_name(kr->alg), "typ", "JWT",
			    "kid", key->kid);
	header = h != NULL ? json_dumps(h, JSON_COMPACT) : NULL;
	json_decref(h);
	payload = json_dumps(claims, JSON_COMPACT);
	if (header == NULL || payload == NULL) {
		err_set(err, 500, "cannot encode the token");
		goto out;
	}
	/* a token verify would refuse for its length is not issued either */
	if (add_b64(&sb, (unsigned char *)header, strlen(header)) < 0 || sbuf_addch(&sb, '.') < 0 ||
	    add_b64(&sb, (unsigned char *)payload, strlen(payload)) < 0 ||
	    sign_bytes(kr, key, sb.buf, sb.len, sig, &sig_len) < 0 || sbuf_addch(&sb, '.') < 0 ||
	    add_b64(&sb, sig, sig_len) < 0) {
		if (sbuf_failed(&sb))
			err_set(err, 500, "the token would pass %d bytes (or memory ran out)",
				TOKENS_JWT_MAX_LEN);
		else
			err_set(err, 500, "cannot sign the token");
		sbuf_release(&sb);
		goto out;
	}
	token = sbuf_detach(&sb, NULL);
	if (token == NULL)
		err_set(err, 500, "out of memory");
out:
	free(header);
	free(payload);
	return token;
}

/* A slice of the token: [p, p+len). */
struct seg {
	const char *p;
	size_t len;
};

/* Decode one base64url segment into a fresh buffer; NULL when invalid. */
static unsigned char *seg_decode(struct seg s, size_t *len_out)
{
	size_t cap = tokens_b64url_decoded_max(s.len);
	unsigned char *buf = malloc(cap + 1);

	if (buf == NULL)
		return NULL;
	if (tokens_b64url_decode(s.p, s.len, buf, cap, len_out) < 0) {
		free(buf);
		return NULL;
	}
	buf[*len_out] = '\0';
	return buf;
}

static json_t *seg_json_object(struct seg s)
{
	size_t len = 0;
	unsigned char *raw = seg_decode(s, &len);
	json_t *obj;

	if (raw == NULL)
		return NULL;
	obj = json_loadb((const char *)raw, len, JSON_REJECT_DUPLICATES, NULL);
	free(raw);
	if (obj != NULL && !json_is_object(obj)) {
		json_decref(obj);
		return NULL;
	}
	return obj;
}

/* Split into three non-empty base64url-alphabet segments. */
static bool token_split(const char *token, size_t len, struct seg seg[3])
{
	size_t i, n = 0, start = 0;

	for (i = 0; i <= len; i++) {
		unsigned char c = i < len ? (unsigned char)token[i] : '.';

		if (c == '.') {
			if (n == 3 || i == start)
				return false;
			seg[n].p = token + start;
			seg[n].len = i - start;
			n++;
			start = i + 1;
		} else if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
			     (c >= '0' && c <= '9') || c == '-' || c == '_')) {
			return false;
		}
	}
	return n == 3;
}

/*
 * The pre-check: everything that can be refused before a key is used.
 * Sets *key_out to the key that must verify the signature.
 */
static int header_check(const struct keyring *kr, const struct seg seg[3],
			const struct signing_key **key_out)
{
	json_t *hdr = seg_json_object(seg[0]);
	const char *alg, *typ, *kid;
	const struct signing_key *key;
	size_t want_sig;
	int rc = TOKEN_INVALID;

	if (hdr == NULL)
		return TOKEN_INVALID;
	alg = json_string_value(json_object_get(hdr, "alg"));
	if (alg == NULL || strcmp(alg, jwt_alg_kind_name(kr->alg)) != 0)
		goto out_put;
	if (json_object_get(hdr, "typ") != NULL) {
		typ = json_string_value(json_object_get(hdr, "typ"));
		if (typ == NULL || strcasecmp(typ, "JWT") != 0)
			goto out_put;
	}
	if (json_object_get(hdr, "crit") != NULL) /* we understand no extension */
		goto out_put;
	if (kr->alg == JWT_KIND_HS256) {
		key = keyring_signing_key(kr);
		if (key == NULL || key->secret == NULL)
			goto out_put;
		want_sig = 32;
	} else {
		kid = json_string_value(json_object_get(hdr, "kid"));
		key = keyring_find(kr, kid);
		if (key == NULL || key->public_pem == NULL || key->pkey == NULL)
			goto out_put;
		want_sig = kr->alg == JWT_KIND_ES256 ? 64 : (size_t)EVP_PKEY_get_size(key->pkey);
	}
	/* Signature length is fixed by the algorithm and key: unpadded base64url of want_sig bytes.
	 */
	if (seg[2].len != want_sig / 3 * 4 + (want_sig % 3 == 0 ? 0 : want_sig % 3 + 1))
		goto out_put;
	*key_out = key;
	rc = TOKEN_OK;
out_put:
	json_decref(hdr);
	return rc;
}

static bool claim_is(const json_t *claims, const char *name, const char *want)
{
	const char *have;

	if (want == NULL)
		return true;
	have = json_string_value(json_object_get(claims, name));
	return have != NULL && strcmp(have, want) == 0;
}

/* A NumericDate claim: true with *out set when present and a number. */
static bool claim_time(const json_t *claims, const char *name, bool *present, double *out)
{
	json_t *v = json_object_get(claims, name);

	*present = v != NULL;
	if (v == NULL)
		return true;
	if (!json_is_number(v))
		return false;
	*out = json_number_value(v);
	return true;
}

static int claims_check(const json_t *claims, const char *issuer, const char *purpose,
			long long now, unsigned flags)
{
	bool has_exp, has_nbf;
	double exp = 0, nbf = 0;

	if (!claim_is(claims, "iss", issuer) || !claim_is(claims, "purpose", purpose))
		return TOKEN_INVALID;
	if (!claim_time(claims, "exp", &has_exp, &exp) || !has_exp)
		return TOKEN_INVALID;
	if (!claim_time(claims, "nbf", &has_nbf, &nbf))
		return TOKEN_INVALID;
	if (has_nbf && nbf > (double)now)
		return TOKEN_INVALID;
	if (!(flags & TOKENS_VERIFY_ALLOW_EXPIRED) && exp <= (double)now)
		return TOKEN_EXPIRED;
	return TOKEN_OK;
}

/*
 * Check the signature over "header.payload" with the ring's cached key.
 * libjwt 1.10 would re-read the key's PEM on every call (a 20x slowdown
 * on RS256); the algorithm was already pinned by header_check.
 */
static bool sig_check(const struct keyring *kr, const struct signing_key *key, const char *token,
		      const struct seg seg[3])
{
	size_t data_len = (size_t)(seg[1].p + seg[1].len - token), sig_len = 0, der_len = 0;
	unsigned char *sig = seg_decode(seg[2], &sig_len), *der = NULL, mac[EVP_MAX_MD_SIZE];
	unsigned int mac_len = 0;
	EVP_MD_CTX *ctx = NULL;
	ECDSA_SIG *es = NULL;
	bool ok = false;

	if (sig == NULL)
		return false;
	if (kr->alg == JWT_KIND_HS256) {
		ok = HMAC(EVP_sha256(), key->secret, (int)key->secret_len,
			  (const unsigned char *)token, data_len, mac, &mac_len) != NULL &&
		     mac_len == sig_len && CRYPTO_memcmp(mac, sig, sig_len) == 0;
		goto out;
	}
	if (kr->alg == JWT_KIND_ES256) { /* JWS carries raw R||S; OpenSSL wants DER */
		BIGNUM *r, *sv;
		int n;

		es = ECDSA_SIG_new();
		r = BN_bin2bn(sig, 32, NULL);
		sv = BN_bin2bn(sig + 32, 32, NULL);
		if (es == NULL || r == NULL || sv == NULL || ECDSA_SIG_set0(es, r, sv) != 1) {
			BN_free(r);
			BN_free(sv);
			goto out;
		}
		n = i2d_ECDSA_SIG(es, &der);
		if (n <= 0)
			goto out;
		der_len = (size_t)n;
	}
	ctx = EVP_MD_CTX_new();
	if (ctx == NULL || EVP_DigestVerifyInit(ctx, NULL, EVP_sha256(), NULL, key->pkey) != 1)
		goto out;
	ok = EVP_DigestVerify(ctx, der ? der : sig, der ? der_len : sig_len,
			      (const unsigned char *)token, data_len) == 1;
out:
	ERR_clear_error();
	EVP_MD_CTX_free(ctx);
	ECDSA_SIG_free(es);
	OPENSSL_free(der);
	free(sig);
	return ok;
}

int tokens_jwt_verify(const struct keyring *kr, const char *token, const char *issuer,
		      const char *purpose, long long now, unsigned flags, json_t **claims_out)
{
	const struct signing_key *key = NULL;
	unsigned char digest[32];
	size_t len;
	struct seg seg[3];
	json_t *claims;
	bool seen, cacheable;
	int rc;

	if (claims_out != NULL)
		*claims_out = NULL;
	if (kr == NULL || token == NULL)
		return TOKEN_INVALID;
	len = strnlen(token, TOKENS_JWT_MAX_LEN + 1);
	if (len == 0 || len > TOKENS_JWT_MAX_LEN)
		return TOKEN_INVALID;
	/* These exact bytes passed against this ring before: the signature and
	 * the payload are what they were then; the claims are checked below. */
	/* (a ring not made by keyring_init has no generation: never cached) */
	cacheable = kr->generation != 0 && tokens_sha256(token, len, digest);
	claims = cacheable ? verified_get(kr->generation, digest) : NULL;
	seen = claims != NULL;
	if (!seen) {
		if (!token_split(token, len, seg) || header_check(kr, seg, &key) != TOKEN_OK ||
		    !sig_check(kr, key, token, seg))
			return TOKEN_INVALID;
		/* The signed payload bytes, parsed strictly (no duplicate members). */
		claims = seg_json_object(seg[1]);
		if (claims == NULL)
			return TOKEN_INVALID;
	}
	rc = claims_check(claims, issuer, purpose, now, flags);
	if (rc == TOKEN_OK && !seen && cacheable)
		verified_put(kr->generation, digest, claims);
	if (rc == TOKEN_OK && claims_out != NULL)
		*claims_out = claims;
	else
		json_decref(claims);
	return rc;
}
