/* SPDX-License-Identifier: Apache-2.0 */
/* Body and query parsing: JSON and form bodies, content types, bad input. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "http/body.h"

static int parse(const char *ct, const char *body, json_t **out)
{
	const char *msg = NULL;

	return http_body_parse(ct, body, strlen(body), out, &msg);
}

static void test_json_object(void **state)
{
	json_t *v = NULL;

	(void)state;
	assert_int_equal(parse("application/json; charset=utf-8", "{\"a\":\"b\",\"n\":1}", &v), 0);
	assert_string_equal(json_string_value(json_object_get(v, "a")), "b");
	assert_int_equal(json_integer_value(json_object_get(v, "n")), 1);
	json_decref(v);
}

static void test_json_errors(void **state)
{
	json_t *v = NULL;

	(void)state;
	assert_int_equal(parse("application/json", "{\"a\":", &v), 400);
	assert_null(v);
	assert_int_equal(parse("application/json", "[1,2]", &v), 422);
	assert_int_equal(parse("application/json", "42", &v), 422);
	assert_int_equal(parse("application/json", "{\"a\":1,\"a\":2}", &v), 400);
	assert_int_equal(parse("text/plain", "hello", &v), 415);
	assert_int_equal(parse("application/jsonx", "{}", &v), 415);
	/* a body without a Content-Type is not guessed to be JSON */
	assert_int_equal(parse(NULL, "{\"a\":\"b\"}", &v), 415);
	assert_null(v);
	assert_int_equal(parse(NULL, "", &v), 0);
}

static void test_empty_body(void **state)
{
	json_t *v = (json_t *)1;

	(void)state;
	assert_int_equal(parse("text/plain", "", &v), 0);
	assert_null(v);
}

static void test_form(void **state)
{
	json_t *v = NULL;

	(void)state;
	assert_int_equal(parse("application/x-www-form-urlencoded",
			       "client_id=web&username=a%40b.c&password=p+w%26d&empty=&x=2", &v),
			 0);
	assert_string_equal(json_string_value(json_object_get(v, "client_id")), "web");
	assert_string_equal(json_string_value(json_object_get(v, "username")), "a@b.c");
	assert_string_equal(json_string_value(json_object_get(v, "password")), "p w&d");
	assert_string_equal(json_string_value(json_object_get(v, "empty")), "");
	assert_string_equal(json_string_value(json_object_get(v, "x")), "2");
	json_decref(v);
}

static void test_form_errors(void **state)
{
	json_t *v = NULL;

	(void)state;
	assert_int_equal(parse("application/x-www-form-urlencoded", "a=%zz", &v), 400);
	assert_int_equal(parse("application/x-www-form-urlencoded", "a=%4", &v), 400);
	assert_int_equal(parse("application/x-www-form-urlencoded", "a=%00", &v), 400);
	assert_int_equal(parse("application/x-www-form-urlencoded", "=v", &v), 400);
	/* a key given twice is refused, as JSON refuses a duplicate member */
	assert_int_equal(parse("application/x-www-form-urlencoded", "x=1&x=2", &v), 400);
	assert_int_equal(parse("application/x-www-form-urlencoded", "x=1&%78=1", &v), 400);
	assert_null(v);
}

static void test_url_decode(void **state)
{
	char *s;

	(void)state;
	s = http_url_decode("%2Fa%2fb+c", 10, 0);
	assert_string_equal(s, "/a/b+c");
	free(s);
	s = http_url_decode("%", 1, 0);
	assert_null(s);
	s = http_url_decode("ab%4", 4, 0);
	assert_null(s);
}

static void test_path_decode(void **state)
{
	char *s;

	(void)state;
	/* an encoded slash (and percent) stays an escape, in upper case */
	s = http_path_decode("/auth%2fme", 10);
	assert_string_equal(s, "/auth%2Fme");
	free(s);
	s = http_path_decode("/a%252Fb", 8);
	assert_string_equal(s, "/a%252Fb");
	free(s);
	s = http_path_decode("/%61uth/m%65+x", 14);
	assert_string_equal(s, "/auth/me+x");
	free(s);
	assert_null(http_path_decode("/a%00", 5));
	assert_null(http_path_decode("/a%2", 4));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_json_object), cmocka_unit_test(test_json_errors),
	    cmocka_unit_test(test_empty_body),	cmocka_unit_test(test_form),
	    cmocka_unit_test(test_form_errors), cmocka_unit_test(test_url_decode),
	    cmocka_unit_test(test_path_decode),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
