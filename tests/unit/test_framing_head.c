/* The body guard's decision (http_head_body_too_large): a declared body over the limit. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "http/framing.h"

static int too_large(const char *head, size_t max)
{
	return http_head_body_too_large(head, strlen(head), max);
}

static void test_declared_length(void **state)
{
	(void)state;
	assert_true(too_large("POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: 101\r\n\r\n", 100));
	assert_false(too_large("POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n", 100));
	assert_true(too_large("POST /a HTTP/1.1\r\ncontent-length:  +5000\r\n\r\n{", 100));
	assert_true(too_large(
	    "POST /a HTTP/1.1\r\nContent-Length: 99999999999999999999999999\r\n\r\n", 100));
	/* the first one counts, as in evhttp */
	assert_false(
	    too_large("POST /a HTTP/1.1\r\nContent-Length: 2\r\nContent-Length: 900\r\n\r\n", 100));
}

static void test_left_to_evhttp(void **state)
{
	(void)state;
	/* head not complete yet */
	assert_false(too_large("POST /a HTTP/1.1\r\nContent-Length: 900\r\n", 100));
	/* chunked: the size is not known from the head */
	assert_false(too_large(
	    "POST /a HTTP/1.1\r\nTransfer-Encoding: chunked\r\nContent-Length: 900\r\n\r\n", 100));
	/* not the start of a request (a body, a continuation) */
	assert_false(too_large("{\"a\":1}\r\nContent-Length: 900\r\n\r\n", 100));
	assert_false(too_large("post /a HTTP/1.1\r\nContent-Length: 900\r\n\r\n", 100));
	assert_false(too_large("POST /a\r\nContent-Length: 900\r\n\r\n", 100));
	assert_false(too_large("POST /a HTTP/1.1\r\nContent-Length: abc\r\n\r\n", 100));
	assert_false(too_large("", 100));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_declared_length),
	    cmocka_unit_test(test_left_to_evhttp),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
