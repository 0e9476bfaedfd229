/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Finishing a login (see finish.h): eligibility, the MFA gate, the auth
 * code or the token pair, then the LOGIN_SUCCEEDED hooks.
 */
#include "core/finish.h"

#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>

#include "core/app.h"
#include "core/issue.h"
#include "core/mfa_gate.h"
#include "http/request.h"
#include "http/workers.h"
#include "core/hooks.h"
#include "core/throttle.h"
#include "store/sessions.h"
#include "store/social.h"
#include "tokens/opaque.h"

int core_check_eligible(struct authsvc_req *req, const struct client *c, const struct user_ctx *u)
{
	if (u->nclients == 0) {
		req_fail(req, 422, "Client User Missing");
		return -1;
	}
	if (!u->client_allowed) {
		req_fail(req, 401, "Client Invalid");
		return -1;
	}
	(void)c;
	if (u->ut_status == 0) {
		req_fail(req, 400, "User not active yet");
		return -1;
	}
	if (u->ut_status == 2 || u->ut_status == 4 || u->ut_status > 4 || u->tenant_status != 1) {
		req_fail(req, 401, "UserInactive");
		return -1;
	}
	if (!u->role_found) {
		req_fail(req, 422, "UnprocessableData");
		return -1;
	}
	return 0;
}

/* The optional PKCE challenge of a code login (code_challenge, S256 only:
 * plain would put the verifier itself in the login request): 0 with *out
 * NULL or the challenge, or -1 with the 400 reply set. */
static int code_challenge(struct authsvc_req *req, const char **out)
{
	const char *cc = req_body_str(req, "code_challenge");
	const char *method = req_body_str(req, "code_challenge_method");

	*out = NULL;
	if (cc == NULL && method == NULL)
		return 0;
	if ((method != NULL && strcmp(method, "S256") != 0) || cc == NULL || strlen(cc) != 43 ||
	    strspn(cc, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") != 43) {
		req_fail(req, 400, "code_challenge must be an S256 challenge");
		return -1;
	}
	*out = cc;
	return 0;
}

static enum authsvc_status issue_code(struct authsvc_req *req, struct db *db,
				      const struct client *c, const struct user_ctx *u,
				      const struct login_bind *b)
{
	char code[44], hash[65];
	struct err err = {0};

	if (tokens_random_b64url(code, sizeof(code), 32) < 0)
		return AUTHSVC_ERROR;
	core_token_hash(code, hash);
	if (store_code_create(db, hash, c->client_id, u->user_id, u->tenant_id, false, c->code_ttl,
			      &err) < 0 ||
	    (b->challenge != NULL && store_code_bind_challenge(db, hash, b->challenge, &err) < 0) ||
	    (b->provider != NULL && store_code_bind_provider(db, hash, b->provider, &err) < 0)) {
		req_fail_store(req, &err);
		return AUTHSVC_OK;
	}
	req_reply_json(req, 200, json_pack("{s:s}", "code", code));
	OPENSSL_cleanse(code, sizeof(code));
	return AUTHSVC_OK;
}

static enum authsvc_status issue_tokens(struct authsvc_req *req, struct db *db,
					const struct client *c, const struct user_ctx *u)
{
	struct err err = {0};
	json_t *resp = NULL;

	if (db_begin(db, &err) < 0 ||
	    core_issue_tokens(req, db, c, u, "ACCESS", NULL, &resp, &err) < 0 ||
	    db_commit(db, &err) < 0) {
		db_rollback(db);
		json_decref(resp);
		req_fail_store(req, &err);
		return AUTHSVC_OK;
	}
	req->no_store = true;
	req_reply_json(req, 200, resp);
	return AUTHSVC_OK;
}

enum authsvc_status core_complete_login(struct authsvc_req *req, const struct authsvc_identity *who,
					uint32_t flags)
{
	return core_finish_login(req, who, flags, false);
}

/* The gate replied with its MFA-flagged code: bind b to that transaction,
 * so that /auth/verify-otp binds it to the code it issues. */
static enum authsvc_status bind_mfa(struct authsvc_req *req, struct db *db,
				    const struct login_bind *b)
{
	const char *code = json_string_value(json_object_get(req->reply, "code"));
	struct err err = {0};
	char hash[65];

	if (req->status != 200 || code == NULL || (b->challenge == NULL && b->provider == NULL))
		return AUTHSVC_OK;
	core_token_hash(code, hash);
	if (store_mfa_bind(db, hash, b->challenge, b->provider, &err) < 0)
		return req_fail_store(req, &err);
	return AUTHSVC_OK;
}

enum authsvc_status core_finish_login(struct authsvc_req *req, const struct authsvc_identity *who,
				      uint32_t flags, bool mfa_done)
{
	return core_finish_login_bound(req, who, flags, mfa_done, NULL);
}

enum authsvc_status core_finish_login_bound(struct authsvc_req *req,
					    const struct authsvc_identity *who, uint32_t flags,
					    bool mfa_done, const struct login_bind *bind)
{
	struct login_bind b = bind != NULL ? *bind : (struct login_bind){0};
	struct db *db;
	struct user_ctx u;
	struct err err = {0};
	enum authsvc_status st;
	int rc;

	if (req == NULL || who == NULL || req->worker == NULL || req->client == NULL)
		return AUTHSVC_ERROR;
	db = &req->worker->db;
	rc = store_user_context(db, who->user_id, NULL, req->client->id, &u, &err);
	if (rc < 0) {
		req_fail_store(req, &err);
		return AUTHSVC_OK;
	}
	if (rc == 0)
		return req_fail(req, 401, "UserDoesNotExist");
	if (core_check_eligible(req, req->client, &u) < 0) {
		user_ctx_release(&u);
		return AUTHSVC_OK;
	}
	/* the request's own challenge, checked before the gate sends anything */
	if (!(flags & AUTHSVC_LOGIN_TOKENS) && b.challenge == NULL &&
	    code_challenge(req, &b.challenge) < 0) {
		user_ctx_release(&u);
		return AUTHSVC_OK;
	}
	if (!mfa_done && core_mfa_applies(req, &u)) {
		st = core_mfa_begin(req, db, &u, flags);
		user_ctx_release(&u);
		return st == AUTHSVC_OK ? bind_mfa(req, db, &b) : st;
	}
	if (flags & AUTHSVC_LOGIN_TOKENS)
		st = issue_tokens(req, db, req->client, &u);
	else
		st = issue_code(req, db, req->client, &u, &b);
	user_ctx_release(&u);
	if (st == AUTHSVC_OK && req->status == 200) {
		struct authsvc_identity done = *who;

		core_device_issue(req, db, who->user_id); /* core/throttle.h */
		hooks_login_succeeded(&req->app->hooks, req, &done);
	}
	return st;
}
