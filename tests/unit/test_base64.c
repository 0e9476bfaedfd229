/* SPDX-License-Identifier: Apache-2.0 */
/*
 * util/base64: RFC 4648's test vectors in both alphabets, padded and not,
 * and every text a strict decoder must refuse.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "util/base64.h"

static const char *const vectors[][3] = {
    /* plain, padded (RFC 4648 section 10), unpadded */
    {"", "", ""},
    {"f", "Zg==", "Zg"},
    {"fo", "Zm8=", "Zm8"},
    {"foo", "Zm9v", "Zm9v"},
    {"foob", "Zm9vYg==", "Zm9vYg"},
    {"fooba", "Zm9vYmE=", "Zm9vYmE"},
    {"foobar", "Zm9vYmFy", "Zm9vYmFy"},
};

static void round_trip(const char *plain, const char *text, unsigned flags)
{
	char enc[32];
	unsigned char dec[32];
	size_t n = 99;

	assert_int_equal(
	    b64_encode((const unsigned char *)plain, strlen(plain), flags, enc, sizeof(enc)),
	    (int)strlen(text));
	assert_string_equal(enc, text);
	assert_int_equal(b64_decode(text, strlen(text), flags, dec, sizeof(dec), &n), 0);
	assert_int_equal(n, strlen(plain));
	assert_memory_equal(dec, plain, n);
}

static void test_vectors(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(vectors) / sizeof(vectors[0]); i++) {
		round_trip(vectors[i][0], vectors[i][1], B64_PAD);
		round_trip(vectors[i][0], vectors[i][2], B64_STD);
		round_trip(vectors[i][0], vectors[i][2], B64_URL);
	}
}

static void test_alphabets(void **state)
{
	static const unsigned char bytes[] = {0xfb, 0xff, 0xbf};
	char enc[8];
	unsigned char dec[8];
	size_t n;

	(void)state;
	assert_int_equal(b64_encode(bytes, 3, B64_STD, enc, sizeof(enc)), 4);
	assert_string_equal(enc, "+/+/");
	assert_int_equal(b64_encode(bytes, 3, B64_URL, enc, sizeof(enc)), 4);
	assert_string_equal(enc, "-_-_");
	/* each alphabet refuses the other's two characters */
	assert_int_equal(b64_decode("-_-_", 4, B64_STD, dec, sizeof(dec), &n), -1);
	assert_int_equal(b64_decode("+/+/", 4, B64_URL, dec, sizeof(dec), &n), -1);
}

static void test_refused(void **state)
{
	static const struct {
		const char *text;
		unsigned flags;
	} bad[] = {
	    {"Zh", B64_STD},	   /* unused bits not zero: one value, one text */
	    {"Zh==", B64_PAD},	   /* the same, padded */
	    {"Zg=", B64_PAD},	   /* padding short of a multiple of 4 */
	    {"Zm8==", B64_PAD},	   /* too much padding */
	    {"Zg==", B64_STD},	   /* '=' without B64_PAD */
	    {"Zg", B64_PAD},	   /* no padding with B64_PAD */
	    {"Z", B64_STD},	   /* no byte string is 1 mod 4 long */
	    {"Zm9v====", B64_PAD}, /* a whole block of padding */
	    {"Zm 9", B64_STD},	   /* whitespace */
	    {"Zm9\n", B64_STD},
	};
	unsigned char dec[16];
	size_t n;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(b64_decode(bad[i].text, strlen(bad[i].text), bad[i].flags, dec,
					    sizeof(dec), &n),
				 -1);
}

static void test_sizes(void **state)
{
	char enc[5];
	unsigned char dec[2];
	size_t n;

	(void)state;
	/* "foo" needs 4 characters and the NUL */
	assert_int_equal(b64_encode((const unsigned char *)"foo", 3, B64_STD, enc, 4), -1);
	assert_int_equal(b64_encode((const unsigned char *)"foo", 3, B64_STD, enc, 5), 4);
	assert_int_equal(b64_encode((const unsigned char *)"f", 1, B64_PAD, enc, 4), -1);
	/* three bytes do not fit two */
	assert_int_equal(b64_decode("Zm9v", 4, B64_STD, dec, sizeof(dec), &n), -1);
	assert_int_equal(b64_decode("Zm8", 3, B64_STD, dec, sizeof(dec), &n), 0);
	assert_int_equal(n, 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_vectors),
	    cmocka_unit_test(test_alphabets),
	    cmocka_unit_test(test_refused),
	    cmocka_unit_test(test_sizes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
