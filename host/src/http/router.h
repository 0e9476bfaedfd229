/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The route table: method + path → handler, for core routes and plugin
 * routes alike. Paths are exact, except that a segment written {name}
 * matches any one non-empty segment and is handed to the handler in
 * req->params[] (at most two per path). Built on the main thread before
 * the server starts, read-only afterwards.
 */
#ifndef AUTHSVC_HTTP_ROUTER_H
#define AUTHSVC_HTTP_ROUTER_H

#include <stddef.h>
#include <stdint.h>

#include "authsvc/plugin.h"
#include "http/request.h"

struct plugin;

/* Host-only flags, above the SDK's enum authsvc_route_flags. */
enum route_host_flags {
	ROUTE_ON_LOOP = 1u << 16,  /* cheap and non-blocking: runs on the loop thread */
	ROUTE_BEARER = 1u << 17,   /* a valid access token is required before the handler */
	ROUTE_ANY_TIME = 1u << 18, /* answered while start-up work still runs (GET /health) */
};

struct route {
	enum req_method method;
	const char *path;
	authsvc_handler_fn fn;
	void *state;
	struct plugin *plugin; /* NULL for core routes */
	uint32_t flags;
	const struct authsvc_field *fields;
	const char *permission; /* required permission key, or NULL */
};

struct router {
	struct route *routes;
	size_t n, cap;
};

enum req_method http_method_parse(const char *m);
const char *http_method_name(enum req_method m);

/* Add a route (copied). -1 with a message when method+path already exists. */
int router_add(struct router *r, const struct route *route, char *msg, size_t msgsz);
/* Match; fills params (pointers into path copies made in req's arena). */
const struct route *router_match(const struct router *r, struct authsvc_req *req);
/* 1 when some route has this path with another method. */
int router_path_known(const struct router *r, const char *path);
void router_release(struct router *r);

#endif
