/* SPDX-License-Identifier: Apache-2.0 */
#include "core/otp_code.h"

#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "util/hex.h"

int otp_code_make(const char *alphabet, int len, char *out, size_t outsz, otp_random_fn rnd)
{
	size_t n = strlen(alphabet), limit;
	unsigned char buf[64];
	size_t used = sizeof(buf);
	int i = 0;

	if (n < 2 || n > 256 || len < 1 || (size_t)len >= outsz)
		return -1;
	limit = 256 - 256 % n; /* bytes >= limit would favour the first 256 % n characters */
	while (i < len) {
		if (used == sizeof(buf)) {
			if (rnd(buf, sizeof(buf)) < 0)
				return -1;
			used = 0;
		}
		if (buf[used] < limit)
			out[i++] = alphabet[buf[used] % n];
		used++;
	}
	out[len] = '\0';
	OPENSSL_cleanse(buf, sizeof(buf));
	return 0;
}

void otp_code_hash(const char *space, const char *key, const char *code, char out[65])
{
	unsigned char md[32];
	unsigned int mdlen = 0;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();

	memset(md, 0, sizeof(md));
	if (ctx != NULL && EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) == 1) {
		EVP_DigestUpdate(ctx, space, strlen(space));
		EVP_DigestUpdate(ctx, ":", 1);
		EVP_DigestUpdate(ctx, key, strlen(key));
		EVP_DigestUpdate(ctx, ":", 1);
		EVP_DigestUpdate(ctx, code, strlen(code));
		EVP_DigestFinal_ex(ctx, md, &mdlen);
	}
	EVP_MD_CTX_free(ctx);
	hex_encode(md, sizeof(md), out);
}
