/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Send rate limits: fixed-window counters in PostgreSQL (table
 * send_counters) so every instance shares them. kind names what is
 * counted and per what ("otp_user", "otp_ip", "reset_user", ...); subject
 * is the lower-cased username or the client address. Workers only.
 */
#ifndef AUTHSVC_STORE_RATELIMIT_H
#define AUTHSVC_STORE_RATELIMIT_H

#include "store/db.h"

/* Count one send. 0: allowed; > 0: the limit is reached, seconds until the
 * window ends; -1: database error. */
int store_send_take(struct db *db, const char *kind, const char *subject, int limit, int window_s,
		    struct err *err);

#endif
