/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Logins at OpenID Connect providers, the core's half (core/social.h).
 */
#include "core/social.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "core/finish.h"
#include "core/issue.h"
#include "http/request.h"
#include "http/workers.h"
#include "log/log.h"
#include "store/clients.h"
#include "store/provision.h"
#include "store/social.h"
#include "store/users.h"
#include "tokens/opaque.h"
#include "util/sbuf.h"
#include "util/utf8.h"

#define MAX_AUTH_PARAMS	 16
#define CALLER_STATE_MAX 1024

struct social_provider {
	struct oidc_provider *oidc;
	char name[32]; /* the instance: login_transactions.provider, identities */
	char subject_claim[32], email_claim[32];
	bool email_verified_implied, link_by_email, signup, cookie_secure;
	char *signup_tenant, *signup_role;
	int tx_ttl_s;
	char *auth_params[2 * MAX_AUTH_PARAMS + 1];
	social_claims_fn claims_check;
	void *claims_state;
	bool no_id_token, appsecret_proof, token_in_query;
	char *profile_fields, *client_secret;
	char username_claim[32];
	bool form_post;
};

static char *dup_opt(const char *s, bool *oom)
{
	char *d;

	if (s == NULL || s[0] == '\0')
		return NULL;
	d = strdup(s);
	if (d == NULL)
		*oom = true;
	return d;
}

struct social_provider *core_social_new(const struct social_conf *c, struct err *err)
{
	struct social_provider *sp = calloc(1, sizeof(*sp));
	bool oom = false;
	size_t i;

	if (sp == NULL) {
		err_set(err, 500, "out of memory");
		return NULL;
	}
	snprintf(sp->name, sizeof(sp->name), "%s", c->oidc.name ? c->oidc.name : "");
	snprintf(sp->subject_claim, sizeof(sp->subject_claim), "%s",
		 c->subject_claim ? c->subject_claim : "sub");
	snprintf(sp->email_claim, sizeof(sp->email_claim), "%s",
		 c->email_claim ? c->email_claim : "email");
	sp->email_verified_implied = c->email_verified_implied;
	sp->link_by_email = c->link_by_email;
	sp->signup = c->signup;
	sp->cookie_secure = c->cookie_secure;
	sp->tx_ttl_s = c->tx_ttl_s > 0 ? c->tx_ttl_s : 600;
	sp->signup_tenant = dup_opt(c->signup_tenant, &oom);
	sp->signup_role = dup_opt(c->signup_role, &oom);
	sp->claims_check = c->claims_check;
	sp->claims_state = c->claims_state;
	sp->no_id_token = c->oidc.no_id_token;
	sp->form_post = c->form_post;
	snprintf(sp->username_claim, sizeof(sp->username_claim), "%s",
		 c->username_claim ? c->username_claim : "");
	sp->appsecret_proof = c->appsecret_proof;
	sp->token_in_query = c->token_in_query;
	sp->profile_fields = dup_opt(c->profile_fields, &oom);
	if (c->appsecret_proof)
		sp->client_secret = dup_opt(c->oidc.client_secret, &oom);
	for (i = 0; c->auth_params != NULL && c->auth_params[i] != NULL && i < 2 * MAX_AUTH_PARAMS;
	     i += 2) {
		sp->auth_params[i] = strdup(c->auth_params[i]);
		sp->auth_params[i + 1] = strdup(c->auth_params[i + 1] ? c->auth_params[i + 1] : "");
		if (sp->auth_params[i] == NULL || sp->auth_params[i + 1] == NULL)
			oom = true;
	}
	if (oom) {
		err_set(err, 500, "out of memory");
		core_social_free(sp);
		return NULL;
	}
	sp->oidc = oidc_provider_new(&c->oidc, err);
	if (sp->oidc == NULL) {
		core_social_free(sp);
		return NULL;
	}
	return sp;
}

void core_social_free(struct social_provider *sp)
{
	if (sp == NULL)
		return;
	oidc_provider_free(sp->oidc);
	free(sp->signup_tenant);
	free(sp->signup_role);
	free(sp->profile_fields);
	if (sp->client_secret != NULL) {
		OPENSSL_cleanse(sp->client_secret, strlen(sp->client_secret));
		free(sp->client_secret);
	}
	for (size_t i = 0; sp->auth_params[i] != NULL; i++)
		free(sp->auth_params[i]);
	free(sp);
}

char *core_url_append_query(const char *url, const char *query)
{
	struct sbuf sb = SBUF_INIT(8192);

	sbuf_addstr(&sb, url);
	if (query != NULL && query[0] != '\0') {
		sbuf_addch(&sb, strchr(url, '?') != NULL ? '&' : '?');
		sbuf_addstr(&sb, query);
	}
	return sbuf_detach(&sb, NULL);
}

static void add_enc(struct sbuf *sb, const char *s, size_t n)
{
	static const char hex[] = "0123456789ABCDEF";

	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		    c == '-' || c == '.' || c == '_' || c == '~') {
			sbuf_addch(sb, (char)c);
		} else {
			sbuf_addch(sb, '%');
			sbuf_addch(sb, hex[c >> 4]);
			sbuf_addch(sb, hex[c & 15]);
		}
	}
}

/* The caller's own state back as query parameters: a query-string state
 * gives its parameters other than client_id (each re-encoded); any other
 * text comes back as state=<text>. */
static void add_caller_state(struct sbuf *sb, const char *state)
{
	const char *p = state;

	if (state == NULL || state[0] == '\0')
		return;
	if (strchr(state, '=') == NULL) {
		sbuf_addstr(sb, "&state=");
		add_enc(sb, state, strlen(state));
		return;
	}
	while (*p != '\0') {
		size_t n = strcspn(p, "&"), k = strcspn(p, "=&");

		if (n > 0 && !(k == 9 && strncmp(p, "client_id", 9) == 0)) {
			sbuf_addch(sb, '&');
			add_enc(sb, p, k);
			sbuf_addch(sb, '=');
			if (k < n)
				add_enc(sb, p + k + 1, n - k - 1);
		}
		p += n;
		if (*p == '&')
			p++;
	}
}

/* 302 to the client's redirect URL with first (code=... or error=...)
 * and the caller's state. */
static enum authsvc_status redirect_to_client(struct authsvc_req *req, const struct client *c,
					      const char *first, const char *caller_state)
{
	struct sbuf q = SBUF_INIT(8192);
	char *url;

	sbuf_addstr(&q, first);
	add_caller_state(&q, caller_state);
	url = sbuf_failed(&q) ? NULL : core_url_append_query(c->redirect_url, sbuf_str(&q));
	sbuf_release(&q);
	if (url == NULL)
		return req_fail(req, 500, "Internal Server Error");
	req_reply_redirect(req, 302, url);
	free(url);
	return AUTHSVC_OK;
}

static void cookie_name(const char *state_hash, char out[40])
{
	snprintf(out, 40, "authsvc_tx_%.16s", state_hash);
}

/* The value of cookie name in the request's Cookie header (arena), or NULL. */
static const char *cookie_get(struct authsvc_req *req, const char *name)
{
	const char *h = req_header(req, "Cookie"), *p;
	size_t nl = strlen(name);

	for (p = h; p != NULL && *p != '\0';) {
		p += strspn(p, " ;");
		if (strncmp(p, name, nl) == 0 && p[nl] == '=') {
			size_t vl = strcspn(p + nl + 1, ";");
			char *v = arena_strndup(&req->arena, p + nl + 1, vl);

			while (v != NULL && vl > 0 && v[vl - 1] == ' ')
				v[--vl] = '\0';
			return v;
		}
		p += strcspn(p, ";");
	}
	return NULL;
}

static void cookie_set(struct authsvc_req *req, const struct social_provider *sp, const char *name,
		       const char *value, int max_age)
{
	char buf[256];

	/* a form_post callback is a cross-site POST: only SameSite=None (which
	 * browsers take only with Secure) brings the cookie along; the state
	 * and this cookie, both single use, are what stop a forged POST */
	snprintf(buf, sizeof(buf), "%s=%s; Path=/auth/; Max-Age=%d; HttpOnly; SameSite=%s%s", name,
		 value, max_age, sp->form_post ? "None" : "Lax",
		 sp->cookie_secure || sp->form_post ? "; Secure" : "");
	req->set_cookie = req_strdup(req, buf);
}

static enum authsvc_status fail_outbound(struct authsvc_req *req, const struct social_provider *sp,
					 const struct err *err)
{
	int status = err->code == 504 || err->code == 503 || err->code == 401 ? err->code : 502;

	log_warn("social: login failed provider=%s req=%s detail=%s", sp->name, req->id,
		 LOG_Q(err->msg));
	if (status == 401)
		return req_fail(req, 401, "Invalid Credentials");
	return req_fail(req, status,
			status == 504 ? "Identity provider timed out"
				      : "Identity provider unavailable");
}

static bool challenge_ok(const char *c)
{
	return c != NULL && strlen(c) == 43 &&
	       strspn(c, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") == 43;
}

enum authsvc_status core_social_start(struct authsvc_req *req, struct social_provider *sp,
				      uint32_t flags)
{
	struct db *db = &req->worker->db;
	struct login_tx tx;
	char state[OIDC_RANDOM_LEN], cookie[OIDC_RANDOM_LEN], challenge[OIDC_CHALLENGE_LEN],
	    name[40];
	const char *caller_state;
	struct err err = {0};
	char *url;
	int rc;

	memset(&tx, 0, sizeof(tx));
	if (flags & SOCIAL_PUBLIC_START) {
		const char *method = req_query(req, "client_challenge_method");
		const char *cc = req_query(req, "client_challenge");
		struct client *c = arena_alloc(&req->arena, sizeof(*c));

		if (c == NULL)
			return AUTHSVC_ERROR;
		rc = store_client_find(db, req_query(req, "client_id"), c, &err);
		if (rc < 0)
			return req_fail_store(req, &err);
		if (rc == 0 || !c->is_public)
			return req_fail(req, 401, "Client Invalid");
		if (method != NULL && strcmp(method, "S256") != 0)
			return req_fail(req, 400, "client_challenge_method must be S256");
		if (!challenge_ok(cc))
			return req_fail(req, 400, "client_challenge must be an S256 challenge");
		snprintf(tx.client_challenge, sizeof(tx.client_challenge), "%s", cc);
		req->client = c;
	}
	if (req->client == NULL)
		return req_fail(req, 401, "Client Verification Failed");
	if (req->client->redirect_url[0] == '\0')
		return req_fail(req, 401, "Client Invalid");
	caller_state = req_body_str(req, "state");
	if (caller_state == NULL)
		caller_state = req_query(req, "state");
	if (caller_state != NULL && strlen(caller_state) > CALLER_STATE_MAX)
		return req_fail(req, 400, "state too long");
	if (oidc_random(state) < 0 || oidc_random(cookie) < 0 ||
	    oidc_random(tx.code_verifier) < 0 || oidc_random(tx.nonce) < 0 ||
	    oidc_pkce_s256(tx.code_verifier, challenge) < 0)
		return AUTHSVC_ERROR;
	core_token_hash(state, tx.state_hash);
	core_token_hash(cookie, tx.browser_hash);
	snprintf(tx.provider, sizeof(tx.provider), "%s", sp->name);
	snprintf(tx.client_id, sizeof(tx.client_id), "%s", req->client->client_id);
	tx.caller_state = (char *)caller_state;
	url = oidc_provider_authorize_url(sp->oidc, state, tx.nonce, challenge,
					  (const char *const *)sp->auth_params, &err);
	if (url == NULL)
		return fail_outbound(req, sp, &err);
	if (store_login_tx_create(db, &tx, sp->tx_ttl_s, &err) < 0) {
		free(url);
		return req_fail_store(req, &err);
	}
	cookie_name(tx.state_hash, name);
	cookie_set(req, sp, name, cookie, sp->tx_ttl_s);
	req_reply_redirect(req, 302, url);
	free(url);
	OPENSSL_cleanse(&tx, sizeof(tx));
	OPENSSL_cleanse(cookie, sizeof(cookie));
	return AUTHSVC_OK;
}

static bool email_verified(const struct social_provider *sp, const json_t *claims)
{
	const json_t *v = json_object_get(claims, "email_verified");

	if (json_is_true(v))
		return true;
	if (json_is_string(v)) /* Cognito and Apple send "true" */
		return strcmp(json_string_value(v), "true") == 0;
	return v == NULL && sp->email_verified_implied;
}

/* name cut to the 50 characters of users.first_name/last_name, in buf
 * (4 bytes a character at most); NULL stays NULL. */
static const char *name_cut(const char *name, char *buf, size_t bufsz)
{
	size_t n;

	if (name == NULL)
		return NULL;
	n = utf8_prefix(name, 50);
	if (n >= bufsz)
		n = bufsz - 1; /* cannot happen with valid UTF-8 */
	memcpy(buf, name, n);
	buf[n] = '\0';
	return buf;
}

/* The local user of the identity in claims: 1 (who filled), 0 none that
 * may log in (reply set), -1 reply set. Writes only once the user is
 * known to be eligible on the client. */
static int resolve_user(struct authsvc_req *req, struct social_provider *sp, const json_t *claims,
			const json_t *names, struct authsvc_identity *who)
{
	struct db *db = &req->worker->db;
	const char *sub = json_string_value(json_object_get(claims, sp->subject_claim));
	const char *email = json_string_value(json_object_get(claims, sp->email_claim));
	const char *uname = email;
	char uid[40] = "", num[32], first[4 * 50 + 1], last[4 * 50 + 1];
	struct user_ctx u;
	struct err err = {0};
	bool link = false;
	int rc;

	if (sub == NULL && json_is_integer(json_object_get(claims, sp->subject_claim)) &&
	    json_integer_value(json_object_get(claims, sp->subject_claim)) > 0) {
		/* Graph API ids are strings, but some answers carry numbers */
		snprintf(num, sizeof(num), "%lld",
			 (long long)json_integer_value(json_object_get(claims, sp->subject_claim)));
		sub = num;
	}
	if (sub == NULL || sub[0] == '\0' || strlen(sub) > 255) {
		req_fail(req, 401, "Invalid Credentials");
		return -1;
	}
	rc = store_identity_user(db, sp->name, sub, uid, &err);
	if (rc < 0)
		goto out_store;
	if (rc == 0 && sp->link_by_email && email != NULL && email_verified(sp, claims)) {
		rc = store_user_by_email(db, email, uid, &err);
		if (rc < 0)
			goto out_store;
		link = rc == 1;
	}
	if (email == NULL && sp->username_claim[0] != '\0') {
		/* no e-mail at all (Instagram): the provider's username */
		uname = json_string_value(json_object_get(claims, sp->username_claim));
		if (uname != NULL && (uname[0] == '\0' || strlen(uname) > 100))
			uname = NULL;
	}
	if (rc == 0 && sp->signup && uname != NULL &&
	    (email == NULL || email_verified(sp, claims))) {
		const char *clients[1] = {req->client->client_id};
		/* "!" matches no password: the account logs in only through
		 * its identities (as a passwordless sign-up's, core/otp.c) */
		struct user_spec spec = {
		    .username = uname,
		    .password_hash = "!",
		    .email = email,
		    .first_name = json_string_value(json_object_get(claims, "given_name")),
		    .last_name = json_string_value(json_object_get(claims, "family_name")),
		    .tenant_key = sp->signup_tenant,
		    .role = sp->signup_role,
		    .client_ids = clients,
		    .nclients = 1};

		/* Apple's `user` form field: the name, sent on the first login
		 * only and not signed, so it names a new account and nothing else */
		if (spec.first_name == NULL)
			spec.first_name = json_string_value(json_object_get(names, "firstName"));
		if (spec.last_name == NULL)
			spec.last_name = json_string_value(json_object_get(names, "lastName"));
		/* a provider's name is not the user's input to refuse: cut it
		 * to its column (varchar(50), in characters) */
		spec.first_name = name_cut(spec.first_name, first, sizeof(first));
		spec.last_name = name_cut(spec.last_name, last, sizeof(last));
		if (provision_user_taken(db, uname, email, &err) != 0) {
			req_fail(req, 401, "Invalid Credentials");
			return -1;
		}
		if (db_begin(db, &err) < 0 ||
		    provision_user_insert(db, &spec, uid, sizeof(uid), &err) < 0 ||
		    store_identity_link(db, sp->name, sub, uid, email, &err) < 0 ||
		    db_commit(db, &err) < 0) {
			db_rollback(db);
			if (err.code >= 400 && err.code < 500) { /* refused, not failed */
				log_info("social: provider=%s req=%s: sign-up refused: %s",
					 sp->name, req->id, err.msg);
				req_fail(req, 401, "Invalid Credentials");
				return -1;
			}
			goto out_store;
		}
		rc = 1;
	}
	if (rc == 0) {
		log_info("social: no local user for the identity provider=%s req=%s", sp->name,
			 req->id);
		req_fail(req, 401, "Invalid Credentials");
		return -1;
	}
	rc = store_user_context(db, uid, NULL, req->client->id, &u, &err);
	if (rc < 0)
		goto out_store;
	if (rc == 0) {
		req_fail(req, 401, "UserDoesNotExist");
		return -1;
	}
	if (core_check_eligible(req, req->client, &u) < 0) {
		user_ctx_release(&u);
		return -1;
	}
	snprintf(who->user_id, sizeof(who->user_id), "%s", u.user_id);
	snprintf(who->username, sizeof(who->username), "%s", u.username);
	snprintf(who->provider, sizeof(who->provider), "%s", sp->name);
	user_ctx_release(&u);
	if (link && store_identity_link(db, sp->name, sub, uid, email, &err) < 0)
		goto out_store;
	return 1;
out_store:
	req_fail_store(req, &err);
	return -1;
}

/* Turn the finished login's {code} reply into the redirect to the client
 * (the app's challenge and the provider are bound to it by finish.c). */
static enum authsvc_status code_to_redirect(struct authsvc_req *req, const struct login_tx *tx)
{
	const char *code = json_string_value(json_object_get(req->reply, "code"));
	struct sbuf first = SBUF_INIT(512);
	enum authsvc_status st;

	if (req->status != 200 || code == NULL)
		return AUTHSVC_OK; /* an error reply (or the MFA step's): as it is */
	sbuf_init_wipe(&first, 512);
	sbuf_addstr(&first, "code=");
	add_enc(&first, code, strlen(code));
	st = redirect_to_client(req, req->client, sbuf_str(&first), tx->caller_state);
	sbuf_release(&first);
	return st;
}

/* The access token of a plain OAuth 2.0 token response: top level
 * (Facebook), or the first of data[] (Instagram API with Instagram Login). */
static const char *access_token_of(const json_t *tokens)
{
	const char *t = json_string_value(json_object_get(tokens, "access_token"));

	if (t == NULL)
		t = json_string_value(json_object_get(
		    json_array_get(json_object_get(tokens, "data"), 0), "access_token"));
	return t != NULL && t[0] != '\0' && strlen(t) <= 4096 ? t : NULL;
}

/* The profile of a plain OAuth 2.0 login as the claims: 0 with *out, or -1
 * with err. With appsecret_proof, the Graph API call carries the hex
 * HMAC-SHA256 of the access token keyed by the app secret; with
 * token_in_query the token is the query's access_token, else a Bearer header. */
static int oauth_profile(struct social_provider *sp, const json_t *tokens, json_t **out,
			 struct err *err)
{
	const char *token = access_token_of(tokens);
	unsigned char mac[EVP_MAX_MD_SIZE];
	unsigned int maclen = 0;
	char proof[2 * EVP_MAX_MD_SIZE + 1] = "";
	const char *query[7] = {NULL};
	size_t n = 0;
	int rc;

	if (token == NULL)
		return err_set(err, 401, "no access token in the token response");
	if (sp->profile_fields != NULL) {
		query[n++] = "fields";
		query[n++] = sp->profile_fields;
	}
	if (sp->appsecret_proof) {
		if (sp->client_secret == NULL ||
		    HMAC(EVP_sha256(), sp->client_secret, (int)strlen(sp->client_secret),
			 (const unsigned char *)token, strlen(token), mac, &maclen) == NULL)
			return err_set(err, 500, "appsecret_proof failed");
		for (unsigned int i = 0; i < maclen; i++)
			snprintf(proof + 2 * i, 3, "%02x", mac[i]);
		query[n++] = "appsecret_proof";
		query[n++] = proof;
	}
	if (sp->token_in_query) {
		query[n++] = "access_token";
		query[n++] = token;
	}
	rc = oidc_provider_profile(sp->oidc, sp->token_in_query ? NULL : token, query, out, err);
	OPENSSL_cleanse(mac, sizeof(mac));
	OPENSSL_cleanse(proof, sizeof(proof));
	if (rc == 0 && !json_is_object(*out)) {
		json_decref(*out);
		*out = NULL;
		return err_set(err, 502, "identity provider profile is not an object");
	}
	return rc;
}

enum authsvc_status core_social_callback(struct authsvc_req *req, struct social_provider *sp)
{
	struct db *db = &req->worker->db;
	const char *state = req_query(req, "state"), *code = req_query(req, "code");
	const char *error = req_query(req, "error"), *cookie, *id_token;
	struct client *c = arena_alloc(&req->arena, sizeof(*c));
	char state_hash[65], browser_hash[65], name[40];
	struct authsvc_identity who;
	struct login_tx tx;
	struct err err = {0};
	json_t *tokens = NULL, *claims = NULL, *user_blob = NULL;
	enum authsvc_status st;
	int rc;

	if (c == NULL)
		return AUTHSVC_ERROR;
	if (sp->form_post && req->method == M_POST) {
		/* response_mode=form_post: the same fields in the body */
		state = req_body_str(req, "state");
		code = req_body_str(req, "code");
		error = req_body_str(req, "error");
	}
	if (state == NULL || strlen(state) != OIDC_RANDOM_LEN - 1)
		return req_fail(req, 401, "Invalid login state");
	core_token_hash(state, state_hash);
	cookie_name(state_hash, name);
	cookie = cookie_get(req, name);
	if (cookie == NULL || cookie[0] == '\0')
		return req_fail(req, 401, "Invalid login state");
	core_token_hash(cookie, browser_hash);
	rc = store_login_tx_take(db, state_hash, browser_hash, sp->name, &tx, &err);
	if (rc < 0)
		return req_fail_store(req, &err);
	if (rc == 0)
		return req_fail(req, 401, "Invalid login state");
	cookie_set(req, sp, name, "", 0);
	rc = store_client_find(db, tx.client_id, c, &err);
	if (rc <= 0 || c->redirect_url[0] == '\0') {
		login_tx_release(&tx);
		return rc < 0 ? req_fail_store(req, &err) : req_fail(req, 401, "Client Invalid");
	}
	req->client = c;
	if (error != NULL) {
		struct sbuf first = SBUF_INIT(512);

		sbuf_addstr(&first, "error=");
		add_enc(&first, error, strlen(error) > 64 ? 64 : strlen(error));
		st = redirect_to_client(req, c, sbuf_str(&first), tx.caller_state);
		sbuf_release(&first);
		login_tx_release(&tx);
		return st;
	}
	if (code == NULL || code[0] == '\0' || strlen(code) > 2048) {
		login_tx_release(&tx);
		return req_fail(req, 401, "Invalid Credentials");
	}
	if (oidc_provider_exchange(sp->oidc, code, tx.code_verifier, &tokens, &err) < 0) {
		login_tx_release(&tx);
		return fail_outbound(req, sp, &err);
	}
	if (sp->no_id_token) {
		rc = oauth_profile(sp, tokens, &claims, &err);
		json_decref(tokens);
		if (rc < 0) {
			login_tx_release(&tx);
			return fail_outbound(req, sp, &err);
		}
		goto have_claims;
	}
	id_token = json_string_value(json_object_get(tokens, "id_token"));
	if (id_token == NULL || oidc_provider_verify(sp->oidc, id_token, tx.nonce,
						     (long long)time(NULL), &claims, &err) < 0) {
		json_decref(tokens);
		login_tx_release(&tx);
		if (id_token == NULL)
			err_set(&err, 401, "no ID token in the token response");
		return fail_outbound(req, sp, &err);
	}
	json_decref(tokens);
have_claims:
	if (sp->claims_check != NULL && sp->claims_check(sp->claims_state, claims) != AUTHSVC_OK) {
		json_decref(claims);
		login_tx_release(&tx);
		return req_fail(req, 401, "Invalid Credentials");
	}
	if (sp->form_post && req->method == M_POST) {
		const char *blob = req_body_str(req, "user");

		if (blob != NULL && strlen(blob) <= 4096)
			user_blob = json_loads(blob, JSON_REJECT_DUPLICATES, NULL);
	}
	rc = resolve_user(req, sp, claims, json_object_get(user_blob, "name"), &who);
	json_decref(user_blob);
	json_decref(claims);
	if (rc <= 0) {
		login_tx_release(&tx);
		return AUTHSVC_OK;
	}
	st = core_finish_login_bound(
	    req, &who, AUTHSVC_LOGIN_CODE, false,
	    &(struct login_bind){tx.client_challenge[0] != '\0' ? tx.client_challenge : NULL,
				 sp->name});
	if (st == AUTHSVC_OK)
		st = code_to_redirect(req, &tx);
	login_tx_release(&tx);
	return st;
}
