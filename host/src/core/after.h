/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Work a handler leaves for after its reply (http/workers.h
 * worker_after_reply), for answers whose time must not tell what the work
 * found — whether a user or an address exists. The work is queued once
 * the reply is out and runs on a worker with a request that carries only
 * this one's app, client, id and peer address (no body, no headers);
 * whatever it would reply is logged, never sent. While the server stops
 * it is dropped, logged.
 */
#ifndef AUTHSVC_CORE_AFTER_H
#define AUTHSVC_CORE_AFTER_H

#include "authsvc/plugin.h"
#include "http/request.h"

#define AFTER_ARGS 3

/* args: copies of the strings given to core_after_reply (NULL stays NULL),
 * wiped and freed after the call. */
typedef enum authsvc_status (*core_after_fn)(struct authsvc_req *req,
					     const char *const args[AFTER_ARGS]);

/* Schedule fn(args) for after the reply: AUTHSVC_OK. Out of memory: fn
 * runs now, on this request, and its status is returned. */
enum authsvc_status core_after_reply(struct authsvc_req *req, const char *what, core_after_fn fn,
				     const char *a0, const char *a1, const char *a2);

#endif
