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
#include <stdio.h>
#include <stdlib.h>

#include <authsvc/plugin.h>

struct autha {
	const struct authsvc_host *host;
	struct authsvc_oidc *oidc;
};

static const struct authsvc_setting autha_settings[] = {
    {.key = "domain",
     .type = AUTHSVC_SET_STRING,
     .help = "tenant domain, e.g. example.eu.autha.com"},
    AUTHSVC_OIDC_SETTINGS,
    {0},
};

static const struct authsvc_field start_fields[] = {
    {"client_id", AUTHSVC_FIELD_STRING, 1},
    {"client_secret", AUTHSVC_FIELD_STRING, 0},
    {"state", AUTHSVC_FIELD_STRING, 0},
    {0},
};

static enum authsvc_status autha_start(void *state, void *tstate, struct authsvc_req *req)
{
	struct autha *p = state;

	(void)tstate;
	return p->host->oidc_start(req, p->oidc, 0);
}

static enum authsvc_status autha_public_start(void *state, void *tstate, struct authsvc_req *req)
{
	struct autha *p = state;

	(void)tstate;
	return p->host->oidc_start(req, p->oidc, AUTHSVC_OIDC_PUBLIC_START);
}

static enum authsvc_status autha_callback(void *state, void *tstate, struct authsvc_req *req)
{
	struct autha *p = state;

	(void)tstate;
	return p->host->oidc_callback(req, p->oidc);
}

static const struct authsvc_route autha_routes[] = {
    {"POST", "/auth/autha", autha_start, AUTHSVC_ROUTE_CLIENT_AUTH | AUTHSVC_ROUTE_FORM_ONLY,
     start_fields},
    {"GET", "/auth/autha", autha_public_start, 0, NULL},
    {"GET", "/auth/autha-redirect", autha_callback, 0, NULL},
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
	struct autha *p;

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
	if (host->oidc_new(cfg, &autha_defaults, p, &p->oidc, err) < 0) {
		free(p);
		return -1;
	}
	*state_out = p;
	return 0;
}

static void autha_fini(void *state)
{
	struct autha *p = state;

	p->host->oidc_free(p->oidc);
	free(p);
}

AUTHSVC_EXPORT const struct authsvc_plugin authsvc_plugin = {
    AUTHSVC_PLUGIN_HEADER,  .name = "autha",	.version = "1.0.0", .settings = autha_settings,
    .routes = autha_routes, .init = autha_init, .fini = autha_fini,
};
