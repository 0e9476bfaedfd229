/* SPDX-License-Identifier: Apache-2.0 */
/*
 * struct app: the server's long-lived state, built on the main thread at
 * start and read-only once the workers run (the revocation set and the
 * signing keys have their own locks). Handlers reach it through req->app.
 */
#ifndef AUTHSVC_CORE_APP_H
#define AUTHSVC_CORE_APP_H

#include <stdatomic.h>
#include <stdbool.h>

#include <pthread.h>

#include "config/config.h"
#include "core/hooks.h"
#include "http/router.h"
#include "tokens/keyset.h"
#include "tokens/revocation.h"

struct plugin_set;
struct housekeeping;
struct notifier;

struct app {
	const struct config *cfg;
	struct keys_live keys;	     /* the signing keys, replaced live (app/keys_sync.c) */
	struct keys_sync *keys_sync; /* the key listener; NULL without keys in the database */
	bool keys_live_ready;
	struct housekeeping *housekeeping; /* login_activity partitions (app/housekeeping.h) */
	struct revocations revoked;
	struct router router;
	struct plugin_set *plugins;
	struct hook_table hooks; /* filled by the plugin loader */
	unsigned char activity_key[32];
	int activity_key_set;
	json_t *openapi;	   /* /openapi.json, built from the route table */
	struct notifier *notifier; /* delivery of codes and links (notify/notify.h) */
	unsigned char mfa_key[32]; /* mfa.secret_key: encrypts TOTP secrets */
	int mfa_key_set;
	unsigned char client_key[32]; /* clients.secret_key: keys client secret hashes */
	int client_key_set;
	/* Start-up work that would keep the server from listening (migrations
	 * of a new database, a first signing key) runs on a thread of its own
	 * (app/app.c). While `starting` is true, /ready and every route but
	 * /health answer 503 with Retry-After (false when zeroed: ready). */
	atomic_bool starting;
	atomic_bool setup_failed; /* that thread failed: the server stops, exit 1 */
	unsigned int deferred;	  /* app/app.c's enum deferred bits */
	pthread_t setup_thread;
	bool setup_running;
};

/* The background start-up work is done (acquire: what it built is visible). */
static inline bool app_is_ready(const struct app *app)
{
	return !atomic_load_explicit(&app->starting, memory_order_acquire);
}

/* Register the core's own routes (tokens, logout, me, health, ...); the
 * activity routes are activity's own (activity_routes_register), and the
 * app registers both. */
int core_routes_register(struct app *app, char *msg, size_t msgsz);
/* The OpenAPI document of every registered route (new reference). */
json_t *core_openapi_build(const struct app *app);

#endif
