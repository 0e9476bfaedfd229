/* SPDX-License-Identifier: Apache-2.0 */
/*
 * google: login with Google accounts, the seed's routes
 *
 *   POST /auth/google                 start (form: client_id, client_secret, state)
 *   GET  /auth/google                 start (query; deprecated: the secret is in the URL)
 *   GET  /auth/google-auth-redirect   Google's callback
 *
 * Issuer https://accounts.google.com; the identity is sub. With
 * hosted_domain set, only accounts of that Google Workspace domain (the
 * ID token's hd claim) may log in.
 * The host does the work (login transaction, PKCE, discovery, code
 * exchange, ID-token checks, the local user); see docs/providers.md.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <authsvc/plugin.h>

struct google {
	const struct authsvc_host *host;
	struct authsvc_oidc *oidc;
	const char *hosted_domain; /* borrowed from the settings; NULL: any */
};

static const struct authsvc_setting google_settings[] = {
    {.key = "hosted_domain",
     .type = AUTHSVC_SET_STRING,
     .help = "only accounts of this Workspace domain (the hd claim)"},
    AUTHSVC_OIDC_SETTINGS,
    {0},
};

static const struct authsvc_field start_fields[] = {
    {"client_id", AUTHSVC_FIELD_STRING, 1},
    {"client_secret", AUTHSVC_FIELD_STRING, 0},
    {"state", AUTHSVC_FIELD_STRING, 0},
    {0},
};

static enum authsvc_status google_start(void *state, void *tstate, struct authsvc_req *req)
{
	struct google *p = state;

	(void)tstate;
	return p->host->oidc_start(req, p->oidc, 0);
}

static enum authsvc_status google_callback(void *state, void *tstate, struct authsvc_req *req)
{
	struct google *p = state;

	(void)tstate;
	return p->host->oidc_callback(req, p->oidc);
}

static const struct authsvc_route google_routes[] = {
    {"POST", "/auth/google", google_start, AUTHSVC_ROUTE_CLIENT_AUTH | AUTHSVC_ROUTE_FORM_ONLY,
     start_fields},
    {"GET", "/auth/google", google_start, AUTHSVC_ROUTE_CLIENT_AUTH, NULL},
    {"GET", "/auth/google-auth-redirect", google_callback, 0, NULL},
    {0},
};

static const char *const google_auth_params[] = {"access_type", "offline", NULL};

/* The hosted-domain restriction: hd must equal the setting. */
static enum authsvc_status google_claims(void *state, const json_t *claims)
{
	const struct google *g = state;
	const char *hd = json_string_value(json_object_get(claims, "hd"));

	if (g->hosted_domain == NULL || g->hosted_domain[0] == '\0')
		return AUTHSVC_OK;
	return hd != NULL && strcmp(hd, g->hosted_domain) == 0 ? AUTHSVC_OK : AUTHSVC_DENIED;
}

static const struct authsvc_oidc_defaults google_defaults = {
    AUTHSVC_OIDC_DEFAULTS_HEADER,      .issuer = "https://accounts.google.com",
    .scope = "openid email profile",   .algs = "RS256",
    .auth_params = google_auth_params, .claims_check = google_claims,
};

static int google_init(const struct authsvc_host *host, const struct authsvc_cfg *cfg,
		       void **state_out, struct authsvc_err *err)
{
	struct google *p;

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
	p->hosted_domain = host->cfg_str(cfg, "hosted_domain");
	if (host->oidc_new(cfg, &google_defaults, p, &p->oidc, err) < 0) {
		free(p);
		return -1;
	}
	*state_out = p;
	return 0;
}

static void google_fini(void *state)
{
	struct google *p = state;

	p->host->oidc_free(p->oidc);
	free(p);
}

AUTHSVC_EXPORT const struct authsvc_plugin authsvc_plugin = {
    AUTHSVC_PLUGIN_HEADER,   .name = "google",	  .version = "1.0.0",  .settings = google_settings,
    .routes = google_routes, .init = google_init, .fini = google_fini,
};
