/* SPDX-License-Identifier: Apache-2.0 */
#include "core/account.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "core/app.h"
#include "core/deliver.h"
#include "core/handlers.h"
#include "core/issue.h"
#include "core/password.h"
#include "http/workers.h"
#include "store/action_tokens.h"
#include "store/password_history.h"
#include "store/users.h"
#include "tokens/opaque.h"
#include "util/utf8.h"

int account_new_token(char token[ACCOUNT_TOKEN_MAX], char hash[65])
{
	if (tokens_random_b64url(token, ACCOUNT_TOKEN_MAX, 32) < 0)
		return -1;
	core_token_hash(token, hash);
	return 0;
}

enum authsvc_status account_decoy(struct authsvc_req *req, const char *purpose, int ttl_s)
{
	char token[ACCOUNT_TOKEN_MAX], hash[65];
	struct err err = {0};

	if (account_new_token(token, hash) < 0)
		return AUTHSVC_ERROR;
	OPENSSL_cleanse(token, sizeof(token));
	if (store_action_decoy(&req->worker->db, hash, purpose, req->client->client_id, ttl_s,
			       &err) < 0)
		return req_fail_store(req, &err);
	return AUTHSVC_OK;
}

/* The 401 for a token that cannot be used, by why. */
enum authsvc_status account_token_refused(struct authsvc_req *req, int state)
{
	if (state == ACTION_USED)
		return req_fail(req, 401, "TokenRevoked");
	if (state == ACTION_EXPIRED)
		return req_fail(req, 401, "Token Expired");
	return req_fail(req, 401, "Token Invalid");
}

int account_history_keep(const struct authsvc_req *req)
{
	int n = req->cfg->account.password_history;

	return n > 1 ? n - 1 : 0;
}

int account_password_reuse_check(struct authsvc_req *req, struct db *db, const char *user_id,
				 const char *current_hash, const char *password)
{
	char **hashes = NULL, msg[96];
	struct err err = {0};
	bool rehash;
	int n, hit = 0;

	if (current_hash != NULL && password_verify(password, current_hash, &rehash) == 1)
		return req_fail(req, 401, "Password cannot be same as previous password!"), -1;
	n = store_password_history(db, user_id, account_history_keep(req), &hashes, &err);
	if (n < 0)
		return req_fail_store(req, &err), -1;
	for (int i = 0; i < n && !hit; i++)
		hit = password_verify(password, hashes[i], &rehash) == 1;
	password_history_free(hashes, n);
	if (!hit)
		return 0;
	snprintf(msg, sizeof(msg), "Password cannot be one of the last %d passwords",
		 req->cfg->account.password_history);
	req_fail(req, 400, msg);
	return -1;
}

int account_password_set(struct authsvc_req *req, struct db *db, const char *user_id,
			 const char *password, struct err *err)
{
	char hash[PASSWORD_HASH_MAX];
	int rc;

	if (password_hash(password, hash, sizeof(hash), err) < 0)
		return err_set(err, 422, "Unable to set password !");
	rc = store_password_history_push(db, user_id, account_history_keep(req), err);
	if (rc == 0)
		rc = store_user_set_password(db, user_id, hash, err);
	OPENSSL_cleanse(hash, sizeof(hash));
	return rc;
}

enum authsvc_status account_send_token(struct authsvc_req *req, const char *event,
				       const char *url_tmpl, const char *token, int ttl_s,
				       const struct notify_to *to)
{
	json_t *vars = json_pack("{s:s}", "token", token);
	enum authsvc_status st = AUTHSVC_ERROR;
	char *link;

	if (vars == NULL)
		return AUTHSVC_ERROR;
	link = notify_render(url_tmpl, vars, false);
	if (link != NULL && json_object_set_new(vars, "link", json_string(link)) == 0 &&
	    json_object_set_new(vars, "username", json_string(to->username ? to->username : "")) ==
		0 &&
	    json_object_set_new(vars, "email", json_string(to->email ? to->email : "")) == 0 &&
	    json_object_set_new(vars, "minutes", json_integer((ttl_s + 59) / 60)) == 0 &&
	    json_object_set_new(vars, "expiresIn", json_integer(ttl_s)) == 0)
		st = core_deliver(req, event, to, vars);
	if (link != NULL) {
		OPENSSL_cleanse(link, strlen(link));
		free(link);
	}
	json_decref(vars);
	return st;
}

bool account_email_valid(const char *email)
{
	const char *at, *dot, *p;

	if (email == NULL || utf8_chars(email) > 150)
		return false;
	at = strchr(email, '@');
	if (at == NULL || at == email || strchr(at + 1, '@') != NULL || at - email > 64)
		return false;
	for (p = email; *p; p++)
		if ((unsigned char)*p <= ' ' || *p == 0x7f || *p == '<' || *p == '>' || *p == ',')
			return false;
	dot = strrchr(at + 1, '.');
	/* a domain of labels: no empty label, a top level of two or more */
	if (dot == NULL || at[1] == '.' || strlen(dot + 1) < 2 || strstr(at, "..") != NULL)
		return false;
	return true;
}

bool account_phone_valid(const char *phone)
{
	const char *p = phone;
	size_t n;

	if (p == NULL || strlen(p) > 15)
		return false;
	if (*p == '+')
		p++;
	n = strlen(p);
	if (n < 2 || *p < '1' || *p > '9')
		return false;
	for (; *p; p++)
		if (!isdigit((unsigned char)*p))
			return false;
	return true;
}

void account_lower(const char *s, char *out, size_t outsz)
{
	size_t i;

	if (outsz == 0)
		return;
	for (i = 0; s != NULL && s[i] != '\0' && i + 1 < outsz; i++)
		out[i] = (char)tolower((unsigned char)s[i]);
	out[i] = '\0';
}
