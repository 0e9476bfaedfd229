/* SPDX-License-Identifier: Apache-2.0 */
/*
 * otp: the e-mailed/texted second factor (docs/api.md "Second factor and passwordless login").
 *
 * With mfa.method = "otp" the core sends a code when the password step
 * reaches the MFA gate; POST /auth/send-otp sends a fresh one for the
 * user's live MFA transaction (a resend). The answer is 204 whether or
 * not the user exists or has a transaction, so it reveals nothing.
 * Checking the code is the core's /auth/verify-otp, bound to the
 * transaction, so this plugin cannot weaken the gate.
 */
#include <stdio.h>
#include <stdlib.h>

#include <authsvc/plugin.h>

struct otp {
	const struct authsvc_host *host;
};

static const struct authsvc_field send_fields[] = {
    {"client_id", AUTHSVC_FIELD_STRING, 1},
    {"client_secret", AUTHSVC_FIELD_STRING, 0},
    {"key", AUTHSVC_FIELD_STRING, 1},
    {0},
};

static enum authsvc_status send_otp(void *state, void *tstate, struct authsvc_req *req)
{
	struct otp *o = state;
	const char *key = o->host->req_body_str(req, "key");
	enum authsvc_status st;

	(void)tstate;
	if (key == NULL || *key == '\0')
		return AUTHSVC_INVALID;
	st = o->host->otp_send(req, "mfa", key);
	if (st != AUTHSVC_OK)
		return st;
	o->host->reply_json(req, 204, NULL);
	return AUTHSVC_OK;
}

static const struct authsvc_route otp_routes[] = {
    {"POST", "/auth/send-otp", send_otp, AUTHSVC_ROUTE_CLIENT_AUTH, send_fields},
    {0},
};

static int otp_init(const struct authsvc_host *host, const struct authsvc_cfg *cfg,
		    void **state_out, struct authsvc_err *err)
{
	struct otp *o;

	(void)cfg;
	if (host->abi_major != AUTHSVC_ABI_MAJOR ||
	    !AUTHSVC_HAS(struct authsvc_host, host, mfa_lookup)) {
		snprintf(err->msg, sizeof(err->msg), "host too old: needs ABI 1.1");
		return -1;
	}
	o = calloc(1, sizeof(*o));
	if (o == NULL) {
		snprintf(err->msg, sizeof(err->msg), "out of memory");
		return -1;
	}
	o->host = host;
	*state_out = o;
	return 0;
}

static void otp_fini(void *state)
{
	free(state);
}

AUTHSVC_EXPORT const struct authsvc_plugin authsvc_plugin = {
    AUTHSVC_PLUGIN_HEADER, .name = "otp",    .version = "1.0.0",
    .routes = otp_routes,  .init = otp_init, .fini = otp_fini,
};
