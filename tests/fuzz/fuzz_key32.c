/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libFuzzer target: 32-byte key settings (host/src/util/key32.c), the
 * decoder of activity.key and mfa.secret_key. Any input must either be
 * refused with the output all zero, or be 64 hex digits or 43/44
 * characters of canonical base64 that encode exactly the 32 bytes decoded
 * (checked against OpenSSL's encoder). key32_parse() of a NUL-terminated
 * copy must agree with key32_decode().
 */
#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "util/key32.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_encodes(const uint8_t *data, size_t size, const unsigned char *key)
{
	char hex[2 * KEY32_LEN + 1];
	unsigned char b64[48];

	if (size == 2 * KEY32_LEN) {
		for (size_t i = 0; i < KEY32_LEN; i++)
			snprintf(hex + 2 * i, 3, "%02x", key[i]);
		for (size_t i = 0; i < size; i++)
			if (tolower(data[i]) != hex[i])
				abort(); /* decoded bytes are not what the digits say */
		return;
	}
	if (EVP_EncodeBlock(b64, key, KEY32_LEN) != 44)
		abort();
	if (size != 43 && size != 44)
		abort(); /* accepted a length that is neither form */
	if (memcmp(b64, data, size) != 0)
		abort(); /* not the canonical encoding of the decoded bytes */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned char key[KEY32_LEN], again[KEY32_LEN];
	char *s;
	int rc;

	memset(key, 0x5a, sizeof(key));
	rc = key32_decode((const char *)data, size, key);
	if (rc == 0) {
		check_encodes(data, size, key);
	} else {
		if (rc != -1)
			abort();
		for (size_t i = 0; i < KEY32_LEN; i++)
			if (key[i] != 0)
				abort(); /* a refused key left bytes behind */
	}
	if (memchr(data, '\0', size) != NULL)
		return 0;
	s = malloc(size + 1);
	if (s == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	if (key32_parse(s, again) != rc || (rc == 0 && memcmp(key, again, KEY32_LEN) != 0))
		abort();
	free(s);
	return 0;
}
