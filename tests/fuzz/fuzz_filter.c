/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libFuzzer target: the login-activity filter parser and SQL translator
 * (host/src/activity/filter.c). The input is tried three ways: as a filter=
 * JSON value, as a query string in deep-object form (key=value&...), and
 * as a where= value, then translated to SQL. Anything but a clean 0 / -1
 * with a message is a bug; so is a parameter count that does not match the
 * highest $n in the statement, or SQL text containing a quote (no value
 * may ever reach the SQL text).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "activity/filter.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The SQL text may hold quotes only in the fixed to_char formats. */
static void check_sql(const struct activity_query *q)
{
	const char *fixed = "to_char(login_time AT TIME ZONE 'UTC', "
			    "'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')";
	const char *p = q->sql;
	size_t maxn = 0;

	if (p == NULL)
		return;
	while (*p != '\0') {
		if (strncmp(p, fixed, strlen(fixed)) == 0) {
			p += strlen(fixed);
			continue;
		}
		if (*p == '\'' || *p == '"' || *p == ';' || (p[0] == '-' && p[1] == '-'))
			abort();
		if (*p == '$') {
			size_t n = strtoul(p + 1, NULL, 10);

			if (n > maxn)
				maxn = n;
		}
		p++;
	}
	if (maxn != q->nparams)
		abort();
}

static void translate(const json_t *filter, int as_where)
{
	struct activity_query q;
	struct err err = {0};
	int rc;

	activity_query_init(&q);
	rc = as_where ? activity_where_parse(&q, filter, &err)
		      : activity_filter_parse(&q, filter, &err);
	if (rc == 0) {
		if (activity_query_and_eq(&q, ACTIVITY_F_TENANT_ID, "tenant", &err) < 0)
			abort();
		/* COUNT first: LIST appends the limit and offset parameters */
		if (activity_query_sql(&q, ACTIVITY_SQL_COUNT, &err) != NULL)
			check_sql(&q);
		if (activity_query_sql(&q, ACTIVITY_SQL_LIST, &err) != NULL)
			check_sql(&q);
	} else if (err.msg[0] == '\0') {
		abort(); /* every refusal says why */
	}
	activity_query_release(&q);
}

/* "a=b&c=d" (no percent-decoding: the bytes are the decoded pairs). */
static void as_query(const char *s)
{
	struct kv kv[64];
	char *copy = strdup(s), *p = copy;
	size_t n = 0;
	json_t *out = NULL;
	struct err err = {0};

	if (copy == NULL)
		return;
	while (p != NULL && n < 64) {
		char *amp = strchr(p, '&'), *eq;

		if (amp != NULL)
			*amp = '\0';
		eq = strchr(p, '=');
		if (eq != NULL)
			*eq = '\0';
		kv[n].key = p;
		kv[n].val = eq ? eq + 1 : "";
		n++;
		p = amp ? amp + 1 : NULL;
	}
	if (activity_param_json("filter", kv, n, &out, &err) == 1)
		translate(out, 0);
	json_decref(out);
	out = NULL;
	if (activity_param_json("where", kv, n, &out, &err) == 1)
		translate(out, 1);
	json_decref(out);
	free(copy);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);
	struct kv kv[1];
	json_t *out = NULL;
	struct err err = {0};

	if (s == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	kv[0].key = "filter";
	kv[0].val = s;
	if (activity_param_json("filter", kv, 1, &out, &err) == 1)
		translate(out, 0);
	json_decref(out);
	as_query(s);
	{
		struct activity_users u = {0};
		json_t *f = json_loads(s, 0, NULL);
		struct activity_query q;

		if (activity_users_parse(&u, "daily", "2024-01-01", "2024-02-01", f, &err) == 0) {
			activity_query_init(&q);
			if (activity_users_sql(&q, &u, "t", &err) == NULL)
				abort();
			activity_query_release(&q);
		}
		activity_users_release(&u);
		json_decref(f);
	}
	free(s);
	return 0;
}
