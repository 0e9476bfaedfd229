/* SPDX-License-Identifier: Apache-2.0 */
/* Trusted-proxy ranges and the client address behind them (util/netaddr,
 * http/forwarded). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "http/forwarded.h"
#include "util/netaddr.h"

static struct netrange_list list(const char *s)
{
	struct netrange_list l;
	struct err err = {0};

	assert_int_equal(netrange_list_parse(s, &l, &err), 0);
	return l;
}

static bool in(const struct netrange_list *l, const char *addr)
{
	struct netaddr a;

	assert_true(netaddr_parse(addr, strlen(addr), &a));
	return netrange_list_contains(l, &a);
}

static void test_ranges(void **state)
{
	struct netrange_list l = list(" 127.0.0.1,10.0.0.0/8  192.168.4.0/23, ::1, fd00::/8 ");

	(void)state;
	assert_int_equal(l.n, 5);
	assert_true(in(&l, "127.0.0.1"));
	assert_false(in(&l, "127.0.0.2"));
	assert_true(in(&l, "10.255.1.2"));
	assert_false(in(&l, "11.0.0.1"));
	assert_true(in(&l, "192.168.5.255"));
	assert_false(in(&l, "192.168.6.0"));
	assert_true(in(&l, "::1"));
	assert_true(in(&l, "fdab::7"));
	assert_false(in(&l, "fe80::1"));
	/* an IPv4-mapped peer is the IPv4 address */
	assert_true(in(&l, "::ffff:10.1.2.3"));
	netrange_list_release(&l);

	l = list("0.0.0.0/0");
	assert_true(in(&l, "203.0.113.9"));
	assert_false(in(&l, "2001:db8::1"));
	netrange_list_release(&l);

	l = list("   ");
	assert_int_equal(l.n, 0);
	assert_false(in(&l, "127.0.0.1"));
	netrange_list_release(&l);
}

static void test_bad_ranges(void **state)
{
	static const char *const bad[] = {"localhost",	   "10.0.0.0/33", "10.0.0.1/8", "10.0.0.0/",
					  "10.0.0.0/0008", "::1/129",	  "1.2.3",	"1.2.3.4.5",
					  "[::1]",	   "10.0.0.0/8x", "127.0.0.1;", NULL};
	struct netrange_list l;

	(void)state;
	for (size_t i = 0; bad[i] != NULL; i++) {
		struct err err = {0};

		assert_int_equal(netrange_list_parse(bad[i], &l, &err), -1);
		assert_non_null(strstr(err.msg, "not an address"));
		assert_null(l.v);
	}
}

/* The client behind proxies `trusted`, as the server would record it. */
static const char *client(const char *trusted, const char *peer, enum forwarded_kind kind,
			  const char *h1, const char *h2)
{
	static char out[64];
	const char *values[2] = {h1, h2};
	struct netrange_list l = list(trusted);
	struct netaddr a;

	if (!forwarded_client(peer, values, h2 != NULL ? 2 : h1 != NULL ? 1 : 0, kind, &l, &a))
		snprintf(out, sizeof(out), "(not an address)");
	else
		assert_true(netaddr_format(&a, out, sizeof(out)));
	netrange_list_release(&l);
	return out;
}

static void test_xff_right_most_untrusted(void **state)
{
	const enum forwarded_kind x = FORWARDED_XFF;

	(void)state;
	/* the untrusted peer's header is never read */
	assert_string_equal(client("10.0.0.1", "127.0.0.1", x, "203.0.113.7", NULL), "127.0.0.1");
	assert_string_equal(client("", "127.0.0.1", x, "203.0.113.7", NULL), "127.0.0.1");
	/* one proxy: what it appended, not what the client wrote to its left */
	assert_string_equal(client("127.0.0.1", "127.0.0.1", x, "6.6.6.6, 203.0.113.7", NULL),
			    "203.0.113.7");
	/* two trusted hops are skipped */
	assert_string_equal(client("127.0.0.1, 10.0.0.0/8", "127.0.0.1", x,
				   "6.6.6.6, 198.51.100.2, 10.1.1.1", NULL),
			    "198.51.100.2");
	/* every hop trusted: the left-most */
	assert_string_equal(
	    client("127.0.0.1, 10.0.0.0/8", "127.0.0.1", x, "10.1.1.1,10.2.2.2", NULL), "10.1.1.1");
	/* header missing: the peer */
	assert_string_equal(client("127.0.0.1", "127.0.0.1", x, NULL, NULL), "127.0.0.1");
	/* several header lines are one list, in order */
	assert_string_equal(client("127.0.0.1", "127.0.0.1", x, "6.6.6.6", "198.51.100.3"),
			    "198.51.100.3");
	/* ports, brackets, canonical form */
	assert_string_equal(client("127.0.0.1", "127.0.0.1", x, "198.51.100.4:5123", NULL),
			    "198.51.100.4");
	assert_string_equal(client("127.0.0.1", "127.0.0.1", x, "[2001:DB8:0::1]:443", NULL),
			    "2001:db8::1");
	assert_string_equal(client("127.0.0.1", "127.0.0.1", x, "2001:db8::2", NULL),
			    "2001:db8::2");
	/* garbage written by the nearest proxy's client ends the walk at the proxy */
	assert_string_equal(client("127.0.0.1", "127.0.0.1", x, "evil, not-an-ip", NULL),
			    "127.0.0.1");
	assert_string_equal(client("127.0.0.1", "127.0.0.1", x, "1.2.3.4, ", NULL), "1.2.3.4");
	/* a peer that is not an address (Unix socket) is left to the caller */
	assert_string_equal(client("127.0.0.1", "unix:/run/x", x, "1.2.3.4", NULL),
			    "(not an address)");
}

static void test_xff_long_chain(void **state)
{
	char chain[4096] = "";
	size_t off = 0;

	(void)state;
	/* 200 forged entries to the left of the real one: only the right end counts */
	for (int i = 0; i < 200; i++)
		off += (size_t)snprintf(chain + off, sizeof(chain) - off, "6.6.%d.%d, ", i / 256,
					i % 256);
	snprintf(chain + off, sizeof(chain) - off, "198.51.100.9");
	assert_string_equal(client("127.0.0.1", "127.0.0.1", FORWARDED_XFF, chain, NULL),
			    "198.51.100.9");
}

static void test_rfc7239(void **state)
{
	const enum forwarded_kind f = FORWARDED_RFC7239;

	(void)state;
	assert_string_equal(
	    client("127.0.0.1", "127.0.0.1", f, "for=6.6.6.6, for=198.51.100.7;proto=https", NULL),
	    "198.51.100.7");
	assert_string_equal(client("127.0.0.1", "127.0.0.1", f,
				   "proto=https;For=\"[2001:db8:cafe::17]:4711\";by=10.0.0.1",
				   NULL),
			    "2001:db8:cafe::17");
	assert_string_equal(client("127.0.0.1", "127.0.0.1", f, "for=\"198.51.100.8:80\"", NULL),
			    "198.51.100.8");
	/* a comma inside a quoted value does not split the element */
	assert_string_equal(
	    client("127.0.0.1", "127.0.0.1", f, "for=6.6.6.6;x=\"a,b\", for=198.51.100.10", NULL),
	    "198.51.100.10");
	/* "unknown" and obfuscated nodes end the walk at the proxy */
	assert_string_equal(client("127.0.0.1", "127.0.0.1", f, "for=unknown", NULL), "127.0.0.1");
	assert_string_equal(client("127.0.0.1", "127.0.0.1", f, "for=_hidden", NULL), "127.0.0.1");
	assert_string_equal(client("127.0.0.1", "127.0.0.1", f, "by=1.2.3.4", NULL), "127.0.0.1");
	/* X-Forwarded-For syntax is not read as Forwarded */
	assert_string_equal(client("127.0.0.1", "127.0.0.1", f, "198.51.100.11", NULL),
			    "127.0.0.1");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_ranges),
	    cmocka_unit_test(test_bad_ranges),
	    cmocka_unit_test(test_xff_right_most_untrusted),
	    cmocka_unit_test(test_xff_long_chain),
	    cmocka_unit_test(test_rfc7239),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
