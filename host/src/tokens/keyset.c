/* SPDX-License-Identifier: Apache-2.0 */
/* The replaceable signing keys of a running server (tokens/keyset.h). */
#include "tokens/keyset.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

struct keyset *keyset_new(struct keyring *ring)
{
	struct keyset *ks = calloc(1, sizeof(*ks));

	if (ks == NULL)
		return NULL;
	ks->jwks = keyring_jwks(ring);
	if (ks->jwks == NULL) {
		free(ks);
		return NULL;
	}
	ks->ring = *ring; /* the keys move; ring keeps its alg, empty */
	ring->keys = NULL;
	ring->nkeys = 0;
	atomic_init(&ks->refs, 1);
	return ks;
}

void keyset_put(struct keyset *ks)
{
	if (ks == NULL || atomic_fetch_sub(&ks->refs, 1) != 1)
		return;
	keyring_release(&ks->ring);
	json_decref(ks->jwks);
	free(ks);
}

int keys_live_init(struct keys_live *live)
{
	live->cur = NULL;
	return pthread_mutex_init(&live->lock, NULL) == 0 ? 0 : -1;
}

void keys_live_set(struct keys_live *live, struct keyset *ks)
{
	struct keyset *old;

	pthread_mutex_lock(&live->lock);
	old = live->cur;
	live->cur = ks;
	pthread_mutex_unlock(&live->lock);
	keyset_put(old); /* outside the lock: the last put frees */
}

struct keyset *keys_live_get(struct keys_live *live)
{
	struct keyset *ks;

	pthread_mutex_lock(&live->lock);
	ks = live->cur;
	if (ks != NULL)
		atomic_fetch_add(&ks->refs, 1);
	pthread_mutex_unlock(&live->lock);
	return ks;
}

void keys_live_release(struct keys_live *live)
{
	keyset_put(live->cur);
	live->cur = NULL;
	pthread_mutex_destroy(&live->lock);
}
