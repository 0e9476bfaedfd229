/* SPDX-License-Identifier: Apache-2.0 */
/*
 * LoginActivityController (docs/api.md "Login activity"): GET /login-activity,
 * /login-activity/count, /login-activity/{id} and /active-users/{range}.
 *
 * Every route needs a bearer token carrying the ViewLoginActivity
 * permission (the pipeline answers 401/403 before the handler runs). The
 * handlers run on workers (they query PostgreSQL through req->worker->db)
 * and scope every query to the token's tenantId when it has one. Filters
 * are translated by activity/filter.h; their errors are answered 400.
 */
#ifndef AUTHSVC_ACTIVITY_HANDLERS_H
#define AUTHSVC_ACTIVITY_HANDLERS_H

#include <stddef.h>

#include "authsvc/plugin.h"
#include "http/request.h"

struct config;
struct router;

enum authsvc_status h_activity_find(void *state, void *tstate, struct authsvc_req *req);
enum authsvc_status h_activity_count(void *state, void *tstate, struct authsvc_req *req);
enum authsvc_status h_activity_find_by_id(void *state, void *tstate, struct authsvc_req *req);
enum authsvc_status h_active_users(void *state, void *tstate, struct authsvc_req *req);

/* Add the four routes to router (main thread, before the server starts);
 * their handlers read cfg (borrowed for the server's life). The app
 * registers them beside the core's. 0, or -1 with a message (duplicate
 * route). */
int activity_routes_register(struct router *router, const struct config *cfg, char *msg,
			     size_t msgsz);

#endif
