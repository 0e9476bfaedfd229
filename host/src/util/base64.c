/* SPDX-License-Identifier: Apache-2.0 */
/* The base64 encoder and decoder of base64.h. */
#include "util/base64.h"

#include <stdbool.h>

static const char alphabets[2][65] = {
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/",
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_",
};

int b64_encode(const unsigned char *in, size_t len, unsigned flags, char *out, size_t outsz)
{
	const char *abc = alphabets[(flags & B64_URL) != 0];
	size_t need = (flags & B64_PAD) != 0 ? (len + 2) / 3 * 4
					     : len / 3 * 4 + (len % 3 == 0 ? 0 : len % 3 + 1);
	size_t i, o = 0;

	if (outsz == 0 || need > outsz - 1 || need > (size_t)0x7fffffff)
		return -1;
	for (i = 0; i + 2 < len; i += 3) {
		unsigned long v =
		    (unsigned long)in[i] << 16 | (unsigned long)in[i + 1] << 8 | in[i + 2];

		out[o++] = abc[(v >> 18) & 63];
		out[o++] = abc[(v >> 12) & 63];
		out[o++] = abc[(v >> 6) & 63];
		out[o++] = abc[v & 63];
	}
	if (len - i == 1) {
		unsigned long v = (unsigned long)in[i] << 16;

		out[o++] = abc[(v >> 18) & 63];
		out[o++] = abc[(v >> 12) & 63];
	} else if (len - i == 2) {
		unsigned long v = (unsigned long)in[i] << 16 | (unsigned long)in[i + 1] << 8;

		out[o++] = abc[(v >> 18) & 63];
		out[o++] = abc[(v >> 12) & 63];
		out[o++] = abc[(v >> 6) & 63];
	}
	while ((flags & B64_PAD) != 0 && o % 4 != 0)
		out[o++] = '=';
	out[o] = '\0';
	return (int)o;
}

/* The value of c in the alphabet, or -1. */
static int value(unsigned char c, unsigned flags)
{
	bool url = (flags & B64_URL) != 0;

	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == (url ? '-' : '+'))
		return 62;
	if (c == (url ? '_' : '/'))
		return 63;
	return -1;
}

int b64_decode(const char *in, size_t len, unsigned flags, unsigned char *out, size_t outsz,
	       size_t *outlen)
{
	size_t need, o = 0;
	unsigned long acc = 0;
	int bits = 0;

	if ((flags & B64_PAD) != 0) { /* exactly the padding the length needs */
		size_t pad = 0;

		if (len % 4 != 0)
			return -1;
		while (pad < 2 && len > 0 && in[len - 1] == '=') {
			len--;
			pad++;
		}
		if (pad != (4 - len % 4) % 4)
			return -1;
	}
	need = len / 4 * 3 + (len % 4 == 0 ? 0 : len % 4 - 1);
	if (len % 4 == 1 || need > outsz)
		return -1;
	for (size_t i = 0; i < len; i++) {
		int v = value((unsigned char)in[i], flags);

		if (v < 0)
			return -1;
		acc = (acc << 6 | (unsigned long)v) & 0xffffff;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (unsigned char)(acc >> bits);
		}
	}
	/* the unused low bits of the last character must be zero */
	if (bits > 0 && (acc & ((1ul << bits) - 1)) != 0)
		return -1;
	*outlen = o;
	return 0;
}
