/* SPDX-License-Identifier: Apache-2.0 */
#include "util/key32.h"

#include <string.h>

#include "util/base64.h"
#include "util/hex.h"

#define KEY32_HEX_LEN 64 /* 2 digits a byte */
#define KEY32_B64_LEN 43 /* ceil(32 * 8 / 6) characters, before padding */

static int decode_hex(const char *s, unsigned char *out)
{
	return hex_decode(s, KEY32_HEX_LEN, out, KEY32_LEN, 0) == KEY32_LEN ? 0 : -1;
}

/* 43 base64 characters: 258 bits, of which the last 2 must be zero. */
static int decode_b64(const char *s, unsigned char *out)
{
	size_t n = 0;

	return b64_decode(s, KEY32_B64_LEN, B64_STD, out, KEY32_LEN, &n) == 0 && n == KEY32_LEN
		   ? 0
		   : -1;
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
