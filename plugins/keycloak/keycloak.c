/* SPDX-License-Identifier: Apache-2.0 */
/*
 * keycloak: login with a Keycloak realm (or any OpenID Connect provider
 * configured by issuer), the seed's routes
 *
 *   POST /auth/keycloak                 start (form: client_id, client_secret, state)
 *   GET  /auth/keycloak                 start (query; deprecated: the secret is in the URL)
 *   GET  /auth/keycloak-auth-redirect   the provider's callback
 *
 * The host does the work (login transaction, PKCE, discovery, code
 * exchange, ID-token checks, the local user); this plugin holds only the
 * defaults: the issuer is the realm's URL, https://<host>/realms/<realm>,
 * and the identity is the token's sub. See docs/providers.md.
 */
#include <authsvc/provider.h>

static const struct authsvc_setting keycloak_settings[] = {
    AUTHSVC_OIDC_SETTINGS,
    {0},
};

static const struct authsvc_field start_fields[] = {
    AUTHSVC_PROVIDER_START_FIELDS,
    {0},
};

static const struct authsvc_route keycloak_routes[] = {
    {"POST", "/auth/keycloak", authsvc_provider_start,
     AUTHSVC_ROUTE_CLIENT_AUTH | AUTHSVC_ROUTE_FORM_ONLY, start_fields},
    {"GET", "/auth/keycloak", authsvc_provider_start, AUTHSVC_ROUTE_CLIENT_AUTH, NULL},
    {"GET", "/auth/keycloak-auth-redirect", authsvc_provider_callback, 0, NULL},
    {0},
};

static const struct authsvc_oidc_defaults keycloak_defaults = {
    AUTHSVC_OIDC_DEFAULTS_HEADER,
    .scope = "openid email profile",
    .algs = "RS256",
};

static int keycloak_init(const struct authsvc_host *host, const struct authsvc_cfg *cfg,
			 void **state_out, struct authsvc_err *err)
{
	return authsvc_provider_new(host, cfg, &keycloak_defaults, NULL, NULL, state_out, err);
}

AUTHSVC_EXPORT const struct authsvc_plugin authsvc_plugin = {
    AUTHSVC_PLUGIN_HEADER,	   .name = "keycloak",	      .version = "1.0.0",
    .settings = keycloak_settings, .routes = keycloak_routes, .init = keycloak_init,
    .fini = authsvc_provider_fini,
};
