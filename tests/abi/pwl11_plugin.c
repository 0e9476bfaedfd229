/* SPDX-License-Identifier: Apache-2.0 */
/*
 * pwl_11: passwordless sign-up as a 1.1 plugin had to write it, built
 * against the frozen 1.1 header: the sign-up behaviour is asked for by the
 * space name "passwordless-signup" (1.2 has the AUTHSVC_OTP_SIGNUP flag).
 * POST /test/pwl11/start {client_id, client_secret, key} and
 * POST /test/pwl11/verify {key, otp}, like plugins/passwordless.
 * tests/integration/test_passwordless.py shows the old spelling still works.
 */
#include <stdio.h>
#include <stdlib.h>

#include LEGACY_HEADER

static const struct authsvc_field start_fields[] = {
    {"client_id", AUTHSVC_FIELD_STRING, 1},
    {"client_secret", AUTHSVC_FIELD_STRING, 0},
    {"key", AUTHSVC_FIELD_STRING, 1},
    {0},
};

static const struct authsvc_field verify_fields[] = {
    {"key", AUTHSVC_FIELD_STRING, 1},
    {"otp", AUTHSVC_FIELD_STRING, 1},
    {0},
};

static enum authsvc_status start(void *state, void *tstate, struct authsvc_req *req)
{
	const struct authsvc_host *host = state;
	enum authsvc_status st;

	(void)tstate;
	st = host->otp_send(req, "passwordless-signup", host->req_body_str(req, "key"));
	if (st != AUTHSVC_OK)
		return st;
	host->reply_json(req, 204, NULL);
	return AUTHSVC_OK;
}

static enum authsvc_status verify(void *state, void *tstate, struct authsvc_req *req)
{
	const struct authsvc_host *host = state;
	struct authsvc_identity who;
	enum authsvc_status st;

	(void)tstate;
	st = host->otp_check(req, "passwordless-signup", host->req_body_str(req, "key"),
			     host->req_body_str(req, "otp"), &who);
	if (st != AUTHSVC_OK)
		return st;
	return host->complete_login(req, &who, AUTHSVC_LOGIN_CODE);
}

static const struct authsvc_route routes[] = {
    {"POST", "/test/pwl11/start", start, AUTHSVC_ROUTE_CLIENT_AUTH, start_fields},
    {"POST", "/test/pwl11/verify", verify, 0, verify_fields},
    {0},
};

static int pwl11_init(const struct authsvc_host *host, const struct authsvc_cfg *cfg,
		      void **state_out, struct authsvc_err *err)
{
	(void)cfg;
	if (!AUTHSVC_HAS(struct authsvc_host, host, mfa_lookup)) {
		snprintf(err->msg, sizeof(err->msg), "host too old: needs ABI 1.1");
		return -1;
	}
	*state_out = (void *)host; /* the only state: the host table */
	return 0;
}

static void pwl11_fini(void *state)
{
	(void)state;
}

AUTHSVC_EXPORT const struct authsvc_plugin authsvc_plugin = {
    AUTHSVC_PLUGIN_HEADER, .name = "pwl_11",   .version = "1.0.0",
    .routes = routes,	   .init = pwl11_init, .fini = pwl11_fini,
};
