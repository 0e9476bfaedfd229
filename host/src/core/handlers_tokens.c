/* SPDX-License-Identifier: Apache-2.0 */
/* TokensController: POST /auth/token, /auth/token-refresh, /auth/token-switch, GET /auth/me. */
#include "core/handlers.h"
#include "core/otp.h"

#include <stdio.h>
#include <string.h>

#include "core/app.h"
#include "core/bearer.h"
#include "core/issue.h"
#include "core/mfa_gate.h"
#include "core/session.h"
#include "http/workers.h"
#include "outbound/oidc.h"
#include "store/clients.h"
#include "store/social.h"
#include "store/sessions.h"
#include "store/users.h"
#include "tokens/opaque.h"

enum authsvc_status h_token(void *state, void *tstate, struct authsvc_req *req)
{
	struct db *db = &req->worker->db;
	const char *client_id = req_body_str(req, "clientId");
	const char *code = req_body_str(req, "code");
	struct client c;
	struct code_row row;
	struct err err = {0};
	char hash[65], challenge[65], provider[51];
	int rc;

	(void)state;
	(void)tstate;
	rc = store_client_find(db, client_id, &c, &err);
	if (rc < 0)
		return req_fail_store(req, &err);
	if (rc == 0)
		return req_fail(req, 401, "Client Invalid");
	core_token_hash(code, hash);
	/* PKCE (docs/api.md): a code bound to a challenge needs its verifier;
	 * a wrong or missing one leaves the code as it is */
	rc = store_code_challenge(db, hash, challenge, &err);
	if (rc < 0)
		return req_fail_store(req, &err);
	if (rc == 1 && !oidc_pkce_matches(req_body_str(req, "code_verifier"), challenge))
		return req_fail(req, 401, "Invalid Credentials");
	if (store_code_provider(db, hash, provider, &err) < 0)
		return req_fail_store(req, &err);
	if (db_begin(db, &err) < 0)
		return req_fail_store(req, &err);
	rc = store_code_consume(db, hash, c.client_id, &row, &err);
	if (rc < 0) {
		db_rollback(db);
		return req_fail_store(req, &err);
	}
	if (rc != CODE_OK) {
		db_rollback(db);
		if (rc == CODE_UNKNOWN && core_mfa_code_known(db, hash))
			return req_fail(req, 401, "User Verification Failed");
		return req_fail(req, 401,
				rc == CODE_SPENT ? "Code Expired" : "Invalid Credentials");
	}
	if (row.mfa) {
		if (db_commit(db, &err) < 0) /* the code stays burned */
			return req_fail_store(req, &err);
		return req_fail(req, 401, "User Verification Failed");
	}
	return session_issue(req, db, &c, row.user_id, row.tenant_id, "ACCESS", NULL, provider);
}

enum authsvc_status h_token_refresh(void *state, void *tstate, struct authsvc_req *req)
{
	struct db *db = &req->worker->db;
	const char *access = bearer_from_header(req_header(req, "Authorization"));
	struct refresh_row row;
	struct client c;
	struct user_ctx u;

	(void)state;
	(void)tstate;
	if (session_rotate(req, db, req_body_str(req, "refreshToken"), access, NULL, &row, &c, &u) <
	    0)
		return AUTHSVC_OK;
	return session_issue_user(req, db, &c, &u, "RELOGIN", row.family_id);
}

enum authsvc_status h_token_switch(void *state, void *tstate, struct authsvc_req *req)
{
	struct db *db = &req->worker->db;
	const char *tenant = req_body_str(req, "tenantId");
	const char *uid = json_string_value(json_object_get(req->bearer, "id"));
	struct refresh_row row;
	struct client c;
	struct user_ctx u;

	(void)state;
	(void)tstate;
	if (tenant == NULL || *tenant == '\0')
		return req_fail(req, 400, "Tenant ID is required");
	if (session_rotate(req, db, req_body_str(req, "refreshToken"), req->bearer_token, tenant,
			   &row, &c, &u) < 0)
		return AUTHSVC_OK;
	if (uid == NULL || strcmp(uid, row.user_id) != 0) {
		db_rollback(db);
		user_ctx_release(&u);
		return req_fail(req, 401, "Token Invalid");
	}
	return session_issue_user(req, db, &c, &u, "RELOGIN", row.family_id);
}

/* GET /auth/me: the AuthUser from the verified token, no database read. */
enum authsvc_status h_me(void *state, void *tstate, struct authsvc_req *req)
{
	static const char *const drop[] = {"iat",     "exp",	    "iss", "sub", "jti",
					   "purpose", "deviceInfo", "nbf", "aud", NULL};
	json_t *user = json_copy(req->bearer); /* shallow: the values are only read */

	(void)state;
	(void)tstate;
	if (user == NULL)
		return AUTHSVC_ERROR;
	for (const char *const *k = drop; *k != NULL; k++)
		json_object_del(user, *k);
	req_reply_json(req, 200, user);
	return AUTHSVC_OK;
}
