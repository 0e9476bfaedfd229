/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The worker pool: a fixed set of threads that run blocking handlers
 * (database, password hashing, outbound calls), each owning its own
 * PostgreSQL connection and one per-worker state per plugin.
 *
 * The loop thread pushes jobs into a bounded queue (workers_push fails
 * when it is full: answer 503 + Retry-After). A worker runs job->run(job)
 * and then job->done(job) — the latter hands the job back to the loop
 * thread; workers never call evhttp.
 *
 * The pool only runs threads: what a worker owns besides (its database
 * connection, the plugins' per-worker state) is set up and torn down by
 * the thread callbacks the app hands to workers_start, so http/ calls
 * nothing above itself.
 */
#ifndef AUTHSVC_HTTP_WORKERS_H
#define AUTHSVC_HTTP_WORKERS_H

#include <pthread.h>
#include <stdbool.h>

#include "store/db.h"
#include "util/err.h"

struct app;
struct config;
struct workers;
struct worker;

/* Work left for after a reply; w is NULL when it cannot run (the server
 * is stopping): then fn only frees data. */
typedef void (*worker_after_fn)(struct worker *w, void *data);

struct worker {
	struct workers *pool;
	pthread_t thread;
	int index;
	struct db db;
	void **tstates; /* one per loaded plugin, from thread_init */
	/* work the current job left for after its reply (worker_after_reply) */
	worker_after_fn after_fn; /* left by the current job (worker_after_reply) */
	void *after_data;
};

/* Run on each worker's own thread: start before its first job, stop after
 * its last (the pool still closes w->db after stop). Either may be NULL. */
struct worker_calls {
	void (*start)(struct worker *w);
	void (*stop)(struct worker *w);
};

struct job {
	void (*run)(struct job *job, struct worker *w);
	void (*done)(struct job *job);
	struct job *next;
	uint64_t queued_ns; /* when it was queued (metrics on), for the queue wait */
};

struct workers {
	struct app *app;	  /* opaque here: for the callbacks and the jobs */
	const struct config *cfg; /* worker_nice, worker_sched */
	struct worker *w;
	int n;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct job *head, *tail;
	int queued, max_queued;
	bool stopping;
	struct worker_calls calls;
};

/* cfg is borrowed; calls (may be NULL: none) is copied. */
int workers_start(struct workers *p, struct app *app, const struct config *cfg, int n,
		  int max_queued, const struct worker_calls *calls, struct err *err);
/* false when the queue is full or the pool is stopping. Loop thread. */
bool workers_push(struct workers *p, struct job *job);
/*
 * Work a handler leaves for after its reply, so that the reply's time does
 * not carry it (e.g. whether a user exists). The job takes it over
 * (server.c); once the reply is handed to evhttp, the loop queues it with
 * workers_push_after and a worker runs it with its database connection.
 * It has no request: data carries what it needs; fn frees it. One per
 * job (a second one runs at once). Worker thread.
 */
void worker_after_reply(struct worker *w, worker_after_fn fn, void *data);
/* Queue after-work; it does not count against queue_max (its request was
 * already accepted). Refused only while stopping: fn(NULL, data). */
void workers_push_after(struct workers *p, worker_after_fn fn, void *data);

/* Finish queued jobs, join every thread, close connections. */
void workers_stop(struct workers *p);

#endif
