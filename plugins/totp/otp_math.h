/* SPDX-License-Identifier: Apache-2.0 */
/*
 * HOTP (RFC 4226) and TOTP (RFC 6238) with HMAC-SHA1, as authenticator
 * apps use them, on liboath; base32 (RFC 4648) for secrets. Pure
 * functions; call otp_math_init() once before use.
 */
#ifndef AUTHSVC_TOTP_OTP_MATH_H
#define AUTHSVC_TOTP_OTP_MATH_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

int otp_math_init(void); /* 0 or -1 */
void otp_math_done(void);

/* The HOTP value of counter: digits (6..8) decimal digits into out[9]. 0 or -1. */
int hotp_code(const unsigned char *key, size_t keylen, uint64_t counter, unsigned digits,
	      char out[9]);

/*
 * Check a TOTP code at time now: every step from -window to +window is
 * computed and compared in constant time (no early exit). Returns the
 * matched step counter (floor(now / period) + offset; the earliest one if
 * two steps share the code), or -1 when none matches or the code is not
 * exactly `digits` ASCII digits.
 */
int64_t totp_match(const unsigned char *key, size_t keylen, time_t now, unsigned period,
		   unsigned window, unsigned digits, const char *code);

/* Base32 without padding into out (NUL-terminated). 0 or -1 (no room). */
int base32_encode(const unsigned char *in, size_t n, char *out, size_t outsz);
/* Decode base32 (case-insensitive, padding and spaces allowed) into out.
 * Returns the byte count, or -1. */
int base32_decode(const char *in, unsigned char *out, size_t outsz);

#endif
