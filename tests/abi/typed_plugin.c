/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_typed: hooks in the 1.2 typed form (struct authsvc_hooks).
 *   password_check, order 5: "typed-pass" is right (who: "typed"); any
 *   other password is declined, so later hooks are asked;
 *   password_check, order 20: "late-pass" is right (who: "late");
 *   mfa_verify: "222222" is right for any user, the rest declined;
 *   login_succeeded: counts logins in the state's first field.
 * tests/abi/test_loader.c runs these next to legacy_10's order-10 hook.
 */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <authsvc/plugin.h>

struct typed {
	atomic_long logins; /* first: tests/abi/test_loader.c reads it */
	const struct authsvc_host *host;
};

static enum authsvc_status early_check(void *state, void *tstate, struct authsvc_req *req,
				       const char *username, const char *password,
				       struct authsvc_identity *who_out)
{
	(void)state;
	(void)tstate;
	(void)req;
	(void)username;
	if (strcmp(password, "typed-pass") != 0)
		return AUTHSVC_DECLINED;
	snprintf(who_out->username, sizeof(who_out->username), "typed");
	return AUTHSVC_OK;
}

static enum authsvc_status late_check(void *state, void *tstate, struct authsvc_req *req,
				      const char *username, const char *password,
				      struct authsvc_identity *who_out)
{
	(void)state;
	(void)tstate;
	(void)req;
	(void)username;
	if (strcmp(password, "late-pass") != 0)
		return AUTHSVC_DECLINED;
	snprintf(who_out->username, sizeof(who_out->username), "late");
	return AUTHSVC_OK;
}

static enum authsvc_status mfa_verify(void *state, void *tstate, struct authsvc_req *req,
				      const struct authsvc_identity *who, const char *otp)
{
	(void)state;
	(void)tstate;
	(void)req;
	(void)who;
	return strcmp(otp, "222222") == 0 ? AUTHSVC_OK : AUTHSVC_DECLINED;
}

static void login_succeeded(void *state, void *tstate, struct authsvc_req *req,
			    const struct authsvc_identity *who)
{
	struct typed *t = state;

	(void)tstate;
	(void)req;
	(void)who;
	atomic_fetch_add(&t->logins, 1);
}

static const struct authsvc_password_check_hook password_hooks[] = {
    {.order = 20, .fn = late_check},
    {.order = 5, .fn = early_check},
    {0},
};

static const struct authsvc_mfa_verify_hook mfa_hooks[] = {
    {.order = 10, .fn = mfa_verify},
    {0},
};

static const struct authsvc_login_succeeded_hook login_hooks[] = {
    {.order = 10, .fn = login_succeeded},
    {0},
};

static const struct authsvc_hooks hooks = {
    AUTHSVC_HOOKS_HEADER,
    .password_check = password_hooks,
    .mfa_verify = mfa_hooks,
    .login_succeeded = login_hooks,
};

static int typed_init(const struct authsvc_host *host, const struct authsvc_cfg *cfg,
		      void **state_out, struct authsvc_err *err)
{
	struct typed *t = calloc(1, sizeof(*t));

	(void)cfg;
	if (t == NULL) {
		snprintf(err->msg, sizeof(err->msg), "out of memory");
		return -1;
	}
	t->host = host;
	*state_out = t;
	return 0;
}

static void typed_fini(void *state)
{
	free(state);
}

AUTHSVC_EXPORT const struct authsvc_plugin authsvc_plugin = {
    AUTHSVC_PLUGIN_HEADER, .name = "test_typed", .version = "1.0.0",
    .typed_hooks = &hooks, .init = typed_init,	 .fini = typed_fini,
};
