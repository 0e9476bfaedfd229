/* SPDX-License-Identifier: Apache-2.0 */
#include "core/pipeline.h"

#include <string.h>

#include "core/app.h"
#include "core/bearer.h"
#include "core/handlers.h"
#include "http/router.h"
#include "http/validate.h"
#include "http/workers.h"
#include "log/log.h"
#include "plugins/loader.h"
#include "core/issue.h"
#include "store/clients.h"
#include "store/failures.h"
#include "util/metrics.h"

static bool content_type_is_form(const struct authsvc_req *req)
{
	const char *ct = req_header(req, "Content-Type");

	return ct != NULL && strncasecmp(ct, "application/x-www-form-urlencoded", 33) == 0;
}

static bool has_permission(const json_t *claims, const char *perm)
{
	const json_t *perms = json_object_get(claims, "permissions");
	size_t i;
	json_t *v;

	json_array_foreach(perms, i, v)
	{
		if (json_is_string(v) && strcmp(json_string_value(v), perm) == 0)
			return true;
	}
	return false;
}

bool pipeline_front(struct authsvc_req *req)
{
	const struct route *rt = req->route;

	if (!(rt->flags & ROUTE_ANY_TIME) && !app_is_ready(req->app)) {
		/* migrations or the first signing key still on their way (app/app.c) */
		req->retry_after = 1;
		req_fail(req, 503, "Service is starting, retry later");
		return false;
	}
	if ((rt->flags & AUTHSVC_ROUTE_FORM_ONLY) && req->body != NULL &&
	    !content_type_is_form(req)) {
		req_fail(req, 415, "Content-Type must be application/x-www-form-urlencoded");
		return false;
	}
	if (rt->fields != NULL &&
	    !http_body_validate(req, rt->fields, (rt->flags & AUTHSVC_ROUTE_OPEN_BODY) != 0))
		return false;
	if ((rt->flags & ROUTE_BEARER) && !bearer_authenticate(req))
		return false;
	if (rt->permission != NULL && !has_permission(req->bearer, rt->permission)) {
		req_fail(req, 403, "NotAllowedAccess");
		return false;
	}
	return true;
}

/* docs/api.md "Requests and errors": client_id/client_secret from the body, or the query when
 * the body is empty. */
/* clients.secret_key, or NULL when none is configured. */
static const unsigned char *client_key(const struct app *app)
{
	return app->client_key_set ? app->client_key : NULL;
}

static bool client_authenticate(struct authsvc_req *req, struct worker *w)
{
	const char *id = req_body_str(req, "client_id");
	const char *secret = req_body_str(req, "client_secret");
	const struct bruteforce_policy *bp = &req->cfg->bruteforce;
	struct client *c = arena_alloc(&req->arena, sizeof(*c));
	char ip[64] = "";
	struct err err = {0};
	enum client_secret_match match;
	int rc;

	if (req->body == NULL || json_object_size(req->body) == 0) {
		id = req_query(req, "client_id");
		secret = req_query(req, "client_secret");
	}
	if (id == NULL) {
		req_fail(req, 401, "Unauthorized");
		return false;
	}
	if (c == NULL || w == NULL) {
		req_fail(req, 500, "Internal Server Error");
		return false;
	}
	if (bp->enabled) {
		/* counted before the secret is checked, handed back when it is
		 * right (core/throttle.h) */
		core_client_ip(req, ip, sizeof(ip));
		rc = store_failures_take(&w->db, "ip", ip, bp->ip_max_failures, bp->window_s,
					 bp->lockout_s, &err);
		if (rc > 0 && store_failures_give_back(&w->db, "ip", ip, &err) < 0)
			rc = -1;
		if (rc != 0) {
			if (rc < 0) {
				req_fail_store(req, &err);
				return false;
			}
			metrics_lockout(METRICS_LOCKOUT_IP);
			req->retry_after = rc;
			req_fail_status(req, AUTHSVC_THROTTLED);
			return false;
		}
	}
	rc = store_client_find(&w->db, id, c, &err);
	if (rc < 0) {
		req_fail_store(req, &err);
		return false;
	}
	match =
	    rc == 0 ? CLIENT_SECRET_WRONG : client_secret_check(c, secret, client_key(req->app));
	if (match == CLIENT_SECRET_WRONG) {
		req_fail(req, 401, "Client Verification Failed"); /* it stays counted */
		return false;
	}
	/* a success whose attempt cannot be handed back fails closed too
	 * (see login.c) */
	if (bp->enabled && store_failures_give_back(&w->db, "ip", ip, &err) < 0) {
		req_fail_store(req, &err);
		return false;
	}
	/* an older stored form: rewrite it keyed (a failure leaves it for the
	 * next login; the secret matched either way) */
	if (match == CLIENT_SECRET_OK_OLD &&
	    store_client_secret_upgrade(&w->db, c, secret, client_key(req->app), &err) < 0)
		log_warn("client secret not rewritten req=%s client=%s detail=%s", req->id,
			 LOG_Q(c->client_id), LOG_Q(err.msg));
	req->client = c;
	return true;
}

void pipeline_run(struct authsvc_req *req, struct worker *w)
{
	const struct route *rt = req->route;
	struct plugin *pl = rt->plugin;
	enum authsvc_status st;

	req->worker = w;
	if ((rt->flags & AUTHSVC_ROUTE_CLIENT_AUTH) && !client_authenticate(req, w))
		goto out;
	if (pl != NULL) {
		req->tstate = w && w->tstates ? w->tstates[pl->index] : NULL;
		if (pl->desc->flags & AUTHSVC_PLUGIN_THREAD_UNSAFE)
			pthread_mutex_lock(&pl->serial);
		st = rt->fn(pl->state, req->tstate, req);
		if (pl->desc->flags & AUTHSVC_PLUGIN_THREAD_UNSAFE)
			pthread_mutex_unlock(&pl->serial);
	} else {
		st = rt->fn(rt->state, NULL, req);
	}
	if (st != AUTHSVC_OK)
		req_fail_status(req, st);
	else if (!req->replied) {
		log_error("handler returned OK without a reply req=%s plugin=%s path=%s", req->id,
			  pl ? pl->desc->name : "core", LOG_Q(req->path));
		req_fail(req, 500, "Internal Server Error");
	}
out:
	req->worker = NULL;
}
