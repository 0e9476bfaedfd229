/* SPDX-License-Identifier: Apache-2.0 */
/*
 * One OpenID Connect provider as the host uses it: its configuration, a
 * cache of its discovery document and of its JWKS, and the calls of a
 * login (authorization URL, code exchange, ID-token verification,
 * userinfo). Made on the main thread at start; the calls are made from
 * worker threads, concurrently (the caches are behind a mutex; a JWKS in
 * use stays alive while a refresh replaces it).
 *
 * Endpoints come from the configuration when set (authorization_url,
 * token_url, jwks_url, userinfo_url), else from discovery (discovery_url,
 * or issuer + "/.well-known/openid-configuration"), cached for
 * discovery_ttl_s. The JWKS is fetched on first use and again when an ID
 * token names an unknown kid, at most once per jwks_min_refresh_s (a flood
 * of forged kids cannot make us hammer the provider).
 */
#ifndef AUTHSVC_OUTBOUND_PROVIDER_H
#define AUTHSVC_OUTBOUND_PROVIDER_H

#include <stdbool.h>

#include <jansson.h>

#include "outbound/fetch.h"
#include "outbound/oidc.h"

enum oidc_token_auth {
	OIDC_AUTH_BASIC = 0,	   /* client_secret_basic */
	OIDC_AUTH_POST,		   /* client_secret_post */
	OIDC_AUTH_PRIVATE_KEY_JWT, /* reserved: a client assertion the host signs */
	OIDC_AUTH_APPLE_SECRET,	   /* client_secret_post of an ES256 JWT the host signs (Apple) */
};

/* Sign in with Apple's client secret: an ES256 JWT with kid = key_id,
 * iss = team_id, sub = client_id, aud = audience, iat, exp = iat + ttl;
 * signed when first needed, reused, and signed anew once less than a
 * quarter of its life is left. */
struct oidc_apple_secret {
	const char *team_id, *key_id;
	const char *key_pem;  /* the team's private key (PKCS#8 PEM); copied, wiped */
	const char *audience; /* "https://appleid.apple.com" */
	int ttl_s;	      /* 0: 3600 */
};

struct oidc_provider_conf {
	const char *name; /* the instance: "keycloak", "google", ... */
	const char *issuer;
	const char *issuer_template; /* Azure common/organizations: ".../{tenantid}/v2.0" */
	const char *discovery_url;
	const char *authorization_url, *token_url, *userinfo_url, *jwks_url;
	const char *client_id, *client_secret;
	const char *redirect_uri;
	const char *scope;
	unsigned algs;	  /* enum oidc_alg bits */
	bool no_id_token; /* plain OAuth 2.0 (Facebook, Instagram): no JWKS, no discovery */
	enum oidc_token_auth token_auth;
	struct oidc_apple_secret apple; /* with OIDC_AUTH_APPLE_SECRET */
	long skew_s;
	int discovery_ttl_s;	/* 0: 3600 */
	int jwks_min_refresh_s; /* 0: 30 */
	struct outbound_opts http;
};

struct oidc_provider;

/* Copy conf; nothing is fetched yet. NULL with err filled. */
struct oidc_provider *oidc_provider_new(const struct oidc_provider_conf *conf, struct err *err);
void oidc_provider_free(struct oidc_provider *p);
const char *oidc_provider_name(const struct oidc_provider *p);

/* The authorization URL for a new login (malloc'd), with extra
 * name/value pairs (NULL-terminated; may be NULL). NULL with err (502/504
 * when discovery is needed and fails). */
char *oidc_provider_authorize_url(struct oidc_provider *p, const char *state, const char *nonce,
				  const char *challenge, const char *const *extra, struct err *err);

/* Exchange code (with the PKCE verifier) at the token endpoint: 0 with
 * *tokens_out the token response (new reference), or -1 with err: 401 when
 * the provider refused the code (invalid_grant, invalid_client), 502/504
 * when it could not be asked. */
int oidc_provider_exchange(struct oidc_provider *p, const char *code, const char *verifier,
			   json_t **tokens_out, struct err *err);

/* The client secret an OIDC_AUTH_APPLE_SECRET provider sends now
 * (malloc'd; the caller wipes and frees it), signed at time now, or NULL
 * with err. oidc_provider_exchange calls it. */
char *oidc_provider_apple_secret(struct oidc_provider *p, long long now, struct err *err);

/* Verify an ID token for this provider and nonce at time now: 0 with
 * *claims_out (new reference), or -1 with err (401 invalid, 502/504 when the
 * JWKS cannot be fetched). */
int oidc_provider_verify(struct oidc_provider *p, const char *id_token, const char *nonce,
			 long long now, json_t **claims_out, struct err *err);

/* The userinfo endpoint's claims for access_token: 0 with *out, -1 with
 * err. A provider without a userinfo endpoint: -1 with err 502. */
int oidc_provider_userinfo(struct oidc_provider *p, const char *access_token, json_t **out,
			   struct err *err);

/* A plain OAuth 2.0 provider's profile (Graph API /me): GET the userinfo
 * endpoint plus the NULL-terminated name/value pairs of query (fields,
 * appsecret_proof, access_token), the access token as a Bearer header
 * unless access_token is NULL (then query carries it). 0 with *out, or
 * -1 with err (401 when the provider refuses the token, else 502/504). */
int oidc_provider_profile(struct oidc_provider *p, const char *access_token,
			  const char *const *query, json_t **out, struct err *err);

#endif
