/* SPDX-License-Identifier: Apache-2.0 */
#include "http/server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
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
#include "config/reload.h"
#include "http/body.h"
#include "http/conns.h"
#include "http/evreq.h"
#include "http/guard.h"
#include "http/listen.h"
#include "http/metrics_listener.h"
#include "http/peer.h"
#include "http/request.h"
#include "http/router.h"
#include "http/workers.h"
#include "log/log.h"
#include "tokens/opaque.h"
#include "util/metrics.h"

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
	uint64_t t0_ns; /* arrival, for the latency histogram (metrics on) */
};

/* One event loop with its own listening socket (SO_REUSEPORT): the kernel
 * spreads connections over the loops, each loop owns its connections. No
 * other process shares them (http/listen.h). */
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
	struct conns conns;	  /* connection count and request rates */
	struct config_snap *snap; /* this loop's reference to the current configuration */
	struct event *reload_ev;  /* adopt srv->snap (after a SIGHUP) */
	unsigned gen;		  /* generation of snap, under srv->snap_mu */
	long inflight;		  /* this loop's thread only */
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
	struct event *sigterm, *sigint, *sighup; /* on loops[0] */
	struct config_snap *snap;		 /* the current configuration, under snap_mu */
	unsigned gen;				 /* its generation: 0 at start, +1 per reload */
	pthread_mutex_t snap_mu;
	struct workers pool;
	struct metrics_listener *metrics; /* NULL: metrics.enabled = false */
	/* Server-wide, read by every loop: a draining loop keeps answering its
	 * connections (503) until no loop has a request in flight, then every
	 * loop exits at once, so a connection that an idle loop accepted just
	 * before the drain gets an answer instead of waiting on a stopped loop. */
	atomic_long inflight;
	atomic_int draining;
};

/* Any thread: ends every loop (event_base_loopexit is thread-safe). */
static void server_exit_loops(struct server *srv)
{
	for (int i = 0; i < srv->nloops; i++)
		event_base_loopexit(srv->loops[i].base, NULL);
}

/* The last request in flight anywhere is done: a draining server exits.
 * Both this and loop_drain write one counter and then read the other
 * (sequentially consistent), so at least one of them sees both. */
static void loop_request_done(struct loop *lp)
{
	struct server *srv = lp->srv;

	lp->inflight--;
	if (atomic_fetch_sub(&srv->inflight, 1) == 1 && atomic_load(&srv->draining))
		server_exit_loops(srv);
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

/* The metrics id of a route: its index in the router's table + 1, the
 * order the app labelled them in (app/app.c); 0 ("other") for none. */
static int route_metric_id(const struct server *srv, const struct route *rt)
{
	if (rt == NULL || rt < srv->router->routes || rt >= srv->router->routes + srv->router->n)
		return 0;
	return (int)(rt - srv->router->routes) + 1;
}

static void job_finish(struct server_job *sj)
{
	struct loop *lp = sj->loop;
	/* a request whose client hung up is freed by evhttp_send_reply at once */
	bool tracked = evhttp_request_get_connection(sj->ev) != NULL;

	if (tracked)
		evhttp_request_set_on_complete_cb(sj->ev, reply_sent, lp);
	evreq_reply(sj->ev, &sj->req, sj->req.cfg != NULL ? sj->req.cfg : lp->srv->cfg);
	if (sj->t0_ns != 0)
		metrics_request(route_metric_id(lp->srv, sj->req.route), sj->req.status,
				metrics_now_ns() - sj->t0_ns);
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
	if (metrics_enabled())
		sj->t0_ns = metrics_now_ns();
	lp->inflight++;
	atomic_fetch_add(&srv->inflight, 1);
	sj->loop = lp;
	sj->ev = ev;
	sj->job.run = job_run;
	sj->job.done = job_done;
	req = &sj->req;
	req_init(req, srv->app);
	req->snap = config_snap_ref(lp->snap); /* read once: the request's whole life */
	req->cfg = config_snap_cfg(req->snap);
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
		req->close_connection = true;
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
	server_exit_loops(lp->srv);
}

/* On each loop's own thread: stop accepting; the loops exit together once
 * no loop has work in flight (loop_request_done), or at the drain timeout. */
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
	if (atomic_load(&lp->srv->inflight) == 0) {
		server_exit_loops(lp->srv);
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
	if (atomic_exchange(&srv->draining, 1))
		return;
	log_info("shutting down signal=%d loops=%d", (int)sig, srv->nloops);
	for (int i = 0; i < srv->nloops; i++)
		event_active(srv->loops[i].drain_ev, EV_READ, 0);
}

/* ---- SIGHUP: a new configuration ---- */

/* On each loop's own thread: take a reference to the current snapshot,
 * drop the one held until now (freed once its last request is done). The
 * last loop to adopt a generation reports the reload as done: from then on
 * every new request runs under it. */
static void loop_adopt(evutil_socket_t fd, short what, void *arg)
{
	struct loop *lp = arg;
	struct server *srv = lp->srv;
	struct config_snap *old = lp->snap;
	bool all = true, fresh;
	unsigned gen;

	(void)fd;
	(void)what;
	pthread_mutex_lock(&srv->snap_mu);
	fresh = lp->gen != srv->gen;
	lp->snap = config_snap_ref(srv->snap);
	lp->gen = gen = srv->gen;
	for (int i = 0; i < srv->nloops; i++)
		all = all && srv->loops[i].gen == gen;
	pthread_mutex_unlock(&srv->snap_mu);
	config_snap_unref(old);
	if (fresh && all) {
		metrics_reload(true);
		log_info("config reloaded generation=%u loops=%d", gen, srv->nloops);
	}
}

static void on_hup(evutil_socket_t sig, short what, void *arg)
{
	struct server *srv = arg;
	struct config_snap *next, *old;

	(void)sig;
	(void)what;
	if (srv->draining || srv->calls.reload == NULL)
		return;
	log_info("reloading configuration signal=SIGHUP");
	next = srv->calls.reload(srv->app);
	if (next == NULL)
		return;
	pthread_mutex_lock(&srv->snap_mu);
	old = srv->snap;
	srv->snap = next;
	srv->gen++;
	pthread_mutex_unlock(&srv->snap_mu);
	config_snap_unref(old);
	for (int i = 0; i < srv->nloops; i++)
		event_active(srv->loops[i].reload_ev, EV_READ, 0);
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
		log_warn("accept failed, pausing accepts loop=%d open=%zu error=%s suppressed=%lu",
			 lp->index, conns_count(&lp->conns), LOG_Q(strerrordesc_np(e)), suppressed);
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
	fd = http_listen_socket(ai, cfg->listen, err);
	if (fd < 0)
		return -1;
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
	lp->reload_ev = event_new(lp->base, -1, EV_PERSIST | EV_READ, loop_adopt, lp);
	if (lp->done_ev == NULL || lp->drain_ev == NULL || lp->reload_ev == NULL ||
	    event_add(lp->done_ev, NULL) < 0 || event_add(lp->drain_ev, NULL) < 0 ||
	    event_add(lp->reload_ev, NULL) < 0)
		return err_set(err, 0, "cannot set up events");
	lp->snap = config_snap_ref(srv->snap);
	return 0;
}

/* Another process that bound the address between the probe and our own
 * binds (a second instance started at the same moment) shares the group:
 * refuse to serve rather than split the traffic with it. */
static int listeners_only_ours(const struct server *srv, const struct addrinfo *ai, struct err *err)
{
	int fds[64], n = 0;

	for (int i = 0; i < srv->nloops && n < 64; i++)
		fds[n++] = (int)evhttp_bound_socket_get_fd(srv->loops[i].sock);
	return http_listen_only_ours(ai, srv->cfg->listen, fds, n, err);
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
	pthread_mutex_init(&srv->snap_mu, NULL);
	srv->snap = config_snap_borrow(cfg);
	if (srv->snap == NULL) {
		err_set(err, 0, "out of memory");
		goto fail;
	}
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
	/* refuse an address another process listens on, before joining it */
	if (http_listen_probe(ai, cfg->listen, err) < 0)
		goto fail;
	for (int i = 0; i < cfg->loops; i++) {
		srv->nloops = i + 1;
		if (loop_init(srv, &srv->loops[i], i, ai, err) < 0)
			goto fail;
	}
	if (listeners_only_ours(srv, ai, err) < 0)
		goto fail;
	freeaddrinfo(ai);
	ai = NULL;
	srv->sigterm = evsignal_new(srv->loops[0].base, SIGTERM, on_signal, srv);
	srv->sigint = evsignal_new(srv->loops[0].base, SIGINT, on_signal, srv);
	srv->sighup = evsignal_new(srv->loops[0].base, SIGHUP, on_hup, srv);
	if (srv->sigterm == NULL || srv->sigint == NULL || srv->sighup == NULL ||
	    evsignal_add(srv->sigterm, NULL) < 0 || evsignal_add(srv->sigint, NULL) < 0 ||
	    evsignal_add(srv->sighup, NULL) < 0) {
		err_set(err, 0, "cannot set up signals");
		goto fail;
	}
	if (workers_start(&srv->pool, app, cfg, cfg->workers, cfg->queue_max, &calls->workers,
			  err) < 0)
		goto fail;
	if (cfg->metrics_enabled) {
		srv->metrics = metrics_listener_start(cfg->metrics_listen, err);
		if (srv->metrics == NULL)
			goto fail;
	}
	log_info("listening addr=%s loops=%d workers=%d", LOG_Q(cfg->listen), cfg->loops,
		 cfg->workers);
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
	if (lp->reload_ev != NULL)
		event_free(lp->reload_ev);
	if (lp->accept_timer != NULL)
		event_free(lp->accept_timer);
	lp->conns.closed = NULL; /* nothing to resume any more */
	if (lp->http != NULL)
		evhttp_free(lp->http);
	/* after evhttp_free (its close callbacks use it), before the base goes */
	conns_release(&lp->conns);
	if (lp->base != NULL)
		event_base_free(lp->base);
	config_snap_unref(lp->snap);
	pthread_mutex_destroy(&lp->done_mu);
}

void server_free(struct server *srv)
{
	if (srv == NULL)
		return;
	metrics_listener_stop(srv->metrics);
	if (srv->pool.w != NULL) {
		workers_stop(&srv->pool);
		for (int i = 0; i < srv->nloops; i++)
			done_drain(-1, 0, &srv->loops[i]); /* jobs finished while stopping */
	}
	if (srv->sigterm != NULL)
		event_free(srv->sigterm);
	if (srv->sigint != NULL)
		event_free(srv->sigint);
	if (srv->sighup != NULL)
		event_free(srv->sighup);
	for (int i = 0; i < srv->nloops; i++)
		loop_release(&srv->loops[i]);
	free(srv->loops);
	config_snap_unref(srv->snap);
	pthread_mutex_destroy(&srv->snap_mu);
	free(srv);
}
