/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The metrics listener: GET /metrics in the Prometheus text format
 * (util/metrics.h) on its own address (metrics.listen), never the API's,
 * served by its own thread and event loop so that a scrape neither waits
 * behind API requests nor delays them. Anything else answers 404.
 */
#ifndef AUTHSVC_HTTP_METRICS_LISTENER_H
#define AUTHSVC_HTTP_METRICS_LISTENER_H

#include "util/err.h"

struct metrics_listener;

/* Bind listen ("HOST:PORT", "[::1]:PORT") and start the thread; NULL with
 * err when the address cannot be bound. */
struct metrics_listener *metrics_listener_start(const char *listen, struct err *err);
/* Stop the thread and close the socket; NULL is ignored. */
void metrics_listener_stop(struct metrics_listener *ml);

#endif
