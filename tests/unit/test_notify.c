/* SPDX-License-Identifier: Apache-2.0 */
/* notify_render: variables are never cut short, and a text longer than
 * NOTIFY_TEXT_MAX is refused instead of truncated. (The basic placeholder
 * rules are in test_otp.c.) */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "notify/notify.h"

static char *repeat(char c, size_t n)
{
	char *s = malloc(n + 1);

	assert_non_null(s);
	memset(s, c, n);
	s[n] = '\0';
	return s;
}

static void test_long_variable_kept_whole(void **state)
{
	char *link = repeat('l', 5000), *want = malloc(5000 + 3), *s;
	json_t *vars = json_pack("{s:s}", "link", link);

	(void)state;
	assert_non_null(want);
	memcpy(want, "<", 1);
	memcpy(want + 1, link, 5000);
	memcpy(want + 5001, ">", 2);
	s = notify_render("<{{link}}>", vars, false);
	assert_non_null(s);
	assert_int_equal(strlen(s), 5002);
	assert_string_equal(s, want);
	free(s);
	json_decref(vars);
	free(want);
	free(link);
}

static void test_too_long_refused(void **state)
{
	char *big = repeat('b', NOTIFY_TEXT_MAX / 2 + 1), *s;
	json_t *vars = json_pack("{s:s}", "v", big);

	(void)state;
	s = notify_render("{{v}}", vars, false); /* just over half: fits */
	assert_non_null(s);
	assert_int_equal(strlen(s), NOTIFY_TEXT_MAX / 2 + 1);
	free(s);
	assert_null(notify_render("{{v}}{{v}}", vars, false)); /* past the cap: no cut text */
	json_decref(vars);
	free(big);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_long_variable_kept_whole),
	    cmocka_unit_test(test_too_long_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
