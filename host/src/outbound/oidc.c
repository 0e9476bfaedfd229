/* SPDX-License-Identifier: Apache-2.0 */
/*
 * OpenID Connect relying-party helpers without I/O (outbound/oidc.h).
 */
#include "outbound/oidc.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>

#include "outbound/fetch.h"
#include "tokens/jwt_codec.h"
#include "tokens/opaque.h"
#include "util/sbuf.h"

#define URL_MAX	      8192
#define JWKS_MAX_KEYS 32

int oidc_algs_parse(const char *list, unsigned *out)
{
	unsigned bits = 0;
	const char *p = list;

	if (list == NULL)
		return -1;
	while (*p != '\0') {
		size_t n = strcspn(p, ", ");

		if (n == 5 && strncmp(p, "RS256", 5) == 0)
			bits |= OIDC_ALG_RS256;
		else if (n == 5 && strncmp(p, "ES256", 5) == 0)
			bits |= OIDC_ALG_ES256;
		else if (n > 0)
			return -1;
		p += n;
		p += strspn(p, ", ");
	}
	if (bits == 0)
		return -1;
	*out = bits;
	return 0;
}

int oidc_random(char out[OIDC_RANDOM_LEN])
{
	return tokens_random_b64url(out, OIDC_RANDOM_LEN, 32);
}

static bool verifier_ok(const char *v)
{
	size_t n = v != NULL ? strlen(v) : 0;

	return n >= 43 && n <= 128 &&
	       strspn(v, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~") == n;
}

int oidc_pkce_s256(const char *verifier, char out[OIDC_CHALLENGE_LEN])
{
	unsigned char d[32];

	if (!verifier_ok(verifier) || !tokens_sha256(verifier, strlen(verifier), d))
		return -1;
	return tokens_b64url_encode(d, sizeof(d), out, OIDC_CHALLENGE_LEN) == 43 ? 0 : -1;
}

bool oidc_pkce_matches(const char *verifier, const char *challenge)
{
	char c[OIDC_CHALLENGE_LEN];

	if (challenge == NULL || oidc_pkce_s256(verifier, c) < 0)
		return false;
	return tokens_equal_ct(c, challenge);
}

/* RFC 3986 unreserved characters stay, everything else is %XX. */
static int add_encoded(struct sbuf *sb, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";

	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		    c == '-' || c == '.' || c == '_' || c == '~') {
			sbuf_addch(sb, (char)c);
		} else {
			sbuf_addch(sb, '%');
			sbuf_addch(sb, hex[c >> 4]);
			sbuf_addch(sb, hex[c & 15]);
		}
	}
	return sbuf_failed(sb) ? -1 : 0;
}

static void add_pair(struct sbuf *sb, bool *first, const char *name, const char *value)
{
	if (value == NULL)
		return;
	if (!*first)
		sbuf_addch(sb, '&');
	*first = false;
	add_encoded(sb, name);
	sbuf_addch(sb, '=');
	add_encoded(sb, value);
}

char *oidc_form_encode(const char *const *pairs)
{
	struct sbuf sb = SBUF_INIT(URL_MAX);
	bool first = true;

	for (size_t i = 0; pairs != NULL && pairs[i] != NULL; i += 2)
		add_pair(&sb, &first, pairs[i], pairs[i + 1]);
	sbuf_addstr(&sb, "");
	return sbuf_detach(&sb, NULL);
}

char *oidc_authorize_url(const char *endpoint, const char *client_id, const char *redirect_uri,
			 const char *scope, const char *state, const char *nonce,
			 const char *challenge, const char *const *extra, struct err *err)
{
	struct sbuf sb = SBUF_INIT(URL_MAX);
	bool first = false;
	char *out;

	if (endpoint == NULL || client_id == NULL || redirect_uri == NULL || state == NULL ||
	    strpbrk(endpoint, "#") != NULL) {
		err_set(err, 500, "authorization URL incomplete");
		return NULL;
	}
	sbuf_addstr(&sb, endpoint);
	sbuf_addch(&sb, strchr(endpoint, '?') != NULL ? '&' : '?');
	sbuf_addstr(&sb, "response_type=code");
	add_pair(&sb, &first, "client_id", client_id);
	add_pair(&sb, &first, "redirect_uri", redirect_uri);
	add_pair(&sb, &first, "scope", scope != NULL ? scope : "openid");
	add_pair(&sb, &first, "state", state);
	add_pair(&sb, &first, "nonce", nonce);
	if (challenge != NULL) {
		add_pair(&sb, &first, "code_challenge", challenge);
		add_pair(&sb, &first, "code_challenge_method", "S256");
	}
	for (size_t i = 0; extra != NULL && extra[i] != NULL; i += 2)
		add_pair(&sb, &first, extra[i], extra[i + 1]);
	out = sbuf_detach(&sb, NULL);
	if (out == NULL)
		err_set(err, 500, "authorization URL too long");
	return out;
}

static char *dup_url(const json_t *doc, const char *name, bool allow_http, bool required,
		     struct err *err, int *bad)
{
	const char *s = json_string_value(json_object_get(doc, name));
	char *d;

	if (s == NULL) {
		if (required) {
			err_set(err, 502, "identity provider discovery lacks %s", name);
			*bad = 1;
		}
		return NULL;
	}
	if (strlen(s) > URL_MAX || !outbound_url_allowed(s, allow_http)) {
		err_set(err, 502, "identity provider discovery has a refused %s", name);
		*bad = 1;
		return NULL;
	}
	d = strdup(s);
	if (d == NULL) {
		err_set(err, 502, "out of memory");
		*bad = 1;
	}
	return d;
}

int oidc_discovery_parse(const char *json, size_t len, const char *expect_issuer, bool allow_http,
			 struct oidc_endpoints *out, struct err *err)
{
	json_t *doc = json_loadb(json, len, JSON_REJECT_DUPLICATES, NULL);
	const char *iss = json_string_value(json_object_get(doc, "issuer"));
	int bad = 0;

	memset(out, 0, sizeof(*out));
	if (!json_is_object(doc) || iss == NULL) {
		json_decref(doc);
		return err_set(err, 502,
			       "identity provider discovery is not a JSON object with issuer");
	}
	if (expect_issuer != NULL && strcmp(iss, expect_issuer) != 0) {
		json_decref(doc);
		return err_set(err, 502, "identity provider discovery names another issuer");
	}
	out->issuer = strdup(iss);
	out->authorization = dup_url(doc, "authorization_endpoint", allow_http, true, err, &bad);
	if (!bad)
		out->token = dup_url(doc, "token_endpoint", allow_http, true, err, &bad);
	if (!bad)
		out->jwks = dup_url(doc, "jwks_uri", allow_http, true, err, &bad);
	if (!bad)
		out->userinfo = dup_url(doc, "userinfo_endpoint", allow_http, false, err, &bad);
	json_decref(doc);
	if (bad || out->issuer == NULL) {
		oidc_endpoints_release(out);
		return bad ? -1 : err_set(err, 502, "out of memory");
	}
	return 0;
}

void oidc_endpoints_release(struct oidc_endpoints *e)
{
	free(e->issuer);
	free(e->authorization);
	free(e->token);
	free(e->userinfo);
	free(e->jwks);
	memset(e, 0, sizeof(*e));
}

/* base64url member of a JWK decoded into a malloc'd buffer, or NULL. */
static unsigned char *jwk_bytes(const json_t *k, const char *name, size_t *len)
{
	const char *s = json_string_value(json_object_get(k, name));
	size_t n, cap;
	unsigned char *b;

	if (s == NULL || (n = strlen(s)) == 0 || n > 2048)
		return NULL;
	cap = tokens_b64url_decoded_max(n);
	b = malloc(cap);
	if (b != NULL && tokens_b64url_decode(s, n, b, cap, len) < 0) {
		free(b);
		b = NULL;
	}
	return b;
}

static EVP_PKEY *pkey_from(const char *type, OSSL_PARAM_BLD *bld)
{
	OSSL_PARAM *params = OSSL_PARAM_BLD_to_param(bld);
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, type, NULL);
	EVP_PKEY *pkey = NULL;

	if (params == NULL || ctx == NULL || EVP_PKEY_fromdata_init(ctx) != 1 ||
	    EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) != 1)
		pkey = NULL;
	EVP_PKEY_CTX_free(ctx);
	OSSL_PARAM_free(params);
	return pkey;
}

static EVP_PKEY *rsa_from_jwk(const json_t *k)
{
	size_t nl = 0, el = 0;
	unsigned char *n = jwk_bytes(k, "n", &nl), *e = jwk_bytes(k, "e", &el);
	BIGNUM *bn = NULL, *be = NULL;
	OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
	EVP_PKEY *pkey = NULL;

	if (n == NULL || e == NULL || bld == NULL)
		goto out;
	bn = BN_bin2bn(n, (int)nl, NULL);
	be = BN_bin2bn(e, (int)el, NULL);
	if (bn == NULL || be == NULL ||
	    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, bn) != 1 ||
	    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, be) != 1)
		goto out;
	pkey = pkey_from("RSA", bld);
out:
	BN_free(bn);
	BN_free(be);
	OSSL_PARAM_BLD_free(bld);
	free(n);
	free(e);
	return pkey;
}

static const char *crv_of(const json_t *k)
{
	const char *crv = json_string_value(json_object_get(k, "crv"));

	return crv != NULL ? crv : "";
}

static EVP_PKEY *ec_from_jwk(const json_t *k)
{
	size_t xl = 0, yl = 0;
	unsigned char *x = jwk_bytes(k, "x", &xl), *y = jwk_bytes(k, "y", &yl);
	unsigned char pub[65];
	OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
	EVP_PKEY *pkey = NULL;

	if (x == NULL || y == NULL || xl != 32 || yl != 32 || bld == NULL ||
	    strcmp(crv_of(k), "P-256") != 0)
		goto out;
	pub[0] = 0x04; /* uncompressed point */
	memcpy(pub + 1, x, 32);
	memcpy(pub + 33, y, 32);
	if (OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0) !=
		1 ||
	    OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, pub, sizeof(pub)) != 1)
		goto out;
	pkey = pkey_from("EC", bld);
out:
	OSSL_PARAM_BLD_free(bld);
	free(x);
	free(y);
	return pkey;
}

/* Add pkey under kid to ring through its SPKI PEM (the keyring checks the
 * key fits the ring's alg, e.g. RSA >= 2048 bits). 0 or -1. */
static int ring_add(struct keyring *ring, const char *kid, EVP_PKEY *pkey)
{
	BIO *bio = BIO_new(BIO_s_mem());
	char *pem = NULL;
	long n;
	int rc = -1;

	if (bio != NULL && PEM_write_bio_PUBKEY(bio, pkey) == 1) {
		n = BIO_get_mem_data(bio, &pem);
		if (n > 0)
			rc = keyring_add_public_pem(ring, kid, pem, (size_t)n, NULL);
	}
	BIO_free(bio);
	return rc;
}

int oidc_jwks_parse(const char *json, size_t len, struct oidc_jwks *out, struct err *err)
{
	json_t *doc = json_loadb(json, len, JSON_REJECT_DUPLICATES, NULL);
	json_t *keys = json_object_get(doc, "keys"), *k;
	size_t i;

	memset(out, 0, sizeof(*out));
	keyring_init(&out->rs256, JWT_KIND_RS256);
	keyring_init(&out->es256, JWT_KIND_ES256);
	if (!json_is_array(keys)) {
		json_decref(doc);
		return err_set(err, 502, "identity provider JWKS is not a key set");
	}
	json_array_foreach(keys, i, k)
	{
		const char *kty = json_string_value(json_object_get(k, "kty"));
		const char *kid = json_string_value(json_object_get(k, "kid"));
		const char *use = json_string_value(json_object_get(k, "use"));
		const char *alg = json_string_value(json_object_get(k, "alg"));
		struct keyring *ring;
		EVP_PKEY *pkey;

		if (i >= JWKS_MAX_KEYS)
			break;
		if (kty == NULL || kid == NULL || kid[0] == '\0' || strlen(kid) >= 64 ||
		    (use != NULL && strcmp(use, "sig") != 0) || json_object_get(k, "d") != NULL)
			continue;
		if (strcmp(kty, "RSA") == 0 && (alg == NULL || strcmp(alg, "RS256") == 0)) {
			ring = &out->rs256;
			pkey = rsa_from_jwk(k);
		} else if (strcmp(kty, "EC") == 0 && (alg == NULL || strcmp(alg, "ES256") == 0)) {
			ring = &out->es256;
			pkey = ec_from_jwk(k);
		} else {
			continue;
		}
		if (pkey != NULL && ring_add(ring, kid, pkey) == 0)
			out->nkeys++;
		EVP_PKEY_free(pkey);
	}
	ERR_clear_error();
	json_decref(doc);
	return 0;
}

void oidc_jwks_release(struct oidc_jwks *j)
{
	keyring_release(&j->rs256);
	keyring_release(&j->es256);
	j->nkeys = 0;
}

/* iss against x->issuer, or x->issuer_template with {tenantid} = tid. */
static bool issuer_ok(const json_t *claims, const struct oidc_expect *x)
{
	const char *iss = json_string_value(json_object_get(claims, "iss"));
	const char *tid, *at;
	size_t pre;

	if (iss == NULL)
		return false;
	if (x->issuer != NULL)
		return strcmp(iss, x->issuer) == 0;
	if (x->issuer_template == NULL || (at = strstr(x->issuer_template, "{tenantid}")) == NULL)
		return false;
	tid = json_string_value(json_object_get(claims, "tid"));
	if (tid == NULL || tid[0] == '\0' || strpbrk(tid, "/?#") != NULL)
		return false;
	pre = (size_t)(at - x->issuer_template);
	return strncmp(iss, x->issuer_template, pre) == 0 &&
	       strncmp(iss + pre, tid, strlen(tid)) == 0 &&
	       strcmp(iss + pre + strlen(tid), at + strlen("{tenantid}")) == 0;
}

static bool audience_ok(const json_t *claims, const char *client_id)
{
	const json_t *aud = json_object_get(claims, "aud"), *v;
	const char *azp = json_string_value(json_object_get(claims, "azp"));
	bool found = false;
	size_t i;

	if (json_object_get(claims, "azp") != NULL && (azp == NULL || strcmp(azp, client_id) != 0))
		return false;
	if (json_is_string(aud))
		return strcmp(json_string_value(aud), client_id) == 0;
	if (!json_is_array(aud) || json_array_size(aud) == 0)
		return false;
	json_array_foreach(aud, i, v)
	{
		if (json_is_string(v) && strcmp(json_string_value(v), client_id) == 0)
			found = true;
	}
	/* several audiences: azp must name us (OIDC Core 3.1.3.7) */
	return found && (json_array_size(aud) == 1 || azp != NULL);
}

static bool time_claim(const json_t *claims, const char *name, bool required, long long *out)
{
	const json_t *v = json_object_get(claims, name);

	if (v == NULL)
		return !required;
	if (!json_is_number(v))
		return false;
	*out = (long long)json_number_value(v);
	return true;
}

int oidc_claims_check(const json_t *claims, const struct oidc_expect *x, struct err *err)
{
	long long exp = 0, iat = 0, nbf = x->now;
	const char *sub = json_string_value(json_object_get(claims, "sub"));
	const char *nonce = json_string_value(json_object_get(claims, "nonce"));

	if (!json_is_object(claims))
		return err_set(err, 401, "ID token is not a claim set");
	if (!issuer_ok(claims, x))
		return err_set(err, 401, "ID token issuer does not match");
	if (x->client_id == NULL || !audience_ok(claims, x->client_id))
		return err_set(err, 401, "ID token audience does not match");
	if (!time_claim(claims, "exp", true, &exp) || !time_claim(claims, "iat", true, &iat) ||
	    !time_claim(claims, "nbf", false, &nbf))
		return err_set(err, 401, "ID token lacks exp or iat");
	if (exp <= x->now - x->skew)
		return err_set(err, 401, "ID token expired");
	if (iat > x->now + x->skew || nbf > x->now + x->skew)
		return err_set(err, 401, "ID token not valid yet");
	if (x->nonce != NULL && (nonce == NULL || !tokens_equal_ct(nonce, x->nonce)))
		return err_set(err, 401, "ID token nonce does not match");
	if (sub == NULL || sub[0] == '\0' || strlen(sub) > 255)
		return err_set(err, 401, "ID token has no subject");
	return 0;
}

/* alg and kid of the token's header (copied into alg/kid), or -1. */
static int header_peek(const char *token, char alg[8], char kid[64])
{
	const char *dot = strchr(token, '.');
	unsigned char buf[1024];
	size_t n = 0;
	json_t *h;
	const char *a, *k;
	int rc = -1;

	if (dot == NULL || (size_t)(dot - token) > 1300 ||
	    tokens_b64url_decode(token, (size_t)(dot - token), buf, sizeof(buf), &n) < 0)
		return -1;
	h = json_loadb((const char *)buf, n, JSON_REJECT_DUPLICATES, NULL);
	a = json_string_value(json_object_get(h, "alg"));
	k = json_string_value(json_object_get(h, "kid"));
	if (a != NULL && strlen(a) < 8 && k != NULL && strlen(k) < 64) {
		memcpy(alg, a, strlen(a) + 1);
		memcpy(kid, k, strlen(k) + 1);
		rc = 0;
	}
	json_decref(h);
	return rc;
}

enum oidc_check oidc_id_token_check(const struct oidc_jwks *keys, const char *token,
				    const struct oidc_expect *x, json_t **claims_out,
				    struct err *err)
{
	const struct keyring *ring;
	char alg[8], kid[64];
	json_t *claims = NULL;

	*claims_out = NULL;
	if (token == NULL || strlen(token) > TOKENS_JWT_MAX_LEN ||
	    header_peek(token, alg, kid) < 0) {
		err_set(err, 401, "ID token malformed");
		return OIDC_INVALID;
	}
	if (strcmp(alg, "RS256") == 0 && (x->algs & OIDC_ALG_RS256)) {
		ring = &keys->rs256;
	} else if (strcmp(alg, "ES256") == 0 && (x->algs & OIDC_ALG_ES256)) {
		ring = &keys->es256;
	} else {
		err_set(err, 401, "ID token algorithm not accepted");
		return OIDC_INVALID;
	}
	if (keyring_find(ring, kid) == NULL)
		return OIDC_UNKNOWN_KID;
	/* exp and nbf are judged below with the skew; the codec checks the
	 * header strictly and the signature with the pinned ring */
	if (tokens_jwt_verify(ring, token, NULL, NULL, x->now + x->skew,
			      TOKENS_VERIFY_ALLOW_EXPIRED, &claims) != TOKEN_OK) {
		err_set(err, 401, "ID token signature does not verify");
		return OIDC_INVALID;
	}
	if (oidc_claims_check(claims, x, err) < 0) {
		json_decref(claims);
		return OIDC_INVALID;
	}
	*claims_out = claims;
	return OIDC_VALID;
}
