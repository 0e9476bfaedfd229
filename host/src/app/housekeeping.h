/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Housekeeping of login_activity's monthly partitions (host/sql/0009,
 * docs/operator-guide.md "Login activity retention"): the current month and
 * the next HOUSEKEEPING_MONTHS_AHEAD are created, and with
 * activity.retention_months > 0 the months older than that many before the
 * current one are detached and dropped. Once at start (before the server
 * answers), then hourly on a thread of its own with its own connection.
 * Failures are logged and retried at the next run.
 */
#ifndef AUTHSVC_APP_HOUSEKEEPING_H
#define AUTHSVC_APP_HOUSEKEEPING_H

#include "config/config.h"
#include "util/err.h"

#define HOUSEKEEPING_MONTHS_AHEAD 3
#define HOUSEKEEPING_INTERVAL_S	  3600

struct housekeeping;

/* Run once now, then start the hourly thread. -1 (err filled) only when the
 * thread cannot start; a failed first run is logged. */
int housekeeping_start(const struct config *cfg, struct housekeeping **out, struct err *err);
/* Stop and free; NULL is fine. */
void housekeeping_stop(struct housekeeping *hk);

#endif
