/*
 * The second step of an MFA login: POST /auth/verify-otp checks the
 * second factor against the MFA transaction the gate (mfa_gate.c) opened,
 * and only that one: same user, same client, within mfa.ttl. It burns
 * the transaction and only then finishes the login (finish.c) with a
 * normal code. A direct-token login (/auth/login-token) cannot pass the
 * gate. Also the host API's mfa_lookup.
 */
#include "core/otp.h"

#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>

#include "core/app.h"
#include "core/handlers.h"
#include "core/issue.h"
#include "core/finish.h"
#include "core/mfa_gate.h"
#include "core/otp_code.h"
#include "http/request.h"
#include "http/workers.h"
#include "log/log.h"
#include "core/hooks.h"
#include "store/failures.h"
#include "store/otp.h"
#include "tokens/opaque.h"

enum authsvc_status core_mfa_lookup(struct authsvc_req *req, const char *code,
				    const char *client_id, struct authsvc_identity *who_out)
{
	struct db *db;
	struct otp_row row;
	struct user_contact c;
	struct err err = {0};
	enum authsvc_status st;
	char hash[65];
	bool expired;
	int rc;

	if (req == NULL || req->worker == NULL || code == NULL || client_id == NULL ||
	    who_out == NULL)
		return AUTHSVC_ERROR;
	db = &req->worker->db;
	st = core_use_client(req, client_id);
	if (st != AUTHSVC_OK)
		return st == AUTHSVC_DENIED ? AUTHSVC_NOT_FOUND : st;
	core_token_hash(code, hash);
	rc = store_otp_by_code(db, hash, &row, &expired, &err);
	if (rc < 0)
		return req_store_status(req, &err);
	if (strcmp(row.client_id, client_id) != 0)
		return AUTHSVC_DENIED;
	if (expired)
		return AUTHSVC_EXPIRED;
	if (rc == 0)
		return AUTHSVC_DENIED;
	rc = store_user_contact(db, row.user_id, true, &c, &err);
	if (rc < 0)
		return req_store_status(req, &err);
	if (rc == 0)
		return AUTHSVC_DENIED;
	memset(who_out, 0, sizeof(*who_out));
	snprintf(who_out->user_id, sizeof(who_out->user_id), "%s", c.user_id);
	snprintf(who_out->username, sizeof(who_out->username), "%s", c.username);
	snprintf(who_out->provider, sizeof(who_out->provider), "%s", c.provider);
	return AUTHSVC_OK;
}

/* The second factor itself: the sent code, or the MFA_VERIFY hooks. */
static enum authsvc_status second_factor(struct authsvc_req *req, const struct otp_row *row,
					 const struct user_contact *c, const char *otp)
{
	struct authsvc_identity who = {0};
	char hash[65];

	if (core_mfa_method_otp(req)) {
		if (!row->otp_live)
			return AUTHSVC_EXPIRED;
		otp_code_hash("mfa", c->user_id, otp, hash);
		return tokens_equal_ct(hash, row->otp_hash) ? AUTHSVC_OK : AUTHSVC_DENIED;
	}
	snprintf(who.user_id, sizeof(who.user_id), "%s", c->user_id);
	snprintf(who.username, sizeof(who.username), "%s", c->username);
	snprintf(who.provider, sizeof(who.provider), "%s", c->provider);
	return hooks_mfa_verify(&req->app->hooks, req, &who, otp);
}

/* A wrong second factor: counted on the transaction (burned at
 * otp.max_attempts) and by the brute-force counters. */
static enum authsvc_status wrong(struct authsvc_req *req, struct db *db, const char *user_id,
				 const char *account, const char *ip)
{
	const struct bruteforce_policy *bp = &req->app->cfg->bruteforce;
	struct err err = {0};

	if (store_otp_fail(db, "mfa", user_id, req->app->cfg->otp.max_attempts, &err) < 0)
		return req_fail_store(req, &err);
	/* an attempt that cannot be counted fails closed (see login.c) */
	if (bp->enabled && store_failures_add(db, bp, account, ip, &err) < 0)
		return req_fail_store(req, &err);
	return req_fail(req, 401, "Otp Invalid");
}

enum authsvc_status h_verify_otp(void *state, void *tstate, struct authsvc_req *req)
{
	const struct bruteforce_policy *bp = &req->app->cfg->bruteforce;
	struct db *db = &req->worker->db;
	const char *key = req_body_str(req, "key"), *otp = req_body_str(req, "otp");
	const char *client_id = req_body_str(req, "clientId"), *code = req_body_str(req, "code");
	struct user_contact c;
	struct otp_row row;
	struct authsvc_identity who = {0};
	struct err err = {0};
	char ip[64], code_hash[65] = "";
	enum authsvc_status st;
	int rc;

	(void)state;
	(void)tstate;
	core_client_ip(req, ip, sizeof(ip));
	if (bp->enabled) {
		rc = store_failures_locked(db, key, ip, &err);
		if (rc < 0)
			return req_fail_store(req, &err);
		if (rc > 0) {
			req->retry_after = rc;
			req_fail_status(req, AUTHSVC_THROTTLED);
			return AUTHSVC_OK;
		}
	}
	if (strcmp(req->app->cfg->mfa.mode, "off") == 0)
		return req_fail(req, 400, "MFA is not enabled for this user.");
	/* unknown user and no transaction answer alike */
	rc = store_user_contact(db, key, false, &c, &err);
	if (rc == 1)
		rc = store_otp_get(db, "mfa", c.user_id, &row, &err);
	if (rc < 0)
		return req_fail_store(req, &err);
	if (code != NULL)
		core_token_hash(code, code_hash);
	if (rc == 0 || (client_id != NULL && strcmp(client_id, row.client_id) != 0) ||
	    (code != NULL && !tokens_equal_ct(code_hash, row.code_hash)))
		return req_fail(req, 401, "Otp Token Incorrect or Expired");
	st = second_factor(req, &row, &c, otp);
	if (st == AUTHSVC_EXPIRED)
		return req_fail(req, 401, "Otp Token Incorrect or Expired");
	if (st == AUTHSVC_DENIED || st == AUTHSVC_NOT_FOUND)
		return wrong(req, db, c.user_id, key, ip);
	if (st == AUTHSVC_DECLINED)
		return req_fail(req, 401, "Invalid Credentials"); /* no factor enrolled */
	if (st != AUTHSVC_OK)
		return st;
	/* cleared before the transaction is burned: if the counters cannot be
	 * written (503), the code still works once they can */
	if (bp->enabled && store_failures_clear(db, key, &err) < 0)
		return req_fail_store(req, &err);
	/* burn the transaction; a concurrent verify of the same one loses */
	rc = store_otp_take(db, "mfa", c.user_id, NULL, row.code_hash, &err);
	if (rc < 0)
		return req_fail_store(req, &err);
	if (rc == 0)
		return req_fail(req, 401, "Otp Token Incorrect or Expired");
	st = core_use_client(req, row.client_id);
	if (st != AUTHSVC_OK)
		return st == AUTHSVC_DENIED ? req_fail(req, 401, "Client Invalid") : st;
	snprintf(who.user_id, sizeof(who.user_id), "%s", c.user_id);
	snprintf(who.username, sizeof(who.username), "%s", c.username);
	snprintf(who.provider, sizeof(who.provider), "%s", c.provider);
	return core_finish_login(req, &who, AUTHSVC_LOGIN_CODE, true);
}
