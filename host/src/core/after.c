/* SPDX-License-Identifier: Apache-2.0 */
#include "core/after.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "config/reload.h"
#include "core/app.h"
#include "http/workers.h"
#include "log/log.h"
#include "store/clients.h"

struct after {
	core_after_fn fn;
	const char *what;
	struct client client;
	bool has_client;
	char id[sizeof(((struct authsvc_req *)0)->id)];
	char peer[sizeof(((struct authsvc_req *)0)->peer)];
	char *args[AFTER_ARGS];
	struct config_snap *snap; /* the request's configuration, for the work too */
};

static void after_free(struct after *a)
{
	for (int i = 0; i < AFTER_ARGS; i++)
		if (a->args[i] != NULL) {
			OPENSSL_cleanse(a->args[i], strlen(a->args[i]));
			free(a->args[i]);
		}
	config_snap_unref(a->snap);
	OPENSSL_cleanse(a, sizeof(*a));
	free(a);
}

static void after_run(struct worker *w, void *data)
{
	struct after *a = data;
	struct authsvc_req r;
	enum authsvc_status st;

	if (w == NULL) {
		log_warn("%s: not done, the server is stopping req=%s", a->what, a->id);
		after_free(a);
		return;
	}
	req_init(&r, w->pool->app);
	r.snap = a->snap; /* req_release drops it */
	a->snap = NULL;
	r.cfg = r.snap != NULL ? config_snap_cfg(r.snap) : w->pool->app->cfg;
	r.worker = w;
	r.client = a->has_client ? &a->client : NULL;
	snprintf(r.id, sizeof(r.id), "%s", a->id);
	snprintf(r.peer, sizeof(r.peer), "%s", a->peer);
	st = a->fn(&r, (const char *const *)a->args);
	if (st != AUTHSVC_OK || (r.replied && r.status >= 400))
		log_warn("%s: failed after the reply req=%s result=%d http_status=%d", a->what,
			 r.id, (int)st, r.replied ? r.status : 0);
	req_release(&r);
	after_free(a);
}

enum authsvc_status core_after_reply(struct authsvc_req *req, const char *what, core_after_fn fn,
				     const char *a0, const char *a1, const char *a2)
{
	const char *in[AFTER_ARGS] = {a0, a1, a2};
	struct after *a = calloc(1, sizeof(*a));
	bool ok = a != NULL;

	for (int i = 0; ok && i < AFTER_ARGS; i++)
		if (in[i] != NULL)
			ok = (a->args[i] = strdup(in[i])) != NULL;
	if (!ok) {
		if (a != NULL)
			after_free(a);
		return fn(req, in);
	}
	a->fn = fn;
	a->what = what;
	a->snap = config_snap_ref(req->snap);
	if (req->client != NULL) {
		a->client = *req->client;
		a->has_client = true;
	}
	snprintf(a->id, sizeof(a->id), "%s", req->id);
	snprintf(a->peer, sizeof(a->peer), "%s", req->peer);
	worker_after_reply(req->worker, after_run, a);
	return AUTHSVC_OK;
}
