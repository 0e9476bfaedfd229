/* SPDX-License-Identifier: Apache-2.0 */
/* Input checks of the account flows (core/account.h): e-mail and phone
 * syntax, lower-casing, and the shape of minted tokens. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/account.h"

static void test_email(void **state)
{
	static const char *const good[] = {"a@b.co", "New.Person@Example.com",
					   "x+tag@sub.example.org", NULL};
	static const char *const bad[] = {"",
					  "plain",
					  "@example.com",
					  "a@",
					  "a@b",
					  "a@b.c",
					  "a@@b.com",
					  "a b@example.com",
					  "a@example..com",
					  "a@.example.com",
					  "<a@example.com>",
					  "a@example.com\r\nBcc: x@y.com",
					  NULL};
	char longer[200];

	(void)state;
	for (int i = 0; good[i]; i++)
		assert_true(account_email_valid(good[i]));
	for (int i = 0; bad[i]; i++)
		assert_false(account_email_valid(bad[i]));
	assert_false(account_email_valid(NULL));
	memset(longer, 'x', sizeof(longer));
	memcpy(longer + 140, "@example.com", 13); /* 152 characters */
	assert_false(account_email_valid(longer));
	memcpy(longer + 60, "@example.com", 13); /* local part of 60: fine */
	assert_true(account_email_valid(longer));
}

static void test_phone(void **state)
{
	(void)state;
	assert_true(account_phone_valid("+15551234567"));
	assert_true(account_phone_valid("12"));
	assert_true(account_phone_valid("123456789012345"));
	assert_false(account_phone_valid("+123456789012345")); /* 16 characters */
	assert_false(account_phone_valid("0123"));
	assert_false(account_phone_valid("+"));
	assert_false(account_phone_valid("1"));
	assert_false(account_phone_valid("12ab"));
	assert_false(account_phone_valid("+1 555"));
	assert_false(account_phone_valid(""));
	assert_false(account_phone_valid(NULL));
}

static void test_lower_and_token(void **state)
{
	char out[8], token[ACCOUNT_TOKEN_MAX], hash[65];

	(void)state;
	account_lower("AbC", out, sizeof(out));
	assert_string_equal(out, "abc");
	account_lower("ABCDEFGHIJ", out, sizeof(out));
	assert_string_equal(out, "abcdefg");
	account_lower(NULL, out, sizeof(out));
	assert_string_equal(out, "");
	assert_int_equal(account_new_token(token, hash), 0);
	assert_int_equal(strlen(token), 43);
	assert_int_equal(
	    strspn(token, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"), 43);
	assert_int_equal(strlen(hash), 64);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_email),
	    cmocka_unit_test(test_phone),
	    cmocka_unit_test(test_lower_and_token),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
