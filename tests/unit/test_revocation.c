/* SPDX-License-Identifier: Apache-2.0 */
/* The in-memory set of revoked access tokens (tokens/revocation.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "tokens/revocation.h"

#define NOW 1800000000LL

static void test_hex_and_other_jtis(void **state)
{
	struct revocations r;

	(void)state;
	assert_int_equal(revocations_init(&r), 0);
	assert_int_equal(revocations_add(&r, "0123456789abcdef0123456789abcdef", NOW + 60), 0);
	assert_int_equal(revocations_add(&r, "not-hex-at-all", NOW + 60), 0);
	assert_true(revocations_contains(&r, "0123456789abcdef0123456789abcdef", NOW));
	assert_true(revocations_contains(&r, "not-hex-at-all", NOW));
	/* neighbours are not confused with them */
	assert_false(revocations_contains(&r, "0123456789abcdef0123456789abcdee", NOW));
	assert_false(revocations_contains(&r, "0123456789abcdef0123456789abcde", NOW));
	assert_false(revocations_contains(&r, "0123456789abcdef0123456789abcdef0", NOW));
	assert_false(revocations_contains(&r, "0123456789ABCDEF0123456789ABCDEF", NOW));
	assert_false(revocations_contains(&r, "not-hex-at-alL", NOW));
	assert_false(revocations_contains(&r, "", NOW));
	/* a revocation lasts until the token's own expiry */
	assert_false(revocations_contains(&r, "not-hex-at-all", NOW + 60));
	/* re-adding keeps the later expiry; a long-expired one is not kept */
	assert_int_equal(revocations_add(&r, "not-hex-at-all", NOW + 10), 0);
	assert_true(revocations_contains(&r, "not-hex-at-all", NOW + 30));
	assert_int_equal(revocations_add(&r, "gone", 0), 0);
	assert_false(revocations_contains(&r, "gone", 0));
	assert_int_equal(revocations_count(&r), 2);
	/* refused input */
	assert_int_equal(revocations_add(&r, "", NOW + 60), -1);
	revocations_release(&r);
}

static void test_growth_keeps_live_drops_expired(void **state)
{
	struct revocations r;
	char jti[40];
	int i;

	(void)state;
	assert_int_equal(revocations_init(&r), 0);
	/* 5 000 expired ones first, then 20 000 live ones: rebuilds drop the
	 * expired and keep every live entry */
	for (i = 0; i < 25000; i++) {
		snprintf(jti, sizeof(jti), "%032x", i);
		assert_int_equal(revocations_add(&r, jti, i < 5000 ? 1000 : NOW + 600), 0);
	}
	for (i = 0; i < 25000; i++) {
		snprintf(jti, sizeof(jti), "%032x", i);
		assert_int_equal(revocations_contains(&r, jti, NOW), i >= 5000);
	}
	assert_true(revocations_count(&r) >= 20000);
	assert_true(revocations_count(&r) <= 25000);
	/* memory: at most two thirds full, and no more than 3 slots per live one */
	assert_true(r.used * 3 <= r.cap * 2);
	assert_true(r.cap <= 3 * 20000);
	revocations_release(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_hex_and_other_jtis),
	    cmocka_unit_test(test_growth_keeps_live_drops_expired),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
