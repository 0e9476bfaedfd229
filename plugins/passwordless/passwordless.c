/* SPDX-License-Identifier: Apache-2.0 */
/*
 * passwordless: login by a one-time code sent to the user, no password
 * (docs/api.md "Second factor and passwordless login").
 *
 * POST /auth/passwordless/start {client_id, client_secret, key} sends a
 * code and answers 204 whether or not the user exists (the host writes the
 * same row for an unknown key and sends nothing, so the database work is
 * the same). POST /auth/passwordless/verify {key, otp} checks it (wrong:
 * 401 Otp Invalid, counted, burned after otp.max_attempts; none live: 401
 * Otp Token Incorrect or Expired) and ends like every login, through
 * complete_login: eligibility, the MFA gate, then an auth code for the
 * client the code was sent for.
 *
 * With the setting signup = true, a key that is an e-mail address of no
 * account gets a code too, and the account is created (in the server's
 * account.signup_tenant and signup_role, without a password) when that code
 * comes back: sign-up on first login.
 */
#include <stdio.h>
#include <stdlib.h>

#include <authsvc/plugin.h>

struct pwl {
	const struct authsvc_host *host;
	uint32_t otp_flags; /* AUTHSVC_OTP_SIGNUP with the setting signup */
};

static const struct authsvc_setting pwl_settings[] = {
    {.key = "signup",
     .type = AUTHSVC_SET_BOOL,
     .def_int = 0,
     .help = "create the account on the first login of an unknown e-mail address"},
    {0},
};

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
	struct pwl *p = state;
	const char *key = p->host->req_body_str(req, "key");
	enum authsvc_status st;

	(void)tstate;
	if (key == NULL || *key == '\0')
		return AUTHSVC_INVALID;
	st = p->host->otp_send_ex(req, "passwordless", key, p->otp_flags);
	if (st != AUTHSVC_OK)
		return st;
	p->host->reply_json(req, 204, NULL);
	return AUTHSVC_OK;
}

static enum authsvc_status verify(void *state, void *tstate, struct authsvc_req *req)
{
	struct pwl *p = state;
	const char *key = p->host->req_body_str(req, "key");
	const char *otp = p->host->req_body_str(req, "otp");
	struct authsvc_identity who;
	enum authsvc_status st;

	(void)tstate;
	if (key == NULL || otp == NULL)
		return AUTHSVC_INVALID;
	st = p->host->otp_check_ex(req, "passwordless", key, otp, p->otp_flags, &who);
	switch (st) {
	case AUTHSVC_OK:
		return p->host->complete_login(req, &who, AUTHSVC_LOGIN_CODE);
	case AUTHSVC_DENIED:
		p->host->reply_error(req, 401, "Otp Invalid");
		return AUTHSVC_OK;
	default:
		return st; /* EXPIRED, THROTTLED, UNAVAILABLE, ... */
	}
}

static const struct authsvc_route pwl_routes[] = {
    {"POST", "/auth/passwordless/start", start, AUTHSVC_ROUTE_CLIENT_AUTH, start_fields},
    {"POST", "/auth/passwordless/verify", verify, 0, verify_fields},
    {0},
};

static int pwl_init(const struct authsvc_host *host, const struct authsvc_cfg *cfg,
		    void **state_out, struct authsvc_err *err)
{
	struct pwl *p;

	if (host->abi_major != AUTHSVC_ABI_MAJOR ||
	    !AUTHSVC_HAS(struct authsvc_host, host, otp_check_ex)) {
		snprintf(err->msg, sizeof(err->msg), "host too old: needs ABI 1.2");
		return -1;
	}
	p = calloc(1, sizeof(*p));
	if (p == NULL) {
		snprintf(err->msg, sizeof(err->msg), "out of memory");
		return -1;
	}
	p->host = host;
	p->otp_flags = host->cfg_int(cfg, "signup") ? AUTHSVC_OTP_SIGNUP : 0;
	*state_out = p;
	return 0;
}

static void pwl_fini(void *state)
{
	free(state);
}

AUTHSVC_EXPORT const struct authsvc_plugin authsvc_plugin = {
    AUTHSVC_PLUGIN_HEADER, .name = "passwordless", .version = "1.0.0", .settings = pwl_settings,
    .routes = pwl_routes,  .init = pwl_init,	   .fini = pwl_fini,
};
