/* SPDX-License-Identifier: Apache-2.0 */
#include "tokens/verified.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

struct slot {
	uint64_t ring;
	unsigned char digest[32];
	json_t *claims; /* NULL: empty */
};

struct cache {
	struct slot slot[VERIFIED_SLOTS];
	uint64_t hits;
};

static pthread_key_t key;
static pthread_once_t once = PTHREAD_ONCE_INIT;
static int key_ok;

static void cache_free(void *p)
{
	struct cache *c = p;

	for (size_t i = 0; i < VERIFIED_SLOTS; i++)
		json_decref(c->slot[i].claims);
	free(c);
}

static void key_init(void)
{
	key_ok = pthread_key_create(&key, cache_free) == 0;
}

static struct cache *cache_get(int create)
{
	struct cache *c;

	pthread_once(&once, key_init);
	if (!key_ok)
		return NULL;
	c = pthread_getspecific(key);
	if (c == NULL && create) {
		c = calloc(1, sizeof(*c));
		if (c != NULL && pthread_setspecific(key, c) != 0) {
			free(c);
			c = NULL;
		}
	}
	return c;
}

static struct slot *slot_for(struct cache *c, const unsigned char digest[32])
{
	uint32_t h;

	memcpy(&h, digest, sizeof(h)); /* SHA-256 output: any 4 bytes are uniform */
	return &c->slot[h % VERIFIED_SLOTS];
}

json_t *verified_get(uint64_t ring, const unsigned char digest[32])
{
	struct cache *c = cache_get(0);
	struct slot *s;

	if (c == NULL)
		return NULL;
	s = slot_for(c, digest);
	if (s->claims == NULL || s->ring != ring || CRYPTO_memcmp(s->digest, digest, 32) != 0)
		return NULL;
	c->hits++;
	return json_deep_copy(s->claims);
}

void verified_put(uint64_t ring, const unsigned char digest[32], const json_t *claims)
{
	struct cache *c = cache_get(1);
	struct slot *s;

	if (c == NULL)
		return;
	s = slot_for(c, digest);
	json_decref(s->claims);
	s->claims = json_deep_copy(claims);
	s->ring = ring;
	memcpy(s->digest, digest, 32);
}

uint64_t verified_hits(void)
{
	struct cache *c = cache_get(0);

	return c != NULL ? c->hits : 0;
}
