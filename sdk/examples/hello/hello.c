/*
 * hello: the smallest useful strategy, built out of tree against the SDK.
 *
 * POST /auth/hello {client_id, client_secret, username, password} checks the
 * password through the host and answers an auth code — exactly what the
 * local plugin does, with a configurable greeting logged on every login to
 * show settings and logging.
 *
 *   cc -shared -fPIC -o hello.so hello.c $(pkg-config --cflags authsvc-plugin)
 */
#include <stdio.h>
#include <stdlib.h>

#include <authsvc/plugin.h>

struct hello {
	const struct authsvc_host *host;
	const char *greeting; /* borrowed from the host until fini */
};

static const struct authsvc_setting hello_settings[] = {
    {.key = "greeting", .type = AUTHSVC_SET_STRING, .def_str = "hello", .help = "logged on login"},
    {0},
};

static const struct authsvc_field hello_fields[] = {
    {"client_id", AUTHSVC_FIELD_STRING, 1},
    {"client_secret", AUTHSVC_FIELD_STRING, 0},
    {"username", AUTHSVC_FIELD_STRING, 1},
    {"password", AUTHSVC_FIELD_STRING, 1},
    {0},
};

static enum authsvc_status hello_login(void *state, void *tstate, struct authsvc_req *req)
{
	struct hello *h = state;
	struct authsvc_identity who;
	enum authsvc_status st;

	(void)tstate;
	st = h->host->password_verify(req, h->host->req_body_str(req, "username"),
				      h->host->req_body_str(req, "password"), &who);
	if (st != AUTHSVC_OK)
		return st; /* the host writes the error envelope */
	h->host->log(req, AUTHSVC_LOG_INFO, "%s user=%s", h->greeting, who.user_id);
	return h->host->complete_login(req, &who, AUTHSVC_LOGIN_CODE);
}

static const struct authsvc_route hello_routes[] = {
    {"POST", "/auth/hello", hello_login, AUTHSVC_ROUTE_CLIENT_AUTH, hello_fields},
    {0},
};

static int hello_init(const struct authsvc_host *host, const struct authsvc_cfg *cfg,
		      void **state_out, struct authsvc_err *err)
{
	struct hello *h = calloc(1, sizeof(*h));

	if (h == NULL) {
		snprintf(err->msg, sizeof(err->msg), "out of memory");
		return -1;
	}
	h->host = host;
	h->greeting = host->cfg_str(cfg, "greeting");
	*state_out = h;
	return 0;
}

static void hello_fini(void *state)
{
	free(state);
}

AUTHSVC_EXPORT const struct authsvc_plugin authsvc_plugin = {
    AUTHSVC_PLUGIN_HEADER,  .name = "hello",	.version = "0.1.0", .settings = hello_settings,
    .routes = hello_routes, .init = hello_init, .fini = hello_fini,
};
