/* SPDX-License-Identifier: Apache-2.0 */
#include "tokens/opaque.h"

#include <pthread.h>

#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "util/hex.h"

static const char b64url_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

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
	size_t need = len / 3 * 4 + (len % 3 == 0 ? 0 : len % 3 + 1);
	size_t i, o = 0;

	if (outsz == 0 || need > outsz - 1 || need > (size_t)0x7fffffff)
		return -1;
	for (i = 0; i + 2 < len; i += 3) {
		unsigned long v =
		    (unsigned long)in[i] << 16 | (unsigned long)in[i + 1] << 8 | in[i + 2];

		out[o++] = b64url_alphabet[(v >> 18) & 63];
		out[o++] = b64url_alphabet[(v >> 12) & 63];
		out[o++] = b64url_alphabet[(v >> 6) & 63];
		out[o++] = b64url_alphabet[v & 63];
	}
	if (len - i == 1) {
		unsigned long v = (unsigned long)in[i] << 16;

		out[o++] = b64url_alphabet[(v >> 18) & 63];
		out[o++] = b64url_alphabet[(v >> 12) & 63];
	} else if (len - i == 2) {
		unsigned long v = (unsigned long)in[i] << 16 | (unsigned long)in[i + 1] << 8;

		out[o++] = b64url_alphabet[(v >> 18) & 63];
		out[o++] = b64url_alphabet[(v >> 12) & 63];
		out[o++] = b64url_alphabet[(v >> 6) & 63];
	}
	out[o] = '\0';
	return (int)o;
}

static int b64url_value(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '-')
		return 62;
	if (c == '_')
		return 63;
	return -1;
}

int tokens_b64url_decode(const char *in, size_t len, unsigned char *out, size_t outsz,
			 size_t *outlen)
{
	size_t need = len / 4 * 3 + (len % 4 == 0 ? 0 : len % 4 - 1);
	size_t i, o = 0;
	unsigned long acc = 0;
	int bits = 0;

	if (len % 4 == 1 || need > outsz)
		return -1;
	for (i = 0; i < len; i++) {
		int v = b64url_value((unsigned char)in[i]);

		if (v < 0)
			return -1;
		acc = (acc << 6 | (unsigned long)v) & 0xffffff;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (unsigned char)(acc >> bits);
		}
	}
	/* Unused low bits of the last character must be zero. */
	if (bits > 0 && (acc & ((1ul << bits) - 1)) != 0)
		return -1;
	*outlen = o;
	return 0;
}
