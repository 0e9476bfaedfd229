/* SPDX-License-Identifier: Apache-2.0 */
/* plugins/totp's math and QR output: RFC 4226 and RFC 6238 (SHA-1) test
 * vectors, the ±window rule and the matched step, base32 (RFC 4648), and
 * the PNG data URL read back with libpng. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/evp.h>
#include <png.h>

#include "otp_math.h"
#include "qr.h"

static const unsigned char rfc_key[] = "12345678901234567890";

static void test_hotp_rfc4226(void **state)
{
	static const char *const want[] = {"755224", "287082", "359152", "969429", "338314",
					   "254676", "287922", "162583", "399871", "520489"};
	char out[9];

	(void)state;
	for (uint64_t c = 0; c < 10; c++) {
		assert_int_equal(hotp_code(rfc_key, 20, c, 6, out), 0);
		assert_string_equal(out, want[c]);
	}
	assert_int_equal(hotp_code(rfc_key, 20, 0, 5, out), -1);
}

/* RFC 6238 Appendix B, SHA-1 rows (8 digits, 30 s steps). The SHA-256 and
 * SHA-512 rows are not tested: the plugin speaks SHA-1, as apps do. */
static void test_totp_rfc6238(void **state)
{
	static const struct {
		time_t t;
		const char *code;
	} rows[] = {{59, "94287082"},	      {1111111109, "07081804"}, {1111111111, "14050471"},
		    {1234567890, "89005924"}, {2000000000, "69279037"}, {20000000000, "65353130"}};

	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		char out[9];

		assert_int_equal(hotp_code(rfc_key, 20, (uint64_t)(rows[i].t / 30), 8, out), 0);
		assert_string_equal(out, rows[i].code);
		assert_int_equal(totp_match(rfc_key, 20, rows[i].t, 30, 0, 8, rows[i].code),
				 rows[i].t / 30);
	}
}

static void test_window_and_matched_step(void **state)
{
	const time_t now = 1111111111;
	const int64_t step = now / 30;
	char cur[9], prev[9], next[9], far[9], past[9];

	(void)state;
	hotp_code(rfc_key, 20, (uint64_t)step, 6, cur);
	hotp_code(rfc_key, 20, (uint64_t)(step - 1), 6, prev);
	hotp_code(rfc_key, 20, (uint64_t)(step + 1), 6, next);
	hotp_code(rfc_key, 20, (uint64_t)(step + 2), 6, far);
	hotp_code(rfc_key, 20, (uint64_t)(step - 2), 6, past);
	assert_int_equal(totp_match(rfc_key, 20, now, 30, 1, 6, cur), step);
	assert_int_equal(totp_match(rfc_key, 20, now, 30, 0, 6, cur), step);
	/* the last second of a step is still that step */
	assert_int_equal(totp_match(rfc_key, 20, (step + 1) * 30 - 1, 30, 0, 6, cur), step);
	assert_int_equal(totp_match(rfc_key, 20, now, 30, 1, 6, prev), step - 1);
	assert_int_equal(totp_match(rfc_key, 20, now, 30, 1, 6, past), -1);
	assert_int_equal(totp_match(rfc_key, 20, now, 30, 2, 6, past), step - 2);
	assert_int_equal(totp_match(rfc_key, 20, now, 30, 1, 6, next), step + 1);
	assert_int_equal(totp_match(rfc_key, 20, now, 30, 1, 6, far), -1);
	assert_int_equal(totp_match(rfc_key, 20, now, 30, 0, 6, prev), -1);
	assert_int_equal(totp_match(rfc_key, 20, now, 30, 2, 6, far), step + 2);
	/* malformed codes */
	assert_int_equal(totp_match(rfc_key, 20, now, 30, 1, 6, "12345"), -1);
	assert_int_equal(totp_match(rfc_key, 20, now, 30, 1, 6, "1234567"), -1);
	assert_int_equal(totp_match(rfc_key, 20, now, 30, 1, 6, "12a456"), -1);
	assert_int_equal(totp_match(rfc_key, 20, now, 30, 1, 6, " 12345"), -1);
	assert_int_equal(totp_match(rfc_key, 20, now, 30, 1, 6, ""), -1);
	assert_int_equal(totp_match(rfc_key, 20, now, 30, 1, 8, cur), -1); /* 6 of 8 digits */
	/* 8 digits: the RFC 6238 row at this time */
	assert_int_equal(totp_match(rfc_key, 20, now, 30, 1, 8, "14050471"), step);
	assert_int_equal(totp_match(rfc_key, 20, now, 30, 1, 6, NULL), -1);
}

static void test_base32(void **state)
{
	unsigned char raw[32], back[32];
	char enc[64];

	(void)state;
	assert_int_equal(base32_encode((const unsigned char *)"foobar", 6, enc, sizeof(enc)), 0);
	assert_string_equal(enc, "MZXW6YTBOI"); /* RFC 4648 §10, padding dropped */
	assert_int_equal(base32_decode("mzxw6ytboi", back, sizeof(back)), 6);
	assert_memory_equal(back, "foobar", 6);
	for (int i = 0; i < 32; i++)
		raw[i] = (unsigned char)(i * 37 + 11);
	assert_int_equal(base32_encode(raw, 20, enc, sizeof(enc)), 0);
	assert_int_equal(strlen(enc), 32);
	assert_int_equal(base32_decode(enc, back, sizeof(back)), 20);
	assert_memory_equal(raw, back, 20);
	assert_int_equal(base32_encode(raw, 32, enc, 10), -1);			    /* no room */
	assert_int_equal(base32_decode("MZXW6YTBOI======", back, sizeof(back)), 6); /* padded */
	assert_memory_equal(back, "foobar", 6);
	assert_int_equal(base32_decode("MZXW6YTBOI", back, 4), -1); /* no room */
	{
		unsigned char big[64], big2[64];
		char enc2[128];

		for (int i = 0; i < 64; i++)
			big[i] = (unsigned char)(255 - i * 3);
		/* the largest secret (secret_bytes 64) in the plugin's buffer */
		assert_int_equal(base32_encode(big, 64, enc2, sizeof(enc2)), 0);
		assert_int_equal(strlen(enc2), 103);
		assert_int_equal(base32_decode(enc2, big2, sizeof(big2)), 64);
		assert_memory_equal(big, big2, 64);
	}
	assert_int_equal(base32_decode("!!!!", back, sizeof(back)), -1);
}

static void test_qr_png(void **state)
{
	char *url = qr_png_data_url("otpauth://totp/auth-service:alice?secret=JBSWY3DPEHPK3PXP"
				    "&issuer=auth-service");
	const char *b64;
	unsigned char *png;
	int n;
	png_image img;

	(void)state;
	assert_non_null(url);
	assert_memory_equal(url, "data:image/png;base64,", 22);
	b64 = url + 22;
	png = malloc(strlen(b64));
	n = EVP_DecodeBlock(png, (const unsigned char *)b64, (int)strlen(b64));
	assert_true(n > 8);
	assert_memory_equal(png, "\x89PNG\r\n\x1a\n", 8);
	memset(&img, 0, sizeof(img));
	img.version = PNG_IMAGE_VERSION;
	assert_true(png_image_begin_read_from_memory(&img, png, (size_t)n));
	assert_int_equal(img.width, img.height);
	/* a whole symbol (version 1..40: 21 + 4k modules) plus the 4-module quiet
	 * zone, at 4 px a module */
	assert_int_equal(img.width % 4, 0);
	assert_true(img.width >= (21 + 8) * 4);
	assert_true(img.width <= (177 + 8) * 4);
	assert_int_equal((img.width / 4 - 8 - 21) % 4, 0);
	png_image_free(&img);
	free(png);
	free(url);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_hotp_rfc4226),
	    cmocka_unit_test(test_totp_rfc6238),
	    cmocka_unit_test(test_window_and_matched_step),
	    cmocka_unit_test(test_base32),
	    cmocka_unit_test(test_qr_png),
	};
	int rc;

	if (otp_math_init() < 0)
		return 1;
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	otp_math_done();
	return rc;
}
