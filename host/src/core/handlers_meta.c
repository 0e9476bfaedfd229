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

	(void)state;
	(void)tstate;
	if (ks == NULL)
		return req_fail(req, 503, "no signing keys loaded");
	req_reply_json(req, 200, json_incref(ks->jwks));
	keyset_put(ks);
	return AUTHSVC_OK;
}

enum authsvc_status h_openapi(void *state, void *tstate, struct authsvc_req *req)
{
	(void)state;
	(void)tstate;
	req_reply_json(req, 200, json_incref(req->app->openapi));
	return AUTHSVC_OK;
}
