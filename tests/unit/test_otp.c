/* SPDX-License-Identifier: Apache-2.0 */
/* One-time codes (no modulo bias, hashing), secrets at rest (AES-256-GCM
 * bound to the user), delivery templates and the constant-time compare. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/otp_code.h"
#include "core/secrets.h"
#include "notify/notify.h"
#include "tokens/opaque.h"

/* A random source that yields 0, 1, ..., 255, 0, 1, ... */
static unsigned counter_next;
static int counter_rnd(void *buf, size_t n)
{
	for (size_t i = 0; i < n; i++)
		((unsigned char *)buf)[i] = (unsigned char)(counter_next++ & 0xff);
	return 0;
}

/* Only bytes >= 250 then a 3: with 10 characters, 250..255 must be rejected. */
static int high_rnd(void *buf, size_t n)
{
	for (size_t i = 0; i < n; i++)
		((unsigned char *)buf)[i] = (unsigned char)(i % 7 == 6 ? 3 : 250 + i % 7);
	return 0;
}

static int failing_rnd(void *buf, size_t n)
{
	(void)buf;
	(void)n;
	return -1;
}

static void test_code_uses_alphabet_and_length(void **state)
{
	char out[16];

	(void)state;
	assert_int_equal(otp_code_make("0123456789", 6, out, sizeof(out), tokens_random_bytes), 0);
	assert_int_equal(strlen(out), 6);
	assert_int_equal(strspn(out, "0123456789"), 6);
	assert_int_equal(otp_code_make("ABC", 12, out, sizeof(out), tokens_random_bytes), 0);
	assert_int_equal(strspn(out, "ABC"), 12);
	/* refused: no room, tiny alphabet, failing source */
	assert_int_equal(otp_code_make("0123456789", 16, out, sizeof(out), tokens_random_bytes),
			 -1);
	assert_int_equal(otp_code_make("0", 6, out, sizeof(out), tokens_random_bytes), -1);
	assert_int_equal(otp_code_make("0123456789", 6, out, sizeof(out), failing_rnd), -1);
}

static void test_biased_bytes_are_rejected(void **state)
{
	char out[16];

	(void)state;
	assert_int_equal(otp_code_make("0123456789", 8, out, sizeof(out), high_rnd), 0);
	assert_string_equal(out, "33333333"); /* 250..255 never became '0'..'5' */
}

/* Fed every byte value equally often, each character must come out exactly
 * equally often, for every alphabet size: no character is favoured. */
static void test_every_character_equally_likely(void **state)
{
	static const char chars[] =
	    "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz-_";

	(void)state;
	for (size_t n = 2; n <= 64; n++) {
		char alphabet[65];
		static char out[64 * 256 + 1];
		unsigned counts[64] = {0};
		int len = 64 * (256 - 256 % (int)n); /* the accepted bytes of 64 cycles */

		memcpy(alphabet, chars, n);
		alphabet[n] = '\0';
		counter_next = 0;
		assert_int_equal(otp_code_make(alphabet, len, out, sizeof(out), counter_rnd), 0);
		for (int i = 0; i < len; i++)
			counts[strchr(alphabet, out[i]) - alphabet]++;
		for (size_t c = 1; c < n; c++)
			assert_int_equal(counts[c], counts[0]);
	}
}

static void test_hash_binds_space_and_key(void **state)
{
	char a[65], b[65], c[65], d[65];

	(void)state;
	otp_code_hash("mfa", "u1", "123456", a);
	otp_code_hash("mfa", "u1", "123456", b);
	otp_code_hash("passwordless", "u1", "123456", c);
	otp_code_hash("mfa", "u2", "123456", d);
	assert_int_equal(strlen(a), 64);
	assert_string_equal(a, b);
	assert_string_not_equal(a, c);
	assert_string_not_equal(a, d);
	assert_int_equal(strspn(a, "0123456789abcdef"), 64);
}

static const unsigned char key1[32] = {1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11,
				       12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22,
				       23, 24, 25, 26, 27, 28, 29, 30, 31, 32};

static void test_secret_round_trip_and_binding(void **state)
{
	unsigned char key2[32];
	char out[64], *sealed, *again;

	(void)state;
	memcpy(key2, key1, 32);
	key2[0] ^= 1;
	sealed = secret_seal(key1, "user-a", "JBSWY3DPEHPK3PXP");
	assert_non_null(sealed);
	assert_memory_equal(sealed, "enc1:", 5);
	assert_null(strstr(sealed, "JBSWY3DPEHPK3PXP"));
	assert_int_equal(secret_open(key1, "user-a", sealed, out, sizeof(out)), 0);
	assert_string_equal(out, "JBSWY3DPEHPK3PXP");
	/* another user, another key, a flipped byte, too small a buffer: refused */
	assert_int_equal(secret_open(key1, "user-b", sealed, out, sizeof(out)), -1);
	assert_int_equal(secret_open(key2, "user-a", sealed, out, sizeof(out)), -1);
	sealed[10] = sealed[10] == 'A' ? 'B' : 'A';
	assert_int_equal(secret_open(key1, "user-a", sealed, out, sizeof(out)), -1);
	again = secret_seal(key1, "user-a", "JBSWY3DPEHPK3PXP");
	assert_int_equal(secret_open(key1, "user-a", again, out, 8), -1);
	assert_string_not_equal(sealed, again); /* fresh nonce each time */
	/* an upstream row's plain secret passes through */
	assert_int_equal(secret_open(key1, "user-a", "GEZDGNBVGY3TQOJQ", out, sizeof(out)), 0);
	assert_string_equal(out, "GEZDGNBVGY3TQOJQ");
	assert_int_equal(secret_open(key1, "user-a", "enc1:!!!!", out, sizeof(out)), -1);
	free(sealed);
	free(again);
}

static void test_render(void **state)
{
	json_t *vars = json_pack("{s:s, s:i, s:s}", "code", "123456", "minutes", 5, "evil",
				 "x\r\nBcc: victim@example.com");
	char *s;

	(void)state;
	s = notify_render("Code {{code}} for {{minutes}} min{{missing}}.", vars, false);
	assert_string_equal(s, "Code 123456 for 5 min.");
	free(s);
	s = notify_render("Subject {{evil}}", vars, true);
	assert_null(strchr(s, '\n'));
	assert_null(strchr(s, '\r'));
	free(s);
	s = notify_render("{{ unterminated {{code", vars, false);
	assert_string_equal(s, "{{ unterminated {{code");
	free(s);
	json_decref(vars);
}

static void test_equal_ct(void **state)
{
	(void)state;
	assert_true(tokens_equal_ct("abcdef", "abcdef"));
	assert_false(tokens_equal_ct("abcdef", "abcdeg"));
	assert_false(tokens_equal_ct("abcdef", "abcde"));
	assert_false(tokens_equal_ct(NULL, "a"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_code_uses_alphabet_and_length),
	    cmocka_unit_test(test_biased_bytes_are_rejected),
	    cmocka_unit_test(test_every_character_equally_likely),
	    cmocka_unit_test(test_hash_binds_space_and_key),
	    cmocka_unit_test(test_secret_round_trip_and_binding),
	    cmocka_unit_test(test_render),
	    cmocka_unit_test(test_equal_ct),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
