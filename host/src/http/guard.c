/* A JSON 413 for an oversize declared body before evhttp reads it (guard.h). */
#include "http/guard.h"

#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>

#include "http/framing.h"
#include "tokens/opaque.h"

static size_t guard_max_body, guard_max_head;

void body_guard_init(size_t max_body_bytes, size_t max_header_bytes)
{
	guard_max_body = max_body_bytes;
	guard_max_head = max_header_bytes;
}

/* After a refusal: nothing the client sends is ever a request. The client
 * reads the 413 instead of a reset in the middle of its upload; the
 * connection ends when it closes, or at the connection's timeout. */
static void discard_cb(struct evbuffer *buf, const struct evbuffer_cb_info *info, void *arg)
{
	(void)arg;
	if (info->n_added > 0)
		evbuffer_drain(buf, evbuffer_get_length(buf));
}

static void refuse(struct bufferevent *bev)
{
	char id[17], text[512];
	const char *body = "{\"error\":{\"statusCode\":413,\"name\":\"PayloadTooLargeError\","
			   "\"message\":\"Request body is too large\"}}";
	evutil_socket_t fd = bufferevent_getfd(bev);
	int n;

	tokens_random_hex(id, 8);
	n = snprintf(text, sizeof(text),
		     "HTTP/1.1 413 Payload Too Large\r\n"
		     "Content-Type: application/json; charset=utf-8\r\n"
		     "Content-Length: %zu\r\nConnection: close\r\nCache-Control: no-store\r\n"
		     "Pragma: no-cache\r\nX-Content-Type-Options: nosniff\r\n"
		     "X-Request-Id: %s\r\n\r\n%s",
		     strlen(body), id, body);
	if (fd >= 0 && n > 0 && (size_t)n < sizeof(text)) {
		/* evhttp is reading: no reply of its own is queued on the socket */
		(void)send(fd, text, (size_t)n, MSG_DONTWAIT | MSG_NOSIGNAL);
		shutdown(fd, SHUT_WR);
	}
}

static void check_cb(struct evbuffer *buf, const struct evbuffer_cb_info *info, void *arg)
{
	struct bufferevent *bev = arg;
	size_t len = evbuffer_get_length(buf);
	size_t look = len < guard_max_head + 4 ? len : guard_max_head + 4;
	const char *head;

	/* only bytes that arrived into an empty buffer start a request */
	if (info->n_added == 0 || info->orig_size != 0 || guard_max_body == 0)
		return;
	head = (const char *)evbuffer_pullup(buf, (ev_ssize_t)look);
	if (head == NULL || !http_head_body_too_large(head, look, guard_max_body))
		return;
	refuse(bev);
	evbuffer_remove_cb(buf, check_cb, arg);
	evbuffer_add_cb(buf, discard_cb, NULL);
	evbuffer_drain(buf, len);
}

int body_guard_attach(struct bufferevent *bev)
{
	return evbuffer_add_cb(bufferevent_get_input(bev), check_cb, bev) == NULL ? -1 : 0;
}

struct bufferevent *body_guard_bev(struct event_base *base, void *arg)
{
	/* options 0, as evhttp's own: it closes the socket itself */
	struct bufferevent *bev = bufferevent_socket_new(base, -1, 0);

	(void)arg;
	if (bev != NULL && body_guard_attach(bev) < 0) {
		bufferevent_free(bev);
		return NULL;
	}
	return bev;
}
