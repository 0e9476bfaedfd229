/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The JSON error envelope for requests evhttp would refuse with its own
 * HTML page, before evhttp reads them.
 *
 * evhttp refuses a malformed request (request line, header field, chunk,
 * a Content-Length its strtoll rejects) and a body over its own limit
 * (evhttp_set_max_body_size) with a page of its own, and libevent 2.1 has
 * no hook between a server request's headers and its body. So the input
 * buffer of each connection's bufferevent (made by conns_accept, from
 * evhttp_set_bevcb) gets a callback that runs when bytes arrive, before
 * evhttp parses them, and follows the request stream as evhttp will frame
 * it (stream.h): every head, whole or in pieces, through the framing rules
 * of framing.h, every Content-Length and chunked body against
 * max_body_bytes, every head against max_header_bytes.
 *
 * A request the stream refuses gets 400, 413 or 431 with the error
 * envelope and Connection: close, written on the socket by the guard; the
 * sending side is shut down, and from then on whatever the client sends is
 * discarded, so evhttp never reads any of it as a request (the connection
 * ends when the client closes, or at its deadline, conns.h). When earlier
 * requests pipelined on the connection are still being answered, the
 * refused request and everything after it are taken out of the buffer at
 * once, and the refusal is written when the last earlier reply has been
 * sent (body_guard_reply_sent), so answers stay in order.
 *
 * Loop threads only; body_guard_init before the loops start.
 */
#ifndef AUTHSVC_HTTP_GUARD_H
#define AUTHSVC_HTTP_GUARD_H

#include <stdbool.h>
#include <stddef.h>

struct bufferevent;
struct body_guard;

/* The limits every loop's guard applies. */
void body_guard_init(size_t max_body_bytes, size_t max_header_bytes);

/* Attach a guard to a connection's new bufferevent: the guard, or NULL
 * (out of memory: the connection goes on without it). The caller owns it
 * and frees it with body_guard_free while the bufferevent is still whole. */
struct body_guard *body_guard_attach(struct bufferevent *bev);
void body_guard_free(struct body_guard *g);

/* A reply on the connection was sent in full; closing: evhttp closes the
 * connection after it. NULL g is ignored. */
void body_guard_reply_sent(struct body_guard *g, bool closing);

#endif
