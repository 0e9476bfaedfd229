/* SPDX-License-Identifier: Apache-2.0 */
#include "core/throttle.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>

#include "core/app.h"
#include "core/issue.h"
#include "log/log.h"
#include "store/devices.h"
#include "store/failures.h"
#include "tokens/opaque.h"
#include "util/metrics.h"

#define DEVICE_COOKIE	 "authsvc_device"
#define DEVICE_TOKEN_HEX 64 /* 32 random bytes */
#define DEVICES_KEPT	 20 /* per user: older tokens are dropped */

/* The presented device token: X-Device-Token, else the cookie. Only the
 * token's own shape is accepted; anything else counts as none. */
static bool device_token(const struct authsvc_req *req, char out[DEVICE_TOKEN_HEX + 1])
{
	const char *v = req_header(req, "X-Device-Token");
	size_t n = 0;

	if (v == NULL) {
		const char *c = req_header(req, "Cookie");
		const char *p = c;

		v = NULL;
		while (p != NULL && (p = strstr(p, DEVICE_COOKIE "=")) != NULL) {
			if (p == c || p[-1] == ' ' || p[-1] == ';') {
				v = p + strlen(DEVICE_COOKIE "=");
				break;
			}
			p++;
		}
	}
	if (v == NULL)
		return false;
	while (n < DEVICE_TOKEN_HEX && isxdigit((unsigned char)v[n]))
		n++;
	if (n != DEVICE_TOKEN_HEX || (v[n] != '\0' && v[n] != ';' && v[n] != ' '))
		return false;
	memcpy(out, v, n);
	out[n] = '\0';
	for (size_t i = 0; i < n; i++)
		out[i] = (char)tolower((unsigned char)out[i]);
	return true;
}

static void lower_into(char *out, size_t outsz, const char *s)
{
	size_t i = 0;

	for (; s[i] != '\0' && i + 1 < outsz; i++)
		out[i] = (char)tolower((unsigned char)s[i]);
	out[i] = '\0';
}

static enum authsvc_status give_back(struct authsvc_req *req, struct db *db, struct throttle *th,
				     bool clear_pair)
{
	const struct bruteforce_policy *bp = &req->cfg->bruteforce;
	struct err err = {0};

	if (th->took_pair &&
	    (clear_pair ? store_failures_forget(db, "pair", th->pair, &err)
			: store_failures_give_back(db, "pair", th->pair, &err)) < 0)
		return req_store_status(req, &err);
	if (th->took_ip && store_failures_give_back(db, "ip", th->ip, &err) < 0)
		return req_store_status(req, &err);
	if (th->took_rate && store_failures_rate_give_back(db, th->account, bp->account_rate,
							   bp->window_s, &err) < 0)
		return req_store_status(req, &err);
	th->took_pair = th->took_ip = th->took_rate = false;
	return AUTHSVC_OK;
}

/* A refused attempt: what the other counters took for it goes back. */
static enum authsvc_status refuse(struct authsvc_req *req, struct db *db, struct throttle *th,
				  int wait)
{
	enum authsvc_status st = give_back(req, db, th, false);

	if (st != AUTHSVC_OK)
		return st;
	req->retry_after = wait;
	return AUTHSVC_THROTTLED;
}

enum authsvc_status core_throttle_begin(struct authsvc_req *req, struct db *db, const char *account,
					struct throttle *th)
{
	const struct bruteforce_policy *bp = &req->cfg->bruteforce;
	struct err err = {0};
	char token[DEVICE_TOKEN_HEX + 1], hash[65] = "";
	int rc;

	memset(th, 0, sizeof(*th));
	req->device_known = false;
	if (!bp->enabled)
		return AUTHSVC_OK;
	th->on = true;
	lower_into(th->account, sizeof(th->account), account != NULL ? account : "");
	core_client_ip(req, th->ip, sizeof(th->ip));
	if (bp->device_ttl_s > 0 && th->account[0] != '\0' && device_token(req, token)) {
		core_token_hash(token, hash);
		OPENSSL_cleanse(token, sizeof(token));
		rc = store_device_valid(db, hash, th->account, &err);
		if (rc < 0)
			return req_store_status(req, &err);
		req->device_known = rc == 1;
		if (req->device_known)
			snprintf(th->device_hash, sizeof(th->device_hash), "%s", hash);
	}
	/* a device is its own pair wherever it comes from; the first 32 hex
	 * of the hash name it without being the token */
	if (req->device_known)
		snprintf(th->pair, sizeof(th->pair), "%s device:%.32s", th->account, hash);
	else
		snprintf(th->pair, sizeof(th->pair), "%s %s", th->account, th->ip);
	if (th->account[0] != '\0') {
		rc = store_failures_take(db, "pair", th->pair, bp->account_max_failures,
					 bp->window_s, bp->lockout_s, &err);
		if (rc < 0)
			return req_store_status(req, &err);
		th->took_pair = true;
		if (rc > 0) {
			metrics_lockout(METRICS_LOCKOUT_PAIR);
			return refuse(req, db, th, rc);
		}
	}
	if (th->ip[0] != '\0') {
		rc = store_failures_take(db, "ip", th->ip, bp->ip_max_failures, bp->window_s,
					 bp->lockout_s, &err);
		if (rc < 0)
			return req_store_status(req, &err);
		th->took_ip = true;
		if (rc > 0) {
			metrics_lockout(METRICS_LOCKOUT_IP);
			return refuse(req, db, th, rc);
		}
	}
	if (th->account[0] != '\0' && !req->device_known) {
		rc =
		    store_failures_rate_take(db, th->account, bp->account_rate, bp->window_s, &err);
		if (rc < 0)
			return req_store_status(req, &err);
		if (rc > 0) {
			metrics_lockout(METRICS_LOCKOUT_ACCOUNT);
			return refuse(req, db, th, rc);
		}
		th->took_rate = true;
	}
	return AUTHSVC_OK;
}

enum authsvc_status core_throttle_end(struct authsvc_req *req, struct db *db, struct throttle *th,
				      enum authsvc_status verdict)
{
	struct err err = {0};
	int rc;

	if (!th->on)
		return AUTHSVC_OK;
	if (verdict == AUTHSVC_DENIED || verdict == AUTHSVC_NOT_FOUND) {
		th->took_pair = th->took_ip = th->took_rate = false;
		return AUTHSVC_OK; /* counted when it began */
	}
	if (verdict == AUTHSVC_OK && req->device_known) {
		/* a password rehashed by this very check moved
		 * password_changed_on: the device then gets a new token */
		rc = store_device_valid(db, th->device_hash, th->account, &err);
		if (rc < 0)
			return req_store_status(req, &err);
		req->device_known = rc == 1;
	}
	return give_back(req, db, th, verdict == AUTHSVC_OK);
}

void core_device_issue(struct authsvc_req *req, struct db *db, const char *user_id)
{
	const struct bruteforce_policy *bp = &req->cfg->bruteforce;
	struct err err = {0};
	char token[DEVICE_TOKEN_HEX + 1], hash[65], cookie[DEVICE_TOKEN_HEX + 128];

	if (!bp->enabled || bp->device_ttl_s <= 0 || req->device_known)
		return;
	if (tokens_random_hex(token, DEVICE_TOKEN_HEX / 2) < 0) {
		log_warn("device token not issued req=%s reason=random", req->id);
		return;
	}
	core_token_hash(token, hash);
	if (store_device_add(db, user_id, hash, bp->device_ttl_s, DEVICES_KEPT, &err) < 0) {
		log_warn("device token not issued req=%s reason=%s", req->id, LOG_Q(err.msg));
		OPENSSL_cleanse(token, sizeof(token));
		return;
	}
	snprintf(cookie, sizeof(cookie),
		 DEVICE_COOKIE "=%s; Max-Age=%d; Path=/auth; HttpOnly; Secure; SameSite=Strict",
		 token, bp->device_ttl_s);
	if (req_add_header(req, "X-Device-Token", token) < 0 ||
	    req_add_header(req, "Set-Cookie", cookie) < 0)
		log_warn("device token not sent req=%s reason=headers", req->id);
	OPENSSL_cleanse(token, sizeof(token));
	OPENSSL_cleanse(cookie, sizeof(cookie));
	req->device_known = true;
}
