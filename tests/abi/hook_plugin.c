/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_hook: a plugin that joins the password login through hooks, as an
 * LDAP or legacy-hash plugin would. PASSWORD_CHECK accepts the password
 * "hook-pass" for any username, refuses "hook-deny", and declines anything
 * else (the built-in check then runs). LOGIN_SUCCEEDED counts logins;
 * GET /test/hook-logins answers the count.
 */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <authsvc/plugin.h>

struct hook_state {
	const struct authsvc_host *host;
	atomic_long logins;
};

static enum authsvc_status password_check(void *state, struct authsvc_req *req,
					  const char *username, const char *password,
					  struct authsvc_identity *who)
{
	(void)state;
	(void)req;
	if (strcmp(password, "hook-deny") == 0)
		return AUTHSVC_DENIED;
	if (strcmp(password, "hook-pass") != 0)
		return AUTHSVC_DECLINED;
	snprintf(who->username, sizeof(who->username), "%s", username);
	return AUTHSVC_OK;
}

static enum authsvc_status login_succeeded(void *state, struct authsvc_req *req,
					   const char *username, const char *secret,
					   struct authsvc_identity *who)
{
	struct hook_state *h = state;

	(void)secret;
	(void)who;
	atomic_fetch_add(&h->logins, 1);
	h->host->log(req, AUTHSVC_LOG_INFO, "login seen user=%s", username);
	return AUTHSVC_OK;
}

static enum authsvc_status count(void *state, void *tstate, struct authsvc_req *req)
{
	struct hook_state *h = state;

	(void)tstate;
	h->host->reply_json(req, 200, json_pack("{s:I}", "logins", (json_int_t)h->logins));
	return AUTHSVC_OK;
}

static const struct authsvc_hook hooks[] = {
    {AUTHSVC_HOOK_PASSWORD_CHECK, 10, password_check},
    {AUTHSVC_HOOK_LOGIN_SUCCEEDED, 10, login_succeeded},
    {0},
};

static const struct authsvc_route routes[] = {
    {"GET", "/test/hook-logins", count, 0, NULL},
    {0},
};

static int hook_init(const struct authsvc_host *host, const struct authsvc_cfg *cfg,
		     void **state_out, struct authsvc_err *err)
{
	struct hook_state *h = calloc(1, sizeof(*h));

	(void)cfg;
	if (h == NULL) {
		snprintf(err->msg, sizeof(err->msg), "out of memory");
		return -1;
	}
	h->host = host;
	*state_out = h;
	return 0;
}

static void hook_fini(void *state)
{
	free(state);
}

AUTHSVC_EXPORT const struct authsvc_plugin authsvc_plugin = {
    AUTHSVC_PLUGIN_HEADER, .name = "test_hook", .version = "1.0.0", .routes = routes,
    .hooks = hooks,	   .init = hook_init,	.fini = hook_fini,
};
