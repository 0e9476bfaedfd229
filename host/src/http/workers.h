/*
 * The worker pool: a fixed set of threads that run blocking handlers
 * (database, password hashing, outbound calls), each owning its own
 * PostgreSQL connection and one per-worker state per plugin.
 *
 * The loop thread pushes jobs into a bounded queue (workers_push fails
 * when it is full: answer 503 + Retry-After). A worker runs job->run(job)
 * and then job->done(job) — the latter hands the job back to the loop
 * thread; workers never call evhttp.
 */
#ifndef AUTHSVC_HTTP_WORKERS_H
#define AUTHSVC_HTTP_WORKERS_H

#include <pthread.h>
#include <semaphore.h>
#include <stdbool.h>

#include "store/db.h"
#include "util/err.h"

struct app;
struct workers;

struct worker {
	struct workers *pool;
	pthread_t thread;
	int index;
	struct db db;
	void **tstates; /* one per loaded plugin, from thread_init */
	/* work the current job left for after its reply (worker_after_reply) */
	void (*after_fn)(struct worker *w, void *data);
	void *after_data;
	sem_t replied; /* posted by the loop once that job's reply is out */
};

struct job {
	void (*run)(struct job *job, struct worker *w);
	void (*done)(struct job *job);
	struct job *next;
};

struct workers {
	struct app *app;
	struct worker *w;
	int n;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct job *head, *tail;
	int queued, max_queued;
	bool stopping;
};

int workers_start(struct workers *p, struct app *app, int n, int max_queued, struct err *err);
/* false when the queue is full or the pool is stopping. Loop thread. */
bool workers_push(struct workers *p, struct job *job);
/*
 * Work a handler leaves for after its reply, so that the reply's timing
 * does not depend on it (e.g. whether a user exists). It runs on the same
 * worker, with its database connection, once the reply has been handed to
 * the loop thread and written out (worker_reply_sent; at most 250 ms
 * waited for that); it has no request: data carries what it needs and fn
 * frees it. One per job (a second one runs at once). Worker thread.
 */
void worker_after_reply(struct worker *w, void (*fn)(struct worker *w, void *data), void *data);
/* Loop thread: the reply of w's job with after-work has been sent. */
void worker_reply_sent(struct worker *w);

/* Finish queued jobs, join every thread, close connections. */
void workers_stop(struct workers *p);

#endif
