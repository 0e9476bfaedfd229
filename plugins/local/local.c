/* SPDX-License-Identifier: Apache-2.0 */
/*
 * local: username + password login (docs/api.md "Endpoints served now").
 *
 * POST /auth/login answers an auth code, POST /auth/login-token the token
 * pair. The host validates the body (LoginRequest, closed) and the client
 * credentials before the handler runs; the password check itself
 * (argon2id, upstream bcrypt re-hashed, constant time for unknown users)
 * is the host's password_verify, so other strategies and hooks share it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <authsvc/plugin.h>

struct local {
	const struct authsvc_host *host;
	int login_token;
};

static const struct authsvc_setting local_settings[] = {
    {.key = "login_token",
     .type = AUTHSVC_SET_BOOL,
     .def_int = 1,
     .help = "serve POST /auth/login-token (tokens without a code exchange)"},
    {0},
};

static const struct authsvc_field login_fields[] = {
    {"client_id", AUTHSVC_FIELD_STRING, 1},
    {"client_secret", AUTHSVC_FIELD_STRING, 0},
    {"username", AUTHSVC_FIELD_STRING, 1},
    {"password", AUTHSVC_FIELD_STRING, 1},
    /* optional PKCE (S256) on the code flow, see docs/api.md */
    {"code_challenge", AUTHSVC_FIELD_STRING, 0},
    {"code_challenge_method", AUTHSVC_FIELD_STRING, 0},
    {0},
};

static enum authsvc_status login(struct local *l, struct authsvc_req *req, uint32_t flags)
{
	const char *username = l->host->req_body_str(req, "username");
	const char *password = l->host->req_body_str(req, "password");
	struct authsvc_identity who;
	enum authsvc_status st;

	if (username == NULL || password == NULL || *username == '\0' || *password == '\0')
		return AUTHSVC_DENIED;
	st = l->host->password_verify(req, username, password, &who);
	if (st != AUTHSVC_OK)
		return st == AUTHSVC_NOT_FOUND ? AUTHSVC_DENIED : st;
	return l->host->complete_login(req, &who, flags);
}

static enum authsvc_status local_login(void *state, void *tstate, struct authsvc_req *req)
{
	(void)tstate;
	return login(state, req, AUTHSVC_LOGIN_CODE);
}

static enum authsvc_status local_login_token(void *state, void *tstate, struct authsvc_req *req)
{
	struct local *l = state;

	(void)tstate;
	if (!l->login_token) {
		l->host->reply_error(req, 404, "Endpoint \"POST /auth/login-token\" not found");
		return AUTHSVC_OK;
	}
	return login(l, req, AUTHSVC_LOGIN_TOKENS);
}

static const struct authsvc_route local_routes[] = {
    {"POST", "/auth/login", local_login, AUTHSVC_ROUTE_CLIENT_AUTH, login_fields},
    {"POST", "/auth/login-token", local_login_token, AUTHSVC_ROUTE_CLIENT_AUTH, login_fields},
    {0},
};

static int local_init(const struct authsvc_host *host, const struct authsvc_cfg *cfg,
		      void **state_out, struct authsvc_err *err)
{
	struct local *l;

	if (host->abi_major != AUTHSVC_ABI_MAJOR ||
	    !AUTHSVC_HAS(struct authsvc_host, host, reply_error)) {
		snprintf(err->msg, sizeof(err->msg), "host API too old");
		return -1;
	}
	l = calloc(1, sizeof(*l));
	if (l == NULL) {
		snprintf(err->msg, sizeof(err->msg), "out of memory");
		return -1;
	}
	l->host = host;
	l->login_token = host->cfg_int(cfg, "login_token") != 0;
	*state_out = l;
	return 0;
}

static void local_fini(void *state)
{
	free(state);
}

AUTHSVC_EXPORT const struct authsvc_plugin authsvc_plugin = {
    AUTHSVC_PLUGIN_HEADER,  .name = "local",	.version = "1.0.0", .settings = local_settings,
    .routes = local_routes, .init = local_init, .fini = local_fini,
};
