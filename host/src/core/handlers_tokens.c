/* TokensController: POST /auth/token, /auth/token-refresh, /auth/token-switch, GET /auth/me. */
#include "core/handlers.h"

#include <stdio.h>
#include <string.h>

#include "core/app.h"
#include "core/bearer.h"
#include "core/issue.h"
#include "core/login.h"
#include "http/workers.h"
#include "log/log.h"
#include "store/clients.h"
#include "store/sessions.h"
#include "store/users.h"
#include "tokens/opaque.h"

enum authsvc_status fail_store(struct authsvc_req *req, const struct err *err)
{
	if (err->code == 503) {
		req->retry_after = 1;
		return req_fail(req, 503, "Service temporarily unavailable. Please retry.");
	}
	log_error("store error req=%s detail=\"%s\"", req->id, err->msg);
	return req_fail(req, 500, "Internal Server Error");
}

/* Issue inside the caller's open transaction, commit, reply. */
static enum authsvc_status issue_and_commit(struct authsvc_req *req, struct db *db,
					    const struct client *c, const struct user_ctx *u,
					    const char *type, const char *family)
{
	struct err err = {0};
	json_t *resp = NULL;

	if (core_issue_tokens(req, db, c, u, type, family, &resp, &err) < 0 ||
	    db_commit(db, &err) < 0) {
		db_rollback(db);
		json_decref(resp);
		return fail_store(req, &err);
	}
	req->no_store = true;
	req_reply_json(req, 200, resp);
	return AUTHSVC_OK;
}

enum authsvc_status h_token(void *state, void *tstate, struct authsvc_req *req)
{
	struct db *db = &req->worker->db;
	const char *client_id = req_body_str(req, "clientId");
	const char *code = req_body_str(req, "code");
	struct client c;
	struct code_row row;
	struct user_ctx u;
	struct err err = {0};
	char hash[65];
	int rc;

	(void)state;
	(void)tstate;
	rc = store_client_find(db, client_id, &c, &err);
	if (rc < 0)
		return fail_store(req, &err);
	if (rc == 0)
		return req_fail(req, 401, "Client Invalid");
	core_token_hash(code, hash);
	if (db_begin(db, &err) < 0)
		return fail_store(req, &err);
	rc = store_code_consume(db, hash, c.client_id, &row, &err);
	if (rc < 0) {
		db_rollback(db);
		return fail_store(req, &err);
	}
	if (rc != CODE_OK) {
		db_rollback(db);
		return req_fail(req, 401,
				rc == CODE_SPENT ? "Code Expired" : "Invalid Credentials");
	}
	if (row.mfa) {
		db_commit(db, &err); /* the code stays burned */
		return req_fail(req, 401, "User Verification Failed");
	}
	rc = store_user_context(db, row.user_id, row.tenant_id[0] ? row.tenant_id : NULL, c.id, &u,
				&err);
	if (rc <= 0) {
		db_rollback(db);
		return rc < 0 ? fail_store(req, &err) : req_fail(req, 401, "UserDoesNotExist");
	}
	if (core_check_eligible(req, &c, &u) < 0) {
		db_rollback(db);
		user_ctx_release(&u);
		return AUTHSVC_OK;
	}
	issue_and_commit(req, db, &c, &u, "ACCESS", NULL);
	user_ctx_release(&u);
	return AUTHSVC_OK;
}

/*
 * Shared by refresh and switch: lock the refresh row, detect reuse (which
 * revokes the whole family), check the paired access token, then burn the
 * row and revoke its access token. Leaves the transaction open on success
 * (returns 1); on failure the reply is set and the transaction closed.
 */
static int rotate_begin(struct authsvc_req *req, struct db *db, const char *refresh,
			const char *access, struct refresh_row *row, struct client *c)
{
	struct app *app = req->app;
	struct err err = {0};
	char hash[65], ahash[65];
	int rc;

	core_token_hash(refresh, hash);
	if (db_begin(db, &err) < 0)
		return fail_store(req, &err), -1;
	rc = store_refresh_lock(db, hash, row, &err);
	if (rc < 0)
		goto store_error;
	if (rc == 0 || row->expired || row->revoked) {
		db_rollback(db);
		return req_fail(req, 401, "Token Expired"), -1;
	}
	if (row->used) {
		/* a rotated token came back: someone holds a copy, end the family */
		if (store_refresh_revoke(db, row->family_id, NULL, &app->revoked, &err) < 0 ||
		    db_commit(db, &err) < 0)
			goto store_error;
		log_warn("refresh token reuse, family revoked req=%s user=%s", req->id,
			 row->user_id);
		return req_fail(req, 401, "Token Expired"), -1;
	}
	rc = store_client_find(db, row->client_id, c, &err);
	if (rc < 0)
		goto store_error;
	if (rc == 0) {
		db_rollback(db);
		return req_fail(req, 401, "Client Invalid"), -1;
	}
	if (access == NULL) {
		db_rollback(db);
		return req_fail(req, 401, "Token Invalid"), -1;
	}
	core_token_hash(access, ahash);
	if (!tokens_equal_ct(ahash, row->access_hash)) {
		db_rollback(db);
		return req_fail(req, 401, "Token Invalid"), -1;
	}
	if (store_refresh_mark_used(db, hash, &err) < 0 ||
	    store_revoke_jti(db, row->access_jti, row->access_exp, &err) < 0)
		goto store_error;
	revocations_add(&app->revoked, row->access_jti, row->access_exp);
	return 1;
store_error:
	db_rollback(db);
	fail_store(req, &err);
	return -1;
}

enum authsvc_status h_token_refresh(void *state, void *tstate, struct authsvc_req *req)
{
	struct db *db = &req->worker->db;
	const char *refresh = req_body_str(req, "refreshToken");
	const char *access = bearer_from_header(req_header(req, "Authorization"));
	struct refresh_row row;
	struct client c;
	struct user_ctx u;
	struct err err = {0};
	int rc;

	(void)state;
	(void)tstate;
	if (rotate_begin(req, db, refresh, access, &row, &c) < 0)
		return AUTHSVC_OK;
	rc = store_user_context(db, row.user_id, row.tenant_id[0] ? row.tenant_id : NULL, c.id, &u,
				&err);
	if (rc <= 0) {
		db_rollback(db);
		return rc < 0 ? fail_store(req, &err) : req_fail(req, 401, "UserDoesNotExist");
	}
	if (core_check_eligible(req, &c, &u) < 0) {
		db_rollback(db);
		user_ctx_release(&u);
		return AUTHSVC_OK;
	}
	issue_and_commit(req, db, &c, &u, "RELOGIN", row.family_id);
	user_ctx_release(&u);
	return AUTHSVC_OK;
}

enum authsvc_status h_token_switch(void *state, void *tstate, struct authsvc_req *req)
{
	struct db *db = &req->worker->db;
	const char *refresh = req_body_str(req, "refreshToken");
	const char *tenant = req_body_str(req, "tenantId");
	const char *uid = json_string_value(json_object_get(req->bearer, "id"));
	struct refresh_row row;
	struct client c;
	struct user_ctx u;
	struct err err = {0};
	int rc;

	(void)state;
	(void)tstate;
	if (tenant == NULL || *tenant == '\0')
		return req_fail(req, 400, "Tenant ID is required");
	if (rotate_begin(req, db, refresh, req->bearer_token, &row, &c) < 0)
		return AUTHSVC_OK;
	if (uid == NULL || strcmp(uid, row.user_id) != 0) {
		db_rollback(db);
		return req_fail(req, 401, "Token Invalid");
	}
	rc = store_user_context(db, row.user_id, tenant, c.id, &u, &err);
	if (rc <= 0) {
		db_rollback(db);
		return rc < 0 ? fail_store(req, &err) : req_fail(req, 401, "UserDoesNotExist");
	}
	if (core_check_eligible(req, &c, &u) < 0) {
		db_rollback(db);
		user_ctx_release(&u);
		return AUTHSVC_OK;
	}
	issue_and_commit(req, db, &c, &u, "RELOGIN", row.family_id);
	user_ctx_release(&u);
	return AUTHSVC_OK;
}

/* GET /auth/me: the AuthUser from the verified token, no database read. */
enum authsvc_status h_me(void *state, void *tstate, struct authsvc_req *req)
{
	static const char *const drop[] = {"iat",     "exp",	    "iss", "sub", "jti",
					   "purpose", "deviceInfo", "nbf", "aud", NULL};
	json_t *user = json_deep_copy(req->bearer);

	(void)state;
	(void)tstate;
	if (user == NULL)
		return AUTHSVC_ERROR;
	for (const char *const *k = drop; *k != NULL; k++)
		json_object_del(user, *k);
	req_reply_json(req, 200, user);
	return AUTHSVC_OK;
}
