/* SPDX-License-Identifier: Apache-2.0 */
#include "app/serve.h"

#include "core/app.h"
#include "core/pipeline.h"
#include "http/workers.h"
#include "log/log.h"
#include "plugins/loader.h"
#include "store/db.h"
#include "tokens/revocation.h"

/* On the worker's thread, before its first job. */
static void worker_start(struct worker *w)
{
	const struct app *app = w->pool->app;
	struct err err = {0};

	if (db_connect(&w->db, app->cfg->database_url, app->cfg->statement_timeout_ms, &err) < 0)
		log_warn("worker database connect failed worker=%d, will retry per request",
			 w->index);
	/* committed revocations go out in the listener's next batch */
	db_set_announce(&w->db, revocations_announce, &w->pool->app->revoked);
	plugins_thread_init(app->plugins, w);
}

/* After its last job; the pool closes w->db afterwards. */
static void worker_stop(struct worker *w)
{
	plugins_thread_fini(w->pool->app->plugins, w);
}

const struct server_calls app_server_calls = {
    .front = pipeline_front,
    .run = pipeline_run,
    .workers = {.start = worker_start, .stop = worker_stop},
    .reload = app_reload,
};
