/* SPDX-License-Identifier: Apache-2.0 */
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
#include "store/social.h"
#include "core/otp_code.h"
#include "http/request.h"
#include "http/workers.h"
#include "log/log.h"
#include "core/hooks.h"
#include "core/throttle.h"
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

/* A wrong second factor. One sent with the step's own MFA-flagged code
 * (the client that passed the password step) was counted on the step
 * before the check (owner_attempt); the step burns once it has had
 * otp.max_attempts. One without it was counted on the step's guess
 * counter before it was checked, and never burns the owner's step. The
 * throttle counted it either way. */
static enum authsvc_status wrong(struct authsvc_req *req, struct db *db, const char *user_id,
				 bool owner)
{
	struct err err = {0};

	if (owner && store_otp_burn_spent(db, "mfa", user_id, req->cfg->otp.max_attempts, &err) < 0)
		return req_fail_store(req, &err);
	return req_fail(req, 401, "Otp Invalid");
}

/* The owner's attempt, counted on the step before the check, so parallel
 * guesses (on any number of instances) get otp.max_attempts checks in
 * all: > 0 go on, 0 the step is spent, -1 store error. */
static int owner_attempt(struct authsvc_req *req, struct db *db, const char *user_id,
			 struct err *err)
{
	return store_otp_attempt(db, "mfa", user_id, req->cfg->otp.max_attempts, err);
}

/* Settle the throttle, then answer: a store failure there wins (fail
 * closed). */
static enum authsvc_status settle(struct authsvc_req *req, struct db *db, struct throttle *th,
				  enum authsvc_status verdict, int status, const char *message)
{
	enum authsvc_status st = core_throttle_end(req, db, th, verdict);

	if (st != AUTHSVC_OK) {
		req_fail_status(req, st);
		return AUTHSVC_OK;
	}
	return req_fail(req, status, message);
}

/* A guess without the step's code, from a client without a device token:
 * counted on the step before it is checked; past otp.max_attempts such
 * guesses are refused (429) until the step expires, and the step stays
 * usable by its owner. 0: go on; 1: answered. */
static int step_guess(struct authsvc_req *req, struct db *db, struct throttle *th,
		      const char *code_hash)
{
	const struct config *cfg = req->cfg;
	struct err err = {0};
	enum authsvc_status st;
	int rc;

	if (!cfg->bruteforce.enabled)
		return 0;
	rc = store_failures_take(db, "step", code_hash, cfg->otp.max_attempts, cfg->mfa.ttl_s,
				 cfg->mfa.ttl_s, &err);
	if (rc == 0)
		return 0;
	if (rc < 0) {
		req_fail_store(req, &err);
		return 1;
	}
	st = core_throttle_end(req, db, th, AUTHSVC_INVALID);
	if (st == AUTHSVC_OK) {
		req->retry_after = rc;
		st = AUTHSVC_THROTTLED;
	}
	req_fail_status(req, st);
	return 1;
}

enum authsvc_status h_verify_otp(void *state, void *tstate, struct authsvc_req *req)
{
	struct db *db = &req->worker->db;
	const char *key = req_body_str(req, "key"), *otp = req_body_str(req, "otp");
	const char *client_id = req_body_str(req, "clientId"), *code = req_body_str(req, "code");
	struct user_contact c;
	struct otp_row row;
	struct authsvc_identity who = {0};
	struct throttle th;
	struct err err = {0};
	char code_hash[65] = "", bound_challenge[65], bound_provider[51];
	enum authsvc_status st;
	bool owner;
	int rc;

	(void)state;
	(void)tstate;
	/* counted before anything is checked (core/throttle.h) */
	st = core_throttle_begin(req, db, key, &th);
	if (st != AUTHSVC_OK) {
		req_fail_status(req, st);
		return AUTHSVC_OK;
	}
	if (strcmp(req->cfg->mfa.mode, "off") == 0)
		return settle(req, db, &th, AUTHSVC_INVALID, 400,
			      "MFA is not enabled for this user.");
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
		return settle(req, db, &th, AUTHSVC_DENIED, 401, "Otp Token Incorrect or Expired");
	owner = code != NULL;
	if (!owner && !req->device_known && step_guess(req, db, &th, row.code_hash))
		return AUTHSVC_OK;
	if (owner) {
		rc = owner_attempt(req, db, c.user_id, &err);
		if (rc < 0)
			return req_fail_store(req, &err);
		if (rc == 0) /* burned meanwhile */
			return settle(req, db, &th, AUTHSVC_DENIED, 401,
				      "Otp Token Incorrect or Expired");
	}
	st = second_factor(req, &row, &c, otp);
	if (st == AUTHSVC_EXPIRED)
		return settle(req, db, &th, AUTHSVC_DENIED, 401, "Otp Token Incorrect or Expired");
	if (st == AUTHSVC_DENIED || st == AUTHSVC_NOT_FOUND)
		return wrong(req, db, c.user_id, owner); /* stays counted */
	if (st == AUTHSVC_DECLINED)			 /* no factor enrolled */
		return settle(req, db, &th, AUTHSVC_INVALID, 401, "Invalid Credentials");
	if (st != AUTHSVC_OK) {
		if (core_throttle_end(req, db, &th, AUTHSVC_INVALID) != AUTHSVC_OK)
			return AUTHSVC_UNAVAILABLE;
		return st;
	}
	/* settled before the transaction is burned: if the counters cannot be
	 * written (503), the code still works once they can */
	st = core_throttle_end(req, db, &th, AUTHSVC_OK);
	if (st != AUTHSVC_OK) {
		req_fail_status(req, st);
		return AUTHSVC_OK;
	}
	/* what the login bound to the transaction goes to the code (finish.h) */
	if (store_mfa_bound(db, row.code_hash, bound_challenge, bound_provider, &err) < 0)
		return req_fail_store(req, &err);
	/* burn the transaction; a concurrent verify of the same one loses */
	rc = store_otp_take(db, "mfa", c.user_id, NULL, row.code_hash, &err);
	if (rc < 0)
		return req_fail_store(req, &err);
	if (rc == 0)
		return req_fail(req, 401, "Otp Token Incorrect or Expired");
	if (req->cfg->bruteforce.enabled &&
	    store_failures_forget(db, "step", row.code_hash, &err) < 0)
		return req_fail_store(req, &err);
	st = core_use_client(req, row.client_id);
	if (st != AUTHSVC_OK)
		return st == AUTHSVC_DENIED ? req_fail(req, 401, "Client Invalid") : st;
	snprintf(who.user_id, sizeof(who.user_id), "%s", c.user_id);
	snprintf(who.username, sizeof(who.username), "%s", c.username);
	snprintf(who.provider, sizeof(who.provider), "%s", c.provider);
	return core_finish_login_bound(
	    req, &who, AUTHSVC_LOGIN_CODE, true,
	    &(struct login_bind){bound_challenge[0] != '\0' ? bound_challenge : NULL,
				 bound_provider[0] != '\0' ? bound_provider : NULL});
}
