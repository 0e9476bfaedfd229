/* SPDX-License-Identifier: Apache-2.0 */
#include "core/issue.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <openssl/crypto.h>

#include "core/app.h"
#include "http/forwarded.h"
#include "store/activity.h"
#include "store/sessions.h"
#include "tokens/jwt_codec.h"
#include "tokens/opaque.h"

void core_token_hash(const char *token, char out[65])
{
	tokens_sha256_hex(token, strlen(token), out);
}

const char *core_client_ip(struct authsvc_req *req, char *buf, size_t bufsz)
{
	const struct config *cfg = req->cfg;
	const char *name = cfg->forwarded_rfc7239 ? "Forwarded" : "X-Forwarded-For";
	const char *values[FORWARDED_MAX_HOPS];
	size_t n = 0;
	struct netaddr client;

	if (cfg->trusted_proxy_ranges.n > 0) {
		for (size_t i = 0; i < req->nheaders && n < FORWARDED_MAX_HOPS; i++)
			if (strcasecmp(req->headers[i].key, name) == 0)
				values[n++] = req->headers[i].val;
		if (forwarded_client(req->peer, values, n,
				     cfg->forwarded_rfc7239 ? FORWARDED_RFC7239 : FORWARDED_XFF,
				     &cfg->trusted_proxy_ranges, &client) &&
		    netaddr_format(&client, buf, bufsz))
			return buf;
	}
	snprintf(buf, bufsz, "%s", req->peer);
	return buf;
}

int core_record_activity(struct authsvc_req *req, struct db *db, const char *login_type,
			 const char *user_id, const char *user_tenant_id, const char *tenant_id,
			 const json_t *payload, struct err *err)
{
	const struct app *app = req->app;
	char ip[64];
	struct activity a = {
	    .actor = strcmp(req->cfg->activity_actor, "user_tenant_id") == 0 && user_tenant_id &&
			     *user_tenant_id
			 ? user_tenant_id
			 : user_id,
	    .tenant_id = tenant_id && *tenant_id ? tenant_id : "0",
	    .login_type = login_type,
	    .payload = payload,
	    .device_info = req_header(req, "User-Agent"),
	    .ip_address = core_client_ip(req, ip, sizeof(ip)),
	};

	if (!req->cfg->activity_enabled)
		return 0;
	return store_activity_insert(db, &a, app->activity_key_set ? app->activity_key : NULL, err);
}

int core_issue_tokens(struct authsvc_req *req, struct db *db, const struct client *c,
		      const struct user_ctx *u, const char *login_type, const char *family_id,
		      json_t **response_out, struct err *err)
{
	struct app *app = req->app;
	long long now = (long long)time(NULL), exp = now + c->access_ttl;
	char jti[33], refresh[65], refresh_hash[65], access_hash[65];
	json_t *claims = json_deep_copy(u->claims);
	char *access = NULL;
	int rc = -1;

	if (claims == NULL || tokens_random_hex(jti, 16) < 0 ||
	    tokens_random_hex(refresh, 32) < 0) {
		err_set(err, 500, "cannot build token");
		goto out;
	}
	json_object_set_new(claims, "iss", json_string(app->cfg->issuer));
	json_object_set_new(claims, "sub", json_string(u->user_id));
	json_object_set_new(claims, "iat", json_integer(now));
	json_object_set_new(claims, "exp", json_integer(exp));
	json_object_set_new(claims, "jti", json_string(jti));
	json_object_set_new(claims, "clientId", json_string(c->client_id));
	json_object_set_new(claims, "purpose", json_string("access"));
	{
		struct keyset *ks = keys_live_get(&app->keys);

		access = ks != NULL ? tokens_jwt_sign(&ks->ring, claims, err) : NULL;
		if (ks == NULL)
			err_set(err, 500, "no signing key");
		keyset_put(ks);
	}
	if (access == NULL)
		goto out;
	core_token_hash(access, access_hash);
	core_token_hash(refresh, refresh_hash);
	{
		struct refresh_new rn = {
		    .token_hash = refresh_hash,
		    .family_id = family_id,
		    .client_id = c->client_id,
		    .user_id = u->user_id,
		    .tenant_id = u->tenant_id,
		    .access_jti = jti,
		    .access_hash = access_hash,
		    .access_exp = exp,
		    .ttl_s = c->refresh_ttl,
		};

		if (store_refresh_insert(db, &rn, err) < 0)
			goto out;
	}
	/* lastLogin moves on a new login (code exchange, login-token), not on refresh */
	if ((strcmp(login_type, "ACCESS") == 0 && store_user_touch_login(db, u, err) < 0) ||
	    core_record_activity(req, db, login_type, u->user_id, u->user_tenant_id, u->tenant_id,
				 claims, err) < 0)
		goto out;
	/* expires: upstream's name for expiresAt, kept for unchanged upstream clients */
	*response_out = json_pack("{s:s, s:s, s:i, s:I, s:I}", "accessToken", access,
				  "refreshToken", refresh, "expiresIn", c->access_ttl, "expiresAt",
				  (json_int_t)exp * 1000, "expires", (json_int_t)exp * 1000);
	rc = *response_out != NULL ? 0 : err_set(err, 500, "out of memory");
out:
	if (access != NULL) {
		OPENSSL_cleanse(access, strlen(access));
		free(access);
	}
	OPENSSL_cleanse(refresh, sizeof(refresh));
	json_decref(claims);
	return rc;
}
