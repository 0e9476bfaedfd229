/* SPDX-License-Identifier: Apache-2.0 */
/*
 * instagram: the Instagram API with Instagram Login (the Basic Display
 * API it replaced is gone), the seed's routes
 *
 *   POST /auth/instagram                 start (form: client_id, client_secret, state)
 *   GET  /auth/instagram-auth-redirect   the provider's callback
 *
 * The host does the work: the code exchange at api.instagram.com (the
 * short-lived token is enough for /me, so no long-lived exchange), the
 * profile GET of /me?fields=user_id,username&access_token=... (the token in
 * the query, as Meta documents it), the local user. There
 * is no ID token and no e-mail: identities match by (provider, user_id)
 * only; with signup on, a new account takes the Instagram username (a
 * name already taken is refused). See docs/providers.md.
 */
#include <authsvc/provider.h>

static const struct authsvc_setting instagram_settings[] = {
    AUTHSVC_OIDC_SETTINGS,
    {0},
};

static const struct authsvc_field start_fields[] = {
    AUTHSVC_PROVIDER_START_FIELDS,
    {0},
};

static const struct authsvc_route instagram_routes[] = {
    {"POST", "/auth/instagram", authsvc_provider_start,
     AUTHSVC_ROUTE_CLIENT_AUTH | AUTHSVC_ROUTE_FORM_ONLY, start_fields},
    {"GET", "/auth/instagram-auth-redirect", authsvc_provider_callback, 0, NULL},
    {0},
};

static int instagram_init(const struct authsvc_host *host, const struct authsvc_cfg *cfg,
			  void **state_out, struct authsvc_err *err)
{
	static const struct authsvc_oauth_defaults d = {
	    AUTHSVC_OAUTH_DEFAULTS_HEADER,
	    .flags = AUTHSVC_OAUTH_TOKEN_QUERY,
	    .authorization_url = "https://www.instagram.com/oauth/authorize",
	    .token_url = "https://api.instagram.com/oauth/access_token",
	    .profile_url = "https://graph.instagram.com/v21.0/me",
	    .profile_fields = "user_id,username",
	    .scope = "instagram_business_basic",
	    .id_field = "user_id",
	    .username_field = "username",
	};

	return authsvc_provider_new(host, cfg, NULL, &d, NULL, state_out, err);
}

AUTHSVC_EXPORT const struct authsvc_plugin authsvc_plugin = {
    AUTHSVC_PLUGIN_HEADER,	    .name = "instagram",	.version = "1.0.0",
    .settings = instagram_settings, .routes = instagram_routes, .init = instagram_init,
    .fini = authsvc_provider_fini,
};
