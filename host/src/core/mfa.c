/*
 * The MFA gate (BEHAVIOUR §5.4, with the [REC] fixes): a login that needs
 * a second factor ends at the gate with an MFA-flagged code, which
 * /auth/token refuses. The MFA transaction (otp_pending, space 'mfa', key
 * = the user id) binds the second step to the first: same user, same
 * client, within mfa.ttl. /auth/verify-otp checks the second factor
 * against that transaction only, burns it, and only then issues a normal
 * code. A direct-token login (/auth/login-token) cannot pass the gate.
 */
#include "core/otp.h"

#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>

#include "core/app.h"
#include "core/deliver.h"
#include "core/handlers.h"
#include "core/issue.h"
#include "core/login.h"
#include "core/otp_code.h"
#include "http/request.h"
#include "http/workers.h"
#include "log/log.h"
#include "plugins/loader.h"
#include "store/failures.h"
#include "store/otp.h"
#include "tokens/opaque.h"

static bool method_otp(const struct authsvc_req *req)
{
	return strcmp(req->app->cfg->mfa.method, "otp") == 0;
}

bool core_mfa_applies(struct authsvc_req *req, const struct user_ctx *u)
{
	const struct mfa_conf *m = &req->app->cfg->mfa;
	struct user_contact c;
	struct err err = {0};

	if (strcmp(m->mode, "off") == 0 || req->client == NULL ||
	    !config_client_listed(m->clients, m->nclients, req->client->client_id))
		return false;
	if (req->otp_factor && method_otp(req))
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
	const struct config *cfg = req->app->cfg;
	struct user_contact c;
	struct err err = {0};
	char code[44], code_hash[65], otp[16], otp_hash[65];
	enum authsvc_status st;

	if (flags & AUTHSVC_LOGIN_TOKENS)
		return req_fail(req, 401, "User Verification Failed");
	if (method_otp(req)) {
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
			  method_otp(req) ? otp_hash : NULL, code_hash, cfg->otp.ttl_s,
			  cfg->mfa.ttl_s, &err) < 0) {
		OPENSSL_cleanse(code, sizeof(code));
		if (method_otp(req))
			OPENSSL_cleanse(otp, sizeof(otp));
		return req_fail_store(req, &err);
	}
	if (method_otp(req) && (st = core_otp_deliver(req, "otp", &c, otp)) != AUTHSVC_OK) {
		OPENSSL_cleanse(code, sizeof(code));
		return st;
	}
	log_info("mfa required req=%s user=%s client=%s method=%s", req->id, u->user_id,
		 req->client->client_id, cfg->mfa.method);
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

	if (method_otp(req)) {
		if (!row->otp_live)
			return AUTHSVC_EXPIRED;
		otp_code_hash("mfa", c->user_id, otp, hash);
		return tokens_equal_ct(hash, row->otp_hash) ? AUTHSVC_OK : AUTHSVC_DENIED;
	}
	snprintf(who.user_id, sizeof(who.user_id), "%s", c->user_id);
	snprintf(who.username, sizeof(who.username), "%s", c->username);
	snprintf(who.provider, sizeof(who.provider), "%s", c->provider);
	return plugins_run_hooks(req->app->plugins, AUTHSVC_HOOK_MFA_VERIFY, req, c->username, otp,
				 &who);
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
	/* burn the transaction; a concurrent verify of the same one loses */
	rc = store_otp_take(db, "mfa", c.user_id, NULL, row.code_hash, &err);
	if (rc < 0)
		return req_fail_store(req, &err);
	if (rc == 0)
		return req_fail(req, 401, "Otp Token Incorrect or Expired");
	if (bp->enabled && store_failures_clear(db, key, &err) < 0)
		return req_fail_store(req, &err);
	st = core_use_client(req, row.client_id);
	if (st != AUTHSVC_OK)
		return st == AUTHSVC_DENIED ? req_fail(req, 401, "Client Invalid") : st;
	snprintf(who.user_id, sizeof(who.user_id), "%s", c.user_id);
	snprintf(who.username, sizeof(who.username), "%s", c.username);
	snprintf(who.provider, sizeof(who.provider), "%s", c.provider);
	return core_finish_login(req, &who, AUTHSVC_LOGIN_CODE, true);
}
