/* SPDX-License-Identifier: Apache-2.0 */
#include "util/key32.h"

#include <string.h>

#include "util/hex.h"

#define KEY32_HEX_LEN 64 /* 2 digits a byte */
#define KEY32_B64_LEN 43 /* ceil(32 * 8 / 6) characters, before padding */

/* The standard alphabet (RFC 4648 section 4); '=' and everything else: -1. */
static int b64_value(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

static int decode_hex(const char *s, unsigned char *out)
{
	return hex_decode(s, KEY32_HEX_LEN, out, KEY32_LEN, 0) == KEY32_LEN ? 0 : -1;
}

/* 43 base64 characters: 258 bits, of which the last 2 must be zero. */
static int decode_b64(const char *s, unsigned char *out)
{
	unsigned long acc = 0;
	int bits = 0;
	size_t n = 0;

	for (size_t i = 0; i < KEY32_B64_LEN; i++) {
		int v = b64_value(s[i]);

		if (v < 0)
			return -1;
		acc = (acc << 6 | (unsigned long)v) & 0xfffUL;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[n++] = (unsigned char)(acc >> bits);
		}
	}
	/* n == 32 here; what is left over must be zero bits */
	if ((acc & ((1UL << bits) - 1)) != 0)
		return -1;
	return n == KEY32_LEN ? 0 : -1;
}

int key32_decode(const char *s, size_t len, unsigned char out[KEY32_LEN])
{
	int rc = -1;

	if (s == NULL)
		len = 0;
	if (len == KEY32_HEX_LEN)
		rc = decode_hex(s, out);
	else if (len == KEY32_B64_LEN + 1 && s[KEY32_B64_LEN] == '=')
		rc = decode_b64(s, out);
	else if (len == KEY32_B64_LEN)
		rc = decode_b64(s, out);
	if (rc < 0)
		memset(out, 0, KEY32_LEN);
	return rc;
}

int key32_parse(const char *s, unsigned char out[KEY32_LEN])
{
	return key32_decode(s, s != NULL ? strlen(s) : 0, out);
}
