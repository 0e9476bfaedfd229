/* SPDX-License-Identifier: Apache-2.0 */
/*
 * facebook: Facebook Login (the manual OAuth 2.0 code flow of the Graph
 * API), the seed's routes
 *
 *   POST /auth/facebook                 start (form: client_id, client_secret, state)
 *   GET  /auth/facebook-auth-redirect   the provider's callback
 *
 * The host does the work (login transaction, PKCE, the code exchange, the
 * profile GET of /me with an explicit fields list and appsecret_proof,
 * the local user). There is no ID token: the identity is the app-scoped
 * user id. The e-mail may be absent; Facebook does not say whether it is
 * verified, so it links or signs up only with the setting email_trusted.
 * See docs/providers.md.
 */
#include <authsvc/provider.h>

#define GRAPH "https://graph.facebook.com/v21.0"

static const struct authsvc_setting facebook_settings[] = {
    AUTHSVC_OIDC_SETTINGS,
    {.key = "email_trusted",
     .type = AUTHSVC_SET_BOOL,
     .help = "treat the profile's e-mail as verified (link_by_email, signup)"},
    {0},
};

static const struct authsvc_field start_fields[] = {
    AUTHSVC_PROVIDER_START_FIELDS,
    {0},
};

static const struct authsvc_route facebook_routes[] = {
    {"POST", "/auth/facebook", authsvc_provider_start,
     AUTHSVC_ROUTE_CLIENT_AUTH | AUTHSVC_ROUTE_FORM_ONLY, start_fields},
    {"GET", "/auth/facebook-auth-redirect", authsvc_provider_callback, 0, NULL},
    {0},
};

static int facebook_init(const struct authsvc_host *host, const struct authsvc_cfg *cfg,
			 void **state_out, struct authsvc_err *err)
{
	struct authsvc_oauth_defaults d = {
	    AUTHSVC_OAUTH_DEFAULTS_HEADER,
	    .flags = AUTHSVC_OAUTH_APPSECRET_PROOF,
	    .authorization_url = "https://www.facebook.com/v21.0/dialog/oauth",
	    .token_url = GRAPH "/oauth/access_token",
	    .profile_url = GRAPH "/me",
	    .profile_fields = "id,name,first_name,last_name,email",
	    .scope = "email public_profile",
	    .id_field = "id",
	    .email_field = "email",
	};

	if (host->cfg_int(cfg, "email_trusted") != 0)
		d.flags |= AUTHSVC_OAUTH_EMAIL_VERIFIED;
	return authsvc_provider_new(host, cfg, NULL, &d, NULL, state_out, err);
}

AUTHSVC_EXPORT const struct authsvc_plugin authsvc_plugin = {
    AUTHSVC_PLUGIN_HEADER,	   .name = "facebook",	      .version = "1.0.0",
    .settings = facebook_settings, .routes = facebook_routes, .init = facebook_init,
    .fini = authsvc_provider_fini,
};
