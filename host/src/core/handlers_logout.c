/* SPDX-License-Identifier: Apache-2.0 */
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
#include "util/sbuf.h"

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

/* Append s percent-encoded (RFC 3986: all but unreserved characters). */
static void add_encoded(struct sbuf *sb, const char *s)
{
	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		    c == '-' || c == '_' || c == '.' || c == '~')
			sbuf_addch(sb, (char)c);
		else
			sbuf_addf(sb, "%%%02X", c);
	}
}

/*
 * Append the state's other parameters to url as a query; arena string, or
 * NULL when out of memory. The cap cannot be reached by any state: each
 * pair comes back as "&" key "=" value with every byte at most tripled,
 * within 3 * state_len + 2 bytes of the state it was parsed from.
 */
static const char *redirect_with(struct authsvc_req *req, const char *url, json_t *rest,
				 size_t state_len)
{
	struct sbuf sb = SBUF_INIT(strlen(url) + 3 * state_len + 2);
	const char *k;
	json_t *v;
	char *out, sep = strchr(url, '?') ? '&' : '?';

	sbuf_addstr(&sb, url);
	json_object_foreach(rest, k, v)
	{
		sbuf_addch(&sb, sep);
		add_encoded(&sb, k);
		sbuf_addch(&sb, '=');
		add_encoded(&sb, json_string_value(v));
		sep = '&';
	}
	out = sbuf_detach(&sb, NULL);
	if (out != NULL && arena_add_cleanup(&req->arena, free, out) < 0) {
		free(out);
		out = NULL;
	}
	return out;
}

/* GET /logout/redirect: 302 to the client's registered logout URL, never to
 * a URL taken from the request (docs/api.md "Endpoints served now"). */
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
	url = redirect_with(req, c.logout_redirect_url, sp.rest, strlen(st));
	json_decref(sp.rest);
	if (url == NULL)
		return AUTHSVC_ERROR;
	req_reply_redirect(req, 302, url);
	return AUTHSVC_OK;
}
