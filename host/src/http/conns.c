#include "http/conns.h"

#include <stdint.h>
#include <stdlib.h>

#include <event2/http.h>

struct conn_slot {
	struct evhttp_connection *conn; /* NULL: empty */
	struct conns *owner;
	double tokens, last;
	int tombstone;
};

static size_t slot_hash(const struct evhttp_connection *conn, size_t cap)
{
	uintptr_t p = (uintptr_t)conn;

	return (size_t)((p >> 4) * 11400714819323198485ull) & (cap - 1);
}

int conns_init(struct conns *c, size_t max, double rate)
{
	c->cap = 256;
	while (c->cap < max * 2 + 16)
		c->cap *= 2;
	c->slots = calloc(c->cap, sizeof(*c->slots));
	c->used = 0;
	c->tombstones = 0;
	c->max = max;
	c->rate = rate;
	return c->slots != NULL ? 0 : -1;
}

void conns_release(struct conns *c)
{
	free(c->slots);
	c->slots = NULL;
}

size_t conns_count(const struct conns *c)
{
	return c->used;
}

static struct conn_slot *slot_find(struct conns *c, struct evhttp_connection *conn, int insert)
{
	size_t i = slot_hash(conn, c->cap);
	struct conn_slot *free_slot = NULL;

	for (size_t n = 0; n < c->cap; n++, i = (i + 1) & (c->cap - 1)) {
		struct conn_slot *s = &c->slots[i];

		if (s->conn == conn)
			return s;
		if (s->conn == NULL) {
			if (free_slot == NULL)
				free_slot = s;
			if (!s->tombstone)
				break;
		}
	}
	return insert ? free_slot : NULL;
}

static void on_close(struct evhttp_connection *conn, void *arg)
{
	struct conn_slot *s = arg;

	if (s->conn != conn)
		return;
	s->conn = NULL;
	s->tombstone = 1;
	s->owner->used--;
	s->owner->tombstones++;
}

/* Rebuild without tombstones (twice as big when entries fill a quarter);
 * every close callback is re-pointed at the entry's new slot. */
static int rehash(struct conns *c)
{
	struct conn_slot *old = c->slots;
	size_t oldcap = c->cap;

	c->cap = c->used * 4 > oldcap ? oldcap * 2 : oldcap;
	c->slots = calloc(c->cap, sizeof(*c->slots));
	if (c->slots == NULL) {
		c->slots = old;
		c->cap = oldcap;
		return -1;
	}
	for (size_t i = 0; i < oldcap; i++) {
		if (old[i].conn != NULL) {
			struct conn_slot *s = slot_find(c, old[i].conn, 1);

			*s = old[i];
			evhttp_connection_set_closecb(s->conn, on_close, s);
		}
	}
	c->tombstones = 0;
	free(old);
	return 0;
}

enum conn_verdict conns_request(struct conns *c, struct evhttp_connection *conn, double now)
{
	struct conn_slot *s;

	if (conn == NULL)
		return CONN_OK;
	s = slot_find(c, conn, 0);
	if (s == NULL) {
		if (c->max > 0 && c->used >= c->max)
			return CONN_TOO_MANY;
		if ((c->used + c->tombstones + 1) * 2 >= c->cap && rehash(c) < 0)
			return CONN_OK;
		s = slot_find(c, conn, 1);
		if (s == NULL)
			return CONN_OK;
		*s = (struct conn_slot){.conn = conn, .owner = c, .tokens = c->rate, .last = now};
		c->used++;
		evhttp_connection_set_closecb(conn, on_close, s);
	}
	if (c->rate <= 0)
		return CONN_OK;
	s->tokens += (now - s->last) * c->rate;
	if (s->tokens > c->rate)
		s->tokens = c->rate;
	s->last = now;
	if (s->tokens < 1)
		return CONN_TOO_FAST;
	s->tokens -= 1;
	return CONN_OK;
}
