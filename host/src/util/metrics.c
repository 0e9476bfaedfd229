/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The metrics of metrics.h: per-thread shards of relaxed atomic counters,
 * summed into the Prometheus text format when scraped.
 */
#include "util/metrics.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Upper bounds (seconds) of the latency histograms' buckets; +Inf follows. */
static const double bucket_le[] = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
				   0.1,	   0.25,  0.5,	  1,	 2.5,  5,     10};
#define NBUCKETS (sizeof(bucket_le) / sizeof(bucket_le[0]) + 1)

/* Status codes with a series of their own; the rest count as "other". */
static const int status_codes[] = {200, 201, 204, 301, 302, 303, 304, 307, 400,
				   401, 403, 404, 405, 406, 409, 410, 411, 413,
				   415, 422, 429, 431, 500, 501, 502, 503, 504};
#define NSTATUS	       (sizeof(status_codes) / sizeof(status_codes[0]) + 1)
#define STATUS_MAXCODE 600

static const char *const login_type_names[METRICS_LOGIN_NTYPES] = {
    "none", "password", "otp", "passwordless", "social", "refresh"};

enum login_result {
	LR_SUCCESS = 0,
	LR_DENIED,
	LR_DISABLED,
	LR_THROTTLED,
	LR_INVALID,
	LR_ERROR,
	LR_N
};
static const char *const login_result_names[LR_N] = {"success",	  "denied",  "disabled",
						     "throttled", "invalid", "error"};
static const char *const lockout_names[METRICS_LOCKOUT_NSCOPES] = {"pair", "ip", "account"};
static const char *const outbound_names[METRICS_OUT_NRESULTS] = {"ok", "error", "timeout"};

typedef _Atomic uint64_t counter;

struct histo {
	counter b[NBUCKETS]; /* per bucket, not cumulative */
	counter sum_ns;
};

struct shard {
	counter req[METRICS_ROUTES_MAX][NSTATUS];
	struct histo lat[METRICS_ROUTES_MAX];
	counter logins[METRICS_LOGIN_NTYPES][LR_N];
	counter lockouts[METRICS_LOCKOUT_NSCOPES];
	struct histo qwait;
	counter out[METRICS_PROVIDERS_MAX][METRICS_OUT_NRESULTS];
	struct histo out_lat[METRICS_PROVIDERS_MAX];
	counter reloads[2]; /* applied, refused */
} __attribute__((aligned(64)));

struct route_label {
	char method[8];
	char path[120];
	enum metrics_login_type login;
};

struct gauge {
	const char *name, *help;
	double (*fn)(void *arg);
	void *arg;
};

static struct shard shards[METRICS_SHARDS];
static _Atomic unsigned next_shard;
static _Thread_local int my_shard = -1;
static bool enabled;

static struct route_label routes[METRICS_ROUTES_MAX];
static int nroutes = 1; /* 0: "other" */
static char providers[METRICS_PROVIDERS_MAX][64];
/* providers may be registered while threads count (a plugin that makes its
 * OIDC client late): names are written under the lock, then published by
 * the release store of nproviders */
static _Atomic int nproviders = 1; /* 0: "other" */
static pthread_mutex_t providers_mu = PTHREAD_MUTEX_INITIALIZER;
static struct gauge gauges[METRICS_GAUGES_MAX];
static int ngauges;
static unsigned char status_slot[STATUS_MAXCODE];
static bool status_ready;

static _Atomic long queue_depth;
static _Atomic int workers_busy;
static _Atomic int workers_total;
static _Atomic unsigned char db_states[METRICS_WORKERS_MAX];

static void status_table(void)
{
	memset(status_slot, NSTATUS - 1, sizeof(status_slot));
	for (size_t i = 0; i < NSTATUS - 1; i++)
		status_slot[status_codes[i]] = (unsigned char)i;
	status_ready = true;
}

void metrics_enable(bool on)
{
	if (!status_ready)
		status_table();
	enabled = on;
}

bool metrics_enabled(void)
{
	return enabled;
}

uint64_t metrics_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static struct shard *shard_here(void)
{
	if (my_shard < 0)
		my_shard = (int)(atomic_fetch_add_explicit(&next_shard, 1, memory_order_relaxed) %
				 METRICS_SHARDS);
	return &shards[my_shard];
}

static void add(counter *c, uint64_t n)
{
	atomic_fetch_add_explicit(c, n, memory_order_relaxed);
}

static uint64_t get(counter *c)
{
	return atomic_load_explicit(c, memory_order_relaxed);
}

static void observe(struct histo *h, uint64_t ns)
{
	double s = (double)ns / 1e9;
	size_t i = 0;

	while (i < NBUCKETS - 1 && s > bucket_le[i])
		i++;
	add(&h->b[i], 1);
	add(&h->sum_ns, ns);
}

int metrics_route_register(const char *method, const char *path, enum metrics_login_type login)
{
	struct route_label *r;

	if (nroutes >= METRICS_ROUTES_MAX)
		return 0;
	r = &routes[nroutes];
	snprintf(r->method, sizeof(r->method), "%s", method);
	snprintf(r->path, sizeof(r->path), "%s", path);
	r->login = login;
	return nroutes++;
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && strcmp(s + n - m, suffix) == 0;
}

enum metrics_login_type metrics_login_type_of(const char *path)
{
	if (strcmp(path, "/auth/login") == 0 || strcmp(path, "/auth/login-token") == 0)
		return METRICS_LOGIN_PASSWORD;
	if (strcmp(path, "/auth/verify-otp") == 0)
		return METRICS_LOGIN_OTP;
	if (strcmp(path, "/auth/passwordless/verify") == 0)
		return METRICS_LOGIN_PASSWORDLESS;
	if (strcmp(path, "/auth/token-refresh") == 0)
		return METRICS_LOGIN_REFRESH;
	/* a provider's callback: where a social login completes */
	if (strncmp(path, "/auth/", 6) == 0 && ends_with(path, "redirect"))
		return METRICS_LOGIN_SOCIAL;
	return METRICS_LOGIN_NONE;
}

static enum login_result login_result_of(int status)
{
	if (status >= 200 && status < 400)
		return LR_SUCCESS;
	switch (status) {
	case 401:
		return LR_DENIED;
	case 403:
		return LR_DISABLED;
	case 429:
		return LR_THROTTLED;
	default:
		return status >= 500 ? LR_ERROR : LR_INVALID;
	}
}

void metrics_request(int route_id, int status, uint64_t duration_ns)
{
	struct shard *s;
	int slot;

	if (!enabled)
		return;
	s = shard_here();
	if (route_id < 0 || route_id >= nroutes)
		route_id = 0;
	slot = status >= 0 && status < STATUS_MAXCODE ? status_slot[status] : (int)NSTATUS - 1;
	add(&s->req[route_id][slot], 1);
	observe(&s->lat[route_id], duration_ns);
	if (routes[route_id].login != METRICS_LOGIN_NONE)
		add(&s->logins[routes[route_id].login][login_result_of(status)], 1);
}

void metrics_lockout(enum metrics_lockout_scope scope)
{
	if (enabled && scope < METRICS_LOCKOUT_NSCOPES)
		add(&shard_here()->lockouts[scope], 1);
}

void metrics_queue_wait(uint64_t wait_ns)
{
	if (enabled)
		observe(&shard_here()->qwait, wait_ns);
}

void metrics_queue_depth(long depth)
{
	if (enabled)
		atomic_store_explicit(&queue_depth, depth, memory_order_relaxed);
}

void metrics_workers_busy(int delta)
{
	if (enabled)
		atomic_fetch_add_explicit(&workers_busy, delta, memory_order_relaxed);
}

void metrics_workers_total(int n)
{
	atomic_store_explicit(&workers_total, n, memory_order_relaxed);
}

void metrics_db_state(int worker, enum metrics_db_state state)
{
	if (enabled && worker >= 0 && worker < METRICS_WORKERS_MAX)
		atomic_store_explicit(&db_states[worker], (unsigned char)state,
				      memory_order_relaxed);
}

int metrics_provider_register(const char *name)
{
	int n, id = 0;

	pthread_mutex_lock(&providers_mu);
	n = atomic_load_explicit(&nproviders, memory_order_relaxed);
	for (int i = 1; i < n && id == 0; i++)
		if (strcmp(providers[i], name) == 0)
			id = i;
	if (id == 0 && n < METRICS_PROVIDERS_MAX) {
		snprintf(providers[n], sizeof(providers[0]), "%s", name);
		atomic_store_explicit(&nproviders, n + 1, memory_order_release);
		id = n;
	}
	pthread_mutex_unlock(&providers_mu);
	return id;
}

void metrics_outbound(int provider_id, enum metrics_outbound_result result, uint64_t duration_ns)
{
	struct shard *s;

	if (!enabled || result >= METRICS_OUT_NRESULTS)
		return;
	if (provider_id < 0 || provider_id >= METRICS_PROVIDERS_MAX)
		provider_id = 0;
	s = shard_here();
	add(&s->out[provider_id][result], 1);
	observe(&s->out_lat[provider_id], duration_ns);
}

void metrics_reload(bool applied)
{
	add(&shard_here()->reloads[applied ? 0 : 1], 1);
}

int metrics_gauge_register(const char *name, const char *help, double (*fn)(void *arg), void *arg)
{
	if (ngauges >= METRICS_GAUGES_MAX)
		return -1;
	gauges[ngauges++] = (struct gauge){name, help, fn, arg};
	return 0;
}

void metrics_reset(void)
{
	memset(shards, 0, sizeof(shards));
	memset(routes, 0, sizeof(routes));
	memset(providers, 0, sizeof(providers));
	nroutes = 1;
	atomic_store(&nproviders, 1);
	ngauges = 0;
	atomic_store(&queue_depth, 0);
	atomic_store(&workers_busy, 0);
	atomic_store(&workers_total, 0);
	for (int i = 0; i < METRICS_WORKERS_MAX; i++)
		atomic_store(&db_states[i], 0);
}

/* ---- exposition ---- */

/* A label value with \, " and newline escaped. */
static void add_label(struct sbuf *out, const char *name, const char *value)
{
	sbuf_addstr(out, name);
	sbuf_addstr(out, "=\"");
	for (const char *p = value; *p != '\0'; p++) {
		if (*p == '\\' || *p == '"')
			sbuf_addch(out, '\\');
		if (*p == '\n') {
			sbuf_addstr(out, "\\n");
			continue;
		}
		sbuf_addch(out, *p);
	}
	sbuf_addch(out, '"');
}

static void family(struct sbuf *out, const char *name, const char *type, const char *help)
{
	sbuf_addf(out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* Sum one counter over the shards; at is its offset within struct shard. */
static uint64_t sum_at(size_t at)
{
	uint64_t n = 0;

	for (int i = 0; i < METRICS_SHARDS; i++)
		n += get((counter *)((unsigned char *)&shards[i] + at));
	return n;
}

/* Offsets within struct shard of element i (and j) of an array field. */
#define ELEM(f)	      sizeof(((struct shard *)0)->f[0])
#define AT1(f, i)     (offsetof(struct shard, f) + (size_t)(i)*ELEM(f))
#define AT2(f, i, j)  (AT1(f, i) + (size_t)(j) * sizeof(((struct shard *)0)->f[0][0]))
#define BUCKET(at, k) ((at) + offsetof(struct histo, b) + (size_t)(k) * sizeof(counter))

/* The histogram at offset at: cumulative buckets, _sum, _count. labels is
 * the text inside the braces before le (may be ""). */
static void histogram(struct sbuf *out, const char *name, const char *labels, size_t at)
{
	uint64_t cum = 0, sum_ns = sum_at(at + offsetof(struct histo, sum_ns));
	const char *sep = labels[0] != '\0' ? "," : "";

	for (size_t b = 0; b < NBUCKETS; b++) {
		cum += sum_at(BUCKET(at, b));
		if (b < NBUCKETS - 1)
			sbuf_addf(out, "%s_bucket{%s%sle=\"%g\"} %llu\n", name, labels, sep,
				  bucket_le[b], (unsigned long long)cum);
		else
			sbuf_addf(out, "%s_bucket{%s%sle=\"+Inf\"} %llu\n", name, labels, sep,
				  (unsigned long long)cum);
	}
	if (labels[0] != '\0') {
		sbuf_addf(out, "%s_sum{%s} %.9g\n", name, labels, (double)sum_ns / 1e9);
		sbuf_addf(out, "%s_count{%s} %llu\n", name, labels, (unsigned long long)cum);
	} else {
		sbuf_addf(out, "%s_sum %.9g\n", name, (double)sum_ns / 1e9);
		sbuf_addf(out, "%s_count %llu\n", name, (unsigned long long)cum);
	}
}

/* The method/route label text of route r into buf. */
static const char *route_labels(struct sbuf *tmp, int r)
{
	sbuf_reset(tmp);
	if (r == 0) {
		sbuf_addstr(tmp, "method=\"\",route=\"other\"");
	} else {
		add_label(tmp, "method", routes[r].method);
		sbuf_addch(tmp, ',');
		add_label(tmp, "route", routes[r].path);
	}
	return sbuf_failed(tmp) ? "" : sbuf_str(tmp);
}

static void render_requests(struct sbuf *out, struct sbuf *tmp)
{
	char code[8];

	family(out, "authsvc_http_requests_total", "counter",
	       "HTTP requests answered, by route and status");
	for (int r = 0; r < nroutes; r++)
		for (size_t s = 0; s < NSTATUS; s++) {
			uint64_t n = sum_at(AT2(req, r, s));

			if (n == 0)
				continue;
			if (s < NSTATUS - 1)
				snprintf(code, sizeof(code), "%d", status_codes[s]);
			else
				snprintf(code, sizeof(code), "other");
			sbuf_addf(out, "authsvc_http_requests_total{%s,status=\"%s\"} %llu\n",
				  route_labels(tmp, r), code, (unsigned long long)n);
		}
	family(out, "authsvc_http_request_duration_seconds", "histogram",
	       "Time from a request's arrival to its reply, by route");
	for (int r = 0; r < nroutes; r++) {
		uint64_t n = 0;

		for (size_t b = 0; b < NBUCKETS; b++)
			n += sum_at(BUCKET(AT1(lat, r), b));
		if (n == 0)
			continue;
		histogram(out, "authsvc_http_request_duration_seconds", route_labels(tmp, r),
			  AT1(lat, r));
	}
}

static void render_logins(struct sbuf *out)
{
	family(out, "authsvc_logins_total", "counter",
	       "Login attempts by type and result (the reply of a login route)");
	for (int t = 1; t < METRICS_LOGIN_NTYPES; t++)
		for (int r = 0; r < LR_N; r++)
			sbuf_addf(out, "authsvc_logins_total{type=\"%s\",result=\"%s\"} %llu\n",
				  login_type_names[t], login_result_names[r],
				  (unsigned long long)sum_at(AT2(logins, t, r)));
	family(out, "authsvc_lockouts_total", "counter",
	       "Attempts refused by the brute-force limits, by scope");
	for (int s = 0; s < METRICS_LOCKOUT_NSCOPES; s++)
		sbuf_addf(out, "authsvc_lockouts_total{scope=\"%s\"} %llu\n", lockout_names[s],
			  (unsigned long long)sum_at(AT1(lockouts, s)));
}

static void render_pool(struct sbuf *out)
{
	int up = 0, down = 0;

	family(out, "authsvc_queue_depth", "gauge", "Jobs waiting for a worker");
	sbuf_addf(out, "authsvc_queue_depth %ld\n",
		  atomic_load_explicit(&queue_depth, memory_order_relaxed));
	family(out, "authsvc_queue_wait_seconds", "histogram",
	       "Time a job waited in the queue before a worker took it");
	histogram(out, "authsvc_queue_wait_seconds", "", offsetof(struct shard, qwait));
	family(out, "authsvc_workers_busy", "gauge", "Workers running a job");
	sbuf_addf(out, "authsvc_workers_busy %d\n",
		  atomic_load_explicit(&workers_busy, memory_order_relaxed));
	family(out, "authsvc_workers", "gauge", "Worker threads");
	sbuf_addf(out, "authsvc_workers %d\n",
		  atomic_load_explicit(&workers_total, memory_order_relaxed));
	for (int i = 0; i < METRICS_WORKERS_MAX; i++) {
		unsigned char st = atomic_load_explicit(&db_states[i], memory_order_relaxed);

		up += st == METRICS_DB_UP;
		down += st == METRICS_DB_DOWN;
	}
	family(out, "authsvc_db_connections", "gauge",
	       "Workers' database connections by state after their last job");
	sbuf_addf(out, "authsvc_db_connections{state=\"up\"} %d\n", up);
	sbuf_addf(out, "authsvc_db_connections{state=\"down\"} %d\n", down);
}

static void render_outbound(struct sbuf *out, struct sbuf *tmp)
{
	int np = atomic_load_explicit(&nproviders, memory_order_acquire);

	family(out, "authsvc_outbound_requests_total", "counter",
	       "Calls to identity providers, by provider and result");
	for (int p = 1; p < np; p++)
		for (int r = 0; r < METRICS_OUT_NRESULTS; r++) {
			sbuf_reset(tmp);
			add_label(tmp, "provider", providers[p]);
			sbuf_addf(out, "authsvc_outbound_requests_total{%s,result=\"%s\"} %llu\n",
				  sbuf_failed(tmp) ? "" : sbuf_str(tmp), outbound_names[r],
				  (unsigned long long)sum_at(AT2(out, p, r)));
		}
	family(out, "authsvc_outbound_request_duration_seconds", "histogram",
	       "Duration of calls to identity providers");
	for (int p = 1; p < np; p++) {
		sbuf_reset(tmp);
		add_label(tmp, "provider", providers[p]);
		histogram(out, "authsvc_outbound_request_duration_seconds",
			  sbuf_failed(tmp) ? "" : sbuf_str(tmp), AT1(out_lat, p));
	}
}

int metrics_render(struct sbuf *out)
{
	struct sbuf tmp = SBUF_INIT(1024);

	render_requests(out, &tmp);
	render_logins(out);
	render_pool(out);
	render_outbound(out, &tmp);
	family(out, "authsvc_config_reloads_total", "counter",
	       "Configuration reloads (SIGHUP) by result");
	sbuf_addf(out, "authsvc_config_reloads_total{result=\"applied\"} %llu\n",
		  (unsigned long long)sum_at(AT1(reloads, 0)));
	sbuf_addf(out, "authsvc_config_reloads_total{result=\"refused\"} %llu\n",
		  (unsigned long long)sum_at(AT1(reloads, 1)));
	for (int g = 0; g < ngauges; g++) {
		family(out, gauges[g].name, "gauge", gauges[g].help);
		sbuf_addf(out, "%s %.9g\n", gauges[g].name, gauges[g].fn(gauges[g].arg));
	}
	sbuf_release(&tmp);
	return sbuf_failed(out) ? -1 : 0;
}
