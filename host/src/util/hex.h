/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Hexadecimal text of bytes, and back: the one encoder and decoder the
 * host uses (digests, random ids, signatures, ciphertext at rest).
 *
 * Encoding writes lowercase digits. Decoding accepts both cases unless
 * HEX_LOWER_ONLY is given, for values whose spelling must be canonical
 * (one text per value, e.g. a lookup key).
 */
#ifndef AUTHSVC_UTIL_HEX_H
#define AUTHSVC_UTIL_HEX_H

#include <stddef.h>
#include <sys/types.h>

enum hex_flags {
	HEX_LOWER_ONLY = 1 << 0, /* refuse A-F */
};

/* Write 2 * n lowercase hex digits of in[0..n) and a NUL into out, which
 * holds at least 2 * n + 1 bytes. */
void hex_encode(const void *in, size_t n, char *out);

/* The value (0-15) of the hex digit c, or -1 when c is not one. */
int hex_digit(int c, unsigned flags);

/*
 * Decode the len hex digits at in (no NUL needed) into out, which holds
 * outsz bytes: the number of bytes written (len / 2), or -1 when len is
 * odd, a character is not a hex digit (per flags), or len / 2 > outsz.
 * On -1, out may hold part of the value.
 */
ssize_t hex_decode(const char *in, size_t len, unsigned char *out, size_t outsz, unsigned flags);

#endif
