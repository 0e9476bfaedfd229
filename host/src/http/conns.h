/*
 * Per-loop connection accounting: how many client connections a loop
 * serves, and how fast each one sends requests.
 *
 * A connection is counted from its first request until it closes (evhttp's
 * close callback). Past `max` connections a new connection's first request
 * is refused (503, connection closed); a connection that sends more than
 * `rate` requests per second (token bucket, burst of `rate`) gets 429 until
 * it slows down. Connections that never complete a request are bounded by
 * the read timeout instead. Loop thread only: no locking.
 */
#ifndef AUTHSVC_HTTP_CONNS_H
#define AUTHSVC_HTTP_CONNS_H

#include <stddef.h>

struct evhttp_connection;
struct conn_slot;

struct conns {
	struct conn_slot *slots;
	size_t cap, used, tombstones;
	size_t max;  /* 0: unlimited */
	double rate; /* requests per second per connection; 0: unlimited */
};

enum conn_verdict { CONN_OK = 0, CONN_TOO_MANY, CONN_TOO_FAST };

int conns_init(struct conns *c, size_t max, double rate);
/* After evhttp_free: close callbacks still point into the table until then. */
void conns_release(struct conns *c);
/* Account one request on conn at time now (seconds). */
enum conn_verdict conns_request(struct conns *c, struct evhttp_connection *conn, double now);
size_t conns_count(const struct conns *c);

#endif
