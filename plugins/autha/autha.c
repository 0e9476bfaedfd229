/* SPDX-License-Identifier: Apache-2.0 */
/*
 * autha: login with an autha (Auth0-style) tenant, the seed's routes
 *
 *   POST /auth/autha            start (form: client_id, client_secret, state)
 *   GET  /auth/autha            public-client start (query: client_id,
 *                               client_challenge, client_challenge_method=S256)
 *   GET  /auth/autha-redirect   the tenant's callback
 *
 * Issuer https://<domain>/. The public start binds the app's challenge
 * to the code; POST /auth/token then needs the matching code_verifier.
 * The host does the work (login transaction, PKCE, discovery, code
 * exchange, ID-token checks, the local user); see docs/providers.md.
 */
#include <authsvc/provider.h>

static const struct authsvc_setting autha_settings[] = {
    {.key = "domain",
     .type = AUTHSVC_SET_STRING,
     .help = "tenant domain, e.g. example.eu.autha.com"},
    AUTHSVC_OIDC_SETTINGS,
    {0},
};

static const struct authsvc_field start_fields[] = {
    AUTHSVC_PROVIDER_START_FIELDS,
    {0},
};

static const struct authsvc_route autha_routes[] = {
    {"POST", "/auth/autha", authsvc_provider_start,
     AUTHSVC_ROUTE_CLIENT_AUTH | AUTHSVC_ROUTE_FORM_ONLY, start_fields},
    {"GET", "/auth/autha", authsvc_provider_start_public, 0, NULL},
    {"GET", "/auth/autha-redirect", authsvc_provider_callback, 0, NULL},
    {0},
};

static const struct authsvc_oidc_defaults autha_defaults = {
    AUTHSVC_OIDC_DEFAULTS_HEADER,
    .issuer = "https://{domain}/",
    .scope = "openid email profile",
    .algs = "RS256",
};

static int autha_init(const struct authsvc_host *host, const struct authsvc_cfg *cfg,
		      void **state_out, struct authsvc_err *err)
{
	return authsvc_provider_new(host, cfg, &autha_defaults, NULL, NULL, state_out, err);
}

AUTHSVC_EXPORT const struct authsvc_plugin authsvc_plugin = {
    AUTHSVC_PLUGIN_HEADER,	   .name = "autha",	   .version = "1.0.0",
    .settings = autha_settings,	   .routes = autha_routes, .init = autha_init,
    .fini = authsvc_provider_fini,
};
