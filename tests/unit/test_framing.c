/* SPDX-License-Identifier: Apache-2.0 */
/* Strict HTTP framing: Content-Length, Transfer-Encoding, field names. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "http/framing.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

static int check(const struct http_field *f, size_t n)
{
	const char *msg = NULL;
	int rc = http_framing_check(f, n, &msg);

	if (rc != 0)
		assert_non_null(msg);
	return rc;
}

static void test_plain_requests_pass(void **state)
{
	struct http_field cl[] = {{"Host", "x"}, {"Content-Length", "42"}};
	struct http_field te[] = {{"Host", "x"}, {"transfer-encoding", "Chunked"}};
	struct http_field none[] = {{"Host", "x"}, {"X-Odd_name.v1~!", "y"}};

	(void)state;
	assert_int_equal(check(cl, N(cl)), 0);
	assert_int_equal(check(te, N(te)), 0);
	assert_int_equal(check(none, N(none)), 0);
	assert_int_equal(check(NULL, 0), 0);
}

static void test_content_length(void **state)
{
	static const char *const bad[] = {"+2", "-2",  "2, 2", " 2",
					  "2 ", "0x2", "",     "1234567890123456789"};
	struct http_field two[] = {{"Content-Length", "2"}, {"content-length", "20"}};
	struct http_field same[] = {{"Content-Length", "2"}, {"Content-Length", "2"}};

	(void)state;
	for (size_t i = 0; i < N(bad); i++) {
		struct http_field f[] = {{"Content-Length", bad[i]}};

		assert_int_equal(check(f, 1), 400);
	}
	assert_int_equal(check(two, N(two)), 400);
	assert_int_equal(check(same, N(same)), 400); /* identical copies too */
}

static void test_transfer_encoding(void **state)
{
	struct http_field list[] = {{"Transfer-Encoding", "gzip, chunked"}};
	struct http_field twice[] = {{"Transfer-Encoding", "chunked"},
				     {"Transfer-Encoding", "chunked"}};
	struct http_field both[] = {{"Content-Length", "5"}, {"Transfer-Encoding", "chunked"}};

	(void)state;
	assert_int_equal(check(list, N(list)), 400);
	assert_int_equal(check(twice, N(twice)), 400);
	assert_int_equal(check(both, N(both)), 400);
}

static void test_field_names(void **state)
{
	static const char *const bad[] = {"Transfer-Encoding ",
					  " Host",
					  "Content Length",
					  "",
					  "X\001",
					  "a:b",
					  "a(b)",
					  "\xc3\xa9"};

	(void)state;
	for (size_t i = 0; i < N(bad); i++) {
		struct http_field f[] = {{bad[i], "v"}};

		assert_int_equal(check(f, 1), 400);
	}
	assert_true(http_is_token("Content-Length", 14));
	assert_false(http_is_token("a b", 3));
	assert_false(http_is_token("", 0));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_plain_requests_pass),
	    cmocka_unit_test(test_content_length),
	    cmocka_unit_test(test_transfer_encoding),
	    cmocka_unit_test(test_field_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
