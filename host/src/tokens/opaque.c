/* SPDX-License-Identifier: Apache-2.0 */
#include "tokens/opaque.h"

#include <pthread.h>

#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "util/base64.h"
#include "util/hex.h"

int tokens_random_bytes(void *buf, size_t n)
{
	unsigned char *p = buf;

	/* RAND_bytes takes an int: feed it in chunks. */
	while (n > 0) {
		int chunk = n > 1 << 20 ? 1 << 20 : (int)n;

		if (RAND_bytes(p, chunk) != 1)
			return -1;
		p += chunk;
		n -= (size_t)chunk;
	}
	return 0;
}

int tokens_random_hex(char *out, size_t nbytes)
{
	unsigned char buf[64];
	size_t done = 0;

	/* Work in chunks so any nbytes fits; out is filled from the front. */
	while (done < nbytes) {
		size_t chunk = nbytes - done < sizeof(buf) ? nbytes - done : sizeof(buf);

		if (tokens_random_bytes(buf, chunk) < 0) {
			OPENSSL_cleanse(buf, sizeof(buf));
			out[0] = '\0';
			return -1;
		}
		hex_encode(buf, chunk, out + 2 * done);
		done += chunk;
	}
	out[2 * nbytes] = '\0';
	OPENSSL_cleanse(buf, sizeof(buf));
	return 0;
}

int tokens_random_b64url(char *out, size_t outsz, size_t nbytes)
{
	unsigned char buf[256];
	int rc;

	if (nbytes > sizeof(buf)) {
		if (outsz > 0)
			out[0] = '\0';
		return -1;
	}
	if (tokens_random_bytes(buf, nbytes) < 0) {
		if (outsz > 0)
			out[0] = '\0';
		return -1;
	}
	rc = tokens_b64url_encode(buf, nbytes, out, outsz);
	OPENSSL_cleanse(buf, nbytes);
	return rc < 0 ? -1 : 0;
}

static EVP_MD *sha256_md;
static pthread_once_t sha256_once = PTHREAD_ONCE_INIT;

static void sha256_fetch(void)
{
	sha256_md = EVP_MD_fetch(NULL, "SHA256", NULL); /* once: no lookup per call */
}

bool tokens_sha256(const void *data, size_t len, unsigned char out[32])
{
	unsigned int mdlen = 0;

	pthread_once(&sha256_once, sha256_fetch);
	return EVP_Digest(data, len, out, &mdlen, sha256_md != NULL ? sha256_md : EVP_sha256(),
			  NULL) == 1 &&
	       mdlen == 32;
}

void tokens_sha256_hex(const void *data, size_t len, char out[65])
{
	unsigned char md[32];

	if (!tokens_sha256(data, len, md)) {
		/* Cannot happen with the default provider; never return a
		 * digest that could match anything. */
		out[0] = '\0';
		return;
	}
	hex_encode(md, sizeof(md), out);
}

bool tokens_equal_ct(const char *a, const char *b)
{
	size_t la, lb;

	if (a == NULL || b == NULL)
		return false;
	la = strlen(a);
	lb = strlen(b);
	if (la != lb)
		return false;
	return CRYPTO_memcmp(a, b, la) == 0;
}

int tokens_b64url_encode(const unsigned char *in, size_t len, char *out, size_t outsz)
{
	return b64_encode(in, len, B64_URL, out, outsz);
}

int tokens_b64url_decode(const char *in, size_t len, unsigned char *out, size_t outsz,
			 size_t *outlen)
{
	return b64_decode(in, len, B64_URL, out, outsz, outlen);
}
