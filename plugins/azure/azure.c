/* SPDX-License-Identifier: Apache-2.0 */
/*
 * azure: login with Microsoft Entra ID (Azure AD), v2.0 endpoints, the seed's routes
 *
 *   POST /auth/azure                  start (form: client_id, client_secret, state)
 *   GET  /auth/azure                  start (query; deprecated: the secret is in the URL)
 *   GET  /auth/azure-oauth-redirect   Microsoft's callback
 *
 * Issuer https://login.microsoftonline.com/<tenant>/v2.0. The identity
 * is the oid claim (the same user in every app of the tenant), not sub.
 * tenant = common or organizations: the ID token's issuer is checked
 * against the template .../{tenantid}/v2.0 with the token's tid.
 * The host does the work (login transaction, PKCE, discovery, code
 * exchange, ID-token checks, the local user); see docs/providers.md.
 */
#include <authsvc/provider.h>

static const struct authsvc_setting azure_settings[] = {
    {.key = "tenant",
     .type = AUTHSVC_SET_STRING,
     .def_str = "organizations",
     .help = "directory (tenant) id, or common / organizations"},
    AUTHSVC_OIDC_SETTINGS,
    {0},
};

static const struct authsvc_field start_fields[] = {
    AUTHSVC_PROVIDER_START_FIELDS,
    {0},
};

static const struct authsvc_route azure_routes[] = {
    {"POST", "/auth/azure", authsvc_provider_start,
     AUTHSVC_ROUTE_CLIENT_AUTH | AUTHSVC_ROUTE_FORM_ONLY, start_fields},
    {"GET", "/auth/azure", authsvc_provider_start, AUTHSVC_ROUTE_CLIENT_AUTH, NULL},
    {"GET", "/auth/azure-oauth-redirect", authsvc_provider_callback, 0, NULL},
    {0},
};

static const char *const azure_auth_params[] = {"response_mode", "query", NULL};

static const struct authsvc_oidc_defaults azure_defaults = {
    AUTHSVC_OIDC_DEFAULTS_HEADER,
    .issuer = "https://login.microsoftonline.com/{tenant}/v2.0",
    .issuer_template = "https://login.microsoftonline.com/{tenantid}/v2.0",
    .scope = "openid email profile offline_access",
    .algs = "RS256",
    .subject_claim = "oid",
    .auth_params = azure_auth_params,
};

static int azure_init(const struct authsvc_host *host, const struct authsvc_cfg *cfg,
		      void **state_out, struct authsvc_err *err)
{
	return authsvc_provider_new(host, cfg, &azure_defaults, NULL, NULL, state_out, err);
}

AUTHSVC_EXPORT const struct authsvc_plugin authsvc_plugin = {
    AUTHSVC_PLUGIN_HEADER,	   .name = "azure",	   .version = "1.0.0",
    .settings = azure_settings,	   .routes = azure_routes, .init = azure_init,
    .fini = authsvc_provider_fini,
};
