/* SPDX-License-Identifier: Apache-2.0 */
/*
 * util/utf8: character counts as PostgreSQL's varchar(N) makes them, and
 * prefixes that never end inside a character.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "util/utf8.h"

static void test_chars(void **state)
{
	(void)state;
	assert_int_equal(utf8_chars(""), 0);
	assert_int_equal(utf8_chars("alice"), 5);
	assert_int_equal(utf8_chars("M\xc3\xbcller"), 6);     /* Müller */
	assert_int_equal(utf8_chars("\xd0\x96\xd0\x96"), 2);  /* ЖЖ */
	assert_int_equal(utf8_chars("\xe2\x82\xac"), 1);      /* € */
	assert_int_equal(utf8_chars("\xf0\x9f\x98\x80x"), 2); /* 😀x */
	assert_int_equal(strlen("\xf0\x9f\x98\x80x"), 5);
}

static void test_prefix(void **state)
{
	const char *mixed = "a\xc3\xbc\xe2\x82\xac\xf0\x9f\x98\x80z"; /* aü€😀z */

	(void)state;
	assert_int_equal(utf8_prefix(mixed, 0), 0);
	assert_int_equal(utf8_prefix(mixed, 1), 1);
	assert_int_equal(utf8_prefix(mixed, 2), 3);
	assert_int_equal(utf8_prefix(mixed, 3), 6);
	assert_int_equal(utf8_prefix(mixed, 4), 10);
	assert_int_equal(utf8_prefix(mixed, 5), 11);
	assert_int_equal(utf8_prefix(mixed, 99), 11); /* shorter: all of it */
	assert_int_equal(utf8_prefix("", 3), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_chars),
	    cmocka_unit_test(test_prefix),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
