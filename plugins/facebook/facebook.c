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
#include <stdio.h>
#include <stdlib.h>

#include <authsvc/plugin.h>

#define GRAPH "https://graph.facebook.com/v21.0"

struct facebook {
	const struct authsvc_host *host;
	struct authsvc_oidc *oauth;
};

static const struct authsvc_setting facebook_settings[] = {
    AUTHSVC_OIDC_SETTINGS,
    {.key = "email_trusted",
     .type = AUTHSVC_SET_BOOL,
     .help = "treat the profile's e-mail as verified (link_by_email, signup)"},
    {0},
};

static const struct authsvc_field start_fields[] = {
    {"client_id", AUTHSVC_FIELD_STRING, 1},
    {"client_secret", AUTHSVC_FIELD_STRING, 0},
    {"state", AUTHSVC_FIELD_STRING, 0},
    {0},
};

static enum authsvc_status facebook_start(void *state, void *tstate, struct authsvc_req *req)
{
	struct facebook *f = state;

	(void)tstate;
	return f->host->oidc_start(req, f->oauth, 0);
}

static enum authsvc_status facebook_callback(void *state, void *tstate, struct authsvc_req *req)
{
	struct facebook *f = state;

	(void)tstate;
	return f->host->oidc_callback(req, f->oauth);
}

static const struct authsvc_route facebook_routes[] = {
    {"POST", "/auth/facebook", facebook_start, AUTHSVC_ROUTE_CLIENT_AUTH | AUTHSVC_ROUTE_FORM_ONLY,
     start_fields},
    {"GET", "/auth/facebook-auth-redirect", facebook_callback, 0, NULL},
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
	struct facebook *f;

	if (host->abi_major != AUTHSVC_ABI_MAJOR ||
	    !AUTHSVC_HAS(struct authsvc_host, host, oauth_new)) {
		snprintf(err->msg, sizeof(err->msg), "host API too old (needs 1.4)");
		return -1;
	}
	if (host->cfg_int(cfg, "email_trusted") != 0)
		d.flags |= AUTHSVC_OAUTH_EMAIL_VERIFIED;
	f = calloc(1, sizeof(*f));
	if (f == NULL) {
		snprintf(err->msg, sizeof(err->msg), "out of memory");
		return -1;
	}
	f->host = host;
	if (host->oauth_new(cfg, &d, &f->oauth, err) < 0) {
		free(f);
		return -1;
	}
	*state_out = f;
	return 0;
}

static void facebook_fini(void *state)
{
	struct facebook *f = state;

	f->host->oidc_free(f->oauth);
	free(f);
}

AUTHSVC_EXPORT const struct authsvc_plugin authsvc_plugin = {
    AUTHSVC_PLUGIN_HEADER,	   .name = "facebook",	      .version = "1.0.0",
    .settings = facebook_settings, .routes = facebook_routes, .init = facebook_init,
    .fini = facebook_fini,
};
