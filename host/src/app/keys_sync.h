/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The key listener: one thread and one database connection per instance
 * whose signing keys live in the database (no tokens.private_key_file, not
 * HS256). It keeps app->keys current without a restart:
 *
 *  - on NOTIFY authsvc_keys (a trigger on jwt_keys sends it for every
 *    change) and every tokens.key_poll seconds (engines without NOTIFY),
 *    it compares the keys with what it loaded and reloads them when they
 *    differ;
 *  - when a key that waits to sign reaches its active_from, it reloads so
 *    that key signs;
 *  - every tokens.key_poll seconds it rotates (tokens.key_rotation, under
 *    the keys' advisory lock, so one instance of many makes the new key)
 *    and retires the keys no longer needed.
 *
 * Failures are logged and retried at the next poll; the keys in use stay.
 */
#ifndef AUTHSVC_APP_KEYS_SYNC_H
#define AUTHSVC_APP_KEYS_SYNC_H

#include "core/app.h"
#include "util/err.h"

struct keys_sync;

/* Start the listener for app (its keys already loaded). 0 or -1. */
int keys_sync_start(struct app *app, struct keys_sync **out, struct err *err);
/* Stop and free it; NULL is fine. */
void keys_sync_stop(struct keys_sync *ks);

#endif
