/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The MFA gate (see mfa_gate.h): does this login need a second factor,
 * and stopping it there with an MFA-flagged code.
 */
#include "core/mfa_gate.h"

#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>

#include "core/app.h"
#include "core/deliver.h"
#include "core/issue.h"
#include "core/otp.h"
#include "http/request.h"
#include "http/workers.h"
#include "log/log.h"
#include "store/otp.h"
#include "tokens/opaque.h"

bool core_mfa_method_otp(const struct authsvc_req *req)
{
	return strcmp(req->cfg->mfa.method, "otp") == 0;
}

bool core_mfa_applies(struct authsvc_req *req, const struct user_ctx *u)
{
	const struct mfa_conf *m = &req->cfg->mfa;
	struct user_contact c;
	struct err err = {0};

	if (strcmp(m->mode, "off") == 0 || req->client == NULL ||
	    !config_client_listed(m->clients, m->nclients, req->client->client_id))
		return false;
	if (req->otp_factor && core_mfa_method_otp(req))
		return false; /* a code sent to the user already proved this login */
	if (strcmp(m->mode, "all") == 0)
		return true;
	/* "users": the user's own switch; fail closed if it cannot be read */
	return store_user_contact(&req->worker->db, u->user_id, true, &c, &err) != 1 ||
	       c.mfa_enabled;
}

enum authsvc_status core_mfa_begin(struct authsvc_req *req, struct db *db, const struct user_ctx *u,
				   uint32_t flags)
{
	const struct config *cfg = req->cfg;
	struct user_contact c;
	struct err err = {0};
	char code[44], code_hash[65], otp[16], otp_hash[65];
	enum authsvc_status st;

	if (flags & AUTHSVC_LOGIN_TOKENS)
		return req_fail(req, 401, "User Verification Failed");
	if (core_mfa_method_otp(req)) {
		if ((st = core_delivery_ready(req)) != AUTHSVC_OK ||
		    (st = core_send_limit(req, "otp", u->username)) != AUTHSVC_OK)
			return st;
		if (store_user_contact(db, u->user_id, true, &c, &err) != 1)
			return err.code ? req_fail_store(req, &err)
					: req_fail(req, 401, "UserDoesNotExist");
		if (!notify_can_reach(req->app->notifier,
				      &(struct notify_to){c.email, c.phone, c.username})) {
			log_warn("mfa: no address to send the code to req=%s user=%s", req->id,
				 u->user_id);
			return req_fail(req, 401, "User Verification Failed");
		}
		if ((st = core_otp_make(req, "mfa", u->user_id, otp, otp_hash)) != AUTHSVC_OK)
			return st;
	}
	if (tokens_random_b64url(code, sizeof(code), 32) < 0)
		return AUTHSVC_ERROR;
	core_token_hash(code, code_hash);
	if (store_otp_put(db, "mfa", u->user_id, u->user_id, req->client->client_id,
			  core_mfa_method_otp(req) ? otp_hash : NULL, code_hash, cfg->otp.ttl_s,
			  cfg->mfa.ttl_s, &err) < 0) {
		OPENSSL_cleanse(code, sizeof(code));
		if (core_mfa_method_otp(req))
			OPENSSL_cleanse(otp, sizeof(otp));
		return req_fail_store(req, &err);
	}
	if (core_mfa_method_otp(req) &&
	    (st = core_otp_deliver(req, "otp", &c, otp)) != AUTHSVC_OK) {
		OPENSSL_cleanse(code, sizeof(code));
		return st;
	}
	log_info("mfa required req=%s user=%s client=%s method=%s", req->id, u->user_id,
		 LOG_Q(req->client->client_id), cfg->mfa.method);
	req_reply_json(req, 200, json_pack("{s:s}", "code", code));
	OPENSSL_cleanse(code, sizeof(code));
	return AUTHSVC_OK;
}

bool core_mfa_code_known(struct db *db, const char *code_hash)
{
	struct otp_row row;
	struct err err = {0};
	bool expired;

	return store_otp_by_code(db, code_hash, &row, &expired, &err) == 1 || expired;
}
