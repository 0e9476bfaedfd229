#include "http/server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/http_struct.h>
#include <event2/keyvalq_struct.h>
#include <event2/listener.h>
#include <event2/thread.h>

#include "config/config.h"
#include "http/body.h"
#include "http/conns.h"
#include "http/evreq.h"
#include "http/guard.h"
#include "http/peer.h"
#include "http/request.h"
#include "http/router.h"
#include "http/workers.h"
#include "log/log.h"
#include "tokens/opaque.h"

struct loop;

struct server_job {
	struct job job; /* first: the pool sees only this */
	struct authsvc_req req;
	struct evhttp_request *ev;
	struct loop *loop;
	/* a duplicate of the client's socket, held until the job is freed, so
	 * a worker's peer_gone never reads or writes a descriptor number that
	 * evhttp has closed and another connection reuses (-1: none) */
	evutil_socket_t fd;
	bool http11;		  /* HTTP/1.1 or later: peer_gone may probe with a 100 */
	worker_after_fn after_fn; /* work for after the reply (worker_after_reply) */
	void *after_data;
	struct server_job *next_done;
};

/* One event loop with its own listening socket (SO_REUSEPORT): the kernel
 * spreads connections over the loops, each loop owns its connections. */
struct loop {
	struct server *srv;
	int index;
	struct event_base *base;
	struct evhttp *http;
	struct evhttp_bound_socket *sock;
	struct event *done_ev, *drain_ev, *drain_timer;
	struct event *accept_timer; /* resumes accepting after a failed accept() */
	bool accept_paused;
	struct log_limit accept_log;
	pthread_mutex_t done_mu;
	struct server_job *done_head;
	struct conns conns; /* connection count and request rates */
	long inflight;	    /* this loop's thread only */
	int draining;
	pthread_t thread;
	int started;
};

struct server {
	const struct config *cfg;
	const struct router *router;
	struct app *app; /* opaque here: handed to each request */
	struct server_calls calls;
	struct loop *loops;
	int nloops;
	struct event *sigterm, *sigint; /* on loops[0] */
	struct workers pool;
	int draining;
};

static void loop_request_done(struct loop *lp)
{
	lp->inflight--;
	if (lp->draining && lp->inflight == 0)
		event_base_loopexit(lp->base, NULL);
}

/* evhttp closes the connection after this reply (evhttp_is_connection_close). */
static bool reply_closes(struct evhttp_request *ev)
{
	const char *in = evhttp_find_header(evhttp_request_get_input_headers(ev), "Connection");
	const char *out = evhttp_find_header(evhttp_request_get_output_headers(ev), "Connection");

	if ((in != NULL && evutil_ascii_strcasecmp(in, "close") == 0) ||
	    (out != NULL && evutil_ascii_strcasecmp(out, "close") == 0))
		return true;
	return ev->major == 1 && ev->minor == 0 &&
	       (in == NULL || evutil_ascii_strcasecmp(in, "keep-alive") != 0);
}

/* evhttp wrote the whole reply: only now may a draining loop exit, and
 * the next request's deadline on a kept-alive connection starts. */
static void reply_sent(struct evhttp_request *ev, void *arg)
{
	struct loop *lp = arg;

	conns_reply_sent(&lp->conns, evhttp_request_get_connection(ev), reply_closes(ev));
	loop_request_done(lp);
}

static void job_finish(struct server_job *sj)
{
	struct loop *lp = sj->loop;
	/* a request whose client hung up is freed by evhttp_send_reply at once */
	bool tracked = evhttp_request_get_connection(sj->ev) != NULL;

	if (tracked)
		evhttp_request_set_on_complete_cb(sj->ev, reply_sent, lp);
	evreq_reply(sj->ev, &sj->req, lp->srv->cfg);
	if (sj->after_fn != NULL) {
		if (lp->srv->pool.w != NULL)
			workers_push_after(&lp->srv->pool, sj->after_fn, sj->after_data);
		else /* the workers are gone (server_free) */
			sj->after_fn(NULL, sj->after_data);
	}
	req_release(&sj->req);
	if (sj->fd >= 0)
		close(sj->fd);
	free(sj);
	if (!tracked)
		loop_request_done(lp);
}

/* ---- worker side ---- */

static void job_run(struct job *job, struct worker *w)
{
	struct server_job *sj = (struct server_job *)job;

	if (peer_gone(sj->fd, sj->http11)) { /* nobody waits for the answer: skip the work */
		sj->req.client_gone = true;
		req_fail(&sj->req, 503, "Client went away");
		return;
	}
	sj->loop->srv->calls.run(&sj->req, w);
	sj->after_fn = w->after_fn; /* the reply goes first */
	sj->after_data = w->after_data;
	w->after_fn = NULL;
}

static void job_done(struct job *job)
{
	struct server_job *sj = (struct server_job *)job;
	struct loop *lp = sj->loop;

	pthread_mutex_lock(&lp->done_mu);
	sj->next_done = lp->done_head;
	lp->done_head = sj;
	pthread_mutex_unlock(&lp->done_mu);
	event_active(lp->done_ev, EV_READ, 0);
}

static void done_drain(evutil_socket_t fd, short what, void *arg)
{
	struct loop *lp = arg;
	struct server_job *list, *next;

	(void)fd;
	(void)what;
	pthread_mutex_lock(&lp->done_mu);
	list = lp->done_head;
	lp->done_head = NULL;
	pthread_mutex_unlock(&lp->done_mu);
	for (; list != NULL; list = next) {
		next = list->next_done;
		job_finish(list);
	}
}

/* ---- loop side: copy the request ---- */

static void reply_now(struct server_job *sj)
{
	job_finish(sj);
}

/* The request is complete: the connection's deadline stops here, before
 * any reply is started (a deadline during the reply would free the
 * connection under it). The verdict is for connection_refused. */
static enum conn_verdict connection_check(struct loop *lp, struct evhttp_request *ev)
{
	struct timeval tv;

	event_base_gettimeofday_cached(lp->base, &tv);
	return conns_request(&lp->conns, evhttp_request_get_connection(ev),
			     (double)tv.tv_sec + tv.tv_usec / 1e6);
}

/* max_connections and connection_rate: true when req got its refusal. */
static bool connection_refused(enum conn_verdict verdict, struct authsvc_req *req)
{
	switch (verdict) {
	case CONN_TOO_MANY:
		req->retry_after = 1;
		req->close_connection = true;
		req_fail(req, 503, "Too many connections");
		return true;
	case CONN_TOO_FAST:
		req->retry_after = 1;
		req_fail(req, 429, "Too many requests on this connection");
		return true;
	default:
		return false;
	}
}

static void on_request(struct evhttp_request *ev, void *arg)
{
	struct loop *lp = arg;
	struct server *srv = lp->srv;
	struct server_job *sj = calloc(1, sizeof(*sj));
	struct authsvc_req *req;
	const char *msg = NULL;
	char text[160];
	int rc;
	enum conn_verdict verdict = connection_check(lp, ev);

	if (sj == NULL) {
		evhttp_send_reply(ev, 503, "Service Unavailable", NULL);
		return;
	}
	sj->fd = -1;
	lp->inflight++;
	sj->loop = lp;
	sj->ev = ev;
	sj->job.run = job_run;
	sj->job.done = job_done;
	req = &sj->req;
	req_init(req, srv->app);
	tokens_random_hex(req->id, 8);
	rc = evreq_copy(ev, req);
	if (rc != 0) {
		req_fail(req, rc, rc == 431 ? "Too many headers" : "Malformed request URI");
		reply_now(sj);
		return;
	}
	rc = evreq_framing(req, &msg);
	if (rc != 0) { /* and close: the rest of the stream is not a request */
		req->close_connection = true;
		req_fail(req, rc, msg);
		reply_now(sj);
		return;
	}
	if (connection_refused(verdict, req)) {
		reply_now(sj);
		return;
	}
	if (lp->draining) {
		req->retry_after = 1;
		req_fail(req, 503, "Server is shutting down");
		reply_now(sj);
		return;
	}
	if (req->method == M_OPTIONS && req_header(req, "Access-Control-Request-Method") != NULL &&
	    router_path_known(srv->router, req->path)) {
		req->cors_preflight = true; /* answered on the loop, no handler */
		req_reply_empty(req, 204);
		reply_now(sj);
		return;
	}
	if (req->method == M_OTHER) {
		req_fail(req, 405, "Method not allowed");
		reply_now(sj);
		return;
	}
	req->route = router_match(srv->router, req);
	if (req->route == NULL) {
		snprintf(text, sizeof(text), "Endpoint \"%s %.100s\" not found",
			 http_method_name(req->method), req->path);
		req_fail(req, 404, text);
		reply_now(sj);
		return;
	}
	rc = evreq_body(ev, req, srv->cfg->max_body_bytes, &msg);
	if (rc != 0) {
		req_fail(req, rc, msg);
		reply_now(sj);
		return;
	}
	if (!srv->calls.front(req)) {
		reply_now(sj);
		return;
	}
	if (req->route->flags & ROUTE_ON_LOOP) {
		srv->calls.run(req, NULL);
		reply_now(sj);
		return;
	}
	{
		struct evhttp_connection *conn = evhttp_request_get_connection(ev);
		struct bufferevent *bev = conn ? evhttp_connection_get_bufferevent(conn) : NULL;

		evutil_socket_t fd = bev ? bufferevent_getfd(bev) : -1;

		sj->fd = fd >= 0 ? fcntl(fd, F_DUPFD_CLOEXEC, 0) : -1;
		sj->http11 = ev->major > 1 || (ev->major == 1 && ev->minor >= 1);
	}
	if (!workers_push(&srv->pool, &sj->job)) {
		req->retry_after = 1;
		req_fail(req, 503, "Server busy, retry later");
		reply_now(sj);
	}
}

/* ---- signals and draining ---- */

static void drain_timeout(evutil_socket_t fd, short what, void *arg)
{
	struct loop *lp = arg;

	(void)fd;
	(void)what;
	log_warn("drain timeout, exiting loop=%d inflight=%ld", lp->index, lp->inflight);
	event_base_loopexit(lp->base, NULL);
}

/* On each loop's own thread: stop accepting, exit once in-flight work is done. */
static void loop_drain(evutil_socket_t fd, short what, void *arg)
{
	struct loop *lp = arg;
	struct timeval tv = {lp->srv->cfg->drain_timeout_s, 0};

	(void)fd;
	(void)what;
	if (lp->draining)
		return;
	lp->draining = 1;
	log_info("draining loop=%d inflight=%ld", lp->index, lp->inflight);
	if (lp->sock != NULL) {
		evhttp_del_accept_socket(lp->http, lp->sock);
		lp->sock = NULL;
	}
	if (lp->inflight == 0) {
		event_base_loopexit(lp->base, NULL);
		return;
	}
	lp->drain_timer = evtimer_new(lp->base, drain_timeout, lp);
	if (lp->drain_timer != NULL)
		evtimer_add(lp->drain_timer, &tv);
}

static void on_signal(evutil_socket_t sig, short what, void *arg)
{
	struct server *srv = arg;

	(void)what;
	if (srv->draining)
		return;
	srv->draining = 1;
	log_info("shutting down signal=%d loops=%d", (int)sig, srv->nloops);
	for (int i = 0; i < srv->nloops; i++)
		event_active(srv->loops[i].drain_ev, EV_READ, 0);
}

static int split_listen(const char *listen, char *host, size_t hostsz, char *port, size_t portsz)
{
	const char *colon = strrchr(listen, ':');
	char *end;
	long p;

	if (colon == NULL || (size_t)(colon - listen) >= hostsz)
		return -1;
	p = strtol(colon + 1, &end, 10);
	if (*end != '\0' || colon[1] == '\0' || p < 0 || p > 65535)
		return -1;
	memcpy(host, listen, (size_t)(colon - listen));
	host[colon - listen] = '\0';
	if (host[0] == '[') { /* [::1]:3000 */
		size_t l = strlen(host);

		if (l < 2 || host[l - 1] != ']')
			return -1;
		memmove(host, host + 1, l - 2);
		host[l - 2] = '\0';
	}
	snprintf(port, portsz, "%ld", p);
	return 0;
}

/* ---- accepting ---- */

/* The loop this thread runs: the listener's error callback gets evhttp's
 * argument (the struct evhttp), not ours. */
static _Thread_local struct loop *this_loop;

static double loop_now(struct loop *lp)
{
	struct timeval tv;

	event_base_gettimeofday_cached(lp->base, &tv);
	return (double)tv.tv_sec + tv.tv_usec / 1e6;
}

static void accept_resume(struct loop *lp)
{
	struct evconnlistener *lev;

	if (!lp->accept_paused || lp->sock == NULL || lp->draining)
		return;
	lev = evhttp_bound_socket_get_listener(lp->sock);
	lp->accept_paused = false;
	evtimer_del(lp->accept_timer);
	if (lev != NULL)
		evconnlistener_enable(lev);
}

static void accept_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	accept_resume(arg);
}

/* A connection closed: a descriptor is free again. */
static void conn_closed(void *arg)
{
	accept_resume(arg);
}

/*
 * accept() failed with other than a retriable error: EMFILE, ENFILE,
 * ENOBUFS, ENOMEM. libevent's listener would report it and try again at
 * once, for ever, while the connection stays in the backlog (a busy loop
 * writing one log line per attempt). Instead stop listening for 200 ms,
 * or until one of our connections closes, and log once per 10 s.
 */
static void on_accept_error(struct evconnlistener *lev, void *arg)
{
	struct loop *lp = this_loop;
	int e = errno;
	struct timeval tv = {0, 200 * 1000};
	unsigned long suppressed;

	if (lp == NULL || lp->http != arg) /* not a loop thread: cannot happen */
		return;
	evconnlistener_disable(lev);
	lp->accept_paused = true;
	evtimer_add(lp->accept_timer, &tv);
	if (log_limit_allow(&lp->accept_log, loop_now(lp), 10, &suppressed))
		log_warn("accept failed, pausing accepts loop=%d open=%zu error=\"%s\" "
			 "suppressed=%lu",
			 lp->index, conns_count(&lp->conns), strerror(e), suppressed);
}

/* evhttp_set_bevcb: the bufferevent of a connection evhttp just accepted. */
static struct bufferevent *on_accept_bev(struct event_base *base, void *arg)
{
	struct loop *lp = arg;

	(void)base;
	return conns_accept(&lp->conns);
}

/*
 * The soft limit on open descriptors is often 1024 while the hard limit
 * is far higher; every connection takes one. Raise the soft limit to the
 * hard one (as nginx's worker_rlimit_nofile does) and say what it is.
 */
static void raise_nofile(const struct config *cfg)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
		return;
	if (rl.rlim_cur < rl.rlim_max) {
		struct rlimit want = {rl.rlim_max, rl.rlim_max};

		if (setrlimit(RLIMIT_NOFILE, &want) == 0)
			rl = want;
	}
	log_info("open files limit=%llu", (unsigned long long)rl.rlim_cur);
	/* room for the listeners, the database and files besides connections */
	if (cfg->max_connections > 0 && rl.rlim_cur != RLIM_INFINITY &&
	    (unsigned long long)cfg->max_connections + 64 + 2ull * (unsigned)cfg->workers >
		(unsigned long long)rl.rlim_cur)
		log_warn("max_connections does not fit under the open files limit (raise "
			 "LimitNOFILE or lower max_connections) max_connections=%d limit=%llu",
			 cfg->max_connections, (unsigned long long)rl.rlim_cur);
}

/* A listening socket that other loops may share (SO_REUSEPORT). */
static evutil_socket_t listen_socket(const struct addrinfo *ai, struct err *err)
{
	evutil_socket_t fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
	int one = 1;

	if (fd < 0)
		return err_set(err, 0, "socket: %s", strerror(errno));
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) < 0 ||
	    bind(fd, ai->ai_addr, ai->ai_addrlen) < 0 || listen(fd, 1024) < 0 ||
	    evutil_make_socket_nonblocking(fd) < 0 || evutil_make_socket_closeonexec(fd) < 0) {
		err_set(err, 0, "%s", strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

/*
 * epoll changes are collected and handed to the kernel with the next
 * epoll_wait: a keep-alive connection's write interest, on for a reply
 * and off after it, costs one epoll_ctl instead of two. (The changelist's
 * caveat, dup()ed descriptors, does not apply: evhttp owns its sockets.)
 *
 * A deferred change can name a number that was closed and reused by another
 * thread (another loop's accept, a worker's PostgreSQL socket) before it is
 * applied. That change is always an EPOLL_CTL_DEL, which fails with ENOENT
 * and is ignored: the op is ADD or MOD (and libevent 2.1 retries a MOD
 * failing with ENOENT as ADD) only while an event on the fd is still added,
 * and libevent's evhttp, bufferevent and listener code deletes a socket's
 * events before closing it. Nothing here puts a descriptor of its own on a
 * loop, so nothing closes one with an event still added; keep it so, or
 * drop this flag. docs/reliability.md has the argument in full, and
 * tests/tsan.supp suppresses the DEL reports this leaves.
 */
static struct event_base *loop_base_new(void)
{
	struct event_config *ec = event_config_new();
	struct event_base *base;

	if (ec == NULL)
		return event_base_new();
	event_config_set_flag(ec, EVENT_BASE_FLAG_EPOLL_USE_CHANGELIST);
	base = event_base_new_with_config(ec);
	event_config_free(ec);
	return base != NULL ? base : event_base_new();
}
static int loop_init(struct server *srv, struct loop *lp, int index, const struct addrinfo *ai,
		     struct err *err)
{
	const struct config *cfg = srv->cfg;
	evutil_socket_t fd;
	struct conn_limits lim = {
	    .max = cfg->max_connections
		       ? (size_t)(cfg->max_connections + cfg->loops - 1) / (size_t)cfg->loops
		       : 0,
	    .rate = cfg->connection_rate,
	    .header_s = cfg->header_timeout_s,
	    .body_s = cfg->body_timeout_s,
	    .idle_s = cfg->timeout_s,
	};

	lp->srv = srv;
	lp->index = index;
	pthread_mutex_init(&lp->done_mu, NULL);
	lp->base = loop_base_new();
	lp->http = lp->base ? evhttp_new(lp->base) : NULL;
	if (lp->http == NULL)
		return err_set(err, 0, "cannot create event loop");
	if (conns_init(&lp->conns, lp->base, &lim) < 0)
		return err_set(err, 0, "out of memory");
	lp->conns.closed = conn_closed;
	lp->conns.closed_arg = lp;
	/* connections are counted and timed from accept (http/conns.c); the
	 * guard (http/guard.h) answers malformed framing, a body over the limit
	 * and an oversize head with the JSON envelope before evhttp reads them,
	 * so evhttp's own limits below are a second line that is not reached */
	body_guard_init(cfg->max_body_bytes, (size_t)cfg->max_header_bytes);
	evhttp_set_bevcb(lp->http, on_accept_bev, lp);
	evhttp_set_max_body_size(lp->http, (ev_ssize_t)(cfg->max_body_bytes * 4 + 4096));
	evhttp_set_max_headers_size(lp->http, (ev_ssize_t)cfg->max_header_bytes);
	evhttp_set_timeout(lp->http, cfg->timeout_s);
	/* every method reaches us, so unknown ones get the JSON envelope too */
	evhttp_set_allowed_methods(lp->http, 0xffff);
	evhttp_set_gencb(lp->http, on_request, lp);
	fd = listen_socket(ai, err);
	if (fd < 0)
		return err_set(err, 0, "cannot listen on %s: %s", cfg->listen, err->msg);
	lp->sock = evhttp_accept_socket_with_handle(lp->http, fd);
	if (lp->sock == NULL) {
		close(fd);
		return err_set(err, 0, "cannot listen on %s", cfg->listen);
	}
	lp->accept_timer = evtimer_new(lp->base, accept_timer_cb, lp);
	if (lp->accept_timer == NULL)
		return err_set(err, 0, "cannot set up events");
	evconnlistener_set_error_cb(evhttp_bound_socket_get_listener(lp->sock), on_accept_error);
	lp->done_ev = event_new(lp->base, -1, EV_PERSIST | EV_READ, done_drain, lp);
	lp->drain_ev = event_new(lp->base, -1, EV_PERSIST | EV_READ, loop_drain, lp);
	if (lp->done_ev == NULL || lp->drain_ev == NULL || event_add(lp->done_ev, NULL) < 0 ||
	    event_add(lp->drain_ev, NULL) < 0)
		return err_set(err, 0, "cannot set up events");
	return 0;
}

struct server *server_new(const struct config *cfg, const struct router *router, struct app *app,
			  const struct server_calls *calls, struct err *err)
{
	struct server *srv = calloc(1, sizeof(*srv));
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM, .ai_flags = AI_PASSIVE}, *ai = NULL;
	char host[256], port[8];
	int rc;

	if (srv == NULL) {
		err_set(err, 0, "out of memory");
		return NULL;
	}
	srv->cfg = cfg;
	srv->router = router;
	srv->app = app;
	srv->calls = *calls;
	if (split_listen(cfg->listen, host, sizeof(host), port, sizeof(port)) < 0) {
		err_set(err, 0, "listen: expected HOST:PORT, got %s", cfg->listen);
		goto fail;
	}
	rc = getaddrinfo(host[0] ? host : NULL, port, &hints, &ai);
	if (rc != 0) {
		err_set(err, 0, "listen: %s: %s", cfg->listen, gai_strerror(rc));
		goto fail;
	}
	evthread_use_pthreads();
	raise_nofile(cfg);
	srv->loops = calloc((size_t)cfg->loops, sizeof(*srv->loops));
	if (srv->loops == NULL) {
		err_set(err, 0, "out of memory");
		goto fail;
	}
	for (int i = 0; i < cfg->loops; i++) {
		srv->nloops = i + 1;
		if (loop_init(srv, &srv->loops[i], i, ai, err) < 0)
			goto fail;
	}
	freeaddrinfo(ai);
	ai = NULL;
	srv->sigterm = evsignal_new(srv->loops[0].base, SIGTERM, on_signal, srv);
	srv->sigint = evsignal_new(srv->loops[0].base, SIGINT, on_signal, srv);
	if (srv->sigterm == NULL || srv->sigint == NULL || evsignal_add(srv->sigterm, NULL) < 0 ||
	    evsignal_add(srv->sigint, NULL) < 0) {
		err_set(err, 0, "cannot set up signals");
		goto fail;
	}
	if (workers_start(&srv->pool, app, cfg, cfg->workers, cfg->queue_max, &calls->workers,
			  err) < 0)
		goto fail;
	log_info("listening addr=%s loops=%d workers=%d", cfg->listen, cfg->loops, cfg->workers);
	return srv;
fail:
	if (ai != NULL)
		freeaddrinfo(ai);
	server_free(srv);
	return NULL;
}

static void *loop_main(void *arg)
{
	struct loop *lp = arg;

	this_loop = lp;
	event_base_dispatch(lp->base);
	return NULL;
}

int server_run(struct server *srv)
{
	for (int i = 1; i < srv->nloops; i++) {
		if (pthread_create(&srv->loops[i].thread, NULL, loop_main, &srv->loops[i]) != 0) {
			log_error("cannot start loop thread loop=%d", i);
			return 1;
		}
		srv->loops[i].started = 1;
	}
	this_loop = &srv->loops[0];
	event_base_dispatch(srv->loops[0].base);
	this_loop = NULL;
	for (int i = 1; i < srv->nloops; i++) {
		if (srv->loops[i].started)
			pthread_join(srv->loops[i].thread, NULL);
		srv->loops[i].started = 0;
	}
	return 0;
}

static void loop_release(struct loop *lp)
{
	if (lp->drain_timer != NULL)
		event_free(lp->drain_timer);
	if (lp->done_ev != NULL)
		event_free(lp->done_ev);
	if (lp->drain_ev != NULL)
		event_free(lp->drain_ev);
	if (lp->accept_timer != NULL)
		event_free(lp->accept_timer);
	lp->conns.closed = NULL; /* nothing to resume any more */
	if (lp->http != NULL)
		evhttp_free(lp->http);
	/* after evhttp_free (its close callbacks use it), before the base goes */
	conns_release(&lp->conns);
	if (lp->base != NULL)
		event_base_free(lp->base);
	pthread_mutex_destroy(&lp->done_mu);
}

void server_free(struct server *srv)
{
	if (srv == NULL)
		return;
	if (srv->pool.w != NULL) {
		workers_stop(&srv->pool);
		for (int i = 0; i < srv->nloops; i++)
			done_drain(-1, 0, &srv->loops[i]); /* jobs finished while stopping */
	}
	if (srv->sigterm != NULL)
		event_free(srv->sigterm);
	if (srv->sigint != NULL)
		event_free(srv->sigint);
	for (int i = 0; i < srv->nloops; i++)
		loop_release(&srv->loops[i]);
	free(srv->loops);
	free(srv);
}
