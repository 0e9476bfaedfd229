/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Opaque token helpers: random values (refresh tokens, auth codes, jti,
 * request ids), SHA-256 hex digests (how those values are stored), a
 * constant-time string comparison, and strict base64url (RFC 4648 §5,
 * no padding) used by the JWT code.
 *
 * Pure functions, no allocation, safe from any thread. Secrets passed in
 * are not copied; the caller wipes its own buffers.
 */
#ifndef AUTHSVC_TOKENS_OPAQUE_H
#define AUTHSVC_TOKENS_OPAQUE_H

#include <stdbool.h>
#include <stddef.h>

/* Fill buf with n bytes from the OpenSSL CSPRNG: 0, or -1 if it failed. */
int tokens_random_bytes(void *buf, size_t n) __attribute__((warn_unused_result));

/* Write 2*nbytes lowercase hex digits of fresh randomness plus a NUL into
 * out, which must hold 2*nbytes+1 bytes: 0 or -1. */
int tokens_random_hex(char *out, size_t nbytes);

/* Write the base64url (no padding) of nbytes fresh random bytes plus a NUL
 * into out (outsz bytes): 0, or -1 if out is too small or the RNG failed. */
int tokens_random_b64url(char *out, size_t outsz, size_t nbytes);

/* SHA-256 of data: true, or false (out undefined) if OpenSSL failed. */
bool tokens_sha256(const void *data, size_t len, unsigned char out[32]);
/* SHA-256 of data as 64 lowercase hex digits plus a NUL. */
void tokens_sha256_hex(const void *data, size_t len, char out[65]);

/* true when a and b are the same string. The comparison of the bytes is
 * constant-time when the lengths are equal; the length itself is not
 * secret (compare fixed-length digests). NULL equals nothing. */
bool tokens_equal_ct(const char *a, const char *b);

/* base64url without padding, NUL-terminated: the string length (>= 0), or
 * -1 when outsz is too small (it needs 4*ceil(len/3)+1 bytes at most). */
int tokens_b64url_encode(const unsigned char *in, size_t len, char *out, size_t outsz);

/* Strict base64url decoding of in[0..len): only A-Z a-z 0-9 - _, no padding,
 * no whitespace, a length that is not 1 mod 4, and zero unused trailing
 * bits (so every value has exactly one encoding). 0 with *outlen set, or
 * -1 on any invalid input or when outsz is too small. */
int tokens_b64url_decode(const char *in, size_t len, unsigned char *out, size_t outsz,
			 size_t *outlen);

/* Bytes tokens_b64url_decode needs for an input of len characters. */
static inline size_t tokens_b64url_decoded_max(size_t len)
{
	return len / 4 * 3 + 2;
}

#endif
