/* SPDX-License-Identifier: Apache-2.0 */
/* The request arena: zeroed, aligned memory; big and small allocations mixed;
 * cleanups run in reverse order on release. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "util/arena.h"

static void test_alloc_zeroed_aligned_distinct(void **state)
{
	struct arena a = {0};
	unsigned char *prev = NULL;

	(void)state;
	for (size_t n = 1; n < 3000; n += 37) {
		unsigned char *p = arena_alloc(&a, n);

		assert_non_null(p);
		assert_int_equal((uintptr_t)p % 16, 0);
		for (size_t i = 0; i < n; i++)
			assert_int_equal(p[i], 0);
		memset(p, 0xab, n); /* must not overlap any earlier allocation */
		if (prev != NULL)
			assert_ptr_not_equal(p, prev);
		prev = p;
	}
	arena_release(&a);
	assert_null(a.head);
}

static void test_strdup(void **state)
{
	struct arena a = {0};
	char big[5000];

	(void)state;
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_string_equal(arena_strdup(&a, "abc"), "abc");
	assert_string_equal(arena_strdup(&a, big), big);
	assert_string_equal(arena_strndup(&a, "abcdef", 3), "abc");
	assert_null(arena_strdup(&a, NULL));
	assert_null(arena_alloc(&a, (size_t)1 << 40));
	arena_release(&a);
}

static int order[3], norder;

static void note(void *arg)
{
	order[norder++] = (int)(intptr_t)arg;
}

static void test_cleanups_lifo(void **state)
{
	struct arena a = {0};

	(void)state;
	norder = 0;
	for (intptr_t i = 1; i <= 3; i++)
		assert_int_equal(arena_add_cleanup(&a, note, (void *)i), 0);
	arena_release(&a);
	assert_int_equal(norder, 3);
	assert_int_equal(order[0], 3);
	assert_int_equal(order[2], 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_alloc_zeroed_aligned_distinct),
	    cmocka_unit_test(test_strdup),
	    cmocka_unit_test(test_cleanups_lifo),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
