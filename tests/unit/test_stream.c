/* SPDX-License-Identifier: Apache-2.0 */
/* The body guard's request stream (http_stream_feed): what it passes on and what it refuses. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "http/stream.h"

struct fed {
	int rc;
	size_t used;
	unsigned long heads;
	const char *msg;
};

/* Feed text in pieces of `piece` bytes (0: whole), limits 100 and 256. */
static struct fed feed(const char *text, size_t piece)
{
	struct http_stream s;
	struct fed f = {0};
	size_t len = strlen(text), off = 0, used;

	http_stream_init(&s, 100, 256);
	while (off < len && f.rc == 0) {
		size_t n = piece == 0 || piece > len - off ? len - off : piece;

		f.rc = http_stream_feed(&s, text + off, n, &used);
		f.used = off + used;
		off += n;
	}
	f.heads = s.heads;
	f.msg = s.msg;
	http_stream_release(&s);
	return f;
}

static void expect(const char *text, int rc, unsigned long heads)
{
	for (size_t piece = 0; piece < 4; piece++) {
		struct fed f = feed(text, piece);

		assert_int_equal(f.rc, rc);
		assert_int_equal(f.heads, heads);
	}
}

static void test_passes_well_framed_requests(void **state)
{
	(void)state;
	expect("GET / HTTP/1.1\r\nHost: x\r\n\r\nGET /b HTTP/1.0\n\n", 0, 2);
	expect("POST /a HTTP/1.1\r\nContent-Length: 5\r\n\r\nhelloGET / HTTP/1.1\r\n\r\n", 0, 2);
	expect("POST /a HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
	       "5\r\nhello\r\nA ;ext=1\r\n0123456789\r\n0\r\nT: 1\r\n\r\nGET / HTTP/1.1\r\n\r\n",
	       0, 2);
	/* evhttp reads no body for GET: what follows is the next request */
	expect("GET / HTTP/1.1\r\nContent-Length: 5\r\n\r\nGET / HTTP/1.1\r\n\r\n", 0, 2);
}

static void test_refuses_malformed_heads(void **state)
{
	(void)state;
	expect("GET\r\n\r\n", 400, 0);
	expect("GET / HTTP/2.0\r\n\r\n", 400, 0);
	expect("\r\n\r\n", 400, 0);
	expect("GET / HTTP/1.1\r\nHost x\r\n\r\n", 400, 0);
	expect("GET / HTTP/1.1\r\nHost: x\r\n folded\r\n\r\n", 400, 0);
	expect("POST / HTTP/1.1\r\nContent-Length: 2, 2\r\n\r\n", 400, 0);
	expect("POST / HTTP/1.1\r\nContent-Length: -2\r\n\r\n", 400, 0);
	expect(
	    "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n",
	    400, 0);
	/* the second request, after the first was passed on */
	expect("GET / HTTP/1.1\r\n\r\nPOST / HTTP/1.1\r\nContent-Length: 0x2\r\n\r\n", 400, 1);
}

static void test_refuses_broken_chunks(void **state)
{
	const char *head = "POST /a HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n";
	const char *bodies[] = {"zz\r\n",  "2\r\n{}XX", "2;x\r\n",
				"0x2\r\n", "2 \r\n",	"2\r\n{}\r\n0\r\nno colon\r\n\r\n",
				"2\rX"};
	char buf[256];

	(void)state;
	for (size_t i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
		snprintf(buf, sizeof(buf), "%s%s", head, bodies[i]);
		expect(buf, 400, 1);
	}
}

static void test_limits(void **state)
{
	char big[400];

	(void)state;
	expect("POST /a HTTP/1.1\r\nContent-Length: 101\r\n\r\n", 413, 0);
	expect("POST /a HTTP/1.1\r\nContent-Length: 100\r\n\r\n", 0, 1);
	expect("POST /a HTTP/1.1\r\nContent-Length: 99999999999999999\r\n\r\n", 413, 0);
	/* chunk sizes count as they arrive: 0x40 + 0x40 > 100, data not needed */
	expect("POST /a HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n40\r\n", 0, 1);
	expect("POST /a HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n65\r\n", 413, 1);
	expect("POST /a HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nffffffffffffffffffff\r\n",
	       413, 1);
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	memcpy(big, "GET / HTTP/1.1\r\nX: ", 19);
	expect(big, 431, 0);
}

static void test_refusal_points_at_the_request(void **state)
{
	const char *text = "GET / HTTP/1.1\r\n\r\nGET\r\n\r\nGET / HTTP/1.1\r\n\r\n";
	struct fed f = feed(text, 0);

	(void)state;
	assert_int_equal(f.rc, 400);
	assert_string_equal(f.msg, "Malformed request line");
	/* decided at the empty line that ends the second head */
	assert_int_equal(f.used, strlen("GET / HTTP/1.1\r\n\r\nGET\r\n\r\n"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_passes_well_framed_requests),
	    cmocka_unit_test(test_refuses_malformed_heads),
	    cmocka_unit_test(test_refuses_broken_chunks),
	    cmocka_unit_test(test_limits),
	    cmocka_unit_test(test_refusal_points_at_the_request),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
