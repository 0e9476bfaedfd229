/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Per-user secrets at rest (TOTP): AES-256-GCM under mfa.secret_key, the
 * user id as associated data (a ciphertext copied onto another user does
 * not decrypt). Stored form: "enc1:" base64(iv[12] || ciphertext || tag[16]).
 * A value without the prefix is an upstream row's plain secret and is
 * returned as it is. Pure functions.
 */
#ifndef AUTHSVC_CORE_SECRETS_H
#define AUTHSVC_CORE_SECRETS_H

#include <stddef.h>

/* Returns malloc'd stored form, or NULL. */
char *secret_seal(const unsigned char key[32], const char *user_id, const char *plain);
/* plain into out (NUL-terminated). 0, or -1 (tampered, wrong key, too small). */
int secret_open(const unsigned char key[32], const char *user_id, const char *stored, char *out,
		size_t outsz);

#endif
