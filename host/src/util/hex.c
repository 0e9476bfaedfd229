/* SPDX-License-Identifier: Apache-2.0 */
/* The hex encoder and decoder of hex.h. */
#include "util/hex.h"

void hex_encode(const void *in, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";
	const unsigned char *p = in;

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[p[i] >> 4];
		out[2 * i + 1] = digits[p[i] & 15];
	}
	out[2 * n] = '\0';
}

int hex_digit(int c, unsigned flags)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F' && !(flags & HEX_LOWER_ONLY))
		return c - 'A' + 10;
	return -1;
}

ssize_t hex_decode(const char *in, size_t len, unsigned char *out, size_t outsz, unsigned flags)
{
	if (len % 2 != 0 || len / 2 > outsz)
		return -1;
	for (size_t i = 0; i < len / 2; i++) {
		int hi = hex_digit((unsigned char)in[2 * i], flags);
		int lo = hex_digit((unsigned char)in[2 * i + 1], flags);

		if (hi < 0 || lo < 0)
			return -1;
		out[i] = (unsigned char)(hi << 4 | lo);
	}
	return (ssize_t)(len / 2);
}
