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
#include <stdio.h>
#include <stdlib.h>

#include <authsvc/plugin.h>

struct keycloak {
	const struct authsvc_host *host;
	struct authsvc_oidc *oidc;
};

static const struct authsvc_setting keycloak_settings[] = {
    AUTHSVC_OIDC_SETTINGS,
    {0},
};

static const struct authsvc_field start_fields[] = {
    {"client_id", AUTHSVC_FIELD_STRING, 1},
    {"client_secret", AUTHSVC_FIELD_STRING, 0},
    {"state", AUTHSVC_FIELD_STRING, 0},
    {0},
};

static enum authsvc_status keycloak_start(void *state, void *tstate, struct authsvc_req *req)
{
	struct keycloak *k = state;

	(void)tstate;
	return k->host->oidc_start(req, k->oidc, 0);
}

static enum authsvc_status keycloak_callback(void *state, void *tstate, struct authsvc_req *req)
{
	struct keycloak *k = state;

	(void)tstate;
	return k->host->oidc_callback(req, k->oidc);
}

static const struct authsvc_route keycloak_routes[] = {
    {"POST", "/auth/keycloak", keycloak_start, AUTHSVC_ROUTE_CLIENT_AUTH | AUTHSVC_ROUTE_FORM_ONLY,
     start_fields},
    {"GET", "/auth/keycloak", keycloak_start, AUTHSVC_ROUTE_CLIENT_AUTH, NULL},
    {"GET", "/auth/keycloak-auth-redirect", keycloak_callback, 0, NULL},
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
	struct keycloak *k;

	if (host->abi_major != AUTHSVC_ABI_MAJOR ||
	    !AUTHSVC_HAS(struct authsvc_host, host, oidc_callback)) {
		snprintf(err->msg, sizeof(err->msg), "host API too old (needs 1.3)");
		return -1;
	}
	k = calloc(1, sizeof(*k));
	if (k == NULL) {
		snprintf(err->msg, sizeof(err->msg), "out of memory");
		return -1;
	}
	k->host = host;
	if (host->oidc_new(cfg, &keycloak_defaults, k, &k->oidc, err) < 0) {
		free(k);
		return -1;
	}
	*state_out = k;
	return 0;
}

static void keycloak_fini(void *state)
{
	struct keycloak *k = state;

	k->host->oidc_free(k->oidc);
	free(k);
}

AUTHSVC_EXPORT const struct authsvc_plugin authsvc_plugin = {
    AUTHSVC_PLUGIN_HEADER,	   .name = "keycloak",	      .version = "1.0.0",
    .settings = keycloak_settings, .routes = keycloak_routes, .init = keycloak_init,
    .fini = keycloak_fini,
};
