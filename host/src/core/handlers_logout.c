/* LogoutController: POST /logout, GET /logout/redirect. */
#include "core/handlers.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/app.h"
#include "core/issue.h"
#include "core/session.h"
#include "http/body.h"
#include "http/workers.h"
#include "store/clients.h"
#include "store/sessions.h"
#include "tokens/opaque.h"

enum authsvc_status h_logout(void *state, void *tstate, struct authsvc_req *req)
{
	struct app *app = req->app;
	struct db *db = &req->worker->db;
	const char *jti = json_string_value(json_object_get(req->bearer, "jti"));
	json_int_t exp = json_integer_value(json_object_get(req->bearer, "exp"));
	struct refresh_row row;
	struct err err = {0};
	json_t *payload;
	int rc;

	(void)state;
	(void)tstate;
	if (jti == NULL)
		return req_fail(req, 401, "Token Invalid");
	if (session_open(req, db, req_body_str(req, "refreshToken"), req->bearer_token, 0, &row) <
	    0)
		return AUTHSVC_OK;
	payload = json_pack("{s:s, s:s, s:O*}", "id", row.user_id, "clientId", row.client_id,
			    "username", json_object_get(req->bearer, "username"));
	rc = store_refresh_revoke(db, row.family_id, NULL, &app->revoked, &err) < 0 ||
	     store_revoke_jti(db, jti, (int64_t)exp, &err) < 0 ||
	     core_record_activity(req, db, "LOGOUT", row.user_id,
				  json_string_value(json_object_get(req->bearer, "userTenantId")),
				  row.tenant_id, payload, &err) < 0 ||
	     db_commit(db, &err) < 0;
	json_decref(payload);
	if (rc) {
		db_rollback(db);
		return req_fail_store(req, &err);
	}
	revocations_add(&app->revoked, jti, (int64_t)exp);
	req_reply_json(req, 200, json_pack("{s:b}", "success", 1));
	return AUTHSVC_OK;
}

struct state_parse {
	const char *client_id;
	struct authsvc_req *req;
	json_t *rest; /* other parameters, passed on */
};

static int state_pair(void *arg, char *key, char *val)
{
	struct state_parse *sp = arg;

	if (strcmp(key, "client_id") == 0)
		sp->client_id = req_strdup(sp->req, val);
	else
		json_object_set_new(sp->rest, key, json_string(val));
	free(key);
	free(val);
	return 0;
}

static char *url_encode(const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	char *out = malloc(strlen(s) * 3 + 1), *o = out;

	if (out == NULL)
		return NULL;
	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		    c == '-' || c == '_' || c == '.' || c == '~') {
			*o++ = (char)c;
		} else {
			*o++ = '%';
			*o++ = hex[c >> 4];
			*o++ = hex[c & 15];
		}
	}
	*o = '\0';
	return out;
}

/* Append the state's other parameters to url as a query; arena string. */
static const char *redirect_with(struct authsvc_req *req, const char *url, json_t *rest)
{
	size_t cap = strlen(url) + 2;
	const char *k;
	json_t *v;
	char *out, sep = strchr(url, '?') ? '&' : '?';

	json_object_foreach(rest, k, v) cap += strlen(k) * 3 + strlen(json_string_value(v)) * 3 + 2;
	out = arena_alloc(&req->arena, cap);
	if (out == NULL)
		return NULL;
	snprintf(out, cap, "%s", url);
	json_object_foreach(rest, k, v)
	{
		char *ek = url_encode(k), *ev = url_encode(json_string_value(v));
		size_t len = strlen(out);

		if (ek != NULL && ev != NULL)
			snprintf(out + len, cap - len, "%c%s=%s", sep, ek, ev);
		sep = '&';
		free(ek);
		free(ev);
	}
	return out;
}

/* GET /logout/redirect: 302 to the client's registered logout URL, never to
 * a URL taken from the request (BEHAVIOUR §5.9.2). */
enum authsvc_status h_logout_redirect(void *state, void *tstate, struct authsvc_req *req)
{
	const char *st = req_query(req, "state");
	struct state_parse sp = {.req = req, .rest = json_object()};
	struct client c;
	struct err err = {0};
	const char *url;
	int rc;

	(void)state;
	(void)tstate;
	if (st != NULL && sp.rest != NULL)
		http_form_each(st, strlen(st), state_pair, &sp);
	if (sp.client_id == NULL) {
		json_decref(sp.rest);
		req_reply_json(req, 200, json_pack("{s:b}", "success", 1));
		return AUTHSVC_OK;
	}
	rc = store_client_find(&req->worker->db, sp.client_id, &c, &err);
	if (rc < 0) {
		json_decref(sp.rest);
		return req_fail_store(req, &err);
	}
	if (rc == 0 || c.logout_redirect_url[0] == '\0') {
		json_decref(sp.rest);
		req_reply_json(req, 200, json_pack("{s:b}", "success", 1));
		return AUTHSVC_OK;
	}
	url = redirect_with(req, c.logout_redirect_url, sp.rest);
	json_decref(sp.rest);
	if (url == NULL)
		return AUTHSVC_ERROR;
	req_reply_redirect(req, 302, url);
	return AUTHSVC_OK;
}
