/* SPDX-License-Identifier: Apache-2.0 */
/*
 * hello: the smallest useful strategy, built out of tree against the SDK.
 *
 * POST /auth/hello {client_id, client_secret, username, password} checks the
 * password through the host and answers an auth code — exactly what the
 * local plugin does. A typed LOGIN_SUCCEEDED hook (ABI 1.2) counts every
 * login of the server, whichever strategy made it, and logs the configured
 * greeting; GET /hello/stats answers {greeting, instance, logins} as JSON.
 *
 *   make                    # uses pkg-config --cflags --libs authsvc-plugin
 */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

#include <authsvc/plugin.h>

struct hello {
	const struct authsvc_host *host;
	const char *greeting; /* borrowed from the host until fini */
	const char *instance; /* likewise */
	atomic_long logins;   /* hooks run on several workers at once */
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
	return h->host->complete_login(req, &who, AUTHSVC_LOGIN_CODE);
}

/* A JSON reply: reply_json steals the object, then the handler says OK. */
static enum authsvc_status hello_stats(void *state, void *tstate, struct authsvc_req *req)
{
	struct hello *h = state;
	json_t *body;

	(void)tstate;
	body = json_pack("{s:s, s:s, s:I}", "greeting", h->greeting, "instance", h->instance,
			 "logins", (json_int_t)atomic_load(&h->logins));
	if (body == NULL)
		return AUTHSVC_ERROR;
	h->host->reply_json(req, 200, body);
	return AUTHSVC_OK;
}

/* Typed hook: told after any login issued its code or tokens. */
static void hello_seen(void *state, void *tstate, struct authsvc_req *req,
		       const struct authsvc_identity *who)
{
	struct hello *h = state;

	(void)tstate;
	atomic_fetch_add(&h->logins, 1);
	h->host->log(req, AUTHSVC_LOG_INFO, "%s user=%s", h->greeting, who->user_id);
}

static const struct authsvc_login_succeeded_hook hello_login_hooks[] = {
    {.order = 100, .fn = hello_seen},
    {0},
};

static const struct authsvc_hooks hello_hooks = {
    AUTHSVC_HOOKS_HEADER,
    .login_succeeded = hello_login_hooks,
};

static const struct authsvc_route hello_routes[] = {
    {"POST", "/auth/hello", hello_login, AUTHSVC_ROUTE_CLIENT_AUTH, hello_fields},
    {"GET", "/hello/stats", hello_stats, 0, NULL},
    {0},
};

static int hello_init(const struct authsvc_host *host, const struct authsvc_cfg *cfg,
		      void **state_out, struct authsvc_err *err)
{
	struct hello *h;

	if (!AUTHSVC_HAS(struct authsvc_host, host, instance_name)) {
		snprintf(err->msg, sizeof(err->msg), "host too old: needs ABI 1.2");
		return -1;
	}
	h = calloc(1, sizeof(*h));
	if (h == NULL) {
		snprintf(err->msg, sizeof(err->msg), "out of memory");
		return -1;
	}
	h->host = host;
	h->greeting = host->cfg_str(cfg, "greeting");
	h->instance = host->instance_name(cfg);
	*state_out = h;
	return 0;
}

static void hello_fini(void *state)
{
	free(state);
}

AUTHSVC_EXPORT const struct authsvc_plugin authsvc_plugin = {
    AUTHSVC_PLUGIN_HEADER,  .name = "hello",	.version = "0.2.0", .settings = hello_settings,
    .routes = hello_routes, .init = hello_init, .fini = hello_fini, .typed_hooks = &hello_hooks,
};
