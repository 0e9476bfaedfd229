/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Per-loop connection accounting: how many client connections a loop
 * holds, how fast each one sends requests, and how long each may take to
 * send one.
 *
 * A connection is counted from accept until it closes (evhttp's close
 * callback). One accepted while `max` are open is a surplus connection:
 * its first request is refused (503, connection closed) and it gets at
 * most 2 s to send it. A connection that sends more than `rate` requests
 * per second (token bucket, burst of `rate`) gets 429 until it slows down.
 *
 * Deadlines are absolute, not per read: the request line and headers must
 * be complete `header_s` seconds after accept (for a later request on a
 * kept-alive connection, `idle_s + header_s` after the previous response
 * was sent), and the body `body_s` seconds after the end of the headers.
 * A connection past its deadline is closed without an answer, as nginx
 * does with client_header_timeout and client_body_timeout. Loop thread
 * only: no locking.
 */
#ifndef AUTHSVC_HTTP_CONNS_H
#define AUTHSVC_HTTP_CONNS_H

#include <stdbool.h>
#include <stddef.h>

struct bufferevent;
struct event_base;
struct evhttp_connection;
struct conn;

struct conn_limits {
	size_t max;   /* open connections on this loop; 0: unlimited */
	double rate;  /* requests per second per connection; 0: unlimited */
	int header_s; /* request line + headers */
	int body_s;   /* body, after the headers */
	int idle_s;   /* keep-alive idle time (evhttp's timeout) */
};

/* At most one log line per `every` seconds; the rest are counted. */
struct log_limit {
	double next;
	unsigned long suppressed;
};

struct conns {
	struct event_base *base;
	struct conn_limits lim;
	struct conn **slots; /* open addressing, keyed by evhttp connection */
	size_t cap, used, tombstones;
	size_t open, surplus; /* counted connections, surplus ones */
	struct conn *pending; /* accepted, not yet handed to evhttp */
	unsigned long cut;    /* closed at a deadline since the last log line */
	struct log_limit cut_log;
	void (*closed)(void *arg); /* after each close (the server resumes accepting) */
	void *closed_arg;
};

enum conn_verdict { CONN_OK = 0, CONN_TOO_MANY, CONN_TOO_FAST };

int conns_init(struct conns *c, struct event_base *base, const struct conn_limits *lim);
/* After evhttp_free (its close callbacks use the table), before
 * event_base_free (the deadline timers live on the base). */
void conns_release(struct conns *c);
/* evhttp's bufferevent callback (evhttp_set_bevcb): a new connection's
 * bufferevent, counted from here and with its body guard (guard.h)
 * attached; NULL (evhttp makes its own, uncounted) when out of memory. */
struct bufferevent *conns_accept(struct conns *c);
/* A complete request on conn at time now (seconds): its deadline stops. */
enum conn_verdict conns_request(struct conns *c, struct evhttp_connection *conn, double now);
/* The reply on conn was sent (closing: evhttp closes conn after it): the
 * next request's deadline starts, and the guard may write a refusal it
 * held back for this reply. */
void conns_reply_sent(struct conns *c, struct evhttp_connection *conn, bool closing);
size_t conns_count(const struct conns *c);

/* True when a line may be logged at now; *suppressed gets how many were
 * not since the last one. */
bool log_limit_allow(struct log_limit *l, double now, double every, unsigned long *suppressed);

#endif
