/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Prometheus metrics: the counters, histograms and gauges the server
 * exports on its metrics listener (docs/operator-guide.md "Metrics"), and
 * their text exposition (format 0.0.4).
 *
 * The hot path only adds to counters: each thread adds to its own shard
 * (one of METRICS_SHARDS, picked once per thread) with relaxed atomics,
 * so no two threads share a cache line in the common case and no lock is
 * taken; metrics_render sums the shards at scrape time. Everything is a
 * no-op until metrics_enable(true) (metrics.enabled = false keeps the
 * hot path at one predictable branch).
 *
 * Labels come from fixed tables (status codes, login types and results,
 * lockout scopes) or from names registered on the main thread before the
 * threads start (routes, providers), so a client cannot grow the label
 * space: a path no route matches counts as route "other".
 *
 * Set-up (metrics_enable, metrics_route_register, metrics_gauge_register,
 * metrics_provider_register) runs on the main thread before the loops and
 * workers start; everything else is safe on any thread.
 */
#ifndef AUTHSVC_UTIL_METRICS_H
#define AUTHSVC_UTIL_METRICS_H

#include <stdbool.h>
#include <stdint.h>

#include "util/sbuf.h"

#define METRICS_SHARDS	      32
#define METRICS_ROUTES_MAX    160 /* route 0 is "other" */
#define METRICS_PROVIDERS_MAX 32
#define METRICS_WORKERS_MAX   256
#define METRICS_GAUGES_MAX    16

/* What a login request ended as (its reply's status, see metrics_request). */
enum metrics_login_type {
	METRICS_LOGIN_NONE = 0, /* not a login route */
	METRICS_LOGIN_PASSWORD,
	METRICS_LOGIN_OTP,
	METRICS_LOGIN_PASSWORDLESS,
	METRICS_LOGIN_SOCIAL,
	METRICS_LOGIN_REFRESH,
	METRICS_LOGIN_NTYPES
};

enum metrics_lockout_scope {
	METRICS_LOCKOUT_PAIR = 0, /* one account from one address or device */
	METRICS_LOCKOUT_IP,	  /* one client address */
	METRICS_LOCKOUT_ACCOUNT,  /* the account-wide rate */
	METRICS_LOCKOUT_NSCOPES
};

enum metrics_outbound_result {
	METRICS_OUT_OK = 0, /* an HTTP answer (any status) */
	METRICS_OUT_ERROR,  /* refused, TLS, malformed, too large */
	METRICS_OUT_TIMEOUT,
	METRICS_OUT_NRESULTS
};

enum metrics_db_state { METRICS_DB_NONE = 0, METRICS_DB_UP, METRICS_DB_DOWN };

/* Turn counting on or off (main thread, before the threads start). */
void metrics_enable(bool on);
bool metrics_enabled(void);

/* Monotonic nanoseconds, for the durations below. */
uint64_t metrics_now_ns(void);

/* A route's label pair; the id for metrics_request (0: the table is full,
 * counted as "other"). Strings are copied. */
int metrics_route_register(const char *method, const char *path, enum metrics_login_type login);
/* The login type a route path stands for (METRICS_LOGIN_NONE for others). */
enum metrics_login_type metrics_login_type_of(const char *path);

/* One reply sent: requests_total, the latency histogram and, on a login
 * route, logins_total by the status's result. */
void metrics_request(int route_id, int status, uint64_t duration_ns);
void metrics_lockout(enum metrics_lockout_scope scope);
/* A job waited this long in the worker queue. */
void metrics_queue_wait(uint64_t wait_ns);
void metrics_queue_depth(long depth);
void metrics_workers_busy(int delta);
void metrics_workers_total(int n);
/* Worker index's database connection after its last job. */
void metrics_db_state(int worker, enum metrics_db_state state);
/* A provider name's id for metrics_outbound (0: table full, "other"). */
int metrics_provider_register(const char *name);
void metrics_outbound(int provider_id, enum metrics_outbound_result result, uint64_t duration_ns);
/* A configuration reload (SIGHUP) was applied or refused. */
void metrics_reload(bool applied);

/* A gauge read at scrape time by fn(arg) (e.g. the revocation set's
 * size); name and help are static strings. 0 or -1 when the table is full. */
int metrics_gauge_register(const char *name, const char *help, double (*fn)(void *arg), void *arg);

/* The exposition text of every family. 0, or -1 when out of memory. */
int metrics_render(struct sbuf *out);

/* Zero every counter and forget registrations (tests). */
void metrics_reset(void);

#endif
