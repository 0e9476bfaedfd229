/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ForgetPasswordController (docs/api.md "Forgotten passwords and sign-up"):
 * POST /auth/forget-password, GET /auth/verify-reset-password-link,
 * PATCH /auth/reset-password.
 *
 * The reset token is opaque (32 random bytes), stored only as its SHA-256
 * in action_tokens with purpose "reset", and used once. forget-password
 * answers 204 whether or not the user exists (or may reset at all) once
 * the delivery check and the send limits per username and per client
 * address pass; the user's part runs after the reply (so its time is not
 * in the answer's) and does the same work for everyone: the user queries
 * (a nil id for an unknown name) and a token row (born used when nothing
 * is sent).
 */
#include "core/handlers.h"

#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>

#include "core/account.h"
#include "core/after.h"
#include "core/app.h"
#include "core/deliver.h"
#include "core/issue.h"
#include "core/password.h"
#include "http/workers.h"
#include "log/log.h"
#include "store/action_tokens.h"
#include "store/clients.h"
#include "store/contacts.h"
#include "store/sessions.h"
#include "store/users.h"

/*
 * May this user reset a password through this client? The eligibility
 * rule (docs/api.md "Eligibility") on the default tenant, except that a REGISTERED (0) or
 * PASSWORD_CHANGE_NEEDED (3) membership passes: the reset activates it.
 * NULL when it may; otherwise the 401/422 message (*status set).
 */
static const char *reset_refusal(const struct user_ctx *u, const struct user_contact *c,
				 int *status)
{
	*status = 401;
	if (u->nclients == 0)
		return *status = 422, "Client User Missing";
	if (!u->client_allowed)
		return "Client Invalid";
	if (u->ut_status == 2 || u->ut_status >= 4 || u->tenant_status != 1)
		return "UserInactive";
	if (strcmp(c->provider, "internal") != 0)
		return "PasswordCannotBeChangedForExternalUser";
	return NULL;
}

/* 1 may reset, 0 may not (*why, *status set), -1 store error (err). */
static int reset_allowed(struct authsvc_req *req, struct db *db, const struct user_contact *c,
			 const char **why, int *status, struct err *err)
{
	struct user_ctx u;
	int rc = store_user_context(db, c->user_id, NULL, req->client->id, &u, err);

	if (rc < 0)
		return -1;
	if (rc == 0) {
		*status = 401;
		*why = "UserDoesNotExist";
		return 0;
	}
	*why = reset_refusal(&u, c, status);
	user_ctx_release(&u);
	return *why == NULL ? 1 : 0;
}

static enum authsvc_status send_reset(struct authsvc_req *req, struct db *db,
				      const struct user_contact *c)
{
	const struct account_conf *ac = &req->cfg->account;
	struct notify_to to = {c->email, c->phone, c->username};
	char token[ACCOUNT_TOKEN_MAX], hash[65];
	struct err err = {0};
	enum authsvc_status st;

	if (account_new_token(token, hash) < 0)
		return AUTHSVC_ERROR;
	if (store_action_create(db, hash, "reset", req->client->client_id, c->user_id, c->email,
				NULL, ac->reset_ttl_s, &err) < 0) {
		OPENSSL_cleanse(token, sizeof(token));
		return req_fail_store(req, &err);
	}
	st = account_send_token(req, "reset", ac->reset_url, token, ac->reset_ttl_s, &to);
	OPENSSL_cleanse(token, sizeof(token));
	return st;
}

/* After the delivery check and the send limits, and after the reply: the
 * user's part, the same work whether or not the user exists or may reset. */
static enum authsvc_status forget_work(struct authsvc_req *req, const char *const args[AFTER_ARGS])
{
	const char *luser = args[0];
	struct db *db = &req->worker->db;
	struct user_contact c;
	struct err err = {0};
	const char *why = NULL;
	int rc, status;
	bool known;

	rc = store_user_contact(db, luser, false, &c, &err);
	if (rc >= 0) {
		known = rc == 1;
		if (!known) /* the same queries for an unknown user: a nil id finds nothing */
			snprintf(c.user_id, sizeof(c.user_id), "%s",
				 "00000000-0000-0000-0000-000000000000");
		rc = reset_allowed(req, db, &c, &why, &status, &err);
		if (!known && rc > 0)
			rc = 0;
		if (!known)
			why = "unknown user";
	}
	if (rc < 0)
		return req_fail_store(req, &err);
	if (rc == 1 && c.email[0] == '\0') {
		rc = 0;
		why = "no e-mail address";
	}
	if (rc == 0) { /* the same write: a token row, born used */
		log_info("forget-password: no mail sent req=%s reason=%s", req->id, LOG_Q(why));
		return account_decoy(req, "reset", req->cfg->account.reset_ttl_s);
	}
	return send_reset(req, db, &c);
}

enum authsvc_status h_forget_password(void *state, void *tstate, struct authsvc_req *req)
{
	char luser[VARCHAR150_BUF];
	enum authsvc_status st;

	(void)state;
	(void)tstate;
	account_lower(req_body_str(req, "username"), luser, sizeof(luser));
	st = core_delivery_ready(req);
	if (st == AUTHSVC_OK)
		st = core_send_limit(req, "reset", luser);
	if (st == AUTHSVC_OK) /* 204 for everyone; the user's part after it */
		st = core_after_reply(req, "forget-password", forget_work, luser, NULL, NULL);
	if (st == AUTHSVC_OK && !req->replied)
		req_reply_empty(req, 204);
	return st;
}

enum authsvc_status h_verify_reset_link(void *state, void *tstate, struct authsvc_req *req)
{
	const char *token = req_query(req, "token");
	struct action_row row;
	struct err err = {0};
	char hash[65];
	int rc;

	(void)state;
	(void)tstate;
	if (token == NULL || *token == '\0')
		return req_fail(req, 400, "Required parameter token is missing!");
	core_token_hash(token, hash);
	rc = store_action_peek(&req->worker->db, hash, "reset", &row, &err);
	if (rc < 0)
		return req_fail_store(req, &err);
	if (rc != ACTION_LIVE)
		return account_token_refused(req, rc);
	action_row_release(&row);
	req_reply_json(req, 200, json_pack("{s:b}", "success", 1));
	return AUTHSVC_OK;
}

/* Everything a reset changes besides the password, in the same transaction:
 * every session and outstanding code of the user ends, the user's other
 * reset tokens die, and memberships waiting for a password become active. */
static int reset_aftermath(struct authsvc_req *req, struct db *db, const char *uid, struct err *err)
{
	const char *params[1] = {uid};
	PGresult *res;

	if (store_refresh_revoke(db, NULL, uid, &req->app->revoked, err) < 0 ||
	    store_codes_burn_user(db, uid, err) < 0 ||
	    store_action_burn_user(db, uid, "reset", err) < 0)
		return -1;
	res = db_exec(db,
		      "UPDATE user_tenants SET status = 1 WHERE user_id = $1::uuid"
		      " AND NOT deleted AND status IN (0, 3)",
		      1, params, err);
	if (res == NULL)
		return -1;
	PQclear(res);
	return 0;
}

/* The checks between the token and the new hash; -1 with the reply set. */
static int reset_checks(struct authsvc_req *req, struct db *db, const struct action_row *row,
			const char *password, struct user_contact *c)
{
	struct user_cred cred;
	struct err err = {0};
	const char *why;
	int rc, status;

	if (strcmp(row->client_id, req->client->client_id) != 0)
		return req_fail(req, 401, "Client Invalid"), -1;
	rc = store_user_contact(db, row->user_id, true, c, &err);
	if (rc == 1)
		rc = reset_allowed(req, db, c, &why, &status, &err);
	if (rc < 0)
		return req_fail_store(req, &err), -1;
	if (rc == 0)
		return req_fail(req, status, why), -1;
	if (password_policy_check(&req->cfg->password, c->username, password, &err) < 0)
		return req_fail(req, 400, err.msg), -1;
	rc = store_user_credentials(db, c->username, &cred, &err);
	if (rc < 0)
		return req_fail_store(req, &err), -1;
	if (rc == 0)
		return req_fail(req, 401, "UserDoesNotExist"), -1;
	rc = account_password_reuse_check(req, db, c->user_id, cred.hash, password);
	user_cred_release(&cred);
	return rc;
}

enum authsvc_status h_reset_password(void *state, void *tstate, struct authsvc_req *req)
{
	struct db *db = &req->worker->db;
	const char *token = req_body_str(req, "token");
	const char *password = req_body_str(req, "password");
	struct action_row row;
	struct user_contact c;
	struct err err = {0};
	char hash[65];
	int rc;

	(void)state;
	(void)tstate;
	if (token == NULL || *token == '\0')
		return req_fail(req, 422, "TokenMissing");
	if (password == NULL || *password == '\0')
		return req_fail(req, 400, "PasswordInvalid");
	core_token_hash(token, hash);
	if (db_begin(db, &err) < 0)
		return req_fail_store(req, &err);
	rc = store_action_take(db, hash, "reset", &row, &err);
	if (rc != ACTION_LIVE) {
		db_rollback(db);
		return rc < 0 ? req_fail_store(req, &err) : account_token_refused(req, rc);
	}
	rc = reset_checks(req, db, &row, password, &c);
	action_row_release(&row);
	if (rc < 0) { /* the token stays usable: a rollback gives it back */
		db_rollback(db);
		return AUTHSVC_OK;
	}
	if (account_password_set(req, db, c.user_id, password, &err) < 0 ||
	    reset_aftermath(req, db, c.user_id, &err) < 0 || db_commit(db, &err) < 0) {
		db_rollback(db);
		if (err.code == 422)
			return req_fail(req, 422, err.msg);
		return req_fail_store(req, &err);
	}
	log_info("password reset req=%s user=%s", req->id, c.user_id);
	req_reply_empty(req, 204);
	return AUTHSVC_OK;
}
