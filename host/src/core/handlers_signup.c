/* SPDX-License-Identifier: Apache-2.0 */
/*
 * SignupController (docs/api.md "Forgotten passwords and sign-up"):
 * POST /auth/signup/create-token, GET /auth/signup/verify-token,
 * POST /auth/signup/create-user, POST /auth/signup/fast.
 *
 * The invitation is an opaque token (32 random bytes) stored only as its
 * SHA-256 in action_tokens with purpose "signup", mailed to the address,
 * then presented as `Authorization: Bearer <token>`. It is not a JWT, so
 * neither an access token nor a reset token passes for it. New users join
 * account.signup_tenant with account.signup_role, active, allowed on the
 * client that asked; without a configured tenant every route answers 501.
 */
#include "core/handlers.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>

#include "core/account.h"
#include "core/after.h"
#include "core/app.h"
#include "core/bearer.h"
#include "core/deliver.h"
#include "core/issue.h"
#include "core/password.h"
#include "http/workers.h"
#include "log/log.h"
#include "store/action_tokens.h"
#include "store/clients.h"
#include "store/provision.h"
#include "store/users.h"
#include "util/utf8.h"

static bool signup_configured(const struct authsvc_req *req)
{
	return req->cfg->account.signup_tenant[0] != '\0';
}

static enum authsvc_status not_configured(struct authsvc_req *req)
{
	return req_fail(req, 501, "Signup not implemented");
}

static enum authsvc_status bad_field(struct authsvc_req *req, const char *field, const char *msg)
{
	char path[48];

	snprintf(path, sizeof(path), "/%s", field);
	return req_fail_validation(req, path, "format", msg);
}

/* After the reply: the invitation, or for an address in use the same
 * write (a token row, born used) and a "you already have an account" mail. args: e-mail, its lower
 * case, the data object as JSON (or NULL). */
static enum authsvc_status invite_work(struct authsvc_req *req, const char *const args[AFTER_ARGS])
{
	const struct account_conf *ac = &req->cfg->account;
	struct db *db = &req->worker->db;
	struct notify_to to = {args[0], NULL, ""};
	char token[ACCOUNT_TOKEN_MAX], hash[65];
	struct err err = {0};
	enum authsvc_status st;
	int rc;

	rc = provision_user_taken(db, NULL, args[0], &err);
	if (rc < 0)
		return req_fail_store(req, &err);
	if (rc == 1) { /* no invitation: a word to the owner, and the same row write */
		log_info("signup: no invitation sent req=%s reason=\"address in use\"", req->id);
		st = account_decoy(req, "signup", ac->signup_ttl_s);
		if (st == AUTHSVC_OK) {
			json_t *vars = json_pack("{s:s}", "email", args[0]);

			st = vars != NULL ? core_deliver(req, "signup_exists", &to, vars)
					  : AUTHSVC_ERROR;
			json_decref(vars);
		}
		return st;
	}
	if (account_new_token(token, hash) < 0)
		return AUTHSVC_ERROR;
	rc = store_action_create(db, hash, "signup", req->client->client_id, NULL, args[0], args[2],
				 ac->signup_ttl_s, &err);
	if (rc < 0) {
		OPENSSL_cleanse(token, sizeof(token));
		return req_fail_store(req, &err);
	}
	st = account_send_token(req, "signup", ac->signup_url, token, ac->signup_ttl_s, &to);
	OPENSSL_cleanse(token, sizeof(token));
	return st;
}

enum authsvc_status h_signup_create_token(void *state, void *tstate, struct authsvc_req *req)
{
	const char *email = req_body_str(req, "email");
	json_t *data = json_object_get(req->body, "data");
	char lemail[160], *data_json = NULL;
	enum authsvc_status st;

	(void)state;
	(void)tstate;
	if (!signup_configured(req))
		return not_configured(req);
	if (!account_email_valid(email))
		return bad_field(req, "email", "must match format \"email\"");
	account_lower(email, lemail, sizeof(lemail));
	st = core_delivery_ready(req);
	if (st == AUTHSVC_OK)
		st = core_send_limit(req, "signup", lemail);
	if (st != AUTHSVC_OK)
		return st;
	/* 204 whether or not the address is in use; the lookup and the mail
	 * after it, so the answer's time does not tell */
	if (json_is_object(data)) {
		data_json = json_dumps(data, JSON_COMPACT);
		if (data_json == NULL)
			return AUTHSVC_ERROR;
	}
	st = core_after_reply(req, "signup", invite_work, email, lemail, data_json);
	free(data_json);
	if (st == AUTHSVC_OK && !req->replied)
		req_reply_empty(req, 204);
	return st;
}

/* The signup token from Authorization (hashed into hash), or NULL with the
 * 401 reply set. */
static const char *signup_bearer(struct authsvc_req *req, char hash[65])
{
	const char *token = bearer_from_header(req_header(req, "Authorization"));

	if (token == NULL) {
		req_fail(req, 401, "Authorization header is missing");
		return NULL;
	}
	core_token_hash(token, hash);
	return token;
}

enum authsvc_status h_signup_verify_token(void *state, void *tstate, struct authsvc_req *req)
{
	struct action_row row;
	struct err err = {0};
	char hash[65];
	int rc;

	(void)state;
	(void)tstate;
	if (!signup_configured(req))
		return not_configured(req);
	if (signup_bearer(req, hash) == NULL)
		return AUTHSVC_OK;
	rc = store_action_peek(&req->worker->db, hash, "signup", &row, &err);
	if (rc < 0)
		return req_fail_store(req, &err);
	if (rc != ACTION_LIVE)
		return account_token_refused(req, rc);
	req_reply_json(req, 200,
		       json_pack("{s:s, s:s, s:s}", "email", row.email, "clientId", row.client_id,
				 "expiry", row.expiry));
	action_row_release(&row);
	return AUTHSVC_OK;
}

/* A profile field: the body's, else the invitation's data, else NULL. */
static const char *profile_str(struct authsvc_req *req, const json_t *data, const char *key)
{
	const char *v = req_body_str(req, key);

	if (v == NULL)
		v = json_string_value(json_object_get(data, key));
	return v != NULL && *v != '\0' ? v : NULL;
}

/* The e-mail's local part, at most 50 bytes cut on a UTF-8 boundary. */
static void local_part(const char *email, char *out, size_t outsz)
{
	size_t n = strcspn(email, "@");

	if (n > 50)
		n = 50;
	if (n >= outsz)
		n = outsz - 1;
	while (n > 0 && (email[n] & 0xC0) == 0x80)
		n--;
	memcpy(out, email, n);
	out[n] = '\0';
}

/* 422 for a field the checks refuse; -1 then (reply set). */
static int check_profile(struct authsvc_req *req, const struct user_spec *spec)
{
	if (spec->email != NULL && !account_email_valid(spec->email))
		return bad_field(req, "email", "must match format \"email\""), -1;
	if (spec->username == NULL || *spec->username == '\0' ||
	    (utf8_chars(spec->username) > 150 || strlen(spec->username) > USERNAME_MAX_BYTES))
		return bad_field(req, "username", "must be 1 to 150 characters"), -1;
	if (spec->phone != NULL && !account_phone_valid(spec->phone))
		return bad_field(req, "phone", "must match pattern \"^\\+?[1-9]\\d{1,14}$\""), -1;
	return 0;
}

/* Hash the password and add the user, in the caller's transaction when
 * in_tx; -1 with the reply set. */
static int signup_add(struct authsvc_req *req, struct user_spec *spec, const char *password,
		      bool in_tx, char uid[40])
{
	struct db *db = &req->worker->db;
	char hash[PASSWORD_HASH_MAX];
	struct err err = {0};
	int rc;

	if (password_hash(password, hash, sizeof(hash), &err) < 0)
		return req_fail(req, 422, "Unable to set password !"), -1;
	spec->password_hash = hash;
	spec->tenant_key = req->cfg->account.signup_tenant;
	spec->role = req->cfg->account.signup_role;
	if (in_tx)
		rc = provision_user_insert(db, spec, uid, 40, &err);
	else
		rc = provision_user_add(db, spec, uid, 40, &err);
	OPENSSL_cleanse(hash, sizeof(hash));
	spec->password_hash = NULL;
	if (rc == 0)
		return 0;
	if (err.code == 409)
		return req_fail(req, 409,
				strstr(err.msg, "email") ? "Email already in use"
							 : "User already exists"),
		       -1;
	if (err.code == 400)
		return req_fail_validation(req, "", "invalid", err.msg), -1;
	if (err.code == 404) /* account.signup_tenant or signup_role names nothing */
		log_error(
		    "signup: no such tenant or role (check account.signup_tenant and signup_role) "
		    "detail=%s",
		    LOG_Q(err.msg));
	return req_fail_store(req, &err), -1;
}

/* The checks and the insert of create-user, after the token was taken. */
static int create_user(struct authsvc_req *req, const struct action_row *row, char uid[40],
		       struct user_spec *spec)
{
	const char *email = req_body_str(req, "email");
	const char *password = req_body_str(req, "password");
	json_t *data = row->data ? json_loads(row->data, 0, NULL) : NULL;
	const char *client = row->client_id;
	char first[64];
	struct err err = {0};
	int rc = -1;

	if (strcasecmp(email, row->email) != 0) {
		req_fail(req, 403, "NotAllowedAccess");
		goto out;
	}
	local_part(row->email, first, sizeof(first));
	spec->username = req_body_str(req, "username") ? req_body_str(req, "username") : email;
	spec->email = row->email; /* the address the invitation went to */
	spec->first_name =
	    profile_str(req, data, "firstName") ? profile_str(req, data, "firstName") : first;
	spec->last_name = profile_str(req, data, "lastName");
	spec->phone = profile_str(req, data, "phone");
	spec->client_ids = &client;
	spec->nclients = 1;
	if (check_profile(req, spec) < 0)
		goto out;
	if (password_policy_check(&req->cfg->password, spec->username, password, &err) < 0) {
		req_fail(req, 400, err.msg);
		goto out;
	}
	rc = signup_add(req, spec, password, true, uid);
out:
	spec->client_ids = NULL; /* &client and first die here */
	spec->first_name = NULL;
	json_decref(data);
	return rc;
}

enum authsvc_status h_signup_create_user(void *state, void *tstate, struct authsvc_req *req)
{
	struct db *db = &req->worker->db;
	struct user_spec spec = {0};
	struct action_row row;
	struct err err = {0};
	char hash[65], uid[40], luser[VARCHAR150_BUF], email[VARCHAR150_BUF];
	int rc;

	(void)state;
	(void)tstate;
	if (!signup_configured(req))
		return not_configured(req);
	if (signup_bearer(req, hash) == NULL)
		return AUTHSVC_OK;
	if (db_begin(db, &err) < 0)
		return req_fail_store(req, &err);
	rc = store_action_take(db, hash, "signup", &row, &err);
	if (rc != ACTION_LIVE) {
		db_rollback(db);
		return rc < 0 ? req_fail_store(req, &err) : account_token_refused(req, rc);
	}
	rc = create_user(req, &row, uid, &spec);
	account_lower(spec.username, luser, sizeof(luser)); /* as stored */
	snprintf(email, sizeof(email), "%s", row.email);
	action_row_release(&row);
	if (rc < 0) { /* a rollback gives the token back */
		db_rollback(db);
		return AUTHSVC_OK;
	}
	if (db_commit(db, &err) < 0) {
		db_rollback(db);
		return req_fail_store(req, &err);
	}
	log_info("signup: user created req=%s user=%s", req->id, uid);
	req_reply_json(req, 200,
		       json_pack("{s:s, s:{s:s, s:s, s:s}}", "email", req_body_str(req, "email"),
				 "user", "id", uid, "username", luser, "email", email));
	return AUTHSVC_OK;
}

enum authsvc_status h_signup_fast(void *state, void *tstate, struct authsvc_req *req)
{
	const struct account_conf *ac = &req->cfg->account;
	const char *password = req_body_str(req, "password");
	const char *client = req->client->client_id;
	struct user_spec spec = {0};
	struct err err = {0};
	char first[64], uid[40];
	enum authsvc_status st;

	(void)state;
	(void)tstate;
	if (!ac->signup_fast ||
	    !config_client_listed(ac->signup_fast_clients, ac->nsignup_fast_clients, client))
		return req_fail(req, 403, "NotAllowedAccess");
	if (!signup_configured(req))
		return not_configured(req);
	if (password == NULL)
		return req_fail_validation(req, "", "required",
					   "must have required property 'password'");
	spec.username = req_body_str(req, "username");
	spec.email = req_body_str(req, "email");
	spec.phone = req_body_str(req, "phone");
	if (spec.email != NULL && *spec.email == '\0')
		spec.email = NULL;
	if (spec.phone != NULL && *spec.phone == '\0')
		spec.phone = NULL;
	if (spec.email != NULL) {
		local_part(spec.email, first, sizeof(first));
		spec.first_name = first;
	}
	spec.client_ids = &client;
	spec.nclients = 1;
	if (check_profile(req, &spec) < 0)
		return AUTHSVC_OK;
	if (password_policy_check(&req->cfg->password, spec.username, password, &err) < 0)
		return req_fail(req, 400, err.msg);
	st = core_send_limit(req, "signup", NULL);
	if (st != AUTHSVC_OK)
		return st;
	if (signup_add(req, &spec, password, false, uid) < 0)
		return AUTHSVC_OK;
	log_info("signup: user created (fast) req=%s user=%s", req->id, uid);
	req_reply_empty(req, 204);
	return AUTHSVC_OK;
}
