/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The metrics listener of metrics_listener.h: one evhttp on one thread.
 */
#include "http/metrics_listener.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "log/log.h"
#include "util/metrics.h"
#include "util/sbuf.h"

#define METRICS_BODY_MAX (16u << 20)

struct metrics_listener {
	struct event_base *base;
	struct evhttp *http;
	pthread_t thread;
	bool started;
};

static void reply_text(struct evhttp_request *ev, int status, const char *reason, const char *text,
		       size_t len)
{
	struct evbuffer *buf = evbuffer_new();
	struct evkeyvalq *h = evhttp_request_get_output_headers(ev);

	evhttp_add_header(h, "Content-Type", "text/plain; version=0.0.4; charset=utf-8");
	evhttp_add_header(h, "Cache-Control", "no-store");
	if (buf != NULL)
		evbuffer_add(buf, text, len);
	evhttp_send_reply(ev, status, reason, buf);
	if (buf != NULL)
		evbuffer_free(buf);
}

static void on_request(struct evhttp_request *ev, void *arg)
{
	const char *path = evhttp_uri_get_path(evhttp_request_get_evhttp_uri(ev));
	enum evhttp_cmd_type cmd = evhttp_request_get_command(ev);
	struct sbuf out = SBUF_INIT(METRICS_BODY_MAX);

	(void)arg;
	if (path == NULL || strcmp(path, "/metrics") != 0) {
		reply_text(ev, 404, "Not Found", "not found\n", 10);
		return;
	}
	if (cmd != EVHTTP_REQ_GET && cmd != EVHTTP_REQ_HEAD) {
		reply_text(ev, 405, "Method Not Allowed", "method not allowed\n", 19);
		return;
	}
	if (metrics_render(&out) < 0) {
		sbuf_release(&out);
		reply_text(ev, 503, "Service Unavailable", "out of memory\n", 14);
		return;
	}
	reply_text(ev, 200, "OK", sbuf_str(&out), out.len);
	sbuf_release(&out);
}

static void *listener_main(void *arg)
{
	struct metrics_listener *ml = arg;

	event_base_dispatch(ml->base);
	return NULL;
}

/* HOST:PORT into host and port; [v6] brackets dropped. */
static int split(const char *listen, char *host, size_t hostsz, unsigned short *port)
{
	const char *colon = strrchr(listen, ':');
	char *end;
	long p;
	size_t n;

	if (colon == NULL)
		return -1;
	p = strtol(colon + 1, &end, 10);
	if (colon[1] == '\0' || *end != '\0' || p < 0 || p > 65535)
		return -1;
	n = (size_t)(colon - listen);
	if (n >= 2 && listen[0] == '[' && listen[n - 1] == ']') {
		listen++;
		n -= 2;
	}
	if (n == 0 || n >= hostsz)
		return -1;
	memcpy(host, listen, n);
	host[n] = '\0';
	*port = (unsigned short)p;
	return 0;
}

struct metrics_listener *metrics_listener_start(const char *listen, struct err *err)
{
	struct metrics_listener *ml = calloc(1, sizeof(*ml));
	char host[256];
	unsigned short port;

	if (ml == NULL) {
		err_set(err, 0, "out of memory");
		return NULL;
	}
	if (split(listen, host, sizeof(host), &port) < 0) {
		err_set(err, 0, "metrics.listen: expected HOST:PORT, got %s", listen);
		goto fail;
	}
	ml->base = event_base_new();
	ml->http = ml->base != NULL ? evhttp_new(ml->base) : NULL;
	if (ml->http == NULL) {
		err_set(err, 0, "metrics: cannot create event loop");
		goto fail;
	}
	evhttp_set_timeout(ml->http, 10);
	evhttp_set_max_headers_size(ml->http, 8192);
	evhttp_set_max_body_size(ml->http, 1024);
	evhttp_set_gencb(ml->http, on_request, ml);
	if (evhttp_bind_socket_with_handle(ml->http, host, port) == NULL) {
		err_set(err, 0, "metrics.listen: cannot listen on %s", listen);
		goto fail;
	}
	if (pthread_create(&ml->thread, NULL, listener_main, ml) != 0) {
		err_set(err, 0, "metrics: cannot start thread");
		goto fail;
	}
	ml->started = true;
	log_info("metrics listening addr=%s", listen);
	return ml;
fail:
	metrics_listener_stop(ml);
	return NULL;
}

void metrics_listener_stop(struct metrics_listener *ml)
{
	if (ml == NULL)
		return;
	if (ml->started) {
		event_base_loopbreak(ml->base);
		pthread_join(ml->thread, NULL);
	}
	if (ml->http != NULL)
		evhttp_free(ml->http);
	if (ml->base != NULL)
		event_base_free(ml->base);
	free(ml);
}
