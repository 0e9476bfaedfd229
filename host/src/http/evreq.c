/* SPDX-License-Identifier: Apache-2.0 */
/* evhttp requests in and out: the copy into struct authsvc_req and the reply. */
#include "http/evreq.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "config/config.h"
#include "http/body.h"
#include "http/framing.h"
#include "http/router.h"
#include "log/log.h"

static const char *reason_phrase(int status)
{
	switch (status) {
	case 200:
		return "OK";
	case 204:
		return "No Content";
	case 302:
		return "Found";
	case 303:
		return "See Other";
	case 307:
		return "Temporary Redirect";
	case 308:
		return "Permanent Redirect";
	case 400:
		return "Bad Request";
	case 401:
		return "Unauthorized";
	case 403:
		return "Forbidden";
	case 404:
		return "Not Found";
	case 405:
		return "Method Not Allowed";
	case 409:
		return "Conflict";
	case 413:
		return "Payload Too Large";
	case 415:
		return "Unsupported Media Type";
	case 422:
		return "Unprocessable Entity";
	case 429:
		return "Too Many Requests";
	case 503:
		return "Service Unavailable";
	default:
		return status < 400 ? "OK" : "Error";
	}
}

static void free_text(const void *data, size_t len, void *arg)
{
	(void)len;
	(void)arg;
	free((void *)data);
}

/* CORS: only for an Origin in cors.allowed_origins; others get no CORS
 * headers at all, and the browser keeps the response from the page. */
static void cors_headers(const struct authsvc_req *req, const struct config *cfg,
			 struct evkeyvalq *out)
{
	const char *origin = req_header(req, "Origin");
	char age[16];

	if (!config_cors_allows(cfg, origin))
		return;
	evhttp_add_header(out, "Access-Control-Allow-Origin", origin);
	evhttp_add_header(out, "Vary", "Origin");
	if (cfg->cors_credentials)
		evhttp_add_header(out, "Access-Control-Allow-Credentials", "true");
	if (!req->cors_preflight) {
		evhttp_add_header(out, "Access-Control-Expose-Headers",
				  "Location, Retry-After, "
				  "X-Device-Token, X-Request-Id");
		return;
	}
	snprintf(age, sizeof(age), "%d", cfg->cors_max_age_s);
	evhttp_add_header(out, "Access-Control-Allow-Methods", "GET, POST, PATCH, OPTIONS");
	evhttp_add_header(out, "Access-Control-Allow-Headers",
			  "Authorization, Content-Type, code, clientId, device_id, "
			  "X-Device-Token");
	evhttp_add_header(out, "Access-Control-Max-Age", age);
}

void evreq_reply(struct evhttp_request *ev, struct authsvc_req *req, const struct config *cfg)
{
	struct evkeyvalq *out = evhttp_request_get_output_headers(ev);
	struct evbuffer *buf = evbuffer_new();
	char ra[16];

	if (!req->replied)
		req_fail(req, 500, "Internal Server Error");
	evhttp_add_header(out, "Cache-Control", "no-store");
	evhttp_add_header(out, "Pragma", "no-cache");
	evhttp_add_header(out, "X-Content-Type-Options", "nosniff");
	evhttp_add_header(out, "X-Request-Id", req->id);
	if (req->location != NULL)
		evhttp_add_header(out, "Location", req->location);
	if (req->set_cookie != NULL)
		evhttp_add_header(out, "Set-Cookie", req->set_cookie);
	if (req->close_connection)
		evhttp_add_header(out, "Connection", "close");
	cors_headers(req, cfg, out);
	if (req->retry_after > 0) {
		snprintf(ra, sizeof(ra), "%d", req->retry_after);
		evhttp_add_header(out, "Retry-After", ra);
	}
	for (size_t i = 0; i < req->nreply_headers; i++)
		evhttp_add_header(out, req->reply_headers[i].key, req->reply_headers[i].val);
	if (req->reply != NULL && buf != NULL) {
		char *text = json_dumps(req->reply, JSON_COMPACT);

		evhttp_add_header(out, "Content-Type", "application/json; charset=utf-8");
		if (text != NULL)
			evbuffer_add_reference(buf, text, strlen(text), free_text, NULL);
	}
	if (req->client_gone) /* the client left (a load generator hanging up): not a 503 */
		log_info("request req=%s method=%s path=%s client gone before a worker took it",
			 req->id, http_method_name(req->method), req->path ? req->path : "-");
	else if (req->status >= 500 || log_enabled(LOG_LVL_DEBUG))
		log_msg(req->status >= 500 ? LOG_LVL_WARN : LOG_LVL_DEBUG,
			"request req=%s method=%s path=%s status=%d", req->id,
			http_method_name(req->method), LOG_Q(req->path ? req->path : "-"),
			req->status);
	evhttp_send_reply(ev, req->status, reason_phrase(req->status), buf);
	if (buf != NULL)
		evbuffer_free(buf);
}

struct kv_builder {
	struct authsvc_req *req;
	struct kv *v;
	size_t n, cap;
};

static int kv_push(struct kv_builder *b, char *key, char *val)
{
	if (b->n == b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 8;
		struct kv *nv;

		if (cap > 256)
			return -1;
		nv = arena_alloc(&b->req->arena, cap * sizeof(*nv));
		if (nv == NULL)
			return -1;
		if (b->n > 0)
			memcpy(nv, b->v, b->n * sizeof(*nv));
		b->v = nv;
		b->cap = cap;
	}
	b->v[b->n].key = arena_strdup(&b->req->arena, key);
	b->v[b->n].val = arena_strdup(&b->req->arena, val);
	if (b->v[b->n].key == NULL || b->v[b->n].val == NULL)
		return -1;
	b->n++;
	return 0;
}

static int query_add(void *arg, char *key, char *val)
{
	int rc = kv_push(arg, key, val);

	free(key);
	free(val);
	return rc;
}

int evreq_copy(struct evhttp_request *ev, struct authsvc_req *req)
{
	const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(ev);
	const char *path = uri ? evhttp_uri_get_path(uri) : NULL;
	const char *query = uri ? evhttp_uri_get_query(uri) : NULL;
	struct evkeyvalq *hdrs = evhttp_request_get_input_headers(ev);
	struct evhttp_connection *conn = evhttp_request_get_connection(ev);
	struct kv_builder qb = {.req = req}, hb = {.req = req};
	struct evkeyval *h;
	char *decoded;
	char *peer = NULL;
	ev_uint16_t port = 0;

	switch (evhttp_request_get_command(ev)) {
	case EVHTTP_REQ_GET:
		req->method = M_GET;
		break;
	case EVHTTP_REQ_POST:
		req->method = M_POST;
		break;
	case EVHTTP_REQ_PUT:
		req->method = M_PUT;
		break;
	case EVHTTP_REQ_PATCH:
		req->method = M_PATCH;
		break;
	case EVHTTP_REQ_DELETE:
		req->method = M_DELETE;
		break;
	case EVHTTP_REQ_OPTIONS:
		req->method = M_OPTIONS;
		break;
	case EVHTTP_REQ_HEAD:
		req->method = M_HEAD;
		break;
	default:
		req->method = M_OTHER;
	}
	/* %2F stays an escape: an encoded slash is never a separator */
	decoded = http_path_decode(path ? path : "/", strlen(path ? path : "/"));
	if (decoded == NULL)
		return 400;
	req->path = arena_strdup(&req->arena, decoded);
	free(decoded);
	if (req->path == NULL)
		return 500;
	if (query != NULL && http_form_each(query, strlen(query), query_add, &qb) < 0)
		return 400;
	req->query = qb.v;
	req->nquery = qb.n;
	for (h = hdrs->tqh_first; h != NULL; h = h->next.tqe_next) {
		if (kv_push(&hb, h->key, h->value) < 0)
			return 431;
	}
	req->headers = hb.v;
	req->nheaders = hb.n;
	if (conn != NULL) {
		evhttp_connection_get_peer(conn, &peer, &port);
		snprintf(req->peer, sizeof(req->peer), "%s", peer ? peer : "");
	}
	return 0;
}

int evreq_framing(struct authsvc_req *req, const char **msg)
{
	struct http_field *f;

	if (req->nheaders == 0)
		return 0;
	f = arena_alloc(&req->arena, req->nheaders * sizeof(*f));
	if (f == NULL) {
		*msg = "Too many headers";
		return 431;
	}
	for (size_t i = 0; i < req->nheaders; i++) {
		f[i].name = req->headers[i].key;
		f[i].value = req->headers[i].val;
	}
	return http_framing_check(f, req->nheaders, msg);
}

int evreq_body(struct evhttp_request *ev, struct authsvc_req *req, size_t max, const char **msg)
{
	struct evbuffer *in = evhttp_request_get_input_buffer(ev);
	size_t len = evbuffer_get_length(in);
	const char *data;

	if (len > max) {
		*msg = "Request body is too large";
		return 413;
	}
	data = len ? (const char *)evbuffer_pullup(in, -1) : "";
	return http_body_parse(req_header(req, "Content-Type"), data, len, &req->body, msg);
}
