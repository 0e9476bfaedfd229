/* SPDX-License-Identifier: Apache-2.0 */
#include "http/workers.h"

#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <unistd.h>
#include <string.h>

#include "config/config.h"
#include "log/log.h"
#include "util/metrics.h"

/* Workers run bulk work (password hashing, signing, database round trips);
 * the loops answer cheap requests and must stay responsive under a login
 * storm, so workers yield the CPU to them when both want it: worker_nice
 * (19 by default) and, with worker_sched "idle" (the default), the
 * SCHED_IDLE class, whose threads any other thread that wakes up preempts
 * at once. */
static void set_priority(const struct worker *w, const struct config *cfg)
{
	struct sched_param sp = {0};

	if (setpriority(PRIO_PROCESS, (id_t)gettid(), cfg->worker_nice) < 0)
		log_warn("worker_nice %d not applied (process nice above it?) worker=%d",
			 cfg->worker_nice, w->index);
	if (cfg->worker_sched_idle && pthread_setschedparam(pthread_self(), SCHED_IDLE, &sp) != 0)
		log_warn("worker_sched idle not applied, worker_nice only worker=%d", w->index);
}

/* The worker's database connection for the metrics (a read of the
 * worker's own PGconn, on its thread). */
static void db_state(const struct worker *w)
{
	if (metrics_enabled())
		metrics_db_state(w->index,
				 w->db.conn != NULL && PQstatus(w->db.conn) == CONNECTION_OK
				     ? METRICS_DB_UP
				     : METRICS_DB_DOWN);
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct workers *p = w->pool;

	set_priority(w, p->cfg);
	if (p->calls.start != NULL)
		p->calls.start(w);
	db_state(w);
	for (;;) {
		struct job *job;

		pthread_mutex_lock(&p->mu);
		while (p->head == NULL && !p->stopping)
			pthread_cond_wait(&p->cv, &p->mu);
		job = p->head;
		if (job == NULL) {
			pthread_mutex_unlock(&p->mu);
			break;
		}
		p->head = job->next;
		if (p->head == NULL)
			p->tail = NULL;
		p->queued--;
		metrics_queue_depth(p->queued);
		pthread_mutex_unlock(&p->mu);
		if (job->queued_ns != 0)
			metrics_queue_wait(metrics_now_ns() - job->queued_ns);
		metrics_workers_busy(1);
		job->run(job, w);
		metrics_workers_busy(-1);
		if (w->db.in_tx) { /* a handler's bug must not leak into the next job */
			log_error("transaction left open, rolled back worker=%d", w->index);
			db_rollback(&w->db);
		}
		db_state(w);
		job->done(job);
	}
	if (p->calls.stop != NULL)
		p->calls.stop(w);
	db_close(&w->db);
	return NULL;
}

void worker_after_reply(struct worker *w, worker_after_fn fn, void *data)
{
	if (w->after_fn != NULL) { /* one per job: a second one runs now */
		fn(w, data);
		return;
	}
	w->after_fn = fn;
	w->after_data = data;
}

struct after_job {
	struct job job; /* first */
	worker_after_fn fn;
	void *data;
};

static void after_run(struct job *job, struct worker *w)
{
	struct after_job *aj = (struct after_job *)job;

	aj->fn(w, aj->data);
}

static void after_done(struct job *job)
{
	free(job);
}

void workers_push_after(struct workers *p, worker_after_fn fn, void *data)
{
	struct after_job *aj = calloc(1, sizeof(*aj));
	bool queued = false;

	if (aj != NULL) {
		aj->job.run = after_run;
		aj->job.done = after_done;
		aj->fn = fn;
		aj->data = data;
		pthread_mutex_lock(&p->mu);
		if (!p->stopping) { /* past queue_max: the request was accepted */
			if (p->tail != NULL)
				p->tail->next = &aj->job;
			else
				p->head = &aj->job;
			p->tail = &aj->job;
			p->queued++;
			metrics_queue_depth(p->queued);
			queued = true;
			pthread_cond_signal(&p->cv);
		}
		pthread_mutex_unlock(&p->mu);
	}
	if (!queued) {
		log_warn("work after a reply dropped (%s)",
			 aj == NULL ? "out of memory" : "stopping");
		free(aj);
		fn(NULL, data);
	}
}

int workers_start(struct workers *p, struct app *app, const struct config *cfg, int n,
		  int max_queued, const struct worker_calls *calls, struct err *err)
{
	memset(p, 0, sizeof(*p));
	p->app = app;
	p->cfg = cfg;
	if (calls != NULL)
		p->calls = *calls;
	p->max_queued = max_queued;
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->cv, NULL);
	p->w = calloc((size_t)n, sizeof(*p->w));
	if (p->w == NULL)
		return err_set(err, 500, "out of memory");
	for (int i = 0; i < n; i++) {
		p->w[i].pool = p;
		p->w[i].index = i;
		if (pthread_create(&p->w[i].thread, NULL, worker_main, &p->w[i]) != 0) {
			workers_stop(p);
			return err_set(err, 500, "cannot start worker threads");
		}
		p->n = i + 1;
	}
	return 0;
}

bool workers_push(struct workers *p, struct job *job)
{
	bool ok = false;

	job->next = NULL;
	job->queued_ns = metrics_enabled() ? metrics_now_ns() : 0;
	pthread_mutex_lock(&p->mu);
	if (!p->stopping && p->queued < p->max_queued) {
		if (p->tail != NULL)
			p->tail->next = job;
		else
			p->head = job;
		p->tail = job;
		p->queued++;
		metrics_queue_depth(p->queued);
		ok = true;
		pthread_cond_signal(&p->cv);
	}
	pthread_mutex_unlock(&p->mu);
	return ok;
}

void workers_stop(struct workers *p)
{
	pthread_mutex_lock(&p->mu);
	p->stopping = true;
	pthread_cond_broadcast(&p->cv);
	pthread_mutex_unlock(&p->mu);
	for (int i = 0; i < p->n; i++)
		pthread_join(p->w[i].thread, NULL);
	free(p->w);
	p->w = NULL;
	p->n = 0;
	pthread_mutex_destroy(&p->mu);
	pthread_cond_destroy(&p->cv);
}
