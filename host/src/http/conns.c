/* SPDX-License-Identifier: Apache-2.0 */
#include "http/conns.h"

#include <stdint.h>
#include <stdlib.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/event_struct.h>
#include <event2/http.h>

#include "http/guard.h"
#include "log/log.h"

/*
 * How this hooks into evhttp (libevent 2.1 has no callback for a new
 * connection or a new request; 2.2's evhttp_set_newreqcb is not there):
 *
 * - evhttp asks evhttp_set_bevcb's callback for the bufferevent of every
 *   connection it accepts, before it builds the connection. conns_accept
 *   makes that bufferevent, so the connection is seen at accept.
 * - The evhttp connection does not exist yet at that point. A zero-delay
 *   timer (the same one that later keeps the deadlines) runs once the
 *   accept callback has returned; by then evhttp has set itself as the
 *   bufferevent's callback argument, which bufferevent_getcb hands back:
 *   that is the connection, and evhttp_connection_set_closecb tells us
 *   when it closes. A reference on the bufferevent keeps it readable
 *   until then, even if evhttp dropped the connection meanwhile (its
 *   callbacks are cleared then, and the argument reads NULL).
 * - evhttp does not say when the headers of a request are complete. An
 *   evbuffer callback on the bufferevent's input sees every byte as it is
 *   read; while the headers are awaited it looks for the empty line that
 *   ends them, and from there the body deadline runs.
 * - The request callback (conns_request) and the reply's completion
 *   (conns_reply_sent) stop and restart the clock.
 */

enum conn_phase { PH_ATTACH, PH_HEADERS, PH_BODY, PH_HANDLING };

struct conn {
	struct conns *owner;
	struct evhttp_connection *evcon; /* NULL until attached */
	struct bufferevent *bev;
	struct evbuffer_cb_entry *scan;
	struct body_guard *guard; /* NULL: the connection goes without */
	struct event timer;
	struct conn *prev, *next; /* the pending list, until attached */
	enum conn_phase phase;
	int newlines; /* line ends in a row while the headers are read */
	bool surplus;
	double tokens, last;
};

static struct conn tombstone_mark;
#define TOMBSTONE (&tombstone_mark)

static double now_s(struct conns *c)
{
	struct timeval tv;

	event_base_gettimeofday_cached(c->base, &tv);
	return (double)tv.tv_sec + tv.tv_usec / 1e6;
}

bool log_limit_allow(struct log_limit *l, double now, double every, unsigned long *suppressed)
{
	if (now < l->next) {
		l->suppressed++;
		return false;
	}
	*suppressed = l->suppressed;
	l->suppressed = 0;
	l->next = now + every;
	return true;
}

static size_t slot_hash(const struct evhttp_connection *conn, size_t cap)
{
	uintptr_t p = (uintptr_t)conn;

	return (size_t)((p >> 4) * 11400714819323198485ull) & (cap - 1);
}

int conns_init(struct conns *c, struct event_base *base, const struct conn_limits *lim)
{
	*c = (struct conns){.base = base, .lim = *lim, .cap = 256};
	while (c->cap < lim->max * 2 + 16)
		c->cap *= 2;
	c->slots = calloc(c->cap, sizeof(*c->slots));
	return c->slots != NULL ? 0 : -1;
}

size_t conns_count(const struct conns *c)
{
	return c->open;
}

/* The slot of conn, or (insert) the first free one on its probe path. */
static struct conn **slot_find(struct conns *c, const struct evhttp_connection *conn, int insert)
{
	size_t i = slot_hash(conn, c->cap);
	struct conn **free_slot = NULL;

	for (size_t n = 0; n < c->cap; n++, i = (i + 1) & (c->cap - 1)) {
		struct conn **s = &c->slots[i];

		if (*s != NULL && *s != TOMBSTONE && (*s)->evcon == conn)
			return s;
		if (*s == NULL || *s == TOMBSTONE) {
			if (free_slot == NULL)
				free_slot = s;
			if (*s == NULL)
				break;
		}
	}
	return insert ? free_slot : NULL;
}

/* Rebuild without tombstones (twice as big when entries fill a quarter). */
static int rehash(struct conns *c)
{
	struct conn **old = c->slots;
	size_t oldcap = c->cap;

	c->cap = c->used * 4 > oldcap ? oldcap * 2 : oldcap;
	c->slots = calloc(c->cap, sizeof(*c->slots));
	if (c->slots == NULL) {
		c->slots = old;
		c->cap = oldcap;
		return -1;
	}
	for (size_t i = 0; i < oldcap; i++)
		if (old[i] != NULL && old[i] != TOMBSTONE)
			*slot_find(c, old[i]->evcon, 1) = old[i];
	c->tombstones = 0;
	free(old);
	return 0;
}

static void pending_unlink(struct conn *k)
{
	if (k->prev != NULL)
		k->prev->next = k->next;
	else
		k->owner->pending = k->next;
	if (k->next != NULL)
		k->next->prev = k->prev;
	k->prev = k->next = NULL;
}

static void arm(struct conn *k, enum conn_phase phase, int seconds)
{
	struct timeval tv = {seconds, 0};

	k->phase = phase;
	k->newlines = 0;
	evtimer_add(&k->timer, &tv);
}

static void on_close(struct evhttp_connection *evcon, void *arg)
{
	struct conn *k = arg;
	struct conns *c = k->owner;
	struct conn **s = slot_find(c, evcon, 0);

	if (s != NULL) {
		*s = TOMBSTONE;
		c->used--;
		c->tombstones++;
	}
	if (k->surplus)
		c->surplus--;
	else
		c->open--;
	evtimer_del(&k->timer);
	/* the bufferevent is still whole here: evhttp frees it after this */
	if (k->scan != NULL)
		evbuffer_remove_cb_entry(bufferevent_get_input(k->bev), k->scan);
	body_guard_free(k->guard);
	free(k);
	if (c->closed != NULL)
		c->closed(c->closed_arg);
}

/* Past a deadline: close without an answer; one log line per 10 s. */
static void cut(struct conn *k)
{
	struct conns *c = k->owner;
	unsigned long suppressed;
	const char *what = k->phase == PH_BODY ? "body" : "header";

	c->cut++;
	if (log_limit_allow(&c->cut_log, now_s(c), 10, &suppressed)) {
		log_info("closed slow connections count=%lu last=%s_timeout", c->cut, what);
		c->cut = 0;
	}
	evhttp_connection_free(k->evcon); /* on_close frees k */
}

/* Once evhttp has made the connection: count it, set its first deadline. */
static void attach(struct conn *k)
{
	struct conns *c = k->owner;
	void *arg = NULL;
	struct conn **s;

	pending_unlink(k);
	bufferevent_getcb(k->bev, NULL, NULL, NULL, &arg);
	if (arg == NULL) { /* evhttp gave up on the connection already */
		if (k->scan != NULL)
			evbuffer_remove_cb_entry(bufferevent_get_input(k->bev), k->scan);
		body_guard_free(k->guard);
		bufferevent_decref(k->bev);
		free(k);
		return;
	}
	k->evcon = arg;
	bufferevent_decref(k->bev); /* evhttp's own reference keeps it now */
	if ((c->used + c->tombstones + 1) * 2 >= c->cap)
		(void)rehash(c); /* on failure, the probe below still finds a slot or none */
	s = slot_find(c, k->evcon, 1);
	if (s == NULL) { /* table full: serve it uncounted (and unguarded) rather than drop it */
		if (k->scan != NULL)
			evbuffer_remove_cb_entry(bufferevent_get_input(k->bev), k->scan);
		body_guard_free(k->guard);
		free(k);
		return;
	}
	if (*s == TOMBSTONE)
		c->tombstones--;
	*s = k;
	c->used++;
	if (c->lim.max > 0 && c->open >= c->lim.max) {
		k->surplus = true;
		c->surplus++;
	} else {
		c->open++;
	}
	evhttp_connection_set_closecb(k->evcon, on_close, k);
	arm(k, PH_HEADERS, k->surplus && c->lim.header_s > 2 ? 2 : c->lim.header_s);
}

static void on_timer(evutil_socket_t fd, short what, void *arg)
{
	struct conn *k = arg;

	(void)fd;
	(void)what;
	if (k->phase == PH_ATTACH)
		attach(k);
	else if (k->phase == PH_HEADERS || k->phase == PH_BODY)
		cut(k);
}

/* Input arrived: while the headers are awaited, look for the empty line
 * that ends them (CRLF CRLF, or bare LFs, as evhttp accepts). */
static void on_input(struct evbuffer *buf, const struct evbuffer_cb_info *info, void *arg)
{
	struct conn *k = arg;
	size_t len = evbuffer_get_length(buf), off;
	struct evbuffer_ptr pos;
	unsigned char chunk[512];

	if (k->phase != PH_HEADERS || info->n_added == 0)
		return;
	off = len >= info->n_added ? len - info->n_added : 0;
	while (off < len) {
		size_t n = len - off < sizeof(chunk) ? len - off : sizeof(chunk);
		ev_ssize_t got;

		if (evbuffer_ptr_set(buf, &pos, off, EVBUFFER_PTR_SET) < 0)
			return;
		got = evbuffer_copyout_from(buf, &pos, chunk, n);
		if (got <= 0)
			return;
		for (ev_ssize_t i = 0; i < got; i++) {
			if (chunk[i] == '\n') {
				if (++k->newlines == 2) {
					arm(k, PH_BODY, k->owner->lim.body_s);
					return;
				}
			} else if (chunk[i] != '\r') {
				k->newlines = 0;
			}
		}
		off += (size_t)got;
	}
}

struct bufferevent *conns_accept(struct conns *c)
{
	struct conn *k = calloc(1, sizeof(*k));

	if (k == NULL)
		return NULL;
	/* no BEV_OPT_CLOSE_ON_FREE: evhttp closes the socket itself then */
	k->bev = bufferevent_socket_new(c->base, -1, 0);
	if (k->bev == NULL) {
		free(k);
		return NULL;
	}
	k->owner = c;
	k->tokens = c->lim.rate;
	k->last = now_s(c);
	k->phase = PH_ATTACH;
	k->scan = evbuffer_add_cb(bufferevent_get_input(k->bev), on_input, k);
	k->guard = body_guard_attach(k->bev);
	if (k->guard == NULL)
		log_warn("connection without its body guard (out of memory)");
	bufferevent_incref(k->bev);
	evtimer_assign(&k->timer, c->base, on_timer, k);
	k->next = c->pending;
	if (c->pending != NULL)
		c->pending->prev = k;
	c->pending = k;
	event_active(&k->timer, EV_TIMEOUT, 1);
	return k->bev;
}

void conns_release(struct conns *c)
{
	while (c->pending != NULL) {
		struct conn *k = c->pending;

		pending_unlink(k);
		evtimer_del(&k->timer);
		body_guard_free(k->guard);
		bufferevent_decref(k->bev);
		free(k);
	}
	free(c->slots);
	c->slots = NULL;
}

static struct conn *conn_of(struct conns *c, struct evhttp_connection *conn)
{
	struct conn **s = conn != NULL ? slot_find(c, conn, 0) : NULL;

	return s != NULL ? *s : NULL;
}

enum conn_verdict conns_request(struct conns *c, struct evhttp_connection *conn, double now)
{
	struct conn *k = conn_of(c, conn);

	if (k == NULL)
		return CONN_OK;
	evtimer_del(&k->timer);
	k->phase = PH_HANDLING;
	if (k->surplus)
		return CONN_TOO_MANY;
	if (c->lim.rate <= 0)
		return CONN_OK;
	k->tokens += (now - k->last) * c->lim.rate;
	if (k->tokens > c->lim.rate)
		k->tokens = c->lim.rate;
	k->last = now;
	if (k->tokens < 1)
		return CONN_TOO_FAST;
	k->tokens -= 1;
	return CONN_OK;
}

void conns_reply_sent(struct conns *c, struct evhttp_connection *conn, bool closing)
{
	struct conn *k = conn_of(c, conn);

	if (k == NULL)
		return;
	arm(k, PH_HEADERS, c->lim.idle_s + c->lim.header_s);
	body_guard_reply_sent(k->guard, closing);
}
