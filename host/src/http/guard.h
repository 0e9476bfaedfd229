/*
 * A JSON 413 for a declared body over the limit, before evhttp reads it.
 *
 * evhttp refuses a body over its own limit (evhttp_set_max_body_size)
 * with an HTML page of its own, and libevent 2.1 has no hook between a
 * server request's headers and its body (evhttp_request_set_header_cb
 * works only for requests we create; the request object of an incoming
 * one is made inside evhttp). So each connection's bufferevent is made
 * here (evhttp_set_bevcb) and its input buffer gets a callback that runs
 * when bytes arrive, before evhttp parses them. When the buffer starts
 * with a request line and holds the whole head, and its first
 * Content-Length (the one evhttp would use) is over max_body_bytes, the
 * guard answers 413 with the error envelope and Connection: close on the
 * socket itself, shuts down the sending side, and from then on discards
 * whatever the client sends, so evhttp never reads any of it as a request
 * (the connection ends when the client closes or times out).
 *
 * What it does not see, evhttp handles as before (a JSON 413 from
 * evreq_body up to 4x the limit, its own page beyond): a head that
 * arrives in pieces (evhttp has already taken its first line), a
 * request pipelined behind another in one read, and chunked bodies.
 *
 * Loop threads only; body_guard_init before the loops start.
 */
#ifndef AUTHSVC_HTTP_GUARD_H
#define AUTHSVC_HTTP_GUARD_H

#include <stddef.h>

struct bufferevent;
struct event_base;

/* The limits every loop's guard applies. */
void body_guard_init(size_t max_body_bytes, size_t max_header_bytes);

/* Attach the guard to a connection's new bufferevent: 0, or -1 (out of
 * memory: the connection goes on without it). */
int body_guard_attach(struct bufferevent *bev);

/* For evhttp_set_bevcb: a socket bufferevent with the guard attached. */
struct bufferevent *body_guard_bev(struct event_base *base, void *arg);

#endif
