/* SPDX-License-Identifier: Apache-2.0 */
/* activity/filter.c: LoopBack filter → parameterised SQL, deep-object parameters. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "activity/filter.h"

static json_t *js(const char *text)
{
	json_error_t je;
	json_t *v = json_loads(text, JSON_DECODE_ANY, &je);

	if (v == NULL)
		fail_msg("bad test JSON %s: %s", text, je.text);
	return v;
}

/* Parse a whole filter; returns the where text (static copy) and checks the params. */
static struct activity_query q;

static void parse_ok(const char *filter)
{
	struct err err = {0};
	json_t *f = js(filter);

	activity_query_release(&q);
	activity_query_init(&q);
	if (activity_filter_parse(&q, f, &err) < 0)
		fail_msg("%s: unexpected error %s", filter, err.msg);
	json_decref(f);
}

static void where_is(const char *filter, const char *sql, size_t nparams, ...)
{
	va_list ap;

	parse_ok(filter);
	assert_string_equal(q.where, sql);
	assert_int_equal(q.nparams, nparams);
	va_start(ap, nparams);
	for (size_t i = 0; i < nparams; i++)
		assert_string_equal(q.params[i], va_arg(ap, const char *));
	va_end(ap);
}

static void parse_fails(const char *filter, const char *fragment)
{
	struct err err = {0};
	json_t *f = js(filter);
	struct activity_query b;

	activity_query_init(&b);
	if (activity_filter_parse(&b, f, &err) == 0)
		fail_msg("%s: accepted", filter);
	assert_int_equal(err.code, 400);
	if (strstr(err.msg, fragment) == NULL)
		fail_msg("%s: message \"%s\" lacks \"%s\"", filter, err.msg, fragment);
	activity_query_release(&b);
	json_decref(f);
}

static int teardown(void **state)
{
	(void)state;
	activity_query_release(&q);
	activity_query_init(&q);
	return 0;
}

static void test_equality_and_null(void **state)
{
	(void)state;
	where_is("{\"where\":{\"actor\":\"a1\"}}", "(actor = $1)", 1, "a1");
	where_is("{\"where\":{\"actor\":{\"eq\":\"a1\"}}}", "((actor = $1))", 1, "a1");
	where_is("{\"where\":{\"actor\":7}}", "(actor = $1)", 1, "7");
	where_is("{\"where\":{\"deviceInfo\":null}}", "(device_info IS NULL)", 0);
	where_is("{\"where\":{\"deviceInfo\":{\"neq\":null}}}", "((device_info IS NOT NULL))", 0);
	where_is("{\"where\":{}}", "TRUE", 0);
}

static void test_comparison_operators(void **state)
{
	(void)state;
	where_is("{\"where\":{\"actor\":{\"neq\":\"x\"}}}", "((actor != $1))", 1, "x");
	where_is("{\"where\":{\"loginTime\":{\"gt\":\"2024-03-22T10:00:00Z\"}}}",
		 "((login_time > $1::timestamptz))", 1, "2024-03-22T10:00:00.000000Z");
	where_is("{\"where\":{\"loginTime\":{\"gte\":\"2024-03-22\"}}}",
		 "((login_time >= $1::timestamptz))", 1, "2024-03-22T00:00:00.000000Z");
	where_is("{\"where\":{\"loginTime\":{\"lt\":\"2024-03-22T12:00:00.5+02:00\"}}}",
		 "((login_time < $1::timestamptz))", 1, "2024-03-22T10:00:00.500000Z");
	where_is("{\"where\":{\"actor\":{\"lte\":\"m\"}}}", "((actor <= $1))", 1, "m");
	where_is("{\"where\":{\"id\":\"00000000-0000-4000-8000-000000000001\"}}", "(id = $1::uuid)",
		 1, "00000000-0000-4000-8000-000000000001");
}

static void test_list_and_range_operators(void **state)
{
	(void)state;
	where_is("{\"where\":{\"actor\":{\"inq\":[\"a\",\"b\"]}}}", "((actor IN ($1, $2)))", 2, "a",
		 "b");
	where_is("{\"where\":{\"actor\":{\"nin\":[\"a\"]}}}", "((actor NOT IN ($1)))", 1, "a");
	where_is("{\"where\":{\"actor\":{\"inq\":[]}}}", "((FALSE))", 0);
	where_is("{\"where\":{\"actor\":{\"nin\":[]}}}", "((TRUE))", 0);
	where_is("{\"where\":{\"loginTime\":{\"between\":[\"2024-01-01\",\"2024-02-01\"]}}}",
		 "((login_time BETWEEN $1::timestamptz AND $2::timestamptz))", 2,
		 "2024-01-01T00:00:00.000000Z", "2024-02-01T00:00:00.000000Z");
}

static void test_pattern_operators(void **state)
{
	(void)state;
	where_is("{\"where\":{\"deviceInfo\":{\"like\":\"chr%\"}}}", "((device_info LIKE $1))", 1,
		 "chr%");
	where_is("{\"where\":{\"deviceInfo\":{\"nlike\":\"chr%\"}}}", "((device_info NOT LIKE $1))",
		 1, "chr%");
	where_is("{\"where\":{\"deviceInfo\":{\"ilike\":\"c%\"}}}", "((device_info ILIKE $1))", 1,
		 "c%");
	where_is("{\"where\":{\"deviceInfo\":{\"nilike\":\"c%\"}}}", "((device_info NOT ILIKE $1))",
		 1, "c%");
	where_is("{\"where\":{\"actor\":{\"regexp\":\"^a[0-9]\"}}}", "((actor ~ $1))", 1,
		 "^a[0-9]");
	where_is("{\"where\":{\"actor\":{\"regexp\":\"/^A/i\"}}}", "((actor ~* $1))", 1, "^A");
	where_is("{\"where\":{\"id\":{\"like\":\"%01\"}}}", "((id::text LIKE $1))", 1, "%01");
}

static void test_and_or_nesting(void **state)
{
	(void)state;
	where_is("{\"where\":{\"or\":[{\"actor\":\"a\"},{\"and\":[{\"loginType\":\"ACCESS\"},"
		 "{\"tenantId\":\"t\"}]}]}}",
		 "(((actor = $1) OR (((login_type = $2) AND (tenant_id = $3)))))", 3, "a", "ACCESS",
		 "t");
	where_is("{\"where\":{\"actor\":{\"gt\":\"a\",\"lt\":\"c\"}}}",
		 "((actor > $1 AND actor < $2))", 2, "a", "c");
}

static void test_fields_forms(void **state)
{
	(void)state;
	parse_ok("{}");
	assert_int_equal(q.fields, ACTIVITY_FIELDS_ALL);
	parse_ok("{\"fields\":[\"id\",\"loginTime\"]}");
	assert_int_equal(q.fields, (1u << ACTIVITY_F_ID) | (1u << ACTIVITY_F_LOGIN_TIME));
	assert_int_equal(activity_query_nfields(&q), 2);
	assert_int_equal(activity_query_field(&q, 1), ACTIVITY_F_LOGIN_TIME);
	parse_ok("{\"fields\":{\"actor\":true,\"id\":false}}");
	assert_int_equal(q.fields, 1u << ACTIVITY_F_ACTOR);
	parse_ok("{\"fields\":{\"tokenPayload\":false}}");
	assert_int_equal(q.fields, ACTIVITY_FIELDS_ALL & ~(1u << ACTIVITY_F_TOKEN_PAYLOAD));
	parse_ok("{\"fields\":{\"actor\":\"true\"}}");
	assert_int_equal(q.fields, 1u << ACTIVITY_F_ACTOR);
	parse_ok("{\"fields\":[]}");
	assert_int_equal(q.fields, ACTIVITY_FIELDS_ALL);
}

static void test_order_forms(void **state)
{
	(void)state;
	parse_ok("{\"order\":\"loginTime DESC\"}");
	assert_string_equal(q.order, "login_time DESC");
	parse_ok("{\"order\":\"actor\"}");
	assert_string_equal(q.order, "actor ASC");
	parse_ok("{\"order\":[\"actor desc\",\"loginTime asc\"]}");
	assert_string_equal(q.order, "actor DESC, login_time ASC");
	parse_ok("{\"order\":\"actor DESC, loginTime\"}");
	assert_string_equal(q.order, "actor DESC, login_time ASC");
}

static void test_limit_skip_offset_and_sql(void **state)
{
	struct err err = {0};
	const char *sql;

	(void)state;
	parse_ok("{}");
	assert_int_equal(q.limit, ACTIVITY_LIMIT_DEFAULT);
	parse_ok("{\"limit\":5,\"skip\":10}");
	assert_int_equal(q.limit, 5);
	assert_int_equal(q.offset, 10);
	parse_ok("{\"limit\":\"7\",\"offset\":\"3\"}");
	assert_int_equal(q.limit, 7);
	assert_int_equal(q.offset, 3);
	parse_ok("{\"offset\":3,\"skip\":4}");
	assert_int_equal(q.offset, 4);
	parse_ok("{\"limit\":1000}");
	assert_int_equal(q.limit, 1000);
	parse_ok("{\"limit\":0}");
	assert_int_equal(q.limit, ACTIVITY_LIMIT_DEFAULT);

	parse_ok("{\"where\":{\"actor\":\"a\"},\"fields\":[\"id\"],\"order\":\"loginTime DESC\","
		 "\"limit\":50,\"skip\":2}");
	assert_int_equal(activity_query_and_eq(&q, ACTIVITY_F_TENANT_ID, "t1", &err), 0);
	sql = activity_query_sql(&q, ACTIVITY_SQL_LIST, &err);
	assert_non_null(sql);
	assert_string_equal(sql, "SELECT id::text FROM main.login_activity WHERE (actor = $1) AND "
				 "tenant_id = $2 ORDER BY login_time DESC LIMIT $3::bigint OFFSET "
				 "$4::bigint");
	assert_int_equal(q.nparams, 4);
	assert_string_equal(q.params[1], "t1");
	assert_string_equal(q.params[2], "50");
	assert_string_equal(q.params[3], "2");

	parse_ok("{}");
	sql = activity_query_sql(&q, ACTIVITY_SQL_COUNT, &err);
	assert_string_equal(sql, "SELECT count(*) FROM main.login_activity WHERE TRUE");
	assert_int_equal(activity_query_and_eq(&q, ACTIVITY_F_ID, "nope", &err), -1);
	assert_int_equal(err.code, 404);
}

static void test_bad_inputs(void **state)
{
	(void)state;
	parse_fails("[]", "filter must be an object");
	parse_fails("{\"where\":{\"foo\":1}}", "Unknown property 'foo' in where");
	parse_fails("{\"where\":{\"actor\":{\"foo\":1}}}", "Unknown operator 'foo'");
	parse_fails("{\"where\":{\"actor\":{}}}", "empty condition");
	parse_fails("{\"where\":{\"actor\":true}}", "expected a string");
	parse_fails("{\"where\":{\"actor\":1.5}}", "expected a string");
	parse_fails("{\"where\":{\"actor\":[\"a\"]}}", "expected a string");
	parse_fails("{\"where\":{\"actor\":{\"gt\":null}}}", "needs a value");
	parse_fails("{\"where\":{\"actor\":{\"inq\":\"a\"}}}", "expects an array");
	parse_fails("{\"where\":{\"actor\":{\"inq\":[{}]}}}", "expected a string");
	parse_fails("{\"where\":{\"actor\":{\"between\":[\"a\"]}}}", "two values");
	parse_fails("{\"where\":{\"actor\":{\"like\":5}}}", "expects a string");
	parse_fails("{\"where\":{\"actor\":{\"regexp\":5}}}", "regexp expects a string");
	parse_fails("{\"where\":{\"loginTime\":{\"like\":\"2024%\"}}}", "not supported");
	parse_fails("{\"where\":{\"loginTime\":\"2024-13-01\"}}", "ISO-8601");
	parse_fails("{\"where\":{\"loginTime\":\"2023-02-29\"}}", "ISO-8601");
	parse_fails("{\"where\":{\"loginTime\":\"2024-01-01T25:00\"}}", "ISO-8601");
	parse_fails("{\"where\":{\"loginTime\":\"2024-01-01T10:00Zjunk\"}}", "ISO-8601");
	parse_fails("{\"where\":{\"loginTime\":12345}}", "expected a string");
	parse_fails("{\"where\":{\"id\":\"1' OR '1'='1\"}}", "UUID");
	parse_fails("{\"where\":{\"and\":{}}}", "non-empty array");
	parse_fails("{\"where\":{\"or\":[]}}", "non-empty array");
	parse_fails("{\"where\":{\"or\":[1]}}", "where must be an object");
	parse_fails("{\"where\":\"actor = 1\"}", "where must be an object");
	parse_fails("{\"where\":{\"and\":[{\"and\":[{\"and\":[{\"and\":[{\"and\":[{\"and\":[{"
		    "\"and\":[{\"and\":[{\"and\":[{\"actor\":\"a\"}]}]}]}]}]}]}]}]}]}}",
		    "nested too deeply");
	parse_fails("{\"fields\":[\"nope\"]}", "Unknown property 'nope' in fields");
	parse_fails("{\"fields\":[1]}", "property names");
	parse_fails("{\"fields\":{\"actor\":\"yes\"}}", "true or false");
	parse_fails("{\"fields\":\"actor\"}", "object or an array");
	parse_fails("{\"fields\":{\"id\":false,\"actor\":false,\"tenantId\":false,\"loginTime\":"
		    "false,\"tokenPayload\":false,\"loginType\":false,\"deviceInfo\":false,"
		    "\"ipAddress\":false}}",
		    "no property");
	parse_fails("{\"order\":\"loginTime; DROP TABLE x\"}", "Unknown property");
	parse_fails("{\"order\":\"loginTime DESC; DROP\"}", "ASC or DESC");
	parse_fails("{\"order\":\"\"}", "Invalid order");
	parse_fails("{\"order\":5}", "order must be");
	parse_fails("{\"order\":[\"actor\",5]}", "order must be");
	parse_fails("{\"limit\":-1}", "limit");
	parse_fails("{\"limit\":1001}", "between 0 and 1000");
	parse_fails("{\"limit\":\"1001\"}", "between 0 and 1000");
	parse_fails("{\"limit\":2.0}", "non-negative integer");
	parse_fails("{\"limit\":\"5x\"}", "non-negative integer");
	parse_fails("{\"limit\":\"\"}", "non-negative integer");
	parse_fails("{\"skip\":\"99999999999999999999\"}", "non-negative integer");
	parse_fails("{\"skip\":true}", "skip");
	parse_fails("{\"include\":[\"x\"]}", "Unknown property 'include' in filter");
}

static void regexp_ok(const char *pattern)
{
	struct err err = {0};

	if (activity_regexp_check(pattern, &err) < 0)
		fail_msg("%s: refused: %s", pattern, err.msg);
}

static void regexp_refused(const char *pattern, const char *fragment)
{
	struct err err = {0};

	if (activity_regexp_check(pattern, &err) == 0)
		fail_msg("%s: accepted", pattern);
	assert_int_equal(err.code, 400);
	if (strstr(err.msg, fragment) == NULL)
		fail_msg("%s: message %s lacks %s", pattern, err.msg, fragment);
}

/* Patterns whose cost grows faster than the text are refused before SQL. */
static void test_regexp_bounds(void **state)
{
	char longer[ACTIVITY_REGEXP_LEN_MAX + 2];

	(void)state;
	for (const char *const *p =
		 (const char *const[]){
		     "^a[0-9]", "(fire|saf)",  "^chrome-.*$", "a+b+c*",	 "(ab)+",
		     "(a+)?",	"a*?b+?",      "[(+*]+",      "[]a]*",	 "[[:alpha:]]{2,5}",
		     "x{100}",	"x{0,100}",    "x{3,}",	      "(?:ab)*", "(?i)abc",
		     "(?=a)a+", "\\d+\\.\\d+", "\\(a+\\)+",   "\\0",	 "a{",
		     NULL};
	     *p != NULL; p++)
		regexp_ok(*p);
	regexp_refused("(a+)+$", "nested quantifiers");
	regexp_refused("(a*)*", "nested quantifiers");
	regexp_refused("(x(a+)b)*", "nested quantifiers");
	regexp_refused("(a?){30}", "nested quantifiers");
	regexp_refused("(?:a|b+){2,}", "nested quantifiers");
	regexp_refused("(.{1,50}){1,50}", "nested quantifiers");
	regexp_refused("(a)\\1", "backreferences");
	regexp_refused("(a+)x\\1", "backreferences");
	regexp_refused("a{101}", "counts above 100");
	regexp_refused("a{1,1000}", "counts above 100");
	regexp_refused("a{99999999999999999999}", "counts above 100");
	regexp_refused("((((((((((a))))))))))", "nested deeper");
	regexp_refused("***:(a+)+", "directors");
	regexp_refused("(?x)a # (", "option 'x'");
	regexp_refused("(?b)\\(a*\\)*", "option 'b'");
	memset(longer, 'a', sizeof(longer) - 1);
	longer[sizeof(longer) - 1] = '\0';
	regexp_refused(longer, "longer than 256");
	longer[ACTIVITY_REGEXP_LEN_MAX] = '\0';
	regexp_ok(longer);
	/* through the filter, with the property named */
	parse_fails("{\"where\":{\"actor\":{\"regexp\":\"/(a+)+$/i\"}}}",
		    "Invalid value for 'actor': regexp: nested quantifiers");
}

static void test_too_many_values(void **state)
{
	char buf[16384];
	size_t n = 0;

	(void)state;
	n += (size_t)snprintf(buf + n, sizeof(buf) - n, "{\"where\":{\"actor\":{\"inq\":[");
	for (int i = 0; i < ACTIVITY_PARAMS_MAX + 1; i++)
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%s\"v\"", i ? "," : "");
	snprintf(buf + n, sizeof(buf) - n, "]}}}");
	parse_fails(buf, "too many values");
}

/* ---------------------------------------------------------------- deep-object form */

static json_t *deep(const struct kv *kv, size_t n, const char *name, int want_rc)
{
	struct err err = {0};
	json_t *out = NULL;
	int rc = activity_param_json(name, kv, n, &out, &err);

	if (rc != want_rc)
		fail_msg("rc %d, want %d (%s)", rc, want_rc, err.msg);
	if (rc < 0)
		assert_int_equal(err.code, 400);
	return out;
}

static void assert_json(json_t *got, const char *want)
{
	json_t *w = js(want);

	if (!json_equal(got, w)) {
		char *s = json_dumps(got, JSON_COMPACT | JSON_SORT_KEYS);

		fail_msg("got %s, want %s", s ? s : "(null)", want);
	}
	json_decref(w);
	json_decref(got);
}

static void test_deep_object_conversion(void **state)
{
	struct kv a[] = {{"filter[where][actor]", "a1"},
			 {"filter[limit]", "5"},
			 {"filter[order][0]", "loginTime DESC"},
			 {"filter[order][1]", "actor"},
			 {"filter[where][loginTime][gt]", "2024-01-01"},
			 {"other", "x"}};
	struct kv b[] = {{"filter[where][actor][inq][]", "a"},
			 {"filter[where][actor][inq][]", "b"}};
	struct kv c[] = {{"filter[where][or][1][actor]", "b"},
			 {"filter[where][or][0][actor]", "a"}};
	struct kv d[] = {{"filter", "{\"limit\":3}"}};
	struct kv e[] = {{"where[actor]", "x"}};
	struct kv f[] = {{"filter[fields][id]", "true"}};
	json_t *v;

	(void)state;
	assert_json(deep(a, 6, "filter", 1),
		    "{\"where\":{\"actor\":\"a1\",\"loginTime\":{\"gt\":\"2024-01-01\"}},"
		    "\"limit\":\"5\",\"order\":[\"loginTime DESC\",\"actor\"]}");
	assert_json(deep(b, 2, "filter", 1), "{\"where\":{\"actor\":{\"inq\":[\"a\",\"b\"]}}}");
	assert_json(deep(c, 2, "filter", 1),
		    "{\"where\":{\"or\":[{\"actor\":\"a\"},{\"actor\":\"b\"}]}}");
	assert_json(deep(d, 1, "filter", 1), "{\"limit\":3}");
	assert_json(deep(e, 1, "where", 1), "{\"actor\":\"x\"}");
	assert_json(deep(f, 1, "filter", 1), "{\"fields\":{\"id\":\"true\"}}");
	assert_null(deep(e, 1, "filter", 0));

	/* The converted deep form parses like the JSON form. */
	v = deep(a, 6, "filter", 1);
	activity_query_release(&q);
	activity_query_init(&q);
	{
		struct err err = {0};

		assert_int_equal(activity_filter_parse(&q, v, &err), 0);
	}
	assert_int_equal(q.limit, 5);
	assert_string_equal(q.order, "login_time DESC, actor ASC");
	json_decref(v);
}

static void test_deep_object_errors(void **state)
{
	struct kv twice[] = {{"filter[limit]", "1"}, {"filter[limit]", "2"}};
	struct kv both[] = {{"filter", "{}"}, {"filter[limit]", "2"}};
	struct kv conflict[] = {{"filter[where]", "x"}, {"filter[where][actor]", "a"}};
	struct kv open[] = {{"filter[where", "x"}};
	struct kv junk[] = {{"filter[where]x", "x"}};
	struct kv badjson[] = {{"filter", "{\"limit\":"}};
	struct kv notobj[] = {{"filter", "[1]"}};
	struct kv dupkeys[] = {{"filter", "{\"limit\":1,\"limit\":2}"}};
	struct kv jsontwice[] = {{"filter", "{}"}, {"filter", "{}"}};
	struct kv deepest[] = {{"filter[a][b][c][d][e][f][g][h][i][j][k][l][m][n][o][p][q]", "x"}};

	(void)state;
	deep(twice, 2, "filter", -1);
	deep(both, 2, "filter", -1);
	deep(conflict, 2, "filter", -1);
	deep(open, 1, "filter", -1);
	deep(junk, 1, "filter", -1);
	deep(badjson, 1, "filter", -1);
	deep(notobj, 1, "filter", -1);
	deep(dupkeys, 1, "filter", -1);
	deep(jsontwice, 2, "filter", -1);
	deep(deepest, 1, "filter", -1);
}

/* ---------------------------------------------------------------- dates, active users */

static void test_time_parse(void **state)
{
	char c[40];
	int64_t us;

	(void)state;
	assert_int_equal(activity_time_parse("1970-01-01T00:00:00Z", &us, c, sizeof(c)), 0);
	assert_int_equal(us, 0);
	assert_int_equal(activity_time_parse("2024-03-22T13:28:51.596Z", &us, c, sizeof(c)), 0);
	assert_string_equal(c, "2024-03-22T13:28:51.596000Z");
	assert_true(us == 1711114131596000LL);
	assert_int_equal(activity_time_parse("2024-03-01T00:30:00+01:00", NULL, c, sizeof(c)), 0);
	assert_string_equal(c, "2024-02-29T23:30:00.000000Z");
	assert_int_equal(activity_time_parse("2024-03-01 00:30-0130", NULL, c, sizeof(c)), 0);
	assert_string_equal(c, "2024-03-01T02:00:00.000000Z");
	assert_int_equal(activity_time_parse("2024-02-29", NULL, c, sizeof(c)), 0);
	assert_int_equal(activity_time_parse("2023-02-29", NULL, c, sizeof(c)), -1);
	assert_int_equal(activity_time_parse("0000-01-01", NULL, c, sizeof(c)), -1);
	assert_int_equal(activity_time_parse("0001-01-01T00:00:00+01:00", NULL, c, sizeof(c)), -1);
	assert_int_equal(activity_time_parse("2024-1-01", NULL, c, sizeof(c)), -1);
	assert_int_equal(activity_time_parse("2024-01-01T", NULL, c, sizeof(c)), -1);
	assert_int_equal(activity_time_parse("2024-01-01T10:00:00.", NULL, c, sizeof(c)), -1);
	assert_int_equal(activity_time_parse("", NULL, c, sizeof(c)), -1);
}

static void test_active_users_parse_and_sql(void **state)
{
	struct activity_users u = {0};
	struct err err = {0};
	struct activity_query aq;
	json_t *flt = js("{\"inclusion\":false,\"userIdentity\":\"userName\","
			 "\"userIdentifier\":[\"Bob\",\"ann\"]}");
	const char *sql;

	(void)state;
	assert_int_equal(activity_users_parse(&u, "daily", "2024-01-01", "2024-01-31", flt, &err),
			 0);
	assert_true(u.has_filter);
	assert_false(u.inclusion);
	assert_true(u.by_username);
	activity_query_init(&aq);
	sql = activity_users_sql(&aq, &u, "t1", &err);
	assert_non_null(sql);
	assert_non_null(strstr(sql, "BETWEEN $1::timestamptz AND $2::timestamptz AND tenant_id = $3"
				    " AND actor NOT IN (SELECT us.id::text FROM main.users us"));
	assert_non_null(strstr(sql, "lower(us.username) IN (lower($4), lower($5))"));
	assert_non_null(strstr(sql, "'YYYY-MM-DD'"));
	assert_int_equal(aq.nparams, 5);
	assert_string_equal(aq.params[0], "2024-01-01T00:00:00.000000Z");
	assert_string_equal(aq.params[3], "Bob");
	activity_query_release(&aq);
	activity_users_release(&u);
	json_decref(flt);

	assert_int_equal(
	    activity_users_parse(&u, "monthly", "2024-01-01", "2024-01-01", NULL, &err), 0);
	activity_query_init(&aq);
	sql = activity_users_sql(&aq, &u, NULL, &err);
	assert_non_null(strstr(sql, "'MM-YYYY'"));
	assert_null(strstr(sql, "tenant_id ="));
	assert_int_equal(aq.nparams, 2);
	activity_query_release(&aq);
	activity_users_release(&u);

	assert_int_equal(activity_users_parse(&u, "weekly", "2024-01-01", "2024-01-02", NULL, &err),
			 -1);
	assert_int_equal(activity_users_parse(&u, "daily", NULL, "2024-01-02", NULL, &err), -1);
	assert_int_equal(activity_users_parse(&u, "daily", "2024-01-03", "2024-01-02", NULL, &err),
			 -1);
	assert_int_equal(activity_users_parse(&u, "daily", "x", "2024-01-02", NULL, &err), -1);
	flt = js("{\"inclusion\":true}");
	assert_int_equal(activity_users_parse(&u, "daily", "2024-01-01", "2024-01-02", flt, &err),
			 -1);
	json_decref(flt);
	flt = js("{\"inclusion\":\"true\",\"userIdentity\":\"actorId\",\"userIdentifier\":[1]}");
	assert_int_equal(activity_users_parse(&u, "daily", "2024-01-01", "2024-01-02", flt, &err),
			 -1);
	json_decref(flt);
	flt = js("{\"inclusion\":\"true\",\"userIdentity\":\"actorId\",\"userIdentifier\":[],"
		 "\"x\":1}");
	assert_int_equal(activity_users_parse(&u, "daily", "2024-01-01", "2024-01-02", flt, &err),
			 -1);
	assert_int_equal(err.code, 400);
	json_decref(flt);
	activity_users_release(&u);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_teardown(test_equality_and_null, teardown),
	    cmocka_unit_test_teardown(test_comparison_operators, teardown),
	    cmocka_unit_test_teardown(test_list_and_range_operators, teardown),
	    cmocka_unit_test_teardown(test_pattern_operators, teardown),
	    cmocka_unit_test_teardown(test_and_or_nesting, teardown),
	    cmocka_unit_test_teardown(test_fields_forms, teardown),
	    cmocka_unit_test_teardown(test_order_forms, teardown),
	    cmocka_unit_test_teardown(test_limit_skip_offset_and_sql, teardown),
	    cmocka_unit_test_teardown(test_bad_inputs, teardown),
	    cmocka_unit_test_teardown(test_regexp_bounds, teardown),
	    cmocka_unit_test_teardown(test_too_many_values, teardown),
	    cmocka_unit_test_teardown(test_deep_object_conversion, teardown),
	    cmocka_unit_test_teardown(test_deep_object_errors, teardown),
	    cmocka_unit_test(test_time_parse),
	    cmocka_unit_test(test_active_users_parse_and_sql),
	};

	activity_query_init(&q);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
