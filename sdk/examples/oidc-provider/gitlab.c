/* SPDX-License-Identifier: Apache-2.0 */
/*
 * gitlab: an OpenID Connect provider plugin as a third party writes one,
 * against the installed SDK only (ABI 1.3; docs/providers.md, "Writing a
 * provider plugin"). GitLab (gitlab.com or a self-managed instance) is an
 * OpenID Connect provider; the host does the whole login, this file only
 * names the routes and the defaults.
 *
 *   POST /auth/gitlab            start (form: client_id, client_secret, state)
 *   GET  /auth/gitlab-redirect   GitLab's callback
 *
 *   gitlab = { file = "gitlab.so"; settings = {
 *     host = "gitlab.example.com";         # default issuer https://{host}
 *     client_id = "…"; client_secret_env = "GITLAB_CLIENT_SECRET";
 *     redirect_uri = "https://auth.example.com/auth/gitlab-redirect"; }; };
 */
#include <stdio.h>
#include <stdlib.h>

#include <authsvc/plugin.h>

struct gitlab {
	const struct authsvc_host *host;
	struct authsvc_oidc *oidc;
};

static const struct authsvc_setting gitlab_settings[] = {
    {.key = "host", .type = AUTHSVC_SET_STRING, .def_str = "gitlab.com", .help = "GitLab host"},
    AUTHSVC_OIDC_SETTINGS,
    {0},
};

static const struct authsvc_field start_fields[] = {
    {"client_id", AUTHSVC_FIELD_STRING, 1},
    {"client_secret", AUTHSVC_FIELD_STRING, 0},
    {"state", AUTHSVC_FIELD_STRING, 0},
    {0},
};

static enum authsvc_status gitlab_start(void *state, void *tstate, struct authsvc_req *req)
{
	struct gitlab *g = state;

	(void)tstate;
	return g->host->oidc_start(req, g->oidc, 0);
}

static enum authsvc_status gitlab_callback(void *state, void *tstate, struct authsvc_req *req)
{
	struct gitlab *g = state;

	(void)tstate;
	return g->host->oidc_callback(req, g->oidc);
}

static const struct authsvc_route gitlab_routes[] = {
    {"POST", "/auth/gitlab", gitlab_start, AUTHSVC_ROUTE_CLIENT_AUTH | AUTHSVC_ROUTE_FORM_ONLY,
     start_fields},
    {"GET", "/auth/gitlab-redirect", gitlab_callback, 0, NULL},
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
	struct gitlab *g;

	if (host->abi_major != AUTHSVC_ABI_MAJOR ||
	    !AUTHSVC_HAS(struct authsvc_host, host, oidc_callback)) {
		snprintf(err->msg, sizeof(err->msg), "host API too old (needs 1.3)");
		return -1;
	}
	g = calloc(1, sizeof(*g));
	if (g == NULL) {
		snprintf(err->msg, sizeof(err->msg), "out of memory");
		return -1;
	}
	g->host = host;
	if (host->oidc_new(cfg, &gitlab_defaults, g, &g->oidc, err) < 0) {
		free(g);
		return -1;
	}
	*state_out = g;
	return 0;
}

static void gitlab_fini(void *state)
{
	struct gitlab *g = state;

	g->host->oidc_free(g->oidc);
	free(g);
}

AUTHSVC_EXPORT const struct authsvc_plugin authsvc_plugin = {
    AUTHSVC_PLUGIN_HEADER,   .name = "gitlab",	  .version = "0.1.0",  .settings = gitlab_settings,
    .routes = gitlab_routes, .init = gitlab_init, .fini = gitlab_fini,
};
