/* SPDX-License-Identifier: Apache-2.0 */
#include "core/bearer.h"

#include <string.h>
#include <strings.h>
#include <time.h>

#include "core/app.h"
#include "tokens/jwt_codec.h"

const char *bearer_from_header(const char *h)
{
	if (h == NULL || strncasecmp(h, "bearer ", 7) != 0)
		return NULL;
	h += 7;
	while (*h == ' ')
		h++;
	return *h != '\0' ? h : NULL;
}

bool bearer_authenticate(struct authsvc_req *req)
{
	struct app *app = req->app;
	const char *token = bearer_from_header(req_header(req, "Authorization"));
	long long now = (long long)time(NULL);
	json_t *claims = NULL;
	const char *jti, *pet;

	if (token == NULL) {
		req_fail(req, 401, "Authorization header is missing");
		return false;
	}
	struct keyset *ks = keys_live_get(&app->keys);
	int vrc = ks != NULL ? tokens_jwt_verify(&ks->ring, token, app->cfg->issuer, "access", now,
						 0, &claims)
			     : TOKEN_INVALID;

	keyset_put(ks);
	if (vrc != TOKEN_OK) {
		req_fail(req, 401, "TokenExpired");
		return false;
	}
	jti = json_string_value(json_object_get(claims, "jti"));
	if (jti == NULL || revocations_contains(&app->revoked, jti, now)) {
		json_decref(claims);
		req_fail(req, 401, "TokenRevoked");
		return false;
	}
	pet = json_string_value(json_object_get(claims, "passwordExpiryTime"));
	if (pet != NULL) {
		struct tm tm = {0};
		const char *end = strptime(pet, "%Y-%m-%dT%H:%M:%S", &tm);

		if (end == NULL || (long long)timegm(&tm) <= now) {
			json_decref(claims);
			req_fail(req, 401, "PasswordExpiryError");
			return false;
		}
	}
	req->bearer = claims;
	req->bearer_token = arena_strdup(&req->arena, token);
	return true;
}
