/* SPDX-License-Identifier: Apache-2.0 */
/* metrics-cost: what util/metrics adds to one request on the hot path, in
 * nanoseconds: the two clock reads (arrival, reply) and metrics_request()
 * (requests_total, the latency histogram), as http/server.c does them,
 * with counting on and off; on 1 thread and on N threads at once (each on
 * its own shard, as the loops are). Also one scrape (metrics_render) with
 * every route counted. Built with -DAUTHSVC_BENCH=ON; nothing here fails
 * on a timing.
 *
 *   metrics-cost [THREADS]      default 2
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "util/metrics.h"
#include "util/sbuf.h"

#define N 5000000

static int route;

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* One request's share, as http/server.c: t0 at arrival, metrics at reply. */
static void *hot(void *arg)
{
	volatile uint64_t sink = 0;

	(void)arg;
	for (int i = 0; i < N; i++) {
		uint64_t t0 = metrics_enabled() ? metrics_now_ns() : 0;

		if (t0 != 0)
			metrics_request(route, 200, metrics_now_ns() - t0);
		sink += t0;
	}
	return NULL;
}

static double ns_per_request(int threads)
{
	pthread_t t[64];
	double t0 = now_s();

	for (int i = 0; i < threads; i++)
		pthread_create(&t[i], NULL, hot, NULL);
	for (int i = 0; i < threads; i++)
		pthread_join(t[i], NULL);
	return (now_s() - t0) * 1e9 / N; /* wall time per request of one thread */
}

int main(int argc, char **argv)
{
	int threads = argc > 1 ? (int)strtol(argv[1], NULL, 10) : 2;
	struct sbuf out = SBUF_INIT(16 << 20);
	double t0;

	if (threads < 1 || threads > 64)
		threads = 2;
	for (int r = 0; r < 60; r++) /* a server's worth of routes */
		route = metrics_route_register("GET", "/bench/route", METRICS_LOGIN_NONE);
	metrics_enable(false);
	printf("metrics off, 1 thread: %.1f ns/request\n", ns_per_request(1));
	metrics_enable(true);
	printf("metrics on, 1 thread: %.1f ns/request\n", ns_per_request(1));
	printf("metrics on, %d threads at once: %.1f ns/request each\n", threads,
	       ns_per_request(threads));
	t0 = now_s();
	metrics_render(&out);
	printf("one scrape: %.2f ms, %zu bytes\n", (now_s() - t0) * 1e3, out.len);
	sbuf_release(&out);
	return 0;
}
