/* SPDX-License-Identifier: Apache-2.0 */
#include "core/login.h"

#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>

#include "core/app.h"
#include "core/issue.h"
#include "core/password.h"
#include "http/workers.h"
#include "log/log.h"
#include "core/hooks.h"
#include "core/throttle.h"

/* A PASSWORD_CHECK hook vouched for who->username: find that local user. */
static enum authsvc_status resolve_hook_identity(struct authsvc_req *req, struct db *db,
						 struct authsvc_identity *who)
{
	struct user_cred cred;
	struct err err = {0};
	int rc;

	who->username[sizeof(who->username) - 1] = '\0';
	rc = store_user_credentials(db, who->username, &cred, &err);
	if (rc <= 0) {
		user_cred_release(&cred);
		return rc < 0 ? req_store_status(req, &err) : AUTHSVC_NOT_FOUND;
	}
	snprintf(who->user_id, sizeof(who->user_id), "%s", cred.user_id);
	snprintf(who->username, sizeof(who->username), "%s", cred.username);
	snprintf(who->provider, sizeof(who->provider), "%s", cred.provider);
	user_cred_release(&cred);
	return AUTHSVC_OK;
}

/* Hooks, then the built-in check: who is filled on AUTHSVC_OK. */
static enum authsvc_status password_check(struct authsvc_req *req, struct db *db,
					  const char *username, const char *password,
					  struct authsvc_identity *who)
{
	struct user_cred cred;
	struct err err = {0};
	enum authsvc_status st;
	bool rehash = false;
	int rc;

	st = hooks_password_check(&req->app->hooks, req, username, password, who);
	if (st != AUTHSVC_DECLINED)
		return st == AUTHSVC_OK ? resolve_hook_identity(req, db, who) : st;
	rc = store_user_credentials(db, username, &cred, &err);
	if (rc < 0)
		return req_store_status(req, &err);
	if (rc == 0 || strcmp(cred.provider, "internal") != 0 || cred.hash[0] != '$') {
		/* same work as a real check, so unknown users (and users without a
		 * password, "" or "!") cannot be told apart */
		password_verify_dummy(password);
		user_cred_release(&cred);
		return AUTHSVC_NOT_FOUND;
	}
	rc = password_verify(password, cred.hash, &rehash);
	if (rc != 1) {
		user_cred_release(&cred);
		return rc < 0 ? AUTHSVC_ERROR : AUTHSVC_DENIED;
	}
	if (rehash) {
		char hash[256];

		if (password_hash(password, hash, sizeof(hash), &err) == 0 &&
		    store_user_set_password(db, cred.user_id, hash, &err) == 0)
			log_info("password rehashed req=%s user=%s", req->id, cred.user_id);
		OPENSSL_cleanse(hash, sizeof(hash));
	}
	snprintf(who->user_id, sizeof(who->user_id), "%s", cred.user_id);
	snprintf(who->username, sizeof(who->username), "%s", cred.username);
	snprintf(who->provider, sizeof(who->provider), "%s", cred.provider);
	user_cred_release(&cred);
	return AUTHSVC_OK;
}

/* The host API's password_verify: brute-force throttle around password_check
 * (core/throttle.h). The attempt is counted before the password is checked,
 * so parallel guesses get no more checks than the limit, and a refused one
 * is answered before any work, the same way whether the account exists or
 * not. */
enum authsvc_status core_password_verify(struct authsvc_req *req, const char *username,
					 const char *password, struct authsvc_identity *who)
{
	struct throttle th;
	struct db *db;
	enum authsvc_status st, tst;

	if (who == NULL)
		return AUTHSVC_ERROR;
	memset(who, 0, sizeof(*who));
	if (req->worker == NULL || username == NULL || password == NULL)
		return AUTHSVC_ERROR;
	db = &req->worker->db;
	st = core_throttle_begin(req, db, username, &th);
	if (st != AUTHSVC_OK)
		return st;
	st = password_check(req, db, username, password, who);
	/* A failure that cannot be settled must not pass as counted, and a
	 * success whose clearing fails answers the same way, so that while
	 * the counters cannot be written no answer tells a right password
	 * from a wrong one: both end in 503 (fail closed). */
	tst = core_throttle_end(req, db, &th, st);
	if (tst != AUTHSVC_OK) {
		memset(who, 0, sizeof(*who));
		return tst;
	}
	return st;
}
