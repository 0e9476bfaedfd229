/* SPDX-License-Identifier: Apache-2.0 */
/*
 * struct authsvc_req: one HTTP request as the rest of the server sees it.
 *
 * The loop thread fills it from the evhttp request (method, path, query,
 * a copy of the headers, the parsed body, the peer address) before it
 * is handed to a worker, so workers never touch evhttp. The handler fills
 * the reply (status, JSON body, Location, extra headers); the loop thread
 * then sends it. Everything allocated for the request hangs off its arena
 * and is freed with the request.
 *
 * Plugins see this struct only as an opaque pointer; the host API table
 * gives them accessors.
 */
#ifndef AUTHSVC_HTTP_REQUEST_H
#define AUTHSVC_HTTP_REQUEST_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "authsvc/plugin.h"
#include "util/arena.h"
#include "util/err.h"

struct config;
struct config_snap;
struct route;
struct worker;
struct app;
struct client;

struct kv {
	char *key;
	char *val;
};

enum req_method { M_GET = 0, M_POST, M_PUT, M_PATCH, M_DELETE, M_OPTIONS, M_HEAD, M_OTHER };

struct authsvc_req {
	struct arena arena;
	struct app *app;
	/* the configuration this request runs under, read once at its arrival
	 * (config/reload.h): a SIGHUP in between changes nothing it sees */
	const struct config *cfg;
	struct config_snap *snap; /* the reference behind cfg, dropped by req_release */
	const struct route *route;
	struct worker *worker; /* set while a worker runs the handler; NULL on the loop */
	void *tstate;	       /* the route's plugin per-worker state */

	enum req_method method;
	char *path;
	struct kv *query;
	size_t nquery;
	struct kv *headers;
	size_t nheaders;
	json_t *body; /* parsed JSON or form body: an object, or NULL when empty */
	char peer[64];
	char id[17];
	char *params[2]; /* path parameters, e.g. {id} in /login-activity/{id} */

	/* set by the pipeline */
	json_t *bearer;		  /* verified access-token claims, owned */
	const char *bearer_token; /* the raw access token (arena) */
	struct client *client;	  /* authenticated client (arena), ROUTE_CLIENT_AUTH routes */
	bool otp_factor;	  /* a one-time code sent to the user proved this login */
	bool device_known;	  /* it presented a live device token for the account it tried */

	/* the reply */
	bool replied;
	int status;
	json_t *reply;		    /* owned; NULL for an empty body */
	const char *location;	    /* arena string */
	const char *set_cookie;	    /* arena string: one Set-Cookie header value, or NULL */
	int retry_after;	    /* seconds; 0: none */
	bool no_store;		    /* Cache-Control: no-store */
	bool cors_preflight;	    /* an OPTIONS preflight: answer with the CORS allowances */
	bool close_connection;	    /* Connection: close after this reply */
	bool client_gone;	    /* the client hung up before a worker took it: not answered */
	struct kv reply_headers[4]; /* extra headers (arena strings), req_add_header */
	size_t nreply_headers;
};

void req_init(struct authsvc_req *req, struct app *app);
void req_release(struct authsvc_req *req);

const char *req_header(const struct authsvc_req *req, const char *name); /* case-insensitive */
const char *req_query(const struct authsvc_req *req, const char *key);
/* A string field of the body; NULL when absent or not a string. */
const char *req_body_str(const struct authsvc_req *req, const char *key);
char *req_strdup(struct authsvc_req *req, const char *s);
/* An extra reply header (both copied to the arena); -1 when there is no
 * room or memory. Names are the caller's constants, never client input. */
int req_add_header(struct authsvc_req *req, const char *name, const char *value);

/* Replies; each replaces any earlier one. reply_json steals body. */
void req_reply_json(struct authsvc_req *req, int status, json_t *body);
void req_reply_empty(struct authsvc_req *req, int status);
void req_reply_redirect(struct authsvc_req *req, int status, const char *url);

/*
 * The error envelope: {"error":{"statusCode":N,"name":"...Error","message":"..."}}.
 * Returns AUTHSVC_OK so handlers can `return req_fail(req, 401, "Code Expired");`.
 */
enum authsvc_status req_fail(struct authsvc_req *req, int status, const char *message);
/* 422 with LoopBack's VALIDATION_FAILED code and one `details` entry. */
enum authsvc_status req_fail_validation(struct authsvc_req *req, const char *path, const char *code,
					const char *message);
/* Map a handler status that did not reply to the envelope. */
void req_fail_status(struct authsvc_req *req, enum authsvc_status st);

/*
 * A failed store call (err as store/ filled it): the one way a request
 * ends on one. The cause (err->msg, never a secret) is logged at error
 * level with the request id. err->code 503 (database unavailable, a
 * statement or lock timeout, a serialisation failure or deadlock: the
 * client may retry) answers 503 with Retry-After; anything else 500.
 * Returns AUTHSVC_OK (the reply is set), like req_fail.
 */
enum authsvc_status req_fail_store(struct authsvc_req *req, const struct err *err);
/*
 * The same judgement for code that returns a status instead of replying
 * (the host API, helpers a handler calls): logs as req_fail_store does and
 * returns AUTHSVC_UNAVAILABLE for err->code 503, AUTHSVC_ERROR otherwise;
 * req_fail_status turns those into the same 503 + Retry-After or 500.
 */
enum authsvc_status req_store_status(struct authsvc_req *req, const struct err *err);

/* "UnauthorizedError" for 401 and so on. */
const char *http_error_name(int status);

#endif
