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
 * profile GET of /me with fields user_id,username, the local user. There
 * is no ID token and no e-mail: identities match by (provider, user_id)
 * only; with signup on, a new account takes the Instagram username (a
 * name already taken is refused). See docs/providers.md.
 */
#include <stdio.h>
#include <stdlib.h>

#include <authsvc/plugin.h>

struct instagram {
	const struct authsvc_host *host;
	struct authsvc_oidc *oauth;
};

static const struct authsvc_setting instagram_settings[] = {
    AUTHSVC_OIDC_SETTINGS,
    {0},
};

static const struct authsvc_field start_fields[] = {
    {"client_id", AUTHSVC_FIELD_STRING, 1},
    {"client_secret", AUTHSVC_FIELD_STRING, 0},
    {"state", AUTHSVC_FIELD_STRING, 0},
    {0},
};

static enum authsvc_status instagram_start(void *state, void *tstate, struct authsvc_req *req)
{
	struct instagram *f = state;

	(void)tstate;
	return f->host->oidc_start(req, f->oauth, 0);
}

static enum authsvc_status instagram_callback(void *state, void *tstate, struct authsvc_req *req)
{
	struct instagram *f = state;

	(void)tstate;
	return f->host->oidc_callback(req, f->oauth);
}

static const struct authsvc_route instagram_routes[] = {
    {"POST", "/auth/instagram", instagram_start,
     AUTHSVC_ROUTE_CLIENT_AUTH | AUTHSVC_ROUTE_FORM_ONLY, start_fields},
    {"GET", "/auth/instagram-auth-redirect", instagram_callback, 0, NULL},
    {0},
};

static int instagram_init(const struct authsvc_host *host, const struct authsvc_cfg *cfg,
			  void **state_out, struct authsvc_err *err)
{
	static const struct authsvc_oauth_defaults d = {
	    AUTHSVC_OAUTH_DEFAULTS_HEADER,
	    .authorization_url = "https://www.instagram.com/oauth/authorize",
	    .token_url = "https://api.instagram.com/oauth/access_token",
	    .profile_url = "https://graph.instagram.com/v21.0/me",
	    .profile_fields = "user_id,username",
	    .scope = "instagram_business_basic",
	    .id_field = "user_id",
	    .username_field = "username",
	};
	struct instagram *f;

	if (host->abi_major != AUTHSVC_ABI_MAJOR ||
	    !AUTHSVC_HAS(struct authsvc_host, host, oauth_new)) {
		snprintf(err->msg, sizeof(err->msg), "host API too old (needs 1.4)");
		return -1;
	}
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

static void instagram_fini(void *state)
{
	struct instagram *f = state;

	f->host->oidc_free(f->oauth);
	free(f);
}

AUTHSVC_EXPORT const struct authsvc_plugin authsvc_plugin = {
    AUTHSVC_PLUGIN_HEADER,	    .name = "instagram",	.version = "1.0.0",
    .settings = instagram_settings, .routes = instagram_routes, .init = instagram_init,
    .fini = instagram_fini,
};
