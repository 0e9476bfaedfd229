/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What the app hands to the HTTP host (http/server.h) so that http/ never
 * calls a layer above it: the request pipeline of the core (core/pipeline.h)
 * and the worker threads' set-up and tear-down, which open each worker's
 * own database connection and the plugins' per-worker state.
 */
#ifndef AUTHSVC_APP_SERVE_H
#define AUTHSVC_APP_SERVE_H

#include "http/server.h"

extern const struct server_calls app_server_calls;

/* SIGHUP (server_calls.reload, app/reload.c): app->cfg's file read again
 * and merged (config_reload_merge), as a new snapshot; NULL, logged, when
 * it does not load or validate. */
struct config_snap *app_reload(struct app *app);

#endif
