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
/* Finish queued jobs, join every thread, close connections. */
void workers_stop(struct workers *p);

#endif
