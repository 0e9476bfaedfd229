/* SPDX-License-Identifier: Apache-2.0 */
/*
 * gitlab: an OpenID Connect provider plugin as a third party writes one,
 * against the installed SDK only (ABI 1.3; docs/providers.md, "Writing a
 * provider plugin"), with the helpers of <authsvc/provider.h>. GitLab (gitlab.com or a self-managed
 * instance) is an OpenID Connect provider; the host does the whole login, this file only names the
 * routes and the defaults.
 *
 *   POST /auth/gitlab            start (form: client_id, client_secret, state)
 *   GET  /auth/gitlab-redirect   GitLab's callback
 *
 *   gitlab = { file = "gitlab.so"; settings = {
 *     host = "gitlab.example.com";         # default issuer https://{host}
 *     client_id = "…"; client_secret_env = "GITLAB_CLIENT_SECRET";
 *     redirect_uri = "https://auth.example.com/auth/gitlab-redirect"; }; };
 */
#include <authsvc/provider.h>

static const struct authsvc_setting gitlab_settings[] = {
    {.key = "host", .type = AUTHSVC_SET_STRING, .def_str = "gitlab.com", .help = "GitLab host"},
    AUTHSVC_OIDC_SETTINGS,
    {0},
};

static const struct authsvc_field start_fields[] = {
    AUTHSVC_PROVIDER_START_FIELDS,
    {0},
};

static const struct authsvc_route gitlab_routes[] = {
    {"POST", "/auth/gitlab", authsvc_provider_start,
     AUTHSVC_ROUTE_CLIENT_AUTH | AUTHSVC_ROUTE_FORM_ONLY, start_fields},
    {"GET", "/auth/gitlab-redirect", authsvc_provider_callback, 0, NULL},
    {0},
};

static const struct authsvc_oidc_defaults gitlab_defaults = {
    AUTHSVC_OIDC_DEFAULTS_HEADER,
    .issuer = "https://{host}",
    .scope = "openid email profile",
    .algs = "RS256",
};

static int gitlab_init(const struct authsvc_host *host, const struct authsvc_cfg *cfg,
		       void **state_out, struct authsvc_err *err)
{
	return authsvc_provider_new(host, cfg, &gitlab_defaults, NULL, NULL, state_out, err);
}

AUTHSVC_EXPORT const struct authsvc_plugin authsvc_plugin = {
    AUTHSVC_PLUGIN_HEADER,	   .name = "gitlab",	    .version = "0.1.0",
    .settings = gitlab_settings,   .routes = gitlab_routes, .init = gitlab_init,
    .fini = authsvc_provider_fini,
};
