/* SPDX-License-Identifier: Apache-2.0 */
/*
 * legacy_10 / legacy_11: a hook plugin built against a frozen copy of an
 * older SDK header (LEGACY_HEADER: tests/abi/frozen/plugin-1.0.h or
 * plugin-1.1.h), as a plugin compiled back then and never rebuilt. Its
 * hooks use the one authsvc_hook_fn of 1.0/1.1:
 *   PASSWORD_CHECK accepts the password "legacy-pass" for any username,
 *   refuses "legacy-deny", declines the rest;
 *   LOGIN_SUCCEEDED counts logins, answered by GET /test/<name>/logins;
 *   MFA_VERIFY (1.1 build only) accepts the code "111111", declines the rest.
 */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include LEGACY_HEADER

struct legacy {
	const struct authsvc_host *host;
	atomic_long logins;
};

static enum authsvc_status password_check(void *state, struct authsvc_req *req,
					  const char *username, const char *password,
					  struct authsvc_identity *who)
{
	(void)state;
	(void)req;
	if (strcmp(password, "legacy-deny") == 0)
		return AUTHSVC_DENIED;
	if (strcmp(password, "legacy-pass") != 0)
		return AUTHSVC_DECLINED;
	snprintf(who->username, sizeof(who->username), "%s", username);
	return AUTHSVC_OK;
}

static enum authsvc_status login_succeeded(void *state, struct authsvc_req *req,
					   const char *username, const char *secret,
					   struct authsvc_identity *who)
{
	struct legacy *l = state;

	(void)req;
	(void)username;
	(void)secret;
	(void)who;
	atomic_fetch_add(&l->logins, 1);
	return AUTHSVC_OK;
}

#if AUTHSVC_ABI_MINOR >= 1
static enum authsvc_status mfa_verify(void *state, struct authsvc_req *req, const char *username,
				      const char *otp, struct authsvc_identity *who)
{
	(void)state;
	(void)req;
	if (who == NULL || strcmp(who->username, username) != 0)
		return AUTHSVC_ERROR; /* the host hands the user both ways */
	return strcmp(otp, "111111") == 0 ? AUTHSVC_OK : AUTHSVC_DECLINED;
}
#endif

static enum authsvc_status logins(void *state, void *tstate, struct authsvc_req *req)
{
	struct legacy *l = state;

	(void)tstate;
	l->host->reply_json(req, 200, json_pack("{s:I}", "logins", (json_int_t)l->logins));
	return AUTHSVC_OK;
}

static const struct authsvc_hook hooks[] = {
    {AUTHSVC_HOOK_PASSWORD_CHECK, 10, password_check},
    {AUTHSVC_HOOK_LOGIN_SUCCEEDED, 10, login_succeeded},
#if AUTHSVC_ABI_MINOR >= 1
    {AUTHSVC_HOOK_MFA_VERIFY, 10, mfa_verify},
#endif
    {0},
};

static const struct authsvc_route routes[] = {
    {"GET", "/test/" LEGACY_NAME "/logins", logins, 0, NULL},
    {0},
};

static int legacy_init(const struct authsvc_host *host, const struct authsvc_cfg *cfg,
		       void **state_out, struct authsvc_err *err)
{
	struct legacy *l = calloc(1, sizeof(*l));

	(void)cfg;
	if (l == NULL) {
		snprintf(err->msg, sizeof(err->msg), "out of memory");
		return -1;
	}
	l->host = host;
	*state_out = l;
	return 0;
}

static void legacy_fini(void *state)
{
	free(state);
}

AUTHSVC_EXPORT const struct authsvc_plugin authsvc_plugin = {
    AUTHSVC_PLUGIN_HEADER, .name = LEGACY_NAME, .version = "1.0.0",  .routes = routes,
    .hooks = hooks,	   .init = legacy_init, .fini = legacy_fini,
};
