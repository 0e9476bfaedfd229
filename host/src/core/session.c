/* SPDX-License-Identifier: Apache-2.0 */
#include "core/session.h"

#include <string.h>

#include "core/app.h"
#include "core/handlers.h"
#include "core/issue.h"
#include "core/finish.h"
#include "log/log.h"
#include "store/users.h"
#include "tokens/opaque.h"

static const char *nonempty(const char *s)
{
	return s != NULL && *s != '\0' ? s : NULL;
}

static int close_with(struct authsvc_req *req, struct db *db, int status, const char *msg)
{
	db_rollback(db);
	req_fail(req, status, msg);
	return -1;
}

static int close_store_error(struct authsvc_req *req, struct db *db, const struct err *err)
{
	db_rollback(db);
	req_fail_store(req, err);
	return -1;
}

int session_open(struct authsvc_req *req, struct db *db, const char *refresh, const char *access,
		 unsigned flags, struct refresh_row *row)
{
	struct err err = {0};
	char hash[65], ahash[65];
	int rc;

	if (refresh == NULL || *refresh == '\0') {
		req_fail(req, 422, "TokenMissing");
		return -1;
	}
	core_token_hash(refresh, hash);
	if (db_begin(db, &err) < 0) {
		req_fail_store(req, &err);
		return -1;
	}
	rc = store_refresh_lock(db, hash, row, &err);
	if (rc < 0)
		return close_store_error(req, db, &err);
	if (rc == 0 || row->expired || row->revoked)
		return close_with(req, db, 401, "Token Expired");
	if (row->used) {
		if (!(flags & SESSION_REUSE_REVOKES_FAMILY))
			return close_with(req, db, 401, "Token Expired");
		/* within tokens.refresh_token_grace of its rotation: most likely a
		 * second tab that refreshed at the same moment; refuse it, but
		 * leave the session the first one got alone */
		if (row->used_age_s < req->cfg->refresh_token_grace_s) {
			log_info("refresh token reused within the grace, refused req=%s user=%s",
				 req->id, row->user_id);
			return close_with(req, db, 401, "Token Expired");
		}
		/* a rotated token came back: someone holds a copy, end the family */
		if (store_refresh_revoke(db, row->family_id, NULL, &req->app->revoked, &err) < 0 ||
		    db_commit(db, &err) < 0)
			return close_store_error(req, db, &err);
		log_warn("refresh token reuse, family revoked req=%s user=%s", req->id,
			 row->user_id);
		req_fail(req, 401, "Token Expired");
		return -1;
	}
	if (access == NULL)
		return close_with(req, db, 401, "Token Invalid");
	core_token_hash(access, ahash);
	if (!tokens_equal_ct(ahash, row->access_hash))
		return close_with(req, db, 401, "Token Invalid");
	return 0;
}

int session_rotate(struct authsvc_req *req, struct db *db, const char *refresh, const char *access,
		   const char *tenant, struct refresh_row *row, struct client *c,
		   struct user_ctx *u)
{
	struct err err = {0};
	char hash[65], ahash[65];
	int rc;

	memset(u, 0, sizeof(*u));
	if (refresh != NULL && *refresh != '\0' && access != NULL &&
	    (tenant == NULL || store_uuid_like(tenant))) {
		/* the common case in one statement; anything else takes the long way
		 * below, which tells expired, reused and mismatched tokens apart */
		core_token_hash(refresh, hash);
		core_token_hash(access, ahash);
		if (db_begin(db, &err) < 0) {
			req_fail_store(req, &err);
			return -1;
		}
		rc = store_refresh_rotate(db, hash, ahash, tenant, row, c, u, &err);
		if (rc < 0)
			return close_store_error(req, db, &err);
		if (rc == 1) {
			if (c->id == 0) {
				user_ctx_release(u);
				return close_with(req, db, 401, "Client Invalid");
			}
			db_revoke_mem(db, &req->app->revoked, row->access_jti, row->access_exp);
			return 0;
		}
		db_rollback(db);
	}
	if (session_open(req, db, refresh, access, SESSION_REUSE_REVOKES_FAMILY, row) < 0)
		return -1;
	rc = store_client_find(db, row->client_id, c, &err);
	if (rc < 0)
		return close_store_error(req, db, &err);
	if (rc == 0)
		return close_with(req, db, 401, "Client Invalid");
	if (store_refresh_mark_used(db, row->token_hash, &err) < 0 ||
	    store_revoke_jti(db, row->access_jti, row->access_exp, &err) < 0)
		return close_store_error(req, db, &err);
	rc = store_user_context(db, row->user_id,
				tenant != NULL ? tenant : nonempty(row->tenant_id), c->id, u, &err);
	if (rc < 0)
		return close_store_error(req, db, &err);
	db_revoke_mem(db, &req->app->revoked, row->access_jti, row->access_exp);
	return 0;
}

enum authsvc_status session_issue_user(struct authsvc_req *req, struct db *db,
				       const struct client *c, struct user_ctx *u, const char *type,
				       const char *family)
{
	struct err err = {0};
	json_t *resp = NULL;
	int rc;

	if (u->claims == NULL) {
		close_with(req, db, 401, "UserDoesNotExist");
		return AUTHSVC_OK;
	}
	if (core_check_eligible(req, c, u) < 0) {
		db_rollback(db);
		user_ctx_release(u);
		return AUTHSVC_OK;
	}
	rc = core_issue_tokens(req, db, c, u, type, family, &resp, &err);
	user_ctx_release(u);
	if (rc < 0 || db_commit(db, &err) < 0) {
		json_decref(resp);
		close_store_error(req, db, &err);
		return AUTHSVC_OK;
	}
	req->no_store = true;
	req_reply_json(req, 200, resp);
	return AUTHSVC_OK;
}

enum authsvc_status session_issue(struct authsvc_req *req, struct db *db, const struct client *c,
				  const char *user_id, const char *tenant_id, const char *type,
				  const char *family, const char *provider)
{
	struct user_ctx u;
	struct err err = {0};

	if (store_user_context(db, user_id, nonempty(tenant_id), c->id, &u, &err) < 0) {
		close_store_error(req, db, &err);
		return AUTHSVC_OK;
	}
	/* a social login's tokens and ACCESS activity row name its provider
	 * instance (docs/api.md "Login activity") */
	if (provider != NULL && provider[0] != '\0' && u.claims != NULL)
		json_object_set_new(u.claims, "provider", json_string(provider));
	return session_issue_user(req, db, c, &u, type, family);
}
