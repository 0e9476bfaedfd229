/* SPDX-License-Identifier: Apache-2.0 */
/* PATCH /auth/change-password (docs/api.md "Where authsvc differs from upstream"). */
#include "core/handlers.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>

#include "core/account.h"
#include "core/app.h"
#include "core/issue.h"
#include "core/session.h"
#include "core/password.h"
#include "core/throttle.h"
#include "http/workers.h"
#include "store/action_tokens.h"
#include "store/password_history.h"
#include "store/sessions.h"
#include "store/users.h"
#include "tokens/opaque.h"

struct change {
	const char *refresh, *username, *password, *old;
	const char *tenant, *uid, *jti;
	json_int_t exp;
};

/* Everything that needs no database, in upstream's order where it matters. */
static int change_precheck(struct authsvc_req *req, struct change *ch)
{
	const struct password_policy *pol = &req->cfg->password;
	const char *tok_user = json_string_value(json_object_get(req->bearer, "username"));
	struct err err = {0};

	if (ch->refresh == NULL || *ch->refresh == '\0')
		return req_fail(req, 422, "TokenMissing"), -1;
	if (ch->tenant == NULL || *ch->tenant == '\0')
		return req_fail(req, 400, "Tenant ID is required"), -1;
	if (ch->username == NULL || tok_user == NULL || strcasecmp(ch->username, tok_user) != 0)
		return req_fail(req, 403, "NotAllowedAccess"), -1;
	if (ch->password == NULL || *ch->password == '\0')
		return req_fail(req, 400, "PasswordInvalid"), -1;
	if ((ch->old == NULL || *ch->old == '\0') && pol->require_old_password)
		return req_fail(req, 422, "oldPassword is required"), -1;
	if (password_policy_check(pol, tok_user, ch->password, &err) < 0)
		return req_fail(req, 400, err.msg), -1;
	return 0;
}

/* The oldPassword check; *verdict tells the throttle h_change_password
 * began whether it was a failure. */
static int check_old(struct authsvc_req *req, const struct change *ch, const struct user_cred *cred,
		     enum authsvc_status *verdict)
{
	bool rehash;

	*verdict = password_verify(ch->old, cred->hash, &rehash) == 1 ? AUTHSVC_OK : AUTHSVC_DENIED;
	if (*verdict != AUTHSVC_OK)
		return req_fail(req, 401, "Incorrect Password"), -1;
	return 0;
}

static int check_passwords(struct authsvc_req *req, struct db *db, struct change *ch,
			   enum authsvc_status *verdict)
{
	struct user_cred cred;
	struct err err = {0};
	bool rehash;
	int rc = store_user_credentials(db, ch->username, &cred, &err);

	if (rc < 0)
		return req_fail_store(req, &err), -1;
	if (rc == 0 || strcmp(cred.user_id, ch->uid) != 0) {
		user_cred_release(&cred);
		return req_fail(req, 401, "UserDoesNotExist"), -1;
	}
	if (strcmp(cred.provider, "internal") != 0) {
		user_cred_release(&cred);
		return req_fail(req, ch->old ? 400 : 401, "PasswordCannotBeChangedForExternalUser"),
		       -1;
	}
	if (ch->old != NULL && *ch->old != '\0' && check_old(req, ch, &cred, verdict) < 0) {
		user_cred_release(&cred);
		return -1;
	}
	if (password_verify(ch->password, cred.hash, &rehash) == 1) {
		user_cred_release(&cred);
		return req_fail(req, 401, "Password cannot be same as previous password!"), -1;
	}
	user_cred_release(&cred);
	return 0;
}

/* The change itself, in one transaction. */
static enum authsvc_status change_run(struct authsvc_req *req, struct change *chp,
				      enum authsvc_status *verdict)
{
	struct app *app = req->app;
	struct db *db = &req->worker->db;
	const struct change ch = *chp;
	const char *params[2];
	struct refresh_row row;
	struct err err = {0};
	char newhash[256];
	PGresult *res;
	int rc;

	if (session_open(req, db, ch.refresh, req->bearer_token, 0, &row) < 0)
		return AUTHSVC_OK;
	if (strcmp(row.user_id, ch.uid) != 0) {
		db_rollback(db);
		return req_fail(req, 401, "Token Invalid");
	}
	if (check_passwords(req, db, chp, verdict) < 0) {
		db_rollback(db);
		return AUTHSVC_OK;
	}
	if (password_hash(ch.password, newhash, sizeof(newhash), &err) < 0) {
		db_rollback(db);
		return req_fail(req, 422, "Unable to set password !");
	}
	params[0] = ch.uid;
	params[1] = ch.tenant;
	/* kept for reset-password's history rule; change-password itself refuses
	 * only the current password (upstream's acceptance tests change back) */
	rc = store_password_history_push(db, ch.uid, account_history_keep(req), &err);
	if (rc == 0)
		rc = store_user_set_password(db, ch.uid, newhash, &err);
	OPENSSL_cleanse(newhash, sizeof(newhash));
	/* a reset link mailed before the change must not undo it */
	if (rc < 0 || store_refresh_revoke(db, NULL, ch.uid, &app->revoked, &err) < 0 ||
	    store_codes_burn_user(db, ch.uid, &err) < 0 ||
	    store_action_burn_user(db, ch.uid, "reset", &err) < 0 ||
	    store_revoke_jti(db, ch.jti, (int64_t)ch.exp, &err) < 0)
		goto store_error;
	/* a first login's password change activates the membership */
	res = db_exec(db,
		      "UPDATE user_tenants SET status = 1 WHERE user_id = $1::uuid"
		      " AND tenant_id = $2::uuid AND NOT deleted AND status IN (0, 3)",
		      2, params, &err);
	if (res == NULL)
		goto store_error;
	PQclear(res);
	if (db_commit(db, &err) < 0)
		goto store_error;
	revocations_add(&app->revoked, ch.jti, (int64_t)ch.exp);
	req_reply_json(req, 200, json_pack("{s:b}", "success", 1));
	return AUTHSVC_OK;
store_error:
	db_rollback(db);
	return req_fail_store(req, &err);
}

/* Wrong oldPassword guesses go through the login's throttle
 * (core/throttle.h): counted before the check and outside the change's
 * transaction, whose rollback must not undo the count. */
enum authsvc_status h_change_password(void *state, void *tstate, struct authsvc_req *req)
{
	struct db *db = &req->worker->db;
	struct change ch = {
	    .refresh = req_body_str(req, "refreshToken"),
	    .username = req_body_str(req, "username"),
	    .password = req_body_str(req, "password"),
	    .old = req_body_str(req, "oldPassword"),
	    .tenant = json_string_value(json_object_get(req->bearer, "tenantId")),
	    .uid = json_string_value(json_object_get(req->bearer, "id")),
	    .jti = json_string_value(json_object_get(req->bearer, "jti")),
	    .exp = json_integer_value(json_object_get(req->bearer, "exp")),
	};
	enum authsvc_status st, verdict = AUTHSVC_INVALID;
	struct throttle th;

	(void)state;
	(void)tstate;
	if (ch.uid == NULL || ch.jti == NULL)
		return req_fail(req, 401, "Token Invalid");
	if (change_precheck(req, &ch) < 0)
		return AUTHSVC_OK;
	if (ch.old == NULL || *ch.old == '\0')
		return change_run(req, &ch, &verdict);
	st = core_throttle_begin(req, db, ch.username, &th);
	if (st != AUTHSVC_OK) {
		req_fail_status(req, st);
		return AUTHSVC_OK;
	}
	st = change_run(req, &ch, &verdict);
	/* fail closed (see login.c) */
	if (core_throttle_end(req, db, &th, verdict) != AUTHSVC_OK)
		req_fail_status(req, AUTHSVC_UNAVAILABLE);
	return st;
}
