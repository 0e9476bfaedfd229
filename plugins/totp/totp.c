/* SPDX-License-Identifier: Apache-2.0 */
/*
 * totp: the authenticator-app second factor (RFC 6238; docs/api.md "Second factor and passwordless
 * login").
 *
 * GET /auth/check-qr-code (headers code, clientId) says whether the user of
 * an MFA-flagged code has a confirmed authenticator. POST
 * /auth/create-qr-code {clientId, code} enrols one: a new random secret,
 * kept by the host encrypted and pending until its first code verifies,
 * returned as an otpauth:// URI and its QR code (PNG data URL); refused
 * with 409 once an authenticator is confirmed. The MFA_VERIFY hook checks
 * app codes for /auth/verify-otp: ±window steps, and a step already used
 * is refused (no replay). The core decides who the user is (the live MFA
 * transaction), so this plugin cannot skip the password step.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <authsvc/plugin.h>

#include "otp_math.h"
#include "qr.h"

/* Longest issuer: the URI (issuer twice, percent-encoded) must fit a QR code. */
#define ISSUER_MAX 100

struct totp {
	const struct authsvc_host *host;
	const char *issuer;
	unsigned digits, period, window, secret_bytes;
};

static const struct authsvc_setting totp_settings[] = {
    {.key = "issuer",
     .type = AUTHSVC_SET_STRING,
     .def_str = "auth-service",
     .help = "name shown in the authenticator app (1-100 characters)"},
    {.key = "digits", .type = AUTHSVC_SET_INT, .def_int = 6, .min = 6, .max = 8},
    {.key = "period", .type = AUTHSVC_SET_INT, .def_int = 30, .min = 15, .max = 120},
    {.key = "window",
     .type = AUTHSVC_SET_INT,
     .def_int = 1,
     .min = 0,
     .max = 3,
     .help = "steps accepted before and after the current one"},
    {.key = "secret_bytes", .type = AUTHSVC_SET_INT, .def_int = 20, .min = 16, .max = 64},
    {0},
};

static const struct authsvc_field create_fields[] = {
    {"clientId", AUTHSVC_FIELD_STRING, 1},
    {"code", AUTHSVC_FIELD_STRING, 1},
    {0},
};

static enum authsvc_status fail(struct totp *t, struct authsvc_req *req, int status,
				const char *msg)
{
	t->host->reply_error(req, status, msg);
	return AUTHSVC_OK;
}

/* The user of an MFA-flagged code: OK, or the reply is set (and OK returned
 * through *done) / a status to return. */
static enum authsvc_status code_user(struct totp *t, struct authsvc_req *req, const char *code,
				     const char *client_id, struct authsvc_identity *who,
				     bool *replied)
{
	enum authsvc_status st;

	*replied = true;
	if (client_id == NULL || *client_id == '\0')
		return fail(t, req, 401, "Client Invalid");
	if (code == NULL || *code == '\0')
		return fail(t, req, 401, "Token Invalid");
	st = t->host->mfa_lookup(req, code, client_id, who);
	switch (st) {
	case AUTHSVC_OK:
		*replied = false;
		return AUTHSVC_OK;
	case AUTHSVC_NOT_FOUND:
		return fail(t, req, 401, "Client Invalid");
	case AUTHSVC_EXPIRED:
		return fail(t, req, 401, "Code Expired");
	case AUTHSVC_DENIED:
		return fail(t, req, 401, "Invalid Credentials");
	default:
		*replied = false;
		return st;
	}
}

/* 1 confirmed secret, 0 none or pending, -1 (status in *st). */
static int enrolled(struct totp *t, struct authsvc_req *req, const char *user_id,
		    enum authsvc_status *st)
{
	char secret[160];
	int confirmed = 0;

	*st = t->host->secret_get(req, user_id, "totp", secret, sizeof(secret), &confirmed);
	t->host->wipe(secret, sizeof(secret));
	if (*st == AUTHSVC_NOT_FOUND)
		return 0;
	if (*st != AUTHSVC_OK)
		return -1;
	return confirmed ? 1 : 0;
}

static enum authsvc_status check_qr(void *state, void *tstate, struct authsvc_req *req)
{
	struct totp *t = state;
	struct authsvc_identity who;
	enum authsvc_status st;
	bool replied;
	int rc;

	(void)tstate;
	st = code_user(t, req, t->host->req_header(req, "code"),
		       t->host->req_header(req, "clientId"), &who, &replied);
	if (replied || st != AUTHSVC_OK)
		return st;
	rc = enrolled(t, req, who.user_id, &st);
	if (rc < 0)
		return st;
	t->host->reply_json(req, 200, json_pack("{s:b}", "isGenerated", rc));
	return AUTHSVC_OK;
}

static void pct_encode(const char *in, char *out, size_t outsz)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t o = 0;

	for (; *in != '\0' && o + 3 < outsz; in++) {
		unsigned char ch = (unsigned char)*in;

		if ((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') ||
		    (ch >= '0' && ch <= '9') || ch == '-' || ch == '.' || ch == '_' || ch == '~' ||
		    ch == '@') {
			out[o++] = (char)ch;
		} else {
			out[o++] = '%';
			out[o++] = hex[ch >> 4];
			out[o++] = hex[ch & 15];
		}
	}
	out[o] = '\0';
}

static enum authsvc_status create_qr(void *state, void *tstate, struct authsvc_req *req)
{
	struct totp *t = state;
	struct authsvc_identity who;
	unsigned char raw[64];
	char b32[128], uri[1536], issuer[3 * ISSUER_MAX + 1], user[3 * sizeof(who.username)], *png;
	enum authsvc_status st;
	bool replied;
	int rc, n;

	(void)tstate;
	st = code_user(t, req, t->host->req_body_str(req, "code"),
		       t->host->req_body_str(req, "clientId"), &who, &replied);
	if (replied || st != AUTHSVC_OK)
		return st;
	rc = enrolled(t, req, who.user_id, &st);
	if (rc < 0)
		return st;
	if (rc == 1)
		return fail(t, req, 409, "TOTP already enrolled");
	if (t->host->random_bytes(raw, t->secret_bytes) < 0 ||
	    base32_encode(raw, t->secret_bytes, b32, sizeof(b32)) < 0) {
		t->host->wipe(raw, sizeof(raw));
		return AUTHSVC_ERROR;
	}
	t->host->wipe(raw, sizeof(raw));
	st = t->host->secret_set(req, who.user_id, "totp", b32);
	if (st != AUTHSVC_OK) {
		t->host->wipe(b32, sizeof(b32));
		if (st == AUTHSVC_DENIED) /* confirmed by a concurrent enrolment */
			return fail(t, req, 409, "TOTP already enrolled");
		return st == AUTHSVC_NOT_FOUND ? fail(t, req, 401, "UserDoesNotExist") : st;
	}
	pct_encode(t->issuer, issuer, sizeof(issuer));
	pct_encode(who.username, user, sizeof(user));
	n = snprintf(uri, sizeof(uri),
		     "otpauth://totp/%s:%s?secret=%s&issuer=%s&algorithm=SHA1&digits=%u&period=%u",
		     issuer, user, b32, issuer, t->digits, t->period);
	t->host->wipe(b32, sizeof(b32));
	png = n > 0 && (size_t)n < sizeof(uri) ? qr_png_data_url(uri) : NULL;
	if (png == NULL) {
		t->host->wipe(uri, sizeof(uri));
		return AUTHSVC_ERROR;
	}
	t->host->reply_json(req, 200, json_pack("{s:s, s:s}", "qrCode", png, "otpauthUri", uri));
	t->host->wipe(uri, sizeof(uri));
	t->host->wipe(png, strlen(png)); /* the QR picture encodes the secret too */
	free(png);
	return AUTHSVC_OK;
}

static enum authsvc_status verify_hook(void *state, void *tstate, struct authsvc_req *req,
				       const struct authsvc_identity *who, const char *otp)
{
	struct totp *t = state;
	char secret[160];
	unsigned char key[128];
	enum authsvc_status st;
	int confirmed = 0, keylen;
	int64_t step;

	(void)tstate;
	st = t->host->secret_get(req, who->user_id, "totp", secret, sizeof(secret), &confirmed);
	if (st == AUTHSVC_NOT_FOUND)
		return AUTHSVC_DECLINED;
	if (st != AUTHSVC_OK)
		return st;
	keylen = base32_decode(secret, key, sizeof(key));
	t->host->wipe(secret, sizeof(secret));
	if (keylen <= 0)
		return AUTHSVC_ERROR;
	step = totp_match(key, (size_t)keylen, time(NULL), t->period, t->window, t->digits, otp);
	t->host->wipe(key, sizeof(key));
	if (step < 0)
		return AUTHSVC_DENIED;
	/* used once: a code replayed in its step (or an older one) is refused */
	return t->host->secret_use_step(req, who->user_id, "totp", step);
}

static const struct authsvc_route totp_routes[] = {
    {"GET", "/auth/check-qr-code", check_qr, 0, NULL},
    {"POST", "/auth/create-qr-code", create_qr, 0, create_fields},
    {0},
};

static const struct authsvc_mfa_verify_hook totp_mfa_hooks[] = {
    {.order = 0, .fn = verify_hook},
    {0},
};

static const struct authsvc_hooks totp_hooks = {
    AUTHSVC_HOOKS_HEADER,
    .mfa_verify = totp_mfa_hooks,
};

static int totp_init(const struct authsvc_host *host, const struct authsvc_cfg *cfg,
		     void **state_out, struct authsvc_err *err)
{
	struct totp *t;

	if (host->abi_major != AUTHSVC_ABI_MAJOR ||
	    !AUTHSVC_HAS(struct authsvc_host, host, mfa_lookup)) {
		snprintf(err->msg, sizeof(err->msg), "host too old: needs ABI 1.1");
		return -1;
	}
	if (host->cfg_str(cfg, "issuer") == NULL || *host->cfg_str(cfg, "issuer") == '\0' ||
	    strlen(host->cfg_str(cfg, "issuer")) > ISSUER_MAX) {
		snprintf(err->msg, sizeof(err->msg), "issuer: 1 to %d characters", ISSUER_MAX);
		return -1;
	}
	t = calloc(1, sizeof(*t));
	if (t == NULL || otp_math_init() < 0) {
		free(t);
		snprintf(err->msg, sizeof(err->msg), "cannot initialise liboath");
		return -1;
	}
	t->host = host;
	t->issuer = host->cfg_str(cfg, "issuer");
	t->digits = (unsigned)host->cfg_int(cfg, "digits");
	t->period = (unsigned)host->cfg_int(cfg, "period");
	t->window = (unsigned)host->cfg_int(cfg, "window");
	t->secret_bytes = (unsigned)host->cfg_int(cfg, "secret_bytes");
	*state_out = t;
	return 0;
}

static void totp_fini(void *state)
{
	otp_math_done();
	free(state);
}

AUTHSVC_EXPORT const struct authsvc_plugin authsvc_plugin = {
    AUTHSVC_PLUGIN_HEADER,     .name = "totp",	      .version = "1.0.0",
    .settings = totp_settings, .routes = totp_routes, .typed_hooks = &totp_hooks,
    .init = totp_init,	       .fini = totp_fini,
};
