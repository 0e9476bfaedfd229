/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Social and enterprise logins (docs/providers.md): the core's half of a
 * login at an OpenID Connect provider. A provider plugin holds only its
 * defaults and claim mapping; the host API's oidc_* functions
 * (plugins/hostapi.c) build a struct social_provider from the instance's
 * settings, and its routes call core_social_start and
 * core_social_callback.
 *
 * Start: the client (authenticated by the pipeline, or for a public
 * start found by client_id and required to be public), a login
 * transaction in the database (state, PKCE verifier, nonce, the caller's
 * state, the app's client_challenge), a short-lived HttpOnly cookie that
 * binds it to the browser, then 302 to the provider.
 *
 * Callback: the transaction taken (single use) by state and cookie, the
 * code exchanged with the verifier, the ID token verified, the identity
 * turned into a local user (match by (provider, subject), link by a
 * verified e-mail where allowed, sign up where allowed), then the login
 * finished as a password login is (core/finish.c) and the browser sent to
 * the client's redirect URL with the code. Workers only.
 */
#ifndef AUTHSVC_CORE_SOCIAL_H
#define AUTHSVC_CORE_SOCIAL_H

#include <stdbool.h>

#include <jansson.h>

#include "authsvc/plugin.h"
#include "outbound/provider.h"

/* A plugin's extra check of the ID token's claims (Google's hd). OK, or
 * DENIED to refuse the login. */
typedef enum authsvc_status (*social_claims_fn)(void *state, const json_t *claims);

struct social_conf {
	struct oidc_provider_conf oidc;
	const char *subject_claim;   /* "sub"; Azure "oid" */
	const char *email_claim;     /* "email"; Azure "email" or "upn" */
	bool email_verified_implied; /* the provider only asserts verified e-mails */
	bool link_by_email;
	bool signup;
	const char *signup_tenant, *signup_role;
	int tx_ttl_s;
	bool cookie_secure;
	const char *const *auth_params; /* name/value pairs, NULL-terminated; copied */
	social_claims_fn claims_check;
	void *claims_state;
	/* plain OAuth 2.0 (oidc.no_id_token): the identity is the profile's
	 * subject_claim, from GET userinfo_url?fields=profile_fields */
	const char *profile_fields;
	bool appsecret_proof;	    /* Graph API: HMAC-SHA256 of the token with the secret */
	bool token_in_query;	    /* profile GET: ?access_token=, no Bearer header */
	const char *username_claim; /* sign-up without e-mail: the username (Instagram) */
	/* response_mode=form_post (Apple): the callback is a cross-site POST
	 * (the browser-binding cookie is SameSite=None; Secure), its fields
	 * come from the form, and its `user` JSON names a signed-up account */
	bool form_post;
};

struct social_provider;

struct social_provider *core_social_new(const struct social_conf *c, struct err *err);
void core_social_free(struct social_provider *sp);

enum social_start_flags {
	SOCIAL_PUBLIC_START = 1 << 0, /* client_id + client_challenge, no secret (autha GET) */
};

enum authsvc_status core_social_start(struct authsvc_req *req, struct social_provider *sp,
				      uint32_t flags);
enum authsvc_status core_social_callback(struct authsvc_req *req, struct social_provider *sp);

/* The redirect target: url plus "?" or "&" (when url already has a query)
 * plus query (no leading separator). Malloc'd, or NULL. Pure, for tests. */
char *core_url_append_query(const char *url, const char *query);

#endif
