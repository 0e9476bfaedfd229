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
#include <stdio.h>
#include <stdlib.h>

#include <authsvc/plugin.h>

struct cognito {
	const struct authsvc_host *host;
	struct authsvc_oidc *oidc;
};

static const struct authsvc_setting cognito_settings[] = {
    {.key = "region", .type = AUTHSVC_SET_STRING, .help = "AWS region of the user pool"},
    {.key = "user_pool_id", .type = AUTHSVC_SET_STRING, .help = "e.g. eu-west-1_AbCdEf"},
    AUTHSVC_OIDC_SETTINGS,
    {0},
};

static const struct authsvc_field start_fields[] = {
    {"client_id", AUTHSVC_FIELD_STRING, 1},
    {"client_secret", AUTHSVC_FIELD_STRING, 0},
    {"state", AUTHSVC_FIELD_STRING, 0},
    {0},
};

static enum authsvc_status cognito_start(void *state, void *tstate, struct authsvc_req *req)
{
	struct cognito *p = state;

	(void)tstate;
	return p->host->oidc_start(req, p->oidc, 0);
}

static enum authsvc_status cognito_callback(void *state, void *tstate, struct authsvc_req *req)
{
	struct cognito *p = state;

	(void)tstate;
	return p->host->oidc_callback(req, p->oidc);
}

static const struct authsvc_route cognito_routes[] = {
    {"POST", "/auth/cognito", cognito_start, AUTHSVC_ROUTE_CLIENT_AUTH | AUTHSVC_ROUTE_FORM_ONLY,
     start_fields},
    {"GET", "/auth/cognito", cognito_start, AUTHSVC_ROUTE_CLIENT_AUTH, NULL},
    {"GET", "/auth/cognito-auth-redirect", cognito_callback, 0, NULL},
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
	struct cognito *p;

	if (host->abi_major != AUTHSVC_ABI_MAJOR ||
	    !AUTHSVC_HAS(struct authsvc_host, host, oidc_callback)) {
		snprintf(err->msg, sizeof(err->msg), "host API too old (needs 1.3)");
		return -1;
	}
	p = calloc(1, sizeof(*p));
	if (p == NULL) {
		snprintf(err->msg, sizeof(err->msg), "out of memory");
		return -1;
	}
	p->host = host;
	if (host->oidc_new(cfg, &cognito_defaults, p, &p->oidc, err) < 0) {
		free(p);
		return -1;
	}
	*state_out = p;
	return 0;
}

static void cognito_fini(void *state)
{
	struct cognito *p = state;

	p->host->oidc_free(p->oidc);
	free(p);
}

AUTHSVC_EXPORT const struct authsvc_plugin authsvc_plugin = {
    AUTHSVC_PLUGIN_HEADER,	  .name = "cognito",	    .version = "1.0.0",
    .settings = cognito_settings, .routes = cognito_routes, .init = cognito_init,
    .fini = cognito_fini,
};
