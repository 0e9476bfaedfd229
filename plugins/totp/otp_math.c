/* SPDX-License-Identifier: Apache-2.0 */
#include "otp_math.h"

#include <stdlib.h>
#include <string.h>

#include <liboath/oath.h>
#include <openssl/crypto.h>

int otp_math_init(void)
{
	return oath_init() == OATH_OK ? 0 : -1;
}

void otp_math_done(void)
{
	oath_done();
}

int hotp_code(const unsigned char *key, size_t keylen, uint64_t counter, unsigned digits,
	      char out[9])
{
	if (digits < 6 || digits > 8)
		return -1;
	return oath_hotp_generate((const char *)key, keylen, counter, digits, false,
				  OATH_HOTP_DYNAMIC_TRUNCATION, out) == OATH_OK
		   ? 0
		   : -1;
}

/* 1 when the n bytes are equal; no early exit. */
static int same(const char *a, const char *b, size_t n)
{
	unsigned char d = 0;

	for (size_t i = 0; i < n; i++)
		d |= (unsigned char)(a[i] ^ b[i]);
	return d == 0;
}

int64_t totp_match(const unsigned char *key, size_t keylen, time_t now, unsigned period,
		   unsigned window, unsigned digits, const char *code)
{
	int64_t base, found = -1;

	if (code == NULL || period == 0 || now < 0 || digits < 6 || digits > 8 ||
	    strlen(code) != digits)
		return -1;
	for (unsigned i = 0; i < digits; i++)
		if (code[i] < '0' || code[i] > '9') /* ASCII digits only, whatever the locale */
			return -1;
	base = (int64_t)(now / (time_t)period);
	/* Every step of the window is computed and compared; the first
	 * (earliest) step whose code matches is the one reported. */
	for (int64_t off = -(int64_t)window; off <= (int64_t)window; off++) {
		char want[9] = {0};

		if (base + off < 0 ||
		    hotp_code(key, keylen, (uint64_t)(base + off), digits, want) < 0)
			continue;
		if (same(want, code, digits) && found < 0)
			found = base + off;
		OPENSSL_cleanse(want, sizeof(want));
	}
	return found;
}

int base32_encode(const unsigned char *in, size_t n, char *out, size_t outsz)
{
	char *enc = NULL;
	size_t len = 0, all;
	int rc = -1;

	if (oath_base32_encode((const char *)in, n, &enc, &len) != OATH_OK)
		return -1;
	all = len;
	while (len > 0 && enc[len - 1] == '=')
		len--;
	if (len < outsz) {
		memcpy(out, enc, len);
		out[len] = '\0';
		rc = 0;
	}
	OPENSSL_cleanse(enc, all);
	free(enc);
	return rc;
}

int base32_decode(const char *in, unsigned char *out, size_t outsz)
{
	char clean[256], *dec = NULL;
	size_t n = 0, len = 0;
	int rc = -1;

	for (const char *p = in; *p != '\0'; p++) {
		if (*p == ' ' || *p == '=' || *p == '-')
			continue;
		if (n + 8 >= sizeof(clean))
			goto out;
		clean[n++] = (char)(*p >= 'a' && *p <= 'z' ? *p - 'a' + 'A' : *p);
	}
	while (n % 8 != 0) /* liboath wants whole 8-character groups */
		clean[n++] = '=';
	if (oath_base32_decode(clean, n, &dec, &len) != OATH_OK)
		goto out;
	if (len <= outsz && len <= INT32_MAX) {
		memcpy(out, dec, len);
		rc = (int)len;
	}
	OPENSSL_cleanse(dec, len);
	free(dec);
out:
	OPENSSL_cleanse(clean, sizeof(clean));
	return rc;
}
