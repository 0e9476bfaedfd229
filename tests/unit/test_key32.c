/* SPDX-License-Identifier: Apache-2.0 */
/* 32-byte keys from the configuration: 64 hex digits or base64 of exactly
 * 32 bytes; every other length or character is refused without decoding
 * (the 100-1000 character inputs once overflowed a stack buffer). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "util/key32.h"

#define HEX_0_31 "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
#define B64_0_31 "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="

static void expect_0_31(const unsigned char *k)
{
	for (int i = 0; i < KEY32_LEN; i++)
		assert_int_equal(k[i], i);
}

static void expect_refused(const char *s)
{
	unsigned char k[KEY32_LEN];

	memset(k, 0xa5, sizeof(k));
	assert_int_equal(key32_parse(s, k), -1);
	for (int i = 0; i < KEY32_LEN; i++) /* nothing half-decoded left behind */
		assert_int_equal(k[i], 0);
}

/* A string of n copies of c (caller frees). */
static char *repeat(char c, size_t n)
{
	char *s = malloc(n + 1);

	assert_non_null(s);
	memset(s, c, n);
	s[n] = '\0';
	return s;
}

static void test_hex(void **state)
{
	unsigned char k[KEY32_LEN];
	char upper[] = HEX_0_31;

	(void)state;
	assert_int_equal(key32_parse(HEX_0_31, k), 0);
	expect_0_31(k);
	for (char *p = upper; *p != '\0'; p++)
		if (*p >= 'a' && *p <= 'f')
			*p = (char)(*p - 'a' + 'A');
	assert_int_equal(key32_parse(upper, k), 0);
	expect_0_31(k);
}

static void test_base64_padded_and_not(void **state)
{
	unsigned char k[KEY32_LEN];
	char unpadded[] = B64_0_31;

	(void)state;
	assert_int_equal(key32_parse(B64_0_31, k), 0);
	expect_0_31(k);
	unpadded[strlen(unpadded) - 1] = '\0';
	assert_int_equal(key32_parse(unpadded, k), 0);
	expect_0_31(k);
	assert_int_equal(key32_parse("//////////////////////////////////////////8=", k), 0);
	for (int i = 0; i < KEY32_LEN; i++)
		assert_int_equal(k[i], 0xff);
}

/* What `openssl rand -hex 64` prints (128), and lengths around it. */
static void test_long_inputs_refused(void **state)
{
	static const size_t lens[] = {100, 128, 129, 1000};

	(void)state;
	for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		char *hex = repeat('a', lens[i]), *b64 = repeat('A', lens[i]);

		expect_refused(hex);
		expect_refused(b64);
		free(hex);
		free(b64);
	}
}

static void test_wrong_lengths_refused(void **state)
{
	(void)state;
	expect_refused("");
	expect_refused(HEX_0_31 "0");							   /* 65 */
	expect_refused("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1"); /* 63 */
	expect_refused("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8==");		   /* 45 */
	expect_refused("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh");			   /* 42 */
	expect_refused("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwd");	    /* 40: 30 bytes */
	expect_refused("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8fIA=="); /* 33 bytes */
}

static void test_garbage_refused(void **state)
{
	unsigned char k[KEY32_LEN];
	char nul[sizeof(HEX_0_31)];

	(void)state;
	/* hex: a non-digit anywhere, whitespace, a sign sscanf("%2x") took */
	expect_refused("g00102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f");
	expect_refused("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1z");
	expect_refused(" 00102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f");
	expect_refused("+00102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f");
	expect_refused("0x0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f");
	expect_refused("000102030405060708090a0b0c0d0e0f10111213141516171819 a1b1c1d1e1f");
	/* base64: whitespace, padding inside, the URL-safe alphabet, other bytes */
	expect_refused("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8\n");
	expect_refused(" AECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=");
	expect_refused("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdH=8=");
	expect_refused("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwd__8=");
	expect_refused("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwd\xff\xff"
		       "8=");
	/* non-canonical: the last character's two unused bits set */
	expect_refused("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh9=");
	expect_refused("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh9");
	expect_refused(NULL);
	/* a NUL inside the given length is not the end of the key */
	memcpy(nul, HEX_0_31, sizeof(nul));
	nul[10] = '\0';
	assert_int_equal(key32_decode(nul, 64, k), -1);
	assert_int_equal(key32_decode(B64_0_31, 43, k), 0); /* 43 of 44: unpadded */
	expect_0_31(k);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_hex),
	    cmocka_unit_test(test_base64_padded_and_not),
	    cmocka_unit_test(test_long_inputs_refused),
	    cmocka_unit_test(test_wrong_lengths_refused),
	    cmocka_unit_test(test_garbage_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
