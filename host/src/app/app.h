/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The server's start-up and shut-down: everything between a loaded
 * configuration and a running server (and back), so the binary's main()
 * only parses options. struct app itself lives in core/app.h.
 */
#ifndef AUTHSVC_APP_APP_H
#define AUTHSVC_APP_APP_H

#include <stdbool.h>
#include <stdio.h>

#include "config/config.h"
#include "core/app.h"
#include "util/err.h"

/*
 * Build app (zeroed by the caller) from cfg, which must outlive it: keys
 * from the configuration, the password policy, the core's routes and the
 * plugins (loaded and initialised, not started). With check_only, stop
 * there: nothing has touched the database or started a thread, which is
 * what --check-config needs. Otherwise also apply migrations when
 * configured, refuse a schema older than the code, load or create the
 * token keys and start the revocation poller, the notifier and the
 * plugins; what is slow on a new database (its migrations, its first
 * key) is left for app_start_background.
 *
 * 0 on success; -1 with err set to one line naming the setting or step
 * that failed (never a secret). app_release() undoes either outcome.
 */
int app_build(struct app *app, const struct config *cfg, bool check_only, struct err *err);

/*
 * After the server listens: run what app_build() left for later (the
 * migrations of a new database with migrate_on_start, the first signing
 * key) on a thread of its own, and mark the app ready when it is done
 * (app_is_ready, core/app.h). Nothing left: nothing done. If that work
 * fails, it is logged and the process sends itself SIGTERM; the caller
 * then sees app_setup_failed(). 0, or -1 with err when no thread starts.
 */
int app_start_background(struct app *app, struct err *err);

/* Wait for the background start-up work to end. Call it while the server's
 * signal handling is still in place (before server_free): work that fails
 * late still signals the process. */
void app_wait_background(struct app *app);

/* The background start-up work failed: exit with 1. */
bool app_setup_failed(const struct app *app);

/* Stop and free what app_build() set up, however far it got (waits for the
 * background start-up work to end). */
void app_release(struct app *app);

/*
 * --list-plugins: one line per configured plugin on out (name, version,
 * ABI, file, or why the loader refuses it). Opens each file but calls
 * nothing in it. 0.
 */
int app_list_plugins(const struct config *cfg, FILE *out);

#endif
