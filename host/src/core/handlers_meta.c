/* SPDX-License-Identifier: Apache-2.0 */
/* Operational routes: /health, /ready, /.well-known/jwks.json, /openapi.json. */
#include "core/handlers.h"

#include "core/app.h"
#include "http/workers.h"

enum authsvc_status h_health(void *state, void *tstate, struct authsvc_req *req)
{
	(void)state;
	(void)tstate;
	req_reply_json(req, 200, json_pack("{s:s}", "status", "ok"));
	return AUTHSVC_OK;
}

enum authsvc_status h_ready(void *state, void *tstate, struct authsvc_req *req)
{
	struct err err = {0};
	PGresult *res = db_exec(&req->worker->db, "SELECT 1", 0, NULL, &err);

	(void)state;
	(void)tstate;
	if (res == NULL) {
		req->retry_after = 1;
		return req_fail(req, 503, "Database unavailable");
	}
	PQclear(res);
	req_reply_json(req, 200, json_pack("{s:s}", "status", "ready"));
	return AUTHSVC_OK;
}

enum authsvc_status h_jwks(void *state, void *tstate, struct authsvc_req *req)
{
	struct keyset *ks = keys_live_get(&req->app->keys);
	json_t *doc;

	(void)state;
	(void)tstate;
	if (ks == NULL)
		return req_fail(req, 503, "no signing keys loaded");
	/* a copy the request owns: the set's own document is freed by whichever
	 * thread drops the set last (the key listener, after a rotation), and a
	 * json_t's reference count is not for sharing across threads */
	doc = json_deep_copy(ks->jwks);
	keyset_put(ks);
	if (doc == NULL)
		return req_fail(req, 500, "out of memory");
	req_reply_json(req, 200, doc);
	return AUTHSVC_OK;
}

enum authsvc_status h_openapi(void *state, void *tstate, struct authsvc_req *req)
{
	(void)state;
	(void)tstate;
	req_reply_json(req, 200, json_incref(req->app->openapi));
	return AUTHSVC_OK;
}
