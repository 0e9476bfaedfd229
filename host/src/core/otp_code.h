/* SPDX-License-Identifier: Apache-2.0 */
/*
 * One-time code generation and hashing, pure functions (unit-tested).
 *
 * otp_code_make draws each character uniformly from the alphabet by
 * rejection sampling: a random byte b is used only when b < 256 - 256 % n,
 * so b % n has no modulo bias.
 */
#ifndef AUTHSVC_CORE_OTP_CODE_H
#define AUTHSVC_CORE_OTP_CODE_H

#include <stddef.h>

typedef int (*otp_random_fn)(void *buf, size_t n); /* 0 or -1 */

/* len characters into out (outsz > len). 0 or -1 (random source failed). */
int otp_code_make(const char *alphabet, int len, char *out, size_t outsz, otp_random_fn rnd);

/* SHA-256 hex of "space:key:code": a stored code cannot be looked up across
 * keys with one precomputed table. */
void otp_code_hash(const char *space, const char *key, const char *code, char out[65]);

#endif
