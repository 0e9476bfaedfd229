/* SPDX-License-Identifier: Apache-2.0 */
/* util/sbuf: appends of every kind, the hard cap and the sticky failure
 * it leaves, detach/reset/release, and growth that keeps the text.
 * (sbuf_addf is sbuf_vaddf with its own va_list, so it tests both.) */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "util/sbuf.h"

static void test_appends(void **state)
{
	struct sbuf sb = SBUF_INIT(64);
	size_t len = 0;
	char *s;

	(void)state;
	assert_string_equal(sbuf_str(&sb), "");
	assert_int_equal(sbuf_addstr(&sb, "id"), 0);
	assert_int_equal(sbuf_addch(&sb, '='), 0);
	assert_int_equal(sbuf_addf(&sb, "%d,%s", 42, "x"), 0);
	assert_int_equal(sbuf_add(&sb, "a\0b", 3), 0);
	assert_int_equal(sb.len, 10);
	assert_memory_equal(sb.buf, "id=42,xa\0b", 11);
	assert_false(sbuf_failed(&sb));
	s = sbuf_detach(&sb, &len);
	assert_int_equal(len, 10);
	assert_string_equal(s, "id=42,xa");
	free(s);
	/* detached: empty again, same cap, usable */
	assert_null(sb.buf);
	assert_int_equal(sb.max, 64);
	assert_int_equal(sbuf_addstr(&sb, "again"), 0);
	assert_string_equal(sbuf_str(&sb), "again");
	sbuf_release(&sb);
}

static void test_detach_empty_is_a_string(void **state)
{
	struct sbuf sb = SBUF_INIT(8);
	size_t len = 99;
	char *s;

	(void)state;
	s = sbuf_detach(&sb, &len);
	assert_non_null(s);
	assert_string_equal(s, "");
	assert_int_equal(len, 0);
	free(s);
}

static void test_growth_keeps_text(void **state)
{
	struct sbuf sb;
	char want[5001];

	(void)state;
	sbuf_init(&sb, 5000);
	for (int i = 0; i < 5000; i++) {
		want[i] = (char)('a' + i % 26);
		assert_int_equal(sbuf_addch(&sb, want[i]), 0);
	}
	want[5000] = '\0';
	assert_int_equal(sb.len, 5000);
	assert_true(sb.alloc <= 5001); /* never more than the cap needs */
	assert_string_equal(sbuf_str(&sb), want);
	sbuf_release(&sb);
	/* the same with wipe, which grows by copying */
	sbuf_init_wipe(&sb, 5000);
	for (int i = 0; i < 5000; i++)
		assert_int_equal(sbuf_addch(&sb, want[i]), 0);
	assert_string_equal(sbuf_str(&sb), want);
	sbuf_release(&sb);
}

static void test_cap_is_exact(void **state)
{
	struct sbuf sb = SBUF_INIT(5);

	(void)state;
	assert_int_equal(sbuf_addstr(&sb, "12345"), 0); /* exactly the cap */
	assert_false(sbuf_failed(&sb));
	assert_int_equal(sbuf_addch(&sb, '6'), -1);
	assert_true(sbuf_failed(&sb));
	sbuf_release(&sb);
}

static void test_cap_failure_is_sticky(void **state)
{
	struct sbuf sb = SBUF_INIT(8);
	size_t len = 99;

	(void)state;
	assert_int_equal(sbuf_addstr(&sb, "abcd"), 0);
	/* too long: nothing of it goes in, the text before stays whole */
	assert_int_equal(sbuf_addf(&sb, "%s", "efghijk"), -1);
	assert_true(sbuf_failed(&sb));
	assert_string_equal(sbuf_str(&sb), "abcd");
	/* later appends that would fit are refused too: no text with a hole */
	assert_int_equal(sbuf_addch(&sb, 'e'), -1);
	assert_int_equal(sbuf_addstr(&sb, ""), -1);
	assert_int_equal(sbuf_add(&sb, "e", 1), -1);
	assert_int_equal(sbuf_grow(&sb, 1), -1);
	assert_string_equal(sbuf_str(&sb), "abcd");
	/* and detach reports it, freeing the memory */
	assert_null(sbuf_detach(&sb, &len));
	assert_int_equal(len, 99);
	assert_null(sb.buf);
	assert_false(sbuf_failed(&sb));
	assert_int_equal(sbuf_addstr(&sb, "fresh"), 0);
	assert_string_equal(sbuf_str(&sb), "fresh");
	sbuf_release(&sb);
}

static void test_huge_append_does_not_wrap(void **state)
{
	struct sbuf sb = SBUF_INIT(16);

	(void)state;
	assert_int_equal(sbuf_addstr(&sb, "x"), 0);
	assert_int_equal(sbuf_grow(&sb, SIZE_MAX), -1);
	assert_true(sbuf_failed(&sb));
	sbuf_release(&sb);
}

static void test_reset_and_release_clear_failure(void **state)
{
	struct sbuf sb = SBUF_INIT(4);
	char *kept;

	(void)state;
	assert_int_equal(sbuf_addstr(&sb, "abc"), 0);
	kept = sb.buf;
	assert_int_equal(sbuf_addstr(&sb, "de"), -1);
	sbuf_reset(&sb);
	assert_false(sbuf_failed(&sb));
	assert_int_equal(sb.len, 0);
	assert_ptr_equal(sb.buf, kept); /* memory kept for reuse */
	assert_string_equal(sbuf_str(&sb), "");
	assert_int_equal(sbuf_addstr(&sb, "wxyz"), 0);
	assert_string_equal(sbuf_str(&sb), "wxyz");
	assert_int_equal(sbuf_addch(&sb, '!'), -1);
	sbuf_release(&sb);
	assert_null(sb.buf);
	assert_int_equal(sb.alloc, 0);
	assert_false(sbuf_failed(&sb));
	assert_int_equal(sb.max, 4);
	sbuf_release(&sb); /* twice is harmless */
}

static void test_zeroed_has_default_cap(void **state)
{
	struct sbuf sb = {0};
	char *big = malloc(SBUF_MAX_DEFAULT + 1);

	(void)state;
	assert_non_null(big);
	memset(big, 'z', SBUF_MAX_DEFAULT);
	big[SBUF_MAX_DEFAULT] = '\0';
	assert_int_equal(sbuf_addstr(&sb, big), 0);
	assert_int_equal(sbuf_addch(&sb, 'z'), -1);
	sbuf_release(&sb);
	free(big);
}

static void test_grow_then_setlen(void **state)
{
	struct sbuf sb = SBUF_INIT(32);

	(void)state;
	assert_int_equal(sbuf_addstr(&sb, "ab"), 0);
	assert_int_equal(sbuf_grow(&sb, 3), 0);
	memcpy(sb.buf + sb.len, "cde", 3);
	sbuf_setlen(&sb, sb.len + 3);
	assert_string_equal(sbuf_str(&sb), "abcde");
	sbuf_setlen(&sb, 1);
	assert_string_equal(sbuf_str(&sb), "a");
	assert_int_equal(sbuf_grow(&sb, 32), -1); /* 1 + 32 > cap */
	sbuf_release(&sb);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_appends),
	    cmocka_unit_test(test_detach_empty_is_a_string),
	    cmocka_unit_test(test_growth_keeps_text),
	    cmocka_unit_test(test_cap_is_exact),
	    cmocka_unit_test(test_cap_failure_is_sticky),
	    cmocka_unit_test(test_huge_append_does_not_wrap),
	    cmocka_unit_test(test_reset_and_release_clear_failure),
	    cmocka_unit_test(test_zeroed_has_default_cap),
	    cmocka_unit_test(test_grow_then_setlen),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
