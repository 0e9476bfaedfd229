/* SPDX-License-Identifier: Apache-2.0 */
/*
 * key32: the 32-byte symmetric keys of the configuration (activity.key,
 * mfa.secret_key), written either as 64 hex digits or as standard base64
 * of exactly 32 bytes (44 characters ending in one '=', or the same 43
 * characters without the padding).
 *
 * Decoding is strict: the length is checked before anything is decoded,
 * and whitespace, other characters, a wrong length and non-canonical
 * base64 (unused low bits set) are all refused. What `openssl rand -hex 32`
 * and `openssl rand -base64 32` print is accepted.
 */
#ifndef AUTHSVC_UTIL_KEY32_H
#define AUTHSVC_UTIL_KEY32_H

#include <stddef.h>

#define KEY32_LEN 32

/*
 * Decode the len bytes at s (need not be NUL-terminated; a NUL inside is
 * refused) into out. 0 on success; -1 when s is not a 32-byte key, and
 * then out is all zero (no partial key is left behind).
 */
int key32_decode(const char *s, size_t len, unsigned char out[KEY32_LEN]);

/* key32_decode() of the NUL-terminated string s. */
int key32_parse(const char *s, unsigned char out[KEY32_LEN]);

#endif
