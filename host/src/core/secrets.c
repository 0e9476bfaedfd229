/* SPDX-License-Identifier: Apache-2.0 */
#include "core/secrets.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "util/base64.h"

#define PREFIX "enc1:"

char *secret_seal(const unsigned char key[32], const char *user_id, const char *plain)
{
	size_t len = strlen(plain), rawlen = 12 + len + 16;
	unsigned char *raw = malloc(rawlen);
	char *out = malloc(sizeof(PREFIX) + 4 * ((rawlen + 2) / 3) + 1);
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	int n = 0, fin = 0, ok;

	ok = raw != NULL && out != NULL && ctx != NULL && len < 1024 && RAND_bytes(raw, 12) == 1 &&
	     EVP_EncryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, key, raw) == 1 &&
	     EVP_EncryptUpdate(ctx, NULL, &n, (const unsigned char *)user_id,
			       (int)strlen(user_id)) == 1 &&
	     EVP_EncryptUpdate(ctx, raw + 12, &n, (const unsigned char *)plain, (int)len) == 1 &&
	     EVP_EncryptFinal_ex(ctx, raw + 12 + n, &fin) == 1 &&
	     EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, 16, raw + 12 + len) == 1;
	EVP_CIPHER_CTX_free(ctx);
	if (ok) {
		memcpy(out, PREFIX, sizeof(PREFIX) - 1);
		ok = b64_encode(raw, rawlen, B64_PAD, out + sizeof(PREFIX) - 1,
				4 * ((rawlen + 2) / 3) + 1) >= 0;
	}
	if (raw != NULL) {
		OPENSSL_cleanse(raw, rawlen);
		free(raw);
	}
	if (!ok) {
		free(out);
		return NULL;
	}
	return out;
}

int secret_open(const unsigned char key[32], const char *user_id, const char *stored, char *out,
		size_t outsz)
{
	const char *b64;
	size_t b64len, rawlen = 0;
	unsigned char *raw;
	int n = 0, fin = 0, ok;
	EVP_CIPHER_CTX *ctx;

	if (strncmp(stored, PREFIX, sizeof(PREFIX) - 1) != 0) {
		if (strlen(stored) >= outsz)
			return -1;
		memcpy(out, stored, strlen(stored) + 1);
		return 0;
	}
	b64 = stored + sizeof(PREFIX) - 1;
	b64len = strlen(b64);
	if (b64len == 0 || b64len % 4 != 0 || b64len > 4096)
		return -1;
	raw = malloc(b64len);
	if (raw == NULL)
		return -1;
	if (b64_decode(b64, b64len, B64_PAD, raw, b64len, &rawlen) < 0)
		rawlen = 0; /* refused below */
	ctx = EVP_CIPHER_CTX_new();
	ok = rawlen >= 12 + 16 && rawlen - 28 < outsz && ctx != NULL &&
	     EVP_DecryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, key, raw) == 1 &&
	     EVP_DecryptUpdate(ctx, NULL, &n, (const unsigned char *)user_id,
			       (int)strlen(user_id)) == 1 &&
	     EVP_DecryptUpdate(ctx, (unsigned char *)out, &n, raw + 12, (int)(rawlen - 28)) == 1 &&
	     EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, 16, raw + rawlen - 16) == 1 &&
	     EVP_DecryptFinal_ex(ctx, (unsigned char *)out + n, &fin) == 1;
	EVP_CIPHER_CTX_free(ctx);
	OPENSSL_cleanse(raw, b64len);
	free(raw);
	if (!ok) {
		OPENSSL_cleanse(out, outsz);
		return -1;
	}
	out[n + fin] = '\0';
	return 0;
}
