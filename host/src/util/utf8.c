/* SPDX-License-Identifier: Apache-2.0 */
/* Character counts of UTF-8 text (utf8.h). */
#include "util/utf8.h"

/* A continuation byte: 10xxxxxx. */
static int continuation(unsigned char c)
{
	return (c & 0xC0) == 0x80;
}

size_t utf8_chars(const char *s)
{
	size_t n = 0;

	for (const unsigned char *p = (const unsigned char *)s; *p != '\0'; p++)
		n += !continuation(*p);
	return n;
}

size_t utf8_prefix(const char *s, size_t max_chars)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t chars = 0, i = 0;

	for (; p[i] != '\0'; i++) {
		if (!continuation(p[i]) && chars++ == max_chars)
			break;
	}
	return i;
}
