/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Base64 (RFC 4648): the one encoder and decoder the host uses, in both
 * alphabets: the standard one (section 4: keys in the configuration) and
 * the URL-safe one (section 5: JWTs, opaque tokens, PKCE).
 *
 * Strict: the decoder takes only characters of the alphabet (no
 * whitespace), refuses a length that no byte string encodes and non-zero
 * unused bits in the last character, so every value has exactly one text.
 * Unpadded unless B64_PAD is given; with it, exactly the '=' that pad the
 * text to a multiple of 4 (values sealed at rest, core/secrets.c).
 */
#ifndef AUTHSVC_UTIL_BASE64_H
#define AUTHSVC_UTIL_BASE64_H

#include <stddef.h>

enum b64_flags {
	B64_STD = 0,	  /* A-Z a-z 0-9 + / */
	B64_URL = 1 << 0, /* A-Z a-z 0-9 - _ */
	B64_PAD = 1 << 1, /* '=' to a multiple of 4 characters */
};

/* Encode in[0..len) and NUL-terminate into out (outsz bytes). The
 * characters written, or -1 if out is too small. */
int b64_encode(const unsigned char *in, size_t len, unsigned flags, char *out, size_t outsz);

/* Decode in[0..len) into out (outsz bytes): 0 with *outlen, or -1. */
int b64_decode(const char *in, size_t len, unsigned flags, unsigned char *out, size_t outsz,
	       size_t *outlen);

#endif
