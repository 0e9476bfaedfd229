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
#include <string.h>

#include <authsvc/provider.h>

static const struct authsvc_setting google_settings[] = {
    {.key = "hosted_domain",
     .type = AUTHSVC_SET_STRING,
     .help = "only accounts of this Workspace domain (the hd claim)"},
    AUTHSVC_OIDC_SETTINGS,
    {0},
};

static const struct authsvc_field start_fields[] = {
    AUTHSVC_PROVIDER_START_FIELDS,
    {0},
};

static const struct authsvc_route google_routes[] = {
    {"POST", "/auth/google", authsvc_provider_start,
     AUTHSVC_ROUTE_CLIENT_AUTH | AUTHSVC_ROUTE_FORM_ONLY, start_fields},
    {"GET", "/auth/google", authsvc_provider_start, AUTHSVC_ROUTE_CLIENT_AUTH, NULL},
    {"GET", "/auth/google-auth-redirect", authsvc_provider_callback, 0, NULL},
    {0},
};

static const char *const google_auth_params[] = {"access_type", "offline", NULL};

/* The hosted-domain restriction: hd must equal the setting. */
static enum authsvc_status google_claims(void *state, const json_t *claims)
{
	const struct authsvc_provider *p = state;
	const char *want = p->data; /* the hosted_domain setting */
	const char *hd = json_string_value(json_object_get(claims, "hd"));

	if (want == NULL || want[0] == '\0')
		return AUTHSVC_OK;
	return hd != NULL && strcmp(hd, want) == 0 ? AUTHSVC_OK : AUTHSVC_DENIED;
}

static const struct authsvc_oidc_defaults google_defaults = {
    AUTHSVC_OIDC_DEFAULTS_HEADER,      .issuer = "https://accounts.google.com",
    .scope = "openid email profile",   .algs = "RS256",
    .auth_params = google_auth_params, .claims_check = google_claims,
};

static int google_init(const struct authsvc_host *host, const struct authsvc_cfg *cfg,
		       void **state_out, struct authsvc_err *err)
{
	return authsvc_provider_new(host, cfg, &google_defaults, NULL,
				    host->cfg_str(cfg, "hosted_domain"), state_out, err);
}

AUTHSVC_EXPORT const struct authsvc_plugin authsvc_plugin = {
    AUTHSVC_PLUGIN_HEADER,	   .name = "google",	    .version = "1.0.0",
    .settings = google_settings,   .routes = google_routes, .init = google_init,
    .fini = authsvc_provider_fini,
};
