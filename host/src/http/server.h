/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The HTTP host: one libevent loop thread that accepts, reads with limits,
 * parses, routes and replies, and a worker pool for blocking handlers.
 *
 * A request is copied into a struct authsvc_req on the loop thread (so
 * workers never touch evhttp), then either handled on the loop (routes
 * flagged ROUTE_ON_LOOP: cheap, CPU-only) or queued for a worker. A full
 * queue answers 503 with Retry-After. Workers hand finished requests back
 * through a mutex-protected list and event_active(); the loop sends each
 * reply exactly once.
 *
 * SIGTERM/SIGINT: stop accepting, finish in-flight requests (up to
 * drain_timeout), then return 0 from server_run.
 *
 * SIGHUP: calls.reload builds a new configuration snapshot
 * (config/reload.h); the server makes it current and every loop adopts it
 * on its own thread. Each request keeps the snapshot it arrived under
 * (req->cfg) until it is freed, so none is dropped or sees a mix.
 */
#ifndef AUTHSVC_HTTP_SERVER_H
#define AUTHSVC_HTTP_SERVER_H

#include <stdbool.h>

#include "http/workers.h"
#include "util/err.h"

struct app;
struct config;
struct router;
struct server;
struct authsvc_req;

/*
 * What the layers above http/ do with a request, handed in by the app so
 * that http/ calls nothing above itself: front runs on the loop thread
 * before a request is queued (body validation, bearer; false when it
 * already has its error reply), run runs the route (on a worker, or with
 * w NULL on the loop for ROUTE_ON_LOOP routes) and leaves exactly one
 * reply. workers: the worker pool's thread callbacks (workers.h).
 */
struct server_calls {
	bool (*front)(struct authsvc_req *req);
	void (*run)(struct authsvc_req *req, struct worker *w);
	struct worker_calls workers;
	/* SIGHUP: the configuration to run new requests under from now on, or
	 * NULL to keep the running one (the callee logs why). May be NULL: the
	 * signal is then ignored. Runs on loop 0's thread. */
	struct config_snap *(*reload)(struct app *app);
};

/* cfg and router are borrowed for the server's life; app is opaque here,
 * handed to every request (req->app); calls is copied. */
struct server *server_new(const struct config *cfg, const struct router *router, struct app *app,
			  const struct server_calls *calls, struct err *err);
int server_run(struct server *srv);
void server_free(struct server *srv);

#endif
