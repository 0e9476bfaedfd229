/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cognito: login with an Amazon Cognito user pool, the seed's routes
 *
 *   POST /auth/cognito                 start (form: client_id, client_secret, state)
 *   GET  /auth/cognito                 start (query; deprecated: the secret is in the URL)
 *   GET  /auth/cognito-auth-redirect   Cognito's callback
 *
 * Issuer https://cognito-idp.<region>.amazonaws.com/<user_pool_id>; the
 * hosted UI's endpoints come from its discovery document. The identity
 * is sub; email_verified may arrive as the string "true".
 * The host does the work (login transaction, PKCE, discovery, code
 * exchange, ID-token checks, the local user); see docs/providers.md.
 */
#include <authsvc/provider.h>

static const struct authsvc_setting cognito_settings[] = {
    {.key = "region", .type = AUTHSVC_SET_STRING, .help = "AWS region of the user pool"},
    {.key = "user_pool_id", .type = AUTHSVC_SET_STRING, .help = "e.g. eu-west-1_AbCdEf"},
    AUTHSVC_OIDC_SETTINGS,
    {0},
};

static const struct authsvc_field start_fields[] = {
    AUTHSVC_PROVIDER_START_FIELDS,
    {0},
};

static const struct authsvc_route cognito_routes[] = {
    {"POST", "/auth/cognito", authsvc_provider_start,
     AUTHSVC_ROUTE_CLIENT_AUTH | AUTHSVC_ROUTE_FORM_ONLY, start_fields},
    {"GET", "/auth/cognito", authsvc_provider_start, AUTHSVC_ROUTE_CLIENT_AUTH, NULL},
    {"GET", "/auth/cognito-auth-redirect", authsvc_provider_callback, 0, NULL},
    {0},
};

static const struct authsvc_oidc_defaults cognito_defaults = {
    AUTHSVC_OIDC_DEFAULTS_HEADER,
    .issuer = "https://cognito-idp.{region}.amazonaws.com/{user_pool_id}",
    .scope = "openid email profile",
    .algs = "RS256",
};

static int cognito_init(const struct authsvc_host *host, const struct authsvc_cfg *cfg,
			void **state_out, struct authsvc_err *err)
{
	return authsvc_provider_new(host, cfg, &cognito_defaults, NULL, NULL, state_out, err);
}

AUTHSVC_EXPORT const struct authsvc_plugin authsvc_plugin = {
    AUTHSVC_PLUGIN_HEADER,	   .name = "cognito",	     .version = "1.0.0",
    .settings = cognito_settings,  .routes = cognito_routes, .init = cognito_init,
    .fini = authsvc_provider_fini,
};
