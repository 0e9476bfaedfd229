/* SPDX-License-Identifier: Apache-2.0 */
/*
 * apple: Sign in with Apple, the seed's routes
 *
 *   POST /auth/oauth-apple              start (form: client_id, client_secret, state)
 *   GET  /auth/apple-oauth-redirect     the provider's callback (query)
 *   POST /auth/apple-oauth-redirect     the same with response_mode=form_post,
 *                                       which Apple uses whenever name or e-mail
 *                                       is asked for
 *
 * The host does the work: the client secret is an ES256 JWT it signs with
 * the team's key (team_id, key_id, private_key_file), the ID token is
 * checked against Apple's JWKS (iss, aud, nonce, exp; email_verified comes
 * as a string), the `user` JSON of the first form_post names a new account
 * only, and the browser-binding cookie is SameSite=None; Secure so that the
 * cross-site POST carries it. Private-relay addresses are ordinary e-mails.
 * See docs/providers.md.
 */
#include <authsvc/provider.h>

static const struct authsvc_setting apple_settings[] = {
    AUTHSVC_OIDC_SETTINGS,
    AUTHSVC_OIDC_APPLE_SETTINGS,
    {0},
};

static const struct authsvc_field start_fields[] = {
    AUTHSVC_PROVIDER_START_FIELDS,
    {0},
};

static const struct authsvc_field callback_fields[] = {
    {"state", AUTHSVC_FIELD_STRING, 0},	   {"code", AUTHSVC_FIELD_STRING, 0},
    {"id_token", AUTHSVC_FIELD_STRING, 0}, {"user", AUTHSVC_FIELD_STRING, 0},
    {"error", AUTHSVC_FIELD_STRING, 0},	   {0},
};

static const struct authsvc_route apple_routes[] = {
    {"POST", "/auth/oauth-apple", authsvc_provider_start,
     AUTHSVC_ROUTE_CLIENT_AUTH | AUTHSVC_ROUTE_FORM_ONLY, start_fields},
    {"GET", "/auth/apple-oauth-redirect", authsvc_provider_callback, 0, NULL},
    {"POST", "/auth/apple-oauth-redirect", authsvc_provider_callback, AUTHSVC_ROUTE_FORM_ONLY,
     callback_fields},
    {0},
};

static const char *const apple_auth_params[] = {"response_mode", "form_post", NULL};

static const struct authsvc_oidc_defaults apple_defaults = {
    AUTHSVC_OIDC_DEFAULTS_HEADER,     .issuer = "https://appleid.apple.com",
    .scope = "openid name email",     .algs = "RS256",
    .auth_params = apple_auth_params, .flags = AUTHSVC_OIDC_FORM_POST | AUTHSVC_OIDC_APPLE_SECRET,
};

static int apple_init(const struct authsvc_host *host, const struct authsvc_cfg *cfg,
		      void **state_out, struct authsvc_err *err)
{
	return authsvc_provider_new(host, cfg, &apple_defaults, NULL, NULL, state_out, err);
}

AUTHSVC_EXPORT const struct authsvc_plugin authsvc_plugin = {
    AUTHSVC_PLUGIN_HEADER,	   .name = "apple",	   .version = "1.0.0",
    .settings = apple_settings,	   .routes = apple_routes, .init = apple_init,
    .fini = authsvc_provider_fini,
};
