/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Lengths of UTF-8 text in characters (code points), as PostgreSQL counts
 * them for varchar(N): a 50-character name of Cyrillic letters is 100
 * bytes and still fits varchar(50). The text is assumed valid UTF-8
 * (jansson and the database both guarantee it); on anything else the
 * counts stay byte-safe: no read past the NUL, no cut inside a sequence.
 */
#ifndef AUTHSVC_UTIL_UTF8_H
#define AUTHSVC_UTIL_UTF8_H

#include <stddef.h>

/* The number of characters of the NUL-terminated s. */
size_t utf8_chars(const char *s);

/* The number of bytes of the first max_chars characters of s (all of s if
 * it is shorter): a prefix that never ends inside a character. */
size_t utf8_prefix(const char *s, size_t max_chars);

#endif
