/* SPDX-License-Identifier: Apache-2.0 */
/* One-time codes and per-user secrets for plugins (see otp.h). */
#include "core/otp.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "core/account.h"
#include "core/after.h"
#include "core/app.h"
#include "core/deliver.h"
#include "core/handlers.h"
#include "core/issue.h"
#include "core/otp_code.h"
#include "core/secrets.h"
#include "http/request.h"
#include "http/workers.h"
#include "log/log.h"
#include "store/clients.h"
#include "core/throttle.h"
#include "store/otp.h"
#include "store/provision.h"
#include "tokens/opaque.h"

static void identity_from(const struct user_contact *c, struct authsvc_identity *who)
{
	memset(who, 0, sizeof(*who));
	snprintf(who->user_id, sizeof(who->user_id), "%s", c->user_id);
	snprintf(who->username, sizeof(who->username), "%s", c->username);
	snprintf(who->provider, sizeof(who->provider), "%s", c->provider);
}

static void lower_copy(const char *in, char *out, size_t outsz)
{
	size_t i = 0;

	for (; in[i] != '\0' && i + 1 < outsz; i++)
		out[i] = (char)tolower((unsigned char)in[i]);
	out[i] = '\0';
}

enum authsvc_status core_user_find(struct authsvc_req *req, const char *username,
				   struct authsvc_identity *who_out)
{
	struct user_contact c;
	struct err err = {0};
	int rc;

	if (req == NULL || req->worker == NULL || username == NULL || who_out == NULL)
		return AUTHSVC_ERROR;
	rc = store_user_contact(&req->worker->db, username, false, &c, &err);
	if (rc < 0)
		return req_store_status(req, &err);
	if (rc == 0)
		return AUTHSVC_NOT_FOUND;
	identity_from(&c, who_out);
	return AUTHSVC_OK;
}

enum authsvc_status core_use_client(struct authsvc_req *req, const char *client_id)
{
	struct client *c = arena_alloc(&req->arena, sizeof(*c));
	struct err err = {0};
	int rc;

	if (c == NULL)
		return AUTHSVC_ERROR;
	rc = store_client_find(&req->worker->db, client_id, c, &err);
	if (rc < 0)
		return req_store_status(req, &err);
	if (rc == 0)
		return AUTHSVC_DENIED;
	req->client = c;
	return AUTHSVC_OK;
}

enum authsvc_status core_otp_make(struct authsvc_req *req, const char *space, const char *key,
				  char code[16], char hash[65])
{
	const struct otp_conf *oc = &req->cfg->otp;

	if (otp_code_make(oc->alphabet, oc->length, code, 16, tokens_random_bytes) < 0)
		return AUTHSVC_ERROR;
	otp_code_hash(space, key, code, hash);
	return AUTHSVC_OK;
}

enum authsvc_status core_otp_deliver(struct authsvc_req *req, const char *event,
				     const struct user_contact *c, char code[16])
{
	const struct otp_conf *oc = &req->cfg->otp;
	struct notify_to to = {c->email, c->phone, c->username};
	enum authsvc_status st;
	json_t *vars;

	vars = json_pack("{s:s, s:s, s:i, s:i}", "code", code, "username", c->username, "minutes",
			 (oc->ttl_s + 59) / 60, "expiresIn", oc->ttl_s);
	OPENSSL_cleanse(code, 16);
	if (vars == NULL)
		return AUTHSVC_ERROR;
	st = core_deliver(req, event, &to, vars);
	json_decref(vars);
	return st;
}

/* AUTHSVC_OTP_SIGNUP: an unknown key that is an e-mail address gets its
 * code too; the account is created when the code comes back with the same
 * flag (account.signup_tenant and signup_role must be set). */
static bool signup_allowed(const struct authsvc_req *req, uint32_t flags, const char *key)
{
	return (flags & AUTHSVC_OTP_SIGNUP) != 0 && req->cfg->account.signup_tenant[0] != '\0' &&
	       account_email_valid(key);
}

/* The account of a first passwordless login: username and e-mail = key, no
 * password ("!" never verifies), the configured tenant and role, allowed on
 * the client the code was sent for. A concurrent twin finds it existing. */
static enum authsvc_status signup_create(struct authsvc_req *req, struct db *db, const char *key,
					 const char *client_id, struct user_contact *c)
{
	const char *clients[1] = {client_id};
	char first[51], uid[40];
	struct user_spec spec = {0};
	struct err err = {0};
	int rc;

	snprintf(first, sizeof(first), "%.*s", (int)strcspn(key, "@"), key);
	spec.username = key;
	spec.email = key;
	spec.first_name = first;
	spec.password_hash = "!";
	spec.tenant_key = req->cfg->account.signup_tenant;
	spec.role = req->cfg->account.signup_role;
	spec.client_ids = clients;
	spec.nclients = 1;
	if (provision_user_add(db, &spec, uid, sizeof(uid), &err) < 0 && err.code != 409) {
		log_warn(
		    "passwordless sign-up failed (check account.signup_tenant and signup_role) "
		    "req=%s",
		    req->id);
		return req_store_status(req, &err);
	}
	rc = store_user_contact(db, key, false, c, &err);
	if (rc < 0)
		return req_store_status(req, &err);
	if (rc == 0)
		return AUTHSVC_EXPIRED;
	log_info("passwordless sign-up req=%s user=%s", req->id, c->user_id);
	return AUTHSVC_OK;
}

/* passwordless (or a plugin's own space): a new transaction per send */
static enum authsvc_status send_new(struct authsvc_req *req, struct db *db, const char *space,
				    const char *key, uint32_t flags)
{
	const struct otp_conf *oc = &req->cfg->otp;
	struct user_contact c;
	struct err err = {0};
	char hash[65], code[16];
	enum authsvc_status st;
	bool known;
	int rc;

	if (req->client == NULL)
		return AUTHSVC_ERROR; /* a route without ROUTE_CLIENT_AUTH */
	rc = store_user_contact(db, key, false, &c, &err);
	if (rc < 0)
		return req_store_status(req, &err);
	if (rc == 0 && signup_allowed(req, flags, key)) { /* a first login: mail the key */
		snprintf(c.email, sizeof(c.email), "%s", key);
		snprintf(c.username, sizeof(c.username), "%s", key);
	}
	known =
	    (rc == 1 || signup_allowed(req, flags, key)) &&
	    notify_can_reach(req->app->notifier, &(struct notify_to){c.email, c.phone, c.username});
	/* an unknown key gets the same row, with a code nobody is sent */
	st = core_otp_make(req, space, key, code, hash);
	if (st != AUTHSVC_OK)
		return st;
	if (store_otp_put(db, space, key, rc == 1 && known ? c.user_id : NULL,
			  req->client->client_id, hash, NULL, oc->ttl_s, oc->ttl_s, &err) < 0) {
		OPENSSL_cleanse(code, sizeof(code));
		return req_store_status(req, &err);
	}
	if (!known) {
		OPENSSL_cleanse(code, sizeof(code));
		return AUTHSVC_OK;
	}
	return core_otp_deliver(req, space, &c, code);
}

/* mfa: a fresh code on the live transaction of a user (resend) */
static enum authsvc_status send_mfa(struct authsvc_req *req, struct db *db, const char *key)
{
	const struct otp_conf *oc = &req->cfg->otp;
	struct user_contact c;
	struct otp_row row;
	struct err err = {0};
	char hash[65], code[16];
	enum authsvc_status st;
	int rc;

	rc = store_user_contact(db, key, false, &c, &err);
	if (rc == 1)
		rc = store_otp_get(db, "mfa", c.user_id, &row, &err);
	if (rc < 0)
		return req_store_status(req, &err);
	if (rc == 0 || strcmp(req->cfg->mfa.method, "otp") != 0 ||
	    !notify_can_reach(req->app->notifier,
			      &(struct notify_to){c.email, c.phone, c.username}))
		return AUTHSVC_OK; /* nothing to resend; the same answer */
	st = core_otp_make(req, "mfa", c.user_id, code, hash);
	if (st != AUTHSVC_OK)
		return st;
	if (store_otp_renew(db, "mfa", c.user_id, hash, oc->ttl_s, &err) < 0) {
		OPENSSL_cleanse(code, sizeof(code));
		return req_store_status(req, &err);
	}
	return core_otp_deliver(req, "otp", &c, code);
}

/* After the reply: args space, lower-case key. */
static enum authsvc_status send_work(struct authsvc_req *req, const char *const args[AFTER_ARGS])
{
	if (strcmp(args[0], "mfa") == 0)
		return send_mfa(req, &req->worker->db, args[1]);
	return send_new(req, &req->worker->db, args[0], args[1],
			args[2] != NULL ? AUTHSVC_OTP_SIGNUP : 0);
}

enum authsvc_status core_otp_send(struct authsvc_req *req, const char *space, const char *key,
				  uint32_t flags)
{
	char lkey[160];
	enum authsvc_status st;

	if (req == NULL || req->worker == NULL || space == NULL || key == NULL ||
	    (flags & ~(uint32_t)AUTHSVC_OTP_SIGNUP) != 0)
		return AUTHSVC_ERROR;
	if (*key == '\0' || strlen(key) > 150 || strlen(space) > 31)
		return AUTHSVC_INVALID;
	if (req->client == NULL && strcmp(space, "mfa") != 0)
		return AUTHSVC_ERROR; /* a route without ROUTE_CLIENT_AUTH */
	lower_copy(key, lkey, sizeof(lkey));
	st = core_delivery_ready(req);
	if (st == AUTHSVC_OK)
		st = core_send_limit(req, strcmp(space, "mfa") == 0 ? "otp" : "pwl", lkey);
	if (st != AUTHSVC_OK)
		return st;
	/* the same answer for every key; the lookup, the code and the mail
	 * after it, so that its time does not tell whether the key exists */
	return core_after_reply(req, "otp-send", send_work, space, lkey,
				(flags & AUTHSVC_OTP_SIGNUP) ? "signup" : NULL);
}

enum authsvc_status core_otp_check(struct authsvc_req *req, const char *space, const char *key,
				   const char *otp, uint32_t flags,
				   struct authsvc_identity *who_out)
{
	struct throttle th;
	struct db *db;
	struct otp_row row;
	struct user_contact c;
	struct err err = {0};
	enum authsvc_status tst;
	char lkey[160], hash[65];
	int rc;

	if (req == NULL || req->worker == NULL || space == NULL || key == NULL || otp == NULL ||
	    who_out == NULL || (flags & ~(uint32_t)AUTHSVC_OTP_SIGNUP) != 0)
		return AUTHSVC_ERROR;
	if (strcmp(space, "mfa") == 0) /* the core's own: POST /auth/verify-otp */
		return AUTHSVC_INVALID;
	if (*key == '\0' || strlen(key) > 150 || strlen(otp) > 64)
		return AUTHSVC_DENIED;
	db = &req->worker->db;
	lower_copy(key, lkey, sizeof(lkey));
	/* counted before the code is checked (core/throttle.h) */
	tst = core_throttle_begin(req, db, lkey, &th);
	if (tst != AUTHSVC_OK)
		return tst;
	rc = store_otp_get(db, space, lkey, &row, &err);
	if (rc < 0)
		return req_store_status(req, &err);
	if (rc == 0 || !row.otp_live) {
		tst = core_throttle_end(req, db, &th, AUTHSVC_DENIED);
		return tst != AUTHSVC_OK ? tst : AUTHSVC_EXPIRED;
	}
	/* counted on the row before the check: otp.max_attempts checks in
	 * all, however many run at once on however many instances */
	rc = store_otp_attempt(db, space, lkey, req->cfg->otp.max_attempts, &err);
	if (rc < 0)
		return req_store_status(req, &err);
	if (rc == 0) { /* burned meanwhile */
		tst = core_throttle_end(req, db, &th, AUTHSVC_DENIED);
		return tst != AUTHSVC_OK ? tst : AUTHSVC_EXPIRED;
	}
	otp_code_hash(space, lkey, otp, hash);
	if (!tokens_equal_ct(hash, row.otp_hash) ||
	    (row.user_id[0] == '\0' && !signup_allowed(req, flags, lkey))) {
		if (store_otp_burn_spent(db, space, lkey, req->cfg->otp.max_attempts, &err) < 0)
			return req_store_status(req, &err);
		return AUTHSVC_DENIED; /* counted when the throttle began */
	}
	/* settled before the code is used up: if the counters cannot be
	 * written (503), the code still works once they can */
	tst = core_throttle_end(req, db, &th, AUTHSVC_OK);
	if (tst != AUTHSVC_OK)
		return tst;
	rc = store_otp_take(db, space, lkey, hash, NULL, &err);
	if (rc < 0)
		return req_store_status(req, &err);
	if (rc == 0)
		return AUTHSVC_EXPIRED; /* a concurrent check used it first */
	if (row.user_id[0] == '\0') {
		enum authsvc_status st = signup_create(req, db, lkey, row.client_id, &c);

		if (st != AUTHSVC_OK)
			return st;
	} else {
		rc = store_user_contact(db, row.user_id, true, &c, &err);
		if (rc < 0)
			return req_store_status(req, &err);
		if (rc == 0)
			return AUTHSVC_EXPIRED;
	}
	identity_from(&c, who_out);
	req->otp_factor = true;
	return core_use_client(req, row.client_id);
}

/* ---- secrets ---- */

enum authsvc_status core_secret_get(struct authsvc_req *req, const char *user_id, const char *kind,
				    char *buf, size_t bufsz, int *confirmed)
{
	struct err err = {0};
	char *stored = NULL;
	bool conf = false;
	int rc;

	if (req == NULL || req->worker == NULL || user_id == NULL || kind == NULL ||
	    strcmp(kind, "totp") != 0 || buf == NULL || bufsz == 0)
		return AUTHSVC_ERROR;
	rc = store_totp_get(&req->worker->db, user_id, &stored, &conf, &err);
	if (rc < 0)
		return req_store_status(req, &err);
	if (rc == 0)
		return AUTHSVC_NOT_FOUND;
	rc = secret_open(req->app->mfa_key, user_id, stored, buf, bufsz);
	OPENSSL_cleanse(stored, strlen(stored));
	free(stored);
	if (rc < 0) {
		log_error("a secret does not decrypt (wrong mfa.secret_key?) user=%s",
			  LOG_Q(user_id));
		return AUTHSVC_ERROR;
	}
	if (confirmed != NULL)
		*confirmed = conf ? 1 : 0;
	return AUTHSVC_OK;
}

enum authsvc_status core_secret_set(struct authsvc_req *req, const char *user_id, const char *kind,
				    const char *secret)
{
	struct err err = {0};
	char *stored;
	int rc;

	if (req == NULL || req->worker == NULL || user_id == NULL || kind == NULL ||
	    strcmp(kind, "totp") != 0 || secret == NULL || *secret == '\0')
		return AUTHSVC_ERROR;
	if (!req->app->mfa_key_set) {
		log_error("a secret cannot be stored: mfa.secret_key is not set");
		return AUTHSVC_ERROR;
	}
	stored = secret_seal(req->app->mfa_key, user_id, secret);
	if (stored == NULL)
		return AUTHSVC_ERROR;
	rc = store_totp_set(&req->worker->db, user_id, stored, &err);
	free(stored);
	if (rc < 0)
		return req_store_status(req, &err);
	return rc == 1 ? AUTHSVC_OK : rc == 2 ? AUTHSVC_DENIED : AUTHSVC_NOT_FOUND;
}

enum authsvc_status core_secret_use_step(struct authsvc_req *req, const char *user_id,
					 const char *kind, int64_t step)
{
	struct err err = {0};
	int rc;

	if (req == NULL || req->worker == NULL || user_id == NULL || kind == NULL ||
	    strcmp(kind, "totp") != 0 || step <= 0)
		return AUTHSVC_ERROR;
	rc = store_totp_use_step(&req->worker->db, user_id, (long long)step, &err);
	if (rc < 0)
		return req_store_status(req, &err);
	return rc == 1 ? AUTHSVC_OK : AUTHSVC_DENIED;
}
