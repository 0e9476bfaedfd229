/* SPDX-License-Identifier: Apache-2.0 */
/* util/hex: encoding, the round trip, and every input the decoder must
 * refuse (odd length, bad digits, no room), in both letter cases. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "util/hex.h"

static void test_encode_lowercase(void **state)
{
	const unsigned char in[] = {0x00, 0x01, 0x7f, 0x80, 0xab, 0xff};
	char out[2 * sizeof(in) + 1];

	(void)state;
	memset(out, 'X', sizeof(out));
	hex_encode(in, sizeof(in), out);
	assert_string_equal(out, "00017f80abff");
	hex_encode(in, 0, out);
	assert_string_equal(out, "");
}

static void test_round_trip_all_bytes(void **state)
{
	unsigned char in[256], back[256];
	char text[2 * 256 + 1];

	(void)state;
	for (int i = 0; i < 256; i++)
		in[i] = (unsigned char)i;
	hex_encode(in, sizeof(in), text);
	assert_int_equal(strlen(text), 512);
	assert_int_equal(hex_decode(text, strlen(text), back, sizeof(back), 0), 256);
	assert_memory_equal(in, back, sizeof(in));
	assert_int_equal(hex_decode(text, strlen(text), back, sizeof(back), HEX_LOWER_ONLY), 256);
	assert_memory_equal(in, back, sizeof(in));
}

static void test_upper_and_lower_case(void **state)
{
	unsigned char out[4];

	(void)state;
	assert_int_equal(hex_decode("DEADbeef", 8, out, sizeof(out), 0), 4);
	assert_memory_equal(out, "\xde\xad\xbe\xef", 4);
	assert_int_equal(hex_decode("deadbeef", 8, out, sizeof(out), HEX_LOWER_ONLY), 4);
	assert_memory_equal(out, "\xde\xad\xbe\xef", 4);
	assert_int_equal(hex_decode("deadBEEF", 8, out, sizeof(out), HEX_LOWER_ONLY), -1);
	assert_int_equal(hex_digit('F', 0), 15);
	assert_int_equal(hex_digit('F', HEX_LOWER_ONLY), -1);
	assert_int_equal(hex_digit('f', HEX_LOWER_ONLY), 15);
	assert_int_equal(hex_digit('0', 0), 0);
	assert_int_equal(hex_digit('9', 0), 9);
}

static void test_odd_length_refused(void **state)
{
	unsigned char out[4];

	(void)state;
	assert_int_equal(hex_decode("abc", 3, out, sizeof(out), 0), -1);
	assert_int_equal(hex_decode("a", 1, out, sizeof(out), 0), -1);
	assert_int_equal(hex_decode("", 0, out, sizeof(out), 0), 0);
}

static void test_bad_digits_refused(void **state)
{
	static const char *const bad[] = {"0g",
					  "g0",
					  "-1",
					  "+1",
					  " 1",
					  "1 ",
					  "0x",
					  "\x80\x81",
					  "ab:d",
					  "12\0"
					  "4"};
	unsigned char out[4];

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		size_t len = strlen(bad[i]);

		if (i == sizeof(bad) / sizeof(bad[0]) - 1)
			len = 4; /* a NUL inside the given length is not a digit */
		assert_int_equal(hex_decode(bad[i], len, out, sizeof(out), 0), -1);
	}
	for (int c = 0; c < 256; c++) {
		int ok = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');

		assert_int_equal(hex_digit(c, 0) >= 0, ok);
	}
}

static void test_no_room_refused(void **state)
{
	unsigned char out[2] = {0x11, 0x22};

	(void)state;
	assert_int_equal(hex_decode("aabbcc", 6, out, sizeof(out), 0), -1);
	assert_int_equal(hex_decode("aabb", 4, out, sizeof(out), 0), 2);
	assert_memory_equal(out, "\xaa\xbb", 2);
}

static void test_only_len_digits_read(void **state)
{
	unsigned char out[4];

	(void)state;
	/* no NUL needed: the decoder stops at len */
	assert_int_equal(hex_decode("0102zz", 4, out, sizeof(out), 0), 2);
	assert_memory_equal(out, "\x01\x02", 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_encode_lowercase),
	    cmocka_unit_test(test_round_trip_all_bytes),
	    cmocka_unit_test(test_upper_and_lower_case),
	    cmocka_unit_test(test_odd_length_refused),
	    cmocka_unit_test(test_bad_digits_refused),
	    cmocka_unit_test(test_no_room_refused),
	    cmocka_unit_test(test_only_len_digits_read),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
