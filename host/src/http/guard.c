/* SPDX-License-Identifier: Apache-2.0 */
/* The JSON error envelope before evhttp reads a refused request (guard.h). */
#include "http/guard.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>

#include "http/request.h"
#include "http/stream.h"
#include "tokens/opaque.h"

static size_t guard_max_body, guard_max_head;

struct body_guard {
	struct http_stream st;
	struct bufferevent *bev;
	struct evbuffer_cb_entry *cb;
	unsigned long replied; /* replies sent in full */
	bool pending;	       /* refused, waiting for earlier replies */
	bool done;	       /* refusal written: discard everything */
	bool busy;	       /* our own change to the buffer */
};

void body_guard_init(size_t max_body_bytes, size_t max_header_bytes)
{
	guard_max_body = max_body_bytes;
	guard_max_head = max_header_bytes;
}

static const char *reason(int status)
{
	switch (status) {
	case 413:
		return "Payload Too Large";
	case 431:
		return "Request Header Fields Too Large";
	default:
		return "Bad Request";
	}
}

/* evhttp is between requests or reading one: no reply of its own is
 * queued on the socket, so the answer goes out directly. */
static void send_refusal(struct body_guard *g)
{
	char id[17], body[256], text[768];
	evutil_socket_t fd = bufferevent_getfd(g->bev);
	int status = g->st.status, nb, n;

	tokens_random_hex(id, 8);
	nb = snprintf(body, sizeof(body),
		      "{\"error\":{\"statusCode\":%d,\"name\":\"%s\",\"message\":\"%s\"}}", status,
		      http_error_name(status), g->st.msg);
	if (nb <= 0 || (size_t)nb >= sizeof(body))
		return;
	n = snprintf(text, sizeof(text),
		     "HTTP/1.1 %d %s\r\n"
		     "Content-Type: application/json; charset=utf-8\r\n"
		     "Content-Length: %d\r\nConnection: close\r\nCache-Control: no-store\r\n"
		     "Pragma: no-cache\r\nX-Content-Type-Options: nosniff\r\n"
		     "X-Request-Id: %s\r\n\r\n%s",
		     status, reason(status), nb, id, body);
	if (fd >= 0 && n > 0 && (size_t)n < sizeof(text)) {
		(void)send(fd, text, (size_t)n, MSG_DONTWAIT | MSG_NOSIGNAL);
		shutdown(fd, SHUT_WR);
	}
}

/* Keep only the first keep bytes of the buffer. */
static void cut_to(struct body_guard *g, struct evbuffer *buf, size_t keep)
{
	struct evbuffer *head;

	g->busy = true;
	if (keep == 0) {
		evbuffer_drain(buf, evbuffer_get_length(buf));
	} else {
		head = evbuffer_new();
		if (head == NULL || evbuffer_remove_buffer(buf, head, keep) != (int)keep) {
			evbuffer_drain(buf, evbuffer_get_length(buf)); /* lose it all, not order */
		} else {
			evbuffer_drain(buf, evbuffer_get_length(buf));
			evbuffer_add_buffer(buf, head);
		}
		if (head != NULL)
			evbuffer_free(head);
	}
	g->busy = false;
}

/* Requests passed on before the current one and not answered yet. */
static unsigned long unanswered(const struct body_guard *g)
{
	unsigned long before = g->st.heads - (unsigned long)g->st.passed;

	return before > g->replied ? before - g->replied : 0;
}

/* The stream refused a request ending at offset end of the buffer. */
static void refused(struct body_guard *g, struct evbuffer *buf, size_t end)
{
	size_t start = g->st.seen < end ? end - (size_t)g->st.seen : 0;

	if (unanswered(g) == 0) {
		send_refusal(g);
		g->done = true;
		cut_to(g, buf, 0);
	} else {
		g->pending = true;
		cut_to(g, buf, start);
	}
}

static void check_cb(struct evbuffer *buf, const struct evbuffer_cb_info *info, void *arg)
{
	struct body_guard *g = arg;
	size_t len = evbuffer_get_length(buf), off;

	if (info->n_added == 0 || g->busy)
		return;
	off = len >= info->n_added ? len - info->n_added : 0;
	if (g->done || g->pending) {
		cut_to(g, buf, g->done ? 0 : off);
		return;
	}
	while (off < len) {
		struct evbuffer_iovec v[4];
		struct evbuffer_ptr pos;
		int nv;

		if (evbuffer_ptr_set(buf, &pos, off, EVBUFFER_PTR_SET) < 0)
			return;
		nv = evbuffer_peek(buf, (ev_ssize_t)(len - off), &pos, v, 4);
		if (nv <= 0)
			return;
		for (int i = 0; i < nv && i < 4 && off < len; i++) {
			size_t n = v[i].iov_len < len - off ? v[i].iov_len : len - off, used;

			if (http_stream_feed(&g->st, v[i].iov_base, n, &used) != 0) {
				refused(g, buf, off + used);
				return;
			}
			off += n;
		}
	}
}

struct body_guard *body_guard_attach(struct bufferevent *bev)
{
	struct body_guard *g;

	if (guard_max_body == 0 || guard_max_head == 0)
		return NULL;
	g = calloc(1, sizeof(*g));
	if (g == NULL)
		return NULL;
	http_stream_init(&g->st, guard_max_body, guard_max_head);
	g->bev = bev;
	g->cb = evbuffer_add_cb(bufferevent_get_input(bev), check_cb, g);
	if (g->cb == NULL) {
		free(g);
		return NULL;
	}
	return g;
}

void body_guard_free(struct body_guard *g)
{
	if (g == NULL)
		return;
	evbuffer_remove_cb_entry(bufferevent_get_input(g->bev), g->cb);
	http_stream_release(&g->st);
	free(g);
}

void body_guard_reply_sent(struct body_guard *g, bool closing)
{
	if (g == NULL)
		return;
	g->replied++;
	if (!g->pending || closing || unanswered(g) > 0)
		return;
	g->pending = false;
	send_refusal(g);
	g->done = true;
	cut_to(g, bufferevent_get_input(g->bev), 0);
}
