/* SPDX-License-Identifier: Apache-2.0 */
/* util/metrics: the Prometheus text exposition, read back by a strict
 * parser of format 0.0.4 (HELP and TYPE before a family's samples, metric
 * and label names, escaped label values, float values, histogram buckets
 * cumulative and ending in +Inf equal to _count), and what each call
 * counts: by route and status, login results, the "other" route for an
 * unknown id, nothing while disabled, shards summed over threads. */
#include <ctype.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "util/metrics.h"

/* ---- a strict parser ---- */

struct sample {
	char name[128];
	char labels[512]; /* k="v",k="v" as written (escapes decoded) */
	double value;
};

struct parsed {
	struct sample *s;
	size_t n;
	char types[64][2][128]; /* family name, type */
	size_t ntypes;
};

static bool name_ok(const char *s, size_t n, bool colon)
{
	if (n == 0 || !(isalpha((unsigned char)s[0]) || s[0] == '_' || (colon && s[0] == ':')))
		return false;
	for (size_t i = 1; i < n; i++)
		if (!(isalnum((unsigned char)s[i]) || s[i] == '_' || (colon && s[i] == ':')))
			return false;
	return true;
}

static const char *type_of(const struct parsed *p, const char *family)
{
	for (size_t i = 0; i < p->ntypes; i++)
		if (strcmp(p->types[i][0], family) == 0)
			return p->types[i][1];
	return NULL;
}

/* The family a sample belongs to: its name less a histogram's suffix. */
static const char *family_of(const struct parsed *p, const char *name, char *buf, size_t bufsz)
{
	static const char *const suffixes[] = {"_bucket", "_sum", "_count"};

	if (type_of(p, name) != NULL)
		return name;
	for (size_t i = 0; i < 3; i++) {
		size_t n = strlen(name), m = strlen(suffixes[i]);

		if (n > m && strcmp(name + n - m, suffixes[i]) == 0 && n - m < bufsz) {
			memcpy(buf, name, n - m);
			buf[n - m] = '\0';
			if (type_of(p, buf) != NULL && strcmp(type_of(p, buf), "histogram") == 0)
				return buf;
		}
	}
	return NULL;
}

/* Parse labels at *pp ('{' already consumed) into out; false on any error. */
static bool parse_labels(const char **pp, char *out, size_t outsz)
{
	const char *p = *pp;
	size_t o = 0;

	while (*p != '}') {
		const char *k = p;

		while (isalnum((unsigned char)*p) || *p == '_')
			p++;
		if (!name_ok(k, (size_t)(p - k), false) || p[0] != '=' || p[1] != '"')
			return false;
		if (o + (size_t)(p - k) + 3 >= outsz)
			return false;
		if (o > 0)
			out[o++] = ',';
		memcpy(out + o, k, (size_t)(p - k));
		o += (size_t)(p - k);
		out[o++] = '=';
		p += 2;
		while (*p != '"') {
			char c = *p;

			if (c == '\0' || c == '\n')
				return false;
			if (c == '\\') {
				p++;
				if (*p == 'n')
					c = '\n';
				else if (*p == '\\' || *p == '"')
					c = *p;
				else
					return false;
			}
			if (o + 2 >= outsz)
				return false;
			out[o++] = c;
			p++;
		}
		p++;
		if (*p == ',')
			p++;
		else if (*p != '}')
			return false;
	}
	out[o] = '\0';
	*pp = p + 1;
	return true;
}

/* Parse text; fails the test at the first line that is not well formed. */
static void parse(const char *text, struct parsed *p)
{
	const char *line = text;

	memset(p, 0, sizeof(*p));
	assert_true(text[0] != '\0' && text[strlen(text) - 1] == '\n');
	while (*line != '\0') {
		const char *eol = strchr(line, '\n');
		char buf[1024];
		size_t len;

		assert_non_null(eol);
		len = (size_t)(eol - line);
		assert_true(len > 0 && len < sizeof(buf));
		memcpy(buf, line, len);
		buf[len] = '\0';
		line = eol + 1;
		if (strncmp(buf, "# HELP ", 7) == 0) {
			const char *n = buf + 7, *sp = strchr(n, ' ');

			assert_non_null(sp);
			assert_true(name_ok(n, (size_t)(sp - n), true));
			assert_true(sp[1] != '\0');
			continue;
		}
		if (strncmp(buf, "# TYPE ", 7) == 0) {
			char name[128], type[32];

			assert_int_equal(sscanf(buf + 7, "%127s %31s", name, type), 2);
			assert_true(name_ok(name, strlen(name), true));
			assert_true(strcmp(type, "counter") == 0 || strcmp(type, "gauge") == 0 ||
				    strcmp(type, "histogram") == 0);
			assert_null(type_of(p, name)); /* once per family */
			assert_true(p->ntypes < 64);
			snprintf(p->types[p->ntypes][0], 128, "%s", name);
			snprintf(p->types[p->ntypes][1], 128, "%s", type);
			p->ntypes++;
			continue;
		}
		assert_true(buf[0] != '#');
		{
			struct sample sm = {0};
			const char *q = buf, *start = buf;
			char fam[128], *end;

			while (isalnum((unsigned char)*q) || *q == '_' || *q == ':')
				q++;
			assert_true(name_ok(start, (size_t)(q - start), true));
			memcpy(sm.name, start, (size_t)(q - start));
			if (*q == '{') {
				q++;
				assert_true(parse_labels(&q, sm.labels, sizeof(sm.labels)));
			}
			assert_true(*q == ' ');
			q++;
			if (strcmp(q, "+Inf") == 0) {
				sm.value = 1e308;
			} else {
				sm.value = strtod(q, &end);
				assert_true(end != q && *end == '\0');
			}
			/* a sample follows its family's TYPE */
			assert_non_null(family_of(p, sm.name, fam, sizeof(fam)));
			p->s = realloc(p->s, (p->n + 1) * sizeof(*p->s));
			assert_non_null(p->s);
			p->s[p->n++] = sm;
		}
	}
}

static double value_of(const struct parsed *p, const char *name, const char *labels)
{
	for (size_t i = 0; i < p->n; i++)
		if (strcmp(p->s[i].name, name) == 0 && strcmp(p->s[i].labels, labels) == 0)
			return p->s[i].value;
	return -1;
}

/* Every histogram series: buckets cumulative, +Inf last and equal to _count. */
static void check_histograms(const struct parsed *p)
{
	for (size_t i = 0; i < p->n; i++) {
		const struct sample *s = &p->s[i];
		size_t n = strlen(s->name);
		double prev = 0;
		size_t j = i;
		char base[128], count_name[160], labels[512];
		const char *le;

		if (n < 7 || strcmp(s->name + n - 7, "_bucket") != 0)
			continue;
		if (i > 0 && strcmp(p->s[i - 1].name, s->name) == 0)
			continue; /* not the first bucket of a series */
		memcpy(base, s->name, n - 7);
		base[n - 7] = '\0';
		for (; j < p->n && strcmp(p->s[j].name, s->name) == 0; j++) {
			assert_true(p->s[j].value >= prev);
			prev = p->s[j].value;
			if (strstr(p->s[j].labels, "le=+Inf") != NULL)
				break;
		}
		assert_true(j < p->n);
		le = strstr(p->s[j].labels, "le=+Inf");
		assert_non_null(le);
		snprintf(labels, sizeof(labels), "%.*s",
			 (int)(le - p->s[j].labels) - (le > p->s[j].labels ? 1 : 0),
			 p->s[j].labels);
		snprintf(count_name, sizeof(count_name), "%s_count", base);
		assert_true(value_of(p, count_name, labels) == prev);
	}
}

static char *render(void)
{
	struct sbuf sb = SBUF_INIT(8 << 20);
	char *text;

	assert_int_equal(metrics_render(&sb), 0);
	text = sbuf_detach(&sb, NULL);
	assert_non_null(text);
	return text;
}

static int setup(void **state)
{
	(void)state;
	metrics_reset();
	metrics_enable(true);
	return 0;
}

static double queue_gauge(void *arg)
{
	return *(double *)arg;
}

static void test_format_parses(void **state)
{
	static double size = 42;
	int login = metrics_route_register("POST", "/auth/login", METRICS_LOGIN_PASSWORD);
	int me = metrics_route_register("GET", "/auth/me", METRICS_LOGIN_NONE);
	int odd = metrics_route_register("GET", "/we\"ird\\path", METRICS_LOGIN_NONE);
	int prov = metrics_provider_register("google");
	struct parsed p;
	char *text;

	(void)state;
	assert_int_equal(metrics_gauge_register("authsvc_revocation_set_size", "Revoked tokens",
						queue_gauge, &size),
			 0);
	metrics_request(me, 200, 300000);	  /* 0.3 ms */
	metrics_request(me, 200, 2000000);	  /* 2 ms */
	metrics_request(me, 401, 20000000000ull); /* 20 s: only +Inf */
	metrics_request(login, 200, 1000);
	metrics_request(login, 401, 1000);
	metrics_request(login, 401, 1000);
	metrics_request(login, 429, 1000);
	metrics_request(odd, 299, 1000); /* a code without its own series */
	metrics_request(9999, 404, 1000);
	metrics_lockout(METRICS_LOCKOUT_PAIR);
	metrics_queue_wait(5000000);
	metrics_queue_depth(3);
	metrics_workers_total(4);
	metrics_workers_busy(2);
	metrics_db_state(0, METRICS_DB_UP);
	metrics_db_state(1, METRICS_DB_DOWN);
	metrics_outbound(prov, METRICS_OUT_TIMEOUT, 3000000000ull);
	metrics_reload(true);
	text = render();
	parse(text, &p);
	check_histograms(&p);

	assert_true(value_of(&p, "authsvc_http_requests_total",
			     "method=GET,route=/auth/me,status=200") == 2);
	assert_true(value_of(&p, "authsvc_http_requests_total",
			     "method=GET,route=/auth/me,status=401") == 1);
	assert_true(value_of(&p, "authsvc_http_requests_total",
			     "method=GET,route=/we\"ird\\path,status=other") == 1);
	assert_true(value_of(&p, "authsvc_http_requests_total", "method=,route=other,status=404") ==
		    1);
	assert_true(value_of(&p, "authsvc_http_request_duration_seconds_bucket",
			     "method=GET,route=/auth/me,le=0.0005") == 1);
	assert_true(value_of(&p, "authsvc_http_request_duration_seconds_bucket",
			     "method=GET,route=/auth/me,le=0.0025") == 2);
	assert_true(value_of(&p, "authsvc_http_request_duration_seconds_bucket",
			     "method=GET,route=/auth/me,le=10") == 2);
	assert_true(value_of(&p, "authsvc_http_request_duration_seconds_count",
			     "method=GET,route=/auth/me") == 3);
	assert_true(value_of(&p, "authsvc_http_request_duration_seconds_sum",
			     "method=GET,route=/auth/me") > 20.0);
	assert_true(value_of(&p, "authsvc_logins_total", "type=password,result=success") == 1);
	assert_true(value_of(&p, "authsvc_logins_total", "type=password,result=denied") == 2);
	assert_true(value_of(&p, "authsvc_logins_total", "type=password,result=throttled") == 1);
	assert_true(value_of(&p, "authsvc_logins_total", "type=social,result=success") == 0);
	assert_true(value_of(&p, "authsvc_lockouts_total", "scope=pair") == 1);
	assert_true(value_of(&p, "authsvc_lockouts_total", "scope=ip") == 0);
	assert_true(value_of(&p, "authsvc_queue_depth", "") == 3);
	assert_true(value_of(&p, "authsvc_queue_wait_seconds_count", "") == 1);
	assert_true(value_of(&p, "authsvc_workers_busy", "") == 2);
	assert_true(value_of(&p, "authsvc_workers", "") == 4);
	assert_true(value_of(&p, "authsvc_db_connections", "state=up") == 1);
	assert_true(value_of(&p, "authsvc_db_connections", "state=down") == 1);
	assert_true(
	    value_of(&p, "authsvc_outbound_requests_total", "provider=google,result=timeout") == 1);
	assert_true(value_of(&p, "authsvc_outbound_request_duration_seconds_bucket",
			     "provider=google,le=2.5") == 0);
	assert_true(value_of(&p, "authsvc_outbound_request_duration_seconds_bucket",
			     "provider=google,le=5") == 1);
	assert_true(value_of(&p, "authsvc_config_reloads_total", "result=applied") == 1);
	assert_true(value_of(&p, "authsvc_revocation_set_size", "") == 42);
	assert_string_equal(type_of(&p, "authsvc_http_request_duration_seconds"), "histogram");
	assert_string_equal(type_of(&p, "authsvc_logins_total"), "counter");
	free(p.s);
	free(text);
}

static void test_disabled_counts_nothing(void **state)
{
	int me = metrics_route_register("GET", "/auth/me", METRICS_LOGIN_NONE);
	struct parsed p;
	char *text;

	(void)state;
	metrics_enable(false);
	metrics_request(me, 200, 1000);
	metrics_lockout(METRICS_LOCKOUT_IP);
	metrics_enable(true);
	text = render();
	parse(text, &p);
	assert_true(value_of(&p, "authsvc_http_requests_total",
			     "method=GET,route=/auth/me,status=200") == -1);
	assert_true(value_of(&p, "authsvc_lockouts_total", "scope=ip") == 0);
	free(p.s);
	free(text);
}

static void test_login_types(void **state)
{
	(void)state;
	assert_int_equal(metrics_login_type_of("/auth/login"), METRICS_LOGIN_PASSWORD);
	assert_int_equal(metrics_login_type_of("/auth/login-token"), METRICS_LOGIN_PASSWORD);
	assert_int_equal(metrics_login_type_of("/auth/verify-otp"), METRICS_LOGIN_OTP);
	assert_int_equal(metrics_login_type_of("/auth/passwordless/verify"),
			 METRICS_LOGIN_PASSWORDLESS);
	assert_int_equal(metrics_login_type_of("/auth/google-auth-redirect"), METRICS_LOGIN_SOCIAL);
	assert_int_equal(metrics_login_type_of("/auth/token-refresh"), METRICS_LOGIN_REFRESH);
	assert_int_equal(metrics_login_type_of("/logout/redirect"), METRICS_LOGIN_NONE);
	assert_int_equal(metrics_login_type_of("/auth/me"), METRICS_LOGIN_NONE);
}

#define PER_THREAD 10000

static void *hammer(void *arg)
{
	int id = *(int *)arg;

	for (int i = 0; i < PER_THREAD; i++)
		metrics_request(id, 200, 1000);
	return NULL;
}

/* Counts from many threads (many shards) all reach the sum. */
static void test_threads_sum(void **state)
{
	int id = metrics_route_register("GET", "/health", METRICS_LOGIN_NONE);
	pthread_t t[8];
	struct parsed p;
	char *text;

	(void)state;
	for (int i = 0; i < 8; i++)
		assert_int_equal(pthread_create(&t[i], NULL, hammer, &id), 0);
	for (int i = 0; i < 8; i++)
		pthread_join(t[i], NULL);
	text = render();
	parse(text, &p);
	assert_true(value_of(&p, "authsvc_http_requests_total",
			     "method=GET,route=/health,status=200") == 8 * PER_THREAD);
	free(p.s);
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup(test_format_parses, setup),
	    cmocka_unit_test_setup(test_disabled_counts_nothing, setup),
	    cmocka_unit_test(test_login_types),
	    cmocka_unit_test_setup(test_threads_sum, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
