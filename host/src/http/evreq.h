/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The boundary between evhttp and the rest of the server, on the loop
 * thread only: evreq_copy copies an evhttp request (method, decoded path,
 * query, headers, peer) into a struct authsvc_req so that workers never
 * touch evhttp (the path keeps %2F encoded: http_path_decode);
 * evreq_framing refuses ambiguous framing (http/framing.h); evreq_body parses the body with the
 * size limit; evreq_reply sends req's reply (envelope, no-store, CORS, Retry-After, X-Request-Id)
 * exactly once.
 */
#ifndef AUTHSVC_HTTP_EVREQ_H
#define AUTHSVC_HTTP_EVREQ_H

#include <stddef.h>

#include "http/request.h"

struct evhttp_request;

/* 0, or the HTTP status to answer (400 bad URI, 431 too many headers). */
struct config;

int evreq_copy(struct evhttp_request *ev, struct authsvc_req *req);
/* After evreq_copy: 0, or 400 and *msg when the headers frame the request
 * ambiguously (http_framing_check). The caller answers and closes the
 * connection: what follows the request on it cannot be trusted. */
int evreq_framing(struct authsvc_req *req, const char **msg);
/* 0 with req->body set, or a status (413, 400, 415, 422) and *msg. */
int evreq_body(struct evhttp_request *ev, struct authsvc_req *req, size_t max, const char **msg);
/* cfg: the CORS settings. */
void evreq_reply(struct evhttp_request *ev, struct authsvc_req *req, const struct config *cfg);

#endif
